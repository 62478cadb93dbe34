#include "params.h"
#include "protocol.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_disk_test(const char *word, char *why, size_t whylen)
{
	struct ib_disk_test t;

	return ib_disk_test_parse(word, &t, why, whylen);
}

static int check_stride(const char *word, char *why, size_t whylen)
{
	uint64_t v;

	if (ib_parse_size(word, &v) == 0 && v % 8 == 0)
		return 0;
	snprintf(why, whylen, "stride must be a multiple of 8 bytes");
	return -1;
}

#define N(a) ((int)IB_ARRAY_LEN(a))

static const struct ib_param_def cpu_params[] = {
	{"max_prime", IB_PT_COUNT, "10000", "10000", 3, 1e8, NULL, NULL,
	 "primes are searched by trial division up to this number, one search "
	 "per event (sysbench --cpu-max-prime)"},
	{"threads", IB_PT_COUNT, "0", "0", 0, 1024, NULL, NULL,
	 "N for the N-thread figure; 0 = every CPU the probe may run on. The "
	 "1-thread figure is always measured"},
	{"duration", IB_PT_SECONDS, "1", "5", 0.01, 3600, NULL, NULL,
	 "seconds of work per thread count"},
};

static const struct ib_param_def membw_params[] = {
	{"array_size", IB_PT_SIZE, "0", "0", 0, 1099511627776.0, NULL, NULL,
	 "bytes per array (three arrays are used); 0 = 4 x the sum of the "
	 "last-level caches, STREAM's rule, at least 16 MiB"},
	{"ntimes", IB_PT_COUNT, "10", "10", 2, 1000, NULL, NULL,
	 "timed passes of each kernel after the first untimed one; the best "
	 "is reported"},
	{"pages", IB_PT_CHOICE, "base", "base", 0, 0, "base,thp", NULL,
	 "base: the kernel's default pages, as plain STREAM; thp: ask for "
	 "transparent huge pages (madvise): fewer page faults and TLB misses"},
};

static const struct ib_param_def memlat_params[] = {
	{"min_size", IB_PT_SIZE, "4k", "4k", 4096, 1099511627776.0, NULL, NULL,
	 "smallest working set"},
	{"max_size", IB_PT_SIZE, "0", "0", 0, 1099511627776.0, NULL, NULL,
	 "largest working set (sizes double from min_size); 0 = 4 x the "
	 "last-level caches"},
	{"stride", IB_PT_SIZE, "64", "64", 8, 65536, NULL, check_stride,
	 "distance between the chain's elements, bytes"},
	{"chains", IB_PT_LIST, "seq,rand", "seq,rand", 0, 0, "seq,rand", NULL,
	 "seq: elements linked in address order (prefetch-friendly); rand: a "
	 "random cyclic permutation (each load a likely cache/TLB miss)"},
	{"duration", IB_PT_SECONDS, "0.03", "0.2", 0.001, 60, NULL, NULL,
	 "seconds of chasing per working set and chain"},
};

static const struct ib_param_def syscall_params[] = {
	{"calls", IB_PT_LIST, "getppid,read,write,stat,fstat,openclose",
	 "getppid,read,write,stat,fstat,openclose", 0, 0,
	 "getppid,read,write,stat,fstat,openclose", NULL,
	 "system calls to time: read/write move 1 byte from /dev/zero and to "
	 "/dev/null; stat, fstat, openclose use a file in the scratch "
	 "directory"},
	{"duration", IB_PT_SECONDS, "0.2", "1", 0.01, 600, NULL, NULL,
	 "seconds per system call"},
};

static const struct ib_param_def ctxsw_params[] = {
	{"duration", IB_PT_SECONDS, "0.5", "3", 0.01, 600, NULL, NULL,
	 "seconds of ping-pong"},
	{"pin", IB_PT_CHOICE, "none", "none", 0, 0, "none,same", NULL,
	 "none: the scheduler places both processes (as lat_ctx and perf "
	 "bench sched pipe do); same: both pinned to one CPU"},
};

static const struct ib_param_def jitter_params[] = {
	{"interval", IB_PT_SECONDS, "0.001", "0.001", 0.00001, 1, NULL, NULL,
	 "period of the timer (cyclictest -i: 1000 us)"},
	{"duration", IB_PT_SECONDS, "2", "10", 0.01, 3600, NULL, NULL,
	 "seconds of wake-ups"},
};

