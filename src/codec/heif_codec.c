/* HEIC/HEIF through libheif (1.15): the primary image, made upright by
 * libheif itself (irot/imir/clap), as 8-bit RGB with any alpha flattened
 * onto white. Its colours: an ICC profile in the file is handed on as it
 * is; an nclx description with other primaries than sRGB's (Display P3,
 * BT.2020, ...) becomes an equivalent ICC profile built with Little CMS, so
 * pf_colour_to_srgb treats both alike. EXIF is read for GPS only: its
 * orientation tag is informative in HEIF, irot is what counts. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include <lcms2.h>
#include <libheif/heif.h>

#include "codec/dynlib.h"

#define HEIF_FUNCS(X) \
    X(heif_context_alloc) \
    X(heif_context_free) \
    X(heif_context_get_number_of_top_level_images) \
    X(heif_context_get_primary_image_handle) \
    X(heif_context_read_from_memory_without_copy) \
    X(heif_context_set_maximum_image_size_limit) \
    X(heif_decode_image) \
    X(heif_decoding_options_alloc) \
    X(heif_decoding_options_free) \
    X(heif_image_get_bits_per_pixel_range) \
    X(heif_image_get_height) \
    X(heif_image_get_plane_readonly) \
    X(heif_image_get_width) \
    X(heif_image_handle_get_height) \
    X(heif_image_handle_get_ispe_height) \
    X(heif_image_handle_get_ispe_width) \
    X(heif_image_handle_get_list_of_metadata_block_IDs) \
    X(heif_image_handle_get_metadata) \
    X(heif_image_handle_get_metadata_size) \
    X(heif_image_handle_get_nclx_color_profile) \
    X(heif_image_handle_get_raw_color_profile) \
    X(heif_image_handle_get_raw_color_profile_size) \
    X(heif_image_handle_get_width) \
    X(heif_image_handle_has_alpha_channel) \
    X(heif_image_handle_is_premultiplied_alpha) \
    X(heif_image_handle_release) \
    X(heif_image_release) \
    X(heif_nclx_color_profile_free)

/* libheif's functions, from libheif.so opened on first use (dynlib.h). */
PF_DYN_LIBRARY(heif, HEIF_FUNCS, PF_SONAME_HEIF)

#define HEIF_MAX_SIDE 32768u         /* libheif's own default per side */
#define HEIF_EXIF_MAX (1024u * 1024) /* what exif.c reads at most, + 4 */
#define HEIF_ICC_MAX (4u << 20)      /* one ICC profile */

/* ---- libheif errors ---- */

static pf_status heif_status(struct heif_error e)
{
    switch (e.code) {
    case heif_error_Ok:
        return PF_OK;
    case heif_error_Memory_allocation_error:
        return e.subcode == heif_suberror_Security_limit_exceeded
                   ? PF_ERR_TOO_LARGE : PF_ERR_NOMEM;
    case heif_error_Unsupported_filetype:
    case heif_error_Unsupported_feature:
        return PF_ERR_FORMAT;
    case heif_error_Usage_error:
    case heif_error_Encoder_plugin_error:
    case heif_error_Encoding_error:
        return PF_ERR_INTERNAL;
    default: /* Invalid_input, Decoder_plugin_error, Color_profile_..., */
        return e.subcode == heif_suberror_End_of_data ? PF_ERR_TRUNCATED
                                                      : PF_ERR_CORRUPT;
    }
}

/* libheif's message ("Invalid input: No 'ftyp' box"), or a word of ours
 * when it gives none. */
