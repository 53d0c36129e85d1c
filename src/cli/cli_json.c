/* JSON output helpers: a string escaper that gives valid JSON for any bytes
 * (file names on Linux are bytes, not necessarily UTF-8) and a number test. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* What a lead byte needs: total length (0 when it can never start a
 * sequence) and the allowed range of the second byte. The ranges follow
 * Unicode table 3-7, which rules out overlongs (C0, C1, E0 80..9F, F0 80..8F),
 * surrogates (ED A0..BF) and code points over U+10FFFF (F4 90.., F5..FF). */
static size_t lead_info(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80, *hi = 0xBF;
    if (lead == 0xE0)
        *lo = 0xA0;
    else if (lead == 0xED)
        *hi = 0x9F;
    else if (lead == 0xF0)
        *lo = 0x90;
    else if (lead == 0xF4)
        *hi = 0x8F;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

/* Length of the longest prefix of s that could start a valid sequence. */
static size_t valid_prefix_length(const unsigned char *s, size_t avail)
{
    unsigned char lo, hi;
    size_t need = lead_info(s[0], &lo, &hi);
    size_t n = 1;
    if (need < 2 || avail < 2 || s[1] < lo || s[1] > hi)
        return n;
    n = 2;
    while (n < need && n < avail && is_continuation(s[n]))
        n++;
    return n;
}

size_t cli_utf8_sequence_length(const unsigned char *s, size_t avail)
{
    unsigned char lo, hi;
    size_t need = lead_info(s[0], &lo, &hi);
    if (need == 0 || avail == 0)
        return 0;
    return valid_prefix_length(s, avail) == need ? need : 0;
}

/* An invalid run is the "maximal subpart" of the ill-formed sequence, one
 * U+FFFD's worth by Unicode's recommended practice (as browsers do). */
size_t cli_utf8_step(const unsigned char *s, size_t avail, int *valid)
{
    size_t n = cli_utf8_sequence_length(s, avail);
    *valid = n > 0;
    return n ? n : valid_prefix_length(s, avail);
}

static void write_escaped_ascii(FILE *out, unsigned char c)
{
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\t': fputs("\\t", out); break;
    case '\r': fputs("\\r", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    default:
        if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
}

void cli_utf8_write(FILE *out, const char *s, size_t len, cli_piece_fn write_piece)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0, n; s && i < len; i += n) {
        int valid;
        n = cli_utf8_step(p + i, len - i, &valid);
        write_piece(out, p + i, n, valid);
    }
}

static void write_json_piece(FILE *out, const unsigned char *p, size_t n, int valid)
{
    if (!valid)
        fputs("\\ufffd", out);
    else if (n == 1)
        write_escaped_ascii(out, p[0]);
    else if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
        /* U+2028/U+2029 are valid JSON but break JavaScript parsers. */
        fprintf(out, "\\u%s", p[2] == 0xA8 ? "2028" : "2029");
    else
        fwrite(p, 1, n, out);
}

void cli_json_string_n(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    cli_utf8_write(out, s, len, write_json_piece);
    fputc('"', out);
}

void cli_json_string(FILE *out, const char *s)
{
    cli_json_string_n(out, s, s ? strlen(s) : 0);
}

static const char *skip_digits(const char *p)
{
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

/* JSON number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
int cli_json_is_number(const char *text)
{
    const char *p = text;
    if (!p)
        return 0;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        p = skip_digits(p);
    else
        return 0;
    if (*p == '.') {
        if (!isdigit((unsigned char)p[1]))
            return 0;
        p = skip_digits(p + 1);
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        p = skip_digits(p);
    }
    return *p == '\0';
}
