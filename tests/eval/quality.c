/* The sharpness, glare and exposure checks on the evaluation set.
 *
 * Sources: the real scans, document photos and face photos of the corpus,
 * loaded at most PF_QUALITY_LONG px long (the analysis scale; a smaller
 * file stays at its own size, which is then its analysis scale), plus
 * generated ID-card-like images (a light patterned ground at 200..235 with
 * text and a portrait) and blank smooth cards. Each source's samples come
 * from its own fixed-seed xorshift (seeded by its name), so a sample does
 * not change when others are added. What each label means:
 *
 *   good: the image as it is, or a stress copy a person would still accept
 *         (JPEG recompressed at q60..92, sensor noise of ~3 levels, a crop
 *         of the dense middle). Counted in every check the profile runs.
 *   blur, at the analysis scale (min(native, PF_QUALITY_LONG) px long):
 *         clear = Gaussian sigma 2.5..4 px or a straight 10..14 px shake
 *         (body text no longer legible); borderline = sigma 1.0..2.0 or a
 *         4..8 px shake (softer, still readable).
 *   glare: clear = a saturated (255), colourless blob over 4..10% of the
 *         document (the finder's quad, else the image; the area inside
 *         the blob's half-strength radius), placed over content in the
 *         document's middle where the local paper is at most 235, so it is clearly brighter
 *         than the paper around it and hides what is under it. On paper
 *         already near white (a scan) such a blob hides nothing that can be
 *         seen, so it is borderline there, as are small blobs (0.5..1.5%)
 *         and faint ones (40..60% strength).
 *   exposure: clear dark = gain 0.12..0.3 (paper ends below ~80);
 *         borderline dark = gain 0.4..0.5. Clear washed out = haze or
 *         flare, out = in (1 - a) + 255 a with a = 0.55..0.75 (ink lifted
 *         to >= 140), half of them with a further gain of 1..1.25;
 *         borderline = a 0.35..0.45, or a gain of 1.5..2.5 alone (paper
 *         clipped, ink still dark: legible, so never a clear case).
 *   blank smooth cards are good for sharpness and glare; they have no ink
 *         whose contrast exposure could judge, so they are not counted
 *         there.
 * Samples run through eval_check (the library's check of a q92 JPEG) and
 * the tables come from the report, so they show what `preflight check`
 * does. Camera photos (not documents) are only timed. Two threads share
 * the sources; the results are sorted back into source order. */
#include "eval.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOAD_LONG PF_QUALITY_LONG
#define DOC_PROFILE "wechat"
#define FACE_PROFILE "face"
#define TIME_LONG 2000     /* the speed budget's image: 2000 x 1500 */
#define N_CARDS 36         /* generated ID-card-like sources */
#define N_SMOOTH 6         /* blank smooth cards */
#define GLARE_PAPER 235    /* paper above this cannot show a glare */
#define THREADS 2

enum { Q_SHARP, Q_GLARE, Q_EXPO, Q_N };
static const pf_check_id check_ids[Q_N] = {PF_CHECK_SHARPNESS, PF_CHECK_GLARE,
                                           PF_CHECK_EXPOSURE};
static const char *const check_names[Q_N] = {"sharpness", "glare", "exposure"};

/* Figures kept per sample for the comparison of measures. */
enum { F_EDGE, F_TENENGRAD, F_LAPLACE, F_CRETE, F_GLARE, F_MEDIAN, F_HIGH,
       F_LOW, F_CLIPPED, F_RANGE, F_N };
static const char *const fig_names[F_N] = {
    "sharpness (chosen)", "Tenengrad", "variance of Laplacian",
    "Crete-Roffet 1-blur", "glare share", "median luminance", "99th pct",
    "0.2nd pct", "clipped share", "p99 - p0.2"};

enum { K_GOOD, K_BLUR, K_GLARE, K_DARK, K_BRIGHT };

typedef struct {
    int half, kind, job, seq;
    int real;              /* a corpus file as it is */
    int truth[Q_N];        /* eval_truth, or -1: not counted there */
    int status[Q_N];
    double fig[F_N];
    char name[112];
} sample;

typedef struct {
    sample *s;
    size_t n, cap;
} sample_set;

