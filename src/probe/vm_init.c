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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

int vm_is_init(const char *argv0)
{
	/* pid 1 alone is not enough: the probe is pid 1 of every
	 * container's pid namespace too, where it must behave as any
	 * process. The kernel starts the initramfs's init as "/init"; a
	 * container's entrypoint is the probe's own path. */
	return getpid() == 1 && argv0 && strcmp(argv0, "/init") == 0;
}

void vm_console_prepare(void)
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
		emit_error("vm", "failed", "mount %s on %s: %s", type, dir,
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
			emit_error("vm", "failed", "module %s: %s", line,
				   strerror(errno));
			rc = -1;
			break;
		}
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
			emit_error("vm", "failed", "loading module %s: %s", line,
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

int vm_setup(const char *scratch)
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
			emit_error("vm", "failed",
				   "scratch disk %s did not appear within 5 s "
				   "of loading the modules",
				   scratch);
			return -1;
		}
	}
	emit_info_num("vm", "modules_loaded", loaded);
	emit_info_num("vm", "setup_ms", (double)(now_ns() - t0) / 1e6);
	return 0;
}

void vm_poweroff(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Only if power-off is not wired (no ACPI): a reset, which the VMM
	 * is told to turn into an exit (qemu -no-reboot, firecracker). */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
