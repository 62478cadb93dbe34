#!/bin/bash
# report_html.sh: report.html in a real browser: Debian's chromium,
# headless, driven by ibbrowser over the DevTools pipe, in a network
# namespace of its own (it can reach nothing).
#  1. The fixture's run (tests/fixtures/run-pre-layout), rebuilt: no
#     console error, every chart has marks, every mark sits where its
#     chart's scale puts its value, and every value is results.json's.
#  2. A real run here (native, runc, gvisor; cpu, memlat, syscall,
#     startup; tiny): the same, at a desktop's width and a phone's (390
#     px), with the page laid out to the phone's width; rebuilt
#     byte-identical by `isobench report`.
#  3. The checker can fail: pages broken on purpose (a console error, a
#     chart without marks, a mark moved off its scale, a value that is not
#     results.json's) are refused, each for its reason.
#  4. compare.html of the fixture's run against a copy whose launches are
#     25% slower: its marks on their scale and compare.json's NEW/BASE.
# Screenshots are kept in $ARTEFACTS (build/test-artefacts/report-*.png).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/run-pre-layout" && pwd)
PROBE=${PROBE_STATIC:?}
setup_tmp

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "SKIP [$TEST_NAME]: no chromium at $CHROMIUM (scripts/setup.sh --tests installs Debian's)" >&2
	exit 77
fi
mkdir -p "${ARTEFACTS:?}"

# browse NAME PAGE [ARGS...]: ibbrowser on PAGE; output in $T/NAME.out,
# .err, status in BR_RC; the screenshot in $T/NAME.png
browse() {
	local name=$1 page=$2
	shift 2
	mkdir "$T/profile-$name"
	set +e
	"$IBBROWSER" --profile "$T/profile-$name" --screenshot "$T/$name.png" \
		"$@" "$page" >"$T/$name.out" 2>"$T/$name.err"
	BR_RC=$?
	set -e
}
keep() { # NAME: the screenshot, kept as an artefact
	rm -f "$ARTEFACTS/report-$1.png"
	cp "$T/$1.png" "$ARTEFACTS/report-$1.png"
}
passes() { # NAME WHAT
	[ "$BR_RC" -eq 0 ] || {
		cat "$T/$1.err" >&2
		fail "$2: ibbrowser exit $BR_RC"
	}
	[ -s "$T/$1.png" ] || fail "$2: no screenshot"
	[ "$(head -c 8 "$T/$1.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
		fail "$2: the screenshot is not a PNG"
}

# 1. the fixture
mkdir "$T/fix"
cp "$FIX/raw.jsonl" "$T/fix/"
ib fixreport report -q "$T/fix"
expect_rc 0 fixreport
browse fixture "$T/fix/report.html" --results "$T/fix/results.json"
passes fixture "the fixture's report.html"
grep -q "mark values checked" "$T/fixture.out" || fail "no marks checked: $(cat "$T/fixture.out")"
keep fixture
note "the fixture's report.html: $(tail -n 1 "$T/fixture.out" | sed 's/.*: \([0-9]* x [0-9]* px, [0-9]* charts, [0-9]* marks\).*/\1/'), every mark on its scale and results.json's"

# 2. a real run
cat >"$T/plan.ini" <<'EOF'
[global]
runtimes = native, runc, gvisor

[cpu]
duration = 0.1

[memlat]
max_size = 1m
duration = 0.005

[syscall]
duration = 0.02

[startup]
launches = 4
EOF
D=$T/run
ib run run -q --max-reps 3 --min-reps 2 --probe "$PROBE" -o "$D" "$T/plan.ini"
expect_rc 0 run
assert_file "$D/report.html"
browse desktop "$D/report.html" --results "$D/results.json"
passes desktop "the run's report.html"
keep desktop
charts=$(sed -n 's/.*px, \([0-9]*\) charts, \([0-9]*\) marks.*/\1 \2/p' "$T/desktop.out")
read -r nc nm <<<"$charts"
# cpu, syscall, startup: a ratio chart each; memlat: seq and rand curves;
# startup: its phases
[ "${nc:-0}" -ge 6 ] || fail "the run's page has ${nc:-0} charts, want 6 or more: $(cat "$T/desktop.out")"
for id in ratio-cpu ratio-syscall ratio-startup curve-memlat-0-0 curve-memlat-0-1 phases-startup; do
	grep -q "<svg class=\"chart\" id=\"$id\"" "$D/report.html" || fail "no chart $id in report.html"
done
grep -q 'Skipped here\|gvisor' "$D/report.html" || fail "report.html names no gvisor (used or skipped)"
note "a real run's report.html: $nc charts, $nm marks, each on its scale and results.json's"

browse phone "$D/report.html" --width 390 --height 800 --results "$D/results.json"
passes phone "the run's report.html on a phone"
keep phone
w=$(sed -n 's/.*: \([0-9]*\) x [0-9]* px.*/\1/p' "$T/phone.out")
[ "${w:-0}" -le 390 ] || fail "on a 390 px phone the page is $w px wide (it must not scroll sideways)"
note "on a 390 px phone: laid out $w px wide"

cp "$D/report.html" "$T/first.html"
ib rebuild report -q "$D"
expect_rc 0 rebuild
cmp -s "$D/report.html" "$T/first.html" || fail "isobench report rebuilt a different report.html"
grep -Eq '<script|https?://|src=' "$D/report.html" &&
	fail "report.html has a script or a reference to fetch: $(grep -Eo '<script|https?://[^"]*|src=[^ ]*' "$D/report.html" | head -3)"
