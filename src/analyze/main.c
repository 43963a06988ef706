/* nprof: go tool pprof's command line for native and Go profiles. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "analyze/cli.h"
#include "core/demangle.h"
#include "core/version.h"
#include "analyze/driver.h"
#include "analyze/shell.h"
#include "analyze/webui.h"

static const char usage_head[] =
    "usage:\n\n"
    "Produce output in the specified format.\n\n"
    "   nprof <format> [options] [binary] <source> ...\n\n"
    "Omit the format to get an interactive shell whose commands can be used\n"
    "to generate various views of a profile\n\n"
    "   nprof [options] [binary] <source> ...\n\n"
    "Details:\n";

static const char usage_sources[] =
    "\n\n"
    "  Source options:\n"
    "    -seconds              Duration for time-based profile collection\n"
    "    -timeout              Timeout in seconds for profile collection\n"
    "    -buildid              Override build id for main binary\n"
    "    -add_comment          Free-form annotation to add to the profile\n"
    "                          Displayed on some reports or with nprof -comments\n"
    "    -diff_base source     Source of base profile for comparison\n"
    "    -base source          Source of base profile for profile subtraction\n"
    "    profile.pb.gz         Profile in compressed protobuf format\n"
    "    legacy_profile        Profile in legacy pprof format\n"
    "    http://host/profile   URL for profile handler to retrieve\n"
    "    host:port             Same as http://host:port/debug/pprof/profile\n"
    "\n"
    "  Legacy convenience options:\n"
    "   -inuse_space           Same as -sample_index=inuse_space\n"
    "   -inuse_objects         Same as -sample_index=inuse_objects\n"
    "   -alloc_space           Same as -sample_index=alloc_space\n"
    "   -alloc_objects         Same as -sample_index=alloc_objects\n"
    "   -total_delay           Same as -sample_index=delay\n"
    "   -contentions           Same as -sample_index=contentions\n"
    "   -mean_delay            Same as -mean -sample_index=delay\n"
    "\n"
    "  Flame views (-icicle, -tui; nprof only, see docs/FLAME.md):\n"
    "   -width N               Columns of -icicle (default: the terminal's, $COLUMNS, 120)\n"
    "   -depth N               Draw at most N frames below the root (default: all)\n"
    "   -nodefraction F        Merge frames under F of the total into one box per caller\n"
    "\n"
    "  Other options:\n"
    "   -version               Print nprof's version and exit\n"
    "\n"
    "  Environment:\n"
    "   TZ                     Time zone of the Time: lines in reports\n";

/* The flags pprof lists elsewhere or not at all: every flag nprof accepts is on -h
 * (tests/manpages.sh checks it against the flag tables). */
static const char usage_misc[] =
    "\n"
    "  Misc options:\n"
    "   -http host:port        Serve the web interface there (default: localhost, a free port)\n"
    "   -no_browser            With -http, do not open a browser\n"
    "   -symbolize mode        local, fastlocal, remote or none, then :force, :demangle=...\n"
    "   -tools path            Accepted for pprof's scripts; nprof runs no object tools\n"
    "   -tls_cert file         Accepted for pprof's scripts; not used\n"
    "   -tls_key file          Accepted for pprof's scripts; not used\n"
    "   -tls_ca file           Accepted for pprof's scripts; not used\n"
    "   -kcachegrind           Refused (a desktop viewer): use -callgrind -output FILE\n"
    "   -eog                   Refused (a desktop viewer): use -svg -output FILE or -web\n"
    "   -evince                Refused (a desktop viewer): use -pdf -output FILE\n"
    "   -gv                    Refused (a desktop viewer): use -ps -output FILE\n"
    "   -h                     Print this message\n"
    "   -help                  The same as -h\n";

static void print_usage(FILE *f)
{
    np_buf b = {0};
    np_buf_puts(&b, usage_head);
    np_cli_usage(&b, true);
    np_buf_puts(&b, usage_sources);
    np_buf_puts(&b, usage_misc);
    fwrite(b.data, 1, b.len, f);
    np_buf_free(&b);
}

int main(int argc, char **argv)
{
    /* A run frees large buffers (the compressed and the inflated profile, decoding scratch, a
     * first graph) and soon allocates as much again. Keeping freed memory in the process
     * rather than handing it back to the kernel at once saves a page fault on every reused
     * page: a tenth of the time of a large report, for a few MB more at the peak. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    np_demangle_may_load_runtime();
    np_cli cli;
    np_err err;
    bool usage_error;
    if (np_cli_parse(argc, argv, &cli, &usage_error, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        if (usage_error)
            fprintf(stderr, "Run 'nprof -h' for usage.\n");
        np_cli_free(&cli);
        return 2;
    }
    if (cli.help) {
        /* On standard error, as pprof: scripts that compare stdout see the same nothing. */
        print_usage(stderr);
        np_cli_free(&cli);
        return 0;
    }
    if (cli.version) {
        printf("nprof %s\n", NP_VERSION);
        np_cli_free(&cli);
        return 0;
    }
    np_profile *p = NULL;
    int status = 0;
    if (np_fetch_profiles(&cli.src, &p, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        status = 2;
    } else if (cli.cmd) {
        /* One report, then exit: the report may work on the fetched profile itself. */
        np_profile *own = p;
        p = NULL;
        if (np_generate_report_owned(own, cli.cmd, cli.cmd_arg, &cli.cfg, stdout, false, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            status = 2;
        }
    } else if (cli.http && cli.http[0]) {
        /* The server takes the profile: it merges it in place rather than keeping a copy. */
        np_profile *own = p;
        p = NULL;
        if (np_webui_serve(own, &cli.cfg, cli.http, cli.no_browser, &err) < 0) {
            fprintf(stderr, "nprof: %s\n", err.msg);
            status = 2;
        }
    } else {
        status = np_shell_run(p, &cli.cfg);
    }
    np_profile_free(p);
    np_cli_free(&cli);
    return status;
}
