/* vm_image: guest kernel discovery and the probe's initramfs (vm_image.h).
 *
 * The initramfs is written with libarchive (newc cpio and the kernel's
 * decompressors' formats) and named by the SHA-256 (OpenSSL) of its
 * inputs. Every entry has fixed owner, mode, inode and time, so the same
 * inputs give the same bytes. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "images/vm_image.h"
#include "images/app_image.h"

#define FORMAT_VERSION "isobench-initramfs 1"

/* What each bus needs: the transport, the scratch disk, the network and
 * the console devices; their dependencies come from modules.dep. */
static const char *const mmio_modules[] = {"virtio_mmio", "virtio_blk",
					   "virtio_net", "virtio_console"};
static const char *const pci_modules[] = {"virtio_pci", "virtio_blk",
					  "virtio_net", "virtio_console"};

const char *ib_vm_cache_dir(void)
{
	const char *d = getenv("ISOBENCH_VM_CACHE");

	return d && *d ? d : IB_VM_CACHE;
}

/* SHA-256 of a file's bytes in hex (65 bytes), or "" if unreadable. */
static void file_sha256(const char *path, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	size_t n;
	char *data = ib_read_file(path, &n, NULL);

	hex[0] = '\0';
	if (!data)
		return;
	if (EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) == 1)
		for (unsigned i = 0; i < len && i < 32; i++)
			sprintf(hex + 2 * i, "%02x", md[i]);
	free(data);
}

void ib_vm_kernel_free(struct ib_vm_kernel *k)
{
	free(k->path);
	free(k->version);
	free(k->modules);
	free(k->config);
	memset(k, 0, sizeof(*k));
}

void ib_vm_image_free(struct ib_vm_image *img)
{
	ib_vm_kernel_free(&img->kernel);
	free(img->initramfs);
	free(img->sha256);
	memset(img, 0, sizeof(*img));
}

/* The release string a bzImage carries (boot protocol >= 2.00: a pointer
 * at 0x20e to a NUL-terminated string, 0x200 bytes before it counted). */
static char *bzimage_version(const char *path)
{
	unsigned char hdr[0x210];
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *v = NULL;

	if (fd < 0)
		return NULL;
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    memcmp(hdr + 0x202, "HdrS", 4) == 0) {
		unsigned off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, (off_t)off + 0x200);

		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, " ")] = '\0'; /* "6.1.0-x (builder@...)" */
			if (buf[0])
				v = ib_xstrdup(buf);
		}
	}
	close(fd);
	return v;
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void kernel_fill(struct ib_vm_kernel *k)
{
	char *p;

	p = ib_xasprintf("/lib/modules/%s", k->version);
	if (is_dir(p)) {
		k->modules = p;
	} else {
		free(p);
	}
	p = ib_xasprintf("/boot/config-%s", k->version);
	if (access(p, R_OK) == 0)
		k->config = p;
	else
		free(p);
}

int ib_vm_kernel_find(const char *path, struct ib_vm_kernel *k,
		      struct ib_err *err)
{
	memset(k, 0, sizeof(*k));
	if (!path || !*path)
		path = getenv("ISOBENCH_GUEST_KERNEL");
	if (path && *path) {
		const char *base = strrchr(path, '/');

		if (access(path, R_OK) != 0)
			return ib_err_set(err, -ENOENT, "guest kernel %s: %s",
					  path, strerror(errno));
		k->path = ib_xstrdup(path);
		k->version = bzimage_version(path);
		base = base ? base + 1 : path;
		if (!k->version && (strncmp(base, "vmlinuz-", 8) == 0 ||
				    strncmp(base, "vmlinux-", 8) == 0))
			k->version = ib_xstrdup(base + 8);
		if (!k->version)
			k->version = ib_xstrdup("unknown");
		kernel_fill(k);
		return 0;
	}
	/* The newest /boot/vmlinuz-* whose modules are installed. */
	{
		DIR *d = opendir("/boot");
		struct dirent *de;
		char *best = NULL;

		while (d && (de = readdir(d))) {
			char *mods;

			if (strncmp(de->d_name, "vmlinuz-", 8) != 0)
				continue;
			mods = ib_xasprintf("/lib/modules/%s/modules.dep",
					    de->d_name + 8);
			if (access(mods, R_OK) == 0 &&
			    (!best || strverscmp(de->d_name + 8, best) > 0)) {
				free(best);
				best = ib_xstrdup(de->d_name + 8);
			}
			free(mods);
		}
		if (d)
			closedir(d);
		if (!best)
			return ib_err_set(
				err, -ENOENT,
				"no guest kernel: no /boot/vmlinuz-* with its "
				"modules in /lib/modules (install "
				"linux-image-cloud-amd64, or name one with "
				"ISOBENCH_GUEST_KERNEL=/path/to/vmlinuz)");
		k->path = ib_xasprintf("/boot/vmlinuz-%s", best);
		k->version = best;
		kernel_fill(k);
	}
	return 0;
}

