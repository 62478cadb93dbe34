/* test_docker_api: the pure parts of src/host/engines/docker_api.c: the timeout
 * given to libcurl (never 0, which libcurl reads as "no timeout"), the
 * log stream's demultiplexer and the parsing of the engine's replies. */
#include "unit.h"

#include <errno.h>

#include "engines/docker_api.h"

static void timeout_ms_never_zero(void **state)
{
	(void)state;
	/* under a millisecond left: 1 ms, not 0 ("wait forever") */
	assert_int_equal(ib_http_timeout_ms(0.0004), 1);
	assert_int_equal(ib_http_timeout_ms(1e-9), 1);
	assert_int_equal(ib_http_timeout_ms(4.9e-324), 1);
	/* rounded up */
	assert_int_equal(ib_http_timeout_ms(0.0015), 2);
	assert_int_equal(ib_http_timeout_ms(1), 1000);
	assert_int_equal(ib_http_timeout_ms(60), 60000);
	/* no time left: 0, the caller does not call */
	assert_int_equal(ib_http_timeout_ms(0), 0);
	assert_int_equal(ib_http_timeout_ms(-0.0), 0);
	assert_int_equal(ib_http_timeout_ms(-5), 0);
	assert_int_equal(ib_http_timeout_ms(NAN), 0);
	assert_int_equal(ib_http_timeout_ms(-INFINITY), 0);
	/* huge: capped, never an overflowing conversion */
	assert_int_equal(ib_http_timeout_ms(1e300), IB_HTTP_MAX_TIMEOUT_MS);
	assert_int_equal(ib_http_timeout_ms(INFINITY), IB_HTTP_MAX_TIMEOUT_MS);
}

static void deadline_left(void **state)
{
	(void)state;
	assert_near(ib_deadline_left_s(2000000000ull, 1000000000ull), 1.0, 1e-12);
	/* 400 us left: still a (1 ms) timeout */
	assert_near(ib_deadline_left_s(1000400000ull, 1000000000ull), 0.0004, 1e-12);
	assert_int_equal(ib_http_timeout_ms(ib_deadline_left_s(1000400000ull,
								1000000000ull)), 1);
	/* expired, or just now: 0 */
	assert_near(ib_deadline_left_s(1000000000ull, 1000000000ull), 0, 0);
	assert_near(ib_deadline_left_s(1000000000ull, 5000000000ull), 0, 0);
	assert_int_equal(ib_http_timeout_ms(ib_deadline_left_s(1, 2)), 0);
}

/* No time left: -ETIMEDOUT at once, without connecting (the socket does
 * not exist: a call would say "connection refused" or similar). */
static void call_without_time(void **state)
{
	struct ib_err err = {0};
	long st = 0;

	(void)state;
	assert_int_equal(ib_docker_call("/nonexistent/isobench-unit.sock", "GET",
					"/_ping", NULL, NULL, 0, 0, &st, NULL,
					&err),
			 -ETIMEDOUT);
	assert_contains(err.msg, "no time left");
	assert_int_equal(ib_docker_call("/nonexistent/isobench-unit.sock", "GET",
					"/_ping", NULL, NULL, 0, -1, &st, NULL,
					&err),
			 -ETIMEDOUT);
	/* with time: it does try, and fails otherwise */
	assert_true(ib_docker_call("/nonexistent/isobench-unit.sock", "GET",
				   "/_ping", NULL, NULL, 0, 0.0001, &st, NULL,
				   &err) < 0);
}

static int collect(void *arg, const char *p, size_t n)
{
	ib_buf_put(arg, p, n);
	return 0;
}

