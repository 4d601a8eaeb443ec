/*
 * sasl.c: see sasl.h.  A thin layer over libsasl2: the exchange itself,
 * its mechanisms and its configuration are the library's.
 */
#include "server/sasl.h"

#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"

struct saslsrv_conn {
    sasl_conn_t *conn;
    int started;
};

/* MEMCACHED_SASL_PWDB's table, or NULL: the library's own configuration. */
static struct auth *pwdb;

/* The library asks whether user/pass are right: the file's table says.
 * The user may come with "@realm" (the server's): the table has none. */
static int check_pass(sasl_conn_t *conn, void *context, const char *user, const char *pass,
                      unsigned passlen, struct propctx *propctx)
{
    (void)conn;
    (void)context;
    (void)propctx;
    char token[AUTH_TOKEN_MAX + 1];
    size_t nuser = strcspn(user, "@");
    if (nuser + 1 + passlen > AUTH_TOKEN_MAX)
        return SASL_BADAUTH;
    memcpy(token, user, nuser);
    token[nuser] = ' ';
    memcpy(token + nuser + 1, pass, passlen);
    enum auth_result r = auth_check(pwdb, token, nuser + 1 + passlen);
    explicit_bzero(token, sizeof(token));
    return r == AUTH_OK ? SASL_OK : SASL_BADAUTH;
}

/* With a password file, only PLAIN: the others need secrets it lacks. */
static int get_option(void *context, const char *plugin, const char *option, const char **result,
                      unsigned *len)
{
    (void)context;
    (void)plugin;
    if (strcmp(option, "mech_list") != 0)
        return SASL_FAIL;
    *result = "PLAIN";
    if (len != NULL)
        *len = 5;
    return SASL_OK;
}

typedef int (*sasl_fn)(void);

static sasl_callback_t pwdb_callbacks[] = {
    {SASL_CB_GETOPT, (sasl_fn)(void (*)(void))get_option, NULL},
    {SASL_CB_SERVER_USERDB_CHECKPASS, (sasl_fn)(void (*)(void))check_pass, NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

int saslsrv_init(char *err, size_t errlen)
{
    const char *file = getenv("MEMCACHED_SASL_PWDB");
    if (file != NULL && auth_open(file, &pwdb, err, errlen) != 0)
        return -1;
    int rc = sasl_server_init(pwdb != NULL ? pwdb_callbacks : NULL, "memcached");
    if (rc != SASL_OK) {
        snprintf(err, errlen, "-S: cannot start SASL: %s", sasl_errstring(rc, NULL, NULL));
        auth_close(pwdb);
        pwdb = NULL;
        return -1;
    }
    return 0;
}

void saslsrv_done(void)
{
    sasl_server_done();
    auth_close(pwdb);
    pwdb = NULL;
}

int saslsrv_mechs(char *out, size_t cap)
{
    sasl_conn_t *conn = NULL;
    const char *list = NULL;
    unsigned len = 0;
    int n = -1;
    /* the list is a connection's: a throwaway one asks for it */
    if (sasl_server_new("memcached", NULL, NULL, NULL, NULL, NULL, 0, &conn) == SASL_OK &&
        sasl_listmech(conn, NULL, "", " ", "", &list, &len, NULL) == SASL_OK && len < cap) {
        memcpy(out, list, len);
        out[len] = '\0';
        n = (int)len;
    }
    sasl_dispose(&conn);
    return n;
}

enum saslsrv_result saslsrv_step(struct saslsrv_conn **cp, int start, const char *mech,
                                 size_t nmech, const char *data, size_t ndata,
                                 const char **out, unsigned *outlen)
{
    struct saslsrv_conn *c = *cp;
    *out = NULL;
    *outlen = 0;
    if (start) {
        char name[64];
        if (nmech == 0 || nmech >= sizeof(name))
            return SASLSRV_FAILED;
        memcpy(name, mech, nmech);
        name[nmech] = '\0';
        /* every start is a new exchange (a client may try again) */
        saslsrv_free(cp);
        c = *cp = calloc(1, sizeof(*c));
        if (c == NULL ||
            sasl_server_new("memcached", NULL, NULL, NULL, NULL, NULL, 0, &c->conn) != SASL_OK)
            return SASLSRV_FAILED;
        c->started = 1;
        int rc = sasl_server_start(c->conn, name, data, (unsigned)ndata, out, outlen);
        return rc == SASL_OK ? SASLSRV_OK : rc == SASL_CONTINUE ? SASLSRV_CONTINUE : SASLSRV_FAILED;
    }
    if (c == NULL || !c->started)
        return SASLSRV_FAILED; /* a step with no exchange begun */
    int rc = sasl_server_step(c->conn, data, (unsigned)ndata, out, outlen);
    return rc == SASL_OK ? SASLSRV_OK : rc == SASL_CONTINUE ? SASLSRV_CONTINUE : SASLSRV_FAILED;
}

void saslsrv_free(struct saslsrv_conn **cp)
{
    if (*cp == NULL)
        return;
    sasl_dispose(&(*cp)->conn);
    free(*cp);
    *cp = NULL;
}