/* --- modules.dep --------------------------------------------------------- */

/* A module's path as modules.dep may give it: relative to the modules
 * directory, never leaving it (it becomes a source path and a path in
 * the initramfs). */
static int moddep_path_ok(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");

		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		c += *c == '/';
	}
	return 1;
}

int ib_moddep_parse(const char *text, size_t len, struct ib_moddep *m)
{
	const char *p = text, *end = text + len;

	memset(m, 0, sizeof(*m));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, n), *colon;

		if (!line)
			abort();
		p += n + (nl != NULL);
		colon = strchr(line, ':');
		if (colon) {
			*colon = '\0';
			/* a path that would leave the directory: not a module
			 * (a dependency on it is then not listed); a path
			 * listed again: its first line counts, as every
			 * lookup finds that one */
			if (moddep_path_ok(line) &&
			    ib_strv_find(&m->paths, line) < 0) {
				ib_strv_push(&m->paths, line);
				ib_strv_push(&m->deps, colon + 1);
			}
		}
		free(line);
	}
	return m->paths.n;
}

static int moddep_load(const char *dir, struct ib_moddep *m, struct ib_err *err)
{
	char *p = ib_xasprintf("%s/modules.dep", dir);
	size_t len;
	char *text = ib_read_file(p, &len, err);

	free(p);
	if (!text)
		return err->code;
	ib_moddep_parse(text, len, m);
	free(text);
	return 0;
}

void ib_moddep_free(struct ib_moddep *m)
{
	ib_strv_free(&m->paths);
	ib_strv_free(&m->deps);
}

/* Index of module name ("virtio_blk", or a path) in m, or -1. Names
 * match with '-' and '_' alike, as modprobe's do. */
int ib_moddep_find(const struct ib_moddep *m, const char *name)
{
	/* a path first: a name matching an earlier module's file name must
	 * not hide the module whose path it is */
	for (int i = 0; i < m->paths.n; i++)
		if (strcmp(m->paths.v[i], name) == 0)
			return i;
	for (int i = 0; i < m->paths.n; i++) {
		const char *base = strrchr(m->paths.v[i], '/');
		size_t n;

		base = base ? base + 1 : m->paths.v[i];
		n = strcspn(base, ".");
		if (n != strlen(name))
			continue;
		for (size_t j = 0;; j++) {
			char a = base[j] == '-' ? '_' : base[j];
			char b = name[j] == '-' ? '_' : name[j];

			if (j == n)
				return i;
			if (a != b)
				break;
		}
	}
	return -1;
}

/* Is name built into the kernel (modules.builtin lists its path)? */
static int builtin(const char *dir, const char *name)
{
	char *p = ib_xasprintf("%s/modules.builtin", dir), line[512];
	FILE *f = fopen(p, "re");
	int found = 0;

	free(p);
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *base = strrchr(line, '/');

		base = base ? base + 1 : line;
		base[strcspn(base, ".\n")] = '\0';
		for (char *c = base; *c; c++)
			if (*c == '-')
				*c = '_';
		found = strcmp(base, name) == 0;
	}
	if (f)
		fclose(f);
	return found;
}

/* Appends module i and, first, what it needs, to order (load order).
 * modules.dep lists the whole closure, the module loaded last first, so
 * walking it backwards loads every dependency before its users. mark[i]:
 * 1 while i's dependencies are being walked (meeting it again is a
 * cycle), 2 once it is in order: every module is walked once, however
 * the file links them. */
