/* qemu: the probe as /init of a QEMU virtual machine.
 *
 * Each launch boots a fresh VM: qemu-system-x86_64 with the guest kernel
 * and the probe's initramfs (vm_image.h), the run's vCPUs and memory, the
 * probe's arguments after "--" on the kernel command line. The probe's
 * records come back over the serial console (QEMU's stdout, the same pipe
 * the runner reads for any runtime; kernel and firmware text around them
 * is kept as text), the probe powers the VM off when done and QEMU exits
 * (-no-reboot turns a guest reboot or panic into an exit too). QMP on a
 * Unix socket controls the VM: the vCPU thread ids are read from it, and a
 * held instance is ended with "quit".
 *
 * Options: machine = microvm | q35 (virtio-mmio from ACPI and no
 * firmware, or a PC with PCI and SeaBIOS), accel = auto | kvm | tcg. auto
 * takes KVM only if a bounded trial boot with KVM reaches the probe (a
 * host whose KVM opens but cannot run a stock guest, such as one that runs
 * only PVM guests, hangs in the guest kernel), else TCG, multi-threaded.
 * The trial's verdict is kept in isobench's runtime directory
 * (/run/isobench as root): a success until the host reboots, a failure
 * for 10 minutes (then the next run tries again).
 * The choice and its reason are in every result's runtime description,
 * and TCG results are flagged as emulated in every report: such figures
 * measure the harness and the emulator, not the hypervisor.
 *
 * Under TCG the guest's TSC is the host's own (QEMU reads the host's), so
 * the guest is told its rate (tsc_early_khz, measured here) and to trust
 * it (tsc=reliable): calibrating it against an emulated PIT fails at
 * random under TCG's timing, and the fallback (jiffies, 4 ms steps) would
 * make every timed sample meaningless.
 *
 * The tuning options, KubeVirt's knobs as QEMU has them: pin=vcpu (each
 * vCPU thread on a host CPU of its own), emulator=isolated (QEMU's other
 * threads on one more), mem=anon|memfd|hugetlb with hugepage=2M|1G (the
 * host's huge page pool grown for the run and given back: base/hugepool.h)
 * prealloc=on and numa=mirror. Each is checked from /proc where it can
 * be.
 *
 * The scratch disk (the disk benchmark's) is a raw sparse image per
 * runtime on virtio-blk with cache=none (O_DIRECT on the host, as the
 * other runtimes' O_DIRECT reaches the host's disk), attached only to
 * launches of the disk workload: the probe fills it once and marks it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "common/frame.h"
#include "common/params.h"
#include "base/hugepool.h"
#include "base/kvm.h"
#include "engines/qmp.h"
#include "net/net_link.h"
#include "runtime/runtime.h"
#include "state/state.h"
#include "images/vm_image.h"

#define QEMU_BIN "qemu-system-x86_64"
#define KVM_TRIAL_S 6      /* a stock kernel under working KVM: < 2 s */
#define KVM_FAIL_TTL_S 600 /* a failed trial is retried after this */
#define QMP_TIMEOUT_S 10
#define SCRATCH_MIN (2ull << 30) /* the disk image (sparse) */
#define QUIT_GRACE_MS 3000
#define BOOT_TIMEOUT_TCG_S 60 /* launch to the probe's first record */
#define BOOT_TIMEOUT_KVM_S 20

static const struct ib_rt_option qemu_options[] = {
	{"machine", "microvm,q35", "microvm",
	 "microvm: virtio-mmio, no firmware, no PCI; q35: a PC with PCI and "
	 "SeaBIOS (a classic VM)", 0, NULL, NULL},
	{"accel", "auto,kvm,tcg", "auto",
	 "auto: KVM if a trial boot with it reaches the probe, else TCG "
	 "(emulation, flagged in every report)", 0, NULL, NULL},
	{"pin", "none,vcpu", "none",
	 "vcpu: each vCPU thread (read over QMP) pinned to a host CPU of its "
	 "own, the first of isobench's CPUs for vCPU 0 and so on, and read "
	 "back from /proc (KubeVirt's dedicatedCpuPlacement); none: where "
	 "the scheduler puts them", 0, NULL, NULL},
	{"emulator", "shared,isolated", "shared",
	 "isolated: QEMU's other threads (main loop, I/O, RCU; an iothread for "
	 "the disk) on a host CPU no vCPU uses, the next of isobench's after "
	 "the vCPUs' (KubeVirt's isolateEmulatorThread; needs pin=vcpu); "
	 "shared: where the scheduler puts them", 0, NULL, NULL},
	{"mem", "memfd,anon,hugetlb", "memfd",
	 "guest RAM: memfd (a named shared memfd), anon (private anonymous "
	 "memory), hugetlb (a hugetlb memfd of hugepage-sized pages, the "
	 "host's pool grown for the run and given back after it)", 0, NULL,
	 NULL},
	{"hugepage", "2M,1G", "2M",
	 "the page size of mem=hugetlb (KubeVirt's hugepages.pageSize)", 0,
	 NULL, NULL},
	{"prealloc", "off,on", "off",
	 "on: every page of guest RAM allocated when QEMU starts (before the "
	 "guest boots); off: on first touch", 0, NULL, NULL},
	{"numa", "none,mirror", "none",
	 "mirror: a guest NUMA node per host node with memory, its RAM bound "
	 "there (policy=bind), the vCPUs dealt round the nodes (KubeVirt's "
	 "guestMappingPassthrough); a one-node host gets one node, and says "
	 "so; none: one memory, no NUMA", 0, NULL, NULL},
};

enum qemu_mem { MEM_MEMFD, MEM_ANON, MEM_HUGETLB };



struct qemu_rt {
	struct ib_vm_image img;
	char *qemu;          /* binary */
	char *qemu_version;
	int q35;
	int kvm;             /* the accelerator chosen: 1 KVM, 0 TCG */
	char *accel_why;
	unsigned long tsc_khz; /* the host TSC's rate (TCG's guest TSC) */
	int cpus;
	int pin;             /* pin=vcpu: vCPU i on host CPU pin_cpu[i] */
	int pin_cpu[64];
	int emu_cpu;         /* emulator=isolated: its host CPU, else -1 */
	enum qemu_mem mem;
	unsigned long page_kb; /* mem=hugetlb: the page size */
	int prealloc;
	int node[16];        /* numa=mirror: the host's nodes with memory */
	int nnodes;          /* 0: numa=none */
	struct ib_rt_hugepool pool; /* mem=hugetlb: the host's pool grown */
	uint64_t mem_mib;
	char *sock_dir;      /* QMP sockets (a socket path has <= 107 bytes) */
	char *disk;          /* the scratch image, made on first use */
	uint64_t disk_size;
	char *state_name;    /* of the sock_dir record */
	char tag[16];        /* "" or "-<hash of the tuning options>": this
				column's files apart from other qemu columns' */
};

