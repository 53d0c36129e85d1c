/* Finds (nearly) the highest JPEG quality whose file fits the byte budget,
 * in few encodes. Under a byte cap the trials quantize with RDO
 * (jpeg_rdo.c), and their qualities are planned on counted sizes
 * (pf_jpeg_rdo_estimate, a twentieth of a real trial), which each real
 * file recalibrates. Real trials run in rounds of two, one aimed just
 * under the budget and one a little lower in case the aim was off, encoded
 * side by side on two threads: one round is usually all it takes. Without
 * RDO (only a minimum to reach) each trial's next quality is interpolated
 * on log(size) between the closest trials that fit and that do not,
 * rather than bisected blind. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRIALS 10
#define FIRST_GUESS 85.0  /* typical for a document photo under 200 KB */
#define MIN_STEP 0.1      /* closer qualities give (nearly) the same tables */
#define DEFAULT_SLOPE 0.045 /* log-size per quality step near 85 (measured) */
#define WIDE_SPAN 30.0    /* the first estimates: 85 and 55 */
#define SPARE_BYTES 0.9   /* below this share of the budget, bytes are spare */
#define FULL_CHROMA_MIN_Q 90.0
#define AIM_HIGH 0.993    /* the round's first trial: this share of max_bytes */
#define AIM_LOW 0.975     /* its second: fits even when the first was optimistic */
#define AIM_INSIDE 0.982  /* the second, once a fit and an overshoot bracket it */
/* A progressive file over the counted size of a sequential one with the
 * same blocks, before a real file says: 0.97-1.03 on the 16 bench photos
 * at q84-86, most within 0.99-1.01 (one smooth photo 1.08, at 4:4:4
 * 1.05-1.07). The first real round's two trials assume PRIOR_LOW and
 * PRIOR_HIGH (0.985/1.01 instead: the search 8% slower, in-process,
 * median per photo of 5 runs). */
#define PRIOR_RATIO 1.0
#define PRIOR_LOW 0.995
#define PRIOR_HIGH 1.015
/* Estimates stop once one is within CLOSE (in log size) of an aim, or two
 * BRACKET_WIDTH apart bracket it; else after ESTIMATE_ROUNDS. */
#define CLOSE 0.003
#define BRACKET_WIDTH 0.5
#define ESTIMATE_ROUNDS 5
#define HALVED_BRACKET 3.0 /* wider, and its middle is no closer */
#define CALIBRATED_ROUNDS 3

typedef struct {
    uint8_t *data;           /* NULL for an estimate */
    size_t len;
    double quality;
    double estimate;         /* the counted size of its blocks (RDO trials) */
} trial;

/* Estimates made so far (quality, counted bytes), re-read whenever a real
 * file recalibrates what they predict: at most 2 + 2 x ESTIMATE_ROUNDS a
 * round and the round's two files, over CALIBRATED_ROUNDS rounds. */
#define MAX_POINTS (2 + (2 * ESTIMATE_ROUNDS + 2) * CALIBRATED_ROUNDS)
typedef struct {
    double quality[MAX_POINTS], estimate[MAX_POINTS];
    int n;
} estimate_points;

typedef struct {
    uint64_t max_bytes, min_bytes;
    double lo, hi;           /* allowed quality range */
    trial best;              /* highest-quality trial that fits */
    double over_q;           /* lowest quality found too big (hi + 1: none) */
    size_t over_len;
    double under_q;          /* highest quality found too small (lo - 1: none) */
    size_t smallest, largest;
    double slope;            /* d log(size) / d quality, learnt as we go */
    int slope_learnt;        /* from trials, not the default */
    double last_q;           /* the previous trial, to learn the slope */
    size_t last_len;
    double good_enough;      /* share of max_bytes that ends the search */
    int full_chroma;         /* 4:4:4 instead of 4:2:0 */
    int best_full;           /* best (or the last resort tried) is 4:4:4 */
    int max_trials;
    int threads;             /* >= 2: a round's trials side by side */
    pf_jpeg_coefs *coefs;    /* the picture's DCT: trials quantize with RDO */
} search;

/* A file that fits has been made. */
static int has_best(const search *s)
{
    return s->best.data != NULL;
}

static int fits(const search *s, size_t len)
{
    return (s->max_bytes == 0 || len <= s->max_bytes) && len >= s->min_bytes;
}