static pf_status heif_fail(struct heif_error e, char err[PF_ERR_LEN])
{
    pf_status st = heif_status(e);
    char msg_buf[PF_ERR_LEN];
    const char *msg = NULL;
    if (e.message && *e.message) { /* some end in a newline */
        pf_set_message(msg_buf, sizeof msg_buf, "%s", e.message);
        size_t n = strlen(msg_buf);
        while (n > 0 && (msg_buf[n - 1] == '\n' || msg_buf[n - 1] == ' '))
            msg_buf[--n] = '\0';
        msg = n ? msg_buf : NULL;
    }
    if (st == PF_ERR_FORMAT)
        /* TRANSLATORS: %s is libheif's reason, in English. The pipeline
           adds "; export it as JPEG". */
        pf_set_message(err, PF_ERR_LEN, _("HEIC using a feature libheif cannot "
                       "decode (%s)"), msg ? msg : "?");
    else if (st == PF_ERR_TRUNCATED)
        /* TRANSLATORS: %s is libheif's reason, in English. */
        pf_set_message(err, PF_ERR_LEN, _("truncated HEIF: %s"),
                       msg ? msg : "end of data");
    else
        pf_set_message(err, PF_ERR_LEN, "%s", msg ? msg : _("libheif cannot decode it"));
    return st;
}

/* ---- colour: nclx to ICC ---- */

/* ITU-T H.273 colour primaries: red, green, blue and white point (x, y). */
static int nclx_primaries(int code, cmsCIExyYTRIPLE *p, cmsCIExyY *white)
{
    static const struct {
        int code;
        double v[8]; /* rx ry gx gy bx by wx wy */
    } table[] = {
        {4, {0.67, 0.33, 0.21, 0.71, 0.14, 0.08, 0.310, 0.316}},        /* BT.470M */
        {5, {0.64, 0.33, 0.29, 0.60, 0.15, 0.06, 0.3127, 0.3290}},      /* BT.470BG */
        {6, {0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290}}, /* BT.601 */
        {7, {0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290}}, /* 240M */
        {8, {0.681, 0.319, 0.243, 0.692, 0.145, 0.049, 0.310, 0.316}},  /* film */
        {9, {0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290}}, /* BT.2020 */
        {11, {0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.314, 0.351}}, /* DCI-P3 */
        {12, {0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290}}, /* P3 D65 */
        {22, {0.630, 0.340, 0.295, 0.605, 0.155, 0.077, 0.3127, 0.3290}}, /* EBU 3213 */
        {1, {0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290}},      /* BT.709 */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (table[i].code != code)
            continue;
        const double *v = table[i].v;
        *p = (cmsCIExyYTRIPLE){{v[0], v[1], 1.0}, {v[2], v[3], 1.0}, {v[4], v[5], 1.0}};
        *white = (cmsCIExyY){v[6], v[7], 1.0};
        return 1;
    }
    return 0;
}

/* The decoding function (display from code value) of H.273 transfer
 * characteristics, as an ICC parametric curve; sRGB's for those without
 * one (unspecified, PQ and HLG, which 8-bit output cannot honour anyway). */
static cmsToneCurve *nclx_curve(int tc)
{
    /* type 4: Y = (aX + b)^g for X >= d, else cX; params g a b c d */
    static const double srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    static const double bt709[5] = {1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 0.081};
    static const double smpte240[5] = {1 / 0.45, 1 / 1.1115, 0.1115 / 1.1115,
                                       1 / 4.0, 0.0912};
    switch (tc) {
    case heif_transfer_characteristic_ITU_R_BT_709_5:
    case heif_transfer_characteristic_ITU_R_BT_601_6:
    case heif_transfer_characteristic_ITU_R_BT_2020_2_10bit:
    case heif_transfer_characteristic_ITU_R_BT_2020_2_12bit:
        return cmsBuildParametricToneCurve(NULL, 4, bt709);
    case heif_transfer_characteristic_SMPTE_240M:
        return cmsBuildParametricToneCurve(NULL, 4, smpte240);
    case heif_transfer_characteristic_ITU_R_BT_470_6_System_M:
        return cmsBuildGamma(NULL, 2.2);
    case heif_transfer_characteristic_ITU_R_BT_470_6_System_B_G:
        return cmsBuildGamma(NULL, 2.8);
    case heif_transfer_characteristic_linear:
        return cmsBuildGamma(NULL, 1.0);
    default:
        return cmsBuildParametricToneCurve(NULL, 4, srgb);
    }
}

