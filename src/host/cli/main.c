/* isobench: what each isolation technology costs, measured side by side.
 *
 * The command line: subcommands in the usual style, each with --help.
 * main() only dispatches: one file per command in this folder, shared
 * helpers in common.c. Only this layer (and validate/) prints; everything below returns errors
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

#include "cli/cli.h"
#include "net/peer.h"
#include "run/runner.h"
#include "version.h"

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
		"  report DIR        rebuild DIR's results.json, results.csv, "
		"report.md and\n                    report.html"
		" from DIR/raw.jsonl, and print the summary\n"
		"  compare BASE NEW...\n"
		"                    each NEW run's metrics against BASE's: "
		"ratio, interval,\n"
		"                    permutation test, verdict; exit 1 if "
		"any got worse\n"
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
		ib_cli_exit_codes);
}

/* One entry per command, in the manner of crun's commands[]: the name
 * and its handler, which gets argv from the command's name on. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"run", ib_cmd_run},
	{"list", ib_cmd_list},
	{"doctor", ib_cmd_doctor},
	{"report", ib_cmd_report},
	{"compare", ib_cmd_compare},
	{"validate", ib_cmd_validate},
	{"cleanup", ib_cmd_cleanup},
	{"peer", ib_peer_main},
};

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!cmd) {
		/* The main job: the default suite on every usable runtime. */
		char *args[] = {"run", NULL};

		return ib_cmd_run(1, args);
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
	for (size_t i = 0; i < IB_ARRAY_LEN(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "isobench: unknown command '%s' (try 'isobench "
		"--help')\n", cmd);
	return IB_EXIT_USAGE;
}
