/* checks_startup: isobench's launch-to-exit of runc and of a QEMU microvm
 * beside hyperfine -N running the same bundle or command line. */
#include "validate/internal.h"

/* One `isobench run -r SPEC -b startup` in a run directory of its own
 * under raw/; the medians of to_exited and to_torn_down, ms. */
static int isobench_startup(struct vctx *v, const char *spec, double *exited,
			    double *torn, struct ib_err *err)
{
	char *self = ib_xstrdup("/proc/self/exe"), *dir, *json, *text, *tag;
	char launches[64], scratch[PATH_MAX];
	struct ib_buf o = {0};
	cJSON *root = NULL, *metrics;
	int rc;

	*exited = *torn = NAN;
	snprintf(launches, sizeof(launches), "startup.launches=%d", v->launches);
	tag = ib_xasprintf("isobench-run-%s", spec);
	for (char *c = tag; *c; c++)
		if (*c == ':' || *c == '=')
			*c = '-';
	dir = ib_xasprintf("%s/raw/round%d-%s", v->outdir, v->round, tag);
	snprintf(scratch, sizeof(scratch), "%s", v->scratch);
	{
		char *a[] = {self, "run", "-q", "-r", (char *)spec, "-b",
			     "startup", "-s", launches, "--probe", v->probe,
			     "--scratch", dirname(scratch), "-o", dir, NULL};

		rc = vd_run_capture(a, v->scratch, 300, &o, err);
	}
	vd_save_text(v, tag, &o);
	ib_buf_free(&o);
	if (rc != 0) {
		if (rc > 0)
			ib_err_set(err, -EIO, "isobench run -r %s -b startup: "
				   "exit status %d (see %s)", spec, rc, dir);
		free(dir);
		free(tag);
		free(self);
		return -1;
	}
	json = ib_xasprintf("%s/results.json", dir);
	text = ib_read_file(json, NULL, err);
	if (text)
		root = cJSON_Parse(text);
	metrics = cJSON_GetObjectItem(root, "metrics");
	for (int i = 0; i < cJSON_GetArraySize(metrics); i++) {
		const cJSON *m = cJSON_GetArrayItem(metrics, i);
		const cJSON *name = cJSON_GetObjectItem(m, "metric");
		const cJSON *med = cJSON_GetObjectItem(m, "median");

		if (!cJSON_IsString(name) || !cJSON_IsNumber(med))
			continue;
		if (!strcmp(name->valuestring, "to_exited")) {
			const cJSON *x;

			*exited = med->valuedouble;
			if (v->cur && v->cur->target_ms > 0)
				cJSON_ArrayForEach(x, cJSON_GetObjectItem(m, "samples"))
					if (cJSON_IsNumber(x))
						vd_push_sample(&v->cur->lp,
							       &v->cur->nlp,
							       x->valuedouble);
		}
		if (!strcmp(name->valuestring, "to_torn_down"))
			*torn = med->valuedouble;
	}
	cJSON_Delete(root);
	free(text);
	rc = 0;
	if (!isfinite(*exited) || !isfinite(*torn))
		rc = ib_err_set(err, -ENOENT, "%s: no startup figures", json);
	free(json);
	free(dir);
	free(tag);
	free(self);
	return rc;
}

/* hyperfine -N timing cmd (shell words) v->launches times after one
 * warm-up, its JSON kept as raw/roundN-NAME.json: the median in ms to
 * *out, and every run's time added to the check's if it has target_ms. */
static int hyperfine_ms(struct vctx *v, const char *name, const char *cmd,
			double *out, struct ib_err *err)
{
	char *hf = ib_which("hyperfine"), *o = NULL, *text = NULL;
	char *json = ib_xasprintf("%s/raw/round%d-%s.json", v->outdir, v->round,
				  name);
	char runs[32];
	cJSON *root = NULL;
	const cJSON *res, *med, *x;
	int rc = -1;

	if (!hf) {
		ib_err_set(err, -ENOENT, "hyperfine not found");
		goto out;
	}
	snprintf(runs, sizeof(runs), "%d", v->launches);
	{
		char *a[] = {hf, "-N", "--style", "basic", "--output", "pipe",
			     "--warmup", "1", "--runs", runs, "--export-json",
			     json, (char *)cmd, NULL};

		o = vd_tool_output(v, name, a, err);
	}
	if (!o)
		goto out;
	text = ib_read_file(json, NULL, err);
	root = text ? cJSON_Parse(text) : NULL;
	res = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "results"), 0);
	med = cJSON_GetObjectItem(res, "median");
	if (!cJSON_IsNumber(med)) {
		ib_err_set(err, -EINVAL, "%s: no results[0].median", json);
		goto out;
	}
	*out = med->valuedouble * 1e3;
	if (v->cur && v->cur->target_ms > 0)
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(res, "times"))
			if (cJSON_IsNumber(x))
				vd_push_sample(&v->cur->lt, &v->cur->nlt,
					       x->valuedouble * 1e3);
	rc = 0;
out:
	cJSON_Delete(root);
	free(text);
	free(o);
	free(json);
	free(hf);
	return rc;
}

