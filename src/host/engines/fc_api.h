/* fc_api: Firecracker's HTTP API on its Unix socket, and what Firecracker
 * asks of the kernel it boots.
 *
 * A microVM is configured before it starts, one PUT per resource, in the
 * shapes of Firecracker's published API (src/firecracker/swagger/
 * firecracker.yaml in firecracker-microvm/firecracker):
 *
 *   PUT /machine-config  MachineConfiguration {vcpu_count, mem_size_mib,
 *                        smt, huge_pages (since v1.7, "2M")}
 *   PUT /boot-source     BootSource {kernel_image_path, initrd_path,
 *                                    boot_args}
 *   PUT /drives/{id}     Drive {drive_id, is_root_device, is_read_only,
 *                               path_on_host}  (only when asked for)
 *   PUT /actions         InstanceActionInfo {action_type: InstanceStart}
 *
 * Success is 204 No Content; a refusal is 400 with an Error body
 * {"fault_message": "..."}, which ends up in the error so the user reads
 * Firecracker's own words. The transport is the same libcurl call the
 * Docker driver uses (docker_api.h).
 *
 * Kept apart from the driver (runtime/drivers/firecracker.c) so that a unit test can
 * point these requests at a mock server and check every one against the
 * published shapes, on a machine with no Firecracker. */
#ifndef ISOBENCH_FC_API_H
#define ISOBENCH_FC_API_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "base/proc.h"
#include "base/util.h"

/* MachineConfiguration.vcpu_count is bounded to [1, 32] by the API. */
#define FC_VCPU_MAX 32
/* Guest memory when the run sets no memory limit. */
#define FC_DEFAULT_MEM_MIB 512
/* The id of the scratch drive (PUT /drives/scratch): the guest sees it as
 * the first virtio block device, vda. */
#define FC_SCRATCH_DRIVE "scratch"
/* The id of the net workload's interface (PUT /network-interfaces/net0):
 * the guest's first network interface. */
#define FC_NET_IFACE "net0"

/* One microVM's pre-boot configuration. */
struct fc_vm_config {
	int vcpus;              /* 1..FC_VCPU_MAX */
	unsigned mem_mib;
	const char *kernel;     /* uncompressed ELF vmlinux (x86_64) */
	const char *initrd;     /* NULL: none */
	const char *boot_args;  /* the whole kernel command line */
	const char *drive_path; /* raw image for the scratch drive, or NULL */
	const char *tap;        /* host tap for a virtio-net device, or NULL */
	const char *huge_pages; /* "2M": guest memory on hugetlbfs pages;
				   NULL: Firecracker's default (none) */
};

/* PUT path with body (serialised as JSON) on the API at sock. Returns 0
 * on a 2xx answer; otherwise < 0 with err naming the request and, on an
 * HTTP error, Firecracker's fault_message (or the raw body). */
int fc_api_put(const char *sock, const char *path, const cJSON *body,
	       double timeout_s, struct ib_err *err);

/* The whole configuration of c, then InstanceStart, in that order, each
 * request bounded by timeout_s. *t_configured_ns (if not NULL) gets the
 * CLOCK_MONOTONIC time when everything but InstanceStart was accepted.
 * Returns 0 or < 0 with err (from the first request that failed). */
int fc_api_boot(const char *sock, const struct fc_vm_config *c,
		double timeout_s, uint64_t *t_configured_ns,
		struct ib_err *err);

/* Waits until something accepts connections on sock (Firecracker creates
 * its API socket a moment after it starts), until deadline_ns. If p is
 * not NULL and that process exits first, fails at once with what it
 * printed. Returns 0, -ETIMEDOUT or -ECHILD with err. */
int fc_api_wait_socket(const char *sock, struct ib_proc *p,
		       uint64_t deadline_ns, struct ib_err *err);

/* The request bodies (caller frees with cJSON_Delete). */
cJSON *fc_body_machine_config(int vcpus, unsigned mem_mib,
			      const char *huge_pages);
cJSON *fc_body_boot_source(const char *kernel, const char *initrd,
			   const char *boot_args);
cJSON *fc_body_drive(const char *id, const char *path, int read_only);
cJSON *fc_body_action(const char *action_type);
cJSON *fc_body_net(const char *id, const char *tap);

/* --- what the guest kernel must be --------------------------------------- */

/* Firecracker's x86_64 loader takes an uncompressed ELF vmlinux only
 * (linux_loader's Elf loader; a bzImage, which is what distributions ship
 * as /boot/vmlinuz, is refused). Returns 0 if path is a 64-bit x86-64 ELF;
 * else < 0 with err saying what the file is and how to get a vmlinux. */
int fc_kernel_check_image(const char *path, struct ib_err *err);

/* Firecracker announces its virtio-mmio devices (the scratch drive) on the
 * kernel command line (virtio_mmio.device=4K@0x...:IRQ), which the guest
 * reads only with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y: Debian's cloud
 * kernel has it off (its microvm devices come from ACPI under QEMU). It
 * also needs an initramfs and a serial console. config is the kernel's
 * config file's text, named path in errors. Returns 0 or -ENOTSUP with
 * err naming the missing option. */
int fc_kernel_check_config(const char *config, const char *path,
			   struct ib_err *err);

/* --- from the run's settings to the microVM's ---------------------------- */

/* vCPUs for a limit of cpus (0: online CPUs), clamped to FC_VCPU_MAX. */
int fc_vcpus(int cpus, int online);
/* MiB of guest memory for a limit of bytes (0: FC_DEFAULT_MEM_MIB). */
unsigned fc_mem_mib(uint64_t bytes);
/* The workload: the first probe argument that is not an option (options
 * that take a value skip it too). NULL if none. */
const char *fc_workload(char *const *probe_argv);
/* Bytes of the scratch disk for probe_argv: room for the disk workload's
 * size= (its default if absent) twice over plus 256 MiB, since the image
 * is sparse and costs only what is written. */
uint64_t fc_disk_bytes(char *const *probe_argv);

#endif
