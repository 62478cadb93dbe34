#!/bin/bash
# misbehaving_probe.sh: `isobench run --probe fakeprobe` with probes that
# crash, get killed, lie, corrupt or cut their records, print noise, hang
# or flood. Each failing launch: exit status 1, results.json and report.md
# say the cell failed and why, raw.jsonl keeps the samples that arrived
# first (and a bad_record event for bytes that were not a record), the
# probe's output is saved under output/, and no fake probe process is left.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
: "${FAKEPROBE:?}"
setup_tmp
FAKE_PIDFILE_GLOB="$T/*.pids"

# fake NAME MODE ARGS...: one cpu cell, one launch, the fake probe in MODE
fake() {
	local name=$1 mode=$2
	shift 2
	FAKEPROBE_MODE=$mode FAKEPROBE_PIDFILE="$T/$name.pids" \
		ib "$name" run -q -r native -b cpu --min-reps 1 --max-reps 1 \
		--timeout 20 --probe "$FAKEPROBE" --scratch "$T" -o "$T/$name" "$@"
	D=$T/$name
	[ -f "$T/$name.pids" ] || fail "$name: the fake probe never ran"
}

# No process the fake probe of run NAME created is alive.
no_fake_left() {
	local name=$1 pid
	while read -r pid; do
		if is_fakeprobe "$pid"; then
			fail "$name: fake probe process $pid is still running"
		fi
	done <"$T/$name.pids"
}

# failed NAME SAMPLES REASON: the checks every failed launch must pass.
failed() {
	local name=$1 samples=$2 reason=$3 st why
	expect_rc 1 "$name"
	assert_eq "$(jget "$D/results.json" status)" complete "$name: run status"
	st=$(jrows "$D/results.json" cells status job=cpu)
	assert_eq "$st" failed "$name: cell status"
	jrows "$D/results.json" cells failures job=cpu | grep -qF -- "$reason" ||
		fail "$name: results.json failures $(jrows "$D/results.json" cells failures job=cpu) lack '$reason'"
	assert_grep "$reason" "$D/report.md" "$name: report.md"
	grep -q '| native | cpu | failed |' "$D/report.md" || fail "$name: report.md does not mark the cell failed"
	why=$(jrows "$D/raw.jsonl" - why ev=end launch=1)
	st=$(jrows "$D/raw.jsonl" - status ev=end launch=1)
	[ "$st" != ok ] || fail "$name: the launch ended ok"
	assert_eq "$(jcount "$D/raw.jsonl" - rec.value ev=record launch=1 rec.type=sample)" "$samples" \
		"$name: samples kept in raw.jsonl"
	if [ "$samples" -gt 0 ]; then
		assert_eq "$(jrows "$D/raw.jsonl" - rec.value ev=record rec.type=sample | head -n 1)" 1000 \
			"$name: first sample kept"
	fi
	assert_file "$D/output/launch-1.log"
	[ "$(jcount "$D/raw.jsonl" - ev ev=run_end)" -eq 1 ] || fail "$name: no run_end event"
	no_fake_left "$name"
	assert_no_scratch_in "$T" "$name"
	note "$name: failed ($why), $samples samples kept"
}

# bad NAME WHY: raw.jsonl has a bad_record event whose why holds WHY, and
# it kept (some of) the bytes
bad() {
	local name=$1 want=$2
	jrows "$D/raw.jsonl" - why ev=bad_record launch=1 | grep -qF -- "$want" ||
		fail "$name: no bad_record event saying '$want' (got: $(jrows "$D/raw.jsonl" - why ev=bad_record))"
	[ -n "$(jrows "$D/raw.jsonl" - bytes ev=bad_record launch=1 | head -n 1)" ] ||
		fail "$name: the bad_record event kept no bytes"
}

# --- the fake probe itself works --------------------------------------
fake ok ok
expect_rc 0 ok
assert_eq "$(jrows "$D/results.json" cells status job=cpu)" ok "ok: cell status"
assert_eq "$(jrows "$D/results.json" metrics median metric=events_per_s)" 1000 "ok: the fake sample"
no_fake_left ok
note "ok: the fake probe's records are accepted"

# --- deaths ------------------------------------------------------------
fake crash crash
failed crash 2 "probe killed by SIGSEGV"
fake sigkill sigkill
failed sigkill 2 "probe killed by SIGKILL"
fake nodone nodone
failed nodone 2 "without a done record"
fake exitfail exitfail
failed exitfail 2 "probe exit status 1: the fake disk caught fire"
fake silent silent
failed silent 0 "no hello record"

# --- damaged records -----------------------------------------------------
fake badcrc badcrc
failed badcrc 3 "checksum mismatch"
bad badcrc "checksum mismatch"
fake truncated truncated
failed truncated 2 "truncated"
bad truncated "truncated record"
fake wrongcount wrongcount
failed wrongcount 2 "records lost"
fake nan nan
failed nan 2 "not valid JSON"
bad nan "not valid JSON"
fake inf inf
failed inf 2 "value"
bad inf "finite"
fake novalue novalue
failed novalue 2 "value"
bad novalue "value"
fake badjson badjson
failed badjson 2 "not valid JSON"
bad badjson "not valid JSON"
fake afterdone afterdone
failed afterdone 3 "after done"
fake nohello nohello
failed nohello 0 "no hello record"
bad nohello "first record is not hello"

# --- noise between records is allowed, and kept ---------------------------
fake garbage garbage
expect_rc 0 garbage
assert_eq "$(jrows "$D/results.json" cells status job=cpu)" ok "garbage: cell status"
assert_eq "$(jcount "$D/raw.jsonl" - launch ev=record rec.type=sample)" 3 "garbage: samples"
[ "$(jcount "$D/raw.jsonl" - ev ev=bad_record)" -eq 0 ] || fail "garbage: text taken for a bad record"
assert_file "$D/output/launch-1.log"
assert_grep "virtio_blk virtio2" "$D/output/launch-1.log" "garbage: saved output"
assert_grep "trailing text after done" "$D/output/launch-1.log" "garbage: saved output"
no_fake_left garbage
note "garbage: console text between records is kept in output/ and does not fail the launch"

