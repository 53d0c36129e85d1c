/* Finding the document (an ID card or a page) in a photo or a scan.
 *
 * Method (document_lines.c gives the straight edges of a reduced copy):
 *  1. Every choice of two near-parallel pairs of lines that meet at
 *     plausible angles is a candidate quadrilateral. The four frame edges
 *     are candidates too: a side the frame cuts off is replaced by the
 *     frame edge it runs out of.
 *  2. A candidate stands when it is convex, covers MIN_AREA of the frame,
 *     has at least two sides that are edges in the picture, and each such
 *     side is supported (an edge with a colour step across it) along
 *     MIN_COVER of its visible length. Its score counts the supported
 *     samples, less MISS_COST per unsupported one and FRAME_COST per pixel
 *     of frame edge used: the document's own border beats the frame.
 *     A side must also bound the document against its surroundings: the
 *     score is weighed by agreement(), the share of the sides' stretches
 *     with the quad's inside colour within and its outside colour without
 *     (a grain line of the table, or a card side run on past the card,
 *     has table on both sides; a box printed on a page, paper).
 *  3. The best candidate is the document; none: found = 0 (a flatbed scan
 *     cropped to the page, a page filling the frame).
 *  4. Cut off: a corner beyond the frame, or a frame edge standing in for
 *     a side. How sure (pf_find_document_ex): by how far the corner is out
 *     (CUT_LO..CUT_HI of the short side), or for a frame side by whether
 *     the sides meeting it stay edges right up to the frame (END_COVER)
 *     and stand out; when only one of the two, by whether the strip just
 *     inside the frame there looks like the quad's inside (the document
 *     runs on out) or its outside (the table does; a side went unseen);
 *     lowered when the document fills most of the frame (a page photo,
 *     where the page running out of the frame is the usual, fine case).
 * A frame-cut side's corners are placed beyond the frame where the card
 * or page ratio nearest above the visible part puts them. */
#include "measure/document_lines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_AREA 0.06      /* of the frame, visible part */
#define PAR_DEG 20.0       /* opposite sides at most this far from parallel */
#define PERP_DEG 60.0      /* adjacent sides at least this far apart */
#define CORNER_DEG 50.0    /* interior angles within CORNER_DEG..180-CORNER_DEG */
#define MIN_SEP 0.12       /* opposite sides this share of the short side apart */
#define MIN_COVER 0.55     /* supported share of each visible side */
#define MIN_SIDE_PX 8      /* a side shows at least this many reduced pixels */
#define OUT_MAX 0.6        /* corners at most this share of the frame beyond it */
#define MISS_COST 0.5
#define FRAME_COST 0.25
#define CUT_TOL_PX 0.75    /* a corner this far beyond the frame is not out */
#define CUT_LO 0.015       /* corner out by this share of the short side: 0 */
#define CUT_HI 0.05        /* ... by this: sure */
#define END_SHARE 0.15     /* the stretch of a side next to the frame ... */
#define END_MIN_PX 6
#define END_COVER 0.5      /* ... supported this much (mean of the sides
                              meeting the frame): runs out */
#define END_REACH_PX 8     /* ... and supported this near the frame */
#define FRAME_SURE 0.9     /* confidence of a frame-cut side whose sides run
                              out and stand out from what is around */
#define FRAME_UNSURE 0.45  /* ... that does one of the two */
#define FRAME_FAINT 0.2    /* ... that neither runs out nor stands out */
#define STRIP_PX 6.0       /* the frame's strip looked at, this far inside */
#define LIKE_IN_LO 0.05    /* the strip's likeness (0: the quad's inside,
                              1: its outside) up to this: sure, for sides
                              that run out but do not stand out ... */
#define LIKE_IN_HI 0.2     /* ... from this: unsure */
#define LIKE_OUT_LO 0.6    /* for sides that stand out but do not run out:
                              unsure up to this ... */
#define LIKE_OUT_HI 0.9    /* ... faint from this */
#define RING_PX 3.0        /* rings this far inside and outside a side */
#define RING_STEP 18.0     /* a sample whose two rings differ this much ... */
#define RING_COVER 0.7     /* ... along this share of a side, and ... */
#define RING_MEDIAN 15.0   /* ... the rings' medians this much: it stands out */
#define RING_SAMPLES 96
#define AGREE_CHUNKS 6     /* stretches of each side compared */
#define AGREE_TRIM 0.1     /* a side's rings leave out this share each end */
#define AGREE_MARGIN 8.0   /* a side's rings this much nearer their own
                              region's mean than the other's: agrees */