static int good_enough(const search *s)
{
    if (!has_best(s))
        return 0;
    if (s->best.quality >= s->hi - MIN_STEP || s->over_q - s->best.quality < MIN_STEP)
        return 1;
    return s->max_bytes && s->best.len >= s->good_enough * (double)s->max_bytes;
}

/* Records a trial; keeps its data only if it is the best fit so far. */
static void record(search *s, trial *t)
{
    double dq = t->quality - s->last_q;
    if (s->last_len && t->len != s->last_len && fabs(dq) >= MIN_STEP) {
        double slope = (log((double)t->len) - log((double)s->last_len)) / dq;
        /* Sane (sizes grow with quality) and within 2x of what was known:
         * near q90 sizes move in plateaus and 2-3% jumps, and a slope
         * from two trials a fraction of a step apart is mostly that (0.006
         * or 0.13 against 0.05 over a wider span sent the next trial far
         * off: a round lost). The default is only a start: replaced by
         * the first sane slope measured. */
        if (slope > 0.005 && slope < 0.5 &&
            (!s->slope_learnt || (slope >= s->slope / 2 && slope <= s->slope * 2)))
            s->slope = slope, s->slope_learnt = 1;
    }
    s->last_q = t->quality, s->last_len = t->len;
    if (t->len < s->smallest) s->smallest = t->len;
    if (t->len > s->largest) s->largest = t->len;
    if (fits(s, t->len) && (!has_best(s) || t->quality > s->best.quality)) {
        free(s->best.data);
        s->best = *t;
        t->data = NULL;
        return;
    }
    if (s->max_bytes && t->len > s->max_bytes && t->quality < s->over_q)
        s->over_q = t->quality, s->over_len = t->len;
    if (t->len < s->min_bytes && t->quality > s->under_q)
        s->under_q = t->quality;
    free(t->data);
    t->data = NULL;
}

/* q kept strictly between the best fit and the lowest overshoot found so
 * far (else the allowed range), to hundredths: a trial outside would only
 * repeat what is known. */
static double inside_known(const search *s, double q)
{
    double floor_q = has_best(s) ? s->best.quality + MIN_STEP / 2 : s->lo;
    double ceil_q = s->over_q <= s->hi ? s->over_q - MIN_STEP / 2 : s->hi;
    if (q < floor_q) q = floor_q;
    if (q > ceil_q) q = ceil_q;
    return round(q * 100) / 100;
}

/* Where log(size) crosses log(target): interpolated between a fitting and
 * an oversize trial, else extrapolated from one of them with the slope. */
static double next_quality(const search *s, double aim)
{
    double target = log(aim * (double)s->max_bytes);
    double q;
    if (has_best(s) && s->over_q <= s->hi) {
        double l0 = log((double)s->best.len), l1 = log((double)s->over_len);
        double f = l1 > l0 ? (target - l0) / (l1 - l0) : 0.5;
        q = s->best.quality + (s->over_q - s->best.quality) * f;
    } else if (s->max_bytes && has_best(s) && s->under_q < s->lo) {
        q = s->best.quality + (target - log((double)s->best.len)) / s->slope;
    } else if (s->max_bytes && s->over_q <= s->hi) {
        q = s->over_q + (target - log((double)s->over_len)) / s->slope;
    } else {
        /* Only a minimum to reach: halve the way to the top. */
        double from = has_best(s) ? s->best.quality : s->under_q;
        q = (from + s->hi) / 2 + 1;
    }
    return inside_known(s, q);
}

typedef struct {
    const pf_bitmap *bmp;
    const pf_jpeg_coefs *coefs; /* NULL: the plain encoder */
    int full_chroma;
    int estimate;               /* a counted size, not a file */
    trial *t;
    pf_status status;
    char err[PF_ERR_LEN];
} encode_task;

static void *run_encode(void *arg)
{
    encode_task *task = arg;
    trial *t = task->t;
    if (task->estimate)
        task->status = pf_jpeg_rdo_estimate(task->coefs, t->quality, &t->estimate,
                                            task->err);
    else if (task->coefs)
        task->status = pf_jpeg_encode_rdo_estimated(task->coefs, t->quality, &t->data,
                                                    &t->len, &t->estimate, task->err);
    else
        task->status = pf_jpeg_encode_chroma(task->bmp, t->quality, task->full_chroma,
                                             &t->data, &t->len, task->err);
    return NULL;
}

