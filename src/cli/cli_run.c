/* Runs check or fix over every file and reports each as it is done. A bad
 * file becomes a "fail" or "error" entry; the batch always goes on. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int want_color(cli_color mode)
{
    if (mode != CLI_COLOR_AUTO)
        return mode == CLI_COLOR_ALWAYS;
    const char *term = getenv("TERM");
    const char *no_color = getenv("NO_COLOR"); /* no-color.org */
    return isatty(STDOUT_FILENO) && !(no_color && *no_color) &&
           !(term && strcmp(term, "dumb") == 0);
}

/* A file the library never saw (unreadable folder, no output folder). */
static void set_cli_error(pf_report *report, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_cli_error(pf_report *report, const char *fmt, ...)
{
    va_list ap;
    report->status = PF_FILE_ERROR;
    report->error = PF_ERR_IO;
    va_start(ap, fmt);
    vsnprintf(report->message, sizeof report->message, fmt, ap);
    va_end(ap);
}

/* The library fills the report on every outcome; this only guards the
 * promise, so a failed call can never be counted as a pass. */
void cli_settle_status(pf_ctx *ctx, pf_status st, pf_report *report)
{
    if (st == PF_OK || report->status == PF_FILE_FAIL ||
        report->status == PF_FILE_ERROR)
        return;
    report->status = PF_FILE_ERROR;
    report->error = st;
    report->has_output = 0;
    if (!report->message[0])
        snprintf(report->message, sizeof report->message, "%s",
                 pf_ctx_error(ctx)[0] ? pf_ctx_error(ctx) : pf_strerror(st));
}

static void process_job(pf_ctx *ctx, const cli_options *opts,
                        const cli_job *job, pf_report *report)
{
    pf_status st;
    memset(report, 0, sizeof *report);
    report->quality = -1;
    if (job->walk_errno) {
        set_cli_error(report, _("%s: cannot read the folder: %s"), job->path,
                      strerror(job->walk_errno));
        return;
    }
    if (pf_ctx_options(ctx)->page != job->page) {
        pf_options o = *pf_ctx_options(ctx);
        o.page = job->page;
        pf_ctx_set_options(ctx, &o);
    }
    if (opts->command == CLI_CMD_CHECK) {
        st = pf_check_file(ctx, job->path, report);
    } else {
        if (cli_make_parent_dirs(job->out_stem) != 0) {
            const char *slash = strrchr(job->out_stem, '/');
            set_cli_error(report, _("%s: %.*s/: cannot create the folder (%s); "
                                    "choose another folder with -o"), job->path,
                          slash ? (int)(slash - job->out_stem) : 1,
                          slash ? job->out_stem : ".", strerror(errno));
            return;
        }
        st = pf_fix_file(ctx, job->path, job->out_stem, report);
    }
    cli_settle_status(ctx, st, report);
}

/* Workers for the batch, and threads each call may use: -j is the total. */
static int plan_threads(const cli_options *opts, size_t n_files, int *per_call)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int total = opts->jobs > 0 ? opts->jobs : cpus > 0 ? (int)(cpus < 256 ? cpus : 256) : 1;
    int workers = n_files < (size_t)total ? (int)(n_files ? n_files : 1) : total;
    *per_call = total / workers > 1 ? total / workers : 1;
    return workers;
}

static int configure(pf_ctx *ctx, const cli_options *opts, int per_call)
{
    pf_options o = opts->fix_options;
    o.threads = per_call;
    if (pf_ctx_set_rules(ctx, &opts->rules) != PF_OK ||
        pf_ctx_set_options(ctx, &o) != PF_OK) {
        fprintf(stderr, _("preflight: invalid settings%s%s\n"),
                pf_ctx_error(ctx)[0] ? ": " : "", pf_ctx_error(ctx));
        return -1;
    }
    return 0;
}

typedef struct {
    const cli_options *opts;
    const cli_job_list *jobs;
    pf_ctx **ctx;           /* one per worker */
    cli_reporter *reporter;
    cli_progress progress;
    size_t reported;
    cli_groups groups;      /* --group-by-folder */
    FILE *html;             /* --html */
    cli_thumbs *thumbs;     /* per file, made by the worker, freed once shown */
} batch;

