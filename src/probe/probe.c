/* isobench-probe: every in-runtime measurement, one static binary.
 *
 *   isobench-probe [--scratch DIR] [--scratch-device] [--reps N] [--full]
 *                  WORKLOAD [key=value...]
 *
 * The same file runs as a host process, as a container's entrypoint and
 * as a VM's /init (vm_init.c: then it mounts, loads modules and powers the
 * VM off at the end). It writes framed records on stdout (emit.h,
 * docs/protocol.md): hello first, before any setup, then samples, info and
 * errors, then done. Exit status: 0 measured, 1 a workload failed, 2 bad
 * usage (an error record says what). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "probe.h"

/* The registered workload called name, or NULL. */
static const struct pb_workload *workload_find(const char *name)
{
	for (const struct pb_workload *const *w = __start_pb_workloads;
	     w < __stop_pb_workloads; w++)
		if (strcmp((*w)->name, name) == 0)
			return *w;
	return NULL;
}

/* --workloads: lists the registered workloads and checks them against the
 * catalogue both ways (each catalogued workload registered once, each
 * registered one catalogued): a workload file the build missed, or a
 * catalogue entry without its file, fails here, named. Exit 0 or 1. */
static int workloads_check(void)
{
	int bad = 0;

	for (const struct pb_workload *const *w = __start_pb_workloads;
	     w < __stop_pb_workloads; w++) {
		printf("%s\n", (*w)->name);
		if (!ib_workload_find((*w)->name)) {
			fprintf(stderr, "isobench-probe: workload '%s' is "
				"registered but not in the catalogue "
				"(common/params.c)\n", (*w)->name);
			bad = 1;
		}
		if (workload_find((*w)->name) != *w) {
			fprintf(stderr, "isobench-probe: workload '%s' is "
				"registered twice\n", (*w)->name);
			bad = 1;
		}
	}
	for (int i = 0; i < ib_nworkloads; i++)
		if (!workload_find(ib_workloads[i].probe_workload
					   ? ib_workloads[i].probe_workload
					   : ib_workloads[i].name)) {
			fprintf(stderr, "isobench-probe: catalogued workload "
				"'%s' has no PB_WORKLOAD in src/probe/"
				"workloads/\n", ib_workloads[i].name);
			bad = 1;
		}
	return bad;
}

static int param_index(const struct ib_workload_def *w, const char *name)
{
	for (int i = 0; i < w->nparams; i++)
		if (strcmp(w->params[i].name, name) == 0)
			return i;
	return -1;
}

static const char *arg_value(const struct probe_args *a, const char *name)
{
	int i = param_index(a->wl, name);

	/* A workload asking for a parameter it does not declare is a bug in
	 * the probe itself, found by the first test that runs it. */
	if (i < 0) {
		pb_emit_error(a->wl->name, "failed",
			      "probe bug: undeclared parameter '%s'", name);
		pb_emit_done(1);
		exit(1);
	}
	return a->value[i];
}

uint64_t pb_arg_count(const struct probe_args *a, const char *name)
{
	uint64_t v = 0;

	ib_parse_count(arg_value(a, name), &v);
	return v;
}

uint64_t pb_arg_size(const struct probe_args *a, const char *name)
{
	uint64_t v = 0;

	ib_parse_size(arg_value(a, name), &v);
	return v;
}

double pb_arg_seconds(const struct probe_args *a, const char *name)
{
	double v = 0;

	ib_parse_seconds(arg_value(a, name), &v);
	return v;
}

const char *pb_arg_str(const struct probe_args *a, const char *name)
{
	return arg_value(a, name);
}

int pb_arg_list_next(const char **cursor, char *word, size_t cap)
{
	const char *c = *cursor;
	size_t n;

	if (!*c)
		return 0;
	n = strcspn(c, ",");
	if (n >= cap)
		n = cap - 1;
	memcpy(word, c, n);
	word[n] = '\0';
	c += strcspn(c, ",");
	if (*c == ',')
		c++;
	*cursor = c;
	return 1;
}

