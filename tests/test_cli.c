/* End-to-end tests of the preflight program (env PF_BIN): exit statuses,
 * JSON fields, files written by fix, inputs left alone. Inputs are made
 * with the testutil generators; outputs are decoded with libjpeg directly
 * (tu_decode_jpeg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define WECHAT_MAX_BYTES 200000

static const char *bin;      /* the preflight program */
static char *data_dir;       /* inputs shared by every test */
static char *face_dir;       /* face photos, apart: folder tests count data_dir */
static int have_python;

/* ---- helpers ---- */

/* Runs "PF_BIN <args>" (args are a printf format; paths here never need
 * quoting except where the test quotes them). Returns the exit status. */
static int run_pf(char **out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int run_pf(char **out, const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s", bin, args);
    char *captured = NULL;
    int status = tu_run(cmd, &captured);
    assert_non_null(captured);
    if (out)
        *out = captured;
    else
        free(captured);
    return status;
}

static char *path_in(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    assert_non_null(path);
    snprintf(path, len, "%s/%s", dir, name);
    return path;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A colour 1600x1200 JPEG at the highest quality that stays under limit. */
static void write_jpeg_under(const char *path, enum tu_pattern pattern,
                             int components, size_t limit)
{
    uint8_t *rgb = tu_make_rgb(1600, 1200, pattern, 7);
    assert_non_null(rgb);
    for (int q = 90; q >= 20; q -= 5) {
        uint8_t *jpg = NULL;
        size_t len = 0;
        assert_int_equal(tu_jpeg(rgb, 1600, 1200, components, q, 0, NULL, 0,
                                 &jpg, &len), 0);
        if (len <= limit) {
            assert_int_equal(tu_write(path, jpg, len), 0);
            free(jpg);
            free(rgb);
            return;
        }
        free(jpg);
    }
    fail_msg("no quality fits %zu bytes", limit);
}

/* A colour JPEG of w x h at quality 98: well over 200,000 bytes. */
static void write_big_jpeg(const char *path, uint32_t w, uint32_t h)
{
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 3);
    uint8_t *jpg = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, w, h, 3, 98, 0, NULL, 0, &jpg, &len), 0);
    assert_true(len > WECHAT_MAX_BYTES);
    assert_int_equal(tu_write(path, jpg, len), 0);
    free(jpg);
    free(rgb);
}

/* A file's content as a C string. */
static char *read_text(const char *path)
{
    char *text = tu_read_text(path);
    assert_non_null(text);
    return text;
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(tu_write(path, (const uint8_t *)text, strlen(text)), 0);
}

/* Asserts path is a JPEG a WeChat portal takes: size, dimensions, colour. */
static void assert_wechat_jpeg(const char *path)
{
    struct stat st;
    unsigned w = 0, h = 0;
    int comps = 0;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0 && st.st_size <= WECHAT_MAX_BYTES);
    assert_int_equal(tu_decode_jpeg(path, &w, &h, &comps, NULL), 0);
    unsigned long_side = w > h ? w : h, short_side = w > h ? h : w;
    assert_true(long_side >= 1500 && short_side >= 1100);
    assert_int_equal(comps, 3);
}

/* 1 when the file at path holds exactly these bytes. */
static int file_equals(const char *path, const uint8_t *data, size_t len)
{
    size_t got_len = 0;
    uint8_t *got = tu_read(path, &got_len);
    int same = got && got_len == len && memcmp(got, data, len) == 0;
    free(got);
    return same;
}

/* Validates a JSON document with Python's parser. */
static void assert_json_valid(const char *json_path)
{
    if (!have_python) {
        fprintf(stderr, "python3 missing: JSON not validated\n");
        return;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "python3 -c 'import json,sys; "
             "json.load(open(sys.argv[1], encoding=\"utf-8\"))' '%s'", json_path);
    assert_int_equal(tu_run(cmd, NULL), 0);
}

/* A fresh folder for one test's outputs; free() and tu_rm_rf() after. */
static char *scratch_dir(void)
{
    char *dir = tu_mkdtemp();
    assert_non_null(dir);
    return dir;
}

static void copy_file(const char *from, const char *to)
{
    size_t len = 0;
    uint8_t *data = tu_read(from, &len);
    assert_non_null(data);
    assert_int_equal(tu_write(to, data, len), 0);
    free(data);
}

/* A "face photo": a dark figure on a background of one colour. */
static void write_face_photo(const char *path, uint8_t r, uint8_t g, uint8_t b)
{
    uint32_t w = 300, h = 400;
    uint8_t *rgb = malloc((size_t)w * h * 3), *jpg = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            int figure = (x > 100 && x < 200 && y > 80) || (y > 300 && x > 40 && x < 260);
            p[0] = figure ? 170 : r, p[1] = figure ? 100 : g, p[2] = figure ? 70 : b;
        }
    assert_int_equal(tu_jpeg(rgb, w, h, 3, 90, 0, NULL, 0, &jpg, &len), 0);
    assert_int_equal(tu_write(path, jpg, len), 0);
    free(jpg);
    free(rgb);
}

/* ---- fixtures: one folder of inputs for every test ---- */

