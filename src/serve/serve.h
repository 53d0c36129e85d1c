/* preflight serve: check and fix over HTTP (libmicrohttpd). Part of the
 * program, not the library: serve.c starts and stops, serve_http.c answers
 * requests, serve_pool.c runs the image work on a bounded set of threads. */
#ifndef PF_SERVE_H
#define PF_SERVE_H

#include "cli.h"

#include <stdint.h>

/* ---- serve_pool.c ---- */

typedef struct serve_pool serve_pool;
/* Runs one job on a worker with that worker's own context. */
typedef void (*serve_job_fn)(void *job, pf_ctx *ctx);

/* workers threads, each with a context made with options; at most
 * queue_cap jobs waiting beyond those running. NULL (message printed) on
 * failure. */
serve_pool *serve_pool_new(int workers, int queue_cap, const pf_options *options,
                           serve_job_fn run);
/* 0 when queued; -1 when the queue is full (the job was not taken). */
int serve_pool_submit(serve_pool *pool, void *job);
/* Finishes the jobs queued, then stops the workers. */
void serve_pool_free(serve_pool *pool);

/* ---- serve_http.c ---- */

typedef struct {
    const char *token;           /* Bearer token, or NULL: no check */
    uint64_t max_upload;         /* bytes */
    const pf_profiles *profiles; /* with the --rules files */
    const pf_rules *default_rules;
    char *profiles_json;         /* `profiles --json`, made once */
    size_t profiles_json_len;
    serve_pool *pool;
    int timeout;                 /* seconds: idle, and the slow-body limit */
    int verbose;
} serve_state;

/* The libmicrohttpd callbacks; cls is the serve_state. */
struct MHD_Connection;
enum MHD_Result serve_handle(void *cls, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls);
void serve_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                     int toe);
/* Requests begun and not yet completed (for a clean stop). */
long serve_in_flight(void);
/* The pool's job: check or fix one request's body. */
void serve_run_job(void *job, pf_ctx *ctx);

#endif
