#!/bin/bash
# net_loopback.sh: a run with a net job adds native's loopback reference
# column (native:net=loopback), which runs net jobs only. Its other jobs
# are not cells at all: no "not-run" cell in results.json, no "not run"
# in the terminal table (issue 11: a whole column of "not run" ended the
# table). A short net run on native beside a cpu job; needs root and `ip
# netns` (native's net link is a veth into a namespace), skipped otherwise.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
# the run's namespaces (/run/netns) in a /run of the test's own
private_run "$@"
setup_tmp

if [ "$(id -u)" -ne 0 ]; then
	skip_case "not root: the net workload needs namespaces and veth pairs"
	exit 77
fi
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
	skip_case "no usable 'ip netns' here (iproute2)"
	exit 77
fi

D=$T/lo
ib lo run -r native -b cpu,net --probe "$PROBE" --scratch "$T" -o "$D" \
	-s cpu.duration=0.01 -s net.duration=0.1 -s net.warmup=0.02 -s net.streams=1 \
	-s net.tests=rr --min-reps 1 --max-reps 1 --warmup 0
expect_rc 0 lo
LO=native:net=loopback
assert_eq "$(jrows "$D/results.json" runtimes name name=$LO)" "$LO" "the loopback column"
assert_eq "$(jrows "$D/results.json" cells status runtime=$LO job=net)" ok "the loopback net cell"
assert_eq "$(jcount "$D/results.json" cells status runtime=$LO job=cpu)" 0 "cells of cpu on the loopback column"
assert_eq "$(jcount "$D/results.json" cells status status=not-run)" 0 "not-run cells"
assert_eq "$(jrows "$D/results.json" cells status runtime=native job=cpu)" ok "native's cpu cell"
if grep -q "not run" "$T/lo.out"; then
	cat "$T/lo.out" >&2
	fail "the terminal table says 'not run'"
fi
grep -q "not run" "$D/report.md" && fail "report.md says 'not run'"
# a rebuild gives the same cells
ib lo-report report -q "$D"
expect_rc 0 lo-report
assert_eq "$(jcount "$D/results.json" cells status status=not-run)" 0 "not-run cells after a rebuild"
note "a net run's loopback column has only its net cell: no 'not run' cells"
grep -q "talks TCP to isobench's peer" "$D/report.md" || fail "report.md lacks the net method note"

# a net job under a name of its own: the same column rules (by the
# workload's traits) and the same method note (it was looked up by the
# job's name, so a job [wan] lost it)
cat >"$T/wan.ini" <<'INI'
[global]
runtimes = native
min_reps = 1
max_reps = 1
[wan]
benchmark = net
duration = 0.1
warmup = 0.02
tests = rr
INI
ib wan run --probe "$PROBE" --scratch "$T" -o "$T/wan" "$T/wan.ini"
expect_rc 0 wan
assert_eq "$(jrows "$T/wan/results.json" cells status runtime=$LO job=wan)" ok "the loopback column's cell of job wan"
grep -q "talks TCP to isobench's peer" "$T/wan/report.md" ||
	fail "report.md of a net job named wan lacks the net method note"
note "a net job named wan: its loopback cell and its method note, as a job named net"

# an application's baseline is native over veth: the net benchmark brings
# the loopback column, an application runs on it only when it is named
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ] || ! command -v wrk >/dev/null; then
	skip_case "nginx or wrk not installed: the application's columns"
else
	NG=(-s nginx.sizes=1k -s nginx.connections=1 -s nginx.duration=1 -s nginx.warmup=0)
	ib app run -r native -b net,nginx --probe "$PROBE" --scratch "$T" -o "$T/app" \
		-s net.duration=0.1 -s net.warmup=0.02 -s net.streams=1 -s net.tests=rr \
		"${NG[@]}" --min-reps 1 --max-reps 1 --warmup 0
	expect_rc 0 app
	assert_eq "$(jrows "$T/app/results.json" cells status runtime=$LO job=net)" ok "the loopback net cell beside nginx"
	assert_eq "$(jcount "$T/app/results.json" cells status runtime=$LO job=nginx)" 0 "nginx cells on the loopback column not named"
	assert_eq "$(jrows "$T/app/results.json" cells status runtime=native job=nginx)" ok "native's nginx cell"
	ib app-named run -r native,$LO -b nginx --probe "$PROBE" --scratch "$T" -o "$T/app-named" \
		"${NG[@]}"
	expect_rc 0 app-named
	assert_eq "$(jrows "$T/app-named/results.json" cells status runtime=$LO job=nginx)" ok "nginx on the loopback column named by -r"
	ib app-only run -r native -b nginx --probe "$PROBE" --scratch "$T" -o "$T/app-only" "${NG[@]}"
	expect_rc 0 app-only
	assert_eq "$(jcount "$T/app-only/results.json" runtimes name name=$LO)" 0 "a loopback column in an nginx-only run"
	note "nginx runs on the loopback column only when -r names it; net brings the column"
fi

if [ ${#SKIPPED[@]} -gt 0 ]; then exit 77; fi
