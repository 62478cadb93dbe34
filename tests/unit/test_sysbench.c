/* test_sysbench: sysbench's OLTP tests and the wrapper's hook
 * (src/host/engines/sysbench_oltp.c).
 *
 * The parser on sysbench's output as it prints it, and on results that
 * are missing, malformed or disagree with themselves (each an error
 * naming what); the wrapper is created exclusively and refuses what is
 * not a test's name; and the real sysbench with the wrapper against a
 * real mariadbd on a Unix socket in the test's temp directory (no TCP):
 * the hook's figures are sysbench's own, checked against the line
 * sysbench prints beside them (tps, to its rounding) and against its
 * histogram (the counts add up to the transactions). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/proc.h"
#include "engines/sysbench_oltp.h"

#define MARIADBD "/usr/sbin/mariadbd"
#define INSTALL_DB "/usr/bin/mariadb-install-db"

static char T[200];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(T, sizeof(T), "%s/isobench-test-sb-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(T) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return ib_rmtree(T) == 0 ? 0 : -1;
}

/* What sysbench 1.0.20 prints with the wrapper, --percentile=95 and
 * --histogram=on, its histogram cut to six rows (148 transactions: p95 is
 * the 141st, at 0.030 ms; p99 the 147th, at 0.078 ms). */
#define HEAD                                                                  \
	"sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)\n"                 \
	"\n"                                                                  \
	"Threads started!\n"                                                  \
	"\n"                                                                  \
	"Latency histogram (values are in milliseconds)\n"                    \
	"       value  ------------- distribution ------------- count\n"
#define ROWS                                                                  \
	"       0.028 |                                         1\n"          \
	"       0.028 |******************                       66\n"         \
	"       0.029 |*****************                        62\n"         \
	"       0.030 |*****                                    15\n"         \
	"       0.078 |*                                        3\n"          \
	"       2.726 |                                         1\n"
#define LINE(events, pct)                                                     \
	"isobench-sysbench {\"time_s\":1.000000,\"events\":" events ","      \
	"\"reads\":1480,\"writes\":296,\"other\":296,\"errors\":0,"           \
	"\"reconnects\":0,\"latency_s\":{\"avg\":0.000043067,"                \
	"\"max\":0.002725813,\"pct\":" pct "}}\n"
#define TAIL "[ 1s ] thds: 0 tps: 148.00 qps: 2072.00\n"

static void test_parse(void **state)
{
	struct ib_sysbench_result r;
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(ib_sysbench_parse(HEAD ROWS " \n" LINE("148",
				"0.000030000") TAIL, &r, &err), 0);
	assert_true(r.events == 148 && r.time_s == 1.0);
	assert_true(fabs(r.transactions_per_s - 148) < 1e-9);
	assert_true(fabs(r.queries_per_s - 2072) < 1e-9);
	assert_true(fabs(r.lat_p95_ms - 0.030) < 1e-9);
	assert_true(fabs(r.lat_p99_ms - 0.078) < 1e-9);
	assert_true(fabs(r.lat_avg_ms - 0.043067) < 1e-9);
	assert_true(fabs(r.lat_max_ms - 2.725813) < 1e-9);
}

/* Each bad output is refused with a message holding want. */
static void refused(const char *text, const char *want)
{
	struct ib_sysbench_result r;
	struct ib_err err = {0};

	assert_true(ib_sysbench_parse(text, &r, &err) < 0);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
}

