/* test_report: the writer of a run directory's files
 * (src/host/results/report.c, ib_report_write_all), on the raw log of
 * tests/fixtures/run-pre-layout: results.json, results.csv, report.md and
 * report.html are exactly what their generators give (and what the
 * fixture holds);
 * each replaces a symlink in its place instead of writing through it; a
 * directory that does not exist is an error naming the file; a ratio is
 * marked wide exactly when its 95% interval reaches beyond +-5%, and
 * report.md lists each such ratio once with a reason and, where both sides
 * have more than one launch, the samples a side it would need. */
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "results/report.h"
#include "results/report_html.h"
#include "results/results.h"
#include "results/rows.h"

static char T[256];
static struct ib_results R;

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR"), *fix = getenv("FIXTURE_DIR");
	struct ib_err err = {0};
	char *raw;
	int rc;

	(void)state;
	if (!fix)
		return -1;
	snprintf(T, sizeof(T), "%s/isobench-test-report-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(T))
		return -1;
	ib_results_init(&R);
	raw = ib_xasprintf("%s/raw.jsonl", fix);
	rc = ib_results_load(&R, raw, &err);
	free(raw);
	if (rc < 0)
		fprintf(stderr, "fixture: %s\n", err.msg);
	return rc < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	ib_results_free(&R);
	return ib_rmtree(T) == 0 ? 0 : -1;
}

static char *slurp(const char *dir, const char *name)
{
	char *p = ib_xasprintf("%s/%s", dir, name);
	char *text = ib_read_file(p, NULL, NULL);

	if (!text)
		fail_msg("cannot read %s", p);
	free(p);
	return text;
}

static void test_files(void **state)
{
	const char *fix = getenv("FIXTURE_DIR");
	char *(*make[])(const struct ib_results *) = {
		ib_results_json, ib_results_csv, ib_report_markdown,
		ib_report_html};
	const char *names[] = {"results.json", "results.csv", "report.md",
			       "report.html"};
	char *bait = ib_xasprintf("%s/bait", T), *link;
	struct ib_err err = {0};
	struct stat st;
	FILE *f;

	(void)state;
	/* a symlink where results.json goes: replaced, not followed */
	f = fopen(bait, "w");
	assert_non_null(f);
	fputs("bait", f);
	fclose(f);
	link = ib_xasprintf("%s/results.json", T);
	assert_int_equal(symlink(bait, link), 0);
	if (ib_report_write_all(&R, T, &err) < 0)
		fail_msg("write: %s", err.msg);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	{
		char *b = ib_read_file(bait, NULL, NULL);

		assert_string_equal(b, "bait");
		free(b);
	}
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *got = slurp(T, names[i]), *want = make[i](&R);
		char *then = slurp(fix, names[i]);

		assert_string_equal(got, want);
		assert_string_equal(got, then);
		free(got);
		free(want);
		free(then);
	}
	free(link);
	free(bait);
}

static void test_missing_dir(void **state)
{
	char *dir = ib_xasprintf("%s/no/such/dir", T);
	struct ib_err err = {0};

	(void)state;
	assert_true(ib_report_write_all(&R, dir, &err) < 0);
	assert_non_null(strstr(err.msg, "results.json"));
	free(dir);
}

/* Counts the occurrences of needle in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_precision(void **state)
{
	int ratios = 0, wide = 0;
	char *md = ib_report_markdown(&R), *want;

	(void)state;
	for (int i = 0; i < R.nmetrics; i++) {
		const struct ib_metric *m = &R.metrics[i];
		int out;

		if (!m->has_ratio || m->base == i) {
			assert_false(m->ratio_wide);
			continue;
		}
		/* recomputed here from the interval, by its definition */
		out = m->ratio_hi > m->ratio * 1.05 ||
		      m->ratio_lo < m->ratio * 0.95 ||
		      R.cells[m->cell].ok < 2 ||
		      R.cells[R.metrics[m->base].cell].ok < 2;
		assert_int_equal(m->ratio_wide, out);
		ratios++;
		wide += out;
	}
	/* the fixture has both kinds, so either way of getting it wrong
	 * shows */
	assert_true(wide > 0 && wide < ratios);
	want = ib_xasprintf("| all | %d | %d (%.0f%%) | |", ratios,
			    ratios - wide, 100.0 * (ratios - wide) / ratios);
	assert_non_null(strstr(md, want));
	/* one line with a reason per wide ratio, and a ~ in the tables */
	assert_int_equal(count_of(md, "; the cell stopped by "), wide);
	assert_int_equal(count_of(md, "~ |"), wide);
	free(want);
	free(md);
}

/* The samples a side a ratio would need to be known within +-5%: (pi/2)
 * (1.96/0.05)^2 (RSD^2 + RSD_base^2), worked by hand; none where a side
 * has one launch; and said in report.md once per wide ratio that has an
 * estimate. */
static void test_samples_needed(void **state)
{
	int i, said = 0;
	char *md;

	(void)state;
	for (i = 0; i < R.nmetrics; i++) {
		const struct ib_metric *m = &R.metrics[i];

		if (m->has_ratio && m->base >= 0 && m->base != i &&
		    R.cells[m->cell].ok >= 2 &&
		    R.cells[R.metrics[m->base].cell].ok >= 2)
			break;
	}
	assert_true(i < R.nmetrics);
	{
		struct ib_metric *m = &R.metrics[i], *b = &R.metrics[m->base];
		double ra = m->st.rsd, rb = b->st.rsd;
		int ok = R.cells[m->cell].ok;

		/* 1.5708 x 1536.64 x (0.12^2 + 0.12^2) = 69.5 */
		m->st.rsd = 12, b->st.rsd = 12;
		assert_int_equal(ib_ratio_samples_needed(&R, i), 70);
		/* 1.5708 x 1536.64 x (0.05^2 + 0.2^2) = 102.6 */
		m->st.rsd = 5, b->st.rsd = 20;
		assert_int_equal(ib_ratio_samples_needed(&R, i), 103);
		/* never fewer than two */
		m->st.rsd = 0.1, b->st.rsd = 0.1;
		assert_int_equal(ib_ratio_samples_needed(&R, i), 2);
		m->st.rsd = NAN;
		assert_int_equal(ib_ratio_samples_needed(&R, i), 0);
		m->st.rsd = 12;
		R.cells[m->cell].ok = 1;
		assert_int_equal(ib_ratio_samples_needed(&R, i), 0);
		R.cells[m->cell].ok = ok;
		m->st.rsd = ra, b->st.rsd = rb;
	}
	/* the baseline's own metric has no ratio to estimate */
	assert_int_equal(ib_ratio_samples_needed(&R, R.metrics[i].base), 0);
	for (i = 0; i < R.nmetrics; i++)
		said += R.metrics[i].ratio_wide &&
			ib_ratio_samples_needed(&R, i) > 0;
	md = ib_report_markdown(&R);
	assert_true(said > 0);
	assert_int_equal(count_of(md, " samples a side (has "), said);
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_precision),
		cmocka_unit_test(test_samples_needed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
