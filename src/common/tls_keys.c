/*
 * tls_keys.c: see tls_keys.h.
 */
#include "common/tls_keys.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

void tls_keys_say(char *err, size_t errlen, const char *what, const char *fallback)
{
    unsigned long e = ERR_get_error();
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    if (why == NULL)
        why = errno ? strerror(errno) : fallback;
    snprintf(err, errlen, "%s: %s", what, why);
    ERR_clear_error();
}

int tls_keys_load_client(struct ssl_ctx_st *ctx, const char *cert_file, const char *key_file,
                         char *err, size_t errlen)
{
    char what[1200];
    if (cert_file == NULL) {
        if (key_file == NULL)
            return 0;
        snprintf(err, errlen, "a key (%s) without its certificate", key_file);
        return -1;
    }
    const char *key = key_file != NULL ? key_file : cert_file;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        snprintf(what, sizeof(what), "cannot load the certificate %s", cert_file);
        tls_keys_say(err, errlen, what, "unknown error");
        return -1;
    }
    /* OpenSSL refuses a key that does not match the certificate while
     * loading it: said as a mismatch, not as an unreadable file */
    int loaded = SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1;
    if (!loaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH) {
        snprintf(what, sizeof(what), "cannot load the key %s", key);
        tls_keys_say(err, errlen, what, "unknown error");
        return -1;
    }
    if (!loaded || SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(what, sizeof(what), "the key %s does not match the certificate %s", key,
                 cert_file);
        tls_keys_say(err, errlen, what, "unknown error");
        return -1;
    }
    return 0;
}
