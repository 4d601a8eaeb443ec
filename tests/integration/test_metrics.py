"""The Prometheus endpoint (issue 23): -o metrics_port=[HOST:]PORT.

Every scrape is parsed by a real Prometheus parser (Debian's
python3-prometheus-client) and checked by `promtool check metrics` (the
prometheus package).  The counters must move exactly as a scripted
conversation says; the gauges must agree with `stats`; bad HTTP gets its
status and is cut off, and the cache port keeps serving all along.
"""

import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from mnemo_harness import (IS_MEMCACHED, base_command, free_port, scaled, start_persist,
                           wait_for_connections, wait_until)

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # reported by the fixture below, with what to install
    text_string_to_metric_families = None

pytestmark = pytest.mark.skipif(IS_MEMCACHED,
                                reason="the metrics endpoint is mnemod's own")

# src/metrics/metrics.h: METRICS_TIMEOUT_MS, METRICS_HEAD_MAX, METRICS_MAX_CONNS
REQUEST_TIMEOUT = 5.0
HEAD_MAX = 8192
MAX_CONNS = 16


@pytest.fixture(autouse=True)
def tools():
    assert text_string_to_metric_families is not None, \
        "prometheus_client is missing: apt-get install python3-prometheus-client"
    assert shutil.which("promtool"), "promtool is missing: apt-get install prometheus"


# ---------------------------------------------------------------------------
# helpers

def start(server_factory, *flags, spec=None):
    """A server with the endpoint on a free port (or on spec % port)."""
    port = free_port()
    srv = server_factory("-o", (spec or "metrics_port=%d") % port, *flags)
    srv.metrics_port = port
    return srv


