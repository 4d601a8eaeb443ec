/*
 * latency.c: see latency.h. The class table and the readers' side
 * (sums, reset, bucket bounds as text); recording is inline in the header.
 */
#include "server/latency.h"

#include <inttypes.h>
#include <stdio.h>

enum latency_class latency_class_of(enum request_cmd cmd)
{
    switch (cmd) {
    case REQ_GET: return LATENCY_GET;
    case REQ_GETS: return LATENCY_GETS;
    case REQ_GAT: return LATENCY_GAT;
    case REQ_GATS: return LATENCY_GATS;
    case REQ_SET: return LATENCY_SET;
    case REQ_ADD: return LATENCY_ADD;
    case REQ_REPLACE: return LATENCY_REPLACE;
    case REQ_APPEND: return LATENCY_APPEND;
    case REQ_PREPEND: return LATENCY_PREPEND;
    case REQ_CAS: return LATENCY_CAS;
    case REQ_DELETE: return LATENCY_DELETE;
    case REQ_INCR: return LATENCY_INCR;
    case REQ_DECR: return LATENCY_DECR;
    case REQ_TOUCH: return LATENCY_TOUCH;
    case REQ_MG: return LATENCY_MG;
    case REQ_MS: return LATENCY_MS;
    case REQ_MD: return LATENCY_MD;
    case REQ_MA: return LATENCY_MA;
    case REQ_MN: return LATENCY_MN;
    /* the connection's own business, not the cache's work */
    case REQ_NONE:
    case REQ_QUIT:
    case REQ_SASL_LIST:
    case REQ_SASL_AUTH:
    case REQ_SASL_STEP:
    case REQ_CMD_COUNT: return LATENCY_NONE;
    default: return LATENCY_OTHER;
    }
}

const char *latency_class_name(enum latency_class cls)
{
    static const char *const names[] = {
#define LATENCY_NAME(id, name) name,
        LATENCY_CLASSES(LATENCY_NAME)
#undef LATENCY_NAME
    };
    return cls < LATENCY_NCLASSES ? names[cls] : "none";
}

void latency_sum_into(struct latency_stats *out, const struct latency_stats *l)
{
    for (int c = 0; c < LATENCY_NCLASSES; c++) {
        for (int b = 0; b < LATENCY_BUCKETS; b++)
            LATENCY_BUMP(out->count[c][b], atomic_load_explicit(&l->count[c][b], memory_order_relaxed));
        LATENCY_BUMP(out->sum_ns[c], atomic_load_explicit(&l->sum_ns[c], memory_order_relaxed));
    }
}

void latency_reset(struct latency_stats *l)
{
    for (int c = 0; c < LATENCY_NCLASSES; c++) {
        for (int b = 0; b < LATENCY_BUCKETS; b++)
            atomic_store_explicit(&l->count[c][b], 0, memory_order_relaxed);
        atomic_store_explicit(&l->sum_ns[c], 0, memory_order_relaxed);
    }
}

const char *latency_le_seconds(unsigned b, char *buf, size_t cap)
{
    uint64_t ns = latency_bound_ns(b);
    if (ns == 0) {
        snprintf(buf, cap, "+Inf");
        return buf;
    }
    /* whole nanoseconds, so nine decimals say it exactly; trailing zeros
     * dropped (0.000000128, 0.001048576, 1.073741824) */
    int n = snprintf(buf, cap, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
    while (n > 2 && (size_t)n < cap && buf[n - 1] == '0' && buf[n - 2] != '.')
        buf[--n] = '\0';
    return buf;
}
