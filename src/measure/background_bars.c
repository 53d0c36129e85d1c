/* Uniform bars added at a picture's edges (padding to an aspect ratio),
 * for the white-background rule (background.c).
 *
 * A bar is a run of at least BAR_MIN rows (or columns) from an edge inward
 * whose pixels are one colour: the reference is the per-channel median of
 * the outermost line, and a line belongs to the bar when BAR_INLIERS of its
 * pixels lie within BAR_TOL of it (JPEG noise and ringing allowed) and its
 * mean within BAR_MEAN_TOL (a gradient is no bar). The run must end in a
 * step: within BAR_LOOK lines after it, a line with at least STEP_SHARE of
 * its pixels more than STEP_DIFF from the bar's colour. A white wall that
 * runs on until the shoulders or the hair reach it ends in no such step:
 * it is background, not a bar. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define BAR_MIN 4
#define BAR_MAX_SHARE 0.45  /* a bar covers under this share of the side */
#define BAR_TOL 24
#define BAR_MEAN_TOL 6
#define BAR_INLIERS 0.98
#define BAR_LOOK 10
#define STEP_DIFF 30
#define STEP_SHARE 0.5

/* The pixel t along line k (counted from side s's edge inward). */
static const uint8_t *line_px(const pf_bitmap *b, int s, uint32_t k, uint32_t t)
{
    uint32_t x, y;
    switch (s) {
    case 0: x = t, y = k; break;                     /* top */
    case 1: x = k, y = t; break;                     /* left */
    case 2: x = b->width - 1 - k, y = t; break;      /* right */
    default: x = t, y = b->height - 1 - k; break;    /* bottom */
    }
    return b->rgb + ((size_t)y * b->width + x) * 3;
}

/* The largest difference of one channel between two RGB pixels. */
int pf_rgb_max_diff(const uint8_t *a, const uint8_t *b)
{
    int d = 0;
    for (int c = 0; c < 3; c++) {
        int e = abs((int)a[c] - (int)b[c]);
        if (e > d)
            d = e;
    }
    return d;
}

/* Per-channel median of line k over [a, b). */
static void line_median(const pf_bitmap *bmp, int s, uint32_t k, uint32_t a,
                        uint32_t b, uint8_t med[3])
{
    for (int c = 0; c < 3; c++) {
        uint32_t hist[256] = {0}, seen = 0;
        for (uint32_t t = a; t < b; t++)
            hist[line_px(bmp, s, k, t)[c]]++;
        med[c] = 0;
        for (int v = 0; v < 256; v++)
            if ((seen += hist[v]) > (b - a) / 2) {
                med[c] = (uint8_t)v;
                break;
            }
    }
}

/* 1 when line k over [a, b) is of colour ref; *far gets the share of its
 * pixels more than STEP_DIFF from it. */
static int line_uniform(const pf_bitmap *bmp, int s, uint32_t k, uint32_t a,
                        uint32_t b, const uint8_t ref[3], double *far)
{
    uint32_t near = 0, off = 0;
    double sum[3] = {0, 0, 0};
    for (uint32_t t = a; t < b; t++) {
        const uint8_t *p = line_px(bmp, s, k, t);
        int d = pf_rgb_max_diff(p, ref);
        near += d <= BAR_TOL;
        off += d > STEP_DIFF;
        for (int c = 0; c < 3; c++)
            sum[c] += p[c];
    }
    *far = (double)off / (b - a);
    if (near < BAR_INLIERS * (b - a))
        return 0;
    for (int c = 0; c < 3; c++)
        if (abs((int)(sum[c] / (b - a) + 0.5) - ref[c]) > BAR_MEAN_TOL)
            return 0;
    return 1;
}

/* How many lines from side s's edge inward are one colour over [a, b)
 * (*colour: the outermost line's median), up to BAR_MAX_SHARE of the side;
 * 0 when fewer than BAR_MIN. */
