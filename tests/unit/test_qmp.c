/* test_qmp: the pure parts of src/host/engines/qmp.c: lines taken from the bytes
 * read, what a message says to a command, and the vCPU thread ids of
 * query-cpus-fast, range-checked before they become pids. */
#include "unit.h"

#include <errno.h>

#include "engines/qmp.h"

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	assert_non_null(j);
	return j;
}

static void vcpu_tids(void **state)
{
	static const char *const bad[] = {
		"[{\"thread-id\": 1e300}]",
		"[{\"thread-id\": -1}]",
		"[{\"thread-id\": 0}]",
		"[{\"thread-id\": 2.5}]",
		"[{\"thread-id\": 4194305}]",
		"[{\"thread-id\": -1e300}]",
		"[{\"thread-id\": \"12\"}]",
		"[{\"cpu-index\": 0}]",
		"[{\"thread-id\": 12}, 7]",
		"{\"thread-id\": 12}",
		"12",
	};
	pid_t tids[4];
	struct ib_err err = {0};
	cJSON *j;

	(void)state;
	j = parse("[{\"cpu-index\":0,\"thread-id\":4242},"
		  "{\"cpu-index\":1,\"thread-id\":4194304}]");
	assert_int_equal(ib_qmp_vcpu_tids(j, tids, 4, &err), 2);
	assert_int_equal(tids[0], 4242);
	assert_int_equal(tids[1], 4194304);
	/* more than there is room for */
	assert_int_equal(ib_qmp_vcpu_tids(j, tids, 1, &err), -EPROTO);
	cJSON_Delete(j);
	j = parse("[]");
	assert_int_equal(ib_qmp_vcpu_tids(j, tids, 4, &err), 0);
	cJSON_Delete(j);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		j = parse(bad[i]);
		err.msg[0] = '\0';
		if (ib_qmp_vcpu_tids(j, tids, 4, &err) != -EPROTO)
			fail_msg("%s: accepted", bad[i]);
		assert_contains(err.msg, "query-cpus-fast");
		cJSON_Delete(j);
	}
	assert_int_equal(ib_qmp_vcpu_tids(NULL, tids, 4, &err), -EPROTO);
}

static void take_message(void **state)
{
	struct ib_buf in = {0};
	struct ib_err err = {0};
	cJSON *m;

	(void)state;
	assert_int_equal(ib_qmp_take_message(&in, &m, &err), 0);
	ib_buf_puts(&in, "{\"QMP\": {}}\r\n{\"return\"");
	assert_int_equal(ib_qmp_take_message(&in, &m, &err), 1);
	assert_non_null(cJSON_GetObjectItem(m, "QMP"));
	cJSON_Delete(m);
	assert_int_equal(ib_qmp_take_message(&in, &m, &err), 0);
	assert_null(m);
	ib_buf_puts(&in, ": {}}\nnot json\n");
	assert_int_equal(ib_qmp_take_message(&in, &m, &err), 1);
	cJSON_Delete(m);
	assert_int_equal(ib_qmp_take_message(&in, &m, &err), -EPROTO);
	assert_null(m);
	assert_int_equal(in.len, 0);
	/* a line that never ends */
	{
		char spaces[1024];

		memset(spaces, ' ', sizeof(spaces));
		while (in.len <= IB_QMP_MAX_MESSAGE)
			ib_buf_put(&in, spaces, sizeof(spaces));
	}
	assert_int_equal(ib_qmp_take_message(&in, &m, &err), -EPROTO);
	assert_contains(err.msg, "over 1 MiB");
	ib_buf_free(&in);
}

static void reply(void **state)
{
	struct ib_err err = {0};
	cJSON *m, *ret;

	(void)state;
	m = parse("{\"return\": [1]}");
	assert_int_equal(ib_qmp_reply(m, "x", &ret, &err), 1);
	assert_true(cJSON_IsArray(ret));
	cJSON_Delete(ret);
	cJSON_Delete(m);
	m = parse("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}");
	assert_int_equal(ib_qmp_reply(m, "x", NULL, &err), -EPROTO);
	assert_contains(err.msg, "GenericError: no");
	cJSON_Delete(m);
	m = parse("{\"error\": 5}");
	assert_int_equal(ib_qmp_reply(m, "x", NULL, &err), -EPROTO);
	cJSON_Delete(m);
	m = parse("{\"event\": \"RESUME\"}");
	assert_int_equal(ib_qmp_reply(m, "x", NULL, &err), 0);
	cJSON_Delete(m);
	m = parse("[1]");
	assert_int_equal(ib_qmp_reply(m, "x", NULL, &err), 0);
	cJSON_Delete(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vcpu_tids),
		cmocka_unit_test(take_message),
		cmocka_unit_test(reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
