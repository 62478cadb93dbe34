#include "engines/docker_api.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ib_docker_api_init(void)
{
	static int done;

	if (!done) {
		curl_global_init(CURL_GLOBAL_NOTHING);
		done = 1;
	}
}

static size_t to_buf(char *p, size_t size, size_t n, void *user)
{
	ib_buf_put(user, p, size * n);
	return size * n;
}

long ib_http_timeout_ms(double timeout_s)
{
	double ms;

	/* !(x > 0) also catches NaN */
	if (!(timeout_s > 0))
		return 0;
	ms = ceil(timeout_s * 1000);
	/* libcurl's 0 means "no timeout": a call with less than a
	 * millisecond left still gets one */
	if (ms < 1)
		return 1;
	return ms > IB_HTTP_MAX_TIMEOUT_MS ? IB_HTTP_MAX_TIMEOUT_MS : (long)ms;
}

double ib_deadline_left_s(uint64_t deadline_ns, uint64_t now_ns)
{
	return now_ns >= deadline_ns ? 0 : (double)(deadline_ns - now_ns) / 1e9;
}

int ib_http_unix_call(const char *socket, const char *what,
		      const char *method, const char *path, const char *ctype,
		      const void *body, size_t len, double timeout_s,
		      long *status, struct ib_buf *resp, struct ib_err *err)
{
	struct curl_slist *hdr = NULL;
	struct ib_buf sink = {0};
	long timeout_ms = ib_http_timeout_ms(timeout_s);
	char *url;
	CURL *c;
	CURLcode rc;

	if (timeout_ms <= 0)
		return ib_err_set(err, -ETIMEDOUT, "%s at %s: %s %s: no time "
				  "left", what, socket, method, path);
	url = ib_xasprintf("http://localhost%s", path);
	ib_docker_api_init();
	c = curl_easy_init();
	if (!c) {
		free(url);
		return ib_err_set(err, -ENOMEM, "cannot start libcurl");
	}
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp ? resp : &sink);
	if (body || !strcmp(method, "POST")) {
		if (ctype) {
			char *h = ib_xasprintf("Content-Type: %s", ctype);

			hdr = curl_slist_append(hdr, h);
			free(h);
		}
		hdr = curl_slist_append(hdr, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(body ? len : 0));
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	ib_buf_free(&sink);
	if (rc != CURLE_OK) {
		int e = rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT
			: rc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;

		ib_err_set(err, e, "%s at %s: %s %s: %s", what, socket,
			   method, path, curl_easy_strerror(rc));
		free(url);
		return e;
	}
	free(url);
	return 0;
}

int ib_docker_call(const char *socket, const char *method, const char *path,
		   const char *ctype, const void *body, size_t len,
		   double timeout_s, long *status, struct ib_buf *resp,
		   struct ib_err *err)
{
	char *full = ib_xasprintf("%s%s", IB_DOCKER_API, path);
	int rc = ib_http_unix_call(socket, "Docker engine", method, full, ctype,
				   body, len, timeout_s, status, resp, err);

	free(full);
	return rc;
}

/* --- logs -------------------------------------------------------------- */

/* Without a TTY the engine multiplexes stdout and stderr: frames of an
 * 8-byte header (stream, 0, 0, 0, big-endian length) and the payload. */
int ib_docker_demux_feed(struct ib_docker_demux *d, const char *p, size_t n,
			 int (*out)(void *arg, const char *p, size_t n),
			 void *arg)
{
	while (n > 0) {
		if (d->payload_left == 0) {
			size_t take = 8 - d->hdr_have;

			if (take > n)
				take = n;
			memcpy(d->hdr + d->hdr_have, p, take);
			d->hdr_have += take;
			p += take;
			n -= take;
			if (d->hdr_have == 8) {
				d->payload_left = (size_t)d->hdr[4] << 24 |
						  (size_t)d->hdr[5] << 16 |
						  (size_t)d->hdr[6] << 8 | d->hdr[7];
				d->hdr_have = 0;
			}
			continue;
		}
		{
			size_t take = d->payload_left < n ? d->payload_left : n;

			if (out(arg, p, take) < 0)
				return -1;
			p += take;
			n -= take;
			d->payload_left -= take;
		}
	}
	return 0;
}

