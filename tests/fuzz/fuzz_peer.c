/* fuzz_peer: what an instance sends to isobench's peer (src/host/net/peer.c,
 * common/netproto.h): the bytes of one connection, then the client's
 * end-of-stream, over a Unix socket pair.
 *
 * Oracles, once the peer has ended the connection: nothing at all, or
 * exactly the protocol's answer: rr ('R') echoes every byte after the
 * mode byte; crr ('C') answers one byte; a stream to the peer ('S') with a
 * good hello is answered with its 16-byte count, which with no warm-up is
 * every byte after the hello; a stream from the peer ('T') sends only the
 * block's bytes; anything else (another mode, a bad magic, a block size
 * out of range, a hello cut short) is closed without a word. */
#include <stdlib.h>
#include <string.h>

#include "common/netproto.h"
#include "fuzz.h"
#include "net/peer.h"

#define HELLO (1 + sizeof(struct ib_net_hello))

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_buf out = {0};
	int closed = 0, good_hello = 0;
	char mode = size ? (char)data[0] : 0;

	if (size > 1 << 20)
		return 0;
	if (ib_peer_serve_bytes(data, size, 256 + (int)(size / 1024), 1 << 20,
				&out, &closed) < 0)
		fuzz_fail("no socket pair");
	if (size >= HELLO && le32(data + 1) == IB_NET_MAGIC)
		good_hello = mode == IB_NET_SINK ||
			     (mode == IB_NET_SOURCE && le32(data + 5) >= 1 &&
			      le32(data + 5) <= IB_NET_MAX_BLOCK);
	if (mode == IB_NET_SOURCE && good_hello) {
		for (size_t i = 0; i < out.len; i++)
			if (out.s[i] != 0)
				fuzz_fail("source: byte %zu is %d", i, out.s[i]);
	} else if (closed) {
		if (mode == IB_NET_RR) {
			if (out.len != size - 1 ||
			    memcmp(out.s ? out.s : "", data + 1, size - 1))
				fuzz_fail("rr: %zu bytes echoed of %zu", out.len,
					  size - 1);
		} else if (mode == IB_NET_CRR) {
			if (out.len != 1)
				fuzz_fail("crr: answered %zu bytes", out.len);
		} else if (mode == IB_NET_SINK && good_hello) {
			uint64_t counted = 0;

			if (out.len != sizeof(struct ib_net_count))
				fuzz_fail("sink: answered %zu bytes", out.len);
			for (int i = 7; i >= 0; i--)
				counted = counted << 8 | (uint8_t)out.s[i];
			if (le32(data + 9) == 0 ? counted != size - HELLO
						: counted > size - HELLO)
				fuzz_fail("sink: counted %llu of %zu",
					  (unsigned long long)counted,
					  size - HELLO);
		} else if (out.len) {
			fuzz_fail("mode %d: %zu bytes answered to a bad "
				  "connection", mode, out.len);
		}
	} else if (size < 4096 && mode != IB_NET_SOURCE) {
		fuzz_fail("a %zu-byte connection was not ended", size);
	}
	ib_buf_free(&out);
	return 0;
}
