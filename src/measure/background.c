/* The white-background rule for face photos, and --whiten.
 *
 * Method (on a copy shrunk to at most WORK_LONG pixels, which averages away
 * sensor noise and JPEG artefacts):
 *  0. Bars: uniform bars added at the picture's edges (background_bars.c,
 *     found on the full-size picture) are cut off, with BAR_MARGIN working
 *     pixels more for the resampling's blur across their border; what
 *     follows measures the rest of the picture, the bars are no background.
 *  1. The edge bands: the top EDGE_SHARE of rows, and the left and right
 *     EDGE_SHARE of columns down to SIDE_DEPTH of the height. The bottom
 *     edge and the lower sides are left out: shoulders and clothes reach
 *     them in any head-and-shoulders photo.
 *     With a face box, the band around the person instead (face_band()):
 *     above the head and left and right of the head and shoulders, the
 *     head and shoulders themselves left out.
 *  2. The reference colour: the per-channel median of the edge bands.
 *  3. The background: grown from the edge-band pixels near the reference,
 *     4-connected, over neighbours that differ from their neighbour by at
 *     most STEP_TOL (a soft shadow or a gradient grows on; the edge of hair,
 *     skin or clothes stops it) and from the reference by at most REF_TOL.
 *     In the band around a face, the growing stays in the band, and every
 *     pixel of the band counts as background afterwards: what the growing
 *     did not reach there (a poster, a shelf) is background that is not
 *     white, not the person.
 *  4. A plain background is one that covers at least PLAIN_SHARE of the
 *     edge bands (of the band around the face); a busy room or a photo
 *     without a plain background fails.
 *  5. The rule passes when the background is plain and at least
 *     white_min_share of its pixels are white (every channel >=
 *     white_level, max - min <= white_spread). */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WORK_LONG 256
#define EDGE_SHARE 0.06
#define SIDE_DEPTH 0.60
#define SEED_TOL 40
#define STEP_TOL 12
#define REF_TOL 70
#define PLAIN_SHARE 0.50
#define BAR_MARGIN 2      /* working pixels cut beside a bar (resampling blur) */
#define INNER_MIN 16      /* working pixels left inside bars, else bars ignored */
/* The band around a face box (x, y, w, h), in face widths / heights. */
#define HEAD_HALF_W 0.75  /* the head (hair, ears): 1.5 face widths wide, */
#define HEAD_ABOVE 0.60   /* ... from this far above the box (the crown) */
#define HEAD_BELOW 0.15   /* ... to this far below it (the chin) */
#define SHOULDER_HALF_W 1.5 /* shoulders: 3 face widths, from the chin down */
#define BAND_HALF_W 2.25  /* the band: 4.5 face widths wide, */
#define BAND_ABOVE 1.0    /* ... from a face height above the head */
#define BAND_BELOW 2.0    /* ... down to two face heights below the box top */
#define BAND_MIN 0.02     /* share of the picture the band must cover */

enum { PERSON = 0, BG_WHITE = 1, BG_OTHER = 2, BAR = 3, ZONE = 4 };
#define ON_PERSON 0x40u /* face_side(): on the head or shoulders */

typedef struct {
    pf_bitmap img;   /* the working copy (or a view of the input) */
    int owned;
    uint8_t *mask;   /* PERSON / BG_WHITE / BG_OTHER / BAR (added bars) /
                        ZONE (the head and shoulders, with a face box) */
    uint8_t *edge;   /* 1 for pixels in an edge band (bit 1 top, 2 left, 4 right) */
    uint32_t x0, y0, x1, y1; /* inside the bars, working pixels */
    int around_face; /* edge[] is the band around a face */
} work;

static void work_free(work *w)
{
    if (w->owned)
        pf_bitmap_free(&w->img);
    free(w->mask);
    free(w->edge);
    memset(w, 0, sizeof *w);
}

