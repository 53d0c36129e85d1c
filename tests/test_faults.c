/* Hostile paths and faults, end to end through the preflight program (env
 * PF_BIN): inputs never change, a planted symlink is never followed, a
 * process killed at any moment leaves only whole outputs, and a full disk, a
 * file-size limit or an unwritable folder fails that file with a message
 * saying what to do while the batch goes on, leaving nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define WECHAT_MAX_BYTES 200000
#define MAX_FILES 32
#define DASH " \xE2\x80\x94 "

static const char *bin;   /* the preflight program */
static char *inputs;      /* big.jpg, small.jpg, scan.png, shared by the tests */
static char mounted[PATH_MAX]; /* a test's mount, undone even when it fails */

/* ---- helpers ---- */

/* A colour JPEG of w x h at quality 98 (well over 200,000 B: fix must
 * re-encode it), or a flat one at quality 90 (a few KB: fix copies it). */
static void write_jpeg(const char *path, uint32_t w, uint32_t h,
                       enum tu_pattern pattern)
{
    uint8_t *rgb = tu_make_rgb(w, h, pattern, 11), *jpg = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, w, h, 3, pattern == TU_PATTERN_FLAT ? 90 : 98,
                             0, NULL, 0, &jpg, &len), 0);
    assert_int_equal(tu_write(path, jpg, len), 0);
    free(jpg);
    free(rgb);
}

static void write_color_png(const char *path)
{
    uint8_t *rgb = tu_make_rgb(1600, 1200, TU_PATTERN_COLOR, 5), *png = NULL;
    size_t len = 0;
    assert_non_null(rgb);
    assert_int_equal(tu_png(rgb, NULL, 1600, 1200, 2, 8, 0, NULL, 0, &png, &len), 0);
    assert_int_equal(tu_write(path, png, len), 0);
    free(png);
    free(rgb);
}

/* dst = dir/name; dst holds PATH_MAX bytes. */
static void join(char *dst, const char *dir, const char *name)
{
    int n = snprintf(dst, PATH_MAX, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_MAX);
}

/* A fresh folder for one test (under /tmp); drop_scratch() after. */
static char *scratch(void)
{
    char *root = tu_mkdtemp();
    assert_non_null(root);
    return root;
}

/* Removes a test's scratch folder and frees its name. */
static void drop_scratch(char *root)
{
    tu_rm_rf(root);
    free(root);
}

/* The names in a folder (not "." and ".."), sorted; returns how many. */
static int list_names(const char *dir, char names[MAX_FILES][NAME_MAX + 1])
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_true(n < MAX_FILES);
        snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, NAME_MAX + 1, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* Asserts the folder holds exactly the one name given (or none for NULL). */
static void assert_only_file(const char *dir, const char *name)
{
    char names[MAX_FILES][NAME_MAX + 1];
    int n = list_names(dir, names);
    if (n == (name ? 1 : 0) && (!name || strcmp(names[0], name) == 0))
        return;
    for (int i = 0; i < n; i++)
        fprintf(stderr, "  %s holds %s\n", dir, names[i]);
    fail_msg("%s should hold %s", dir, name ? name : "nothing");
}

/* A whole JPEG a WeChat portal takes: a regular file that decodes without a
 * libjpeg warning and ends with the EOI marker. */
static void assert_complete_jpeg(const char *path)
{
    struct stat st;
    unsigned w = 0, h = 0;
    int comps = 0;
    long warnings = -1;
    size_t len = 0;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    uint8_t *data = tu_read(path, &len);
    assert_non_null(data);
    assert_true(len >= 4 && len <= WECHAT_MAX_BYTES);
    assert_true(data[len - 2] == 0xFF && data[len - 1] == 0xD9);
    free(data);
    assert_int_equal(tu_decode_jpeg(path, &w, &h, &comps, &warnings), 0);
    assert_int_equal(warnings, 0);
}

/* Every regular file of a folder, bytes and all, to compare after a run. */
typedef struct {
    int n;
    char path[MAX_FILES][PATH_MAX];
    uint8_t *data[MAX_FILES];
    size_t len[MAX_FILES];
} snapshot;

