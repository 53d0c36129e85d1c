/* Internal interfaces of the preflight command line program. Not installed:
 * the library (preflight.h) never prints; everything printed lives here. */
#ifndef PF_CLI_H
#define PF_CLI_H

#include "preflight.h"
#include "i18n.h"

#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>

/* Exit statuses (see man/preflight.1, EXIT STATUS). */
#define CLI_EXIT_OK 0       /* every file passed or was fixed */
#define CLI_EXIT_FAIL 1     /* some file failed or could not be read */
#define CLI_EXIT_USAGE 2    /* bad command line */
#define CLI_EXIT_INTERRUPTED 130 /* Ctrl-C: the report so far was printed */

/* ---- cli_options.c ---- */

typedef enum { CLI_CMD_CHECK, CLI_CMD_FIX } cli_command;
typedef enum { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER } cli_color;

typedef struct {
    cli_command command;
    pf_rules rules;          /* profile with the command-line overrides */
    pf_options fix_options;  /* quality range, upscaling, metadata, force */
    const char *output_dir;  /* fix only */
    const char *debug_mask;  /* --debug-mask FILE.png, or NULL */
    int recursive;
    int all_pages;           /* fix --pages all: every page of a PDF/TIFF */
    int jobs;                /* -j: worker threads (0: one per CPU) */
    int json;
    int jsonl;               /* one JSON object per line, as files finish */
    const char *csv;         /* --csv FILE */
    int group_by_folder;     /* per top-level folder summary */
    const char *html;        /* --html FILE */
    int quiet;               /* text: hide lines of clean passes */
    int fail_on_warn;        /* --fail-on warn: warnings fail the run */
    cli_color color;
    char **paths;            /* points into argv */
    int n_paths;
} cli_options;

/* What cli_parse_options decided. */
typedef enum {
    CLI_PARSE_RUN,        /* options filled: run the command */
    CLI_PARSE_DONE,       /* --help or --version printed: exit 0 */
    CLI_PARSE_USAGE_ERROR, /* message printed on stderr: exit 2 */
    CLI_PARSE_PROFILES,   /* internal: the profiles command was named */
    CLI_PARSE_SERVE       /* the serve command: cli_serve_command runs it */
} cli_parse_result;

cli_parse_result cli_parse_options(int argc, char **argv, cli_options *opts);
/* "preflight: MESSAGE" then hint (e.g. "Try 'preflight --help' ..."), on
 * stderr: every usage error of the program. */
void cli_vusage_error(const char *hint, const char *fmt, va_list ap);
void cli_print_usage(FILE *out);

/* ---- cli_lang.c ---- */

/* Chooses the language before anything is printed: --lang zh|en, else the
 * environment; Chinese works under a C.UTF-8-only system too. Binds the
 * catalogue (the build tree's, else the installed one). 1 for Chinese. */
int cli_setup_language(int argc, char **argv);
/* What cli_setup_language chose (the HTML report's lang attribute). */
int cli_language_is_chinese(void);
/* Columns s takes on a terminal (CJK characters two each). */
int cli_text_width(const char *s);
/* Writes s and spaces up to width columns. */
void cli_pad(FILE *out, const char *s, int width);

/* ---- cli_profiles.c ---- */

/* The built-in profiles and those of /etc/preflight/profiles.ini,
 * $XDG_CONFIG_HOME/preflight/profiles.ini and each rules file, in that
 * order (a later profile replaces an earlier one of its name). NULL after
 * printing what is wrong (a usage error). */
pf_profiles *cli_load_profiles(const char *const *rules_files, int n_files);
void cli_print_profile_names(FILE *out, const pf_profiles *set);
/* A profile's rules in one line: "204,800–8,000,000 B, JPEG/PNG, ...". */
void cli_describe_rules(const pf_rules *rules, char *buf, size_t cap);
/* `profiles --json`'s document for set. */
void cli_profiles_json(FILE *out, const pf_profiles *set);
/* `preflight profiles [--json] [--rules FILE]`: argv[0] is "profiles". */
cli_parse_result cli_profiles_command(int argc, char **argv);

