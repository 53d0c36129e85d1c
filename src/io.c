/* Reading inputs and writing outputs so that an interrupted run never leaves
 * a half-written file and an existing file is never replaced by surprise. */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
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

static void sync_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)((slash - path) ? (slash - path) : 1), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

pf_status pf_write_file_atomic(const char *path, const uint8_t *data,
                               size_t len, int force)
{
    pf_status st = PF_OK;
    char *tmp = temp_path_for(path);
    int fd = -1, made = 0;
    if (!tmp)
        return PF_ERR_NOMEM;
    fd = mkstemp(tmp); /* O_EXCL: never follows a planted symlink */
    if (fd < 0) {
        st = PF_ERR_IO;
        goto cleanup;
    }
    made = 1;
    if (fchmod(fd, 0644) != 0 || write_all(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        st = PF_ERR_IO;
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        st = PF_ERR_IO;
        goto cleanup;
    }
    fd = -1;
    if (force) {
        if (rename(tmp, path) != 0)
            st = PF_ERR_IO;
    } else if (link(tmp, path) != 0) {
        /* link() fails rather than replace: no race with another writer. */
        st = errno == EEXIST ? PF_ERR_EXISTS : PF_ERR_IO;
    }
    if (st == PF_OK)
        sync_parent_dir(path);
cleanup:
    if (fd >= 0)
        close(fd);
    if (made && (st != PF_OK || !force))
        unlink(tmp);
    free(tmp);
    return st;
}