static const char disk_quick_tests[] =
	"seqread-1m-qd1,randread-4k-qd1,randread-4k-qd32,seqwrite-1m-qd1,"
	"randwrite-4k-qd1,randwrite-4k-fsync";
static const char disk_full_tests[] =
	"seqread-4k-qd1,seqread-1m-qd1,randread-4k-qd1,randread-1m-qd1,"
	"seqread-4k-qd32,seqread-1m-qd32,randread-4k-qd32,randread-1m-qd32,"
	"seqwrite-4k-qd1,seqwrite-1m-qd1,randwrite-4k-qd1,randwrite-1m-qd1,"
	"seqwrite-4k-qd32,seqwrite-1m-qd32,randwrite-4k-qd32,randwrite-1m-qd32,"
	"randwrite-4k-fsync";

static const struct ib_param_def disk_params[] = {
	{"size", IB_PT_SIZE, "256m", "1g", 1048576, 1099511627776.0, NULL,
	 NULL, "size of the test file in the scratch directory"},
	{"tests", IB_PT_LIST, disk_quick_tests, disk_full_tests, 0, 0, NULL,
	 check_disk_test,
	 "tests to run, each PATTERN-BS-QD: seqread, randread, seqwrite, "
	 "randwrite; a block size (4k, 1m, ...); qd1 (pread/pwrite) or qdN "
	 "(io_uring), or 'fsync' (qd 1, each write followed by fsync)"},
	{"duration", IB_PT_SECONDS, "0.5", "3", 0.01, 3600, NULL, NULL,
	 "seconds per test"},
};

static const struct ib_param_def startup_params[] = {
	{"launches", IB_PT_COUNT, "10", "30", 1, 10000, NULL, NULL,
	 "cold launches per runtime (read by isobench, which times each on "
	 "the host clock; the probe itself exits at once)"},
	{"gap", IB_PT_SECONDS, "0", "0", 0, 60, NULL, NULL,
	 "pause before each launch (read by isobench). A runtime's launches "
	 "run back to back, as hyperfine runs a command; a gap lets what the "
	 "previous one left to finish in the background (an engine's or the "
	 "kernel's clean-up) end first, but on a VM an idle CPU goes cold "
	 "and the next launch pays for that"},
};

static const struct ib_param_def footprint_params[] = {
	{"instances", IB_PT_COUNT, "10", "50", 1, 10000, NULL, NULL,
	 "instances held at once per round (density); the first one's host "
	 "processes give the per-instance PSS and RSS"},
	{"rounds", IB_PT_COUNT, "2", "5", 1, 1000, NULL, NULL,
	 "rounds per runtime (read by isobench)"},
	{"settle", IB_PT_SECONDS, "1", "2", 0, 600, NULL, NULL,
	 "seconds all instances are held before the measurement, so that "
	 "lazy start-up work (a sandbox's, an engine's) is done (read by "
	 "isobench)"},
	{"hold", IB_PT_SECONDS, "120", "600", 1, 86400, NULL, NULL,
	 "the probe holds at most this long (isobench ends it sooner)"},
	{"drop_caches", IB_PT_CHOICE, "on", "on", 0, 0, "on,off", NULL,
	 "drop the host's page cache before each MemAvailable reading (as "
	 "root), so the density figure is not hidden by reclaimable cache; "
	 "off leaves the host's caches alone (tests) and the figure rough "
	 "(read by isobench)"},
};

static int check_streams(const char *word, char *why, size_t whylen)
{
	uint64_t v;

	if (ib_parse_count(word, &v) == 0 && v >= 1 && v <= 64)
		return 0;
	snprintf(why, whylen, "streams must be numbers from 1 to 64");
	return -1;
}

/* word is the keyword free (no CPU) or a CPU number below bound. */
static int cpu_or(const char *word, const char *free, uint64_t bound,
		  const char *param, char *why, size_t whylen)
{
	uint64_t v;

	if (strcmp(word, free) == 0 ||
	    (ib_parse_count(word, &v) == 0 && v < bound))
		return 0;
	snprintf(why, whylen, "%s must be '%s' or a CPU number (0-%llu)",
		 param, free, (unsigned long long)bound - 1);
	return -1;
}

