#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Start a single-node Slurm 22.05 cluster with accounting and limits
# (munge + MariaDB + slurmdbd + slurmctld + slurmd) entirely under $T
# (default /tmp/pactum-slurm), as root, without systemd. Installs Debian's
# packages first if they are missing.
#
#   bash scripts/slurm/up.sh            # prints the exports on stdout
#   . /tmp/pactum-slurm/env             # SLURM_CONF, PACTUM_SLURM_CONF, ...
#   bash scripts/slurm/down.sh          # PURGE=1 also deletes $T
#
# Safe to run twice: a cluster that is fully up is left alone; a partial or
# stale one is stopped and rebuilt from nothing (the accounting DB included).
# FRESH=1 forces the rebuild. Progress goes to stderr with per-step seconds.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || { log "up.sh must run as root"; exit 1; }

t0=$(date +%s.%N); last=$t0
step() { local now; now=$(date +%s.%N); awk -v a="$last" -v b="$now" -v m="$1" 'BEGIN{printf "[%6.2fs] %s\n", b-a, m}' >&2; last=$now; }

# ---- 1. packages (only what is missing) --------------------------------------
PKGS="munge mariadb-server slurmctld slurmd slurmdbd slurm-client"
need_install() {
  local b
  for b in munged mungekey munge unmunge mariadbd mariadb-install-db mariadb mariadb-admin slurmdbd slurmctld slurmd sbatch sacctmgr sacct squeue scontrol sinfo; do
    command -v "$b" >/dev/null || return 0
  done
  # the MySQL accounting plugin is a separate package that slurmdbd pulls in
  [ -n "$(find /usr/lib -name accounting_storage_mysql.so -print -quit 2>/dev/null)" ] || return 0
  return 1
}
if need_install; then
  # Without systemd the packages' postinst would start the system munged,
  # MariaDB (port 3306) and the Slurm init scripts. A policy-rc.d that says
  # 101 forbids that; it is removed again if we created it.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1
  fi
  trap '[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  # --no-install-recommends keeps out the hdf5/influxdb/rrd plugins. slurmrestd
  # and slurm-wlm-jwt-plugin are not needed: pactum drives the CLI tools.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS >"${TMPDIR:-/tmp}/pactum-slurm-apt.log" 2>&1 \
    || { tail -30 "${TMPDIR:-/tmp}/pactum-slurm-apt.log" >&2; exit 1; }
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  trap - EXIT
  step "packages installed ($PKGS)"
fi

write_env() {
  cat > "$T/env" <<EOT
export SLURM_CONF=$SLURM_CONF
export PACTUM_SLURM_CONF=$SLURM_CONF
export PACTUM_SLURM_DIR=$T
export PACTUM_SLURM_CTL=$SLURM_DIR/ctl.sh
export PACTUM_SLURM_GPUS=$GPUS
export PACTUM_SLURM_FOREIGN=$FOREIGN
EOT
  cat "$T/env"
}

# A second cluster in the same slurmdbd, as at most real sites: it has no
# daemons of its own (only its accounting), and the agent's tests check that
# nothing pactum does reaches it.
add_foreign() { sacctmgr -i add cluster "$FOREIGN" >/dev/null 2>&1 || true; }

# ---- 2. already up? ----------------------------------------------------------
all_up() {
  local n
  for n in munged mysqld slurmdbd slurmctld slurmd; do pid_of $n >/dev/null || return 1; done
  [ -f "$SLURM_CONF" ] && dbd_up && ctld_up && node_up
}
if [ "${FRESH:-0}" != 1 ] && [ -d "$T" ] && all_up; then
  log "slurm cluster under $T is already up"
  # A cluster made before comments were kept gets the flag in place:
  # slurmctld rereads it on reconfigure, and a rebuild would lose the
  # accounting database.
  if ! grep -q '^AccountingStoreFlags=.*job_comment' "$SLURM_CONF"; then
    echo 'AccountingStoreFlags=job_comment' >> "$SLURM_CONF"
    scontrol reconfigure
    log "added AccountingStoreFlags=job_comment to $SLURM_CONF"
  fi
  add_foreign
  write_env
  exit 0
fi
if [ -d "$T" ]; then
  bash "$SLURM_DIR/down.sh"
  rm -rf "$T"
fi

# Another cluster (or a system daemon) on our ports would make the daemons
# below fail with obscure errors; say so plainly instead.
for p in 6817 6818 6819 "$DBPORT"; do
  if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then log "port $p is in use: another Slurm or MariaDB is running"; exit 1; fi
