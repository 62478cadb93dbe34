/* ibcheck: the integration tests' JSON and record checker.
 *
 * The tests must not depend on python3 or jq, so this small program (cJSON
 * only) reads what the probe and the tool write and either prints values
 * for the shell scripts or checks a whole file and says what is wrong:
 *
 *   ibcheck probe WORKLOAD FILE      strict check of one probe run's output:
 *                                    framing and checksums (own CRC-32),
 *                                    hello first, done last with the right
 *                                    count and status 0, and every sample
 *                                    sane for WORKLOAD (units, directions,
 *                                    ranges, the shape of the curve)
 *   ibcheck probe-error SUBSTR FILE  output of a rejected probe command line:
 *                                    hello, one "invalid" error whose
 *                                    message contains SUBSTR, done status 2
 *   ibcheck results FILE             every metric of a results.json has n,
 *                                    median, rsd_pct, ci and
 *                                    ratio_to_baseline, and they agree
 *   ibcheck get FILE PATH            prints the value at PATH
 *   ibcheck rows FILE ARRAY PATH [COND...]
 *                                    prints PATH of every element of the
 *                                    array at ARRAY ("-": every line of a
 *                                    JSON-lines file) matching all COND
 *   ibcheck frames FILE              decodes framed records (tolerating text
 *                                    lines) into JSON lines on stdout
 *
 * PATH: members and array indexes joined by '.', e.g. cells.0.status; a
 * last component '#' gives the length of an array or object; '.' alone is
 * the element itself. Values print as text: strings bare, numbers %.17g,
 * objects and arrays as compact JSON, a missing value as <missing>.
 * COND: PATH=TEXT, PATH!=TEXT, PATH~SUBSTRING, +PATH (present, not null),
 * -PATH (missing or null).
 *
 * Exit status: 0 checks passed, 1 a check failed (stderr says which), 2
 * bad usage or an unreadable file. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcrc32.h"

static int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("ibcheck: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ibcheck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static char *slurp(const char *path, size_t *lenp)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		die("cannot read %s: %s", path, strerror(errno));
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf)
				die("out of memory reading %s", path);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		die("error reading %s", path);
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

static cJSON *load_json(const char *path)
{
	char *text = slurp(path, NULL);
	cJSON *j = cJSON_Parse(text);

	if (!j)
		die("%s is not valid JSON (near byte %ld)", path,
		    cJSON_GetErrorPtr() ? (long)(cJSON_GetErrorPtr() - text) : -1L);
	free(text);
	return j;
}

/* --- paths and printing -------------------------------------------------- */

/* Resolves PATH; *count is set (and NULL returned) for a '#' component. */
static const cJSON *resolve(const cJSON *root, const char *path, int *count)
{
	char *copy, *save = NULL;
	const cJSON *cur = root;

	*count = -1;
	if (!strcmp(path, "."))
		return root;
	copy = strdup(path);
	for (char *c = strtok_r(copy, ".", &save); c && cur;
	     c = strtok_r(NULL, ".", &save)) {
		if (!strcmp(c, "#")) {
			*count = (cJSON_IsArray(cur) || cJSON_IsObject(cur))
					 ? cJSON_GetArraySize(cur)
					 : -1;
			cur = NULL;
			if (*count < 0)
				*count = -2;
			break;
		}
		if (cJSON_IsArray(cur)) {
			char *end;
			long i = strtol(c, &end, 10);

			cur = (*end || end == c) ? NULL : cJSON_GetArrayItem(cur, (int)i);
		} else if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, c);
		} else {
			cur = NULL;
		}
	}
	free(copy);
	return cur;
}

/* Text of a value; caller frees. */
static char *text_of(const cJSON *v, int count)
{
	char num[64];

	if (count >= 0) {
		snprintf(num, sizeof(num), "%d", count);
		return strdup(num);
	}
	if (!v)
		return strdup("<missing>");
	if (cJSON_IsString(v))
		return strdup(v->valuestring);
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d == floor(d) && fabs(d) < 1e15)
			snprintf(num, sizeof(num), "%.0f", d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
		return strdup(num);
	}
	if (cJSON_IsTrue(v))
		return strdup("true");
	if (cJSON_IsFalse(v))
		return strdup("false");
	if (cJSON_IsNull(v))
		return strdup("null");
	return cJSON_PrintUnformatted(v);
}

