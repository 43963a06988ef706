/* The nprof command line: Go flag package syntax with pprof's flags. */
#ifndef NP_CLI_H
#define NP_CLI_H

#include "analyze/config.h"
#include "analyze/driver.h"

typedef struct np_cli {
    np_sources src;
    np_config cfg;
    const np_command *cmd; /* NULL: interactive shell */
    char *cmd_arg;
    char *http;            /* -http host:port */
    bool no_browser;
    bool help;
    bool version;          /* -version: print it and exit */
} np_cli;

/* Parses argv. Returns 0, or -1 with err; exit status 2 errors (usage) set *usage_error. */
int np_cli_parse(int argc, char **argv, np_cli *cli, bool *usage_error, np_err *err);
void np_cli_free(np_cli *cli);
/* The -h text. */
void np_cli_usage(np_buf *out, bool command_line);

#endif
