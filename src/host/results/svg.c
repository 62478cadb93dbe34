#include "results/svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHART_W 760
#define FONT_W 6.2 /* the width of an 11px sans-serif character, about */

/* --- scales -------------------------------------------------------------- */

/* The 1-2-5 value at or below (down) or at or above (!down) v > 0. */
static double step125(double v, int down)
{
	double e = floor(log10(v)), p = pow(10, e);
	static const double m[] = {1, 2, 5, 10};

	if (down) {
		for (int i = 3; i >= 0; i--)
			if (m[i] * p <= v * (1 + 1e-9))
				return m[i] * p;
		return p / 2;
	}
	for (int i = 0; i < 4; i++)
		if (m[i] * p >= v * (1 - 1e-9))
			return m[i] * p;
	return 10 * p;
}

/* A linear axis's step: a 1-2-5 value giving about 5 ticks over span. */
static double lin_step(double span)
{
	return step125(span / 5, 0);
}

void ib_scale_fit(struct ib_scale *s, int log, double min, double max,
		  double p0, double p1)
{
	s->log = log;
	s->p0 = p0;
	s->p1 = p1;
	if (!isfinite(min) || !isfinite(max) || min > max ||
	    (log && min <= 0)) {
		s->lo = log ? 0.5 : 0;
		s->hi = log ? 2 : 1;
		return;
	}
	if (log) {
		if (min == max) {
			min /= 1.5;
			max *= 1.5;
		}
		s->lo = step125(min, 1);
		s->hi = step125(max, 0);
		return;
	}
	if (min == max) {
		double a = fabs(min) > 0 ? fabs(min) / 2 : 1;

		min -= a;
		max += a;
	}
	if (min > 0 && min < (max - min))
		min = 0; /* a bar-like axis: from 0 when 0 is close */
	{
		double st = lin_step(max - min);

		s->lo = floor(min / st + 1e-9) * st;
		s->hi = ceil(max / st - 1e-9) * st;
	}
}

double ib_scale_px(const struct ib_scale *s, double v)
{
	double f;

	if (!isfinite(v) || (s->log && v <= 0))
		return NAN;
	if (s->log)
		f = (log10(v) - log10(s->lo)) / (log10(s->hi) - log10(s->lo));
	else
		f = (v - s->lo) / (s->hi - s->lo);
	return s->p0 + f * (s->p1 - s->p0);
}

int ib_scale_ticks(const struct ib_scale *s, double *t, int cap)
{
	int n = 0;

	if (cap <= 0)
		return 0;
	if (s->log) {
		double d0 = floor(log10(s->lo)), d1 = ceil(log10(s->hi));
		int decades = (int)(d1 - d0);
		/* 1-2-5 while they fit, else each decade, else every k-th */
		int per = decades * 3 + 1 <= cap ? 3 : 1;
		int every = 1;

		while (per == 1 && (decades / every) + 1 > cap)
			every++;
		for (int d = 0; d <= decades; d += every)
			for (int k = 0; k < per; k++) {
				static const double m[] = {1, 2, 5};
				double v = m[k] * pow(10, d0 + d);

				if (v < s->lo * (1 - 1e-9) ||
				    v > s->hi * (1 + 1e-9) || n >= cap)
					continue;
				t[n++] = v;
			}
		return n;
	}
	{
		double st = lin_step(s->hi - s->lo);

		while ((s->hi - s->lo) / st + 1 > cap)
			st *= 2;
		for (double v = ceil(s->lo / st - 1e-9) * st;
		     v <= s->hi + st * 1e-9 && n < cap; v += st)
			t[n++] = fabs(v) < st * 1e-9 ? 0 : v;
	}
	return n;
}

