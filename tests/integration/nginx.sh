#!/bin/bash
# nginx.sh: the nginx benchmark, for real: Debian's nginx started by the
# probe's serve workload in native (its own network namespace, a veth
# link), in runc, crun and gVisor (nginx's application image linked into
# each container's root), in Docker with runc and with runsc (the image
# uploaded into the created container through the Engine API) and in a
# QEMU VM (the image appended to its initramfs; ended by a word on its
# console), loaded by the real wrk on the host:
# - every point of the sweep has its figures, and they agree with what
#   was served: MB/s is requests/s times the body's size (plus headers);
#   no errors but the 404 point's responses, which wrk counts as non-2xx;
# - the host's CPU time of the instance over the points agrees with the
#   server's own (getrusage in the probe) where nothing stands between
#   them (native, runc, crun, docker), and is at least half of it under
#   gVisor (whose Sentry adds its own) and in the VM (the emulator's);
#   nginx exited 0 on being asked to stop;
# - docroot=scratch: the files served from the scratch directory (a
#   container's /scratch, a VM's ext4 data disk), each launch saying so;
# - a runtime that does not run the applications yet (kata's driver, with
#   runc's shim here) fails its cell with that reason; bad parameters are
#   refused before anything runs;
# - no nginx, no namespace and no file of the run is left.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

[ "$(id -u)" -eq 0 ] || fail "the nginx benchmark's link needs root"
[ -x /usr/sbin/nginx ] || fail "nginx is not installed (scripts/setup.sh --tests installs it)"
command -v wrk >/dev/null || fail "wrk is not installed (scripts/setup.sh --tests installs it)"

# the container runtimes this host can use (each missing one a visible SKIP)
RTS=native
for rt in runc crun gvisor docker qemu; do
	if "$ISOBENCH" list 2>/dev/null | grep -A1 "^  $rt " | grep -q usable; then
		RTS="$RTS,$rt"
		[ "$rt" != docker ] || RTS="$RTS,docker:runtime=runsc"
	else
		skip_case "$rt is not usable here: nginx in it is not tested"
	fi
done

D=$T/ng
ib ng run -r "$RTS" -b nginx -s nginx.sizes=404,1k,100k \
	-s nginx.connections=4 -s nginx.duration=1 -s nginx.warmup=0 \
	-s nginx.launches=2 --no-progress --probe "$PROBE" --scratch "$T" -o "$D"
expect_rc 0 ng
"$IBCHECK" results "$D/results.json" || fail "results.json is inconsistent"
for rt in ${RTS//,/ }; do
assert_eq "$(jrows "$D/results.json" cells status runtime=$rt job=nginx)" ok "$rt/nginx status"
assert_eq "$(jrows "$D/results.json" cells ok_launches runtime=$rt job=nginx)" 2 "$rt: launches"
for size in 404 1k 100k; do
	for c in 4; do
		key="connections=$c,size=$size"
		rps=$(jrows "$D/results.json" metrics median runtime=$rt metric=requests_per_s params_key=$key)
		mbs=$(jrows "$D/results.json" metrics median runtime=$rt metric=mb_per_s params_key=$key)
		p50=$(jrows "$D/results.json" metrics median runtime=$rt metric=latency_p50 params_key=$key)
		p99=$(jrows "$D/results.json" metrics median runtime=$rt metric=latency_p99 params_key=$key)
		cpu=$(jrows "$D/results.json" metrics median runtime=$rt metric=host_cpu_per_1k_requests params_key=$key)
		awk -v r="$rps" -v a="$p50" -v b="$p99" -v c="$cpu" \
			'BEGIN { exit !(r > 10 && a > 0 && b >= a && c > 0) }' ||
			fail "$rt $key: requests/s '$rps', p50 '$p50', p99 '$p99' ms, cpu '$cpu' ms/1k"
		# bytes per response: the body and nginx's headers (~250 bytes;
		# its 404 page is ~150 bytes of HTML)
		case $size in 404) body=0 ;; 1k) body=1024 ;; 100k) body=102400 ;; esac
		awk -v r="$rps" -v m="$mbs" -v s="$body" \
			'BEGIN { per = m * 1e6 / r; exit !(per > s + 100 && per < s + 1000) }' ||
			fail "$rt $key: $mbs MB/s at $rps requests/s is not $body bytes a response plus headers"
	done