struct qemu_launch {
	char *qmp_path;
	struct ib_qmp qmp;
	int nvcpus;
	pid_t vcpu_tid[64];
	int qmp_failed;
	char *cmdline;
	char *initrd;   /* an application's launch: its own (ib_vm_initrd_with_tree) */
	int asked;      /* its probe was asked to end on its console */
	int emu_threads; /* emulator=isolated: QEMU's other threads pinned */
};

static int qemu_available(struct ib_buf *why, struct ib_buf *fix)
{
	char *bin = ib_which(QEMU_BIN);
	struct ib_vm_kernel k;
	struct ib_err e = {0};

	if (!bin) {
		ib_buf_printf(why, "%s not found in PATH", QEMU_BIN);
		ib_buf_puts(fix, "apt-get install qemu-system-x86");
		return 0;
	}
	free(bin);
	if (ib_vm_kernel_find(NULL, &k, &e) < 0) {
		ib_buf_puts(why, e.msg);
		ib_buf_puts(fix, "apt-get install linux-image-cloud-amd64");
		return 0;
	}
	ib_vm_kernel_free(&k);
	return 1;
}

/* The host TSC's rate in kHz, timed against CLOCK_MONOTONIC over 50 ms;
 * 0 where there is no TSC. */
static unsigned long host_tsc_khz(void)
{
#if defined(__x86_64__) || defined(__i386__)
	struct timespec ts = {0, 50000000};
	uint64_t t0 = ib_mono_ns(), c0 = __rdtsc(), t1, c1;

	nanosleep(&ts, NULL);
	c1 = __rdtsc();
	t1 = ib_mono_ns();
	return (unsigned long)((double)(c1 - c0) * 1e6 / (double)(t1 - t0));
#else
	return 0;
#endif
}

/* "QEMU emulator version 7.2.22 (Debian ...)": read without a shell (a
 * path is never quoted into a command line), within 10 s. */
static char *qemu_version(const char *bin)
{
	char *v = ib_proc_version_line(bin, "--version",
				       "QEMU emulator version ", 10);

	return v ? v : ib_xstrdup("unknown");
}

/* A guest RAM backend object (mem=, hugepage=, prealloc=): id, mib MiB,
 * bound to host NUMA node node if node >= 0 (numa=mirror). */
static char *memory_backend(const struct qemu_rt *q, const char *id,
			    unsigned long long mib, int node)
{
	const char *pre = q->prealloc ? ",prealloc=on" : "";
	char bind[48] = "";

	if (node >= 0)
		snprintf(bind, sizeof(bind), ",host-nodes=%d,policy=bind", node);
	switch (q->mem) {
	case MEM_ANON:
		return ib_xasprintf("memory-backend-ram,id=%s,size=%lluM%s%s", id,
				    mib, pre, bind);
	case MEM_HUGETLB:
		return ib_xasprintf("memory-backend-memfd,id=%s,size=%lluM,"
				    "hugetlb=on,hugetlbsize=%s%s%s", id, mib,
				    q->page_kb == 2048 ? "2M" : "1G", pre, bind);
	case MEM_MEMFD:
		break;
	}
	return ib_xasprintf("memory-backend-memfd,id=%s,size=%lluM%s%s", id, mib,
			    pre, bind);
}

/* The guest's RAM: one backend (numa=none), or one per host node with
 * memory, bound to it, each a guest NUMA node with the vCPUs i where
 * i % nodes is its index (numa=mirror). */
static void guest_memory_args(const struct qemu_rt *q, struct ib_strv *argv)
{
	const char *machine = q->q35 ? "q35" : "microvm";

	ib_strv_push(argv, "-M");
	if (!q->nnodes) {
		/* guest RAM from a named memfd backend: the footprint
		 * benchmark tells it apart from the VMM's own memory by its
		 * name */
		ib_strv_push_owned(argv, ib_xasprintf("%s,memory-backend=ram",
						      machine));
		ib_strv_push(argv, "-object");
		ib_strv_push_owned(argv, memory_backend(q, "ram", q->mem_mib, -1));
		return;
	}
	ib_strv_push(argv, machine);
	for (int i = 0; i < q->nnodes; i++) {
		struct ib_buf numa = {0};
		char id[32];

		snprintf(id, sizeof(id), "ram-node%d", i);
		ib_strv_push(argv, "-object");
		ib_strv_push_owned(argv, memory_backend(q, id,
							q->mem_mib / (uint64_t)q->nnodes,
							q->node[i]));
		ib_buf_printf(&numa, "node,nodeid=%d,memdev=%s", i, id);
		for (int c = i; c < q->cpus; c += q->nnodes)
			ib_buf_printf(&numa, ",cpus=%d", c);
		ib_strv_push(argv, "-numa");
		ib_strv_push_owned(argv, numa.s);
	}
}

/* The command line of one boot. probe_argv: the probe's arguments; disk:
 * the scratch image to attach, or NULL; tap: the net workload's tap
 * device, or NULL; qmp: the QMP socket, or NULL; initrd: the launch's own
 * initramfs, or NULL: the probe's image. */

