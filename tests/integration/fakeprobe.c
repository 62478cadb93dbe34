/* fakeprobe: a probe that misbehaves on purpose, for `isobench run --probe`.
 *
 * It is started exactly like isobench-probe (--scratch DIR WORKLOAD
 * key=value...) and writes correctly framed records ("@@ib1 " JSON " #"
 * CRC-32 "\n", see src/common/frame.h; the CRC is computed by tcrc32.h,
 * not by the product's code) until the mode says otherwise. The mode comes
 * from the environment, which isobench passes through to its probe:
 *
 *   FAKEPROBE_MODE     ok, crash, sigkill, nodone, badcrc, truncated,
 *                      wrongcount, garbage, nan, inf, novalue, badjson,
 *                      afterdone, nohello, exitfail, silent, hang, huge,
 *                      closehang, nodeath, orphan, flaky, hangversion (see
 *                      main() below); WORKLOAD:MODE applies MODE to that
 *                      workload only
 *   FAKEPROBE_PIDFILE  if set, every process this probe creates appends its
 *                      pid there, so a test can check that none is left
 *                      (by pid, never by name)
 *
 * As a VM's init (pid 1) it writes the ok mode's records and then never
 * powers the guest off.
 *
 * Samples are cpu events_per_s (threads=1), 1000 + the sample's index, so
 * the tests know what arrived before a failure. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "tcrc32.h"

static int nrecords; /* records written, for done */

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(99);
		p += w;
		n -= (size_t)w;
	}
}

/* One framed record; crc_xor spoils the checksum, cut truncates the line
 * after that many bytes (no newline). */
static void frame(const char *json, unsigned crc_xor, size_t cut)
{
	char *line;
	int n = asprintf(&line, "@@ib1 %s #%08x\n", json,
			 tcrc32(json, strlen(json)) ^ crc_xor);

	if (n < 0)
		_exit(98);
	write_all(1, line, cut && cut < (size_t)n ? cut : (size_t)n);
	free(line);
	nrecords++;
}

static void framef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void framef(const char *fmt, ...)
{
	char json[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	frame(json, 0, 0);
}

static void text(const char *s)
{
	write_all(1, s, strlen(s));
}

static void hello(const char *workload)
{
	framef("{\"type\":\"hello\",\"protocol\":1,\"probe\":\"0.1.0-fake\","
	       "\"workload\":\"%s\",\"pid\":%d,\"uptime_s\":12.5,"
	       "\"clock_res_ns\":1,\"argv\":[]}",
	       workload, (int)getpid());
}

static int nsamples;

static void sample_value(const char *value)
{
	framef("{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":"
	       "\"events_per_s\",\"unit\":\"events/s\",\"dir\":\"higher\","
	       "\"value\":%s,\"rep\":0,\"params\":{\"threads\":1}}",
	       value);
}

static void sample(void)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", 1000 + nsamples++);
	sample_value(v);
}

static void done(int records, int status)
{
	framef("{\"type\":\"done\",\"records\":%d,\"status\":%d}", records, status);
}

static void done_ok(void)
{
	done(nrecords, 0);
}

