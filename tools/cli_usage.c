/*
 * cli_usage.c: mnemo-cli's --help text. Its own file so that the man page
 * generator (tools/man) writes mnemo-cli(1) from the same text.
 */
#include "cli_usage.h"

static const char usage[] =
    "usage: mnemo-cli [--servers host:port[:weight],...] [options] COMMAND [ARGS]\n"
    "       (options come before COMMAND; everything after it is taken as is)\n"
    "\n"
    "commands:\n"
    "  get KEY...              one key: print its value bytes as stored;\n"
    "                          several: \"VALUE key flags bytes\" + value per hit\n"
    "  set KEY VALUE|-         store (- reads the value from stdin)\n"
    "  add KEY VALUE|-         store only if absent\n"
    "  replace KEY VALUE|-     store only if present\n"
    "  append|prepend KEY VALUE|-\n"
    "  delete KEY\n"
    "  incr|decr KEY [DELTA]   print the new value (DELTA defaults to 1)\n"
    "  touch KEY [TTL]         set a new TTL (default --ttl)\n"
    "  stats [GROUP]           \"host:port name value\" for every server\n"
    "  flush                   flush_all on every server\n"
    "  ping                    check every server\n"
    "  version                 \"host:port version\" for every server\n"
    "  where KEY...|-          print \"KEY host:port\" (keys from stdin with -)\n"
    "  check FILE              verify a log segment or snapshot offline (no server): exit 0\n"
    "                          clean, 1 torn tail, 2 damaged or incomplete, 64 unreadable\n"
    "  check --repair FILE     cut a damaged or torn log segment back to its valid records\n"
    "                          (the original kept as FILE.damaged); exit 0 once done\n"
    "  compare [--max-diffs N] HOST:PORT HOST:PORT...\n"
    "                          do these servers hold the same items? \"ADDR digest HEX\n"
    "                          items N\" per server (stats digest: key, value, flags,\n"
    "                          cas, expiry; exact while nothing writes); exit 0 all\n"
    "                          equal, 1 they differ, 2 error. On a difference, the keys\n"
    "                          (lru_crawler metadump) missing, extra or with another\n"
    "                          cas, exp or flags than on the first, up to N (default 20)\n"
    "                          per server, then the counts. -T bounds the connect; each\n"
    "                          answer may take 60 s (or -T if longer)\n"
    "\n"
    "options:\n"
    "  -s, --servers LIST      default 127.0.0.1:11211\n"
    "  -t, --ttl SECONDS       TTL for set/add/replace/touch (default 0: none)\n"
    "  -f, --flags N           client flags for set/add/replace (default 0)\n"
    "  -T, --timeout MS        connect and I/O timeout (default 1000)\n"
    "  -m, --modula            same as --distribution modula\n"
    "  --distribution NAME     ketama (default: libmemcached's weighted ketama, MD5),\n"
    "                          modula (libmemcached's modula, one_at_a_time) or\n"
    "                          twemproxy (nutcracker 0.5's \"distribution: ketama\" with\n"
    "                          servers listed as host:port:weight: the same server as\n"
    "                          nutcracker for every key, given the same list and hash)\n"
    "  --hash NAME             twemproxy's key hash, as nutcracker's \"hash:\" names it:\n"
    "                          fnv1a_64 (default), md5, one_at_a_time, fnv1a_32, fnv1_32,\n"
    "                          fnv1_64, crc16, crc32, crc32a, murmur, jenkins, hsieh\n"
    "  -h, --help              print this help and exit\n"
    "  -V, --version           print the version and exit\n"
    "\n"
    "exit status: 0 ok, 1 not found / not stored / servers differ, 2 error\n";

const char *cli_usage(void)
{
    return usage;
}
