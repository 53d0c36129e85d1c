/* Small helpers shared by the modules: messages, numbers, bitmaps. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pf_format_thousands(uint64_t n, char *buf, size_t len)
{
    char digits[32];
    char out[48];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    int o = 0;
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
}

/* Cuts a string that snprintf truncated back to a whole UTF-8 character, so
 * JSON and terminals never see half a Chinese file name. */
static void trim_partial_utf8(char *s, size_t used)
{
    size_t i = used;
    size_t back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0;
    if (lead >= 0xC0 && back < need)
        s[i - 1] = '\0';
}

void pf_vset_message(char *dst, size_t cap, const char *fmt, va_list ap)
{
    if (!dst || cap == 0)
        return;
    int n = vsnprintf(dst, cap, fmt, ap);
    if (n >= 0 && (size_t)n >= cap)
        trim_partial_utf8(dst, cap - 1);
}

void pf_set_message(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pf_vset_message(dst, cap, fmt, ap);
    va_end(ap);
}

pf_status pf_check_pixel_cap(uint64_t w, uint64_t h, uint64_t max_pixels,
                              char err[PF_ERR_LEN])
{
    uint64_t px;
    if (!pf_mul3(w, h, 1, &px))
        return PF_ERR_TOO_LARGE;
    if (max_pixels == 0 || px <= max_pixels)
        return PF_OK;
    pf_set_message(err, PF_ERR_LEN, _("image is %llu\xC3\x97%llu = %.1f MP, over "
                   "the %g MP limit"), (unsigned long long)w,
                   (unsigned long long)h, px / 1e6, max_pixels / 1e6);
    return PF_ERR_TOO_LARGE;
}

int pf_mul3(uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
    uint64_t ab;
    if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, out))
        return 0;
    return 1;
}

pf_status pf_bitmap_alloc(pf_bitmap *bmp, uint32_t width, uint32_t height)
{
    uint64_t bytes;
    memset(bmp, 0, sizeof *bmp);
    if (width == 0 || height == 0 || !pf_mul3(width, height, 3, &bytes) ||
        bytes > SIZE_MAX)
        return PF_ERR_TOO_LARGE;
    bmp->rgb = malloc((size_t)bytes);
    if (!bmp->rgb)
        return PF_ERR_NOMEM;
    bmp->width = width;
    bmp->height = height;
    return PF_OK;
}

void pf_bitmap_free(pf_bitmap *bmp)
{
    if (!bmp)
        return;
    free(bmp->rgb);
    memset(bmp, 0, sizeof *bmp);
}

void pf_decoded_free(pf_decoded *dec)
{
    if (!dec)
        return;
    pf_bitmap_free(&dec->bmp);
    free(dec->icc);
    memset(dec, 0, sizeof *dec);
}

void pf_free(void *p)
{
    free(p);
}

const char *pf_strerror(pf_status status)
{
    switch (status) {
    case PF_OK: return _("success");
    case PF_ERR_NOMEM: return _("out of memory");
    case PF_ERR_IO: return _("input/output error");
    case PF_ERR_INVALID_ARG: return _("invalid argument");
    case PF_ERR_NOT_IMAGE: return _("not an image");
    case PF_ERR_FORMAT: return _("format not accepted by the filing portals");
    case PF_ERR_CORRUPT: return _("corrupt image data");
    case PF_ERR_TOO_LARGE: return _("image has more pixels than the limit");
    case PF_ERR_BUDGET: return _("cannot fit the byte budget at the lowest quality");
    case PF_ERR_UNFIXABLE: return _("fails a rule that fix cannot mend");
    case PF_ERR_UPSCALE: return _("image too small and upscaling was refused");
    case PF_ERR_EXISTS: return _("output exists");
    case PF_ERR_SAME_FILE: return _("output path is the input path");
    case PF_ERR_TRUNCATED: return _("truncated file: the image data is incomplete");
    case PF_ERR_INTERNAL: return _("internal error");
    case PF_ERR_UNDER_MIN: return _("cannot reach the minimum file size without padding");
    case PF_ERR_RULES: return _("invalid rules file");
    }
    return _("unknown status");
}

int pf_flatten_row(const uint8_t *rgba, uint8_t *rgb, uint32_t w, int premultiplied)
{
    int translucent = 0;
    for (uint32_t x = 0; x < w; x++, rgba += 4, rgb += 3) {
        unsigned a = rgba[3];
        translucent |= a < 255;
        for (int c = 0; c < 3; c++)
            rgb[c] = pf_on_white(rgba[c], a, premultiplied);
    }
    return translucent;
}

pf_status pf_missing_library(char *err, const char *format, const char *soname,
                             const char *package)
{
    /* TRANSLATORS: "GIF needs libgif.so.7 (Debian package libgif7), which
       is not installed". The pipeline adds what to do instead. */
    pf_set_message(err, PF_ERR_LEN, _("%s needs %s (Debian package %s), which is not "
                                      "installed"), format, soname, package);
    return PF_ERR_FORMAT;
}

pf_status pf_decode_begin(const uint8_t *data, pf_decoded *out, char *err)
{
    if (!out)
        return PF_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (err)
        err[0] = '\0';
    return data && err ? PF_OK : PF_ERR_INVALID_ARG;
}
