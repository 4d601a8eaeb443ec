/*
 * cli_dial.h: a blocking socket to one server of mnemo-cli's list, for
 * the conversations libmnemo does not hold (metadump, watch).
 */
#ifndef MNEMO_TOOLS_CLI_DIAL_H
#define MNEMO_TOOLS_CLI_DIAL_H

/* Connect to libmnemo's "host:port" or "[v6]:port", the connect and every
 * send and receive bounded by their timeouts (SO_SNDTIMEO bounds a
 * blocking connect on Linux). The descriptor, or -1 with errno. */
int cli_dial(const char *name, int connect_ms, int reply_ms);

#endif
