"""What a client sees of time and of cas values, exactly (issue 27).

The remaining TTL after every verb that sets one (set, touch, gat, gats,
mg T, ms T, ma N/T), touch with 0 clearing it, the 30-day line between
relative and absolute times, an item's last second, the cas after every
verb that changes an item, and the client flags that incr and append keep.

A TTL is only exact within one second of the server's clock. Each exact
check therefore runs its requests in one pipeline between two `stats`
requests and holds only if both report the same `uptime` (the server
clock, in whole seconds, that exptimes are counted on); if a second began
in between, the same pipeline is sent again, which cannot straddle a
second boundary twice in a row. Tests that need the clock to move wait
for the server's uptime to change: an event, with a deadline.
"""

import re
import time

import pytest

from mnemo_harness import scaled
from test_text_protocol import gets_cas


def parse_stats(blob):
    return {m.group(1): m.group(2) for m in re.finditer(rb"STAT (\S+) (\S+)\r\n", blob)}


def uptime(conn):
    conn.send(b"stats\r\n")
    return int(parse_stats(conn.recv_until(b"END\r\n"))[b"uptime"])


def in_one_second(conn, requests):
    """Send requests (and mn, the meta no-op that ends them) between two
    stats; return their replies, up to mn's, and the server second they
    ran in, once both stats show the same uptime."""
    for _ in range(3):
        conn.send(b"stats\r\n" + requests + b"mn\r\nstats\r\n")
        before = int(parse_stats(conn.recv_until(b"END\r\n"))[b"uptime"])
        replies = conn.recv_until(b"MN\r\n")[:-4]
        after = int(parse_stats(conn.recv_until(b"END\r\n"))[b"uptime"])
        if before == after:
            return replies, before
    pytest.fail("three pipelines in a row each crossed a second of the server's clock")


def wait_for_second(conn, target):
    """Wait until the server's clock reads at least target."""
    deadline = time.monotonic() + scaled(10)
    while True:
        now = uptime(conn)
        if now >= target:
            return now
        assert time.monotonic() < deadline, "the server's clock did not reach %d" % target
        time.sleep(0.05)


def ttl_of(replies):
    """The t flag of the first meta reply line in replies."""
    m = re.search(rb" t(-?\d+)", replies)
    assert m, replies
    return int(m.group(1))


# ---------------------------------------------------------------------------
# the TTL each verb sets, to the second

@pytest.mark.parametrize("verb, line, reply", [
    ("set", b"set k 0 100 1\r\nx\r\n", b"STORED\r\n"),
    ("touch", b"touch k 100\r\n", b"TOUCHED\r\n"),
    ("gat", b"gat 100 k\r\n", b"END\r\n"),
    ("gats", b"gats 100 k\r\n", b"END\r\n"),
    ("mg T", b"mg k T100\r\n", b"HD\r\n"),
    ("ms T", b"ms k 1 T100\r\nx\r\n", b"HD\r\n"),
    ("md T (stale)", b"md k I T100\r\n", b"HD\r\n"),
])
def test_exact_ttl_after(conn, verb, line, reply):
    conn.call(b"set k 0 5000 1\r\nx\r\n", b"STORED\r\n")
    replies, _ = in_one_second(conn, line + b"mg k t\r\n")
    assert replies.startswith(reply) or replies.startswith(b"VALUE k 0 1"), (verb, replies)
    last = replies.split(b"\r\n")[-2]
    assert ttl_of(last) == 100, (verb, replies)


@pytest.mark.parametrize("line, reply", [
    (b"touch k 0\r\n", b"TOUCHED\r\n"),
    (b"gat 0 k\r\n", b"VALUE k 0 1\r\nx\r\nEND\r\n"),
    (b"mg k T0\r\n", b"HD\r\n"),
])
def test_zero_clears_the_ttl(conn, line, reply):
    """touch, gat and mg T with 0: the item no longer expires, and is there."""
    conn.call(b"set k 0 100 1\r\nx\r\n", b"STORED\r\n")
    conn.call(line, reply)
    conn.call(b"mg k t v\r\n", b"VA 1 t-1\r\nx\r\n")
    conn.call(b"get k\r\n", b"VALUE k 0 1\r\nx\r\nEND\r\n")


