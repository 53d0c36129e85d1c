/* Rules by name: one table of the keys the command line's flags and the
 * rules files share, the parsers of their values, and the checks that a
 * set of rules agrees with itself. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- one value each ---- */

typedef struct {
    const char *key;
    pf_status (*set)(pf_rules *r, int which, const char *value, char *why,
                     size_t n);
    int which;              /* tells apart keys sharing a setter */
} rule_key;

static pf_status bad(char *why, size_t n, const char *expected)
{
    if (why && n)
        /* TRANSLATORS: %s is what a rule's value should look like: "a
           size such as 200000, 200KB, 200KiB or 2MB", "yes or no" ... */
        pf_set_message(why, n, _("expected %s"), expected);
    return PF_ERR_INVALID_ARG;
}

static pf_status set_bytes(pf_rules *r, int which, const char *value,
                           char *why, size_t n)
{
    uint64_t bytes;
    if (pf_parse_size(value, &bytes) != PF_OK)
        return bad(why, n, _("a size such as 200000, 200KB, 200KiB or 2MB"));
    *(which ? &r->min_bytes : &r->max_bytes) = bytes;
    return PF_OK;
}

static pf_status set_dims(pf_rules *r, int which, const char *value,
                          char *why, size_t n)
{
    uint32_t w, h;
    if (pf_parse_dims(value, &w, &h) != PF_OK)
        return bad(why, n, _("dimensions such as 1500x1100"));
    uint32_t lng = w > h ? w : h, shrt = w > h ? h : w;
    if (which)
        r->max_long = lng, r->max_short = shrt;
    else
        r->min_long = lng, r->min_short = shrt;
    return PF_OK;
}

static int parse_word(const char *value, const char *const *words, int n_words)
{
    for (int i = 0; i < n_words; i++)
        if (strcmp(value, words[i]) == 0)
            return i;
    return -1;
}

/* yes/no and their usual spellings; -1 for anything else. */
static int parse_bool(const char *value)
{
    static const char *const words[] = {"no", "yes", "false", "true", "off",
                                        "on", "0", "1"};
    int i = parse_word(value, words, 8);
    return i < 0 ? -1 : i & 1;
}

static pf_status set_orientation(pf_rules *r, int which, const char *value,
                                 char *why, size_t n)
{
    static const char *const words[] = {"any", "landscape", "portrait"};
    (void)which;
    int i = parse_word(value, words, 3);
    if (i < 0)
        return bad(why, n, _("any, landscape or portrait"));
    r->orientation = (pf_orientation_rule)i;
    return PF_OK;
}

static pf_status set_flag(pf_rules *r, int which, const char *value,
                          char *why, size_t n)
{
    int v = parse_bool(value);
    if (v < 0)
        return bad(why, n, _("yes or no"));
    *(which ? &r->white_background : &r->require_color) = v;
    return PF_OK;
}

/* The words of a comma- or space-separated list, each passed to fn; stops
 * at the first it refuses. */
static int each_word(const char *list, int (*fn)(void *arg, const char *word),
                     void *arg)
{
    char word[32];
    int n = 0;
    for (const char *p = list;;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return n;
        size_t len = strcspn(p, ", \t");
        if (len >= sizeof word)
            return -1;
        memcpy(word, p, len);
        word[len] = '\0';
        if (!fn(arg, word))
            return -1;
        n++;
        p += len;
    }
}

static int add_format(void *arg, const char *word)
{
    unsigned *formats = arg;
    if (strcmp(word, "jpg") == 0)
        word = "jpeg";
    for (int f = 1; f < PF_FORMAT_COUNT; f++)
        if (strcmp(word, pf_format_name((pf_format)f)) == 0) {
            *formats |= 1u << f;
            return 1;
        }
    return 0;
}

static pf_status set_formats(pf_rules *r, int which, const char *value,
                             char *why, size_t n)
{
    unsigned formats = 0;
    (void)which;
    if (each_word(value, add_format, &formats) <= 0)
        return bad(why, n, _("format names such as \"jpeg, png\""));
    r->accepted_formats = formats;
    return PF_OK;
}

typedef struct {
    pf_rules *rules;
    int add;
} rule_switch;