static int setup_inputs(void **state)
{
    (void)state;
    bin = tu_pf_bin();
    have_python = tu_have("python3");
    data_dir = tu_mkdtemp();
    if (!data_dir)
        return -1;
    char *p = path_in(data_dir, "ok.jpg");
    write_jpeg_under(p, TU_PATTERN_COLOR, 3, 190000);
    free(p);
    p = path_in(data_dir, "big.jpg");
    write_big_jpeg(p, 2400, 1800);
    free(p);
    p = path_in(data_dir, "grey.jpg");
    write_jpeg_under(p, TU_PATTERN_GREY, 3, 190000);
    free(p);
    p = path_in(data_dir, "x.jpg"); /* a PDF whatever its name says */
    write_text(p, "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
               "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n3 0 obj\n"
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\n"
               "endobj\n4 0 obj\n<< /Length 34 >>\nstream\n0.8 0.2 0.2 rg 50 50 495 742 re f\n"
               "endstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"); /* A4, red */
    free(p);
    p = path_in(data_dir, "av.jpg"); /* an AVIF (no decoder): nothing to make */
    static const uint8_t avif[] = {0, 0, 0, 28, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f',
                                   0, 0, 0, 0, 'a', 'v', 'i', 'f', 'm', 'i', 'f', '1',
                                   'm', 'i', 'a', 'f'};
    assert_int_equal(tu_write(p, avif, sizeof avif), 0);
    free(p);
    face_dir = tu_mkdtemp();
    if (!face_dir)
        return -1;
    p = path_in(face_dir, "face-white.jpg");
    write_face_photo(p, 253, 253, 253);
    free(p);
    p = path_in(face_dir, "face-cream.jpg");
    write_face_photo(p, 240, 233, 218);
    free(p);
    p = path_in(face_dir, "face-blue.jpg");
    write_face_photo(p, 67, 142, 219);
    free(p);
    p = path_in(data_dir, "notes.txt");
    write_text(p, "hello, this is not an image\n");
    free(p);
    return 0;
}

static int teardown_inputs(void **state)
{
    (void)state;
    if (data_dir)
        tu_rm_rf(data_dir);
    free(data_dir);
    if (face_dir)
        tu_rm_rf(face_dir);
    free(face_dir);
    return 0;
}

/* ---- usage ---- */

static void test_help_exits_0_with_usage_on_stdout(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "--help 2>/dev/null"), 0);
    assert_non_null(strstr(out, "Usage: preflight check"));
    assert_non_null(strstr(out, "wechat"));
    free(out);
    assert_int_equal(run_pf(&out, "check -h 2>/dev/null"), 0);
    assert_non_null(strstr(out, "Usage:"));
    free(out);
    assert_int_equal(run_pf(&out, "--version"), 0);
    assert_non_null(strstr(out, "preflight 0.1.0"));
    free(out);
}

static void test_unknown_option_exits_2(void **state)
{
    (void)state;
    char *out, *err;
    assert_int_equal(run_pf(&out, "check --frobnicate %s/ok.jpg 2>/dev/null",
                            data_dir), 2);
    assert_string_equal(out, ""); /* diagnostics never on stdout */
    free(out);
    assert_int_equal(run_pf(&err, "check --frobnicate %s/ok.jpg 2>&1 >/dev/null",
                            data_dir), 2);
    assert_non_null(strstr(err, "--frobnicate"));
    free(err);
}

static void test_fix_without_output_exits_2(void **state)
{
    (void)state;
    char *err;
    assert_int_equal(run_pf(&err, "fix %s/ok.jpg 2>&1 >/dev/null", data_dir), 2);
    assert_non_null(strstr(err, "-o"));
    free(err);
}

static void test_other_usage_errors_exit_2(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "check", "frob x.jpg", "check --max-bytes 12XB x.jpg",
        "check --min-size 1500 x.jpg", "check --orientation sideways x.jpg",
        "fix -o out --min-quality 0 x.jpg", "check -p nosuch x.jpg",
        "check -o out x.jpg", "check --color=sometimes x.jpg",
        "check --max-pixels -1 x.jpg", "check --min-bytes 3MB x.jpg",
        "check --profile",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = run_pf(NULL, "%s 2>/dev/null", bad[i]);
        if (status != 2)
            fail_msg("'preflight %s' exited %d, not 2", bad[i], status);
    }
}

/* ---- check ---- */

static void test_check_compliant_jpeg_passes(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --json %s/ok.jpg", data_dir), 0);
    assert_non_null(strstr(out, "\"status\":\"pass\""));
    assert_non_null(strstr(out, "\"name\":\"max-bytes\",\"status\":\"pass\""));
    assert_non_null(strstr(out, "\"format\":\"jpeg\""));
    assert_non_null(strstr(out, "\"width\":1600,\"height\":1200"));
    assert_non_null(strstr(out, "\"summary\":{\"files\":1,\"pass\":1,"));
    assert_null(strstr(out, "\"status\":\"fail\""));
    free(out);
}

static void test_check_oversize_fails_max_bytes(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --json %s/big.jpg", data_dir), 1);
    assert_non_null(strstr(out, "\"name\":\"max-bytes\",\"status\":\"fail\""));
    assert_non_null(strstr(out, "\"limit\":200000,")); /* a number, not "200000" */
    free(out);
}

static void test_check_grey_fails_color(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --json %s/grey.jpg", data_dir), 1);
    assert_non_null(strstr(out, "\"name\":\"color\",\"status\":\"fail\""));
    free(out);
}

