/*
 * test_snapfile.c: persist/snapfile.c — the writer (blocks, trailer,
 * rename, its error paths) and the reader: a small snapshot of several
 * blocks cut at every byte and flipped at every bit (OK only when whole;
 * the callback never given a record that was not written, nor one of a
 * block that is not whole), each check of a block and of the trailer; and
 * every fuzz seed.
 *
 * The sweeps need several blocks in a few hundred bytes, so those files
 * are built here with small blocks (the reader takes any block length up
 * to its limit); the writer's own files are checked to be the same bytes
 * where they hold one block.
 *
 *   test_snapfile --write-seeds DIR   writes the seeds of tests/fuzz/seeds/snapfile
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "persist/record.h"
#include "persist/snapfile.h"

#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_snapfile.c"
#include "../proto/seed_replay.h"
#include "rec_assert.h"

static char tmpdir[] = "/tmp/test_snapfile.XXXXXX";
static char keybuf[64][16];
static char values[1 << 20];

/* ---- a snapshot built in memory, with blocks of per_block records ---------------- */

#define MAXREC 2048

struct snap {
    char *buf;
    size_t len;
    size_t n;
    struct rec recs[MAXREC];
    size_t offs[MAXREC];      /* each record's offset */
    size_t block_of[MAXREC];  /* the offset of its block */
    size_t trailer;           /* the trailer's offset */
};

static const struct snapfile_meta meta0 = {
    .log_seq = 0x1122334455667788ull, .created = 1700000000, .cas_high = UINT64_MAX - 5,
    .flush_at = -7};

static struct rec item(size_t i)
{
    struct rec r = {.type = REC_SET, .bits = (uint8_t)(i & 0x0f), .stamp = (uint32_t)i,
                    .flags = (uint32_t)(i * 77), .exptime = i % 2 ? 0 : 1700000000 + (int64_t)i,
                    .cas = i * 1000 + 1};
    snprintf(keybuf[i % 64], sizeof(keybuf[0]), "key:%zu", i);
    r.key = keybuf[i % 64];
    r.nkey = (uint8_t)strlen(r.key);
    r.value = values + i;
    r.vlen = (uint32_t)(i % 9);
    return r;
}

static void put32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (char)(uint8_t)(v >> (8 * i));
    }
}

static void put64(char *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static void meta_encode(const struct snapfile_meta *m, char *h)
{
    memcpy(h, "MNEMOSNP", 8);
    put32(h + 8, SNAPFILE_VERSION);
    put32(h + 12, 0);
    put64(h + 16, m->log_seq);
    put64(h + 24, (uint64_t)m->created);
    put64(h + 32, m->cas_high);
    put64(h + 40, (uint64_t)m->flush_at);
    put32(h + 48, rec_crc32c(0, h, 48));
    put32(h + 52, 0);
}

/* n records from item(), per_block to a block (keys kept in keybuf: n <= 64). */
static void snap_build(struct snap *s, size_t n, size_t per_block)
{
    memset(s, 0, sizeof(*s));
    s->buf = malloc(SNAPFILE_HEADER + n * 400 + 24 + 8 * n);
    meta_encode(&meta0, s->buf);
    s->len = SNAPFILE_HEADER;
    for (size_t i = 0; i < n; i += per_block) {
        size_t start = s->len;
        s->len += 8;
        for (size_t j = i; j < n && j < i + per_block; j++) {
            s->recs[j] = item(j);
            s->offs[j] = s->len;
            s->block_of[j] = start;
            s->len += rec_encode(&s->recs[j], s->buf + s->len);
        }
        put32(s->buf + start, (uint32_t)(s->len - start - 8));
        put32(s->buf + start + 4, rec_crc32c(0, s->buf + start + 8, s->len - start - 8));
    }
    s->n = n;
    s->trailer = s->len;
    put32(s->buf + s->len, 0);
    put64(s->buf + s->len + 8, n);
    put64(s->buf + s->len + 16, s->len);
    put32(s->buf + s->len + 4, rec_crc32c(0, s->buf + s->len + 8, 16));
    s->len += 24;
}

/* ---- reading, checking each record passed on --------------------------------- */

struct expect {
    const struct rec *recs;
    const size_t *offs; /* NULL: offsets not checked */
    size_t n, seen;
    size_t stop_at;
};

static int expect_item(void *arg, const struct rec *r, uint64_t offset)
{
    struct expect *e = arg;
    assert_true(e->seen < e->n);
    const struct rec *w = &e->recs[e->seen];
    if (e->offs != NULL) {
        assert_int_equal(offset, e->offs[e->seen]);
    }
    assert_rec_equal(r, w);
    e->seen++;
    return e->seen == e->stop_at ? 9 : 0;
}

static int read_mem(const struct snap *s, const char *b, size_t len, struct snapfile_read *rd)
{
    struct expect e = {s->recs, s->offs, s->n, 0, 0};
    char *c = malloc(len ? len : 1);
    memcpy(c, b, len);
    int rc = snapfile_read_buf(c, len, expect_item, &e, rd);
    free(c);
    assert_int_equal(rd->items, e.seen);
    return rc;
}

static int read_path(const char *path, struct expect *e, struct snapfile_read *rd)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    int rc = snapfile_read_fd(fd, expect_item, e, rd);
    close(fd);
    assert_int_equal(rd->items, e->seen);
    return rc;
}

