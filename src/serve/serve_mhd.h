/* libmicrohttpd, opened when `preflight serve` starts instead of being
 * linked: linked, it and GnuTLS's chain (ten libraries) cost every run of
 * preflight 2.2 ms of CPU at start-up (perf stat, `preflight --version`:
 * 3.4 ms against 1.2 ms) while only serve uses them. Same pattern as the
 * heavy decoders (src/codec/dynlib.h): a table of the functions serve
 * calls, filled once. */
#ifndef PF_SERVE_MHD_H
#define PF_SERVE_MHD_H

#include <microhttpd.h>

#include "codec/dynlib.h"

#define SERVE_MHD_FUNCS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_post_processor) \
    X(MHD_create_response_from_buffer) \
    X(MHD_destroy_post_processor) \
    X(MHD_destroy_response) \
    X(MHD_get_daemon_info) \
    X(MHD_lookup_connection_value) \
    X(MHD_post_process) \
    X(MHD_queue_response) \
    X(MHD_quiesce_daemon) \
    X(MHD_resume_connection) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon) \
    X(MHD_suspend_connection)

typedef struct {
    SERVE_MHD_FUNCS(PF_DYN_SLOT)
} serve_mhd_table;

/* The table, or NULL when libmicrohttpd cannot be opened (the message
 * printed names the package). Loaded on the first call. */
const serve_mhd_table *serve_mhd_load(void);
/* The table once serve_mhd_load succeeded. */
const serve_mhd_table *serve_mhd(void);
#define MHD(f) (serve_mhd()->f)

#endif