void ib_tick_label(char *buf, size_t cap, double v)
{
	static const struct {
		double f;
		const char *s;
	} u[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
	double a = fabs(v);

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (a >= u[i].f) {
			snprintf(buf, cap, "%.3g%s", v / u[i].f, u[i].s);
			return;
		}
	snprintf(buf, cap, "%.3g", v);
}

void ib_html_esc(struct ib_buf *b, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': ib_buf_puts(b, "&amp;"); break;
		case '<': ib_buf_puts(b, "&lt;"); break;
		case '>': ib_buf_puts(b, "&gt;"); break;
		case '"': ib_buf_puts(b, "&quot;"); break;
		case '\'': ib_buf_puts(b, "&#39;"); break;
		default: ib_buf_put(b, s, 1);
		}
}

/* --- shapes -------------------------------------------------------------- */

/* Centred on 0,0 and symmetric left to right, so a mark's box is centred
 * on its value. */
static const char *const shapes[] = {
	"M-4,0a4,4 0 1,0 8,0a4,4 0 1,0 -8,0z",      /* circle */
	"M-3.5,-3.5h7v7h-7z",                        /* square */
	"M0,-5L5,0L0,5L-5,0z",                       /* diamond */
	"M0,-4.5L4.5,3.5H-4.5z",                     /* triangle up */
	"M0,4.5L4.5,-3.5H-4.5z",                     /* triangle down */
	"M-1.5,-5h3v3.5h3.5v3h-3.5v3.5h-3v-3.5h-3.5v-3h3.5z", /* plus */
	"M-4.5,-2.5L4.5,-2.5L4.5,2.5L-4.5,2.5z",     /* wide bar */
	"M-2.5,-4.5L2.5,-4.5L2.5,4.5L-2.5,4.5z",     /* tall bar */
};
/* Okabe and Ito's palette, told apart by most colour-blind readers */
static const char *const colours[] = {
	"#0072B2", "#D55E00", "#009E73", "#CC79A7",
	"#E69F00", "#56B4E9", "#000000", "#7f7f7f",
};

const char *ib_svg_shape(int k)
{
	return shapes[k % (int)(sizeof(shapes) / sizeof(shapes[0]))];
}

const char *ib_svg_colour(int k)
{
	/* past 8 series the colours shift against the shapes */
	int n = (int)(sizeof(colours) / sizeof(colours[0]));

	return colours[(k + k / n) % n];
}

/* --- pieces -------------------------------------------------------------- */