def test_gats_zero_clears_the_ttl_and_keeps_the_cas(conn):
    conn.call(b"set k 0 100 1\r\nx\r\n", b"STORED\r\n")
    conn.send(b"gets k\r\n")
    cas = conn.recv_until(b"END\r\n").split(b"\r\n")[0].split()[4]
    conn.call(b"gats 0 k\r\n", b"VALUE k 0 1 " + cas + b"\r\nx\r\nEND\r\n")
    conn.call(b"mg k t\r\n", b"HD t-1\r\n")


def test_ma_ttl_from_n_then_t(conn):
    """ma N creates the counter with N's TTL; with T as well, T's wins."""
    replies, _ = in_one_second(conn, b"ma c N50 J7 t v\r\nma d N50 T80 J7 t v\r\n")
    assert replies == b"VA 1 t50\r\n7\r\nVA 1 t80\r\n7\r\n", replies


# ---------------------------------------------------------------------------
# relative and absolute times

def test_thirty_days_is_still_relative(conn):
    """An exptime of exactly 30 days counts from now; one second more is a
    Unix time (in 1970: already expired)."""
    replies, _ = in_one_second(conn, b"set a 0 2592000 1\r\nx\r\nmg a t\r\n")
    assert replies == b"STORED\r\nHD t2592000\r\n", replies
    conn.call(b"set b 0 2592001 1\r\nx\r\n", b"STORED\r\n")
    conn.call(b"get b\r\n", b"END\r\n")


def test_absolute_exptime(conn):
    """A Unix time 100 s ahead of the server's is a TTL of 100."""
    for _ in range(3):
        conn.send(b"stats\r\n")
        st = parse_stats(conn.recv_until(b"END\r\n"))
        at = int(st[b"time"]) + 100
        replies, _ = in_one_second(conn, b"set k 0 %d 1\r\nx\r\nmg k t\r\n" % at)
        conn.send(b"stats\r\n")
        if int(parse_stats(conn.recv_until(b"END\r\n"))[b"time"]) == int(st[b"time"]):
            assert ttl_of(replies) == 100, replies
            return
    pytest.fail("the server's wall clock moved under three tries in a row")


def test_time_and_uptime_turn_together(conn):
    """stats time is the server's clock in Unix time, as memcached's: it and
    uptime turn their seconds at the same moment, so time - uptime never
    changes. (time(NULL) turned up to a clock tick apart, and a client
    adding 100 to it then set a TTL of 99.) Polled across two turns of the
    server's second, where the two would part. Only a step of the wall
    clock (NTP, an operator) may move time against uptime, by the step."""
    first = None
    seen = set()
    deadline = time.monotonic() + scaled(10)
    wall_minus_mono = time.time() - time.monotonic()
    while len(seen) < 3:
        assert time.monotonic() < deadline, "the server's clock did not turn twice"
        conn.send(b"stats\r\n" * 20)
        for _ in range(20):
            st = parse_stats(conn.recv_until(b"END\r\n"))
            up, unix = int(st[b"uptime"]), int(st[b"time"])
            seen.add(up)
            if first is None:
                first = unix - up
            if unix - up != first and abs(time.time() - time.monotonic() - wall_minus_mono) >= 0.5:
                first, seen = None, set()  # the wall clock was stepped: start again
                wall_minus_mono = time.time() - time.monotonic()
                break
            assert unix - up == first, (unix, up, first)


def test_negative_exptime_is_expired_at_once(conn):
    conn.call(b"set k 0 -1 1\r\nx\r\n", b"STORED\r\n")
    conn.call(b"get k\r\n", b"END\r\n")
    conn.call(b"mg k v\r\n", b"EN\r\n")


def test_last_second_of_an_item(conn):
    """An item set with a TTL of 1 is served in the second it was set and
    gone in the next: the second its exptime names is no longer its own."""
    replies, second = in_one_second(conn, b"set k 0 1 1\r\nx\r\nget k\r\n")
    assert replies == b"STORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n", replies
    wait_for_second(conn, second + 1)
    replies, now = in_one_second(conn, b"get k\r\n")
    assert replies == b"END\r\n", (second, now, replies)


# ---------------------------------------------------------------------------
# cas values: each change gives a new one, reads and touches keep it

def cas_of(conn, key=b"k"):
    return gets_cas(conn, key)


