/* The face detector's evaluation (part of make eval): how many faces
 * pf_detect_faces finds (0 / 1 / 2+) against the count labelled by hand in
 * corpus/people/labels.tsv (real photos nobody here made), plus controlled
 * cases generated from the labelled single-face portraits: two portraits
 * side by side, a portrait cropped through the face, crops of a
 * portrait's background and document scans (no face), and portraits shrunk
 * into a large plain frame (the smallest face found). Each case belongs to
 * the half of its source file (eval_half). The working size, the
 * upsampling and the score threshold are chosen on the tuning half by a
 * cost in which failing a good portrait (0 or 2+ faces found) weighs three
 * times a face-check fault let through; the test half is then reported. */
#include "eval.h"
#include "measure/face.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int eval_face(const char *corpus, int verbose);

/* The kinds of case; their rows in the tables. */
enum {
    K_REAL0,   /* real, labelled 0 faces */
    K_GOOD,    /* real, 1 face, frontal, uncovered, not cut: a good portrait */
    K_OTHER1,  /* real, 1 face, but turned, covered or cut */
    K_REAL2,   /* real, 2+ faces */
    K_PAIR,    /* generated: two portraits side by side */
    K_CUT,     /* generated: a portrait cropped through the face */
    K_BACK,    /* generated: a crop of a portrait's background */
    K_DOC,     /* a document scan or photo (no face) */
    K_KINDS
};
static const char *const kind_name[K_KINDS] = {
    "0: real photo", "1: good portrait", "1: turned/covered/cut", "2+: real photo",
    "2: two portraits", "1: cut by the edge", "0: background crop", "0: document"};
static const int kind_truth[K_KINDS] = {0, 1, 1, 2, 2, 1, 0, 0};

#define MAX_CASES 400
#define N_SHARES 7
static const double shares[N_SHARES] = {0.05, 0.075, 0.10, 0.125, 0.15, 0.20, 0.25};
#define SMALL_W 900
#define SMALL_H 1200

typedef struct {
    pf_bitmap bmp;
    int kind, half;
    double share;   /* small-face cases: face height / picture height */
    char name[512];
} face_case;

typedef struct {
    face_case *c;
    size_t n;
    face_case *small;  /* the shrunk-into-a-frame portraits */
    size_t n_small;
} case_set;

/* One configuration's detections on every case. */
#define LOW_SCORE (-0.6)   /* detect down to this, then filter */
typedef struct {
    uint32_t work_long, work_high, upsample_below;
    int *n;             /* boxes per case (after the max) */
    pf_face_box (*box)[8];
    int *n_small;
    pf_face_box (*box_small)[8];
    double ms;          /* mean ms per real photo */
} face_run;

static void add_case(case_set *s, pf_bitmap *bmp, int kind, int half,
                     const char *name)
{
    if (s->n == MAX_CASES) {
        pf_bitmap_free(bmp);
        return;
    }
    face_case *c = &s->c[s->n++];
    c->bmp = *bmp;
    c->kind = kind;
    c->half = half;
    c->share = 0;
    snprintf(c->name, sizeof c->name, "%.500s", name);
    memset(bmp, 0, sizeof *bmp);
}

/* The one face a high-resolution reference run finds (the face's position
 * for the generated cases: not a label, but dlib at 1024 px, upsampled,
 * on portraits labelled as one frontal face). 0 when not exactly one. */
static int reference_face(const pf_bitmap *bmp, pf_face_box *face)
{
    pf_face_box f[4];
    int n = 0;
    char err[PF_ERR_LEN];
    if (pf_detect_faces_with(bmp, 1024, 1024, 512, 0.0, f, 4, &n, err) != PF_OK || n != 1)
        return 0;
    *face = f[0];
    return face->w > 16;
}

static pf_status scaled(const pf_bitmap *in, double k, pf_bitmap *out)
{
    uint32_t w = (uint32_t)lround(in->width * k), h = (uint32_t)lround(in->height * k);
    return pf_resize(in, w ? w : 1, h ? h : 1, out);
}

