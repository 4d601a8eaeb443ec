/*
 * item.c: item memory and the item accessors declared in store.h. Knows the
 * item layout (item.h) and nothing of shards, locks or the memory limit.
 */
#include "store/item.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct item *item_alloc(const char *key, size_t nkey, uint32_t hv, unsigned shard,
                        uint32_t flags, uint32_t exptime, uint32_t vlen, size_t *usable)
{
    struct item *it = malloc(item_total(nkey, vlen));
    if (it == NULL)
        return NULL;
    *usable = malloc_usable_size(it);
    it->h_next = NULL;
    it->prev = NULL;
    it->next = NULL;
    it->cas = 0;
    it->exptime = exptime;
    it->atime = 0;
    it->flags = flags;
    it->vlen = vlen;
    atomic_init(&it->refcount, 1);
    it->gen = 0;
    it->hv = hv;
    it->nkey = (uint8_t)nkey;
    it->shard = (uint8_t)shard;
    it->state = 0;
    memcpy(it->data, key, nkey);
    item_seal(it);
    return it;
}

size_t item_free(struct item *it)
{
    size_t usable = malloc_usable_size(it);
    free(it);
    return usable;
}

void item_seal(struct item *it)
{
    char *end = it->data + it->nkey + it->vlen;
    end[0] = '\r';
    end[1] = '\n';
}

static bool is_space(char c)
{
    /* isspace() in the C locale, without the locale lookup */
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool item_value_u64(const struct item *it, uint64_t *out)
{
    const char *p = item_value(it);
    const char *end = p + it->vlen;
    bool neg = false;

    /* memcached refuses empty values before it parses (nbytes <= 2) */
    if (it->vlen == 0)
        return false;
    while (p < end && is_space(*p))
        p++;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    const char *digits = p;
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false; /* strtoull's ERANGE */
        v = v * 10 + d;
        p++;
    }
    if (p == digits)
        return false;
    /* After the number: white space or the value's end (where "\r\n" follows,
     * which strtoull() would stop at as white space). So "12 ab" is 12. */
    if (p < end && !is_space(*p))
        return false;
    if (neg) {
        /* strtoull() negates; memcached refuses only results that are
         * negative as int64 ("-0" is 0, "-18446744073709551615" is 1). */
        v = (uint64_t)0 - v;
        if ((int64_t)v < 0)
            return false;
    }
    *out = v;
    return true;
}

/* ---- accessors (store.h) ---- */

const char *item_key(const struct item *it)
{
    return it->data;
}

size_t item_nkey(const struct item *it)
{
    return it->nkey;
}

const char *item_value(const struct item *it)
{
    return it->data + it->nkey;
}

uint32_t item_vlen(const struct item *it)
{
    return it->vlen;
}

uint32_t item_flags(const struct item *it)
{
    return it->flags;
}

uint32_t item_exptime(const struct item *it)
{
    return item_exptime_load(it);
}

uint64_t item_cas(const struct item *it)
{
    return item_cas_load(it);
}

uint32_t item_atime(const struct item *it)
{
    return item_atime_load(it);
}

char *item_data(struct item *it)
{
    return it->data + it->nkey;
}
