/*
 * prefetch.c: see prefetch.h.
 */
#include "server/prefetch.h"

#include "proto/peek.h"
#include "store/store.h"

void prefetch_add(struct prefetch_batch *pb, const char *data, size_t len)
{
    /* Text commands are lower case; a binary request starts with 0x80. */
    if (pb->store == NULL || len == 0 || data[0] < 'a' || data[0] > 'z' || pb->n == PREFETCH_MAX)
        return;
    struct peek_key keys[PREFETCH_PER_ARRIVAL];
    size_t room = PREFETCH_MAX - pb->n;
    if (room > PREFETCH_PER_ARRIVAL)
        room = PREFETCH_PER_ARRIVAL;
    size_t n = peek_keys(data, len, keys, room);
    for (size_t i = 0; i < n; i++)
        pb->hash[pb->n++] = store_prefetch_bucket(pb->store, keys[i].key, keys[i].nkey);
}

void prefetch_finish(void *batch)
{
    struct prefetch_batch *pb = batch;
    for (unsigned i = 0; i < pb->n; i++)
        store_prefetch_item(pb->store, pb->hash[i]);
    pb->n = 0;
}
