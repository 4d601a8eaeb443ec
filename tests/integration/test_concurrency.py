"""Several client threads hammering one server at once."""

import random
import threading

import pytest

from mnemo_harness import RawClient, scaled

THREADS = 8
OPS = 2000
SHARED_KEYS = [b"shared%d" % i for i in range(16)]
COUNTERS = [b"counter%d" % i for i in range(4)]


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
