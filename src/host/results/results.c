#include "results/results.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/params.h"
#include "results/rawlog.h"
#include "results/record.h"

/* --- hash index ----------------------------------------------------------
 * Open addressing over the items' hashes; an item is an index into the
 * owner's array (which may be reallocated: indices stay valid). */

struct ib_idx_slot {
	uint64_t h;
	int item; /* -1: empty */
};

static uint64_t hash_mix(uint64_t h, const char *s)
{
	/* FNV-1a, each string with its terminating NUL so that ("ab", "c")
	 * and ("a", "bc") differ */
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++);
	return h;
}

static uint64_t hash_int(uint64_t h, long v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (unsigned char)((unsigned long)v >> (8 * i));
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define HASH_INIT 0xcbf29ce484222325ULL

typedef int (*idx_eq_fn)(const struct ib_results *r, int item,
			 const void *key);

static int idx_find(const struct ib_results *r, const struct ib_idx *x,
		    uint64_t h, idx_eq_fn eq, const void *key)
{
	if (!x->cap)
		return -1;
	for (size_t i = h & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		const struct ib_idx_slot *sl = &x->s[i];

		if (sl->item < 0)
			return -1;
		if (sl->h == h && eq(r, sl->item, key))
			return sl->item;
	}
}

static void idx_put(struct ib_idx *x, uint64_t h, int item)
{
	size_t i;

	if ((x->n + 1) * 2 > x->cap) {
		struct ib_idx old = *x;

		x->cap = old.cap ? old.cap * 2 : 64;
		x->s = ib_xmalloc(sizeof(*x->s) * x->cap);
		for (size_t k = 0; k < x->cap; k++)
			x->s[k].item = -1;
		x->n = 0;
		for (size_t k = 0; k < old.cap; k++)
			if (old.s[k].item >= 0)
				idx_put(x, old.s[k].h, old.s[k].item);
		free(old.s);
	}
	for (i = h & (x->cap - 1); x->s[i].item >= 0; i = (i + 1) & (x->cap - 1))
		;
	x->s[i].h = h;
	x->s[i].item = item;
	x->n++;
}

static void idx_free(struct ib_idx *x)
{
	free(x->s);
	memset(x, 0, sizeof(*x));
}

struct cell_key {
	const char *runtime, *job;
};

static uint64_t cell_hash(const char *runtime, const char *job)
{
	return hash_mix(hash_mix(HASH_INIT, runtime), job);
}

static int cell_eq(const struct ib_results *r, int item, const void *key)
{
	const struct cell_key *k = key;

	return strcmp(r->cells[item].runtime, k->runtime) == 0 &&
	       strcmp(r->cells[item].job, k->job) == 0;
}

struct metric_key {
	int cell;
	const char *bench, *metric, *key;
};

static uint64_t metric_hash(const struct metric_key *k)
{
	return hash_mix(hash_mix(hash_mix(hash_int(HASH_INIT, k->cell),
					  k->bench),
				 k->metric),
			k->key);
}

static int metric_eq(const struct ib_results *r, int item, const void *key)
{
	const struct metric_key *k = key;
	const struct ib_metric *m = &r->metrics[item];

	return m->cell == k->cell && strcmp(m->metric, k->metric) == 0 &&
	       strcmp(m->bench, k->bench) == 0 && strcmp(m->key, k->key) == 0;
}

static int launch_eq(const struct ib_results *r, int item, const void *key)
{
	return r->launches[item].id == *(const int *)key;
}

/* Room for one more item after n in *cap: doubling, so that a large log is
 * not copied over and over (realloc by one item was quadratic). */
static void *grow(void *p, size_t size, int n, int *cap)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	return ib_xrealloc(p, size * (size_t)*cap);
}

void ib_results_init(struct ib_results *r)
{
	memset(r, 0, sizeof(*r));
	r->runtimes = cJSON_CreateArray();
	r->rsd_target = 3;
	r->baseline = ib_xstrdup("native");
}

void ib_results_free(struct ib_results *r)
{
	for (int i = 0; i < r->ncells; i++) {
		struct ib_cell *c = &r->cells[i];

		free(c->runtime), free(c->job), free(c->bench);
		free(c->stopped_by), free(c->status);
		ib_strv_free(&c->failures);
		ib_strv_free(&c->replacements);
		ib_strv_free(&c->unsupported);
		ib_strv_free(&c->infos);
	}
	for (int i = 0; i < r->nmetrics; i++) {
		struct ib_metric *m = &r->metrics[i];

		free(m->bench), free(m->metric), free(m->unit), free(m->key);
		cJSON_Delete(m->params);
		free(m->v);
	}
	free(r->cells);
	free(r->metrics);
	free(r->launches);
	cJSON_Delete(r->run);
	cJSON_Delete(r->runtimes);
	cJSON_Delete(r->run_end);
	cJSON_Delete(r->neighbour);
	cJSON_Delete(r->job_neighbours);
	ib_strv_free(&r->columns);
	ib_strv_free(&r->warnings);
	idx_free(&r->cell_idx);
	idx_free(&r->metric_idx);
	idx_free(&r->launch_idx);
	free(r->baseline);
	memset(r, 0, sizeof(*r));
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_of(const cJSON *o, const char *key, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) > 1e9)
		return -1;
	*out = (int)v->valuedouble;
	return 0;
}

