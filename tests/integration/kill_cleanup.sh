#!/bin/bash
# kill_cleanup.sh: kill -9 of isobench in the middle of a run. The probe
# must not survive it (PDEATHSIG), and `isobench cleanup DIR` - or
# `isobench cleanup` alone, through the registry of runs -
# removes what the state file recorded (the scratch directory, anything
# left in the probe's process group), after which cleanup finds nothing
# left. Cleanup of a live run refuses and changes nothing.
#
# `isobench cleanup` without arguments acts on every dead run of the
# registry: this test's registry is its own, in $T/rt
# ($ISOBENCH_RUNTIME_DIR, set by setup_tmp), never the host's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
: "${FAKEPROBE:?}"

setup_tmp
REG=$(registry_dir)
case "$REG" in
"$T"/*) ;;
*) fail "the registry $REG is not the test's own" ;;
esac
FAKE_PIDFILE_GLOB="$T/*.pids"

# start NAME PROBE ARGS...: a background run; its pid in RUN_PID
start() {
	local name=$1 probe=$2
	start_run "$@"
	D=$T/$name
	wait_until 20 eval '[ -f "$D/raw.jsonl" ] && [ -n "$(jrows "$D/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
		fail "$name: the probe did not start"
	PROBE_PID=$(jrows "$D/state.jsonl" - pid kind=process | tail -n 1)
	SCRATCH=$(run_scratch "$D")
	RUN_ID=$(jrows "$D/raw.jsonl" - run_id ev=run)
	alive_as "$PROBE_PID" "$probe" || fail "$name: probe $PROBE_PID is not running"
	[ -d "$SCRATCH" ] || fail "$name: no scratch directory"
	[ -f "$REG/$RUN_ID" ] || fail "$name: run $RUN_ID is not in the registry $REG"
}

# kill9 NAME EXE: kill -9 the run; its probe must die with it
kill9() {
	local name=$1 exe=$2
	kill -KILL "$RUN_PID"
	wait_exit "$RUN_PID" 5
	[ "$WAIT_RC" -eq 137 ] || fail "$name: isobench exit status $WAIT_RC after kill -9"
	wait_until 3 eval '! alive_as "$PROBE_PID" "$exe"' ||
		fail "$name: probe $PROBE_PID survived kill -9 of isobench (no PDEATHSIG?)"
	[ -d "$SCRATCH" ] || fail "$name: the scratch directory is already gone: nothing to test"
}

# cleanup refuses a live run and changes nothing -----------------------------
start live "$PROBE" -b cpu -s cpu.duration=60
# the probe is recorded by pid and start time (field 22 of /proc/PID/stat;
# the probe's name has no space or parenthesis)
assert_eq "$(jrows "$D/state.jsonl" - starttime kind=process pid="$PROBE_PID")" \
	"$(awk '{print $22}' /proc/"$PROBE_PID"/stat)" "live: start time of the probe in state.jsonl"
cp "$D/state.jsonl" "$T/live.state"
ib live-cleanup cleanup "$D"
grep -q "still alive" "$T/live-cleanup.err" ||
	fail "cleanup of a live run: no refusal ($(cat "$T/live-cleanup.err" "$T/live-cleanup.out"))"
ib live-cleanup-all cleanup
grep -q "still alive" "$T/live-cleanup-all.err" ||
	fail "cleanup of the registry during a live run: no refusal"
alive_as "$PROBE_PID" "$PROBE" || fail "cleanup of a live run killed its probe"
[ -d "$SCRATCH" ] || fail "cleanup of a live run removed its scratch directory"
[ -f "$REG/$RUN_ID" ] || fail "cleanup of a live run removed its registry entry"
cmp "$T/live.state" "$D/state.jsonl" || fail "cleanup of a live run changed its state file"
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 5
[ "$WAIT_RC" -eq 130 ] || fail "live: exit status $WAIT_RC after SIGINT"
note "cleanup of a live run refuses and changes nothing"

# kill -9, then cleanup DIR (ctxsw: the probe has a child) -------------------
start k1 "$PROBE" -b ctxsw -s ctxsw.duration=60
sleep 0.2
KIDS=$(children_of "$PROBE_PID")
[ -n "$KIDS" ] || fail "k1: the ctxsw probe has no child"
kill9 k1 "$PROBE"
for k in $KIDS; do
	wait_until 3 eval '! alive_as "$k" "$PROBE"' || fail "k1: the probe's child $k survived kill -9"
done
[ -f "$REG/$RUN_ID" ] || fail "k1: the killed run is not in the registry"
ib k1-cleanup cleanup "$D"
expect_rc 0 k1-cleanup
assert_grep "directory $SCRATCH: removed" "$T/k1-cleanup.out" "k1: cleanup output"
assert_no_path "$SCRATCH" "k1: scratch directory after cleanup"
assert_no_path "$REG/$RUN_ID" "k1: registry entry after cleanup DIR (nothing left)"
ib k1-cleanup2 cleanup "$D"
expect_rc 0 k1-cleanup2
assert_grep "nothing left behind" "$T/k1-cleanup2.out" "k1: second cleanup"
grep -q "removed\|killed" "$T/k1-cleanup2.out" && fail "k1: the second cleanup did something: $(cat "$T/k1-cleanup2.out")"
note "kill -9: probe and its child died with isobench; cleanup DIR removed the scratch and the run's registry entry; again: nothing left"

# kill -9, then cleanup through the registry ---------------------------------
start k2 "$PROBE" -b cpu -s cpu.duration=60
kill9 k2 "$PROBE"
ib k2-cleanup cleanup
expect_rc 0 k2-cleanup
assert_grep "run $RUN_ID ($D)" "$T/k2-cleanup.out" "k2: registry cleanup names the run"
assert_grep "directory $SCRATCH: removed" "$T/k2-cleanup.out" "k2: registry cleanup"
assert_no_path "$SCRATCH" "k2: scratch directory after cleanup"
assert_no_path "$REG/$RUN_ID" "k2: registry entry after cleanup"
ib k2-cleanup2 cleanup
expect_rc 0 k2-cleanup2
assert_grep "no runs left anything behind" "$T/k2-cleanup2.out" "k2: second registry cleanup"
ib k2-cleanup3 cleanup "$D"
expect_rc 0 k2-cleanup3
assert_grep "nothing left behind" "$T/k2-cleanup3.out" "k2: cleanup DIR after the registry cleanup"
note "kill -9: isobench cleanup (registry) removed the scratch; again: nothing left"

# kill -9 while the probe has a child outside PDEATHSIG's reach --------------
# (the fake probe's child, in the probe's process group, ignores SIGTERM;
# only cleanup, from the state file, can end it: it kills what is left in
# the group and carries the run's ISOBENCH_RUN marker, nothing else)
FAKEPROBE_MODE=hang FAKEPROBE_PIDFILE="$T/k3.pids" start k3 "$FAKEPROBE" -b cpu
wait_until 5 eval '[ "$(wc -l <"$T/k3.pids")" -ge 3 ]' || fail "k3: the fake probe's child did not start"
CHILD=$(tail -n 1 "$T/k3.pids")
is_fakeprobe "$CHILD" || fail "k3: the fake probe's child $CHILD is not running"
kill9 k3 "$FAKEPROBE"
sleep 0.2
is_fakeprobe "$CHILD" || fail "k3: the child died with isobench: nothing to test"
ib k3-cleanup cleanup "$D"
expect_rc 0 k3-cleanup
assert_grep "killed 1 process it left in its group" "$T/k3-cleanup.out" "k3: cleanup output"
wait_until 3 eval '! is_fakeprobe "$CHILD"' ||
	fail "k3: cleanup left the probe's child $CHILD running ($(cat "$T/k3-cleanup.out"))"
assert_no_path "$SCRATCH" "k3: scratch directory after cleanup"
ib k3-cleanup2 cleanup "$D"
expect_rc 0 k3-cleanup2
assert_grep "nothing left behind" "$T/k3-cleanup2.out" "k3: second cleanup"
note "kill -9: cleanup DIR ended what the probe left in its process group"

# kill -9 while the probe itself escaped PDEATHSIG ------------------------------
# (it undid it): cleanup must recognise it by pid and start time, and end it
FAKEPROBE_MODE=nodeath FAKEPROBE_PIDFILE="$T/k4.pids" start k4 "$FAKEPROBE" -b cpu
wait_until 10 eval '[ "$(jcount "$D/raw.jsonl" - rec.key ev=record rec.key=ready 2>/dev/null)" -eq 1 ]' ||
	fail "k4: the fake probe did not get ready"
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 5
sleep 0.2
is_fakeprobe "$PROBE_PID" || fail "k4: the probe died with isobench: nothing to test"
ib k4-cleanup cleanup "$D"
expect_rc 0 k4-cleanup
assert_grep "process $PROBE_PID: killed" "$T/k4-cleanup.out" "k4: cleanup output"
wait_until 3 eval '! is_fakeprobe "$PROBE_PID"' ||
	fail "k4: cleanup left the probe $PROBE_PID running ($(cat "$T/k4-cleanup.out"))"
assert_no_path "$SCRATCH" "k4: scratch directory after cleanup"
ib k4-cleanup2 cleanup "$D"
expect_rc 0 k4-cleanup2
assert_grep "nothing left behind" "$T/k4-cleanup2.out" "k4: second cleanup"
note "kill -9: cleanup DIR ended a probe that had escaped PDEATHSIG"
