#include "rawlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ib_rawlog_create(struct ib_rawlog *log, const char *path,
		     struct ib_err *err)
{
	log->fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC,
		       0644);
	if (log->fd < 0)
		return ib_err_set(err, -errno, "cannot create %s: %s", path,
				  strerror(errno));
	log->path = ib_xstrdup(path);
	return 0;
}

int ib_rawlog_append(struct ib_rawlog *log, const cJSON *ev,
		     struct ib_err *err)
{
	char *line = cJSON_PrintUnformatted(ev);
	size_t len, off = 0;

	if (!line)
		return ib_err_set(err, -ENOMEM, "cannot format an event");
	len = strlen(line);
	line[len] = '\n'; /* replaces the NUL; written with its length */
	while (off < len + 1) {
		ssize_t n = write(log->fd, line + off, len + 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(line);
			return ib_err_set(err, -e, "cannot append to %s: %s",
					  log->path, strerror(e));
		}
		off += (size_t)n;
	}
	free(line);
	return 0;
}

void ib_rawlog_sync(struct ib_rawlog *log)
{
	if (log->fd >= 0)
		fdatasync(log->fd);
}

void ib_rawlog_close(struct ib_rawlog *log)
{
	if (log->fd >= 0) {
		fdatasync(log->fd);
		close(log->fd);
	}
	log->fd = -1;
	free(log->path);
	log->path = NULL;
}

int ib_rawlog_read(const char *path, ib_rawlog_fn fn, void *user,
		   struct ib_strv *warnings, struct ib_err *err)
{
	size_t len;
	char *text = ib_read_file(path, &len, err), *p, *end;
	int line = 0, rc = 0;

	if (!text)
		return err ? err->code : -1;
	if (memchr(text, '\0', len)) {
		free(text);
		return ib_err_set(err, -EINVAL, "%s: holds NUL bytes: not a raw "
				  "log", path);
	}
	end = text + len;
	for (p = text; p < end && rc == 0;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		cJSON *ev;

		line++;
		if (!nl) {
			if (warnings)
				ib_strv_push_owned(
					warnings,
					ib_xasprintf("%s:%d: last line is "
						     "incomplete (the run was "
						     "interrupted while writing "
						     "it); skipped",
						     path, line));
			break;
		}
		*nl = '\0';
		if (*ib_trim(p) == '\0') {
			p = nl + 1;
			continue;
		}
		ev = cJSON_Parse(p);
		if (!ev || !cJSON_IsObject(ev)) {
			cJSON_Delete(ev);
			rc = ib_err_set(err, -EINVAL,
					"%s:%d: not a JSON object", path, line);
			break;
		}
		rc = fn(user, ev, line, err);
		if (rc < 0)
			ib_err_wrap(err, "%s:%d", path, line);
		cJSON_Delete(ev);
		p = nl + 1;
	}
	free(text);
	return rc;
}
