/* isobench doctor: what this host lacks for each runtime and tool, and
 * the command that installs it. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "base/proc.h"
#include "cli/cli.h"
#include "runtime/drivers/registry.h"
#include "images/vm_image.h"
#include "version.h"

static int doctor_line(int ok, const char *what, const char *detail,
		       const char *fix)
{
	printf("  [%s] %s%s%s\n", ok ? " ok " : "MISS", what,
	       detail && *detail ? ": " : "", detail ? detail : "");
	if (!ok && fix)
		printf("         fix: %s\n", fix);
	return !ok;
}

int ib_cmd_doctor(int argc, char **argv)
{
	static const struct {
		const char *prog, *pkg, *use;
	} tools[] = {
		{"sysbench", "sysbench", "validate: cpu"},
		{"perf", "linux-perf", "validate: syscall, ctxsw"},
		{"cyclictest", "rt-tests", "validate: jitter"},
		{"fio", "fio", "validate: disk"},
		{"mbw", "mbw", "validate: membw"},
		{"hyperfine", "hyperfine", "validate: startup (runc, qemu)"},
		{"iperf3", "iperf3", "validate: net-stream"},
		{"nuttcp", "nuttcp", "validate: net-stream-nuttcp, net-stream4-"
		 "nuttcp, net-rx-nuttcp, net-rx4-nuttcp"},
		{"sockperf", "sockperf", "validate: net-rr"},
		{"taskset", "util-linux", "validate: net (pins clients and servers)"},
		{"wrk", "wrk", "nginx, validate: app-nginx"},
		{"mariadbd", "mariadb-server-core", "mariadb, validate: app-mariadb"},
		{"mariadb-install-db", "mariadb-server-core",
		 "mariadb: the data set"},
		{"my_print_defaults", "mariadb-client-core",
		 "mariadb: mariadb-install-db runs it"},
		{"mkfs.ext4", "e2fsprogs", "mariadb, nginx docroot=scratch: a VM's "
		 "data disk"},
	};
	char *probe = ib_cli_probe_path(NULL), *fixcmd;
	int missing = 0;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: isobench doctor\n\nChecks what isobench needs "
		       "here (probe, runtimes, the classic tools\nthat "
		       "`validate` compares with) and prints the command "
		       "that fixes\neach missing piece. Exit status 0 if "
		       "nothing is missing, 1 otherwise.\n");
		return 0;
	}
	printf("isobench %s doctor\n\nprobe:\n", ISOBENCH_VERSION);
	{
		char *pargv[] = {probe, "--version", NULL};
		struct ib_buf out = {0};
		/* bounded: a probe that hangs must not hang doctor */
		int ok = ib_proc_capture(pargv, NULL, 5, NULL, &out, NULL) == 0;

		if (out.s)
			out.s[strcspn(out.s, "\n")] = '\0';
		missing += doctor_line(ok, probe, ok ? out.s : "does not run",
				       "build it: ./scripts/setup.sh (or set "
				       "ISOBENCH_PROBE)");
		ib_buf_free(&out);
	}
	printf("\nruntimes:\n");
	for (int i = 0; i < ib_nruntimes; i++) {
		struct ib_buf why = {0}, fix = {0};
		int ok = ib_runtimes[i]->available(&why, &fix);

		missing += doctor_line(ok, ib_runtimes[i]->name,
				       ok ? "usable" : why.s, fix.s);
		ib_buf_free(&why);
		ib_buf_free(&fix);
	}
	{
		/* what the VMs will run on: the qemu driver's KVM trial boot
		 * (a success kept until the host reboots, a failure for 10
		 * minutes), if one has run */
		struct ib_buf kw = {0};
		int kv = ib_vm_kvm_verdict(&kw);

		printf("  [info] KVM: %s\n",
		       kv == 1   ? "a trial boot ran a stock guest: VMs use KVM"
		       : kv == 0 ? "VMs run under TCG (emulated)"
				 : "not tried yet, or a failed trial expired (the "
				   "next qemu run boots a trial with KVM, 6 s at "
				   "most)");
		if (kv == 0)
			printf("         %s\n", kw.s ? kw.s : "");
		ib_buf_free(&kw);
	}
	{
		/* the net benchmark's links */
		char *ip = ib_which("ip");

		printf("\nnet benchmark:\n");
		missing += doctor_line(ip != NULL, "ip",
				       ip ? "namespaces, veth pairs, taps "
					    "(iproute2)" : "not found",
				       "apt-get install -y iproute2");
		missing += doctor_line(access("/dev/net/tun", R_OK | W_OK) == 0,
				       "/dev/net/tun",
				       access("/dev/net/tun", R_OK | W_OK) == 0
					       ? "taps for the VMs' network"
					       : "missing: the VMs' net cells "
						 "will fail",
				       "modprobe tun");
		free(ip);
	}
	printf("\nclassic tools for `isobench validate`:\n");
	for (size_t i = 0; i < IB_ARRAY_LEN(tools); i++) {
		char *path = ib_which(tools[i].prog);

		fixcmd = ib_xasprintf("apt-get install -y %s", tools[i].pkg);
		missing += doctor_line(path != NULL, tools[i].prog,
				       path ? tools[i].use : "not found", fixcmd);
		free(fixcmd);
		free(path);
	}
	printf("\n%s\n", missing ? "Some pieces are missing (see fix lines)."
				 : "Nothing is missing.");
	free(probe);
	return missing ? 1 : 0;
}
