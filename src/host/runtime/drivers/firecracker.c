/* firecracker: the probe as /init of a Firecracker microVM, configured
 * through Firecracker's HTTP API on its Unix socket (fc_api.c, libcurl).
 *
 * One firecracker process per launch, started with its own API socket;
 * the VM is configured with one PUT per resource (machine-config,
 * boot-source, a raw scratch drive for the disk workload) and started
 * with InstanceStart. The guest's serial console is firecracker's
 * stdout, so the probe's framed records arrive on the pipe isobench reads
 * from every runtime (they survive kernel messages and Firecracker's own
 * log lines on the same stream). The probe powers the VM off when done:
 * with reboot=k the guest resets through the keyboard controller, which
 * Firecracker takes as the end of the VM and exits, so waiting for the
 * instance is waiting for the firecracker process.
 *
 * What the guest kernel must be, and why Debian's will not do:
 *  - Firecracker's x86_64 loader takes only an uncompressed ELF vmlinux
 *    (src/vmm/src/arch/x86_64/mod.rs load_kernel: linux_loader's Elf
 *    loader; docs/rootfs-and-kernel-setup.md "supports uncompressed ELF
 *    kernel images on x86_64"). Distributions ship a bzImage as
 *    /boot/vmlinuz. So the kernel is $ISOBENCH_FC_KERNEL, a vmlinux.
 *  - Firecracker announces its virtio-mmio devices on the kernel command
 *    line (virtio_mmio.device=4K@0x...:IRQ); the guest reads them only
 *    with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y (docs/kernel-policy.md).
 *    Debian's cloud kernel has it off. prepare checks both and says so.
 * The kernel is chosen by an environment variable, not a runtime option,
 * because runtime options take values from a fixed list of choices
 * (runtime.c) and a path is not one.
 *
 * Where this cannot run (no firecracker binary: it is not packaged in
 * Debian; no read-write /dev/kvm), available() says exactly that and
 * where to get it. A KVM that opens but cannot run a stock guest (a PVM
 * host) is known from the qemu driver's trial boot once one has run
 * (ib_vm_kvm_verdict); before that it would show as a launch that times
 * out.
 *
 * Every file a launch makes (API socket, scratch image) is recorded in
 * the run's state file before it exists; cleanup removes them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "engines/fc_api.h"
#include "base/kvm.h"
#include "net/net_link.h"
#include "runtime/runtime.h"
#include "state/state.h"
#include "images/vm_image.h"

#define FC_API_TIMEOUT_S 10   /* each API request */
#define FC_SOCKET_WAIT_S 10   /* from spawn to a listening API socket */
#define FC_VERSION_TIMEOUT_S 10
/* Kernel parameters of every boot, beside what ib_vm_cmdline adds
 * (console, quiet, and panic=-1: a guest panic reboots at once, so the
 * launch fails now, not at its timeout):
 *  reboot=k   the probe's reboot resets through the i8042, which
 *             Firecracker turns into its own exit (the fast way out)
 *  pci=off    there is no PCI bus: do not probe for one */
#define FC_BOOT_ARGS "reboot=k pci=off"

/* Its tuning knob where its API has one: guest memory on 2M huge pages
 * (MachineConfiguration.huge_pages, Firecracker 1.7 on). Pinning has no
 * API (Firecracker leaves it to its jailer's cgroups). */
static const struct ib_rt_option fc_options[] = {
	{"hugepages", "none,2M", "none",
	 "2M: guest memory on hugetlbfs 2M pages (KubeVirt's "
	 "hugepages.pageSize), the host's pool grown for the run and given "
	 "back after it; none: anonymous memory", 0, NULL, NULL},
};

