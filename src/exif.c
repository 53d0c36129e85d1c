/* EXIF: orientation and GPS presence via libexif (reading), and an in-place
 * rewrite of the orientation tag by hand (libexif would re-serialise the
 * whole block, changing offsets and possibly dropping maker notes). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <libexif/exif-data.h>

/* A JPEG APP1 payload is at most 65533 bytes; PNG eXIf has no hard limit,
 * but nothing sane exceeds this. Bigger blocks are ignored, not parsed. */
#define EXIF_MAX_LEN (1024 * 1024)
#define EXIF_HEADER "Exif\0\0"
#define EXIF_HEADER_LEN 6
#define TAG_ORIENTATION 0x0112
#define TYPE_SHORT 3

static int is_tiff_header(const uint8_t *d, size_t len)
{
    return len >= 8 && (memcmp(d, "II*\0", 4) == 0 || memcmp(d, "MM\0*", 4) == 0);
}

static int has_exif_header(const uint8_t *d, size_t len)
{
    return len >= EXIF_HEADER_LEN && memcmp(d, EXIF_HEADER, EXIF_HEADER_LEN) == 0;
}

static void read_fields(ExifData *ed, pf_exif_info *info)
{
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0],
                                          EXIF_TAG_ORIENTATION);
    if (e && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data &&
        e->size >= 2) {
        ExifShort v = exif_get_short(e->data, exif_data_get_byte_order(ed));
        if (v >= 1 && v <= 8)
            info->orientation = v;
    }
    ExifContent *gps = ed->ifd[EXIF_IFD_GPS];
    info->has_gps = gps && gps->count > 0;
}

void pf_exif_read(const uint8_t *data, size_t len, pf_exif_info *info)
{
    uint8_t *copy = NULL;
    ExifData *ed = NULL;
    if (!info)
        goto cleanup;
    memset(info, 0, sizeof *info);
    if (!data || len < EXIF_HEADER_LEN || len > EXIF_MAX_LEN)
        goto cleanup;
    if (is_tiff_header(data, len)) {
        /* libexif only loads blocks that start with the APP1 header. */
        if (!(copy = malloc(len + EXIF_HEADER_LEN)))
            goto cleanup;
        memcpy(copy, EXIF_HEADER, EXIF_HEADER_LEN);
        memcpy(copy + EXIF_HEADER_LEN, data, len);
        data = copy;
        len += EXIF_HEADER_LEN;
    } else if (!has_exif_header(data, len)) {
        goto cleanup; /* else libexif would go hunting for JPEG markers */
    }
    if (!(ed = exif_data_new()))
        goto cleanup;
    /* Read what is there; do not let libexif add or "fix" tags. */
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(ed, data, (unsigned int)len);
    read_fields(ed, info);
cleanup:
    if (ed)
        exif_data_unref(ed);
    free(copy);
}

static unsigned get16(const uint8_t *p, int be)
{
    return be ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

static uint32_t get32(const uint8_t *p, int be)
{
    return be ? (uint32_t)get16(p, 1) << 16 | get16(p + 2, 1)
              : (uint32_t)get16(p + 2, 0) << 16 | get16(p, 0);
}

static void put16(uint8_t *p, unsigned v, int be)
{
    p[be ? 0 : 1] = (uint8_t)(v >> 8);
    p[be ? 1 : 0] = (uint8_t)v;
}

/* Walks IFD0 only (orientation lives there), every offset bounds-checked.
 * A SHORT with count 1 keeps its value in the first two bytes of the
 * 4-byte value field, in the file's byte order. */
int pf_exif_clear_orientation(uint8_t *data, size_t len)
{
    int changed = 0;
    if (!data)
        goto cleanup;
    if (has_exif_header(data, len))
        data += EXIF_HEADER_LEN, len -= EXIF_HEADER_LEN;
    if (!is_tiff_header(data, len))
        goto cleanup;
    int be = data[0] == 'M';
    uint32_t ifd = get32(data + 4, be);
    if (ifd < 8 || ifd > len || len - ifd < 2)
        goto cleanup;
    size_t n = get16(data + ifd, be);
    size_t room = (len - ifd - 2) / 12; /* entries that fit in the block */
    for (size_t i = 0; i < n && i < room; i++) {
        uint8_t *e = data + ifd + 2 + i * 12;
        if (get16(e, be) != TAG_ORIENTATION)
            continue;
        if (get16(e + 2, be) == TYPE_SHORT && get32(e + 4, be) == 1 &&
            get16(e + 8, be) != 1) {
            put16(e + 8, 1, be);
            changed = 1;
        }
        break;
    }
cleanup:
    return changed;
}