static int luma_at(const pf_bitmap *b, long x, long y)
{
    const uint8_t *p = b->rgb + ((size_t)y * b->width + (size_t)x) * 3;
    return (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;
}

/* ---- focus measures compared with the chosen one (on the same region) ---- */

/* Mean squared Sobel gradient (Tenengrad), as its root. */
static double tenengrad(const pf_quality_region *r)
{
    int w = (int)r->width, h = (int)r->height;
    const uint8_t *l = r->luma;
    double sum = 0;
    for (int y = 1; y + 1 < h; y++)
        for (int x = 1; x + 1 < w; x++) {
            const uint8_t *p = l + (size_t)y * w + x;
            int gx = p[-w + 1] + 2 * p[1] + p[w + 1] - p[-w - 1] - 2 * p[-1] - p[w - 1];
            int gy = p[w - 1] + 2 * p[w] + p[w + 1] - p[-w - 1] - 2 * p[-w] - p[-w + 1];
            sum += (double)gx * gx + (double)gy * gy;
        }
    return w > 2 && h > 2 ? sqrt(sum / ((double)(w - 2) * (h - 2))) : 0;
}

static double laplace_variance(const pf_quality_region *r)
{
    int w = (int)r->width, h = (int)r->height;
    double s = 0, s2 = 0, n = 0;
    for (int y = 1; y + 1 < h; y++)
        for (int x = 1; x + 1 < w; x++) {
            const uint8_t *p = r->luma + (size_t)y * w + x;
            double v = p[-1] + p[1] + p[-w] + p[w] - 4.0 * p[0];
            s += v, s2 += v * v, n++;
        }
    return n ? s2 / n - (s / n) * (s / n) : 0;
}

/* Crete-Roffet et al. 2007, "the blur effect": how much of the variation
 * between neighbours a 9-tap re-blur removes (little: already blurred).
 * Returns 1 - blur, higher is sharper. The 9-tap mean as a running sum. */
static double crete_direction(const pf_quality_region *r, int along_x)
{
    int w = (int)r->width, h = (int)r->height;
    int n = along_x ? w : h, lines = along_x ? h : w;
    ptrdiff_t step = along_x ? 1 : w, next = along_x ? w : 1;
    double sf = 0, sv = 0;
    for (int k = 0; k < lines; k++) {
        const uint8_t *l = r->luma + k * next;
        int sum = 0;
        for (int t = -4; t <= 4; t++)
            sum += l[(t < 0 ? 0 : t >= n ? n - 1 : t) * step];
        int prev = sum;
        for (int i = 1; i < n; i++) {
            int out = i - 5 < 0 ? 0 : i - 5, in = i + 4 >= n ? n - 1 : i + 4;
            sum += l[in * step] - l[out * step];
            double df = abs(l[i * step] - l[(i - 1) * step]);
            double db = abs(sum - prev) / 9.0;
            sf += df, sv += df - db > 0 ? df - db : 0;
            prev = sum;
        }
    }
    return sf > 0 ? sv / sf : 0;
}

static double crete_roffet(const pf_quality_region *r)
{
    double a = crete_direction(r, 1), b = crete_direction(r, 0);
    return a < b ? a : b; /* 1 - max(blur) */
}

/* The comparison figures on the region check measured (its document). */
static void compare_figures(const pf_bitmap *bmp, const pf_document *doc,
                            double fig[F_N])
{
    pf_quality_region r;
    if (pf_quality_region_make(bmp, doc, &r) != PF_OK)
        return;
    fig[F_TENENGRAD] = tenengrad(&r);
    fig[F_LAPLACE] = laplace_variance(&r);
    fig[F_CRETE] = crete_roffet(&r);
    pf_quality_region_free(&r);
}

/* ---- the samples ---- */

typedef struct {
    const char *profile;
    int glare;             /* the profile runs the glare check */
    int expo;              /* exposure is counted (not a blank card) */
    int real;              /* a corpus file */
    const char *rel;       /* source name (path relative to the corpus) */
    int half, job;
} source;

typedef struct {
    sample_set *set;
    const source *src;
    eval_rng r;
    int seq;
} source_run;

static int push(sample_set *set, const sample *s)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 256;
        sample *p = realloc(set->s, cap * sizeof *p);
        if (!p)
            return -1;
        set->s = p, set->cap = cap;
    }
    set->s[set->n++] = *s;
    return 0;
}

/* Checks bmp as `preflight check` would and keeps the figures. kind says
 * which check the sample is meant for; truth is its truth there (good
 * samples count in every check the profile runs). */
static void run_sample(source_run *run, const pf_bitmap *bmp, int kind,
                       eval_truth truth, const char *what)
{
    const source *src = run->src;
    pf_report rep;
    sample s;
    memset(&s, 0, sizeof s);
    s.half = src->half, s.kind = kind, s.job = src->job, s.seq = run->seq++;
    s.real = src->real && strcmp(what, "as is") == 0;
    snprintf(s.name, sizeof s.name, "%s [%s]", src->rel, what);
    if (eval_check(bmp, src->profile, NULL, &rep) != 0) {
        fprintf(stderr, "quality: cannot check %s\n", s.name);
        return;
    }
    static const int own[] = {[K_BLUR] = Q_SHARP, [K_GLARE] = Q_GLARE,
                              [K_DARK] = Q_EXPO, [K_BRIGHT] = Q_EXPO};
    for (int q = 0; q < Q_N; q++) {
        int counted = kind == K_GOOD || own[kind] == q;
        if ((q == Q_GLARE && !src->glare) || (q == Q_EXPO && !src->expo))
            counted = 0;
        s.truth[q] = counted ? (int)(kind == K_GOOD ? EVAL_GOOD : truth) : -1;
        s.status[q] = counted ? eval_status(&rep, check_ids[q]) : -1;
    }
    const pf_document *d = &rep.input.document;
    s.fig[F_EDGE] = d->sharpness, s.fig[F_GLARE] = d->glare;
    s.fig[F_MEDIAN] = d->lum_median, s.fig[F_HIGH] = d->lum_high;
    s.fig[F_LOW] = d->lum_low, s.fig[F_CLIPPED] = d->clipped;
    s.fig[F_RANGE] = d->lum_high - d->lum_low;
    if (s.truth[Q_SHARP] >= 0) /* the region check used, when it matches */
        compare_figures(bmp, rep.input.width == bmp->width ? d : NULL, s.fig);
    if (push(run->set, &s) != 0)
        fprintf(stderr, "quality: out of memory\n");
}

