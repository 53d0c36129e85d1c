/* The file rules as check units: format, byte limits, resolution, colour,
 * orientation, transparency and the white background. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* The image could be decoded, so its pixels were measured. */
static int decoded(const pf_image_info *info)
{
    return pf_format_decodable(info->format);
}

static int always(const pf_rules *rules, const pf_image_info *info)
{
    (void)rules, (void)info;
    return 1;
}

static int when_decoded(const pf_rules *rules, const pf_image_info *info)
{
    (void)rules;
    return decoded(info);
}

/* The last accepted format, so a list reads "JPEG, PNG or GIF". */
static int highest_format(const pf_rules *rules)
{
    int last = 0;
    for (int f = 1; f < PF_FORMAT_COUNT; f++)
        if ((rules->accepted_formats >> f) & 1u)
            last = f;
    return last;
}

static void judge_format(const pf_rules *rules, const pf_image_info *info,
                         pf_check *c)
{
    int ok = (rules->accepted_formats >> info->format) & 1u;
    char names[48] = "", labels[64] = "";
    for (int f = 1, n = 0; f < PF_FORMAT_COUNT; f++)
        if ((rules->accepted_formats >> f) & 1u) {
            size_t used = strlen(names), lused = strlen(labels);
            snprintf(names + used, sizeof names - used, "%s%s", n ? "," : "",
                     pf_format_name((pf_format)f));
            /* pf_set_message: a cut list ends on a whole character */
            pf_set_message(labels + lused, sizeof labels - lused, "%s%s",
                     /* TRANSLATORS: separators of a list of format names,
                        "JPEG, PNG or GIF". */
                     n++ ? (f == highest_format(rules) ? C_("list of formats", " or ")
                                                    : C_("list of formats", ", ")) : "",
                     pf_format_label((pf_format)f));
        }
    c->status = ok ? PF_PASS : PF_FAIL;
    snprintf(c->value, sizeof c->value, "%s", pf_format_name(info->format));
    snprintf(c->limit, sizeof c->limit, "%s", names);
    if (ok)
        pf_set_message(c->message, sizeof c->message, _("format %s"),
                       pf_format_label(info->format));
    else if (pf_format_decodable(info->format) &&
             ((rules->accepted_formats >> PF_FORMAT_JPEG) & 1u))
        /* TRANSLATORS: %s is a format such as HEIC, PDF or WebP. */
        pf_set_message(c->message, sizeof c->message, _("%s is not accepted by the "
                       "filing portals; 'preflight fix' converts it to JPEG"),
                       pf_format_label(info->format));
    else
        pf_set_message(c->message, sizeof c->message,
                       _("format %s is not accepted (%s only)"),
                       pf_format_label(info->format), labels);
}

/* fix converts what it can decode (other formats never reach it). */
const pf_check_unit pf_unit_format = {
    PF_CHECK_FORMAT, "format", always, judge_format, 1, NULL};

static void judge_bytes(int over, uint64_t bytes, uint64_t limit, pf_check *c)
{
    int ok = over ? bytes <= limit : bytes >= limit;
    char have[32], want[32];
    c->status = ok ? PF_PASS : PF_FAIL;
    c->numeric = 1;
    pf_format_thousands(bytes, have, sizeof have);
    pf_format_thousands(limit, want, sizeof want);
    snprintf(c->value, sizeof c->value, "%llu", (unsigned long long)bytes);
    snprintf(c->limit, sizeof c->limit, "%llu", (unsigned long long)limit);
    const char *op = over ? (ok ? "\xE2\x89\xA4" : ">") : (ok ? "\xE2\x89\xA5" : "<");
    /* TRANSLATORS: file size against its limit; the middle %s is one of
       ≤ > ≥ <. */
    pf_set_message(c->message, sizeof c->message, _("size %s B %s %s B"), have,
                   op, want);
}

