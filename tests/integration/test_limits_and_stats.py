"""Memory limits, eviction, expiry, stats, and the server flags that change
behaviour (-m -M -C -F -A -c -s -I -t)."""

import socket
import time

import pytest
from pymemcache.client.base import Client

from mnemo_harness import (ALONE, IO_TIMEOUT, ServerFactory, mnemod_only, scaled, stat_delta,
                           wait_for_connections)

MB = 1024 * 1024
VALUE_1K = b"v" * 1024


def fill(conn, first, count, value=VALUE_1K, batch=200, stop_on_error=False):
    """Pipelined sets of key<i>; returns the list of replies (lines)."""
    replies = []
    i = first
    end = first + count
    while i < end:
        n = min(batch, end - i)
        conn.send(b"".join(b"set key%d 0 0 %d\r\n%s\r\n" % (j, len(value), value)
                           for j in range(i, i + n)))
        for _ in range(n):
            replies.append(conn.recv_line())
        i += n
        if stop_on_error and any(r != b"STORED\r\n" for r in replies[-n:]):
            break
    return replies


# ---------------------------------------------------------------------------
# memory limits

@pytest.mark.mnemo_timeout(90)
def test_eviction_with_small_memory(server_factory):
    srv = server_factory("-m", "8")
    with srv.client() as c:
        total = 4 * 8 * MB // len(VALUE_1K)         # ~4x the memory limit
        replies = fill(c, 0, total)
        assert set(replies) == {b"STORED\r\n"}, "every set must succeed when evicting"
        st = c.stats()
        assert int(st["limit_maxbytes"]) == 8 * MB
        assert int(st["evictions"]) > 0
        assert 0 < int(st["bytes"]) <= int(st["limit_maxbytes"])
        assert int(st["curr_items"]) < total
        assert int(st["total_items"]) == total
        # the most recently written keys survive
        recent = [b"key%d" % i for i in range(total - 100, total)]
        c.send(b"get " + b" ".join(recent) + b"\r\n")
        c.expect(b"".join(b"VALUE %s 0 1024\r\n%s\r\n" % (k, VALUE_1K) for k in recent)
                 + b"END\r\n")
        # and the very first ones are gone
        c.call(b"get key0 key1\r\n", b"END\r\n")


