/* Messages in the user's language: gettext, text domain "preflight".
 * The library and the program both look their text up in that domain
 * (dgettext), so a program linking libpreflight gets the library's
 * messages in its own language whatever its own text domain is. Machine
 * output (JSON keys, statuses, check names, CSV headers) is never
 * translated. */
#ifndef PF_I18N_H
#define PF_I18N_H

#include <libintl.h>

#define PF_TEXT_DOMAIN "preflight"

/* A message for people, in the user's language. */
#define _(text) pf_gettext(text)
/* Marks text for the catalogue where it cannot be looked up yet (tables);
 * _() it where it is used. */
#define N_(text) (text)
/* The same English in a context that wants another translation (", "
 * between list items is 、 in Chinese, between clauses ，). */
#define C_(context, text) pf_pgettext(context "\004" text, text)
/* Singular or plural by n, in the user's language. */
#define P_(one, many, n) pf_ngettext(one, many, n)

/* dgettext in the preflight domain, the catalogue bound on first use. */
const char *pf_gettext(const char *text) __attribute__((format_arg(1)));
const char *pf_pgettext(const char *key, const char *text)
    __attribute__((format_arg(2)));
const char *pf_ngettext(const char *one, const char *many, unsigned long n)
    __attribute__((format_arg(1))) __attribute__((format_arg(2)));

#endif
