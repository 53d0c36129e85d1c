/* Reports on stdout: one text line per file (plus the checks that failed or
 * warned), or one JSON document streamed file by file. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RED "\033[31m"
#define ANSI_RESET "\033[0m"

/* ---- text ---- */

/* A code point that must not reach a terminal as is: C1 controls (U+009B
 * is CSI to some terminals), the line and paragraph separators, and the
 * bidi controls that can make "gpj.exe" look like "exe.jpg". */
static int is_hidden_control(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static uint32_t code_point(const unsigned char *p, size_t n)
{
    uint32_t cp = n == 1 ? p[0] : p[0] & (0x7Fu >> n);
    for (size_t k = 1; k < n; k++)
        cp = cp << 6 | (p[k] & 0x3Fu);
    return cp;
}

static void print_escaped_byte(FILE *out, unsigned char c)
{
    switch (c) {
    case '\\': fputs("\\\\", out); break; /* a name's own backslash-n is no newline */
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default:
        if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
}

static void write_text_piece(FILE *out, const unsigned char *p, size_t n, int valid)
{
    if (!valid)
        for (size_t k = 0; k < n; k++)
            fprintf(out, "\\x%02x", p[k]);
    else if (n == 1)
        print_escaped_byte(out, p[0]);
    else if (is_hidden_control(code_point(p, n)))
        fprintf(out, "\\u%04x", (unsigned)code_point(p, n));
    else
        fwrite(p, 1, n, out);
}

/* File names may hold newlines, escape sequences or bytes that are not
 * UTF-8: each is shown as a backslash escape, so one file stays one line
 * and nothing reaches the terminal as a command. */
void cli_text_safe(FILE *out, const char *s)
{
    cli_utf8_write(out, s, strlen(s), write_text_piece);
}

static void print_colored(const cli_reporter *r, const char *color,
                          const char *text)
{
    if (r->color)
        fprintf(r->out, "%s%s%s", color, text, ANSI_RESET);
    else
        fputs(text, r->out);
}

/* "JPEG 1600×1200, 153,210 B"; a format never decoded has no size. */
static void print_image_summary(FILE *out, const pf_image_info *info)
{
    char size[32];
    pf_format_thousands(info->bytes, size, sizeof size);
    if (info->width && info->height)
        /* TRANSLATORS: format, width×height, file size in bytes. */
        fprintf(out, _("%s %u\xC3\x97%u, %s B"), pf_format_label(info->format),
                info->width, info->height, size);
    else
        /* TRANSLATORS: format, file size in bytes. */
        fprintf(out, _("%s, %s B"), pf_format_label(info->format), size);
}

/* Between a word and what it is about in the text report. */
static const char *text_colon(void)
{
    /* TRANSLATORS: in the text report, between a word and what it is
     * about ("fail: JPEG 2400×1600, ..."). */
    return _(": ");
}

/* The status words of the text report, for people (JSON and CSV keep the
 * English names). */
static const char *file_status_word(pf_file_status status)
{
    switch (status) {
    case PF_FILE_PASS: return _("pass");
    case PF_FILE_FIXED: return _("fixed");
    case PF_FILE_FAIL: return _("fail");
    case PF_FILE_ERROR: break;
    }
    return _("error");
}

static const char *check_status_word(pf_check_status status)
{
    return status == PF_PASS ? _("pass") : status == PF_WARN ? _("warn") : _("fail");
}

/* The library starts messages with the file name, which the text line
 * already shows: drop a leading "path: ". */
static const char *without_path(const char *message, const char *path)
{
    size_t n = strlen(path);
    if (n && strncmp(message, path, n) == 0 && message[n] == ':' &&
        message[n + 1] == ' ')
        return message + n + 2;
    return message;
}

/* What follows the status word: the error, else the actions, else what
 * the image is; then where the output went. */
static void print_detail(FILE *out, const char *path, const pf_report *report)
{
    if (report->status == PF_FILE_ERROR) {
        fputs(text_colon(), out);
        cli_text_safe(out, report->message[0]
                            ? without_path(report->message, path)
                            : pf_strerror(report->error));
    } else if (report->n_actions > 0) {
        for (int i = 0; i < report->n_actions; i++) {
            /* TRANSLATORS: between the actions fix took, in one line. */
            fputs(i ? _("; ") : text_colon(), out);
            cli_text_safe(out, report->actions[i]);
        }
    } else if (report->input.format != PF_FORMAT_UNKNOWN) {
        fputs(text_colon(), out);
        print_image_summary(out, &report->input);
    }
    if (report->has_output && report->output_path[0]) {
        fputs(" \xE2\x86\x92 ", out);
        cli_text_safe(out, report->output_path);
    }
}

const char *cli_gps_state(const pf_report *report)
{
    if (!report->input.has_gps)
        return "";
    if (!report->has_output)
        return "present";
    return report->output.has_gps ? "kept" : "removed";
}

const char *cli_gps_note(const pf_report *report)
{
    if (strcmp(cli_gps_state(report), "present") != 0)
        return NULL;
    return _("input carries a GPS position (removed by fix)");
}

/* Indented lines: each failed or warned check, then what to do; a GPS
 * position in an input nothing was written for (fix's actions say what
 * became of it otherwise). */
static void print_findings(const cli_reporter *r, const char *path,
                           const pf_report *report)
{
    for (int i = 0; i < report->n_checks; i++) {
        const pf_check *c = &report->checks[i];
        if (c->status == PF_PASS)
            continue;
        fputs("    ", r->out);
        print_colored(r, c->status == PF_FAIL ? ANSI_RED : ANSI_YELLOW,
                      check_status_word(c->status));
        fprintf(r->out, " %s%s", pf_check_name(c->id), text_colon());
        cli_text_safe(r->out, c->message);
        fputc('\n', r->out);
    }
    if (report->status == PF_FILE_FAIL && report->message[0]) {
        fputs("    \xE2\x86\x92 ", r->out);
        cli_text_safe(r->out, without_path(report->message, path));
        fputc('\n', r->out);
    }
    const char *gps = cli_gps_note(report);
    if (gps)
        fprintf(r->out, "    %s%s%s\n", _("note"), text_colon(), gps);
}

static void print_text_file(const cli_reporter *r, const char *path,
                            const pf_report *report)
{
    int bad = report->status == PF_FILE_FAIL || report->status == PF_FILE_ERROR;
    if (r->quiet && !bad && report->warnings == 0)
        return;
    const char *color = bad ? ANSI_RED : report->warnings ? ANSI_YELLOW : ANSI_GREEN;
    print_colored(r, color, bad ? "\xE2\x9C\x97" : report->warnings
                                     ? "\xE2\x9A\xA0" : "\xE2\x9C\x93");
    fputc(' ', r->out);
    cli_text_safe(r->out, path);
    fputs("  ", r->out);
    print_colored(r, color, file_status_word(report->status));
    print_detail(r->out, path, report);
    fputc('\n', r->out);
    print_findings(r, path, report);
}

static void print_text_summary(const cli_reporter *r)
{
    const cli_summary *s = &r->summary;
    char files[64], errors[64];
    snprintf(files, sizeof files, P_("%zu file", "%zu files", r->n_files), r->n_files);
    snprintf(errors, sizeof errors, P_("%d error", "%d errors", s->error), s->error);
    /* TRANSLATORS: the summary: "6 files: 2 passed, 0 fixed, 4 failed, 0 errors";
     * the first %s is "%zu files", the last "%d errors". */
    fprintf(r->out, _("%s: %d passed, %d fixed, %d failed, %s\n"), files, s->pass,
            s->fixed, s->fail, errors);
    if (r->rules->source[0] && !r->quiet) {
        /* TRANSLATORS: followed by where the profile's rules come from. */
        fprintf(r->out, _("Rules: profile %s, from "), r->rules->name);
        cli_text_safe(r->out, r->rules->source);
        fputc('\n', r->out);
    }
}

/* ---- JSON ---- */

/* A check's value or limit: a number verbatim when the library says so (and
 * it really is one), else a string; empty is null. */
static void json_value(FILE *out, const char *text, int numeric)
{
    if (!text[0])
        fputs("null", out);
    else if (numeric && cli_json_is_number(text))
        fputs(text, out);
    else
        cli_json_string(out, text);
}

static void json_key(FILE *out, const char *key, int first)
{
    if (!first)
        fputc(',', out);
    fprintf(out, "\"%s\":", key);
}

static void json_uint_or_null(FILE *out, const char *key, uint64_t n, int known)
{
    json_key(out, key, 0);
    if (known)
        fprintf(out, "%llu", (unsigned long long)n);
    else
        fputs("null", out);
}

static void json_format(FILE *out, pf_format format)
{
    if (format == PF_FORMAT_UNKNOWN)
        fputs("null", out);
    else
        cli_json_string(out, pf_format_name(format));
}

static void json_checks(FILE *out, const pf_report *report)
{
    json_key(out, "checks", 0);
    fputc('[', out);
    for (int i = 0; i < report->n_checks; i++) {
        const pf_check *c = &report->checks[i];
        fprintf(out, "%s{\"name\":", i ? "," : "");
        cli_json_string(out, pf_check_name(c->id));
        json_key(out, "status", 0);
        cli_json_string(out, pf_check_status_name(c->status));
        json_key(out, "value", 0);
        json_value(out, c->value, c->numeric);
        json_key(out, "limit", 0);
        json_value(out, c->limit, c->numeric);
        json_key(out, "message", 0);
        cli_json_string(out, c->message);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_actions(FILE *out, const pf_report *report)
{
    json_key(out, "actions", 0);
    fputc('[', out);
    for (int i = 0; i < report->n_actions; i++) {
        if (i)
            fputc(',', out);
        cli_json_string(out, report->actions[i]);
    }
    fputc(']', out);
}

/* format, bytes, width, height of one image; unknown parts are null. */
static void json_image_fields(FILE *out, const pf_image_info *info, int first)
{
    int decoded = info->width > 0 && info->height > 0;
    json_key(out, "format", first);
    json_format(out, info->format);
    json_uint_or_null(out, "bytes", info->bytes,
                      info->bytes > 0 || info->format != PF_FORMAT_UNKNOWN);
    json_uint_or_null(out, "width", info->width, decoded);
    json_uint_or_null(out, "height", info->height, decoded);
}

/* The names of the PF_SIDE_* bits, in bit order. */
static const char *const side_names[4] = {"top", "left", "right", "bottom"};

/* ,"key":["top",...] for the PF_SIDE_* bits set in sides. */
static void json_sides(FILE *out, const char *key, unsigned sides)
{
    fprintf(out, ",\"%s\":[", key);
    for (int i = 0, n = 0; i < 4; i++)
        if (sides & (1u << i))
            fprintf(out, "%s\"%s\"", n++ ? "," : "", side_names[i]);
    fputc(']', out);
}

/* "background": what the white-background rule measured (when it ran). */
static void json_background(FILE *out, const pf_background *bg)
{
    if (!bg->measured)
        return;
    fprintf(out, ",\"background\":{\"plain\":%s,\"white_share\":%.4f,"
            "\"coverage\":%.4f,\"mean_rgb\":[%.1f,%.1f,%.1f],"
            "\"distance_from_white\":%.1f,\"side_white_share\":{",
            bg->plain ? "true" : "false", bg->white_share, bg->coverage,
            bg->mean[0], bg->mean[1], bg->mean[2], bg->distance);
    for (int i = 0; i < 3; i++)
        fprintf(out, "%s\"%s\":%.4f", i ? "," : "", side_names[i], bg->side_share[i]);
    fputc('}', out);
    json_sides(out, "failing_sides", bg->failing_sides);
    /* Bars added at the edges (widths in pixels) and where it measured. */
    fputs(",\"bars\":{", out);
    for (int i = 0, n = 0; i < 4; i++)
        if (bg->padded_sides & (1u << i))
            fprintf(out, "%s\"%s\":%u", n++ ? "," : "", side_names[i], bg->pad[i]);
    fprintf(out, "},\"around_face\":%s}", bg->around_face ? "true" : "false");
}

/* "document": what the document checks measured (when they ran). */
static void json_document(FILE *out, const pf_document *d)
{
    if (!d->measured)
        return;
    fprintf(out, ",\"document\":{\"found\":%s", d->found ? "true" : "false");
    if (d->found) {
        fputs(",\"corners\":[", out);
        for (int i = 0; i < 4; i++)
            fprintf(out, "%s[%.1f,%.1f]", i ? "," : "", d->corners[i][0],
                    d->corners[i][1]);
        fprintf(out, "],\"fill\":%.4f,\"tilt\":%.2f", d->fill, d->tilt);
        json_sides(out, "cut_sides", d->cut_sides);
        fprintf(out, ",\"cut_confidence\":%.2f,\"stands_out\":%s",
                d->cut_confidence, d->stands_out ? "true" : "false");
    }
    fprintf(out, ",\"sharpness\":%.2f,\"glare\":%.4f,\"luminance\":{"
            "\"p0_2\":%.1f,\"p50\":%.1f,\"p99\":%.1f,\"clipped\":%.4f}}",
            d->sharpness, d->glare, d->lum_low, d->lum_median, d->lum_high,
            d->clipped);
}

/* "face": what the face check measured (when it ran): how many faces, and
 * the largest one's box in upright pixels. */
static void json_face(FILE *out, const pf_face *f)
{
    if (!f->measured)
        return;
    fprintf(out, ",\"face\":{\"count\":%d", f->count);
    if (f->count > 0) {
        fprintf(out, ",\"x\":%.0f,\"y\":%.0f,\"w\":%.0f,\"h\":%.0f,"
                "\"score\":%.3f,\"size\":%.4f", f->x, f->y, f->w, f->h,
                f->score, f->size);
        json_sides(out, "cut_sides", f->cut_sides);
    }
    fputc('}', out);
}

static void json_input(FILE *out, const pf_image_info *info)
{
    json_key(out, "input", 0);
    fputc('{', out);
    json_image_fields(out, info, 1);
    json_uint_or_null(out, "exif_orientation", (uint64_t)info->exif_orientation,
                      info->exif_orientation > 0);
    fprintf(out, ",\"has_alpha\":%s,\"has_gps\":%s",
            info->has_alpha ? "true" : "false", info->has_gps ? "true" : "false");
    /* pages counts a PDF's or TIFF's pages (page: which one, from 1) or an
     * animation's frames; colour_converted: its ICC profile was applied. */
    if (info->width > 0)
        fprintf(out, ",\"pages\":%d,\"page\":%d,\"animated\":%s,"
                "\"colour_converted\":%s", info->pages > 1 ? info->pages : 1,
                info->page + 1, info->animated ? "true" : "false",
                info->icc_converted ? "true" : "false");
    json_background(out, &info->background);
    json_document(out, &info->document);
    json_face(out, &info->face);
    fputc('}', out);
}

/* One file as a JSON object; index >= 0 adds "index" (--jsonl). */
static void json_file_object(FILE *out, const char *path, const pf_report *report,
                             long index, const cli_reporter *r)
{
    int written = report->has_output && report->output_path[0];
    int has_error = report->message[0] && (report->status == PF_FILE_ERROR ||
                                           report->status == PF_FILE_FAIL);
    fputc('{', out);
    if (index >= 0)
        fprintf(out, "\"index\":%ld,", index);
    json_key(out, "path", 1);
    cli_json_string(out, path);
    json_key(out, "status", 0);
    cli_json_string(out, pf_file_status_name(report->status));
    /* After fix, the top-level figures describe the file written. */
    json_image_fields(out, written ? &report->output : &report->input, 0);
    json_key(out, "output", 0);
    if (written)
        cli_json_string(out, report->output_path);
    else
        fputs("null", out);
    json_key(out, "quality", 0);
    if (written && report->quality >= 0)
        fprintf(out, "%g", report->quality); /* fractional: 85.37 */
    else
        fputs("null", out);
    json_key(out, "has_gps", 0);
    fputs((written ? report->output.has_gps : report->input.has_gps) ? "true" : "false",
          out);
    json_checks(out, report);
    json_actions(out, report);
    json_key(out, "error", 0);
    if (has_error)
        cli_json_string(out, report->message);
    else
        fputs("null", out);
    json_input(out, &report->input);
    if (r && r->file_extra)
        r->file_extra(out, r->file_extra_arg);
    fputc('}', out);
}

static void print_json_file(const cli_reporter *r, const char *path,
                            const pf_report *report)
{
    fputs(r->n_files > 1 ? ",\n" : "\n", r->out);
    json_file_object(r->out, path, report, -1, r);
}

/* ---- CSV (--csv): one row per file, for Excel and WPS ---- */

static const pf_check_id csv_rules[] = {
    PF_CHECK_FORMAT, PF_CHECK_MAX_BYTES, PF_CHECK_MIN_BYTES, PF_CHECK_MIN_SIZE,
    PF_CHECK_COLOR, PF_CHECK_ORIENTATION, PF_CHECK_TRANSPARENCY,
    PF_CHECK_WHITE_BACKGROUND};
#define CSV_RULES (sizeof csv_rules / sizeof csv_rules[0])
/* Added after the gps column, so that older readers' columns stay put. */
static const pf_check_id csv_image_rules[] = {
    PF_CHECK_DOCUMENT_COMPLETE, PF_CHECK_DOCUMENT_FILL, PF_CHECK_SHARPNESS,
    PF_CHECK_GLARE, PF_CHECK_EXPOSURE};
#define CSV_IMAGE_RULES (sizeof csv_image_rules / sizeof csv_image_rules[0])

/* Every field quoted, quotes doubled: commas, newlines and quotes in file
 * names stay inside their cell. A leading = + - @ (or tab or CR, which
 * Excel skips before them) is prefixed with ' so a spreadsheet never runs
 * a file name as a formula. Bytes that are not UTF-8 become U+FFFD, as in
 * the JSON report: the file stays readable as UTF-8. */
static void write_csv_piece(FILE *out, const unsigned char *p, size_t n, int valid)
{
    if (!valid)
        fputs("\xEF\xBF\xBD", out);
    else if (p[0] == '"')
        fputs("\"\"", out);
    else
        fwrite(p, 1, n, out);
}

void cli_csv_field(FILE *out, const char *s, int first)
{
    if (!first)
        fputc(',', out);
    fputc('"', out);
    if (*s && strchr("=+-@\t\r", *s))
        fputc('\'', out);
    cli_utf8_write(out, s, strlen(s), write_csv_piece);
    fputc('"', out);
}

static void csv_rule_headers(FILE *out, const pf_check_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char name[64];
        cli_csv_field(out, pf_check_name(ids[i]), 0);
        snprintf(name, sizeof name, "%s value", pf_check_name(ids[i]));
        cli_csv_field(out, name, 0);
    }
}

/* Status and value of each check in ids; empty cells when it did not run. */
static void csv_rule_cells(FILE *out, const pf_report *report,
                           const pf_check_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const pf_check *c = NULL;
        for (int k = 0; k < report->n_checks && !c; k++)
            if (report->checks[k].id == ids[i])
                c = &report->checks[k];
        cli_csv_field(out, c ? pf_check_status_name(c->status) : "", 0);
        cli_csv_field(out, c ? c->value : "", 0);
    }
}

static void csv_header(FILE *out)
{
    static const char *const cols[] = {"path", "status", "format", "bytes", "width",
                                       "height", "output", "quality"};
    fputs("\xEF\xBB\xBF", out); /* UTF-8 BOM: Excel then reads UTF-8 */
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        cli_csv_field(out, cols[i], i == 0);
    csv_rule_headers(out, csv_rules, CSV_RULES);
    cli_csv_field(out, "actions", 0);
    cli_csv_field(out, "message", 0);
    cli_csv_field(out, "gps", 0);
    csv_rule_headers(out, csv_image_rules, CSV_IMAGE_RULES);
    fputs("\r\n", out);
}

static void csv_row(FILE *out, const char *path, const pf_report *report)
{
    const pf_image_info *info = report->has_output ? &report->output : &report->input;
    char num[64], actions[PF_MAX_ACTIONS * PF_MSG_LEN] = "";
    cli_csv_field(out, path, 1);
    cli_csv_field(out, pf_file_status_name(report->status), 0);
    cli_csv_field(out, info->format ? pf_format_name(info->format) : "", 0);
    snprintf(num, sizeof num, "%llu", (unsigned long long)info->bytes);
    cli_csv_field(out, info->bytes ? num : "", 0);
    snprintf(num, sizeof num, "%u", info->width);
    cli_csv_field(out, info->width ? num : "", 0);
    snprintf(num, sizeof num, "%u", info->height);
    cli_csv_field(out, info->height ? num : "", 0);
    cli_csv_field(out, report->has_output ? report->output_path : "", 0);
    snprintf(num, sizeof num, "%g", report->quality);
    cli_csv_field(out, report->has_output && report->quality >= 0 ? num : "", 0);
    csv_rule_cells(out, report, csv_rules, CSV_RULES);
    for (int i = 0; i < report->n_actions; i++) {
        if (i)
            strncat(actions, "; ", sizeof actions - strlen(actions) - 1);
        strncat(actions, report->actions[i], sizeof actions - strlen(actions) - 1);
    }
    cli_csv_field(out, actions, 0);
    cli_csv_field(out, report->status == PF_FILE_FAIL || report->status == PF_FILE_ERROR
                   ? report->message : "", 0);
    cli_csv_field(out, cli_gps_state(report), 0);
    csv_rule_cells(out, report, csv_image_rules, CSV_IMAGE_RULES);
    fputs("\r\n", out);
}

/* The image checks that run and their limits (fail and warn). */
static void json_image_rules(FILE *out, const pf_rules *r)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {PF_RULE_DOCUMENT, "document-complete"}, {PF_RULE_DOCUMENT, "document-fill"},
        {PF_RULE_SHARPNESS, "sharpness"}, {PF_RULE_GLARE, "glare"},
        {PF_RULE_EXPOSURE, "exposure"}, {PF_RULE_FACE, "face"}};
    fputs("\"image_checks\":[", out);
    for (size_t i = 0, n = 0; i < sizeof names / sizeof names[0]; i++)
        if (r->image_checks & names[i].bit)
            fprintf(out, "%s\"%s\"", n++ ? "," : "", names[i].name);
    fprintf(out, "],\"min_sharpness\":%g,\"warn_sharpness\":%g,"
            "\"max_glare\":%g,\"warn_glare\":%g,\"min_brightness\":%g,"
            "\"warn_brightness\":%g,\"max_washout\":%g,\"warn_washout\":%g,"
            "\"min_fill\":%g,", r->min_sharpness, r->warn_sharpness, r->max_glare,
            r->warn_glare, r->min_brightness, r->warn_brightness, r->max_washout,
            r->warn_washout, r->min_fill);
}

