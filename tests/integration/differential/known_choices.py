"""Documented differences from memcached 1.6.18 that are mnemod's own choices
(not memcached bugs): each conversation is checked against each server's own
expected bytes. conv_*.py apply them by name (see document_differences)."""

KNOWN = {
    'text-stats-names': (
        "mnemod reports the general stats that exist in its design (memcached's names and order where they exist); it has no slab mover, LRU crawler, logger watchers or libevent to report on, so those names are absent",
        'STAT pid <v>\\r\\n\nSTAT uptime <v>\\r\\n\nSTAT time <v>\\r\\n\nSTAT version <v>\\r\\n\nSTAT libevent <v>\\r\\n\nSTAT pointer_size <v>\\r\\n\nSTAT rusage_user <v>\\r\\n\nSTAT rusage_system <v>\\r\\n\nSTAT max_connections <v>\\r\\n\nSTAT curr_connections <v>\\r\\n\nSTAT total_connections <v>\\r\\n\nSTAT rejected_connections <v>\\r\\n\nSTAT connection_structures <v>\\r\\n\nSTAT response_obj_oom <v>\\r\\n\nSTAT response_obj_count <v>\\r\\n\nSTAT response_obj_bytes <v>\\r\\n\nSTAT read_buf_count <v>\\r\\n\nSTAT read_buf_bytes <v>\\r\\n\nSTAT read_buf_bytes_free <v>\\r\\n\nSTAT read_buf_oom <v>\\r\\n\nSTAT reserved_fds <v>\\r\\n\nSTAT cmd_get <v>\\r\\n\nSTAT cmd_set <v>\\r\\n\nSTAT cmd_flush <v>\\r\\n\nSTAT cmd_touch <v>\\r\\n\nSTAT cmd_meta <v>\\r\\n\nSTAT get_hits <v>\\r\\n\nSTAT get_misses <v>\\r\\n\nSTAT get_expired <v>\\r\\n\nSTAT get_flushed <v>\\r\\n\nSTAT delete_misses <v>\\r\\n\nSTAT delete_hits <v>\\r\\n\nSTAT incr_misses <v>\\r\\n\nSTAT incr_hits <v>\\r\\n\nSTAT decr_misses <v>\\r\\n\nSTAT decr_hits <v>\\r\\n\nSTAT cas_misses <v>\\r\\n\nSTAT cas_hits <v>\\r\\n\nSTAT cas_badval <v>\\r\\n\nSTAT touch_hits <v>\\r\\n\nSTAT touch_misses <v>\\r\\n\nSTAT store_too_large <v>\\r\\n\nSTAT store_no_memory <v>\\r\\n\nSTAT auth_cmds <v>\\r\\n\nSTAT auth_errors <v>\\r\\n\nSTAT bytes_read <v>\\r\\n\nSTAT bytes_written <v>\\r\\n\nSTAT limit_maxbytes <v>\\r\\n\nSTAT accepting_conns <v>\\r\\n\nSTAT listen_disabled_num <v>\\r\\n\nSTAT time_in_listen_disabled_us <v>\\r\\n\nSTAT threads <v>\\r\\n\nSTAT conn_yields <v>\\r\\n\nSTAT hash_power_level <v>\\r\\n\nSTAT hash_bytes <v>\\r\\n\nSTAT hash_is_expanding <v>\\r\\n\nSTAT slab_reassign_rescues <v>\\r\\n\nSTAT slab_reassign_chunk_rescues <v>\\r\\n\nSTAT slab_reassign_evictions_nomem <v>\\r\\n\nSTAT slab_reassign_inline_reclaim <v>\\r\\n\nSTAT slab_reassign_busy_items <v>\\r\\n\nSTAT slab_reassign_busy_deletes <v>\\r\\n\nSTAT slab_reassign_running <v>\\r\\n\nSTAT slabs_moved <v>\\r\\n\nSTAT lru_crawler_running <v>\\r\\n\nSTAT lru_crawler_starts <v>\\r\\n\nSTAT lru_maintainer_juggles <v>\\r\\n\nSTAT malloc_fails <v>\\r\\n\nSTAT log_worker_dropped <v>\\r\\n\nSTAT log_worker_written <v>\\r\\n\nSTAT log_watcher_skipped <v>\\r\\n\nSTAT log_watcher_sent <v>\\r\\n\nSTAT log_watchers <v>\\r\\n\nSTAT unexpected_napi_ids <v>\\r\\n\nSTAT round_robin_fallback <v>\\r\\n\nSTAT bytes <v>\\r\\n\nSTAT curr_items <v>\\r\\n\nSTAT total_items <v>\\r\\n\nSTAT slab_global_page_pool <v>\\r\\n\nSTAT expired_unfetched <v>\\r\\n\nSTAT evicted_unfetched <v>\\r\\n\nSTAT evicted_active <v>\\r\\n\nSTAT evictions <v>\\r\\n\nSTAT reclaimed <v>\\r\\n\nSTAT crawler_reclaimed <v>\\r\\n\nSTAT crawler_items_checked <v>\\r\\n\nSTAT lrutail_reflocked <v>\\r\\n\nSTAT moves_to_cold <v>\\r\\n\nSTAT moves_to_warm <v>\\r\\n\nSTAT moves_within_lru <v>\\r\\n\nSTAT direct_reclaims <v>\\r\\n\nSTAT lru_bumps_dropped <v>\\r\\n\nEND\\r\\n\nVERSION <version>\\r\\n',
        'STAT pid <v>\\r\\n\nSTAT uptime <v>\\r\\n\nSTAT time <v>\\r\\n\nSTAT version <v>\\r\\n\nSTAT pointer_size <v>\\r\\n\nSTAT rusage_user <v>\\r\\n\nSTAT rusage_system <v>\\r\\n\nSTAT max_connections <v>\\r\\n\nSTAT curr_connections <v>\\r\\n\nSTAT total_connections <v>\\r\\n\nSTAT rejected_connections <v>\\r\\n\nSTAT cmd_get <v>\\r\\n\nSTAT cmd_set <v>\\r\\n\nSTAT cmd_flush <v>\\r\\n\nSTAT cmd_touch <v>\\r\\n\nSTAT get_hits <v>\\r\\n\nSTAT get_misses <v>\\r\\n\nSTAT get_expired <v>\\r\\n\nSTAT get_flushed <v>\\r\\n\nSTAT delete_misses <v>\\r\\n\nSTAT delete_hits <v>\\r\\n\nSTAT incr_misses <v>\\r\\n\nSTAT incr_hits <v>\\r\\n\nSTAT decr_misses <v>\\r\\n\nSTAT decr_hits <v>\\r\\n\nSTAT cas_misses <v>\\r\\n\nSTAT cas_hits <v>\\r\\n\nSTAT cas_badval <v>\\r\\n\nSTAT touch_hits <v>\\r\\n\nSTAT touch_misses <v>\\r\\n\nSTAT bytes_read <v>\\r\\n\nSTAT bytes_written <v>\\r\\n\nSTAT limit_maxbytes <v>\\r\\n\nSTAT threads <v>\\r\\n\nSTAT conn_yields <v>\\r\\n\nSTAT hash_bytes <v>\\r\\n\nSTAT curr_items <v>\\r\\n\nSTAT total_items <v>\\r\\n\nSTAT bytes <v>\\r\\n\nSTAT evictions <v>\\r\\n\nSTAT reclaimed <v>\\r\\n\nSTAT expired_unfetched <v>\\r\\n\nSTAT evicted_unfetched <v>\\r\\n\nEND\\r\\n\nVERSION <version>\\r\\n',
    ),
    'bin-stat-all': (
        'same as text-stats-names, over the binary protocol',
        'RES stat status=0x0000 opaque=0x5 cas=0 key=pid value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=uptime value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=time value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=version value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=libevent value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=pointer_size value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=rusage_user value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=rusage_system value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=max_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=curr_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=total_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=rejected_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=connection_structures value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_oom value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_count value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=response_obj_bytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_count value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_bytes_free value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=read_buf_oom value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=reserved_fds value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_get value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_set value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_flush value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_touch value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_meta value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_expired value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_flushed value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=delete_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=delete_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=incr_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=incr_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=decr_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=decr_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cas_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cas_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cas_badval value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=touch_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=touch_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=store_too_large value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=store_no_memory value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=auth_cmds value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=auth_errors value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=bytes_read value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=bytes_written value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=limit_maxbytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=accepting_conns value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=listen_disabled_num value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=time_in_listen_disabled_us value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=threads value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=conn_yields value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=hash_power_level value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=hash_bytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=hash_is_expanding value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_rescues value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_chunk_rescues value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_evictions_nomem value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_inline_reclaim value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_items value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_busy_deletes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_reassign_running value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slabs_moved value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_running value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=lru_crawler_starts value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=lru_maintainer_juggles value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=malloc_fails value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_dropped value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=log_worker_written value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_skipped value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=log_watcher_sent value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=log_watchers value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=unexpected_napi_ids value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=round_robin_fallback value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=bytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=curr_items value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=total_items value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=slab_global_page_pool value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=expired_unfetched value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=evicted_unfetched value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=evicted_active value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=evictions value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=reclaimed value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=crawler_reclaimed value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=crawler_items_checked value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=lrutail_reflocked value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_cold value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=moves_to_warm value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=moves_within_lru value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=direct_reclaims value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=lru_bumps_dropped value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0\nRES noop status=0x0000 opaque=0xf3f3f3f3 cas=0',
        'RES stat status=0x0000 opaque=0x5 cas=0 key=pid value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=uptime value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=time value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=version value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=pointer_size value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=rusage_user value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=rusage_system value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=max_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=curr_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=total_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=rejected_connections value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_get value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_set value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_flush value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cmd_touch value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_expired value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=get_flushed value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=delete_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=delete_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=incr_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=incr_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=decr_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=decr_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cas_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cas_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=cas_badval value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=touch_hits value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=touch_misses value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=bytes_read value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=bytes_written value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=limit_maxbytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=threads value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=conn_yields value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=hash_bytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=curr_items value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=total_items value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=bytes value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=evictions value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=reclaimed value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=expired_unfetched value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0 key=evicted_unfetched value=<v>\nRES stat status=0x0000 opaque=0x5 cas=0\nRES noop status=0x0000 opaque=0xf3f3f3f3 cas=0',
    ),
    'meta-me-base64': (
        'with the b flag, memcached 1.6.18 prints the key the way the item stored it; mnemod prints it the way this request spelled it',
        'HD\\r\\n\nME k exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\\r\\n\nVERSION <version>\\r\\n',
        'HD\\r\\n\nME aw== exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\\r\\n\nVERSION <version>\\r\\n',
    ),
    'meta-b64-k-returns-encoded': (
        'the k return flag: memcached 1.6.18 echoes the key as the item stored it (a plainly stored key comes back plain, without b); mnemod echoes the key in the encoding the request used',
        'HD\\r\\n\nVA 1 kplain\\r\\n\n  data: v\\r\\n\nVERSION <version>\\r\\n',
        'HD\\r\\n\nVA 1 kcGxhaW4= b\\r\\n\n  data: v\\r\\n\nVERSION <version>\\r\\n',
    ),
}


