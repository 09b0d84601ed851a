// SPDX-License-Identifier: EUPL-1.2

// Package bench holds whole-system benchmarks that cross packages: the
// proposal-submission rate through the HTTP API beside bare inserts of the
// same rows, and a million sacct records read, parsed, and parsed and
// stored. Run them with
//
//	go test -run '^$' -bench 'SubmitHTTP|BareInsert' -benchtime 20000x ./bench/
//	go test -run '^$' -bench Sacct -benchtime 1x ./bench/
//
// Package-level benchmarks (screening, parsing, solving) live beside their
// code.
package bench
