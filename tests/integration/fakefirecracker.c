/* fakefirecracker: a mock of Firecracker's process and API, for the
 * firecracker driver's test on machines where Firecracker cannot run (no
 * Debian package, no KVM that runs stock guests). It is not a VMM: no
 * guest, no kernel, no huge page of its own. What it lets a test see is
 * the driver's side: the requests it sends, in order, with their bodies,
 * and the host as the driver left it when the "VM" starts (the huge page
 * pool), then the probe's records arriving on "the console" as from a
 * guest.
 *
 *   fakefirecracker --version | --help     answers as firecracker does
 *   fakefirecracker --api-sock PATH ...    serves HTTP/1.1 on PATH: every
 *       request is answered 204 and appended to $FAKEFC_LOG as one line,
 *       "METHOD PATH BODY"; at PUT /actions InstanceStart it appends
 *       "pool NR" (/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
 *       at that moment), then runs $FAKEFC_PROBE natively with the probe
 *       arguments of the boot-source's boot_args (after "--"), its output
 *       this process's stdout (the guest's serial console), and exits
 *       with the probe's status, as Firecracker exits when its guest
 *       resets.
 *
 * The body is parsed only as far as the test needs (boot_args is a JSON
 * string without escapes: ib_vm_cmdline refuses quotes and blanks in a
 * probe argument). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static char boot_args[8192];

static void log_line(const char *text)
{
	const char *path = getenv("FAKEFC_LOG");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void pool_line(void)
{
	char buf[64] = "?";
	int fd = open("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
		      O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
	}
	{
		char line[96];

		snprintf(line, sizeof(line), "pool %s\n", buf);
		log_line(line);
	}
}

/* The probe, natively, with boot_args' words after " -- ". */
static int run_probe(void)
{
	const char *probe = getenv("FAKEFC_PROBE");
	char *argv[256], *p = strstr(boot_args, " -- ");
	int argc = 0, st;
	pid_t pid;

	if (!probe || !p)
		return 90;
	argv[argc++] = (char *)probe;
	for (p = strtok(p + 4, " "); p && argc < 255; p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* it goes with the "VM" (a killed firecracker takes its
		 * guest along) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(126);
		execv(probe, argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 91;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Reads one request from c: method, path, body. 0 at its end, -1 at
 * EOF or on a malformed request. */
static int read_request(int c, char *method, char *path, char *body,
			size_t cap)
{
	static char buf[65536];
	size_t have = 0, need;
	char *end, *cl;
	long len = 0;

	for (;;) {
		ssize_t n;

		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")))
			break;
		if (have >= sizeof(buf) - 1)
			return -1;
		n = read(c, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	if (sscanf(buf, "%15s %1023s", method, path) != 2)
		return -1;
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl && cl < end)
		len = strtol(cl + 17, NULL, 10);
	if (len < 0 || (size_t)len >= cap)
		return -1;
	need = (size_t)(end + 4 - buf) + (size_t)len;
	while (have < need) {
		ssize_t n = read(c, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	memcpy(body, end + 4, (size_t)len);
	body[len] = '\0';
	return 0;
}

/* The string value of key in a JSON body, unescaped as far as needed
 * here (none). */
static void json_str(const char *body, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	out[0] = '\0';
	p = strstr(body, pat);
	if (!p)
		return;
	p += strlen(pat);
	n = strcspn(p, "\"");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s;

	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("Firecracker v1.7.0-isobench-mock\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("  --api-sock  mock\n");
		return 0;
	}
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--api-sock"))
			sock = argv[i + 1];
	if (!sock || strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "fakefirecracker: --api-sock PATH needed\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, sock);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 8) < 0) {
		fprintf(stderr, "fakefirecracker: %s: %s\n", sock, strerror(errno));
		return 2;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		char method[16], path[1024], body[16384];

		if (c < 0) {
			if (errno == EINTR)
				continue;
			return 3;
		}
		while (read_request(c, method, path, body, sizeof(body)) == 0) {
			static const char ok[] = "HTTP/1.1 204 No Content\r\n"
						 "Content-Length: 0\r\n\r\n";
			int start;

			{
				char line[sizeof(body) + 1100];

				snprintf(line, sizeof(line), "%s %s %s\n",
					 method, path, body);
				log_line(line);
			}
			if (!strcmp(path, "/boot-source"))
				json_str(body, "boot_args", boot_args,
					 sizeof(boot_args));
			start = !strcmp(path, "/actions") &&
				strstr(body, "InstanceStart");
			if (start)
				pool_line();
			if (write(c, ok, sizeof(ok) - 1) < 0)
				break;
			if (start) {
				close(c);
				close(s);
				unlink(sock);
				return run_probe();
			}
		}
		close(c);
	}
}
