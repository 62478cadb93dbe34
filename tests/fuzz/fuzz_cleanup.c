/* fuzz_cleanup: state.jsonl as `isobench cleanup` replays it (a killed
 * run's file, or one someone crafted).
 *
 * The bytes are the state file of a run directory in a temp directory of
 * the target's own, every "@T@" in them replaced by that directory's
 * path (and "@B@" by this boot's id), so that seeds can name what
 * exists there: the run's work
 * directory isobench-20261201-120000-beef (a bundle, a firecracker file,
 * a symlink to bait outside it), the run's own docker entry of a private
 * runtime directory, and the bait. ib_cleanup_run runs in its dry-run
 * mode (nothing is done; every action it would take is listed), with the
 * runtime directory and registry inside the temp directory.
 *
 * Oracles, on every action, against the run id cleanup derived (which
 * must be valid): a path is plain (no ".", "..", "//"), without a symlink
 * on the way, and in the run's work directory (basename isobench-<id>)
 * or one of the run's entries of the runtime directory; a cgroup is under
 * /isobench/<id>/; a name (container, network, namespace) carries the id;
 * an image is the run's; an interface is of the run's exact pattern; a
 * kill names the run's marker; a command runs a known program with known
 * words, the run's names and paths, and only the run's own or this
 * process's engine socket; an engine call goes to one of those two
 * sockets. And the dry run changed nothing: the bait is there, the state
 * file as written. Anything else aborts. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "net/net_link.h"
#include "cleanup/cleanup.h"
#include "state/state.h"

#define ID "20261201-120000-beef"

static char T[256];        /* the temp directory */
static char run_dir[300], rt_dir[300], reg_dir[300], bait[300];
static char boot[40];

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void remove_tmp(void)
{
	if (T[0])
		nftw(T, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes T/rel. */
static void mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", T, rel);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		fuzz_fail("mkdir %s: %s", p, strerror(errno));
}

static void touch(const char *rel)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", T, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		fuzz_fail("create %s: %s", p, strerror(errno));
	close(fd);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char p[512];

	snprintf(T, sizeof(T), "%s/isobench-fuzz-cleanup-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(T))
		fuzz_fail("mkdtemp: %s", strerror(errno));
	/* the oracles compare real paths */
	{
		char *r = realpath(T, NULL);

		snprintf(T, sizeof(T), "%s", r);
		free(r);
	}
	atexit(remove_tmp);
	snprintf(run_dir, sizeof(run_dir), "%s/run", T);
	snprintf(rt_dir, sizeof(rt_dir), "%s/rt", T);
	snprintf(reg_dir, sizeof(reg_dir), "%s/reg", T);
	snprintf(bait, sizeof(bait), "%s/bait/file", T);
	mk("run");
	mk("rt");
	mk("reg");
	mk("bait");
	touch("bait/file");
	mk("rt/docker-" ID);
	touch("rt/docker-" ID "/docker.sock");
	mk("isobench-" ID);
	mk("isobench-" ID "/bundles");
	mk("isobench-" ID "/bundles/isobench-" ID "-000001");
	mk("isobench-" ID "/firecracker");
	touch("isobench-" ID "/firecracker/isobench-" ID "-000001.img");
	snprintf(p, sizeof(p), "%s/isobench-%s/link", T, ID);
	if (symlink("../bait", p) != 0 && errno != EEXIST)
		fuzz_fail("symlink %s: %s", p, strerror(errno));
}

/* Is p a plain absolute path without a symlink on the way? */
static int plain_real(const char *p)
{
	char *r;
	int ok;

	if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") ||
	    strstr(p, "/../") || (strlen(p) >= 2 && !strcmp(p + strlen(p) - 2, "/.")) ||
	    (strlen(p) >= 3 && !strcmp(p + strlen(p) - 3, "/..")))
		return 0;
	r = realpath(p, NULL);
	if (!r)
		return errno == ENOENT || errno == ENOTDIR;
	ok = !strcmp(r, p);
	free(r);
	return ok;
}

static int under(const char *p, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(p, root, n) && (p[n] == '\0' || p[n] == '/');
}