@pytest.mark.mnemo_timeout(90)
def test_no_evict_flag_reports_out_of_memory(server_factory):
    srv = server_factory("-m", "8", "-M")
    with srv.client() as c:
        replies = fill(c, 0, 4 * 8 * MB // len(VALUE_1K), stop_on_error=True)
        errors = [r for r in replies if r != b"STORED\r\n"]
        assert errors, "with -M the cache must fill up"
        assert set(errors) == {b"SERVER_ERROR out of memory storing object\r\n"}
        stored = replies.index(errors[0])
        assert stored > 1000                        # a good part of 8 MB was usable
        st = c.stats()
        assert int(st["evictions"]) == 0
        assert int(st["bytes"]) <= int(st["limit_maxbytes"])
        # earlier items are all kept
        keys = [b"key%d" % i for i in (0, 1, stored // 2, stored - 1)]
        c.send(b"get " + b" ".join(keys) + b"\r\n")
        c.expect(b"".join(b"VALUE %s 0 1024\r\n%s\r\n" % (k, VALUE_1K) for k in keys)
                 + b"END\r\n")
        # deleting makes room again
        c.send(b"".join(b"delete key%d\r\n" % i for i in range(100)))
        for _ in range(100):
            assert c.recv_line() == b"DELETED\r\n"
        c.call(b"set again 0 0 1024\r\n%s\r\n" % VALUE_1K, b"STORED\r\n")
        assert srv.stats("settings")["evictions"] == "off"


@pytest.mark.mnemo_timeout(30)
def test_expiry_stats(server_factory):
    srv = server_factory()          # fresh: no flushed items to be reclaimed
    with srv.client() as c:
        base = c.stats()
        c.call(b"set exp1 0 1 1\r\nx\r\nset keep 0 0 1\r\nx\r\n", b"STORED\r\nSTORED\r\n")
        assert stat_delta(base, c.stats(), ["curr_items"]) == {"curr_items": 2}
        time.sleep(2.2)
        # memcached's clock ticks once a second: wait for at most 4 s more
        deadline = time.monotonic() + scaled(4)
        while True:
            before = c.stats()
            reply = c.request(b"get exp1\r\n", b"END\r\n")
            if reply == b"END\r\n" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert reply == b"END\r\n", "item with exptime 1 still there"
        after = c.stats()
        d = stat_delta(before, after, ["cmd_get", "get_misses", "get_hits", "get_expired"])
        # The expired item may be dropped lazily by this get (then it counts
        # as get_expired) or earlier by a background reclaim; either way it
        # no longer counts in curr_items.
        lazily = int(before["curr_items"]) - int(base["curr_items"]) == 2
        assert d == {"cmd_get": 1, "get_misses": 1, "get_hits": 0,
                     "get_expired": 1 if lazily else 0}
        assert int(after["curr_items"]) - int(base["curr_items"]) == 1
        c.call(b"get keep\r\n", b"VALUE keep 0 1\r\nx\r\nEND\r\n")


# ---------------------------------------------------------------------------
# stats

STAT_NAMES = """pid uptime time version threads curr_connections total_connections
cmd_get cmd_set cmd_touch cmd_flush get_hits get_misses get_expired delete_hits
delete_misses incr_hits incr_misses decr_hits decr_misses cas_hits cas_misses cas_badval
touch_hits touch_misses curr_items total_items bytes limit_maxbytes evictions
expired_unfetched reclaimed bytes_read bytes_written rejected_connections
max_connections""".split()

SETTINGS_NAMES = """maxconns tcp_backlog item_size_max cas_enabled flush_enabled
binding_protocol evictions domain_socket maxbytes num_threads tcpport""".split()


def test_stats_names(server):
    st = server.stats()
    missing = [n for n in STAT_NAMES if n not in st]
    assert not missing, missing
    for name in STAT_NAMES:
        if name != "version":
            assert st[name].replace(".", "", 1).isdigit(), (name, st[name])
    assert int(st["pid"]) == server.proc.pid
    assert abs(int(st["time"]) - time.time()) < 5
    assert int(st["limit_maxbytes"]) == 64 * MB
    assert int(st["max_connections"]) == 1024


def test_stats_settings_defaults(server):
    st = server.stats("settings")
    missing = [n for n in SETTINGS_NAMES if n not in st]
    assert not missing, missing
    assert st["maxconns"] == "1024"
    assert st["tcp_backlog"] == "1024"
    assert st["item_size_max"] == str(MB)
    assert st["cas_enabled"] == "yes"
    assert st["flush_enabled"] == "yes"
    assert st["binding_protocol"] == "auto-negotiate"
    assert st["evictions"] == "on"
    assert st["domain_socket"] == "NULL"
    assert st["maxbytes"] == str(64 * MB)
    assert st["tcpport"] == str(server.port)
    assert int(st["num_threads"]) >= 1


def test_stats_settings_follow_flags(server_factory):
    srv = server_factory("-m", "16", "-c", "200", "-I", "2m", "-t", "2", "-C", "-F", "-M",
                         "-b", "64")
    st = srv.stats("settings")
    assert (st["maxbytes"], st["maxconns"], st["item_size_max"], st["num_threads"],
            st["cas_enabled"], st["flush_enabled"], st["evictions"], st["tcp_backlog"]) == (
        str(16 * MB), "200", str(2 * MB), "2", "no", "no", "off", "64")
    general = srv.stats()
    assert general["threads"] == "2"
    assert general["limit_maxbytes"] == str(16 * MB)
    assert general["max_connections"] == "200"


# (commands to run first, command under test, expected reply, expected deltas)
DELTA_CASES = [
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"get a\r\n", b"VALUE a 0 1\r\n1\r\nEND\r\n",
                 {"cmd_get": 1, "get_hits": 1, "get_misses": 0}, id="get-hit"),
    pytest.param([], b"get zz\r\n", b"END\r\n",
                 {"cmd_get": 1, "get_hits": 0, "get_misses": 1}, id="get-miss"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"get a zz a\r\n",
                 b"VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n",
                 {"cmd_get": 3, "get_hits": 2, "get_misses": 1}, id="multiget-per-key"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"gets zz\r\n", b"END\r\n",
                 {"cmd_get": 1, "get_misses": 1}, id="gets-miss"),
    pytest.param([], b"set a 0 0 1\r\n1\r\n", b"STORED\r\n",
                 {"cmd_set": 1, "curr_items": 1, "total_items": 1}, id="set-new"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"set a 0 0 1\r\n2\r\n", b"STORED\r\n",
                 {"cmd_set": 1, "curr_items": 0, "total_items": 1}, id="set-overwrite"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"add a 0 0 1\r\n2\r\n", b"NOT_STORED\r\n",
                 {"cmd_set": 1, "curr_items": 0, "total_items": 0}, id="add-fails"),
    pytest.param([], b"replace a 0 0 1\r\n2\r\n", b"NOT_STORED\r\n",
                 {"cmd_set": 1, "curr_items": 0, "total_items": 0}, id="replace-fails"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"append a 0 0 1\r\n2\r\n", b"STORED\r\n",
                 {"cmd_set": 1, "curr_items": 0, "total_items": 1}, id="append"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"delete a\r\n", b"DELETED\r\n",
                 {"delete_hits": 1, "delete_misses": 0, "curr_items": -1}, id="delete-hit"),
    pytest.param([], b"delete zz\r\n", b"NOT_FOUND\r\n",
                 {"delete_hits": 0, "delete_misses": 1}, id="delete-miss"),
    pytest.param([b"set n 0 0 1\r\n1\r\n"], b"incr n 1\r\n", b"2\r\n",
                 {"incr_hits": 1, "incr_misses": 0}, id="incr-hit"),
    pytest.param([], b"incr zz 1\r\n", b"NOT_FOUND\r\n",
                 {"incr_hits": 0, "incr_misses": 1}, id="incr-miss"),
    pytest.param([b"set n 0 0 1\r\n5\r\n"], b"decr n 1\r\n", b"4\r\n",
                 {"decr_hits": 1, "decr_misses": 0}, id="decr-hit"),
    pytest.param([], b"decr zz 1\r\n", b"NOT_FOUND\r\n",
                 {"decr_hits": 0, "decr_misses": 1}, id="decr-miss"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"incr a x\r\n",
                 b"CLIENT_ERROR invalid numeric delta argument\r\n",
                 {"incr_hits": 0, "incr_misses": 0}, id="incr-bad-delta"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"cas a 0 0 1 999999999\r\nx\r\n", b"EXISTS\r\n",
                 {"cmd_set": 1, "cas_badval": 1, "cas_hits": 0, "cas_misses": 0},
                 id="cas-badval"),
    pytest.param([], b"cas zz 0 0 1 1\r\nx\r\n", b"NOT_FOUND\r\n",
                 {"cmd_set": 1, "cas_badval": 0, "cas_hits": 0, "cas_misses": 1},
                 id="cas-miss"),
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"touch a 10\r\n", b"TOUCHED\r\n",
                 {"cmd_touch": 1, "touch_hits": 1, "touch_misses": 0}, id="touch-hit"),
    pytest.param([], b"touch zz 10\r\n", b"NOT_FOUND\r\n",
                 {"cmd_touch": 1, "touch_hits": 0, "touch_misses": 1}, id="touch-miss"),
    # gat counts as a touch, not as a get
    pytest.param([b"set a 0 0 1\r\n1\r\n"], b"gat 10 a\r\n", b"VALUE a 0 1\r\n1\r\nEND\r\n",
                 {"cmd_touch": 1, "touch_hits": 1, "cmd_get": 0, "get_hits": 0},
                 id="gat-hit"),
    pytest.param([], b"gats 10 zz\r\n", b"END\r\n",
                 {"cmd_touch": 1, "touch_misses": 1, "cmd_get": 0, "get_misses": 0},
                 id="gats-miss"),
    pytest.param([], b"flush_all\r\n", b"OK\r\n", {"cmd_flush": 1}, id="flush"),
    pytest.param([], b"flush_all noreply\r\nversion\r\n", b"VERSION ", {"cmd_flush": 1},
                 id="flush-noreply"),
    pytest.param([], b"version\r\n", b"VERSION ",
                 {"cmd_get": 0, "cmd_set": 0, "cmd_touch": 0}, id="version-counts-nothing"),
]


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory):
    """A server that is never flushed (except by the flush cases, which run
    last with nothing stored), so curr_items moves only with these tests:
    memcached reclaims flushed items lazily, which would blur the counts."""
    factory = ServerFactory(tmp_path_factory.mktemp("stats"))
    try:
        yield factory()
    finally:
        problems = factory.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def clean_conn(stats_server):
    with stats_server.client() as c:
        c.send(b"delete a\r\ndelete n\r\ndelete zz\r\n")
        for _ in range(3):
            assert c.recv_line() in (b"DELETED\r\n", b"NOT_FOUND\r\n")
        yield c