static int has_max_bytes(const pf_rules *rules, const pf_image_info *info)
{
    (void)info;
    return rules->max_bytes != 0;
}

static void judge_max_bytes(const pf_rules *rules, const pf_image_info *info,
                            pf_check *c)
{
    judge_bytes(1, info->bytes, rules->max_bytes, c);
}

const pf_check_unit pf_unit_max_bytes = {
    PF_CHECK_MAX_BYTES, "max-bytes", has_max_bytes, judge_max_bytes, 1, NULL};

static int has_min_bytes(const pf_rules *rules, const pf_image_info *info)
{
    (void)info;
    return rules->min_bytes != 0;
}

static void judge_min_bytes(const pf_rules *rules, const pf_image_info *info,
                            pf_check *c)
{
    judge_bytes(0, info->bytes, rules->min_bytes, c);
}

const pf_check_unit pf_unit_min_bytes = {
    PF_CHECK_MIN_BYTES, "min-bytes", has_min_bytes, judge_min_bytes, 1, NULL};

static int has_min_size(const pf_rules *rules, const pf_image_info *info)
{
    return decoded(info) && (rules->min_long || rules->min_short);
}

/* The resolution against a WxH limit, read either way round: a minimum
 * (at least) or a maximum (at most; Volcano Engine's "5000×5000" bounds
 * each side). A zero side of a maximum is no limit. */
static void judge_size(int over, uint32_t limit_long, uint32_t limit_short,
                       const pf_image_info *info, pf_check *c)
{
    uint32_t lng = info->width > info->height ? info->width : info->height;
    uint32_t shrt = info->width > info->height ? info->height : info->width;
    int ok = over ? (!limit_long || lng <= limit_long) &&
                    (!limit_short || shrt <= limit_short)
                  : lng >= limit_long && shrt >= limit_short;
    c->status = ok ? PF_PASS : PF_FAIL;
    snprintf(c->value, sizeof c->value, "%ux%u", info->width, info->height);
    snprintf(c->limit, sizeof c->limit, "%ux%u", limit_long, limit_short);
    const char *fmt =
        over ? (ok ? _("resolution %u\xC3\x97%u within %u\xC3\x97%u (either orientation)")
                   : _("resolution %u\xC3\x97%u is over %u\xC3\x97%u (either orientation)"))
             : (ok ? _("resolution %u\xC3\x97%u meets %u\xC3\x97%u (either orientation)")
                   : _("resolution %u\xC3\x97%u is under %u\xC3\x97%u (either orientation)"));
    pf_set_message(c->message, sizeof c->message, fmt, info->width, info->height,
                   limit_long, limit_short);
}

static void judge_min_size(const pf_rules *rules, const pf_image_info *info,
                           pf_check *c)
{
    judge_size(0, rules->min_long, rules->min_short, info, c);
}

const pf_check_unit pf_unit_min_size = {
    PF_CHECK_MIN_SIZE, "min-size", has_min_size, judge_min_size, 1, NULL};

static int has_max_size(const pf_rules *rules, const pf_image_info *info)
{
    return decoded(info) && (rules->max_long || rules->max_short);
}

static void judge_max_size(const pf_rules *rules, const pf_image_info *info,
                           pf_check *c)
{
    judge_size(1, rules->max_long, rules->max_short, info, c);
}

const pf_check_unit pf_unit_max_size = {
    PF_CHECK_MAX_SIZE, "max-size", has_max_size, judge_max_size, 1, NULL};

static int wants_color(const pf_rules *rules, const pf_image_info *info)
{
    return decoded(info) && rules->require_color;
}

