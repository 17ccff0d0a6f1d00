# tests/lib.sh - helpers for the command-line tests; source it.
#
#   check NAME COMMAND...     runs a test body (a shell function or command);
#                             it passes when it returns 0.
#   expect_exit CODE CMD...   runs CMD, stores stdout/stderr in $OUT/$ERR files,
#                             fails unless the exit status is CODE.
#   finish                    prints "N passed, N failed" and sets the exit code.
BENCH=${BENCH:-./bench}
T_PASSED=0
T_FAILED=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr

check() {
	name=$1; shift
	if "$@"; then
		T_PASSED=$((T_PASSED + 1)); echo "ok   $name"
	else
		T_FAILED=$((T_FAILED + 1)); echo "FAIL $name"
		sed 's/^/    stderr: /' "$ERR" 2>/dev/null | head -5
	fi
}

expect_exit() {
	want=$1; shift
	"$@" > "$OUT" 2> "$ERR"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "    $*: exit $got, expected $want"
		return 1
	fi
	return 0
}

# stderr contains the fixed string $1
err_has() { grep -qF -- "$1" "$ERR" || { echo "    stderr lacks: $1"; return 1; }; }
out_has() { grep -qF -- "$1" "$OUT" || { echo "    stdout lacks: $1"; return 1; }; }

finish() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}