static char *path_text(const cJSON *root, const char *path)
{
	int count;
	const cJSON *v = resolve(root, path, &count);

	return text_of(v, count);
}

static int cond_holds(const cJSON *el, const char *cond)
{
	const char *op;
	char *path, *val;
	int ok;

	if (cond[0] == '+' || cond[0] == '-') {
		int count;
		const cJSON *v = resolve(el, cond + 1, &count);
		int present = count >= 0 || (v && !cJSON_IsNull(v));

		return cond[0] == '+' ? present : !present;
	}
	op = strpbrk(cond, "!=~");
	if (!op)
		die("bad condition '%s' (PATH=TEXT, PATH!=TEXT, PATH~SUB, +PATH, -PATH)",
		    cond);
	path = strndup(cond, (size_t)(op - cond));
	val = path_text(el, path);
	if (op[0] == '~')
		ok = strstr(val, op + 1) != NULL;
	else if (op[0] == '!' && op[1] == '=')
		ok = strcmp(val, op + 2) != 0;
	else if (op[0] == '=')
		ok = strcmp(val, op + 1) == 0;
	else
		die("bad condition '%s'", cond);
	free(path);
	free(val);
	return ok;
}

static int cmd_get(int argc, char **argv)
{
	cJSON *j;
	char *t;
	int count;

	if (argc != 2)
		die("usage: ibcheck get FILE PATH");
	j = load_json(argv[0]);
	if (!resolve(j, argv[1], &count) && count < 0) {
		fprintf(stderr, "ibcheck: %s has no %s\n", argv[0], argv[1]);
		cJSON_Delete(j);
		return 1;
	}
	t = path_text(j, argv[1]);
	puts(t);
	free(t);
	cJSON_Delete(j);
	return 0;
}

static void rows_of(const cJSON *arr, const char *path, int nconds,
		    char **conds)
{
	const cJSON *el;

	cJSON_ArrayForEach(el, arr)
	{
		int ok = 1;

		for (int i = 0; i < nconds && ok; i++)
			ok = cond_holds(el, conds[i]);
		if (ok) {
			char *t = path_text(el, path);

			puts(t);
			free(t);
		}
	}
}

static int cmd_rows(int argc, char **argv)
{
	if (argc < 3)
		die("usage: ibcheck rows FILE ARRAY PATH [COND...]");
	if (!strcmp(argv[1], "-")) {
		/* JSON lines: every complete line is one element; a last line
		 * without its newline (torn by a kill or a full disk) is
		 * skipped, as isobench itself does */
		size_t len;
		char *text = slurp(argv[0], &len), *save = NULL;
		cJSON *arr = cJSON_CreateArray();
		int lineno = 0;

		if (len > 0 && text[len - 1] != '\n') {
			char *nl = strrchr(text, '\n');

			if (nl)
				nl[1] = '\0';
			else
				text[0] = '\0';
		}
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			cJSON *o = cJSON_Parse(line);

			lineno++;
			if (!o)
				die("%s:%d: not valid JSON", argv[0], lineno);
			cJSON_AddItemToArray(arr, o);
		}
		rows_of(arr, argv[2], argc - 3, argv + 3);
		cJSON_Delete(arr);
		free(text);
	} else {
		cJSON *j = load_json(argv[0]);
		int count;
		const cJSON *arr = resolve(j, argv[1], &count);

		if (!cJSON_IsArray(arr) && !cJSON_IsObject(arr))
			die("%s: %s is not an array", argv[0], argv[1]);
		rows_of(arr, argv[2], argc - 3, argv + 3);
		cJSON_Delete(j);
	}
	return 0;
}

/* --- framed records ------------------------------------------------------ */

struct recs {
	cJSON **v;
	int n;
	int text_lines;
};

