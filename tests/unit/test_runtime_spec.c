/* test_runtime_spec: runtime specs ("sandbox:platform=systrap,network=host")
 * parsed by src/host/runtime/drivers/spec.c against a registry: the driver
 * found, every option's value (defaults included), the canonical label
 * (only options that differ from their defaults, in table order), and a
 * clear error for an unknown runtime, option or value.
 *
 * The registry is this file's own (ib_runtimes[] below, in place of
 * registry.c's): toy drivers that have only a name and options, so the
 * test links the parser and no real driver (the linker takes registry.o,
 * and with it every driver, only for a symbol nothing else defines). It is
 * also the whole of what a new runtime adds to the registry. */
#include "unit.h"

#include "runtime/drivers/registry.h"
#include "no_drivers.h"

static const struct ib_rt_option sandbox_options[] = {
	{"platform", "ptrace,systrap,kvm", "ptrace", "how system calls are caught", 0, NULL, NULL},
	{"network", "sandbox,host", "sandbox", "whose network stack", 0, NULL, NULL},
	IB_RT_CPUSET_OPTION,
};
static const struct ib_rt_option bare_options[] = {
	{"net", "link,loopback", "link", "net workload over a link or not", 1, NULL, NULL},
};
static const struct ib_runtime_ops toy_bare = {
	.name = "bare", .options = bare_options,
	.noptions = (int)IB_ARRAY_LEN(bare_options),
};
static const struct ib_runtime_ops toy_plain = {.name = "plain"};
static const struct ib_runtime_ops toy_sandbox = {
	.name = "sandbox", .options = sandbox_options,
	.noptions = (int)IB_ARRAY_LEN(sandbox_options),
};
const struct ib_runtime_ops *const ib_runtimes[] = {
	&toy_bare, &toy_plain, &toy_sandbox,
};
const int ib_nruntimes = (int)IB_ARRAY_LEN(ib_runtimes);

/* spec parses; its label is want_label; option name has value want. */
static void ok(const char *spec, const char *want_label, const char *name,
	       const char *want)
{
	const struct ib_runtime_ops *ops = NULL;
	char *values[IB_RT_MAX_OPTIONS], *label = NULL;
	struct ib_err err = {0};

	if (ib_runtime_spec(spec, &ops, values, &label, &err) != 0)
		fail_msg("'%s': %s", spec, err.msg);
	assert_non_null(ops);
	assert_string_equal(label, want_label);
	if (name) {
		int i = 0;

		while (i < ops->noptions && strcmp(ops->options[i].name, name))
			i++;
		assert_true(i < ops->noptions);
		assert_string_equal(values[i], want);
	}
	for (int i = 0; i < ops->noptions; i++)
		assert_non_null(values[i]); /* every option has a value */
	ib_runtime_spec_free(values);
	free(label);
}

/* spec is refused, with an error that contains want. */
static void bad(const char *spec, const char *want)
{
	const struct ib_runtime_ops *ops = NULL;
	char *values[IB_RT_MAX_OPTIONS], *label = NULL;
	struct ib_err err = {0};

	if (ib_runtime_spec(spec, &ops, values, &label, &err) == 0)
		fail_msg("'%s' was accepted", spec);
	if (!strstr(err.msg, want))
		fail_msg("'%s': error '%s' lacks '%s'", spec, err.msg, want);
	ib_runtime_spec_free(values);
	free(label);
}

/* The toy registry above is the only one: no real driver came along. */
static void test_links_no_driver(void **state)
{
	(void)state;
	assert_no_real_driver();
}

static void test_plain_names(void **state)
{
	(void)state;
	for (int i = 0; i < ib_nruntimes; i++) {
		assert_ptr_equal(ib_runtime_find(ib_runtimes[i]->name),
				 ib_runtimes[i]);
		ok(ib_runtimes[i]->name, ib_runtimes[i]->name, NULL, NULL);
	}
	assert_null(ib_runtime_find("lxc"));
}

static void test_options(void **state)
{
	(void)state;
	ok("sandbox:platform=systrap", "sandbox:platform=systrap", "platform",
	   "systrap");
	/* a default given explicitly is not in the label */
	ok("sandbox:platform=ptrace", "sandbox", "platform", "ptrace");
	/* the label lists options in table order, whatever the spec's */
	ok("sandbox:network=host,platform=systrap",
	   "sandbox:platform=systrap,network=host", "network", "host");
	ok("bare:net=loopback", "bare:net=loopback", "net", "loopback");
	ok("plain", "plain", NULL, NULL);
	/* a free value (cpuset): CPUs and ranges joined by + */
	ok("sandbox:cpuset=0", "sandbox:cpuset=0", "cpuset", "0");
	ok("sandbox:cpuset=0+2-3,platform=kvm",
	   "sandbox:platform=kvm,cpuset=0+2-3", "cpuset", "0+2-3");
	ok("sandbox:cpuset=none", "sandbox", "cpuset", "none");
}

/* The cpuset's CPU list as the kernel and OCI write it. */
static void test_cpuset_list(void **state)
{
	static const struct {
		const char *v, *want;
	} cases[] = {{"0", "0"}, {"1-3", "1-3"}, {"0+2-3+7", "0,2-3,7"},
		     {"none", NULL}};

	(void)state;
	for (size_t i = 0; i < IB_ARRAY_LEN(cases); i++) {
		const struct ib_runtime_ops *ops = NULL;
		struct ib_runtime rt = {0};
		char *spec = ib_xasprintf("sandbox:cpuset=%s", cases[i].v);
		char *label = NULL, *list;
		struct ib_err err = {0};

		assert_int_equal(ib_runtime_spec(spec, &ops, rt.opt, &label,
						 &err), 0);
		rt.ops = ops;
		list = ib_cpuset_list(&rt);
		if (cases[i].want)
			assert_string_equal(list, cases[i].want);
		else
			assert_null(list);
		free(list);
		free(label);
		free(spec);
		ib_runtime_spec_free(rt.opt);
	}
}

static void test_errors(void **state)
{
	(void)state;
	bad("lxc", "unknown runtime 'lxc'");
	bad("lxc", "bare, plain, sandbox"); /* the known ones are listed */
	bad("sandbox:platform", "is not option=value");
	bad("sandbox:=kvm", "is not option=value");
	bad("sandbox:color=blue", "has no option 'color'");
	bad("sandbox:color=blue", "platform"); /* its options are listed */
	bad("sandbox:platform=qemu", "is not one of ptrace,systrap,kvm");
	bad("plain:x=1", "runtime plain has no option 'x' (options: none)");
	bad("bare:net=loop", "is not one of link,loopback"); /* no prefixes */
	bad("sandbox:cpuset=", "is not none or CPU numbers and ranges");
	bad("sandbox:cpuset=a", "'a' is not none or CPU numbers");
	bad("sandbox:cpuset=0+", "is not none");
	bad("sandbox:cpuset=+1", "is not none");
	bad("sandbox:cpuset=1--2", "is not none");
	bad("sandbox:cpuset=3-1", "'3-1': CPUs go from 0 to");
	bad("sandbox:cpuset=1024", "CPUs go from 0 to 1023");
	bad("sandbox:cpuset=123456789012345678901", "CPUs go from 0 to");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_no_driver),
		cmocka_unit_test(test_plain_names),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cpuset_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
