/* Straight edges for the document finder.
 *
 * 1. A box-reduced copy (long side <= DOC_WORK_LONG) in three planes:
 *    luminance and two colour-opponent planes (R-G, (R+G)/2-B). A card on
 *    a wooden table differs from it in colour more than in brightness.
 * 2. The colour gradient: Sobel in each plane, summed as a structure
 *    tensor (magnitude and direction of the strongest change over the
 *    three planes), thinned by non-maximum suppression across the edge.
 * 3. A Hough transform where each edge pixel votes only near its own
 *    direction (+-HOUGH_SPREAD degrees), by its strength (1..VOTE_CAP):
 *    cheap, few false peaks, and a card's border outranks wood grain.
 * 4. The strongest peaks, duplicates merged (within MERGE_PX all across
 *    the frame), refined by a total least squares fit of the edge pixels
 *    along them; at most DIR_CAP_FIRST of one direction in a first pass
 *    and DIR_CAP in a second (rows of print or wood grain give dozens of
 *    peaks stronger than a card's side across them: room for the other
 *    direction), and only lines with a supported run of RUN_MIN_PX (not
 *    the ends of a column of print bars).
 * 5. Each line's support along its in-frame extent: a sample supports the
 *    line when an edge pixel of the same direction lies within a pixel of
 *    it AND the colours a few pixels either side differ (a step, as at a
 *    document's border; a thin ruled line has the same paper either side).
 *    Kept as a running sum, so the support of any stretch costs O(1); so
 *    are the colours DOC_RING_PX either side (document.c's agreement). */
#include "measure/document_lines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REDUCE_ROWS 2     /* rows of each k x k block averaged */
_Static_assert(REDUCE_ROWS * 255 <= UINT16_MAX, "row sums are 16-bit");
#define CHROMA_WEIGHT 1.5   /* colour-opponent planes against luminance */
#define EDGE_MIN 28.0       /* gradient magnitude: Sobel of a ~10-level step */
#define VOTE_CAP 3          /* an edge votes 1 .. VOTE_CAP by strength */
_Static_assert(VOTE_CAP * 6 * DOC_WORK_LONG <= UINT16_MAX, "16-bit Hough cells");
#define HOUGH_SPREAD 2      /* degrees either side of the pixel's direction */
#define PEAK_MIN_SHARE 0.06 /* of the short side: votes for a line */
#define PEAK_MIN_VOTES 16
#define MAX_PEAKS 600      /* strongest Hough peaks looked at */
#define DIR_SPREAD 10.0     /* lines this close in direction ... */
#define DIR_CAP 24          /* ... at most this many of DOC_MAX_LINES */
#define DIR_CAP_FIRST 10    /* ... this many in the first pass */
#define MERGE_DEG 4.0       /* peaks this close in angle and ... */
#define MERGE_PX 5.0        /* ... offset are one line */
#define FIT_PX 2          /* edge pixels this near a line refine it */
#define FIT_DEG 6
#define SUPPORT_DEG 10.0    /* an edge pixel this close in direction supports */
#define RUN_MIN_PX 16       /* a line's longest supported run at least ... */
#define RUN_GAP_PX 3        /* ... with gaps this long bridged */
#define STEP_OFF 2          /* pixels either side for the step test */
#define STEP_MIN 10.0       /* colour difference across a supported sample */

static const double DEG = 3.14159265358979323846 / 180.0;

void doc_work_free(doc_work *w)
{
    for (int c = 0; c < 3; c++)
        free(w->plane[c]);
    free(w->mag);
    free(w->tx);
    free(w->ty);
    free(w->ori);
    free(w->pts);
    memset(w, 0, sizeof *w);
}

/* Difference of two directions (degrees, mod 180), 0..90. */
static double ang_diff(double a, double b)
{
    double d = fmod(fabs(a - b), 180.0);
    return d > 90.0 ? 180.0 - d : d;
}

/* Nearest whole number, without a library call in the inner loops. */
static long rnd(double x)
{
    return x >= 0 ? (long)(x + 0.5) : -(long)(0.5 - x);
}