static void test_refused(void **state)
{
	(void)state;
	refused(HEAD ROWS "\n" TAIL, "no 'isobench-sysbench");
	refused("isobench-sysbench {\"time_s\":1}\n", "events is missing");
	refused("isobench-sysbench [1]\n", "not a JSON object");
	refused(LINE("148", "0.000030000") TAIL, "no latency histogram");
	/* the p95 of a histogram that is not the hook's */
	refused(HEAD ROWS "\n" LINE("148", "0.000078000"), "not the same data");
	/* counts that do not add up to the transactions */
	refused(HEAD ROWS "\n" LINE("150", "0.000030000"), "counts 148");
	refused(HEAD "       0.030 |  1\n       0.029 |  2\n\n"
		LINE("3", "0.000030000"), "row 2: no value, or one below");
	refused(HEAD "       0.030 |  1.5\n\n" LINE("1", "0.000030000"),
		"row 1: the count is not a whole number");
	refused(HEAD "       0.030    1\n\n" LINE("1", "0.000030000"),
		"row 1: no '|'");
	refused(HEAD "       0.030 | ***\n\n" LINE("1", "0.000030000"),
		"row 1: no count");
	refused(HEAD "\n" LINE("1", "0.000030000"), "has no row");
	refused(HEAD ROWS "\n" LINE("0", "0.000030000"), "no transaction");
	refused(HEAD ROWS "\n" LINE("-1", "0.000030000"), "events is not");
	refused(HEAD ROWS "\n" LINE("1e300", "0.000030000"), "events is not");
	refused(HEAD ROWS "\nisobench-sysbench {\"time_s\":0,\"events\":148,"
		"\"reads\":0,\"writes\":0,\"other\":0,\"errors\":0,"
		"\"reconnects\":0,\"latency_s\":{\"avg\":0,\"max\":0,"
		"\"pct\":0.00003}}\n", "time_s is 0");
}

static void test_script(void **state)
{
	char path[300], text[2048];
	struct ib_err err = {0};
	ssize_t n;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/w.lua", T);
	assert_int_equal(ib_sysbench_write_script(path, "/usr/share/sysbench",
						  "oltp_read_only", &err), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_true(n > 0);
	text[n] = '\0';
	assert_non_null(strstr(text, "dofile('/usr/share/sysbench/"
				     "oltp_read_only.lua')"));
	assert_non_null(strstr(text, "sysbench.hooks.report_cumulative"));
	/* exclusive: never written over, a symlink never followed */
	assert_int_equal(ib_sysbench_write_script(path, "/usr/share/sysbench",
						  "oltp_read_only", &err),
			 -EEXIST);
	assert_int_equal(ib_sysbench_write_script(path, "/x", "../x", &err),
			 -EINVAL);
	assert_int_equal(ib_sysbench_write_script(path, "/x", "", &err),
			 -EINVAL);
	assert_int_equal(ib_sysbench_write_script(path, "/x'y", "oltp_a",
						  &err), -EINVAL);
	assert_true(ib_sysbench_test_ok("oltp_point_select"));
	assert_false(ib_sysbench_test_ok("oltp read"));
}

static void test_argv(void **state)
{
	struct ib_sysbench_opts o = {.sysbench = "/usr/bin/sysbench",
				     .script = "w.lua", .host = "198.18.0.2",
				     .port = 3306, .user = "u", .password = "p",
				     .tables = 4, .table_size = 10,
				     .threads = 8, .seconds = 5,
				     .command = "run"};
	struct ib_strv a = {0};
	char joined[1024] = "";

	(void)state;
	ib_sysbench_argv(&o, &a);
	for (int i = 0; i < a.n; i++) {
		strcat(joined, a.v[i]);
		strcat(joined, " ");
	}
	assert_string_equal(joined, "/usr/bin/sysbench w.lua "
			    "--mysql-host=198.18.0.2 --mysql-port=3306 "
			    "--mysql-user=u --mysql-password=p --mysql-db=sbtest "
			    "--tables=4 --table-size=10 --threads=8 --time=5 "
			    "--events=0 --percentile=95 --histogram=on run ");
	ib_strv_free(&a);
	o.host = NULL;
	o.socket = "s.sock";
	o.password = NULL;
	o.command = "prepare";
	ib_sysbench_argv(&o, &a);
	assert_string_equal(a.v[2], "--mysql-socket=s.sock");
	assert_string_equal(a.v[a.n - 1], "prepare");
	ib_strv_free(&a);
}

/* Does the server in data accept on its socket s.sock? */
static int accepts(const char *data)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int dfd = open(data, O_RDONLY | O_DIRECTORY), fd, ok;

	if (dfd < 0)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/s.sock",
		 dfd);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	close(dfd);
	return ok;
}

/* A value of sysbench's own line "[ 1s ] thds: 0 tps: X qps: Y ...". */
static double line_value(const char *out, const char *key)
{
	const char *p = strstr(out, "] thds:");

	p = p ? strstr(p, key) : NULL;
	return p ? strtod(p + strlen(key), NULL) : -1;
}