static void test_check_pdf_named_jpg_fails_format(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --json %s/x.jpg", data_dir), 1);
    assert_non_null(strstr(out, "\"status\":\"fail\",\"format\":\"pdf\""));
    assert_non_null(strstr(out, "\"name\":\"format\",\"status\":\"fail\""));
    const char *error = strstr(out, "\"error\":\"");
    assert_non_null(error);
    assert_non_null(strstr(error, "PDF"));
    free(out);
}

static void test_check_text_file_is_error(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --json %s/notes.txt", data_dir), 1);
    assert_non_null(strstr(out, "\"status\":\"error\""));
    assert_non_null(strstr(out, "not an image"));
    assert_non_null(strstr(out, "\"format\":null"));
    free(out);
}

static void test_batch_goes_on_past_bad_files(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --json %s/missing.jpg %s/notes.txt "
                            "%s/ok.jpg", data_dir, data_dir, data_dir), 1);
    assert_non_null(strstr(out, "missing.jpg\",\"status\":\"error\""));
    assert_non_null(strstr(out, "ok.jpg\",\"status\":\"pass\""));
    assert_non_null(strstr(out, "\"pass\":1,\"fixed\":0,\"fail\":0,\"error\":2"));
    free(out);
}

static void test_check_folder_text_report(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check %s", data_dir), 1);
    /* Sorted by name: av, big, grey, notes, ok, x. */
    const char *big = strstr(out, "big.jpg  fail");
    const char *ok = strstr(out, "\xE2\x9C\x93 "); /* ✓ */
    assert_non_null(big);
    assert_non_null(ok);
    assert_true(big < strstr(out, "grey.jpg") && strstr(out, "notes.txt") < ok);
    assert_non_null(strstr(out, "    fail max-bytes: size "));
    assert_non_null(strstr(out, "6 files: 1 passed, 0 fixed, 4 failed, 1 error\n"));
    assert_null(strchr(out, '\033')); /* no colour into a pipe */
    free(out);
}

static void test_color_and_quiet(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(&out, "check --color=always %s/big.jpg", data_dir), 1);
    assert_non_null(strstr(out, "\033[31m"));
    free(out);
    assert_int_equal(run_pf(&out, "check -q %s/ok.jpg %s/big.jpg", data_dir,
                            data_dir), 1);
    assert_null(strstr(out, "ok.jpg"));
    assert_non_null(strstr(out, "big.jpg"));
    assert_non_null(strstr(out, "2 files: 1 passed"));
    free(out);
}

static void test_rule_overrides(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run_pf(NULL, "check --max-bytes 0 %s/big.jpg", data_dir), 0);
    assert_int_equal(run_pf(NULL, "check --max-bytes 1KB %s/ok.jpg", data_dir), 1);
    assert_int_equal(run_pf(NULL, "check --min-size 1200x1600 %s/ok.jpg",
                            data_dir), 0);
    assert_int_equal(run_pf(&out, "check --json --min-size 2000x1600 %s/ok.jpg",
                            data_dir), 1);
    assert_non_null(strstr(out, "\"name\":\"min-size\",\"status\":\"fail\""));
    free(out);
    assert_int_equal(run_pf(NULL, "check --orientation portrait %s/ok.jpg",
                            data_dir), 1);
    assert_int_equal(run_pf(NULL, "check --orientation landscape %s/ok.jpg",
                            data_dir), 0);
}

static void test_empty_folder_is_not_success(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *out;
    assert_int_equal(run_pf(&out, "check %s 2>/dev/null", dir), 1);
    assert_non_null(strstr(out, "0 files"));
    free(out);
    tu_rm_rf(dir);
    free(dir);
}