static pf_status work_init(const pf_bitmap *bmp, work *w)
{
    memset(w, 0, sizeof *w);
    uint32_t lng = bmp->width > bmp->height ? bmp->width : bmp->height;
    pf_status st = PF_OK;
    if (lng > WORK_LONG) {
        uint32_t ww = (uint32_t)((uint64_t)bmp->width * WORK_LONG / lng);
        uint32_t wh = (uint32_t)((uint64_t)bmp->height * WORK_LONG / lng);
        st = pf_resize(bmp, ww ? ww : 1, wh ? wh : 1, &w->img);
        w->owned = 1;
    } else {
        w->img = *bmp;
    }
    size_t n = (size_t)w->img.width * w->img.height;
    if (st == PF_OK && (!(w->mask = calloc(n, 1)) || !(w->edge = calloc(n, 1))))
        st = PF_ERR_NOMEM;
    w->x1 = w->img.width, w->y1 = w->img.height;
    if (st != PF_OK)
        work_free(w);
    return st;
}

static int is_white(const uint8_t *p, const pf_rules *r)
{
    int mn = p[0], mx = p[0];
    for (int c = 1; c < 3; c++) {
        if (p[c] < mn) mn = p[c];
        if (p[c] > mx) mx = p[c];
    }
    return mn >= r->white_level && mx - mn <= r->white_spread;
}

/* The working rectangle inside the bars (bmp's pixels); the bars' pixels
 * become BAR. Bars that would leave too little inside are ignored. */
static int cut_bars(work *w, const pf_bitmap *bmp, const pf_bars *bars)
{
    uint32_t W = w->img.width, H = w->img.height;
    double sx = (double)W / bmp->width, sy = (double)H / bmp->height;
    const uint32_t *p = bars->pad;
    uint32_t x0 = p[1] ? (uint32_t)ceil(p[1] * sx) + BAR_MARGIN : 0;
    uint32_t y0 = p[0] ? (uint32_t)ceil(p[0] * sy) + BAR_MARGIN : 0;
    uint32_t x1 = W, y1 = H, cut;
    if (p[2] && (cut = (uint32_t)ceil(p[2] * sx) + BAR_MARGIN) < W)
        x1 = W - cut;
    if (p[3] && (cut = (uint32_t)ceil(p[3] * sy) + BAR_MARGIN) < H)
        y1 = H - cut;
    if (!bars->sides || x1 < x0 + INNER_MIN || y1 < y0 + INNER_MIN)
        return 0;
    w->x0 = x0, w->y0 = y0, w->x1 = x1, w->y1 = y1;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++)
            if (x < x0 || x >= x1 || y < y0 || y >= y1)
                w->mask[(size_t)y * W + x] = BAR;
    return 1;
}

static void mark_edges(work *w)
{
    uint32_t W = w->img.width, iw = w->x1 - w->x0, ih = w->y1 - w->y0;
    uint32_t band_h = (uint32_t)ceil(ih * EDGE_SHARE), band_w = (uint32_t)ceil(iw * EDGE_SHARE);
    uint32_t depth = (uint32_t)ceil(ih * SIDE_DEPTH);
    for (uint32_t y = w->y0; y < w->y1; y++)
        for (uint32_t x = w->x0; x < w->x1; x++) {
            uint32_t ry = y - w->y0, rx = x - w->x0;
            uint8_t e = 0;
            if (ry < band_h) e |= PF_SIDE_TOP;
            if (ry < depth && rx < band_w) e |= PF_SIDE_LEFT;
            if (ry < depth && rx >= iw - band_w) e |= PF_SIDE_RIGHT;
            w->edge[(size_t)y * W + x] = e;
        }
}

/* Where a working pixel lies from the face box f (working pixels): 0
 * outside the band, ON_PERSON on the head or shoulders, else its side of the
 * person (PF_SIDE_TOP above the head, LEFT, RIGHT). */
static unsigned face_side(const pf_face_box *f, double x, double y)
{
    double cx = f->x + f->w / 2, dx = fabs(x - cx);
    double head_top = f->y - HEAD_ABOVE * f->h, chin = f->y + f->h;
    if (dx > BAND_HALF_W * f->w || y < head_top - BAND_ABOVE * f->h ||
        y >= f->y + BAND_BELOW * f->h)
        return 0;
    if ((dx <= HEAD_HALF_W * f->w && y >= head_top && y < chin + HEAD_BELOW * f->h) ||
        (dx <= SHOULDER_HALF_W * f->w && y >= chin))
        return ON_PERSON;
    return y < head_top ? PF_SIDE_TOP : x < cx ? PF_SIDE_LEFT : PF_SIDE_RIGHT;
}

