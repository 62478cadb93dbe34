/* Unit tests of src/host/plan/plan.c: plan files (ib_plan_load on files written
 * to a temporary directory): [global] keys, mode=full changing the
 * defaults while explicit values stay, job sections with benchmark=,
 * per-job runtimes, an empty section still making a job, continuation
 * lines, and errors that name the file and the right line; then
 * ib_plan_to_ini output loading back to an equal plan (the full disk test
 * list wraps over several lines), ib_plan_set and ib_plan_check. */
#include "unit.h"

#include <errno.h>
#include <unistd.h>

#include "plan/plan.h"

static char tmpdir[256];
static int nfiles;

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/isobench-test-plan-XXXXXX",
		 t && *t ? t : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return ib_rmtree(tmpdir) == 0 ? 0 : -1;
}

/* Writes text to a new file in tmpdir; returns its path (caller frees). */
static char *write_plan(const char *text)
{
	char *path = ib_xasprintf("%s/plan-%d.ini", tmpdir, ++nfiles);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Loads text into p (initialised quick); fails the test on error. */
static void load_ok(const char *text, struct ib_plan *p)
{
	char *path = write_plan(text);
	struct ib_err err = {0};

	ib_plan_init(p, 0);
	if (ib_plan_load(p, path, &err) != 0)
		fail_msg("plan rejected: %s\n---\n%s---", err.msg, text);
	assert_string_equal(p->source, path);
	free(path);
}

/* The load must fail with "PATH:LINE: " (or "PATH: " for line 0) then a
 * message containing want. */
static void load_err(const char *text, int line, const char *want)
{
	char *path = write_plan(text), prefix[512];
	struct ib_err err = {0};
	struct ib_plan p;

	ib_plan_init(&p, 0);
	if (ib_plan_load(&p, path, &err) == 0)
		fail_msg("plan accepted, expected line %d: %s\n---\n%s---", line,
			 want, text);
	assert_true(err.code < 0);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	assert_prefix(err.msg, prefix);
	assert_contains(err.msg + strlen(prefix), want);
	ib_plan_free(&p); /* a failed load leaves nothing that leaks */
	free(path);
}

static const struct ib_job *job(const struct ib_plan *p, const char *name)
{
	for (int i = 0; i < p->njobs; i++)
		if (strcmp(p->jobs[i].name, name) == 0)
			return &p->jobs[i];
	fail_msg("no job '%s'", name);
	return NULL;
}

static const char *val(const struct ib_job *j, const char *key)
{
	for (int i = 0; i < j->wl->nparams; i++)
		if (strcmp(j->wl->params[i].name, key) == 0)
			return j->value[i];
	fail_msg("job %s has no parameter %s", j->name, key);
	return NULL;
}

static int is_set(const struct ib_job *j, const char *key)
{
	for (int i = 0; i < j->wl->nparams; i++)
		if (strcmp(j->wl->params[i].name, key) == 0)
			return j->value_set[i];
	return -1;
}

static void test_global_keys(void **state)
{
	struct ib_plan p;

	(void)state;
	load_ok("; a comment\n"
		"# another\n"
		"[global]\n"
		"mode = quick\n"
		"runtimes = all , native\n"
		"rsd_target = 2.5\n"
		"min_reps = 4\n"
		"max_reps = 12\n"
		"max_time = 90s\n"
		"warmup = 2\n"
		"timeout = 5m\n"
		"baseline = native   ; inline comment\n"
		"\n"
		"[cpu]\n",
		&p);
	assert_int_equal(p.full, 0);
	assert_int_equal(p.runtimes.n, 2);
	assert_string_equal(p.runtimes.v[0], "all");
	assert_string_equal(p.runtimes.v[1], "native");
	assert_near(p.rsd_target, 2.5, 0);
	assert_int_equal(p.min_reps, 4);
	assert_int_equal(p.max_reps, 12);
	assert_near(p.max_time, 90, 0);
	assert_int_equal(p.warmup, 2);
	assert_near(p.timeout, 300, 0);
	assert_string_equal(p.baseline, "native");
	assert_true(p.set_rsd && p.set_min && p.set_max && p.set_time &&
		    p.set_warmup);
	assert_int_equal(p.njobs, 1);
	ib_plan_free(&p);
}

static void test_quick_defaults(void **state)
{
	struct ib_plan p;
	const struct ib_job *j;

	(void)state;
	load_ok("[cpu]\n", &p);
	assert_int_equal(p.full, 0);
	assert_near(p.rsd_target, 3, 0);
	assert_int_equal(p.min_reps, 3);
	assert_int_equal(p.max_reps, 10);
	assert_near(p.max_time, 6, 0);
	assert_int_equal(p.warmup, 0);
	assert_near(p.timeout, 0, 0);
	assert_string_equal(p.baseline, "native");
	assert_int_equal(p.runtimes.n, 0);
	/* an empty section still makes a job, with the defaults */
	assert_int_equal(p.njobs, 1);
	j = job(&p, "cpu");
	assert_string_equal(j->wl->name, "cpu");
	assert_string_equal(val(j, "duration"), "1");
	assert_string_equal(val(j, "threads"), "0");
	assert_int_equal(is_set(j, "duration"), 0);
	assert_int_equal(j->runtimes.n, 0);
	ib_plan_free(&p);
}

static void test_mode_full(void **state)
{
	struct ib_plan p;
	const struct ib_job *j;

	(void)state;
	/* explicit values stay whatever their order relative to mode; the
	 * [global] section applies first even when it comes last */
	load_ok("[cpu]\n"
		"threads = 2\n"
		"[disk]\n"
		"size = 2g\n"
		"[global]\n"
		"min_reps = 4\n"
		"mode = full\n"
		"warmup = 0\n",
		&p);
	assert_int_equal(p.full, 1);
	assert_int_equal(p.min_reps, 4);  /* explicit */
	assert_int_equal(p.warmup, 0);    /* explicit, full would be 1 */
	assert_int_equal(p.max_reps, 30); /* full defaults */
	assert_near(p.max_time, 120, 0);
	assert_near(p.rsd_target, 3, 0);
	j = job(&p, "cpu");
	assert_string_equal(val(j, "threads"), "2");
	assert_string_equal(val(j, "duration"), "5"); /* full default */
	j = job(&p, "disk");
	assert_string_equal(val(j, "size"), "2g");
	assert_string_equal(val(j, "duration"), "3");
	assert_string_equal(val(j, "tests"),
			    ib_param_default(ib_param_find(j->wl, "tests"), 1));
	ib_plan_free(&p);
	/* and mode = quick on a plan initialised full goes back */
	{
		char *path = write_plan("[global]\nmode = quick\n[ctxsw]\n");
		struct ib_err err = {0};

		ib_plan_init(&p, 1);
		assert_int_equal(ib_plan_load(&p, path, &err), 0);
		assert_int_equal(p.full, 0);
		assert_int_equal(p.max_reps, 10);
		assert_string_equal(val(job(&p, "ctxsw"), "duration"), "0.5");
		ib_plan_free(&p);
		free(path);
	}
}

static void test_jobs(void **state)
{
	struct ib_plan p;
	const struct ib_job *j;

	(void)state;
	load_ok("[big-disk]\n"
		"benchmark = disk\n"
		"size = 1g\n"
		"runtimes =  native \n"
		"\n"
		"[small-disk]\n"
		"size = 64m\n"
		"benchmark = disk\n"
		"[cpu]\n"
		"duration: 0.25\n", /* ':' separates too */
		&p);
	assert_int_equal(p.njobs, 3);
	/* in file order */
	assert_string_equal(p.jobs[0].name, "big-disk");
	assert_string_equal(p.jobs[1].name, "small-disk");
	assert_string_equal(p.jobs[2].name, "cpu");
	j = job(&p, "big-disk");
	assert_string_equal(j->wl->name, "disk");
	assert_string_equal(val(j, "size"), "1g");
	assert_int_equal(is_set(j, "size"), 1);
	assert_int_equal(is_set(j, "duration"), 0);
	assert_int_equal(j->runtimes.n, 1);
	assert_string_equal(j->runtimes.v[0], "native");
	j = job(&p, "small-disk");
	assert_string_equal(j->wl->name, "disk");
	assert_string_equal(val(j, "size"), "64m");
	assert_int_equal(j->runtimes.n, 0);
	assert_string_equal(val(job(&p, "cpu"), "duration"), "0.25");
	ib_plan_free(&p);
}

static void test_continuation(void **state)
{
	struct ib_plan p;
	const struct ib_job *j;

	(void)state;
	load_ok("[memlat]\n"
		"chains = seq,\n"
		"    rand\n"
		"stride = 128\n"
		"[syscall]\n"
		"calls = getppid\n"        /* no trailing comma: one is added */
		"\tread,write  ; a comment, not part of the value\n"
		"  ; a comment line, not a continuation\n"
		"   stat\n"
		"[disk]\n"
		"tests = seqread-4k-qd1,seqread-1m-qd1,\n"
		"    randread-4k-qd32,\n"
		"    randwrite-4k-fsync\n",
		&p);
	j = job(&p, "memlat");
	assert_string_equal(val(j, "chains"), "seq,rand");
	assert_string_equal(val(j, "stride"), "128");
	assert_string_equal(val(job(&p, "syscall"), "calls"),
			    "getppid,read,write,stat");
	assert_string_equal(val(job(&p, "disk"), "tests"),
			    "seqread-4k-qd1,seqread-1m-qd1,randread-4k-qd32,"
			    "randwrite-4k-fsync");
	ib_plan_free(&p);
}

/* The example of docs/plan-format.md, verbatim: inline comments
 * everywhere, also on a continuation line. */
static void test_docs_example(void **state)
{
	struct ib_plan p;
	const struct ib_job *j;

	(void)state;
	load_ok(
		"; comments start with ; or #\n"
		"[global]\n"
		"mode = quick             ; or full: the defaults of parameters and policy\n"
		"runtimes = native        ; comma-separated, or all (every usable runtime)\n"
		"rsd_target = 3           ; percent: a cell stops when every metric is under\n"
		"min_reps = 3             ; launches per cell at least ...\n"
		"max_reps = 10            ; ... and at most\n"
		"max_time = 6             ; seconds per cell, once min_reps is met\n"
		"warmup = 0               ; uncounted launches per cell first\n"
		"timeout = 600            ; seconds per launch (0: the default, 600)\n"
		"baseline = native        ; the runtime ratios refer to\n"
		"\n"
		"[cpu]                    ; a job: its benchmark is its name ...\n"
		"threads = 2\n"
		"reps_per_launch = 1      ; repetitions per probe launch, each one sample\n"
		"                         ; (default 1; membw 3 in the quick suite)\n"
		"\n"
		"[big-disk]               ; ... unless benchmark= says otherwise\n"
		"benchmark = disk\n"
		"size = 1g\n"
		"tests = randread-4k-qd1,randread-4k-qd32,\n"
		"    randwrite-4k-fsync   ; an indented line continues the value\n"
		"runtimes = native        ; this job only on these runtimes\n",
		&p);
	assert_int_equal(p.runtimes.n, 1);
	assert_string_equal(p.runtimes.v[0], "native");
	assert_near(p.timeout, 600, 0);
	assert_string_equal(p.baseline, "native");
	assert_int_equal(p.njobs, 2);
	assert_string_equal(val(job(&p, "cpu"), "threads"), "2");
	assert_int_equal(job(&p, "cpu")->reps_per_launch, 1);
	j = job(&p, "big-disk");
	assert_string_equal(j->wl->name, "disk");
	assert_string_equal(val(j, "size"), "1g");
	assert_string_equal(val(j, "tests"),
			    "randread-4k-qd1,randread-4k-qd32,randwrite-4k-fsync");
	assert_int_equal(j->runtimes.n, 1);
	ib_plan_free(&p);
}

static void test_crlf(void **state)
{
	struct ib_plan p;

	(void)state;
	load_ok("[global]\r\nwarmup = 3\r\n\r\n[cpu]\r\nthreads = 4\r\n", &p);
	assert_int_equal(p.warmup, 3);
	assert_string_equal(val(job(&p, "cpu"), "threads"), "4");
	ib_plan_free(&p);
}

static void test_errors(void **state)
{
	(void)state;
	load_err("; comment\n[global]\nmode = quick\nrepeat = 3\n[cpu]\n", 4,
		 "unknown key 'repeat' in [global]");
	load_err("[global]\nmode = fast\n[cpu]\n", 2, "mode must be quick or full");
	load_err("[global]\nmin_reps = 0\n[cpu]\n", 2, "min_reps must be 1..10000");
	load_err("[global]\nmax_reps = x\n[cpu]\n", 2, "max_reps must be 1..10000");
	load_err("[global]\n\nrsd_target = 0\n[cpu]\n", 3, "rsd_target must be");
	load_err("[global]\nmax_time = 0\n[cpu]\n", 2, "max_time must be");
	load_err("[global]\nwarmup = 101\n[cpu]\n", 2, "warmup must be 0..100");
	load_err("[global]\ntimeout = soon\n[cpu]\n", 2, "timeout must be a duration");
	load_err("[global]\nruntimes = ,\n[cpu]\n", 2, "runtimes is empty");
	/* runtime names are checked against the registry, with the line */
	load_err("[global]\nruntimes = native,nosuch\n[cpu]\n", 2,
		 "unknown runtime 'nosuch' (known: native");
	load_err("[global]\n\nbaseline = nosuch\n[cpu]\n", 3,
		 "unknown runtime 'nosuch'");
	load_err("[cpu]\nthreads = 1\nruntimes = native, all\n", 3,
		 "[cpu]: unknown runtime 'all'");
	load_err("[cpu]\nruntimes = ,\n", 2, "[cpu]: runtimes is empty");
	/* parameters */
	load_err("[cpu]\nthreads = 1\nfoo = 2\n", 3,
		 "cpu: unknown parameter 'foo' for benchmark cpu (known: "
		 "max_prime, threads, duration, reps_per_launch, scratch, neighbour)");
	load_err("[cpu]\n\nthreads = lots\n", 3,
		 "cpu (benchmark cpu): parameter threads: 'lots' is not a whole "
		 "number");
	load_err("[fast]\nbenchmark = cpu\nduration = 1h\n", 3,
		 "fast (benchmark cpu): parameter duration:");
	load_err("[memlat]\nchains = seq,,rand\n", 2, "empty item in the list");
	load_err("[memlat]\nchains = seq,\n   bogus\n", 2, "'bogus' is not one of");
	/* benchmarks */
	load_err("[cpu]\n[gpu]\n", 2, "unknown benchmark 'gpu' (known: cpu, membw");
	load_err("[x]\n\nbenchmark = tpu\n", 3, "unknown benchmark 'tpu'");
	/* structure */
	load_err("[disk]\nsize = 1g\nsize = 2g\n", 3, "'size' is set twice in [disk]");
	load_err("[global]\nwarmup = 1\n[cpu]\n[global]\n", 4, "a second [global]");
	load_err("; header\n\nmode = full\n[cpu]\n", 3,
		 "'mode' is outside any [section]");
	load_err("[cpu]\nthreads\n", 2, "not a valid line");
	load_err("[cpu]\nthreads = 1\n[disk\n", 3, "not a valid line");
	load_err("[cpu]\n[]\n", 2, "a section needs a name");
	load_err("[cpu]\n[cpu]\n", 2, "job 'cpu' is defined twice");
	load_err("[global]\nmode = full\n", 0, "the plan has no jobs");
	load_err("", 0, "the plan has no jobs");
	load_err("; only a comment\n", 0, "the plan has no jobs");
}

static void test_long_lines(void **state)
{
	char text[1024], *line;
	struct ib_plan p;

	(void)state;
	/* "runtimes = " and a value: 197 characters in all load (the value:
	 * "native" and 45 x ",all", 186 characters of known names) */
	strcpy(text, "[cpu]\n[global]\n");
	line = text + strlen(text);
	strcpy(line, "runtimes = native");
	for (int i = 0; i < 45; i++)
		strcat(line, ",all");
	strcat(line, "\n");
	assert_int_equal(strlen(line), 198);
	load_ok(text, &p);
	assert_int_equal(p.runtimes.n, 46);
	ib_plan_free(&p);
	/* the same with CRLF */
	line[strlen(line) - 1] = '\0';
	strcat(line, "\r\n");
	load_ok(text, &p);
	assert_int_equal(p.runtimes.n, 46);
	ib_plan_free(&p);
	/* longer lines are an error naming the line, not silently split */
	sprintf(line, "baseline = %0189d\n", 7);
	assert_int_equal(strlen(line), 201);
	load_err(text, 3, "line too long");
	sprintf(line, "baseline = %0500d\nwarmup = 1\n", 7);
	load_err(text, 3, "line too long");
	/* also at the very end of a file without a final newline */
	sprintf(line, "baseline = %0300d", 7);
	load_err(text, 3, "line too long");
	/* and in a comment */
	sprintf(text, "[cpu]\n;%0250d\n", 1);
	load_err(text, 2, "line too long");
}

static void test_missing_file(void **state)
{
	struct ib_plan p;
	struct ib_err err = {0};
	char *path = ib_xasprintf("%s/does-not-exist.ini", tmpdir);

	(void)state;
	ib_plan_init(&p, 0);
	assert_int_equal(ib_plan_load(&p, path, &err), -ENOENT);
	assert_contains(err.msg, "cannot read plan");
	assert_contains(err.msg, path);
	ib_plan_free(&p);
	free(path);
}

/* Section names are trimmed; keys under such a section belong to it. */
static void test_section_names(void **state)
{
	struct ib_plan p;
	char text[512];
	const char *longname =
		"a-very-long-job-name-that-is-longer-than-fifty-characters";

	(void)state;
	load_ok("[ cpu ]\nthreads = 3\n[\tdisk]\n", &p);
	assert_int_equal(p.njobs, 2);
	assert_string_equal(val(job(&p, "cpu"), "threads"), "3");
	assert_string_equal(job(&p, "disk")->wl->name, "disk");
	ib_plan_free(&p);
	/* a name longer than inih's own section buffer (50 bytes) */
	assert_true(strlen(longname) > 50);
	snprintf(text, sizeof(text), "[%s]\nbenchmark = syscall\nduration = 0.1\n",
		 longname);
	load_ok(text, &p);
	assert_string_equal(p.jobs[0].name, longname);
	assert_string_equal(p.jobs[0].wl->name, "syscall");
	assert_string_equal(val(&p.jobs[0], "duration"), "0.1");
	ib_plan_free(&p);
}

static void test_bom(void **state)
{
	struct ib_plan p;

	(void)state;
	/* a UTF-8 byte order mark, as some editors write */
	load_ok("\xef\xbb\xbf[global]\nmode = full\n[cpu]\n", &p);
	assert_int_equal(p.full, 1);
	assert_int_equal(p.njobs, 1);
	ib_plan_free(&p);
	load_ok("\xef\xbb\xbf[cpu]\nthreads = 2\n", &p);
	assert_string_equal(val(job(&p, "cpu"), "threads"), "2");
	ib_plan_free(&p);
}

static void test_too_many_jobs(void **state)
{
	struct ib_buf b = {0};
	struct ib_plan p;

	(void)state;
	/* 256 jobs are fine */
	ib_buf_puts(&b, "[global]\nwarmup = 1\n");
	for (int i = 0; i < 256; i++)
		ib_buf_printf(&b, "[j%d]\nbenchmark = cpu\n", i);
	load_ok(b.s, &p);
	assert_int_equal(p.njobs, 256);
	ib_plan_free(&p);
	/* one more is an error, not a job silently dropped */
	ib_buf_puts(&b, "[extra]\nbenchmark = cpu\n");
	load_err(b.s, 2 + 2 * 256 + 1, "more than 256 jobs");
	ib_buf_free(&b);
	ib_buf_puts(&b, "[global]\nwarmup = 1\n");
	for (int i = 0; i < 257; i++)
		ib_buf_printf(&b, "[j%d]\n", i);
	load_err(b.s, 2 + 257, "more than 256 jobs");
	ib_buf_free(&b);
}

static void assert_plans_equal(const struct ib_plan *a, const struct ib_plan *b)
{
	char x[64], y[64];

	assert_int_equal(a->full, b->full);
	/* no runtimes means all of them, and is written "all" */
	if (a->runtimes.n == 0) {
		assert_int_equal(b->runtimes.n, 1);
		assert_string_equal(b->runtimes.v[0], "all");
	} else {
		assert_int_equal(a->runtimes.n, b->runtimes.n);
		for (int i = 0; i < a->runtimes.n; i++)
			assert_string_equal(a->runtimes.v[i], b->runtimes.v[i]);
	}
	snprintf(x, sizeof(x), "%.10g", a->rsd_target);
	snprintf(y, sizeof(y), "%.10g", b->rsd_target);
	assert_string_equal(x, y);
	assert_int_equal(a->min_reps, b->min_reps);
	assert_int_equal(a->max_reps, b->max_reps);
	assert_near(a->max_time, b->max_time, 0);
	assert_int_equal(a->warmup, b->warmup);
	assert_near(a->timeout, b->timeout, 0);
	assert_string_equal(a->baseline, b->baseline);
	assert_int_equal(a->njobs, b->njobs);
	for (int j = 0; j < a->njobs; j++) {
		const struct ib_job *ja = &a->jobs[j], *jb = &b->jobs[j];

		assert_string_equal(ja->name, jb->name);
		assert_ptr_equal(ja->wl, jb->wl);
		for (int i = 0; i < ja->wl->nparams; i++)
			assert_string_equal(ja->value[i], jb->value[i]);
		assert_int_equal(ja->runtimes.n, jb->runtimes.n);
		for (int i = 0; i < ja->runtimes.n; i++)
			assert_string_equal(ja->runtimes.v[i], jb->runtimes.v[i]);
	}
}

/* to_ini, written and loaded back, gives an equal plan; every line of it
 * fits inih's limit. */
static void round_trip(const struct ib_plan *p)
{
	char *ini = ib_plan_to_ini(p), *path;
	struct ib_plan q;
	struct ib_err err = {0};

	assert_non_null(ini);
	for (const char *l = ini; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		if (n > 197)
			fail_msg("to_ini line of %zu characters: %.60s...", n, l);
		l += n + (nl ? 1 : 0);
	}
	path = write_plan(ini);
	ib_plan_init(&q, 0);
	if (ib_plan_load(&q, path, &err) != 0)
		fail_msg("to_ini output does not load: %s\n---\n%s---", err.msg,
			 ini);
	assert_plans_equal(p, &q);
	assert_int_equal(ib_plan_check(&q, &err), 0);
	ib_plan_free(&q);
	free(path);
	free(ini);
}

/* The run's noisy neighbour: its kind and CPU from [global], refused
 * when unknown, kept when the plan is written back. */
static void test_neighbour(void **state)
{
	struct ib_plan p;

	(void)state;
	load_ok("[global]\n[cpu]\n", &p);
	assert_string_equal(p.neighbour, "none");
	assert_int_equal(p.neighbour_cpu, -1);
	ib_plan_free(&p);
	load_ok("[global]\nneighbour = membw\nneighbour_cpu = 1\n[cpu]\n", &p);
	assert_string_equal(p.neighbour, "membw");
	assert_int_equal(p.neighbour_cpu, 1);
	round_trip(&p);
	ib_plan_free(&p);
	load_err("[global]\nneighbour = noisy\n[cpu]\n", 2,
		 "neighbour must be one of none,cpu,membw,cache, not 'noisy'");
	load_err("[global]\nneighbour_cpu = 2048\n[cpu]\n", 2,
		 "neighbour_cpu must be a CPU number");
	/* a job's own, in place of the plan's while its cells run */
	load_ok("[global]\nneighbour = cache\n[cpu]\n[cpu-nb]\nbenchmark = cpu\n"
		"neighbour = cpu\n[quiet]\nbenchmark = cpu\nneighbour = none\n", &p);
	assert_null(p.jobs[0].neighbour);
	assert_string_equal(p.jobs[1].neighbour, "cpu");
	assert_string_equal(p.jobs[2].neighbour, "none");
	round_trip(&p);
	ib_plan_free(&p);
	load_err("[cpu]\nneighbour = loud\n", 2,
		 "cpu: neighbour must be one of none,cpu,membw,cache, not 'loud'");
}

/* The shipped tuning study (plans/tuning.ini) loads and is what its
 * comments say: the untuned VM the baseline, the knobs one at a time,
 * two containers, cpu and jitter also beside a neighbour on CPU 0, four
 * launches a cell at least (the permutation test's minimum for p < 0.05). */
static void test_tuning_plan(void **state)
{
	const char *dir = getenv("PLANS_DIR");
	char *path;
	struct ib_plan p;
	struct ib_err err = {0};
	int nb = 0;

	(void)state;
	assert_non_null(dir);
	path = ib_xasprintf("%s/tuning.ini", dir);
	ib_plan_init(&p, 0);
	if (ib_plan_load(&p, path, &err) != 0 || ib_plan_check(&p, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	assert_string_equal(p.baseline, "qemu");
	assert_int_equal(p.runtimes.n, 7);
	assert_string_equal(p.runtimes.v[0], "qemu");
	assert_string_equal(p.runtimes.v[2], "qemu:pin=vcpu,emulator=isolated");
	assert_string_equal(p.runtimes.v[4], "qemu:pin=vcpu,emulator=isolated,"
					     "mem=hugetlb,hugepage=1G");
	assert_string_equal(p.runtimes.v[6], "runc:cpuset=0");
	assert_int_equal(p.cpus, 1);
	assert_int_equal(p.min_reps, 4);
	assert_int_equal(p.neighbour_cpu, 0);
	for (int j = 0; j < p.njobs; j++)
		if (p.jobs[j].neighbour) {
			assert_string_equal(p.jobs[j].neighbour, "cpu");
			nb++;
		}
	assert_int_equal(nb, 2);
	ib_plan_free(&p);
	free(path);
	/* the full study: full mode, ten launches, every job also beside
	 * the neighbour */
	path = ib_xasprintf("%s/tuning-full.ini", dir);
	ib_plan_init(&p, 0);
	if (ib_plan_load(&p, path, &err) != 0 || ib_plan_check(&p, &err) != 0)
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(p.full, 1);
	assert_int_equal(p.min_reps, 10);
	assert_int_equal(p.runtimes.n, 7);
	nb = 0;
	for (int j = 0; j < p.njobs; j++)
		nb += p.jobs[j].neighbour != NULL;
	assert_int_equal(p.njobs, 18);
	assert_int_equal(nb, 9);
	ib_plan_free(&p);
	free(path);
}

/* The run's THP mode: keep by default, the three modes, refused else,
 * kept when the plan is written back. */
static void test_thp(void **state)
{
	struct ib_plan p;

	(void)state;
	load_ok("[cpu]\n", &p);
	assert_string_equal(p.thp, "keep");
	ib_plan_free(&p);
	load_ok("[global]\nthp = never\n[cpu]\n", &p);
	assert_string_equal(p.thp, "never");
	round_trip(&p);
	ib_plan_free(&p);
	load_err("[global]\nthp = sometimes\n[cpu]\n", 2,
		 "thp must be one of keep,always,madvise,never, not 'sometimes'");
}

/* A spec's own options are comma-separated too: an item "option=value"
 * continues the spec before it, in -r and in plan files, and the plan
 * written back reads the same. */
static void test_split_runtimes(void **state)
{
	struct ib_strv v = {0};
	struct ib_plan p;

	(void)state;
	ib_plan_split_runtimes(&v, "native, runc:lifecycle=run,cpuset=0+1,"
			       "qemu:pin=vcpu,gvisor");
	assert_int_equal(v.n, 4);
	assert_string_equal(v.v[0], "native");
	assert_string_equal(v.v[1], "runc:lifecycle=run,cpuset=0+1");
	assert_string_equal(v.v[2], "qemu:pin=vcpu");
	assert_string_equal(v.v[3], "gvisor");
	ib_strv_free(&v);
	/* a leading option has no spec to continue: kept (and refused by
	 * the spec parser as an unknown runtime) */
	ib_plan_split_runtimes(&v, "cpuset=1,native");
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[0], "cpuset=1");
	ib_strv_free(&v);
	load_ok("[global]\nruntimes = native,runc:lifecycle=run,cpuset=0\n"
		"[cpu]\n", &p);
	assert_int_equal(p.runtimes.n, 2);
	assert_string_equal(p.runtimes.v[1], "runc:lifecycle=run,cpuset=0");
	round_trip(&p);
	ib_plan_free(&p);
}

static void test_to_ini_round_trip(void **state)
{
	struct ib_plan p;
	struct ib_err err = {0};
	struct ib_job *j;
	char *ini;

	(void)state;
	/* full mode: the disk tests default is longer than an inih line */
	ib_plan_init(&p, 1);
	ib_strv_split(&p.runtimes, "all,native");
	p.rsd_target = 1.25;
	p.set_rsd = 1;
	p.timeout = 0.5;
	free(p.baseline);
	p.baseline = ib_xstrdup("native");
	ib_plan_add_default_jobs(&p);
	j = ib_plan_add_job(&p, "fast-io", "disk", &err);
	assert_non_null(j);
	assert_int_equal(ib_job_set(j, "size", "64m", &err), 0);
	assert_int_equal(ib_job_set(j, "tests", "randread-4k-qd1", &err), 0);
	ib_strv_split(&j->runtimes, "native");
	assert_int_equal(ib_plan_set(&p, "memlat.chains=rand", &err), 0);
	ini = ib_plan_to_ini(&p);
	assert_contains(ini, "[global]\nmode = full\nruntimes = all,native\n");
	assert_contains(ini, "\n[fast-io]\nbenchmark = disk\nreps_per_launch = 1\n"
			     "scratch = bind\nruntimes = native\n");
	assert_contains(ini, "\n    "); /* the disk tests list wraps */
	free(ini);
	round_trip(&p);
	ib_plan_free(&p);

	/* quick mode, from a plan file, a job's name not its benchmark */
	load_ok("[global]\nruntimes = native\nwarmup = 2\n"
		"[a]\nbenchmark = memlat\nmin_size = 8k\n[b]\nbenchmark = ctxsw\n",
		&p);
	round_trip(&p);
	ib_plan_free(&p);

	/* long lists of every kind in quick mode too */
	ib_plan_init(&p, 0);
	ib_strv_split(&p.runtimes, "native");
	ib_plan_add_default_jobs(&p);
	assert_int_equal(ib_plan_set(&p, "disk.tests="
				     "seqread-4k-qd1,seqread-1m-qd1,randread-4k-qd1,"
				     "randread-1m-qd1,seqread-4k-qd32,seqread-1m-qd32,"
				     "randread-4k-qd32,randread-1m-qd32,seqwrite-4k-qd1,"
				     "seqwrite-1m-qd1,randwrite-4k-fsync",
				     &err),
			 0);
	round_trip(&p);
	ib_plan_free(&p);
}

static void test_to_ini_long_source(void **state)
{
	struct ib_plan p;
	char *dir = ib_xasprintf("%s/%0150d", tmpdir, 0), *path, *ini;
	struct ib_err err = {0};
	FILE *f;

	(void)state;
	/* a plan loaded from a deep path: the comment naming it must not
	 * make plan.ini unloadable */
	assert_int_equal(ib_mkdirs(dir, 0755, &err), 0);
	path = ib_xasprintf("%s/plan.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[cpu]\n", f);
	fclose(f);
	ib_plan_init(&p, 0);
	assert_int_equal(ib_plan_load(&p, path, &err), 0);
	ini = ib_plan_to_ini(&p);
	assert_contains(ini, "[cpu]\n");
	free(ini);
	round_trip(&p);
	ib_plan_free(&p);
	free(path);
	free(dir);
}

static void test_plan_set(void **state)
{
	struct ib_plan p;
	struct ib_err err = {0};

	(void)state;
	load_ok("[cpu]\n[big]\nbenchmark = disk\n[small]\nbenchmark = disk\n", &p);
	assert_int_equal(ib_plan_set(&p, "cpu.threads=4", &err), 0);
	assert_string_equal(val(job(&p, "cpu"), "threads"), "4");
	assert_int_equal(is_set(job(&p, "cpu"), "threads"), 1);
	/* by benchmark: every job of it */
	assert_int_equal(ib_plan_set(&p, "disk.size=1g", &err), 0);
	assert_string_equal(val(job(&p, "big"), "size"), "1g");
	assert_string_equal(val(job(&p, "small"), "size"), "1g");
	/* by job name: that job only */
	assert_int_equal(ib_plan_set(&p, "small.size=2m", &err), 0);
	assert_string_equal(val(job(&p, "big"), "size"), "1g");
	assert_string_equal(val(job(&p, "small"), "size"), "2m");
	/* the value may hold '=' and '.' */
	assert_int_equal(ib_plan_set(&p, "cpu.duration=0.5", &err), 0);
	assert_string_equal(val(job(&p, "cpu"), "duration"), "0.5");
	/* errors */
	assert_int_equal(ib_plan_set(&p, "cpu.threads", &err), -EINVAL);
	assert_contains(err.msg, "expected BENCHMARK.PARAM=VALUE");
	assert_int_equal(ib_plan_set(&p, "threads=4", &err), -EINVAL);
	assert_contains(err.msg, "expected BENCHMARK.PARAM=VALUE");
	assert_int_equal(ib_plan_set(&p, ".threads=4", &err), -EINVAL);
	assert_contains(err.msg, "expected BENCHMARK.PARAM=VALUE");
	assert_int_equal(ib_plan_set(&p, "cpu.=4", &err), -EINVAL);
	assert_contains(err.msg, "expected BENCHMARK.PARAM=VALUE");
	assert_int_equal(ib_plan_set(&p, "cpu=x.y", &err), -EINVAL);
	assert_contains(err.msg, "expected BENCHMARK.PARAM=VALUE");
	assert_int_equal(ib_plan_set(&p, "gpu.threads=4", &err), -EINVAL);
	assert_contains(err.msg, "no selected job or benchmark is called 'gpu'");
	assert_int_equal(ib_plan_set(&p, "cpu.foo=1", &err), -EINVAL);
	assert_contains(err.msg, "unknown parameter 'foo' for benchmark cpu");
	assert_int_equal(ib_plan_set(&p, "cpu.threads=x", &err), -EINVAL);
	assert_contains(err.msg, "'x' is not a whole number");
	assert_int_equal(ib_plan_set(&p, "cpu.threads=", &err), -EINVAL);
	/* failed sets changed nothing */
	assert_string_equal(val(job(&p, "cpu"), "threads"), "4");
	ib_plan_free(&p);
}

static void test_plan_check(void **state)
{
	struct ib_plan p;
	struct ib_err err = {0};

	(void)state;
	ib_plan_init(&p, 0);
	assert_int_equal(ib_plan_check(&p, &err), -EINVAL);
	assert_contains(err.msg, "nothing to run");
	ib_plan_add_default_jobs(&p);
	{
		/* every benchmark (the applications too), and no probe-only
		 * workload (serve) nor one that runs only when asked for
		 * (none now) */
		int benchmarks = 0, nginx = 0, mariadb = 0;

		for (int i = 0; i < ib_nworkloads; i++)
			benchmarks += !(ib_workloads[i].traits &
					(IB_WL_PROBE_ONLY | IB_WL_OPT_IN));
		assert_true(benchmarks < ib_nworkloads);
		assert_int_equal(p.njobs, benchmarks);
		for (int i = 0; i < p.njobs; i++) {
			nginx += !strcmp(p.jobs[i].wl->name, "nginx");
			mariadb += !strcmp(p.jobs[i].wl->name, "mariadb");
		}
		assert_int_equal(nginx, 1);
		assert_int_equal(mariadb, 1);
		for (int i = 0; i < p.njobs; i++)
			assert_false(p.jobs[i].wl->traits &
				     (IB_WL_PROBE_ONLY | IB_WL_OPT_IN));
	}
	assert_int_equal(ib_plan_check(&p, &err), 0);
	p.min_reps = 5;
	p.max_reps = 2;
	assert_int_equal(ib_plan_check(&p, &err), -EINVAL);
	assert_contains(err.msg, "min_reps (5) is above max_reps (2)");
	p.max_reps = 5;
	assert_int_equal(ib_plan_check(&p, &err), 0);
	ib_plan_free(&p);
	/* from a file: the load succeeds, the check names the file */
	load_ok("[global]\nmin_reps = 20\nmax_reps = 2\n[cpu]\n", &p);
	assert_int_equal(ib_plan_check(&p, &err), -EINVAL);
	assert_prefix(err.msg, tmpdir);
	assert_contains(err.msg, "min_reps (20) is above max_reps (2)");
	ib_plan_free(&p);
}

static void test_probe_args(void **state)
{
	struct ib_plan p;
	struct ib_strv args = {0};

	(void)state;
	load_ok("[memlat]\nchains = rand\nreps_per_launch = 1\n", &p);
	ib_job_probe_args(&p.jobs[0], &args);
	assert_int_equal(args.n, 6);
	assert_string_equal(args.v[0], "memlat");
	assert_string_equal(args.v[1], "min_size=4k");
	assert_string_equal(args.v[4], "chains=rand");
	assert_string_equal(args.v[5], "duration=0.03");
	ib_strv_free(&args);
	ib_plan_free(&p);
}

/* reps_per_launch: 3 for membw and memlat in the quick suite, 1 otherwise and in the
 * full suite; an explicit value survives a change of mode; the probe gets
 * --reps N before the workload. */
static void test_reps_per_launch(void **state)
{
	struct ib_plan p;
	struct ib_strv args = {0};
	struct ib_err err = {0};

	(void)state;
	load_ok("[membw]\n[cpu]\n[memlat]\n[disk]\nreps_per_launch = 2\n", &p);
	assert_int_equal(job(&p, "membw")->reps_per_launch, 3);
	assert_int_equal(job(&p, "memlat")->reps_per_launch, 3);
	assert_int_equal(job(&p, "cpu")->reps_per_launch, 1);
	assert_int_equal(job(&p, "disk")->reps_per_launch, 2);
	ib_plan_apply_mode(&p, 1);
	assert_int_equal(job(&p, "membw")->reps_per_launch, 1);
	assert_int_equal(job(&p, "disk")->reps_per_launch, 2);
	ib_plan_apply_mode(&p, 0);
	ib_job_probe_args(job(&p, "membw"), &args);
	assert_string_equal(args.v[0], "--reps");
	assert_string_equal(args.v[1], "3");
	assert_string_equal(args.v[2], "membw");
	ib_strv_free(&args);
	ib_job_probe_args(job(&p, "cpu"), &args);
	assert_string_equal(args.v[0], "cpu");
	ib_strv_free(&args);
	assert_int_equal(ib_plan_set(&p, "cpu.reps_per_launch=0", &err), -EINVAL);
	assert_contains(err.msg, "reps_per_launch: '0' is not a whole number "
			"from 1 to 1000");
	ib_plan_free(&p);
	load_err("[cpu]\nreps_per_launch = many\n", 2, "reps_per_launch");
	/* scratch: bind (default) or rootfs */
	load_ok("[disk]\nscratch = rootfs\n[cpu]\n", &p);
	assert_int_equal(job(&p, "disk")->scratch_rootfs, 1);
	assert_int_equal(job(&p, "cpu")->scratch_rootfs, 0);
	ib_plan_free(&p);
	load_err("[disk]\nscratch = tmpfs\n", 2, "scratch: 'tmpfs' is not bind or rootfs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_keys),
		cmocka_unit_test(test_quick_defaults),
		cmocka_unit_test(test_mode_full),
		cmocka_unit_test(test_jobs),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_docs_example),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_section_names),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_too_many_jobs),
		cmocka_unit_test(test_split_runtimes),
		cmocka_unit_test(test_neighbour),
		cmocka_unit_test(test_thp),
		cmocka_unit_test(test_tuning_plan),
		cmocka_unit_test(test_to_ini_round_trip),
		cmocka_unit_test(test_to_ini_long_source),
		cmocka_unit_test(test_plan_set),
		cmocka_unit_test(test_plan_check),
		cmocka_unit_test(test_probe_args),
		cmocka_unit_test(test_reps_per_launch),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
