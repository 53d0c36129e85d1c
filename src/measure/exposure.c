/* Exposure of the document: luminance percentiles and the clipped share,
 * over the pixels of the analysis region that lie inside the frame. The
 * checks judge the 99th percentile (too dark: even the paper is dim, which
 * a black backdrop behind a lit face is not) and the 0.2nd (washed out: even
 * the darkest ink is pale, as under a haze or flare). */
#include "internal.h"

#include <string.h>

#define CLIP_LEVEL 250

/* The luminance at quantile q of a 256-bin histogram of total pixels. */
static double quantile(const uint64_t hist[256], uint64_t total, double q)
{
    uint64_t target = (uint64_t)(q * (double)total), seen = 0;
    for (int v = 0; v < 256; v++)
        if ((seen += hist[v]) > target)
            return v;
    return 255;
}

void pf_exposure_of(const pf_quality_region *r, pf_document *doc)
{
    uint64_t hist[256] = {0}, total = 0;
    size_t n = (size_t)r->width * r->height;
    for (size_t i = 0; i < n; i++)
        if (!r->valid || r->valid[i]) {
            hist[r->luma[i]]++;
            total++;
        }
    if (!total) { /* nothing inside the frame: nothing to call wrong */
        doc->lum_low = 0, doc->lum_median = 128, doc->lum_high = 255;
        doc->clipped = 0;
        return;
    }
    uint64_t clipped = 0;
    for (int v = CLIP_LEVEL; v < 256; v++)
        clipped += hist[v];
    doc->lum_low = quantile(hist, total, 0.002);
    doc->lum_median = quantile(hist, total, 0.50);
    doc->lum_high = quantile(hist, total, 0.99);
    doc->clipped = (double)clipped / (double)total;
}
