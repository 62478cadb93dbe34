/* fuzz_probe: the probe's output as the host reads it (untrusted: it comes
 * from inside a sandbox or a VM's serial console).
 *
 * The bytes go through the frame parser (src/common/frame.c) twice: in one
 * feed, where every RECORD is decoded by ib_record_decode (and a sample's
 * params made canonical with ib_params_canon), and in chunks of varying
 * sizes. Oracles: both feeds give the same callbacks; every callback's
 * bytes are the input's bytes at its offset; a RECORD is a '{...}' object
 * right after the prefix, whose re-encoding frames and parses back to
 * the same record. */
#include <stdlib.h>
#include <string.h>

#include "common/crc32.h"
#include "common/frame.h"
#include "fuzz.h"
#include "results/record.h"

struct ctx {
	const uint8_t *data;
	size_t size;
	int decode;
	unsigned n;
	uint32_t hash; /* CRC-32 over every callback's kind, bytes, offset, why */
};

static void hash_add(struct ctx *c, const void *p, size_t n)
{
	c->hash = ib_crc32(c->hash, p, n);
}

struct one {
	const char *want; /* the record expected back */
	size_t wantlen;
	int n, same;
};

static void one_cb(void *user, enum ib_frame_kind kind, const char *data,
		   size_t len, uint64_t offset, const char *why)
{
	struct one *o = user;

	(void)offset;
	(void)why;
	o->n++;
	o->same = kind == IB_FRAME_RECORD && len == o->wantlen &&
		  memcmp(data, o->want, len) == 0;
}

/* A record frames again, and the frame parses back to the same bytes. */
static void check_reencode(const char *json, size_t len)
{
	size_t cap = len + 32;
	char *buf = malloc(cap);
	struct one o = {json, len, 0, 0};
	int n = ib_frame_encode(buf, cap, json, len);

	if (n < 0) {
		/* only when the framed line would exceed the parser's limit */
		if (len + IB_FRAME_PREFIX_LEN + 11 <= IB_FRAME_MAX_LINE)
			fuzz_fail("a record of %zu bytes does not re-encode", len);
		free(buf);
		return;
	}
	if ((size_t)n != len + IB_FRAME_PREFIX_LEN + 11 || buf[n - 1] != '\n')
		fuzz_fail("encoded length %d for %zu bytes", n, len);
	ib_frame_line(buf, (size_t)n - 1, 0, one_cb, &o);
	if (o.n != 1 || !o.same)
		fuzz_fail("re-encoded record does not parse back");
	free(buf);
}

static void decode(const char *json, size_t len)
{
	struct ib_record r;
	struct ib_err err = {0};

	if (ib_record_decode(json, len, &r, &err) != 0) {
		if (!err.msg[0])
			fuzz_fail("record rejected without a message");
		return;
	}
	if (r.type == IB_REC_SAMPLE) {
		char *canon = ib_params_canon(r.params);

		if (!canon || !r.bench || !r.metric || !r.unit)
			fuzz_fail("accepted sample lacks a field");
		free(canon);
	}
	ib_record_free(&r);
}

static void on_frame(void *user, enum ib_frame_kind kind, const char *data,
		     size_t len, uint64_t offset, const char *why)
{
	struct ctx *c = user;
	uint64_t word[3] = {(uint64_t)kind, len, offset};

	c->n++;
	hash_add(c, word, sizeof(word));
	hash_add(c, data, len);
	if (why)
		hash_add(c, why, strlen(why) + 1);
	if (len > IB_FRAME_MAX_LINE)
		fuzz_fail("callback of %zu bytes, over the line limit", len);
	if (offset > c->size || len > c->size - offset ||
	    (len && memcmp(c->data + offset, data, len) != 0))
		fuzz_fail("bytes at offset %llu are not the callback's",
			  (unsigned long long)offset);
	switch (kind) {
	case IB_FRAME_RECORD:
		if (why || len < 2 || data[0] != '{' || data[len - 1] != '}' ||
		    memchr(data, '\n', len))
			fuzz_fail("a RECORD that is not one '{...}' line");
		if (offset < IB_FRAME_PREFIX_LEN ||
		    memcmp(c->data + offset - IB_FRAME_PREFIX_LEN,
			   IB_FRAME_PREFIX, IB_FRAME_PREFIX_LEN) != 0)
			fuzz_fail("a RECORD not preceded by the prefix");
		if (c->decode) {
			decode(data, len);
			check_reencode(data, len);
		}
		break;
	case IB_FRAME_CORRUPT:
		if (!why || !*why)
			fuzz_fail("CORRUPT without a reason");
		break;
	case IB_FRAME_TEXT:
		if (memchr(data, '\n', len))
			fuzz_fail("TEXT holding a newline");
		break;
	default:
		fuzz_fail("unknown callback kind %d", (int)kind);
	}
}

static void parse(const uint8_t *data, size_t size, int chunked,
		  struct ctx *c)
{
	static const size_t chunks[] = {1, 3, 7, 16, 61, 256, 4093, 65536,
					100000};
	const size_t nchunks = sizeof(chunks) / sizeof(chunks[0]);
	struct ib_frame_parser p;
	size_t k = size % nchunks;

	memset(c, 0, sizeof(*c));
	c->data = data;
	c->size = size;
	c->decode = !chunked;
	ib_frame_parser_init(&p, on_frame, c);
	if (!chunked) {
		ib_frame_feed(&p, (const char *)data, size);
	} else {
		for (size_t off = 0; off < size; k = (k + 1) % nchunks) {
			size_t n = chunks[k] < size - off ? chunks[k] : size - off;

			ib_frame_feed(&p, (const char *)data + off, n);
			off += n;
		}
	}
	ib_frame_finish(&p);
	ib_frame_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx whole, chunked;

	parse(data, size, 0, &whole);
	parse(data, size, 1, &chunked);
	if (whole.n != chunked.n || whole.hash != chunked.hash)
		fuzz_fail("chunked feeding differs: %u callbacks vs %u", whole.n,
			  chunked.n);
	return 0;
}