static int build_argv(const struct qemu_rt *q, int kvm, char *const *probe_argv,
		      const char *disk, const char *tap, const char *qmp,
		      const char *initrd, struct ib_strv *argv,
		      char **cmdline_out, struct ib_err *err)
{
	char *extra = NULL, *cmdline;

	if (!kvm && q->tsc_khz)
		extra = ib_xasprintf("tsc_early_khz=%lu tsc=reliable", q->tsc_khz);
	cmdline = ib_vm_cmdline("ttyS0", extra, probe_argv, err);
	free(extra);
	if (!cmdline)
		return err->code;
	ib_strv_push(argv, q->qemu);
	ib_strv_push(argv, "-name");
	/* vCPU threads named "CPU N/TCG" (or /KVM): what pin=vcpu pins can
	 * be told apart by anyone who looks (the tests do) */
	ib_strv_push(argv, "isobench,debug-threads=on");
	guest_memory_args(q, argv);
	ib_strv_push(argv, "-m");
	ib_strv_push_owned(argv, ib_xasprintf("%lluM", (unsigned long long)q->mem_mib));
	ib_strv_push(argv, "-smp");
	ib_strv_push_owned(argv, ib_xasprintf("%d", q->cpus));
	ib_strv_push(argv, "-accel");
	ib_strv_push(argv, kvm ? "kvm" : "tcg,thread=multi");
	if (kvm) {
		ib_strv_push(argv, "-cpu");
		ib_strv_push(argv, "host");
	}
	ib_strv_push(argv, "-kernel");
	ib_strv_push(argv, q->img.kernel.path);
	ib_strv_push(argv, "-initrd");
	ib_strv_push(argv, initrd ? initrd : q->img.initramfs);
	ib_strv_push(argv, "-append");
	ib_strv_push(argv, cmdline);
	ib_strv_push(argv, "-nodefaults");
	ib_strv_push(argv, "-no-user-config");
	ib_strv_push(argv, "-display");
	ib_strv_push(argv, "none");
	ib_strv_push(argv, "-serial");
	ib_strv_push(argv, "stdio");
	ib_strv_push(argv, "-no-reboot");
	if (qmp) {
		ib_strv_push(argv, "-qmp");
		ib_strv_push_owned(argv, ib_xasprintf("unix:%s,server=on,wait=off", qmp));
	}
	if (disk) {
		/* emulator=isolated: the disk's I/O in an iothread of its own
		 * (on the emulator's CPU with QEMU's other threads). It needs
		 * ioeventfd, which only KVM has: under TCG the disk's I/O
		 * stays in the main loop, on the same CPU */
		int iothread = q->emu_cpu >= 0 && kvm;
		const char *io = iothread ? ",iothread=io0" : "";

		if (iothread) {
			ib_strv_push(argv, "-object");
			ib_strv_push(argv, "iothread,id=io0");
		}
		ib_strv_push(argv, "-drive");
		ib_strv_push_owned(argv, ib_xasprintf("file=%s,if=none,id=scratch,"
						      "format=raw,cache=none",
						      disk));
		ib_strv_push(argv, "-device");
		ib_strv_push_owned(argv, ib_xasprintf("%s,drive=scratch%s",
						      q->q35 ? "virtio-blk-pci"
							     : "virtio-blk-device",
						      io));
	}
	if (tap) {
		/* the host end exists (net_link.c); QEMU only opens it */
		ib_strv_push(argv, "-netdev");
		ib_strv_push_owned(argv, ib_xasprintf("tap,id=net0,ifname=%s,"
						      "script=no,downscript=no",
						      tap));
		ib_strv_push(argv, "-device");
		ib_strv_push(argv, q->q35 ? "virtio-net-pci,netdev=net0"
					  : "virtio-net-device,netdev=net0");
	}
	ib_strv_push_owned(argv, NULL);
	argv->n--;
	if (cmdline_out)
		*cmdline_out = cmdline;
	else
		free(cmdline);
	return 0;
}

/* Where the trial's verdicts are kept (made if missing and create), or
 * NULL: then none is kept, or read. Caller frees. */
static char *trial_dir(int create)
{
	char *dir;

	if (getenv("ISOBENCH_VM_CACHE")) {
		if (create)
			ib_mkdirs(ib_vm_cache_dir(), 0755, NULL);
		return ib_xstrdup(ib_vm_cache_dir());
	}
	if (create)
		return ib_runtime_dir(NULL);
	/* only read: never made here, and trusted only if it passes */
	dir = ib_runtime_dir_path();
	if (dir && ib_dir_check_private(dir, NULL) < 0) {
		free(dir);
		dir = NULL;
	}
	return dir;
}

/* --- the KVM trial ------------------------------------------------------- */

static void trial_frame(void *user, enum ib_frame_kind kind, const char *data,
			size_t len, uint64_t offset, const char *why)
{
	(void)offset;
	(void)why;
	if (kind == IB_FRAME_RECORD && len > 16 &&
	    memmem(data, len, "\"type\":\"hello\"", 14))
		*(int *)user = 1;
}

/* A trial's verdict file: 1 "ok ...", 0 "fail ..." (text in *text, the
 * caller frees), -1 none. A success is kept until the host reboots (/run
 * is emptied then); a failure only for KVM_FAIL_TTL_S, so that one slow
 * moment (a loaded host missing the trial's deadline) does not force TCG
 * on every run until the next boot. */
