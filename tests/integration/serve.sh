#!/bin/bash
# serve.sh static|sanitized: the probe's serve workload (the applications'
# probe side) with a real nginx and with fakeserver, a server that
# misbehaves on purpose:
#   - nginx from its command-line file: the probe says ready and holding,
#     nginx answers HTTP on loopback, SIGTERM to the probe stops nginx
#     cleanly (exit 0, its CPU time reported), nothing is left running;
#   - the hold deadline ends it too;
#   - a server that ends before it accepts, one that never listens, one
#     that dies while serving, one that ignores SIGTERM (killed after
#     stop_timeout), one that exits non-zero: each a failure whose error
#     record says so with the server's last output; no server left;
#   - bad command-line files: each an "invalid" error naming the file and
#     what is wrong.
# Only loopback is used; servers are ended by the pids they wrote.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

probe_of "${1:-}" serve.sh
: "${FAKESERVER:?set FAKESERVER to the fakeserver helper}"
NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || fail "nginx is not installed (scripts/setup.sh --tests installs it)"
setup_tmp
# nginx's workers run as nobody: they must reach the files served
chmod 755 "$T"

# a TCP port on loopback that nothing listens on
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port found on loopback"
}

# argv_file FILE ARG...: a command-line file, one argument a line
argv_file() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

# start NAME ARGV-FILE PARAMS...: the probe in the background; its
# records in $T/NAME.rec, its stderr in $T/NAME.err, its pid in PROBE_PID
start() {
	local name=$1 argv=$2
	shift 2
	"$PROBE" --serve-argv "$argv" serve "$@" </dev/null >"$T/$name.rec" 2>"$T/$name.err" &
	PROBE_PID=$!
}

# finish NAME: waits for the probe (at most 30 s); its status in RC
finish() {
	local name=$1 i
	for i in $(seq 1 300); do
		kill -0 "$PROBE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PROBE_PID" 2>/dev/null && fail "$name: the probe did not end within 30 s"
	set +e
	wait "$PROBE_PID"
	RC=$?
	set -e
	no_sanitizer_report "$T/$name.err"
}

has_record() { grep -q -- "$2" "$T/$1.rec"; }

# pid_gone PIDFILE: the process that wrote PIDFILE is no longer running
pid_gone() {
	local pid
	pid=$(cat "$1")
	! kill -0 "$pid" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

# --- a real nginx --------------------------------------------------------
PORT=$(free_port)
mkdir "$T/html" "$T/nginx-tmp"
echo "served by nginx" >"$T/html/index.html"
cat >"$T/nginx.conf" <<EOF
worker_processes 2;
pid $T/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $T/nginx-tmp;
	proxy_temp_path $T/nginx-tmp;
	fastcgi_temp_path $T/nginx-tmp;
	uwsgi_temp_path $T/nginx-tmp;
	scgi_temp_path $T/nginx-tmp;
	server { listen 127.0.0.1:$PORT; root $T/html; }
}
EOF
argv_file "$T/nginx.argv" "$NGINX" -p "$T" -c "$T/nginx.conf" -g "daemon off;"
start nginx "$T/nginx.argv" "port=$PORT" ready_timeout=20
wait_until 20 has_record nginx '"key":"holding_s"' ||
	fail "nginx: no holding record within 20 s: $(tail -c 600 "$T/nginx.rec")"
has_record nginx '"metric":"ready"' || fail "nginx: no ready sample"
# stdin at its end (/dev/null) is no word to stop
sleep 0.5
kill -0 "$PROBE_PID" 2>/dev/null || fail "nginx: the probe ended at stdin's end"
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
reply=$(cat <&3)
exec 3<&-
case "$reply" in
"HTTP/1.1 200 OK"*"served by nginx"*) ;;
*) fail "nginx: GET / answered: $(head -c 300 <<<"$reply")" ;;
esac
kill -TERM "$PROBE_PID"
finish nginx
[ "$RC" -eq 0 ] || fail "nginx: probe exit $RC after SIGTERM: $(tail -c 800 "$T/nginx.rec")"
has_record nginx '"key":"server_exit","value":"exit 0"' ||
	fail "nginx: no clean exit reported: $(tail -c 600 "$T/nginx.rec")"
has_record nginx '"metric":"server_cpu"' || fail "nginx: no server_cpu sample"
"$IBCHECK" frames "$T/nginx.rec" >/dev/null || fail "nginx: the records are not well framed"
wait_until 5 pid_gone "$T/nginx.pid" || fail "nginx: its master is still running"
note "nginx: ready, answered over loopback, stopped cleanly on SIGTERM, its CPU time reported"

# --- the hold deadline ---------------------------------------------------
PORT=$(free_port)
argv_file "$T/ok.argv" "$FAKESERVER" ok "$PORT" "$T/ok.pid"
start ok "$T/ok.argv" "port=$PORT" hold=0.5
finish ok
[ "$RC" -eq 0 ] || fail "hold deadline: probe exit $RC: $(tail -c 600 "$T/ok.rec")"
has_record ok '"value":"exit 0"' || fail "hold deadline: no clean exit reported"
pid_gone "$T/ok.pid" || fail "hold deadline: the server is still running"
note "the hold deadline ends the serve and stops the server"

# --- the stop word on stdin (how the host asks a VM's probe: its console) --
PORT=$(free_port)
argv_file "$T/word.argv" "$FAKESERVER" ok "$PORT" "$T/word.pid"
mkfifo "$T/word.in"
"$PROBE" --serve-argv "$T/word.argv" serve "port=$PORT" hold=60 \
	<"$T/word.in" >"$T/word.rec" 2>"$T/word.err" &
PROBE_PID=$!
exec 4>"$T/word.in"
wait_until 20 has_record word '"key":"holding_s"' ||
	fail "stop word: no holding record within 20 s: $(tail -c 600 "$T/word.rec")"
