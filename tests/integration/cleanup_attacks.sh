#!/bin/bash
# cleanup_attacks.sh: `isobench cleanup DIR` (as root) on crafted state
# files, one per attack a writer of state.jsonl could try, each in a run
# directory of this test's. Cleanup acts only on what the run id derives
# (paths in the run's work directory or its entries of the runtime
# directory, names isobench-<id>-*, the run's label and marker, the exact
# interface pattern): every bait below, in $T, in this test's own network
# namespace or on this test's own dockerd, must be untouched, and what
# the run did make (its work directory) is still removed. A state file
# that others may write, or a symlink, is refused with an error naming it.
# `cleanup --dry-run` says what it would do and does nothing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: cleanup_attacks needs root (cleanup as root is what is attacked)"; exit 77; }
# The whole test runs in a private mount namespace with a /run of its own
# (a tmpfs): the crafted files name /run/isobench paths, and this test's
# dockerd and `ip netns` make /run/docker and /run/netns; none of it is
# the host's, seen or made. (isobench's runtime directory is the test's
# own, $T/rt, from setup_tmp.)
if [ -z "${IB_PRIVATE_RUN:-}" ] && ! unshare --mount --propagation private true 2>/dev/null; then
	echo "SKIP: no private mount namespace: cleanup would see the host's /run"
	exit 77
fi
private_run "$@"
mkdir /run/isobench
ENGINE_PID=
stop_engine() {
	stop_test_dockerd "${ENGINE_PID:-}" "$T/engine/data"
	ENGINE_PID=
}
setup_tmp
chmod 0755 "$T"

ID=20261201-120000-beef        # the crafted runs' id
OTHER=20261201-120001-cafe     # another run's
BOOT=$(cat /proc/sys/kernel/random/boot_id)
HDR="{\"op\":\"run\",\"run_id\":\"$ID\",\"boot_id\":\"$BOOT\"}"

# the bait ----------------------------------------------------------------------
mkdir -p "$T/bait/dir" "$T/isobench-bait" "$T/w"
echo keep >"$T/bait/file"
echo keep >"$T/bait/dir/file"
echo keep >"$T/isobench-bait/file"
# processes: one in a group of its own, one carrying another run's marker
setsid sleep 300 </dev/null >/dev/null 2>&1 &
BAIT1=$!
ISOBENCH_RUN=$OTHER setsid sleep 300 </dev/null >/dev/null 2>&1 &
BAIT2=$!
BG_PIDS+=("$BAIT1" "$BAIT2")
trap 'rc=$?; set +e; kill -KILL "$BAIT1" "$BAIT2" 2>/dev/null; stop_engine; (exit $rc); cleanup_tmp' EXIT
wait_until 3 eval '[ -r /proc/$BAIT1/stat ] && [ -r /proc/$BAIT2/stat ]' || fail "bait processes did not start"
sleep 0.2
ST1=$(awk '{print $22}' /proc/"$BAIT1"/stat)
ST2=$(awk '{print $22}' /proc/"$BAIT2"/stat)

# run DIR LINE...: a run directory $T/DIR whose state.jsonl holds the header
# and the given lines
run() {
	local d=$T/$1
	shift
	mkdir -p "$d"
	chmod 0755 "$d"
	{ echo "$HDR"; printf '%s\n' "$@"; } >"$d/state.jsonl"
	chmod 0644 "$d/state.jsonl"
	D=$d
}

baits_intact() { # WHAT
	[ -f "$T/bait/file" ] || fail "$1: the bait file is gone"
	[ -f "$T/bait/dir/file" ] || fail "$1: the bait directory is gone"
	[ -f "$T/isobench-bait/file" ] || fail "$1: the bait directory named isobench is gone"
	alive_as "$BAIT1" "$(command -v sleep)" || fail "$1: the bait process $BAIT1 was killed"
	alive_as "$BAIT2" "$(command -v sleep)" || fail "$1: the bait process $BAIT2 (another run's marker) was killed"
}

