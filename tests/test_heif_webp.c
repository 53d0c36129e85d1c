/* pf_heif_decode and pf_webp_decode against files made here: WebP with
 * libwebp's encoders (still, lossless, alpha, animated through
 * WebPAnimEncoder, ICCP/EXIF chunks through WebPMux), HEIC with libheif's
 * own encoder (x265: the HEIC tests skip without it) including irot/imir,
 * alpha, nclx and ICC colour and EXIF. Then the corpus's HEIC and WebP
 * files when the corpus is there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lcms2.h>
#include <libheif/heif.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include "internal.h"
#include "testutil.h"

#define CAP 100000000ULL

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif
#if UNDER_ASAN
/* x265 (the tests' HEIC encoder, not the code under test) leaks a little
 * on each encode: what it allocates is kept out of the leak check. */
#include <sanitizer/lsan_interface.h>
#define ENCODER_BEGIN() __lsan_disable()
#define ENCODER_END() __lsan_enable()
#else
#define ENCODER_BEGIN() ((void)0)
#define ENCODER_END() ((void)0)
#endif

/* ---- helpers ---- */

static const uint8_t *px(const pf_bitmap *b, uint32_t x, uint32_t y)
{
    return b->rgb + ((size_t)y * b->width + x) * 3;
}

/* Mean and largest absolute difference of the bitmap against w*h RGB. */
static void compare(const pf_bitmap *b, const uint8_t *rgb, double *mean, int *max)
{
    uint64_t sum = 0;
    int m = 0;
    size_t n = (size_t)b->width * b->height * 3;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)b->rgb[i] - (int)rgb[i]);
        sum += (uint64_t)d;
        m = d > m ? d : m;
    }
    *mean = (double)sum / (double)n;
    *max = m;
}

static void assert_near(const uint8_t *got, int r, int g, int b, int tol)
{
    if (abs(got[0] - r) > tol || abs(got[1] - g) > tol || abs(got[2] - b) > tol)
        fail_msg("pixel (%d,%d,%d), expected (%d,%d,%d) +- %d", got[0], got[1],
                 got[2], r, g, b, tol);
}

static uint8_t blend_white(uint8_t c, uint8_t a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

/* Runs decode in a child whose address space may grow by at most 64 MB
 * and returns its status: a decoder that allocated by a huge header before
 * refusing it would fail there with PF_ERR_NOMEM (or be killed). */
typedef pf_status (*decode_fn)(const uint8_t *, size_t, uint64_t, pf_decoded *,
                               char *);
static int decode_in_small_space(decode_fn fn, const uint8_t *data, size_t len,
                                 uint64_t cap)
{
    if (UNDER_ASAN) { /* ASan reserves terabytes: no RLIMIT_AS there */
        pf_decoded dec;
        char err[PF_ERR_LEN];
        return fn(data, len, cap, &dec, err);
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (!f || fscanf(f, "%ld", &pages) != 1)
            _exit(100);
        fclose(f);
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) +
                                    ((rlim_t)64 << 20);
        if (setrlimit(RLIMIT_AS, &rl) != 0)
            _exit(101);
        pf_decoded dec;
        char err[PF_ERR_LEN];
        _exit((int)fn(data, len, cap, &dec, err));
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    return WEXITSTATUS(ws);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void put_le24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16);
}

/* Where the 4 bytes of s first occur in data (a box or chunk type). */
static size_t find4(const uint8_t *data, size_t len, const char *s)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(data + i, s, 4) == 0)
            return i;
    fail_msg("no '%s' in the file", s);
    return 0;
}

/* libde265 reports some damage on stderr itself: hushed while files are
 * damaged on purpose. */
static int hush_stderr(void)
{
    fflush(stderr);
    int saved = dup(2);
    int null = open("/dev/null", O_WRONLY);
    assert_true(saved >= 0 && null >= 0);
    dup2(null, 2);
    close(null);
    return saved;
}

static void restore_stderr(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    assert_non_null(d);
    memcpy(d, p, n);
    return d;
}

/* ---- WebP makers ---- */

static uint8_t *webp_lossless_rgb(const uint8_t *rgb, int w, int h, size_t *len)
{
    uint8_t *out = NULL;
    *len = WebPEncodeLosslessRGB(rgb, w, h, w * 3, &out);
    assert_true(*len > 0);
    uint8_t *copy = dup_bytes(out, *len);
    WebPFree(out);
    return copy;
}

static uint8_t *webp_lossy_rgb(const uint8_t *rgb, int w, int h, float q, size_t *len)
{
    uint8_t *out = NULL;
    *len = WebPEncodeRGB(rgb, w, h, w * 3, q, &out);
    assert_true(*len > 0);
    uint8_t *copy = dup_bytes(out, *len);
    WebPFree(out);
    return copy;
}

static uint8_t *webp_lossless_rgba(const uint8_t *rgba, int w, int h, size_t *len)
{
    uint8_t *out = NULL;
    *len = WebPEncodeLosslessRGBA(rgba, w, h, w * 4, &out);
    assert_true(*len > 0);
    uint8_t *copy = dup_bytes(out, *len);
    WebPFree(out);
    return copy;
}

/* Adds ICCP and/or EXIF chunks (NULL: none) through WebPMux. */
static uint8_t *webp_with_chunks(const uint8_t *webp, size_t len, const uint8_t *icc,
                                 size_t icc_len, const uint8_t *exif, size_t exif_len,
                                 size_t *out_len)
{
    WebPMux *mux = WebPMuxNew();
    assert_non_null(mux);
    WebPData img = {webp, len};
    assert_int_equal(WebPMuxSetImage(mux, &img, 1), WEBP_MUX_OK);
    if (icc) {
        WebPData d = {icc, icc_len};
        assert_int_equal(WebPMuxSetChunk(mux, "ICCP", &d, 1), WEBP_MUX_OK);
    }
    if (exif) {
        WebPData d = {exif, exif_len};
        assert_int_equal(WebPMuxSetChunk(mux, "EXIF", &d, 1), WEBP_MUX_OK);
    }
    WebPData out;
    WebPDataInit(&out);
    assert_int_equal(WebPMuxAssemble(mux, &out), WEBP_MUX_OK);
    WebPMuxDelete(mux);
    uint8_t *copy = dup_bytes(out.bytes, out.size);
    *out_len = out.size;
    WebPDataClear(&out);
    return copy;
}

