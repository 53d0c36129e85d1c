/* pf_sniff and the format names, from hand-built minimal headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "preflight.h"
#include "testutil.h"

#define SNIFF(bytes) pf_sniff((const uint8_t *)(bytes), sizeof(bytes) - 1)

/* An ISO BMFF file start: ftyp box with major brand and compatibles. */
static size_t make_ftyp(uint8_t *buf, const char *major, const char *compat)
{
    size_t n = strlen(compat) / 4;
    size_t size = 16 + 4 * n;
    memset(buf, 0, size + 8);
    buf[3] = (uint8_t)size;
    memcpy(buf + 4, "ftyp", 4);
    memcpy(buf + 8, major, 4);
    memcpy(buf + 16, compat, 4 * n);
    memcpy(buf + size + 4, "meta", 4); /* the next box, as in real files */
    return size + 8;
}

static pf_format sniff_ftyp(const char *major, const char *compat)
{
    uint8_t buf[128];
    size_t len = make_ftyp(buf, major, compat);
    return pf_sniff(buf, len);
}

static void test_jpeg_png(void **state)
{
    (void)state;
    assert_int_equal(SNIFF("\xFF\xD8\xFF\xE0\0\x10JFIF"), PF_FORMAT_JPEG);
    assert_int_equal(SNIFF("\xFF\xD8\xFF"), PF_FORMAT_JPEG);
    assert_int_equal(SNIFF("\x89PNG\r\n\x1A\n\0\0\0\rIHDR"), PF_FORMAT_PNG);
    /* A PNG signature damaged by a text-mode transfer is no PNG. */
    assert_int_equal(SNIFF("\x89PNG\n\x1A\n\0\0\0\rIHDR"), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("\xFF\xD8"), PF_FORMAT_UNKNOWN);
}

static void test_heif_avif(void **state)
{
    (void)state;
    assert_int_equal(sniff_ftyp("heic", "mif1heic"), PF_FORMAT_HEIF);
    assert_int_equal(sniff_ftyp("heix", "mif1heix"), PF_FORMAT_HEIF);
    assert_int_equal(sniff_ftyp("hevc", "msf1hevc"), PF_FORMAT_HEIF);
    assert_int_equal(sniff_ftyp("mif1", "heic"), PF_FORMAT_HEIF);
    assert_int_equal(sniff_ftyp("mif1", "mif1"), PF_FORMAT_HEIF);
    assert_int_equal(sniff_ftyp("msf1", ""), PF_FORMAT_HEIF);
    assert_int_equal(sniff_ftyp("avif", "mif1miafMA1B"), PF_FORMAT_AVIF);
    assert_int_equal(sniff_ftyp("avis", "msf1"), PF_FORMAT_AVIF);
    /* The trap: generic 'mif1' major brand with an 'avif' compatible. */
    assert_int_equal(sniff_ftyp("mif1", "mif1avifmiaf"), PF_FORMAT_AVIF);
    /* Other ISO BMFF files (MP4 video, QuickTime) are not images. */
    assert_int_equal(sniff_ftyp("isom", "isomiso2mp41"), PF_FORMAT_UNKNOWN);
    assert_int_equal(sniff_ftyp("qt  ", "qt  "), PF_FORMAT_UNKNOWN);
    /* A brand in the minor_version slot does not count. */
    uint8_t buf[64];
    size_t len = make_ftyp(buf, "isom", "");
    memcpy(buf + 12, "heic", 4);
    assert_int_equal(pf_sniff(buf, len), PF_FORMAT_UNKNOWN);
    /* Box size smaller than an ftyp can be. */
    len = make_ftyp(buf, "heic", "");
    buf[3] = 8;
    assert_int_equal(pf_sniff(buf, len), PF_FORMAT_UNKNOWN);
    /* Box size 0 runs to the end of the data. */
    len = make_ftyp(buf, "mif1", "avif");
    buf[3] = 0;
    assert_int_equal(pf_sniff(buf, len), PF_FORMAT_AVIF);
    /* Truncated right after the major brand. */
    len = make_ftyp(buf, "heic", "mif1");
    assert_int_equal(pf_sniff(buf, 12), PF_FORMAT_UNKNOWN);
    assert_int_equal(pf_sniff(buf, 16), PF_FORMAT_HEIF);
}

static void test_webp_gif(void **state)
{
    (void)state;
    assert_int_equal(SNIFF("RIFF\x24\0\0\0WEBPVP8 "), PF_FORMAT_WEBP);
    assert_int_equal(SNIFF("RIFF\x24\0\0\0WAVEfmt "), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("RIFF\x24\0\0\0WEB"), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("GIF89a\x01\0\x01\0"), PF_FORMAT_GIF);
    assert_int_equal(SNIFF("GIF87a"), PF_FORMAT_GIF);
    assert_int_equal(SNIFF("GIF88a"), PF_FORMAT_UNKNOWN);
}

static void test_bmp(void **state)
{
    (void)state;
    /* 2x2 24-bit BMP: file 70 bytes, pixels at 54, BITMAPINFOHEADER (40). */
    assert_int_equal(SNIFF("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x02\0"),
                     PF_FORMAT_BMP);
    /* File size left 0 by some writers. */
    assert_int_equal(SNIFF("BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0"),
                     PF_FORMAT_BMP);
    /* V5 header (124), OS/2 core header (12). */
    assert_int_equal(SNIFF("BM\0\x10\0\0\0\0\0\0\x8A\0\0\0\x7C\0\0\0"),
                     PF_FORMAT_BMP);
    assert_int_equal(SNIFF("BM\0\x10\0\0\0\0\0\0\x1A\0\0\0\x0C\0\0\0"),
                     PF_FORMAT_BMP);
    /* Text that starts with "BM", bad header sizes, pixel offset too small
     * or beyond the file. */
    assert_int_equal(SNIFF("BMW and Mercedes are cars"), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x29\0\0\0"),
                     PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("BM\x46\0\0\0\0\0\0\0\x10\0\0\0\x28\0\0\0"),
                     PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("BM\x30\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0"),
                     PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("BM\x46\0\0\0\0\0\0\0\x36"), PF_FORMAT_UNKNOWN);
}

