#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Start a throwaway PostgreSQL for pactum's tests: installs Debian's server
# if missing, creates a cluster under $PGT (default /tmp/pactum-pg) owned by
# the postgres user, listening on 127.0.0.1:$PGPORT with trust auth, and
# prints the URL to use as PACTUM_TEST_POSTGRES. Safe to run twice.
set -euo pipefail
PGT=${PGT:-/tmp/pactum-pg}
PGPORT=${PGPORT:-55432}

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres

as_pg() { runuser -u postgres -- "$@"; }

if [ -f "$PGT/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$PGT/data" status >/dev/null 2>&1; then
  echo "postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
  exit 0
fi
rm -rf "$PGT"
mkdir -p "$PGT"
chown postgres: "$PGT"
as_pg "$BIN/initdb" -D "$PGT/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$PGT/initdb.log" 2>&1
# Tests create and drop a database each; fsync off makes that cheap and
# loses nothing a test cares about.
as_pg "$BIN/pg_ctl" -D "$PGT/data" -l "$PGT/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
echo "postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
