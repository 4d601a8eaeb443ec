/* Unit tests for server/reqloop: the one request loop, driven with bytes in
 * an rbuf against a real store, its replies read back as the bytes it
 * queued (no sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/outq.h"
#include "common/rbuf.h"
#include "server/latency.h"
#include "server/reqloop.h"
#include "server/server.h"
#include "server/stats.h"
#include "store/store.h"

struct fixture {
    struct server srv;
    struct thread_stats stats;
    struct outq out;
    struct rbuf in;
    struct reqloop rl;
    char got[4096];
    size_t ngot;
};

static void release_item(void *ctx, void *ref)
{
    struct item *it = ref;
    store_release(ctx, &it);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    config_defaults(&f->srv.cfg);
    struct store_config scfg = {.max_bytes = 8u << 20, .item_size_max = 1u << 20, .evict = true, .use_cas = true};
    assert_int_equal(store_create(&scfg, &f->srv.store), STORE_OK);
    outq_init(&f->out, release_item, f->srv.store);
    rbuf_init(&f->in);
    reqloop_init(&f->rl, &f->srv, &f->stats, &f->out, NULL, 7, CONFIG_PROTO_AUTO, false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    reqloop_free(&f->rl);
    outq_free(&f->out);
    rbuf_free(&f->in);
    store_destroy(&f->srv.store);
    free(f);
    return 0;
}

/* Append bytes to the input, as a read would. */
static void feed(struct fixture *f, const void *data, size_t n)
{
    assert_true(rbuf_space(&f->in, n) >= n);
    memcpy(f->in.data + f->in.end, data, n);
    f->in.end += n;
}

static void feed_str(struct fixture *f, const char *s)
{
    feed(f, s, strlen(s));
}

static enum reqloop_stop run(struct fixture *f)
{
    int budget = INT_MAX;
    return reqloop_run(&f->rl, &f->in, SIZE_MAX, &budget);
}

/* Take every queued reply byte into f->got (NUL-terminated), as a send
 * would. */
static void drain(struct fixture *f)
{
    struct iovec iov[64];
    f->ngot = 0;
    while (!outq_empty(&f->out)) {
        size_t n = outq_iov(&f->out, iov, 64), chunk = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(f->ngot + iov[i].iov_len < sizeof(f->got));
            memcpy(f->got + f->ngot, iov[i].iov_base, iov[i].iov_len);
            f->ngot += iov[i].iov_len;
            chunk += iov[i].iov_len;
        }
        outq_consume(&f->out, chunk);
    }
    f->got[f->ngot] = '\0';
}

static void test_pipelined_text(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set a 0 0 1\r\nx\r\nget a\r\ndelete a\r\nget a\r\nbogus\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    assert_string_equal(f->got, "STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\nDELETED\r\nEND\r\nERROR\r\n");
    assert_int_equal(rbuf_len(&f->in), 0);
    assert_true(reqloop_at_command(&f->rl));
}

/* A command line and a data block arriving in pieces: the loop waits in
 * conn_nread and picks up where it stopped. */
static void test_data_block_split(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set k 5 0 10\r\n0123");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    assert_string_equal(reqloop_state_name(&f->rl), "conn_nread");
    assert_int_equal(reqloop_data_left(&f->rl), 8);
    drain(f);
    assert_int_equal(f->ngot, 0);
    feed_str(f, "456789\r");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    assert_int_equal(reqloop_data_left(&f->rl), 1);
    feed_str(f, "\nget k\r");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT); /* the get line is not whole yet */
    assert_string_equal(reqloop_state_name(&f->rl), "conn_parse_cmd");
    feed_str(f, "\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    assert_string_equal(f->got, "STORED\r\nVALUE k 5 10\r\n0123456789\r\nEND\r\n");
}

/* The same conversation fed one byte per call answers exactly as when fed
 * whole. */