# every attack: cleanup runs, leaves each bait, says why -----------------------
# firecracker "file" records: any absolute path
run fc '{"kind":"file","runtime":"firecracker","name":"a","path":"'"$T"'/bait/file","op":"add"}'
ib fc cleanup "$D"
assert_grep "not isobench's, left alone" "$T/fc.out" "fc: cleanup says why"
baits_intact "firecracker file"
note "a firecracker file record outside the run is left alone"

# dir records: paths containing "isobench", with "..", through a symlink
ln -s "$T/bait/dir" "$T/w/isobench-$ID"
run dirs '{"kind":"dir","name":"a","path":"'"$T"'/isobench-bait","op":"add"}' \
	'{"kind":"dir","name":"b","path":"'"$T"'/isobench-bait/../bait/dir","op":"add"}' \
	'{"kind":"dir","name":"work","path":"'"$T"'/w/isobench-'"$ID"'","op":"add"}'
ib dirs cleanup "$D"
assert_grep "not a plain absolute path" "$T/dirs.out" "dirs: '..' refused"
assert_grep "is not the run's" "$T/dirs.out" "dirs: a symlinked work directory refused"
baits_intact "dir records"
rm "$T/w/isobench-$ID"
note "dir records outside the run, with '..' or through a symlink are left alone"

# process records: a pid and its true start time, no marker; another run's marker
run procs '{"kind":"process","name":"p1","pid":'"$BAIT1"',"starttime":'"$ST1"',"op":"add"}' \
	'{"kind":"process","name":"p2","pid":'"$BAIT2"',"starttime":'"$ST2"',"op":"add"}' \
	'{"kind":"marker","name":"marker","marker":"ISOBENCH_RUN='"$OTHER"'","op":"add"}'
ib procs cleanup "$D"
assert_grep "is not this run's" "$T/procs.out" "procs: another run's marker refused"
baits_intact "process records"
note "processes without the run's marker (given pid and start time) are left alone"

# huge page records: a page size isobench does not manage (another sysfs
# file), counts out of range; a pool at its recorded size is not touched
POOL2=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -r "$POOL2" ]; then
	hp=$(cat "$POOL2")
	run huge '{"kind":"hugepages","name":"h1","page_kb":4,"before":0,"added":5,"op":"add"}' \
		'{"kind":"hugepages","name":"h2","page_kb":2048,"before":0,"added":1e12,"op":"add"}' \
		'{"kind":"hugepages","name":"h3","page_kb":"2048","before":0,"added":1,"op":"add"}' \
		'{"kind":"hugepages","name":"h4","page_kb":2048,"before":'"$hp"',"added":7,"op":"add"}'
	ib huge cleanup "$D"
	assert_eq "$(grep -c 'huge page record without a valid page size and counts: left alone' "$T/huge.out")" 3 \
		"huge: invalid records refused"
	assert_grep "pool at $hp, its size before: nothing to give back" "$T/huge.out" "huge: a pool never grown"
	assert_eq "$(cat "$POOL2")" "$hp" "huge: the host's 2M pool"
	note "huge page records with another page size or counts out of range are left alone; a pool at its recorded size is not shrunk"
else
	skip_case "no 2M huge page pool on this host ($POOL2)"
fi

# runc/crun/runsc with global arguments from the file
run oci '{"kind":"container","runtime":"runc","name":"isobench-'"$ID"'-000001","bundle":"'"$T"'/bait/dir","cgroup":"/","args":["--root","'"$T"'/runc-root","--log","'"$T"'/bait/runc.log"],"op":"add"}'
if command -v runc >/dev/null; then
	ib oci cleanup "$D"
	assert_grep "recorded argument '--root' is not one of its own: dropped" "$T/oci.out" "oci: --root dropped"
	assert_no_path "$T/bait/runc.log" "oci: runc's --log from the file"
	assert_no_path "$T/runc-root" "oci: runc's --root from the file"
	baits_intact "runc arguments"
	note "runc's global arguments from the file are dropped; bundle and cgroup derived"
else
	skip_case "runc is not installed: its recorded arguments not tested"
fi

