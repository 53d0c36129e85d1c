/* Embedded ICC profiles to sRGB (Little CMS 2).
 *
 * Every call has its own cmsContext: lcms's error handler and plugin state
 * are otherwise process-global. Its error handler keeps the first message
 * in the call's own state (nothing is printed), and every profile and
 * transform is made with the THR functions on that context, so calls in
 * different threads share nothing.
 *
 * Rendering intent: perceptual with black point compensation. A matrix
 * profile (cameras, Display P3, Adobe RGB) has no perceptual table, so
 * lcms renders it relative colorimetric: in-gamut colours are exact and
 * out-of-gamut ones are clipped. A profile with perceptual tables (scanner
 * and printer LUT profiles, CMYK) compresses its gamut into sRGB smoothly,
 * as photo viewers and print workflows do for photographs. Black point
 * compensation maps the profile's black to sRGB black: a CMYK or LUT
 * profile's black is a dark grey (ink on paper), which would otherwise be
 * reproduced as a lifted, washed-out black, and detail in the shadows
 * would be clipped or flattened. For matrix profiles both blacks are zero
 * and it changes nothing. */
#include "internal.h"

#include <lcms2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The call's own lcms state: its context, the first error lcms reported. */
typedef struct {
    cmsContext ctx;
    char first_error[120];
} lcms_call;

static void on_lcms_error(cmsContext ctx, cmsUInt32Number code, const char *text)
{
    lcms_call *call = cmsGetContextUserData(ctx);
    (void)code;
    if (call && !call->first_error[0] && text)
        pf_set_message(call->first_error, sizeof call->first_error, "%s", text);
}

static int call_open(lcms_call *call)
{
    memset(call, 0, sizeof *call);
    call->ctx = cmsCreateContext(NULL, call);
    if (!call->ctx)
        return 0;
    cmsSetLogErrorHandlerTHR(call->ctx, on_lcms_error);
    return 1;
}

/* The profile's bytes, or NULL with a message for a damaged one. A profile
 * larger than lcms's 32-bit size cannot be one it reads. */
static cmsHPROFILE open_profile(lcms_call *call, const uint8_t *icc,
                                size_t icc_len)
{
    if (icc_len > UINT32_MAX)
        return NULL;
    return cmsOpenProfileFromMemTHR(call->ctx, icc, (cmsUInt32Number)icc_len);
}

static void damaged(const lcms_call *call, char *err)
{
    /* lcms's own words (English) say which part is damaged. */
    if (call->first_error[0])
        pf_set_message(err, PF_ERR_LEN, _("embedded colour profile is damaged: %s"),
                       call->first_error);
    else
        pf_set_message(err, PF_ERR_LEN, "%s", _("embedded colour profile is damaged"));
}

/* A profile that converts device colours to the PCS (input, display,
 * output or colour-space class): not a device link, abstract or named
 * colour profile, which describe no image's colours. */
static int describes_device_colours(cmsHPROFILE p)
{
    cmsProfileClassSignature cls = cmsGetDeviceClass(p);
    return cls == cmsSigInputClass || cls == cmsSigDisplayClass ||
           cls == cmsSigOutputClass || cls == cmsSigColorSpaceClass;
}

#define COLORANT_TOLERANCE 0.002 /* in XYZ: well under one 8-bit level */
#define TRC_TOLERANCE (0.5 / 255) /* half an 8-bit level */

static int xyz_tag_close(cmsHPROFILE a, cmsHPROFILE b, cmsTagSignature sig)
{
    const cmsCIEXYZ *x = cmsReadTag(a, sig), *y = cmsReadTag(b, sig);
    return x && y && fabs(x->X - y->X) <= COLORANT_TOLERANCE &&
           fabs(x->Y - y->Y) <= COLORANT_TOLERANCE &&
           fabs(x->Z - y->Z) <= COLORANT_TOLERANCE;
}