/* Encodes n (1 or 2) trials, the second on its own thread when it can;
 * with `estimate`, counts their sizes instead (RDO searches only). */
static pf_status encode_round(const pf_bitmap *bmp, const search *s, int estimate,
                              trial *t, int n, char err[PF_ERR_LEN])
{
    encode_task task[2] = {{bmp, s->coefs, s->full_chroma, estimate, &t[0], PF_OK, ""},
                           {bmp, s->coefs, s->full_chroma, estimate, &t[1], PF_OK, ""}};
    int threads = s->threads;
    pthread_t helper;
    int threaded = n == 2 && threads >= 2 &&
                   pthread_create(&helper, NULL, run_encode, &task[1]) == 0;
    run_encode(&task[0]);
    if (threaded)
        pthread_join(helper, NULL);
    else if (n == 2)
        run_encode(&task[1]);
    for (int i = 0; i < n; i++)
        if (task[i].status != PF_OK) {
            pf_set_message(err, PF_ERR_LEN, "%s", task[i].err);
            return task[i].status;
        }
    return PF_OK;
}

/* The qualities of the next round: one aimed just under the budget, one
 * lower in case that aim was optimistic (one alone when they coincide). */
static int plan_round(const search *s, double first_q, int round_no, double q[2])
{
    /* Nothing known yet (run_calibrated's fallback starts with trials). */
    if (round_no == 0 && !has_best(s) && s->over_q > s->hi && s->under_q < s->lo) {
        q[0] = first_q < s->lo ? s->lo : first_q > s->hi ? s->hi : first_q;
        q[1] = q[0] - log(AIM_HIGH / AIM_LOW) / s->slope;
        if (q[1] < s->lo)
            q[1] = s->lo;
    } else {
        /* Within a bracket both trials go inside it, near the top. */
        int bracket = has_best(s) && s->over_q <= s->hi;
        q[0] = next_quality(s, AIM_HIGH);
        q[1] = s->max_bytes ? next_quality(s, bracket ? AIM_INSIDE : AIM_LOW) : q[0];
    }
    q[1] = round(q[1] * 100) / 100;
    if (!s->max_bytes || q[0] - q[1] < MIN_STEP)
        return 1;
    return 2;
}

/* Runs rounds of trials from first_q until one fits well enough or the
 * range is exhausted. */
static pf_status run_search(const pf_bitmap *bmp, search *s, double first_q,
                            char err[PF_ERR_LEN])
{
    trial t[2];
    for (int round = 0, tried = 0; tried < s->max_trials && !good_enough(s); round++) {
        double q[2];
        int n = plan_round(s, first_q, round, q);
        memset(t, 0, sizeof t);
        t[0].quality = q[0], t[1].quality = q[1];
        pf_status st = encode_round(bmp, s, 0, t, n, err);
        if (st != PF_OK) {
            free(t[0].data);
            free(t[1].data);
            return st;
        }
        /* The lower trial first, so the slope is learnt upwards. */
        for (int i = n - 1; i >= 0; i--)
            record(s, &t[i]);
        tried += n;
        /* Nothing fits even at the floor, or nothing is big enough at the top. */
        if (!has_best(s) && (s->over_q <= s->lo || s->under_q >= s->hi))
            break;
    }
    return PF_OK;
}

static void search_init(search *s, uint64_t max_bytes, uint64_t min_bytes,
                        int min_quality, int max_quality)
{
    search init = {max_bytes, min_bytes, min_quality, max_quality, {NULL, 0, 0, 0},
                   max_quality + 1.0, 0, min_quality - 1.0, SIZE_MAX, 0,
                   DEFAULT_SLOPE, 0, 0, 0, PF_BUDGET_GOOD_ENOUGH, 0, 0, MAX_TRIALS,
                   1, NULL};
    *s = init;
}

/* Trials under a byte cap quantize with RDO (jpeg_rdo.c): the same quality
 * in fewer bytes, so the search lands higher. The DCT is shared by all of
 * a search's trials. With only a minimum to reach, bytes are no object. */
static pf_status use_rdo(const pf_bitmap *bmp, search *s)
{
    if (!s->max_bytes)
        return PF_OK;
    return pf_jpeg_coefs_new(bmp, s->full_chroma, s->threads, &s->coefs);
}