done

H=$(hostname -s)
mkdir -p "$T"/{etc,log,run,state,spool/slurmd,mysql,munge/sock,gpu}
chmod 755 "$T" "$T/etc" "$T/munge" "$T/munge/sock"   # munged wants a+x on the socket's directories

# ---- 3. munge: own key, private socket -------------------------------------
mungekey --create --keyfile="$T/munge/munge.key"
munged --socket="$MUNGE_SOCK" --key-file="$T/munge/munge.key" \
       --pid-file="$T/run/munged.pid" --log-file="$T/log/munged.log" --seed-file="$T/munge/munged.seed"
waitfor 10 bash -c "munge -n -S '$MUNGE_SOCK' | unmunge -S '$MUNGE_SOCK'"
step "munged up"

# ---- 4. MariaDB: private datadir, socket and port --------------------------
mariadb-install-db --no-defaults --user=root --datadir="$T/mysql" \
       --auth-root-authentication-method=socket --skip-test-db > "$T/log/mariadb-install.log" 2>&1
setsid mariadbd --no-defaults --user=root --datadir="$T/mysql" --socket="$T/run/mysqld.sock" \
       --port="$DBPORT" --bind-address=127.0.0.1 --pid-file="$T/run/mysqld.pid" \
       --log-error="$T/log/mysqld.err" --innodb-buffer-pool-size=512M \
       --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 </dev/null >"$T/log/mysqld.out" 2>&1 &
waitfor 30 mariadb-admin --no-defaults --socket="$T/run/mysqld.sock" ping
mariadb --no-defaults --socket="$T/run/mysqld.sock" -e "
  CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurmpw';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"
step "mariadb up"

# ---- 5. configs --------------------------------------------------------------
# Fake GPUs: gres files must exist, and /dev/null symlinks satisfy slurmd
# without a driver (TaskPlugin=task/none, so no cgroup device constraint).
for ((i = 0; i < GPUS; i++)); do ln -sf /dev/null "$T/gpu/gpu$i"; done
NODELINE=$(slurmd -C | head -1)   # NodeName=<host> CPUs= Boards= SocketsPerBoard= CoresPerSocket= ThreadsPerCore= RealMemory=
cat > "$T/etc/gres.conf" <<EOF2
NodeName=$H Name=gpu Type=$GPUTYPE File=$T/gpu/gpu[0-$((GPUS - 1))]
EOF2
cat > "$SLURM_CONF" <<EOF2
ClusterName=$CLUSTER
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool/slurmd
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
InactiveLimit=0
KillWait=5
Waittime=0
GresTypes=gpu
# --- accounting + limits ---
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
# the slurmctld->slurmdbd link ignores AuthInfo; this points it at our munged
AccountingStoragePass=$MUNGE_SOCK
AccountingStorageEnforce=$ENFORCE
# gres/gpu must be tracked for AllocTRES and GrpTRESMins=gres/gpu=...
AccountingStorageTRES=gres/gpu,gres/gpu:$GPUTYPE
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=2
JobCompType=jobcomp/none
# sbatch --comment reaches sacct's Comment column only with this flag
AccountingStoreFlags=job_comment
# GrpTRESMins needs priority/multifactor; no decay and no reset make it a hard
# budget; usage of running jobs is folded in every minute.
PriorityType=priority/multifactor
PriorityDecayHalfLife=0
PriorityUsageResetPeriod=NONE
PriorityCalcPeriod=1
$NODELINE Gres=gpu:$GPUTYPE:$GPUS NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
EOF2
cat > "$T/etc/slurmdbd.conf" <<EOF2
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCK
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=$T/log/slurmdbd.log
PidFile=$T/run/slurmdbd.pid
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DBPORT
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
EOF2
chmod 600 "$T/etc/slurmdbd.conf"   # slurmdbd refuses a group/other-readable file
step "configs written"

# ---- 6. slurmdbd (daemonizes; reads slurmdbd.conf beside \$SLURM_CONF) --------
start_slurmdbd
step "slurmdbd up"
# register the cluster before slurmctld so the first start finds it
sacctmgr -i add cluster "$CLUSTER" >/dev/null
add_foreign
step "clusters $CLUSTER and $FOREIGN added"

# ---- 7. slurmctld + slurmd ---------------------------------------------------
start_slurmctld
start_slurmd
step "slurmctld + slurmd up, node idle"
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "TOTAL %.2fs\n", b-a}' >&2
write_env
