#!/bin/sh
# tests/cli/bad_input.sh - the catalogue of bad input, end to end through the
# command line.  Every case asserts the exact exit status (2 for bad usage or
# input, 3 for a system or output error), the exact one-line message
# ("bench: FILE:LINE: problem" for a trace, "bench: --option: ..." for an
# option), and that nothing is written: each case runs with --out into an
# empty directory of its own, which must still be empty afterwards (no result,
# no temporary file).  A few near-misses that must be ACCEPTED (CRLF, missing
# final newline, ID 2^32-1, SIZE 2^64-1, a 4096-byte line) are here too, so the
# limits are pinned from both sides.
#
# The traces themselves are one table, tests/data/bad_traces.tsv, which
# tests/unit/test_trace.c also reads (trace_parse must give the same message);
# this file checks what a user sees.  Bytes printf cannot write live in
# tests/data/bad/ or are made below.
. tests/lib.sh

DATA=tests/data/bad
N=0

# A fresh trace path and an empty output directory for the next case.
next_case() {
	N=$((N + 1))
	F=$TMP/case$N.trace
	D=$TMP/out$N
	mkdir "$D"
}

# stderr is exactly the one line $1.
err_is() {
	got=$(cat "$ERR")
	[ "$got" = "$1" ] || { echo "    stderr: $got"; echo "    wanted: $1"; return 1; }
}

# Nothing was written into $D: no result, no temporary file.
nothing_written() {
	left=$(ls -A "$D")
	[ -z "$left" ] || { echo "    left behind in the output directory: $left"; return 1; }
}

# run_rejected CODE MESSAGE BENCH-ARGS...: bench exits CODE, says exactly
# MESSAGE on stderr, nothing on stdout, and writes nothing into $D.
run_rejected() {
	code=$1 msg=$2; shift 2
	expect_exit "$code" "$BENCH" "$@" --runs 1 --out "${TARGET:-$D/r.json}" -q &&
	err_is "$msg" &&
	[ ! -s "$OUT" ] && [ ! -e "$D/r.json" ] && nothing_written
}

# bad NAME FORMAT WHERE: a trace made by printf FORMAT is refused with exit 2
# and the message "bench: FILE" followed by WHERE (":LINE: problem" or ": problem").
bad() {
	next_case
	printf "$2" > "$F"
	check "rejects $1" run_rejected 2 "bench: $F$3" --alloc bump --trace "$F"
}

# bad_file NAME PATH WHERE: same for a file that exists already.
bad_file() {
	next_case
	check "rejects $1" run_rejected 2 "bench: $2$3" --alloc bump --trace "$2"
}

# bad_option NAME MESSAGE ARGS...: a bad command line on a good trace.
GOOD=$TMP/good.trace
printf 'a 0 24\nc 1 4 10\nm 2 64 40\nr 0 300\nf 1\nf 0\nf 2\n' > "$GOOD"
bad_option() {
	name=$1 msg=$2; shift 2
	next_case
	check "rejects $name" run_rejected 2 "bench: $msg" --trace "$GOOD" "$@"
}

# accepted: the result is written, valid, status ok, and it is the only file.
run_accepted() {
	expect_exit 0 "$BENCH" "$@" --runs 1 --out "$D/r.json" -q &&
	jq -e '.status == "ok" and .check.passed' "$D/r.json" > /dev/null &&
	[ "$(ls -A "$D")" = r.json ]
}
ok() {
	next_case
	printf "$2" > "$F"
	check "accepts $1" run_accepted --alloc bump --trace "$F"
}

# The catalogue of tests/data/bad_traces.tsv (EXIT, NAME, INPUT, MESSAGE, one
# tab between), which tests/unit/test_trace.c reads too.
TAB=$(printf '\t')
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	code=${line%%"$TAB"*} rest=${line#*"$TAB"}
	name=${rest%%"$TAB"*} rest=${rest#*"$TAB"}
	input=${rest%%"$TAB"*} msg=${rest#*"$TAB"}
	case $code in
	0) ok "$name" "$input" ;;
	2) bad "$name" "$input" "$msg" ;;
	*) echo "FAIL    bad_traces.tsv: exit code '$code' for $name"; T_FAILED=$((T_FAILED + 1)) ;;
	esac
done < tests/data/bad_traces.tsv

## whole files that printf cannot write
bad_file "a file of binary garbage" "$DATA/garbage.bin" \
	':1: unknown operation "\x7fELF\x02\x01\x01\xff\xfe" (expected a, c, r, m, f or t)'
