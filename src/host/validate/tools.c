/* tools: what every check uses to run things: a command with its output
 * captured and kept under raw/, the probe with its records decoded (in the
 * link's namespace for net checks), numbers read out of a tool's text,
 * and the CPUs net clients and servers are pinned to. */
#include "validate/internal.h"

void vd_push_sample(double **v, int *n, double x)
{
	*v = ib_xrealloc(*v, sizeof(double) * (size_t)(*n + 1));
	(*v)[(*n)++] = x;
}

/* --- running things ------------------------------------------------------ */

/* Runs argv, output (stdout and stderr) into out, within timeout_s;
 * SIGINT stops it. Returns the exit code, or < 0 with err set. */
int vd_run_capture(char **argv, const char *cwd, double timeout_s,
		   struct ib_buf *out, struct ib_err *err)
{
	return ib_proc_capture(argv, cwd, timeout_s, ib_runner_interrupted, out,
			       err);
}

void vd_save_text(const struct vctx *v, const char *name,
		  const struct ib_buf *text)
{
	char *path = ib_xasprintf("%s/raw/round%d-%s.txt", v->outdir, v->round,
				  name);

	ib_write_file_atomic(path, text->s ? text->s : "", text->len, NULL);
	free(path);
}

/* net: clients (the probe, iperf3 -c, sockperf ping-pong) run on the
 * first CPU and servers (the peer, iperf3 -s, sockperf server) on the
 * last: unpinned, where the scheduler put the two ends made single runs
 * range from 3 to 17 Gbit/s on a 2-CPU host. */
int vd_net_cpus(int *client, int *server)
{
	cpu_set_t set;
	int first = -1, last = -1;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set)) {
			if (first < 0)
				first = i;
			last = i;
		}
	*client = first;
	*server = last;
	return first == last ? -1 : 0;
}

void vd_push_client_cpu(const struct vctx *v, struct ib_strv *argv)
{
	int c, s;

	(void)v;
	if (vd_net_cpus(&c, &s) == 0) {
		ib_strv_push(argv, "taskset");
		ib_strv_push(argv, "-c");
		ib_strv_push_owned(argv, ib_xasprintf("%d", c));
	}
}

/* Probe records of interest, collected while parsing its output. */
struct probe_out {
	struct ib_record rec[512];
	int n;
	int bad;
};

static void probe_frame(void *user, enum ib_frame_kind kind, const char *data,
			size_t len, uint64_t offset, const char *why)
{
	struct probe_out *po = user;

	(void)offset;
	(void)why;
	if (kind == IB_FRAME_TEXT)
		return;
	if (kind == IB_FRAME_CORRUPT || po->n == 512 ||
	    ib_record_decode(data, len, &po->rec[po->n], NULL) < 0) {
		po->bad++;
		return;
	}
	po->n++;
}

/* Runs the probe with the given workload arguments and returns the value
 * of the sample `metric` whose params contain `want` ("k=v" or NULL). */
int vd_probe_value(struct vctx *v, const char *tag, char **wargs,
		   const char *metric, const char *want, double *value,
		   struct ib_err *err)
{
	struct ib_strv argv = {0};
	struct ib_buf out = {0};
	struct ib_frame_parser fp;
	struct probe_out *po = ib_xcalloc(1, sizeof(*po));
	int rc, found = 0;

	if (wargs[0] && !strcmp(wargs[0], "--peer")) {
		/* a net measurement: the probe in the link's namespace */
		ib_strv_push_owned(&argv, ib_which("ip"));
		ib_strv_push(&argv, "netns");
		ib_strv_push(&argv, "exec");
		ib_strv_push(&argv, v->net.netns);
		vd_push_client_cpu(v, &argv);
	}
	ib_strv_push(&argv, v->probe);
	ib_strv_push(&argv, "--scratch");
	ib_strv_push(&argv, v->scratch);
	for (char **a = wargs; *a; a++)
		ib_strv_push(&argv, *a);
	rc = vd_run_capture(argv.v, v->scratch, 600, &out, err);
	vd_save_text(v, tag, &out);
	ib_frame_parser_init(&fp, probe_frame, po);
	ib_frame_feed(&fp, out.s ? out.s : "", out.len);
	ib_frame_finish(&fp);
	ib_frame_parser_free(&fp);
	if (rc == 0 && po->bad)
		rc = ib_err_set(err, -EINVAL, "probe %s: %d unparsable records",
				tag, po->bad);
	else if (rc > 0)
		ib_err_set(err, -EIO, "probe %s: exit status %d", tag, rc);
	for (int i = 0; i < po->n && rc == 0; i++) {
		struct ib_record *r = &po->rec[i];
		char *key;

		if (r->type == IB_REC_SAMPLE && !strcmp(r->bench, "membw") &&
		    !strcmp(r->metric, "copy") && v->ncopy < MAX_ROUNDS)
			v->membw_copy[v->ncopy++] = r->value;
		if (r->type == IB_REC_INFO && !strcmp(r->key, "array_bytes")) {
			const cJSON *x = cJSON_GetObjectItem(r->json, "value");

			if (cJSON_IsNumber(x))
				v->membw_array = (uint64_t)x->valuedouble;
		}
		if (r->type != IB_REC_SAMPLE || strcmp(r->metric, metric))
			continue;
		key = ib_params_canon(r->params);
		if (!want || strstr(key, want)) {
			*value = r->value;
			found = 1;
		}
		free(key);
	}
	if (rc == 0 && !found)
		rc = ib_err_set(err, -ENOENT, "probe %s: no %s sample", tag,
				metric);
	for (int i = 0; i < po->n; i++)
		ib_record_free(&po->rec[i]);
	free(po);
	ib_buf_free(&out);
	ib_strv_free(&argv);
	return rc == 0 ? 0 : -1;
}

/* Runs a classic tool and returns its output (caller frees). */
char *vd_tool_output(struct vctx *v, const char *tag, char **argv,
		     struct ib_err *err)
{
	struct ib_buf out = {0};
	int rc = vd_run_capture(argv, v->scratch, 600, &out, err);

	vd_save_text(v, tag, &out);
	if (rc != 0) {
		if (rc > 0)
			ib_err_set(err, -EIO, "%s exited with status %d (see "
				   "raw/round%d-%s.txt)", argv[0], rc, v->round,
				   tag);
		ib_buf_free(&out);
		return NULL;
	}
	return out.s ? out.s : ib_xstrdup("");
}

/* The number after `label` in text (first occurrence). */
int vd_number_after(const char *text, const char *label, double *out)
{
	const char *p = strstr(text, label);
	char *end;

	if (!p)
		return -1;
	p += strlen(label);
	while (*p == ' ' || *p == '\t' || *p == ':')
		p++;
	*out = strtod(p, &end);
	return end == p || !isfinite(*out) ? -1 : 0;
}

/* The number just before `label` ("0.117990 usecs/op"). */
int vd_number_before(const char *text, const char *label, double *out)
{
	const char *p = strstr(text, label);

	if (!p)
		return -1;
	while (p > text && p[-1] == ' ')
		p--;
	while (p > text && (p[-1] == '.' || (p[-1] >= '0' && p[-1] <= '9')))
		p--;
	*out = strtod(p, NULL);
	return isfinite(*out) && *out > 0 ? 0 : -1;
}