#define AGREE_FLOOR 0.3    /* score kept by a quad that agrees nowhere */
#define DARKER_IN 20.0     /* strict: inside at most this much darker */
#define FILL_SAFE 0.6      /* fill up to this: confidence kept; above it ... */
#define FILL_PAGE 0.9      /* ... lowered to FILL_KEEP at this fill */
#define FILL_KEEP 0.35

static const double DEG = 3.14159265358979323846 / 180.0;

typedef struct {
    int side[4];       /* line index of the top, right, bottom, left sides */
    double c[4][2];    /* TL, TR, BR, BL in reduced pixels */
    double score;
    double area;       /* visible share of the frame */
    int real;          /* sides that are edges in the picture */
} doc_quad;

/* Colour distance over the three planes (chroma at half weight, as in
 * the support test). */
static double cdist(const double a[3], const double b[3])
{
    return fabs(a[0] - b[0]) + 0.5 * (fabs(a[1] - b[1]) + fabs(a[2] - b[2]));
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int intersect(const doc_line *a, const doc_line *b, double p[2])
{
    double det = a->nx * b->ny - a->ny * b->nx;
    if (fabs(det) < 1e-6)
        return 0;
    p[0] = (a->rho * b->ny - a->ny * b->rho) / det;
    p[1] = (a->nx * b->rho - a->rho * b->nx) / det;
    return 1;
}

static double shoelace(const double (*c)[2], int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        const double *p = c[i], *q = c[(i + 1) % n];
        s += p[0] * q[1] - q[0] * p[1];
    }
    return 0.5 * s;
}

/* Area of the convex quad c inside [x0, x1] x [y0, y1] (Sutherland-Hodgman). */
static double clipped_area(const double c[4][2], double x0, double y0,
                           double x1, double y1)
{
    double poly[16][2], next[16][2];
    int n = 4;
    memcpy(poly, c, sizeof(double[4][2]));
    const double lim[4] = {x0, y0, x1, y1};
    for (int e = 0; e < 4 && n > 0; e++) {
        int axis = e & 1, m = 0;
        double sgn = e < 2 ? 1.0 : -1.0;
        for (int i = 0; i < n && m < 14; i++) {
            const double *p = poly[i], *q = poly[(i + 1) % n];
            double dp = sgn * (p[axis] - lim[e]), dq = sgn * (q[axis] - lim[e]);
            if (dp >= 0)
                memcpy(next[m++], p, sizeof next[0]);
            if ((dp >= 0) != (dq >= 0)) {
                double t = dp / (dp - dq);
                next[m][0] = p[0] + t * (q[0] - p[0]);
                next[m][1] = p[1] + t * (q[1] - p[1]);
                m++;
            }
        }
        memcpy(poly, next, sizeof(double[2]) * (size_t)m);
        n = m;
    }
    return n >= 3 ? fabs(shoelace((const double (*)[2])poly, n)) : 0.0;
}

static double dist(const double a[2], const double b[2])
{
    return hypot(a[0] - b[0], a[1] - b[1]);
}

/* Clockwise on screen, the top side (outward normal most upward) first. */
static void order_quad(doc_quad *q)
{
    if (shoelace((const double (*)[2])q->c, 4) < 0) {
        double c[4][2];
        int s[4];
        for (int i = 0; i < 4; i++) {
            memcpy(c[i], q->c[(4 - i) % 4], sizeof c[i]);
            s[i] = q->side[3 - i];
        }
        memcpy(q->c, c, sizeof c);
        memcpy(q->side, s, sizeof s);
    }
    int top = 0;
    double best = 2;
    for (int i = 0; i < 4; i++) {
        const double *a = q->c[i], *b = q->c[(i + 1) % 4];
        double ny = -(b[0] - a[0]) / fmax(dist(a, b), 1e-9);
        if (ny < best)
            best = ny, top = i;
    }
    doc_quad r = *q;
    for (int i = 0; i < 4; i++) {
        memcpy(r.c[i], q->c[(i + top) % 4], sizeof r.c[i]);
        r.side[i] = q->side[(i + top) % 4];
    }
    *q = r;
}

