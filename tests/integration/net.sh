#!/bin/bash
# net.sh: the net workload on every runtime that can do networking here,
# for real (real veth pairs, namespaces, taps, Docker bridge networks, the
# real peer, runc, crun, runsc, dockerd and QEMU):
#   - stream-tx, stream-rx, rr and crr give figures on native (over veth),
#     native:net=loopback, runc, crun, gvisor (its network mode recorded),
#     docker (a bridge network of the run's own) and qemu (a tap); each
#     link is recorded with its results, every address in 198.18.0.0/15;
#   - after the run no namespace, veth, tap, bridge or peer is left;
#   - validate's nuttcp checks (stream-tx and stream-rx, 1 and 4 streams)
#     measure both sides, and leave no namespace;
#   - the probe without a peer, or with a bad one, says so;
#   - kill -9 of isobench with native, qemu and docker links up, then
#     `isobench cleanup DIR`: no namespace, interface or peer of the run
#     is left.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
# the run's namespaces (/run/netns) in a /run of the test's own
private_run "$@"
setup_tmp
[ "$(id -u)" -eq 0 ] || fail "the net workload needs root (namespaces, veth, tap)"
command -v ip >/dev/null || fail "ip is not installed (scripts/setup.sh installs iproute2)"

# No engine answers at this socket: isobench starts a dockerd of its own,
# with nothing of the host's Docker involved.
export DOCKER_HOST=unix://$T/no-engine.sock
export ISOBENCH_VM_CACHE="$T/vmcache"

