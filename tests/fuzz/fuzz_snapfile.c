/*
 * fuzz_snapfile.c: libFuzzer target for reading a snapshot file
 * (persist/snapfile.c, persist/record.c).
 *
 * The input is a snapshot file. It is read from memory and, through a
 * memfd, from a file; then once more with every CRC (header, records,
 * blocks, trailer) and the trailer's counts made right, so the checks
 * behind the CRCs are reached too. Checks:
 *  - every record passed on is a SET, lies inside a block of the input
 *    whose CRC is right, comes after the one before it, and encodes back
 *    to exactly the bytes it was read from: nothing is invented;
 *  - OK only when the input ends with a trailer that counts every record
 *    passed on; the status and offset otherwise lie inside the input;
 *  - the file read and the memory read agree on everything.
 *
 * Also compiled into tests/unit/persist/test_snapfile.c (FUZZ_CHECK mapped
 * to cmocka), so every seed in seeds/snapfile/ is a unit test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "persist/record.h"
#include "persist/snapfile.h"

#include "fuzz_check.h"

static uint32_t sget32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t sget64(const uint8_t *p)
{
    return (uint64_t)sget32(p) | (uint64_t)sget32(p + 4) << 32;
}

static void sput32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void sput64(uint8_t *p, uint64_t v)
{
    sput32(p, (uint32_t)v);
    sput32(p + 4, (uint32_t)(v >> 32));
}

struct snap_seen {
    const uint8_t *data;
    size_t size;
    uint64_t next;  /* no record may start before this */
    uint64_t items;
    uint64_t sum;
};

/* The record at offset lies in a whole block whose CRC is right, walking
 * the blocks by their lengths alone. */
static int in_good_block(const uint8_t *d, size_t size, uint64_t offset, size_t n)
{
    uint64_t off = SNAPFILE_HEADER;
    while (off + 8 <= size) {
        uint32_t len = sget32(d + off);
        if (len == 0 || len > size - off - 8) {
            return 0;
        }
        if (offset >= off + 8 && offset < off + 8 + len) {
            return offset + n <= off + 8 + len && rec_crc32c(0, d + off + 8, len) == sget32(d + off + 4);
        }
        off += 8 + (uint64_t)len;
    }
    return 0;
}

static int check_item(void *arg, const struct rec *r, uint64_t offset)
{
    struct snap_seen *s = arg;
    size_t n = rec_size(r);

    FUZZ_CHECK(r->type == REC_SET && r->nkey >= 1 && r->nkey <= REC_KEY_MAX);
    FUZZ_CHECK(offset >= s->next && offset <= s->size && n <= s->size - offset);
    FUZZ_CHECK(in_good_block(s->data, s->size, offset, n));
    char *copy = malloc(n);
    FUZZ_CHECK(copy != NULL);
    FUZZ_CHECK(rec_encode(r, copy) == n);
    FUZZ_CHECK(memcmp(copy, s->data + offset, n) == 0);
    free(copy);
    s->next = offset + n;
    s->items++;
    s->sum = s->sum * 31 + offset * 7 + n;
    return 0;
}

static void check_read(const uint8_t *data, size_t size, int rc, const struct snapfile_read *rd,
                       const struct snap_seen *s)
{
    FUZZ_CHECK(rd->items == s->items);
    switch (rd->status) {
    case SNAPFILE_OK:
        FUZZ_CHECK(rc == 0);
        FUZZ_CHECK(size >= SNAPFILE_HEADER + 24 && sget32(data + size - 24) == 0);
        FUZZ_CHECK(sget64(data + size - 16) == s->items && sget64(data + size - 8) == size - 24);
        FUZZ_CHECK(rd->meta.log_seq == sget64(data + 16) && rd->meta.cas_high == sget64(data + 32));
        break;
    case SNAPFILE_DAMAGED:
    case SNAPFILE_INCOMPLETE:
        FUZZ_CHECK(rc == -1 && rd->bad_offset <= size);
        FUZZ_CHECK(rd->status == SNAPFILE_DAMAGED || size >= SNAPFILE_HEADER ||
                   rd->bad_offset == 0);
        break;
    default:
        FUZZ_CHECK(0);
    }
}

static void read_both(const uint8_t *data, size_t size)
{
    struct snap_seen a = {data, size, SNAPFILE_HEADER, 0, 0}, b = a;
    struct snapfile_read ra, rb;

    int rca = snapfile_read_buf((const char *)data, size, check_item, &a, &ra);
    check_read(data, size, rca, &ra, &a);

    int fd = memfd_create("fuzz_snapfile", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
    int rcb = snapfile_read_fd(fd, check_item, &b, &rb);
    close(fd);
    check_read(data, size, rcb, &rb, &b);
    FUZZ_CHECK(rca == rcb && ra.status == rb.status && ra.items == rb.items);
    FUZZ_CHECK(ra.bad_offset == rb.bad_offset && a.sum == b.sum);
    FUZZ_CHECK(memcmp(&ra.meta, &rb.meta, sizeof(ra.meta)) == 0);
}

/* The input with every CRC, and the trailer's counts, made right. */
static void fix_snap(uint8_t *d, size_t size)
{
    uint64_t items = 0, off = SNAPFILE_HEADER;

    if (size < SNAPFILE_HEADER) {
        return;
    }
    sput32(d + 48, rec_crc32c(0, d, 48));
    while (size - off >= 8) {
        uint32_t len = sget32(d + off);
        if (len == 0) {
            if (size - off >= 24) {
                sput64(d + off + 8, items);
                sput64(d + off + 16, off);
                sput32(d + off + 4, rec_crc32c(0, d + off + 8, 16));
            }
            return;
        }
        if (len > size - off - 8) {
            return;
        }
        uint8_t *b = d + off + 8;
        for (size_t pos = 0; len - pos >= REC_HEAD;) {
            uint32_t body = sget32(b + pos);
            if (body > len - pos - REC_HEAD) {
                break;
            }
            sput32(b + pos + 4, rec_crc32c(rec_crc32c(0, b + pos, 4), b + pos + REC_HEAD, body));
            pos += REC_HEAD + body;
            items++;
        }
        sput32(d + off + 4, rec_crc32c(0, b, len));
        off += 8 + (uint64_t)len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_both(data, size);
    uint8_t *fixed = malloc(size ? size : 1);
    FUZZ_CHECK(fixed != NULL);
    memcpy(fixed, data, size);
    fix_snap(fixed, size);
    read_both(fixed, size);
    free(fixed);
    return 0;
}
