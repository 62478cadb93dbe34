/* ibbrowser: renders a page of isobench in a real headless Chromium and
 * checks it as a reader's browser shows it.
 *
 *   ibbrowser [--width W] [--height H]
 *             [--results results.json | --compare compare.json]
 *             [--crop Y:H | --crop-id ID] --profile DIR
 *             --screenshot OUT.png PAGE.html
 *
 * Chromium (Debian's, $CHROMIUM or /usr/bin/chromium) runs with the
 * DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
 * ending in NUL on its fds 3 and 4, no port), in a network namespace of
 * its own (root: unshare(CLONE_NEWNET)), so it can reach nothing, with its
 * profile in DIR. It loads PAGE at W x H (default 1000 x 800; below 600
 * wide it emulates a phone) and fails on:
 *   - any console error or warning, uncaught exception, or log entry of
 *     level error (a resource that did not load, a CSP violation);
 *   - an SVG chart (svg.chart) with no marks;
 *   - a mark (.mark) whose rendered centre is more than 1 px from where
 *     its chart's scale (data-x-*, data-y-*) puts its value (data-px,
 *     data-py), or outside its chart; a bar segment (.seg) likewise;
 *   - with --results: a mark whose value (data-v) is not its metric's
 *     (data-m, the index in results.json's metrics[]): the ratio in a
 *     ratio chart (ratio-*), the median in a curve (curve-*), p90 or p99
 *     in startup's phases (phases-*); with --compare: a mark whose value
 *     is not NEW/BASE of its row and NEW run in compare.json (cmp-*).
 * Then it saves a screenshot of the whole page (or of H px from Y down,
 * --crop, or of the element with that id, --crop-id; at most 30000 px)
 * in OUT and prints what it
 * checked. Exit status: 0 passed, 1 a check failed, 2 could not run. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int to_chrome = -1, from_chrome = -1;
static pid_t chrome_pid = -1;
static char *inbuf;
static size_t inlen, incap;
static int failures;
static cJSON *pending; /* events read while waiting for a reply */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ibbrowser: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (chrome_pid > 0) {
		kill(-chrome_pid, SIGKILL); /* its group: its own children */
		waitpid(chrome_pid, NULL, 0);
	}
	exit(2);
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ibbrowser: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	failures++;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void send_msg(int id, const char *session, const char *method,
		     cJSON *params)
{
	cJSON *o = cJSON_CreateObject();
	char *t;
	size_t n, off = 0;

	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "method", method);
	if (session)
		cJSON_AddStringToObject(o, "sessionId", session);
	cJSON_AddItemToObject(o, "params", params ? params : cJSON_CreateObject());
	t = cJSON_PrintUnformatted(o);
	n = strlen(t) + 1; /* the NUL ends the message */
	while (off < n) {
		ssize_t w = write(to_chrome, t + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("writing to chromium: %s", strerror(errno));
		off += (size_t)w;
	}
	free(t);
	cJSON_Delete(o);
}

