/* i18n.c — translations. For now every string is its English original;
 * the gettext catalogue replaces this. */
#include "web/web.h"

const char *web_tr(const char *s)
{
	return s;
}

const char *web_trn(const char *one, const char *many, unsigned long n)
{
	return n == 1 ? one : many;
}

void web_i18n_init(void)
{
}

const char *web_i18n_select(const char *accept_language)
{
	(void)accept_language;
	return "en";
}

void web_i18n_reset(void)
{
}

const char *web_i18n_lang(void)
{
	return "en";
}