/* The estimates nearest `bytes` from below (the highest quality that
 * fits) and above (the lowest that does not), or -1. */
static void nearest_points(const estimate_points *p, double ratio, double bytes,
                           int *below, int *above)
{
    *below = *above = -1;
    for (int i = 0; i < p->n; i++) {
        double size = p->estimate[i] * ratio;
        if (size <= bytes && (*below < 0 || p->quality[i] > p->quality[*below]))
            *below = i;
        if (size > bytes && (*above < 0 || p->quality[i] < p->quality[*above]))
            *above = i;
    }
}

/* Where ratio x estimate crosses `bytes`, on log(size) between the
 * nearest estimates either side, else extrapolated with the slope. */
static double quality_for(const estimate_points *p, double ratio, double bytes,
                          double slope)
{
    int below, above;
    nearest_points(p, ratio, bytes, &below, &above);
    double target = log(bytes / ratio);
    if (below >= 0 && above >= 0 && p->quality[above] > p->quality[below]) {
        double l0 = log(p->estimate[below]), l1 = log(p->estimate[above]);
        double f = l1 > l0 ? (target - l0) / (l1 - l0) : 0.5;
        return p->quality[below] + (p->quality[above] - p->quality[below]) * f;
    }
    int from = below >= 0 ? below : above;
    if (from < 0)
        return FIRST_GUESS;
    return p->quality[from] + (target - log(p->estimate[from])) / slope;
}

/* Whether the estimates pin down where ratio x estimate crosses `bytes`:
 * one lands within CLOSE of it, or two bracket it closely, or the range's
 * end decides. */
static int settled(const estimate_points *p, double ratio, double bytes,
                   double lo, double hi)
{
    int below, above;
    for (int i = 0; i < p->n; i++)
        if (fabs(log(p->estimate[i] * ratio / bytes)) < CLOSE)
            return 1;
    nearest_points(p, ratio, bytes, &below, &above);
    if (below >= 0 && above >= 0)
        return p->quality[above] - p->quality[below] <= BRACKET_WIDTH;
    return (below >= 0 && p->quality[below] >= hi - MIN_STEP) ||
           (above >= 0 && p->quality[above] <= lo + MIN_STEP);
}

static void keep_point(estimate_points *points, const trial *t)
{
    if (points->n < MAX_POINTS && t->estimate > 0) {
        points->quality[points->n] = t->quality;
        points->estimate[points->n++] = t->estimate;
    }
}

/* Estimates at q[0..n-1], two side by side, kept in points. */
static pf_status estimate_at(const pf_bitmap *bmp, const search *s,
                             estimate_points *points, const double q[2], int n,
                             char err[PF_ERR_LEN])
{
    trial t[2];
    memset(t, 0, sizeof t);
    t[0].quality = q[0], t[1].quality = q[1];
    pf_status st = encode_round(bmp, s, 1, t, n, err);
    for (int i = 0; st == PF_OK && i < n; i++)
        keep_point(points, &t[i]);
    return st;
}

static double clamp_quality(const search *s, double q)
{
    return round((q < s->lo ? s->lo : q > s->hi ? s->hi : q) * 100) / 100;
}

/* The qualities the aims fall at on what is known (q), and those of them
 * (want, returned: how many) whose estimates would pin them down closer.
 * With one, the other estimate halves the bracket on its far side: sizes
 * move in plateaus and steps that interpolation alone creeps along. */
static int wanted_estimates(const search *s, const estimate_points *p, double ratio,
                            const double aim[2], double q[2], double want[2])
{
    int k = 0, below, above;
    for (int i = 0; i < 2; i++) {
        double bytes = aim[i] * (double)s->max_bytes;
        q[i] = clamp_quality(s, quality_for(p, ratio, bytes, s->slope));
        if (!settled(p, ratio, bytes, s->lo, s->hi) &&
            (k == 0 || fabs(want[0] - q[i]) >= MIN_STEP))
            want[k++] = q[i];
    }
    nearest_points(p, ratio, aim[0] * (double)s->max_bytes, &below, &above);
    if (k == 1 && below >= 0 && above >= 0 &&
        p->quality[above] - p->quality[below] <= HALVED_BRACKET) {
        double qb = p->quality[below], qa = p->quality[above];
        double mid = clamp_quality(s, want[0] - qb < qa - want[0] ? (want[0] + qa) / 2
                                                                  : (qb + want[0]) / 2);
        if (fabs(mid - want[0]) >= MIN_STEP)
            want[k++] = mid;
    }
    return k;
}

