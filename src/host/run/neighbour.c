/* run/neighbour: the run's noisy neighbour (--neighbour): the probe's
 * neighbour workload, started natively on one host CPU before the first
 * cell and ended after the last, so that every figure of the run is
 * measured beside it. It is isobench's child (it dies with isobench) and
 * recorded in the state file (cleanup ends it after a kill -9); the run
 * logs what it was, where and when, and says so if it ended early. */
#include "run/internal.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The CPU it runs on: the plan's, if isobench may run there, else the
 * first isobench may use. -1 with err if the plan's is not one. */
static int neighbour_cpu(const struct run *R, struct ib_err *err)
{
	cpu_set_t own;

	if (sched_getaffinity(0, sizeof(own), &own) != 0)
		return ib_err_set(err, -errno, "sched_getaffinity: %s",
				  strerror(errno));
	if (R->plan->neighbour_cpu >= 0) {
		if (R->plan->neighbour_cpu < CPU_SETSIZE &&
		    CPU_ISSET(R->plan->neighbour_cpu, &own))
			return R->plan->neighbour_cpu;
		return ib_err_set(err, -EINVAL, "the neighbour's CPU %d is not "
				  "one isobench may run on here",
				  R->plan->neighbour_cpu);
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &own))
			return c;
	return ib_err_set(err, -EINVAL, "no CPU to run the neighbour on");
}

/* Starts a neighbour of kind for the run (job NULL) or for job's cells. */
static int neighbour_start(struct run *R, const char *kind, const char *job)
{
	struct ib_spawn_opts so = {.flags = IB_PROC_DIE_WITH_PARENT};
	struct ib_err err = {0};
	struct ib_strv argv = {0};
	cJSON *ev;
	int cpu, rc;

	if (!strcmp(kind, "none"))
		return 0;
	cpu = neighbour_cpu(R, &err);
	if (cpu < 0) {
		run_say(R, IB_REPORT_ERROR, "--neighbour: %s", err.msg);
		return -1;
	}
	ib_strv_push(&argv, R->probe);
	ib_strv_push(&argv, "neighbour");
	ib_strv_push_owned(&argv, ib_xasprintf("kind=%s", kind));
	ib_strv_push_owned(&argv, ib_xasprintf("cpu=%d", cpu));
	/* its records (what it is, where) into the work directory: the
	 * run's own, removed with it */
	so.output_file = ib_xasprintf("%s/neighbour.log", R->work);
	rc = ib_proc_start(&R->neighbour, argv.v, &so, &err);
	ib_strv_free(&argv);
	free((char *)so.output_file);
	if (rc == 0)
		rc = ib_state_add_process(&R->state, "neighbour",
					  R->neighbour.pid,
					  R->neighbour.starttime, &err);
	if (rc < 0) {
		run_say(R, IB_REPORT_ERROR, "the neighbour: %s", err.msg);
		return -1;
	}
	R->neighbour_cpu = cpu;
	R->neighbour_kind = kind;
	R->neighbour_job = job;
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "ev", "neighbour");
	cJSON_AddStringToObject(ev, "kind", kind);
	if (job)
		cJSON_AddStringToObject(ev, "job", job);
	cJSON_AddNumberToObject(ev, "cpu", cpu);
	cJSON_AddNumberToObject(ev, "pid", R->neighbour.pid);
	cJSON_AddNumberToObject(ev, "t_s", run_since_start(R));
	run_log_event(R, ev);
	if (job)
		run_say(R, IB_REPORT_NOTE, "a noisy neighbour (%s) runs on CPU "
			"%d (pid %d) while job %s's cells run", kind, cpu,
			(int)R->neighbour.pid, job);
	else
		run_say(R, IB_REPORT_NOTE, "a noisy neighbour (%s) runs on CPU "
			"%d (pid %d) for the whole run", kind, cpu,
			(int)R->neighbour.pid);
	return 0;
}

int run_neighbour_start(struct run *R)
{
	struct ib_err err = {0};

	R->neighbour_kind = "none";
	/* a job's neighbour's CPU is checked before anything is measured */
	for (int j = 0; j < R->plan->njobs; j++)
		if (R->plan->jobs[j].neighbour &&
		    strcmp(R->plan->jobs[j].neighbour, "none") &&
		    neighbour_cpu(R, &err) < 0) {
			run_say(R, IB_REPORT_ERROR, "job %s's neighbour: %s",
				R->plan->jobs[j].name, err.msg);
			return -1;
		}
	return neighbour_start(R, R->plan->neighbour, NULL);
}

int run_neighbour_for(struct run *R, const struct ib_job *job)
{
	const char *want = job->neighbour ? job->neighbour : R->plan->neighbour;
	cJSON *ev;

	if (!strcmp(want, R->neighbour_kind))
		return 0;
	if (R->neighbour.pid > 0) {
		ev = cJSON_CreateObject();
		cJSON_AddStringToObject(ev, "ev", "neighbour_stop");
		cJSON_AddStringToObject(ev, "kind", R->neighbour_kind);
		cJSON_AddNumberToObject(ev, "t_s", run_since_start(R));
		{
			char *why = ib_xasprintf("job %s runs beside %s", job->name,
						 want);

			cJSON_AddStringToObject(ev, "why", why);
			free(why);
		}
		run_log_event(R, ev);
	}
	run_neighbour_stop(R);
	R->neighbour_kind = "none";
	R->neighbour_ended = 0;
	return neighbour_start(R, want, job->neighbour ? job->name : NULL);
}

void run_neighbour_check(struct run *R)
{
	cJSON *ev;

	if (R->neighbour.pid <= 0 || R->neighbour_ended ||
	    !ib_pid_ended(R->neighbour.pid))
		return;
	R->neighbour_ended = 1;
	ev = cJSON_CreateObject();
	cJSON_AddStringToObject(ev, "ev", "neighbour_end");
	if (R->neighbour_job)
		cJSON_AddStringToObject(ev, "job", R->neighbour_job);
	cJSON_AddNumberToObject(ev, "t_s", run_since_start(R));
	cJSON_AddStringToObject(ev, "why", R->neighbour_job
				? "it ended before the job's cells did"
				: "it ended before the run did");
	run_log_event(R, ev);
	run_say(R, IB_REPORT_WARNING, "the neighbour (pid %d) ended at %.0f s, "
		"before %s: what was measured after ran without it",
		(int)R->neighbour.pid, run_since_start(R),
		R->neighbour_job ? "its job's cells" : "the run");
}

void run_neighbour_stop(struct run *R)
{
	if (R->neighbour.pid <= 0)
		return;
	/* our child, by its pid (and its process group) */
	ib_proc_kill(&R->neighbour);
	ib_proc_close(&R->neighbour);
	if (R->state_open)
		ib_state_del(&R->state, "neighbour", NULL);
	R->neighbour.pid = 0;
	R->neighbour_kind = "none";
	R->neighbour_job = NULL;
}
