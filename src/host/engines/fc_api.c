/* fc_api: Firecracker's API requests and its demands on the guest kernel
 * (see fc_api.h for the shapes and the sources they come from). */
#include "engines/fc_api.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "engines/docker_api.h"
#include "common/params.h"

/* --- requests ------------------------------------------------------------ */

cJSON *fc_body_machine_config(int vcpus, unsigned mem_mib,
			      const char *huge_pages)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "vcpu_count", vcpus);
	cJSON_AddNumberToObject(o, "mem_size_mib", mem_mib);
	/* explicit rather than Firecracker's default, so the report's
	 * describe and the VM agree whatever the version's default is */
	cJSON_AddBoolToObject(o, "smt", 0);
	if (huge_pages)
		cJSON_AddStringToObject(o, "huge_pages", huge_pages);
	return o;
}

cJSON *fc_body_boot_source(const char *kernel, const char *initrd,
			   const char *boot_args)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kernel_image_path", kernel);
	if (initrd)
		cJSON_AddStringToObject(o, "initrd_path", initrd);
	if (boot_args)
		cJSON_AddStringToObject(o, "boot_args", boot_args);
	return o;
}

cJSON *fc_body_drive(const char *id, const char *path, int read_only)
{
	cJSON *o = cJSON_CreateObject();

	/* the id in the body must be the one in the path: Firecracker
	 * refuses a mismatch */
	cJSON_AddStringToObject(o, "drive_id", id);
	cJSON_AddStringToObject(o, "path_on_host", path);
	cJSON_AddBoolToObject(o, "is_root_device", 0);
	cJSON_AddBoolToObject(o, "is_read_only", read_only);
	return o;
}

cJSON *fc_body_net(const char *id, const char *tap)
{
	cJSON *o = cJSON_CreateObject();

	/* as with drives, the id in the body is the one in the path */
	cJSON_AddStringToObject(o, "iface_id", id);
	cJSON_AddStringToObject(o, "host_dev_name", tap);
	return o;
}

cJSON *fc_body_action(const char *action_type)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "action_type", action_type);
	return o;
}

int fc_api_put(const char *sock, const char *path, const cJSON *body,
	       double timeout_s, struct ib_err *err)
{
	char *text = cJSON_PrintUnformatted(body);
	struct ib_buf resp = {0};
	long st = 0;
	int rc;

	rc = ib_http_unix_call(sock, "Firecracker API", "PUT", path,
			       "application/json", text, strlen(text),
			       timeout_s, &st, &resp, err);
	cJSON_free(text);
	if (rc == 0 && (st < 200 || st > 299)) {
		cJSON *j = cJSON_Parse(resp.s ? resp.s : "");
		const char *fault = cJSON_GetStringValue(
			cJSON_GetObjectItem(j, "fault_message"));

		rc = ib_err_set(err, -EIO, "Firecracker refused PUT %s: HTTP %ld: "
				"%.600s", path, st,
				fault ? fault : resp.s ? resp.s : "(no body)");
		cJSON_Delete(j);
	} else if (rc < 0) {
		ib_err_wrap(err, "PUT %s", path);
	}
	ib_buf_free(&resp);
	return rc;
}

static int put_owned(const char *sock, const char *path, cJSON *body,
		     double timeout_s, struct ib_err *err)
{
	int rc = fc_api_put(sock, path, body, timeout_s, err);

	cJSON_Delete(body);
	return rc;
}

int fc_api_boot(const char *sock, const struct fc_vm_config *c,
		double timeout_s, uint64_t *t_configured_ns,
		struct ib_err *err)
{
	int rc;