static void blit(pf_bitmap *dst, const pf_bitmap *src, long x0, long y0)
{
    for (uint32_t y = 0; y < src->height; y++) {
        long dy = y0 + (long)y;
        if (dy < 0 || dy >= (long)dst->height)
            continue;
        for (uint32_t x = 0; x < src->width; x++) {
            long dx = x0 + (long)x;
            if (dx < 0 || dx >= (long)dst->width)
                continue;
            memcpy(dst->rgb + ((size_t)dy * dst->width + (size_t)dx) * 3,
                   src->rgb + ((size_t)y * src->width + x) * 3, 3);
        }
    }
}

/* Two portraits at the same height (600 px) side by side. */
static void make_pair(case_set *s, const pf_bitmap *a, const pf_bitmap *b,
                      int half, const char *name)
{
    pf_bitmap sa, sb, out;
    if (scaled(a, 600.0 / a->height, &sa) != PF_OK)
        return;
    if (scaled(b, 600.0 / b->height, &sb) != PF_OK) {
        pf_bitmap_free(&sa);
        return;
    }
    if (pf_bitmap_alloc(&out, sa.width + sb.width, 600) == PF_OK) {
        blit(&out, &sa, 0, 0);
        blit(&out, &sb, (long)sa.width, 0);
        add_case(s, &out, K_PAIR, half, name);
    }
    pf_bitmap_free(&sa);
    pf_bitmap_free(&sb);
}

/* The portrait cropped so an edge runs through the face, cutting off
 * 35..60% of it, on the side chosen by the source's stream. */
static void make_cut(case_set *s, const pf_bitmap *bmp, const pf_face_box *f,
                     int half, const char *name)
{
    eval_rng rng = eval_rng_for(name);
    double cut = eval_rnd_in(&rng, 0.35, 0.6);
    int side = (int)(eval_rnd(&rng) * 3);   /* 0 left, 1 right, 2 top */
    double x0 = 0, y0 = 0, x1 = bmp->width, y1 = bmp->height;
    if (side == 0)
        x0 = f->x + cut * f->w;
    else if (side == 1)
        x1 = f->x + (1 - cut) * f->w;
    else
        y0 = f->y + cut * f->h;
    if (x0 < 0 || y0 < 0 || x1 > bmp->width || x1 - x0 < 32 || y1 - y0 < 32)
        return;
    pf_bitmap out;
    if (eval_crop(bmp, (uint32_t)x0, (uint32_t)y0, (uint32_t)(x1 - x0),
                  (uint32_t)(y1 - y0), &out) == PF_OK)
        add_case(s, &out, K_CUT, half, name);
}

/* The widest strip beside the face (with a margin of half a face), when
 * it is at least a fifth of the picture wide: background, shoulders,
 * no face. */
static void make_background(case_set *s, const pf_bitmap *bmp,
                            const pf_face_box *f, int half, const char *name)
{
    double left = f->x - 0.5 * f->w, right = f->x + 1.5 * f->w;
    double wl = left, wr = bmp->width - right;
    pf_bitmap out;
    if (wl >= wr && wl >= bmp->width * 0.2) {
        if (eval_crop(bmp, 0, 0, (uint32_t)wl, bmp->height, &out) == PF_OK)
            add_case(s, &out, K_BACK, half, name);
    } else if (wr > wl && wr >= bmp->width * 0.2) {
        if (eval_crop(bmp, (uint32_t)right, 0, (uint32_t)wr, bmp->height, &out) == PF_OK)
            add_case(s, &out, K_BACK, half, name);
    }
}

/* The portrait scaled so its face is share of a 900 x 1200 plain light
 * frame's height, face centred. */
