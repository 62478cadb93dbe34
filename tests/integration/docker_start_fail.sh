#!/bin/bash
# docker_start_fail.sh: a failed start of isobench's own dockerd leaves
# nothing: no dockerd (nor its containerd) of the run runs on beside the
# run's other runtimes or after it, its exec root under /run/isobench is
# removed, and the state file says the dockerd is gone.
#
# No engine answers (DOCKER_HOST names a socket in the test's directory
# where nothing listens), so isobench starts its own dockerd, found on its
# PATH: a wrapper of the test's own around the real dockerd that marks
# its environment (IBTEST_DOCKERD=$T: dockerd and its containerd carry it)
# and makes the start fail in one of two ways:
#   exit  dockerd refuses an unknown option and exits at once;
#   hang  dockerd runs, but listens on another socket than the one
#         isobench asked for: isobench waits its 60 s for an answer, then
#         must stop the dockerd it started (before this was fixed, it
#         lived on until isobench exited, and its exec root stayed).
# Meanwhile a native cell runs: the dockerd must be gone while it does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PROBE=${PROBE_STATIC:?}
setup_tmp

REAL=$(command -v dockerd || true)
if [ -z "$REAL" ]; then
	skip_case "dockerd is not installed (apt-get install docker.io): isobench's own dockerd cannot start here"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	skip_case "not root: isobench starts a dockerd of its own only as root"
	exit 0
fi
export DOCKER_HOST=unix://$T/nothing-listens.sock
mkdir -p "$T/bin"

# The processes that carry the wrapper's marker, alive (not zombies).
marked_pids() {
	local f pid
	for f in $(grep -lxzF "IBTEST_DOCKERD=$T" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		if [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ]; then
			continue
		fi
		grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null ||
			echo "$pid"
	done
}

# assert_no_dockerd NAME RUN-DIR WHEN: neither the dockerd the run
# recorded nor anything carrying the marker runs.
assert_no_dockerd() {
	local name=$1 dir=$2 when=$3 pid left
	pid=$(jrows "$dir/state.jsonl" - pid kind=process name=dockerd | head -n 1)
	[ -n "$pid" ] || fail "$name: the dockerd started is not in the state file"
	if alive_as "$pid" "$REAL"; then
		fail "$name: isobench's dockerd (pid $pid) still runs $when"
	fi
	left=$(marked_pids)
	[ -z "$left" ] || fail "$name: processes of the test's dockerd still run $when: $(
		for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline" | head -c 200; echo; done)"
}

# assert_nothing_left NAME RUN-DIR: after the run.
assert_nothing_left() {
	local name=$1 dir=$2 id
	id=$(jrows "$dir/raw.jsonl" - run_id ev=run)
	assert_no_dockerd "$name" "$dir" "after the run"
	assert_no_path "$ISOBENCH_RUNTIME_DIR/docker-$id" "$name: the dockerd's exec root"
	[ -n "$(jrows "$dir/state.jsonl" - op op=del name=dockerd)" ] ||
		fail "$name: the state file does not say the dockerd is gone"
	if grep -q "/isobench-$id" /proc/mounts; then
		fail "$name: mounts left: $(grep "/isobench-$id" /proc/mounts)"
	fi
	assert_no_path "$T/isobench-$id" "$name: the work directory"
}

# exit: dockerd exits at start -------------------------------------------------
cat >"$T/bin/dockerd" <<EOF
#!/bin/bash
export IBTEST_DOCKERD=$T
exec "$REAL" --no-such-option-of-isobench-tests "\$@"
EOF
chmod +x "$T/bin/dockerd"
IB_PATH=$T/bin:$PATH ib exit run -q -r docker,native -b cpu -s cpu.duration=0.1 \
	--min-reps 1 --max-reps 1 --probe "$PROBE" --scratch "$T" -o "$T/exit"
expect_rc 0 exit
assert_grep "dockerd exited at start" "$T/exit.err" "the reason of the failed start"
assert_eq "$(jrows "$T/exit/results.json" cells status runtime=native)" ok "the native cell"
assert_nothing_left exit "$T/exit"
note "exit: dockerd exits at start: the docker column is skipped with the reason, nothing is left"

# hang: dockerd runs but never answers -----------------------------------------
cat >"$T/bin/dockerd" <<EOF
#!/bin/bash
export IBTEST_DOCKERD=$T
args=()
for a in "\$@"; do
	case "\$a" in
	--host=*) args+=("--host=unix://$T/elsewhere.sock") ;;
	*) args+=("\$a") ;;
	esac
done
exec "$REAL" "\${args[@]}"
EOF
chmod +x "$T/bin/dockerd"
PATH=$T/bin:$PATH "$ISOBENCH" run -q -r docker,native -b cpu -s cpu.duration=10 \
	--min-reps 1 --max-reps 1 --probe "$PROBE" --scratch "$T" -o "$T/hang" \
	>"$T/hang.out" 2>"$T/hang.err" &
RUN_PID=$!
BG_PIDS+=("$RUN_PID")
# the test's wrapper is what isobench started
wait_until 30 eval '[ -n "$(marked_pids)" ]' || fail "hang: the test's dockerd did not start"
# isobench waits 60 s for it to answer, then the native cell runs: while
# it does, the dockerd must be gone already
wait_until 90 eval '[ -n "$(jrows "$T/hang/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
	fail "hang: the native cell did not start after the failed docker column"
assert_no_dockerd hang "$T/hang" "while the run goes on"
wait_exit "$RUN_PID" 60
# shellcheck disable=SC2034  # read by expect_rc
IB_RC=$WAIT_RC
no_sanitizer_report "$T/hang.err"
expect_rc 0 hang
assert_grep "dockerd did not answer" "$T/hang.err" "the reason of the failed start"
assert_eq "$(jrows "$T/hang/results.json" cells status runtime=native)" ok "the native cell"
assert_nothing_left hang "$T/hang"
note "hang: a dockerd that does not answer is stopped when its start fails, before the run goes on"
