/* document-complete on the evaluation set.
 *
 * Synthetic cards: there are no real ID cards in the corpus, so a card is
 * a crop at the ID-1 ratio (85.6:54) of a real scan or document photo,
 * put into a 1600x1200 crop of a real photo (the wallpapers, loaded at
 * 2000 px long; a smaller one's 4:3 crop resized) or of a generated
 * wood-grain table (N_TABLES per half, grain across or along) in
 * perspective: turned up to +-15 degrees (a third within 2 degrees:
 * near-upright cards are the common and the hard case), each corner moved
 * by up to KEYSTONE of the card's short side, a fifth of them upright in
 * portrait. Placed, with a fixed-seed xorshift, so that
 *   good:       the card lies inside, its nearest point at least 2% of
 *               its extent from the frame (fills 15..80%);
 *   bad:        it leaves the frame by 6..35% of its extent across one
 *               frame edge, or by 6..30% across two (a corner region);
 *   borderline: it stops within 2% of the frame edge or leaves by < 2%.
 * Each is judged by the library as `preflight check` would (eval_check:
 * a q92 JPEG, what a phone writes, under the "wechat" rules), on two
 * threads; the finder is also timed alone on the bitmap.
 * Real images: docphotos/ (border_inside = yes: the page must be found and
 * not cut; = no: must not fail) and scans/ (must pass), all "good".
 * Card sources and backgrounds are split by eval_half of their corpus
 * path: half 0 tunes, half 1 tests; each table is printed per half. */
#include "eval.h"
#include "testutil.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME_W 1600
#define FRAME_H 1200
#define CARD_RATIO 1.586    /* ID-1: 85.6 x 54 mm */
#define SOURCE_LONG 1000    /* card sources loaded at most this long */
#define BACK_LONG 2000      /* backgrounds loaded at most this long */
#define TILT_MAX 15.0
#define KEYSTONE 0.04
#define N_GOOD 80           /* per half */
#define N_BAD 50
#define N_BORDER 24
#define INSIDE_MIN 0.02     /* good: nearest point this share of the extent in */
#define CUT_CLEAR 0.06      /* bad: out by at least this share */
#define CUT_SMALL 0.02      /* borderline: within this either way */
#define N_SYNTH (N_GOOD + N_BAD / 2 + N_BAD / 4 + N_BAD / 4 + N_BORDER)
#define N_TABLES 2          /* wood-grain tables added to the backgrounds */
#define EVAL_THREADS 2      /* the samples are independent: judged in parallel */

typedef struct {
    char **path;
    pf_bitmap *bmp;
    size_t n;
} image_set;

static void set_free(image_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        pf_bitmap_free(&s->bmp[i]);
    eval_free_list(s->path, s->n);
    free(s->bmp);
    memset(s, 0, sizeof *s);
}

static const char *relpath(const char *corpus, const char *path)
{
    size_t n = strlen(corpus);
    return strncmp(path, corpus, n) == 0 && path[n] == '/' ? path + n + 1 : path;
}

/* The images of corpus/sub in half, loaded at most max_long. */
static void load_half(const char *corpus, const char *sub, int half,
                      uint32_t max_long, image_set *out)
{
    char **all = NULL;
    size_t n = eval_list(corpus, sub, &all);
    out->path = calloc(n ? n : 1, sizeof *out->path);
    out->bmp = calloc(n ? n : 1, sizeof *out->bmp);
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (eval_half(relpath(corpus, all[i])) != half ||
            eval_load(all[i], max_long, &out->bmp[out->n]) != 0) {
            free(all[i]);
            continue;
        }
        out->path[out->n++] = all[i];
    }
    free(all);
}

/* size is not this evaluation's business */
static void no_size_limit(pf_rules *rules)
{
    rules->max_bytes = 0;
}

/* One image to judge, and what came of it. Jobs are made in a fixed
 * order and counted in that order, whatever thread ran them. */
