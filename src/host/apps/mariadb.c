#include "apps/mariadb.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/argv_file.h"

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
