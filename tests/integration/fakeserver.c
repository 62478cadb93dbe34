/* fakeserver: a server that misbehaves on purpose, for the probe's serve
 * workload (tests/integration/serve.sh).
 *
 *   fakeserver MODE PORT [PIDFILE]
 *
 * It listens on 127.0.0.1:PORT and accepts (and closes) connections, and
 * writes a line "fakeserver MODE listening" on its standard error. Modes:
 *   ok          ends (exit 0) on SIGTERM
 *   ignoreterm  ignores SIGTERM: only SIGKILL ends it
 *   dieserving  exits 5 a second or two after it starts listening
 *   badexit     exits 3 on SIGTERM
 * PIDFILE, if given, receives its pid (the test ends only that pid). */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sigaction act;
	const char *mode;
	int fd, one = 1;
	time_t start;

	if (argc < 3) {
		fprintf(stderr, "usage: fakeserver MODE PORT [PIDFILE]\n");
		return 2;
	}
	mode = argv[1];
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	if (argc > 3) {
		FILE *f = fopen(argv[3], "w");

		if (!f)
			return 2;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = strcmp(mode, "ignoreterm") ? on_term : SIG_IGN;
	sigaction(SIGTERM, &act, NULL);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		perror("fakeserver: listen");
		return 2;
	}
	fprintf(stderr, "fakeserver %s listening\n", mode);
	start = time(NULL);
	while (!term) {
		struct timeval tv = {0, 100000};
		fd_set r;

		FD_ZERO(&r);
		FD_SET(fd, &r);
		if (select(fd + 1, &r, NULL, NULL, &tv) > 0) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
		if (!strcmp(mode, "dieserving") && time(NULL) - start >= 1) {
			fprintf(stderr, "fakeserver: dying on purpose\n");
			return 5;
		}
	}
	fprintf(stderr, "fakeserver: SIGTERM, ending\n");
	return strcmp(mode, "badexit") ? 0 : 3;
}
