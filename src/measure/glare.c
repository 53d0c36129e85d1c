/* Glare: bright, colourless, textureless blobs brighter than the document
 * around them (a lamp or the sky reflected in a card's laminate or glossy
 * paper), as a share of the document's area.
 *
 * Method, on blocks of about BLOCK_PX analysis pixels of the region:
 *  1. a block is a candidate when its mean luminance is >= BRIGHT, its
 *     range (over the block and a one-pixel border) <= FLAT (no ink or
 *     texture shows through) and its mean chroma <= CHROMA;
 *  2. candidates are grouped into 4-connected blobs; a blob smaller than
 *     MIN_BLOB of the document, or full of holes (SOLIDITY: the paper of a
 *     clipped scan between text lines), is not glare;
 *  3. a blob is glare only when it is brighter by at least LIFT than both
 *     the document's paper (the mode of the block luminances) and the ring
 *     of blocks around it (their upper quartile: paper, not ink).
 * A white page or a white card background is the paper level itself, so it
 * is never brighter than its surroundings; a clipped scan's white paper
 * cannot show glare at all (nothing there is brighter than the paper). */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_PX 4.0     /* analysis pixels per block side */
#define BRIGHT 245
#define FLAT 12
#define CHROMA 20
#define MIN_BLOB 0.002   /* of the document's blocks */
#define SOLIDITY 0.85
#define LIFT 20

typedef struct {
    int bw, bh, bs;        /* blocks across, down; block side in pixels */
    uint8_t *mean;         /* per block mean luminance */
    uint8_t *cand;         /* 1 candidate, 0 not, 2 outside the frame */
    int32_t *label;        /* blob id + 1 per block, 0 none */
    uint32_t *queue;
} blocks;

static void blocks_free(blocks *b)
{
    free(b->mean);
    free(b->cand);
    free(b->label);
    free(b->queue);
    memset(b, 0, sizeof *b);
}

/* Mean luminance of one block; 0 when a pixel lies outside the frame. */
static int block_mean(const pf_quality_region *r, int x0, int y0, int x1,
                      int y1, int *mean)
{
    int sum = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            size_t i = (size_t)y * r->width + x;
            if (r->valid && !r->valid[i])
                return 0;
            sum += r->luma[i];
        }
    *mean = sum / ((x1 - x0) * (y1 - y0));
    return 1;
}

/* A bright block is a candidate when flat over itself and a one-pixel
 * border, and colourless. */
static int block_flat(const pf_quality_region *r, int x0, int y0, int x1, int y1)
{
    int w = (int)r->width, h = (int)r->height, lo = 255, hi = 0, csum = 0;
    for (int y = y0 - 1; y <= y1; y++)
        for (int x = x0 - 1; x <= x1; x++) {
            if (x < 0 || y < 0 || x >= w || y >= h)
                continue;
            int v = r->luma[(size_t)y * w + x];
            lo = v < lo ? v : lo, hi = v > hi ? v : hi;
            if (x >= x0 && y >= y0 && x < x1 && y < y1)
                csum += r->chroma[(size_t)y * w + x];
        }
    return hi - lo <= FLAT && csum <= CHROMA * (x1 - x0) * (y1 - y0);
}

static pf_status blocks_make(const pf_quality_region *r, blocks *b)
{
    memset(b, 0, sizeof *b);
    long bs = lround(BLOCK_PX / r->scale);
    b->bs = bs < 1 ? 1 : (int)bs;
    b->bw = (int)r->width / b->bs, b->bh = (int)r->height / b->bs;
    if (b->bw < 1 || b->bh < 1)
        b->bs = 1, b->bw = (int)r->width, b->bh = (int)r->height;
    size_t n = (size_t)b->bw * b->bh;
    /* The queue serves grow_blob (n blocks) and filled_area (a blob's box
     * grown by one block each way: up to (bw + 2) x (bh + 2)). */
    size_t queue_len = (size_t)(b->bw + 2) * (b->bh + 2);
    if (!(b->mean = malloc(n)) || !(b->cand = malloc(n)) ||
        !(b->label = calloc(n, sizeof *b->label)) ||
        !(b->queue = malloc(queue_len * sizeof *b->queue)))
        return PF_ERR_NOMEM;
    for (int by = 0; by < b->bh; by++)
        for (int bx = 0; bx < b->bw; bx++) {
            size_t i = (size_t)by * b->bw + bx;
            int x0 = bx * b->bs, y0 = by * b->bs, mean = 0;
            int x1 = x0 + b->bs, y1 = y0 + b->bs;
            b->cand[i] = 2, b->mean[i] = 0;
            if (!block_mean(r, x0, y0, x1, y1, &mean))
                continue;
            b->mean[i] = (uint8_t)mean;
            b->cand[i] = mean >= BRIGHT && block_flat(r, x0, y0, x1, y1);
        }
    return PF_OK;
}

/* The paper: the most common block luminance (bins of 4, smoothed). */
static int paper_level(const blocks *b)
{
    unsigned hist[64] = {0};
    size_t n = (size_t)b->bw * b->bh;
    for (size_t i = 0; i < n; i++)
        if (b->cand[i] != 2)
            hist[b->mean[i] >> 2]++;
    int best = 63;
    unsigned best_n = 0;
    for (int k = 0; k < 64; k++) {
        unsigned s = hist[k] + (k ? hist[k - 1] : 0) + (k < 63 ? hist[k + 1] : 0);
        if (s > best_n)
            best_n = s, best = k;
    }
    return best * 4 + 2;
}

typedef struct {
    int x0, y0, x1, y1;    /* bounding box, inclusive */
    size_t area;
    double mean;
} blob;

