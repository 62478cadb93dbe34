/* qmp: QEMU Machine Protocol client (qmp.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "engines/qmp.h"

static int poll_until(int fd, short ev, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = ib_mono_ns();
		struct pollfd p = {.fd = fd, .events = ev};
		int rc;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		rc = poll(&p, 1, (int)((deadline_ns - now) / 1000000 + 1));
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -errno;
	}
}

int ib_qmp_take_message(struct ib_buf *in, cJSON **msg, struct ib_err *err)
{
	char *nl = in->s ? memchr(in->s, '\n', in->len) : NULL;

	*msg = NULL;
	if (nl) {
		size_t len = (size_t)(nl - in->s) + 1;
		cJSON *j = cJSON_ParseWithLength(in->s, len);

		memmove(in->s, in->s + len, in->len - len + 1);
		in->len -= len;
		if (!j)
			return ib_err_set(err, -EPROTO, "QMP: a message that "
					  "is not JSON");
		*msg = j;
		return 1;
	}
	if (in->len > IB_QMP_MAX_MESSAGE)
		return ib_err_set(err, -EPROTO, "QMP: a message over 1 MiB");
	return 0;
}

int ib_qmp_reply(cJSON *m, const char *command, cJSON **ret,
		 struct ib_err *err)
{
	cJSON *r, *e;

	if ((r = cJSON_GetObjectItemCaseSensitive(m, "return"))) {
		if (ret)
			*ret = cJSON_DetachItemViaPointer(m, r);
		return 1;
	}
	if ((e = cJSON_GetObjectItemCaseSensitive(m, "error"))) {
		const cJSON *cls = cJSON_GetObjectItemCaseSensitive(e, "class");
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(e, "desc");

		return ib_err_set(err, -EPROTO, "QMP %s: %s: %s", command,
				  cJSON_IsString(cls) ? cls->valuestring : "error",
				  cJSON_IsString(desc) ? desc->valuestring : "?");
	}
	return 0; /* an event: not ours */
}

int ib_qmp_vcpu_tids(const cJSON *cpus, pid_t *tids, int max,
		     struct ib_err *err)
{
	const cJSON *c;
	int n = 0;

	if (!cJSON_IsArray(cpus))
		return ib_err_set(err, -EPROTO, "QMP query-cpus-fast: not a "
				  "list of vCPUs");
	cJSON_ArrayForEach(c, cpus) {
		const cJSON *tid = cJSON_GetObjectItemCaseSensitive(c, "thread-id");
		double v = cJSON_IsNumber(tid) ? tid->valuedouble : -1;

		/* a thread id is a whole number in 1..PID_MAX_LIMIT: anything
		 * else (1e300, -1, 0, 2.5) is refused before the cast, which
		 * would be undefined or name another process */
		if (!(v >= 1 && v <= IB_QMP_PID_MAX && v == (double)(pid_t)v))
			return ib_err_set(err, -EPROTO, "QMP query-cpus-fast: "
					  "vCPU %d has no valid thread-id", n);
		if (n >= max)
			return ib_err_set(err, -EPROTO, "QMP query-cpus-fast: "
					  "over %d vCPUs", max);
		tids[n++] = (pid_t)v;
	}
	return n;
}

/* The next message (one line) as JSON; NULL with err on a timeout, a
 * closed socket or bytes that are not JSON. */
static cJSON *read_message(struct ib_qmp *q, uint64_t deadline_ns,
			   struct ib_err *err)
{
	for (;;) {
		char buf[4096];
		cJSON *j;
		ssize_t n;
		int rc = ib_qmp_take_message(&q->in, &j, err);

		if (rc != 0)
			return j;
		rc = poll_until(q->fd, POLLIN, deadline_ns);
		if (rc < 0) {
			ib_err_set(err, rc, "QMP: no answer within the deadline");
			return NULL;
		}
		n = read(q->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ib_err_set(err, -EPIPE, "QMP: the VMM closed its socket%s",
				   n < 0 ? " (read error)" : "");
			return NULL;
		}
		ib_buf_put(&q->in, buf, (size_t)n);
	}
}

static int send_all(int fd, const char *s, size_t len, uint64_t deadline_ns)
{
	while (len) {
		ssize_t n;
		int rc = poll_until(fd, POLLOUT, deadline_ns);

		if (rc < 0)
			return rc;
		n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int ib_qmp_execute(struct ib_qmp *q, const char *command, const cJSON *args,
		   cJSON **ret, uint64_t deadline_ns, struct ib_err *err)
{
	cJSON *req = cJSON_CreateObject();
	char *text;
	int rc;

	if (ret)
		*ret = NULL;
	cJSON_AddStringToObject(req, "execute", command);
	if (args)
		cJSON_AddItemToObject(req, "arguments", cJSON_Duplicate(args, 1));
	text = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	rc = send_all(q->fd, text, strlen(text), deadline_ns);
	if (rc == 0)
		rc = send_all(q->fd, "\n", 1, deadline_ns);
	free(text);
	if (rc < 0)
		return ib_err_set(err, rc, "QMP %s: cannot send: %s", command,
				  strerror(-rc));
	for (;;) {
		cJSON *m = read_message(q, deadline_ns, err);

		if (!m)
			return ib_err_wrap(err, "QMP %s", command);
		rc = ib_qmp_reply(m, command, ret, err);
		cJSON_Delete(m);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
}

int ib_qmp_connect(struct ib_qmp *q, const char *path, pid_t vmm,
		   uint64_t deadline_ns, struct ib_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cJSON *greeting;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return ib_err_set(err, -ENAMETOOLONG, "QMP socket path %s is "
				  "too long", path);
	strcpy(sa.sun_path, path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			return ib_err_set(err, -errno, "socket: %s", strerror(errno));
		if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(q->fd);
		q->fd = -1;
		if (vmm > 0 && ib_pid_ended(vmm))
			return ib_err_set(err, -ESRCH, "QMP: the VMM (pid %d) "
					  "ended before its socket %s answered",
					  (int)vmm, path);
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    ib_mono_ns() >= deadline_ns)
			return ib_err_set(err, -errno, "QMP: cannot connect to "
					  "%s: %s", path, strerror(errno));
		{
			struct timespec ts = {0, 1000000}; /* 1 ms */

			nanosleep(&ts, NULL);
		}
	}
	greeting = read_message(q, deadline_ns, err);
	if (!greeting || !cJSON_GetObjectItemCaseSensitive(greeting, "QMP")) {
		cJSON_Delete(greeting);
		ib_qmp_close(q);
		if (!greeting)
			return ib_err_wrap(err, "QMP greeting on %s", path);
		return ib_err_set(err, -EPROTO, "%s: not a QMP greeting", path);
	}
	cJSON_Delete(greeting);
	if (ib_qmp_execute(q, "qmp_capabilities", NULL, NULL, deadline_ns,
			   err) < 0) {
		ib_qmp_close(q);
		return err->code;
	}
	return 0;
}

void ib_qmp_close(struct ib_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	ib_buf_free(&q->in);
}
