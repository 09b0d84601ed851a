// SPDX-License-Identifier: EUPL-1.2

// Package bench holds whole-system benchmarks that cross packages: the
// proposal-submission rate through the HTTP API beside bare inserts of the
// same rows, a million sacct records read, parsed, and parsed and
// stored, and a million audit events verified (the chain, and the chain
// replayed against the tables). Run them with
//
//	go test -run '^$' -bench 'SubmitHTTP|BareInsert' -benchtime 20000x ./bench/
//	bash scripts/bench/pgbench.sh   # PostgreSQL's own ceiling on the same server
//	go test -run '^$' -bench Sacct -benchtime 1x ./bench/
//	PACTUM_BENCH_AUDIT_DB=/tmp/audit-1m.db go test -run '^$' -bench AuditVerify -benchtime 1x -cpu 1 ./bench/
//
// SubmitHTTP, AuditVerify and the allocation run (usecase) run on SQLite
// and, when PACTUM_TEST_POSTGRES names a server (scripts/postgres/up.sh
// prints it), on PostgreSQL too, side by side in one run; SubmitHTTP also
// runs two server instances on the one PostgreSQL database
// (postgres-2inst). BareInsert and
// Sacct's store step are SQLite's floors and run on SQLite only.
//
// Package-level benchmarks (screening, parsing, solving) live beside their
// code.
package bench