/* The next message, within the deadline. */
static cJSON *read_msg(double deadline)
{
	for (;;) {
		char *end = memchr(inbuf ? inbuf : "", 0, inlen);

		if (inbuf && end) {
			cJSON *o = cJSON_Parse(inbuf);
			size_t used = (size_t)(end - inbuf) + 1;

			memmove(inbuf, end + 1, inlen - used);
			inlen -= used;
			if (!o)
				die("chromium sent a message that is not JSON");
			return o;
		}
		{
			struct pollfd p = {from_chrome, POLLIN, 0};
			double left = deadline - now_s();
			ssize_t r;

			if (left <= 0)
				die("chromium did not answer in time");
			if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
				continue;
			if (incap - inlen < 65536) {
				incap = incap * 2 + 65536;
				inbuf = realloc(inbuf, incap);
				if (!inbuf)
					die("out of memory");
			}
			r = read(from_chrome, inbuf + inlen, incap - inlen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				die("chromium closed its pipe (it exited?)");
			inlen += (size_t)r;
		}
	}
}

/* An event: fails the page on what a reader would see as an error. */
static void event(const cJSON *o)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(o, "method"));
	const cJSON *p = cJSON_GetObjectItem(o, "params");

	if (!m)
		return;
	if (!strcmp(m, "Runtime.exceptionThrown")) {
		char *t = cJSON_PrintUnformatted(p);

		fail("uncaught exception: %.400s", t);
		free(t);
	} else if (!strcmp(m, "Runtime.consoleAPICalled")) {
		const char *type = cJSON_GetStringValue(
			cJSON_GetObjectItem(p, "type"));

		if (type && (!strcmp(type, "error") || !strcmp(type, "warning") ||
			     !strcmp(type, "assert"))) {
			char *t = cJSON_PrintUnformatted(
				cJSON_GetObjectItem(p, "args"));

			fail("console %s: %.400s", type, t);
			free(t);
		}
	} else if (!strcmp(m, "Log.entryAdded")) {
		const cJSON *e = cJSON_GetObjectItem(p, "entry");
		const char *lv = cJSON_GetStringValue(
			cJSON_GetObjectItem(e, "level"));

		if (lv && !strcmp(lv, "error"))
			fail("log error: %.400s",
			     cJSON_GetStringValue(cJSON_GetObjectItem(e, "text"))
				     ?: "?");
	}
}

/* Sends a command and waits for its reply; events meanwhile are checked
 * and kept for wait_event. Returns the reply's result (owned). */
static cJSON *call(const char *session, const char *method, cJSON *params,
		   double timeout)
{
	static int next_id = 1;
	int id = next_id++;
	double deadline = now_s() + timeout;

	send_msg(id, session, method, params);
	for (;;) {
		cJSON *o = read_msg(deadline);
		const cJSON *rid = cJSON_GetObjectItem(o, "id");

		if (cJSON_IsNumber(rid) && rid->valueint == id) {
			const cJSON *err = cJSON_GetObjectItem(o, "error");
			cJSON *res;

			if (err) {
				char *t = cJSON_PrintUnformatted(err);

				die("%s failed: %s", method, t);
			}
			res = cJSON_DetachItemFromObject(o, "result");
			cJSON_Delete(o);
			return res ? res : cJSON_CreateObject();
		}
		event(o);
		cJSON_AddItemToArray(pending, o);
	}
}

static void wait_event(const char *method, double timeout)
{
	double deadline = now_s() + timeout;
	cJSON *o;

	cJSON_ArrayForEach(o, pending) {
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(o, "method"));

		if (m && !strcmp(m, method))
			return;
	}
	for (;;) {
		const char *m;

		o = read_msg(deadline);
		event(o);
		m = cJSON_GetStringValue(cJSON_GetObjectItem(o, "method"));
		if (m && !strcmp(m, method)) {
			cJSON_Delete(o);
			return;
		}
		cJSON_Delete(o);
	}
}

/* base64 (RFC 4648) to bytes; returns the length. */
static size_t unbase64(const char *s, unsigned char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned v = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s && *s != '='; s++) {
		const char *p = strchr(a, *s);

		if (!p)
			die("screenshot data is not base64");
		v = (v << 6) | (unsigned)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	return n;
}

/* Runs in the page: the marks checked against their charts' scales;
 * returns JSON text {charts, marks, errors, values: [[chart, m, v]]}. */
