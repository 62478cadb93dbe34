#!/bin/bash
# vm.sh: the qemu driver, for real: QEMU boots the guest kernel with the
# probe's initramfs (TCG where KVM cannot run a stock guest, as here),
# on microvm and on q35:
# - the probe's records arrive over the serial console and the VM exits,
#   for the cpu, disk (on the virtio-blk scratch disk), startup (guest
#   kernel share) and footprint (VMM overhead) benchmarks;
# - the accelerator is chosen by a KVM trial boot (auto) whose verdict and
#   reason are recorded, TCG results are flagged as emulated in every
#   report, accel=kvm where KVM cannot boot the guest is refused with why;
# - a missing guest kernel, a corrupt one and a corrupt cached initramfs
#   give a clear error (or a rebuilt image) within the deadline, and no
#   QEMU process, socket or scratch image is left;
# - a guest that does not power off after its probe's done record is
#   ended 10 s later, its launch counted and the fact reported;
# - kill -9 of isobench with a VM running, then `isobench cleanup`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

QEMU=$(command -v qemu-system-x86_64) ||
	fail "qemu-system-x86_64 is not installed (scripts/setup.sh installs it)"
[ "$(id -u)" -eq 0 ] || fail "the qemu driver needs root (its caches and sockets)"
compgen -G "/boot/vmlinuz-*" >/dev/null ||
	fail "no guest kernel in /boot (scripts/setup.sh installs linux-image-cloud-amd64)"

# this test's own image cache and KVM verdicts: the trial really runs
export ISOBENCH_VM_CACHE="$T/vmcache"

# No QEMU process that run DIR recorded is alive, its QMP socket
# directory is gone, and so is its work directory (scratch images).
assert_no_vm_left() {
	local dir=$1 what=$2 pid id
	id=$(jrows "$dir/raw.jsonl" - run_id ev=run)
	for pid in $(jrows "$dir/state.jsonl" - pid kind=process); do
		! alive_as "$pid" "$QEMU" || fail "$what: QEMU (pid $pid) still runs"
	done
	if compgen -G "$ISOBENCH_RUNTIME_DIR/$id-qemu-*" >/dev/null; then
		fail "$what: QMP socket directory left: $(compgen -G "$ISOBENCH_RUNTIME_DIR/$id-qemu-*")"
	fi
	assert_no_path "$T/isobench-$id" "$what: work directory (scratch images)"
}

# --- every kind of benchmark, on both machine types ----------------------
D=$T/both
run_both() {
	ib both run -q -r qemu,qemu:machine=q35 -b cpu,disk,startup,footprint \
		-s cpu.duration=0.05 -s disk.size=16m -s disk.duration=0.05 \
		-s disk.tests=randread-4k-qd1,randwrite-4k-fsync \
		-s startup.launches=2 -s footprint.instances=2 -s footprint.rounds=1 -s footprint.drop_caches=off \
		-s footprint.settle=0 --min-reps 1 --max-reps 2 \
		--probe "$PROBE" --scratch "$T" -o "$D"
}
run_both
# A TCG boot that hangs before userspace (about one in 60 here) is
# replaced by the runner, visibly (the section below tests that); its
# console is shown here too, so that a CI log keeps it.
for f in $(grep '"status":"replaced".*"why":"its guest hung at boot' "$D/raw.jsonl" |
	sed -n 's/.*"launch":\([0-9]*\).*/\1/p'); do
	echo "note [vm]: launch $f's guest hung at boot and was replaced; its console (may be empty):" >&2
	tail -c 800 "$D/output/launch-$f.log" | tr -c '[:print:]\n' '.' >&2
