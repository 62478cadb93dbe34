/* fuzz_thresholds: what src/host/results/compare.c reads from a file a
 * user hands over: a thresholds file (INI, walked by base/ini.c).
 *
 * Oracles: a refusal has a message naming the file; whatever is accepted
 * is usable as compare uses it: every allowed change above 0 and at most
 * 1000%, every rule with a metric (a plain word) and params of key=value,
 * and looking a metric up returns a rule's figure or the default. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "results/compare.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_cmp_thresholds t;
	struct ib_err err = {0};
	const char *rule;
	cJSON *params;
	double pct;

	if (ib_cmp_thresholds_parse((const char *)data, size, "t.ini", &t,
				    &err) < 0) {
		if (strncmp(err.msg, "t.ini", 5) != 0)
			fuzz_fail("refused without naming the file: '%s'",
				  err.msg);
		return 0;
	}
	if (!(t.pct > 0 && t.pct <= 1000))
		fuzz_fail("default allowed change %g", t.pct);
	for (int i = 0; i < t.n; i++) {
		const struct ib_cmp_rule *r = &t.v[i];

		if (!r->metric || !*r->metric || strchr(r->metric, '.'))
			fuzz_fail("rule [%s]: metric '%s'", r->name,
				  r->metric ? r->metric : "(none)");
		if (r->bench && (!*r->bench || strchr(r->bench, '.')))
			fuzz_fail("rule [%s]: benchmark '%s'", r->name, r->bench);
		if (!(r->pct > 0 && r->pct <= 1000))
			fuzz_fail("rule [%s]: allowed %g", r->name, r->pct);
		for (int k = 0; k < r->params.n; k++) {
			const char *eq = strchr(r->params.v[k], '=');

			if (!eq || eq == r->params.v[k] || !eq[1])
				fuzz_fail("rule [%s]: param '%s'", r->name,
					  r->params.v[k]);
		}
	}
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "connections", 16);
	cJSON_AddStringToObject(params, "size", "1k");
	for (int i = 0; i < t.n; i++) {
		pct = ib_cmp_threshold_for(&t, t.v[i].bench ? t.v[i].bench : "x",
					   t.v[i].metric, params, &rule);
		if (!(pct > 0 && pct <= 1000))
			fuzz_fail("looked up %g", pct);
	}
	pct = ib_cmp_threshold_for(&t, "nginx", "requests_per_s", params, &rule);
	if (!rule && pct != t.pct)
		fuzz_fail("no rule, yet %g is not the default %g", pct, t.pct);
	cJSON_Delete(params);
	ib_cmp_thresholds_free(&t);
	return 0;
}
