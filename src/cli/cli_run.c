/*
 * cli_run.c - `spatia run`: placeholder until the pipeline lands.
 */
#include <stdio.h>

#include "cli/cli.h"

int cli_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "spatia run: not implemented yet\n");
    return CLI_EXIT_RUNTIME;
}