/* The band around the face (bmp's pixels) as the edge bands; the head and
 * shoulders become ZONE. 0 (nothing marked) when the box is unusable or the
 * band inside the picture and the bars is too small. */
static int face_band(work *w, const pf_bitmap *bmp, const pf_face_box *face)
{
    uint32_t W = w->img.width;
    double sx = (double)W / bmp->width, sy = (double)w->img.height / bmp->height;
    pf_face_box f = {face->x * sx, face->y * sy, face->w * sx, face->h * sy, face->score};
    size_t band = 0;
    if (!isfinite(f.x) || !isfinite(f.y) || !(f.w >= 1) || !(f.h >= 1))
        return 0;
    for (uint32_t y = w->y0; y < w->y1; y++)
        for (uint32_t x = w->x0; x < w->x1; x++) {
            unsigned s = face_side(&f, x + 0.5, y + 0.5);
            band += s && s != ON_PERSON;
        }
    if (band < BAND_MIN * (w->x1 - w->x0) * (w->y1 - w->y0))
        return 0;
    for (uint32_t y = w->y0; y < w->y1; y++)
        for (uint32_t x = w->x0; x < w->x1; x++) {
            unsigned s = face_side(&f, x + 0.5, y + 0.5);
            size_t i = (size_t)y * W + x;
            if (s == ON_PERSON)
                w->mask[i] = ZONE;
            else
                w->edge[i] = (uint8_t)s;
        }
    return 1;
}

/* Per-channel median of the pixels selected: of the edge bands (edge[]
 * nonzero), or of the background (mask BG_WHITE or BG_OTHER): a
 * histogram, no sort. 255 where nothing is selected. */
static void channel_medians(const work *w, int of_mask, uint8_t med[3])
{
    size_t n = (size_t)w->img.width * w->img.height;
    for (int c = 0; c < 3; c++) {
        size_t hist[256] = {0}, total = 0, seen = 0;
        for (size_t i = 0; i < n; i++)
            if (of_mask ? w->mask[i] == BG_WHITE || w->mask[i] == BG_OTHER : w->edge[i] != 0) {
                hist[w->img.rgb[i * 3 + c]]++;
                total++;
            }
        med[c] = 255;
        for (int v = 0; v < 256 && total; v++)
            if ((seen += hist[v]) > total / 2) {
                med[c] = (uint8_t)v;
                break;
            }
    }
}

/* Grows the background from the edge pixels near ref (breadth first);
 * around a face it stays in the band. */
static pf_status grow(work *w, const uint8_t ref[3], const pf_rules *r)
{
    uint32_t W = w->img.width, H = w->img.height;
    size_t n = (size_t)W * H, head = 0, tail = 0;
    uint32_t *queue = malloc(n * sizeof *queue);
    if (!queue)
        return PF_ERR_NOMEM;
    const uint8_t *px = w->img.rgb;
    for (size_t i = 0; i < n; i++)
        if (w->edge[i] && pf_rgb_max_diff(px + i * 3, ref) <= SEED_TOL) {
            w->mask[i] = is_white(px + i * 3, r) ? BG_WHITE : BG_OTHER;
            queue[tail++] = (uint32_t)i;
        }
    while (head < tail) {
        uint32_t i = queue[head++], x = i % W, y = i / W;
        uint32_t nb[4];
        int k = 0;
        if (x > 0) nb[k++] = i - 1;
        if (x + 1 < W) nb[k++] = i + 1;
        if (y > 0) nb[k++] = i - W;
        if (y + 1 < H) nb[k++] = i + W;
        for (int j = 0; j < k; j++) {
            uint32_t q = nb[j];
            if (w->mask[q] != PERSON || (w->around_face && !w->edge[q]) ||
                pf_rgb_max_diff(px + q * 3, px + i * 3) > STEP_TOL ||
                pf_rgb_max_diff(px + q * 3, ref) > REF_TOL)
                continue;
            w->mask[q] = is_white(px + q * 3, r) ? BG_WHITE : BG_OTHER;
            queue[tail++] = q;
        }
    }
    free(queue);
    return PF_OK;
}