/* Whether these nclx colours differ from sRGB enough to need a profile:
 * other primaries, or a transfer far from sRGB's curve (BT.709's and
 * BT.601's are taken as sRGB, as viewers do). */
static int nclx_needs_profile(int primaries, int tc)
{
    int other_primaries = primaries != heif_color_primaries_ITU_R_BT_709_5 &&
                          primaries != heif_color_primaries_unspecified &&
                          primaries != 0;
    int other_curve = tc == heif_transfer_characteristic_ITU_R_BT_470_6_System_M ||
                      tc == heif_transfer_characteristic_ITU_R_BT_470_6_System_B_G ||
                      tc == heif_transfer_characteristic_SMPTE_240M ||
                      tc == heif_transfer_characteristic_linear;
    return other_primaries || other_curve;
}

/* An ICC profile (malloc'd) equivalent to the nclx primaries and transfer;
 * NULL when they are sRGB's or unknown. */
static uint8_t *nclx_to_icc(int primaries, int tc, size_t *len)
{
    cmsCIExyYTRIPLE p;
    cmsCIExyY white;
    cmsToneCurve *curve = NULL;
    cmsHPROFILE prof = NULL;
    cmsUInt32Number n = 0;
    uint8_t *icc = NULL;
    if (!nclx_needs_profile(primaries, tc))
        return NULL;
    if (primaries == heif_color_primaries_unspecified || primaries == 0)
        primaries = heif_color_primaries_ITU_R_BT_709_5;
    if (!nclx_primaries(primaries, &p, &white))
        return NULL; /* XYZ (10) or a code H.273 does not define */
    if (!(curve = nclx_curve(tc)))
        goto done;
    cmsToneCurve *curves[3] = {curve, curve, curve};
    if (!(prof = cmsCreateRGBProfile(&white, &p, curves)))
        goto done;
    if (!cmsSaveProfileToMem(prof, NULL, &n) || n == 0 || !(icc = malloc(n)))
        goto done;
    if (!cmsSaveProfileToMem(prof, icc, &n)) {
        free(icc);
        icc = NULL;
        goto done;
    }
    *len = n;
done:
    if (prof)
        cmsCloseProfile(prof);
    if (curve)
        cmsFreeToneCurve(curve);
    return icc;
}

/* The top-level box that runs past the end of a file cut short (its type
 * in box[5]), else 0. */
static int cut_short_box(const uint8_t *d, size_t len, char box[5])
{
    size_t pos = 0;
    while (pos < len) {
        uint64_t size;
        size_t head = 8;
        if (len - pos < 8)
            size = UINT64_MAX;
        else if ((size = (uint64_t)d[pos] << 24 | (uint64_t)d[pos + 1] << 16 |
                          (uint64_t)d[pos + 2] << 8 | d[pos + 3]) == 1) {
            size = 0;
            if (len - pos < 16)
                size = UINT64_MAX;
            else
                for (size_t i = 0; i < 8; i++)
                    size = size << 8 | d[pos + 8 + i];
            head = 16;
        } else if (size == 0) {
            return 0; /* runs to the end of the file */
        }
        if (size < head)
            return 0; /* damage, not an end */
        if (size > len - pos) {
            for (int i = 0; i < 4; i++) {
                uint8_t c = pos + 4 + (size_t)i < len ? d[pos + 4 + (size_t)i] : '?';
                box[i] = c >= 0x20 && c < 0x7f && c != '\'' ? (char)c : '?';
            }
            box[4] = '\0';
            return 1;
        }
        pos += (size_t)size;
    }
    return 0;
}

