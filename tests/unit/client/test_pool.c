/*
 * test_pool.c: libmnemo's server lists with shards ("primary=replica"):
 * how they are parsed, and that keys are placed by the primaries alone,
 * exactly as in a list of the primaries without their replicas, for
 * every distribution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mnemo/mnemo.h"

static struct mnemo_client *make(const char *list, enum mnemo_distribution d)
{
    struct mnemo_options o;
    struct mnemo_client *c = NULL;

    mnemo_options_init(&o);
    o.distribution = d;
    assert_int_equal(mnemo_create(&c, list, &o), MNEMO_OK);
    return c;
}

static void shards_are_parsed(void **state)
{
    (void)state;
    struct mnemo_client *c = make(" a:1 = b:2=c:3 ,d:4:3, [::1]:5=e:6 ", MNEMO_DIST_KETAMA);
    size_t n;

    assert_int_equal(mnemo_server_count(c), 6);
    assert_int_equal(mnemo_shard_count(c), 3);
    assert_int_equal(mnemo_shard_servers(c, 0, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(mnemo_shard_servers(c, 1, &n), 3);
    assert_int_equal(n, 1);
    assert_int_equal(mnemo_shard_servers(c, 2, &n), 4);
    assert_int_equal(n, 2);
    assert_int_equal(mnemo_shard_servers(c, 3, &n), (size_t)-1);
    assert_int_equal(n, 0);
    assert_string_equal(mnemo_server_name(c, 2), "c:3");
    assert_string_equal(mnemo_server_name(c, 4), "[::1]:5");
    size_t want_shard[] = {0, 0, 0, 1, 2, 2};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(mnemo_shard_of(c, i), want_shard[i]);
    assert_int_equal(mnemo_shard_of(c, 6), (size_t)-1);
    /* until told otherwise, each shard's first server is its primary */
    assert_int_equal(mnemo_shard_primary(c, 0), 0);
    assert_int_equal(mnemo_shard_primary(c, 1), 3);
    assert_int_equal(mnemo_shard_primary(c, 2), 4);
    mnemo_destroy(&c);
}

static void bad_lists_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a:1=", "=a:1", "a:1==b:2", "a:1,=b:2", "a:1=b:2:5", "a:1=b:0", "a:1=b c:2", "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mnemo_client *c = NULL;
        assert_int_equal(mnemo_create(&c, bad[i], NULL), MNEMO_EINVAL);
        assert_null(c);
    }
    struct mnemo_options o;
    struct mnemo_client *c = NULL;
    mnemo_options_init(&o);
    assert_int_equal(o.read_replicas, 0);
    o.read_replicas = 2;
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    /* an option of a later version, unknown here, is refused, not ignored */
    mnemo_options_init(&o);
    o.reserved[3] = 1;
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    /* credentials a server could not take */
    static const char *const users[][2] = {{"a b", "pw"}, {"", "pw"}, {"u", NULL}, {NULL, "pw"},
                                           {"u:v", "pw"}, {"u\n", "pw"}};
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        mnemo_options_init(&o);
        o.auth_user = users[i][0];
        o.auth_password = users[i][1];
        assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    }
    mnemo_options_init(&o);
    o.auth_user = "user";
    o.auth_password = "a password with spaces";
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_OK);
    mnemo_destroy(&c);
    /* a replica's weight of 1, written out, means nothing and is taken */
    assert_int_equal(mnemo_create(&c, "a:1:4=b:2:1", NULL), MNEMO_OK);
    mnemo_destroy(&c);
}

/* Replicas never move a key: the owner is the same shard as in the list
 * of primaries alone, for both distributions. */
