/* test_oci: src/host/runtime/drivers/oci.c's config.json. An application's
 * root (its image's files hard-linked, shared with the cache) is read-only,
 * with a tmpfs where the server writes (/isobench-app/tmp) and its data's
 * tmpfs when asked; any other launch's root is writable (the disk
 * benchmark's rootfs target writes there), and none has these mounts. The
 * real servers run under it in tests/integration/nginx.sh and mariadb.sh.
 * The container's CPUs follow --cpus, or the runtime's cpuset option. */
#include "unit.h"

#include <cjson/cJSON.h>

#include "images/app_image.h"
#include "runtime/drivers/oci.h"

/* The mount at dest in config c, or NULL. */
static const cJSON *mount_at(const cJSON *c, const char *dest)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItem(c, "mounts")) {
		const cJSON *d = cJSON_GetObjectItem(m, "destination");

		if (cJSON_IsString(d) && !strcmp(d->valuestring, dest))
			return m;
	}
	return NULL;
}

/* A bundle of nothing real, for its config.json alone. */
static struct ib_oci_bundle toy_bundle(char **argv)
{
	return (struct ib_oci_bundle){
		.dir = "/nonexistent", .probe = "/nonexistent/probe",
		.scratch = "/nonexistent/scratch", .probe_argv = argv,
		.run_id = "20261202-000000-abcd",
		.cgroups_path = "/isobench/20261202-000000-abcd/x"};
}

static void app_root_read_only(void **state)
{
	char *argv[] = {"serve", NULL};
	struct ib_oci_bundle b = toy_bundle(argv);
	cJSON *c;
	const cJSON *tmp;

	(void)state;
	c = ib_oci_config(&b);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(
		cJSON_GetObjectItem(c, "root"), "readonly")));
	assert_null(mount_at(c, IB_APP_PREFIX "/tmp"));
	assert_non_null(mount_at(c, "/scratch"));
	cJSON_Delete(c);

	b.app_root = "/nonexistent/image";
	c = ib_oci_config(&b);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(c, "root"), "readonly")));
	tmp = mount_at(c, IB_APP_PREFIX "/tmp");
	assert_non_null(tmp);
	assert_string_equal(cJSON_GetObjectItem(tmp, "type")->valuestring,
			    "tmpfs");
	assert_null(mount_at(c, IB_APP_PREFIX "/data"));
	cJSON_Delete(c);

	b.app_tmpfs = IB_APP_PREFIX "/data";
	c = ib_oci_config(&b);
	assert_non_null(mount_at(c, IB_APP_PREFIX "/data"));
	assert_non_null(mount_at(c, "/tmp"));
	cJSON_Delete(c);
}

/* linux.resources.cpu.cpus of config c, or NULL. */
static const char *cpus_of(const cJSON *c)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
					    c, "linux"), "resources"), "cpu"),
		"cpus"));
}

/* The container's CPUs: none by default, --cpus N's first N, and the
 * runtime's cpuset option over both. */
static void cpu_set(void **state)
{
	char *argv[] = {"cpu", NULL};
	struct ib_oci_bundle b = toy_bundle(argv);
	cJSON *c;

	(void)state;
	c = ib_oci_config(&b);
	assert_null(cpus_of(c));
	cJSON_Delete(c);
	b.limits.cpus = 2;
	c = ib_oci_config(&b);
	assert_string_equal(cpus_of(c), "0-1");
	cJSON_Delete(c);
	b.cpuset = "1,3-4";
	c = ib_oci_config(&b);
	assert_string_equal(cpus_of(c), "1,3-4");
	cJSON_Delete(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(app_root_read_only),
		cmocka_unit_test(cpu_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
