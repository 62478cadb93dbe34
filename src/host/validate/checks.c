/* checks: the table of checks: what each measures, the classic tool beside
 * it, the target ratio, the rounds and pairs it runs. */
#include "validate/internal.h"

#define CHECKN(i, w, t, p, k, u, tg, sc, pf, tf, n)                         \
	{.id = i, .what = w, .tool = t, .prog = p, .pkg = k, .unit = u,      \
	 .target_pct = tg, .tool_scale = sc, .probe = pf, .tool_fn = tf,     \
	 .pairs = n}
#define CHECK(i, w, t, p, k, u, tg, sc, pf, tf)                             \
	CHECKN(i, w, t, p, k, u, tg, sc, pf, tf, 1)

/* A stream check beside nuttcp: the probe's test and streams, nuttcp's
 * direction flags (-r: its server, where the probe runs, transmits). */
#define NUTTCP(i, test, n, flags, w)                                        \
	{.id = i, .what = w,                                                 \
	 .tool = "nuttcp " flags " -l128k -fparse, its server in the "       \
		 "namespace, same veth",                                     \
	 .prog = "nuttcp", .pkg = "nuttcp", .unit = "Gbit/s",                \
	 .target_pct = 5, .tool_scale = 1, .pairs = 3, .net_test = test,     \
	 .net_streams = n, .probe = vd_p_net_stream, .tool_fn = vd_t_nuttcp}

