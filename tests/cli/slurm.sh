#!/bin/sh
# tests/cli/slurm.sh - a plan on a real Slurm cluster of one node, started by
# this test: munged with a generated key, slurmctld and slurmd on localhost
# with a generated slurm.conf (ports and files of their own), then
# scripts/slurm-submit.sh.  Skipped, saying why, when Slurm or munge is not
# installed or the test does not run as root (slurmd must start jobs as the
# submitting user).  HEAPLAB_SKIP_SLURM=1 skips it too.
. tests/lib.sh

skip() { echo "skip Slurm job array on a one-node cluster: $*"; finish; exit; }
[ -z "${HEAPLAB_SKIP_SLURM:-}" ] || skip "HEAPLAB_SKIP_SLURM is set"
for p in munged slurmctld slurmd sbatch squeue jq; do
	command -v $p > /dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v $p > /dev/null 2>&1 || skip "$p is not installed (Debian packages slurm-wlm, munge)"
done
[ "$(id -u)" -eq 0 ] || skip "not root: a test cluster's slurmd runs jobs as root here"

S=$TMP/slurm
host=$(hostname -s)
mkdir -p "$S/state" "$S/spool" "$S/munge" && chmod 700 "$S/munge"
dd if=/dev/urandom of="$S/munge/key" bs=1024 count=1 2> /dev/null && chmod 600 "$S/munge/key"
# Ports of our own, so a cluster on this machine (or a test beside us) is untouched.
port=$((20000 + $$ % 20000))
cat > "$S/slurm.conf" <<EOF
ClusterName=heaplabtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge/sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldPort=$port
SlurmdPort=$((port + 1))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=heaplabtest Nodes=$host Default=YES MaxTime=10 State=UP
EOF
export SLURM_CONF=$S/slurm.conf

# Stop what we started, by the pids the daemons wrote, whatever happens.
stop_cluster() {
	for f in "$S/slurmd.pid" "$S/slurmctld.pid"; do
		[ -s "$f" ] && kill "$(cat "$f")" 2> /dev/null
	done
	[ -S "$S/munge/sock" ] && munged -s -S "$S/munge/sock" > /dev/null 2>&1
	sleep 1
	rm -rf "$TMP"
}
trap stop_cluster EXIT
trap "exit 130" INT TERM   # so that the EXIT trap stops the daemons

started=
if munged --force -S "$S/munge/sock" --key-file="$S/munge/key" --log-file="$S/munge/log" \
	--pid-file="$S/munge/pid" --seed-file="$S/munge/seed" 2> "$S/munge.err" &&
   slurmctld -f "$S/slurm.conf" 2> "$S/ctld.err" && slurmd -f "$S/slurm.conf" 2> "$S/d.err"; then
	n=0
	while [ $n -lt 30 ]; do
		sinfo -h -o %t 2> /dev/null | grep -q idle && { started=1; break; }
		sleep 0.5; n=$((n + 1))
	done
fi
[ -n "$started" ] || skip "the cluster did not come up here ($(cat "$S"/*.err "$S/slurmd.log" 2> /dev/null | tail -1))"

TR=$TMP/traces
mkdir -p "$TR"
for p in web binary random; do "$BENCH" gen $p --ops 300 -o "$TR/$p.trace" 2> /dev/null; done
BENCH_ABS=$(cd "$(dirname "$BENCH")" && pwd)/$(basename "$BENCH")
"$BENCH" plan --alloc buddy,tlsf --trace "$TR" --runs 1 --out "$TMP/sl" > /dev/null 2>&1
"$BENCH" --alloc buddy,tlsf --trace "$TR" --runs 1 -q --out "$TMP/plain" > /dev/null 2>&1

memory_of() {
	jq -c '{a: .allocator.name, t: .trace.sha256, s: .status,
	        m: (.memory | del(.peak_rss_bytes, .rss_baseline_bytes, .utilization_rss, .rss_note))}' "$1"
}
digest() {
	(cd "$1" && find . -name '*.json' ! -name summary.json ! -name plan.json | sort) |
	while read -r f; do printf '%s %s\n' "$f" "$(memory_of "$1/$f")"; done
}

slurm_array() {
	BENCH=$BENCH_ABS expect_exit 0 timeout 120 sh scripts/slurm-submit.sh -w "$TMP/sl/plan.json" &&
	err_has "units 0-5: job" &&
	jq -e '.complete and ([.cells[] | select(.status == "ok")] | length) == 6' \
		"$TMP/sl/summary.json" > /dev/null &&
	digest "$TMP/sl" > "$TMP/d.sl" && digest "$TMP/plain" > "$TMP/d.plain" &&
	[ "$(wc -l < "$TMP/d.sl")" -eq 6 ] && cmp -s "$TMP/d.sl" "$TMP/d.plain"
}
check "slurm: a job array runs the plan's 6 units, the merge job writes summary.json" slurm_array

slurm_resume() {
	rm "$TMP/sl/tlsf/web.json" && before=$(cksum < "$TMP/sl/buddy/web.json") &&
	BENCH=$BENCH_ABS expect_exit 0 timeout 120 sh scripts/slurm-submit.sh -w "$TMP/sl/plan.json" &&
	[ -s "$TMP/sl/tlsf/web.json" ] && [ "$(cksum < "$TMP/sl/buddy/web.json")" = "$before" ] &&
	[ "$(cat "$TMP"/sl/.slurm-*_*.log | grep -c 'the result exists; skipped')" -ge 5 ]
}
check "slurm: resubmitted, only the missing unit runs" slurm_resume

slurm_unit_errors() {
	expect_exit 2 sh scripts/slurm-unit.sh "$TMP/sl/plan.json" && err_has "SLURM_ARRAY_TASK_ID is not set" &&
	expect_exit 2 sh scripts/slurm-submit.sh "$TMP/sl/buddy/web.json" && err_has "not a heaplab plan"
}
check "slurm scripts: outside an array, or not a plan: exit 2 with a message" slurm_unit_errors

finish