/* startup: isobench's runc driver against hyperfine timing `runc run` of
 * a bundle made by the same code, with the same probe and arguments (the
 * probe exits at once); each side's figure is the median over the
 * launches of a round, in ms. Like for like is the runc driver with
 * lifecycle=run (one `runc run`, launch to its exit), run on its own as
 * hyperfine runs: interleaved with other containers' teardowns it pays
 * for their after-effects. isobench's default create/start/delete
 * lifecycle is run next, for the record: its separate commands cost more
 * than one `runc run`, which is the runtime's cost, not the harness's. */
int vd_p_startup(struct vctx *v, double *out, struct ib_err *err)
{
	double exited, torn;

	if (isobench_startup(v, "runc:lifecycle=run", out, &torn, err) < 0)
		return -1;
	if (isobench_startup(v, "runc", &exited, &torn, err) < 0)
		return -1;
	if (v->ntorn < MAX_ROUNDS) {
		v->create_exited[v->ntorn] = exited;
		v->torn_down[v->ntorn++] = torn;
	}
	return 0;
}

static int make_startup_bundle(struct vctx *v, struct ib_err *err)
{
	char *probe = ib_xasprintf("%s/isobench-probe", v->scratch), *copy;
	char *bundle = ib_xasprintf("%s/bundle", v->scratch);
	char *id = ib_xasprintf("isobench-validate-%d", (int)getpid());
	char *cg = ib_xasprintf("/isobench/%s", id);
	char *argv[] = {"--scratch", IB_OCI_SCRATCH, "startup", NULL};
	size_t len;
	int rc;

	/* the bundle's rootfs hard-links the probe: a copy on its fs */
	copy = ib_read_file(v->probe, &len, err);
	rc = copy ? ib_write_file_atomic_mode(probe, copy, len, 0555, err) : -1;
	free(copy);
	if (rc == 0)
		rc = ib_oci_bundle_create(&(struct ib_oci_bundle){
			.dir = bundle, .probe = probe, .scratch = v->scratch,
			.probe_argv = argv, .run_id = id, .cgroups_path = cg,
			.limits = {.memory = 8ull << 30}}, err);
	free(probe);
	free(cg);
	free(id);
	if (rc < 0) {
		free(bundle);
		return -1;
	}
	v->bundle = bundle;
	return 0;
}

int vd_t_startup(struct vctx *v, double *out, struct ib_err *err)
{
	char *runc = ib_which("runc"), *cmd;
	int rc;

	if (!runc)
		return ib_err_set(err, -ENOENT, "runc not found");
	if (!v->bundle && make_startup_bundle(v, err) < 0) {
		free(runc);
		return -1;
	}
	/* One container id, reused: `runc run` destroys the container when
	 * its process exits, before the next run starts. */
	cmd = ib_xasprintf("%s run --bundle %s isobench-validate-%d", runc,
			   v->bundle, (int)getpid());
	rc = hyperfine_ms(v, "hyperfine", cmd, out, err);
	free(cmd);
	free(runc);
	return rc;
}

/* startup of a VM: isobench's qemu driver (microvm, its accelerator
 * choice) against hyperfine timing the same QEMU command line, launch to
 * exit. The difference is what the harness adds to a VM launch: the
 * spawn, QMP's connection and vCPU query, reading the console. */
int vd_p_startup_qemu(struct vctx *v, double *out, struct ib_err *err)
{
	double torn;

	return isobench_startup(v, "qemu", out, &torn, err);
}

int vd_t_startup_qemu(struct vctx *v, double *out, struct ib_err *err)
{
	char launches[64], *why = NULL, *cmd, *qmp;
	char *pargv[] = {"startup", launches, "gap=0", NULL};
	struct ib_limits lim = {0, 8ull << 30}; /* the plan's defaults */
	int rc = -1;

	snprintf(launches, sizeof(launches), "launches=%d", v->launches);
	/* with a QMP socket, as isobench's VMs have (nobody connects: what
	 * connecting costs is the harness's) */
	qmp = ib_xasprintf("%s/validate-qmp.sock", v->scratch);
	cmd = ib_sock_path_check(qmp, err) < 0
		      ? NULL
		      : ib_qemu_command(v->probe, "microvm", "auto", &lim, pargv,
					qmp, &why, err);
	if (cmd)
		rc = hyperfine_ms(v, "hyperfine-qemu", cmd, out, err);
	unlink(qmp);
	free(qmp);
	free(cmd);
	free(why);
	return rc;
}

/* startup of the baseline: isobench's native driver (the probe a plain
 * child of isobench) against hyperfine -N running the same probe with the
 * same arguments, launch to exit. The difference is what the harness adds
 * to every launch of every runtime, and every startup ratio divides by
 * the native figure: the spawn, the journal's line, reading the output,
 * noticing the exit. */
int vd_p_startup_native(struct vctx *v, double *out, struct ib_err *err)
{
	double torn;

	return isobench_startup(v, "native", out, &torn, err);
}

int vd_t_startup_native(struct vctx *v, double *out, struct ib_err *err)
{
	/* the arguments isobench gives it */
	char *cmd = ib_xasprintf("%s --scratch %s startup launches=%d gap=0",
				 v->probe, v->scratch, v->launches);
	int rc = hyperfine_ms(v, "hyperfine-native", cmd, out, err);

	free(cmd);
	return rc;
}
