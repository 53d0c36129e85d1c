/* File names that are hard to show (issue 6): a leading '-', spaces,
 * quotes, backslash, tab, newline, CR, an escape sequence, bytes that are
 * not UTF-8, Chinese, emoji, markup and spreadsheet formulas. Each file is
 * checked and fixed, walked from a folder and named on the command line,
 * and must come out whole and harmless in the text, JSON, JSONL, CSV and
 * HTML reports and through scripts/preflight-drop. Every expected form is
 * written out by hand in the table below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

/* What a file holds, so that check and fix give every status. */
enum content {
    PASSES,    /* compliant colour JPEG: check pass, fix copies it (pass) */
    GREY,      /* grey-scale copy: fails both, fix writes nothing */
    TINY,      /* under RULES' minimum size: check fails, fix upscales (fixed, warns) */
    NOT_IMAGE  /* text: error, and the message quotes the path */
};

struct odd_name {
    const char *name; /* path under the input folder; a '/' where a file
                         name alone cannot hold the text */
    enum content content;
    const char *text; /* in the text report */
    const char *json; /* inside a JSON string literal */
    const char *html; /* in Chromium's dump of the HTML report */
};

#define PICTURE_TAB "\xE2\x90\x89" /* U+2409 */
#define PICTURE_LF "\xE2\x90\x8A"  /* U+240A */
#define PICTURE_CR "\xE2\x90\x8D"  /* U+240D */
#define PICTURE_ESC "\xE2\x90\x9B" /* U+241B */
#define FFFD "\xEF\xBF\xBD"

static const struct odd_name names[] = {
    {"-rf.jpg", PASSES, "-rf.jpg", "-rf.jpg", "-rf.jpg"},
    {"--help.jpg", GREY, "--help.jpg", "--help.jpg", "--help.jpg"},
    {" lead.jpg", TINY, " lead.jpg", " lead.jpg", " lead.jpg"},
    {"trail .jpg", NOT_IMAGE, "trail .jpg", "trail .jpg", "trail .jpg"},
    {"dou  ble.jpg", PASSES, "dou  ble.jpg", "dou  ble.jpg", "dou  ble.jpg"},
    {"it's.jpg", GREY, "it's.jpg", "it's.jpg", "it's.jpg"},
    {"say \"hi\".jpg", TINY, "say \"hi\".jpg", "say \\\"hi\\\".jpg", "say \"hi\".jpg"},
    {"back\\slash.jpg", NOT_IMAGE, "back\\\\slash.jpg", "back\\\\slash.jpg",
     "back\\slash.jpg"},
    {"tab\there.jpg", PASSES, "tab\\there.jpg", "tab\\there.jpg",
     "tab" PICTURE_TAB "here.jpg"},
    {"new\nline.jpg", GREY, "new\\nline.jpg", "new\\nline.jpg",
     "new" PICTURE_LF "line.jpg"},
    {"cr\rret.jpg", NOT_IMAGE, "cr\\rret.jpg", "cr\\rret.jpg", "cr" PICTURE_CR "ret.jpg"},
    {"\x1b[31mred\x1b[0m.jpg", TINY, "\\x1b[31mred\\x1b[0m.jpg",
     "\\u001b[31mred\\u001b[0m.jpg", PICTURE_ESC "[31mred" PICTURE_ESC "[0m.jpg"},
    {"\xFF\xFE.jpg", PASSES, "\\xff\\xfe.jpg", "\\ufffd\\ufffd.jpg", FFFD FFFD ".jpg"},
    /* 身 cut after two of its three bytes: one U+FFFD. */
    {"cut\xE8\xBA.jpg", NOT_IMAGE, "cut\\xe8\\xba.jpg", "cut\\ufffd.jpg", "cut" FFFD ".jpg"},
    {"\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81 \xE6\xAD\xA3\xE9\x9D\xA2.jpg", PASSES, /* 身份证 正面 */
     "\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81 \xE6\xAD\xA3\xE9\x9D\xA2.jpg",
     "\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81 \xE6\xAD\xA3\xE9\x9D\xA2.jpg",
     "\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81 \xE6\xAD\xA3\xE9\x9D\xA2.jpg"},
    {"\xF0\x9F\x98\x80.jpg", GREY, "\xF0\x9F\x98\x80.jpg", "\xF0\x9F\x98\x80.jpg",
     "\xF0\x9F\x98\x80.jpg"},
    /* U+202E would show "...gpj.exe" backwards on a terminal. */
    {"rlo\xE2\x80\xAEgpj.exe.jpg", PASSES, "rlo\\u202egpj.exe.jpg",
     "rlo\xE2\x80\xAEgpj.exe.jpg", "rlo\xE2\x80\xAEgpj.exe.jpg"},
    {"<img src=x onerror=\"document.title='pwned'\">.jpg", PASSES,
     "<img src=x onerror=\"document.title='pwned'\">.jpg",
     "<img src=x onerror=\\\"document.title='pwned'\\\">.jpg",
     "&lt;img src=x onerror=\"document.title='pwned'\"&gt;.jpg"},
    {"<script>document.title='pwned'</script>.jpg", GREY,
     "<script>document.title='pwned'</script>.jpg",
     "<script>document.title='pwned'</script>.jpg",
     "&lt;script&gt;document.title='pwned'&lt;/script&gt;.jpg"},
    {"\"><svg onload=\"document.title='pwned'\">.jpg", NOT_IMAGE,
     "\"><svg onload=\"document.title='pwned'\">.jpg",
     "\\\"><svg onload=\\\"document.title='pwned'\\\">.jpg",
     "\"&gt;&lt;svg onload=\"document.title='pwned'\"&gt;.jpg"},
    {"=HYPERLINK(\"http:/x\")..jpg", PASSES, "=HYPERLINK(\"http:/x\")..jpg",
     "=HYPERLINK(\\\"http:/x\\\")..jpg", "=HYPERLINK(\"http:/x\")..jpg"},
    {"+1.jpg", GREY, "+1.jpg", "+1.jpg", "+1.jpg"},
    {"@SUM(1).jpg", NOT_IMAGE, "@SUM(1).jpg", "@SUM(1).jpg", "@SUM(1).jpg"},
    {"\t=1+2.jpg", TINY, "\\t=1+2.jpg", "\\t=1+2.jpg", PICTURE_TAB "=1+2.jpg"},
    {"&amp;.jpg", PASSES, "&amp;.jpg", "&amp;.jpg", "&amp;amp;.jpg"},
    /* DEL, and U+009B: CSI to a terminal that takes 8-bit controls. */
    {"del\x7F csi\xC2\x9B.jpg", GREY, "del\\x7f csi\\u009b.jpg", "del\x7F csi\xC2\x9B.jpg",
     "del\xE2\x90\xA1 csi\xC2\x9B.jpg"},
};
#define N_NAMES (sizeof names / sizeof names[0])