typedef struct {
    int kind;              /* PLACE_* for a synthetic card, -1 a real image */
    int index;             /* sample number, or index into the real set */
    const pf_bitmap *real; /* the real image (kind -1) */
    char name[128];
    eval_truth truth;
    int status;            /* document-complete's, -1 when it did not run */
    int inside;            /* real: border_inside 1 yes, 0 no, -1 unlisted */
    int scan;              /* real: from scans/ */
    int crop;              /* fix would crop to the quad found */
    pf_document doc;       /* as the library measured it */
    double find_ms;        /* pf_find_document_ex alone on the bitmap */
} eval_job;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The library's verdict on bmp (as a q92 JPEG, "wechat" rules), the
 * finder timed on its own, and whether fix would crop. */
static void judge(const pf_bitmap *bmp, eval_job *job)
{
    pf_report *report = calloc(1, sizeof *report);
    pf_document timed;
    memset(&timed, 0, sizeof timed);
    double t0 = now_ms();
    pf_find_document_ex(bmp, &timed, NULL);
    job->find_ms = now_ms() - t0;
    job->status = -1;
    if (report && eval_check(bmp, "wechat", no_size_limit, report) == 0) {
        pf_rules rules;
        pf_options opts;
        job->status = eval_status(report, PF_CHECK_DOCUMENT_COMPLETE);
        job->doc = report->input.document;
        pf_options_default(&opts);
        job->crop = pf_profile_rules("wechat", &rules) == PF_OK &&
                    pf_crop_wanted(&rules, &opts, &job->doc);
    }
    free(report);
}

typedef struct {
    eval_table table;
    int verbose;
    const char *half_name;
    unsigned real_found, real_inside;   /* border_inside=yes found / all */
    unsigned yes_found, yes_stand;      /* border_inside=yes: found, standing out */
    unsigned no_found, no_stand;        /* border_inside=no: found, standing out */
    unsigned scans, scans_passed;
    double ms_synth, ms_real;
    unsigned n_synth, n_real;
    char cropped[512];                  /* inner boxes fix would crop to */
} run_state;

static void record(run_state *rs, const eval_job *j)
{
    static const char *const truth_names[] = {"good", "bad", "borderline"};
    static const char *const status_names[] = {"pass", "warn", "fail"};
    const pf_document *d = &j->doc;
    eval_count(&rs->table, j->truth, j->status);
    if (j->kind >= 0)
        rs->ms_synth += j->find_ms, rs->n_synth++;
    else
        rs->ms_real += j->find_ms, rs->n_real++;
    if (rs->verbose)
        printf("  %-10s %-4s found=%d fill=%.2f tilt=%5.1f cut=%x conf=%.2f "
               "out=%d %5.1f ms  %s\n", truth_names[j->truth],
               j->status >= 0 ? status_names[j->status] : "err", d->found, d->fill,
               d->tilt, d->cut_sides, d->cut_confidence, d->stands_out,
               j->find_ms, j->name);
}

/* ---- the real images ---- */

/* border_inside from docphotos/labels.tsv for a docphotos path: 1 yes,
 * 0 no, -1 not listed. */
static int border_inside(const char *corpus, const char *rel)
{
    char path[PF_PATH_LEN], line[512];
    int found = -1;
    snprintf(path, sizeof path, "%s/docphotos/labels.tsv", corpus);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (found < 0 && fgets(line, sizeof line, f)) {
        char file[256], kind[32], inside[8];
        if (sscanf(line, "%255s %31s %7s", file, kind, inside) == 3 &&
            strcmp(rel, file) == 0)
            found = strcmp(inside, "yes") == 0;
    }
    fclose(f);
    return found;
}

/* Jobs for the real images of set (all "good"). */
static size_t real_jobs(const char *corpus, const image_set *set, int scans,
                        eval_job *jobs)
{
    for (size_t i = 0; i < set->n; i++) {
        eval_job *j = &jobs[i];
        const char *rel = relpath(corpus, set->path[i]);
        memset(j, 0, sizeof *j);
        j->kind = -1, j->index = (int)i, j->real = &set->bmp[i];
        j->truth = EVAL_GOOD, j->scan = scans;
        j->inside = scans ? -1 : border_inside(corpus, rel + strlen("docphotos/"));
        snprintf(j->name, sizeof j->name, "%s", rel);
    }
    return set->n;
}

