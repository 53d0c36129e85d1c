/* Tells a colour scan from a grey-scale copy. A photocopy scanned in colour
 * mode has three channels that are (almost) equal everywhere, so we count
 * the pixels whose channels clearly differ. */
#include "internal.h"

void pf_measure_color(const pf_bitmap *bmp, pf_color_stats *stats)
{
    stats->color_share = 0;
    stats->mean_chroma = 0;
    if (!bmp || !bmp->rgb || bmp->width == 0 || bmp->height == 0)
        return;
    uint64_t n = (uint64_t)bmp->width * bmp->height;
    uint64_t colored = 0, chroma_sum = 0;
    const uint8_t *p = bmp->rgb;
    for (uint64_t i = 0; i < n; i++, p += 3) {
        int mx = p[0], mn = p[0];
        if (p[1] > mx) mx = p[1];
        if (p[1] < mn) mn = p[1];
        if (p[2] > mx) mx = p[2];
        if (p[2] < mn) mn = p[2];
        chroma_sum += (unsigned)(mx - mn);
        colored += (mx - mn) >= PF_CHROMA_COLOR;
    }
    stats->color_share = 100.0 * (double)colored / (double)n;
    stats->mean_chroma = (double)chroma_sum / (double)n;
}
