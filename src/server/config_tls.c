/*
 * config_tls.c: the -o ssl_* half of config.h (its "-o ssl_*" part). memcached 1.6.18 and 1.6.45 read these
 * options the same way (tls.c, memcached.c); mnemo checks the values
 * strictly and refuses what would do nothing (ssl_* without -Z) or what
 * would quietly serve plain text beside TLS (UDP, a unix socket).
 */
#include "server/config.h"

#include <stdio.h>
#include <string.h>

static int copy_path(char *dst, size_t cap, const char *val)
{
    if (val == NULL || val[0] == '\0' || strlen(val) >= cap)
        return -1;
    memcpy(dst, val, strlen(val) + 1);
    return 0;
}

int config_tls_chain_cert(struct config *cfg, const char *val)
{
    return copy_path(cfg->ssl_chain_cert, sizeof(cfg->ssl_chain_cert), val);
}

int config_tls_key(struct config *cfg, const char *val)
{
    return copy_path(cfg->ssl_key, sizeof(cfg->ssl_key), val);
}

int config_tls_ca_cert(struct config *cfg, const char *val)
{
    return copy_path(cfg->ssl_ca_cert, sizeof(cfg->ssl_ca_cert), val);
}

int config_tls_ciphers(struct config *cfg, const char *val)
{
    return copy_path(cfg->ssl_ciphers, sizeof(cfg->ssl_ciphers), val);
}

/* memcached reads a number, OpenSSL's SSL_FILETYPE_*: 1 PEM, 2 DER (ASN1);
 * the names are taken too. ENGINE (a key in a hardware module) is not
 * supported: refused. */
int config_tls_keyformat(struct config *cfg, const char *val)
{
    if (val == NULL)
        return -1;
    if (strcmp(val, "1") == 0 || strcasecmp(val, "PEM") == 0)
        cfg->ssl_keyformat = 1;
    else if (strcmp(val, "2") == 0 || strcasecmp(val, "DER") == 0)
        cfg->ssl_keyformat = 2;
    else
        return -1;
    return 0;
}

/* KB, as memcached; at least one (an empty buffer could send nothing) */
int config_tls_wbuf_size(struct config *cfg, const char *val)
{
    long kb;
    if (val == NULL || config_read_long(val, 1, 1024, &kb) != 0)
        return -1;
    cfg->ssl_wbuf_size = (int)kb * 1024;
    return 0;
}

const char *config_listen_tls(const char *entry, enum config_tls_listen *mode)
{
    static const struct {
        const char *prefix;
        enum config_tls_listen mode;
    } prefixes[] = {{"notls:", CONFIG_TLS_OFF}, {"btls:", CONFIG_TLS_BASIC},
                    {"mtls:", CONFIG_TLS_PEER}};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i].prefix);
        if (strncmp(entry, prefixes[i].prefix, n) == 0) {
            *mode = prefixes[i].mode;
            return entry + n;
        }
    }
    *mode = CONFIG_TLS_DEFAULT;
    return entry;
}

/* The -l list's entry after the one at p, or NULL. */
static const char *next_entry(const char *p)
{
    const char *comma = strchr(p, ',');
    return comma != NULL ? comma + 1 : NULL;
}

/* The first TLS prefix of the -l list, or NULL. */
static const char *listen_prefix(const char *list)
{
    for (const char *p = list; p != NULL && *p != '\0'; p = next_entry(p)) {
        enum config_tls_listen mode;
        if (config_listen_tls(p, &mode) != p)
            return p;
    }
    return NULL;
}

int config_tls_check(const struct config *cfg, char *err, size_t errlen)
{
    const char *prefixed = cfg->listen != NULL ? listen_prefix(cfg->listen) : NULL;
    if (!cfg->ssl_enabled) {
        if (cfg->ssl_option != NULL) {
            snprintf(err, errlen, "-o %s needs -Z (TLS is off without it)", cfg->ssl_option);
            return -1;
        }
        if (prefixed != NULL) {
            /* memcached's words */
            snprintf(err, errlen, "'%.*s' option is valid only when SSL is enabled (-Z)",
                     (int)strcspn(prefixed, ":"), prefixed);
            return -1;
        }
        return 0;
    }
    if (cfg->ssl_chain_cert[0] == '\0') {
        snprintf(err, errlen, "TLS (-Z) needs a certificate: -o ssl_chain_cert=FILE "
                 "(and ssl_key=FILE unless the key is in it)");
        return -1;
    }
    for (const char *p = prefixed; p != NULL && *p != '\0'; p = next_entry(p)) {
        enum config_tls_listen mode;
        config_listen_tls(p, &mode);
        if (mode == CONFIG_TLS_PEER && cfg->ssl_ca_cert[0] == '\0') {
            snprintf(err, errlen, "-l mtls:...: a listener that requires client certificates "
                     "needs -o ssl_ca_cert=FILE to check them against");
            return -1;
        }
    }
    if (cfg->udpport != 0) {
        snprintf(err, errlen, "cannot use UDP with TLS (-Z): datagrams would go in plain text "
                 "(-U 0 to disable)");
        return -1;
    }
    if (cfg->socketpath != NULL) {
        snprintf(err, errlen, "TLS (-Z) needs a TCP port: -s serves a unix socket only");
        return -1;
    }
    return 0;
}

/* OpenSSL's flags for memcached's modes: memcached prints those */
static int verify_flags(int mode)
{
    static const int flags[] = {0, 1, 3, 7};
    return mode >= 0 && mode <= 3 ? flags[mode] : 0;
}

static const char *min_version_name(int v)
{
    static const char *const names[] = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
    return v >= 0 && v <= 3 ? names[v] : "unknown";
}

void config_tls_describe(const struct config *c, config_emit_fn emit, void *arg)
{
    char buf[32];
    if (!c->ssl_enabled)
        return;
    emit(arg, "ssl_enabled", "yes");
    emit(arg, "ssl_chain_cert", c->ssl_chain_cert);
    emit(arg, "ssl_key", c->ssl_key[0] != '\0' ? c->ssl_key : "(null)");
    snprintf(buf, sizeof(buf), "%d", verify_flags(c->ssl_verify_mode));
    emit(arg, "ssl_verify_mode", buf);
    snprintf(buf, sizeof(buf), "%d", c->ssl_keyformat);
    emit(arg, "ssl_keyformat", buf);
    emit(arg, "ssl_ciphers", c->ssl_ciphers[0] != '\0' ? c->ssl_ciphers : "NULL");
    emit(arg, "ssl_ca_cert", c->ssl_ca_cert[0] != '\0' ? c->ssl_ca_cert : "NULL");
    snprintf(buf, sizeof(buf), "%d", c->ssl_wbuf_size);
    emit(arg, "ssl_wbuf_size", buf);
    emit(arg, "ssl_session_cache", c->ssl_session_cache ? "yes" : "no");
    emit(arg, "ssl_kernel_tls", "no"); /* memcached's option, not taken here */
    emit(arg, "ssl_min_version", min_version_name(c->ssl_min_version));
    snprintf(buf, sizeof(buf), "%d", c->ssl_handshake_timeout);
    emit(arg, "ssl_handshake_timeout", buf); /* mnemo's own */
}
