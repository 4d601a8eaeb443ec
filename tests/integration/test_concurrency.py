"""Several client threads hammering one server at once."""

import random
import socket
import threading
import time

import pytest

from mnemo_harness import IS_MEMCACHED, RawClient, mnemod_only, scaled

THREADS = 8
OPS = 2000
SHARED_KEYS = [b"shared%d" % i for i in range(16)]
COUNTERS = [b"counter%d" % i for i in range(4)]


def recv_upto(sock, n, deadline):
    """Up to n bytes from sock, read in large pieces until the peer closes
    or time.monotonic() passes deadline (RawClient.expect is quadratic at
    megabytes). It may return more than n: whatever the last read brought."""
    got = bytearray()
    while len(got) < n and time.monotonic() < deadline:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        got += chunk
    return got


def worker(server, tid, results, errors):
    rnd = random.Random(1000 + tid)
    mine = {}                   # private key -> value we last wrote (None = deleted)
    incrs = {k: 0 for k in COUNTERS}
    incr_ops = 0
    try:
        with RawClient(server, timeout=scaled(20)) as c:
            for op in range(OPS):
                choice = rnd.random()
                if choice < 0.30:
                    key = b"t%d-p%d" % (tid, rnd.randrange(50))
                    value = b"%d:%d:%s" % (tid, op, b"x" * rnd.randrange(0, 2000))
                    c.call(b"set %s %d 0 %d\r\n%s\r\n" % (key, tid, len(value), value),
                           b"STORED\r\n")
                    mine[key] = value
                elif choice < 0.55:
                    key = b"t%d-p%d" % (tid, rnd.randrange(50))
                    c.send(b"get %s\r\n" % key)
                    if mine.get(key) is None:
                        c.expect(b"END\r\n")
                    else:
                        v = mine[key]
                        c.expect(b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, tid, len(v), v))
                elif choice < 0.62:
                    key = b"t%d-p%d" % (tid, rnd.randrange(50))
                    c.call(b"delete %s\r\n" % key,
                           b"NOT_FOUND\r\n" if mine.get(key) is None else b"DELETED\r\n")
                    mine[key] = None
                elif choice < 0.80:
                    key = rnd.choice(COUNTERS)
                    delta = rnd.randrange(1, 10)
                    line = c.request(b"incr %s %d\r\n" % (key, delta))
                    assert line[:-2].isdigit(), line
                    incrs[key] += delta
                    incr_ops += 1
                elif choice < 0.92:
                    key = rnd.choice(SHARED_KEYS)
                    value = b"shared-by-%d" % tid
                    c.call(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value), b"STORED\r\n")
                else:
                    key = rnd.choice(SHARED_KEYS)
                    c.send(b"get %s\r\n" % key)
                    line = c.recv_line()
                    if line != b"END\r\n":
                        assert line.startswith(b"VALUE %s 0 " % key), line
                        n = int(line.split()[3])
                        data = c.recv_exact(n + 2)
                        assert data.startswith(b"shared-by-") and data.endswith(b"\r\n"), data
                        c.expect(b"END\r\n")
            # final check of every private key
            for key, value in mine.items():
                c.send(b"get %s\r\n" % key)
                if value is None:
                    c.expect(b"END\r\n")
                else:
                    c.expect(b"VALUE %s %d %d\r\n%s\r\nEND\r\n" % (key, tid, len(value), value))
        results[tid] = (incrs, incr_ops)
    except BaseException as e:          # reported by the main thread
        errors.append((tid, e))


@pytest.mark.mnemo_timeout(120)
def test_threads_private_and_shared_keys(server_factory):
    srv = server_factory("-t", "4")
    with srv.client() as c:
        for k in COUNTERS:
            c.call(b"set %s 0 0 1\r\n0\r\n" % k, b"STORED\r\n")
    results, errors = {}, []
    threads = [threading.Thread(target=worker, args=(srv, t, results, errors), daemon=True)
               for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(scaled(100))
    assert not any(t.is_alive() for t in threads), "worker threads hung"
    assert not errors, "worker failures: %r" % errors[:3]
    assert len(results) == THREADS
    assert srv.alive()
    with srv.client() as c:
        for k in COUNTERS:
            total = sum(r[0][k] for r in results.values())
            c.send(b"get %s\r\n" % k)
            line = c.recv_line()
            assert line.startswith(b"VALUE %s 0 " % k), line
            value = c.recv_line()[:-2].strip()
            c.expect(b"END\r\n")
            assert int(value) == total, (k, value, total)
        st = c.stats()
        assert int(st["curr_connections"]) >= 1
        assert int(st["incr_hits"]) == sum(r[1] for r in results.values())
        assert int(st["incr_misses"]) == 0


@pytest.mark.mnemo_timeout(60)
def test_many_short_connections(server_factory):
    srv = server_factory()
    errors = []

    def churn(tid):
        try:
            for i in range(100):
                with RawClient(srv, timeout=scaled(10)) as c:
                    c.call(b"set churn%d 0 0 %d\r\n%d\r\n" % (tid, len(b"%d" % i), i), b"STORED\r\n")
                    if i % 3 == 0:
                        c.send(b"get churn%d\r\n" % tid)      # closed with a reply in flight
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=churn, args=(t,), daemon=True) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(scaled(50))
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]
    assert srv.alive()
    with srv.client() as c:
        for t in range(8):
            c.call(b"get churn%d\r\n" % t, b"VALUE churn%d 0 2\r\n99\r\nEND\r\n" % t)
        st = c.stats()
        assert int(st["total_connections"]) >= 800


