# lib.sh: helpers sourced by the integration test scripts (bash).
#
# Every script: `set -euo pipefail`, then `source lib.sh`, then `setup_tmp`.
# The binaries come from the environment (tests/integration/meson.build):
# ISOBENCH, PROBE_STATIC, PROBE_SANITIZED, IBCHECK, FAKEPROBE.
#
# Processes are only ever found and ended by the pids the tests started or
# that their own runs recorded (state.jsonl, the fake probe's pid file),
# never by name.

: "${ISOBENCH:?set ISOBENCH to the isobench binary}"
: "${IBCHECK:?set IBCHECK to the ibcheck helper}"

# shellcheck disable=SC2034  # used by the scripts that source this
TEST_NAME=$(basename "$0" .sh)
# shellcheck disable=SC2034
LIB_SH=$(readlink -f "${BASH_SOURCE[0]}")
BG_PIDS=()      # background isobench runs started by this test
T=

fail() {
	echo "FAIL [$TEST_NAME]: $*" >&2
	exit 1
}

note() {
	echo "ok [$TEST_NAME]: $*"
}

# skip_case WHY: a case this machine cannot run. The other cases go on;
# at the end the test exits 77, which meson counts as skipped, not passed.
SKIPPED=()
skip_case() {
	echo "SKIP [$TEST_NAME]: $*" >&2
	SKIPPED+=("$*")
}

# probe_of static|sanitized SCRIPT: sets PROBE to that build of the probe
# (the scripts that run the probe by hand take it as their argument)
probe_of() {
	case "${1:-}" in
	static) PROBE=${PROBE_STATIC:?} ;;
	sanitized) PROBE=${PROBE_SANITIZED:?} ;;
	*) fail "usage: $2 static|sanitized" ;;
	esac
	[ -x "$PROBE" ] || fail "probe $PROBE is not executable"
}

