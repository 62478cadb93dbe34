/* test_compare: src/host/results/compare.c and stats.c's permutation test.
 * BASE is a real run (the fixture's raw.jsonl); NEW is the same run with
 * the startup benchmark's phases scaled (its samples: x1.25 is worse,
 * x0.8 better, lower being better), or its host's kernel renamed. The
 * verdicts must follow: a run against itself changes nothing, a scaled
 * metric is worse or better and nothing else is, a threshold of 30% for
 * it turns its 25% into no change, a metric with too few samples is not comparable (never "no
 * change"), and a different host fact is listed. The thresholds file's
 * errors name the line. */
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <unistd.h>

#include "results/compare.h"
#include "results/stats.h"

static char T[256];
static struct ib_results BASE;

/* The fixture's raw.jsonl with every launch's phases times scale (the
 * startup benchmark's samples: to_first_byte, to_exited, ...),
 * and the fingerprint's kernel set to kernel if not NULL, written to
 * T/name.jsonl and loaded into r. */
static void load_changed(struct ib_results *r, const char *name, double scale,
			 const char *kernel)
{
	struct ib_err err = {0};
	struct ib_buf out = {0};
	char *raw = ib_xasprintf("%s/raw.jsonl", getenv("FIXTURE_DIR"));
	char *path = ib_xasprintf("%s/%s.jsonl", T, name);
	size_t len;
	char *text = ib_read_file(raw, &len, &err), *line, *save = NULL;

	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *ev = cJSON_Parse(line), *ph, *v, *fp;
		char *again;

		assert_non_null(ev);
		ph = cJSON_GetObjectItem(ev, "phases");
		cJSON_ArrayForEach(v, ph) {
			if (cJSON_IsNumber(v))
				cJSON_SetNumberValue(v, v->valuedouble * scale);
		}
		fp = cJSON_GetObjectItem(ev, "fingerprint");
		if (fp && kernel)
			cJSON_ReplaceItemInObject(fp, "kernel",
						  cJSON_CreateString(kernel));
		again = cJSON_PrintUnformatted(ev);
		ib_buf_printf(&out, "%s\n", again);
		free(again);
		cJSON_Delete(ev);
	}
	assert_int_equal(ib_write_file_atomic(path, out.s, out.len, &err), 0);
	ib_results_init(r);
	if (ib_results_load(r, path, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	ib_buf_free(&out);
	free(text), free(raw), free(path);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	if (!getenv("FIXTURE_DIR"))
		return -1;
	snprintf(T, sizeof(T), "%s/isobench-test-compare-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(T))
		return -1;
	load_changed(&BASE, "base", 1, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ib_results_free(&BASE);
	return ib_rmtree(T);
}

/* Compares BASE with new under t; checks the counts add up. */
static void compare_with(struct ib_compare *c, const struct ib_results *new,
			 const struct ib_cmp_thresholds *t)
{
	static const struct ib_results *news[1];
	static const char *const names[] = {"new"};

	news[0] = new;
	ib_compare_build(c, &BASE, "base", news, names, 1, t, 0.05);
	assert_int_equal(c->worse + c->better + c->same + c->na, c->nrows);
	assert_int_equal(c->nrows, BASE.nmetrics);
}

/* Is row one of the scaled ones? */
static int scaled_row(const struct ib_cmp_row *row)
{
	return !strcmp(row->bench, "startup") && !strncmp(row->metric, "to_", 3);
}

/* Every row's verdict: the scaled rows with enough samples get want,
 * the others no change or not comparable (for too few samples). Returns
 * how many got want. */
static int check_rows(const struct ib_compare *c, enum ib_cmp_verdict want)
{
	int got = 0;

	for (int j = 0; j < c->nrows; j++) {
		const struct ib_cmp_row *row = &c->rows[j];
		const struct ib_cmp_cell *e = &row->cells[0];
		int tested = row->base->n >= 4 && e->m && e->m->n >= 4;

		if (e->verdict == IB_CMP_NOT_COMPARABLE) {
			assert_false(tested);
			assert_non_null(strstr(e->why, "too few samples"));
			continue;
		}
		assert_true(tested);
		if (scaled_row(row)) {
			assert_int_equal(e->verdict, want);
			got += e->verdict == want;
		} else {
			assert_int_equal(e->verdict, IB_CMP_NO_CHANGE);
			assert_true(fabs(e->ratio - 1) < 1e-12);
		}
	}
	return got;
}

static void same_run(void **state)
{
	struct ib_cmp_thresholds t;
	struct ib_compare c;
	char *md, *json;

	(void)state;
	ib_cmp_thresholds_init(&t);
	compare_with(&c, &BASE, &t);
	assert_int_equal(c.worse, 0);
	assert_int_equal(c.better, 0);
	assert_true(c.same > 0);
	assert_int_equal(check_rows(&c, IB_CMP_NO_CHANGE) > 0, 1);
	assert_int_equal(c.host_diffs.n, 0);
	md = ib_compare_markdown(&c);
	assert_non_null(strstr(md, "The hosts' fingerprints are the same."));
	json = ib_compare_json(&c);
	assert_non_null(strstr(json, "\"worse\":\t0"));
	free(md), free(json);
	ib_compare_free(&c);
}

static void scaled(void **state)
{
	struct ib_results worse, better;
	struct ib_cmp_thresholds t;
	struct ib_compare c;
	struct ib_err err = {0};
	const char *text = "[global]\nallowed = 5%\n[exit]\n"
			   "metric = startup.to_exited\nallowed = 30%\n";
	char *md;

	(void)state;
	ib_cmp_thresholds_init(&t);
	load_changed(&worse, "worse", 1.25, NULL);
	compare_with(&c, &worse, &t);
	assert_true(check_rows(&c, IB_CMP_WORSE) > 0);
	assert_int_equal(c.worse, check_rows(&c, IB_CMP_WORSE));
	assert_int_equal(c.better, 0);
	md = ib_compare_markdown(&c);
	assert_non_null(strstr(md, "**x1.250"));
	free(md);
	ib_compare_free(&c);
	/* allowed 30% for to_exited: its 25% is no change, the other
	 * phases still worse */
	assert_int_equal(ib_cmp_thresholds_parse(text, strlen(text), "t.ini",
						 &t, &err), 0);
	compare_with(&c, &worse, &t);
	assert_true(c.worse > 0);
	for (int j = 0; j < c.nrows; j++) {
		const struct ib_cmp_cell *e = &c.rows[j].cells[0];

		if (strcmp(c.rows[j].metric, "to_exited") != 0)
			continue;
		assert_string_equal(e->rule, "exit");
		assert_true(e->allowed == 30);
		assert_int_equal(e->verdict, IB_CMP_NO_CHANGE);
	}
	ib_compare_free(&c);
	ib_cmp_thresholds_free(&t);
	load_changed(&better, "better", 0.8, "6.1.0-other");
	compare_with(&c, &better, &t);
	assert_true(check_rows(&c, IB_CMP_BETTER) > 0);
	assert_int_equal(c.worse, 0);
	assert_int_equal(c.host_diffs.n, 3); /* kernel, BASE's, NEW's */
	assert_string_equal(c.host_diffs.v[0], "kernel");
	assert_string_equal(c.host_diffs.v[2], "6.1.0-other");
	md = ib_compare_markdown(&c);
	assert_non_null(strstr(md, "**The hosts differ**"));
	free(md);
	ib_compare_free(&c);
	ib_results_free(&worse);
	ib_results_free(&better);
}

static void thresholds_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"allowed = 5\n", "t.ini:1: 'allowed' comes before any section"},
		{"[global]\nallowed = 0\n", "t.ini:2: allowed '0'"},
		{"[global]\nallowed = 5 percent\n", "t.ini:2: allowed"},
		{"[global]\nmetric = x\n", "t.ini:2: unknown key 'metric' in [global]"},
		{"[a]\nallowed = 5\n", "t.ini:1: [a] has no metric"},
		{"[a]\nmetric = x\n", "t.ini:1: [a] has no allowed"},
		{"[a]\nmetric = a.b.c\n", "t.ini:2: metric 'a.b.c'"},
		{"[a]\nmetric = x\nparams = threads\n", "t.ini:3: params: 'threads'"},
		{"[a]\nmetric = x\nallowed = 1\n[a]\n", "t.ini:4: [a] again (first at line 1)"},
		{"[a b]\n", "t.ini:1: rule name 'a b'"},
		{"[a]\ncolour = red\n", "t.ini:2: unknown key 'colour' in [a]"},
		{"[a\n", "t.ini:1: not a section header"},
		{"[a]\nmetric\n", "t.ini:2: not key = value"},
	};
	struct ib_cmp_thresholds t;
	struct ib_err err = {0};
	const char *rule;
	cJSON *params = cJSON_CreateObject();

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(ib_cmp_thresholds_parse(bad[i].text,
							 strlen(bad[i].text),
							 "t.ini", &t, &err),
				 -EINVAL);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text,
				 err.msg, bad[i].want);
	}
	assert_int_equal(ib_cmp_thresholds_parse("\0", 1, "t.ini", &t, &err),
			 -EINVAL);
	/* the most specific rule wins */
	{
		const char *text = "[any]\nmetric = rps\nallowed = 9\n"
				   "[nginx]\nmetric = nginx.rps\nallowed = 8\n"
				   "[c16]\nmetric = nginx.rps\n"
				   "params = connections=16\nallowed = 7\n";

		assert_int_equal(ib_cmp_thresholds_parse(text, strlen(text),
							 "t.ini", &t, &err), 0);
		cJSON_AddNumberToObject(params, "connections", 16);
		assert_true(ib_cmp_threshold_for(&t, "nginx", "rps", params,
						 &rule) == 7);
		assert_string_equal(rule, "c16");
		assert_true(ib_cmp_threshold_for(&t, "other", "rps", params,
						 &rule) == 9);
		cJSON_ReplaceItemInObject(params, "connections",
					  cJSON_CreateNumber(4));
		assert_true(ib_cmp_threshold_for(&t, "nginx", "rps", params,
						 &rule) == 8);
		assert_true(ib_cmp_threshold_for(&t, "nginx", "x", params,
						 &rule) == 5);
		assert_null(rule);
		ib_cmp_thresholds_free(&t);
	}
	cJSON_Delete(params);
}

