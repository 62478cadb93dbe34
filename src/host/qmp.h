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

#include "util.h"

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

#endif
