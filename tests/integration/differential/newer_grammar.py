"""Conversations where memcached 1.6.18 (Debian, the harness's reference today)
differs from memcached 1.6.45 in the classic command-line grammar (issue 18:
the text front end 1.6.45 rewrote; proto/text.c's table). Each entry holds
1.6.18's bytes and mnemod's, which are 1.6.45's (each checked against a
running 1.6.45 with the harness). conv_text.py and conv_meta.py apply them
with document_newer(conversations, GRAMMAR).
"""

SHORT_LINE = ("memcached 1.6.45 refuses a line shorter than 4 bytes with its newline ('\\r\\n', "
              "'x\\r\\n', 'mn\\n', the rest of a bad data block) with CLIENT_ERROR bad command "
              "line format before reading it; 1.6.18 answered ERROR (MN for 'mn\\n')")
TOO_FEW = ("memcached 1.6.45 counts a command's tokens first: too few (get, gat 100, set k 0 0, "
           "incr k, touch k, delete, verbosity, a meta command without a key) is CLIENT_ERROR bad "
           "command line format; 1.6.18 answered ERROR (END for a gat without keys)")
EXTRA = ("memcached 1.6.45 ignores tokens after a command's arguments, and the last of the first "
         "23 decides noreply; 1.6.18 refused such lines (ERROR, or delete's usage message)")
STRICT = ("memcached 1.6.45 reads incr/decr's delta, the exptime of touch/gat/flush_all, "
          "verbosity's level and a storage length or cas unique as strict digits (an optional "
          "'-', which alone reads 0; no '+', tab or NUL; 11 or 22 bytes at most); 1.6.18 read "
          "them with strtol/strtoul")
COMMAND_WORD = ("memcached 1.6.45 takes the bytes before the first ' ' as the command: no "
                "leading spaces (admin commands excepted), no bget alias; 1.6.18 skipped "
                "leading spaces and still knew bget")
UNKNOWN_NOREPLY = ("memcached 1.6.45 honours a last token 'noreply' on an unknown command; "
                   "1.6.18 answered ERROR")
STRTOUL = ("memcached 1.6.45 reads a storage line's flags and exptime with strtoul/strtol "
           "from the token's first byte on, so a whitespace-only token reads on into the "
           "next one; 1.6.18 read each token alone")
NUL = ("memcached 1.6.45 treats NUL as an ordinary byte (part of a key or a command word; "
       "strtoul stops at it after flags); 1.6.18 ended the line at the first NUL")