static void judge_color(const pf_rules *rules, const pf_image_info *info,
                        pf_check *c)
{
    (void)rules;
    int ok = !info->source_grey && info->color_share >= PF_MIN_COLOR_SHARE;
    c->status = ok ? PF_PASS : PF_FAIL;
    c->numeric = 1;
    snprintf(c->value, sizeof c->value, "%.2f", info->color_share);
    snprintf(c->limit, sizeof c->limit, "%.2f", PF_MIN_COLOR_SHARE);
    if (info->source_grey)
        pf_set_message(c->message, sizeof c->message,
                       _("grey-scale file (one channel): a colour scan is required"));
    else if (ok)
        pf_set_message(c->message, sizeof c->message,
                       _("colour pixels %.2f%% \xE2\x89\xA5 %.2f%% (mean chroma %.1f)"),
                       info->color_share, PF_MIN_COLOR_SHARE, info->mean_chroma);
    else
        pf_set_message(c->message, sizeof c->message,
                       _("colour pixels %.2f%% < %.2f%% (mean chroma %.1f): looks "
                         "like a grey-scale copy"),
                       info->color_share, PF_MIN_COLOR_SHARE, info->mean_chroma);
}

static void advise_color(const pf_image_info *info, char *buf, size_t cap)
{
    (void)info;
    pf_set_message(buf, cap, _("grey-scale copy; rescan the original in colour"));
}

const pf_check_unit pf_unit_color = {
    PF_CHECK_COLOR, "color", wants_color, judge_color, 0, advise_color};

/* In English: the value of the check; _() it for a message. */
static const char *shape_name(uint32_t w, uint32_t h)
{
    return w > h ? N_("landscape") : w < h ? N_("portrait") : N_("square");
}

/* Fails a landscape/portrait rule; warns when the file relies on an EXIF
 * orientation tag, which some portals ignore and show sideways. */
static void judge_orientation(const pf_rules *rules, const pf_image_info *info,
                              pf_check *c)
{
    static const char *const rule_names[] = {N_("any"), N_("landscape"),
                                             N_("portrait")};
    const char *shape = shape_name(info->width, info->height);
    int ok = rules->orientation == PF_ORIENT_ANY ||
             (rules->orientation == PF_ORIENT_LANDSCAPE && info->width >= info->height) ||
             (rules->orientation == PF_ORIENT_PORTRAIT && info->height >= info->width);
    int tagged = info->exif_orientation >= 2;
    c->status = !ok ? PF_FAIL : tagged ? PF_WARN : PF_PASS;
    snprintf(c->value, sizeof c->value, "%s", shape);
    snprintf(c->limit, sizeof c->limit, "%s", rule_names[rules->orientation % 3]);
    if (!ok)
        pf_set_message(c->message, sizeof c->message,
                       /* TRANSLATORS: "orientation landscape, portrait
                          required". */
                       _("orientation %s, %s required"), _(shape),
                       _(rule_names[rules->orientation % 3]));
    else if (tagged)
        pf_set_message(c->message, sizeof c->message,
                       _("relies on EXIF orientation %d: some portals ignore it "
                         "and show the photo sideways"), info->exif_orientation);
    else
        pf_set_message(c->message, sizeof c->message, _("orientation %s, upright"),
                       _(shape));
}

static void advise_orientation(const pf_image_info *info, char *buf, size_t cap)
{
    (void)info;
    pf_set_message(buf, cap, _("wrong orientation; rescan or photograph it the "
                               "required way round"));
}

const pf_check_unit pf_unit_orientation = {
    PF_CHECK_ORIENTATION, "orientation", when_decoded, judge_orientation, 0,
    advise_orientation};

static void judge_transparency(const pf_rules *rules, const pf_image_info *info,
                               pf_check *c)
{
    (void)rules;
    c->status = info->has_alpha ? PF_WARN : PF_PASS;
    snprintf(c->value, sizeof c->value, "%s", info->has_alpha ? "transparent" : "opaque");
    snprintf(c->limit, sizeof c->limit, "opaque");
    pf_set_message(c->message, sizeof c->message, "%s",
                   info->has_alpha ? _("transparent areas: some portals show "
                                       "them black; fix flattens them onto white")
                                   : _("opaque"));
}

