/* test_knobs: src/host/results/knobs.c on synthetic runs: the groups and
 * their references, a knob with a real effect found measured with its
 * interval and p, one without found not measured, too few samples said
 * so, the box plots normalized to the best configuration, the HTML
 * escaped, and no section where no runtime ran in two configurations;
 * and the study's jobs beside a neighbour of their own, as report.md
 * names them (one that ended early too). */
#include "synthetic.h"

#include "results/knobs.h"
#include "results/report.h"

static struct ib_results R;
static int LID;

#define feed(...) feed_event(&R, __VA_ARGS__)

/* A run of these runtimes (JSON strings), baseline base. */
static void run_of(const char *names, const char *base, int emulated)
{
	cJSON *arr = cJSON_Parse(names), *it;

	ib_results_init(&R);
	LID = 0;
	feed("{\"ev\":\"run\",\"schema\":3,\"isobench\":\"test\",\"run_id\":"
	     "\"t\",\"started\":\"2026-12-03T00:00:00Z\",\"runtimes\":%s,"
	     "\"net_only\":[],\"plan\":{\"mode\":\"quick\",\"baseline\":"
	     "\"%s\",\"rsd_target_pct\":3,\"jobs\":[]},\"fingerprint\":{}}",
	     names, base);
	cJSON_ArrayForEach(it, arr) {
		char drv[32];

		snprintf(drv, sizeof(drv), "%.*s",
			 (int)strcspn(it->valuestring, ":"), it->valuestring);
		feed("{\"ev\":\"runtime\",\"runtime\":\"%s\",\"driver\":\"%s\","
		     "\"family\":\"x\",\"options\":{},\"available\":true,"
		     "\"describe\":{\"emulated\":%s}}", it->valuestring, drv,
		     emulated && !strcmp(drv, "qemu") ? "true" : "false");
	}
	cJSON_Delete(arr);
}

/* n samples on rt, one launch each, value * (1 + spread * (i - n/2) / n). */
static void samples(const char *rt, const char *metric, const char *dir,
		    double value, int n, double spread)
{
	for (int i = 0; i < n; i++) {
		double v = value * (1 + spread * (i - n / 2.0) / n);

		LID++;
		feed("{\"ev\":\"launch\",\"id\":%d,\"runtime\":\"%s\",\"job\":"
		     "\"cpu\",\"bench\":\"cpu\",\"rep\":0,\"reps_per_launch\":1,"
		     "\"warmup\":false,\"argv\":[],\"t_s\":1}", LID, rt);
		feed("{\"ev\":\"record\",\"launch\":%d,\"t_s\":0.1,\"rec\":"
		     "{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":\"%s\","
		     "\"unit\":\"u\",\"dir\":\"%s\",\"value\":%.9g,\"rep\":0,"
		     "\"params\":{}}}", LID, metric, dir, v);
		feed("{\"ev\":\"end\",\"launch\":%d,\"status\":\"ok\",\"exit\":0,"
		     "\"signal\":0,\"wall_s\":1,\"phases\":{}}", LID);
	}
}

static char *md(void)
{
	struct ib_buf b = {0};

	ib_results_finalize(&R);
	ib_knobs_markdown(&b, &R);
	return b.s;
}

/* pin=vcpu 20% faster on 8 launches a side: measured, better, its
 * interval above 1; mem=hugetlb the same as the reference: not measured;
 * the reference is the baseline (qemu), the box plots' 1.000 the fastest. */
static void test_effects(void **state)
{
	char *text, *line;
	struct ib_buf h = {0};

	(void)state;
	run_of("[\"qemu\",\"qemu:pin=vcpu\",\"qemu:mem=hugetlb\"]", "qemu", 1);
	samples("qemu", "events_per_s", "higher", 1000, 8, 0.04);
	samples("qemu:pin=vcpu", "events_per_s", "higher", 1200, 8, 0.04);
	samples("qemu:mem=hugetlb", "events_per_s", "higher", 1000, 8, 0.04);
	text = md();
	assert_contains(text, "### `qemu` and its configurations");
	assert_contains(text, "**Emulated: these ran under QEMU's TCG");
	assert_contains(text, "- `qemu:pin=vcpu`: a measured effect on 1 of 1 metrics: "
			 "cpu events_per_s +20.0% [+");
	assert_contains(text, ", better). No measurable effect on the other 0.");
	assert_contains(text, "- `qemu:mem=hugetlb`: a measured effect on 0 of 1 metrics.");
	assert_contains(text, "| cpu | events_per_s | `qemu:pin=vcpu` | **1.200 [");
	assert_contains(text, "1.000 = qemu:pin=vcpu)");
	/* the reference's box: its median 1000/1200 of the best */
	line = strstr(text, "\n  qemu  ");
	assert_non_null(line);
	assert_contains(line, "median 0.833");
	/* the same in HTML, escaped */
	ib_knobs_html(&h, &R);
	assert_contains(h.s, "<section id=\"knobs\">");
	assert_contains(h.s, "<strong>1.200 [");
	assert_contains(h.s, "<li>qemu:pin=vcpu: a measured effect on 1 of 1");
	assert_null(strstr(h.s, "`"));
	assert_int_equal(ib_knobs_present(&R), 1);
	ib_buf_free(&h);
	free(text);
	ib_results_free(&R);
}

/* Step by step: each configuration against the one it adds knobs to.
 * pin=vcpu is +20% on the VM; adding mem=hugetlb to it changes nothing
 * (its effect against the VM is pin's); adding emulator=isolated is
 * another +20% over pin alone; hugepage=1G adds to mem=hugetlb's
 * configuration, the one with the most of its options. */
