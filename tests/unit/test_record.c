/* Unit tests of src/host/results/record.c, the host's checks of probe records:
 * ib_record_decode accepts every valid record type (hello with protocol 1,
 * sample, info, error, done) and rejects, with a message saying why, a
 * wrong protocol version, missing fields, wrong types, non-finite numbers,
 * a bad dir, an unknown type, a bad error reason, params that are not flat
 * or too many, names that are not identifiers, and trailing data after the
 * object, a param name given twice; ib_record_from_object; ib_params_canon
 * (sorted keys, %.10g, separators in string values escaped so that two
 * params sets never share a text). */
#include "unit.h"

#include <errno.h>

#include "results/record.h"

#define SAMPLE_HEAD "{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":\"events_per_s\","
#define SAMPLE_TAIL "\"unit\":\"events/s\",\"dir\":\"higher\",\"value\":2298.5,\"rep\":0"

static void accept(const char *json, struct ib_record *r)
{
	struct ib_err err = {0};
	int rc = ib_record_decode(json, strlen(json), r, &err);

	if (rc != 0)
		fail_msg("rejected %s: %s", json, err.msg);
	assert_non_null(r->json);
}

static void reject_len(const char *json, size_t len, const char *why)
{
	struct ib_err err = {0};
	struct ib_record r;
	int rc = ib_record_decode(json, len, &r, &err);

	if (rc == 0) {
		ib_record_free(&r);
		fail_msg("accepted %s", json);
	}
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_contains(err.msg, why);
	assert_null(r.json); /* nothing left to free */
}

static void reject(const char *json, const char *why)
{
	reject_len(json, strlen(json), why);
}

static void test_hello(void **state)
{
	struct ib_record r;

	(void)state;
	accept("{\"type\":\"hello\",\"protocol\":1,\"probe\":\"0.1.0\","
	       "\"workload\":\"cpu\",\"uptime_s\":12.25,\"argv\":[\"x\"]}",
	       &r);
	assert_int_equal(r.type, IB_REC_HELLO);
	assert_string_equal(r.probe_version, "0.1.0");
	assert_near(r.uptime_s, 12.25, 0);
	ib_record_free(&r);
	assert_null(r.json);
	reject("{\"type\":\"hello\",\"protocol\":2,\"probe\":\"9\",\"uptime_s\":1}",
	       "probe speaks protocol 2, this isobench speaks 1");
	reject("{\"type\":\"hello\",\"protocol\":0,\"probe\":\"9\",\"uptime_s\":1}",
	       "protocol 0");
	reject("{\"type\":\"hello\",\"probe\":\"9\",\"uptime_s\":1}",
	       "record lacks \"protocol\"");
	reject("{\"type\":\"hello\",\"protocol\":\"1\",\"probe\":\"9\",\"uptime_s\":1}",
	       "record field \"protocol\" is not a finite number");
	reject("{\"type\":\"hello\",\"protocol\":1.5,\"probe\":\"9\",\"uptime_s\":1}",
	       "record field \"protocol\" is not an integer");
	reject("{\"type\":\"hello\",\"protocol\":1,\"uptime_s\":1}",
	       "record lacks \"probe\"");
	reject("{\"type\":\"hello\",\"protocol\":1,\"probe\":1,\"uptime_s\":1}",
	       "record field \"probe\" is not a string");
	reject("{\"type\":\"hello\",\"protocol\":1,\"probe\":\"9\"}",
	       "record lacks \"uptime_s\"");
	reject("{\"type\":\"hello\",\"protocol\":1,\"probe\":\"9\",\"uptime_s\":1e999}",
	       "record field \"uptime_s\" is not a finite number");
}

static void test_sample(void **state)
{
	struct ib_record r;
	char *canon;

	(void)state;
	accept(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"threads\":1,\"max_prime\":10000}}",
	       &r);
	assert_int_equal(r.type, IB_REC_SAMPLE);
	assert_string_equal(r.bench, "cpu");
	assert_string_equal(r.metric, "events_per_s");
	assert_string_equal(r.unit, "events/s");
	assert_int_equal(r.higher, 1);
	assert_near(r.value, 2298.5, 0);
	assert_int_equal(r.rep, 0);
	assert_non_null(r.params);
	canon = ib_params_canon(r.params);
	assert_string_equal(canon, "max_prime=10000,threads=1");
	free(canon);
	ib_record_free(&r);

	accept("{\"type\":\"sample\",\"bench\":\"disk\",\"metric\":\"lat_p99.9\","
	       "\"unit\":\"us\",\"dir\":\"lower\",\"value\":-0.5,\"rep\":1000000,"
	       "\"params\":{}}",
	       &r);
	assert_int_equal(r.higher, 0);
	assert_string_equal(r.metric, "lat_p99.9");
	assert_int_equal(r.rep, 1000000);
	assert_near(r.value, -0.5, 0);
	ib_record_free(&r);
}