static void num(struct ib_buf *b, double v)
{
	ib_buf_printf(b, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
}

/* The label text, cut to max characters (at a character's first byte)
 * with an ellipsis. */
static void text_cut(struct ib_buf *b, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max) {
		ib_html_esc(b, s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	{
		struct ib_buf t = {0};

		ib_buf_put(&t, s, max);
		ib_html_esc(b, t.s);
		ib_buf_free(&t);
	}
	ib_buf_puts(b, "\xE2\x80\xA6");
}

static void scale_attrs(struct ib_buf *b, char axis, const struct ib_scale *s)
{
	ib_buf_printf(b, " data-%c-log=\"%d\" data-%c-lo=\"%.9g\" "
		      "data-%c-hi=\"%.9g\" data-%c-p0=\"%.2f\" "
		      "data-%c-p1=\"%.2f\"", axis, s->log, axis, s->lo, axis,
		      s->hi, axis, s->p0, axis, s->p1);
}

static void svg_open(struct ib_buf *b, const char *id, double h)
{
	ib_buf_printf(b, "<svg class=\"chart\" id=\"");
	ib_html_esc(b, id);
	ib_buf_printf(b, "\" viewBox=\"0 0 %d %.0f\" role=\"img\" "
		      "aria-labelledby=\"", CHART_W, h);
	ib_html_esc(b, id);
	ib_buf_puts(b, "-t\"");
}

static void svg_title(struct ib_buf *b, const char *id, const char *title)
{
	ib_buf_puts(b, "><title id=\"");
	ib_html_esc(b, id);
	ib_buf_puts(b, "-t\">");
	ib_html_esc(b, title);
	ib_buf_puts(b, "</title>\n");
}

/* A legend of the series, wrapped to the chart's width from y; returns
 * the y below it. */
static double legend(struct ib_buf *b, const char *const *series, int n,
		     double x0, double y)
{
	double x = x0;

	if (n <= 0)
		return y;
	ib_buf_puts(b, "<g class=\"legend\">");
	for (int k = 0; k < n; k++) {
		double w = 16 + FONT_W * (double)strlen(series[k]) + 14;

		if (x + w > CHART_W && x > x0) {
			x = x0;
			y += 16;
		}
		ib_buf_puts(b, "<path transform=\"translate(");
		num(b, x + 5);
		ib_buf_puts(b, ",");
		num(b, y + 6);
		ib_buf_printf(b, ")\" d=\"%s\" fill=\"%s\"/>", ib_svg_shape(k),
			      ib_svg_colour(k));
		ib_buf_puts(b, "<text x=\"");
		num(b, x + 14);
		ib_buf_puts(b, "\" y=\"");
		num(b, y + 10);
		ib_buf_puts(b, "\">");
		ib_html_esc(b, series[k]);
		ib_buf_puts(b, "</text>");
		x += w;
	}
	ib_buf_puts(b, "</g>\n");
	return y + 20;
}

/* The x axis at y: grid lines up to y_top, ticks and their labels, the
 * axis's name below. Returns the y below it. */
static double x_axis(struct ib_buf *b, const struct ib_scale *s, double y_top,
		     double y, const char *name)
{
	double t[40];
	int n = ib_scale_ticks(s, t, 12);
	char lab[32];

	ib_buf_puts(b, "<g class=\"axis x\">");
	for (int i = 0; i < n; i++) {
		double x = ib_scale_px(s, t[i]);

		ib_tick_label(lab, sizeof(lab), t[i]);
		ib_buf_printf(b, "<g class=\"tick\" data-px=\"%.9g\">"
			      "<line class=\"grid\" x1=\"", t[i]);
		num(b, x);
		ib_buf_puts(b, "\" x2=\"");
		num(b, x);
		ib_buf_printf(b, "\" y1=\"%.0f\" y2=\"%.0f\"/><text x=\"", y_top,
			      y + 4);
		num(b, x);
		ib_buf_printf(b, "\" y=\"%.0f\" text-anchor=\"middle\">%s"
			      "</text></g>", y + 16, lab);
	}
	ib_buf_printf(b, "<line class=\"base\" x1=\"%.2f\" x2=\"%.2f\" "
		      "y1=\"%.0f\" y2=\"%.0f\"/>", s->p0, s->p1, y, y);
	ib_buf_printf(b, "<text x=\"%.2f\" y=\"%.0f\" text-anchor=\"middle\" "
		      "class=\"name\">", (s->p0 + s->p1) / 2, y + 32);
	ib_html_esc(b, name);
	ib_buf_puts(b, "</text></g>\n");
	return y + 40;
}

/* The y axis at x, from y_bottom up: grid lines to x_right, ticks,
 * labels, the axis's name turned up. */
static void y_axis(struct ib_buf *b, const struct ib_scale *s, double x,
		   double x_right, const char *name)
{
	double t[40];
	int n = ib_scale_ticks(s, t, 10);
	char lab[32];

	ib_buf_puts(b, "<g class=\"axis y\">");
	for (int i = 0; i < n; i++) {
		double y = ib_scale_px(s, t[i]);

		ib_tick_label(lab, sizeof(lab), t[i]);
		ib_buf_printf(b, "<g class=\"tick\" data-py=\"%.9g\">"
			      "<line class=\"grid\" x1=\"%.0f\" x2=\"%.0f\" "
			      "y1=\"", t[i], x - 4, x_right);
		num(b, y);
		ib_buf_puts(b, "\" y2=\"");
		num(b, y);
		ib_buf_printf(b, "\"/><text x=\"%.0f\" y=\"", x - 6);
		num(b, y + 4);
		ib_buf_printf(b, "\" text-anchor=\"end\">%s</text></g>", lab);
	}
	ib_buf_printf(b, "<line class=\"base\" x1=\"%.0f\" x2=\"%.0f\" "
		      "y1=\"%.2f\" y2=\"%.2f\"/>", x, x, s->p0, s->p1);
	ib_buf_printf(b, "<text class=\"name\" transform=\"translate(12,%.0f) "
		      "rotate(-90)\" text-anchor=\"middle\">",
		      (s->p0 + s->p1) / 2);
	ib_html_esc(b, name);
	ib_buf_puts(b, "</text></g>\n");
}

/* The mark's title: "series: value [lo, hi] (note)". */
static void mark_title(struct ib_buf *b, const char *series,
		       const char *row, const struct ib_mark *m)
{
	ib_buf_puts(b, "<title>");
	ib_html_esc(b, series);
	if (row) {
		ib_buf_puts(b, ", ");
		ib_html_esc(b, row);
	}
	ib_buf_printf(b, ": %.4g", m->v);
	if (isfinite(m->lo) && isfinite(m->hi))
		ib_buf_printf(b, " [%.4g, %.4g]", m->lo, m->hi);
	if (m->note) {
		ib_buf_puts(b, " (");
		ib_html_esc(b, m->note);
		ib_buf_puts(b, ")");
	}
	ib_buf_puts(b, "</title>");
}

/* A mark of series k at (x, y), with its whisker from a to b (pixels,
 * along x when horiz, else along y; NAN: none). */
static void mark(struct ib_buf *b, int k, const struct ib_mark *m,
		 const char *series, const char *row, double x, double y,
		 double a, double bb, int horiz, double vx, double vy, int has_vy)
{
	ib_buf_printf(b, "<g class=\"mark\" data-m=\"%d\" data-v=\"%.9g\" "
		      "data-px=\"%.9g\"", m->id, m->v, vx);
	if (has_vy)
		ib_buf_printf(b, " data-py=\"%.9g\"", vy);
	ib_buf_puts(b, ">");
	mark_title(b, series, row, m);
	if (isfinite(a) && isfinite(bb)) {
		ib_buf_printf(b, "<path class=\"whisker\" stroke=\"%s\" d=\"",
			      ib_svg_colour(k));
		if (horiz)
			ib_buf_printf(b, "M%.2f,%.2fH%.2fM%.2f,%.2fv6M%.2f,"
				      "%.2fv6", a, y, bb, a, y - 3, bb, y - 3);
		else
			ib_buf_printf(b, "M%.2f,%.2fV%.2fM%.2f,%.2fh6M%.2f,"
				      "%.2fh6", x, a, bb, x - 3, a, x - 3, bb);
		ib_buf_puts(b, "\"/>");
	}
	ib_buf_printf(b, "<path class=\"dot\" transform=\"translate(%.2f,%.2f)"
		      "\" d=\"%s\" stroke=\"%s\" fill=\"%s\"/></g>", x, y,
		      ib_svg_shape(k), ib_svg_colour(k),
		      m->open ? "#fff" : ib_svg_colour(k));
}

static int usable(const struct ib_mark *m, int log)
{
	return isfinite(m->v) && (!log || m->v > 0);
}

/* The range of the marks' values and intervals (log: positive ones). */
static void marks_range(const struct ib_mark *mk, int n, int log,
			double *min, double *max)
{
	for (int i = 0; i < n; i++) {
		const double v[3] = {mk[i].v, mk[i].lo, mk[i].hi};

		if (!usable(&mk[i], log))
			continue;
		for (int k = 0; k < 3; k++)
			if (isfinite(v[k]) && (!log || v[k] > 0)) {
				*min = fmin(*min, v[k]);
				*max = fmax(*max, v[k]);
			}
	}
}

/* --- charts -------------------------------------------------------------- */

#define LABEL_W 250.0
#define LABEL_CHARS 40
#define DOT_GAP 9.0

int ib_svg_dot_chart(struct ib_buf *b, const struct ib_dot_chart *c)
{
	int nm = 0, total = c->nrows * c->nseries;
	double min = INFINITY, max = -INFINITY, y, band, top;
	struct ib_scale s;
	struct ib_buf body = {0};

	for (int i = 0; i < total; i++)
		nm += usable(&c->marks[i], c->log);
	if (!nm)
		return 0;
	marks_range(c->marks, total, c->log, &min, &max);
	if (isfinite(c->ref)) {
		min = fmin(min, c->ref);
		max = fmax(max, c->ref);
	}
	ib_scale_fit(&s, c->log, min, max, LABEL_W + 14, CHART_W - 24);
	band = c->nseries * DOT_GAP + 8;
	top = legend(&body, c->series, c->nseries, LABEL_W + 14, 4);
	y = top;
	for (int r = 0; r < c->nrows; r++, y += band) {
		if (r % 2)
			ib_buf_printf(&body, "<rect class=\"band\" x=\"0\" "
				      "y=\"%.2f\" width=\"%d\" height=\"%.2f\"/>",
				      y, CHART_W, band);
		ib_buf_printf(&body, "<text class=\"row\" x=\"%.0f\" y=\"%.2f\" "
			      "text-anchor=\"end\"><title>", LABEL_W, y + band / 2 + 4);
		ib_html_esc(&body, c->rows[r]);
		ib_buf_puts(&body, "</title>");
		text_cut(&body, c->rows[r], LABEL_CHARS);
		ib_buf_puts(&body, "</text>\n");
	}
	if (isfinite(c->ref))
		ib_buf_printf(&body, "<line class=\"ref\" x1=\"%.2f\" x2=\"%.2f\" "
			      "y1=\"%.2f\" y2=\"%.2f\"/>", ib_scale_px(&s, c->ref),
			      ib_scale_px(&s, c->ref), top, y);
	for (int r = 0; r < c->nrows; r++)
		for (int k = 0; k < c->nseries; k++) {
			const struct ib_mark *m = &c->marks[r * c->nseries + k];
			double my = top + r * band + 4 + DOT_GAP * (k + 0.5);
			double lo = NAN, hi = NAN;

			if (!usable(m, c->log))
				continue;
			if (isfinite(m->lo) && isfinite(m->hi) &&
			    (!c->log || (m->lo > 0 && m->hi > 0))) {
				lo = ib_scale_px(&s, m->lo);
				hi = ib_scale_px(&s, m->hi);
			}
			mark(&body, k, m, c->series[k], c->rows[r],
			     ib_scale_px(&s, m->v), my, lo, hi, 1, m->v, 0, 0);
			ib_buf_puts(&body, "\n");
		}
	y = x_axis(&body, &s, top, y + 2, c->x_label);
	svg_open(b, c->id, y);
	scale_attrs(b, 'x', &s);
	svg_title(b, c->id, c->title);
	ib_buf_puts(b, body.s);
	ib_buf_puts(b, "</svg>\n");
	ib_buf_free(&body);
	return nm;
}

#define LINE_H 300.0
#define LINE_LEFT 70.0

int ib_svg_line_chart(struct ib_buf *b, const struct ib_line_chart *c)
{
	int nm = 0, total = c->npoints * c->nseries;
	double ymin = INFINITY, ymax = -INFINITY, xmin = INFINITY,
	       xmax = -INFINITY, top, bottom;
	struct ib_scale sx, sy;
	struct ib_buf body = {0};

	for (int i = 0; i < total; i++) {
		double x = c->x[i % c->npoints];

		nm += usable(&c->marks[i], c->y_log) && isfinite(x) &&
		      (!c->x_log || x > 0);
	}
	if (!nm)
		return 0;
	marks_range(c->marks, total, c->y_log, &ymin, &ymax);
	for (int p = 0; p < c->npoints; p++)
		if (isfinite(c->x[p]) && (!c->x_log || c->x[p] > 0)) {
			xmin = fmin(xmin, c->x[p]);
			xmax = fmax(xmax, c->x[p]);
		}
	top = legend(&body, c->series, c->nseries, LINE_LEFT, 4);
	bottom = top + LINE_H;
	ib_scale_fit(&sx, c->x_log, xmin, xmax, LINE_LEFT + 8, CHART_W - 24);
	ib_scale_fit(&sy, c->y_log, ymin, ymax, bottom, top + 6);
	y_axis(&body, &sy, LINE_LEFT, CHART_W - 24, c->y_label);
	for (int v = 0; v < c->nvlines; v++) {
		double x = ib_scale_px(&sx, c->vline_x[v]);

		if (!isfinite(x) || x < sx.p0 || x > sx.p1)
			continue;
		/* the label on the side with room */
		int left = x > (sx.p0 + sx.p1) / 2;

		ib_buf_printf(&body, "<g class=\"vline\"><line x1=\"%.2f\" "
			      "x2=\"%.2f\" y1=\"%.2f\" y2=\"%.2f\"/><text "
			      "x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">", x,
			      x, top + 6, bottom, left ? x - 3 : x + 3,
			      top + 16 + 12.0 * v, left ? "end" : "start");
		ib_html_esc(&body, c->vline_label[v]);
		ib_buf_puts(&body, "</text></g>\n");
	}
	for (int k = 0; k < c->nseries; k++) {
		const struct ib_mark *row = &c->marks[k * c->npoints];
		int open = 0;

		/* a point without a value breaks the line: no line is drawn
		 * through what was not measured */
		for (int p = 0; p <= c->npoints; p++) {
			double x = p < c->npoints ? ib_scale_px(&sx, c->x[p]) : NAN;

			if (p == c->npoints || !usable(&row[p], c->y_log) ||
			    !isfinite(x)) {
				if (open)
					ib_buf_puts(&body, "\"/>\n");
				open = 0;
				continue;
			}
			if (!open++)
				ib_buf_printf(&body, "<polyline class=\"line\" "
					      "stroke=\"%s\" points=\"",
					      ib_svg_colour(k));
			ib_buf_printf(&body, "%.2f,%.2f ", x,
				      ib_scale_px(&sy, row[p].v));
		}
		for (int p = 0; p < c->npoints; p++) {
			const struct ib_mark *m = &row[p];
			double x = ib_scale_px(&sx, c->x[p]), lo = NAN, hi = NAN;

			if (!usable(m, c->y_log) || !isfinite(x))
				continue;
			if (isfinite(m->lo) && isfinite(m->hi) &&
			    (!c->y_log || (m->lo > 0 && m->hi > 0))) {
				lo = ib_scale_px(&sy, m->lo);
				hi = ib_scale_px(&sy, m->hi);
			}
			mark(&body, k, m, c->series[k], NULL, x,
			     ib_scale_px(&sy, m->v), lo, hi, 0, c->x[p], m->v,
			     1);
		}
		ib_buf_puts(&body, "\n");
	}
	bottom = x_axis(&body, &sx, top + 6, bottom, c->x_label);
	svg_open(b, c->id, bottom);
	scale_attrs(b, 'x', &sx);
	scale_attrs(b, 'y', &sy);
	svg_title(b, c->id, c->title);
	ib_buf_puts(b, body.s);
	ib_buf_puts(b, "</svg>\n");
	ib_buf_free(&body);
	return nm;
}

#define BAR_H 16.0
#define BAR_GAP 10.0

int ib_svg_stack_chart(struct ib_buf *b, const struct ib_stack_chart *c)
{
	int nm = 0;
	double max = 0, y, top;
	struct ib_scale s;
	struct ib_buf body = {0};

	for (int i = 0; i < c->nbars; i++) {
		double sum = 0;

		for (int p = 0; p < c->nparts; p++) {
			double l = c->len[i * c->nparts + p];

			if (isfinite(l) && l > 0)
				sum += l;
		}
		if (sum <= 0)
			continue;
		nm++;
		max = fmax(max, sum);
		if (isfinite(c->tick1[i]))
			max = fmax(max, c->tick1[i]);
		if (isfinite(c->tick2[i]))
			max = fmax(max, c->tick2[i]);
	}
	if (!nm)
		return 0;
	ib_scale_fit(&s, 0, 0, max, LABEL_W + 14, CHART_W - 24);
	top = legend(&body, c->parts, c->nparts, LABEL_W + 14, 4);
	/* the two tick kinds in the legend too */
	ib_buf_printf(&body, "<g class=\"legend\"><line class=\"t1\" x1=\"%.0f\" "
		      "x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/><text x=\"%.0f\" "
		      "y=\"%.0f\">", LABEL_W + 19, LABEL_W + 19, top, top + 12,
		      LABEL_W + 28, top + 10);
	ib_html_esc(&body, c->tick1_name);
	ib_buf_printf(&body, "</text><line class=\"t2\" x1=\"%.0f\" x2=\"%.0f\" "
		      "y1=\"%.0f\" y2=\"%.0f\"/><text x=\"%.0f\" y=\"%.0f\">",
		      LABEL_W + 119, LABEL_W + 119, top, top + 12, LABEL_W + 128,
		      top + 10);
	ib_html_esc(&body, c->tick2_name);
	ib_buf_puts(&body, "</text></g>\n");
	top += 22;
	y = top;
	for (int i = 0; i < c->nbars; i++, y += BAR_H + BAR_GAP) {
		double at = 0;

		ib_buf_printf(&body, "<text class=\"row\" x=\"%.0f\" y=\"%.2f\" "
			      "text-anchor=\"end\">", LABEL_W, y + BAR_H / 2 + 4);
		text_cut(&body, c->bars[i], LABEL_CHARS);
		ib_buf_puts(&body, "</text>");
		for (int p = 0; p < c->nparts; p++) {
			double l = c->len[i * c->nparts + p], x0, x1;

			if (!isfinite(l) || l <= 0)
				continue;
			x0 = ib_scale_px(&s, at);
			x1 = ib_scale_px(&s, at + l);
			ib_buf_printf(&body, "<rect class=\"seg\" data-px0=\"%.9g\" "
				      "data-px1=\"%.9g\" x=\"%.2f\" y=\"%.2f\" "
				      "width=\"%.2f\" height=\"%.0f\" fill=\"%s\">"
				      "<title>", at, at + l, x0, y, x1 - x0, BAR_H,
				      ib_svg_colour(p));
			ib_html_esc(&body, c->bars[i]);
			ib_buf_puts(&body, ", ");
			ib_html_esc(&body, c->parts[p]);
			ib_buf_printf(&body, ": %.4g</title></rect>", l);
			at += l;
		}
		for (int t = 0; t < 2; t++) {
			double v = t ? c->tick2[i] : c->tick1[i], x;

			if (!isfinite(v))
				continue;
			x = ib_scale_px(&s, v);
			ib_buf_printf(&body, "<g class=\"mark\" data-m=\"%d\" "
				      "data-v=\"%.9g\" data-px=\"%.9g\"><title>",
				      c->ids ? c->ids[i] : -1, v, v);
			ib_html_esc(&body, c->bars[i]);
			ib_buf_puts(&body, ", ");
			ib_html_esc(&body, t ? c->tick2_name : c->tick1_name);
			ib_buf_printf(&body, ": %.4g</title><path class=\"dot t%d\" "
				      "d=\"M%.2f,%.2fV%.2fM%.2f,%.2fH%.2f\"/></g>",
				      v, t + 1, x, y - 3, y + BAR_H + 3, x - 2,
				      y - 3, x + 2);
		}
		ib_buf_puts(&body, "\n");
	}
	y = x_axis(&body, &s, top, y, c->x_label);
	svg_open(b, c->id, y);
	scale_attrs(b, 'x', &s);
	svg_title(b, c->id, c->title);
	ib_buf_puts(b, body.s);
	ib_buf_puts(b, "</svg>\n");
	ib_buf_free(&body);
	return nm;
}
