/* preflight: check and fix images for ICP filing portals. main() only
 * dispatches: parsing in cli_options.c, the work in cli_run.c. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Every encode trial allocates and frees a few megabytes of coefficient
 * buffers; serving them from the heap instead of a fresh mmap each time
 * saves about a tenth of a fix's wall time (page faults). A process-wide
 * choice, so it is the program's to make, not the library's. */
static void keep_freed_memory_for_reuse(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

int main(int argc, char **argv)
{
    cli_options opts;
    int status;
    keep_freed_memory_for_reuse();
    /* Over a file-size limit (ulimit -f) a write then fails with EFBIG, which
     * is reported for that file, instead of the signal killing the batch. */
    signal(SIGXFSZ, SIG_IGN);
    cli_setup_language(argc, argv);
    switch (cli_parse_options(argc, argv, &opts)) {
    case CLI_PARSE_DONE:
        status = CLI_EXIT_OK;
        break;
    case CLI_PARSE_USAGE_ERROR:
        status = CLI_EXIT_USAGE;
        break;
    case CLI_PARSE_SERVE:
        status = cli_serve_command(argc - 1, argv + 1);
        break;
    case CLI_PARSE_RUN:
    default:
        status = cli_run(&opts);
        break;
    }
    /* A full disk or closed pipe must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "preflight: %s\n", _("error writing the report"));
        if (status == CLI_EXIT_OK)
            status = CLI_EXIT_FAIL;
    }
    return status;
}
