#!/bin/bash
# end_to_end.sh: `isobench run` with a plan of every benchmark (tiny
# parameters) on the native runtime with the real static probe. Checks the
# run directory, results.json, that `isobench report` rebuilds the results
# byte for byte from raw.jsonl alone, that the saved plan.ini repeats the
# run, and that the run leaves no scratch directory and no process behind.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

cat >"$T/plan.ini" <<'EOF'
; every benchmark, tiny
[global]
runtimes = native

[cpu]
duration = 0.1

[membw]
array_size = 16m
ntimes = 2
; quick default: 3 repetitions in one launch

[memlat]
max_size = 16m
duration = 0.005

[syscall]
duration = 0.02

[ctxsw]
duration = 0.05

[disk]
size = 16m
; 0.05 s windows can see no completion at all on a busy disk
duration = 0.2
tests = randread-4k-qd32,randwrite-4k-fsync

[startup]
launches = 4

[footprint]
instances = 3
rounds = 1
settle = 0.1
hold = 60
# the host's page cache is not this test's to drop
drop_caches = off
EOF
BENCHES="cpu membw memlat syscall ctxsw disk startup footprint"

# The default scratch parent (/var/tmp) on purpose: that is where a run's
# leftovers would be.
D=$T/run1
ib run1 run -q --max-reps 3 --min-reps 2 --probe "$PROBE" -o "$D" "$T/plan.ini"
expect_rc 0 run1
for f in raw.jsonl results.json results.csv report.md report.html plan.ini state.jsonl; do
	assert_file "$D/$f"
done
RUN_ID=$(jget "$D/results.json" run_id)
[ -n "$RUN_ID" ] || fail "results.json has no run_id"
note "run $RUN_ID: exit 0, every file written"