struct ib_cell *ib_results_cell(const struct ib_results *r,
				const char *runtime, const char *job)
{
	struct cell_key k = {runtime, job};
	int i = idx_find(r, &r->cell_idx, cell_hash(runtime, job), cell_eq, &k);

	return i < 0 ? NULL : &r->cells[i];
}

/* The traits of the workload named bench (none for a name the catalogue
 * does not have: a log of another version). */
static unsigned wl_traits(const char *bench)
{
	const struct ib_workload_def *w = bench ? ib_workload_find(bench) : NULL;

	return w ? w->traits : 0;
}

static struct ib_cell *add_cell(struct ib_results *r, const char *runtime,
				const char *job, const char *bench)
{
	struct ib_cell *c = ib_results_cell(r, runtime, job);

	if (c)
		return c;
	r->cells = grow(r->cells, sizeof(*r->cells), r->ncells, &r->cells_cap);
	c = &r->cells[r->ncells++];
	memset(c, 0, sizeof(*c));
	c->runtime = ib_xstrdup(runtime);
	c->job = ib_xstrdup(job);
	c->bench = ib_xstrdup(bench);
	idx_put(&r->cell_idx, cell_hash(runtime, job), r->ncells - 1);
	if (ib_strv_find(&r->columns, runtime) < 0)
		ib_strv_push(&r->columns, runtime);
	return c;
}

static void add_distinct(struct ib_strv *sv, const char *s)
{
	if (ib_strv_find(sv, s) < 0 && sv->n < 50)
		ib_strv_push(sv, s);
}

/* The run event carries the plan: every cell it asks for exists from the
 * start, in plan order, so skipped and unfinished cells are reported. */
static int feed_run(struct ib_results *r, const cJSON *ev, struct ib_err *err)
{
	const cJSON *plan = cJSON_GetObjectItem(ev, "plan"), *jobs, *job, *rts;
	const cJSON *v;
	const char *baseline;
	struct ib_strv net_only = {0}, named = {0};

	if (r->run)
		return ib_err_set(err, -EINVAL, "a second \"run\" event");
	if (!cJSON_IsObject(plan))
		return ib_err_set(err, -EINVAL, "\"run\" event without a plan");
	r->run = cJSON_Duplicate(ev, 1);
	v = cJSON_GetObjectItem(plan, "rsd_target_pct");
	if (cJSON_IsNumber(v) && v->valuedouble > 0)
		r->rsd_target = v->valuedouble;
	baseline = str_of(plan, "baseline");
	if (baseline) {
		free(r->baseline);
		r->baseline = ib_xstrdup(baseline);
	}
	rts = cJSON_GetObjectItem(ev, "runtimes");
	cJSON_ArrayForEach(v, rts) {
		if (cJSON_IsString(v) && ib_strv_find(&r->columns, v->valuestring) < 0)
			ib_strv_push(&r->columns, v->valuestring);
	}
	/* columns that run only net jobs (native:net=loopback): no cell for
	 * the others, as the runner makes none */
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(ev, "net_only")) {
		if (cJSON_IsString(v))
			ib_strv_push(&net_only, v->valuestring);
	}
	/* of those, the ones the plan names: an application's jobs (a link
	 * without IB_WL_LINK_REFERENCE) run there only then */
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(ev, "net_only_named")) {
		if (cJSON_IsString(v))
			ib_strv_push(&named, v->valuestring);
	}
	jobs = cJSON_GetObjectItem(plan, "jobs");
	cJSON_ArrayForEach(job, jobs) {
		const char *name = str_of(job, "name"), *bench = str_of(job, "benchmark");
		const cJSON *jr = cJSON_GetObjectItem(job, "runtimes");

		unsigned traits;
		int needs_link, any_net_only;

		if (!name || !bench) {
			ib_strv_free(&net_only);
			ib_strv_free(&named);
			return ib_err_set(err, -EINVAL, "plan job without name "
					  "or benchmark");
		}
		traits = wl_traits(bench);
		needs_link = (traits & IB_WL_NEEDS_LINK) != 0;
		any_net_only = needs_link && (traits & IB_WL_LINK_REFERENCE);
		if (cJSON_GetArraySize(jr) > 0) {
			cJSON_ArrayForEach(v, jr) {
				if (cJSON_IsString(v) &&
				    ib_strv_find(&r->columns, v->valuestring) >= 0 &&
				    (needs_link ||
				     ib_strv_find(&net_only, v->valuestring) < 0))
					add_cell(r, v->valuestring, name, bench);
			}
		} else {
			for (int i = 0; i < r->columns.n; i++)
				if (ib_strv_find(&net_only, r->columns.v[i]) < 0 ||
				    any_net_only ||
				    (needs_link &&
				     ib_strv_find(&named, r->columns.v[i]) >= 0))
					add_cell(r, r->columns.v[i], name, bench);
		}
	}
	ib_strv_free(&net_only);
	ib_strv_free(&named);
	return 0;
}

