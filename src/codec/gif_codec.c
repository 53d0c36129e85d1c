/* GIF decoding with giflib's record-level API.
 *
 * DGifSlurp would read every frame into memory, so the records are read
 * here one by one: extensions until the first image (keeping its Graphic
 * Control Extension for the transparent index), the first image's rows
 * into the logical screen, then the remaining records only to count the
 * frames, their image data skipped block by block (DGifGetCode/CodeNext),
 * never decoded. Image headers are read with DGifGetImageHeader, not
 * DGifGetImageDesc, which also appends every frame to GifFile->SavedImages
 * (memory growing with the frame count).
 *
 * The first frame is composed the way a browser shows it on a white page:
 * the logical screen white, the frame at its offset, its transparent
 * pixels white. A first frame reaching past the logical screen grows the
 * screen (as browsers do; files whose screen size is 0 exist). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>

#include "codec/dynlib.h"

/* giflib's functions, from libgif.so opened on first use (dynlib.h). */
#define GIF_FUNCS(X) \
    X(DGifCloseFile) \
    X(DGifExtensionToGCB) \
    X(DGifGetCode) \
    X(DGifGetCodeNext) \
    X(DGifGetExtension) \
    X(DGifGetExtensionNext) \
    X(DGifGetImageHeader) \
    X(DGifGetLine) \
    X(DGifGetRecordType) \
    X(DGifOpen) \
    X(GifErrorString)

PF_DYN_LIBRARY(giflib, GIF_FUNCS, PF_SONAME_GIF)

#define GIF_MAX_FRAMES 10000 /* counting stops here */

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    int short_read; /* giflib asked for bytes past the end */
} gif_source;

static int read_mem(GifFileType *gif, GifByteType *buf, int n)
{
    gif_source *src = gif->UserData;
    size_t want = n > 0 ? (size_t)n : 0, left = src->len - src->pos;
    if (want > left) {
        want = left;
        src->short_read = 1;
    }
    memcpy(buf, src->data + src->pos, want);
    src->pos += want;
    return (int)want;
}

/* giflib's reason, PF_ERR_TRUNCATED when it ran out of data. */
static pf_status gif_error(const gif_source *src, int code, const char *what,
                           char err[PF_ERR_LEN])
{
    const char *why = giflib.GifErrorString(code);
    if (src->short_read) {
        pf_set_message(err, PF_ERR_LEN, _("truncated GIF: the file ends inside %s"),
                       what);
        return PF_ERR_TRUNCATED;
    }
    if (code == D_GIF_ERR_NOT_ENOUGH_MEM)
        return PF_ERR_NOMEM;
    pf_set_message(err, PF_ERR_LEN, "GIF: %s (%s)", why ? why : "?", what);
    return PF_ERR_CORRUPT;
}

/* Reads one extension; *transparent is set from a Graphic Control
 * Extension (-1: none). */
