/* test_svg: src/host/results/svg.c, the scales and charts of report.html.
 * Log axes (their domain snapped to 1-2-5 values, their ticks, thinning
 * over many decades), linear axes, the pixel of a value, interval
 * whiskers where the interval says, and the edge cases a run produces:
 * no values at all, a single sample (an interval of one point), a NaN, a
 * runtime whose every cell was skipped, text that must be escaped. */
#include "unit.h"

#include "results/svg.h"

static void test_log_scale(void **state)
{
	struct ib_scale s;
	double t[40];
	int n;
	const double want[] = {0.5, 1, 2, 5, 10, 20, 50, 100};

	(void)state;
	ib_scale_fit(&s, 1, 0.7, 80, 100, 600);
	assert_near(s.lo, 0.5, 1e-12);
	assert_near(s.hi, 100, 1e-9);
	assert_near(ib_scale_px(&s, 0.5), 100, 1e-9);
	assert_near(ib_scale_px(&s, 100), 600, 1e-9);
	/* 1 is log10(2) of the log10(200) decades from 0.5 */
	assert_near(ib_scale_px(&s, 1), 100 + 500 * log10(2) / log10(200), 1e-9);
	n = ib_scale_ticks(&s, t, 12);
	assert_int_equal(n, (int)ARRAY_LEN(want));
	for (int i = 0; i < n; i++)
		assert_near(t[i], want[i], want[i] * 1e-12);
	/* not placeable on a log axis */
	assert_true(isnan(ib_scale_px(&s, 0)));
	assert_true(isnan(ib_scale_px(&s, -1)));
	assert_true(isnan(ib_scale_px(&s, NAN)));
	assert_true(isnan(ib_scale_px(&s, INFINITY)));
}

static void test_log_ticks_thin(void **state)
{
	struct ib_scale s;
	double t[40];
	int n;

	(void)state;
	/* 9 decades: 1-2-5 would be 28 ticks; one per decade fits 12 */
	ib_scale_fit(&s, 1, 0.001, 1e6, 0, 1);
	n = ib_scale_ticks(&s, t, 12);
	assert_int_equal(n, 10);
	for (int i = 0; i < n; i++)
		assert_near(log10(t[i]), -3 + i, 1e-9);
	/* and every other decade when even that is too many */
	n = ib_scale_ticks(&s, t, 6);
	assert_true(n >= 2 && n <= 6);
	for (int i = 1; i < n; i++)
		assert_near(log10(t[i]) - log10(t[i - 1]), 2, 1e-9);
}

static void test_linear_scale(void **state)
{
	struct ib_scale s;
	double t[40];
	int n;

	(void)state;
	ib_scale_fit(&s, 0, 3, 97, 0, 100);
	assert_near(s.lo, 0, 1e-12);
	assert_near(s.hi, 100, 1e-9);
	n = ib_scale_ticks(&s, t, 12);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++)
		assert_near(t[i], 20.0 * i, 1e-9);
	assert_near(ib_scale_px(&s, 25), 25, 1e-9);
	/* a y axis: pixels that grow downwards */
	ib_scale_fit(&s, 0, 0, 50, 300, 10);
	assert_near(ib_scale_px(&s, 0), 300, 1e-9);
	assert_near(ib_scale_px(&s, 50), 10, 1e-9);
}

static void test_degenerate_domains(void **state)
{
	struct ib_scale s;

	(void)state;
	/* one value: widened around it */
	ib_scale_fit(&s, 1, 5, 5, 0, 1);
	assert_true(s.lo < 5 && s.hi > 5);
	ib_scale_fit(&s, 0, 5, 5, 0, 1);
	assert_true(s.lo < 5 && s.hi > 5);
	ib_scale_fit(&s, 0, 0, 0, 0, 1);
	assert_true(s.lo < 0 && s.hi > 0);
	/* nothing usable: the defaults */
	ib_scale_fit(&s, 1, NAN, NAN, 0, 1);
	assert_near(s.lo, 0.5, 0);
	assert_near(s.hi, 2, 0);
	ib_scale_fit(&s, 1, INFINITY, -INFINITY, 0, 1);
	assert_near(s.lo, 0.5, 0);
	ib_scale_fit(&s, 1, -1, 10, 0, 1);
	assert_near(s.lo, 0.5, 0);
	ib_scale_fit(&s, 0, NAN, 1, 0, 1);
	assert_near(s.lo, 0, 0);
	assert_near(s.hi, 1, 0);
}

