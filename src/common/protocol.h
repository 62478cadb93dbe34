/* protocol: what the probe and the host agree on, in one place: the
 * version of the record protocol (docs/protocol.md), the probe's own
 * version, the limits both sides size their tables by, and the one macro
 * both use for a table's length. */
#ifndef ISOBENCH_PROTOCOL_H
#define ISOBENCH_PROTOCOL_H

/* The record protocol: a probe's hello carries it; the host refuses a
 * probe that speaks another. */
#define IB_PROTOCOL_VERSION 1
/* The probe's version, in its hello record and `--version`. */
#define IB_PROBE_VERSION "0.1.0"
/* Parameters of one workload in the catalogue (common/params.c), at most:
 * the probe's and the plan's per-job tables hold this many. */
#define IB_MAX_PARAMS 16

/* The number of elements of array a (an array, not a pointer). */
#define IB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
