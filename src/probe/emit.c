#include "emit.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/frame.h"

/* A fixed buffer: records are small and the probe must not allocate while
 * measuring. Output is serialised by the callers (workload threads never
 * emit; only the main thread does). */
struct jbuf {
	char s[8192];
	size_t len;
	int overflow;
	int first; /* no comma before the next member */
};

static int out_fd = 1;
static int cur_rep;
static unsigned long records_written;

static void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n >= sizeof(b->s)) {
		b->overflow = 1;
		return;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
}

static void jb_puts(struct jbuf *b, const char *s)
{
	jb_raw(b, s, strlen(s));
}

static void jb_string(struct jbuf *b, const char *s)
{
	jb_raw(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			jb_raw(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jb_raw(b, esc, 6);
		} else {
			jb_raw(b, (const char *)&c, 1);
		}
	}
	jb_raw(b, "\"", 1);
}

static void jb_key(struct jbuf *b, const char *key)
{
	if (!b->first)
		jb_raw(b, ",", 1);
	b->first = 0;
	jb_string(b, key);
	jb_raw(b, ":", 1);
}

static void jb_begin(struct jbuf *b, const char *type)
{
	b->len = 0;
	b->overflow = 0;
	b->first = 1;
	jb_raw(b, "{", 1);
	jb_key(b, "type");
	jb_string(b, type);
}

static void jb_str(struct jbuf *b, const char *key, const char *v)
{
	jb_key(b, key);
	jb_string(b, v);
}

static void jb_num(struct jbuf *b, const char *key, double v)
{
	char num[40];

	jb_key(b, key);
	if (!isfinite(v))
		v = 0; /* callers check; JSON has no NaN */
	snprintf(num, sizeof(num), "%.10g", v);
	jb_puts(b, num);
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(out_fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* host gone: nothing else to do with it */
		}
		p += w;
		n -= (size_t)w;
	}
}

static void jb_send(struct jbuf *b)
{
	char framed[sizeof(b->s) + 32];
	int n;

	jb_raw(b, "}", 1);
	if (b->overflow) {
		/* Never cut a record: replace it by an error that says so. */
		static const char msg[] =
			"{\"type\":\"error\",\"reason\":\"failed\",\"message\":"
			"\"record too long for the probe's buffer\"}";
		memcpy(b->s, msg, sizeof(msg) - 1);
		b->len = sizeof(msg) - 1;
	}
	n = ib_frame_encode(framed, sizeof(framed), b->s, b->len);
	if (n < 0)
		return;
	write_all(framed, (size_t)n);
	records_written++;
}

void pb_emit_init(int fd)
{
	out_fd = fd;
}

void pb_emit_set_rep(int rep)
{
	cur_rep = rep;
}

void pb_emit_hello(const struct ib_timer_info *t, double uptime_s,
		   const char *workload, int argc, char **argv)
{
	struct jbuf b;

	jb_begin(&b, "hello");
	jb_num(&b, "protocol", IB_PROTOCOL_VERSION);
	jb_str(&b, "probe", IB_PROBE_VERSION);
	jb_str(&b, "workload", workload ? workload : "");
	jb_num(&b, "pid", (double)getpid());
	jb_num(&b, "uptime_s", uptime_s);
	jb_num(&b, "clock_res_ns", (double)t->res_ns);
	jb_num(&b, "clock_granularity_ns", (double)t->granularity_ns);
	jb_num(&b, "clock_overhead_ns", t->overhead_ns);
	jb_key(&b, "argv");
	jb_raw(&b, "[", 1);
	for (int i = 0; i < argc; i++) {
		if (i)
			jb_raw(&b, ",", 1);
		jb_string(&b, argv[i]);
	}
	jb_raw(&b, "]", 1);
	jb_send(&b);
}

void pb_emit_sample(const char *bench, const char *metric, const char *unit,
		    enum ib_direction dir, double value, const struct ib_pv *params,
		    int nparams)
{
	struct jbuf b;

	if (!isfinite(value)) {
		pb_emit_error(bench, "failed", "metric %s came out non-finite",
			      metric);
		return;
	}
	jb_begin(&b, "sample");
	jb_str(&b, "bench", bench);
	jb_str(&b, "metric", metric);
	jb_str(&b, "unit", unit);
	jb_str(&b, "dir", dir == IB_HIGHER_IS_BETTER ? "higher" : "lower");
	jb_num(&b, "value", value);
	jb_num(&b, "rep", cur_rep);
	jb_key(&b, "params");
	jb_raw(&b, "{", 1);
	b.first = 1;
	for (int i = 0; i < nparams; i++) {
		if (params[i].s)
			jb_str(&b, params[i].key, params[i].s);
		else
			jb_num(&b, params[i].key, params[i].n);
	}
	jb_raw(&b, "}", 1);
	b.first = 0;
	jb_send(&b);
}

void pb_emit_info_str(const char *bench, const char *key, const char *value)
{
	struct jbuf b;

	jb_begin(&b, "info");
	jb_str(&b, "bench", bench);
	jb_str(&b, "key", key);
	jb_str(&b, "value", value);
	jb_send(&b);
}

void pb_emit_info_num(const char *bench, const char *key, double value)
{
	struct jbuf b;

	jb_begin(&b, "info");
	jb_str(&b, "bench", bench);
	jb_str(&b, "key", key);
	jb_num(&b, "value", value);
	jb_send(&b);
}

void pb_emit_error(const char *bench, const char *reason, const char *fmt, ...)
{
	struct jbuf b;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jb_begin(&b, "error");
	jb_str(&b, "bench", bench ? bench : "");
	jb_str(&b, "reason", reason);
	jb_str(&b, "message", msg);
	jb_num(&b, "rep", cur_rep);
	jb_send(&b);
}

void pb_emit_done(int status)
{
	struct jbuf b;

	jb_begin(&b, "done");
	jb_num(&b, "records", (double)records_written);
	jb_num(&b, "status", status);
	jb_send(&b);
}
