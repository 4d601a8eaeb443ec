/*
 * admin.c: see admin.h. The grammar is memcached 1.6.45's (proto_text.c:
 * process_slabs_command, process_lru_command, process_lru_crawler_command,
 * process_watch_command; crawler.c: lru_crawler_crawl), observed against
 * it one line at a time:
 *
 *   line                              1.6.45 reply
 *   --------------------------------  -------------------------------------------
 *   slabs / slabs foo / slabs automove ERROR
 *   slabs automove 0|1|2 / slabs a 1  OK                (a sub-command may be any prefix)
 *   slabs automove 3                  ERROR
 *   slabs automove x / -1             CLIENT_ERROR bad command line format
 *   slabs automove window 2           CLIENT_ERROR automove window too low or too high
 *   slabs automove ratio / ... x      ERROR             (ratio, freeratio: a double)
 *   slabs reassign 1 / 1 2 3          ERROR             (exactly two arguments)
 *   slabs reassign x 2                CLIENT_ERROR bad command line format
 *   lru tune a b c d                  ERROR
 *   lru tune 50 50 0.1 2              ERROR hot and warm pcts must not exceed 80
 *   lru tune 10 10 0 2                ERROR hot/warm age factors must be greater than 0
 *   lru mode x / lru temp_ttl x       ERROR
 *   lru_crawler crawl 1 2             ERROR             (crawl/metadump/mgdump: one argument)
 *   lru_crawler tocrawl -1 / sleep x  CLIENT_ERROR bad command line format
 *   lru_crawler sleep 1000001         CLIENT_ERROR sleep must be one second or less
 *   lru_crawler foo / foo bar         ERROR
 *   watch foo                         ERROR
 *
 * Numbers are read as memcached's mcmc tokenizer reads them: digits only
 * for an unsigned field, an optional '-' for a signed one, at most 11
 * bytes; doubles through strtod() of at most 31 bytes, the whole token.
 */
#include "proto/admin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/number.h"

#define ADMIN_TOKENS_MAX 24

/* mcmc's MCMC_TOKTO32_MAX: longer numeric tokens are refused. */
#define NUM32_MAX_LEN 11

struct atok {
    const char *s;
    size_t n;
};

static size_t split(const char *arg, size_t narg, struct atok *t, size_t max)
{
    size_t n = 0, i = 0;
    while (arg != NULL && i < narg && n < max) {
        while (i < narg && arg[i] == ' ')
            i++;
        if (i >= narg)
            break;
        size_t start = i;
        while (i < narg && arg[i] != ' ')
            i++;
        t[n].s = arg + start;
        t[n].n = i - start;
        n++;
    }
    return n;
}

/* memcached's strncmp(token, word, token_len) == 0: the token is a prefix. */
static bool prefix_of(const struct atok *t, const char *word)
{
    return t->n <= strlen(word) && memcmp(t->s, word, t->n) == 0;
}

static bool tok_u32(const struct atok *t, uint32_t *out)
{
    uint32_t sum = 0;
    if (t->n > NUM32_MAX_LEN)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c < '0' || c > '9')
            return false;
        uint32_t d = c - '0';
        if (sum > (UINT32_MAX - d) / 10)
            return false;
        sum = sum * 10 + d;
    }
    *out = sum;
    return true;
}

static bool tok_i32(const struct atok *t, int32_t *out)
{
    int64_t sum = 0;
    size_t i = 0;
    bool neg = false;
    if (t->n > NUM32_MAX_LEN)
        return false;
    if (t->n > 0 && t->s[0] == '-') {
        neg = true;
        i = 1;
    }
    for (; i < t->n; i++) {
        unsigned char c = (unsigned char)t->s[i];
        if (c < '0' || c > '9')
            return false;
        sum = sum * 10 + (c - '0');
        if (sum > (int64_t)INT32_MAX + (neg ? 1 : 0))
            return false;
    }
    *out = (int32_t)(neg ? -sum : sum);
    return true;
}

