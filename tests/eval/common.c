/* The evaluation set's plumbing: corpus listing, halves, decoding, running
 * the library's check, confusion tables. */
#include "eval.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

int eval_half(const char *relpath)
{
    /* FNV-1a: stable across runs and machines. */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)relpath; *p; p++)
        h = (h ^ *p) * 16777619u;
    return (int)((h >> 7) & 1u);
}

int eval_load(const char *path, uint32_t max_long, pf_bitmap *out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    int rc = -1;
    memset(&dec, 0, sizeof dec);
    memset(out, 0, sizeof *out);
    if (pf_read_file(path, 256u << 20, &data, &len) != PF_OK)
        return -1;
    pf_format f = pf_sniff(data, len);
    pf_status st = f == PF_FORMAT_JPEG ? pf_jpeg_decode(data, len, 0, 8, &dec, err)
                 : f == PF_FORMAT_PNG  ? pf_png_decode(data, len, 0, &dec, err)
                                       : PF_ERR_NOT_IMAGE;
    if (st == PF_OK)
        st = pf_orient_apply(&dec.bmp, dec.exif_orientation);
    if (st != PF_OK)
        goto cleanup;
    uint32_t w = dec.bmp.width, h = dec.bmp.height, lng = w > h ? w : h;
    if (max_long && lng > max_long) {
        uint32_t tw = (uint32_t)((uint64_t)w * max_long / lng);
        uint32_t th = (uint32_t)((uint64_t)h * max_long / lng);
        st = pf_resize(&dec.bmp, tw ? tw : 1, th ? th : 1, out);
    } else {
        *out = dec.bmp;
        memset(&dec.bmp, 0, sizeof dec.bmp);
    }
    rc = st == PF_OK ? 0 : -1;
cleanup:
    pf_decoded_free(&dec);
    free(data);
    return rc;
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
                   strcasecmp(dot, ".png") == 0);
}

static void list_into(const char *dir, char ***paths, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PF_PATH_LEN];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            list_into(path, paths, n, cap);
        } else if (S_ISREG(sb.st_mode) && is_image_name(e->d_name)) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 64;
                *paths = realloc(*paths, *cap * sizeof **paths);
            }
            (*paths)[(*n)++] = strdup(path);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t eval_list(const char *corpus, const char *sub, char ***paths)
{
    char dir[PF_PATH_LEN];
    size_t n = 0, cap = 0;
    *paths = NULL;
    snprintf(dir, sizeof dir, "%s/%s", corpus, sub);
    list_into(dir, paths, &n, &cap);
    if (n)
        qsort(*paths, n, sizeof **paths, cmp_str);
    return n;
}

void eval_free_list(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int eval_check(const pf_bitmap *bmp, const char *profile,
               void (*tweak)(pf_rules *), pf_report *report)
{
    char err[PF_ERR_LEN];
    uint8_t *jpg = NULL;
    size_t len = 0;
    pf_rules rules;
    int rc = -1;
    pf_ctx *ctx = pf_ctx_new();
    if (!ctx || pf_profile_rules(profile, &rules) != PF_OK)
        goto cleanup;
    if (tweak)
        tweak(&rules);
    if (pf_ctx_set_rules(ctx, &rules) != PF_OK ||
        pf_jpeg_encode(bmp, 92, &jpg, &len, err) != PF_OK)
        goto cleanup;
    rc = pf_check_buffer(ctx, jpg, len, "eval.jpg", report) == PF_OK ? 0 : -1;
cleanup:
    free(jpg);
    pf_ctx_free(ctx);
    return rc;
}

int eval_status(const pf_report *report, pf_check_id id)
{
    for (int i = 0; i < report->n_checks; i++)
        if (report->checks[i].id == id)
            return (int)report->checks[i].status;
    return -1;
}

void eval_count(eval_table *t, eval_truth truth, int status)
{
    if (status < 0 || status > PF_FAIL)
        t->not_run[truth]++;
    else
        t->n[truth][status]++;
}

static double pct(unsigned a, unsigned b)
{
    return b ? 100.0 * a / b : 0.0;
}

int eval_print(FILE *out, const eval_table *t, const char *half)
{
    static const char *const rows[] = {"good", "bad (clear)", "borderline"};
    fprintf(out, "\n%s, %s half\n", t->check, half);
    fprintf(out, "  %-13s %6s %6s %6s %8s\n", "truth", "pass", "warn", "fail", "not run");
    for (int r = 0; r < 3; r++)
        fprintf(out, "  %-13s %6u %6u %6u %8u\n", rows[r], t->n[r][PF_PASS],
                t->n[r][PF_WARN], t->n[r][PF_FAIL], t->not_run[r]);
    unsigned good = t->n[0][0] + t->n[0][1] + t->n[0][2] + t->not_run[0];
    unsigned bad = t->n[1][0] + t->n[1][1] + t->n[1][2] + t->not_run[1];
    double caught = pct(t->n[1][PF_WARN] + t->n[1][PF_FAIL], bad);
    double failed = pct(t->n[1][PF_FAIL], bad);
    double false_fail = pct(t->n[0][PF_FAIL], good);
    double false_warn = pct(t->n[0][PF_WARN], good);
    int ok = caught >= 90.0 && failed >= 75.0 && false_fail <= 3.0;
    fprintf(out, "  caught %.1f%% (target >= 90%%), failed %.1f%% (>= 75%%); "
            "good failed %.1f%% (<= 3%%), good warned %.1f%%: %s\n", caught,
            failed, false_fail, false_warn, ok ? "targets met" : "TARGET MISSED");
    return ok;
}

double eval_rnd(eval_rng *r)
{
    r->s ^= r->s << 13, r->s ^= r->s >> 7, r->s ^= r->s << 17;
    return (double)(r->s >> 11) / 9007199254740992.0;
}

double eval_rnd_in(eval_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * eval_rnd(r);
}

eval_rng eval_rng_for(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    eval_rng r = {h ? h : 1};
    return r;
}