/* atan2 in degrees, within 0.1 degree (a polynomial: the library call
 * costs more than the rest of the edge thinning). */
static double atan2_deg(double y, double x)
{
    double ax = fabs(x), ay = fabs(y), mx = ax > ay ? ax : ay;
    if (mx == 0)
        return 0;
    double a = (ax > ay ? ay : ax) / mx, s = a * a;
    double r = ((-0.0464964749 * s + 0.15931422) * s - 0.327622764) * s * a + a;
    r *= 57.29577951308232;
    if (ay > ax)
        r = 90 - r;
    if (x < 0)
        r = 180 - r;
    return y < 0 ? -r : r;
}

/* The same for whole degrees. */
static int bin_diff(int a, int b)
{
    int d = abs(a - b) % 180;
    return d > 90 ? 180 - d : d;
}

/* Box-averages k x k blocks into the three planes (REDUCE_ROWS of each
 * block's rows): the rows summed first (a plain loop over bytes), then
 * each block's columns. */
static pf_status reduce(const pf_bitmap *bmp, doc_work *w)
{
    uint32_t lng = bmp->width > bmp->height ? bmp->width : bmp->height;
    uint32_t k = (lng + DOC_WORK_LONG - 1) / DOC_WORK_LONG;
    w->k = k ? k : 1;
    w->w = bmp->width / w->k;
    w->h = bmp->height / w->k;
    if (w->w < 16 || w->h < 16)
        return PF_ERR_INVALID_ARG;
    size_t n = (size_t)w->w * w->h, span = (size_t)w->w * w->k * 3;
    /* REDUCE_ROWS bytes summed fit 16 bits: twice the lanes of the
     * vectorised row loop */
    uint16_t *acc = malloc(span * sizeof *acc);
    for (int c = 0; c < 3; c++)
        w->plane[c] = malloc(n * sizeof(float));
    if (!acc || !w->plane[0] || !w->plane[1] || !w->plane[2]) {
        free(acc);
        return PF_ERR_NOMEM;
    }
    /* two rows of each block are enough to average away noise and print,
     * at a fraction of the cost of all k */
    uint32_t rows = w->k < REDUCE_ROWS ? w->k : REDUCE_ROWS;
    double scale = 1.0 / ((double)w->k * rows);
    for (uint32_t oy = 0; oy < w->h; oy++) {
        memset(acc, 0, span * sizeof *acc);
        for (uint32_t r = 0; r < rows; r++) {
            uint32_t y = oy * w->k + (rows == 1 ? 0 : (2 * r + 1) * w->k / (2 * rows));
            const uint8_t *row = bmp->rgb + (size_t)y * bmp->width * 3;
            for (size_t i = 0; i < span; i++)
                acc[i] = (uint16_t)(acc[i] + row[i]);
        }
        for (uint32_t ox = 0; ox < w->w; ox++) {
            uint32_t sum[3] = {0, 0, 0};
            const uint16_t *a = acc + (size_t)ox * w->k * 3;
            for (uint32_t c = 0; c < w->k * 3; c += 3)
                sum[0] += a[c], sum[1] += a[c + 1], sum[2] += a[c + 2];
            double r = sum[0] * scale, g = sum[1] * scale, b = sum[2] * scale;
            size_t i = (size_t)oy * w->w + ox;
            w->plane[0][i] = (float)(0.299 * r + 0.587 * g + 0.114 * b);
            w->plane[1][i] = (float)(r - g);
            w->plane[2][i] = (float)(0.5 * (r + g) - b);
        }
    }
    free(acc);
    return PF_OK;
}