bad_file "the start of an ELF binary" "$DATA/elf-header.bin" \
	':1: NUL byte at column 8 (is this a binary file?)'
bad_file "a NUL byte inside an operation line" "$DATA/nul-byte.trace" \
	':2: NUL byte at column 6 (is this a binary file?)'
next_case
{ printf 'a 1 8\n'; head -c 5000000 /dev/zero | tr '\0' 7; printf '\nf 1\n'; } > "$F"
check "rejects a single line of 5 MB" \
	run_rejected 2 "bench: $F:2: line is 5000000 bytes long (the limit is 4096)" \
	--alloc bump --trace "$F"
next_case
{ printf 'a 1 8'; head -c 4090 /dev/zero | tr '\0' ' '; printf '#\r\nf 1\n'; } > "$F"
check "accepts a line of exactly 4096 bytes (CRLF not counted)" run_accepted --alloc bump --trace "$F"
next_case
{ printf 'a 1 8'; head -c 4091 /dev/zero | tr '\0' ' '; printf '#\nf 1\n'; } > "$F"
check "rejects a line of 4097 bytes" \
	run_rejected 2 "bench: $F:1: line is 4097 bytes long (the limit is 4096)" \
	--alloc bump --trace "$F"

# A recording cut short ends in zero bytes (preallocated, never written),
# maybe after half a line: read up to the last complete line, with a warning.
cut_short() {
	run_accepted --alloc bump --trace "$F" &&
	err_is "bench: $F: warning: the last $1 bytes (zero bytes after the last complete line: a recording cut short) are ignored" &&
	[ "$(jq .ops.replayed "$D/r.json")" -eq "$2" ]
}
next_case
{ printf 'a 1 8\na 2 16\nf 1\na 3 4'; head -c 1000 /dev/zero; } > "$F"
check "accepts a trace cut short in zero bytes after half a line (reads 3 ops)" cut_short 1005 3
next_case
{ printf 'a 1 8\nf 1\n'; head -c 4096 /dev/zero; } > "$F"
check "accepts a trace cut short in zero bytes after a complete line" cut_short 4096 2
next_case
{ printf 'a 1 8'; head -c 100 /dev/zero; } > "$F"
check "rejects zero bytes with no complete line before them" \
	run_rejected 2 "bench: $F:1: NUL byte at column 6 (is this a binary file?)" \
	--alloc bump --trace "$F"

mkdir "$TMP/adir"
# A directory names the traces in it (a suite); one with none is bad input.
bad_file "a directory without traces as the trace" "$TMP/adir" ': no *.trace or *.rep file in it'
bad_file "a missing file" "$TMP/no-such.trace" ': cannot read: No such file or directory'
# Root reads any file whatever its mode, so unreadability comes from the path:
# a regular file used as a directory fails with ENOTDIR for everyone.
bad_file "a path through a file (unreadable)" "$GOOD/x" ': cannot read: Not a directory'
bad_file "a character device with nothing in it" /dev/null ': no operations'
next_case
check "rejects an empty trace name" run_rejected 2 "bench: --trace: empty file name" \
	--alloc bump --trace ''
empty_out() {
	expect_exit 2 "$BENCH" --alloc bump --trace "$GOOD" --runs 1 --out '' &&
	err_is "bench: --out: empty file name" && [ ! -s "$OUT" ]
}
check "rejects an empty output name before running (exit 2)" empty_out

## naming traces: a comma in a file name, repeated --trace, @LIST
next_case
cp "$GOOD" "$D/../comma,name.trace"
check "accepts a trace whose file name holds a comma (an existing name is taken whole)" \
	run_accepted --alloc bump --trace "$D/../comma,name.trace"
several_traces() {   # ARGS...: a suite of bump on GOOD and comma,name.trace
	expect_exit 0 "$BENCH" --alloc bump "$@" --runs 1 --out "$D/s" -q &&
	jq -e --arg a "$GOOD" --arg b "$TMP/comma,name.trace" \
		'[.cells[] | .trace] == [$a, $b] and ([.cells[] | .status == "ok"] | all)' \
		"$D/s/summary.json" > /dev/null
}
next_case
check "accepts --trace repeated: each occurrence one more trace" \
	several_traces --trace "$GOOD" --trace "$TMP/comma,name.trace"
