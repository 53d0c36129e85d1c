/* Built-in profiles, and parsing the sizes and dimensions rules are given in. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCEPT_JPEG_PNG ((1u << PF_FORMAT_JPEG) | (1u << PF_FORMAT_PNG))

static const char *const profile_names[] = {
    "wechat", "alipay-license", "alipay-idcard", "face", NULL
};

const char *const *pf_profile_names(void)
{
    return profile_names;
}

void pf_rules_default_image_limits(pf_rules *rules)
{
    rules->min_sharpness = PF_SHARPNESS_FAIL;
    rules->warn_sharpness = PF_SHARPNESS_WARN;
    rules->max_glare = PF_GLARE_FAIL;
    rules->warn_glare = PF_GLARE_WARN;
    rules->min_brightness = PF_DARK_FAIL;
    rules->warn_brightness = PF_DARK_WARN;
    rules->max_washout = PF_WASHOUT_FAIL;
    rules->warn_washout = PF_WASHOUT_WARN;
    rules->min_fill = PF_FILL_WARN;
}

pf_status pf_profile_rules(const char *name, pf_rules *rules)
{
    if (!name || !rules)
        return PF_ERR_INVALID_ARG;
    memset(rules, 0, sizeof *rules);
    rules->accepted_formats = ACCEPT_JPEG_PNG;
    rules->require_color = 1;
    rules->orientation = PF_ORIENT_ANY;
    rules->white_min_share = PF_WHITE_MIN_SHARE;
    rules->white_level = PF_WHITE_LEVEL;
    rules->white_spread = PF_WHITE_SPREAD;
    pf_rules_default_image_limits(rules);
    /* The documents: "清晰、完整", "证件需边角完整", "不得有反光". */
    rules->image_checks = PF_RULE_DOCUMENT_ALL;
    if (strcmp(name, "wechat") == 0) {
        /* "200K" may mean 200,000 or 204,800: 200,000 passes either reading. */
        rules->max_bytes = 200000;
        rules->min_long = 1500, rules->min_short = 1100;
    } else if (strcmp(name, "alipay-license") == 0) {
        rules->min_bytes = 100000, rules->max_bytes = 2000000;
        rules->min_long = 1500, rules->min_short = 1100;
    } else if (strcmp(name, "alipay-idcard") == 0) {
        rules->min_bytes = 100000, rules->max_bytes = 2000000;
        rules->min_long = 1280, rules->min_short = 720;
    } else if (strcmp(name, "face") == 0) {
        /* The face check: a photo under 200K on a pure-white background. */
        rules->max_bytes = 200000;
        rules->white_background = 1;
        rules->fix_max_long = 1600;
        /* A face has no border to find; focus and exposure still count. */
        rules->image_checks = PF_RULE_SHARPNESS | PF_RULE_EXPOSURE;
    } else {
        return PF_ERR_INVALID_ARG;
    }
    snprintf(rules->name, sizeof rules->name, "%s", name);
    return PF_OK;
}

/* Unit multiplier for the text after the number; 0 for an unknown unit. */
static uint64_t size_unit(const char *unit)
{
    static const struct { const char *name; uint64_t mult; } units[] = {
        {"", 1}, {"b", 1},
        {"k", 1000}, {"kb", 1000}, {"kib", 1024},
        {"m", 1000000}, {"mb", 1000000}, {"mib", 1048576},
        {"g", 1000000000}, {"gb", 1000000000}, {"gib", 1073741824},
    };
    char lower[8];
    size_t n = strlen(unit);
    if (n >= sizeof lower)
        return 0;
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)unit[i]);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(lower, units[i].name) == 0)
            return units[i].mult;
    return 0;
}

pf_status pf_parse_size(const char *text, uint64_t *bytes)
{
    if (!text || !bytes || !isdigit((unsigned char)text[0]))
        return PF_ERR_INVALID_ARG;
    errno = 0;
    char *end = NULL;
    double value = strtod(text, &end);
    if (errno || end == text || value < 0)
        return PF_ERR_INVALID_ARG;
    while (*end == ' ')
        end++;
    uint64_t mult = size_unit(end);
    if (mult == 0)
        return PF_ERR_INVALID_ARG;
    double total = value * (double)mult;
    if (total > 1e18 || total != total)
        return PF_ERR_INVALID_ARG;
    /* "1.5KB" is 1500 bytes; fractions of a byte are refused. */
    uint64_t whole = (uint64_t)(total + 0.5);
    if ((double)whole - total > 1e-6 || total - (double)whole > 1e-6)
        return PF_ERR_INVALID_ARG;
    *bytes = whole;
    return PF_OK;
}

pf_status pf_parse_dims(const char *text, uint32_t *w, uint32_t *h)
{
    if (!text || !w || !h || !isdigit((unsigned char)text[0]))
        return PF_ERR_INVALID_ARG;
    char *end = NULL;
    errno = 0;
    unsigned long a = strtoul(text, &end, 10);
    const char *sep = end;
    size_t seplen = 0;
    if (*sep == 'x' || *sep == 'X' || *sep == '*')
        seplen = 1;
    else if (strncmp(sep, "\xC3\x97", 2) == 0) /* × */
        seplen = 2;
    if (errno || seplen == 0 || !isdigit((unsigned char)sep[seplen]))
        return PF_ERR_INVALID_ARG;
    unsigned long b = strtoul(sep + seplen, &end, 10);
    if (errno || *end != '\0' || a > 1000000 || b > 1000000)
        return PF_ERR_INVALID_ARG;
    *w = (uint32_t)a;
    *h = (uint32_t)b;
    return PF_OK;
}
