# SPDX-License-Identifier: EUPL-1.2
# Shared settings and helpers for up.sh, down.sh and ctl.sh. Sourced, not run.
# Everything lives under $T so that a cluster never touches /etc, /var or /run
# and several checkouts cannot trample each other's files (ports are shared,
# though: one cluster per machine).

T=${T:-/tmp/pactum-slurm}
CLUSTER=${CLUSTER:-pactum}
FOREIGN=${FOREIGN:-pactum-other}    # a second cluster registered in the same slurmdbd (no daemons)
DBPORT=${DBPORT:-13306}          # private MariaDB, 127.0.0.1 only
GPUS=${GPUS:-4}                  # fake GPUs given to the node as gres
GPUTYPE=${GPUTYPE:-sim}          # typed gres (gres/gpu:sim) so typed AllocTRES is exercised
# AccountingStorageEnforce. 'safe' is on by default: see slurm/doc.go for what
# it changes (a job whose own worst case would overrun the remaining budget
# is held at once, so usage can reach the limit only through a time-out).
ENFORCE=${ENFORCE:-associations,limits,qos,safe}

export SLURM_CONF=$T/etc/slurm.conf
MUNGE_SOCK=$T/munge/sock/munge.socket.2
SLURM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '%s\n' "$*" >&2; }

# waitfor SECONDS CMD...: poll CMD every 0.25 s until it succeeds.
waitfor() {
  local n=$(( $1 * 4 )); shift
  local i
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "timeout waiting for: $*"
  return 1
}

# pid_of NAME: the pid in $T/run/NAME.pid if that process is alive.
pid_of() {
  local f=$T/run/$1.pid p
  [ -s "$f" ] || return 1
  p=$(cat "$f")
  kill -0 "$p" 2>/dev/null || return 1
  echo "$p"
}

# stop NAME...: SIGTERM the named daemons together (by pid file, never by
# process name: other clusters or a system munged may be running), wait up
# to 20 s each, then SIGKILL.
stop() {
  local pids=() n p i
  for n in "$@"; do
    p=$(pid_of "$n") || continue
    kill "$p" 2>/dev/null && pids+=("$p")
  done
  for p in "${pids[@]}"; do
    for ((i = 0; i < 80; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$p" 2>/dev/null; then log "pid $p ignored SIGTERM; SIGKILL"; kill -9 "$p" 2>/dev/null || true; fi
  done
  for n in "$@"; do rm -f "$T/run/$n.pid"; done
  return 0
}

dbd_up()  { sacctmgr -n show cluster >/dev/null 2>&1; }
ctld_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
node_up() { case "$(sinfo -h -o %T 2>/dev/null)" in idle|mixed|allocated) return 0;; *) return 1;; esac; }

start_slurmdbd() {
  slurmdbd
  waitfor 60 dbd_up
}
start_slurmctld() {
  slurmctld
  waitfor 30 ctld_up
}
start_slurmd() {
  slurmd
  waitfor 30 node_up
}