/* In the run's work directory or the run's runtime entries? */
static int path_in_run(const struct ib_cleanup *cx, const char *p)
{
	char buf[600];
	static const char *const pfx[] = {"docker-", "containerd-",
					  "isobench-fc-"};
	static const char *const q[] = {"microvm-tcg", "microvm-kvm", "q35-tcg",
					"q35-kvm"};

	if (!plain_real(p))
		return 0;
	if (cx->work) {
		const char *base = strrchr(cx->work, '/');

		snprintf(buf, sizeof(buf), "isobench-%s", cx->run_id);
		if (!base || strncmp(base + 1, buf, strlen(buf)))
			fuzz_fail("work directory %s is not isobench-%s",
				  cx->work, cx->run_id);
		if (!plain_real(cx->work))
			fuzz_fail("work directory %s is not a real path", cx->work);
		if (under(p, cx->work))
			return 1;
	}
	for (size_t i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "%s/%s%s", rt_dir, pfx[i], cx->run_id);
		if (under(p, buf))
			return 1;
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "%s/%s-qemu-%s", rt_dir, cx->run_id, q[i]);
		if (under(p, buf))
			return 1;
	}
	return 0;
}

static int has_id(const struct ib_cleanup *cx, const char *s)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "isobench-%s-", cx->run_id);
	return s && !strncmp(s, buf, strlen(buf)) && !strstr(s, "..") &&
	       !strchr(s, '/');
}

static const char *host_docker(void)
{
	const char *h = getenv("DOCKER_HOST");

	return h && !strncmp(h, "unix://", 7) ? h + 7 : "/var/run/docker.sock";
}

static const char *host_containerd(void)
{
	const char *a = getenv("CONTAINERD_ADDRESS");

	if (a && *a)
		return !strncmp(a, "unix://", 7) ? a + 7 : a;
	return "/run/containerd/containerd.sock";
}

static void check_exec(const struct ib_cleanup *cx, const struct ib_strv *a)
{
	static const char *const words[] = {
		"kill", "KILL", "delete", "--force", "-a", "-n", "isobench",
		"containers", "images", "rm", "--sync", "--config",
		"--platform=ptrace", "--platform=systrap", "--platform=kvm",
		"--network=none", "--network=host", "--network=sandbox", NULL};
	const char *prog = strrchr(a->v[0], '/');
	char own[600], img[96];

	prog = prog ? prog + 1 : a->v[0];
	if (strcmp(prog, "runc") && strcmp(prog, "crun") && strcmp(prog, "runsc") &&
	    strcmp(prog, "ctr") && strcmp(prog, "containerd"))
		fuzz_fail("runs an unknown program %s", a->v[0]);
	snprintf(own, sizeof(own), "%s/containerd-%s/containerd.sock", rt_dir,
		 cx->run_id);
	snprintf(img, sizeof(img), "localhost/isobench-probe:%s", cx->run_id);
	for (int i = 1; i < a->n; i++) {
		const char *w = a->v[i];
		int ok = 0;

		for (const char *const *k = words; *k && !ok; k++)
			ok = !strcmp(w, *k);
		if (!ok && i > 1 && !strcmp(a->v[i - 1], "-a"))
			ok = !strcmp(w, own) || !strcmp(w, host_containerd());
		else if (!ok && i > 1 && !strcmp(a->v[i - 1], "--config"))
			ok = path_in_run(cx, w);
		else if (!ok)
			ok = has_id(cx, w) || !strcmp(w, img);
		if (!ok)
			fuzz_fail("%s: argument %d '%s' is not derived from run %s",
				  a->v[0], i, w, cx->run_id);
	}
}

