/* Tests for src/codec/exif.c: reading orientation/GPS through libexif and the
 * hand-written in-place orientation reset, on good and hostile blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

/* Offset of IFD0's first entry's value field (tag 0x0112 in tu blobs). */
static size_t orientation_type_at(int with_header)
{
    return (with_header ? 6 : 0) + 8 + 2 + 2;
}

static void test_read_all_orientations(void **state)
{
    (void)state;
    for (int o = 1; o <= 8; o++)
        for (int hdr = 0; hdr <= 1; hdr++)
            for (int be = 0; be <= 1; be++) {
                uint8_t buf[128];
                size_t n = tu_exif_orientation(o, 0, hdr, be, buf, sizeof buf);
                assert_true(n > 0);
                pf_exif_info info = {-1, -1};
                pf_exif_read(buf, n, &info);
                if (info.orientation != o || info.has_gps != 0)
                    fail_msg("o=%d hdr=%d be=%d: got %d gps %d", o, hdr, be,
                             info.orientation, info.has_gps);
            }
}

static void test_read_gps(void **state)
{
    (void)state;
    for (int hdr = 0; hdr <= 1; hdr++)
        for (int be = 0; be <= 1; be++) {
            uint8_t buf[128];
            size_t n = tu_exif_orientation(3, 1, hdr, be, buf, sizeof buf);
            pf_exif_info info;
            pf_exif_read(buf, n, &info);
            assert_int_equal(info.orientation, 3);
            assert_int_equal(info.has_gps, 1);
        }
}

static void test_read_out_of_range(void **state)
{
    (void)state;
    int bad[] = {0, 9, 0x100, 0xFFFF};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[128];
        size_t n = tu_exif_orientation(bad[i], 0, 1, 1, buf, sizeof buf);
        pf_exif_info info;
        pf_exif_read(buf, n, &info);
        assert_int_equal(info.orientation, 0);
    }
}

/* Orientation stored as LONG is not what viewers honour: ignore it. */
static void test_read_wrong_type(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t n = tu_exif_orientation(6, 0, 0, 0, buf, sizeof buf);
    buf[orientation_type_at(0)] = 4; /* LONG, little-endian */
    pf_exif_info info;
    pf_exif_read(buf, n, &info);
    assert_int_equal(info.orientation, 0);
    assert_int_equal(pf_exif_clear_orientation(buf, n), 0);
}

static void test_read_garbage(void **state)
{
    (void)state;
    pf_exif_info info = {5, 1};
    pf_exif_read(NULL, 100, &info);
    assert_int_equal(info.orientation, 0);
    assert_int_equal(info.has_gps, 0);
    pf_exif_read((const uint8_t *)"Exif\0", 5, &info);
    assert_int_equal(info.orientation, 0);
    pf_exif_read((const uint8_t *)"not exif at all", 15, &info);
    assert_int_equal(info.orientation, 0);
    /* A JPEG-looking block: libexif would scan it for markers; we refuse. */
    pf_exif_read((const uint8_t *)"\xFF\xD8\xFF\xE1\0\x10", 6, &info);
    assert_int_equal(info.orientation, 0);
    pf_exif_read(NULL, 0, NULL); /* must not crash */
}

/* Valid content, but over the size cap: not parsed at all. */
static void test_read_oversized(void **state)
{
    (void)state;
    size_t big = 2 * 1024 * 1024;
    uint8_t *buf = calloc(big, 1);
    assert_non_null(buf);
    tu_exif_orientation(6, 0, 1, 0, buf, 128);
    pf_exif_info info;
    pf_exif_read(buf, big, &info);
    assert_int_equal(info.orientation, 0);
    pf_exif_read(buf, 4096, &info); /* same block, sane size */
    assert_int_equal(info.orientation, 6);
    free(buf);
}

/* Every prefix, in an exact-size buffer so ASan catches over-reads. */
static void test_truncated_blocks(void **state)
{
    (void)state;
    for (int hdr = 0; hdr <= 1; hdr++)
        for (int be = 0; be <= 1; be++) {
            uint8_t buf[128];
            size_t n = tu_exif_orientation(6, 1, hdr, be, buf, sizeof buf);
            for (size_t cut = 0; cut <= n; cut++) {
                uint8_t *part = malloc(cut ? cut : 1);
                memcpy(part, buf, cut);
                pf_exif_info info;
                pf_exif_read(part, cut, &info);
                assert_true(info.orientation == 0 || info.orientation == 6);
                int changed = pf_exif_clear_orientation(part, cut);
                assert_true(changed == 0 || changed == 1);
                free(part);
            }
        }
}

