/* svg: the scales, ticks and charts of report.html, as SVG text.
 *
 * Every chart isobench draws is plain SVG built here: no script, no font,
 * no network, readable in print and without colour (each series has a
 * shape of its own as well as a colour). A scale maps a value to a pixel,
 * linearly or on log10; its ticks are the values a reader expects on such
 * an axis (1, 2, 5 per decade on a log axis; a 1-2-5 step on a linear
 * one). Each mark carries the value it stands for (data-v, and data-m: the
 * metric's index in results.json's metrics[]) and each chart its scale
 * (data-x-*), so a test can check every mark's position against the
 * figure it draws. */
#ifndef ISOBENCH_SVG_H
#define ISOBENCH_SVG_H

#include <stddef.h>

#include "base/util.h"

struct ib_scale {
	double lo, hi; /* the domain */
	double p0, p1; /* the pixels lo and hi map to */
	int log;       /* log10 */
};

/* A scale over [min, max], widened to the ticks around them (a log scale
 * to 1-2-5 values; it needs min > 0). No usable range (min > max, or not
 * finite, or min <= 0 on a log scale) gives a default domain: [0.5, 2]
 * (log), [0, 1] (linear); min == max is widened around the value. */
void ib_scale_fit(struct ib_scale *s, int log, double min, double max,
		  double p0, double p1);
/* The pixel of v; NAN for a value the scale cannot place (not finite, or
 * <= 0 on a log scale). Values outside the domain are placed outside. */
double ib_scale_px(const struct ib_scale *s, double v);
/* The tick values within the domain, ascending, at most cap (a log scale
 * thins to 1 per decade, then every other decade, when 1-2-5 would be
 * more than cap). Returns how many. */
int ib_scale_ticks(const struct ib_scale *s, double *t, int cap);
/* A tick's label: "0.5", "1", "20", "1.5k", "2M", "1G". */
void ib_tick_label(char *buf, size_t cap, double v);

/* Text for SVG or HTML: & < > " ' escaped. */
void ib_html_esc(struct ib_buf *b, const char *s);

/* A value with its interval; v NAN: none. */
struct ib_mark {
	double v, lo, hi; /* lo, hi NAN: no whisker */
	int open;         /* drawn hollow: a value known less closely */
	int id;           /* data-m (results.json metrics[] index), -1 none */
	const char *note; /* said in the mark's title, or NULL */
};

/* Rows of labelled dots, one per series in each row, on a shared x axis:
 * e.g. each metric's ratio to the baseline per runtime. */
struct ib_dot_chart {
	const char *id, *title, *x_label;
	int log;
	double ref;            /* a reference line (1 for ratios) or NAN */
	int nrows, nseries;
	const char *const *rows;   /* labels */
	const char *const *series; /* names */
	const struct ib_mark *marks; /* [row * nseries + series] */
};

/* Series against a shared x (each series' y per x), lines through them:
 * e.g. memory latency over working-set sizes per runtime. */
struct ib_line_chart {
	const char *id, *title, *x_label, *y_label;
	int x_log, y_log;
	int npoints, nseries;
	const double *x;             /* npoints, ascending */
	const char *const *series;
	const struct ib_mark *marks; /* [series * npoints + point] */
	int nvlines;                 /* vertical markers: x and label */
	const double *vline_x;
	const char *const *vline_label;
};

/* Horizontal bars of consecutive parts (each part's length), one bar per
 * item, with two marks on each bar (e.g. p90 and p99 of the total). */
struct ib_stack_chart {
	const char *id, *title, *x_label;
	int nbars, nparts;
	const char *const *bars;
	const char *const *parts;
	const double *len;   /* [bar * nparts + part], NAN or <= 0: absent */
	const double *tick1, *tick2; /* per bar, NAN: none */
	const char *tick1_name, *tick2_name;
	const int *ids;      /* per bar: data-m of the bar, -1 none */
};

/* Each appends the chart's SVG and returns its number of marks; a chart
 * with none is not drawn (0, nothing appended). */
int ib_svg_dot_chart(struct ib_buf *b, const struct ib_dot_chart *c);
int ib_svg_line_chart(struct ib_buf *b, const struct ib_line_chart *c);
int ib_svg_stack_chart(struct ib_buf *b, const struct ib_stack_chart *c);

/* The legend's shapes: series k's mark (a path centred on 0,0), colour. */
const char *ib_svg_shape(int k);
const char *ib_svg_colour(int k);

#endif