# other text first, and the word split across two writes
printf 'noise\nisobench-' >&4
sleep 0.5
kill -0 "$PROBE_PID" 2>/dev/null || fail "stop word: half of it stopped the probe"
printf 'stop\n' >&4
finish word
exec 4>&-
[ "$RC" -eq 0 ] || fail "stop word: probe exit $RC: $(tail -c 600 "$T/word.rec")"
has_record word '"key":"server_exit","value":"exit 0"' || fail "stop word: no clean exit reported"
pid_gone "$T/word.pid" || fail "stop word: the server is still running"
note "the line isobench-stop on stdin ends the hold (split or not); stdin's end does not"

# --- servers that misbehave ----------------------------------------------
# expect_failure NAME PATTERN PIDFILE: the probe failed (exit 1) with an
# error record matching PATTERN, and the server it started is gone
expect_failure() {
	local name=$1 pattern=$2 pidfile=$3
	finish "$name"
	[ "$RC" -eq 1 ] || fail "$name: probe exit $RC, want 1: $(tail -c 600 "$T/$name.rec")"
	grep '"type":"error"' "$T/$name.rec" | grep -q -- "$pattern" ||
		fail "$name: no error record matching '$pattern': $(tail -c 800 "$T/$name.rec")"
	if [ -n "$pidfile" ] && [ -f "$pidfile" ]; then
		pid_gone "$pidfile" || fail "$name: the server is still running"
	fi
	note "$name: $(grep -o '"message":"[^"]*' "$T/$name.rec" | head -1 | cut -c12-200)"
}

argv_file "$T/early.argv" /bin/sh -c 'echo "early: config broken" >&2; exit 3'
start early "$T/early.argv" "port=$(free_port)"
expect_failure early 'ended (exit 3) before it accepted.*early: config broken' ""

argv_file "$T/noexec.argv" "$T/no-such-server" -x
start noexec "$T/noexec.argv" "port=$(free_port)"
expect_failure noexec "ended (exit 127) before it accepted.*cannot exec $T/no-such-server: No such file" ""

argv_file "$T/mute.argv" /bin/sh -c "echo \$\$ >'$T/mute.pid'; echo 'mute: starting'; exec sleep 60"
start mute "$T/mute.argv" "port=$(free_port)" ready_timeout=0.3
expect_failure mute 'did not accept.*within ready_timeout.*mute: starting' "$T/mute.pid"

PORT=$(free_port)
argv_file "$T/dies.argv" "$FAKESERVER" dieserving "$PORT" "$T/dies.pid"
start dies "$T/dies.argv" "port=$PORT"
expect_failure dies 'ended (exit 5) while serving.*dying on purpose' "$T/dies.pid"

PORT=$(free_port)
argv_file "$T/deaf.argv" "$FAKESERVER" ignoreterm "$PORT" "$T/deaf.pid"
start deaf "$T/deaf.argv" "port=$PORT" hold=0.3 stop_timeout=0.3
expect_failure deaf 'did not exit within stop_timeout of SIGTERM and was killed (signal 9)' "$T/deaf.pid"

PORT=$(free_port)
argv_file "$T/bad.argv" "$FAKESERVER" badexit "$PORT" "$T/bad.pid"
start bad "$T/bad.argv" "port=$PORT" hold=0.3
expect_failure bad 'did not exit cleanly on SIGTERM (exit 3).*SIGTERM, ending' "$T/bad.pid"

# --- bad command-line files ----------------------------------------------
printf 'relative/nginx\n' >"$T/relative.argv"
printf '' >"$T/empty.argv"
printf '/bin/true\n\n-x\n' >"$T/blank.argv"
printf '/bin/true\n-x' >"$T/cut.argv"
printf '/bin/true\n-\0x\n' >"$T/nul.argv"
for c in "relative:not an absolute path" "empty:empty: no command" \
	"blank:line 2: empty" "cut:no newline" "nul:line 2: a NUL byte" \
	"missing:No such file"; do
	name=${c%%:*}
	start "$name" "$T/$name.argv" port=1
	finish "$name"
	[ "$RC" -ne 0 ] || fail "$name: probe exit 0 with a bad command-line file"
	grep '"reason":"invalid"' "$T/$name.rec" | grep -q -- "$T/$name.argv: .*${c#*:}" ||
		fail "$name: no invalid error naming the file and '${c#*:}': $(tail -c 600 "$T/$name.rec")"
done
"$PROBE" serve port=1 >"$T/noargv.rec" 2>/dev/null && fail "serve without --serve-argv: exit 0"
grep -q 'serve needs --serve-argv' "$T/noargv.rec" || fail "serve without --serve-argv: no error saying so"
note "bad command-line files: each an invalid error naming the file and the fault"

# --- not a benchmark of its own ------------------------------------------
set +e
"$ISOBENCH" run -r native -b serve -o "$T/run" >"$T/run.out" 2>&1
RC=$?
set -e
[ "$RC" -eq 2 ] || fail "isobench run -b serve: exit $RC, want 2: $(head -c 300 "$T/run.out")"
grep -q "unknown benchmark 'serve'" "$T/run.out" || fail "isobench run -b serve: $(head -c 300 "$T/run.out")"
[ ! -e "$T/run" ] || fail "isobench run -b serve made a run directory"
"$ISOBENCH" list benchmarks >"$T/list.out" 2>&1 || fail "isobench list benchmarks failed"
grep -q '^  cpu ' "$T/list.out" || fail "isobench list benchmarks lists no cpu"
! grep -q '^  serve ' "$T/list.out" || fail "isobench list benchmarks offers serve"
note "serve is not a benchmark of its own: -b refuses it, list leaves it out"
