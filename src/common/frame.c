#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "crc32.h"

static const char hexdigits[] = "0123456789abcdef";

int ib_frame_encode(char *out, size_t cap, const char *json, size_t len)
{
	size_t need = IB_FRAME_PREFIX_LEN + len + 2 + 8 + 1;
	uint32_t crc;

	if (need > cap || need > IB_FRAME_MAX_LINE || memchr(json, '\n', len))
		return -1;
	crc = ib_crc32(0, json, len);
	memcpy(out, IB_FRAME_PREFIX, IB_FRAME_PREFIX_LEN);
	memcpy(out + IB_FRAME_PREFIX_LEN, json, len);
	out += IB_FRAME_PREFIX_LEN + len;
	*out++ = ' ';
	*out++ = '#';
	for (int shift = 28; shift >= 0; shift -= 4)
		*out++ = hexdigits[(crc >> shift) & 15];
	*out = '\n';
	return (int)need;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Finds the prefix in line; memmem is a GNU/musl extension, this is small. */
static const char *find_prefix(const char *line, size_t len)
{
	for (size_t i = 0; i + IB_FRAME_PREFIX_LEN <= len; i++)
		if (line[i] == '@' &&
		    memcmp(line + i, IB_FRAME_PREFIX, IB_FRAME_PREFIX_LEN) == 0)
			return line + i;
	return NULL;
}

void ib_frame_line(const char *line, size_t len, uint64_t offset,
		   ib_frame_cb cb, void *user)
{
	const char *rec, *json, *tail;
	size_t jlen, rlen;
	uint32_t want = 0;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	rec = find_prefix(line, len);
	if (!rec) {
		cb(user, IB_FRAME_TEXT, line, len, offset, NULL);
		return;
	}
	rlen = len - (size_t)(rec - line);
	/* prefix, at least "{}", " #", 8 hex digits */
	if (rlen < IB_FRAME_PREFIX_LEN + 2 + 2 + 8) {
		cb(user, IB_FRAME_CORRUPT, line, len, offset,
		   "record too short for its framing");
		return;
	}
	tail = rec + rlen - 10;
	if (tail[0] != ' ' || tail[1] != '#') {
		cb(user, IB_FRAME_CORRUPT, line, len, offset,
		   "record has no checksum at its end");
		return;
	}
	for (int i = 0; i < 8; i++) {
		int v = hexval(tail[2 + i]);
		if (v < 0) {
			cb(user, IB_FRAME_CORRUPT, line, len, offset,
			   "record checksum is not 8 lowercase hex digits");
			return;
		}
		want = (want << 4) | (uint32_t)v;
	}
	json = rec + IB_FRAME_PREFIX_LEN;
	jlen = (size_t)(tail - json);
	if (json[0] != '{' || json[jlen - 1] != '}') {
		cb(user, IB_FRAME_CORRUPT, line, len, offset,
		   "record body is not a JSON object");
		return;
	}
	if (ib_crc32(0, json, jlen) != want) {
		cb(user, IB_FRAME_CORRUPT, line, len, offset,
		   "record checksum mismatch");
		return;
	}
	/* Text before the record on the same line (a kernel message that was
	 * not yet terminated) is kept as text, not lost. */
	if (rec > line)
		cb(user, IB_FRAME_TEXT, line, (size_t)(rec - line), offset, NULL);
	cb(user, IB_FRAME_RECORD, json, jlen, offset + (uint64_t)(json - line),
	   NULL);
}

void ib_frame_parser_init(struct ib_frame_parser *p, ib_frame_cb cb,
			  void *user)
{
	memset(p, 0, sizeof(*p));
	p->cb = cb;
	p->user = user;
}

static void flush_line(struct ib_frame_parser *p)
{
	/* an empty first line: nothing allocated yet, hand on "" not NULL */
	if (!p->line) {
		ib_frame_line("", 0, p->offset, p->cb, p->user);
		return;
	}
	if (p->overlong)
		p->cb(p->user, find_prefix(p->line, p->len) ? IB_FRAME_CORRUPT
							   : IB_FRAME_TEXT,
		      p->line, p->len, p->offset, "line longer than 64 KiB, cut");
	else
		ib_frame_line(p->line, p->len, p->offset, p->cb, p->user);
	p->len = 0;
	p->overlong = 0;
}

static int append(struct ib_frame_parser *p, const char *buf, size_t n)
{
	if (n == 0) /* nothing to add, and line may still be NULL */
		return 0;
	if (p->len + n > IB_FRAME_MAX_LINE) {
		n = IB_FRAME_MAX_LINE - p->len;
		p->overlong = 1;
	}
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		char *line;

		while (cap < p->len + n)
			cap *= 2;
		line = realloc(p->line, cap);
		if (!line)
			return -1;
		p->line = line;
		p->cap = cap;
	}
	memcpy(p->line + p->len, buf, n);
	p->len += n;
	return 0;
}

int ib_frame_feed(struct ib_frame_parser *p, const char *buf, size_t n)
{
	int rc = 0;

	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t chunk = nl ? (size_t)(nl - buf) : n;

		if (p->len == 0 && !p->overlong)
			p->offset = p->consumed;
		if (append(p, buf, chunk) < 0) {
			p->cb(p->user, IB_FRAME_CORRUPT, p->line, p->len,
			      p->offset, "out of memory");
			p->len = 0;
			rc = -1;
		}
		p->consumed += chunk;
		buf += chunk;
		n -= chunk;
		if (nl) {
			flush_line(p);
			p->consumed++;
			buf++;
			n--;
		}
	}
	return rc;
}

void ib_frame_finish(struct ib_frame_parser *p)
{
	if (p->overlong) {
		/* cut: reported as such, like a long line with its newline */
		flush_line(p);
		return;
	}
	if (p->len == 0)
		return;
	if (find_prefix(p->line, p->len))
		p->cb(p->user, IB_FRAME_CORRUPT, p->line, p->len, p->offset,
		      "truncated record: stream ended before its newline");
	else
		p->cb(p->user, IB_FRAME_TEXT, p->line, p->len, p->offset, NULL);
	p->len = 0;
	p->overlong = 0;
}

void ib_frame_parser_free(struct ib_frame_parser *p)
{
	free(p->line);
	p->line = NULL;
	p->len = p->cap = 0;
}
