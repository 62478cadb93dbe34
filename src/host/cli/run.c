/* isobench run: the command line of a run (options or a plan file) into a
 * plan, handed to the runner (run/runner.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "cli/cli.h"
#include "plan/plan.h"
#include "run/runner.h"

static void usage_run(FILE *f)
{
	fprintf(f,
		"usage: isobench run [options] [PLAN]\n"
		"\n"
		"Runs benchmarks in runtimes, repeating each cell (a job on a "
		"runtime)\nuntil its metrics' relative standard deviation is "
		"under a target or a\nbound is reached, runtimes interleaved. "
		"PLAN is a plan file (see\ndocs/plan-format.md); without one the "
		"options below choose.\n"
		"\n"
		"  -r, --runtimes LIST     runtimes, comma-separated, or 'all' "
		"(default:\n"
		"                          every usable one; unusable ones are "
		"skipped\n"
		"                          with the reason)\n"
		"  -b, --benchmarks LIST   benchmarks (default: all): cpu, "
		"membw, memlat,\n"
		"                          syscall, ctxsw, disk, startup, footprint, net\n"
		"  -s, --set B.KEY=VALUE   set parameter KEY of benchmark (or "
		"job) B,\n"
		"                          e.g. -s disk.size=1g; repeatable\n"
		"      --quick             quick suite defaults (the default)\n"
		"      --full              full suite: longer, more repetitions\n"
		"      --rsd-target PCT    stop repeating a cell when every "
		"metric's RSD\n"
		"                          is at most PCT percent (default 3)\n"
		"      --min-reps N        launches per cell at least (quick 3, "
		"full 5)\n"
		"      --max-reps N        launches per cell at most (quick 10, "
		"full 30)\n"
		"      --max-time SEC      stop repeating a cell after SEC "
		"seconds,\n"
		"                          once min-reps is met (quick 6, full "
		"120)\n"
		"      --warmup N          uncounted launches per cell first "
		"(quick 0,\n"
		"                          full 1)\n"
		"      --timeout SEC       deadline of one launch (default 600)\n"
		"      --baseline RT       runtime the ratios refer to (default "
		"native)\n"
		"      --cpus N            CPUs of every container or VM, the "
		"same for all\n"
		"                          (default 0: every online CPU)\n"
		"      --memory SIZE       memory limit of every container or "
		"VM (default\n"
		"                          8g; 0: none); native is never "
		"limited\n"
		"  -o, --output DIR        results directory, new or empty "
		"(default:\n"
		"                          ./isobench-results/RUN-ID)\n"
		"      --scratch DIR       where the probe's files go (default "
		"/var/tmp);\n"
		"                          a directory of the run's own is made "
		"inside\n"
		"      --probe PATH        the isobench-probe binary to use\n"
		"  -q, --quiet             no progress and no summary table\n"
		"      --no-progress       no progress line\n"
		"\n"
		"The results directory holds raw.jsonl (every record, as it "
		"arrived),\nresults.json, results.csv, report.md, plan.ini and "
		"state.jsonl.\n\n%s",
		ib_cli_exit_codes);
}

int ib_cmd_run(int argc, char **argv)
{
	enum { O_QUICK = 256, O_FULL, O_RSD, O_MIN, O_MAX, O_TIME, O_WARM,
	       O_TIMEOUT, O_BASE, O_SCRATCH, O_PROBE, O_NOPROG, O_CPUS,
	       O_MEMORY };
	static const struct option longopts[] = {
		{"runtimes", required_argument, NULL, 'r'},
		{"benchmarks", required_argument, NULL, 'b'},
		{"set", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"quick", no_argument, NULL, O_QUICK},
		{"full", no_argument, NULL, O_FULL},
		{"rsd-target", required_argument, NULL, O_RSD},
		{"min-reps", required_argument, NULL, O_MIN},
		{"max-reps", required_argument, NULL, O_MAX},
		{"max-time", required_argument, NULL, O_TIME},
		{"warmup", required_argument, NULL, O_WARM},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"baseline", required_argument, NULL, O_BASE},
		{"scratch", required_argument, NULL, O_SCRATCH},
		{"probe", required_argument, NULL, O_PROBE},
		{"no-progress", no_argument, NULL, O_NOPROG},
		{"cpus", required_argument, NULL, O_CPUS},
		{"memory", required_argument, NULL, O_MEMORY},
		{NULL, 0, NULL, 0},
	};
	struct ib_plan plan;
	struct ib_runner_opts o = {.progress = 1, .summary = 1};
	struct ib_strv sets = {0};
	struct ib_err err = {0};
	const char *runtimes = NULL, *benchmarks = NULL, *probe = NULL;
	int mode = -1, opt, rc = IB_EXIT_USAGE;
	/* explicit policy values, applied after the mode */
	double rsd = -1, maxt = -1, timeout = -1;
	int minr = -1, maxr = -1, warm = -1, cpus = -1;
	uint64_t memory = UINT64_MAX;
	char *baseline = NULL, *out_abs = NULL, *scratch_abs = NULL;

	optind = 1;
	opterr = 0; /* one line of our own, not getopt's two */
	while ((opt = getopt_long(argc, argv, ":r:b:s:o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': runtimes = optarg; break;
		case 'b': benchmarks = optarg; break;
		case 's': ib_strv_push(&sets, optarg); break;
		case 'o': o.out_dir = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': usage_run(stdout); ib_strv_free(&sets); return 0;
		case O_QUICK: mode = 0; break;
		case O_FULL: mode = 1; break;
		case O_RSD:
			if (ib_cli_parse_dbl("--rsd-target", optarg, 0.001, &rsd) < 0)
				goto out_sets;
			break;
		case O_MIN:
			if (ib_cli_parse_int("--min-reps", optarg, 1, 10000, &minr) < 0)
				goto out_sets;
			break;
		case O_MAX:
			if (ib_cli_parse_int("--max-reps", optarg, 1, 10000, &maxr) < 0)
				goto out_sets;
			break;
		case O_TIME:
			if (ib_cli_parse_dbl("--max-time", optarg, 0.001, &maxt) < 0)
				goto out_sets;
			break;
		case O_WARM:
			if (ib_cli_parse_int("--warmup", optarg, 0, 100, &warm) < 0)
				goto out_sets;
			break;
		case O_TIMEOUT:
			if (ib_cli_parse_dbl("--timeout", optarg, 0.001, &timeout) < 0)
				goto out_sets;
			break;
		case O_BASE: baseline = optarg; break;
		case O_SCRATCH: o.scratch_parent = optarg; break;
		case O_PROBE: probe = optarg; break;
		case O_NOPROG: o.progress = 0; break;
		case O_CPUS:
			if (ib_cli_parse_int("--cpus", optarg, 0, 4096, &cpus) < 0)
				goto out_sets;
			break;
		case O_MEMORY:
			if (ib_parse_size(optarg, &memory) < 0 ||
			    (memory && memory < (64u << 20))) {
				fprintf(stderr, "isobench run: --memory: '%s' is "
					"not a size of at least 64m, or 0\n",
					optarg);
				goto out_sets;
			}
			break;
		case ':':
		default:
			ib_cli_bad_option("isobench run", opt == ':', argv, optind);
			goto out_sets;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "isobench run: one plan file at most (got '%s' "
			"and '%s')\n", argv[optind], argv[optind + 1]);
		goto out_sets;
	}
	/* absolute now, so that no later chdir, and no child started in
	 * another directory (a runtime, a daemon), reads them otherwise */
	if ((o.out_dir && !(out_abs = ib_abspath(o.out_dir))) ||
	    (o.scratch_parent && !(scratch_abs = ib_abspath(o.scratch_parent)))) {
		fprintf(stderr, "isobench run: the current directory: %s\n",
			strerror(errno));
		rc = IB_EXIT_ENV;
		goto out_sets;
	}
	if (out_abs)
		o.out_dir = out_abs;
	if (scratch_abs)
		o.scratch_parent = scratch_abs;
	ib_plan_init(&plan, mode == 1);
	if (optind < argc) {
		if (benchmarks) {
			fprintf(stderr, "isobench run: -b and a plan file "
				"exclude each other: the plan lists its jobs\n");
			goto out_plan;
		}
		if (ib_plan_load(&plan, argv[optind], &err) < 0) {
			fprintf(stderr, "isobench: %s\n", err.msg);
			goto out_plan;
		}
		if (mode >= 0)
			ib_plan_apply_mode(&plan, mode);
	} else if (benchmarks) {
		struct ib_strv names = {0};

		ib_strv_split(&names, benchmarks);
		if (names.n == 0) {
			fprintf(stderr, "isobench run: -b: empty list\n");
			ib_strv_free(&names);
			goto out_plan;
		}
		for (int i = 0; i < names.n; i++)
			if (!ib_plan_add_job(&plan, NULL, names.v[i], &err)) {
				fprintf(stderr, "isobench run: -b: %s\n", err.msg);
				ib_strv_free(&names);
				goto out_plan;
			}
		ib_strv_free(&names);
	} else {
		ib_plan_add_default_jobs(&plan);
	}
	if (runtimes) {
		ib_strv_free(&plan.runtimes);
		ib_strv_split(&plan.runtimes, runtimes);
		if (plan.runtimes.n == 0) {
			fprintf(stderr, "isobench run: -r: empty list\n");
			goto out_plan;
		}
	}
	for (int i = 0; i < sets.n; i++)
		if (ib_plan_set(&plan, sets.v[i], &err) < 0) {
			fprintf(stderr, "isobench run: %s\n", err.msg);
			goto out_plan;
		}
	if (rsd > 0) plan.rsd_target = rsd, plan.set_rsd = 1;
	if (minr > 0) plan.min_reps = minr, plan.set_min = 1;
	if (maxr > 0) plan.max_reps = maxr, plan.set_max = 1;
	if (maxt > 0) plan.max_time = maxt, plan.set_time = 1;
	if (warm >= 0) plan.warmup = warm, plan.set_warmup = 1;
	if (timeout > 0) plan.timeout = timeout;
	if (cpus >= 0) plan.cpus = cpus;
	if (memory != UINT64_MAX) plan.memory = memory;
	if (baseline) {
		free(plan.baseline);
		plan.baseline = ib_xstrdup(baseline);
	}
	{
		char *p = ib_cli_probe_path(probe);

		o.probe_path = p;
		ib_runner_install_signals();
		rc = ib_run(&plan, &o);
		free(p);
	}
out_plan:
	ib_plan_free(&plan);
out_sets:
	ib_strv_free(&sets);
	free(out_abs);
	free(scratch_abs);
	return rc;
}

/* For a driver whose options decide what it needs (available_spec):
 * every other choice of every option, usable here or why not, as the
 * spec that selects it. */
