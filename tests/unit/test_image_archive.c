/* Unit tests of image_archive.c: the SHA-256 helper against a known
 * vector, and the docker-archive `ctr images import` reads: its entries,
 * and the config's diff_id being the SHA-256 of the layer it names (what
 * containerd checks when it unpacks the image). */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "images/image_archive.h"

static void test_sha256_vector(void **state)
{
	char hex[65];

	(void)state;
	assert_int_equal(ib_sha256_hex("abc", 3, hex, NULL), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
}

/* Reads every regular file of the tar in buf into names/datas. */
static int read_tar(const void *buf, size_t len, char *names[8],
		    struct ib_buf datas[8])
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int n = 0;

	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_memory(a, buf, len), ARCHIVE_OK);
	while (n < 8 && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char chunk[65536];
		la_ssize_t r;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		names[n] = ib_xstrdup(archive_entry_pathname(e));
		memset(&datas[n], 0, sizeof(datas[n]));
		while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			ib_buf_put(&datas[n], chunk, (size_t)r);
		n++;
	}
	archive_read_free(a);
	return n;
}

static void test_archive_layout(void **state)
{
	char path[] = "/tmp/isobench-unit-probe.XXXXXX", digest[72], hex[65];
	struct ib_buf tar = {0}, datas[8];
	char *names[8] = {0}, *want;
	const char *probe_text = "#!/bin/false\n";
	int fd = mkstemp(path), n, man = -1, cfg = -1, layer = -1;
	cJSON *m, *c;
	struct ib_err err = {0};

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, probe_text, strlen(probe_text)),
			 (ssize_t)strlen(probe_text));
	close(fd);
	assert_int_equal(ib_image_archive(path, "localhost/isobench-probe:t",
					  &tar, digest, &err), 0);
	unlink(path);
	n = read_tar(tar.s, tar.len, names, datas);
	assert_int_equal(n, 3);
	m = NULL;
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], "manifest.json"))
			man = i;
	assert_true(man >= 0);
	m = cJSON_Parse(datas[man].s);
	assert_non_null(m);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "RepoTags"), 0)),
		"localhost/isobench-probe:t");
	for (int i = 0; i < n; i++) {
		const char *cn = cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetArrayItem(m, 0), "Config"));
		const char *ln = cJSON_GetStringValue(cJSON_GetArrayItem(
			cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "Layers"), 0));

		if (!strcmp(names[i], cn))
			cfg = i;
		if (!strcmp(names[i], ln))
			layer = i;
	}
	assert_true(cfg >= 0 && layer >= 0);
	/* the config's diff_id is the layer's SHA-256, as returned */
	assert_int_equal(ib_sha256_hex(datas[layer].s, datas[layer].len, hex, NULL), 0);
	want = ib_xasprintf("sha256:%s", hex);
	assert_string_equal(digest, want);
	c = cJSON_Parse(datas[cfg].s);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(c, "rootfs"), "diff_ids"), 0)),
		want);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(c, "os")), "linux");
	/* the layer holds the probe at /isobench-probe */
	{
		char *lnames[8] = {0};
		struct ib_buf ldatas[8];
		int ln = read_tar(datas[layer].s, datas[layer].len, lnames, ldatas), found = 0;

		for (int i = 0; i < ln; i++) {
			if (!strcmp(lnames[i], "isobench-probe")) {
				found = 1;
				assert_string_equal(ldatas[i].s, probe_text);
			}
			free(lnames[i]);
			ib_buf_free(&ldatas[i]);
		}
		assert_true(found);
	}
	cJSON_Delete(c);
	cJSON_Delete(m);
	free(want);
	for (int i = 0; i < n; i++) {
		free(names[i]);
		ib_buf_free(&datas[i]);
	}
	ib_buf_free(&tar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vector),
		cmocka_unit_test(test_archive_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
