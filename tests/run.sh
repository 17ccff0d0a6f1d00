#!/bin/sh
# tests/run.sh - the whole test suite: unit tests, then the command-line tests
# (tests/cli/*.sh).  Ends with one line "N passed, N failed"; exits non-zero
# if anything failed.
#
# Environment: BENCH (the bench binary), UNIT (the unit-test binary).
set -u
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
UNIT=${UNIT:-./build/unit-tests}
export BENCH
passed=0
failed=0

tally() {  # read a "N passed, N failed" line from file $1 into the totals
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -z "$line" ]; then
		echo "run.sh: $2 printed no summary line: counted as one failure"
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*, }; f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "== unit tests"
"$UNIT" > "$out" 2>&1
grep -v '^ok ' "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed' || true
tally "$out" unit

for t in tests/cli/*.sh; do
	[ -e "$t" ] || continue
	echo "== $t"
	sh "$t" > "$out" 2>&1
	grep -v '^ok ' "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed' || true
	tally "$out" "$t"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
