/*
 * test_options.c: flag parsing, without running anything: every good flag
 * lands in the struct, every bad one is an error with a message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

static struct bench_options opts;
static char err[512];

/* Parse a NULL-terminated list of arguments (argv[0] is supplied). */
static int parse_list(const char *first, va_list ap)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *)"mnemo-bench";
    for (const char *a = first; a; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    return bench_options_parse(&opts, argc, argv, err, sizeof(err));
}

static int parse(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = parse_list(first, ap);
    va_end(ap);
    return rc;
}

static void bad(const char *expect_in_msg, const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    int rc = parse_list(first, ap);
    va_end(ap);
    if (rc != BENCH_OPT_EINVAL)
        fail_msg("'%s ...' was accepted", first);
    if (!strstr(err, expect_in_msg))
        fail_msg("'%s ...': message '%s' does not mention '%s'", first, err, expect_in_msg);
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(parse(NULL), BENCH_OPT_OK);
    assert_int_equal(opts.threads, 1);
    assert_int_equal(opts.conns, 4);
    assert_int_equal(opts.pipeline, 1);
    assert_int_equal(opts.protocol, PROTO_TEXT);
    assert_int_equal(opts.ratio_get, 9);
    assert_int_equal(opts.ratio_set, 1);
    assert_int_equal(opts.keys, 10000);
    assert_int_equal(opts.value_min, 32);
    assert_int_equal(opts.value_max, 32);
    assert_true(opts.duration == 10);
    assert_int_equal(opts.requests, 0);
    assert_int_equal(opts.server_count, 1);
    assert_string_equal(opts.servers[0].host, "127.0.0.1");
    assert_string_equal(opts.servers[0].port, "11211");
    assert_string_equal(opts.key_prefix, "key:");
}

static void test_every_flag(void **state)
{
    (void)state;
    assert_int_equal(parse("--threads", "2", "-c", "8", "--pipeline=16", "--protocol", "binary",
                           "--ratio", "1:9", "--keys", "1000000", "--key-pattern", "zipf",
                           "--zipf-s", "1.2", "--key-prefix", "b:", "--value-size", "100-4096",
                           "-n", "5000", "--preload", "--rate", "25000.5",
                           "--connect-timeout", "500", "--seed", "77", "--json", "-q",
                           "--servers", "10.0.0.1:11211,cache-b:22122,[::1]:11311", NULL),
                     BENCH_OPT_OK);
    assert_int_equal(opts.threads, 2);
    assert_int_equal(opts.conns, 8);
    assert_int_equal(opts.pipeline, 16);
    assert_int_equal(opts.protocol, PROTO_BINARY);
    assert_int_equal(opts.ratio_get, 1);
    assert_int_equal(opts.ratio_set, 9);
    assert_int_equal(opts.keys, 1000000);
    assert_int_equal(opts.key_pattern, KEY_ZIPF);
    assert_true(opts.zipf_s == 1.2);
    assert_string_equal(opts.key_prefix, "b:");
    assert_int_equal(opts.value_min, 100);
    assert_int_equal(opts.value_max, 4096);
    assert_int_equal(opts.requests, 5000);
    assert_true(opts.duration == 0);
    assert_true(opts.preload);
    assert_true(opts.rate == 25000.5);
    assert_int_equal(opts.connect_timeout_ms, 500);
    assert_int_equal(opts.seed, 77);
    assert_true(opts.json);
    assert_true(opts.quiet);
    assert_int_equal(opts.server_count, 3);
    assert_string_equal(opts.servers[1].host, "cache-b");
    assert_string_equal(opts.servers[1].port, "22122");
    assert_string_equal(opts.servers[2].host, "::1");
    assert_string_equal(opts.servers[2].port, "11311");

    assert_int_equal(parse("--protocol", "meta", "-d", "2.5", "-P", "4", "-t", "3", NULL),
                     BENCH_OPT_OK);
    assert_int_equal(opts.protocol, PROTO_META);
    assert_true(opts.duration == 2.5);
    assert_int_equal(opts.pipeline, 4);
    assert_int_equal(opts.threads, 3);
    assert_int_equal(parse("--protocol", "redis", NULL), BENCH_OPT_OK);
    assert_int_equal(opts.protocol, PROTO_REDIS);
    assert_int_equal(parse("--protocol=resp", NULL), BENCH_OPT_OK);
    assert_int_equal(opts.protocol, PROTO_REDIS);
    assert_int_equal(parse("--ratio", "0:1", "--value-size", "0", NULL), BENCH_OPT_OK);
    assert_int_equal(opts.ratio_get, 0);
    assert_int_equal(opts.value_max, 0);
    assert_int_equal(parse("-h", NULL), BENCH_OPT_OK);
    assert_true(opts.help);
    assert_non_null(strstr(bench_options_usage(), "--pipeline"));
}