# kata: a containerd config and socket from the file
cat >"$T/bait/evil.toml" <<EOF
version = 2
root = "$T/bait/containerd-root"
state = "$T/bait/containerd-state"
[grpc]
  address = "$T/bait/evil.sock"
EOF
run kata '{"kind":"containerd","runtime":"kata","name":"kata-containerd-dirs","dir":"'"$T"'/bait/dir","root":"'"$T"'/isobench-bait","socket":"'"$T"'/bait/evil.sock","containerd_config":"'"$T"'/bait/evil.toml","op":"add"}' \
	'{"kind":"container","runtime":"kata","name":"isobench-'"$ID"'-000001","socket":"'"$T"'/bait/evil.sock","containerd_config":"'"$T"'/bait/evil.toml","op":"add"}'
ib kata cleanup "$D"
assert_no_path "$T/bait/containerd-root" "kata: containerd started with the file's config"
assert_no_path "$T/bait/evil.sock" "kata: containerd started with the file's config"
baits_intact "kata containerd"
note "kata: no containerd started from a config or socket in the file"

# interfaces: ib0 (InfiniBand's name), the old 4-digit pattern, another
# run's exact pattern; in a network namespace of this test's
if unshare --net true 2>/dev/null && command -v ip >/dev/null; then
	run ifs '{"kind":"netif","name":"a","ifname":"ib0","op":"add"}' \
		'{"kind":"netif","name":"b","ifname":"ibbeef-1h","op":"add"}' \
		'{"kind":"netif","name":"c","ifname":"ib3b1qrc1fnf01x","op":"add"}' \
		'{"kind":"netns","name":"d","netns":"isobench-other-1","op":"add"}'
	unshare --net bash -c '
		set -e
		# (veth pairs: the dummy driver is not everywhere)
		ip link add ib0 type veth peer name ibbeef-1h
		ip link add ib3b1qrc1fnf01x type veth peer name baitpeer
		"$ISOBENCH" cleanup "$1" >"$2/ifs.out" 2>"$2/ifs.err" || true
		for i in ib0 ibbeef-1h ib3b1qrc1fnf01x baitpeer; do
			ip link show "$i" >/dev/null 2>&1 || { echo "interface $i deleted" >"$2/ifs.fail"; exit 0; }
		done' _ "$D" "$T"
	[ ! -f "$T/ifs.fail" ] || fail "interfaces: $(cat "$T/ifs.fail") ($(cat "$T/ifs.out"))"
	assert_grep "interface 'ib0': not one of this run's" "$T/ifs.out" "ifs: ib0 refused"
	note "interfaces not of the run's exact pattern (ib0, ibbeef-1h) are left alone"
else
	skip_case "no network namespace of the test's own: interface bait not tested"
fi

