/* tcrc32: CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib's crc32) for
 * the integration test helpers. Written independently of src/common/crc32.c
 * on purpose: the tests check the product's framing against a second
 * implementation, not against itself. */
#ifndef ISOBENCH_TEST_CRC32_H
#define ISOBENCH_TEST_CRC32_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t tcrc32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

#endif
