/* Command line parsing: `preflight COMMAND [OPTIONS] PATH...` into cli_options.
 * Every usage error prints one line and a hint on stderr; the caller exits 2. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_MAX_BYTES = 256,
    OPT_MIN_BYTES,
    OPT_MIN_SIZE,
    OPT_ORIENTATION,
    OPT_MAX_PIXELS,
    OPT_MIN_QUALITY,
    OPT_NO_UPSCALE,
    OPT_KEEP_METADATA,
    OPT_FORCE,
    OPT_JSON,
    OPT_COLOR,
    OPT_CHECK,
    OPT_WHITE_THRESHOLD,
    OPT_WHITE_LEVEL,
    OPT_WHITE_SPREAD,
    OPT_WHITEN,
    OPT_DEBUG_MASK,
    OPT_FAIL_ON,
    OPT_JSONL,
    OPT_CSV,
    OPT_GROUP_BY_FOLDER,
    OPT_HTML,
    OPT_SKIP,
    OPT_MIN_SHARPNESS,
    OPT_MAX_GLARE,
    OPT_MIN_BRIGHTNESS,
    OPT_MAX_WASHOUT,
    OPT_MIN_FILL,
    OPT_MIN_FACE_SIZE,
    OPT_NO_CROP,
    OPT_PAGES,
    OPT_MAX_SIZE,
    OPT_FIX_MAX_SIDE,
    OPT_RULES,
    OPT_LANG
};

static const struct option long_options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"min-bytes", required_argument, NULL, OPT_MIN_BYTES},
    {"min-size", required_argument, NULL, OPT_MIN_SIZE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"fix-max-side", required_argument, NULL, OPT_FIX_MAX_SIDE},
    {"rules", required_argument, NULL, OPT_RULES},
    {"lang", required_argument, NULL, OPT_LANG},
    {"orientation", required_argument, NULL, OPT_ORIENTATION},
    {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
    {"min-quality", required_argument, NULL, OPT_MIN_QUALITY},
    {"no-upscale", no_argument, NULL, OPT_NO_UPSCALE},
    {"keep-metadata", no_argument, NULL, OPT_KEEP_METADATA},
    {"force", no_argument, NULL, OPT_FORCE},
    {"check", required_argument, NULL, OPT_CHECK},
    {"skip", required_argument, NULL, OPT_SKIP},
    {"min-sharpness", required_argument, NULL, OPT_MIN_SHARPNESS},
    {"max-glare", required_argument, NULL, OPT_MAX_GLARE},
    {"min-brightness", required_argument, NULL, OPT_MIN_BRIGHTNESS},
    {"max-washout", required_argument, NULL, OPT_MAX_WASHOUT},
    {"min-fill", required_argument, NULL, OPT_MIN_FILL},
    {"min-face-size", required_argument, NULL, OPT_MIN_FACE_SIZE},
    {"no-crop", no_argument, NULL, OPT_NO_CROP},
    {"pages", required_argument, NULL, OPT_PAGES},
    {"white-threshold", required_argument, NULL, OPT_WHITE_THRESHOLD},
    {"white-level", required_argument, NULL, OPT_WHITE_LEVEL},
    {"white-spread", required_argument, NULL, OPT_WHITE_SPREAD},
    {"whiten", no_argument, NULL, OPT_WHITEN},
    {"debug-mask", required_argument, NULL, OPT_DEBUG_MASK},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"jsonl", no_argument, NULL, OPT_JSONL},
    {"csv", required_argument, NULL, OPT_CSV},
    {"group-by-folder", no_argument, NULL, OPT_GROUP_BY_FOLDER},
    {"html", required_argument, NULL, OPT_HTML},
    {"recursive", no_argument, NULL, 'r'},
    {"jobs", required_argument, NULL, 'j'},
    {"output", required_argument, NULL, 'o'},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}
};

/* Leading ':' makes getopt report a missing argument as ':' (not '?'). */
static const char short_options[] = ":p:o:j:rqhV";

/* Rule flags are kept as they come and applied on top of the profile
 * after parsing, so that the order of --profile and --max-bytes on the
 * command line does not matter. Each flag is named as its rule key. */
