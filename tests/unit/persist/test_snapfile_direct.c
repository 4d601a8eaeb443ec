/*
 * test_snapfile_direct.c: persist/snapfile.c over outfile.c — a snapshot
 * written with O_DIRECT on a real disk is byte for byte the one written
 * through the page cache on tmpfs (the fallback), reads back whole, and is
 * exactly as long as its trailer says, for lengths that are a multiple of
 * the alignment, one byte over, one byte under, tiny, and several
 * megabytes (several 1 MB writes, a record larger than a block between);
 * and that a direct write's failure (the file-size limit) is reported and
 * leaves no file.
 *
 * The direct side wants a directory on a disk that takes O_DIRECT: the
 * first of /var/tmp, /work and /tmp that is not tmpfs and takes it (its
 * test skips, saying so, when none does); the fallback side wants tmpfs
 * (/dev/shm; skips without).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "persist/record.h"
#include "persist/snapfile.h"
#include "rec_assert.h"

#define TMPFS_MAGIC_NUMBER 0x01021994 /* linux/magic.h's TMPFS_MAGIC */
#define TRAILER_LEN 24u
#define BLOCK_HEAD_LEN 8u
#define MAXREC 8192

static char direct_dir[256]; /* "" when no directory takes O_DIRECT */
static char tmpfs_dir[256];  /* "" when there is no tmpfs */
static char values[2 << 20];
static char keys[MAXREC][16];
static struct rec recs[MAXREC];

static const struct snapfile_meta meta0 = {
    .log_seq = 42, .created = 1700000000, .cas_high = 99, .flush_at = 0};

static bool is_tmpfs(const char *dir)
{
    struct statfs fs;
    return statfs(dir, &fs) == 0 && (unsigned long)fs.f_type == TMPFS_MAGIC_NUMBER;
}

/* A fresh directory under parent into out, when parent is (or is not)
 * tmpfs as wanted, and, for a disk, a file in it opens with O_DIRECT. */
static bool make_dir(const char *parent, bool tmpfs, char *out, size_t n)
{
    if (access(parent, W_OK) != 0 || is_tmpfs(parent) != tmpfs)
        return false;
    snprintf(out, n, "%s/mnemo-test-snapdirect-XXXXXX", parent);
    if (mkdtemp(out) == NULL)
        return false;
    if (tmpfs)
        return true;
    char probe[300];
    snprintf(probe, sizeof(probe), "%s/probe", out);
    int fd = open(probe, O_WRONLY | O_CREAT | O_DIRECT, 0600);
    if (fd >= 0) {
        close(fd);
        unlink(probe);
        return true;
    }
    rmdir(out);
    return false;
}

/* Record i: a varying value of vlen bytes. */
static struct rec item(size_t i, uint32_t vlen)
{
    struct rec r = {.type = REC_SET, .bits = (uint8_t)(i & 0x0f), .stamp = (uint32_t)i,
                    .flags = (uint32_t)(i * 77), .exptime = i % 2 ? 0 : 1700000000 + (int64_t)i,
                    .cas = i * 1000 + 1};
    snprintf(keys[i], sizeof(keys[0]), "key:%zu", i);
    r.key = keys[i];
    r.nkey = (uint8_t)strlen(r.key);
    r.value = values + (i * 131) % 4096;
    r.vlen = vlen;
    return r;
}

/* recs[] for a snapshot of exactly `target` bytes (at least an empty
 * one's): records of 300 to 1000 bytes, one of 1.5 MB (larger than a
 * block) when big is set and the target allows, then one that fills the
 * rest. The file's length follows the writer's blocking: a record starts a
 * new block (and its BLOCK_HEAD_LEN bytes) when the block would pass
 * SNAPFILE_BLOCK. Returns the count. */
static size_t plan(size_t target, bool big)
{
    size_t len = SNAPFILE_HEADER + TRAILER_LEN, used = 0, n = 0;
    const size_t fixed = REC_HEAD + REC_BODY_FIXED; /* a record but its key and value */

    assert_true(target >= len);
    while (len < target) {
        assert_true(n < MAXREC);
        uint32_t vlen = big && n == 100 ? 1536u * 1024 : (uint32_t)(300 + (n * 37) % 700);
        size_t key = strlen(item(n, 0).key);
        size_t size = fixed + key + vlen;
        bool fresh = used == 0 || used + size > BLOCK_HEAD_LEN + SNAPFILE_BLOCK;
        size_t after = len + size + (fresh ? BLOCK_HEAD_LEN : 0);
        /* Room left for a last record (and a block head) after this one? */
        if (after + fixed + 8 + BLOCK_HEAD_LEN > target) {
            size_t rest = target - len;
            fresh = used == 0 || used + rest > BLOCK_HEAD_LEN + SNAPFILE_BLOCK;
            if (fresh)
                rest -= BLOCK_HEAD_LEN;
            assert_true(rest >= fixed + key);
            vlen = (uint32_t)(rest - (fixed + key));
            size = rest;
            after = target;
        }
        recs[n] = item(n, vlen);
        assert_int_equal(rec_size(&recs[n]), size);
        used = fresh ? BLOCK_HEAD_LEN + size : used + size;
        len = after;
        n++;
    }
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    *len = (size_t)st.st_size;
    char *b = malloc(*len ? *len : 1);
    assert_non_null(b);
    assert_int_equal(read(fd, b, *len), (ssize_t)*len);
    close(fd);
    return b;
}

struct expect {
    size_t n, seen;
};

