/* app_image: the root filesystem an application (nginx, mariadbd) runs
 * from, the same in every runtime. A small manifest names the programs and
 * their data files; the image holds those, every shared object the
 * programs need as their own loader resolves them (with the loader
 * itself), and nothing else, each at the path it has on the host, so the
 * unmodified Debian binaries find them where they look.
 *
 * Dependencies come from the loader named in the program's PT_INTERP, run
 * with --list (its own answer: ld.so.cache, hardware-capability
 * directories, RUNPATH), never by running the program; a program without
 * PT_INTERP is static and needs nothing. The manifest, the ELF header and
 * the loader's listing are parsed with bounds checks and fuzzed
 * (tests/fuzz/fuzz_app_image.c).
 *
 * An instance gets it through ib_app_image_link (the image's files hard-
 * linked into the OCI containers' rootfs) or ib_app_tree_write (an
 * archive of it: uploaded into a Docker container, appended to a VM's
 * initramfs); native runs the host's own files.
 *
 * Images are cached under IB_APP_CACHE, named by the SHA-256 of their
 * inputs (each file's path, mode, size and bytes, in sorted order): a
 * second run builds nothing, a changed program or library makes a new
 * image. An entry is used only if it is intact (exactly the inputs' files,
 * the same bytes: read back and hashed again); an entry that is not is
 * moved out of the cache into the run's directory (and removed with it),
 * and a new one is built. An image is built in the run's directory and
 * renamed into the cache, so a crash never leaves a half image under a
 * valid name. */
#ifndef ISOBENCH_APP_IMAGE_H
#define ISOBENCH_APP_IMAGE_H

#include <stdint.h>
#include <sys/types.h>

#include "base/util.h"

#define IB_APP_CACHE "/var/cache/isobench/app"

/* The cache directory: $ISOBENCH_APP_CACHE if set (tests), else
 * IB_APP_CACHE. */
const char *ib_app_cache_dir(void);

/* Where an application's launch files (its configuration, data and
 * command line) are in an instance's root of its own. */
#define IB_APP_PREFIX "/isobench-app"

struct ib_app_manifest {
	char *name;              /* [app] name: letters, digits, '-', '_' */
	struct ib_strv binaries; /* [app] binaries: absolute paths */
	struct ib_strv files;    /* [app] files: absolute paths, files or
				    directories copied whole */
};

/* Parses a manifest (INI: one section [app] with name, binaries, files;
 * lists comma-separated). source names it in errors ("apps/nginx.ini").
 * Every path must be absolute and normal (no "." or ".." component, no
 * "//", no control character). 0, or -EINVAL with err naming the line
 * and what is wrong. */
int ib_app_manifest_parse(const char *text, size_t len, const char *source,
			  struct ib_app_manifest *m, struct ib_err *err);
void ib_app_manifest_free(struct ib_app_manifest *m);

/* The program interpreter (PT_INTERP) of the ELF image in data[0..len)
 * into *interp (caller frees), or NULL for a static program. 0, or
 * -ENOEXEC with err saying what is wrong (not ELF, not 64-bit
 * little-endian, a header or segment outside the file). */
int ib_elf_interp(const unsigned char *data, size_t len, char **interp,
		  struct ib_err *err);

/* The absolute paths of the objects in a loader's --list output (the
 * loader's own line included, the vDSO left out), appended to paths. 0,
 * or -ENOENT with err naming a library the loader did not find, or
 * -EINVAL on a line it cannot read. */
int ib_ldlist_parse(const char *text, size_t len, struct ib_strv *paths,
		    struct ib_err *err);

/* Every host file the image of m holds: the binaries, their libraries and
 * loaders, and the files (directories walked; regular files only),
 * sorted, each once. 0, or < 0 with err naming the program or file. */
int ib_app_inputs(const struct ib_app_manifest *m, struct ib_strv *files,
		  struct ib_err *err);

/* Builds the image of m in dir, a new directory made exclusively (its
 * parent must exist): every input at its host path, as a regular file
 * with its mode (symlinks on the host are followed when reading; nothing
 * in dir is ever followed). *bytes gets the files' total size. 0, or < 0
 * with err set (dir is then left for the caller to remove). */
int ib_app_image_build(const struct ib_app_manifest *m, const char *dir,
		       uint64_t *bytes, struct ib_err *err);

/* An application's image as ib_app_image_get found or made it. */
struct ib_app_image {
	char *dir;        /* the image: the cache's entry, or work if it
			     could not be cached */
	char sha256[65];  /* hex digest of its inputs (its cache name) */
	uint64_t bytes;   /* its files' total size */
	int cached;       /* 1: found intact in the cache; 0: built now */
	char *note;       /* why it is not in the cache, or what was wrong
			     with the entry found there; NULL if nothing */
};

/* m's image: the cache's entry for its inputs' digest if intact, else
 * built at work (a new path in the run's directory) and renamed into
 * the cache (when that fails, e.g. another filesystem, it stays at work
 * and note says why; an entry on another filesystem than work is not
 * used either: the launches' roots, beside work, hard-link its files). A
 * damaged entry is renamed to work + ".damaged".
 * 0, or < 0 with err set. Free with ib_app_image_free. */
int ib_app_image_get(const struct ib_app_manifest *m, const char *work,
		     struct ib_app_image *img, struct ib_err *err);
void ib_app_image_free(struct ib_app_image *img);

/* Hard-links every file of the image (or any tree of regular files and
 * directories) at image into the directory root, at the same relative
 * paths: directories made where missing (an existing one is kept; any
 * other thing there is an error), files linked (one there already is an
 * error). Nothing is followed: a symlink in either tree is an error. 0,
 * or < 0 with err naming the path. */
int ib_app_image_link(const char *image, const char *root, struct ib_err *err);

/* The few files of /etc a server looks up in root (made if missing):
 * passwd and group with root only (nginx's `user root root`), and an
 * nsswitch.conf that sends both to those files. 0, or < 0 with err set. */
int ib_app_root_etc(const char *root, struct ib_err *err);

/* The archive formats a tree is written in: a newc cpio (an initramfs to
 * put after a VM's image, vm_image.h) or a tar (the Docker Engine's
 * archive upload into a container). */
enum ib_tree_format { IB_TREE_CPIO, IB_TREE_TAR };

/* Writes an uncompressed archive of the directories and regular files
 * under tree (their modes, owned by root, mtime 0) to fd, at their paths
 * relative to tree. Nothing is followed: a symlink or anything but a file
 * or directory is an error naming it. 0, or < 0 with err set. */
int ib_app_tree_write(const char *tree, int fd, enum ib_tree_format format,
		      struct ib_err *err);

/* One entry of an archive being written (libarchive's a), as every image
 * here writes them: owned by root, mtime 0, inode ino; a directory (mode
 * S_IFDIR|...), a file with its len bytes, or a device (rdev). 0 or
 * -EIO (archive_error_string(a) says why). */
struct archive;
int ib_archive_entry_write(struct archive *a, const char *path, unsigned mode,
			   const void *data, size_t len, dev_t rdev, int64_t ino);

#endif
