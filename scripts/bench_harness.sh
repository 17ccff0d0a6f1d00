#!/bin/sh
# scripts/bench_harness.sh - how much the harness itself costs (docs/speed.md):
# trace loading speed, the timed replay loop against its floor, the checked
# pass against a timed pass, and the memory a decoded trace takes.
#
# Traces are generated deterministically (bench gen, fixed seeds) into
# $DATA (default build/bench-data) and reused while they exist.
#
# Environment: BENCH (./bench), HBENCH (./build/bench-harness), DATA,
# REPS_LOAD (5), REPS_REPLAY (11), REPS_CHECK (3), ALLOCS ("tlsf segregated").
set -eu
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
HBENCH=${HBENCH:-./build/bench-harness}
DATA=${DATA:-build/bench-data}
REPS_LOAD=${REPS_LOAD:-5}
REPS_REPLAY=${REPS_REPLAY:-11}
REPS_CHECK=${REPS_CHECK:-3}
ALLOCS=${ALLOCS:-tlsf segregated}

mkdir -p "$DATA"
trace() {  # trace FILE PROFILE OPS: generate FILE unless it is there
	if [ ! -s "$DATA/$1" ]; then
		"$BENCH" gen "$2" --ops "$3" --seed 1 -o "$DATA/$1.tmp" >/dev/null
		mv "$DATA/$1.tmp" "$DATA/$1"
	fi
}
# random: ~2000 IDs reused over and over; grow: 4.75M distinct IDs, 5% freed at random
trace random-5m.trace random 5000000
trace grow-5m.trace grow 5000000
trace grow-2.2m.trace grow 2200000

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
echo "heaplab harness speed: $cpu, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "medians of $REPS_LOAD (load), $REPS_REPLAY (replay), $REPS_CHECK (check) repetitions, (min-max)"
printf '%-36s %-16s %s\n' "what" "trace" "figure"
for t in random-5m grow-5m; do
	"$HBENCH" load "$DATA/$t.trace" "$REPS_LOAD"
done
for t in random-5m grow-5m; do
	"$HBENCH" replay "$DATA/$t.trace" "$REPS_REPLAY"
done
for a in $ALLOCS; do
	"$HBENCH" check "$DATA/grow-2.2m.trace" "$a" "$REPS_CHECK"
done
# the payload-heavy case: blocks of 1-4096 bytes, every one filled and verified
"$HBENCH" check "$DATA/random-5m.trace" "${ALLOCS%% *}" "$REPS_CHECK"
for t in random-5m grow-5m; do
	"$HBENCH" memory "$DATA/$t.trace"
done
