/* frame: the line framing of probe records (see docs/protocol.md).
 *
 *   @@ib1 {"type":"sample",...} #1a2b3c4d\n
 *
 * A fixed prefix, one JSON object, a space, '#', the CRC-32 of the JSON
 * bytes in 8 lowercase hex digits, a newline. The prefix may appear anywhere
 * in a line because on a serial console kernel messages can precede it;
 * anything around a record is kept as text, never parsed as a record. A
 * record whose checksum or shape is wrong is reported as corrupt, with the
 * reason, and its bytes are handed back so the caller can keep them.
 *
 * The encoder is libc-only (the probe uses it); the decoder works on bytes
 * and knows nothing of JSON beyond the framing (the host decodes the JSON). */
#ifndef ISOBENCH_FRAME_H
#define ISOBENCH_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define IB_FRAME_PREFIX "@@ib1 "
#define IB_FRAME_PREFIX_LEN 6
/* Longest line the decoder buffers; a longer line is cut and reported. */
#define IB_FRAME_MAX_LINE 65536

/* Writes the framed form of json[0..len) into out (capacity cap).
 * Returns the framed length, or -1 if it does not fit or json has a
 * newline (a record is one line). */
int ib_frame_encode(char *out, size_t cap, const char *json, size_t len);

enum ib_frame_kind {
	IB_FRAME_RECORD,  /* data/len: the JSON, checksum verified */
	IB_FRAME_CORRUPT, /* data/len: the whole line; why: what is wrong */
	IB_FRAME_TEXT,    /* data/len: a line holding no record (no newline) */
};

/* Called once per line (twice when text precedes a record on it).
 * offset: byte offset in the stream of data[0]: the JSON for a RECORD, the
 * line's start otherwise. data is only valid during the call. */
typedef void (*ib_frame_cb)(void *user, enum ib_frame_kind kind,
			    const char *data, size_t len, uint64_t offset,
			    const char *why);

struct ib_frame_parser {
	char *line;        /* owned; grows up to IB_FRAME_MAX_LINE */
	size_t len, cap;
	uint64_t offset;   /* stream offset of line[0] */
	uint64_t consumed; /* bytes fed so far */
	int overlong;      /* current line already exceeded the limit */
	ib_frame_cb cb;
	void *user;
};

void ib_frame_parser_init(struct ib_frame_parser *p, ib_frame_cb cb,
			  void *user);
/* Feeds n bytes. Returns 0, or -1 if memory ran out (the line is then
 * reported as corrupt with why "out of memory"). */
int ib_frame_feed(struct ib_frame_parser *p, const char *buf, size_t n);
/* End of stream: a partial last line is reported (a record without its
 * newline is corrupt: "truncated"). */
void ib_frame_finish(struct ib_frame_parser *p);
void ib_frame_parser_free(struct ib_frame_parser *p);

/* Classifies one complete line (without its '\n'; a trailing '\r' is
 * ignored) and calls cb. Exposed for tests. */
void ib_frame_line(const char *line, size_t len, uint64_t offset,
		   ib_frame_cb cb, void *user);

#endif
