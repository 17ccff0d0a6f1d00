#!/bin/sh
# scripts/slurm-submit.sh - run a plan on a Slurm cluster: a job array over
# its units, then a job that merges their results (docs/distributed.md).
#
#   scripts/slurm-submit.sh [-w] MANIFEST [SBATCH OPTIONS...]
#
# MANIFEST is DIR/plan.json, written by `bench plan ... --out DIR`.  DIR and
# the traces must be on a file system every node sees, at the same paths.
# Arrays are cut at 1000 tasks (Slurm's default MaxArraySize is 1001); the
# merge job waits for all of them (afterany: a failed unit leaves its cell
# not-run in summary.json, and resubmitting the same plan runs only the
# missing units).  -w waits until the merge job ends and exits with its
# status.  SBATCH OPTIONS go to every job (e.g. --partition=x --time=10).
# Prints the job ids.  Environment: BENCH (default: bench on PATH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-bench}
export BENCH
wait=
[ "${1:-}" = -w ] && { wait=--wait; shift; }
[ $# -ge 1 ] || { echo "slurm-submit.sh: usage: slurm-submit.sh [-w] MANIFEST [SBATCH OPTIONS...]" >&2; exit 2; }
manifest=$1; shift
command -v sbatch > /dev/null 2>&1 || { echo "slurm-submit.sh: sbatch not found (Slurm)" >&2; exit 3; }
cells=$(jq -e -r 'select(.schema == "heaplab-plan") | .cells' "$manifest" 2> /dev/null) ||
	{ echo "slurm-submit.sh: $manifest: not a heaplab plan (bench plan --out DIR writes DIR/plan.json)" >&2; exit 2; }
dir=$(dirname "$manifest")
[ "$cells" -gt 0 ] || { echo "slurm-submit.sh: $manifest has no units" >&2; exit 2; }
chunk=1000
jobs=
off=0
while [ $off -lt "$cells" ]; do
	n=$((cells - off)); [ $n -le $chunk ] || n=$chunk
	id=$(sbatch --parsable --array=0-$((n - 1)) --export=ALL,HEAPLAB_UNIT_OFFSET=$off \
		--output="$dir/.slurm-%A_%a.log" "$@" "$here/slurm-unit.sh" "$manifest")
	id=${id%%;*}
	echo "slurm-submit.sh: units $off-$((off + n - 1)): job $id" >&2
	jobs=${jobs:+$jobs:}$id
	off=$((off + n))
done
# The merge is quick; it runs on whichever node once every unit has ended.
merge=$(sbatch --parsable $wait --dependency=afterany:$jobs --job-name=heaplab-merge \
	--output="$dir/.slurm-merge-%j.log" "$@" --wrap "exec \"\$BENCH\" merge '$dir'") && code=0 || code=$?
echo "slurm-submit.sh: merge: job ${merge%%;*} (writes $dir/summary.json)" >&2
echo "$jobs:${merge%%;*}"
exit $code
