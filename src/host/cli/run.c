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
		"      --boot-timeout SEC  deadline for a VM guest to reach its "
		"probe\n"
		"                          (default: 60 emulated, 20 with KVM); "
		"a guest\n"
		"                          that misses it hung at boot: its "
		"launch is\n"
		"                          replaced, at most twice per cell, "
		"and reported\n"
		"      --baseline RT       runtime the ratios refer to (default "
		"native)\n"
		"      --cpus N            CPUs of every container or VM, the "
		"same for all\n"
		"                          (default 0: every online CPU)\n"
		"      --memory SIZE       memory limit of every container or "
		"VM (default\n"
		"                          8g; 0: none); native is never "
		"limited\n"
		"      --neighbour KIND    a noisy neighbour on one host CPU for "
		"the whole\n"
		"                          run: cpu (spins), membw (streams "
		"memory), cache\n"
		"                          (thrashes the last-level cache) or "
		"none (default)\n"
		"      --neighbour-cpu N   its CPU (default: the first isobench "
		"may use,\n"
		"                          where vCPU 0 and a container's first "
		"CPU run)\n"
		"      --thp MODE          the host's transparent huge page mode "
		"for the run:\n"
		"                          always, madvise or never (as root; "
		"put back after\n"
		"                          it, or by isobench cleanup after a "
		"kill -9);\n"
		"                          keep (default): as it is\n"
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
		"arrived),\nresults.json, results.csv, report.md, report.html "
		"(charts: open it in a\nbrowser), plan.ini and state.jsonl.\n\n%s",
		ib_cli_exit_codes);
}

/* What the command line of `isobench run` says. The policy values are
 * applied after the mode (-1, or UINT64_MAX for memory: not given). */
struct run_args {
	struct ib_runner_opts o;
	struct ib_strv sets;
	const char *runtimes, *benchmarks, *probe, *baseline, *plan_file;
	const char *neighbour;
	int neighbour_cpu; /* -2: not given */
	const char *thp;
	int mode; /* -1 not given, 0 quick, 1 full */
	int quiet, progress;
	double rsd, maxt, timeout, boot_timeout;
	int minr, maxr, warm, cpus;
	uint64_t memory;
};

enum { O_QUICK = 256, O_FULL, O_RSD, O_MIN, O_MAX, O_TIME, O_WARM,
       O_TIMEOUT, O_BOOT_TIMEOUT, O_BASE, O_SCRATCH, O_PROBE, O_NOPROG, O_CPUS, O_MEMORY,
       O_NEIGHBOUR, O_NEIGHBOUR_CPU, O_THP };

/* One option with a value to check (the numeric ones); 0 or -1. */
static int parse_value(int opt, struct run_args *a)
{
	switch (opt) {
	case O_RSD:
		return ib_cli_parse_dbl("--rsd-target", optarg, 0.001, &a->rsd);
	case O_MIN:
		return ib_cli_parse_int("--min-reps", optarg, 1, 10000, &a->minr);
	case O_MAX:
		return ib_cli_parse_int("--max-reps", optarg, 1, 10000, &a->maxr);
	case O_TIME:
		return ib_cli_parse_dbl("--max-time", optarg, 0.001, &a->maxt);
	case O_WARM:
		return ib_cli_parse_int("--warmup", optarg, 0, 100, &a->warm);
	case O_TIMEOUT:
		return ib_cli_parse_dbl("--timeout", optarg, 0.001, &a->timeout);
	case O_BOOT_TIMEOUT:
		return ib_cli_parse_dbl("--boot-timeout", optarg, 0.001,
					&a->boot_timeout);
	case O_CPUS:
		return ib_cli_parse_int("--cpus", optarg, 0, 4096, &a->cpus);
	case O_NEIGHBOUR_CPU:
		return ib_cli_parse_int("--neighbour-cpu", optarg, 0, 1023,
					&a->neighbour_cpu);
	case O_MEMORY:
		if (ib_parse_size(optarg, &a->memory) < 0 ||
		    (a->memory && a->memory < (64u << 20))) {
			fprintf(stderr, "isobench run: --memory: '%s' is "
				"not a size of at least 64m, or 0\n", optarg);
			return -1;
		}
		return 0;
	}
	return -1;
}

