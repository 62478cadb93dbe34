/* Unit tests of src/common/crc32.c and src/common/frame.c, the framing of
 * probe records: the CRC-32 check value, encode/decode round trips, a
 * record found after kernel-log text on the same line (text reported as
 * TEXT, then the RECORD), CRLF endings, every CORRUPT reason (checksum
 * mismatch, missing or non-hex checksum, body not an object, too short,
 * truncated at end of stream), byte-at-a-time feeding giving the same
 * callbacks as one feed, lines over 64 KiB cut and reported, and stream
 * offsets (the bytes at offset are the bytes handed to the callback). */
#include "unit.h"

#include "common/crc32.h"
#include "common/frame.h"

struct event {
	enum ib_frame_kind kind;
	char *data;
	size_t len;
	uint64_t offset;
	char *why;
};

struct events {
	struct event *v;
	int n;
};

static void collect(void *user, enum ib_frame_kind kind, const char *data,
		    size_t len, uint64_t offset, const char *why)
{
	struct events *e = user;
	struct event *ev;

	e->v = realloc(e->v, sizeof(*e->v) * (size_t)(e->n + 1));
	ev = &e->v[e->n++];
	ev->kind = kind;
	ev->data = malloc(len + 1);
	if (len) /* data may be NULL for an empty line */
		memcpy(ev->data, data, len);
	ev->data[len] = '\0';
	ev->len = len;
	ev->offset = offset;
	ev->why = why ? strdup(why) : NULL;
}

