#include "results/rawlog.h"

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

/* Lines listed one by one in the warnings; past that, a count. */
#define MAX_LISTED_BAD 100

static void note_bad(struct ib_strv *warnings, const char *path, int line,
		     const char *why, int nbad)
{
	if (warnings && nbad <= MAX_LISTED_BAD)
		ib_strv_push_owned(warnings,
				   ib_xasprintf("%s:%d: %s: damaged line "
						"skipped",
						path, line, why));
}

int ib_rawlog_read(const char *path, ib_rawlog_fn fn, void *user,
		   struct ib_strv *warnings, struct ib_err *err)
{
	size_t len;
	char *text = ib_read_file(path, &len, err), *p, *end;
	int line = 0, rc = 0, first = 1, nbad = 0;

	if (!text)
		return err ? err->code : -1;
	end = text + len;
	for (p = text; p < end && rc == 0;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		struct ib_err lerr = {0};
		const char *why = NULL;
		cJSON *ev = NULL;

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
		if (memchr(p, '\0', (size_t)(nl - p))) {
			why = "holds a NUL byte";
		} else {
			*nl = '\0';
			if (*ib_trim(p) == '\0') {
				p = nl + 1;
				continue;
			}
			ev = cJSON_Parse(p);
			if (!ev || !cJSON_IsObject(ev))
				why = "not a JSON object";
			else if (fn(user, ev, line, &lerr) < 0)
				why = lerr.msg[0] ? lerr.msg : "rejected";
		}
		if (why && first) {
			/* the first event is the run's: without it this is
			 * not a raw log of isobench, or not one to trust */
			rc = ib_err_set(err, -EINVAL, "%s:%d: %s: not a raw log "
					"of isobench",
					path, line, why);
		} else if (why) {
			/* the log is the source of truth: one damaged line
			 * costs what it held, not the whole run */
			nbad++;
			note_bad(warnings, path, line, why, nbad);
		}
		first = 0;
		cJSON_Delete(ev);
		p = nl + 1;
	}
	if (rc == 0 && nbad > MAX_LISTED_BAD && warnings)
		ib_strv_push_owned(warnings,
				   ib_xasprintf("%s: %d more damaged lines "
						"skipped (not listed)",
						path, nbad - MAX_LISTED_BAD));
	free(text);
	return rc < 0 ? rc : nbad;
}
