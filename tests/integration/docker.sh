#!/bin/bash
# docker.sh: the docker runtime through the Docker Engine API, for real:
#   - with an engine of the test's own (own data root, exec root and
#     socket, runsc registered, its bridge a link of the test's own in
#     198.18.0.0/15, no iptables rules), passed in
#     DOCKER_HOST: isobench uses it as it is; docker and
#     docker:runtime=runsc run beside native; nothing of the run is left
#     in the engine; kill -9 of isobench, then `isobench cleanup` deletes
#     the container through the API;
#   - with no engine answering: isobench starts one of its own and stops
#     it; no dockerd, mount or work directory is left.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp
for p in dockerd docker runsc; do
	command -v $p >/dev/null || fail "$p is not installed (scripts/setup.sh installs it)"
done
DOCKER=$(command -v docker)

# the test's engine -----------------------------------------------------------
E=$T/engine
mkdir -p "$E"
# (dockerd 20.10 makes its identity key in /etc/docker unless told where)
# Its containers' cgroups under a parent of the test's own (cgroupfs: a
# path, not a systemd slice), removed with the engine: not docker/ in the
# host's tree, which would outlive the test.
CG_PARENT=/isobench-test-$$
printf '{"runtimes": {"runsc": {"path": "%s", "runtimeArgs": ["--network=none"]}}, "exec-opts": ["native.cgroupdriver=cgroupfs"], "cgroup-parent": "%s"%s}\n' \
	"$(command -v runsc)" "$CG_PARENT" \
	"$(dockerd --version | awk '{ split($3, v, "."); if (v[1] + 0 < 23) printf ", \"deprecated-key-path\": \"%s\"", K }' K="$E/key.json")" \
	>"$E/daemon.json"