#define NOT_AN_IMAGE "not an image (a photo, scan or PDF expected)"

static const char *bin;
static char *root;        /* in/ holds every name; names.bin lists them */
static int have_python;

/* ---- a growing string, for shell commands with any bytes in them ---- */

typedef struct {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_add_n(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_add(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf *b, const char *fmt, ...)
{
    char piece[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(piece, sizeof piece, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof piece);
    sb_add_n(b, piece, (size_t)n);
}

/* s in single quotes for sh: every byte but NUL stands for itself. */
static void sb_quoted(strbuf *b, const char *s)
{
    sb_add_n(b, " '", 2);
    for (; *s; s++) {
        if (*s == '\'')
            sb_add_n(b, "'\\''", 4);
        else
            sb_add_n(b, s, 1);
    }
    sb_add_n(b, "'", 1);
}

static char *join(const char *a, const char *b)
{
    strbuf s = {0};
    sb_add_n(&s, a, strlen(a));
    sb_add_n(&s, b, strlen(b));
    return s.s;
}

static char *read_text(const char *path)
{
    char *text = tu_read_text(path);
    assert_non_null(text);
    return text;
}

/* ---- running preflight ---- */

enum mode {
    WALK, /* `in` walked with -r from root: paths are in/<name> */
    ARGS  /* each name given after -- from inside in/: paths are <name> */
};

static const char *const mode_prefix[] = {"in/", ""};

/* Small images keep the many runs quick (under ASan too): every run takes
 * this minimum size instead of the profile's 1500x1100. */
#define RULES "--min-size 160x120"

/* "cd ...; preflight <args> RULES <the names>", stdout captured, or into
 * root/<to> when to is not NULL. */
static int run_mode(enum mode mode, const char *args, const char *to, char **out)
{
    strbuf cmd = {0};
    sb_add(&cmd, "cd '%s/%s' && '%s' %s " RULES, root, mode == WALK ? "" : "in", bin, args);
    if (mode == WALK) {
        sb_add(&cmd, " -r in");
    } else {
        sb_add(&cmd, " --");
        for (size_t i = 0; i < N_NAMES; i++)
            sb_quoted(&cmd, names[i].name);
    }
    if (to)
        sb_add(&cmd, " > '%s/%s'", root, to);
    int status = tu_run(cmd.s, out);
    free(cmd.s);
    return status;
}

/* Where fix -o <out_dir> writes the file: its path under the argument,
 * the extension kept (every name ends in .jpg). s is the name or one of
 * its shown forms. */
static const char *output_rel(enum mode mode, const char *s)
{
    const char *slash = strrchr(s, '/');
    return mode == ARGS && slash ? slash + 1 : s;
}

static int written_by_fix(const struct odd_name *n)
{
    return n->content == PASSES || n->content == TINY;
}

/* ---- fixtures ---- */

/* A w x h JPEG at the highest quality from 90 down that stays under the
 * WeChat limit of 200,000 bytes with room to spare. */
static void write_jpeg(const char *path, uint32_t w, uint32_t h, enum tu_pattern pattern)
{
    uint8_t *rgb = tu_make_rgb(w, h, pattern, 5), *jpg = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    for (int q = 90; q >= 20; q -= 10) {
        free(jpg);
        assert_int_equal(tu_jpeg(rgb, w, h, 3, q, 0, NULL, 0, &jpg, &len), 0);
        if (len < 190000)
            break;
    }
    assert_true(len < 190000);
    assert_int_equal(tu_write(path, jpg, len), 0);
    free(jpg);
    free(rgb);
}

static void write_content(const char *path, enum content content)
{
    static const char text[] = "hello, this is not an image\n";
    switch (content) {
    case PASSES: write_jpeg(path, 240, 180, TU_PATTERN_COLOR); break;
    case GREY: write_jpeg(path, 240, 180, TU_PATTERN_GREY); break;
    case TINY: write_jpeg(path, 120, 90, TU_PATTERN_COLOR); break;
    case NOT_IMAGE:
        assert_int_equal(tu_write(path, (const uint8_t *)text, strlen(text)), 0);
        break;
    }
}

/* in/<name> for every name (with its folder), and names.bin: for the
 * Python checks, "<content letter> <name>" records ending in NUL. */
static int setup_names(void **state)
{
    (void)state;
    bin = tu_pf_bin();
    have_python = tu_have("python3");
    root = tu_mkdtemp();
    if (!root)
        return -1;
    strbuf list = {0};
    for (size_t i = 0; i < N_NAMES; i++) {
        char *path = join(root, "/in/");
        char *file = join(path, names[i].name);
        strbuf mk = {0};
        sb_add(&mk, "mkdir -p \"$(dirname --");
        sb_quoted(&mk, file);
        sb_add(&mk, ")\"");
        assert_int_equal(tu_run(mk.s, NULL), 0);
        write_content(file, names[i].content);
        sb_add(&list, "%c %s", "pgtn"[names[i].content], names[i].name);
        sb_add_n(&list, "", 1);
        free(mk.s), free(file), free(path);
    }
    char *list_path = join(root, "/names.bin");
    assert_int_equal(tu_write(list_path, (const uint8_t *)list.s, list.len), 0);
    free(list_path);
    free(list.s);
    return 0;
}

static int teardown_names(void **state)
{
    (void)state;
    if (root)
        tu_rm_rf(root);
    free(root);
    return 0;
}

/* Removes root<rel>, so that fix starts from an empty output folder. */
static void clear_dir(const char *rel)
{
    char *path = join(root, rel);
    tu_rm_rf(path);
    free(path);
}

/* ---- text ---- */

/* The one line of out that starts with start; fails unless exactly one. */
static const char *line_starting(const char *out, const char *start)
{
    char *needle = join("\n", start);
    char *text = join("\n", out);
    size_t n = tu_count(text, needle);
    const char *hit = strstr(text, needle);
    size_t at = hit ? (size_t)(hit - text) : 0;
    if (n != 1)
        fail_msg("%zu lines start with \"%s\" in:\n%s", n, start, out);
    free(needle);
    free(text);
    return out + at; /* text has one more byte in front */
}

/* Nothing a terminal would obey: no control byte but the newline ending
 * each line, no C1 control, and valid UTF-8 throughout (iconv says). */
static void assert_terminal_safe(const char *out)
{
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7F ||
            (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
            fail_msg("raw control byte 0x%02x at %zu", *p, (size_t)(p - (const unsigned char *)out));
    char *path = join(root, "/text.out");
    assert_int_equal(tu_write(path, (const uint8_t *)out, strlen(out)), 0);
    strbuf cmd = {0};
    sb_add(&cmd, "iconv -f UTF-8 -t UTF-8 '%s' >/dev/null 2>&1", path);
    assert_int_equal(tu_run(cmd.s, NULL), 0);
    free(cmd.s);
    free(path);
}

static size_t file_lines(const char *out)
{
    char *text = join("\n", out);
    size_t n = tu_count(text, "\n\xE2\x9C\x93 ") + tu_count(text, "\n\xE2\x9A\xA0 ") +
               tu_count(text, "\n\xE2\x9C\x97 ");
    free(text);
    return n;
}

/* "<mark> <path>  <status>", how the file's line starts after check, fix
 * or a rerun (fix into the folder the last fix filled). */
static void expected_start(strbuf *b, enum mode mode, const struct odd_name *n, int fix,
                           int rerun)
{
    static const char *const check_status[] = {"pass", "fail", "fail", "error"};
    static const char *const fix_status[] = {"pass", "fail", "fixed", "error"};
    const char *status = fix ? fix_status[n->content] : check_status[n->content];
    if (rerun && written_by_fix(n))
        status = "error";
    const char *mark = !strcmp(status, "pass") ? "\xE2\x9C\x93" /* ✓ */
                       : !strcmp(status, "fixed") ? "\xE2\x9A\xA0" /* ⚠ upscaled */
                                                  : "\xE2\x9C\x97"; /* ✗ */
    sb_add(b, "%s %s%s  %s", mark, mode_prefix[mode], n->text, status);
}

/* What follows the status on the line, where the test knows it exactly:
 * the error, or after fix the arrow and the output path. */
static void assert_line_tail(const char *line, enum mode mode, const struct odd_name *n,
                             int fix, int rerun, const char *out_dir)
{
    const char *end = strchr(line, '\n');
    assert_non_null(end);
    size_t line_len = (size_t)(end + 1 - line);
    strbuf want = {0};
    if (n->content == NOT_IMAGE)
        sb_add(&want, ": " NOT_AN_IMAGE "\n");
    else if (rerun && written_by_fix(n))
        sb_add(&want, ": %s/%s already exists; use --force to overwrite it\n", out_dir,
               output_rel(mode, n->text));
    else if (fix && written_by_fix(n))
        sb_add(&want, " \xE2\x86\x92 %s/%s\n", out_dir, output_rel(mode, n->text)); /* → */
    if (want.s && (line_len < want.len || memcmp(end + 1 - want.len, want.s, want.len)))
        fail_msg("line \"%.*s\" does not end with \"%s\"", (int)line_len, line, want.s);
    free(want.s);
}

/* One line per file, each name shown escaped, in check and fix and in
 * both modes; the summary counts every file. */
static void check_text_report(enum mode mode, int fix, int rerun)
{
    const char *out_dir = mode == WALK ? "out" : "../out";
    char args[256], *out = NULL;
    if (fix && !rerun)
        clear_dir("/out");
    if (fix)
        snprintf(args, sizeof args, "fix -j 3 -o %s", out_dir);
    else
        snprintf(args, sizeof args, "check -j 3");
    assert_int_equal(run_mode(mode, args, NULL, &out), 1);
    assert_int_equal(file_lines(out), N_NAMES);
    for (size_t i = 0; i < N_NAMES; i++) {
        strbuf start = {0};
        expected_start(&start, mode, &names[i], fix, rerun);
        assert_line_tail(line_starting(out, start.s), mode, &names[i], fix, rerun, out_dir);
        free(start.s);
    }
    char summary[64];
    snprintf(summary, sizeof summary, "\n%zu files: ", N_NAMES);
    assert_non_null(strstr(out, summary));
    assert_terminal_safe(out);
    free(out);
}

static void test_text_report_check(void **state)
{
    (void)state;
    check_text_report(WALK, 0, 0);
    check_text_report(ARGS, 0, 0);
}

/* fix writes each output under the input's own name, bytes and all. */
static void assert_outputs(enum mode mode)
{
    for (size_t i = 0; i < N_NAMES; i++) {
        char *dir = join(root, "/out/");
        char *path = join(dir, output_rel(mode, names[i].name));
        struct stat st;
        int exists = stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
        if (exists != written_by_fix(&names[i]))
            fail_msg("out/%s: %s", names[i].text, exists ? "written" : "missing");
        free(path);
        free(dir);
    }
}

/* fix: the arrow names the output; a second fix into the same folder
 * fails each written file with a message quoting both paths, escaped. */
static void test_text_report_fix(void **state)
{
    (void)state;
    for (int mode = WALK; mode <= ARGS; mode++) {
        check_text_report(mode, 1, 0);
        assert_outputs(mode);
        check_text_report(mode, 1, 1);
    }
}

/* Names that start with '-' need "--" (or "./"): without it they are
 * options, and "--help.jpg" is not taken for --help. */
static void test_leading_dash_needs_double_dash(void **state)
{
    (void)state;
    strbuf cmd = {0};
    char *out = NULL;
    sb_add(&cmd, "cd '%s/in' && '%s' check " RULES " --help.jpg 2>/dev/null", root, bin);
    assert_int_equal(tu_run(cmd.s, &out), 2);
    assert_string_equal(out, "");
    free(out), free(cmd.s);
    cmd = (strbuf){0};
    sb_add(&cmd, "cd '%s/in' && '%s' check " RULES " ./-rf.jpg ./--help.jpg", root, bin);
    assert_int_equal(tu_run(cmd.s, &out), 1);
    line_starting(out, "\xE2\x9C\x93 ./-rf.jpg  pass");
    line_starting(out, "\xE2\x9C\x97 ./--help.jpg  fail");
    free(out), free(cmd.s);
}

/* A diagnostic on stderr that names a folder escapes it as the report does. */
static void test_diagnostic_escapes_names(void **state)
{
    (void)state;
    strbuf cmd = {0};
    char *err = NULL;
    sb_add(&cmd, "cd '%s' && mkdir -p 'empty\x1b[2J\n' && '%s' check 'empty\x1b[2J\n' "
           "2>&1 >/dev/null; rmdir 'empty\x1b[2J\n'", root, bin);
    assert_int_equal(tu_run(cmd.s, &err), 0);
    assert_string_equal(err, "preflight: empty\\x1b[2J\\n: no files (use -r for subfolders)\n");
    free(err), free(cmd.s);
}

/* --group-by-folder: one line per folder, its name and the names of the
 * files to redo escaped as in each file's line. */
static void test_group_by_folder_escapes(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(run_mode(WALK, "check --group-by-folder", NULL, &out), 1);
    const char *groups = strstr(out, "\nBy folder:\n");
    assert_non_null(groups);
    groups += strlen("\nBy folder:\n");
    /* in/ itself, "<script>document.title='pwned'<" and "=HYPERLINK("http:". */
    assert_int_equal(tu_count(groups, "\n"), 3);
    assert_int_equal(tu_count(groups, "\n  "), 2);
    assert_non_null(strstr(groups, "  <script>document.title='pwned'<: 1 files, 0 ready, "
                                   "0 fixed, 1 needs a new photo or scan: script>.jpg ("));
    assert_non_null(strstr(groups, "  =HYPERLINK(\"http:: all 1 ready\n"));
    const char *top = strstr(groups, "  (top level): ");
    assert_non_null(top);
    for (size_t i = 0; i < N_NAMES; i++) {
        if (names[i].content == PASSES || strchr(names[i].name, '/'))
            continue;
        char *entry = join(names[i].text, names[i].content == NOT_IMAGE
                                              ? " (" NOT_AN_IMAGE ")" : " (");
        if (!strstr(top, entry))
            fail_msg("\"%s\" not in the (top level) line:\n%s", entry, top);
        free(entry);
    }
    assert_terminal_safe(out);
    free(out);
}

/* ---- JSON ---- */

/* Python checks of a report against names.bin: argv is the report, the
 * form (json, jsonl, csv), the mode's path prefix, the command and the
 * output folder. Paths are each name with its invalid bytes as U+FFFD
 * (Python's "replace" follows the same Unicode practice), in input order;
 * CSV cells with a leading = + - @ tab or CR start with a '. */
static const char python_check[] =
    "import csv, json, sys\n"
    "report, form, prefix, command, out_dir = sys.argv[1:6]\n"
    "recs = [r for r in open(sys.argv[6], 'rb').read().split(b'\\0') if r]\n"
    "def text(b): return b.decode('utf-8', 'replace')\n"
    "def cell(s): return \"'\" + s if s[:1] in ('=', '+', '-', '@', '\\t', '\\r') else s\n"
    "statuses = {'check': ['pass', 'fail', 'fail', 'error'],\n"
    "            'fix': ['pass', 'fail', 'fixed', 'error'],\n"
    "            'rerun': ['error', 'fail', 'error', 'error']}[command]\n"
    "want = []\n"
    "for r in recs:\n"
    "    kind, name = 'pgtn'.index(r[:1].decode()), r[2:]\n"
    "    status = statuses[kind]\n"
    "    rel = name if prefix else name.rsplit(b'/', 1)[-1]\n"
    "    path, out = text(prefix.encode() + name), text(out_dir.encode() + b'/' + rel)\n"
    "    written = kind in (0, 2)\n"
    "    error = None  # a message that starts with the path\n"
    "    if kind == 1: error = path + ': grey-scale copy; rescan the original in colour'\n"
    "    elif kind == 2 and command == 'check':\n"
    "        error = path + \": run 'preflight fix' to make a compliant copy\"\n"
    "    elif kind == 3: error = path + ': not an image (a photo, scan or PDF expected)'\n"
    "    elif command == 'rerun' and written:\n"
    "        error = path + ': ' + out + ' already exists; use --force to overwrite it'\n"
    "    output = out if command == 'fix' and written else None\n"
    "    want.append((path, status, output, error))\n"
    "if prefix:  # the walk sorts each folder by bytes\n"
    "    order = sorted(range(len(recs)), key=lambda i: recs[i][2:].split(b'/'))\n"
    "    want = [want[i] for i in order]\n"
    "def check(got):\n"
    "    assert len(got) == len(want), (len(got), len(want))\n"
    "    for g, w in zip(got, want): assert g == w, (g, w)\n"
    "if form == 'json':\n"
    "    files = json.load(open(report, encoding='utf-8'))['files']\n"
    "    check([(f['path'], f['status'], f['output'], f['error']) for f in files])\n"
    "elif form == 'jsonl':\n"
    "    lines = [json.loads(l) for l in open(report, encoding='utf-8')]\n"
    "    assert lines[-1]['summary']['files'] == len(want), lines[-1]\n"
    "    files = sorted(lines[:-1], key=lambda f: f['index'])\n"
    "    assert [f['index'] for f in files] == list(range(len(want)))\n"
    "    check([(f['path'], f['status'], f['output'], f['error']) for f in files])\n"
    "else:\n"
    "    rows = list(csv.reader(open(report, encoding='utf-8-sig', newline='')))\n"
    "    assert rows[0][0] == 'path' and 'message' in rows[0], rows[0]\n"
    "    mi = rows[0].index('message')\n"
    "    n = len(want)\n"
    "    assert rows[n + 1] == [] and rows[n + 2][0] == 'folder', rows[n:]  # then the folders\n"
    "    want = [(cell(p), s, o and cell(o), e and cell(e)) for p, s, o, e in want]\n"
    "    check([(r[0], r[1], r[6] or None, r[mi] or None) for r in rows[1:n + 1]])\n";

/* Runs python_check on report; says so and skips it without python3. */
static void python_verify(const char *report, const char *form, enum mode mode,
                          const char *command, const char *out_dir)
{
    if (!have_python) {
        fprintf(stderr, "python3 missing: %s report not parsed\n", form);
        return;
    }
    char *script = join(root, "/check.py");
    assert_int_equal(tu_write(script, (const uint8_t *)python_check, strlen(python_check)), 0);
    strbuf cmd = {0};
    char *out = NULL;
    sb_add(&cmd, "python3 '%s' '%s' %s '%s' %s '%s' '%s/names.bin' 2>&1", script, report,
           form, mode_prefix[mode], command, out_dir, root);
    int status = tu_run(cmd.s, &out);
    if (status != 0)
        fail_msg("%s %s report:\n%s", command, form, out);
    free(out), free(cmd.s), free(script);
}

/* Without Python too: each name's JSON literal is there, in its path and,
 * for a file that is not an image, in its error message. */
static void assert_json_literals(const char *json, enum mode mode)
{
    for (size_t i = 0; i < N_NAMES; i++) {
        strbuf want = {0};
        sb_add(&want, "\"path\":\"%s%s\",", mode_prefix[mode], names[i].json);
        if (!strstr(json, want.s))
            fail_msg("%s not in the JSON", want.s);
        if (names[i].content == NOT_IMAGE) {
            free(want.s);
            want = (strbuf){0};
            sb_add(&want, "\"error\":\"%s%s: " NOT_AN_IMAGE "\"", mode_prefix[mode],
                   names[i].json);
            if (!strstr(json, want.s))
                fail_msg("%s not in the JSON", want.s);
        }
        free(want.s);
    }
}

/* One run with --json or --jsonl ("check", "fix" into an empty folder or
 * "rerun": fix into the folder the last fix filled), checked both ways. */
static void check_json_run(enum mode mode, const char *command, const char *form)
{
    const char *out_dir = mode == WALK ? "out" : "../out";
    char args[256], report[32];
    int fix = strcmp(command, "check") != 0;
    if (!strcmp(command, "fix"))
        clear_dir("/out");
    snprintf(args, sizeof args, "%s -j 3 --%s%s%s", fix ? "fix" : "check", form,
             fix ? " -o " : "", fix ? out_dir : "");
    snprintf(report, sizeof report, "report.%s", form);
    assert_int_equal(run_mode(mode, args, report, NULL), 1);
    char *path = join(root, "/");
    char *report_path = join(path, report);
    char *text = read_text(report_path);
    assert_json_literals(text, mode);
    python_verify(report_path, form, mode, command, out_dir);
    free(text), free(report_path), free(path);
}

/* --json and --jsonl for check, fix and a fix into a full folder: valid,
 * every path and message exactly the name (U+FFFD for invalid bytes). */
static void test_json_and_jsonl(void **state)
{
    (void)state;
    static const char *const commands[] = {"check", "fix", "rerun"};
    for (int mode = WALK; mode <= ARGS; mode++)
        for (int c = 0; c < 3; c++) {
            check_json_run(mode, commands[c], "json");
            check_json_run(mode, commands[c], "jsonl");
        }
}

/* ---- CSV ---- */

static void assert_csv_has(const char *csv, const char *fmt, const char *prefix)
    __attribute__((format(printf, 2, 0)));
static void assert_csv_has(const char *csv, const char *fmt, const char *prefix)
{
    char want[512];
    snprintf(want, sizeof want, fmt, prefix);
    if (!strstr(csv, want))
        fail_msg("CSV has no \"%s\"", want);
}

/* --csv: one row per file, the path cell the name (U+FFFD for invalid
 * bytes), a formula-like cell defused with a leading '; the newline and
 * quotes inside their quoted cell. */
static void test_csv(void **state)
{
    (void)state;
    for (int mode = WALK; mode <= ARGS; mode++) {
        char args[256], *out = NULL;
        snprintf(args, sizeof args, "check --group-by-folder --csv '%s/report.csv'", root);
        assert_int_equal(run_mode(mode, args, NULL, &out), 1);
        free(out);
        char *report = join(root, "/report.csv");
        python_verify(report, "csv", mode, "check", mode == WALK ? "out" : "../out");
        char *csv = read_text(report);
        const char *in = mode_prefix[mode];
        assert_null(strstr(csv, "\xFF")); /* U+FFFD instead: the file is UTF-8 */
        assert_csv_has(csv, "\r\n\"%snew\nline.jpg\",\"fail\",", in);
        assert_csv_has(csv, "\r\n\"%ssay \"\"hi\"\".jpg\",\"fail\",", in);
        assert_csv_has(csv, "\r\n\"%s" FFFD FFFD ".jpg\",\"pass\",", in);
        if (mode == ARGS) {
            assert_non_null(strstr(csv, "\r\n\"'-rf.jpg\",\"pass\","));
            assert_non_null(strstr(csv, "\r\n\"'=HYPERLINK(\"\"http:/x\"\")..jpg\",\"pass\","));
            assert_non_null(strstr(csv, "\r\n\"'+1.jpg\",\"fail\","));
            assert_non_null(strstr(csv, "\r\n\"'\t=1+2.jpg\",\"fail\","));
            /* The message, then the empty gps cell and the image checks'. */
            assert_non_null(strstr(csv, ",\"'@SUM(1).jpg: " NOT_AN_IMAGE "\",\"\","));
        } else {
            /* The folder table: a folder named like a formula, defused. */
            assert_non_null(strstr(csv, "\r\n\"'=HYPERLINK(\"\"http:\",\"1\",\"1\","));
        }
        free(csv), free(report);
    }
}

/* ---- HTML ---- */

static char *render_html(const char *html_path, const char *hash)
{
    char *dom = tu_render_html(html_path, hash);
    assert_non_null(dom);
    return dom;
}

/* Every <img> in the DOM is one of the report's thumbnails. */
static void assert_only_thumbnails(const char *dom)
{
    static const char input[] = "<img alt=\"input\" src=\"data:image/jpeg;base64,";
    static const char output[] = "<img alt=\"output\" src=\"data:image/jpeg;base64,";
    for (const char *p = dom; (p = strstr(p, "<img")); p++)
        if (strncmp(p, input, strlen(input)) != 0 && strncmp(p, output, strlen(output)) != 0)
            fail_msg("an <img> the report did not make: %.80s", p);
}

/* The name cell of each file: the path as text, and after fix the output. */
static void assert_name_cells(const char *dom)
{
    for (size_t i = 0; i < N_NAMES; i++) {
        strbuf want = {0};
        sb_add(&want, "<td class=\"name\">in/%s", names[i].html);
        if (written_by_fix(&names[i]))
            sb_add(&want, "<br>\xE2\x86\x92 out/%s</td>", names[i].html); /* → */
        else
            sb_add(&want, "</td>");
        if (tu_count(dom, want.s) != 1)
            fail_msg("%zu cells \"%s\"", tu_count(dom, want.s), want.s);
        free(want.s);
    }
}

/* --html in headless Chromium: names that are markup and script stay text
 * (the title is the report's, no element or script of theirs exists), each
 * name is shown exactly, and the counts and the status filter still work. */
static void test_html_report_in_chromium(void **state)
{
    (void)state;
    if (!tu_have("chromium")) {
        fprintf(stderr, "chromium missing: HTML report not rendered (CI installs it)\n");
        return;
    }
    char *out = NULL, *html = join(root, "/report.html");
    clear_dir("/out");
    assert_int_equal(run_mode(WALK, "fix --group-by-folder --html report.html -o out", NULL, &out), 1);
    free(out);
    char *dom = render_html(html, "");
    assert_int_equal(tu_count(dom, "<title>"), 1);
    assert_non_null(strstr(dom, "<title>preflight report</title>"));
    assert_null(strstr(dom, "pwned</title>"));
    assert_int_equal(tu_count(dom, "<script"), 1); /* the page's own */
    assert_null(strstr(dom, "<svg"));
    assert_only_thumbnails(dom);
    assert_name_cells(dom);
    /* The folder table: folder names are text too. */
    assert_non_null(strstr(dom, "<tr><td>&lt;script&gt;document.title='pwned'&lt;</td>"));
    char counts[256];
    snprintf(counts, sizeof counts, "<span id=\"count-all\">%zu</span>", N_NAMES);
    assert_non_null(strstr(dom, counts));
    assert_non_null(strstr(dom, "<span id=\"count-pass\">9</span>"));
    assert_non_null(strstr(dom, "<span id=\"count-fixed\">4</span>"));
    assert_non_null(strstr(dom, "<span id=\"count-fail\">7</span>"));
    assert_non_null(strstr(dom, "<span id=\"count-error\">6</span>"));
    assert_int_equal(tu_count(dom, "style=\"display: none;\""), 0);
    free(dom);
    dom = render_html(html, "#error");
    assert_int_equal(tu_count(dom, "style=\"display: none;\""), N_NAMES - 6);
    assert_non_null(strstr(dom, "<body data-filter=\"error\">"));
    free(dom);
    free(html);
}

/* ---- scripts/preflight-drop ---- */

/* Dropped items with a leading '-', spaces and a newline, from a folder
 * whose name ends in a newline: each passed whole to preflight (one line
 * each), the copies in preflight-ready/ inside that very folder. */
static void test_drop_script(void **state)
{
    (void)state;
    static const char *const dropped[] = {"-rf.jpg", "dou  ble.jpg", "new\nline.jpg"};
    const char *testdata = getenv("PF_TESTDATA");
    if (!testdata) {
        fprintf(stderr, "PF_TESTDATA unset: drop script not run\n");
        return;
    }
    strbuf cmd = {0};
    char *out = NULL;
    sb_add(&cmd, "d='%s/drop\n' && mkdir -p \"$d\" && cd '%s/in' && cp --", root, root);
    for (size_t i = 0; i < 3; i++)
        sb_quoted(&cmd, dropped[i]);
    sb_add(&cmd, " \"$d\" && cd \"$d\" && env -u DISPLAY -u WAYLAND_DISPLAY PREFLIGHT='%s' "
           "PREFLIGHT_ARGS='" RULES "' sh '%s/../scripts/preflight-drop'", bin, testdata);
    for (size_t i = 0; i < 3; i++)
        sb_quoted(&cmd, dropped[i]);
    sb_add(&cmd, " </dev/null; echo \"exit $?\"");
    assert_int_equal(tu_run(cmd.s, &out), 0);
    line_starting(out, "\xE2\x9C\x93 -rf.jpg  pass");
    line_starting(out, "\xE2\x9C\x93 dou  ble.jpg  pass");
    line_starting(out, "\xE2\x9C\x97 new\\nline.jpg  fail");
    assert_int_equal(file_lines(out), 3);
    assert_non_null(strstr(out, "\nexit 1\n")); /* the grey one fails */
    free(out), free(cmd.s);
    /* The copies, by name, in drop<newline>/preflight-ready. */
    cmd = (strbuf){0};
    sb_add(&cmd, "cd '%s/drop\n/preflight-ready' && test -s report.html && test -s ./-rf.jpg "
           "&& test -s 'dou  ble.jpg' && ! test -e 'new\nline.jpg' && ! test -e '%s/drop'",
           root, root);
    assert_int_equal(tu_run(cmd.s, NULL), 0);
    free(cmd.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_report_check),
        cmocka_unit_test(test_text_report_fix),
        cmocka_unit_test(test_leading_dash_needs_double_dash),
        cmocka_unit_test(test_group_by_folder_escapes),
        cmocka_unit_test(test_diagnostic_escapes_names),
        cmocka_unit_test(test_json_and_jsonl),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_html_report_in_chromium),
        cmocka_unit_test(test_drop_script),
    };
    return cmocka_run_group_tests(tests, setup_names, teardown_names);
}