/* The next real round's qualities, read off the estimates' curve with the
 * ratio learnt so far, estimating more where the curve is not yet known
 * closely enough near the aims: first a wide pair (85, 55; from the top, a
 * close one) learns how size grows, then each round estimates where it
 * would pick, until that is pinned down. Kept inside what the real files
 * have already shown. */
static pf_status plan_from_estimates(const pf_bitmap *bmp, search *s,
                                     estimate_points *points, double ratio,
                                     double first_q, const double aim[2], double q[2],
                                     int *n, char err[PF_ERR_LEN])
{
    pf_status st = PF_OK;
    if (points->n == 0) {
        double pair[2] = {clamp_quality(s, first_q),
                          clamp_quality(s, first_q - (first_q < s->hi ? WIDE_SPAN : 3))};
        st = estimate_at(bmp, s, points, pair, pair[0] - pair[1] < MIN_STEP ? 1 : 2, err);
    }
    for (int round = 0; st == PF_OK; round++) {
        double want[2];
        int k = wanted_estimates(s, points, ratio, aim, q, want);
        if (k == 0 || round == ESTIMATE_ROUNDS)
            break;
        st = estimate_at(bmp, s, points, want, k, err);
    }
    for (int i = 0; i < 2; i++)
        q[i] = inside_known(s, q[i]);
    *n = q[0] - q[1] < MIN_STEP ? 1 : 2;
    return st;
}

/* Real size over counted size of the round's trial nearest the budget:
 * what the estimates are multiplied by from now on. */
static double calibrate(const search *s, const trial *t, int n, double ratio)
{
    double best = HUGE_VAL;
    for (int i = 0; i < n; i++) {
        double off = fabs(log((double)t[i].len / (double)s->max_bytes));
        if (t[i].estimate > 0 && t[i].len > 0 && off < best)
            best = off, ratio = (double)t[i].len / t[i].estimate;
    }
    return ratio;
}

/* The RDO search under a byte cap: qualities planned on counted sizes
 * (pf_jpeg_rdo_estimate, a fraction of a real trial), each real round
 * recalibrating what a count predicts; the interpolating search between
 * real files takes over if that has not ended it. */
static pf_status run_calibrated(const pf_bitmap *bmp, search *s, double first_q,
                                char err[PF_ERR_LEN])
{
    estimate_points points = {{0}, {0}, 0};
    double ratio = PRIOR_RATIO;
    int tried = 0;
    for (int round = 0; round < CALIBRATED_ROUNDS && tried < s->max_trials && !good_enough(s);
         round++) {
        double q[2];
        int n;
        trial t[2];
        /* Uncalibrated, the two trials take the ratio at either end of
         * its usual range; after, the usual aims (inside a bracket, both
         * near the top). */
        int bracket = has_best(s) && s->over_q <= s->hi;
        double aim[2] = {round ? AIM_HIGH : AIM_HIGH / PRIOR_LOW,
                         round ? (bracket ? AIM_INSIDE : AIM_LOW) : AIM_HIGH / PRIOR_HIGH};
        pf_status st = plan_from_estimates(bmp, s, &points, ratio, first_q, aim, q, &n, err);
        if (st != PF_OK)
            return st;
        memset(t, 0, sizeof t);
        t[0].quality = q[0], t[1].quality = q[1];
        st = encode_round(bmp, s, 0, t, n, err);
        if (st != PF_OK) {
            free(t[0].data);
            free(t[1].data);
            return st;
        }
        ratio = calibrate(s, t, n, ratio);
        for (int i = n - 1; i >= 0; i--) {
            keep_point(&points, &t[i]);
            record(s, &t[i]);
        }
        tried += 2; /* a round takes two trials' time, one or two */
        if (!has_best(s) && (s->over_q <= s->lo || s->under_q >= s->hi))
            return PF_OK;
    }
    if (good_enough(s))
        return PF_OK;
    s->max_trials -= tried;
    return run_search(bmp, s, next_quality(s, AIM_HIGH), err);
}