int pb_arg_list_has(const struct probe_args *a, const char *name,
		    const char *word)
{
	const char *cur = arg_value(a, name);
	char w[128];

	while (pb_arg_list_next(&cur, w, sizeof(w)))
		if (strcmp(w, word) == 0)
			return 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: isobench-probe [--scratch DIR] [--reps N] [--full] "
		"WORKLOAD [key=value...]\n"
		"\n"
		"Runs one measurement and writes framed records (see "
		"docs/protocol.md)\non standard output. Normally started by "
		"isobench; runnable by hand.\n"
		"\n"
		"  --scratch DIR  directory for test files (default: current "
		"directory)\n"
		"  --scratch-device  --scratch names a block device that the "
		"disk test may\n                 overwrite (implied only as a "
		"VM's /init)\n"
		"  --reps N       run the workload N times (samples carry rep)\n"
		"  --peer A:P     net: isobench's peer, IPv4 address and port\n"
		"  --serve-argv FILE  serve: the server's command line, one "
		"argument a line\n"
		"  --serve-seed SRC:DST  serve: copy the tree SRC to DST (made "
		"new, or an\n                 empty mount point) before the "
		"server starts (a database's data set)\n"
		"  --serve-tmpfs DIR  serve: first mount a tmpfs on DIR, in a "
		"mount namespace\n                 of the probe's own\n"
		"  --serve-mount DEV:DIR  serve: first mount the ext4 "
		"filesystem on DEV on\n                 DIR (a VM's data "
		"disk)\n"
		"  --net-if CIDR  as a VM's init: the address of the first "
		"network\n                 interface (198.18.1.2/24)\n"
		"  --full         defaults of the full suite instead of the "
		"quick one\n"
		"  --version      print the probe version\n"
		"  --workloads    list the workloads built in, checked against "
		"the catalogue\n"
		"\nworkloads and parameters (quick default / full default):\n");
	for (int i = 0; i < ib_nworkloads; i++) {
		const struct ib_workload_def *w = &ib_workloads[i];

		fprintf(f, "\n  %-8s %s\n           method of: %s\n", w->name,
			w->summary, w->validated_by);
		for (int j = 0; j < w->nparams; j++) {
			const struct ib_param_def *p = &w->params[j];

			fprintf(f, "    %s=%s", p->name, p->quick);
			if (strcmp(p->quick, p->full) != 0)
				fprintf(f, " / %s", p->full);
			fprintf(f, "\n        %s\n", p->help);
		}
	}
}

/* The workload's parameters: each default (of the quick or full suite),
 * then each key=value argument, checked against the catalogue. Returns 0,
 * or -1 with the error record emitted. */
static int set_params(struct probe_args *args, const char *workload,
		      int argc, char **argv, int full)
{
	for (int i = 0; i < args->wl->nparams; i++)
		args->value[i] = ib_param_default(&args->wl->params[i], full);
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '='), why[256];
		int idx;

		if (!eq) {
			pb_emit_error(workload, "invalid",
				      "argument '%s' is not key=value", argv[i]);
			return -1;
		}
		*eq = '\0';
		idx = param_index(args->wl, argv[i]);
		if (idx < 0) {
			pb_emit_error(workload, "invalid",
				      "unknown parameter '%s' for workload '%s'",
				      argv[i], workload);
			return -1;
		}
		if (ib_param_check(&args->wl->params[idx], eq + 1, why,
				   sizeof(why)) < 0) {
			pb_emit_error(workload, "invalid", "%s: %s", argv[i], why);
			return -1;
		}
		args->value[idx] = eq + 1;
	}
	return 0;
}

/* The disk test overwrites a block device given as scratch: only the
 * VM's own scratch disk (the probe as its /init) or a device someone named
 * as such on purpose (--scratch-device), never one typed by mistake. 1
 * (after saying so) if scratch is a block device. */
static int scratch_refused(const char *scratch, const char *workload)
{
	struct stat st;

	if (stat(scratch, &st) != 0 || !S_ISBLK(st.st_mode))
		return 0;
	fprintf(stderr, "isobench-probe: --scratch %s is a block device: "
		"refusing to write to it (its contents would be lost); give a "
		"directory, or add --scratch-device if %s is a disk to "
		"overwrite\n", scratch, scratch);
	pb_emit_error(workload, "invalid", "--scratch %s is a block device: "
		      "refused without --scratch-device (outside a VM)",
		      scratch);
	return 1;
}

