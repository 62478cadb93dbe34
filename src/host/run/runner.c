/* runner: ib_run, a plan from start to end: the run directory and the
 * runtimes (setup.c), rounds over the cells, each cell's launches by its
 * workload's schedule (launch.c, density.c) until its stop rule holds
 * (policy.c), then the results; and the signal flag. */
#include "run/internal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "results/report.h"
#include "runtime/drivers/registry.h"

/* Everything before the first launch that can fail: the plan checked,
 * the runtimes named, the probe, the run directory with raw.jsonl,
 * state.jsonl and plan.ini, the run's marker, its work directory. Returns
 * 0 or the exit status, the message printed. */
static int run_open(struct run *R)
{
	struct ib_err err = {0};
	char *path;

	if (ib_plan_check(R->plan, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "%s", err.msg);
		return IB_EXIT_USAGE;
	}
	if (run_resolve_runtimes(R, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "%s", err.msg);
		return IB_EXIT_USAGE;
	}
	if (access(R->o->probe_path, X_OK) != 0) {
		run_say(R, IB_REPORT_ERROR,
			"probe %s: %s (build it, or give --probe)",
			R->o->probe_path, strerror(errno));
		return IB_EXIT_ENV;
	}
	/* Absolute: the probe runs with the scratch directory as its working
	 * directory, where a relative path means something else. */
	R->probe = realpath(R->o->probe_path, NULL);
	if (!R->probe)
		R->probe = ib_xstrdup(R->o->probe_path);
	if (run_make_dir(R, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "%s", err.msg);
		return IB_EXIT_ENV;
	}
	path = ib_xasprintf("%s/raw.jsonl", R->dir);
	if (ib_rawlog_create(&R->log, path, &err) < 0 ||
	    ib_state_open(&R->state, R->dir, R->run_id, &err) < 0) {
		free(path);
		run_say(R, IB_REPORT_ERROR, "%s", err.msg);
		return IB_EXIT_ENV;
	}
	free(path);
	R->state_open = 1;
	/* Everything the run starts carries its id in the environment: what
	 * escapes its process group (a daemon's helpers) is still found. */
	setenv("ISOBENCH_RUN", R->run_id, 1);
	if (ib_state_add_marker(&R->state, R->run_id, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "%s", err.msg);
		return IB_EXIT_ENV;
	}

	/* A directory of the run's own on the scratch filesystem: scratch/
	 * for the probe's files, bundles/ for the container runtimes. Made
	 * exclusively, in a directory others may write (/var/tmp is): one
	 * that exists already is someone else's, never used nor removed
	 * (R->work stays NULL). Recorded once made, not before: a crash in
	 * between leaves an empty directory, while a record made first
	 * would point cleanup at the other one's. */
	{
		const char *parent = R->o->scratch_parent ? R->o->scratch_parent
						       : "/var/tmp";
		char *work = ib_xasprintf("%s/isobench-%s", parent, R->run_id);

		if (ib_mkdirs(parent, 0700, &err) < 0 ||
		    ib_mkdir_private(work, 0700, 1, &err) < 0) {
			run_say(R, IB_REPORT_ERROR, "scratch directory: %s",
				err.msg);
			free(work);
			return IB_EXIT_ENV;
		}
		R->work = work;
		if (ib_state_add_dir(&R->state, "work", R->work, &err) < 0) {
			run_say(R, IB_REPORT_ERROR, "%s", err.msg);
			rmdir(R->work);
			free(R->work);
			R->work = NULL;
			return IB_EXIT_ENV;
		}
	}
	R->scratch = ib_xasprintf("%s/scratch", R->work);
	if (ib_mkdirs(R->scratch, 0700, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "scratch directory: %s", err.msg);
		return IB_EXIT_ENV;
	}
	R->ctx = (struct ib_run_ctx){
		.run_id = R->run_id, .run_dir = R->dir, .work = R->work,
		.scratch = R->scratch, .probe_path = R->probe, .state = &R->state,
		.limits = {R->plan->cpus, R->plan->memory},
		.release_failures = &R->release_failures};
	{
		/* the plan as run, beside its results: a run whose plan
		 * cannot be kept is not started */
		char *ini = ib_plan_to_ini(R->plan);
		int wrc;

		path = ib_xasprintf("%s/plan.ini", R->dir);
		wrc = ib_write_file_atomic(path, ini, strlen(ini), &err);
		free(path);
		free(ini);
		if (wrc < 0) {
			run_say(R, IB_REPORT_ERROR, "%s", err.msg);
			return IB_EXIT_ENV;
		}
	}
	return 0;
}

