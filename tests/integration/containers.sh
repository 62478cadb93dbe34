#!/bin/bash
# containers.sh: the OCI runtimes runc, crun and gVisor's runsc, for
# real, beside native:
# every cell runs and has ratios to native, startup phases are recorded,
# crun's hybrid-cgroup workaround is described where it applies, the
# cpuset option pins a container to the CPUs named, a
# runtime missing from PATH is skipped with its reason while the rest
# runs, and no container, bundle or cgroup of a run is left: after a
# normal run, after SIGINT, and after kill -9 plus `isobench cleanup`
# (also in the middle of a footprint round, every instance held).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

for rt in runc crun runsc; do
	command -v "$rt" >/dev/null || fail "$rt is not installed (scripts/setup.sh installs it)"
done
[ "$(id -u)" -eq 0 ] || fail "container runtimes need root"

# run_containers RUN_ID: containers of the run that runc, crun or runsc
# still list, in the state roots isobench gives them (the run's oci-<id>
# entry of its runtime directory; asked only where it exists, so that no
# default root such as /run/runc is made by asking)
run_containers() {
	local r=$ISOBENCH_RUNTIME_DIR/oci-$1
	{
		[ ! -d "$r/runc" ] || runc --root "$r/runc" list -q 2>/dev/null || true
		[ ! -d "$r/crun" ] || crun --root "$r/crun" list -q 2>/dev/null || true
		[ ! -d "$r/runsc" ] || runsc --root "$r/runsc" list -quiet 2>/dev/null || true
	} | grep -F "isobench-$1-" || true
}