@pytest.mark.parametrize("setup, request_bytes, reply, deltas", DELTA_CASES)
def test_stats_delta(clean_conn, setup, request_bytes, reply, deltas):
    conn = clean_conn
    for s in setup:
        conn.send(s)
        conn.recv_line()
    before = conn.stats()
    conn.call(request_bytes, reply)
    if reply == b"VERSION ":
        conn.recv_line()
    after = conn.stats()
    assert stat_delta(before, after, list(deltas)) == deltas
    assert int(after["bytes_read"]) > int(before["bytes_read"])
    assert int(after["bytes_written"]) > int(before["bytes_written"])


def test_cas_hit_delta(conn):
    conn.call(b"set a 0 0 1\r\n1\r\n", b"STORED\r\n")
    conn.send(b"gets a\r\n")
    cas = int(conn.recv_line().split()[4])
    conn.recv_until(b"END\r\n")
    before = conn.stats()
    conn.call(b"cas a 0 0 1 %d\r\n2\r\n" % cas, b"STORED\r\n")
    after = conn.stats()
    assert stat_delta(before, after, ["cmd_set", "cas_hits", "cas_badval", "cas_misses"]) == {
        "cmd_set": 1, "cas_hits": 1, "cas_badval": 0, "cas_misses": 0}


def test_connection_counters(server_factory):
    # A server of its own: connections of earlier tests on the shared server
    # (and this server's readiness probe) may still be closing, which made
    # the module server's counts race (issue 18). Here the only other
    # connection ever opened is the probe, so "only this client is
    # connected" is an event to wait for.
    srv = server_factory()
    with srv.client() as c:
        wait_for_connections(c, ALONE)
        before = c.stats()
        extra = [srv.client() for _ in range(3)]
        for e in extra:
            e.version()
        mid = c.stats()
        for e in extra:
            e.close()
        assert stat_delta(before, mid, ["curr_connections", "total_connections"]) == {
            "curr_connections": 3, "total_connections": 3}
        wait_for_connections(c, ALONE)
        after = c.stats()
        assert stat_delta(mid, after, ["total_connections"]) == {"total_connections": 0}


