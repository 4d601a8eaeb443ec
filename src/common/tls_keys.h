/*
 * tls_keys.h: what a TLS client loads into its OpenSSL context besides the
 * CAs it trusts: its own certificate and key, with a one-line reason when
 * they cannot be used. Shared by libmnemo (client/tls.c) and the
 * replication link (net/tls_stream.c), which may not include each other.
 */
#ifndef MNEMO_COMMON_TLS_KEYS_H
#define MNEMO_COMMON_TLS_KEYS_H

#include <stddef.h>

struct ssl_ctx_st;

/* "what: why" into err, why taken from OpenSSL's error queue (cleared),
 * else errno, else fallback. */
void tls_keys_say(char *err, size_t errlen, const char *what, const char *fallback);

/* Load cert_file (a PEM chain) and its key (key_file, or the key inside
 * cert_file when NULL) into ctx and check they match; a key without a
 * certificate is refused. Both NULL: nothing to do. 0, or -1 with err. */
int tls_keys_load_client(struct ssl_ctx_st *ctx, const char *cert_file, const char *key_file,
                         char *err, size_t errlen);

#endif
