/*
 * cli.h - the subcommands of the spatia CLI. Each takes argv with argv[0]
 * the subcommand name and returns the process exit code (see main.c).
 */
#ifndef SPATIA_CLI_H
#define SPATIA_CLI_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_RUNTIME = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_BELOW = 3
};

int cli_run(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_detect(int argc, char **argv);

#endif
