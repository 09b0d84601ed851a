#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Stop every daemon that up.sh started, by pid file. Idempotent: a daemon that
# is not running is skipped.  PURGE=1 also removes $T (logs included).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -d "$T" ] || exit 0
# Slurm daemons first: slurmdbd flushes to MariaDB on the way down.
stop slurmd slurmctld slurmdbd
stop mysqld munged
if [ "${PURGE:-0}" = 1 ]; then rm -rf "$T"; fi
log "slurm cluster under $T is down"
