/* test_findings: src/host/results/findings.c, rule by rule. Each test
 * builds a synthetic run (the events a run logs: run, runtime, launch,
 * record, end) where one rule's pattern holds, and one where it does not
 * (the figure on the wrong side of the threshold, or its interval
 * reaching across it, or the wrong kind of runtime), and checks the rule
 * fires in the first and says nothing in the second. A run of one sample
 * a side needs the wider margin; the guards come first. */
#include "synthetic.h"

#include "results/findings.h"

static struct ib_results R;
static int LID;

#define feed(...) feed_event(&R, __VA_ARGS__)

/* The runtimes a synthetic run can name: driver, options, emulated. */
static const struct {
	const char *name, *driver, *options;
	int emulated;
} RT[] = {
	{"native", "native", "{}", 0},
	{"runc", "runc", "{}", 0},
	{"gvisor", "gvisor", "{\"platform\":\"ptrace\"}", 0},
	{"docker", "docker", "{\"runtime\":\"runc\"}", 0},
	{"docker:runtime=runsc", "docker", "{\"runtime\":\"runsc\"}", 0},
	{"qemu", "qemu", "{\"machine\":\"microvm\"}", 1},
	{"qemu:machine=q35", "qemu", "{\"machine\":\"q35\"}", 1},
};

/* A run of every runtime above, native the baseline. */
static int setup(void **state)
{
	char names[512] = "";

	(void)state;
	ib_results_init(&R);
	LID = 0;
	for (size_t i = 0; i < ARRAY_LEN(RT); i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
			 "%s\"%s\"", i ? "," : "", RT[i].name);
	feed("{\"ev\":\"run\",\"schema\":3,\"isobench\":\"test\",\"run_id\":"
	     "\"t\",\"started\":\"2026-12-02T00:00:00Z\",\"runtimes\":[%s],"
	     "\"net_only\":[],\"plan\":{\"mode\":\"quick\",\"baseline\":"
	     "\"native\",\"rsd_target_pct\":3,\"jobs\":[]},\"fingerprint\":{}}",
	     names);
	for (size_t i = 0; i < ARRAY_LEN(RT); i++)
		feed("{\"ev\":\"runtime\",\"runtime\":\"%s\",\"driver\":\"%s\","
		     "\"family\":\"x\",\"options\":%s,\"available\":true,"
		     "\"describe\":{\"emulated\":%s}}", RT[i].name,
		     RT[i].driver, RT[i].options,
		     RT[i].emulated ? "true" : "false");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ib_results_free(&R);
	return 0;
}

/* n samples of a metric on rt, each its own launch: value * (1 + spread
 * * (i - n/2) / n), so the samples spread by about +-spread/2. */
static void samples(const char *rt, const char *bench, const char *metric,
		    const char *dir, const char *params, double value, int n,
		    double spread)
{
	for (int i = 0; i < n; i++) {
		double v = value * (1 + spread * (i - n / 2.0) / n);

		LID++;
		feed("{\"ev\":\"launch\",\"id\":%d,\"runtime\":\"%s\",\"job\":"
		     "\"%s\",\"bench\":\"%s\",\"rep\":0,\"reps_per_launch\":1,"
		     "\"warmup\":false,\"argv\":[],\"t_s\":1}", LID, rt, bench,
		     bench);
		feed("{\"ev\":\"record\",\"launch\":%d,\"t_s\":0.1,\"rec\":"
		     "{\"type\":\"sample\",\"bench\":\"%s\",\"metric\":\"%s\","
		     "\"unit\":\"u\",\"dir\":\"%s\",\"value\":%.9g,\"rep\":0,"
		     "\"params\":%s}}", LID, bench, metric, dir, v, params);
		feed("{\"ev\":\"end\",\"launch\":%d,\"status\":\"ok\",\"exit\":0,"
		     "\"signal\":0,\"wall_s\":1,\"phases\":{}}", LID);
	}
}

/* n startup launches of rt reaching their first byte in about ms. */
static void startup(const char *rt, double ms, int n)
{
	for (int i = 0; i < n; i++) {
		double s = ms * (1 + 0.02 * (i - n / 2.0) / n) / 1e3;

		LID++;
		feed("{\"ev\":\"launch\",\"id\":%d,\"runtime\":\"%s\",\"job\":"
		     "\"startup\",\"bench\":\"startup\",\"rep\":0,"
		     "\"reps_per_launch\":1,\"warmup\":false,\"argv\":[],"
		     "\"t_s\":1}", LID, rt);
		feed("{\"ev\":\"end\",\"launch\":%d,\"status\":\"ok\",\"exit\":0,"
		     "\"signal\":0,\"wall_s\":1,\"phases\":{\"first_byte_s\":"
		     "%.9g,\"exited_s\":%.9g,\"torn_down_s\":%.9g}}", LID, s,
		     s * 1.1, s * 1.2);
	}
}

/* The finding of rule on rt, or NULL; *all gets the findings (what it
 * held before is freed: zero it first). */