/* ---- cli_walk.c ---- */

/* One file to process. */
typedef struct {
    char *path;      /* as given, or joined under the directory given */
    char *out_stem;  /* fix: output path without extension; NULL for check */
    int walk_errno;  /* nonzero: directory could not be read (path is it) */
    char *group;     /* top-level folder under its PATH argument ("": none) */
    int page;        /* the page of a PDF or TIFF, 0-based */
} cli_job;

typedef struct {
    cli_job *jobs;
    size_t n_jobs, cap;
} cli_job_list;

/* Expands the PATH arguments into files: directories are walked (sorted,
 * dot-entries skipped, symlinked directories not followed when recursing).
 * out_dir non-NULL assigns output stems mirroring the input layout.
 * Returns 0, or -1 when out of memory (message printed). */
int cli_walk_paths(char *const *paths, int n_paths, int recursive,
                   const char *out_dir, cli_job_list *list);
void cli_job_list_free(cli_job_list *list);
/* fix --pages all: each PDF or TIFF of several pages becomes one job per
 * page, the second writing NAME-p2 and so on. -1 when out of memory. */
int cli_expand_pages(cli_job_list *list);

/* mkdir -p for the folder that will hold out_stem. 0 or -1 with errno. */
int cli_make_parent_dirs(const char *out_stem);

/* ---- cli_pool.c ---- */

/* work(arg, i, report, worker) processes file i into report on worker
 * thread `worker` (0..workers-1); finished(arg, i, report) (may be NULL)
 * runs right after, in completion order, one call at a time; done(arg, i,
 * report) runs on the calling thread in input order. stopped(arg) (may be NULL) ends the batch early:
 * files in hand finish, no more are started. Returns how many were done. */
typedef void (*cli_work_fn)(void *arg, size_t index, pf_report *report, int worker);
typedef void (*cli_done_fn)(void *arg, size_t index, pf_report *report);
typedef int (*cli_stop_fn)(void *arg);
size_t cli_pool_run(size_t n, int workers, cli_work_fn work, cli_done_fn finished,
                    cli_done_fn done, cli_stop_fn stopped, void *arg);

/* ---- cli_pipe.c ---- */

/* `fix -o - -` or `check -`: one image on stdin. */
int cli_is_pipe_mode(const cli_options *opts);
/* Runs it with ctx; returns the exit status. */
int cli_run_pipe(const cli_options *opts, pf_ctx *ctx);

/* ---- cli_groups.c: --group-by-folder ---- */

typedef struct {
    char *name;             /* top-level folder; "" for files given directly */
    int files, ready, fixed, need;
    char *needs;            /* "file (what to do); ..." */
    size_t needs_len;
} cli_group;

typedef struct {
    cli_group *g;
    size_t n, cap;
} cli_groups;

void cli_groups_add(cli_groups *gs, const char *group, const char *path,
                    const pf_report *report);
void cli_groups_print(const cli_groups *gs, FILE *out);
void cli_groups_csv(const cli_groups *gs, FILE *csv);
void cli_groups_free(cli_groups *gs);

/* ---- cli_html.c: --html FILE ---- */

typedef struct {
    uint8_t *in, *out;      /* thumbnails (JPEG) of the input and the output */
    size_t in_len, out_len;
} cli_thumbs;

void cli_html_text(FILE *out, const char *s); /* HTML-escaped */
/* The page up to the table; its header names the profile and its source. */
void cli_html_begin(FILE *out, const char *command, const pf_rules *rules);
void cli_html_file(FILE *out, size_t index, const char *path, const pf_report *r,
                   const cli_thumbs *thumbs);
void cli_html_end(FILE *out, const cli_groups *groups);

/* ---- cli_progress.c ---- */

typedef struct {
    size_t total;
    int enabled, shown;
    double start;
} cli_progress;

