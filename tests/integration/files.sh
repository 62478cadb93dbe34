#!/bin/bash
# files.sh: the files and directories isobench makes, made safely.
#   1. the probe by hand refuses a block device as --scratch (the disk
#      test would overwrite it), naming the path; a symlink to one too;
#      --scratch-device is the explicit way (not exercised on a device);
#      a symlink planted at the disk test's file is not written through;
#   2. relative --scratch and -o are made absolute at the start: the work
#      directory recorded in state.jsonl is absolute (cleanup from another
#      directory must find it);
#   3. -o naming a non-empty directory is refused and nothing in it is
#      touched (the error path used to unlink its raw.jsonl, state.jsonl
#      and plan.ini); -o naming a dangling symlink is refused, and nothing
#      is created where it points;
#   4. the runtime directory: the test's own ($T/rt, 0700, holding the
#      registry); a group-writable one or a relative $ISOBENCH_RUNTIME_DIR
#      is refused with a clear error;
#   5. validate's work directory made in advance by someone else is
#      refused and left alone (the run's has an unpredictable name: its
#      exclusive creation is tested in tests/unit/test_util.c).
# Block device nodes are made with mknod in $T, of a major number no
# driver has: nothing real is ever opened.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

# 1 ----------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip_case "1: mknod of a block device node needs root"
else
	major=
	for m in $(seq 240 254); do
		if ! awk '/^Block devices:/ {b = 1} b && $1 == m {f = 1} END {exit !f}' \
			m="$m" /proc/devices; then
			major=$m
			break
		fi
	done
	if [ -z "$major" ]; then
		skip_case "1: no unused block major in 240..254 for a harmless node"
	else
		mknod "$T/fakedisk" b "$major" 7
		ln -s "$T/fakedisk" "$T/disk-link"
		for dev in "$T/fakedisk" "$T/disk-link"; do
			set +e
			"$PROBE" --scratch "$dev" disk size=16m >"$T/refuse.rec" 2>"$T/refuse.err"
			rc=$?
			set -e
			assert_eq "$rc" 2 "1: probe --scratch $dev: exit status"
			assert_grep "--scratch $dev is a block device" "$T/refuse.err" "1: the refusal names the path"
			assert_grep "--scratch-device" "$T/refuse.err" "1: the refusal says how to mean it"
			"$IBCHECK" frames "$T/refuse.rec" >"$T/refuse.frames" 2>&1 || true
			grep -q '"reason":"invalid"' "$T/refuse.rec" ||
				fail "1: no invalid error record: $(cat "$T/refuse.rec")"
		done
		note "1: the probe by hand refuses a block device (and a link to one) as --scratch"
	fi
fi

# The disk test's file in a shared scratch directory: a symlink planted at
# its name (to a file of exactly the test's size, which the probe used to
# take as its own filled file) is neither reused nor written through.
mkdir "$T/shared-scratch"
head -c $((16 << 20)) /dev/zero | tr '\0' 'b' >"$T/bait.dat"
cp "$T/bait.dat" "$T/bait.orig"
ln -s "$T/bait.dat" "$T/shared-scratch/isobench-disk.dat"
set +e
"$PROBE" --scratch "$T/shared-scratch" disk size=16m tests=seqwrite-1m-qd1 \
	duration=0.05 >"$T/planted.rec" 2>"$T/planted.err"
rc=$?
set -e
cmp -s "$T/bait.orig" "$T/bait.dat" || fail "1: the probe wrote through a symlink at its disk file"
assert_eq "$rc" 1 "1: probe disk with a planted symlink: exit status"
grep -q "cannot create the test file" "$T/planted.rec" ||
	fail "1: no error record for the planted symlink: $(cat "$T/planted.rec")"
note "1: a symlink planted at the disk test's file is not followed"

# 2 ----------------------------------------------------------------------
mkdir "$T/cwd"
(
	cd "$T/cwd"
	"$ISOBENCH" run -q -r native -b cpu -s cpu.duration=0.05 --min-reps 1 \
		--max-reps 1 --warmup 0 --probe "$PROBE" --scratch rel-scratch \
		-o rel-out >"$T/rel.out" 2>"$T/rel.err"
) || fail "2: run with relative --scratch and -o: $(cat "$T/rel.err")"
no_sanitizer_report "$T/rel.err"
D=$T/cwd/rel-out
assert_file "$D/results.json"
RUN_ID=$(jrows "$D/raw.jsonl" - run_id ev=run)
assert_eq "$(run_scratch "$D")" "$T/cwd/rel-scratch/isobench-$RUN_ID" \
	"2: work directory recorded for a relative --scratch"