static int check_peer_cpu(const char *word, char *why, size_t whylen)
{
	return cpu_or(word, "none", 4096, "peer_cpu", why, whylen);
}

static int check_cpu_or_any(const char *word, char *why, size_t whylen)
{
	return cpu_or(word, "any", 1024, "cpu", why, whylen);
}

static const struct ib_param_def neighbour_params[] = {
	{"kind", IB_PT_CHOICE, "cpu", "cpu", 0, 0, "cpu,membw,cache", NULL,
	 "cpu: spins (the CPU's time); membw: copies 64 MiB buffers (memory "
	 "bandwidth); cache: writes every line of an LLC-sized buffer (the "
	 "last-level cache)"},
	{"cpu", IB_PT_CHOICE, "any", "any", 0, 0, NULL, check_cpu_or_any,
	 "the CPU it pins itself to, or any"},
	{"duration", IB_PT_SECONDS, "0", "0", 0, 86400, NULL, NULL,
	 "seconds it runs; 0: until ended (isobench ends it with the run)"},
};

static const struct ib_param_def net_params[] = {
	{"tests", IB_PT_LIST, "stream-tx,stream-rx,rr,crr",
	 "stream-tx,stream-rx,rr,crr", 0, 0, "stream-tx,stream-rx,rr,crr",
	 NULL,
	 "stream-tx: the instance sends (bits/s counted by the receiver, the "
	 "host's peer); stream-rx: the peer sends; rr: 1-byte request and "
	 "response, TCP_NODELAY, one in flight (trans/s, round-trip "
	 "percentiles); crr: a new connection per transaction (conn/s)"},
	{"streams", IB_PT_LIST, "1,4", "1,4", 0, 0, NULL, check_streams,
	 "parallel TCP connections of each stream test"},
	{"block", IB_PT_SIZE, "128k", "128k", 1, 4194304, NULL, NULL,
	 "bytes per write of the stream tests (iperf3 -l)"},
	{"duration", IB_PT_SECONDS, "0.5", "5", 0.05, 600, NULL, NULL,
	 "seconds measured per test and stream count"},
	{"warmup", IB_PT_SECONDS, "0.2", "1", 0, 60, NULL, NULL,
	 "seconds before each test that are not counted (iperf3 -O)"},
	{"peer_cpu", IB_PT_CHOICE, "none", "none", 0, 0, NULL, check_peer_cpu,
	 "CPU the host-side peer is pinned to, or none (read by isobench)"},
};

static int check_nginx_size(const char *word, char *why, size_t whylen)
{
	uint64_t v;

	if (strcmp(word, "404") == 0 ||
	    (ib_parse_size(word, &v) == 0 && v <= (64u << 20)))
		return 0;
	snprintf(why, whylen, "sizes must be 404 (a missing file) or sizes "
		 "of at most 64m (1k, 100k, 1m)");
	return -1;
}

static int check_connections(const char *word, char *why, size_t whylen)
{
	uint64_t v;

	if (ib_parse_count(word, &v) == 0 && v >= 1 && v <= 10000)
		return 0;
	snprintf(why, whylen, "connections must be numbers from 1 to 10000");
	return -1;
}

static const struct ib_param_def nginx_params[] = {
	{"sizes", IB_PT_LIST, "404,1k,100k,1m", "404,1k,100k,1m", 0, 0, NULL,
	 check_nginx_size,
	 "response bodies: 404 (a file that is not there: nginx's error "
	 "page) or a file of that size (k, m: powers of 1024)"},
	{"connections", IB_PT_LIST, "1,16,64", "1,4,16,64,256,1024", 0, 0,
	 NULL, check_connections, "wrk's open connections (wrk -c)"},
	{"docroot", IB_PT_CHOICE, "rootfs", "rootfs", 0, 0, "rootfs,scratch",
	 NULL, "where the served files are: the instance's own root "
	 "filesystem, or its scratch directory (a container's bind-mounted "
	 "/scratch, a VM's ext4 data disk); under gVisor the paths differ"},
	{"duration", IB_PT_SECONDS, "3", "30", 1, 3600, NULL, NULL,
	 "seconds measured per point (wrk -d, whole seconds)"},
	{"warmup", IB_PT_SECONDS, "1", "5", 0, 600, NULL, NULL,
	 "seconds of load before each size's first point, not counted (a "
	 "wrk run of its own); later points follow the previous one's load"},
	{"launches", IB_PT_COUNT, "1", "5", 1, 1000, NULL, NULL,
	 "instances per runtime, each swept once (read by isobench)"},
};