static void test_check_writes_nothing(void **state)
{
    (void)state;
    char *before, *after;
    char cmd[4096];
    /* -A: not "..", whose time changes with anything else in /tmp. */
    snprintf(cmd, sizeof cmd, "ls -lA --time-style=full-iso '%s' | md5sum", data_dir);
    assert_int_equal(tu_run(cmd, &before), 0);
    run_pf(NULL, "check -r %s >/dev/null", data_dir);
    assert_int_equal(tu_run(cmd, &after), 0);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* ---- fix ---- */

static void test_fix_writes_compliant_jpeg(void **state)
{
    (void)state;
    char *out_dir = scratch_dir();
    char *in = path_in(data_dir, "big.jpg");
    size_t in_len = 0;
    uint8_t *in_bytes = tu_read(in, &in_len);
    char *out;
    assert_non_null(in_bytes);
    assert_int_equal(run_pf(&out, "fix --json -o %s/out %s", out_dir, in), 0);
    char *written = path_in(out_dir, "out/big.jpg");
    assert_wechat_jpeg(written);
    assert_non_null(strstr(out, "\"status\":\"fixed\""));
    char want[4200];
    snprintf(want, sizeof want, "\"output\":\"%s\"", written);
    assert_non_null(strstr(out, want));
    assert_non_null(strstr(out, "\"input\":{\"format\":\"jpeg\""));
    assert_true(file_equals(in, in_bytes, in_len)); /* input untouched */
    free(out);
    free(written);
    free(in_bytes);
    free(in);
    tu_rm_rf(out_dir);
    free(out_dir);
}

static void test_fix_never_overwrites_without_force(void **state)
{
    (void)state;
    static const char sentinel[] = "not written by preflight";
    char *out_dir = scratch_dir();
    char *target = path_in(out_dir, "big.jpg");
    write_text(target, sentinel);
    char *out;
    assert_int_equal(run_pf(&out, "fix -o %s %s/big.jpg", out_dir, data_dir), 1);
    assert_non_null(strstr(out, "--force"));
    assert_true(file_equals(target, (const uint8_t *)sentinel, strlen(sentinel)));
    free(out);
    assert_int_equal(run_pf(NULL, "fix --force -o %s %s/big.jpg", out_dir,
                            data_dir), 0);
    assert_wechat_jpeg(target);
    free(target);
    tu_rm_rf(out_dir);
    free(out_dir);
}

static void test_fix_unfixable_writes_nothing(void **state)
{
    (void)state;
    char *out_dir = scratch_dir();
    char *out;
    assert_int_equal(run_pf(&out, "fix --json -o %s %s/grey.jpg %s/av.jpg",
                            out_dir, data_dir, data_dir), 1);
    assert_null(strstr(out, "\"status\":\"fixed\""));
    char *grey = path_in(out_dir, "grey.jpg"), *pdf = path_in(out_dir, "av.jpg");
    assert_false(file_exists(grey));
    assert_false(file_exists(pdf));
    free(grey);
    free(pdf);
    free(out);
    tu_rm_rf(out_dir);
    free(out_dir);
}

static void test_fix_recursive_mirrors_folders(void **state)
{
    (void)state;
    char *root = scratch_dir();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/in/sub/deep' '%s/in/.cache' && "
             "cp '%s/ok.jpg' '%s/in/top.jpg' && cp '%s/big.jpg' "
             "'%s/in/sub/deep/inner.jpg' && cp '%s/ok.jpg' '%s/in/.hidden.jpg' "
             "&& cp '%s/ok.jpg' '%s/in/.cache/c.jpg' && "
             "ln -s .. '%s/in/sub/loop'", root, root, data_dir, root, data_dir,
             root, data_dir, root, data_dir, root, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    char *out;
    assert_int_equal(run_pf(&out, "fix -r -o %s/out %s/in", root, root), 0);
    assert_non_null(strstr(out, "2 files: 1 passed, 1 fixed"));
    free(out);
    char *top = path_in(root, "out/top.jpg");
    char *inner = path_in(root, "out/sub/deep/inner.jpg");
    char *hidden = path_in(root, "out/.hidden.jpg");
    char *cache = path_in(root, "out/.cache");
    assert_wechat_jpeg(top);
    assert_wechat_jpeg(inner);
    assert_false(file_exists(hidden));
    assert_false(file_exists(cache));
    /* Without -r only the folder's own files. */
    assert_int_equal(run_pf(&out, "check %s/in", root), 0);
    assert_non_null(strstr(out, "1 file: 1 passed"));
    free(out);
    free(top), free(inner), free(hidden), free(cache);
    tu_rm_rf(root);
    free(root);
}

static void write_png(const char *path)
{
    uint8_t *rgb = tu_make_rgb(1600, 1200, TU_PATTERN_COLOR, 11);
    uint8_t *png = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    assert_int_equal(tu_png(rgb, NULL, 1600, 1200, 2, 8, 0, NULL, 0, &png,
                            &len), 0);
    assert_int_equal(tu_write(path, png, len), 0);
    free(png);
    free(rgb);
}

/* a.png and a.jpg both map to out/a: the second becomes out/a-2. */
static void test_fix_same_stem_gets_suffix(void **state)
{
    (void)state;
    char *root = scratch_dir();
    char *a_jpg = path_in(root, "a.jpg"), *a_png = path_in(root, "a.png");
    char *big = path_in(data_dir, "big.jpg");
    copy_file(big, a_jpg);
    write_png(a_png);
    char *out;
    assert_int_equal(run_pf(&out, "fix --json -o %s/out %s %s", root, a_png,
                            a_jpg), 0);
    char *first = path_in(root, "out/a."), *second = path_in(root, "out/a-2.jpg");
    assert_non_null(strstr(out, first));  /* a.png -> out/a.jpg or out/a.png */
    assert_non_null(strstr(out, second));
    assert_wechat_jpeg(second);
    free(out);
    free(first), free(second), free(big), free(a_jpg), free(a_png);
    tu_rm_rf(root);
    free(root);
}

/* ---- JSON is always one valid document ---- */

static void test_json_valid_for_any_file_name(void **state)
{
    (void)state;
    static const char *const names[] = {
        "q\"uote s \xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81\nline.jpg", /* 身份证 */
        "back\\slash\ttab.jpg",
        "\xFF\xFE not utf-8.jpg",
        "\xF0\x9F\x98\x80.jpg",
    };
    char *root = scratch_dir();
    char *in = path_in(root, "in");
    char *ok = path_in(data_dir, "ok.jpg");
    assert_int_equal(mkdir(in, 0777), 0);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *p = path_in(in, names[i]);
        copy_file(ok, p);
        free(p);
    }
    char *json = path_in(root, "report.json");
    assert_int_equal(run_pf(NULL, "check --json %s > %s", in, json), 0);
    assert_json_valid(json);
    char *text = read_text(json);
    assert_non_null(strstr(text, "q\\\"uote s \xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81\\nline.jpg"));
    assert_non_null(strstr(text, "back\\\\slash\\ttab.jpg"));
    assert_non_null(strstr(text, "\\ufffd\\ufffd not utf-8.jpg"));
    assert_non_null(strstr(text, "\xF0\x9F\x98\x80.jpg"));
    free(text);
    /* Text output shows the newline escaped: one line per file. */
    char *out;
    assert_int_equal(run_pf(&out, "check %s", in), 0);
    assert_non_null(strstr(out, "\\nline.jpg  pass"));
    assert_non_null(strstr(out, "4 files: 4 passed"));
    free(out);
    free(json), free(ok), free(in);
    tu_rm_rf(root);
    free(root);
}

