/*
 * cli_compare.h: mnemo-cli's `compare HOST:PORT HOST:PORT...`: do these
 * servers hold the same items? (`stats digest`), and if not, which keys
 * differ (`lru_crawler metadump all`).
 */
#ifndef MNEMO_TOOLS_CLI_COMPARE_H
#define MNEMO_TOOLS_CLI_COMPARE_H

struct cli_auth;
struct cli_tls;

/* Exit statuses of `compare`. */
enum { COMPARE_SAME = 0, COMPARE_DIFFER = 1, COMPARE_ERROR = 2 };

/* Run `compare` on its arguments (after the word "compare"), connecting
 * within timeout_ms (mnemo-cli's -T), over TLS as tls says, authenticating
 * with auth (NULL: none). Prints a line per server, and what differs, on stdout; errors on
 * stderr. Returns one of the statuses above. */
int cli_compare(const char *prog, int argc, char **argv, int timeout_ms,
                const struct cli_tls *tls, const struct cli_auth *auth);

#endif
