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
#include "results/report.h"
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

/* --- the reporter of `isobench run` ------------------------------------ */

static void fmt_dur(char *buf, size_t cap, double s)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600,
			 ((int)s / 60) % 60, (int)s % 60);
	else
		snprintf(buf, cap, "%d:%02d", (int)s / 60, (int)s % 60);
}

static void clear_line(struct ib_cli_reporter *c)
{
	if (c->shown) {
		fprintf(stderr, "\r\033[K");
		c->shown = 0;
	}
}

static void cli_message(void *ctx, enum ib_report_kind kind, const char *text)
{
	struct ib_cli_reporter *c = ctx;

	switch (kind) {
	case IB_REPORT_ERROR:
	case IB_REPORT_WARNING:
		break;
	case IB_REPORT_CELL: /* a terminal has the progress line instead */
		if (c->quiet || c->tty)
			return;
		break;
	case IB_REPORT_NOTE:
	case IB_REPORT_DONE:
		if (c->quiet)
			return;
		break;
	}
	clear_line(c);
	fprintf(stderr, "%sisobench: %s\n", kind == IB_REPORT_DONE ? "\n" : "",
		text);
}

static void cli_progress(void *ctx, const struct ib_progress *p)
{
	struct ib_cli_reporter *c = ctx;
	char el[32], a[32], b[32];

	if (!p) {
		clear_line(c);
		return;
	}
	if (!c->tty || c->quiet || !c->progress)
		return;
	fmt_dur(el, sizeof(el), p->elapsed_s);
	fmt_dur(a, sizeof(a), p->eta_lo_s);
	fmt_dur(b, sizeof(b), p->eta_hi_s);
	fprintf(stderr, "\r\033[K[%s, ETA %s%s%s] %d/%d cells done | %s %s %s %d",
		el, a, strcmp(a, b) ? "-" : "", strcmp(a, b) ? b : "",
		p->cells_done, p->ncells, p->runtime, p->job,
		p->warmup ? "warm-up" : "launch", p->launch);
	fflush(stderr);
	c->shown = 1;
}

static void cli_summary(void *ctx, const struct ib_results *r)
{
	struct ib_cli_reporter *c = ctx;

	if (c->summary && !c->quiet)
		ib_report_terminal(r, stdout);
}

void ib_cli_reporter_init(struct ib_cli_reporter *c, int quiet, int progress,
			  int summary)
{
	memset(c, 0, sizeof(*c));
	c->quiet = quiet;
	c->progress = progress;
	c->summary = summary;
	c->tty = isatty(2);
	c->r = (struct ib_reporter){.ctx = c, .message = cli_message,
				    .progress = cli_progress,
				    .summary = cli_summary};
}
