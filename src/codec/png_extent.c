/* How much of a cut-short PNG's image data is present: the IDAT bytes that
 * are there are inflated (output discarded) and compared with what the
 * header says the filtered rows take. libpng cannot tell: it reads 8 KB of
 * IDAT ahead and fails on the whole read. Plain bounds-checked parsing. */
#include "internal.h"

#include <png.h>
#include <string.h>
#include <zlib.h>


static int samples_per_pixel(int colour_type)
{
    switch (colour_type) {
    case 0: case 3: return 1;
    case 2: return 3;
    case 4: return 2;
    case 6: return 4;
    default: return 0;
    }
}

/* Bytes of one filtered row: the filter byte plus the packed samples. */
static uint64_t row_bytes(uint64_t width, int bits_per_pixel)
{
    return width ? 1 + (width * (uint64_t)bits_per_pixel + 7) / 8 : 0;
}

/* Inflated size of the whole image from the IHDR fields; 0 if invalid. */
static uint64_t expected_raw_bytes(const uint8_t *ihdr)
{
    uint32_t w = png_get_uint_32(ihdr), h = png_get_uint_32(ihdr + 4);
    int bpp = ihdr[8] * samples_per_pixel(ihdr[9]);
    if (w == 0 || h == 0 || w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX || bpp == 0)
        return 0;
    if (ihdr[12] == 0)
        return (uint64_t)h * row_bytes(w, bpp);
    uint64_t total = 0;
    for (int pass = 0; pass < 7; pass++)
        total += (uint64_t)PNG_PASS_ROWS(h, pass) * row_bytes(PNG_PASS_COLS(w, pass), bpp);
    return total;
}

/* Feeds one IDAT piece to inflate; returns 0 once the stream ended or
 * broke (nothing after it counts). */
static int inflate_piece(z_stream *z, const uint8_t *piece, size_t n)
{
    uint8_t sink[16384];
    z->next_in = (Bytef *)piece;
    z->avail_in = (uInt)n;
    while (z->avail_in > 0) {
        z->next_out = sink;
        z->avail_out = sizeof sink;
        int r = inflate(z, Z_NO_FLUSH);
        if (r == Z_STREAM_END || (r != Z_OK && r != Z_BUF_ERROR))
            return 0;
        if (r == Z_BUF_ERROR && z->avail_out == sizeof sink)
            return 1; /* needs more input */
    }
    return 1;
}

int pf_png_data_share(const uint8_t *data, size_t len)
{
    z_stream z;
    size_t pos = 8;
    uint64_t expected = 0;
    int share = -1;
    memset(&z, 0, sizeof z);
    if (len < 8 + 8 + 13 || inflateInit(&z) != Z_OK)
        return -1;
    while (len - pos >= 8) {
        uint32_t n = png_get_uint_32(data + pos);
        const uint8_t *type = data + pos + 4, *body = data + pos + 8;
        size_t present = len - pos - 8 < n ? len - pos - 8 : n;
        if (memcmp(type, "IHDR", 4) == 0 && present >= 13)
            expected = expected_raw_bytes(body);
        else if (memcmp(type, "IDAT", 4) == 0 &&
                 (!expected || !inflate_piece(&z, body, present)))
            break;
        if (present < n || len - pos - 8 - n < 4)
            break;
        pos += 8 + (size_t)n + 4;
    }
    if (expected)
        share = (int)((z.total_out < expected ? z.total_out : expected) * 100 / expected);
    inflateEnd(&z);
    return share;
}

static int is_type(const uint8_t *type, const char *name)
{
    return memcmp(type, name, 4) == 0;
}

/* "truncated PNG: ..." for a file that ends at data + len. */
void pf_png_describe_truncation(const uint8_t *data, size_t len, int in_pixels,
                                char err[PF_ERR_LEN])
{
    int share = in_pixels ? pf_png_data_share(data, len) : -1;
    if (share < 0)
        pf_set_message(err, PF_ERR_LEN,
                       "%s", _("truncated PNG: the file ends before the image data"));
    else if (share >= 100) /* the pixels are there, the chunk around them not */
        pf_set_message(err, PF_ERR_LEN, "%s", _("truncated PNG: the file ends "
                       "inside the chunk that holds the image data"));
    else
        pf_set_message(err, PF_ERR_LEN, _("truncated PNG: %d%% of the image "
                       "data present"), share);
}

pf_status pf_png_check_chunks(const uint8_t *data, size_t len,
                              uint32_t max_metadata_chunk, char err[PF_ERR_LEN])
{
    size_t pos = 8;
    int seen_idat = 0;
    while (len >= pos && len - pos >= 8) {
        uint32_t n = png_get_uint_32(data + pos);
        const uint8_t *type = data + pos + 4;
        if (is_type(type, "IEND"))
            return PF_OK;
        seen_idat |= is_type(type, "IDAT");
        if (n > PNG_UINT_31_MAX)
            return PF_OK; /* libpng names this damage */
        if ((uint64_t)n + 4 > len - pos - 8) {
            /* Pixels all there (a cut trailing chunk) are still a picture. */
            if (seen_idat && pf_png_data_share(data, len) >= 100)
                return PF_OK;
            pf_png_describe_truncation(data, len, seen_idat, err);
            return PF_ERR_TRUNCATED;
        }
        if (!(type[0] & 0x20) || n <= max_metadata_chunk) {
            pos += 12 + (size_t)n;
            continue;
        }
        /* TRANSLATORS: the last %s is "limit for metadata", which must end
           the message (the pipeline looks for it). */
        pf_set_message(err, PF_ERR_LEN, _("PNG %.4s chunk of %u B is over the "
                       "%u B %s"), (const char *)type, (unsigned)n,
                       (unsigned)max_metadata_chunk, _("limit for metadata"));
        return PF_ERR_TOO_LARGE;
    }
    return PF_OK;
}