/* The centre part of in, share of each side. */
static pf_status crop_centre(const pf_bitmap *in, double share, pf_bitmap *out)
{
    uint32_t w = (uint32_t)(in->width * share), h = (uint32_t)(in->height * share);
    return eval_crop(in, (in->width - w) / 2, (in->height - h) / 2, w ? w : 1,
                     h ? h : 1, out);
}

static pf_status recompress(const pf_bitmap *in, double quality, pf_bitmap *out)
{
    char err[PF_ERR_LEN];
    uint8_t *jpg = NULL;
    size_t len = 0;
    pf_decoded dec;
    memset(&dec, 0, sizeof dec);
    pf_status st = pf_jpeg_encode(in, quality, &jpg, &len, err);
    if (st == PF_OK)
        st = pf_jpeg_decode(jpg, len, 0, 8, &dec, err);
    free(jpg);
    *out = dec.bmp;
    return st;
}

/* Sensor-like noise: the sum of three uniforms, about sd levels. */
static pf_status add_noise(const pf_bitmap *in, double sd, eval_rng *r, pf_bitmap *out)
{
    pf_status st = pf_bitmap_alloc(out, in->width, in->height);
    size_t n = (size_t)in->width * in->height * 3;
    for (size_t i = 0; st == PF_OK && i < n; i++) {
        double v = in->rgb[i] + sd * (eval_rnd(r) + eval_rnd(r) + eval_rnd(r) - 1.5) * 2;
        out->rgb[i] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lround(v);
    }
    return st;
}

static pf_status copy_of(const pf_bitmap *in, pf_bitmap *out)
{
    pf_status st = pf_bitmap_alloc(out, in->width, in->height);
    if (st == PF_OK)
        memcpy(out->rgb, in->rgb, (size_t)in->width * in->height * 3);
    return st;
}

/* One good sample that stresses false alarms: JPEG 60..92, noise, or a
 * crop of the dense middle. */
static void stress_sample(source_run *run, const pf_bitmap *img)
{
    pf_bitmap out;
    char what[48];
    int pick = (int)(eval_rnd(&run->r) * 3);
    double q = eval_rnd_in(&run->r, 60, 92);
    pf_status st = pick == 0 ? recompress(img, q, &out)
                 : pick == 1 ? add_noise(img, 3, &run->r, &out)
                             : crop_centre(img, 0.5, &out);
    if (pick == 0)
        snprintf(what, sizeof what, "jpeg q%.0f", q);
    else
        snprintf(what, sizeof what, "%s", pick == 1 ? "noise 3" : "dense crop");
    if (st == PF_OK)
        run_sample(run, &out, K_GOOD, EVAL_GOOD, what);
    pf_bitmap_free(&out);
}

/* Gaussian (sigma) or motion (length, random angle) blur in the loaded
 * image's pixels, which are the analysis scale's (see the top). */
static void blur_sample(source_run *run, const pf_bitmap *img, eval_truth truth)
{
    pf_bitmap out;
    char what[48];
    eval_rng *r = &run->r;
    int motion = eval_rnd(r) < 0.5;
    double amount = truth == EVAL_BAD ? (motion ? eval_rnd_in(r, 10, 14) : eval_rnd_in(r, 2.5, 4))
                                      : (motion ? eval_rnd_in(r, 4, 8) : eval_rnd_in(r, 1.0, 2.0));
    double angle = eval_rnd_in(r, 0, 180);
    pf_status st = motion ? eval_motion_blur(img, amount, angle, &out)
                          : eval_gaussian_blur(img, amount, &out);
    if (motion)
        snprintf(what, sizeof what, "motion %.1f px at %.0f deg", amount, angle);
    else
        snprintf(what, sizeof what, "gaussian sigma %.2f", amount);
    if (st == PF_OK)
        run_sample(run, &out, K_BLUR, truth, what);
    pf_bitmap_free(&out);
}

/* The paper level (80th percentile of luminance) and the content under it
 * (80th minus 5th percentile) over the disc of radius rad at c. */
static void spot_levels(const pf_bitmap *img, const double c[2], double rad,
                        int *paper, int *content)
{
    unsigned hist[256] = {0}, n = 0, seen = 0;
    int step = rad > 40 ? (int)(rad / 20) : 2, lo = -1;
    for (long y = lround(c[1] - rad); y <= lround(c[1] + rad); y += step)
        for (long x = lround(c[0] - rad); x <= lround(c[0] + rad); x += step)
            if (x >= 0 && y >= 0 && x < (long)img->width && y < (long)img->height &&
                hypot(x - c[0], y - c[1]) <= rad)
                hist[luma_at(img, x, y)]++, n++;
    *paper = 255, *content = 0;
    for (int v = 0; v < 256 && n; v++) {
        seen += hist[v];
        if (lo < 0 && seen > n / 20)
            lo = v;
        if (seen > n * 4 / 5) {
            *paper = v, *content = v - lo;
            return;
        }
    }
}

/* A point of the quad q (TL, TR, BR, BL) at fractions (u, v) of its sides. */
static void quad_point(const double q[4][2], double u, double v, double p[2])
{
    for (int k = 0; k < 2; k++)
        p[k] = (1 - v) * ((1 - u) * q[0][k] + u * q[1][k]) +
               v * ((1 - u) * q[3][k] + u * q[2][k]);
}

