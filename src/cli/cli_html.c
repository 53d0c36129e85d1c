/* --html FILE: one self-contained page for a person to review a batch at a
 * glance. No network: thumbnails are embedded as data: URLs and a Content
 * Security Policy forbids every other source. Every text from a file
 * (names, messages) is HTML-escaped, so a file named
 * "<script>alert(1)</script>.jpg" is shown, never run. */
#include "cli.h"

#include <string.h>

/* The CSP lets only the page's own script run, by its hash: even a name
 * that got past the escaping could not run an onerror handler or a script
 * of its own. Editing page_script means a new hash: sha256 of the text
 * between <script> and </script>, base64 (the Chromium tests fail, with
 * the hash they found, until it matches). */
#define PAGE_SCRIPT_HASH "sha256-4WbULiKFfE2mcWHEnoX/Hs33bnUkSLO5wE7FNXbsaEk="

/* Between the lang attribute and the title. */
static const char page_meta[] =
    "\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "img-src data:; style-src 'unsafe-inline'; script-src '" PAGE_SCRIPT_HASH "'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width\">\n"
    "<title>";

static const char page_style[] =
    "</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,\"PingFang SC\",\"Microsoft YaHei\",\"Noto Sans CJK SC\",sans-serif;margin:1.5em;color:#222}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "td,th{border-bottom:1px solid #ddd;padding:6px;vertical-align:top;text-align:left}\n"
    "img{max-width:160px;max-height:160px;border:1px solid #ccc}\n"
    ".badge{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-weight:600}\n"
    ".badge.pass{background:#2e7d32}.badge.fixed{background:#1565c0}\n"
    ".badge.fail{background:#c62828}.badge.error{background:#6d4c41}\n"
    ".badge.warn{background:#ef6c00;margin-left:4px}\n"
    "ul{margin:0;padding-left:1.2em}li.fail{color:#c62828}li.warn{color:#ef6c00}\n"
    "li.pass{color:#555}.name{word-break:break-all;max-width:22em}\n"
    "td{white-space:pre-wrap}\n" /* a name's double or edge spaces shown */
    "#filters button{margin-right:6px;padding:4px 10px}#filters button.on{font-weight:700}\n"
    ".msg{color:#c62828}.note{color:#6d4c41}\n</style></head><body>\n";

static const char page_script[] =
    "<script>\n"
    "(function(){\n"
    "  var rows=document.querySelectorAll('tr.file');\n"
    "  var kinds=['pass','fixed','fail','error'];\n"
    "  kinds.forEach(function(k){\n"
    "    var n=document.querySelectorAll('tr.file[data-status='+k+']').length;\n"
    "    document.getElementById('count-'+k).textContent=n;\n"
    "  });\n"
    "  document.getElementById('count-all').textContent=rows.length;\n"
    "  function show(f){\n"
    "    rows.forEach(function(r){r.style.display=(f==='all'||r.dataset.status===f)?'':'none';});\n"
    "    document.querySelectorAll('#filters button').forEach(function(b){\n"
    "      b.className=b.dataset.filter===f?'on':'';});\n"
    "    if(f==='all')delete document.body.dataset.filter;\n"
    "    else document.body.dataset.filter=f;\n"
    "  }\n"
    "  document.querySelectorAll('#filters button').forEach(function(b){\n"
    "    b.addEventListener('click',function(){show(b.dataset.filter);});});\n"
    "  var h=location.hash.slice(1);\n"
    "  show(kinds.indexOf(h)>=0?h:'all');\n"
    "})();\n"
    "</script>\n";

static void write_html_char(FILE *out, char c)
{
    switch (c) {
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '&': fputs("&amp;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    default: fputc(c, out);
    }
}

/* Text from a file: markup characters as entities; control characters as
 * their visible pictures (a newline is U+240A), since HTML would swallow
 * them; bytes that are not UTF-8 as U+FFFD, as the browser would show them
 * anyway, so the page itself stays valid UTF-8. */
static void write_html_piece(FILE *out, const unsigned char *p, size_t n, int valid)
{
    if (!valid)
        fputs("\xEF\xBF\xBD", out);
    else if (p[0] < 0x20)
        fprintf(out, "\xE2\x90%c", 0x80 + p[0]); /* U+2400 + c */
    else if (p[0] == 0x7F)
        fputs("\xE2\x90\xA1", out); /* U+2421 */
    else if (n == 1)
        write_html_char(out, (char)p[0]);
    else
        fwrite(p, 1, n, out);
}

void cli_html_text(FILE *out, const char *s)
{
    cli_utf8_write(out, s, strlen(s), write_html_piece);
}

static void base64(FILE *out, const uint8_t *d, size_t n)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        fputc(a[v >> 18 & 63], out);
        fputc(a[v >> 12 & 63], out);
        fputc(i + 1 < n ? a[v >> 6 & 63] : '=', out);
        fputc(i + 2 < n ? a[v & 63] : '=', out);
    }
}

