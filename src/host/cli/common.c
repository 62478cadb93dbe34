/* cli/common: what the commands share: the exit codes text, locating the
 * probe, one-line errors for bad options and bad option values. */
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
#include "run/runner.h"

const char ib_cli_exit_codes[] =
	"exit status:\n"
	"  0    everything asked for was measured\n"
	"  1    finished, but some cells failed (see the report)\n"
	"  2    bad command line or plan file (the message names it)\n"
	"  3    cannot work here: output directory, probe, no usable "
	"runtime, I/O\n"
	"  130  interrupted by SIGINT/SIGTERM (results so far are written)\n";

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

int ib_cli_parse_int(const char *opt, const char *v, int min, int max,
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

int ib_cli_parse_dbl(const char *opt, const char *v, double min,
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
