/* chart.c — a tag's month drawn on the server: posts per day as bars,
 * distinct voices as a line over them, in one inline SVG that scales to
 * its box (a viewBox, no fixed size), takes its colours from the page
 * (currentColor until the stylesheet's svg.chart rules apply, so it reads
 * in light and dark schemes), and says what it shows in words: a
 * <title>/<desc> the SVG is labelled by, a visible legend and summary, and
 * the numbers themselves in a table only screen readers see. */
#include "web/web.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The drawing's own units; the viewBox scales them to the page. */
enum {
	CHART_W = 600,
	CHART_H = 200,
	PLOT_LEFT = 44, /* room for the largest value's label */
	PLOT_RIGHT = 8,
	PLOT_TOP = 14,
	PLOT_BOTTOM = 24, /* room for the first and last dates */
	PLOT_H = CHART_H - PLOT_TOP - PLOT_BOTTOM,
	BAR_GAP_PCT = 25, /* of a day's slot left between bars */
	DOT_R = 2,
	DAY_SECONDS = 86400,
};

/* n with the locale's thousands separator ("," in the C locale), in
 * out[size]. */
static const char *group_digits(char *out, size_t size, int64_t n)
{
	const char *sep = localeconv()->thousands_sep;
	if (!sep || !*sep)
		sep = ",";
	char digits[24];
	int len = snprintf(digits, sizeof digits, "%lld",
			   (long long)(n < 0 ? -n : n));
	size_t o = 0, seplen = strlen(sep);
	if (n < 0 && o + 1 < size)
		out[o++] = '-';
	for (int i = 0; i < len && o + seplen + 1 < size; i++) {
		if (i && (len - i) % 3 == 0) {
			memcpy(out + o, sep, seplen);
			o += seplen;
		}
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

/* An axis label short enough for the margin: 9,999 then 12k, 1.2M. */
static const char *compact(char *out, size_t size, int64_t n)
{
	if (n < 10000)
		return group_digits(out, size, n);
	if (n < 1000000)
		snprintf(out, size, "%lldk", (long long)(n / 1000));
	else if (n < 10000000)
		snprintf(out, size, "%lld.%lldM", (long long)(n / 1000000),
			 (long long)(n / 100000 % 10));
	else
		snprintf(out, size, "%lldM", (long long)(n / 1000000));
	return out;
}

/* The UTC date of day i of the chart, YYYY-MM-DD, in out[11]. */
static const char *day_date(char out[11], const web_chart *c, int i)
{
	time_t t = (time_t)(c->first_day_ms / 1000) + (time_t)i * DAY_SECONDS;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	return out;
}

static int64_t chart_max(const web_chart *c)
{
	int64_t max = 0;
	for (int i = 0; i < c->days; i++) {
		if (c->posts[i] > max)
			max = c->posts[i];
		if (c->voices[i] > max)
			max = c->voices[i];
	}
	return max;
}

/* The height in drawing units of v on a scale whose top is max. */
static int scaled(int64_t v, int64_t max)
{
	if (max <= 0 || v <= 0)
		return 0;
	return (int)((v * PLOT_H + max / 2) / max);
}

static void put_text_parts(buf *b, const web_chart *c, int64_t max)
{
	char first[11], last[11], top[24], n1[24], n2[24];
	int64_t today_posts = c->posts[c->days - 1];
	int64_t today_voices = c->voices[c->days - 1];
	html(b, "<title id=\"%s-title\">%s</title><desc id=\"%s-desc\">", c->id,
	     c->title, c->id);
	html(b, _("Posts per day (bars) and people posting (line), %s to %s."),
	     day_date(first, c, 0), day_date(last, c, c->days - 1));
	html(b, " ");
	html(b, _("Highest: %s a day. Today: %s posts by %s people."),
	     group_digits(top, sizeof top, max),
	     group_digits(n1, sizeof n1, today_posts),
	     group_digits(n2, sizeof n2, today_voices));
	buf_puts(b, "</desc>");
}

static void put_axes(buf *b, const web_chart *c, int64_t max)
{
	char label[24], date[11];
	int base = PLOT_TOP + PLOT_H;
	html(b,
	     "<g class=\"axis\" stroke=\"currentColor\">"
	     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
	     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/></g>",
	     PLOT_LEFT, base, CHART_W - PLOT_RIGHT, base, PLOT_LEFT, PLOT_TOP,
	     CHART_W - PLOT_RIGHT, PLOT_TOP);
	buf_puts(b, "<g fill=\"currentColor\" font-size=\"11\">");
	html(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
	     PLOT_LEFT - 4, PLOT_TOP + 4, compact(label, sizeof label, max));
	html(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
	     PLOT_LEFT - 4, base + 4);
	html(b, "<text x=\"%d\" y=\"%d\">%s</text>", PLOT_LEFT, CHART_H - 6,
	     day_date(date, c, 0));
	html(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text></g>",
	     CHART_W - PLOT_RIGHT, CHART_H - 6, day_date(date, c, c->days - 1));
}

static void put_marks(buf *b, const web_chart *c, int64_t max)
{
	int plot_w = CHART_W - PLOT_LEFT - PLOT_RIGHT;
	int slot = plot_w / c->days;
	int bar = slot - slot * BAR_GAP_PCT / 100;
	if (bar < 1)
		bar = 1;
	int base = PLOT_TOP + PLOT_H;
	char date[11];
	buf_puts(b, "<g class=\"posts\" fill=\"currentColor\">");
	for (int i = 0; i < c->days; i++) {
		int h = scaled(c->posts[i], max);
		html(b,
		     "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\">"
		     "<title>%s: %lld</title></rect>",
		     PLOT_LEFT + i * slot + (slot - bar) / 2, base - h, bar, h,
		     day_date(date, c, i), (long long)c->posts[i]);
	}
	buf_puts(b, "</g><polyline class=\"voices\" fill=\"none\" "
		    "stroke=\"currentColor\" stroke-width=\"2\" points=\"");
	for (int i = 0; i < c->days; i++)
		html(b, "%s%d,%d", i ? " " : "",
		     PLOT_LEFT + i * slot + slot / 2,
		     base - scaled(c->voices[i], max));
	buf_puts(b, "\"/><g class=\"voices-dot\" fill=\"currentColor\">");
	for (int i = 0; i < c->days; i++)
		html(b, "<circle cx=\"%d\" cy=\"%d\" r=\"%d\"/>",
		     PLOT_LEFT + i * slot + slot / 2,
		     base - scaled(c->voices[i], max), DOT_R);
	buf_puts(b, "</g>");
}

static void put_table(buf *b, const web_chart *c)
{
	char date[11], n1[24], n2[24];
	html(b,
	     "<table class=\"sr-only\"><caption>%s</caption><thead><tr>"
	     "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
	     "<th scope=\"col\">%s</th></tr></thead><tbody>",
	     c->title, _("Day"), _("Posts"), _("People"));
	for (int i = 0; i < c->days; i++)
		html(b,
		     "<tr><th scope=\"row\">%s</th><td>%s</td><td>%s</td>"
		     "</tr>",
		     day_date(date, c, i),
		     group_digits(n1, sizeof n1, c->posts[i]),
		     group_digits(n2, sizeof n2, c->voices[i]));
	buf_puts(b, "</tbody></table>");
}

void web_chart_svg(buf *b, const web_chart *c)
{
	if (c->days <= 0)
		return;
	int64_t max = chart_max(c);
	html(b,
	     "<figure class=\"chart-figure\"><svg class=\"chart\" "
	     "role=\"img\" viewBox=\"0 0 %d %d\" "
	     "preserveAspectRatio=\"xMidYMid meet\" "
	     "aria-labelledby=\"%s-title %s-desc\" "
	     "xmlns=\"http://www.w3.org/2000/svg\">",
	     CHART_W, CHART_H, c->id, c->id);
	put_text_parts(b, c, max);
	put_axes(b, c, max);
	put_marks(b, c, max);
	buf_puts(b, "</svg>");
	put_table(b, c);
	html(b,
	     "<figcaption><p class=\"legend\"><span class=\"key-posts\">%s"
	     "</span> <span class=\"key-voices\">%s</span></p></figcaption>",
	     _("Posts per day"), _("People posting"));
	buf_puts(b, "</figure>");
}
