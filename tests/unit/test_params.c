/* Unit tests of src/common/params.c, the workload catalogue and the value
 * parsers both binaries share: ib_parse_size (suffixes, overflow, junk),
 * ib_parse_seconds (units, junk), ib_parse_count, ib_param_check (ranges,
 * choices, lists with empty items, extra checks), ib_disk_test_parse, and
 * the catalogue itself (every default passes its own check). */
#include "unit.h"

#include "common/params.h"
#include "common/protocol.h"

static void size_ok(const char *s, uint64_t want)
{
	uint64_t v = 12345;

	if (ib_parse_size(s, &v) != 0)
		fail_msg("ib_parse_size(\"%s\") failed", s);
	if (v != want)
		fail_msg("ib_parse_size(\"%s\") = %llu, want %llu", s,
			 (unsigned long long)v, (unsigned long long)want);
}

static void size_bad(const char *s)
{
	uint64_t v = 12345;

	if (ib_parse_size(s, &v) != -1)
		fail_msg("ib_parse_size(\"%s\") accepted (%llu)", s ? s : "NULL",
			 (unsigned long long)v);
	assert_int_equal(v, 12345); /* untouched on failure */
}

static void test_parse_size(void **state)
{
	(void)state;
	size_ok("0", 0);
	size_ok("4096", 4096);
	size_ok("4k", 4096);
	size_ok("4K", 4096);
	size_ok("256m", 256ULL << 20);
	size_ok("1g", 1ULL << 30);
	size_ok("2T", 2ULL << 40);
	size_ok("1KiB", 1024);
	size_ok("1kib", 1024);
	size_ok("4kb", 4096);
	size_ok("4kB", 4096);
	size_ok("3MB", 3ULL << 20);
	size_ok("18446744073709551615", UINT64_MAX);
	size_ok("16777215t", 16777215ULL << 40); /* the largest in t */
	size_bad("16777216t");                   /* 2^64: overflow */
	size_bad("17179869184g");
	size_bad("18446744073709551616");         /* strtoull overflow */
	size_bad("-1");
	size_bad("-4k");
	size_bad("+4k");
	size_bad("");
	size_bad(NULL);
	size_bad(" 4k");
	size_bad("4 k");
	size_bad("4k ");
	size_bad("4kx");
	size_bad("4kbb");
	size_bad("4kib2");
	size_bad("4x");
	size_bad("4b"); /* a suffix without a multiplier */
	size_bad("4ib");
	size_bad("k");
	size_bad("1.5g");
	size_bad("0x10");
}

static void seconds_ok(const char *s, double want)
{
	double v = -7;

	if (ib_parse_seconds(s, &v) != 0)
		fail_msg("ib_parse_seconds(\"%s\") failed", s);
	assert_near(v, want, want * 1e-12);
}

static void seconds_bad(const char *s)
{
	double v = -7;

	if (ib_parse_seconds(s, &v) != -1)
		fail_msg("ib_parse_seconds(\"%s\") accepted (%g)", s ? s : "NULL",
			 v);
	assert_near(v, -7, 0);
}

static void test_parse_seconds(void **state)
{
	(void)state;
	seconds_ok("2", 2);
	seconds_ok("0", 0);
	seconds_ok("0.5", 0.5);
	seconds_ok(".5", 0.5);
	seconds_ok("0.5s", 0.5);
	seconds_ok("2s", 2);
	seconds_ok("500ms", 0.5);
	seconds_ok("100us", 1e-4);
	seconds_ok("1m", 60);
	seconds_ok("1min", 60);
	seconds_ok("1.5m", 90);
	seconds_ok("1e3", 1000);
	seconds_bad("");
	seconds_bad(NULL);
	seconds_bad("s");
	seconds_bad("abc");
	seconds_bad("-1");
	seconds_bad("-0.5s");
	seconds_bad("+1");
	seconds_bad(" 1");
	seconds_bad("1 s");
	seconds_bad("1s ");
	seconds_bad("1h");
	seconds_bad("1sec");
	seconds_bad("1ns");
	seconds_bad("1mss");
	seconds_bad("inf");
	seconds_bad("nan");
	seconds_bad("1e999");
	seconds_bad(".");
	seconds_bad("2x");
}

