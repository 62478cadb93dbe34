/* fuzz_wrk: wrk's output with its done() hook's line
 * (src/host/engines/wrk.c), what the applications benchmark reads of a
 * load generator's run.
 *
 * Oracles: a result accepted has every figure finite and >= 0, a
 * duration above 0, requests/s and MB/s that follow from the counts, and
 * ordered latency figures when a request was answered; a refusal has a
 * message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engines/wrk.h"

static void need_finite(double v, const char *what)
{
	if (!isfinite(v) || v < 0)
		fuzz_fail("%s is %g", what, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct ib_wrk_result r;
	struct ib_err err = {0};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ib_wrk_parse(text, &r, &err) < 0) {
		if (!err.msg[0])
			fuzz_fail("refused without a message");
		free(text);
		return 0;
	}
	if (!(r.duration_s > 0) || !isfinite(r.duration_s))
		fuzz_fail("duration %g", r.duration_s);
	need_finite(r.requests, "requests");
	need_finite(r.bytes, "bytes");
	need_finite(r.requests_per_s, "requests/s");
	need_finite(r.mb_per_s, "MB/s");
	if (fabs(r.requests_per_s * r.duration_s - r.requests) >
	    1e-6 * (r.requests + 1))
		fuzz_fail("requests/s does not follow from the count");
	if (r.requests > 0 &&
	    !(r.lat_min_us <= r.lat_p50_us && r.lat_p50_us <= r.lat_p90_us &&
	      r.lat_p90_us <= r.lat_p99_us && r.lat_p99_us <= r.lat_p999_us &&
	      r.lat_p999_us <= r.lat_max_us))
		fuzz_fail("latency figures out of order");
	free(text);
	return 0;
}
