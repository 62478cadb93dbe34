/* Unit tests of src/host/engines/fc_api.c, the requests the firecracker driver
 * sends and its checks of the guest kernel. No Firecracker runs here, so
 * a mock API server (a thread on a Unix socket of the test's own) takes
 * the requests and records them, and each is checked against the shapes
 * of Firecracker's published API, src/firecracker/swagger/firecracker.yaml
 * (firecracker-microvm/firecracker), written out below by hand from that
 * file: method, path, Content-Type, every body's required properties,
 * property types, no property the schema lacks, enum values and bounds,
 * and the order (pre-boot configuration before InstanceStart). A 400
 * with an Error body must become an error carrying fault_message. The
 * checker is itself tested on bodies that break each rule, so a lax
 * checker fails here rather than passing everything. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engines/fc_api.h"

/* --- the published shapes ------------------------------------------------ */

enum jtype { J_STRING, J_INTEGER, J_BOOLEAN, J_OBJECT };

struct prop {
	const char *name;
	enum jtype type;
	int required;
	const char *const *choices; /* enum, NULL-terminated; NULL: any */
	int has_range;
	double min, max;
};

struct schema {
	const char *name;
	const struct prop *props;
	size_t n;
};

static const char *const cpu_templates[] = {"C3", "T2", "T2S", "T2CL", "T2A",
					    "V1N1", "None", NULL};
static const char *const huge_pages[] = {"None", "Transparent", "2M", NULL};
static const char *const cache_types[] = {"Unsafe", "Writeback", NULL};
static const char *const io_engines[] = {"Sync", "Async", NULL};
static const char *const action_types[] = {"FlushMetrics", "InstanceStart",
					   "SendCtrlAltDel", NULL};

/* definitions/MachineConfiguration */
static const struct prop machine_config_props[] = {
	{"cpu_template", J_STRING, 0, cpu_templates, 0, 0, 0},
	{"smt", J_BOOLEAN, 0, NULL, 0, 0, 0},
	{"mem_size_mib", J_INTEGER, 1, NULL, 0, 0, 0},
	{"track_dirty_pages", J_BOOLEAN, 0, NULL, 0, 0, 0},
	{"vcpu_count", J_INTEGER, 1, NULL, 1, 1, 32},
	{"huge_pages", J_STRING, 0, huge_pages, 0, 0, 0},
};
/* definitions/BootSource */
static const struct prop boot_source_props[] = {
	{"boot_args", J_STRING, 0, NULL, 0, 0, 0},
	{"initrd_path", J_STRING, 0, NULL, 0, 0, 0},
	{"kernel_image_path", J_STRING, 1, NULL, 0, 0, 0},
};
/* definitions/Drive (path_on_host and is_read_only: required for a
 * virtio-block drive, i.e. one without a vhost-user socket; checked
 * apart) */
static const struct prop drive_props[] = {
	{"drive_id", J_STRING, 1, NULL, 0, 0, 0},
	{"partuuid", J_STRING, 0, NULL, 0, 0, 0},
	{"is_root_device", J_BOOLEAN, 1, NULL, 0, 0, 0},
	{"cache_type", J_STRING, 0, cache_types, 0, 0, 0},
	{"is_read_only", J_BOOLEAN, 0, NULL, 0, 0, 0},
	{"path_on_host", J_STRING, 0, NULL, 0, 0, 0},
	{"rate_limiter", J_OBJECT, 0, NULL, 0, 0, 0},
	{"io_engine", J_STRING, 0, io_engines, 0, 0, 0},
	{"socket", J_STRING, 0, NULL, 0, 0, 0},
};
/* definitions/NetworkInterface */
static const struct prop net_props[] = {
	{"guest_mac", J_STRING, 0, NULL, 0, 0, 0},
	{"host_dev_name", J_STRING, 1, NULL, 0, 0, 0},
	{"iface_id", J_STRING, 1, NULL, 0, 0, 0},
	{"rx_rate_limiter", J_OBJECT, 0, NULL, 0, 0, 0},
	{"tx_rate_limiter", J_OBJECT, 0, NULL, 0, 0, 0},
};
/* definitions/InstanceActionInfo */
static const struct prop action_props[] = {
	{"action_type", J_STRING, 1, action_types, 0, 0, 0},
};