/* Labels the blob holding seed as id (breadth first); fills its figures. */
static void grow_blob(blocks *b, size_t seed, int32_t id, blob *o)
{
    size_t head = 0, tail = 0;
    double sum = 0;
    o->x0 = o->x1 = (int)(seed % b->bw), o->y0 = o->y1 = (int)(seed / b->bw);
    b->label[seed] = id, b->queue[tail++] = (uint32_t)seed;
    while (head < tail) {
        size_t i = b->queue[head++];
        int x = (int)(i % b->bw), y = (int)(i / b->bw);
        sum += b->mean[i];
        o->x0 = x < o->x0 ? x : o->x0, o->x1 = x > o->x1 ? x : o->x1;
        o->y0 = y < o->y0 ? y : o->y0, o->y1 = y > o->y1 ? y : o->y1;
        size_t nb[4] = {i - 1, i + 1, i - b->bw, i + b->bw};
        int ok[4] = {x > 0, x + 1 < b->bw, y > 0, y + 1 < b->bh};
        for (int k = 0; k < 4; k++)
            if (ok[k] && b->cand[nb[k]] == 1 && !b->label[nb[k]]) {
                b->label[nb[k]] = id;
                b->queue[tail++] = (uint32_t)nb[k];
            }
    }
    o->area = tail;
    o->mean = sum / (double)tail;
}

/* Area the blob encloses (itself and its holes): its box grown by one
 * minus what can be reached from the box's border outside the blob. Uses
 * the queue after grow_blob is done with it. */
static size_t filled_area(blocks *b, const blob *o, int32_t id, uint8_t *seen)
{
    int x0 = o->x0 - 1, y0 = o->y0 - 1, x1 = o->x1 + 1, y1 = o->y1 + 1;
    int bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    size_t head = 0, tail = 0, total = (size_t)bw * bh;
    memset(seen, 0, total);
    for (int y = 0; y < bh; y++)
        for (int x = 0; x < bw; x++)
            if (x == 0 || y == 0 || x == bw - 1 || y == bh - 1) {
                seen[(size_t)y * bw + x] = 1;
                b->queue[tail++] = (uint32_t)((size_t)y * bw + x);
            }
    while (head < tail) {
        size_t i = b->queue[head++];
        int x = (int)(i % bw), y = (int)(i / bw);
        int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
        for (int k = 0; k < 4; k++) {
            if (nx[k] < 0 || ny[k] < 0 || nx[k] >= bw || ny[k] >= bh)
                continue;
            size_t j = (size_t)ny[k] * bw + nx[k];
            int gx = x0 + nx[k], gy = y0 + ny[k];
            if (!seen[j] && b->label[(size_t)gy * b->bw + gx] != id) {
                seen[j] = 1;
                b->queue[tail++] = (uint32_t)j;
            }
        }
    }
    return total - tail;
}

/* Upper quartile of the block luminance in the ring between the blob's box
 * grown by d1 and by d2 (inside the frame, outside the blob); -1: none. */
static int ring_level(const blocks *b, const blob *o, int32_t id)
{
    double rad = sqrt((double)o->area / M_PI);
    int d1 = (int)lround(0.3 * rad) + 1, d2 = d1 + (int)lround(0.6 * rad) + 2;
    unsigned hist[256] = {0}, n = 0;
    for (int y = o->y0 - d2; y <= o->y1 + d2; y++)
        for (int x = o->x0 - d2; x <= o->x1 + d2; x++) {
            if (x < 0 || y < 0 || x >= b->bw || y >= b->bh)
                continue;
            if (x >= o->x0 - d1 && x <= o->x1 + d1 && y >= o->y0 - d1 &&
                y <= o->y1 + d1)
                continue;
            size_t i = (size_t)y * b->bw + x;
            if (b->cand[i] != 2 && b->label[i] != id)
                hist[b->mean[i]]++, n++;
        }
    unsigned target = n - n / 4, seen = 0;
    for (int v = 0; v < 256 && n; v++)
        if ((seen += hist[v]) > target)
            return v;
    return -1;
}

/* 1 when the blob is glare (size, solidity, brighter than around it). */
static int is_glare(blocks *b, const blob *o, int32_t id, size_t doc_blocks,
                    int paper, uint8_t *seen)
{
    if ((double)o->area < MIN_BLOB * (double)doc_blocks)
        return 0;
    if ((double)o->area < SOLIDITY * (double)filled_area(b, o, id, seen))
        return 0;
    int ring = ring_level(b, o, id);
    return ring >= 0 && o->mean - ring >= LIFT && o->mean - paper >= LIFT;
}

pf_status pf_glare_of(const pf_quality_region *r, double *share)
{
    blocks b;
    uint8_t *seen = NULL;
    pf_status st = PF_ERR_INVALID_ARG;
    if (!r || !r->luma || !share) {
        memset(&b, 0, sizeof b);
        goto cleanup;
    }
    if ((st = blocks_make(r, &b)) != PF_OK)
        goto cleanup;
    st = PF_ERR_NOMEM;
    if (!(seen = malloc((size_t)(b.bw + 2) * (b.bh + 2))))
        goto cleanup;
    size_t n = (size_t)b.bw * b.bh, doc_blocks = 0, glare = 0;
    for (size_t i = 0; i < n; i++)
        doc_blocks += b.cand[i] != 2;
    int paper = paper_level(&b);
    int32_t id = 0;
    for (size_t i = 0; i < n; i++) {
        if (b.cand[i] != 1 || b.label[i])
            continue;
        blob o;
        grow_blob(&b, i, ++id, &o);
        if (is_glare(&b, &o, id, doc_blocks, paper, seen))
            glare += o.area;
    }
    *share = doc_blocks ? (double)glare / (double)doc_blocks : 0.0;
    st = PF_OK;
cleanup:
    free(seen);
    blocks_free(&b);
    return st;
}
