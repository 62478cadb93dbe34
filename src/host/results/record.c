#include "results/record.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int ib_record_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return 0;
	return 1;
}

static const char *get_str(const cJSON *o, const char *key, int required,
			   struct ib_err *err, int *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v) {
		if (required) {
			ib_err_set(err, -EINVAL, "record lacks \"%s\"", key);
			*bad = 1;
		}
		return NULL;
	}
	if (!cJSON_IsString(v) || !v->valuestring) {
		ib_err_set(err, -EINVAL, "record field \"%s\" is not a string",
			   key);
		*bad = 1;
		return NULL;
	}
	return v->valuestring;
}

static int get_num(const cJSON *o, const char *key, double *out,
		   struct ib_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return ib_err_set(err, -EINVAL, "record lacks \"%s\"", key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return ib_err_set(err, -EINVAL,
				  "record field \"%s\" is not a finite number",
				  key);
	*out = v->valuedouble;
	return 0;
}

static int get_int(const cJSON *o, const char *key, long min, long max,
		   long *out, struct ib_err *err)
{
	double d = 0;

	if (get_num(o, key, &d, err) < 0)
		return -EINVAL;
	if (d != floor(d) || d < (double)min || d > (double)max)
		return ib_err_set(err, -EINVAL,
				  "record field \"%s\" is not an integer in "
				  "[%ld, %ld]",
				  key, min, max);
	*out = (long)d;
	return 0;
}

static int check_params(const cJSON *params, struct ib_err *err)
{
	const cJSON *m;
	int n = 0;

	if (!cJSON_IsObject(params))
		return ib_err_set(err, -EINVAL,
				  "sample field \"params\" is not an object");
	cJSON_ArrayForEach(m, params) {
		if (++n > 16)
			return ib_err_set(err, -EINVAL,
					  "sample has more than 16 params");
		if (!m->string || !ib_record_name_ok(m->string))
			return ib_err_set(err, -EINVAL,
					  "sample param name is not an "
					  "identifier");
		/* a name twice would give one params set two canonical
		 * texts (the sort does not order equal names) */
		for (const cJSON *o = params->child; o != m; o = o->next)
			if (strcmp(o->string, m->string) == 0)
				return ib_err_set(err, -EINVAL,
						  "sample param \"%s\" appears "
						  "twice",
						  m->string);
		if (cJSON_IsString(m)) {
			if (strlen(m->valuestring) > 128)
				return ib_err_set(err, -EINVAL,
						  "sample param \"%s\" is longer "
						  "than 128 characters",
						  m->string);
		} else if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble)) {
			return ib_err_set(err, -EINVAL,
					  "sample param \"%s\" is neither a "
					  "string nor a finite number",
					  m->string);
		}
	}
	return 0;
}

