#!/bin/sh
# tests/cli/programs.sh - real programs on every built-in allocator, through
# `bench run` and the preloadable libraries (docs/run.md).
#
# Each (program, allocator) pair is one test: the program's output must equal
# the output of a normal run (glibc malloc), the library must really have
# served it (its HEAPLAB_STATS line shows malloc calls), and the allocator's
# self-check at exit (HEAPLAB_CHECK=1) must report no violations in any of
# the processes.  bump never frees, so it only gets the short programs.
. tests/lib.sh

LIBDIR=${HEAPLAB_LIB_DIR:-build/lib}   # make test sets it to its BUILD's libraries
PROGDIR=${PROGS:-build/tests/programs}
export HEAPLAB_LIB_DIR=$LIBDIR
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# Every allocator --list shows, in its order.
ALLOCS=$("$BENCH" --list | awk '$2 != "peer:" { print $1 }')  # built-ins only

libs_match_registry() {
	want=$(printf '%s\n' $ALLOCS | sort)
	have=$(for l in "$LIBDIR"/libheaplab-*.so; do
		n=${l##*/libheaplab-}; echo "${n%.so}"; done | sort)
	[ -n "$want" ] && [ "$want" = "$have" ] && return 0
	echo "    bench --list: $(echo $want)"
	echo "    libraries:    $(echo $have)"
	return 1
}
check "one preload library per allocator in bench --list" libs_match_registry

# ---- inputs, generated deterministically ----

cat > "$TMP/db.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INT, val REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000)
  INSERT INTO t SELECT x, printf('name-%05d-%s', (x * 7919) % 10007, substr('abcdefghij', 1 + x % 10)),
                       x % 37, ((x * 7919) % 1000) / 10.0 FROM c;
CREATE INDEX t_grp ON t(grp);
CREATE INDEX t_name ON t(name);
CREATE TABLE g(grp INTEGER PRIMARY KEY, label TEXT);
INSERT INTO g SELECT DISTINCT grp, 'group ' || grp FROM t;
SELECT g.label, count(*), round(sum(val), 1), min(name), max(name)
  FROM t JOIN g USING (grp) GROUP BY grp ORDER BY grp;
SELECT count(*), round(avg(val), 3) FROM t WHERE grp = 5;
SELECT group_concat(name, ',') FROM (SELECT name FROM t ORDER BY val DESC, id LIMIT 40);
UPDATE t SET name = name || printf('%040d', id) WHERE id % 2 = 0;
DELETE FROM t WHERE id % 3 = 0;
VACUUM;
SELECT count(*), sum(length(name)), max(length(name)) FROM t;
SELECT a.id, b.id FROM t a JOIN t b ON a.grp = b.grp AND b.id = a.id + 37 ORDER BY a.id LIMIT 20;
PRAGMA integrity_check;
EOF

# JSON arrays of N objects (awk: no dependency on a program under test).
for n in 6000 600; do
awk -v n=$n 'BEGIN {
	x = 12345; printf "[";
	for (i = 1; i <= n; i++) {
		x = (x * 1103515245 + 12345) % 2147483648;
		printf "%s{\"id\":%d,\"name\":\"item-%d\",\"price\":%d.%02d,", \
			(i > 1 ? "," : ""), i, x % 100000, x % 200, x % 100;
		printf "\"tags\":[\"t%d\",\"u%d\"],\"nested\":{\"a\":[%d,%d,%d]}}",
			x % 7, x % 5, i, x % 13, x % 17;
	}
	print "]";
}' > "$TMP/data-$n.json"
done
JQ_PROG='[.[] | select(.price > 50) | {id, name, t: (.tags | join("-")), s: (.nested.a | add)}]
	| group_by(.t) | map({t: .[0].t, n: length, ids: (map(.id) | add), s: (map(.s) | add),
	  first: (sort_by(.name) | .[0].name)})'

cat > "$TMP/script.py" <<'EOF'
import collections, json, sys
x = 987654321
def rnd():
    global x
    x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return x >> 33
words = ["w%d-%s" % (rnd() % 5000, "x" * (rnd() % 40)) for _ in range(int(sys.argv[1]))]
counts = collections.Counter(words)
index = {}
for i, w in enumerate(words):
    index.setdefault(w[:4], []).append(i)
rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
nested = [{"k": w, "v": [len(w)] * (len(w) % 7)} for w in words[:5000]]
text = " ".join(sorted(set(words)))
del words[::2]
print(json.dumps(rows))
print(len(index), sum(len(v) for v in index.values()), len(text), hash(tuple(sorted(index)[:50])) != 0)
print(sum(len(d["v"]) for d in nested), len(words), text[:200])
EOF

# About 3 MB of lines for sort(1).
awk 'BEGIN {
	x = 4242;
	for (i = 0; i < 60000; i++) {
		x = (x * 1103515245 + 12345) % 2147483648;
		printf "%08x %d line-%d %s\n", x, x % 1000, i, substr("abcdefghijklmnopqrstuvwxyz", 1 + x % 26);
	}
}' > "$TMP/lines.txt"

# ---- the programs; each prints to stdout what a normal run must match ----
# They live in a file because `bench run` starts them in a fresh sh.

cat > "$TMP/fns.sh" <<'EOF'