next_case
printf '# traces, one a line\n%s\n\n%s\r\n' "$GOOD" "$TMP/comma,name.trace" > "$TMP/list$N.txt"
check "accepts --trace @LIST: one name a line, taken whole; comments, blanks and CRLF skipped" \
	several_traces --trace "@$TMP/list$N.txt"
next_case
check "rejects a --trace @LIST that does not exist" run_rejected 2 \
	"bench: $TMP/no-list.txt: cannot read: No such file or directory" \
	--alloc bump --trace "@$TMP/no-list.txt"
next_case
printf '# nothing\n\n' > "$TMP/empty-list.txt"
check "rejects a --trace @LIST that names no trace" run_rejected 2 \
	"bench: $TMP/empty-list.txt: names no trace" --alloc bump --trace "@$TMP/empty-list.txt"
next_case
printf '%s\n%s\n' "$GOOD" "$TMP/no-such.trace" > "$TMP/bad-list.txt"
check "rejects a --trace @LIST naming a missing trace (exit 2, nothing run)" run_rejected 2 \
	"bench: $TMP/no-such.trace: cannot read: No such file or directory" \
	--alloc bump --trace "@$TMP/bad-list.txt"

## the command line
bad_option "an unknown allocator" "unknown allocator 'xyz' (try --list)" --alloc xyz
bad_option "an allocator name in the wrong case" "unknown allocator 'BUMP' (try --list)" \
	--alloc BUMP
bad_option "an empty allocator name" "--alloc: empty allocator name" --alloc ''
bad_option "--runs 0" "--runs: must be at least 1" --alloc bump --runs 0
bad_option "--runs abc" "--runs: 'abc' is not a whole number" --alloc bump --runs abc
bad_option "--runs -1" \
	"--runs: '-1' is not a whole number (negative values make no sense here)" \
	--alloc bump --runs -1
bad_option "--runs 1001" "--runs: must be at most 1000" --alloc bump --runs 1001
bad_option "--runs 1.5" "--runs: '1.5' is not a whole number" --alloc bump --runs 1.5
bad_option "--check abc" "--check: 'abc' is not a whole number" --alloc bump --check abc
bad_option "--check -5" \
	"--check: '-5' is not a whole number (negative values make no sense here)" \
	--alloc bump --check -5
bad_option "--heap-limit 12Q" \
	"--heap-limit: '12Q' is not a whole number (K, M, G or T may follow)" \
	--alloc bump --heap-limit 12Q
bad_option "--heap-limit 0" "--heap-limit: must be at least 1" --alloc bump --heap-limit 0
bad_option "--heap-limit past 64 bits" "--heap-limit: '99999999T' is too large" \
	--alloc bump --heap-limit 99999999T
if "$BENCH" --help | grep -q -- '--timeout'; then
	bad_option "--timeout -1" \
		"--timeout: '-1' is not a whole number (negative values make no sense here)" \
		--alloc bump --timeout -1
	bad_option "--timeout abc" "--timeout: 'abc' is not a whole number" \
		--alloc bump --timeout abc
else
	echo "skip --timeout -1 and --timeout abc: this bench has no --timeout option yet"
fi

## where the result goes
next_case
TARGET=$D/no/such/r.json
check "refuses an output path in a missing directory (exit 3, nothing created)" \
	run_rejected 3 \
	"bench: $D/no/such/r.json: cannot create a file in $D/no/such: No such file or directory" \
	--alloc bump --trace "$GOOD"
TARGET=
next_case
TARGET=$TMP/adir
check "refuses an existing directory as the output (exit 3)" \
	run_rejected 3 "bench: $TMP/adir: is a directory" --alloc bump --trace "$GOOD"
TARGET=
[ -z "$(ls -A "$TMP/adir")" ] || { echo "FAIL    bench wrote into $TMP/adir"; T_FAILED=$((T_FAILED + 1)); }
# --out naming the input trace (by its name, a symlink or a hard link): the
# trace would be overwritten, so it is refused before running, unchanged.
out_is_input() {
	cp "$GOOD" "$D/in.trace"
	sum=$(cksum < "$D/in.trace")
	expect_exit 2 "$BENCH" --alloc bump --trace "$1" --runs 1 --out "$2" -q &&
	err_is "bench: $2: --out names the input $1; it would be overwritten" &&
	[ "$(cksum < "$D/in.trace")" = "$sum" ] && [ "$(ls -A "$D" | tr '\n' ' ')" = "$3" ]
}
next_case
check "refuses --out naming the input trace (exit 2, the trace unchanged)" \
	out_is_input "$D/in.trace" "$D/in.trace" "in.trace "
