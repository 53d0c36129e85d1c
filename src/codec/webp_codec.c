/* WebP through libwebp (1.2) and libwebpdemux: a still picture, or the
 * first frame of an animation composited on its canvas, as 8-bit RGB with
 * alpha flattened onto white. The ICCP chunk is handed on as the picture's
 * ICC profile; the EXIF chunk gives GPS presence and an orientation that
 * still has to be applied (libwebp ignores it). */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "codec/dynlib.h"

/* libwebp's and libwebpdemux's functions, from libwebpdemux.so (which
 * brings libwebp.so) opened on first use (dynlib.h). The headers' inline
 * wrappers (WebPGetFeatures ...) are called through the versioned
 * functions they wrap. */
#define WEBP_FUNCS(X) \
    X(WebPAnimDecoderDelete) \
    X(WebPAnimDecoderGetInfo) \
    X(WebPAnimDecoderGetNext) \
    X(WebPAnimDecoderNewInternal) \
    X(WebPAnimDecoderOptionsInitInternal) \
    X(WebPDecode) \
    X(WebPDemuxDelete) \
    X(WebPDemuxGetChunk) \
    X(WebPDemuxInternal) \
    X(WebPDemuxReleaseChunkIterator) \
    X(WebPFreeDecBuffer) \
    X(WebPGetFeaturesInternal) \
    X(WebPInitDecoderConfigInternal)

PF_DYN_LIBRARY(webp, WEBP_FUNCS, PF_SONAME_WEBPDEMUX)

#define WEBP_ICC_MAX (4u << 20) /* one ICC profile */

static pf_status webp_fail(VP8StatusCode vs, char err[PF_ERR_LEN])
{
    switch (vs) {
    case VP8_STATUS_OUT_OF_MEMORY:
        return PF_ERR_NOMEM;
    case VP8_STATUS_NOT_ENOUGH_DATA:
        pf_set_message(err, PF_ERR_LEN, "%s", _("truncated WebP: the file ends "
                       "before its image data does"));
        return PF_ERR_TRUNCATED;
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        /* The pipeline adds "; export it as JPEG". */
        pf_set_message(err, PF_ERR_LEN, "%s", _("WebP using a feature libwebp "
                       "cannot decode"));
        return PF_ERR_FORMAT;
    default:
        pf_set_message(err, PF_ERR_LEN, "%s", _("invalid WebP bitstream"));
        return PF_ERR_CORRUPT;
    }
}

static pf_status version_mismatch(char err[PF_ERR_LEN])
{
    pf_set_message(err, PF_ERR_LEN, "%s", _("libwebp is not the version preflight "
                   "was built with"));
    return PF_ERR_INTERNAL;
}

static void flatten(const uint8_t *rgba, size_t stride, pf_decoded *out)
{
    pf_bitmap *bmp = &out->bmp;
    for (uint32_t y = 0; y < bmp->height; y++)
        out->has_alpha |= pf_flatten_row(rgba + (size_t)y * stride,
                                         bmp->rgb + (size_t)y * bmp->width * 3,
                                         bmp->width, 0);
}

/* ICCP to out->icc, EXIF to orientation and GPS. */
static pf_status read_chunks(const WebPDemuxer *dmx, pf_decoded *out,
                             char err[PF_ERR_LEN])
{
    WebPChunkIterator it;
    pf_status st = PF_OK;
    if (webp.WebPDemuxGetChunk(dmx, "ICCP", 1, &it)) {
        size_t n = it.chunk.size;
        if (n > WEBP_ICC_MAX) {
            /* TRANSLATORS: the last %s is "limit for metadata", which must
               end the message (the pipeline looks for it). */
            pf_set_message(err, PF_ERR_LEN, _("WebP ICC profile of %zu B is over "
                           "the %u B %s"), n, WEBP_ICC_MAX, _("limit for metadata"));
            st = PF_ERR_TOO_LARGE;
        } else if (n > 0) {
            if ((out->icc = malloc(n))) {
                memcpy(out->icc, it.chunk.bytes, n);
                out->icc_len = n;
            } else {
                st = PF_ERR_NOMEM;
            }
        }
        webp.WebPDemuxReleaseChunkIterator(&it);
    }
    if (st == PF_OK && webp.WebPDemuxGetChunk(dmx, "EXIF", 1, &it)) {
        pf_exif_info info; /* exif.c skips a block too large to be sane */
        pf_exif_read(it.chunk.bytes, it.chunk.size, &info);
        out->exif_orientation = info.orientation;
        out->has_gps = info.has_gps;
        webp.WebPDemuxReleaseChunkIterator(&it);
    }
    return st;
}