# Where mnemod deliberately answers otherwise than memcached 1.6.45, the release it
# follows (issue 18; each is a plain bug of 1.6.45): name -> (why, 1.6.45's display
# lines, or a list of the outcomes it gives, and mnemod's). test_differential.py's
# test_deviation_from_1_6_45 checks both sides; README.md "Differences from memcached"
# says the same in prose.
_KEY_251 = ("a get whose key is over 250 bytes: memcached 1.6.45 copies its error message "
            "with its CRLF and sends it with another (an empty line), and drops the unsent "
            "replies of the earlier commands of the same read, which the client asked for "
            "(1.6.18 dropped some of them too); mnemod sends the error alone and keeps every "
            "earlier reply")
_ME_B = ("'me <key> b': memcached 1.6.45 ignores a b that ends the line (its token count still "
         "includes the terminal token of its old tokenizer) and looks up the base64 text "
         "itself; protocol.txt says b means the key is base64, and mnemod decodes it, as "
         "1.6.18 did")
_OVER_SWALLOW = ("an unknown opcode (binary verbosity included) with extras or a key: memcached "
                 "1.6.45 skips the body counted from after the extras and key, so it eats that "
                 "many bytes of the next request, holds its reply until they arrive and loses "
                 "its place in the stream; mnemod answers 'Unknown command' and skips exactly "
                 "the body")
