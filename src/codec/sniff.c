/* Format detection from the first bytes. Names never decide: a HEIC photo
 * renamed to .jpg is still a HEIC the portals will refuse. */
#include "internal.h"

#include <string.h>

static int starts_with(const uint8_t *data, size_t len, const void *sig,
                       size_t sig_len)
{
    return len >= sig_len && memcmp(data, sig, sig_len) == 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
           p[0];
}

static int brand_in(const uint8_t *brand, const char *const *list)
{
    for (; *list; list++)
        if (memcmp(brand, *list, 4) == 0)
            return 1;
    return 0;
}

/* ISO BMFF 'ftyp': AVIF wins over HEIF because AVIF files often carry the
 * generic 'mif1' brand (major or compatible) next to 'avif'. */
static pf_format sniff_ftyp(const uint8_t *data, size_t len)
{
    static const char *const avif[] = {"avif", "avis", NULL};
    static const char *const heif[] = {"heic", "heix", "hevc", "hevx", "heim",
                                       "heis", "mif1", "msf1", NULL};
    if (len < 16 || memcmp(data + 4, "ftyp", 4) != 0)
        return PF_FORMAT_UNKNOWN;
    uint32_t size = be32(data);
    size_t end = size == 0 ? len : size; /* 0: box runs to end of file */
    if (end < 16)
        return PF_FORMAT_UNKNOWN;
    if (end > len)
        end = len; /* scan only the brands we have */
    int is_heif = 0;
    for (size_t off = 8; off + 4 <= end; off += 4) {
        if (off == 12)
            continue; /* minor_version, not a brand */
        if (brand_in(data + off, avif))
            return PF_FORMAT_AVIF;
        is_heif |= brand_in(data + off, heif);
    }
    return is_heif ? PF_FORMAT_HEIF : PF_FORMAT_UNKNOWN;
}

/* "BM" alone is two common letters, so ask for sane header fields too. */
static int sniff_bmp(const uint8_t *data, size_t len)
{
    if (len < 18 || data[0] != 'B' || data[1] != 'M')
        return 0;
    uint32_t file_size = le32(data + 2);
    uint32_t offset = le32(data + 10);
    uint32_t dib = le32(data + 14);
    if (dib != 12 && dib != 16 && dib != 40 && dib != 52 && dib != 56 &&
        dib != 64 && dib != 108 && dib != 124)
        return 0;
    if (offset < 14 + dib)
        return 0;
    /* Some writers leave the file size 0; otherwise pixels lie inside. */
    return file_size == 0 || (file_size >= 14 + dib && offset <= file_size);
}

/* Acrobat accepts "%PDF-" anywhere in the first 1024 bytes. */
static int sniff_pdf(const uint8_t *data, size_t len)
{
    size_t limit = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= limit; i++)
        if (memcmp(data + i, "%PDF-", 5) == 0)
            return 1;
    return 0;
}

pf_format pf_sniff(const uint8_t *data, size_t len)
{
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    static const uint8_t jp2[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ',
                                    '\r', '\n', 0x87, '\n'};
    static const uint8_t jxl[12] = {0, 0, 0, 12, 'J', 'X', 'L', ' ',
                                    '\r', '\n', 0x87, '\n'};
    if (!data)
        return PF_FORMAT_UNKNOWN;
    if (starts_with(data, len, "\xFF\xD8\xFF", 3))
        return PF_FORMAT_JPEG;
    if (starts_with(data, len, png, sizeof png))
        return PF_FORMAT_PNG;
    pf_format bmff = sniff_ftyp(data, len);
    if (bmff != PF_FORMAT_UNKNOWN)
        return bmff;
    if (len >= 12 && memcmp(data, "RIFF", 4) == 0 &&
        memcmp(data + 8, "WEBP", 4) == 0)
        return PF_FORMAT_WEBP;
    if (starts_with(data, len, "GIF87a", 6) ||
        starts_with(data, len, "GIF89a", 6))
        return PF_FORMAT_GIF;
    if (sniff_bmp(data, len))
        return PF_FORMAT_BMP;
    /* Classic TIFF (42) and BigTIFF (43), both byte orders. */
    if (starts_with(data, len, "II*\0", 4) ||
        starts_with(data, len, "MM\0*", 4) ||
        starts_with(data, len, "II+\0", 4) ||
        starts_with(data, len, "MM\0+", 4))
        return PF_FORMAT_TIFF;
    if (starts_with(data, len, jp2, sizeof jp2) ||
        starts_with(data, len, "\xFF\x4F\xFF\x51", 4))
        return PF_FORMAT_JPEG2000;
    if (starts_with(data, len, jxl, sizeof jxl) ||
        starts_with(data, len, "\xFF\x0A", 2))
        return PF_FORMAT_JPEGXL;
    if (sniff_pdf(data, len))
        return PF_FORMAT_PDF;
    return PF_FORMAT_UNKNOWN;
}

const char *pf_format_name(pf_format format)
{
    switch (format) {
    case PF_FORMAT_JPEG: return "jpeg";
    case PF_FORMAT_PNG: return "png";
    case PF_FORMAT_HEIF: return "heic";
    case PF_FORMAT_AVIF: return "avif";
    case PF_FORMAT_WEBP: return "webp";
    case PF_FORMAT_GIF: return "gif";
    case PF_FORMAT_BMP: return "bmp";
    case PF_FORMAT_TIFF: return "tiff";
    case PF_FORMAT_PDF: return "pdf";
    case PF_FORMAT_JPEG2000: return "jp2";
    case PF_FORMAT_JPEGXL: return "jxl";
    case PF_FORMAT_UNKNOWN:
    case PF_FORMAT_COUNT: break;
    }
    return "unknown";
}

const char *pf_format_label(pf_format format)
{
    switch (format) {
    case PF_FORMAT_JPEG: return "JPEG";
    case PF_FORMAT_PNG: return "PNG";
    case PF_FORMAT_HEIF: return "HEIC";
    case PF_FORMAT_AVIF: return "AVIF";
    case PF_FORMAT_WEBP: return "WebP";
    case PF_FORMAT_GIF: return "GIF";
    case PF_FORMAT_BMP: return "BMP";
    case PF_FORMAT_TIFF: return "TIFF";
    case PF_FORMAT_PDF: return "PDF";
    case PF_FORMAT_JPEG2000: return "JPEG 2000";
    case PF_FORMAT_JPEGXL: return "JPEG XL";
    case PF_FORMAT_UNKNOWN:
    case PF_FORMAT_COUNT: break;
    }
    return "unknown";
}
