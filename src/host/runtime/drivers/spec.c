/* spec: runtimes found by name in the registry (ib_runtimes[], defined
 * by registry.c or by a test's own list) and runtime specs
 * ("docker:runtime=runsc") parsed against their driver's options. */
#include "runtime/drivers/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct ib_runtime_ops *ib_runtime_find(const char *name)
{
	for (int i = 0; i < ib_nruntimes; i++)
		if (strcmp(ib_runtimes[i]->name, name) == 0)
			return ib_runtimes[i];
	return NULL;
}

static void known_runtimes(struct ib_buf *b)
{
	for (int k = 0; k < ib_nruntimes; k++)
		ib_buf_printf(b, "%s%s", k ? ", " : "", ib_runtimes[k]->name);
}

static int is_choice(const char *choices, const char *v, size_t vlen)
{
	for (const char *c = choices; *c;) {
		size_t cl = strcspn(c, ",");

		if (cl == vlen && !strncmp(c, v, vlen))
			return 1;
		c += cl + (c[cl] == ',');
	}
	return 0;
}

void ib_runtime_spec_free(char *values[IB_RT_MAX_OPTIONS])
{
	for (int i = 0; i < IB_RT_MAX_OPTIONS; i++) {
		free(values[i]);
		values[i] = NULL;
	}
}

int ib_runtime_spec(const char *spec, const struct ib_runtime_ops **ops,
		    char *values[IB_RT_MAX_OPTIONS], char **label,
		    struct ib_err *err)
{
	const char *colon = strchr(spec, ':');
	char *name = colon ? ib_xasprintf("%.*s", (int)(colon - spec), spec)
			   : ib_xstrdup(spec);
	const struct ib_runtime_ops *o = ib_runtime_find(name);
	struct ib_buf b = {0};
	int rc = 0;

	for (int i = 0; i < IB_RT_MAX_OPTIONS; i++)
		values[i] = NULL;
	if (!o) {
		known_runtimes(&b);
		rc = ib_err_set(err, -EINVAL, "unknown runtime '%.64s' (known: %s)",
				name, b.s);
		goto out;
	}
	for (int i = 0; i < o->noptions; i++)
		values[i] = ib_xstrdup(o->options[i].dflt);
	for (const char *p = colon ? colon + 1 : NULL; p && *p;) {
		size_t len = strcspn(p, ","), klen, vlen;
		const char *eq = memchr(p, '=', len);
		int i;

		if (!eq || eq == p) {
			rc = ib_err_set(err, -EINVAL,
					"runtime '%.64s': '%.*s' is not "
					"option=value",
					spec, (int)len, p);
			goto out;
		}
		klen = (size_t)(eq - p);
		vlen = len - klen - 1;
		for (i = 0; i < o->noptions; i++)
			if (strlen(o->options[i].name) == klen &&
			    !strncmp(o->options[i].name, p, klen))
				break;
		if (i == o->noptions) {
			ib_buf_free(&b);
			for (int k = 0; k < o->noptions; k++)
				ib_buf_printf(&b, "%s%s", k ? ", " : "",
					      o->options[k].name);
			rc = ib_err_set(err, -EINVAL,
					"runtime %s has no option '%.*s' "
					"(options: %s)",
					name, (int)klen, p,
					b.s ? b.s : "none");
			goto out;
		}
		if (!o->options[i].choices) {
			struct ib_buf why = {0};

			if (o->options[i].check(eq + 1, vlen, &why) < 0) {
				rc = ib_err_set(err, -EINVAL, "runtime %s: %s=%s",
						name, o->options[i].name,
						why.s ? why.s : "invalid");
				ib_buf_free(&why);
				goto out;
			}
		} else if (!is_choice(o->options[i].choices, eq + 1, vlen)) {
			rc = ib_err_set(err, -EINVAL,
					"runtime %s: %s='%.*s' is not one of %s",
					name, o->options[i].name, (int)vlen,
					eq + 1, o->options[i].choices);
			goto out;
		}
		free(values[i]);
		values[i] = ib_xasprintf("%.*s", (int)vlen, eq + 1);
		p += len + (p[len] == ',');
	}
	*ops = o;
	if (label) {
		int first = 1;

		ib_buf_free(&b);
		ib_buf_puts(&b, name);
		for (int i = 0; i < o->noptions; i++) {
			if (!strcmp(values[i], o->options[i].dflt))
				continue;
			ib_buf_printf(&b, "%s%s=%s", first ? ":" : ",",
				      o->options[i].name, values[i]);
			first = 0;
		}
		*label = b.s;
		b.s = NULL;
	}
out:
	if (rc < 0)
		ib_runtime_spec_free(values);
	ib_buf_free(&b);
	free(name);
	return rc;
}