static const char check_js[] =
	"(() => {\n"
	"const out = {charts: 0, marks: 0, errors: [], values: []};\n"
	"const px = (svg, ax, v) => {\n"
	"  const d = svg.dataset, log = d[ax + 'Log'] === '1';\n"
	"  const lo = +d[ax + 'Lo'], hi = +d[ax + 'Hi'];\n"
	"  const p0 = +d[ax + 'P0'], p1 = +d[ax + 'P1'];\n"
	"  const f = log ? (Math.log10(v) - Math.log10(lo)) /\n"
	"    (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);\n"
	"  return p0 + f * (p1 - p0); };\n"
	"const centre = (svg, el) => {\n"
	"  const r = el.getBoundingClientRect();\n"
	"  const m = svg.getScreenCTM().inverse();\n"
	"  const a = new DOMPoint(r.left, r.top).matrixTransform(m);\n"
	"  const b = new DOMPoint(r.right, r.bottom).matrixTransform(m);\n"
	"  return {x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, x0: a.x, x1: b.x,\n"
	"          w: r.width, h: r.height}; };\n"
	"for (const svg of document.querySelectorAll('svg.chart')) {\n"
	"  out.charts++;\n"
	"  const vb = svg.viewBox.baseVal;\n"
	"  const marks = svg.querySelectorAll('.mark');\n"
	"  if (!marks.length) out.errors.push(svg.id + ': a chart with no marks');\n"
	"  for (const g of marks) {\n"
	"    out.marks++;\n"
	"    const dot = g.querySelector('.dot');\n"
	"    if (!dot) { out.errors.push(svg.id + ': a mark without its dot'); continue; }\n"
	"    const c = centre(svg, dot);\n"
	"    if (!(c.w > 0 && c.h > 0)) out.errors.push(svg.id + ': an invisible mark');\n"
	"    if (c.x < 0 || c.x > vb.width || c.y < 0 || c.y > vb.height)\n"
	"      out.errors.push(svg.id + ': a mark outside its chart at ' + c.x + ',' + c.y);\n"
	"    const want = px(svg, 'x', +g.dataset.px);\n"
	"    if (!(Math.abs(want - c.x) <= 1))\n"
	"      out.errors.push(svg.id + ': mark ' + g.dataset.px + ' drawn at x ' + c.x.toFixed(2) + ', its scale says ' + want.toFixed(2));\n"
	"    if (g.dataset.py !== undefined) {\n"
	"      const wy = px(svg, 'y', +g.dataset.py);\n"
	"      if (!(Math.abs(wy - c.y) <= 1.5))\n"
	"        out.errors.push(svg.id + ': mark ' + g.dataset.py + ' drawn at y ' + c.y.toFixed(2) + ', its scale says ' + wy.toFixed(2));\n"
	"    }\n"
	"    out.values.push([svg.id, +g.dataset.m, +g.dataset.v]);\n"
	"  }\n"
	"  for (const s of svg.querySelectorAll('.seg')) {\n"
	"    const c = centre(svg, s);\n"
	"    const a = px(svg, 'x', +s.dataset.px0), b = px(svg, 'x', +s.dataset.px1);\n"
	"    if (!(Math.abs(a - c.x0) <= 1.5 && Math.abs(b - c.x1) <= 1.5))\n"
	"      out.errors.push(svg.id + ': a bar part drawn from ' + c.x0.toFixed(2) + ' to ' + c.x1.toFixed(2) + ', its scale says ' + a.toFixed(2) + ' to ' + b.toFixed(2));\n"
	"  }\n"
	"}\n"
	"return JSON.stringify(out); })()";

