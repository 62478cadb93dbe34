#!/bin/bash
# vm_tuning.sh: the qemu driver's tuning options, checked from the host's
# side while a real VM (TCG here) runs:
# - pin=vcpu,emulator=isolated: the vCPU thread on the first of the CPUs
#   isobench may use, every other QEMU thread (main loop, RCU, I/O) on
#   the next, read from /proc/PID/task/*/status;
# - mem=hugetlb (2M, and 1G where the host can give a 1G page now): the
#   guest RAM's mapping in QEMU's smaps is hugetlb of that page size,
#   the host's pool grew for the run and is back to its size after the
#   run, after SIGINT, and after kill -9 + `isobench cleanup`;
# - prealloc=on: the whole guest RAM is resident before the guest runs;
# - numa=mirror: the guest RAM bound to the host's node (numa_maps);
# - what cannot work is a clear error for that column only.
# This test changes the host's huge page pool while it runs (that is the
# feature) and checks that it is given back every way a run can end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

QEMU=$(command -v qemu-system-x86_64) ||
	fail "qemu-system-x86_64 is not installed (scripts/setup.sh installs it)"
[ "$(id -u)" -eq 0 ] || fail "the qemu driver's hugetlb option needs root"
compgen -G "/boot/vmlinuz-*" >/dev/null ||
	fail "no guest kernel in /boot (scripts/setup.sh installs linux-image-cloud-amd64)"
POOL2=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
POOL1G=/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages
[ -w "$POOL2" ] || fail "$POOL2 is not writable: no 2M huge pages on this host"
BEFORE2=$(cat "$POOL2")

# the CPUs isobench may use, in order
own=()
for r in $(awk '/^Cpus_allowed_list/ { gsub(",", " ", $2); print $2 }' /proc/self/status); do
	for c in $(seq "${r%-*}" "${r#*-}"); do own+=("$c"); done
done