note "rebuilt byte-identical; no script, no URL, nothing to fetch"

# 3. the checker fails where it should
broken() { # NAME SED-EXPRESSION WANT-IN-STDERR
	sed "$2" "$D/report.html" >"$T/$1.html"
	cmp -s "$T/$1.html" "$D/report.html" && fail "case $1: the sed changed nothing"
	browse "$1" "$T/$1.html" --results "$D/results.json"
	[ "$BR_RC" -eq 1 ] || fail "case $1: ibbrowser exit $BR_RC, want 1: $(cat "$T/$1.err")"
	grep -q "$3" "$T/$1.err" || fail "case $1: stderr does not say '$3': $(cat "$T/$1.err")"
}
broken console 's|</body>|<script>console.error("planted")</script></body>|' 'console error'
broken exception 's|</body>|<script>undefined_function()</script></body>|' 'uncaught exception'
broken nomarks 's|class="mark"|class="gone"|g' 'a chart with no marks'
# the first dot moved 40 px right of where its value belongs
broken moved '0,/class="dot" transform="translate(/{s/class="dot" transform="translate(\([0-9.]*\),/class="dot" transform="translate(4\1,/}' 'drawn at x'
# the first mark's value changed: no longer results.json's figure
broken value '0,/data-v="/{s/data-v="\([0-9]\)/data-v="9\1/}' 'which results.json does not give'
note "pages broken on purpose fail: a console error, an exception, no marks, a mark off its scale, a value not results.json's"

# 4. compare.html
mkdir "$T/slow"
awk '{
	out = ""; s = $0
	while (match(s, /"(first_byte_s|created_s|exited_s|torn_down_s)":[0-9.e+-]+/)) {
		m = substr(s, RSTART, RLENGTH); i = index(m, ":")
		out = out substr(s, 1, RSTART - 1) substr(m, 1, i) sprintf("%.9f", substr(m, i + 1) * 1.25)
		s = substr(s, RSTART + RLENGTH)
	}
	print out s
}' "$FIX/raw.jsonl" >"$T/slow/raw.jsonl"
ib cmp compare -q -o "$T/cmp" "$T/fix" "$T/slow"
expect_rc 1 cmp
assert_file "$T/cmp/compare.html"
browse compare "$T/cmp/compare.html" --compare "$T/cmp/compare.json"
passes compare "compare.html"
keep compare
grep -q "mark values checked" "$T/compare.out" || fail "no compare marks checked: $(cat "$T/compare.out")"
note "compare.html: $(sed -n 's/.*px, \([0-9]* charts, [0-9]* marks\).*/\1/p' "$T/compare.out"), each on its scale and compare.json's NEW/BASE"