static void test_real(void **state)
{
	char cnf[300], opt[320], data[300], log[300], script[300];
	char *install[] = {INSTALL_DB, opt, "--user=root",
			   "--auth-root-authentication-method=socket",
			   "--skip-test-db", NULL};
	char init[300], init_opt[320];
	char *server[] = {MARIADBD, opt, init_opt, NULL};
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT,
				   .output_file = log};
	struct ib_sysbench_opts o = {.sysbench = "/usr/bin/sysbench",
				     .script = "oltp_common", .socket = "s.sock",
				     .user = "root", .tables = 1,
				     .table_size = 1000, .threads = 1,
				     .seconds = 1, .command = "prepare"};
	struct ib_sysbench_result r;
	struct ib_proc srv = {0};
	struct ib_buf out = {0};
	struct ib_err err = {0};
	char *text = NULL;
	FILE *f;
	int tries = 0;

	(void)state;
	if (access(MARIADBD, X_OK) != 0 || access(INSTALL_DB, X_OK) != 0)
		fail_msg("%s or %s is not installed (scripts/setup.sh --tests "
			 "installs mariadb-server-core)", MARIADBD, INSTALL_DB);
	snprintf(cnf, sizeof(cnf), "%s/my.cnf", T);
	snprintf(opt, sizeof(opt), "--defaults-file=%s", cnf);
	snprintf(data, sizeof(data), "%s/data", T);
	snprintf(log, sizeof(log), "%s/server.log", T);
	snprintf(init, sizeof(init), "%s/init.sql", T);
	snprintf(init_opt, sizeof(init_opt), "--init-file=%s", init);
	f = fopen(cnf, "w");
	assert_non_null(f);
	fprintf(f, "[mariadbd]\nuser = root\ndatadir = %s\nsocket = s.sock\n"
		"pid-file = s.pid\nskip-networking\ntmpdir = %s\n"
		"innodb_use_native_aio = 0\ninnodb_log_file_size = 16M\n",
		data, T);
	fclose(f);
	f = fopen(init, "w");
	assert_non_null(f);
	fputs("CREATE DATABASE IF NOT EXISTS sbtest;\n", f);
	fclose(f);
	if (ib_proc_capture(install, NULL, 120, NULL, &out, &err) != 0) {
		char last[1024];

		snprintf(last, sizeof(last), "%s", out.s ? out.s : err.msg);
		ib_buf_free(&out);
		fail_msg("mariadb-install-db failed: %s", last);
	}
	ib_buf_free(&out);
	assert_int_equal(ib_proc_start(&srv, server, &so, &err), 0);
	while (!accepts(data) && !ib_pid_ended(srv.pid) && tries++ < 600)
		usleep(100000);
	if (!accepts(data)) {
		ib_proc_kill(&srv);
		fail_msg("mariadbd did not accept on its socket (log %s)", log);
	}
	if (ib_sysbench_run(&o, data, NULL, NULL, &err) < 0) {
		ib_proc_kill(&srv);
		fail_msg("sysbench prepare: %s", err.msg);
	}
	snprintf(script, sizeof(script), "%s/point_select.lua", T);
	assert_int_equal(ib_sysbench_write_script(script, "/usr/share/sysbench",
						  "oltp_point_select", &err), 0);
	o.script = script;
	o.command = "run";
	if (ib_sysbench_run(&o, data, &r, &text, &err) < 0) {
		ib_proc_kill(&srv);
		fail_msg("%s; it printed: %.2000s", err.msg, text ? text : "");
	}
	/* the hook's figures are those sysbench prints */
	assert_true(r.events > 100);
	assert_true(fabs(r.transactions_per_s - line_value(text, "tps: ")) <=
		    0.01 * r.transactions_per_s + 0.01);
	assert_true(fabs(r.queries_per_s - line_value(text, "qps: ")) <=
		    0.01 * r.queries_per_s + 0.01);
	assert_true(r.lat_p95_ms > 0 && r.lat_p95_ms <= r.lat_p99_ms &&
		    r.lat_p99_ms <= r.lat_max_ms + 0.001);
	assert_true(r.errors == 0 && r.reconnects == 0);
	free(text);
	kill(srv.pid, SIGTERM);
	assert_int_equal(ib_proc_wait(&srv, ib_mono_ns() + 60000000000ull), 0);
	assert_int_equal(srv.exit_code, 0);
	ib_proc_close(&srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_real),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