	/* Everything a boot needs is pre-boot configuration: it must all be
	 * in place before InstanceStart, which is the one request that
	 * starts the vCPUs. */
	rc = put_owned(sock, "/machine-config",
		       fc_body_machine_config(c->vcpus, c->mem_mib, c->huge_pages),
		       timeout_s,
		       err);
	if (rc == 0)
		rc = put_owned(sock, "/boot-source",
			       fc_body_boot_source(c->kernel, c->initrd,
						   c->boot_args),
			       timeout_s, err);
	if (rc == 0 && c->drive_path)
		rc = put_owned(sock, "/drives/" FC_SCRATCH_DRIVE,
			       fc_body_drive(FC_SCRATCH_DRIVE, c->drive_path, 0),
			       timeout_s, err);
	if (rc == 0 && c->tap)
		rc = put_owned(sock, "/network-interfaces/" FC_NET_IFACE,
			       fc_body_net(FC_NET_IFACE, c->tap), timeout_s, err);
	if (rc < 0)
		return rc;
	if (t_configured_ns)
		*t_configured_ns = ib_mono_ns();
	return put_owned(sock, "/actions", fc_body_action("InstanceStart"),
			 timeout_s, err);
}

/* What a process that died at start printed (its error), without
 * waiting: at most cap - 1 bytes. */
static void read_what_is_there(int fd, char *buf, size_t cap)
{
	size_t have = 0;

	buf[0] = '\0';
	while (fd >= 0 && have + 1 < cap) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t n;

		if (poll(&pfd, 1, 0) <= 0)
			break;
		n = read(fd, buf + have, cap - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	for (size_t i = 0; i < have; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	ib_trim(buf);
}

int fc_api_wait_socket(const char *sock, struct ib_proc *p,
		       uint64_t deadline_ns, struct ib_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (strlen(sock) >= sizeof(a.sun_path))
		return ib_err_set(err, -ENAMETOOLONG, "API socket path %s is too "
				  "long for a Unix socket", sock);
	strcpy(a.sun_path, sock);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
		struct timespec nap = {0, 5000000};

		if (fd < 0)
			return ib_err_set(err, -errno, "socket: %s", strerror(errno));
		ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (p && p->pid > 0 && ib_proc_wait(p, ib_mono_ns()) == 0) {
			char out[400];

			read_what_is_there(p->out_fd, out, sizeof(out));
			return ib_err_set(err, -ECHILD, "firecracker exited before "
					  "its API socket %s answered (status %d, "
					  "signal %d): %s", sock, p->exit_code,
					  p->term_signal, *out ? out : "no output");
		}
		if (ib_mono_ns() >= deadline_ns)
			return ib_err_set(err, -ETIMEDOUT, "firecracker's API socket "
					  "%s did not answer in time", sock);
		nanosleep(&nap, NULL);
	}
}

/* --- the guest kernel ---------------------------------------------------- */

int fc_kernel_check_image(const char *path, struct ib_err *err)
{
	unsigned char h[0x210];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ib_err_set(err, -errno, "guest kernel %s: %s", path,
				  strerror(errno));
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n >= 20 && !memcmp(h, "\177ELF", 4)) {
		/* e_ident[EI_CLASS] 2 = 64-bit, e_machine (offset 18,
		 * little-endian) 62 = EM_X86_64 */
		if (h[4] == 2 && h[5] == 1 && (h[18] | h[19] << 8) == 62)
			return 0;
		return ib_err_set(err, -ENOEXEC, "guest kernel %s is an ELF file "
				  "but not a 64-bit x86-64 one", path);
	}
	/* The Linux/x86 boot protocol's "HdrS" at 0x202 marks a bzImage. */
	if (n >= 0x206 && !memcmp(h + 0x202, "HdrS", 4))
		return ib_err_set(err, -ENOEXEC,
				  "guest kernel %s is a bzImage, and Firecracker "
				  "on x86_64 boots only an uncompressed ELF "
				  "vmlinux: set ISOBENCH_FC_KERNEL to a vmlinux "
				  "(the kernel build's ./vmlinux, or one "
				  "extracted from the bzImage with the kernel "
				  "tree's scripts/extract-vmlinux)", path);
	return ib_err_set(err, -ENOEXEC, "guest kernel %s is neither an ELF "
			  "vmlinux nor a bzImage", path);
}

