/* An agency's own profiles: INI rules files read with libinih, one [name]
 * section per profile, kept in a pf_profiles set after the built-in ones.
 * A file is taken whole or not at all: any error leaves the set as it was
 * and says the file, the line and what is wrong. */
#include "internal.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (1u << 20)  /* a rules file is a page of text */
#define MAX_SECTIONS 256
#define MAX_KEYS 64                /* per section */
#define MAX_PROFILES 1024
#define ERROR_LEN (PF_PATH_LEN + PF_MSG_LEN)

struct pf_profiles {
    pf_profile *items;
    size_t n, cap;
    char error[ERROR_LEN];
};

/* ---- reading the INI text ---- */

typedef struct {
    char key[32];
    char value[INI_MAX_LINE];
    unsigned line;
} ini_entry;

typedef struct {
    char name[32];
    unsigned line;
    ini_entry entries[MAX_KEYS];
    size_t n;
} ini_section;

typedef struct {
    const char *p, *end;
    unsigned line;            /* of the text the reader last handed out */
    ini_section *sections;    /* grown as sections come, MAX_SECTIONS at most */
    size_t n, cap;
    int out_of_memory;
    unsigned err_line;        /* first error found by us (0: none) */
    char err[PF_MSG_LEN];
} ini_state;

static void state_error(ini_state *s, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void state_error(ini_state *s, unsigned line, const char *fmt, ...)
{
    if (s->err_line)
        return; /* the first error is the one to mend first */
    va_list ap;
    va_start(ap, fmt);
    pf_vset_message(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    s->err_line = line;
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* A "[name]" line: a new section (inih parses it too; we note where it
 * starts, so an empty or repeated section is seen). */
static void note_section(ini_state *s, const char *line, size_t len)
{
    char name[64];
    while (len && (*line == ' ' || *line == '\t'))
        line++, len--;
    if (!len || *line != '[')
        return;
    const char *close = memchr(line, ']', len);
    if (!close)
        return; /* inih reports it */
    size_t n = (size_t)(close - line - 1);
    const char *p = line + 1;
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, p, n);
    name[n] = '\0';
    if (!valid_name(name)) {
        state_error(s, s->line, _("'[%s]' is not a profile name (letters, "
                    "digits, '-', '_' and '.', at most 31)"), name);
        return;
    }
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->sections[i].name, name) == 0) {
            state_error(s, s->line, _("profile [%s] is defined twice (also on "
                        "line %u)"), name, s->sections[i].line);
            return;
        }
    if (s->n == MAX_SECTIONS) {
        state_error(s, s->line, _("more than %d profiles in one file"),
                    MAX_SECTIONS);
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        ini_section *grown = realloc(s->sections, cap * sizeof *grown);
        if (!grown) {
            s->out_of_memory = 1;
            state_error(s, s->line, "%s", _("out of memory"));
            return;
        }
        s->sections = grown, s->cap = cap;
    }
    ini_section *sec = &s->sections[s->n++];
    memset(sec, 0, sizeof *sec);
    memcpy(sec->name, name, strlen(name) + 1); /* valid_name: < 32 bytes */
    sec->line = s->line;
}

/* inih's reader: one line at a time, counted, so the handler knows where
 * it is (Debian's libinih is built without line numbers for handlers). */
static char *read_line(char *str, int num, void *stream)
{
    ini_state *s = stream;
    if (s->p >= s->end || s->err_line)
        return NULL;
    size_t left = (size_t)(s->end - s->p);
    const char *nl = memchr(s->p, '\n', left);
    size_t len = nl ? (size_t)(nl - s->p) + 1 : left;
    s->line++;
    if (len > (size_t)num - 1) {
        state_error(s, s->line, _("line longer than %d characters"), num - 2);
        return NULL;
    }
    if (memchr(s->p, '\0', len)) {
        state_error(s, s->line, "%s", _("a NUL byte: this is not a text file"));
        return NULL;
    }
    memcpy(str, s->p, len);
    str[len] = '\0';
    s->p += len;
    note_section(s, str, len);
    return str;
}

