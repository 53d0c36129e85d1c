/* --group-by-folder: a filing agency keeps one folder per client; the
 * report ends with one line per top-level folder saying whether everything
 * is ready and, if not, which files need a new photo or scan and why. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define NEEDS_MAX 4000 /* characters of "what to redo" kept per folder */

static cli_group *find_or_add(cli_groups *gs, const char *name)
{
    for (size_t i = 0; i < gs->n; i++)
        if (strcmp(gs->g[i].name, name) == 0)
            return &gs->g[i];
    if (gs->n == gs->cap) {
        size_t cap = gs->cap ? gs->cap * 2 : 16;
        cli_group *g = realloc(gs->g, cap * sizeof *g);
        if (!g)
            return NULL;
        gs->g = g, gs->cap = cap;
    }
    cli_group *g = &gs->g[gs->n];
    memset(g, 0, sizeof *g);
    if (!(g->name = strdup(name)))
        return NULL;
    gs->n++;
    return g;
}

/* "name (what to do)" appended to the folder's list, within NEEDS_MAX. */
static void note_need(cli_group *g, const char *path, const pf_report *r)
{
    const char *base = strrchr(path, '/');
    const char *why = r->message[0] ? r->message : pf_strerror(r->error);
    size_t n = strlen(path);
    base = base ? base + 1 : path;
    if (strncmp(why, path, n) == 0 && why[n] == ':' && why[n + 1] == ' ')
        why += n + 2; /* the message starts with the path */
    /* TRANSLATORS: between two files of a folder's "what to redo" list. */
    const char *sep = g->needs_len ? _("; ") : "";
    /* TRANSLATORS: a file of the "what to redo" list: its name (what to do). */
    const char *item = _("%s (%s)");
    int len = snprintf(NULL, 0, item, base, why);
    size_t add = strlen(base) + strlen(why) + 6;
    if (len < 0)
        return;
    if (add < strlen(sep) + (size_t)len)
        add = strlen(sep) + (size_t)len; /* a translation's longer punctuation */
    if (g->needs_len + add >= NEEDS_MAX)
        return;
    char *more = realloc(g->needs, g->needs_len + add + 1);
    if (!more)
        return;
    g->needs = more;
    g->needs_len += (size_t)snprintf(g->needs + g->needs_len, add + 1, "%s", sep);
    g->needs_len += (size_t)snprintf(g->needs + g->needs_len, (size_t)len + 1, item,
                                     base, why);
}

void cli_groups_add(cli_groups *gs, const char *group, const char *path,
                    const pf_report *r)
{
    cli_group *g = find_or_add(gs, group);
    if (!g)
        return;
    g->files++;
    if (r->status == PF_FILE_PASS)
        g->ready++;
    else if (r->status == PF_FILE_FIXED)
        g->fixed++;
    else {
        g->need++;
        note_need(g, path, r);
    }
}

static const char *shown_name(const cli_group *g)
{
    return g->name[0] ? g->name : _("(top level)");
}

static void print_needs(FILE *out, const cli_group *g)
{
    /* TRANSLATORS: the plural follows the last number (files that need a
       new photo or scan). */
    fprintf(out, P_(": %d files, %d ready, %d fixed, %d needs a new photo or scan: ",
                    ": %d files, %d ready, %d fixed, %d need a new photo or scan: ",
                    (unsigned long)g->need),
            g->files, g->ready, g->fixed, g->need);
    cli_text_safe(out, g->needs ? g->needs : "");
    fputc('\n', out);
}

void cli_groups_print(const cli_groups *gs, FILE *out)
{
    if (gs->n == 0)
        return;
    fputs(_("By folder:\n"), out);
    for (size_t i = 0; i < gs->n; i++) {
        const cli_group *g = &gs->g[i];
        fputs("  ", out);
        cli_text_safe(out, shown_name(g)); /* names escaped as in each file's line */
        if (!g->need && !g->fixed)
            fprintf(out, _(": all %d ready\n"), g->files);
        else if (!g->need)
            fprintf(out, _(": all %d ready after fix (%d fixed)\n"), g->files,
                    g->fixed);
        else
            print_needs(out, g);
    }
}

void cli_groups_csv(const cli_groups *gs, FILE *csv)
{
    static const char *const cols[] = {"folder", "files", "ready", "fixed",
                                       "need a new photo or scan", "what to redo"};
    if (gs->n == 0)
        return;
    fputs("\r\n", csv);
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        cli_csv_field(csv, cols[i], i == 0);
    fputs("\r\n", csv);
    for (size_t i = 0; i < gs->n; i++) {
        const cli_group *g = &gs->g[i];
        char num[4][16];
        snprintf(num[0], sizeof num[0], "%d", g->files);
        snprintf(num[1], sizeof num[1], "%d", g->ready);
        snprintf(num[2], sizeof num[2], "%d", g->fixed);
        snprintf(num[3], sizeof num[3], "%d", g->need);
        cli_csv_field(csv, shown_name(g), 1);
        for (int k = 0; k < 4; k++)
            cli_csv_field(csv, num[k], 0);
        cli_csv_field(csv, g->needs ? g->needs : "", 0);
        fputs("\r\n", csv);
    }
}

void cli_groups_free(cli_groups *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        free(gs->g[i].name);
        free(gs->g[i].needs);
    }
    free(gs->g);
    memset(gs, 0, sizeof *gs);
}