/* An animation of n lossless frames (w*h RGBA each, 100 ms apart). */
static uint8_t *webp_animation(uint8_t *const *frames, int n, int w, int h, size_t *len)
{
    WebPAnimEncoderOptions eo;
    assert_true(WebPAnimEncoderOptionsInit(&eo));
    WebPAnimEncoder *ae = WebPAnimEncoderNew(w, h, &eo);
    assert_non_null(ae);
    WebPConfig cfg;
    assert_true(WebPConfigInit(&cfg));
    cfg.lossless = 1;
    for (int i = 0; i < n; i++) {
        WebPPicture pic;
        assert_true(WebPPictureInit(&pic));
        pic.width = w, pic.height = h, pic.use_argb = 1;
        assert_true(WebPPictureImportRGBA(&pic, frames[i], w * 4));
        assert_true(WebPAnimEncoderAdd(ae, &pic, i * 100, &cfg));
        WebPPictureFree(&pic);
    }
    assert_true(WebPAnimEncoderAdd(ae, NULL, n * 100, NULL));
    WebPData out;
    WebPDataInit(&out);
    assert_true(WebPAnimEncoderAssemble(ae, &out));
    WebPAnimEncoderDelete(ae);
    uint8_t *copy = dup_bytes(out.bytes, out.size);
    *len = out.size;
    WebPDataClear(&out);
    return copy;
}

static void webp_ok(const uint8_t *data, size_t len, pf_decoded *dec)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_webp_decode(data, len, CAP, dec, err);
    if (st != PF_OK)
        fail_msg("pf_webp_decode: %d (%s)", st, err);
}

/* ---- WebP tests ---- */

static void test_webp_lossless(void **state)
{
    (void)state;
    const uint32_t w = 37, h = 23;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 5);
    size_t len;
    uint8_t *webp = webp_lossless_rgb(rgb, (int)w, (int)h, &len);
    pf_decoded dec;
    webp_ok(webp, len, &dec);
    assert_int_equal(dec.bmp.width, w);
    assert_int_equal(dec.bmp.height, h);
    assert_int_equal(dec.stored_width, w);
    assert_int_equal(dec.stored_height, h);
    assert_memory_equal(dec.bmp.rgb, rgb, (size_t)w * h * 3);
    assert_int_equal(dec.has_alpha, 0);
    assert_int_equal(dec.animated, 0);
    assert_true(dec.pages <= 1);
    assert_int_equal(dec.exif_orientation, 0);
    assert_int_equal(dec.has_gps, 0);
    assert_null(dec.icc);
    pf_decoded_free(&dec);
    free(webp);
    free(rgb);
}

static void test_webp_lossy(void **state)
{
    (void)state;
    const uint32_t w = 96, h = 64;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_SMOOTH, 9);
    size_t len;
    uint8_t *webp = webp_lossy_rgb(rgb, (int)w, (int)h, 95, &len);
    pf_decoded dec;
    webp_ok(webp, len, &dec);
    assert_int_equal(dec.bmp.width, w);
    assert_int_equal(dec.bmp.height, h);
    double mean;
    int max;
    compare(&dec.bmp, rgb, &mean, &max);
    assert_true(mean < 3.0);
    assert_true(max < 40);
    pf_decoded_free(&dec);
    free(webp);
    free(rgb);
}

static void test_webp_alpha(void **state)
{
    (void)state;
    const uint32_t w = 24, h = 16;
    uint8_t *rgba = malloc((size_t)w * h * 4);
    assert_non_null(rgba);
    /* Columns of alpha 255, 128 and 0 over one colour per row band. */
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = rgba + ((size_t)y * w + x) * 4;
            p[0] = (uint8_t)(10 * y), p[1] = 200, p[2] = (uint8_t)(8 * x);
            p[3] = x < 8 ? 255 : x < 16 ? 128 : 0;
        }
    size_t len;
    uint8_t *webp = webp_lossless_rgba(rgba, (int)w, (int)h, &len);
    pf_decoded dec;
    webp_ok(webp, len, &dec);
    assert_int_equal(dec.has_alpha, 1);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *s = rgba + ((size_t)y * w + x) * 4;
            const uint8_t *d = px(&dec.bmp, x, y);
            for (int c = 0; c < 3; c++)
                assert_int_equal(d[c], blend_white(s[c], s[3]));
        }
    pf_decoded_free(&dec);
    free(webp);
    /* All opaque: nothing translucent is reported. */
    for (size_t i = 0; i < (size_t)w * h; i++)
        rgba[i * 4 + 3] = 255;
    webp = webp_lossless_rgba(rgba, (int)w, (int)h, &len);
    webp_ok(webp, len, &dec);
    assert_int_equal(dec.has_alpha, 0);
    assert_int_equal(px(&dec.bmp, 3, 2)[2], 24);
    pf_decoded_free(&dec);
    free(webp);
    free(rgba);
}