/* One rule name for check/skip: the image checks and white-background. */
static int switch_rule(void *arg, const char *word)
{
    static const struct { const char *name; unsigned bit; } rules[] = {
        {"sharpness", PF_RULE_SHARPNESS}, {"document", PF_RULE_DOCUMENT},
        {"document-complete", PF_RULE_DOCUMENT},
        {"document-fill", PF_RULE_DOCUMENT}, {"glare", PF_RULE_GLARE},
        {"exposure", PF_RULE_EXPOSURE}, {"face", PF_RULE_FACE}};
    rule_switch *sw = arg;
    if (strcmp(word, "white-background") == 0) {
        sw->rules->white_background = sw->add;
        return 1;
    }
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(word, rules[i].name) == 0) {
            if (sw->add)
                sw->rules->image_checks |= rules[i].bit;
            else
                sw->rules->image_checks &= ~rules[i].bit;
            return 1;
        }
    return 0;
}

static pf_status set_checks(pf_rules *r, int which, const char *value,
                            char *why, size_t n)
{
    rule_switch sw = {r, which == 0};
    pf_rules was = *r;
    if (each_word(value, switch_rule, &sw) <= 0) {
        *r = was;
        return bad(why, n, _("rule names: white-background, face, sharpness, "
                             "document, glare, exposure"));
    }
    return PF_OK;
}

/* The image checks' figures: "F" or "F,W", a fail limit and optionally a
 * warn limit on the passing side of it. A fail limit alone keeps the
 * default warn band's proportion to it. */
enum { LIM_SHARPNESS, LIM_GLARE, LIM_BRIGHTNESS, LIM_WASHOUT, LIM_FILL,
       LIM_FACE };

static int parse_number(const char *text, double *v, const char **end)
{
    char *e = NULL;
    errno = 0;
    *v = strtod(text, &e);
    *end = e;
    return !errno && e != text && isfinite(*v) && *v >= 0;
}

static pf_status set_limit(pf_rules *r, int which, const char *value,
                           char *why, size_t n)
{
    static const struct { double max; int upper; const char *expected; }
    limits[] = {
        [LIM_SHARPNESS] = {1e6, 0, N_("FAIL or FAIL,WARN with WARN >= FAIL (e.g. 20,30)")},
        [LIM_GLARE] = {1, 1, N_("FAIL or FAIL,WARN in 0..1, WARN <= FAIL (e.g. 0.02,0.01)")},
        [LIM_BRIGHTNESS] = {255, 0, N_("FAIL or FAIL,WARN in 0..255, WARN >= FAIL (e.g. 90,105)")},
        [LIM_WASHOUT] = {255, 1, N_("FAIL or FAIL,WARN in 0..255, WARN <= FAIL (e.g. 160,135)")},
        [LIM_FILL] = {1, 0, N_("a share of the picture, 0..1 (e.g. 0.5)")},
        [LIM_FACE] = {1, 0, N_("FAIL or FAIL,WARN, shares of the picture's height "
                               "in 0..1, WARN >= FAIL (e.g. 0.1,0.2)")}};
    pf_rules d;
    pf_rules_default_image_limits(&d);
    double *fail[] = {&r->min_sharpness, &r->max_glare, &r->min_brightness,
                      &r->max_washout, &r->min_fill, &r->min_face_size};
    double *warn[] = {&r->warn_sharpness, &r->warn_glare, &r->warn_brightness,
                      &r->warn_washout, &r->min_fill, &r->warn_face_size};
    const double def_fail[] = {d.min_sharpness, d.max_glare, d.min_brightness,
                               d.max_washout, d.min_fill, d.min_face_size};
    const double def_warn[] = {d.warn_sharpness, d.warn_glare, d.warn_brightness,
                               d.warn_washout, d.min_fill, d.warn_face_size};
    const char *end;
    double f, w = 0;
    int has_warn = 0, ok = parse_number(value, &f, &end);
    if (ok && *end == ',' && which != LIM_FILL)
        has_warn = 1, ok = parse_number(end + 1, &w, &end);
    double max = limits[which].max;
    if (!ok || *end || f > max || w > max ||
        (has_warn && (limits[which].upper ? w > f : w < f)))
        return bad(why, n, _(limits[which].expected));
    if (!has_warn)
        w = def_fail[which] > 0 ? f * def_warn[which] / def_fail[which] : f;
    *warn[which] = w > max ? max : w;
    *fail[which] = f;
    return PF_OK;
}