next_case
ln -s in.trace "$D/link.json"
check "refuses --out that is a symlink to the input trace" \
	out_is_input "$D/in.trace" "$D/link.json" "in.trace link.json "
next_case
check "refuses --out naming the input through a hard link" \
	sh -c 'cp "$1" "$2/in.trace" && ln "$2/in.trace" "$2/hard.json"' sh "$GOOD" "$D"
check "refuses --out that is a hard link to the input trace" \
	out_is_input "$D/in.trace" "$D/hard.json" "hard.json in.trace "

# A suite reads every input and checks where results go before running: a
# missing or bad trace among good ones, or a results folder under a file,
# runs nothing and writes nothing (no summary.json, no results/<time>/).
suite_rejected() {
	code=$1 msg=$2; shift 2
	expect_exit "$code" "$BENCH" "$@" --runs 1 -q && err_is "$msg" && [ ! -s "$OUT" ] &&
	nothing_written
}
next_case
check "a suite with a missing trace runs nothing (exit 2, no folder created)" \
	suite_rejected 2 "bench: $TMP/no-such.trace: cannot read: No such file or directory" \
	--alloc bump,tlsf --trace "$GOOD,$TMP/no-such.trace" --out "$D/suite"
next_case
printf 'a 1 8\nf 2\n' > "$F"
check "a suite with a bad trace after a good one runs nothing (exit 2)" \
	suite_rejected 2 "bench: $F:2: free of block 2, which is not live (it was never allocated)" \
	--alloc bump,tlsf --trace "$GOOD,$F" --out "$D/suite"
next_case
suite_no_results_folder() {
	case $BENCH in /*) b=$BENCH ;; *) b=$PWD/$BENCH ;; esac
	(cd "$D" && "$b" --alloc bump,tlsf --trace "$GOOD,$TMP/no-such.trace" --runs 1 -q \
	    > "$OUT" 2> "$ERR"; [ $? -eq 2 ]) && nothing_written
}
check "a suite with a missing trace and no --out creates no results/ folder" \
	suite_no_results_folder
next_case
check "a suite whose results folder would be under a file runs nothing (exit 3)" \
	suite_rejected 3 "bench: $GOOD/suite: cannot create the results folder: Not a directory" \
	--alloc bump,tlsf --trace "$GOOD,$GOOD" --out "$GOOD/suite"
dev_full() {
	[ -c /dev/full ] || { echo "    no /dev/full here"; return 0; }
	expect_exit 3 "$BENCH" --alloc bump --trace "$GOOD" --runs 1 --out /dev/full -q &&
	err_is "bench: /dev/full: No space left on device" && [ -c /dev/full ]
}
check "refuses a full device (exit 3) and leaves /dev/full a character device" dev_full

# --out through a dangling symlink: the result is written (atomically) where
# the link points, in a folder that exists, and the link stays a link.
next_case
mkdir "$D/sub"
ln -s sub/r.json "$D/link.json"
dangling() {
	expect_exit 0 "$BENCH" --alloc bump --trace "$GOOD" --runs 1 --out "$D/link.json" -q &&
	[ -L "$D/link.json" ] && jq -e '.status == "ok"' "$D/sub/r.json" > /dev/null &&
	[ "$(ls -A "$D/sub")" = r.json ]
}
check "accepts --out through a dangling symlink (writes its target, keeps the link)" dangling

# A reader that goes away is an output error (exit 3), not a death by SIGPIPE.
closed_pipe() {
	# the reader has gone before bench starts (sleep), so the write must fail
	{ sleep 0.3; "$BENCH" --alloc bump --trace "$GOOD" --runs 1 --json -q 2> "$ERR"
	  echo $? > "$TMP/pipe.rc"; } | true
	[ "$(cat "$TMP/pipe.rc")" -eq 3 ] && err_is "bench: standard output: Broken pipe"
}
check "a closed standard output (| head -c1) exits 3 with a message" closed_pipe
record_dev_full() {
	[ -c /dev/full ] || { echo "    no /dev/full here"; return 0; }
	expect_exit 3 "$BENCH" record -o /dev/full -- true &&
	err_is "bench: record: /dev/full is not a regular file (the recorder maps the trace into memory)"
}
check "record -o /dev/full exits 3 (the trace cannot be written there)" record_dev_full

echo "$N catalogue cases"
finish
