#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Stop, start or restart one Slurm daemon of the cluster that up.sh started,
# for fault-injection tests:  T=/tmp/pactum-slurm bash ctl.sh stop slurmdbd
# Daemons: slurmdbd, slurmctld, slurmd.  'status' prints each daemon's pid or '-'.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage() { log "usage: ctl.sh {stop|start|restart} {slurmdbd|slurmctld|slurmd} | ctl.sh status"; exit 2; }
[ -f "$SLURM_CONF" ] || { log "no cluster under $T (run up.sh)"; exit 1; }
cmd=${1:-}; d=${2:-}
if [ "$cmd" = status ]; then
  for n in munged mysqld slurmdbd slurmctld slurmd; do printf '%s %s\n' "$n" "$(pid_of $n || echo -)"; done
  exit 0
fi
case "$d" in slurmdbd|slurmctld|slurmd) ;; *) usage;; esac
case "$cmd" in
  stop) stop "$d" ;;
  start) pid_of "$d" >/dev/null || "start_$d" ;;
  restart) stop "$d"; "start_$d" ;;
  *) usage ;;
esac