/* The rules object: as the JSON report and `preflight profiles --json`
 * give it. Keys are only ever added at the end. */
void cli_json_rules_object(FILE *out, const pf_rules *rules)
{
    static const char *const orientations[] = {"any", "landscape", "portrait"};
    fprintf(out, "{\"max_bytes\":%llu,\"min_bytes\":%llu,\"min_long\":%u,"
            "\"min_short\":%u,\"orientation\":\"%s\",\"require_color\":%s,",
            (unsigned long long)rules->max_bytes,
            (unsigned long long)rules->min_bytes, rules->min_long,
            rules->min_short, (unsigned)rules->orientation < 3
                ? orientations[rules->orientation] : "any",
            rules->require_color ? "true" : "false");
    json_image_rules(out, rules);
    fputs("\"formats\":[", out);
    int first = 1;
    for (int f = 1; f < PF_FORMAT_COUNT; f++) {
        if (!(rules->accepted_formats & (1u << f)))
            continue;
        if (!first)
            fputc(',', out);
        cli_json_string(out, pf_format_name((pf_format)f));
        first = 0;
    }
    fprintf(out, "],\"max_long\":%u,\"max_short\":%u,\"fix_max_side\":%u,"
            "\"white_background\":%s,\"min_face_size\":%g,\"warn_face_size\":%g,"
            "\"source\":", rules->max_long, rules->max_short, rules->fix_max_long,
            rules->white_background ? "true" : "false", rules->min_face_size,
            rules->warn_face_size);
    cli_json_string(out, rules->source);
    fputc('}', out);
}