static void test_webp_animated(void **state)
{
    (void)state;
    const int w = 40, h = 30, n = 3;
    uint8_t *frames[3];
    const uint8_t colours[3][3] = {{200, 30, 40}, {20, 180, 60}, {30, 40, 220}};
    for (int i = 0; i < n; i++) {
        frames[i] = malloc((size_t)w * h * 4);
        assert_non_null(frames[i]);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint8_t *p = frames[i] + ((size_t)y * w + x) * 4;
                memcpy(p, colours[i], 3);
                /* The first frame leaves its right quarter transparent. */
                p[3] = i == 0 && x >= 30 ? 0 : 255;
            }
    }
    size_t len;
    uint8_t *webp = webp_animation(frames, n, w, h, &len);
    pf_decoded dec;
    webp_ok(webp, len, &dec);
    assert_int_equal(dec.bmp.width, w);
    assert_int_equal(dec.bmp.height, h);
    assert_int_equal(dec.stored_width, w);
    assert_int_equal(dec.animated, 1);
    assert_int_equal(dec.pages, 3);
    assert_int_equal(dec.has_alpha, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *d = px(&dec.bmp, (uint32_t)x, (uint32_t)y);
            if (x < 30)
                assert_memory_equal(d, colours[0], 3);
            else
                assert_near(d, 255, 255, 255, 0);
        }
    pf_decoded_free(&dec);
    /* Cut inside the last frame: the file is known to be short. */
    char err[PF_ERR_LEN];
    assert_int_equal(pf_webp_decode(webp, len - 7, CAP, &dec, err), PF_ERR_TRUNCATED);
    assert_null(dec.bmp.rgb);
    assert_true(err[0] != '\0');
    /* The first frame's lossless signature damaged. */
    uint8_t *bad = dup_bytes(webp, len);
    size_t at = find4(bad, len, "VP8L");
    assert_int_equal(bad[at + 8], 0x2f);
    bad[at + 8] ^= 0x01;
    pf_status st = pf_webp_decode(bad, len, CAP, &dec, err);
    assert_int_equal(st, PF_ERR_CORRUPT);
    assert_null(dec.bmp.rgb);
    /* Over the cap from the canvas size alone. */
    assert_int_equal(pf_webp_decode(webp, len, 1000, &dec, err), PF_ERR_TOO_LARGE);
    free(bad);
    free(webp);
    for (int i = 0; i < n; i++)
        free(frames[i]);
}

static void test_webp_metadata(void **state)
{
    (void)state;
    const uint32_t w = 16, h = 12;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 3);
    size_t len, len2;
    uint8_t *webp = webp_lossless_rgb(rgb, (int)w, (int)h, &len);
    uint8_t icc[300];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(i * 7);
    uint8_t exif[256];
    for (int with_header = 0; with_header <= 1; with_header++) {
        size_t exif_len = tu_exif_orientation(6, 1, with_header, with_header,
                                              exif, sizeof exif);
        uint8_t *meta = webp_with_chunks(webp, len, icc, sizeof icc, exif, exif_len,
                                         &len2);
        pf_decoded dec;
        webp_ok(meta, len2, &dec);
        assert_int_equal(dec.exif_orientation, 6);
        assert_int_equal(dec.has_gps, 1);
        assert_int_equal(dec.icc_len, sizeof icc);
        assert_memory_equal(dec.icc, icc, sizeof icc);
        /* Stored as encoded: the orientation is left to the caller. */
        assert_int_equal(dec.bmp.width, w);
        assert_memory_equal(dec.bmp.rgb, rgb, (size_t)w * h * 3);
        pf_decoded_free(&dec);
        free(meta);
    }
    /* EXIF without GPS, orientation 3; no ICC. */
    size_t exif_len = tu_exif_orientation(3, 0, 0, 0, exif, sizeof exif);
    uint8_t *meta = webp_with_chunks(webp, len, NULL, 0, exif, exif_len, &len2);
    pf_decoded dec;
    webp_ok(meta, len2, &dec);
    assert_int_equal(dec.exif_orientation, 3);
    assert_int_equal(dec.has_gps, 0);
    assert_null(dec.icc);
    pf_decoded_free(&dec);
    free(meta);
    /* Garbage in the EXIF chunk is no error. */
    memset(exif, 0xA5, sizeof exif);
    meta = webp_with_chunks(webp, len, NULL, 0, exif, sizeof exif, &len2);
    webp_ok(meta, len2, &dec);
    assert_int_equal(dec.exif_orientation, 0);
    pf_decoded_free(&dec);
    free(meta);
    /* An ICC profile past the limit for metadata is refused. */
    size_t big = (size_t)5 << 20;
    uint8_t *huge = calloc(1, big);
    assert_non_null(huge);
    meta = webp_with_chunks(webp, len, huge, big, NULL, 0, &len2);
    char err[PF_ERR_LEN];
    assert_int_equal(pf_webp_decode(meta, len2, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "limit for metadata"));
    assert_null(dec.bmp.rgb);
    free(meta);
    free(huge);
    free(webp);
    free(rgb);
}

/* RIFF/WEBP header + one VP8L chunk declaring w x h (no pixel data). */
static size_t vp8l_header(uint8_t *buf, uint32_t w, uint32_t h)
{
    memcpy(buf, "RIFF", 4);
    memcpy(buf + 8, "WEBPVP8L", 8);
    put_le32(buf + 16, 5 + 10);
    buf[20] = 0x2f;
    uint32_t bits = (w - 1) | (h - 1) << 14; /* alpha 0, version 0 */
    put_le32(buf + 21, bits);
    memset(buf + 25, 0, 10);
    put_le32(buf + 4, 35 - 8);
    return 35;
}

