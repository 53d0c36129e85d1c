/* The evaluation set for the image checks (make eval): real images nobody
 * here made (../shared/corpus) plus controlled degradations, split into a
 * tuning half and a test half by a hash of each source file's name, judged
 * by the library as `preflight check` would, and counted in confusion
 * tables per check. */
#ifndef PF_EVAL_H
#define PF_EVAL_H

#include "internal.h"

#include <stdio.h>

/* Which half a source file belongs to: 0 tuning, 1 test (hash of the path
 * relative to the corpus, so it never changes between runs). */
int eval_half(const char *relpath);

/* A fixed-seed xorshift64 stream (no global rand()): the same samples on
 * every run and machine. */
typedef struct {
    uint64_t s;
} eval_rng;
double eval_rnd(eval_rng *r);                          /* uniform in [0, 1) */
double eval_rnd_in(eval_rng *r, double lo, double hi); /* uniform in [lo, hi) */
/* A stream of its own for a source: FNV-1a of its name, never 0. */
eval_rng eval_rng_for(const char *name);

/* Decodes a corpus file (JPEG or PNG) upright, shrunk so its long side is
 * at most max_long (0: as stored). 0 on success. */
int eval_load(const char *path, uint32_t max_long, pf_bitmap *out);

/* Lists files under corpus/sub (recursively) ending in .jpg/.jpeg/.png
 * (any case), sorted; *paths freed with eval_free_list. */
size_t eval_list(const char *corpus, const char *sub, char ***paths);
void eval_free_list(char **paths, size_t n);

/* Runs the library's check on bmp as a file: encoded as JPEG at quality 92
 * (what a phone or scanner writes), checked with profile (rules then
 * adjusted by tweak when not NULL), report filled. 0 on success. */
int eval_check(const pf_bitmap *bmp, const char *profile,
               void (*tweak)(pf_rules *), pf_report *report);

/* The status the report gives check id, or -1 when it did not run. */
int eval_status(const pf_report *report, pf_check_id id);

/* Confusion counts for one check on one half. Truth: "bad" (a clear case
 * the check must catch), "good" (must not fail), "borderline" (counted
 * apart: either answer is acceptable). */
typedef enum { EVAL_GOOD = 0, EVAL_BAD, EVAL_BORDERLINE } eval_truth;
typedef struct {
    const char *check;
    unsigned n[3][3];   /* [truth][pf_check_status] */
    unsigned not_run[3];
} eval_table;

void eval_count(eval_table *t, eval_truth truth, int status);
/* Prints the table with catch rate (warn+fail of bad), fail rate of bad,
 * and false-fail / false-warn rates of good, against the targets. Returns
 * 1 when the targets hold (>= 90% caught, >= 75% failed, <= 3% of good
 * failed). */
int eval_print(FILE *out, const eval_table *t, const char *half);

/* Degradations (tests/eval/degrade.c), in place or into out. */
pf_status eval_gaussian_blur(const pf_bitmap *in, double sigma, pf_bitmap *out);
pf_status eval_motion_blur(const pf_bitmap *in, double length, double angle_deg,
                           pf_bitmap *out);
/* A bright colourless blob: centre (cx, cy), radius r in pixels, peak
 * strength 0..1 (1: saturates to white over its core). */
void eval_add_glare(pf_bitmap *bmp, double cx, double cy, double r,
                    double strength);
/* out = clip(255 * (in/255)^gamma * gain). */
void eval_exposure(pf_bitmap *bmp, double gain, double gamma);
/* Haze or flare: every level pulled towards white by a (0..1), then a gain,
 * clipped: the ink is lifted, as when a phone shoots into the light. */
void eval_haze(pf_bitmap *bmp, double a, double gain);

/* Renders the card image in perspective into a copy of background at the
 * quadrilateral corners (TL, TR, BR, BL, background pixels), bilinear,
 * edges antialiased. */
pf_status eval_composite(const pf_bitmap *background, const pf_bitmap *card,
                         const double corners[4][2], pf_bitmap *out);
/* The w x h region at (x, y) of in (clipped to it). */
pf_status eval_crop(const pf_bitmap *in, uint32_t x, uint32_t y, uint32_t w,
                    uint32_t h, pf_bitmap *out);

/* The evaluations: each prints its tables; returns 1 when every target on
 * the test half holds. verbose: one line per sample. */
int eval_document(const char *corpus, int verbose);   /* document.c */
int eval_quality(const char *corpus, int verbose);    /* quality.c */

/* Writes the README's pictures of each check into dir (examples.c). */
int eval_examples(const char *dir);

#endif
