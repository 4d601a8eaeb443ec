/*
 * sasl.h: SASL authentication for the binary protocol (-S), through
 * Cyrus SASL (libsasl2), as memcached does: the service is "memcached",
 * so an existing SASL_CONF_PATH / sasldb set up for memcached serves
 * mnemod unchanged.  With MEMCACHED_SASL_PWDB=FILE in the environment
 * (memcached's name for its own password file) the users come from that
 * file instead, "user:password" lines as -Y reads them, and the mechanism
 * is PLAIN.
 *
 * The names are saslsrv_*: libsasl2 owns sasl_*.
 */
#ifndef MNEMO_SERVER_SASL_H
#define MNEMO_SERVER_SASL_H

#include <stddef.h>

/* Once, before any connection: 0, or -1 with one line in err. */
int saslsrv_init(char *err, size_t errlen);
/* At the end, after every connection is gone. */
void saslsrv_done(void);

/* The mechanisms offered, space separated ("PLAIN"), into out (cap
 * bytes, NUL-terminated).  Its length, or -1. */
int saslsrv_mechs(char *out, size_t cap);

/* One connection's exchange; NULL until its first SASL_AUTH. */
struct saslsrv_conn;

enum saslsrv_result {
    SASLSRV_OK,       /* authenticated */
    SASLSRV_CONTINUE, /* a challenge (*out) goes back; a SASL_STEP follows */
    SASLSRV_FAILED,   /* wrong credentials, unknown mechanism, or no exchange to step */
};

/* SASL_AUTH (start: mech names the mechanism) or SASL_STEP (start false)
 * with the client's data.  *out and *outlen: the server's data to send back
 * (valid until the next call on *c).  *c is created on the first start. */
enum saslsrv_result saslsrv_step(struct saslsrv_conn **c, int start, const char *mech,
                                 size_t nmech, const char *data, size_t ndata,
                                 const char **out, unsigned *outlen);

/* Free a connection's exchange (NULL is fine); *c becomes NULL. */
void saslsrv_free(struct saslsrv_conn **c);

#endif