/* sysbench's OLTP tests as Debian ships them: oltp_ and letters or '_' */
static int check_sysbench_test(const char *word, char *why, size_t whylen)
{
	size_t n = strlen(word), i = 5;

	if (n > 5 && n <= 64 && strncmp(word, "oltp_", 5) == 0)
		while (i < n && ((word[i] >= 'a' && word[i] <= 'z') ||
				 word[i] == '_'))
			i++;
	if (n > 5 && i == n)
		return 0;
	snprintf(why, whylen, "tests must be sysbench OLTP test names "
		 "(oltp_point_select, oltp_read_only, oltp_read_write)");
	return -1;
}

static int check_threads(const char *word, char *why, size_t whylen)
{
	uint64_t v;

	if (ib_parse_count(word, &v) == 0 && v >= 1 && v <= 1000)
		return 0;
	snprintf(why, whylen, "threads must be numbers from 1 to 1000");
	return -1;
}

static const struct ib_param_def mariadb_params[] = {
	{"tests", IB_PT_LIST, "oltp_point_select,oltp_read_only,"
	 "oltp_read_write", "oltp_point_select,oltp_read_only,oltp_read_write",
	 0, 0, NULL, check_sysbench_test,
	 "sysbench's OLTP tests, Debian's scripts as they are, in this order"},
	{"threads", IB_PT_LIST, "1,8", "1,4,16,64", 0, 0, NULL, check_threads,
	 "sysbench's client threads, one connection each (sysbench "
	 "--threads)"},
	{"duration", IB_PT_SECONDS, "5", "60", 1, 3600, NULL, NULL,
	 "seconds measured per point (sysbench --time, whole seconds)"},
	{"warmup", IB_PT_SECONDS, "2", "10", 0, 600, NULL, NULL,
	 "seconds of load before each test's first point, not counted (a "
	 "sysbench run of its own); later points follow the previous one's "
	 "load"},
	{"tables", IB_PT_COUNT, "4", "16", 1, 64, NULL, NULL,
	 "tables of the data set (sysbench --tables)"},
	{"table_size", IB_PT_COUNT, "10000", "100000", 1, 10000000, NULL, NULL,
	 "rows per table (sysbench --table-size)"},
	{"datadir", IB_PT_CHOICE, "scratch", "scratch", 0, 0, "scratch,tmpfs",
	 NULL, "where the launch's copy of the data set is: the instance's "
	 "scratch directory, or memory of the instance's own"},
	{"launches", IB_PT_COUNT, "1", "5", 1, 1000, NULL, NULL,
	 "instances per runtime, each swept once (read by isobench)"},
};

static const struct ib_param_def serve_params[] = {
	{"port", IB_PT_COUNT, "8080", "8080", 1, 65535, NULL, NULL,
	 "TCP port on which the server accepts once it is ready"},
	{"ready_timeout", IB_PT_SECONDS, "30", "60", 0.01, 600, NULL, NULL,
	 "longest wait for the server to accept a connection"},
	{"hold", IB_PT_SECONDS, "600", "3600", 0.01, 86400, NULL, NULL,
	 "the probe serves at most this long (isobench ends it sooner)"},
	{"stop_timeout", IB_PT_SECONDS, "10", "10", 0.01, 600, NULL, NULL,
	 "how long the server has to exit after SIGTERM before SIGKILL"},
};

