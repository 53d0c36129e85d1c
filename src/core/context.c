/* The context: a profile's rules, the fix options and the last error. */
#include "pipeline.h"

#include <stdlib.h>
#include <string.h>


void pf_options_default(pf_options *options)
{
    memset(options, 0, sizeof *options);
    options->min_quality = PF_DEFAULT_MIN_QUALITY;
    options->max_quality = 95;
    options->max_pixels = PF_DEFAULT_MAX_PIXELS;
}

pf_ctx *pf_ctx_new(void)
{
    pf_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    pf_profile_rules("wechat", &ctx->rules);
    pf_options_default(&ctx->options);
    return ctx;
}

void pf_ctx_free(pf_ctx *ctx)
{
    free(ctx);
}

/* The image checks' limits: finite, shares within 0..1, levels within
 * 0..255, and each warn limit on the passing side of its fail limit. */
static int image_limits_valid(const pf_rules *r)
{
    return r->min_sharpness >= 0 && r->warn_sharpness >= r->min_sharpness &&
           r->warn_sharpness < 1e9 &&
           r->max_glare >= 0 && r->max_glare <= 1 &&
           r->warn_glare >= 0 && r->warn_glare <= r->max_glare &&
           r->min_brightness >= 0 && r->warn_brightness >= r->min_brightness &&
           r->warn_brightness <= 255 &&
           r->max_washout <= 255 && r->warn_washout >= 0 &&
           r->warn_washout <= r->max_washout &&
           r->min_fill >= 0 && r->min_fill <= 1 &&
           !(r->image_checks & ~PF_RULE_DOCUMENT_ALL);
}

pf_status pf_ctx_set_rules(pf_ctx *ctx, const pf_rules *rules)
{
    if (!ctx || !rules || !image_limits_valid(rules) ||
        rules->orientation > PF_ORIENT_PORTRAIT ||
        (rules->max_bytes && rules->min_bytes > rules->max_bytes) ||
        !(rules->white_min_share >= 0 && rules->white_min_share <= 1) ||
        rules->white_level < 0 || rules->white_level > 255 ||
        rules->white_spread < 0 || rules->white_spread > 255)
        return PF_ERR_INVALID_ARG;
    ctx->rules = *rules;
    return PF_OK;
}

pf_status pf_ctx_set_options(pf_ctx *ctx, const pf_options *o)
{
    if (!ctx || !o || o->min_quality < 1 || o->max_quality > 100 ||
        o->min_quality > o->max_quality || o->max_pixels == 0 || o->threads < 0)
        return PF_ERR_INVALID_ARG;
    ctx->options = *o;
    return PF_OK;
}

const pf_rules *pf_ctx_rules(const pf_ctx *ctx) { return &ctx->rules; }
const pf_options *pf_ctx_options(const pf_ctx *ctx) { return &ctx->options; }
const char *pf_ctx_error(const pf_ctx *ctx) { return ctx->error; }