static void test_json_valid_for_mixed_batch_and_fix(void **state)
{
    (void)state;
    char *root = scratch_dir();
    char *json = path_in(root, "report.json");
    assert_int_equal(run_pf(NULL, "check --json %s %s/missing.jpg > %s",
                            data_dir, data_dir, json), 1);
    assert_json_valid(json);
    char *text = read_text(json);
    assert_non_null(strstr(text, "\"summary\":{\"files\":7,\"pass\":1,\"fixed\":0,"
                                 "\"fail\":4,\"error\":2}}\n"));
    free(text);
    assert_int_equal(run_pf(NULL, "fix --json -o %s/out %s > %s", root,
                            data_dir, json), 1);
    assert_json_valid(json);
    free(json);
    tu_rm_rf(root);
    free(root);
}

/* -j: the same report, in input order, whatever the number of workers;
 * the files fix writes are the same bytes. */
static void test_jobs_keep_input_order(void **state)
{
    (void)state;
    char *root = scratch_dir(), *one = NULL, *many = NULL, *out = NULL;
    assert_int_equal(run_pf(&one, "check -j 1 --json %s %s/missing.jpg", data_dir,
                            data_dir), 1);
    for (int j = 2; j <= 5; j += 3) {
        assert_int_equal(run_pf(&many, "check -j %d --json %s %s/missing.jpg", j,
                                data_dir, data_dir), 1);
        assert_string_equal(one, many);
        free(many);
    }
    free(one);
    assert_int_equal(run_pf(&out, "fix -j 1 -o %s/a %s 2>&1", root, data_dir), 1);
    free(out);
    assert_int_equal(run_pf(&out, "fix -j 3 -o %s/b %s 2>&1", root, data_dir), 1);
    free(out);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cmp -s %s/a/big.jpg %s/b/big.jpg && cmp -s %s/a/ok.jpg "
             "%s/b/ok.jpg", root, root, root, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    assert_int_equal(run_pf(&out, "check -j 0 %s 2>&1", data_dir), 2);
    free(out);
    tu_rm_rf(root);
    free(root);
}

/* --fail-on warn: a file that only warns (an upscaled small scan) fails the
 * run; without it the run passes. */
static void test_fail_on_warn(void **state)
{
    (void)state;
    char *root = scratch_dir(), *out = NULL;
    char *small = path_in(root, "small.jpg");
    write_big_jpeg(small, 1200, 900);
    assert_int_equal(run_pf(&out, "fix -o %s/a '%s'", root, small), 0);
    assert_non_null(strstr(out, "upscaled"));
    free(out);
    assert_int_equal(run_pf(&out, "fix --fail-on warn -o %s/b '%s'", root, small), 1);
    free(out);
    assert_int_equal(run_pf(&out, "check --fail-on maybe '%s' 2>&1", small), 2);
    free(out);
    free(small);
    tu_rm_rf(root);
    free(root);
}

/* --jsonl: one valid JSON object per line, each with its input index (any
 * order), every index once, then the summary. --csv: BOM, a header, one
 * quoted row per file in input order; a formula-like name is defused. */
static void test_jsonl_and_csv(void **state)
{
    (void)state;
    char *root = scratch_dir(), *out = NULL;
    char *jsonl = path_in(root, "r.jsonl"), *csv = path_in(root, "r.csv");
    assert_int_equal(run_pf(NULL, "check -j 3 --jsonl --csv %s %s > %s", csv, data_dir,
                            jsonl), 1);
    if (have_python) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "python3 -c '\n"
                 "import json,sys\n"
                 "lines=[json.loads(l) for l in open(sys.argv[1],encoding=\"utf-8\")]\n"
                 "assert sorted(o[\"index\"] for o in lines[:-1])==list(range(6)),lines\n"
                 "assert lines[-1]=={\"summary\":{\"files\":6,\"pass\":1,\"fixed\":0,\"fail\":4,\"error\":1}}\n"
                 "import csv\n"
                 "raw=open(sys.argv[2],\"rb\").read()\n"
                 "assert raw.startswith(b\"\\xef\\xbb\\xbf\\\"path\\\",\"), raw[:20]\n"
                 "rows=list(csv.reader(open(sys.argv[2],encoding=\"utf-8-sig\",newline=\"\")))\n"
                 "assert len(rows)==7 and rows[0][:3]==[\"path\",\"status\",\"format\"]\n"
                 "assert [r[0].rsplit(\"/\",1)[1] for r in rows[1:]]==sorted(r[0].rsplit(\"/\",1)[1] for r in rows[1:])\n"
                 "' '%s' '%s'", jsonl, csv);
        assert_int_equal(tu_run(cmd, &out), 0);
        free(out);
    }
    assert_int_equal(run_pf(&out, "check --json --jsonl %s 2>&1", data_dir), 2);
    free(out);
    free(jsonl);
    free(csv);
    tu_rm_rf(root);
    free(root);
}

/* Ctrl-C in the middle of a batch: exit 130, the report so far and the
 * summary printed, no temporary file left, every output a whole JPEG. */