/* Share of the edge bands the grown background covers. */
static double edge_cover(const work *w)
{
    size_t n = (size_t)w->img.width * w->img.height, edge_n = 0, edge_bg = 0;
    for (size_t i = 0; i < n; i++)
        if (w->edge[i]) {
            edge_n++;
            edge_bg += w->mask[i] == BG_WHITE || w->mask[i] == BG_OTHER;
        }
    return edge_n ? (double)edge_bg / edge_n : 0;
}

/* Around a face, the whole band is background: what the growing did not
 * reach there is background that is not white (unless it is). */
static void fill_band(work *w, const pf_rules *r)
{
    size_t n = (size_t)w->img.width * w->img.height;
    for (size_t i = 0; i < n; i++)
        if (w->edge[i] && w->mask[i] == PERSON)
            w->mask[i] = is_white(w->img.rgb + i * 3, r) ? BG_WHITE : BG_OTHER;
}

static void summarise(const work *w, const pf_rules *r, double cover,
                      pf_background *bg)
{
    size_t n = (size_t)w->img.width * w->img.height, area = 0;
    double sum[3] = {0, 0, 0};
    size_t bg_n = 0, white_n = 0;
    size_t side_n[3] = {0, 0, 0}, side_white[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        uint8_t m = w->mask[i], e = w->edge[i];
        for (int s = 0; s < 3; s++)
            if (e & (1u << s)) {
                side_n[s]++;
                side_white[s] += m == BG_WHITE;
            }
        area += m != BAR && m != ZONE;
        if (m != BG_WHITE && m != BG_OTHER)
            continue;
        bg_n++;
        white_n += m == BG_WHITE;
        for (int c = 0; c < 3; c++)
            sum[c] += w->img.rgb[i * 3 + c];
    }
    memset(bg, 0, sizeof *bg);
    bg->measured = 1;
    bg->plain = cover >= PLAIN_SHARE;
    bg->coverage = area ? (double)bg_n / area : 0;
    bg->white_share = bg_n ? (double)white_n / bg_n : 0;
    double d2 = 0;
    for (int c = 0; c < 3; c++) {
        bg->mean[c] = bg_n ? sum[c] / bg_n : 0;
        d2 += (255 - bg->mean[c]) * (255 - bg->mean[c]);
    }
    bg->distance = sqrt(d2);
    for (int s = 0; s < 3; s++) {
        bg->side_share[s] = side_n[s] ? (double)side_white[s] / side_n[s] : 0;
        if (bg->side_share[s] < r->white_min_share)
            bg->failing_sides |= 1u << s;
    }
}

/* The bars found, into bg. */
static void report_bars(const pf_bars *bars, int cut, const pf_rules *r,
                        pf_background *bg)
{
    if (!cut)
        return;
    bg->padded_sides = bars->sides;
    for (int s = 0; s < 4; s++) {
        bg->pad[s] = bars->pad[s];
        if (bars->pad[s] && is_white(bars->colour[s], r))
            bg->white_pads |= 1u << s;
    }
}

/* What the measurement needs before a face is known: the working copy
 * (a resize: half the measurement's time) and the bars at the edges. */
struct pf_background_prep {
    work w;
    pf_bars bars;
    pf_status st;
};

static void prepare(const pf_bitmap *bmp, pf_background_prep *p)
{
    p->st = work_init(bmp, &p->w);
    if (p->st == PF_OK)
        pf_find_bars(bmp, &p->bars);
}