#define SCHEMA(n, p) {n, p, ARRAY_LEN(p)}
static const struct schema machine_config = SCHEMA("MachineConfiguration",
						   machine_config_props);
static const struct schema boot_source = SCHEMA("BootSource", boot_source_props);
static const struct schema drive = SCHEMA("Drive", drive_props);
static const struct schema action = SCHEMA("InstanceActionInfo", action_props);
static const struct schema net_iface = SCHEMA("NetworkInterface", net_props);

/* Checks body against s; returns NULL if it conforms, else why (static). */
static const char *check_schema(const cJSON *body, const struct schema *s)
{
	static char why[512];
	const cJSON *it;

	if (!cJSON_IsObject(body)) {
		snprintf(why, sizeof(why), "%s: body is not a JSON object", s->name);
		return why;
	}
	cJSON_ArrayForEach(it, body) {
		size_t i;

		for (i = 0; i < s->n; i++)
			if (!strcmp(s->props[i].name, it->string))
				break;
		if (i == s->n) {
			snprintf(why, sizeof(why), "%s has no property '%s'",
				 s->name, it->string);
			return why;
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct prop *p = &s->props[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, p->name);
		int ok;

		if (!v) {
			if (p->required) {
				snprintf(why, sizeof(why), "%s: required '%s' "
					 "missing", s->name, p->name);
				return why;
			}
			continue;
		}
		switch (p->type) {
		case J_STRING: ok = cJSON_IsString(v); break;
		case J_BOOLEAN: ok = cJSON_IsBool(v); break;
		case J_OBJECT: ok = cJSON_IsObject(v); break;
		case J_INTEGER:
			ok = cJSON_IsNumber(v) &&
			     v->valuedouble == floor(v->valuedouble);
			break;
		default: ok = 0;
		}
		if (!ok) {
			snprintf(why, sizeof(why), "%s.%s has the wrong type",
				 s->name, p->name);
			return why;
		}
		if (p->choices) {
			const char *const *c;

			for (c = p->choices; *c; c++)
				if (!strcmp(*c, v->valuestring))
					break;
			if (!*c) {
				snprintf(why, sizeof(why), "%s.%s = '%s' is not "
					 "in its enum", s->name, p->name,
					 v->valuestring);
				return why;
			}
		}
		if (p->has_range && (v->valuedouble < p->min ||
				     v->valuedouble > p->max)) {
			snprintf(why, sizeof(why), "%s.%s = %g outside [%g, %g]",
				 s->name, p->name, v->valuedouble, p->min, p->max);
			return why;
		}
	}
	if (s == &drive && !cJSON_GetObjectItem(body, "socket") &&
	    (!cJSON_GetObjectItem(body, "path_on_host") ||
	     !cJSON_GetObjectItem(body, "is_read_only"))) {
		snprintf(why, sizeof(why), "Drive: a virtio-block drive needs "
			 "path_on_host and is_read_only");
		return why;
	}
	return NULL;
}

/* --- the mock API server ------------------------------------------------- */

#define MAX_REQS 16

struct req {
	char method[16];
	char path[256];
	char ctype[128];
	char *body;
};

struct mock {
	char dir[64], sock[128];
	int lfd;
	pthread_t thread;
	const char *fail_path;  /* answer 400 with a fault here */
	const char *fault;
	struct req reqs[MAX_REQS];
	int nreqs;
	pthread_mutex_t mu;
};

/* Reads one HTTP/1.1 request from fd into r. Returns 0 or -1. */
static int read_request(int fd, struct req *r)
{
	char buf[65536];
	size_t have = 0, clen = 0;
	char *end = NULL, *line, *save = NULL;

	while (!end) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*end = '\0';
	{
		size_t hdr = (size_t)(end - buf) + 4, got = have - hdr;
		char *body;

		line = strtok_r(buf, "\r\n", &save);
		if (!line || sscanf(line, "%15s %255s", r->method, r->path) != 2)
			return -1;
		while ((line = strtok_r(NULL, "\r\n", &save))) {
			if (!strncasecmp(line, "Content-Type:", 13))
				snprintf(r->ctype, sizeof(r->ctype), "%s",
					 line + 13 + strspn(line + 13, " "));
			else if (!strncasecmp(line, "Content-Length:", 15))
				clen = strtoul(line + 15, NULL, 10);
		}
		body = calloc(1, clen + 1);
		memcpy(body, buf + hdr, got < clen ? got : clen);
		while (got < clen) {
			ssize_t n = read(fd, body + got, clen - got);

			if (n <= 0) {
				free(body);
				return -1;
			}
			got += (size_t)n;
		}
		r->body = body;
	}
	return 0;
}

static void write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *serve(void *arg)
{
	struct mock *m = arg;

	for (;;) {
		int fd = accept(m->lfd, NULL, NULL);
		struct req r = {0};

		if (fd < 0)
			break; /* shutdown() of the listener */
		if (read_request(fd, &r) == 0) {
			int fail;

			pthread_mutex_lock(&m->mu);
			fail = m->fail_path && !strcmp(r.path, m->fail_path);
			if (m->nreqs < MAX_REQS)
				m->reqs[m->nreqs++] = r;
			else
				free(r.body);
			pthread_mutex_unlock(&m->mu);
			if (fail) {
				char resp[1024], body[600];

				snprintf(body, sizeof(body),
					 "{\"fault_message\":\"%s\"}", m->fault);
				snprintf(resp, sizeof(resp),
					 "HTTP/1.1 400 Bad Request\r\n"
					 "Content-Type: application/json\r\n"
					 "Content-Length: %zu\r\n"
					 "Connection: close\r\n\r\n%s",
					 strlen(body), body);
				write_all(fd, resp);
			} else {
				write_all(fd, "HTTP/1.1 204 No Content\r\n"
					  "Connection: close\r\n\r\n");
			}
		}
		close(fd);
	}
	return NULL;
}

static void mock_start(struct mock *m)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	strcpy(m->dir, "/tmp/isobench-fcmock.XXXXXX");
	assert_non_null(mkdtemp(m->dir));
	snprintf(m->sock, sizeof(m->sock), "%s/api.sock", m->dir);
	strcpy(a.sun_path, m->sock);
	m->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(m->lfd >= 0);
	assert_int_equal(bind(m->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(m->lfd, 8), 0);
	assert_int_equal(pthread_create(&m->thread, NULL, serve, m), 0);
}

static void mock_stop(struct mock *m)
{
	shutdown(m->lfd, SHUT_RDWR);
	pthread_join(m->thread, NULL);
	close(m->lfd);
	unlink(m->sock);
	rmdir(m->dir);
}

/* After the checks: the recorded bodies. */
static void mock_free(struct mock *m)
{
	for (int i = 0; i < m->nreqs; i++)
		free(m->reqs[i].body);
	pthread_mutex_destroy(&m->mu);
}

/* Request i is PUT path with a JSON body conforming to s; returns it. */
static cJSON *expect_put(struct mock *m, int i, const char *path,
			 const struct schema *s)
{
	const struct req *r;
	const char *why;
	cJSON *j;

	if (i >= m->nreqs)
		fail_msg("request %d (PUT %s) never came (%d requests)", i, path,
			 m->nreqs);
	r = &m->reqs[i];
	if (strcmp(r->method, "PUT") != 0)
		fail_msg("request %d: method %s, want PUT", i, r->method);
	if (strcmp(r->path, path) != 0)
		fail_msg("request %d: path %s, want %s", i, r->path, path);
	/* the API consumes application/json (swagger: consumes) */
	if (strcmp(r->ctype, "application/json") != 0)
		fail_msg("request %d (%s): Content-Type '%s', want "
			 "application/json", i, path, r->ctype);
	j = cJSON_Parse(r->body ? r->body : "");
	if (!j)
		fail_msg("request %d (%s): body is not JSON: %s", i, path,
			 r->body ? r->body : "(none)");
	why = check_schema(j, s);
	if (why)
		fail_msg("request %d (%s): %s; body %s", i, path, why, r->body);
	return j;
}

static const char *jstr(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* --- tests --------------------------------------------------------------- */

/* The checker refuses what the schema forbids (else every test below
 * would pass whatever the driver sends). */
static void test_checker_is_strict(void **state)
{
	static const char *const bad[][2] = {
		{"{\"vcpu_count\":2}", "mem_size_mib"},                 /* required */
		{"{\"vcpu_count\":0,\"mem_size_mib\":512}", "outside"},  /* bound */
		{"{\"vcpu_count\":33,\"mem_size_mib\":512}", "outside"},
		{"{\"vcpu_count\":2,\"mem_size_mib\":\"512\"}", "type"}, /* type */
		{"{\"vcpu_count\":1.5,\"mem_size_mib\":512}", "type"},
		{"{\"vcpu_count\":2,\"mem_size_mib\":512,\"cpus\":2}", "no property"},
		{"{\"vcpu_count\":2,\"mem_size_mib\":512,\"huge_pages\":\"1G\"}",
		 "enum"},
	};
	cJSON *j;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		const char *why;

		j = cJSON_Parse(bad[i][0]);
		why = check_schema(j, &machine_config);
		if (!why)
			fail_msg("checker accepted %s", bad[i][0]);
		assert_contains(why, bad[i][1]);
		cJSON_Delete(j);
	}
	j = cJSON_Parse("{\"action_type\":\"Start\"}");
	assert_non_null(check_schema(j, &action));
	cJSON_Delete(j);
	j = cJSON_Parse("{\"initrd_path\":\"/i\"}");
	assert_non_null(check_schema(j, &boot_source));
	cJSON_Delete(j);
	j = cJSON_Parse("{\"drive_id\":\"d\",\"is_root_device\":false}");
	assert_non_null(check_schema(j, &drive)); /* virtio-block w/o path */
	cJSON_Delete(j);
	j = cJSON_Parse("[]");
	assert_non_null(check_schema(j, &action));
	cJSON_Delete(j);
	/* and accepts what conforms */
	j = cJSON_Parse("{\"vcpu_count\":2,\"mem_size_mib\":512,\"smt\":false}");
	assert_null(check_schema(j, &machine_config));
	cJSON_Delete(j);
}

/* The builders alone: each body conforms. */
static void test_bodies_conform(void **state)
{
	cJSON *b[] = {
		fc_body_machine_config(1, 128, NULL),
		fc_body_machine_config(FC_VCPU_MAX, 8192, "2M"),
		fc_body_boot_source("/k", "/i", "console=ttyS0"),
		fc_body_boot_source("/k", NULL, NULL),
		fc_body_drive("scratch", "/d.img", 0),
		fc_body_action("InstanceStart"),
		fc_body_net("net0", "ib1a2b-3t"),
	};
	const struct schema *s[] = {&machine_config, &machine_config,
				    &boot_source, &boot_source, &drive, &action,
				    &net_iface};

	(void)state;
	/* hugepages=2M asks for them; without, the field is not sent (an
	 * older Firecracker, before 1.7, refuses fields it does not know) */
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(b[1],
							"huge_pages")), "2M");
	assert_null(cJSON_GetObjectItem(b[0], "huge_pages"));
	for (size_t i = 0; i < ARRAY_LEN(b); i++) {
		const char *why = check_schema(b[i], s[i]);

		if (why) {
			char *t = cJSON_PrintUnformatted(b[i]);

			fail_msg("body %zu %s: %s", i, t, why);
		}
		cJSON_Delete(b[i]);
	}
}