static void test_webp_too_large(void **state)
{
    (void)state;
    uint8_t buf[64];
    char err[PF_ERR_LEN];
    pf_decoded dec;
    /* 16384 x 16384 = 268 MP: 805 MB of RGB, refused from the header. */
    size_t len = vp8l_header(buf, 16384, 16384);
    assert_int_equal(pf_webp_decode(buf, len, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_null(dec.bmp.rgb);
    assert_non_null(strstr(err, "16384"));
    assert_non_null(strstr(err, "268.4 MP"));
    assert_int_equal(decode_in_small_space(pf_webp_decode, buf, len, CAP),
                     PF_ERR_TOO_LARGE);
    /* An extended header's canvas (24 bits a side) says 60000 x 50000. */
    uint8_t x[64] = {0};
    memcpy(x, "RIFF", 4);
    memcpy(x + 8, "WEBPVP8X", 8);
    put_le32(x + 16, 10);
    x[20] = 0x02; /* animation */
    put_le24(x + 24, 60000 - 1);
    put_le24(x + 27, 50000 - 1);
    memcpy(x + 30, "ANIM", 4);
    put_le32(x + 34, 6);
    put_le32(x + 4, 44 - 8);
    assert_int_equal(pf_webp_decode(x, 44, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "60000"));
    assert_int_equal(decode_in_small_space(pf_webp_decode, x, 44, CAP), PF_ERR_TOO_LARGE);
    /* A real picture over a small cap. */
    uint8_t *rgb = tu_make_rgb(20, 10, TU_PATTERN_FLAT, 1);
    size_t wlen;
    uint8_t *webp = webp_lossless_rgb(rgb, 20, 10, &wlen);
    assert_int_equal(pf_webp_decode(webp, wlen, 199, &dec, err), PF_ERR_TOO_LARGE);
    webp_ok(webp, wlen, &dec);
    pf_decoded_free(&dec);
    assert_int_equal(pf_webp_decode(webp, wlen, 0, &dec, err), PF_OK); /* 0: no cap */
    pf_decoded_free(&dec);
    free(webp);
    free(rgb);
}

static void test_webp_damaged(void **state)
{
    (void)state;
    const uint32_t w = 64, h = 48;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 11);
    size_t lens[2];
    uint8_t *files[2];
    files[0] = webp_lossless_rgb(rgb, (int)w, (int)h, &lens[0]);
    files[1] = webp_lossy_rgb(rgb, (int)w, (int)h, 80, &lens[1]);
    char err[PF_ERR_LEN];
    pf_decoded dec;
    for (int k = 0; k < 2; k++) {
        const uint8_t *f = files[k];
        size_t len = lens[k];
        /* Cut anywhere: short, never a success, never a crash. */
        const size_t cuts[] = {0, 4, 11, 12, 16, 20, 26, 30, 40, len / 2, len - 1};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            pf_status st = pf_webp_decode(f, cuts[i], CAP, &dec, err);
            if (st != PF_ERR_TRUNCATED && st != PF_ERR_CORRUPT)
                fail_msg("cut at %zu of %zu: status %d", cuts[i], len, st);
            assert_null(dec.bmp.rgb);
            assert_true(err[0] != '\0');
        }
        assert_int_equal(pf_webp_decode(f, len / 2, CAP, &dec, err), PF_ERR_TRUNCATED);
        assert_int_equal(pf_webp_decode(f, len - 1, CAP, &dec, err), PF_ERR_TRUNCATED);
        /* Flipped bits in the frame header: damaged. */
        uint8_t *bad = dup_bytes(f, len);
        if (k == 0)
            bad[20] ^= 0x01; /* VP8L signature 0x2f */
        else
            bad[23] ^= 0x10; /* VP8 start code 9d 01 2a */
        assert_int_equal(pf_webp_decode(bad, len, CAP, &dec, err), PF_ERR_CORRUPT);
        assert_null(dec.bmp.rgb);
        /* "RIFF" itself damaged. */
        memcpy(bad, f, len);
        bad[0] ^= 0x04;
        assert_int_equal(pf_webp_decode(bad, len, CAP, &dec, err), PF_ERR_CORRUPT);
        /* Every single bit of the first 64 bytes and a spread of the rest
         * flipped in turn: a picture of the right size or an error. */
        for (size_t bit = 0; bit < len * 8; bit += bit < 512 ? 1 : 37) {
            memcpy(bad, f, len);
            bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            pf_status st = pf_webp_decode(bad, len, CAP, &dec, err);
            if (st == PF_OK) {
                assert_true(dec.bmp.width > 0 && dec.bmp.height > 0);
                pf_decoded_free(&dec);
            } else if (st != PF_ERR_CORRUPT && st != PF_ERR_TRUNCATED &&
                       st != PF_ERR_FORMAT && st != PF_ERR_TOO_LARGE) {
                fail_msg("bit %zu: status %d", bit, st);
            }
        }
        free(bad);
        free(files[k]);
    }
    /* Not WebP at all. */
    uint8_t junk[40] = {0};
    memcpy(junk, "RIFF", 4);
    put_le32(junk + 4, sizeof junk - 8);
    memcpy(junk + 8, "WEBPJUNK", 8);
    put_le32(junk + 16, sizeof junk - 20);
    assert_int_equal(pf_webp_decode(junk, sizeof junk, CAP, &dec, err), PF_ERR_CORRUPT);
    assert_int_equal(pf_webp_decode(junk, 0, CAP, &dec, err), PF_ERR_TRUNCATED);
    assert_int_equal(pf_webp_decode(NULL, 0, CAP, &dec, err), PF_ERR_INVALID_ARG);
    free(rgb);
}

/* ---- HEIC makers (libheif + x265) ---- */

static int have_heic_encoder(void)
{
    return heif_have_encoder_for_format(heif_compression_HEVC);
}

struct heif_mem {
    uint8_t *data;
    size_t len;
};

static struct heif_error write_mem(struct heif_context *ctx, const void *data,
                                   size_t size, void *user)
{
    (void)ctx;
    struct heif_mem *m = user;
    struct heif_error ok = {heif_error_Ok, heif_suberror_Unspecified, "ok"};
    uint8_t *p = realloc(m->data, m->len + size);
    if (!p) {
        struct heif_error e = {heif_error_Encoding_error, heif_suberror_Unspecified,
                               "out of memory"};
        return e;
    }
    memcpy(p + m->len, data, size);
    m->data = p, m->len += size;
    return ok;
}

typedef struct {
    const uint8_t *alpha;      /* w*h, or NULL */
    int orientation;           /* 1..8 (0: 1) */
    const uint8_t *exif;       /* block for heif_context_add_exif_metadata */
    size_t exif_len;
    int nclx_primaries;        /* 0: libheif's default nclx */
    int nclx_transfer;
    int premultiplied;         /* the colours carry their alpha */
    const uint8_t *icc;        /* "prof" colour profile, or NULL */
    size_t icc_len;
} heic_opts;