static pf_status set_share(pf_rules *r, int which, const char *value,
                           char *why, size_t n)
{
    const char *end;
    double v;
    (void)which;
    if (!parse_number(value, &v, &end) || *end || v > 1)
        return bad(why, n, _("a share, 0..1 (e.g. 0.9)"));
    r->white_min_share = v;
    return PF_OK;
}

/* A whole number in 0..max. */
static int parse_count(const char *value, unsigned long max, unsigned long *v)
{
    char *end = NULL;
    errno = 0;
    if (!isdigit((unsigned char)value[0]))
        return 0;
    *v = strtoul(value, &end, 10);
    return !errno && *end == '\0' && *v <= max;
}

static pf_status set_level(pf_rules *r, int which, const char *value,
                           char *why, size_t n)
{
    unsigned long v;
    if (!parse_count(value, 255, &v))
        return bad(why, n, _("a level, 0..255"));
    *(which ? &r->white_spread : &r->white_level) = (int)v;
    return PF_OK;
}

static pf_status set_side(pf_rules *r, int which, const char *value,
                          char *why, size_t n)
{
    unsigned long v;
    (void)which;
    if (!parse_count(value, 65500, &v))
        return bad(why, n, _("pixels on the long side, 0..65500 (0: no limit)"));
    r->fix_max_long = (uint32_t)v;
    return PF_OK;
}

static const rule_key rule_keys[] = {
    {"max-bytes", set_bytes, 0},
    {"min-bytes", set_bytes, 1},
    {"min-size", set_dims, 0},
    {"max-size", set_dims, 1},
    {"orientation", set_orientation, 0},
    {"color", set_flag, 0},
    {"formats", set_formats, 0},
    {"check", set_checks, 0},
    {"skip", set_checks, 1},
    {"min-sharpness", set_limit, LIM_SHARPNESS},
    {"max-glare", set_limit, LIM_GLARE},
    {"min-brightness", set_limit, LIM_BRIGHTNESS},
    {"max-washout", set_limit, LIM_WASHOUT},
    {"min-fill", set_limit, LIM_FILL},
    {"min-face-size", set_limit, LIM_FACE},
    {"white-background", set_flag, 1},
    {"white-threshold", set_share, 0},
    {"white-level", set_level, 0},
    {"white-spread", set_level, 1},
    {"fix-max-side", set_side, 0},
};
#define N_KEYS (sizeof rule_keys / sizeof rule_keys[0])

const char *pf_rule_key(size_t index)
{
    return index < N_KEYS ? rule_keys[index].key : NULL;
}

pf_status pf_rules_set(pf_rules *rules, const char *key, const char *value,
                       char *why, size_t why_len)
{
    if (why && why_len)
        why[0] = '\0';
    if (!rules || !key || !value)
        return PF_ERR_INVALID_ARG;
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(key, rule_keys[i].key) == 0)
            return rule_keys[i].set(rules, rule_keys[i].which, value, why, why_len);
    if (why && why_len)
        pf_set_message(why, why_len, _("unknown rule '%s'"), key);
    return PF_ERR_INVALID_ARG;
}

static pf_status invalid(char *why, size_t n, const char *what)
{
    if (why && n)
        pf_set_message(why, n, "%s", what);
    return PF_ERR_INVALID_ARG;
}

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
           r->min_face_size >= 0 && r->warn_face_size >= r->min_face_size &&
           r->warn_face_size <= 1 &&
           !(r->image_checks & ~PF_RULE_ALL);
}

pf_status pf_rules_validate(const pf_rules *r, char *why, size_t n)
{
    if (why && n)
        why[0] = '\0';
    if (!r)
        return PF_ERR_INVALID_ARG;
    if (r->max_bytes && r->min_bytes > r->max_bytes)
        return invalid(why, n, _("min-bytes is over max-bytes"));
    if ((r->max_long && r->min_long > r->max_long) ||
        (r->max_short && r->min_short > r->max_short))
        return invalid(why, n, _("min-size is over max-size"));
    if (!r->accepted_formats)
        return invalid(why, n, _("no format is accepted"));
    if (!image_limits_valid(r) || r->orientation > PF_ORIENT_PORTRAIT ||
        !(r->white_min_share >= 0 && r->white_min_share <= 1) ||
        r->white_level < 0 || r->white_level > 255 ||
        r->white_spread < 0 || r->white_spread > 255)
        return invalid(why, n, _("a limit is out of its range"));
    return PF_OK;
}