def test_large_replies_to_a_slow_reader_do_not_block_others(server_factory):
    # One client pipelines gets of a large value and does not read the
    # replies; the server must keep serving another client on the same
    # worker thread (-t 1), and the slow client must still get every byte,
    # in order, once it reads. Also the regression test for the stall fixed
    # in 4ac3e95: a request queued behind a reply larger than the output
    # high-water mark was never answered.
    srv = server_factory("-t", "1", "-I", "2m", "-m", "64")
    value = bytes(range(256)) * 4096            # 1 MiB
    with srv.client() as setter:
        setter.call(b"set big 0 0 %d\r\n" % len(value) + value + b"\r\n", b"STORED\r\n")
    slow = srv.client()
    n = 8
    slow.send(b"get big\r\n" * n + b"version\r\n")
    with srv.client() as other:                 # served while slow reads nothing
        for i in range(50):
            other.call(b"set k%d 0 0 1\r\nx\r\n" % i, b"STORED\r\n")
        other.call(b"get k49\r\n", b"VALUE k49 0 1\r\nx\r\nEND\r\n")
    one = b"VALUE big 0 %d\r\n" % len(value) + value + b"\r\nEND\r\n"
    for _ in range(n):
        slow.expect(one, timeout=scaled(30))
    assert slow.recv_line().startswith(b"VERSION ")
    slow.close()


@pytest.mark.parametrize("backend", [[], pytest.param(["-o", "io_uring=off"], marks=mnemod_only)],
                         ids=["default", "epoll"])
def test_small_replies_to_a_slow_reader_arrive_whole(server_factory, backend):
    # Values up to 512 bytes are copied next to their headers, so a reply to
    # a multi-get of them is one buffer when nothing else is queued, and goes
    # out with a plain send rather than a sendmsg (in both I/O modes). With
    # the reader not reading, such sends come back short once the socket
    # fills, and the rest waits for room; every byte must still arrive, in
    # order.
    srv = server_factory("-t", "1", *backend)
    keys = [b"s%d" % i for i in range(20)]
    values = [(b"%d-" % i) * 150 for i in range(20)]       # 300-450 bytes
    with srv.client() as setter:
        for k, v in zip(keys, values):
            setter.call(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v), b"STORED\r\n")
    request = b"get " + b" ".join(keys) + b"\r\n"
    one = b"".join(b"VALUE %s 0 %d\r\n%s\r\n" % (k, len(v), v)
                   for k, v in zip(keys, values)) + b"END\r\n"   # about 8 KB
    n = 600                     # 4.8 MB: more than loopback's socket buffers hold
    slow = srv.client(timeout=scaled(30))
    for _ in range(n):          # one at a time: each reply finds the queue empty
        slow.send(request)
        time.sleep(0.001)
    slow.send(b"version\r\n")
    with srv.client() as other:                 # served meanwhile on the same worker
        other.call(b"get s0\r\n", b"VALUE s0 0 %d\r\n%s\r\nEND\r\n" % (len(values[0]), values[0]))
    expected = one * n
    deadline = time.monotonic() + scaled(30)
    got = recv_upto(slow.sock, len(expected), deadline)
    assert bytes(got[:len(expected)]) == expected
    rest = bytes(got[len(expected):])
    while b"\r\n" not in rest and time.monotonic() < deadline:
        rest += slow.sock.recv(4096)
    assert rest.startswith(b"VERSION ")
    slow.close()