static void test_split_at_every_byte(void **state)
{
    struct fixture *f = *state;
    static const char conv[] = "set a 0 0 3 noreply\r\nabc\r\nappend a 0 0 2\r\nde\r\n"
                               "get a\r\nmg a v\r\nincr n 1\r\nquit\r\n";
    for (size_t i = 0; i < sizeof(conv) - 1; i++) {
        feed(f, conv + i, 1);
        enum reqloop_stop st = run(f);
        assert_true(st == REQLOOP_IDLE || st == REQLOOP_NEED_INPUT || i == sizeof(conv) - 2);
    }
    assert_true(reqloop_closing(&f->rl));
    drain(f);
    assert_string_equal(f->got, "STORED\r\nVALUE a 0 5\r\nabcde\r\nEND\r\nVA 5\r\nabcde\r\nNOT_FOUND\r\n");
}

/* A storage line the store refuses: the error is answered and the block
 * swallowed, so its bytes are never run as commands. */
static void test_refused_storage_swallows(void **state)
{
    struct fixture *f = *state;
    const size_t vlen = 2u << 20; /* over item_size_max */
    char line[64];
    snprintf(line, sizeof(line), "set big 0 0 %zu\r\n", vlen);
    feed_str(f, line);
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    assert_string_equal(reqloop_state_name(&f->rl), "conn_swallow");
    drain(f);
    assert_string_equal(f->got, "SERVER_ERROR object too large for cache\r\n");
    /* the block, whose bytes look like commands, then a real command */
    char *block = malloc(vlen + 2);
    assert_non_null(block);
    for (size_t i = 0; i + 14 <= vlen; i += 14)
        memcpy(block + i, "flush_all\r\nmn\r", 14);
    memset(block + vlen - vlen % 14, 'x', vlen % 14);
    memcpy(block + vlen, "\r\n", 2);
    feed(f, block, vlen / 2);
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    feed(f, block + vlen / 2, vlen + 2 - vlen / 2);
    free(block);
    feed_str(f, "get big\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    assert_string_equal(f->got, "END\r\n");
}

/* noreply drops every reply of its request (an error memcached keeps
 * silent included), and only of that request. */
static void test_noreply(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set a 0 0 1 noreply\r\nx\r\nadd a 0 0 1 noreply\r\ny\r\n"
                "set big 0 0 2000000 noreply\r\n");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT); /* swallowing the big block */
    drain(f);
    assert_int_equal(f->ngot, 0);
    char *block = calloc(1, 2000002);
    assert_non_null(block);
    feed(f, block, 2000002);
    free(block);
    feed_str(f, "delete zz noreply\r\nfoo noreply\r\nincr a 1 noreply\r\nget a\r\nadd a 0 0 1\r\nz\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    assert_string_equal(f->got, "VALUE a 0 1\r\nx\r\nEND\r\nNOT_STORED\r\n");
}

/* Binary: the first byte picks the table; a value arrives without "\r\n"
 * and in pieces; quiet gets answer hits only, and noop flushes them. */
static size_t binary_packet(unsigned char *p, uint8_t opcode, const char *key, const char *extras,
                            size_t nextras, const char *value, uint32_t opaque)
{
    size_t nkey = strlen(key), nvalue = value != NULL ? strlen(value) : 0;
    uint32_t body = (uint32_t)(nextras + nkey + nvalue);
    memset(p, 0, 24);
    p[0] = 0x80;
    p[1] = opcode;
    p[2] = (unsigned char)(nkey >> 8);
    p[3] = (unsigned char)nkey;
    p[4] = (unsigned char)nextras;
    p[8] = (unsigned char)(body >> 24);
    p[9] = (unsigned char)(body >> 16);
    p[10] = (unsigned char)(body >> 8);
    p[11] = (unsigned char)body;
    memcpy(p + 12, &opaque, 4);
    if (nextras > 0)
        memcpy(p + 24, extras, nextras);
    memcpy(p + 24 + nextras, key, nkey);
    if (nvalue > 0)
        memcpy(p + 24 + nextras + nkey, value, nvalue);
    return 24 + body;
}