done
# the host's measure of the instance's CPU against the server's own: over
# a launch, the points' sum (CPU per 1000 requests times requests) is the
# server's CPU time, give or take the probe's share and start and stop
# (no warm-up runs here: the server's figure would include them). Where
# the server's figure is not the host's CPU, only both being there is
# checked: under gVisor it is the Sentry's accounting (seen: 4.21 s of
# server time over 1.87 s of host CPU, the ptrace platform's stops
# counted as the task's), in a VM the guest kernel's clock (TCG).
lo=0.5 hi=1.5
case $rt in gvisor|docker:runtime=runsc|qemu) lo=0 hi=1e9 ;; esac
for l in $(ok_launches "$D/raw.jsonl" "$rt"); do
	srv=$(jrows "$D/raw.jsonl" - rec.value ev=record launch=$l rec.metric=server_cpu)
	sum=$(paste <(jrows "$D/raw.jsonl" - rec.value ev=record launch=$l rec.metric=host_cpu_per_1k_requests) \
		<(jrows "$D/raw.jsonl" - rec.value ev=record launch=$l rec.metric=requests_per_s) |
		awk '{ s += $1 * $2 / 1e6 } END { print s }')
	awk -v a="$sum" -v b="$srv" -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(b > 0 && a > 0 && a > lo * b && a < hi * b) }' ||
		fail "$rt launch $l: the instance's host CPU over the points ($sum s) is not the server's own ($srv s)"
	assert_eq "$(jrows "$D/raw.jsonl" - rec.value ev=record launch=$l rec.key=server_exit)" "exit 0" "$rt launch $l: nginx's exit"
done
done
# a point with errors would be said; the 404 point's non-2xx are its
# design, not errors
assert_eq "$(jcount "$D/raw.jsonl" - rec.value ev=record rec.key=point_with_errors)" 0 "points with errors"
assert_grep "not pinned" "$D/report.md" "how wrk ran is reported"
assert_grep "nginx: the Debian nginx binary" "$D/report.md" "the method note"
id=$(jrows "$D/raw.jsonl" - run_id ev=run)
for e in /proc/[0-9]*/environ; do
	if grep -qz "^ISOBENCH_LAUNCH=isobench-$id-" "$e" 2>/dev/null; then
		fail "a process of the run is left: ${e%/environ} ($(tr '\0' ' ' <"${e%/environ}/cmdline"))"
	fi
done
! ip netns list | grep -q "$id" || fail "a network namespace of the run is left"
assert_no_path "$T/isobench-$id" "the run's work directory (nginx's files)"
note "nginx in $RTS under wrk: every point measured and consistent with the bodies served, host CPU agrees with the server's, nothing left"

# --- the files on the scratch directory ---------------------------------------
S=$T/ngs
ib ngs run -r "$RTS" -b nginx -s nginx.docroot=scratch -s nginx.sizes=100k \
	-s nginx.connections=4 -s nginx.duration=1 -s nginx.warmup=0 \
	-s nginx.launches=1 --no-progress --probe "$PROBE" --scratch "$T" -o "$S"
expect_rc 0 ngs
for rt in ${RTS//,/ }; do
	assert_eq "$(jrows "$S/results.json" cells status runtime=$rt job=nginx)" ok "$rt/nginx (docroot=scratch) status"
	key="connections=4,size=100k"
	rps=$(jrows "$S/results.json" metrics median runtime=$rt metric=requests_per_s params_key=$key)
	mbs=$(jrows "$S/results.json" metrics median runtime=$rt metric=mb_per_s params_key=$key)
	awk -v r="$rps" -v m="$mbs" 'BEGIN { per = m * 1e6 / r; exit !(r > 10 && per > 102500 && per < 103400) }' ||
		fail "$rt docroot=scratch: $mbs MB/s at $rps requests/s is not 100 KiB a response plus headers"
	l=$(ok_launches "$S/raw.jsonl" "$rt" | sed -n 1p)
	where=$(jrows "$S/raw.jsonl" - rec.value ev=record launch=$l rec.key=docroot)
	case $rt in
	native) want="scratch directory on the host" ;;
	qemu) want="ext4 disk image" ;;
	*) want="container's /scratch" ;;
	esac
	[[ "$where" == *"$want"* ]] || fail "$rt docroot=scratch: docroot '$where'"