static int moddep_order(const struct ib_moddep *m, int i, struct ib_strv *order,
			char *mark, int depth, struct ib_err *err)
{
	struct ib_strv deps = {0};
	char *list;

	if (mark[i] == 2 || ib_strv_find(order, m->paths.v[i]) >= 0)
		return 0;
	if (mark[i] == 1 || depth > 64)
		return ib_err_set(err, -ELOOP, "modules.dep: a dependency "
				  "cycle through %s", m->paths.v[i]);
	mark[i] = 1;
	list = ib_xstrdup(m->deps.v[i]);
	for (char *save = NULL, *w = strtok_r(list, " \t\r", &save); w;
	     w = strtok_r(NULL, " \t\r", &save))
		ib_strv_push(&deps, w);
	free(list);
	for (int d = deps.n - 1; d >= 0; d--) {
		int j = ib_moddep_find(m, deps.v[d]);

		if (j < 0) {
			ib_err_set(err, -ENOENT,
				   "modules.dep: %s needs %s, which it does "
				   "not list", m->paths.v[i], deps.v[d]);
			ib_strv_free(&deps);
			return err->code;
		}
		if (moddep_order(m, j, order, mark, depth + 1, err) < 0) {
			ib_strv_free(&deps);
			return err->code;
		}
	}
	ib_strv_free(&deps);
	ib_strv_push(order, m->paths.v[i]);
	mark[i] = 2;
	return 0;
}

int ib_moddep_order(const struct ib_moddep *m, int i, struct ib_strv *order,
		    struct ib_err *err)
{
	char *mark = ib_xcalloc((size_t)m->paths.n + 1, 1);
	int rc = moddep_order(m, i, order, mark, 0, err);

	free(mark);
	return rc;
}

/* --- the image ----------------------------------------------------------- */

static const char *pick_compression(const struct ib_vm_kernel *k)
{
	char *cfg = k->config ? ib_read_file(k->config, NULL, NULL) : NULL;
	const char *c = "none";

	/* Without the config nothing is known: an uncompressed cpio is the
	 * one form every kernel unpacks. */
	if (cfg && strstr(cfg, "\nCONFIG_RD_ZSTD=y"))
		c = "zstd";
	else if (cfg && strstr(cfg, "\nCONFIG_RD_GZIP=y"))
		c = "gzip";
	free(cfg);
	return c;
}

struct image_file {
	char *src;   /* host path */
	char *dst;   /* path in the image, no leading '/' */
	int mode;
};

static void hash_bytes(EVP_MD_CTX *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h, p, n);
}

static void hash_str(EVP_MD_CTX *h, const char *s)
{
	hash_bytes(h, s, strlen(s) + 1); /* with its NUL: no ambiguity */
}

/* Every directory on the way to path (not path itself), once. */
static int add_parents(struct archive *a, const char *path,
		       struct ib_strv *made, int64_t *ino)
{
	char *p = ib_xstrdup(path);
	int rc = 0;

	for (char *s = strchr(p, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (ib_strv_find(made, p) < 0) {
			ib_strv_push(made, p);
			rc = ib_archive_entry_write(a, p, S_IFDIR | 0755, NULL, 0, 0, (*ino)++);
		}
		*s = '/';
	}
	free(p);
	return rc;
}

static int write_image(const char *tmp, const char *compression,
		       const struct image_file *files, int nfiles,
		       const char *modlist, struct ib_err *err)
{
	static const char *const dirs[] = {"dev", "proc", "sys", "tmp", "etc"};
	struct archive *a = archive_write_new();
	struct ib_strv made = {0};
	int64_t ino = 1;
	int rc = 0;

	archive_write_set_format_cpio_newc(a);
	if (strcmp(compression, "zstd") == 0)
		rc = archive_write_add_filter_zstd(a);
	else if (strcmp(compression, "gzip") == 0)
		rc = archive_write_add_filter_gzip(a);
	if (rc != ARCHIVE_OK) {
		ib_err_set(err, -ENOTSUP, "libarchive cannot write %s: %s",
			   compression, archive_error_string(a));
		archive_write_free(a);
		return err->code;
	}
	/* no padding to a 10 KiB block after the archive */
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		ib_err_set(err, -EIO, "cannot write %s: %s", tmp,
			   archive_error_string(a));
		archive_write_free(a);
		return err->code;
	}
	for (size_t i = 0; i < IB_ARRAY_LEN(dirs) && rc == 0; i++) {
		ib_strv_push(&made, dirs[i]);
		rc = ib_archive_entry_write(a, dirs[i], S_IFDIR | 0755, NULL, 0, 0, ino++);
	}
	/* the kernel opens it for init's stdin, stdout and stderr */
	if (rc == 0)
		rc = ib_archive_entry_write(a, "dev/console", S_IFCHR | 0600, NULL, 0,
			       makedev(5, 1), ino++);
	if (rc == 0)
		rc = ib_archive_entry_write(a, "etc/isobench-modules", S_IFREG | 0644,
			       modlist, strlen(modlist), 0, ino++);
	for (int i = 0; i < nfiles && rc == 0; i++) {
		size_t len;
		char *data = ib_read_file(files[i].src, &len, err);

		if (!data) {
			archive_write_free(a);
			ib_strv_free(&made);
			return err->code;
		}
		rc = add_parents(a, files[i].dst, &made, &ino);
		if (rc == 0)
			rc = ib_archive_entry_write(a, files[i].dst, S_IFREG | (unsigned)files[i].mode,
				       data, len, 0, ino++);
		free(data);
	}
	ib_strv_free(&made);
	if (archive_write_close(a) != ARCHIVE_OK && rc == 0)
		rc = -EIO;
	if (rc < 0)
		ib_err_set(err, rc, "writing %s: %s", tmp,
			   archive_error_string(a) ? archive_error_string(a)
						   : strerror(-rc));
	archive_write_free(a);
	return rc;
}

