#!/usr/bin/env bash
# Runs the committed Slurm job file (docs/jobs/slurm-ab.sh) for real: installs Debian's slurm-wlm and munge if
# they are missing, starts a one-node Slurm on this machine (munged, slurmctld, slurmd; state in a temporary
# folder), submits the job file as a 2-task array job for a tiny experiment, waits for it, merges the shards with
# `sidequest ab merge`, runs the same experiment unsharded, and checks the two reports are equal except for their
# provenance (date, command line), which differ by design. Needs root (it starts daemons and writes
# /etc/slurm/slurm.conf); run from the repository root after `npm ci`:
#   bash scripts/slurm-verify.sh
# Exit status: 0 equal, 1 different or the job failed, 3 Slurm could not be started here (nothing was compared).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
WORK="$(mktemp -d /tmp/sq-slurm-XXXXXX)"
say() { printf 'slurm-verify: %s\n' "$*" >&2; }
cannot() { say "cannot start Slurm here: $*"; exit 3; }

if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  say "installing slurm-wlm and munge (Debian packages)"
  apt-get update -qq || cannot "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null || cannot "apt-get install slurm-wlm munge failed"
fi

# ---- a one-node cluster: this machine, all its cores, root as the Slurm user (a throwaway test cluster)
HOST="$(hostname -s)"
CPUS="$(nproc)"
MEM_MB="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))"
mkdir -p /etc/slurm "$WORK/ctld" "$WORK/d" /run/munge /var/log/munge /var/lib/munge
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=sidequest-verify
SlurmctldHost=${HOST}
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=${WORK}/ctld
SlurmdSpoolDir=${WORK}/d
SlurmctldPidFile=${WORK}/slurmctld.pid
SlurmdPidFile=${WORK}/slurmd.pid
SlurmctldLogFile=${WORK}/slurmctld.log
SlurmdLogFile=${WORK}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
NodeName=${HOST} CPUs=${CPUS} RealMemory=${MEM_MB} State=UNKNOWN
PartitionName=main Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
EOF
# slurm-wlm 22.05 (Debian 12) knows no "disabled" cgroup plugin, and needs none with these plugins
rm -f /etc/slurm/cgroup.conf # none: proctrack/linuxproc and task/none need no cgroups

if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || su -s /bin/sh munge -c 'munged' 2>/dev/null || munged --force 2>/dev/null || cannot "munged did not start"

cleanup() {
  [ -f "$WORK/slurmd.pid" ] && kill "$(cat "$WORK/slurmd.pid")" 2>/dev/null || true
  [ -f "$WORK/slurmctld.pid" ] && kill "$(cat "$WORK/slurmctld.pid")" 2>/dev/null || true
}
trap cleanup EXIT
slurmctld || cannot "slurmctld did not start ($(tail -n 3 "$WORK/slurmctld.log" 2>/dev/null | tr '\n' ' '))"
slurmd || cannot "slurmd did not start ($(tail -n 3 "$WORK/slurmd.log" 2>/dev/null | tr '\n' ' '))"
for i in $(seq 1 60); do
  state="$(sinfo -h -N -o '%t' 2>/dev/null | head -n 1 || true)"
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 1
done
case "$state" in idle*|mix*|alloc*) say "one-node Slurm up: ${HOST}, ${CPUS} CPUs (node state ${state})" ;; *) cannot "the node did not come up (state '${state}')" ;; esac

# ---- the tiny experiment: 2 arms × 2 seeds, as a 2-task array of the committed job file
export SQ_SCENARIO=rome SQ_ARMS=none,sandbox SQ_SEEDS=2 SQ_STEPS=4096 SQ_EVAL_EPISODES=20 SQ_OUT="$WORK/ab"
job="$(sbatch --parsable --array=0-1 --cpus-per-task=1 --mem=2G --time=00:20:00 --chdir="$REPO" \
  --output="$WORK/shard-%a.out" docs/jobs/slurm-ab.sh)" || { say "sbatch refused the job file"; exit 1; }
say "submitted array job ${job} (docs/jobs/slurm-ab.sh, 2 tasks)"
deadline=$(( $(date +%s) + 1200 ))
while squeue -h -j "$job" 2>/dev/null | grep -q .; do
  [ "$(date +%s)" -lt "$deadline" ] || { say "job ${job} still running after 20 minutes"; scancel "$job"; exit 1; }
  sleep 3
done
for k in 0 1; do
  if [ ! -f "$WORK/ab-shard-$k/experiment.json" ]; then
    say "shard $k wrote no experiment (its output follows)"; cat "$WORK/shard-$k.out" >&2 || true; exit 1
  fi
done
say "both array tasks finished; merging"
npx sidequest ab merge "$WORK/ab-shard-0" "$WORK/ab-shard-1" --out "$WORK/merged" >&2
say "running the same experiment unsharded"
npx sidequest ab "$SQ_SCENARIO" --arms "$SQ_ARMS" --seeds "$SQ_SEEDS" --steps "$SQ_STEPS" --eval-episodes "$SQ_EVAL_EPISODES" \
  --out "$WORK/whole" --quiet >&2
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const [a, b] = process.argv.slice(1).map((d) => JSON.parse(readFileSync(`${d}/results.json`, "utf8")));
  // provenance says when and how each report was made: it differs by design; everything else must be equal
  for (const r of [a, b]) delete r.provenance;
  const x = JSON.stringify(a), y = JSON.stringify(b);
  if (x !== y) { console.error("slurm-verify: the merged report differs from the unsharded one"); process.exit(1); }
  console.error(`slurm-verify: merged report (Slurm array job) equals the unsharded run: ${Object.keys(a.arms).length} arms, ${a.arms.none.seeds.length} seeds`);
' "$WORK/merged" "$WORK/whole"
