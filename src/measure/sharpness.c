/* The analysis region shared by the quality measures, and the focus figure.
 *
 * Region: the document rectified (pf_document_warp) at PF_QUALITY_LONG
 * pixels when it was found; an upright rectangle (a face photo's head) is
 * cut out instead (no resampling: a third of the warp's time, and no
 * bilinear blur); else the whole image averaged over k x k boxes
 * so its long side is within 1.5x of PF_QUALITY_LONG (an integer box costs
 * a fraction of a resample); a document smaller than the
 * analysis scale is taken as it is (enlarging would invent blur).
 * r->scale converts every figure to the analysis scale.
 *
 * Focus: the typical width of the document's edges (Marziliano's idea,
 * made robust). Along each row (for near-vertical edges) and each column
 * (near-horizontal edges), at every local maximum of the gradient whose
 * direction is within ~27 degrees of the line:
 *  1. walk both ways to where the profile stops rising or falling: it turns
 *     back by more than WALK_TOL levels, or makes no progress for
 *     WALK_STALL steps (JPEG noise and grain do not end a blurred edge);
 *  2. contrast C = the two ends' difference; edges under MIN_CONTRAST are
 *     grain, walks longer than MAX_WALK are shading, not edges;
 *  3. width = C / the steepest one-pixel step inside: 1 for a clean step,
 *     ~2.5 sigma for a Gaussian blur, the length of a motion blur.
 * A width per edge does not grow with how much text there is (unlike
 * gradient energy: Tenengrad, variance of the Laplacian), and a smooth card
 * with few edges keeps its widths. The edge figure is 100 / the
 * EDGE_PERCENTILE of the widths in the worse of the two directions
 * (motion blur widens one), in pixels at the analysis scale.
 *
 * A straight shake turns thin strokes into faint plateaus whose sides stay
 * steep, so their widths do not show it; Crete-Roffet's re-blur figure
 * (crete_lines) does. Both go on one scale, 100 (C - 0.3) for the re-blur
 * figure C (0.5 fails like edges 5 px wide), and the lower is reported:
 * higher is sharper, 100 is a clean one-pixel edge. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CONTRAST 20    /* levels: an edge, not grain */
#define MIN_GRADIENT 8     /* central difference at the edge's centre */
#define WALK_TOL 3         /* levels an edge's end may turn back by */
#define WALK_STALL 2       /* steps without progress that end an edge */
#define MAX_WALK 40        /* pixels each way: longer is shading */
#define BINS_PER_PX 8      /* width histogram resolution */
#define HIST_BINS (2 * MAX_WALK * BINS_PER_PX + 1)
#define MIN_EDGES 40       /* fewer: too little detail to judge */
#define EDGE_PERCENTILE 0.5
#define LINE_STEP 2        /* every other line: edges are plentiful */
#define CRETE_GAIN 100.0   /* re-blur figure onto the sharpness scale */
#define CRETE_ZERO 0.3
#define CRETE_STEP 3       /* a third of the lines: a mean over thousands */

/* ---- the analysis region ---- */

static double dist2(const double a[2], const double b[2])
{
    return hypot(a[0] - b[0], a[1] - b[1]);
}

/* The document's long side in image pixels: its longer pair of sides. */
static double document_long(const pf_bitmap *bmp, const pf_document *doc)
{
    if (!doc || !doc->found)
        return bmp->width > bmp->height ? bmp->width : bmp->height;
    const double (*c)[2] = doc->corners;
    double w = (dist2(c[0], c[1]) + dist2(c[3], c[2])) / 2;
    double h = (dist2(c[0], c[3]) + dist2(c[1], c[2])) / 2;
    return w > h ? w : h;
}

/* Luminance and chroma of bmp averaged over k x k boxes (the remainder
 * rows and columns dropped): a cheap, alias-free reduction. The channels
 * are summed first (three adds a pixel); chroma is that of the mean. */
static void rgb_planes(const uint8_t *rgb, size_t n, uint8_t *luma,
                       uint8_t *chroma)
{
    for (size_t i = 0; i < n; i++, rgb += 3) {
        unsigned R = rgb[0], G = rgb[1], B = rgb[2];
        unsigned mx = R > G ? R : G, mn = R < G ? R : G;
        mx = B > mx ? B : mx, mn = B < mn ? B : mn;
        luma[i] = (uint8_t)((77 * R + 150 * G + 29 * B + 128) >> 8);
        chroma[i] = (uint8_t)(mx - mn);
    }
}

