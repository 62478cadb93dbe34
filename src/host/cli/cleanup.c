/* isobench cleanup [DIR...]: removes what killed runs left behind, from
 * their journals (cleanup/cleanup.h), the registry's runs by default. */
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
#include "cleanup/cleanup.h"

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

/* The registry's entry that names dir (its content is the run's
 * directory, absolute), or NULL: found by what it names, not by a run id
 * read from dir. Caller frees. */
static char *registry_entry_of(const char *dir)
{
	char *reg = ib_registry_dir(), *abs = realpath(dir, NULL), *found = NULL;
	DIR *d = reg && abs ? opendir(reg) : NULL;
	struct dirent *e;

	while (d && !found && (e = readdir(d))) {
		char *entry, *target;

		if (e->d_name[0] == '.')
			continue;
		entry = ib_xasprintf("%s/%s", reg, e->d_name);
		target = ib_read_file(entry, NULL, NULL);
		if (target && !strcmp(target, abs))
			found = entry;
		else
			free(entry);
		free(target);
	}
	if (d)
		closedir(d);
	free(reg);
	free(abs);
	return found;
}

int ib_cmd_cleanup(int argc, char **argv)
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
			char *entry;

			if (stat(state, &st) != 0) {
				fprintf(stderr, "isobench cleanup: %s is not a "
					"results directory (no state.jsonl)\n",
					argv[i]);
				free(state);
				return IB_EXIT_USAGE;
			}
			free(state);
			/* its registry entry goes too, once nothing is left */
			entry = registry_entry_of(argv[i]);
			failed += cleanup_dir(argv[i], entry, dry_run);
			free(entry);
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