static void test_steps(void **state)
{
	char *text, *term;

	(void)state;
	run_of("[\"qemu\",\"qemu:pin=vcpu\",\"qemu:pin=vcpu,mem=hugetlb\","
	       "\"qemu:pin=vcpu,emulator=isolated\","
	       "\"qemu:pin=vcpu,mem=hugetlb,hugepage=1G\"]", "qemu", 1);
	samples("qemu", "events_per_s", "higher", 1000, 8, 0.04);
	samples("qemu:pin=vcpu", "events_per_s", "higher", 1200, 8, 0.04);
	samples("qemu:pin=vcpu,mem=hugetlb", "events_per_s", "higher", 1200, 8, 0.04);
	samples("qemu:pin=vcpu,emulator=isolated", "events_per_s", "higher", 1440, 8, 0.04);
	samples("qemu:pin=vcpu,mem=hugetlb,hugepage=1G", "events_per_s", "higher",
		1200, 8, 0.04);
	text = md();
	assert_contains(text, "- `qemu:pin=vcpu,mem=hugetlb`: a measured effect on 1 "
			 "of 1 metrics: cpu events_per_s +20.0% [+");
	assert_contains(text, "Step by step: each configuration against the one");
	assert_contains(text, "- `qemu:pin=vcpu,mem=hugetlb` over `qemu:pin=vcpu` "
			 "(adding mem=hugetlb): a measured effect on 0 of 1 metrics.");
	assert_contains(text, "- `qemu:pin=vcpu,emulator=isolated` over "
			 "`qemu:pin=vcpu` (adding emulator=isolated): a measured "
			 "effect on 1 of 1 metrics: cpu events_per_s +20.0% [+");
	assert_contains(text, "- `qemu:pin=vcpu,mem=hugetlb,hugepage=1G` over "
			 "`qemu:pin=vcpu,mem=hugetlb` (adding hugepage=1G): a "
			 "measured effect on 0 of 1 metrics.");
	/* pin=vcpu adds to the reference itself: no step line of its own */
	assert_null(strstr(text, "- `qemu:pin=vcpu` over"));
	/* 4 against the VM, 3 step by step */
	assert_contains(text, "7 comparisons (3 of them step by step) could "
			 "reach p < 0.05 here: about 0.4 of them");
	term = ib_knobs_conclusion(&R);
	assert_non_null(term);
	assert_contains(term, "  qemu:pin=vcpu,emulator=isolated over qemu:pin=vcpu "
			 "(adding emulator=isolated): a measured effect on 1 of 1");
	free(term);
	free(text);
	ib_results_free(&R);
}

/* Two launches a side cannot give p < 0.05: said, never "measured". */
static void test_too_few(void **state)
{
	char *text;

	(void)state;
	run_of("[\"native\",\"runc\",\"runc:cpuset=0\"]", "native", 0);
	samples("native", "events_per_s", "higher", 1000, 2, 0.01);
	samples("runc", "events_per_s", "higher", 1000, 2, 0.01);
	samples("runc:cpuset=0", "events_per_s", "higher", 1500, 2, 0.01);
	text = md();
	/* runc's group: its plain column is the reference (native is not
	 * of it) */
	assert_contains(text, "### `runc` and its configurations");
	assert_contains(text, "- `runc:cpuset=0`: a measured effect on 0 of 1 "
			 "metrics. No measurable effect on the other 1 (1 of "
			 "them with too few samples for any p below 0.05).");
	assert_contains(text, "| 1.500 [1.");
	assert_contains(text, " | - | ");
	assert_null(strstr(text, "`native` and its"));
	free(text);
	ib_results_free(&R);
}

/* No runtime in two configurations: no section. */
static void test_none(void **state)
{
	char *text;

	(void)state;
	run_of("[\"native\",\"runc\"]", "native", 0);
	samples("native", "events_per_s", "higher", 1000, 3, 0.01);
	samples("runc", "events_per_s", "higher", 1000, 3, 0.01);
	text = md();
	assert_null(text);
	assert_int_equal(ib_knobs_present(&R), 0);
	assert_null(ib_knobs_conclusion(&R));
	ib_results_free(&R);
}

/* A job's neighbour, started each round; one ended before its cells
 * did: report.md names the job, its kind and CPU, and the early end. */
static void test_job_neighbours(void **state)
{
	char *md_text;

	(void)state;
	run_of("[\"native\",\"runc\"]", "native", 0);
	feed("{\"ev\":\"neighbour\",\"kind\":\"cpu\",\"job\":\"cpu-nb\","
	     "\"cpu\":0,\"pid\":4242,\"t_s\":1}");
	feed("{\"ev\":\"neighbour_end\",\"job\":\"cpu-nb\",\"t_s\":7.2,"
	     "\"why\":\"it ended before the job's cells did\"}");
	feed("{\"ev\":\"neighbour_stop\",\"kind\":\"cpu\",\"t_s\":8,"
	     "\"why\":\"job cpu runs beside none\"}");
	feed("{\"ev\":\"neighbour\",\"kind\":\"cpu\",\"job\":\"cpu-nb\","
	     "\"cpu\":0,\"pid\":4243,\"t_s\":9}");
	samples("native", "events_per_s", "higher", 1000, 2, 0.01);
	ib_results_finalize(&R);
	assert_null(R.neighbour);
	md_text = ib_report_markdown(&R);
	assert_contains(md_text, "**Jobs measured beside a noisy neighbour of "
				 "their own** (started before their cells, ended "
				 "after them): `cpu-nb`: `cpu` on host CPU 0 (one "
				 "ended early, 7 s into the run");
	free(md_text);
	ib_results_free(&R);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_effects),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_too_few),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_job_neighbours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
