/* Finds (nearly) the highest JPEG quality whose file fits the byte budget,
 * in few encodes: a quarter-size proxy predicts the quality, then each full
 * trial's next quality is interpolated on log(size) between the closest
 * trials that fit and that do not, rather than bisected blind. Trials run
 * in rounds of two, one aimed just under the budget and one a little lower
 * in case the aim was off, encoded side by side on two threads: one round
 * is usually all it takes. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TRIALS 10
#define FIRST_GUESS 85.0  /* typical for a document photo under 200 KB */
#define MIN_STEP 0.1      /* closer qualities give (nearly) the same tables */
#define DEFAULT_SLOPE 0.045 /* log-size per quality step near 85 (measured) */
#define PROXY_BAND 16     /* rows: one 4:2:0 MCU row */
#define PROXY_EVERY 4     /* the proxy keeps one band in this many */
#define PROXY_TRIALS 6
#define WIDE_SPAN 30.0    /* the proxy's first pair: 85 and 55 */
#define SPARE_BYTES 0.9   /* below this share of the budget, bytes are spare */
#define FULL_CHROMA_MIN_Q 90.0
#define AIM_HIGH 0.993    /* the round's first trial: this share of max_bytes */
#define AIM_LOW 0.975     /* its second: fits even when the first was optimistic */
#define AIM_INSIDE 0.982  /* the second, once a fit and an overshoot bracket it */
/* The proxy's aim for its sequential trials, over the progressive budget.
 * Over the 16 bench photos at q85 sequential files are 3.2% larger, but
 * 1.032 and 1.02 aimed the first full round too high (25-27 full rounds
 * against 23 with progressive proxy trials); 1.01: 24, and a proxy round
 * at 57% of the time. */
#define BASELINE_BYTES 1.01

typedef struct {
    uint8_t *data;
    size_t len;
    double quality;
} trial;

typedef struct {
    uint64_t max_bytes, min_bytes;
    double lo, hi;           /* allowed quality range */
    trial best;              /* highest-quality trial that fits */
    double over_q;           /* lowest quality found too big (hi + 1: none) */
    size_t over_len;
    double under_q;          /* highest quality found too small (lo - 1: none) */
    size_t smallest, largest;
    double slope;            /* d log(size) / d quality, learnt as we go */
    int slope_learnt;        /* from trials (or the proxy), not the default */
    double last_q;           /* the previous trial, to learn the slope */
    size_t last_len;
    double good_enough;      /* share of max_bytes that ends the search */
    int full_chroma;         /* 4:4:4 instead of 4:2:0 */
    int best_full;           /* best (or the last resort tried) is 4:4:4 */
    int max_trials;
    int threads;             /* >= 2: a round's trials side by side */
    int wide_start;          /* first round far apart: learn the slope */
    int baseline;            /* sequential trials (the proxy's): sizes only */
    pf_jpeg_coefs *coefs;    /* the picture's DCT: trials quantize with RDO */
} search;

static int fits(const search *s, size_t len)
{
    return (s->max_bytes == 0 || len <= s->max_bytes) && len >= s->min_bytes;
}