# held NAME SPEC MEM: a 30 s cpu job on one qemu column in the
# background; returns once the guest's probe said hello; VM_PID is QEMU's.
held() {
	local name=$1 spec=$2 mem=$3
	"$ISOBENCH" run -q -r "$spec" -b cpu -s cpu.duration=30 --cpus 1 --memory "$mem" \
		--probe "$PROBE" --scratch "$T" -o "$T/$name" >"$T/$name.out" 2>"$T/$name.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_until 90 eval '[ -n "$(jrows "$T/$name/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
		fail "$name: the VM's probe did not start: $(tail -c 600 "$T/$name.err")"
	VM_PID=$(jrows "$T/$name/state.jsonl" - pid kind=process | tail -1)
	alive_as "$VM_PID" "$QEMU" || fail "$name: no QEMU running: nothing tested"
}

# The guest RAM's mapping in QEMU's smaps: "<Size kB> <KernelPageSize kB> <Rss kB>"
guest_ram() {
	awk '/memfd:memory-backend-memfd/ { on = 1; next }
	     /^[0-9a-f]+-[0-9a-f]+ / { on = 0 }
	     on && /^Size:/ { s = $2 } on && /^KernelPageSize:/ { k = $2 }
	     on && /^Rss:/ { r = $2 } on && /^Private_Hugetlb:|^Shared_Hugetlb:/ { h += $2 }
	     END { print s + 0, k + 0, r + h }' "/proc/$1/smaps"
}

allowed() { awk '/^Cpus_allowed_list/ { print $2 }' "$1/status"; }

# --- pinned, emulator isolated, 2M pages, prealloc; then kill -9 ---------
if [ "${#own[@]}" -lt 2 ]; then
	skip_case "emulator=isolated needs 2 CPUs for a 1-vCPU VM; isobench may use ${#own[@]} here"
else
	held iso "qemu:accel=tcg,pin=vcpu,emulator=isolated,mem=hugetlb,prealloc=on" 256m
	vcpus=0 others=0
	for t in /proc/"$VM_PID"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		got=$(allowed "$t") || continue
		case $comm in
		"CPU "*/TCG | "CPU "*/KVM)
			assert_eq "$got" "${own[0]}" "iso: vCPU thread $comm"
			vcpus=$((vcpus + 1)) ;;
		*)
			assert_eq "$got" "${own[1]}" "iso: QEMU thread '$comm' (${t##*/})"
			others=$((others + 1)) ;;
		esac
	done
	assert_eq "$vcpus" 1 "iso: vCPU threads"
	[ "$others" -ge 2 ] || fail "iso: only $others non-vCPU threads found"
	assert_eq "$(jrows "$T/iso/raw.jsonl" - describe.emulator_host_cpu ev=runtime)" "${own[1]}" \
		"iso: the emulator's CPU in the runtime's description"
	note "pin=vcpu,emulator=isolated: the vCPU on CPU ${own[0]}, QEMU's $others other threads on CPU ${own[1]} (from /proc)"
	read -r size kps res < <(guest_ram "$VM_PID")
	assert_eq "$size" 262144 "iso: the guest RAM mapping's size (kB)"
	assert_eq "$kps" 2048 "iso: the guest RAM's page size (kB, smaps KernelPageSize)"
	# prealloc=on: all of it resident from the start (the guest kernel
	# alone touches far less of 256 MiB)
	assert_eq "$res" 262144 "iso: prealloc=on: guest RAM resident (kB)"
	now=$(cat "$POOL2")
	[ "$now" -ge $((BEFORE2 + 128)) ] || fail "iso: the 2M pool is $now pages, was $BEFORE2: not grown by 128"
	note "mem=hugetlb,prealloc=on: the guest RAM is a hugetlb mapping of 2048 kB pages, all 256 MiB resident; the pool grew $BEFORE2 -> $now"
	kill -KILL "$RUN_PID"
	wait_exit "$RUN_PID" 10
	wait_until 10 eval '! alive_as "$VM_PID" "$QEMU"' || fail "iso: QEMU outlived isobench"
	ib isoclean cleanup "$T/iso"
	expect_rc 0 isoclean
	cat "$T/isoclean.out" "$T/isoclean.err" >"$T/isoclean.all"
	assert_grep "huge pages of 2048 kB: pool $((BEFORE2 + 128)) -> $BEFORE2 (the 128 added given back)" "$T/isoclean.all" \
		"iso: cleanup says it gave the pages back"
	assert_eq "$(cat "$POOL2")" "$BEFORE2" "iso: the 2M pool after kill -9 + cleanup"
	ib isoclean2 cleanup "$T/iso"
	expect_rc 0 isoclean2
	assert_eq "$(cat "$POOL2")" "$BEFORE2" "iso: the 2M pool after a second cleanup"
	note "kill -9 + cleanup: the pool is back to $BEFORE2 pages, and a second cleanup changes nothing"
fi

# --- SIGINT --------------------------------------------------------------
held int "qemu:accel=tcg,mem=hugetlb,numa=mirror" 128m
[ "$(cat "$POOL2")" -ge $((BEFORE2 + 64)) ] || fail "int: the pool did not grow"
# numa=mirror: a guest node per host node with memory, its RAM bound to it
nodes=$(cat /sys/devices/system/node/has_memory)
first=${nodes%%[-,]*}
grep -q "bind:$first .*memfd:memory-backend-memfd" "/proc/$VM_PID/numa_maps" ||
	fail "int: numa=mirror: the guest RAM is not bound to host node $first: $(grep memfd "/proc/$VM_PID/numa_maps" | head -2)"
assert_grep "\"numa_host_nodes\":[$first" "$T/int/raw.jsonl" "int: the host nodes in the description"
note "numa=mirror: the guest RAM's mapping is bound to host node $first (numa_maps; the host's nodes with memory: $nodes)"
kill -INT "$RUN_PID"
wait_exit "$RUN_PID" 30
assert_eq "$WAIT_RC" 130 "int: exit status after SIGINT"
assert_eq "$(cat "$POOL2")" "$BEFORE2" "int: the 2M pool after SIGINT"
note "SIGINT: the pool is given back by the run itself"

# --- a run that ends: the pool back, the description says what it was ---
# (qemu columns with the disk job: each has a scratch image of its own;
# the emulator isolated's disk works under TCG too)
DONE_RTS="qemu:accel=tcg,mem=anon qemu:accel=tcg,mem=hugetlb"
[ "${#own[@]}" -lt 2 ] || DONE_RTS+=" qemu:accel=tcg,pin=vcpu,emulator=isolated"
ib done run -q -r "${DONE_RTS// /,}" -b cpu,disk -s cpu.duration=0.05 \
	-s disk.size=16m -s disk.tests=randread-4k-qd1 -s disk.duration=0.05 --cpus 1 \
	--memory 128m --min-reps 1 --max-reps 1 --probe "$PROBE" --scratch "$T" -o "$T/done"
