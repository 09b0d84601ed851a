#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# The PostgreSQL ceiling beside pactum's own benchmarks: pgbench against the
# server scripts/postgres/up.sh starts (same settings), 16 clients as
# BenchmarkSubmitHTTP uses. Prints pgbench's TPC-B-like figure (five
# statements a transaction, one of them an update of a few hot rows) and
# its simple-update variant (-N, no hot rows), each for $SECS seconds.
#
#   bash scripts/bench/pgbench.sh            # 20 s each
#   SECS=60 bash scripts/bench/pgbench.sh
set -euo pipefail
PGT=${PGT:-/tmp/pactum-pg}
PGPORT=${PGPORT:-55432}
SECS=${SECS:-20}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$BIN/dropdb" -h 127.0.0.1 -p "$PGPORT" --if-exists pactum_pgbench
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" pactum_pgbench
as_pg "$BIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -i -q -s 16 pactum_pgbench >/dev/null 2>&1
for mode in tpcb simple-update; do
  flag=""
  [ "$mode" = simple-update ] && flag="-N"
  tps=$(as_pg "$BIN/pgbench" -h 127.0.0.1 -p "$PGPORT" $flag -c 16 -j 2 -T "$SECS" pactum_pgbench 2>/dev/null |
    awk '/^tps/ {print $3; exit}')
  lat=$(as_pg "$BIN/pgbench" -h 127.0.0.1 -p "$PGPORT" $flag -c 16 -j 2 -T 5 pactum_pgbench 2>/dev/null |
    awk '/latency average/ {print $4; exit}')
  echo "pgbench $mode: $tps transactions/s (16 clients, ${SECS}s), average latency ${lat} ms"
done
as_pg "$BIN/dropdb" -h 127.0.0.1 -p "$PGPORT" pactum_pgbench
