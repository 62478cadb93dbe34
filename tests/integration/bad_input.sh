#!/bin/bash
# bad_input.sh: bad command lines, plan files, output directories and
# probes. Each gets its documented exit status (2 usage/plan, 3
# environment), a one-line error on stderr naming what and where, creates
# nothing it should not, and loses nothing already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp
cd "$T"

# usage NAME SUBSTRING... -- ARGS: exit 2, one line naming every SUBSTRING,
# and no output directory made.
usage() {
	expect_failure 2 "$@"
	[ ! -e "$T/out" ] || fail "$1: made the output directory"
}
TINY=(-o "$T/out" --probe "$PROBE" --scratch "$T")

# --- the command line -----------------------------------------------------
usage runtime "unknown runtime" "'nosuch'" -- run -r nosuch -b cpu "${TINY[@]}"
usage runtime2 "unknown runtime" "'nosuch'" -- run -r native,nosuch -b cpu "${TINY[@]}"
usage bench "unknown benchmark" "'nosuch'" -- run -b nosuch "${TINY[@]}"
usage bench2 "unknown benchmark" "'nosuch'" -- run -b cpu,nosuch "${TINY[@]}"
usage size "size" "'abc'" "disk" -- run -b disk -s disk.size=abc "${TINY[@]}"
usage param "unknown parameter" "'nosuch'" "cpu" -- run -b cpu -s cpu.nosuch=1 "${TINY[@]}"
usage duration "duration" "'-1'" -- run -b cpu -s cpu.duration=-1 "${TINY[@]}"
usage set-target "'nosuch'" -- run -b cpu -s nosuch.x=1 "${TINY[@]}"
usage set-shape "garbage" "BENCHMARK.PARAM=VALUE" -- run -b cpu -s garbage "${TINY[@]}"
usage max-reps "--max-reps" "'0'" -- run -b cpu --max-reps 0 "${TINY[@]}"
usage min-max "min_reps (5)" "max_reps (2)" -- run -b cpu --min-reps 5 --max-reps 2 "${TINY[@]}"
usage timeout "--timeout" "'abc'" -- run -b cpu --timeout abc "${TINY[@]}"
usage option "--bogus" -- run --bogus "${TINY[@]}"
usage option-value "-o" -- run -b cpu -o
usage two-plans "'a.ini'" "'b.ini'" -- run a.ini b.ini
usage plan-and-b "-b" -- run -b cpu "$T/none.ini"
usage no-plan "$T/none.ini" "No such file" -- run "$T/none.ini"
usage command "'frobnicate'" -- frobnicate
usage report-nodir "which results directory" -- report
usage cleanup-notrun "$T" "no state.jsonl" -- cleanup "$T"
note "bad command lines: exit 2, one line naming the culprit"

# --- plan files: the file name and the right line number -----------------
# plan NAME LINE SUBSTRING < text: the plan fails to load at NAME.ini:LINE
plan() {
	local name=$1 line=$2
	shift 2
	cat >"$T/$name.ini"
	ib "plan-$name" run "${TINY[@]}" "$T/$name.ini"
	expect_rc 2 "plan-$name"
	one_line_error "plan-$name" "$T/$name.ini:$line:" "$@"
	[ ! -e "$T/out" ] || fail "plan $name: made the output directory"
}
plan no-equals 4 "not a valid line" <<'EOF'
[global]
runtimes = native

this line has no equals sign
[cpu]
EOF
plan unknown-key 6 "unknown parameter 'frobs'" "cpu" <<'EOF'
[global]
runtimes = native

[cpu]
duration = 0.1
frobs = 3
EOF
plan unknown-global 3 "unknown key 'frobs'" "[global]" <<'EOF'
; a comment
[global]
frobs = 1
[cpu]
EOF
plan bad-size 9 "size" "'abc'" <<'EOF'
; comment
[global]
runtimes = native

[cpu]
duration = 0.1