static void test_sample_rejects(void **state)
{
	(void)state;
	reject("{\"type\":\"sample\",\"metric\":\"m\",\"unit\":\"u\",\"dir\":\"lower\","
	       "\"value\":1,\"rep\":0,\"params\":{}}",
	       "record lacks \"bench\"");
	reject("{\"type\":\"sample\",\"bench\":\"cpu\",\"unit\":\"u\",\"dir\":\"lower\","
	       "\"value\":1,\"rep\":0,\"params\":{}}",
	       "record lacks \"metric\"");
	reject(SAMPLE_HEAD "\"dir\":\"higher\",\"value\":1,\"rep\":0,\"params\":{}}",
	       "record lacks \"unit\"");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"value\":1,\"rep\":0,\"params\":{}}",
	       "record lacks \"dir\"");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"rep\":0,\"params\":{}}",
	       "record lacks \"value\"");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":1,\"params\":{}}",
	       "record lacks \"rep\"");
	reject(SAMPLE_HEAD SAMPLE_TAIL "}", "sample lacks \"params\"");
	/* wrong types */
	reject("{\"type\":\"sample\",\"bench\":[\"cpu\"],\"metric\":\"m\",\"unit\":\"u\","
	       "\"dir\":\"lower\",\"value\":1,\"rep\":0,\"params\":{}}",
	       "record field \"bench\" is not a string");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":\"1\",\"rep\":0,"
	       "\"params\":{}}",
	       "record field \"value\" is not a finite number");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":null,\"rep\":0,"
	       "\"params\":{}}",
	       "record field \"value\" is not a finite number");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":true,\"value\":1,\"rep\":0,"
	       "\"params\":{}}",
	       "record field \"dir\" is not a string");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":[]}",
	       "sample field \"params\" is not an object");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":\"threads=1\"}",
	       "sample field \"params\" is not an object");
	/* non-finite values (JSON has no NaN; 1e999 parses as infinity) */
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":1e999,\"rep\":0,"
	       "\"params\":{}}",
	       "record field \"value\" is not a finite number");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":-1e999,\"rep\":0,"
	       "\"params\":{}}",
	       "record field \"value\" is not a finite number");
	/* rep */
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":1,\"rep\":-1,"
	       "\"params\":{}}",
	       "record field \"rep\" is not an integer in [0, 1000000]");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":1,\"rep\":0.5,"
	       "\"params\":{}}",
	       "record field \"rep\" is not an integer");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"higher\",\"value\":1,\"rep\":1000001,"
	       "\"params\":{}}",
	       "record field \"rep\" is not an integer");
	/* dir */
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"up\",\"value\":1,\"rep\":0,"
	       "\"params\":{}}",
	       "sample dir is neither \"higher\" nor \"lower\"");
	reject(SAMPLE_HEAD "\"unit\":\"u\",\"dir\":\"Higher\",\"value\":1,\"rep\":0,"
	       "\"params\":{}}",
	       "sample dir is neither");
	/* unit: 1 to 16 characters */
	reject(SAMPLE_HEAD "\"unit\":\"\",\"dir\":\"higher\",\"value\":1,\"rep\":0,"
	       "\"params\":{}}",
	       "sample unit must be 1 to 16 characters");
	reject(SAMPLE_HEAD "\"unit\":\"12345678901234567\",\"dir\":\"higher\","
	       "\"value\":1,\"rep\":0,\"params\":{}}",
	       "sample unit must be 1 to 16 characters");
}

/* A sample whose bench and metric are as given. */
static char *sample_named(const char *bench, const char *metric)
{
	char *s = NULL;

	assert_true(asprintf(&s,
			     "{\"type\":\"sample\",\"bench\":\"%s\",\"metric\":\"%s\","
			     "\"unit\":\"ns\",\"dir\":\"lower\",\"value\":1,"
			     "\"rep\":0,\"params\":{}}",
			     bench, metric) > 0);
	return s;
}

