#include "apps/nginx.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/argv_file.h"
#include "common/params.h"

/* nginx and what it opens: the binary's libraries come from its loader
 * (app_image.c); the configuration names no other file (no mime.types:
 * default_type serves every file as application/octet-stream). */
const char ib_nginx_manifest[] =
	"[app]\n"
	"name = nginx\n"
	"binaries = " IB_NGINX_BIN "\n";

const char *ib_nginx_path(const char *size_word)
{
	return strcmp(size_word, "404") ? size_word : "not-there";
}

/* The file a size word names in the document root ("1k"), its bytes
 * written; "404" has none (nginx answers with its error page). */
static int write_body(const char *www, const char *word, struct ib_err *err)
{
	uint64_t n = 0;
	char *data, *path;
	int rc;

	if (!strcmp(word, "404") || ib_parse_size(word, &n) < 0)
		return 0;
	data = ib_xcalloc(1, n ? n : 1);
	for (uint64_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	path = ib_xasprintf("%s/%s", www, word);
	rc = ib_write_file_atomic_mode(path, data, n, 0644, err);
	free(path);
	free(data);
	return rc;
}

static char *conf_text(const char *prefix, const char *www_in, int cpus)
{
	return ib_xasprintf(
		"# written by isobench for one launch\n"
		"daemon off;\n"
		"master_process on;\n"
		"worker_processes %d;\n"
		"user root root;\n"
		"pid %s/tmp/nginx.pid;\n"
		"error_log stderr warn;\n"
		"events { worker_connections 4096; }\n"
		"http {\n"
		"  access_log off;\n"
		"  sendfile on;\n"
		
		"  keepalive_requests 1000000;\n"
		"  default_type application/octet-stream;\n"
		"  client_body_temp_path %s/tmp/body;\n"
		"  proxy_temp_path %s/tmp/proxy;\n"
		"  fastcgi_temp_path %s/tmp/fastcgi;\n"
		"  uwsgi_temp_path %s/tmp/uwsgi;\n"
		"  scgi_temp_path %s/tmp/scgi;\n"
		"  server {\n"
		"    listen %d;\n"
		"    root %s;\n"
		"  }\n"
		"}\n",
		cpus, prefix, prefix, prefix, prefix, prefix, prefix,
		IB_NGINX_PORT, www_in);
}

int ib_nginx_launch_files(const char *dir, const char *prefix,
			  const char *www, const char *www_in, int cpus,
			  const struct ib_strv *sizes, struct ib_err *err)
{
	char *tmp = ib_xasprintf("%s/tmp", dir);
	char *conf = ib_xasprintf("%s/nginx.conf", prefix);
	char *path = NULL, *text = NULL, why[256];
	char *argv[] = {IB_NGINX_BIN, "-p", (char *)prefix, "-c", conf,
			"-e", "stderr", NULL};
	int rc = ib_mkdir_private(www, 0755, 1, err);

	if (rc == 0)
		rc = ib_mkdir_private(tmp, 0755, 1, err);
	for (int i = 0; rc == 0 && i < sizes->n; i++)
		rc = write_body(www, sizes->v[i], err);
	if (rc < 0)
		goto out;
	text = conf_text(prefix, www_in, cpus);
	path = ib_xasprintf("%s/nginx.conf", dir);
	rc = ib_write_file_atomic_mode(path, text, strlen(text), 0644, err);
	free(text), free(path);
	text = path = NULL;
	if (rc < 0)
		goto out;
	text = ib_argv_file_format(argv, 7, why, sizeof(why));
	if (!text) {
		rc = ib_err_set(err, -EINVAL, "nginx's command line: %s", why);
		goto out;
	}
	path = ib_xasprintf("%s/serve-argv", dir);
	rc = ib_write_file_atomic_mode(path, text, strlen(text), 0644, err);
out:
	free(text), free(path), free(conf), free(tmp);
	return rc;
}