/* Decodes FILE. strict: every line must be a whole, valid record. */
static void decode_frames(const char *path, int strict, struct recs *out)
{
	size_t len;
	char *text = slurp(path, &len), *p = text, *end = text + len;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *rec = NULL, *json, *tail;
		size_t jlen;
		unsigned long want;
		cJSON *o;

		lineno++;
		for (size_t i = 0; i + 6 <= n; i++)
			if (!memcmp(p + i, "@@ib1 ", 6)) {
				rec = p + i;
				break;
			}
		if (!nl && strict)
			fail("%s:%d: last line has no newline (truncated)", path,
			     lineno);
		if (!rec || (strict && rec != p)) {
			out->text_lines++;
			if (strict)
				fail("%s:%d: not a framed record: %.80s", path,
				     lineno, p);
			goto next;
		}
		n -= (size_t)(rec - p);
		if (n < 6 + 2 + 10) {
			fail("%s:%d: record too short", path, lineno);
			goto next;
		}
		tail = rec + n - 10;
		json = rec + 6;
		jlen = (size_t)(tail - json);
		if (tail[0] != ' ' || tail[1] != '#') {
			fail("%s:%d: no ' #' before the checksum", path, lineno);
			goto next;
		}
		for (int i = 2; i < 10; i++)
			if (!isxdigit((unsigned char)tail[i]) ||
			    isupper((unsigned char)tail[i])) {
				fail("%s:%d: checksum is not 8 lowercase hex digits",
				     path, lineno);
				goto next;
			}
		want = strtoul(tail + 2, NULL, 16);
		if (tcrc32(json, jlen) != (uint32_t)want) {
			fail("%s:%d: checksum %08lx, the JSON's CRC-32 is %08x",
			     path, lineno, want, (unsigned)tcrc32(json, jlen));
			goto next;
		}
		o = cJSON_ParseWithLength(json, jlen);
		if (!cJSON_IsObject(o)) {
			fail("%s:%d: record body is not a JSON object", path,
			     lineno);
			cJSON_Delete(o);
			goto next;
		}
		out->v = realloc(out->v, sizeof(*out->v) * (size_t)(out->n + 1));
		out->v[out->n++] = o;
next:
		if (!nl)
			break;
		p = nl + 1;
	}
	free(text);
}

static void free_recs(struct recs *r)
{
	for (int i = 0; i < r->n; i++)
		cJSON_Delete(r->v[i]);
	free(r->v);
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num_of(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return 0;
	*out = v->valuedouble;
	return 1;
}

static const char *type_of(const cJSON *o)
{
	const char *t = str_of(o, "type");

	return t ? t : "?";
}

static int cmd_frames(int argc, char **argv)
{
	struct recs r;

	if (argc != 1)
		die("usage: ibcheck frames FILE");
	decode_frames(argv[0], 0, &r);
	for (int i = 0; i < r.n; i++) {
		char *s = cJSON_PrintUnformatted(r.v[i]);

		puts(s);
		free(s);
	}
	free_recs(&r);
	return failures ? 1 : 0;
}

/* The envelope every probe run must have: hello first, done last with the
 * count of the records before it. Returns the done record or NULL. */
static const cJSON *check_envelope(const char *path, const struct recs *r,
				   const char *workload)
{
	const cJSON *hello, *done;
	double v;

	if (r->n < 2) {
		fail("%s: %d record(s): want at least hello and done", path, r->n);
		return NULL;
	}
	hello = r->v[0];
	done = r->v[r->n - 1];
	if (strcmp(type_of(hello), "hello"))
		fail("%s: first record is %s, not hello", path, type_of(hello));
	if (!num_of(hello, "protocol", &v) || v != 1)
		fail("%s: hello lacks protocol 1", path);
	if (!str_of(hello, "probe"))
		fail("%s: hello lacks the probe version", path);
	if (!num_of(hello, "uptime_s", &v) || !(v > 0))
		fail("%s: hello lacks a positive uptime_s", path);
	if (workload && (!str_of(hello, "workload") ||
			 strcmp(str_of(hello, "workload"), workload)))
		fail("%s: hello names workload '%s', want '%s'", path,
		     str_of(hello, "workload") ? str_of(hello, "workload") : "?",
		     workload);
	for (int i = 1; i < r->n - 1; i++)
		if (!strcmp(type_of(r->v[i]), "hello") ||
		    !strcmp(type_of(r->v[i]), "done"))
			fail("%s: record %d is a second %s", path, i + 1,
			     type_of(r->v[i]));
	if (strcmp(type_of(done), "done")) {
		fail("%s: last record is %s, not done", path, type_of(done));
		return NULL;
	}
	if (!num_of(done, "records", &v) || v != r->n - 1)
		fail("%s: done says %g records came before it, %d did", path,
		     num_of(done, "records", &v) ? v : -1, r->n - 1);
	return done;
}

/* The value of key=VALUE in hello's argv, or def. */
static const char *probe_arg(const cJSON *hello, const char *key,
			     const char *def)
{
	const cJSON *argv = cJSON_GetObjectItemCaseSensitive(hello, "argv"), *a;
	size_t k = strlen(key);

	cJSON_ArrayForEach(a, argv)
	{
		if (cJSON_IsString(a) && !strncmp(a->valuestring, key, k) &&
		    a->valuestring[k] == '=')
			return a->valuestring + k + 1;
	}
	return def;
}

static double param_num(const cJSON *s, const char *key)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "params");
	double v;

	return num_of(p, key, &v) ? v : NAN;
}