struct fc_rt {
	char *bin;
	char *version;        /* first line of firecracker --version */
	int boot_timer;       /* this firecracker knows --boot-timer */
	struct ib_vm_image img;
	int have_img;
	char *files;          /* <work>/firecracker: images and logs */
	char *sock_dir;       /* where the API sockets go */
	int sock_dir_own;     /* sock_dir is outside files, recorded apart */
	const char *config_checked; /* what the kernel config check found */
	int vcpus;
	unsigned mem_mib;
	int huge;             /* hugepages=2M */
	struct ib_rt_hugepool pool; /* the host's 2M pool grown for it */
};

struct fc_launch {
	char *sock, *disk, *log;
	char *sock_rec, *disk_rec; /* their names in the state file */
	int proc_rec;
};

/* The binary: $ISOBENCH_FIRECRACKER if set (a path or a name on PATH),
 * else firecracker on PATH. NULL if none; caller frees. */
static char *fc_binary(const char **env)
{
	*env = getenv("ISOBENCH_FIRECRACKER");
	if (*env && **env)
		return ib_which(*env);
	*env = NULL;
	return ib_which("firecracker");
}

static int fc_available(struct ib_buf *why, struct ib_buf *fix)
{
	const char *env;
	char *bin = fc_binary(&env);
	int fd;

	if (!bin) {
		if (env)
			ib_buf_printf(why, "ISOBENCH_FIRECRACKER=%s is not an "
				      "executable file", env);
		else
			ib_buf_printf(why, "no firecracker binary in PATH "
				      "(Firecracker is not packaged in Debian)");
		ib_buf_printf(fix, "download a release (firecracker-vX.Y.Z-"
			      "x86_64.tgz) from https://github.com/"
			      "firecracker-microvm/firecracker/releases and put "
			      "its firecracker binary in PATH or set "
			      "ISOBENCH_FIRECRACKER=/path/to/firecracker");
		return 0;
	}
	free(bin);
	/* a character device that answers KVM's API, not just a path that
	 * opens (kvm.h) */
	fd = ib_kvm_open(why, fix);
	if (fd < 0) {
		ib_buf_puts(why, " (Firecracker runs only on KVM)");
		return 0;
	}
	close(fd);
	{
		/* a KVM that opens may still not run a stock guest (a PVM
		 * host): the qemu driver's trial boot, if one ran, knows */
		struct ib_buf tw = {0};

		if (ib_vm_kvm_verdict(&tw) == 0) {
			ib_buf_printf(why, "KVM cannot run a stock guest here: "
				      "%s", tw.s ? tw.s : "a trial boot failed");
			ib_buf_puts(fix, "a host whose KVM runs ordinary guests "
				    "(bare metal, or nested virtualization "
				    "that exposes VMX/SVM)");
			ib_buf_free(&tw);
			return 0;
		}
		ib_buf_free(&tw);
	}
	return 1;
}

/* Runs bin with one argument; its output's first line, or NULL. */
static char *fc_ask(const char *bin, const char *arg, struct ib_buf *all)
{
	char *argv[] = {(char *)bin, (char *)arg, NULL};
	struct ib_buf out = {0};
	char *line = NULL;

	if (ib_proc_capture(argv, NULL, FC_VERSION_TIMEOUT_S, NULL, &out,
			    NULL) >= 0 && out.s) {
		line = ib_xasprintf("%.*s", (int)strcspn(out.s, "\n"), out.s);
		ib_trim(line);
		if (all) {
			*all = out;
			out.s = NULL;
		}
	}
	ib_buf_free(&out);
	return line;
}

/* The guest kernel is one Firecracker can boot and that can see
 * Firecracker's devices. */
static int fc_check_kernel(struct fc_rt *f, const char *kernel_opt,
			   struct ib_err *err)
{
	struct ib_vm_kernel k = {0};
	int rc = ib_vm_kernel_find(kernel_opt, &k, err);