static void boot_against_mock(int with_drive, int with_tap)
{
	struct mock m;
	struct ib_err err = {0};
	struct fc_vm_config c = {
		.vcpus = 2,
		.mem_mib = 512,
		.kernel = "/var/cache/isobench/vm/vmlinux",
		.initrd = "/var/cache/isobench/vm/abc.cpio.zst",
		.boot_args = "console=ttyS0 reboot=k panic=-1 pci=off -- cpu",
		.drive_path = with_drive ? "/var/tmp/x/scratch.img" : NULL,
		.tap = with_tap ? "ib1a2b-3t" : NULL,
	};
	uint64_t t0 = ib_mono_ns(), tconf = 0;
	int rc, n = 0;
	cJSON *j;

	mock_start(&m);
	rc = fc_api_boot(m.sock, &c, 5, &tconf, &err);
	mock_stop(&m);
	if (rc != 0)
		fail_msg("fc_api_boot: %d %s", rc, err.msg);
	assert_true(tconf >= t0);
	assert_int_equal(m.nreqs, 3 + with_drive + with_tap);

	j = expect_put(&m, n++, "/machine-config", &machine_config);
	assert_near(jnum(j, "vcpu_count"), 2, 0);
	assert_near(jnum(j, "mem_size_mib"), 512, 0);
	cJSON_Delete(j);
	j = expect_put(&m, n++, "/boot-source", &boot_source);
	assert_string_equal(jstr(j, "kernel_image_path"), c.kernel);
	assert_string_equal(jstr(j, "initrd_path"), c.initrd);
	assert_string_equal(jstr(j, "boot_args"), c.boot_args);
	cJSON_Delete(j);
	if (with_drive) {
		j = expect_put(&m, n++, "/drives/scratch", &drive);
		/* the id in the body is the one in the path */
		assert_string_equal(jstr(j, "drive_id"), "scratch");
		assert_string_equal(jstr(j, "path_on_host"), c.drive_path);
		assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "is_root_device")));
		assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "is_read_only")));
		cJSON_Delete(j);
	}
	if (with_tap) {
		j = expect_put(&m, n++, "/network-interfaces/net0", &net_iface);
		assert_string_equal(jstr(j, "iface_id"), "net0");
		assert_string_equal(jstr(j, "host_dev_name"), c.tap);
		cJSON_Delete(j);
	}
	/* InstanceStart last: everything before it is pre-boot only */
	j = expect_put(&m, n++, "/actions", &action);
	assert_string_equal(jstr(j, "action_type"), "InstanceStart");
	cJSON_Delete(j);
	assert_int_equal(n, m.nreqs);
	mock_free(&m);
}