# nothing of run DIR is left: containers, bundles, cgroups, work directory
assert_nothing_left() {
	local dir=$1 what=$2 id
	id=$(jrows "$dir/raw.jsonl" - run_id ev=run)
	[ -z "$(run_containers "$id")" ] || fail "$what: containers left: $(run_containers "$id")"
	assert_no_path "$ISOBENCH_RUNTIME_DIR/oci-$id" "$what: the runtimes' state roots"
	assert_no_path "$T/isobench-$id" "$what: work directory (bundles, scratch)"
	# each container's cgroup is /isobench/<run id>/<name>, in every
	# hierarchy: none of them, nor the run's parent, may be left
	if compgen -G "/sys/fs/cgroup/*/isobench/$id" >/dev/null ||
		compgen -G "/sys/fs/cgroup/isobench/$id" >/dev/null; then
		fail "$what: cgroups left: $(compgen -G "/sys/fs/cgroup/*/isobench/$id*")"
	fi
}

# gVisor cannot run everywhere runsc installs (not under a chroot, which
# denies the user namespaces its sandbox needs): ask isobench, which
# tries a container and says why; without it the gVisor cases are
# skipped with that reason, and the test reports itself skipped.
RTS="native runc crun"
ib gvprobe run -q -r gvisor -b cpu -s cpu.duration=0.01 --max-reps 1 --min-reps 1 \
	--probe "$PROBE" --scratch "$T" -o "$T/gvprobe"
if [ "$(jrows "$T/gvprobe/results.json" cells status runtime=gvisor)" = ok ]; then
	RTS="$RTS gvisor"
	GVISOR=1
else
	skip_case "gvisor cannot run here: $(grep -o 'skipping gvisor: .*' "$T/gvprobe.err" | head -c 300)"
	GVISOR=
fi
RTS_CSV=${RTS// /,}

cat >"$T/plan.ini" <<PLAN
[global]
runtimes = $RTS_CSV
min_reps = 2
max_reps = 2
memory = 1g
cpus = 1

[cpu]
duration = 0.1

[syscall]
duration = 0.02

[memlat]
max_size = 8m
duration = 0.003

[disk]
size = 16m
duration = 0.2
tests = randread-4k-qd1,randwrite-4k-fsync

[startup]
launches = 3

[footprint]
instances = 3
rounds = 1
settle = 0
hold = 60
drop_caches = off
PLAN

D=$T/run
ib run run -q --probe "$PROBE" --scratch "$T" -o "$D" "$T/plan.ini"
expect_rc 0 run
"$IBCHECK" results "$D/results.json" || fail "results.json is incomplete"
for rt in $RTS; do
	for job in cpu syscall memlat disk startup footprint; do
		st=$(jrows "$D/results.json" cells status runtime=$rt job=$job)
		assert_eq "$st" ok "cell $rt/$job"
	done
done
# every metric of the containers has a ratio to native (but a memory drop,
# noise around zero for a bare process, and what native has no part of:
# a create phase, runsc's processes)
for rt in ${RTS#native }; do
	n=$(jcount "$D/results.json" metrics n runtime=$rt metric!=mem_available_drop metric!=to_created \
		params_key!=process=runsc-sandbox \
		params_key!=process=runsc-gofer params_key!=process=runsc-stub)
	r=$(jcount "$D/results.json" metrics n runtime=$rt +ratio_to_baseline.ratio metric!=mem_available_drop)
	[ "$n" -gt 10 ] || fail "$rt: only $n metrics"
	assert_eq "$r" "$n" "$rt: metrics with a ratio to native"
	# create and start timed apart, before the first byte
	c=$(jrows "$D/raw.jsonl" - phases.created_s ev=end | head -n 1)
	[ -n "$(jrows "$D/raw.jsonl" - phases.created_s ev=end)" ] || fail "no created_s phase"
	v=$(jrows "$D/results.json" runtimes describe.version name=$rt)
	case "$v" in *"version"*) ;; *) fail "$rt: describe.version is '$v'" ;; esac
	assert_eq "$(jrows "$D/results.json" runtimes describe.limits.cpus name=$rt)" 1 "$rt limits.cpus"
done
# startup: 3 launches, each phase a sample; footprint: the instance's host
# processes measured
for rt in $RTS; do
	assert_eq "$(jrows "$D/results.json" metrics n runtime=$rt metric=to_first_byte)" 3 "$rt: startup samples"
	pss=$(jrows "$D/results.json" metrics median runtime=$rt metric=pss params_key=process=total)
	awk -v p="$pss" 'BEGIN { exit !(p > 0) }' || fail "$rt: footprint PSS '$pss'"
done
for rt in ${RTS#native }; do
	[ -n "$(jrows "$D/results.json" metrics median runtime=$rt metric=to_created)" ] ||
		fail "$rt: no to_created phase"
done
if [ -n "$GVISOR" ]; then
	for role in runsc-sandbox runsc-gofer; do
		[ -n "$(jrows "$D/results.json" metrics median runtime=gvisor metric=pss params_key=process=$role)" ] ||
			fail "gvisor: no PSS of the $role"
	done
fi
note "$RTS side by side: every cell ok, ratios, phases, versions, startup, footprint"
if [ -n "$GVISOR" ]; then
	# gVisor says which platform and network mode produced its figures;
	# what this runsc lacks is reported unsupported, not failed
	assert_eq "$(jrows "$D/results.json" runtimes describe.platform name=gvisor)" ptrace "gvisor platform"
	assert_eq "$(jrows "$D/results.json" runtimes describe.network name=gvisor)" none "gvisor network"
	[ "$(jcount "$D/results.json" metrics n runtime=gvisor job=disk)" -ge 5 ] || fail "gvisor: no disk figures"
fi
# inside the container the probe saw one CPU (the cpuset): the N-thread
# figure is the 1-thread one
[ "$(jcount "$D/results.json" metrics n runtime=runc job=cpu)" -eq 1 ] ||
	fail "runc/cpu: want only the 1-thread figure with cpus = 1"
if [ "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" != "" ]; then
	assert_grep "private mount namespace" "$D/results.json" "crun's hybrid-cgroup workaround, described"
fi
assert_nothing_left "$D" "a finished run"
note "a finished run leaves no container, bundle, cgroup or work directory"

# disk on the container's own root filesystem, as a job parameter
ib rootfs run -q -r native,runc${GVISOR:+,gvisor} -b disk -s disk.scratch=rootfs -s disk.size=16m \
	-s disk.duration=0.1 -s disk.tests=randread-4k-qd1 --max-reps 1 --min-reps 1 \
	--probe "$PROBE" --scratch "$T" -o "$T/rootfs"
expect_rc 0 rootfs
for rt in runc ${GVISOR:+gvisor}; do
	assert_eq "$(jrows "$T/rootfs/results.json" cells status runtime=$rt)" ok "rootfs: $rt cell"
	assert_grep "file=/var/isobench/isobench-disk.dat" "$T/rootfs/results.json" \
		"rootfs: the test file in the container's root filesystem"
done
assert_grep '"scratch":	"rootfs"' "$T/rootfs/results.json" "rootfs: the job's scratch recorded"
assert_nothing_left "$T/rootfs" "a run on the containers' root filesystems"
note "disk on the container's own root filesystem (scratch = rootfs)"

# cpuset: each container pinned to the CPUs named (OCI
# linux.resources.cpu.cpus), as the kernel shows its probe
# (Cpus_allowed_list: the cpuset cgroup's CPUs); N threads are then 1;
# a CPU this host lacks skips that column alone, with the reason
NCPU=$(nproc)
LAST=$((NCPU - 1))
ib cpuset run -r "native,runc:cpuset=$LAST,crun:cpuset=0${GVISOR:+,gvisor:cpuset=0},runc:cpuset=1023" \
	-b cpu -s cpu.duration=0.05 --max-reps 1 --min-reps 1 --warmup 0 \
	--probe "$PROBE" --scratch "$T" -o "$T/cpuset"
expect_rc 0 cpuset
info_of() { jrows "$T/cpuset/results.json" cells info "runtime=$1" | tr '\n' ' '; }
assert_grep "\"cpus_allowed=$LAST\"" <(info_of "runc:cpuset=$LAST") "runc:cpuset=$LAST: the probe's CPUs"
assert_grep '"cpus_allowed=0"' <(info_of "crun:cpuset=0") "crun:cpuset=0: the probe's CPUs"
for rt in "runc:cpuset=$LAST" crun:cpuset=0 ${GVISOR:+gvisor:cpuset=0}; do
	threads=$(jrows "$T/cpuset/results.json" metrics params.threads "runtime=$rt" | sort -u | tr '\n' ' ')
	assert_eq "$threads" "1 " "$rt: the thread counts it ran (one CPU)"
done
if [ "$NCPU" -ge 2 ]; then
	threads=$(jrows "$T/cpuset/results.json" metrics params.threads runtime=native | sort -u | tr '\n' ' ')
	assert_eq "$threads" "1 $NCPU " "native: the thread counts it ran (every CPU)"
fi
assert_eq "$(jrows "$T/cpuset/results.json" cells status runtime=runc:cpuset=1023)" skipped "a cpuset of a CPU not here"
assert_grep "cpuset=1023: CPU 1023 is not one isobench may run on here" "$T/cpuset.err" "the reason, on stderr"
assert_nothing_left "$T/cpuset" "a run with cpusets"
note "cpuset: the containers' probes ran on the CPUs named; a CPU not here skips its column alone"

# a gVisor platform this runsc lacks: found by the trial, skipped with the
# reason; the rest runs
ib systrap run -r native,gvisor:platform=systrap -b cpu -s cpu.duration=0.05 \
	--max-reps 1 --min-reps 1 --probe "$PROBE" --scratch "$T" -o "$T/systrap"
expect_rc 0 systrap
assert_grep "skipping gvisor:platform=systrap: prepare failed: a trial container failed" \
	"$T/systrap.err" "the unusable platform, on stderr"
[ -z "$GVISOR" ] || assert_grep "unknown platform" "$T/systrap.err" "runsc's own reason"
assert_eq "$(jrows "$T/systrap/results.json" cells status runtime=gvisor:platform=systrap)" skipped "the systrap cell"
assert_eq "$(jrows "$T/systrap/results.json" cells status runtime=native)" ok "the native cell"
assert_nothing_left "$T/systrap" "a failed trial"
note "gvisor:platform=systrap: the trial finds runsc lacks it; skipped with the reason"

# a runtime missing from PATH: skipped with its reason, the rest runs
bindir=$T/bin
mkdir "$bindir"
for tool in crun; do ln -s "$(command -v $tool)" "$bindir/$tool"; done
IB_PATH=$bindir ib nopath run -r native,runc,crun,gvisor -b cpu -s cpu.duration=0.05 \
	--max-reps 1 --min-reps 1 --probe "$PROBE" --scratch "$T" -o "$T/nopath"
expect_rc 0 nopath
assert_grep "skipping runc: runc is not installed (fix: apt-get install -y runc)" \
	"$T/nopath.err" "the skipped runtime, on stderr"
assert_grep "skipping gvisor: runsc is not installed (fix: apt-get install -y runsc)" \
	"$T/nopath.err" "gvisor without runsc, on stderr"
assert_eq "$(jrows "$T/nopath/results.json" cells status runtime=gvisor)" skipped "gvisor cell"
assert_eq "$(jrows "$T/nopath/results.json" cells status runtime=runc)" skipped "runc cell"
assert_eq "$(jrows "$T/nopath/results.json" cells status runtime=crun)" ok "crun cell"
assert_grep "skipped" "$T/nopath/report.md" "report.md names the skipped runtime"
note "runc and runsc missing from PATH: skipped with reason and fix, crun still runs"

# SIGINT in the middle of a runc launch: torn down, results kept. The
# container has a cpuset: read from the host, its cgroup's cpuset.cpus
# (v1's cpuset hierarchy or v2's unified one) is the CPU named
start_held_run int "runc:cpuset=$LAST"
id=$RUN_ID
[ -n "$(run_containers "$id")" ] || fail "int: runc does not list the container"
cgs=$(find /sys/fs/cgroup -path "*/isobench-$id-000001/cpuset.cpus" 2>/dev/null)
[ -n "$cgs" ] || fail "int: no cpuset.cpus of the container's cgroup under /sys/fs/cgroup"
for f in $cgs; do
	assert_eq "$(cat "$f")" "$LAST" "int: $f"
done
note "cpuset from the host: the container's cgroup has cpuset.cpus $LAST ($(echo "$cgs" | head -1))"
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 10
assert_eq "$WAIT_RC" 130 "int: exit status after SIGINT"
assert_eq "$(jget "$T/int/results.json" status)" interrupted "int: results.json status"
assert_nothing_left "$T/int" "after SIGINT"
note "SIGINT during a runc launch: exit 130, results written, container deleted"

# kill -9 of isobench: the container outlives it; cleanup deletes it
for rt in ${RTS#native }; do
	start_held_run "k9-$rt" "$rt"
	id=$RUN_ID
	kill -KILL "$RUN_PID"
	wait_exit "$RUN_PID" 5
	[ -n "$(run_containers "$id")" ] || fail "k9-$rt: no container left to clean up: nothing tested"
	ib cleanup-$rt cleanup "$T/k9-$rt"
	expect_rc 0 cleanup-$rt
	assert_grep "$rt container isobench-$id-000001: deleted" "$T/cleanup-$rt.out" "cleanup's log"
	if [ $rt = gvisor ]; then
		# and the trial container of prepare was deleted by the run itself
		assert_grep "isobench-$id-trial-gvisor" "$T/k9-$rt/state.jsonl" "the trial's state record"
	fi
	assert_nothing_left "$T/k9-$rt" "kill -9 then cleanup ($rt)"
	ib cleanup2-$rt cleanup "$T/k9-$rt"
	expect_rc 0 cleanup2-$rt
	assert_grep "nothing left behind" "$T/cleanup2-$rt.out" "a second cleanup"
done
note "kill -9 of isobench: cleanup deletes the runc, crun and runsc containers, bundles and cgroups"

# kill -9 in a footprint round, every instance held: cleanup ends them all
for rt in runc ${GVISOR:+gvisor}; do
	# one round, the instances held 30 s before they are measured: the
	# kill comes while all three hold
	"$ISOBENCH" run -q -r $rt -b footprint -s footprint.instances=3 -s footprint.hold=60 \
		-s footprint.rounds=1 -s footprint.settle=30 -s footprint.drop_caches=off \
		--probe "$PROBE" --scratch "$T" -o "$T/fk9-$rt" >"$T/fk9-$rt.out" 2>"$T/fk9-$rt.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_until 30 eval '[ "$(jcount "$T/fk9-$rt/raw.jsonl" - launch ev=record rec.key=holding_s 2>/dev/null)" -ge 3 ]' ||
		fail "fk9-$rt: three instances did not hold"
	id=$(jrows "$T/fk9-$rt/raw.jsonl" - run_id ev=run)
	kill -KILL "$RUN_PID"
	wait_exit "$RUN_PID" 5
	left=$(run_containers "$id" | wc -l)
	[ "$left" -eq 3 ] || fail "fk9-$rt: $left containers left, want the 3 held: nothing tested"
	ib fcleanup-$rt cleanup "$T/fk9-$rt"
	expect_rc 0 fcleanup-$rt
	assert_nothing_left "$T/fk9-$rt" "kill -9 in a footprint round, then cleanup ($rt)"
	[ -z "$(pgrep -f "isobench-$id" || true)" ] || fail "fk9-$rt: processes of the run left: $(pgrep -af "isobench-$id")"
done
note "kill -9 with 3 instances held (footprint): cleanup removes every one"