static void check(const struct ib_cleanup *cx)
{
	char own_docker[600], marker[96], img[96];

	if (!ib_run_id_valid(cx->run_id))
		fuzz_fail("cleanup derived an invalid run id '%s'", cx->run_id);
	snprintf(marker, sizeof(marker), "ISOBENCH_RUN=%s", cx->run_id);
	snprintf(own_docker, sizeof(own_docker), "%s/docker-%s/docker.sock",
		 rt_dir, cx->run_id);
	snprintf(img, sizeof(img), "isobench-probe:%s", cx->run_id);
	if (strcmp(cx->marker, marker))
		fuzz_fail("marker %s is not the run's", cx->marker);
	if (!cx->dry_run)
		fuzz_fail("not a dry run");
	for (int i = 0; i < cx->nacts; i++) {
		const struct ib_cleanup_action *a = &cx->acts[i];
		const char *t = a->target ? a->target : "";

		switch (a->act) {
		case IB_ACT_RMTREE:
		case IB_ACT_UNLINK:
			if (!path_in_run(cx, t))
				fuzz_fail("would remove %s: not the run's", t);
			break;
		case IB_ACT_CGROUP: {
			char c[96];

			/* an OCI container's (/isobench/<id>/<name>) or a
			 * kata container's (/isobench/<name>, containerd's) */
			snprintf(c, sizeof(c), "/isobench/%s/", cx->run_id);
			if ((strncmp(t, c, strlen(c)) || strstr(t, "..") ||
			     !has_id(cx, t + strlen(c))) &&
			    (strncmp(t, "/isobench/", 10) || !has_id(cx, t + 10)))
				fuzz_fail("would remove cgroup %s", t);
			break;
		}
		case IB_ACT_KILL:
			if (!a->detail || strcmp(a->detail, marker) ||
			    strspn(t, "0123456789") != strlen(t) || !*t)
				fuzz_fail("would kill %s (%s)", t,
					  a->detail ? a->detail : "no marker");
			break;
		case IB_ACT_KILL_MARKED:
			if (strcmp(t, marker))
				fuzz_fail("would kill what carries %s", t);
			break;
		case IB_ACT_EXEC:
			check_exec(cx, &a->argv);
			break;
		case IB_ACT_ENGINE: {
			const char *sp = strchr(t, ' ');
			const char *name = sp ? sp + 1 : "";

			if (!a->detail || (strcmp(a->detail, own_docker) &&
					   strcmp(a->detail, host_docker())))
				fuzz_fail("would call an engine at %s",
					  a->detail ? a->detail : "?");
			if (!strncmp(t, "image ", 6) ? strcmp(name, img)
						     : !has_id(cx, name))
				fuzz_fail("would delete %s", t);
			break;
		}
		case IB_ACT_NETIF:
			if (!ib_net_if_ours(cx->run_id, t) || strlen(t) != 15)
				fuzz_fail("would delete interface %s", t);
			break;
		case IB_ACT_NETNS:
			if (!has_id(cx, t))
				fuzz_fail("would delete namespace %s", t);
			break;
		default:
			fuzz_fail("unknown action %d", (int)a->act);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ib_cleanup_opts o = {.dry_run = 1};
	struct ib_cleanup cx;
	struct ib_buf text = {0}, log = {0};
	struct ib_err err = {0};
	char path[600];
	struct stat st;
	int fd, rc;

	if (!T[0]) {
		setup();
		ib_boot_id(boot);
	}
	o.runtime_dir = rt_dir;
	o.registry_dir = reg_dir;
	/* "@T@" stands for the temp directory, "@B@" for this boot's id */
	for (size_t i = 0; i < size; i++) {
		if (i + 3 <= size && !memcmp(data + i, "@T@", 3)) {
			ib_buf_puts(&text, T);
			i += 2;
		} else if (i + 3 <= size && !memcmp(data + i, "@B@", 3)) {
			ib_buf_puts(&text, boot);
			i += 2;
		} else {
			ib_buf_put(&text, (const char *)data + i, 1);
		}
	}
	snprintf(path, sizeof(path), "%s/state.jsonl", run_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0 || (text.len && write(fd, text.s, text.len) != (ssize_t)text.len))
		fuzz_fail("cannot write %s", path);
	close(fd);
	memset(&cx, 0, sizeof(cx));
	rc = ib_cleanup_run(run_dir, &o, &log, &cx, &err);
	if (getenv("FUZZ_VERBOSE")) /* to see what a seed makes it do */
		fprintf(stderr, "rc %d %s\n%s", rc, rc < 0 ? err.msg : "",
			log.s ? log.s : "");
	if (rc >= 0)
		check(&cx);
	else if (cx.nacts)
		fuzz_fail("refused (%s) but acted", err.msg);
	if (stat(bait, &st) != 0)
		fuzz_fail("the bait %s is gone", bait);
	if (stat(path, &st) != 0 || (size_t)st.st_size != text.len)
		fuzz_fail("the dry run changed the state file");
	ib_cleanup_free(&cx);
	ib_buf_free(&log);
	ib_buf_free(&text);
	return 0;
}
