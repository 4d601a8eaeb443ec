/* Unit tests for server/config: memcached's flags parse to the same
 * settings, and every bad value is an error with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int parse(struct config *cfg, int argc, char **argv, char *err)
{
    config_defaults(cfg);
    return config_parse(cfg, argc, argv, err, 256);
}

static void test_defaults(void **state)
{
    struct config cfg;
    char err[256];
    char *argv[] = {"mnemod"};
    assert_int_equal(parse(&cfg, ARGC(argv), argv, err), 0);
    assert_int_equal(cfg.port, 11211);
    assert_string_equal(cfg.listen, "127.0.0.1");
    assert_int_equal(cfg.maxbytes, 64u << 20);
    assert_int_equal(cfg.item_size_max, 1u << 20);
    assert_int_equal(cfg.maxconns, 1024);
    assert_true(cfg.num_threads >= 1);
    assert_true(cfg.use_cas && cfg.flush_enabled && cfg.evict_to_free);
    assert_false(cfg.shutdown_enabled);
    assert_false(cfg.large_pages);
    assert_true(cfg.huge_pages);
    assert_true(cfg.io_uring);
    assert_int_equal(cfg.io_uring_bufs, 64);
    assert_int_equal(cfg.poll_us, CONFIG_POLL_US_DEFAULT); /* io_uring workers poll */
    assert_true(CONFIG_POLL_US_DEFAULT > 0);
}

/* Every default, short flags and -o options, as config_defaults() fills
 * them in before a command line is read: memcached 1.6.45's (settings_init()),
 * mnemo's where mnemo differs or has its own. Issue 24 moved them into the
 * flag tables; this pins them. */
static void test_every_default(void **state)
{
    struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.port, 11211);
    assert_string_equal(cfg.listen, "127.0.0.1");
    assert_null(cfg.socketpath);
    assert_int_equal(cfg.udpport, 0);
    assert_int_equal(cfg.access, 0700);
    assert_int_equal(cfg.maxconns, 1024);
    assert_int_equal(cfg.maxbytes, 64u << 20);
    assert_int_equal(cfg.item_size_max, 1u << 20);
    assert_true(cfg.num_threads >= 1);
    assert_int_equal(cfg.verbose, 0);
    assert_false(cfg.daemonize || cfg.shutdown_enabled || cfg.lock_memory || cfg.large_pages);
    assert_false(cfg.maxcore || cfg.show_help || cfg.show_version);
    assert_null(cfg.pidfile);
    assert_null(cfg.username);
    assert_true(cfg.evict_to_free && cfg.use_cas && cfg.flush_enabled);
    assert_true(cfg.dump_enabled && cfg.watch_enabled);
    assert_int_equal(cfg.prefix_delimiter, ':');
    assert_false(cfg.detail_enabled); /* -D's default does not turn them on */
    assert_int_equal(cfg.num_napi_ids, 0);
    assert_int_equal(cfg.backlog, 1024);
    assert_int_equal(cfg.protocol, CONFIG_PROTO_AUTO);
    assert_int_equal(cfg.reqs_per_event, 20);
    assert_true(cfg.factor == 1.25);
    assert_int_equal(cfg.chunk_size, 48);
    /* -o */
    assert_true(cfg.huge_pages && cfg.io_uring);
    assert_int_equal(cfg.idle_timeout, 0);
    assert_int_equal(cfg.io_uring_bufs, 64);
    assert_int_equal(cfg.poll_us, -1); /* config_parse() picks it */
    assert_true(cfg.maxconns_fast && cfg.hash_expand && cfg.slab_reassign);
    assert_int_equal(cfg.hashpower_init, 0);
    assert_int_equal(cfg.slab_automove, 1);
    assert_true(cfg.slab_automove_ratio == 0.8);
    assert_int_equal(cfg.slab_automove_window, 10);
    assert_true(cfg.slab_automove_freeratio == 0.01);
    assert_int_equal(cfg.slab_chunk_max, CONFIG_SLAB_PAGE_SIZE / 2);
    assert_false(cfg.slab_chunk_max_set || cfg.slab_sizes_set);
    assert_int_equal(cfg.tail_repair_time, 0);
    assert_int_equal(cfg.hash_algorithm, CONFIG_HASH_DEFAULT);
    assert_true(cfg.lru_crawler && cfg.lru_maintainer && cfg.lru_segmented);
    assert_int_equal(cfg.lru_crawler_sleep, 100);
    assert_int_equal(cfg.lru_crawler_tocrawl, 0);
    assert_int_equal(cfg.hot_lru_pct, 20);
    assert_int_equal(cfg.warm_lru_pct, 40);
    assert_true(cfg.hot_max_factor == 0.2);
    assert_true(cfg.warm_max_factor == 2.0);
    assert_false(cfg.temp_lru);
    assert_int_equal(cfg.temporary_ttl, 61);
    assert_int_equal(cfg.watcher_logbuf_size, 256u << 10);
    assert_int_equal(cfg.worker_logbuf_size, 64u << 10);
    assert_int_equal(cfg.read_buf_mem_limit, 0);
    assert_false(cfg.track_sizes || cfg.drop_privileges);
    assert_int_equal(cfg.sock_cookie_id, 0);
}