/* The rest, with p's working copy (left in p->w for the caller to free). */
static pf_status measure_prepared(const pf_bitmap *bmp, const pf_rules *r,
                                  const pf_face_box *face, pf_background_prep *p,
                                  pf_background *bg)
{
    uint8_t ref[3];
    work *w = &p->w;
    if (p->st != PF_OK)
        return p->st;
    int cut = cut_bars(w, bmp, &p->bars);
    w->around_face = face && face_band(w, bmp, face);
    if (!w->around_face)
        mark_edges(w);
    channel_medians(w, 0, ref);
    pf_status st = grow(w, ref, r);
    if (st != PF_OK)
        return st;
    double cover = edge_cover(w);
    if (w->around_face)
        fill_band(w, r);
    summarise(w, r, cover, bg);
    report_bars(&p->bars, cut, r, bg);
    bg->around_face = w->around_face;
    return PF_OK;
}

static pf_status measure(const pf_bitmap *bmp, const pf_rules *r,
                         const pf_face_box *face, work *w, pf_background *bg)
{
    pf_background_prep p;
    prepare(bmp, &p);
    pf_status st = measure_prepared(bmp, r, face, &p, bg);
    *w = p.w;
    return st;
}

pf_status pf_measure_background(const pf_bitmap *bmp, const pf_rules *rules,
                                const pf_face_box *face, pf_background *bg)
{
    work w;
    if (!bmp || !bmp->rgb || !rules || !bg || !bmp->width || !bmp->height)
        return PF_ERR_INVALID_ARG;
    pf_status st = measure(bmp, rules, face, &w, bg);
    work_free(&w);
    return st;
}

pf_status pf_background_prepare(const pf_bitmap *bmp, pf_background_prep **out)
{
    *out = NULL;
    if (!bmp || !bmp->rgb || !bmp->width || !bmp->height)
        return PF_ERR_INVALID_ARG;
    pf_background_prep *p = calloc(1, sizeof *p);
    if (!p)
        return PF_ERR_NOMEM;
    prepare(bmp, p);
    *out = p;
    return p->st;
}

pf_status pf_measure_background_prepared(const pf_bitmap *bmp, const pf_rules *rules,
                                         const pf_face_box *face, pf_background_prep *prep,
                                         pf_background *bg)
{
    if (!bmp || !bmp->rgb || !rules || !bg || !prep)
        return PF_ERR_INVALID_ARG;
    return measure_prepared(bmp, rules, face, prep, bg);
}

void pf_background_prep_free(pf_background_prep *prep)
{
    if (!prep)
        return;
    work_free(&prep->w);
    free(prep);
}

int pf_background_passes(const pf_background *bg, const pf_rules *rules)
{
    return bg->measured && bg->plain && bg->white_share >= rules->white_min_share;
}

/* The mask drawn over the photo, at the photo's size. */
pf_status pf_render_background_mask(const pf_bitmap *bmp, const pf_rules *rules,
                                    const pf_face_box *face, pf_bitmap *out)
{
    work w;
    pf_background bg;
    if (!bmp || !bmp->rgb || !rules || !out)
        return PF_ERR_INVALID_ARG;
    pf_status st = measure(bmp, rules, face, &w, &bg);
    if (st == PF_OK)
        st = pf_bitmap_alloc(out, bmp->width, bmp->height);
    for (uint32_t y = 0; st == PF_OK && y < bmp->height; y++)
        for (uint32_t x = 0; x < bmp->width; x++) {
            uint32_t wx = (uint32_t)((uint64_t)x * w.img.width / bmp->width);
            uint32_t wy = (uint32_t)((uint64_t)y * w.img.height / bmp->height);
            uint8_t m = w.mask[(size_t)wy * w.img.width + wx];
            const uint8_t *p = bmp->rgb + ((size_t)y * bmp->width + x) * 3;
            uint8_t *d = out->rgb + ((size_t)y * bmp->width + x) * 3;
            static const uint8_t tint[4][3] = {
                {0, 0, 0}, {40, 200, 60}, {220, 40, 40}, {60, 100, 230}};
            for (int c = 0; c < 3; c++)
                d[c] = m == PERSON || m == ZONE ? (uint8_t)(p[c] / 3) : tint[m][c];
        }
    work_free(&w);
    return st;
}

/* ---- --whiten ---- */

#define WHITEN_MIN_LEVEL 170   /* a background darker than this is no wall to lift */
#define WHITEN_MAX_CHROMA 30   /* ... nor one this coloured (blue, red, curtains) */
#define WHITEN_MAX_CLIPPED 0.03 /* share of the person newly clipped to 255 */

