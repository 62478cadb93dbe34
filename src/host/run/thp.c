/* run/thp: the run's THP mode (--thp, a plan's thp): set before the run
 * measures (so the fingerprint records it) and put back when it ends,
 * on SIGINT too, each step journalled first (base/thp.h). */
#include "run/internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/thp.h"

int run_thp_set(struct run *R)
{
	struct ib_err err = {0};
	char before[16];
	cJSON *rec;

	if (!strcmp(R->plan->thp, "keep"))
		return 0;
	if (geteuid() != 0) {
		run_say(R, IB_REPORT_ERROR, "--thp %s changes a host-wide "
			"setting: run isobench as root", R->plan->thp);
		return -1;
	}
	if (ib_thp_read(before, sizeof(before), &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "--thp: %s", err.msg);
		return -1;
	}
	if (!ib_thp_mode_ok(before)) {
		run_say(R, IB_REPORT_ERROR, "--thp: the host's mode '%s' is not "
			"one isobench can put back", before);
		return -1;
	}
	rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "kind", "thp");
	cJSON_AddStringToObject(rec, "name", "thp");
	cJSON_AddStringToObject(rec, "before", before);
	cJSON_AddStringToObject(rec, "set", R->plan->thp);
	if (ib_state_add(&R->state, rec, &err) < 0 ||
	    ib_thp_set(R->plan->thp, &err) < 0) {
		run_say(R, IB_REPORT_ERROR, "--thp: %s", err.msg);
		/* put back at the end if it was set after all */
		snprintf(R->thp_before, sizeof(R->thp_before), "%s", before);
		return -1;
	}
	snprintf(R->thp_before, sizeof(R->thp_before), "%s", before);
	run_say(R, IB_REPORT_NOTE, "THP mode %s for the run (it was %s; put "
		"back after it)", R->plan->thp, before);
	return 0;
}

void run_thp_restore(struct run *R)
{
	struct ib_err err = {0};

	if (!R->thp_before[0])
		return;
	if (ib_thp_restore(R->thp_before, R->plan->thp, NULL, &err) < 0) {
		run_say(R, IB_REPORT_WARNING, "THP mode not put back: %s (`isobench "
			"cleanup %s` tries again)", err.msg, R->dir);
		return;
	}
	if (R->state_open)
		ib_state_del(&R->state, "thp", NULL);
	R->thp_before[0] = '\0';
}
