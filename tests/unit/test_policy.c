/* test_policy: the runner's stop policy (src/host/run/policy.c,
 * run_stop_rule): when a cell stops, by its workload's stop rule and the
 * plan's bounds, or by failure; and never before min_reps, whatever its
 * RSD. Cells are built from real plans (the catalogue's workloads). */
#include "unit.h"

#include "plan/plan.h"
#include "run/internal.h"

struct fixture {
	struct ib_plan plan;
	struct ib_job *cpu, *startup, *footprint, *membw;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ib_err err = {0};

	ib_plan_init(&f->plan, 0);
	f->plan.min_reps = 3;
	f->plan.max_reps = 10;
	f->plan.rsd_target = 3;
	f->plan.max_time = 6;
	/* (adding a job may move the others: pointers taken after) */
	if (!ib_plan_add_job(&f->plan, NULL, "cpu", &err) ||
	    !ib_plan_add_job(&f->plan, NULL, "startup", &err) ||
	    !ib_plan_add_job(&f->plan, NULL, "footprint", &err) ||
	    !ib_plan_add_job(&f->plan, NULL, "membw", &err))
		return -1;
	f->cpu = &f->plan.jobs[0];
	f->startup = &f->plan.jobs[1];
	f->footprint = &f->plan.jobs[2];
	f->membw = &f->plan.jobs[3];
	if (ib_job_set(f->startup, "launches", "5", &err) < 0 ||
	    ib_job_set(f->footprint, "rounds", "2", &err) < 0 ||
	    ib_job_set(f->membw, "reps_per_launch", "3", &err) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ib_plan_free(&f->plan);
	free(f);
	return 0;
}

static const char *stop(const struct fixture *f, const struct ib_job *job,
			int launches, int ok, int failed, int rounds,
			double seconds, double rsd)
{
	struct cell_state c = {.job = job, .launches = launches, .ok = ok,
			       .failed = failed, .rounds = rounds,
			       .seconds = seconds};

	return run_stop_rule(&f->plan, &c, rsd);
}

#define assert_stop(got, want)                                               \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (!(g_ == w_ || (g_ && w_ && !strcmp(g_, w_))))            \
			fail_msg("stopped by %s, expected %s", g_ ? g_ : "-", \
				 w_ ? w_ : "-");                             \
	} while (0)

static void test_rsd_rule(void **state)
{
	const struct fixture *f = *state;

	/* below min_reps: on, even with a perfect RSD */
	assert_stop(stop(f, f->cpu, 2, 2, 0, 0, 1, 0.1), NULL);
	/* at min_reps: the RSD target decides */
	assert_stop(stop(f, f->cpu, 3, 3, 0, 0, 1, 2.9), "rsd_target");
	assert_stop(stop(f, f->cpu, 3, 3, 0, 0, 1, 3.0), "rsd_target");
	assert_stop(stop(f, f->cpu, 3, 3, 0, 0, 1, 3.1), NULL);
	/* no RSD yet (NAN) never meets the target */
	assert_stop(stop(f, f->cpu, 3, 3, 0, 0, 1, NAN), NULL);
	/* the time bound, once min_reps is met */
	assert_stop(stop(f, f->cpu, 3, 3, 0, 0, 6, 50), "max_time");
	assert_stop(stop(f, f->cpu, 2, 2, 0, 0, 60, 50), NULL);
	/* max_reps first */
	assert_stop(stop(f, f->cpu, 10, 10, 0, 0, 1, 50), "max_reps");
}

static void test_repetitions_not_launches(void **state)
{
	const struct fixture *f = *state;

	/* membw runs 3 repetitions a launch: 1 launch is 3 >= min_reps,
	 * but the RSD target is met across launches only: a second one */
	assert_stop(stop(f, f->membw, 1, 1, 0, 0, 1, 1), NULL);
	assert_stop(stop(f, f->membw, 2, 2, 0, 0, 1, 1), "rsd_target");
	/* unless the first took the time bound */
	assert_stop(stop(f, f->membw, 1, 1, 0, 0, 53, 1), "max_time");
	/* and 4 launches are 12 >= max_reps */
	assert_stop(stop(f, f->membw, 4, 4, 0, 0, 1, 50), "max_reps");
}

static void test_failures(void **state)
{
	const struct fixture *f = *state;

	/* the first launch failed: it would fail again */
	assert_stop(stop(f, f->cpu, 1, 0, 1, 0, 1, NAN), "failure");
	/* one failure after a success is tolerated, two are not */
	assert_stop(stop(f, f->cpu, 2, 1, 1, 0, 1, 50), NULL);
	assert_stop(stop(f, f->cpu, 3, 1, 2, 0, 1, 50), "failure");
	/* a density round fails its cell at once */
	assert_stop(stop(f, f->footprint, 5, 5, 1, 1, 1, 50), "failure");
}

static void test_launches_rule(void **state)
{
	const struct fixture *f = *state;

	/* startup counts launches, whatever the RSD and the time */
	assert_stop(stop(f, f->startup, 4, 4, 0, 0, 100, 0.1), NULL);
	assert_stop(stop(f, f->startup, 5, 5, 0, 0, 1, 90), "launches");
}

static void test_rounds_rule(void **state)
{
	const struct fixture *f = *state;

	assert_stop(stop(f, f->footprint, 10, 10, 0, 1, 100, 0.1), NULL);
	assert_stop(stop(f, f->footprint, 20, 20, 0, 2, 1, 90), "rounds");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsd_rule),
		cmocka_unit_test(test_repetitions_not_launches),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_launches_rule),
		cmocka_unit_test(test_rounds_rule),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