static struct ib_launch_ref *find_launch(struct ib_results *r, int id)
{
	int i;

	/* Launch ids grow by one from 1, so the common case is direct; the
	 * index serves the others (a log whose launch line was damaged) */
	if (id >= 1 && id <= r->nlaunches && r->launches[id - 1].id == id)
		return &r->launches[id - 1];
	i = idx_find(r, &r->launch_idx, hash_int(HASH_INIT, id), launch_eq, &id);
	return i < 0 ? NULL : &r->launches[i];
}

static struct ib_metric *find_metric(struct ib_results *r, int cell,
				     const struct ib_record *rec,
				     const char *key)
{
	struct metric_key k = {cell, rec->bench, rec->metric, key};
	uint64_t h = metric_hash(&k);
	int i = idx_find(r, &r->metric_idx, h, metric_eq, &k);
	struct ib_metric *m;

	if (i >= 0)
		return &r->metrics[i];
	idx_put(&r->metric_idx, h, r->nmetrics);
	r->metrics = grow(r->metrics, sizeof(*r->metrics), r->nmetrics,
			  &r->metrics_cap);
	m = &r->metrics[r->nmetrics++];
	memset(m, 0, sizeof(*m));
	m->cell = cell;
	m->bench = ib_xstrdup(rec->bench);
	m->metric = ib_xstrdup(rec->metric);
	m->unit = ib_xstrdup(rec->unit);
	m->key = ib_xstrdup(key);
	m->params = cJSON_Duplicate(rec->params, 1);
	m->higher = rec->higher;
	return m;
}

void ib_metric_update_stats(struct ib_metric *m)
{
	if (m->n > 0)
		ib_stats_compute(m->v, m->n, &m->st);
	m->stale = 0;
}

static void add_sample(struct ib_results *r, int cell,
		       const struct ib_record *rec)
{
	char *key = ib_params_canon(rec->params);
	struct ib_metric *m = find_metric(r, cell, rec, key);

	free(key);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->v = ib_xrealloc(m->v, sizeof(double) * (size_t)m->cap);
	}
	m->v[m->n++] = rec->value;
	m->stale = 1; /* computed when read: per sample it was quadratic */
}

/* The samples of a host-timed workload (startup) are the phases of its
 * launches, timed by the runner on the host's clock and logged in each
 * "end" event: one sample per phase and counted launch that went well,
 * in ms. */
static void add_host_timed_samples(struct ib_results *r, int cell,
				   const cJSON *end)
{
	static const struct {
		const char *phase, *metric;
	} phases[] = {
		{"created_s", "to_created"},
		{"first_byte_s", "to_first_byte"},
		{"guest_kernel_s", "guest_kernel"},
		{"exited_s", "to_exited"},
		{"torn_down_s", "to_torn_down"},
	};
	const cJSON *ph = cJSON_GetObjectItem(end, "phases");
	cJSON *noparams = cJSON_CreateObject();

	for (size_t i = 0; i < IB_ARRAY_LEN(phases); i++) {
		const cJSON *t = cJSON_GetObjectItem(ph, phases[i].phase);
		struct ib_record rec;

		if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble) ||
		    t->valuedouble < 0)
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.type = IB_REC_SAMPLE;
		rec.bench = r->cells[cell].bench;
		rec.metric = phases[i].metric;
		rec.unit = "ms";
		rec.higher = 0;
		rec.value = t->valuedouble * 1e3;
		rec.params = noparams;
		add_sample(r, cell, &rec);
	}
	cJSON_Delete(noparams);
}

static int feed_record(struct ib_results *r, const cJSON *ev,
		       struct ib_err *err)
{
	const cJSON *obj = cJSON_GetObjectItem(ev, "rec");
	struct ib_launch_ref *l;
	struct ib_record rec;
	struct ib_cell *c;
	int id;

	if (int_of(ev, "launch", &id) < 0 || !(l = find_launch(r, id)))
		return ib_err_set(err, -EINVAL,
				  "\"record\" event of an unknown launch");
	if (ib_record_from_object(obj, &rec, err) < 0)
		return -EINVAL;
	c = &r->cells[l->cell];
	if (rec.type == IB_REC_SAMPLE && !l->warmup) {
		add_sample(r, l->cell, &rec);
	} else if (rec.type == IB_REC_ERROR) {
		char *msg = ib_xasprintf("%s%s%s", rec.bench ? rec.bench : "",
					 rec.bench ? ": " : "", rec.message);

		add_distinct(strcmp(rec.reason, "unsupported") == 0
				     ? &c->unsupported : &c->failures,
			     msg);
		free(msg);
	} else if (rec.type == IB_REC_INFO && !l->warmup) {
		const cJSON *v = cJSON_GetObjectItem(obj, "value");
		char num[64], *kv;

		if (cJSON_IsString(v))
			kv = ib_xasprintf("%s=%s", rec.key, v->valuestring);
		else {
			ib_fmt_num(num, sizeof(num), v->valuedouble);
			kv = ib_xasprintf("%s=%s", rec.key, num);
		}
		add_distinct(&c->infos, kv);
		free(kv);
	}
	ib_record_free(&rec);
	return 0;
}