static void test_groups(void **state)
{
    (void)state;
    /* without --group: one group "all" that is exactly --conns/--pipeline/--ratio */
    assert_int_equal(parse("-c", "6", "-P", "3", "--ratio", "2:5", NULL), BENCH_OPT_OK);
    assert_false(opts.groups_given);
    assert_int_equal(opts.group_count, 1);
    assert_string_equal(opts.groups[0].name, "all");
    assert_int_equal(opts.groups[0].conns, 6);
    assert_int_equal(opts.groups[0].pipeline, 3);
    assert_int_equal(opts.groups[0].ratio_get, 2);
    assert_int_equal(opts.groups[0].ratio_set, 5);
    assert_int_equal(bench_options_max_pipeline(&opts), 3);

    /* a group's missing ratio and pipeline come from --ratio / --pipeline,
     * wherever those stand on the line */
    assert_int_equal(parse("--group", "writers,conns=32,ratio=0:1", "--group=readers,conns=8,pipeline=16",
                           "--ratio", "1:0", "-P", "2", NULL),
                     BENCH_OPT_OK);
    assert_true(opts.groups_given);
    assert_int_equal(opts.group_count, 2);
    assert_int_equal(opts.conns, 40);
    assert_string_equal(opts.groups[0].name, "writers");
    assert_int_equal(opts.groups[0].conns, 32);
    assert_int_equal(opts.groups[0].pipeline, 2);
    assert_int_equal(opts.groups[0].ratio_get, 0);
    assert_int_equal(opts.groups[0].ratio_set, 1);
    assert_string_equal(opts.groups[1].name, "readers");
    assert_int_equal(opts.groups[1].conns, 8);
    assert_int_equal(opts.groups[1].pipeline, 16);
    assert_int_equal(opts.groups[1].ratio_get, 1);
    assert_int_equal(opts.groups[1].ratio_set, 0);
    assert_int_equal(bench_options_max_pipeline(&opts), 16);

    bad("conns=N is required", "--group", "w", NULL);
    bad("conns=N is required", "--group", "w,ratio=1:1", NULL);
    bad("needs a name", "--group", ",conns=2", NULL);
    bad("needs a name", "--group", "", NULL);
    bad("only letters", "--group", "a b,conns=2", NULL);
    bad("named twice", "--group", "w,conns=1", "--group", "w,conns=2", NULL);
    bad("not key=value", "--group", "w,conns", NULL);
    bad("unknown key", "--group", "w,conns=1,depth=2", NULL);
    bad("conns '0'", "--group", "w,conns=0", NULL);
    bad("pipeline 'x'", "--group", "w,conns=1,pipeline=x", NULL);
    bad("ratio '0:0'", "--group", "w,conns=1,ratio=0:0", NULL);
    bad("ratio '1'", "--group", "w,conns=1,ratio=1", NULL);
    bad("exclude each other", "-c", "4", "--group", "w,conns=1", NULL);
    bad("more than 4096", "--group", "a,conns=4000", "--group", "b,conns=200", NULL);
    bad("more than 8 groups", "--group", "a,conns=1", "--group", "b,conns=1", "--group",
        "c,conns=1", "--group", "d,conns=1", "--group", "e,conns=1", "--group", "f,conns=1",
        "--group", "g,conns=1", "--group", "h,conns=1", "--group", "i,conns=1", NULL);
}

