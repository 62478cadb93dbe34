/* findings: what a run's figures say about each runtime, in sentences,
 * from documented rules.
 *
 * Each rule (one table, findings.c) looks for one pattern in the results
 * (gVisor's system calls at many times native's, a VM's boot, the Docker
 * engine's start, a CPU cost, a network path's cost; and figures that are
 * impossible for their method, such as direct I/O faster than the host's),
 * and fires only when the evidence supports it: the ratio's 95% interval
 * lies wholly beyond the rule's threshold. A finding names its evidence
 * (metric, ratio, interval), the mechanism behind it, and says when its
 * evidence is noisy. A rule that does not fire says nothing. */
#ifndef ISOBENCH_FINDINGS_H
#define ISOBENCH_FINDINGS_H

#include "results/results.h"

struct ib_finding {
	const char *rule;  /* the rule's id (static) */
	char *runtime;
	char *claim;       /* "system calls cost 78.5x native's under gvisor" */
	char *mechanism;   /* why, from the runtime's architecture */
	char *evidence;    /* "syscall latency call=getppid: x78.51 [73.37, 93.75]" */
	int guard;         /* a figure flagged as not what it seems, not a cost */
	int noisy;         /* the evidence's interval reaches beyond +-5% */
	double weight;     /* how far from 1 (|log ratio|): the order shown */
};

struct ib_findings {
	struct ib_finding *v;
	int n, cap;
};

struct ib_finding_rule {
	const char *id;
	const char *when; /* when it fires, in a sentence */
	void (*eval)(const struct ib_results *r, struct ib_findings *out);
	int on_native;    /* reads the ratios as to native's: runs only
			     where the baseline is a native column */
};

extern const struct ib_finding_rule ib_finding_rules[];
extern const int ib_nfinding_rules;

/* 1 if r's baseline is a native column (the rules with on_native run
 * only then: with another baseline, "x native's" would be false). */
int ib_findings_native_baseline(const struct ib_results *r);

/* Every rule on r (finalized), findings in the order to show them: the
 * guards first, then by weight, then rule and column order. */
void ib_findings_compute(const struct ib_results *r, struct ib_findings *f);
void ib_findings_free(struct ib_findings *f);

#endif
