/* html.c — the one HTML writer. Data is escaped by default: the only way
 * to put bytes into a page unescaped is html_trusted, whose callers are
 * few and named for what they insert. */
#include "web/web.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void html_text(buf *b, const char *s, size_t n)
{
	buf_put_html_escaped(b, s, n);
}

void html_trusted(buf *b, const char *markup)
{
	if (markup)
		buf_puts(b, markup);
}

/* One numeric conversion spec (fmt[0] is '%', *len set to its length)
 * printed with the next argument. False for anything the writer does not
 * allow. */
static bool put_number(buf *b, const char *fmt, size_t *len, va_list *ap)
{
	size_t i = 1;
	while (fmt[i] && strchr("-0 +#", fmt[i]))
		i++;
	while (fmt[i] >= '0' && fmt[i] <= '9')
		i++;
	int longs = 0;
	bool size = false;
	while (fmt[i] == 'l') {
		longs++;
		i++;
	}
	if (fmt[i] == 'z') {
		size = true;
		i++;
	}
	char conv = fmt[i];
	if (!conv || !strchr("diux", conv) || longs > 2)
		return false;
	*len = i + 1;
	char spec[32];
	if (*len >= sizeof spec)
		return false;
	memcpy(spec, fmt, *len);
	spec[*len] = '\0';
	bool is_signed = conv == 'd' || conv == 'i';
	if (size)
		buf_printf(b, spec, va_arg(*ap, size_t));
	else if (longs == 2 && is_signed)
		buf_printf(b, spec, va_arg(*ap, long long));
	else if (longs == 2)
		buf_printf(b, spec, va_arg(*ap, unsigned long long));
	else if (longs == 1 && is_signed)
		buf_printf(b, spec, va_arg(*ap, long));
	else if (longs == 1)
		buf_printf(b, spec, va_arg(*ap, unsigned long));
	else if (is_signed)
		buf_printf(b, spec, va_arg(*ap, int));
	else
		buf_printf(b, spec, va_arg(*ap, unsigned));
	return true;
}

void html(buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *p = fmt;
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			buf_puts(b, p);
			break;
		}
		buf_append(b, p, (size_t)(pct - p));
		if (pct[1] == '%') {
			buf_putc(b, '%');
			p = pct + 2;
		} else if (pct[1] == 's') {
			const char *s = va_arg(ap, const char *);
			if (s)
				html_text(b, s, strlen(s));
			p = pct + 2;
		} else {
			size_t len;
			if (put_number(b, pct, &len, &ap)) {
				p = pct + len;
			} else {
				/* a conversion the writer does not know (a
				 * broken translation): shown, never run */
				buf_puts(b, "%");
				p = pct + 1;
			}
		}
	}
	va_end(ap);
}

char *html_url_encode(arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	buf b;
	buf_init(&b, a);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_putc(&b, (char)*p);
		} else {
			buf_putc(&b, '%');
			buf_putc(&b, hex[*p >> 4]);
			buf_putc(&b, hex[*p & 15]);
		}
	}
	b.data[b.len] = '\0';
	return b.data;
}