/* Parses argv into a. Returns 0, 1 for --help (printed), -1 on a bad
 * option (said). */
static int parse_run_args(int argc, char **argv, struct run_args *a)
{
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
		{"boot-timeout", required_argument, NULL, O_BOOT_TIMEOUT},
		{"baseline", required_argument, NULL, O_BASE},
		{"scratch", required_argument, NULL, O_SCRATCH},
		{"probe", required_argument, NULL, O_PROBE},
		{"no-progress", no_argument, NULL, O_NOPROG},
		{"cpus", required_argument, NULL, O_CPUS},
		{"memory", required_argument, NULL, O_MEMORY},
		{"neighbour", required_argument, NULL, O_NEIGHBOUR},
		{"neighbour-cpu", required_argument, NULL, O_NEIGHBOUR_CPU},
		{"thp", required_argument, NULL, O_THP},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	opterr = 0; /* one line of our own, not getopt's two */
	while ((opt = getopt_long(argc, argv, ":r:b:s:o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r': a->runtimes = optarg; break;
		case 'b': a->benchmarks = optarg; break;
		case 's': ib_strv_push(&a->sets, optarg); break;
		case 'o': a->o.out_dir = optarg; break;
		case 'q': a->quiet = 1; break;
		case 'h': usage_run(stdout); return 1;
		case O_QUICK: a->mode = 0; break;
		case O_FULL: a->mode = 1; break;
		case O_BASE: a->baseline = optarg; break;
		case O_SCRATCH: a->o.scratch_parent = optarg; break;
		case O_PROBE: a->probe = optarg; break;
		case O_NOPROG: a->progress = 0; break;
		case O_NEIGHBOUR: a->neighbour = optarg; break;
		case O_THP: a->thp = optarg; break;
		case O_RSD: case O_MIN: case O_MAX: case O_TIME: case O_WARM:
		case O_TIMEOUT: case O_BOOT_TIMEOUT: case O_CPUS: case O_MEMORY:
		case O_NEIGHBOUR_CPU:
			if (parse_value(opt, a) < 0)
				return -1;
			break;
		case ':':
		default:
			ib_cli_bad_option("isobench run", opt == ':', argv, optind);
			return -1;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "isobench run: one plan file at most (got '%s' "
			"and '%s')\n", argv[optind], argv[optind + 1]);
		return -1;
	}
	a->plan_file = optind < argc ? argv[optind] : NULL;
	return 0;
}

/* The jobs: the plan file's, -b's, or the default suite's. 0 or -1
 * (said). */
static int plan_jobs(const struct run_args *a, struct ib_plan *plan)
{
	struct ib_err err = {0};
	struct ib_strv names = {0};

	if (a->plan_file) {
		if (a->benchmarks) {
			fprintf(stderr, "isobench run: -b and a plan file "
				"exclude each other: the plan lists its jobs\n");
			return -1;
		}
		if (ib_plan_load(plan, a->plan_file, &err) < 0) {
			fprintf(stderr, "isobench: %s\n", err.msg);
			return -1;
		}
		if (a->mode >= 0)
			ib_plan_apply_mode(plan, a->mode);
		return 0;
	}
	if (!a->benchmarks) {
		ib_plan_add_default_jobs(plan);
		return 0;
	}
	ib_strv_split(&names, a->benchmarks);
	if (names.n == 0) {
		fprintf(stderr, "isobench run: -b: empty list\n");
		return -1;
	}
	for (int i = 0; i < names.n; i++)
		if (!ib_plan_add_job(plan, NULL, names.v[i], &err)) {
			fprintf(stderr, "isobench run: -b: %s\n", err.msg);
			ib_strv_free(&names);
			return -1;
		}
	ib_strv_free(&names);
	return 0;
}

/* The plan from the command line: its jobs, then -r, -s and the policy
 * options over them. 0 or -1 (said). */
static int make_plan(const struct run_args *a, struct ib_plan *plan)
{
	struct ib_err err = {0};

	if (plan_jobs(a, plan) < 0)
		return -1;
	if (a->runtimes) {
		ib_strv_free(&plan->runtimes);
		ib_plan_split_runtimes(&plan->runtimes, a->runtimes);
		if (plan->runtimes.n == 0) {
			fprintf(stderr, "isobench run: -r: empty list\n");
			return -1;
		}
	}
	for (int i = 0; i < a->sets.n; i++)
		if (ib_plan_set(plan, a->sets.v[i], &err) < 0) {
			fprintf(stderr, "isobench run: %s\n", err.msg);
			return -1;
		}
	if (a->rsd > 0) plan->rsd_target = a->rsd, plan->set_rsd = 1;
	if (a->minr > 0) plan->min_reps = a->minr, plan->set_min = 1;
	if (a->maxr > 0) plan->max_reps = a->maxr, plan->set_max = 1;
	if (a->maxt > 0) plan->max_time = a->maxt, plan->set_time = 1;
	if (a->warm >= 0) plan->warmup = a->warm, plan->set_warmup = 1;
	if (a->timeout > 0) plan->timeout = a->timeout;
	if (a->boot_timeout > 0) plan->boot_timeout = a->boot_timeout;
	if (a->cpus >= 0) plan->cpus = a->cpus;
	if (a->memory != UINT64_MAX) plan->memory = a->memory;
	if (a->baseline) {
		free(plan->baseline);
		plan->baseline = ib_xstrdup(a->baseline);
	}
	if (a->neighbour) {
		char why[128];

		if (ib_plan_set_neighbour(plan, a->neighbour, why,
					  sizeof(why)) < 0) {
			fprintf(stderr, "isobench run: --neighbour: %s\n", why);
			return -1;
		}
	}
	if (a->neighbour_cpu >= 0)
		plan->neighbour_cpu = a->neighbour_cpu;
	if (a->thp) {
		char why[128];

		if (ib_plan_set_thp(plan, a->thp, why, sizeof(why)) < 0) {
			fprintf(stderr, "isobench run: --thp: %s\n", why);
			return -1;
		}
	}
	return 0;
}

int ib_cmd_run(int argc, char **argv)
{
	struct run_args a = {
		.progress = 1, .mode = -1, .rsd = -1,
		.maxt = -1, .timeout = -1, .boot_timeout = -1, .minr = -1, .maxr = -1, .warm = -1,
		.cpus = -1, .memory = UINT64_MAX, .neighbour_cpu = -2,
	};
	struct ib_plan plan;
	char *out_abs = NULL, *scratch_abs = NULL, *probe;
	int rc = IB_EXIT_USAGE, parsed = parse_run_args(argc, argv, &a);

	if (parsed != 0) {
		ib_strv_free(&a.sets);
		return parsed > 0 ? 0 : IB_EXIT_USAGE;
	}
	/* absolute now, so that no later chdir, and no child started in
	 * another directory (a runtime, a daemon), reads them otherwise */
	if ((a.o.out_dir && !(out_abs = ib_abspath(a.o.out_dir))) ||
	    (a.o.scratch_parent &&
	     !(scratch_abs = ib_abspath(a.o.scratch_parent)))) {
		fprintf(stderr, "isobench run: the current directory: %s\n",
			strerror(errno));
		ib_strv_free(&a.sets);
		free(out_abs);
		return IB_EXIT_ENV;
	}
	if (out_abs)
		a.o.out_dir = out_abs;
	if (scratch_abs)
		a.o.scratch_parent = scratch_abs;
	ib_plan_init(&plan, a.mode == 1);
	if (make_plan(&a, &plan) == 0) {
		struct ib_cli_reporter rep;

		ib_cli_reporter_init(&rep, a.quiet, a.progress, 1);
		a.o.reporter = &rep.r;
		probe = ib_cli_probe_path(a.probe);
		a.o.probe_path = probe;
		ib_runner_install_signals();
		rc = ib_run(&plan, &a.o);
		free(probe);
	}
	ib_plan_free(&plan);
	ib_strv_free(&a.sets);
	free(out_abs);
	free(scratch_abs);
	return rc;
}

/* For a driver whose options decide what it needs (available_spec):
 * every other choice of every option, usable here or why not, as the
 * spec that selects it. */