static bool tok_double(const struct atok *t, double *out)
{
    char buf[32];
    char *end;
    if (t->n > sizeof(buf) - 1)
        return false;
    memcpy(buf, t->s, t->n);
    buf[t->n] = '\0';
    errno = 0;
    double d = strtod(buf, &end);
    if (errno == ERANGE || end == buf || *end != '\0')
        return false;
    *out = d;
    return true;
}

static void invalid(struct admin_req *out, const char *reply)
{
    out->op = ADMIN_INVALID;
    out->reply = reply;
}

#define BAD_FORMAT "CLIENT_ERROR bad command line format"

/* slabs automove <0|1|2> | ratio <d> | freeratio <d> | window <3..1800> */
static void parse_automove(const struct atok *t, size_t nt, struct admin_req *out)
{
    const struct atok *sub = &t[2];
    if (prefix_of(sub, "ratio") || prefix_of(sub, "freeratio")) {
        bool ratio = prefix_of(sub, "ratio");
        if (nt < 4 || !tok_double(&t[3], &out->d[0]))
            return invalid(out, "ERROR");
        out->op = ratio ? ADMIN_SLABS_AUTOMOVE_RATIO : ADMIN_SLABS_AUTOMOVE_FREERATIO;
    } else if (prefix_of(sub, "window")) {
        if (nt < 4 || !tok_u32(&t[3], &out->u[0]))
            return invalid(out, BAD_FORMAT);
        if (out->u[0] < 3 || out->u[0] > 1800)
            return invalid(out, "CLIENT_ERROR automove window too low or too high");
        out->op = ADMIN_SLABS_AUTOMOVE_WINDOW;
    } else {
        if (!tok_u32(sub, &out->u[0]))
            return invalid(out, BAD_FORMAT);
        if (out->u[0] > 2)
            return invalid(out, "ERROR");
        out->op = ADMIN_SLABS_AUTOMOVE;
    }
}

static void parse_slabs(const struct atok *t, size_t nt, struct admin_req *out)
{
    if (nt == 4 && prefix_of(&t[1], "reassign")) {
        if (!tok_i32(&t[2], &out->i[0]) || !tok_i32(&t[3], &out->i[1]))
            return invalid(out, BAD_FORMAT);
        out->op = ADMIN_SLABS_REASSIGN;
    } else if (nt >= 3 && prefix_of(&t[1], "automove")) {
        parse_automove(t, nt, out);
    }
}

static void parse_lru(const struct atok *t, size_t nt, struct admin_req *out)
{
    if (nt < 2)
        return;
    if (prefix_of(&t[1], "tune") && nt >= 6) {
        if (!tok_u32(&t[2], &out->u[0]) || !tok_u32(&t[3], &out->u[1]) ||
            !tok_double(&t[4], &out->d[0]) || !tok_double(&t[5], &out->d[1]))
            return invalid(out, "ERROR");
        /* memcached adds the two as uint32_t: the sum may wrap */
        if ((uint32_t)(out->u[0] + out->u[1]) > 80)
            return invalid(out, "ERROR hot and warm pcts must not exceed 80");
        if (out->d[1] <= 0 || out->d[0] <= 0)
            return invalid(out, "ERROR hot/warm age factors must be greater than 0");
        out->op = ADMIN_LRU_TUNE;
    } else if (prefix_of(&t[1], "mode") && nt >= 3) {
        if (prefix_of(&t[2], "flat"))
            out->flag = false;
        else if (prefix_of(&t[2], "segmented"))
            out->flag = true;
        else
            return;
        out->op = ADMIN_LRU_MODE;
    } else if (prefix_of(&t[1], "temp_ttl") && nt >= 3) {
        if (!tok_i32(&t[2], &out->i[0]))
            return;
        out->op = ADMIN_LRU_TEMP_TTL;
    }
}

/* "all", "hash", or class ids 1..63 separated by ',' (empty pieces are
 * skipped, as strtok_r does). Read as safe_strtoul reads them. */