static void test_io_uring_switch(void **state)
{
    struct config cfg;
    char err[256];
    char *off[] = {"mnemod", "-o", "idle_timeout=5,io_uring=off"};
    assert_int_equal(parse(&cfg, ARGC(off), off, err), 0);
    assert_false(cfg.io_uring);
    assert_int_equal(cfg.idle_timeout, 5);
    assert_int_equal(cfg.poll_us, 0); /* epoll workers have no look to make */
    char *off_nopoll[] = {"mnemod", "-o", "io_uring=off,poll_us=0"};
    assert_int_equal(parse(&cfg, ARGC(off_nopoll), off_nopoll, err), 0);
    assert_int_equal(cfg.poll_us, 0);
    char *nopoll[] = {"mnemod", "-o", "poll_us=0"};
    assert_int_equal(parse(&cfg, ARGC(nopoll), nopoll, err), 0);
    assert_true(cfg.io_uring);
    assert_int_equal(cfg.poll_us, 0);
    char *on[] = {"mnemod", "-o", "io_uring=off", "-o", "io_uring=on"};
    assert_int_equal(parse(&cfg, ARGC(on), on, err), 0);
    assert_true(cfg.io_uring);
    char *bufs[] = {"mnemod", "-o", "io_uring_bufs=1024"};
    assert_int_equal(parse(&cfg, ARGC(bufs), bufs, err), 0);
    assert_int_equal(cfg.io_uring_bufs, 1024);
    char *nobufs[] = {"mnemod", "-o", "io_uring_bufs=0"};
    assert_int_equal(parse(&cfg, ARGC(nobufs), nobufs, err), 0);
    assert_int_equal(cfg.io_uring_bufs, 0);
    char *poll[] = {"mnemod", "-o", "io_uring_bufs=64,poll_us=20"};
    assert_int_equal(parse(&cfg, ARGC(poll), poll, err), 0);
    assert_int_equal(cfg.poll_us, 20);
    assert_int_equal(cfg.io_uring_bufs, 64);
    char *poll_max[] = {"mnemod", "-o", "poll_us=1000"};
    assert_int_equal(parse(&cfg, ARGC(poll_max), poll_max, err), 0);
    assert_int_equal(cfg.poll_us, 1000);
}

static void test_huge_pages_switch(void **state)
{
    struct config cfg;
    char err[256];
    char *off[] = {"mnemod", "-o", "hugepages=off"};
    assert_int_equal(parse(&cfg, ARGC(off), off, err), 0);
    assert_false(cfg.huge_pages);
    assert_false(cfg.large_pages);
    char *on[] = {"mnemod", "-o", "hugepages=off,hugepages=on", "-L"};
    assert_int_equal(parse(&cfg, ARGC(on), on, err), 0);
    assert_true(cfg.huge_pages);
    assert_true(cfg.large_pages);
    /* -L preallocates; it does not turn huge pages back on */
    char *prealloc[] = {"mnemod", "-o", "hugepages=off", "-L"};
    assert_int_equal(parse(&cfg, ARGC(prealloc), prealloc, err), 0);
    assert_false(cfg.huge_pages);
    assert_true(cfg.large_pages);
}

