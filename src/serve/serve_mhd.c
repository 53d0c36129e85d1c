/* See serve_mhd.h: libmicrohttpd opened when serve starts. */
#include "serve_mhd.h"
#include "cli.h"

#include <stdio.h>

static serve_mhd_table table;
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    PF_DYN_FILL(table, SERVE_MHD_FUNCS, PF_SONAME_MICROHTTPD, loaded);
}

const serve_mhd_table *serve_mhd_load(void)
{
    pthread_once(&once, load);
    if (!loaded)
        fprintf(stderr, _("preflight: serve needs libmicrohttpd (%s); install the "
                          "Debian package libmicrohttpd12\n"), PF_SONAME_MICROHTTPD);
    return loaded ? &table : NULL;
}

const serve_mhd_table *serve_mhd(void)
{
    return &table;
}
