#!/bin/sh
# workloads/record.sh - re-record the traces of real Debian programs shipped
# in workloads/ (see the table in workloads/README.md).  Run from the source
# tree after `make`: sh workloads/record.sh [NAME...]
#
# Recorded traces depend on the program versions installed (Debian 12 here:
# sqlite3 3.40, jq 1.6, python3.11, perl 5.36, gcc 12), so a re-recording is
# similar, not identical.  Every program is run on deterministic input.
set -eu
cd "$(dirname "$0")/.."
BENCH=${BENCH:-./bench}
CAP=50000    # operations per trace: ~0.5 MB of text; keeps O(n) allocators usable
W=workloads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

selected() {
	[ -z "$names" ] && return 0
	for n in $names; do [ "$n" = "$1" ] && return 0; done
	return 1
}
names="$*"

if selected sqlite; then
	$BENCH record -o $W/sqlite.trace --max-ops $CAP -- \
		sqlite3 :memory: < $W/src/sqlite.sql > /dev/null
fi
if selected jq; then
	# build 6000 records, filter, group and reshape them
	$BENCH record -o $W/jq.trace --max-ops $CAP -- jq -n -c '
		[range(6000) | {id: ., name: "user\(.)", score: ((. * 7919) % 1000),
		                tags: [range(. % 5) | "t\(.)"]}]
		| map(select(.score > 300)) | group_by(.score % 10)
		| map({bucket: (.[0].score % 10), n: length,
		       names: (map(.name) | sort | .[0:3]), tags: (map(.tags[]) | unique)})' \
		> /dev/null
fi
if selected python; then
	# PYTHONMALLOC=malloc: every object goes through malloc, not pymalloc's arenas
	PYTHONMALLOC=malloc $BENCH record -o $W/python.trace --max-ops $CAP -- \
		/usr/bin/python3 -S -c '
import json
words = ["w%d" % (i * 7919 % 5000) for i in range(40000)]
freq = {}
for w in words:
    freq[w] = freq.get(w, 0) + 1
top = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
rows = [{"k": k, "v": v, "s": k * (v % 4)} for k, v in top]
print(len(json.dumps(rows)), sum(len(r["s"]) for r in rows))' > /dev/null
fi
if selected perl; then
	awk 'BEGIN { for (i = 0; i < 30000; i++) print "line", i, "word" (i * 7919 % 3000), i % 97 }' \
		> "$tmp/text"
	$BENCH record -o $W/perl.trace --max-ops $CAP -- perl -ne '
		my @f = split; $c{$f[2]} += $f[3]; push @{$g{$f[3]}}, $f[2];
		END { my $n = 0; for (sort { $c{$b} <=> $c{$a} } keys %c) { $n += length }
		      print scalar(keys %g), " $n\n" }' "$tmp/text" > /dev/null
fi
if selected cc1; then
	# the compiler proper (gcc would exec it: --follow-exec is not needed this way)
	cc1=$(gcc -print-prog-name=cc1)
	gcc -E -I. harness/commands/gen.c > "$tmp/gen.i"
	$BENCH record -o $W/cc1.trace --max-ops $CAP -- \
		"$cc1" -fpreprocessed -quiet -O2 "$tmp/gen.i" -o "$tmp/gen.s"
fi