static const struct ib_finding *find(struct ib_findings *all,
				     const char *rule, const char *rt)
{
	ib_findings_free(all);
	ib_results_finalize(&R);
	ib_findings_compute(&R, all);
	for (int i = 0; i < all->n; i++)
		if (!strcmp(all->v[i].rule, rule) &&
		    !strcmp(all->v[i].runtime, rt))
			return &all->v[i];
	return NULL;
}

#define GETPPID "{\"call\":\"getppid\"}"

static void test_syscall_fires(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;

	(void)state;
	samples("native", "syscall", "latency", "lower", GETPPID, 100, 6, 0.02);
	samples("gvisor", "syscall", "latency", "lower", GETPPID, 7000, 6, 0.02);
	samples("runc", "syscall", "latency", "lower", GETPPID, 101, 6, 0.02);
	x = find(&f, "syscall-cost", "gvisor");
	assert_non_null(x);
	assert_contains(x->claim, "70x");
	assert_contains(x->mechanism, "ptrace");
	assert_contains(x->evidence, "call=getppid");
	assert_false(x->noisy);
	/* runc's calls cost native's: nothing said */
	assert_null(find(&f, "syscall-cost", "runc"));
	ib_findings_free(&f);
}

static void test_syscall_margin(void **state)
{
	struct ib_findings f = {0};

	(void)state;
	/* 1.8x: below the threshold, however sure */
	samples("native", "syscall", "latency", "lower", GETPPID, 100, 6, 0.02);
	samples("gvisor", "syscall", "latency", "lower", GETPPID, 180, 6, 0.02);
	/* 3x from one sample a side: no interval, so it needs 2 squared */
	samples("qemu", "syscall", "latency", "lower", GETPPID, 300, 1, 0);
	assert_null(find(&f, "syscall-cost", "gvisor"));
	assert_null(find(&f, "syscall-cost", "qemu"));
	ib_findings_free(&f);
}

static void test_syscall_one_sample(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;

	(void)state;
	samples("native", "syscall", "latency", "lower", GETPPID, 100, 1, 0);
	samples("qemu", "syscall", "latency", "lower", GETPPID, 900, 1, 0);
	x = find(&f, "syscall-cost", "qemu");
	assert_non_null(x);
	assert_true(x->noisy);
	assert_contains(x->evidence, "no interval");
	assert_contains(x->claim, "[emulated]");
	assert_contains(x->mechanism, "TCG");
	ib_findings_free(&f);
}

#define THREADS1 "{\"threads\":1}"

static void test_cpu(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;

	(void)state;
	samples("native", "cpu", "events_per_s", "higher", THREADS1, 1000, 6, 0.02);
	samples("qemu", "cpu", "events_per_s", "higher", THREADS1, 200, 6, 0.02);
	samples("runc", "cpu", "events_per_s", "higher", THREADS1, 995, 6, 0.02);
	/* 0.88, but the samples spread across 0.9 */
	samples("gvisor", "cpu", "events_per_s", "higher", THREADS1, 880, 6, 0.3);
	x = find(&f, "cpu-cost", "qemu");
	assert_non_null(x);
	assert_contains(x->claim, "0.2x");
	assert_null(find(&f, "cpu-cost", "runc"));
	assert_null(find(&f, "cpu-cost", "gvisor"));
	ib_findings_free(&f);
}

static void test_vm_boot(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;

	(void)state;
	startup("native", 1, 10);
	startup("qemu", 2000, 10);
	startup("runc", 40, 10);     /* 40x, not a VM */
	startup("qemu:machine=q35", 3, 10); /* a VM, 3x */
	x = find(&f, "vm-boot", "qemu");
	assert_non_null(x);
	assert_contains(x->claim, "2000x native's");
	assert_null(find(&f, "vm-boot", "runc"));
	assert_null(find(&f, "vm-boot", "qemu:machine=q35"));
	ib_findings_free(&f);
}

static void test_machine_boot(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;

	(void)state;
	startup("native", 1, 10);
	startup("qemu", 2000, 10);
	startup("qemu:machine=q35", 2600, 10);
	x = find(&f, "machine-boot", "qemu:machine=q35");
	assert_non_null(x);
	assert_contains(x->claim, "slower than qemu (x1.3)");
	assert_contains(x->mechanism, "firmware");
	ib_findings_free(&f);
}

static void test_machine_boot_same(void **state)
{
	struct ib_findings f = {0};

	(void)state;
	startup("native", 1, 10);
	startup("qemu", 2000, 10);
	startup("qemu:machine=q35", 2010, 10);
	assert_null(find(&f, "machine-boot", "qemu:machine=q35"));
	ib_findings_free(&f);
}

static void test_engine_start(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;

	(void)state;
	startup("native", 1, 10);
	startup("runc", 40, 10);
	startup("docker", 300, 10);
	startup("gvisor", 300, 10);
	startup("docker:runtime=runsc", 310, 10); /* x1.03: no cost seen */
	x = find(&f, "engine-start", "docker");
	assert_non_null(x);
	assert_contains(x->claim, "to runc's start");
	assert_contains(x->mechanism, "Engine API");
	assert_null(find(&f, "engine-start", "docker:runtime=runsc"));
	ib_findings_free(&f);
}