static void events_free(struct events *e)
{
	for (int i = 0; i < e->n; i++) {
		free(e->v[i].data);
		free(e->v[i].why);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

/* Parses stream[0..len) fed in chunks of `chunk` bytes (0: all at once). */
static void parse(const char *stream, size_t len, size_t chunk,
		  struct events *e)
{
	struct ib_frame_parser p;

	memset(e, 0, sizeof(*e));
	ib_frame_parser_init(&p, collect, e);
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		assert_int_equal(ib_frame_feed(&p, stream + off,
					       len - off < chunk ? len - off
								 : chunk),
				 0);
	ib_frame_finish(&p);
	ib_frame_parser_free(&p);
}

/* Every callback's bytes are the stream's bytes at its offset. */
static void check_offsets(const char *stream, size_t len,
			  const struct events *e)
{
	for (int i = 0; i < e->n; i++) {
		const struct event *ev = &e->v[i];

		if (ev->offset + ev->len > len ||
		    memcmp(stream + ev->offset, ev->data, ev->len) != 0)
			fail_msg("event %d (kind %d): bytes at offset %llu "
				 "differ",
				 i, ev->kind, (unsigned long long)ev->offset);
	}
}

static char *frame(const char *json)
{
	size_t cap = strlen(json) + 64;
	char *out = malloc(cap + 1);
	int n = ib_frame_encode(out, cap, json, strlen(json));

	assert_true(n > 0);
	out[n] = '\0';
	return out;
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(ib_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(ib_crc32(0, "", 0), 0);
	assert_int_equal(ib_crc32(0, "a", 1), 0xe8b7be43u);
	/* continued over chunks equals one call */
	assert_int_equal(ib_crc32(ib_crc32(0, "1234", 4), "56789", 5),
			 0xcbf43926u);
	assert_int_equal(ib_crc32(0, "The quick brown fox jumps over the lazy dog",
				  43),
			 0x414fa339u);
}

static void test_encode(void **state)
{
	const char *json = "{\"type\":\"done\",\"records\":1,\"status\":0}";
	char out[256], want[256];
	int n;

	(void)state;
	n = ib_frame_encode(out, sizeof(out), json, strlen(json));
	snprintf(want, sizeof(want), "@@ib1 %s #%08x\n", json,
		 ib_crc32(0, json, strlen(json)));
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(out, want, (size_t)n);
	/* exactly the needed capacity works, one less does not */
	assert_int_equal(ib_frame_encode(out, (size_t)n, json, strlen(json)), n);
	assert_int_equal(ib_frame_encode(out, (size_t)n - 1, json, strlen(json)),
			 -1);
	/* a record is one line */
	assert_int_equal(ib_frame_encode(out, sizeof(out), "{\"a\":\n1}", 8), -1);
}

static void test_round_trip(void **state)
{
	const char *jsons[] = {
		"{}",
		"{\"type\":\"hello\",\"protocol\":1,\"probe\":\"0.1.0\"}",
		"{\"s\":\"caf\xc3\xa9 @@ib1 #00000000\"}",
		"{\"type\":\"sample\",\"value\":1e-300,\"params\":{\"a\":\"\\n\"}}",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(jsons); i++) {
		char *f = frame(jsons[i]);
		struct events e;

		parse(f, strlen(f), 0, &e);
		assert_int_equal(e.n, 1);
		assert_int_equal(e.v[0].kind, IB_FRAME_RECORD);
		assert_string_equal(e.v[0].data, jsons[i]);
		assert_int_equal(e.v[0].offset, IB_FRAME_PREFIX_LEN);
		assert_null(e.v[0].why);
		check_offsets(f, strlen(f), &e);
		events_free(&e);
		free(f);
	}
}

static void test_kernel_text_prefix(void **state)
{
	const char *json = "{\"type\":\"done\",\"records\":3,\"status\":0}";
	const char *klog = "[    0.512345] virtio_blk virtio1: [vda] 2048 blocks";
	char *f = frame(json), stream[512];
	struct events e;

	(void)state;
	snprintf(stream, sizeof(stream), "first line\n%s%s", klog, f);
	parse(stream, strlen(stream), 0, &e);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.v[0].kind, IB_FRAME_TEXT);
	assert_string_equal(e.v[0].data, "first line");
	assert_int_equal(e.v[0].offset, 0);
	assert_int_equal(e.v[1].kind, IB_FRAME_TEXT);
	assert_string_equal(e.v[1].data, klog);
	assert_int_equal(e.v[1].offset, 11);
	assert_int_equal(e.v[2].kind, IB_FRAME_RECORD);
	assert_string_equal(e.v[2].data, json);
	assert_int_equal(e.v[2].offset, 11 + strlen(klog) + IB_FRAME_PREFIX_LEN);
	check_offsets(stream, strlen(stream), &e);
	events_free(&e);
	free(f);
}

static void test_crlf(void **state)
{
	const char *json = "{\"type\":\"info\",\"key\":\"k\",\"value\":1}";
	char *f = frame(json), stream[512];
	size_t n;
	struct events e;

	(void)state;
	/* turn "...#xxxxxxxx\n" into "...#xxxxxxxx\r\n" */
	n = strlen(f);
	snprintf(stream, sizeof(stream), "text\r\n%.*s\r\n\r\n", (int)(n - 1), f);
	parse(stream, strlen(stream), 0, &e);
	assert_int_equal(e.n, 3);
	assert_int_equal(e.v[0].kind, IB_FRAME_TEXT);
	assert_string_equal(e.v[0].data, "text"); /* '\r' not part of it */
	assert_int_equal(e.v[1].kind, IB_FRAME_RECORD);
	assert_string_equal(e.v[1].data, json);
	assert_int_equal(e.v[1].offset, 6 + IB_FRAME_PREFIX_LEN);
	assert_int_equal(e.v[2].kind, IB_FRAME_TEXT);
	assert_int_equal(e.v[2].len, 0);
	check_offsets(stream, strlen(stream), &e);
	events_free(&e);
	free(f);
}

/* One line through ib_frame_line: must be CORRUPT with `why`. */
static void expect_corrupt(const char *line, const char *why)
{
	struct events e = {0};

	ib_frame_line(line, strlen(line), 100, collect, &e);
	if (e.n != 1 || e.v[0].kind != IB_FRAME_CORRUPT)
		fail_msg("'%s': %d events, first kind %d, not one CORRUPT", line,
			 e.n, e.n ? (int)e.v[0].kind : -1);
	assert_string_equal(e.v[0].why, why);
	/* the whole line is handed back, from its start */
	assert_string_equal(e.v[0].data, line);
	assert_int_equal(e.v[0].offset, 100);
	events_free(&e);
}

static void test_corrupt(void **state)
{
	const char *json = "{\"type\":\"done\",\"records\":3,\"status\":0}";
	char line[256];
	uint32_t crc = ib_crc32(0, json, strlen(json));

	(void)state;
	snprintf(line, sizeof(line), "@@ib1 %s #%08x", json, crc ^ 1);
	expect_corrupt(line, "record checksum mismatch");
	/* a flipped byte in the body */
	snprintf(line, sizeof(line), "@@ib1 %s #%08x", json, crc);
	line[20] ^= 0x01;
	expect_corrupt(line, "record checksum mismatch");
	snprintf(line, sizeof(line), "@@ib1 %s", json);
	expect_corrupt(line, "record has no checksum at its end");
	snprintf(line, sizeof(line), "@@ib1 %s #%08x trailing", json, crc);
	expect_corrupt(line, "record has no checksum at its end");
	snprintf(line, sizeof(line), "@@ib1 %s #%08X", json, 0xabcdef12u);
	expect_corrupt(line, "record checksum is not 8 lowercase hex digits");
	snprintf(line, sizeof(line), "@@ib1 %s #1234567g", json);
	expect_corrupt(line, "record checksum is not 8 lowercase hex digits");
	snprintf(line, sizeof(line), "@@ib1 [1,2,3] #%08x",
		 ib_crc32(0, "[1,2,3]", 7));
	expect_corrupt(line, "record body is not a JSON object");
	snprintf(line, sizeof(line), "@@ib1 {\"a\":1 #%08x",
		 ib_crc32(0, "{\"a\":1", 6));
	expect_corrupt(line, "record body is not a JSON object");
	expect_corrupt("@@ib1 {} #1234567", "record too short for its framing");
	expect_corrupt("@@ib1 ", "record too short for its framing");
	expect_corrupt("kernel says @@ib1 {}", "record too short for its framing");
	/* the smallest valid record: "{}" */
	{
		struct events e = {0};

		snprintf(line, sizeof(line), "@@ib1 {} #%08x", ib_crc32(0, "{}", 2));
		ib_frame_line(line, strlen(line), 0, collect, &e);
		assert_int_equal(e.n, 1);
		assert_int_equal(e.v[0].kind, IB_FRAME_RECORD);
		assert_string_equal(e.v[0].data, "{}");
		events_free(&e);
	}
	/* text that merely resembles the prefix is text */
	{
		struct events e = {0};

		ib_frame_line("@@ib2 {} #00000000", 18, 0, collect, &e);
		assert_int_equal(e.n, 1);
		assert_int_equal(e.v[0].kind, IB_FRAME_TEXT);
		events_free(&e);
	}
}

static void test_truncated(void **state)
{
	const char *json = "{\"type\":\"done\",\"records\":3,\"status\":0}";
	char *f = frame(json), stream[512];
	size_t n;
	struct events e;

	(void)state;
	/* a whole record but the stream ends before its newline */
	n = strlen(f) - 1;
	parse(f, n, 0, &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].kind, IB_FRAME_CORRUPT);
	assert_contains(e.v[0].why, "truncated");
	assert_int_equal(e.v[0].len, n);
	events_free(&e);
	/* cut in the middle, after a complete one */
	snprintf(stream, sizeof(stream), "%s%.20s", f, f);
	parse(stream, strlen(stream), 0, &e);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.v[0].kind, IB_FRAME_RECORD);
	assert_int_equal(e.v[1].kind, IB_FRAME_CORRUPT);
	assert_contains(e.v[1].why, "truncated");
	assert_int_equal(e.v[1].offset, strlen(f));
	check_offsets(stream, strlen(stream), &e);
	events_free(&e);
	/* a last line without newline and without a record is just text */
	parse("abc\ndef", 7, 0, &e);
	assert_int_equal(e.n, 2);
	assert_int_equal(e.v[1].kind, IB_FRAME_TEXT);
	assert_string_equal(e.v[1].data, "def");
	assert_int_equal(e.v[1].offset, 4);
	events_free(&e);
	/* nothing at all: no callback */
	parse("", 0, 0, &e);
	assert_int_equal(e.n, 0);
	events_free(&e);	free(f);
}