/* An image that fits at the top quality with bytes to spare (smooth,
 * colourful) loses more to 4:2:0 chroma than to a lower quality: halving
 * the chroma resolution took butteraugli from 1.48 to 2.26 on such a photo.
 * Spend the spare bytes on full chroma when that still fits at
 * FULL_CHROMA_MIN_Q or better. */
static pf_status try_full_chroma(const pf_bitmap *bmp, search *s,
                                 char err[PF_ERR_LEN])
{
    search full;
    if (!s->best.data || !s->max_bytes || s->best.quality < s->hi - MIN_STEP ||
        (double)s->best.len > SPARE_BYTES * (double)s->max_bytes)
        return PF_OK;
    search_init(&full, s->max_bytes, s->min_bytes, (int)s->lo, (int)s->hi);
    full.threads = s->threads;
    /* Two rounds: near the top, sizes jump by 10-20% between neighbouring
     * qualities (table entries of 1-3 flip), so more rounds rarely land
     * closer; the 4:2:0 result stands if none fits well. */
    full.max_trials = 4;
    full.full_chroma = 1;
    pf_status st = use_rdo(bmp, &full);
    if (st == PF_OK)
        st = run_calibrated(bmp, &full, s->hi, err);
    if (st == PF_OK && full.best.data && full.best.quality >= FULL_CHROMA_MIN_Q) {
        free(s->best.data);
        s->best = full.best;
        s->best_full = 1;
        full.best.data = NULL;
    }
    free(full.best.data);
    pf_jpeg_coefs_free(full.coefs);
    return st;
}

/* The last resort for a minimum: full chroma at the top quality. */
static pf_status try_full_chroma_top(const pf_bitmap *bmp, search *s,
                                     char err[PF_ERR_LEN])
{
    trial t = {NULL, 0, s->hi, 0};
    pf_status st = pf_jpeg_encode_chroma(bmp, s->hi, 1, &t.data, &t.len, err);
    if (st != PF_OK)
        return st;
    s->best_full = 1;
    if (t.len > s->largest)
        s->largest = t.len;
    if (fits(s, t.len)) {
        s->best = t;
        return PF_OK;
    }
    free(t.data);
    return PF_OK;
}

pf_status pf_fit_jpeg_to_budget(const pf_bitmap *bmp, uint64_t max_bytes,
                                uint64_t min_bytes, int min_quality,
                                int max_quality, int threads, uint8_t **out,
                                size_t *out_len, double *quality,
                                char err[PF_ERR_LEN], pf_budget_info *info)
{
    search s;
    pf_status st = PF_OK;
    *out = NULL;
    if (min_quality < 1 || max_quality > 100 || min_quality > max_quality)
        return PF_ERR_INVALID_ARG;
    search_init(&s, max_bytes, min_bytes, min_quality, max_quality);
    s.threads = threads;
    st = use_rdo(bmp, &s);
    if (st == PF_OK)
        st = s.coefs ? run_calibrated(bmp, &s, FIRST_GUESS, err)
                     : run_search(bmp, &s, max_bytes ? FIRST_GUESS : max_quality, err);
    if (st == PF_OK)
        st = try_full_chroma(bmp, &s, err);
    if (st == PF_OK && !s.best.data && s.under_q >= s.hi)
        st = try_full_chroma_top(bmp, &s, err);
    if (st != PF_OK)
        goto cleanup;
    char bytes[32];
    if (!s.best.data && s.under_q >= s.hi) {
        st = PF_ERR_UNDER_MIN;
        pf_format_thousands(s.largest, bytes, sizeof bytes);
        pf_set_message(err, PF_ERR_LEN, _("only %s B even at quality %d with "
                       "full colour resolution"), bytes, max_quality);
    } else if (!s.best.data) {
        st = PF_ERR_BUDGET;
        pf_format_thousands(s.smallest, bytes, sizeof bytes);
        pf_set_message(err, PF_ERR_LEN, _("needs %s B even at quality %d"),
                       bytes, min_quality);
    }
    if (st != PF_OK)
        goto cleanup;
    *out = s.best.data;
    *out_len = s.best.len;
    *quality = s.best.quality;
    s.best.data = NULL;
cleanup:
    if (info)
        info->full_chroma = s.best_full, info->largest = s.largest;
    free(s.best.data);
    pf_jpeg_coefs_free(s.coefs);
    return st;
}
