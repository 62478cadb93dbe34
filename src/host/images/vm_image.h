/* vm_image: what a virtual machine boots: a guest kernel and an initramfs
 * whose /init is the static probe.
 *
 * The kernel is the one given (option or $ISOBENCH_GUEST_KERNEL) or the
 * newest /boot/vmlinuz-* that has a /lib/modules/<version>/modules.dep
 * beside it (Debian's linux-image-cloud-amd64, installed by
 * scripts/setup.sh). The initramfs is a newc cpio, compressed with the
 * best method the kernel's config says it can unpack (zstd, else gzip,
 * else none), holding:
 *
 *   /init                           the probe (it knows it is init: pid 1)
 *   /dev/console                    char 5:1, so init has its stdout
 *   /dev /proc /sys /tmp            mount points
 *   /lib/modules/<ver>/...ko        the virtio modules and what they need,
 *                                   from modules.dep
 *   /etc/isobench-modules           those modules, one path per line, in
 *                                   load order (dependencies first)
 *
 * Modules the kernel has built in are not carried (modules.builtin).
 * Images are cached under IB_VM_CACHE by the SHA-256 of every input (the
 * probe's bytes, each module's bytes and path, the compression, the
 * format version), so a second run builds nothing and a changed probe or
 * kernel makes a new image. A cache entry is written to a temporary name
 * and renamed, so a crash never leaves a half image under a valid name,
 * with the SHA-256 of its bytes beside it (NAME.sum): an entry whose bytes
 * no longer match (a disk error, a hand edit) is built again. */
#ifndef ISOBENCH_VM_IMAGE_H
#define ISOBENCH_VM_IMAGE_H

#include "base/util.h"

#define IB_VM_CACHE "/var/cache/isobench/vm"

/* The cache directory: $ISOBENCH_VM_CACHE if set (tests), else
 * IB_VM_CACHE. */
const char *ib_vm_cache_dir(void);

/* The virtio transport a machine offers, which decides the modules. */
enum ib_vm_bus {
	IB_VM_BUS_MMIO, /* qemu -M microvm, firecracker */
	IB_VM_BUS_PCI,  /* qemu -M q35 */
};

struct ib_vm_kernel {
	char *path;     /* the kernel image (bzImage) */
	char *version;  /* its release, e.g. 6.1.0-56-cloud-amd64 */
	char *modules;  /* /lib/modules/<version>, or NULL if none found */
	char *config;   /* /boot/config-<version>, or NULL */
};

struct ib_vm_image {
	struct ib_vm_kernel kernel;
	char *initramfs;    /* the cached image's path */
	char *sha256;       /* hex digest of its inputs (its cache name) */
	const char *compression; /* "zstd", "gzip" or "none" */
	int nmodules;
	int built;          /* 1 if this call built it, 0 if cached */
};

/* Finds the guest kernel: path if not NULL (it must exist; its modules
 * are looked up by the version its file name or its header carries),
 * else $ISOBENCH_GUEST_KERNEL, else the newest /boot/vmlinuz-* with
 * modules. Returns 0 or -ENOENT with err saying what is missing and how
 * to get it. Free with ib_vm_kernel_free. */
int ib_vm_kernel_find(const char *path, struct ib_vm_kernel *k,
		      struct ib_err *err);
void ib_vm_kernel_free(struct ib_vm_kernel *k);

/* Builds or reuses the initramfs for probe (a static binary) on bus.
 * Returns 0 or < 0 with err (a module missing from modules.dep, an
 * unreadable input, a full disk). Free with ib_vm_image_free. */
int ib_vm_image_get(const char *probe_path, const char *kernel_path,
		    enum ib_vm_bus bus, struct ib_vm_image *img,
		    struct ib_err *err);
void ib_vm_image_free(struct ib_vm_image *img);

/* The kernel command line for one boot: console on console (e.g.
 * "ttyS0"), quiet, no reboot on panic, extra (may be NULL: more kernel
 * parameters), then "--" and probe_argv (NULL-terminated; the kernel
 * passes what follows "--" to /init as its arguments). Each argument
 * must be free of blanks and quotes (the kernel splits at blanks); returns
 * NULL with err naming the argument otherwise. Caller frees. */
char *ib_vm_cmdline(const char *console, const char *extra,
		    char *const *probe_argv, struct ib_err *err);

/* The QEMU command line (shell words, single-quoted) that the qemu
 * driver's machine/accel would run for probe_argv, with its QMP socket at
 * qmp (NULL: none) and no scratch disk: what `isobench validate` hands
 * hyperfine to time the harness's cost. accel_why (if not NULL) gets why
 * that accelerator.
 * NULL with err on failure. Caller frees. Defined in runtime/drivers/qemu.c. */
struct ib_limits;
char *ib_qemu_command(const char *probe, const char *machine, const char *accel,
		      const struct ib_limits *limits, char *const *probe_argv,
		      const char *qmp, char **accel_why, struct ib_err *err);

/* What a KVM trial boot (the qemu driver's, accel=auto) found on this
 * host since it booted: 1 KVM ran a stock guest, 0 it did not (why says
 * what happened), -1 no trial has run. Other VMMs (Firecracker) that
 * need a working KVM ask it. */
int ib_vm_kvm_verdict(struct ib_buf *why);

/* modules.dep, the pure parts (fuzzed by tests/fuzz/fuzz_moddep.c): each
 * "path: dependency paths..." line, paths relative to the modules
 * directory. */
struct ib_moddep {
	struct ib_strv paths; /* each module's path */
	struct ib_strv deps;  /* its dependency list, as in the file */
};
/* Parses len bytes of modules.dep into m (zeroed first; free with
 * ib_moddep_free). Lines without a colon, and modules whose path is
 * absolute, empty or has a "." or ".." component (it would leave the
 * modules directory), are skipped, and so is a path listed again (the
 * first line counts). Returns the number of modules. */
int ib_moddep_parse(const char *text, size_t len, struct ib_moddep *m);
void ib_moddep_free(struct ib_moddep *m);
/* Index of module name ("virtio_blk", '-' and '_' alike, or a path) in
 * m, or -1. */
int ib_moddep_find(const struct ib_moddep *m, const char *name);
/* Appends module i and, before it, everything it needs (load order) to
 * order, skipping what order holds already. Returns 0, or < 0 with err:
 * a dependency that modules.dep does not list (-ENOENT), a cycle or a
 * chain over 64 deep (-ELOOP). */
int ib_moddep_order(const struct ib_moddep *m, int i, struct ib_strv *order,
		    struct ib_err *err);

/* An application's launch: out (created exclusively) gets the image at
 * base, zeros to a 512-byte boundary, then an uncompressed newc cpio of
 * the directories and regular files under tree, at their paths in it. The
 * kernel unpacks the two archives in turn, the second over the first, so
 * the guest's root holds the probe's image and the application's tree
 * (images/app_image.h). Nothing under tree is followed; anything but a
 * directory or a regular file is an error. 0, or < 0 with err set (out
 * removed). */
int ib_vm_initrd_with_tree(const char *base, const char *tree,
			   const char *out, struct ib_err *err);

#endif
