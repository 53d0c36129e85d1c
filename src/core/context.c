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

pf_status pf_ctx_set_rules(pf_ctx *ctx, const pf_rules *rules)
{
    if (!ctx || !rules || pf_rules_validate(rules, NULL, 0) != PF_OK)
        return PF_ERR_INVALID_ARG;
    ctx->rules = *rules;
    return PF_OK;
}

pf_status pf_ctx_set_options(pf_ctx *ctx, const pf_options *o)
{
    if (!ctx || !o || o->min_quality < 1 || o->max_quality > 100 ||
        o->min_quality > o->max_quality || o->max_pixels == 0 || o->threads < 0 ||
        o->page < 0)
        return PF_ERR_INVALID_ARG;
    ctx->options = *o;
    return PF_OK;
}

const pf_rules *pf_ctx_rules(const pf_ctx *ctx) { return &ctx->rules; }
const pf_options *pf_ctx_options(const pf_ctx *ctx) { return &ctx->options; }
const char *pf_ctx_error(const pf_ctx *ctx) { return ctx->error; }