/* The colour structure tensor at pixel i: Sobel in each plane, weighted. */
static void tensor(const doc_work *w, size_t i, float t[3])
{
    const size_t W = w->w;
    static const float weight[3] = {1.0f, CHROMA_WEIGHT, CHROMA_WEIGHT};
    float sxx = 0, syy = 0, sxy = 0;
    for (int c = 0; c < 3; c++) {
        const float *p = w->plane[c];
        float gx = (p[i - W + 1] + 2 * p[i + 1] + p[i + W + 1]) -
                   (p[i - W - 1] + 2 * p[i - 1] + p[i + W - 1]);
        float gy = (p[i + W - 1] + 2 * p[i + W] + p[i + W + 1]) -
                   (p[i - W - 1] + 2 * p[i - W] + p[i - W + 1]);
        gx *= weight[c], gy *= weight[c];
        sxx += gx * gx, syy += gy * gy, sxy += gx * gy;
    }
    t[0] = sxx - syy, t[1] = 2 * sxy, t[2] = sxx + syy;
}

/* Squared colour gradient magnitude into mag (the largest eigenvalue of
 * the tensor); where it reaches EDGE_MIN, the direction quantised to
 * 0/45/90/135 degrees (1..4) into ori for the thinning. */
static void gradient(doc_work *w)
{
    const uint32_t W = w->w;
    const float min2 = (float)(EDGE_MIN * EDGE_MIN);
    for (uint32_t y = 1; y + 1 < w->h; y++) {
        for (uint32_t x = 1; x + 1 < W; x++) {
            size_t i = (size_t)y * W + x;
            float t[3];
            tensor(w, i, t);
            float lam = 0.5f * (t[2] + sqrtf(t[0] * t[0] + t[1] * t[1]));
            w->mag[i] = lam;
            if (lam < min2)
                continue;
            w->tx[i] = t[0], w->ty[i] = t[1];
            /* twice the normal's angle is atan2(t[1], t[0]) */
            w->ori[i] = fabsf(t[1]) <= t[0] ? 1 : fabsf(t[1]) <= -t[0] ? 3
                      : t[1] > 0 ? 2 : 4;
        }
    }
}

/* Keeps the local maxima across the edge, each with its direction in
 * degrees (1 + 0..179); lists them in pts. */
static void thin(doc_work *w)
{
    const uint32_t W = w->w;
    const long off[5] = {0, 1, (long)W + 1, (long)W, (long)W - 1};
    for (uint32_t y = 1; y + 1 < w->h; y++) {
        for (uint32_t x = 1; x + 1 < W; x++) {
            size_t i = (size_t)y * W + x;
            if (!w->ori[i])
                continue;
            long o = off[w->ori[i]];
            if (w->mag[i] < w->mag[i + o] || w->mag[i] <= w->mag[i - o]) {
                w->ori[i] = 0;
                continue;
            }
            /* the tensor summed over the 3x3 neighbourhood: one pixel's
             * direction is noisy (+-8 degrees on a stepped edge) */
            float sx = 0, sy = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    sx += w->tx[i + (long)dy * W + dx], sy += w->ty[i + (long)dy * W + dx];
            double th = 0.5 * atan2_deg(sy, sx); /* -90..90 */
            w->ori[i] = (uint8_t)(1 + rnd(th < 0 ? th + 180 : th) % 180);
            w->pts[w->n_pts++] = (uint32_t)i;
        }
    }
}

typedef struct {
    uint32_t votes;
    int theta, rho;   /* rho already offset */
} peak;

static int peak_cmp(const void *a, const void *b)
{
    const peak *p = a, *q = b;
    return p->votes < q->votes ? 1 : p->votes > q->votes ? -1 : 0;
}

/* Each edge pixel votes into acc (180 angles x nrho offsets, offset off)
 * for the lines through it within HOUGH_SPREAD of its normal. */
static void hough_vote(const doc_work *w, uint16_t *acc, int off, int nrho)
{
    double cs[180], sn[180];
    for (int t = 0; t < 180; t++)
        cs[t] = cos(t * DEG), sn[t] = sin(t * DEG);
    /* each edge votes by its strength, capped (VOTE_CAP x the weakest):
     * a document's border, a step between two surfaces, outranks the
     * many fainter parallel edges of wood grain or fabric */
    const float unit2 = (float)(EDGE_MIN * EDGE_MIN);
    for (size_t p = 0; p < w->n_pts; p++) {
        double x = w->pts[p] % w->w, y = w->pts[p] / w->w;
        int a = w->ori[w->pts[p]] - 1;
        float g = sqrtf(w->mag[w->pts[p]] / unit2);
        uint32_t vote = g >= VOTE_CAP ? VOTE_CAP : (uint32_t)g;
        for (int da = -HOUGH_SPREAD; da <= HOUGH_SPREAD; da++) {
            int t = (a + da + 180) % 180;
            uint16_t *cell = &acc[(size_t)t * nrho + (int)rnd(x * cs[t] + y * sn[t]) + off];
            *cell = (uint16_t)(*cell + vote);
        }
    }
}

