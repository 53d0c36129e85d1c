/* libFuzzer target: the whole check pipeline on arbitrary bytes (sniff,
 * JPEG/PNG/EXIF decoding, resizing, colour and white-background rules). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "preflight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_report *report = malloc(sizeof *report);
    pf_rules rules;
    pf_options options;
    if (!ctx || !report)
        goto cleanup;
    pf_profile_rules("wechat", &rules);
    rules.white_background = 1; /* every rule runs */
    pf_ctx_set_rules(ctx, &rules);
    pf_options_default(&options);
    options.max_pixels = 16u * 1000 * 1000; /* keep each run fast */
    pf_ctx_set_options(ctx, &options);
    pf_check_buffer(ctx, data, size, "fuzz", report);
cleanup:
    free(report);
    pf_ctx_free(ctx);
    return 0;
}
