/* isobench validate: the command line of validate/ (the checks, each
 * probe measurement beside its classic tool). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "run/runner.h"
#include "validate/validate.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: isobench validate [options]\n"
		"\n"
		"Runs each probe workload natively beside the classic tool "
		"whose method\nit follows, interleaved, in one run, and prints "
		"per check the median of\neach side, their ratio and whether it "
		"is within the target:\n"
		"  cpu      vs sysbench cpu --cpu-max-prime=10000, 1 thread   "
		"(+-3%%)\n"
		"  syscall  getppid vs perf bench syscall basic               "
		"(+-10%%)\n"
		"  ctxsw    vs perf bench sched pipe, both on one CPU         "
		"(+-15%%)\n"
		"           (and on any CPU: shown, no target)\n"
		"  jitter   mean lateness of a 1 ms timer vs cyclictest's Avg "
		"(+-10%%)\n"
		"  disk     vs fio on the same file: randread 4k qd1, seqread "
		"1m,\n"
		"           randwrite 4k + fsync (psync), randread 4k qd32 "
		"(io_uring) (+-5%%)\n"
		"  membw    STREAM triad beside mbw's copy (not like for like: "
		"no target)\n"
		"  startup  runc launch to exit (isobench run -r "
		"runc:lifecycle=run -b\n"
		"           startup) vs hyperfine timing `runc run` of the "
		"same bundle (+-10%%)\n"
		"  startup-native  native launch to exit (isobench run -r native "
		"-b startup)\n"
		"           vs hyperfine -N running the same probe command\n"
		"           (the difference in ms with its 95%% interval: "
		"target +-0.3 ms)\n"
		"  startup-qemu  qemu microvm launch to exit (isobench run -r "
		"qemu -b\n"
		"           startup) vs hyperfine timing the same QEMU command "
		"line\n"
		"           (the difference in ms with its 95%% interval: "
		"target +-5 ms)\n"
		"\n"
		"  net-stream  stream-tx, 1 stream, 128 KiB writes, over a "
		"veth pair into a\n"
		"           namespace vs iperf3 on the same link, receiver "
		"bits/s (+-5%%)\n"
		"  net-stream-nuttcp  the same stream-tx vs nuttcp -r on the "
		"same link (its\n"
		"           server transmitting from the namespace, as the "
		"probe) (+-5%%)\n"
		"  net-stream4-nuttcp  the same with 4 streams (nuttcp -N4) "
		"(+-5%%)\n"
		"  net-rx-nuttcp, net-rx4-nuttcp  stream-rx, 1 and 4 streams, "
		"vs nuttcp -t\n"
		"           sending from the host's end to its server in the "
		"namespace (+-5%%)\n"
		"  net-rr   rr mean round trip vs sockperf ping-pong --tcp "
		"--full-rtt (+-10%%)\n"
		"  app-nginx  nginx started by the probe's serve, 1k at 16 "
		"connections, wrk\n"
		"           with isobench's done() hook, vs nginx and wrk by hand "
		"(same config,\n"
		"           files and veth link), requests/s (+-5%%)\n"
		"  app-mariadb  mariadbd by serve on its copy of the data set, "
		"sysbench\n"
		"           oltp_read_only 1 thread through isobench's wrapper, vs "
		"mariadbd and\n"
		"           sysbench by hand, transactions/s (+-5%%)\n"
		"\n"
		"  --rounds N        rounds (default 7; membw, startup-qemu and "
		"the apps run\n                    in 3 at most)\n"
		"  --seconds S       seconds per measurement and side (default "
		"2)\n"
		"  --only LIST       checks to run (default: all): cpu, "
		"syscall, ctxsw,\n"
		"                    ctxsw-any-cpu, jitter, disk-randread, "
		"disk-seqread,\n"
		"                    disk-randwrite-fsync, disk-randread-qd32, "
		"startup-runc,\n"
		"                    startup-native, startup-qemu, net-stream,\n"
		"                    net-stream-nuttcp, net-stream4-nuttcp, "
		"net-rx-nuttcp,\n"
		"                    net-rx4-nuttcp, net-rr, app-nginx, "
		"app-mariadb, membw\n"
		"  --disk-size SIZE  test file size (default 256m)\n"
		"  -o, --output DIR  where validation.json, validation.md and "
		"every tool's\n"
		"                    raw output go (default "
		"./isobench-results/validate-TIME)\n"
		"  --scratch DIR     parent of the test files' directory "
		"(default /var/tmp)\n"
		"  --probe PATH      the isobench-probe to validate\n"
		"\n"
		"Exit status: 0 every check ran and met its target, 1 a check "
		"missed its\ntarget or could not run (a missing tool: the "
		"message says what to\ninstall), 2 bad options, 3 the probe or "
		"output directory is unusable,\n130 interrupted.\n");
}

int ib_cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"rounds", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 't'},
		{"only", required_argument, NULL, 'O'},
		{"disk-size", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"scratch", required_argument, NULL, 's'},
		{"probe", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ib_validate_opts o = {.rounds = 7, .secs = 2,
				     .disk_size = "256m",
				     .scratch_parent = "/var/tmp"};
	const char *probe = NULL;
	char *probe_path;
	uint64_t size;
	int opt, rc;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (ib_parse_count(optarg, &size) < 0 || size < 1 ||
			    size > IB_VALIDATE_MAX_ROUNDS) {
				fprintf(stderr, "isobench validate: --rounds: "
					"'%s' is not 1..%d\n", optarg,
					IB_VALIDATE_MAX_ROUNDS);
				return IB_EXIT_USAGE;
			}
			o.rounds = (int)size;
			break;
		case 't':
			if (ib_parse_seconds(optarg, &o.secs) < 0 || o.secs < 0.1 ||
			    o.secs > 600) {
				fprintf(stderr, "isobench validate: --seconds: "
					"'%s' is not 0.1..600\n", optarg);
				return IB_EXIT_USAGE;
			}
			break;
		case 'O':
			ib_strv_split(&o.only, optarg);
			break;
		case 'd':
			if (ib_parse_size(optarg, &size) < 0 || size < (16u << 20)) {
				fprintf(stderr, "isobench validate: --disk-size: "
					"'%s' is not a size of at least 16m\n",
					optarg);
				return IB_EXIT_USAGE;
			}
			o.disk_size = optarg;
			break;
		case 'o': o.out = optarg; break;
		case 's': o.scratch_parent = optarg; break;
		case 'p': probe = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			ib_cli_bad_option("isobench validate", opt == ':', argv,
					  optind);
			ib_strv_free(&o.only);
			return IB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "isobench validate: unexpected '%s'\n", argv[optind]);
		ib_strv_free(&o.only);
		return IB_EXIT_USAGE;
	}
	for (int i = 0; i < o.only.n; i++) {
		if (!ib_validate_known_check(o.only.v[i])) {
			fprintf(stderr, "isobench validate: --only: unknown "
				"check '%s'\n", o.only.v[i]);
			ib_strv_free(&o.only);
			return IB_EXIT_USAGE;
		}
	}
	probe_path = ib_cli_probe_path(probe);
	o.probe = probe_path;
	rc = ib_validate_run(&o);
	free(probe_path);
	ib_strv_free(&o.only);
	return rc;
}