expect_rc 0 done
for rt in $DONE_RTS; do
	for job in cpu disk; do
		assert_eq "$(jrows "$T/done/results.json" cells status "runtime=$rt" "job=$job")" ok "done: cell $rt/$job"
	done
done
assert_eq "$(jrows "$T/done/results.json" runtimes describe.guest_memory name=qemu:accel=tcg,mem=hugetlb)" \
	"hugetlb memfd backend" "done: the hugetlb column's description"
assert_eq "$(cat "$POOL2")" "$BEFORE2" "done: the 2M pool after the run"
note "a run with columns ${DONE_RTS// /, }: cpu and disk measured on each, the pool back to $BEFORE2"

# --- 1G pages: where the host gives one now, else a clear error ---------
if [ -w "$POOL1G" ]; then
	b1=$(cat "$POOL1G")
	"$ISOBENCH" run -q -r qemu:accel=tcg,mem=hugetlb,hugepage=1G -b cpu -s cpu.duration=30 --cpus 1 \
		--memory 1g --probe "$PROBE" --scratch "$T" -o "$T/g1" >"$T/g1.out" 2>"$T/g1.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_until 90 eval '[ -n "$(jrows "$T/g1/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ] ||
		! kill -0 "$RUN_PID" 2>/dev/null' || fail "g1: neither started nor ended"
	if grep -q "skipping qemu:accel=tcg,mem=hugetlb,hugepage=1G" "$T/g1.err"; then
		wait_exit "$RUN_PID" 30
		assert_grep "the host gave 0 of the 1 huge pages of 1048576 kB asked for" "$T/g1.err" "g1: why 1G pages could not be had"
		note "1G pages: this host could not give one now; the column is skipped with: $(grep -o 'the host gave.*' "$T/g1.err" | head -c 120)"
	else
		VM_PID=$(jrows "$T/g1/state.jsonl" - pid kind=process | tail -1)
		alive_as "$VM_PID" "$QEMU" || fail "g1: no QEMU running: nothing tested"
		read -r size kps res < <(guest_ram "$VM_PID")
		assert_eq "$kps" 1048576 "g1: the guest RAM's page size (kB, smaps KernelPageSize)"
		assert_eq "$size" 1048576 "g1: the guest RAM mapping's size (kB)"
		kill -INT "$RUN_PID"
		wait_exit "$RUN_PID" 30
		note "1G pages: the 1 GiB guest's RAM is one 1048576 kB page (smaps)"
	fi
	assert_eq "$(cat "$POOL1G")" "$b1" "g1: the 1G pool after the run"
else
	skip_case "no 1G huge pages on this host ($POOL1G)"
fi

# --- errors: that column alone -------------------------------------------
ib bad run -q -r native,qemu:accel=tcg,emulator=isolated,qemu:accel=tcg,hugepage=1G,qemu:accel=tcg,mem=hugetlb,hugepage=1G \
	-b cpu -s cpu.duration=0.05 --memory 128m --min-reps 1 --max-reps 1 --probe "$PROBE" --scratch "$T" -o "$T/bad"
expect_rc 0 bad
assert_grep "skipping qemu:accel=tcg,emulator=isolated: prepare failed: emulator=isolated needs pin=vcpu" "$T/bad.err" "bad: emulator without pin"
assert_grep "skipping qemu:accel=tcg,hugepage=1G: prepare failed: hugepage=1G: the page size of mem=hugetlb" "$T/bad.err" "bad: hugepage without hugetlb"
assert_grep "skipping qemu:accel=tcg,mem=hugetlb,hugepage=1G: prepare failed: mem=hugetlb,hugepage=1G: the VM's memory (128 MiB, --memory) is not a whole number" "$T/bad.err" "bad: memory not in whole pages"
assert_eq "$(jrows "$T/bad/results.json" cells status runtime=native)" ok "bad: native still measured"
assert_eq "$(cat "$POOL2")" "$BEFORE2" "bad: the 2M pool"
note "bad combinations skip their column with the reason; native is measured"

[ ${#SKIPPED[@]} -eq 0 ] || exit 77
