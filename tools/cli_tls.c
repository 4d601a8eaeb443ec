/*
 * cli_tls.c: see cli_tls.h.
 */
#include "cli_tls.h"

#include <stdio.h>

void cli_tls_options(const struct cli_tls *t, struct mnemo_options *o)
{
    o->tls = t->on;
    o->tls_no_verify = t->no_verify;
    o->tls_ca_file = t->ca;
    o->tls_cert_file = t->cert;
    o->tls_key_file = t->key;
    o->tls_server_name = t->name;
}

int cli_tls_check(const struct cli_tls *t, char *err, size_t errlen)
{
    struct mnemo_options o;

    mnemo_options_init(&o);
    cli_tls_options(t, &o);
    return mnemo_tls_check(&o, err, errlen) == MNEMO_OK ? 0 : -1;
}

const char *cli_why(const struct mnemo_client *c, size_t i, mnemo_status st, char *buf, size_t len)
{
    const char *why = mnemo_server_error(c, i);

    /* libmnemo's TLS reasons name TLS themselves */
    if (why != NULL && why[0] != '\0' && st == MNEMO_ETLS)
        snprintf(buf, len, "%s", why);
    else if (why != NULL && why[0] != '\0' && st == MNEMO_EIO)
        snprintf(buf, len, "%s: %s", mnemo_strerror(st), why);
    else
        snprintf(buf, len, "%s", mnemo_strerror(st));
    return buf;
}

