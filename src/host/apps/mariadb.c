#include "apps/mariadb.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/proc.h"
#include "common/argv_file.h"
#include "common/cpus.h"

#define PREP_READY_S 60.0 /* the preparation's server: its start */
#define PREP_STOP_S 60.0  /* and its clean shutdown */

/* mariadbd and what it opens: its libraries come from its loader
 * (app_image.c); lc-messages-dir and character-sets-dir in the
 * configuration name these two. */
const char ib_mariadb_manifest[] =
	"[app]\n"
	"name = mariadb\n"
	"binaries = " IB_MARIADB_BIN "\n"
	"files = /usr/share/mysql/english/errmsg.sys, /usr/share/mysql/charsets\n";

const char ib_mariadb_init_sql[] =
	"CREATE DATABASE IF NOT EXISTS sbtest;\n"
	"CREATE USER IF NOT EXISTS '" IB_MARIADB_USER "'@'%' IDENTIFIED BY '"
	IB_MARIADB_PASSWORD "';\n"
	"GRANT ALL ON sbtest.* TO '" IB_MARIADB_USER "'@'%';\n";

uint64_t ib_mariadb_pool_bytes(uint64_t data_bytes)
{
	const uint64_t unit = 128ull << 20;
	uint64_t want = data_bytes + data_bytes / 2;

	return want <= unit ? unit : (want + unit - 1) / unit * unit;
}

char *ib_mariadb_conf(const char *datadir, const char *tmpdir,
		      uint64_t pool_bytes, int networking)
{
	return ib_xasprintf(
		"# written by isobench (src/host/apps/mariadb.c)\n"
		"[mariadbd]\n"
		"user = root\n"
		"datadir = %s\n"
		"tmpdir = %s\n"
		"socket = %s\n"
		"pid-file = mariadbd.pid\n"
		"%s"
		"skip-name-resolve\n"
		"skip-log-bin\n"
		"lc-messages-dir = /usr/share/mysql\n"
		"character-sets-dir = /usr/share/mysql/charsets\n"
		"innodb_buffer_pool_size = %" PRIu64 "\n"
		"innodb_log_file_size = 16M\n"
		"innodb_use_native_aio = 0\n"
		"max_connections = 1100\n",
		datadir, tmpdir,
		networking ? "mariadbd.sock" : IB_MARIADB_PREP_SOCKET,
		networking ? "port = 3306\nbind-address = 0.0.0.0\n"
			   : "skip-networking\n",
		pool_bytes);
}

int ib_mariadb_launch_files(const char *dir, const char *prefix,
			    const char *datadir, uint64_t pool_bytes,
			    struct ib_err *err)
{
	char *tmp = ib_xasprintf("%s/tmp", dir);
	char *conf_in = ib_xasprintf("%s/my.cnf", prefix);
	char *tmp_in = ib_xasprintf("%s/tmp", prefix);
	char *opt = ib_xasprintf("--defaults-file=%s", conf_in);
	char *argv[] = {IB_MARIADB_BIN, opt, NULL};
	char *path = NULL, *text = NULL, why[256];
	int rc = ib_mkdir_private(tmp, 0755, 1, err);

	if (rc < 0)
		goto out;
	text = ib_mariadb_conf(datadir, tmp_in, pool_bytes, 1);
	path = ib_xasprintf("%s/my.cnf", dir);
	rc = ib_write_file_atomic_mode(path, text, strlen(text), 0644, err);
	free(text), free(path);
	text = path = NULL;
	if (rc < 0)
		goto out;
	text = ib_argv_file_format(argv, 2, why, sizeof(why));
	if (!text) {
		rc = ib_err_set(err, -EINVAL, "mariadbd's command line: %s", why);
		goto out;
	}
	path = ib_xasprintf("%s/serve-argv", dir);
	rc = ib_write_file_atomic_mode(path, text, strlen(text), 0644, err);
out:
	free(text), free(path), free(opt), free(tmp_in), free(conf_in), free(tmp);
	return rc;
}

/* --- the data set's preparation ------------------------------------------ */