static int read_file(const struct snap *s, const char *b, size_t len, struct snapfile_read *rd)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/snap", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b, len), (ssize_t)len);
    close(fd);
    struct expect e = {s->recs, s->offs, s->n, 0, 0};
    return read_path(path, &e, rd);
}

typedef int (*read_fn)(const struct snap *, const char *, size_t, struct snapfile_read *);

static void assert_meta(const struct snapfile_meta *m)
{
    assert_true(m->log_seq == meta0.log_seq && m->created == meta0.created);
    assert_true(m->cas_high == meta0.cas_high && m->flush_at == meta0.flush_at);
}

/* ---- the built file: whole, cut, flipped -------------------------------------- */

/* Records in the blocks that end at or before off. */
static size_t whole_before(const struct snap *s, size_t off)
{
    size_t k = 0;
    while (k < s->n) {
        size_t j = k;
        while (j < s->n && s->block_of[j] == s->block_of[k]) {
            j++;
        }
        size_t block_end = j < s->n ? s->block_of[j] : s->trailer;
        if (block_end > off) {
            break;
        }
        k = j;
    }
    return k;
}

static void check_whole(read_fn rd_fn)
{
    struct snap s;
    struct snapfile_read rd;
    snap_build(&s, 15, 4);
    assert_int_equal(rd_fn(&s, s.buf, s.len, &rd), 0);
    assert_int_equal(rd.status, SNAPFILE_OK);
    assert_int_equal(rd.items, 15);
    assert_meta(&rd.meta);
    free(s.buf);
}

static void test_read_whole(void **state)
{
    (void)state;
    check_whole(read_mem);
    check_whole(read_file);
}

static void check_cuts(read_fn rd_fn)
{
    struct snap s;
    snap_build(&s, 15, 4);
    for (size_t cut = 0; cut <= s.len; cut++) {
        struct snapfile_read rd;
        int rc = rd_fn(&s, s.buf, cut, &rd);
        if (cut == s.len) {
            assert_int_equal(rc, 0);
            assert_int_equal(rd.status, SNAPFILE_OK);
            continue;
        }
        assert_int_equal(rc, -1);
        assert_int_equal(rd.status, SNAPFILE_INCOMPLETE);
        size_t whole = cut < SNAPFILE_HEADER ? 0 : whole_before(&s, cut);
        assert_int_equal(rd.items, whole);
        size_t bad = cut < SNAPFILE_HEADER ? 0 : whole < s.n ? s.block_of[whole] : s.trailer;
        assert_int_equal(rd.bad_offset, bad);
    }
    free(s.buf);
}