/* Ctrl-C: the batch stops claiming files; those in hand finish (outputs are
 * written whole or not at all), and the report so far is printed. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int stop_requested(void *arg)
{
    (void)arg;
    return interrupted != 0;
}

#define THUMB_SIDE 160

/* A thumbnail of the file at path; nothing when it cannot be made. */
static void thumbnail_of(pf_ctx *ctx, const char *path, uint8_t **jpg, size_t *len)
{
    uint8_t *data = NULL;
    size_t n = 0;
    if (pf_read_file(path, (size_t)1 << 29, &data, &n) == PF_OK)
        pf_thumbnail_jpeg(ctx, data, n, THUMB_SIDE, jpg, len);
    free(data);
}

static void work_one(void *arg, size_t i, pf_report *report, int worker)
{
    batch *b = arg;
    process_job(b->ctx[worker], b->opts, &b->jobs->jobs[i], report);
    if (!b->thumbs || b->jobs->jobs[i].walk_errno)
        return;
    cli_thumbs *t = &b->thumbs[i];
    thumbnail_of(b->ctx[worker], b->jobs->jobs[i].path, &t->in, &t->in_len);
    if (report->has_output && report->output_path[0])
        thumbnail_of(b->ctx[worker], report->output_path, &t->out, &t->out_len);
}

static void report_one(void *arg, size_t i, pf_report *report)
{
    batch *b = arg;
    cli_progress_clear(&b->progress);
    cli_report_file(b->reporter, b->jobs->jobs[i].path, report);
    if (b->opts->group_by_folder)
        cli_groups_add(&b->groups, b->jobs->jobs[i].group, b->jobs->jobs[i].path,
                       report);
    if (b->html) {
        cli_html_file(b->html, i, b->jobs->jobs[i].path, report,
                      b->thumbs ? &b->thumbs[i] : NULL);
        if (b->thumbs) {
            pf_free(b->thumbs[i].in);
            pf_free(b->thumbs[i].out);
            memset(&b->thumbs[i], 0, sizeof b->thumbs[i]);
        }
    }
    cli_progress_update(&b->progress, ++b->reported, b->jobs->jobs[i].path);
}

static void finished_one(void *arg, size_t i, pf_report *report)
{
    batch *b = arg;
    cli_report_finished(b->reporter, i, b->jobs->jobs[i].path, report);
}

static void free_contexts(pf_ctx **ctx, int n)
{
    for (int i = 0; ctx && i < n; i++)
        pf_ctx_free(ctx[i]);
    free(ctx);
}

/* One configured context per worker; NULL (message printed) on failure. */
static pf_ctx **make_contexts(const cli_options *opts, int workers, int per_call,
                              int *usage)
{
    pf_ctx **ctx = calloc((size_t)workers, sizeof *ctx);
    for (int i = 0; ctx && i < workers; i++) {
        if (!(ctx[i] = pf_ctx_new())) {
            fputs(_("preflight: out of memory\n"), stderr);
            free_contexts(ctx, workers);
            return NULL;
        }
        if (configure(ctx[i], opts, per_call) != 0) {
            *usage = 1;
            free_contexts(ctx, workers);
            return NULL;
        }
    }
    if (!ctx)
        fputs(_("preflight: out of memory\n"), stderr);
    return ctx;
}

/* --debug-mask: the measured background of the one input, as a PNG.
 * Diagnostics only: a failure is reported on stderr, the check goes on. */
static void write_debug_mask(pf_ctx *ctx, const char *in_path, const char *png_path)
{
    uint8_t *data = NULL, *png = NULL;
    size_t len = 0, png_len = 0;
    pf_status st = pf_read_file(in_path, (size_t)1 << 29, &data, &len);
    if (st == PF_OK)
        st = pf_background_mask_png(ctx, data, len, in_path, &png, &png_len);
    if (st == PF_OK)
        st = pf_write_file_atomic(png_path, png, png_len, 1);
    if (st != PF_OK)
        fprintf(stderr, "preflight: --debug-mask %s: %s%s%s\n", png_path,
                pf_strerror(st), pf_ctx_error(ctx)[0] ? ": " : "", pf_ctx_error(ctx));
    free(data);
    pf_free(png);
}

