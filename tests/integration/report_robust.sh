#!/bin/bash
# report_robust.sh: `isobench report DIR` on raw logs that are damaged or
# large (issue 11, robustness).
#
#   1. damaged lines: a real run's raw.jsonl with bytes flipped in two
#      lines in the middle is rebuilt from every other line: exit 1, each
#      damaged line named (number and reason) in results.json's warnings,
#      in report.md and on the terminal, and every cell still has its
#      results. A file whose first line is not the run's event (not a raw
#      log of isobench) is still refused, exit 2.
#   2. a large log: 200 000 records (a metric of 100 000 samples and
#      hundreds of metrics, generated here) are reported within a bound
#      (measured here: 1.6 s release build, ~25 s with sanitizers). Before
#      the fix, statistics were recomputed per sample (with a CI search
#      quadratic in the sample count), metrics and launches were found by
#      linear search and arrays grew by one item: a log of 12 000 records
#      of this shape took over 10 minutes (release build), this one hours.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp
cd "$T"

# --- 1. damaged lines --------------------------------------------------------
R=$T/dmg
ib dmg run -q -r native -b cpu,syscall -s cpu.duration=0.01 -s syscall.duration=0.01 \
	--min-reps 2 --max-reps 2 --warmup 0 --probe "$PROBE" --scratch "$T" -o "$R"
expect_rc 0 dmg
cp "$R/raw.jsonl" "$T/dmg.raw"
# two sample records in the middle, one of each cell's first launch
L1=$(grep -n '"type":"sample","bench":"cpu"' "$T/dmg.raw" | head -1 | cut -d: -f1)
L2=$(grep -n '"type":"sample","bench":"syscall"' "$T/dmg.raw" | head -1 | cut -d: -f1)
[ -n "$L1" ] && [ -n "$L2" ] || fail "no sample records in the run's raw.jsonl"
# flip bytes: 0x22 '"' and 0x3a ':' become 0xdd and 0xc5 (bit flips), so
# neither line is JSON any more
flip() {
	local line=$1 off
	off=$(head -n $((line - 1)) "$R/raw.jsonl" | wc -c)
	# the 2nd and 6th bytes of the line: '"' of "ev" and ':' after it
	printf '\xdd' | dd of="$R/raw.jsonl" bs=1 seek=$((off + 1)) conv=notrunc status=none
	printf '\xc5' | dd of="$R/raw.jsonl" bs=1 seek=$((off + 5)) conv=notrunc status=none
}
flip "$L1"
flip "$L2"
assert_eq "$(wc -l <"$R/raw.jsonl")" "$(wc -l <"$T/dmg.raw")" "lines after flipping bytes"
ib dmg-report report "$R"
expect_rc 1 dmg-report
for l in "$L1" "$L2"; do
	jrows "$R/results.json" warnings . | grep -F "raw.jsonl:$l: not a JSON object" >/dev/null ||
		fail "results.json's warnings do not name line $l: $(jget "$R/results.json" warnings)"
	assert_grep "raw.jsonl:$l: not a JSON object" "$R/report.md" "report.md's warnings"
	assert_grep "raw.jsonl:$l: not a JSON object" "$T/dmg-report.err" "the warnings on the terminal"
done
assert_eq "$(jrows "$R/results.json" warnings . | grep -c 'damaged line skipped')" 2 \
	"damaged lines named in results.json"
assert_grep "damaged raw.jsonl: 2 lines skipped" "$T/dmg-report.out" "the terminal summary"
assert_grep "raw.jsonl is damaged: 2 lines skipped" "$R/report.md" "report.md's head"
for c in cpu syscall; do
	assert_eq "$(jrows "$R/results.json" cells status runtime=native job=$c)" ok "cell native/$c"
	[ "$(jcount "$R/results.json" metrics median runtime=native job=$c)" -ge 1 ] ||
		fail "no metrics for native/$c after the rebuild"
done
# the rest of the log counts: the cpu cell kept every other sample
want=$(($(grep -c '"type":"sample","bench":"cpu"' "$T/dmg.raw") - 1))
got=0
for n in $(jrows "$R/results.json" metrics n runtime=native job=cpu); do got=$((got + n)); done
assert_eq "$got" "$want" "cpu samples counted after the rebuild"
"$IBCHECK" results "$R/results.json" || fail "results.json of the rebuild is incomplete"
# -q: the same status, warnings still on stderr
ib dmg-report-q report -q "$R"
expect_rc 1 dmg-report-q
assert_grep "raw.jsonl:$L1:" "$T/dmg-report-q.err" "warnings with -q"
note "a raw.jsonl with bytes flipped in lines $L1 and $L2: rebuilt from the rest, exit 1, both named"