static const char *param_str(const cJSON *s, const char *key)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(s, "params");

	return str_of(p, key);
}

/* Finds the sample with metric and (if given) string param key=val. */
static const cJSON *find_sample(const struct recs *r, const char *metric,
				const char *key, const char *val, double numval)
{
	for (int i = 0; i < r->n; i++) {
		const cJSON *s = r->v[i];
		const char *m = str_of(s, "metric");

		if (strcmp(type_of(s), "sample") || !m || strcmp(m, metric))
			continue;
		if (key && val && (!param_str(s, key) || strcmp(param_str(s, key), val)))
			continue;
		if (key && !val && param_num(s, key) != numval)
			continue;
		return s;
	}
	return NULL;
}

static double value_of(const cJSON *s)
{
	double v = NAN;

	if (s)
		num_of(s, "value", &v);
	return v;
}

static void want_range(const char *path, const char *what, double v, double lo,
		       double hi)
{
	if (!(v >= lo && v <= hi))
		fail("%s: %s = %g, outside the plausible range [%g, %g]", path,
		     what, v, lo, hi);
}

static void check_cpu(const char *path, const struct recs *r)
{
	const cJSON *one = find_sample(r, "events_per_s", "threads", NULL, 1);
	double v1 = value_of(one);
	int nthreads = 0;

	if (!one) {
		fail("%s: no events_per_s sample for threads=1", path);
		return;
	}
	/* sysbench cpu (max_prime 10000) does ~500-5000 events/s per core;
	 * a sanitized build is slower: leave room on both sides. */
	want_range(path, "cpu events_per_s threads=1", v1, 20, 200000);
	for (int i = 0; i < r->n; i++) {
		const cJSON *s = r->v[i];
		double t = param_num(s, "threads");

		if (strcmp(type_of(s), "sample") || t == 1)
			continue;
		nthreads++;
		want_range(path, "cpu events_per_s threads=N", value_of(s), 20,
			   200000 * (isfinite(t) ? t : 1));
		/* N threads never do less than a third of one thread's work */
		if (!(value_of(s) > v1 / 3))
			fail("%s: cpu threads=%g does %g events/s, one thread %g",
			     path, t, value_of(s), v1);
	}
	(void)nthreads;
}

static void check_membw(const char *path, const struct recs *r)
{
	static const char *const kernels[] = {"copy", "scale", "add", "triad"};

	for (size_t k = 0; k < 4; k++) {
		const cJSON *s = find_sample(r, kernels[k], NULL, NULL, 0);
		char what[64];

		if (!s) {
			fail("%s: no membw %s sample", path, kernels[k]);
			continue;
		}
		snprintf(what, sizeof(what), "membw %s MB/s", kernels[k]);
		want_range(path, what, value_of(s), 50, 5e6);
	}
}

