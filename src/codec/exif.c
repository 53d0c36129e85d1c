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
#define TAG_THUMB_OFFSET 0x0201 /* JPEGInterchangeFormat */
#define TAG_THUMB_LENGTH 0x0202 /* JPEGInterchangeFormatLength */
#define TYPE_SHORT 3
#define TYPE_LONG 4
#define IFD_ENTRY 12

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

/* The TIFF block inside data (past any "Exif\0\0"), NULL when it has none;
 * *be gets its byte order. */
static uint8_t *tiff_block(uint8_t *data, size_t *len, int *be)
{
    if (has_exif_header(data, *len))
        data += EXIF_HEADER_LEN, *len -= EXIF_HEADER_LEN;
    if (!is_tiff_header(data, *len))
        return NULL;
    *be = data[0] == 'M';
    return data;
}

/* Number of 12-byte entries of the IFD at off that lie inside the block;
 * 0 when the IFD's count itself does not. */
static size_t ifd_entries(const uint8_t *t, size_t len, uint32_t off, int be)
{
    if (off < 8 || off > len || len - off < 2)
        return 0;
    size_t n = get16(t + off, be), room = (len - off - 2) / IFD_ENTRY;
    return n < room ? n : room;
}

/* Walks IFD0 only (orientation lives there), every offset bounds-checked.
 * A SHORT with count 1 keeps its value in the first two bytes of the
 * 4-byte value field, in the file's byte order. */
int pf_exif_clear_orientation(uint8_t *data, size_t len)
{
    int changed = 0, be = 0;
    uint8_t *t = data ? tiff_block(data, &len, &be) : NULL;
    if (!t)
        goto cleanup;
    uint32_t ifd = get32(t + 4, be);
    size_t n = ifd_entries(t, len, ifd, be);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = t + ifd + 2 + i * IFD_ENTRY;
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

/* The JPEG thumbnail IFD1 points at: *off and *size, 0 when none fits. */
static void find_thumbnail(const uint8_t *t, size_t len, uint32_t ifd1, int be,
                           uint32_t *off, uint32_t *size)
{
    size_t n = ifd_entries(t, len, ifd1, be);
    *off = *size = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = t + ifd1 + 2 + i * IFD_ENTRY;
        unsigned tag = get16(e, be);
        if ((tag != TAG_THUMB_OFFSET && tag != TAG_THUMB_LENGTH) ||
            get16(e + 2, be) != TYPE_LONG || get32(e + 4, be) != 1)
            continue;
        *(tag == TAG_THUMB_OFFSET ? off : size) = get32(e + 8, be);
    }
    if (*off > len || *size > len - *off)
        *off = *size = 0;
}

int pf_exif_drop_thumbnail(uint8_t *data, size_t *len)
{
    int dropped = 0, be = 0;
    size_t tlen = len ? *len : 0;
    uint8_t *t = data ? tiff_block(data, &tlen, &be) : NULL;
    if (!t)
        goto cleanup;
    uint32_t ifd0 = get32(t + 4, be), off, size;
    size_t n0 = ifd_entries(t, tlen, ifd0, be);
    size_t link = (size_t)ifd0 + 2 + n0 * IFD_ENTRY;
    if (n0 == 0 || link > tlen || tlen - link < 4)
        goto cleanup;
    uint32_t ifd1 = get32(t + link, be);
    if (ifd1 == 0)
        goto cleanup;
    memset(t + link, 0, 4); /* IFD0 is now the last directory */
    dropped = 1;
    find_thumbnail(t, tlen, ifd1, be, &off, &size);
    size_t n1 = ifd_entries(t, tlen, ifd1, be);
    if (n1)
        memset(t + ifd1, 0, 2 + n1 * IFD_ENTRY);
    if (size) {
        memset(t + off, 0, size);
        if ((size_t)off + size == tlen)
            *len -= size; /* cameras put it last: give the bytes back */
    }
cleanup:
    return dropped;
}
