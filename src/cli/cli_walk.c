/* Expands PATH arguments into a list of files and, for fix, gives each file
 * an output stem that mirrors the input layout so that names cannot clash. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct {
    cli_job_list *list;
    int recursive;
    const char *out_dir;     /* NULL for check */
    int skip_out_dir;        /* the output folder exists: never walk into it */
    dev_t out_dev;
    ino_t out_ino;
} walk_state;

/* dir + "/" + name, without doubling a trailing slash. */
static char *join_path(const char *dir, const char *name)
{
    size_t dlen = strlen(dir), nlen = strlen(name);
    int slash = dlen > 0 && dir[dlen - 1] != '/';
    char *path = malloc(dlen + slash + nlen + 1);
    if (!path)
        return NULL;
    memcpy(path, dir, dlen);
    if (slash)
        path[dlen] = '/';
    memcpy(path + dlen + slash, name, nlen + 1);
    return path;
}

/* Copy of path without the extension of its last component. A leading dot
 * (".profile") is a name, not an extension. */
static char *strip_extension(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *base = strrchr(copy, '/');
    base = base ? base + 1 : copy;
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    return copy;
}

/* out_dir/<rel without extension>. */
static char *make_stem(const char *out_dir, const char *rel)
{
    char *bare = strip_extension(rel);
    char *stem = bare ? join_path(out_dir, *bare ? bare : "image") : NULL;
    free(bare);
    return stem;
}

/* Appends a job, taking ownership of path and stem (freed on failure). */
static int push_job(cli_job_list *list, char *path, char *stem, int walk_errno,
                    char *group)
{
    if (list->n_jobs == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        cli_job *jobs = realloc(list->jobs, cap * sizeof *jobs);
        if (!jobs) {
            free(path);
            free(stem);
            free(group);
            return -1;
        }
        list->jobs = jobs;
        list->cap = cap;
    }
    list->jobs[list->n_jobs++] = (cli_job){path, stem, walk_errno, group, 0};
    return 0;
}

/* Adds the file at path; rel is its name for the output stem. */
static int add_file(walk_state *ws, const char *path, const char *rel,
                    int walk_errno)
{
    char *path_copy = strdup(path);
    char *stem = NULL;
    /* The top-level folder under the argument, for --group-by-folder. */
    const char *slash = strchr(rel, '/');
    char *group = strndup(rel, slash ? (size_t)(slash - rel) : 0);
    if (ws->out_dir && !walk_errno)
        stem = make_stem(ws->out_dir, rel);
    if (!path_copy || !group || (ws->out_dir && !walk_errno && !stem)) {
        free(path_copy);
        free(stem);
        free(group);
        return -1;
    }
    return push_job(ws->list, path_copy, stem, walk_errno, group);
}

void cli_job_list_free(cli_job_list *list)
{
    for (size_t i = 0; i < list->n_jobs; i++) {
        free(list->jobs[i].path);
        free(list->jobs[i].out_stem);
        free(list->jobs[i].group);
    }
    free(list->jobs);
    memset(list, 0, sizeof *list);
}

/* Pages in the file at path (1 when it has one, or cannot be read: the
 * job itself then says what is wrong). */
static int pages_of(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int pages = 1;
    if (pf_read_file(path, (size_t)1 << 30, &data, &len) == PF_OK &&
        pf_page_count(data, len, &pages) != PF_OK)
        pages = 1;
    free(data);
    return pages;
}

/* A copy of job for its page (0-based), writing STEM-pN (N = page + 1). */
static int push_page(cli_job_list *list, const cli_job *job, int page)
{
    size_t n = strlen(job->out_stem) + 16;
    char *path = strdup(job->path), *stem = malloc(n);
    char *group = job->group ? strdup(job->group) : NULL;
    if (!path || !stem || (job->group && !group)) {
        free(path), free(stem), free(group);
        return -1;
    }
    snprintf(stem, n, "%s-p%d", job->out_stem, page + 1);
    if (push_job(list, path, stem, 0, group) != 0)
        return -1;
    list->jobs[list->n_jobs - 1].page = page;
    return 0;
}

int cli_expand_pages(cli_job_list *list)
{
    cli_job_list out = {NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; i < list->n_jobs && rc == 0; i++) {
        cli_job *job = &list->jobs[i];
        int pages = job->out_stem && !job->walk_errno ? pages_of(job->path) : 1;
        rc = push_job(&out, job->path, job->out_stem, job->walk_errno, job->group);
        if (rc == 0)
            job->path = job->out_stem = job->group = NULL; /* now out's */
        size_t first = out.n_jobs - 1;
        for (int p = 1; p < pages && rc == 0; p++)
            rc = push_page(&out, &out.jobs[first], p);
    }
    cli_job_list_free(list);
    *list = out;
    return rc;
}

static int not_hidden(const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

/* Byte order, not the locale's: the same listing on every machine. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int walk_dir(walk_state *ws, const char *dir, const char *rel);

/* One directory entry: a file is added, a real directory walked with -r.
 * Symlinks are followed to files only, so a link cannot make a loop. */
static int visit_entry(walk_state *ws, const char *path, const char *rel)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return add_file(ws, path, rel, 0); /* gone: the library reports it */
    if (S_ISDIR(st.st_mode)) {
        int is_out = ws->skip_out_dir && st.st_dev == ws->out_dev &&
                     st.st_ino == ws->out_ino;
        return ws->recursive && !is_out ? walk_dir(ws, path, rel) : 0;
    }
    if (S_ISREG(st.st_mode))
        return add_file(ws, path, rel, 0);
    if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || S_ISREG(st.st_mode)))
        return add_file(ws, path, rel, 0); /* dangling: reported as error */
    return 0; /* fifos, sockets, devices, links to directories */
}