# Its bridge: made here, in 198.18.0.0/15 (never a route anywhere else),
# so it neither collides with a docker0 of the machine's nor outlives us.
BR=ibtest$$
BR=${BR:0:15}
BR_MADE=0
ENGINE_PID=
stop_engine() {
	stop_test_dockerd "${ENGINE_PID:-}" "$E/data"
	ENGINE_PID=
	if [ "$BR_MADE" = 1 ]; then ip link del "$BR" 2>/dev/null || true; fi
	# the containers' cgroups are gone with them; their parent, if any
	local cg
	for cg in /sys/fs/cgroup/*"$CG_PARENT" /sys/fs/cgroup"$CG_PARENT"; do
		[ -d "$cg" ] && rmdir "$cg" 2>/dev/null
	done
	return 0
}
trap 'rc=$?; set +e; stop_engine; (exit $rc); cleanup_tmp' EXIT
ip link add "$BR" type bridge || fail "cannot create bridge $BR"
BR_MADE=1
# a /24 that no interface of the host uses (isobench's links take
# 198.18.X.0/24, this test 198.19.X.0/24); checked again once added, in
# case another test took the same one at the same moment
subnet_in_use() {
	ip -4 -o addr show | awk -v p="198.19.$1." -v me="$BR" \
		'$2 != me && index($4, p) == 1 { found = 1 } END { exit !found }'
}
BR_NET=
for x in $(seq 1 254); do
	subnet_in_use "$x" && continue
	ip addr add "198.19.$x.1/24" dev "$BR" || continue
	if subnet_in_use "$x"; then
		ip addr del "198.19.$x.1/24" dev "$BR"
		continue
	fi
	BR_NET=198.19.$x.0/24
	break
done
[ -n "$BR_NET" ] || fail "no free /24 in 198.19.0.0/16 for the test's bridge"
ip link set "$BR" up
# its own session: stopping it ends its containerd too, by process group;
# /run/docker and /run/containerd stay its own (lib.sh's PRIVATE_RUN)
setsid "${PRIVATE_RUN[@]}" dockerd --config-file="$E/daemon.json" --data-root="$E/data" --exec-root="$E/exec" \
	--pidfile="$E/dockerd.pid" --host="unix://$E/docker.sock" --bridge="$BR" \
	--iptables=false --ip-forward=false --ip-masq=false --log-level=warn \
	>"$E/dockerd.log" 2>&1 &
ENGINE_PID=$!
wait_until 30 test -S "$E/docker.sock" || fail "the test's dockerd did not start: $(tail -5 "$E/dockerd.log")"
wait_until 30 "$DOCKER" -H "unix://$E/docker.sock" info >/dev/null 2>&1 ||
	fail "the test's dockerd does not answer"

engine_containers() {
	"$DOCKER" -H "unix://$E/docker.sock" ps -aq --filter "label=isobench.run=$1"
}
engine_image() {
	"$DOCKER" -H "unix://$E/docker.sock" images -q "isobench-probe:$1"
}

# gVisor cannot run everywhere runsc installs (not under a chroot): ask
# isobench, as containers.sh does; without it the runsc cases are skipped,
# visibly, and the test reports itself skipped.
ib gvprobe run -q -r gvisor -b cpu -s cpu.duration=0.01 --max-reps 1 --min-reps 1 \
	--probe "$PROBE" --scratch "$T" -o "$T/gvprobe"
if [ "$(jrows "$T/gvprobe/results.json" cells status runtime=gvisor)" = ok ]; then
	RUNSC=docker:runtime=runsc
else
	skip_case "gvisor cannot run here, nor docker:runtime=runsc: $(grep -o 'skipping gvisor: .*' "$T/gvprobe.err" | head -c 300)"
	RUNSC=
fi

export DOCKER_HOST=unix://$E/docker.sock
D=$T/run
ib run run -q -r native,docker${RUNSC:+,$RUNSC} -b cpu,syscall,disk,startup,footprint \
	-s cpu.duration=0.1 -s syscall.duration=0.02 -s disk.size=16m -s disk.duration=0.1 \
	-s startup.launches=3 -s footprint.instances=2 -s footprint.rounds=1 -s footprint.settle=0 -s footprint.drop_caches=off \
	-s disk.tests=randread-4k-qd1 --min-reps 2 --max-reps 2 --cpus 1 --memory 1g \
	--probe "$PROBE" --scratch "$T" -o "$D"
expect_rc 0 run
"$IBCHECK" results "$D/results.json" || fail "results.json is incomplete"
for rt in native docker $RUNSC; do
	for job in cpu syscall disk startup footprint; do
		assert_eq "$(jrows "$D/results.json" cells status runtime=$rt job=$job)" ok "cell $rt/$job"
	done
done
assert_eq "$(jrows "$D/results.json" runtimes describe.engine name=docker)" \
	"the host's, used as it is" "the engine described"
[ -z "$RUNSC" ] || assert_eq "$(jrows "$D/results.json" runtimes describe.runtime name=docker:runtime=runsc)" runsc \
	"docker:runtime=runsc's OCI runtime"
[ -n "$(jrows "$D/raw.jsonl" - phases.created_s ev=end)" ] || fail "no create phase for docker"
# footprint: the container's shim (and under runsc the sandbox) measured
# per instance, the engine's daemons apart
for rt in docker $RUNSC; do
	[ -n "$(jrows "$D/results.json" metrics median runtime=$rt metric=pss params_key=process=containerd-shim)" ] ||
		fail "$rt: no PSS of the containerd shim"
	[ -n "$(jrows "$D/results.json" metrics median runtime=$rt metric=engine_pss params_key=process=dockerd)" ] ||
		fail "$rt: no PSS of dockerd"
	assert_eq "$(jrows "$D/results.json" metrics n runtime=$rt metric=to_first_byte)" 3 "$rt: startup samples"
done
[ -z "$RUNSC" ] ||
	[ -n "$(jrows "$D/results.json" metrics median runtime=docker:runtime=runsc metric=pss params_key=process=runsc-sandbox)" ] ||
	fail "docker:runtime=runsc: no PSS of the gVisor sandbox"
id=$(jrows "$D/raw.jsonl" - run_id ev=run)
[ -z "$(engine_containers "$id")" ] || fail "containers of the run left in the engine"
[ -z "$(engine_image "$id")" ] || fail "the run's image left in the engine"
assert_grep "isobench-probe:" "$D/results.json" "the image named in describe"
note "docker${RUNSC:+ and $RUNSC} on the test's engine (DOCKER_HOST): every cell ok (startup and footprint too), nothing left in it"

# cpuset: the container pinned to the CPU named (the Engine API's
# CpusetCpus), as the kernel shows its probe; over --cpus
LAST=$(($(nproc) - 1))
ib cpuset run -q -r "docker:cpuset=$LAST" -b cpu -s cpu.duration=0.05 --min-reps 1 \
	--max-reps 1 --warmup 0 --cpus 2 --probe "$PROBE" --scratch "$T" -o "$T/cpuset"
expect_rc 0 cpuset
assert_grep "\"cpus_allowed=$LAST\"" <(jrows "$T/cpuset/results.json" cells info "runtime=docker:cpuset=$LAST") \
	"docker:cpuset=$LAST: the probe's CPUs"
assert_eq "$(jrows "$T/cpuset/results.json" metrics params.threads "runtime=docker:cpuset=$LAST" | sort -u | tr '\n' ' ')" \
	"1 " "docker:cpuset=$LAST: the thread counts it ran (one CPU)"
note "docker:cpuset=$LAST: the container's probe ran on that CPU alone"

# SIGINT mid-launch: torn down through the API, results kept
start_held_run int docker
id=$RUN_ID
[ -n "$(engine_containers "$id")" ] || fail "int: the engine does not list the container"
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 20
assert_eq "$WAIT_RC" 130 "int: exit status after SIGINT"
assert_eq "$(jget "$T/int/results.json" status)" interrupted "int: results.json status"
[ -z "$(engine_containers "$id")" ] || fail "int: the container survived SIGINT"
[ -z "$(engine_image "$id")" ] || fail "int: the run's image survived SIGINT"
note "SIGINT during a docker launch: exit 130, results written, container and image deleted"

# kill -9 of isobench mid-launch, then cleanup through the API
start_held_run k9 docker
id=$RUN_ID
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 5
[ -n "$(engine_containers "$id")" ] || fail "k9: no container left to clean up: nothing tested"
ib cleanup cleanup "$T/k9"
expect_rc 0 cleanup
assert_grep "docker container isobench-$id-000001: deleted" "$T/cleanup.out" "cleanup's log"
[ -z "$(engine_containers "$id")" ] || fail "k9: the container survived cleanup"
assert_grep "docker image isobench-probe:$id: deleted" "$T/cleanup.out" "cleanup's log: the image"
[ -z "$(engine_image "$id")" ] || fail "k9: the run's image survived cleanup"
note "kill -9 of isobench: cleanup deletes the docker container and the run's image through the API"

stop_engine
unset DOCKER_HOST

# no engine answering: isobench's own dockerd ---------------------------------
if [ -S /var/run/docker.sock ] && "$DOCKER" -H unix:///var/run/docker.sock info >/dev/null 2>&1; then
	skip_case "a Docker engine answers at /var/run/docker.sock: isobench's own dockerd not tested"
else
	D=$T/own
	# isobench's dockerd keeps /run/docker and /run/containerd to its own
	# mount namespace: where this host has neither yet, none appears
	run_fresh=()
	for d in /run/docker /run/containerd; do [ -e "$d" ] || run_fresh+=("$d"); done
	ib own run -q -r docker -b cpu -s cpu.duration=0.1 --min-reps 1 --max-reps 1 \
		--probe "$PROBE" --scratch "$T" -o "$D"
	expect_rc 0 own
	assert_eq "$(jrows "$D/results.json" cells status runtime=docker)" ok "docker cell on isobench's own engine"
	assert_grep "isobench's own dockerd" "$D/results.json" "the engine described"
	pid=$(jrows "$D/state.jsonl" - pid name=dockerd | head -n 1)
	[ -n "$pid" ] || fail "own: dockerd not recorded in the state file"
	! kill -0 "$pid" 2>/dev/null || ! alive_as "$pid" "$(command -v dockerd)" ||
		fail "own: isobench's dockerd $pid still runs"
	id=$(jrows "$D/raw.jsonl" - run_id ev=run)
	[ -n "$id" ] || fail "own: no run id in raw.jsonl"
	# this run's mounts only (its work and exec directories carry its id;
	# other runs on the host may have theirs)
	if grep -qF -- "$id" /proc/mounts; then
		fail "own: mounts left: $(grep -F -- "$id" /proc/mounts)"
	fi
	assert_no_path "$T/isobench-$id" "own: the work directory (the engine's data)"
	if [ "${#run_fresh[@]}" -eq 0 ]; then
		skip_case "/run/docker and /run/containerd exist on this host already: that isobench's dockerd leaves none is not shown"
	else
		for d in "${run_fresh[@]}"; do
			assert_no_path "$d" "own: the engine's state under /run (its own mount namespace)"
		done
		note "isobench's dockerd left nothing under the host's /run (${run_fresh[*]})"
	fi
	note "no engine: isobench starts its own dockerd, uses it, stops it; nothing left"
fi
