/* kvm: is there a real KVM here? One check for every driver that needs it
 * (qemu's KVM trial, firecracker, kata).
 *
 * /dev/kvm counts only if it is a character device that answers
 * KVM_GET_API_VERSION with the API version this build knows: a regular
 * file at that path (a script's `exec 3<>/dev/kvm` on a host without KVM
 * creates one) opens read-write like the real device and must not pass.
 * That KVM opens says nothing yet about whether it can run a stock guest
 * (a PVM host's cannot): the qemu driver's trial boot decides that.
 *
 * $ISOBENCH_KVM_DEVICE names another path to check instead of /dev/kvm;
 * it exists so that tests can show the check refusing a fake device. */
#ifndef ISOBENCH_KVM_H
#define ISOBENCH_KVM_H

#include "base/util.h"

/* The path checked: $ISOBENCH_KVM_DEVICE or /dev/kvm. */
const char *ib_kvm_device(void);

/* Opens the KVM device read-write (O_CLOEXEC), checks that it is a
 * character device answering KVM_GET_API_VERSION == KVM_API_VERSION.
 * Returns the open fd (caller closes), or a negative errno with why (and
 * fix, if not NULL) filled: -ENOENT missing, -ENODEV not a character
 * device or not KVM, -EACCES etc. from open. Never creates the path. */
int ib_kvm_open(struct ib_buf *why, struct ib_buf *fix);

#endif
