#!/bin/bash
# peer_cap.sh: `isobench peer` (the net workload's host side) serves a
# bounded number of connections at once (issue 11): past the cap a new
# connection is closed at once with a line on stderr, the ones it serves
# go on being served, and its file descriptors do not grow. Without the
# cap every connection was kept (fds until EMFILE, then a busy loop on
# the listener).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_tmp

CAP=8
"$ISOBENCH" peer --listen 127.0.0.1:0 --max-conns $CAP >"$T/peer.out" 2>"$T/peer.err" &
PEER=$!
BG_PIDS+=("$PEER")
wait_until 10 grep -q '^listening ' "$T/peer.out" || fail "the peer did not listen: $(cat "$T/peer.err")"
PORT=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/peer.out")
[ -n "$PORT" ] || fail "no port in '$(cat "$T/peer.out")'"
nfds() { ls "/proc/$PEER/fd" | wc -l; }
FDS0=$(nfds)

# CAP rr connections ('R': every byte echoed)
SERVED=()
for i in $(seq $CAP); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'R' >&$fd
	SERVED+=("$fd")
done
echo_ok() {
	local fd=$1 b=
	printf 'x' >&"$fd"
	IFS= read -r -t 5 -n 1 -u "$fd" b || true
	[ "$b" = x ]
}
for fd in "${SERVED[@]}"; do
	echo_ok "$fd" || fail "a connection within the cap is not served"
done
wait_until 5 eval '[ "$(nfds)" -eq $((FDS0 + CAP)) ]' ||
	fail "the peer holds $(nfds) fds with $CAP connections (had $FDS0)"

# 200 more, 20 held open at a time: each is closed by the peer at once
EXTRA=()
t0=$(now_us)
for i in $(seq 200); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
	EXTRA+=("$fd")
	if [ ${#EXTRA[@]} -ge 20 ]; then
		for x in "${EXTRA[@]}"; do
			b=
			# EOF (or a reset) at once, not an echo
			printf 'R' >&"$x" 2>/dev/null || true
			if IFS= read -r -t 5 -n 1 -u "$x" b 2>/dev/null; then
				fail "a connection past the cap was served (read '$b')"
			fi
			exec {x}>&-
		done
		EXTRA=()
		[ "$(nfds)" -le $((FDS0 + CAP)) ] || fail "the peer grew to $(nfds) fds past the cap"
	fi
done
secs=$((($(now_us) - t0) / 1000000))
kill -0 "$PEER" 2>/dev/null || fail "the peer died: $(cat "$T/peer.err")"
assert_grep "connection limit reached: new connection closed" "$T/peer.err" "the peer's log"
# at most a line per second
[ "$(wc -l <"$T/peer.err")" -le $((secs + 2)) ] ||
	fail "the peer logged $(wc -l <"$T/peer.err") lines for 200 refusals in $secs s"
# the first ones are still served
for fd in "${SERVED[@]}"; do
	echo_ok "$fd" || fail "a connection within the cap stopped being served"
done
# closing one makes room for a new one
first=${SERVED[0]}
exec {first}>&-
SERVED=("${SERVED[@]:1}")
wait_until 5 eval '[ "$(nfds)" -eq $((FDS0 + CAP - 1)) ]' || fail "a closed connection was not released"
exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'R' >&$fd
echo_ok "$fd" || fail "a new connection after one closed is not served"
for fd in "${SERVED[@]}"; do exec {fd}>&-; done
kill -TERM "$PEER"
wait "$PEER" || fail "the peer ended with status $?"
no_sanitizer_report "$T/peer.err"
note "the peer served $CAP connections, closed 200 more at once (logged), and its fds stayed at $((FDS0 + CAP))"
