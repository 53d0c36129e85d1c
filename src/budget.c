/* Finds the highest JPEG quality whose file fits the byte budget. */
#include "internal.h"

#include <stdlib.h>

typedef struct {
    uint8_t *data;
    size_t len;
    int quality;
} trial;

static int fits(size_t len, uint64_t max_bytes, uint64_t min_bytes)
{
    return (max_bytes == 0 || len <= max_bytes) && len >= min_bytes;
}

/* Keeps the trial if it fits and beats the best so far; frees the other. */
static void keep_best(trial *best, trial *t, uint64_t max_bytes, uint64_t min_bytes)
{
    if (fits(t->len, max_bytes, min_bytes) && t->quality > best->quality) {
        free(best->data);
        *best = *t;
    } else {
        free(t->data);
    }
    t->data = NULL;
}

pf_status pf_fit_jpeg_to_budget(const pf_bitmap *bmp, uint64_t max_bytes,
                                uint64_t min_bytes, int min_quality,
                                int max_quality, uint8_t **out,
                                size_t *out_len, int *quality,
                                char err[PF_ERR_LEN])
{
    trial best = {NULL, 0, 0}, t = {NULL, 0, 0};
    pf_status st = PF_OK;
    int lo = min_quality, hi = max_quality;
    *out = NULL;
    if (lo < 1 || hi > 100 || lo > hi)
        return PF_ERR_INVALID_ARG;
    size_t smallest = SIZE_MAX, largest = 0;
    /* Bisect for the largest quality that fits. Size is not strictly
     * monotonic in quality, so every fitting trial is a candidate. */
    int q = hi;
    while (lo <= hi) {
        t.quality = q;
        st = pf_jpeg_encode(bmp, q, &t.data, &t.len, err);
        if (st != PF_OK)
            goto cleanup;
        if (t.len < smallest) smallest = t.len;
        if (t.len > largest) largest = t.len;
        int too_big = max_bytes && t.len > max_bytes;
        keep_best(&best, &t, max_bytes, min_bytes);
        if (too_big)
            hi = q - 1;
        else
            lo = q + 1;
        q = lo + (hi - lo + 1) / 2;
    }
    if (!best.data) {
        st = PF_ERR_BUDGET;
        if (max_bytes && smallest > max_bytes)
            pf_set_message(err, PF_ERR_LEN, "needs %zu bytes even at quality %d",
                           smallest, min_quality);
        else
            pf_set_message(err, PF_ERR_LEN, "only %zu bytes even at quality %d",
                           largest, max_quality);
        goto cleanup;
    }
    *out = best.data;
    *out_len = best.len;
    *quality = best.quality;
    best.data = NULL;
cleanup:
    free(best.data);
    free(t.data);
    return st;
}
