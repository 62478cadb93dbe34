/* isobench: what each isolation technology costs, measured side by side.
 *
 * The command line: subcommands in the usual style, each with --help.
 * Only this layer (and validate.c) prints; everything below returns errors
 * as values. Exit codes are in runner.h and README.md. */
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

#include "cli.h"
#include "plan.h"
#include "proc.h"
#include "report.h"
#include "results.h"
#include "peer.h"
#include "runner.h"
#include "runtime.h"
#include "vm_image.h"
#include "state.h"
#include "version.h"

static const char exit_codes[] =
	"exit status:\n"
	"  0    everything asked for was measured\n"
	"  1    finished, but some cells failed (see the report)\n"
	"  2    bad command line or plan file (the message names it)\n"
	"  3    cannot work here: output directory, probe, no usable "
	"runtime, I/O\n"
	"  130  interrupted by SIGINT/SIGTERM (results so far are written)\n";

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: isobench COMMAND [options]\n"
		"\n"
		"Measures what each isolation runtime costs, side by side with "
		"a bare\nprocess, on this host.\n"
		"\n"
		"commands:\n"
		"  run [PLAN]        run benchmarks (default: the quick suite on "
		"every\n"
		"                    usable runtime); writes a results "
		"directory\n"
		"  list [runtimes|benchmarks]\n"
		"                    what can be measured, and where\n"
		"  doctor            what is missing here and the command that "
		"fixes it\n"
		"  report DIR        rebuild DIR's results.json, results.csv "
		"and report.md\n"
		"                    from DIR/raw.jsonl, and print the summary\n"
		"  validate          run each probe workload beside the classic "
		"tool it\n"
		"                    follows (sysbench, perf bench, fio, mbw) and "
		"print ratios\n"
		"  cleanup [DIR...]  remove what killed runs left behind\n"
		"  peer              the net workload's host-side peer (isobench "
		"starts it)\n"
		"  version           print versions\n"
		"\n"
		"'isobench COMMAND --help' explains each command.\n\n%s",
		exit_codes);
}

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
		exit_codes);
}

char *ib_cli_probe_path(const char *given)
{
	char self[PATH_MAX], *slash;
	const char *env = getenv("ISOBENCH_PROBE");
	ssize_t n;

	if (given)
		return ib_xstrdup(given);
	if (env && *env)
		return ib_xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			const char *rel[] = {"isobench-probe",
					     "../probe/isobench-probe",
					     "../libexec/isobench/isobench-probe"};

			*slash = '\0';
			for (size_t i = 0; i < IB_ARRAY_LEN(rel); i++) {
				char *cand = ib_xasprintf("%s/%s", self, rel[i]);

				if (access(cand, X_OK) == 0)
					return cand;
				free(cand);
			}
		}
	}
	return ib_xstrdup("isobench-probe");
}

