#!/bin/sh
# workloads/malloclab/generate.sh - regenerate the malloclab-style set (see
# README.md here).  Deterministic: `bench gen` gives the same bytes for the
# same profile, --ops and --seed on any machine.
#
#   sh workloads/malloclab/generate.sh [BENCH]
set -eu
cd "$(dirname "$0")/../.."
BENCH=${1:-./bench}
gen() {  # gen PROFILE OPS SEED
	"$BENCH" gen "$1" --ops "$2" --seed "$3" -o "workloads/malloclab/$1-$3.trace"
}
for seed in 2 3; do
	gen compiler 12000 $seed
	gen coalescing 12000 $seed
	gen random 12000 $seed
	gen realloc 12000 $seed
done
gen binary 12000 2      # one round: 64 + 448 byte pairs, the 448s freed, then 512s
gen binary 24000 3      # two rounds: then 16 + 112 byte pairs, the 112s freed, then 128s