int ib_results_feed(struct ib_results *r, const cJSON *ev, struct ib_err *err)
{
	const char *type = str_of(ev, "ev");
	struct ib_launch_ref *l;
	struct ib_cell *c;
	int id, warmup = 0;

	if (!type)
		return ib_err_set(err, -EINVAL, "event without \"ev\"");
	if (strcmp(type, "run") == 0)
		return feed_run(r, ev, err);
	if (!r->run)
		return ib_err_set(err, -EINVAL, "event before the \"run\" event");
	if (strcmp(type, "runtime") == 0) {
		cJSON_AddItemToArray(r->runtimes, cJSON_Duplicate(ev, 1));
		return 0;
	}
	if (strcmp(type, "launch") == 0) {
		const char *rt = str_of(ev, "runtime"), *job = str_of(ev, "job");
		const char *bench = str_of(ev, "bench");
		const cJSON *w = cJSON_GetObjectItem(ev, "warmup");

		if (!rt || !job || !bench || int_of(ev, "id", &id) < 0)
			return ib_err_set(err, -EINVAL, "malformed \"launch\" event");
		if (find_launch(r, id))
			return ib_err_set(err, -EINVAL, "launch %d twice", id);
		c = add_cell(r, rt, job, bench);
		warmup = cJSON_IsTrue(w);
		r->launches = grow(r->launches, sizeof(*r->launches),
				   r->nlaunches, &r->launches_cap);
		r->launches[r->nlaunches++] = (struct ib_launch_ref){
			id, (int)(c - r->cells), warmup};
		idx_put(&r->launch_idx, hash_int(HASH_INIT, id),
			r->nlaunches - 1);
		if (warmup)
			c->warmups++;
		else
			c->launches++;
		return 0;
	}
	if (strcmp(type, "record") == 0)
		return feed_record(r, ev, err);
	if (strcmp(type, "bad_record") == 0 || strcmp(type, "end") == 0) {
		const char *why = str_of(ev, "why");

		if (int_of(ev, "launch", &id) < 0 || !(l = find_launch(r, id)))
			return ib_err_set(err, -EINVAL, "\"%s\" event of an "
					  "unknown launch", type);
		c = &r->cells[l->cell];
		if (strcmp(type, "bad_record") == 0) {
			char *msg = ib_xasprintf("unparsable probe output: %s",
						 why ? why : "?");

			add_distinct(&c->failures, msg);
			free(msg);
			return 0;
		}
		{
			const char *status = str_of(ev, "status");
			const cJSON *wall = cJSON_GetObjectItem(ev, "wall_s");

			if (!status)
				return ib_err_set(err, -EINVAL,
						  "\"end\" event without status");
			if (cJSON_IsNumber(wall))
				c->seconds += wall->valuedouble;
			if (l->warmup)
				return 0;
			if (strcmp(status, "ok") == 0) {
				const char *off = str_of(ev, "guest_poweroff");

				c->ok++;
				if (off && !strcmp(off, "forced"))
					c->left_on++;
				if (wl_traits(c->bench) & IB_WL_HOST_TIMED)
					add_host_timed_samples(r, l->cell, ev);
			} else if (strcmp(status, "interrupted") == 0) {
				/* the run was stopped: not the cell's failure */
				c->interrupted++;
			} else if (strcmp(status, "replaced") == 0) {
				/* a guest hung at boot, and the runner ran
				 * another launch (or round) in its place */
				c->replaced++;
				if (why)
					add_distinct(&c->replacements, why);
			} else {
				c->failed++;
				if (why)
					add_distinct(&c->failures, why);
			}
		}
		return 0;
	}
	if (strcmp(type, "cell_done") == 0) {
		const char *rt = str_of(ev, "runtime"), *job = str_of(ev, "job");
		const char *why = str_of(ev, "why");

		if (!rt || !job || !why || !(c = ib_results_cell(r, rt, job)))
			return ib_err_set(err, -EINVAL,
					  "malformed \"cell_done\" event");
		free(c->stopped_by);
		c->stopped_by = ib_xstrdup(why);
		return 0;
	}
	if (strcmp(type, "run_end") == 0) {
		cJSON_Delete(r->run_end);
		r->run_end = cJSON_Duplicate(ev, 1);
		return 0;
	}
	if (strcmp(type, "neighbour") == 0) {
		const char *kind = str_of(ev, "kind");
		const cJSON *cpu = cJSON_GetObjectItem(ev, "cpu");

		if (!kind || !cJSON_IsNumber(cpu))
			return ib_err_set(err, -EINVAL,
					  "malformed \"neighbour\" event");
		if (str_of(ev, "job")) {
			/* a job's own, while its cells ran (started again
			 * each round: an early end of an earlier one stays) */
			cJSON *o;

			if (!r->job_neighbours)
				r->job_neighbours = cJSON_CreateObject();
			o = cJSON_GetObjectItemCaseSensitive(r->job_neighbours,
							     str_of(ev, "job"));
			if (!o) {
				o = cJSON_AddObjectToObject(r->job_neighbours,
							    str_of(ev, "job"));
				cJSON_AddStringToObject(o, "kind", kind);
				cJSON_AddNumberToObject(o, "cpu", cpu->valuedouble);
			}
			return 0;
		}
		cJSON_Delete(r->neighbour);
		r->neighbour = cJSON_CreateObject();
		cJSON_AddStringToObject(r->neighbour, "kind", kind);
		cJSON_AddNumberToObject(r->neighbour, "cpu", cpu->valuedouble);
		return 0;
	}
	if (strcmp(type, "neighbour_stop") == 0) {
		/* a planned switch to the next job's neighbour */
		if (!str_of(ev, "kind") ||
		    !cJSON_IsNumber(cJSON_GetObjectItem(ev, "t_s")))
			return ib_err_set(err, -EINVAL, "malformed "
					  "\"neighbour_stop\" event");
		return 0;
	}
	if (strcmp(type, "neighbour_end") == 0) {
		const cJSON *t = cJSON_GetObjectItem(ev, "t_s");
		cJSON *jn = str_of(ev, "job") && r->job_neighbours
				    ? cJSON_GetObjectItemCaseSensitive(
					      r->job_neighbours, str_of(ev, "job"))
				    : NULL;

		if (jn && cJSON_IsNumber(t)) {
			/* a job's neighbour ended before its cells did */
			cJSON_DeleteItemFromObject(jn, "ended_s");
			cJSON_AddNumberToObject(jn, "ended_s", t->valuedouble);
			return 0;
		}
		if (!r->neighbour || !cJSON_IsNumber(t))
			return ib_err_set(err, -EINVAL, "malformed or early "
					  "\"neighbour_end\" event");
		cJSON_DeleteItemFromObject(r->neighbour, "ended_s");
		cJSON_AddNumberToObject(r->neighbour, "ended_s", t->valuedouble);
		return 0;
	}
	return ib_err_set(err, -EINVAL, "unknown event \"%.40s\"", type);
}

