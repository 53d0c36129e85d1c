/* libFuzzer target: fix on small images: resize, whiten, budget search,
 * lossless rotation and metadata stripping, all the way to the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "preflight.h"

#define FIX_MAX_INPUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_ctx *ctx;
    pf_report *report;
    pf_rules rules;
    pf_options options;
    uint8_t *out = NULL;
    size_t out_len = 0;
    if (size > FIX_MAX_INPUT)
        return 0;
    ctx = pf_ctx_new();
    report = malloc(sizeof *report);
    if (!ctx || !report)
        goto cleanup;
    pf_profile_rules("face", &rules); /* white background, budget, shrink */
    rules.max_bytes = 8000;
    rules.min_long = 64, rules.min_short = 48;
    pf_ctx_set_rules(ctx, &rules);
    pf_options_default(&options);
    options.max_pixels = 4u * 1000 * 1000;
    options.whiten = 1;
    options.threads = size & 1 ? 2 : 1; /* both the threaded and inline paths */
    pf_ctx_set_options(ctx, &options);
    pf_fix_buffer(ctx, data, size, "fuzz", &out, &out_len, NULL, report);
cleanup:
    pf_free(out);
    free(report);
    pf_ctx_free(ctx);
    return 0;
}
