/*
 * admin.h: the arguments of memcached's operator commands — "slabs",
 * "lru", "lru_crawler" and "watch" — parsed from the text after the command
 * word (struct request's arg) into a struct admin_req.
 *
 * Pure: no I/O, no state. Syntax errors that memcached 1.6.45 reports
 * whatever the server's state come back as ADMIN_INVALID with the exact
 * reply line; errors that depend on state (a disabled crawler, a bad class
 * list checked after it) are left to server/admin.c.
 */
#ifndef MNEMO_PROTO_ADMIN_H
#define MNEMO_PROTO_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/request.h"

enum admin_op {
    ADMIN_INVALID = 0,             /* reply with admin_req.reply */
    ADMIN_SLABS_AUTOMOVE,          /* u[0]: 0, 1 or 2 */
    ADMIN_SLABS_AUTOMOVE_RATIO,    /* d[0] */
    ADMIN_SLABS_AUTOMOVE_FREERATIO, /* d[0] */
    ADMIN_SLABS_AUTOMOVE_WINDOW,   /* u[0]: 3..1800 */
    ADMIN_SLABS_REASSIGN,          /* i[0] src, i[1] dst */
    ADMIN_LRU_TUNE,                /* u[0] hot pct, u[1] warm pct, d[0] hot factor, d[1] warm factor */
    ADMIN_LRU_MODE,                /* flag: segmented (true) or flat */
    ADMIN_LRU_TEMP_TTL,            /* i[0]; negative turns the temporary LRU off */
    ADMIN_CRAWLER_CRAWL,           /* classes (see below) */
    ADMIN_CRAWLER_METADUMP,
    ADMIN_CRAWLER_MGDUMP,
    ADMIN_CRAWLER_TOCRAWL,         /* u[0] */
    ADMIN_CRAWLER_SLEEP,           /* u[0]: microseconds, at most 1000000 */
    ADMIN_CRAWLER_ENABLE,
    ADMIN_CRAWLER_DISABLE,
    ADMIN_WATCH                    /* mask: ADMIN_WATCH_* bits */
};

/* What a crawl or dump was asked to cover. */
enum admin_classes {
    ADMIN_CLASSES_ALL = 0, /* "all" */
    ADMIN_CLASSES_HASH,    /* "hash": walk the hash table instead of the LRUs */
    ADMIN_CLASSES_LIST,    /* comma-separated class ids, each 1..63 */
    ADMIN_CLASSES_BAD      /* a list memcached refuses: "BADCLASS invalid class id" */
};

/* memcached's largest slab class id + 1 (MAX_NUMBER_OF_SLAB_CLASSES). */
#define ADMIN_CLASS_LIMIT 64

/* watch event kinds (memcached's LOG_* names). */
#define ADMIN_WATCH_FETCHERS 0x01u
#define ADMIN_WATCH_MUTATIONS 0x02u
#define ADMIN_WATCH_EVICTIONS 0x04u
#define ADMIN_WATCH_CONNEVENTS 0x08u
#define ADMIN_WATCH_DELETIONS 0x10u
#define ADMIN_WATCH_OTHER 0x20u /* rawcmds, sysevents, proxy*: accepted, never produced here */

struct admin_req {
    enum admin_op op;
    const char *reply; /* ADMIN_INVALID: the reply line, without "\r\n" */
    uint32_t u[2];
    int32_t i[2];
    double d[2];
    bool flag;
    enum admin_classes classes;
    uint64_t class_mask; /* ADMIN_CLASSES_LIST: bit n for class n */
    unsigned mask;
};

/*
 * Parse the arguments of cmd (REQ_SLABS, REQ_LRU, REQ_LRU_CRAWLER or
 * REQ_WATCH); arg/narg is the rest of the command line (may be empty).
 * Sub-commands match as memcached's strncmp(token, word, len) does: any
 * prefix of the word ("lru t 10 10 0.1 2" is tune). Always fills out.
 */
void admin_parse(enum request_cmd cmd, const char *arg, size_t narg, struct admin_req *out);

#endif