/* The entry name inside dir, whose place in the argument is rel. */
static int visit_named(walk_state *ws, const char *dir, const char *rel,
                       const char *name)
{
    char *path = join_path(dir, name);
    char *child_rel = *rel ? join_path(rel, name) : strdup(name);
    int rc = path && child_rel ? visit_entry(ws, path, child_rel) : -1;
    free(path);
    free(child_rel);
    return rc;
}

/* rel: path of dir inside the PATH argument ("" at the top). */
static int walk_dir(walk_state *ws, const char *dir, const char *rel)
{
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, not_hidden, by_name);
    int rc = 0;
    if (n < 0)
        return add_file(ws, dir, rel, errno ? errno : EIO);
    for (int i = 0; i < n; i++) {
        if (rc == 0)
            rc = visit_named(ws, dir, rel, entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    return rc;
}

/* Last component of a file argument ("scans/a.jpg" -> "a.jpg"). */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A PATH argument: a directory (followed even if a symlink, since it was
 * named) is walked; anything else is taken as a file. */
static int walk_argument(walk_state *ws, const char *path)
{
    struct stat st;
    size_t before = ws->list->n_jobs;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return add_file(ws, path, base_name(path), 0);
    int rc = walk_dir(ws, path, "");
    if (rc == 0 && ws->list->n_jobs == before) {
        fputs("preflight: ", stderr);
        cli_text_safe(stderr, path); /* as the report shows names */
        fputs(ws->recursive ? _(": no files\n")
                            : _(": no files (use -r for subfolders)\n"), stderr);
    }
    return rc;
}

/* ---- unique output stems ---- */

typedef struct {
    const char **slots;  /* open addressing; NULL is empty */
    size_t mask;
} stem_set;

static size_t hash_string(const char *s)
{
    size_t h = 14695981039346656037ULL & SIZE_MAX; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ULL;
    return h;
}

/* 1 when s was added, 0 when already present. */
static int stem_set_add(stem_set *set, const char *s)
{
    size_t i = hash_string(s) & set->mask;
    while (set->slots[i]) {
        if (strcmp(set->slots[i], s) == 0)
            return 0;
        i = (i + 1) & set->mask;
    }
    set->slots[i] = s;
    return 1;
}

/* Replaces *stem by "<stem>-2", "-3", ... until it is new to the set. */
static int make_unique(stem_set *set, char **stem)
{
    size_t len = strlen(*stem) + 24;
    char *candidate = malloc(len);
    if (!candidate)
        return -1;
    for (unsigned k = 2;; k++) {
        snprintf(candidate, len, "%s-%u", *stem, k);
        if (stem_set_add(set, candidate))
            break;
    }
    free(*stem);
    *stem = candidate;
    return 0;
}

/* Two inputs may map to one stem (a.png and a.jpg, or the same name in two
 * folders given): later ones get a numbered suffix, in argument order, so a
 * re-run maps every input to the same output again. */
static int assign_unique_stems(cli_job_list *list)
{
    size_t cap = 16; /* at most one entry per job: keep it half empty */
    while (cap < list->n_jobs * 2)
        cap *= 2;
    stem_set set = {calloc(cap, sizeof(const char *)), cap - 1};
    if (!set.slots)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < list->n_jobs && rc == 0; i++) {
        char **stem = &list->jobs[i].out_stem;
        if (*stem && !stem_set_add(&set, *stem))
            rc = make_unique(&set, stem);
    }
    free(set.slots);
    return rc;
}

int cli_walk_paths(char *const *paths, int n_paths, int recursive,
                   const char *out_dir, cli_job_list *list)
{
    walk_state ws = {.list = list, .recursive = recursive, .out_dir = out_dir};
    struct stat st;
    memset(list, 0, sizeof *list);
    if (out_dir && stat(out_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        ws.skip_out_dir = 1;
        ws.out_dev = st.st_dev;
        ws.out_ino = st.st_ino;
    }
    int rc = 0;
    for (int i = 0; i < n_paths && rc == 0; i++)
        rc = walk_argument(&ws, paths[i]);
    if (rc == 0 && out_dir)
        rc = assign_unique_stems(list);
    if (rc != 0)
        fputs(_("preflight: out of memory listing files\n"), stderr);
    return rc;
}

/* mkdir that accepts an existing directory. */
static int make_dir(const char *path)
{
    struct stat st;
    if (mkdir(path, 0777) == 0)
        return 0;
    int saved = errno;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        saved = ENOTDIR;
    }
    errno = saved;
    return -1;
}

/* mkdir -p of everything before the last '/' of out_stem. */
int cli_make_parent_dirs(const char *out_stem)
{
    char *path = strdup(out_stem);
    int rc = 0;
    if (!path)
        return -1;
    char *last = strrchr(path, '/');
    if (last && last != path) {
        *last = '\0';
        for (char *p = path + 1; rc == 0 && *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            rc = make_dir(path);
            *p = '/';
        }
        if (rc == 0)
            rc = make_dir(path);
    }
    free(path);
    return rc;
}