static int parse_int_opt(const char *opt, const char *v, int min, int max,
			 int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min || n > max) {
		fprintf(stderr, "isobench: %s: '%s' is not a whole number from "
			"%d to %d\n", opt, v, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int parse_dbl_opt(const char *opt, const char *v, double min,
			 double *out)
{
	if (ib_parse_seconds(v, out) < 0 || *out < min) {
		fprintf(stderr, "isobench: %s: '%s' is not a number >= %g\n",
			opt, v, min);
		return -1;
	}
	return 0;
}

/* getopt's own messages take two lines and name the subcommand as the
 * program: say what is wrong in one line instead (opterr = 0). */
void ib_cli_bad_option(const char *cmd, int missing_value, char **argv,
		       int ind)
{
	const char *arg = ind > 0 ? argv[ind - 1] : "";
	char opt[64];

	if (strncmp(arg, "--", 2) == 0)
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt > ' ' && optopt < 127)
		snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		snprintf(opt, sizeof(opt), "%s", arg);
	fprintf(stderr, "%s: %s %s%s (try '%s --help')\n", cmd,
		missing_value ? "a value is needed after" : "unknown option",
		opt, !missing_value && strncmp(arg, "--", 2) == 0 &&
		strchr(arg, '=') ? ", or it takes no value" : "", cmd);
}

static int cmd_run(int argc, char **argv)
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
			if (parse_dbl_opt("--rsd-target", optarg, 0.001, &rsd) < 0)
				goto out_sets;
			break;
		case O_MIN:
			if (parse_int_opt("--min-reps", optarg, 1, 10000, &minr) < 0)
				goto out_sets;
			break;
		case O_MAX:
			if (parse_int_opt("--max-reps", optarg, 1, 10000, &maxr) < 0)
				goto out_sets;
			break;
		case O_TIME:
			if (parse_dbl_opt("--max-time", optarg, 0.001, &maxt) < 0)
				goto out_sets;
			break;
		case O_WARM:
			if (parse_int_opt("--warmup", optarg, 0, 100, &warm) < 0)
				goto out_sets;
			break;
		case O_TIMEOUT:
			if (parse_dbl_opt("--timeout", optarg, 0.001, &timeout) < 0)
				goto out_sets;
			break;
		case O_BASE: baseline = optarg; break;
		case O_SCRATCH: o.scratch_parent = optarg; break;
		case O_PROBE: probe = optarg; break;
		case O_NOPROG: o.progress = 0; break;
		case O_CPUS:
			if (parse_int_opt("--cpus", optarg, 0, 4096, &cpus) < 0)
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
static void list_option_availability(const struct ib_runtime_ops *ops)
{
	if (!ops->available_spec)
		return;
	for (int k = 0; k < ops->noptions; k++) {
		struct ib_strv choices = {0};

		ib_strv_split(&choices, ops->options[k].choices);
		for (int c = 0; c < choices.n; c++) {
			struct ib_runtime rt = {0};
			struct ib_buf why = {0}, fix = {0};
			char *spec;
			int ok;

			if (!strcmp(choices.v[c], ops->options[k].dflt))
				continue;
			spec = ib_xasprintf("%s:%s=%s", ops->name,
					    ops->options[k].name, choices.v[c]);
			if (ib_runtime_spec(spec, &rt.ops, rt.opt, &rt.label,
					    NULL) == 0) {
				ok = ops->available_spec(&rt, &why, &fix);
				if (ok)
					printf("  %-12s %s: usable\n", "", rt.label);
				else
					printf("  %-12s %s: NOT usable: %s%s%s\n",
					       "", rt.label, why.s ? why.s : "?",
					       fix.s ? "; fix: " : "",
					       fix.s ? fix.s : "");
				ib_runtime_spec_free(rt.opt);
				free(rt.label);
			}
			free(spec);
			ib_buf_free(&why);
			ib_buf_free(&fix);
		}
		ib_strv_free(&choices);
	}
}

static void list_runtimes(void)
{
	printf("runtimes (%d):\n", ib_nruntimes);
	for (int i = 0; i < ib_nruntimes; i++) {
		const struct ib_runtime_ops *ops = ib_runtimes[i];
		struct ib_buf why = {0}, fix = {0};
		int ok = ops->available(&why, &fix);

		printf("  %-12s %-16s %s\n", ops->name, ops->family, ops->summary);
		if (ok)
			printf("  %-12s usable\n", "");
		else
			printf("  %-12s NOT usable: %s%s%s\n", "",
			       why.s ? why.s : "?", fix.s ? "; fix: " : "",
			       fix.s ? fix.s : "");
		/* options make runtimes of their own: name:option=value */
		for (int k = 0; k < ops->noptions; k++)
			printf("  %-12s option %s = %s (default %s): %s\n", "",
			       ops->options[k].name, ops->options[k].choices,
			       ops->options[k].dflt, ops->options[k].help);
		for (const char *const *x = ops->also_default; x && *x; x++)
			printf("  %-12s also run by default: %s\n", "", *x);
		list_option_availability(ops);
		ib_buf_free(&why);
		ib_buf_free(&fix);
	}
}

static void list_benchmarks(void)
{
	printf("benchmarks (%d); parameters as name=quick default [/ full "
	       "default]:\n", ib_nworkloads);
	for (int i = 0; i < ib_nworkloads; i++) {
		const struct ib_workload_def *w = &ib_workloads[i];

		printf("\n  %-8s %s\n  %-8s method of: %s\n", w->name, w->summary,
		       "", w->validated_by);
		for (int j = 0; j < w->nparams; j++) {
			const struct ib_param_def *p = &w->params[j];

			printf("    %s=%s", p->name, p->quick);
			if (strcmp(p->quick, p->full))
				printf(" / %s", p->full);
			printf("\n        %s\n", p->help);
		}
	}
}

static int cmd_list(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";

	if (!strcmp(what, "--help") || !strcmp(what, "-h")) {
		printf("usage: isobench list [runtimes|benchmarks]\n\nLists the "
		       "runtimes (with whether each is usable here, and if not "
		       "why\nand what fixes it) and the benchmarks with their "
		       "parameters.\n");
		return 0;
	}
	if (!strcmp(what, "runtimes")) {
		list_runtimes();
	} else if (!strcmp(what, "benchmarks")) {
		list_benchmarks();
	} else if (!strcmp(what, "all")) {
		list_runtimes();
		printf("\n");
		list_benchmarks();
	} else {
		fprintf(stderr, "isobench list: '%s' is neither runtimes nor "
			"benchmarks\n", what);
		return IB_EXIT_USAGE;
	}
	return 0;
}

/* doctor: one line per thing checked; the fix is a command to paste. */
static int doctor_line(int ok, const char *what, const char *detail,
		       const char *fix)
{
	printf("  [%s] %s%s%s\n", ok ? " ok " : "MISS", what,
	       detail && *detail ? ": " : "", detail ? detail : "");
	if (!ok && fix)
		printf("         fix: %s\n", fix);
	return !ok;
}

static int cmd_doctor(int argc, char **argv)
{
	static const struct {
		const char *prog, *pkg, *use;
	} tools[] = {
		{"sysbench", "sysbench", "validate: cpu"},
		{"perf", "linux-perf", "validate: syscall, ctxsw"},
		{"fio", "fio", "validate: disk"},
		{"mbw", "mbw", "validate: membw"},
		{"hyperfine", "hyperfine", "validate: startup (runc, qemu)"},
		{"iperf3", "iperf3", "validate: net-stream"},
		{"sockperf", "sockperf", "validate: net-rr"},
		{"taskset", "util-linux", "validate: net (pins clients and servers)"},
	};
	char *probe = ib_cli_probe_path(NULL), *fixcmd;
	int missing = 0;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: isobench doctor\n\nChecks what isobench needs "
		       "here (probe, runtimes, the classic tools\nthat "
		       "`validate` compares with) and prints the command "
		       "that fixes\neach missing piece. Exit status 0 if "
		       "nothing is missing, 1 otherwise.\n");
		return 0;
	}
	printf("isobench %s doctor\n\nprobe:\n", ISOBENCH_VERSION);
	{
		char *pargv[] = {probe, "--version", NULL};
		struct ib_buf out = {0};
		/* bounded: a probe that hangs must not hang doctor */
		int ok = ib_proc_capture(pargv, NULL, 5, NULL, &out, NULL) == 0;

		if (out.s)
			out.s[strcspn(out.s, "\n")] = '\0';
		missing += doctor_line(ok, probe, ok ? out.s : "does not run",
				       "build it: ./scripts/setup.sh (or set "
				       "ISOBENCH_PROBE)");
		ib_buf_free(&out);
	}
	printf("\nruntimes:\n");
	for (int i = 0; i < ib_nruntimes; i++) {
		struct ib_buf why = {0}, fix = {0};
		int ok = ib_runtimes[i]->available(&why, &fix);

		missing += doctor_line(ok, ib_runtimes[i]->name,
				       ok ? "usable" : why.s, fix.s);
		ib_buf_free(&why);
		ib_buf_free(&fix);
	}
	{
		/* what the VMs will run on: the qemu driver's KVM trial boot
		 * (a success kept until the host reboots, a failure for 10
		 * minutes), if one has run */
		struct ib_buf kw = {0};
		int kv = ib_vm_kvm_verdict(&kw);

		printf("  [info] KVM: %s\n",
		       kv == 1   ? "a trial boot ran a stock guest: VMs use KVM"
		       : kv == 0 ? "VMs run under TCG (emulated)"
				 : "not tried yet, or a failed trial expired (the "
				   "next qemu run boots a trial with KVM, 6 s at "
				   "most)");
		if (kv == 0)
			printf("         %s\n", kw.s ? kw.s : "");
		ib_buf_free(&kw);
	}
	{
		/* the net benchmark's links */
		char *ip = ib_which("ip");

		printf("\nnet benchmark:\n");
		missing += doctor_line(ip != NULL, "ip",
				       ip ? "namespaces, veth pairs, taps "
					    "(iproute2)" : "not found",
				       "apt-get install -y iproute2");
		missing += doctor_line(access("/dev/net/tun", R_OK | W_OK) == 0,
				       "/dev/net/tun",
				       access("/dev/net/tun", R_OK | W_OK) == 0
					       ? "taps for the VMs' network"
					       : "missing: the VMs' net cells "
						 "will fail",
				       "modprobe tun");
		free(ip);
	}
	printf("\nclassic tools for `isobench validate`:\n");
	for (size_t i = 0; i < IB_ARRAY_LEN(tools); i++) {
		char *path = ib_which(tools[i].prog);

		fixcmd = ib_xasprintf("apt-get install -y %s", tools[i].pkg);
		missing += doctor_line(path != NULL, tools[i].prog,
				       path ? tools[i].use : "not found", fixcmd);
		free(fixcmd);
		free(path);
	}
	printf("\n%s\n", missing ? "Some pieces are missing (see fix lines)."
				 : "Nothing is missing.");
	free(probe);
	return missing ? 1 : 0;
}

