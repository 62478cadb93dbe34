/* output: the validation table (terminal and validation.md), the per-area
 * notes under it, and validation.json. */
#include "validate/internal.h"

static double median_of(const double *v, int n)
{
	struct ib_stats s;

	if (n == 0)
		return NAN;
	ib_stats_compute(v, n, &s);
	return s.median;
}

static double rsd_of(const double *v, int n)
{
	struct ib_stats s;

	if (n < 2)
		return NAN;
	ib_stats_compute(v, n, &s);
	return s.rsd;
}

/* The ratio of the medians' 95% bootstrap interval, the tool's side
 * scaled as the ratio is; 0, or -1 with fewer than 2 samples a side. */
static int ratio_interval(const struct check *c, double *lo, double *hi)
{
	double r;

	if (c->np < 2 || c->nt < 2 ||
	    ib_ratio_ci(c->pv, c->np, c->tv, c->nt, &r, lo, hi) < 0)
		return -1;
	*lo /= c->tool_scale;
	*hi /= c->tool_scale;
	return 0;
}

/* The interval [lo, hi] of a harness share against +-target_ms. */
static const char *share_verdict(const struct check *c, double lo, double hi)
{
	if (lo >= -c->target_ms && hi <= c->target_ms)
		return "ok";
	if (lo > c->target_ms || hi < -c->target_ms)
		return "MISS";
	return "wide";
}

int vd_harness_share(const struct check *c, double *diff, double *lo,
		     double *hi)
{
	double r, rlo, rhi, mt;

	if (c->target_ms <= 0 || c->nlp < 2 || c->nlt < 2)
		return -1;
	/* the bootstrap interval of the ratio of the medians over every
	 * launch, scaled by hyperfine's median */
	mt = median_of(c->lt, c->nlt);
	ib_ratio_ci(c->lp, c->nlp, c->lt, c->nlt, &r, &rlo, &rhi);
	*diff = (r - 1) * mt;
	*lo = (rlo - 1) * mt;
	*hi = (rhi - 1) * mt;
	return 0;
}

/* ok: within the target; MISS: outside it; wide: the interval of the
 * difference reaches past its target, +-target_ms (not shown to be met:
 * counted as a miss). */
static const char *verdict(const struct check *c, double ratio)
{
	double d, lo, hi;

	if (c->np == 0 || c->nt == 0)
		return c->failure[0] ? "NOT RUN" : "-";
	if (c->target_ms > 0) {
		if (vd_harness_share(c, &d, &lo, &hi) < 0)
			return "-";
		return share_verdict(c, lo, hi);
	}
	if (c->target_pct < 0)
		return "info";
	return fabs(ratio - 1) * 100 <= c->target_pct ? "ok" : "MISS";
}

/* Which process runs at each end of a net check's link: the namespace's
 * (with the probe) and the host's (with the peer). */
static void net_ends(const struct check *c, const char **ns,
		     const char **host)
{
	int rx = c->net_test && !strcmp(c->net_test, "stream-rx");

	if (!strcmp(c->id, "net-rr")) {
		*ns = "sockperf's client";
		*host = "sockperf server";
	} else if (!strcmp(c->id, "net-stream")) {
		*ns = "iperf3's client";
		*host = "iperf3 -s";
	} else {
		*ns = rx ? "nuttcp's server, receiving"
			 : "nuttcp's server, transmitting";
		*host = rx ? "nuttcp -t" : "nuttcp -r";
	}
}

/* The net checks: the median of the back-to-back pairs' ratios beside
 * the ratio of the medians. */
static void print_net_notes(FILE *f, int markdown)
{
	for (size_t i = 0; i < vd_nchecks; i++) {
		const struct check *c = &vd_checks[i];
		double r[MAX_ROUNDS * 3];
		const char *ns, *host;
		int n = 0;

		/* sides ran back to back, so a host's drift hits a pair alike:
		 * the median of the pairs' ratios is shown beside */
		if (strncmp(c->id, "net-", 4) || !c->selected)
			continue;
		for (; n < c->np && n < c->nt; n++)
			r[n] = c->pv[n] / c->tv[n];
		if (n < 2)
			continue;
		net_ends(c, &ns, &host);
		fprintf(f, "%s%s: the median of the %d back-to-back pairs' "
			"ratios is %.3f (the verdict uses the ratio of the "
			"medians). The namespace's end (the probe, %s) runs on "
			"the first CPU, the host's end (the peer, %s) on the "
			"last.\n", markdown ? "\n" : "", c->id, n,
			median_of(r, n), ns, host);
	}
}