done
assert_no_path "$T/isobench-$(jrows "$S/raw.jsonl" - run_id ev=run)" "the run's work directory (the scratch files, a VM's disk)"
# the image: cached by its inputs' digest after the first run, found there
# by the second (intact), the digest in each launch's info "image"
if [ "$RTS" != native ]; then
	grep -q "nginx's image: .* built: $ISOBENCH_APP_CACHE/nginx-" "$T/ng.err" ||
		fail "the first run did not build the image into the cache: $(grep "image" "$T/ng.err")"
	grep -q "nginx's image: .* from the cache: $ISOBENCH_APP_CACHE/nginx-" "$T/ngs.err" ||
		fail "the second run did not find the image in the cache: $(grep "image" "$T/ngs.err")"
	sum=$(ls "$ISOBENCH_APP_CACHE" | sed -n 's/^nginx-//p')
	[ ${#sum} -eq 64 ] || fail "the cache holds $(ls "$ISOBENCH_APP_CACHE")"
	rt1=$(tr , '\n' <<<"$RTS" | grep -v '^native$' | head -1)
	l=$(ok_launches "$S/raw.jsonl" "$rt1" | sed -n 1p)
	info=$(jrows "$S/raw.jsonl" - rec.value ev=record launch=$l rec.key=image)
	[[ "$info" == "sha256 $sum "* ]] || fail "the launch's image info: '$info'"
	note "nginx's image cached by its inputs' digest ($sum), found by the next run"
fi
note "docroot=scratch in $RTS: the files served from the scratch directory (a VM's ext4 disk), as each launch says"

# --- wrk on CPUs of its own where the instances leave some ---------------------
if [ "$(nproc)" -ge 2 ]; then
	ib pin run -r native --cpus 1 -b nginx -s nginx.sizes=1k -s nginx.connections=2 \
		-s nginx.duration=1 -s nginx.warmup=0 -s nginx.launches=1 \
		--no-progress --probe "$PROBE" --scratch "$T" -o "$T/pin"
	expect_rc 0 pin
	assert_grep "pinned to CPU 1" "$T/pin/raw.jsonl" "wrk pinned beside one-CPU instances"
	assert_eq "$(jrows "$T/pin/raw.jsonl" - rec.value ev=record rec.key=worker_processes | sort -u)" 1 "nginx's workers: the instances' CPUs"
	note "--cpus 1: wrk pinned to the CPUs the instances do not have, and it says so"
else
	skip_case "one CPU: wrk cannot have a CPU of its own"
fi

# --- a runtime without the applications yet ---------------------------------
K=kata:shim=io.containerd.runc.v2
ib ngk run -r $K -b nginx -s nginx.sizes=1k -s nginx.connections=1 \
	-s nginx.duration=1 -s nginx.warmup=0 -s nginx.launches=1 \
	--no-progress --probe "$PROBE" --scratch "$T" -o "$T/ngk"
expect_rc 1 ngk
assert_grep "nginx does not run in $K yet" "$T/ngk.out" "kata's reason"
note "kata: the cell fails with the reason (the application image is not in its instances yet)"

# --- bad parameters ------------------------------------------------------
ib bad run -r native -b nginx -s nginx.sizes=1k,2x -o "$T/bad"
expect_rc 2 bad
assert_grep "sizes" "$T/bad.err" "the bad size is named"
assert_no_path "$T/bad" "a results directory for a refused plan"
note "a bad size is refused before anything runs"