/* A HEIC of w x h RGB at quality 92, 4:4:4. */
static uint8_t *make_heic(const uint8_t *rgb, int w, int h, const heic_opts *o,
                          size_t *len)
{
    static const heic_opts none;
    if (!o)
        o = &none;
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *img = NULL;
    struct heif_image_handle *handle = NULL;
    assert_non_null(ctx);
    assert_int_equal(heif_context_get_encoder_for_format(ctx, heif_compression_HEVC,
                                                         &enc).code, heif_error_Ok);
    heif_encoder_set_logging_level(enc, 0);
    heif_encoder_set_lossy_quality(enc, 92);
    heif_encoder_set_parameter(enc, "chroma", "444");
    int a = o->alpha != NULL;
    assert_int_equal(heif_image_create(w, h, heif_colorspace_RGB,
                                       a ? heif_chroma_interleaved_RGBA
                                         : heif_chroma_interleaved_RGB, &img).code,
                     heif_error_Ok);
    assert_int_equal(heif_image_add_plane(img, heif_channel_interleaved, w, h, 8).code,
                     heif_error_Ok);
    int stride;
    uint8_t *plane = heif_image_get_plane(img, heif_channel_interleaved, &stride);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *d = plane + (size_t)y * stride + (size_t)x * (a ? 4 : 3);
            memcpy(d, rgb + ((size_t)y * w + x) * 3, 3);
            if (a)
                d[3] = o->alpha[(size_t)y * w + x];
        }
    if (o->premultiplied)
        heif_image_set_premultiplied_alpha(img, 1);
    if (o->icc)
        assert_int_equal(heif_image_set_raw_color_profile(img, "prof", o->icc,
                                                          o->icc_len).code, heif_error_Ok);
    struct heif_encoding_options *eo = heif_encoding_options_alloc();
    struct heif_color_profile_nclx *nclx = NULL;
    eo->image_orientation = o->orientation ? (enum heif_orientation)o->orientation
                                           : heif_orientation_normal;
    eo->macOS_compatibility_workaround = 0;
    if (o->nclx_primaries) {
        nclx = heif_nclx_color_profile_alloc();
        heif_nclx_color_profile_set_color_primaries(nclx, (uint16_t)o->nclx_primaries);
        heif_nclx_color_profile_set_transfer_characteristics(nclx, (uint16_t)o->nclx_transfer);
        heif_nclx_color_profile_set_matrix_coefficients(nclx, 6);
        eo->macOS_compatibility_workaround_no_nclx_profile = 0;
        nclx->full_range_flag = 1;
        /* libheif 1.15 writes the input image's nclx for HEVC */
        assert_int_equal(heif_image_set_nclx_color_profile(img, nclx).code, heif_error_Ok);
    }
    ENCODER_BEGIN();
    struct heif_error e = heif_context_encode_image(ctx, img, enc, eo, &handle);
    ENCODER_END();
    if (e.code != heif_error_Ok)
        fail_msg("heif_context_encode_image: %s", e.message);
    if (o->exif)
        assert_int_equal(heif_context_add_exif_metadata(ctx, handle, o->exif,
                                                        (int)o->exif_len).code,
                         heif_error_Ok);
    struct heif_mem m = {NULL, 0};
    struct heif_writer wr = {1, write_mem};
    assert_int_equal(heif_context_write(ctx, &wr, &m).code, heif_error_Ok);
    heif_nclx_color_profile_free(nclx);
    heif_encoding_options_free(eo);
    heif_image_handle_release(handle);
    heif_image_release(img);
    heif_encoder_release(enc);
    heif_context_free(ctx);
    *len = m.len;
    return m.data;
}

static void heif_ok(const uint8_t *data, size_t len, pf_decoded *dec)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_heif_decode(data, len, CAP, dec, err);
    if (st != PF_OK)
        fail_msg("pf_heif_decode: %d (%s)", st, err);
}

/* ---- HEIC tests ---- */

static void test_heic_basic(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    const uint32_t w = 64, h = 48;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_SMOOTH, 4);
    size_t len;
    uint8_t *heic = make_heic(rgb, (int)w, (int)h, NULL, &len);
    pf_decoded dec;
    heif_ok(heic, len, &dec);
    assert_int_equal(dec.bmp.width, w);
    assert_int_equal(dec.bmp.height, h);
    assert_int_equal(dec.stored_width, w);
    assert_int_equal(dec.stored_height, h);
    double mean;
    int max;
    compare(&dec.bmp, rgb, &mean, &max);
    assert_true(mean < 3.0);
    assert_true(max < 40);
    assert_int_equal(dec.exif_orientation, 0);
    assert_int_equal(dec.has_alpha, 0);
    assert_int_equal(dec.has_gps, 0);
    assert_int_equal(dec.animated, 0);
    assert_int_equal(dec.pages, 1);
    assert_null(dec.icc); /* no colr box: sRGB */
    pf_decoded_free(&dec);
    free(heic);
    /* Odd sizes: the coded picture is padded, clap crops it back. */
    free(rgb);
    rgb = tu_make_rgb(37, 23, TU_PATTERN_SMOOTH, 6);
    heic = make_heic(rgb, 37, 23, NULL, &len);
    heif_ok(heic, len, &dec);
    assert_int_equal(dec.bmp.width, 37);
    assert_int_equal(dec.bmp.height, 23);
    compare(&dec.bmp, rgb, &mean, &max);
    assert_true(mean < 3.0);
    pf_decoded_free(&dec);
    free(heic);
    free(rgb);
}

/* Four flat quadrants, each its own colour, in a w x h picture. */
static const uint8_t QUAD[4][3] = {{220, 40, 40}, {40, 200, 40}, {40, 40, 220}, {230, 230, 60}};

static uint8_t *quadrants(uint32_t w, uint32_t h)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            memcpy(rgb + ((size_t)y * w + x) * 3, QUAD[(y >= h / 2) * 2 + (x >= w / 2)], 3);
    return rgb;
}

/* The quadrant colour at the centre of each quadrant of the output. */
static void assert_quadrants(const pf_bitmap *b, int tl, int tr, int bl, int br)
{
    const int want[4] = {tl, tr, bl, br};
    for (int q = 0; q < 4; q++) {
        uint32_t x = (q & 1) ? b->width * 3 / 4 : b->width / 4;
        uint32_t y = (q & 2) ? b->height * 3 / 4 : b->height / 4;
        const uint8_t *c = QUAD[want[q]];
        assert_near(px(b, x, y), c[0], c[1], c[2], 8);
    }
}

