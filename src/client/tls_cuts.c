/*
 * tls_cuts.c: see tls_cuts.h.
 */
#include "client/tls_cuts.h"

#include <stdlib.h>

static uint64_t at(const struct tls_cuts *c, size_t i)
{
    return c->pos[(c->head + i) % c->cap];
}

static int grow(struct tls_cuts *c)
{
    size_t cap = c->cap ? c->cap * 2 : 64;
    uint64_t *p = malloc(cap * sizeof(*p));

    if (p == NULL)
        return -1;
    for (size_t i = 0; i < c->len; i++)
        p[i] = at(c, i);
    free(c->pos);
    c->pos = p;
    c->head = 0;
    c->cap = cap;
    return 0;
}

int tls_cuts_mark(struct tls_cuts *c, size_t queued)
{
    uint64_t end = c->sent + queued;

    if (c->len > 0 && at(c, c->len - 1) >= end)
        return 0; /* nothing was added since the last mark */
    if (c->len == c->cap && grow(c) != 0)
        return -1;
    c->pos[(c->head + c->len) % c->cap] = end;
    c->len++;
    return 0;
}

int tls_cuts_prepend(struct tls_cuts *c, size_t n)
{
    if (n == 0)
        return 0;
    if (c->len == c->cap && grow(c) != 0)
        return -1;
    for (size_t i = 0; i < c->len; i++)
        c->pos[(c->head + i) % c->cap] += n;
    c->head = (c->head + c->cap - 1) % c->cap;
    c->pos[c->head] = c->sent + n;
    c->len++;
    return 0;
}

size_t tls_cuts_next(const struct tls_cuts *c, size_t queued, size_t max)
{
    uint64_t end = c->sent + queued, take = 0;

    for (size_t i = 0; i < c->len; i++) {
        uint64_t p = at(c, i);
        if (p > c->sent + max && take != 0)
            break;
        take = p; /* the first one even when it is longer than max */
        if (p > c->sent + max)
            break;
    }
    /* bytes past the last mark (none in libmnemo's use) go out as they are */
    if (take == 0 || take > end)
        take = end;
    return (size_t)(take - c->sent);
}

void tls_cuts_sent(struct tls_cuts *c, size_t n)
{
    c->sent += n;
    while (c->len > 0 && at(c, 0) <= c->sent) {
        c->head = (c->head + 1) % c->cap;
        c->len--;
    }
}

void tls_cuts_reset(struct tls_cuts *c)
{
    c->head = c->len = 0;
    c->sent = 0;
}

void tls_cuts_free(struct tls_cuts *c)
{
    free(c->pos);
    c->pos = NULL;
    c->head = c->len = c->cap = 0;
    c->sent = 0;
}
