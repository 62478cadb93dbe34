#!/bin/bash
# report_fixture.sh: `isobench report` on a run directory made by an
# earlier isobench (tests/fixtures/run-pre-layout, see its README)
# rebuilds results.json, results.csv, report.md, report.html and the
# summary table byte-identical from raw.jsonl alone. A refactoring that
# changes any figure, column or word of the reports fails here, with the
# diff.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FIX=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/run-pre-layout" && pwd)
setup_tmp

D=$T/run
mkdir "$D"
cp "$FIX/raw.jsonl" "$D/"
ib rebuild report "$D"
expect_rc 0 rebuild
same() { # FILE-MADE FILE-WANTED WHAT
	if ! cmp -s "$1" "$2"; then
		echo "--- diff (want, got) of $3:" >&2
		diff -u "$2" "$1" | head -n 40 >&2 || true
		fail "$3 differs from the fixture's"
	fi
}
for f in results.json results.csv report.md report.html; do
	same "$D/$f" "$FIX/$f" "$f"
done
same "$T/rebuild.out" "$FIX/summary.txt" "the summary table"
[ ! -s "$T/rebuild.err" ] || fail "warnings rebuilding the fixture: $(head -c 500 "$T/rebuild.err")"
note "a run directory of an earlier isobench rebuilds byte-identical (results.json, results.csv, report.md, report.html, the table)"