static void test_tick_labels(void **state)
{
	char b[32];

	(void)state;
	ib_tick_label(b, sizeof(b), 0.5);
	assert_string_equal(b, "0.5");
	ib_tick_label(b, sizeof(b), 1);
	assert_string_equal(b, "1");
	ib_tick_label(b, sizeof(b), 1500);
	assert_string_equal(b, "1.5k");
	ib_tick_label(b, sizeof(b), 2e6);
	assert_string_equal(b, "2M");
	ib_tick_label(b, sizeof(b), 4294967296.0);
	assert_string_equal(b, "4.29G");
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A dot chart of 2 rows x 3 series: series 0 with an interval, series 1
 * a single sample (lo = hi = v), series 2 skipped everywhere (NaN). */
static void test_dot_chart(void **state)
{
	const char *rows[] = {"a <row> & co", "b"};
	const char *series[] = {"runc", "gvisor", "kata"};
	struct ib_mark m[6] = {
		{1.1, 0.9, 1.3, 0, 7, NULL},   {80, 80, 80, 1, 8, "noisy"},
		{NAN, NAN, NAN, 0, -1, NULL},  {0.95, NAN, NAN, 0, 9, NULL},
		{NAN, NAN, NAN, 0, -1, NULL},  {NAN, NAN, NAN, 0, -1, NULL},
	};
	struct ib_dot_chart c = {"ratio-x", "t", "ratio", 1, 1.0, 2, 3, rows,
				 series, m};
	struct ib_buf b = {0};
	struct ib_scale s;
	const char *w;
	double x0, y, x1;
	char want[64];

	(void)state;
	assert_int_equal(ib_svg_dot_chart(&b, &c), 3);
	assert_int_equal(count(b.s, "class=\"mark\""), 3);
	/* the skipped series draws nothing: no mark in its colour */
	assert_int_equal(count(b.s, "class=\"dot\""), 3);
	{
		char st[64];

		snprintf(st, sizeof(st), "stroke=\"%s\"", ib_svg_colour(2));
		assert_int_equal(count(b.s, st), 0);
		snprintf(st, sizeof(st), "fill=\"%s\"", ib_svg_colour(2));
		assert_int_equal(count(b.s, st), 1); /* its legend entry */
	}
	assert_contains(b.s, "a &lt;row&gt; &amp; co");
	assert_null(strstr(b.s, "<row>"));
	/* the hollow mark, and the note in its title */
	assert_contains(b.s, "fill=\"#fff\"");
	assert_contains(b.s, "(noisy)");
	/* whiskers: one with an interval, one of a single sample (zero
	 * width), none for the mark without an interval */
	assert_int_equal(count(b.s, "class=\"whisker\""), 2);
	/* the first whisker spans px(0.9)..px(1.3) on the chart's scale */
	w = strstr(b.s, "data-x-lo=\"");
	assert_non_null(w);
	s.log = 1;
	assert_int_equal(sscanf(w, "data-x-lo=\"%lf\" data-x-hi=\"%lf\" "
				"data-x-p0=\"%lf\" data-x-p1=\"%lf\"",
				&s.lo, &s.hi, &s.p0, &s.p1), 4);
	assert_true(s.lo <= 0.9 && s.hi >= 80);
	w = strstr(b.s, "class=\"whisker\"");
	w = strstr(w, "d=\"M");
	assert_int_equal(sscanf(w, "d=\"M%lf,%lfH%lf", &x0, &y, &x1), 3);
	assert_near(x0, ib_scale_px(&s, 0.9), 0.006);
	assert_near(x1, ib_scale_px(&s, 1.3), 0.006);
	/* the mark of 1.1 at px(1.1) */
	snprintf(want, sizeof(want), "translate(%.2f,", ib_scale_px(&s, 1.1));
	assert_contains(b.s, want);
	assert_contains(b.s, "data-m=\"7\" data-v=\"1.1\"");
	ib_buf_free(&b);
}

static void test_empty_charts(void **state)
{
	const char *rows[] = {"a"};
	const char *series[] = {"x", "y"};
	struct ib_mark m[2] = {{NAN, NAN, NAN, 0, -1, NULL},
			       {-3, NAN, NAN, 0, -1, NULL}};
	struct ib_buf b = {0};
	double x[] = {1, 2}, len[] = {NAN, 0, -1, NAN}, t[] = {NAN, NAN};
	const char *parts[] = {"p", "q"};

	(void)state;
	/* nothing placeable (a NaN; a negative on a log axis): no chart */
	assert_int_equal(ib_svg_dot_chart(&b, &(struct ib_dot_chart){
		"e", "t", "x", 1, 1.0, 1, 2, rows, series, m}), 0);
	assert_null(b.s);
	assert_int_equal(ib_svg_line_chart(&b, &(struct ib_line_chart){
		"e", "t", "x", "y", 1, 1, 1, 2, x, series, m, 0, NULL, NULL}), 0);
	assert_null(b.s);
	assert_int_equal(ib_svg_stack_chart(&b, &(struct ib_stack_chart){
		"e", "t", "x", 2, 2, series, parts, len, t, t, "a", "b", NULL}), 0);
	assert_null(b.s);
	/* no rows at all */
	assert_int_equal(ib_svg_dot_chart(&b, &(struct ib_dot_chart){
		"e", "t", "x", 1, 1.0, 0, 2, rows, series, m}), 0);
	assert_null(b.s);
}

static void test_line_chart(void **state)
{
	const char *series[] = {"native", "qemu"};
	double x[] = {4096, 8192, 16384};
	struct ib_mark m[6] = {
		{1.2, 1.1, 1.3, 0, 1, NULL}, {1.3, NAN, NAN, 0, 2, NULL},
		{NAN, NAN, NAN, 0, -1, NULL}, {5, 4, 6, 0, 4, NULL},
		{6, 6, 6, 0, 5, NULL},       {90, 80, 100, 1, 6, NULL},
	};
	double llc = 8192;
	const char *llc_label = "LLC";
	struct ib_buf b = {0};

	(void)state;
	assert_int_equal(ib_svg_line_chart(&b, &(struct ib_line_chart){
		"curve-x", "t", "size", "ns", 1, 1, 3, 2, x, series, m, 1,
		&llc, &llc_label}), 5);
	/* a line per series through its points (a gap would break it) */
	assert_int_equal(count(b.s, "<polyline"), 2);
	assert_contains(b.s, "data-py=\"90\"");
	assert_contains(b.s, ">LLC</text>");
	assert_contains(b.s, "data-y-log=\"1\"");
	ib_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_scale),
		cmocka_unit_test(test_log_ticks_thin),
		cmocka_unit_test(test_linear_scale),
		cmocka_unit_test(test_degenerate_domains),
		cmocka_unit_test(test_tick_labels),
		cmocka_unit_test(test_dot_chart),
		cmocka_unit_test(test_empty_charts),
		cmocka_unit_test(test_line_chart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