static int probe_main(int argc, char **argv, double uptime, int in_vm)
{
	struct ib_timer_info timer;
	struct probe_args args;
	int reps = 1, full = 0, status = 0, opt, scratch_device = in_vm;
	const char *net_if = NULL;
	const char *workload;
	const struct pb_workload *run = NULL;
	static const struct option longopts[] = {
		{"scratch", required_argument, NULL, 's'},
		{"scratch-device", no_argument, NULL, 'D'},
		{"reps", required_argument, NULL, 'r'},
		{"peer", required_argument, NULL, 'p'},
		{"serve-argv", required_argument, NULL, 'a'},
		{"serve-seed", required_argument, NULL, 'S'},
		{"serve-tmpfs", required_argument, NULL, 'T'},
		{"serve-mount", required_argument, NULL, 'M'},
		{"net-if", required_argument, NULL, 'n'},
		{"full", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"workloads", no_argument, NULL, 'W'},
		{NULL, 0, NULL, 0},
	};

	memset(&args, 0, sizeof(args));
	args.scratch = ".";
	pb_emit_init(1);
	while ((opt = getopt_long(argc, argv, "+s:r:p:a:n:fhV", longopts, NULL)) != -1) {
		uint64_t n;

		switch (opt) {
		case 's':
			args.scratch = optarg;
			break;
		case 'D':
			scratch_device = 1;
			break;
		case 'r':
			if (ib_parse_count(optarg, &n) < 0 || n < 1 || n > 100000) {
				fprintf(stderr,
					"isobench-probe: --reps: '%s' is not a "
					"number from 1 to 100000\n",
					optarg);
				return 2;
			}
			reps = (int)n;
			break;
		case 'p':
			args.peer = optarg;
			break;
		case 'a':
			args.serve_argv = optarg;
			break;
		case 'S':
			args.serve_seed = optarg;
			break;
		case 'T':
			args.serve_tmpfs = optarg;
			break;
		case 'M':
			args.serve_mount = optarg;
			break;
		case 'n':
			net_if = optarg;
			break;
		case 'f':
			full = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("isobench-probe %s (protocol %d)\n",
			       IB_PROBE_VERSION, IB_PROTOCOL_VERSION);
			return 0;
		case 'W':
			return workloads_check();
		default:
			usage(stderr);
			return 2;
		}
	}
	workload = optind < argc ? argv[optind] : NULL;

	pb_harness_timer_measure(&timer);
	pb_emit_hello(&timer, uptime, workload, argc, argv);
	if (in_vm && (pb_vm_setup(args.scratch) < 0 ||
			 (net_if && pb_vm_net_setup(net_if) < 0))) {
		pb_emit_done(1);
		return 1;
	}

	if (!scratch_device && scratch_refused(args.scratch, workload)) {
		pb_emit_done(2);
		return 2;
	}
	if (!workload) {
		pb_emit_error(NULL, "invalid", "no workload given (try --help)");
		pb_emit_done(2);
		return 2;
	}
	args.wl = ib_workload_find(workload);
	run = args.wl ? workload_find(workload) : NULL;
	if (!args.wl || !run) {
		pb_emit_error(workload, "invalid", "unknown workload '%s'", workload);
		pb_emit_done(2);
		return 2;
	}
	if (set_params(&args, workload, argc - optind - 1, argv + optind + 1,
		       full) < 0) {
		pb_emit_done(2);
		return 2;
	}
	for (int r = 0; r < reps && status == 0; r++) {
		pb_emit_set_rep(r);
		status = run->run(&args);
	}
	pb_emit_done(status);
	return status;
}

int main(int argc, char **argv)
{
	/* Uptime first: in a VM it is the guest's time to userspace. */
	double uptime = pb_harness_uptime_s();
	int in_vm = pb_vm_is_init(argc > 0 ? argv[0] : NULL), status;

	if (in_vm)
		pb_vm_console_prepare();
	status = probe_main(argc, argv, uptime, in_vm);
	if (in_vm)
		pb_vm_poweroff(); /* pid 1 must not return */
	return status;
}