static void test_binary_quiet_get(void **state)
{
    struct fixture *f = *state;
    unsigned char pkt[256];
    static const char set_extras[8] = {0, 0, 0, 9, 0, 0, 0, 0}; /* flags 9, no expiry */
    size_t n = binary_packet(pkt, 0x11 /* setq */, "bk", set_extras, 8, "hello", 1);
    feed(f, pkt, n - 3); /* the value cut short */
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    assert_string_equal(reqloop_state_name(&f->rl), "conn_nread");
    assert_int_equal(reqloop_data_left(&f->rl), 3); /* no "\r\n" on the wire */
    feed(f, pkt + n - 3, 3);
    n = binary_packet(pkt, 0x09 /* getq */, "missing", NULL, 0, NULL, 2);
    feed(f, pkt, n);
    n = binary_packet(pkt, 0x09 /* getq */, "bk", NULL, 0, NULL, 3);
    feed(f, pkt, n);
    n = binary_packet(pkt, 0x0a /* noop */, "", NULL, 0, NULL, 4);
    feed(f, pkt, n);
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    /* setq: silent; getq miss: silent; getq hit: header + flags + value; noop */
    assert_int_equal(f->ngot, 24 + 4 + 5 + 24);
    const unsigned char *r = (const unsigned char *)f->got;
    assert_int_equal(r[0], 0x81);
    assert_int_equal(r[1], 0x09);
    assert_int_equal(r[4], 4);                  /* extras: the flags */
    assert_int_equal(r[6] << 8 | r[7], 0);      /* status OK */
    assert_int_equal(r[11], 9);                 /* body: 4 + 5 */
    assert_memory_equal(r + 12, &(uint32_t){3}, 4); /* opaque echoed */
    assert_int_equal(r[27], 9);                 /* flags */
    assert_memory_equal(r + 28, "hello", 5);    /* the value, without "\r\n" */
    r += 33;
    assert_int_equal(r[0], 0x81);
    assert_int_equal(r[1], 0x0a);
    assert_memory_equal(r + 12, &(uint32_t){4}, 4);
}

/* A data block the input ends inside (a UDP datagram): text answers it as a
 * block without its terminator, binary drops it; after a reset the next
 * input picks its table again. */
static void test_end_input(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set k 0 0 5 noreply\r\nab");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    reqloop_end_input(&f->rl);
    assert_true(reqloop_at_command(&f->rl));
    drain(f);
    assert_string_equal(f->got, "CLIENT_ERROR bad data chunk\r\n");

    reqloop_reset(&f->rl);
    f->in.start = f->in.end = 0;
    unsigned char pkt[256];
    static const char set_extras[8] = {0};
    size_t n = binary_packet(pkt, 0x01 /* set */, "k", set_extras, 8, "hello", 1);
    feed(f, pkt, n - 1);
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    reqloop_end_input(&f->rl);
    drain(f);
    assert_int_equal(f->ngot, 0);

    reqloop_reset(&f->rl);
    f->in.start = f->in.end = 0;
    feed_str(f, "get k\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    assert_string_equal(f->got, "END\r\n"); /* neither block was stored */
}

/* Meta on a text connection is composed by the meta table: q hides a miss,
 * mn answers. */
static void test_meta_quiet(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "mg nope v q\r\nms m 2 q\r\nhi\r\nmg m v q\r\nmn\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    drain(f);
    assert_string_equal(f->got, "VA 2\r\nhi\r\nMN\r\n");
}

/* The budget, the output limit, and quit stop the loop where the driver
 * needs it to. */
static void test_stops(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "get a\r\nget b\r\nget c\r\n");
    int budget = 2;
    assert_int_equal(reqloop_run(&f->rl, &f->in, SIZE_MAX, &budget), REQLOOP_BUDGET);
    assert_int_equal(budget, 0);
    drain(f);
    assert_string_equal(f->got, "END\r\nEND\r\n");
    budget = 10;
    feed_str(f, "get d\r\n");
    /* get c's reply queued: over a limit of 0, get d waits */
    assert_int_equal(reqloop_run(&f->rl, &f->in, 0, &budget), REQLOOP_BACKLOG);
    assert_int_equal(budget, 9);
    assert_int_equal(rbuf_len(&f->in), strlen("get d\r\n"));
    drain(f);
    assert_string_equal(f->got, "END\r\n");
    feed_str(f, "quit\r\nget e\r\n");
    assert_int_equal(reqloop_run(&f->rl, &f->in, SIZE_MAX, &budget), REQLOOP_CLOSED);
    assert_int_equal(budget, 7);
    drain(f);
    assert_string_equal(f->got, "END\r\n"); /* get d's; nothing after quit */
    assert_string_equal(reqloop_state_name(&f->rl), "conn_closing");
    assert_int_equal(rbuf_len(&f->in), strlen("get e\r\n"));
}

