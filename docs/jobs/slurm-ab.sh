#!/bin/bash
# A guardrail A/B sweep as a Slurm job array: each array task runs one shard of the cells; a final job merges
# them. Submit from a checkout with `npm ci` done, on a shared filesystem:
#   sbatch docs/jobs/slurm-ab.sh
#   sbatch --dependency=afterok:<array job id> --wrap "npx sidequest ab merge runs/ab-rome-shard-* --out runs/ab-rome"
#SBATCH --job-name=sidequest-ab
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=02:00:00
set -euo pipefail
N=8   # keep equal to the number of array tasks
npx sidequest ab rome --arms none,blocklist,allowlist,sandbox,monitor,penalty,lagrangian,impact,safe-pretrain \
  --seeds 10 --steps 300000 --shard "${SLURM_ARRAY_TASK_ID}/${N}" --out "runs/ab-rome-shard-${SLURM_ARRAY_TASK_ID}" --quiet