def test_stats_reset(server):
    with server.client() as c:
        c.call(b"set r 0 0 1\r\n1\r\nget r\r\nget nope\r\n",
               b"STORED\r\nVALUE r 0 1\r\n1\r\nEND\r\nEND\r\n")
        assert int(c.stats()["cmd_get"]) >= 2
        c.call(b"stats reset\r\n", b"RESET\r\n")
        st = c.stats()
        for name in ("cmd_get", "cmd_set", "get_hits", "get_misses", "evictions",
                     "total_items", "delete_hits", "incr_hits", "touch_hits"):
            assert st[name] == "0", (name, st[name])
        # gauges are not reset
        assert int(st["curr_items"]) >= 1
        assert int(st["curr_connections"]) >= 1
        c.call(b"get r\r\n", b"VALUE r 0 1\r\n1\r\nEND\r\n")
        assert c.stats()["get_hits"] == "1"


@pytest.mark.parametrize("group", ["items", "slabs"])
def test_stats_groups_structure(server, group):
    with server.client() as c:
        c.call(b"set sg 0 0 5\r\nhello\r\n", b"STORED\r\n")
        c.send(b"stats %s\r\n" % group.encode())
        blob = c.recv_until(b"END\r\n")
        lines = blob.split(b"\r\n")
        assert lines[-2:] == [b"END", b""]
        for line in lines[:-2]:
            parts = line.split(b" ")
            assert len(parts) == 3 and parts[0] == b"STAT", line
        assert len(lines) > 2, "stats %s is empty with an item stored" % group
        c.version()


# ---------------------------------------------------------------------------
# flags that change behaviour

def test_cas_disabled(server_factory):
    srv = server_factory("-C")
    with srv.client() as c:
        c.call(b"set c 0 0 1\r\na\r\ngets c\r\n", b"STORED\r\nVALUE c 0 1 0\r\na\r\nEND\r\n")
        c.call(b"gats 0 c\r\n", b"VALUE c 0 1 0\r\na\r\nEND\r\n")
        c.call(b"cas c 0 0 1 0\r\nb\r\n", b"EXISTS\r\n")
        c.call(b"cas c 0 0 1 1\r\nb\r\n", b"EXISTS\r\n")
        c.call(b"cas nope 0 0 1 0\r\nb\r\n", b"NOT_FOUND\r\n")
        c.call(b"get c\r\n", b"VALUE c 0 1\r\na\r\nEND\r\n")
        assert c.stats("settings")["cas_enabled"] == "no"