	if (rc < 0)
		return rc;
	rc = fc_kernel_check_image(k.path, err);
	if (rc == 0 && k.config) {
		char *text = ib_read_file(k.config, NULL, err);

		rc = text ? fc_kernel_check_config(text, k.config, err)
			  : err->code;
		free(text);
		f->config_checked = "checked: virtio-mmio command-line devices, "
				    "initramfs and serial console present";
	} else if (rc == 0) {
		/* nothing to read it from: the boot will tell */
		f->config_checked = "not checked (no kernel config found)";
	}
	ib_vm_kernel_free(&k);
	return rc;
}

static int fc_prepare(struct ib_runtime *rt, struct ib_err *err)
{
	const struct ib_run_ctx *ctx = rt->ctx;
	struct fc_rt *f = ib_xcalloc(1, sizeof(*f));
	const char *kernel_opt = getenv("ISOBENCH_FC_KERNEL"), *env;
	struct ib_buf help = {0};
	struct sockaddr_un sa;
	int rc;

	rt->priv = f;
	if (kernel_opt && !*kernel_opt)
		kernel_opt = NULL;
	f->bin = fc_binary(&env);
	if (!f->bin)
		return ib_err_set(err, -ENOENT, "no firecracker binary");
	f->version = fc_ask(f->bin, "--version", NULL);
	if (!f->version)
		return ib_err_set(err, -EIO, "%s --version gave no answer", f->bin);
	/* --boot-timer adds a device the guest can write to so Firecracker
	 * logs the boot time; older or newer builds may lack it, so only if
	 * its help names it */
	free(fc_ask(f->bin, "--help", &help));
	f->boot_timer = help.s && strstr(help.s, "boot-timer") != NULL;
	ib_buf_free(&help);

	if ((rc = fc_check_kernel(f, kernel_opt, err)) < 0)
		return rc;
	if ((rc = ib_vm_image_get(ctx->probe_path, kernel_opt, IB_VM_BUS_MMIO,
				  &f->img, err)) < 0)
		return rc;
	f->have_img = 1;

	f->files = ib_xasprintf("%s/firecracker", ctx->work);
	if ((rc = ib_mkdirs(f->files, 0700, err)) < 0)
		return rc;
	/* A Unix socket's path holds at most 107 bytes: a deep scratch
	 * directory pushes the sockets out to a short directory of their
	 * own, recorded for cleanup. */
	if (strlen(f->files) + sizeof("/000000.sock") <= sizeof(sa.sun_path)) {
		f->sock_dir = ib_xstrdup(f->files);
	} else {
		/* never a shared /tmp: isobench's runtime directory, checked */
		char *rtdir = ib_runtime_dir(err), *longest;

		if (!rtdir)
			return err->code;
		f->sock_dir = ib_xasprintf("%s/isobench-fc-%s", rtdir,
					   ctx->run_id);
		free(rtdir);
		longest = ib_xasprintf("%s/000000.sock", f->sock_dir);
		rc = ib_sock_path_check(longest, err);
		free(longest);
		if (rc < 0)
			return ib_err_wrap(err, "Firecracker's API socket");
		if ((rc = ib_state_add_dir(ctx->state, "firecracker-sockets",
					   f->sock_dir, err)) < 0 ||
		    (rc = ib_mkdirs(f->sock_dir, 0700, err)) < 0)
			return rc;
		f->sock_dir_own = 1;
	}
	f->vcpus = fc_vcpus(ctx->limits.cpus, (int)sysconf(_SC_NPROCESSORS_ONLN));
	f->mem_mib = fc_mem_mib(ctx->limits.memory);
	f->huge = !strcmp(ib_runtime_opt(rt, "hugepages"), "2M");
	if (f->huge) {
		if (f->mem_mib % 2)
			return ib_err_set(err, -EINVAL, "hugepages=2M: the VM's "
					  "memory (%u MiB) is not a whole "
					  "number of 2M pages", f->mem_mib);
		if (geteuid() != 0)
			return ib_err_set(err, -EPERM, "hugepages=2M grows the "
					  "host's huge page pool for the run: "
					  "run isobench as root");
		/* one VM's pages now: a host that cannot give them skips this
		 * column alone */
		f->pool.page_kb = 2048;
		f->pool.prefix = "firecracker";
		if ((rc = ib_rt_hugepool_ensure(rt, &f->pool, f->mem_mib / 2,
						err)) < 0)
			return ib_err_wrap(err, "hugepages=2M");
	}
	return 0;
}

