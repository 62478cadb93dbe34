#!/bin/bash
# kata.sh: the kata driver (containerd's ctr) for real, with runc's shim:
# Kata Containers cannot be installed here (not in Debian, and this KVM
# runs no stock guest), so `kata:shim=io.containerd.runc.v2` runs the very
# same ctr commands (image import, containers create, tasks start,
# containers delete, cleanup) with the shim that is here. What it checks:
#   - isobench list/run say precisely why kata itself cannot run here;
#   - with a containerd of the test's own (own root, state and socket in
#     the test's temp dir; the system's /run/containerd/containerd.sock is
#     never used), passed in CONTAINERD_ADDRESS: cpu, startup and
#     footprint cells ok, described as runc's shim, nothing of the run left
#     in the isobench namespace (task, container, image, snapshot);
#   - SIGINT mid-launch: exit 130, nothing left in the namespace;
#   - kill -9 of isobench mid-launch, then `isobench cleanup`: the task,
#     container and image deleted, the shim and probe gone;
#   - no containerd answering: isobench starts its own and stops it; after
#     a kill -9, cleanup starts it again to delete the task, then removes
#     it; no containerd, shim, mount or directory left.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
SPEC=kata:shim=io.containerd.runc.v2
setup_tmp
for p in ctr containerd containerd-shim-runc-v2 runc; do
	command -v $p >/dev/null || fail "$p is not installed (scripts/setup.sh installs containerd)"
done
CTR=$(command -v ctr)

# kata itself: not usable here, and said precisely -----------------------------
ib list list runtimes
expect_rc 0 list
if command -v containerd-shim-kata-v2 >/dev/null; then
	skip_case "containerd-shim-kata-v2 is installed here: the 'not found' reason is not tested"
else
	assert_grep "containerd-shim-kata-v2 not found in PATH: Kata Containers is not packaged in Debian" \
		"$T/list.out" "list: why kata is not usable"
	assert_grep "github.com/kata-containers/kata-containers/releases" "$T/list.out" "list: the fix"
	assert_grep "$SPEC: usable" "$T/list.out" "list: runc's shim usable"
	ib nokata run -q -r native,kata -b cpu -s cpu.duration=0.05 --min-reps 1 --max-reps 1 \
		--probe "$PROBE" --scratch "$T" -o "$T/nokata"
	expect_rc 0 nokata
	assert_grep "skipping kata: containerd-shim-kata-v2 not found in PATH" "$T/nokata.err" \
		"run: kata skipped with the reason"
	assert_eq "$(jrows "$T/nokata/results.json" cells status runtime=native)" ok "native beside a skipped kata"
	note "kata (Kata's shim) not usable here, with the precise reason and fix; runc's shim usable"
fi