done
expect_rc 0 both
for rt in qemu qemu:machine=q35; do
	for job in cpu disk startup footprint; do
		st=$(jrows "$D/results.json" cells status runtime=$rt job=$job)
		assert_eq "$st" ok "$rt/$job status"
	done
	acc=$(jrows "$D/results.json" runtimes describe.accelerator name=$rt)
	why=$(jrows "$D/results.json" runtimes describe.accelerator_why name=$rt)
	case "$acc" in
	tcg)
		case "$why" in
		*"trial boot"*|*"/dev/kvm"*|*KVM_CREATE_VM*) ;;
		*) fail "$rt: TCG without the KVM trial's reason: '$why'" ;;
		esac
		assert_eq "$(jrows "$D/results.json" runtimes describe.emulated name=$rt)" true "$rt emulated"
		assert_grep "$rt [emulated]" "$D/report.md" "report.md flags $rt"
		"$ISOBENCH" report "$D" >"$T/both.table"
		assert_grep "$rt [emulated]" "$T/both.table" "the terminal table flags $rt"
		grep -q "^$rt,.*,yes\$" "$D/results.csv" || fail "results.csv does not flag $rt as emulated"
		;;
	kvm) assert_grep "reached the probe" <(echo "$why") "$rt: KVM's reason" ;;
	*) fail "$rt: accelerator '$acc'" ;;
	esac
	# the samples came over the serial console
	v=$(jrows "$D/results.json" metrics median runtime=$rt metric=events_per_s params_key=max_prime=10000,threads=1)
	awk -v v="$v" 'BEGIN { exit !(v > 0) }' || fail "$rt: cpu events/s '$v'"
	v=$(jrows "$D/results.json" metrics median runtime=$rt metric=iops 'params_key=bs=4096,qd=1,size=16777216,test=randwrite-4k-fsync')
	awk -v v="$v" 'BEGIN { exit !(v > 0) }' || fail "$rt: disk fsync IOPS '$v'"
	# startup: the guest kernel's share is part of the time to userspace
	k=$(jrows "$D/results.json" metrics median runtime=$rt metric=guest_kernel)
	u=$(jrows "$D/results.json" metrics median runtime=$rt metric=to_first_byte)
	awk -v k="$k" -v u="$u" 'BEGIN { exit !(k > 0 && u > 0) }' ||
		fail "$rt: guest_kernel '$k' ms, to_first_byte '$u' ms"
	# footprint: QEMU's PSS, the guest's RAM and the VMM's own overhead
	for m in guest_ram_rss vmm_overhead_rss; do
		v=$(jrows "$D/results.json" metrics median runtime=$rt metric=$m)
		awk -v v="$v" 'BEGIN { exit !(v > 0) }' || fail "$rt: $m '$v'"
	done
	v=$(jrows "$D/results.json" metrics median runtime=$rt metric=pss params_key=process=qemu-system-x86_64)
	awk -v v="$v" 'BEGIN { exit !(v > 1) }' || fail "$rt: QEMU's PSS '$v' MiB"
done
# the disk test ran on the virtio-blk disk, not a file
assert_grep '"value":"/dev/vda"' "$D/raw.jsonl" "the disk workload's device"
assert_no_vm_left "$D" "after a normal run"
note "microvm and q35 boot; cpu, disk, startup, footprint arrive over the console; accelerator recorded and flagged"

# --- a guest that hangs at boot: replaced, at most twice per cell ----------
# A boot deadline no guest can meet makes every boot "hang": the first two
# launches of the cell are replaced (logged, counted, shown), the third
# fails the cell; a footprint round is replaced whole.
ib hung run -r qemu --boot-timeout 0.01 -b startup,footprint \
	-s startup.launches=2 -s footprint.instances=2 -s footprint.rounds=1 \
	-s footprint.drop_caches=off --no-progress \
	--probe "$PROBE" --scratch "$T" -o "$T/hung"
expect_rc 1 hung
assert_eq "$(jrows "$T/hung/raw.jsonl" - status ev=end | sort | uniq -c | tr -s ' ' | paste -sd,)" \
	" 2 failed, 6 replaced, 1 timeout" "end statuses of the hung boots"
for job in startup footprint; do
	assert_eq "$(jrows "$T/hung/results.json" cells status job=$job)" failed "$job status"
done
assert_eq "$(jrows "$T/hung/results.json" cells replaced_launches job=startup)" 2 "startup's replaced launches"
assert_eq "$(jrows "$T/hung/results.json" cells replaced_launches job=footprint)" 4 "footprint's replaced launches (two rounds of two)"
assert_grep "qemu/startup: launch 1 replaced: its guest hung at boot" "$T/hung.err" "the replacement said as it happens"
assert_grep "replaced qemu/startup: 2 launches, not counted" "$T/hung.out" "the summary's replaced line"
assert_grep "2 launches replaced, not counted: its guest hung at boot" "$T/hung/report.md" "report.md's replaced note"
assert_no_vm_left "$T/hung" "after hung boots"
note "a guest that hangs at boot: replaced twice per cell (a footprint round whole), then the cell fails; all of it reported"

