#include "base/mount_ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int ib_ns_private_run(void *keep_dir)
{
	const char *keep = keep_dir;
	int under_run = keep && strncmp(keep, "/run/", 5) == 0 && keep[5];
	char fdpath[32];
	int fd = -1;

	if (unshare(CLONE_NEWNS) != 0)
		return 0; /* no mount namespaces: run as before */
	/* Private first, so the tmpfs cannot propagate to the host's /run.
	 * Under a chroot "/" may be no mount point: then /run itself. If
	 * neither works, mount nothing. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 &&
	    mount(NULL, "/run", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return 0;
	/* The bind's source, held before /run is covered; opened in the
	 * new namespace (a bind from a mount of another namespace fails). */
	if (under_run) {
		fd = open(keep, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return errno;
	}
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0755") != 0)
		return errno;
	if (fd >= 0) {
		/* every level of keep below /run, then the bind */
		char path[4096];
		size_t n = strlen(keep);

		if (n >= sizeof(path))
			return ENAMETOOLONG;
		memcpy(path, keep, n + 1);
		for (char *p = path + 5; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return errno;
			*p = '/';
		}
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return errno;
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (mount(fdpath, path, NULL, MS_BIND | MS_REC, NULL) != 0)
			return errno;
		close(fd);
	}
	return 0;
}
