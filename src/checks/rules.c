/* Profiles, size parsing and the rules that judge one image. */
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

const char *pf_check_name(pf_check_id id)
{
    static const char *const names[] = {
        "format", "max-bytes", "min-bytes", "min-size", "color",
        "orientation", "transparency", "white-background"
    };
    return (unsigned)id < sizeof names / sizeof names[0] ? names[id] : "unknown";
}

const char *pf_check_status_name(pf_check_status s)
{
    return s == PF_PASS ? "pass" : s == PF_WARN ? "warn" : "fail";
}

const char *pf_file_status_name(pf_file_status s)
{
    static const char *const names[] = {"pass", "fixed", "fail", "error"};
    return (unsigned)s < 4 ? names[s] : "error";
}

static pf_check *add_check(pf_report *report, pf_check_id id,
                           pf_check_status status, int numeric)
{
    if (report->n_checks >= PF_MAX_CHECKS)
        return NULL;
    pf_check *c = &report->checks[report->n_checks++];
    memset(c, 0, sizeof *c);
    c->id = id;
    c->status = status;
    c->numeric = numeric;
    if (status == PF_WARN)
        report->warnings++;
    return c;
}

static void check_format(const pf_rules *rules, const pf_image_info *info,
                         pf_report *report)
{
    int ok = (rules->accepted_formats >> info->format) & 1u;
    pf_check *c = add_check(report, PF_CHECK_FORMAT, ok ? PF_PASS : PF_FAIL, 0);
    if (!c)
        return;
    snprintf(c->value, sizeof c->value, "%s", pf_format_name(info->format));
    snprintf(c->limit, sizeof c->limit, "jpeg,png");
    if (ok)
        pf_set_message(c->message, sizeof c->message, "format %s",
                       pf_format_label(info->format));
    else
        pf_set_message(c->message, sizeof c->message,
                       "format %s is not accepted (JPEG or PNG only)",
                       pf_format_label(info->format));
}

static void check_bytes(pf_check_id id, uint64_t bytes, uint64_t limit,
                        pf_report *report)
{
    int over = id == PF_CHECK_MAX_BYTES;
    int ok = over ? bytes <= limit : bytes >= limit;
    pf_check *c = add_check(report, id, ok ? PF_PASS : PF_FAIL, 1);
    if (!c)
        return;
    char have[32], want[32];
    pf_format_thousands(bytes, have, sizeof have);
    pf_format_thousands(limit, want, sizeof want);
    snprintf(c->value, sizeof c->value, "%llu", (unsigned long long)bytes);
    snprintf(c->limit, sizeof c->limit, "%llu", (unsigned long long)limit);
    const char *op = over ? (ok ? "\xE2\x89\xA4" : ">") : (ok ? "\xE2\x89\xA5" : "<");
    pf_set_message(c->message, sizeof c->message, "size %s B %s %s B", have, op,
                   want);
}

static void check_min_size(const pf_rules *rules, const pf_image_info *info,
                           pf_report *report)
{
    uint32_t lng = info->width > info->height ? info->width : info->height;
    uint32_t shrt = info->width > info->height ? info->height : info->width;
    int ok = lng >= rules->min_long && shrt >= rules->min_short;
    pf_check *c = add_check(report, PF_CHECK_MIN_SIZE, ok ? PF_PASS : PF_FAIL, 0);
    if (!c)
        return;
    snprintf(c->value, sizeof c->value, "%ux%u", info->width, info->height);
    snprintf(c->limit, sizeof c->limit, "%ux%u", rules->min_long, rules->min_short);
    pf_set_message(c->message, sizeof c->message,
                   "resolution %u\xC3\x97%u %s %u\xC3\x97%u (either orientation)",
                   info->width, info->height, ok ? "meets" : "is under",
                   rules->min_long, rules->min_short);
}

static void check_color(const pf_image_info *info, pf_report *report)
{
    int ok = !info->source_grey && info->color_share >= PF_MIN_COLOR_SHARE;
    pf_check *c = add_check(report, PF_CHECK_COLOR, ok ? PF_PASS : PF_FAIL, 1);
    if (!c)
        return;
    snprintf(c->value, sizeof c->value, "%.2f", info->color_share);
    snprintf(c->limit, sizeof c->limit, "%.2f", PF_MIN_COLOR_SHARE);
    if (info->source_grey)
        pf_set_message(c->message, sizeof c->message,
                       "grey-scale file (one channel): a colour scan is required");
    else
        pf_set_message(c->message, sizeof c->message,
                       "colour pixels %.2f%% %s %.2f%% (mean chroma %.1f)%s",
                       info->color_share, ok ? "\xE2\x89\xA5" : "<",
                       PF_MIN_COLOR_SHARE, info->mean_chroma,
                       ok ? "" : ": looks like a grey-scale copy");
}

