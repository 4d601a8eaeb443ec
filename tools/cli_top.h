/*
 * cli_top.h: `mnemo-cli top`, a live view of every server of the pool
 * (requests/s by command, hit ratio, memory, evictions, expiry,
 * connections, role), redrawn each interval until `q`; `--once` prints
 * one frame for scripts.
 */
#ifndef MNEMO_TOOLS_CLI_TOP_H
#define MNEMO_TOOLS_CLI_TOP_H

#include "mnemo/mnemo.h"

struct cli_auth;
struct cli_tls;

/* argv: top's own options ([--once] [--interval MS] [--hot-keys [--sample
 * MS]]); auth (may be NULL) and timeout_ms (-T) for the hot keys' watch
 * connections, which libmnemo does not hold.  Destroys *c (it
 * may leave with requests in flight) and sets it to NULL.  0, or 2 on a
 * bad option, or with --once when a server did not answer (the reason on
 * stderr; the frame is still printed).  A SIGINT/SIGTERM/SIGHUP during
 * the live view restores the terminal, then ends the process by it. */
int cli_top(const char *prog, struct mnemo_client **c, int argc, char **argv,
            const struct cli_tls *tls, const struct cli_auth *auth, int timeout_ms);

#endif