static void test_parse_count(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(ib_parse_count("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ib_parse_count("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ib_parse_count("007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(ib_parse_count("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	v = 99;
	assert_int_equal(ib_parse_count("18446744073709551616", &v), -1);
	assert_int_equal(ib_parse_count("-1", &v), -1);
	assert_int_equal(ib_parse_count("+1", &v), -1);
	assert_int_equal(ib_parse_count(" 1", &v), -1);
	assert_int_equal(ib_parse_count("1 ", &v), -1);
	assert_int_equal(ib_parse_count("1.5", &v), -1);
	assert_int_equal(ib_parse_count("1k", &v), -1);
	assert_int_equal(ib_parse_count("", &v), -1);
	assert_int_equal(ib_parse_count(NULL, &v), -1);
	assert_int_equal(ib_parse_count("x", &v), -1);
	assert_int_equal(v, 99);
}

static const struct ib_param_def *param(const char *wl, const char *name)
{
	const struct ib_workload_def *w = ib_workload_find(wl);
	const struct ib_param_def *p;

	assert_non_null(w);
	p = ib_param_find(w, name);
	assert_non_null(p);
	return p;
}

static void check_ok(const char *wl, const char *name, const char *value)
{
	char why[256] = "";

	if (ib_param_check(param(wl, name), value, why, sizeof(why)) != 0)
		fail_msg("%s.%s=%s rejected: %s", wl, name, value, why);
}

static void check_bad(const char *wl, const char *name, const char *value,
		      const char *want)
{
	char why[256] = "";

	if (ib_param_check(param(wl, name), value, why, sizeof(why)) != -1)
		fail_msg("%s.%s=%s accepted", wl, name, value);
	assert_contains(why, want);
}

static void test_param_check(void **state)
{
	char longitem[200];

	(void)state;
	/* counts and ranges */
	check_ok("cpu", "threads", "0");
	check_ok("cpu", "threads", "1024");
	check_bad("cpu", "threads", "1025", "'1025' is out of range [0, 1024]");
	check_bad("cpu", "threads", "abc", "'abc' is not a whole number");
	check_bad("cpu", "threads", "-1", "is not a whole number");
	check_bad("cpu", "max_prime", "2", "out of range [3, 100000000]");
	check_ok("cpu", "max_prime", "100000000");
	/* seconds */
	check_ok("cpu", "duration", "0.01");
	check_ok("cpu", "duration", "10ms");
	check_ok("cpu", "duration", "1m");
	check_bad("cpu", "duration", "9ms", "out of range [0.01, 3600] s");
	check_bad("cpu", "duration", "2h", "is not a duration");
	/* sizes */
	check_ok("disk", "size", "1m");
	check_ok("disk", "size", "1g");
	check_bad("disk", "size", "512k", "'512k' is out of range [1048576, ");
	check_bad("disk", "size", "2t", "] bytes");
	check_bad("disk", "size", "1x", "is not a size in bytes");
	check_ok("memlat", "stride", "64");
	check_bad("memlat", "stride", "12", "stride must be a multiple of 8 bytes");
	check_bad("memlat", "stride", "4", "out of range [8, 65536]");
	/* choices */
	check_ok("membw", "pages", "thp");
	check_ok("membw", "pages", "base");
	check_bad("membw", "pages", "huge", "'huge' is not one of base,thp");
	check_bad("membw", "pages", "", "empty item");
	check_bad("membw", "pages", "th", "is not one of");
	check_bad("membw", "pages", "thp,base", "is not one of");
	check_ok("ctxsw", "pin", "same");
	/* lists */
	check_ok("memlat", "chains", "seq");
	check_ok("memlat", "chains", "rand,seq");
	check_bad("memlat", "chains", "seq,,rand", "empty item in the list");
	check_bad("memlat", "chains", "seq,", "empty item in the list");
	check_bad("memlat", "chains", ",seq", "empty item in the list");
	check_bad("memlat", "chains", "", "empty item in the list");
	check_bad("memlat", "chains", "seq,foo", "'foo' is not one of seq,rand");
	check_bad("memlat", "chains", "seq, rand", "' rand' is not one of");
	check_ok("syscall", "calls", "getppid,openclose");
	check_bad("syscall", "calls", "getpid", "'getpid' is not one of");
	/* a list checked by a function */
	check_ok("disk", "tests", "randread-4k-qd1,seqwrite-1m-fsync,randread-4k-qd32");
	check_bad("disk", "tests", "randread-4k-qd1,randread-4k-fsync",
		  "fsync applies to writes only");
	check_bad("disk", "tests", "randread-4k-qd1,", "empty item in the list");
	check_bad("disk", "tests", "seqread-1m", "is not PATTERN-BS-QD");
	memset(longitem, 'a', 150);
	longitem[150] = '\0';
	check_bad("disk", "tests", longitem, "item longer than 127 characters");
}

static void test_catalogue(void **state)
{
	char why[256];

	(void)state;
	assert_true(ib_nworkloads >= 6);
	assert_null(ib_workload_find("gpu"));
	assert_null(ib_workload_find(""));
	assert_null(ib_param_find(ib_workload_find("cpu"), "size"));
	/* every default of both suites passes its own check */
	for (int i = 0; i < ib_nworkloads; i++) {
		const struct ib_workload_def *w = &ib_workloads[i];

		assert_ptr_equal(ib_workload_find(w->name), w);
		assert_true(w->nparams <= IB_MAX_PARAMS);
		for (int k = 0; k < w->nparams; k++) {
			const struct ib_param_def *p = &w->params[k];

			assert_ptr_equal(ib_param_find(w, p->name), p);
			for (int full = 0; full < 2; full++) {
				const char *d = ib_param_default(p, full);

				assert_ptr_equal(d, full ? p->full : p->quick);
				if (ib_param_check(p, d, why, sizeof(why)) != 0)
					fail_msg("%s.%s default '%s' (%s): %s",
						 w->name, p->name, d,
						 full ? "full" : "quick", why);
			}
		}
	}
	/* the full disk default is the long list a plan file must wrap */
	assert_true(strlen(ib_param_default(param("disk", "tests"), 1)) > 200);
}

static void disk_ok(const char *name, int random, int write, uint64_t bs,
		    unsigned qd, int fsync)
{
	struct ib_disk_test t;
	char why[256] = "";

	if (ib_disk_test_parse(name, &t, why, sizeof(why)) != 0)
		fail_msg("'%s' rejected: %s", name, why);
	assert_int_equal(t.random, random);
	assert_int_equal(t.write, write);
	assert_int_equal(t.bs, bs);
	assert_int_equal(t.qd, qd);
	assert_int_equal(t.fsync, fsync);
}

static void disk_bad(const char *name, const char *want)
{
	struct ib_disk_test t;
	char why[256] = "";

	if (ib_disk_test_parse(name, &t, why, sizeof(why)) != -1)
		fail_msg("'%s' accepted", name);
	assert_contains(why, want);
}

static void test_disk_test_parse(void **state)
{
	char longname[100];

	(void)state;
	disk_ok("seqread-1m-qd1", 0, 0, 1 << 20, 1, 0);
	disk_ok("randread-4k-qd32", 1, 0, 4096, 32, 0);
	disk_ok("seqwrite-4k-qd1", 0, 1, 4096, 1, 0);
	disk_ok("randwrite-4k-fsync", 1, 1, 4096, 1, 1);
	disk_ok("seqwrite-1m-fsync", 0, 1, 1 << 20, 1, 1);
	disk_ok("randread-512-qd1024", 1, 0, 512, 1024, 0);
	disk_ok("randread-64m-qd1", 1, 0, 64 << 20, 1, 0);
	disk_ok("seqread-4kib-qd7", 0, 0, 4096, 7, 0);
	disk_bad("seqread", "is not PATTERN-BS-QD");
	disk_bad("seqread-1m", "is not PATTERN-BS-QD");
	disk_bad("read-1m-qd1", "is not PATTERN-BS-QD");
	disk_bad("SeqRead-1m-qd1", "is not PATTERN-BS-QD");
	disk_bad("", "is not PATTERN-BS-QD");
	disk_bad("seqread-1000-qd1", "block size must be a multiple of 512");
	disk_bad("seqread-256-qd1", "block size must be");
	disk_bad("seqread-128m-qd1", "block size must be");
	disk_bad("seqread--qd1", "block size must be");
	disk_bad("seqread-4x-qd1", "block size must be");
	disk_bad("seqread-1m-qd0", "queue depth must be qd1..qd1024 or 'fsync'");
	disk_bad("seqread-1m-qd01", "queue depth must be");
	disk_bad("seqread-1m-qd1025", "queue depth must be");
	disk_bad("seqread-1m-qd99999", "queue depth must be");
	disk_bad("seqread-1m-qd", "queue depth must be");
	disk_bad("seqread-1m-q1", "queue depth must be");
	disk_bad("seqread-1m-qd1x", "queue depth must be");
	disk_bad("seqread-1m-qd1-extra", "queue depth must be");
	disk_bad("seqread-1m-qd-1", "queue depth must be");
	disk_bad("seqread-1m-fsync", "fsync applies to writes only");
	disk_bad("randread-4k-fsync", "fsync applies to writes only");
	memset(longname, 'r', 80);
	longname[80] = '\0';
	disk_bad(longname, "is not PATTERN-BS-QD");
	/* names up to 63 characters fit the parser's buffer, 64 do not */
	snprintf(longname, sizeof(longname), "seqread-%s-qd1",
		 "000000000000000000000000000000000000000000000004096");
	assert_int_equal(strlen(longname), 63);
	disk_ok(longname, 0, 0, 4096, 1, 0);
	snprintf(longname, sizeof(longname), "seqread-%s-qd1",
		 "0000000000000000000000000000000000000000000000004096");
	assert_int_equal(strlen(longname), 64);
	disk_bad(longname, "is not PATTERN-BS-QD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_parse_count),
		cmocka_unit_test(test_param_check),
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_disk_test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
