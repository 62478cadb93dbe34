/* wrk: see wrk.h. */
#include "engines/wrk.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"

#define MARK "isobench-wrk "

/* wrk runs LuaJIT, whose string.format wants whole numbers for %d: every
 * figure goes through %.0f (or %.3f), which takes any number. */
static const char script[] =
	"-- isobench: wrk's done() hook prints what wrk measured as one JSON\n"
	"-- line, read by isobench (src/host/engines/wrk.c); wrk's own text\n"
	"-- output is left as it is.\n"
	"done = function(summary, latency, requests)\n"
	"  local e = summary.errors\n"
	"  io.write(string.format('" MARK "{\"duration_us\":%.0f,' ..\n"
	"    '\"requests\":%.0f,\"bytes\":%.0f,\"errors\":{\"connect\":%.0f,' ..\n"
	"    '\"read\":%.0f,\"write\":%.0f,\"status\":%.0f,\"timeout\":%.0f},' ..\n"
	"    '\"latency_us\":{\"min\":%.0f,\"mean\":%.3f,\"max\":%.0f,' ..\n"
	"    '\"p50\":%.0f,\"p90\":%.0f,\"p99\":%.0f,\"p999\":%.0f}}\\n',\n"
	"    summary.duration, summary.requests, summary.bytes,\n"
	"    e.connect, e.read, e.write, e.status, e.timeout,\n"
	"    latency.min, latency.mean, latency.max,\n"
	"    latency:percentile(50), latency:percentile(90),\n"
	"    latency:percentile(99), latency:percentile(99.9)))\n"
	"end\n";

int ib_wrk_write_script(const char *path, struct ib_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		      0644);
	size_t at = 0, len = sizeof(script) - 1;

	if (fd < 0)
		return ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
	while (at < len) {
		ssize_t n = write(fd, script + at, len - at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return ib_err_set(err, -e, "%s: %s", path, strerror(e));
		}
		at += (size_t)n;
	}
	if (close(fd) < 0)
		return ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

void ib_wrk_argv(const struct ib_wrk_opts *o, struct ib_strv *argv)
{
	char num[32];

	ib_strv_push(argv, o->wrk);
	snprintf(num, sizeof(num), "-t%d", o->threads);
	ib_strv_push(argv, num);
	snprintf(num, sizeof(num), "-c%d", o->connections);
	ib_strv_push(argv, num);
	snprintf(num, sizeof(num), "-d%ds", o->seconds);
	ib_strv_push(argv, num);
	ib_strv_push(argv, "--timeout");
	snprintf(num, sizeof(num), "%ds", o->timeout_s);
	ib_strv_push(argv, num);
	ib_strv_push(argv, "--latency");
	ib_strv_push(argv, "-s");
	ib_strv_push(argv, o->script);
	ib_strv_push(argv, o->url);
}

/* A finite number >= 0 at obj.key, or -1 with err naming it. */
static int field(const cJSON *obj, const char *path, const char *key,
		 double *out, struct ib_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0)
		return ib_err_set(err, -EINVAL, "wrk's result: %s%s is %s",
				  path, key, v ? "not a number >= 0"
				  : "missing");
	*out = v->valuedouble;
	return 0;
}

static int count(const cJSON *obj, const char *key, uint64_t *out,
		 struct ib_err *err)
{
	double d = 0;

	if (field(obj, "errors.", key, &d, err) < 0)
		return -1;
	if (d > 1e15 || d != floor(d))
		return ib_err_set(err, -EINVAL, "wrk's result: errors.%s is "
				  "not a count", key);
	*out = (uint64_t)d;
	return 0;
}