/* membw: the copy kernels, like for like in bytes moved. */
static void print_membw_note(FILE *f, int markdown, const struct vctx *v)
{
	for (size_t i = 0; i < vd_nchecks; i++) {
		const struct check *c = &vd_checks[i];
		double copy = median_of(v->membw_copy, v->ncopy);
		double mbw = median_of(c->tv, c->nt);
		char a[32], b[32];

		if (strcmp(c->id, "membw") || !c->selected || !v->ncopy || !c->nt)
			continue;
		ib_fmt_value(a, sizeof(a), copy);
		ib_fmt_value(b, sizeof(b), mbw * c->tool_scale);
		fprintf(f, "%smembw copy, like for like in bytes moved: the "
			"probe's STREAM copy %s MB/s, mbw's memcpy %s MB/s "
			"(x2 x 1.048576), ratio %.3f; no target (a loop of "
			"doubles against libc's memcpy).\n",
			markdown ? "\n" : "", a, b, copy / (mbw * c->tool_scale));
	}
}

/* startup: the harness's share of a launch (startup-native,
 * startup-qemu), and runc's default lifecycle beside `runc run`
 * (startup-runc). */
static void print_startup_notes(FILE *f, int markdown, const struct vctx *v)
{
	for (size_t i = 0; i < vd_nchecks; i++) {
		const struct check *c = &vd_checks[i];
		double torn = median_of(v->torn_down, v->ntorn);
		double exited = median_of(v->create_exited, v->ntorn);
		double hf = median_of(c->tv, c->nt);
		char a[32], b[32], e[32];
		double d, lo, hi;

		if (c->selected && vd_harness_share(c, &d, &lo, &hi) == 0) {
			const char *vd = share_verdict(c, lo, hi);

			fprintf(f, "%s%s: the harness's share of a launch, "
				"isobench's launch to exit minus hyperfine's "
				"over %d and %d launches: %+.2f ms, 95%% "
				"interval [%+.2f, %+.2f] ms; target within "
				"+-%g ms: %s.\n",
				markdown ? "\n" : "", c->id, c->nlp, c->nlt, d,
				lo, hi, c->target_ms,
				!strcmp(vd, "ok")     ? "met"
				: !strcmp(vd, "MISS") ? "MISSED"
						      : "undecided: the launches' "
							"own spread is wider than "
							"the target");
		}
		if (strcmp(c->id, "startup-runc") || !c->selected || !v->ntorn ||
		    !c->nt)
			continue;
		ib_fmt_value(a, sizeof(a), torn);
		ib_fmt_value(b, sizeof(b), hf);
		ib_fmt_value(e, sizeof(e), exited);
		fprintf(f, "%sstartup: both sides run `runc run` (isobench's "
			"runc:lifecycle=run, on its own). isobench's default runc "
			"lifecycle, create + start + wait (+ delete), right after "
			"in each round: %s ms to exit (ratio %.3f to hyperfine), %s ms to "
			"torn down (%.3f): separate runc commands cost more than "
			"one `runc run`. Each side: the median of %d launches a "
			"round, then the median over rounds.\n",
			markdown ? "\n" : "", e, exited / hf, a, torn / hf,
			v->launches);
	}
}

int vd_print_table(FILE *f, int markdown, int rounds,
		   const struct vctx *v)
{
	int misses = 0;

	if (markdown)
		fprintf(f, "| check | probe (median) | RSD | classic tool "
			"(median) | RSD | ratio | 95%% interval | target | "
			"verdict |\n"
			"|---|---:|---:|---|---:|---:|---:|---:|---|\n");
	else
		fprintf(f, "\n%-34s %12s %6s  %12s %6s  %6s %15s %7s  %s\n",
			"check", "probe", "rsd%", "tool", "rsd%", "ratio",
			"95% interval", "target", "verdict");
	for (size_t i = 0; i < vd_nchecks; i++) {
		struct check *c = &vd_checks[i];
		double pm = median_of(c->pv, c->np), tm = median_of(c->tv, c->nt);
		double ratio = pm / (tm * c->tool_scale);
		const char *vd = verdict(c, ratio);
		char a[32], b[32], t[24], ci[40] = "-";
		double lo, hi;

		if (!c->selected)
			continue;
		ib_fmt_value(a, sizeof(a), pm);
		ib_fmt_value(b, sizeof(b), tm);
		if (c->target_ms > 0)
			snprintf(t, sizeof(t), "+-%gms", c->target_ms);
		else if (c->target_pct >= 0)
			snprintf(t, sizeof(t), "+-%g%%", c->target_pct);
		else
			snprintf(t, sizeof(t), "none");
		if (strcmp(vd, "ok") && strcmp(vd, "info"))
			misses++;
		if (ratio_interval(c, &lo, &hi) == 0)
			snprintf(ci, sizeof(ci), "[%.3f, %.3f]", lo, hi);
		if (markdown)
			fprintf(f, "| %s | %s %s | %.1f%% | %s: %s | %.1f%% | "
				"%.3f | %s | %s | %s |\n", c->what, a, c->unit,
				rsd_of(c->pv, c->np), c->tool, b,
				rsd_of(c->tv, c->nt), ratio, ci, t, vd);
		else {
			char ra[16] = "-", rb[16] = "-";

			if (isfinite(rsd_of(c->pv, c->np)))
				snprintf(ra, sizeof(ra), "%.1f", rsd_of(c->pv, c->np));
			if (isfinite(rsd_of(c->tv, c->nt)))
				snprintf(rb, sizeof(rb), "%.1f", rsd_of(c->tv, c->nt));
			fprintf(f, "%-34s %12s %6s  %12s %6s  %6.3f %15s %7s  "
				"%s\n", c->what, a, ra, b, rb, ratio, ci, t, vd);
		}
		if (c->failure[0])
			fprintf(f, markdown ? "| | %s | | | | | | | |\n"
					    : "%-34s   (%s)\n",
				markdown ? c->failure : "", c->failure);
	}
	if (markdown)
		fprintf(f, "\n%d rounds (cpu, syscall, ctxsw and net: 3 pairs "
			"a round; membw: 3 rounds), probe and tool alternating "
			"which goes first; ratio = median(probe) / median(tool), "
			"its 95%% interval a percentile bootstrap of the two "
			"sides' samples (2000 resamples; the verdict reads the "
			"ratio against the target, the interval says how far "
			"this host's spread lets it be trusted)%s.\n"
			"membw: the probe's STREAM triad (MB/s, all bytes read "
			"and written) beside mbw's memcpy copy (MiB/s of one "
			"array); the ratio converts mbw to bytes moved (x2 x "
			"1.048576) and is not like for like, so it has no "
			"target.\n", rounds,
			"; ctxsw and syscall compare round trips and calls "
			"exactly as perf reports them. ctxsw on one CPU is the "
			"cost of the token passing; on any CPU, cross-CPU "
			"wake-ups in a VM add a cost that swings with the host, "
			"shown without a target");
	print_net_notes(f, markdown);
	print_membw_note(f, markdown, v);
	print_startup_notes(f, markdown, v);
	return misses;
}