# The run's names: netns isobench-RUNID-N, interfaces "ib" + the run id
# in 10 base-32 digits + NN[hitb] (net_link.c): the prefix, ib + those 10
# digits, is read off the interfaces the run recorded in its state file.
if_prefix() { # RUN-DIR
	local p
	p=$(jrows "$1/state.jsonl" - ifname kind=netif | head -n 1)
	[ "${#p}" -eq 15 ] || fail "$1: no interface of isobench's pattern recorded: '$p'"
	echo "${p:0:12}"
}
assert_no_link_left() {
	local dir=$1 what=$2 id tag pid
	id=$(jrows "$dir/raw.jsonl" - run_id ev=run)
	tag=$(if_prefix "$dir")
	tag=${tag#ib}
	if ip netns list | grep -q "isobench-$id"; then
		fail "$what: namespace left: $(ip netns list | grep "isobench-$id")"
	fi
	if ip -o link show | grep -q " ib$tag"; then
		fail "$what: interface left: $(ip -o link show | grep " ib$tag" | cut -d: -f2)"
	fi
	for pid in $(jrows "$dir/state.jsonl" - pid kind=process); do
		! alive_as "$pid" "$ISOBENCH" || fail "$what: the peer (pid $pid) still runs"
	done
}

# every runtime, short tests -------------------------------------------------
RTS=native,native:net=loopback,runc,crun,gvisor,docker,qemu
ib all run -r "$RTS" -b net --probe "$PROBE" --scratch "$T" -o "$T/all" \
	-s net.duration=0.15 -s net.warmup=0.05 -s net.streams=1 \
	--min-reps 1 --max-reps 1 --warmup 0
D=$T/all
assert_file "$D/results.json"
for rt in ${RTS//,/ }; do
	st=$(jrows "$D/results.json" cells status runtime=$rt job=net)
	if [ "$st" != ok ]; then
		why=$(jrows "$D/results.json" cells failures.0 runtime=$rt job=net)
		avail=$(jrows "$D/results.json" runtimes available name=$rt)
		case "$rt:$avail:$why$(cat "$T/all.err")" in
		gvisor:*fork/exec*|gvisor:false*)
			skip_case "gvisor cannot run here: $(grep -o 'skipping gvisor: .*' "$T/all.err" | head -c 300)"
			continue ;;
		esac
		fail "$rt: net cell $st: $why $(grep "skipping $rt:" "$T/all.err")"
	fi
	for key in block=131072,streams=1,test=stream-tx block=131072,streams=1,test=stream-rx; do
		v=$(jrows "$D/results.json" metrics median runtime=$rt metric=throughput params_key=$key)
		awk -v v="$v" 'BEGIN { exit !(v > 0.001) }' || fail "$rt: throughput $key = '$v'"
	done
	v=$(jrows "$D/results.json" metrics median runtime=$rt metric=transactions)
	awk -v v="$v" 'BEGIN { exit !(v > 10) }' || fail "$rt: rr transactions/s = '$v'"
	p99=$(jrows "$D/results.json" metrics median runtime=$rt metric=rtt_p99)
	p50=$(jrows "$D/results.json" metrics median runtime=$rt metric=rtt_p50)
	awk -v a="$p50" -v b="$p99" 'BEGIN { exit !(a > 0 && b >= a) }' ||
		fail "$rt: rtt p50 $p50, p99 $p99"
	v=$(jrows "$D/results.json" metrics median runtime=$rt metric=connections)
	awk -v v="$v" 'BEGIN { exit !(v > 1) }' || fail "$rt: crr connections/s = '$v'"
	note "$rt: stream, rr, crr measured"
done
# the link of each runtime, as recorded with its results
links=$(jrows "$D/raw.jsonl" - rec.value ev=record rec.key=link)
for want in "veth ib" "loopback" "docker bridge network" "tap ib"; do
	grep -q "$want" <<<"$links" || fail "no '$want' link recorded: $links"
done
if grep -Eo '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' <<<"$links" | grep -v '^127\.0\.0\.1$' |
	grep -Ev '^198\.1[89]\.'; then
	fail "an address outside 198.18.0.0/15 in: $links"
fi
note "every link in 198.18.0.0/15 (or loopback)"
if [ "$(jrows "$D/results.json" cells status runtime=gvisor job=net)" = ok ]; then
	mode=$(jrows "$D/raw.jsonl" - rec.value ev=record rec.key=mode | head -1)
	grep -Eq '^(sandbox|host) ' <<<"$mode" || fail "gvisor: no network mode recorded: '$mode'"
	note "gvisor network mode: ${mode:0:60}..."
fi
# the loopback row is a net-only column: only the net job ran on it
assert_eq "$(jrows "$D/results.json" cells status runtime=native:net=loopback | wc -l)" 1 \
	"cells of native:net=loopback"
assert_no_link_left "$D" "after the run"
note "nothing left after the run"

# validate: the probe's streams beside nuttcp's, both directions, 1 and 4
# streams --------------------------------------------------------------------
# both sides measure on validate's own link (the 5% target is judged on a
# calm host, README's "Validation"; here only that each side measured, for
# real, and that the link is gone afterwards)
CHECKS=net-stream-nuttcp,net-stream4-nuttcp,net-rx-nuttcp,net-rx4-nuttcp
ib val validate --only "$CHECKS" --rounds 1 --seconds 0.5 --probe "$PROBE" \
	--scratch "$T" -o "$T/val"
[ "$IB_RC" -le 1 ] || { cat "$T/val.err" >&2; fail "validate: exit status $IB_RC (0 or 1: the verdicts)"; }
for id in ${CHECKS//,/ }; do
	r=$(validate_measured "$T/val" "$id")
	grep -q "rate_Mbps=" "$T/val/raw/round1-$id-tool.txt" ||
		fail "validate $id: no nuttcp figure kept in raw/round1-$id-tool.txt"
	note "validate $id: probe / nuttcp = $r (one round, not judged here)"
done
grep -q -- "-N4" "$T/val/validation.json" || fail "validate: the 4-stream checks do not say nuttcp -N4"
if ip netns list | grep -q isobench-; then
	fail "validate left a namespace: $(ip netns list | grep isobench-)"
fi
note "validate's link is gone afterwards"

# the probe alone: no peer, a bad peer, a peer nobody listens on ---------------
set +e
"$PROBE" net >"$T/nopeer.out" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "net without --peer exited 0"
errors() { "$IBCHECK" frames "$1" | grep '"type":"error"'; }
errors "$T/nopeer.out" | grep -q "no peer: the net workload needs --peer" ||
	fail "net without --peer: no clear error: $(errors "$T/nopeer.out")"
set +e
"$PROBE" --peer 198.18.0.1 net >"$T/badpeer.out" 2>&1
"$PROBE" --peer 127.0.0.1:1 net tests=rr duration=0.1 >"$T/refused.out" 2>&1
set -e
errors "$T/badpeer.out" | grep -q "is not IPv4-ADDR:PORT" ||
	fail "a peer without a port: no clear error: $(errors "$T/badpeer.out")"
errors "$T/refused.out" | grep -q "rr: connect to 127.0.0.1:1: Connection refused" ||
	fail "a peer nobody listens on: no clear error: $(errors "$T/refused.out")"
note "the probe names a missing, malformed or absent peer"

# kill -9 with links up, then cleanup -------------------------------------------
"$ISOBENCH" run -q -r native,qemu,docker -b net --probe "$PROBE" --scratch "$T" -o "$T/k9" \
	-s net.tests=rr -s net.duration=4 -s net.warmup=0 --min-reps 1 --max-reps 1 \
	--warmup 0 >"$T/k9.out" 2>"$T/k9.err" &
RUN_PID=$!
BG_PIDS+=("$RUN_PID")
# the docker network is the last link made: wait until it is recorded and
# its container's probe has said hello
wait_until 120 eval '[ -n "$(jrows "$T/k9/state.jsonl" - name kind=network 2>/dev/null)" ] &&
	[ "$(jrows "$T/k9/raw.jsonl" - rec.type ev=record rec.type=hello 2>/dev/null | wc -l)" -ge 3 ]' ||
	fail "the kill -9 run did not reach docker's launch: $(tail -3 "$T/k9.err")"
id=$(jrows "$T/k9/raw.jsonl" - run_id ev=run)
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 10
ip netns list | grep -q "isobench-$id" || fail "no namespace of the killed run: nothing to test"
tag=$(if_prefix "$T/k9")
n=$(ip -o link show | grep -c " $tag" || true)
[ "$n" -ge 3 ] || fail "expected the veth, the tap and the bridge of the killed run, found $n: $(ip -o link show | grep " $tag")"
# the docker container's id, as its engine (dead with the run) kept it
# in runc's state under its exec root: its cgroups must not outlive cleanup
cids=()
for f in "$ISOBENCH_RUNTIME_DIR/docker-$id"/exec/runtime-runc/moby/*/state.json; do
	[ -f "$f" ] && cids+=("$(basename "$(dirname "$f")")")
done
[ "${#cids[@]}" -ge 1 ] || fail "no runc state of the killed run's docker container: nothing to test"
[ -n "$(find /sys/fs/cgroup -maxdepth 6 -name "*${cids[0]}*" -print -quit)" ] ||
	fail "the docker container ${cids[0]:0:12} has no cgroup before cleanup: nothing to test"
ib k9cleanup cleanup "$T/k9"
[ "$IB_RC" -eq 0 ] || fail "cleanup exit status $IB_RC: $(cat "$T/k9cleanup.err" "$T/k9cleanup.out")"
grep -q "netns isobench-$id-1: removed" "$T/k9cleanup.out" ||
	fail "cleanup did not say it removed the namespace: $(cat "$T/k9cleanup.out")"
assert_no_link_left "$T/k9" "after kill -9 and cleanup"
for cid in "${cids[@]}"; do
	left=$(find /sys/fs/cgroup -maxdepth 6 -name "*$cid*" | head -n 3)
	[ -z "$left" ] || fail "the killed run's docker container left its cgroups: $left"
done
note "kill -9, then cleanup: no namespace, veth, tap, bridge, peer or container cgroup left"
