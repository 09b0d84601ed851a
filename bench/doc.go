// SPDX-License-Identifier: EUPL-1.2

// Package bench holds whole-system benchmarks that cross packages: the
// proposal-submission rate through the HTTP API beside bare inserts of the
// same rows, a million sacct records read, parsed, and parsed and
// stored, and a million audit events verified (the chain, and the chain
// replayed against the tables). Run them with
//
//	go test -run '^$' -bench 'SubmitHTTP|BareInsert' -benchtime 20000x ./bench/
//	go test -run '^$' -bench Sacct -benchtime 1x ./bench/
//	PACTUM_BENCH_AUDIT_DB=/tmp/audit-1m.db go test -run '^$' -bench AuditVerify -benchtime 1x -cpu 1 ./bench/
//
// Package-level benchmarks (screening, parsing, solving) live beside their
// code.
package bench