double ib_cell_max_rsd(const struct ib_results *r, int cell, const char **worst)
{
	double max = NAN;
	int any = 0;

	for (int i = 0; i < r->nmetrics; i++) {
		struct ib_metric *m = &r->metrics[i]; /* the array is not const */

		if (m->cell != cell)
			continue;
		if (m->stale)
			ib_metric_update_stats(m);
		if (m->n < 2 || isnan(m->st.rsd)) {
			if (worst)
				*worst = m->metric;
			return NAN;
		}
		if (!any || m->st.rsd > max) {
			max = m->st.rsd;
			if (worst)
				*worst = m->metric;
		}
		any = 1;
	}
	return max;
}

const cJSON *ib_results_runtime(const struct ib_results *r, const char *name)
{
	const cJSON *ev;

	cJSON_ArrayForEach(ev, r->runtimes) {
		const char *n = str_of(ev, "runtime");

		if (n && strcmp(n, name) == 0)
			return ev;
	}
	return NULL;
}

void ib_results_finalize(struct ib_results *r)
{
	for (int i = 0; i < r->nmetrics; i++) {
		struct ib_metric *m = &r->metrics[i];

		ib_metric_update_stats(m);
		m->rsd_flag = m->n >= 2 && m->st.rsd > r->rsd_target;
		m->has_ratio = 0;
		m->ratio_wide = 0;
		m->base = -1;
	}
	/* Ratios: the same job, metric and params on the baseline (looked
	 * up, not searched: a search per metric was quadratic). */
	for (int i = 0; i < r->nmetrics; i++) {
		struct ib_metric *m = &r->metrics[i];
		const struct ib_cell *c = &r->cells[m->cell];
		struct ib_cell *bc = ib_results_cell(r, r->baseline, c->job);
		struct metric_key k = {bc ? (int)(bc - r->cells) : -1, m->bench,
				       m->metric, m->key};
		const struct ib_metric *b;
		int j;

		if (!bc || m->n == 0)
			continue;
		j = idx_find(r, &r->metric_idx, metric_hash(&k), metric_eq, &k);
		if (j < 0 || r->metrics[j].n == 0)
			continue;
		b = &r->metrics[j];
		/* A ratio means something between positive quantities
		 * only: a difference that came out at or below zero (a
		 * memory drop lost in the noise) has none. */
		if (!(b->st.median > 0) || !(m->st.median > 0))
			continue;
		if (ib_ratio_ci(m->v, m->n, b->v, b->n, &m->ratio, &m->ratio_lo,
				&m->ratio_hi) < 0)
			continue;
		m->has_ratio = 1;
		m->base = j;
		/* Samples from a single launch (a workload's repetitions
		 * within it) say nothing of how launches differ, which is
		 * most of the spread here: such a ratio is not known within
		 * the bound whatever its interval. */
		m->ratio_wide = j != i &&
			(c->ok < 2 || bc->ok < 2 ||
			 !(m->ratio_hi <= m->ratio * (1 + IB_RATIO_WITHIN_PCT / 100.0) &&
			   m->ratio_lo >= m->ratio * (1 - IB_RATIO_WITHIN_PCT / 100.0)));
	}
	for (int i = 0; i < r->ncells; i++) {
		struct ib_cell *c = &r->cells[i];
		const cJSON *rt = ib_results_runtime(r, c->runtime);
		const char *status;

		if (rt && cJSON_IsFalse(cJSON_GetObjectItem(rt, "available")))
			status = "skipped";
		else if (c->launches == 0 ||
			 (c->ok == 0 && c->failed == 0 && c->failures.n == 0))
			status = "not-run";
		else if (c->ok == 0)
			status = "failed";
		else if (c->failed > 0 || c->failures.n > 0)
			status = "partial";
		else
			status = "ok";
		free(c->status);
		c->status = ib_xstrdup(status);
	}
}