/* Is the quad's shape plausible: corners not far out, convex, angles? */
static int plausible(const doc_work *w, const doc_quad *q)
{
    const double max_cos = cos(CORNER_DEG * DEG);
    double sign = 0;
    for (int i = 0; i < 4; i++) {
        const double *p = q->c[i];
        if (p[0] < -OUT_MAX * w->w || p[0] > (1 + OUT_MAX) * w->w ||
            p[1] < -OUT_MAX * w->h || p[1] > (1 + OUT_MAX) * w->h)
            return 0;
    }
    for (int i = 0; i < 4; i++) {
        const double *p = q->c[i], *a = q->c[(i + 3) % 4], *b = q->c[(i + 1) % 4];
        double ux = a[0] - p[0], uy = a[1] - p[1], vx = b[0] - p[0], vy = b[1] - p[1];
        double cr = ux * vy - uy * vx, lu = hypot(ux, uy), lv = hypot(vx, vy);
        if (lu < 1 || lv < 1 || (sign != 0 && cr * sign <= 0))
            return 0;
        sign = cr;
        if (fabs(ux * vx + uy * vy) > max_cos * lu * lv)
            return 0;
    }
    return 1;
}

/* Adds real side s of q (on line l, corners a, b) to its score: the
 * supported samples between the corners, less MISS_COST per unsupported
 * one. 0 when too short or too little supported. */
static int side_score(const doc_line *l, const double a[2], const double b[2],
                      doc_quad *q)
{
    double ta = doc_line_param(l, a[0], a[1]), tb = doc_line_param(l, b[0], b[1]);
    int hits, len;
    doc_line_support(l, fmin(ta, tb), fmax(ta, tb), &hits, &len);
    if (len < MIN_SIDE_PX || hits < MIN_COVER * len)
        return 0;
    q->score += hits - MISS_COST * (len - hits);
    q->real++;
    return 1;
}

/* The mean colours just inside (in) and outside (out) of AGREE_CHUNKS
 * stretches of real side s of q (the corners left out) into in[k],
 * out[k]; their length each, 0 when the side is not in the frame. */
static double side_rings(const doc_work *w, const doc_quad *q, int s,
                         double (*in)[3], double (*out)[3])
{
    const doc_line *l = &w->lines[q->side[s]];
    const double *a = q->c[s], *b = q->c[(s + 1) % 4];
    double ta = doc_line_param(l, a[0], a[1]), tb = doc_line_param(l, b[0], b[1]);
    double lo = fmin(ta, tb), hi = fmax(ta, tb), m = AGREE_TRIM * (hi - lo);
    double cx = 0, cy = 0, step = (hi - lo - 2 * m) / AGREE_CHUNKS;
    for (int i = 0; i < 4; i++)
        cx += q->c[i][0] / 4, cy += q->c[i][1] / 4;
    int plus_in = cx * l->nx + cy * l->ny > l->rho;
    for (int k = 0; k < AGREE_CHUNKS; k++) {
        double t0 = lo + m + k * step;
        if (!doc_line_rings(l, t0, t0 + step, plus_in ? in[k] : out[k],
                            plus_in ? out[k] : in[k]))
            return 0;
    }
    return step;
}

/* Does the quad bound one region against another: the share of its real
 * sides' stretches whose inside looks like the inside of all of them
 * (their mean) more than like the outside, by AGREE_MARGIN, and whose
 * outside the other way round? A quad whose "inside" straddles the card
 * and the table (a grain line taken for a side, a side run on past the
 * card) or whose sides have the same paper either side (a box printed on
 * the page) agrees little. */
