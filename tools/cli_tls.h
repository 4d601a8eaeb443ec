/*
 * cli_tls.h: mnemo-cli's --tls options: libmnemo's TLS fields for the
 * commands it carries, the check of their files, and the reason of a
 * server's failure (cli_stream.h takes them to its own conversations).
 */
#ifndef MNEMO_TOOLS_CLI_TLS_H
#define MNEMO_TOOLS_CLI_TLS_H

#include <stddef.h>

#include "mnemo/mnemo.h"

/* The --tls options as given; all zero: plain TCP. */
struct cli_tls {
    int on;             /* --tls, or any --tls-* option */
    int no_verify;      /* --tls-no-verify */
    const char *ca;     /* --tls-ca FILE */
    const char *cert;   /* --tls-cert FILE */
    const char *key;    /* --tls-key FILE */
    const char *name;   /* --tls-server-name NAME */
};

/* Copy t into o's tls fields. */
void cli_tls_options(const struct cli_tls *t, struct mnemo_options *o);

/* Can t's files be used?  0, or -1 with one line in err. */
int cli_tls_check(const struct cli_tls *t, char *err, size_t errlen);

/* One line on server i's failure st: its status, and why where libmnemo
 * knows (a refused certificate, ...), into buf; returns buf. */
const char *cli_why(const struct mnemo_client *c, size_t i, mnemo_status st, char *buf,
                    size_t len);

#endif