static int read_verdict(const char *path, char **text)
{
	struct stat st;
	char *t;

	*text = NULL;
	if (!path || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	t = ib_read_file(path, NULL, NULL);
	if (!t)
		return -1;
	if (strncmp(t, "ok ", 3) == 0) {
		*text = t;
		return 1;
	}
	if (strncmp(t, "fail ", 5) == 0 &&
	    time(NULL) - st.st_mtime < KVM_FAIL_TTL_S &&
	    time(NULL) >= st.st_mtime) {
		*text = t;
		return 0;
	}
	free(t); /* expired, or not a verdict */
	return -1;
}

/* Can KVM run a stock guest here? Opens /dev/kvm, makes a VM, then boots
 * the probe with KVM for at most KVM_TRIAL_S seconds: 1 if its hello
 * arrived, 0 with why otherwise. The verdict is kept for the host's
 * uptime (/run is emptied at boot) per image and machine type. */
static int kvm_trial(struct qemu_rt *q, struct ib_buf *why)
{
	static char *const trial_argv[] = {"startup", NULL};
	/* tests keep theirs apart ($ISOBENCH_VM_CACHE), so a trial runs */
	char *dir = trial_dir(1);
	char *cache = !dir ? NULL
			   : ib_xasprintf("%s/kvm-trial-%.16s-%s", dir,
					  q->img.sha256,
					  q->q35 ? "q35" : "microvm");
	struct ib_strv argv = {0};
	struct ib_proc p = {0};
	struct ib_frame_parser fp;
	struct ib_err e = {0};
	char *cached;
	int fd, vm, hello = 0, ok = read_verdict(cache, &cached);
	uint64_t t0, deadline;

	free(dir);
	if (ok >= 0) {
		ib_buf_printf(why, "%s (trial boot %s, kept in %s)",
			      cached + (ok ? 3 : 5),
			      ok ? "earlier since the host's boot"
				 : "failed less than 10 minutes ago",
			      cache);
		free(cached);
		free(cache);
		return ok;
	}
	/* a character device answering KVM's API (kvm.h); not cached: a
	 * module load or a chmod changes it */
	fd = ib_kvm_open(why, NULL);
	if (fd < 0) {
		free(cache);
		return 0;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		ib_buf_printf(why, "KVM_CREATE_VM: %s", strerror(errno));
		close(fd);
		free(cache);
		return 0;
	}
	close(vm);
	close(fd);
	if (build_argv(q, 1, trial_argv, NULL, NULL, NULL, NULL, &argv, NULL,
		       &e) < 0 ||
	    ib_proc_spawn(&p, argv.v, NULL, IB_PROC_DIE_WITH_PARENT, &e) < 0) {
		ib_buf_printf(why, "trial boot with KVM could not start: %s", e.msg);
		ib_strv_free(&argv);
		free(cache);
		return 0;
	}
	ib_strv_free(&argv);
	ib_frame_parser_init(&fp, trial_frame, &hello);
	t0 = ib_mono_ns();
	deadline = t0 + KVM_TRIAL_S * 1000000000ull;
	fcntl(p.out_fd, F_SETFL, fcntl(p.out_fd, F_GETFL) | O_NONBLOCK);
	while (!hello && ib_mono_ns() < deadline) {
		char buf[4096];
		ssize_t n = read(p.out_fd, buf, sizeof(buf));

		if (n > 0) {
			ib_frame_feed(&fp, buf, (size_t)n);
		} else if (n == 0) {
			break; /* QEMU exited */
		} else {
			struct timespec ts = {0, 2000000};

			nanosleep(&ts, NULL);
		}
	}
	ib_frame_finish(&fp);
	free(fp.line);
	ib_proc_kill(&p);
	ib_proc_close(&p);
	ok = hello;
	{
		struct ib_buf v = {0};

		if (ok)
			ib_buf_printf(&v, "ok KVM: a trial boot reached the probe "
				      "in %.2f s",
				      (double)(ib_mono_ns() - t0) / 1e9);
		else
			ib_buf_printf(&v, "fail KVM opens but a trial boot of "
				      "the guest with it did not reach the "
				      "probe within %d s (a KVM that runs "
				      "only special guests, e.g. PVM, or a "
				      "nested setup)",
				      KVM_TRIAL_S);
		ib_buf_puts(why, v.s + (ok ? 3 : 5));
		if (cache)
			ib_write_file_atomic(cache, v.s, v.len, NULL);
		ib_buf_free(&v);
	}
	free(cache);
	return ok;
}

int ib_vm_kvm_verdict(struct ib_buf *why)
{
	char *dir = trial_dir(0);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int verdict = -1;

	while (d && verdict != 0 && (de = readdir(d))) {
		char *p, *text;
		int v;

		if (strncmp(de->d_name, "kvm-trial-", 10) != 0)
			continue;
		p = ib_xasprintf("%s/%s", dir, de->d_name);
		v = read_verdict(p, &text);
		free(p);
		/* any failed trial decides: the guest kernel was the same */
		if (v == 1) {
			verdict = 1;
		} else if (v == 0) {
			verdict = 0;
			if (why)
				ib_buf_puts(why, text + 5);
		}
		free(text);
	}
	if (d)
		closedir(d);
	free(dir);
	return verdict;
}

/* --- the driver ---------------------------------------------------------- */

/* Everything a boot needs but the run's resources: the image, the
 * accelerator (a KVM trial where asked), the VM's size. */
static int qemu_setup(struct qemu_rt *q, const char *machine, const char *accel,
		      const char *probe, const struct ib_limits *limits,
		      struct ib_err *err)
{
	struct ib_buf why = {0};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc;

	q->q35 = strcmp(machine, "q35") == 0;
	q->qemu = ib_which(QEMU_BIN);
	if (!q->qemu)
		return ib_err_set(err, -ENOENT, "%s not found in PATH", QEMU_BIN);
	q->qemu_version = qemu_version(q->qemu);
	q->cpus = limits->cpus > 0 ? limits->cpus : (int)(ncpu > 0 ? ncpu : 1);
	if (q->cpus > 64)
		q->cpus = 64;
	q->mem_mib = limits->memory ? limits->memory >> 20 : 1024;
	rc = ib_vm_image_get(probe, NULL, q->q35 ? IB_VM_BUS_PCI : IB_VM_BUS_MMIO,
			     &q->img, err);
	if (rc < 0)
		return rc;
	q->tsc_khz = host_tsc_khz();
	if (strcmp(accel, "tcg") == 0) {
		q->kvm = 0;
		q->accel_why = ib_xstrdup("TCG: asked for (accel=tcg)");
	} else {
		int ok = kvm_trial(q, &why);

		if (!ok && strcmp(accel, "kvm") == 0) {
			rc = ib_err_set(err, -ENODEV, "accel=kvm: %s", why.s);
			ib_buf_free(&why);
			return rc;
		}
		q->kvm = ok;
		q->accel_why = ok ? ib_xasprintf("%s", why.s)
				  : ib_xasprintf("TCG, because %s", why.s);
		ib_buf_free(&why);
	}
	return 0;
}

static void qemu_free(struct qemu_rt *q)
{
	ib_vm_image_free(&q->img);
	free(q->qemu);
	free(q->qemu_version);
	free(q->accel_why);
	free(q->sock_dir);
	free(q->state_name);
	free(q->disk);
	free(q);
}

/* pin=vcpu: vCPU i goes to the i-th CPU isobench may run on, and with
 * emu (emulator=isolated) QEMU's other threads to the next; a host with
 * fewer CPUs cannot give each its own (an error for this column). */
static int pin_plan(struct qemu_rt *q, int emu, struct ib_err *err)
{
	cpu_set_t own;
	int n = 0;

	if (sched_getaffinity(0, sizeof(own), &own) != 0)
		return ib_err_set(err, -errno, "sched_getaffinity: %s",
				  strerror(errno));
	for (int c = 0; c < CPU_SETSIZE && n < q->cpus + emu; c++) {
		if (!CPU_ISSET(c, &own))
			continue;
		if (n < q->cpus)
			q->pin_cpu[n] = c;
		else
			q->emu_cpu = c;
		n++;
	}
	if (n < q->cpus + emu)
		return ib_err_set(err, -EINVAL, "pin=vcpu%s: %d vCPUs%s, but "
				  "isobench may run on %d CPUs here (one each "
				  "is needed; --cpus N gives fewer vCPUs)",
				  emu ? ",emulator=isolated" : "", q->cpus,
				  emu ? " and the emulator" : "",
				  CPU_COUNT(&own));
	q->pin = 1;
	return 0;
}

/* 1 if a /proc status text's Cpus_allowed_list is exactly CPU cpu. */
static int allowed_is(const char *status, int cpu)
{
	const char *v = strstr(status, "\nCpus_allowed_list:");
	char *end;
	long c;

	if (!v)
		return 0;
	v += strlen("\nCpus_allowed_list:");
	v += strspn(v, " \t");
	c = strtol(v, &end, 10);
	return end != v && c == cpu && (*end == '\n' || *end == '\0');
}

/* Pins each vCPU thread of VM vmm to its host CPU, then reads every
 * thread's affinity back from /proc (Cpus_allowed_list): a thread that is
 * not the VM's, or whose affinity did not take, fails the launch. */
static int pin_vcpus(const struct qemu_rt *q, const struct qemu_launch *ql,
		     pid_t vmm, struct ib_err *err)
{
	for (int i = 0; i < ql->nvcpus; i++) {
		char *path = ib_xasprintf("/proc/%d/task/%d/status", (int)vmm,
					  (int)ql->vcpu_tid[i]);
		char *text = NULL;
		cpu_set_t one;
		int rc = 0;

		CPU_ZERO(&one);
		CPU_SET(q->pin_cpu[i], &one);
		/* the thread is the VM's: it is listed under its tasks */
		if (access(path, F_OK) != 0)
			rc = ib_err_set(err, -ESRCH, "pin=vcpu: vCPU %d's thread "
					"%d is not a thread of QEMU (pid %d)", i,
					(int)ql->vcpu_tid[i], (int)vmm);
		else if (sched_setaffinity(ql->vcpu_tid[i], sizeof(one), &one))
			rc = ib_err_set(err, -errno, "pin=vcpu: vCPU %d (thread "
					"%d) to CPU %d: %s", i,
					(int)ql->vcpu_tid[i], q->pin_cpu[i],
					strerror(errno));
		else if (!(text = ib_read_file(path, NULL, NULL)) ||
			 !allowed_is(text, q->pin_cpu[i]))
			rc = ib_err_set(err, -EIO, "pin=vcpu: vCPU %d (thread %d) "
					"reads back as not on CPU %d alone", i,
					(int)ql->vcpu_tid[i], q->pin_cpu[i]);
		free(text);
		free(path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* emulator=isolated: QEMU starts on the emulator's CPU, so that every
 * thread it makes (vCPUs until pinned, the main loop, RCU, I/O workers,
 * the iothread) starts there. Runs between fork and exec: a system call
 * only. */
static int emulator_affinity(void *arg)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(*(const int *)arg, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? errno : 0;
}

/* emulator=isolated: every thread of VM vmm that is not a vCPU's on the
 * emulator's CPU, set and read back from /proc (a thread that ended on
 * the way is no error); *n gets how many. */
static int isolate_emulator(const struct qemu_rt *q,
			    const struct qemu_launch *ql, pid_t vmm, int *n,
			    struct ib_err *err)
{
	char *dir = ib_xasprintf("/proc/%d/task", (int)vmm);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	*n = 0;
	if (!d) {
		rc = ib_err_set(err, -errno, "emulator=isolated: %s: %s", dir,
				strerror(errno));
		free(dir);
		return rc;
	}
	while (rc == 0 && (de = readdir(d))) {
		char *end, *path, *text;
		long tid = strtol(de->d_name, &end, 10);
		int vcpu = 0;
		cpu_set_t one;

		if (end == de->d_name || *end || tid <= 0)
			continue;
		for (int i = 0; i < ql->nvcpus; i++)
			vcpu |= ql->vcpu_tid[i] == (pid_t)tid;
		if (vcpu)
			continue;
		CPU_ZERO(&one);
		CPU_SET(q->emu_cpu, &one);
		if (sched_setaffinity((pid_t)tid, sizeof(one), &one) != 0) {
			if (errno != ESRCH)
				rc = ib_err_set(err, -errno, "emulator=isolated: "
						"thread %ld to CPU %d: %s", tid,
						q->emu_cpu, strerror(errno));
			continue;
		}
		path = ib_xasprintf("%s/%ld/status", dir, tid);
		text = ib_read_file(path, NULL, NULL);
		if (text && !allowed_is(text, q->emu_cpu))
			rc = ib_err_set(err, -EIO, "emulator=isolated: thread "
					"%ld reads back as not on CPU %d alone",
					tid, q->emu_cpu);
		else if (text)
			(*n)++;
		free(text);
		free(path);
	}
	closedir(d);
	free(dir);
	return rc;
}

/* numa=mirror: the host's nodes with memory
 * (/sys/devices/system/node/has_memory, "0" or "0-1,3"), at most 16. */
static int host_nodes(struct qemu_rt *q, struct ib_err *err)
{
	static const char path[] = "/sys/devices/system/node/has_memory";
	char *text = ib_read_file(path, NULL, NULL), *p, *end;
	int rc = 0;

	if (!text)
		return ib_err_set(err, -ENOENT, "numa=mirror: %s: %s (a kernel "
				  "without NUMA)", path, strerror(errno));
	q->nnodes = 0;
	for (p = text; rc == 0 && *p && *p != '\n';) {
		long a = strtol(p, &end, 10), b = a;

		if (end == p || a < 0 || a > 1023) {
			rc = -EPROTO;
			break;
		}
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b > 1023) {
				rc = -EPROTO;
				break;
			}
			p = end;
		}
		for (long n = a; n <= b; n++) {
			if (q->nnodes == (int)IB_ARRAY_LEN(q->node)) {
				rc = -E2BIG;
				break;
			}
			q->node[q->nnodes++] = (int)n;
		}
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			rc = -EPROTO;
	}
	if (rc == 0 && q->nnodes == 0)
		rc = -EPROTO;
	if (rc < 0)
		rc = ib_err_set(err, rc, "numa=mirror: %s: '%.60s' is not a "
				"node list of at most %d nodes", path, text,
				(int)IB_ARRAY_LEN(q->node));
	free(text);
	return rc;
}

/* The tuning options (pin, emulator, mem, hugepage, prealloc, numa) into q,
 * checked together. tag: "" where all are their defaults, else "-" and
 * 8 hex digits hashed from their values, which keeps this column's QMP
 * directory apart from other qemu columns'. */
static int tuning_options(const struct ib_runtime *rt, struct qemu_rt *q,
			  char *tag, size_t cap, struct ib_err *err)
{
	static const char *const names[] = {"pin", "emulator", "mem",
					    "hugepage", "prealloc", "numa"};
	const char *mem = ib_runtime_opt(rt, "mem");
	int emu = !strcmp(ib_runtime_opt(rt, "emulator"), "isolated");
	unsigned hash = 2166136261u; /* FNV-1a */
	int tuned = 0;

	for (size_t i = 0; i < IB_ARRAY_LEN(names); i++) {
		const char *v = ib_runtime_opt(rt, names[i]);

		for (size_t k = 0; k < IB_ARRAY_LEN(qemu_options); k++)
			if (!strcmp(qemu_options[k].name, names[i]))
				tuned |= strcmp(v, qemu_options[k].dflt) != 0;
		for (const char *c = names[i]; *c; c++)
			hash = (hash ^ (unsigned char)*c) * 16777619u;
		for (const char *c = v; *c; c++)
			hash = (hash ^ (unsigned char)*c) * 16777619u;
		hash = (hash ^ ';') * 16777619u;
	}
	snprintf(tag, cap, tuned ? "-%08x" : "", hash);
	q->mem = !strcmp(mem, "anon")	 ? MEM_ANON
		 : !strcmp(mem, "hugetlb") ? MEM_HUGETLB
					   : MEM_MEMFD;
	q->page_kb = !strcmp(ib_runtime_opt(rt, "hugepage"), "1G") ? 1048576
								   : 2048;
	q->prealloc = !strcmp(ib_runtime_opt(rt, "prealloc"), "on");
	if (q->mem != MEM_HUGETLB && q->page_kb != 2048)
		return ib_err_set(err, -EINVAL, "hugepage=1G: the page size of "
				  "mem=hugetlb (this column has mem=%s)", mem);
	if (emu && strcmp(ib_runtime_opt(rt, "pin"), "vcpu"))
		return ib_err_set(err, -EINVAL, "emulator=isolated needs "
				  "pin=vcpu (the emulator's CPU is one no vCPU "
				  "uses, as KubeVirt's isolateEmulatorThread "
				  "needs dedicatedCpuPlacement)");
	if (q->mem == MEM_HUGETLB && (q->mem_mib * 1024) % q->page_kb)
		return ib_err_set(err, -EINVAL, "mem=hugetlb,hugepage=%s: the "
				  "VM's memory (%llu MiB, --memory) is not a "
				  "whole number of such pages",
				  q->page_kb == 2048 ? "2M" : "1G",
				  (unsigned long long)q->mem_mib);
	if (!strcmp(ib_runtime_opt(rt, "numa"), "mirror")) {
		int rc = host_nodes(q, err);

		if (rc < 0)
			return rc;
		if ((q->mem_mib * 1024 / (uint64_t)q->nnodes) %
			    (q->mem == MEM_HUGETLB ? q->page_kb : 1024) ||
		    q->mem_mib % (uint64_t)q->nnodes)
			return ib_err_set(err, -EINVAL, "numa=mirror: the VM's "
					  "memory (%llu MiB) does not split "
					  "into %d equal nodes of whole pages",
					  (unsigned long long)q->mem_mib,
					  q->nnodes);
	}
	if (q->mem == MEM_HUGETLB && geteuid() != 0)
		return ib_err_set(err, -EPERM, "mem=hugetlb grows the host's "
				  "huge page pool for the run: run isobench as "
				  "root");
	if (!strcmp(ib_runtime_opt(rt, "pin"), "vcpu"))
		return pin_plan(q, emu, err);
	return 0;
}

/* mem=hugetlb: one more VM's pages available in the host's pool */
static int pool_ensure(struct ib_runtime *rt, struct qemu_rt *q,
		       struct ib_err *err)
{
	q->pool.page_kb = q->page_kb;
	q->pool.prefix = q->state_name;
	if (ib_rt_hugepool_ensure(rt, &q->pool,
				  (unsigned long)(q->mem_mib * 1024 / q->page_kb),
				  err) < 0)
		return ib_err_wrap(err, "mem=hugetlb,hugepage=%s",
				   q->page_kb == 2048 ? "2M" : "1G");
	return 0;
}

static int qemu_prepare(struct ib_runtime *rt, struct ib_err *err)
{
	struct qemu_rt *q = ib_xcalloc(1, sizeof(*q));
	char *rtdir;
	int rc;

	q->emu_cpu = -1;
	rt->priv = q;
	rc = qemu_setup(q, ib_runtime_opt(rt, "machine"),
			ib_runtime_opt(rt, "accel"), rt->ctx->probe_path,
			&rt->ctx->limits, err);
	if (rc < 0)
		return rc;
	if ((rc = tuning_options(rt, q, q->tag, sizeof(q->tag), err)) < 0)
		return rc;
	/* The QMP sockets' directory, per runtime of the run, in the
	 * runtime directory: the work directory may be too deep for a
	 * socket's path. */
	if (!(rtdir = ib_runtime_dir(err)))
		return err->code;
	q->sock_dir = ib_xasprintf("%s/%s-qemu-%s-%s%s", rtdir, rt->ctx->run_id,
				   q->q35 ? "q35" : "microvm", q->kvm ? "kvm" : "tcg",
				   q->tag);
	free(rtdir);
	/* the longest of its sockets: "<launch id>.qmp" */
	{
		char *longest = ib_xasprintf("%s/%d.qmp", q->sock_dir, 999999);

		rc = ib_sock_path_check(longest, err);
		free(longest);
		if (rc < 0)
			return ib_err_wrap(err, "QMP socket");
	}
	q->state_name = ib_xasprintf("qmp-dir-%s-%s%s", q->q35 ? "q35" : "microvm",
				     q->kvm ? "kvm" : "tcg", q->tag);
	rc = ib_state_add_dir(rt->ctx->state, q->state_name, q->sock_dir, err);
	if (rc == 0)
		rc = ib_mkdirs(q->sock_dir, 0700, err);
	/* mem=hugetlb: one VM's pages now, so that a host that cannot give
	 * them skips this column alone; more at launch if VMs run at once */
	if (rc == 0 && q->mem == MEM_HUGETLB)
		rc = pool_ensure(rt, q, err);
	return rc;
}

char *ib_qemu_command(const char *probe, const char *machine, const char *accel,
		      const struct ib_limits *limits, char *const *probe_argv,
		      const char *qmp, char **accel_why, struct ib_err *err)
{
	struct qemu_rt *q = ib_xcalloc(1, sizeof(*q));
	struct ib_strv argv = {0};
	struct ib_buf cmd = {0};

	q->emu_cpu = -1;
	if (qemu_setup(q, machine, accel, probe, limits, err) < 0 ||
	    build_argv(q, q->kvm, probe_argv, NULL, NULL, qmp, NULL, &argv, NULL,
		       err) < 0) {
		qemu_free(q);
		return NULL;
	}
	for (int i = 0; i < argv.n; i++) {
		/* single quotes: the words hold no quote (ib_vm_cmdline) */
		ib_buf_printf(&cmd, i ? " '%s'" : "'%s'", argv.v[i]);
	}
	if (accel_why)
		*accel_why = ib_xstrdup(q->accel_why);
	ib_strv_free(&argv);
	qemu_free(q);
	return cmd.s;
}

/* The workload of a launch: its first argument that is not an option. */
static const char *launch_workload(char *const *argv)
{
	for (char *const *a = argv; *a; a++) {
		if (strcmp(*a, "--reps") == 0 || strcmp(*a, "--scratch") == 0) {
			if (a[1])
				a++;
			continue;
		}
		if ((*a)[0] != '-')
			return *a;
	}
	return "";
}

/* The disk test's size= argument (its default otherwise), so the image
 * holds it and the fill mark. */
static uint64_t launch_disk_need(char *const *argv)
{
	uint64_t size = 1ull << 30; /* the full suite's default */

	for (char *const *a = argv; *a; a++)
		if (strncmp(*a, "size=", 5) == 0)
			ib_parse_size(*a + 5, &size);
	return size + (64ull << 20);
}

static int ensure_disk(struct ib_runtime *rt, struct qemu_rt *q, uint64_t need,
		       struct ib_err *err)
{
	uint64_t size = need > SCRATCH_MIN ? need : SCRATCH_MIN;
	int fd, rc;

	if (q->disk && q->disk_size >= size)
		return 0;
	if (q->disk) {
		/* ours, made below: grown in place, its mark kept */
		fd = open(q->disk, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	} else {
		/* in the run's work directory: removed with it. A new file:
		 * nothing that was there is followed or reused */
		q->disk = ib_xasprintf("%s/qemu-%s%s-scratch.img", rt->ctx->work,
				       q->q35 ? "q35" : "microvm", q->tag);
		fd = open(q->disk, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR |
					   O_CLOEXEC,
			  0600);
	}
	if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		rc = ib_err_set(err, -e, "scratch disk image %s: %s", q->disk,
				strerror(e));
		if (fd < 0 && q->disk_size == 0) {
			/* not made here (EEXIST: not ours to unlink) */
			free(q->disk);
			q->disk = NULL;
		}
		return rc;
	}
	close(fd);
	q->disk_size = size;
	return 0;
}

/* QMP, connected on first use: the vCPU threads (kept for pinning and
 * checked against -smp), then the connection stays for "quit". */
static int qmp_open(struct qemu_rt *q, struct qemu_launch *ql, pid_t vmm,
		    struct ib_err *err)
{
	uint64_t deadline = ib_mono_ns() + QMP_TIMEOUT_S * 1000000000ull;
	cJSON *cpus = NULL;
	int n;

	if (ql->qmp.fd >= 0)
		return 0;
	if (ib_qmp_connect(&ql->qmp, ql->qmp_path, vmm, deadline, err) < 0)
		return err->code;
	if (ib_qmp_execute(&ql->qmp, "query-cpus-fast", NULL, &cpus, deadline,
			   err) < 0)
		return err->code;
	/* thread ids range-checked before they become pids */
	n = ib_qmp_vcpu_tids(cpus, ql->vcpu_tid, (int)IB_ARRAY_LEN(ql->vcpu_tid),
			     err);
	cJSON_Delete(cpus);
	if (n < 0)
		return n;
	ql->nvcpus = n;
	if (ql->nvcpus != q->cpus)
		return ib_err_set(err, -EPROTO, "QMP reports %d vCPU threads, "
				  "the VM was given %d", ql->nvcpus, q->cpus);
	return 0;
}

static int qemu_launch(struct ib_runtime *rt, struct ib_launch *l,
		       struct ib_err *err)
{
	struct qemu_rt *q = rt->priv;
	struct qemu_launch *ql = ib_xcalloc(1, sizeof(*ql));
	struct ib_strv pargv = {0}, argv = {0};
	struct ib_spawn_opts so = {0};
	const char *disk = NULL;
	int rc;

	ql->qmp.fd = -1;
	l->priv = ql;
	if (strcmp(launch_workload(l->probe_argv), "disk") == 0) {
		rc = ensure_disk(rt, q, launch_disk_need(l->probe_argv), err);
		if (rc < 0)
			return rc;
		disk = q->disk;
		ib_strv_push(&pargv, "--scratch");
		ib_strv_push(&pargv, "/dev/vda");
	}
	/* an application's data set on a disk of its own (the probe
	 * mounts it) */
	if (l->app_disk)
		disk = l->app_disk;
	for (char **a = l->probe_argv; *a; a++)
		ib_strv_push(&pargv, *a);
	ib_strv_push_owned(&pargv, NULL);
	ql->qmp_path = ib_xasprintf("%s/%d.qmp", q->sock_dir, l->id);
	if (l->app_root) {
		/* an application's launch: its tree over the probe's image */
		ql->initrd = ib_xasprintf("%s/%s.initrd", rt->ctx->work, l->name);
		rc = ib_vm_initrd_with_tree(q->img.initramfs, l->app_root,
					    ql->initrd, err);
		if (rc < 0) {
			free(ql->initrd);
			ql->initrd = NULL;
			ib_strv_free(&pargv);
			return rc;
		}
	}
	rc = build_argv(q, q->kvm, pargv.v, disk,
			l->net ? l->net->host_if : NULL, ql->qmp_path,
			ql->initrd, &argv, &ql->cmdline, err);
	ib_strv_free(&pargv);
	/* VMs held at once (footprint) need a VM's pages each */
	if (rc == 0 && q->mem == MEM_HUGETLB)
		rc = pool_ensure(rt, q, err);
	if (rc < 0) {
		ib_strv_free(&argv);
		return rc;
	}
	/* a guest boots in 1-3 s under TCG here, well under 1 s with KVM;
	 * a rare TCG boot hangs before userspace (about one in 60 on a
	 * loaded host: silent from the start, or after its PCI message):
	 * end it at this deadline, not the launch timeout, and the runner
	 * replaces it (RUN_HUNG_BOOTS_REPLACED) */
	l->boot_timeout_s = q->kvm ? BOOT_TIMEOUT_KVM_S : BOOT_TIMEOUT_TCG_S;
	l->t_launch_ns = ib_mono_ns();
	/* an application's probe is asked to end on its console (stdin) */
	so.cwd = rt->ctx->work;
	so.flags = IB_PROC_DIE_WITH_PARENT |
		   (l->app_root ? IB_PROC_STDIN_PIPE : 0);
	if (q->emu_cpu >= 0) {
		so.pre_exec = emulator_affinity;
		so.pre_exec_arg = &q->emu_cpu;
	}
	rc = ib_proc_start(&l->proc, argv.v, &so, err);
	ib_strv_free(&argv);
	if (rc < 0)
		return rc;
	l->out_fd = l->proc.out_fd;
	rc = ib_state_add_process(rt->ctx->state, l->name, l->proc.pid,
				  l->proc.starttime, err);
	if (rc < 0)
		return rc;
	/* QMP answers once QEMU is set up, while the guest boots (it is
	 * served by QEMU's main loop, not the vCPUs). A QEMU that ended
	 * first (a kernel it cannot load) is not an error of the launch: its
	 * output, which the runner reads, says why. */
	if (qmp_open(q, ql, l->proc.pid, err) < 0) {
		uint64_t until = ib_mono_ns() + 2000000000ull;

		ql->qmp_failed = 1;
		/* QMP failing because QEMU is on its way out (it closed the
		 * socket as it exited): give it a moment to end */
		while (!ib_pid_ended(l->proc.pid) && ib_mono_ns() < until) {
			struct timespec ts = {0, 5000000};

			nanosleep(&ts, NULL);
		}
		if (ib_pid_ended(l->proc.pid))
			return 0;
		return ib_err_wrap(err, "VM %s", l->name);
	}
	if (q->pin && (rc = pin_vcpus(q, ql, l->proc.pid, err)) < 0)
		return ib_err_wrap(err, "VM %s", l->name);
	if (q->emu_cpu >= 0 &&
	    (rc = isolate_emulator(q, ql, l->proc.pid, &ql->emu_threads,
				   err)) < 0)
		return ib_err_wrap(err, "VM %s", l->name);
	return 0;
}

/* Ends a VM that is still running: an application's probe is asked first,
 * on its console (the line "isobench-stop": it stops its server, reports,
 * and powers the guest off); then, and for any other, QMP "quit" (QEMU
 * closes down as on SIGTERM), else SIGTERM. */
static void qemu_stop(struct ib_runtime *rt, struct ib_launch *l)
{
	struct qemu_launch *ql = l->priv;
	struct ib_err e = {0};
	static const char word[] = "isobench-stop\n";

	if (!ql || l->proc.pid <= 0 || l->proc.reaped)
		return;
	if (l->proc.in_fd > 0 && !ql->asked) {
		ql->asked = 1;
		if (write(l->proc.in_fd, word, sizeof(word) - 1) ==
		    (ssize_t)sizeof(word) - 1)
			return;
	}
	if (ql->qmp_failed || qmp_open(rt->priv, ql, l->proc.pid, &e) < 0 ||
	    ib_qmp_execute(&ql->qmp, "quit", NULL, NULL,
			   ib_mono_ns() + 2000000000ull, &e) < 0)
		kill(l->proc.pid, SIGTERM);
}

static void qemu_teardown(struct ib_runtime *rt, struct ib_launch *l)
{
	struct qemu_launch *ql = l->priv;

	if (ql && l->proc.pid > 0 && !l->proc.reaped) {
		qemu_stop(rt, l);
		ib_proc_wait(&l->proc, ib_mono_ns() + QUIT_GRACE_MS * 1000000ull);
	}
	ib_proc_kill(&l->proc);
	ib_proc_close(&l->proc);
	if (l->proc.pid > 0)
		ib_state_del(rt->ctx->state, l->name, NULL);
	if (ql) {
		ib_qmp_close(&ql->qmp);
		if (ql->qmp_path)
			unlink(ql->qmp_path);
		free(ql->qmp_path);
		if (ql->initrd)
			unlink(ql->initrd);
		free(ql->initrd);
		free(ql->cmdline);
		free(ql);
	}
	l->priv = NULL;
}

static void qemu_describe(struct ib_runtime *rt, cJSON *out)
{
	struct qemu_rt *q = rt->priv;

	if (!q)
		return;
	cJSON_AddStringToObject(out, "version", q->qemu_version);
	cJSON_AddStringToObject(out, "machine", q->q35 ? "q35" : "microvm");
	cJSON_AddStringToObject(out, "accelerator", q->kvm ? "kvm" : "tcg");
	cJSON_AddStringToObject(out, "accelerator_why", q->accel_why ? q->accel_why : "");
	/* report.c flags every figure of a runtime described as emulated */
	cJSON_AddBoolToObject(out, "emulated", !q->kvm);
	cJSON_AddNumberToObject(out, "vcpus", q->cpus);
	if (q->pin) {
		cJSON *a = cJSON_AddArrayToObject(out, "vcpu_host_cpus");

		for (int i = 0; i < q->cpus; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(q->pin_cpu[i]));
		cJSON_AddStringToObject(out, "pinning",
					"each launch pins vCPU i's thread (from "
					"QMP query-cpus-fast) to vcpu_host_cpus[i] "
					"with sched_setaffinity once QMP answers, "
					"while the guest boots, and reads it back "
					"from /proc/PID/task/TID/status");
	}
	cJSON_AddNumberToObject(out, "memory_mib", (double)q->mem_mib);
	cJSON_AddStringToObject(out, "guest_kernel", q->img.kernel.path);
	cJSON_AddStringToObject(out, "guest_kernel_version", q->img.kernel.version);
	cJSON_AddStringToObject(out, "initramfs", q->img.initramfs);
	cJSON_AddStringToObject(out, "initramfs_sha256", q->img.sha256);
	cJSON_AddStringToObject(out, "initramfs_compression", q->img.compression);
	cJSON_AddNumberToObject(out, "initramfs_modules", q->img.nmodules);
	if (!q->kvm && q->tsc_khz)
		cJSON_AddNumberToObject(out, "guest_tsc_khz", (double)q->tsc_khz);
	cJSON_AddStringToObject(out, "console", "serial ttyS0 (QEMU stdio)");
	cJSON_AddStringToObject(out, "scratch_disk",
				"raw image, virtio-blk, cache=none (host O_DIRECT)");
	cJSON_AddStringToObject(out, "guest_memory",
				q->mem == MEM_ANON    ? "anonymous (memory-backend-ram)"
				: q->mem == MEM_HUGETLB ? "hugetlb memfd backend"
							: "memfd backend");
	if (q->mem == MEM_HUGETLB) {
		cJSON_AddStringToObject(out, "hugepage",
					q->page_kb == 2048 ? "2M" : "1G");
		cJSON_AddStringToObject(out, "hugepage_pool",
					"the host's pool grown by what a launch "
					"lacked, given back after the run "
					"(isobench cleanup after a kill -9)");
	}
	cJSON_AddStringToObject(out, "prealloc", q->prealloc ? "on" : "off");
	if (q->nnodes) {
		cJSON *a = cJSON_AddArrayToObject(out, "numa_host_nodes");

		for (int i = 0; i < q->nnodes; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(q->node[i]));
		cJSON_AddStringToObject(out, "numa",
					q->nnodes == 1
						? "mirror: this host has one node with "
						  "memory: the guest gets one NUMA node, "
						  "its RAM bound to host node "
						  "numa_host_nodes[0] (the same layout "
						  "as without, bound)"
						: "mirror: guest node i's RAM bound to "
						  "host node numa_host_nodes[i], "
						  "vCPU j in guest node j % nodes");
	}
	if (q->emu_cpu >= 0) {
		cJSON_AddNumberToObject(out, "emulator_host_cpu", q->emu_cpu);
		cJSON_AddStringToObject(out, "emulator",
					"isolated: QEMU started on "
					"emulator_host_cpu (every thread it "
					"makes starts there), the vCPUs then "
					"pinned away and every other thread "
					"set and read back there; the disk in "
					"an iothread with KVM (under TCG, which "
					"has no ioeventfd, in the main loop on "
					"the same CPU)");
	}
}

static void qemu_release(struct ib_runtime *rt)
{
	struct qemu_rt *q = rt->priv;

	if (!q)
		return;
	if (q->sock_dir) {
		ib_rmtree(q->sock_dir);
		ib_state_del(rt->ctx->state, q->state_name, NULL);
	}
	if (q->disk)
		unlink(q->disk);
	ib_rt_hugepool_release(rt, &q->pool);
	qemu_free(q);
	rt->priv = NULL;
}

static const char *const qemu_also_default[] = {"qemu:machine=q35", NULL};

/* The net workload: a tap on the host, virtio-net in the guest, whose
 * address the probe sets from its --net-if argument. */
static int qemu_net_kind(const struct ib_runtime *rt, struct ib_buf *why)
{
	(void)rt;
	(void)why;
	return IB_NET_TAP;
}

const struct ib_runtime_ops ib_runtime_qemu = {
	.name = "qemu",
	.family = "vm",
	.summary = "QEMU virtual machine (microvm or q35), the probe as /init; "
		   "KVM, else TCG",
	.available = qemu_available,
	.prepare = qemu_prepare,
	.launch = qemu_launch,
	.wait = ib_runtime_wait_proc,
	.teardown = qemu_teardown,
	.describe = qemu_describe,
	.release = qemu_release,
	.stop = qemu_stop,
	.apps = IB_APPS_RAMROOT,
	.own_kernel = 1,
	.net_kind = qemu_net_kind,
	.also_default = qemu_also_default,
	.options = qemu_options,
	.noptions = IB_ARRAY_LEN(qemu_options),
};