/* The real-image figures: scans pass, pages with their border inside are
 * found and not failed, and which found quads stand out (fix crops only
 * to those: an inner box standing out would be cropped to). */
static void count_real(run_state *rs, const eval_job *j)
{
    const pf_document *d = &j->doc;
    if (j->scan) {
        rs->scans++;
        rs->scans_passed += j->status == PF_PASS;
        return;
    }
    if (j->inside == 1) {
        rs->real_inside++;
        rs->real_found += d->found && j->status != PF_FAIL;
        rs->yes_found += d->found, rs->yes_stand += d->found && d->stands_out;
    } else if (j->inside == 0) {
        rs->no_found += d->found, rs->no_stand += d->found && d->stands_out;
    }
    if (j->inside != 1 && j->crop) {
        size_t n = strlen(rs->cropped);
        snprintf(rs->cropped + n, sizeof rs->cropped - n, " %s", j->name);
    }
}

/* ---- the synthetic cards ---- */

enum { PLACE_GOOD, PLACE_SIDE, PLACE_CORNER, PLACE_BORDER };

/* A crop at the card ratio of a random source, landscape. */
static pf_status card_content(eval_rng *r, const image_set *src, pf_bitmap *out)
{
    const pf_bitmap *s = &src->bmp[(size_t)(eval_rnd(r) * src->n)];
    double w = fmin(s->width, s->height * CARD_RATIO) * eval_rnd_in(r, 0.55, 1.0);
    double h = w / CARD_RATIO;
    uint32_t x = (uint32_t)(eval_rnd(r) * (s->width - w));
    uint32_t y = (uint32_t)(eval_rnd(r) * (s->height - h));
    return eval_crop(s, x, y, (uint32_t)fmax(w, 8), (uint32_t)fmax(h, 8), out);
}

/* A random FRAME_W x FRAME_H region of a random background (a 4:3 region
 * resized where the background is smaller). */
static pf_status background(eval_rng *r, const image_set *bg, pf_bitmap *out,
                            const char **name)
{
    size_t i = (size_t)(eval_rnd(r) * bg->n);
    const pf_bitmap *s = &bg->bmp[i];
    const char *slash = strrchr(bg->path[i], '/');
    *name = slash ? slash + 1 : bg->path[i];
    double w = FRAME_W, h = FRAME_H;
    int resize = s->width < FRAME_W || s->height < FRAME_H;
    if (resize)
        w = fmin(s->width, s->height * 4.0 / 3.0), h = w * 3.0 / 4.0;
    pf_bitmap crop;
    pf_status st = eval_crop(s, (uint32_t)(eval_rnd(r) * (s->width - w)),
                             (uint32_t)(eval_rnd(r) * (s->height - h)), (uint32_t)w,
                             (uint32_t)h, resize ? &crop : out);
    if (st == PF_OK && resize) {
        st = pf_resize(&crop, FRAME_W, FRAME_H, out);
        pf_bitmap_free(&crop);
    }
    return st;
}

/* The card's quad at the frame's centre: fill share of the frame, turned
 * and in mild perspective. */
static void card_quad(eval_rng *r, double fill, int portrait, double q[4][2])
{
    double lng = sqrt(fill * FRAME_W * FRAME_H * CARD_RATIO), shrt = lng / CARD_RATIO;
    double w = portrait ? shrt : lng, h = portrait ? lng : shrt;
    double tilt = (eval_rnd(r) < 1.0 / 3 ? eval_rnd_in(r, -2, 2) : eval_rnd_in(r, -TILT_MAX, TILT_MAX));
    double a = tilt * 3.14159265358979323846 / 180, c = cos(a), s = sin(a);
    const double base[4][2] = {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2},
                               {-w / 2, h / 2}};
    for (int i = 0; i < 4; i++) {
        double x = base[i][0] + eval_rnd_in(r, -KEYSTONE, KEYSTONE) * shrt;
        double y = base[i][1] + eval_rnd_in(r, -KEYSTONE, KEYSTONE) * shrt;
        q[i][0] = FRAME_W / 2.0 + c * x - s * y;
        q[i][1] = FRAME_H / 2.0 + s * x + c * y;
    }
}

