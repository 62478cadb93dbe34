/* isobench compare BASE NEW...: each NEW run's metrics against BASE's
 * (results/compare.h), printed, and written as compare.md, compare.json
 * and compare.html (its charts) to a new directory; the exit status says whether any
 * metric got significantly worse beyond its threshold, so that CI can
 * gate on it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "results/compare.h"
#include "results/compare_html.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: isobench compare [options] BASE NEW [NEW...]\n"
		"\n"
		"Compares the runs in the results directories NEW with the run "
		"in BASE,\nmetric by metric (same runtime, job, benchmark, "
		"metric and params),\nfrom their raw.jsonl: NEW/BASE (ratio of "
		"medians) with a bootstrap 95%%\ninterval, and a two-sided "
		"permutation test on the samples. Verdicts:\n"
		"  worse           p < alpha and the change beyond the allowed "
		"one, the\n"
		"                  wrong way (lower where higher is better)\n"
		"  better          the same, the right way\n"
		"  no change       otherwise\n"
		"  not comparable  a side lacks the metric, or has too few "
		"samples for the\n"
		"                  test ever to reach alpha (4 a side at least)\n"
		"Facts of the hosts' fingerprints that differ are listed and "
		"flagged.\nSeveral NEW runs (from several hosts, say) are "
		"columns side by side.\n"
		"\n"
		"options:\n"
		"  -o, --output DIR      where compare.md, compare.json and "
		"compare.html\n                        go: a new directory "
		"(default ./isobench-compare/TIME)\n"
		"  -t, --thresholds FILE allowed changes per metric (the plan "
		"file's\n"
		"                        syntax; default 5%% everywhere):\n"
		"                          [global]\n"
		"                          allowed = 5%%\n"
		"                          [rps]\n"
		"                          metric = nginx.requests_per_s\n"
		"                          params = connections=16\n"
		"                          allowed = 10%%\n"
		"  -a, --alpha A         the test's significance level (0 < A < "
		"1;\n"
		"                        default 0.05)\n"
		"  -q, --quiet           print only the summary line\n"
		"  -h, --help            this help\n"
		"\n"
		"exit status:\n"
		"  0    no metric is worse\n"
		"  1    a metric is significantly worse beyond its threshold\n"
		"  2    bad command line or thresholds file (the message names "
		"it)\n"
		"  3    a results directory cannot be read, or the output not "
		"written\n");
}

/* The output directory: made new (its parents as needed). */
static int make_out_dir(const char *given, char **dir, struct ib_err *err)
{
	char *d;
	int rc;

	if (given) {
		d = ib_xstrdup(given);
	} else {
		char stamp[32];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
		d = ib_xasprintf("isobench-compare/%s-%04x", stamp,
				 (unsigned)getpid() & 0xffff);
	}
	rc = ib_mkdir_new(d, err);
	if (rc < 0) {
		free(d);
		return ib_err_wrap(err, "output directory");
	}
	*dir = d;
	return 0;
}

static int write_out(const char *dir, const char *name, const char *text,
		     struct ib_err *err)
{
	char *path = ib_xasprintf("%s/%s", dir, name);
	int rc = ib_write_file_atomic(path, text, strlen(text), err);

	free(path);
	return rc;
}