static void json_rules(FILE *out, const pf_rules *rules)
{
    json_key(out, "rules", 0);
    cli_json_rules_object(out, rules);
}

/* ---- the reporter ---- */

void cli_report_begin(cli_reporter *r)
{
    r->n_files = 0;
    memset(&r->summary, 0, sizeof r->summary);
    if (r->csv)
        csv_header(r->csv);
    if (!r->json)
        return;
    fputs("{\"tool\":\"preflight\",\"version\":", r->out);
    cli_json_string(r->out, PF_VERSION);
    json_key(r->out, "profile", 0);
    cli_json_string(r->out, r->rules->name);
    json_key(r->out, "command", 0);
    cli_json_string(r->out, r->command);
    json_rules(r->out, r->rules);
    json_key(r->out, "files", 0);
    fputc('[', r->out);
}

static void count(cli_summary *s, pf_file_status status)
{
    switch (status) {
    case PF_FILE_PASS: s->pass++; break;
    case PF_FILE_FIXED: s->fixed++; break;
    case PF_FILE_FAIL: s->fail++; break;
    case PF_FILE_ERROR: s->error++; break;
    }
}

void cli_report_file(cli_reporter *r, const char *path, const pf_report *report)
{
    r->n_files++;
    count(&r->summary, report->status);
    if (report->warnings > 0 && (report->status == PF_FILE_PASS ||
                                 report->status == PF_FILE_FIXED))
        r->summary.warned++;
    if (r->csv)
        csv_row(r->csv, path, report);
    if (r->jsonl)
        return; /* written by cli_report_finished */
    if (r->json)
        print_json_file(r, path, report);
    else
        print_text_file(r, path, report);
    fflush(r->out); /* progress shows as it happens, even through a pipe */
}