cleanup_tmp() {
	local rc=$? pid f
	# end what this test started and is still running, by pid (only
	# children not reaped yet: a reaped pid may belong to anyone now)
	for pid in "${BG_PIDS[@]}"; do
		if [ -n "$pid" ] && jobs -p | grep -qx "$pid" &&
			alive_as "$pid" "$ISOBENCH"; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [ -n "${FAKE_PIDFILE_GLOB:-}" ]; then
		# shellcheck disable=SC2086
		for f in $FAKE_PIDFILE_GLOB; do
			[ -f "$f" ] || continue
			while read -r pid; do
				if is_fakeprobe "$pid"; then
					kill -KILL "$pid" 2>/dev/null || true
				fi
			done <"$f"
		done
	fi
	if [ -n "$T" ] && [ -d "$T" ]; then
		# runs of this test's that were killed and not cleaned up (a
		# case that failed before its own cleanup): isobench cleanup
		# removes what they left (namespaces, links, shims, mounts),
		# which rm -rf of $T would not; then their registry entries
		for f in "$(registry_dir)"/*; do
			[ -f "$f" ] || continue
			d=$(cat "$f" 2>/dev/null)
			case "$d" in
			"$T"/*)
				if [ -f "$d/state.jsonl" ] &&
					! "$ISOBENCH" cleanup "$d" >"$T/.exit-cleanup.log" 2>&1; then
					echo "[$TEST_NAME] cleanup of $d at exit: $(tail -3 "$T/.exit-cleanup.log")" >&2
				fi
				rm -f "$f" ;;
			esac
		done
		chattr -R -i "$T" 2>/dev/null || true
		rm -rf "$T"
	fi
	if [ "$rc" -ne 0 ]; then
		echo "FAILED [$TEST_NAME] (status $rc)" >&2
	elif [ "${#SKIPPED[@]}" -gt 0 ]; then
		echo "SKIPPED [$TEST_NAME]: ${#SKIPPED[@]} case(s) could not run here: ${SKIPPED[*]}" >&2
		rc=77
	fi
	exit "$rc"
}

# private_run "$@": re-executes the calling test (before setup_tmp) in a
# private mount namespace with a tmpfs of its own on /run, so that what
# the product and the test's daemons make there (ip netns's /run/netns,
# /run/docker, /run/containerd) is the test's alone and goes with it.
# Where no private mount namespace can be made, the test runs as it is,
# and says so.
private_run() {
	if [ -z "${IB_PRIVATE_RUN:-}" ]; then
		if unshare --mount --propagation private true 2>/dev/null; then
			exec env IB_PRIVATE_RUN=1 unshare --mount --propagation private \
				bash "$0" "$@"
		fi
		note "no private mount namespace here: the test uses the host's /run"
		return 0
	fi
	mount -n -t tmpfs -o size=4m,mode=0755 isobench-itest /run ||
		fail "cannot mount a private /run"
}

# stop_test_dockerd PID DATA-ROOT: ends a dockerd a test started itself
# with setsid (TERM, then KILL after 20 s; what it started in its
# session, its containerd, goes with its group) and detaches the data
# root it bind-mounts onto itself.
stop_test_dockerd() {
	local pid=$1 data=$2
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait_until 20 eval "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid"
		wait "$pid" 2>/dev/null || true
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	umount -n -l "$data" 2>/dev/null || true
}

# A temp dir on disk (O_DIRECT does not work on every tmpfs), removed on
# exit; runs' scratch directories are made inside it too, and isobench's
# runtime directory (registry of runs, locks, sockets) is $T/rt: a test
# never creates /run/isobench, nor sees another run's registry. (Not
# $T/run: tests name runs' output directories $T/NAME; and short: the
# sockets in it, dockerd's containerd's the longest, must fit in 107
# bytes.)
setup_tmp() {
	T=$(mktemp -d /var/tmp/isobench-itest.XXXXXX)
	export ISOBENCH_RUNTIME_DIR=$T/rt
	# the images' caches of the test's own: nothing in /var/cache
	export ISOBENCH_VM_CACHE=$T/vmcache ISOBENCH_APP_CACHE=$T/appcache
	trap cleanup_tmp EXIT
	trap 'exit 130' INT TERM
}

# ib NAME ARGS...: runs isobench ARGS, stdout to $T/NAME.out, stderr to
# $T/NAME.err, status in IB_RC; time taken in IB_MS (milliseconds).
ib() {
	local name=$1 t0
	shift
	t0=$(now_us)
	set +e
	# IB_PATH: the PATH isobench alone runs with (a runtime "missing")
	if [ -n "${IB_PATH:-}" ]; then
		PATH=$IB_PATH "$ISOBENCH" "$@" >"$T/$name.out" 2>"$T/$name.err"
	else
		"$ISOBENCH" "$@" >"$T/$name.out" 2>"$T/$name.err"
	fi
	IB_RC=$?
	set -e
	# shellcheck disable=SC2034  # read by the caller
	IB_MS=$((($(now_us) - t0) / 1000))
	no_sanitizer_report "$T/$name.err"
}

# Microseconds since the epoch (bash 5, no external tools).
now_us() {
	echo "${EPOCHREALTIME//[.,]/}"
}

# start_held_run NAME RUNTIME: `isobench run` of a 30 s cpu job on
# RUNTIME in the background, output in $T/NAME; returns once its probe has
# said hello (RUN_PID is isobench's pid, RUN_ID the run's id).
start_held_run() {
	local name=$1 rt=$2
	"$ISOBENCH" run -q -r "$rt" -b cpu -s cpu.duration=30 --probe "$PROBE" --scratch "$T" \
		-o "$T/$name" >"$T/$name.out" 2>"$T/$name.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
	wait_until 30 eval '[ -n "$(jrows "$T/$name/raw.jsonl" - rec.pid ev=record rec.type=hello 2>/dev/null)" ]' ||
		fail "$name: the probe did not start in $rt"
	RUN_ID=$(jrows "$T/$name/raw.jsonl" - run_id ev=run)
}

# The status of the last ib call must be $1.
expect_rc() {
	local want=$1 name=$2
	if [ "$IB_RC" -ne "$want" ]; then
		echo "--- stderr of isobench ($name):" >&2
		head -c 4000 "$T/$name.err" >&2 || true
		echo "--- stdout:" >&2
		head -c 2000 "$T/$name.out" >&2 || true
		# by convention a run's output directory is $T/NAME: its cells
		# that did not go well, and why
		if [ -f "$T/$name/results.json" ]; then
			echo "--- cells not ok:" >&2
			"$IBCHECK" rows "$T/$name/results.json" cells . \
				status!=ok >&2 || true
		fi
		# what the failed launches printed (a guest's console: the
		# test's directory is gone once it ends)
		for f in $(ls "$T/$name/output/"launch-*.log 2>/dev/null | head -3); do
			echo "--- tail of $f:" >&2
			tail -c 1500 "$f" | tr -c '[:print:]\n' '.' >&2 || true
		done
		fail "$name: exit status $IB_RC, want $want"
	fi
}

# No report of a sanitizer in FILE.
no_sanitizer_report() {
	if grep -Eq 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1"; then
		echo "--- $1:" >&2
		head -c 6000 "$1" >&2
		fail "sanitizer report in $1"
	fi
	# an event the results could not take (a record before its launch,
	# say): a bug of isobench's, whatever the test checks
	if grep -q '^isobench: internal:' "$1"; then
		grep '^isobench: internal:' "$1" | head -5 >&2
		fail "isobench said 'internal:' in $1"
	fi
}

# one_line_error NAME SUBSTRING...: stderr of run NAME is exactly one line
# holding every SUBSTRING.
one_line_error() {
	local name=$1 f="$T/$1.err" s lines
	shift
	lines=$(wc -l <"$f")
	if [ "$lines" -ne 1 ]; then
		echo "--- stderr ($name):" >&2
		cat "$f" >&2
		fail "$name: want a one-line error, got $lines lines"
	fi
	for s in "$@"; do
		grep -qF -- "$s" "$f" || fail "$name: error '$(cat "$f")' does not name '$s'"
	done
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

assert_file() {
	[ -f "$1" ] || fail "missing file $1"
}

assert_no_path() {
	[ ! -e "$1" ] || fail "$2: $1 exists"
}

# assert_grep FIXED-STRING FILE WHAT
assert_grep() {
	grep -qF -- "$1" "$2" || fail "$3: '$1' not in $2"
}

# jget FILE PATH: one value (see ibcheck.c)
jget() {
	"$IBCHECK" get "$1" "$2"
}

# jrows FILE ARRAY PATH COND...: values of matching elements
jrows() {
	"$IBCHECK" rows "$@"
}

# validate_measured DIR ID: check ID of the validation in DIR measured
# both sides (a ratio in (0.1, 10), inside its 95% interval); prints
# "RATIO [LO, HI]" for the note
validate_measured() {
	local r lo hi
	r=$(jrows "$1/validation.json" checks ratio "id=$2")
	lo=$(jrows "$1/validation.json" checks ratio_ci_low "id=$2")
	hi=$(jrows "$1/validation.json" checks ratio_ci_high "id=$2")
	awk -v r="$r" -v lo="$lo" -v hi="$hi" \
		'BEGIN { exit !(r > 0.1 && r < 10 && lo <= r && r <= hi) }' ||
		fail "validate $2: ratio '$r' [$lo, $hi] (both sides should have measured)"
	printf '%.3f [%.3f, %.3f]\n' "$r" "$lo" "$hi"
}

# ok_launches RAW RUNTIME: the ids of RUNTIME's launches in RAW (a
# raw.jsonl) that ended ok, one a line. A launch the runner replaced (a VM
# guest that hung at boot under TCG, seen on a fresh CI machine) has no
# records and is not one of them: it is said on stderr with the runner's
# reason; any other end is left to the caller's checks of the cell.
ok_launches() {
	local l st
	for l in $("$IBCHECK" rows "$1" - id ev=launch "runtime=$2"); do
		st=$("$IBCHECK" rows "$1" - status ev=end "launch=$l")
		case $st in
		ok) echo "$l" ;;
		*) echo "ok [$TEST_NAME]: $2 launch $l ended '$st': $("$IBCHECK" rows "$1" - why ev=end "launch=$l")" >&2 ;;
		esac
	done
}

# count of lines of jrows output
jcount() {
	"$IBCHECK" rows "$@" | wc -l
}

# alive_as PID EXE: PID is a live process running EXE (zombies do not count)
alive_as() {
	local exe
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	[ "$exe" = "$(readlink -f "$2")" ] || return 1
	# a zombie has no exe link, but be sure about the state too
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

is_fakeprobe() {
	[ -n "${FAKEPROBE:-}" ] && alive_as "$1" "$FAKEPROBE"
}

# wait_until SECONDS COMMAND...: polls every 50 ms; status 1 on timeout.
wait_until() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -le $((limit * 20)) ] || return 1
		sleep 0.05
	done
}

# wait_exit PID SECONDS: waits for a background child; sets WAIT_RC, or
# fails if it did not exit in time.
wait_exit() {
	local pid=$1 limit=$2 i
	if ! wait_until "$limit" eval "! kill -0 $pid 2>/dev/null || grep -q '^State:[[:space:]]*Z' /proc/$pid/status 2>/dev/null"; then
		fail "process $pid did not exit within $limit s"
	fi
	set +e
	{ wait "$pid"; } 2>/dev/null
	# shellcheck disable=SC2034  # read by the caller
	WAIT_RC=$?
	set -e
	# reaped: never signal this pid again
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[$i]}" != "$pid" ] || BG_PIDS[i]=
	done
}

# The pids a run recorded for its probes (state.jsonl) and the pids the
# probes reported (hello records in raw.jsonl).
run_probe_pids() {
	local dir=$1
	{
		[ -f "$dir/state.jsonl" ] && jrows "$dir/state.jsonl" - pid kind=process
		[ -f "$dir/raw.jsonl" ] && jrows "$dir/raw.jsonl" - rec.pid ev=record rec.type=hello
	} | sort -u
}

# No process recorded by run DIR is alive as EXE.
assert_no_probe_left() {
	local dir=$1 exe=$2 pid pids
	pids=$(run_probe_pids "$dir") || fail "$dir: cannot read the probes' pids"
	for pid in $pids; do
		if alive_as "$pid" "$exe"; then
			fail "$dir: probe process $pid is still running"
		fi
	done
}

# The scratch directory the run recorded.
run_scratch() {
	jrows "$1/state.jsonl" - path kind=dir name=work | head -n 1
}

# children_of PID: pids of the live children of PID (from /proc/*/stat, so
# it works without CONFIG_PROC_CHILDREN)
children_of() {
	local f line a
	for f in /proc/[0-9]*/stat; do
		read -r line <"$f" 2>/dev/null || continue
		read -ra a <<<"${line##*) }"
		if [ "${a[1]:-}" = "$1" ] && [ "${a[0]}" != Z ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

# No run scratch directory (isobench-RUN-ID) is left in DIR.
assert_no_scratch_in() {
	local left
	left=$(compgen -G "$1/isobench-*" || true)
	[ -z "$left" ] || fail "$2: scratch directory left: $left"
}

# Where isobench keeps its registry of live runs (state.c): in the
# test's own runtime directory once setup_tmp has run.
registry_dir() {
	if [ -n "${ISOBENCH_RUNTIME_DIR:-}" ]; then
		echo "$ISOBENCH_RUNTIME_DIR/runs"
	elif [ "$(id -u)" -eq 0 ]; then
		echo /run/isobench/runs
	elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
		echo "$XDG_RUNTIME_DIR/isobench/runs"
	else
		echo "/tmp/isobench-$(id -u)/runs"
	fi
}

# expect_failure RC NAME SUBSTRING... -- ARGS: `isobench ARGS` exits RC
# with one line on stderr naming every SUBSTRING.
expect_failure() {
	local rc=$1 name=$2 subs=()
	shift 2
	while [ "$1" != "--" ]; do
		subs+=("$1")
		shift
	done
	shift
	ib "$name" "$@"
	expect_rc "$rc" "$name"
	one_line_error "$name" "${subs[@]}"
}

# start_run NAME PROBE ARGS...: `isobench run` in the background, into
# $T/NAME; its pid in RUN_PID (and in BG_PIDS, ended at exit).
start_run() {
	local name=$1 probe=$2
	shift 2
	"$ISOBENCH" run -q -r native --probe "$probe" --scratch "$T" -o "$T/$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	RUN_PID=$!
	BG_PIDS+=("$RUN_PID")
}

# A daemon a test starts itself (dockerd, containerd) makes fixed state
# paths under /run (/run/docker, /run/containerd) whatever its options say.
# PRIVATE_RUN is a command prefix that runs it in a mount namespace of its
# own with a /run of its own (a tmpfs), so that nothing of it reaches the
# host's; empty where the host does not allow one (under a chroot whose
# "/" is no mount point), and the daemon then runs as is. Everything the
# daemon needs must be outside /run (the test's temp dir).
PRIVATE_RUN=()
if unshare -m --propagation private true 2>/dev/null; then
	PRIVATE_RUN=(unshare -m --propagation private sh -c
		'mount -n -t tmpfs -o mode=0755 tmpfs /run && exec "$@"' sh)
fi