static int decode(struct ib_record *r, struct ib_err *err)
{
	const cJSON *o = r->json;
	const char *type;
	int bad = 0;
	long l;
	double d = 0;

	type = get_str(o, "type", 1, err, &bad);
	if (bad)
		return -EINVAL;
	if (strcmp(type, "hello") == 0) {
		r->type = IB_REC_HELLO;
		if (get_int(o, "protocol", 0, 1000000, &l, err) < 0)
			return -EINVAL;
		if (l != IB_PROTOCOL_VERSION)
			return ib_err_set(err, -EINVAL,
					  "probe speaks protocol %ld, this "
					  "isobench speaks %d",
					  l, IB_PROTOCOL_VERSION);
		r->probe_version = get_str(o, "probe", 1, err, &bad);
		if (bad || get_num(o, "uptime_s", &r->uptime_s, err) < 0)
			return -EINVAL;
		return 0;
	}
	if (strcmp(type, "sample") == 0) {
		const char *dir;

		r->type = IB_REC_SAMPLE;
		r->bench = get_str(o, "bench", 1, err, &bad);
		r->metric = bad ? NULL : get_str(o, "metric", 1, err, &bad);
		r->unit = bad ? NULL : get_str(o, "unit", 1, err, &bad);
		dir = bad ? NULL : get_str(o, "dir", 1, err, &bad);
		if (bad)
			return -EINVAL;
		if (!ib_record_name_ok(r->bench) || !ib_record_name_ok(r->metric))
			return ib_err_set(err, -EINVAL,
					  "sample bench/metric is not an "
					  "identifier");
		if (strlen(r->unit) == 0 || strlen(r->unit) > 16)
			return ib_err_set(err, -EINVAL,
					  "sample unit must be 1 to 16 "
					  "characters");
		if (strcmp(dir, "higher") == 0)
			r->higher = 1;
		else if (strcmp(dir, "lower") == 0)
			r->higher = 0;
		else
			return ib_err_set(err, -EINVAL,
					  "sample dir is neither \"higher\" nor "
					  "\"lower\"");
		if (get_num(o, "value", &r->value, err) < 0)
			return -EINVAL;
		if (get_int(o, "rep", 0, 1000000, &l, err) < 0)
			return -EINVAL;
		r->rep = (int)l;
		r->params = cJSON_GetObjectItemCaseSensitive(o, "params");
		if (!r->params)
			return ib_err_set(err, -EINVAL, "sample lacks \"params\"");
		return check_params(r->params, err);
	}
	if (strcmp(type, "info") == 0) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "value");

		r->type = IB_REC_INFO;
		r->bench = get_str(o, "bench", 1, err, &bad);
		r->key = bad ? NULL : get_str(o, "key", 1, err, &bad);
		if (bad)
			return -EINVAL;
		if (!v || !(cJSON_IsString(v) ||
			    (cJSON_IsNumber(v) && isfinite(v->valuedouble))))
			return ib_err_set(err, -EINVAL,
					  "info value is neither a string nor a "
					  "finite number");
		return 0;
	}
	if (strcmp(type, "error") == 0) {
		r->type = IB_REC_ERROR;
		r->bench = get_str(o, "bench", 0, err, &bad);
		r->reason = bad ? NULL : get_str(o, "reason", 1, err, &bad);
		r->message = bad ? NULL : get_str(o, "message", 1, err, &bad);
		if (bad)
			return -EINVAL;
		if (strcmp(r->reason, "unsupported") != 0 &&
		    strcmp(r->reason, "failed") != 0 &&
		    strcmp(r->reason, "invalid") != 0)
			return ib_err_set(err, -EINVAL,
					  "error reason \"%.40s\" is not "
					  "unsupported, failed or invalid",
					  r->reason);
		return 0;
	}
	if (strcmp(type, "done") == 0) {
		r->type = IB_REC_DONE;
		if (get_int(o, "records", 0, 100000000, &r->records, err) < 0)
			return -EINVAL;
		if (get_num(o, "status", &d, err) < 0 || d != floor(d) ||
		    d < 0 || d > 255)
			return ib_err_set(err, -EINVAL,
					  "done status is not an integer in "
					  "[0, 255]");
		r->status = (int)d;
		return 0;
	}
	return ib_err_set(err, -EINVAL, "unknown record type \"%.40s\"", type);
}

int ib_record_decode(const char *json, size_t len, struct ib_record *r,
		     struct ib_err *err)
{
	const char *end = NULL;

	memset(r, 0, sizeof(*r));
	r->json = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!r->json)
		return ib_err_set(err, -EINVAL, "record is not valid JSON");
	r->owned = 1; /* before any ib_record_free, or the tree leaks */
	if (!cJSON_IsObject(r->json) || (end && end != json + len)) {
		ib_record_free(r);
		return ib_err_set(err, -EINVAL,
				  "record is not exactly one JSON object");
	}
	if (decode(r, err) < 0) {
		ib_record_free(r);
		return -EINVAL;
	}
	return 0;
}

int ib_record_from_object(const cJSON *obj, struct ib_record *r,
			  struct ib_err *err)
{
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(obj))
		return ib_err_set(err, -EINVAL, "record is not a JSON object");
	r->json = (cJSON *)obj;
	if (decode(r, err) < 0) {
		memset(r, 0, sizeof(*r));
		return -EINVAL;
	}
	return 0;
}

void ib_record_free(struct ib_record *r)
{
	if (r->owned)
		cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

void ib_fmt_num(char *buf, size_t cap, double v)
{
	if (!isfinite(v))
		snprintf(buf, cap, "null");
	else
		snprintf(buf, cap, "%.10g", v);
}

static int cmp_member(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

char *ib_params_canon(const cJSON *params)
{
	const cJSON *m, *sorted[16];
	struct ib_buf b = {0};
	int n = 0;

	cJSON_ArrayForEach(m, params) {
		if (n < 16)
			sorted[n++] = m;
	}
	qsort(sorted, (size_t)n, sizeof(sorted[0]), cmp_member);
	for (int i = 0; i < n; i++) {
		char num[64];

		if (i)
			ib_buf_puts(&b, ",");
		ib_buf_printf(&b, "%s=", sorted[i]->string);
		if (cJSON_IsString(sorted[i])) {
			/* escaped, so that a value holding the separators
			 * cannot read as more params: {a:"1,b=2"} and
			 * {a:"1",b:"2"} are two metrics */
			for (const char *s = sorted[i]->valuestring; *s; s++) {
				if (*s == '\\' || *s == ',' || *s == '=')
					ib_buf_puts(&b, "\\");
				ib_buf_put(&b, s, 1);
			}
		} else {
			ib_fmt_num(num, sizeof(num), sorted[i]->valuedouble);
			ib_buf_puts(&b, num);
		}
	}
	if (!b.s)
		b.s = ib_xstrdup("");
	return b.s;
}
