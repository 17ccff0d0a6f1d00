#!/bin/sh
# scripts/slurm-unit.sh - the batch script of a Slurm job array over a plan:
# array task N runs unit OFFSET + N of MANIFEST (docs/distributed.md).
#
#   sbatch --array=0-$((CELLS - 1)) scripts/slurm-unit.sh DIR/plan.json
#
# scripts/slurm-submit.sh computes the array (in chunks of Slurm's
# MaxArraySize) and the merge job for you.  Environment: BENCH (the bench
# to run, default bench on PATH; sbatch passes the submitter's environment),
# HEAPLAB_UNIT_OFFSET (added to the task id; default 0).  Exit status: the
# unit's (0 ok, 1 a check failed, 2 bad input, 3 system).
#SBATCH --job-name=heaplab-unit
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
set -eu
[ $# -eq 1 ] || { echo "slurm-unit.sh: usage: sbatch --array=0-N slurm-unit.sh MANIFEST" >&2; exit 2; }
[ -n "${SLURM_ARRAY_TASK_ID:-}" ] ||
	{ echo "slurm-unit.sh: SLURM_ARRAY_TASK_ID is not set: submit with sbatch --array" >&2; exit 2; }
exec "${BENCH:-bench}" plan --unit "$((${HEAPLAB_UNIT_OFFSET:-0} + SLURM_ARRAY_TASK_ID))" "$1"