static void test_identifiers(void **state)
{
	const char *good[] = {"cpu", "lat_p99.9", "a-b", "X9", "_",
			      "0123456789012345678901234567890123456789012345678901234567890123"};
	const char *bad[] = {"", "a b", "a/b", "caf\xc3\xa9", "a\\\"b", "a,b",
			     "a=b", "01234567890123456789012345678901234567890123456789012345678901234"};
	struct ib_record r;

	(void)state;
	assert_int_equal(strlen(good[5]), 64);
	assert_int_equal(strlen(bad[7]), 65);
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		char *a = sample_named(good[i], "m"), *b = sample_named("cpu", good[i]);

		accept(a, &r);
		assert_string_equal(r.bench, good[i]);
		ib_record_free(&r);
		accept(b, &r);
		assert_string_equal(r.metric, good[i]);
		ib_record_free(&r);
		free(a);
		free(b);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *a = sample_named(bad[i], "m"), *b = sample_named("cpu", bad[i]);

		reject(a, "sample bench/metric is not an identifier");
		reject(b, "sample bench/metric is not an identifier");
		free(a);
		free(b);
	}
}

static void test_params(void **state)
{
	char buf[4096];
	size_t n;
	struct ib_record r;

	(void)state;
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a\":{\"b\":1}}}",
	       "sample param \"a\" is neither a string nor a finite number");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a\":[1]}}",
	       "sample param \"a\" is neither");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a\":true}}",
	       "sample param \"a\" is neither");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a\":null}}",
	       "sample param \"a\" is neither");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a\":1e999}}",
	       "sample param \"a\" is neither");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a b\":1}}",
	       "sample param name is not an identifier");
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"\":1}}",
	       "sample param name is not an identifier");
	/* a name twice: one params set, two possible texts */
	reject(SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"a\":1,\"b\":2,\"a\":3}}",
	       "sample param \"a\" appears twice");
	/* a string of 128 characters is fine, 129 is not */
	n = (size_t)snprintf(buf, sizeof(buf), SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{\"s\":\"");
	memset(buf + n, 'v', 128);
	strcpy(buf + n + 128, "\"}}");
	accept(buf, &r);
	ib_record_free(&r);
	memset(buf + n, 'v', 129);
	strcpy(buf + n + 129, "\"}}");
	reject(buf, "sample param \"s\" is longer than 128 characters");
	/* 16 params are fine, 17 are not */
	n = (size_t)snprintf(buf, sizeof(buf), SAMPLE_HEAD SAMPLE_TAIL ",\"params\":{");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"p%02d\":%d",
				      i ? "," : "", 15 - i, i);
	strcpy(buf + n, "}}");
	accept(buf, &r);
	{
		char *canon = ib_params_canon(r.params);

		assert_prefix(canon, "p00=15,p01=14,p02=13,");
		assert_contains(canon, ",p15=0");
		free(canon);
	}
	ib_record_free(&r);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",\"p16\":\"x\"");
	strcpy(buf + n, "}}");
	reject(buf, "sample has more than 16 params");
}

static void test_info(void **state)
{
	struct ib_record r;

	(void)state;
	accept("{\"type\":\"info\",\"bench\":\"memlat\",\"key\":\"llc_source\","
	       "\"value\":\"sysfs\"}",
	       &r);
	assert_int_equal(r.type, IB_REC_INFO);
	assert_string_equal(r.bench, "memlat");
	assert_string_equal(r.key, "llc_source");
	ib_record_free(&r);
	accept("{\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"primes\",\"value\":1228}",
	       &r);
	assert_int_equal(r.type, IB_REC_INFO);
	ib_record_free(&r);
	reject("{\"type\":\"info\",\"key\":\"k\",\"value\":1}", "record lacks \"bench\"");
	reject("{\"type\":\"info\",\"bench\":\"cpu\",\"value\":1}", "record lacks \"key\"");
	reject("{\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"k\"}",
	       "info value is neither a string nor a finite number");
	reject("{\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"k\",\"value\":{}}",
	       "info value is neither a string nor a finite number");
	reject("{\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"k\",\"value\":1e999}",
	       "info value is neither a string nor a finite number");
}

