/* BMP decoding with stb_image, as Debian builds it (libstb: the
 * implementation is compiled into the shared library, so this file only
 * includes the declarations).
 *
 * stb_image decodes many formats from the same entry points; this file is
 * called for data the sniffer calls BMP and refuses anything else itself:
 * the "BM" signature and a header size stb_image reads are checked before
 * stb_image sees the bytes, and stbi_info_from_memory must agree.
 *
 * Limits before any pixel memory: stbi_info_from_memory gives the size,
 * checked against max_pixels. stb_image reads past the end of a cut file as
 * zeros, so the pixel array is checked to lie inside the file first.
 *
 * stbi_failure_reason() is per thread in Debian's build (libstb.so keeps
 * stbi__g_failure_reason in thread-local storage: it was compiled with GCC
 * in C11 mode, which defines STBI_THREAD_LOCAL). It is still only used for
 * the message. The vertical flip flag is set for this thread before every
 * load, so a stbi_set_flip_vertically_on_load() elsewhere in the process
 * cannot turn our pictures upside down. */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "codec/dynlib.h"

/* stb_image's functions, from libstb.so opened on first use (dynlib.h). */
#define STB_FUNCS(X) \
    X(stbi_failure_reason) \
    X(stbi_image_free) \
    X(stbi_info_from_memory) \
    X(stbi_load_from_memory) \
    X(stbi_set_flip_vertically_on_load_thread)

PF_DYN_LIBRARY(stb, STB_FUNCS, PF_SONAME_STB)

#define BMP_FILE_HEADER 14
#define BMP_ICC_MAX (4u << 20)          /* an embedded profile we keep */
#define BMP_CS_EMBEDDED 0x4D424544u     /* 'MBED': PROFILE_EMBEDDED */

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* What the file and info headers say. */
typedef struct {
    uint32_t offset;      /* of the pixel array */
    uint32_t header_size; /* of the info header */
    uint64_t width, height;
    uint32_t bpp, compression;
} bmp_header;

/* The headers stb_image reads: BITMAPCOREHEADER (12), BITMAPINFOHEADER
 * (40), its 56-byte Adobe variant, BITMAPV4HEADER (108), BITMAPV5HEADER
 * (124). The sniffer also lets through the OS/2 2.x (16, 64) and V2 (52)
 * headers, which stb_image does not read. */
static int header_size_read(uint32_t hsz)
{
    return hsz == 12 || hsz == 40 || hsz == 56 || hsz == 108 || hsz == 124;
}

static pf_status read_header(const uint8_t *data, size_t len, bmp_header *h,
                             char err[PF_ERR_LEN])
{
    memset(h, 0, sizeof *h);
    if (len < 2 || data[0] != 'B' || data[1] != 'M') {
        pf_set_message(err, PF_ERR_LEN, "%s", _("not a BMP file (no BM signature)"));
        return PF_ERR_CORRUPT;
    }
    if (len < BMP_FILE_HEADER + 4) {
        pf_set_message(err, PF_ERR_LEN, "%s",
                       _("truncated BMP: the file ends inside its header"));
        return PF_ERR_TRUNCATED;
    }
    h->offset = le32(data + 10);
    h->header_size = le32(data + 14);
    if (!header_size_read(h->header_size)) {
        pf_set_message(err, PF_ERR_LEN, _("BMP with a %u-byte info header"),
                       (unsigned)h->header_size);
        return PF_ERR_FORMAT;
    }
    if (len < BMP_FILE_HEADER + (size_t)h->header_size) {
        pf_set_message(err, PF_ERR_LEN, "%s",
                       _("truncated BMP: the file ends inside its header"));
        return PF_ERR_TRUNCATED;
    }
    const uint8_t *ih = data + BMP_FILE_HEADER;
    if (h->header_size == 12) {
        h->width = le16(ih + 4);
        h->height = le16(ih + 6);
        h->bpp = le16(ih + 10);
    } else {
        int64_t ht = (int32_t)le32(ih + 8);
        h->width = le32(ih + 4); /* "negative": over any cap */
        h->height = (uint64_t)(ht < 0 ? -ht : ht); /* < 0: top-down */
        h->bpp = le16(ih + 14);
        h->compression = le32(ih + 16);
    }
    /* Compressions stb_image does not decode: RLE8, RLE4, JPEG, PNG and
     * the alpha bit fields of Windows CE. */
    static const char *const names[] = {NULL, "RLE8", "RLE4", NULL, "JPEG",
                                        "PNG", "alpha bit-field"};
    if (h->compression < sizeof names / sizeof names[0] &&
        names[h->compression]) {
        pf_set_message(err, PF_ERR_LEN, _("%s-compressed BMP"),
                       names[h->compression]);
        return PF_ERR_FORMAT;
    }
    return PF_OK;
}