const pf_check_unit pf_unit_transparency = {
    PF_CHECK_TRANSPARENCY, "transparency", when_decoded, judge_transparency, 1,
    NULL};

static const char *failing_sides(unsigned sides)
{
    static const char *const names[8] = {
        /* TRANSLATORS: where a background is not white enough. */
        "", N_("top"), N_("left"), N_("top and left"), N_("right"),
        N_("top and right"), N_("left and right"), N_("top, left and right")};
    return sides & 7 ? _(names[sides & 7]) : ""; /* _("") is the header */
}

static int wants_white_background(const pf_rules *rules,
                                  const pf_image_info *info)
{
    return decoded(info) && rules->white_background && info->background.measured;
}

static void judge_white_background(const pf_rules *rules,
                                   const pf_image_info *info, pf_check *c)
{
    const pf_background *bg = &info->background;
    int ok = pf_background_passes(bg, rules);
    c->status = ok ? PF_PASS : PF_FAIL;
    c->numeric = 1;
    snprintf(c->value, sizeof c->value, "%.3f", bg->plain ? bg->white_share : 0.0);
    snprintf(c->limit, sizeof c->limit, "%.3f", rules->white_min_share);
    int r = (int)(bg->mean[0] + 0.5), g = (int)(bg->mean[1] + 0.5), b = (int)(bg->mean[2] + 0.5);
    if (!ok && bg->white_pads)
        /* TRANSLATORS: %s is where the bars are: "at the sides" or "at
           the top and bottom"; then the white share inside them and the
           share the rule asks for. */
        pf_set_message(c->message, sizeof c->message,
                       _("white bars were added %s; the background inside them "
                         "is not white (%.1f%% white < %.0f%%)"),
                       bg->white_pads & (PF_SIDE_LEFT | PF_SIDE_RIGHT)
                           ? _("at the sides") : _("at the top and bottom"),
                       bg->plain ? bg->white_share * 100 : 0.0,
                       rules->white_min_share * 100);
    else if (!bg->plain)
        pf_set_message(c->message, sizeof c->message,
                       _("no plain background at the top and sides: retake the "
                         "photo against a white wall"));
    else if (ok)
        pf_set_message(c->message, sizeof c->message,
                       _("background %.1f%% white \xE2\x89\xA5 %.0f%% (mean %d,%d,%d)"),
                       bg->white_share * 100, rules->white_min_share * 100, r, g, b);
    else if (!bg->failing_sides)
        pf_set_message(c->message, sizeof c->message,
                       _("background %.1f%% white < %.0f%% (mean %d,%d,%d, %.0f from "
                         "white)"), bg->white_share * 100,
                       rules->white_min_share * 100, r, g, b, bg->distance);
    else
        /* TRANSLATORS: the last %s is where the background is not white:
           "top", "left and right", ... */
        pf_set_message(c->message, sizeof c->message,
                       _("background %.1f%% white < %.0f%% (mean %d,%d,%d, %.0f from "
                         "white; failing: %s)"), bg->white_share * 100,
                       rules->white_min_share * 100, r, g, b, bg->distance,
                       failing_sides(bg->failing_sides));
}

static void advise_white_background(const pf_image_info *info, char *buf,
                                    size_t cap)
{
    const pf_background *bg = &info->background;
    const char *why = pf_background_unliftable(bg);
    if (why)
        pf_set_message(buf, cap, _("%s; retake the photo against a white wall, "
                                   "face uncovered"), why);
    else
        pf_set_message(buf, cap, _("background only %.0f%% white; run 'preflight "
                                   "fix --whiten' or retake the photo against an "
                                   "evenly lit white wall"), bg->white_share * 100);
}

const pf_check_unit pf_unit_white_background = {
    PF_CHECK_WHITE_BACKGROUND, "white-background", wants_white_background,
    judge_white_background, PF_FIX_BY_WHITEN, advise_white_background};
