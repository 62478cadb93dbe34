/* vm_init: the probe as a virtual machine's /init.
 *
 * In a VM the probe is the only process: the kernel starts it as pid 1
 * from the initramfs that isobench builds (host/vm_image.h), with the
 * words after "--" on the kernel command line as its arguments and
 * /dev/console (the serial port) as its stdin, stdout and stderr. So it
 * does what an init would, and no more:
 *
 *   before hello  the console is switched to raw output (no "\n" ->
 *                 "\r\n"), and the kernel's console log level lowered so
 *                 that kernel messages seldom land inside a record (the
 *                 framing survives them anyway: common/frame.h);
 *   after hello   /proc, /sys (the workloads size themselves from them)
 *                 and /dev (devtmpfs: the scratch disk) are mounted and
 *                 the modules listed in /etc/isobench-modules loaded in
 *                 that order (dependencies first) with finit_module;
 *   at the end    the VM is powered off: pid 1 must never exit (the
 *                 kernel would panic), and the VMM's exit is how the host
 *                 sees the probe end.
 *
 * Hello goes out before the set-up so that the host's "first byte" is the
 * moment userspace began, as the guest's uptime in hello is. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "probe.h"

#define MODULE_LIST "/etc/isobench-modules"

int pb_vm_is_init(const char *argv0)
{
	/* pid 1 alone is not enough: the probe is pid 1 of every
	 * container's pid namespace too, where it must behave as any
	 * process. The kernel starts the initramfs's init as "/init"; a
	 * container's entrypoint is the probe's own path. */
	return getpid() == 1 && argv0 && strcmp(argv0, "/init") == 0;
}

void pb_vm_console_prepare(void)
{
	struct termios t;

	if (tcgetattr(STDOUT_FILENO, &t) == 0) {
		t.c_oflag &= ~(tcflag_t)OPOST;
		t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
		tcsetattr(STDOUT_FILENO, TCSANOW, &t);
	}
	/* 1: only emergencies reach the console from here on */
	klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 1);
}

static int mount_one(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, MS_NOSUID, NULL) != 0 && errno != EBUSY) {
		pb_emit_error("vm", "failed", "mount %s on %s: %s", type, dir,
			      strerror(errno));
		return -1;
	}
	return 0;
}

static int load_modules(int *loaded)
{
	char line[512];
	FILE *f = fopen(MODULE_LIST, "re");
	int rc = 0;

	*loaded = 0;
	if (!f)
		return 0; /* a kernel with everything built in needs none */
	while (fgets(line, sizeof(line), f)) {
		int fd;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			pb_emit_error("vm", "failed", "module %s: %s", line,
				      strerror(errno));
			rc = -1;
			break;
		}
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
			pb_emit_error("vm", "failed", "loading module %s: %s", line,
				      strerror(errno));
			close(fd);
			rc = -1;
			break;
		}
		close(fd);
		(*loaded)++;
	}
	fclose(f);
	return rc;
}

int pb_vm_setup(const char *scratch)
{
	uint64_t t0 = now_ns();
	int loaded = 0;

	if (mount_one("proc", "/proc", "proc") < 0 ||
	    mount_one("sysfs", "/sys", "sysfs") < 0 ||
	    mount_one("devtmpfs", "/dev", "devtmpfs") < 0 ||
	    load_modules(&loaded) < 0)
		return -1;
	/* A disk's node appears once its driver has probed the device,
	 * which may finish after finit_module returns. */
	if (scratch && strncmp(scratch, "/dev/", 5) == 0) {
		struct stat st;
		uint64_t until = now_ns() + 5000000000ull;

		while (stat(scratch, &st) != 0 && now_ns() < until) {
			struct timespec ts = {0, 5000000};

			nanosleep(&ts, NULL);
		}
		if (stat(scratch, &st) != 0) {
			pb_emit_error("vm", "failed",
				      "scratch disk %s did not appear within 5 s "
				      "of loading the modules",
				      scratch);
			return -1;
		}
	}
	pb_emit_info_num("vm", "modules_loaded", loaded);
	pb_emit_info_num("vm", "setup_ms", (double)(now_ns() - t0) / 1e6);
	return 0;
}

/* Brings interface name up, with addr/prefix if addr is not NULL. */
static int if_up(int sock, const char *name, const struct in_addr *addr,
		 int prefix)
{
	struct ifreq r;
	struct sockaddr_in *sa = (struct sockaddr_in *)&r.ifr_addr;

	memset(&r, 0, sizeof(r));
	snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", name);
	if (addr) {
		sa->sin_family = AF_INET;
		sa->sin_addr = *addr;
		if (ioctl(sock, SIOCSIFADDR, &r) != 0)
			return -errno;
		sa->sin_addr.s_addr =
			htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
		if (ioctl(sock, SIOCSIFNETMASK, &r) != 0)
			return -errno;
	}
	if (ioctl(sock, SIOCGIFFLAGS, &r) != 0)
		return -errno;
	r.ifr_flags |= IFF_UP;
	return ioctl(sock, SIOCSIFFLAGS, &r) != 0 ? -errno : 0;
}

/* The first interface that is not loopback, waiting for its driver to
 * register it; 0 or -1. */
static int first_nic(char *name, size_t cap, double wait_s)
{
	uint64_t deadline = now_ns() + (uint64_t)(wait_s * 1e9);

	for (;;) {
		DIR *d = opendir("/sys/class/net");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			size_t len = strlen(e->d_name);

			if (e->d_name[0] == '.' || !strcmp(e->d_name, "lo") ||
			    len >= cap)
				continue;
			memcpy(name, e->d_name, len + 1);
			closedir(d);
			return 0;
		}
		if (d)
			closedir(d);
		if (now_ns() >= deadline)
			return -1;
		usleep(5000);
	}
}

int pb_vm_net_setup(const char *cidr)
{
	char addr[32], nic[IFNAMSIZ];
	const char *slash = strchr(cidr, '/');
	struct in_addr in;
	int prefix, sock, rc;

	if (!slash || (size_t)(slash - cidr) >= sizeof(addr) ||
	    (prefix = atoi(slash + 1)) < 1 || prefix > 32) {
		pb_emit_error("vm", "invalid", "--net-if '%s' is not ADDR/PREFIX",
			      cidr);
		return -1;
	}
	memcpy(addr, cidr, (size_t)(slash - cidr));
	addr[slash - cidr] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1) {
		pb_emit_error("vm", "invalid", "--net-if '%s': bad IPv4 address",
			      cidr);
		return -1;
	}
	if (first_nic(nic, sizeof(nic), 5) < 0) {
		pb_emit_error("vm", "failed",
			      "no network interface appeared within 5 s (is "
			      "virtio_net in the image?)");
		return -1;
	}
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		pb_emit_error("vm", "failed", "socket: %s", strerror(errno));
		return -1;
	}
	rc = if_up(sock, "lo", NULL, 0);
	if (rc == 0)
		rc = if_up(sock, nic, &in, prefix);
	close(sock);
	if (rc < 0) {
		pb_emit_error("vm", "failed", "configuring %s as %s: %s", nic, cidr,
			      strerror(-rc));
		return -1;
	}
	pb_emit_info_str("vm", "net_if", nic);
	return 0;
}

void pb_vm_poweroff(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Only if power-off is not wired (no ACPI): a reset, which the VMM
	 * is told to turn into an exit (qemu -no-reboot, firecracker). */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