/* Where a glare hides most: of 12 random spots in the middle 70% of the
 * document (the quad the finder sees, else the image), the one with the
 * most content; visible: its paper is at most GLARE_PAPER (a spot with
 * such paper is preferred). Returns visible. */
static int glare_spot(const pf_bitmap *img, const double q[4][2], double rad,
                      eval_rng *r, double c[2])
{
    int best = -1, best_visible = 0;
    for (int t = 0; t < 12; t++) {
        double p[2];
        quad_point(q, eval_rnd_in(r, 0.15, 0.85), eval_rnd_in(r, 0.15, 0.85), p);
        int paper, content;
        spot_levels(img, p, 1.3 * rad, &paper, &content);
        int visible = paper <= GLARE_PAPER;
        if (visible > best_visible || (visible == best_visible && content > best)) {
            best = content, best_visible = visible;
            c[0] = p[0], c[1] = p[1];
        }
    }
    return best_visible;
}

/* The document as the check will see it: the finder's quad, else the
 * whole image. The blob's share is of that area. */
static double document_quad(const pf_bitmap *img, double q[4][2])
{
    pf_document doc;
    memset(&doc, 0, sizeof doc);
    if (pf_find_document(img, &doc) == PF_OK && doc.found) {
        memcpy(q, doc.corners, sizeof doc.corners);
        double a = 0;
        for (int k = 0; k < 4; k++) /* shoelace */
            a += q[k][0] * q[(k + 1) % 4][1] - q[(k + 1) % 4][0] * q[k][1];
        return fabs(a) / 2;
    }
    double w = img->width, h = img->height;
    double full[4][2] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    memcpy(q, full, sizeof full);
    return w * h;
}

static void glare_sample(source_run *run, const pf_bitmap *img, eval_truth truth)
{
    pf_bitmap out;
    char what[64];
    eval_rng *r = &run->r;
    int faint = truth != EVAL_BAD && eval_rnd(r) < 0.5;
    double share = truth == EVAL_BAD ? eval_rnd_in(r, 0.04, 0.10)
                 : faint ? eval_rnd_in(r, 0.04, 0.08) : eval_rnd_in(r, 0.005, 0.015);
    double strength = faint ? eval_rnd_in(r, 0.4, 0.6) : 1.0, c[2] = {0, 0};
    double q[4][2], area = document_quad(img, q);
    double rad = sqrt(share * area / M_PI);
    int visible = glare_spot(img, q, rad, r, c);
    if (!visible) /* white paper: nothing brighter to see */
        truth = EVAL_BORDERLINE;
    if (copy_of(img, &out) != PF_OK)
        return;
    eval_add_glare(&out, c[0], c[1], rad, strength);
    snprintf(what, sizeof what, "glare %.1f%% x %.2f%s", share * 100, strength,
             visible ? "" : " on white");
    run_sample(run, &out, K_GLARE, truth, what);
    pf_bitmap_free(&out);
}

/* kind K_DARK or K_BRIGHT at the truth's strength (see the top). */
static void exposure_sample(source_run *run, const pf_bitmap *img, int kind,
                            eval_truth truth)
{
    pf_bitmap out;
    char what[48];
    eval_rng *r = &run->r;
    if (copy_of(img, &out) != PF_OK)
        return;
    if (kind == K_DARK) {
        double gain = truth == EVAL_BAD ? eval_rnd_in(r, 0.12, 0.3) : eval_rnd_in(r, 0.4, 0.5);
        eval_exposure(&out, gain, 1.0);
        snprintf(what, sizeof what, "gain %.2f", gain);
    } else if (truth == EVAL_BAD || eval_rnd(r) < 0.5) {
        double a = truth == EVAL_BAD ? eval_rnd_in(r, 0.55, 0.75) : eval_rnd_in(r, 0.35, 0.45);
        double gain = truth == EVAL_BAD && eval_rnd(r) < 0.5 ? eval_rnd_in(r, 1, 1.25) : 1;
        eval_haze(&out, a, gain);
        snprintf(what, sizeof what, "haze %.2f gain %.2f", a, gain);
    } else { /* overexposed, ink still dark: legible */
        double gain = eval_rnd_in(r, 1.5, 2.5);
        eval_exposure(&out, gain, 1.0);
        snprintf(what, sizeof what, "gain %.2f", gain);
    }
    run_sample(run, &out, kind, truth, what);
    pf_bitmap_free(&out);
}

/* Every sample of one source image. */
static void source_samples(source_run *run, const pf_bitmap *img)
{
    eval_rng *r = &run->r;
    run_sample(run, img, K_GOOD, EVAL_GOOD, "as is");
    stress_sample(run, img);
    blur_sample(run, img, EVAL_BAD);
    blur_sample(run, img, EVAL_BORDERLINE);
    if (run->src->glare) {
        glare_sample(run, img, EVAL_BAD);
        glare_sample(run, img, EVAL_BORDERLINE);
    }
    if (!run->src->expo)
        return;
    exposure_sample(run, img, K_DARK, EVAL_BAD);
    exposure_sample(run, img, K_BRIGHT, EVAL_BAD);
    exposure_sample(run, img, eval_rnd(r) < 0.5 ? K_DARK : K_BRIGHT, EVAL_BORDERLINE);
}

/* ---- generated sources ---- */

/* tu_fill_rect on a bitmap. */
static void fill_rect(pf_bitmap *b, double x0, double y0, double x1, double y1,
                      const uint8_t rgb[3])
{
    tu_fill_rect(b->rgb, b->width, b->height, x0, y0, x1, y1, rgb);
}

