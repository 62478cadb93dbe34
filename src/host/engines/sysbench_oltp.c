/* sysbench_oltp: see sysbench_oltp.h. */
#include "engines/sysbench_oltp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"

#define MARK "isobench-sysbench "
#define HIST_HEAD "Latency histogram (values are in milliseconds)"
#define HIST_MAX_ROWS 4096 /* sysbench's histogram has 1024 buckets */

int ib_sysbench_test_ok(const char *test)
{
	if (!test || !test[0] || strlen(test) > 64)
		return 0;
	for (const char *p = test; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return 0;
	return 1;
}

/* The wrapper: Debian's script as it is, then the hook. sysbench's stat
 * latencies are in seconds; LuaJIT's string.format wants whole numbers
 * for %d, so counts go through %.0f. */
static char *script_text(const char *dir, const char *test)
{
	return ib_xasprintf(
		"-- isobench: runs sysbench's own %s script unchanged; its\n"
		"-- report_cumulative hook prints sysbench's counters as one\n"
		"-- JSON line, read by isobench (src/host/engines/sysbench_oltp.c),\n"
		"-- then sysbench's own report.\n"
		"dofile('%s/%s.lua')\n"
		"function sysbench.hooks.report_cumulative(stat)\n"
		"  io.write(string.format('" MARK "{\"time_s\":%%.6f,' ..\n"
		"    '\"events\":%%.0f,\"reads\":%%.0f,\"writes\":%%.0f,' ..\n"
		"    '\"other\":%%.0f,\"errors\":%%.0f,\"reconnects\":%%.0f,' ..\n"
		"    '\"latency_s\":{\"avg\":%%.9f,\"max\":%%.9f,\"pct\":%%.9f}}\\n',\n"
		"    stat.time_total, stat.events, stat.reads, stat.writes,\n"
		"    stat.other, stat.errors, stat.reconnects,\n"
		"    stat.latency_avg, stat.latency_max, stat.latency_pct))\n"
		"  sysbench.report_default(stat)\n"
		"end\n",
		test, dir, test);
}

int ib_sysbench_write_script(const char *path, const char *dir,
			     const char *test, struct ib_err *err)
{
	char *text;
	int fd, rc = 0;
	size_t at = 0, len;

	if (!ib_sysbench_test_ok(test))
		return ib_err_set(err, -EINVAL, "sysbench test '%s': not a "
				  "script name (letters, digits, '_')", test);
	if (strchr(dir, '\'') || strchr(dir, '\\') || strchr(dir, '\n'))
		return ib_err_set(err, -EINVAL, "sysbench's script directory "
				  "%s: a quote, backslash or newline in it",
				  dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
	text = script_text(dir, test);
	len = strlen(text);
	while (at < len && rc == 0) {
		ssize_t n = write(fd, text + at, len - at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = ib_err_set(err, n < 0 ? -errno : -EIO, "%s: %s", path,
					strerror(n < 0 ? errno : EIO));
		else
			at += (size_t)n;
	}
	free(text);
	if (close(fd) < 0 && rc == 0)
		rc = ib_err_set(err, -errno, "%s: %s", path, strerror(errno));
	return rc;
}

void ib_sysbench_argv(const struct ib_sysbench_opts *o, struct ib_strv *argv)
{
	ib_strv_push(argv, o->sysbench);
	ib_strv_push(argv, o->script);
	if (o->host) {
		ib_strv_push_owned(argv, ib_xasprintf("--mysql-host=%s", o->host));
		ib_strv_push_owned(argv, ib_xasprintf("--mysql-port=%d", o->port));
	} else {
		ib_strv_push_owned(argv, ib_xasprintf("--mysql-socket=%s",
						      o->socket));
	}
	ib_strv_push_owned(argv, ib_xasprintf("--mysql-user=%s", o->user));
	if (o->password)
		ib_strv_push_owned(argv, ib_xasprintf("--mysql-password=%s",
						      o->password));
	ib_strv_push(argv, "--mysql-db=sbtest");
	ib_strv_push_owned(argv, ib_xasprintf("--tables=%d", o->tables));
	ib_strv_push_owned(argv, ib_xasprintf("--table-size=%d", o->table_size));
	ib_strv_push_owned(argv, ib_xasprintf("--threads=%d", o->threads));
	if (strcmp(o->command, "run") == 0) {
		ib_strv_push_owned(argv, ib_xasprintf("--time=%d", o->seconds));
		ib_strv_push(argv, "--events=0");
		ib_strv_push(argv, "--percentile=95");
		ib_strv_push(argv, "--histogram=on");
	}
	ib_strv_push(argv, o->command);
}

/* A finite number >= 0 at obj.key, or -1 with err naming it. */
static int field(const cJSON *obj, const char *path, const char *key,
		 double *out, struct ib_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0 || v->valuedouble > 1e15)
		return ib_err_set(err, -EINVAL, "sysbench's result: %s%s is %s",
				  path, key, v ? "not a number from 0 to 1e15"
				  : "missing");
	*out = v->valuedouble;
	return 0;
}

/* The start of the line after p (or NULL). */
static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p ? p + 1 : NULL;
}

/* A line that is only blanks (the histogram's end). */
static int blank_line(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return *p == '\n' || *p == '\0';
}

/* The histogram's rows "  VALUE |*****  COUNT": values in ms, rising,
 * counts > 0 (values rise; two may print the same). Their percentile pct as sysbench computes it (the first
 * bucket at which the running count reaches round(total * pct / 100)). */
struct hist {
	double value[HIST_MAX_ROWS];
	double count[HIST_MAX_ROWS];
	int n;
	double total;
};

static int read_hist(const char *out, struct hist *h, struct ib_err *err)
{
	const char *p = strstr(out, HIST_HEAD);

	h->n = 0;
	h->total = 0;
	if (!p)
		return ib_err_set(err, -EINVAL, "sysbench printed no latency "
				  "histogram (--histogram=on)");
	p = next_line(p);           /* the column heads */
	p = p ? next_line(p) : NULL; /* the first row */
	while (p && !blank_line(p)) {
		char *end;
		double v = strtod(p, &end), c;

		/* rising, but printed with 3 decimals: neighbours below a
		 * microsecond apart print the same */
		if (end == p || !isfinite(v) || v < 0 ||
		    (h->n && v < h->value[h->n - 1]))
			return ib_err_set(err, -EINVAL, "sysbench's histogram, "
					  "row %d: no value, or one below the "
					  "last", h->n + 1);
		while (*end == ' ')
			end++;
		if (*end != '|')
			return ib_err_set(err, -EINVAL, "sysbench's histogram, "
					  "row %d: no '|'", h->n + 1);
		end++;
		while (*end == '*' || *end == ' ')
			end++;
		if (*end < '0' || *end > '9')
			return ib_err_set(err, -EINVAL, "sysbench's histogram, "
					  "row %d: no count", h->n + 1);
		c = strtod(end, &end);
		if (!(c >= 1 && c <= 1e15 && c == floor(c)) ||
		    (*end != '\n' && *end != '\r' && *end != '\0'))
			return ib_err_set(err, -EINVAL, "sysbench's histogram, "
					  "row %d: the count is not a whole "
					  "number from 1", h->n + 1);
		if (h->n == HIST_MAX_ROWS)
			return ib_err_set(err, -EINVAL, "sysbench's histogram: "
					  "more than %d rows", HIST_MAX_ROWS);
		h->value[h->n] = v;
		h->count[h->n++] = c;
		h->total += c;
		p = next_line(p);
	}
	if (!h->n)
		return ib_err_set(err, -EINVAL, "sysbench's histogram has no "
				  "row");
	return 0;
}

static double hist_pct(const struct hist *h, double pct)
{
	double want = floor(h->total * pct / 100 + 0.5), seen = 0;

	for (int i = 0; i < h->n; i++) {
		seen += h->count[i];
		if (seen >= want)
			return h->value[i];
	}
	return h->value[h->n - 1];
}

int ib_sysbench_parse(const char *out, struct ib_sysbench_result *r,
		      struct ib_err *err)
{
	const char *line = out, *end;
	struct hist *h = NULL;
	const cJSON *lat;
	cJSON *j = NULL;
	double pct_s = 0, avg_s = 0, max_s = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	while (line && strncmp(line, MARK, strlen(MARK)) != 0)
		line = next_line(line);
	if (!line)
		return ib_err_set(err, -EINVAL, "sysbench printed no '%.17s' "
				  "line (did its hook run?)", MARK);
	line += strlen(MARK);
	end = strchr(line, '\n');
	j = cJSON_ParseWithLength(line, end ? (size_t)(end - line) : strlen(line));
	if (!cJSON_IsObject(j)) {
		ib_err_set(err, -EINVAL, "sysbench's result line is not a JSON "
			   "object");
		goto out;
	}
	lat = cJSON_GetObjectItemCaseSensitive(j, "latency_s");
	if (field(j, "", "time_s", &r->time_s, err) < 0 ||
	    field(j, "", "events", &r->events, err) < 0 ||
	    field(j, "", "reads", &r->reads, err) < 0 ||
	    field(j, "", "writes", &r->writes, err) < 0 ||
	    field(j, "", "other", &r->other, err) < 0 ||
	    field(j, "", "errors", &r->errors, err) < 0 ||
	    field(j, "", "reconnects", &r->reconnects, err) < 0)
		goto out;
	if (!cJSON_IsObject(lat)) {
		ib_err_set(err, -EINVAL, "sysbench's result: no latency_s");
		goto out;
	}
	if (field(lat, "latency_s.", "avg", &avg_s, err) < 0 ||
	    field(lat, "latency_s.", "max", &max_s, err) < 0 ||
	    field(lat, "latency_s.", "pct", &pct_s, err) < 0)
		goto out;
	if (!(r->time_s > 0)) {
		ib_err_set(err, -EINVAL, "sysbench's result: time_s is 0");
		goto out;
	}
	if (!(r->events >= 1)) {
		ib_err_set(err, -EINVAL, "sysbench's result: no transaction "
			   "completed in %.1f s", r->time_s);
		goto out;
	}
	h = ib_xcalloc(1, sizeof(*h));
	if (read_hist(out, h, err) < 0)
		goto out;
	/* every transaction is one count of the histogram (those retried
	 * after an error may differ) */
	if (fabs(h->total - r->events) > r->errors + r->reconnects) {
		ib_err_set(err, -EINVAL, "sysbench's histogram counts %.0f "
			   "transactions, its own report %.0f: not the same "
			   "data", h->total, r->events);
		goto out;
	}
	r->lat_p95_ms = hist_pct(h, 95);
	r->lat_p99_ms = hist_pct(h, 99);
	/* the histogram is the one the hook's p95 came from: the same
	 * figure, but for the 3 decimals it is printed with */
	if (fabs(r->lat_p95_ms - pct_s * 1e3) > 0.0006 + 1e-6 * pct_s * 1e3) {
		ib_err_set(err, -EINVAL, "sysbench's histogram gives p95 %.3f "
			   "ms, its own report %.3f ms: not the same data",
			   r->lat_p95_ms, pct_s * 1e3);
		goto out;
	}
	r->lat_avg_ms = avg_s * 1e3;
	r->lat_max_ms = max_s * 1e3;
	r->transactions_per_s = r->events / r->time_s;
	r->queries_per_s = (r->reads + r->writes + r->other) / r->time_s;
	if (!isfinite(r->transactions_per_s) || !isfinite(r->queries_per_s)) {
		ib_err_set(err, -EINVAL, "sysbench's result: the rates out of "
			   "its counts and time are not finite");
		goto out;
	}
	rc = 0;
out:
	free(h);
	cJSON_Delete(j);
	return rc;
}

int ib_sysbench_run(const struct ib_sysbench_opts *o, const char *cwd,
		    struct ib_sysbench_result *r, char **out,
		    struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_buf text = {0};
	int run = strcmp(o->command, "run") == 0, status, rc = -1;

	if (o->threads < 1 || o->tables < 1 || o->table_size < 1 ||
	    (run && o->seconds < 1))
		return ib_err_set(err, -EINVAL, "sysbench: threads %d, tables "
				  "%d, table size %d, %d s: each at least 1",
				  o->threads, o->tables, o->table_size,
				  o->seconds);
	ib_sysbench_argv(o, &argv);
	status = ib_proc_capture(argv.v, cwd, (run ? o->seconds : 600) + 60.0,
				 NULL, &text, err);
	if (status > 0) {
		const char *s = text.s ? text.s : "";
		size_t n = strlen(s);

		ib_err_set(err, -EIO, "sysbench %s exited with status %d: "
			   "%.300s", o->command, status,
			   n > 300 ? s + n - 300 : s);
	} else if (status == 0) {
		rc = run ? ib_sysbench_parse(text.s ? text.s : "", r, err) : 0;
	}
	if (out) {
		*out = text.s;
		text.s = NULL;
	}
	ib_buf_free(&text);
	ib_strv_free(&argv);
	return rc;
}
