/* knobs: the tuning study's statistics, what each configuration of a
 * runtime changed.
 *
 * A runtime run in more than one configuration (its options: qemu beside
 * qemu:pin=vcpu, runc beside runc:cpuset=0) forms a group; its reference
 * is the run's baseline where that is of the group, else the runtime's
 * plain column (no options), else its first column. Against it, per metric, each configuration
 * gets the ratio of medians with its 95% bootstrap interval, the
 * two-sided permutation test's p (stats.h) and the coefficient of
 * variation of both sides; per metric, a text box plot of every
 * configuration normalized to the best one's median; and a conclusion
 * generated from those figures: which knob changed what, by how much,
 * with what certainty, and on how many metrics it did nothing measurable;
 * and step by step, each configuration against the one it adds knobs to
 * (the column with the most of its options and fewer: pin=vcpu,mem=hugetlb
 * over pin=vcpu), what the added knobs changed on their own. Every
 * comparison is computed once per group.
 * An effect is measured when p < 0.05 and the interval excludes 1. */
#ifndef ISOBENCH_KNOBS_H
#define ISOBENCH_KNOBS_H

#include "base/util.h"
#include "results/results.h"

/* report.md's "Knobs" section (nothing where no runtime ran in more
 * than one configuration with a reference). */
void ib_knobs_markdown(struct ib_buf *b, const struct ib_results *r);
/* The same for report.html (its section id "knobs"). */
void ib_knobs_html(struct ib_buf *b, const struct ib_results *r);
/* 1 if r has such a section. */
int ib_knobs_present(const struct ib_results *r);
/* The conclusion alone, one line per configuration, for the terminal;
 * NULL if there is none. Caller frees. */
char *ib_knobs_conclusion(const struct ib_results *r);

#endif