static pf_status read_colour(const struct heif_image_handle *h, pf_decoded *out,
                             char err[PF_ERR_LEN])
{
    size_t n = heif.heif_image_handle_get_raw_color_profile_size(h);
    if (n > 0) {
        if (n > HEIF_ICC_MAX) {
            /* TRANSLATORS: the last %s is "limit for metadata", which must
               end the message (the pipeline looks for it). */
            pf_set_message(err, PF_ERR_LEN, _("HEIF ICC profile of %zu B is over "
                           "the %u B %s"), n, HEIF_ICC_MAX, _("limit for metadata"));
            return PF_ERR_TOO_LARGE;
        }
        if (!(out->icc = malloc(n)))
            return PF_ERR_NOMEM;
        struct heif_error e = heif.heif_image_handle_get_raw_color_profile(h, out->icc);
        if (e.code != heif_error_Ok) {
            free(out->icc);
            out->icc = NULL;
            return heif_fail(e, err);
        }
        out->icc_len = n;
        return PF_OK;
    }
    struct heif_color_profile_nclx *nclx = NULL;
    struct heif_error e = heif.heif_image_handle_get_nclx_color_profile(h, &nclx);
    if (e.code == heif_error_Ok && nclx)
        out->icc = nclx_to_icc(nclx->color_primaries,
                               nclx->transfer_characteristics, &out->icc_len);
    heif.heif_nclx_color_profile_free(nclx); /* accepts NULL */
    return PF_OK;
}

/* ---- EXIF (GPS only) ---- */

static void read_exif(const struct heif_image_handle *h, pf_decoded *out)
{
    heif_item_id id;
    if (heif.heif_image_handle_get_list_of_metadata_block_IDs(h, "Exif", &id, 1) < 1)
        return;
    size_t n = heif.heif_image_handle_get_metadata_size(h, id);
    if (n < 4 + 8 || n > HEIF_EXIF_MAX + 4)
        return;
    uint8_t *block = malloc(n);
    if (!block)
        return;
    if (heif.heif_image_handle_get_metadata(h, id, block).code == heif_error_Ok) {
        /* 4 bytes: how far past them the TIFF header starts. */
        uint32_t skip = (uint32_t)block[0] << 24 | (uint32_t)block[1] << 16 |
                        (uint32_t)block[2] << 8 | block[3];
        if (skip > n - 4)
            skip = 0; /* exif.c takes the block from its start */
        pf_exif_info info;
        pf_exif_read(block + 4 + skip, n - 4 - skip, &info);
        out->has_gps = info.has_gps;
    }
    free(block);
}

/* ---- pixels ---- */

static pf_status copy_pixels(const struct heif_image *img, int alpha,
                             int premultiplied, uint64_t max_pixels,
                             pf_decoded *out, char err[PF_ERR_LEN])
{
    int stride = 0;
    const uint8_t *src = heif.heif_image_get_plane_readonly(img, heif_channel_interleaved,
                                                       &stride);
    int w = heif.heif_image_get_width(img, heif_channel_interleaved);
    int h = heif.heif_image_get_height(img, heif_channel_interleaved);
    int bpp = alpha ? 4 : 3;
    if (!src || w <= 0 || h <= 0 || stride < w * bpp ||
        heif.heif_image_get_bits_per_pixel_range(img, heif_channel_interleaved) != 8) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("libheif gave no 8-bit RGB image"));
        return PF_ERR_INTERNAL;
    }
    /* The coded size may differ from the one the container declared. */
    pf_status st = pf_check_pixel_cap((uint64_t)w, (uint64_t)h, max_pixels, err);
    if (st != PF_OK || (st = pf_bitmap_alloc(&out->bmp, (uint32_t)w, (uint32_t)h)) != PF_OK)
        return st;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * (size_t)stride;
        uint8_t *dst = out->bmp.rgb + (size_t)y * (size_t)w * 3;
        if (alpha)
            out->has_alpha |= pf_flatten_row(row, dst, (uint32_t)w, premultiplied);
        else
            memcpy(dst, row, (size_t)w * 3);
    }
    out->stored_width = (uint32_t)w;
    out->stored_height = (uint32_t)h;
    return PF_OK;
}