/* Is cell (t, r) a local maximum of its 3x3 neighbourhood (ties go to
 * the first in scan order, so a plateau gives one peak)? */
static int is_peak(const uint16_t *acc, int nrho, int t, int r)
{
    uint32_t v = acc[(size_t)t * nrho + r];
    for (int dt = -1; dt <= 1; dt++) {
        int tt = t + dt;
        if (tt < 0 || tt >= 180)
            continue;
        for (int dr = -1; dr <= 1; dr++) {
            uint32_t u = acc[(size_t)tt * nrho + r + dr];
            if (u > v || (u == v && (dt < 0 || (dt == 0 && dr < 0))))
                return 0;
        }
    }
    return 1;
}

/* Appends p to the growing array *pk (*n of *cap used). */
static pf_status push_peak(peak **pk, size_t *n, size_t *cap, peak p)
{
    pf_status st = PF_OK;
    if (*n == *cap) {
        peak *grown = realloc(*pk, 2 * *cap * sizeof **pk);
        if (!grown) {
            st = PF_ERR_NOMEM;
            goto cleanup;
        }
        *pk = grown, *cap *= 2;
    }
    (*pk)[(*n)++] = p;
cleanup:
    return st;
}

/* Hough votes of the edge pixels; local maxima into *out (free()). */
static pf_status hough_peaks(const doc_work *w, peak **out, size_t *n_out)
{
    int off = (int)(w->w + w->h), nrho = 2 * off + 1;
    /* 16-bit cells (half the pages to fault in and clear): a cell gets
     * at most VOTE_CAP from each pixel of a one-pixel strip across the
     * reduced frame, under 3 * 2 * (w + h) */
    uint16_t *acc = calloc((size_t)180 * nrho, sizeof *acc);
    size_t cap = 256, n = 0;
    peak *pk = malloc(cap * sizeof *pk);
    pf_status st = PF_OK;
    if (!acc || !pk) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    hough_vote(w, acc, off, nrho);
    double short_side = w->w < w->h ? w->w : w->h;
    uint32_t min_votes = (uint32_t)fmax(PEAK_MIN_VOTES, PEAK_MIN_SHARE * short_side);
    for (int t = 0; t < 180 && st == PF_OK; t++)
        for (int r = 1; r + 1 < nrho && st == PF_OK; r++)
            if (acc[(size_t)t * nrho + r] >= min_votes && is_peak(acc, nrho, t, r))
                st = push_peak(&pk, &n, &cap,
                               (peak){acc[(size_t)t * nrho + r], t, r - off});
    if (st == PF_OK)
        qsort(pk, n, sizeof *pk, peak_cmp);
cleanup:
    free(acc);
    if (st != PF_OK) {
        free(pk);
        pk = NULL, n = 0;
    }
    *out = pk;
    *n_out = n;
    return st;
}

static void clip_extent(const doc_work *w, doc_line *l);

static void line_set(doc_line *l, double theta_deg, double rho)
{
    l->theta = theta_deg, l->rho = rho;
    l->nx = cos(theta_deg * DEG), l->ny = sin(theta_deg * DEG);
}

/* Same line: close in direction, and within MERGE_PX of l all across
 * the frame? (Offsets at the origin alone would merge a card's side 3
 * degrees off a grain line of the table it meets near the frame's edge.) */