static void test_memcached_command_line(void **state)
{
    struct config cfg;
    char err[256];
    char *argv[] = {"mnemod", "-p", "22122", "-U", "0", "-l", "0.0.0.0", "-m", "128", "-c", "10",
                    "-t", "2", "-I", "2m", "-M", "-C", "-F", "-A", "-b", "64", "-B", "ascii",
                    "-vv", "-R", "5", "-o", "modern,idle_timeout=30,hashpower=20", "-f", "1.5", "-n", "64",
                    "-L"};
    assert_int_equal(parse(&cfg, ARGC(argv), argv, err), 0);
    assert_int_equal(cfg.port, 22122);
    assert_string_equal(cfg.listen, "0.0.0.0");
    assert_int_equal(cfg.maxbytes, 128u << 20);
    assert_int_equal(cfg.maxconns, 10);
    assert_int_equal(cfg.num_threads, 2);
    assert_int_equal(cfg.item_size_max, 2u << 20);
    assert_false(cfg.evict_to_free);
    assert_false(cfg.use_cas);
    assert_false(cfg.flush_enabled);
    assert_true(cfg.shutdown_enabled);
    assert_int_equal(cfg.backlog, 64);
    assert_int_equal(cfg.protocol, CONFIG_PROTO_ASCII);
    assert_int_equal(cfg.verbose, 2);
    assert_int_equal(cfg.reqs_per_event, 5);
    assert_int_equal(cfg.idle_timeout, 30);
    assert_true(cfg.large_pages);
}

static void test_long_options(void **state)
{
    struct config cfg;
    char err[256];
    char *argv[] = {"mnemod", "--port=1234", "--memory-limit=1g", "--threads=3",
                    "--max-item-size=512k", "--enable-shutdown", "--unix-socket=/tmp/x.sock",
                    "--unix-mask=755", "--disable-cas", "--enable-largepages"};
    assert_int_equal(parse(&cfg, ARGC(argv), argv, err), 0);
    assert_int_equal(cfg.port, 1234);
    assert_int_equal(cfg.maxbytes, 1024u << 20);
    assert_int_equal(cfg.num_threads, 3);
    assert_int_equal(cfg.item_size_max, 512u << 10);
    assert_true(cfg.shutdown_enabled);
    assert_string_equal(cfg.socketpath, "/tmp/x.sock");
    assert_int_equal(cfg.access, 0755);
    assert_false(cfg.use_cas);
    assert_true(cfg.large_pages);
}

static void expect_error(char **argv, int argc, const char *fragment)
{
    struct config cfg;
    char err[256] = "";
    assert_int_equal(parse(&cfg, argc, argv, err), -1);
    if (strstr(err, fragment) == NULL)
        fail_msg("error '%s' lacks '%s'", err, fragment);
}