static void fill_ellipse(pf_bitmap *b, double cx, double cy, double rx,
                         double ry, const uint8_t rgb[3])
{
    for (long y = lround(cy - ry); y <= lround(cy + ry); y++)
        for (long x = lround(cx - rx); x <= lround(cx + rx); x++)
            if (x >= 0 && y >= 0 && x < (long)b->width && y < (long)b->height &&
                pow((x - cx) / rx, 2) + pow((y - cy) / ry, 2) <= 1)
                memcpy(b->rgb + ((size_t)y * b->width + (size_t)x) * 3, rgb, 3);
}

/* A line of glyph-like strokes (cells g high) from x0 to x1 at y. */
static void text_line(pf_bitmap *b, double x0, double x1, double y, double g,
                      const uint8_t ink[3], eval_rng *r)
{
    double s = g * 0.14 > 1.2 ? g * 0.14 : 1.2, cw = g * 0.75;
    for (double x = x0; x + cw < x1;) {
        int letters = 2 + (int)(eval_rnd(r) * 6);
        for (int k = 0; k < letters && x + cw < x1; k++, x += cw * 1.25) {
            unsigned shape = (unsigned)(eval_rnd(r) * 16) | 1u << (int)(eval_rnd(r) * 4);
            if (shape & 1) fill_rect(b, x, y, x + s, y + g, ink);
            if (shape & 2) fill_rect(b, x + cw - s, y + g * 0.3, x + cw, y + g, ink);
            if (shape & 4) fill_rect(b, x, y + g * 0.3, x + cw, y + g * 0.3 + s, ink);
            if (shape & 8) fill_rect(b, x, y + g - s, x + cw, y + g, ink);
        }
        x += cw * 1.5;
    }
}

/* The ground: a light tint (luminance 200..235) with a fine wavy pattern
 * and the uneven light of a phone photo. */
static void card_ground(pf_bitmap *b, eval_rng *r)
{
    static const double tints[][3] = {{-16, 0, 14}, {-6, 2, 8}, {8, 0, -14},
                                      {6, -4, 2}};
    const double *t = tints[(int)(eval_rnd(r) * 4)];
    double base = eval_rnd_in(r, 205, 228), amp = eval_rnd_in(r, 3, 7);
    double f = 2 * M_PI / (b->width * eval_rnd_in(r, 0.015, 0.04)), tilt = eval_rnd_in(r, -0.05, 0.05);
    for (uint32_t y = 0; y < b->height; y++)
        for (uint32_t x = 0; x < b->width; x++) {
            double wave = amp * sin(f * (x + 6 * sin(f * 0.7 * y)) + 0.3 * y * f);
            double light = 1 + tilt * ((double)x / b->width - 0.5) * 2;
            uint8_t *p = b->rgb + ((size_t)y * b->width + x) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)fmin(255, fmax(0, (base + t[c] + wave) * light));
        }
}

/* A portrait on a light ground at the card's right. */
static void card_portrait(pf_bitmap *b, eval_rng *r)
{
    double w = b->width, h = b->height;
    uint8_t bg = (uint8_t)eval_rnd_in(r, 228, 246), back[3] = {bg, bg, (uint8_t)(bg > 250 ? 255 : bg + 4)};
    static const uint8_t skin[3] = {214, 172, 146}, hair[3] = {38, 30, 28},
                         coat[3] = {52, 58, 70};
    fill_rect(b, 0.66 * w, 0.16 * h, 0.92 * w, 0.80 * h, back);
    fill_ellipse(b, 0.79 * w, 0.86 * h, 0.12 * w, 0.18 * h, coat);
    fill_ellipse(b, 0.79 * w, 0.40 * h, 0.075 * w, 0.16 * h, hair);
    fill_ellipse(b, 0.79 * w, 0.45 * h, 0.065 * w, 0.15 * h, skin);
}

/* The card photographed on a table: a darker textured ground, the card
 * over 55..80% of the width with a little perspective, then a lens's
 * softness (sigma 0.5..0.9). */
static pf_status card_on_table(const pf_bitmap *card, eval_rng *r, pf_bitmap *out)
{
    pf_bitmap table, shot;
    uint32_t w = (uint32_t)(card->width / eval_rnd_in(r, 0.55, 0.8)), h = w * 3 / 4;
    pf_status st = pf_bitmap_alloc(&table, w, h);
    if (st != PF_OK)
        return st;
    double base = eval_rnd_in(r, 60, 140), warm = eval_rnd_in(r, 0, 25);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double v = base * (0.9 + 0.2 * y / h) + 6 * sin(x * 0.05 + y * 0.01);
            uint8_t *p = table.rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)fmin(255, v + warm), p[1] = (uint8_t)v;
            p[2] = (uint8_t)fmax(0, v - warm);
        }
    double cw = card->width, ch = card->height, x0 = (w - cw) / 2, y0 = (h - ch) / 2;
    double q[4][2] = {{x0, y0}, {x0 + cw, y0}, {x0 + cw, y0 + ch}, {x0, y0 + ch}};
    for (int k = 0; k < 4; k++)
        q[k][0] += eval_rnd_in(r, -0.03, 0.03) * cw, q[k][1] += eval_rnd_in(r, -0.03, 0.03) * ch;
    st = eval_composite(&table, card, q, &shot);
    pf_bitmap_free(&table);
    if (st == PF_OK)
        st = eval_gaussian_blur(&shot, eval_rnd_in(r, 0.5, 0.9), out);
    pf_bitmap_free(&shot);
    return st;
}

