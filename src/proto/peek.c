/*
 * peek.c: see peek.h. Knows where each command keeps its key(s) and, for
 * storage commands, its data length; nothing else of the grammar.
 */
#include "proto/peek.h"
#include "proto/token.h"

#include <stdbool.h>
#include <string.h>

#define PEEK_TOKENS 8       /* enough for every position read below */
#define PEEK_KEY_MAX 250u   /* memcached's key limit: longer is no key */
#define PEEK_DATA_MAX (1u << 30)

struct line {
    const char *tok[PEEK_TOKENS];
    size_t ntok[PEEK_TOKENS];
    size_t n; /* tokens seen, up to PEEK_TOKENS */
};

static void split(const char *p, const char *end, struct line *l)
{
    l->n = 0;
    while (p < end && l->n < PEEK_TOKENS) {
        while (p < end && *p == ' ')
            p++;
        const char *t = p;
        p = token_end(p, end);
        if (p > t) {
            l->tok[l->n] = t;
            l->ntok[l->n] = (size_t)(p - t);
            l->n++;
        }
    }
}

static bool is(const struct line *l, size_t i, const char *word)
{
    size_t n = strlen(word);
    return i < l->n && l->ntok[i] == n && memcmp(l->tok[i], word, n) == 0;
}

/* A decimal token, or false. */
static bool number(const struct line *l, size_t i, size_t *out)
{
    if (i >= l->n || l->ntok[i] > 10)
        return false;
    size_t v = 0;
    for (size_t k = 0; k < l->ntok[i]; k++) {
        char c = l->tok[i][k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (size_t)(c - '0');
    }
    *out = v;
    return true;
}

enum shape {
    SHAPE_STOP,    /* not a key command */
    SHAPE_NONE,    /* a command without a key (mn) */
    SHAPE_ONE,     /* key at token 1 */
    SHAPE_MANY,    /* keys from token `first` on */
    SHAPE_STORE,   /* key at 1, data length at token `len_at` */
};

struct form {
    enum shape shape;
    size_t first;  /* SHAPE_MANY */
    size_t len_at; /* SHAPE_STORE */
};

static struct form form_of(const struct line *l)
{
    static const char *const store[] = {"set", "add", "replace", "append", "prepend", "cas"};
    static const char *const one[] = {"mg", "md", "ma", "delete", "incr", "decr", "touch"};
    if (is(l, 0, "get") || is(l, 0, "gets"))
        return (struct form){SHAPE_MANY, 1, 0};
    if (is(l, 0, "gat") || is(l, 0, "gats"))
        return (struct form){SHAPE_MANY, 2, 0};
    if (is(l, 0, "ms"))
        return (struct form){SHAPE_STORE, 0, 2};
    if (is(l, 0, "mn"))
        return (struct form){SHAPE_NONE, 0, 0};
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
        if (is(l, 0, one[i]))
            return (struct form){SHAPE_ONE, 0, 0};
    for (size_t i = 0; i < sizeof(store) / sizeof(store[0]); i++)
        if (is(l, 0, store[i]))
            return (struct form){SHAPE_STORE, 0, 4};
    return (struct form){SHAPE_STOP, 0, 0};
}

static size_t add_key(const struct line *l, size_t i, struct peek_key *out, size_t n)
{
    if (i < l->n && l->ntok[i] <= PEEK_KEY_MAX) {
        out[n].key = l->tok[i];
        out[n].nkey = l->ntok[i];
        n++;
    }
    return n;
}

size_t peek_keys(const char *buf, size_t len, struct peek_key *out, size_t max)
{
    size_t n = 0;
    size_t pos = 0;
    while (n < max && pos < len) {
        const char *start = buf + pos;
        const char *nl = memchr(start, '\n', len - pos);
        if (nl == NULL)
            break;
        const char *end = nl > start && nl[-1] == '\r' ? nl - 1 : nl;
        struct line l = {.n = 0}; /* zeroed: gcc cannot see that split() fills what is read */
        split(start, end, &l);
        pos = (size_t)(nl - buf) + 1;
        struct form f = form_of(&l);
        switch (f.shape) {
        case SHAPE_STOP:
            return n;
        case SHAPE_NONE:
            break;
        case SHAPE_ONE:
            n = add_key(&l, 1, out, n);
            break;
        case SHAPE_MANY:
            /* a long multi-get past PEEK_TOKENS: its first keys only */
            for (size_t i = f.first; i < l.n && n < max; i++)
                n = add_key(&l, i, out, n);
            break;
        case SHAPE_STORE: {
            size_t data;
            if (!number(&l, f.len_at, &data) || data > PEEK_DATA_MAX)
                return n;
            n = add_key(&l, 1, out, n);
            if (data + 2 > len - pos)
                return n; /* the block is still arriving; its key was complete */
            pos += data + 2;
            break;
        }
        }
    }
    return n;
}
