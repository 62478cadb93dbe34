/* qmp: a minimal client of QEMU's Machine Protocol on a Unix socket.
 *
 * QMP is line-delimited JSON: a greeting, then "qmp_capabilities" to enter
 * command mode, then one {"execute": ...} per request, answered by
 * {"return": ...} or {"error": {"class", "desc"}}; asynchronous {"event"}
 * messages may come in between and are skipped. Every call is bounded by a
 * deadline (CLOCK_MONOTONIC ns): a VMM that stopped answering must not
 * hang the run. */
#ifndef ISOBENCH_QMP_H
#define ISOBENCH_QMP_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"

struct ib_qmp {
	int fd;
	struct ib_buf in; /* bytes read and not yet consumed */
};

/* Connects to path (retrying while the VMM, process vmm if > 0, is alive
 * and has not created it yet, until deadline), reads the greeting and
 * negotiates capabilities. Returns 0, -ESRCH if vmm ended first, or < 0
 * with err. */
int ib_qmp_connect(struct ib_qmp *q, const char *path, pid_t vmm,
		   uint64_t deadline_ns, struct ib_err *err);
/* Runs command (args may be NULL; not consumed). On success *ret (if not
 * NULL) gets the "return" value (caller deletes). An "error" answer is
 * -EPROTO with its class and description in err. */
int ib_qmp_execute(struct ib_qmp *q, const char *command, const cJSON *args,
		   cJSON **ret, uint64_t deadline_ns, struct ib_err *err);
void ib_qmp_close(struct ib_qmp *q);

/* The pure parts, on bytes and JSON as they came from the VMM (nothing
 * trusted; fuzzed by tests/fuzz/fuzz_qmp.c). */
#define IB_QMP_MAX_MESSAGE (1u << 20)
/* The kernel's largest pid (PID_MAX_LIMIT on 64-bit). */
#define IB_QMP_PID_MAX 4194304
/* Takes the first whole line of in (consumed): 1 with *msg its JSON
 * (caller deletes), 0 when no line is whole yet (read more), or -EPROTO
 * with err when the line is not JSON (consumed) or in holds over
 * IB_QMP_MAX_MESSAGE bytes without a newline. */
int ib_qmp_take_message(struct ib_buf *in, cJSON **msg, struct ib_err *err);
/* What message m says to a command: 1 for its "return" (detached into
 * *ret if ret is not NULL), -EPROTO with err for its "error", 0 for
 * anything else (an event). m stays the caller's. */
int ib_qmp_reply(cJSON *m, const char *command, cJSON **ret,
		 struct ib_err *err);
/* The vCPU threads of query-cpus-fast's return: each "thread-id" into
 * tids (at most max). Returns their count, or -EPROTO with err when
 * cpus is not a list, a thread-id is not a whole number in
 * 1..IB_QMP_PID_MAX, or there are more than max. */
int ib_qmp_vcpu_tids(const cJSON *cpus, pid_t *tids, int max,
		     struct ib_err *err);

#endif
