/*
 * itemrec.c: see itemrec.h.
 */
#include "persist/itemrec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "store/store.h"

int64_t itemrec_now_unix(void)
{
    return clock_to_unix(clock_now());
}

int64_t itemrec_exptime_unix(uint32_t t)
{
    return t == 0 ? 0 : clock_to_unix(t);
}

uint32_t itemrec_exptime_clock(int64_t unix_time)
{
    return unix_time == 0 ? 0 : clock_from_unix(unix_time);
}

void itemrec_of(const struct store *s, const struct item *it, int64_t now, struct rec *r)
{
    memset(r, 0, sizeof(*r));
    r->type = REC_SET;
    r->key = item_key(it);
    r->nkey = (uint8_t)item_nkey(it);
    r->value = item_value(it);
    r->vlen = item_vlen(it);
    r->flags = item_flags(it);
    r->exptime = itemrec_exptime_unix(item_exptime(it));
    r->cas = store_item_cas(s, it);
    r->stamp = (uint32_t)now;
    r->bits = (uint8_t)((item_stale(it) ? REC_BIT_STALE : 0) |
                        (item_key_binary(it) ? REC_BIT_KEY_BINARY : 0) |
                        (item_win_sent(it) ? REC_BIT_WIN_SENT : 0) |
                        (item_fetched(it) ? REC_BIT_FETCHED : 0));
}

void itemrec_path(const char *dir, const char *kind, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.%016" PRIx64, dir, kind, seq);
}

int itemrec_parse_name(const char *name, const char *kind, uint64_t *seq)
{
    size_t k = strlen(kind);
    if (strncmp(name, kind, k) != 0 || name[k] != '.' || strlen(name + k + 1) != 16 ||
        strspn(name + k + 1, "0123456789abcdef") != 16)
        return 0;
    *seq = strtoull(name + k + 1, NULL, 16);
    return 1;
}