static pf_status box_planes(const pf_bitmap *bmp, uint32_t k, pf_quality_region *r)
{
    uint32_t w = bmp->width / k, h = bmp->height / k;
    size_t n = (size_t)w * h, span = (size_t)w * k * 3;
    uint32_t *acc = malloc(span * sizeof *acc);
    r->width = w, r->height = h;
    if (!acc || !(r->luma = malloc(n)) || !(r->chroma = malloc(n))) {
        free(acc);
        return PF_ERR_NOMEM;
    }
    uint32_t area = k * k;
    if (k == 1) { /* a warped region: no boxes to add, no divisions */
        rgb_planes(bmp->rgb, n, r->luma, r->chroma);
        free(acc);
        return PF_OK;
    }
    for (uint32_t y = 0; y < h; y++) {
        /* Rows first (a contiguous add the compiler vectorises), then the
         * k columns of each box. */
        memset(acc, 0, span * sizeof *acc);
        for (uint32_t dy = 0; dy < k; dy++) {
            const uint8_t *p = bmp->rgb + ((size_t)(y * k + dy) * bmp->width) * 3;
            for (size_t i = 0; i < span; i++)
                acc[i] += p[i];
        }
        for (uint32_t x = 0; x < w; x++) {
            uint32_t R = 0, G = 0, B = 0;
            for (const uint32_t *a = acc + (size_t)x * k * 3, *e = a + k * 3; a < e; a += 3)
                R += a[0], G += a[1], B += a[2];
            R /= area, G /= area, B /= area;
            uint32_t mx = R > G ? R : G, mn = R < G ? R : G;
            mx = B > mx ? B : mx, mn = B < mn ? B : mn;
            r->luma[(size_t)y * w + x] = (uint8_t)((77 * R + 150 * G + 29 * B + 128) >> 8);
            r->chroma[(size_t)y * w + x] = (uint8_t)(mx - mn);
        }
    }
    free(acc);
    return PF_OK;
}

/* The rectified document at long side lng (at most the analysis scale). */
static pf_status warped_planes(const pf_bitmap *bmp, const pf_document *doc,
                               uint32_t lng, pf_quality_region *r)
{
    pf_bitmap img;
    pf_status st = pf_document_warp(bmp, doc, lng, &img, &r->valid);
    if (st == PF_OK)
        st = box_planes(&img, 1, r);
    pf_bitmap_free(&img);
    return st;
}

/* A face's region (analyse.c: an upright rectangle) as whole pixels
 * [x0, x1) x [y0, y1) inside bmp: 1 when doc is one. A document's quad is
 * always warped, upright or not, so its figures do not depend on that. */
static int upright_rect(const pf_bitmap *bmp, const pf_document *doc,
                        uint32_t box[4])
{
    const double (*c)[2] = doc->corners;
    if (!doc->on_face || c[0][1] != c[1][1] || c[3][1] != c[2][1] || c[0][0] != c[3][0] ||
        c[1][0] != c[2][0])
        return 0;
    double x0 = round(c[0][0]), y0 = round(c[0][1]);
    double x1 = round(c[1][0]), y1 = round(c[3][1]);
    if (x0 < 0 || y0 < 0 || x1 > bmp->width || y1 > bmp->height || x1 - x0 < 16 ||
        y1 - y0 < 16)
        return 0;
    box[0] = (uint32_t)x0, box[1] = (uint32_t)y0;
    box[2] = (uint32_t)x1, box[3] = (uint32_t)y1;
    return 1;
}

/* The rectangle box of bmp averaged over k x k boxes. */
static pf_status cropped_planes(const pf_bitmap *bmp, const uint32_t box[4],
                                uint32_t k, pf_quality_region *r)
{
    pf_bitmap crop;
    pf_status st = pf_bitmap_alloc(&crop, box[2] - box[0], box[3] - box[1]);
    if (st != PF_OK)
        return st;
    for (uint32_t y = 0; y < crop.height; y++)
        memcpy(crop.rgb + (size_t)y * crop.width * 3,
               bmp->rgb + ((size_t)(box[1] + y) * bmp->width + box[0]) * 3,
               (size_t)crop.width * 3);
    st = box_planes(&crop, k, r);
    pf_bitmap_free(&crop);
    return st;
}