struct load_ctx {
	struct ib_results *r;
};

static int load_fn(void *user, const cJSON *ev, int line, struct ib_err *err)
{
	struct load_ctx *lc = user;

	(void)line;
	return ib_results_feed(lc->r, ev, err);
}

int ib_results_load(struct ib_results *r, const char *raw_path,
		    struct ib_err *err)
{
	struct load_ctx lc = {r};
	int rc = ib_rawlog_read(raw_path, load_fn, &lc, &r->warnings, err);

	if (rc < 0)
		return rc;
	r->bad_lines = rc;
	if (!r->run)
		return ib_err_set(err, -EINVAL, "%s: no \"run\" event: not a "
				  "raw log of isobench", raw_path);
	ib_results_finalize(r);
	return 0;
}

/* --- output ------------------------------------------------------------- */

static cJSON *num_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

char *ib_metric_label(const struct ib_metric *m)
{
	struct ib_buf b = {0};

	ib_buf_puts(&b, m->metric);
	if (m->key[0])
		ib_buf_printf(&b, " [%s]", m->key);
	return b.s;
}

/* results.json's "runtimes": each column with what its runtime event
 * said of it. */
static void json_runtimes(const struct ib_results *r, cJSON *rts)
{
	for (int i = 0; i < r->columns.n; i++) {
		const cJSON *ev = ib_results_runtime(r, r->columns.v[i]);
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "name", r->columns.v[i]);
		if (ev) {
			const cJSON *v;

			cJSON_ArrayForEach(v, ev) {
				if (strcmp(v->string, "ev") && strcmp(v->string, "runtime"))
					cJSON_AddItemToObject(x, v->string,
							      cJSON_Duplicate(v, 1));
			}
		}
		cJSON_AddItemToArray(rts, x);
	}
}

/* results.json's "cells": each with its launches and how it ended. */
static void json_cells(const struct ib_results *r, cJSON *cells)
{
	for (int i = 0; i < r->ncells; i++) {
		const struct ib_cell *c = &r->cells[i];
		cJSON *x = cJSON_CreateObject(), *arr;

		cJSON_AddStringToObject(x, "runtime", c->runtime);
		cJSON_AddStringToObject(x, "job", c->job);
		cJSON_AddStringToObject(x, "benchmark", c->bench);
		cJSON_AddStringToObject(x, "status", c->status ? c->status : "");
		cJSON_AddNumberToObject(x, "launches", c->launches);
		cJSON_AddNumberToObject(x, "ok_launches", c->ok);
		cJSON_AddNumberToObject(x, "failed_launches", c->failed);
		cJSON_AddNumberToObject(x, "interrupted_launches", c->interrupted);
		cJSON_AddNumberToObject(x, "replaced_launches", c->replaced);
		cJSON_AddNumberToObject(x, "forced_poweroff_launches", c->left_on);
		cJSON_AddNumberToObject(x, "warmup_launches", c->warmups);
		cJSON_AddItemToObject(x, "seconds", num_or_null(c->seconds));
		if (c->stopped_by)
			cJSON_AddStringToObject(x, "stopped_by", c->stopped_by);
		else
			cJSON_AddNullToObject(x, "stopped_by");
		arr = cJSON_AddArrayToObject(x, "failures");
		for (int k = 0; k < c->failures.n; k++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(c->failures.v[k]));
		arr = cJSON_AddArrayToObject(x, "replacements");
		for (int k = 0; k < c->replacements.n; k++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(c->replacements.v[k]));
		arr = cJSON_AddArrayToObject(x, "unsupported");
		for (int k = 0; k < c->unsupported.n; k++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(c->unsupported.v[k]));
		arr = cJSON_AddArrayToObject(x, "info");
		for (int k = 0; k < c->infos.n; k++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(c->infos.v[k]));
		cJSON_AddItemToArray(cells, x);
	}
}