static int line_near(const doc_work *w, const doc_line *l, double theta,
                     double rho)
{
    if (ang_diff(l->theta, theta) > MERGE_DEG)
        return 0;
    doc_line m;
    line_set(&m, theta, rho);
    clip_extent(w, &m);
    if (m.n == 0) /* misses the frame: of no use, as good as a duplicate */
        return 1;
    for (int e = 0; e < 2; e++) {
        double t = m.ta + e * (m.n - 1);
        double x = m.rho * m.nx - t * m.ny, y = m.rho * m.ny + t * m.nx;
        if (fabs(x * l->nx + y * l->ny - l->rho) > MERGE_PX)
            return 0;
    }
    return 1;
}

/* Total least squares through the edge pixels near l with its direction
 * (walked along l: cost by its length, not by the number of edges). */
static void refine(const doc_work *w, doc_line *l)
{
    double s = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    int a = (int)lround(l->theta);
    clip_extent(w, l);
    for (int i = 0; i < l->n; i++) {
        double t = l->ta + i;
        double cx = l->rho * l->nx - t * l->ny, cy = l->rho * l->ny + t * l->nx;
        for (int j = -FIT_PX; j <= FIT_PX; j++) {
            long x = rnd(cx + j * l->nx), y = rnd(cy + j * l->ny);
            if (x < 0 || y < 0 || x >= (long)w->w || y >= (long)w->h)
                continue;
            uint8_t o = w->ori[(size_t)y * w->w + (size_t)x];
            if (!o || bin_diff(o - 1, a) > FIT_DEG)
                continue;
            s += 1, sx += x, sy += y, sxx += (double)x * x, syy += (double)y * y;
            sxy += (double)x * y;
        }
    }
    if (s < 8)
        return;
    double mx = sx / s, my = sy / s;
    double cxx = sxx / s - mx * mx, cyy = syy / s - my * my, cxy = sxy / s - mx * my;
    /* the normal is the direction of least spread */
    double th = 0.5 * atan2(2 * cxy, cxx - cyy) / DEG + 90.0;
    th = fmod(th + 360.0, 180.0);
    if (ang_diff(th, l->theta) > FIT_DEG)
        return;
    line_set(l, th, mx * cos(th * DEG) + my * sin(th * DEG));
}

/* The in-frame extent of l (Liang-Barsky against the pixel centres). */
static void clip_extent(const doc_work *w, doc_line *l)
{
    double px = l->rho * l->nx, py = l->rho * l->ny, dx = -l->ny, dy = l->nx;
    double lo = -1e9, hi = 1e9;
    double p0[2] = {px, py}, d[2] = {dx, dy}, mx[2] = {w->w - 1.0, w->h - 1.0};
    for (int a = 0; a < 2; a++) {
        if (fabs(d[a]) < 1e-9) {
            if (p0[a] < 0 || p0[a] > mx[a])
                lo = 1, hi = 0;
            continue;
        }
        double t0 = (0 - p0[a]) / d[a], t1 = (mx[a] - p0[a]) / d[a];
        if (t0 > t1) {
            double t = t0;
            t0 = t1, t1 = t;
        }
        lo = fmax(lo, t0), hi = fmin(hi, t1);
    }
    l->ta = lo;
    l->n = hi >= lo ? (int)floor(hi - lo) + 1 : 0;
    if (l->n > DOC_MAX_SAMPLES)
        l->n = DOC_MAX_SAMPLES;
}

double doc_color_at(const doc_work *w, double x, double y, int c)
{
    long xi = rnd(x), yi = rnd(y);
    xi = xi < 0 ? 0 : xi >= (long)w->w ? (long)w->w - 1 : xi;
    yi = yi < 0 ? 0 : yi >= (long)w->h ? (long)w->h - 1 : yi;
    return w->plane[c][(size_t)yi * w->w + (size_t)xi];
}

/* Does the sample at (x, y) support l: an edge of its direction within a
 * pixel, and a step in colour across it? */