static pf_status decode_still(const uint8_t *data, size_t len,
                              const WebPBitstreamFeatures *f, pf_decoded *out,
                              char err[PF_ERR_LEN])
{
    WebPDecoderConfig cfg;
    uint8_t *rgba = NULL;
    pf_status st;
    if (!webp.WebPInitDecoderConfigInternal(&cfg, WEBP_DECODER_ABI_VERSION))
        return version_mismatch(err);
    if ((st = pf_bitmap_alloc(&out->bmp, (uint32_t)f->width, (uint32_t)f->height)) != PF_OK)
        return st;
    size_t w = (size_t)f->width, h = (size_t)f->height;
    WebPRGBABuffer *buf = &cfg.output.u.RGBA;
    cfg.output.is_external_memory = 1;
    if (f->has_alpha) {
        if (!(rgba = malloc(w * h * 4)))
            return PF_ERR_NOMEM;
        cfg.output.colorspace = MODE_RGBA;
        buf->rgba = rgba, buf->stride = (int)(w * 4), buf->size = w * h * 4;
    } else { /* straight into the bitmap */
        cfg.output.colorspace = MODE_RGB;
        buf->rgba = out->bmp.rgb, buf->stride = (int)(w * 3), buf->size = w * h * 3;
    }
    VP8StatusCode vs = webp.WebPDecode(data, len, &cfg);
    webp.WebPFreeDecBuffer(&cfg.output);
    if (vs != VP8_STATUS_OK)
        st = webp_fail(vs, err);
    else if (cfg.output.width != f->width || cfg.output.height != f->height)
        st = webp_fail(VP8_STATUS_BITSTREAM_ERROR, err);
    else if (rgba)
        flatten(rgba, w * 4, out);
    free(rgba);
    return st;
}

/* The first frame as the animation shows it: on a transparent canvas (the
 * background colour is only a hint, which libwebp does not follow). */
static pf_status decode_first_frame(const WebPData *wd, pf_decoded *out,
                                    char err[PF_ERR_LEN])
{
    WebPAnimDecoderOptions opt;
    WebPAnimInfo info;
    uint8_t *canvas = NULL;
    int timestamp = 0;
    pf_status st;
    if (!webp.WebPAnimDecoderOptionsInitInternal(&opt, WEBP_DEMUX_ABI_VERSION))
        return version_mismatch(err);
    opt.color_mode = MODE_RGBA;
    opt.use_threads = 0;
    WebPAnimDecoder *ad = webp.WebPAnimDecoderNewInternal(wd, &opt, WEBP_DEMUX_ABI_VERSION);
    if (!ad)
        return webp_fail(VP8_STATUS_BITSTREAM_ERROR, err);
    if (!webp.WebPAnimDecoderGetInfo(ad, &info) || info.canvas_width == 0 ||
        info.canvas_height == 0) {
        st = webp_fail(VP8_STATUS_BITSTREAM_ERROR, err);
        goto done;
    }
    if (!webp.WebPAnimDecoderGetNext(ad, &canvas, &timestamp) || !canvas) {
        pf_set_message(err, PF_ERR_LEN, "%s",
                       _("the first frame of the WebP animation cannot be decoded"));
        st = PF_ERR_CORRUPT;
        goto done;
    }
    if ((st = pf_bitmap_alloc(&out->bmp, info.canvas_width, info.canvas_height)) != PF_OK)
        goto done;
    flatten(canvas, (size_t)info.canvas_width * 4, out);
    out->pages = (int)info.frame_count;
    out->animated = info.frame_count > 1;
done:
    webp.WebPAnimDecoderDelete(ad);
    return st;
}

pf_status pf_webp_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         pf_decoded *out, char err[PF_ERR_LEN])
{
    WebPBitstreamFeatures f;
    WebPDemuxer *dmx = NULL;
    WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
    WebPData wd = {data, len};
    pf_status st;
    if ((st = pf_decode_begin(data, out, err)) != PF_OK)
        return st;
    if (!webp_ready())
        return pf_missing_library(err, "WebP", PF_SONAME_WEBPDEMUX, "libwebpdemux2");
    /* The header alone: the size is refused before anything is allocated. */
    VP8StatusCode vs = webp.WebPGetFeaturesInternal(data, len, &f, WEBP_DECODER_ABI_VERSION);
    if (vs != VP8_STATUS_OK)
        return webp_fail(vs, err);
    if (f.width <= 0 || f.height <= 0)
        return webp_fail(VP8_STATUS_BITSTREAM_ERROR, err);
    if ((st = pf_check_pixel_cap((uint64_t)f.width, (uint64_t)f.height, max_pixels,
                                 err)) != PF_OK)
        return st;
    /* The chunks; a partial parse tells a file cut short from damage. */
    dmx = webp.WebPDemuxInternal(&wd, 1, &state, WEBP_DEMUX_ABI_VERSION);
    if (f.has_animation) {
        if (state != WEBP_DEMUX_DONE)
            st = webp_fail(state == WEBP_DEMUX_PARSE_ERROR || !dmx
                               ? VP8_STATUS_BITSTREAM_ERROR
                               : VP8_STATUS_NOT_ENOUGH_DATA, err);
        else
            st = decode_first_frame(&wd, out, err);
    } else {
        st = decode_still(data, len, &f, out, err);
        out->pages = 1;
    }
    if (st == PF_OK && dmx && state == WEBP_DEMUX_DONE)
        st = read_chunks(dmx, out, err);
    if (st == PF_OK) {
        out->stored_width = out->bmp.width;
        out->stored_height = out->bmp.height;
    }
    webp.WebPDemuxDelete(dmx); /* accepts NULL */
    if (st != PF_OK)
        pf_decoded_free(out);
    return st;
}