CHANGES = [
    ("set", b"set k 0 0 1\r\n5\r\n", b"STORED\r\n"),
    ("replace", b"replace k 0 0 1\r\n6\r\n", b"STORED\r\n"),
    ("append", b"append k 0 0 1\r\n0\r\n", b"STORED\r\n"),
    ("prepend", b"prepend k 0 0 1\r\n1\r\n", b"STORED\r\n"),
    ("incr", b"incr k 1\r\n", b"161\r\n"),
    ("decr", b"decr k 100\r\n", b"61\r\n"),
    ("ms", b"ms k 2\r\n70\r\n", b"HD\r\n"),
    ("ma", b"ma k\r\n", b"HD\r\n"),
    ("md I", b"md k I\r\n", b"HD\r\n"),
    ("ms I", b"ms k 2 I\r\n80\r\n", b"HD\r\n"),
]


def test_every_change_gives_a_new_cas(conn):
    conn.call(b"set k 0 0 1\r\n1\r\n", b"STORED\r\n")
    seen = [cas_of(conn)]
    for verb, line, reply in CHANGES:
        conn.call(line, reply)
        cas = cas_of(conn)
        assert cas not in seen, (verb, cas, seen)
        assert cas > seen[-1], (verb, cas, seen)  # cas values only grow
        seen.append(cas)
    # reads and touches keep it
    for line, reply in [(b"get k\r\n", None), (b"touch k 100\r\n", b"TOUCHED\r\n"),
                        (b"gat 50 k\r\n", None), (b"mg k T20 v\r\n", None)]:
        conn.send(line)
        if reply is not None:
            conn.expect(reply)
        else:
            conn.recv_until(b"END\r\n" if not line.startswith(b"mg") else b"\r\n80\r\n")
        assert cas_of(conn) == seen[-1], line


def test_cas_command_needs_the_current_cas(conn):
    conn.call(b"set k 0 0 1\r\na\r\n", b"STORED\r\n")
    cas = cas_of(conn)
    conn.call(b"cas k 0 0 1 %d\r\nb\r\n" % (cas + 1), b"EXISTS\r\n")
    conn.call(b"cas k 0 0 1 %d\r\nb\r\n" % cas, b"STORED\r\n")
    conn.call(b"cas k 0 0 1 %d\r\nc\r\n" % cas, b"EXISTS\r\n")  # it changed with b
    conn.call(b"get k\r\n", b"VALUE k 0 1\r\nb\r\nEND\r\n")
    conn.call(b"cas nokey 0 0 1 %d\r\nb\r\n" % cas, b"NOT_FOUND\r\n")


def test_cas_zero_never_matches_without_cas(server_factory):
    """With -C items carry cas 0, and a cas command answers EXISTS, even
    with a cas unique of 0."""
    srv = server_factory("-C")
    with srv.client() as c:
        c.call(b"set k 0 0 1\r\na\r\n", b"STORED\r\n")
        c.call(b"gets k\r\n", b"VALUE k 0 1 0\r\na\r\nEND\r\n")
        c.call(b"cas k 0 0 1 0\r\nb\r\n", b"EXISTS\r\n")
        c.call(b"get k\r\n", b"VALUE k 0 1\r\na\r\nEND\r\n")


# ---------------------------------------------------------------------------
# client flags: incr, decr, append and prepend keep the item's

def test_changes_keep_the_flags(conn):
    conn.call(b"set n 77 0 2\r\n10\r\n", b"STORED\r\n")
    conn.call(b"incr n 5\r\n", b"15\r\n")
    conn.call(b"decr n 6\r\n", b"9\r\n")
    conn.call(b"get n\r\n", b"VALUE n 77 2\r\n9 \r\nEND\r\n")
    conn.call(b"set s 42 0 1\r\nb\r\n", b"STORED\r\n")
    conn.call(b"append s 9 0 1\r\nc\r\n", b"STORED\r\n")
    conn.call(b"prepend s 8 0 1\r\na\r\n", b"STORED\r\n")
    conn.call(b"get s\r\n", b"VALUE s 42 3\r\nabc\r\nEND\r\n")


# ---------------------------------------------------------------------------
# what mg reports of an item's history

