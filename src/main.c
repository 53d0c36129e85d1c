/* preflight: check and fix images for ICP filing portals. main() only
 * dispatches: parsing in cli_options.c, the work in cli_run.c. */
#include "cli.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    cli_options opts;
    int status;
    switch (cli_parse_options(argc, argv, &opts)) {
    case CLI_PARSE_DONE:
        status = CLI_EXIT_OK;
        break;
    case CLI_PARSE_USAGE_ERROR:
        status = CLI_EXIT_USAGE;
        break;
    case CLI_PARSE_RUN:
    default:
        status = cli_run(&opts);
        break;
    }
    /* A full disk or closed pipe must not pass for success. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fputs("preflight: error writing the report\n", stderr);
        if (status == CLI_EXIT_OK)
            status = CLI_EXIT_FAIL;
    }
    return status;
}
