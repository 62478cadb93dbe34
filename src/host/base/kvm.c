#include "base/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ib_kvm_device(void)
{
	const char *p = getenv("ISOBENCH_KVM_DEVICE");

	return p && *p ? p : "/dev/kvm";
}

int ib_kvm_open(struct ib_buf *why, struct ib_buf *fix)
{
	const char *dev = ib_kvm_device();
	struct stat st;
	int fd, e, api;

	/* No O_CREAT, so a missing device is never created; O_NONBLOCK so a
	 * FIFO planted at the path cannot hang the open; O_NOCTTY in case
	 * it is a terminal. */
	fd = open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		ib_buf_printf(why, "%s cannot be opened read-write: %s", dev,
			      strerror(e));
		if (fix)
			ib_buf_puts(fix, e == ENOENT
				    ? "enable virtualization in the firmware "
				      "and load kvm_intel or kvm_amd (modprobe)"
				    : "run isobench as root or as a member of "
				      "the kvm group");
		return -e;
	}
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
		ib_buf_printf(why, "%s is not a character device (a %s): not "
			      "KVM", dev,
			      S_ISREG(st.st_mode)   ? "regular file"
			      : S_ISDIR(st.st_mode) ? "directory"
			      : S_ISFIFO(st.st_mode) ? "FIFO"
						     : "non-device file");
		if (fix)
			ib_buf_printf(fix, "remove the impostor %s (a script "
				      "may have created it by opening the path "
				      "for writing) and load kvm_intel or "
				      "kvm_amd", dev);
		close(fd);
		return -ENODEV;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		e = errno;
		if (api < 0)
			ib_buf_printf(why, "%s does not answer KVM_GET_API_VERSION "
				      "(%s): not KVM", dev, strerror(e));
		else
			ib_buf_printf(why, "%s answers KVM API version %d, not "
				      "%d", dev, api, KVM_API_VERSION);
		if (fix)
			ib_buf_puts(fix, "load kvm_intel or kvm_amd");
		close(fd);
		return -ENODEV;
	}
	return fd;
}
