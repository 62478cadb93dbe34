#!/bin/bash
# thp.sh: --thp, the host's transparent huge page mode for a run, for
# real: set while the run measures (the fingerprint records it), put back
# after the run, after SIGINT, and by `isobench cleanup` after a kill -9;
# a mode changed by someone else during the run is left as they set it;
# a bad mode is refused before anything runs. The test changes a
# host-wide setting while it runs (that is the feature) and checks that
# it is put back every way a run can end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

THP=/sys/kernel/mm/transparent_hugepage/enabled
if [ ! -w "$THP" ] || [ "$(id -u)" -ne 0 ]; then
	echo "SKIP [thp]: $THP is not writable here (no THP, or not root)"
	exit 77
fi
mode() { sed 's/.*\[\(.*\)\].*/\1/' "$THP"; }
BEFORE=$(mode)
# a mode the host is not in now
case $BEFORE in never) OTHER=madvise ;; *) OTHER=never ;; esac
# whatever happens, the host's mode is put back by the test too
trap 'rc=$?; echo "$BEFORE" >"$THP" 2>/dev/null; (exit $rc); cleanup_tmp' EXIT

# held NAME: a 30 s cpu job in the background with --thp $OTHER; returns
# once its probe said hello (RUN_PID).
held() {
	HELD=$1 # (the check below runs inside wait_until: not its $1)
	"$ISOBENCH" run -q -r native -b cpu -s cpu.duration=30 --thp "$OTHER" --probe "$PROBE" \
		--scratch "$T" -o "$T/$HELD" >"$T/$HELD.out" 2>"$T/$HELD.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_until 30 eval '[ -n "$(jrows "$T/$HELD/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
		fail "$HELD: the probe did not start"
}

# a run that ends ---------------------------------------------------------------
ib done run -q -r native -b membw -s membw.ntimes=2 -s membw.array_size=16m --min-reps 1 --max-reps 1 \
	--thp "$OTHER" --probe "$PROBE" --scratch "$T" -o "$T/done"
expect_rc 0 done
assert_eq "$(jget "$T/done/results.json" fingerprint.thp)" "$OTHER" "done: the fingerprint's THP mode"
assert_eq "$(jget "$T/done/results.json" plan.thp)" "$OTHER" "done: the plan's"
assert_grep "thp = $OTHER" "$T/done/plan.ini" "done: plan.ini keeps it"
assert_eq "$(mode)" "$BEFORE" "done: the host's mode after the run"
note "--thp $OTHER: the run measured in it (fingerprint) and put $BEFORE back"

# SIGINT, and kill -9 + cleanup -------------------------------------------------
for how in INT KILL; do
	held "$how"
	assert_eq "$(mode)" "$OTHER" "$how: the mode while the run measures"
	kill -"$how" "$RUN_PID"
	wait_exit "$RUN_PID" 30
	if [ "$how" = KILL ]; then
		assert_eq "$(mode)" "$OTHER" "kill -9: the mode is left set (nothing ran to put it back)"
		ib k9c cleanup "$T/$how"
		expect_rc 0 k9c
		assert_grep "THP mode $OTHER -> $BEFORE (as it was before the run)" "$T/k9c.out" \
			"kill -9: cleanup says what it put back"
	else
		assert_eq "$WAIT_RC" 130 "SIGINT: exit status"
	fi
	assert_eq "$(mode)" "$BEFORE" "$how: the host's mode after"
done
note "SIGINT: the run puts the mode back; kill -9: cleanup does"

# someone changes it during the run: theirs stays -------------------------------
held theirs
echo always >"$THP"
[ "$OTHER" != always ] || echo madvise >"$THP"
THEIRS=$(mode)
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 30
ib theirsc cleanup "$T/theirs"
expect_rc 0 theirsc
assert_grep "THP mode is $THEIRS, not the $OTHER the run set: left as it is" "$T/theirsc.out" \
	"theirs: cleanup says why it leaves it"
assert_eq "$(mode)" "$THEIRS" "theirs: another's change stays"
echo "$BEFORE" >"$THP"
note "a mode someone else set during the run is left as they set it"

# bad input ---------------------------------------------------------------------
ib bad run -r native -b cpu --thp sometimes --probe "$PROBE" --scratch "$T" -o "$T/bad"
assert_eq "$IB_RC" 2 "--thp sometimes: exit status"
assert_grep "thp must be one of keep,always,madvise,never, not 'sometimes'" "$T/bad.err" "the modes named"
assert_eq "$(mode)" "$BEFORE" "bad: the host's mode"
note "a bad mode is refused before anything runs"