static void check_memlat(const char *path, const struct recs *r)
{
	double maxsize = 0, v;
	int sizes = 0;

	for (int i = 0; i < r->n; i++) {
		const cJSON *s = r->v[i];
		double sz = param_num(s, "size");

		if (strcmp(type_of(s), "sample"))
			continue;
		if (!isfinite(sz) || sz < 4096)
			fail("%s: memlat sample %d has no sane size", path, i + 1);
		else if (sz > maxsize)
			maxsize = sz;
		if (!param_str(s, "chain") || (strcmp(param_str(s, "chain"), "seq") &&
					       strcmp(param_str(s, "chain"), "rand")))
			fail("%s: memlat sample %d: chain is not seq or rand", path,
			     i + 1);
		want_range(path, "memlat load_latency ns", value_of(s), 0.05, 5e4);
		sizes++;
	}
	for (int i = 0; i < r->n; i++)
		if (!strcmp(type_of(r->v[i]), "info") && str_of(r->v[i], "key") &&
		    !strcmp(str_of(r->v[i], "key"), "max_size") &&
		    num_of(r->v[i], "value", &v) && v != maxsize)
			fail("%s: info max_size %g, largest measured size %g", path,
			     v, maxsize);
	{
		const cJSON *small = NULL, *big = NULL;

		for (int i = 0; i < r->n; i++) {
			const cJSON *s = r->v[i];

			if (strcmp(type_of(s), "sample") || !param_str(s, "chain") ||
			    strcmp(param_str(s, "chain"), "rand"))
				continue;
			if (param_num(s, "size") == 4096)
				small = s;
			if (param_num(s, "size") == maxsize)
				big = s;
		}
		if (!small || !big) {
			fail("%s: memlat lacks the rand chain at 4 KiB or at the "
			     "largest size",
			     path);
			return;
		}
		/* Past the caches each load misses: latency must rise with the
		 * working set, never fall (a chase the CPU can prefetch or a
		 * chain shorter than asked would show a flat curve). */
		if (maxsize >= 32 << 20 && !(value_of(big) > 2 * value_of(small)))
			fail("%s: memlat rand latency at %g bytes (%g ns) is not "
			     "above twice that at 4 KiB (%g ns)",
			     path, maxsize, value_of(big), value_of(small));
		else if (!(value_of(big) > value_of(small)))
			fail("%s: memlat rand latency at %g bytes (%g ns) is not "
			     "above that at 4 KiB (%g ns)",
			     path, maxsize, value_of(big), value_of(small));
	}
}

static void check_list_present(const char *path, const struct recs *r,
			       const char *metric, const char *key,
			       const char *list)
{
	char *copy = strdup(list), *save = NULL;

	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (!find_sample(r, metric, key, w, 0))
			fail("%s: no %s sample with %s=%s", path, metric, key, w);
	free(copy);
}

static void check_syscall(const char *path, const struct recs *r)
{
	const char *calls = probe_arg(r->v[0], "calls",
				      "getppid,read,write,stat,fstat,openclose");

	check_list_present(path, r, "latency", "call", calls);
	for (int i = 0; i < r->n; i++)
		if (!strcmp(type_of(r->v[i]), "sample"))
			want_range(path, "syscall latency ns", value_of(r->v[i]),
				   0.5, 1e6);
}

static void check_ctxsw(const char *path, const struct recs *r)
{
	const cJSON *rt = find_sample(r, "roundtrip", NULL, NULL, 0);
	const cJSON *sw = find_sample(r, "switch", NULL, NULL, 0);

	if (!rt || !sw) {
		fail("%s: ctxsw lacks roundtrip or switch", path);
		return;
	}
	want_range(path, "ctxsw switch us", value_of(sw), 0.01, 1e4);
	if (fabs(value_of(rt) - 2 * value_of(sw)) > 0.01 * value_of(rt))
		fail("%s: ctxsw roundtrip %g us is not two switches (%g us)", path,
		     value_of(rt), value_of(sw));
}

/* jitter: the five figures, ordered as percentiles are, in a range a
 * timer's lateness can have (1 ns to 1 s). */
static void check_jitter(const char *path, const struct recs *r)
{
	static const char *order[] = {"lateness_p50", "lateness_p99",
				      "lateness_p99_9", "lateness_max"};
	const cJSON *mean = find_sample(r, "lateness_mean", NULL, NULL, 0);
	double prev = 0;

	if (!mean) {
		fail("%s: jitter lacks lateness_mean", path);
		return;
	}
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const cJSON *s = find_sample(r, order[i], NULL, NULL, 0);

		if (!s) {
			fail("%s: jitter lacks %s", path, order[i]);
			return;
		}
		want_range(path, order[i], value_of(s), 0.001, 1e6);
		if (value_of(s) < prev)
			fail("%s: jitter %s %g us is below the percentile before "
			     "it (%g us)", path, order[i], value_of(s), prev);
		prev = value_of(s);
	}
	if (value_of(mean) > prev)
		fail("%s: jitter mean %g us is above the maximum %g us", path,
		     value_of(mean), prev);
}

