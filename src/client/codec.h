/*
 * codec.h: the meta protocol, client side, as pure functions: encode a
 * request into a buffer, parse one reply from bytes.  No sockets, no
 * servers, no state between calls (the caller keeps partial input and
 * calls again when more arrives), so it is unit-testable byte by byte.
 *
 * Wire forms used (memcached doc/protocol.txt, "Meta Commands"):
 *   get/gets/gat  mg <key> [b] O<n> k v f [c] [T<ttl>]   -> VA/EN
 *   touch         mg <key> [b] O<n> k T<ttl>             -> HD/EN
 *   store         ms <key> <len> [b] O<n> k [F T] [C] M<mode> + data -> HD/NS/EX/NF
 *   delete        md <key> [b] O<n> k                     -> HD/NF
 *   incr/decr     ma <key> [b] O<n> k v D<d> M<I|D>       -> VA/NF
 *   noop mn; flush flush_all [d]; version; stats [group]  (no opaque: in order)
 */
#ifndef MNEMO_CLIENT_CODEC_H
#define MNEMO_CLIENT_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mnemo/mnemo.h"

struct buf;

/* Longest wire form of a key (plain or base64) plus NUL. */
#define CODEC_WIRE_KEY_MAX 256
/* Longest reply line accepted before the reply is called malformed. */
#define CODEC_MAX_LINE 8192
/* Largest value accepted in a VA reply. */
#define CODEC_MAX_VALUE (1024u * 1024u * 1024u)

/*
 * Wire form of a raw key: the key itself when it is 1..250 printable
 * non-space ASCII bytes, else its base64 (*b64 = 1) if len <=
 * MNEMO_MAX_BINARY_KEY.  out must hold CODEC_WIRE_KEY_MAX bytes.  Returns
 * the wire length, or -1 (empty or too long).
 */
int codec_key_wire(const void *key, size_t len, char *out, int *b64);

/* Standard base64 with padding; decode returns length or -1 if invalid. */
size_t codec_base64_encode(const unsigned char *in, size_t len, char *out);
ssize_t codec_base64_decode(const char *in, size_t len, unsigned char *out, size_t out_max);

struct codec_req {
    enum mnemo_op op;
    const char *wkey;  /* wire key (see codec_key_wire) */
    size_t wkey_len;
    int b64;
    uint32_t opaque;
    const void *value;
    size_t value_len;
    uint32_t flags;
    int64_t ttl;
    uint64_t cas;
    uint64_t delta;
    const char *group; /* stats group or NULL */
};

/* Append the request's bytes to out.  Returns 0, MNEMO_EINVAL (bad op or
 * stats group) or MNEMO_ENOMEM; on error out is unchanged. */
int codec_encode(struct buf *out, const struct codec_req *req);

enum codec_rc {
    CODEC_VA,           /* value follows: data/data_len */
    CODEC_HD,
    CODEC_EN,
    CODEC_NF,
    CODEC_NS,
    CODEC_EX,
    CODEC_MN,
    CODEC_OK,
    CODEC_VERSION,      /* data = version text */
    CODEC_STAT,         /* data = "name value" */
    CODEC_END,
    CODEC_ERROR,        /* ERROR */
    CODEC_CLIENT_ERROR, /* data = message */
    CODEC_SERVER_ERROR, /* data = message */
    CODEC_STORED,       /* STORED: the answer to the ascii auth set */
};

struct codec_reply {
    enum codec_rc rc;
    const char *data;   /* points into the parsed bytes */
    size_t data_len;
    int has_opaque;
    uint32_t opaque;
    const char *key;    /* k flag: wire key as returned */
    size_t key_len;
    int key_b64;        /* b flag returned */
    int has_flags;
    uint32_t flags;
    int has_cas;
    uint64_t cas;
};

/*
 * Parse one reply from buf[0..len).  Returns the bytes it spans (> 0) and
 * fills *out, 0 if more bytes are needed, or -1 if the bytes cannot be a
 * valid reply (the connection must then be dropped).  Never reads past
 * len; never allocates.
 */
ssize_t codec_parse(const char *buf, size_t len, struct codec_reply *out);

#endif