static int trc_tag_close(cmsHPROFILE a, cmsHPROFILE b, cmsTagSignature sig)
{
    const cmsToneCurve *x = cmsReadTag(a, sig), *y = cmsReadTag(b, sig);
    if (!x || !y)
        return 0;
    for (int i = 0; i < 256; i++) {
        float v = (float)i / 255.0f;
        if (fabsf(cmsEvalToneCurveFloat(x, v) - cmsEvalToneCurveFloat(y, v)) >
            (float)TRC_TOLERANCE)
            return 0;
    }
    return 1;
}

/* The profile is sRGB: a matrix/TRC profile (no tables lcms would use
 * instead) whose colorants and tone curves match lcms's own sRGB within
 * less than one 8-bit level at every input. Names and profile IDs are not
 * trusted: sRGB profiles by different makers differ in both (and in the
 * curve's form: HP's table of 1024 entries, lcms's parametric curve), and
 * a name says nothing about the numbers. */
static int is_srgb(cmsHPROFILE p, cmsHPROFILE srgb)
{
    static const cmsTagSignature tables[] = {
        cmsSigAToB0Tag, cmsSigAToB1Tag, cmsSigAToB2Tag,
        cmsSigDToB0Tag, cmsSigDToB1Tag, cmsSigDToB2Tag};
    if (!cmsIsMatrixShaper(p))
        return 0;
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (cmsIsTag(p, tables[i]))
            return 0;
    return xyz_tag_close(p, srgb, cmsSigRedColorantTag) &&
           xyz_tag_close(p, srgb, cmsSigGreenColorantTag) &&
           xyz_tag_close(p, srgb, cmsSigBlueColorantTag) &&
           trc_tag_close(p, srgb, cmsSigRedTRCTag) &&
           trc_tag_close(p, srgb, cmsSigGreenTRCTag) &&
           trc_tag_close(p, srgb, cmsSigBlueTRCTag);
}

#define INTENT INTENT_PERCEPTUAL
#define FLAGS cmsFLAGS_BLACKPOINTCOMPENSATION

/* RGB in place, row by row (lcms transforms in place when input and output
 * pixels have the same size; rows keep each call's count within 32 bits). */
static void convert_rgb(cmsHTRANSFORM xf, pf_bitmap *bmp)
{
    size_t stride = (size_t)bmp->width * 3;
    for (uint32_t y = 0; y < bmp->height; y++) {
        uint8_t *row = bmp->rgb + (size_t)y * stride;
        cmsDoTransform(xf, row, row, bmp->width);
    }
}

/* A grey profile: its 256 greys through lcms once, then a table per
 * channel. Grey-profiled pictures come from one-channel files, so R = G = B
 * and each pixel gets exactly the grey's sRGB colour; should a colour
 * picture carry a grey profile, its channels each get the grey's tone
 * curve, the nearest reading of such a file. */
static void convert_grey(cmsHTRANSFORM xf, pf_bitmap *bmp)
{
    uint8_t grey[256], rgb[256][3];
    for (int i = 0; i < 256; i++)
        grey[i] = (uint8_t)i;
    cmsDoTransform(xf, grey, rgb, 256);
    size_t n = (size_t)bmp->width * bmp->height;
    uint8_t *p = bmp->rgb;
    for (size_t i = 0; i < n; i++, p += 3) {
        p[0] = rgb[p[0]][0];
        p[1] = rgb[p[1]][1];
        p[2] = rgb[p[2]][2];
    }
}

/* A profile that does not describe RGB or grey pixels (CMYK, Lab, a device
 * link, an abstract profile) leaves the picture as stored and is PF_OK with
 * a note in err: the file is mislabelled, and the program must still judge
 * the picture. Web browsers do the same (they ignore a profile that does
 * not fit the image), so the colours are what the person saw on screen;
 * converting through a profile that does not fit would make them wrong. */