static void test_cut_every_byte(void **state)
{
    (void)state;
    check_cuts(read_mem);
    check_cuts(read_file);
}

static void check_flips(read_fn rd_fn)
{
    struct snap s;
    snap_build(&s, 15, 4);
    char *b = malloc(s.len);
    memcpy(b, s.buf, s.len);
    for (size_t bit = 0; bit < s.len * 8; bit++) {
        struct snapfile_read rd;
        size_t at = bit / 8;
        b[at] ^= (char)(1u << (bit % 8));
        int rc = rd_fn(&s, b, s.len, &rd);
        b[at] ^= (char)(1u << (bit % 8));
        assert_int_equal(rc, -1);
        assert_true(rd.status == SNAPFILE_DAMAGED || rd.status == SNAPFILE_INCOMPLETE);
        if (at < SNAPFILE_HEADER) {
            assert_int_equal(rd.status, SNAPFILE_DAMAGED);
            assert_int_equal(rd.items, 0);
            assert_int_equal(rd.bad_offset, 0);
        } else if (at >= s.trailer + 4) {
            assert_int_equal(rd.status, SNAPFILE_DAMAGED);
            assert_int_equal(rd.items, s.n);
            assert_int_equal(rd.bad_offset, s.trailer);
        } else if (at >= s.trailer) {
            /* the trailer's 0 became a block length: one past the end is
             * INCOMPLETE; 16 makes it look like a block whose crc is right
             * (the trailer's crc covers the 16 bytes after it), and then
             * its first "record" is what is bad */
            assert_int_equal(rd.items, s.n);
            assert_true(rd.bad_offset == s.trailer || rd.bad_offset == s.trailer + 8);
        } else {
            /* the records of the blocks before the flipped one, no more */
            size_t k = whole_before(&s, at);
            assert_int_equal(rd.items, k);
            assert_true(rd.bad_offset >= s.block_of[k] && rd.bad_offset <= at);
        }
    }
    free(b);
    free(s.buf);
}

static void test_flip_every_bit(void **state)
{
    (void)state;
    check_flips(read_mem);
    check_flips(read_file);
}

/* ---- each check of the reader --------------------------------------------------- */

static void reseal_block(char *b, size_t block)
{
    uint32_t len = (uint32_t)(uint8_t)b[block] | (uint32_t)(uint8_t)b[block + 1] << 8 |
                   (uint32_t)(uint8_t)b[block + 2] << 16 | (uint32_t)(uint8_t)b[block + 3] << 24;
    put32(b + block + 4, rec_crc32c(0, b + block + 8, len));
}