static void test_bad_values(void **state)
{
    char *c0[] = {"mnemod", "-c", "0"};
    expect_error(c0, ARGC(c0), "-c");
    char *t0[] = {"mnemod", "-t", "0"};
    expect_error(t0, ARGC(t0), "-t");
    char *small[] = {"mnemod", "-I", "512"};
    expect_error(small, ARGC(small), "less than 1024");
    char *big[] = {"mnemod", "-m", "64", "-I", "64m"};
    expect_error(big, ARGC(big), "half the memory");
    char *port[] = {"mnemod", "-p", "abc"};
    expect_error(port, ARGC(port), "-p");
    char *port_range[] = {"mnemod", "-p", "70000"};
    expect_error(port_range, ARGC(port_range), "-p");
    char *unknown[] = {"mnemod", "-j"};
    expect_error(unknown, ARGC(unknown), "unknown option");
    char *tls[] = {"mnemod", "-Z"};
    expect_error(tls, ARGC(tls), "TLS");
    char *ext[] = {"mnemod", "-o", "slab_reassign,ext_path=/x:1g"};
    expect_error(ext, ARGC(ext), "extstore");
    char *ssl[] = {"mnemod", "-o", "ssl_chain_cert=/x"};
    expect_error(ssl, ARGC(ssl), "TLS");
    char *empty[] = {"mnemod", "-o", "slab_reassign,,slab_automove"};
    expect_error(empty, ARGC(empty), "unknown -o option");
    char *item_mb[] = {"mnemod", "-I", "1mb"};
    expect_error(item_mb, ARGC(item_mb), "-I");
    char *item_chunk[] = {"mnemod", "-I", "1000k"};
    expect_error(item_chunk, ARGC(item_chunk), "multiple of slab_chunk_max");
    char *item_small[] = {"mnemod", "-I", "100k"};
    expect_error(item_small, ARGC(item_small), "cannot be larger than -I");
    char *lru[] = {"mnemod", "-o", "hot_lru_pct=50,warm_lru_pct=40"};
    expect_error(lru, ARGC(lru), "80%");
    char *ttl[] = {"mnemod", "-o", "no_lru_maintainer,temporary_ttl=5"};
    expect_error(ttl, ARGC(ttl), "lru_maintainer");
    char *hp_lock[] = {"mnemod", "-t", "4", "-o", "hashpower=12"};
    expect_error(hp_lock, ARGC(hp_lock), "hashpower");
    char *sizes[] = {"mnemod", "-o", "slab_sizes=48-52"};
    expect_error(sizes, ARGC(sizes), "8 bytes");
    char *napi[] = {"mnemod", "-t", "2", "-N", "3"};
    expect_error(napi, ARGC(napi), "-N");
    char *proto_l[] = {"mnemod", "-l", "127.0.0.1,proto[ascii]:127.0.0.1:11212"};
    expect_error(proto_l, ARGC(proto_l), "per-listener");
    char *delim[] = {"mnemod", "-D", ""};
    expect_error(delim, ARGC(delim), "-D");
    char *unknown_long[] = {"mnemod", "--frobnicate"};
    expect_error(unknown_long, ARGC(unknown_long), "unknown option");
    char *missing[] = {"mnemod", "-p"};
    expect_error(missing, ARGC(missing), "needs a value");
    char *udp[] = {"mnemod", "-U", "99999"};
    expect_error(udp, ARGC(udp), "-U");
    char *proto[] = {"mnemod", "-B", "carrier-pigeon"};
    expect_error(proto, ARGC(proto), "-B");
    char *opt[] = {"mnemod", "-o", "no_such_thing"};
    expect_error(opt, ARGC(opt), "unknown -o option");
    char *idle[] = {"mnemod", "-o", "idle_timeout=x"};
    expect_error(idle, ARGC(idle), "idle_timeout");
    char *uring[] = {"mnemod", "-o", "io_uring=maybe"};
    expect_error(uring, ARGC(uring), "io_uring");
    char *hp[] = {"mnemod", "-o", "hugepages=yes"};
    expect_error(hp, ARGC(hp), "hugepages");
    char *hp_bare[] = {"mnemod", "-o", "hugepages"};
    expect_error(hp_bare, ARGC(hp_bare), "hugepages");
    char *poll_big[] = {"mnemod", "-o", "poll_us=1001"};
    expect_error(poll_big, ARGC(poll_big), "poll_us");
    char *poll_neg[] = {"mnemod", "-o", "poll_us=-1"};
    expect_error(poll_neg, ARGC(poll_neg), "poll_us");
    char *poll_word[] = {"mnemod", "-o", "poll_us=fast"};
    expect_error(poll_word, ARGC(poll_word), "poll_us");
    char *poll_bare[] = {"mnemod", "-o", "poll_us"};
    expect_error(poll_bare, ARGC(poll_bare), "poll_us");
    char *poll_epoll[] = {"mnemod", "-o", "poll_us=5,io_uring=off"};
    expect_error(poll_epoll, ARGC(poll_epoll), "io_uring=on");
    char *odd[] = {"mnemod", "-o", "io_uring_bufs=100"};
    expect_error(odd, ARGC(odd), "io_uring_bufs");
    char *many[] = {"mnemod", "-o", "io_uring_bufs=65536"};
    expect_error(many, ARGC(many), "io_uring_bufs");
    char *mem[] = {"mnemod", "-m", "12q"};
    expect_error(mem, ARGC(mem), "-m");
    char *huge[] = {"mnemod", "-m", "20000000"};
    expect_error(huge, ARGC(huge), "more than the store can address");
    char *stray[] = {"mnemod", "extra"};
    expect_error(stray, ARGC(stray), "unexpected argument");
}