def test_flush_disabled(server_factory):
    srv = server_factory("-F")
    with srv.client() as c:
        c.call(b"set f 0 0 1\r\na\r\n", b"STORED\r\n")
        c.call(b"flush_all\r\n", b"CLIENT_ERROR flush_all not allowed\r\n")
        c.call(b"flush_all 0\r\n", b"CLIENT_ERROR flush_all not allowed\r\n")
        c.call(b"flush_all noreply\r\nget f\r\n", b"VALUE f 0 1\r\na\r\nEND\r\n")
        assert c.stats("settings")["flush_enabled"] == "no"
        assert c.stats()["cmd_flush"] == "3"      # refused attempts still count


def test_shutdown_not_enabled(server):
    with server.client() as c:
        c.call(b"shutdown\r\n", b"SERVER_ERROR: shutdown not enabled\r\n")  # 1.6.45's words
        c.call(b"shutdown graceful\r\n", b"SERVER_ERROR: shutdown not enabled\r\n")
        c.call(b"shutdown foo\r\n", b"SERVER_ERROR: shutdown not enabled\r\n")
        c.version()
    assert server.alive()
    assert server.stats("settings").get("shutdown_command", "no") == "no"


@pytest.mark.parametrize("command", [b"shutdown\r\n", b"shutdown graceful\r\n"])
def test_shutdown_enabled(server_factory, command):
    srv = server_factory("-A")
    with srv.client() as c:
        c.call(b"shutdown foo\r\n", b"CLIENT_ERROR invalid shutdown mode\r\n")
        c.send(command)
        assert c.assert_closed() == b""
    try:
        rc = srv.proc.wait(scaled(10))
    except Exception:
        pytest.fail("server still running 10 s after %r" % command)
    assert rc == 0
    with pytest.raises(OSError):
        srv.connect_socket(timeout=1).close()


def test_max_connections_overflow(server_factory):
    # memcached counts file descriptors against -c (so it accepts fewer
    # clients than N); mnemo counts clients.  Both: at most N clients, the
    # rejected one gets this exact line and is closed, and it is counted.
    n = 50
    srv = server_factory("-c", str(n))
    # The readiness probe's close may still be on its way: until the server
    # has counted it, it would take one of the N places.
    with srv.client() as probe:
        wait_for_connections(probe, ALONE)
    clients = []
    rejected = None
    try:
        for _ in range(n + 1):
            c = srv.client(timeout=scaled(5))
            c.send(b"version\r\n")
            line = c.recv_line()
            if line.startswith(b"VERSION "):
                clients.append(c)
                continue
            rejected = c
            assert line == b"ERROR Too many open connections\r\n"
            assert c.assert_closed() == b""
            break
        assert rejected is not None, "%d connections accepted with -c %d" % (len(clients), n)
        assert len(clients) <= n
        st = clients[0].stats()
        assert st["rejected_connections"] == "1"
        assert int(st["curr_connections"]) == len(clients)
    finally:
        for c in clients:
            c.close()
        if rejected is not None:
            rejected.close()
    # room again once clients leave
    deadline = time.monotonic() + scaled(5)
    while True:
        with srv.client() as c:
            c.send(b"version\r\n")
            if c.recv_line().startswith(b"VERSION "):
                break
        assert time.monotonic() < deadline, "server never accepted again"
        time.sleep(0.1)


@mnemod_only
def test_max_connections_exact(server_factory):
    # mnemo: -c N means N client connections; the N+1st is rejected.
    # (memcached 1.6.18 counts reserved fds and listeners against -c.)
    n = 10
    srv = server_factory("-c", str(n))
    # The harness's readiness probe has closed, but a TCP close reaches the
    # server asynchronously: wait until the server counts only us.
    first = srv.client()
    wait_for_connections(first, ALONE)
    clients = [first] + [srv.client() for _ in range(n - 1)]
    try:
        for c in clients:
            c.version()
        with srv.client() as extra:
            extra.send(b"version\r\n")
            assert extra.recv_line() == b"ERROR Too many open connections\r\n"
            assert extra.assert_closed() == b""
        assert clients[0].stats()["rejected_connections"] == "1"
    finally:
        for c in clients:
            c.close()