static void make_small(case_set *s, const pf_bitmap *bmp, const pf_face_box *f,
                       int half, const char *name)
{
    for (int i = 0; i < N_SHARES; i++) {
        double k = shares[i] * SMALL_H / f->h;
        pf_bitmap sc, out;
        if (k > 1.0 || scaled(bmp, k, &sc) != PF_OK)
            continue;
        if (pf_bitmap_alloc(&out, SMALL_W, SMALL_H) != PF_OK) {
            pf_bitmap_free(&sc);
            continue;
        }
        memset(out.rgb, 236, (size_t)SMALL_W * SMALL_H * 3);
        long x0 = lround(SMALL_W / 2.0 - (f->x + f->w / 2) * k);
        long y0 = lround(SMALL_H / 2.0 - (f->y + f->h / 2) * k);
        /* Keep the picture inside the frame where it fits. */
        if (sc.width <= SMALL_W)
            x0 = x0 < 0 ? 0 : x0 + (long)sc.width > SMALL_W ? SMALL_W - (long)sc.width : x0;
        if (sc.height <= SMALL_H)
            y0 = y0 < 0 ? 0 : y0 + (long)sc.height > SMALL_H ? SMALL_H - (long)sc.height : y0;
        blit(&out, &sc, x0, y0);
        pf_bitmap_free(&sc);
        face_case *c = &s->small[s->n_small++];
        c->bmp = out;
        c->kind = K_GOOD;
        c->half = half;
        c->share = shares[i];
        snprintf(c->name, sizeof c->name, "%.400s@%.3f", name, shares[i]);
    }
}

static int load_set(const char *corpus, case_set *s)
{
    char path[PF_PATH_LEN], line[1024];
    snprintf(path, sizeof path, "%s/people/labels.tsv", corpus);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    s->c = calloc(MAX_CASES, sizeof *s->c);
    s->small = calloc(MAX_CASES * N_SHARES, sizeof *s->small);
    /* Good portraits with their reference face, for the generated cases. */
    int good_idx[MAX_CASES];
    pf_face_box good_face[MAX_CASES];
    int n_good = 0;
    while (fgets(line, sizeof line, f)) {
        char file[512], faces[8], frontal[8], covered[8], cutb[8];
        if (strncmp(line, "file", 4) == 0 ||
            sscanf(line, "%511[^\t]\t%7[^\t]\t%7[^\t]\t%7[^\t]\t%7[^\t]", file, faces,
                   frontal, covered, cutb) != 5)
            continue;
        pf_bitmap bmp;
        snprintf(path, sizeof path, "%s/%s", corpus, file);
        /* 1600 px is enough: the detector works at <= 640 px. */
        if (eval_load(path, 1600, &bmp) != 0) {
            fprintf(stderr, "face eval: cannot load %s\n", path);
            continue;
        }
        int n = strcmp(faces, "0") == 0 ? 0 : strcmp(faces, "1") == 0 ? 1 : 2;
        int good = n == 1 && strcmp(frontal, "yes") == 0 &&
                   strcmp(covered, "no") == 0 && strcmp(cutb, "no") == 0;
        int kind = n == 0 ? K_REAL0 : n == 2 ? K_REAL2 : good ? K_GOOD : K_OTHER1;
        size_t at = s->n;
        add_case(s, &bmp, kind, eval_half(file), file);
        pf_face_box ref;
        if (good && s->n > at && reference_face(&s->c[at].bmp, &ref)) {
            good_idx[n_good] = (int)at;
            good_face[n_good++] = ref;
        }
    }
    fclose(f);
    /* Generated cases from the good portraits. */
    size_t n_real = s->n;
    (void)n_real;
    for (int g = 0; g < n_good; g++) {
        const face_case *src = &s->c[good_idx[g]];
        pf_bitmap copy = src->bmp;   /* borrowed: the cases never free it here */
        char name[512];
        snprintf(name, sizeof name, "cut:%.200s", src->name);
        make_cut(s, &copy, &good_face[g], src->half, name);
        snprintf(name, sizeof name, "background:%.200s", src->name);
        make_background(s, &s->c[good_idx[g]].bmp, &good_face[g], src->half, name);
        make_small(s, &s->c[good_idx[g]].bmp, &good_face[g], src->half, src->name);
        /* Pair with the next good portrait of the same half. */
        for (int h = g + 1; h < n_good; h++) {
            const face_case *b = &s->c[good_idx[h]];
            if (b->half == src->half) {
                snprintf(name, sizeof name, "pair:%.200s+%.200s", src->name, b->name);
                make_pair(s, &s->c[good_idx[g]].bmp, &b->bmp, src->half, name);
                break;
            }
        }
    }
    /* Documents: scans and phone photos of documents, no face. */
    const char *subs[] = {"scans", "docphotos"};
    for (int d = 0; d < 2; d++) {
        char **paths;
        size_t np = eval_list(corpus, subs[d], &paths);
        size_t step = np / 15 + 1;   /* about 15 from each */
        for (size_t i = 0; i < np; i += step) {
            pf_bitmap bmp;
            const char *rel = paths[i] + strlen(corpus) + 1;
            if (eval_load(paths[i], 1600, &bmp) == 0)
                add_case(s, &bmp, K_DOC, eval_half(rel), rel);
        }
        eval_free_list(paths, np);
    }
    return 0;
}