/* An ID-card-like image: ground, title, fields of text, a number line,
 * a portrait; photographed on a table (card_on_table), with grain. */
static pf_status make_card(eval_rng *r, pf_bitmap *out)
{
    pf_bitmap b;
    double lng = eval_rnd_in(r, 520, 760);
    pf_status st = pf_bitmap_alloc(&b, (uint32_t)lng, (uint32_t)(lng * 540 / 856));
    if (st != PF_OK)
        return st;
    card_ground(&b, r);
    uint8_t ink[3];
    ink[0] = ink[1] = ink[2] = (uint8_t)eval_rnd_in(r, 20, 60);
    double g = lng * eval_rnd_in(r, 0.022, 0.032), y = 0.14 * b.height;
    for (int line = 0; line < 6 && y < 0.72 * b.height; line++, y += g * 1.9)
        text_line(&b, 0.06 * b.width, eval_rnd_in(r, 0.35, 0.62) * b.width, y, g, ink, r);
    text_line(&b, 0.30 * b.width, 0.92 * b.width, 0.86 * b.height, g * 1.1, ink, r);
    card_portrait(&b, r);
    st = card_on_table(&b, r, out);
    pf_bitmap_free(&b);
    if (st == PF_OK) {
        size_t n = (size_t)out->width * out->height * 3;
        for (size_t i = 0; i < n; i++) {
            double v = out->rgb[i] + (eval_rnd(r) - 0.5) * 6;
            out->rgb[i] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lround(v);
        }
    }
    return st;
}

/* A smooth card or blank page: an even tint with shading and grain, and
 * nothing on it (good: nothing blurred, nothing glared). */
static pf_status make_smooth(int k, eval_rng *r, pf_bitmap *img)
{
    static const double tint[N_SMOOTH][3] = {{236, 232, 220}, {200, 220, 240},
                                             {245, 245, 245}, {220, 200, 190},
                                             {180, 205, 185}, {250, 250, 248}};
    pf_status st = pf_bitmap_alloc(img, 856, 540);
    for (uint32_t y = 0; st == PF_OK && y < img->height; y++)
        for (uint32_t x = 0; x < img->width; x++)
            for (int c = 0; c < 3; c++) {
                double v = tint[k][c] * (0.93 + 0.07 * x / img->width) +
                           (eval_rnd(r) - 0.5) * 4;
                img->rgb[((size_t)y * img->width + x) * 3 + c] =
                    v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lround(v);
            }
    return st;
}

/* ---- the jobs: one per source, shared by the threads ---- */

typedef struct {
    const char *corpus;
    char **paths;          /* corpus files, then cards, then smooth cards */
    const char **profiles;
    size_t n_files, n_jobs, next;
    pthread_mutex_t lock;
} job_list;

typedef struct {
    job_list *jobs;
    sample_set set;
} worker;

static void run_job(worker *wk, size_t j)
{
    job_list *jl = wk->jobs;
    char name[64];
    pf_bitmap img;
    source src = {DOC_PROFILE, 1, 1, 0, name, 0, (int)j};
    memset(&img, 0, sizeof img);
    if (j < jl->n_files) {
        src.rel = jl->paths[j] + strlen(jl->corpus) + 1, src.real = 1;
        src.profile = jl->profiles[j];
        src.glare = strcmp(src.profile, FACE_PROFILE) != 0;
    } else if (j < jl->n_files + N_CARDS) {
        snprintf(name, sizeof name, "synthetic/card-%02zu", j - jl->n_files);
    } else {
        snprintf(name, sizeof name, "synthetic/smooth-%zu", j - jl->n_files - N_CARDS);
        src.expo = 0;
    }
    src.half = eval_half(src.rel);
    source_run run = {&wk->set, &src, eval_rng_for(src.rel), 0};
    int ok = j < jl->n_files ? eval_load(jl->paths[j], LOAD_LONG, &img) == 0
           : j < jl->n_files + N_CARDS ? make_card(&run.r, &img) == PF_OK
           : make_smooth((int)(j - jl->n_files - N_CARDS), &run.r, &img) == PF_OK;
    if (!ok)
        fprintf(stderr, "quality: cannot load %s\n", src.rel);
    else if (!src.expo) /* blank: good only */
        run_sample(&run, &img, K_GOOD, EVAL_GOOD, "as is");
    else
        source_samples(&run, &img);
    pf_bitmap_free(&img);
}

static void *work(void *arg)
{
    worker *wk = arg;
    for (;;) {
        pthread_mutex_lock(&wk->jobs->lock);
        size_t j = wk->jobs->next++;
        pthread_mutex_unlock(&wk->jobs->lock);
        if (j >= wk->jobs->n_jobs)
            return NULL;
        run_job(wk, j);
    }
}