int cli_run(const cli_options *opts)
{
    int status = CLI_EXIT_FAIL, workers = 1, per_call = 1, usage = 0;
    cli_job_list jobs = {0};
    cli_reporter reporter = {
        .out = stdout, .json = opts->json, .jsonl = opts->jsonl, .quiet = opts->quiet,
        .color = !opts->json && !opts->jsonl && want_color(opts->color),
        .command = opts->command == CLI_CMD_FIX ? "fix" : "check",
        .rules = &opts->rules, .fail_on_warn = opts->fail_on_warn,
    };
    pf_ctx **ctx = NULL;
    if (cli_is_pipe_mode(opts)) {
        if (!(ctx = make_contexts(opts, 1, 2, &usage)))
            return usage ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        status = cli_run_pipe(opts, ctx[0]);
        free_contexts(ctx, 1);
        return status;
    }
    if (cli_walk_paths(opts->paths, opts->n_paths, opts->recursive,
                       opts->command == CLI_CMD_FIX ? opts->output_dir : NULL,
                       &jobs) != 0)
        goto cleanup;
    if (opts->all_pages && opts->command == CLI_CMD_FIX && cli_expand_pages(&jobs) != 0) {
        fputs(_("preflight: out of memory listing files\n"), stderr);
        goto cleanup;
    }
    workers = plan_threads(opts, jobs.n_jobs, &per_call);
    if (!(ctx = make_contexts(opts, workers, per_call, &usage))) {
        status = usage ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto cleanup;
    }
    if (opts->debug_mask && jobs.n_jobs != 1) {
        fprintf(stderr, _("preflight: --debug-mask draws one image; %s holds %zu\n"),
                opts->paths[0], jobs.n_jobs);
        status = CLI_EXIT_USAGE;
        goto cleanup;
    }
    if (opts->debug_mask)
        write_debug_mask(ctx[0], jobs.jobs[0].path, opts->debug_mask);
    if (opts->csv && !(reporter.csv = fopen(opts->csv, "wb"))) {
        fprintf(stderr, _("preflight: cannot write --csv %s: %s\n"), opts->csv,
                strerror(errno));
        goto cleanup;
    }
    batch b = {opts, &jobs, ctx, &reporter, {0}, 0, {0}, NULL, NULL};
    if (opts->html && (!(b.html = fopen(opts->html, "wb")) ||
                       !(b.thumbs = calloc(jobs.n_jobs ? jobs.n_jobs : 1,
                                           sizeof *b.thumbs)))) {
        fprintf(stderr, _("preflight: cannot write --html %s: %s\n"), opts->html,
                strerror(errno ? errno : ENOMEM));
        if (b.html)
            fclose(b.html);
        goto cleanup;
    }
    if (b.html)
        cli_html_begin(b.html, reporter.command, &opts->rules);
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    cli_progress_init(&b.progress, jobs.n_jobs, opts->quiet || opts->jsonl);
    cli_report_begin(&reporter);
    size_t done = cli_pool_run(jobs.n_jobs, workers, work_one,
                               opts->jsonl ? finished_one : NULL, report_one,
                               stop_requested, &b);
    cli_progress_finish(&b.progress);
    cli_report_end(&reporter);
    if (!opts->json && !opts->jsonl)
        cli_groups_print(&b.groups, stdout);
    if (reporter.csv)
        cli_groups_csv(&b.groups, reporter.csv);
    if (b.html) {
        cli_html_end(b.html, opts->group_by_folder ? &b.groups : NULL);
        if (fclose(b.html) != 0) {
            fprintf(stderr, "preflight: --html %s: %s\n", opts->html, strerror(errno));
            reporter.summary.error++;
        }
    }
    if (b.thumbs)
        for (size_t k = 0; k < jobs.n_jobs; k++) {
            pf_free(b.thumbs[k].in);
            pf_free(b.thumbs[k].out);
        }
    free(b.thumbs);
    cli_groups_free(&b.groups);
    status = cli_report_exit_status(&reporter);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (interrupted) {
        fprintf(stderr, _("preflight: interrupted after %zu of %zu files\n"), done,
                jobs.n_jobs);
        status = CLI_EXIT_INTERRUPTED;
    }
    if (reporter.csv && fclose(reporter.csv) != 0) {
        fprintf(stderr, "preflight: --csv %s: %s\n", opts->csv, strerror(errno));
        status = CLI_EXIT_FAIL;
    }
    reporter.csv = NULL;
cleanup:
    if (reporter.csv)
        fclose(reporter.csv);
    cli_job_list_free(&jobs);
    free_contexts(ctx, workers);
    return status;
}
