#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
#
# Generates sqlstore/testdata/upgrade/: a data set written by an earlier
# pactum (commit 964782d, schema 3: before review stages and award
# conditions), with that release's own use cases, through its HTTP API:
#
#   - its demo (eight organizations, proposals approved, accepted and
#     rejected, allocations with award conditions from screening);
#   - one more proposal referred to review and left there, undecided;
#   - one allocation moved to active by the access manager.
#
# It writes v3.sql, the rows as INSERT statements whose values are all
# quoted literals, loadable on SQLite and PostgreSQL alike over this
# repository's migrations 00001-00003 (unchanged since that release), and
# v3-objects.json, every object as that release's API answered it, which
# the upgrade test compares with what this release reads back.
#
# Usage: scripts/upgrade-fixture/generate.sh   (needs git, go, python3, curl)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
commit=964782d
out=$root/sqlstore/testdata/upgrade
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; git -C "$root" worktree remove --force "$work/src" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$root" worktree add --detach "$work/src" "$commit" >/dev/null
(cd "$work/src" && go build -o "$work/pactum" ./cmd/pactum)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$work/pactum" demo --data "$work/data" --serve --addr "127.0.0.1:$port" -q >"$work/demo.out" 2>"$work/demo.err" &
pid=$!
for _ in $(seq 100); do grep -q PACTUM_TOKEN= "$work/demo.err" 2>/dev/null && break; sleep 0.1; done
token=$(sed -n 's/.*PACTUM_TOKEN=\([^ ]*\).*/\1/p' "$work/demo.err" | head -1)
[ -n "$token" ] || { cat "$work/demo.err"; exit 1; }

PACTUM_URL=http://127.0.0.1:$port TOKEN=$token python3 "$root/scripts/upgrade-fixture/drive.py" "$out/v3-objects.json"
kill "$pid"; wait "$pid" 2>/dev/null || true
pid=

mkdir -p "$out"
python3 "$root/scripts/upgrade-fixture/dump.py" "$work/data/pactum.db" >"$out/v3.sql"
echo "wrote $out/v3.sql and $out/v3-objects.json from pactum $commit"
