/* The progress line on stderr for batches: done/total, files per second,
 * time left and the file just reported. Only when stderr is a terminal and
 * the batch is more than a handful of files; never with -q. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_MIN_FILES 6
#define BAR_WIDTH 20

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, size_t total, int quiet)
{
    memset(p, 0, sizeof *p);
    p->total = total;
    p->enabled = !quiet && total >= PROGRESS_MIN_FILES && isatty(STDERR_FILENO);
    p->start = now_seconds();
}

static int terminal_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    return 80;
}

/* Erases the line, so a report line can take its place. */
void cli_progress_clear(cli_progress *p)
{
    if (p->enabled && p->shown)
        fputs("\r\033[K", stderr);
}

/* Appends to line (used bytes, cap) the characters of name that fit in
 * room columns: printable ones only (no control characters, no bytes that
 * are not UTF-8), so the line can neither wrap nor scroll. */
static size_t append_name(char *line, size_t used, size_t cap, const char *name,
                          int room)
{
    const unsigned char *p = (const unsigned char *)name;
    size_t left = strlen(name);
    while (left > 0 && room > 0) {
        int valid;
        size_t n = cli_utf8_step(p, left, &valid);
        char one[5] = "";
        if (valid && n < sizeof one)
            memcpy(one, p, n);
        int w = cli_text_width(one); /* 0 for a control character */
        if (w > room || used + n >= cap)
            break;
        if (w > 0) {
            memcpy(line + used, p, n);
            used += n, room -= w;
        }
        p += n, left -= n;
    }
    line[used] = '\0';
    return used;
}

void cli_progress_update(cli_progress *p, size_t done, const char *current)
{
    if (!p->enabled)
        return;
    double elapsed = now_seconds() - p->start, rate = elapsed > 0 ? done / elapsed : 0;
    double left = rate > 0 ? (p->total - done) / rate : 0;
    char bar[BAR_WIDTH + 1], line[512];
    size_t fill = p->total ? done * BAR_WIDTH / p->total : 0;
    for (size_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    int n = snprintf(line, sizeof line, _("[%s] %zu/%zu  %.1f files/s  ~%.0f s left  "),
                     bar, done, p->total, rate, left);
    if (n < 0)
        n = 0, line[0] = '\0';
    if ((size_t)n >= sizeof line)
        n = (int)strlen(line);
    /* Columns, not bytes: a Chinese character takes two. */
    int room = terminal_width() - 1 - cli_text_width(line);
    const char *base = strrchr(current, '/');
    base = base ? base + 1 : current;
    append_name(line, (size_t)n, sizeof line, base, room);
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    p->shown = 1;
}

void cli_progress_finish(cli_progress *p)
{
    cli_progress_clear(p);
    if (p->enabled)
        fflush(stderr);
    p->shown = 0;
}
