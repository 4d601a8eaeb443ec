/*
 * auth.c: see auth.h.  The table is an array of entries scanned whole on
 * every check, each compared in time that does not depend on where the
 * bytes differ: a check reveals neither how much of a password was right
 * nor (beyond the count of entries) which user exists.  Files are small
 * (memcached allows eight entries; here any number), checks rare.
 */
#include "server/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *user, *pass;
    size_t nuser, npass;
};

struct table {
    struct entry *v;
    size_t n;
};

struct auth {
    char *path;
    pthread_rwlock_t lock;
    struct table t;
};

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].user); /* pass shares its allocation */
    }
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* One "user:password" line (without its newline) into the table. */
static int add_line(struct table *t, size_t *cap, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL || colon == line || len - 1 > AUTH_TOKEN_MAX)
        return -1;
    if (t->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct entry *nv = realloc(t->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return -2;
        t->v = nv;
        *cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -2;
    memcpy(copy, line, len);
    copy[len] = '\0';
    size_t nuser = (size_t)(colon - line);
    copy[nuser] = '\0';
    t->v[t->n++] = (struct entry){copy, copy + nuser + 1, nuser, len - nuser - 1};
    return 0;
}

static int table_read(const char *path, struct table *t, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "could not open the auth file %s for reading: %s", path,
                 strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t linecap = 0, cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue; /* blank lines separate nothing: skipped */
        int r = add_line(t, &cap, line, len);
        if (r == -2) {
            snprintf(err, errlen, "auth file %s: out of memory", path);
            rc = -1;
            break;
        }
        if (r != 0) {
            snprintf(err, errlen,
                     "auth file %s, line %zu: want \"user:password\" (a user before the first "
                     "':', at most %d bytes in all)",
                     path, lineno, AUTH_TOKEN_MAX);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "could not read the auth file %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    if (rc != 0)
        table_free(t);
    return rc;
}

int auth_open(const char *path, struct auth **out, char *err, size_t errlen)
{
    struct auth *a = calloc(1, sizeof(*a));
    if (a == NULL || (a->path = strdup(path)) == NULL) {
        free(a);
        snprintf(err, errlen, "auth file %s: out of memory", path);
        return -1;
    }
    if (table_read(path, &a->t, err, errlen) != 0) {
        free(a->path);
        free(a);
        return -1;
    }
    pthread_rwlock_init(&a->lock, NULL);
    *out = a;
    return 0;
}

void auth_close(struct auth *a)
{
    if (a == NULL)
        return;
    table_free(&a->t);
    pthread_rwlock_destroy(&a->lock);
    free(a->path);
    free(a);
}

int auth_reload(struct auth *a, char *err, size_t errlen)
{
    struct table fresh = {0};
    if (table_read(a->path, &fresh, err, errlen) != 0)
        return -1;
    pthread_rwlock_wrlock(&a->lock);
    struct table old = a->t;
    a->t = fresh;
    pthread_rwlock_unlock(&a->lock);
    table_free(&old);
    return 0;
}

size_t auth_entries(struct auth *a)
{
    pthread_rwlock_rdlock(&a->lock);
    size_t n = a->t.n;
    pthread_rwlock_unlock(&a->lock);
    return n;
}

int auth_first_token(struct auth *a, char *out)
{
    int rc = -1;
    pthread_rwlock_rdlock(&a->lock);
    if (a->t.n > 0) {
        const struct entry *e = &a->t.v[0];
        /* add_line kept user + ':' + pass within AUTH_TOKEN_MAX */
        memcpy(out, e->user, e->nuser);
        out[e->nuser] = ' ';
        memcpy(out + e->nuser + 1, e->pass, e->npass);
        out[e->nuser + 1 + e->npass] = '\0';
        rc = 0;
    }
    pthread_rwlock_unlock(&a->lock);
    return rc;
}

/* Equal bytes, in a time that depends on the lengths only. */
static bool same(const char *a, size_t na, const char *b, size_t nb)
{
    unsigned char diff = na != nb;
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

enum auth_result auth_check(struct auth *a, const char *token, size_t len)
{
    const char *space = memchr(token, ' ', len);
    if (space == NULL || space == token || len > AUTH_TOKEN_MAX)
        return AUTH_BAD_FORMAT;
    size_t nuser = (size_t)(space - token);
    const char *pass = space + 1;
    size_t npass = len - nuser - 1;
    bool found = false;
    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < a->t.n; i++) {
        const struct entry *e = &a->t.v[i];
        /* no early exit: every entry costs the same whether it matches */
        found |= same(e->user, e->nuser, token, nuser) & same(e->pass, e->npass, pass, npass);
    }
    pthread_rwlock_unlock(&a->lock);
    return found ? AUTH_OK : AUTH_FAILED;
}
