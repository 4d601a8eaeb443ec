"""Where the servers of the differential suite are known to differ: the
two lists of issue 18.  test_differential.py checks every entry both ways
(each server against its own listed bytes, so a note cannot go stale) and
that every name is a conversation.

    DEVIATIONS          mnemod vs memcached 1.6.45, the reference: mnemod's
                        deliberate choices, each with its reason (a plain
                        1.6.45 bug it does not copy, or a feature it has and
                        1.6.45 lacks).  Listed: both servers' bytes.
    DIFFERS_IN_1_6_18   memcached 1.6.18 vs 1.6.45: what changed between the
                        two releases.  Listed: 1.6.18's bytes.

Bytes are normalised display lines (differential_harness.normalise), one
string with a line per row; a list holds outcomes that depend on how the
bytes arrive.
"""

from collections import namedtuple

Deviation = namedtuple("Deviation", "why memcached mnemod")
Old = namedtuple("Old", "why memcached_1_6_18")

D_KEY251 = ('a plain 1.6.45 bug: after a too-long key in a get/gets/gat/gats it copies the error '
            'line with its CRLF and adds another (an empty line follows the error), and it drops '
            'the replies that commands earlier in the same read had queued; mnemod sends the '
            'error line once and answers every command')
D_U32 = ('a plain 1.6.45 bug (as in 1.6.18): a 32-bit number in a text storage line wraps '
         'silently (flags 4294967296 is stored as 0, exptime 2147483648 as a negative time); '
         'mnemod rejects the line and skips its data block')
D_META_RUNS_DATA = ('1.6.45 rejects an ms with an invalid flag without skipping its data block, so the '
                    'data runs as commands: the very hole issue 18 closes; mnemod skips the data block as'
                    ' it does for every other rejected ms')
D_DELETE = ('1.6.45 ignores whatever follows the key of a delete (the time argument that '
            'protocol.txt dropped, or junk) and deletes; 1.6.18 rejected it with a usage line, '
            "and libmemcached's memccapable ('ascii delete', 'ascii delete noreply') expects that"
            ' rejection, so 1.6.45 fails those tests; mnemod keeps the rejection')
D_LONG_GAT = ('a gat/gats line that passes 2048 bytes before its newline: 1.6.45 closes the '
              'connection (only get/gets lines may grow), though it serves the same line when '
              'it arrives in one read; mnemod lets gat/gats lines grow like get lines')
D_ME_B = ("1.6.45's me ignores a b that ends the line (its check still counts the terminal token "
          'of its old tokenizer) and looks up the base64 text itself; mnemod decodes the key, as '
          'protocol.txt says and 1.6.18 did')
D_OPAQUE = ("a too-long opaque: memcached (1.6.18 and 1.6.45) answers 'opaque token too long' "
            'after ma has counted, mg has vivified or mg T has touched (it checks the opaque '
            'while writing the reply); mnemod refuses the line before it does anything')
D_BIN_VERBOSITY = ('a plain 1.6.45 bug (as in 1.6.18): binary verbosity is an opcode its '
                   'dispatcher never had; with its 4 bytes of extras memcached skips the body '
                   'counted after them and waits for bytes of the next request, answering '
                   "nothing; mnemod answers 'Unknown command' and skips exactly the body")
D_CLOSE_KEEPS = ('a plain 1.6.45 bug: when it closes a connection for an over-long line it '
                 'drops the replies to earlier commands of the same read; mnemod sends them, then '
                 'closes')
D_STATS_OWN = ("mnemod prints memcached 1.6.45's general stats in its order, then its own "
               'version (mnemo_version) and its count of TLS clients on a plain-text port '
               '(mnemo_tls_on_plain_port)')
O_PARSER = ("1.6.45's new request parser answers 'CLIENT_ERROR bad command line format' where "
            '1.6.18 said ERROR (a command without its arguments, an empty or one-character line, '
            "the rest of a bad data chunk) and 'bad command line format' for some bad meta flags")
O_SWALLOW = ('1.6.18 runs the data block of a rejected storage line as commands; 1.6.45 skips it '
             'when the length parsed')
O_KEY251 = ('1.6.45 adds an empty line after the error for a too-long key in a get (see '
            'DEVIATIONS), and 1.6.18 does not always drop the replies queued earlier in the same '
            'read')
O_LENIENT = ('1.6.45 ignores extra tokens (set, verbosity, delete <key> <junk>) where 1.6.18 '
             "rejected the line, and rejects a leading '+' in an incr delta that 1.6.18 accepted")
O_U32 = ('1.6.18 truncates a 32-bit number (length 4294967305 reads as 9, F4294967296 as 0); '
         '1.6.45 rejects it')
O_META_TEXT = ("1.6.45 words these meta errors differently ('bad token in command line format', "
               "'invalid flag', 'invalid mode for ma M token'; only the first mode character counts "
               'in ms M)')
O_NEWER = ('flag added to the meta protocol after 1.6.18 (E, md x, ms MA with N, ms s): 1.6.18 '
           'rejects or ignores it')
O_ME_EXP = ("1.6.18's me prints exp= as current_time - exptime, a negative number for an item "
            'that expires in the future')
O_SHUTDOWN = ("1.6.45 answers 'SERVER_ERROR: shutdown not enabled' where 1.6.18 said "
              "'ERROR: shutdown not enabled', whatever the mode")
O_HTTP = ('1.6.45 closes the connection on an HTTP request line (an unknown command whose last '
          'token starts HTTP/), also one shaped like a meta command; 1.6.18 answered ERROR')
O_NOREPLY = ("1.6.45 honours a last 'noreply' on an unknown command (nothing is sent); 1.6.18 "
             'answered ERROR')
O_WORD = ("1.6.45's command word is the bytes before the first space: a leading space makes an "
          "unknown command and the old 'bget' alias is gone; 1.6.18 skipped leading spaces")
O_NUL = ('1.6.45 keeps NUL bytes in a command line (in keys; its number reading stops at one); '
         '1.6.18 ended the line at the first NUL')
O_STRICT = ("1.6.45 reads these numbers strictly (digits and, for signed fields, a leading '-'; "
            "at most 11 bytes, 22 for 64-bit ones); 1.6.18 used strtol/strtoul ('+5', tabs)")
O_FLAGS_WS = ("1.6.45 reads a storage line's flags and exptime with strtoul/strtol from the "
              "token on, so a token of whitespace alone reads into the next one")
O_FLAG_BYTE = ("1.6.45's tokenizer refuses a meta line whose flag token starts with neither a "
               "letter A..z nor a digit: 'bad command line format' before anything else")
O_META_TOKENS = ("1.6.45 allows 20 meta tokens (1.6.18: 19), says 'options flags are too long' "
                 "for mg, md and ms (ma: 'invalid or duplicate flag'), and ms swallows its block")