# results.json: complete, one ok cell per benchmark with 2-3 launches, and
# every metric with n, median, rsd_pct, ci and ratio_to_baseline.
assert_eq "$(jget "$D/results.json" status)" complete "results.json status"
assert_eq "$(jget "$D/results.json" schema_version)" 3 "results.json schema_version"
"$IBCHECK" results "$D/results.json" || fail "results.json metrics are incomplete"
for b in $BENCHES; do
	st=$(jrows "$D/results.json" cells status job="$b" runtime=native)
	assert_eq "$st" ok "cell native/$b status"
	n=$(jrows "$D/results.json" cells launches job="$b")
	if [ "$b" = membw ]; then
		# membw runs 3 repetitions per launch in the quick suite: one
		# launch reaches min_reps, and every metric has 3 samples
		[ "$n" -eq 1 ] || fail "cell membw: $n launches, want 1 (3 reps each)"
		[ "$(jrows "$D/results.json" metrics n benchmark=membw metric=triad)" -eq 3 ] ||
			fail "membw triad: want 3 samples from one launch"
	elif [ "$b" = memlat ]; then
		# memlat too: 3 repetitions per launch, so 3 samples a launch
		[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "cell memlat: $n launches, want 1 to 3"
		k=$(jrows "$D/results.json" metrics n benchmark=memlat metric=load_latency | head -n 1)
		[ "$k" -eq $((3 * n)) ] || fail "memlat: $k samples from $n launches, want 3 each"
	elif [ "$b" = startup ]; then
		# a fixed count of launches, each one sample of every phase
		[ "$n" -eq 4 ] || fail "cell startup: $n launches, want 4"
		for ph in to_first_byte to_exited to_torn_down; do
			k=$(jrows "$D/results.json" metrics n benchmark=startup metric=$ph)
			[ "$k" = 4 ] || fail "startup $ph: '$k' samples, want 4"
		done
	elif [ "$b" = footprint ]; then
		# one round of 3 instances held at once
		[ "$n" -eq 3 ] || fail "cell footprint: $n launches, want 3"
	elif [ "$n" -lt 2 ] || [ "$n" -gt 3 ]; then
		fail "cell $b: $n launches, want 2 to 3"
	fi
	m=$(jcount "$D/results.json" metrics metric benchmark="$b")
	[ "$m" -ge 1 ] || fail "no metrics for $b in results.json"
	assert_grep "## $b" "$D/report.md" "report.md section for $b"
done
# footprint left the host's page cache alone (drop_caches = off in the
# plan), and says so with its figures
assert_grep "NOT dropped (footprint.drop_caches=off)" "$D/raw.jsonl" \
	"footprint's method note"
note "footprint did not drop the host's page cache, and says so"
# the expected metric families are all there
for want in "cpu events_per_s" "membw triad" "memlat load_latency" \
	"syscall latency" "ctxsw switch" "disk iops" "disk lat_p99.9" \
	"startup to_first_byte" "footprint pss" "footprint rss" \
	"footprint mem_available_drop" "footprint start_rate"; do
	set -- $want
	[ "$(jcount "$D/results.json" metrics n benchmark="$1" metric="$2")" -ge 1 ] ||
		fail "results.json lacks $1 $2"
done
# ratio of the baseline to itself is 1 (checked by ibcheck), for every metric
# but the MemAvailable drop of 3 native probes, which is noise around zero
[ "$(jcount "$D/results.json" metrics n -ratio_to_baseline metric!=mem_available_drop)" -eq 0 ] ||
	fail "some metric of the baseline has no ratio_to_baseline"
note "results.json: every cell ok, every metric complete"

# raw.jsonl: every line JSON, run first, run_end last, and every sample of
# every counted launch is in results.json (sum of n = samples logged; the
# startup samples come from the launches' end events, not from records).
first=$(jrows "$D/raw.jsonl" - ev | head -n 1)
last=$(jrows "$D/raw.jsonl" - ev | tail -n 1)
assert_eq "$first" run "first event of raw.jsonl"
assert_eq "$last" run_end "last event of raw.jsonl"
logged=$(jcount "$D/raw.jsonl" - launch ev=record rec.type=sample)
summed=$(jrows "$D/results.json" metrics n benchmark!=startup | awk '{s += $1} END {print s + 0}')
assert_eq "$summed" "$logged" "samples in results.json vs sample records in raw.jsonl"
[ "$(jcount "$D/raw.jsonl" - ev ev=bad_record)" -eq 0 ] || fail "bad_record events in a clean run"
[ "$(jcount "$D/raw.jsonl" - status ev=end status!=ok)" -eq 0 ] || fail "a launch did not end ok"
# results.csv: the header and one row per metric
nmetrics=$(jget "$D/results.json" metrics.#)
assert_eq "$(wc -l <"$D/results.csv")" "$((nmetrics + 1))" "lines of results.csv"
head -n 1 "$D/results.csv" | grep -q '^runtime,job,benchmark,metric,params,unit,direction,n,median' ||
	fail "results.csv header: $(head -n 1 "$D/results.csv")"
note "raw.jsonl and results.csv agree with results.json ($logged samples, $nmetrics metrics)"

# Nothing left: no scratch directory, no probe process, no registry entry,
# and cleanup has nothing to do.
assert_no_path "/var/tmp/isobench-$RUN_ID" "scratch directory of the run"
scratch=$(run_scratch "$D")
assert_eq "$scratch" "/var/tmp/isobench-$RUN_ID" "scratch directory recorded in state.jsonl"
assert_no_probe_left "$D" "$PROBE"
[ "$(run_probe_pids "$D" | wc -l)" -ge 12 ] || fail "state.jsonl/raw.jsonl name fewer probe pids than launches"
assert_no_path "$(registry_dir)/$RUN_ID" "registry entry of a finished run"
ib cleanup1 cleanup "$D"
expect_rc 0 cleanup1
assert_grep "nothing left behind" "$T/cleanup1.out" "cleanup of a finished run"
note "no scratch directory, probe process or registry entry left"

# `isobench report` rebuilds the four files byte for byte, from raw.jsonl
# alone: once over the existing files, once after deleting them.
mkdir "$T/orig"
cp "$D/results.json" "$D/results.csv" "$D/report.md" "$D/report.html" "$T/orig/"
for pass in 1 2; do
	[ "$pass" -eq 1 ] || rm "$D/results.json" "$D/results.csv" "$D/report.md" "$D/report.html"
	ib report$pass report -q "$D"
	expect_rc 0 report$pass
	for f in results.json results.csv report.md report.html; do
		cmp "$T/orig/$f" "$D/$f" || fail "isobench report (pass $pass) rebuilt a different $f"
	done
done
ib report3 report "$D"
expect_rc 0 report3
assert_grep "events_per_s" "$T/report3.out" "summary table of isobench report"
note "isobench report rebuilds results.json, results.csv, report.md and report.html byte-identical"

# The saved plan repeats the run: same jobs, same parameters, same policy.
D2=$T/run2
ib run2 run -q --probe "$PROBE" --scratch "$T" -o "$D2" "$D/plan.ini"
expect_rc 0 run2
for k in plan.jobs plan.runtimes plan.min_reps plan.max_reps plan.rsd_target_pct \
	plan.max_time_s plan.warmup plan.timeout_s plan.baseline plan.mode; do
	assert_eq "$(jget "$D2/results.json" $k)" "$(jget "$D/results.json" $k)" "rerun from plan.ini: $k"
done
assert_eq "$(jget "$D2/results.json" plan.source)" "$D/plan.ini" "rerun: plan source"
cmp <(tail -n +2 "$D/plan.ini") <(tail -n +2 "$D2/plan.ini") ||
	fail "the rerun's plan.ini differs from the plan it ran"
for b in $BENCHES; do
	assert_eq "$(jrows "$D2/results.json" cells status job="$b")" ok "rerun: cell $b"
done
assert_no_probe_left "$D2" "$PROBE"
assert_no_scratch_in "$T" "rerun"
note "isobench run DIR/plan.ini repeats the run"

# A relative --probe path works too (the probe runs in the scratch
# directory, so the path must not be taken relative to it).
rel=$(realpath --relative-to="$T" "$PROBE")
(cd "$T" && "$ISOBENCH" run -q -r native -b cpu -s cpu.duration=0.02 --min-reps 1 --max-reps 1 \
	--probe "$rel" --scratch "$T" -o "$T/relative" >"$T/relative.out" 2>"$T/relative.err") ||
	fail "a relative --probe $rel: exit status $? ($(cat "$T/relative.err"))"
assert_eq "$(jrows "$T/relative/results.json" cells status job=cpu)" ok "relative --probe: cell status"
note "a relative --probe path works"