static void keys_are_placed_by_primaries(void **state)
{
    (void)state;
    enum mnemo_distribution dists[] = {MNEMO_DIST_KETAMA, MNEMO_DIST_MODULA, MNEMO_DIST_TWEMPROXY};
    for (size_t d = 0; d < 3; d++) {
        struct mnemo_client *plain = make("10.0.0.1:11211,10.0.0.2:11211:2,10.0.0.3:11300", dists[d]);
        struct mnemo_client *sharded = make(
            "10.0.0.1:11211=10.0.1.1:11211,10.0.0.2:11211:2,10.0.0.3:11300=10.0.1.3:1=10.0.2.3:1",
            dists[d]);
        size_t seen[3] = {0};
        for (unsigned i = 0; i < 20000; i++) {
            char key[32];
            int n = snprintf(key, sizeof(key), "key:%u", i * 2654435761u);
            size_t a = mnemo_server_for_key(plain, key, (size_t)n);
            size_t b = mnemo_server_for_key(sharded, key, (size_t)n);
            assert_int_equal(mnemo_shard_of(sharded, b), a);
            assert_int_equal(mnemo_shard_servers(sharded, a, NULL), b);
            seen[a]++;
        }
        for (size_t s = 0; s < 3; s++)
            assert_true(seen[s] > 2000);
        mnemo_destroy(&plain);
        mnemo_destroy(&sharded);
    }
}

/* TLS options: checked and loaded by mnemo_create, with reasons from
 * mnemo_tls_check; a client is made without connecting. */
static void tls_options_are_checked(void **state)
{
    (void)state;
    struct mnemo_options o;
    struct mnemo_client *c = NULL;
    char err[256];

    /* a TLS field without tls does nothing: refused */
    mnemo_options_init(&o);
    o.tls_ca_file = "/etc/ssl/certs/ca-certificates.crt";
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    assert_int_equal(mnemo_tls_check(&o, err, sizeof(err)), MNEMO_EINVAL);
    assert_non_null(strstr(err, "without tls"));
    mnemo_options_init(&o);
    o.tls_no_verify = 1;
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    mnemo_options_init(&o);
    o.tls = 2;
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    mnemo_options_init(&o);
    o.tls = 1;
    o.tls_server_name = "";
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_EINVAL);
    /* files that cannot be used: MNEMO_ETLS, and why */
    mnemo_options_init(&o);
    o.tls = 1;
    o.tls_ca_file = "/nonexistent/ca.pem";
    assert_int_equal(mnemo_create(&c, "a:1", &o), MNEMO_ETLS);
    assert_null(c);
    assert_int_equal(mnemo_tls_check(&o, err, sizeof(err)), MNEMO_ETLS);
    assert_non_null(strstr(err, "cannot load the CA file /nonexistent/ca.pem"));
    mnemo_options_init(&o);
    o.tls = 1;
    o.tls_key_file = "/nonexistent/key.pem";
    assert_int_equal(mnemo_tls_check(&o, err, sizeof(err)), MNEMO_ETLS);
    assert_non_null(strstr(err, "without its certificate"));
    /* usable: a client, no connection yet, no error for any server */
    mnemo_options_init(&o);
    o.tls = 1;
    o.tls_no_verify = 1;
    o.tls_server_name = "cache.example";
    assert_int_equal(mnemo_tls_check(&o, err, sizeof(err)), MNEMO_OK);
    assert_int_equal(mnemo_create(&c, "a:1,b:2", &o), MNEMO_OK);
    assert_string_equal(mnemo_server_error(c, 1), "");
    assert_null(mnemo_server_error(c, 2));
    mnemo_destroy(&c);
    assert_int_equal(mnemo_tls_check(NULL, err, sizeof(err)), MNEMO_OK);
    assert_non_null(strstr(mnemo_strerror(MNEMO_ETLS), "TLS"));
    /* the TLS fields came out of reserved: the struct keeps its size */
    assert_int_equal(sizeof(o.reserved) / sizeof(o.reserved[0]), 6);
}

static void no_primary_has_a_message(void **state)
{
    (void)state;
    assert_non_null(strstr(mnemo_strerror(MNEMO_ENOPRIMARY), "primary"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shards_are_parsed),
        cmocka_unit_test(bad_lists_are_refused),
        cmocka_unit_test(keys_are_placed_by_primaries),
        cmocka_unit_test(tls_options_are_checked),
        cmocka_unit_test(no_primary_has_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
