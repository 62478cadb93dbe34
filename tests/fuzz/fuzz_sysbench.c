/* fuzz_sysbench: sysbench's output with the wrapper's JSON line and its
 * latency histogram (src/host/engines/sysbench_oltp.c), what the mariadb
 * benchmark reads of a load generator's run.
 *
 * Oracles: a result accepted has every figure finite and >= 0, a time
 * above 0, at least one transaction, rates that follow from the counts,
 * and p95 <= p99; a refusal has a message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engines/sysbench_oltp.h"

static void need_finite(double v, const char *what)
{
	if (!isfinite(v) || v < 0)
		fuzz_fail("%s is %g", what, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct ib_sysbench_result r;
	struct ib_err err = {0};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ib_sysbench_parse(text, &r, &err) < 0) {
		if (!err.msg[0])
			fuzz_fail("refused without a message");
		free(text);
		return 0;
	}
	if (!(r.time_s > 0) || !isfinite(r.time_s))
		fuzz_fail("time %g", r.time_s);
	if (!(r.events >= 1))
		fuzz_fail("accepted with %g transactions", r.events);
	need_finite(r.reads + r.writes + r.other, "queries");
	need_finite(r.errors + r.reconnects, "errors");
	need_finite(r.transactions_per_s, "transactions/s");
	need_finite(r.queries_per_s, "queries/s");
	need_finite(r.lat_avg_ms, "latency avg");
	need_finite(r.lat_max_ms, "latency max");
	need_finite(r.lat_p95_ms, "p95");
	if (fabs(r.transactions_per_s * r.time_s - r.events) >
	    1e-6 * (r.events + 1))
		fuzz_fail("transactions/s does not follow from the count");
	if (!(r.lat_p95_ms <= r.lat_p99_ms))
		fuzz_fail("p95 %g above p99 %g", r.lat_p95_ms, r.lat_p99_ms);
	free(text);
	return 0;
}
