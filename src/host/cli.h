/* cli: what the subcommands share: locating the probe and finding
 * programs on PATH. Only the CLI layer (main.c, validate.c) prints. */
#ifndef ISOBENCH_CLI_H
#define ISOBENCH_CLI_H

/* The probe: $ISOBENCH_PROBE, else next to the isobench binary, else in
 * the build tree beside it. Caller frees. */
char *ib_cli_probe_path(const char *given);

/* One line for a bad option, instead of getopt's two (call with
 * opterr = 0 and a leading ':' in the option string): "unknown option" or
 * "a value is needed after", naming the option. */
void ib_cli_bad_option(const char *cmd, int missing_value, char **argv,
		       int ind);

int ib_cmd_validate(int argc, char **argv);

#endif