#define MAX_RULE_ARGS 64
#define MAX_RULES_FILES 16
typedef struct {
    const char *profile;
    const char *key[MAX_RULE_ARGS], *value[MAX_RULE_ARGS];
    int n;
    const char *rules_files[MAX_RULES_FILES];
    int n_files;
} rule_overrides;

static cli_parse_result usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static cli_parse_result usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vusage_error(_("Try 'preflight --help' for more information."), fmt, ap);
    va_end(ap);
    return CLI_PARSE_USAGE_ERROR;
}

void cli_vusage_error(const char *hint, const char *fmt, va_list ap)
{
    fputs("preflight: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fputs(hint, stderr);
    fputc('\n', stderr);
}

/* --help in sections, each one translatable unit; the option column is
 * 25 columns wide (CJK characters take two). */
static void print_usage_head(FILE *out)
{
    fputs(_("Usage: preflight check [OPTIONS] PATH...\n"
            "       preflight fix [OPTIONS] -o DIR PATH...\n"
            "       preflight profiles [--json] [--rules FILE]\n"
            "       preflight serve [--listen ADDR:PORT] [--token FILE] [-j N] ...\n"
            "Check ID-card, licence and face images against an ICP filing portal's\n"
            "rules; fix writes compliant copies into DIR (inputs are never changed).\n"
            "PATH is a file or a directory (its files; all levels with -r).\n"), out);
    fputs("\n", out);
}

static void print_rule_options(FILE *out)
{
    /* TRANSLATORS: --help section; keep the option names and the column of
     * descriptions aligned (a CJK character is two columns wide). */
    fputs(_("Rules:\n"
            "  -p, --profile NAME     rule set (default wechat), see below\n"
            "      --rules FILE       also read profiles from an INI file (after\n"
            "                         /etc/preflight/profiles.ini and\n"
            "                         ~/.config/preflight/profiles.ini)\n"
            "      --max-bytes SIZE   largest file size; 0 disables\n"
            "      --min-bytes SIZE   smallest file size; 0 disables\n"
            "      --min-size WxH     smallest dimensions, either orientation\n"
            "      --max-size WxH     largest dimensions, either orientation\n"
            "      --orientation any|landscape|portrait\n"
            "      --check RULE       add a rule: white-background, face, sharpness,\n"
            "                         document (complete and fill), glare, exposure\n"
            "      --skip RULE        leave out one of the image rules above\n"), out);
}

static void print_image_rule_options(FILE *out)
{
    /* TRANSLATORS: --help, continuing the Rules section; keep the columns. */
    /* xgettext:no-c-format */
    fputs(_("      --min-sharpness F[,W]  sharpness under F fails, under W warns\n"
            "      --max-glare F[,W]  share of the document under glare: over F\n"
            "                         fails, over W warns (0..1)\n"
            "      --min-brightness F[,W]  too dark: the brightest 1% of the\n"
            "                         document (0..255) under F fails, under W warns\n"
            "      --max-washout F[,W]  washed out: the darkest 0.2% (the ink, 0..255)\n"
            "                         over F fails, over W warns\n"
            "      --min-fill F       document-fill warns under F (0..1)\n"
            "      --min-face-size F[,W]  the face's height as a share of the\n"
            "                         picture's: under F fails, under W warns\n"
            "      --white-threshold F  share of the background that must be white\n"
            "                         (default 0.90)\n"
            "      --white-level N    a white pixel has every channel >= N (230)\n"
            "      --white-spread N   ... and max - min <= N (18)\n"
            "      --debug-mask FILE.png  draw the measured background (one input)\n"),
          out);
}

static void print_fix_options(FILE *out)
{
    /* TRANSLATORS: --help section; keep the option names and the columns. */
    fputs(_("Fix:\n"
            "  -o, --output DIR       where fix writes (created if missing);\n"
            "                         -o - with PATH - : stdin to stdout, report on stderr\n"
            "      --min-quality Q    lowest JPEG quality to use, 1..100 (default 30);\n"
            "                         a noisy photo goes down to 15, with a warning\n"
            "      --no-upscale       fail instead of enlarging small images\n"
            "      --keep-metadata    keep EXIF (GPS too), XMP, IPTC, comments\n"
            "                         (default: all removed)\n"
            "      --force            overwrite existing output files\n"
            "      --whiten           lift a light, near-white background to white\n"
            "      --no-crop          keep the whole picture around a small document\n"
            "                         (default: crop to it and straighten it)\n"
            "      --fix-max-side N   write at most N px on the long side (never\n"
            "                         under the minimum size)\n"
            "      --pages first|all  a PDF's or TIFF's first page (default), or\n"
            "                         every page: NAME.jpg, NAME-p2.jpg, ...\n"), out);
}

static void print_general_options(FILE *out)
{
    /* TRANSLATORS: --help section; keep the option names and the columns. */
    fputs(_("General:\n"
            "  -r, --recursive        walk directories at every depth\n"
            "  -j, --jobs N           files processed at once (default: one per CPU)\n"
            "      --max-pixels MP    refuse images over MP megapixels (default 100)\n"
            "      --json             one JSON document on stdout\n"
            "      --jsonl            one JSON object per file as each finishes\n"
            "                         (with its input index), then a summary\n"
            "      --csv FILE         also a CSV report (UTF-8 with BOM, quoted)\n"
            "      --group-by-folder  end with a summary per top-level folder\n"
            "      --html FILE        also a self-contained HTML report with thumbnails\n"
            "  -q, --quiet            list only files that fail or warn\n"
            "      --fail-on warn     exit 1 when a file only warns, too\n"
            "      --color WHEN       auto (default), always or never\n"
            "      --lang zh|en       language of messages (default: from\n"
            "                         LANGUAGE, LC_ALL, LC_MESSAGES, LANG)\n"
            "  -h, --help             show this help\n"
            "  -V, --version          show the version\n"), out);
    fputs("\n", out);
}

/* The built-in profiles, one line each, names padded by display width. */
static void print_profile_list(FILE *out)
{
    fputs(_("SIZE: 200000, 200KB = 200,000 bytes, 200KiB = 204,800, 2MB, 2MiB.\n"), out);
    fputs(_("Profiles (preflight profiles lists their sources):\n"), out);
    pf_profiles *set = pf_profiles_new();
    char rules[512];
    for (size_t i = 0; set && i < pf_profiles_count(set); i++) {
        const pf_profile *p = pf_profiles_get(set, i);
        cli_describe_rules(&p->rules, rules, sizeof rules);
        fputs("  ", out);
        cli_pad(out, p->rules.name, 15);
        fprintf(out, " %s\n", rules);
    }
    pf_profiles_free(set);
}

static void print_usage_tail(FILE *out)
{
    pf_rules d;
    pf_rules_default_image_limits(&d);
    fputs(_("The document profiles also check document-complete, document-fill,\n"
            "sharpness, glare and exposure; face checks sharpness and exposure.\n"), out);
    /* TRANSLATORS: the figures are fail,warn pairs of the options named. */
    fprintf(out, _("Their limits (fail,warn): --min-sharpness %g,%g --max-glare %g,%g\n"
                   "  --min-brightness %g,%g --max-washout %g,%g --min-fill %g\n"),
            d.min_sharpness, d.warn_sharpness, d.max_glare, d.warn_glare,
            d.min_brightness, d.warn_brightness, d.max_washout, d.warn_washout,
            d.min_fill);
    fputs(_("Exit status: 0 all passed or fixed, 1 some file failed, 2 usage error.\n"
            "See preflight(1).\n"), out);
}

void cli_print_usage(FILE *out)
{
    print_usage_head(out);
    print_rule_options(out);
    print_image_rule_options(out);
    print_fix_options(out);
    print_general_options(out);
    print_profile_list(out);
    print_usage_tail(out);
}

static void print_version(void)
{
    printf("preflight %s\n", PF_VERSION);
}

/* Megapixels, e.g. "100" or "0.5"; stored as a pixel count. */
static int parse_megapixels(const char *text, uint64_t *pixels)
{
    char *end = NULL;
    errno = 0;
    double mp = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(mp) || mp <= 0 ||
        mp > 1e6)
        return -1;
    *pixels = (uint64_t)(mp * 1e6 + 0.5);
    return *pixels > 0 ? 0 : -1;
}

