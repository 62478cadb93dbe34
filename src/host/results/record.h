/* record: decoding and checking the probe's records on the host.
 *
 * The frame layer (common/frame.h) has already verified the checksum; here
 * the JSON is parsed (cJSON) and every field the host relies on is checked
 * for presence, type and range, so that nothing downstream ever sees a
 * malformed record: a record that fails is reported with the reason and
 * its bytes are kept in the run directory, never trusted. */
#ifndef ISOBENCH_RECORD_H
#define ISOBENCH_RECORD_H

#include <cjson/cJSON.h>

#include "base/util.h"

#include "common/protocol.h"

enum ib_rec_type {
	IB_REC_HELLO,
	IB_REC_SAMPLE,
	IB_REC_INFO,
	IB_REC_ERROR,
	IB_REC_DONE,
};

struct ib_record {
	enum ib_rec_type type;
	cJSON *json; /* the whole object; the pointers below point in */
	int owned;   /* json is freed by ib_record_free */
	/* sample, info and error */
	const char *bench;
	/* sample */
	const char *metric, *unit;
	int higher; /* direction: 1 higher is better, 0 lower is better */
	double value;
	int rep;
	const cJSON *params; /* object of string/number members */
	/* info */
	const char *key;
	/* error */
	const char *reason, *message;
	/* done */
	long records;
	int status;
	/* hello */
	const char *probe_version;
	double uptime_s;
};

/* Parses json[0..len) into r. Returns 0, or -EINVAL with err saying what
 * is wrong. On success the caller frees with ib_record_free. */
int ib_record_decode(const char *json, size_t len, struct ib_record *r,
		     struct ib_err *err);
/* Checks an already parsed object (a record read back from raw.jsonl);
 * r points into obj, which the caller keeps alive and frees. */
int ib_record_from_object(const cJSON *obj, struct ib_record *r,
			  struct ib_err *err);
void ib_record_free(struct ib_record *r);

/* Is s a name records may carry (a benchmark, metric or param key): 1 to
 * 64 letters, digits, '_', '-', '.'? Anything else would end up in file
 * names, CSV cells and Markdown tables. */
int ib_record_name_ok(const char *s);

/* The canonical text of a params object: members sorted by key,
 * "key=value" joined by ',', numbers as %.10g, and in string values '\',
 * ',' and '=' escaped with a '\' (names are identifiers and hold none), so
 * that two params sets never share a text. Two samples measure the same
 * thing iff benchmark, metric and this text agree. Caller frees. */
char *ib_params_canon(const cJSON *params);

/* Formats a double the way every output of isobench does (%.10g with a
 * finite check): "nan" never appears in JSON. */
void ib_fmt_num(char *buf, size_t cap, double v);

#endif