static void test_interrupt_stops_cleanly(void **state)
{
    (void)state;
    char *root = scratch_dir(), *out = NULL, cmd[8192];
    char *big = path_in(data_dir, "big.jpg");
    for (int i = 0; i < 40; i++) {
        char name[64];
        snprintf(name, sizeof name, "in/p%02d.jpg", i);
        char *p = path_in(root, name);
        if (i == 0) {
            snprintf(cmd, sizeof cmd, "mkdir -p '%s/in'", root);
            assert_int_equal(tu_run(cmd, NULL), 0);
        }
        copy_file(big, p);
        free(p);
    }
    snprintf(cmd, sizeof cmd, "'%s' fix -j 1 -o '%s/out' '%s/in' > '%s/log' 2>&1 & pid=$!; "
             "for t in $(seq 300); do grep -q fixed '%s/log' && break; sleep 0.1; done; "
             "kill -INT $pid; wait $pid; echo \"exit $?\"; cat '%s/log'; "
             "ls -A '%s/out' | grep -c '^\\.' ; for f in '%s'/out/*.jpg; do "
             "[ -f \"$f\" ] || continue; tail -c 2 \"$f\" | od -An -tx1 | grep -q 'ff d9' "
             "|| echo \"torn $f\"; done",
             bin, root, root, root, root, root, root, root);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_non_null(strstr(out, "exit 130"));
    assert_non_null(strstr(out, "interrupted after"));
    assert_non_null(strstr(out, " files: ")); /* the summary */
    assert_null(strstr(out, "40 files: "));   /* stopped early */
    assert_null(strstr(out, "torn "));
    /* No hidden temporary file in the output folder. */
    assert_non_null(strstr(out, "\n0\n"));
    free(out);
    free(big);
    tu_rm_rf(root);
    free(root);
}

/* Pipes: fix -o - - writes the fixed JPEG to stdout and the JSON report to
 * stderr; a PDF on stdin writes nothing and fails; check - reads stdin. */
static void test_stdin_to_stdout(void **state)
{
    (void)state;
    char *root = scratch_dir(), *out = NULL;
    char *jpg = path_in(root, "o.jpg"), *json = path_in(root, "r.json");
    assert_int_equal(run_pf(NULL, "fix --json -o - - < %s/big.jpg > %s 2> %s", data_dir,
                            jpg, json), 0);
    assert_json_valid(json);
    char *text = read_text(json);
    assert_non_null(strstr(text, "\"status\":\"fixed\""));
    free(text);
    size_t len = 0;
    uint8_t *data = tu_read(jpg, &len);
    assert_non_null(data);
    assert_true(len > 1000 && len <= WECHAT_MAX_BYTES && data[0] == 0xFF && data[1] == 0xD8);
    assert_true(data[len - 2] == 0xFF && data[len - 1] == 0xD9);
    free(data);
    assert_int_equal(run_pf(NULL, "fix -o - - < %s/av.jpg > %s 2>/dev/null", data_dir, jpg), 1);
    data = tu_read(jpg, &len);
    assert_int_equal(len, 0);
    free(data);
    assert_int_equal(run_pf(&out, "check - < %s/ok.jpg", data_dir), 0);
    assert_non_null(strstr(out, "(stdin)"));
    free(out);
    assert_int_equal(run_pf(&out, "fix -o - %s/ok.jpg 2>&1", data_dir), 2);
    free(out);
    free(jpg);
    free(json);
    tu_rm_rf(root);
    free(root);
}

/* --group-by-folder: one line per client folder, saying who is ready and
 * what to redo; the same in the CSV. */
static void test_group_by_folder(void **state)
{
    (void)state;
    char *root = scratch_dir(), *out = NULL, cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/in/anna' '%s/in/bo' && cp '%s/ok.jpg' "
             "'%s/in/anna/' && cp '%s/big.jpg' '%s/grey.jpg' '%s/in/bo/' && cp '%s/ok.jpg' "
             "'%s/in/loose.jpg'", root, root, data_dir, root, data_dir, data_dir, root,
             data_dir, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    assert_int_equal(run_pf(&out, "fix -r --group-by-folder --csv %s/r.csv -o %s/out "
                            "%s/in", root, root, root), 1);
    assert_non_null(strstr(out, "By folder:\n  anna: all 1 ready\n"));
    assert_non_null(strstr(out, "  bo: 2 files, 0 ready, 1 fixed, 1 needs a new photo "
                                "or scan: grey.jpg (grey-scale copy"));
    assert_non_null(strstr(out, "  (top level): all 1 ready\n"));
    free(out);
    char *csv_path = path_in(root, "r.csv");
    char *csv = read_text(csv_path);
    assert_non_null(strstr(csv, "\"folder\",\"files\",\"ready\",\"fixed\""));
    assert_non_null(strstr(csv, "\"bo\",\"2\",\"0\",\"1\",\"1\",\"grey.jpg (grey-scale"));
    free(csv);
    free(csv_path);
    tu_rm_rf(root);
    free(root);
}

/* --html, rendered by headless Chromium (Debian's chromium; CI installs
 * it, elsewhere the test says it is skipped): the counts the page's script
 * computes, one row and one badge per file, the failed-only filter from
 * the URL, thumbnails, and a file name that is markup shown as text. */