static int read_extension(GifFileType *gif, int *transparent)
{
    int code = 0;
    GifByteType *block = NULL;
    if (giflib.DGifGetExtension(gif, &code, &block) == GIF_ERROR)
        return GIF_ERROR;
    if (code == GRAPHICS_EXT_FUNC_CODE && block && transparent) {
        GraphicsControlBlock gcb;
        if (giflib.DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK)
            *transparent = gcb.TransparentColor;
    }
    while (block) /* each call consumes at least one byte: bounded */
        if (giflib.DGifGetExtensionNext(gif, &block) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

/* Skips the image data of a frame whose header was just read. */
static int skip_image(GifFileType *gif)
{
    int code_size = 0;
    GifByteType *block = NULL;
    if (giflib.DGifGetCode(gif, &code_size, &block) == GIF_ERROR)
        return GIF_ERROR;
    while (block)
        if (giflib.DGifGetCodeNext(gif, &block) == GIF_ERROR)
            return GIF_ERROR;
    return GIF_OK;
}

/* Row y of the frame holds stored line i (interlaced: four passes, rows
 * 0, 8, ...; 4, 12, ...; 2, 6, ...; 1, 3, ...). */
static uint32_t frame_row(uint32_t i, uint32_t height, int interlaced)
{
    if (!interlaced)
        return i;
    static const uint32_t start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int p = 0; p < 4; p++) {
        uint32_t rows = height > start[p] ? (height - start[p] + step[p] - 1) / step[p] : 0;
        if (i < rows)
            return start[p] + i * step[p];
        i -= rows;
    }
    return height; /* not reached: the passes hold height rows */
}

/* Decodes the first frame (its header just read) onto the screen. */
static pf_status decode_first(GifFileType *gif, const gif_source *src,
                              int transparent, uint64_t max_pixels,
                              pf_decoded *out, char err[PF_ERR_LEN])
{
    const GifImageDesc *d = &gif->Image;
    const ColorMapObject *map = d->ColorMap ? d->ColorMap : gif->SColorMap;
    if (d->Width <= 0 || d->Height <= 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("GIF: the first frame is empty"));
        return PF_ERR_CORRUPT;
    }
    if (!map || !map->Colors || map->ColorCount <= 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("GIF: no colour table"));
        return PF_ERR_CORRUPT;
    }
    uint32_t fw = (uint32_t)d->Width, fh = (uint32_t)d->Height;
    uint32_t left = (uint32_t)d->Left, top = (uint32_t)d->Top;
    uint32_t sw = gif->SWidth > 0 ? (uint32_t)gif->SWidth : 0;
    uint32_t sh = gif->SHeight > 0 ? (uint32_t)gif->SHeight : 0;
    if (left + fw > sw)
        sw = left + fw; /* at most 2 * 65535 */
    if (top + fh > sh)
        sh = top + fh;
    pf_status st = pf_check_pixel_cap(sw, sh, max_pixels, err);
    if (st != PF_OK)
        return st;
    uint8_t *line = malloc(fw);
    if (!line)
        return PF_ERR_NOMEM;
    if ((st = pf_bitmap_alloc(&out->bmp, sw, sh)) != PF_OK)
        goto cleanup;
    memset(out->bmp.rgb, 255, (size_t)sw * sh * 3);
    out->stored_width = sw;
    out->stored_height = sh;
    /* Screen not covered by the frame shows through: transparent. */
    out->has_alpha = left > 0 || top > 0 || fw < sw || fh < sh;
    uint8_t used[256] = {0};
    for (uint32_t i = 0; i < fh; i++) {
        if (giflib.DGifGetLine(gif, line, (int)fw) == GIF_ERROR) {
            st = gif_error(src, gif->Error, _("the first frame"), err);
            goto cleanup;
        }
        uint8_t *dst = out->bmp.rgb +
                       ((size_t)(top + frame_row(i, fh, d->Interlace)) * sw + left) * 3;
        for (uint32_t x = 0; x < fw; x++, dst += 3) {
            int idx = line[x];
            if (idx == transparent) {
                out->has_alpha = 1;
                continue;
            }
            used[idx] = 1;
            if (idx < map->ColorCount) {
                const GifColorType *c = &map->Colors[idx];
                dst[0] = c->Red, dst[1] = c->Green, dst[2] = c->Blue;
            } else {
                dst[0] = dst[1] = dst[2] = 0; /* past the table: black */
            }
        }
    }
    /* Stored without colour: every colour the frame uses is a grey. */
    out->source_grey = 1;
    for (int i = 0; i < 256 && out->source_grey; i++) {
        if (!used[i] || i >= map->ColorCount)
            continue;
        const GifColorType *c = &map->Colors[i];
        out->source_grey = c->Red == c->Green && c->Green == c->Blue;
    }
cleanup:
    free(line);
    return st;
}

/* The frames after the first: counted, not decoded. Stops quietly at the
 * trailer, at damage (the first frame is what is shown) or at the cap. */
static int count_frames(GifFileType *gif)
{
    int frames = 1;
    while (frames < GIF_MAX_FRAMES) {
        GifRecordType type;
        if (giflib.DGifGetRecordType(gif, &type) == GIF_ERROR)
            break;
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (giflib.DGifGetImageHeader(gif) == GIF_ERROR || skip_image(gif) == GIF_ERROR)
                break;
            frames++;
        } else if (type == EXTENSION_RECORD_TYPE) {
            if (read_extension(gif, NULL) == GIF_ERROR)
                break;
        } else {
            break; /* the trailer */
        }
    }
    return frames;
}

pf_status pf_gif_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        pf_decoded *out, char err[PF_ERR_LEN])
{
    gif_source src = {data, len, 0, 0};
    int code = 0, transparent = NO_TRANSPARENT_COLOR;
    pf_status st;
    memset(out, 0, sizeof *out);
    if (!giflib_ready())
        return pf_missing_library(err, "GIF", PF_SONAME_GIF, "libgif7");
    GifFileType *gif = giflib.DGifOpen(&src, read_mem, &code);
    if (!gif)
        return gif_error(&src, code, _("the header"), err);
    /* The logical screen alone may already be too large. */
    if ((st = pf_check_pixel_cap((uint64_t)gif->SWidth, (uint64_t)gif->SHeight,
                                 max_pixels, err)) != PF_OK)
        goto cleanup;
    for (;;) {
        GifRecordType type;
        if (giflib.DGifGetRecordType(gif, &type) == GIF_ERROR) {
            st = gif_error(&src, gif->Error, _("the records before the first frame"), err);
            goto cleanup;
        }
        if (type == EXTENSION_RECORD_TYPE) {
            if (read_extension(gif, &transparent) == GIF_ERROR) {
                st = gif_error(&src, gif->Error, _("an extension block"), err);
                goto cleanup;
            }
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE) {
            pf_set_message(err, PF_ERR_LEN, "%s", _("GIF: no image in the file"));
            st = PF_ERR_CORRUPT;
            goto cleanup;
        }
        if (giflib.DGifGetImageHeader(gif) == GIF_ERROR) {
            st = gif_error(&src, gif->Error, _("the first frame"), err);
            goto cleanup;
        }
        break;
    }
    if ((st = decode_first(gif, &src, transparent, max_pixels, out, err)) != PF_OK)
        goto cleanup;
    out->pages = count_frames(gif);
    out->animated = out->pages > 1;
cleanup:
    giflib.DGifCloseFile(gif, &code);
    if (st != PF_OK)
        pf_decoded_free(out);
    return st;
}
