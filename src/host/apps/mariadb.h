/* mariadb: the MariaDB server of the mariadb benchmark: what its image
 * holds (a manifest, images/app_image.h), its configuration, the data
 * set's preparation on the host (the server's own bootstrap, then
 * sysbench's oltp_common prepare: run/serve_mariadb.c runs them) and the
 * files of one launch.
 *
 * One configuration serves the preparation and every launch, so that the
 * data set's files (the redo log's size above all) need no conversion at
 * start: the data directory and port as the launch says, the buffer pool
 * sized to hold the data set, no binary log, no name resolution, InnoDB's
 * own I/O threads instead of the kernel's asynchronous I/O (gVisor's
 * io_uring here accepts the ring and fails its waits, and mariadbd aborts:
 * one configuration everywhere, so every column runs the same server),
 * errors
 * to stderr (the probe keeps the server's last lines for a failure's
 * message), and the socket and pid files named relative to the data
 * directory (where mariadbd works), so that no path depends on how deep
 * the run's directory is. */
#ifndef ISOBENCH_APPS_MARIADB_H
#define ISOBENCH_APPS_MARIADB_H

#include <stdint.h>

#include "base/util.h"

#define IB_MARIADB_BIN "/usr/sbin/mariadbd"
#define IB_MARIADB_INSTALL_DB "/usr/bin/mariadb-install-db"
#define IB_MARIADB_PORT 3306
/* The account sysbench loads the server with over TCP (made by the
 * preparation, for the database sbtest only), and its password. */
#define IB_MARIADB_USER "sbtest"
#define IB_MARIADB_PASSWORD "isobench"
/* The socket the preparation's server listens on (no TCP then), relative
 * to its data directory, which is the clients' working directory. */
#define IB_MARIADB_PREP_SOCKET "prep.sock"

/* The manifest of mariadbd's image (images/app_image.h syntax): the
 * binary and the share files it reads (messages, character sets). */
extern const char ib_mariadb_manifest[];

/* The buffer pool for a data set of data_bytes: 1.5 times it, rounded up
 * to 128 MiB, at least 128 MiB. */
uint64_t ib_mariadb_pool_bytes(uint64_t data_bytes);

/* The configuration file's text (caller frees): datadir and tmpdir as
 * the server sees them; networking 0 for the preparation (its socket
 * only). */
char *ib_mariadb_conf(const char *datadir, const char *tmpdir,
		      uint64_t pool_bytes, int networking);

/* The SQL the preparation's server runs at its start (--init-file): the
 * database sbtest and the account IB_MARIADB_USER allowed on it from any
 * address. */
extern const char ib_mariadb_init_sql[];

/* Prepares a data set in top, a new directory (its parent must exist),
 * on the host, with MariaDB's and sysbench's own tools: the system tables
 * by mariadb-install-db, then a server of its own on a Unix socket only
 * (no TCP: nothing to reach from outside) that makes the database and
 * IB_MARIADB_USER at its start (--init-file), and sysbench oltp_common
 * prepare (tables x table_size rows); the server is then stopped with
 * SIGTERM and must exit 0. top/image/data is the data set (top/image:
 * the root of a VM's data disk); top/prep holds the preparation's own
 * files (its configuration, the server's log). *bytes gets the data set's
 * size. stop (or NULL) says when to give up (a signal came). 0, or < 0
 * with err naming the step and quoting its output. */
int ib_mariadb_prepare_data(const char *top, int tables, int table_size,
			    int (*stop)(void), uint64_t *bytes,
			    struct ib_err *err);

/* Writes one launch's files in dir (a directory that exists, on the
 * host): my.cnf, tmp/ and serve-argv, mariadbd's command line for the
 * probe. prefix: dir as the instance sees it; datadir: where the probe
 * puts the launch's copy of the data set, as the instance sees it. 0, or
 * < 0 with err set. */
int ib_mariadb_launch_files(const char *dir, const char *prefix,
			    const char *datadir, uint64_t pool_bytes,
			    struct ib_err *err);

#endif