void vd_write_json(const struct vctx *v, int rounds)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "checks");
	char *text, *path, when[32];

	ib_utc_iso8601(when, sizeof(when));
	cJSON_AddStringToObject(o, "isobench", ISOBENCH_VERSION);
	cJSON_AddStringToObject(o, "ended", when);
	cJSON_AddNumberToObject(o, "rounds", rounds);
	cJSON_AddNumberToObject(o, "seconds_per_measurement", v->secs);
	cJSON_AddStringToObject(o, "disk_file_size", v->disk_size);
	for (size_t i = 0; i < vd_nchecks; i++) {
		const struct check *c = &vd_checks[i];
		cJSON *x;
		double pm = median_of(c->pv, c->np), tm = median_of(c->tv, c->nt);
		double d, lo, hi;

		if (!c->selected)
			continue;
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", c->id);
		cJSON_AddStringToObject(x, "probe", c->what);
		cJSON_AddStringToObject(x, "tool", c->tool);
		cJSON_AddStringToObject(x, "unit", c->unit);
		cJSON_AddItemToObject(x, "probe_values",
				      cJSON_CreateDoubleArray(c->pv, c->np));
		cJSON_AddItemToObject(x, "tool_values",
				      cJSON_CreateDoubleArray(c->tv, c->nt));
		if (c->np && c->nt) {
			cJSON_AddNumberToObject(x, "ratio", pm / (tm * c->tool_scale));
			cJSON_AddStringToObject(x, "verdict",
						verdict(c, pm / (tm * c->tool_scale)));
		}
		if (ratio_interval(c, &lo, &hi) == 0) {
			cJSON_AddNumberToObject(x, "ratio_ci_low", lo);
			cJSON_AddNumberToObject(x, "ratio_ci_high", hi);
		}
		if (c->target_pct >= 0)
			cJSON_AddNumberToObject(x, "target_pct", c->target_pct);
		if (c->target_ms > 0 && vd_harness_share(c, &d, &lo, &hi) == 0) {
			cJSON_AddNumberToObject(x, "target_ms", c->target_ms);
			cJSON_AddNumberToObject(x, "harness_ms", d);
			cJSON_AddNumberToObject(x, "harness_ms_ci_low", lo);
			cJSON_AddNumberToObject(x, "harness_ms_ci_high", hi);
			cJSON_AddItemToObject(x, "probe_launches_ms",
					      cJSON_CreateDoubleArray(c->lp, c->nlp));
			cJSON_AddItemToObject(x, "tool_launches_ms",
					      cJSON_CreateDoubleArray(c->lt, c->nlt));
		}
		if (c->failure[0])
			cJSON_AddStringToObject(x, "failure", c->failure);
		cJSON_AddItemToArray(arr, x);
	}
	text = cJSON_Print(o);
	path = ib_xasprintf("%s/validation.json", v->outdir);
	ib_write_file_atomic(path, text, strlen(text), NULL);
	free(path);
	cJSON_free(text);
	cJSON_Delete(o);
}