/* The value of CONFIG_<name> in a kernel config's text: "y", "m", a
 * string, or NULL if unset. Points into a static buffer. */
static const char *config_value(const char *config, const char *name)
{
	static char val[64];
	size_t nl = strlen(name);

	for (const char *l = config; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t vl;

		if (strncmp(l, name, nl) != 0 || l[nl] != '=')
			continue;
		vl = strcspn(l + nl + 1, "\n");
		if (vl >= sizeof(val))
			vl = sizeof(val) - 1;
		memcpy(val, l + nl + 1, vl);
		val[vl] = '\0';
		return val;
	}
	return NULL;
}

int fc_kernel_check_config(const char *config, const char *path,
			   struct ib_err *err)
{
	static const struct {
		const char *name;
		int module_ok; /* =m will do: the initramfs loads it */
		const char *why;
	} need[] = {
		{"CONFIG_BLK_DEV_INITRD", 0, "the probe boots as /init of an "
		 "initramfs"},
		{"CONFIG_SERIAL_8250_CONSOLE", 0, "the probe's records leave "
		 "through the serial console ttyS0"},
		{"CONFIG_VIRTIO_MMIO", 1, "Firecracker's devices are "
		 "virtio-mmio"},
		{"CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES", 0, "Firecracker announces "
		 "its virtio-mmio devices on the kernel command line "
		 "(virtio_mmio.device=...), which only this option reads; "
		 "Debian's cloud kernel has it off"},
	};

	for (size_t i = 0; i < IB_ARRAY_LEN(need); i++) {
		const char *v = config_value(config, need[i].name);

		if (v && (!strcmp(v, "y") || (need[i].module_ok && !strcmp(v, "m"))))
			continue;
		return ib_err_set(err, -ENOTSUP,
				  "the guest kernel cannot run under Firecracker: "
				  "%s %s %s (%s); use a kernel built with it, e.g. "
				  "from Firecracker's guest configs "
				  "(resources/guest_configs), and point "
				  "ISOBENCH_FC_KERNEL at its vmlinux",
				  path, v ? "has" : "lacks", need[i].name,
				  need[i].why);
	}
	return 0;
}

/* --- settings ------------------------------------------------------------ */

int fc_vcpus(int cpus, int online)
{
	int n = cpus > 0 ? cpus : online;

	if (n < 1)
		n = 1;
	return n > FC_VCPU_MAX ? FC_VCPU_MAX : n;
}

unsigned fc_mem_mib(uint64_t bytes)
{
	uint64_t mib = bytes >> 20;

	if (bytes == 0)
		return FC_DEFAULT_MEM_MIB;
	if (mib < 1)
		mib = 1;
	return mib > 0xffffffffu ? 0xffffffffu : (unsigned)mib;
}

const char *fc_workload(char *const *argv)
{
	for (int i = 0; argv && argv[i]; i++) {
		if (!strcmp(argv[i], "--scratch") || !strcmp(argv[i], "--reps")) {
			if (!argv[++i])
				return NULL;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		return argv[i];
	}
	return NULL;
}

uint64_t fc_disk_bytes(char *const *argv)
{
	const struct ib_workload_def *w = ib_workload_find("disk");
	const struct ib_param_def *p = w ? ib_param_find(w, "size") : NULL;
	int full = 0;
	uint64_t size = 0;

	for (int i = 0; argv && argv[i]; i++)
		if (!strcmp(argv[i], "--full"))
			full = 1;
	if (p)
		ib_parse_size(ib_param_default(p, full), &size);
	for (int i = 0; argv && argv[i]; i++)
		if (!strncmp(argv[i], "size=", 5))
			ib_parse_size(argv[i] + 5, &size);
	if (size > (UINT64_MAX - (256u << 20)) / 2)
		return UINT64_MAX;
	return 2 * size + (256u << 20);
}
