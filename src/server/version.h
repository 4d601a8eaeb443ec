/*
 * version.h: the version mnemod answers with, apart from the server state
 * so that config.c (-V, -h) needs nothing else of server/.
 */
#ifndef MNEMO_SERVER_VERSION_H
#define MNEMO_SERVER_VERSION_H

/* What "version" (text, meta and binary) and "stats" report: the memcached
 * release whose protocol, flags and stats mnemod follows, as a plain x.y.z
 * that version parsers accept (Perl's version->parse, Python's packaging,
 * node's semver all refused "1.6.18-mnemo-0.1.0"). mnemo's own version is
 * in "stats" (mnemo_version) and -V. */
#define SERVER_VERSION "1.6.45"

#endif