static double num_at(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int close_to(double a, double b)
{
	return fabs(a - b) <= 1e-6 * fmax(fabs(a), fabs(b)) + 1e-12;
}

static cJSON *load_json(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;
	cJSON *res;

	if (!f)
		die("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, f) != (size_t)n)
		die("%s: cannot read", path);
	text[n] = 0;
	fclose(f);
	res = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsArray(cJSON_GetObjectItem(res, "metrics")))
		die("%s: no metrics[]", path);
	return res;
}

/* Each mark's value against its metric in results.json (report.html) or
 * compare.json (compare.html: data-m is ROW * NEWS + NEW). */
static int check_values(const cJSON *values, const char *results_path,
			int compare)
{
	cJSON *res = load_json(results_path), *v;
	const cJSON *metrics = cJSON_GetObjectItem(res, "metrics");
	int nnew = cJSON_GetArraySize(cJSON_GetObjectItem(res, "news"));
	int checked = 0;

	cJSON_ArrayForEach(v, values) {
		const char *chart = cJSON_GetStringValue(cJSON_GetArrayItem(v, 0));
		int m = cJSON_GetArrayItem(v, 1)->valueint;
		double val = cJSON_GetArrayItem(v, 2)->valuedouble;
		const cJSON *mo = cJSON_GetArrayItem(metrics, m);
		int ok;

		if (m < 0)
			continue;
		if (compare) {
			const cJSON *e;

			if (strncmp(chart, "cmp-", 4) || nnew < 1) {
				fail("%s: a chart compare.html should not have",
				     chart);
				continue;
			}
			mo = cJSON_GetArrayItem(metrics, m / nnew);
			e = cJSON_GetArrayItem(cJSON_GetObjectItem(mo, "news"),
					       m % nnew);
			if (!e || !close_to(val, num_at(e, "ratio")))
				fail("%s: a mark of %.9g for row %d, NEW %d, "
				     "which compare.json does not give", chart,
				     val, m / nnew, m % nnew + 1);
			checked++;
			continue;
		}
		if (!mo) {
			fail("%s: mark of metric %d, which results.json does "
			     "not have", chart, m);
			continue;
		}
		if (!strncmp(chart, "ratio-", 6))
			ok = close_to(val, num_at(cJSON_GetObjectItem(mo,
				"ratio_to_baseline"), "ratio"));
		else if (!strncmp(chart, "curve-", 6))
			ok = close_to(val, num_at(mo, "median"));
		else if (!strncmp(chart, "phases-", 7))
			ok = close_to(val, num_at(mo, "p90")) ||
			     close_to(val, num_at(mo, "p99"));
		else {
			fail("%s: a chart of a kind ibbrowser does not know",
			     chart);
			continue;
		}
		if (!ok)
			fail("%s: a mark of %.9g for metric %d (%s %s %s), which "
			     "results.json does not give", chart, val, m,
			     cJSON_GetStringValue(cJSON_GetObjectItem(mo, "runtime")),
			     cJSON_GetStringValue(cJSON_GetObjectItem(mo, "job")),
			     cJSON_GetStringValue(cJSON_GetObjectItem(mo, "metric")));
		checked++;
	}
	cJSON_Delete(res);
	return checked;
}

static void start_chrome(const char *profile)
{
	int in[2], out[2];
	const char *bin = getenv("CHROMIUM") ?: "/usr/bin/chromium";
	char *udd;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	if (asprintf(&udd, "--user-data-dir=%s", profile) < 0)
		die("out of memory");
	chrome_pid = fork();
	if (chrome_pid < 0)
		die("fork: %s", strerror(errno));
	if (chrome_pid == 0) {
		/* fds 3 (its commands) and 4 (its replies) */
		int log;

		int cmd = fcntl(in[0], F_DUPFD_CLOEXEC, 10),
		    rep = fcntl(out[1], F_DUPFD_CLOEXEC, 10);

		/* above 4 first, so neither dup2 is onto itself (which
		 * would keep close-on-exec) or onto the other */
		if (cmd < 0 || rep < 0 || dup2(cmd, 3) < 0 || dup2(rep, 4) < 0)
			_exit(126);

		setpgid(0, 0);
		/* its own chatter (D-Bus, GPU) to a log in the profile */
		if (asprintf(&udd, "%s/chromium.log", profile) < 0)
			_exit(126);
		log = open(udd, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (log < 0 || dup2(log, 2) < 0)
			_exit(126);
		free(udd);
		if (asprintf(&udd, "--user-data-dir=%s", profile) < 0)
			_exit(126);
		if (geteuid() == 0 && unshare(CLONE_NEWNET)) {
			perror("ibbrowser: unshare(CLONE_NEWNET)");
			_exit(126);
		}
		execl(bin, bin, "--headless", "--no-sandbox", "--disable-gpu",
		      "--remote-debugging-pipe", udd, "--no-first-run",
		      "--no-default-browser-check", "--disable-extensions",
		      "--disable-background-networking", "--disable-sync",
		      "--disable-component-update", "--disable-default-apps",
		      "--disable-domain-reliability", "--no-pings",
		      "--disable-client-side-phishing-detection",
		      "--hide-scrollbars", "--mute-audio", "about:blank",
		      (char *)NULL);
		dprintf(log, "ibbrowser: %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	to_chrome = in[1];
	from_chrome = out[0];
	free(udd);
}

int main(int argc, char **argv)
{
	const char *shot = NULL, *profile = NULL, *results = NULL, *page;
	int compare = 0;
	int width = 1000, height = 800, i;
	double crop_y = 0, crop_h = 30000;
	const char *crop_id = NULL;
	char abs[PATH_MAX], *url;
	cJSON *r, *params, *target, *val, *values;
	char *session;
	const char *text;

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc - 1; i += 2) {
		if (!strcmp(argv[i], "--width"))
			width = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--height"))
			height = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--screenshot"))
			shot = argv[i + 1];
		else if (!strcmp(argv[i], "--profile"))
			profile = argv[i + 1];
		else if (!strcmp(argv[i], "--crop")) {
			if (sscanf(argv[i + 1], "%lf:%lf", &crop_y, &crop_h) != 2 ||
			    crop_y < 0 || crop_h < 1)
				break;
		} else if (!strcmp(argv[i], "--crop-id")) {
			crop_id = argv[i + 1];
		} else if (!strcmp(argv[i], "--results"))
			results = argv[i + 1];
		else if (!strcmp(argv[i], "--compare")) {
			results = argv[i + 1];
			compare = 1;
		}
		else
			break;
	}
	if (i != argc - 1 || !shot || !profile || width < 200 || height < 200) {
		fprintf(stderr, "usage: ibbrowser [--width W] [--height H] "
			"[--results results.json | --compare compare.json] [--crop Y:H | "
			"--crop-id ID] "
			"--profile DIR --screenshot "
			"OUT.png PAGE.html\n");
		return 2;
	}
	page = argv[i];
	if (!realpath(page, abs))
		die("%s: %s", page, strerror(errno));
	if (asprintf(&url, "file://%s", abs) < 0)
		die("out of memory");
	pending = cJSON_CreateArray();
	start_chrome(profile);

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "url", "about:blank");
	r = call(NULL, "Target.createTarget", params, 60);
	target = cJSON_GetObjectItem(r, "targetId");
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "targetId", cJSON_GetStringValue(target));
	cJSON_AddBoolToObject(params, "flatten", 1);
	cJSON_Delete(r);
	r = call(NULL, "Target.attachToTarget", params, 30);
	session = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(r, "sessionId")) ?: "");
	cJSON_Delete(r);
	if (!*session)
		die("no session from Target.attachToTarget");
	cJSON_Delete(call(session, "Runtime.enable", NULL, 30));
	cJSON_Delete(call(session, "Log.enable", NULL, 30));
	cJSON_Delete(call(session, "Page.enable", NULL, 30));
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "width", width);
	cJSON_AddNumberToObject(params, "height", height);
	cJSON_AddNumberToObject(params, "deviceScaleFactor", 1);
	cJSON_AddBoolToObject(params, "mobile", width < 600);
	cJSON_Delete(call(session, "Emulation.setDeviceMetricsOverride", params, 30));
	/* events of about:blank are not the page's */
	cJSON_Delete(pending);
	pending = cJSON_CreateArray();
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "url", url);
	r = call(session, "Page.navigate", params, 60);
	if (cJSON_GetObjectItem(r, "errorText"))
		die("cannot load %s: %s", url,
		    cJSON_GetStringValue(cJSON_GetObjectItem(r, "errorText")));
	cJSON_Delete(r);
	wait_event("Page.loadEventFired", 60);

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "expression", check_js);
	cJSON_AddBoolToObject(params, "returnByValue", 1);
	r = call(session, "Runtime.evaluate", params, 60);
	if (cJSON_GetObjectItem(r, "exceptionDetails")) {
		char *t = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "exceptionDetails"));

		die("the check script failed: %.500s", t);
	}
	text = cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(r, "result"), "value"));
	val = text ? cJSON_Parse(text) : NULL;
	if (!val)
		die("the check script returned nothing");
	cJSON_Delete(r);
	{
		const cJSON *e;

		cJSON_ArrayForEach(e, cJSON_GetObjectItem(val, "errors"))
			fail("%s", cJSON_GetStringValue(e));
	}
	values = cJSON_GetObjectItem(val, "values");
	if (results) {
		int n = check_values(values, results, compare);

		printf("ibbrowser: %d mark values checked against %s\n", n,
		       results);
	}

	if (crop_id) { /* from the element's top, its height */
		char *js;
		double top, h;

		cJSON *id = cJSON_CreateString(crop_id);
		char *quoted = cJSON_PrintUnformatted(id);

		if (asprintf(&js, "(() => { const e = document.getElementById(%s);"
			     " if (!e) return ''; const b = e.getBoundingClientRect();"
			     " return (b.top + window.scrollY) + ':' + b.height; })()",
			     quoted) < 0)
			die("out of memory");
		free(quoted);
		cJSON_Delete(id);
		params = cJSON_CreateObject();
		cJSON_AddStringToObject(params, "expression", js);
		cJSON_AddBoolToObject(params, "returnByValue", 1);
		r = call(session, "Runtime.evaluate", params, 30);
		text = cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetObjectItem(r, "result"), "value"));
		if (!text || sscanf(text, "%lf:%lf", &top, &h) != 2)
			die("no element with id %s in the page", crop_id);
		crop_y = top;
		crop_h = h;
		cJSON_Delete(r);
		free(js);
	}
	/* the whole page, past the viewport */
	r = call(session, "Page.getLayoutMetrics", NULL, 30);
	{
		const cJSON *cs = cJSON_GetObjectItem(r, "cssContentSize");
		double w = num_at(cs, "width"), h = num_at(cs, "height");
		cJSON *clip = cJSON_CreateObject();
		const char *data;
		unsigned char *png;
		size_t len;
		FILE *f;

		if (!isfinite(w) || !isfinite(h))
			die("no page size from Page.getLayoutMetrics");
		cJSON_AddNumberToObject(clip, "x", 0);
		cJSON_AddNumberToObject(clip, "y", crop_y);
		cJSON_AddNumberToObject(clip, "width", w);
		cJSON_AddNumberToObject(clip, "height",
					fmax(1, fmin(h - crop_y, crop_h)));
		cJSON_AddNumberToObject(clip, "scale", 1);
		params = cJSON_CreateObject();
		cJSON_AddStringToObject(params, "format", "png");
		cJSON_AddBoolToObject(params, "captureBeyondViewport", 1);
		cJSON_AddItemToObject(params, "clip", clip);
		cJSON_Delete(r);
		r = call(session, "Page.captureScreenshot", params, 120);
		data = cJSON_GetStringValue(cJSON_GetObjectItem(r, "data"));
		if (!data)
			die("no screenshot data");
		png = malloc(strlen(data));
		len = unbase64(data, png);
		f = fopen(shot, "wx");
		if (!f || fwrite(png, 1, len, f) != len || fclose(f))
			die("%s: %s", shot, strerror(errno));
		printf("ibbrowser: %s: %.0f x %.0f px, %d charts, %d marks; "
		       "screenshot %s\n", page, w, h,
		       cJSON_GetObjectItem(val, "charts")->valueint,
		       cJSON_GetObjectItem(val, "marks")->valueint, shot);
		free(png);
		cJSON_Delete(r);
	}
	send_msg(999999, NULL, "Browser.close", NULL);
	{
		double deadline = now_s() + 10;
		int st;

		while (waitpid(chrome_pid, &st, WNOHANG) == 0 && now_s() < deadline)
			usleep(20000);
		if (waitpid(chrome_pid, &st, WNOHANG) == 0) {
			kill(-chrome_pid, SIGKILL);
			waitpid(chrome_pid, &st, 0);
		}
	}
	cJSON_Delete(val);
	cJSON_Delete(pending);
	free(session);
	free(url);
	free(inbuf);
	if (failures) {
		fprintf(stderr, "ibbrowser: %d check%s failed\n", failures,
			failures == 1 ? "" : "s");
		return 1;
	}
	return 0;
}
