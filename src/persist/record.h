/*
 * record.h: one mutation (or one item of a snapshot), as bytes on disk.
 *
 * One format serves the append log, snapshots and the replication stream: a record carries everything needed to rebuild an item exactly —
 * key, value, client flags, cas, absolute expiry and the meta state bits —
 * and its own CRC32C, so a reader can tell a record cut short (the torn
 * tail of a log) from one that is damaged.
 *
 *   0   u32 body_len   bytes after the crc field (REC_BODY_FIXED + nkey + vlen)
 *   4   u32 crc        CRC32C (Castagnoli) of body_len's 4 bytes and the body
 *   8   body:
 *       u8  type       enum rec_type
 *       u8  bits       REC_BIT_* below
 *       u8  nkey       1..250 for SET/DELETE/TOUCH, 0 for FLUSH/SYNC
 *       u8  reserved   0
 *       u32 stamp      Unix time (seconds, mod 2^32) when the change was made
 *       u32 flags      client flags
 *       u32 vlen       value bytes (SET only; 0 otherwise)
 *       i64 exptime    absolute Unix time; 0 = never. TOUCH: the new one;
 *                      FLUSH: the time the flush takes effect
 *       u64 cas        SET: the item's cas. SYNC: the stream's offset. Others: 0
 *       key, value     (no "\r\n")
 *
 * All integers little-endian. Pure code: no I/O, no store, no clock.
 */
#ifndef MNEMO_PERSIST_RECORD_H
#define MNEMO_PERSIST_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rec_type {
    REC_SET = 1,    /* link this item under its key, replacing any */
    REC_DELETE = 2, /* unlink the key */
    REC_TOUCH = 3,  /* set the live item's exptime */
    REC_FLUSH = 4,  /* flush_all: items stored before exptime are invalid from then on */
    REC_SYNC = 5    /* replication stream only: a full sync's items end here and the
                     * stream goes on at offset cas (logs never hold one) */
};

#define REC_BIT_STALE 0x01u      /* marked stale by an invalidation (meta I) */
#define REC_BIT_KEY_BINARY 0x02u /* key was sent base64-encoded (meta b) */
#define REC_BIT_WIN_SENT 0x04u   /* the win token went out */
#define REC_BIT_FETCHED 0x08u    /* read since linked */

#define REC_HEAD 8u        /* body_len + crc */
#define REC_BODY_FIXED 32u /* the body's fixed fields: type .. cas above */
#define REC_KEY_MAX 250u
/* The largest value a record may carry: a reader rejects longer ones as
 * damaged instead of trusting a corrupt length (1 GiB, above any -I). */
#define REC_VALUE_MAX (1u << 30)

struct rec {
    enum rec_type type;
    uint8_t bits;
    uint8_t nkey;
    uint32_t stamp;
    uint32_t flags;
    uint32_t vlen;
    int64_t exptime;
    uint64_t cas;
    const char *key;   /* decode: points into the buffer decoded */
    const char *value; /* decode: points into the buffer decoded */
};

/* Bytes rec_encode() writes for r. */
size_t rec_size(const struct rec *r);

/* Write r at dst (rec_size(r) bytes available); returns rec_size(r). */
size_t rec_encode(const struct rec *r, char *dst);

/* The same with the stored crc XORed with salt: a log segment's records
 * carry their segment's salt (logfile.h), so that a record left in a
 * reused file by its earlier life never passes for one of the new. */
size_t rec_encode_salted(const struct rec *r, uint32_t salt, char *dst);

enum rec_result {
    REC_OK = 0,        /* *out filled; *used = rec_size */
    REC_SHORT = 1,     /* buf ends inside the record: more bytes needed (at the
                        * end of a file: a torn tail) */
    REC_DAMAGED = 2    /* bad length, crc mismatch, unknown type, bad field */
};

/* Decode the record at the start of buf. key/value in *out point into buf. */
enum rec_result rec_decode(const char *buf, size_t len, struct rec *out, size_t *used);

/* rec_decode of a record written by rec_encode_salted(salt): another salt
 * makes it DAMAGED. */
enum rec_result rec_decode_salted(const char *buf, size_t len, uint32_t salt, struct rec *out,
                                  size_t *used);

/* CRC32C of len bytes, continuing from crc (0 to start). */
uint32_t rec_crc32c(uint32_t crc, const void *data, size_t len);

#endif