/* The modules the guest needs for its bus (want, 4 of them) and their
 * dependencies, in load order, into order: none when the kernel has no
 * modules directory; a module neither in modules.dep nor built in is an
 * error naming it. */
static int modules_needed(struct ib_vm_image *img, const char *const *want,
			  struct ib_moddep *dep, struct ib_strv *order,
			  struct ib_err *err)
{
	int rc;

	if (!img->kernel.modules)
		return 0;
	rc = moddep_load(img->kernel.modules, dep, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < 4; i++) {
		int j = ib_moddep_find(dep, want[i]);

		if (j < 0) {
			if (builtin(img->kernel.modules, want[i]))
				continue;
			return ib_err_set(err, -ENOENT,
					  "guest kernel %s: module %s is "
					  "neither in %s/modules.dep nor "
					  "built in",
					  img->kernel.version, want[i],
					  img->kernel.modules);
		}
		rc = ib_moddep_order(dep, j, order, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* img->sha256: the image's inputs hashed in a fixed order (the format's
 * version, the compression, the module list, each file's name, length
 * and bytes). */
static int hash_inputs(struct ib_vm_image *img, const struct image_file *files,
		       int nfiles, const char *modlist, struct ib_err *err)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc = 0;

	if (!h || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1) {
		rc = ib_err_set(err, -ENOMEM, "SHA-256 unavailable (OpenSSL)");
		goto out;
	}
	hash_str(h, FORMAT_VERSION);
	hash_str(h, img->compression);
	hash_str(h, modlist);
	for (int i = 0; i < nfiles; i++) {
		size_t len;
		char *data = ib_read_file(files[i].src, &len, err);

		if (!data) {
			rc = err->code;
			goto out;
		}
		hash_str(h, files[i].dst);
		hash_bytes(h, &len, sizeof(len));
		hash_bytes(h, data, len);
		free(data);
	}
	EVP_DigestFinal_ex(h, md, &mdlen);
	img->sha256 = ib_xmalloc(mdlen * 2 + 1);
	for (unsigned i = 0; i < mdlen; i++)
		sprintf(img->sha256 + 2 * i, "%02x", md[i]);
out:
	if (h)
		EVP_MD_CTX_free(h);
	return rc;
}

int ib_vm_image_get(const char *probe_path, const char *kernel_path,
		    enum ib_vm_bus bus, struct ib_vm_image *img,
		    struct ib_err *err)
{
	const char *const *want = bus == IB_VM_BUS_PCI ? pci_modules : mmio_modules;
	struct ib_moddep dep = {0};
	struct ib_strv order = {0};
	struct image_file *files = NULL;
	struct ib_buf modlist = {0};
	int nfiles = 0, rc;
	char *sum_path = NULL;

