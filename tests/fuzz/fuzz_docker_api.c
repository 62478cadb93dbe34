/* fuzz_docker_api: what the Docker engine sends back (src/host/engines/docker_api.c):
 * a container's log stream (frames of an 8-byte header and a payload,
 * stdout and stderr multiplexed) and the JSON replies to wait, create and
 * info, none of which is trusted.
 *
 * The bytes go through the demultiplexer twice: whole, and in pieces
 * (the first byte sets their size, as libcurl's writes would split
 * them). Then they are parsed as each reply.
 *
 * Oracles: both feeds give the same bytes, which are exactly the
 * payloads a straightforward reading of the frames finds (never a header
 * byte, never more than was fed); a wait reply gives an exit status
 * 0..255 or a signal 1..64, or -1 and -EPROTO; a create reply gives an id
 * of hex digits only, or none; an info reply gives a version whenever it
 * is a JSON object, and none otherwise. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engines/docker_api.h"
#include "fuzz.h"

static int collect(void *arg, const char *p, size_t n)
{
	ib_buf_put(arg, p, n);
	return 0;
}

/* The payloads, read frame by frame. */
static void reference(const uint8_t *d, size_t n, struct ib_buf *out)
{
	size_t off = 0;

	while (n - off >= 8) {
		size_t len = (size_t)d[off + 4] << 24 | (size_t)d[off + 5] << 16 |
			     (size_t)d[off + 6] << 8 | d[off + 7];

		off += 8;
		if (len > n - off)
			len = n - off;
		ib_buf_put(out, (const char *)d + off, len);
		off += len;
	}
}

static void demux(const uint8_t *data, size_t size)
{
	struct ib_docker_demux whole = {0}, cut = {0};
	struct ib_buf a = {0}, b = {0}, ref = {0};
	size_t step = size ? (size_t)data[0] % 16 + 1 : 1;

	if (ib_docker_demux_feed(&whole, (const char *)data, size, collect, &a) < 0)
		fuzz_fail("demux failed whole");
	for (size_t off = 0; off < size; off += step) {
		size_t n = size - off < step ? size - off : step;

		if (ib_docker_demux_feed(&cut, (const char *)data + off, n, collect,
					 &b) < 0)
			fuzz_fail("demux failed in pieces");
	}
	reference(data, size, &ref);
	if (a.len != b.len || (a.len && memcmp(a.s, b.s, a.len)))
		fuzz_fail("demux: %zu bytes whole, %zu in pieces of %zu", a.len,
			  b.len, step);
	if (a.len != ref.len || (a.len && memcmp(a.s, ref.s, a.len)))
		fuzz_fail("demux: %zu bytes, the frames hold %zu", a.len, ref.len);
	if (a.len > size || whole.hdr_have > 7 || cut.hdr_have != whole.hdr_have ||
	    cut.payload_left != whole.payload_left)
		fuzz_fail("demux: inconsistent state");
	ib_buf_free(&a);
	ib_buf_free(&b);
	ib_buf_free(&ref);
}

static void replies(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	int code = 7, sig = 7, rc;
	char *id, *version = (char *)"x";

	rc = ib_docker_parse_wait(body, size, &code, &sig);
	if (rc == 0) {
		if (!((code >= 0 && code <= 255 && sig == 0) ||
		      (code == -1 && sig >= 1 && sig <= 64)))
			fuzz_fail("wait: exit %d, signal %d", code, sig);
	} else if (rc != -EPROTO || code != -1 || sig != 0) {
		fuzz_fail("wait refused as %d with exit %d, signal %d", rc, code,
			  sig);
	}
	id = ib_docker_parse_create(body, size);
	if (id && (!*id || strspn(id, "0123456789abcdef") != strlen(id)))
		fuzz_fail("create: an id that is not hex: %.80s", id);
	free(id);
	rc = ib_docker_parse_info(body, size, "runc", &version);
	if ((rc < 0) != (version == NULL) || rc < -EPROTO || rc > 1 ||
	    (rc < 0 && rc != -EPROTO))
		fuzz_fail("info: %d with version %s", rc, version ? version : "NULL");
	free(version);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	demux(data, size);
	replies(data, size);
	return 0;
}
