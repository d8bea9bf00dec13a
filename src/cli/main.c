/*
 * main.c - the `spatia` command line: dispatches to the subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: spatia <command> [options]\n"
        "\n"
        "commands:\n"
        "  run      process a video or camera stream into events\n"
        "  eval     score tracks (mot) or events (events) against a reference\n"
        "  detect   people detector on an image or video, JSON per frame\n"
        "  help     show this text\n"
        "\n"
        "Run `spatia <command> --help` for the options of a command.\n"
        "\n"
        "exit codes:\n"
        "  0  success\n"
        "  1  runtime failure (input unreadable, sink failed, ...)\n"
        "  2  usage or configuration error\n"
        "  3  evaluation below a requested threshold\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "run"))
        return cli_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval"))
        return cli_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "detect"))
        return cli_detect(argc - 1, argv + 1);
    fprintf(stderr, "spatia: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