static uint32_t uniform_run(const pf_bitmap *bmp, int s, uint32_t a, uint32_t b,
                            uint8_t colour[3])
{
    uint32_t lines = s == 0 || s == 3 ? bmp->height : bmp->width;
    uint32_t limit = (uint32_t)(lines * BAR_MAX_SHARE), k = 0;
    double far;
    if (b <= a + BAR_MIN)
        return 0;
    line_median(bmp, s, 0, a, b, colour);
    while (k < limit && line_uniform(bmp, s, k, a, b, colour, &far))
        k++;
    return k < BAR_MIN ? 0 : k;
}

/* Where a run of k lines of colour ends in a step over [a, b): the first
 * line within BAR_LOOK after it with STEP_SHARE of its pixels far from the
 * colour; 0 when there is none. */
static uint32_t step_after(const pf_bitmap *bmp, int s, uint32_t k, uint32_t a,
                           uint32_t b, const uint8_t colour[3])
{
    uint32_t lines = s == 0 || s == 3 ? bmp->height : bmp->width;
    uint32_t limit = (uint32_t)(lines * BAR_MAX_SHARE);
    double far;
    if (b <= a + BAR_MIN)
        return 0;
    for (uint32_t j = k; j < k + BAR_LOOK && j < limit; j++) {
        line_uniform(bmp, s, j, a, b, colour, &far);
        if (far >= STEP_SHARE)
            return j;
    }
    return 0;
}

/* The bar at side s over [a, b) of its lines: its width (0: none). */
static uint32_t find_bar(const pf_bitmap *bmp, int s, uint32_t a, uint32_t b,
                         uint8_t colour[3])
{
    uint32_t k = uniform_run(bmp, s, a, b, colour);
    return k ? step_after(bmp, s, k, a, b, colour) : 0;
}

/* Bars on all four sides around a picture smaller than half the frame
 * each way: no line from any edge meets the picture over half its length,
 * so no bar is found side by side. Each side's run of one colour is
 * measured over the whole line first, then its step over the span the
 * two neighbouring sides' runs leave: the picture's own edge. */
static void find_runs_first(const pf_bitmap *bmp, uint32_t pad[4], uint8_t colour[4][3])
{
    uint32_t run[4];
    for (int s = 0; s < 4; s++)
        run[s] = uniform_run(bmp, s, 0, s == 0 || s == 3 ? bmp->width : bmp->height,
                             colour[s]);
    for (int s = 0; s < 4; s++) {
        int across = s == 1 || s == 2; /* a side bar's lines run top to bottom */
        uint32_t a = across ? run[0] : run[1];
        uint32_t b = across ? bmp->height - run[3] : bmp->width - run[2];
        pad[s] = run[s] && b > a ? step_after(bmp, s, run[s], a, b, colour[s]) : 0;
    }
}

void pf_find_bars(const pf_bitmap *bmp, pf_bars *bars)
{
    memset(bars, 0, sizeof *bars);
    if (!bmp || !bmp->rgb || bmp->width < 4 * BAR_MIN || bmp->height < 4 * BAR_MIN)
        return;
    uint32_t *p = bars->pad;
    find_runs_first(bmp, p, bars->colour);
    /* Then side bars over the rows between any top and bottom bars, and the
     * other way round: twice, for bars on all four sides. */
    for (int round = 0; round < 2; round++) {
        for (int s = 1; s <= 2; s++)
            p[s] = find_bar(bmp, s, p[0], bmp->height - p[3], bars->colour[s]);
        for (int s = 0; s <= 3; s += 3)
            p[s] = find_bar(bmp, s, p[1], bmp->width - p[2], bars->colour[s]);
        if (!p[0] && !p[3])
            break; /* the side bars spanned the whole height */
    }
    for (int s = 0; s < 4; s++)
        if (bars->pad[s])
            bars->sides |= 1u << s;
}