static int parse_quality(const char *text, int *quality)
{
    char *end = NULL;
    errno = 0;
    long q = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || q < 1 || q > 100)
        return -1;
    *quality = (int)q;
    return 0;
}

static int parse_color(const char *text, cli_color *color)
{
    if (strcmp(text, "auto") == 0)
        *color = CLI_COLOR_AUTO;
    else if (strcmp(text, "always") == 0)
        *color = CLI_COLOR_ALWAYS;
    else if (strcmp(text, "never") == 0)
        *color = CLI_COLOR_NEVER;
    else
        return -1;
    return 0;
}

/* The rule key a flag sets (its own name), or NULL. */
static const char *rule_key_of(int opt)
{
    static const int rule_opts[] = {
        OPT_MAX_BYTES, OPT_MIN_BYTES, OPT_MIN_SIZE, OPT_MAX_SIZE, OPT_ORIENTATION,
        OPT_CHECK, OPT_SKIP, OPT_MIN_SHARPNESS, OPT_MAX_GLARE, OPT_MIN_BRIGHTNESS,
        OPT_MAX_WASHOUT, OPT_MIN_FILL, OPT_MIN_FACE_SIZE, OPT_WHITE_THRESHOLD,
        OPT_WHITE_LEVEL,
        OPT_WHITE_SPREAD, OPT_FIX_MAX_SIDE};
    for (size_t i = 0; i < sizeof rule_opts / sizeof rule_opts[0]; i++)
        if (rule_opts[i] == opt)
            for (const struct option *o = long_options; o->name; o++)
                if (o->val == opt)
                    return o->name;
    return NULL;
}