static const char *shape_name(uint32_t w, uint32_t h)
{
    return w > h ? "landscape" : w < h ? "portrait" : "square";
}

/* Fails a landscape/portrait rule; warns when the file relies on an EXIF
 * orientation tag, which some portals ignore and show sideways. */
static void check_orientation(const pf_rules *rules, const pf_image_info *info,
                              pf_report *report)
{
    const char *shape = shape_name(info->width, info->height);
    int ok = rules->orientation == PF_ORIENT_ANY ||
             (rules->orientation == PF_ORIENT_LANDSCAPE && info->width >= info->height) ||
             (rules->orientation == PF_ORIENT_PORTRAIT && info->height >= info->width);
    int tagged = info->exif_orientation >= 2;
    pf_check *c = add_check(report, PF_CHECK_ORIENTATION,
                            !ok ? PF_FAIL : tagged ? PF_WARN : PF_PASS, 0);
    if (!c)
        return;
    static const char *const rule_names[] = {"any", "landscape", "portrait"};
    snprintf(c->value, sizeof c->value, "%s", shape);
    snprintf(c->limit, sizeof c->limit, "%s", rule_names[rules->orientation % 3]);
    if (!ok)
        pf_set_message(c->message, sizeof c->message,
                       "orientation %s, %s required", shape,
                       rule_names[rules->orientation % 3]);
    else if (tagged)
        pf_set_message(c->message, sizeof c->message,
                       "relies on EXIF orientation %d: some portals ignore it and "
                       "show the photo sideways", info->exif_orientation);
    else
        pf_set_message(c->message, sizeof c->message, "orientation %s, upright",
                       shape);
}

static void check_transparency(const pf_image_info *info, pf_report *report)
{
    pf_check *c = add_check(report, PF_CHECK_TRANSPARENCY,
                            info->has_alpha ? PF_WARN : PF_PASS, 0);
    if (!c)
        return;
    snprintf(c->value, sizeof c->value, "%s", info->has_alpha ? "transparent" : "opaque");
    snprintf(c->limit, sizeof c->limit, "opaque");
    pf_set_message(c->message, sizeof c->message, "%s",
                   info->has_alpha ? "transparent areas: some portals show them "
                                     "black; fix flattens them onto white"
                                   : "opaque");
}

static const char *failing_sides(unsigned sides)
{
    static const char *const names[8] = {
        "", "top", "left", "top and left", "right", "top and right",
        "left and right", "top, left and right"};
    return names[sides & 7];
}

static void check_white_background(const pf_rules *rules,
                                   const pf_image_info *info, pf_report *report)
{
    const pf_background *bg = &info->background;
    int ok = pf_background_passes(bg, rules);
    pf_check *c = add_check(report, PF_CHECK_WHITE_BACKGROUND, ok ? PF_PASS : PF_FAIL, 1);
    if (!c)
        return;
    snprintf(c->value, sizeof c->value, "%.3f", bg->plain ? bg->white_share : 0.0);
    snprintf(c->limit, sizeof c->limit, "%.3f", rules->white_min_share);
    int r = (int)(bg->mean[0] + 0.5), g = (int)(bg->mean[1] + 0.5), b = (int)(bg->mean[2] + 0.5);
    if (!bg->plain)
        pf_set_message(c->message, sizeof c->message,
                       "no plain background at the top and sides: retake the "
                       "photo against a white wall");
    else if (ok)
        pf_set_message(c->message, sizeof c->message,
                       "background %.1f%% white â¥ %.0f%% (mean %d,%d,%d)",
                       bg->white_share * 100, rules->white_min_share * 100, r, g, b);
    else
        pf_set_message(c->message, sizeof c->message,
                       "background %.1f%% white < %.0f%% (mean %d,%d,%d, %.0f from "
                       "white%s%s)", bg->white_share * 100, rules->white_min_share * 100,
                       r, g, b, bg->distance, bg->failing_sides ? "; failing: " : "",
                       failing_sides(bg->failing_sides));
}

void pf_rules_evaluate(const pf_rules *rules, const pf_image_info *info,
                       pf_report *report)
{
    int decodable = info->format == PF_FORMAT_JPEG || info->format == PF_FORMAT_PNG;
    check_format(rules, info, report);
    if (rules->max_bytes)
        check_bytes(PF_CHECK_MAX_BYTES, info->bytes, rules->max_bytes, report);
    if (rules->min_bytes)
        check_bytes(PF_CHECK_MIN_BYTES, info->bytes, rules->min_bytes, report);
    if (!decodable)
        return;
    if (rules->min_long || rules->min_short)
        check_min_size(rules, info, report);
    if (rules->require_color)
        check_color(info, report);
    check_orientation(rules, info, report);
    check_transparency(info, report);
    if (rules->white_background && info->background.measured)
        check_white_background(rules, info, report);
}
