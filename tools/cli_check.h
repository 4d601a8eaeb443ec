/*
 * cli_check.h: mnemo-cli's `check FILE`: a log segment or a snapshot
 * verified offline, through persist's readers; no server involved.
 */
#ifndef MNEMO_TOOLS_CLI_CHECK_H
#define MNEMO_TOOLS_CLI_CHECK_H

/* Exit statuses of `check` (64 is sysexits' EX_USAGE). */
enum { CHECK_CLEAN = 0, CHECK_TORN = 1, CHECK_DAMAGED = 2, CHECK_USAGE = 64 };

/* Run `check` on its arguments (after the word "check"): prints what the
 * file holds on stdout and returns one of the statuses above. */
int cli_check(const char *prog, int argc, char **argv);

#endif