const struct ib_workload_def ib_workloads[] = {
	{"cpu", "prime search by trial division, events/s, 1 and N threads",
	 "sysbench cpu", cpu_params, N(cpu_params), 1,
	 .schedule = IB_SCHED_ROUNDS},
	{"membw", "STREAM copy, scale, add, triad; MB/s (10^6 bytes)",
	 "STREAM", membw_params, N(membw_params), 3,
	 .schedule = IB_SCHED_ROUNDS},
	{"memlat", "pointer chase over growing working sets; ns per load",
	 "lmbench lat_mem_rd", memlat_params, N(memlat_params), 3,
	 .schedule = IB_SCHED_ROUNDS},
	{"syscall", "ns per system call, loop cost subtracted",
	 "lmbench lat_syscall, perf bench syscall", syscall_params,
	 N(syscall_params), 1,
	 .schedule = IB_SCHED_ROUNDS},
	{"ctxsw", "two processes pass a token through pipes; us per switch",
	 "lmbench lat_ctx, perf bench sched pipe", ctxsw_params,
	 N(ctxsw_params), 1,
	 .schedule = IB_SCHED_ROUNDS},
	{"jitter", "a timer every interval: how late each wake-up comes, "
	 "us (mean, p50, p99, p99.9, max)", "cyclictest", jitter_params,
	 N(jitter_params), 1, .schedule = IB_SCHED_ROUNDS,
	 .traits = IB_WL_OPT_IN},
	{"disk", "O_DIRECT I/O on a file: IOPS, MiB/s, latency percentiles",
	 "fio", disk_params, N(disk_params), 1,
	 .schedule = IB_SCHED_ROUNDS},
	{"startup", "launch phases of a probe that exits at once; ms, p50/p90/p99",
	 "hyperfine (runc run), Firecracker's boot timer", startup_params,
	 N(startup_params), 1, .schedule = IB_SCHED_BACK_TO_BACK,
	 .stop = IB_STOP_LAUNCHES, .traits = IB_WL_HOST_TIMED | IB_WL_RUN_FIRST},
	{"footprint", "host memory per instance (PSS, RSS of each host process; "
	 "MemAvailable drop over N held) and start rate", "smem",
	 footprint_params, N(footprint_params), 1, .schedule = IB_SCHED_DENSITY,
	 .stop = IB_STOP_ROUNDS, .traits = IB_WL_HOLDS},
	{"net", "TCP to a peer on the host side of the instance's link: "
	 "stream Gbit/s, rr trans/s and round trip, crr conn/s",
	 "iperf3, sockperf ping-pong (netperf TCP_RR, TCP_CRR)", net_params,
	 N(net_params), 1,
	 .traits = IB_WL_NEEDS_LINK | IB_WL_LINK_REFERENCE,
	 .report_note = "net: the probe in the instance talks TCP to "
	 "isobench's peer on the host end of a link made for the run (every "
	 "address in 198.18.0.0/15): `native` runs in a network namespace of "
	 "its own over a veth pair, so the ratios are to native over veth; "
	 "`native:net=loopback`, where present, is the reference without a "
	 "link. Each cell's link, peer and (gVisor, Docker with runsc) network "
	 "mode are in the Cells table."},
	{"nginx", "Nginx serving static files to wrk on the host over the "
	 "instance's link: requests/s, MB/s, latency p50/p90/p99, host CPU "
	 "per 1000 requests", "wrk (its own figures, read by a Lua hook)",
	 nginx_params, N(nginx_params), 1, .schedule = IB_SCHED_SERVE,
	 .stop = IB_STOP_LAUNCHES,
	 .traits = IB_WL_NEEDS_LINK,
	 .probe_workload = "serve",
	 .report_note = "nginx: the Debian nginx binary, started by the "
	 "probe's `serve` workload in the instance with a configuration "
	 "isobench generated (worker_processes = the instance's CPUs, "
	 "access log off, sendfile on, files from the instance's own "
	 "filesystem or, with docroot=scratch, its scratch directory), loaded by wrk on the host over the instance's link "
	 "(the net benchmark's); each point is a wrk run, a size's first "
	 "after a warm-up run, the others after the previous point's load; "
	 "by default one instance per runtime sweeps them all (full: 5). wrk's own "
	 "figures are read through its Lua done() hook. "
	 "host_cpu_per_1k_requests is the CPU time (user + system) of every "
	 "host process of the instance over the point, per 1000 requests. "
	 "The 404 point's responses are all non-2xx by design; elsewhere a "
	 "point with a non-2xx response or a socket error is said in the "
	 "Cells table (point_with_errors, with the counts by kind). wrk runs "
	 "on the CPUs the instances do not have, if the run leaves it some "
	 "(--cpus), else beside them; each launch's `load` says which."},
	{"mariadb", "MariaDB under sysbench's OLTP tests from the host over "
	 "the instance's link: transactions/s, queries/s, latency p95/p99, "
	 "host CPU per 1000 transactions",
	 "sysbench oltp_* (its own figures, read by a Lua hook)",
	 mariadb_params, N(mariadb_params), 1, .schedule = IB_SCHED_SERVE,
	 .stop = IB_STOP_LAUNCHES,
	 .traits = IB_WL_NEEDS_LINK,
	 .probe_workload = "serve", .probe_arg = "port=3306",
	 .report_note = "mariadb: the Debian mariadbd binary, started by the "
	 "probe's `serve` workload in the instance with a configuration "
	 "isobench generated (buffer pool 1.5 times the data set, at least "
	 "128 MiB; no binary log), on a copy of a data set prepared once per "
	 "run on the host (mariadb-install-db, then sysbench oltp_common "
	 "prepare) that the probe makes before the server starts "
	 "(`datadir`: on the instance's scratch directory, or in memory of "
	 "its own). sysbench runs on the host against the instance's link; "
	 "each point is a sysbench run, a test's first after a warm-up run, "
	 "the others after the previous point's load (by default one "
	 "instance per runtime sweeps them all; full: 5); sysbench's "
	 "own figures are read through its report hook and its latency "
	 "histogram. host_cpu_per_1k_transactions is the CPU time of every "
	 "host process of the instance over the point, per 1000 "
	 "transactions. A point with errors or reconnects is said in the "
	 "Cells table (point_with_errors)."},
	{"serve", "starts an application's server (command line from "
	 "--serve-argv), says when it accepts, holds, stops it: its start "
	 "time, exit status and CPU time", "-", serve_params,
	 N(serve_params), 1, .traits = IB_WL_HOLDS | IB_WL_PROBE_ONLY},
	{"neighbour", "a noisy neighbour on one CPU for the whole run "
	 "(isobench run --neighbour): spins, streams memory or thrashes the "
	 "last-level cache", "-", neighbour_params, N(neighbour_params), 1,
	 .traits = IB_WL_PROBE_ONLY},
};
const int ib_nworkloads = N(ib_workloads);