static int supported(const doc_work *w, const doc_line *l, double x, double y)
{
    int edge = 0;
    for (int j = -1; j <= 1 && !edge; j++) {
        long xi = rnd(x + j * l->nx), yi = rnd(y + j * l->ny);
        if (xi < 0 || yi < 0 || xi >= (long)w->w || yi >= (long)w->h)
            continue;
        uint8_t o = w->ori[(size_t)yi * w->w + (size_t)xi];
        edge = o && bin_diff(o - 1, (int)lround(l->theta)) <= SUPPORT_DEG;
    }
    if (!edge)
        return 0;
    double diff = 0;
    for (int c = 0; c < 3; c++) {
        double a = doc_color_at(w, x + STEP_OFF * l->nx, y + STEP_OFF * l->ny, c);
        double b = doc_color_at(w, x - STEP_OFF * l->nx, y - STEP_OFF * l->ny, c);
        diff += fabs(a - b) * (c ? 0.5 : 1.0);
    }
    return diff >= STEP_MIN;
}

/* The running sum of support along l. */
static void measure_support(const doc_work *w, doc_line *l)
{
    clip_extent(w, l);
    l->cum[0] = 0;
    for (int i = 0; i < l->n; i++) {
        double t = l->ta + i;
        double x = l->rho * l->nx - t * l->ny, y = l->rho * l->ny + t * l->nx;
        l->cum[i + 1] = (uint16_t)(l->cum[i] + supported(w, l, x, y));
    }
}

/* The running sums of the colours DOC_RING_PX either side of l. */
static void measure_rings(const doc_work *w, doc_line *l)
{
    double dx = DOC_RING_PX * l->nx, dy = DOC_RING_PX * l->ny;
    for (int c = 0; c < 3; c++)
        l->ring[0][c][0] = l->ring[1][c][0] = 0;
    for (int i = 0; i < l->n; i++) {
        double t = l->ta + i;
        double x = l->rho * l->nx - t * l->ny, y = l->rho * l->ny + t * l->nx;
        for (int c = 0; c < 3; c++) {
            l->ring[0][c][i + 1] = l->ring[0][c][i] +
                                   (int32_t)rnd(doc_color_at(w, x + dx, y + dy, c));
            l->ring[1][c][i + 1] = l->ring[1][c][i] +
                                   (int32_t)rnd(doc_color_at(w, x - dx, y - dy, c));
        }
    }
}

/* The longest supported run along l, gaps up to RUN_GAP_PX bridged. */
static int longest_run(const doc_line *l)
{
    int best = 0, start = -1, last = -1;
    for (int i = 0; i < l->n; i++) {
        if (l->cum[i + 1] == l->cum[i])
            continue;
        if (start < 0 || i - last > RUN_GAP_PX + 1)
            start = i;
        last = i;
        best = best > last - start + 1 ? best : last - start + 1;
    }
    return best;
}

static void add_frame_lines(doc_work *w)
{
    /* the frame lies half a pixel beyond the outermost pixel centres */
    static const unsigned side[4] = {PF_SIDE_TOP, PF_SIDE_RIGHT, PF_SIDE_BOTTOM,
                                     PF_SIDE_LEFT};
    const double theta[4] = {90, 0, 90, 0};
    const double rho[4] = {-0.5, w->w - 0.5, w->h - 0.5, -0.5};
    for (int s = 0; s < 4; s++) {
        doc_line *l = &w->lines[w->n_lines++];
        memset(l, 0, sizeof *l);
        line_set(l, theta[s], rho[s]);
        l->frame = side[s];
        /* from frame corner to frame corner: along x (t = -x) for the top
         * and bottom, along y (t = y) for the sides */
        l->ta = s & 1 ? -0.5 : -(w->w - 0.5);
        l->n = (int)(s & 1 ? w->h : w->w);
    }
}

/* One pass over the strongest peaks not looked at yet (done[]): each
 * refined and kept unless it refines onto a line kept, or cap lines of
 * its direction are kept already. */
