/*
 * fuzz_logfile.c: libFuzzer target for reading a log segment
 * (persist/logfile.c, persist/record.c).
 *
 * The input is a segment file, of either version. It is scanned from
 * memory and, through a memfd, from a file (the fuzz build gives
 * logfile.c a 64-byte window, so refills and growth run on small inputs);
 * then once more with every CRC made right (version 2: the commit slots'
 * and the records' salted ones too), so the checks behind the CRCs are
 * reached. Checks:
 *  - every record passed on lies inside the input, right after the one
 *    before it (the first just after the header, or its block), and
 *    encodes back (with the segment's salt) to exactly the bytes it was
 *    read from: nothing is invented or changed;
 *  - the scan's summary agrees with what was passed on: records, valid_end
 *    (the end of the last record passed), file_size; CLEAN only when
 *    valid_end is the end of the input, TORN only when it is not, and
 *    only for a record cut short or (version 2) one past the committed
 *    length, DAMAGED never past it;
 *  - the file scan and the memory scan agree on everything.
 *
 * Also compiled into tests/unit/persist/test_logfile.c (FUZZ_CHECK mapped
 * to cmocka), so every seed in seeds/logfile/ is a unit test.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "persist/logfile.h"
#include "persist/record.h"

#include "fuzz_check.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct seen {
    const uint8_t *data;
    size_t size;
    uint32_t salt;    /* of the records (version 2), else 0 */
    uint64_t next;    /* where the next record must start */
    uint64_t records;
    uint64_t sum;     /* of offsets and sizes, to compare two scans */
};

static int check_rec(void *arg, const struct rec *r, uint64_t offset)
{
    struct seen *s = arg;
    size_t n = rec_size(r);

    FUZZ_CHECK(offset == s->next);
    FUZZ_CHECK(offset <= s->size && n <= s->size - offset);
    FUZZ_CHECK(r->nkey <= REC_KEY_MAX && r->vlen <= REC_VALUE_MAX);
    FUZZ_CHECK(r->type >= REC_SET && r->type <= REC_FLUSH);
    FUZZ_CHECK((r->type == REC_FLUSH) == (r->nkey == 0));
    FUZZ_CHECK(r->type == REC_SET || r->vlen == 0);
    char *copy = malloc(n);
    FUZZ_CHECK(copy != NULL);
    FUZZ_CHECK(rec_encode_salted(r, s->salt, copy) == n);
    FUZZ_CHECK(memcmp(copy, s->data + offset, n) == 0);
    free(copy);
    s->next = offset + n;
    s->records++;
    s->sum = s->sum * 31 + offset * 7 + n;
    return 0;
}

static void check_scan(const uint8_t *data, size_t size, const struct logfile_scan *sc,
                       const struct seen *s)
{
    FUZZ_CHECK(sc->file_size == size);
    FUZZ_CHECK(sc->records == s->records);
    FUZZ_CHECK(sc->valid_end <= size);
    if (size < LOGFILE_HEADER) {
        FUZZ_CHECK(sc->end == LOGFILE_TORN && sc->valid_end == 0 && sc->records == 0);
        return;
    }
    uint64_t seq;
    if (logfile_header_decode((const char *)data, size, &seq) != 0) {
        FUZZ_CHECK(sc->end == LOGFILE_DAMAGED && sc->valid_end == 0 && sc->records == 0);
        return;
    }
    FUZZ_CHECK(sc->seq == seq);
    FUZZ_CHECK(sc->version == get32(data + 8));
    if (sc->version == 2 && (size < LOGFILE_BLOCK || sc->valid_end == 0)) {
        /* a block cut short (torn) or with bytes where zeros belong (damaged) */
        FUZZ_CHECK(sc->records == 0 && (sc->end == LOGFILE_TORN) == (size < LOGFILE_BLOCK));
        FUZZ_CHECK(sc->end == LOGFILE_TORN || sc->end == LOGFILE_DAMAGED);
        return;
    }
    FUZZ_CHECK(sc->salt == (sc->version == 2 ? logfile_salt(seq) : 0));
    FUZZ_CHECK(sc->version == 1 || sc->committed >= LOGFILE_BLOCK);
    FUZZ_CHECK(sc->valid_end == s->next);
    FUZZ_CHECK(sc->end == LOGFILE_CLEAN || sc->end == LOGFILE_TORN || sc->end == LOGFILE_DAMAGED);
    FUZZ_CHECK((sc->end == LOGFILE_CLEAN) == (sc->valid_end == size));
    bool past_committed = sc->version == 2 && sc->valid_end >= sc->committed;
    struct rec r;
    size_t used;
    enum rec_result rest = rec_decode_salted((const char *)data + sc->valid_end,
                                             size - sc->valid_end, sc->salt, &r, &used);
    if (sc->end == LOGFILE_TORN) {
        /* what is left is the start of one record that does not fit, or
         * (version 2) anything at all past the committed length */
        FUZZ_CHECK(rest == REC_SHORT || past_committed);
    } else if (sc->end == LOGFILE_DAMAGED) {
        FUZZ_CHECK(!past_committed && rest != REC_SHORT);
    }
}

static uint64_t records_start(const uint8_t *data, size_t size)
{
    return size >= LOGFILE_HEADER && get32(data + 8) == 2 ? LOGFILE_BLOCK : LOGFILE_HEADER;
}

static uint32_t records_salt(const uint8_t *data, size_t size)
{
    if (size < LOGFILE_HEADER || get32(data + 8) != 2)
        return 0;
    return logfile_salt((uint64_t)get32(data + 16) | (uint64_t)get32(data + 20) << 32);
}

static void scan_both(const uint8_t *data, size_t size)
{
    struct seen a = {data, size, records_salt(data, size), records_start(data, size), 0, 0}, b = a;
    struct logfile_scan sa, sb;

    FUZZ_CHECK(logfile_scan_buf((const char *)data, size, check_rec, &a, &sa) == 0);
    check_scan(data, size, &sa, &a);

    int fd = memfd_create("fuzz_logfile", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    FUZZ_CHECK(logfile_scan_fd(fd, check_rec, &b, &sb) == 0);
    close(fd);
    check_scan(data, size, &sb, &b);
    FUZZ_CHECK(sa.end == sb.end && sa.seq == sb.seq && sa.records == sb.records);
    FUZZ_CHECK(sa.valid_end == sb.valid_end && a.sum == b.sum);
}


/* The input with the header's CRC and each whole record's CRC made right. */
static void fix_crcs(uint8_t *d, size_t size)
{
    if (size < LOGFILE_HEADER) {
        return;
    }
    put32(d + 24, rec_crc32c(0, d, 24));
    size_t off = records_start(d, size);
    uint32_t salt = records_salt(d, size);
    if (off == LOGFILE_BLOCK) {
        if (size < LOGFILE_BLOCK) {
            return;
        }
        for (size_t slot = 512; slot <= 1024; slot += 512) {
            put32(d + slot + 16, rec_crc32c(0, d + slot, 16));
        }
    }
    while (size - off >= REC_HEAD) {
        uint32_t body = get32(d + off);
        if (body > size - off - REC_HEAD) {
            break;
        }
        put32(d + off + 4,
              rec_crc32c(rec_crc32c(0, d + off, 4), d + off + REC_HEAD, body) ^ salt);
        off += REC_HEAD + body;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scan_both(data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    FUZZ_CHECK(fixed != NULL);
    memcpy(fixed, data, size);
    fix_crcs(fixed, size);
    scan_both(fixed, size);
    free(fixed);
    return 0;
}