/* Does the server whose data directory is dirfd accept on its socket?
 * (connected through /proc/self/fd: the path's length is then the same
 * however deep the run's directory is) */
static int prep_accepts(int dirfd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s",
		 dirfd, IB_MARIADB_PREP_SOCKET);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static uint64_t tree_bytes_sum;

static int add_bytes(const char *path, const struct stat *st, int flag,
		     struct FTW *f)
{
	(void)path, (void)f;
	if (flag == FTW_F && S_ISREG(st->st_mode))
		tree_bytes_sum += (uint64_t)st->st_size;
	return 0;
}

/* The bytes of the regular files under dir (symlinks not followed). */
static uint64_t tree_bytes(const char *dir)
{
	tree_bytes_sum = 0;
	nftw(dir, add_bytes, 16, FTW_PHYS);
	return tree_bytes_sum;
}

/* The last bytes of a log file, on one line, for an error's message. */
static void log_tail(const char *path, char *out, size_t cap)
{
	char buf[600];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	ssize_t n = 0;

	snprintf(out, cap, "(no output)");
	if (end > 0) {
		off_t at = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;

		n = pread(fd, buf, sizeof(buf) - 1, at);
	}
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = '|';
		else if ((unsigned char)buf[i] < 0x20)
			buf[i] = '?';
	/* its end: the last lines */
	{
		size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;

		memcpy(out, buf + (size_t)n - k, k);
		out[k] = '\0';
	}
}

/* Starts the preparation's server on its socket and waits until it
 * accepts. 0, or < 0 with err set (the server then stopped). */
static int prep_server_start(struct ib_proc *srv, const char *dir,
			     const char *data, int (*stop)(void),
			     struct ib_err *err)
{
	char *cnf = ib_xasprintf("--defaults-file=%s/prep.cnf", dir);
	char *init = ib_xasprintf("--init-file=%s/init.sql", dir);
	char *log = ib_xasprintf("%s/server.log", dir);
	char *argv[] = {IB_MARIADB_BIN, cnf, init, NULL};
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT,
				   .output_file = log};
	uint64_t t0 = ib_mono_ns();
	int dfd = -1, rc = ib_proc_start(srv, argv, &so, err);

	if (rc == 0)
		dfd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	while (rc == 0 && !prep_accepts(dfd)) {
		char last[400];

		if (dfd < 0 || ib_pid_ended(srv->pid) || (stop && stop()) ||
		    (double)(ib_mono_ns() - t0) / 1e9 > PREP_READY_S) {
			log_tail(log, last, sizeof(last));
			rc = ib_err_set(err, -EIO, "mariadbd (the data set's "
					"preparation) %s; its log %s ends: %s",
					dfd < 0 ? "has no data directory"
					: ib_pid_ended(srv->pid) ? "exited"
					: stop && stop() ? "interrupted"
					: "did not accept on its socket in 60 s",
					log, last);
			ib_proc_kill(srv);
			break;
		}
		usleep(50000);
	}
	if (dfd >= 0)
		close(dfd);
	free(cnf), free(init), free(log);
	return rc;
}

/* Ends the preparation's server with SIGTERM: 0 if it shut down cleanly
 * (exit 0) in time, else < 0 with err set (and it is killed). */
static int prep_server_stop(struct ib_proc *srv, const char *dir,
			    struct ib_err *err)
{
	char last[400], *log = ib_xasprintf("%s/server.log", dir);
	int rc = 0;

	kill(srv->pid, SIGTERM);
	if (ib_proc_wait(srv, ib_mono_ns() + (uint64_t)(PREP_STOP_S * 1e9)) < 0 ||
	    srv->exit_code != 0) {
		log_tail(log, last, sizeof(last));
		rc = ib_err_set(err, -EIO, "mariadbd (the data set's "
				"preparation) did not shut down cleanly on "
				"SIGTERM; its log %s ends: %s", log, last);
		ib_proc_kill(srv);
	}
	ib_proc_close(srv);
	free(log);
	return rc;
}

