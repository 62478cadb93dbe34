/* checks_disk: the disk workloads beside fio with the same engine, block
 * size, queue depth and O_DIRECT, on one test file in the scratch directory. */
#include "validate/internal.h"

/* disk: the probe and fio on the same file, size, block size, engine,
 * queue depth, ramp (a tenth of the duration) and duration. */
static int p_disk(struct vctx *v, const char *test, const char *metric,
		  double *out, struct ib_err *err)
{
	char *t = ib_xasprintf("tests=%s", test), *d = ib_xasprintf("duration=%g", v->secs);
	char *s = ib_xasprintf("size=%s", v->disk_size);
	char *tag = ib_xasprintf("probe-%s", test);
	char *a[] = {"disk", s, t, d, NULL};
	int rc = vd_probe_value(v, tag, a, metric, NULL, out, err);

	free(t), free(d), free(s), free(tag);
	return rc;
}

static int t_fio(struct vctx *v, const char *rw, const char *bs,
		 const char *engine, int qd, int fsync_each, const char *side,
		 const char *field, double scale, double *out,
		 struct ib_err *err)
{
	char *tag = ib_xasprintf("fio-%s-%s-qd%d%s", rw, bs, qd,
				 fsync_each ? "-fsync" : "");
	char *args[32];
	int n = 0, rc = -1;
	char *o;
	cJSON *j = NULL;

	args[n++] = ib_which("fio");
	if (!args[0]) {
		free(tag);
		return ib_err_set(err, -ENOENT, "fio not found");
	}
	args[n++] = ib_xasprintf("--name=%s", tag);
	args[n++] = ib_xasprintf("--filename=%s", v->disk_file);
	args[n++] = ib_xasprintf("--size=%s", v->disk_size);
	args[n++] = ib_xstrdup("--direct=1");
	args[n++] = ib_xasprintf("--ioengine=%s", engine);
	args[n++] = ib_xasprintf("--rw=%s", rw);
	args[n++] = ib_xasprintf("--bs=%s", bs);
	args[n++] = ib_xasprintf("--iodepth=%d", qd);
	if (fsync_each)
		args[n++] = ib_xstrdup("--fsync=1");
	args[n++] = ib_xstrdup("--time_based");
	args[n++] = ib_xasprintf("--runtime=%.0fms", v->secs * 1000);
	args[n++] = ib_xasprintf("--ramp_time=%.0fms", v->secs * 100);
	args[n++] = ib_xstrdup("--output-format=json");
	args[n] = NULL;
	o = vd_tool_output(v, tag, args, err);
	if (o && strchr(o, '{'))
		j = cJSON_Parse(strchr(o, '{'));
	if (o && !j)
		ib_err_set(err, -EINVAL, "fio printed no JSON");
	if (j) {
		const cJSON *job = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "jobs"), 0);
		const cJSON *x = cJSON_GetObjectItem(cJSON_GetObjectItem(job, side),
						     field);

		if (cJSON_IsNumber(x) && x->valuedouble > 0) {
			*out = x->valuedouble * scale;
			rc = 0;
		} else {
			ib_err_set(err, -EINVAL, "fio JSON lacks jobs[0].%s.%s",
				   side, field);
		}
	}
	cJSON_Delete(j);
	free(o);
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(tag);
	return rc;
}

int vd_p_rr4k(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "randread-4k-qd1", "iops", o, e);
}
int vd_t_rr4k(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "randread", "4k", "psync", 1, 0, "read", "iops", 1, o, e);
}
int vd_p_sr1m(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "seqread-1m-qd1", "bw", o, e);
}
int vd_t_sr1m(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "read", "1m", "psync", 1, 0, "read", "bw_bytes",
		     1.0 / 1048576, o, e);
}
int vd_p_rwfs(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "randwrite-4k-fsync", "iops", o, e);
}
int vd_t_rwfs(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "randwrite", "4k", "psync", 1, 1, "write", "iops", 1, o, e);
}
int vd_p_rr32(struct vctx *v, double *o, struct ib_err *e)
{
	return p_disk(v, "randread-4k-qd32", "iops", o, e);
}
int vd_t_rr32(struct vctx *v, double *o, struct ib_err *e)
{
	return t_fio(v, "randread", "4k", "io_uring", 32, 0, "read", "iops", 1,
		     o, e);
}