/* Options that change the rules; 1 when opt was one of them. A value is
 * checked here, on a scratch copy, so a bad one is named as typed. */
static int rule_option(int opt, const char *arg, rule_overrides *ov,
                       cli_parse_result *result)
{
    char why[PF_MSG_LEN];
    const char *key = rule_key_of(opt);
    pf_rules scratch;
    if (opt == 'p') {
        ov->profile = arg;
        return 1;
    }
    if (opt == OPT_RULES) {
        if (ov->n_files == MAX_RULES_FILES)
            *result = usage_error(_("more than %d --rules files"), MAX_RULES_FILES);
        else
            ov->rules_files[ov->n_files++] = arg;
        return 1;
    }
    if (!key)
        return 0;
    pf_rules_blank(&scratch, "");
    if (pf_rules_set(&scratch, key, arg, why, sizeof why) != PF_OK)
        *result = usage_error(_("invalid --%s '%s': %s"), key, arg, why);
    else if (ov->n == MAX_RULE_ARGS)
        *result = usage_error(_("more than %d rule options"), MAX_RULE_ARGS);
    else
        ov->key[ov->n] = key, ov->value[ov->n++] = arg;
    return 1;
}

/* Fix options and output settings; 1 when opt was one of them. */
static int other_option(int opt, const char *arg, cli_options *opts,
                        cli_parse_result *result)
{
    pf_options *fo = &opts->fix_options;
    switch (opt) {
    case OPT_MAX_PIXELS:
        if (parse_megapixels(arg, &fo->max_pixels) != 0)
            *result = usage_error(_("invalid --max-pixels '%s' (megapixels, "
                                    "e.g. 100)"), arg);
        break;
    case OPT_MIN_QUALITY:
        if (parse_quality(arg, &fo->min_quality) != 0)
            *result = usage_error(_("invalid --min-quality '%s' (1..100)"), arg);
        break;
    case OPT_NO_UPSCALE: fo->no_upscale = 1; break;
    case OPT_KEEP_METADATA: fo->keep_metadata = 1; break;
    case OPT_FORCE: fo->force = 1; break;
    case OPT_WHITEN: fo->whiten = 1; break;
    case OPT_NO_CROP: fo->no_crop = 1; break;
    case OPT_PAGES:
        if (strcmp(arg, "all") == 0 || strcmp(arg, "first") == 0)
            opts->all_pages = strcmp(arg, "all") == 0;
        else
            *result = usage_error(_("invalid --pages '%s' (first or all)"), arg);
        break;
    case OPT_DEBUG_MASK: opts->debug_mask = arg; break;
    case OPT_JSONL: opts->jsonl = 1; break;
    case OPT_CSV: opts->csv = arg; break;
    case OPT_GROUP_BY_FOLDER: opts->group_by_folder = 1; break;
    case OPT_HTML: opts->html = arg; break;
    case OPT_FAIL_ON:
        if (strcmp(arg, "warn") == 0)
            opts->fail_on_warn = 1;
        else if (strcmp(arg, "fail") == 0)
            opts->fail_on_warn = 0;
        else
            *result = usage_error(_("invalid --fail-on '%s' (fail or warn)"), arg);
        break;
    case 'r': opts->recursive = 1; break;
    case 'j': {
        char *end = NULL;
        errno = 0;
        long n = strtol(arg, &end, 10);
        if (errno || end == arg || *end != '\0' || n < 1 || n > 256)
            *result = usage_error(_("invalid -j '%s' (1..256 worker threads)"), arg);
        else
            opts->jobs = (int)n;
        break;
    }
    case 'o': opts->output_dir = arg; break;
    case OPT_LANG: /* applied by cli_setup_language before parsing */
        if (strcmp(arg, "zh") && strcmp(arg, "zh_CN") && strcmp(arg, "en"))
            *result = usage_error(_("invalid --lang '%s' (zh or en)"), arg);
        break;
    case OPT_JSON: opts->json = 1; break;
    case 'q': opts->quiet = 1; break;
    case OPT_COLOR:
        if (parse_color(arg, &opts->color) != 0)
            *result = usage_error(_("invalid --color '%s' (auto, always or "
                                    "never)"), arg);
        break;
    default:
        return 0;
    }
    return 1;
}

