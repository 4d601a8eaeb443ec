/*
 * test_logfile.c: persist/logfile.c — the segment header, and scanning a
 * segment from memory and from a file: a small log cut at every byte
 * offset and flipped at every bit (CLEAN only at record boundaries, the
 * callback never given a record that differs from what was written),
 * records larger than the read window, a length that claims more than the
 * file holds, a callback that stops, read errors; and every fuzz seed.
 *
 *   test_logfile --write-seeds DIR   writes the seeds of tests/fuzz/seeds/logfile
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "persist/logfile.h"
#include "persist/record.h"

#define FUZZ_CHECK(cond) assert_true(cond)
#include "fuzz_logfile.c"
#include "../proto/seed_replay.h"
#include "rec_assert.h"

/* ---- a log built in memory -------------------------------------------------- */

#define MAXREC 4096

struct log {
    char *buf;
    size_t len, cap;
    size_t n;
    uint32_t salt; /* version 2: its records' */
    struct rec recs[MAXREC];
    size_t offs[MAXREC + 1]; /* offs[n] == len */
};

static void log_init(struct log *l, uint64_t seq)
{
    memset(l, 0, sizeof(*l));
    l->cap = 1 << 16;
    l->buf = malloc(l->cap);
    logfile_header_encode(seq, l->buf);
    l->len = LOGFILE_HEADER;
    l->offs[0] = l->len;
}

/* A version 2 segment: the header block says committed; records salted. */
static void log_init_v2(struct log *l, uint64_t seq, uint64_t committed)
{
    memset(l, 0, sizeof(*l));
    l->cap = 1 << 16;
    l->buf = malloc(l->cap);
    logfile_block_encode(seq, committed, 1, l->buf);
    l->len = LOGFILE_BLOCK;
    l->offs[0] = l->len;
    l->salt = logfile_salt(seq);
}

/* r's key and value must outlive the log. */
static void log_add(struct log *l, const struct rec *r)
{
    size_t n = rec_size(r);
    assert_true(l->n < MAXREC);
    while (l->len + n > l->cap) {
        l->cap *= 2;
        l->buf = realloc(l->buf, l->cap);
    }
    rec_encode_salted(r, l->salt, l->buf + l->len);
    l->recs[l->n++] = *r;
    l->len += n;
    l->offs[l->n] = l->len;
}

static const char *keys[] = {"a", "user:1", "session:abcdef", "k", "x"};
static char long_key[REC_KEY_MAX];
static char values[4096];

/* ~20 records of every type and a few sizes, after what init wrote. */
static void add_records(struct log *l)
{
    memset(long_key, 'K', sizeof(long_key));
    for (size_t i = 0; i < sizeof(values); i++) {
        values[i] = (char)(i * 13);
    }
    for (int i = 0; i < 20; i++) {
        struct rec r = {.stamp = 1700000000u + (uint32_t)i, .flags = (uint32_t)i * 1000,
                        .exptime = i % 3 == 0 ? 0 : 1700000000 + i, .bits = (uint8_t)(i & 0x0f)};
        const char *k = i == 7 ? long_key : keys[i % 5];
        r.key = k;
        r.nkey = (uint8_t)(i == 7 ? REC_KEY_MAX : strlen(k));
        switch (i % 6) {
        case 0: case 1: case 4:
            r.type = REC_SET;
            r.value = values + i;
            r.vlen = (uint32_t)(i * 3);
            r.cas = (uint64_t)i + 1;
            break;
        case 2: r.type = REC_DELETE; break;
        case 3: r.type = REC_TOUCH; break;
        default:
            r.type = REC_FLUSH;
            r.nkey = 0;
            r.key = "";
            break;
        }
        log_add(l, &r);
    }
}

static void small_log(struct log *l)
{
    log_init(l, 0x0102030405060708ull);
    add_records(l);
}

static void log_free(struct log *l)
{
    free(l->buf);
}

/* ---- the checking callback ---------------------------------------------------- */

struct expect {
    const struct log *l;
    size_t seen;
    int stop_at; /* return 7 when record stop_at is passed (-1: never) */
};

static int expect_rec(void *arg, const struct rec *r, uint64_t offset)
{
    struct expect *e = arg;
    assert_true(e->seen < e->l->n);
    const struct rec *w = &e->l->recs[e->seen];
    assert_int_equal(offset, e->l->offs[e->seen]);
    assert_rec_equal(r, w);
    e->seen++;
    return (int)e->seen - 1 == e->stop_at ? 7 : 0;
}

