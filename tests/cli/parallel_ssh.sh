#!/bin/sh
# tests/cli/parallel_ssh.sh - a plan run by GNU parallel over ssh
# (--sshlogin), both ways docs/distributed.md describes: with a shared folder
# (--workdir .) and without one (each unit in a folder of its own, its trace
# and the manifest sent with --transferfile, its result brought back with
# --return).  The "remote host" is this machine: an sshd of the test's own
# (generated host and user keys, a port of its own, localhost only).  So it
# tests the commands and the gathering of results, not a second machine.
# Skipped, saying why, without parallel, sshd, ssh or rsync, or when not root
# (sshd's privilege separation).  HEAPLAB_SKIP_SSH=1 skips it too.
. tests/lib.sh

skip() { echo "skip GNU parallel over ssh: $*"; finish; exit; }
[ -z "${HEAPLAB_SKIP_SSH:-}" ] || skip "HEAPLAB_SKIP_SSH is set"
PATH=$PATH:/usr/sbin
for p in parallel sshd ssh ssh-keygen rsync jq; do
	command -v $p > /dev/null 2>&1 ||
		skip "$p is not installed (Debian packages parallel, openssh-server, rsync)"
done
[ "$(id -u)" -eq 0 ] || skip "not root: sshd needs root for its privilege separation"

S=$TMP/ssh
mkdir -p "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host" && ssh-keygen -q -t ed25519 -N '' -f "$S/id" &&
	cp "$S/id.pub" "$S/authorized_keys" || skip "ssh-keygen failed"
port=$((20000 + $$ % 20000 + 2))
cat > "$S/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $S/host
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
EOF
cat > "$S/ssh_config" <<EOF
Host heaplab-test
  HostName 127.0.0.1
  Port $port
  User $(id -un)
  IdentityFile $S/id
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  BatchMode yes
  # one connection for every unit: a login costs about a second on a busy machine
  ControlMaster auto
  ControlPath $S/cm-%C
  ControlPersist 120
EOF

made_run_dir=
stop_sshd() {
	[ -S "$(ls "$S"/cm-* 2> /dev/null | head -1)" ] &&
		ssh -F "$S/ssh_config" -O exit heaplab-test 2> /dev/null
	[ -s "$S/sshd.pid" ] && kill "$(cat "$S/sshd.pid")" 2> /dev/null
	[ -n "$made_run_dir" ] && rmdir /run/sshd 2> /dev/null
	rm -rf "$TMP"
}
trap stop_sshd EXIT
trap "exit 130" INT TERM   # so that the EXIT trap stops sshd
# sshd wants its privilege separation folder; the ssh service would make it.
if [ ! -d /run/sshd ]; then mkdir -p /run/sshd && made_run_dir=1; fi
"$(command -v sshd)" -f "$S/sshd_config" -E "$S/log" 2> "$S/err" || skip "sshd did not start: $(cat "$S/err")"
n=0
until ssh -F "$S/ssh_config" heaplab-test true 2> /dev/null; do
	n=$((n + 1))
	[ $n -lt 20 ] || skip "cannot log in to the test's sshd: $(tail -1 "$S/log")"
	sleep 0.25
done

# Relative paths, as for hosts that share nothing: the plan is made in W.
W=$TMP/work
mkdir -p "$W/traces"
for p in web binary random; do "$BENCH" gen $p --ops 300 -o "$W/traces/$p.trace" 2> /dev/null; done
BENCH_ABS=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")
(cd "$W" && "$BENCH_ABS" --alloc buddy,tlsf --trace traces --runs 1 -q --out plain > /dev/null 2>&1)
export PARALLEL_HOME=$TMP/.parallel   # GNU parallel's own files stay in the test's folder
P="parallel --ssh 'ssh -F $S/ssh_config' --sshlogin 2/heaplab-test"

memory_of() {
	jq -c '{a: .allocator.name, t: .trace.sha256, s: .status,
	        m: (.memory | del(.peak_rss_bytes, .rss_baseline_bytes, .utilization_rss, .rss_note))}' "$1"
}
digest() {
	(cd "$1" && find . -name '*.json' ! -name summary.json ! -name plan.json | sort) |
	while read -r f; do printf '%s %s\n' "$f" "$(memory_of "$1/$f")"; done
}

shared_folder() {
	cd "$W" &&
	"$BENCH_ABS" plan --alloc buddy,tlsf --trace traces --runs 1 --out shared > units.sh 2> "$ERR" &&
	eval "$P --workdir ." < units.sh > "$OUT" 2> "$ERR" &&
	digest shared > "$TMP/d.shared" && digest plain > "$TMP/d.plain" &&
	[ "$(wc -l < "$TMP/d.shared")" -eq 6 ] && cmp -s "$TMP/d.shared" "$TMP/d.plain"
	code=$?
	cd - > /dev/null
	return $code
}
check "parallel --sshlogin --workdir .: units over ssh into a shared folder" shared_folder

no_shared_folder() {
	cd "$W" &&
	"$BENCH_ABS" plan --alloc buddy,tlsf --trace traces --runs 1 --slots "$TMP/slots" \
		--out apart > /dev/null 2> "$ERR" &&
	jq -r '.units[] | [.index, .trace, .output] | @tsv' apart/plan.json |
	eval "$P --colsep '\t' --workdir ... --transferfile apart/plan.json --transferfile {2}" \
		"--return {3} --cleanup '$BENCH_ABS' plan --unit {1} apart/plan.json" > "$OUT" 2> "$ERR" &&
	digest apart > "$TMP/d.apart" && cmp -s "$TMP/d.apart" "$TMP/d.plain" &&
	"$BENCH_ABS" merge apart 2> "$ERR" &&
	# nothing left behind in the remote working folders
	[ -z "$(find ~/.parallel/tmp -path '*apart*' 2> /dev/null)" ]
	code=$?
	cd - > /dev/null
	return $code
}
check "parallel --transferfile/--return: units in folders of their own, results gathered back" \
	no_shared_folder

finish
