/* Hands decoded rows to a pf_shrinker running in a second thread, so that
 * resizing overlaps decoding instead of following it. Two chunk buffers
 * alternate: the decoder fills one while the worker shrinks the other. The
 * worker only ever calls pf_shrinker_push (no codec, no longjmp). */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Rows a hand-over: 16 woke the other thread 480 times for a 10 MP photo
 * (futex calls were 5% of a fix); 64 was 2-3% faster a photo, 128 no more. */
#define CHUNK_ROWS 64

struct pf_rowpipe {
    pf_shrinker *sink;
    size_t row_bytes;
    uint8_t *chunk[2];
    uint32_t rows[2];   /* rows in a chunk handed over (0: chunk is free) */
    int fill;           /* the chunk the producer writes */
    uint32_t filled;    /* rows written into it so far */
    int stop, started;
    pf_status status;   /* the worker's first error */
    pthread_t worker;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

static void *work(void *arg)
{
    pf_rowpipe *p = arg;
    int cur = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->rows[cur] && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (!p->rows[cur])
            break; /* stopped with nothing left */
        uint32_t n = p->rows[cur];
        pthread_mutex_unlock(&p->mu);
        pf_status st = PF_OK;
        for (uint32_t i = 0; i < n && st == PF_OK; i++)
            st = pf_shrinker_push(p->sink, p->chunk[cur] + i * p->row_bytes);
        pthread_mutex_lock(&p->mu);
        if (st != PF_OK && p->status == PF_OK)
            p->status = st;
        p->rows[cur] = 0;
        pthread_cond_broadcast(&p->cv);
        cur ^= 1;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

pf_status pf_rowpipe_new(pf_shrinker *sink, size_t row_bytes, pf_rowpipe **out)
{
    pf_rowpipe *p;
    if (!sink || !row_bytes || !out || row_bytes > SIZE_MAX / CHUNK_ROWS)
        return PF_ERR_INVALID_ARG;
    if (!(p = calloc(1, sizeof *p)))
        return PF_ERR_NOMEM;
    p->sink = sink;
    p->row_bytes = row_bytes;
    p->chunk[0] = malloc(row_bytes * CHUNK_ROWS);
    p->chunk[1] = malloc(row_bytes * CHUNK_ROWS);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (!p->chunk[0] || !p->chunk[1] ||
        pthread_create(&p->worker, NULL, work, p) != 0) {
        pf_rowpipe_free(p);
        return PF_ERR_NOMEM;
    }
    p->started = 1;
    *out = p;
    return PF_OK;
}

uint8_t *pf_rowpipe_row(pf_rowpipe *p)
{
    return p->chunk[p->fill] + p->filled * p->row_bytes;
}

/* Hands the filling chunk over and waits until the other one is free. */
static void hand_over(pf_rowpipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->rows[p->fill] = p->filled;
    pthread_cond_broadcast(&p->cv);
    p->fill ^= 1;
    p->filled = 0;
    while (p->rows[p->fill])
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void pf_rowpipe_commit(pf_rowpipe *p)
{
    if (++p->filled == CHUNK_ROWS)
        hand_over(p);
}

static void stop_worker(pf_rowpipe *p)
{
    if (!p->started)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->worker, NULL);
    p->started = 0;
}

pf_status pf_rowpipe_finish(pf_rowpipe *p)
{
    if (!p)
        return PF_ERR_INVALID_ARG;
    if (p->filled)
        hand_over(p);
    stop_worker(p); /* the worker drains what it was handed first */
    return p->status;
}

void pf_rowpipe_free(pf_rowpipe *p)
{
    if (!p)
        return;
    stop_worker(p);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->chunk[0]);
    free(p->chunk[1]);
    free(p);
}
