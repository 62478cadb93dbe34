#include "base/thp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

int ib_thp_mode_ok(const char *mode)
{
	return mode && (!strcmp(mode, "always") || !strcmp(mode, "madvise") ||
			!strcmp(mode, "never"));
}

int ib_thp_read(char *out, size_t cap, struct ib_err *err)
{
	char *text = ib_read_file(THP_ENABLED, NULL, NULL), *l, *r;
	int rc = 0;

	if (!text)
		return ib_err_set(err, errno ? -errno : -ENOENT, "%s: %s (no "
				  "transparent huge pages on this kernel)",
				  THP_ENABLED, strerror(errno ? errno : ENOENT));
	l = strchr(text, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r || (size_t)(r - l - 1) >= cap)
		rc = ib_err_set(err, -EPROTO, "%s: no [mode] in '%.60s'",
				THP_ENABLED, text);
	else
		snprintf(out, cap, "%.*s", (int)(r - l - 1), l + 1);
	free(text);
	return rc;
}

int ib_thp_set(const char *mode, struct ib_err *err)
{
	char now[16];
	int fd, rc;

	if (!ib_thp_mode_ok(mode))
		return ib_err_set(err, -EINVAL, "THP mode '%.20s' is not always, "
				  "madvise or never", mode ? mode : "");
	fd = open(THP_ENABLED, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ib_err_set(err, -errno, "%s: %s", THP_ENABLED,
				  strerror(errno));
	rc = write(fd, mode, strlen(mode)) == (ssize_t)strlen(mode) ? 0 : -errno;
	close(fd);
	if (rc < 0)
		return ib_err_set(err, rc, "%s: writing %s: %s", THP_ENABLED,
				  mode, strerror(-rc));
	if ((rc = ib_thp_read(now, sizeof(now), err)) < 0)
		return rc;
	if (strcmp(now, mode))
		return ib_err_set(err, -EIO, "%s: set to %s, reads %s",
				  THP_ENABLED, mode, now);
	return 0;
}

int ib_thp_restore(const char *before, const char *set, struct ib_buf *log,
		   struct ib_err *err)
{
	char now[16];
	int rc;

	if (!ib_thp_mode_ok(before) || !ib_thp_mode_ok(set))
		return ib_err_set(err, -EINVAL, "THP modes '%.20s' and '%.20s': "
				  "not always, madvise or never",
				  before ? before : "", set ? set : "");
	if ((rc = ib_thp_read(now, sizeof(now), err)) < 0)
		return rc;
	if (strcmp(now, set)) {
		if (log)
			ib_buf_printf(log, "THP mode is %s, not the %s the run "
				      "set: left as it is\n", now, set);
		return 0;
	}
	if ((rc = ib_thp_set(before, err)) < 0)
		return rc;
	if (log)
		ib_buf_printf(log, "THP mode %s -> %s (as it was before the "
			      "run)\n", set, before);
	return 0;
}