static void bounds(const double q[4][2], double lo[2], double hi[2])
{
    for (int a = 0; a < 2; a++) {
        lo[a] = hi[a] = q[0][a];
        for (int i = 1; i < 4; i++)
            lo[a] = fmin(lo[a], q[i][a]), hi[a] = fmax(hi[a], q[i][a]);
    }
}

/* How far the quad leaves the frame, as a share of its extent across the
 * frame edge it leaves most (negative: how far inside it stays). */
static double overhang(const double q[4][2])
{
    double lo[2], hi[2], size[2] = {FRAME_W, FRAME_H}, out = -1e9;
    bounds(q, lo, hi);
    for (int a = 0; a < 2; a++) {
        double ext = hi[a] - lo[a];
        out = fmax(out, fmax(-lo[a], hi[a] - size[a]) / ext);
    }
    return out;
}

/* Moves the quad along axis a: with want < 0 anywhere keeping INSIDE_MIN
 * of its extent inside; else so that its far (end = 1) or near (end = 0)
 * side leaves the frame by want of its extent. 0 when it cannot fit. */
static int place_axis(eval_rng *r, double q[4][2], int a, int end, double want)
{
    double lo[2], hi[2], size = a ? FRAME_H : FRAME_W, d;
    bounds(q, lo, hi);
    double ext = hi[a] - lo[a];
    if (want < -1) {
        double from = INSIDE_MIN * ext - lo[a], to = size - INSIDE_MIN * ext - hi[a];
        if (to < from)
            return 0;
        d = eval_rnd_in(r, from, to);
    } else {
        d = end ? size + want * ext - hi[a] : -want * ext - lo[a];
    }
    for (int i = 0; i < 4; i++)
        q[i][a] += d;
    return 1;
}

/* Places a card quad for the kind of sample; shrinks it until it fits. */
static void place(eval_rng *r, int kind, double q[4][2])
{
    int side = (int)(eval_rnd(r) * 4), axis = side & 1, end = side >> 1;
    double want = kind == PLACE_GOOD ? -2 : kind == PLACE_BORDER
                ? eval_rnd_in(r, -CUT_SMALL, CUT_SMALL) : eval_rnd_in(r, CUT_CLEAR, 0.35);
    double want2 = kind == PLACE_CORNER ? eval_rnd_in(r, CUT_CLEAR, 0.30) : -2;
    int end2 = eval_rnd(r) < 0.5;
    for (int tries = 0; tries < 40; tries++) {
        int ok = kind == PLACE_GOOD ? place_axis(r, q, 0, 0, -2) & place_axis(r, q, 1, 0, -2)
               : place_axis(r, q, axis, end, want) & place_axis(r, q, !axis, end2, want2);
        if (ok)
            return;
        for (int i = 0; i < 4; i++) /* too big for the frame: shrink */
            q[i][0] = FRAME_W / 2.0 + 0.9 * (q[i][0] - FRAME_W / 2.0),
            q[i][1] = FRAME_H / 2.0 + 0.9 * (q[i][1] - FRAME_H / 2.0);
    }
}

/* Diagnostics: with EVAL_DOC_DUMP=dir, each clear cut card not failed
 * and each good one failed is written there as a PNG (to run a debugging
 * driver on) and at half size with the quad found drawn in red (to look
 * at). */
static void dump_line(pf_bitmap *b, const double p[2], const double q[2])
{
    int n = (int)fmax(fabs(q[0] - p[0]), fabs(q[1] - p[1])) + 1;
    for (int i = 0; i <= n; i++) {
        long x = lround(p[0] + (q[0] - p[0]) * i / n);
        long y = lround(p[1] + (q[1] - p[1]) * i / n);
        if (x >= 0 && y >= 0 && x < (long)b->width && y < (long)b->height) {
            uint8_t *px = b->rgb + ((size_t)y * b->width + (size_t)x) * 3;
            px[0] = 255, px[1] = 0, px[2] = 0;
        }
    }
}

