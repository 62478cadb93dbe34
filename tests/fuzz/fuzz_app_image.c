/* fuzz_app_image: what src/host/images/app_image.c reads: an application
 * manifest, an ELF program's headers (for PT_INTERP), a loader's --list
 * output. The first byte picks which; the rest is the input.
 *
 * Oracles: whatever is accepted is what the image may be built from, so
 * every path in it is absolute and normal (no empty, "." or ".."
 * component, no control byte) and a manifest's name is a plain word; a
 * refusal has a message. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "images/app_image.h"

static void check_path(const char *what, const char *p)
{
	if (p[0] != '/' || !p[1])
		fuzz_fail("%s: '%s' is not absolute", what, p);
	for (const unsigned char *c = (const unsigned char *)p; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			fuzz_fail("%s: a control byte in '%s'", what, p);
	for (const char *c = p + 1;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && !strncmp(c, "..", 2)))
			fuzz_fail("%s: '%s' is not normal", what, p);
		if (!c[n])
			break;
		c += n + 1;
	}
}

static void check_err(int rc, const struct ib_err *err)
{
	if (rc < 0 && !err->msg[0])
		fuzz_fail("refused without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_err err = {0};
	int rc;

	if (size < 1)
		return 0;
	if (data[0] % 3 == 0) {
		struct ib_app_manifest m;

		rc = ib_app_manifest_parse((const char *)data + 1, size - 1,
					   "fuzz.ini", &m, &err);
		check_err(rc, &err);
		if (rc == 0) {
			if (!m.name || !*m.name || strspn(m.name,
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"0123456789-_") != strlen(m.name))
				fuzz_fail("name '%s'", m.name ? m.name : "(none)");
			for (int i = 0; i < m.binaries.n; i++)
				check_path("binaries", m.binaries.v[i]);
			for (int i = 0; i < m.files.n; i++)
				check_path("files", m.files.v[i]);
			ib_app_manifest_free(&m);
		}
	} else if (data[0] % 3 == 1) {
		char *interp = NULL;

		rc = ib_elf_interp(data + 1, size - 1, &interp, &err);
		check_err(rc, &err);
		if (rc < 0 && interp)
			fuzz_fail("an interpreter with an error");
		if (interp)
			check_path("PT_INTERP", interp);
		free(interp);
	} else {
		struct ib_strv paths = {0};

		rc = ib_ldlist_parse((const char *)data + 1, size - 1, &paths,
				     &err);
		check_err(rc, &err);
		for (int i = 0; i < paths.n; i++)
			check_path("listing", paths.v[i]);
		ib_strv_free(&paths);
	}
	return 0;
}
