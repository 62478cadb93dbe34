#!/bin/bash
# neighbour.sh: `isobench run --neighbour`, a noisy neighbour for the
# whole run, for real (the probe's neighbour workload beside real runc):
#   - it runs while the cells run, on the CPU asked for (its affinity
#     read from /proc), recorded in the state file, results.json and
#     report.md; after the run it is gone;
#   - SIGINT mid-run, and kill -9 of isobench then `isobench cleanup`:
#     it is gone too;
#   - a bad kind is refused (exit 2) and a CPU isobench may not use ends
#     the run before it measures anything (exit 3), naming it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp
[ "$(id -u)" -eq 0 ] || fail "runc needs root"

# neighbour_pid DIR: the neighbour's pid, once the run has recorded it
neighbour_pid() {
	jrows "$1/state.jsonl" - pid name=neighbour op=add 2>/dev/null | tail -1
}

# start NAME ARGS...: a run in the background (RUN_PID), waited until its
# neighbour is recorded (NB_PID)
start() {
	local name=$1
	shift
	"$ISOBENCH" run -q --probe "$PROBE" --scratch "$T" -o "$T/$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_until 30 eval '[ -n "$(neighbour_pid "$T/$name")" ]' ||
		fail "$name: no neighbour recorded: $(tail -3 "$T/$name.err")"
	NB_PID=$(neighbour_pid "$T/$name")
}

# the run: native and runc pinned to the neighbour's CPU ------------------
start run -r native,runc:cpuset=0 -b cpu -s cpu.duration=1 --min-reps 3 \
	--max-reps 3 --warmup 0 --neighbour cpu --neighbour-cpu 0
alive_as "$NB_PID" "$PROBE" || fail "the neighbour (pid $NB_PID) is not the probe running"
assert_eq "$(awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$NB_PID/status")" 0 \
	"the neighbour's CPUs"
# (the probe parses its arguments in place: '=' reads as a NUL there)
tr '\0' ' ' <"/proc/$NB_PID/cmdline" | grep -q " neighbour kind cpu cpu 0 " ||
	fail "the neighbour's command line: $(tr '\0' ' ' <"/proc/$NB_PID/cmdline")"
wait_exit "$RUN_PID" 120
assert_eq "$WAIT_RC" 0 "the run's exit status"
! alive_as "$NB_PID" "$PROBE" || fail "the neighbour outlived the run"
assert_eq "$(jget "$T/run/results.json" neighbour.kind)" cpu "results.json: its kind"
assert_eq "$(jget "$T/run/results.json" neighbour.cpu)" 0 "results.json: its CPU"
assert_eq "$(jget "$T/run/results.json" plan.neighbour)" cpu "results.json: the plan's"
assert_grep "Measured beside a noisy neighbour" "$T/run/report.md" "report.md says so"
assert_grep "neighbour = cpu" "$T/run/plan.ini" "plan.ini keeps it"
for rt in native runc:cpuset=0; do
	assert_eq "$(jrows "$T/run/results.json" cells status "runtime=$rt")" ok "cell $rt"
done
note "a cpu neighbour ran on CPU 0 while the cells ran, recorded; gone after the run"

# a rebuild reads it from raw.jsonl as the run wrote it
ib rebuild report "$T/run"
expect_rc 0 rebuild
assert_eq "$(jget "$T/run/results.json" neighbour.kind)" cpu "rebuilt results.json: its kind"

# SIGINT mid-run ------------------------------------------------------------
start int -r native -b cpu -s cpu.duration=5 --neighbour membw
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 30
assert_eq "$WAIT_RC" 130 "int: exit status after SIGINT"
! alive_as "$NB_PID" "$PROBE" || fail "int: the neighbour survived SIGINT"
note "SIGINT: the neighbour ends with the run"

# kill -9, then cleanup -------------------------------------------------------
start k9 -r native -b cpu -s cpu.duration=5 --neighbour cache
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 10
# it dies with isobench (PDEATHSIG); cleanup ends it by its recorded pid
# and start time if it did not
wait_until 10 eval '! alive_as "$NB_PID" "$PROBE"' || {
	ib k9c cleanup "$T/k9"
	expect_rc 0 k9c
}
! alive_as "$NB_PID" "$PROBE" || fail "k9: the neighbour outlived isobench and cleanup"
ib k9clean cleanup "$T/k9"
expect_rc 0 k9clean
note "kill -9: the neighbour ends with isobench; cleanup finds nothing of it left"

# a job's own neighbour --------------------------------------------------------
# the plan's none; job cpu-nb runs beside a cpu neighbour, job cpu without
cat >"$T/jobs.ini" <<EOF
[global]
runtimes = native
min_reps = 2
max_reps = 2
[cpu]
duration = 0.2
[cpu-nb]
benchmark = cpu
duration = 0.2
neighbour = cpu
EOF
ib jobs run "$T/jobs.ini" -q --probe "$PROBE" --scratch "$T" -o "$T/jobs"
expect_rc 0 jobs
assert_eq "$(jrows "$T/jobs/raw.jsonl" - neighbour ev=launch job=cpu-nb | sort -u)" cpu \
	"jobs: cpu-nb's launches ran beside a cpu neighbour"
assert_eq "$(jrows "$T/jobs/raw.jsonl" - neighbour ev=launch job=cpu | sort -u)" "<missing>" \
	"jobs: cpu's launches ran without"
assert_eq "$(jget "$T/jobs/results.json" job_neighbours.cpu-nb.kind)" cpu "jobs: results.json"
assert_grep "neighbour = cpu" "$T/jobs/plan.ini" "jobs: plan.ini keeps the job's"
for pid in $(jrows "$T/jobs/raw.jsonl" - pid ev=neighbour); do
	! alive_as "$pid" "$PROBE" || fail "jobs: neighbour $pid outlived the run"
done
[ "$(jrows "$T/jobs/raw.jsonl" - pid ev=neighbour | wc -l)" -ge 2 ] ||
	fail "jobs: the neighbour was not started for each of cpu-nb's rounds"
note "a job's own neighbour runs while its cells run (each launch says so), not beside the other job's; none left after"

# bad input -------------------------------------------------------------------
ib badkind run -r native -b cpu --neighbour noisy --probe "$PROBE" --scratch "$T" -o "$T/badkind"
assert_eq "$IB_RC" 2 "--neighbour noisy: exit status"
assert_grep "neighbour must be one of none,cpu,membw,cache, not" "$T/badkind.err" "the kinds named"
ib badcpu run -r native -b cpu -s cpu.duration=0.05 --neighbour cpu --neighbour-cpu 1023 \
	--probe "$PROBE" --scratch "$T" -o "$T/badcpu"
assert_eq "$IB_RC" 3 "--neighbour-cpu 1023: exit status"
assert_grep "the neighbour's CPU 1023 is not one isobench may run on here" "$T/badcpu.err" "the CPU named"
[ -z "$(jrows "$T/badcpu/raw.jsonl" - rec.type ev=record 2>/dev/null)" ] ||
	fail "badcpu: something was measured without the neighbour asked for"
note "a bad kind is refused; a CPU not here ends the run before it measures, naming it"
