#!/bin/bash
# A guardrail A/B sweep as a Slurm job array: each array task runs one shard of the cells (shard i of N, with N
# the array's size), then a job that depends on the array merges them. Submit from a checkout with `npm ci` done,
# on a filesystem every node shares:
#   sbatch docs/jobs/slurm-ab.sh
#   sbatch --dependency=afterok:<array job id> --wrap "npx sidequest ab merge runs/ab-rome-shard-* --out runs/ab-rome"
# The experiment is set by environment variables (sbatch passes the submitter's environment), defaults below:
#   SQ_SCENARIO SQ_ARMS SQ_SEEDS SQ_STEPS SQ_EVAL_EPISODES SQ_OUT (shard k writes ${SQ_OUT}-shard-k)
# scripts/slurm-verify.sh runs this very file on a one-node Slurm and checks the merge equals an unsharded run;
# docs/jobs/k8s-ab.yaml runs the same command per index.
#SBATCH --job-name=sidequest-ab
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
set -euo pipefail
SCENARIO="${SQ_SCENARIO:-rome}"
ARMS="${SQ_ARMS:-none,blocklist,allowlist,sandbox,monitor,penalty,lagrangian,impact,safe-pretrain}"
SEEDS="${SQ_SEEDS:-10}"
STEPS="${SQ_STEPS:-1000000}"
EVAL_EPISODES="${SQ_EVAL_EPISODES:-200}"
OUT="${SQ_OUT:-runs/ab-${SCENARIO}}"
N="${SLURM_ARRAY_TASK_COUNT:?run this as an array job (sbatch --array=0-K)}"
K="${SLURM_ARRAY_TASK_ID:?run this as an array job}"
exec npx sidequest ab "$SCENARIO" --arms "$ARMS" --seeds "$SEEDS" --steps "$STEPS" --eval-episodes "$EVAL_EPISODES" \
  --shard "${K}/${N}" --out "${OUT}-shard-${K}" --quiet