# --- a guest that does not power off after its probe is done -------------
# The fake probe as the guest's init writes its records and then never
# powers off (as a guest whose kernel hangs in its poweroff would): the
# launch ends 10 s after the done record (QMP quit), not at the launch
# timeout, counts (its records are whole), and says so.
FAKE_STATIC=${FAKEPROBE_STATIC:?}
ib lefton run -r qemu:accel=tcg -b cpu --min-reps 1 --max-reps 1 --timeout 120 \
	--no-progress --probe "$FAKE_STATIC" --scratch "$T" -o "$T/lefton"
expect_rc 0 lefton
# the first launch that ended ok (one whose guest hung at boot is replaced)
lo=$(ok_launches "$T/lefton/raw.jsonl" qemu:accel=tcg | sed -n 1p)
[ -n "$lo" ] || fail "lefton: no launch ended ok"
assert_eq "$(jrows "$T/lefton/raw.jsonl" - status ev=end launch=$lo)" ok "lefton: launch status"
assert_eq "$(jrows "$T/lefton/raw.jsonl" - guest_poweroff ev=end launch=$lo)" forced "lefton: end event's guest_poweroff"
assert_eq "$(jrows "$T/lefton/results.json" cells forced_poweroff_launches job=cpu)" 1 "lefton: results.json's count"
assert_eq "$(jrows "$T/lefton/results.json" metrics median metric=events_per_s)" 1000 "lefton: the fake sample"
assert_grep "did not power off within 10 s of its probe's done record" "$T/lefton.err" "lefton: said as it happens"
assert_grep "1 launch whose guest did not power off" "$T/lefton/report.md" "lefton: report.md's note"
wall=$(jrows "$T/lefton/raw.jsonl" - wall_s ev=end launch=$lo)
awk -v w="$wall" 'BEGIN { exit !(w >= 10 && w < 60) }' ||
	fail "lefton: the launch took $wall s (10 s after done expected, not the 120 s timeout)"
assert_no_vm_left "$T/lefton" "after a guest left on"
note "a guest that never powers off: ended $wall s into its launch (10 s after done), counted, reported"

# --- the accelerator choice ----------------------------------------------
ib tcg run -q -r qemu:accel=tcg -b startup -s startup.launches=1 \
	--probe "$PROBE" --scratch "$T" -o "$T/tcg"
expect_rc 0 tcg
assert_grep "asked for (accel=tcg)" "$T/tcg/results.json" "accel=tcg's reason"

ib kvm run -q -r qemu:accel=kvm -b startup -s startup.launches=1 \
	--probe "$PROBE" --scratch "$T" -o "$T/kvm"
if [ "$(jrows "$D/results.json" runtimes describe.accelerator name=qemu)" = tcg ]; then
	# KVM cannot boot the guest here: refused, with why
	expect_rc 3 kvm
	assert_grep "accel=kvm: " "$T/kvm.err" "accel=kvm refused with its reason"
	note "accel=kvm where the trial failed: refused with the reason; accel=tcg: TCG"
else
	expect_rc 0 kvm
	note "accel=kvm: KVM; accel=tcg: TCG"
fi

# --- bad guest kernels and images ----------------------------------------
ver=$(jrows "$D/results.json" runtimes describe.guest_kernel_version name=qemu)
ISOBENCH_GUEST_KERNEL=$T/nonexistent ib nokernel run -q -r qemu -b startup \
	-s startup.launches=1 --probe "$PROBE" --scratch "$T" -o "$T/nokernel"
expect_rc 3 nokernel
assert_grep "guest kernel $T/nonexistent: No such file" "$T/nokernel.err" "missing kernel error"