O_META_Q = ("1.6.45's q hides ma's success also when N created the counter; 1.6.18 showed it")
O_ME_B = ("1.6.45's me ignores a b that ends the line and looks up the base64 text (see "
          "DEVIATIONS: mnemod decodes it, as 1.6.18 did)")
O_BODY = ("1.6.45 refuses a binary body over 1 GiB from the header ('Invalid arguments', then "
          "close); 1.6.18 waited for the body")
O_STATS = ("1.6.45's general stats drop slab_reassign_evictions_nomem and add "
           'slab_reassign_busy_nomem and slab_reassign_last_busy_status')

# mnemod vs memcached 1.6.45
DEVIATIONS = {
    'text-key-251-get': Deviation(
        D_KEY251,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-key-251-in-multiget': Deviation(
        D_KEY251,
        memcached=r"""
STORED\r\n
VERSION <version>\r\n
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
STORED\r\n
VERSION <version>\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-key-251-after-get': Deviation(
        D_KEY251,
        memcached=[r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
"""],
        mnemod=r"""
STORED\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-nonzero-time': Deviation(
        D_DELETE,
        memcached=r"""
NOT_FOUND\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-junk': Deviation(
        D_DELETE,
        memcached=r"""
NOT_FOUND\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-0-junk': Deviation(
        D_DELETE,
        memcached=r"""
NOT_FOUND\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
"""),
    'text-bad-line-2000': Deviation(
        D_KEY251,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-2-pow-32': Deviation(
        D_U32,
        memcached=r"""
STORED\r\n
STORED\r\n
VALUE canary 0 5\r\n
  data: alive\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VALUE canary 0 5\r\n
  data: alive\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-exptime-2-pow-31': Deviation(
        D_U32,
        memcached=r"""
STORED\r\n
STORED\r\n
VALUE canary 0 5\r\n
  data: alive\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VALUE canary 0 5\r\n
  data: alive\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-gets': Deviation(
        D_KEY251,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-gat': Deviation(
        D_KEY251,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-gats': Deviation(
        D_KEY251,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-no-newline-get-then-newline': Deviation(
        D_KEY251,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-known-flags-2-pow-32': Deviation(
        D_U32,
        memcached=r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-known-key-251-drops-queued-replies': Deviation(
        D_KEY251,
        memcached=[r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
"""],
        mnemod=r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'bin-known-unknown-op-with-key': Deviation(
        "a plain 1.6.45 bug (as in 1.6.18): after an unknown opcode whose request carries a key, memcached skips the body twice, loses its place in the stream and closes the connection (with or without sending the error first, depending on how the bytes arrive); mnemod answers 'Unknown command' and goes on",
        memcached=[r"""
<connection closed>
""", r"""
RES 0x25 status=0x0081 opaque=0x55 cas=0 value=Unknown command
<connection closed>
"""],
        mnemod=r"""
RES 0x25 status=0x0081 opaque=0x55 cas=0 value=Unknown command
RES get status=0x0001 opaque=0x56 cas=0 value=Not found
"""),
    'text-long-gat-in-pieces': Deviation(
        D_LONG_GAT,
        memcached=r"""
STORED\r\n
VERSION <version>\r\n
<connection closed>
""",
        mnemod=r"""
STORED\r\n
VERSION <version>\r\n
VALUE key0007 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-delete-extra-tokens': Deviation(
        D_DELETE,
        memcached=r"""
STORED\r\n
STORED\r\n
STORED\r\n
DELETED\r\n
DELETED\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
STORED\r\n
STORED\r\n
STORED\r\n
ERROR\r\n
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VALUE a 0 1\r\n
  data: 1\r\n
VALUE b 0 1\r\n
  data: 2\r\n
VALUE c 0 1\r\n
  data: 3\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-known-exptime-2-pow-32-plus-1000': Deviation(
        D_U32,
        memcached=r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'meta-me-base64': Deviation(
        D_ME_B,
        memcached=r"""
HD\r\n
EN\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
HD\r\n
ME k exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
"""),
    'meta-me-b-key-not-base64': Deviation(
        D_ME_B,
        memcached=r"""
HD\r\n
ME k exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
HD\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-ms-invalid-flag': Deviation(
        D_META_RUNS_DATA,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-swallow-ms-invalid-flag': Deviation(
        D_META_RUNS_DATA,
        memcached=r"""
HD\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
EN\r\n
MN\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
HD\r\n
CLIENT_ERROR bad command line format\r\n
VA 5\r\n
  data: alive\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-ms-no-swallow': Deviation(
        D_META_RUNS_DATA,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
MN\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-known-opaque-long-ma-no-effect': Deviation(
        D_OPAQUE,
        memcached=r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
VA 1\r\n
  data: 6\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
VA 1\r\n
  data: 5\r\n
VERSION <version>\r\n
"""),
    'meta-known-opaque-long-mg-no-vivify': Deviation(
        D_OPAQUE,
        memcached=r"""
CLIENT_ERROR opaque token too long\r\n
VA 0\r\n
  data: \r\n
VERSION <version>\r\n
""",
        mnemod=r"""
CLIENT_ERROR opaque token too long\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-known-opaque-long-mg-no-touch': Deviation(
        D_OPAQUE,
        memcached=r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
HD t~0-9\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
HD t~100\r\n
VERSION <version>\r\n
"""),
    'bin-known-verbosity': Deviation(
        D_BIN_VERBOSITY,
        memcached=r"""

""",
        mnemod=r"""
RES verbosity status=0x0081 opaque=0x11 cas=0 value=Unknown command
"""),
    'text-stats-names': Deviation(
        D_STATS_OWN,
        memcached=r"""
STAT pid <v>\r\n
STAT uptime <v>\r\n
STAT time <v>\r\n
STAT version <v>\r\n
STAT libevent <v>\r\n
STAT pointer_size <v>\r\n
STAT rusage_user <v>\r\n
STAT rusage_system <v>\r\n
STAT max_connections <v>\r\n
STAT curr_connections <v>\r\n
STAT total_connections <v>\r\n
STAT rejected_connections <v>\r\n
STAT connection_structures <v>\r\n
STAT response_obj_oom <v>\r\n
STAT response_obj_count <v>\r\n
STAT response_obj_bytes <v>\r\n
STAT read_buf_count <v>\r\n
STAT read_buf_bytes <v>\r\n
STAT read_buf_bytes_free <v>\r\n
STAT read_buf_oom <v>\r\n
STAT reserved_fds <v>\r\n
STAT cmd_get <v>\r\n
STAT cmd_set <v>\r\n
STAT cmd_flush <v>\r\n
STAT cmd_touch <v>\r\n
STAT cmd_meta <v>\r\n
STAT get_hits <v>\r\n
STAT get_misses <v>\r\n
STAT get_expired <v>\r\n
STAT get_flushed <v>\r\n
STAT delete_misses <v>\r\n
STAT delete_hits <v>\r\n
STAT incr_misses <v>\r\n
STAT incr_hits <v>\r\n
STAT decr_misses <v>\r\n
STAT decr_hits <v>\r\n
STAT cas_misses <v>\r\n
STAT cas_hits <v>\r\n
STAT cas_badval <v>\r\n
STAT touch_hits <v>\r\n
STAT touch_misses <v>\r\n
STAT store_too_large <v>\r\n
STAT store_no_memory <v>\r\n
STAT auth_cmds <v>\r\n
STAT auth_errors <v>\r\n
STAT bytes_read <v>\r\n
STAT bytes_written <v>\r\n
STAT limit_maxbytes <v>\r\n
STAT accepting_conns <v>\r\n
STAT listen_disabled_num <v>\r\n
STAT time_in_listen_disabled_us <v>\r\n
STAT threads <v>\r\n
STAT conn_yields <v>\r\n
STAT hash_power_level <v>\r\n
STAT hash_bytes <v>\r\n
STAT hash_is_expanding <v>\r\n
STAT slab_reassign_rescues <v>\r\n
STAT slab_reassign_chunk_rescues <v>\r\n
STAT slab_reassign_inline_reclaim <v>\r\n
STAT slab_reassign_busy_items <v>\r\n
STAT slab_reassign_busy_deletes <v>\r\n
STAT slab_reassign_busy_nomem <v>\r\n
STAT slab_reassign_last_busy_status <v>\r\n
STAT slab_reassign_running <v>\r\n
STAT slabs_moved <v>\r\n
STAT lru_crawler_running <v>\r\n
STAT lru_crawler_starts <v>\r\n
STAT lru_maintainer_juggles <v>\r\n
STAT malloc_fails <v>\r\n
STAT log_worker_dropped <v>\r\n
STAT log_worker_written <v>\r\n
STAT log_watcher_skipped <v>\r\n
STAT log_watcher_sent <v>\r\n
STAT log_watchers <v>\r\n
STAT unexpected_napi_ids <v>\r\n
STAT round_robin_fallback <v>\r\n
STAT bytes <v>\r\n
STAT curr_items <v>\r\n
STAT total_items <v>\r\n
STAT slab_global_page_pool <v>\r\n
STAT expired_unfetched <v>\r\n
STAT evicted_unfetched <v>\r\n
STAT evicted_active <v>\r\n
STAT evictions <v>\r\n
STAT reclaimed <v>\r\n
STAT crawler_reclaimed <v>\r\n
STAT crawler_items_checked <v>\r\n
STAT lrutail_reflocked <v>\r\n
STAT moves_to_cold <v>\r\n
STAT moves_to_warm <v>\r\n
STAT moves_within_lru <v>\r\n
STAT direct_reclaims <v>\r\n
STAT lru_bumps_dropped <v>\r\n
END\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
STAT pid <v>\r\n
STAT uptime <v>\r\n
STAT time <v>\r\n
STAT version <v>\r\n
STAT libevent <v>\r\n
STAT pointer_size <v>\r\n
STAT rusage_user <v>\r\n
STAT rusage_system <v>\r\n
STAT max_connections <v>\r\n
STAT curr_connections <v>\r\n
STAT total_connections <v>\r\n
STAT rejected_connections <v>\r\n
STAT connection_structures <v>\r\n
STAT response_obj_oom <v>\r\n
STAT response_obj_count <v>\r\n
STAT response_obj_bytes <v>\r\n
STAT read_buf_count <v>\r\n
STAT read_buf_bytes <v>\r\n
STAT read_buf_bytes_free <v>\r\n
STAT read_buf_oom <v>\r\n
STAT reserved_fds <v>\r\n
STAT cmd_get <v>\r\n
STAT cmd_set <v>\r\n
STAT cmd_flush <v>\r\n
STAT cmd_touch <v>\r\n
STAT cmd_meta <v>\r\n
STAT get_hits <v>\r\n
STAT get_misses <v>\r\n
STAT get_expired <v>\r\n
STAT get_flushed <v>\r\n
STAT delete_misses <v>\r\n
STAT delete_hits <v>\r\n
STAT incr_misses <v>\r\n
STAT incr_hits <v>\r\n
STAT decr_misses <v>\r\n
STAT decr_hits <v>\r\n
STAT cas_misses <v>\r\n
STAT cas_hits <v>\r\n
STAT cas_badval <v>\r\n
STAT touch_hits <v>\r\n
STAT touch_misses <v>\r\n
STAT store_too_large <v>\r\n
STAT store_no_memory <v>\r\n
STAT auth_cmds <v>\r\n
STAT auth_errors <v>\r\n
STAT bytes_read <v>\r\n
STAT bytes_written <v>\r\n
STAT limit_maxbytes <v>\r\n
STAT accepting_conns <v>\r\n
STAT listen_disabled_num <v>\r\n
STAT time_in_listen_disabled_us <v>\r\n
STAT threads <v>\r\n
STAT conn_yields <v>\r\n
STAT hash_power_level <v>\r\n
STAT hash_bytes <v>\r\n
STAT hash_is_expanding <v>\r\n
STAT slab_reassign_rescues <v>\r\n
STAT slab_reassign_chunk_rescues <v>\r\n
STAT slab_reassign_inline_reclaim <v>\r\n
STAT slab_reassign_busy_items <v>\r\n
STAT slab_reassign_busy_deletes <v>\r\n
STAT slab_reassign_busy_nomem <v>\r\n
STAT slab_reassign_last_busy_status <v>\r\n
STAT slab_reassign_running <v>\r\n
STAT slabs_moved <v>\r\n
STAT lru_crawler_running <v>\r\n
STAT lru_crawler_starts <v>\r\n
STAT lru_maintainer_juggles <v>\r\n
STAT malloc_fails <v>\r\n
STAT log_worker_dropped <v>\r\n
STAT log_worker_written <v>\r\n
STAT log_watcher_skipped <v>\r\n
STAT log_watcher_sent <v>\r\n
STAT log_watchers <v>\r\n
STAT unexpected_napi_ids <v>\r\n
STAT round_robin_fallback <v>\r\n
STAT bytes <v>\r\n
STAT curr_items <v>\r\n
STAT total_items <v>\r\n
STAT slab_global_page_pool <v>\r\n
STAT expired_unfetched <v>\r\n
STAT evicted_unfetched <v>\r\n
STAT evicted_active <v>\r\n
STAT evictions <v>\r\n
STAT reclaimed <v>\r\n
STAT crawler_reclaimed <v>\r\n
STAT crawler_items_checked <v>\r\n
STAT lrutail_reflocked <v>\r\n
STAT moves_to_cold <v>\r\n
STAT moves_to_warm <v>\r\n
STAT moves_within_lru <v>\r\n
STAT direct_reclaims <v>\r\n
STAT lru_bumps_dropped <v>\r\n
STAT mnemo_version <v>\r\n
STAT mnemo_tls_on_plain_port <v>\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-alone': Deviation(
        D_DELETE,
        memcached=r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
""",
        mnemod=r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-no-newline-after-command': Deviation(
        D_CLOSE_KEEPS,
        memcached=r"""
<connection closed>
""",
        mnemod=r"""
STORED\r\n
<connection closed>
"""),
    'bin-stat-all': Deviation(
        D_STATS_OWN,
        memcached=r"""
RES stat status=0x0000 opaque=0x5 cas=0 key=pid value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=uptime value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=time value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=version value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=libevent value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=pointer_size value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rusage_user value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rusage_system value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=max_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=curr_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=total_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rejected_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=connection_structures value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_oom value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_count value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_count value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes_free value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_oom value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=reserved_fds value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_get value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_set value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_flush value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_touch value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_meta value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_expired value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_flushed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=delete_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=delete_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=incr_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=incr_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=decr_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=decr_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_badval value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=touch_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=touch_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=store_too_large value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=store_no_memory value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=auth_cmds value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=auth_errors value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes_read value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes_written value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=limit_maxbytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=accepting_conns value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=listen_disabled_num value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=time_in_listen_disabled_us value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=threads value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=conn_yields value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_power_level value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_is_expanding value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_rescues value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_chunk_rescues value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_inline_reclaim value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_deletes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_nomem value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_last_busy_status value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_running value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slabs_moved value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_running value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_starts value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_maintainer_juggles value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=malloc_fails value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_dropped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_written value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_skipped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_sent value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watchers value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=unexpected_napi_ids value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=round_robin_fallback value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=curr_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=total_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_global_page_pool value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=expired_unfetched value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evicted_unfetched value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evicted_active value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evictions value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=reclaimed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=crawler_reclaimed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=crawler_items_checked value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lrutail_reflocked value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_cold value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_warm value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_within_lru value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=direct_reclaims value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_bumps_dropped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0
RES noop status=0x0000 opaque=0xf3f3f3f3 cas=0
""",
        mnemod=r"""
RES stat status=0x0000 opaque=0x5 cas=0 key=pid value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=uptime value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=time value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=version value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=libevent value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=pointer_size value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rusage_user value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rusage_system value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=max_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=curr_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=total_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rejected_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=connection_structures value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_oom value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_count value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_count value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes_free value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_oom value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=reserved_fds value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_get value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_set value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_flush value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_touch value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_meta value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_expired value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_flushed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=delete_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=delete_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=incr_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=incr_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=decr_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=decr_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_badval value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=touch_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=touch_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=store_too_large value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=store_no_memory value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=auth_cmds value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=auth_errors value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes_read value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes_written value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=limit_maxbytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=accepting_conns value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=listen_disabled_num value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=time_in_listen_disabled_us value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=threads value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=conn_yields value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_power_level value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_is_expanding value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_rescues value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_chunk_rescues value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_inline_reclaim value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_deletes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_nomem value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_last_busy_status value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_running value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slabs_moved value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_running value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_starts value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_maintainer_juggles value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=malloc_fails value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_dropped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_written value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_skipped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_sent value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watchers value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=unexpected_napi_ids value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=round_robin_fallback value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=curr_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=total_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_global_page_pool value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=expired_unfetched value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evicted_unfetched value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evicted_active value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evictions value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=reclaimed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=crawler_reclaimed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=crawler_items_checked value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lrutail_reflocked value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_cold value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_warm value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_within_lru value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=direct_reclaims value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_bumps_dropped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=mnemo_version value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=mnemo_tls_on_plain_port value=<v>
RES stat status=0x0000 opaque=0x5 cas=0
RES noop status=0x0000 opaque=0xf3f3f3f3 cas=0
"""),
}

# memcached 1.6.18 vs memcached 1.6.45
DIFFERS_IN_1_6_18 = {
    'text-key-251-set': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-get': Old(O_KEY251, r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-key-251-in-multiget': Old(O_KEY251, r"""
STORED\r\n
VERSION <version>\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-key-251-after-get': Old(O_KEY251, [r"""
STORED\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
""", r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""]),
    'text-set-noreply-bad-chunk': Old(O_PARSER, r"""
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-cas-bad-chunk': Old(O_PARSER, r"""
STORED\r\n
VALUE k 0 2 #1\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
VALUE k 0 2\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-gat-no-key': Old(O_PARSER, r"""
END\r\n
VERSION <version>\r\n
"""),
    'text-shutdown-not-enabled': Old("1.6.18 says 'ERROR: shutdown not enabled', 1.6.45 'SERVER_ERROR: shutdown not enabled'", r"""
ERROR: shutdown not enabled\r\n
VERSION <version>\r\n
"""),
    'text-stats-names': Old(O_STATS, r"""
STAT pid <v>\r\n
STAT uptime <v>\r\n
STAT time <v>\r\n
STAT version <v>\r\n
STAT libevent <v>\r\n
STAT pointer_size <v>\r\n
STAT rusage_user <v>\r\n
STAT rusage_system <v>\r\n
STAT max_connections <v>\r\n
STAT curr_connections <v>\r\n
STAT total_connections <v>\r\n
STAT rejected_connections <v>\r\n
STAT connection_structures <v>\r\n
STAT response_obj_oom <v>\r\n
STAT response_obj_count <v>\r\n
STAT response_obj_bytes <v>\r\n
STAT read_buf_count <v>\r\n
STAT read_buf_bytes <v>\r\n
STAT read_buf_bytes_free <v>\r\n
STAT read_buf_oom <v>\r\n
STAT reserved_fds <v>\r\n
STAT cmd_get <v>\r\n
STAT cmd_set <v>\r\n
STAT cmd_flush <v>\r\n
STAT cmd_touch <v>\r\n
STAT cmd_meta <v>\r\n
STAT get_hits <v>\r\n
STAT get_misses <v>\r\n
STAT get_expired <v>\r\n
STAT get_flushed <v>\r\n
STAT delete_misses <v>\r\n
STAT delete_hits <v>\r\n
STAT incr_misses <v>\r\n
STAT incr_hits <v>\r\n
STAT decr_misses <v>\r\n
STAT decr_hits <v>\r\n
STAT cas_misses <v>\r\n
STAT cas_hits <v>\r\n
STAT cas_badval <v>\r\n
STAT touch_hits <v>\r\n
STAT touch_misses <v>\r\n
STAT store_too_large <v>\r\n
STAT store_no_memory <v>\r\n
STAT auth_cmds <v>\r\n
STAT auth_errors <v>\r\n
STAT bytes_read <v>\r\n
STAT bytes_written <v>\r\n
STAT limit_maxbytes <v>\r\n
STAT accepting_conns <v>\r\n
STAT listen_disabled_num <v>\r\n
STAT time_in_listen_disabled_us <v>\r\n
STAT threads <v>\r\n
STAT conn_yields <v>\r\n
STAT hash_power_level <v>\r\n
STAT hash_bytes <v>\r\n
STAT hash_is_expanding <v>\r\n
STAT slab_reassign_rescues <v>\r\n
STAT slab_reassign_chunk_rescues <v>\r\n
STAT slab_reassign_evictions_nomem <v>\r\n
STAT slab_reassign_inline_reclaim <v>\r\n
STAT slab_reassign_busy_items <v>\r\n
STAT slab_reassign_busy_deletes <v>\r\n
STAT slab_reassign_running <v>\r\n
STAT slabs_moved <v>\r\n
STAT lru_crawler_running <v>\r\n
STAT lru_crawler_starts <v>\r\n
STAT lru_maintainer_juggles <v>\r\n
STAT malloc_fails <v>\r\n
STAT log_worker_dropped <v>\r\n
STAT log_worker_written <v>\r\n
STAT log_watcher_skipped <v>\r\n
STAT log_watcher_sent <v>\r\n
STAT log_watchers <v>\r\n
STAT unexpected_napi_ids <v>\r\n
STAT round_robin_fallback <v>\r\n
STAT bytes <v>\r\n
STAT curr_items <v>\r\n
STAT total_items <v>\r\n
STAT slab_global_page_pool <v>\r\n
STAT expired_unfetched <v>\r\n
STAT evicted_unfetched <v>\r\n
STAT evicted_active <v>\r\n
STAT evictions <v>\r\n
STAT reclaimed <v>\r\n
STAT crawler_reclaimed <v>\r\n
STAT crawler_items_checked <v>\r\n
STAT lrutail_reflocked <v>\r\n
STAT moves_to_cold <v>\r\n
STAT moves_to_warm <v>\r\n
STAT moves_within_lru <v>\r\n
STAT direct_reclaims <v>\r\n
STAT lru_bumps_dropped <v>\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bad-empty-line': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-get-no-key': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-gets-no-key': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bad-flags': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-negative-flags': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bad-exptime': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-negative-bytes': Old(O_PARSER, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-non-numeric-bytes': Old(O_PARSER, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bytes-trailing-junk': Old(O_PARSER, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-too-few-tokens': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-key-only': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-alone': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-too-many-tokens': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-way-too-many': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bad-data-chunk': Old(O_PARSER, r"""
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-data-missing-crlf': Old(O_PARSER, r"""
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-add-bad-flags': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-append-bad-bytes': Old(O_PARSER, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-cas-missing-unique': Old(O_SWALLOW, r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-cas-bad-unique': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-cas-negative-unique': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-incr-alone': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-incr-no-delta': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-touch-no-exptime': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-alone': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-nonzero-time': Old(O_LENIENT, r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-junk': Old(O_LENIENT, r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-0-junk': Old(O_LENIENT, r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
"""),
    'text-bad-gat-alone': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-verbosity-alone': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-verbosity-too-many': Old(O_LENIENT, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-nul-command': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-line-2000': Old(O_KEY251, r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-key-too-long-in-set-noreply': Old(O_SWALLOW, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bad-incr-delta-leading-plus': Old(O_LENIENT, r"""
STORED\r\n
3\r\n
VERSION <version>\r\n
"""),
    'text-bad-flags-hex': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-negative': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-2-pow-64': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-hex': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-fraction': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-flags-empty-token': Old(O_PARSER, r"""
STORED\r\n
ERROR\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-exptime-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-exptime-fraction': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-exptime-huge': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-exptime-huge-negative': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-length-2-pow-32-plus-9': Old(O_U32, r"""
STORED\r\n
STORED\r\n
VALUE canary 0 5\r\n
  data: alive\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-cas-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-cas-negative': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-cas-2-pow-64': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-cas-fraction': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-cas-missing': Old(O_SWALLOW, r"""
STORED\r\n
ERROR\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-noreply-flags-abc': Old(O_SWALLOW, r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-noreply-exptime-abc': Old(O_SWALLOW, r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-noreply-cas-abc': Old(O_SWALLOW, r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-add-flags-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-replace-exptime-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-append-flags-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-prepend-exptime-abc': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-key-251': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-key-251-noreply': Old(O_SWALLOW, r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-extra-token': Old(O_LENIENT, r"""
STORED\r\n
ERROR\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-extra-tokens': Old(O_LENIENT, r"""
STORED\r\n
ERROR\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-data-is-set': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
STORED\r\n
VALUE canary 0 1\r\n
  data: X\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-data-is-delete': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
DELETED\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-swallow-then-good-set': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
OK\r\n
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-gets': Old(O_KEY251, r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-gat': Old(O_KEY251, r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-gats': Old(O_KEY251, r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-key-251-cas': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-key-251-append': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-line-2047-set': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-line-2048-set': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-line-2049-set': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-line-4000-set': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-no-newline-get-then-newline': Old(O_KEY251, r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-known-bytes-2-pow-32-plus-1': Old(O_U32, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-known-cas-disabled-flush-then-set': Old('a 1.6.18 bug fixed in 1.6.45: with -C 1.6.18 flushes by whole seconds, so a set in the same second as flush_all is lost too', r"""
STORED\r\n
OK\r\n
STORED\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-known-key-251-drops-queued-replies': Old(O_KEY251, [r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""]),
    'meta-me-base64': Old("1.6.18's me decodes a base64 key given with b; 1.6.45's answers EN (see DEVIATIONS)", r"""
HD\r\n
ME k exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
"""),
    'meta-ms-s-flag': Old(O_NEWER, r"""
HD\r\n
VERSION <version>\r\n
"""),
    'meta-ms-bad-data-chunk': Old(O_PARSER, r"""
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-ms-no-key': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'meta-ms-invalid-flag': Old(O_PARSER, r"""
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-ms-key-too-long': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'meta-md-extra-token': Old(O_META_TEXT, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-md-no-key': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'meta-ma-no-key': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'meta-bad-mg-alone': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'meta-bad-mg-bad-flag': Old(O_PARSER, r"""
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-bad-ma-bad-mode-long': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-bad-md-bad-C': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-bad-ms-bad-mode-long': Old(O_META_TEXT, r"""
CLIENT_ERROR incorrect length for M token\r\n
VERSION <version>\r\n
"""),
    'meta-bad-mn-lf': Old(O_PARSER, r"""
MN\r\n
VERSION <version>\r\n
"""),
    'meta-swallow-ms-F-2-pow-32': Old(O_U32, r"""
HD\r\n
HD\r\n
VA 5\r\n
  data: alive\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-swallow-ms-E-abc': Old(O_META_TEXT, r"""
HD\r\n
CLIENT_ERROR invalid flag\r\n
VA 5\r\n
  data: alive\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-swallow-ms-invalid-flag': Old(O_PARSER, r"""
HD\r\n
CLIENT_ERROR invalid flag\r\n
VA 5\r\n
  data: alive\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-swallow-ms-key-251': Old(O_SWALLOW, r"""
HD\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-swallow-ms-length-2-pow-32-plus-9': Old(O_U32, r"""
HD\r\n
HD\r\n
VA 5\r\n
  data: alive\r\n
VERSION <version>\r\n
"""),
    'meta-badnum-mg-E-abc': Old(O_META_TEXT, r"""
HD\r\n
HD\r\n
CLIENT_ERROR invalid flag\r\n
VA 1\r\n
  data: 5\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-badnum-mg-E-negative': Old(O_META_TEXT, r"""
HD\r\n
HD\r\n
CLIENT_ERROR invalid flag\r\n
VA 1\r\n
  data: 5\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-badnum-md-T-abc': Old(O_META_TEXT, r"""
HD\r\n
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VA 1\r\n
  data: 5\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-badnum-md-C-negative': Old(O_META_TEXT, r"""
HD\r\n
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VA 1\r\n
  data: 5\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-badnum-md-E-abc': Old(O_META_TEXT, r"""
HD\r\n
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VA 1\r\n
  data: 5\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-badnum-me-extra-token': Old(O_ME_EXP, r"""
HD\r\n
HD\r\n
ME k exp=-~100 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VA 1\r\n
  data: 5\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-key-251-ma': Old(O_META_TEXT, r"""
CLIENT_ERROR bad command line format\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-key-b64-250-bytes': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-key-b64-251-bytes': Old(O_SWALLOW, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-known-me-exp-sign': Old(O_ME_EXP, r"""
HD\r\n
ME k exp=-~1000 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
"""),
    'meta-known-mg-E-hit': Old(O_NEWER, r"""
HD\r\n
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-known-ms-E': Old(O_NEWER, r"""
CLIENT_ERROR invalid flag\r\n
EN\r\n
END\r\n
VERSION <version>\r\n
"""),
    'meta-known-ms-C-E': Old(O_NEWER, r"""
HD c#1\r\n
VERSION <version>\r\n
CLIENT_ERROR invalid flag\r\n
HD c#1\r\n
VERSION <version>\r\n
"""),
    'meta-known-md-I-E': Old(O_NEWER, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VA 5 c#1\r\n
  data: value\r\n
VERSION <version>\r\n
"""),
    'meta-known-ma-E': Old(O_NEWER, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-known-md-x': Old(O_NEWER, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VA 5 s5\r\n
  data: value\r\n
VERSION <version>\r\n
"""),
    'meta-known-md-x-miss': Old(O_NEWER, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-known-ms-MA-N-vivify': Old(O_NEWER, r"""
NS\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'bin-stat-all': Old(O_STATS, r"""
RES stat status=0x0000 opaque=0x5 cas=0 key=pid value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=uptime value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=time value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=version value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=libevent value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=pointer_size value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rusage_user value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rusage_system value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=max_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=curr_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=total_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=rejected_connections value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=connection_structures value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_oom value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_count value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_count value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes_free value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_oom value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=reserved_fds value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_get value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_set value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_flush value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_touch value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cmd_meta value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_expired value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=get_flushed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=delete_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=delete_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=incr_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=incr_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=decr_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=decr_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=cas_badval value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=touch_hits value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=touch_misses value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=store_too_large value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=store_no_memory value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=auth_cmds value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=auth_errors value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes_read value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes_written value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=limit_maxbytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=accepting_conns value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=listen_disabled_num value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=time_in_listen_disabled_us value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=threads value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=conn_yields value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_power_level value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=hash_is_expanding value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_rescues value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_chunk_rescues value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_evictions_nomem value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_inline_reclaim value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_deletes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_running value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slabs_moved value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_running value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_starts value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_maintainer_juggles value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=malloc_fails value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_dropped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_written value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_skipped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_sent value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=log_watchers value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=unexpected_napi_ids value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=round_robin_fallback value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=bytes value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=curr_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=total_items value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=slab_global_page_pool value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=expired_unfetched value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evicted_unfetched value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evicted_active value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=evictions value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=reclaimed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=crawler_reclaimed value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=crawler_items_checked value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lrutail_reflocked value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_cold value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_warm value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=moves_within_lru value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=direct_reclaims value=<v>
RES stat status=0x0000 opaque=0x5 cas=0 key=lru_bumps_dropped value=<v>
RES stat status=0x0000 opaque=0x5 cas=0
RES noop status=0x0000 opaque=0xf3f3f3f3 cas=0
"""),
    'bin-huge-bodylen': Old("1.6.18 says nothing to a set announcing a 2 GB body; 1.6.45 answers 'Invalid arguments' and closes", r"""

"""),
    'text-shutdown-graceful-not-enabled': Old(O_SHUTDOWN, r"""
ERROR: shutdown not enabled\r\n
VERSION <version>\r\n
"""),
    'text-shutdown-bad-mode-not-enabled': Old(O_SHUTDOWN, r"""
ERROR: shutdown not enabled\r\n
VERSION <version>\r\n
"""),
    'text-refused-set-data-is-not-run': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-refused-cas-data-is-not-run': Old(O_SWALLOW, r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-refused-set-noreply-data-is-not-run': Old(O_SWALLOW, r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-plus-sign': Old(O_STRICT, r"""
STORED\r\n
VALUE k 0 3\r\n
  data: xyz\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-http-meta-shaped': Old(O_HTTP, r"""
ERROR\r\n
"""),
    'text-unknown-noreply': Old(O_NOREPLY, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-short-lines': Old(O_PARSER, r"""
ERROR\r\n
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-short-stray-data-line': Old(O_PARSER, r"""
STORED\r\n
ERROR\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-leading-space-get': Old(O_WORD, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-leading-space-meta': Old(O_WORD, r"""
STORED\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'text-leading-space-stats': Old(O_WORD, r"""
STAT pid <v>\r\n
STAT uptime <v>\r\n
STAT time <v>\r\n
STAT version <v>\r\n
STAT libevent <v>\r\n
STAT pointer_size <v>\r\n
STAT rusage_user <v>\r\n
STAT rusage_system <v>\r\n
STAT max_connections <v>\r\n
STAT curr_connections <v>\r\n
STAT total_connections <v>\r\n
STAT rejected_connections <v>\r\n
STAT connection_structures <v>\r\n
STAT response_obj_oom <v>\r\n
STAT response_obj_count <v>\r\n
STAT response_obj_bytes <v>\r\n
STAT read_buf_count <v>\r\n
STAT read_buf_bytes <v>\r\n
STAT read_buf_bytes_free <v>\r\n
STAT read_buf_oom <v>\r\n
STAT reserved_fds <v>\r\n
STAT cmd_get <v>\r\n
STAT cmd_set <v>\r\n
STAT cmd_flush <v>\r\n
STAT cmd_touch <v>\r\n
STAT cmd_meta <v>\r\n
STAT get_hits <v>\r\n
STAT get_misses <v>\r\n
STAT get_expired <v>\r\n
STAT get_flushed <v>\r\n
STAT delete_misses <v>\r\n
STAT delete_hits <v>\r\n
STAT incr_misses <v>\r\n
STAT incr_hits <v>\r\n
STAT decr_misses <v>\r\n
STAT decr_hits <v>\r\n
STAT cas_misses <v>\r\n
STAT cas_hits <v>\r\n
STAT cas_badval <v>\r\n
STAT touch_hits <v>\r\n
STAT touch_misses <v>\r\n
STAT store_too_large <v>\r\n
STAT store_no_memory <v>\r\n
STAT auth_cmds <v>\r\n
STAT auth_errors <v>\r\n
STAT bytes_read <v>\r\n
STAT bytes_written <v>\r\n
STAT limit_maxbytes <v>\r\n
STAT accepting_conns <v>\r\n
STAT listen_disabled_num <v>\r\n
STAT time_in_listen_disabled_us <v>\r\n
STAT threads <v>\r\n
STAT conn_yields <v>\r\n
STAT hash_power_level <v>\r\n
STAT hash_bytes <v>\r\n
STAT hash_is_expanding <v>\r\n
STAT slab_reassign_rescues <v>\r\n
STAT slab_reassign_chunk_rescues <v>\r\n
STAT slab_reassign_evictions_nomem <v>\r\n
STAT slab_reassign_inline_reclaim <v>\r\n
STAT slab_reassign_busy_items <v>\r\n
STAT slab_reassign_busy_deletes <v>\r\n
STAT slab_reassign_running <v>\r\n
STAT slabs_moved <v>\r\n
STAT lru_crawler_running <v>\r\n
STAT lru_crawler_starts <v>\r\n
STAT lru_maintainer_juggles <v>\r\n
STAT malloc_fails <v>\r\n
STAT log_worker_dropped <v>\r\n
STAT log_worker_written <v>\r\n
STAT log_watcher_skipped <v>\r\n
STAT log_watcher_sent <v>\r\n
STAT log_watchers <v>\r\n
STAT unexpected_napi_ids <v>\r\n
STAT round_robin_fallback <v>\r\n
STAT bytes <v>\r\n
STAT curr_items <v>\r\n
STAT total_items <v>\r\n
STAT slab_global_page_pool <v>\r\n
STAT expired_unfetched <v>\r\n
STAT evicted_unfetched <v>\r\n
STAT evicted_active <v>\r\n
STAT evictions <v>\r\n
STAT reclaimed <v>\r\n
STAT crawler_reclaimed <v>\r\n
STAT crawler_items_checked <v>\r\n
STAT lrutail_reflocked <v>\r\n
STAT moves_to_cold <v>\r\n
STAT moves_to_warm <v>\r\n
STAT moves_within_lru <v>\r\n
STAT direct_reclaims <v>\r\n
STAT lru_bumps_dropped <v>\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bget-is-unknown': Old(O_WORD, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-gats-no-key': Old(O_PARSER, r"""
END\r\n
VERSION <version>\r\n
"""),
    'text-gat-bad-exptime-no-key': Old(O_STRICT, r"""
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
"""),
    'text-storage-too-few': Old(O_PARSER, r"""
ERROR\r\n
ERROR\r\n
ERROR\r\n
ERROR\r\n
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-decr-touch-too-few': Old(O_PARSER, r"""
ERROR\r\n
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-get-only-spaces': Old(O_PARSER, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-set-extra-tokens-stores': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-noreply-then-extra': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-noreply-23rd-token': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-noreply-24th-token': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-cas-extra-tokens': Old(O_LENIENT, r"""
STORED\r\n
VALUE k 0 2 #1\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
ERROR\r\n
ERROR\r\n
VALUE k 0 2\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-incr-extra-tokens': Old(O_LENIENT, r"""
STORED\r\n
ERROR\r\n
4\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-touch-extra-tokens': Old(O_LENIENT, r"""
STORED\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-delete-extra-tokens': Old(O_LENIENT, r"""
STORED\r\n
STORED\r\n
STORED\r\n
ERROR\r\n
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VALUE a 0 1\r\n
  data: 1\r\n
VALUE b 0 1\r\n
  data: 2\r\n
VALUE c 0 1\r\n
  data: 3\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-delete-key-named-noreply': Old(O_LENIENT, r"""
STORED\r\n
DELETED\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-flush-all-extra-tokens': Old(O_LENIENT, r"""
STORED\r\n
ERROR\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-verbosity-extra-tokens': Old(O_LENIENT, r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-noreply-alone': Old(O_NOREPLY, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-unknown-leading-space-noreply': Old(O_NOREPLY, r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-incr-delta-tab': Old(O_STRICT, r"""
STORED\r\n
6\r\n
VERSION <version>\r\n
"""),
    'text-incr-delta-23-digits': Old(O_STRICT, r"""
STORED\r\n
6\r\n
VERSION <version>\r\n
"""),
    'text-touch-exptime-plus': Old(O_STRICT, r"""
STORED\r\n
TOUCHED\r\n
VERSION <version>\r\n
"""),
    'text-touch-exptime-dash': Old(O_STRICT, r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-touch-exptime-over-int32': Old(O_STRICT, r"""
STORED\r\n
TOUCHED\r\n
VERSION <version>\r\n
"""),
    'text-gat-exptime-plus': Old(O_STRICT, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-gat-exptime-dash': Old(O_STRICT, r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
"""),
    'text-flush-all-delay-plus': Old(O_STRICT, r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-flush-all-delay-dash': Old(O_STRICT, r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-verbosity-strict': Old(O_STRICT, r"""
OK\r\n
OK\r\n
OK\r\n
OK\r\n
OK\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-dash': Old(O_STRICT, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-tab': Old(O_STRICT, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-12-digits': Old(O_STRICT, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-cas-unique-plus': Old(O_STRICT, r"""
STORED\r\n
EXISTS\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-flags-whitespace-token': Old(O_FLAGS_WS, r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-in-key': Old(O_NUL, r"""
STORED\r\n
ERROR\r\n
ERROR\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-flags': Old(O_NUL, r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-bytes': Old(O_NUL, r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-delta': Old(O_NUL, r"""
STORED\r\n
6\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-command': Old(O_NUL, r"""
OK\r\n
VERSION <version>\r\n
VERSION <version>\r\n
"""),
    'meta-me-b-key-not-base64': Old(O_ME_B, r"""
HD\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-md-flag-messages': Old(O_META_TEXT, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-ma-flag-messages': Old(O_META_TEXT, r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR options flags too long\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
NF\r\n
VERSION <version>\r\n
"""),
    'meta-md-too-many-flags': Old(O_META_TEXT, r"""
CLIENT_ERROR options flags too long\r\n
CLIENT_ERROR options flags too long\r\n
VERSION <version>\r\n
"""),
    'meta-M-takes-one-byte': Old(O_META_TEXT, r"""
CLIENT_ERROR incorrect length for M token\r\n
CLIENT_ERROR incorrect length for M token\r\n
CLIENT_ERROR incorrect length for M token\r\n
VERSION <version>\r\n
"""),
    'meta-flag-numbers-strict': Old(O_META_TEXT, r"""
HD\r\n
VA 1\r\n
  data: v\r\n
HD\r\n
VA 1\r\n
  data: w\r\n
VERSION <version>\r\n
"""),
    'meta-flag-first-byte': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid flag\r\n
CLIENT_ERROR invalid flag\r\n
CLIENT_ERROR invalid flag\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-ma-q-vivify-hidden': Old(O_META_TEXT, r"""
HD\r\n
VA 1\r\n
  data: 7\r\n
VA 1\r\n
  data: 7\r\n
VERSION <version>\r\n
"""),
    'meta-ms-too-many-flags-swallows': Old(O_META_TOKENS, r"""
CLIENT_ERROR options flags too long\r\n
MN\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-bang': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-brace': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-at': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-high': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-digit': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-md': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-ma': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-me': Old(O_FLAG_BYTE, r"""
HD\r\n
ME k exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-ms-no-swallow': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-flag-byte-at-23-tokens': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR options flags are too long\r\n
VERSION <version>\r\n
"""),
    'meta-45-T-plus': Old(O_STRICT, r"""
HD\r\n
HD t~0-9\r\n
HD t~0-9\r\n
VERSION <version>\r\n
"""),
    'meta-45-T-12-bytes': Old(O_STRICT, r"""
EN\r\n
VERSION <version>\r\n
"""),
    'meta-45-T-minus-only': Old(O_STRICT, r"""
HD\r\n
CLIENT_ERROR bad token in command line format\r\n
VERSION <version>\r\n
"""),
    'meta-45-F-plus': Old(O_STRICT, r"""
HD\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-45-F-12-bytes': Old(O_STRICT, r"""
HD\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-45-C-plus': Old(O_STRICT, r"""
NF\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-45-C-23-bytes': Old(O_STRICT, r"""
NF\r\n
VERSION <version>\r\n
"""),
    'meta-45-D-plus': Old(O_STRICT, r"""
HD\r\n
VA 1\r\n
  data: 6\r\n
VA 1\r\n
  data: 6\r\n
VERSION <version>\r\n
"""),
    'meta-45-J-plus': Old(O_STRICT, r"""
VA 1\r\n
  data: 5\r\n
VERSION <version>\r\n
"""),
    'meta-45-N-plus': Old(O_STRICT, r"""
VA 0 W\r\n
  data: \r\n
VA 0 Z\r\n
  data: \r\n
VERSION <version>\r\n
"""),
    'meta-45-md-bad-C': Old(O_META_TEXT, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-bad-F': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-bad-F-then-T': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-bad-base64': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-duplicate': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-unknown': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-ma-key-too-long': Old(O_META_TEXT, r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-45-ma-bad-mode-bare': Old(O_META_TEXT, r"""
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-ma-mode-first-byte': Old(O_META_TEXT, r"""
HD\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
CLIENT_ERROR invalid or duplicate flag\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-mode-first-byte': Old(O_META_TEXT, r"""
CLIENT_ERROR incorrect length for M token\r\n
CLIENT_ERROR incorrect length for M token\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-mode-bare': Old(O_META_TEXT, r"""
CLIENT_ERROR incorrect length for M token\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-45-mg-mode-ignored': Old(O_META_TEXT, r"""
HD\r\n
CLIENT_ERROR incorrect length for M token\r\n
CLIENT_ERROR incorrect length for M token\r\n
VERSION <version>\r\n
"""),
    'meta-45-mg-20-tokens': Old(O_META_TOKENS, r"""
CLIENT_ERROR options flags are too long\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-20-tokens': Old(O_META_TEXT, r"""
CLIENT_ERROR options flags too long\r\n
VERSION <version>\r\n
"""),
    'meta-45-md-21-tokens': Old(O_META_TEXT, r"""
CLIENT_ERROR options flags too long\r\n
VERSION <version>\r\n
"""),
    'meta-45-ma-20-tokens': Old(O_META_TEXT, r"""
CLIENT_ERROR options flags too long\r\n
VERSION <version>\r\n
"""),
    'meta-45-ma-21-tokens': Old(O_META_TEXT, r"""
CLIENT_ERROR options flags too long\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-20-tokens': Old(O_META_TOKENS, r"""
CLIENT_ERROR options flags too long\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-21-tokens': Old(O_META_TOKENS, r"""
CLIENT_ERROR options flags too long\r\n
ERROR\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-s-append': Old(O_NEWER, r"""
HD\r\n
HD\r\n
HD c#1 kk O5\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-s-not-stored': Old(O_NEWER, r"""
NS\r\n
NS kk\r\n
STORED\r\n
NS\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-s-vivify': Old(O_NEWER, r"""
NS\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-s-cas': Old(O_NEWER, r"""
NF\r\n
HD\r\n
EX\r\n
VERSION <version>\r\n
"""),
    'meta-45-ms-s-q': Old(O_NEWER, r"""
NS\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'meta-45-errors-ignore-q': Old(O_FLAG_BYTE, r"""
CLIENT_ERROR invalid flag\r\n
CLIENT_ERROR invalid mode for ma M token\r\n
MN\r\n
VERSION <version>\r\n
"""),
    'bin-45-body-over-1gib': Old(O_BODY, r"""

"""),
    'bin-45-body-over-1gib-unknown-op': Old(O_BODY, r"""

"""),
}