static int cmd_report(int argc, char **argv)
{
	struct ib_results r;
	struct ib_err err = {0};
	int quiet = 0, rc = 0;
	const char *dir = NULL;
	char *raw;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: isobench report [-q] DIR\n\nRebuilds "
			       "DIR/results.json, results.csv and report.md "
			       "from\nDIR/raw.jsonl alone (the same code a run "
			       "uses, so a rebuild is\nidentical) and prints "
			       "the summary table (not with -q).\nDamaged "
			       "lines of raw.jsonl are skipped, each named in "
			       "the warnings,\nand the exit status is then 1; "
			       "a file that is not a raw log is\nrefused "
			       "(status 2).\n");
			return 0;
		}
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (!dir && argv[i][0] != '-') {
			dir = argv[i];
		} else {
			fprintf(stderr, "isobench report: unexpected '%s' (usage: "
				"isobench report [-q] DIR)\n", argv[i]);
			return IB_EXIT_USAGE;
		}
	}
	if (!dir) {
		fprintf(stderr, "isobench report: which results directory? "
			"(usage: isobench report [-q] DIR)\n");
		return IB_EXIT_USAGE;
	}
	raw = ib_xasprintf("%s/raw.jsonl", dir);
	ib_results_init(&r);
	if (ib_results_load(&r, raw, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = err.code == -EINVAL ? IB_EXIT_USAGE : IB_EXIT_ENV;
	} else if (ib_results_write_all(&r, dir, &err) < 0) {
		fprintf(stderr, "isobench: %s\n", err.msg);
		rc = IB_EXIT_ENV;
	} else {
		for (int i = 0; i < r.warnings.n; i++)
			fprintf(stderr, "isobench: warning: %s\n", r.warnings.v[i]);
		if (!quiet)
			ib_report_terminal(&r, stdout);
		/* rebuilt from the valid lines, but not all of the run */
		if (r.bad_lines)
			rc = IB_EXIT_CELLS_FAILED;
	}
	ib_results_free(&r);
	free(raw);
	return rc;
}

