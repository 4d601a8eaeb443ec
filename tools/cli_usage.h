/*
 * cli_usage.h: mnemo-cli's --help text (also the source of mnemo-cli(1)).
 */
#ifndef MNEMO_TOOLS_CLI_USAGE_H
#define MNEMO_TOOLS_CLI_USAGE_H

const char *cli_usage(void);

#endif