static void test_boot_without_drive(void **state)
{
	(void)state;
	boot_against_mock(0, 0);
}

static void test_boot_with_drive(void **state)
{
	(void)state;
	boot_against_mock(1, 0);
}

/* The net workload: the tap after the drive, before InstanceStart. */
static void test_boot_with_tap(void **state)
{
	(void)state;
	boot_against_mock(1, 1);
}

/* A 400 with an Error body: the error names the request and carries
 * Firecracker's fault_message; nothing is sent after it. */
static void test_fault_message(void **state)
{
	struct mock m;
	struct ib_err err = {0};
	struct fc_vm_config c = {.vcpus = 1, .mem_mib = 128, .kernel = "/nope",
				 .initrd = "/i", .boot_args = "x"};
	int rc;

	(void)state;
	mock_start(&m);
	m.fail_path = "/boot-source";
	m.fault = "Invalid kernel path: No such file or directory (os error 2)";
	rc = fc_api_boot(m.sock, &c, 5, NULL, &err);
	mock_stop(&m);
	assert_true(rc < 0);
	assert_contains(err.msg, "/boot-source");
	assert_contains(err.msg, "400");
	assert_contains(err.msg, m.fault);
	/* the message itself, read out of the Error body, not the raw JSON */
	if (strstr(err.msg, "fault_message"))
		fail_msg("error carries the raw body: %s", err.msg);
	assert_int_equal(m.nreqs, 2); /* machine-config, boot-source: no start */
	assert_string_equal(m.reqs[1].path, "/boot-source");
	mock_free(&m);
}