static double agreement(const doc_work *w, const doc_quad *q)
{
    enum { N = 4 * AGREE_CHUNKS };
    double in[N][3], out[N][3], len[4], mi[3] = {0, 0, 0}, mo[3] = {0, 0, 0};
    double total = 0, agree = 0;
    for (int s = 0; s < 4; s++) {
        double (*i3)[3] = in + s * AGREE_CHUNKS, (*o3)[3] = out + s * AGREE_CHUNKS;
        len[s] = w->lines[q->side[s]].frame ? 0 : side_rings(w, q, s, i3, o3);
        for (int k = 0; k < AGREE_CHUNKS; k++)
            for (int c = 0; c < 3 && len[s] > 0; c++)
                mi[c] += len[s] * i3[k][c], mo[c] += len[s] * o3[k][c];
        total += len[s] * AGREE_CHUNKS;
    }
    if (total <= 0)
        return 0;
    for (int c = 0; c < 3; c++)
        mi[c] /= total, mo[c] /= total;
    for (int i = 0; i < N; i++)
        if (len[i / AGREE_CHUNKS] > 0 &&
            cdist(in[i], mo) - cdist(in[i], mi) >= AGREE_MARGIN &&
            cdist(out[i], mi) - cdist(out[i], mo) >= AGREE_MARGIN)
            agree += len[i / AGREE_CHUNKS];
    return agree / total;
}

/* Scores the quad on lines ln (sides in cyclic order); 0 when it cannot
 * be the document. The cheap tests first: most candidates fail one. */
static int eval_quad(const doc_work *w, const int ln[4], doc_quad *q)
{
    memcpy(q->side, ln, sizeof q->side);
    for (int s = 0; s < 4; s++)
        if (!intersect(&w->lines[ln[(s + 3) % 4]], &w->lines[ln[s]], q->c[s]))
            return 0;
    if (!plausible(w, q))
        return 0;
    q->score = 0, q->real = 0;
    for (int s = 0; s < 4; s++) {
        const doc_line *l = &w->lines[ln[s]];
        const double *a = q->c[s], *b = q->c[(s + 1) % 4];
        if (!l->frame) {
            if (!side_score(l, a, b, q))
                return 0;
            continue;
        }
        /* the document runs out of the frame between these corners */
        double ta = doc_line_param(l, a[0], a[1]), tb = doc_line_param(l, b[0], b[1]);
        if (fmin(ta, tb) < l->ta - 1.5 || fmax(ta, tb) > l->ta + l->n + 0.5)
            return 0;
        q->score -= FRAME_COST * dist(a, b);
    }
    /* two frame edges facing each other: rows of print on a page, not a
     * document cut on two sides */
    if (q->real < 2 || (w->lines[ln[0]].frame && w->lines[ln[2]].frame) ||
        (w->lines[ln[1]].frame && w->lines[ln[3]].frame))
        return 0;
    q->area = clipped_area((const double (*)[2])q->c, -0.5, -0.5, w->w - 0.5,
                           w->h - 0.5) / ((double)w->w * w->h);
    if (q->area < MIN_AREA)
        return 0;
    double f = AGREE_FLOOR + (1 - AGREE_FLOOR) * agreement(w, q);
    q->score -= fabs(q->score) * (1 - f);
    return 1;
}

static double ang_diff(double a, double b)
{
    double d = fmod(fabs(a - b), 180.0);
    return d > 90.0 ? 180.0 - d : d;
}

