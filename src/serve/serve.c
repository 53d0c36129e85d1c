/* `preflight serve`: options, start-up, and a clean stop on SIGTERM/SIGINT
 * (stop accepting, finish the requests in flight, exit 0). */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include "serve_mhd.h"
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_UPLOAD ((uint64_t)50 * 1000 * 1000)
#define MAX_RULES_FILES 16

typedef struct {
    const char *listen;
    const char *profile;
    const char *rules_files[MAX_RULES_FILES];
    int n_files;
    int jobs, queue, timeout, verbose;
    uint64_t max_upload;
    const char *token_file;
} serve_options;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vusage_error(_("Try 'preflight serve --help'."), fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

static void print_serve_usage(FILE *out)
{
    /* TRANSLATORS: keep the option names and the columns. */
    fputs(_("Usage: preflight serve [OPTIONS]\n"
            "Checks and fixes images over HTTP: a page at / to drop files on, and\n"
            "POST /v1/check, POST /v1/fix, GET /v1/profiles, GET /healthz.\n"
            "      --listen ADDR:PORT  where to listen (default 127.0.0.1:8080;\n"
            "                         port 0: any free one, printed on stderr)\n"
            "  -p, --profile NAME     profile when a request names none (wechat)\n"
            "      --rules FILE       also read profiles from an INI file\n"
            "  -j, --jobs N           images worked on at once (default: one per CPU)\n"
            "      --queue N          requests waiting beyond those (default 2×N);\n"
            "                         more are answered 503\n"
            "      --max-upload SIZE  largest request body (default 50MB)\n"
            "      --timeout SECONDS  idle connections closed after (default 30);\n"
            "                         after it, a body slower than 16 KiB/s too\n"
            "      --token FILE       every request needs 'Authorization: Bearer' and\n"
            "                         the file's first line (required off loopback)\n"
            "      --verbose          one line per request on stderr\n"
            "SIGTERM or SIGINT: stops accepting, finishes what is in hand, exits 0.\n"),
          out);
}

static int parse_count(const char *text, int lo, int hi, int *n)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *n = (int)v;
    return 0;
}

/* One option into o; returns -1 after a usage error, 1 for --help. */
static int serve_option(int opt, const char *arg, serve_options *o)
{
    switch (opt) {
    case 'l': o->listen = arg; break;
    case 'p': o->profile = arg; break;
    case 'R':
        if (o->n_files == MAX_RULES_FILES)
            return usage_error(_("more than %d --rules files"), MAX_RULES_FILES), -1;
        o->rules_files[o->n_files++] = arg;
        break;
    case 'j':
        if (parse_count(arg, 1, 256, &o->jobs))
            return usage_error(_("invalid -j '%s' (1..256 worker threads)"), arg), -1;
        break;
    case 'Q':
        if (parse_count(arg, 1, 65536, &o->queue))
            return usage_error(_("invalid --queue '%s' (1..65536)"), arg), -1;
        break;
    case 'T':
        if (parse_count(arg, 1, 3600, &o->timeout))
            return usage_error(_("invalid --timeout '%s' (1..3600 seconds)"), arg), -1;
        break;
    case 'M':
        if (pf_parse_size(arg, &o->max_upload) != PF_OK || o->max_upload == 0)
            return usage_error(_("invalid --max-upload '%s' (a size such as 50MB)"),
                               arg), -1;
        break;
    case 't': o->token_file = arg; break;
    case 'v': o->verbose = 1; break;
    case 'L': break; /* --lang: applied by cli_setup_language */
    case 'h': print_serve_usage(stdout); return 1;
    default: return usage_error(_("serve: unknown option or missing value")), -1;
    }
    return 0;
}

static int parse_serve_options(int argc, char **argv, serve_options *o)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'}, {"profile", required_argument, NULL, 'p'},
        {"rules", required_argument, NULL, 'R'}, {"jobs", required_argument, NULL, 'j'},
        {"queue", required_argument, NULL, 'Q'}, {"timeout", required_argument, NULL, 'T'},
        {"max-upload", required_argument, NULL, 'M'},
        {"token", required_argument, NULL, 't'}, {"verbose", no_argument, NULL, 'v'},
        {"lang", required_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt, r;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":p:j:h", options, NULL)) != -1)
        if ((r = serve_option(opt, optarg, o)) != 0)
            return r;
    if (optind < argc)
        return usage_error(_("serve takes no PATH ('%s')"), argv[optind]), -1;
    return 0;
}

/* ADDR:PORT (IPv4, [IPv6] or localhost) into addr; -1 when malformed. */
static int parse_listen(const char *text, struct sockaddr_storage *addr, int *loopback)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    int port;
    memset(addr, 0, sizeof *addr);
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof host ||
        parse_count(colon + 1, 0, 65535, &port))
        return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - text), text);
    if (host[0] == '[') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            return -1;
        host[n - 1] = '\0';
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return -1;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return -1;
    *loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

/* The token: the file's first line, blanks trimmed. NULL (message printed)
 * when unreadable or empty. */