static int cleanup_dir(const char *dir, const char *registry_entry,
		       int dry_run)
{
	struct ib_cleanup_opts o = {.dry_run = dry_run};
	struct ib_buf log = {0};
	struct ib_err err = {0};
	int rc = ib_cleanup_run(dir, &o, &log, NULL, &err);

	if (log.s)
		fputs(log.s, stdout);
	ib_buf_free(&log);
	if (rc < 0) {
		fprintf(stderr, "isobench cleanup: %s\n", err.msg);
		return rc == -EBUSY ? 0 : 1;
	}
	if (rc == 0 && registry_entry && !dry_run)
		unlink(registry_entry);
	return rc > 0;
}

static int cmd_cleanup(int argc, char **argv)
{
	int failed = 0, n = 0, dry_run = 0;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		char *rt = ib_runtime_dir_path();
		char *reg_help = rt ? ib_xasprintf("%s/runs", rt) : NULL;

		printf("usage: isobench cleanup [--dry-run] [DIR...]\n\nRemoves "
		       "what runs that were killed (kill -9, a crash, a reboot) "
		       "left\nbehind: processes, directories, and whatever the "
		       "runtimes recorded.\nWithout DIR, every run in the "
		       "registry (%s) that is not alive.\nA live run is "
		       "never touched. Only what the run's id names is: paths "
		       "in its\nwork directory or its entries of the runtime "
		       "directory (%s), names\nisobench-<run id>-*, processes "
		       "marked ISOBENCH_RUN=<run id> on the same boot.\nA state "
		       "file that anyone but you (root: root) may write is "
		       "refused.\n"
		       "  --dry-run  say what would be removed; remove nothing\n"
		       "\nThe runtime directory is $ISOBENCH_RUNTIME_DIR if set "
		       "(an absolute path),\nelse /run/isobench as root, "
		       "$XDG_RUNTIME_DIR/isobench or /tmp/isobench-UID\n"
		       "otherwise; a run and its cleanup must agree on it.\n"
		       "Exit status 0 when nothing is left.\n",
		       reg_help ? reg_help : "$ISOBENCH_RUNTIME_DIR/runs",
		       rt ? rt : "$ISOBENCH_RUNTIME_DIR");
		free(rt);
		free(reg_help);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--dry-run")) {
		dry_run = 1;
		argc--;
		argv++;
	}
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			struct stat st;
			char *state = ib_xasprintf("%s/state.jsonl", argv[i]);

			if (stat(state, &st) != 0) {
				fprintf(stderr, "isobench cleanup: %s is not a "
					"results directory (no state.jsonl)\n",
					argv[i]);
				free(state);
				return IB_EXIT_USAGE;
			}
			free(state);
			failed += cleanup_dir(argv[i], NULL, dry_run);
		}
		return failed ? 1 : 0;
	}
	{
		char *reg = ib_registry_dir();
		DIR *d = reg ? opendir(reg) : NULL;
		struct dirent *e;

		if (!reg) {
			struct ib_err rerr = {0};
			char *rt = ib_runtime_dir(&rerr);

			fprintf(stderr, "isobench cleanup: no registry of runs: "
				"%s\n", rt ? "cannot create runs/" : rerr.msg);
			free(rt);
			return IB_EXIT_ENV;
		}
		if (!d) {
			printf("no registry at %s: nothing to clean\n", reg);
			free(reg);
			return 0;
		}
		while ((e = readdir(d))) {
			char *entry, *target;

			if (e->d_name[0] == '.')
				continue;
			entry = ib_xasprintf("%s/%s", reg, e->d_name);
			target = ib_read_file(entry, NULL, NULL);
			n++;
			if (!target || !*target) {
				unlink(entry);
			} else {
				struct stat st;
				char *state = ib_xasprintf("%s/state.jsonl", target);

				if (stat(state, &st) != 0) {
					printf("run %s: its directory %s is gone; "
					       "forgetting it\n", e->d_name, target);
					if (!dry_run)
						unlink(entry);
				} else {
					printf("run %s (%s):\n", e->d_name, target);
					failed += cleanup_dir(target, entry, dry_run);
				}
				free(state);
			}
			free(target);
			free(entry);
		}
		closedir(d);
		if (!n)
			printf("no runs left anything behind\n");
		free(reg);
	}
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!cmd) {
		/* The main job: the default suite on every usable runtime. */
		char *args[] = {"run", NULL};

		return cmd_run(1, args);
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		char *probe = ib_cli_probe_path(NULL);

		printf("isobench %s\nprobe: %s\n", ISOBENCH_VERSION, probe);
		free(probe);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "doctor"))
		return cmd_doctor(argc - 1, argv + 1);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(cmd, "validate"))
		return ib_cmd_validate(argc - 1, argv + 1);
	if (!strcmp(cmd, "cleanup"))
		return cmd_cleanup(argc - 1, argv + 1);
	if (!strcmp(cmd, "peer"))
		return ib_peer_main(argc - 1, argv + 1);
	fprintf(stderr, "isobench: unknown command '%s' (try 'isobench "
		"--help')\n", cmd);
	return IB_EXIT_USAGE;
}