struct check vd_checks[] = {
	/* The cheap checks run 3 pairs a round: CPU time on a shared host
	 * comes in bursts, and more pairs make the medians robust to them. */
	CHECKN("cpu", "cpu events/s, 1 thread",
	       "sysbench cpu --cpu-max-prime=10000 --threads=1", "sysbench",
	       "sysbench", "events/s", 3, 1, vd_p_cpu_w, vd_t_cpu, 3),
	CHECKN("syscall", "syscall getppid, ns/call", "perf bench syscall basic",
	       "perf", "linux-perf", "ns", 10, 1, vd_p_getppid, vd_t_getppid,
	       3),
	CHECKN("ctxsw", "ctxsw round trip, one CPU, us",
	       "perf bench sched pipe, one CPU", "perf", "linux-perf", "us", 15,
	       1, vd_p_ctxsw1, vd_t_ctxsw1, 3),
	CHECKN("ctxsw-any-cpu", "ctxsw round trip, any CPU, us",
	       "perf bench sched pipe, any CPU", "perf", "linux-perf", "us", -1,
	       1, vd_p_ctxsw, vd_t_ctxsw, 3),
	/* Wake-up lateness swings with the host (a VM's timer path, its
	 * steal): 3 pairs a round, as the other cheap ones. */
	CHECKN("jitter", "jitter, 1 ms timer, mean lateness, us",
	       "cyclictest --interval=1000 --quiet --laptop (its Avg)",
	       "cyclictest", "rt-tests", "us", 10, 1, vd_p_jitter, vd_t_jitter,
	       3),
	CHECK("disk-randread", "disk randread 4k qd1, IOPS",
	      "fio psync randread 4k iodepth=1 direct=1", "fio", "fio", "IO/s",
	      5, 1, vd_p_rr4k, vd_t_rr4k),
	CHECK("disk-seqread", "disk seqread 1m qd1, MiB/s",
	      "fio psync read 1m iodepth=1 direct=1", "fio", "fio", "MiB/s", 5,
	      1, vd_p_sr1m, vd_t_sr1m),
	CHECK("disk-randwrite-fsync", "disk randwrite 4k + fsync, IOPS",
	      "fio psync randwrite 4k fsync=1 direct=1", "fio", "fio", "IO/s",
	      5, 1, vd_p_rwfs, vd_t_rwfs),
	CHECK("disk-randread-qd32", "disk randread 4k qd32, IOPS",
	      "fio io_uring randread 4k iodepth=32 direct=1", "fio", "fio",
	      "IO/s", 5, 1, vd_p_rr32, vd_t_rr32),
	CHECK("startup-runc", "runc run, launch to exit (isobench), ms",
	      "hyperfine -N 'runc run' of the same bundle", "hyperfine",
	      "hyperfine", "ms", 10, 1, vd_p_startup, vd_t_startup),
	/* The baseline's launch: judged on the difference (the harness's
	 * share of a launch, at most 0.3 ms) and its interval, not on the
	 * ratio. */
	{.id = "startup-native", .what = "native, launch to exit (isobench), ms",
	 .tool = "hyperfine -N of the same probe command", .prog = "hyperfine",
	 .pkg = "hyperfine", .unit = "ms", .target_pct = -1, .tool_scale = 1,
	 .target_ms = 0.3, .pairs = 1, .probe = vd_p_startup_native,
	 .tool_fn = vd_t_startup_native},
	/* A VM boot under TCG takes seconds: 3 rounds. The target, at most
	 * 5 ms of harness, is judged on the difference too. */
	{.id = "startup-qemu", .what = "qemu microvm, launch to exit (isobench), ms",
	 .tool = "hyperfine -N of the same QEMU command line (with -qmp)",
	 .prog = "hyperfine",
	 .pkg = "hyperfine", .unit = "ms", .target_pct = -1, .tool_scale = 1,
	 .target_ms = 5, .max_rounds = 3, .pairs = 1,
	 .probe = vd_p_startup_qemu, .tool_fn = vd_t_startup_qemu},
	CHECKN("net-stream", "net stream-tx 1 stream over veth, Gbit/s (receiver)",
	       "iperf3 -c -l 128K -O 1 -J (receiver bits/s), same veth",
	       "iperf3", "iperf3", "Gbit/s", 5, 1, vd_p_net_stream, vd_t_iperf3,
	       3),
	/* The fastest of the classic tools here, in both directions, with 1
	 * and 4 streams: nuttcp's server in the namespace transmits (-r)
	 * or receives (-t), as the probe does. */
	NUTTCP("net-stream-nuttcp", "stream-tx", 1, "-r",
	       "net stream-tx 1 stream over veth, Gbit/s (vs nuttcp)"),
	NUTTCP("net-stream4-nuttcp", "stream-tx", 4, "-r -N4",
	       "net stream-tx 4 streams over veth, Gbit/s (vs nuttcp)"),
	NUTTCP("net-rx-nuttcp", "stream-rx", 1, "-t",
	       "net stream-rx 1 stream over veth, Gbit/s (vs nuttcp)"),
	NUTTCP("net-rx4-nuttcp", "stream-rx", 4, "-t -N4",
	       "net stream-rx 4 streams over veth, Gbit/s (vs nuttcp)"),
	CHECKN("net-rr", "net rr over veth, mean round trip, us",
	       "sockperf ping-pong --tcp --full-rtt (avg-rtt), same veth",
	       "sockperf", "sockperf", "us", 10, 1, vd_p_net_rr, vd_t_sockperf,
	       3),
	/* A server's start and a warm-up run each side: 3 rounds of 3
	 * pairs (a server's throughput varies run to run). */
	{.id = "app-nginx", .what = "nginx 1k, 16 conns over veth, req/s",
	 .tool = "nginx started by hand, same config and files; wrk -c16 "
	 "--latency (its Requests/sec), same veth", .prog = "wrk",
	 .pkg = "wrk", .unit = "req/s", .target_pct = 5, .tool_scale = 1,
	 .max_rounds = 3, .pairs = 3, .probe = vd_p_app_nginx,
	 .tool_fn = vd_t_app_nginx},
	{.id = "app-mariadb", .what = "mariadb read_only 1 thread, trans/s",
	 .tool = "mariadbd started by hand on a cp -a copy, same config; "
	 "sysbench oltp_read_only (its per sec.), same veth",
	 .prog = "sysbench", .pkg = "sysbench", .unit = "trans/s",
	 .target_pct = 5, .tool_scale = 1, .max_rounds = 3, .pairs = 3,
	 .probe = vd_p_app_mariadb, .tool_fn = vd_t_app_mariadb},
	{.id = "membw", .what = "membw STREAM triad, MB/s",
	 .tool = "mbw -t0 (memcpy) copy, MiB/s of one array", .prog = "mbw",
	 .pkg = "mbw", .unit = "MB/s", .target_pct = -1,
	 .tool_scale = 2 * 1.048576, .max_rounds = 3, .pairs = 1,
	 .probe = vd_p_membw, .tool_fn = vd_t_mbw},
};

const size_t vd_nchecks = IB_ARRAY_LEN(vd_checks);
