/*
 * apply.c: see apply.h.
 */
#include "persist/apply.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "persist/itemrec.h"
#include "store/store.h"

/* Values longer than this are applied at once rather than copied. */
#define BATCH_VALUE_MAX 4096u
#define SLOT (REC_KEY_MAX + BATCH_VALUE_MAX)

void rec_apply_init(struct rec_apply *a, struct store *store, int64_t now)
{
    memset(a, 0, sizeof(*a));
    a->store = store;
    a->now = now;
    a->space = malloc((size_t)REC_APPLY_BATCH * SLOT); /* NULL: no batching */
}

static void apply_flush(struct rec_apply *a, const struct rec *r)
{
    if (r->exptime > (int64_t)r->stamp) {
        /* flush_all with a delay: pending (a later one replaces it, as in
         * memcached) until a record says it took effect */
        a->pending_flush = r->exptime;
        return;
    }
    /* in effect here: everything applied so far goes */
    a->pending_flush = 0;
    store_flush(a->store, 0);
}

static void apply_set(struct rec_apply *a, const struct rec *r)
{
    struct store *s = a->store;
    /* Expired: not loaded (and the key's older version, if any, goes). */
    if (r->exptime != 0 && r->exptime <= a->now) {
        store_delete(s, r->key, r->nkey, NULL);
        return;
    }
    struct store_restore sr = {
        .key = r->key,
        .nkey = r->nkey,
        .value = r->value,
        .vlen = r->vlen,
        .flags = r->flags,
        .exptime = itemrec_exptime_clock(r->exptime),
        .cas = r->cas,
        .stale = (r->bits & REC_BIT_STALE) != 0,
        .win_sent = (r->bits & REC_BIT_WIN_SENT) != 0,
        .fetched = (r->bits & REC_BIT_FETCHED) != 0,
        .key_binary = (r->bits & REC_BIT_KEY_BINARY) != 0,
    };
    if (store_restore(s, &sr) != STORE_OK) {
        /* It cannot be kept (an -I or -m lower than the source's): the key
         * must not keep an older value either. */
        store_delete(s, r->key, r->nkey, NULL);
        a->skipped++;
    }
}

void rec_apply_drain(struct rec_apply *a)
{
    for (int i = 0; i < a->n; i++)
        store_prefetch_item(a->store, a->hash[i]);
    for (int i = 0; i < a->n; i++)
        apply_set(a, &a->batch[i]);
    a->n = 0;
}

/* Queue a SET into the batch (copied); false when it must go at once. */
static bool batch_add(struct rec_apply *a, const struct rec *r)
{
    if (a->space == NULL || r->vlen > BATCH_VALUE_MAX)
        return false;
    char *slot = a->space + (size_t)a->n * SLOT;
    struct rec *b = &a->batch[a->n];
    *b = *r;
    memcpy(slot, r->key, r->nkey);
    if (r->vlen > 0)
        memcpy(slot + r->nkey, r->value, r->vlen);
    b->key = slot;
    b->value = slot + r->nkey;
    a->hash[a->n] = store_prefetch_bucket(a->store, b->key, b->nkey);
    if (++a->n == REC_APPLY_BATCH)
        rec_apply_drain(a);
    return true;
}

void rec_apply(struct rec_apply *a, const struct rec *r)
{
    a->applied++;
    if (r->cas > a->max_cas)
        a->max_cas = r->cas;
    if (r->type == REC_SET && batch_add(a, r))
        return;
    rec_apply_drain(a); /* in order: what came before goes first */
    switch (r->type) {
    case REC_SET:
        apply_set(a, r);
        break;
    case REC_DELETE:
        store_delete(a->store, r->key, r->nkey, NULL);
        break;
    case REC_TOUCH:
        store_touch(a->store, r->key, r->nkey, itemrec_exptime_clock(r->exptime));
        break;
    case REC_FLUSH:
        apply_flush(a, r);
        break;
    default:
        break;
    }
}

void rec_apply_free(struct rec_apply *a)
{
    rec_apply_drain(a);
    free(a->space);
    a->space = NULL;
}