def test_unix_socket(server_factory):
    srv = server_factory(unix=True)
    client = Client("unix:" + srv.unix_path, timeout=IO_TIMEOUT)
    try:
        assert client.set("u", b"over unix", noreply=False) is True
        assert client.get("u") == b"over unix"
        assert client.stats(b"settings")[b"domain_socket"] == srv.unix_path.encode()
    finally:
        client.close()
    with srv.client() as c:
        c.call(b"get u\r\n", b"VALUE u 0 9\r\nover unix\r\nEND\r\n")


def test_item_size_max_flag(server_factory):
    srv = server_factory("-I", "2m")
    value = bytes(range(256)) * (3 * MB // 2 // 256)       # 1.5 MB
    with srv.client() as c:
        c.call(b"set big 0 0 %d\r\n%s\r\n" % (len(value), value), b"STORED\r\n")
        c.call(b"get big\r\n", b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value), value))
        over = b"x" * (2 * MB)
        c.call(b"set big2 0 0 %d\r\n%s\r\n" % (len(over), over),
               b"SERVER_ERROR object too large for cache\r\n")
        assert c.stats("settings")["item_size_max"] == str(2 * MB)


@pytest.mark.mnemo_timeout(90)
def test_large_values_in_a_small_cache(server_factory):
    """At -m 16 segments are smaller than -I (1 MB): values up to -I still
    store whole, beside small ones, many times over what the cache holds."""
    srv = server_factory("-m", "16")
    sizes = [1000 * 1024, 600 * 1024, 300 * 1024, 257 * 1024]
    with srv.client() as c:
        for r in range(60):
            value = bytes((r * 7 + i) % 251 for i in range(251)) * (sizes[r % 4] // 251 + 1)
            value = value[:sizes[r % 4]]
            key = b"big%d" % r
            c.call(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value), b"STORED\r\n")
            c.call(b"get %s\r\n" % key,
                   b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value))
            assert set(fill(c, r * 300, 300)) == {b"STORED\r\n"}
        st = c.stats()
        assert int(st["evictions"]) > 0
        assert 0 < int(st["bytes"]) <= int(st["limit_maxbytes"]) == 16 * MB


def test_idle_timeout_closes_only_idle_connections(server_factory):
    # -o idle_timeout=N: a connection silent for more than N seconds is
    # closed; one that keeps talking stays. Bounded polling, no exact timing.
    srv = server_factory("-o", "idle_timeout=1")
    idle = srv.client()
    busy = srv.client()
    idle.version()
    deadline = time.monotonic() + scaled(10)
    closed = False
    while time.monotonic() < deadline and not closed:
        busy.version()                      # keeps the busy one active
        idle.sock.settimeout(0.2)
        try:
            closed = idle.sock.recv(1) == b""
        except socket.timeout:
            pass
        except OSError:
            closed = True
    assert closed, "the idle connection was never closed"
    busy.version()                          # the active one survived
    busy.close()
    idle.close()


def _thp_mode():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.index("[") + 1:text.index("]")] if "[" in text else None


# What a store of up to 16 GB reserves for item memory: its arena's whole
# span (the ceiling cache_memlimit may raise -m to) plus one 1 MB segment
# for alignment, PROT_NONE but for the segments handed out (made writable
# one by one, so the reservation shows as several adjacent mappings).
ARENA_RESERVED = 16 * 1024 * MB + MB


