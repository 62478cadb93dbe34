/* run/serve_shared: what the applications' host sides share: the
 * application's image (found in the cache or built, once per run), an
 * instance's root of its own
 * (the image, /etc's few files, the launch's directory), the CPU time of
 * an instance's host processes, the CPUs the load generator may have to
 * itself, the address it loads the instance at, and a VM's data disk. */
#include "run/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/footprint.h"
#include "base/proc.h"
#include "images/app_image.h"

/* The application's image (found in the cache or built, once per run),
 * or NULL with err set if it cannot be. */
static const struct run_app_image *app_image(struct run *R, const char *name,
					     const char *manifest,
					     struct ib_err *err)
{
	struct run_app_image *a = NULL;
	struct ib_app_manifest m = {0};
	struct ib_app_image img = {0};
	char *work;

	for (size_t i = 0; i < IB_ARRAY_LEN(R->app_images) && !a; i++)
		if (!R->app_images[i].name ||
		    !strcmp(R->app_images[i].name, name))
			a = &R->app_images[i];
	if (!a) {
		ib_err_set(err, -ENOSPC, "%s's image: more applications in one "
			   "run than isobench keeps images of", name);
		return NULL;
	}
	if (a->dir || a->why) {
		if (a->why)
			ib_err_set(err, -EINVAL, "%s", a->why);
		return a->dir ? a : NULL;
	}
	a->name = name;
	work = ib_xasprintf("%s/app-image-%s", R->work, name);
	if (ib_app_manifest_parse(manifest, strlen(manifest), name, &m,
				  err) < 0 ||
	    ib_app_image_get(&m, work, &img, err) < 0) {
		a->why = ib_xasprintf("%s's image: %s", name, err->msg);
		ib_err_set(err, -EINVAL, "%s", a->why);
	} else {
		a->dir = img.dir;
		img.dir = NULL;
		a->what = ib_xasprintf("sha256 %s (of its inputs), %.1f MiB",
				       img.sha256,
				       (double)img.bytes / 1048576);
		run_say(R, IB_REPORT_NOTE, "%s's image: %.1f MiB, %s %s%s%s",
			name, (double)img.bytes / 1048576,
			img.cached ? "from the cache:" : "built:", a->dir,
			img.note ? "; " : "", img.note ? img.note : "");
	}
	ib_app_image_free(&img);
	ib_app_manifest_free(&m);
	free(work);
	return a->dir ? a : NULL;
}

int run_serve_root(struct run *R, struct one_launch *x, const char *name,
		   const char *manifest, const char *dir, char **root,
		   struct ib_err *err)
{
	const struct run_app_image *image = app_image(R, name, manifest, err);
	char *r, *files;
	int rc;

	if (!image)
		return -EINVAL;
	/* logged by run_serve_load: the launch is not logged yet */
	x->app_image = image->what;
	r = ib_xasprintf("%s/root", dir);
	files = ib_xasprintf("%s%s", r, IB_APP_PREFIX);
	rc = ib_mkdir_private(r, 0755, 1, err);
	if (rc == 0)
		rc = ib_app_image_link(image->dir, r, err);
	if (rc == 0)
		rc = ib_app_root_etc(r, err);
	if (rc == 0)
		rc = ib_mkdir_private(files, 0755, 1, err);
	free(files);
	if (rc < 0)
		free(r);
	else
		*root = r;
	return rc;
}

/* CPU time (user + system, seconds) of every host process of the
 * instance now: those footprint counts as the instance's. */
double run_serve_instance_cpu_s(struct cell_state *c, struct one_launch *x)
{
	struct ib_fp_set set;

	ib_runtime_instance_procs(c->rt, &x->l, &set);
	return ib_fp_cpu_s(&set);
}

/* The CPUs the load generator may have to itself: those of isobench's own
 * affinity that no instance is given (the run's --cpus N gives containers
 * and VMs CPUs 0..N-1; native is never limited). Their count, 0 if none:
 * then wrk runs on every CPU, beside the instance. */