struct ib_docker_logs {
	char *socket, *id;
	int fd;
	pthread_t thread;
	atomic_int stop;
	struct ib_docker_demux dmx;
};

static int write_all(void *arg, const char *p, size_t n)
{
	int fd = *(int *)arg;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static size_t demux(char *p, size_t size, size_t n, void *user)
{
	struct ib_docker_logs *l = user;
	size_t total = size * n;

	if (atomic_load(&l->stop))
		return 0; /* aborts the transfer */
	if (ib_docker_demux_feed(&l->dmx, p, total, write_all, &l->fd) < 0)
		return 0;
	return total;
}

/* --- replies ------------------------------------------------------------ */

int ib_docker_parse_wait(const char *body, size_t len, int *exit_code,
			 int *term_signal)
{
	cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "StatusCode");
	double v = cJSON_IsNumber(code) ? code->valuedouble : -1;
	int rc = 0;

	*exit_code = -1;
	*term_signal = 0;
	/* an exit status is an integer 0..255: anything else (a fraction,
	 * 1e300, a negative) is no status, never a value cast blindly */
	if (!(v >= 0 && v <= 255 && v == (double)(int)v)) {
		rc = -EPROTO;
	} else if (v > 128 && v < 128 + 65) {
		/* the engine reports a death by signal as 128 + signal */
		*term_signal = (int)v - 128;
	} else {
		*exit_code = (int)v;
	}
	cJSON_Delete(j);
	return rc;
}

char *ib_docker_parse_create(const char *body, size_t len)
{
	cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "Id");
	char *r = NULL;
	size_t n;

	/* the engine's ids are 64 hex digits: nothing else is looked for
	 * in /proc (docker_instance_pids) */
	if (cJSON_IsString(id) && (n = strlen(id->valuestring)) > 0 &&
	    n <= 128 && strspn(id->valuestring, "0123456789abcdef") == n)
		r = ib_xstrdup(id->valuestring);
	cJSON_Delete(j);
	return r;
}

int ib_docker_parse_info(const char *body, size_t len, const char *runtime,
			 char **version)
{
	cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
	const char *v;
	int rc;

	*version = NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return -EPROTO;
	}
	rc = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Runtimes"), runtime)
		     ? 1 : 0;
	v = cJSON_GetStringValue(cJSON_GetObjectItem(j, "ServerVersion"));
	*version = ib_xstrdup(v ? v : "?");
	cJSON_Delete(j);
	return rc;
}

static int abort_cb(void *user, curl_off_t a, curl_off_t b, curl_off_t c,
		    curl_off_t d)
{
	struct ib_docker_logs *l = user;

	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&l->stop) ? 1 : 0;
}

static void *follow(void *arg)
{
	struct ib_docker_logs *l = arg;
	char *url = ib_xasprintf("http://localhost%s/containers/%s/logs?follow=1"
				 "&stdout=1&stderr=1", IB_DOCKER_API, l->id);
	CURL *c = curl_easy_init();

	if (c) {
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, l->socket);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, demux);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, l);
		/* lets stop() end a stream that carries nothing */
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_cb);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, l);
		curl_easy_perform(c);
		curl_easy_cleanup(c);
	}
	free(url);
	close(l->fd); /* the reader sees the end */
	l->fd = -1;
	return NULL;
}

int ib_docker_logs_start(const char *socket, const char *id, int fd,
			 struct ib_docker_logs **out, struct ib_err *err)
{
	struct ib_docker_logs *l = ib_xcalloc(1, sizeof(*l));

	ib_docker_api_init();
	l->socket = ib_xstrdup(socket);
	l->id = ib_xstrdup(id);
	l->fd = fd;
	if (pthread_create(&l->thread, NULL, follow, l) != 0) {
		free(l->socket);
		free(l->id);
		free(l);
		close(fd);
		return ib_err_set(err, -EAGAIN, "cannot start the log reader");
	}
	*out = l;
	return 0;
}

void ib_docker_logs_stop(struct ib_docker_logs *l)
{
	if (!l)
		return;
	atomic_store(&l->stop, 1);
	pthread_join(l->thread, NULL);
	free(l->socket);
	free(l->id);
	free(l);
}