prog_echo() { /bin/echo "hello from heaplab"; }
prog_jq_tiny() { echo '{"a":[1,2,3],"b":"x"}' | jq -c '{n: (.a | add), b}'; }
prog_sqlite3() { rm -f "$TMP/db-$1"; sqlite3 "$TMP/db-$1" < "$TMP/db.sql"; }
prog_jq() { jq -c "$JQ_PROG" "$TMP/data-$2.json"; }
prog_python() { PYTHONMALLOC=malloc PYTHONHASHSEED=0 "$PY" "$TMP/script.py" "$2"; }
prog_sort() { sort "$TMP/lines.txt" | cksum; sort -S 256K -k2,2n -k1,1 "$TMP/lines.txt" | cksum; }
prog_git() {
	repo=$TMP/repo-$1
	rm -rf "$repo"; mkdir -p "$repo" && cd "$repo" || return 1
	export GIT_CONFIG_NOSYSTEM=1 HOME=$TMP GIT_PAGER=cat GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' \
		GIT_COMMITTER_DATE='2020-01-01T00:00:00Z'
	git init -q -b main . && git config user.name heaplab && git config user.email h@example.org
	i=0
	while [ $i -lt 40 ]; do
		seq $i $((i * 50)) > "f$i.txt"; i=$((i + 1))
	done
	git add . && git commit -qm "first commit"
	sed -i 's/1/one/' f3.txt f17.txt && rm f5.txt && echo new > g.txt
	git add -A && git commit -qm "second commit"
	git log --format=%s
	git cat-file -p 'HEAD^{tree}'
	git diff --stat HEAD~1 HEAD
	git show HEAD:f17.txt | head -5
	git repack -adq && git count-objects -v | grep -E '^(count|in-pack)'
	cd - > /dev/null
}
prog_threads() { shift; "$PROGDIR/stress_threads" "$@"; }
EOF
. "$TMP/fns.sh"
export TMP PY JQ_PROG
PROGDIR=$(cd "$PROGDIR" && pwd); export PROGDIR

# $1 reference name, $2 program function, $3 allocator, rest: arguments.
# Runs the program on the allocator and compares with $TMP/ref-$1.
on_alloc() {
	r=$1; p=$2; a=$3; shift 3
	stats=$TMP/stats-$p-$a
	rm -f "$stats"
	HEAPLAB_STATS=1 HEAPLAB_CHECK=1 HEAPLAB_STATS_FILE=$stats \
		"$BENCH" run --alloc "$a" -- sh -c ". '$TMP/fns.sh'; $p \"\$@\"" "$p" "$a" "$@" \
		> "$TMP/out-$p-$a" 2> "$ERR"
	rc=$?
	[ $rc -eq 0 ] || { echo "    $p on $a: exit $rc"; return 1; }
	cmp -s "$TMP/ref-$r" "$TMP/out-$p-$a" || {
		echo "    $p on $a: output differs from the glibc run:"
		diff "$TMP/ref-$r" "$TMP/out-$p-$a" | head -5 | sed 's/^/      /'
		return 1
	}
	grep -q ' malloc calls [1-9]' "$stats" 2>/dev/null || {
		echo "    $p on $a: no HEAPLAB_STATS line with malloc calls: not run on heaplab?"
		return 1
	}
	grep -q 'self-check: ' "$stats" || { echo "    $p on $a: no self-check ran"; return 1; }
	if grep 'self-check: ' "$stats" | grep -qv 'self-check: 0 violations'; then
		echo "    $p on $a: the self-check found violations:"
		grep 'self-check: ' "$stats" | grep -v ': 0 violations' | head -3 | sed 's/^/      /'
		return 1
	fi
	return 0
}

# The normal run each heaplab run is compared with; it must itself succeed
# and print something, or every comparison with it would prove nothing.
reference() {  # $1 reference name, $2 program function, rest: arguments
	r=$1; p=$2; shift 2
	ref_ok() {
		( $p ref "$@" ) > "$TMP/ref-$r" 2> "$ERR" && [ -s "$TMP/ref-$r" ] && return 0
		echo "    $p $*: fails (or prints nothing) without heaplab"
		return 1
	}
	check "$r runs normally (the reference output)" ref_ok "$@"
}

# The designs whose malloc or free walks the heap or a free list (O(n) per
# call) would take minutes on the full inputs: they get inputs ten times
# smaller for the two programs that keep many blocks live.
small_inputs() { case $1 in implicit-*|explicit-addr) return 0;; esac; return 1; }

for p in echo jq_tiny sqlite3 sort git; do
	reference $p prog_$p
done
reference jq-6000 prog_jq 6000
reference jq-600 prog_jq 600
reference python-40000 prog_python 40000
reference python-4000 prog_python 4000
reference threads prog_threads 4 20000
reference threads-small prog_threads 2 3000

for a in $ALLOCS; do
	for p in echo jq_tiny; do
		check "$p on $a" on_alloc $p prog_$p $a
	done
	if [ "$a" = bump ]; then   # never frees: short programs only
		check "threads (small) on $a" on_alloc threads-small prog_threads $a 2 3000
		continue
	fi
	for p in sqlite3 sort git; do
		check "$p on $a" on_alloc $p prog_$p $a
	done
	if small_inputs $a; then jn=600; pn=4000; else jn=6000; pn=40000; fi
	check "jq ($jn objects) on $a" on_alloc jq-$jn prog_jq $a $jn
	check "python ($pn words) on $a" on_alloc python-$pn prog_python $a $pn
	check "threads on $a" on_alloc threads prog_threads $a 4 20000
done

finish