static void thumb_cell(FILE *out, const uint8_t *jpg, size_t len, const char *alt)
{
    fputs("<td>", out);
    if (jpg && len) {
        fputs("<img alt=\"", out);
        cli_html_text(out, alt);
        fputs("\" src=\"data:image/jpeg;base64,", out);
        base64(out, jpg, len);
        fputs("\">", out);
    } else {
        fputs("&ndash;", out);
    }
    fputs("</td>", out);
}

/* fmt (translated text with one %s) with arg in place of the %s, both
 * HTML-escaped. */
static void html_with(FILE *out, const char *fmt, const char *arg)
{
    const char *at = strstr(fmt, "%s");
    if (!at) {
        cli_html_text(out, fmt);
        return;
    }
    cli_utf8_write(out, fmt, (size_t)(at - fmt), write_html_piece);
    cli_html_text(out, arg);
    cli_html_text(out, at + 2);
}

/* The table's column headings: translated, no markup. */
static void html_headings(FILE *out, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", out);
        cli_html_text(out, _(names[i]));
        fputs("</th>", out);
    }
}

/* The filter buttons: data-filter values stay English (the page's script
 * and the #fail links use them). */
static void html_filters(FILE *out)
{
    static const char *const filter[] = {"all", "pass", "fixed", "fail", "error"};
    static const char *const label[] = {N_("All"), N_("Passed"), N_("Fixed"),
                                        N_("Failed"), N_("Errors")};
    fputs("<p id=\"filters\">", out);
    for (size_t i = 0; i < sizeof filter / sizeof filter[0]; i++) {
        /* class first: the script's "on" then stays before data-filter. */
        fprintf(out, "<button class=\"\" data-filter=\"%s\">", filter[i]);
        cli_html_text(out, _(label[i]));
        fputs("</button>", out);
    }
    fputs("</p>\n", out);
}

void cli_html_begin(FILE *out, const char *command, const pf_rules *rules)
{
    static const char *const columns[] = {
        N_("File"), N_("Input"), N_("Output"), N_("Status"),
        N_("Rules (measured against the limit)"),
        /* TRANSLATORS: column heading: what fix did to the file. */
        N_("Done")};
    fputs("<!DOCTYPE html>\n<html lang=\"", out);
    fputs(cli_language_is_chinese() ? "zh-CN" : "en", out);
    fputs(page_meta, out);
    cli_html_text(out, _("preflight report"));
    fputs(page_style, out);
    fputs("<h1>preflight ", out);
    cli_html_text(out, command);
    fputs(" &mdash; ", out);
    /* TRANSLATORS: the report's heading names the profile after a dash. */
    html_with(out, _("profile %s"), rules->name);
    fputs("</h1>\n<p id=\"source\">", out);
    html_with(out, _("Rules from %s"),
              rules->source[0] ? rules->source : _("the command line"));
    fputs("</p>\n<p id=\"counts\">", out);
    /* TRANSLATORS: each %s is a number the page fills in; reorder them
       with %1$s..%5$s if needed. */
    fprintf(out, _("%s files: %s passed, %s fixed, %s failed, %s errors"),
            "<span id=\"count-all\"></span>", "<span id=\"count-pass\"></span>",
            "<span id=\"count-fixed\"></span>", "<span id=\"count-fail\"></span>",
            "<span id=\"count-error\"></span>");
    fputs("</p>\n", out);
    html_filters(out);
    fputs("<table><thead><tr>", out);
    fputs("<th>#</th>", out);
    html_headings(out, columns, sizeof columns / sizeof columns[0]);
    fputs("</tr></thead><tbody>\n", out);
}