/* A socket path that surely names nothing: inside a directory of this
 * test's own, made empty (a fixed /tmp name could exist, made by anyone).
 * Fills dir (the directory, removed by the caller) and sock. */
static void no_such_socket(char dir[64], char sock[96])
{
	strcpy(dir, "/tmp/isobench-fcnone.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, 96, "%s/none.sock", dir);
}

/* Nothing listening: an error naming the API and the request, quickly. */
static void test_no_server(void **state)
{
	struct ib_err err = {0};
	cJSON *b = fc_body_action("InstanceStart");
	char dir[64], sock[96];
	int rc;

	(void)state;
	no_such_socket(dir, sock);
	rc = fc_api_put(sock, "/actions", b, 2, &err);
	assert_int_equal(rmdir(dir), 0);
	cJSON_Delete(b);
	assert_true(rc < 0);
	assert_contains(err.msg, "Firecracker API");
	assert_contains(err.msg, "/actions");
}

static void test_wait_socket(void **state)
{
	struct mock m;
	struct ib_err err = {0};
	char dir[64], sock[96];
	uint64_t t0;

	(void)state;
	no_such_socket(dir, sock);
	t0 = ib_mono_ns();
	assert_int_equal(fc_api_wait_socket(sock, NULL, t0 + 100000000ULL, &err),
			 -ETIMEDOUT);
	assert_int_equal(rmdir(dir), 0);
	assert_true(ib_mono_ns() - t0 < 2000000000ULL);
	mock_start(&m);
	assert_int_equal(fc_api_wait_socket(m.sock, NULL, ib_mono_ns() +
					    2000000000ULL, &err), 0);
	mock_stop(&m);
	mock_free(&m);
}

/* --- the guest kernel ---------------------------------------------------- */

static char *write_temp(const unsigned char *data, size_t len)
{
	char *path = strdup("/tmp/isobench-fckernel.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_kernel_image(void **state)
{
	unsigned char elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	unsigned char bz[0x300] = {0};
	unsigned char arm[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	struct ib_err err = {0};
	char *p;

	(void)state;
	elf[16] = 2;  /* ET_EXEC */
	elf[18] = 62; /* EM_X86_64 */
	p = write_temp(elf, sizeof(elf));
	assert_int_equal(fc_kernel_check_image(p, &err), 0);
	unlink(p);
	free(p);

	memcpy(bz + 0x202, "HdrS", 4);
	bz[0x1fe] = 0x55;
	bz[0x1ff] = 0xaa;
	p = write_temp(bz, sizeof(bz));
	assert_int_equal(fc_kernel_check_image(p, &err), -ENOEXEC);
	assert_contains(err.msg, "bzImage");
	assert_contains(err.msg, "ISOBENCH_FC_KERNEL");
	unlink(p);
	free(p);

	arm[18] = 183; /* EM_AARCH64 */
	p = write_temp(arm, sizeof(arm));
	assert_int_equal(fc_kernel_check_image(p, &err), -ENOEXEC);
	unlink(p);
	free(p);

	assert_true(fc_kernel_check_image("/nonexistent/vmlinux", &err) < 0);
	assert_contains(err.msg, "/nonexistent/vmlinux");
}

static void test_kernel_config(void **state)
{
	static const char good[] =
		"CONFIG_BLK_DEV_INITRD=y\nCONFIG_SERIAL_8250_CONSOLE=y\n"
		"CONFIG_VIRTIO_MMIO=m\nCONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y\n";
	/* as in Debian's cloud kernel (6.1) */
	static const char debian[] =
		"CONFIG_BLK_DEV_INITRD=y\nCONFIG_SERIAL_8250_CONSOLE=y\n"
		"CONFIG_VIRTIO_MMIO=m\n"
		"# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES is not set\n";
	static const char no_initrd[] =
		"CONFIG_BLK_DEV_INITRD=m\nCONFIG_SERIAL_8250_CONSOLE=y\n"
		"CONFIG_VIRTIO_MMIO=y\nCONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y\n";
	/* a prefix of the option's name is not the option */
	static const char prefix[] =
		"CONFIG_BLK_DEV_INITRD=y\nCONFIG_SERIAL_8250_CONSOLE=y\n"
		"CONFIG_VIRTIO_MMIO=y\nCONFIG_VIRTIO_MMIO_CMDLINE_DEVICES_X=y\n";
	struct ib_err err = {0};

	(void)state;
	assert_int_equal(fc_kernel_check_config(good, "good", &err), 0);
	assert_int_equal(fc_kernel_check_config(debian, "/boot/config-x", &err),
			 -ENOTSUP);
	assert_contains(err.msg, "CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES");
	assert_contains(err.msg, "/boot/config-x");
	assert_int_equal(fc_kernel_check_config(no_initrd, "c", &err), -ENOTSUP);
	assert_contains(err.msg, "CONFIG_BLK_DEV_INITRD");
	assert_int_equal(fc_kernel_check_config(prefix, "c", &err), -ENOTSUP);
	assert_int_equal(fc_kernel_check_config("", "c", &err), -ENOTSUP);
}

/* --- settings ------------------------------------------------------------ */

static void test_settings(void **state)
{
	char *disk[] = {"--reps", "3", "disk", "size=1g", "tests=seqread-1m-qd1",
			NULL};
	char *disk_default[] = {"disk", NULL};
	char *disk_full[] = {"--full", "disk", NULL};
	char *cpu[] = {"--scratch", "/s", "cpu", "threads=1", NULL};
	char *none[] = {"--reps", NULL};

	(void)state;
	assert_int_equal(fc_vcpus(0, 2), 2);
	assert_int_equal(fc_vcpus(1, 2), 1);
	assert_int_equal(fc_vcpus(0, 96), FC_VCPU_MAX);
	assert_int_equal(fc_vcpus(64, 2), FC_VCPU_MAX);
	assert_int_equal(fc_vcpus(0, 0), 1);
	assert_int_equal(fc_mem_mib(0), FC_DEFAULT_MEM_MIB);
	assert_int_equal(fc_mem_mib(8ULL << 30), 8192);
	assert_int_equal(fc_mem_mib(1000), 1);
	assert_string_equal(fc_workload(disk), "disk");
	assert_string_equal(fc_workload(cpu), "cpu");
	assert_null(fc_workload(none));
	assert_null(fc_workload(NULL));
	assert_int_equal(fc_disk_bytes(disk), (2ULL << 30) + (256ULL << 20));
	assert_int_equal(fc_disk_bytes(disk_default),
			 (512ULL << 20) + (256ULL << 20)); /* quick: 256m */
	assert_int_equal(fc_disk_bytes(disk_full),
			 (2ULL << 30) + (256ULL << 20)); /* full: 1g */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_is_strict),
		cmocka_unit_test(test_bodies_conform),
		cmocka_unit_test(test_boot_without_drive),
		cmocka_unit_test(test_boot_with_drive),
		cmocka_unit_test(test_boot_with_tap),
		cmocka_unit_test(test_fault_message),
		cmocka_unit_test(test_no_server),
		cmocka_unit_test(test_wait_socket),
		cmocka_unit_test(test_kernel_image),
		cmocka_unit_test(test_kernel_config),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