static void free_set(case_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        pf_bitmap_free(&s->c[i].bmp);
    for (size_t i = 0; i < s->n_small; i++)
        pf_bitmap_free(&s->small[i].bmp);
    free(s->c);
    free(s->small);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void run_config(const case_set *s, face_run *r)
{
    char err[PF_ERR_LEN];
    double total = 0;
    unsigned timed = 0;
    r->n = calloc(s->n, sizeof *r->n);
    r->box = calloc(s->n, sizeof *r->box);
    r->n_small = calloc(s->n_small, sizeof *r->n_small);
    r->box_small = calloc(s->n_small, sizeof *r->box_small);
    for (size_t i = 0; i < s->n; i++) {
        double t0 = now_ms();
        if (pf_detect_faces_with(&s->c[i].bmp, r->work_long, r->work_high, r->upsample_below,
                                 LOW_SCORE, r->box[i], 8, &r->n[i], err) != PF_OK)
            fprintf(stderr, "face eval: %s: %s\n", s->c[i].name, err);
        if (s->c[i].kind <= K_REAL2) {
            total += now_ms() - t0;
            timed++;
        }
    }
    for (size_t i = 0; i < s->n_small; i++)
        if (pf_detect_faces_with(&s->small[i].bmp, r->work_long, r->work_high,
                                 r->upsample_below,
                                 LOW_SCORE, r->box_small[i], 8, &r->n_small[i],
                                 err) != PF_OK)
            fprintf(stderr, "face eval: %s: %s\n", s->small[i].name, err);
    r->ms = timed ? total / timed : 0;
}

static void free_run(face_run *r)
{
    free(r->n);
    free(r->box);
    free(r->n_small);
    free(r->box_small);
}

/* Faces found at or above min_score: 0, 1 or 2 (2+). */
static int found(const pf_face_box *b, int n, double min_score)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += b[i].score >= min_score;
    return k > 2 ? 2 : k;
}

/* table[kind][found] on one half. */
static void tabulate(const case_set *s, const face_run *r, double t, int half,
                     unsigned table[K_KINDS][3])
{
    memset(table, 0, sizeof(unsigned[K_KINDS][3]));
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i].half == half)
            table[s->c[i].kind][found(r->box[i], r->n[i], t)]++;
}

/* What a face check would make of the counts: a good portrait with 0 or
 * 2+ faces found is failed (weight 3); a case with no face, or two, judged
 * as one face, is a fault let through (weight 1). The cut portraits are
 * left to the edge test of the face check (not counted). */
static double cost(unsigned t[K_KINDS][3])
{
    return 3.0 * (t[K_GOOD][0] + t[K_GOOD][2]) + 1.0 * (t[K_REAL0][1] + t[K_REAL0][2]) +
           t[K_BACK][1] + t[K_BACK][2] + t[K_DOC][1] + t[K_DOC][2] + t[K_REAL2][1] +
           t[K_PAIR][1] + 0.5 * t[K_OTHER1][2];
}

/* Share of the small-face cases of one half and share found (a box whose
 * centre lies within the face's expected place, near the frame's centre
 * or anywhere when the frame is full). */