[disk]
size = abc
EOF
plan bad-global 2 "min_reps" <<'EOF'
[global]
min_reps = zero
[cpu]
EOF
plan bad-timeout 3 "timeout" <<'EOF'
[global]
runtimes = native
timeout = soon
[cpu]
EOF
plan unknown-bench 3 "unknown benchmark 'nosuch'" <<'EOF'
[global]
runtimes = native
[nosuch]
x = 1
EOF
plan unknown-bench-key 4 "unknown benchmark 'nosuch'" <<'EOF'
[global]
runtimes = native
[fast]
benchmark = nosuch
EOF
plan twice 3 "'duration' is set twice" <<'EOF'
[cpu]
duration = 0.1
duration = 0.2
EOF
plan outside 1 "outside any [section]" <<'EOF'
duration = 0.1
[cpu]
EOF
plan bad-header 2 "not a valid line" <<'EOF'
[global]
[cpu
duration = 0.1
EOF
plan bad-threads 5 "threads" "'-1'" <<'EOF'
[global]
runtimes = native

[cpu]
threads = -1
EOF
plan long-line 3 "line too long" < <(printf '[cpu]\nduration = 0.1\nmax_prime = %0300d\n' 1)
# a plan with no jobs names the file
printf '[global]\nruntimes = native\n' >"$T/nojobs.ini"
ib plan-nojobs run "${TINY[@]}" "$T/nojobs.ini"
expect_rc 2 plan-nojobs
one_line_error plan-nojobs "$T/nojobs.ini" "no jobs"
note "bad plan files: exit 2, FILE:LINE and what is wrong"

# --- output directories ----------------------------------------------------
# env NAME SUBSTRING... -- ARGS: exit 3 and one line naming each SUBSTRING
envfail() {
	expect_failure 3 "$@"
}
RUN=(run -q -b cpu -s cpu.duration=0.01 --probe "$PROBE" --scratch "$T")
echo "precious" >"$T/afile"
envfail out-under-file "$T/afile/sub" "Not a directory" -- "${RUN[@]}" -o "$T/afile/sub"
envfail out-is-file "$T/afile" "not a directory" -- "${RUN[@]}" -o "$T/afile"
assert_eq "$(cat "$T/afile")" "precious" "a regular file given as output"
envfail out-proc "/proc/isobench-itest-$$" -- "${RUN[@]}" -o "/proc/isobench-itest-$$"
envfail out-sys "/sys/isobench-itest-$$" -- "${RUN[@]}" -o "/sys/isobench-itest-$$/run"
assert_no_path "/sys/isobench-itest-$$" "output under /sys"
mkdir "$T/full"
echo "older results" >"$T/full/results.json"
envfail out-not-empty "$T/full" "not empty" -- "${RUN[@]}" -o "$T/full"
assert_eq "$(ls -A "$T/full")" "results.json" "files in a non-empty output directory afterwards"
assert_eq "$(cat "$T/full/results.json")" "older results" "an existing results.json"
# root ignores permissions; an immutable directory still refuses writes
mkdir "$T/immutable"
if chattr +i "$T/immutable" 2>/dev/null; then
	envfail out-immutable "$T/immutable" "not writable" -- "${RUN[@]}" -o "$T/immutable"
	chattr -i "$T/immutable"
	assert_eq "$(ls -A "$T/immutable")" "" "files in the unwritable directory"
else
	skip_case "chattr +i does not work here: unwritable directory not tested"
fi
assert_no_scratch_in "$T" "a refused run"
note "bad output directories: exit 3, named, nothing touched"

# --- the probe ---------------------------------------------------------------
envfail no-probe "/nonexistent/isobench-probe" "No such file" -- \
	run -b cpu -o "$T/out" --scratch "$T" --probe /nonexistent/isobench-probe
assert_no_path "$T/out" "output directory of a run without a probe"
envfail probe-not-exec "$T/afile" "Permission denied" -- \
	run -b cpu -o "$T/out" --scratch "$T" --probe "$T/afile"
note "a missing probe: exit 3, named"

# --- the scratch directory ---------------------------------------------------
envfail scratch-under-file "scratch directory" "$T/afile/x" "Not a directory" -- \
	run -q -b cpu -s cpu.duration=0.01 --probe "$PROBE" --scratch "$T/afile/x" -o "$T/badscratch"
note "a scratch directory that cannot be made: exit 3, named"

# --- a damaged raw.jsonl: damaged lines skipped and named; a bad first line refused --
R=$T/good
ib good run -q -r native -b cpu -s cpu.duration=0.01 --min-reps 2 --max-reps 2 --probe "$PROBE" --scratch "$T" -o "$R"
expect_rc 0 good
cp "$R/raw.jsonl" "$T/good.raw"
for f in results.json results.csv report.md report.html; do cp "$R/$f" "$T/good.$f"; done
unchanged() {
	local f
	for f in results.json results.csv report.md report.html; do
		cmp -s "$T/good.$f" "$R/$f" || fail "$1: $f changed"
	done
	for f in "$R"/* "$R"/.[!.]*; do
		[ -e "$f" ] || continue
		case ${f##*/} in
		raw.jsonl | results.json | results.csv | report.md | report.html | plan.ini | state.jsonl) ;;
		*) fail "$1: stray file $f" ;;
		esac
	done
}
# a damaged line in the middle is skipped and named (the log is the source
# of truth: the rest is rebuilt), exit 1; a damaged first line is refused
sed -i '3s/.*/{garbage/' "$R/raw.jsonl"
ib report-garbage report -q "$R"
expect_rc 1 report-garbage
assert_grep "$R/raw.jsonl:3: not a JSON object: damaged line skipped" "$T/report-garbage.err" "report of a garbage line"
jrows "$R/results.json" warnings . | grep -qF "raw.jsonl:3: not a JSON object" ||
	fail "report of a garbage line: not in results.json's warnings"
