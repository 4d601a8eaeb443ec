/*
 * item.c: the packed item layout (item.h) and the item accessors of
 * store.h that need nothing but the item (store_item_cas, which may derive
 * the cas from the item's place, is in store.c). Knows nothing of segments,
 * shards, locks or the memory limit.
 */
#include "store/item.h"

#include "store/store.h"

static unsigned vlen_decode(const struct item *it, uint32_t *vlen)
{
    uint32_t v = 0;
    unsigned n = 0;
    unsigned shift = 0;
    for (;;) {
        uint8_t b = it->var[n++];
        v |= (uint32_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            break;
        shift += 7;
    }
    *vlen = v;
    return n;
}

/* Offset in var[] of the optional fields (flags first). */
static unsigned opt_off(const struct item *it)
{
    uint32_t v;
    return vlen_decode(it, &v);
}

static unsigned key_off(const struct item *it)
{
    uint8_t st = item_state(it);
    return opt_off(it) + ((st & ITEM_HAS_FLAGS) ? 4u : 0u) + ((st & ITEM_HAS_CAS) ? 8u : 0u);
}

void item_init(struct item *it, const char *key, size_t nkey, uint32_t flags, uint32_t exptime,
               uint32_t vlen, bool has_cas)
{
    unsigned n = 0;
    uint8_t st = 0;

    it->next = 0;
    it->exptime = exptime;
    it->atime = 0;
    it->nkey = (uint8_t)nkey;
    uint32_t v = vlen;
    while (v >= 0x80) {
        it->var[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    it->var[n++] = (uint8_t)v;
    if (flags != 0) {
        st |= ITEM_HAS_FLAGS;
        memcpy(&it->var[n], &flags, 4);
        n += 4;
    }
    if (has_cas) {
        st |= ITEM_HAS_CAS;
        memset(&it->var[n], 0, 8);
        n += 8;
    }
    it->state = st;
    memcpy(&it->var[n], key, nkey);
    item_seal(it);
}

size_t item_size(const struct item *it)
{
    uint8_t st = item_state(it);
    return item_size_for(it->nkey, item_vlen(it), (st & ITEM_HAS_FLAGS) != 0,
                         (st & ITEM_HAS_CAS) != 0);
}

uint64_t item_cas_slot(const struct item *it)
{
    uint64_t cas;
    uint8_t st = item_state(it);
    memcpy(&cas, &it->var[opt_off(it) + ((st & ITEM_HAS_FLAGS) ? 4u : 0u)], 8);
    return cas;
}

void item_cas_slot_store(struct item *it, uint64_t cas)
{
    uint8_t st = item_state(it);
    memcpy(&it->var[opt_off(it) + ((st & ITEM_HAS_FLAGS) ? 4u : 0u)], &cas, 8);
}

void item_seal(struct item *it)
{
    char *end = (char *)&it->var[key_off(it)] + it->nkey + item_vlen(it);
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
    uint32_t vlen = item_vlen(it);
    const char *p = item_value(it);
    const char *end = p + vlen;
    bool neg = false;

    /* memcached refuses empty values before it parses (nbytes <= 2) */
    if (vlen == 0)
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
    return (const char *)&it->var[key_off(it)];
}

size_t item_nkey(const struct item *it)
{
    return it->nkey;
}

const char *item_value(const struct item *it)
{
    return (const char *)&it->var[key_off(it)] + it->nkey;
}

uint32_t item_vlen(const struct item *it)
{
    uint32_t v;
    vlen_decode(it, &v);
    return v;
}

uint32_t item_flags(const struct item *it)
{
    uint32_t f = 0;
    if (item_state(it) & ITEM_HAS_FLAGS)
        memcpy(&f, &it->var[opt_off(it)], 4);
    return f;
}

uint32_t item_exptime(const struct item *it)
{
    return item_exptime_load(it);
}

uint32_t item_atime(const struct item *it)
{
    return item_atime_load(it);
}

bool item_key_binary(const struct item *it)
{
    return item_key_binary_load(it);
}

void item_mark_key_binary(struct item *it)
{
    __atomic_fetch_or(&it->atime, ITEM_ATIME_KEY_BINARY, __ATOMIC_RELAXED);
}

bool item_fetched(const struct item *it)
{
    return (item_state(it) & ITEM_FETCHED) != 0;
}

bool item_stale(const struct item *it)
{
    return (item_state(it) & ITEM_STALE) != 0;
}

bool item_win_sent(const struct item *it)
{
    return (item_state(it) & ITEM_WIN_SENT) != 0;
}

char *item_data(struct item *it)
{
    return (char *)&it->var[key_off(it)] + it->nkey;
}
