/* See dynlib.h: the heavy decoders' libraries, opened on first use. */
#include "codec/dynlib.h"

void *pf_dynlib_open(const char *soname)
{
    /* RTLD_LOCAL: their symbols stay out of the program's namespace; a
     * handle's dlsym still finds what its dependencies define (cairo's and
     * glib's functions through poppler-glib's handle). The handle is never
     * closed: the table points into it for the life of the process. */
    return dlopen(soname, RTLD_NOW | RTLD_LOCAL);
}
