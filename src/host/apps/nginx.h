/* nginx: the Nginx application of the nginx benchmark: what its image
 * holds (a manifest, images/app_image.h) and the files of one launch (the
 * configuration, the document root, the command line the probe's `serve`
 * starts), written for where the instance sees them.
 *
 * The configuration follows the and the study's set-up:
 * worker_processes = the instance's CPUs, access log off, sendfile on,
 * keep-alive connections kept for the whole point, no file outside the
 * launch's directory (pid, temporary files), errors to stderr (the probe
 * keeps the server's last lines for a failure's message). */
#ifndef ISOBENCH_APPS_NGINX_H
#define ISOBENCH_APPS_NGINX_H

#include "base/util.h"

#define IB_NGINX_BIN "/usr/sbin/nginx"
#define IB_NGINX_PORT 8080 /* the probe's serve.port default */

/* The manifest of nginx's image (images/app_image.h syntax). */
extern const char ib_nginx_manifest[];

/* The request path of a size word of the sweep ("1k"; "404": a file that
 * is not there). */
const char *ib_nginx_path(const char *size_word);

/* Writes one launch's files in dir (a directory that exists, on the host):
 * nginx.conf, tmp/, and serve-argv, nginx's command line for the probe;
 * every path in them is as the instance sees dir, at prefix (the host's
 * path for native, "/isobench-app" in a container's root). The document
 * root, a file per size word of sizes (deterministic bytes), is made at
 * www on the host (a new directory: dir/www, or one on the scratch) and
 * is www_in in the instance. cpus: its worker_processes. 0, or < 0 with
 * err set. */
int ib_nginx_launch_files(const char *dir, const char *prefix,
			  const char *www, const char *www_in, int cpus,
			  const struct ib_strv *sizes, struct ib_err *err);

#endif