/* memcached 1.6.45's -o options land in the settings "stats settings" shows. */
static void test_memcached_extended_options(void **state)
{
    struct config cfg;
    char err[256];
    char *argv[] = {"mnemod", "-t", "4", "-o", "slab_reassign,slab_automove=2,hashpower=20",
                    "-o", "hot_lru_pct=30,warm_lru_pct=30,hot_max_factor=0.5,temporary_ttl=30",
                    "-o", "slab_chunk_max=16,hash_algorithm=jenkins,lru_crawler_sleep=0,track_sizes",
                    "-o", "watcher_logbuf_size=512,read_buf_mem_limit=2,idle_timeout=-5,modern=1,",
                    "-X", "-W", "-D", "#", "-N", "2", "-b", "-1", "--verbose=x"};
    assert_int_equal(parse(&cfg, ARGC(argv), argv, err), 0);
    assert_int_equal(cfg.slab_automove, 2);
    assert_int_equal(cfg.hashpower_init, 20);
    assert_int_equal(cfg.hot_lru_pct, 30);
    assert_int_equal(cfg.warm_lru_pct, 30);
    assert_true(cfg.hot_max_factor == 0.5);
    assert_true(cfg.temp_lru);
    assert_int_equal(cfg.temporary_ttl, 30);
    assert_int_equal(cfg.slab_chunk_max, 16 * 1024);
    assert_int_equal(cfg.hash_algorithm, CONFIG_HASH_JENKINS);
    assert_int_equal(cfg.lru_crawler_sleep, 0);
    assert_true(cfg.track_sizes);
    assert_int_equal(cfg.watcher_logbuf_size, 512 * 1024);
    assert_int_equal(cfg.read_buf_mem_limit, 2u << 20);
    assert_int_equal(cfg.idle_timeout, -5);
    assert_false(cfg.dump_enabled);
    assert_false(cfg.watch_enabled);
    assert_int_equal(cfg.prefix_delimiter, '#');
    assert_true(cfg.detail_enabled);
    assert_int_equal(cfg.num_napi_ids, 2);
    assert_int_equal(cfg.backlog, -1);
    assert_int_equal(cfg.verbose, 1);

    char *old[] = {"mnemod", "-o", "no_modern", "-I", "2m"};
    assert_int_equal(parse(&cfg, ARGC(old), old, err), 0);
    assert_false(cfg.slab_reassign || cfg.maxconns_fast || cfg.lru_crawler || cfg.lru_maintainer);
    assert_int_equal(cfg.slab_automove, 0);
    assert_int_equal(cfg.slab_chunk_max, 512 * 1024); /* -I above 1 MB brings chunks back */

    char *udp_only[] = {"mnemod", "-U", "5000"};
    assert_int_equal(parse(&cfg, ARGC(udp_only), udp_only, err), 0);
    assert_int_equal(cfg.port, 5000); /* memcached: -U without -p moves TCP there too */
    char *udp_tcp[] = {"mnemod", "-U", "5000", "-p", "6000"};
    assert_int_equal(parse(&cfg, ARGC(udp_tcp), udp_tcp, err), 0);
    assert_int_equal(cfg.port, 6000);

    char *listen[] = {"mnemod", "-l", "127.0.0.1", "-l", "::1", "-l", "127.0.0.1"};
    assert_int_equal(parse(&cfg, ARGC(listen), listen, err), 0);
    assert_string_equal(cfg.listen, "127.0.0.1,::1");
}

/* -Z and -o ssl_*: memcached's values, its numbers as stats settings
 * print them, and what is refused at start (issue 22). */