def http(port, request, timeout=None):
    """Send raw request bytes; read until the server closes. Returns
    (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout or scaled(10)) as s:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    assert int(headers["content-length"]) == len(body), (headers, body[:200])
    return status, headers, body


def scrape(srv):
    """GET /metrics, checked by promtool and parsed: {(name, labels): value}
    with labels a sorted tuple of (key, value)."""
    status, headers, body = http(srv.metrics_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain; version=0.0.4"), headers
    assert headers["connection"] == "close"
    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                           timeout=scaled(30))
    assert check.returncode == 0, "promtool check metrics: %s%s" % (
        check.stdout.decode(), check.stderr.decode())
    out = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in out, "duplicate series %r" % (key,)
            out[key] = s.value
    return out


def settled(srv):
    """A scrape once the byte counters stand still: a worker counts a
    reply's bytes after its send returns, so a scrape right after a reply
    arrived may not hold them yet."""
    last = [scrape(srv)]

    def still():
        time.sleep(0.05)
        m = scrape(srv)
        same = all(value(m, n) == value(last[0], n) for n in (
            "memcached_read_bytes_total", "memcached_written_bytes_total"))
        last[0] = m
        return m if same else None
    return wait_until(still, 5, "the byte counters to stand still")


def value(m, name, **labels):
    return m[(name, tuple(sorted(labels.items())))]


def cmd(m, command, status):
    return value(m, "memcached_commands_total", command=command, status=status)


def names(m):
    return {name for name, _ in m}


def thread_sum(m, name):
    return sum(v for (n, _), v in m.items() if n == name)


# ---------------------------------------------------------------------------
# the scrape

# memcached_commands_total's label pairs, as memcached_exporter gives them
COMMANDS = [("get", "hit"), ("get", "miss"), ("set", "hit"), ("delete", "hit"),
            ("delete", "miss"), ("incr", "hit"), ("incr", "miss"), ("decr", "hit"),
            ("decr", "miss"), ("cas", "hit"), ("cas", "miss"), ("cas", "badval"),
            ("touch", "hit"), ("touch", "miss"), ("flush", "hit")]

MEMCACHED_EXPORTER_NAMES = {
    "memcached_up", "memcached_uptime_seconds", "memcached_time_seconds", "memcached_version",
    "memcached_process_user_cpu_seconds_total", "memcached_process_system_cpu_seconds_total",
    "memcached_commands_total", "memcached_current_items", "memcached_items_total",
    "memcached_items_evicted_total", "memcached_items_reclaimed_total",
    "memcached_current_bytes", "memcached_limit_bytes", "memcached_malloced_bytes",
    "memcached_read_bytes_total", "memcached_written_bytes_total",
    "memcached_current_connections", "memcached_connections_total",
    "memcached_max_connections", "memcached_connections_rejected_total",
    "memcached_connections_yielded_total", "memcached_connections_listener_disabled_total",
    "memcached_accepting_connections", "memcached_item_too_large_total",
    "memcached_item_no_memory_total", "memcached_lru_crawler_starts_total",
    "memcached_lru_crawler_reclaimed_total", "memcached_lru_crawler_items_checked_total",
}


def test_scrape_has_memcached_exporter_names_and_passes_promtool(server_factory):
    srv = start(server_factory, "-t", "3", "-m", "64", "-c", "500")
    m = scrape(srv)
    missing = MEMCACHED_EXPORTER_NAMES - names(m)
    assert not missing, missing
    assert value(m, "memcached_up") == 1
    assert value(m, "memcached_version", version=srv.stats()["version"]) == 1
    assert value(m, "memcached_limit_bytes") == 64 * 1024 * 1024
    assert value(m, "memcached_max_connections") == 500
    # every command and status memcached_exporter gives, and no other
    assert {(dict(lb)["command"], dict(lb)["status"]) for (n, lb) in m
            if n == "memcached_commands_total"} == set(COMMANDS)
    for c, s in COMMANDS:
        assert cmd(m, c, s) == 0
    # load per worker thread, one series per -t
    threads = {dict(lb)["thread"] for (n, lb) in m if n == "mnemo_thread_commands_total"}
    assert threads == {"0", "1", "2"}
    # persistence off: only the switch
    assert value(m, "mnemo_persist_enabled") == 0
    assert not [n for n in names(m) if n.startswith("mnemo_persist_") and n != "mnemo_persist_enabled"]
    # every server can be followed: a primary without replicas
    assert value(m, "mnemo_repl_role", role="primary") == 1
    assert value(m, "mnemo_repl_role", role="replica") == 0
    assert value(m, "mnemo_repl_connected_replicas") == 0
    # a query string is allowed and ignored
    status, _, body = http(srv.metrics_port, b"GET /metrics?name[]=x HTTP/1.0\r\n\r\n")
    assert status == 200 and b"memcached_up 1\n" in body


def test_host_port_form(server_factory):
    srv = start(server_factory, spec="metrics_port=127.0.0.1:%d")
    assert value(scrape(srv), "memcached_up") == 1


def can_scrape(host, port):
    try:
        with socket.create_connection((host, port), timeout=scaled(5)) as s:
            s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/1.1 200")
    except ConnectionRefusedError:
        return False


def test_bound_to_the_listen_addresses(server_factory):
    """Without a HOST, every -l address (its own port, if it names one,
    left out); with one, only there."""
    srv = start(server_factory, "-l", "127.0.0.2:%d" % free_port())
    assert can_scrape("127.0.0.1", srv.metrics_port)
    assert can_scrape("127.0.0.2", srv.metrics_port)
    srv = start(server_factory, spec="metrics_port=127.0.0.2:%d")
    assert can_scrape("127.0.0.2", srv.metrics_port)
    assert not can_scrape("127.0.0.1", srv.metrics_port)


def test_counters_move_as_the_conversation_says(server_factory):
    srv = start(server_factory, "-t", "2")
    with srv.client() as c:
        st0 = c.stats()
        before = settled(srv)
        sent = received = 0

        def call(req, expected):
            nonlocal sent, received
            c.call(req, expected)
            sent += len(req)
            received += len(expected)

        call(b"set a 0 0 1\r\nA\r\n", b"STORED\r\n")
        call(b"set b 0 0 1\r\nB\r\n", b"STORED\r\n")
        call(b"set n 0 0 1\r\n5\r\n", b"STORED\r\n")
        call(b"get a\r\n", b"VALUE a 0 1\r\nA\r\nEND\r\n")
        call(b"get zz\r\n", b"END\r\n")
        call(b"get a b zz\r\n", b"VALUE a 0 1\r\nA\r\nVALUE b 0 1\r\nB\r\nEND\r\n")
        c.send(b"gets a\r\n")
        line = c.recv_line()
        cas = int(line.split()[4])
        rest = c.recv_until(b"END\r\n")
        sent += len(b"gets a\r\n")
        received += len(line) + len(rest)
        call(b"delete b\r\n", b"DELETED\r\n")
        call(b"delete zz\r\n", b"NOT_FOUND\r\n")
        call(b"incr n 2\r\n", b"7\r\n")
        call(b"incr zz 1\r\n", b"NOT_FOUND\r\n")
        call(b"decr n 1\r\n", b"6\r\n")
        call(b"decr zz 1\r\n", b"NOT_FOUND\r\n")
        call(b"touch a 100\r\n", b"TOUCHED\r\n")
        call(b"touch zz 100\r\n", b"NOT_FOUND\r\n")
        call(b"cas a 0 0 1 %d\r\nX\r\n" % cas, b"STORED\r\n")
        call(b"cas a 0 0 1 %d\r\nY\r\n" % cas, b"EXISTS\r\n")
        call(b"cas zz 0 0 1 1\r\nZ\r\n", b"NOT_FOUND\r\n")

        # bytes are counted once the worker's send returns: wait for them
        wait_until(lambda: value(scrape(srv), "memcached_written_bytes_total") -
                   value(before, "memcached_written_bytes_total") >= received, 5,
                   "the replies' bytes to be counted")
        after = scrape(srv)
        delta = {(c_, s_): cmd(after, c_, s_) - cmd(before, c_, s_) for c_, s_ in COMMANDS}
        assert delta == {
            ("get", "hit"): 4, ("get", "miss"): 2, ("set", "hit"): 3,
            ("delete", "hit"): 1, ("delete", "miss"): 1, ("incr", "hit"): 1,
            ("incr", "miss"): 1, ("decr", "hit"): 1, ("decr", "miss"): 1,
            ("cas", "hit"): 1, ("cas", "miss"): 1, ("cas", "badval"): 1,
            ("touch", "hit"): 1, ("touch", "miss"): 1, ("flush", "hit"): 0}

        def d(name):
            return value(after, name) - value(before, name)
        # the scrapes never touch the cache port: exactly this connection's bytes
        assert d("memcached_read_bytes_total") == sent
        assert d("memcached_written_bytes_total") == received
        assert d("memcached_connections_total") == 0
        st1 = c.stats()
        assert d("memcached_items_total") == int(st1["total_items"]) - int(st0["total_items"])
        # per thread: 6 keys got, 6 sets (3 cas), 2 touches, 2 deletes, 2 incr, 2 decr
        assert thread_sum(after, "mnemo_thread_commands_total") - \
            thread_sum(before, "mnemo_thread_commands_total") == 20
        assert thread_sum(after, "mnemo_thread_read_bytes_total") - \
            thread_sum(before, "mnemo_thread_read_bytes_total") == sent

        # the gauges are what stats says
        st = c.stats()
        m = scrape(srv)
        assert value(m, "memcached_current_items") == int(st["curr_items"]) == 2
        assert value(m, "memcached_current_bytes") == int(st["bytes"])
        assert value(m, "memcached_limit_bytes") == int(st["limit_maxbytes"])
        assert value(m, "memcached_max_connections") == int(st["max_connections"])
        wait_for_connections(c, 1)
        assert value(scrape(srv), "memcached_current_connections") == 1

        c.call(b"flush_all\r\n", b"OK\r\n")
        m = scrape(srv)
        assert cmd(m, "flush", "hit") - cmd(after, "flush", "hit") == 1
        # flushed items leave curr_items as the reclaim thread finds them:
        # the two views agree once it has
        wait_until(lambda: value(scrape(srv), "memcached_current_items") ==
                   int(c.stats()["curr_items"]) == 0, 10, "the flushed items to be reclaimed")


def histogram(m, command):
    """The command's buckets as [(le, cumulative count)], with its sum and
    count, from a parsed scrape."""
    name = "mnemo_command_duration_seconds"
    buckets = sorted(((float(dict(lb)["le"]), v) for (n, lb), v in m.items()
                      if n == name + "_bucket" and dict(lb)["command"] == command))
    return (buckets, value(m, name + "_sum", command=command),
            value(m, name + "_count", command=command))


def check_histogram(m, command):
    """Cumulative, +Inf equal to the count, and a sum the buckets allow:
    each request between its bucket's lower and upper bound."""
    buckets, total, count = histogram(m, command)
    assert buckets[-1][0] == float("inf") and buckets[-1][1] == count, (command, buckets)
    lo = hi = 0.0
    prev_le, prev_cum = 0.0, 0
    for le, cum in buckets:
        assert cum >= prev_cum, (command, buckets)
        if le != float("inf"):
            lo += (cum - prev_cum) * prev_le
            hi += (cum - prev_cum) * le
        else:
            lo += (cum - prev_cum) * prev_le
            hi = float("inf") if cum > prev_cum else hi
        prev_le, prev_cum = le, cum
    assert lo <= total <= hi, (command, lo, total, hi)
    return count