static void test_heic_orientation(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    const uint32_t w = 128, h = 64;
    uint8_t *rgb = quadrants(w, h);
    /* orientation -> the upright picture's quadrants (TL TR BL BR) made of
     * the stored ones 0 1 / 2 3, and whether it is turned a quarter. */
    static const struct {
        int orientation, tl, tr, bl, br, quarter;
    } cases[] = {
        {1, 0, 1, 2, 3, 0},
        {2, 1, 0, 3, 2, 0}, /* mirrored left-right (imir) */
        {3, 3, 2, 1, 0, 0}, /* 180 */
        {6, 2, 0, 3, 1, 1}, /* 90 clockwise (irot) */
        {8, 1, 3, 0, 2, 1}, /* 90 counter-clockwise */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        heic_opts o = {0};
        o.orientation = cases[i].orientation;
        size_t len;
        uint8_t *heic = make_heic(rgb, (int)w, (int)h, &o, &len);
        pf_decoded dec;
        heif_ok(heic, len, &dec);
        /* Upright once: not left as stored, not turned twice. */
        assert_int_equal(dec.bmp.width, cases[i].quarter ? h : w);
        assert_int_equal(dec.bmp.height, cases[i].quarter ? w : h);
        assert_int_equal(dec.stored_width, dec.bmp.width);
        assert_int_equal(dec.stored_height, dec.bmp.height);
        assert_int_equal(dec.exif_orientation, 0);
        assert_quadrants(&dec.bmp, cases[i].tl, cases[i].tr, cases[i].bl, cases[i].br);
        pf_decoded_free(&dec);
        free(heic);
    }
    free(rgb);
}

static void test_heic_alpha(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    const uint32_t w = 64, h = 64;
    uint8_t *rgb = malloc((size_t)w * h * 3), *alpha = malloc((size_t)w * h);
    assert_non_null(rgb);
    assert_non_null(alpha);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        rgb[i * 3] = 200, rgb[i * 3 + 1] = 60, rgb[i * 3 + 2] = 40;
        size_t x = i % w;
        alpha[i] = x < 32 ? 255 : 0; /* left opaque, right transparent */
    }
    heic_opts o = {0};
    o.alpha = alpha;
    size_t len;
    uint8_t *heic = make_heic(rgb, (int)w, (int)h, &o, &len);
    pf_decoded dec;
    heif_ok(heic, len, &dec);
    assert_int_equal(dec.has_alpha, 1);
    assert_near(px(&dec.bmp, 8, 8), 200, 60, 40, 6);
    assert_near(px(&dec.bmp, 56, 40), 255, 255, 255, 6);
    pf_decoded_free(&dec);
    free(heic);
    /* Half transparent, premultiplied ('prem'): (100, 30, 20) stands for
     * (200, 60, 40) at alpha 128, on white (227, 157, 147). */
    for (size_t i = 0; i < (size_t)w * h; i++) {
        rgb[i * 3] = 100, rgb[i * 3 + 1] = 30, rgb[i * 3 + 2] = 20;
        alpha[i] = 128;
    }
    o.premultiplied = 1;
    heic = make_heic(rgb, (int)w, (int)h, &o, &len);
    heif_ok(heic, len, &dec);
    assert_int_equal(dec.has_alpha, 1);
    assert_near(px(&dec.bmp, 30, 30), 227, 157, 147, 6);
    pf_decoded_free(&dec);
    free(heic);
    /* The same colours not premultiplied: (100, 30, 20) at alpha 128. */
    o.premultiplied = 0;
    heic = make_heic(rgb, (int)w, (int)h, &o, &len);
    heif_ok(heic, len, &dec);
    assert_near(px(&dec.bmp, 30, 30), 177, 142, 137, 6);
    pf_decoded_free(&dec);
    free(heic);
    free(alpha);
    free(rgb);
}

static void test_heic_exif(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    uint8_t *rgb = tu_make_rgb(64, 64, TU_PATTERN_SMOOTH, 2);
    uint8_t exif[256];
    for (int with_header = 0; with_header <= 1; with_header++) {
        for (int gps = 0; gps <= 1; gps++) {
            heic_opts o = {0};
            o.exif = exif;
            o.exif_len = tu_exif_orientation(6, gps, with_header, with_header, exif,
                                             sizeof exif);
            size_t len;
            uint8_t *heic = make_heic(rgb, 64, 64, &o, &len);
            pf_decoded dec;
            heif_ok(heic, len, &dec);
            assert_int_equal(dec.has_gps, gps);
            /* The EXIF tag is not what turns a HEIF: irot is. */
            assert_int_equal(dec.exif_orientation, 0);
            pf_decoded_free(&dec);
            free(heic);
        }
    }
    free(rgb);
}