static void test_reader_checks(void **state)
{
    (void)state;
    struct snap s;
    struct snapfile_read rd;
    snap_build(&s, 15, 4);
    char *b = malloc(s.len + 64);

    /* bytes after the trailer */
    memcpy(b, s.buf, s.len);
    b[s.len] = 0;
    assert_int_equal(read_mem(&s, b, s.len + 1, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_DAMAGED);
    assert_int_equal(rd.bad_offset, s.len);
    assert_int_equal(rd.items, 15);

    /* trailer counts wrong, its crc right */
    for (int field = 0; field < 2; field++) {
        memcpy(b, s.buf, s.len);
        put64(b + s.trailer + 8 + 8 * field, field ? s.trailer + 8 : 14);
        put32(b + s.trailer + 4, rec_crc32c(0, b + s.trailer + 8, 16));
        assert_int_equal(read_mem(&s, b, s.len, &rd), -1);
        assert_int_equal(rd.status, SNAPFILE_DAMAGED);
        assert_int_equal(rd.bad_offset, s.trailer);
    }

    /* a record of another type (a TOUCH of the same size), block crc and
     * record crc right */
    memcpy(b, s.buf, s.len);
    size_t at = s.offs[5];
    struct rec touch = {.type = REC_TOUCH, .key = "abcdefghijklmnopqrstuvwxyz"};
    touch.nkey = (uint8_t)(s.recs[5].nkey + s.recs[5].vlen);
    assert_int_equal(rec_size(&touch), rec_size(&s.recs[5]));
    rec_encode(&touch, b + at);
    reseal_block(b, s.block_of[5]);
    assert_int_equal(read_mem(&s, b, s.len, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_DAMAGED);
    assert_int_equal(rd.bad_offset, at);
    assert_int_equal(rd.items, 4);

    /* a block whose records do not fill it: the last record's body_len
     * one short, so a byte is left over (record crc resealed) */
    memcpy(b, s.buf, s.len);
    size_t last = 7; /* the last of block 1 (records 4..7) */
    struct rec r7 = s.recs[last];
    assert_true(r7.vlen > 0);
    r7.vlen--;
    size_t n7 = rec_encode(&r7, b + s.offs[last]);
    b[s.offs[last] + n7] = 0; /* the byte left over */
    reseal_block(b, s.block_of[last]);
    assert_int_equal(read_mem(&s, b, s.len, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_DAMAGED);
    assert_int_equal(rd.bad_offset, s.offs[last] + n7);
    assert_int_equal(rd.items, 4);

    /* a record reaching past its block's end */
    memcpy(b, s.buf, s.len);
    size_t blk = s.block_of[4];
    put32(b + blk, (uint32_t)(s.offs[last] + 10 - blk - 8));
    reseal_block(b, blk);
    assert_int_equal(read_mem(&s, b, s.len, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_DAMAGED);
    assert_int_equal(rd.bad_offset, s.offs[last]);

    /* a block longer than any record or block may be: DAMAGED at once */
    memcpy(b, s.buf, s.len);
    put32(b + blk, REC_HEAD + REC_BODY_FIXED + REC_KEY_MAX + REC_VALUE_MAX + 1);
    assert_int_equal(read_mem(&s, b, s.len, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_DAMAGED);
    assert_int_equal(rd.bad_offset, blk);
    /* the longest allowed in a short file: INCOMPLETE, read without the
     * allocation it claims */
    put32(b + blk, REC_HEAD + REC_BODY_FIXED + REC_KEY_MAX + REC_VALUE_MAX);
    assert_int_equal(read_mem(&s, b, s.len, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_INCOMPLETE);
    assert_int_equal(rd.bad_offset, blk);
    assert_int_equal(read_file(&s, b, s.len, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_INCOMPLETE);
    assert_int_equal(rd.bad_offset, blk);
    assert_int_equal(rd.items, 4);

    /* fn NULL checks all; a stopping callback stops */
    assert_int_equal(snapfile_read_buf(s.buf, s.len, NULL, NULL, &rd), 0);
    assert_int_equal(rd.items, 15);
    struct expect e = {s.recs, s.offs, s.n, 0, 6};
    assert_int_equal(snapfile_read_buf(s.buf, s.len, expect_item, &e, &rd), 9);
    assert_int_equal(rd.status, SNAPFILE_STOPPED);
    assert_int_equal(rd.items, 6);
    free(b);
    free(s.buf);
}

static void test_read_io_error(void **state)
{
    (void)state;
    struct snapfile_read rd;
    char path[64];
    snprintf(path, sizeof(path), "%s/wo", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(snapfile_read_fd(fd, NULL, NULL, &rd), -1);
    assert_int_equal(rd.status, SNAPFILE_IO_ERROR);
    assert_int_equal(errno, EBADF);
    close(fd);
}

/* ---- the writer ------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*len ? *len : 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* One block's worth: the writer's file is byte for byte the built one. */
static void test_write_one_block(void **state)
{
    (void)state;
    struct snap s;
    struct snapfile_writer *w;
    char err[256], path[128], tmp[140];
    struct stat st;

    snap_build(&s, 15, 15);
    path_of(path, sizeof(path), "snapshot.0000000000000001");
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(stat(tmp, &st), 0);
    assert_int_equal(stat(path, &st), -1);
    for (size_t i = 0; i < 15; i++) {
        assert_int_equal(snapfile_add(w, &s.recs[i], err, sizeof(err)), 0);
    }
    assert_int_equal(snapfile_items(w), 15);
    uint64_t bytes = snapfile_bytes(w);
    assert_int_equal(snapfile_commit(&w, err, sizeof(err)), 0);
    assert_null(w);
    assert_int_equal(stat(tmp, &st), -1);
    size_t len;
    char *b = slurp(path, &len);
    assert_int_equal(len, s.len);
    assert_int_equal(bytes + 24, len);
    assert_memory_equal(b, s.buf, len);
    free(b);

    struct snapfile_read rd;
    struct expect e = {s.recs, s.offs, s.n, 0, 0};
    assert_int_equal(read_path(path, &e, &rd), 0);
    assert_int_equal(rd.items, 15);
    assert_meta(&rd.meta);

    /* an empty snapshot */
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    assert_int_equal(snapfile_commit(&w, err, sizeof(err)), 0);
    struct expect none = {s.recs, NULL, 0, 0, 0};
    assert_int_equal(read_path(path, &none, &rd), 0);
    assert_int_equal(rd.items, 0);
    b = slurp(path, &len);
    assert_int_equal(len, SNAPFILE_HEADER + 24);
    free(b);
    free(s.buf);
}

/* Many records: blocks of at most SNAPFILE_BLOCK, each as full as the
 * next record allows; a record larger than a block alone in its own. */
static void test_write_blocks(void **state)
{
    (void)state;
    struct snapfile_writer *w;
    char err[256], path[128];
    size_t nrec = 1203, big_at = 700;
    struct rec *recs = calloc(nrec, sizeof(*recs));
    size_t *sizes = calloc(nrec, sizeof(*sizes));

    path_of(path, sizeof(path), "snapshot.blocks");
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    for (size_t i = 0; i < nrec; i++) {
        recs[i] = item(i);
        recs[i].key = "a-key";
        recs[i].nkey = 5;
        recs[i].vlen = i == big_at ? sizeof(values) : (uint32_t)(600 + i % 700);
        recs[i].value = i == big_at ? values : values + i;
        sizes[i] = rec_size(&recs[i]);
        assert_int_equal(snapfile_add(w, &recs[i], err, sizeof(err)), 0);
    }
    assert_int_equal(snapfile_commit(&w, err, sizeof(err)), 0);

    size_t len;
    char *b = slurp(path, &len);
    size_t off = SNAPFILE_HEADER, i = 0, blocks = 0;
    for (;;) {
        uint32_t bl = (uint32_t)(uint8_t)b[off] | (uint32_t)(uint8_t)b[off + 1] << 8 |
                      (uint32_t)(uint8_t)b[off + 2] << 16 | (uint32_t)(uint8_t)b[off + 3] << 24;
        if (bl == 0) {
            break;
        }
        size_t sum = 0, first = i;
        while (i < nrec && sum + sizes[i] <= bl) {
            sum += sizes[i++];
        }
        assert_int_equal(sum, bl);
        if (first == big_at) {
            assert_int_equal(i, big_at + 1); /* alone */
        } else {
            assert_true(bl <= SNAPFILE_BLOCK);
            /* full: the next record would not have fitted (or is the big one) */
            assert_true(i == nrec || i == big_at || bl + sizes[i] > SNAPFILE_BLOCK);
        }
        blocks++;
        off += 8 + bl;
    }
    assert_int_equal(i, nrec);
    assert_true(blocks >= 5);
    assert_int_equal(off + 24, len);
    free(b);

    struct snapfile_read rd;
    struct expect e = {recs, NULL, nrec, 0, 0};
    assert_int_equal(read_path(path, &e, &rd), 0);
    assert_int_equal(rd.items, nrec);
    free(recs);
    free(sizes);
}

static void test_writer_errors(void **state)
{
    (void)state;
    struct snapfile_writer *w = (struct snapfile_writer *)1;
    char err[256], path[128], tmp[140];
    struct stat st;

    /* a directory that does not exist */
    path_of(path, sizeof(path), "no/such/dir/snapshot.1");
    err[0] = 0;
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), -1);
    assert_null(w);
    assert_non_null(strstr(err, "no/such/dir/snapshot.1.tmp"));
    assert_non_null(strstr(err, strerror(ENOENT)));

    /* a record a snapshot may not hold */
    path_of(path, sizeof(path), "snapshot.bad");
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    struct rec del = {.type = REC_DELETE, .nkey = 1, .key = "k"};
    err[0] = 0;
    assert_int_equal(snapfile_add(w, &del, err, sizeof(err)), -1);
    assert_true(strlen(err) > 0);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(stat(tmp, &st), 0);
    snapfile_abort(&w);
    assert_null(w);
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(stat(path, &st), -1);

    /* the rename fails (the name is a directory that is not empty): the
     * temporary file goes, the directory stays */
    path_of(path, sizeof(path), "snapshot.dir");
    assert_int_equal(mkdir(path, 0700), 0);
    char inner[160];
    snprintf(inner, sizeof(inner), "%s/x", path);
    close(open(inner, O_WRONLY | O_CREAT, 0600));
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    struct rec r = item(1);
    assert_int_equal(snapfile_add(w, &r, err, sizeof(err)), 0);
    err[0] = 0;
    assert_int_equal(snapfile_commit(&w, err, sizeof(err)), -1);
    assert_null(w);
    assert_non_null(strstr(err, "rename"));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

/* A write that fails (the file-size limit): -1 with the reason. */
static void test_write_fails(void **state)
{
    (void)state;
    struct snapfile_writer *w;
    char err[256], path[128], tmp[140];
    struct rlimit old, small = {.rlim_cur = 100 * 1024};
    struct stat st;
    int rc = 0;

    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    path_of(path, sizeof(path), "snapshot.big");
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    assert_int_equal(snapfile_create(path, &meta0, &w, err, sizeof(err)), 0);
    struct rec r = item(3);
    r.vlen = 1000;
    size_t added = 0;
    while (rc == 0 && added < 10000) {
        rc = snapfile_add(w, &r, err, sizeof(err));
        added++;
    }
    if (rc == 0) {
        rc = snapfile_commit(&w, err, sizeof(err));
    } else {
        snapfile_abort(&w);
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, strerror(EFBIG)));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(stat(tmp, &st), -1);
    assert_int_equal(stat(path, &st), -1);
}

/* ---- the fuzz seeds ------------------------------------------------------------ */

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_SNAPFILE_SEEDS_DIR, LLVMFuzzerTestOneInput, 5);
}

static int write_seeds(const char *dir)
{
    struct snap *s = malloc(sizeof(*s));
    snap_build(s, 0, 1);
    seed_write(dir, "empty", s->buf, s->len);
    free(s->buf);
    snap_build(s, 15, 4);
    seed_write(dir, "four_blocks", s->buf, s->len);
    seed_write(dir, "incomplete", s->buf, s->block_of[8] + 20);
    s->buf[s->offs[6] + 3] ^= 0x01;
    seed_write(dir, "damaged", s->buf, s->len);
    free(s->buf);
    snap_build(s, 6, 6);
    seed_write(dir, "one_block", s->buf, s->len);
    free(s->buf);
    snap_build(s, 5, 1);
    seed_write(dir, "one_per_block", s->buf, s->len);
    free(s->buf);
    free(s);
    return 0;
}

int main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(values); i++) {
        values[i] = (char)(i * 31 + (i >> 11));
    }
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
        return write_seeds(argv[2]);
    }
    assert_non_null(mkdtemp(tmpdir));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_whole),
        cmocka_unit_test(test_cut_every_byte),
        cmocka_unit_test(test_flip_every_bit),
        cmocka_unit_test(test_reader_checks),
        cmocka_unit_test(test_read_io_error),
        cmocka_unit_test(test_write_one_block),
        cmocka_unit_test(test_write_blocks),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_write_fails),
        cmocka_unit_test(test_fuzz_seeds),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0) {
        rc = 1;
    }
    return rc;
}
