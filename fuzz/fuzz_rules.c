/* libFuzzer target: the rules files' parser (libinih and our keys) on
 * arbitrary text; every profile it accepts must be one a context takes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "preflight.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_profiles *set = pf_profiles_new();
    pf_ctx *ctx = pf_ctx_new();
    if (!set || !ctx)
        goto cleanup;
    if (pf_profiles_load_text(set, (const char *)data, size, "fuzz.ini") == PF_OK)
        for (size_t i = 0; i < pf_profiles_count(set); i++)
            if (pf_ctx_set_rules(ctx, &pf_profiles_get(set, i)->rules) != PF_OK)
                abort(); /* the parser let through rules that disagree */
    (void)pf_profiles_error(set);
cleanup:
    pf_ctx_free(ctx);
    pf_profiles_free(set);
    return 0;
}
