/* Finds (nearly) the highest JPEG quality whose file fits the byte budget,
 * in few encodes: each trial is a full encode, so the next quality is
 * interpolated on log(size) between the closest trials that fit and that
 * do not, rather than bisected blind. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>

#define MAX_TRIALS 10
#define FIRST_GUESS 85.0  /* typical for a document photo under 200 KB */
#define MIN_STEP 0.05     /* qualities closer than this encode the same */

typedef struct {
    uint8_t *data;
    size_t len;
    double quality;
} trial;

typedef struct {
    uint64_t max_bytes, min_bytes;
    double lo, hi;           /* allowed quality range */
    trial best;              /* highest-quality trial that fits */
    double over_q;           /* lowest quality found too big (hi + 1: none) */
    size_t over_len;
    double under_q;          /* highest quality found too small (lo - 1: none) */
    size_t smallest, largest;
} search;

static int fits(const search *s, size_t len)
{
    return (s->max_bytes == 0 || len <= s->max_bytes) && len >= s->min_bytes;
}

static int good_enough(const search *s)
{
    if (!s->best.data)
        return 0;
    if (s->best.quality >= s->hi - MIN_STEP || s->over_q - s->best.quality < MIN_STEP)
        return 1;
    return s->max_bytes && s->best.len >= PF_BUDGET_GOOD_ENOUGH * (double)s->max_bytes;
}

/* Records a trial; keeps its data only if it is the best fit so far. */
static void record(search *s, trial *t)
{
    if (t->len < s->smallest) s->smallest = t->len;
    if (t->len > s->largest) s->largest = t->len;
    if (fits(s, t->len) && (!s->best.data || t->quality > s->best.quality)) {
        free(s->best.data);
        s->best = *t;
        t->data = NULL;
        return;
    }
    if (s->max_bytes && t->len > s->max_bytes && t->quality < s->over_q)
        s->over_q = t->quality, s->over_len = t->len;
    if (t->len < s->min_bytes && t->quality > s->under_q)
        s->under_q = t->quality;
    free(t->data);
    t->data = NULL;
}

/* Where log(size) crosses log(target), between a fitting and an oversize
 * trial; without both, a step in the right direction. */
static double next_quality(const search *s)
{
    double target = 0.995 * (double)s->max_bytes;
    double q;
    if (s->best.data && s->over_q <= s->hi) {
        double l0 = log((double)s->best.len), l1 = log((double)s->over_len);
        double f = l1 > l0 ? (log(target) - l0) / (l1 - l0) : 0.5;
        q = s->best.quality + (s->over_q - s->best.quality) * f;
    } else if (s->best.data) {
        q = s->under_q >= s->lo ? (s->best.quality + s->hi) / 2 : s->best.quality + 6;
    } else if (s->under_q >= s->lo) {
        q = (s->under_q + s->hi) / 2 + 1;
    } else {
        q = s->over_q - 12;
    }
    double floor_q = s->best.data ? s->best.quality + MIN_STEP / 2 : s->lo;
    double ceil_q = s->over_q <= s->hi ? s->over_q - MIN_STEP / 2 : s->hi;
    if (q < floor_q) q = floor_q;
    if (q > ceil_q) q = ceil_q;
    return round(q * 100) / 100;
}

pf_status pf_fit_jpeg_to_budget(const pf_bitmap *bmp, uint64_t max_bytes,
                                uint64_t min_bytes, int min_quality,
                                int max_quality, uint8_t **out,
                                size_t *out_len, double *quality,
                                char err[PF_ERR_LEN])
{
    search s = {max_bytes, min_bytes, min_quality, max_quality, {NULL, 0, 0},
                max_quality + 1.0, 0, min_quality - 1.0, SIZE_MAX, 0};
    trial t = {NULL, 0, 0};
    pf_status st = PF_OK;
    *out = NULL;
    if (min_quality < 1 || max_quality > 100 || min_quality > max_quality)
        return PF_ERR_INVALID_ARG;
    double q = max_bytes ? FIRST_GUESS : s.hi;
    if (q > s.hi) q = s.hi;
    if (q < s.lo) q = s.lo;
    for (int i = 0; i < MAX_TRIALS && !good_enough(&s); i++) {
        t.quality = q;
        st = pf_jpeg_encode(bmp, q, &t.data, &t.len, err);
        if (st != PF_OK)
            goto cleanup;
        record(&s, &t);
        /* Nothing fits even at the floor, or nothing is big enough at the top. */
        if (!s.best.data && ((s.over_q <= s.lo) || (s.under_q >= s.hi)))
            break;
        q = next_quality(&s);
    }
    if (!s.best.data) {
        st = PF_ERR_BUDGET;
        if (s.over_q <= s.hi)
            pf_set_message(err, PF_ERR_LEN, "needs %zu bytes even at quality %d",
                           s.smallest, min_quality);
        else
            pf_set_message(err, PF_ERR_LEN, "only %zu bytes even at quality %d",
                           s.largest, max_quality);
        goto cleanup;
    }
    *out = s.best.data;
    *out_len = s.best.len;
    *quality = s.best.quality;
    s.best.data = NULL;
cleanup:
    free(s.best.data);
    free(t.data);
    return st;
}