static int expect_item(void *arg, const struct rec *r, uint64_t offset)
{
    struct expect *e = arg;
    (void)offset;
    assert_true(e->seen < e->n);
    assert_rec_equal(r, &recs[e->seen]);
    e->seen++;
    return 0;
}

/* Write recs[0..n) as a snapshot in dir; check it reads back whole and is
 * target bytes long. Returns its bytes (the caller frees them). */
static char *write_snap(const char *dir, size_t n, size_t target, bool want_direct)
{
    char path[300], err[256];
    struct snapfile_writer *w;

    snprintf(path, sizeof(path), "%s/snapshot.%zu", dir, target);
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    assert_true(snapfile_direct(w) == want_direct);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(snapfile_add(w, &recs[i], err, sizeof(err)), 0);
    uint64_t bytes = snapfile_bytes(w);
    assert_int_equal(snapfile_commit(&w, err, sizeof(err)), 0);

    size_t len;
    char *b = slurp(path, &len);
    assert_int_equal(len, target);
    assert_int_equal(bytes + TRAILER_LEN, len);

    struct expect e = {n, 0};
    struct snapfile_read rd;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(snapfile_read_fd(fd, expect_item, &e, &rd), 0);
    close(fd);
    assert_int_equal(rd.status, SNAPFILE_OK);
    assert_int_equal(rd.items, n);
    assert_int_equal(e.seen, n);
    assert_int_equal(unlink(path), 0);
    return b;
}

/* Around a multiple of 4096 (so of any DIOALIGN in use) and of the 1 MB
 * write: exact, one over, one under; tiny; several megabytes. */
static const struct {
    size_t target;
    bool big;
} cases[] = {
    {SNAPFILE_HEADER + TRAILER_LEN, false}, /* empty */
    {200, false},                           /* one small record */
    {4095, false},
    {4096, false},
    {4097, false},
    {1u << 20, false},
    {(1u << 20) + 1, false},
    {(3u << 20) - 1, true},
    {3u << 20, true},
    {(3u << 20) + 1, true},
    {(5u << 20) + 513, false},
};

static void check_cases(const char *dir, bool direct, const char *other)
{
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        size_t n = plan(cases[c].target, cases[c].big);
        char *b = write_snap(dir, n, cases[c].target, direct);
        if (other[0] != 0) {
            char *o = write_snap(other, n, cases[c].target, !direct);
            assert_memory_equal(b, o, cases[c].target);
            free(o);
        }
        free(b);
    }
}

static void test_direct(void **state)
{
    (void)state;
    if (direct_dir[0] == 0) {
        print_message("no directory here takes O_DIRECT (/var/tmp, /work, /tmp): skipped\n");
        skip();
    }
    check_cases(direct_dir, true, tmpfs_dir);
}

static void test_tmpfs_fallback(void **state)
{
    (void)state;
    if (tmpfs_dir[0] == 0) {
        print_message("no tmpfs at /dev/shm: skipped\n");
        skip();
    }
    check_cases(tmpfs_dir, false, "");
}

/* A direct write that fails (the file-size limit), while records are
 * added (past a 1 MB write) and in the padded tail (a snapshot under
 * 1 MB): -1 with the reason, and no file left under either name. */
static void test_direct_write_fails(void **state)
{
    (void)state;
    if (direct_dir[0] == 0) {
        print_message("no directory here takes O_DIRECT (/var/tmp, /work, /tmp): skipped\n");
        skip();
    }
    static const size_t targets[] = {3u << 20, 150u * 1024};
    struct rlimit old, small = {.rlim_cur = 100 * 1024};

    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    for (size_t t = 0; t < 2; t++) {
        char path[300], tmp[310], err[256] = "";
        struct snapfile_writer *w;
        struct stat st;
        size_t n = plan(targets[t], false), i = 0;
        int rc = 0;

        snprintf(path, sizeof(path), "%s/snapshot.big", direct_dir);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
        assert_true(snapfile_direct(w));
        while (rc == 0 && i < n)
            rc = snapfile_add(w, &recs[i++], err, sizeof(err));
        if (rc == 0)
            rc = snapfile_commit(&w, err, sizeof(err));
        else
            snapfile_abort(&w);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        assert_int_equal(rc, -1);
        /* the big one fails while adding, the small one at commit */
        assert_true(t == 0 ? i < n : i == n);
        assert_non_null(strstr(err, strerror(EFBIG)));
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        assert_int_equal(stat(tmp, &st), -1);
        assert_int_equal(stat(path, &st), -1);
    }
}

/* The directory and whatever a failed check left in it: 0, or 1. */
static int remove_dir(const char *dir)
{
    char cmd[300];
    if (dir[0] == 0)
        return 0;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) != 0;
}

int main(void)
{
    static const char *const disks[] = {"/var/tmp", "/work", "/tmp"};

    for (size_t i = 0; i < sizeof(values); i++)
        values[i] = (char)(i * 31 + (i >> 11));
    for (size_t i = 0; i < 3 && direct_dir[0] == 0; i++) {
        if (!make_dir(disks[i], false, direct_dir, sizeof(direct_dir)))
            direct_dir[0] = 0;
    }
    if (!make_dir("/dev/shm", true, tmpfs_dir, sizeof(tmpfs_dir)))
        tmpfs_dir[0] = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_tmpfs_fallback),
        cmocka_unit_test(test_direct_write_fails),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rc |= remove_dir(direct_dir);
    rc |= remove_dir(tmpfs_dir);
    return rc;
}