/* Per-channel gain mapping the background's median to 255. */
static void background_gains(const work *w, double gain[3])
{
    uint8_t med[3];
    channel_medians(w, 1, med);
    for (int c = 0; c < 3; c++)
        gain[c] = 255.0 / (med[c] ? med[c] : 1);
}

/* Share of the person's pixels that the gains would newly clip. */
static double clipped_share(const work *w, const double gain[3])
{
    size_t n = (size_t)w->img.width * w->img.height, person = 0, clipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (w->mask[i] != PERSON && w->mask[i] != ZONE)
            continue;
        person++;
        for (int c = 0; c < 3; c++) {
            uint8_t v = w->img.rgb[i * 3 + c];
            if (v < 250 && v * gain[c] >= 255) {
                clipped++;
                break;
            }
        }
    }
    return person ? (double)clipped / person : 0;
}

static void apply_gains(pf_bitmap *bmp, const double gain[3])
{
    uint8_t lut[3][256];
    for (int c = 0; c < 3; c++)
        for (int v = 0; v < 256; v++) {
            double o = v * gain[c] + 0.5;
            lut[c][v] = o >= 255 ? 255 : (uint8_t)o;
        }
    size_t n = (size_t)bmp->width * bmp->height;
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < 3; c++)
            bmp->rgb[i * 3 + c] = lut[c][bmp->rgb[i * 3 + c]];
}

/* Decides whether the background is a light, near-white one that levels
 * can lift; *why says why not. */
static int liftable(const pf_background *bg, const char **why)
{
    double mn = fmin(bg->mean[0], fmin(bg->mean[1], bg->mean[2]));
    double mx = fmax(bg->mean[0], fmax(bg->mean[1], bg->mean[2]));
    if (!bg->plain)
        *why = _("no plain background behind the person");
    else if (mx - mn > WHITEN_MAX_CHROMA)
        *why = _("the background is coloured");
    else if (mn < WHITEN_MIN_LEVEL)
        *why = _("the background is too dark to lift to white");
    else
        return 1;
    return 0;
}

const char *pf_background_unliftable(const pf_background *bg)
{
    const char *why = NULL;
    return liftable(bg, &why) ? NULL : why;
}

pf_status pf_whiten_background(pf_bitmap *bmp, const pf_rules *rules,
                               pf_background *after, char why[PF_ERR_LEN])
{
    work w;
    pf_background bg;
    double gain[3];
    const char *reason = NULL;
    if (!bmp || !bmp->rgb || !rules || !after)
        return PF_ERR_INVALID_ARG;
    pf_status st = measure(bmp, rules, NULL, &w, &bg);
    if (st == PF_OK && !liftable(&bg, &reason))
        st = PF_ERR_UNFIXABLE;
    if (st == PF_OK)
        background_gains(&w, gain);
    if (st == PF_OK && clipped_share(&w, gain) > WHITEN_MAX_CLIPPED) {
        reason = _("lifting it would clip the face");
        st = PF_ERR_UNFIXABLE;
    }
    work_free(&w);
    if (st != PF_OK) {
        pf_set_message(why, PF_ERR_LEN, "%s", reason ? reason : _("cannot measure"));
        return st;
    }
    pf_bitmap lifted;
    if ((st = pf_bitmap_alloc(&lifted, bmp->width, bmp->height)) != PF_OK)
        return st;
    memcpy(lifted.rgb, bmp->rgb, (size_t)bmp->width * bmp->height * 3);
    apply_gains(&lifted, gain);
    if ((st = pf_measure_background(&lifted, rules, NULL, after)) == PF_OK &&
        !pf_background_passes(after, rules)) {
        pf_set_message(why, PF_ERR_LEN, _("even lifted, only %.0f%% of it is "
                       "white (uneven light or a shadow)"), after->white_share * 100);
        st = PF_ERR_UNFIXABLE;
    }
    if (st == PF_OK) {
        pf_bitmap_free(bmp);
        *bmp = lifted;
    } else {
        pf_bitmap_free(&lifted);
    }
    return st;
}
