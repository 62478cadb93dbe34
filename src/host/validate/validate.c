/* isobench validate: each probe workload beside the classic tool whose
 * method it follows, natively, in one run, interleaved.
 *
 * Every round runs each check's probe measurement and its classic tool,
 * alternating which goes first, so drift and warm-up hit both alike. The
 * figure of each side is its median over the rounds; the ratio of the two
 * is what validation means, held against the target of the check. Every
 * tool output is kept in the output directory, beside validation.json and
 * validation.md, so each figure can be traced to the text it came from. */
#include "validate/validate.h"

#include "validate/internal.h"

/* The rounds: every selected check once a round, its probe side and its
 * tool side alternating which goes first (pairs, then rounds: A B, B A,
 * A B, ...); a check whose tool is missing or whose side failed is
 * recorded as such and skipped from then on. */
static void run_rounds(struct vctx *v, int rounds, const struct ib_strv *only)
{
	for (v->round = 1; v->round <= rounds && !ib_runner_interrupted(); v->round++) {
		for (size_t i = 0; i < vd_nchecks && !ib_runner_interrupted();
		     i++) {
			struct check *c = &vd_checks[i];
			char *tool;

			if (only->n && ib_strv_find(only, c->id) < 0)
				continue;
			c->selected = 1;
			if (c->max_rounds && v->round > c->max_rounds)
				continue;
			tool = ib_which(c->prog);
			if (!tool) {
				snprintf(c->failure, sizeof(c->failure),
					 "%s not installed: apt-get install -y %s",
					 c->prog, c->pkg);
				continue;
			}
			free(tool);
			if (c->failure[0])
				continue;
			fprintf(stderr, "  round %d/%d: %s\n", v->round, rounds, c->id);
			v->cur = c;
			/* pairs alternate which side goes first, and so do
			 * rounds: A B, B A, A B, ... */
			for (int pair = 0; pair < c->pairs && !c->failure[0]; pair++)
				for (int side = 0; side < 2; side++) {
					int probe_turn = (side == 0) ==
							 ((v->round + pair) % 2 == 1);
					double x;
					struct ib_err e = {0};

					if (c->np >= MAX_ROUNDS * 3 ||
					    (probe_turn ? c->probe(v, &x, &e)
							: c->tool_fn(v, &x, &e))) {
						snprintf(c->failure,
							 sizeof(c->failure), "%s",
							 e.msg[0] ? e.msg
								  : "too many samples");
						break;
					}
					if (probe_turn)
						c->pv[c->np++] = x;
					else
						c->tv[c->nt++] = x;
				}
		}
	}
}

int ib_validate_known_check(const char *id)
{
	for (size_t k = 0; k < vd_nchecks; k++)
		if (!strcmp(vd_checks[k].id, id))
			return 1;
	return 0;
}

int ib_validate_run(const struct ib_validate_opts *o)
{
	struct vctx v = {.secs = o->secs, .disk_size = o->disk_size,
			 .launches = 10};
	const struct ib_strv only = o->only;
	const char *out = o->out, *scratch_parent = o->scratch_parent;
	char *scratch_abs = NULL;
	int rounds = o->rounds, rc = 0, misses, new_outdir;
	char stamp[32], *path;
	struct ib_err err = {0};
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	v.probe = ib_xstrdup(o->probe);
	/* absolute from here on: the tools and the runs validate starts
	 * work in the scratch directory */
	path = out ? ib_xstrdup(out)
		   : ib_xasprintf("isobench-results/validate-%s", stamp);
	v.outdir = ib_abspath(path);
	new_outdir = !out;
	free(path);
	scratch_abs = ib_abspath(scratch_parent);
	if (!v.outdir || !scratch_abs) {
		fprintf(stderr, "isobench validate: the current directory: "
			"%s\n", strerror(errno));
		free(scratch_abs);
		free(v.probe);
		free(v.outdir);
		return IB_EXIT_ENV;
	}
	scratch_parent = scratch_abs;
	v.scratch = ib_xasprintf("%s/isobench-validate-%s-%d", scratch_parent,
				 stamp, (int)getpid());
	path = ib_xasprintf("%s/raw", v.outdir);
	if (access(v.probe, X_OK) != 0) {
		fprintf(stderr, "isobench validate: probe %s: %s\n", v.probe,
			strerror(errno));
		rc = IB_EXIT_ENV;
	} else if ((new_outdir && /* the default one: new, made here, checked
				   (a given -o may hold earlier ones) */
		    (ib_mkdirs("isobench-results", 0755, &err) < 0 ||
		     ib_mkdir_private(v.outdir, 0755, 1, &err) < 0)) ||
		   ib_mkdirs(path, 0755, &err) < 0 ||
		   ib_mkdirs(scratch_parent, 0700, &err) < 0) {
		fprintf(stderr, "isobench validate: %s\n", err.msg);
		rc = IB_EXIT_ENV;
	} else if (ib_mkdir_private(v.scratch, 0700, 1, &err) < 0) {
		/* exclusively: one that exists is someone else's, never used
		 * nor removed */
		fprintf(stderr, "isobench validate: work directory: %s\n",
			err.msg);
		free(v.scratch);
		v.scratch = NULL;
		rc = IB_EXIT_ENV;
	}
	free(path);
	if (rc)
		goto out;
	v.disk_file = ib_xasprintf("%s/isobench-disk.dat", v.scratch);
	ib_runner_install_signals();
	fprintf(stderr, "isobench validate: %d rounds of %zu checks, %g s per "
		"side; raw outputs in %s/raw\n", rounds, vd_nchecks,
		v.secs, v.outdir);
	run_rounds(&v, rounds, &only);
	misses = vd_print_table(stdout, 0, rounds, &v);
	path = ib_xasprintf("%s/validation.md", v.outdir);
	{
		FILE *f = fopen(path, "w");

		if (f) {
			fprintf(f, "# isobench validation\n\n");
			vd_print_table(f, 1, rounds, &v);
			fclose(f);
		}
	}
	free(path);
	vd_write_json(&v, rounds);
	printf("\n%s; details in %s/validation.md\n",
	       misses ? "Some checks missed their target or did not run"
		      : "Every check is within its target",
	       v.outdir);
	rc = ib_runner_interrupted() ? IB_EXIT_INTERRUPTED : misses ? 1 : 0;
out:
	vd_net_release(&v);
	if (v.scratch)
		ib_rmtree(v.scratch);
	free(v.bundle);
	for (size_t i = 0; i < vd_nchecks; i++) {
		free(vd_checks[i].lp);
		free(vd_checks[i].lt);
	}
	free(v.probe);
	free(v.outdir);
	free(v.scratch);
	free(scratch_abs);
	free(v.disk_file);
	return rc;
}