static int by_job(const void *a, const void *b)
{
    const sample *x = a, *y = b;
    return x->job != y->job ? (x->job > y->job) - (x->job < y->job)
                            : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Lists the sources (scans, document photos with the document profile,
 * faces with the face profile) and runs them on THREADS threads. */
static int collect(const char *corpus, sample_set *all)
{
    static const char *const subs[] = {"scans", "docphotos", "faces"};
    job_list jl = {corpus, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    worker wk[THREADS];
    pthread_t th[THREADS];
    int rc = 0;
    for (int k = 0; k < 3; k++) {
        char **p = NULL;
        size_t n = eval_list(corpus, subs[k], &p);
        char **np = realloc(jl.paths, (jl.n_files + n + 1) * sizeof *np);
        const char **pr = realloc(jl.profiles, (jl.n_files + n + 1) * sizeof *pr);
        if (np)
            jl.paths = np;
        if (pr)
            jl.profiles = pr;
        if (!np || !pr) {
            eval_free_list(p, n);
            rc = -1;
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++, jl.n_files++) {
            jl.paths[jl.n_files] = p[i];
            jl.profiles[jl.n_files] = k == 2 ? FACE_PROFILE : DOC_PROFILE;
        }
        free(p);
    }
    jl.n_jobs = jl.n_files + N_CARDS + N_SMOOTH;
    memset(wk, 0, sizeof wk);
    int started[THREADS] = {0};
    for (int t = 0; t < THREADS; t++) {
        wk[t].jobs = &jl;
        started[t] = pthread_create(&th[t], NULL, work, &wk[t]) == 0;
    }
    for (int t = 0; t < THREADS; t++) /* a thread not started: done here */
        started[t] ? (void)pthread_join(th[t], NULL) : (void)work(&wk[t]);
cleanup:
    for (int t = 0; rc == 0 && t < THREADS; t++) {
        for (size_t i = 0; i < wk[t].set.n; i++)
            push(all, &wk[t].set.s[i]);
        free(wk[t].set.s);
    }
    if (all->n)
        qsort(all->s, all->n, sizeof *all->s, by_job);
    eval_free_list(jl.paths, jl.n_files);
    free(jl.profiles);
    return rc;
}

/* ---- tables, comparison, timing ---- */

static int print_tables(const sample_set *set, int half)
{
    int ok = 1;
    for (int q = 0; q < Q_N; q++) {
        eval_table t;
        memset(&t, 0, sizeof t);
        t.check = check_names[q];
        for (size_t i = 0; i < set->n; i++)
            if (set->s[i].half == half && set->s[i].truth[q] >= 0)
                eval_count(&t, (eval_truth)set->s[i].truth[q], set->s[i].status[q]);
        ok &= eval_print(stdout, &t, half ? "test" : "tuning");
    }
    return ok;
}

/* Whether sample a counts for (check q, bad kind) on half: good, or clear
 * bad of that kind (-1: any). */
static int counted(const sample *a, int q, int kind, int half)
{
    return a->half == half && (a->truth[q] == EVAL_GOOD ||
           (a->truth[q] == EVAL_BAD && (kind < 0 || a->kind == kind)));
}

/* Area under the ROC curve of figure f (higher = good) separating the good
 * samples of check q from its clear bad ones of kind (-1: any), on half;
 * and the best balanced error over thresholds. */
static void separation(const sample_set *set, int q, int kind, int f, int half,
                       double *auc, double *bal, double *at)
{
    double pairs = 0, wins = 0, ng = 0, nb = 0;
    for (size_t i = 0; i < set->n; i++) {
        const sample *a = &set->s[i];
        if (!counted(a, q, kind, half))
            continue;
        if (a->truth[q] == EVAL_BAD) {
            nb++;
            continue;
        }
        ng++;
        for (size_t j = 0; j < set->n; j++) {
            const sample *b = &set->s[j];
            if (!counted(b, q, kind, half) || b->truth[q] != EVAL_BAD)
                continue;
            pairs++;
            wins += a->fig[f] > b->fig[f] ? 1 : a->fig[f] == b->fig[f] ? 0.5 : 0;
        }
    }
    *auc = pairs ? wins / pairs : 0.5;
    int up = *auc >= 0.5; /* else lower is good */
    *bal = 1, *at = 0;
    for (size_t k = 0; k < set->n; k++) { /* thresholds at every value */
        double t = set->s[k].fig[f], bad_missed = 0, good_hit = 0;
        for (size_t i = 0; i < set->n; i++) {
            const sample *a = &set->s[i];
            if (!counted(a, q, kind, half))
                continue;
            int flagged = up ? a->fig[f] < t : a->fig[f] > t;
            if (a->truth[q] == EVAL_BAD)
                bad_missed += !flagged;
            else
                good_hit += flagged;
        }
        double e = (nb ? bad_missed / nb : 0) / 2 + (ng ? good_hit / ng : 0) / 2;
        if (e < *bal)
            *bal = e, *at = t;
    }
}

static void print_comparison(const sample_set *set)
{
    static const struct { int q, kind, f; } rows[] = {
        {Q_SHARP, -1, F_EDGE}, {Q_SHARP, -1, F_TENENGRAD}, {Q_SHARP, -1, F_LAPLACE},
        {Q_SHARP, -1, F_CRETE}, {Q_GLARE, -1, F_GLARE},
        {Q_EXPO, K_DARK, F_MEDIAN}, {Q_EXPO, K_DARK, F_HIGH},
        {Q_EXPO, K_BRIGHT, F_LOW}, {Q_EXPO, K_BRIGHT, F_CLIPPED},
        {Q_EXPO, K_BRIGHT, F_RANGE}};
    printf("\nSeparation of good from clear bad, tuning half (AUC; best "
           "balanced error at threshold)\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double auc, bal, at;
        separation(set, rows[i].q, rows[i].kind, rows[i].f, 0, &auc, &bal, &at);
        printf("  %-9s %-7s %-24s AUC %.3f (%s is good)  balanced error "
               "%5.1f%% at %.4g\n", check_names[rows[i].q],
               rows[i].kind == K_DARK ? "dark" : rows[i].kind == K_BRIGHT ?
               "washed" : "", fig_names[rows[i].f], auc >= 0.5 ? auc : 1 - auc,
               auc >= 0.5 ? "higher" : "lower", bal * 100, at);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The three measures on camera photos shrunk to TIME_LONG (the budget's
 * 2000 x 1500), the document taken as not found (whole image): the best
 * of three runs each, so the other thread's noise does not count. */
static void time_photos(const char *corpus, int verbose)
{
    char **paths = NULL;
    size_t n = eval_list(corpus, "photos", &paths), timed = 0;
    double total = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        pf_bitmap img;
        pf_document doc;
        if (eval_load(paths[i], TIME_LONG, &img) != 0)
            continue;
        double ms = 1e9;
        pf_status st = PF_OK;
        for (int k = 0; k < 3 && st == PF_OK; k++) {
            memset(&doc, 0, sizeof doc);
            double t0 = now_ms();
            st = pf_measure_quality(&img, &doc);
            ms = fmin(ms, now_ms() - t0);
        }
        if (st == PF_OK) {
            total += ms, timed++;
            worst = ms > worst ? ms : worst;
        }
        if (verbose)
            printf("  %-60s %ux%u %.1f ms: sharp %.1f glare %.3f lum %.0f/%.0f/%.0f\n",
                   paths[i] + strlen(corpus) + 1, img.width, img.height, ms,
                   doc.sharpness, doc.glare, doc.lum_low, doc.lum_median,
                   doc.lum_high);
        pf_bitmap_free(&img);
    }
    eval_free_list(paths, n);
    if (timed)
        printf("\nTiming: sharpness + glare + exposure (pf_measure_quality) on %zu "
               "camera photos at %d px: mean %.1f ms, max %.1f ms (budget 10 ms)\n",
               timed, TIME_LONG, total / timed, worst);
}

/* The corpus files as they are that warn or fail a check (with their
 * figures); returns how many real scans fail one (none may). */
static int real_verdicts(const sample_set *set)
{
    int scans = 0;
    printf("\nReal files (as they are) that warn or fail:\n");
    for (size_t i = 0; i < set->n; i++) {
        const sample *s = &set->s[i];
        int worst = -1;
        for (int q = 0; s->real && q < Q_N; q++)
            worst = s->status[q] > worst ? s->status[q] : worst;
        if (worst < PF_WARN)
            continue;
        printf("  %-62s sharp %s %5.1f  glare %s %.3f  expo %s %3.0f/%3.0f\n",
               s->name, (const char *[]){"-", "pass", "WARN", "FAIL"}[s->status[0] + 1],
               s->fig[F_EDGE], (const char *[]){"-", "pass", "WARN", "FAIL"}[s->status[1] + 1],
               s->fig[F_GLARE], (const char *[]){"-", "pass", "WARN", "FAIL"}[s->status[2] + 1],
               s->fig[F_LOW], s->fig[F_HIGH]);
        if (strncmp(s->name, "scans/", 6) == 0 && worst == PF_FAIL)
            scans++;
    }
    return scans;
}

static void print_samples(const sample_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const sample *s = &set->s[i];
        printf("  %-66s h%d t%2d %2d %2d -> %2d %2d %2d sharp %5.1f crete %.3f "
               "glare %.3f lum %3.0f/%3.0f/%3.0f\n", s->name, s->half, s->truth[0],
               s->truth[1], s->truth[2], s->status[0], s->status[1], s->status[2],
               s->fig[F_EDGE], s->fig[F_CRETE], s->fig[F_GLARE], s->fig[F_LOW],
               s->fig[F_MEDIAN], s->fig[F_HIGH]);
    }
}

int eval_quality(const char *corpus, int verbose)
{
    sample_set set;
    memset(&set, 0, sizeof set);
    printf("\n== sharpness, glare, exposure (limits: sharpness fail < %.0f, "
           "warn < %.0f; glare fail > %.3f, warn > %.3f; brightest 1%% fail "
           "< %.0f, warn < %.0f; darkest 1%% fail > %.0f, warn > %.0f)\n",
           PF_SHARPNESS_FAIL, PF_SHARPNESS_WARN, PF_GLARE_FAIL, PF_GLARE_WARN,
           PF_DARK_FAIL, PF_DARK_WARN, PF_WASHOUT_FAIL, PF_WASHOUT_WARN);
    double t0 = now_ms();
    if (collect(corpus, &set) != 0)
        fprintf(stderr, "quality: out of memory\n");
    printf("%zu samples in %.1f s (%d threads)\n", set.n, (now_ms() - t0) / 1e3,
           THREADS);
    if (verbose)
        print_samples(&set);
    print_tables(&set, 0);
    int ok = print_tables(&set, 1);
    print_comparison(&set);
    time_photos(corpus, verbose);
    int scans = real_verdicts(&set);
    printf("real scans failing sharpness/glare/exposure: %d\n", scans);
    free(set.s);
    return ok && scans == 0;
}
