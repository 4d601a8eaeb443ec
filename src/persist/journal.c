/*
 * journal.c: see journal.h.
 */
#include "persist/journal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "persist/itemrec.h"
#include "store/store.h"

struct sink {
    _Atomic(journal_sink_fn) fn;
    void *_Atomic arg;
};

struct journal {
    struct store *store;
    struct sink sinks[JOURNAL_SINKS];
};

static _Thread_local bool muted;

/* The store's hook: under the key's lock, in the thread making the change. */
static void on_mutation(void *arg, enum store_event ev, const char *key, size_t nkey,
                        const struct item *it, uint32_t exptime)
{
    struct journal *j = arg;
    if (muted)
        return;
    struct rec r;
    int64_t now = itemrec_now_unix();
    switch (ev) {
    case STORE_EV_LINK:
        itemrec_of(j->store, it, now, &r);
        break;
    case STORE_EV_UNLINK:
    case STORE_EV_TOUCH:
    case STORE_EV_FLUSH:
        memset(&r, 0, sizeof(r));
        r.type = ev == STORE_EV_UNLINK ? REC_DELETE : ev == STORE_EV_TOUCH ? REC_TOUCH : REC_FLUSH;
        r.key = key;
        r.nkey = (uint8_t)nkey;
        r.stamp = (uint32_t)now;
        /* A flush at once (when in the past) takes effect now. */
        if (ev == STORE_EV_FLUSH)
            r.exptime = exptime > clock_now() ? itemrec_exptime_unix(exptime) : now;
        else if (ev == STORE_EV_TOUCH)
            r.exptime = itemrec_exptime_unix(exptime);
        break;
    default:
        return;
    }
    for (int i = 0; i < JOURNAL_SINKS; i++) {
        journal_sink_fn fn = atomic_load_explicit(&j->sinks[i].fn, memory_order_acquire);
        if (fn != NULL)
            fn(atomic_load_explicit(&j->sinks[i].arg, memory_order_relaxed), &r);
    }
}

struct journal *journal_create(struct store *store)
{
    struct journal *j = calloc(1, sizeof(*j));
    if (j != NULL)
        j->store = store;
    return j;
}

static bool any_sink(struct journal *j)
{
    for (int i = 0; i < JOURNAL_SINKS; i++)
        if (atomic_load(&j->sinks[i].fn) != NULL)
            return true;
    return false;
}

void journal_set_sink(struct journal *j, enum journal_sink which, journal_sink_fn fn, void *arg)
{
    /* arg before fn: a hook that sees the fn sees its arg */
    atomic_store_explicit(&j->sinks[which].arg, arg, memory_order_relaxed);
    atomic_store_explicit(&j->sinks[which].fn, fn, memory_order_release);
    if (any_sink(j))
        store_set_hook(j->store, on_mutation, j);
    else
        store_set_hook(j->store, NULL, NULL);
}

void journal_free(struct journal **jp)
{
    struct journal *j = *jp;
    if (j == NULL)
        return;
    *jp = NULL;
    store_set_hook(j->store, NULL, NULL);
    free(j);
}

void journal_mute(bool on)
{
    muted = on;
}

void journal_log_only(struct journal *j, const struct rec *r)
{
    journal_sink_fn fn = atomic_load_explicit(&j->sinks[JOURNAL_LOG].fn, memory_order_acquire);
    if (fn != NULL)
        fn(atomic_load_explicit(&j->sinks[JOURNAL_LOG].arg, memory_order_relaxed), r);
}
