/* cli: the command line. main.c dispatches to one handler per command
 * (ib_cmd_*, one file each); common.c has what they share. Only the CLI
 * layer (this folder, and validate/'s progress and table) prints. */
#ifndef ISOBENCH_CLI_H
#define ISOBENCH_CLI_H

#include "run/runner.h"

/* The probe: $ISOBENCH_PROBE, else next to the isobench binary, else in
 * the build tree beside it. Caller frees. */
char *ib_cli_probe_path(const char *given);

/* One line for a bad option, instead of getopt's two (call with
 * opterr = 0 and a leading ':' in the option string): "unknown option" or
 * "a value is needed after", naming the option. */
void ib_cli_bad_option(const char *cmd, int missing_value, char **argv,
		       int ind);

/* Parses option opt's value v into *out: a whole number within min..max,
 * or a number (seconds: "1.5", "2s", "100ms") of at least min; else
 * prints one line naming the option and returns -1. */
int ib_cli_parse_int(const char *opt, const char *v, int min, int max,
		     int *out);
int ib_cli_parse_dbl(const char *opt, const char *v, double min,
		     double *out);

/* The reporter of a run (run/runner.h) on the terminal: errors and
 * warnings always, notes and the last line unless quiet, a line per
 * finished cell when stderr is not a terminal (a log), the progress line
 * when it is, the summary table on stdout. */
struct ib_cli_reporter {
	struct ib_reporter r;
	int quiet, progress, summary, tty, shown;
};
void ib_cli_reporter_init(struct ib_cli_reporter *c, int quiet, int progress,
			  int summary);

/* The exit codes, as every --help ends. */
extern const char ib_cli_exit_codes[];

/* The commands: argv[0] is the command's name; each returns the exit
 * status (run/runner.h's IB_EXIT_*). */
int ib_cmd_run(int argc, char **argv);
int ib_cmd_list(int argc, char **argv);
int ib_cmd_doctor(int argc, char **argv);
int ib_cmd_report(int argc, char **argv);
int ib_cmd_compare(int argc, char **argv);
int ib_cmd_validate(int argc, char **argv);
int ib_cmd_cleanup(int argc, char **argv);

#endif