static void emit_find(void *arg, const char *name, const char *value)
{
    const char **want = arg; /* {name, found value} */
    if (strcmp(name, want[0]) == 0)
        want[1] = value[0] != '\0' ? strdup(value) : "";
}

static const char *setting(const struct config *cfg, const char *name)
{
    static char out[64];
    const char *want[2] = {name, NULL};
    config_describe(cfg, 0, emit_find, want);
    if (want[1] == NULL)
        return NULL;
    snprintf(out, sizeof(out), "%s", want[1]);
    free((char *)want[1]);
    return out;
}

static void test_tls_options(void **state)
{
    struct config cfg;
    char err[256];
    char *argv[] = {"mnemod", "-Z", "-o",
                    "ssl_chain_cert=/c.pem,ssl_key=/k.der,ssl_keyformat=DER,ssl_verify_mode=3",
                    "-o", "ssl_ca_cert=/ca.pem,ssl_min_version=3,ssl_wbuf_size=4,ssl_session_cache",
                    "-l", "127.0.0.1,notls:127.0.0.1:11212,mtls:[::1]:11213"};
    assert_int_equal(parse(&cfg, ARGC(argv), argv, err), 0);
    assert_true(cfg.ssl_enabled);
    assert_string_equal(cfg.ssl_key, "/k.der");
    assert_int_equal(cfg.ssl_keyformat, 2);
    assert_int_equal(cfg.ssl_wbuf_size, 4096);
    assert_int_equal(cfg.ssl_handshake_timeout, 10);
    assert_string_equal(setting(&cfg, "ssl_verify_mode"), "7"); /* OpenSSL's flags */
    assert_string_equal(setting(&cfg, "ssl_min_version"), "tlsv1.3");
    assert_string_equal(setting(&cfg, "ssl_ciphers"), "NULL");
    assert_string_equal(setting(&cfg, "ssl_session_cache"), "yes");
    enum config_tls_listen mode;
    assert_string_equal(config_listen_tls("mtls:[::1]:11213", &mode), "[::1]:11213");
    assert_int_equal(mode, CONFIG_TLS_PEER);
    assert_string_equal(config_listen_tls("notls:h", &mode), "h");
    assert_int_equal(mode, CONFIG_TLS_OFF);
    assert_string_equal(config_listen_tls("h:1", &mode), "h:1");
    assert_int_equal(mode, CONFIG_TLS_DEFAULT);

    char *plain[] = {"mnemod"};
    assert_int_equal(parse(&cfg, ARGC(plain), plain, err), 0);
    assert_null(setting(&cfg, "ssl_enabled")); /* no ssl_* lines without -Z */

    char *engine[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c,ssl_keyformat=ENGINE"};
    expect_error(engine, ARGC(engine), "ENGINE");
    char *udp[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c", "-U", "11211"};
    expect_error(udp, ARGC(udp), "UDP");
    char *unix_socket[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c", "-s", "/tmp/s"};
    expect_error(unix_socket, ARGC(unix_socket), "unix socket");
    char *prefix[] = {"mnemod", "-l", "mtls:127.0.0.1"};
    expect_error(prefix, ARGC(prefix), "'mtls' option is valid only when SSL is enabled");
    char *mtls[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c", "-l", "h,mtls:h:2"};
    expect_error(mtls, ARGC(mtls), "ssl_ca_cert");
    char *mode4[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c,ssl_verify_mode=4"};
    expect_error(mode4, ARGC(mode4), "ssl_verify_mode");
    char *names[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c,ssl_min_version=tlsv1.3"};
    expect_error(names, ARGC(names), "ssl_min_version"); /* memcached takes numbers only */
    char *ktls[] = {"mnemod", "-Z", "-o", "ssl_chain_cert=/c,ssl_kernel_tls"};
    expect_error(ktls, ARGC(ktls), "kernel TLS");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_default),
        cmocka_unit_test(test_huge_pages_switch),
        cmocka_unit_test(test_memcached_command_line),
        cmocka_unit_test(test_long_options),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_io_uring_switch),
        cmocka_unit_test(test_memcached_extended_options),
        cmocka_unit_test(test_tls_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