/* The run starts: its event logged (from here its directory is kept),
 * the runtimes prepared, the cells made. */
static int run_start(struct run *R)
{
	int rc = IB_EXIT_OK;

	R->t0 = ib_mono_ns();
	run_say(R, IB_REPORT_NOTE, "run %s -> %s", R->run_id, R->dir);
	/* before the fingerprint, which records the mode */
	if (run_thp_set(R) < 0)
		rc = IB_EXIT_ENV;
	run_log_start(R);
	R->started = 1;
	run_setup_runtimes(R);
	if (R->nrts == 0) {
		run_say(R, IB_REPORT_ERROR, "no usable runtime among those asked "
			"for; nothing measured");
		rc = IB_EXIT_ENV;
	}
	if (!ib_runtime_find(R->plan->baseline) ||
	    ib_strv_find(&R->columns, R->plan->baseline) < 0)
		run_say(R, IB_REPORT_WARNING, "baseline %s is not in this run: "
			"no ratios", R->plan->baseline);
	run_make_cells(R);
	R->nets = ib_xcalloc((size_t)(R->nrts ? R->nrts : 1), sizeof(*R->nets));
	if (rc == IB_EXIT_OK && run_neighbour_start(R) < 0)
		rc = IB_EXIT_ENV;
	return rc;
}

/* Rounds: every unfinished cell once per round, in plan order; each by
 * its workload's schedule, until its stop rule holds. */
static void run_rounds(struct run *R)
{
	for (int round = 0; !run_signal() && !R->io_failed; round++) {
		int active = 0;

		for (int i = 0; i < R->ncells && !run_signal() && !R->io_failed; i++) {
			struct cell_state *c = &R->cells[i];

			if (c->done)
				continue;
			active++;
			if (run_neighbour_for(R, c->job) < 0) {
				/* said; nothing more would be as asked */
				R->neighbour_failed = 1;
				return;
			}
			while (c->warmups < R->plan->warmup && !run_signal())
				run_launch(R, c, 1);
			if (run_signal())
				break;
			if (c->job->wl->schedule == IB_SCHED_DENSITY) {
				run_density_round(R, c);
			} else if (c->job->wl->schedule == IB_SCHED_BACK_TO_BACK) {
				/* A runtime's launches back to back, as
				 * hyperfine runs a command: interleaved, each
				 * would pay for the clean-up another runtime
				 * left running in the background. */
				while (!c->done && !run_signal() && !R->io_failed) {
					run_pause_before(c);
					run_launch(R, c, 0);
					run_check_cell(R, c);
				}
				continue;
			} else {
				run_launch(R, c, 0);
			}
			run_check_cell(R, c);
			run_neighbour_check(R);
		}
		if (!active)
			break;
	}
}

/* The end of the run: its last event, then the results files built from
 * raw.jsonl (as `isobench report` builds them) and the summary. Returns
 * the exit status, rc unless something went worse. */
static int run_finish(struct run *R, int rc)
{
	struct ib_err err = {0};
	struct ib_results final;
	int any_failed = 0;
	char *path, ended[32];
	cJSON *ev;

	run_progress_clear(R);
	run_neighbour_check(R);
	if (R->io_failed) {
		run_say(R, IB_REPORT_ERROR, "%s", R->io_err.msg);
		rc = IB_EXIT_ENV;
	}
	if (R->neighbour_failed)
		rc = IB_EXIT_ENV;
	ev = cJSON_CreateObject();
	ib_utc_iso8601(ended, sizeof(ended));
	cJSON_AddStringToObject(ev, "ev", "run_end");
	cJSON_AddStringToObject(ev, "status", run_signal() ? "interrupted" : "complete");
	cJSON_AddStringToObject(ev, "ended", ended);
	cJSON_AddNumberToObject(ev, "elapsed_s", round(run_since_start(R) * 1e3) / 1e3);
	run_log_event(R, ev);
	ib_rawlog_close(&R->log);

	/* The results files are built from raw.jsonl, exactly as `isobench
	 * report` builds them: what a run writes is what a rebuild writes. */
	path = ib_xasprintf("%s/raw.jsonl", R->dir);
	ib_results_init(&final);
	if (ib_results_load(&final, path, &err) < 0 ||
	    ib_report_write_all(&final, R->dir, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "%s", err.msg);
		rc = IB_EXIT_ENV;
	} else {
		for (int i = 0; i < final.ncells; i++)
			if (!strcmp(final.cells[i].status, "failed") ||
			    !strcmp(final.cells[i].status, "partial"))
				any_failed = 1;
		if (R->o->reporter && R->o->reporter->summary)
			R->o->reporter->summary(R->o->reporter->ctx, &final);
		run_say(R, IB_REPORT_DONE, "%s in %.0f s: %s/{raw.jsonl, "
			"results.json, results.csv, report.md, report.html}\n"
			"isobench: the report, with its charts and findings: "
			"%s/report.html",
			run_signal() ? "interrupted" : "done",
			run_since_start(R), R->dir, R->dir);
	}
	free(path);
	ib_results_free(&final);
	if (rc == IB_EXIT_OK && any_failed)
		rc = IB_EXIT_CELLS_FAILED;
	if (run_signal())
		rc = IB_EXIT_INTERRUPTED;
	return rc;
}

