/* image_archive: see image_archive.h. The layout `ctr images import`
 * (containerd 1.6, archive/importer) accepts as docker.v1.2:
 *
 *   manifest.json         [{"Config": "<hex>.json",
 *                           "RepoTags": ["<ref>"],
 *                           "Layers": ["<hex>/layer.tar"]}]
 *   <hex>.json            the image config: os, architecture, rootfs
 *                         (type "layers", diff_ids: the layer's sha256)
 *   <hex>/layer.tar       the rootfs, an uncompressed tar
 *
 * containerd computes the blobs' digests itself as it stores them; only
 * the diff_id must be right, since unpacking checks the layer against
 * it. The file names follow docker save's convention (digest hex), which
 * keeps two images in one archive apart, though isobench makes one. */
#include "images/image_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

int ib_sha256_hex(const void *data, size_t len, char hex[65],
		  struct ib_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return ib_err_set(err, -EIO, "sha256: libcrypto failed");
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

const char *ib_oci_arch(void)
{
	/* uname's machine names against the Go/OCI names containerd
	 * matches the image's platform with */
	static const struct {
		const char *uname, *oci;
	} map[] = {{"x86_64", "amd64"},  {"aarch64", "arm64"},
		   {"i686", "386"},      {"i386", "386"},
		   {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		   {"riscv64", "riscv64"}};
	static char machine[sizeof(((struct utsname *)0)->machine)];
	struct utsname u;

	if (uname(&u) != 0)
		return NULL;
	memcpy(machine, u.machine, sizeof(machine));
	for (size_t i = 0; i < IB_ARRAY_LEN(map); i++)
		if (!strcmp(machine, map[i].uname))
			return map[i].oci;
	return NULL;
}

/* libarchive writes through this into a growable buffer: the archives
 * are small (the probe), and a fixed buffer would have to guess. */
static la_ssize_t to_buf(struct archive *a, void *data, const void *p,
			 size_t n)
{
	(void)a;
	ib_buf_put(data, p, n);
	return (la_ssize_t)n;
}

static int tar_err(struct archive *a, struct ib_err *err, const char *what)
{
	return ib_err_set(err, -EIO, "image archive: %s: %s", what,
			  archive_error_string(a) ? archive_error_string(a)
						  : "libarchive failed");
}

/* Appends one entry (a directory when data is NULL) to a. */
static int add_entry(struct archive *a, const char *path, int mode,
		     const void *data, size_t len, struct ib_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, data ? AE_IFREG : AE_IFDIR);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (data)
		archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = tar_err(a, err, path);
	else if (data && len &&
		 archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = tar_err(a, err, path);
	archive_entry_free(e);
	return rc;
}

static struct archive *tar_open(struct ib_buf *out, struct ib_err *err)
{
	struct archive *a = archive_write_new();

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, to_buf, NULL) != ARCHIVE_OK) {
		tar_err(a, err, "open");
		archive_write_free(a);
		return NULL;
	}
	return a;
}

static int tar_close(struct archive *a, int rc, struct ib_err *err)
{
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = tar_err(a, err, "close");
	archive_write_free(a);
	return rc;
}

/* The rootfs: what oci.c's bundles hold, as a tar. */
static int layer_tar(const char *probe, struct ib_buf *out, struct ib_err *err)
{
	static const struct {
		const char *path;
		int mode;
	} dirs[] = {{"proc", 0555}, {"dev", 0755}, {"sys", 0555},
		    {"tmp", 01777}, {"scratch", 0755}, {"var", 0755},
		    {"var/isobench", 0755}};
	struct archive *a;
	size_t len;
	char *data = ib_read_file(probe, &len, err);
	int rc = 0;

	if (!data)
		return err ? err->code : -EIO;
	a = tar_open(out, err);
	if (!a) {
		free(data);
		return -EIO;
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(dirs) && rc == 0; i++)
		rc = add_entry(a, dirs[i].path, dirs[i].mode, NULL, 0, err);
	if (rc == 0)
		rc = add_entry(a, "isobench-probe", 0555, data, len, err);
	free(data);
	return tar_close(a, rc, err);
}

int ib_image_archive(const char *probe, const char *ref, struct ib_buf *tar,
		     char layer_digest[72], struct ib_err *err)
{
	struct ib_buf layer = {0};
	char lhex[65], chex[65], *cfg_text = NULL, *man_text = NULL;
	char *cfg_name = NULL, *layer_name = NULL;
	const char *arch = ib_oci_arch();
	cJSON *cfg = NULL, *man = NULL, *o, *a;
	struct archive *ar;
	int rc;

	if (!arch)
		return ib_err_set(err, -ENOTSUP, "image archive: this machine's "
				  "architecture has no OCI name known to isobench");
	if ((rc = layer_tar(probe, &layer, err)) < 0 ||
	    (rc = ib_sha256_hex(layer.s, layer.len, lhex, err)) < 0)
		goto out;

	cfg = cJSON_CreateObject();
	cJSON_AddStringToObject(cfg, "architecture", arch);
	cJSON_AddStringToObject(cfg, "os", "linux");
	o = cJSON_AddObjectToObject(cfg, "config");
	cJSON_AddStringToObject(o, "WorkingDir", "/");
	o = cJSON_AddObjectToObject(cfg, "rootfs");
	cJSON_AddStringToObject(o, "type", "layers");
	a = cJSON_AddArrayToObject(o, "diff_ids");
	{
		char *id = ib_xasprintf("sha256:%s", lhex);

		cJSON_AddItemToArray(a, cJSON_CreateString(id));
		if (layer_digest)
			snprintf(layer_digest, 72, "%s", id);
		free(id);
	}
	cfg_text = cJSON_PrintUnformatted(cfg);
	if ((rc = ib_sha256_hex(cfg_text, strlen(cfg_text), chex, err)) < 0)
		goto out;
	cfg_name = ib_xasprintf("%s.json", chex);
	layer_name = ib_xasprintf("%s/layer.tar", lhex);

	man = cJSON_CreateArray();
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(man, o);
	cJSON_AddStringToObject(o, "Config", cfg_name);
	a = cJSON_AddArrayToObject(o, "RepoTags");
	cJSON_AddItemToArray(a, cJSON_CreateString(ref));
	a = cJSON_AddArrayToObject(o, "Layers");
	cJSON_AddItemToArray(a, cJSON_CreateString(layer_name));
	man_text = cJSON_PrintUnformatted(man);

	ar = tar_open(tar, err);
	if (!ar) {
		rc = -EIO;
		goto out;
	}
	rc = add_entry(ar, "manifest.json", 0644, man_text, strlen(man_text), err);
	if (rc == 0)
		rc = add_entry(ar, cfg_name, 0644, cfg_text, strlen(cfg_text), err);
	if (rc == 0)
		rc = add_entry(ar, lhex, 0755, NULL, 0, err);
	if (rc == 0)
		rc = add_entry(ar, layer_name, 0644, layer.s, layer.len, err);
	rc = tar_close(ar, rc, err);
out:
	cJSON_Delete(cfg);
	cJSON_Delete(man);
	cJSON_free(cfg_text);
	cJSON_free(man_text);
	free(cfg_name);
	free(layer_name);
	ib_buf_free(&layer);
	return rc;
}
