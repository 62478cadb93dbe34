/* isobench report DIR: rebuilds a run directory's results.json,
 * results.csv and report.md from its raw.jsonl, and prints the table. */
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
#include "results/report.h"
#include "run/runner.h"

int ib_cmd_report(int argc, char **argv)
{
	struct ib_results r;
	struct ib_err err = {0};
	int quiet = 0, rc = 0;
	const char *dir = NULL;
	char *raw;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: isobench report [-q] DIR\n\nRebuilds "
			       "DIR/results.json, results.csv, report.md and "
			       "report.html\nfrom DIR/raw.jsonl alone (the same code a run "
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
	} else if (ib_report_write_all(&r, dir, &err) < 0) {
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