/* Releases everything the run holds: the links and runtimes first, while
 * the state file is open and the work directory exists (an engine
 * isobench started keeps its data there, and what they remove is struck
 * off the state), then the work directory, the state, a run directory
 * that measured nothing. */
static void run_release(struct run *R)
{
	run_neighbour_stop(R);
	run_thp_restore(R);
	for (int i = 0; R->nets && i < R->nrts; i++)
		ib_net_link_remove(&R->nets[i], &R->state);
	free(R->nets);
	for (int i = 0; i < R->nrts; i++)
		if (R->rts[i].ops->release) {
			R->rts[i].ops->release(&R->rts[i]);
			R->rts[i].priv = NULL;
		}
	if (R->release_failures)
		run_say(R, IB_REPORT_WARNING, "%d thing%s the runtimes changed on "
			"the host could not be undone (its record stays): "
			"`isobench cleanup %s` tries again", R->release_failures,
			R->release_failures == 1 ? "" : "s", R->dir);
	if (R->work) {
		ib_unmount_under(R->work);
		ib_rmtree(R->work);
		if (R->state_open)
			ib_state_del(&R->state, "work", NULL);
	}
	if (R->state_open) {
		ib_state_del(&R->state, "marker", NULL);
		ib_state_close(&R->state);
	}
	if (R->log.fd >= 0)
		ib_rawlog_close(&R->log);
	if (R->dir && !R->started) {
		/* Failed before measuring anything: leave no half-made run
		 * directory behind (and the same -o usable again). */
		static const char *const files[] = {"raw.jsonl", "state.jsonl",
						    "plan.ini"};

		for (size_t i = 0; i < IB_ARRAY_LEN(files); i++) {
			char *f = ib_xasprintf("%s/%s", R->dir, files[i]);

			unlink(f);
			free(f);
		}
		if (R->created_dir)
			rmdir(R->dir);
	}
	ib_results_free(&R->live);
	for (int i = 0; i < R->nrts; i++) {
		ib_runtime_spec_free(R->rts[i].opt);
		free(R->rts[i].label);
	}
	if (!R->rts_set_up) /* the columns still own their specs */
		for (int i = 0; R->rts && i < R->columns.n; i++) {
			ib_runtime_spec_free(R->rts[i].opt);
			free(R->rts[i].label);
		}
	free(R->rts);
	ib_strv_free(&R->columns);
	free(R->cells);
	free(R->dir);
	free(R->scratch);
	free(R->work);
	free(R->probe);
	for (size_t i = 0; i < IB_ARRAY_LEN(R->app_images); i++) {
		free(R->app_images[i].dir);
		free(R->app_images[i].what);
		free(R->app_images[i].why);
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(R->datasets); i++) {
		free(R->datasets[i].dir);
		free(R->datasets[i].why);
	}
}

int ib_run(struct ib_plan *plan, const struct ib_runner_opts *o)
{
	struct run R;
	int rc;

	memset(&R, 0, sizeof(R));
	R.plan = plan;
	R.o = o;
	R.log.fd = -1;
	ib_results_init(&R.live);
	ib_run_id_make(R.run_id, sizeof(R.run_id));
	rc = run_open(&R);
	if (rc == 0) {
		rc = run_start(&R);
		/* (a run that cannot be what was asked measures nothing) */
		if (rc == IB_EXIT_OK || R.nrts == 0)
			run_rounds(&R);
		rc = run_finish(&R, rc);
	}
	run_release(&R);
	return rc;
}
