#!/bin/bash
# validate.sh: `isobench validate` runs the classic tools for real beside
# the probe and keeps what they printed:
#   - jitter beside cyclictest (rt-tests) and cpu beside sysbench: each
#     side measured, the ratio and its 95% interval in validation.json, the
#     tool's own text in raw/;
#   - an unknown check in --only is refused (exit 2), naming it.
# The targets themselves are judged on a calm host (README, "Validation"):
# one short round here only shows that both sides measure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

ib val validate --only jitter,cpu --rounds 1 --seconds 0.5 --probe "$PROBE" \
	--scratch "$T" -o "$T/val"
[ "$IB_RC" -le 1 ] || { cat "$T/val.err" >&2; fail "validate: exit status $IB_RC (0 or 1: the verdicts)"; }
for id in jitter cpu; do
	note "validate $id: probe / tool = $(validate_measured "$T/val" "$id") (one round, not judged here)"
done
assert_grep "Avg:" "$T/val/raw/round1-cyclictest.txt" "cyclictest's own text kept"
assert_grep "95% interval" "$T/val/validation.md" "validation.md gives the intervals"

ib bad validate --only jitter,nosuch --rounds 1 --probe "$PROBE" --scratch "$T" -o "$T/bad"
assert_eq "$IB_RC" 2 "validate --only with an unknown check: exit status"
assert_grep "nosuch" "$T/bad.err" "the unknown check is named"
note "an unknown check is refused, named"