pf_status pf_quality_region_make(const pf_bitmap *bmp, const pf_document *doc,
                                 pf_quality_region *out)
{
    pf_status st = PF_ERR_INVALID_ARG;
    if (!out)
        return st;
    memset(out, 0, sizeof *out);
    if (!bmp || !bmp->rgb || !bmp->width || !bmp->height)
        goto cleanup;
    double native = document_long(bmp, doc);
    /* k x k boxes bring the long side to L/1.5..1.5L */
    uint32_t k = native >= 1.5 * PF_QUALITY_LONG ? (uint32_t)lround(native / PF_QUALITY_LONG) : 1;
    uint32_t box[4];
    if (doc && doc->found && doc->stands_out && upright_rect(bmp, doc, box)) {
        st = cropped_planes(bmp, box, k, out);
    } else if (doc && doc->found && doc->stands_out) {
        uint32_t lng = native >= PF_QUALITY_LONG ? PF_QUALITY_LONG
                       : native >= 16 ? (uint32_t)lround(native) : 16;
        st = warped_planes(bmp, doc, lng, out);
    } else {
        st = box_planes(bmp, k, out);
    }
    if (st != PF_OK)
        goto cleanup;
    /* The analysis scale is min(native, PF_QUALITY_LONG): a reduced copy
     * converts to PF_QUALITY_LONG, a small document is judged as it is
     * (enlarging its blur would punish its size, which min-size judges). */
    uint32_t rl = out->width > out->height ? out->width : out->height;
    out->scale = (native < PF_QUALITY_LONG ? native : PF_QUALITY_LONG) / rl;
cleanup:
    if (st != PF_OK)
        pf_quality_region_free(out);
    return st;
}

void pf_quality_region_free(pf_quality_region *r)
{
    if (!r)
        return;
    free(r->luma);
    free(r->chroma);
    free(r->valid);
    memset(r, 0, sizeof *r);
}

/* ---- edge widths ---- */

/* One line of the region: n samples step apart; perp is the offset to the
 * neighbouring line (gradient direction test); valid may be NULL. */
typedef struct {
    const uint8_t *l, *valid;
    ptrdiff_t step, perp;
    int n;
} line_view;

static int at(const line_view *v, int i)
{
    return v->l[i * v->step];
}

static int usable(const line_view *v, int i)
{
    return !v->valid || v->valid[i * v->step];
}

/* Walks from i in direction dir (+1/-1) to the end of an edge rising (s=1)
 * or falling (s=-1) that way; the end's index, or -1 when the walk left
 * the line, the frame, or went on past MAX_WALK. */
static int walk_end(const line_view *v, int i, int dir, int s)
{
    int best = at(v, i), end = i, stall = 0;
    for (int k = 1; k <= MAX_WALK; k++) {
        int j = i + dir * k;
        if (j < 0 || j >= v->n || !usable(v, j))
            return -1;
        int d = s * dir * (at(v, j) - best); /* > 0: progress */
        if (d > 0) {
            best = at(v, j), end = j, stall = 0;
        } else if (-d > WALK_TOL || ++stall > WALK_STALL) {
            return end;
        }
    }
    return -1;
}

/* Adds the widths of the edges across one line to hist; returns how many. */
static unsigned line_widths(const line_view *v, unsigned *hist)
{
    unsigned count = 0;
    for (int i = 2; i < v->n - 2; i++) {
        int g = at(v, i + 1) - at(v, i - 1), a = abs(g);
        if (a < MIN_GRADIENT || a < abs(at(v, i + 2) - at(v, i)) ||
            a <= abs(at(v, i) - at(v, i - 2)) || !usable(v, i))
            continue;
        int gp = v->l[i * v->step + v->perp] - v->l[i * v->step - v->perp];
        if (a < 2 * abs(gp))
            continue;
        int s = g > 0 ? 1 : -1;
        int lo = walk_end(v, i, -1, s), hi = walk_end(v, i, 1, s);
        if (lo < 0 || hi < 0)
            continue;
        int c = s * (at(v, hi) - at(v, lo)), peak = 1;
        for (int k = lo; k < hi; k++)
            if (s * (at(v, k + 1) - at(v, k)) > peak)
                peak = s * (at(v, k + 1) - at(v, k));
        i = hi; /* the next edge starts past this one */
        if (c < MIN_CONTRAST)
            continue;
        long bin = lround((double)c / peak * BINS_PER_PX);
        hist[bin < HIST_BINS ? bin : HIST_BINS - 1]++;
        count++;
    }
    return count;
}

/* The q-quantile of a width histogram, in pixels. */
static double hist_quantile(const unsigned *hist, unsigned count, double q)
{
    unsigned target = (unsigned)(q * count), seen = 0;
    for (int b = 0; b < HIST_BINS; b++)
        if ((seen += hist[b]) > target)
            return (double)b / BINS_PER_PX;
    return (double)(HIST_BINS - 1) / BINS_PER_PX;
}

/* The plane (and mask) turned a quarter, so columns are read as rows. */
static uint8_t *transposed(const uint8_t *p, uint32_t w, uint32_t h)
{
    uint8_t *t = p ? malloc((size_t)w * h) : NULL;
    if (t)
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++)
                t[(size_t)x * h + y] = p[(size_t)y * w + x];
    return t;
}

