#!/bin/bash
# regressions.sh: three behaviours that once were wrong:
#   1. an unknown runtime in a plan file is reported with FILE:LINE, like
#      every other plan error;
#   2. a plan line holding a NUL byte is reported as such (the line reader
#      stopped at the NUL and called the line "too long");
#   3. a cell whose only launch was interrupted (SIGINT) is "not-run", not
#      "failed": the run ended first, the cell did not fail.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp
status=0

# 1
printf '[global]\nruntimes = native,nosuchrt\n\n[cpu]\nduration = 0.01\n' >"$T/rt.ini"
ib plan-runtime run -q --probe "$PROBE" --scratch "$T" -o "$T/out" "$T/rt.ini"
if [ "$IB_RC" -eq 2 ] && grep -qF "$T/rt.ini:2:" "$T/plan-runtime.err"; then
	note "1: an unknown runtime in a plan names FILE:LINE"
else
	echo "FAILED 1: got status $IB_RC: $(cat "$T/plan-runtime.err")" >&2
	status=1
fi

# 2
printf '[cpu]\nduration = 0.1\nmax_prime\001\000x = 5\n' >"$T/nul.ini"
ib plan-nul run -q --probe "$PROBE" --scratch "$T" -o "$T/out" "$T/nul.ini"
if [ "$IB_RC" -eq 2 ] && grep -qF "$T/nul.ini:3:" "$T/plan-nul.err" &&
	! grep -q "too long" "$T/plan-nul.err"; then
	note "2: a NUL byte in a plan is not called a long line"
else
	echo "FAILED 2: got status $IB_RC: $(cat "$T/plan-nul.err")" >&2
	status=1
fi

# 3
"$ISOBENCH" run -q -r native -b cpu -s cpu.duration=60 --probe "$PROBE" --scratch "$T" \
	-o "$T/int" >"$T/int.out" 2>"$T/int.err" &
pid=$!
BG_PIDS+=("$pid")
wait_until 20 eval '[ -f "$T/int/raw.jsonl" ] && [ -n "$(jrows "$T/int/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
	fail "3: the probe did not start"
kill -INT "$pid"
wait_exit "$pid" 5
st=$(jrows "$T/int/results.json" cells status job=cpu)
if [ "$WAIT_RC" -eq 130 ] && [ "$st" = not-run ]; then
	note "3: a cell whose launch was interrupted is not-run"
else
	echo "FAILED 3: exit $WAIT_RC, cell status '$st', failures $(jrows "$T/int/results.json" cells failures job=cpu)" >&2
	status=1
fi
exit $status