/* Random byte flips: nothing may crash or read out of bounds. */
static void test_mutated_blocks(void **state)
{
    (void)state;
    unsigned s = 12345;
    for (int round = 0; round < 2000; round++) {
        uint8_t buf[128];
        size_t n = tu_exif_orientation(6, 1, round & 1, round & 2, buf,
                                       sizeof buf);
        for (int k = 0; k < 3; k++) {
            s = s * 1103515245u + 12345u;
            buf[(s >> 8) % n] = (uint8_t)(s >> 20);
        }
        uint8_t *part = malloc(n);
        memcpy(part, buf, n);
        pf_exif_info info;
        pf_exif_read(part, n, &info);
        assert_true(info.orientation >= 0 && info.orientation <= 8);
        pf_exif_clear_orientation(part, n);
        free(part);
    }
}

static void test_clear_orientation(void **state)
{
    (void)state;
    for (int hdr = 0; hdr <= 1; hdr++)
        for (int be = 0; be <= 1; be++)
            for (int gps = 0; gps <= 1; gps++) {
                uint8_t buf[128], before[128];
                size_t n = tu_exif_orientation(6, gps, hdr, be, buf, sizeof buf);
                memcpy(before, buf, n);
                assert_int_equal(pf_exif_clear_orientation(buf, n), 1);
                pf_exif_info info;
                pf_exif_read(buf, n, &info);
                assert_int_equal(info.orientation, 1);
                assert_int_equal(info.has_gps, gps);
                /* Only the two value bytes may differ. */
                size_t v = orientation_type_at(hdr) + 6;
                for (size_t i = 0; i < n; i++)
                    if (i != v && i != v + 1)
                        assert_int_equal(buf[i], before[i]);
                /* Already upright: nothing to change. */
                assert_int_equal(pf_exif_clear_orientation(buf, n), 0);
            }
}

static void test_clear_hostile(void **state)
{
    (void)state;
    uint8_t buf[128];
    size_t n = tu_exif_orientation(6, 0, 0, 1, buf, sizeof buf);
    assert_int_equal(pf_exif_clear_orientation(NULL, 10), 0);
    /* IFD0 offset past the end, or inside the header. */
    uint8_t copy[128];
    memcpy(copy, buf, n);
    copy[4] = 0x7F, copy[5] = 0xFF, copy[6] = 0xFF, copy[7] = 0xF0;
    assert_int_equal(pf_exif_clear_orientation(copy, n), 0);
    memcpy(copy, buf, n);
    copy[7] = 2;
    assert_int_equal(pf_exif_clear_orientation(copy, n), 0);
    /* Entry count far larger than the block. */
    memcpy(copy, buf, n);
    copy[8] = 0xFF, copy[9] = 0xFF;
    assert_int_equal(pf_exif_clear_orientation(copy, n), 1); /* entry 0 fits */
    memcpy(copy, buf, n);
    assert_int_equal(pf_exif_clear_orientation(copy, 8 + 2 + 11), 0);
    /* Count other than 1. */
    memcpy(copy, buf, n);
    copy[orientation_type_at(0) + 5] = 2;
    assert_int_equal(pf_exif_clear_orientation(copy, n), 0);
    uint8_t header_only[6] = "Exif\0";
    assert_int_equal(pf_exif_clear_orientation(header_only, 6), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_all_orientations),
        cmocka_unit_test(test_read_gps),
        cmocka_unit_test(test_read_out_of_range),
        cmocka_unit_test(test_read_wrong_type),
        cmocka_unit_test(test_read_garbage),
        cmocka_unit_test(test_read_oversized),
        cmocka_unit_test(test_truncated_blocks),
        cmocka_unit_test(test_mutated_blocks),
        cmocka_unit_test(test_clear_orientation),
        cmocka_unit_test(test_clear_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