static void small_rates(const case_set *s, const face_run *r, double t, int half,
                        unsigned hit[N_SHARES], unsigned all[N_SHARES])
{
    memset(hit, 0, sizeof(unsigned[N_SHARES]));
    memset(all, 0, sizeof(unsigned[N_SHARES]));
    for (size_t i = 0; i < s->n_small; i++) {
        if (s->small[i].half != half)
            continue;
        int k = 0;
        while (k < N_SHARES && fabs(shares[k] - s->small[i].share) > 1e-9)
            k++;
        if (k == N_SHARES)
            continue;
        all[k]++;
        hit[k] += found(r->box_small[i], r->n_small[i], t) >= 1;
    }
}

static void print_table(unsigned t[K_KINDS][3], const char *title)
{
    printf("\n%s\n  %-26s %5s %5s %5s\n", title, "truth (faces: source)", "0", "1", "2+");
    for (int k = 0; k < K_KINDS; k++)
        printf("  %-26s %5u %5u %5u\n", kind_name[k], t[k][0], t[k][1], t[k][2]);
    unsigned good = t[K_GOOD][0] + t[K_GOOD][1] + t[K_GOOD][2];
    unsigned none = 0, none_fp = 0;
    for (int k = 0; k < K_KINDS; k++)
        if (kind_truth[k] == 0)
            none += t[k][0] + t[k][1] + t[k][2], none_fp += t[k][1] + t[k][2];
    unsigned two = t[K_REAL2][0] + t[K_REAL2][1] + t[K_REAL2][2] + t[K_PAIR][0] +
                   t[K_PAIR][1] + t[K_PAIR][2];
    printf("  good portraits with exactly one face found: %u/%u (%.1f%%); "
           "no-face pictures with a face found: %u/%u (%.1f%%); "
           "two or more faces found on 2+ pictures: %u/%u\n",
           t[K_GOOD][1], good, good ? 100.0 * t[K_GOOD][1] / good : 0, none_fp, none,
           none ? 100.0 * none_fp / none : 0, t[K_REAL2][2] + t[K_PAIR][2], two);
}