static char *read_token(const char *path)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f) {
        usage_error(_("cannot read --token %s: %s"), path, strerror(errno));
        return NULL;
    }
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    char *s = line, *e = line + strlen(line);
    while (*s == ' ' || *s == '\t')
        s++;
    while (e > s && strchr(" \t\r\n", e[-1]))
        *--e = '\0';
    if (!*s) {
        usage_error(_("--token %s: the first line is empty; put the token there"), path);
        return NULL;
    }
    char *token = strdup(s);
    if (!token)
        fputs(_("preflight: out of memory\n"), stderr);
    return token;
}

/* Startup checks: the address, the token, the profiles. 0 or an exit status. */
static int prepare(const serve_options *o, struct sockaddr_storage *addr,
                   serve_state *s, char **token, pf_profiles **set)
{
    int loopback = 0;
    if (parse_listen(o->listen, addr, &loopback) != 0)
        return usage_error(_("invalid --listen '%s' (ADDR:PORT, e.g. 127.0.0.1:8080)"),
                           o->listen);
    if (!loopback && !o->token_file)
        return usage_error(_("--listen %s is not a loopback address: give --token FILE "
                             "so that only holders of the token can use it"), o->listen);
    if (o->token_file && !(*token = read_token(o->token_file)))
        return CLI_EXIT_USAGE;
    if (!(*set = cli_load_profiles(o->rules_files, o->n_files)))
        return CLI_EXIT_USAGE;
    const pf_profile *p = pf_profiles_find(*set, o->profile);
    if (!p) {
        fputs("preflight: ", stderr);
        fprintf(stderr, _("unknown profile '%s'; profiles:\n"), o->profile);
        cli_print_profile_names(stderr, *set);
        return CLI_EXIT_USAGE;
    }
    FILE *out = open_memstream(&s->profiles_json, &s->profiles_json_len);
    if (!out)
        return CLI_EXIT_FAIL;
    cli_profiles_json(out, *set);
    if (fclose(out) != 0)
        return CLI_EXIT_FAIL;
    s->token = *token, s->profiles = *set, s->default_rules = &p->rules;
    s->max_upload = o->max_upload, s->verbose = o->verbose, s->timeout = o->timeout;
    return 0;
}

static struct MHD_Daemon *start_daemon(const serve_options *o, struct sockaddr_storage *addr,
                                       serve_state *s)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
    if (addr->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (o->verbose)
        flags |= MHD_USE_ERROR_LOG;
    return MHD(MHD_start_daemon)(flags, 0, NULL, NULL, serve_handle, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->timeout,
                            MHD_OPTION_NOTIFY_COMPLETED, serve_completed, s,
                            MHD_OPTION_END);
}

/* Waits for SIGTERM or SIGINT (blocked in every thread), then stops
 * accepting and lets the requests in hand finish. */
static void run_until_signal(struct MHD_Daemon *d, const sigset_t *stop, int timeout)
{
    int sig = 0;
    sigwait(stop, &sig);
    MHD_socket fd = MHD(MHD_quiesce_daemon)(d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    /* A request still uploading ends by the connection timeout at worst. */
    for (int waited = 0; serve_in_flight() > 0 && waited < (timeout + 5) * 100; waited++)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
}

int cli_serve_command(int argc, char **argv)
{
    serve_options o = {.listen = "127.0.0.1:8080", .profile = "wechat", .timeout = 30,
                       .max_upload = DEFAULT_MAX_UPLOAD};
    serve_state s = {0};
    struct sockaddr_storage addr;
    char *token = NULL;
    pf_profiles *set = NULL;
    struct MHD_Daemon *d = NULL;
    pf_options options;
    sigset_t stop;
    int status = parse_serve_options(argc, argv, &o);
    if (status != 0)
        return status > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (!serve_mhd_load()) {
        status = CLI_EXIT_FAIL;
        goto cleanup;
    }
    if ((status = prepare(&o, &addr, &s, &token, &set)) != 0)
        goto cleanup;
    status = CLI_EXIT_FAIL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = o.jobs ? o.jobs : cpus > 0 ? (int)(cpus < 256 ? cpus : 256) : 1;
    pf_options_default(&options);
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    /* Blocked before any thread starts, so that every thread inherits it
     * and only sigwait below takes them; left blocked to the end, so that
     * a second signal while requests finish does not cut them off. */
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    if (!(s.pool = serve_pool_new(jobs, o.queue ? o.queue : 2 * jobs, &options,
                                  serve_run_job)))
        goto cleanup;
    if (!(d = start_daemon(&o, &addr, &s))) {
        fprintf(stderr, _("preflight: cannot listen on %s: %s\n"), o.listen,
                strerror(errno));
        goto cleanup;
    }
    const union MHD_DaemonInfo *info = MHD(MHD_get_daemon_info)(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, _("preflight: serving on port %u (%s); stop with Ctrl-C\n"),
            info ? (unsigned)info->port : 0u, o.listen);
    run_until_signal(d, &stop, o.timeout);
    status = CLI_EXIT_OK;
cleanup:
    if (d)
        MHD(MHD_stop_daemon)(d);
    serve_pool_free(s.pool);
    free(s.profiles_json);
    pf_profiles_free(set);
    free(token);
    return status;
}
