#!/bin/bash
# firecracker.sh: the firecracker runtime where no Firecracker can run
# (this project's machines: it is not packaged in Debian and cannot be
# downloaded). What must hold anyway:
#   - `isobench list` shows firecracker as not usable, with the exact
#     reason (no binary, not packaged in Debian) and where to get one;
#   - $ISOBENCH_FIRECRACKER naming nothing is said so;
#   - with a stand-in firecracker (a script that only answers --version
#     and --help) and a read-write /dev/kvm, the driver gets as far as
#     prepare, which refuses the distribution's bzImage (Firecracker's
#     x86_64 loader boots only an ELF vmlinux) and, given an ELF whose
#     kernel config lacks CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES (Debian's
#     cloud kernel), says that; the run skips the runtime with that reason
#     and starts nothing.
#   - against a MOCK Firecracker (fakefirecracker.c: the API socket, each
#     request recorded, the probe run natively at InstanceStart), runs
#     end to end, and hugepages=2M sends huge_pages in machine-config and
#     grows the host's 2M pool for the run, given back after it and after
#     kill -9 + cleanup.
# Where a real firecracker and KVM exist, the unit test fc_api and a real
# run (-r firecracker) cover the rest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp
unset ISOBENCH_FIRECRACKER ISOBENCH_FC_KERNEL
# KVM trial verdicts (the qemu driver's) of this test's own: none yet, so
# KVM's usability is unknown until the case below records one
export ISOBENCH_VM_CACHE=$T/vmcache
mkdir -p "$ISOBENCH_VM_CACHE"

# no binary ------------------------------------------------------------------
if command -v firecracker >/dev/null; then
	skip_case "a firecracker binary is on PATH: the no-binary case cannot run"
else
	ib list-none list runtimes
	expect_rc 0 list-none
	line=$(grep -A1 '^  firecracker ' "$T/list-none.out") ||
		fail "list: no firecracker line: $(cat "$T/list-none.out")"
	for s in "microVM" "NOT usable: no firecracker binary in PATH (Firecracker is not packaged in Debian)" \
		"github.com/firecracker-microvm/firecracker/releases" "ISOBENCH_FIRECRACKER"; do
		grep -qF -- "$s" <<<"$line" || fail "list: firecracker's entry does not say '$s': $line"
	done
	note "list says why firecracker is not usable"
fi

ISOBENCH_FIRECRACKER=$T/no-such-firecracker ib list-env list runtimes
expect_rc 0 list-env
assert_grep "ISOBENCH_FIRECRACKER=$T/no-such-firecracker is not an executable file" \
	"$T/list-env.out" "list with a bad ISOBENCH_FIRECRACKER"
note "a bad ISOBENCH_FIRECRACKER is named"

# a failed KVM trial is kept for minutes, not until reboot -------------------
echo "fail KVM opens but a trial boot (test) did not reach the probe" \
	>"$ISOBENCH_VM_CACHE/kvm-trial-0000000000000000-microvm"
ib doctor-fresh doctor
assert_grep "VMs run under TCG (emulated)" "$T/doctor-fresh.out" "doctor with a fresh failed trial"
touch -d '20 minutes ago' "$ISOBENCH_VM_CACHE/kvm-trial-0000000000000000-microvm"
ib doctor-old doctor
assert_grep "not tried yet, or a failed trial expired" "$T/doctor-old.out" \
	"doctor with a failed trial 20 minutes old"
rm "$ISOBENCH_VM_CACHE/kvm-trial-0000000000000000-microvm"
note "a failed KVM trial expires after 10 minutes (the next run tries again)"

# a stand-in binary ----------------------------------------------------------
FAKE=$T/bin/firecracker
mkdir -p "$T/bin"
cat >"$FAKE" <<'EOF'
#!/bin/sh
# stand-in: answers what prepare asks; as a VMM it would fail loudly
case "$1" in
--version) echo "Firecracker v0.0.0-isobench-test"; exit 0 ;;
--help) echo "  --boot-timer  stand-in"; exit 0 ;;
esac
echo "stand-in firecracker: not a VMM" >&2
exit 1
EOF
chmod +x "$FAKE"
export ISOBENCH_FIRECRACKER=$FAKE