int run_serve_load_cpus(const struct run *R, cpu_set_t *set, char *text,
			size_t cap)
{
	cpu_set_t own;
	int n = 0, len = 0;

	CPU_ZERO(set);
	text[0] = '\0';
	if (R->ctx.limits.cpus <= 0 || sched_getaffinity(0, sizeof(own), &own))
		return 0;
	for (int i = R->ctx.limits.cpus; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &own)) {
			CPU_SET(i, set);
			n++;
			if (len >= 0 && (size_t)len < cap)
				len += snprintf(text + len, cap - (size_t)len,
						"%s%d", len ? "," : "", i);
		}
	return n;
}

/* The calling thread's affinity is what a child inherits: set to set's
 * CPUs (if it has any) around the load generator's spawn, then put back.
 * Whether it was set (for run_serve_unpin). */
int run_serve_pin(const cpu_set_t *set, int nset, cpu_set_t *old)
{
	return nset > 0 && sched_getaffinity(0, sizeof(*old), old) == 0 &&
	       sched_setaffinity(0, sizeof(*set), set) == 0;
}

void run_serve_unpin(int pinned, const cpu_set_t *old)
{
	if (pinned)
		sched_setaffinity(0, sizeof(*old), old);
}

const char *run_serve_addr(struct one_launch *x)
{
	const char *addr = x->l.inst_addr[0] ? x->l.inst_addr
					     : x->net ? x->net->inst_addr : "";

	if (!addr[0]) {
		snprintf(x->why, sizeof(x->why), "the instance's address on "
			 "its link is not known: nothing to load");
		return NULL;
	}
	return addr;
}

int run_serve_data_disk(const char *dir, const char *image, uint64_t bytes,
			char **out, struct ib_err *err)
{
	char *img = ib_xasprintf("%s/data-disk.img", dir);
	char *mkfs = ib_which("mkfs.ext4");
	uint64_t size = (bytes * 3 + (64ull << 20)) & ~((1ull << 20) - 1);
	struct ib_buf out_text = {0};
	int fd, rc;

	if (size < (256ull << 20))
		size = 256ull << 20;
	if (!mkfs && access("/sbin/mkfs.ext4", X_OK) == 0)
		mkfs = ib_xstrdup("/sbin/mkfs.ext4");
	if (!mkfs) {
		rc = ib_err_set(err, -ENOENT, "mkfs.ext4 is not installed "
				"(scripts/setup.sh installs e2fsprogs)");
		goto out;
	}
	fd = open(img, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		rc = ib_err_set(err, -errno, "%s: %s", img, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	{
		char *argv[] = {mkfs, "-q", "-F", "-t", "ext4", "-m", "0",
				"-L", "isobench-data", "-E",
				"lazy_itable_init=0,lazy_journal_init=0,"
				"root_owner=0:0",
				"-d", (char *)image, img, NULL};

		rc = ib_proc_capture(argv, NULL, 300, run_signal, &out_text, err);
	}
	if (rc > 0)
		rc = ib_err_set(err, -EIO, "mkfs.ext4 -d %s %s exited with "
				"status %d: %.300s", image, img, rc,
				out_text.s ? out_text.s : "");
	if (rc == 0) {
		*out = img;
		img = NULL;
	}
out:
	ib_buf_free(&out_text);
	free(img), free(mkfs);
	return rc;
}

double run_serve_sweep_seconds(const struct ib_job *job, const char *list_a,
			       const char *list_b, double extra_s)
{
	struct ib_strv a = {0}, b = {0};
	double d = 0, w = 0, t;

	ib_strv_split(&a, ib_job_value(job, list_a));
	ib_strv_split(&b, ib_job_value(job, list_b));
	ib_parse_seconds(ib_job_value(job, "duration"), &d);
	ib_parse_seconds(ib_job_value(job, "warmup"), &w);
	/* the warm-up runs once per value of list_a */
	t = (double)a.n * (ceil(w) + b.n * (ceil(d) + extra_s));
	ib_strv_free(&a);
	ib_strv_free(&b);
	return t;
}