static void dump_png(const pf_bitmap *bmp, const char *base, const char *suffix)
{
    uint8_t *png = NULL;
    size_t len = 0;
    char err[PF_ERR_LEN], path[PF_PATH_LEN];
    snprintf(path, sizeof path, "%.*s%s", PF_PATH_LEN - 16, base, suffix);
    if (pf_png_encode(bmp, &png, &len, err) == PF_OK) {
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(png, 1, len, f);
            fclose(f);
        }
    }
    free(png);
}

static void dump_miss(int half, const eval_job *job, const pf_bitmap *photo)
{
    const char *dir = getenv("EVAL_DOC_DUMP");
    char base[PF_PATH_LEN];
    pf_bitmap small;
    if (!dir || !((job->truth == EVAL_BAD && job->status >= 0 && job->status < 2) ||
                  (job->truth == EVAL_GOOD && job->status == 2)))
        return;
    snprintf(base, sizeof base, "%s/h%d_%s_k%d_%d", dir, half,
             job->truth == EVAL_BAD ? "bad" : "good", job->kind, job->index);
    dump_png(photo, base, ".png");
    memset(&small, 0, sizeof small);
    if (pf_resize(photo, photo->width / 2, photo->height / 2, &small) != PF_OK)
        return;
    for (int i = 0; i < 4 && job->doc.found; i++) {
        const double *c = job->doc.corners[i], *d = job->doc.corners[(i + 1) % 4];
        const double a[2] = {c[0] / 2, c[1] / 2}, b[2] = {d[0] / 2, d[1] / 2};
        dump_line(&small, a, b);
    }
    dump_png(&small, base, "_q.png");
    pf_bitmap_free(&small);
}

/* The synthetic sample job->kind, job->index of half: composed and
 * judged. */
static void run_sample(int half, eval_job *job, const image_set *src,
                       const image_set *bg)
{
    static const char *const kind_names[] = {"inside", "side cut", "corner cut",
                                             "at the edge"};
    eval_rng rs = {0x9E3779B97F4A7C15ull *
              (uint64_t)(1 + half * 4096 + job->kind * 512 + job->index)};
    eval_rng *r = &rs;
    for (int k = 0; k < 4; k++)
        eval_rnd(r);
    pf_bitmap card, back, scaled, photo;
    memset(&scaled, 0, sizeof scaled), memset(&photo, 0, sizeof photo);
    double q[4][2];
    int kind = job->kind, portrait = eval_rnd(r) < 0.2;
    double fill = kind == PLACE_GOOD ? eval_rnd_in(r, 0.15, 0.8) : eval_rnd_in(r, 0.12, 0.6);
    card_quad(r, fill, portrait, q);
    place(r, kind, q);
    double out = overhang(q);
    job->truth = out >= CUT_CLEAR ? EVAL_BAD : out <= -INSIDE_MIN ? EVAL_GOOD
               : EVAL_BORDERLINE;
    job->status = -1;
    snprintf(job->name, sizeof job->name, "card %s #%d, fill %.2f, out %+.3f",
             kind_names[kind], job->index, fill, out);
    const char *back_name = "";
    pf_status st = card_content(r, src, &card);
    if (st == PF_OK && (st = background(r, bg, &back, &back_name)) != PF_OK)
        pf_bitmap_free(&card);
    if (st != PF_OK)
        return;
    size_t len = strlen(job->name);
    snprintf(job->name + len, sizeof job->name - len, " on %.40s", back_name);
    /* the card about the size it will have, so bilinear does not alias */
    double cw = hypot(q[1][0] - q[0][0], q[1][1] - q[0][1]);
    double ch = hypot(q[3][0] - q[0][0], q[3][1] - q[0][1]);
    uint32_t tw = (uint32_t)fmax(8, cw), th = (uint32_t)fmax(8, ch);
    if (portrait) { /* the content upright in a portrait card: turn it */
        uint32_t t = tw;
        tw = th, th = t;
    }
    st = pf_resize(&card, tw, th, &scaled);
    if (st == PF_OK && portrait)
        st = pf_orient_apply(&scaled, 6);
    if (st == PF_OK)
        st = eval_composite(&back, &scaled, q, &photo);
    if (st == PF_OK) { /* eval_check stores it as a q92 JPEG, as a phone would */
        judge(&photo, job);
        dump_miss(half, job, &photo);
    }
    pf_bitmap_free(&card), pf_bitmap_free(&back);
    pf_bitmap_free(&scaled), pf_bitmap_free(&photo);
}

