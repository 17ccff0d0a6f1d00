#!/bin/sh
# workloads/malloclab/generate.sh - regenerate the malloclab-style set (see
# README.md here).  Deterministic: `bench gen` gives the same bytes for the
# same profile, --ops and --seed on any machine.
#
#   sh workloads/malloclab/generate.sh [BENCH]
set -eu
cd "$(dirname "$0")/../.."
BENCH=${1:-./bench}
for profile in compiler coalescing random binary realloc; do
	for seed in 2 3; do
		"$BENCH" gen "$profile" --ops 12000 --seed "$seed" \
			-o "workloads/malloclab/$profile-$seed.trace"
	done
done
