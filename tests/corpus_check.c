/* corpus_check CORPUS_DIR: decodes the shared sample corpus.
 *
 *  - CORPUS/pngsuite/ *.png through pf_png_decode: names starting with 'x'
 *    are damaged on purpose and must fail cleanly; all others must decode.
 *  - every JPEG/PNG under CORPUS/exif/ through pf_check_file: the upright
 *    size must match the name (Landscape_N wider than high, Portrait_N
 *    higher than wide, hopper_orientation_N the same as the unrotated
 *    image) and a trailing _N must be the EXIF orientation read.
 *
 * With --hostile: every file under CORPUS/broken and CORPUS/codec, and
 * those of CORPUS/formats with damaged copies of each, through check and
 * fix (see check_hostile).
 *
 * Prints one line per failure and "corpus: N passed, M failed"; exits 1
 * when anything failed, 2 on bad usage. */
#include "internal.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILE_BYTES (64u << 20)
#define MAX_DEPTH 8

struct tally {
    int passed, failed;
};

static void verdict(struct tally *t, int ok)
{
    if (ok)
        t->passed++;
    else
        t->failed++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* Sorted entries of dir (without "." and ".."); NULL when unreadable. */
static char **list_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    *count = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, cmp_names);
    *count = n;
    return names ? names : calloc(1, sizeof *names);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    long size;
    *len = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
        (unsigned long)size <= MAX_FILE_BYTES && fseek(f, 0, SEEK_SET) == 0 &&
        (data = malloc(size ? (size_t)size : 1)) != NULL) {
        if (fread(data, 1, (size_t)size, f) == (size_t)size) {
            *len = (size_t)size;
        } else {
            free(data);
            data = NULL;
        }
    }
    fclose(f);
    return data;
}