static void test_html_report_in_chromium(void **state)
{
    (void)state;
    if (!tu_have("chromium")) {
        fprintf(stderr, "chromium missing: HTML report not rendered (CI installs it)\n");
        return;
    }
    char *root = scratch_dir(), cmd[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/in' && cp '%s/ok.jpg' '%s/big.jpg' '%s/grey.jpg' "
             "'%s/av.jpg' '%s/in/' && cp '%s/ok.jpg' '%s/in/<img src=x onerror=alert(1)>.jpg'",
             root, data_dir, data_dir, data_dir, data_dir, root, data_dir, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    char *html = path_in(root, "report.html");
    assert_int_equal(run_pf(NULL, "fix --html '%s' -o '%s/out' '%s/in' >/dev/null", html,
                            root, root), 1);
    char *dom = tu_render_html(html, "");
    assert_non_null(dom);
    assert_non_null(strstr(dom, "<span id=\"count-all\">5</span>"));
    assert_non_null(strstr(dom, "<span id=\"count-pass\">2</span>"));
    assert_non_null(strstr(dom, "<span id=\"count-fixed\">1</span>"));
    assert_non_null(strstr(dom, "<span id=\"count-fail\">2</span>"));
    assert_int_equal(tu_count(dom, "<tr class=\"file\""), 5);
    assert_int_equal(tu_count(dom, "<span class=\"badge fail\">fail</span>"), 2);
    assert_int_equal(tu_count(dom, "<span class=\"badge fixed\">fixed</span>"), 1);
    assert_true(tu_count(dom, "src=\"data:image/jpeg;base64,") >= 6);
    /* A name that is markup ('/' cannot be in a file name, so no </script>). */
    assert_non_null(strstr(dom, "&lt;img src=x onerror=alert(1)&gt;.jpg"));
    assert_null(strstr(dom, "<img src=\"x\""));
    assert_int_equal(tu_count(dom, "style=\"display: none;\""), 0);
    free(dom);
    /* The failed-only filter, as a link would open it. */
    dom = tu_render_html(html, "#fail");
    assert_non_null(dom);
    assert_int_equal(tu_count(dom, "style=\"display: none;\""), 3);
    free(dom);
    free(html);
    tu_rm_rf(root);
    free(root);
}

/* scripts/preflight-drop on a folder of good and bad files, as a launcher
 * runs it (no terminal, no desktop): copies and report.html in
 * preflight-ready/ beside the dropped folder, one line per file, and
 * `make install` puts the script and its desktop entry (Exec with %F). */
static void test_drop_script(void **state)
{
    (void)state;
    const char *testdata = getenv("PF_TESTDATA");
    char *root = scratch_dir(), *out = NULL, cmd[8192];
    if (!testdata) {
        fprintf(stderr, "PF_TESTDATA unset: drop script not run\n");
        goto cleanup;
    }
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/dropped' && cp '%s/ok.jpg' '%s/big.jpg' "
             "'%s/grey.jpg' '%s/av.jpg' '%s/dropped/'", root, data_dir, data_dir, data_dir,
             data_dir, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    snprintf(cmd, sizeof cmd, "cd '%s' && env -u DISPLAY -u WAYLAND_DISPLAY PREFLIGHT='%s' "
             "sh '%s/../scripts/preflight-drop' dropped < /dev/null; echo \"exit $?\"",
             root, bin, testdata);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_non_null(strstr(out, "exit 1"));        /* grey and AVIF fail */
    if (tu_count(out, "dropped/") != 4) /* one line per file */
        fail_msg("preflight-drop said: %s", out);
    assert_null(strstr(out, "\n    "));            /* no detail lines */
    assert_non_null(strstr(out, "preflight-ready"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd '%s/preflight-ready' && test -s report.html && "
             "test -s ok.jpg && test -s big.jpg && ! test -e grey.jpg && ! test -e av.jpg && "
             "! ls -A | grep -q '^\\.'", root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    snprintf(cmd, sizeof cmd, "make -s -C '%s/..' install PREFIX=/usr DESTDIR='%s/inst' "
             ">/dev/null 2>&1 && test -x '%s/inst/usr/bin/preflight-drop' && grep -q "
             "'^Exec=preflight-drop %%F$' '%s/inst/usr/share/applications/preflight-drop.desktop'",
             testdata, root, root, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
cleanup:
    tu_rm_rf(root);
    free(root);
}

/* The progress line: on a terminal (util-linux `script` gives one) with 6+
 * files; never when stderr is a file, nor with -q. */
static void test_progress_only_on_a_terminal(void **state)
{
    (void)state;
    char *root = scratch_dir(), *out = NULL, cmd[8192];
    if (!tu_have("script")) {
        fprintf(stderr, "script(1) missing: progress line not tested\n");
        goto cleanup;
    }
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/in' && for i in 1 2 3 4 5 6 7; do cp '%s/ok.jpg' "
             "'%s/in/p'$i.jpg; done", root, data_dir, root);
    assert_int_equal(tu_run(cmd, NULL), 0);
    snprintf(cmd, sizeof cmd, "script -qc \"'%s' check -j 1 '%s/in' >/dev/null\" /dev/null",
             bin, root);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_non_null(strstr(out, "] 7/7 "));
    assert_non_null(strstr(out, " files/s "));
    free(out);
    snprintf(cmd, sizeof cmd, "script -qc \"'%s' check -q -j 1 '%s/in' >/dev/null\" "
             "/dev/null; '%s' check '%s/in' 2>&1 >/dev/null", bin, root, bin, root);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_null(strstr(out, "files/s"));
    free(out);
cleanup:
    tu_rm_rf(root);
    free(root);
}

/* ---- face photos: the white-background rule ---- */

/* The white-background rule on drawn portraits: a detector finds no face in
 * a drawing, so these leave the face rule out (test_face and test_i18n
 * use real photos for it). */
static void test_face_profile(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_pf(&out, "check -p face --skip face --json '%s/face-white.jpg'", face_dir), 0);
    assert_non_null(strstr(out, "\"white-background\",\"status\":\"pass\""));
    free(out);
    assert_int_equal(run_pf(&out, "check -p face --skip face '%s/face-blue.jpg' 2>&1", face_dir), 1);
    assert_non_null(strstr(out, "retake the photo against a white wall"));
    free(out);
    /* Any profile can take the rule. */
    assert_int_equal(run_pf(&out, "check --check white-background --json '%s/face-cream.jpg'",
                            face_dir), 1);
    assert_non_null(strstr(out, "\"white-background\",\"status\":\"fail\""));
    assert_non_null(strstr(out, "\"failing_sides\":[\"top\",\"left\",\"right\"]"));
    free(out);
    assert_int_equal(run_pf(&out, "check --check black '%s/face-cream.jpg' 2>&1", face_dir), 2);
    free(out);
}

static void test_fix_whiten_and_debug_mask(void **state)
{
    (void)state;
    char *dir = scratch_dir(), *out = NULL;
    /* Without --whiten a cream wall is not mended, and fix says how. */
    assert_int_equal(run_pf(&out, "fix -p face --skip face -o '%s' '%s/face-cream.jpg' 2>&1", dir,
                            face_dir), 1);
    assert_non_null(strstr(out, "--whiten"));
    free(out);
    assert_int_equal(run_pf(&out, "fix -p face --skip face --whiten -o '%s' '%s/face-cream.jpg'", dir,
                            face_dir), 0);
    assert_non_null(strstr(out, "whitened the background"));
    free(out);
    char *fixed = path_in(dir, "face-cream.jpg");
    struct stat st;
    assert_int_equal(stat(fixed, &st), 0);
    free(fixed);
    /* A blue background: nothing written, whatever --whiten says. */
    assert_int_equal(run_pf(&out, "fix -p face --skip face --whiten -o '%s' '%s/face-blue.jpg' 2>&1",
                            dir, face_dir), 1);
    free(out);
    char *blue = path_in(dir, "face-blue.jpg");
    assert_int_not_equal(stat(blue, &st), 0);
    free(blue);
    /* --debug-mask: a PNG of the photo's size. */
    char *mask = path_in(dir, "mask.png");
    assert_int_equal(run_pf(&out, "check -p face --skip face --debug-mask '%s' '%s/face-blue.jpg'", mask,
                            face_dir), 1);
    free(out);
    size_t len = 0;
    uint8_t *png = tu_read(mask, &len);
    assert_non_null(png);
    assert_true(len > 24 && memcmp(png, "\x89PNG", 4) == 0);
    assert_int_equal((png[16] << 24 | png[17] << 16 | png[18] << 8 | png[19]), 300);
    free(png);
    free(mask);
    /* One image only. */
    assert_int_equal(run_pf(&out, "check -p face --skip face --debug-mask x.png '%s' 2>&1", face_dir), 2);
    free(out);
    tu_rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_exits_0_with_usage_on_stdout),
        cmocka_unit_test(test_unknown_option_exits_2),
        cmocka_unit_test(test_fix_without_output_exits_2),
        cmocka_unit_test(test_other_usage_errors_exit_2),
        cmocka_unit_test(test_check_compliant_jpeg_passes),
        cmocka_unit_test(test_check_oversize_fails_max_bytes),
        cmocka_unit_test(test_check_grey_fails_color),
        cmocka_unit_test(test_check_pdf_named_jpg_fails_format),
        cmocka_unit_test(test_check_text_file_is_error),
        cmocka_unit_test(test_batch_goes_on_past_bad_files),
        cmocka_unit_test(test_check_folder_text_report),
        cmocka_unit_test(test_color_and_quiet),
        cmocka_unit_test(test_rule_overrides),
        cmocka_unit_test(test_empty_folder_is_not_success),
        cmocka_unit_test(test_check_writes_nothing),
        cmocka_unit_test(test_fix_writes_compliant_jpeg),
        cmocka_unit_test(test_fix_never_overwrites_without_force),
        cmocka_unit_test(test_fix_unfixable_writes_nothing),
        cmocka_unit_test(test_fix_recursive_mirrors_folders),
        cmocka_unit_test(test_fix_same_stem_gets_suffix),
        cmocka_unit_test(test_json_valid_for_any_file_name),
        cmocka_unit_test(test_json_valid_for_mixed_batch_and_fix),
        cmocka_unit_test(test_jobs_keep_input_order),
        cmocka_unit_test(test_fail_on_warn),
        cmocka_unit_test(test_jsonl_and_csv),
        cmocka_unit_test(test_interrupt_stops_cleanly),
        cmocka_unit_test(test_stdin_to_stdout),
        cmocka_unit_test(test_group_by_folder),
        cmocka_unit_test(test_html_report_in_chromium),
        cmocka_unit_test(test_drop_script),
        cmocka_unit_test(test_progress_only_on_a_terminal),
        cmocka_unit_test(test_face_profile),
        cmocka_unit_test(test_fix_whiten_and_debug_mask),
    };
    return cmocka_run_group_tests(tests, setup_inputs, teardown_inputs);
}
