/* test_state: the run's journal (src/host/state/state.c) written through
 * its API and replayed by cleanup (src/host/cleanup/cleanup.c): what is
 * left is every "add" without its "del", undone in reverse order of
 * creation; a torn last line is ignored; a real cleanup strikes off what
 * it removed, so a second one finds nothing (it did not after a torn
 * line: the first "del" was glued to it and lost). A resource of a runtime
 * goes to that driver's cleanup op, in its turn. Everything happens in a
 * temp directory of the test's own (the runtime directory too).
 *
 * The runtime registry is this file's own (ib_runtimes[] below, in place
 * of registry.c's): one toy driver with a cleanup op, so the test links
 * the journal and cleanup and no real driver. */
#include "unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "runtime/drivers/registry.h"
#include "no_drivers.h"
#include "state/state.h"

/* The toy driver's cleanup: notes the resource's name (it has nothing to
 * remove), after the removals cleanup already planned, so its turn shows. */
static char toy_seen[8][32];
static int toy_nseen, toy_after_acts[8];

static int toy_cleanup(const struct ib_runtime_ops *ops,
		       struct ib_cleanup *cx, const cJSON *res,
		       struct ib_err *err)
{
	(void)ops;
	(void)err;
	if (toy_nseen < 8) {
		snprintf(toy_seen[toy_nseen], sizeof(toy_seen[0]), "%s",
			 cJSON_GetStringValue(cJSON_GetObjectItem(res, "name")));
		toy_after_acts[toy_nseen++] = cx->nacts;
	}
	return 0;
}

static const struct ib_runtime_ops toy = {
	.name = "toy", .cleanup = toy_cleanup,
};
const struct ib_runtime_ops *const ib_runtimes[] = {&toy};
const int ib_nruntimes = 1;

static char T[256], run_dir[300], rt_dir[300], work[400], id[64];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char *real;

	(void)state;
	snprintf(T, sizeof(T), "%s/isobench-test-state-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(T) || !(real = realpath(T, NULL)))
		return -1;
	snprintf(T, sizeof(T), "%s", real);
	free(real);
	ib_run_id_make(id, sizeof(id));
	snprintf(run_dir, sizeof(run_dir), "%s/run", T);
	snprintf(rt_dir, sizeof(rt_dir), "%s/rt", T);
	snprintf(work, sizeof(work), "%s/isobench-%s", T, id);
	setenv("ISOBENCH_RUNTIME_DIR", rt_dir, 1);
	return mkdir(run_dir, 0700) || mkdir(rt_dir, 0700) ||
	       mkdir(work, 0700) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return ib_rmtree(T) == 0 ? 0 : -1;
}

/* A directory of the work directory, made and recorded. */
static void add_dir(struct ib_state *s, const char *name)
{
	char *p = ib_xasprintf("%s/%s", work, name);
	struct ib_err err = {0};

	assert_int_equal(mkdir(p, 0700), 0);
	if (ib_state_add_dir(s, name, p, &err) < 0)
		fail_msg("add %s: %s", name, err.msg);
	free(p);
}

/* Index in cx's actions of the removal of work/name (or work itself for
 * NULL), or -1. */
static int rmtree_at(const struct ib_cleanup *cx, const char *name)
{
	char *p = name ? ib_xasprintf("%s/%s", work, name) : ib_xstrdup(work);
	int at = -1;

	for (int i = 0; i < cx->nacts && at < 0; i++)
		if (cx->acts[i].act == IB_ACT_RMTREE &&
		    !strcmp(cx->acts[i].target, p))
			at = i;
	free(p);
	return at;
}

/* The toy registry above is the only one: no real driver came along. */
static void test_links_no_driver(void **state)
{
	(void)state;
	assert_no_real_driver();
}

static void test_replay(void **state)
{
	struct ib_state s = {0};
	struct ib_cleanup_opts o = {.dry_run = 1, .runtime_dir = rt_dir};
	struct ib_cleanup cx;
	struct ib_buf log = {0};
	struct ib_err err = {0};
	char *path;
	cJSON *res;
	FILE *f;
	int rc;

	(void)state;
	if (ib_state_open(&s, run_dir, id, &err) < 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(ib_state_add_dir(&s, "work", work, &err), 0);
	add_dir(&s, "a");
	assert_int_equal(ib_state_add_marker(&s, id, &err), 0);
	add_dir(&s, "b");
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "kind", "container");
	cJSON_AddStringToObject(res, "runtime", "toy");
	cJSON_AddStringToObject(res, "name", "box");
	assert_int_equal(ib_state_add(&s, res, &err), 0);
	add_dir(&s, "c");
	assert_int_equal(ib_state_del(&s, "a", &err), 0); /* a is gone */
	ib_state_close(&s); /* a killed run would leave it locked: unlock */
	/* a line torn by the kill: ignored */
	path = ib_xasprintf("%s/state.jsonl", run_dir);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("{\"kind\":\"dir\",\"name\":\"d\",\"pa", f);
	fclose(f);
	free(path);

	memset(&cx, 0, sizeof(cx));
	rc = ib_cleanup_run(run_dir, &o, &log, &cx, &err);
	if (rc < 0)
		fail_msg("dry run: %s\n%s", err.msg, log.s ? log.s : "");
	assert_string_equal(cx.run_id, id);
	assert_int_equal(rmtree_at(&cx, "a"), -1); /* its del was replayed */
	assert_true(rmtree_at(&cx, "c") >= 0);
	assert_true(rmtree_at(&cx, "c") < rmtree_at(&cx, "b"));
	assert_true(rmtree_at(&cx, "b") < rmtree_at(&cx, NULL));
	/* box went to the toy driver after c's removal, before b's */
	assert_int_equal(toy_nseen, 1);
	assert_string_equal(toy_seen[0], "box");
	assert_true(toy_after_acts[0] > rmtree_at(&cx, "c"));
	assert_true(toy_after_acts[0] <= rmtree_at(&cx, "b"));
	for (int i = 0; i < cx.nacts; i++) /* the torn line named nothing */
		assert_null(strstr(cx.acts[i].target ? cx.acts[i].target : "",
				   "/d"));
	ib_cleanup_free(&cx);
	ib_buf_free(&log);

	/* for real, then again: nothing left */
	o.dry_run = 0;
	rc = ib_cleanup_run(run_dir, &o, &log, NULL, &err);
	if (rc != 0)
		fail_msg("cleanup: %d %s\n%s", rc, err.msg, log.s ? log.s : "");
	assert_int_equal(access(work, F_OK), -1);
	ib_buf_free(&log);
	rc = ib_cleanup_run(run_dir, &o, &log, NULL, &err);
	if (rc != 0)
		fail_msg("second cleanup: %d %s\n%s", rc, err.msg,
			 log.s ? log.s : "");
	assert_non_null(strstr(log.s ? log.s : "", "nothing left behind"));
	ib_buf_free(&log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_no_driver),
		cmocka_unit_test(test_replay),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