static void permutation_test(void **state)
{
	double a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, c[] = {2, 4, 6, 8};
	double d[] = {1, 3, 5, 7}, big_a[300], big_b[300], min_p, p;

	(void)state;
	/* exact: 70 splits of 8 into 4 and 4; the observed one is one of the
	 * two most extreme */
	p = ib_perm_test(a, 4, b, 4, &min_p);
	assert_true(fabs(p - 2.0 / 70) < 1e-12);
	assert_true(fabs(min_p - 2.0 / 70) < 1e-12);
	p = ib_perm_test(c, 4, d, 4, &min_p);
	assert_true(p > 0.5);
	/* 3 and 3: 20 splits, the smallest p is 0.1: never below 0.05 */
	p = ib_perm_test(a, 3, b, 3, &min_p);
	assert_true(fabs(min_p - 0.1) < 1e-12);
	assert_true(fabs(p - 0.1) < 1e-12);
	/* the same samples: p = 1 */
	p = ib_perm_test(a, 4, a, 4, &min_p);
	assert_true(p == 1);
	/* many: random splits, seeded by the data (the same p twice) */
	for (int i = 0; i < 300; i++) {
		big_a[i] = 100 + (i * 37 % 101) / 10.0;
		big_b[i] = 101 + (i * 53 % 103) / 10.0;
	}
	p = ib_perm_test(big_a, 300, big_b, 300, &min_p);
	assert_true(p < 0.01);
	assert_true(min_p < 0.001);
	assert_true(p == ib_perm_test(big_a, 300, big_b, 300, &min_p));
	p = ib_perm_test(big_a, 150, big_a + 150, 150, &min_p);
	assert_true(p > 0.05);
	assert_true(ib_perm_test(a, 0, b, 4, &min_p) == 1 && min_p == 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(permutation_test),
		cmocka_unit_test(thresholds_errors),
		cmocka_unit_test(same_run),
		cmocka_unit_test(scaled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