/* What the worker threads share: one half's sets and its jobs. */
typedef struct {
    int half;
    const image_set *src, *bg;
    eval_job *jobs;
    size_t n_jobs, next;
    pthread_mutex_t lock;
} job_queue;

static void *worker(void *arg)
{
    job_queue *qu = arg;
    for (;;) {
        pthread_mutex_lock(&qu->lock);
        size_t i = qu->next++;
        pthread_mutex_unlock(&qu->lock);
        if (i >= qu->n_jobs)
            break;
        eval_job *j = &qu->jobs[i];
        if (j->kind < 0)
            judge(j->real, j);
        else
            run_sample(qu->half, j, qu->src, qu->bg);
    }
    return NULL;
}

/* Runs the queue's jobs on EVAL_THREADS threads (the calling one too). */
static void run_jobs(job_queue *qu)
{
    pthread_t th[EVAL_THREADS];
    int started = 0;
    pthread_mutex_init(&qu->lock, NULL);
    for (int t = 1; t < EVAL_THREADS; t++)
        if (pthread_create(&th[started], NULL, worker, qu) == 0)
            started++;
    worker(qu);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&qu->lock);
}

/* The synthetic jobs of a half into jobs (N_SYNTH of them). */
static size_t synthetic_jobs(eval_job *jobs)
{
    const int count[4] = {N_GOOD, N_BAD / 2 + N_BAD / 4, N_BAD / 4, N_BORDER};
    size_t n = 0;
    for (int kind = 0; kind < 4; kind++)
        for (int i = 0; i < count[kind]; i++) {
            memset(&jobs[n], 0, sizeof jobs[n]);
            jobs[n].kind = kind, jobs[n].index = i;
            n++;
        }
    return n;
}

/* Card sources (docphotos and scans as one list) and backgrounds. */
typedef struct {
    image_set docs, scans, bg, real_docs, real_scans;
    pf_bitmap *all;
    image_set src;
} half_sets;

/* A wood-grain table with nothing on it (tu_card_scene with its card far
 * outside the frame), FRAME_W x FRAME_H, the grain across (turn 0) or
 * along (turn 1) the frame: the wallpapers have no table whose grain
 * lines a finder could take for a card's side. */
static pf_status table(unsigned seed, int turn, pf_bitmap *out)
{
    static const double away[4][2] = {{-9000, -9000}, {-8000, -9000},
                                      {-8000, -8000}, {-9000, -8000}};
    uint32_t side = turn ? FRAME_W : FRAME_H;
    pf_bitmap full = {FRAME_W, side, tu_card_scene(FRAME_W, side, away, 0, seed)};
    if (!full.rgb)
        return PF_ERR_NOMEM;
    pf_status st = turn ? pf_orient_apply(&full, 6) : PF_OK;
    if (st == PF_OK)
        st = eval_crop(&full, 0, 0, FRAME_W, FRAME_H, out);
    pf_bitmap_free(&full);
    return st;
}

/* Adds N_TABLES tables to the backgrounds (their own per half). */
static void add_tables(int half, image_set *bg)
{
    size_t n = bg->n + N_TABLES;
    char **path = realloc(bg->path, n * sizeof *path);
    if (path)
        bg->path = path;
    pf_bitmap *bmp = path ? realloc(bg->bmp, n * sizeof *bmp) : NULL;
    if (!bmp)
        return;
    bg->bmp = bmp;
    for (int t = 0; t < N_TABLES; t++) {
        char name[64];
        snprintf(name, sizeof name, "table %d of half %d", t, half);
        if (table((unsigned)(100 * half + t + 1), t & 1, &bg->bmp[bg->n]) != PF_OK)
            continue;
        if (!(bg->path[bg->n] = strdup(name))) {
            pf_bitmap_free(&bg->bmp[bg->n]);
            continue;
        }
        bg->n++;
    }
}