static void demux_frames(void **state)
{
	/* stdout "hello\n", stderr "oops", stdout "" then "x" */
	static const unsigned char stream[] = {
		1, 0, 0, 0, 0, 0, 0, 6, 'h', 'e', 'l', 'l', 'o', '\n',
		2, 0, 0, 0, 0, 0, 0, 4, 'o', 'o', 'p', 's',
		1, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0, 1, 'x'};

	(void)state;
	/* whole, and split at every byte: the same output */
	for (size_t step = 1; step <= sizeof(stream); step++) {
		struct ib_docker_demux d = {0};
		struct ib_buf out = {0};

		for (size_t off = 0; off < sizeof(stream); off += step) {
			size_t n = sizeof(stream) - off < step ? sizeof(stream) - off
							       : step;

			assert_int_equal(ib_docker_demux_feed(&d, (const char *)stream + off,
							      n, collect, &out), 0);
		}
		assert_int_equal(out.len, 11);
		assert_memory_equal(out.s, "hello\noopsx", 11);
		assert_int_equal(d.hdr_have, 0);
		assert_int_equal(d.payload_left, 0);
		ib_buf_free(&out);
	}
}

static void parse_wait(void **state)
{
	static const struct {
		const char *body;
		int rc, code, sig;
	} cases[] = {
		{"{\"StatusCode\":0}", 0, 0, 0},
		{"{\"StatusCode\":3,\"Error\":null}", 0, 3, 0},
		{"{\"StatusCode\":128}", 0, 128, 0},
		{"{\"StatusCode\":137}", 0, -1, 9},
		{"{\"StatusCode\":255}", 0, 255, 0},
		{"{\"StatusCode\":-1}", -EPROTO, -1, 0},
		{"{\"StatusCode\":2.5}", -EPROTO, -1, 0},
		{"{\"StatusCode\":1e300}", -EPROTO, -1, 0},
		{"{\"StatusCode\":256}", -EPROTO, -1, 0},
		{"{\"StatusCode\":\"0\"}", -EPROTO, -1, 0},
		{"{\"message\":\"No such container\"}", -EPROTO, -1, 0},
		{"[1,2]", -EPROTO, -1, 0},
		{"", -EPROTO, -1, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int code = 42, sig = 42;

		assert_int_equal(ib_docker_parse_wait(cases[i].body,
						      strlen(cases[i].body),
						      &code, &sig),
				 cases[i].rc);
		assert_int_equal(code, cases[i].code);
		assert_int_equal(sig, cases[i].sig);
	}
	{
		int code = 42, sig = 42;

		assert_int_equal(ib_docker_parse_wait(NULL, 0, &code, &sig), -EPROTO);
		assert_int_equal(code, -1);
	}
}

static void parse_create_and_info(void **state)
{
	const char *ok = "{\"Id\":\"4fa6e0f0c678\",\"Warnings\":[]}";
	const char *info = "{\"ServerVersion\":\"20.10.24\",\"Runtimes\":"
			   "{\"runc\":{\"path\":\"runc\"}}}";
	char *id, *v;

	(void)state;
	id = ib_docker_parse_create(ok, strlen(ok));
	assert_string_equal(id, "4fa6e0f0c678");
	free(id);
	assert_null(ib_docker_parse_create("{\"Id\":\"../x\"}", 13));
	assert_null(ib_docker_parse_create("{\"Id\":\"\"}", 9));
	assert_null(ib_docker_parse_create("{\"Id\":12}", 9));
	assert_null(ib_docker_parse_create("nope", 4));
	assert_int_equal(ib_docker_parse_info(info, strlen(info), "runc", &v), 1);
	assert_string_equal(v, "20.10.24");
	free(v);
	assert_int_equal(ib_docker_parse_info(info, strlen(info), "runsc", &v), 0);
	free(v);
	assert_int_equal(ib_docker_parse_info("{}", 2, "runc", &v), 0);
	assert_string_equal(v, "?");
	free(v);
	assert_int_equal(ib_docker_parse_info("null", 4, "runc", &v), -EPROTO);
	assert_null(v);
	/* only len bytes count */
	assert_int_equal(ib_docker_parse_info(info, 5, "runc", &v), -EPROTO);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timeout_ms_never_zero),
		cmocka_unit_test(deadline_left),
		cmocka_unit_test(call_without_time),
		cmocka_unit_test(demux_frames),
		cmocka_unit_test(parse_wait),
		cmocka_unit_test(parse_create_and_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