static int good_enough(const search *s)
{
    if (!s->best.data)
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
    if (fits(s, t->len) && (!s->best.data || t->quality > s->best.quality)) {
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

/* Where log(size) crosses log(target): interpolated between a fitting and
 * an oversize trial, else extrapolated from one of them with the slope. */
static double next_quality(const search *s, double aim)
{
    double target = log(aim * (double)s->max_bytes);
    double q;
    if (s->best.data && s->over_q <= s->hi) {
        double l0 = log((double)s->best.len), l1 = log((double)s->over_len);
        double f = l1 > l0 ? (target - l0) / (l1 - l0) : 0.5;
        q = s->best.quality + (s->over_q - s->best.quality) * f;
    } else if (s->max_bytes && s->best.data && s->under_q < s->lo) {
        q = s->best.quality + (target - log((double)s->best.len)) / s->slope;
    } else if (s->max_bytes && s->over_q <= s->hi) {
        q = s->over_q + (target - log((double)s->over_len)) / s->slope;
    } else {
        /* Only a minimum to reach: halve the way to the top. */
        double from = s->best.data ? s->best.quality : s->under_q;
        q = (from + s->hi) / 2 + 1;
    }
    double floor_q = s->best.data ? s->best.quality + MIN_STEP / 2 : s->lo;
    double ceil_q = s->over_q <= s->hi ? s->over_q - MIN_STEP / 2 : s->hi;
    if (q < floor_q) q = floor_q;
    if (q > ceil_q) q = ceil_q;
    return round(q * 100) / 100;
}

typedef struct {
    const pf_bitmap *bmp;
    const pf_jpeg_coefs *coefs; /* NULL: the plain encoder */
    int full_chroma, baseline;
    trial *t;
    pf_status status;
    char err[PF_ERR_LEN];
} encode_task;

static void *run_encode(void *arg)
{
    encode_task *task = arg;
    if (task->coefs)
        task->status = (task->baseline ? pf_jpeg_encode_rdo_baseline : pf_jpeg_encode_rdo)(
            task->coefs, task->t->quality, &task->t->data, &task->t->len, task->err);
    else
        task->status = pf_jpeg_encode_chroma(task->bmp, task->t->quality,
                                         task->full_chroma, &task->t->data,
                                         &task->t->len, task->err);
    return NULL;
}

/* Encodes n (1 or 2) trials, the second on its own thread when it can. */
static pf_status encode_round(const pf_bitmap *bmp, const search *s, trial *t,
                              int n, char err[PF_ERR_LEN])
{
    encode_task task[2] = {{bmp, s->coefs, s->full_chroma, s->baseline, &t[0], PF_OK, ""},
                           {bmp, s->coefs, s->full_chroma, s->baseline, &t[1], PF_OK, ""}};
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
    if (round_no == 0) {
        q[0] = first_q < s->lo ? s->lo : first_q > s->hi ? s->hi : first_q;
        q[1] = s->wide_start ? q[0] - WIDE_SPAN : q[0] - log(AIM_HIGH / AIM_LOW) / s->slope;
        if (q[1] < s->lo)
            q[1] = s->lo;
    } else {
        /* Within a bracket both trials go inside it, near the top. */
        int bracket = s->best.data && s->over_q <= s->hi;
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
        pf_status st = encode_round(bmp, s, t, n, err);
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
        if (!s->best.data && (s->over_q <= s->lo || s->under_q >= s->hi))
            break;
    }
    return PF_OK;
}

static void search_init(search *s, uint64_t max_bytes, uint64_t min_bytes,
                        int min_quality, int max_quality)
{
    search init = {max_bytes, min_bytes, min_quality, max_quality, {NULL, 0, 0},
                   max_quality + 1.0, 0, min_quality - 1.0, SIZE_MAX, 0,
                   DEFAULT_SLOPE, 0, 0, 0, PF_BUDGET_GOOD_ENOUGH, 0, 0, MAX_TRIALS,
                   1, 0, 0, NULL};
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

/* A quarter of the image, as whole 16-row bands (one in four), so local
 * detail and MCU structure stay as they are: its file size times four
 * predicts the full one to a few percent at a quarter of the cost. */
static pf_status make_proxy(const pf_bitmap *bmp, pf_bitmap *proxy)
{
    uint32_t bands = bmp->height / (PROXY_BAND * PROXY_EVERY);
    pf_status st = pf_bitmap_alloc(proxy, bmp->width, bands * PROXY_BAND);
    if (st != PF_OK)
        return st;
    size_t band_bytes = (size_t)bmp->width * 3 * PROXY_BAND;
    for (uint32_t b = 0; b < bands; b++)
        memcpy(proxy->rgb + b * band_bytes,
               bmp->rgb + (size_t)b * PROXY_EVERY * band_bytes, band_bytes);
    return PF_OK;
}

/* The proxy's best quality and slope: a first guess within a step or two. */
static void predict_from_proxy(const pf_bitmap *bmp, search *full, double *first_q,
                               char err[PF_ERR_LEN])
{
    pf_bitmap proxy;
    search s;
    if (!full->max_bytes || bmp->height < PROXY_BAND * PROXY_EVERY * 8 ||
        make_proxy(bmp, &proxy) != PF_OK)
        return;
    double share = (double)proxy.height / bmp->height;
    /* Sequential trials in 57% of the time: sizes are all the proxy is
     * for, and its aim is scaled by what one scan costs over progressive. */
    search_init(&s, (uint64_t)(full->max_bytes * share * BASELINE_BYTES), 0, (int)full->lo,
                (int)full->hi);
    s.threads = full->threads;
    s.baseline = 1;
    /* It is only a guess: a wide first pair learns how size grows with
     * quality, a second pair brackets the aim closely enough to
     * interpolate, and the full-size round corrects what is left. */
    s.good_enough = 0.96;
    s.max_trials = PROXY_TRIALS;
    s.wide_start = 1;
    pf_status st = use_rdo(&proxy, &s);
    if (st == PF_OK)
        st = run_search(&proxy, &s, *first_q, err);
    if (st == PF_OK && (s.best.data || (s.over_q > s.lo && s.over_q <= s.hi))) {
        /* Where the proxy's size curve crosses the aim, not its best trial;
         * extrapolated down from its lowest oversize trial when its aims all
         * fell just over (a smoothed noisy photo: starting from the top
         * instead left 24% of the budget unused). */
        *first_q = next_quality(&s, AIM_HIGH);
        full->slope = s.slope;
        full->slope_learnt = s.slope_learnt;
    } else if (s.over_q <= s.lo) {
        *first_q = s.lo;
    }
    free(s.best.data);
    pf_jpeg_coefs_free(s.coefs);
    pf_bitmap_free(&proxy);
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
        st = run_search(bmp, &full, s->hi, err);
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
    trial t = {NULL, 0, s->hi};
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
    double first_q = max_bytes ? FIRST_GUESS : max_quality;
    predict_from_proxy(bmp, &s, &first_q, err);
    st = use_rdo(bmp, &s);
    if (st == PF_OK)
        st = run_search(bmp, &s, first_q, err);
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