/* dir/name into buf; 0 when it does not fit. */
static int join_path(char *buf, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

static int ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* ---- PngSuite ---- */

static void check_png(const char *dir, const char *name, struct tally *t)
{
    char path[PF_PATH_LEN], err[PF_ERR_LEN] = "", why[PF_MSG_LEN] = "";
    size_t len = 0;
    pf_decoded dec = {0};
    uint8_t *data = join_path(path, sizeof path, dir, name)
                        ? read_all(path, &len) : NULL;
    int must_fail = name[0] == 'x';
    pf_status st = PF_ERR_IO;
    if (data)
        st = pf_png_decode(data, len, PF_DEFAULT_MAX_PIXELS, &dec, err);
    if (!data)
        snprintf(why, sizeof why, "cannot read");
    else if (must_fail && st == PF_OK)
        snprintf(why, sizeof why, "decoded, but the file is damaged");
    else if (must_fail && (dec.bmp.rgb || err[0] == '\0'))
        snprintf(why, sizeof why, "failed without a message, or kept pixels");
    else if (!must_fail && st != PF_OK)
        snprintf(why, sizeof why, "%s (%s)", pf_strerror(st), err);
    else if (!must_fail && (!dec.bmp.rgb || !dec.bmp.width || !dec.bmp.height))
        snprintf(why, sizeof why, "decoded to an empty bitmap");
    if (why[0])
        printf("FAIL pngsuite/%s: %s\n", name, why);
    verdict(t, why[0] == '\0');
    pf_decoded_free(&dec);
    free(data);
}

static void check_pngsuite(const char *corpus, struct tally *t)
{
    char dir[PF_PATH_LEN];
    size_t n = 0;
    char **names = join_path(dir, sizeof dir, corpus, "pngsuite")
                       ? list_dir(dir, &n) : NULL;
    if (!names) {
        printf("note: no %s; PngSuite skipped\n", dir);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (ends_with_ci(names[i], ".png"))
            check_png(dir, names[i], t);
    free_names(names, n);
}

/* ---- EXIF orientation samples ---- */

struct expect {
    int landscape, portrait;   /* by name */
    int orientation;           /* from a trailing _N, else -1 */
    uint32_t w, h;             /* exact upright size, or 0 */
};

/* "Landscape_6.jpg" -> 6; -1 when the name has no _N before the dot. */
static int trailing_number(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot || dot - name < 2 || !isdigit((unsigned char)dot[-1]) ||
        dot[-2] != '_')
        return -1;
    return dot[-1] - '0';
}

static struct expect expect_for(const char *name)
{
    struct expect e = {0, 0, trailing_number(name), 0, 0};
    e.landscape = strncasecmp(name, "landscape", 9) == 0;
    e.portrait = strncasecmp(name, "portrait", 8) == 0;
    if (strncmp(name, "hopper_orientation_", 19) == 0)
        e.w = e.h = 128; /* hopper.jpg is 128x128; no _1 in the corpus */
    if (strcmp(name, "orientation_rectangle.jpg") == 0)
        e.w = 1, e.h = 2; /* stored 2x1 with orientation 8 */
    return e;
}

static int dims_ok(const struct expect *e, uint32_t w, uint32_t h)
{
    if (e->landscape && !(w > h))
        return 0;
    if (e->portrait && !(h > w))
        return 0;
    return e->w == 0 || (e->w == w && e->h == h);
}

static void check_exif_file(pf_ctx *ctx, const char *path, const char *name,
                            struct tally *t)
{
    pf_report report;
    struct expect e = expect_for(name);
    memset(&report, 0, sizeof report);
    pf_status st = pf_check_file(ctx, path, &report);
    const pf_image_info *in = &report.input;
    int ok = 0;
    if (st != PF_OK)
        printf("FAIL %s: %s (%s)\n", path, pf_strerror(st), pf_ctx_error(ctx));
    else if (!dims_ok(&e, in->width, in->height))
        printf("FAIL %s: upright size %ux%u does not match its name\n", path,
               (unsigned)in->width, (unsigned)in->height);
    else if (e.orientation >= 0 && in->exif_orientation != e.orientation)
        printf("FAIL %s: EXIF orientation %d, expected %d\n", path,
               in->exif_orientation, e.orientation);
    else
        ok = 1;
    verdict(t, ok);
}

static int is_jpeg_or_png(const char *name)
{
    return ends_with_ci(name, ".jpg") || ends_with_ci(name, ".jpeg") ||
           ends_with_ci(name, ".png");
}

typedef void (*image_check)(pf_ctx *ctx, const char *path, const char *name,
                            struct tally *t);

static int any_file(const char *name)
{
    (void)name;
    return 1;
}

static void walk_files(pf_ctx *ctx, const char *dir, int depth, struct tally *t,
                       image_check check, int (*wanted)(const char *));

/* Runs check on every JPEG and PNG under dir. */
static void walk_images(pf_ctx *ctx, const char *dir, int depth, struct tally *t,
                        image_check check)
{
    walk_files(ctx, dir, depth, t, check, is_jpeg_or_png);
}

static void walk_files(pf_ctx *ctx, const char *dir, int depth, struct tally *t,
                       image_check check, int (*wanted)(const char *))
{
    size_t n = 0;
    char **names = list_dir(dir, &n);
    for (size_t i = 0; names && i < n; i++) {
        char path[PF_PATH_LEN];
        struct stat st;
        if (!join_path(path, sizeof path, dir, names[i]) ||
            stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
            walk_files(ctx, path, depth + 1, t, check, wanted);
        else if (S_ISREG(st.st_mode) && wanted(names[i]))
            check(ctx, path, names[i], t);
    }
    free_names(names, n);
}

/* The white-background rule on the portraits: none of them is a filing
 * photo on white (studio greys, stages, rooms), except no_face.jpg, a blank
 * white picture. Each is labelled so, and the measures are printed. */
static void check_face(pf_ctx *ctx, const char *path, const char *name, struct tally *t)
{
    pf_report *r = malloc(sizeof *r);
    if (!r || pf_check_file(ctx, path, r) != PF_OK) {
        printf("FAIL %s: %s\n", path, pf_ctx_error(ctx));
        verdict(t, 0);
        free(r);
        return;
    }
    int passed = 1;
    for (int i = 0; i < r->n_checks; i++)
        if (r->checks[i].id == PF_CHECK_WHITE_BACKGROUND)
            passed = r->checks[i].status == PF_PASS;
    int want = strcmp(name, "no_face.jpg") == 0;
    const pf_background *bg = &r->input.background;
    printf("face %-44s %s: plain %d, white %5.1f%%, mean %3.0f,%3.0f,%3.0f%s\n", name,
           passed ? "pass" : "fail", bg->plain, bg->white_share * 100, bg->mean[0],
           bg->mean[1], bg->mean[2], passed == want ? "" : "  <- WRONG");
    verdict(t, passed == want);
    free(r);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *outcome_name(const pf_report *r)
{
    static const char *const names[] = {"pass", "fixed", "fail", "error"};
    return names[r->status];
}

/* A clear per-file error starts with the file's name and says what is
 * wrong in words of its own, not just that decoding failed. */
static int message_is_clear(const pf_report *r, const char *path)
{
    size_t n = strlen(path);
    if (r->status != PF_FILE_ERROR)
        return 1;
    return strncmp(r->message, path, n) == 0 && r->message[n] == ':' &&
           strlen(r->message + n) > 12 && !strstr(r->message, "cannot decode");
}

/* Damaged and unusual files (CORPUS/broken, CORPUS/codec): check and fix
 * each within HOSTILE_SECONDS, ending in a verdict or a clear error. Run
 * under ASan/UBSan by `make test-hostile`. */
#define HOSTILE_SECONDS 5.0
static void check_hostile(pf_ctx *ctx, const char *path, const char *name,
                          struct tally *t)
{
    pf_report *check = malloc(sizeof *check), *fix = malloc(sizeof *fix);
    uint8_t *data = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    pf_format format;
    int ok = 0;
    (void)name;
    if (!check || !fix || pf_read_file(path, MAX_FILE_BYTES, &data, &len) != PF_OK)
        goto cleanup;
    double start = now_seconds();
    pf_check_buffer(ctx, data, len, path, check);
    double mid = now_seconds();
    pf_fix_buffer(ctx, data, len, path, &out, &out_len, &format, fix);
    double end = now_seconds();
    ok = mid - start < HOSTILE_SECONDS && end - mid < HOSTILE_SECONDS &&
         message_is_clear(check, path) && message_is_clear(fix, path);
    printf("%s %-5s %-5s %5.0f %5.0f ms  %s\n", ok ? "hostile" : "FAIL",
           outcome_name(check), outcome_name(fix), (mid - start) * 1e3,
           (end - mid) * 1e3, fix->message[0] ? fix->message : path);
cleanup:
    if (!check || !fix || !data)
        printf("FAIL %s: cannot read\n", path);
    verdict(t, ok);
    pf_free(out);
    pf_free(data);
    free(check);
    free(fix);
}

static int write_copy(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

/* CORPUS/formats (HEIC, WebP, TIFF, PDF): each file as it is, cut in half
 * and with 16 bytes in its middle overwritten, through check and fix. */
static void check_damaged_copies(pf_ctx *ctx, const char *path, const char *name,
                                 struct tally *t)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char dir[] = "/tmp/pfhostile.XXXXXX", copy[PF_PATH_LEN];
    check_hostile(ctx, path, name, t);
    if (pf_read_file(path, MAX_FILE_BYTES, &data, &len) != PF_OK || len < 64 ||
        !mkdtemp(dir)) {
        pf_free(data);
        return;
    }
    snprintf(copy, sizeof copy, "%s/half-%s", dir, name);
    if (write_copy(copy, data, len / 2) == 0)
        check_hostile(ctx, copy, name, t);
    remove(copy);
    memset(data + len / 2 - 8, 0xA5, 16);
    snprintf(copy, sizeof copy, "%s/flipped-%s", dir, name);
    if (write_copy(copy, data, len) == 0)
        check_hostile(ctx, copy, name, t);
    remove(copy);
    rmdir(dir);
    pf_free(data);
}

/* Each of CORPUS/broken, CORPUS/codec and CORPUS/formats, when present. */
static void check_hostile_dirs(pf_ctx *ctx, const char *corpus, struct tally *t)
{
    static const char *const dirs[] = {"broken", "codec", "formats"};
    pf_rules rules;
    char dir[PF_PATH_LEN];
    struct stat st;
    pf_profile_rules("wechat", &rules);
    pf_ctx_set_rules(ctx, &rules);
    for (size_t i = 0; i < 3; i++) {
        if (join_path(dir, sizeof dir, corpus, dirs[i]) && stat(dir, &st) == 0)
            walk_files(ctx, dir, 0, t, i == 2 ? check_damaged_copies : check_hostile,
                       any_file);
        else
            printf("note: no %s; skipped\n", dir);
    }
}

int main(int argc, char **argv)
{
    struct tally t = {0, 0};
    char dir[PF_PATH_LEN];
    struct stat st;
    int hostile = argc == 3 && strcmp(argv[1], "--hostile") == 0;
    if (argc != 2 + hostile || stat(argv[1 + hostile], &st) != 0 ||
        !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "usage: corpus_check [--hostile] CORPUS_DIR\n");
        return 2;
    }
    if (hostile) {
        pf_ctx *ctx = pf_ctx_new();
        if (ctx)
            check_hostile_dirs(ctx, argv[2], &t);
        pf_ctx_free(ctx);
        printf("hostile corpus: %d passed, %d failed\n", t.passed, t.failed);
        return ctx && t.failed == 0 ? 0 : 1;
    }
    check_pngsuite(argv[1], &t);
    pf_ctx *ctx = pf_ctx_new();
    if (!ctx)
        printf("FAIL pf_ctx_new returned NULL\n"), t.failed++;
    else if (!join_path(dir, sizeof dir, argv[1], "exif") ||
             stat(dir, &st) != 0)
        printf("note: no %s; EXIF samples skipped\n", dir);
    else
        walk_images(ctx, dir, 0, &t, check_exif_file);
    pf_rules face;
    if (ctx && join_path(dir, sizeof dir, argv[1], "faces") && stat(dir, &st) == 0 &&
        pf_profile_rules("face", &face) == PF_OK && pf_ctx_set_rules(ctx, &face) == PF_OK)
        walk_images(ctx, dir, 0, &t, check_face);
    else
        printf("note: no %s/faces; portraits skipped\n", argv[1]);
    pf_ctx_free(ctx);
    printf("corpus: %d passed, %d failed\n", t.passed, t.failed);
    return t.failed > 0 ? 1 : 0;
}
