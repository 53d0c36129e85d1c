/* A bounded worker pool: N threads, each with its own pf_ctx, and a queue
 * of at most queue_cap jobs. A full queue refuses at once (the server
 * answers 503) rather than letting requests pile up in memory. */
#include "serve.h"

#include <pthread.h>
#include <stdlib.h>

struct serve_pool {
    pthread_mutex_t lock;
    pthread_cond_t more;
    void **queue;          /* ring of queue_cap jobs */
    int cap, head, count;
    int stopping;
    serve_job_fn run;
    int workers, started;
    pthread_t *threads;
    pf_ctx **ctx;
};

typedef struct {
    serve_pool *pool;
    int index;
} worker_arg;

static void *worker_main(void *arg)
{
    serve_pool *p = ((worker_arg *)arg)->pool;
    pf_ctx *ctx = p->ctx[((worker_arg *)arg)->index];
    free(arg);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->count == 0 && !p->stopping)
            pthread_cond_wait(&p->more, &p->lock);
        if (p->count == 0)
            break; /* stopping, and nothing left to do */
        void *job = p->queue[p->head];
        p->head = (p->head + 1) % p->cap;
        p->count--;
        pthread_mutex_unlock(&p->lock);
        p->run(job, ctx);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static int start_workers(serve_pool *p, const pf_options *options)
{
    pf_options o = *options;
    o.threads = 1; /* parallelism comes from the workers, -j in all */
    for (int i = 0; i < p->workers; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a || !(p->ctx[i] = pf_ctx_new()) || pf_ctx_set_options(p->ctx[i], &o) != PF_OK) {
            free(a);
            return -1;
        }
        a->pool = p, a->index = i;
        if (pthread_create(&p->threads[i], NULL, worker_main, a) != 0) {
            free(a);
            return -1;
        }
        p->started++;
    }
    return 0;
}

serve_pool *serve_pool_new(int workers, int queue_cap, const pf_options *options,
                           serve_job_fn run)
{
    serve_pool *p = calloc(1, sizeof *p);
    if (!p)
        goto fail;
    p->cap = queue_cap > 0 ? queue_cap : 1;
    p->workers = workers, p->run = run;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->more, NULL);
    p->queue = calloc((size_t)p->cap, sizeof *p->queue);
    p->threads = calloc((size_t)workers, sizeof *p->threads);
    p->ctx = calloc((size_t)workers, sizeof *p->ctx);
    if (!p->queue || !p->threads || !p->ctx || start_workers(p, options) != 0) {
        serve_pool_free(p);
        goto fail;
    }
    return p;
fail:
    fputs(_("preflight: cannot start the worker threads (out of memory?)\n"), stderr);
    return NULL;
}

int serve_pool_submit(serve_pool *p, void *job)
{
    int st = -1;
    pthread_mutex_lock(&p->lock);
    if (p->count < p->cap && !p->stopping) {
        p->queue[(p->head + p->count) % p->cap] = job;
        p->count++;
        pthread_cond_signal(&p->more);
        st = 0;
    }
    pthread_mutex_unlock(&p->lock);
    return st;
}

void serve_pool_free(serve_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->started; i++)
        pthread_join(p->threads[i], NULL);
    for (int i = 0; p->ctx && i < p->workers; i++)
        pf_ctx_free(p->ctx[i]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->more);
    free(p->ctx);
    free(p->threads);
    free(p->queue);
    free(p);
}