static snapshot *take_snapshot(const char *dir)
{
    char names[MAX_FILES][NAME_MAX + 1];
    snapshot *s = calloc(1, sizeof *s);
    assert_non_null(s);
    int n = list_names(dir, names);
    for (int i = 0; i < n; i++) {
        struct stat st;
        join(s->path[s->n], dir, names[i]);
        if (lstat(s->path[s->n], &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        s->data[s->n] = tu_read(s->path[s->n], &s->len[s->n]);
        assert_non_null(s->data[s->n]);
        s->n++;
    }
    assert_true(s->n > 0);
    return s;
}

static void assert_unchanged(const snapshot *s)
{
    for (int i = 0; i < s->n; i++) {
        struct stat st;
        size_t len = 0;
        assert_int_equal(lstat(s->path[i], &st), 0);
        assert_true(S_ISREG(st.st_mode));
        uint8_t *now = tu_read(s->path[i], &len);
        assert_non_null(now);
        if (len != s->len[i] || memcmp(now, s->data[i], len) != 0)
            fail_msg("%s changed", s->path[i]);
        free(now);
    }
}

static void snapshot_free(snapshot *s)
{
    for (int i = 0; s && i < s->n; i++)
        free(s->data[i]);
    free(s);
}

/* A fresh folder holding copies of the shared inputs named in names. */
static char *folder_with(const char *root, const char *sub, const char *names)
{
    char *dir = malloc(PATH_MAX);
    assert_non_null(dir);
    snprintf(dir, PATH_MAX, "%s/%s", root, sub);
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s' && cd '%s' && cp %s '%s'",
                             dir, inputs, names, dir), 0);
    return dir;
}

/* ---- fixtures ---- */

static int unmount_scratch(void **state)
{
    (void)state;
    if (mounted[0] && tu_runf(NULL, "umount '%s' 2>/dev/null", mounted) != 0)
        fprintf(stderr, "  could not unmount %s\n", mounted);
    mounted[0] = '\0';
    return 0;
}

static int setup_inputs(void **state)
{
    (void)state;
    char path[PATH_MAX];
    bin = getenv("PF_BIN");
    if (!bin || !*bin)
        bin = "build/preflight";
    if (!(inputs = tu_mkdtemp()))
        return -1;
    join(path, inputs, "big.jpg");
    write_jpeg(path, 1600, 1200, TU_PATTERN_COLOR);
    join(path, inputs, "small.jpg");
    write_jpeg(path, 1600, 1200, TU_PATTERN_FLAT);
    join(path, inputs, "scan.png");
    write_color_png(path);
    return 0;
}

static int teardown_inputs(void **state)
{
    (void)state;
    if (inputs)
        tu_rm_rf(inputs);
    free(inputs);
    return 0;
}

/* ---- a: inputs are never changed ---- */

/* Runs preflight with args (a format) and checks every file that was in dir
 * before is still there, byte for byte. Returns the exit status. */
