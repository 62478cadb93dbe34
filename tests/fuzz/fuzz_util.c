/* fuzz_util.c: helpers of the fuzz targets (see fuzz.h). Compiled into
 * every target, for the replay and for libFuzzer alike. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define SLOTS 4

const char *fuzz_file_set(int slot, const void *data, size_t size)
{
	static int fds[SLOTS] = {-1, -1, -1, -1};
	static char paths[SLOTS][64];
	const char *p = data;

	if (slot < 0 || slot >= SLOTS)
		fuzz_fail("bad temp file slot %d", slot);
	if (fds[slot] < 0) {
		int fd = memfd_create("isobench-fuzz", MFD_CLOEXEC);

		if (fd < 0) {
			const char *t = getenv("TMPDIR");
			char tmpl[512];

			snprintf(tmpl, sizeof(tmpl), "%s/isobench-fuzz-XXXXXX",
				 t && *t ? t : "/tmp");
			fd = mkstemp(tmpl);
			if (fd < 0)
				fuzz_fail("cannot create a temporary file");
			unlink(tmpl); /* nothing is left behind, even on a crash */
		}
		fds[slot] = fd;
		snprintf(paths[slot], sizeof(paths[slot]), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fds[slot], 0) != 0)
		fuzz_fail("ftruncate: cannot reset the temporary file");
	for (size_t off = 0; off < size;) {
		ssize_t n = pwrite(fds[slot], p + off, size - off, (off_t)off);

		if (n <= 0)
			fuzz_fail("pwrite: cannot write the temporary file");
		off += (size_t)n;
	}
	return paths[slot];
}