static void fc_release(struct ib_runtime *rt)
{
	struct fc_rt *f = rt->priv;

	if (!f)
		return;
	if (f->sock_dir_own && ib_rmtree(f->sock_dir) == 0)
		ib_state_del(rt->ctx->state, "firecracker-sockets", NULL);
	if (f->have_img)
		ib_vm_image_free(&f->img);
	ib_rt_hugepool_release(rt, &f->pool);
	free(f->bin);
	free(f->version);
	free(f->files);
	free(f->sock_dir);
	free(f);
	rt->priv = NULL;
}

/* Records a file a launch is about to make. name is owned by the
 * caller. */
static int record_file(const struct ib_run_ctx *ctx, const char *name,
		       const char *path, struct ib_err *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", "file");
	cJSON_AddStringToObject(o, "runtime", "firecracker");
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "path", path);
	return ib_state_add(ctx->state, o, err);
}

/* A sparse raw image of bytes: the guest's scratch disk (vda). */
static int make_disk(const char *path, uint64_t bytes, struct ib_err *err)
{
	int fd;

	/* a new file in the run's directory: what was left there (a file
	 * of an earlier launch, or a symlink) is removed, never written
	 * through */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return ib_err_set(err, -errno, "scratch image %s: %s", path,
				  strerror(errno));
	if (ftruncate(fd, (off_t)bytes) != 0) {
		int rc = ib_err_set(err, -errno, "scratch image %s (%llu bytes): "
				    "%s", path, (unsigned long long)bytes,
				    strerror(errno));

		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

static int fc_launch(struct ib_runtime *rt, struct ib_launch *l,
		     struct ib_err *err)
{
	const struct ib_run_ctx *ctx = rt->ctx;
	struct fc_rt *f = rt->priv;
	struct fc_launch *fl = ib_xcalloc(1, sizeof(*fl));
	struct ib_strv argv = {0};
	struct fc_vm_config cfg;
	const char *wl = fc_workload(l->probe_argv);
	char *cmdline = NULL;
	int rc;

	l->priv = fl;
	cmdline = ib_vm_cmdline("ttyS0", FC_BOOT_ARGS, l->probe_argv, err);
	if (!cmdline)
		return err->code ? err->code : -EINVAL;

	fl->sock = ib_xasprintf("%s/%06d.sock", f->sock_dir, l->id);
	fl->sock_rec = ib_xasprintf("%s-sock", l->name);
	if ((rc = record_file(ctx, fl->sock_rec, fl->sock, err)) < 0)
		goto out;
	unlink(fl->sock); /* firecracker refuses an existing path */
	if (wl && !strcmp(wl, "disk")) {
		fl->disk = ib_xasprintf("%s/%s.img", f->files, l->name);
		fl->disk_rec = ib_xasprintf("%s-disk", l->name);
		if ((rc = record_file(ctx, fl->disk_rec, fl->disk, err)) < 0 ||
		    (rc = make_disk(fl->disk, fc_disk_bytes(l->probe_argv),
				    err)) < 0)
			goto out;
	}
	/* Firecracker's own log apart from the guest's console; it must
	 * exist before firecracker opens it. In the work directory, which
	 * goes with the run. */
	fl->log = ib_xasprintf("%s/%s.log", f->files, l->name);
	{
		int fd = open(fl->log, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
					       O_CLOEXEC,
			      0600);

		if (fd < 0) {
			rc = ib_err_set(err, -errno, "%s: %s", fl->log,
					strerror(errno));
			goto out;
		}
		close(fd);
	}

	ib_strv_push(&argv, f->bin);
	ib_strv_push(&argv, "--api-sock");
	ib_strv_push(&argv, fl->sock);
	ib_strv_push(&argv, "--id");
	ib_strv_push(&argv, l->name);
	ib_strv_push(&argv, "--log-path");
	ib_strv_push(&argv, fl->log);
	if (f->boot_timer)
		ib_strv_push(&argv, "--boot-timer");
	l->t_launch_ns = ib_mono_ns();
	{
		/* stdin is /dev/null (proc.h): not a terminal, so firecracker
		 * leaves the terminal alone and the guest reads no input */
		struct ib_spawn_opts so = {.cwd = f->files,
					   .flags = IB_PROC_DIE_WITH_PARENT};

		rc = ib_proc_start(&l->proc, argv.v, &so, err);
	}
	if (rc < 0)
		goto out;
	/* Recorded as soon as the pid exists; PDEATHSIG covers the moment
	 * before. */
	if ((rc = ib_state_add_marked_process(ctx->state, l->name, l->proc.pid,
					      l->proc.starttime, ctx->run_id,
					      err)) < 0)
		goto out;
	fl->proc_rec = 1;
	rc = fc_api_wait_socket(fl->sock, &l->proc,
				ib_mono_ns() + FC_SOCKET_WAIT_S * 1000000000ULL,
				err);
	if (rc < 0)
		goto out;
	/* VMs held at once (footprint) need a VM's pages each */
	if (f->huge && (rc = ib_rt_hugepool_ensure(rt, &f->pool, f->mem_mib / 2,
						   err)) < 0)
		goto out;
	cfg = (struct fc_vm_config){
		.vcpus = f->vcpus,
		.mem_mib = f->mem_mib,
		.huge_pages = f->huge ? "2M" : NULL,
		.kernel = f->img.kernel.path,
		.initrd = f->img.initramfs,
		.boot_args = cmdline,
		.drive_path = fl->disk,
		/* the net workload: a tap of the run's (net_link.h); the
		 * probe sets the guest's address from --net-if */
		.tap = l->net ? l->net->host_if : NULL,
	};
	rc = fc_api_boot(fl->sock, &cfg, FC_API_TIMEOUT_S, &l->t_created_ns, err);
	if (rc < 0)
		goto out;
	l->t_started_ns = ib_mono_ns();
	l->out_fd = l->proc.out_fd;
out:
	ib_strv_free(&argv);
	free(cmdline);
	return rc;
}

static void fc_teardown(struct ib_runtime *rt, struct ib_launch *l)
{
	struct fc_launch *fl = l->priv;
	struct ib_state *st = rt->ctx->state;

	ib_proc_kill(&l->proc);
	ib_proc_close(&l->proc);
	l->out_fd = -1;
	if (!fl)
		return;
	if (fl->proc_rec)
		ib_state_del(st, l->name, NULL);
	if (fl->sock_rec && (unlink(fl->sock) == 0 || errno == ENOENT))
		ib_state_del(st, fl->sock_rec, NULL);
	if (fl->disk_rec && (unlink(fl->disk) == 0 || errno == ENOENT))
		ib_state_del(st, fl->disk_rec, NULL);
	if (fl->log)
		unlink(fl->log);
	free(fl->sock);
	free(fl->disk);
	free(fl->log);
	free(fl->sock_rec);
	free(fl->disk_rec);
	free(fl);
	l->priv = NULL;
}

static void fc_describe(struct ib_runtime *rt, cJSON *out)
{
	struct fc_rt *f = rt->priv;
	cJSON *o;

	cJSON_AddStringToObject(out, "version", f->version);
	cJSON_AddStringToObject(out, "binary", f->bin);
	cJSON_AddStringToObject(out, "accelerator", "kvm");
	cJSON_AddStringToObject(out, "api", "Firecracker API on its Unix "
				"socket (libcurl)");
	cJSON_AddStringToObject(out, "console", "serial ttyS0 (firecracker's "
				"stdout)");
	cJSON_AddBoolToObject(out, "boot_timer", f->boot_timer);
	o = cJSON_AddObjectToObject(out, "kernel");
	cJSON_AddStringToObject(o, "path", f->img.kernel.path);
	cJSON_AddStringToObject(o, "version", f->img.kernel.version
				? f->img.kernel.version : "?");
	cJSON_AddStringToObject(o, "config", f->config_checked
				? f->config_checked : "?");
	cJSON_AddStringToObject(o, "extra_args", FC_BOOT_ARGS);
	o = cJSON_AddObjectToObject(out, "initramfs");
	cJSON_AddStringToObject(o, "path", f->img.initramfs);
	cJSON_AddStringToObject(o, "sha256", f->img.sha256);
	cJSON_AddStringToObject(o, "compression", f->img.compression
				? f->img.compression : "?");
	cJSON_AddNumberToObject(o, "modules", f->img.nmodules);
	cJSON_AddNumberToObject(out, "vcpus", f->vcpus);
	cJSON_AddNumberToObject(out, "mem_mib", f->mem_mib);
	cJSON_AddStringToObject(out, "huge_pages", f->huge ? "2M (hugetlbfs; the "
				"host's pool grown for the run and given back)"
				: "none");
	cJSON_AddStringToObject(out, "scratch", "a sparse raw image as virtio "
				"block device vda (disk workload only)");
	cJSON_AddStringToObject(out, "network", "none");
}

/* Leftovers of a killed run: the files the driver recorded (the
 * firecracker process itself is a generic "process" record), only where
 * the driver makes them: the run's work directory (firecracker/) or its
 * own socket directory (isobench-fc-<run id>). */
static int fc_cleanup(const struct ib_runtime_ops *ops, struct ib_cleanup *cx,
		      const cJSON *res, struct ib_err *err)
{
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind"));
	const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(res, "path"));
	struct stat st;

	(void)ops;
	if (!kind || strcmp(kind, "file") != 0)
		return ib_err_set(err, -EINVAL, "firecracker record is not a "
				  "file");
	if (ib_cleanup_path_ok(cx, path, err) < 0)
		return err->code;
	if (lstat(path, &st) != 0) {
		ib_buf_printf(cx->log, "firecracker file %s: already gone\n",
			      path);
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return ib_err_set(err, -EISDIR, "firecracker file %s is a "
				  "directory: left alone", path);
	if (!ib_cleanup_act(cx, IB_ACT_UNLINK, path, NULL))
		return 0;
	if (unlink(path) != 0 && errno != ENOENT)
		return ib_err_set(err, -errno, "firecracker file %s: %s", path,
				  strerror(errno));
	ib_buf_printf(cx->log, "firecracker file %s: removed\n", path);
	return 0;
}

static int fc_net_kind(const struct ib_runtime *rt, struct ib_buf *why)
{
	(void)rt;
	(void)why;
	return IB_NET_TAP;
}

const struct ib_runtime_ops ib_runtime_firecracker = {
	.name = "firecracker",
	.family = "microVM",
	.summary = "Firecracker microVM via its API socket; probe as /init "
		   "(kernel: $ISOBENCH_FC_KERNEL, an ELF vmlinux)",
	.available = fc_available,
	.prepare = fc_prepare,
	.launch = fc_launch,
	/* the instance is the firecracker process: its status (expected 0
	 * when the guest resets itself; not yet seen on a real Firecracker
	 * from here); the probe's own comes in its done record */
	.wait = ib_runtime_wait_proc,
	.teardown = fc_teardown,
	.describe = fc_describe,
	.release = fc_release,
	.cleanup = fc_cleanup,
	.net_kind = fc_net_kind,
	.options = fc_options,
	.noptions = IB_ARRAY_LEN(fc_options),
};
