/* checks_memory: STREAM triad beside mbw's memcpy copy, on arrays of the
 * same size (read from the probe's info record). */
#include "validate/internal.h"

/* membw: STREAM triad (and, from the same runs, copy) from the probe;
 * mbw's copy figure. Not like for like: mbw counts the bytes of one array
 * per copy (MiB), STREAM counts every byte read and written (MB); the
 * ratio shown puts both in bytes moved (mbw x 2 x 1.048576) and has no
 * target. */
int vd_p_membw(struct vctx *v, double *out, struct ib_err *err)
{
	char *a[] = {"membw", NULL};

	return vd_probe_value(v, "probe-membw", a, "triad", NULL, out, err);
}

int vd_t_mbw(struct vctx *v, double *out, struct ib_err *err)
{
	char *mib = ib_xasprintf("%llu", (unsigned long long)(
		(v->membw_array ? v->membw_array : (256u << 20)) >> 20));
	char *a[] = {"mbw", "-n", "10", "-t0", "-q", mib, NULL};
	char *o;
	int rc = -1;

	a[0] = ib_which("mbw");
	o = a[0] ? vd_tool_output(v, "mbw", a, err) : NULL;
	if (!a[0])
		ib_err_set(err, -ENOENT, "mbw not found");
	if (o) {
		const char *avg = strstr(o, "AVG");

		if (avg && vd_number_after(avg, "Copy", out) == 0)
			rc = 0;
		else
			ib_err_set(err, -EINVAL, "mbw printed no AVG Copy");
	}
	free(o);
	free(a[0]);
	free(mib);
	return rc;
}