static void test_error(void **state)
{
	static const char *reasons[] = {"unsupported", "failed", "invalid"};
	struct ib_record r;
	char buf[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(reasons); i++) {
		snprintf(buf, sizeof(buf),
			 "{\"type\":\"error\",\"bench\":\"disk\",\"reason\":\"%s\","
			 "\"message\":\"io_uring_setup: ENOSYS\",\"rep\":0}",
			 reasons[i]);
		accept(buf, &r);
		assert_int_equal(r.type, IB_REC_ERROR);
		assert_string_equal(r.bench, "disk");
		assert_string_equal(r.reason, reasons[i]);
		assert_string_equal(r.message, "io_uring_setup: ENOSYS");
		ib_record_free(&r);
	}
	/* bench is optional (an error before any workload started) */
	accept("{\"type\":\"error\",\"reason\":\"failed\",\"message\":\"m\"}", &r);
	assert_null(r.bench);
	ib_record_free(&r);
	reject("{\"type\":\"error\",\"bench\":1,\"reason\":\"failed\",\"message\":\"m\"}",
	       "record field \"bench\" is not a string");
	reject("{\"type\":\"error\",\"reason\":\"oops\",\"message\":\"m\"}",
	       "error reason \"oops\" is not unsupported, failed or invalid");
	reject("{\"type\":\"error\",\"message\":\"m\"}", "record lacks \"reason\"");
	reject("{\"type\":\"error\",\"reason\":\"failed\"}", "record lacks \"message\"");
}

static void test_done(void **state)
{
	struct ib_record r;

	(void)state;
	accept("{\"type\":\"done\",\"records\":27,\"status\":0}", &r);
	assert_int_equal(r.type, IB_REC_DONE);
	assert_int_equal(r.records, 27);
	assert_int_equal(r.status, 0);
	ib_record_free(&r);
	accept("{\"type\":\"done\",\"records\":0,\"status\":255}", &r);
	assert_int_equal(r.status, 255);
	ib_record_free(&r);
	reject("{\"type\":\"done\",\"status\":0}", "record lacks \"records\"");
	reject("{\"type\":\"done\",\"records\":-1,\"status\":0}",
	       "record field \"records\" is not an integer");
	reject("{\"type\":\"done\",\"records\":1}", "done status is not an integer in [0, 255]");
	reject("{\"type\":\"done\",\"records\":1,\"status\":256}",
	       "done status is not an integer in [0, 255]");
	reject("{\"type\":\"done\",\"records\":1,\"status\":1.5}",
	       "done status is not an integer");
	reject("{\"type\":\"done\",\"records\":1,\"status\":-1}",
	       "done status is not an integer");
}

static void test_shape(void **state)
{
	const char *done = "{\"type\":\"done\",\"records\":1,\"status\":0}";
	char buf[128];

	(void)state;
	reject("{\"records\":1}", "record lacks \"type\"");
	reject("{\"type\":7}", "record field \"type\" is not a string");
	reject("{\"type\":\"bye\"}", "unknown record type \"bye\"");
	reject("{\"type\":\"HELLO\"}", "unknown record type");
	reject("not json", "record is not valid JSON");
	reject("", "record is not valid JSON");
	reject("[1,2]", "record is not exactly one JSON object");
	reject("\"str\"", "record is not exactly one JSON object");
	/* trailing data after the object, within the given length */
	snprintf(buf, sizeof(buf), "%s x", done);
	reject(buf, "record is not exactly one JSON object");
	snprintf(buf, sizeof(buf), "%s{}", done);
	reject(buf, "record is not exactly one JSON object");
	snprintf(buf, sizeof(buf), "%s ", done);
	reject(buf, "record is not exactly one JSON object");
	/* ... but bytes after len are not looked at */
	snprintf(buf, sizeof(buf), "%s garbage", done);
	{
		struct ib_record r;
		struct ib_err err = {0};

		assert_int_equal(ib_record_decode(buf, strlen(done), &r, &err), 0);
		assert_int_equal(r.type, IB_REC_DONE);
		ib_record_free(&r);
	}
	/* a cut object */
	reject_len(done, strlen(done) - 1, "record is not valid JSON");
}

