#include "docker_api.h"

#include <curl/curl.h>
#include <errno.h>
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

int ib_http_unix_call(const char *socket, const char *what,
		      const char *method, const char *path, const char *ctype,
		      const void *body, size_t len, double timeout_s,
		      long *status, struct ib_buf *resp, struct ib_err *err)
{
	struct curl_slist *hdr = NULL;
	struct ib_buf sink = {0};
	char *url = ib_xasprintf("http://localhost%s", path);
	CURL *c;
	CURLcode rc;

	ib_docker_api_init();
	c = curl_easy_init();
	if (!c) {
		free(url);
		return ib_err_set(err, -ENOMEM, "cannot start libcurl");
	}
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, socket);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
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
struct ib_docker_logs {
	char *socket, *id;
	int fd;
	pthread_t thread;
	atomic_int stop;
	unsigned char hdr[8];
	size_t hdr_have;
	size_t payload_left;
};

static int write_all(int fd, const char *p, size_t n)
{
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
	size_t total = size * n, left = total;

	if (atomic_load(&l->stop))
		return 0; /* aborts the transfer */
	while (left > 0) {
		if (l->payload_left == 0) {
			size_t take = 8 - l->hdr_have;

			if (take > left)
				take = left;
			memcpy(l->hdr + l->hdr_have, p, take);
			l->hdr_have += take;
			p += take;
			left -= take;
			if (l->hdr_have == 8) {
				l->payload_left = (size_t)l->hdr[4] << 24 |
						  (size_t)l->hdr[5] << 16 |
						  (size_t)l->hdr[6] << 8 | l->hdr[7];
				l->hdr_have = 0;
			}
			continue;
		}
		{
			size_t take = l->payload_left < left ? l->payload_left : left;

			if (write_all(l->fd, p, take) < 0)
				return 0;
			p += take;
			left -= take;
			l->payload_left -= take;
		}
	}
	return total;
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