/* Widths of the edges across every LINE_STEP-th row of a w x h plane. */
static unsigned plane_widths(const uint8_t *l, const uint8_t *valid, int w,
                             int h, unsigned *hist)
{
    unsigned count = 0;
    for (int y = 1; y + 1 < h; y += LINE_STEP) {
        size_t o = (size_t)y * w;
        line_view v = {l + o, valid ? valid + o : NULL, 1, w, w};
        count += line_widths(&v, hist);
    }
    return count;
}

/* Crete-Roffet et al. 2007, "the blur effect", along one direction: the
 * share of the variation between neighbours that a 9-tap mean removes
 * (1 - blur; little is removed from what is already blurred). It sees a
 * straight shake that thins strokes into faint plateaus with steep sides,
 * which keep their edge widths. The mean as a running sum, every
 * CRETE_STEP-th line; lines are rows of the w x h plane l. */
static double crete_lines(const uint8_t *l, int w, int h)
{
    double sf = 0, sv = 0;
    for (int y = 0; y < h; y += CRETE_STEP) {
        const uint8_t *p = l + (size_t)y * w;
        int sum = 0;
        for (int t = -4; t <= 4; t++)
            sum += p[t < 0 ? 0 : t >= w ? w - 1 : t];
        for (int i = 1, prev = sum; i < w; i++, prev = sum) {
            sum += p[i + 4 < w ? i + 4 : w - 1] - p[i - 5 > 0 ? i - 5 : 0];
            int df = abs(p[i] - p[i - 1]) * 9, db = abs(sum - prev);
            sf += df, sv += df > db ? df - db : 0;
        }
    }
    return sf > 0 ? sv / sf : 1;
}

pf_status pf_sharpness_of(const pf_quality_region *r, double *sharpness)
{
    pf_status st = PF_ERR_INVALID_ARG;
    unsigned *hist = NULL, count[2] = {0, 0};
    uint8_t *tl = NULL, *tv = NULL;
    if (!r || !r->luma || !sharpness)
        goto cleanup;
    st = PF_ERR_NOMEM;
    int w = (int)r->width, h = (int)r->height;
    if (!(hist = calloc(2 * HIST_BINS, sizeof *hist)) ||
        !(tl = transposed(r->luma, r->width, r->height)) ||
        (r->valid && !(tv = transposed(r->valid, r->width, r->height))))
        goto cleanup;
    count[0] = plane_widths(r->luma, r->valid, w, h, hist);     /* rows */
    count[1] = plane_widths(tl, tv, h, w, hist + HIST_BINS);    /* columns */
    double width = 0;
    for (int d = 0; d < 2; d++)
        if (count[d] >= MIN_EDGES) {
            double q = hist_quantile(hist + d * HIST_BINS, count[d], EDGE_PERCENTILE);
            width = q > width ? q : width;
        }
    /* Too little detail to judge (a blank or smooth region): call it sharp
     * rather than fail what cannot be seen to be blurred. */
    if (width > 0)
        width *= r->scale;
    double edge = width > 1.0 ? 100.0 / width : 100.0;
    /* The worse of the two figures on one scale: a re-blur figure of 0.5
     * fails like edges 5 px wide (CRETE_GAIN, CRETE_ZERO: make eval). */
    double crete = edge;
    if (width > 0) { /* a blank region's smooth shading says nothing */
        double c1 = crete_lines(r->luma, w, h), c2 = crete_lines(tl, h, w);
        crete = CRETE_GAIN * ((c1 < c2 ? c1 : c2) - CRETE_ZERO);
    }
    *sharpness = crete < edge ? (crete > 0 ? crete : 0) : edge;
    st = PF_OK;
cleanup:
    free(hist);
    free(tl);
    free(tv);
    return st;
}

/* One region for the three figures: the warp is the costly part. */
pf_status pf_measure_quality(const pf_bitmap *bmp, pf_document *doc)
{
    pf_quality_region r;
    pf_status st = PF_ERR_INVALID_ARG;
    if (!doc)
        return st;
    if ((st = pf_quality_region_make(bmp, doc, &r)) != PF_OK)
        goto cleanup;
    if ((st = pf_sharpness_of(&r, &doc->sharpness)) != PF_OK)
        goto cleanup;
    if ((st = pf_glare_of(&r, &doc->glare)) != PF_OK)
        goto cleanup;
    pf_exposure_of(&r, doc);
cleanup:
    pf_quality_region_free(&r);
    return st;
}
