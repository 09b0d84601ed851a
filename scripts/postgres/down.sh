#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Stop the throwaway PostgreSQL started by up.sh and remove its files.
set -uo pipefail
PGT=${PGT:-/tmp/pactum-pg}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$BIN" ] && [ -d "$PGT/data" ]; then
  runuser -u postgres -- "$BIN/pg_ctl" -D "$PGT/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$PGT"