static int run_keeping(const char *dir, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run_keeping(const char *dir, char **out, const char *fmt, ...)
{
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snapshot *before = take_snapshot(dir);
    int status = tu_runf(out, "'%s' %s 2>&1", bin, args);
    assert_non_null(*out);
    assert_unchanged(before);
    snapshot_free(before);
    return status;
}

/* The line fix prints for an output that would be its own input. */
static void assert_refused_as_input(const char *log, const char *out_path)
{
    char want[PATH_MAX + 128];
    snprintf(want, sizeof want, "error: the output %s is the input itself; "
             "nothing was written" DASH "choose another output folder with -o",
             out_path);
    if (!strstr(log, want))
        fail_msg("no \"%s\" in:\n%s", want, log);
}

static void test_inputs_never_change(void **state)
{
    (void)state;
    char *root = scratch(), *log = NULL, path[PATH_MAX];
    char *in = folder_with(root, "in", "big.jpg small.jpg scan.png");
    assert_int_equal(run_keeping(in, &log, "check '%s'", in), 1);
    free(log);
    assert_int_equal(run_keeping(in, &log, "fix -o '%s/other' '%s'", root, in), 0);
    free(log);
    /* Into the inputs' own folder: the JPEGs would be written over
     * themselves and are refused; scan.png becomes scan.jpg beside it. */
    assert_int_equal(run_keeping(in, &log, "fix -o '%s' '%s'", in, in), 1);
    join(path, in, "big.jpg");
    assert_refused_as_input(log, path);
    join(path, in, "small.jpg");
    assert_refused_as_input(log, path);
    free(log);
    join(path, in, "scan.jpg");
    assert_complete_jpeg(path);
    /* --force does not make overwriting an input acceptable either. */
    assert_int_equal(run_keeping(in, &log, "fix --force -o '%s' '%s'", in, in), 1);
    join(path, in, "big.jpg");
    assert_refused_as_input(log, path);
    free(log);
    free(in);
    drop_scratch(root);
}

/* The same input reached through a symlinked folder, a symlink and a hard
 * link at the output name: refused, with or without --force. */
static void test_input_aliases_refused(void **state)
{
    (void)state;
    char *root = scratch(), *log = NULL, path[PATH_MAX];
    char *in = folder_with(root, "in", "big.jpg");
    assert_int_equal(tu_runf(NULL, "cd '%s' && ln -s in alias && mkdir hard soft "
                             "&& ln in/big.jpg hard/big.jpg && "
                             "ln -s ../in/big.jpg soft/big.jpg", root), 0);
    static const char *const outputs[] = {"alias", "hard", "soft"};
    for (int i = 0; i < 3; i++)
        for (int force = 0; force <= 1; force++) {
            assert_int_equal(run_keeping(in, &log, "fix %s-o '%s/%s' '%s/big.jpg'",
                                         force ? "--force " : "", root,
                                         outputs[i], in), 1);
            snprintf(path, sizeof path, "%s/%s/big.jpg", root, outputs[i]);
            assert_refused_as_input(log, path);
            free(log);
        }
    free(in);
    drop_scratch(root);
}

/* ---- b: a symlink planted at the output name ---- */

static void test_planted_symlink_never_followed(void **state)
{
    (void)state;
    static const char precious[] = "someone else's file\n";
    char *root = scratch(), *log = NULL, want[PATH_MAX + 64];
    char out[PATH_MAX], victim[PATH_MAX], link_path[PATH_MAX];
    struct stat st;
    join(out, root, "out");
    join(victim, root, "victim.txt");
    join(link_path, out, "big.jpg");
    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(tu_write(victim, (const uint8_t *)precious, strlen(precious)), 0);
    assert_int_equal(symlink(victim, link_path), 0);
    snapshot *before = take_snapshot(root);

    assert_int_equal(tu_runf(&log, "'%s' fix -o '%s' '%s/big.jpg' 2>&1", bin, out,
                             inputs), 1);
    snprintf(want, sizeof want, "error: %s already exists; use --force to "
             "overwrite it", link_path);
    assert_non_null(strstr(log, want));
    free(log);
    assert_unchanged(before);
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));

    assert_int_equal(tu_runf(&log, "'%s' fix --force -o '%s' '%s/big.jpg' 2>&1",
                             bin, out, inputs), 0);
    free(log);
    assert_unchanged(before); /* the victim */
    assert_complete_jpeg(link_path); /* a regular file now, not a link */
    assert_only_file(out, "big.jpg");
    snapshot_free(before);
    drop_scratch(root);
}

/* A dangling symlink: writing through it would create a file elsewhere. */
static void test_dangling_symlink_not_followed(void **state)
{
    (void)state;
    char *root = scratch(), *log = NULL, target[PATH_MAX], link_path[PATH_MAX];
    struct stat st;
    join(target, root, "elsewhere.jpg");
    join(link_path, root, "small.jpg");
    assert_int_equal(symlink(target, link_path), 0);
    assert_int_equal(tu_runf(&log, "'%s' fix -o '%s' '%s/small.jpg' 2>&1", bin,
                             root, inputs), 1);
    assert_non_null(strstr(log, "already exists; use --force to overwrite it"));
    free(log);
    assert_int_equal(lstat(target, &st), -1);
    assert_only_file(root, "small.jpg");
    drop_scratch(root);
}

/* ---- c: killed at any moment, only whole outputs remain ---- */

#define KILL_FILES 20
#define KILL_ROUNDS 10

