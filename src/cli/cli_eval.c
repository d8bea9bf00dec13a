/*
 * cli_eval.c - `spatia eval`: placeholder until the evaluation lands.
 */
#include <stdio.h>

#include "cli/cli.h"

int cli_eval(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "spatia eval: not implemented yet\n");
    return CLI_EXIT_RUNTIME;
}