# --- hangs: the launch is killed at its deadline ----------------------------
# (the fake probe and a child of its ignore SIGTERM and hold the pipe open;
# the pid files list the --version run, the probe and its child)
fake hang hang --timeout 2
failed hang 2 "no exit within 2 s"
assert_eq "$(jrows "$D/raw.jsonl" - status ev=end launch=1)" timeout "hang: launch status"
[ "$IB_MS" -lt 6000 ] || fail "hang: the run took $IB_MS ms with --timeout 2"
[ "$(wc -l <"$T/hang.pids")" -eq 3 ] || fail "hang: the fake probe's child did not start"
note "hang: killed after the 2 s timeout, run over in $IB_MS ms"

# a probe that closes its output after done but never exits
fake closehang closehang --timeout 2
failed closehang 2 "no exit within 2 s"
[ "$IB_MS" -lt 6000 ] || fail "closehang: the run took $IB_MS ms with --timeout 2"

# a probe that hangs when asked for its version (the run's fingerprint) costs
# a few seconds, not the run
fake hangversion hangversion --timeout 2
expect_rc 0 hangversion
assert_eq "$(jget "$D/results.json" fingerprint.probe)" unknown "hangversion: probe version"
[ "$IB_MS" -lt 9000 ] || fail "hangversion: the run took $IB_MS ms"
no_fake_left hangversion
note "hangversion: a probe hanging on --version delayed the run by $IB_MS ms only"
assert_eq "$(jget "$T/ok/results.json" fingerprint.probe)" "isobench-probe 0.1.0-fake (protocol 1)" \
	"ok: probe version in the fingerprint"

# --- a child left behind by a probe that exited ------------------------------
fake orphan orphan
expect_rc 0 orphan
[ "$(wc -l <"$T/orphan.pids")" -eq 3 ] || fail "orphan: the fake probe's child did not start"
wait_until 2 eval '! is_fakeprobe "$(tail -n 1 "$T/orphan.pids")"' ||
	fail "orphan: the probe's child (pid $(tail -n 1 "$T/orphan.pids")) outlived the launch"
note "orphan: a child the probe left in its process group is ended with the launch"

# --- a flood -------------------------------------------------------------------
fake huge huge
failed huge 3 "line longer than 64 KiB"
bad huge "line longer than 64 KiB"
size=$(stat -c %s "$D/output/launch-1.log")
[ "$size" -le $((4 * 1024 * 1024 + 65536)) ] || fail "huge: output/launch-1.log is $size bytes"
[ "$size" -ge $((1024 * 1024)) ] || fail "huge: output/launch-1.log is only $size bytes"
maxbytes=$(jrows "$D/raw.jsonl" - bytes ev=bad_record | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
[ "$maxbytes" -le 4096 ] || fail "huge: a bad_record event keeps $maxbytes bytes"
[ "$(stat -c %s "$D/raw.jsonl")" -lt 262144 ] || fail "huge: raw.jsonl grew to $(stat -c %s "$D/raw.jsonl") bytes"
note "huge: 24 MiB of output and a 128 KiB line: bounded copies, run over in $IB_MS ms"

# --- one failing cell costs that cell only ------------------------------------
FAKEPROBE_MODE=ctxsw:crash FAKEPROBE_PIDFILE="$T/mixed.pids" \
	ib mixed run -q -r native -b cpu,ctxsw --min-reps 2 --max-reps 2 \
	--probe "$FAKEPROBE" --scratch "$T" -o "$T/mixed"
D=$T/mixed
expect_rc 1 mixed
assert_eq "$(jrows "$D/results.json" cells status job=cpu)" ok "mixed: cpu cell"
assert_eq "$(jrows "$D/results.json" cells status job=ctxsw)" failed "mixed: ctxsw cell"
assert_eq "$(jrows "$D/results.json" metrics n job=cpu)" 2 "mixed: cpu samples"
assert_eq "$(jrows "$D/results.json" cells launches job=ctxsw)" 1 "mixed: a failed cell is not repeated"
no_fake_left mixed
note "mixed: the crashing cell failed, the other kept both its samples"

# --- one failure in a cell that worked is tolerated: partial -----------------
FAKEPROBE_MODE=flaky FAKEPROBE_PIDFILE="$T/flaky.pids" \
	ib flaky run -q -r native -b cpu --min-reps 3 --max-reps 3 \
	--probe "$FAKEPROBE" --scratch "$T" -o "$T/flaky"
D=$T/flaky
expect_rc 1 flaky
assert_eq "$(jrows "$D/results.json" cells status job=cpu)" partial "flaky: cell status"
assert_eq "$(jrows "$D/results.json" cells launches job=cpu)" 3 "flaky: launches"
assert_eq "$(jrows "$D/results.json" cells failed_launches job=cpu)" 1 "flaky: failed launches"
# the samples that arrived before the crash were measured whole, and are
# counted too (results.c counts every sample of a counted launch): 1 + 2 + 1
assert_eq "$(jcount "$D/raw.jsonl" - launch ev=record rec.type=sample)" 4 "flaky: samples logged"
assert_eq "$(jrows "$D/results.json" metrics n job=cpu)" 4 "flaky: samples counted"
jrows "$D/results.json" cells failures job=cpu | grep -qF SIGSEGV || fail "flaky: failure reason"
no_fake_left flaky
note "flaky: one crash among three launches: partial, every sample kept"