/* The status word people read in a badge; the class stays English. */
static const char *status_label(pf_file_status status)
{
    switch (status) {
    case PF_FILE_PASS: return _("pass");
    case PF_FILE_FIXED: return _("fixed");
    case PF_FILE_FAIL: return _("fail");
    case PF_FILE_ERROR: return _("error");
    }
    return pf_file_status_name(status);
}

void cli_html_file(FILE *out, size_t index, const char *path, const pf_report *r,
                   const cli_thumbs *t)
{
    const char *status = pf_file_status_name(r->status);
    fprintf(out, "<tr class=\"file\" data-status=\"%s\"><td>%zu</td><td class=\"name\">",
            status, index + 1);
    cli_html_text(out, path);
    if (r->has_output && r->output_path[0]) {
        fputs("<br>&rarr; ", out);
        cli_html_text(out, r->output_path);
    }
    fputs("</td>", out);
    /* TRANSLATORS: alt text of the input's thumbnail. */
    thumb_cell(out, t ? t->in : NULL, t ? t->in_len : 0, _("input"));
    /* TRANSLATORS: alt text of the fixed copy's thumbnail. */
    thumb_cell(out, t ? t->out : NULL, t ? t->out_len : 0, _("output"));
    fprintf(out, "<td><span class=\"badge %s\">", status);
    cli_html_text(out, status_label(r->status));
    fputs("</span>", out);
    if (r->warnings > 0 && (r->status == PF_FILE_PASS || r->status == PF_FILE_FIXED)) {
        fputs("<span class=\"badge warn\">", out);
        cli_html_text(out, _("warn"));
        fputs("</span>", out);
    }
    fputs("</td><td><ul>", out);
    for (int i = 0; i < r->n_checks; i++) {
        const pf_check *c = &r->checks[i];
        fprintf(out, "<li class=\"%s\">%s: ", pf_check_status_name(c->status),
                pf_check_name(c->id));
        cli_html_text(out, c->message);
        fputs("</li>", out);
    }
    fputs("</ul></td><td>", out);
    for (int i = 0; i < r->n_actions; i++) {
        fputs(i ? "<br>" : "", out);
        cli_html_text(out, r->actions[i]);
    }
    if ((r->status == PF_FILE_FAIL || r->status == PF_FILE_ERROR) && r->message[0]) {
        fputs("<div class=\"msg\">", out);
        cli_html_text(out, r->message);
        fputs("</div>", out);
    }
    const char *gps = cli_gps_note(r);
    if (gps) {
        fputs("<div class=\"note gps\">", out);
        cli_html_text(out, gps);
        fputs("</div>", out);
    }
    fputs("</td></tr>\n", out);
}

void cli_html_end(FILE *out, const cli_groups *groups)
{
    static const char *const columns[] = {
        N_("Folder"), N_("Files"), N_("Ready"), N_("Fixed"),
        N_("Need a new photo or scan"), N_("What to redo")};
    fputs("</tbody></table>\n", out);
    if (groups && groups->n) {
        fputs("<h2>", out);
        cli_html_text(out, _("By folder"));
        fputs("</h2>\n<table id=\"folders\"><thead><tr>", out);
        html_headings(out, columns, sizeof columns / sizeof columns[0]);
        fputs("</tr></thead><tbody>\n", out);
        for (size_t i = 0; i < groups->n; i++) {
            const cli_group *g = &groups->g[i];
            fputs("<tr><td>", out);
            cli_html_text(out, g->name[0] ? g->name : _("(top level)"));
            fprintf(out, "</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>",
                    g->files, g->ready, g->fixed, g->need);
            cli_html_text(out, g->needs ? g->needs : "");
            fputs("</td></tr>\n", out);
        }
        fputs("</tbody></table>\n", out);
    }
    fputs(page_script, out);
    fputs("</body></html>\n", out);
}
