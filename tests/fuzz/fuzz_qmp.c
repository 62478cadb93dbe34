/* fuzz_qmp: what a VMM sends on its QMP socket (src/host/engines/qmp.c): the
 * line reader, what each message says to a command, and the vCPU thread
 * ids of query-cpus-fast's return, range-checked before they are pids.
 *
 * The bytes are fed to ib_qmp_take_message in pieces (the first byte
 * sets their size, as reads would split them); each message goes to
 * ib_qmp_reply and, when it is a return, to ib_qmp_vcpu_tids. Then the
 * whole client runs on them over a Unix socket pair: ib_qmp_execute sends
 * its command and reads the bytes as the VMM's answer, up to the end of
 * the stream.
 *
 * Oracles: the reader never grows its buffer past what was fed and keeps
 * it NUL-terminated; an error always has a message; every thread id taken
 * is in 1..IB_QMP_PID_MAX and there are never more than asked for; the
 * client ends (the stream ends) with 0 or an error with a message. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "engines/qmp.h"

#define MAX_TIDS 8

static void check_message(cJSON *m)
{
	struct ib_err err = {0};
	cJSON *ret = NULL;
	int rc = ib_qmp_reply(m, "query-cpus-fast", &ret, &err);

	if (rc < 0 && !err.msg[0])
		fuzz_fail("an error answer without a message");
	if (rc == 1) {
		pid_t tids[MAX_TIDS];
		int n;

		err.msg[0] = '\0';
		n = ib_qmp_vcpu_tids(ret, tids, MAX_TIDS, &err);
		if (n < 0 && (n != -EPROTO || !err.msg[0]))
			fuzz_fail("thread ids refused without -EPROTO and a message");
		if (n > MAX_TIDS)
			fuzz_fail("%d thread ids, room for %d", n, MAX_TIDS);
		for (int i = 0; i < n; i++)
			if (tids[i] < 1 || tids[i] > IB_QMP_PID_MAX)
				fuzz_fail("thread id %d out of range", (int)tids[i]);
	} else if (ret) {
		fuzz_fail("a return value without a return");
	}
	cJSON_Delete(ret);
}

static void pieces(const uint8_t *data, size_t size)
{
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1, fed = 0;
	struct ib_buf in = {0};

	for (size_t off = size ? 1 : 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;

		ib_buf_put(&in, (const char *)data + off, n);
		fed += n;
		for (;;) {
			struct ib_err err = {0};
			cJSON *m = NULL;
			int rc = ib_qmp_take_message(&in, &m, &err);

			if (in.len > fed || (in.s && in.s[in.len] != '\0'))
				fuzz_fail("the reader's buffer is inconsistent");
			if (rc == 0)
				break;
			if (rc < 0) {
				if (!err.msg[0] || m)
					fuzz_fail("a reader error without a message");
				if (in.len > IB_QMP_MAX_MESSAGE)
					break; /* the client gives up there */
				continue;
			}
			if (!m)
				fuzz_fail("a message that is NULL");
			check_message(m);
			cJSON_Delete(m);
		}
		if (in.len > IB_QMP_MAX_MESSAGE)
			break;
	}
	ib_buf_free(&in);
}

static void over_socket(const uint8_t *data, size_t size)
{
	struct ib_qmp q = {.fd = -1};
	struct ib_err err = {0};
	cJSON *ret = NULL;
	int sv[2], rc;
	ssize_t w;

	if (size > 65536)
		return; /* more than a socket pair buffers */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		fuzz_fail("no socket pair");
	w = size ? write(sv[1], data, size) : 0;
	if (w != (ssize_t)size)
		fuzz_fail("cannot write %zu bytes to the socket pair", size);
	shutdown(sv[1], SHUT_WR);
	q.fd = sv[0];
	rc = ib_qmp_execute(&q, "query-cpus-fast", NULL, &ret,
			    ib_mono_ns() + 5000000000ull, &err);
	if (rc < 0 && !err.msg[0])
		fuzz_fail("QMP failed without a message");
	if (rc == 0) {
		pid_t tids[MAX_TIDS];

		ib_qmp_vcpu_tids(ret, tids, MAX_TIDS, &err);
	}
	cJSON_Delete(ret);
	ib_qmp_close(&q);
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pieces(data, size);
	/* the first byte set the pieces' size: the stream is the rest */
	if (size)
		over_socket(data + 1, size - 1);
	return 0;
}
