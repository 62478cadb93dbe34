/* crc32: the IEEE 802.3 CRC-32 (the one zlib and Ethernet use).
 *
 * Shared by the probe (which stamps every record it writes) and the host
 * (which checks it), so that a record damaged on a shared serial console is
 * detected instead of being trusted. libc-only: the probe links it too. */
#ifndef ISOBENCH_CRC32_H
#define ISOBENCH_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 of len bytes at data. Pass 0 as crc to start; pass a previous
 * result to continue over a further chunk. */
uint32_t ib_crc32(uint32_t crc, const void *data, size_t len);

#endif
