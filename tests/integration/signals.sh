#!/bin/bash
# signals.sh: SIGINT and SIGTERM to a running `isobench run` end it within a
# couple of seconds with exit status 130, results written (status
# interrupted), the probe (and anything it forked) gone and the scratch
# directory removed; also when the probe ignores SIGTERM and hangs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
: "${FAKEPROBE:?}"
setup_tmp
FAKE_PIDFILE_GLOB="$T/*.pids"

# start NAME PROBE ARGS...: see start_run. The probe's own signal
# dispositions are the defaults (isobench resets them), whatever bash does
# to background jobs.
start() {
	start_run "$@"
}

# The pid of the probe of launch 1 once it has said hello (it is running).
probe_running() {
	[ -f "$1/raw.jsonl" ] &&
		[ -n "$(jrows "$1/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]
}

# interrupt NAME SIGNAL PROBE-EXE ARGS...
interrupt() {
	local name=$1 sig=$2 exe=$3 D pid scratch kids t0 ms
	shift 3
	D=$T/$name
	start "$name" "$exe" "$@"
	wait_until 20 probe_running "$D" || fail "$name: the probe did not start"
	pid=$(jrows "$D/state.jsonl" - pid kind=process | tail -n 1)
	alive_as "$pid" "$exe" || fail "$name: probe $pid is not running"
	scratch=$(run_scratch "$D")
	[ -d "$scratch" ] || fail "$name: no scratch directory $scratch"
	# what the probe forked (ctxsw's partner), found from its pid
	sleep 0.2
	kids=$(children_of "$pid")
	t0=$(now_us)
	kill -"$sig" "$RUN_PID"
	wait_exit "$RUN_PID" 5
	ms=$((($(now_us) - t0) / 1000))
	no_sanitizer_report "$T/$name.err"
	[ "$WAIT_RC" -eq 130 ] || { cat "$T/$name.err" >&2; fail "$name: exit status $WAIT_RC after SIG$sig, want 130"; }
	[ "$ms" -lt 3000 ] || fail "$name: took $ms ms to stop after SIG$sig"
	assert_file "$D/results.json"
	assert_file "$D/report.md"
	assert_eq "$(jget "$D/results.json" status)" interrupted "$name: results.json status"
	assert_grep "interrupted" "$D/report.md" "$name: report.md"
	assert_eq "$(jrows "$D/raw.jsonl" - status ev=end launch=1)" interrupted "$name: launch status"
	assert_eq "$(jrows "$D/raw.jsonl" - status ev=run_end)" interrupted "$name: run_end status"
	if alive_as "$pid" "$exe"; then
		fail "$name: probe $pid survived SIG$sig of isobench"
	fi
	for k in $kids; do
		if alive_as "$k" "$exe"; then
			fail "$name: the probe's child $k survived"
		fi
	done
	assert_no_probe_left "$D" "$exe"
	assert_no_path "$scratch" "$name: scratch directory"
	assert_no_path "$(registry_dir)/$(jget "$D/results.json" run_id)" "$name: registry entry"
	# nothing measured is lost: a rebuild gives the same results
	cp "$D/results.json" "$T/$name.results.json"
	ib "$name-report" report -q "$D"
	expect_rc 0 "$name-report"
	cmp "$T/$name.results.json" "$D/results.json" || fail "$name: report rebuilt different results"
	note "$name: SIG$sig -> exit 130 in $ms ms, results written, probe and scratch gone"
}

interrupt sigint INT "$PROBE" -b cpu -s cpu.duration=60
interrupt sigterm TERM "$PROBE" -b ctxsw -s ctxsw.duration=60
# a probe that ignores SIGTERM and hangs, and has a child that does too
FAKEPROBE_MODE=hang FAKEPROBE_PIDFILE="$T/hang.pids" \
	interrupt sighang INT "$FAKEPROBE" -b cpu --timeout 600
while read -r p; do
	if is_fakeprobe "$p"; then
		fail "sighang: fake probe process $p survived"
	fi
done <"$T/hang.pids"

# An interrupted run that had finished cells keeps them: cpu done (one
# launch), then the signal during ctxsw.
start keep "$PROBE" -b cpu,ctxsw -s cpu.duration=0.05 -s ctxsw.duration=60 --min-reps 1 --max-reps 1
D=$T/keep
wait_until 20 eval '[ -f "$D/raw.jsonl" ] && [ "$(jcount "$D/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" -ge 2 ]' ||
	fail "keep: the second probe did not start"
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 5
[ "$WAIT_RC" -eq 130 ] || fail "keep: exit status $WAIT_RC, want 130"
assert_eq "$(jrows "$D/results.json" cells status job=cpu)" ok "keep: the finished cpu cell"
[ "$(jcount "$D/results.json" metrics n job=cpu)" -ge 1 ] || fail "keep: the cpu metrics are gone"
assert_eq "$(jrows "$D/results.json" metrics n job=cpu | head -n 1)" 1 "keep: cpu samples"
note "keep: the cell finished before the signal keeps its results"
