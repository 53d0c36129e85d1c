/* Profiles on the command line: the rules files read at start (system,
 * user, --rules, later ones winning) and `preflight profiles`, which lists
 * every profile with its rules and where they are stated. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef PF_SYSCONFDIR
#define PF_SYSCONFDIR "/etc"
#endif

/* $PREFLIGHT_SYSCONFDIR (a relocated install, the tests) or /etc. */
static void system_rules_path(char *buf, size_t cap)
{
    const char *dir = getenv("PREFLIGHT_SYSCONFDIR");
    snprintf(buf, cap, "%s/preflight/profiles.ini",
             dir && *dir ? dir : PF_SYSCONFDIR);
}

/* $XDG_CONFIG_HOME, or ~/.config when it is unset or not absolute (the
 * XDG base directory rules); "" when neither is known. */
static void user_rules_path(char *buf, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    buf[0] = '\0';
    if (xdg && xdg[0] == '/')
        snprintf(buf, cap, "%s/preflight/profiles.ini", xdg);
    else if (home && home[0] == '/')
        snprintf(buf, cap, "%s/.config/preflight/profiles.ini", home);
}

/* Loads path into set; a missing optional file is skipped. 0, or -1 after
 * printing what is wrong. */
static int load_rules(pf_profiles *set, const char *path, int optional)
{
    struct stat sb;
    if (optional && (!path[0] || stat(path, &sb) != 0)) /* not there to see */
        return 0;
    if (pf_profiles_load_file(set, path) == PF_OK)
        return 0;
    fprintf(stderr, "preflight: ");
    cli_text_safe(stderr, pf_profiles_error(set));
    fputc('\n', stderr);
    return -1;
}

pf_profiles *cli_load_profiles(const char *const *rules_files, int n_files)
{
    char sys[PF_PATH_LEN], user[PF_PATH_LEN];
    pf_profiles *set = pf_profiles_new();
    if (!set) {
        fprintf(stderr, "preflight: %s\n", _("out of memory"));
        return NULL;
    }
    system_rules_path(sys, sizeof sys);
    user_rules_path(user, sizeof user);
    int bad = load_rules(set, sys, 1) || load_rules(set, user, 1);
    for (int i = 0; !bad && i < n_files; i++)
        bad = load_rules(set, rules_files[i], 0);
    if (bad) {
        pf_profiles_free(set);
        return NULL;
    }
    return set;
}

/* ---- describing a profile ---- */

static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    if (used >= cap)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + used, cap - used, fmt, ap);
    va_end(ap);
}

/* Between the items of a profile's rules in one line. */
static const char *item_separator(void)
{
    /* TRANSLATORS: separates the items of a profile's rules in one line
     * ("≤ 200,000 B, JPEG/PNG, colour"). */
    return _(", ");
}

static void describe_bytes(const pf_rules *r, char *buf, size_t cap)
{
    char min[32], max[32];
    pf_format_thousands(r->min_bytes, min, sizeof min);
    pf_format_thousands(r->max_bytes, max, sizeof max);
    if (r->min_bytes && r->max_bytes)
        append(buf, cap, _("%s\xE2\x80\x93%s B"), min, max);
    else if (r->max_bytes)
        append(buf, cap, _("\xE2\x89\xA4 %s B"), max);
    else if (r->min_bytes)
        append(buf, cap, _("\xE2\x89\xA5 %s B"), min);
    else
        append(buf, cap, "%s", _("any size"));
}

static void describe_pixels(const pf_rules *r, char *buf, size_t cap)
{
    if (r->min_long || r->min_short)
        append(buf, cap, _(", \xE2\x89\xA5 %u\xC3\x97%u"), r->min_long, r->min_short);
    if (r->max_long || r->max_short)
        append(buf, cap, _(", \xE2\x89\xA4 %u\xC3\x97%u"), r->max_long, r->max_short);
    if (r->min_long || r->min_short || r->max_long || r->max_short)
        /* TRANSLATORS: after the least/largest dimensions: width and height
         * may be swapped. */
        append(buf, cap, "%s", _(" either way"));
    if (r->orientation == PF_ORIENT_LANDSCAPE)
        append(buf, cap, "%s", _(", landscape only"));
    else if (r->orientation != PF_ORIENT_ANY)
        append(buf, cap, "%s", _(", portrait only"));
}