_OPAQUE = ("a too-long opaque: memcached 1.6.45 answers 'opaque token too long' after ma has "
           "counted, mg has vivified or mg T has touched (it checks the opaque while writing "
           "the reply): an error for a command that took effect; mnemod refuses the line "
           "before it does anything (1.6.18 had the same bug)")
DEVIATIONS_FROM_1_6_45 = {
    'text-key-251-get': (_KEY_251, r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-key-251-in-multiget': (_KEY_251, r"""
STORED\r\n
VERSION <version>\r\n
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
VERSION <version>\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-key-251-after-get': (_KEY_251, r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
VALUE a 0 1\r\n
  data: 1\r\n
END\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-known-key-251-drops-queued-replies': (_KEY_251, r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'text-bad-line-2000': (_KEY_251, r"""
CLIENT_ERROR bad command line format\r\n
\r\n
VERSION <version>\r\n
""", r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'meta-me-base64': (_ME_B, r"""
HD\r\n
EN\r\n
VERSION <version>\r\n
""", r"""
HD\r\n
ME aw== exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
"""),
    'meta-me-b-key-not-base64': (_ME_B, r"""
HD\r\n
ME k exp=-1 la=~0-9 cas=#1 fetch=no cls=<n> size=<n>\r\n
VERSION <version>\r\n
""", r"""
HD\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""),
    'bin-known-verbosity': (_OVER_SWALLOW, r"""

""", r"""
RES verbosity status=0x0081 opaque=0x11 cas=0 value=Unknown command
"""),
    'bin-known-unknown-op-with-key': (_OVER_SWALLOW, [r"""
<connection closed>
""", r"""
RES 0x25 status=0x0081 opaque=0x55 cas=0 value=Unknown command
<connection closed>
"""], r"""
RES 0x25 status=0x0081 opaque=0x55 cas=0 value=Unknown command
RES get status=0x0001 opaque=0x56 cas=0 value=Not found
"""),
    'bin-known-unknown-op-with-extras': (_OVER_SWALLOW, r"""
RES 0x25 status=0x0081 opaque=0x55 cas=0 value=Unknown command
""", r"""
RES 0x25 status=0x0081 opaque=0x55 cas=0 value=Unknown command
RES get status=0x0001 opaque=0x56 cas=0 value=Not found
"""),
    'meta-known-opaque-long-ma-no-effect': (_OPAQUE, r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
VA 1\r\n
  data: 6\r\n
VERSION <version>\r\n
""", r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
VA 1\r\n
  data: 5\r\n
VERSION <version>\r\n
"""),
    'meta-known-opaque-long-mg-no-vivify': (_OPAQUE, r"""
CLIENT_ERROR opaque token too long\r\n
VA 0\r\n
  data: \r\n
VERSION <version>\r\n
""", r"""
CLIENT_ERROR opaque token too long\r\n
EN\r\n
VERSION <version>\r\n
"""),
    'meta-known-opaque-long-mg-no-touch': (_OPAQUE, r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
HD t~0-9\r\n
VERSION <version>\r\n
""", r"""
HD\r\n
CLIENT_ERROR opaque token too long\r\n
HD t~100\r\n
VERSION <version>\r\n
"""),
}



def document_differences(conversations):
    """Attach the documented differences above to conversations (by name)."""
    by_name = {c.name: c for c in conversations}
    for name, (why, memcached, mnemod) in KNOWN.items():
        conv = by_name.get(name)
        if conv is None:
            continue
        conv.known_difference = why
        conv.memcached = memcached
        conv.mnemod = mnemod
    return conversations