/* Scan the first len bytes of l's buffer, from an exact-size copy. */
static int scan_mem(const struct log *l, const char *bytes, size_t len, struct logfile_scan *sc,
                    size_t *seen)
{
    struct expect e = {l, 0, -1};
    char *c = malloc(len ? len : 1);
    memcpy(c, bytes, len);
    int rc = logfile_scan_buf(c, len, expect_rec, &e, sc);
    free(c);
    assert_int_equal(sc->records, e.seen);
    *seen = e.seen;
    return rc;
}

static char tmpdir[] = "/tmp/test_logfile.XXXXXX";

static int scan_file(const struct log *l, const char *bytes, size_t len, struct logfile_scan *sc,
                     size_t *seen)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/seg", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    struct expect e = {l, 0, -1};
    int rc = logfile_scan_fd(fd, expect_rec, &e, sc);
    close(fd);
    assert_int_equal(sc->records, e.seen);
    *seen = e.seen;
    return rc;
}

typedef int (*scan_fn)(const struct log *, const char *, size_t, struct logfile_scan *, size_t *);

/* ---- header ------------------------------------------------------------------- */

static void test_header(void **state)
{
    (void)state;
    static const uint64_t seqs[] = {0, 1, 0x0102030405060708ull, UINT64_MAX};
    char h[LOGFILE_HEADER];
    uint64_t seq;

    for (size_t i = 0; i < 4; i++) {
        logfile_header_encode(seqs[i], h);
        assert_int_equal(logfile_header_decode(h, sizeof(h), &seq), 0);
        assert_true(seq == seqs[i]);
    }
    logfile_header_encode(0x0102030405060708ull, h);
    static const unsigned char want[] = {'M', 'N', 'E', 'M', 'O', 'L', 'O', 'G', 1, 0, 0, 0, 0,
                                         0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
    assert_memory_equal(h, want, sizeof(want));
    assert_memory_equal(h + 28, "\0\0\0\0", 4);
    uint32_t crc = rec_crc32c(0, want, 24);
    assert_int_equal((uint8_t)h[24] | (uint8_t)h[25] << 8 | (uint8_t)h[26] << 16 |
                         (uint32_t)(uint8_t)h[27] << 24, crc);
    for (size_t len = 0; len < LOGFILE_HEADER; len++) {
        assert_int_equal(logfile_header_decode(h, len, &seq), -1);
    }
    for (size_t bit = 0; bit < LOGFILE_HEADER * 8; bit++) {
        h[bit / 8] ^= (char)(1u << (bit % 8));
        assert_int_equal(logfile_header_decode(h, sizeof(h), &seq), -1);
        h[bit / 8] ^= (char)(1u << (bit % 8));
    }
}

/* ---- whole, cut, flipped -------------------------------------------------------- */

static void check_clean(scan_fn scan)
{
    struct log l;
    struct logfile_scan sc;
    size_t seen;

    small_log(&l);
    assert_int_equal(scan(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_true(sc.seq == 0x0102030405060708ull);
    assert_int_equal(sc.records, 20);
    assert_int_equal(sc.valid_end, l.len);
    assert_int_equal(sc.file_size, l.len);
    /* a header alone is a clean, empty segment */
    assert_int_equal(scan(&l, l.buf, LOGFILE_HEADER, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(sc.records, 0);
    assert_int_equal(sc.valid_end, LOGFILE_HEADER);
    log_free(&l);
}

static void test_clean(void **state)
{
    (void)state;
    check_clean(scan_mem);
    check_clean(scan_file);
}

/* Cut at every byte offset: CLEAN exactly at record boundaries, TORN
 * elsewhere, and the records before the cut, no more. */
static void check_cuts(scan_fn scan)
{
    struct log l;
    small_log(&l);
    for (size_t cut = 0; cut <= l.len; cut++) {
        struct logfile_scan sc;
        size_t seen, whole = 0;
        assert_int_equal(scan(&l, l.buf, cut, &sc, &seen), 0);
        assert_int_equal(sc.file_size, cut);
        if (cut < LOGFILE_HEADER) {
            assert_int_equal(sc.end, LOGFILE_TORN);
            assert_int_equal(sc.valid_end, 0);
            assert_int_equal(sc.records, 0);
            continue;
        }
        while (whole < l.n && l.offs[whole + 1] <= cut) {
            whole++;
        }
        assert_int_equal(sc.records, whole);
        assert_int_equal(sc.valid_end, l.offs[whole]);
        assert_int_equal(sc.end, l.offs[whole] == cut ? LOGFILE_CLEAN : LOGFILE_TORN);
    }
    log_free(&l);
}

/* The replication stream's SYNC marker is a valid record, but never one a
 * log holds: a log with one is damaged there, the records before it kept. */
static void check_sync_marker(scan_fn scan)
{
    struct log l;
    log_init(&l, 9);
    struct rec set = {.type = REC_SET, .nkey = 1, .key = "k", .vlen = 1, .value = "v"};
    struct rec sync = {.type = REC_SYNC, .cas = 1234};
    log_add(&l, &set);
    log_add(&l, &sync);
    log_add(&l, &set);
    struct logfile_scan sc;
    size_t seen;
    assert_int_equal(scan(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_DAMAGED);
    assert_int_equal(sc.records, 1);
    assert_int_equal(sc.valid_end, l.offs[1]);
    log_free(&l);
}

static void test_sync_marker_is_damage_in_a_log(void **state)
{
    (void)state;
    check_sync_marker(scan_mem);
    check_sync_marker(scan_file);
}

static void test_cut_every_byte(void **state)
{
    (void)state;
    check_cuts(scan_mem);
    check_cuts(scan_file);
}

/* One bit flipped anywhere: never CLEAN, only the records before the flip
 * are passed on, and each as written. */
static void check_flips(scan_fn scan)
{
    struct log l;
    small_log(&l);
    char *b = malloc(l.len);
    memcpy(b, l.buf, l.len);
    for (size_t bit = 0; bit < l.len * 8; bit++) {
        struct logfile_scan sc;
        size_t seen, at = bit / 8, hit = 0;
        b[at] ^= (char)(1u << (bit % 8));
        assert_int_equal(scan(&l, b, l.len, &sc, &seen), 0);
        b[at] ^= (char)(1u << (bit % 8));
        assert_true(sc.end == LOGFILE_DAMAGED || sc.end == LOGFILE_TORN);
        if (at < LOGFILE_HEADER) {
            assert_int_equal(sc.end, LOGFILE_DAMAGED);
            assert_int_equal(sc.records, 0);
            assert_int_equal(sc.valid_end, 0);
            continue;
        }
        while (l.offs[hit + 1] <= at) {
            hit++;
        }
        assert_int_equal(sc.records, hit);
        assert_int_equal(sc.valid_end, l.offs[hit]);
    }
    free(b);
    log_free(&l);
}

static void test_flip_every_bit(void **state)
{
    (void)state;
    check_flips(scan_mem);
    check_flips(scan_file);
}

/* ---- larger than the window ------------------------------------------------------ */

static void test_big_records_from_file(void **state)
{
    (void)state;
    struct log *l = malloc(sizeof(*l));
    size_t big = 1024 * 1024 + 17, seen;
    char *value = malloc(big);
    struct logfile_scan sc;

    for (size_t i = 0; i < big; i++) {
        value[i] = (char)(i ^ (i >> 9));
    }
    log_init(l, 9);
    /* 3000 small records: many window refills */
    for (int i = 0; i < 3000; i++) {
        struct rec r = {.type = REC_SET, .nkey = 5, .key = "small", .vlen = (uint32_t)(i % 50),
                        .value = value + i, .cas = (uint64_t)i};
        log_add(l, &r);
    }
    struct rec r1 = {.type = REC_SET, .nkey = 3, .key = "big", .vlen = (uint32_t)big,
                     .value = value};
    struct rec r2 = {.type = REC_SET, .nkey = 4, .key = "mid1", .vlen = 100000, .value = value + 5};
    struct rec r3 = {.type = REC_DELETE, .nkey = 3, .key = "big"};
    log_add(l, &r1);
    log_add(l, &r2);
    log_add(l, &r1);
    log_add(l, &r3);
    assert_int_equal(scan_file(l, l->buf, l->len, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(sc.records, l->n);
    assert_int_equal(sc.valid_end, l->len);
    /* cut inside the first big record, and inside its fixed fields */
    size_t cuts[] = {l->offs[3000] + 5, l->offs[3000] + 20, l->offs[3000] + 100000,
                     l->offs[3001] - 1, l->offs[3003] - 1};
    for (size_t i = 0; i < 5; i++) {
        size_t want = i < 4 ? 3000 : 3002;
        assert_int_equal(scan_file(l, l->buf, cuts[i], &sc, &seen), 0);
        assert_int_equal(sc.end, LOGFILE_TORN);
        assert_int_equal(sc.records, want);
        assert_int_equal(sc.valid_end, l->offs[want]);
        assert_int_equal(sc.file_size, cuts[i]);
    }
    log_free(l);
    free(l);
    free(value);
}

/* A record whose fixed fields claim a value of 512 MiB in a short file:
 * TORN at its start (from a file, without reading or allocating that). */
static void test_long_claim_is_torn(void **state)
{
    (void)state;
    struct log l;
    struct logfile_scan sc;
    size_t seen;

    small_log(&l);
    size_t at = l.offs[3];
    char *b = malloc(at + 200);
    memcpy(b, l.buf, at + 200);
    /* record 3 (a TOUCH) becomes a SET claiming 512 MiB */
    uint32_t vlen = 512u << 20;
    uint32_t body = REC_BODY_FIXED + l.recs[3].nkey + vlen;
    b[at + REC_HEAD] = REC_SET;
    for (int i = 0; i < 4; i++) {
        b[at + REC_HEAD + 12 + i] = (char)(vlen >> (8 * i));
        b[at + i] = (char)(body >> (8 * i));
    }
    assert_int_equal(scan_mem(&l, b, at + 200, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_TORN);
    assert_int_equal(sc.records, 3);
    assert_int_equal(sc.valid_end, at);
    assert_int_equal(scan_file(&l, b, at + 200, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_TORN);
    assert_int_equal(sc.records, 3);
    assert_int_equal(sc.valid_end, at);
    assert_int_equal(sc.file_size, at + 200);
    free(b);
    log_free(&l);
}

/* ---- stopping, errors ----------------------------------------------------------- */

static void test_callback_stops(void **state)
{
    (void)state;
    struct log l;
    struct logfile_scan sc;

    small_log(&l);
    struct expect e = {&l, 0, 2};
    assert_int_equal(logfile_scan_buf(l.buf, l.len, expect_rec, &e, &sc), 7);
    assert_int_equal(sc.end, LOGFILE_STOPPED);
    assert_int_equal(sc.records, 3);
    assert_int_equal(sc.valid_end, l.offs[3]);
    /* fn NULL: the scan still counts */
    assert_int_equal(logfile_scan_buf(l.buf, l.len, NULL, NULL, &sc), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(sc.records, 20);
    log_free(&l);
}

static void test_read_errors(void **state)
{
    (void)state;
    struct logfile_scan sc;
    char path[64];

    snprintf(path, sizeof(path), "%s/wo", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(logfile_scan_fd(fd, NULL, NULL, &sc), -1);
    assert_int_equal(errno, EBADF);
    close(fd);
    fd = open(tmpdir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(logfile_scan_fd(fd, NULL, NULL, &sc), -1);
    assert_int_equal(errno, EISDIR);
    close(fd);
}

/* The fd's offset is its owner's: scanning reads with pread. */
static void test_fd_offset_untouched(void **state)
{
    (void)state;
    struct log l;
    struct logfile_scan sc;
    char path[64];

    small_log(&l);
    snprintf(path, sizeof(path), "%s/off", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(write(fd, l.buf, l.len), (ssize_t)l.len);
    assert_int_equal(lseek(fd, 5, SEEK_SET), 5);
    assert_int_equal(logfile_scan_fd(fd, NULL, NULL, &sc), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
    close(fd);
    log_free(&l);
}

/* ---- the fuzz seeds ------------------------------------------------------------- */

static void test_fuzz_seeds(void **state)
{
    (void)state;
    seed_replay(MNEMO_LOGFILE_SEEDS_DIR, LLVMFuzzerTestOneInput, 5);
}

static int write_seeds(const char *dir)
{
    struct log l;
    small_log(&l);
    seed_write(dir, "header_only", l.buf, LOGFILE_HEADER);
    seed_write(dir, "mixed", l.buf, l.len);
    seed_write(dir, "torn", l.buf, l.offs[12] + 9);
    l.buf[l.offs[5] + 20] ^= 0x10;
    seed_write(dir, "damaged", l.buf, l.len);
    log_free(&l);
    log_init(&l, 77);
    struct rec r = {.type = REC_SET, .nkey = 3, .key = "big", .vlen = 3000, .value = values,
                    .flags = 1, .cas = 2, .exptime = 3};
    struct rec t = {.type = REC_TOUCH, .nkey = 3, .key = "big", .exptime = -1};
    struct rec f = {.type = REC_FLUSH, .exptime = 1700000000};
    log_add(&l, &r);
    log_add(&l, &t);
    log_add(&l, &f);
    seed_write(dir, "big_value", l.buf, l.len);
    log_free(&l);

    /* version 2: committed at the 10th record; then one flipped past it */
    log_init_v2(&l, 12, 0);
    add_records(&l);
    char block[LOGFILE_BLOCK];
    logfile_block_encode(12, l.offs[10], 3, block);
    memcpy(l.buf, block, LOGFILE_BLOCK);
    seed_write(dir, "v2_mixed", l.buf, l.len);
    l.buf[l.offs[14] + 20] ^= 0x10;
    seed_write(dir, "v2_damaged_past_committed", l.buf, l.len);
    log_free(&l);

    /* a recycled file: segment 9's header and 3 records over segment 5's */
    struct log old, cur;
    log_init_v2(&old, 5, 0);
    add_records(&old);
    log_init_v2(&cur, 9, LOGFILE_BLOCK);
    add_records(&cur);
    memcpy(old.buf, cur.buf, cur.offs[3]);
    seed_write(dir, "v2_recycled", old.buf, old.len);
    log_free(&old);
    log_free(&cur);
    return 0;
}

/* ---- version 2: a header block with commit slots, salted records ----------------- */

static void test_v2_header(void **state)
{
    (void)state;
    struct log l;
    log_init_v2(&l, 77, 3 * LOGFILE_BLOCK);
    struct logfile_scan sc;
    size_t seen;
    assert_int_equal(scan_mem(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(sc.version, 2);
    assert_int_equal(sc.seq, 77);
    assert_int_equal(sc.salt, logfile_salt(77));
    assert_int_equal(sc.committed, 3 * LOGFILE_BLOCK);
    assert_int_equal(sc.valid_end, LOGFILE_BLOCK);
    uint64_t seq;
    assert_int_equal(logfile_header_decode(l.buf, LOGFILE_HEADER, &seq), 0);
    assert_int_equal(seq, 77);

    /* a later generation in the second slot wins; a damaged slot is passed over */
    char newer[LOGFILE_BLOCK];
    logfile_block_encode(77, 5 * LOGFILE_BLOCK, 2, newer);
    memcpy(l.buf + 1024, newer + 1024, 512);
    assert_int_equal(scan_mem(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.committed, 5 * LOGFILE_BLOCK);
    l.buf[1024 + 3] ^= 0x10;
    assert_int_equal(scan_mem(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.committed, 3 * LOGFILE_BLOCK);
    l.buf[512 + 17] ^= 0x01;
    assert_int_equal(scan_mem(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.committed, LOGFILE_BLOCK); /* no slot: nothing vouched for */
    assert_int_equal(sc.end, LOGFILE_CLEAN);

    /* cut inside the block: torn, nothing valid */
    assert_int_equal(scan_mem(&l, l.buf, LOGFILE_BLOCK - 1, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_TORN);
    assert_int_equal(sc.valid_end, 0);
    log_free(&l);

    /* one salt per segment number */
    assert_int_not_equal(logfile_salt(1), logfile_salt(2));
    assert_int_not_equal(logfile_salt(1), 0);
    assert_int_not_equal(logfile_salt(0), 0);
}

/* Records read back with their segment's salt; the same bytes without it
 * (version 1's plain crc) are not records of a version 2 segment. */
static void test_v2_records_salted(void **state)
{
    (void)state;
    struct log l;
    log_init_v2(&l, 9, LOGFILE_BLOCK);
    add_records(&l);
    struct logfile_scan sc;
    size_t seen;
    assert_int_equal(scan_mem(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(seen, l.n);
    assert_int_equal(scan_file(&l, l.buf, l.len, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_CLEAN);
    assert_int_equal(seen, l.n);

    struct log plain;
    small_log(&plain); /* version 1 records */
    memcpy(l.buf + LOGFILE_BLOCK, plain.buf + LOGFILE_HEADER, plain.len - LOGFILE_HEADER);
    assert_int_equal(scan_mem(&l, l.buf, LOGFILE_BLOCK + plain.len - LOGFILE_HEADER, &sc, &seen), 0);
    assert_int_equal(seen, 0);
    assert_int_equal(sc.end, LOGFILE_TORN); /* past committed: an end */
    assert_int_equal(sc.valid_end, LOGFILE_BLOCK);
    char block[LOGFILE_BLOCK];
    logfile_block_encode(9, LOGFILE_BLOCK + 100, 2, block);
    memcpy(l.buf, block, LOGFILE_BLOCK);
    assert_int_equal(scan_mem(&l, l.buf, LOGFILE_BLOCK + plain.len - LOGFILE_HEADER, &sc, &seen), 0);
    assert_int_equal(sc.end, LOGFILE_DAMAGED); /* before committed: damage */
    log_free(&plain);
    log_free(&l);
}

/* A bit flipped before committed is damage; past it, the log's end. */
static void test_v2_flip_before_and_past_committed(void **state)
{
    (void)state;
    struct log l;
    log_init_v2(&l, 12, 0);
    add_records(&l);
    const size_t cut = 10;
    char block[LOGFILE_BLOCK];
    logfile_block_encode(12, l.offs[cut], 1, block);
    memcpy(l.buf, block, LOGFILE_BLOCK);
    char *b = malloc(l.len);
    for (size_t rec = 0; rec < l.n; rec++) {
        memcpy(b, l.buf, l.len);
        size_t at = l.offs[rec] + (l.offs[rec + 1] - l.offs[rec]) / 2;
        b[at] ^= 0x40;
        struct logfile_scan sc;
        size_t seen;
        assert_int_equal(scan_mem(&l, b, l.len, &sc, &seen), 0);
        assert_int_equal(seen, rec);
        assert_int_equal(sc.valid_end, l.offs[rec]);
        assert_int_equal(sc.end, rec < cut ? LOGFILE_DAMAGED : LOGFILE_TORN);
    }
    free(b);
    log_free(&l);
}

/* A recycled file: segment 9 written over segment 5's file. Its records
 * end where one of 5's begins (the same sizes), and 5's records that
 * follow are whole: none of them is read as 9's. */
static void test_recycled_file_old_records_not_read(void **state)
{
    (void)state;
    struct log old, cur;
    log_init_v2(&old, 5, 0);
    add_records(&old);
    log_init_v2(&cur, 9, LOGFILE_BLOCK);
    add_records(&cur);
    assert_int_equal(old.len, cur.len);
    for (size_t keep = 0; keep <= cur.n; keep++) {
        char *b = malloc(old.len);
        memcpy(b, old.buf, old.len);
        memcpy(b, cur.buf, cur.offs[keep]); /* the new header and keep records */
        assert_int_equal(cur.offs[keep], old.offs[keep]);
        struct logfile_scan sc;
        size_t seen;
        assert_int_equal(scan_mem(&cur, b, old.len, &sc, &seen), 0);
        assert_int_equal(seen, keep);
        assert_int_equal(sc.valid_end, cur.offs[keep]);
        assert_int_equal(sc.end, keep == cur.n ? LOGFILE_CLEAN : LOGFILE_TORN);
        assert_int_equal(scan_file(&cur, b, old.len, &sc, &seen), 0);
        assert_int_equal(seen, keep);
        free(b);
    }
    log_free(&old);
    log_free(&cur);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
        return write_seeds(argv[2]);
    }
    assert_non_null(mkdtemp(tmpdir));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_cut_every_byte),
        cmocka_unit_test(test_sync_marker_is_damage_in_a_log),
        cmocka_unit_test(test_flip_every_bit),
        cmocka_unit_test(test_big_records_from_file),
        cmocka_unit_test(test_long_claim_is_torn),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_fd_offset_untouched),
        cmocka_unit_test(test_fuzz_seeds),
        cmocka_unit_test(test_v2_header),
        cmocka_unit_test(test_v2_records_salted),
        cmocka_unit_test(test_v2_flip_before_and_past_committed),
        cmocka_unit_test(test_recycled_file_old_records_not_read),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0) {
        rc = 1;
    }
    return rc;
}
