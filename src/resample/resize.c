/* Resizing to the smallest size that still meets a minimum resolution. */
#include "internal.h"

#include <string.h>

/* ceil(a * b / c) without overflow for 32-bit a, b. */
static uint64_t mul_div_ceil(uint64_t a, uint64_t b, uint64_t c)
{
    return (a * b + c - 1) / c;
}

void pf_fit_dims(uint32_t w, uint32_t h, uint32_t min_long, uint32_t min_short,
                 uint32_t *out_w, uint32_t *out_h)
{
    int landscape = w >= h;
    uint64_t lng = landscape ? w : h, shrt = landscape ? h : w;
    uint64_t tl, ts;
    if (lng == 0 || shrt == 0 || (min_long == 0 && min_short == 0)) {
        *out_w = w, *out_h = h;
        return;
    }
    /* Pin the long side to its minimum; if the short side then falls short,
     * pin the short side instead. Rounding up keeps both at or above. */
    tl = min_long ? min_long : 1;
    ts = mul_div_ceil(shrt, tl, lng);
    if (ts < min_short) {
        ts = min_short;
        tl = mul_div_ceil(lng, ts, shrt);
    }
    if (tl < min_long)
        tl = min_long;
    if (tl > 0xFFFFFFFFu || ts > 0xFFFFFFFFu)
        tl = lng, ts = shrt;
    *out_w = (uint32_t)(landscape ? tl : ts);
    *out_h = (uint32_t)(landscape ? ts : tl);
}

pf_status pf_resize(const pf_bitmap *in, uint32_t width, uint32_t height,
                    pf_bitmap *out)
{
    pf_shrinker *s = NULL;
    if (!in || !in->rgb || !out)
        return PF_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    pf_status st = pf_shrinker_new(in->width, in->height, NULL, width, height, &s);
    for (uint32_t y = 0; st == PF_OK && y < in->height; y++)
        st = pf_shrinker_push(s, in->rgb + (size_t)y * in->width * 3);
    if (st == PF_OK)
        st = pf_shrinker_finish(s, out);
    pf_shrinker_free(s);
    return st;
}