void cli_progress_init(cli_progress *p, size_t total, int quiet);
void cli_progress_update(cli_progress *p, size_t done, const char *current);
void cli_progress_clear(cli_progress *p);  /* before printing a report line */
void cli_progress_finish(cli_progress *p);

/* ---- cli_json.c ---- */

/* Writes s as a JSON string literal (with the quotes). Any bytes give valid
 * JSON: control characters are escaped, invalid UTF-8 becomes \ufffd. */
void cli_json_string(FILE *out, const char *s);
/* Like cli_json_string but with an explicit length (may hold NUL bytes). */
void cli_json_string_n(FILE *out, const char *s, size_t len);
/* 1 when text is a number by the JSON grammar (so it may be written raw). */
int cli_json_is_number(const char *text);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
size_t cli_utf8_sequence_length(const unsigned char *s, size_t avail);
/* The next piece of s (avail >= 1): a valid sequence (*valid 1), or the
 * invalid bytes that one U+FFFD stands for (*valid 0). Never 0. */
size_t cli_utf8_step(const unsigned char *s, size_t avail, int *valid);
/* Writes s[0..len) through write_piece, one cli_utf8_step piece a call:
 * each report format says how it shows a character and an invalid run. */
typedef void (*cli_piece_fn)(FILE *out, const unsigned char *p, size_t n, int valid);
void cli_utf8_write(FILE *out, const char *s, size_t len, cli_piece_fn write_piece);

/* ---- cli_report.c ---- */


typedef struct {
    int pass, fixed, fail, error;
    int warned;             /* passed or fixed, with a warning */
} cli_summary;

typedef struct {
    FILE *out;
    int json;
    int jsonl;              /* lines come from cli_report_finished */
    FILE *csv;              /* NULL: no CSV report */
    int quiet;
    int color;              /* ANSI colours on */
    const char *command;    /* "check" or "fix" */
    const pf_rules *rules;
    int fail_on_warn;
    size_t n_files;
    cli_summary summary;
    /* JSON: writes more members (",\"key\":...") at the end of each file's
     * object (serve's "image"); NULL for none. */
    void (*file_extra)(FILE *out, void *arg);
    void *file_extra_arg;
} cli_reporter;

void cli_report_begin(cli_reporter *reporter);
void cli_report_file(cli_reporter *reporter, const char *path,
                     const pf_report *report);
void cli_report_end(cli_reporter *reporter);
/* What became of the input's GPS position: "" (it had none), "present"
 * (nothing written: check, or a fix that failed), "removed" or "kept". */
const char *cli_gps_state(const pf_report *report);
/* The note for an input whose GPS position nothing written removed (the
 * text and HTML reports), or NULL. */
const char *cli_gps_note(const pf_report *report);
/* Text from a file name for the text report: control characters, invalid
 * UTF-8 and backslashes shown as backslash escapes (\n, \x1b, \xff, \\). */
void cli_text_safe(FILE *out, const char *s);
/* The rules as a JSON object (the report's "rules"). */
void cli_json_rules_object(FILE *out, const pf_rules *rules);
/* One CSV cell: quoted, quotes doubled, formula-like text defused, bytes
 * that are not UTF-8 as U+FFFD. */
void cli_csv_field(FILE *out, const char *s, int first);
/* --jsonl: file `index` has just finished (any order; calls serialised). */
void cli_report_finished(cli_reporter *reporter, size_t index, const char *path,
                         const pf_report *report);
/* Exit status for what was reported so far. */
int cli_report_exit_status(const cli_reporter *reporter);

/* ---- cli_run.c ---- */

/* Runs check or fix over the expanded paths; returns the exit status. */
int cli_run(const cli_options *opts);
/* Makes sure a failed library call never counts as a pass (st: what the
 * call returned). */
void cli_settle_status(pf_ctx *ctx, pf_status st, pf_report *report);

/* ---- src/serve/serve.c ---- */

/* `preflight serve [OPTIONS]`: argv[0] is "serve". Returns the exit status. */
int cli_serve_command(int argc, char **argv);

#endif