/* stb_image reads zeros past the end of the data: a cut file would decode
 * as a picture with a black band. The pixel rows must be there (the last
 * row's padding may be missing). */
static pf_status check_extent(const bmp_header *h, size_t len,
                              char err[PF_ERR_LEN])
{
    if ((h->compression != 0 && h->compression != 3) || h->width == 0 ||
        h->height == 0 || h->offset < BMP_FILE_HEADER + h->header_size)
        return PF_OK; /* stb_image refuses these itself */
    if (h->bpp != 1 && h->bpp != 4 && h->bpp != 8 && h->bpp != 16 &&
        h->bpp != 24 && h->bpp != 32)
        return PF_OK;
    uint64_t bits = h->width * h->bpp; /* width < 2^32, bpp <= 32 */
    uint64_t row = (bits + 31) / 32 * 4, last = (bits + 7) / 8, need;
    if (!pf_mul3(row, h->height - 1, 1, &need) ||
        __builtin_add_overflow(need, (uint64_t)h->offset + last, &need))
        need = UINT64_MAX;
    if (need <= len)
        return PF_OK;
    uint64_t have = len > h->offset ? len - h->offset : 0;
    pf_set_message(err, PF_ERR_LEN, _("truncated BMP: %d%% of the pixel data present"),
                   (int)(have * 100 / (need - h->offset)));
    return PF_ERR_TRUNCATED;
}

/* The palette entries stb_image reads, by its own formula (for the 12-byte
 * core header it counts 4 fewer than the file holds). */
static int64_t stb_palette_entries(const bmp_header *h)
{
    int64_t room = (int64_t)h->offset - BMP_FILE_HEADER;
    if (h->header_size == 12)
        return (room - 24) / 3;
    return (room - (int64_t)h->header_size) / 4;
}

/* stb_image takes the colour of an index past its palette from an
 * uninitialised array: such a file is refused, not shown in random
 * colours. The rows are in the file (check_extent). */
static pf_status check_indices(const uint8_t *data, const bmp_header *h,
                               char err[PF_ERR_LEN])
{
    if ((h->bpp != 1 && h->bpp != 4 && h->bpp != 8) || h->compression != 0)
        return PF_OK; /* stb_image refuses 2 bits itself */
    int64_t n = stb_palette_entries(h);
    if (n >= (int64_t)1 << h->bpp)
        return PF_OK; /* every index has a colour */
    uint64_t row = (h->width * h->bpp + 31) / 32 * 4;
    for (uint64_t y = 0; y < h->height && n > 0; y++) {
        const uint8_t *r = data + h->offset + y * row;
        for (uint64_t x = 0; x < h->width; x++) {
            unsigned idx = h->bpp == 8 ? r[x]
                         : h->bpp == 4 ? (r[x / 2] >> (x & 1 ? 0 : 4)) & 15u
                                       : (r[x / 8] >> (7 - (x & 7))) & 1u;
            if ((int64_t)idx >= n)
                goto past;
        }
    }
    if (n > 0)
        return PF_OK;
past:
    pf_set_message(err, PF_ERR_LEN, "%s", _("BMP: a colour index lies past the palette"));
    return PF_ERR_CORRUPT;
}

/* A BITMAPV5HEADER may carry an ICC profile: bV5CSType 'MBED', the profile
 * at bV5ProfileData bytes from the start of the info header. */
static pf_status copy_icc(const uint8_t *data, size_t len, const bmp_header *h,
                          pf_decoded *out)
{
    if (h->header_size != 124)
        return PF_OK;
    const uint8_t *ih = data + BMP_FILE_HEADER;
    uint64_t at = (uint64_t)BMP_FILE_HEADER + le32(ih + 112);
    uint32_t size = le32(ih + 116);
    if (le32(ih + 56) != BMP_CS_EMBEDDED || size == 0 || size > BMP_ICC_MAX ||
        at > len || size > len - at)
        return PF_OK; /* none, or one we cannot trust: the pixels as sRGB */
    out->icc = malloc(size);
    if (!out->icc)
        return PF_ERR_NOMEM;
    memcpy(out->icc, data + at, size);
    out->icc_len = size;
    return PF_OK;
}