/* -B binary pins the table whatever the first byte. */
static void test_pinned_binary(void **state)
{
    struct fixture *f = *state;
    reqloop_free(&f->rl);
    reqloop_init(&f->rl, &f->srv, &f->stats, &f->out, NULL, 7, CONFIG_PROTO_BINARY, false);
    feed_str(f, "get a_key_of_some_length\r\n"); /* a whole header's worth */
    assert_int_equal(run(f), REQLOOP_CLOSED); /* bad magic: closed without a reply */
    drain(f);
    assert_int_equal(f->ngot, 0);
}

/* Requests of class cls the loop has timed. */
static uint64_t timed(const struct fixture *f, enum latency_class cls)
{
    uint64_t n = 0;
    for (unsigned b = 0; b < LATENCY_BUCKETS; b++)
        n += atomic_load(&f->stats.latency.count[cls][b]);
    return n;
}

static uint64_t timed_all(const struct fixture *f)
{
    uint64_t n = 0;
    for (int c = 0; c < LATENCY_NCLASSES; c++)
        n += timed(f, (enum latency_class)c);
    return n;
}

/* Every request that ran is timed once, as its command; a parse error,
 * a refused line's block and quit are not; a set whose block came in
 * pieces is one set. */
static void test_latency_counts_each_request_once(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set a 0 0 1\r\nx\r\nget a\r\nget a b\r\nmg a v\r\nms b 2\r\nhi\r\n"
                "bogus\r\nincr a 1\r\nversion\r\nset k 0 0 10\r\n0123");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    assert_int_equal(timed(f, LATENCY_SET), 1);
    assert_int_equal(timed(f, LATENCY_GET), 2);
    assert_int_equal(timed(f, LATENCY_MG), 1);
    assert_int_equal(timed(f, LATENCY_MS), 1);
    assert_int_equal(timed(f, LATENCY_INCR), 1);
    assert_int_equal(timed(f, LATENCY_OTHER), 1); /* version */
    assert_int_equal(timed_all(f), 7);            /* bogus is not timed */
    feed_str(f, "456789\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    assert_int_equal(timed(f, LATENCY_SET), 2);
    uint64_t sum = 0;
    for (int c = 0; c < LATENCY_NCLASSES; c++)
        sum += atomic_load(&f->stats.latency.sum_ns[c]);
    assert_true(sum > 0);
    feed_str(f, "quit\r\n");
    run(f);
    assert_int_equal(timed_all(f), 8);
}

/* A data block received straight into the item (large values) finishes
 * the set outside reqloop_run: still timed, once. */
static void test_latency_direct_receive(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set big 0 0 100000\r\n");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    size_t room = 0;
    char *dest = reqloop_data_dest(&f->rl, &room);
    assert_non_null(dest);
    assert_int_equal(room, 100002);
    memset(dest, 'v', 100000);
    memcpy(dest + 100000, "\r\n", 2);
    assert_int_equal(timed(f, LATENCY_SET), 0);
    reqloop_data_received(&f->rl, room);
    assert_int_equal(timed(f, LATENCY_SET), 1);
    assert_int_equal(timed_all(f), 1);
}

/* A block cut off by the end of input is no request done: not timed. */
static void test_latency_end_input(void **state)
{
    struct fixture *f = *state;
    feed_str(f, "set k 0 0 10\r\n01");
    assert_int_equal(run(f), REQLOOP_NEED_INPUT);
    reqloop_end_input(&f->rl);
    feed_str(f, "get k\r\n");
    assert_int_equal(run(f), REQLOOP_IDLE);
    assert_int_equal(timed(f, LATENCY_SET), 0);
    assert_int_equal(timed(f, LATENCY_GET), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipelined_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_block_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_at_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_storage_swallows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_noreply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_quiet_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_quiet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pinned_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_counts_each_request_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_direct_receive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency_end_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