def test_mg_fetched_and_last_access(conn):
    conn.call(b"set k 0 0 1\r\nx\r\n", b"STORED\r\n")
    conn.call(b"mg k h\r\n", b"HD h0\r\n")
    conn.call(b"mg k u h\r\n", b"HD h1\r\n")  # fetched by the first mg
    conn.call(b"set u 0 0 1\r\nx\r\n", b"STORED\r\n")
    conn.call(b"mg u u\r\n", b"HD\r\n")       # u: no bump, so not fetched
    conn.call(b"mg u h\r\n", b"HD h0\r\n")
    replies, second = in_one_second(conn, b"mg k l\r\n")
    wait_for_second(conn, second + 2)
    conn.send(b"mg k l\r\n")
    assert int(re.match(rb"HD l(\d+)\r\n", conn.recv_line()).group(1)) >= 2


def test_flush_all_with_a_delay(conn):
    """flush_all N empties the cache N seconds later, not before."""
    conn.call(b"set k 0 0 1\r\nx\r\n", b"STORED\r\n")
    replies, second = in_one_second(conn, b"flush_all 2\r\nget k\r\n")
    assert replies == b"OK\r\nVALUE k 0 1\r\nx\r\nEND\r\n", replies
    wait_for_second(conn, second + 2)
    conn.call(b"get k\r\n", b"END\r\n")


# ---------------------------------------------------------------------------
# the binary protocol's touch and gat answer with the item's flags and cas

def binary_request(opcode, key, extras=b"", opaque=7):
    body = extras + key
    return (bytes([0x80, opcode]) + len(key).to_bytes(2, "big") + bytes([len(extras), 0, 0, 0])
            + len(body).to_bytes(4, "big") + opaque.to_bytes(4, "big") + bytes(8) + body)


def binary_reply(conn):
    head = conn.recv_exact(24)
    assert head[0] == 0x81, head
    body = conn.recv_exact(int.from_bytes(head[8:12], "big"))
    extlen, keylen = head[4], int.from_bytes(head[2:4], "big")
    return {"opcode": head[1], "status": int.from_bytes(head[6:8], "big"),
            "opaque": int.from_bytes(head[12:16], "big"), "cas": int.from_bytes(head[16:24], "big"),
            "extras": body[:extlen], "key": body[extlen:extlen + keylen],
            "value": body[extlen + keylen:]}


def test_binary_touch_and_gat_answer_with_flags_and_cas(server):
    with server.client() as c:
        c.call(b"set k 1234567 0 2\r\nhi\r\n", b"STORED\r\n")
        cas = cas_of(c)
    with server.client() as b:
        b.send(binary_request(0x1c, b"k", (100).to_bytes(4, "big")))   # touch
        r = binary_reply(b)
        assert r["status"] == 0 and r["opcode"] == 0x1c and r["opaque"] == 7, r
        assert r["extras"] == (1234567).to_bytes(4, "big") and r["value"] == b"", r
        assert r["cas"] == cas, r
        b.send(binary_request(0x1d, b"k", (0).to_bytes(4, "big")))     # gat
        r = binary_reply(b)
        assert r["status"] == 0 and r["extras"] == (1234567).to_bytes(4, "big"), r
        assert r["value"] == b"hi" and r["cas"] == cas, r
        b.send(binary_request(0x1c, b"nokey", (100).to_bytes(4, "big")))
        r = binary_reply(b)
        assert r["status"] == 1 and r["cas"] == 0, r                   # not found
    with server.client() as c:
        c.call(b"mg k t\r\n", b"HD t-1\r\n")  # gat 0 cleared the TTL touch set


def test_misses_of_expired_and_flushed_items_are_told_apart(server_factory):
    """stats: a get that finds an expired item counts in get_expired, one
    that finds a flushed item in get_flushed; both are misses.  With the
    LRU crawler off, so that no background reclaim takes either item before
    the get finds it (with it on, one did, now and then, under TSan)."""
    srv = server_factory("-o", "no_lru_crawler")
    with srv.client() as c:
        c.call(b"set gone 0 -1 1\r\nx\r\n", b"STORED\r\n")
        c.call(b"get gone\r\n", b"END\r\n")
        c.call(b"set kept 0 0 1\r\nx\r\n", b"STORED\r\n")
        c.call(b"flush_all\r\n", b"OK\r\n")
        c.call(b"get kept\r\n", b"END\r\n")
        st = c.stats()
        assert (st["get_misses"], st["get_expired"], st["get_flushed"]) == ("2", "1", "1"), st