int ib_cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"thresholds", required_argument, NULL, 't'},
		{"alpha", required_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *tpath = NULL;
	struct ib_cmp_thresholds t;
	struct ib_results *runs = NULL;
	const struct ib_results **news = NULL;
	struct ib_compare c;
	struct ib_err err = {0};
	double alpha = 0.05;
	int quiet = 0, rc = 0, ndirs, built = 0, loaded = 0, opt;
	char *dir = NULL;

	ib_cmp_thresholds_init(&t);
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":o:t:a:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 't':
			tpath = optarg;
			break;
		case 'a': {
			char *end;

			alpha = strtod(optarg, &end);
			if (end == optarg || *end || !(alpha > 0 && alpha < 1)) {
				fprintf(stderr, "isobench compare: --alpha '%s': a "
					"number above 0 and below 1 (e.g. 0.05)\n",
					optarg);
				return IB_EXIT_USAGE;
			}
			break;
		}
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return IB_EXIT_OK;
		default:
			ib_cli_bad_option("compare", opt == ':', argv, optind);
			return IB_EXIT_USAGE;
		}
	}
	ndirs = argc - optind;
	if (ndirs < 2) {
		fprintf(stderr, "isobench compare: %s (usage: isobench compare "
			"[options] BASE NEW [NEW...])\n", ndirs ? "which run to "
			"compare with it? give a NEW directory after BASE"
			: "which runs? give BASE and NEW results directories");
		return IB_EXIT_USAGE;
	}
	if (tpath) {
		size_t len;
		char *text = ib_read_file(tpath, &len, &err);

		if (!text) {
			fprintf(stderr, "isobench compare: thresholds file: %s\n",
				err.msg);
			return IB_EXIT_USAGE;
		}
		if (ib_cmp_thresholds_parse(text, len, tpath, &t, &err) < 0) {
			fprintf(stderr, "isobench compare: %s\n", err.msg);
			free(text);
			return IB_EXIT_USAGE;
		}
		free(text);
	}
	runs = ib_xcalloc((size_t)ndirs, sizeof(*runs));
	for (int i = 0; i < ndirs && rc == 0; i++) {
		char *raw = ib_xasprintf("%s/raw.jsonl", argv[optind + i]);

		ib_results_init(&runs[i]);
		loaded++;
		if (ib_results_load(&runs[i], raw, &err) < 0) {
			fprintf(stderr, "isobench compare: %s: %s\n",
				argv[optind + i], err.msg);
			rc = err.code == -EINVAL ? IB_EXIT_USAGE : IB_EXIT_ENV;
		} else {
			for (int w = 0; w < runs[i].warnings.n; w++)
				fprintf(stderr, "isobench compare: %s: warning: "
					"%s\n", argv[optind + i],
					runs[i].warnings.v[w]);
		}
		free(raw);
	}
	if (rc == 0 && make_out_dir(out, &dir, &err) < 0) {
		fprintf(stderr, "isobench compare: %s\n", err.msg);
		rc = IB_EXIT_ENV;
	}
	if (rc == 0) {
		char *json, *md, *html;

		news = ib_xcalloc((size_t)(ndirs - 1), sizeof(*news));
		for (int i = 1; i < ndirs; i++)
			news[i - 1] = &runs[i];
		ib_compare_build(&c, &runs[0], argv[optind],
				 (const struct ib_results *const *)news,
				 (const char *const *)argv + optind + 1,
				 ndirs - 1, &t, alpha);
		built = 1;
		json = ib_compare_json(&c);
		md = ib_compare_markdown(&c);
		html = ib_compare_html(&c);
		if (write_out(dir, "compare.json", json, &err) < 0 ||
		    write_out(dir, "compare.md", md, &err) < 0 ||
		    write_out(dir, "compare.html", html, &err) < 0) {
			fprintf(stderr, "isobench compare: %s\n", err.msg);
			rc = IB_EXIT_ENV;
		}
		free(json);
		free(md);
		free(html);
	}
	if (rc == 0) {
		if (quiet) {
			printf("%d worse, %d better, %d no change, %d not "
			       "comparable\n", c.worse, c.better, c.same, c.na);
		} else {
			ib_compare_terminal(&c, stdout);
			printf("isobench: %s/{compare.md, compare.json, "
			       "compare.html}\n", dir);
		}
		rc = c.worse ? IB_EXIT_REGRESSION : IB_EXIT_OK;
	}
	if (built)
		ib_compare_free(&c);
	for (int i = 0; i < loaded; i++)
		ib_results_free(&runs[i]);
	free(runs);
	free(news);
	free(dir);
	ib_cmp_thresholds_free(&t);
	return rc;
}