static int load_sets(const char *corpus, int half, half_sets *s)
{
    memset(s, 0, sizeof *s);
    load_half(corpus, "docphotos", half, SOURCE_LONG, &s->docs);
    load_half(corpus, "scans", half, SOURCE_LONG, &s->scans);
    load_half(corpus, "photos/debian-lomiri-wallpapers", half, BACK_LONG, &s->bg);
    add_tables(half, &s->bg);
    load_half(corpus, "docphotos", half, 0, &s->real_docs);
    load_half(corpus, "scans", half, 0, &s->real_scans);
    s->all = calloc(s->docs.n + s->scans.n + 1, sizeof *s->all);
    if (!s->all)
        return 0;
    memcpy(s->all, s->docs.bmp, s->docs.n * sizeof *s->all);
    memcpy(s->all + s->docs.n, s->scans.bmp, s->scans.n * sizeof *s->all);
    s->src.bmp = s->all, s->src.n = s->docs.n + s->scans.n;
    return s->bg.n && s->src.n;
}

static void free_sets(half_sets *s)
{
    free(s->all);
    set_free(&s->docs), set_free(&s->scans), set_free(&s->bg);
    set_free(&s->real_docs), set_free(&s->real_scans);
}

/* 1 when the half's targets hold and every scan passed. */
static int print_half(run_state *rs)
{
    int met = eval_print(stdout, &rs->table, rs->half_name);
    printf("  real pages with their border inside found and not failed: %u of %u\n"
           "  real scans passed: %u of %u\n"
           "  stands out (fix may crop): border_inside=yes %u of %u found; "
           "border_inside=no %u of %u found\n"
           "  inner boxes fix would crop to:%s\n"
           "  pf_find_document_ex: %.1f ms per 1600x1200 card photo (%u), "
           "%.1f ms per real image (%u, as stored)\n",
           rs->real_found, rs->real_inside, rs->scans_passed, rs->scans,
           rs->yes_stand, rs->yes_found, rs->no_stand, rs->no_found,
           rs->cropped[0] ? rs->cropped : " none",
           rs->n_synth ? rs->ms_synth / rs->n_synth : 0.0, rs->n_synth,
           rs->n_real ? rs->ms_real / rs->n_real : 0.0, rs->n_real);
    return met && rs->scans_passed == rs->scans;
}

/* One half: every job run, then counted in order. 1 when its targets
 * hold and every scan passed. */
static int run_half(const char *corpus, int half, int verbose)
{
    half_sets s;
    run_state rs;
    memset(&rs, 0, sizeof rs);
    rs.table.check = "document-complete";
    rs.verbose = verbose;
    rs.half_name = half ? "test" : "tuning";
    int have = load_sets(corpus, half, &s);
    size_t cap = N_SYNTH + s.real_docs.n + s.real_scans.n, n = 0;
    job_queue qu = {half, &s.src, &s.bg, calloc(cap, sizeof(eval_job)), 0, 0,
                    PTHREAD_MUTEX_INITIALIZER};
    if (qu.jobs) {
        if (have)
            n += synthetic_jobs(qu.jobs);
        else
            printf("  (half %d: no card sources or backgrounds; synthetic set "
                   "skipped)\n", half);
        n += real_jobs(corpus, &s.real_docs, 0, qu.jobs + n);
        n += real_jobs(corpus, &s.real_scans, 1, qu.jobs + n);
        qu.n_jobs = n;
        run_jobs(&qu);
    }
    if (verbose)
        printf("\n%s half:\n", rs.half_name);
    for (size_t i = 0; i < n; i++) {
        record(&rs, &qu.jobs[i]);
        if (qu.jobs[i].kind < 0)
            count_real(&rs, &qu.jobs[i]);
    }
    int met = qu.jobs && print_half(&rs);
    free(qu.jobs);
    free_sets(&s);
    return met;
}

int eval_document(const char *corpus, int verbose)
{
    printf("\n== document-complete: synthetic ID cards on real photos, real "
           "document photos and scans (judged by the library, \"wechat\")\n");
    run_half(corpus, 0, verbose);
    return run_half(corpus, 1, verbose);
}