void cli_report_finished(cli_reporter *r, size_t index, const char *path,
                         const pf_report *report)
{
    if (!r->jsonl)
        return;
    json_file_object(r->out, path, report, (long)index, r);
    fputc('\n', r->out);
    fflush(r->out);
}

void cli_report_end(cli_reporter *r)
{
    const cli_summary *s = &r->summary;
    if (r->jsonl) {
        fprintf(r->out, "{\"summary\":{\"files\":%zu,\"pass\":%d,\"fixed\":%d,"
                "\"fail\":%d,\"error\":%d}}\n", r->n_files, s->pass, s->fixed,
                s->fail, s->error);
        return;
    }
    if (!r->json) {
        print_text_summary(r);
        return;
    }
    fprintf(r->out, "%s],\"summary\":{\"files\":%zu,\"pass\":%d,\"fixed\":%d,"
            "\"fail\":%d,\"error\":%d}}\n", r->n_files ? "\n" : "", r->n_files,
            s->pass, s->fixed, s->fail, s->error);
}

int cli_report_exit_status(const cli_reporter *r)
{
    if (r->summary.fail || r->summary.error || r->n_files == 0 ||
        (r->fail_on_warn && r->summary.warned))
        return CLI_EXIT_FAIL;
    return CLI_EXIT_OK;
}