# the first line damaged: not a raw log of isobench, refused
cp "$T/dmg.raw" "$R/raw.jsonl"
sed -i '1s/^{"ev"/{"ev\xdd/' "$R/raw.jsonl"
cp "$R/results.json" "$T/before.json"
ib dmg-first report -q "$R"
expect_rc 2 dmg-first
one_line_error dmg-first "$R/raw.jsonl:1:" "not a raw log of isobench"
cmp -s "$T/before.json" "$R/results.json" || fail "a refused log rewrote results.json"
# and a file that is no log at all
mkdir "$T/notalog"
printf 'hello\nworld\n' >"$T/notalog/raw.jsonl"
ib notalog report -q "$T/notalog"
expect_rc 2 notalog
one_line_error notalog "raw.jsonl:1:" "not a raw log of isobench"
assert_no_path "$T/notalog/results.json" "results of a file that is not a log"
note "a first line that is not the run's event: refused, exit 2"

# --- 2. a large log ----------------------------------------------------------
# 100 launches x 1000 samples of one metric on each of runc and crun (no
# baseline there: no bootstrap), and 300 metrics x 3 launches on native
# and runc (ratios to native): 200 000 + 1 800 sample records.
G=$T/big
mkdir "$G"
awk -v L=100 -v S=1000 -v W=300 -v WL=3 '
BEGIN {
	printf "{\"ev\":\"run\",\"schema\":3,\"isobench\":\"0.1.0\",\"run_id\":\"20261201-000000-big\",\"started\":\"2026-12-01T00:00:00Z\",\"runtimes\":[\"native\",\"runc\",\"crun\"],\"plan\":{\"source\":\"generated\",\"mode\":\"quick\",\"runtimes\":[],\"rsd_target_pct\":3,\"baseline\":\"native\",\"jobs\":[{\"name\":\"deep\",\"benchmark\":\"cpu\",\"params\":{},\"runtimes\":[\"runc\",\"crun\"]},{\"name\":\"wide\",\"benchmark\":\"memlat\",\"params\":{},\"runtimes\":[\"native\",\"runc\"]}]},\"fingerprint\":{}}\n"
	split("native runc crun", rts, " ")
	for (r = 1; r <= 3; r++)
		printf "{\"ev\":\"runtime\",\"runtime\":\"%s\",\"family\":\"x\",\"available\":true,\"describe\":{}}\n", rts[r]
	id = 0
	for (l = 0; l < L; l++)
		for (r = 2; r <= 3; r++) {
			id++
			printf "{\"ev\":\"launch\",\"id\":%d,\"runtime\":\"%s\",\"job\":\"deep\",\"bench\":\"cpu\",\"rep\":%d,\"warmup\":false}\n", id, rts[r], l
			for (s = 0; s < S; s++)
				printf "{\"ev\":\"record\",\"launch\":%d,\"rec\":{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":\"events_per_s\",\"unit\":\"events/s\",\"dir\":\"higher\",\"value\":%d,\"rep\":%d,\"params\":{\"threads\":1}}}\n", id, 1000 + r * 100 + (s * 7 + l * 13) % 50, s
			printf "{\"ev\":\"end\",\"launch\":%d,\"status\":\"ok\",\"exit\":0,\"signal\":0,\"wall_s\":0.1}\n", id
		}
	for (l = 0; l < WL; l++)
		for (r = 1; r <= 2; r++) {
			id++
			printf "{\"ev\":\"launch\",\"id\":%d,\"runtime\":\"%s\",\"job\":\"wide\",\"bench\":\"memlat\",\"rep\":%d,\"warmup\":false}\n", id, rts[r], l
			for (s = 0; s < W; s++)
				printf "{\"ev\":\"record\",\"launch\":%d,\"rec\":{\"type\":\"sample\",\"bench\":\"memlat\",\"metric\":\"latency\",\"unit\":\"ns\",\"dir\":\"lower\",\"value\":%d,\"rep\":0,\"params\":{\"size\":%d}}}\n", id, 50 + r * 5 + (s + l) % 7, s
			printf "{\"ev\":\"end\",\"launch\":%d,\"status\":\"ok\",\"exit\":0,\"signal\":0,\"wall_s\":0.1}\n", id
		}
	printf "{\"ev\":\"run_end\",\"status\":\"complete\",\"ended\":\"2026-12-01T00:01:00Z\",\"elapsed_s\":60}\n"
}' >"$G/raw.jsonl"
[ "$(grep -c '"type":"sample"' "$G/raw.jsonl")" -eq 201800 ] || fail "the generated log is not what it should be"
ib big report -q "$G"
expect_rc 0 big
# The bound: on a loaded 2-CPU machine with sanitizers, ~25 s (release
# build: ~3 s); quadratic, it was hours.
BOUND_MS=150000
[ "$IB_MS" -le "$BOUND_MS" ] || fail "report of 200 000 records took $IB_MS ms (bound $BOUND_MS ms)"
assert_eq "$(jrows "$G/results.json" metrics n runtime=runc job=deep)" 100000 "samples of the deep metric"
assert_eq "$(jcount "$G/results.json" metrics n job=wide)" 600 "metrics of the wide job"
assert_eq "$(jcount "$G/results.json" cells status status=ok)" 4 "cells ok"
assert_eq "$(jcount "$G/results.json" metrics n job=wide +ratio_to_baseline.ratio)" 600 \
	"wide metrics with a ratio to native"
note "report of 200 000 records in $IB_MS ms (bound $BOUND_MS ms)"

if [ ${#SKIPPED[@]} -gt 0 ]; then exit 77; fi