cp "$T/good.raw" "$R/raw.jsonl"
sed -i '3s/.*/{"ev":"bogus"}/' "$R/raw.jsonl"
ib report-event report -q "$R"
expect_rc 1 report-event
assert_grep "$R/raw.jsonl:3: unknown event \"bogus\"" "$T/report-event.err" "report of an unknown event"
cp "$T/good.raw" "$R/raw.jsonl"
ib report-good report -q "$R"
expect_rc 0 report-good
for f in results.json results.csv report.md; do cp "$R/$f" "$T/good.$f"; done
sed -i '1s/.*/{garbage/' "$R/raw.jsonl"
ib report-first report -q "$R"
expect_rc 2 report-first
one_line_error report-first "$R/raw.jsonl:1:" "not a raw log of isobench"
unchanged "report of a raw.jsonl with a garbage first line"
# a torn last line (a kill while writing) is skipped with a warning
cp "$T/good.raw" "$R/raw.jsonl"
printf '{"ev":"record","launch":2,"t_s":0.1,"rec":{"type":"sam' >>"$R/raw.jsonl"
ib report-torn report -q "$R"
expect_rc 0 report-torn
one_line_error report-torn "warning" "$R/raw.jsonl:$(($(wc -l <"$T/good.raw") + 1)):" "incomplete"
for k in metrics cells status; do
	assert_eq "$(jget "$R/results.json" $k)" "$(jget "$T/good.results.json" $k)" "report of a torn raw.jsonl: $k"
done
jget "$R/results.json" warnings | grep -q incomplete || fail "report of a torn raw.jsonl: no warning in results.json"
ib report-missing report -q "$T/nonexistent"
expect_rc 3 report-missing
one_line_error report-missing "$T/nonexistent/raw.jsonl" "No such file"
note "a damaged raw.jsonl: report skips and names damaged lines (exit 1), refuses a damaged first line (exit 2) keeping the results; a torn last line is skipped with a warning"

# --- a disk that fills up during the run -----------------------------------
# (a small tmpfs in a private mount namespace; skipped where that is not
# allowed). The run stops with exit 3 and names the file; no half-written
# results file is left; after space is freed, `isobench report` rebuilds the
# results from what raw.jsonl kept.
if [ -z "${IB_IN_NS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
	mkdir "$T/small"
	IB_IN_NS=1 unshare --mount --propagation private bash -euo pipefail -c '
		source "$1"; T=$2; PROBE=$3; TEST_NAME=bad_input
		mount -n -t tmpfs -o size=64k tmpfs "$T/small"
		dd if=/dev/zero of="$T/small/fill" bs=1k count=48 2>/dev/null
		ib diskfull run -r native -b cpu,ctxsw -s cpu.duration=0.01 -s ctxsw.duration=0.01 \
			--min-reps 20 --max-reps 20 --probe "$PROBE" --scratch "$T" -o "$T/small/run"
		expect_rc 3 diskfull
		grep -q "raw.jsonl: No space left on device" "$T/diskfull.err" ||
			fail "disk full: the error does not name raw.jsonl: $(cat "$T/diskfull.err")"
		[ "$(grep -c "^isobench: " "$T/diskfull.err")" -le 3 ] ||
			fail "disk full: more than a few error lines: $(cat "$T/diskfull.err")"
		for f in results.json results.csv report.md report.html; do
			if [ -e "$T/small/run/$f" ]; then
				"$IBCHECK" get "$T/small/run/results.json" status >/dev/null ||
					fail "disk full: a half-written $f"
			fi
		done
		if ls -A "$T/small/run" | grep -Eqv "^(raw\.jsonl|state\.jsonl|plan\.ini|results\.json|results\.csv|report\.md|report\.html)$"; then
			fail "disk full: stray files left: $(ls -A "$T/small/run")"
		fi
		assert_no_probe_left "$T/small/run" "$PROBE"
		assert_no_scratch_in "$T" "disk full"
		rm "$T/small/fill"
		ib diskfull-report report -q "$T/small/run"
		expect_rc 0 diskfull-report
		summed=$(jrows "$T/small/run/results.json" metrics n | awk "{s += \$1} END {print s + 0}")
		[ "$summed" -gt 0 ] || fail "disk full: the rebuilt results hold no sample"
		note "disk full: exit 3, raw.jsonl named, report rebuilds $summed samples"
	' bash "$LIB_SH" "$T" "$PROBE"
else
	skip_case "no private mount namespace here: disk-full case not tested"
fi
