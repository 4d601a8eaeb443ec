/*
 * digest.c: see digest.h. Knows the store only through store.h and an
 * item's fields through persist's record (itemrec_of), the form in which
 * replication will carry items too.
 */
#include "repl/digest.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "persist/itemrec.h"
#include "persist/record.h"
#include "store/store.h"

/* u32 nkey, key (up to 255 bytes), u32 vlen, u32 flags, u64 cas, i64
 * exptime, the value's 128-bit hash */
#define CANON_MAX (4 + 255 + 4 + 4 + 8 + 8 + 16)

void digest_init(struct digest *d)
{
    memset(d, 0, sizeof(*d));
}

void digest_add_hash(struct digest *d, uint64_t lo, uint64_t hi)
{
    uint64_t sum = d->lo + lo;
    d->hi += hi + (sum < lo); /* the carry out of the low half */
    d->lo = sum;
}

static unsigned char *put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

void digest_add_rec(struct digest *d, const struct rec *r)
{
    unsigned char buf[CANON_MAX];
    unsigned char *p = buf;
    XXH128_hash_t v = XXH3_128bits(r->value, r->vlen);
    p = put_le(p, r->nkey, 4);
    memcpy(p, r->key, r->nkey);
    p += r->nkey;
    p = put_le(p, r->vlen, 4);
    p = put_le(p, r->flags, 4);
    p = put_le(p, r->cas, 8);
    p = put_le(p, (uint64_t)r->exptime, 8);
    p = put_le(p, v.low64, 8);
    p = put_le(p, v.high64, 8);
    XXH128_hash_t h = XXH3_128bits(buf, (size_t)(p - buf));
    digest_add_hash(d, h.low64, h.high64);
    d->items++;
}

void digest_hex(const struct digest *d, char *out)
{
    snprintf(out, DIGEST_HEX_LEN + 1, "%016" PRIx64 "%016" PRIx64, d->hi, d->lo);
}

struct walk {
    const struct store *s;
    struct digest *d;
};

/* store_foreach visits only items live when it collected them (a slice of
 * a few hundred at a time), so an expired item is never counted. */
static int visit(const struct item *it, void *arg)
{
    struct walk *w = arg;
    struct rec r;
    itemrec_of(w->s, it, 0, &r);
    digest_add_rec(w->d, &r);
    return 0;
}

enum digest_status digest_store(struct store *s, struct digest *out)
{
    struct walk w = {.s = s, .d = out};
    digest_init(out);
    return store_foreach(s, visit, &w) == 0 ? DIGEST_OK : DIGEST_ENOMEM;
}