static void test_tls_flags(void **state)
{
    (void)state;
    assert_int_equal(parse(NULL), BENCH_OPT_OK);
    assert_int_equal(opts.tls, 0);
    assert_int_equal(parse("--tls", NULL), BENCH_OPT_OK);
    assert_int_equal(opts.tls, 1);
    assert_int_equal(opts.tls_no_verify, 0);
    assert_null(opts.tls_ca);
    /* every --tls-* means TLS */
    assert_int_equal(parse("--tls-ca", "ca.pem", "--tls-cert=c.pem", "--tls-key", "k.pem",
                           "--tls-server-name", "cache.example", NULL), BENCH_OPT_OK);
    assert_int_equal(opts.tls, 1);
    assert_string_equal(opts.tls_ca, "ca.pem");
    assert_string_equal(opts.tls_cert, "c.pem");
    assert_string_equal(opts.tls_key, "k.pem");
    assert_string_equal(opts.tls_server_name, "cache.example");
    assert_int_equal(parse("--tls-no-verify", NULL), BENCH_OPT_OK);
    assert_int_equal(opts.tls, 1);
    assert_int_equal(opts.tls_no_verify, 1);
    bad("--tls-ca: empty", "--tls-ca", "", NULL);
    bad("needs a value", "--tls-cert", NULL);
}

static void test_bad_flags(void **state)
{
    (void)state;
    bad("unknown option", "--bogus", NULL);
    bad("unknown option", "--thread", "2", NULL);   /* a prefix is not a flag */
    bad("unknown option", "extra", NULL);
    bad("needs a value", "--threads", NULL);
    bad("--threads", "--threads", "0", NULL);
    bad("--threads", "--threads", "-1", NULL);
    bad("--threads", "--threads", "2x", NULL);
    bad("--threads", "--threads", "", NULL);
    bad("--threads", "--threads", "99999999999999999999999", NULL);
    bad("--conns", "-c", "0", NULL);
    bad("--pipeline", "--pipeline", "0", NULL);
    bad("--pipeline", "-P", "100000", NULL);
    bad("--protocol", "--protocol", "udp", NULL);
    bad("--ratio", "--ratio", "9", NULL);
    bad("--ratio", "--ratio", "0:0", NULL);
    bad("--ratio", "--ratio", "a:1", NULL);
    bad("--ratio", "--ratio", "1:", NULL);
    bad("--keys", "--keys", "0", NULL);
    bad("--key-pattern", "--key-pattern", "gauss", NULL);
    bad("--zipf-s", "--zipf-s", "0", NULL);
    bad("--zipf-s", "--zipf-s", "-1", NULL);
    bad("--zipf-s", "--zipf-s", "nan", NULL);
    bad("--key-prefix", "--key-prefix", "has space", NULL);
    bad("--key-prefix", "--key-prefix",
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890",
        NULL);
    bad("--value-size", "--value-size", "big", NULL);
    bad("--value-size", "--value-size", "100-10", NULL);
    bad("--value-size", "--value-size", "2000000", NULL);
    bad("--value-size", "--value-size", "1-", NULL);
    bad("--duration", "-d", "0", NULL);
    bad("--duration", "-d", "ten", NULL);
    bad("--requests", "-n", "0", NULL);
    bad("exclude", "-d", "5", "-n", "100", NULL);
    bad("--rate", "--rate", "0", NULL);
    bad("--rate", "--rate", "fast", NULL);
    bad("--connect-timeout", "--connect-timeout", "0", NULL);
    bad("--seed", "--seed", "x", NULL);
    bad("no port", "--servers", "localhost", NULL);
    bad("bad port", "--servers", "localhost:0", NULL);
    bad("bad port", "--servers", "localhost:65536", NULL);
    bad("bad port", "--servers", "localhost:11211x", NULL);
    bad("bad host", "--servers", ":11211", NULL);
    bad("empty", "--servers", "", NULL);
    bad("no port", "--servers", "a:1,,b:2", NULL);
    bad("[v6addr]", "--servers", "[::1", NULL);
    bad("exceeds", "-t", "256", "-c", "4096", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_tls_flags),
        cmocka_unit_test(test_bad_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