# the test's containerd ---------------------------------------------------------
# Its socket in the temp dir (short: /var/tmp/isobench-itest.XXXXXX).
E=$T/ctrd
mkdir -p "$E"
SOCK=$E/c.sock
cat >"$E/config.toml" <<EOF
version = 2
root = "$E/root"
state = "$E/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$SOCK"
EOF
ENGINE_PID=
stop_engine() {
	if [ -n "${ENGINE_PID:-}" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
		kill -TERM "$ENGINE_PID"
		# exited: a zombie of ours until waited for
		wait_until 20 eval "! kill -0 $ENGINE_PID 2>/dev/null ||
			grep -q '^State:[[:space:]]*Z' /proc/$ENGINE_PID/status 2>/dev/null" ||
			kill -KILL "$ENGINE_PID"
		wait "$ENGINE_PID" 2>/dev/null || true
	fi
	ENGINE_PID=
	# a task's rootfs is mounted in the state directory while it runs
	local m
	for m in $(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -n -l "$m" 2>/dev/null || true
	done
}
# set +e: under -e, `(exit 1)` would end the trap before cleanup_tmp
trap 'rc=$?; stop_engine; set +e; (exit $rc); cleanup_tmp' EXIT
# /run/containerd (its shims' sockets) stays its own (lib.sh's PRIVATE_RUN)
"${PRIVATE_RUN[@]}" containerd --config "$E/config.toml" >"$E/containerd.log" 2>&1 &
ENGINE_PID=$!
wait_until 30 "$CTR" -a "$SOCK" version >/dev/null 2>&1 ||
	fail "the test's containerd does not answer: $(tail -3 "$E/containerd.log")"

# what the run left in the isobench namespace of the test's containerd
ns_left() {
	local what
	for what in tasks containers images; do
		"$CTR" -a "$SOCK" -n isobench "$what" ls -q | sed "s/^/$what: /"
	done
	# no -q here: every line but the header
	"$CTR" -a "$SOCK" -n isobench snapshots ls | sed '1d; s/^/snapshot: /'
}
# live processes whose arguments hold $1 (a container's name): its shim
procs_with_arg() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		if tr '\0' '\n' <"$f" 2>/dev/null | grep -qxF -- "$1" &&
			! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
			echo "$pid"
		fi
	done
}

export CONTAINERD_ADDRESS=$SOCK
D=$T/run
ib run run -q -r native,$SPEC -b cpu,startup,footprint \
	-s cpu.duration=0.1 -s startup.launches=3 -s footprint.instances=2 -s footprint.rounds=1 -s footprint.drop_caches=off \
	-s footprint.settle=0 --min-reps 2 --max-reps 2 --cpus 1 --memory 1g \
	--probe "$PROBE" --scratch "$T" -o "$D"
expect_rc 0 run
"$IBCHECK" results "$D/results.json" || fail "results.json is incomplete"
for rt in native $SPEC; do
	for job in cpu startup footprint; do
		assert_eq "$(jrows "$D/results.json" cells status runtime=$rt job=$job)" ok "cell $rt/$job"
	done
done
assert_eq "$(jrows "$D/results.json" runtimes describe.containerd name=$SPEC)" \
	"the host's, used as it is" "the containerd described"
assert_eq "$(jrows "$D/results.json" runtimes describe.socket name=$SPEC)" "$SOCK" "the socket used"
assert_eq "$(jrows "$D/results.json" runtimes describe.shim name=$SPEC)" io.containerd.runc.v2 "the shim described"
jrows "$D/results.json" runtimes describe.isolation name=$SPEC | grep -q "^NOT Kata" ||
	fail "the results do not say they are not Kata's"
[ -n "$(jrows "$D/raw.jsonl" - phases.created_s ev=end)" ] || fail "no create phase for kata"
assert_eq "$(jrows "$D/results.json" metrics n runtime=$SPEC metric=to_first_byte)" 3 "startup samples"
[ -n "$(jrows "$D/results.json" metrics median runtime=$SPEC metric=pss params_key=process=containerd-shim)" ] ||
	fail "no PSS of the containerd shim"
[ -n "$(jrows "$D/results.json" metrics median runtime=$SPEC metric=engine_pss params_key=process=containerd)" ] ||
	fail "no PSS of containerd"
left=$(ns_left)
[ -z "$left" ] || fail "left in the isobench namespace: $left"
assert_grep "localhost/isobench-probe:" "$D/results.json" "the image named in describe"
note "$SPEC on the test's containerd: cpu, startup, footprint ok; startup p50 to_first_byte" \
	"$(jrows "$D/results.json" metrics median runtime=$SPEC metric=to_first_byte) ms," \
	"to_torn_down $(jrows "$D/results.json" metrics median runtime=$SPEC metric=to_torn_down) ms; nothing left"

# SIGINT mid-launch: torn down through containerd, results kept
start_held_run int $SPEC
[ -n "$("$CTR" -a "$SOCK" -n isobench tasks ls -q)" ] || fail "int: containerd lists no task"
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 30
assert_eq "$WAIT_RC" 130 "int: exit status after SIGINT"
assert_eq "$(jget "$T/int/results.json" status)" interrupted "int: results.json status"
left=$(ns_left)
[ -z "$left" ] || fail "int: left in the isobench namespace after SIGINT: $left"
note "SIGINT during a kata launch: exit 130, results written, task, container and image deleted"

# assert_no_cgroup NAME CASE: the container's cgroup (/isobench/NAME, as
# containerd's default spec places it) is gone from every hierarchy
assert_no_cgroup() {
	local cg
	for cg in /sys/fs/cgroup/*/isobench/"$1" /sys/fs/cgroup/isobench/"$1"; do
		[ ! -e "$cg" ] || fail "$2: the container's cgroup is left: $cg"
	done
}

# kill -9 of isobench mid-launch, then cleanup through the test's containerd
start_held_run k9 $SPEC
id=$RUN_ID
name=isobench-$id-000001
[ -n "$("$CTR" -a "$SOCK" -n isobench tasks ls -q)" ] || fail "k9: containerd lists no task"
shims=$(procs_with_arg "$name")
[ -n "$shims" ] || fail "k9: no process of the container found"
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 5
[ -n "$("$CTR" -a "$SOCK" -n isobench containers ls -q)" ] || fail "k9: no container left to clean up: nothing tested"
ib cleanup cleanup "$T/k9"
expect_rc 0 cleanup
assert_grep "kata container $name: task and container deleted" "$T/cleanup.out" "cleanup's log"
assert_grep "kata image localhost/isobench-probe:$id: removed" "$T/cleanup.out" "cleanup's log: the image"
left=$(ns_left)
[ -z "$left" ] || fail "k9: left in the isobench namespace after cleanup: $left"
wait_until 10 eval '[ -z "$(procs_with_arg "$name")" ]' ||
	fail "k9: processes of the container left: $(procs_with_arg "$name")"
assert_no_cgroup "$name" k9
note "kill -9 of isobench: cleanup deletes the task, container and image; no shim, probe or cgroup left"

stop_engine
unset CONTAINERD_ADDRESS

# no containerd answering: isobench's own ---------------------------------------
# (ctr waits 10 s for a socket that is not there)
if [ -S /run/containerd/containerd.sock ] &&
	"$CTR" -a /run/containerd/containerd.sock version >/dev/null 2>&1; then
	skip_case "a containerd answers at /run/containerd/containerd.sock: isobench's own containerd not tested"
else
	# own_left ID: what isobench's own containerd of run ID could leave
	own_left() {
		local pid
		pid=$(jrows "$2/state.jsonl" - pid name=kata-containerd | head -n 1)
		[ -n "$pid" ] || fail "$2: the containerd is not in the state file"
		! alive_as "$pid" "$(command -v containerd)" || fail "$2: isobench's containerd $pid still runs"
		assert_no_path "$ISOBENCH_RUNTIME_DIR/containerd-$1" "$2: the containerd's state and socket"
		assert_no_path "$T/isobench-$1" "$2: the work directory (the containerd's root)"
		if grep -qE "/isobench-$1|containerd-$1" /proc/mounts; then
			fail "$2: mounts left: $(grep -E "isobench-$1|containerd-$1" /proc/mounts)"
		fi
	}
	D=$T/own
	# isobench's containerd keeps /run/containerd (its shims' sockets,
	# runc's state) to its own mount namespace: where this host has none
	# yet, none appears
	run_fresh=0
	[ -e /run/containerd ] || run_fresh=1
	ib own run -q -r $SPEC -b cpu -s cpu.duration=0.1 --min-reps 1 --max-reps 1 \
		--probe "$PROBE" --scratch "$T" -o "$D"
	expect_rc 0 own
	assert_eq "$(jrows "$D/results.json" cells status runtime=$SPEC)" ok "cell on isobench's own containerd"
	assert_grep "isobench's own" "$D/results.json" "the containerd described"
	own_left "$(jrows "$D/raw.jsonl" - run_id ev=run)" "$D"
	note "no containerd: isobench starts its own, uses it, stops it; nothing left"
	if [ "$run_fresh" = 1 ]; then
		assert_no_path /run/containerd "own: containerd's state under the host's /run"
		note "isobench's containerd left nothing under the host's /run"
	else
		skip_case "/run/containerd exists on this host already: that isobench's containerd leaves none is not shown"
	fi

	start_held_run k9own $SPEC
	id=$RUN_ID
	name=isobench-$id-000001
	[ -n "$(procs_with_arg "$name")" ] || fail "k9own: no process of the container found"
	kill -KILL "$RUN_PID"
	wait_exit "$RUN_PID" 5
	# the shim outlives isobench and its containerd: something to clean
	[ -n "$(procs_with_arg "$name")" ] || fail "k9own: nothing of the container left: nothing tested"
	ib cleanup2 cleanup "$T/k9own"
	expect_rc 0 cleanup2
	assert_grep "kata container $name: task and container deleted" "$T/cleanup2.out" "cleanup's log"
	assert_grep "isobench's containerd stopped, its directories removed" "$T/cleanup2.out" "cleanup's log: containerd"
	wait_until 10 eval '[ -z "$(procs_with_arg "$name")" ]' ||
		fail "k9own: processes of the container left: $(procs_with_arg "$name")"
	own_left "$id" "$T/k9own"
	assert_no_cgroup "$name" k9own
	note "kill -9 with isobench's own containerd: cleanup starts it again, deletes the task, removes it all (its cgroup too)"
fi