# A regular file where the KVM device should be (what `exec 3<>/dev/kvm`
# makes, as root, on a host without KVM) opens read-write like the real
# device: the driver must see that it is not one. The impostor lives in
# this test's temp dir; ISOBENCH_KVM_DEVICE points the check at it.
: >"$T/fake-kvm"
ISOBENCH_KVM_DEVICE=$T/fake-kvm ib list-impostor list runtimes
expect_rc 0 list-impostor
grep -A1 '^  firecracker ' "$T/list-impostor.out" |
	grep -qF "NOT usable: $T/fake-kvm is not a character device (a regular file): not KVM" ||
	fail "list: a regular file passed for KVM: $(grep -A1 '^  firecracker ' "$T/list-impostor.out")"
note "a regular file in KVM's place is not taken for KVM"
# a character device that is not KVM (the null device's numbers, made in
# this test's dir) does not answer KVM_GET_API_VERSION
if mknod "$T/fake-kvm-chr" c 1 3 2>/dev/null; then
	ISOBENCH_KVM_DEVICE=$T/fake-kvm-chr ib list-chr list runtimes
	expect_rc 0 list-chr
	grep -A1 '^  firecracker ' "$T/list-chr.out" |
		grep -qF "NOT usable: $T/fake-kvm-chr does not answer KVM_GET_API_VERSION" ||
		fail "list: a non-KVM character device passed for KVM: $(grep -A1 '^  firecracker ' "$T/list-chr.out")"
	note "a character device that does not answer KVM's API is not taken for KVM"
else
	skip_case "mknod is not permitted here: the non-KVM character device case cannot run"
fi