/* A palette (1, 4 and 8 bits per pixel) of greys only stores no colour,
 * as a grey PNG does not. Entries are BGR (core header) or BGRX, between
 * the headers and the pixels. */
static int palette_is_grey(const uint8_t *data, size_t len, const bmp_header *h)
{
    if (h->bpp > 8 || h->offset > len)
        return 0;
    size_t start = BMP_FILE_HEADER + (size_t)h->header_size;
    size_t entry = h->header_size == 12 ? 3 : 4;
    if (h->compression == 3) /* no masks below 16 bits: stb_image refuses */
        return 0;
    if (h->offset < start + entry)
        return 0;
    size_t n = (h->offset - start) / entry, max = (size_t)1 << h->bpp;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = data + start + i * entry;
        if (e[0] != e[1] || e[1] != e[2])
            return 0;
    }
    return 1;
}

pf_status pf_bmp_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        pf_decoded *out, char err[PF_ERR_LEN])
{
    bmp_header h;
    uint8_t *rgba = NULL;
    int w = 0, h_px = 0, comp = 0;
    memset(out, 0, sizeof *out);
    pf_status st = read_header(data, len, &h, err);
    if (st != PF_OK)
        return st;
    if (!stb_ready())
        return pf_missing_library(err, "BMP", PF_SONAME_STB, "libstb0");
    if (len > INT_MAX) { /* stb_image takes an int length */
        pf_set_message(err, PF_ERR_LEN, "%s", _("BMP file over 2 GB"));
        return PF_ERR_TOO_LARGE;
    }
    if (!stb.stbi_info_from_memory(data, (int)len, &w, &h_px, &comp)) {
        pf_set_message(err, PF_ERR_LEN, "BMP: %s", stb.stbi_failure_reason());
        return PF_ERR_CORRUPT;
    }
    /* stbi_info gives a top-down BMP's height negative, as stored. */
    if ((uint64_t)w != h.width || (uint64_t)llabs(h_px) != h.height) {
        /* stb_image read it as something else: never decode that. */
        pf_set_message(err, PF_ERR_LEN, "%s", _("BMP: the header does not add up"));
        return PF_ERR_CORRUPT;
    }
    if ((st = pf_check_pixel_cap(h.width, h.height, max_pixels, err)) != PF_OK)
        return st;
    if (h.width == 0 || h.height == 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("BMP: the picture is empty"));
        return PF_ERR_CORRUPT;
    }
    if ((st = check_extent(&h, len, err)) != PF_OK ||
        (st = check_indices(data, &h, err)) != PF_OK)
        return st;
    stb.stbi_set_flip_vertically_on_load_thread(0);
    int lw = 0, lh = 0;
    rgba = stb.stbi_load_from_memory(data, (int)len, &lw, &lh, &comp, 4);
    if (!rgba) {
        const char *why = stb.stbi_failure_reason();
        st = why && strcmp(why, "outofmem") == 0 ? PF_ERR_NOMEM : PF_ERR_CORRUPT;
        pf_set_message(err, PF_ERR_LEN, "BMP: %s", why ? why : "?");
        return st;
    }
    if ((uint64_t)lw != h.width || (uint64_t)lh != h.height) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("BMP: the header does not add up"));
        st = PF_ERR_CORRUPT;
        goto cleanup;
    }
    if ((st = pf_bitmap_alloc(&out->bmp, (uint32_t)lw, (uint32_t)lh)) != PF_OK)
        goto cleanup;
    out->stored_width = (uint32_t)lw;
    out->stored_height = (uint32_t)lh;
    out->pages = 1;
    for (uint32_t y = 0; y < out->bmp.height; y++) /* onto white, as a browser shows it */
        out->has_alpha |= pf_flatten_row(rgba + (size_t)y * out->bmp.width * 4,
                                         out->bmp.rgb + (size_t)y * out->bmp.width * 3,
                                         out->bmp.width, 0);
    out->source_grey = palette_is_grey(data, len, &h);
    st = copy_icc(data, len, &h, out);
cleanup:
    stb.stbi_image_free(rgba);
    if (st != PF_OK)
        pf_decoded_free(out);
    return st;
}