assert_no_path "$T/cwd/rel-scratch/isobench-$RUN_ID" "2: work directory after the run"
# the registry pointed at the absolute run directory, and is empty again
assert_no_path "$(registry_dir)/$RUN_ID" "2: registry entry after the run"
note "2: relative --scratch and -o are made absolute (state.jsonl: $(run_scratch "$D"))"

# 3 ----------------------------------------------------------------------
mkdir "$T/full"
for f in raw.jsonl state.jsonl plan.ini; do
	echo "an earlier run's $f" >"$T/full/$f"
done
expect_failure 3 full-out "$T/full" "not empty" -- \
	run -q -r native -b cpu --probe "$PROBE" --scratch "$T" -o "$T/full"
for f in raw.jsonl state.jsonl plan.ini; do
	assert_eq "$(cat "$T/full/$f")" "an earlier run's $f" "3: $f of a refused -o"
done
ln -s "$T/elsewhere" "$T/dangling"
expect_failure 3 dangling-out "$T/dangling" -- \
	run -q -r native -b cpu --probe "$PROBE" --scratch "$T" -o "$T/dangling"
assert_no_path "$T/elsewhere" "3: target of a dangling -o symlink"
note "3: a non-empty -o is left as it was; a dangling symlink as -o is refused"

# 4 ----------------------------------------------------------------------
st=$(stat -c '%a %u' "$ISOBENCH_RUNTIME_DIR")
assert_eq "$st" "700 $(id -u)" "4: mode and owner of the runtime directory"
[ -d "$ISOBENCH_RUNTIME_DIR/runs" ] || fail "4: no registry in $ISOBENCH_RUNTIME_DIR"
mkdir -m 0770 "$T/shared-rt"
chmod 0770 "$T/shared-rt"
ISOBENCH_RUNTIME_DIR=$T/shared-rt ib shared-rt cleanup
expect_rc 3 shared-rt
assert_grep "$T/shared-rt" "$T/shared-rt.err" "4: a group-writable runtime directory"
assert_grep "writable" "$T/shared-rt.err" "4: a group-writable runtime directory"
ISOBENCH_RUNTIME_DIR=relative/rt ib relative-rt cleanup
expect_rc 3 relative-rt
assert_grep "absolute" "$T/relative-rt.err" "4: a relative ISOBENCH_RUNTIME_DIR"
assert_no_path "relative" "4: a relative runtime directory made"
note "4: the runtime directory is the test's own, 0700; a group-writable or relative one is refused"

# 5 ----------------------------------------------------------------------
# validate's work directory, isobench-validate-<local time>-<pid>, made
# in advance by someone else (the pid is this subshell's, kept across
# exec; the time is now or up to 59 s later, for a loaded host: under
# ASan beside other tests, 9 s was once too few): refused,
# and what is in it untouched (validate used to take it and remove it at
# the end).
mkdir "$T/vscratch"
set +e
(
	for s in $(seq 0 59); do
		d="$T/vscratch/isobench-validate-$(date -d "+$s seconds" +%Y%m%d-%H%M%S)-$BASHPID"
		mkdir "$d" && echo "someone else's" >"$d/keep"
	done
	exec "$ISOBENCH" validate --only cpu --rounds 1 --seconds 0.1 \
		--probe "$PROBE" --scratch "$T/vscratch" -o "$T/vout" \
		>"$T/vexist.out" 2>"$T/vexist.err"
)
rc=$?
set -e
no_sanitizer_report "$T/vexist.err"
if [ "$rc" -ne 3 ]; then
	echo "--- validate's stderr:" >&2
	head -c 2000 "$T/vexist.err" >&2 || true
	echo "--- made in advance: $(ls "$T/vscratch" | head -n 3) ..." >&2
fi
assert_eq "$rc" 3 "5: validate with its work directory made in advance: exit status"
grep -q "File exists" "$T/vexist.err" ||
	fail "5: the refusal does not say why: $(cat "$T/vexist.err")"
for k in "$T"/vscratch/isobench-validate-*/keep; do
	assert_eq "$(cat "$k")" "someone else's" "5: $k"
done
assert_eq "$(find "$T/vscratch" -name keep | wc -l)" 60 "5: the directories made in advance"
note "5: validate refuses a work directory that exists already and leaves it alone"