/* getopt's '?' or ':' into a message naming the option as typed. A short
 * option may sit inside a cluster (-rx), so it is named by optopt. */
static cli_parse_result bad_option(int opt, char **argv)
{
    const char *typed = argv[optind - 1];
    int is_long = strncmp(typed, "--", 2) == 0;
    if (opt == ':')
        return is_long ? usage_error(_("option '%s' needs a value"), typed)
                       : usage_error(_("option '-%c' needs a value"), optopt);
    return is_long ? usage_error(_("unknown option '%s'"), typed)
                   : usage_error(_("unknown option '-%c'"), optopt);
}

/* Notes the command line's changes after the profile's source. */
static void note_overrides(const rule_overrides *ov, pf_rules *rules)
{
    size_t used = strlen(rules->source);
    for (int i = 0; i < ov->n && used + 1 < sizeof rules->source; i++) {
        snprintf(rules->source + used, sizeof rules->source - used, "%s--%s %s",
                 i ? " " : _("; changed on the command line: "), ov->key[i],
                 ov->value[i]);
        used = strlen(rules->source);
    }
}

/* The profile from the rules files and built-ins, then the rule flags. */
static cli_parse_result apply_overrides(const rule_overrides *ov,
                                        pf_rules *rules)
{
    char why[PF_MSG_LEN];
    pf_profiles *set = cli_load_profiles(ov->rules_files, ov->n_files);
    if (!set)
        return CLI_PARSE_USAGE_ERROR;
    const pf_profile *p = pf_profiles_find(set, ov->profile);
    if (!p) {
        fputs("preflight: ", stderr);
        fprintf(stderr, _("unknown profile '%s'; profiles:\n"), ov->profile);
        cli_print_profile_names(stderr, set);
        pf_profiles_free(set);
        return CLI_PARSE_USAGE_ERROR;
    }
    *rules = p->rules;
    pf_profiles_free(set);
    for (int i = 0; i < ov->n; i++)
        pf_rules_set(rules, ov->key[i], ov->value[i], NULL, 0);
    note_overrides(ov, rules);
    if (pf_rules_validate(rules, why, sizeof why) != PF_OK)
        return usage_error(_("the rules of profile %s with the options given do "
                             "not agree: %s"), rules->name, why);
    return CLI_PARSE_RUN;
}

