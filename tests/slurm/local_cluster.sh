#!/usr/bin/env bash
# A one-node Slurm cluster on localhost from Debian's slurm-wlm and munge, all of its
# configuration, state, sockets and logs in one folder; run as root (the CI user).
#   source tests/slurm/local_cluster.sh DIR   then   start_cluster / stop_cluster
# Sets SLURM_CONF for the sbatch, squeue and scontrol that follow.
set -euo pipefail

cluster_dir="${1:?usage: local_cluster.sh DIR}"
mkdir -p "$cluster_dir"/{state,spool,log}
cluster_dir="$(cd "$cluster_dir" && pwd)"
export SLURM_CONF="$cluster_dir/slurm.conf"
munge_socket="$cluster_dir/munge.socket"

write_config() {
  local host cpus memory
  host="$(hostname -s)"
  cpus="$(nproc)"
  memory="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))"
  cat > "$SLURM_CONF" <<CONF
ClusterName=cxtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$munge_socket
CredType=cred/munge
StateSaveLocation=$cluster_dir/state
SlurmdSpoolDir=$cluster_dir/spool
SlurmctldPidFile=$cluster_dir/slurmctld.pid
SlurmdPidFile=$cluster_dir/slurmd.pid
SlurmctldLogFile=$cluster_dir/log/slurmctld.log
SlurmdLogFile=$cluster_dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmdTimeout=60
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

start_cluster() {
  write_config
  if [[ ! -f "$cluster_dir/munge.key" ]]; then
    dd if=/dev/urandom of="$cluster_dir/munge.key" bs=1024 count=1 status=none
    chmod 400 "$cluster_dir/munge.key"
  fi
  munged --force --key-file="$cluster_dir/munge.key" --socket="$munge_socket" --pid-file="$cluster_dir/munged.pid" \
    --log-file="$cluster_dir/log/munged.log" --seed-file="$cluster_dir/munged.seed"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  # Up when the node takes jobs.
  for _ in $(seq 1 60); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then return 0; fi
    sleep 1
  done
  echo "Slurm did not come up; its logs:" >&2
  tail -n 20 "$cluster_dir"/log/*.log >&2
  return 1
}

stop_cluster() {
  for pid in slurmd slurmctld munged; do
    [[ -f "$cluster_dir/$pid.pid" ]] && kill "$(cat "$cluster_dir/$pid.pid")" 2>/dev/null || true
  done
  sleep 1
}