static int on_key(void *user, const char *section, const char *name,
                  const char *value)
{
    ini_state *s = user;
    if (s->err_line)
        return 0;
    ini_section *sec = s->n ? &s->sections[s->n - 1] : NULL;
    if (!sec || strcmp(sec->name, section) != 0) {
        state_error(s, s->line, _("'%s' is outside a [profile] section"), name);
        return 0;
    }
    for (size_t i = 0; i < sec->n; i++)
        if (strcmp(sec->entries[i].key, name) == 0) {
            state_error(s, s->line, _("'%s' is set twice in [%s] (also on line "
                        "%u)"), name, sec->name, sec->entries[i].line);
            return 0;
        }
    if (sec->n == MAX_KEYS || strlen(name) >= sizeof sec->entries[0].key) {
        state_error(s, s->line, sec->n == MAX_KEYS ? _("too many keys in [%s]")
                    : _("unknown key in [%s]"), sec->name);
        return 0;
    }
    ini_entry *e = &sec->entries[sec->n++];
    snprintf(e->key, sizeof e->key, "%s", name);
    snprintf(e->value, sizeof e->value, "%s", value);
    e->line = s->line;
    return 1;
}

/* ---- the set ---- */

pf_profiles *pf_profiles_new(void)
{
    pf_profiles *set = calloc(1, sizeof *set);
    size_t n = pf_builtin_profile_count();
    if (!set || !(set->items = calloc(n, sizeof *set->items))) {
        free(set);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        pf_builtin_profile(i, &set->items[i]);
    set->n = set->cap = n;
    return set;
}

void pf_profiles_free(pf_profiles *set)
{
    if (!set)
        return;
    free(set->items);
    free(set);
}

const char *pf_profiles_error(const pf_profiles *set)
{
    return set ? set->error : "";
}

size_t pf_profiles_count(const pf_profiles *set)
{
    return set ? set->n : 0;
}

const pf_profile *pf_profiles_get(const pf_profiles *set, size_t index)
{
    return set && index < set->n ? &set->items[index] : NULL;
}

const pf_profile *pf_profiles_find(const pf_profiles *set, const char *name)
{
    for (size_t i = 0; set && name && i < set->n; i++)
        if (strcmp(set->items[i].rules.name, name) == 0)
            return &set->items[i];
    return NULL;
}

/* ---- from sections to profiles ---- */

typedef struct {
    pf_profile *items;        /* this file's profiles, resolved so far */
    size_t n;
    const pf_profiles *set;   /* what earlier files and the built-ins hold */
    const char *file;
    char err[ERROR_LEN];
} resolver;

static pf_status resolve_error(resolver *rs, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static pf_status resolve_error(resolver *rs, unsigned line, const char *fmt, ...)
{
    char what[PF_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    pf_vset_message(what, sizeof what, fmt, ap);
    va_end(ap);
    pf_set_message(rs->err, sizeof rs->err, "%s:%u: %s", rs->file, line, what);
    return PF_ERR_RULES;
}

/* A profile by name: this file's earlier sections first, then the set. */
static const pf_profile *lookup(const resolver *rs, const char *name)
{
    for (size_t i = rs->n; i-- > 0;)
        if (strcmp(rs->items[i].rules.name, name) == 0)
            return &rs->items[i];
    return pf_profiles_find(rs->set, name);
}

static const ini_entry *entry(const ini_section *sec, const char *key)
{
    for (size_t i = 0; i < sec->n; i++)
        if (strcmp(sec->entries[i].key, key) == 0)
            return &sec->entries[i];
    return NULL;
}

/* Every key a section may hold, for the message about one it may not. */
static void list_keys(char *buf, size_t cap)
{
    const char *key;
    snprintf(buf, cap, "base, title, source");
    for (size_t i = 0; (key = pf_rule_key(i)); i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, cap - used, ", %s", key);
    }
}

/* A key pf_rules_set knows (the others are refused as unknown). */
static int known_key(const char *key)
{
    const char *known;
    for (size_t i = 0; (known = pf_rule_key(i)); i++)
        if (strcmp(known, key) == 0)
            return 1;
    return 0;
}

/* Where the section starts from: its base, the profile it replaces, or
 * nothing. */
static pf_status start_profile(resolver *rs, const ini_section *sec, pf_profile *p)
{
    const ini_entry *base = entry(sec, "base");
    const char *from = base ? base->value : sec->name;
    const pf_profile *b = lookup(rs, from);
    memset(p, 0, sizeof *p);
    if (base && !b)
        return resolve_error(rs, base->line, _("[%s]: base '%s' is not a "
                             "profile (see 'preflight profiles')"), sec->name,
                             base->value);
    if (b) {
        p->rules = b->rules;
        pf_set_message(p->base, sizeof p->base, "%s", b->rules.name);
    } else {
        pf_rules_blank(&p->rules, sec->name);
    }
    pf_set_message(p->rules.name, sizeof p->rules.name, "%s", sec->name);
    pf_set_message(p->origin, sizeof p->origin, "%s", rs->file);
    p->line = sec->line;
    return PF_OK;
}

/* Where the figures come from: the file and line, the source the section
 * names, and its base's source for what it did not change. */
static void describe_source(pf_profile *p, const ini_section *sec,
                            const pf_profile *base)
{
    const ini_entry *source = entry(sec, "source");
    char own[PF_SOURCE_LEN];
    pf_set_message(own, sizeof own, "%s:%u%s%s%s", p->origin, p->line,
                   source ? " (" : "", source ? source->value : "",
                   source ? ")" : "");
    if (base && base->rules.source[0])
        /* TRANSLATORS: the rules file and line of a profile; then the
           profile it is based on and where that one's figures come from. */
        pf_set_message(p->rules.source, sizeof p->rules.source, _("%s; the rest "
                       "from %s: %s"), own, base->rules.name, base->rules.source);
    else
        pf_set_message(p->rules.source, sizeof p->rules.source, "%s", own);
}

static pf_status resolve_section(resolver *rs, const ini_section *sec,
                                 pf_profile *p)
{
    char why[PF_MSG_LEN];
    pf_status st = start_profile(rs, sec, p);
    if (st != PF_OK)
        return st;
    for (size_t i = 0; i < sec->n; i++) {
        const ini_entry *e = &sec->entries[i];
        if (!strcmp(e->key, "base") || !strcmp(e->key, "source"))
            continue;
        if (!strcmp(e->key, "title")) {
            pf_set_message(p->title, sizeof p->title, "%s", e->value);
            continue;
        }
        if (pf_rules_set(&p->rules, e->key, e->value, why, sizeof why) == PF_OK)
            continue;
        if (!known_key(e->key)) {
            char keys[PF_MSG_LEN];
            list_keys(keys, sizeof keys);
            return resolve_error(rs, e->line, _("unknown key '%s' in [%s] "
                                 "(keys: %s)"), e->key, sec->name, keys);
        }
        return resolve_error(rs, e->line, "%s = %s: %s", e->key, e->value, why);
    }
    if (pf_rules_validate(&p->rules, why, sizeof why) != PF_OK)
        return resolve_error(rs, sec->line, "[%s]: %s", sec->name, why);
    describe_source(p, sec, p->base[0] ? lookup(rs, p->base) : NULL);
    return PF_OK;
}

/* Reads the text into sections; PF_ERR_RULES with err set on a syntax error. */
static pf_status parse_sections(ini_state *s, const char *file, char *err,
                                size_t err_len)
{
    int line = ini_parse_stream(read_line, s, on_key, s);
    if (line == 0 && !s->err_line)
        return PF_OK;
    if (line < 0 || s->out_of_memory)
        return PF_ERR_NOMEM;
    if (s->err_line && (line == 0 || (unsigned)line >= s->err_line))
        pf_set_message(err, err_len, "%s:%u: %s", file, s->err_line, s->err);
    else
        pf_set_message(err, err_len, _("%s:%d: expected 'key = value', "
                       "'[profile]' or a comment (; or #)"), file, line);
    return PF_ERR_RULES;
}

/* Puts this file's profiles into the set, each replacing one of its name. */
static pf_status merge(pf_profiles *set, pf_profile *items, size_t n)
{
    size_t fresh = 0;
    for (size_t i = 0; i < n; i++)
        fresh += !pf_profiles_find(set, items[i].rules.name);
    if (set->n + fresh > MAX_PROFILES)
        return PF_ERR_RULES;
    if (set->n + fresh > set->cap) {
        pf_profile *grown = realloc(set->items, (set->n + fresh) * sizeof *grown);
        if (!grown)
            return PF_ERR_NOMEM;
        set->items = grown;
        set->cap = set->n + fresh;
    }
    for (size_t i = 0; i < n; i++) {
        pf_profile *old = (pf_profile *)pf_profiles_find(set, items[i].rules.name);
        *(old ? old : &set->items[set->n++]) = items[i];
    }
    return PF_OK;
}

pf_status pf_profiles_load_text(pf_profiles *set, const char *text, size_t len,
                                const char *name)
{
    if (!set || (!text && len))
        return PF_ERR_INVALID_ARG;
    const char *file = name ? name : "(rules)";
    ini_state s = {text, text + len, 0, NULL, 0, 0, 0, 0, ""};
    resolver rs = {NULL, 0, set, file, ""};
    pf_status st = PF_ERR_NOMEM;
    set->error[0] = '\0';
    if (len > MAX_FILE_BYTES) {
        pf_set_message(set->error, sizeof set->error, _("%s: larger than %u "
                       "bytes: not a rules file"), file, MAX_FILE_BYTES);
        return PF_ERR_RULES;
    }
    if ((st = parse_sections(&s, file, set->error, sizeof set->error)) != PF_OK)
        goto cleanup;
    if (s.n && !(rs.items = calloc(s.n, sizeof *rs.items))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < s.n; i++, rs.n++)
        if ((st = resolve_section(&rs, &s.sections[i], &rs.items[i])) != PF_OK) {
            pf_set_message(set->error, sizeof set->error, "%s", rs.err);
            goto cleanup;
        }
    st = merge(set, rs.items, rs.n);
    if (st == PF_ERR_RULES)
        pf_set_message(set->error, sizeof set->error, _("%s: more than %d "
                       "profiles in all"), file, MAX_PROFILES);
cleanup:
    if (st == PF_ERR_NOMEM)
        pf_set_message(set->error, sizeof set->error, _("%s: out of memory"),
                       file);
    free(rs.items);
    free(s.sections);
    return st;
}

pf_status pf_profiles_load_file(pf_profiles *set, const char *path)
{
    if (!set || !path)
        return PF_ERR_INVALID_ARG;
    uint8_t *text = NULL;
    size_t len = 0;
    errno = 0;
    pf_status st = pf_read_file(path, MAX_FILE_BYTES, &text, &len);
    if (st == PF_OK)
        st = pf_profiles_load_text(set, (const char *)text, len, path);
    else if (st == PF_ERR_IO)
        pf_set_message(set->error, sizeof set->error, _("%s: cannot read it: %s"),
                       path, errno ? strerror(errno) : _("not a regular file"));
    else if (st == PF_ERR_TOO_LARGE)
        pf_set_message(set->error, sizeof set->error, _("%s: larger than %u "
                       "bytes: not a rules file"), path, MAX_FILE_BYTES),
            st = PF_ERR_RULES;
    else
        pf_set_message(set->error, sizeof set->error, "%s: %s", path,
                       pf_strerror(st));
    free(text);
    return st;
}
