#!/bin/bash
# probe_sanity.sh static|sanitized: every workload of the real probe, with
# tiny parameters, run by hand as isobench would: exit 0, nothing on stderr,
# hello first and done last with the right count, and every sample sane
# (ibcheck probe: units, directions, plausible ranges, the memlat curve).
# Then bad command lines: exit 2 and an "invalid" error record naming what
# is wrong.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

probe_of "${1:-}" probe_sanity.sh
setup_tmp
mkdir "$T/scratch"

# probe NAME ARGS...: runs the probe, stdout to $T/NAME.rec, stderr to
# $T/NAME.err, status in RC
probe() {
	local name=$1
	shift
	set +e
	"$PROBE" --scratch "$T/scratch" "$@" >"$T/$name.rec" 2>"$T/$name.err"
	RC=$?
	set -e
	no_sanitizer_report "$T/$name.err"
}

check_workload() {
	local wl=$1
	probe "$wl" "$@"
	if [ "$RC" -ne 0 ]; then
		cat "$T/$wl.err" >&2
		"$IBCHECK" frames "$T/$wl.rec" >&2 || true
		fail "probe $*: exit status $RC, want 0"
	fi
	[ ! -s "$T/$wl.err" ] || fail "probe $*: wrote to stderr: $(head -c 500 "$T/$wl.err")"
	"$IBCHECK" probe "$wl" "$T/$wl.rec" || fail "probe $*: output fails the checks above"
}

# The workloads built in are the catalogue's, each once (the probe checks
# both ways and names what is missing).
"$PROBE" --workloads >"$T/workloads.out" 2>"$T/workloads.err" ||
	fail "probe --workloads: $(cat "$T/workloads.err")"
grep -qx cpu "$T/workloads.out" || fail "probe --workloads lists no cpu"

check_workload cpu duration=0.1
check_workload membw array_size=16m ntimes=2
check_workload memlat max_size=64m duration=0.005
check_workload syscall duration=0.02
check_workload ctxsw duration=0.05
check_workload jitter duration=0.1
# (0.2 s per test: a 0.05 s window can see no completion on a busy disk,
# which the probe reports as a failure)
check_workload disk size=16m duration=0.2 \
	tests=randread-4k-qd32,randwrite-4k-fsync,seqread-1m-qd1,seqwrite-1m-qd1
note "every workload measured sane values"

# The probe leaves nothing in its scratch directory but the disk test's
# file (kept on purpose, so later launches of the run reuse it).
for f in "$T/scratch"/* "$T/scratch"/.[!.]*; do
	[ -e "$f" ] || continue
	[ "${f##*/}" = isobench-disk.dat ] || fail "probe left $f in its scratch directory"
done

# The cpu samples carry the thread counts asked for.
probe cpu2 cpu duration=0.05 threads=2
[ "$RC" -eq 0 ] || fail "probe cpu threads=2: exit status $RC"
threads=$("$IBCHECK" frames "$T/cpu2.rec" | "$IBCHECK" rows - - params.threads type=sample | sort -u | tr '\n' ' ')
assert_eq "$threads" "1 2 " "cpu threads=2: thread counts of the samples"

# Bad command lines: exit 2, an error record that names the culprit.
bad() {
	local name=$1 want=$2
	shift 2
	probe "$name" "$@"
	[ "$RC" -eq 2 ] || fail "probe $*: exit status $RC, want 2"
	"$IBCHECK" probe-error "$want" "$T/$name.rec" >/dev/null ||
		fail "probe $*: no proper error record naming '$want'"
}
bad unknown-workload nosuch nosuch
bad unknown-param nosuch cpu nosuch=1
bad bad-value duration cpu duration=abc
bad bad-size size disk size=12q
bad bad-test tests disk tests=sideways-4k-qd1
bad not-key-value verbose cpu verbose
bad no-workload "no workload"
note "bad arguments give exit status 2 and a named error record"

# --reps is checked before anything else: exit 2 and a message.
probe bad-reps --reps 0 cpu
[ "$RC" -eq 2 ] || fail "probe --reps 0: exit status $RC, want 2"
assert_grep "--reps" "$T/bad-reps.err" "probe --reps 0"
note "--reps 0 is refused"