static void test_engine_memory(void **state)
{
	struct ib_findings f = {0};

	(void)state;
	samples("docker", "footprint", "engine_pss", "lower",
		"{\"process\":\"dockerd\"}", 80, 2, 0.01);
	samples("docker", "footprint", "engine_pss", "lower",
		"{\"process\":\"containerd\"}", 40, 2, 0.01);
	samples("docker:runtime=runsc", "footprint", "engine_pss", "lower",
		"{\"process\":\"dockerd\"}", 2, 2, 0.01);
	assert_non_null(find(&f, "engine-memory", "docker"));
	assert_contains(find(&f, "engine-memory", "docker")->claim, "120 MiB");
	assert_null(find(&f, "engine-memory", "docker:runtime=runsc"));
	ib_findings_free(&f);
}

#define STREAM1 "{\"test\":\"stream-tx\",\"streams\":1}"

static void test_net(void **state)
{
	struct ib_findings f = {0};

	(void)state;
	samples("native", "net", "throughput", "higher", STREAM1, 10, 6, 0.02);
	samples("gvisor", "net", "throughput", "higher", STREAM1, 4, 6, 0.02);
	samples("runc", "net", "throughput", "higher", STREAM1, 9.5, 6, 0.02);
	assert_non_null(find(&f, "net-path", "gvisor"));
	assert_contains(find(&f, "net-path", "gvisor")->mechanism, "netstack");
	assert_null(find(&f, "net-path", "runc"));
	ib_findings_free(&f);
}

static void disk(const char *rt, const double *x)
{
	static const char *const tests[] = {"seqread", "randread", "seqwrite",
					    "randwrite"};
	char p[64];

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "{\"test\":\"%s\"}", tests[i]);
		samples(rt, "disk", "iops", "higher", p, 1000 * x[i], 4, 0.02);
	}
}

static void test_disk_guard(void **state)
{
	struct ib_findings f = {0};
	const struct ib_finding *x;
	const double one[] = {1, 1, 1, 1}, cached[] = {2.5, 2, 3, 0.9},
		     once[] = {2.5, 1, 1, 0.9};

	(void)state;
	disk("native", one);
	disk("gvisor", cached);
	disk("runc", once); /* one test alone: not a pattern */
	samples("native", "syscall", "latency", "lower", GETPPID, 100, 6, 0.02);
	samples("gvisor", "syscall", "latency", "lower", GETPPID, 7000, 6, 0.02);
	x = find(&f, "direct-io-impossible", "gvisor");
	assert_non_null(x);
	assert_true(x->guard);
	assert_contains(x->claim, "3 of 4");
	assert_contains(x->mechanism, "Gofer");
	/* a guard comes first, even before a larger cost */
	assert_ptr_equal(x, &f.v[0]);
	assert_null(find(&f, "direct-io-impossible", "runc"));
	ib_findings_free(&f);
}

/* With another baseline (the tuning study's: the untuned VM) the rules
 * that read a ratio as to native's do not run: a container's direct I/O
 * beating an emulated VM's is no sign of a cache. Those that compare
 * runtimes of their own (machine-boot) still do. */
static void test_other_baseline(void **state)
{
	struct ib_findings f = {0};
	const double one[] = {1, 1, 1, 1}, faster[] = {2.5, 2, 3, 2};

	(void)state;
	free(R.baseline);
	R.baseline = strdup("qemu");
	assert_int_equal(ib_findings_native_baseline(&R), 0);
	disk("qemu", one);
	disk("runc", faster);
	startup("qemu", 2000, 10);
	startup("qemu:machine=q35", 2600, 10);
	assert_null(find(&f, "direct-io-impossible", "runc"));
	assert_non_null(find(&f, "machine-boot", "qemu:machine=q35"));
	ib_findings_free(&f);
	free(R.baseline);
	R.baseline = strdup("native:net=loopback");
	assert_int_equal(ib_findings_native_baseline(&R), 1);
}

static void test_nothing(void **state)
{
	struct ib_findings f = {0};

	(void)state;
	/* every runtime as native: no rule fires */
	for (size_t i = 0; i < ARRAY_LEN(RT); i++) {
		samples(RT[i].name, "cpu", "events_per_s", "higher", THREADS1,
			1000, 6, 0.02);
		samples(RT[i].name, "syscall", "latency", "lower", GETPPID, 100,
			6, 0.02);
		startup(RT[i].name, 10, 10);
	}
	find(&f, "-", "-");
	assert_int_equal(f.n, 0);
	ib_findings_free(&f);
	/* every rule is documented */
	for (int i = 0; i < ib_nfinding_rules; i++) {
		assert_non_null(ib_finding_rules[i].when);
		assert_true(strlen(ib_finding_rules[i].when) > 20);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_syscall_fires),     T(test_syscall_margin),
		T(test_syscall_one_sample), T(test_cpu),
		T(test_vm_boot),           T(test_machine_boot),
		T(test_machine_boot_same), T(test_engine_start),
		T(test_engine_memory),     T(test_net),
		T(test_disk_guard),        T(test_other_baseline),
		T(test_nothing),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