static pf_status decode_handle(struct heif_context *ctx, struct heif_image_handle *h,
                               uint64_t max_pixels, pf_decoded *out,
                               char err[PF_ERR_LEN])
{
    struct heif_image *img = NULL;
    struct heif_decoding_options *opt = NULL;
    int w = heif.heif_image_handle_get_width(h), hh = heif.heif_image_handle_get_height(h);
    pf_status st;
    if (w <= 0 || hh <= 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("HEIF image without a size (no "
                       "ispe property)"));
        return PF_ERR_CORRUPT;
    }
    if ((st = pf_check_pixel_cap((uint64_t)w, (uint64_t)hh, max_pixels, err)) != PF_OK)
        return st;
    /* A grid or overlay declares its canvas again, and libheif allocates
     * that one (checked only against this limit): no side beyond the
     * image's own before cropping (ispe). */
    int side = w > hh ? w : hh;
    int iw = heif.heif_image_handle_get_ispe_width(h), ih = heif.heif_image_handle_get_ispe_height(h);
    side = iw > side ? iw : side;
    side = ih > side ? ih : side;
    if ((unsigned)side < HEIF_MAX_SIDE)
        heif.heif_context_set_maximum_image_size_limit(ctx, side + 1);
    if ((st = read_colour(h, out, err)) != PF_OK)
        return st;
    read_exif(h, out);
    int alpha = heif.heif_image_handle_has_alpha_channel(h);
    if (!(opt = heif.heif_decoding_options_alloc()))
        return PF_ERR_NOMEM;
    opt->convert_hdr_to_8bit = 1;
    struct heif_error e = heif.heif_decode_image(h, &img, heif_colorspace_RGB,
        alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, opt);
    heif.heif_decoding_options_free(opt);
    if (e.code != heif_error_Ok || !img) {
        heif.heif_image_release(img);
        return heif_fail(e, err);
    }
    st = copy_pixels(img, alpha, heif.heif_image_handle_is_premultiplied_alpha(h),
                     max_pixels, out, err);
    heif.heif_image_release(img);
    return st;
}

pf_status pf_heif_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         pf_decoded *out, char err[PF_ERR_LEN])
{
    struct heif_context *ctx = NULL;
    struct heif_image_handle *h = NULL;
    pf_status st;
    if ((st = pf_decode_begin(data, out, err)) != PF_OK)
        return st;
    if (!heif_ready()) {
        /* TRANSLATORS: %s is the library's file name, libheif.so.1. The
           pipeline adds "; export it as JPEG". */
        pf_set_message(err, PF_ERR_LEN, _("HEIC needs %s (Debian package libheif1), "
                       "which is not installed"), PF_SONAME_HEIF);
        return PF_ERR_FORMAT;
    }
    if (!(ctx = heif.heif_context_alloc()))
        return PF_ERR_NOMEM;
    /* libheif refuses any item wider or taller than this while reading the
     * file: a side over max_pixels is over the cap whatever the other. */
    uint64_t side = HEIF_MAX_SIDE;
    if (max_pixels > 0 && max_pixels < side)
        side = max_pixels + 1;
    heif.heif_context_set_maximum_image_size_limit(ctx, (int)side);
    struct heif_error e = heif.heif_context_read_from_memory_without_copy(ctx, data, len, NULL);
    if (e.code == heif_error_Ok)
        e = heif.heif_context_get_primary_image_handle(ctx, &h);
    if (e.code != heif_error_Ok) {
        st = heif_fail(e, err);
        goto done;
    }
    st = decode_handle(ctx, h, max_pixels, out, err);
done:
    if (st == PF_ERR_CORRUPT || st == PF_ERR_TRUNCATED) {
        char box[5];
        if (cut_short_box(data, len, box)) {
            /* TRANSLATORS: %s is a HEIF box type such as 'meta' or 'mdat'. */
            pf_set_message(err, PF_ERR_LEN, _("truncated HEIF: the file ends "
                           "inside its '%s' box"), box);
            st = PF_ERR_TRUNCATED;
        }
    }
    if (st == PF_OK) {
        int n = heif.heif_context_get_number_of_top_level_images(ctx);
        out->pages = n > 1 ? n : 1;
        out->exif_orientation = 0; /* libheif applied irot/imir */
    }
    heif.heif_image_handle_release(h); /* accepts NULL */
    heif.heif_context_free(ctx);
    if (st != PF_OK)
        pf_decoded_free(out);
    return st;
}