ib list-fake list runtimes
expect_rc 0 list-fake
# Whether this host has KVM, asked without ever creating the path: a
# redirection such as `exec 3<>/dev/kvm` would, as root, make a regular
# file there.
if ! { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then
	# a regular file there is what an old `exec 3<>/dev/kvm` left
	# behind: the host is not as it should be, and isobench says so
	if [ -e /dev/kvm ] && [ ! -c /dev/kvm ]; then
		grep -qF "/dev/kvm is not a character device" "$T/list-fake.out" ||
			fail "list took a non-device /dev/kvm for KVM: $(cat "$T/list-fake.out")"
		fail "/dev/kvm on this host is not a character device (something created it; remove it): isobench refuses it, but the no-KVM case cannot be shown"
	fi
	grep -qF "/dev/kvm cannot be opened read-write" "$T/list-fake.out" ||
		fail "list without a usable /dev/kvm: (status $IB_RC) $(cat "$T/list-fake.out" "$T/list-fake.err")"
	skip_case "no usable /dev/kvm on this host: prepare cannot be reached"
	exit 0
fi
grep -A1 '^  firecracker ' "$T/list-fake.out" | grep -q 'usable' &&
	! grep -A1 '^  firecracker ' "$T/list-fake.out" | grep -q 'NOT usable' ||
	fail "list: firecracker not usable with a binary and /dev/kvm: $(cat "$T/list-fake.out")"
note "a binary and /dev/kvm make firecracker available"

# a KVM trial boot that failed (as the qemu driver records it on a PVM
# host) makes firecracker unavailable, with that reason
echo "fail KVM opens but a trial boot (test) did not reach the probe" \
	>"$ISOBENCH_VM_CACHE/kvm-trial-0000000000000000-microvm"
ib list-trial list runtimes
expect_rc 0 list-trial
grep -A1 '^  firecracker ' "$T/list-trial.out" |
	grep -qF "NOT usable: KVM cannot run a stock guest here: KVM opens but a trial boot (test)" ||
	fail "list: a failed KVM trial is not firecracker's reason: $(grep -A1 '^  firecracker ' "$T/list-trial.out")"
rm "$ISOBENCH_VM_CACHE/kvm-trial-0000000000000000-microvm"
note "a failed KVM trial boot makes firecracker unavailable, with its reason"

# The distribution's kernel, as vm_image finds it, is a bzImage.
KERNEL=$(find /boot -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1)
if [ -z "$KERNEL" ]; then
	skip_case "no /boot/vmlinuz-*: the bzImage case cannot run"
else
	ib run-bz run -q -r firecracker -b cpu -s cpu.duration=0.1 --probe "$PROBE" \
		--scratch "$T" -o "$T/run-bz"
	[ "$IB_RC" -ne 0 ] || fail "run-bz: a run on an unusable firecracker succeeded"
	assert_grep "skipping firecracker: prepare failed" "$T/run-bz.err" "run-bz"
	assert_grep "bzImage" "$T/run-bz.err" "run-bz"
	assert_grep "ISOBENCH_FC_KERNEL" "$T/run-bz.err" "run-bz"
	note "prepare refuses a bzImage and says what to use"

	# An ELF "vmlinux" named for the installed kernel, whose config is
	# Debian's: without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES.
	VER=${KERNEL#/boot/vmlinuz-}
	CONFIG=/boot/config-$VER
	if [ -f "$CONFIG" ] && grep -q '^# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES is not set' "$CONFIG"; then
		mkdir -p "$T/k"
		# a 64-bit little-endian x86-64 ELF header, nothing more
		printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\076\000' \
			>"$T/k/vmlinux-$VER"
		head -c 4096 /dev/zero >>"$T/k/vmlinux-$VER"
		ISOBENCH_FC_KERNEL=$T/k/vmlinux-$VER ib run-cfg run -q -r firecracker -b cpu \
			-s cpu.duration=0.1 --probe "$PROBE" --scratch "$T" -o "$T/run-cfg"
		[ "$IB_RC" -ne 0 ] || fail "run-cfg: a run on an unusable firecracker succeeded"
		assert_grep "skipping firecracker: prepare failed" "$T/run-cfg.err" "run-cfg"
		assert_grep "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES" "$T/run-cfg.err" "run-cfg"
		note "prepare refuses a kernel without virtio-mmio command-line devices"
	else
		skip_case "no Debian kernel config without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES here"
	fi
fi

# --- the driver against a mock Firecracker ---------------------------------
# No Firecracker can run here, so what its hugepages=2M knob does on the
# host's side is shown against a MOCK (tests/integration/fakefirecracker.c:
# it serves the API socket, records every request with its body and the
# host's 2M pool at InstanceStart, then runs the probe natively as "the
# guest"). It shows the driver's requests and the pool's life, not a
# microVM: a real Firecracker would also have to accept the body and map
# the guest's memory on those pages.
POOL2=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ ! -w "$POOL2" ]; then
	skip_case "$POOL2 is not writable: no 2M huge pages here, the mock's hugepages case cannot run"
else
	BEFORE2=$(cat "$POOL2")
	mkdir -p "$T/mk"
	# an ELF header named for no installed kernel: no modules, no config
	# to check (prepare says "not checked"), the initramfs the probe alone
	printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\076\000' \
		>"$T/mk/vmlinux-isobench-mock"
	head -c 4096 /dev/zero >>"$T/mk/vmlinux-isobench-mock"
	export ISOBENCH_FIRECRACKER=${FAKEFIRECRACKER:?} ISOBENCH_FC_KERNEL=$T/mk/vmlinux-isobench-mock
	export FAKEFC_PROBE=$PROBE
	FAKEFC_LOG=$T/mock.log ib mock run -r firecracker,firecracker:hugepages=2M -b cpu \
		-s cpu.duration=0.2 --min-reps 1 --max-reps 1 --memory 256m \
		--probe "$PROBE" --scratch "$T" -o "$T/mock-run"
	if grep -q "skipping firecracker:hugepages=2M: prepare failed: hugepages=2M" "$T/mock.err" &&
		grep -qi "pool" "$T/mock.err"; then
		skip_case "the host cannot give 128 huge pages of 2M now: $(grep -m1 hugepages=2M "$T/mock.err")"
	else
		expect_rc 0 mock
		for rt in firecracker firecracker:hugepages=2M; do
			assert_eq "$(jrows "$T/mock-run/results.json" cells status runtime=$rt)" ok "mock: $rt's cell"
		done
		# the requests, in order, for each launch
		assert_eq "$(grep -c '^PUT /machine-config ' "$T/mock.log")" 2 "mock: machine-config requests"
		assert_eq "$(grep -c '^PUT /machine-config .*"huge_pages":"2M"' "$T/mock.log")" 1 \
			"mock: machine-config requests with huge_pages 2M"
		grep -q '^PUT /machine-config {"vcpu_count":[0-9]*,"mem_size_mib":256,"smt":false}$' "$T/mock.log" ||
			fail "mock: the plain column's machine-config: $(grep machine-config "$T/mock.log")"
		assert_eq "$(grep -c '^PUT /actions {"action_type":"InstanceStart"}$' "$T/mock.log")" 2 "mock: InstanceStart requests"
		# the pool while the VMs ran: grown by a 256 MiB VM's pages
		while read -r _ n; do
			[ "$n" -ge $((BEFORE2 + 128)) ] || fail "mock: the 2M pool was $n at InstanceStart, $BEFORE2 before: not grown by 128"
		done < <(grep '^pool ' "$T/mock.log")
		assert_eq "$(cat "$POOL2")" "$BEFORE2" "mock: the 2M pool after the run"
		assert_grep '"huge_pages":"2M (hugetlbfs' "$T/mock-run/raw.jsonl" "mock: the runtime's description"
		note "MOCK Firecracker: hugepages=2M sends huge_pages 2M in machine-config, the plain column does not; the 2M pool was $(grep -m1 '^pool ' "$T/mock.log" | cut -d' ' -f2) pages at InstanceStart and is back to $BEFORE2 after the run"

		# kill -9 while "the VM" runs, then cleanup
		: >"$T/mock9.log"
		FAKEFC_LOG=$T/mock9.log "$ISOBENCH" run -q -r firecracker:hugepages=2M -b cpu \
			-s cpu.duration=30 --min-reps 1 --max-reps 1 --memory 256m \
			--probe "$PROBE" --scratch "$T" -o "$T/mock-k9" >"$T/mock-k9.out" 2>"$T/mock-k9.err" &
		RUN_PID=$!
		BG_PIDS+=("$RUN_PID")
		wait_until 30 eval 'grep -q "^pool " "$T/mock9.log"' ||
			fail "mock-k9: the mock's VM never started: $(tail -c 600 "$T/mock-k9.err")"
		[ "$(cat "$POOL2")" -ge $((BEFORE2 + 128)) ] || fail "mock-k9: the pool did not grow"
		FC_PID=$(jrows "$T/mock-k9/state.jsonl" - pid kind=process | tail -1)
		kill -KILL "$RUN_PID"
		wait_exit "$RUN_PID" 10
		wait_until 10 eval '! alive_as "$FC_PID" "$FAKEFIRECRACKER"' || fail "mock-k9: the mock outlived isobench"
		ib mock-k9-clean cleanup "$T/mock-k9"
		expect_rc 0 mock-k9-clean
		assert_eq "$(cat "$POOL2")" "$BEFORE2" "mock-k9: the 2M pool after kill -9 + cleanup"
		note "MOCK Firecracker, kill -9 + cleanup: the 2M pool back to $BEFORE2"
	fi
	unset ISOBENCH_FIRECRACKER ISOBENCH_FC_KERNEL FAKEFC_PROBE
fi

# nothing was started: prepare failed before any launch recorded a file
for d in "$T"/run-*/; do
	[ -f "$d/state.jsonl" ] || continue
	! grep -q '"kind":"file"' "$d/state.jsonl" ||
		fail "$d: a launch happened: $(cat "$d/state.jsonl")"
done
assert_no_scratch_in "$T" "firecracker runs"