static int read_latency(const cJSON *lat, struct ib_wrk_result *r,
			struct ib_err *err)
{
	if (!cJSON_IsObject(lat))
		return ib_err_set(err, -EINVAL, "wrk's result: no latency_us");
	if (field(lat, "latency_us.", "min", &r->lat_min_us, err) < 0 ||
	    field(lat, "latency_us.", "mean", &r->lat_mean_us, err) < 0 ||
	    field(lat, "latency_us.", "max", &r->lat_max_us, err) < 0 ||
	    field(lat, "latency_us.", "p50", &r->lat_p50_us, err) < 0 ||
	    field(lat, "latency_us.", "p90", &r->lat_p90_us, err) < 0 ||
	    field(lat, "latency_us.", "p99", &r->lat_p99_us, err) < 0 ||
	    field(lat, "latency_us.", "p999", &r->lat_p999_us, err) < 0)
		return -1;
	/* wrk's histogram gives ordered figures; anything else is not
	 * wrk's answer */
	if (!(r->lat_min_us <= r->lat_p50_us && r->lat_p50_us <= r->lat_p90_us &&
	      r->lat_p90_us <= r->lat_p99_us && r->lat_p99_us <= r->lat_p999_us &&
	      r->lat_p999_us <= r->lat_max_us))
		return ib_err_set(err, -EINVAL, "wrk's result: the latency "
				  "figures are out of order (min <= p50 <= p90 "
				  "<= p99 <= p99.9 <= max)");
	return 0;
}

int ib_wrk_parse(const char *out, struct ib_wrk_result *r, struct ib_err *err)
{
	const char *line = out, *end;
	cJSON *j = NULL;
	double us = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	while (line && strncmp(line, MARK, strlen(MARK)) != 0) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return ib_err_set(err, -EINVAL, "wrk printed no '%.12s' line "
				  "(did its script run?)", MARK);
	line += strlen(MARK);
	end = strchr(line, '\n');
	j = cJSON_ParseWithLength(line, end ? (size_t)(end - line) : strlen(line));
	if (!cJSON_IsObject(j)) {
		ib_err_set(err, -EINVAL, "wrk's result line is not a JSON object");
		goto out;
	}
	if (field(j, "", "duration_us", &us, err) < 0 ||
	    field(j, "", "requests", &r->requests, err) < 0 ||
	    field(j, "", "bytes", &r->bytes, err) < 0)
		goto out;
	if (!(us > 0)) {
		ib_err_set(err, -EINVAL, "wrk's result: duration_us is 0");
		goto out;
	}
	{
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "errors");

		if (!cJSON_IsObject(e)) {
			ib_err_set(err, -EINVAL, "wrk's result: no errors");
			goto out;
		}
		if (count(e, "connect", &r->err_connect, err) < 0 ||
		    count(e, "read", &r->err_read, err) < 0 ||
		    count(e, "write", &r->err_write, err) < 0 ||
		    count(e, "status", &r->err_status, err) < 0 ||
		    count(e, "timeout", &r->err_timeout, err) < 0)
			goto out;
	}
	/* with no request answered, wrk's histogram is empty and its
	 * figures say nothing: only the counts stand */
	if (r->requests > 0 &&
	    read_latency(cJSON_GetObjectItemCaseSensitive(j, "latency_us"), r,
			 err) < 0)
		goto out;
	r->duration_s = us / 1e6;
	r->requests_per_s = r->requests / r->duration_s;
	r->mb_per_s = r->bytes / r->duration_s / 1e6;
	if (!isfinite(r->requests_per_s) || !isfinite(r->mb_per_s)) {
		ib_err_set(err, -EINVAL, "wrk's result: the rates out of its "
			   "counts and duration are not finite");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(j);
	return rc;
}

int ib_wrk_run(const struct ib_wrk_opts *o, struct ib_wrk_result *r,
	       char **out, struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_buf text = {0};
	int status, rc = -1;

	if (o->threads < 1 || o->connections < o->threads || o->seconds < 1 ||
	    o->timeout_s < 1)
		return ib_err_set(err, -EINVAL, "wrk: threads %d, connections "
				  "%d, %d s, timeout %d s: each at least 1, "
				  "connections at least threads", o->threads,
				  o->connections, o->seconds, o->timeout_s);
	ib_wrk_argv(o, &argv);
	status = ib_proc_capture(argv.v, NULL, o->seconds + 30.0, NULL, &text,
				 err);
	if (status > 0)
		ib_err_set(err, -EIO, "wrk exited with status %d: %.300s",
			   status, text.s ? text.s : "");
	else if (status == 0)
		rc = ib_wrk_parse(text.s ? text.s : "", r, err);
	if (out) {
		*out = text.s;
		text.s = NULL;
	}
	ib_buf_free(&text);
	ib_strv_free(&argv);
	return rc;
}
