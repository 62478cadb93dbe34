/* run/log: the bottom of the runner: the run's event log (raw.jsonl and
 * the live results), the host's own records in it, the run's clock, and
 * the signal flag every loop of the runner checks. */
#include "run/internal.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

void ib_runner_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int ib_runner_interrupted(void)
{
	return got_signal != 0;
}

int run_signal(void)
{
	return (int)got_signal;
}


/* Appends ev to raw.jsonl and feeds the live results; takes ev. */
void run_log_event(struct run *R, cJSON *ev)
{
	struct ib_err e = {0};

	if (!R->io_failed && ib_rawlog_append(&R->log, ev, &R->io_err) < 0)
		R->io_failed = 1;
	if (ib_results_feed(&R->live, ev, &e) < 0 && !R->io_failed)
		run_say(R, IB_REPORT_ERROR, "internal: %s", e.msg);
	cJSON_Delete(ev);
}

double run_since_start(const struct run *R)
{
	return (double)(ib_mono_ns() - R->t0) / 1e9;
}

/* A record of what isobench measured on the host, logged as a record of
 * launch id (the round's first instance), so that `isobench report`
 * rebuilds it from raw.jsonl like any of the probe's. Returns the event;
 * *rec is its record, to fill. */
static cJSON *host_record(int id, const char *type, const char *bench,
			  cJSON **rec)
{
	cJSON *ev = cJSON_CreateObject();

	cJSON_AddStringToObject(ev, "ev", "record");
	cJSON_AddNumberToObject(ev, "launch", id);
	cJSON_AddStringToObject(ev, "from", "host");
	*rec = cJSON_AddObjectToObject(ev, "rec");
	cJSON_AddStringToObject(*rec, "type", type);
	cJSON_AddStringToObject(*rec, "bench", bench);
	return ev;
}

/* A sample record of the host's; *params is its (empty) params object. */
static cJSON *host_sample(int id, const char *bench, const char *metric,
			  const char *unit, int higher, double value,
			  cJSON **params)
{
	cJSON *rec, *ev = host_record(id, "sample", bench, &rec);

	cJSON_AddStringToObject(rec, "metric", metric);
	cJSON_AddStringToObject(rec, "unit", unit);
	cJSON_AddStringToObject(rec, "dir", higher ? "higher" : "lower");
	cJSON_AddNumberToObject(rec, "value", round(value * 1e4) / 1e4);
	cJSON_AddNumberToObject(rec, "rep", 0);
	*params = cJSON_AddObjectToObject(rec, "params");
	return ev;
}

void run_log_host_sample(struct run *R, int id, const char *metric,
			 const char *unit, int higher, double value,
			 const char *pkey, const char *pval, double pnum)
{
	cJSON *params, *ev = host_sample(id, "footprint", metric, unit, higher,
					 value, &params);

	if (pval)
		cJSON_AddStringToObject(params, pkey, pval);
	else if (pkey)
		cJSON_AddNumberToObject(params, pkey, pnum);
	run_log_event(R, ev);
}

void run_log_host_point(struct run *R, int id, const char *bench,
			const char *metric, const char *unit, int higher,
			double value, const struct run_point *pt)
{
	cJSON *params, *ev = host_sample(id, bench, metric, unit, higher, value,
					 &params);

	cJSON_AddStringToObject(params, pt->word_key, pt->word);
	cJSON_AddNumberToObject(params, pt->num_key, pt->num);
	run_log_event(R, ev);
}

void run_log_host_info(struct run *R, int id, const char *bench,
		       const char *key, const char *value)
{
	cJSON *rec, *ev = host_record(id, "info", bench, &rec);

	cJSON_AddStringToObject(rec, "key", key);
	cJSON_AddStringToObject(rec, "value", value);
	run_log_event(R, ev);
}

void run_say(const struct run *R, enum ib_report_kind kind, const char *fmt,
	     ...)
{
	const struct ib_reporter *rep = R->o->reporter;
	char *text;
	va_list ap;

	if (!rep || !rep->message)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text)
		rep->message(rep->ctx, kind, text);
	free(text);
}