static void note_pid(void)
{
	const char *f = getenv("FAKEPROBE_PIDFILE");
	char line[32];
	int fd;

	if (!f || !*f)
		return;
	fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	snprintf(line, sizeof(line), "%d\n", (int)getpid());
	write_all(fd, line, strlen(line));
	close(fd);
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

/* A child in the probe's process group that lives on; with keep_output it
 * holds the output pipe open too. */
static void spawn_lingering_child(int keep_output)
{
	pid_t pid = fork();

	if (pid == 0) {
		note_pid();
		if (!keep_output) {
			int fd = open("/dev/null", O_WRONLY);

			dup2(fd, 1);
			dup2(fd, 2);
		}
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		sleep_forever();
	}
}

static void die_by(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(97);
}

int main(int argc, char **argv)
{
	const char *mode = getenv("FAKEPROBE_MODE");
	const char *workload = "cpu", *scratch = ".";
	int i;

	/* the probe's command line: [--scratch DIR] WORKLOAD key=value... */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--scratch") && i + 1 < argc) {
			scratch = argv[++i];
			continue;
		}
		if (argv[i][0] != '-') {
			workload = argv[i];
			break;
		}
	}
	/* As a VM's init (built static, `-r qemu --probe`): its records,
	 * then it never powers the guest off, as a guest that hangs after
	 * its probe is done would. pid 1 must not exit (the kernel would
	 * panic). */
	if (getpid() == 1) {
		hello(workload);
		sample();
		done_ok();
		sleep_forever();
	}
	if (!mode || !*mode)
		mode = "ok";
	/* isobench asks every probe for its version first (the run's
	 * fingerprint): answer, unless the mode is to hang right there */
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		note_pid();
		if (!strcmp(mode, "hangversion")) {
			signal(SIGTERM, SIG_IGN);
			spawn_lingering_child(1);
			sleep_forever();
		}
		printf("isobench-probe 0.1.0-fake (protocol 1)\n");
		return 0;
	}
	if (!strcmp(mode, "hangversion"))
		mode = "ok";
	/* WORKLOAD:MODE misbehaves for that workload only */
	if (strchr(mode, ':')) {
		size_t n = (size_t)(strchr(mode, ':') - mode);

		mode = strlen(workload) == n && !strncmp(mode, workload, n)
			       ? mode + n + 1
			       : "ok";
	}
	/* flaky: the run's second launch crashes, the others work (a count
	 * kept in the scratch directory, which is the run's own) */
	if (!strcmp(mode, "flaky")) {
		char path[4096];
		int fd, launch;

		snprintf(path, sizeof(path), "%s/fakeprobe-launches", scratch);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, "x", 1) != 1)
			return 96;
		close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		launch = (int)lseek(fd, 0, SEEK_END);
		close(fd);
		mode = launch == 2 ? "crash" : "ok";
	}
	note_pid();
	signal(SIGPIPE, SIG_DFL);

	if (!strcmp(mode, "ok")) {
		hello(workload);
		sample();
		framef("{\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"fake\","
		       "\"value\":\"yes\"}");
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "silent"))
		return 0;
	if (!strcmp(mode, "nohello")) {
		sample();
		done_ok();
		return 0;
	}
	hello(workload);
	sample();
	sample();
	if (!strcmp(mode, "crash")) /* two samples, then SIGSEGV */
		die_by(SIGSEGV);
	if (!strcmp(mode, "sigkill")) /* two samples, then SIGKILL */
		die_by(SIGKILL);
	if (!strcmp(mode, "nodone")) /* two samples, exit 0, no done */
		return 0;
	if (!strcmp(mode, "badcrc")) {
		/* the third sample's checksum is wrong; the count is right */
		char json[512];

		snprintf(json, sizeof(json),
			 "{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":"
			 "\"events_per_s\",\"unit\":\"events/s\",\"dir\":"
			 "\"higher\",\"value\":%d,\"rep\":0,\"params\":"
			 "{\"threads\":1}}",
			 1000 + nsamples++);
		frame(json, 0x00010000u, 0);
		sample();
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "truncated")) {
		/* the done record stops in the middle: no newline, no checksum */
		char json[128];

		snprintf(json, sizeof(json),
			 "{\"type\":\"done\",\"records\":%d,\"status\":0}", nrecords);
		frame(json, 0, 20);
		return 0;
	}
	if (!strcmp(mode, "wrongcount")) {
		done(nrecords + 5, 0);
		return 0;
	}
	if (!strcmp(mode, "garbage")) {
		/* console noise between records: must not fail the launch */
		text("[    1.234567] virtio_blk virtio2: [vdb] 2097152 512-byte "
		     "logical blocks (1.07 GB/1.00 GiB)\n");
		text("random text \x01\x02\xff\xfe binary junk\r\n");
		text("\n");
		text("[    2.000001] kernel message without its end ");
		sample(); /* on the same line as the unterminated message */
		text("# a comment-looking line @@ib0 {\"type\":\"sample\"} "
		     "#00000000\n");
		done_ok();
		text("trailing text after done, no newline");
		return 0;
	}
	if (!strcmp(mode, "nan")) {
		sample_value("NaN");
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "inf")) {
		sample_value("1e999");
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "novalue")) {
		framef("{\"type\":\"sample\",\"bench\":\"cpu\",\"metric\":"
		       "\"events_per_s\",\"unit\":\"events/s\",\"dir\":\"higher\","
		       "\"rep\":0,\"params\":{\"threads\":1}}");
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "badjson")) {
		/* checksum right, JSON wrong */
		framef("{\"type\":\"sample\",\"bench\":\"cpu\",}");
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "afterdone")) {
		done_ok();
		sample();
		return 0;
	}
	if (!strcmp(mode, "exitfail")) {
		framef("{\"type\":\"error\",\"bench\":\"cpu\",\"reason\":\"failed\","
		       "\"message\":\"the fake disk caught fire\",\"rep\":0}");
		done(nrecords, 1);
		return 1;
	}
	if (!strcmp(mode, "hang")) {
		/* two samples, then nothing, forever; a child of its group
		 * hangs too, and neither minds SIGTERM */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		spawn_lingering_child(1);
		sleep_forever();
	}
	if (!strcmp(mode, "closehang")) {
		/* says everything, closes its output, and never exits */
		done_ok();
		signal(SIGTERM, SIG_IGN);
		close(1);
		close(2);
		sleep_forever();
	}
	if (!strcmp(mode, "nodeath")) {
		/* hangs, and undoes the PDEATHSIG isobench gave it, so a kill -9
		 * of isobench leaves it running: only cleanup can end it. It
		 * grows its memory first (its identity must not depend on
		 * anything that changes while it runs). */
		size_t n = 64 << 20;
		char *mem = malloc(n);

		prctl(PR_SET_PDEATHSIG, 0);
		signal(SIGTERM, SIG_IGN);
		if (mem)
			memset(mem, 1, n);
		framef("{\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"ready\","
		       "\"value\":\"yes\"}");
		sleep_forever();
	}
	if (!strcmp(mode, "orphan")) {
		/* a child that outlives the probe, output closed */
		spawn_lingering_child(0);
		done_ok();
		return 0;
	}
	if (!strcmp(mode, "huge")) {
		/* 24 MiB of console text, then a record line of 128 KiB */
		static char line[1024];
		char *big;
		size_t bign = 128 << 10;

		memset(line, 'x', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\n';
		for (int k = 0; k < 24 * 1024; k++)
			write_all(1, line, sizeof(line));
		big = malloc(bign + 64);
		if (!big)
			return 98;
		strcpy(big, "@@ib1 {\"type\":\"info\",\"bench\":\"cpu\",\"key\":\"k\","
			    "\"value\":\"");
		memset(big + strlen(big), 'y', bign - strlen(big));
		memcpy(big + bign, "\"} #00000000\n", 14);
		write_all(1, big, strlen(big));
		free(big);
		nrecords++;
		sample();
		done_ok();
		return 0;
	}
	fprintf(stderr, "fakeprobe: unknown FAKEPROBE_MODE '%s'\n", mode);
	return 64;
}
