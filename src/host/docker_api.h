/* docker_api: the Docker Engine API on its Unix socket, through libcurl.
 *
 * Requests are synchronous, bounded in time, with a JSON (or tar) body;
 * the one streaming call follows a container's logs in a thread of its
 * own and writes the demultiplexed bytes into a pipe, so the runner reads a
 * Docker container's probe exactly as it reads any other. */
#ifndef ISOBENCH_DOCKER_API_H
#define ISOBENCH_DOCKER_API_H

#include <stddef.h>

#include "util.h"

#define IB_DOCKER_API "/v1.41" /* Docker 20.10; newer engines accept it */

/* METHOD path (as it is: no API version prefixed) on the HTTP server at
 * socket, a Unix socket's path: the transport of every API isobench talks
 * to (Docker's, Firecracker's). what names the server in errors ("Docker
 * engine", "Firecracker API"). body may be NULL; ctype is its
 * Content-Type. The HTTP status goes to *status, the response body to resp
 * (if not NULL). Returns 0 when the exchange happened (whatever the
 * status), or < 0 with err (nothing listening, a timeout). */
int ib_http_unix_call(const char *socket, const char *what,
		      const char *method, const char *path, const char *ctype,
		      const void *body, size_t len, double timeout_s,
		      long *status, struct ib_buf *resp, struct ib_err *err);

/* METHOD path on the engine at socket (a Unix socket's path). body may be
 * NULL. The HTTP status goes to *status, the response body to resp (if
 * not NULL). Returns 0 when the exchange happened (whatever the status),
 * or < 0 with err (no engine there, a timeout). */
int ib_docker_call(const char *socket, const char *method, const char *path,
		   const char *ctype, const void *body, size_t len,
		   double timeout_s, long *status, struct ib_buf *resp,
		   struct ib_err *err);

/* Follows the logs of container id (stdout and stderr, from its start)
 * into fd, which it closes at the end of the stream. */
struct ib_docker_logs;
int ib_docker_logs_start(const char *socket, const char *id, int fd,
			 struct ib_docker_logs **out, struct ib_err *err);
/* Ends the stream (if still running) and frees it. */
void ib_docker_logs_stop(struct ib_docker_logs *l);

/* One-time libcurl set-up; safe to call again. */
void ib_docker_api_init(void);

#endif