/* results.json's "metrics": samples, summary, interval, ratio. */
static void json_metrics(const struct ib_results *r, cJSON *metrics)
{
	for (int i = 0; i < r->nmetrics; i++) {
		const struct ib_metric *m = &r->metrics[i];
		const struct ib_cell *c = &r->cells[m->cell];
		cJSON *x = cJSON_CreateObject(), *arr;

		cJSON_AddStringToObject(x, "runtime", c->runtime);
		cJSON_AddStringToObject(x, "job", c->job);
		cJSON_AddStringToObject(x, "benchmark", m->bench);
		cJSON_AddStringToObject(x, "metric", m->metric);
		cJSON_AddItemToObject(x, "params", cJSON_Duplicate(m->params, 1));
		cJSON_AddStringToObject(x, "params_key", m->key);
		cJSON_AddStringToObject(x, "unit", m->unit);
		cJSON_AddStringToObject(x, "direction", m->higher ? "higher" : "lower");
		arr = cJSON_AddArrayToObject(x, "samples");
		for (int k = 0; k < m->n; k++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber(m->v[k]));
		cJSON_AddNumberToObject(x, "n", m->st.n);
		cJSON_AddItemToObject(x, "median", num_or_null(m->st.median));
		cJSON_AddItemToObject(x, "min", num_or_null(m->st.min));
		cJSON_AddItemToObject(x, "max", num_or_null(m->st.max));
		cJSON_AddItemToObject(x, "p90", num_or_null(m->st.p90));
		cJSON_AddItemToObject(x, "p99", num_or_null(m->st.p99));
		cJSON_AddItemToObject(x, "mean", num_or_null(m->st.mean));
		cJSON_AddItemToObject(x, "sd", num_or_null(m->st.sd));
		cJSON_AddItemToObject(x, "rsd_pct", num_or_null(m->st.rsd));
		cJSON_AddBoolToObject(x, "rsd_above_target", m->rsd_flag);
		arr = cJSON_AddArrayToObject(x, "ci");
		cJSON_AddItemToArray(arr, num_or_null(m->st.ci_lo));
		cJSON_AddItemToArray(arr, num_or_null(m->st.ci_hi));
		cJSON_AddItemToObject(x, "ci_level", num_or_null(m->st.ci_level));
		if (m->has_ratio) {
			cJSON *ratio = cJSON_AddObjectToObject(x, "ratio_to_baseline");

			cJSON_AddStringToObject(ratio, "baseline", r->baseline);
			cJSON_AddItemToObject(ratio, "ratio", num_or_null(m->ratio));
			arr = cJSON_AddArrayToObject(ratio, "ci95");
			cJSON_AddItemToArray(arr, num_or_null(m->ratio_lo));
			cJSON_AddItemToArray(arr, num_or_null(m->ratio_hi));
			/* the key names the bound: one that moves is a
			 * new key, not a new meaning for this one */
			_Static_assert(IB_RATIO_WITHIN_PCT == 5, "known_within_5pct");
			if (m->base != i)
				cJSON_AddBoolToObject(ratio, "known_within_5pct",
						      !m->ratio_wide);
		} else {
			cJSON_AddNullToObject(x, "ratio_to_baseline");
		}
		cJSON_AddItemToArray(metrics, x);
	}
}

char *ib_results_json(const struct ib_results *r)
{
	cJSON *o = cJSON_CreateObject(), *warn;
	const cJSON *plan = cJSON_GetObjectItem(r->run, "plan");
	char *text;

	cJSON_AddStringToObject(o, "schema", "isobench-results");
	cJSON_AddNumberToObject(o, "schema_version", IB_RESULTS_SCHEMA_VERSION);
	cJSON_AddStringToObject(o, "isobench", str_of(r->run, "isobench") ?: "");
	cJSON_AddStringToObject(o, "run_id", str_of(r->run, "run_id") ?: "");
	cJSON_AddStringToObject(o, "started", str_of(r->run, "started") ?: "");
	if (r->run_end) {
		cJSON_AddStringToObject(o, "ended", str_of(r->run_end, "ended") ?: "");
		cJSON_AddStringToObject(o, "status", str_of(r->run_end, "status") ?: "");
	} else {
		cJSON_AddNullToObject(o, "ended");
		cJSON_AddStringToObject(o, "status", "incomplete");
	}
	cJSON_AddItemToObject(o, "plan", cJSON_Duplicate(plan, 1));
	cJSON_AddItemToObject(o, "fingerprint",
			      cJSON_Duplicate(cJSON_GetObjectItem(r->run, "fingerprint"), 1));
	if (r->neighbour)
		cJSON_AddItemToObject(o, "neighbour",
				      cJSON_Duplicate(r->neighbour, 1));
	if (r->job_neighbours)
		cJSON_AddItemToObject(o, "job_neighbours",
				      cJSON_Duplicate(r->job_neighbours, 1));
	json_runtimes(r, cJSON_AddArrayToObject(o, "runtimes"));
	json_cells(r, cJSON_AddArrayToObject(o, "cells"));
	json_metrics(r, cJSON_AddArrayToObject(o, "metrics"));
	warn = cJSON_AddArrayToObject(o, "warnings");
	for (int i = 0; i < r->warnings.n; i++)
		cJSON_AddItemToArray(warn, cJSON_CreateString(r->warnings.v[i]));
	text = cJSON_Print(o);
	cJSON_Delete(o);
	if (text) {
		char *with_nl = ib_xasprintf("%s\n", text);

		cJSON_free(text);
		text = with_nl;
	}
	return text;
}