# docker: objects on the test's own dockerd, not carrying the run's label
if command -v dockerd >/dev/null && command -v docker >/dev/null; then
	E=$T/engine
	mkdir -p "$E" "$T/img"
	echo '{}' >"$E/daemon.json"
	setsid dockerd --config-file="$E/daemon.json" --data-root="$E/data" --exec-root="$E/exec" \
		--pidfile="$E/dockerd.pid" --host="unix://$E/docker.sock" --bridge=none \
		--iptables=false --ip-forward=false --ip-masq=false --log-level=warn \
		>"$E/dockerd.log" 2>&1 &
	ENGINE_PID=$!
	wait_until 30 test -S "$E/docker.sock" || fail "the test's dockerd did not start: $(tail -5 "$E/dockerd.log")"
	dk() { docker -H "unix://$E/docker.sock" "$@"; }
	wait_until 30 eval 'dk info >/dev/null 2>&1' || fail "the test's dockerd does not answer"
	echo x >"$T/img/x"
	tar -C "$T/img" -c . | dk import - ibbait:1 >/dev/null
	dk create --name ibbait --network none ibbait:1 /x >/dev/null
	dk create --name "isobench-$ID-000009" --network none ibbait:1 /x >/dev/null
	ESTART=$(awk '{print $22}' /proc/"$ENGINE_PID"/stat)
	run docker '{"kind":"container","runtime":"docker","name":"ibbait","socket":"'"$E"'/docker.sock","op":"add"}' \
		'{"kind":"container","runtime":"docker","name":"isobench-'"$ID"'-000009","socket":"'"$E"'/docker.sock","op":"add"}' \
		'{"kind":"image","runtime":"docker","name":"ibbait:1","socket":"'"$E"'/docker.sock","op":"add"}' \
		'{"kind":"container","runtime":"docker","name":"isobench-'"$ID"'-000009","socket":"'"$T"'/other.sock","op":"add"}' \
		'{"kind":"process","name":"dockerd","pid":'"$ENGINE_PID"',"starttime":'"$ESTART"',"op":"add"}'
	DOCKER_HOST=unix://$E/docker.sock ib docker cleanup "$D"
	assert_grep "does not carry isobench.run=$ID" "$T/docker.out" "docker: an unlabelled container of the run's name"
	dk inspect ibbait >/dev/null 2>&1 || fail "docker: the bait container was deleted ($(cat "$T/docker.out"))"
	dk inspect "isobench-$ID-000009" >/dev/null 2>&1 || fail "docker: an unlabelled container was deleted"
	dk image inspect ibbait:1 >/dev/null 2>&1 || fail "docker: the bait image was deleted"
	kill -0 "$ENGINE_PID" || fail "docker: the test's dockerd was killed"
	baits_intact "docker"
	stop_engine
	note "docker: objects without the run's label or name, and the engine, are left alone"
else
	skip_case "no dockerd/docker: docker bait not tested"
fi

# refusals: a state file others may write, or in a directory they may ------
run ww "{\"kind\":\"dir\",\"name\":\"work\",\"path\":\"$T/bait/dir\",\"op\":\"add\"}"
chmod 0777 "$D"
ib ww cleanup "$D"
[ "$IB_RC" -ne 0 ] || fail "world-writable directory: cleanup exited 0"
assert_grep "may be written by others" "$T/ww.err" "world-writable directory refused"
assert_grep "$D" "$T/ww.err" "the refusal names the directory"
chmod 0775 "$D"
ib gw cleanup "$D"
assert_grep "may be written by others" "$T/gw.err" "group-writable directory refused"
chmod 0755 "$D"
chmod 0666 "$D/state.jsonl"
ib wf cleanup "$D"
assert_grep "$D/state.jsonl may be written by others" "$T/wf.err" "world-writable state file refused"
chmod 0644 "$D/state.jsonl"
mv "$D/state.jsonl" "$T/real.state"
ln -s "$T/real.state" "$D/state.jsonl"
ib sl cleanup "$D"
[ "$IB_RC" -ne 0 ] || fail "symlinked state file: cleanup exited 0"
assert_grep "a symlink" "$T/sl.err" "symlinked state file refused"
baits_intact "refusals"
note "a state file others may write (or a symlink) is refused with an error naming it"

# what the run made is still removed; --dry-run removes nothing -------------
mkdir -p "$T/w/isobench-$ID/scratch"
chmod 0700 "$T/w/isobench-$ID"
ln -s "$T/bait/dir" "$T/w/isobench-$ID/scratch/link"
run ok '{"kind":"dir","name":"work","path":"'"$T"'/w/isobench-'"$ID"'","op":"add"}'
ib dry cleanup --dry-run "$D"
expect_rc 0 dry
assert_grep "would remove directory $T/w/isobench-$ID" "$T/dry.out" "dry run"
[ -d "$T/w/isobench-$ID/scratch" ] || fail "dry run removed the work directory"
ib ok cleanup "$D"
expect_rc 0 ok
assert_no_path "$T/w/isobench-$ID" "the run's work directory after cleanup"
baits_intact "the run's own cleanup"
ib ok2 cleanup "$D"
assert_grep "nothing left behind" "$T/ok2.out" "second cleanup"
note "--dry-run does nothing; the run's own work directory is removed (not what a symlink in it names)"
[ ${#SKIPPED[@]} -eq 0 ] || exit 77
