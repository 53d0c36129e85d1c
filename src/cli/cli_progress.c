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
    int n = snprintf(line, sizeof line, "[%s] %zu/%zu  %.1f files/s  ~%.0f s left  ",
                     bar, done, p->total, rate, left);
    int room = terminal_width() - 1 - (n > 0 ? n : 0);
    const char *base = strrchr(current, '/');
    base = base ? base + 1 : current;
    /* Only printable ASCII of the name: the line must not wrap or scroll. */
    for (int i = 0; base[i] && room > 0 && n > 0 && (size_t)n < sizeof line - 1; i++)
        if ((unsigned char)base[i] >= 0x20 && (unsigned char)base[i] < 0x7F)
            line[n++] = base[i], room--;
    line[n > 0 ? n : 0] = '\0';
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