static void describe_checks(const pf_rules *r, char *buf, size_t cap)
{
    static const struct { unsigned bit; const char *name; } checks[] = {
        {PF_RULE_DOCUMENT, "document"}, {PF_RULE_SHARPNESS, "sharpness"},
        {PF_RULE_GLARE, "glare"}, {PF_RULE_EXPOSURE, "exposure"}};
    if (r->white_background)
        append(buf, cap, "%s", _(", white background"));
    if ((r->image_checks & PF_RULE_DOCUMENT_ALL) == PF_RULE_DOCUMENT_ALL) {
        append(buf, cap, "%s", _(", document checks"));
        return;
    }
    /* The rule names (as --check takes them) stay as they are. */
    for (size_t i = 0, n = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (r->image_checks & checks[i].bit)
            /* TRANSLATORS: followed by rule names: ", checks sharpness, exposure". */
            append(buf, cap, "%s%s", n++ ? C_("list of rules", ", ") : _(", checks "),
                   checks[i].name);
}

/* The rules in one line: "204,800–8,000,000 B, JPEG/PNG, colour, ...". */
void cli_describe_rules(const pf_rules *r, char *buf, size_t cap)
{
    buf[0] = '\0';
    describe_bytes(r, buf, cap);
    describe_pixels(r, buf, cap);
    append(buf, cap, "%s", item_separator());
    for (int f = 1, n = 0; f < PF_FORMAT_COUNT; f++)
        if (r->accepted_formats & (1u << f))
            append(buf, cap, "%s%s", n++ ? "/" : "", pf_format_label((pf_format)f));
    if (r->require_color)
        append(buf, cap, "%s", _(", colour"));
    describe_checks(r, buf, cap);
    if (r->fix_max_long)
        append(buf, cap, _("; fix makes \xE2\x89\xA4 %u px"), r->fix_max_long);
}

/* How sizes are read: in the user's language in the text listing, as is in
 * the JSON one. */
static const char *size_reading(void)
{
    return N_("Sizes are read on the safe side: a minimum of 200 KB as "
              "204,800 B (200 \xC3\x97 1024), a maximum of 200K as 200,000 B "
              "(200 \xC3\x97 1000), so a file meeting both readings passes "
              "whichever the portal meant.");
}

static void print_text(FILE *out, const pf_profiles *set)
{
    char rules[512];
    for (size_t i = 0; i < pf_profiles_count(set); i++) {
        const pf_profile *p = pf_profiles_get(set, i);
        cli_describe_rules(&p->rules, rules, sizeof rules);
        cli_pad(out, p->rules.name, 15);
        fprintf(out, " %s\n", rules);
        if (p->title[0] || p->stated[0]) {
            fputs("    ", out);
            cli_text_safe(out, p->title);
            if (p->stated[0])
                /* TRANSLATORS: between a profile's title and the portal's
                 * own words. */
                fprintf(out, "%s\xE2\x80\x9C%s\xE2\x80\x9D", p->title[0] ? _(": ") : "",
                        p->stated);
            fputc('\n', out);
        }
        fputs("    ", out);
        /* TRANSLATORS: where a profile's figures come from. */
        fputs(_("source: "), out);
        cli_text_safe(out, p->rules.source);
        fputc('\n', out);
    }
    fprintf(out, "%s\n", _(size_reading()));
}

void cli_profiles_json(FILE *out, const pf_profiles *set)
{
    fputs("{\"profiles\":[", out);
    for (size_t i = 0; i < pf_profiles_count(set); i++) {
        const pf_profile *p = pf_profiles_get(set, i);
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        cli_json_string(out, p->rules.name);
        fputs(",\"title\":", out);
        cli_json_string(out, p->title);
        fputs(",\"stated\":", out);
        cli_json_string(out, p->stated);
        fputs(",\"origin\":", out);
        cli_json_string(out, p->origin);
        fprintf(out, ",\"line\":%u,\"base\":", p->line);
        if (p->base[0])
            cli_json_string(out, p->base);
        else
            fputs("null", out);
        fputs(",\"source\":", out);
        cli_json_string(out, p->rules.source);
        fputs(",\"rules\":", out);
        cli_json_rules_object(out, &p->rules);
        fputc('}', out);
    }
    fputs("],\"size_reading\":", out);
    cli_json_string(out, size_reading());
    fputs("}\n", out);
}

void cli_print_profile_names(FILE *out, const pf_profiles *set)
{
    for (size_t i = 0; i < pf_profiles_count(set); i++)
        fprintf(out, "%s%s", i ? ", " : "  ", pf_profiles_get(set, i)->rules.name);
    fputc('\n', out);
}

static void print_profiles_usage(FILE *out)
{
    fputs(_("Usage: preflight profiles [--json] [--rules FILE]...\n"
            "Lists every profile: the built-in ones, then those of\n"
            "/etc/preflight/profiles.ini, $XDG_CONFIG_HOME/preflight/profiles.ini\n"
            "(~/.config/...) and each --rules FILE, a later one replacing a profile\n"
            "of the same name. Each shows its rules and where they are stated.\n"), out);
}

cli_parse_result cli_profiles_command(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'J'}, {"rules", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'}, {"lang", required_argument, NULL, 'L'},
        {NULL, 0, NULL, 0}};
    const char *files[16];
    int n_files = 0, json = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        if (opt == 'h') {
            print_profiles_usage(stdout);
            return CLI_PARSE_DONE;
        } else if (opt == 'J') {
            json = 1;
        } else if (opt == 'R' && n_files < 16) {
            files[n_files++] = optarg;
        } else if (opt == 'L') {
            continue; /* applied by cli_setup_language */
        } else {
            fputs("preflight: ", stderr);
            fprintf(stderr, _("profiles: unknown option or missing value '%s'\n"),
                    argv[optind - 1]);
            fputs(_("Try 'preflight profiles --help'.\n"), stderr);
            return CLI_PARSE_USAGE_ERROR;
        }
    }
    if (optind < argc) {
        fputs("preflight: ", stderr);
        fprintf(stderr, _("profiles takes no PATH ('%s')\n"), argv[optind]);
        return CLI_PARSE_USAGE_ERROR;
    }
    pf_profiles *set = cli_load_profiles(files, n_files);
    if (!set)
        return CLI_PARSE_USAGE_ERROR;
    if (json)
        cli_profiles_json(stdout, set);
    else
        print_text(stdout, set);
    pf_profiles_free(set);
    return CLI_PARSE_DONE;
}