static void parse_classes(const struct atok *t, struct admin_req *out)
{
    if (t->n == 3 && memcmp(t->s, "all", 3) == 0) {
        out->classes = ADMIN_CLASSES_ALL;
        return;
    }
    if (t->n == 4 && memcmp(t->s, "hash", 4) == 0) {
        out->classes = ADMIN_CLASSES_HASH;
        return;
    }
    out->classes = ADMIN_CLASSES_LIST;
    out->class_mask = 0;
    size_t i = 0;
    while (i < t->n) {
        size_t start = i;
        while (i < t->n && t->s[i] != ',')
            i++;
        if (i > start) {
            uint64_t id;
            if (!number_u64(t->s + start, i - start, &id) || id < 1 || id >= ADMIN_CLASS_LIMIT) {
                out->classes = ADMIN_CLASSES_BAD;
                return;
            }
            out->class_mask |= 1ull << id;
        }
        i++;
    }
}

static void parse_crawler(const struct atok *t, size_t nt, struct admin_req *out)
{
    if (nt == 3) {
        if (prefix_of(&t[1], "crawl") || prefix_of(&t[1], "metadump") ||
            prefix_of(&t[1], "mgdump")) {
            out->op = prefix_of(&t[1], "crawl")      ? ADMIN_CRAWLER_CRAWL
                      : prefix_of(&t[1], "metadump") ? ADMIN_CRAWLER_METADUMP
                                                     : ADMIN_CRAWLER_MGDUMP;
            parse_classes(&t[2], out);
        } else if (prefix_of(&t[1], "tocrawl")) {
            if (!tok_u32(&t[2], &out->u[0]))
                return invalid(out, BAD_FORMAT);
            out->op = ADMIN_CRAWLER_TOCRAWL;
        } else if (prefix_of(&t[1], "sleep")) {
            if (!tok_u32(&t[2], &out->u[0]))
                return invalid(out, BAD_FORMAT);
            if (out->u[0] > 1000000)
                return invalid(out, "CLIENT_ERROR sleep must be one second or less");
            out->op = ADMIN_CRAWLER_SLEEP;
        }
    } else if (nt == 2) {
        if (prefix_of(&t[1], "enable"))
            out->op = ADMIN_CRAWLER_ENABLE;
        else if (prefix_of(&t[1], "disable"))
            out->op = ADMIN_CRAWLER_DISABLE;
    }
}

static void parse_watch(const struct atok *t, size_t nt, struct admin_req *out)
{
    static const struct {
        const char *word;
        unsigned bit;
    } kinds[] = {
        {"rawcmds", ADMIN_WATCH_OTHER},         {"evictions", ADMIN_WATCH_EVICTIONS},
        {"fetchers", ADMIN_WATCH_FETCHERS},     {"mutations", ADMIN_WATCH_MUTATIONS},
        {"sysevents", ADMIN_WATCH_OTHER},       {"connevents", ADMIN_WATCH_CONNEVENTS},
        {"proxyreqs", ADMIN_WATCH_OTHER},       {"proxyevents", ADMIN_WATCH_OTHER},
        {"proxyuser", ADMIN_WATCH_OTHER},       {"deletions", ADMIN_WATCH_DELETIONS},
    };
    out->mask = nt > 1 ? 0 : ADMIN_WATCH_FETCHERS;
    for (size_t i = 1; i < nt; i++) {
        size_t k = 0;
        while (k < sizeof(kinds) / sizeof(kinds[0]) && !prefix_of(&t[i], kinds[k].word))
            k++;
        if (k == sizeof(kinds) / sizeof(kinds[0]))
            return;
        out->mask |= kinds[k].bit;
    }
    out->op = ADMIN_WATCH;
}

void admin_parse(enum request_cmd cmd, const char *arg, size_t narg, struct admin_req *out)
{
    struct atok t[ADMIN_TOKENS_MAX + 1];

    memset(out, 0, sizeof(*out));
    invalid(out, "ERROR");
    /* t[0] stands for the command word, so indexes match memcached's */
    size_t nt = 1 + split(arg, narg, t + 1, ADMIN_TOKENS_MAX);
    switch (cmd) {
    case REQ_SLABS:
        parse_slabs(t, nt, out);
        break;
    case REQ_LRU:
        parse_lru(t, nt, out);
        break;
    case REQ_LRU_CRAWLER:
        parse_crawler(t, nt, out);
        break;
    case REQ_WATCH:
        parse_watch(t, nt, out);
        break;
    default:
        break;
    }
}
