/* isobench list: the runtimes (each with whether it can run here, and
 * why not) and the benchmarks with their parameters. */
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
#include "runtime/drivers/registry.h"

static void list_option_availability(const struct ib_runtime_ops *ops)
{
	if (!ops->available_spec)
		return;
	for (int k = 0; k < ops->noptions; k++) {
		struct ib_strv choices = {0};

		if (!ops->options[k].choices)
			continue; /* a free value: nothing to try */
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
			       ops->options[k].name,
			       ops->options[k].choices ? ops->options[k].choices
						       : ops->options[k].value_form,
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
	int n = 0;

	for (int i = 0; i < ib_nworkloads; i++)
		n += !(ib_workloads[i].traits & IB_WL_PROBE_ONLY);
	printf("benchmarks (%d); parameters as name=quick default [/ full "
	       "default]:\n", n);
	for (int i = 0; i < ib_nworkloads; i++) {
		const struct ib_workload_def *w = &ib_workloads[i];

		if (w->traits & IB_WL_PROBE_ONLY)
			continue;

		printf("\n  %-8s %s\n  %-8s method of: %s\n", w->name, w->summary,
		       "", w->validated_by);
		if (w->traits & IB_WL_OPT_IN)
			printf("  %-8s not in the default suite yet (-b %s)\n",
			       "", w->name);
		for (int j = 0; j < w->nparams; j++) {
			const struct ib_param_def *p = &w->params[j];

			printf("    %s=%s", p->name, p->quick);
			if (strcmp(p->quick, p->full))
				printf(" / %s", p->full);
			printf("\n        %s\n", p->help);
		}
	}
}

int ib_cmd_list(int argc, char **argv)
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