	memset(img, 0, sizeof(*img));
	rc = ib_vm_kernel_find(kernel_path, &img->kernel, err);
	if (rc < 0)
		return rc;
	img->compression = pick_compression(&img->kernel);
	rc = modules_needed(img, want, &dep, &order, err);
	if (rc < 0)
		goto out;
	/* The inputs, hashed in a fixed order. */
	files = ib_xcalloc((size_t)order.n + 1, sizeof(*files));
	files[nfiles].src = ib_xstrdup(probe_path);
	files[nfiles].dst = ib_xstrdup("init");
	files[nfiles++].mode = 0755;
	for (int i = 0; i < order.n; i++) {
		files[nfiles].src = ib_xasprintf("%s/%s", img->kernel.modules,
						 order.v[i]);
		files[nfiles].dst = ib_xasprintf("lib/modules/%s/%s",
						 img->kernel.version, order.v[i]);
		files[nfiles++].mode = 0644;
		ib_buf_printf(&modlist, "/lib/modules/%s/%s\n",
			      img->kernel.version, order.v[i]);
	}
	img->nmodules = order.n;
	rc = hash_inputs(img, files, nfiles, modlist.s ? modlist.s : "", err);
	if (rc < 0)
		goto out;
	img->initramfs = ib_xasprintf(
		"%s/initramfs-%.16s.cpio%s", ib_vm_cache_dir(), img->sha256,
		strcmp(img->compression, "zstd") == 0   ? ".zst"
		: strcmp(img->compression, "gzip") == 0 ? ".gz"
							: "");
	sum_path = ib_xasprintf("%s.sum", img->initramfs);
	{
		char *recorded = ib_read_file(sum_path, NULL, NULL), have[65];

		file_sha256(img->initramfs, have);
		if (recorded && have[0] && strncmp(recorded, have, 64) == 0) {
			free(recorded);
			goto out; /* cached, and intact */
		}
		free(recorded);
	}
	rc = ib_mkdirs(ib_vm_cache_dir(), 0755, err);
	if (rc == 0) {
		char *tmp = ib_xasprintf("%s.tmp.%d", img->initramfs, (int)getpid());
		char sum[66];

		rc = write_image(tmp, img->compression, files, nfiles,
				 modlist.s ? modlist.s : "", err);
		file_sha256(tmp, sum);
		strcat(sum, "\n");
		/* the image under its name first, then its sum: a crash in
		 * between leaves an entry that is built again */
		if (rc == 0 && rename(tmp, img->initramfs) != 0)
			rc = ib_err_set(err, -errno, "rename %s: %s", tmp,
					strerror(errno));
		if (rc == 0)
			rc = ib_write_file_atomic(sum_path, sum, strlen(sum), err);
		if (rc < 0)
			unlink(tmp);
		free(tmp);
		img->built = rc == 0;
	}
out:
	free(sum_path);
	for (int i = 0; i < nfiles; i++) {
		free(files[i].src);
		free(files[i].dst);
	}
	free(files);
	ib_buf_free(&modlist);
	ib_strv_free(&order);
	ib_moddep_free(&dep);
	if (rc < 0)
		ib_vm_image_free(img);
	return rc;
}

char *ib_vm_cmdline(const char *console, const char *extra,
		    char *const *probe_argv, struct ib_err *err)
{
	struct ib_buf b = {0};

	/* quiet: the console is the result channel; panic=-1: a guest that
	 * panics reboots at once, which -no-reboot turns into an exit */
	ib_buf_printf(&b, "console=%s quiet panic=-1", console);
	if (extra && *extra)
		ib_buf_printf(&b, " %s", extra);
	ib_buf_puts(&b, " --");
	for (char *const *a = probe_argv; a && *a; a++) {
		if (!**a || strpbrk(*a, " \t\n\"'")) {
			ib_err_set(err, -EINVAL,
				   "probe argument '%s' cannot go on a kernel "
				   "command line (empty, or a blank or quote "
				   "in it)",
				   *a);
			ib_buf_free(&b);
			return NULL;
		}
		ib_buf_printf(&b, " %s", *a);
	}
	return b.s;
}

/* --- an application's tree on top of the image --------------------------- */

int ib_vm_initrd_with_tree(const char *base, const char *tree,
			   const char *out, struct ib_err *err)
{
	static const char zeros[512];
	int in = open(base, O_RDONLY | O_CLOEXEC), fd = -1, rc = 0;
	char buf[65536];
	uint64_t total = 0;
	ssize_t n;

	err->msg[0] = '\0';
	if (in < 0) {
		rc = ib_err_set(err, -errno, "%s: %s", base, strerror(errno));
		goto out;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = ib_err_set(err, -errno, "%s: %s", out, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			rc = ib_err_set(err, -EIO, "writing %s", out);
			goto out;
		}
		total += (uint64_t)n;
	}
	/* the kernel skips zeros between archives; the next starts aligned */
	if (n < 0 || (total % 512 &&
		      write(fd, zeros, 512 - total % 512) != (ssize_t)(512 - total % 512))) {
		rc = ib_err_set(err, -EIO, "%s or %s: %s", base, out, strerror(errno));
		goto out;
	}
	rc = ib_app_tree_write(tree, fd, IB_TREE_CPIO, err);
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	if (rc < 0 && fd >= 0)
		unlink(out);
	return rc;
}