@mnemod_only
@pytest.mark.mnemo_timeout(120)
@pytest.mark.parametrize("bufs", ["1", "64", "256", "0", "64,poll_us=50", "64,poll_us=0"])
def test_pipelined_floods_with_few_receive_buffers(server_factory, bufs):
    # Issue 5: io_uring multishot receives share a worker's provided buffers
    # (-o io_uring_bufs). Several clients flood one worker (-t 1) with
    # pipelines far larger than the input high-water mark while reading
    # nothing at first, through small receive windows, with replies far past
    # the output high-water mark (the server must stop receiving, then
    # resume), small budgets (-R 4: yields), and with a single receive buffer
    # (it runs out: plain receives take over). Every reply must come back,
    # in order. Workers poll before sleeping by default; poll_us=0 sleeps at
    # once, poll_us=50 looks longer.
    srv = server_factory("-t", "1", "-R", "4", "-I", "1m", "-m", "256",
                         "-o", "io_uring=on", "-o", "io_uring_bufs=" + bufs)
    clients, errors = 4, []
    big = bytes(range(256)) * 400               # 100 KiB

    def flood(tid):
        try:
            with srv.client(timeout=scaled(60)) as c:
                reqs, want = [], []
                for i in range(1500):
                    key = b"f%d-%d" % (tid, i)
                    value = big if i % 500 == 7 else (b"%d:%d:" % (tid, i)) * 90
                    reqs.append(b"set %s 0 0 %d\r\n%s\r\nget %s\r\n" % (key, len(value), value, key))
                    want.append(b"STORED\r\nVALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value))
                key = b"f%d-7" % tid
                reqs += [b"get %s\r\n" % key] * 60
                want += [b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(big), big)] * 60
                blob, expected = b"".join(reqs), b"".join(want)
                # Send from another thread: the server stops reading while
                # this side does not read its replies.
                sender = threading.Thread(target=c.sock.sendall, args=(blob,))
                sender.start()
                time.sleep(0.3)
                got = recv_upto(c.sock, len(expected), time.monotonic() + scaled(60))
                assert got == expected, "reply mismatch at byte %d of %d" % (
                    next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                         min(len(got), len(expected))), len(expected))
                sender.join(scaled(30))
                assert not sender.is_alive()
        except BaseException as e:          # reported by the main thread
            errors.append((tid, e))

    threads = [threading.Thread(target=flood, args=(t,)) for t in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(scaled(100))
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]
    assert srv.alive()
    with srv.client() as c:
        c.call(b"get f3-1499\r\n", b"VALUE f3-1499 0 %d\r\n%s\r\nEND\r\n"
               % (len(b"3:1499:") * 90, b"3:1499:" * 90))


@mnemod_only
def test_polling_workers_answer_sparse_and_bursty_traffic(server_factory):
    # Issue 5: with -o poll_us (5 us by default), a worker looks for new
    # requests before it sleeps, and backs off after looks that find nothing. Requests that
    # come while it looks, after it gave up, and after a long backoff (idle
    # gaps of up to 200 ms) must all be answered, on two workers at once.
    srv = server_factory("-t", "2", "-o", "io_uring=on", "-o", "poll_us=200")
    errors = []

    def client(tid):
        try:
            with srv.client(timeout=scaled(20)) as c:
                for i in range(60):
                    key = b"p%d-%d" % (tid, i)
                    c.call(b"set %s 0 0 3\r\nabc\r\n" % key, b"STORED\r\n")
                    c.call(b"get %s\r\n" % key, b"VALUE %s 0 3\r\nabc\r\nEND\r\n" % key)
                    if i % 20 == 19:
                        time.sleep(0.2)         # long idle: the worker backs off
                    elif i % 3 == 0:
                        time.sleep(0.001)       # short gaps: caught by a look, or not
                burst = b"".join(b"get p%d-%d\r\n" % (tid, i) for i in range(60))
                c.send(burst)
                c.expect(b"".join(b"VALUE p%d-%d 0 3\r\nabc\r\nEND\r\n" % (tid, i)
                                  for i in range(60)))
        except Exception as e:                  # reported below, with the thread's id
            errors.append((tid, repr(e)))

    threads = [threading.Thread(target=client, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(scaled(60))
    assert not any(t.is_alive() for t in threads)
    assert errors == []


@mnemod_only
@pytest.mark.parametrize("bufs", ["1", "256", "0"])
def test_large_value_trickling_in(server_factory, bufs):
    # Issue 5: once a large value's command line has arrived, the rest of it
    # is received straight into item memory: a multishot receive is stopped
    # for that, and armed again after. The body comes in pieces, with
    # pauses, followed by more requests.
    srv = server_factory("-t", "1", "-I", "1m", "-o", "io_uring=on", "-o", "io_uring_bufs=" + bufs)
    value = bytes(range(256)) * 1024            # 256 KiB
    with srv.client() as c:
        c.send(b"set slow 0 0 %d\r\n" % len(value) + value[:1000])
        for at in range(1000, len(value), 50000):
            time.sleep(0.02)
            c.send(value[at:at + 50000])
        c.send(b"\r\nget slow\r\n")
        c.expect(b"STORED\r\nVALUE slow 0 %d\r\n" % len(value) + value + b"\r\nEND\r\n")
        c.call(b"set small 0 0 2\r\nok\r\nget small\r\n",
               b"STORED\r\nVALUE small 0 2\r\nok\r\nEND\r\n")


@pytest.mark.parametrize("flags", [["-R", "4"], ["-R", "4", "-o", "io_uring_bufs=0"]],
                         ids=["multishot", "plain"])
def test_half_close_after_a_pipeline_gets_every_reply(server_factory, flags):
    # Issue 5: with a receive always armed, the end of the stream can be
    # seen while pipelined requests still wait their turn (-R 4); they must
    # all be answered before the connection closes, as when the end is
    # only read once the buffer is empty.
    if IS_MEMCACHED and "-o" in flags:
        pytest.skip("mnemod-only option")
    srv = server_factory("-t", "1", *flags)
    n = 200
    with srv.client() as c:
        c.send(b"set k 0 0 2\r\nhi\r\n" + b"get k\r\n" * n)
        c.sock.shutdown(socket.SHUT_WR)
        c.expect(b"STORED\r\n" + b"VALUE k 0 2\r\nhi\r\nEND\r\n" * n)
        c.assert_closed()
