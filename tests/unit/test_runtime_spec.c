/* test_runtime_spec: runtime specs ("gvisor:platform=systrap,network=host")
 * parsed against the registry (src/host/runtime/drivers/registry.c): the
 * driver found, every option's value (defaults included), the canonical
 * label (only options that differ from their defaults, in table order),
 * and a clear error for an unknown runtime, option or value. Only the
 * drivers' option tables are read: nothing is launched. */
#include "unit.h"

#include "runtime/drivers/registry.h"

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
	ok("gvisor:platform=systrap", "gvisor:platform=systrap", "platform",
	   "systrap");
	/* a default given explicitly is not in the label */
	ok("gvisor:platform=ptrace", "gvisor", "platform", "ptrace");
	/* the label lists options in table order, whatever the spec's */
	ok("gvisor:network=host,platform=systrap",
	   "gvisor:platform=systrap,network=host", "network", "host");
	ok("docker:runtime=runsc", "docker:runtime=runsc", "runtime", "runsc");
	ok("native:net=loopback", "native:net=loopback", "net", "loopback");
}

static void test_errors(void **state)
{
	(void)state;
	bad("lxc", "unknown runtime 'lxc'");
	bad("lxc", "native");             /* the known ones are listed */
	bad("gvisor:platform", "is not option=value");
	bad("gvisor:=kvm", "is not option=value");
	bad("gvisor:color=blue", "has no option 'color'");
	bad("gvisor:color=blue", "platform"); /* its options are listed */
	bad("gvisor:platform=qemu", "is not one of ptrace,systrap,kvm");
	bad("runc:x=1", "runtime runc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_names),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