static void check_disk(const char *path, const struct recs *r)
{
	const char *tests = probe_arg(r->v[0], "tests", NULL);
	char *copy, *save = NULL;

	if (!tests) {
		fail("%s: give the disk tests explicitly (tests=...)", path);
		return;
	}
	copy = strdup(tests);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const cJSON *iops = find_sample(r, "iops", "test", t, 0);
		const cJSON *bw = find_sample(r, "bw", "test", t, 0);
		const cJSON *p50 = find_sample(r, "lat_p50", "test", t, 0);
		const cJSON *p99 = find_sample(r, "lat_p99", "test", t, 0);
		const cJSON *p999 = find_sample(r, "lat_p99.9", "test", t, 0);
		double bs;

		if (!iops || !bw || !p50 || !p99 || !p999) {
			fail("%s: disk test %s lacks one of iops, bw, lat_p50, "
			     "lat_p99, lat_p99.9",
			     path, t);
			continue;
		}
		bs = param_num(iops, "bs");
		want_range(path, "disk iops", value_of(iops), 1, 1e8);
		if (!(bs > 0) || fabs(value_of(bw) - value_of(iops) * bs / 1048576) >
					 0.01 * value_of(bw) + 1e-9)
			fail("%s: disk %s: bw %g MiB/s is not iops %g x bs %g", path,
			     t, value_of(bw), value_of(iops), bs);
		if (!(value_of(p50) <= value_of(p99) &&
		      value_of(p99) <= value_of(p999)))
			fail("%s: disk %s: latency percentiles not ordered: p50 %g, "
			     "p99 %g, p99.9 %g",
			     path, t, value_of(p50), value_of(p99), value_of(p999));
		want_range(path, "disk lat_p99.9 us", value_of(p999), 0.01, 1e7);
	}
	free(copy);
}

static const struct {
	const char *workload;
	const char *metric; /* NULL: any */
	const char *unit;
	const char *dir;
	void (*check)(const char *, const struct recs *);
} expect[] = {
	{"cpu", "events_per_s", "events/s", "higher", check_cpu},
	{"membw", NULL, "MB/s", "higher", check_membw},
	{"memlat", "load_latency", "ns", "lower", check_memlat},
	{"syscall", "latency", "ns", "lower", check_syscall},
	{"ctxsw", NULL, "us", "lower", check_ctxsw},
	{"jitter", "lateness_mean", "us", "lower", check_jitter},
	{"jitter", NULL, "us", "lower", NULL},
	{"disk", "iops", "IO/s", "higher", check_disk},
	{"disk", "bw", "MiB/s", "higher", NULL},
	{"disk", "lat_p50", "us", "lower", NULL},
	{"disk", "lat_p99", "us", "lower", NULL},
	{"disk", "lat_p99.9", "us", "lower", NULL},
};

