#include "base/ini.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One line (a copy, NUL-terminated, changed in place). */
static int walk_line(char *s, char **section, const char *source, int line,
		     ib_ini_fn fn, void *arg, struct ib_err *err)
{
	char *eq;

	s = ib_trim(s);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		size_t n = strlen(s);

		if (n < 3 || s[n - 1] != ']')
			return ib_err_set(err, -EINVAL, "%s:%d: not a section "
					  "header: '%.100s'", source, line, s);
		s[n - 1] = '\0';
		free(*section);
		*section = ib_xstrdup(ib_trim(s + 1));
		return fn(arg, *section, NULL, NULL, source, line, err);
	}
	if (!(eq = strchr(s, '=')))
		return ib_err_set(err, -EINVAL, "%s:%d: not key = value: "
				  "'%.100s'", source, line, s);
	*eq = '\0';
	return fn(arg, *section, ib_trim(s), ib_trim(eq + 1), source, line, err);
}

int ib_ini_walk(const char *text, size_t len, const char *source,
		ib_ini_fn fn, void *arg, struct ib_err *err)
{
	char *section = NULL;
	int line = 0, rc = 0;
	size_t at = 0;

	if (memchr(text, '\0', len))
		return ib_err_set(err, -EINVAL, "%s: not a text file (it holds "
				  "a NUL byte)", source);
	while (rc == 0 && at < len) {
		size_t n = len - at;
		const char *nl = memchr(text + at, '\n', n);
		char *s;

		if (nl)
			n = (size_t)(nl - (text + at));
		line++;
		if (n > 4096) {
			rc = ib_err_set(err, -EINVAL, "%s:%d: line too long "
					"(over 4096 bytes)", source, line);
			break;
		}
		s = ib_xasprintf("%.*s", (int)n, text + at);
		rc = walk_line(s, &section, source, line, fn, arg, err);
		free(s);
		at += n + (nl != NULL);
	}
	free(section);
	return rc;
}