/* Seconds since start, on the monotonic clock. */
static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Starts "fix -j 2 -o out in" with its report thrown away. */
static pid_t start_fix(const char *in, const char *out)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execl(bin, bin, "fix", "-j", "2", "-o", out, in, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Asserts the folder holds only whole outputs named after inputs (no
 * temporary file); returns how many. */
static int count_whole_outputs(const char *out)
{
    char names[MAX_FILES][NAME_MAX + 1], path[PATH_MAX];
    struct stat st;
    if (stat(out, &st) != 0)
        return 0; /* killed before it made the folder */
    int n = list_names(out, names);
    for (int i = 0; i < n; i++) {
        const char *name = names[i];
        int is_output = strlen(name) == 7 && name[0] == 'p' &&
                        isdigit((unsigned char)name[1]) &&
                        isdigit((unsigned char)name[2]) &&
                        strcmp(name + 3, ".jpg") == 0 &&
                        (name[1] - '0') * 10 + (name[2] - '0') < KILL_FILES;
        if (!is_output)
            fail_msg("%s: unexpected file %s", out, name);
        join(path, out, names[i]);
        assert_complete_jpeg(path);
    }
    return n;
}

/* Seeded delays spread over the batch's measured length: each round is
 * killed (SIGKILL) in its own tenth of it, give or take. */
static void test_sigkill_leaves_only_whole_outputs(void **state)
{
    (void)state;
    char *root = scratch(), in[PATH_MAX], out[PATH_MAX];
    int status = 0, partial_rounds = 0;
    unsigned seed = 20240611;
    join(in, root, "in");
    assert_int_equal(tu_runf(NULL, "mkdir '%s' && for i in $(seq -w 0 %d); do "
                             "cp '%s/big.jpg' '%s/p'$i.jpg; done", in,
                             KILL_FILES - 1, inputs, in), 0);
    join(out, root, "whole");
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = start_fix(in, out);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    double duration = seconds_since(&start);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(count_whole_outputs(out), KILL_FILES);
    for (int round = 0; round < KILL_ROUNDS; round++) {
        seed = seed * 1103515245u + 12345u;
        double share = (round + (seed >> 16 & 0x7fff) / 32768.0) / KILL_ROUNDS;
        snprintf(out, sizeof out, "%s/out%d", root, round);
        pid = start_fix(in, out);
        usleep((useconds_t)(share * duration * 1e6));
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        int written = count_whole_outputs(out);
        fprintf(stderr, "  killed after %.2f of %.2f s: %d of %d outputs\n",
                share * duration, duration, written, KILL_FILES);
        partial_rounds += written > 0 && written < KILL_FILES;
    }
    /* Else the kills all missed the batch and the test proved nothing. */
    assert_true(partial_rounds > 0);
    drop_scratch(root);
}

/* ---- d: a full disk ---- */

/* big.jpg's output (about 200,000 B) cannot be written, small.jpg's (a few
 * KB) can: the batch goes on and leaves exactly that one file. */
static void assert_full_disk_run(const char *log, int status, const char *out,
                                 const char *reason)
{
    char want[PATH_MAX + 256];
    snprintf(want, sizeof want, "error: %s/big.jpg: %s; nothing was written" DASH,
             out, reason);
    if (!strstr(log, want))
        fail_msg("no \"%s\" in:\n%s", want, log);
    assert_non_null(strstr(log, "2 files: 1 passed, 0 fixed, 0 failed, 1 error"));
    assert_int_equal(status, 1);
    assert_only_file(out, "small.jpg");
    join(want, out, "small.jpg");
    assert_complete_jpeg(want);
}

static void test_file_size_limit(void **state)
{
    (void)state;
    char *root = scratch(), *log = NULL;
    char *in = folder_with(root, "in", "big.jpg small.jpg");
    /* 200 blocks of 512 B: 102,400 B. The signal is ignored, so EFBIG. */
    int status = tu_runf(&log, "ulimit -f 200 && exec '%s' fix -j 1 -o '%s/out' "
                         "'%s' 2>&1", bin, root, in);
    assert_non_null(log);
    char out[PATH_MAX];
    join(out, root, "out");
    assert_full_disk_run(log, status, out, "the file is over the size limit "
                         "(File too large; see ulimit -f)");
    free(log);
    free(in);
    drop_scratch(root);
}

/* Runs "<wrapper>preflight fix" of big.jpg and small.jpg into a 128 KiB
 * tmpfs (root only; skipped with a reason elsewhere). */
static void run_on_full_tmpfs(const char *wrapper, const char *close_wrapper)
{
    char *root = scratch(), *log = NULL, out[PATH_MAX];
    join(out, root, "full");
    snprintf(mounted, sizeof mounted, "%s", out);
    assert_int_equal(mkdir(out, 0755), 0);
    if (geteuid() != 0 ||
        tu_runf(NULL, "mount -t tmpfs -o size=128k tmpfs '%s' 2>/dev/null", out) != 0 ||
        tu_runf(NULL, "%s\"%s\" --version%s >/dev/null 2>&1", wrapper, bin,
                close_wrapper) != 0) {
        unmount_scratch(NULL);
        fprintf(stderr, "  skipped: needs root, a tmpfs mount%s\n",
                *wrapper ? " and unshare" : "");
        drop_scratch(root);
        skip();
    }
    char *in = folder_with(root, "in", "big.jpg small.jpg");
    int status = tu_runf(&log, "%s\"%s\" fix -j 1 -o \"%s\" \"%s\"%s 2>&1", wrapper,
                         bin, out, in, close_wrapper);
    assert_non_null(log);
    assert_full_disk_run(log, status, out, "the disk is full (No space left on "
                         "device)");
    unmount_scratch(NULL);
    free(log);
    free(in);
    drop_scratch(root);
}

static void test_disk_full(void **state)
{
    (void)state;
    run_on_full_tmpfs("", "");
}

/* Without /proc/self/fd an unnamed file cannot be linked in: preflight falls
 * back to a named temporary file, which must go as cleanly. An empty tmpfs
 * over this process's /proc/PID/fd hides it (exec keeps the PID). */
static void test_disk_full_without_proc_fd(void **state)
{
    (void)state;
    run_on_full_tmpfs("unshare -m sh -c 'mount -t tmpfs tmpfs /proc/$$/fd && exec ", "'");
}

/* ---- e: an output folder that cannot be written ---- */

#define NOBODY "setpriv --reuid=65534 --regid=65534 --clear-groups "

/* Makes out/b unwritable for the preflight run; returns the command prefix
 * that runs it ("" or setpriv), or NULL when no way works here. Root ignores
 * file modes, so as root preflight runs as nobody, or out/b becomes a
 * read-only bind mount. */
static const char *deny_writes(const char *root)
{
    if (geteuid() != 0)
        return tu_runf(NULL, "chmod 0555 '%s/out/b'", root) == 0 ? "" : NULL;
    if (tu_runf(NULL, "chmod 0755 '%s' && chown 65534:65534 '%s/out' '%s/out/a' && "
                NOBODY "'%s' --version >/dev/null 2>&1", root, root, root, bin) == 0)
        return NOBODY;
    snprintf(mounted, sizeof mounted, "%s/out/b", root);
    if (tu_runf(NULL, "mount --bind '%s' '%s' && mount -o remount,bind,ro '%s'",
                mounted, mounted, mounted) == 0)
        return "";
    tu_runf(NULL, "umount '%s' 2>/dev/null", mounted);
    mounted[0] = '\0';
    return NULL;
}

/* fix -r of in/a and in/b into out/a and out/b, out/b unwritable: b's file
 * is an error naming the folder, a's is written, the batch fails. */
static void test_unwritable_folder(void **state)
{
    (void)state;
    char *root = scratch(), *log = NULL, want[PATH_MAX + 128];
    assert_int_equal(tu_runf(NULL, "cd '%s' && mkdir -p in/a in/b out/a out/b && "
                             "cp '%s/small.jpg' in/a/x.jpg && cp '%s/small.jpg' "
                             "in/b/y.jpg", root, inputs, inputs), 0);
    const char *runner = deny_writes(root);
    if (!runner) {
        fprintf(stderr, "  skipped: cannot make a folder unwritable here (no "
                "setpriv, no bind mount)\n");
        tu_rm_rf(root);
        free(root);
        skip();
    }
    int status = tu_runf(&log, "%s'%s' fix -r -j 1 -o '%s/out' '%s/in' 2>&1", runner,
                         bin, root, root);
    assert_non_null(log);
    snprintf(want, sizeof want, "y.jpg  error: %s/out/b/: folder is not writable (",
             root);
    if (!strstr(log, want) || !strstr(log, "); choose another folder with -o"))
        fail_msg("no \"%s...\" in:\n%s", want, log);
    assert_non_null(strstr(log, "2 files: 1 passed, 0 fixed, 0 failed, 1 error"));
    assert_int_equal(status, 1);
    snprintf(want, sizeof want, "%s/out/a/x.jpg", root);
    assert_complete_jpeg(want);
    snprintf(want, sizeof want, "%s/out/b", root);
    assert_only_file(want, NULL);
    unmount_scratch(NULL);
    tu_runf(NULL, "chmod -R u+w '%s'", root);
    free(log);
    drop_scratch(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs_never_change),
        cmocka_unit_test(test_input_aliases_refused),
        cmocka_unit_test(test_planted_symlink_never_followed),
        cmocka_unit_test(test_dangling_symlink_not_followed),
        cmocka_unit_test(test_sigkill_leaves_only_whole_outputs),
        cmocka_unit_test(test_file_size_limit),
        cmocka_unit_test_teardown(test_disk_full, unmount_scratch),
        cmocka_unit_test_teardown(test_disk_full_without_proc_fd, unmount_scratch),
        cmocka_unit_test_teardown(test_unwritable_folder, unmount_scratch),
    };
    return cmocka_run_group_tests(tests, setup_inputs, teardown_inputs);
}