static void pick_pass(doc_work *w, const peak *pk, size_t n_pk, int cap,
                      uint8_t *done)
{
    for (size_t p = 0; p < n_pk && p < MAX_PEAKS && w->n_lines < DOC_MAX_LINES; p++) {
        int dup = done[p], alike = 0;
        /* the direction count first: it is cheap, and once the cap is
         * reached it settles most peaks of a textured surface */
        for (int i = 0; i < w->n_lines && !dup; i++)
            alike += ang_diff(w->lines[i].theta, pk[p].theta) <= DIR_SPREAD;
        for (int i = 0; i < w->n_lines && !dup && alike < cap; i++)
            dup = line_near(w, &w->lines[i], pk[p].theta, pk[p].rho);
        if (dup || alike >= cap)
            continue;
        done[p] = 1;
        doc_line *l = &w->lines[w->n_lines];
        memset(l, 0, sizeof *l);
        line_set(l, pk[p].theta, pk[p].rho);
        refine(w, l);
        for (int i = 0; i < w->n_lines && !dup; i++)
            dup = line_near(w, &w->lines[i], l->theta, l->rho);
        if (dup)
            continue;
        /* a line that cannot hold a side (the ends of a column of
         * print bars) leaves its place to one that can */
        measure_support(w, l);
        if (longest_run(l) < RUN_MIN_PX)
            continue;
        measure_rings(w, l);
        w->n_lines++;
    }
}

/* The strongest peaks, in two passes: the first with room for few of one
 * direction (rows of print or wood grain would fill the list with one,
 * leaving out a card side's weaker peak), the second fills what is left. */
static void pick_lines(doc_work *w, const peak *pk, size_t n_pk)
{
    uint8_t done[MAX_PEAKS];
    memset(done, 0, sizeof done);
    pick_pass(w, pk, n_pk, DIR_CAP_FIRST, done);
    pick_pass(w, pk, n_pk, DIR_CAP, done);
}

pf_status doc_find_lines(const pf_bitmap *bmp, doc_work *w)
{
    peak *pk = NULL;
    size_t n_pk = 0;
    memset(w, 0, sizeof *w);
    pf_status st = reduce(bmp, w);
    if (st != PF_OK)
        goto cleanup;
    size_t n = (size_t)w->w * w->h;
    w->mag = calloc(n, sizeof *w->mag);
    w->tx = calloc(n, sizeof *w->tx);  /* 0 where no edge */
    w->ty = calloc(n, sizeof *w->ty);
    w->ori = calloc(n, 1);
    w->pts = malloc(n * sizeof *w->pts);
    if (!w->mag || !w->tx || !w->ty || !w->ori || !w->pts) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    gradient(w);
    thin(w);
    st = hough_peaks(w, &pk, &n_pk);
    if (st != PF_OK)
        goto cleanup;
    pick_lines(w, pk, n_pk);
    add_frame_lines(w);
cleanup:
    free(pk);
    if (st != PF_OK)
        doc_work_free(w);
    return st;
}

double doc_line_param(const doc_line *l, double x, double y)
{
    return -x * l->ny + y * l->nx;
}

/* Sample indices i0 < i1 of the stretch t0..t1 of l in the frame; 0 when
 * none. */
static int stretch(const doc_line *l, double t0, double t1, int *i0, int *i1)
{
    double a = fmax(t0, l->ta), b = fmin(t1, l->ta + l->n - 1);
    if (l->frame || l->n == 0 || b <= a)
        return 0;
    *i0 = (int)lround(a - l->ta), *i1 = (int)lround(b - l->ta);
    if (*i1 >= l->n)
        *i1 = l->n - 1;
    return *i1 > *i0;
}

void doc_line_support(const doc_line *l, double t0, double t1, int *hits,
                      int *len)
{
    int i0, i1;
    *hits = 0, *len = 0;
    if (!stretch(l, t0, t1, &i0, &i1))
        return;
    *hits = l->cum[i1 + 1] - l->cum[i0];
    *len = i1 - i0 + 1;
}

int doc_line_rings(const doc_line *l, double t0, double t1, double plus[3],
                   double minus[3])
{
    int i0, i1;
    if (!stretch(l, t0, t1, &i0, &i1))
        return 0;
    double n = i1 - i0 + 1;
    for (int c = 0; c < 3; c++) {
        plus[c] = (l->ring[0][c][i1 + 1] - l->ring[0][c][i0]) / n;
        minus[c] = (l->ring[1][c][i1 + 1] - l->ring[1][c][i0]) / n;
    }
    return 1;
}