/* Pairs of near-parallel lines far enough apart to be opposite sides. */
static int find_pairs(const doc_work *w, int (*pairs)[2], int cap)
{
    double min_sep = MIN_SEP * (w->w < w->h ? w->w : w->h);
    int n = 0;
    for (int i = 0; i < w->n_lines; i++) {
        for (int j = i + 1; j < w->n_lines && n < cap; j++) {
            const doc_line *a = &w->lines[i], *b = &w->lines[j];
            if (ang_diff(a->theta, b->theta) > PAR_DEG || b->n == 0)
                continue;
            double t = b->ta + 0.5 * (b->n - 1);
            double mx = b->rho * b->nx - t * b->ny, my = b->rho * b->ny + t * b->nx;
            if (fabs(mx * a->nx + my * a->ny - a->rho) < min_sep)
                continue;
            pairs[n][0] = i, pairs[n][1] = j;
            n++;
        }
    }
    return n;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static double median(float *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    return v[n / 2];
}

/* The unit normal of side s of q pointing into the quad. */
static void inward_normal(const doc_quad *q, int s, double *nx, double *ny)
{
    const double *a = q->c[s], *b = q->c[(s + 1) % 4];
    double len = fmax(dist(a, b), 1e-9), cx = 0, cy = 0;
    for (int i = 0; i < 4; i++)
        cx += q->c[i][0] / 4, cy += q->c[i][1] / 4;
    *nx = -(b[1] - a[1]) / len, *ny = (b[0] - a[0]) / len;
    if ((cx - a[0]) * *nx + (cy - a[1]) * *ny < 0)
        *nx = -*nx, *ny = -*ny;
}

/* The i-th of n points along the middle 80% of side s of q, moved d
 * along its inward normal (nx, ny); 1 when it lies in the frame. */
static int side_point(const doc_work *w, const doc_quad *q, int s, int i, int n,
                      double d, double nx, double ny, double *x, double *y)
{
    const double *a = q->c[s], *b = q->c[(s + 1) % 4];
    double t = 0.1 + 0.8 * (i + 0.5) / n;
    *x = a[0] + t * (b[0] - a[0]) + d * nx;
    *y = a[1] + t * (b[1] - a[1]) + d * ny;
    return *x >= 0 && *y >= 0 && *x <= w->w - 1.0 && *y <= w->h - 1.0;
}

/* Colours RING_PX inside and outside side s of q at n points along its
 * middle 80%, where the outside point lies in the frame, into in and out
 * (3 planes each); returns how many. */
static int ring_sample(const doc_work *w, const doc_quad *q, int s, int n,
                       float (*in)[3], float (*out)[3])
{
    double nx, ny, ix, iy, ox, oy;
    inward_normal(q, s, &nx, &ny);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!side_point(w, q, s, i, n, -RING_PX, nx, ny, &ox, &oy))
            continue;
        side_point(w, q, s, i, n, RING_PX, nx, ny, &ix, &iy);
        for (int c = 0; c < 3; c++) {
            in[m][c] = (float)doc_color_at(w, ix, iy, c);
            out[m][c] = (float)doc_color_at(w, ox, oy, c);
        }
        m++;
    }
    return m;
}

/* cdist of float colours */
static double cdistf(const float a[3], const float b[3])
{
    return fabsf(a[0] - b[0]) + 0.5 * (fabsf(a[1] - b[1]) + fabsf(a[2] - b[2]));
}

/* Per-plane medians of n colours (v reordered). */
static void median3(float (*v)[3], int n, float med[3], float *tmp)
{
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < n; i++)
            tmp[i] = v[i][c];
        med[c] = (float)median(tmp, n);
    }
}

/* Does what lies just outside side s of q differ from what lies just
 * inside, all along it (a card on a table), rather than being the same
 * paper either side (a box printed on a page)? */
static int side_stands_out(const doc_work *w, const doc_quad *q, int s,
                           int strict)
{
    float in[RING_SAMPLES][3], out[RING_SAMPLES][3], tmp[RING_SAMPLES], med[2][3];
    int n = ring_sample(w, q, s, RING_SAMPLES, in, out), steps = 0;
    for (int i = 0; i < n; i++)
        steps += cdistf(in[i], out[i]) >= RING_STEP;
    if (n < RING_SAMPLES / 4 || steps < RING_COVER * n)
        return 0;
    median3(in, n, med[0], tmp);
    median3(out, n, med[1], tmp);
    /* strict (for fix's crop): brighter outside than in is a picture or
     * panel printed on a page as likely as a dark card on a pale desk (an
     * ID card or a page lies on something darker than itself) */
    if (strict && med[1][0] > med[0][0] + DARKER_IN)
        return 0;
    return cdistf(med[0], med[1]) >= RING_MEDIAN;
}

/* Colours STRIP_PX inside the frame edge that side s of q (a frame
 * side) runs along, at n points along its middle 80%, into v; returns
 * how many. */
static int frame_strip(const doc_work *w, const doc_quad *q, int s, int n,
                       float (*v)[3])
{
    double nx, ny, x, y;
    inward_normal(q, s, &nx, &ny);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!side_point(w, q, s, i, n, STRIP_PX, nx, ny, &x, &y))
            continue;
        for (int c = 0; c < 3; c++)
            v[m][c] = (float)doc_color_at(w, x, y, c);
        m++;
    }
    return m;
}

/* Where frame edges stand in for sides: does what lies just inside the
 * frame there look like the quad's inside along its real sides (0: the
 * document runs on out of the frame) or like their outside (1: the
 * table reaches the frame; a card lies inside it, a side of it unseen)?
 * -1 when it cannot tell. */
