#!/bin/bash
# compare.sh: `isobench compare` as a CI gate, on a real run (the fixture,
# tests/fixtures/run-pre-layout) and copies of it whose launch phases (the
# startup benchmark's samples) are scaled: x1.25 is a regression (lower is
# better), which must exit 1 and name the metrics; the run against itself
# exits 0; a thresholds file allowing 30% turns it back into no change;
# several NEW runs are columns; bad input (a thresholds file's line, a
# missing directory, an output directory that exists, one run only) is a
# clear error with its own exit status, and nothing is written then. No
# root, no runtime: results only.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/run-pre-layout" && pwd)
setup_tmp

# a copy of the fixture's run with every launch's phases times $2
scaled_run() { # DIR FACTOR
	mkdir "$1"
	awk -v f="$2" '{
		out = ""; s = $0
		while (match(s, /"(first_byte_s|created_s|exited_s|torn_down_s)":[0-9.e+-]+/)) {
			m = substr(s, RSTART, RLENGTH); i = index(m, ":")
			out = out substr(s, 1, RSTART - 1) substr(m, 1, i) sprintf("%.9f", substr(m, i + 1) * f)
			s = substr(s, RSTART + RLENGTH)
		}
		print out s
	}' "$FIX/raw.jsonl" >"$1/raw.jsonl"
}
scaled_run "$T/slow" 1.25
scaled_run "$T/fast" 0.8

ib same compare -o "$T/c-same" "$FIX" "$FIX"
expect_rc 0 same
assert_grep "0 worse, 0 better" "$T/same.out" "a run against itself"
for f in compare.md compare.json compare.html; do
	[ -s "$T/c-same/$f" ] || fail "no $f in the output directory"
done
assert_eq "$(jget "$T/c-same/compare.json" summary.worse)" 0 "compare.json's worse count"
assert_eq "$(jget "$T/c-same/compare.json" base.dir)" "$FIX" "compare.json's BASE"
note "a run against itself: exit 0, no change, compare.md, compare.json and compare.html written"

ib slow compare -o "$T/c-slow" "$FIX" "$T/slow"
expect_rc 1 slow
assert_grep "to_exited" "$T/slow.out" "the slower phase named on the terminal"
assert_grep "worse (5%)" "$T/slow.out" "the verdict and its threshold"
grep -q "better" <(grep -v "0 better" "$T/slow.out") && fail "a slower run was found better somewhere"
n=$(jget "$T/c-slow/compare.json" summary.worse)
[ "$n" -gt 0 ] || fail "compare.json counts no worse verdict"
note "phases 25% slower: exit 1, $n metrics worse, each named"

cat >"$T/t.ini" <<'INI'
; startup may vary by 30% here
[global]
allowed = 5%
INI
for m in to_first_byte to_created to_exited to_torn_down; do
	printf '[%s]\nmetric = startup.%s\nallowed = 30%%\n' "$m" "$m" >>"$T/t.ini"
done
ib allowed compare -t "$T/t.ini" -o "$T/c-allowed" "$FIX" "$T/slow"
expect_rc 0 allowed
assert_grep "0 worse" "$T/allowed.out" "30% allowed"
note "a thresholds file allowing 30%: the same runs pass"

ib many compare -o "$T/c-many" "$FIX" "$T/fast" "$T/slow"
expect_rc 1 many
assert_grep "NEW 2" "$T/c-many/compare.md" "the second NEW's column"
assert_grep "better" "$T/many.out" "the faster run's verdicts"
note "two NEW runs side by side: the faster better, the slower worse, exit 1"

# bad input: the message names it; nothing is written
printf '[global]\nallowed = lots\n' >"$T/bad.ini"
ib bad-t compare -t "$T/bad.ini" -o "$T/c-bad" "$FIX" "$FIX"
expect_rc 2 bad-t
assert_grep "bad.ini:2: allowed 'lots'" "$T/bad-t.err" "the thresholds file's line"
assert_no_path "$T/c-bad" "an output directory after a refused thresholds file"
ib missing compare -o "$T/c-missing" "$FIX" "$T/nothing-here"
[ "$IB_RC" -ne 0 ] || fail "a missing run directory was accepted"
assert_grep "nothing-here" "$T/missing.err" "the missing directory named"
assert_no_path "$T/c-missing" "an output directory after a missing run"
ib exists compare -o "$T/c-same" "$FIX" "$FIX"
expect_rc 3 exists
assert_grep "c-same" "$T/exists.err" "the existing output directory named"
ib one compare "$FIX"
expect_rc 2 one
ib alpha compare -a 2 "$FIX" "$FIX"
expect_rc 2 alpha
note "bad input: a thresholds file's line, a missing run, an existing output, one run, a bad alpha"

# the default output directory: ./isobench-compare/TIME
(cd "$T" && "$ISOBENCH" compare "$FIX" "$FIX" >"$T/default.out" 2>&1) || fail "compare with the default output: $(cat "$T/default.out")"
ls "$T"/isobench-compare/*/compare.md >/dev/null || fail "no compare.md under ./isobench-compare"
note "the default output directory is ./isobench-compare/TIME"