static int cmd_probe(int argc, char **argv)
{
	const char *wl, *path;
	struct recs r;
	const cJSON *done;
	int samples = 0;
	double v;

	if (argc != 2)
		die("usage: ibcheck probe WORKLOAD FILE");
	wl = argv[0];
	path = argv[1];
	decode_frames(path, 1, &r);
	done = check_envelope(path, &r, wl);
	if (done && (!num_of(done, "status", &v) || v != 0))
		fail("%s: done status %g, want 0", path, v);
	for (int i = 0; i < r.n; i++) {
		const cJSON *s = r.v[i];
		const char *t = type_of(s), *unit = str_of(s, "unit"),
			   *metric = str_of(s, "metric"), *dir = str_of(s, "dir");
		int known = 0;

		if (!strcmp(t, "error")) {
			const char *reason = str_of(s, "reason");

			if (reason && !strcmp(reason, "unsupported"))
				fprintf(stderr, "ibcheck: note: %s: unsupported here: "
					"%s\n", path, str_of(s, "message"));
			else
				fail("%s: error record: %s: %s", path,
				     reason ? reason : "?",
				     str_of(s, "message") ? str_of(s, "message") : "?");
			continue;
		}
		if (strcmp(t, "sample"))
			continue;
		samples++;
		if (!str_of(s, "bench") || strcmp(str_of(s, "bench"), wl))
			fail("%s: sample %d has bench %s, want %s", path, i + 1,
			     str_of(s, "bench") ? str_of(s, "bench") : "?", wl);
		if (!num_of(s, "value", &v) || !isfinite(v) || !(v > 0))
			fail("%s: sample %d (%s): value is not > 0", path, i + 1,
			     metric ? metric : "?");
		if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "params")))
			fail("%s: sample %d has no params object", path, i + 1);
		if (!num_of(s, "rep", &v) || v != 0)
			fail("%s: sample %d: rep is not 0", path, i + 1);
		for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
			if (strcmp(expect[k].workload, wl))
				continue;
			if (expect[k].metric && (!metric || strcmp(expect[k].metric, metric)))
				continue;
			known = 1;
			if (!unit || strcmp(unit, expect[k].unit))
				fail("%s: %s %s: unit '%s', want '%s'", path, wl,
				     metric ? metric : "?", unit ? unit : "?",
				     expect[k].unit);
			if (!dir || strcmp(dir, expect[k].dir))
				fail("%s: %s %s: direction '%s', want '%s'", path, wl,
				     metric ? metric : "?", dir ? dir : "?",
				     expect[k].dir);
			break;
		}
		if (!known)
			fail("%s: %s: unexpected metric '%s'", path, wl,
			     metric ? metric : "?");
	}
	if (!samples)
		fail("%s: no samples", path);
	else
		for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++)
			if (!strcmp(expect[k].workload, wl) && expect[k].check)
				expect[k].check(path, &r);
	if (!failures)
		printf("%s: %d records, %d samples: ok\n", wl, r.n, samples);
	free_recs(&r);
	return failures ? 1 : 0;
}

static int cmd_probe_error(int argc, char **argv)
{
	struct recs r;
	const cJSON *done;
	double v;

	if (argc != 2)
		die("usage: ibcheck probe-error SUBSTR FILE");
	decode_frames(argv[1], 1, &r);
	done = check_envelope(argv[1], &r, NULL);
	if (done && (!num_of(done, "status", &v) || v != 2))
		fail("%s: done status %g, want 2", argv[1], v);
	if (r.n != 3 || strcmp(type_of(r.v[1]), "error")) {
		fail("%s: want hello, error, done; got %d records", argv[1], r.n);
	} else {
		const char *msg = str_of(r.v[1], "message");
		const char *reason = str_of(r.v[1], "reason");

		if (!reason || strcmp(reason, "invalid"))
			fail("%s: error reason '%s', want 'invalid'", argv[1],
			     reason ? reason : "?");
		if (!msg || !strstr(msg, argv[0]))
			fail("%s: error message '%s' does not name '%s'", argv[1],
			     msg ? msg : "?", argv[0]);
		else
			printf("rejected: %s\n", msg);
	}
	free_recs(&r);
	return failures ? 1 : 0;
}

/* --- results.json -------------------------------------------------------- */

