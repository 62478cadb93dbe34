/* Unit tests of the names cleanup derives from a run id (state.c,
 * net_link.c): the run id's shape, interface names that encode the whole
 * id (two runs never share one; the old "ib" + last 4 hex digits did
 * whenever those matched), the exact pattern cleanup deletes, and, as
 * root in network and mount namespaces of the test's own, that a failed
 * link deletes no interface it did not make and that a subnet lock that
 * cannot be had is an error. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net_link.h"
#include "state/state.h"

static void test_run_id_shape(void **state)
{
	char id[64];

	(void)state;
	assert_true(ib_run_id_valid("20261201-120000-beef"));
	assert_true(ib_run_id_valid("19700101-000000-0000"));
	assert_false(ib_run_id_valid("../../etc"));
	assert_false(ib_run_id_valid("20261201-120000-BEEF"));
	assert_false(ib_run_id_valid("20261301-120000-beef"));
	assert_false(ib_run_id_valid("20261201-250000-beef"));
	assert_false(ib_run_id_valid("20261201-120000-beef0"));
	assert_false(ib_run_id_valid("20261201-120000-bee"));
	assert_false(ib_run_id_valid("validate"));
	assert_false(ib_run_id_valid(""));
	assert_false(ib_run_id_valid(NULL));
	ib_run_id_make(id, sizeof(id));
	assert_true(ib_run_id_valid(id));
}

static void test_if_names_unique(void **state)
{
	/* the same last 4 hex digits: the old names were all "ibbeef-1h" */
	static const char *const ids[] = {
		"20261201-120000-beef", "20261202-120000-beef",
		"20261201-130000-beef", "20261201-120100-beef",
		"20261201-120001-beef", "20271201-120000-beef",
		"20261201-120000-beee", "21001231-235959-beef",
	};
	char *names[ARRAY_LEN(ids)];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
		names[i] = ib_net_if_name(ids[i], 1, 'h');
		assert_non_null(names[i]);
		assert_int_equal(strlen(names[i]), IFNAMSIZ - 1);
		assert_true(ib_net_if_ours(ids[i], names[i]));
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(names[i], names[j]))
				fail_msg("%s and %s share %s", ids[i], ids[j],
					 names[i]);
			assert_false(ib_net_if_ours(ids[j], names[i]));
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(ids); i++)
		free(names[i]);
}

static void test_if_pattern_exact(void **state)
{
	const char *id = "20261201-120000-beef";
	char *h = ib_net_if_name(id, 1, 'h'), *t = ib_net_if_name(id, 99, 't');
	char bad[32];

	(void)state;
	assert_string_equal(h, "ib3b1qrc1fnf01h");
	assert_true(ib_net_if_ours(id, t));
	assert_null(ib_net_if_name(id, 100, 'h'));
	assert_null(ib_net_if_name(id, -1, 'h'));
	assert_false(ib_net_if_ours(id, "ib0"));
	assert_false(ib_net_if_ours(id, "ibbeef-1h"));
	snprintf(bad, sizeof(bad), "%.14sx", h); /* not an end of ours */
	assert_false(ib_net_if_ours(id, bad));
	snprintf(bad, sizeof(bad), "%.12sa1h", h); /* not a number */
	assert_false(ib_net_if_ours(id, bad));
	snprintf(bad, sizeof(bad), "%sh", h); /* longer */
	assert_false(ib_net_if_ours(id, bad));
	assert_false(ib_net_if_ours(id, NULL));
	free(h);
	free(t);
}

/* In a child, in namespaces of its own with a tmpfs on /run: 77 if
 * that cannot be had (not root, no namespaces), else 0 or a failed
 * check's number. */
static int in_private_net(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (geteuid() != 0 || unshare(CLONE_NEWNET | CLONE_NEWNS) != 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("none", "/run", "tmpfs", 0, "size=1m,mode=0755") != 0 ||
		    mkdir("/run/isobench", 0755) != 0 ||
		    system("ip link set lo up >/dev/null 2>&1") != 0)
			_exit(77);
		_exit(fn());
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int open_state(struct ib_state *s, const char *id, char *dir)
{
	struct ib_err err = {0};

	strcpy(dir, "/tmp/isobench-unit-net-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return ib_state_open(s, dir, id, &err);
}

static void close_state(struct ib_state *s, const char *dir)
{
	char p[128];

	ib_state_close(s);
	snprintf(p, sizeof(p), "%s/state.jsonl", dir);
	unlink(p);
	rmdir(dir);
}

/* Another interface already has the name this link wants (it cannot be
 * another run's now, but whatever holds it): the link fails and that
 * interface stays. */
static int taken_name(void)
{
	const char *id = "20261201-120000-beef";
	char *h = ib_net_if_name(id, 1, 'h'), cmd[200], dir[64];
	struct ib_net n = {.kind = IB_NET_NETNS, .index = 1};
	struct ib_err err = {0};
	struct ib_state s;
	int rc = 0;

	snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name "
		 "unitpeer >/dev/null 2>&1", h);
	if (system(cmd) != 0)
		return 77;
	if (open_state(&s, id, dir) < 0)
		return 2;
	if (ib_net_link_create(&n, &s, id, &err) == 0)
		rc = 3; /* it cannot have made it */
	else if (if_nametoindex(h) == 0)
		rc = 4; /* it deleted what it did not make */
	ib_net_link_remove(&n, &s);
	close_state(&s, dir);
	free(h);
	return rc;
}

static int lock_unavailable(void)
{
	const char *id = "20261201-120000-beef";
	struct ib_net n = {.kind = IB_NET_TAP, .index = 2};
	struct ib_err err = {0};
	struct ib_state s;
	char dir[64];
	int rc = 0;

	/* another run holds the lock (this namespace's) past the wait */
	if (ib_net_lock(&err) < 0)
		return 2;
	setenv("ISOBENCH_NET_LOCK_WAIT_S", "0.2", 1);
	if (open_state(&s, id, dir) < 0)
		return 3;
	if (ib_net_link_create(&n, &s, id, &err) == 0)
		rc = 4; /* went on without the lock */
	else if (!strstr(err.msg, "subnet lock"))
		rc = 5;
	ib_net_link_remove(&n, &s);
	close_state(&s, dir);
	return rc;
}

static void test_failed_link_keeps_others(void **state)
{
	int rc = in_private_net(taken_name);

	(void)state;
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
}

static void test_subnet_lock_error(void **state)
{
	int rc = in_private_net(lock_unavailable);

	(void)state;
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_id_shape),
		cmocka_unit_test(test_if_names_unique),
		cmocka_unit_test(test_if_pattern_exact),
		cmocka_unit_test(test_failed_link_keeps_others),
		cmocka_unit_test(test_subnet_lock_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
