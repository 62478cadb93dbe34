/* docker_api: the Docker Engine API on its Unix socket, through libcurl.
 *
 * Requests are synchronous, bounded in time, with a JSON (or tar) body;
 * the one streaming call follows a container's logs in a thread of its
 * own and writes the demultiplexed bytes into a pipe, so the runner reads a
 * Docker container's probe exactly as it reads any other. */
#ifndef ISOBENCH_DOCKER_API_H
#define ISOBENCH_DOCKER_API_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define IB_DOCKER_API "/v1.41" /* Docker 20.10; newer engines accept it */

/* The longest timeout given to libcurl: about 11 days (a longer one
 * would not fit every conversion on the way). */
#define IB_HTTP_MAX_TIMEOUT_MS 1000000000L

/* The libcurl timeout (CURLOPT_TIMEOUT_MS) of a call that may take
 * timeout_s seconds: rounded up to whole milliseconds, at least 1 (to
 * libcurl 0 means "no timeout at all", so a call with under a millisecond
 * left would otherwise wait forever), at most IB_HTTP_MAX_TIMEOUT_MS.
 * 0 when timeout_s is not positive (or NaN): no time left, do not call. */
long ib_http_timeout_ms(double timeout_s);
/* Seconds from now_ns to deadline_ns (CLOCK_MONOTONIC), 0 when the
 * deadline has passed. */
double ib_deadline_left_s(uint64_t deadline_ns, uint64_t now_ns);

/* METHOD path (as it is: no API version prefixed) on the HTTP server at
 * socket, a Unix socket's path: the transport of every API isobench talks
 * to (Docker's, Firecracker's). what names the server in errors ("Docker
 * engine", "Firecracker API"). body may be NULL; ctype is its
 * Content-Type. The HTTP status goes to *status, the response body to resp
 * (if not NULL). Returns 0 when the exchange happened (whatever the
 * status), or < 0 with err (nothing listening, a timeout; -ETIMEDOUT
 * without calling when timeout_s leaves no time). */
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

/* The demultiplexer of a log stream without a TTY: frames of an 8-byte
 * header (stream 0/1/2, 0, 0, 0, the payload's length big-endian) and
 * the payload. Zeroed to start. */
struct ib_docker_demux {
	unsigned char hdr[8];
	size_t hdr_have;     /* header bytes seen of the next frame */
	size_t payload_left; /* payload bytes still to come of this one */
};
/* Feeds n bytes of the stream (any split of it, one call per piece):
 * each piece of payload goes to out(arg, p, n), which returns 0, or -1 to
 * stop. Returns 0, or -1 when out did. */
int ib_docker_demux_feed(struct ib_docker_demux *d, const char *p, size_t n,
			 int (*out)(void *arg, const char *p, size_t n),
			 void *arg);

/* The engine's replies, as they came (any bytes: nothing is trusted).
 *
 * POST /containers/ID/wait: {"StatusCode": N}. Sets *exit_code (0..255,
 * or -1) and *term_signal (the engine says 128 + signal for a death by
 * signal; then *exit_code is -1). Returns 0, or -EPROTO when there is no
 * valid StatusCode (an integer 0..255): then -1 and 0. */
int ib_docker_parse_wait(const char *body, size_t len, int *exit_code,
			 int *term_signal);
/* POST /containers/create: the engine's id of the container (hex
 * digits), or NULL. */
char *ib_docker_parse_create(const char *body, size_t len);
/* GET /info: 1 when the engine has runtime (its "Runtimes" has it), 0
 * when not, and *version its "ServerVersion" (or "?"; caller frees); or
 * -EPROTO when the body is not a JSON object (*version NULL). */
int ib_docker_parse_info(const char *body, size_t len, const char *runtime,
			 char **version);

/* One-time libcurl set-up; safe to call again. */
void ib_docker_api_init(void);

#endif
