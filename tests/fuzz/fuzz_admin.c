/*
 * fuzz_admin.c: libFuzzer target for the arguments of memcached's operator
 * commands (proto/admin.c): slabs, lru, lru_crawler and watch, which any
 * client may send.
 *
 * The input's first byte picks the command, the rest is its argument text
 * (as struct request's arg: the line after the command word, not
 * NUL-terminated; an exact-size copy, so a read past it is caught). Checks:
 *  - the result is one of the operations of that command, or ADMIN_INVALID
 *    with one of the reply lines memcached 1.6.45 gives (admin.c's table),
 *    never an empty or multi-line one;
 *  - the values of a valid operation are in the ranges admin.h documents:
 *    automove 0..2, window 3..1800, crawler sleep at most a second, tune
 *    percentages adding up to at most 80 (as uint32_t, memcached's sum)
 *    with factors above 0 unless NaN (memcached's check lets NaN by too),
 *    a class list only of classes 1..63, a watch mask of known kinds and
 *    not empty;
 *  - parsing is a function of the bytes: twice, the same result.
 *
 * Also compiled into tests/unit/proto/test_admin.c (FUZZ_CHECK mapped to
 * cmocka), so every seed in seeds/admin/ is a unit test.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto/admin.h"

#include "fuzz_check.h"

static const enum request_cmd admin_cmds[] = {REQ_SLABS, REQ_LRU, REQ_LRU_CRAWLER, REQ_WATCH};

/* The replies admin.c gives for a line it refuses. */
static bool known_reply(const char *r)
{
    static const char *const replies[] = {
        "ERROR",
        "CLIENT_ERROR bad command line format",
        "CLIENT_ERROR automove window too low or too high",
        "ERROR hot and warm pcts must not exceed 80",
        "ERROR hot/warm age factors must be greater than 0",
        "CLIENT_ERROR sleep must be one second or less",
    };
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        if (r != NULL && strcmp(r, replies[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Which command an operation belongs to. */
static enum request_cmd owner(enum admin_op op)
{
    switch (op) {
    case ADMIN_SLABS_AUTOMOVE:
    case ADMIN_SLABS_AUTOMOVE_RATIO:
    case ADMIN_SLABS_AUTOMOVE_FREERATIO:
    case ADMIN_SLABS_AUTOMOVE_WINDOW:
    case ADMIN_SLABS_REASSIGN:
        return REQ_SLABS;
    case ADMIN_LRU_TUNE:
    case ADMIN_LRU_MODE:
    case ADMIN_LRU_TEMP_TTL:
        return REQ_LRU;
    case ADMIN_CRAWLER_CRAWL:
    case ADMIN_CRAWLER_METADUMP:
    case ADMIN_CRAWLER_MGDUMP:
    case ADMIN_CRAWLER_TOCRAWL:
    case ADMIN_CRAWLER_SLEEP:
    case ADMIN_CRAWLER_ENABLE:
    case ADMIN_CRAWLER_DISABLE:
        return REQ_LRU_CRAWLER;
    case ADMIN_WATCH:
        return REQ_WATCH;
    default:
        return REQ_NONE;
    }
}

#define CLASS_IDS (((UINT64_C(1) << (ADMIN_CLASS_LIMIT - 1)) - 1) << 1) /* bits 1..63 */
#define WATCH_KINDS                                                                                \
    (ADMIN_WATCH_FETCHERS | ADMIN_WATCH_MUTATIONS | ADMIN_WATCH_EVICTIONS |                        \
     ADMIN_WATCH_CONNEVENTS | ADMIN_WATCH_DELETIONS | ADMIN_WATCH_OTHER)

static void check_ranges(const struct admin_req *r)
{
    switch (r->op) {
    case ADMIN_SLABS_AUTOMOVE:
        FUZZ_CHECK(r->u[0] <= 2);
        break;
    case ADMIN_SLABS_AUTOMOVE_WINDOW:
        FUZZ_CHECK(r->u[0] >= 3 && r->u[0] <= 1800);
        break;
    case ADMIN_CRAWLER_SLEEP:
        FUZZ_CHECK(r->u[0] <= 1000000);
        break;
    case ADMIN_LRU_TUNE:
        FUZZ_CHECK((uint32_t)(r->u[0] + r->u[1]) <= 80);
        FUZZ_CHECK(isnan(r->d[0]) || r->d[0] > 0);
        FUZZ_CHECK(isnan(r->d[1]) || r->d[1] > 0);
        break;
    case ADMIN_CRAWLER_CRAWL:
    case ADMIN_CRAWLER_METADUMP:
    case ADMIN_CRAWLER_MGDUMP:
        FUZZ_CHECK(r->classes <= ADMIN_CLASSES_BAD);
        if (r->classes == ADMIN_CLASSES_LIST) {
            FUZZ_CHECK((r->class_mask & ~CLASS_IDS) == 0);
        }
        break;
    case ADMIN_WATCH:
        FUZZ_CHECK(r->mask != 0 && (r->mask & ~(unsigned)WATCH_KINDS) == 0);
        break;
    default:
        break;
    }
}

/* Two results of the same bytes are the same (doubles compared as bytes:
 * a NaN is still the same NaN). */
static bool same(const struct admin_req *a, const struct admin_req *b)
{
    return a->op == b->op && (a->op != ADMIN_INVALID || strcmp(a->reply, b->reply) == 0) &&
           memcmp(a->u, b->u, sizeof(a->u)) == 0 && memcmp(a->i, b->i, sizeof(a->i)) == 0 &&
           memcmp(a->d, b->d, sizeof(a->d)) == 0 && a->flag == b->flag &&
           a->classes == b->classes && a->class_mask == b->class_mask && a->mask == b->mask;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    enum request_cmd cmd = admin_cmds[data[0] % (sizeof(admin_cmds) / sizeof(admin_cmds[0]))];
    size_t narg = size - 1;
    char *arg = malloc(narg > 0 ? narg : 1); /* exact size: ASan sees a read past it */
    FUZZ_CHECK(arg != NULL);
    memcpy(arg, data + 1, narg);

    struct admin_req r, again;
    admin_parse(cmd, arg, narg, &r);
    if (r.op == ADMIN_INVALID) {
        FUZZ_CHECK(known_reply(r.reply));
    } else {
        FUZZ_CHECK(owner(r.op) == cmd);
        check_ranges(&r);
    }
    admin_parse(cmd, arg, narg, &again);
    FUZZ_CHECK(same(&r, &again));
    free(arg);
    return 0;
}
