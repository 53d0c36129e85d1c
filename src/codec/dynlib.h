/* The heavy decoders' libraries (libheif, libtiff, poppler with cairo and
 * glib) are opened on first use instead of being linked: linked, they cost
 * every run of preflight their start-up (measured: libheif 9 ms, poppler
 * 11 ms, libtiff 3 ms of CPU, against 0.6 ms for a bare program), most runs
 * see only JPEGs, and one check of a photo takes about 20 ms.
 *
 * Each codec file lists the functions it calls, X(name), and calls them
 * through a table filled once by pf_dynlib_open under pthread_once: the one
 * piece of process-wide state, written once and only read afterwards, like
 * the dynamic linker's own table when linked. */
#ifndef PF_CODEC_DYNLIB_H
#define PF_CODEC_DYNLIB_H

#include <dlfcn.h>
#include <pthread.h>

/* A table slot: a pointer of the very type the library's header declares. */
#define PF_DYN_SLOT(f) __typeof__(f) *f;

/* dlopen (RTLD_NOW | RTLD_LOCAL) of soname; NULL when it is not there. */
void *pf_dynlib_open(const char *soname);

/* Fills table (a struct of FUNCS(PF_DYN_SLOT)) from soname, and sets ok
 * to 1 when every function was found: the body of a pthread_once routine. */
#define PF_DYN_LOAD(f) \
    pf_dyn_ok_ = pf_dyn_ok_ && \
                 (pf_dyn_table_->f = (__typeof__(f) *)dlsym(pf_dyn_lib_, #f)) != NULL;
#define PF_DYN_FILL(table, FUNCS, soname, ok) \
    do { \
        __typeof__(table) *pf_dyn_table_ = &(table); \
        void *pf_dyn_lib_ = pf_dynlib_open(soname); \
        int pf_dyn_ok_ = pf_dyn_lib_ != NULL; \
        FUNCS(PF_DYN_LOAD) \
        (ok) = pf_dyn_ok_; \
    } while (0)

/* A library's function table name (a struct of FUNCS(PF_DYN_SLOT)),
 * filled from soname on the first call of name_ready(), which then says
 * whether every function was found. */
#define PF_DYN_LIBRARY(name, FUNCS, soname) \
    static struct { \
        FUNCS(PF_DYN_SLOT) \
    } name; \
    static int name##_loaded; \
    static pthread_once_t name##_once = PTHREAD_ONCE_INIT; \
    static void name##_load(void) \
    { \
        PF_DYN_FILL(name, FUNCS, soname, name##_loaded); \
    } \
    static int name##_ready(void) \
    { \
        return pthread_once(&name##_once, name##_load) == 0 && name##_loaded; \
    }

#endif