def test_latency_histograms_count_every_command(server_factory):
    """mnemo_command_duration_seconds: one observation per request that ran,
    as its command (text, meta and binary alike; a value arriving in many
    reads is one set); a line that fails to parse is none; "stats latency"
    says the same; stats reset empties them."""
    srv = start(server_factory, "-t", "2")
    with srv.client() as c:
        c.call(b"set a 0 0 1\r\nA\r\n", b"STORED\r\n")
        c.call(b"get a\r\n", b"VALUE a 0 1\r\nA\r\nEND\r\n")
        c.call(b"get a zz a\r\n", b"VALUE a 0 1\r\nA\r\nVALUE a 0 1\r\nA\r\nEND\r\n")
        c.call(b"mg a v\r\n", b"VA 1\r\nA\r\n")
        c.call(b"ms m 2 T0\r\nhi\r\n", b"HD\r\n")
        c.call(b"bogus\r\n", b"ERROR\r\n")
        c.call(b"delete zz\r\n", b"NOT_FOUND\r\n")
        big = b"v" * (700 * 1024)
        c.send(b"set big 0 0 %d\r\n" % len(big))
        for i in range(0, len(big), 64 * 1024):  # the block in many pieces
            c.send(big[i:i + 64 * 1024])
        c.call(b"\r\n", b"STORED\r\n")
    with srv.client() as b:
        # binary get of "a" (opcode 0x00), counted as a get
        b.send(bytes([0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
               + bytes(8) + b"a")
        head = b.recv_exact(24)
        assert head[0] == 0x81 and head[6:8] == b"\x00\x00", head
        b.recv_exact(int.from_bytes(head[8:12], "big"))
    m = scrape(srv)
    counts = {dict(lb)["command"]: v for (n, lb), v in m.items()
              if n == "mnemo_command_duration_seconds_count"}
    assert counts.get("get") == 3 and counts.get("set") == 2, counts
    assert counts.get("mg") == 1 and counts.get("ms") == 1 and counts.get("delete") == 1, counts
    for command in counts:
        assert check_histogram(m, command) == counts[command]
    # the commands that never ran have no series
    assert "gets" not in counts and "incr" not in counts, counts

    with srv.client() as c:
        st = c.stats("latency")
        for command in ("get", "set", "mg", "ms", "delete"):
            assert int(st[command + ":count"]) == counts[command], (command, st)
            assert int(st[command + ":le_inf"]) == counts[command]
            assert int(st[command + ":sum_ns"]) == round(
                histogram(m, command)[1] * 1e9), (command, st)
        # cumulative, bound by bound
        les = [k for k in st if k.startswith("get:le_") and k != "get:le_inf"]
        bounds = sorted(int(k.split("_")[-1]) for k in les)
        assert bounds[0] == 128 and bounds[-1] == 1 << 30
        assert all(b2 == 2 * b1 for b1, b2 in zip(bounds, bounds[1:]))
        cum = [int(st["get:le_%d" % b]) for b in bounds]
        assert cum == sorted(cum)
        c.call(b"stats reset\r\n", b"RESET\r\n")
        st = c.stats("latency")
        assert "get:count" not in st and "set:count" not in st, st
    m = scrape(srv)
    assert ("mnemo_command_duration_seconds_count", (("command", "get"),)) not in m


def test_connections_counted(server_factory):
    srv = start(server_factory)
    before = scrape(srv)
    for _ in range(3):
        with srv.client() as c:
            c.version()
    m = scrape(srv)
    assert value(m, "memcached_connections_total") - value(before, "memcached_connections_total") == 3
    assert thread_sum(m, "mnemo_thread_connections_total") == value(m, "memcached_connections_total")


# ---------------------------------------------------------------------------
# bad HTTP: the right status, a close, and the cache keeps serving

def serves(srv):
    with srv.client() as c:
        c.call(b"set k 0 0 2\r\nok\r\n", b"STORED\r\n")
        c.call(b"get k\r\n", b"VALUE k 0 2\r\nok\r\nEND\r\n")
    return True


def test_other_methods_paths_and_garbage(server_factory):
    srv = start(server_factory)
    port = srv.metrics_port
    status, headers, _ = http(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
    assert status == 405 and headers["allow"] == "GET"
    assert http(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")[0] == 405
    assert http(port, b"PUT /metrics HTTP/1.0\r\n\r\n")[0] == 405
    assert http(port, b"GET /other HTTP/1.1\r\n\r\n")[0] == 404
    assert http(port, b"GET /metricsx HTTP/1.1\r\n\r\n")[0] == 404
    assert http(port, b"GET / HTTP/1.1\r\n\r\n")[0] == 404
    for bad in (b"hello\r\n\r\n", b"GET /metrics\r\n\r\n", b"GET /metrics HTTP/2.0\r\n\r\n",
                b"GET  /metrics HTTP/1.1\r\n\r\n", b"GET metrics HTTP/1.1\r\n\r\n",
                b"GET /metrics HTTP/1.1\r\nno colon\r\n\r\n",
                b"GET /metrics HTTP/1.1\r\nBad Name: x\r\n\r\n",
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"):
        assert http(port, bad)[0] == 400, bad
    assert serves(srv)
    m = scrape(srv)
    assert value(m, "mnemo_metrics_http_responses_total", code="405") == 3
    assert value(m, "mnemo_metrics_http_responses_total", code="404") == 3
    assert value(m, "mnemo_metrics_http_responses_total", code="400") == 8


def test_huge_header_is_refused_and_closed(server_factory):
    srv = start(server_factory)
    req = b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * (4 * HEAD_MAX) + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.metrics_port), timeout=scaled(10)) as s:
        try:
            s.sendall(req)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it may stop reading once it answered
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 431 "), data[:200]
    # a head just under the bound is fine
    name = b"X-Fill: "
    pad = HEAD_MAX - len(b"GET /metrics HTTP/1.1\r\n") - len(name) - 4 - 1
    assert http(srv.metrics_port, b"GET /metrics HTTP/1.1\r\n" + name + b"a" * pad + b"\r\n\r\n")[0] == 200
    assert serves(srv)


def test_slowloris_is_cut_off_while_the_cache_serves(server_factory):
    """A byte every 100 ms, never ending the head: closed at the timeout,
    counted from the connect; meanwhile the cache port and other scrapes
    are served."""
    srv = start(server_factory)
    head = b"GET /metrics HTTP/1.1\r\nX-Slow: " + b"a" * 1000
    s = socket.create_connection(("127.0.0.1", srv.metrics_port), timeout=scaled(10))
    t0 = time.monotonic()
    closed_at = None
    answer = b""
    try:
        for i, byte in enumerate(head):
            try:
                s.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic()
                break
            s.settimeout(0.1)
            try:
                chunk = s.recv(4096)
                answer += chunk
                if not chunk:
                    closed_at = time.monotonic()
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_at = time.monotonic()
                break
            if i % 10 == 0:
                assert serves(srv)
            if i == 20:
                assert value(scrape(srv), "memcached_up") == 1
            assert time.monotonic() - t0 < scaled(REQUEST_TIMEOUT) + scaled(3), \
                "still open after %.1fs" % (time.monotonic() - t0)
    finally:
        s.close()
    assert closed_at is not None, "the whole head went through without a close"
    elapsed = closed_at - t0
    assert REQUEST_TIMEOUT - 0.5 <= elapsed <= scaled(REQUEST_TIMEOUT) + scaled(2), elapsed
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer
    assert serves(srv)
    assert value(scrape(srv), "mnemo_metrics_http_responses_total", code="408") == 1


def test_concurrent_scrape_connections_are_bounded(server_factory):
    srv = start(server_factory)
    idle = [socket.create_connection(("127.0.0.1", srv.metrics_port), timeout=scaled(10))
            for _ in range(MAX_CONNS)]
    try:
        for s in idle:
            s.sendall(b"GET /met")

        def refused():
            status, _, _ = http(srv.metrics_port, b"GET /metrics HTTP/1.1\r\n\r\n")
            return status == 503
        wait_until(refused, 5, "a scrape over the bound to get 503")
        assert serves(srv)
    finally:
        for s in idle:
            s.close()
    # the places free up as the idle ones close
    wait_until(lambda: http(srv.metrics_port, b"GET /metrics HTTP/1.1\r\n\r\n")[0] == 200, 5,
               "a scrape to be served again")


# ---------------------------------------------------------------------------
# an unusable metrics_port stops the start with one clear line

def refused_start(tmp_path, *args):
    r = subprocess.run(base_command() + ["-p", "0", "-U", "0", "-l", "127.0.0.1"] + list(args),
                       capture_output=True, timeout=scaled(20), cwd=tmp_path)
    assert r.returncode != 0, r
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mnemod: ") and "metrics_port" in lines[0], r
    return lines[0]


def test_unusable_metrics_port_stops_the_start(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        line = refused_start(tmp_path, "-o", "metrics_port=%d" % taken.getsockname()[1])
        assert "in use" in line, line
    finally:
        taken.close()
    for bad in ("metrics_port=abc", "metrics_port=0", "metrics_port=70000", "metrics_port=",
                "metrics_port", "metrics_port=host:", "metrics_port=:9150",
                "metrics_port=1.2.3.4:x"):
        refused_start(tmp_path, "-o", bad)
    line = refused_start(tmp_path, "-o", "metrics_port=no.such.host.invalid:%d" % free_port())
    assert "resolve" in line, line


def test_help_documents_metrics_port():
    r = subprocess.run(base_command() + ["--help"], capture_output=True, timeout=20)
    assert b"metrics_port=[HOST:]PORT" in r.stdout


# ---------------------------------------------------------------------------
# persistence and replication

def test_persistence_metrics(server_factory, tmp_path):
    port = free_port()
    srv = start_persist(server_factory, tmp_path / "p", "metrics_port=%d" % port,
                        "appendfsync=always")
    srv.metrics_port = port
    with srv.client() as c:
        for i in range(20):
            c.call(b"set k%d 0 0 3\r\nabc\r\n" % i, b"STORED\r\n")
    m = scrape(srv)
    st = srv.persistence()
    assert value(m, "mnemo_persist_enabled") == 1
    assert value(m, "mnemo_persist_log_healthy") == 1
    assert value(m, "mnemo_persist_log_records_total") >= 20
    assert value(m, "mnemo_persist_log_bytes") > 0
    # the fsync histogram: cumulative buckets, +Inf is the count, every
    # acknowledged write was fsynced (always)
    buckets = sorted((float(dict(lb)["le"]), v) for (n, lb), v in m.items()
                     if n == "mnemo_persist_fsync_seconds_bucket")
    assert [le for le, _ in buckets] == [0.0001, 0.001, 0.01, 0.1, float("inf")]
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert counts[-1] == value(m, "mnemo_persist_fsync_seconds_count") >= 1
    assert value(m, "mnemo_persist_fsync_seconds_sum") > 0
    assert counts[-1] <= int(srv.persistence()["fsyncs"])
    assert int(st["fsyncs"]) >= 1
    snaps = value(m, "mnemo_persist_snapshots_total")
    with srv.client() as c:
        c.call(b"snapshot\r\n", b"OK\r\n")
    srv.wait_persist_stat("snapshots", lambda v: v > snaps)
    m = scrape(srv)
    assert value(m, "mnemo_persist_snapshots_total") == snaps + 1
    assert 0 <= value(m, "mnemo_persist_last_snapshot_age_seconds") <= scaled(30)
    assert value(m, "mnemo_persist_last_snapshot_items") == 20
    assert value(m, "mnemo_persist_last_snapshot_duration_seconds") >= 0
    assert abs(value(m, "mnemo_persist_last_snapshot_timestamp_seconds") - time.time()) < scaled(30)


def test_replication_metrics(server_factory):
    primary = start(server_factory)
    replica = start(server_factory, "-o", "replica_of=127.0.0.1:%d" % primary.port)
    with primary.client() as c:
        for i in range(50):
            c.call(b"set k%d 0 0 5\r\nvalue\r\n" % i, b"STORED\r\n")

    def caught_up():
        p = primary.stats("replication")
        r = replica.stats("replication")
        return (r.get("primary_link_status") == "up" and p["connected_replicas"] == "1"
                and r["repl_offset"] == p["repl_offset"] and "lag_bytes=0," in p["replica0"])
    wait_until(caught_up, 20, "the replica to catch up")

    pm = scrape(primary)
    ps = primary.stats("replication")
    assert value(pm, "mnemo_repl_role", role="primary") == 1
    assert value(pm, "mnemo_repl_connected_replicas") == 1
    assert value(pm, "mnemo_repl_offset_bytes") == int(ps["repl_offset"]) > 0
    assert value(pm, "mnemo_repl_full_syncs_served_total") == 1
    addr = dict(kv.split("=", 1) for kv in ps["replica0"].split(","))["addr"]
    assert addr.startswith("127.0.0.1:")
    assert value(pm, "mnemo_repl_replica_online", replica=addr) == 1
    assert value(pm, "mnemo_repl_replica_lag_bytes", replica=addr) == 0
    assert value(pm, "mnemo_repl_replica_held_bytes", replica=addr) == 0
    assert value(pm, "mnemo_repl_replica_acked_offset_bytes", replica=addr) == int(ps["repl_offset"])
    assert 0 <= value(pm, "mnemo_repl_replica_lag_seconds", replica=addr) < scaled(10)

    rm = scrape(replica)
    assert value(rm, "mnemo_repl_role", role="replica") == 1
    assert value(rm, "mnemo_repl_role", role="primary") == 0
    assert value(rm, "mnemo_repl_link_up", primary="127.0.0.1:%d" % primary.port) == 1
    assert value(rm, "mnemo_repl_link_tls", primary="127.0.0.1:%d" % primary.port) == 0
    assert value(rm, "mnemo_repl_link_full_syncs_total") == 1
    assert value(rm, "mnemo_repl_link_records_applied_total") >= 50
    assert value(rm, "mnemo_repl_offset_bytes") == int(ps["repl_offset"])
    assert value(rm, "memcached_current_items") == 50


# ---------------------------------------------------------------------------
# the Grafana dashboard in deploy/

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana-dashboard.json"
METRIC = re.compile(r"\b(?:memcached|mnemo)_[a-z0-9_]+\b")
# added by Prometheus when it scrapes, never in the exposition itself
SCRAPE_LABELS = {"instance", "job"}


def test_dashboard_uses_only_what_the_endpoint_serves(server_factory, tmp_path):
    """Every metric and label the dashboard's queries name exists in a real
    scrape of a primary with persistence and an online replica, so the
    dashboard cannot drift from the endpoint."""
    dash = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    targets = [t for p in dash["panels"] for t in p.get("targets", [])]
    assert len(targets) >= 15
    targets += [{"expr": v["definition"], "legendFormat": ""}
                for v in dash["templating"]["list"] if "definition" in v]

    port = free_port()
    primary = start_persist(server_factory, tmp_path / "p", "metrics_port=%d" % port)
    primary.metrics_port = port
    server_factory("-o", "replica_of=127.0.0.1:%d" % primary.port)
    with primary.client() as c:
        c.call(b"set k 0 0 1\r\nv\r\n", b"STORED\r\n")
        c.call(b"snapshot\r\n", b"OK\r\n")
    primary.wait_persist_stat("snapshots", lambda v: v >= 1)
    wait_until(lambda: "state=online" in primary.stats("replication").get("replica0", ""), 20,
               "the replica to be online")
    m = scrape(primary)
    labels_of = {}
    for name, lb in m:
        labels_of.setdefault(name, set()).update(k for k, _ in lb)

    for t in targets:
        used = set(METRIC.findall(t["expr"]))
        assert used, "a query names no metric: %r" % t["expr"]
        missing = sorted(used - set(labels_of))
        assert not missing, "%r names %s, which the endpoint does not serve" % (t["expr"], missing)
        wanted = set(re.findall(r"\{\{(\w+)\}\}", t["legendFormat"]))
        for group in re.findall(r"by \(([^)]*)\)", t["expr"]):
            wanted |= {w.strip() for w in group.split(",")}
        have = set().union(*(labels_of[n] for n in used)) | SCRAPE_LABELS
        assert wanted <= have, "%r groups or labels by %s, not on %s" % (
            t["expr"], sorted(wanted - have), sorted(used))
