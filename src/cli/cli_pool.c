/* -j N: files are processed by N worker threads and reported by the main
 * thread in input order, whatever finishes first. Workers run at most
 * WINDOW_PER_WORKER files ahead of the report per worker, so memory stays
 * bounded for any batch size. */
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_PER_WORKER 4

typedef struct {
    size_t n, window;
    size_t next;          /* next index a worker may claim */
    size_t reported;      /* indexes below this are reported */
    int stop;             /* stop claiming (interrupted) */
    unsigned char *done;  /* per window slot */
    pf_report *slots;
    cli_work_fn work;
    cli_done_fn finished;
    cli_stop_fn stopped;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pool;

typedef struct {
    pool *p;
    int worker;
} worker_arg;

static void *worker_main(void *v)
{
    worker_arg *wa = v;
    pool *p = wa->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->next < p->n && p->next >= p->reported + p->window)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->stop && p->stopped && p->stopped(p->arg)) {
            p->stop = 1; /* interrupted: claim no more files */
            pthread_cond_broadcast(&p->cv);
        }
        if (p->stop || p->next >= p->n)
            break;
        size_t i = p->next++;
        pthread_mutex_unlock(&p->mu);
        pf_report *slot = &p->slots[i % p->window];
        p->work(p->arg, i, slot, wa->worker);
        pthread_mutex_lock(&p->mu);
        if (p->finished) /* under the lock: one at a time */
            p->finished(p->arg, i, slot);
        p->done[i % p->window] = 1;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Reports index i once its worker is done; 0 when it never will be. */
static int report_next(pool *p, size_t i, cli_done_fn done)
{
    size_t s = i % p->window;
    pthread_mutex_lock(&p->mu);
    while (!p->done[s] && !(p->stop && i >= p->next))
        pthread_cond_wait(&p->cv, &p->mu);
    int ready = p->done[s];
    pthread_mutex_unlock(&p->mu);
    if (!ready)
        return 0;
    done(p->arg, i, &p->slots[s]);
    pthread_mutex_lock(&p->mu);
    p->done[s] = 0;
    p->reported = i + 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 1;
}

size_t cli_pool_run(size_t n, int workers, cli_work_fn work, cli_done_fn finished,
                    cli_done_fn done, cli_stop_fn stopped, void *arg)
{
    pool p;
    size_t reported = 0;
    int started = 0;
    memset(&p, 0, sizeof p);
    p.n = n, p.work = work, p.finished = finished, p.stopped = stopped, p.arg = arg;
    p.window = (size_t)workers * WINDOW_PER_WORKER;
    p.done = calloc(p.window, 1);
    p.slots = calloc(p.window, sizeof *p.slots);
    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    worker_arg *args = calloc((size_t)workers, sizeof *args);
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    if (p.done && p.slots && threads && args)
        for (; started < workers; started++) {
            args[started].p = &p, args[started].worker = started;
            if (pthread_create(&threads[started], NULL, worker_main, &args[started]) != 0)
                break;
        }
    if (started == 0) { /* no threads at all: do the work here */
        for (size_t i = 0; i < n && p.slots && !(stopped && stopped(arg)); i++, reported++) {
            work(arg, i, &p.slots[0], 0);
            if (finished)
                finished(arg, i, &p.slots[0]);
            done(arg, i, &p.slots[0]);
        }
    } else {
        for (size_t i = 0; i < n; i++, reported++) {
            if (stopped && stopped(arg)) {
                pthread_mutex_lock(&p.mu);
                p.stop = 1; /* workers finish the file in hand, claim no more */
                pthread_cond_broadcast(&p.cv);
                pthread_mutex_unlock(&p.mu);
            }
            if (!report_next(&p, i, done))
                break;
        }
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        for (int t = 0; t < started; t++)
            pthread_join(threads[t], NULL);
    }
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    free(threads);
    free(args);
    free(p.slots);
    free(p.done);
    return reported;
}