pf_status pf_colour_to_srgb(pf_bitmap *bmp, const uint8_t *icc, size_t icc_len,
                            int *converted, char err[PF_ERR_LEN])
{
    lcms_call call;
    if (converted)
        *converted = 0;
    cmsHPROFILE in = NULL, srgb = NULL;
    cmsHTRANSFORM xf = NULL;
    pf_status st = PF_OK;
    if (err)
        err[0] = '\0';
    if (!bmp || (!bmp->rgb && bmp->width && bmp->height))
        return PF_ERR_INVALID_ARG;
    if (!icc || !icc_len || !bmp->width || !bmp->height)
        return PF_OK; /* nothing to convert */
    if (!call_open(&call))
        return PF_ERR_NOMEM;
    if (!(in = open_profile(&call, icc, icc_len))) {
        damaged(&call, err);
        st = PF_ERR_CORRUPT;
        goto cleanup;
    }
    cmsColorSpaceSignature space = cmsGetColorSpace(in);
    if (!describes_device_colours(in) ||
        (space != cmsSigRgbData && space != cmsSigGrayData)) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("embedded colour profile is not "
                       "for RGB or grey pixels; colours left as stored"));
        goto cleanup;
    }
    if (!(srgb = cmsCreate_sRGBProfileTHR(call.ctx))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    if (space == cmsSigRgbData && is_srgb(in, srgb))
        goto cleanup; /* already sRGB: the pixels stay bit for bit */
    xf = cmsCreateTransformTHR(call.ctx, in,
                               space == cmsSigRgbData ? TYPE_RGB_8 : TYPE_GRAY_8,
                               srgb, TYPE_RGB_8, INTENT, FLAGS);
    if (!xf) { /* tags it needs are missing or unreadable */
        damaged(&call, err);
        st = PF_ERR_CORRUPT;
        goto cleanup;
    }
    if (space == cmsSigRgbData)
        convert_rgb(xf, bmp);
    else
        convert_grey(xf, bmp);
    if (converted)
        *converted = 1;
cleanup:
    if (xf)
        cmsDeleteTransform(xf);
    if (srgb)
        cmsCloseProfile(srgb);
    if (in)
        cmsCloseProfile(in);
    cmsDeleteContext(call.ctx);
    return st;
}

/* ---- CMYK JPEG samples to sRGB ---- */

struct pf_cmyk_to_srgb {
    lcms_call call;
    cmsHTRANSFORM xf;
};

void pf_cmyk_to_srgb_free(pf_cmyk_to_srgb *c)
{
    if (!c)
        return;
    if (c->xf)
        cmsDeleteTransform(c->xf);
    if (c->call.ctx)
        cmsDeleteContext(c->call.ctx);
    free(c);
}

pf_status pf_cmyk_to_srgb_new(const uint8_t *icc, size_t icc_len, int inverted,
                              pf_cmyk_to_srgb **out)
{
    pf_cmyk_to_srgb *c = NULL;
    cmsHPROFILE in = NULL, srgb = NULL;
    pf_status st = PF_ERR_CORRUPT;
    if (!out)
        return PF_ERR_INVALID_ARG;
    *out = NULL;
    if (!icc || !icc_len)
        return PF_ERR_CORRUPT;
    if (!(c = calloc(1, sizeof *c)) || !call_open(&c->call)) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    if (!(in = open_profile(&c->call, icc, icc_len)) ||
        !describes_device_colours(in) || cmsGetColorSpace(in) != cmsSigCmykData)
        goto cleanup;
    if (!(srgb = cmsCreate_sRGBProfileTHR(c->call.ctx))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    /* Adobe's inverted CMYK (255: no ink) is lcms's "reversed" flavour. */
    c->xf = cmsCreateTransformTHR(c->call.ctx, in,
                                  inverted ? TYPE_CMYK_8_REV : TYPE_CMYK_8,
                                  srgb, TYPE_RGB_8, INTENT, FLAGS);
    if (!c->xf)
        goto cleanup;
    *out = c;
    c = NULL;
    st = PF_OK;
cleanup:
    if (srgb)
        cmsCloseProfile(srgb);
    if (in)
        cmsCloseProfile(in);
    pf_cmyk_to_srgb_free(c);
    return st;
}

void pf_cmyk_to_srgb_row(pf_cmyk_to_srgb *c, const uint8_t *cmyk, uint8_t *rgb,
                         uint32_t n)
{
    cmsDoTransform(c->xf, cmyk, rgb, n);
}