static double strip_likeness(const doc_work *w, const doc_quad *q)
{
    enum { N = 4 * RING_SAMPLES };
    float in[N][3], out[N][3], tmp[N], med[3][3];
    int m = 0, k = 0;
    for (int s = 0; s < 4; s++)
        if (!w->lines[q->side[s]].frame)
            m += ring_sample(w, q, s, RING_SAMPLES, in + m, out + m);
    /* four sides in all: the strip's colours fit after the rings' */
    for (int s = 0; s < 4; s++)
        if (w->lines[q->side[s]].frame)
            k += frame_strip(w, q, s, RING_SAMPLES, in + m + k);
    if (m < RING_SAMPLES / 4 || k < RING_SAMPLES / 4)
        return -1;
    median3(in + m, k, med[2], tmp);
    median3(in, m, med[0], tmp);
    median3(out, m, med[1], tmp);
    /* inside and outside alike (a box ruled on a page): nothing to tell
     * the strip by, only noise */
    if (cdistf(med[0], med[1]) < RING_MEDIAN)
        return -1;
    double d_in = cdistf(med[2], med[0]), d_out = cdistf(med[2], med[1]);
    return d_in / (d_in + d_out);
}

/* The best-scoring quad; 0 when none stands. */
static int search(const doc_work *w, doc_quad *best)
{
    enum { CAP = (DOC_MAX_LINES + 4) * (DOC_MAX_LINES + 3) / 2 };
    int (*pairs)[2] = malloc(sizeof(int[2]) * CAP);
    int found = 0;
    if (!pairs)
        return 0;
    int n = find_pairs(w, pairs, CAP);
    /* a quad scores at most its lines' supported samples in all: one
     * that cannot beat the best so far is not looked at (the same result,
     * a fraction of the work on a textured surface's many lines) */
    int most[DOC_MAX_LINES + 4];
    for (int i = 0; i < w->n_lines; i++)
        most[i] = w->lines[i].frame ? 0 : w->lines[i].cum[w->lines[i].n];
    for (int p = 0; p < n; p++) {
        const doc_line *a = &w->lines[pairs[p][0]];
        for (int r = p + 1; r < n; r++) {
            const doc_line *b = &w->lines[pairs[r][0]];
            if (ang_diff(a->theta, b->theta) < PERP_DEG)
                continue;
            int ln[4] = {pairs[p][0], pairs[r][1], pairs[p][1], pairs[r][0]};
            if (found && most[ln[0]] + most[ln[1]] + most[ln[2]] + most[ln[3]] <=
                             best->score)
                continue;
            doc_quad q;
            if (eval_quad(w, ln, &q) && (!found || q.score > best->score)) {
                *best = q;
                found = 1;
            }
        }
    }
    free(pairs);
    if (found)
        order_quad(best);
    return found;
}

/* Do all the quad's sides that are edges in the picture (three at least,
 * or two meeting in a corner) stand out? */
static int quad_stands_out(const doc_work *w, const doc_quad *q, int strict)
{
    if (q->real < 2)
        return 0;
    for (int s = 0; s < 4; s++)
        if (!w->lines[q->side[s]].frame && !side_stands_out(w, q, s, strict))
            return 0;
    return 1;
}

/* Share of the stretch of side s next to corner c (s's start or end)
 * that is supported: span long, or (span <= 0) END_SHARE of the side. */
static double end_support(const doc_work *w, const doc_quad *q, int s, int c,
                          double span)
{
    const doc_line *l = &w->lines[q->side[s]];
    const double *a = q->c[c], *b = q->c[c == s ? (s + 1) % 4 : s];
    double ta = doc_line_param(l, a[0], a[1]), tb = doc_line_param(l, b[0], b[1]);
    if (span <= 0)
        span = fmax(END_MIN_PX, END_SHARE * fabs(tb - ta));
    double t1 = ta + (tb > ta ? span : -span);
    int hits, len;
    doc_line_support(l, fmin(ta, t1), fmax(ta, t1), &hits, &len);
    return len > 0 ? (double)hits / len : 0.0;
}

/* Does every side meeting a frame edge stay an edge right up to it: its
 * end stretch supported at least cover, and some support within
 * END_REACH_PX of the frame (a card whose corner lies just inside does
 * not reach it)? */
