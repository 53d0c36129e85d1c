/* Reading inputs and writing outputs so that an interrupted run never leaves
 * a half-written file and an existing file is never replaced by surprise. */
#define _GNU_SOURCE /* O_TMPFILE, linkat via /proc, getrandom */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

pf_status pf_read_file(const char *path, size_t max_len, uint8_t **data,
                       size_t *len)
{
    pf_status st = PF_OK;
    uint8_t *buf = NULL;
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *data = NULL;
    *len = 0;
    if (fd < 0)
        return PF_ERR_IO;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = PF_ERR_IO;
        goto cleanup;
    }
    if ((uint64_t)sb.st_size > max_len) {
        st = PF_ERR_TOO_LARGE;
        goto cleanup;
    }
    size_t cap = (size_t)sb.st_size, got = 0;
    buf = malloc(cap ? cap : 1);
    if (!buf) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* file shrank while we read: take what is there */
        got += (size_t)n;
    }
    *data = buf;
    *len = got;
    buf = NULL;
cleanup:
    free(buf);
    close(fd);
    return st;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = ENOSPC; /* a zero-length write means no room */
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One output on its way to disk. err keeps the errno of the step that
 * failed, before any cleanup call can overwrite it. */
typedef struct {
    const char *path;
    char dir[PATH_MAX];   /* the destination folder */
    char *temp;           /* named temporary file, once it exists */
    int fd;
    int err;
    int no_tmpfile;       /* O_TMPFILE unusable: write a named file */
} pending_write;

static pf_status failed(pending_write *w)
{
    w->err = errno;
    return w->err == EEXIST ? PF_ERR_EXISTS : PF_ERR_IO;
}

static pf_status fill_and_sync(pending_write *w, const uint8_t *data, size_t len)
{
    if (fchmod(w->fd, 0644) != 0 || write_all(w->fd, data, len) != 0 ||
        fsync(w->fd) != 0)
        return failed(w);
    return PF_OK;
}

/* Makes the temporary name ".<base>.XXXXXX" in the destination folder, so
 * the final rename stays on one file system. */
static char *temp_path_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t len = dirlen + strlen(base) + 16;
    char *tmp = malloc(len);
    if (tmp)
        snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
    return tmp;
}

/* Replaces the trailing XXXXXX of a temporary name with random letters. */
static void randomise_suffix(char *temp, unsigned attempt)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[6];
    char *x = temp + strlen(temp) - sizeof bytes;
    if (getrandom(bytes, sizeof bytes, GRND_NONBLOCK) != (ssize_t)sizeof bytes) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t mix = (uint64_t)now.tv_nsec * 2654435761u ^
                       (uint64_t)getpid() << 20 ^ attempt;
        for (size_t i = 0; i < sizeof bytes; i++, mix >>= 7)
            bytes[i] = (unsigned char)mix;
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        x[i] = letters[bytes[i] % (sizeof letters - 1)];
}

/* Gives the unnamed file at fd_path a hidden unique name next to the output
 * (linkat never replaces: a name taken by someone else is skipped). */
static pf_status link_as_temp(pending_write *w, const char *fd_path)
{
    if (!(w->temp = temp_path_for(w->path)))
        return PF_ERR_NOMEM;
    for (unsigned attempt = 0; attempt < 100; attempt++) {
        randomise_suffix(w->temp, attempt);
        if (linkat(AT_FDCWD, fd_path, AT_FDCWD, w->temp, AT_SYMLINK_FOLLOW) == 0)
            return PF_OK;
        if (errno != EEXIST)
            break;
    }
    pf_status st = failed(w);
    free(w->temp);
    w->temp = NULL;
    return st == PF_ERR_EXISTS ? PF_ERR_IO : st;
}

/* Puts the named temporary file at its final path: rename() replaces what is
 * there (a symlink itself, never its target); link() refuses to. */
static pf_status publish_temp(pending_write *w, int force)
{
    int rc = force ? rename(w->temp, w->path) : link(w->temp, w->path);
    if (rc != 0)
        return failed(w);
    if (force) {
        free(w->temp);
        w->temp = NULL; /* renamed away: nothing left to remove */
    }
    return PF_OK;
}

/* Writes into an unnamed file (O_TMPFILE) and links it in when complete, so
 * a process killed at any point leaves no partial or temporary file. Sets
 * w->no_tmpfile when the folder's file system (or a missing /proc) does not
 * allow it. */
static pf_status write_unnamed(pending_write *w, const uint8_t *data,
                               size_t len, int force)
{
    char fd_path[64];
    w->fd = open(w->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        w->no_tmpfile = errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL;
        return failed(w);
    }
    snprintf(fd_path, sizeof fd_path, "/proc/self/fd/%d", w->fd);
    if (access(fd_path, F_OK) != 0) {
        w->no_tmpfile = 1; /* no /proc to name the file through */
        return PF_ERR_IO;
    }
    pf_status st = fill_and_sync(w, data, len);
    if (st != PF_OK)
        return st;
    if (force) {
        st = link_as_temp(w, fd_path);
        return st == PF_OK ? publish_temp(w, 1) : st;
    }
    if (linkat(AT_FDCWD, fd_path, AT_FDCWD, w->path, AT_SYMLINK_FOLLOW) != 0)
        return failed(w);
    return PF_OK;
}

/* Where O_TMPFILE is missing: a named temporary file from mkostemp (O_EXCL,
 * so it never follows a planted symlink), removed on every failure. */
static pf_status write_named(pending_write *w, const uint8_t *data, size_t len,
                             int force)
{
    if (!(w->temp = temp_path_for(w->path)))
        return PF_ERR_NOMEM;
    if ((w->fd = mkostemp(w->temp, O_CLOEXEC)) < 0) {
        pf_status st = failed(w);
        free(w->temp);
        w->temp = NULL;
        return st == PF_ERR_EXISTS ? PF_ERR_IO : st;
    }
    pf_status st = fill_and_sync(w, data, len);
    if (st != PF_OK)
        return st; /* the caller closes and removes it */
    int closed = close(w->fd);
    w->fd = -1;
    return closed != 0 ? failed(w) : publish_temp(w, force);
}

/* The folder of path ("." when none, "/" for the root). */
static void folder_of(const char *path, char dir[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, PATH_MAX, ".");
    else
        snprintf(dir, PATH_MAX, "%.*s", (int)(slash > path ? slash - path : 1), path);
}

static void sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

pf_status pf_write_file_report_errno(const char *path, const uint8_t *data,
                                     size_t len, int force, int *err)
{
    pending_write w = {.path = path, .fd = -1};
    pf_status st = PF_ERR_INVALID_ARG;
    if (!path || !*path || (!data && len))
        goto cleanup;
    folder_of(path, w.dir);
    st = write_unnamed(&w, data, len, force);
    if (w.no_tmpfile) {
        if (w.fd >= 0)
            close(w.fd);
        w.fd = -1;
        st = write_named(&w, data, len, force);
    }
    if (st == PF_OK)
        sync_folder(w.dir);
cleanup:
    if (w.fd >= 0)
        close(w.fd); /* an unnamed file not linked in vanishes here */
    if (w.temp)
        unlink(w.temp);
    free(w.temp);
    if (err)
        *err = st == PF_OK ? 0 : w.err;
    return st;
}

pf_status pf_write_file_atomic(const char *path, const uint8_t *data,
                               size_t len, int force)
{
    return pf_write_file_report_errno(path, data, len, force, NULL);
}