/* Checks that need the whole command line. */
static cli_parse_result check_combination(cli_options *opts)
{
    if (opts->n_paths == 0)
        return usage_error(_("no PATH given"));
    if (opts->command == CLI_CMD_FIX && !opts->output_dir)
        return usage_error(_("fix needs an output folder: -o DIR"));
    if (opts->command == CLI_CMD_CHECK && opts->output_dir)
        return usage_error(_("check writes nothing; -o is for fix"));
    if (opts->output_dir && !*opts->output_dir)
        return usage_error(_("empty output folder name"));
    if (opts->output_dir && !strcmp(opts->output_dir, "-") &&
        (opts->n_paths != 1 || strcmp(opts->paths[0], "-") != 0))
        return usage_error(_("-o - writes one image to stdout: give - (stdin) as "
                             "the only PATH"));
    if (opts->json && opts->jsonl)
        return usage_error(_("--json and --jsonl: choose one"));
    if (opts->csv && !*opts->csv)
        return usage_error(_("empty --csv file name"));
    if (opts->debug_mask && opts->n_paths != 1)
        return usage_error(_("--debug-mask draws one image: give one PATH"));
    /* Measuring needs the rule; --debug-mask and --whiten imply it. */
    if (opts->debug_mask || opts->fix_options.whiten)
        opts->rules.white_background = 1;
    /* A lower bound above the default ceiling lifts the ceiling with it. */
    if (opts->fix_options.max_quality < opts->fix_options.min_quality)
        opts->fix_options.max_quality = opts->fix_options.min_quality;
    return CLI_PARSE_RUN;
}

/* The word before the options: a command, or --help / --version. */
static cli_parse_result parse_command(const char *word, cli_options *opts)
{
    if (!strcmp(word, "-h") || !strcmp(word, "--help") || !strcmp(word, "help")) {
        cli_print_usage(stdout);
        return CLI_PARSE_DONE;
    }
    if (!strcmp(word, "-V") || !strcmp(word, "--version")) {
        print_version();
        return CLI_PARSE_DONE;
    }
    if (!strcmp(word, "check"))
        opts->command = CLI_CMD_CHECK;
    else if (!strcmp(word, "profiles"))
        return CLI_PARSE_PROFILES;
    else if (!strcmp(word, "serve"))
        return CLI_PARSE_SERVE;
    else if (!strcmp(word, "fix"))
        opts->command = CLI_CMD_FIX;
    else if (word[0] == '-')
        return usage_error(_("a command comes first: check or fix"));
    else
        return usage_error(_("unknown command '%s' (check, fix, profiles or serve)"),
                           word);
    return CLI_PARSE_RUN;
}

cli_parse_result cli_parse_options(int argc, char **argv, cli_options *opts)
{
    rule_overrides ov = {.profile = "wechat"};
    cli_parse_result result;
    memset(opts, 0, sizeof *opts);
    pf_options_default(&opts->fix_options);
    if (argc < 2)
        return usage_error(_("missing command: check or fix"));
    result = parse_command(argv[1], opts);
    if (result == CLI_PARSE_PROFILES)
        return cli_profiles_command(argc - 1, argv + 1);
    if (result == CLI_PARSE_SERVE)
        return result;
    if (result != CLI_PARSE_RUN)
        return result;
    /* getopt sees the command as its argv[0]. */
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    optind = 1;
    opterr = 0;
    int opt;
    while (result == CLI_PARSE_RUN &&
           (opt = getopt_long(sub_argc, sub_argv, short_options, long_options,
                              NULL)) != -1) {
        if (opt == 'h') {
            cli_print_usage(stdout);
            return CLI_PARSE_DONE;
        }
        if (opt == 'V') {
            print_version();
            return CLI_PARSE_DONE;
        }
        if (!rule_option(opt, optarg, &ov, &result) &&
            !other_option(opt, optarg, opts, &result))
            result = bad_option(opt, sub_argv);
    }
    if (result != CLI_PARSE_RUN)
        return result;
    opts->paths = sub_argv + optind;
    opts->n_paths = sub_argc - optind;
    result = apply_overrides(&ov, &opts->rules);
    return result == CLI_PARSE_RUN ? check_combination(opts) : result;
}
