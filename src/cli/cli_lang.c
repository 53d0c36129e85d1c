/* The program's language: Simplified Chinese or English, from --lang or
 * the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), and text laid out
 * by display width (a CJK character takes two columns). */
#include "cli.h"

#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

/* --lang zh|en (also --lang=zh) anywhere on the command line, so even the
 * usage errors of the options before it are in that language. */
static const char *lang_option(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--lang=", 7) == 0)
            return argv[i] + 7;
    }
    return NULL;
}

/* What the environment asks for, as gettext reads it: LANGUAGE's first
 * entry, else the first of LC_ALL, LC_MESSAGES, LANG that is set. */
static int environment_wants_chinese(void)
{
    const char *vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "zh", 2) == 0;
    }
    return 0;
}

static int is_plain_c(const char *locale)
{
    return !locale || !strcmp(locale, "C") || !strcmp(locale, "POSIX");
}

/* The folder holding zh_CN/LC_MESSAGES/preflight.mo: beside the program in
 * the build tree (build/locale), else where make install put it. */
static void bind_catalogue(void)
{
    char exe[PATH_MAX], dir[PATH_MAX + 64], mo[PATH_MAX + 128];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        snprintf(dir, sizeof dir, "%s/locale", exe);
        snprintf(mo, sizeof mo, "%s/zh_CN/LC_MESSAGES/preflight.mo", dir);
        if (access(mo, R_OK) == 0) {
            pf_set_locale_dir(dir);
            return;
        }
    }
    pf_set_locale_dir(NULL);
}

static int chosen_chinese; /* set once, before any thread starts */

int cli_language_is_chinese(void)
{
    return chosen_chinese;
}

int cli_setup_language(int argc, char **argv)
{
    const char *lang = lang_option(argc, argv);
    int chinese;
    if (lang && strcmp(lang, "zh") && strcmp(lang, "en") && strcmp(lang, "zh_CN"))
        lang = NULL; /* the option parser reports it */
    if (!setlocale(LC_ALL, ""))
        setlocale(LC_ALL, "C.UTF-8"); /* a locale that is not installed */
    chinese = lang ? strncmp(lang, "zh", 2) == 0 : environment_wants_chinese();
    if (chinese) {
        /* gettext ignores LANGUAGE under the plain C locale, and most
         * servers have no zh_CN locale generated: C.UTF-8 serves. */
        if (is_plain_c(setlocale(LC_MESSAGES, NULL)))
            setlocale(LC_ALL, "C.UTF-8");
        const char *language = getenv("LANGUAGE");
        if (lang || !language || strncmp(language, "zh", 2) != 0)
            setenv("LANGUAGE", "zh_CN", 1);
    } else if (lang) {
        setenv("LANGUAGE", "en", 1); /* no catalogue: the English text */
    }
    /* Display widths need a UTF-8 character type. */
    if (is_plain_c(setlocale(LC_CTYPE, NULL)))
        setlocale(LC_CTYPE, "C.UTF-8");
    bind_catalogue();
    chosen_chinese = chinese;
    return chinese;
}

int cli_text_width(const char *s)
{
    mbstate_t st;
    int width = 0;
    size_t left = strlen(s);
    memset(&st, 0, sizeof st);
    while (left > 0) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, s, left, &st);
        if (n == (size_t)-1 || n == (size_t)-2) {
            /* Not UTF-8: one column per byte, as a terminal shows it. */
            memset(&st, 0, sizeof st);
            n = 1, wc = L'?';
        }
        if (n == 0)
            break;
        int w = wcwidth(wc);
        width += w > 0 ? w : 0;
        s += n, left -= n;
    }
    return width;
}

void cli_pad(FILE *out, const char *s, int width)
{
    fputs(s, out);
    for (int w = cli_text_width(s); w < width; w++)
        fputc(' ', out);
}
