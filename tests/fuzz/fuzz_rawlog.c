/* fuzz_rawlog: raw.jsonl, the run log `isobench report DIR` rebuilds every
 * result from (it may be truncated, edited or damaged).
 *
 * The bytes are written to a temporary file and read with ib_results_load
 * (src/host/results/results.c: the raw log reader of src/host/results/rawlog.c, the
 * results builder and the statistics). When that succeeds, results.json,
 * results.csv, report.md (with its findings), report.html (its charts)
 * and the terminal summary are made from it; results.json must be valid
 * JSON. Everything is freed, on success and
 * on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "results/report.h"
#include "results/report_html.h"
#include "results/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	const char *path = fuzz_file_set(0, data, size);
	struct ib_results r;
	struct ib_err err = {0};

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		fuzz_fail("cannot open /dev/null");
	ib_results_init(&r);
	if (ib_results_load(&r, path, &err) == 0) {
		char *json = ib_results_json(&r), *csv = ib_results_csv(&r);
		char *md = ib_report_markdown(&r), *html = ib_report_html(&r);
		cJSON *back;

		if (!json || !csv || !md || !html)
			fuzz_fail("an output of valid results is missing");
		back = cJSON_Parse(json);
		if (!back)
			fuzz_fail("results.json is not valid JSON");
		cJSON_Delete(back);
		ib_report_terminal(&r, devnull);
		free(json);
		free(csv);
		free(md);
		free(html);
	} else if (!err.msg[0]) {
		fuzz_fail("raw log rejected without a message");
	}
	ib_results_free(&r);
	return 0;
}
