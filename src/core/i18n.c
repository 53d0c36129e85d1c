/* The catalogue of the "preflight" text domain: bound once, on first use,
 * to where `make install` put it, unless the program chose a folder first
 * (pf_set_locale_dir). Binding is process-wide in libintl by nature; it is
 * done once, under pthread_once, so any thread may ask for text. */
#include "internal.h"
#include "i18n.h"

#include <pthread.h>

#ifndef PF_LOCALEDIR
#define PF_LOCALEDIR "/usr/local/share/locale"
#endif

static pthread_once_t bound = PTHREAD_ONCE_INIT;

static void bind_installed(void)
{
    bindtextdomain(PF_TEXT_DOMAIN, PF_LOCALEDIR);
    /* Messages are written into UTF-8 JSON and HTML whatever the locale. */
    bind_textdomain_codeset(PF_TEXT_DOMAIN, "UTF-8");
}

pf_status pf_set_locale_dir(const char *dir)
{
    pthread_once(&bound, bind_installed);
    if (dir && !bindtextdomain(PF_TEXT_DOMAIN, dir))
        return PF_ERR_NOMEM;
    return PF_OK;
}

const char *pf_gettext(const char *text)
{
    pthread_once(&bound, bind_installed);
    return dgettext(PF_TEXT_DOMAIN, text);
}

/* key is "context\004text", as xgettext's msgctxt entries are looked up. */
const char *pf_pgettext(const char *key, const char *text)
{
    const char *found = pf_gettext(key);
    return found == key ? text : found;
}

const char *pf_ngettext(const char *one, const char *many, unsigned long n)
{
    pthread_once(&bound, bind_installed);
    return dngettext(PF_TEXT_DOMAIN, one, many, n);
}