static int each_runs_out(const doc_work *w, const doc_quad *q, double cover)
{
    for (int s = 0; s < 4; s++) {
        if (!w->lines[q->side[s]].frame)
            continue;
        const int side[2] = {(s + 3) % 4, (s + 1) % 4}, corner[2] = {s, (s + 1) % 4};
        for (int k = 0; k < 2; k++)
            if (!w->lines[q->side[side[k]]].frame &&
                (end_support(w, q, side[k], corner[k], 0) < cover ||
                 end_support(w, q, side[k], corner[k], END_REACH_PX) == 0))
                return 0;
    }
    return 1;
}

/* Mean end support of the real sides meeting a frame side, over them;
 * -1 when there are none. */
static double mean_end_support(const doc_work *w, const doc_quad *q)
{
    double sum = 0;
    int n = 0;
    for (int s = 0; s < 4; s++) {
        if (!w->lines[q->side[s]].frame)
            continue;
        int prev = (s + 3) % 4, next = (s + 1) % 4;
        if (!w->lines[q->side[prev]].frame)
            sum += end_support(w, q, prev, s, 0), n++;
        if (!w->lines[q->side[next]].frame)
            sum += end_support(w, q, next, next, 0), n++;
    }
    return n ? sum / n : -1;
}

/* Confidence from the frame edges standing in for sides: do the sides
 * meeting them stay edges up to the frame, and do they stand out from
 * what is around? With one of the two, the frame's strip decides how
 * far: like the quad's inside, the document runs on out of the frame;
 * like its outside, the table does (a card's side went unseen). */
static double frame_confidence(const doc_work *w, const doc_quad *q)
{
    double mean = mean_end_support(w, q);
    if (mean < 0)
        return 0;
    /* on average (one side may run along something of the document's
     * colour); with two sides seen (a corner region, or two edges of
     * something else) each */
    int runs = mean >= END_COVER &&
               each_runs_out(w, q, q->real >= 3 ? 0 : END_COVER);
    /* a box printed on a page that the frame cuts is not a document cut */
    int stands = quad_stands_out(w, q, 0);
    if (runs && stands)
        return FRAME_SURE;
    if (!runs && !stands)
        return FRAME_FAINT;
    double like = strip_likeness(w, q);
    if (like < 0)
        return FRAME_UNSURE;
    if (runs)
        return FRAME_UNSURE + (FRAME_SURE - FRAME_UNSURE) *
               clampd((LIKE_IN_HI - like) / (LIKE_IN_HI - LIKE_IN_LO), 0, 1);
    return FRAME_UNSURE - (FRAME_UNSURE - FRAME_FAINT) *
           clampd((like - LIKE_OUT_LO) / (LIKE_OUT_HI - LIKE_OUT_LO), 0, 1);
}

/* How sure the frame cuts the document off (0..1), and which frame edges
 * it runs out of. */
static double cut_confidence(const doc_work *w, const doc_quad *q, unsigned *sides)
{
    double out = 0, conf = 0;
    double lim[4] = {-0.5, -0.5, w->w - 0.5, w->h - 0.5};
    *sides = 0;
    for (int i = 0; i < 4; i++) {
        const double *p = q->c[i];
        double o[4] = {lim[0] - p[0], lim[1] - p[1], p[0] - lim[2], p[1] - lim[3]};
        static const unsigned bit[4] = {PF_SIDE_LEFT, PF_SIDE_TOP, PF_SIDE_RIGHT,
                                        PF_SIDE_BOTTOM};
        for (int e = 0; e < 4; e++) {
            if (o[e] > CUT_TOL_PX)
                *sides |= bit[e];
            out = fmax(out, o[e]);
        }
    }
    double short_len = fmin(dist(q->c[0], q->c[1]) + dist(q->c[2], q->c[3]),
                            dist(q->c[1], q->c[2]) + dist(q->c[3], q->c[0])) / 2;
    if (*sides)
        conf = clampd((out / short_len - CUT_LO) / (CUT_HI - CUT_LO), 0, 1);
    for (int s = 0; s < 4; s++)
        *sides |= w->lines[q->side[s]].frame;
    conf = fmax(conf, frame_confidence(w, q));
    double keep = q->area <= FILL_SAFE ? 1.0
                : 1.0 - (1.0 - FILL_KEEP) * clampd((q->area - FILL_SAFE) /
                                                   (FILL_PAGE - FILL_SAFE), 0, 1);
    return conf * keep;
}