static int cmd_results(int argc, char **argv)
{
	cJSON *j;
	const cJSON *metrics, *m;
	int n = 0;

	if (argc != 1)
		die("usage: ibcheck results FILE");
	j = load_json(argv[0]);
	metrics = cJSON_GetObjectItemCaseSensitive(j, "metrics");
	if (!cJSON_IsArray(metrics))
		fail("%s: no metrics array", argv[0]);
	cJSON_ArrayForEach(m, metrics)
	{
		char *label = path_text(m, "metric"), *rt = path_text(m, "runtime"),
		     *job = path_text(m, "job"), *key = path_text(m, "params_key");
		const cJSON *ci = cJSON_GetObjectItemCaseSensitive(m, "ci");
		const cJSON *rsd = cJSON_GetObjectItemCaseSensitive(m, "rsd_pct");
		const cJSON *ratio = cJSON_GetObjectItemCaseSensitive(m, "ratio_to_baseline");
		const cJSON *samples = cJSON_GetObjectItemCaseSensitive(m, "samples");
		double cnt = 0, med = NAN, lo, hi;

		n++;
		if (!num_of(m, "n", &cnt) || cnt < 1 || cnt != floor(cnt))
			fail("%s: %s/%s %s [%s]: no n >= 1", argv[0], rt, job, label, key);
		if (!cJSON_IsArray(samples) || cJSON_GetArraySize(samples) != (int)cnt)
			fail("%s: %s/%s %s [%s]: n %g but %d samples", argv[0], rt, job,
			     label, key, cnt,
			     cJSON_IsArray(samples) ? cJSON_GetArraySize(samples) : -1);
		if (!num_of(m, "median", &med) || !isfinite(med))
			fail("%s: %s/%s %s [%s]: no median", argv[0], rt, job, label, key);
		{
			double p90 = NAN, p99 = NAN, mn = NAN, mx = NAN;

			if (!num_of(m, "p90", &p90) || !num_of(m, "p99", &p99) ||
			    !num_of(m, "min", &mn) || !num_of(m, "max", &mx) ||
			    !(mn <= p90 && p90 <= p99 && p99 <= mx))
				fail("%s: %s/%s %s [%s]: p90 %g and p99 %g not "
				     "ordered within [%g, %g]", argv[0], rt, job,
				     label, key, p90, p99, mn, mx);
		}
		if (!rsd || (cnt >= 2 && !cJSON_IsNumber(rsd)) ||
		    (cnt < 2 && !cJSON_IsNull(rsd)))
			fail("%s: %s/%s %s [%s]: rsd_pct missing or wrong for n=%g",
			     argv[0], rt, job, label, key, cnt);
		if (!cJSON_IsArray(ci) || cJSON_GetArraySize(ci) != 2 ||
		    !cJSON_IsNumber(cJSON_GetArrayItem(ci, 0)) ||
		    !cJSON_IsNumber(cJSON_GetArrayItem(ci, 1))) {
			fail("%s: %s/%s %s [%s]: ci is not [lo, hi]", argv[0], rt, job,
			     label, key);
		} else {
			lo = cJSON_GetArrayItem(ci, 0)->valuedouble;
			hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
			if (!(lo <= med && med <= hi))
				fail("%s: %s/%s %s [%s]: median %g outside ci [%g, %g]",
				     argv[0], rt, job, label, key, med, lo, hi);
		}
		if (!ratio) {
			fail("%s: %s/%s %s [%s]: no ratio_to_baseline", argv[0], rt,
			     job, label, key);
		} else if (!cJSON_IsNull(ratio)) {
			double rv;
			const cJSON *rci = cJSON_GetObjectItemCaseSensitive(ratio, "ci95");

			if (!num_of(ratio, "ratio", &rv) || !(rv > 0) ||
			    !str_of(ratio, "baseline") || !cJSON_IsArray(rci))
				fail("%s: %s/%s %s [%s]: ratio_to_baseline lacks "
				     "baseline, ratio or ci95",
				     argv[0], rt, job, label, key);
			else if (str_of(m, "runtime") &&
				 !strcmp(str_of(m, "runtime"), str_of(ratio, "baseline")) &&
				 rv != 1)
				fail("%s: %s/%s %s [%s]: ratio of the baseline to itself "
				     "is %g",
				     argv[0], rt, job, label, key, rv);
		}
		free(label);
		free(rt);
		free(job);
		free(key);
	}
	if (!failures)
		printf("%s: %d metrics: ok\n", argv[0], n);
	cJSON_Delete(j);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: ibcheck probe|probe-error|results|get|rows|frames ...");
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 2, argv + 2);
	if (!strcmp(argv[1], "probe-error"))
		return cmd_probe_error(argc - 2, argv + 2);
	if (!strcmp(argv[1], "results"))
		return cmd_results(argc - 2, argv + 2);
	if (!strcmp(argv[1], "get"))
		return cmd_get(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rows"))
		return cmd_rows(argc - 2, argv + 2);
	if (!strcmp(argv[1], "frames"))
		return cmd_frames(argc - 2, argv + 2);
	die("unknown command '%s'", argv[1]);
}