/* Empty lines, also before anything was buffered: TEXT of length 0 with
 * a valid (non-NULL) pointer and the right offsets. */
static int saw_null;

static void null_check(void *user, enum ib_frame_kind kind, const char *data,
		       size_t len, uint64_t offset, const char *why)
{
	if (!data)
		saw_null = 1;
	collect(user, kind, data, len, offset, why);
}

static void test_empty_lines(void **state)
{
	struct ib_frame_parser p;
	struct events e = {0};

	(void)state;
	saw_null = 0;
	ib_frame_parser_init(&p, null_check, &e);
	assert_int_equal(ib_frame_feed(&p, "\n", 1), 0);
	assert_int_equal(ib_frame_feed(&p, "\r\nab", 4), 0);
	assert_int_equal(ib_frame_feed(&p, "c\n\n", 3), 0);
	ib_frame_finish(&p);
	ib_frame_parser_free(&p);
	assert_false(saw_null);
	assert_int_equal(e.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(e.v[i].kind, IB_FRAME_TEXT);
	assert_int_equal(e.v[0].len, 0);
	assert_int_equal(e.v[0].offset, 0);
	assert_int_equal(e.v[1].len, 0); /* "\r" is not part of the line */
	assert_int_equal(e.v[1].offset, 1);
	assert_string_equal(e.v[2].data, "abc");
	assert_int_equal(e.v[2].offset, 3);
	assert_int_equal(e.v[3].len, 0);
	assert_int_equal(e.v[3].offset, 7);
	events_free(&e);
}

static void assert_same_events(const struct events *a, const struct events *b)
{
	assert_int_equal(a->n, b->n);
	for (int i = 0; i < a->n; i++) {
		assert_int_equal(a->v[i].kind, b->v[i].kind);
		assert_int_equal(a->v[i].len, b->v[i].len);
		assert_memory_equal(a->v[i].data, b->v[i].data, a->v[i].len);
		assert_int_equal(a->v[i].offset, b->v[i].offset);
		if (a->v[i].why || b->v[i].why) {
			assert_non_null(a->v[i].why);
			assert_non_null(b->v[i].why);
			assert_string_equal(a->v[i].why, b->v[i].why);
		}
	}
}

static char *mixed_stream(size_t *len)
{
	const char *recs[] = {
		"{\"type\":\"hello\",\"protocol\":1,\"probe\":\"0.1.0\",\"uptime_s\":0.5}",
		"{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":\"m\",\"value\":1}",
		"{\"type\":\"done\",\"records\":3,\"status\":0}",
	};
	char *s = malloc(4096), *f;
	size_t n = 0;

	n += (size_t)sprintf(s + n, "boot text\r\n[ 1.0] klog ");
	for (size_t i = 0; i < ARRAY_LEN(recs); i++) {
		f = frame(recs[i]);
		n += (size_t)sprintf(s + n, "%s", f);
		if (i == 1) /* a corrupt copy, then a CRLF one */
			n += (size_t)sprintf(s + n, "%.*sX\n%.*s\r\n",
					     (int)strlen(f) - 2, f,
					     (int)strlen(f) - 1, f);
		free(f);
	}
	n += (size_t)sprintf(s + n, "\n\nno newline at the end @@ib1 {\"x\"");
	*len = n;
	return s;
}

static void test_byte_at_a_time(void **state)
{
	size_t len;
	char *s = mixed_stream(&len);
	struct events all, part;

	(void)state;
	parse(s, len, 0, &all);
	assert_int_equal(all.n, 10);
	check_offsets(s, len, &all);
	for (size_t chunk = 1; chunk <= 17; chunk++) {
		parse(s, len, chunk, &part);
		assert_same_events(&all, &part);
		events_free(&part);
	}
	/* the expected sequence */
	assert_int_equal(all.v[0].kind, IB_FRAME_TEXT);
	assert_int_equal(all.v[1].kind, IB_FRAME_TEXT);
	assert_int_equal(all.v[2].kind, IB_FRAME_RECORD);
	assert_int_equal(all.v[3].kind, IB_FRAME_RECORD);
	assert_int_equal(all.v[4].kind, IB_FRAME_CORRUPT);
	assert_int_equal(all.v[5].kind, IB_FRAME_RECORD);
	assert_int_equal(all.v[6].kind, IB_FRAME_RECORD);
	assert_int_equal(all.v[7].kind, IB_FRAME_TEXT);
	assert_int_equal(all.v[8].kind, IB_FRAME_TEXT);
	assert_int_equal(all.v[9].kind, IB_FRAME_CORRUPT);
	assert_contains(all.v[9].why, "truncated");
	events_free(&all);
	free(s);
}

static void test_overlong(void **state)
{
	size_t big = IB_FRAME_MAX_LINE + 5000, n = 0;
	char *s = malloc(3 * big), *f = frame("{\"type\":\"done\",\"records\":0,\"status\":0}");
	struct events e, part;

	(void)state;
	memset(s, 'x', big);
	n = big;
	s[n++] = '\n';
	memcpy(s + n, "@@ib1 {", 7);
	memset(s + n + 7, 'y', big - 7);
	n += big;
	s[n++] = '\n';
	memcpy(s + n, f, strlen(f));
	n += strlen(f);
	parse(s, n, 0, &e);
	assert_int_equal(e.n, 3);
	/* a long text line: cut to the limit and said so */
	assert_int_equal(e.v[0].kind, IB_FRAME_TEXT);
	assert_int_equal(e.v[0].len, IB_FRAME_MAX_LINE);
	assert_int_equal(e.v[0].offset, 0);
	assert_non_null(e.v[0].why);
	assert_contains(e.v[0].why, "64 KiB");
	/* a long line holding the prefix: corrupt, cut */
	assert_int_equal(e.v[1].kind, IB_FRAME_CORRUPT);
	assert_int_equal(e.v[1].len, IB_FRAME_MAX_LINE);
	assert_int_equal(e.v[1].offset, big + 1);
	assert_contains(e.v[1].why, "64 KiB");
	/* and the parser is back in step for the next line */
	assert_int_equal(e.v[2].kind, IB_FRAME_RECORD);
	assert_int_equal(e.v[2].offset, 2 * big + 2 + IB_FRAME_PREFIX_LEN);
	check_offsets(s, n, &e);
	parse(s, n, 1, &part);
	assert_same_events(&e, &part);
	events_free(&part);
	parse(s, n, 4096, &part);
	assert_same_events(&e, &part);
	events_free(&part);
	events_free(&e);
	/* exactly IB_FRAME_MAX_LINE bytes is not too long */
	memset(s, 'z', IB_FRAME_MAX_LINE);
	s[IB_FRAME_MAX_LINE] = '\n';
	parse(s, IB_FRAME_MAX_LINE + 1, 1000, &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].kind, IB_FRAME_TEXT);
	assert_int_equal(e.v[0].len, IB_FRAME_MAX_LINE);
	assert_null(e.v[0].why);
	events_free(&e);
	free(s);
	free(f);
}

static void test_overlong_at_end(void **state)
{
	size_t big = IB_FRAME_MAX_LINE + 10;
	char *s = malloc(big);
	struct events e;

	(void)state;
	/* a line over the limit that the stream ends in: still reported as
	 * cut, not silently shortened */
	memset(s, 'q', big);
	parse(s, big, 0, &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].kind, IB_FRAME_TEXT);
	assert_int_equal(e.v[0].len, IB_FRAME_MAX_LINE);
	assert_non_null(e.v[0].why);
	assert_contains(e.v[0].why, "64 KiB");
	events_free(&e);
	memcpy(s, "@@ib1 {", 7);
	parse(s, big, 100, &e);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.v[0].kind, IB_FRAME_CORRUPT);
	assert_int_equal(e.v[0].len, IB_FRAME_MAX_LINE);
	assert_contains(e.v[0].why, "64 KiB");
	events_free(&e);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_kernel_text_prefix),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_empty_lines),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_overlong_at_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