int eval_face(const char *corpus, int verbose)
{
    case_set s;
    memset(&s, 0, sizeof s);
    if (load_set(corpus, &s) != 0 || s.n == 0) {
        printf("\nface detector: no corpus/people/labels.tsv; skipped\n");
        free_set(&s);
        return 1;
    }
    /* Upsampling small pictures (long side <= half the working size) never
     * cost more on the tuning half at any size or threshold (measured with
     * and without: 320-640 px), so every size is tried with it. Sizes
     * stop at 800 px (~45 ms a photo); 560 px (cost 7) was dropped to save
     * time. */
    static const uint32_t longs[] = {320, 400, 480, 640, 800, 800, 800};
    static const uint32_t highs[] = {320, 400, 480, 640, 800, 600, 520};
    static const double thresholds[] = {-0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6};
    enum { NL = 7, NT = 7 };
    face_run runs[NL][1];
    printf("\nFace detector (dlib HOG, frontal): %zu cases (%zu small-face)\n"
           "tuning half: cost (3 x good portrait failed + 1 x fault judged one face) "
           "by working size, upsampling, min score; ms per real photo\n", s.n, s.n_small);
    double best = 1e30;
    int bl = 0, bu = 0, bt = 0;
    for (int l = 0; l < NL; l++)
        for (int u = 0; u < 1; u++) {
            face_run *r = &runs[l][u];
            r->work_long = longs[l];
            r->work_high = highs[l];
            r->upsample_below = longs[l] / 2;
            run_config(&s, r);
            printf("  %4u px (high %4u), upsample <= %3u px, %6.1f ms:", r->work_long,
                   r->work_high, r->upsample_below, r->ms);
            for (int t = 0; t < NT; t++) {
                unsigned tab[K_KINDS][3];
                tabulate(&s, r, thresholds[t], 0, tab);
                double c = cost(tab);
                printf(" %+.1f:%-4.1f", thresholds[t], c);
                /* Ties: the cheaper configuration (smaller, no upsampling),
                 * then the threshold nearest dlib's own. */
                if (c < best - 1e-9 ||
                    (fabs(c - best) < 1e-9 && fabs(thresholds[t]) < fabs(thresholds[bt]) &&
                     l == bl && u == bu)) {
                    best = c, bl = l, bu = u, bt = t;
                }
            }
            printf("\n");
        }
    face_run *r = &runs[bl][bu];
    double t = thresholds[bt];
    printf("chosen on the tuning half: %u px, upsample when the long side <= %u px, "
           "min score %+.1f (cost %.1f); built in: %u px, <= %u px, %+.1f\n",
           r->work_long, r->upsample_below, t, best, PF_FACE_WORK_LONG,
           PF_FACE_UPSAMPLE_BELOW, PF_FACE_MIN_SCORE);
    /* What pf_detect_faces ships with is reported, whatever was chosen. */
    face_run *built = r;
    for (int l = 0; l < NL; l++)
        if (runs[l][0].work_long == PF_FACE_WORK_LONG &&
            runs[l][0].work_high == PF_FACE_WORK_HIGH &&
            runs[l][0].upsample_below == PF_FACE_UPSAMPLE_BELOW)
            built = &runs[l][0];
    double bt_score = PF_FACE_MIN_SCORE;
    unsigned tab[K_KINDS][3];
    tabulate(&s, built, bt_score, 0, tab);
    char title[200];
    snprintf(title, sizeof title, "faces found by pf_detect_faces (%u px), tuning half",
             built->work_long);
    print_table(tab, title);
    tabulate(&s, built, bt_score, 1, tab);
    snprintf(title, sizeof title, "faces found by pf_detect_faces (%u px), TEST half "
             "(%.1f ms per real photo)", built->work_long, built->ms);
    print_table(tab, title);
    int ok = 100.0 * tab[K_GOOD][1] >= 90.0 * (tab[K_GOOD][0] + tab[K_GOOD][1] + tab[K_GOOD][2]);
    printf("  target: >= 90%% of good portraits with exactly one face: %s\n",
           ok ? "met" : "MISSED");

    /* The smallest face: share of the picture height (900 x 1200 frame). */
    printf("\nsmallest face found (face box height / picture height, portrait in a "
           "900x1200 frame; found / cases, both halves)\n  %-24s", "working size");
    for (int k = 0; k < N_SHARES; k++)
        printf(" %6.3f", shares[k]);
    printf("\n");
    for (int l = 0; l < NL; l++)
        for (int u = 0; u < 1; u++) {
            unsigned hit[N_SHARES], all[N_SHARES], h2[N_SHARES], a2[N_SHARES];
            small_rates(&s, &runs[l][u], bt_score, 0, hit, all);
            small_rates(&s, &runs[l][u], bt_score, 1, h2, a2);
            printf("  %4u/%4u px%-15s", runs[l][u].work_long, runs[l][u].work_high,
                   &runs[l][u] == built ? " (built in)" : "");
            for (int k = 0; k < N_SHARES; k++)
                printf(" %2u/%-3u", hit[k] + h2[k], all[k] + a2[k]);
            printf("\n");
        }
    {
        unsigned hit[N_SHARES], all[N_SHARES], h2[N_SHARES], a2[N_SHARES];
        small_rates(&s, built, bt_score, 0, hit, all);
        small_rates(&s, built, bt_score, 1, h2, a2);
        int k = N_SHARES;
        while (k > 0 && 10 * (hit[k - 1] + h2[k - 1]) >= 9 * (all[k - 1] + a2[k - 1]))
            k--;
        if (k < N_SHARES)
            printf("  smallest face found in >= 90%% at %u px: %.3f of the picture's height "
                   "(%.0f px of the working copy's height; built in: %.3f, %d px)\n",
                   built->work_long, shares[k], shares[k] * built->work_high,
                   PF_FACE_MIN_HEIGHT_SHARE, PF_FACE_MIN_WORK_PX);
    }
    if (verbose)
        for (size_t i = 0; i < s.n; i++)
            printf("  face %s %-22s found %d (%s)\n", s.c[i].half ? "test" : "tune",
                   kind_name[s.c[i].kind], found(built->box[i], built->n[i], bt_score),
                   s.c[i].name);
    for (int l = 0; l < NL; l++)
        free_run(&runs[l][0]);
    free_set(&s);
    return ok;
}