static void test_from_object(void **state)
{
	cJSON *o = cJSON_Parse("{\"type\":\"done\",\"records\":3,\"status\":1}");
	cJSON *a = cJSON_Parse("[]");
	cJSON *bad = cJSON_Parse("{\"type\":\"done\",\"records\":3}");
	struct ib_record r;
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(ib_record_from_object(o, &r, &err), 0);
	assert_int_equal(r.type, IB_REC_DONE);
	assert_int_equal(r.records, 3);
	assert_int_equal(r.status, 1);
	assert_ptr_equal(r.json, o);
	ib_record_free(&r); /* not owned: o stays alive */
	assert_non_null(cJSON_GetObjectItem(o, "type"));
	assert_int_equal(ib_record_from_object(a, &r, &err), -EINVAL);
	assert_contains(err.msg, "not a JSON object");
	assert_int_equal(ib_record_from_object(bad, &r, &err), -EINVAL);
	assert_contains(err.msg, "done status");
	assert_null(r.json);
	cJSON_Delete(o);
	cJSON_Delete(a);
	cJSON_Delete(bad);
}

static void canon_is(const char *params, const char *want)
{
	cJSON *p = cJSON_Parse(params);
	char *c;

	assert_non_null(p);
	c = ib_params_canon(p);
	assert_string_equal(c, want);
	free(c);
	cJSON_Delete(p);
}

/* Two params sets that must be two metrics: their texts differ. */
static void canon_differ(const char *a, const char *b)
{
	cJSON *pa = cJSON_Parse(a), *pb = cJSON_Parse(b);
	char *ca, *cb;

	assert_non_null(pa);
	assert_non_null(pb);
	ca = ib_params_canon(pa);
	cb = ib_params_canon(pb);
	if (strcmp(ca, cb) == 0)
		fail_msg("%s and %s both give \"%s\"", a, b, ca);
	free(ca);
	free(cb);
	cJSON_Delete(pa);
	cJSON_Delete(pb);
}

static void test_params_canon(void **state)
{
	char num[64];

	(void)state;
	canon_is("{}", "");
	canon_is("{\"threads\":2,\"max_prime\":10000,\"b\":\"x\",\"a\":0.1}",
		 "a=0.1,b=x,max_prime=10000,threads=2");
	canon_is("{\"z\":1,\"Z\":2,\"_\":3,\"a.b\":4,\"a\":5}",
		 "Z=2,_=3,a=5,a.b=4,z=1");
	/* numbers: %.10g */
	canon_is("{\"x\":0.333333333333333}", "x=0.3333333333");
	canon_is("{\"x\":1234567890123}", "x=1.23456789e+12");
	canon_is("{\"x\":1e20}", "x=1e+20");
	canon_is("{\"x\":4096}", "x=4096");
	canon_is("{\"x\":-2.5}", "x=-2.5");
	canon_is("{\"x\":1048576}", "x=1048576");
	/* separators inside string values are escaped, so that no two
	 * params sets share a text */
	canon_is("{\"x\":\"seq,rand\"}", "x=seq\\,rand");
	canon_is("{\"a\":\"1,b=2\"}", "a=1\\,b\\=2");
	canon_is("{\"a\":\"1\",\"b\":\"2\"}", "a=1,b=2");
	canon_is("{\"a\":\"x\\\\,\"}", "a=x\\\\\\,");
	canon_is("{\"a\":\"\"}", "a=");
	canon_differ("{\"a\":\"1,b=2\"}", "{\"a\":\"1\",\"b\":\"2\"}");
	canon_differ("{\"a\":\"1,b=2\"}", "{\"a\":\"1\",\"b\":2}");
	canon_differ("{\"a\":\"x=\",\"b\":\"y\"}",
		     "{\"a\":\"x\",\"b\":\"=y\"}");
	canon_differ("{\"a\":\"x\\\\\",\"b\":\"y\"}",
		     "{\"a\":\"x\\\\,b=y\"}");
	/* the same params in any order give the same text */
	canon_is("{\"size\":4096,\"chain\":\"seq\",\"stride\":64}",
		 "chain=seq,size=4096,stride=64");
	canon_is("{\"stride\":64,\"size\":4096,\"chain\":\"seq\"}",
		 "chain=seq,size=4096,stride=64");
	ib_fmt_num(num, sizeof(num), NAN);
	assert_string_equal(num, "null");
	ib_fmt_num(num, sizeof(num), INFINITY);
	assert_string_equal(num, "null");
	ib_fmt_num(num, sizeof(num), 2.0 / 3);
	assert_string_equal(num, "0.6666666667");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_sample_rejects),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_done),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_from_object),
		cmocka_unit_test(test_params_canon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
