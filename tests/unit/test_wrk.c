/* test_wrk: wrk and its done() hook (src/host/engines/wrk.c).
 *
 * The parser on wrk's output as it prints it, and on results that are
 * missing, malformed or impossible (each an error naming what); the
 * script is created exclusively; and the real wrk with the script against
 * a real nginx on loopback (a config in the test's temp directory): the
 * hook's figures are wrk's own, checked against the text wrk prints
 * beside them (the requests count exactly, requests/s to its rounding). */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "engines/wrk.h"

#define WRK "/usr/bin/wrk"
#define NGINX "/usr/sbin/nginx"

static char T[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(T, sizeof(T), "%s/isobench-test-wrk-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(T))
		return -1;
	/* nginx's workers run as nobody: they must reach the files */
	return chmod(T, 0755);
}

static int teardown(void **state)
{
	(void)state;
	return ib_rmtree(T) == 0 ? 0 : -1;
}

/* What wrk 4.1 prints with --latency and the script, trimmed. */
static const char good[] =
	"Running 1s test @ http://127.0.0.1:8080/\n"
	"  1 threads and 2 connections\n"
	"  Latency Distribution\n"
	"     50%  101.00us\n"
	"  20873 requests in 1.00s, 5.07MB read\n"
	"Requests/sec:  20842.12\n"
	"isobench-wrk {\"duration_us\":1001480,\"requests\":20873,"
	"\"bytes\":5322615,\"errors\":{\"connect\":0,\"read\":0,\"write\":0,"
	"\"status\":3,\"timeout\":1},\"latency_us\":{\"min\":41,\"mean\":"
	"104.250,\"max\":2701,\"p50\":101,\"p90\":140,\"p99\":260,"
	"\"p999\":900}}\n";

static void test_parse(void **state)
{
	struct ib_wrk_result r;
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(ib_wrk_parse(good, &r, &err), 0);
	assert_near(r.duration_s, 1.00148, 1e-9);
	assert_near(r.requests, 20873, 0);
	assert_near(r.requests_per_s, 20873 / 1.00148, 1e-6);
	assert_near(r.mb_per_s, 5322615 / 1.00148 / 1e6, 1e-9);
	assert_int_equal(r.err_status, 3);
	assert_int_equal(r.err_timeout, 1);
	assert_near(r.lat_p50_us, 101, 0);
	assert_near(r.lat_p999_us, 900, 0);
	assert_near(r.lat_mean_us, 104.25, 1e-9);
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *out, *why;
	} cases[] = {
		{"Running 1s test\n20873 requests in 1.00s\n", "no 'isobench-wrk"},
		{"isobench-wrk {\"duration_us\":1\n", "not a JSON object"},
		{"isobench-wrk [1]\n", "not a JSON object"},
		{"isobench-wrk {\"duration_us\":1,\"bytes\":1}\n",
		 "requests is missing"},
		{"isobench-wrk {\"duration_us\":1,\"requests\":1,\"bytes\":-5}\n",
		 "bytes is not a number >= 0"},
		{"isobench-wrk {\"duration_us\":0,\"requests\":0,\"bytes\":0,"
		 "\"errors\":{}}\n", "duration_us is 0"},
		{"isobench-wrk {\"duration_us\":5,\"requests\":0,\"bytes\":0}\n",
		 "no errors"},
		{"isobench-wrk {\"duration_us\":5,\"requests\":0,\"bytes\":0,"
		 "\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"status\":1.5,"
		 "\"timeout\":0}}\n", "errors.status is not a count"},
		{"isobench-wrk {\"duration_us\":5,\"requests\":3,\"bytes\":0,"
		 "\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"status\":0,"
		 "\"timeout\":0},\"latency_us\":{\"min\":1,\"mean\":2,\"max\":9,"
		 "\"p50\":5,\"p90\":4,\"p99\":6,\"p999\":7}}\n", "out of order"},
		{"isobench-wrk {\"duration_us\":5,\"requests\":3,\"bytes\":0,"
		 "\"errors\":{\"connect\":0,\"read\":0,\"write\":0,\"status\":0,"
		 "\"timeout\":0}}\n", "no latency_us"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct ib_wrk_result r;
		struct ib_err err = {0};

		if (ib_wrk_parse(cases[i].out, &r, &err) == 0)
			fail_msg("case %zu parsed: %s", i, cases[i].out);
		assert_contains(err.msg, cases[i].why);
	}
	/* no request answered: the counts stand, no latency is needed */
	{
		struct ib_wrk_result r;
		struct ib_err err = {0};

		assert_int_equal(ib_wrk_parse(
			"isobench-wrk {\"duration_us\":5,\"requests\":0,\"bytes\":0,"
			"\"errors\":{\"connect\":9,\"read\":0,\"write\":0,"
			"\"status\":0,\"timeout\":0}}\n", &r, &err), 0);
		assert_int_equal(r.err_connect, 9);
	}
}

static void test_script_exclusive(void **state)
{
	char *path = ib_xasprintf("%s/done.lua", T);
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(ib_wrk_write_script(path, &err), 0);
	assert_int_equal(ib_wrk_write_script(path, &err), -EEXIST);
	unlink(path);
	assert_int_equal(symlink("/etc/passwd-not-to-touch", path), 0);
	assert_int_equal(ib_wrk_write_script(path, &err), -EEXIST);
	unlink(path);
	free(path);
}

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int accepts(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A number printed after label in text, or -1. */
static double after(const char *text, const char *label)
{
	const char *p = strstr(text, label);

	return p ? strtod(p + strlen(label), NULL) : -1;
}

/* N of wrk's line "  N requests in 1.00s, ...", or -1. */
static double requests_line(const char *text)
{
	const char *p = strstr(text, " requests in "), *s = p;

	if (!p)
		return -1;
	while (s > text && s[-1] != '\n')
		s--;
	return strtod(s, NULL);
}

static void test_real_wrk_and_nginx(void **state)
{
	int port = free_port();
	char *conf = ib_xasprintf("%s/nginx.conf", T);
	char *script = ib_xasprintf("%s/done.lua", T);
	char *url = ib_xasprintf("http://127.0.0.1:%d/", port), *out = NULL;
	char *text = ib_xasprintf(
		"worker_processes 1;\npid %s/nginx.pid;\nerror_log stderr;\n"
		"events { worker_connections 64; }\nhttp {\n access_log off;\n"
		" client_body_temp_path %s;\n proxy_temp_path %s;\n"
		" fastcgi_temp_path %s;\n uwsgi_temp_path %s;\n"
		" scgi_temp_path %s;\n server { listen 127.0.0.1:%d; root %s; }\n}\n",
		T, T, T, T, T, T, port, T);
	char *argv[] = {NGINX, "-p", T, "-c", conf, "-g", "daemon off;", NULL};
	struct ib_wrk_opts o = {WRK, script, url, 1, 2, 1, 2};
	struct ib_proc nginx = {0};
	struct ib_wrk_result r;
	struct ib_err err = {0};
	FILE *f;

	(void)state;
	if (access(WRK, X_OK) != 0 || access(NGINX, X_OK) != 0)
		fail_msg("%s or %s is not installed: scripts/setup.sh --tests "
			 "installs both", WRK, NGINX);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	{
		char *index = ib_xasprintf("%s/index.html", T);

		f = fopen(index, "w");
		assert_non_null(f);
		fputs("a page served to wrk\n", f);
		fclose(f);
		free(index);
	}
	assert_int_equal(ib_wrk_write_script(script, &err), 0);
	if (ib_proc_spawn(&nginx, argv, T, IB_PROC_DIE_WITH_PARENT, &err) < 0)
		fail_msg("nginx: %s", err.msg);
	for (int i = 0; i < 1000 && !accepts(port); i++)
		usleep(10000);
	assert_true(accepts(port));
	if (ib_wrk_run(&o, &r, &out, &err) < 0)
		fail_msg("wrk: %s\n%s", err.msg, out ? out : "");
	/* nginx: SIGTERM to its master, which ends its worker */
	kill(nginx.pid, SIGTERM);
	assert_int_equal(ib_proc_wait(&nginx, ib_mono_ns() + 10000000000ULL), 0);
	ib_proc_close(&nginx);

	assert_true(r.requests > 100);
	assert_int_equal(r.err_connect + r.err_read + r.err_write +
			 r.err_status + r.err_timeout, 0);
	assert_true(r.duration_s > 0.9 && r.duration_s < 5);
	assert_true(r.bytes > r.requests * 20);
	assert_true(r.lat_p50_us > 0 && r.lat_p99_us >= r.lat_p50_us);
	/* the hook's figures are wrk's own: its text says the same */
	assert_near(requests_line(out), r.requests, 0);
	assert_near(after(out, "Requests/sec:"), r.requests_per_s,
		    r.requests_per_s * 0.01);
	free(out);
	free(text);
	free(url);
	free(script);
	free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_script_exclusive),
		cmocka_unit_test(test_real_wrk_and_nginx),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