/* Moves the corners of a side the frame stands in for (one such side)
 * out to where the card or page ratio nearest above the visible part
 * puts them. */
static void extrapolate(const doc_work *w, doc_quad *q)
{
    static const double ratio[] = {1 / 1.586, 1 / 1.414, 1 / 1.294, 1.0,
                                   1.294, 1.414, 1.586};
    int s = -1, nf = 0;
    for (int i = 0; i < 4; i++)
        if (w->lines[q->side[i]].frame)
            s = i, nf++;
    if (nf != 1)
        return;
    double *c0 = q->c[s], *c1 = q->c[(s + 1) % 4];
    const double *o1 = q->c[(s + 2) % 4], *o0 = q->c[(s + 3) % 4];
    double d0 = dist(c0, o0), d1 = dist(c1, o1), width = dist(o0, o1);
    double r = 0.5 * (d0 + d1) / fmax(width, 1e-9), target = r * 1.05;
    for (size_t i = 0; i < sizeof ratio / sizeof ratio[0]; i++) {
        if (ratio[i] >= r * 1.02) {
            target = ratio[i];
            break;
        }
    }
    double f = target / r;
    for (int a = 0; a < 2; a++) {
        c0[a] = o0[a] + (c0[a] - o0[a]) * f;
        c1[a] = o1[a] + (c1[a] - o1[a]) * f;
    }
}

/* Degrees the quad's sides turn clockwise from upright, over its sides
 * that are edges in the picture (each turned back by its place). */
static double tilt_of(const doc_work *w, const doc_quad *q)
{
    double sx = 0, sy = 0;
    for (int s = 0; s < 4; s++) {
        if (w->lines[q->side[s]].frame)
            continue;
        const double *a = q->c[s], *b = q->c[(s + 1) % 4];
        double dx = b[0] - a[0], dy = b[1] - a[1], rx, ry;
        switch (s) {
        case 0: rx = dx, ry = dy; break;
        case 1: rx = dy, ry = -dx; break;
        case 2: rx = -dx, ry = -dy; break;
        default: rx = -dy, ry = dx; break;
        }
        sx += rx, sy += ry;
    }
    return atan2(sy, sx) / DEG;
}

static void fill_doc(const doc_work *w, doc_quad *q, pf_document *doc,
                     double *confidence)
{
    doc->found = 1;
    doc->fill = clampd(q->area, 0, 1);
    doc->tilt = tilt_of(w, q);
    doc->stands_out = q->real >= 3 && quad_stands_out(w, q, 1);
    *confidence = cut_confidence(w, q, &doc->cut_sides);
    extrapolate(w, q);
    for (int i = 0; i < 4; i++) {
        /* reduced pixel centre i is the centre of original pixels
         * i*k .. i*k+k-1 */
        doc->corners[i][0] = q->c[i][0] * w->k + (w->k - 1) / 2.0;
        doc->corners[i][1] = q->c[i][1] * w->k + (w->k - 1) / 2.0;
    }
}

pf_status pf_find_document_ex(const pf_bitmap *bmp, pf_document *doc,
                              double *cut_confidence_out)
{
    pf_status st = PF_OK;
    double conf = 0;
    doc_work *w = NULL;
    if (!bmp || !bmp->rgb || !doc) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    doc->found = 0, doc->fill = 0, doc->tilt = 0, doc->cut_sides = 0;
    doc->stands_out = 0;
    memset(doc->corners, 0, sizeof doc->corners);
    w = malloc(sizeof *w);
    if (!w) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    doc_quad q;
    st = doc_find_lines(bmp, w);
    if (st == PF_ERR_INVALID_ARG) /* too small to tell: nothing found */
        st = PF_OK;
    else if (st == PF_OK && search(w, &q))
        fill_doc(w, &q, doc, &conf);
cleanup:
    if (w) {
        doc_work_free(w);
        free(w);
    }
    if (cut_confidence_out)
        *cut_confidence_out = conf;
    return st;
}

pf_status pf_find_document(const pf_bitmap *bmp, pf_document *doc)
{
    return pf_find_document_ex(bmp, doc, NULL);
}