def _arena_smaps(pid, arena_bytes, field, combine):
    """combine() of a field of /proc/PID/smaps (in its own unit: kB, or 0/1)
    over the writable mappings of each item arena: the reservation is
    MAP_NORESERVE (VmFlags "nr"), a PROT_NONE tail with the segments handed
    out below it, arena_bytes in all. Found from the tail down, so that
    neighbouring mappings (thread stacks; a sanitizer's own) are left out."""
    vmas = []  # [start, end, perms, {field: value}, vmflags]
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and ":" not in head[0]:
                start, end = (int(x, 16) for x in head[0].split("-"))
                vmas.append([start, end, head[1], {}, ""])
            elif line.startswith("VmFlags:"):
                vmas[-1][4] = line
            elif len(head) >= 2 and head[0].endswith(":"):
                vmas[-1][3][head[0][:-1]] = head[1]
    out = []
    for i, (start, end, perms, _, flags) in enumerate(vmas):
        if perms.startswith("---") and " nr" in flags and arena_bytes // 2 <= end - start <= arena_bytes:
            # The reservation is [end - arena_bytes, end). Its lowest mapping
            # may reach below that: when the reservation happens to start
            # segment-aligned, its lowest writable segments and a writable
            # MAP_NORESERVE table mapped just below merge into one mapping
            # (whose few table pages are then counted too).
            low, values, k = end - arena_bytes, [], i - 1
            covered = start <= low
            while not covered and k >= 0 and vmas[k][1] == vmas[k + 1][0] and " nr" in vmas[k][4]:
                if vmas[k][2].startswith("rw") and field in vmas[k][3]:
                    values.append(int(vmas[k][3][field]))
                covered = vmas[k][0] <= low
                k -= 1
            if covered and values:
                out.append(combine(values))
    return out


def _store_and_serve_4k(srv):
    value = bytes(range(256)) * 16                          # 4 KB
    with srv.client() as c:
        for i in range(2000):
            c.send(b"set big%d 0 0 %d noreply\r\n%s\r\n" % (i, len(value), value))
        c.call(b"get big0 big1999\r\n",
               b"VALUE big0 0 4096\r\n%s\r\nVALUE big1999 0 4096\r\n%s\r\nEND\r\n" % (value, value))


@mnemod_only
@pytest.mark.skipif(_thp_mode() != "madvise",
                    reason="transparent huge pages are not in 'madvise' mode here")
@pytest.mark.parametrize("flags, want", [((), 1), (("-o", "hugepages=off"), 0),
                                         (("-o", "hugepages=on"), 1)])
def test_huge_pages_option(server_factory, flags, want):
    """Item memory is advised for huge pages unless -o hugepages=off; items
    are stored and served the same either way."""
    srv = server_factory("-m", "128", *flags)
    _store_and_serve_4k(srv)
    assert _arena_smaps(srv.proc.pid, ARENA_RESERVED, "THPeligible", max) == [want]


@mnemod_only
@pytest.mark.parametrize("flags, resident", [((), False), (("-L",), True),
                                             (("-L", "-o", "hugepages=off"), True)])
def test_large_pages_flag_preallocates(server_factory, flags, resident):
    """-L makes all item memory resident at start, as memcached's -L
    preallocates it; without it, memory is touched as items arrive."""
    srv = server_factory("-m", "128", *flags)
    # Under ThreadSanitizer, shadow mappings of the same size appear once
    # the arena is touched: the arena is the most resident of them.
    rss_kb = max(_arena_smaps(srv.proc.pid, ARENA_RESERVED, "Rss", sum))
    if resident:
        assert rss_kb >= 128 * 1024
    else:
        assert rss_kb < 16 * 1024
    _store_and_serve_4k(srv)


# ---------------------------------------------------------------------------
# cache_memlimit: -m at run time

# (request, memcached 1.6.45's reply); the same in 1.6.18
MEMLIMIT_REPLIES = [
    pytest.param(b"cache_memlimit\r\n", b"ERROR\r\n", id="missing"),
    pytest.param(b"cache_memlimit abc\r\n", b"ERROR\r\n", id="non-numeric"),
    pytest.param(b"cache_memlimit -1\r\n", b"ERROR\r\n", id="negative"),
    pytest.param(b"cache_memlimit 0\r\n",
                 b"MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n", id="zero"),
    pytest.param(b"cache_memlimit 7\r\n",
                 b"MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n", id="seven"),
    pytest.param(b"cache_memlimit 1000000001\r\n",
                 b"MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n", id="bytes"),
    pytest.param(b"cache_memlimit 8\r\n", b"OK\r\n", id="eight"),
    pytest.param(b"cache_memlimit 100 extra\r\n", b"OK\r\n", id="extra-token"),
    pytest.param(b"cache_memlimit 00000000064\r\n", b"OK\r\n", id="eleven-digits"),
    # 1.6.18 read these with strtoul (and wrapped 2^32 to 0)
    pytest.param(b"cache_memlimit +12\r\n", b"ERROR\r\n", id="plus", marks=mnemod_only),
    pytest.param(b"cache_memlimit 4294967296\r\n", b"ERROR\r\n", id="above-u32",
                 marks=mnemod_only),
    pytest.param(b"cache_memlimit 000000000064\r\n", b"ERROR\r\n", id="twelve-digits",
                 marks=mnemod_only),
]