const struct ib_workload_def *ib_workload_find(const char *name)
{
	for (int i = 0; i < ib_nworkloads; i++)
		if (strcmp(ib_workloads[i].name, name) == 0)
			return &ib_workloads[i];
	return NULL;
}

const struct ib_param_def *ib_param_find(const struct ib_workload_def *w,
					 const char *name)
{
	for (int i = 0; i < w->nparams; i++)
		if (strcmp(w->params[i].name, name) == 0)
			return &w->params[i];
	return NULL;
}

const char *ib_param_default(const struct ib_param_def *p, int full)
{
	return full ? p->full : p->quick;
}

int ib_parse_count(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int ib_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case '\0': break;
	default: return -1;
	}
	if (shift) {
		end++;
		/* accept "4k", "4kb", "4kib" */
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'b' || *end == 'B')
			end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int ib_parse_seconds(const char *s, double *out)
{
	char *end;
	double v, scale = 1;

	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -1;
	if (strcmp(end, "ms") == 0)
		scale = 1e-3;
	else if (strcmp(end, "us") == 0)
		scale = 1e-6;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		scale = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60;
	else
		return -1;
	v *= scale;
	if (!isfinite(v) || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Is word one of the comma-separated words of choices? */
static int in_choices(const char *choices, const char *word, size_t wlen)
{
	const char *c = choices;

	while (*c) {
		size_t clen = strcspn(c, ",");

		if (clen == wlen && strncmp(c, word, wlen) == 0)
			return 1;
		c += clen;
		if (*c == ',')
			c++;
	}
	return 0;
}

static int check_word(const struct ib_param_def *p, const char *word,
		      size_t wlen, char *why, size_t whylen)
{
	char buf[128];

	if (wlen == 0) {
		snprintf(why, whylen, "empty item in the list");
		return -1;
	}
	if (wlen >= sizeof(buf)) {
		snprintf(why, whylen, "item longer than %zu characters",
			 sizeof(buf) - 1);
		return -1;
	}
	memcpy(buf, word, wlen);
	buf[wlen] = '\0';
	if (p->choices && !in_choices(p->choices, word, wlen)) {
		snprintf(why, whylen, "'%s' is not one of %s", buf, p->choices);
		return -1;
	}
	if (p->check)
		return p->check(buf, why, whylen);
	return 0;
}

int ib_param_check(const struct ib_param_def *p, const char *value, char *why,
		   size_t whylen)
{
	uint64_t u = 0;
	double d = 0;
	const char *kind = NULL;

	switch (p->type) {
	case IB_PT_COUNT:
		if (ib_parse_count(value, &u) < 0)
			kind = "a whole number";
		d = (double)u;
		break;
	case IB_PT_SIZE:
		if (ib_parse_size(value, &u) < 0)
			kind = "a size in bytes (e.g. 4096, 4k, 256m, 1g)";
		d = (double)u;
		break;
	case IB_PT_SECONDS:
		if (ib_parse_seconds(value, &d) < 0)
			kind = "a duration (e.g. 2, 0.5s, 500ms)";
		break;
	case IB_PT_CHOICE:
		return check_word(p, value, strlen(value), why, whylen);
	case IB_PT_LIST:
		for (const char *w = value;;) {
			size_t wlen = strcspn(w, ",");

			if (check_word(p, w, wlen, why, whylen) < 0)
				return -1;
			if (!w[wlen])
				return 0;
			w += wlen + 1;
		}
	}
	if (kind) {
		snprintf(why, whylen, "'%s' is not %s", value, kind);
		return -1;
	}
	if (d < p->min || d > p->max) {
		snprintf(why, whylen, "'%s' is out of range [%.10g, %.10g]%s",
			 value, p->min, p->max,
			 p->type == IB_PT_SIZE ? " bytes"
			 : p->type == IB_PT_SECONDS ? " s" : "");
		return -1;
	}
	if (p->check)
		return p->check(value, why, whylen);
	return 0;
}

int ib_disk_test_parse(const char *name, struct ib_disk_test *t, char *why,
		       size_t whylen)
{
	static const struct {
		const char *word;
		int random, write;
	} kinds[] = {
		{"seqread", 0, 0}, {"randread", 1, 0},
		{"seqwrite", 0, 1}, {"randwrite", 1, 1},
	};
	char buf[64], *bs, *qd;
	size_t k;

	memset(t, 0, sizeof(*t));
	if (strlen(name) >= sizeof(buf))
		goto bad;
	strcpy(buf, name);
	bs = strchr(buf, '-');
	if (!bs)
		goto bad;
	*bs++ = '\0';
	qd = strchr(bs, '-');
	if (!qd)
		goto bad;
	*qd++ = '\0';
	for (k = 0; k < IB_ARRAY_LEN(kinds); k++)
		if (strcmp(buf, kinds[k].word) == 0)
			break;
	if (k == IB_ARRAY_LEN(kinds))
		goto bad;
	t->random = kinds[k].random;
	t->write = kinds[k].write;
	if (ib_parse_size(bs, &t->bs) < 0 || t->bs < 512 || t->bs > (64u << 20) ||
	    t->bs % 512) {
		snprintf(why, whylen,
			 "disk test '%s': block size must be a multiple of 512 "
			 "between 512 and 64m",
			 name);
		return -1;
	}
	if (strcmp(qd, "fsync") == 0) {
		if (!t->write) {
			snprintf(why, whylen,
				 "disk test '%s': fsync applies to writes only",
				 name);
			return -1;
		}
		t->fsync = 1;
		t->qd = 1;
		return 0;
	}
	if (strncmp(qd, "qd", 2) != 0 || qd[2] < '1' || qd[2] > '9' ||
	    strspn(qd + 2, "0123456789") != strlen(qd + 2) ||
	    strlen(qd + 2) > 4 || atoi(qd + 2) > 1024) {
		snprintf(why, whylen,
			 "disk test '%s': queue depth must be qd1..qd1024 or "
			 "'fsync'",
			 name);
		return -1;
	}
	t->qd = (unsigned)atoi(qd + 2);
	return 0;
bad:
	snprintf(why, whylen,
		 "disk test '%s' is not PATTERN-BS-QD (e.g. randread-4k-qd1, "
		 "seqwrite-1m-qd32, randwrite-4k-fsync)",
		 name);
	return -1;
}