/* P3 (D65) to sRGB, both linear: the colour a P3 picture means. */
static double srgb_decode(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double srgb_encode(double v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

static void p3_to_srgb(const uint8_t in[3], double out[3])
{
    static const double m[3][3] = {{1.2249401, -0.2249404, 0.0},
                                   {-0.0420569, 1.0420571, 0.0},
                                   {-0.0196376, -0.0786361, 1.0982735}};
    double lin[3];
    for (int c = 0; c < 3; c++)
        lin[c] = srgb_decode(in[c] / 255.0);
    for (int r = 0; r < 3; r++)
        out[r] = 255.0 * srgb_encode(m[r][0] * lin[0] + m[r][1] * lin[1] + m[r][2] * lin[2]);
}

/* Converts colours from an ICC profile to sRGB with Little CMS. */
static void icc_to_srgb(const uint8_t *icc, size_t len, const uint8_t *in, uint8_t *out,
                        int n)
{
    cmsHPROFILE src = cmsOpenProfileFromMem(icc, (cmsUInt32Number)len);
    assert_non_null(src);
    assert_int_equal(cmsGetColorSpace(src), cmsSigRgbData);
    cmsHPROFILE dst = cmsCreate_sRGBProfile();
    cmsHTRANSFORM t = cmsCreateTransform(src, TYPE_RGB_8, dst, TYPE_RGB_8,
                                         INTENT_RELATIVE_COLORIMETRIC, 0);
    assert_non_null(t);
    cmsDoTransform(t, in, out, (cmsUInt32Number)n);
    cmsDeleteTransform(t);
    cmsCloseProfile(dst);
    cmsCloseProfile(src);
}

static void test_heic_colour(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    uint8_t *rgb = tu_make_rgb(64, 64, TU_PATTERN_SMOOTH, 8);
    static const uint8_t probe[4][3] = {{200, 100, 50}, {30, 180, 90}, {128, 128, 128},
                                        {20, 40, 230}};
    uint8_t got[4][3];
    size_t len;
    pf_decoded dec;
    /* nclx Display P3 with the sRGB curve: a profile with the same meaning. */
    heic_opts o = {0};
    o.nclx_primaries = 12, o.nclx_transfer = 13;
    uint8_t *heic = make_heic(rgb, 64, 64, &o, &len);
    heif_ok(heic, len, &dec);
    assert_non_null(dec.icc);
    icc_to_srgb(dec.icc, dec.icc_len, &probe[0][0], &got[0][0], 4);
    for (int i = 0; i < 4; i++) {
        double want[3];
        p3_to_srgb(probe[i], want);
        assert_near(got[i], (int)lround(want[0]), (int)lround(want[1]),
                    (int)lround(want[2]), 2);
    }
    pf_decoded_free(&dec);
    free(heic);
    /* BT.2020: green lies far outside sRGB, clipped to pure green-ish. */
    o.nclx_primaries = 9, o.nclx_transfer = 1;
    heic = make_heic(rgb, 64, 64, &o, &len);
    heif_ok(heic, len, &dec);
    assert_non_null(dec.icc);
    static const uint8_t green[3] = {0, 255, 0};
    uint8_t g[3];
    icc_to_srgb(dec.icc, dec.icc_len, green, g, 1);
    assert_true(g[1] == 255 && g[0] < 20 && g[2] < 20);
    pf_decoded_free(&dec);
    free(heic);
    /* nclx sRGB / BT.709: no profile needed. */
    o.nclx_primaries = 1, o.nclx_transfer = 13;
    heic = make_heic(rgb, 64, 64, &o, &len);
    heif_ok(heic, len, &dec);
    assert_null(dec.icc);
    pf_decoded_free(&dec);
    free(heic);
    /* BT.709 primaries, linear light: the curve alone needs a profile. */
    o.nclx_primaries = 1, o.nclx_transfer = 8;
    heic = make_heic(rgb, 64, 64, &o, &len);
    heif_ok(heic, len, &dec);
    assert_non_null(dec.icc);
    static const uint8_t mid[3] = {128, 128, 128};
    icc_to_srgb(dec.icc, dec.icc_len, mid, g, 1);
    assert_near(g, 188, 188, 188, 2); /* linear 0.502 in sRGB */
    pf_decoded_free(&dec);
    free(heic);
    /* An ICC profile in the file is handed on byte for byte. */
    cmsHPROFILE p = cmsCreate_sRGBProfile();
    cmsUInt32Number n = 0;
    assert_true(cmsSaveProfileToMem(p, NULL, &n));
    uint8_t *icc = malloc(n);
    assert_non_null(icc);
    assert_true(cmsSaveProfileToMem(p, icc, &n));
    cmsCloseProfile(p);
    heic_opts oi = {0};
    oi.icc = icc, oi.icc_len = n;
    heic = make_heic(rgb, 64, 64, &oi, &len);
    heif_ok(heic, len, &dec);
    assert_int_equal(dec.icc_len, n);
    assert_memory_equal(dec.icc, icc, n);
    pf_decoded_free(&dec);
    free(heic);
    free(icc);
    free(rgb);
}

/* The HEIC's ispe property rewritten to w x h. */
static void set_ispe(uint8_t *heic, size_t len, uint32_t w, uint32_t h)
{
    size_t at = find4(heic, len, "ispe");
    assert_true(at + 16 <= len);
    put_be32(heic + at + 8, w);
    put_be32(heic + at + 12, h);
}

static void test_heic_too_large(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    uint8_t *rgb = tu_make_rgb(64, 48, TU_PATTERN_SMOOTH, 1);
    size_t len;
    uint8_t *heic = make_heic(rgb, 64, 48, NULL, &len);
    char err[PF_ERR_LEN];
    pf_decoded dec;
    /* The real picture over small caps: one refused by the area, one by
     * a side alone. */
    assert_int_equal(pf_heif_decode(heic, len, 3000, &dec, err), PF_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "64"));
    assert_null(dec.bmp.rgb);
    assert_int_equal(pf_heif_decode(heic, len, 40, &dec, err), PF_ERR_TOO_LARGE);
    assert_int_equal(pf_heif_decode(heic, len, 3072, &dec, err), PF_OK);
    pf_decoded_free(&dec);
    /* The container says 30000 x 30000 = 900 MP: refused before decoding. */
    uint8_t *big = dup_bytes(heic, len);
    set_ispe(big, len, 30000, 30000);
    assert_int_equal(pf_heif_decode(big, len, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_non_null(strstr(err, "30000"));
    assert_non_null(strstr(err, "900.0 MP"));
    assert_int_equal(decode_in_small_space(pf_heif_decode, big, len, CAP),
                     PF_ERR_TOO_LARGE);
    /* Beyond libheif's own limit per side. */
    set_ispe(big, len, 40000, 40);
    assert_int_equal(pf_heif_decode(big, len, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_true(err[0] != '\0');
    /* A container smaller than the coded picture: the coded size counts. */
    set_ispe(big, len, 16, 16);
    pf_status st = pf_heif_decode(big, len, 300, &dec, err);
    assert_true(st == PF_ERR_TOO_LARGE || st == PF_ERR_CORRUPT);
    assert_null(dec.bmp.rgb);
    free(big);
    free(heic);
    free(rgb);
}

static void test_heic_damaged(void **state)
{
    (void)state;
    if (!have_heic_encoder())
        skip();
    uint8_t *rgb = tu_make_rgb(64, 48, TU_PATTERN_COLOR, 12);
    size_t len;
    uint8_t *heic = make_heic(rgb, 64, 48, NULL, &len);
    char err[PF_ERR_LEN];
    pf_decoded dec;
    /* Cut anywhere: known to be short, never a picture, never a crash. */
    for (size_t cut = 1; cut < len; cut += cut < 400 ? 7 : 97) {
        pf_status st = pf_heif_decode(heic, cut, CAP, &dec, err);
        if (st != PF_ERR_TRUNCATED)
            fail_msg("cut at %zu of %zu: status %d (%s)", cut, len, st, err);
        assert_null(dec.bmp.rgb);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(pf_heif_decode(heic, 300, CAP, &dec, err), PF_ERR_TRUNCATED);
    assert_non_null(strstr(err, "'meta'"));
    assert_int_equal(pf_heif_decode(heic, len - 10, CAP, &dec, err), PF_ERR_TRUNCATED);
    assert_non_null(strstr(err, "'mdat'"));
    assert_int_equal(pf_heif_decode(heic, 0, CAP, &dec, err), PF_ERR_CORRUPT);
    /* The decoder configuration box renamed: no hvcC, damaged. */
    uint8_t *bad = dup_bytes(heic, len);
    memcpy(bad + find4(bad, len, "hvcC"), "hvcX", 4);
    assert_int_equal(pf_heif_decode(bad, len, CAP, &dec, err), PF_ERR_CORRUPT);
    assert_non_null(strstr(err, "hvcC"));
    /* The primary item's reference damaged. */
    memcpy(bad, heic, len);
    size_t pitm = find4(bad, len, "pitm");
    bad[pitm + 9] ^= 0x40;
    assert_int_equal(pf_heif_decode(bad, len, CAP, &dec, err), PF_ERR_CORRUPT);
    /* Bits flipped across the file: a picture or an error, no crash. */
    int saved = hush_stderr();
    for (size_t bit = 0; bit < len * 8; bit += bit < 2048 ? 3 : 61) {
        memcpy(bad, heic, len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        pf_status st = pf_heif_decode(bad, len, CAP, &dec, err);
        if (st == PF_OK) {
            assert_true(dec.bmp.width > 0 && dec.bmp.height > 0);
            pf_decoded_free(&dec);
        } else if (st != PF_ERR_CORRUPT && st != PF_ERR_TRUNCATED &&
                   st != PF_ERR_FORMAT && st != PF_ERR_TOO_LARGE) {
            restore_stderr(saved);
            fail_msg("bit %zu: status %d (%s)", bit, st, err);
        }
    }
    restore_stderr(saved);
    free(bad);
    /* Not HEIF. */
    static const uint8_t junk[] = "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic";
    assert_int_not_equal(pf_heif_decode(junk, sizeof junk - 1, CAP, &dec, err), PF_OK);
    assert_null(dec.bmp.rgb);
    assert_int_equal(pf_heif_decode(NULL, 0, CAP, &dec, err), PF_ERR_INVALID_ARG);
    free(heic);
    free(rgb);
}

/* ---- the corpus ---- */

static const char *corpus_dir(void)
{
    static const char *const dirs[] = {NULL, "../shared/corpus", "/work/shared/corpus"};
    const char *env = getenv("PF_CORPUS");
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        const char *d = i == 0 ? env : dirs[i];
        char path[4096];
        if (!d)
            continue;
        snprintf(path, sizeof path, "%s/formats", d);
        if (access(path, R_OK) == 0)
            return d;
    }
    return NULL;
}

/* Decodes every file matching pattern under the corpus; returns how many. */
static int decode_corpus(const char *pattern, decode_fn fn, int heif)
{
    const char *dir = corpus_dir();
    if (!dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/formats/%s", dir, pattern);
    glob_t g;
    if (glob(path, 0, NULL, &g) != 0)
        return 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        size_t len = 0;
        uint8_t *data = tu_read(g.gl_pathv[i], &len);
        assert_non_null(data);
        pf_decoded dec;
        char err[PF_ERR_LEN];
        pf_status st = fn(data, len, CAP, &dec, err);
        if (st != PF_OK)
            fail_msg("%s: %d (%s)", g.gl_pathv[i], st, err);
        assert_true(dec.bmp.width >= 100 && dec.bmp.width <= 10000);
        assert_true(dec.bmp.height >= 100 && dec.bmp.height <= 10000);
        assert_int_equal(dec.stored_width, dec.bmp.width);
        assert_int_equal(dec.stored_height, dec.bmp.height);
        /* Not a flat field: real pixels came out. */
        const pf_bitmap *b = &dec.bmp;
        int lo = 255, hi = 0;
        for (uint32_t y = 0; y < b->height; y += b->height / 16)
            for (uint32_t x = 0; x < b->width; x += b->width / 16) {
                int v = px(b, x, y)[1];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        assert_true(hi - lo > 20);
        if (dec.icc) {
            cmsHPROFILE p = cmsOpenProfileFromMem(dec.icc, (cmsUInt32Number)dec.icc_len);
            assert_non_null(p);
            cmsCloseProfile(p);
        }
        if (heif) {
            assert_int_equal(dec.exif_orientation, 0);
            /* arrow.heic is stored landscape with irot: upright it stands. */
            if (strstr(g.gl_pathv[i], "/arrow.heic"))
                assert_true(dec.bmp.height > dec.bmp.width);
        }
        pf_decoded_free(&dec);
        free(data);
    }
    int n = (int)g.gl_pathc;
    globfree(&g);
    return n;
}

static void test_corpus(void **state)
{
    (void)state;
    if (!corpus_dir())
        skip();
    int n = decode_corpus("pillow-heif/*.heic", pf_heif_decode, 1);
    assert_true(n >= 1);
    n = decode_corpus("docling/*.webp", pf_webp_decode, 0) +
        decode_corpus("golang-image/*.webp", pf_webp_decode, 0);
    assert_true(n >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webp_lossless),
        cmocka_unit_test(test_webp_lossy),
        cmocka_unit_test(test_webp_alpha),
        cmocka_unit_test(test_webp_animated),
        cmocka_unit_test(test_webp_metadata),
        cmocka_unit_test(test_webp_too_large),
        cmocka_unit_test(test_webp_damaged),
        cmocka_unit_test(test_heic_basic),
        cmocka_unit_test(test_heic_orientation),
        cmocka_unit_test(test_heic_alpha),
        cmocka_unit_test(test_heic_exif),
        cmocka_unit_test(test_heic_colour),
        cmocka_unit_test(test_heic_too_large),
        cmocka_unit_test(test_heic_damaged),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