@pytest.mark.parametrize("request_line, reply", MEMLIMIT_REPLIES)
def test_cache_memlimit_replies(server_factory, request_line, reply):
    with server_factory("-m", "64").client() as c:
        before = c.stats()["limit_maxbytes"]
        c.call(request_line, reply)
        # noreply silences every answer
        c.send(request_line.replace(b"\r\n", b" noreply\r\n"))
        c.call(b"version\r\n", b"VERSION ")
        c.recv_line()
        if reply != b"OK\r\n":
            assert c.stats()["limit_maxbytes"] == before


def test_cache_memlimit_sets_stats(server_factory):
    srv = server_factory("-m", "64")
    with srv.client() as c:
        c.call(b"cache_memlimit 32\r\n", b"OK\r\n")
        assert c.stats()["limit_maxbytes"] == str(32 * MB)
        assert c.stats("settings")["maxbytes"] == str(32 * MB)
        c.call(b"cache_memlimit 256\r\n", b"OK\r\n")
        assert c.stats()["limit_maxbytes"] == str(256 * MB)
        assert c.stats("settings")["maxbytes"] == str(256 * MB)


@pytest.mark.mnemo_timeout(120)
def test_cache_memlimit_shrink_bounds_data(server_factory):
    """Fill 64 MB, lower the limit to 16 MB: writes that follow evict down
    to it, and what is stored stays under it."""
    srv = server_factory("-m", "64")
    with srv.client() as c:
        fill(c, 0, 60 * MB // len(VALUE_1K))
        assert int(c.stats()["bytes"]) > 48 * MB
        c.call(b"cache_memlimit 16\r\n", b"OK\r\n")
        assert set(fill(c, 100000, 32 * MB // len(VALUE_1K))) == {b"STORED\r\n"}
        st = c.stats()
        assert int(st["limit_maxbytes"]) == 16 * MB
        assert int(st["bytes"]) <= 16 * MB
        assert int(st["evictions"]) > 0
        # the newest items are kept
        c.call(b"get key%d\r\n" % (100000 + 32 * MB // len(VALUE_1K) - 1),
               b"VALUE key%d 0 1024\r\n%s\r\nEND\r\n"
               % (100000 + 32 * MB // len(VALUE_1K) - 1, VALUE_1K))


@mnemod_only
@pytest.mark.mnemo_timeout(120)
def test_cache_memlimit_shrink_without_writes(server_factory):
    """With no writes, background maintenance brings the data under a lowered
    limit within a pass or two (memcached's slab mover is lazier)."""
    srv = server_factory("-m", "64")
    with srv.client() as c:
        fill(c, 0, 60 * MB // len(VALUE_1K))
        c.call(b"cache_memlimit 16\r\n", b"OK\r\n")
        deadline = time.monotonic() + scaled(20)
        while int(c.stats()["bytes"]) > 16 * MB and time.monotonic() < deadline:
            time.sleep(0.05)
        assert int(c.stats()["bytes"]) <= 16 * MB


@mnemod_only
@pytest.mark.mnemo_timeout(120)
def test_cache_memlimit_grow(server_factory):
    """Raised above -m, the limit holds more data than -m did."""
    srv = server_factory("-m", "16")
    with srv.client() as c:
        c.call(b"cache_memlimit 64\r\n", b"OK\r\n")
        assert set(fill(c, 0, 48 * MB // len(VALUE_1K))) == {b"STORED\r\n"}
        st = c.stats()
        assert 40 * MB < int(st["bytes"]) <= 64 * MB


@mnemod_only
@pytest.mark.parametrize("flags, mb", [
    pytest.param((), 16385, id="beyond-the-reserved-arena"),
    pytest.param(("-L",), 128, id="preallocated"),
])
def test_cache_memlimit_refused(server_factory, flags, mb):
    """What the store cannot take: more than its arenas reserved at start
    (16 GB with -m up to 16 GB), or any change with -L (memcached refuses
    that too: its memory is preallocated)."""
    srv = server_factory("-m", "64", *flags)
    with srv.client() as c:
        c.call(b"cache_memlimit %d\r\n" % mb,
               b"MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n")
        assert c.stats()["limit_maxbytes"] == str(64 * MB)