static void csv_field(struct ib_buf *b, const char *s)
{
	if (strpbrk(s, ",\"\n\r")) {
		ib_buf_puts(b, "\"");
		for (; *s; s++) {
			if (*s == '"')
				ib_buf_puts(b, "\"");
			ib_buf_put(b, s, 1);
		}
		ib_buf_puts(b, "\"");
	} else {
		ib_buf_puts(b, s);
	}
}

static void csv_num(struct ib_buf *b, double v)
{
	char num[64];

	if (isfinite(v)) {
		ib_fmt_num(num, sizeof(num), v);
		ib_buf_puts(b, num);
	}
}

int ib_results_emulated(const struct ib_results *r, const char *name)
{
	const cJSON *ev = ib_results_runtime(r, name);

	return ev && cJSON_IsTrue(cJSON_GetObjectItem(
			     cJSON_GetObjectItem(ev, "describe"), "emulated"));
}

char *ib_results_title(const struct ib_results *r, const char *name)
{
	return ib_results_emulated(r, name) ? ib_xasprintf("%s [emulated]", name)
					    : ib_xstrdup(name);
}

char *ib_results_csv(const struct ib_results *r)
{
	struct ib_buf b = {0};

	ib_buf_puts(&b, "runtime,job,benchmark,metric,params,unit,direction,n,"
		    "median,min,max,mean,sd,rsd_pct,rsd_above_target,ci_lo,"
		    "ci_hi,ci_level,ratio,ratio_ci_lo,ratio_ci_hi,p90,p99,"
		    "emulated\n");
	for (int i = 0; i < r->nmetrics; i++) {
		const struct ib_metric *m = &r->metrics[i];
		const struct ib_cell *c = &r->cells[m->cell];
		const double nums[] = {m->st.median, m->st.min, m->st.max,
				       m->st.mean, m->st.sd, m->st.rsd};

		csv_field(&b, c->runtime);
		ib_buf_puts(&b, ",");
		csv_field(&b, c->job);
		ib_buf_puts(&b, ",");
		csv_field(&b, m->bench);
		ib_buf_puts(&b, ",");
		csv_field(&b, m->metric);
		ib_buf_puts(&b, ",");
		csv_field(&b, m->key);
		ib_buf_puts(&b, ",");
		csv_field(&b, m->unit);
		ib_buf_printf(&b, ",%s,%d", m->higher ? "higher" : "lower", m->st.n);
		for (size_t k = 0; k < IB_ARRAY_LEN(nums); k++) {
			ib_buf_puts(&b, ",");
			csv_num(&b, nums[k]);
		}
		ib_buf_printf(&b, ",%s,", m->rsd_flag ? "yes" : "no");
		csv_num(&b, m->st.ci_lo);
		ib_buf_puts(&b, ",");
		csv_num(&b, m->st.ci_hi);
		ib_buf_puts(&b, ",");
		csv_num(&b, m->st.ci_level);
		ib_buf_puts(&b, ",");
		if (m->has_ratio) {
			csv_num(&b, m->ratio);
			ib_buf_puts(&b, ",");
			csv_num(&b, m->ratio_lo);
			ib_buf_puts(&b, ",");
			csv_num(&b, m->ratio_hi);
		} else {
			ib_buf_puts(&b, ",,");
		}
		ib_buf_puts(&b, ",");
		csv_num(&b, m->st.p90);
		ib_buf_puts(&b, ",");
		csv_num(&b, m->st.p99);
		ib_buf_printf(&b, ",%s\n",
			      ib_results_emulated(r, c->runtime) ? "yes" : "no");
	}
	return b.s;
}

const struct ib_metric *ib_results_metric(const struct ib_results *r,
					  const char *rt, const char *bench,
					  const char *metric, const char *key)
{
	for (int i = 0; i < r->nmetrics; i++) {
		const struct ib_metric *m = &r->metrics[i];

		if (!strcmp(r->cells[m->cell].runtime, rt) &&
		    !strcmp(m->bench, bench) && !strcmp(m->metric, metric) &&
		    (!key || strstr(m->key, key)))
			return m;
	}
	return NULL;
}
