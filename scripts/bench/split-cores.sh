#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# BenchmarkSubmitHTTP with the database server on cores of its own: the
# PostgreSQL that scripts/postgres/up.sh started is confined to the
# machine's last $DBCORES cores and the benchmark (clients, pactum and, for
# the sqlite run, SQLite in process) to the others, with GOMAXPROCS to
# match. Both engines then give pactum the same cores, and PostgreSQL's own
# work runs beside it as it would on a database machine; the default run
# (every process on every core) makes PostgreSQL share pactum's cores.
# This is a model of a separate database machine, not a replacement for the
# default run: loopback is not a network. The affinity is restored at the
# end (new backends inherit the postmaster's).
#
#   bash scripts/bench/split-cores.sh             # 10,000 submissions, 2 runs
#   N=20000 RUNS=3 DBCORES=1 bash scripts/bench/split-cores.sh
set -euo pipefail
PGT=${PGT:-/tmp/pactum-pg}
PGPORT=${PGPORT:-55432}
N=${N:-10000}
RUNS=${RUNS:-2}
DBCORES=${DBCORES:-1}
cores=$(nproc)
if [ "$cores" -le "$DBCORES" ]; then
  echo "split-cores: $cores cores, need more than DBCORES=$DBCORES" >&2
  exit 2
fi
app="0-$((cores - DBCORES - 1))"
db="$((cores - DBCORES))-$((cores - 1))"
postmaster=$(head -1 "$PGT/data/postmaster.pid" 2>/dev/null || true)
if [ -z "$postmaster" ] || ! kill -0 "$postmaster" 2>/dev/null; then
  echo "split-cores: no PostgreSQL running under $PGT (start it with scripts/postgres/up.sh)" >&2
  exit 2
fi
pin() { # pin CPUS: the postmaster and every process it started
  for pid in "$postmaster" $(pgrep -P "$postmaster"); do taskset -a -p -c "$1" "$pid" >/dev/null; done
}
trap 'pin 0-$((cores - 1))' EXIT
pin "$db"
cd "$(dirname "$0")/../.."
go test -c -o /tmp/pactum-bench.test ./bench/
export PACTUM_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
echo "pactum on cores $app, PostgreSQL on cores $db"
for _ in $(seq "$RUNS"); do
  (cd bench && taskset -c "$app" /tmp/pactum-bench.test -test.run '^$' -test.bench 'SubmitHTTP/(sqlite|postgres)$' \
    -test.benchtime "${N}x" -test.cpu "$((cores - DBCORES))" | grep '^Benchmark')
done