int ib_mariadb_prepare_data(const char *top, int tables, int table_size,
			    int (*stop)(void), uint64_t *bytes,
			    struct ib_err *err)
{
	char *dir = ib_xasprintf("%s/prep", top), *image = ib_xasprintf("%s/image", top);
	char *data = ib_xasprintf("%s/data", image), *tmp = ib_xasprintf("%s/tmp", dir);
	char *cnf = ib_xasprintf("%s/prep.cnf", dir);
	char *sql = ib_xasprintf("%s/init.sql", dir);
	char *opt = ib_xasprintf("--defaults-file=%s", cnf);
	char *text = NULL, *sysbench = ib_which("sysbench");
	char *install[] = {IB_MARIADB_INSTALL_DB, opt, "--user=root",
			   "--auth-root-authentication-method=socket",
			   "--skip-test-db", NULL};
	struct ib_proc srv = {0};
	struct ib_buf out = {0};
	int rc, cpus = ib_usable_cpus();

	srv.out_fd = srv.in_fd = -1;
	rc = ib_mkdir_private(top, 0700, 1, err);
	if (rc == 0)
		rc = ib_mkdir_private(dir, 0700, 1, err);
	if (rc == 0)
		rc = ib_mkdir_private(tmp, 0700, 1, err);
	if (rc == 0)
		rc = ib_mkdir_private(image, 0755, 1, err);
	if (rc < 0)
		goto out;
	text = ib_mariadb_conf(data, tmp, ib_mariadb_pool_bytes(0), 0);
	rc = ib_write_file_atomic_mode(cnf, text, strlen(text), 0600, err);
	if (rc == 0)
		rc = ib_write_file_atomic_mode(sql, ib_mariadb_init_sql,
					       strlen(ib_mariadb_init_sql), 0600,
					       err);
	if (rc < 0)
		goto out;
	rc = ib_proc_capture(install, NULL, 300, stop, &out, err);
	if (rc > 0) {
		size_t n = out.s ? strlen(out.s) : 0;

		rc = ib_err_set(err, -EIO, "mariadb-install-db exited with "
				"status %d: %.300s", rc, n > 300 ? out.s + n - 300
				: n ? out.s : "");
	}
	if (rc < 0 || (rc = prep_server_start(&srv, dir, data, stop, err)) < 0)
		goto out;
	if (!sysbench) {
		rc = ib_err_set(err, -ENOENT, "sysbench is not installed");
	} else {
		char *t = ib_xasprintf("--tables=%d", tables);
		char *n = ib_xasprintf("--table-size=%d", table_size);
		char *th = ib_xasprintf("--threads=%d",
					tables < cpus ? tables : cpus);
		char *argv[] = {sysbench, "oltp_common",
				"--mysql-socket=" IB_MARIADB_PREP_SOCKET,
				"--mysql-user=root", "--mysql-db=sbtest", t, n,
				th, "prepare", NULL};

		ib_buf_free(&out);
		rc = ib_proc_capture(argv, data, 600, stop, &out, err);
		if (rc > 0) {
			size_t len = out.s ? strlen(out.s) : 0;

			rc = ib_err_set(err, -EIO, "sysbench oltp_common prepare "
					"exited with status %d: %.300s", rc,
					len > 300 ? out.s + len - 300
					: len ? out.s : "");
		}
		free(t), free(n), free(th);
	}
	if (rc < 0) {
		ib_proc_kill(&srv);
		ib_proc_close(&srv);
		goto out;
	}
	rc = prep_server_stop(&srv, dir, err);
	if (rc == 0) {
		/* a socket left by an unclean end is no file to copy */
		int dfd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			       O_CLOEXEC);

		if (dfd >= 0) {
			unlinkat(dfd, IB_MARIADB_PREP_SOCKET, 0);
			close(dfd);
		}
		*bytes = tree_bytes(data);
	}
out:
	ib_buf_free(&out);
	free(text), free(sysbench), free(opt), free(sql), free(cnf);
	free(tmp), free(data), free(image), free(dir);
	return rc;
}