GRAMMAR = {
    'text-set-noreply-bad-chunk': (SHORT_LINE,
         r"""
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-cas-bad-chunk': (SHORT_LINE,
         r"""
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
""",
         r"""
STORED\r\n
VALUE k 0 2 #1\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
CLIENT_ERROR bad data chunk\r\n
CLIENT_ERROR bad command line format\r\n
VALUE k 0 2\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bad-empty-line': (SHORT_LINE,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-negative-bytes': (SHORT_LINE,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-non-numeric-bytes': (SHORT_LINE,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bytes-trailing-junk': (SHORT_LINE,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-bad-data-chunk': (SHORT_LINE,
         r"""
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad data chunk\r\n
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-bad-set-data-missing-crlf': (SHORT_LINE,
         r"""
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad data chunk\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-append-bad-bytes': (SHORT_LINE,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-nul-command': (SHORT_LINE,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-ms-bad-data-chunk': (SHORT_LINE,
         r"""
CLIENT_ERROR bad data chunk\r\n
ERROR\r\n
EN\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad data chunk\r\n
CLIENT_ERROR bad command line format\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-bad-mn-lf': (SHORT_LINE,
         r"""
MN\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-short-lines': (SHORT_LINE,
         r"""
ERROR\r\n
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-short-stray-data-line': (SHORT_LINE,
         r"""
STORED\r\n
ERROR\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-gat-no-key': (TOO_FEW,
         r"""
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-get-no-key': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-gets-no-key': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-incr-alone': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-incr-no-delta': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-touch-no-exptime': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-alone': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-gat-alone': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-verbosity-alone': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-ms-no-key': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-md-no-key': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-ma-no-key': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-bad-mg-alone': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-gats-no-key': (TOO_FEW,
         r"""
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-gat-bad-exptime-no-key': (TOO_FEW,
         r"""
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-storage-too-few': (TOO_FEW,
         r"""
ERROR\r\n
ERROR\r\n
ERROR\r\n
ERROR\r\n
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-decr-touch-too-few': (TOO_FEW,
         r"""
ERROR\r\n
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-get-only-spaces': (TOO_FEW,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-nonzero-time': (EXTRA,
         r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
""",
         r"""
NOT_FOUND\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-junk': (EXTRA,
         r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
""",
         r"""
NOT_FOUND\r\n
VERSION <version>\r\n
"""),
    'text-bad-delete-0-junk': (EXTRA,
         r"""
CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n
VERSION <version>\r\n
""",
         r"""
NOT_FOUND\r\n
VERSION <version>\r\n
"""),
    'text-bad-verbosity-too-many': (EXTRA,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
OK\r\n
VERSION <version>\r\n
"""),
    'text-set-extra-tokens-stores': (EXTRA,
         r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-noreply-then-extra': (EXTRA,
         r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: y\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-noreply-23rd-token': (EXTRA,
         r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
VALUE k 0 1\r\n
  data: y\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-noreply-24th-token': (EXTRA,
         r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: y\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-cas-extra-tokens': (EXTRA,
         r"""
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
""",
         r"""
STORED\r\n
VALUE k 0 2 #1\r\n
  data: v1\r\n
END\r\n
VERSION <version>\r\n
STORED\r\n
VALUE k 0 2\r\n
  data: v2\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-incr-extra-tokens': (EXTRA,
         r"""
STORED\r\n
ERROR\r\n
4\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
6\r\n
5\r\n
6\r\n
VERSION <version>\r\n
"""),
    'text-touch-extra-tokens': (EXTRA,
         r"""
STORED\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
TOUCHED\r\n
VERSION <version>\r\n
"""),
    'text-delete-extra-tokens': (EXTRA,
         r"""
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
""",
         r"""
STORED\r\n
STORED\r\n
STORED\r\n
DELETED\r\n
DELETED\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-delete-key-named-noreply': (EXTRA,
         r"""
STORED\r\n
DELETED\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-flush-all-extra-tokens': (EXTRA,
         r"""
STORED\r\n
ERROR\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-verbosity-extra-tokens': (EXTRA,
         r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
OK\r\n
OK\r\n
VERSION <version>\r\n
"""),
    'text-bad-incr-delta-leading-plus': (STRICT,
         r"""
STORED\r\n
3\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid numeric delta argument\r\n
VERSION <version>\r\n
"""),
    'text-incr-delta-tab': (STRICT,
         r"""
STORED\r\n
6\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid numeric delta argument\r\n
VERSION <version>\r\n
"""),
    'text-incr-delta-23-digits': (STRICT,
         r"""
STORED\r\n
6\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid numeric delta argument\r\n
VERSION <version>\r\n
"""),
    'text-touch-exptime-plus': (STRICT,
         r"""
STORED\r\n
TOUCHED\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
"""),
    'text-touch-exptime-dash': (STRICT,
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
TOUCHED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-touch-exptime-over-int32': (STRICT,
         r"""
STORED\r\n
TOUCHED\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
"""),
    'text-gat-exptime-plus': (STRICT,
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
"""),
    'text-gat-exptime-dash': (STRICT,
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-flush-all-delay-plus': (STRICT,
         r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-flush-all-delay-dash': (STRICT,
         r"""
STORED\r\n
CLIENT_ERROR invalid exptime argument\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
OK\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-verbosity-strict': (STRICT,
         r"""
OK\r\n
OK\r\n
OK\r\n
OK\r\n
OK\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
OK\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-dash': (STRICT,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 0 0\r\n
  data: \r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-tab': (STRICT,
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-set-bytes-12-digits': (STRICT,
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-cas-unique-plus': (STRICT,
         r"""
STORED\r\n
EXISTS\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-leading-space-get': (COMMAND_WORD,
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-leading-space-meta': (COMMAND_WORD,
         r"""
STORED\r\n
VA 1\r\n
  data: v\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-leading-space-stats': (COMMAND_WORD,
         r"""
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
""",
         r"""
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-bget-is-unknown': (COMMAND_WORD,
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: v\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
    'text-noreply-alone': (UNKNOWN_NOREPLY,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
VERSION <version>\r\n
"""),
    'text-unknown-leading-space-noreply': (UNKNOWN_NOREPLY,
         r"""
ERROR\r\n
VERSION <version>\r\n
""",
         r"""
VERSION <version>\r\n
"""),
    'text-set-flags-whitespace-token': (STRTOUL,
         r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 5 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-in-key': (NUL,
         r"""
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
""",
         r"""
STORED\r\n
STORED\r\n
VALUE a\x00b 0 1\r\n
  data: 2\r\n
END\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-flags': (NUL,
         r"""
ERROR\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
VALUE k 5 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-bytes': (NUL,
         r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
""",
         r"""
CLIENT_ERROR bad command line format\r\n
CLIENT_ERROR bad command line format\r\n
END\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-delta': (NUL,
         r"""
STORED\r\n
6\r\n
VERSION <version>\r\n
""",
         r"""
STORED\r\n
CLIENT_ERROR invalid numeric delta argument\r\n
VERSION <version>\r\n
"""),
    'text-nul-after-command': (NUL,
         r"""
OK\r\n
VERSION <version>\r\n
VERSION <version>\r\n
""",
         r"""
ERROR\r\n
ERROR\r\n
VERSION <version>\r\n
"""),
}