# garbage under a kernel's name (its modules are found by the version)
mkdir -p "$T/badk"
head -c 4M /dev/urandom >"$T/badk/vmlinuz-$ver"
t0=$(now_us)
ISOBENCH_GUEST_KERNEL=$T/badk/vmlinuz-$ver ib badkernel run -q -r qemu:accel=tcg -b startup \
	-s startup.launches=1 --min-reps 1 --max-reps 1 --timeout 60 \
	--probe "$PROBE" --scratch "$T" -o "$T/badkernel"
secs=$((($(now_us) - t0) / 1000000))
[ "$IB_RC" -ne 0 ] || fail "badkernel: a corrupt kernel gave exit status 0"
[ "$secs" -lt 60 ] || fail "badkernel: took $secs s"
why=$(jrows "$T/badkernel/results.json" cells failures.0 runtime=qemu:accel=tcg)
case "$why" in
*"no hello record"*"last line"*qemu*) ;;
*) fail "badkernel: unclear error: '$why'" ;;
esac
assert_no_vm_left "$T/badkernel" "after a corrupt kernel"
note "a missing kernel is refused; a corrupt one fails in ${secs} s naming QEMU's complaint: '${why:0:120}...'"

# a cached initramfs whose bytes changed is built again, and works
img=$(jrows "$D/results.json" runtimes describe.initramfs name=qemu)
[ -f "$img" ] && [ -f "$img.sum" ] || fail "no cached initramfs $img with its sum"
head -c 100k /dev/urandom >"$img"
ib rebuilt run -q -r qemu -b startup -s startup.launches=1 \
	--probe "$PROBE" --scratch "$T" -o "$T/rebuilt"
expect_rc 0 rebuilt
cmp -s <(sha256sum <"$img" | cut -d' ' -f1) <(cut -c1-64 "$img.sum") ||
	fail "the corrupt cached initramfs was not rebuilt"
note "a corrupt cached initramfs is detected by its sum and rebuilt"

# --- kill -9, then cleanup -----------------------------------------------
"$ISOBENCH" run -q -r qemu:accel=tcg,pin=vcpu -b cpu -s cpu.duration=30 --probe "$PROBE" \
	--scratch "$T" -o "$T/k9" >"$T/k9.out" 2>"$T/k9.err" &
RUN_PID=$!
BG_PIDS+=("$RUN_PID")
wait_until 60 eval '[ -n "$(jrows "$T/k9/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
	fail "k9: the VM's probe did not start"
vm_pid=$(jrows "$T/k9/state.jsonl" - pid kind=process | tail -1)
alive_as "$vm_pid" "$QEMU" || fail "k9: no QEMU running: nothing tested"
# pin=vcpu, read from the host's side: each vCPU thread (QEMU names them
# "CPU N/TCG") allowed on the N-th of the CPUs isobench may use alone
own=()
for r in $(awk '/^Cpus_allowed_list/ { gsub(",", " ", $2); print $2 }' /proc/self/status); do
	for c in $(seq "${r%-*}" "${r#*-}"); do own+=("$c"); done
done
pinned=0
for t in /proc/"$vm_pid"/task/*; do
	comm=$(cat "$t/comm" 2>/dev/null) || continue
	case $comm in
	"CPU "*/TCG | "CPU "*/KVM)
		n=${comm#CPU }
		n=${n%%/*}
		got=$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")
		assert_eq "$got" "${own[$n]}" "k9: pin=vcpu: vCPU $n's thread (${t##*/}) allowed CPUs"
		pinned=$((pinned + 1))
		;;
	esac
done
assert_eq "$pinned" "$(nproc)" "k9: pin=vcpu: vCPU threads found pinned"
assert_grep '"vcpu_host_cpus"' <(cat "$T/k9/raw.jsonl") "k9: the pinning in the runtime's description"
note "pin=vcpu: each of the $pinned vCPU threads reads back, from /proc, as allowed on its own host CPU alone"
kill -KILL "$RUN_PID"
wait_exit "$RUN_PID" 5
# QEMU dies with isobench (PDEATHSIG); cleanup removes the rest
wait_until 10 eval '! alive_as "$vm_pid" "$QEMU"' || fail "k9: QEMU outlived isobench"
ib k9cleanup cleanup "$T/k9"
expect_rc 0 k9cleanup
assert_no_vm_left "$T/k9" "kill -9 then cleanup"
note "kill -9: QEMU ends with isobench; cleanup removes its sockets and scratch"
