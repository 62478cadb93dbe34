/* image_archive: the probe's rootfs as an image archive that
 * `ctr images import` reads (the docker-archive format of `docker save`,
 * which containerd 1.6 imports as "docker.v1.2"), made here with
 * libarchive: no registry, no Dockerfile, no docker CLI.
 *
 * One layer: the static probe at /isobench-probe and the directories the
 * container's mounts and the probe's rootfs scratch need (the same tree
 * as the OCI runtimes' rootfs, oci.h). containerd checks that the layer's
 * content matches the diff_id in the image's config when it unpacks it,
 * so the layer's SHA-256 is computed here (OpenSSL's libcrypto). Every
 * timestamp is 0: the same probe always gives the same image digest. */
#ifndef ISOBENCH_IMAGE_ARCHIVE_H
#define ISOBENCH_IMAGE_ARCHIVE_H

#include <stddef.h>

#include "base/util.h"

/* Lowercase hex SHA-256 of data into hex (65 bytes). Returns 0 or -EIO. */
int ib_sha256_hex(const void *data, size_t len, char hex[65],
		  struct ib_err *err);

/* The image's architecture as OCI names it ("amd64", "arm64", ...) for
 * the machine isobench runs on; NULL if it has no OCI name known here. */
const char *ib_oci_arch(void);

/* Fills tar (appended to; caller frees) with a docker-archive holding one
 * image named ref ("localhost/isobench-probe:RUN-ID") whose single layer
 * is the rootfs with probe (a host path) at /isobench-probe. If
 * layer_digest is not NULL it gets "sha256:<hex>" of the layer (its
 * diff_id). Returns 0 or -errno with err set. */
int ib_image_archive(const char *probe, const char *ref, struct ib_buf *tar,
		     char layer_digest[72], struct ib_err *err);

#endif
