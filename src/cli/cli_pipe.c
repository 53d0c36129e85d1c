/* Pipes: `preflight fix -o - -` reads one image on stdin and writes the
 * fixed file to stdout, the report (JSON with --json) to stderr, for a web
 * back end or an upload hook; `preflight check -` checks stdin. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIPE_MAX_BYTES ((size_t)512 * 1024 * 1024)

/* The whole of standard input; NULL (message printed) on failure. */
static uint8_t *read_stdin(size_t *len)
{
    size_t cap = 1 << 20, got = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (got == cap) {
            uint8_t *bigger = cap < PIPE_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                fprintf(stderr, _("preflight: standard input over %zu MiB or out of "
                                  "memory\n"), PIPE_MAX_BYTES >> 20);
                free(buf);
                return NULL;
            }
            buf = bigger, cap *= 2;
        }
        ssize_t n = read(STDIN_FILENO, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, _("preflight: cannot read standard input: %s\n"),
                    strerror(errno));
            free(buf);
            return NULL;
        }
        if (n == 0) {
            *len = got;
            return buf;
        }
        got += (size_t)n;
    }
    fputs(_("preflight: out of memory\n"), stderr);
    return NULL;
}

int cli_is_pipe_mode(const cli_options *opts)
{
    return opts->n_paths == 1 && strcmp(opts->paths[0], "-") == 0 &&
           (opts->command == CLI_CMD_CHECK ||
            (opts->output_dir && strcmp(opts->output_dir, "-") == 0));
}

int cli_run_pipe(const cli_options *opts, pf_ctx *ctx)
{
    size_t len = 0, out_len = 0;
    uint8_t *data = read_stdin(&len), *out = NULL;
    pf_report *report = calloc(1, sizeof *report);
    int fix = opts->command == CLI_CMD_FIX;
    cli_reporter reporter = {
        .out = fix ? stderr : stdout, .json = opts->json, .jsonl = 0,
        .quiet = opts->quiet, .color = 0, .command = fix ? "fix" : "check",
        .rules = &opts->rules, .fail_on_warn = opts->fail_on_warn,
    };
    int status = CLI_EXIT_FAIL;
    if (!data || !report)
        goto cleanup;
    if (fix)
        pf_fix_buffer(ctx, data, len, "(stdin)", &out, &out_len, NULL, report);
    else
        pf_check_buffer(ctx, data, len, "(stdin)", report);
    if (fix && report->has_output) {
        snprintf(report->output_path, sizeof report->output_path, "(stdout)");
        if (fwrite(out, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
            fprintf(stderr, _("preflight: cannot write standard output: %s\n"),
                    strerror(errno));
            goto cleanup;
        }
    }
    cli_report_begin(&reporter);
    cli_report_file(&reporter, "(stdin)", report);
    cli_report_end(&reporter);
    status = cli_report_exit_status(&reporter);
cleanup:
    pf_free(out);
    free(data);
    free(report);
    return status;
}