static void test_tiff_pdf(void **state)
{
    (void)state;
    assert_int_equal(SNIFF("II*\0\x08\0\0\0"), PF_FORMAT_TIFF);
    assert_int_equal(SNIFF("MM\0*\0\0\0\x08"), PF_FORMAT_TIFF);
    assert_int_equal(SNIFF("II+\0\x08\0\0\0"), PF_FORMAT_TIFF);
    assert_int_equal(SNIFF("MM*\0"), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n"), PF_FORMAT_PDF);

    /* Junk before the header, as Acrobat tolerates: within 1024 bytes. */
    uint8_t buf[2048];
    memset(buf, 'x', sizeof buf);
    memcpy(buf + 1019, "%PDF-", 5);
    assert_int_equal(pf_sniff(buf, sizeof buf), PF_FORMAT_PDF);
    assert_int_equal(pf_sniff(buf, 1023), PF_FORMAT_UNKNOWN);
    memset(buf, 'x', sizeof buf);
    memcpy(buf + 1020, "%PDF-", 5);
    assert_int_equal(pf_sniff(buf, sizeof buf), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("\r\n\xEF\xBB\xBF%PDF-1.4"), PF_FORMAT_PDF);
    assert_int_equal(SNIFF("%PDF"), PF_FORMAT_UNKNOWN);
}

static void test_jp2_jxl(void **state)
{
    (void)state;
    assert_int_equal(SNIFF("\0\0\0\x0CjP  \r\n\x87\n\0\0\0\x14" "ftypjp2 "),
                     PF_FORMAT_JPEG2000);
    assert_int_equal(SNIFF("\xFF\x4F\xFF\x51\0\x2F"), PF_FORMAT_JPEG2000);
    assert_int_equal(SNIFF("\0\0\0\x0CjP  \r\n\x87"), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("\0\0\0\x0CJXL \r\n\x87\n\0\0\0\x14" "ftypjxl "),
                     PF_FORMAT_JPEGXL);
    assert_int_equal(SNIFF("\xFF\x0A\xFA\x7F"), PF_FORMAT_JPEGXL);
    assert_int_equal(SNIFF("\xFF\x0A"), PF_FORMAT_JPEGXL);
}

static void test_unknown(void **state)
{
    (void)state;
    assert_int_equal(pf_sniff(NULL, 0), PF_FORMAT_UNKNOWN);
    assert_int_equal(pf_sniff(NULL, 100), PF_FORMAT_UNKNOWN);
    assert_int_equal(pf_sniff((const uint8_t *)"", 0), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("\xFF"), PF_FORMAT_UNKNOWN);
    assert_int_equal(SNIFF("<html><body>not an image</body></html>"),
                     PF_FORMAT_UNKNOWN);
    /* A short buffer: every prefix of real signatures stays unknown
     * (JPEG XL's 2-byte codestream mark is the shortest). */
    static const char png[] = "\x89PNG\r\n\x1A\n";
    for (size_t n = 0; n < 8; n++)
        assert_int_equal(pf_sniff((const uint8_t *)png, n), PF_FORMAT_UNKNOWN);

    /* Random printable text never matches. */
    unsigned seed = 12345;
    uint8_t text[512];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof text; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = (uint8_t)(' ' + (seed >> 16) % 95);
        }
        if (memcmp(text, "BM", 2) == 0 || memcmp(text, "GIF", 3) == 0)
            continue;
        assert_int_equal(pf_sniff(text, sizeof text), PF_FORMAT_UNKNOWN);
    }
}

static void test_names(void **state)
{
    (void)state;
    static const char *const names[] = {"unknown", "jpeg", "png", "heic",
                                        "avif", "webp", "gif", "bmp", "tiff",
                                        "pdf", "jp2", "jxl"};
    static const char *const labels[] = {"unknown", "JPEG", "PNG", "HEIC",
                                         "AVIF", "WebP", "GIF", "BMP", "TIFF",
                                         "PDF", "JPEG 2000", "JPEG XL"};
    assert_int_equal(sizeof names / sizeof names[0], PF_FORMAT_COUNT);
    for (int f = 0; f < PF_FORMAT_COUNT; f++) {
        assert_string_equal(pf_format_name((pf_format)f), names[f]);
        assert_string_equal(pf_format_label((pf_format)f), labels[f]);
    }
    assert_string_equal(pf_format_name(PF_FORMAT_COUNT), "unknown");
    assert_string_equal(pf_format_label((pf_format)99), "unknown");
}

/* Real encoders' output, through the test generators. */
static void test_generated(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(16, 16, TU_PATTERN_COLOR, 1);
    uint8_t *out = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, 16, 16, 3, 90, 0, NULL, 0, &out, &len), 0);
    assert_int_equal(pf_sniff(out, len), PF_FORMAT_JPEG);
    free(out);
    assert_int_equal(tu_png(rgb, NULL, 16, 16, 2, 8, 0, NULL, 0, &out, &len),
                     0);
    assert_int_equal(pf_sniff(out, len), PF_FORMAT_PNG);
    free(out);
    free(rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg_png),
        cmocka_unit_test(test_heif_avif),
        cmocka_unit_test(test_webp_gif),
        cmocka_unit_test(test_bmp),
        cmocka_unit_test(test_tiff_pdf),
        cmocka_unit_test(test_jp2_jxl),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_generated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
