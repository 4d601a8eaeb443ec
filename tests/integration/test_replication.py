"""Replication (issue 20): replicas that follow a primary and hold the same
items — same values, flags, cas values and absolute expiry.

Every server here is a real mnemod on its own port; links are cut through a
real proxy (cutproxy.py), replicas really stopped with SIGSTOP, primaries
really killed.  Tests wait for the event they need (the replica's offset
reaching the primary's, a link coming up), never for a fixed time.
"""

import os
import signal
import socket
import subprocess
import struct
import threading
import urllib.parse
from pathlib import Path

import pytest

from cutproxy import CutProxy
from mnemo_harness import IS_MEMCACHED, scaled, start_persist, wait_until

CLI = os.path.join(os.environ.get("MNEMO_BUILD_DIR", str(Path(__file__).resolve().parents[2] / "build")),
                   "mnemo-cli")

pytestmark = pytest.mark.skipif(IS_MEMCACHED,
                                reason="replication is mnemod's own: memcached has none")


# ---------------------------------------------------------------------------
# helpers

def repl_stats(srv):
    return srv.stats("replication")


def offset(srv):
    return int(repl_stats(srv)["repl_offset"])


def wait_caught_up(primary, *replicas, limit=20):
    """Wait until each replica's link is up and its offset is the primary's
    (the primary taking no more writes meanwhile)."""
    def done():
        want = offset(primary)
        for r in replicas:
            st = repl_stats(r)
            if st.get("primary_link_status") != "up" or int(st["repl_offset"]) != want:
                return False
        return True
    wait_until(done, limit, "replicas to catch up with the primary")


def state(srv):
    """Everything a client can see of every live item: key -> (value, flags,
    cas, absolute exptime). Keys come from lru_crawler metadump."""
    with srv.client() as c:
        c.send(b"lru_crawler metadump all\r\n")
        blob = c.recv_until(b"END\r\n")
        keys = {}
        for line in blob.splitlines():
            if not line.startswith(b"key="):
                continue
            f = dict(tok.split(b"=", 1) for tok in line.split())
            keys[urllib.parse.unquote_to_bytes(f[b"key"])] = (int(f[b"exp"]), int(f[b"cas"]))
        out = {}
        for k, (exp, cas) in keys.items():
            c.send(b"mg " + k + b" v f c\r\n")
            head = c.recv_line()
            if head.startswith(b"EN"):
                continue  # expired or deleted since the dump
            toks = head.split()
            assert toks[0] == b"VA", head
            n = int(toks[1])
            value = c.recv_exact(n + 2)[:-2]
            flags = {t[:1]: t[1:] for t in toks[2:]}
            assert int(flags[b"c"]) == cas, (k, head, cas)
            out[k] = (value, int(flags[b"f"]), cas, exp)
        return out


def digest(srv):
    st = srv.stats("digest")
    return st["digest"], st["digest_items"]


def assert_same(primary, *replicas):
    """What clients see, item by item, and stats digest agree."""
    want = state(primary)
    want_digest = digest(primary)
    for r in replicas:
        assert digest(r) == want_digest, "digest of %s differs" % r.addr
        got = state(r)
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        differ = sorted(k for k in set(want) & set(got) if want[k] != got[k])[:5]
        assert not missing and not extra and not differ, (
            "replica %s differs: missing %r extra %r differ %r" % (
                r.addr, missing, extra, [(k, want[k], got[k]) for k in differ]))
    return want


def gets_cas(srv, key):
    """The cas a gets of key answers on srv."""
    with srv.client() as c:
        line = c.request(b"gets " + key + b"\r\n")
        assert line.startswith(b"VALUE "), line
        c.recv_until(b"END\r\n")
        return int(line.split()[4])


def start_replica(server_factory, primary_port, *flags):
    return server_factory("-o", "replica_of=127.0.0.1:%d" % primary_port, *flags)


def fill(srv, n, prefix=b"k", size=10):
    with srv.client() as c:
        req = b"".join(b"set %s%d %d 0 %d noreply\r\n%s\r\n" % (
            prefix, i, i % 7, size, (b"%010d" % i)[:size].ljust(size, b"x")) for i in range(n))
        c.send(req)
        c.call(b"mn\r\n", b"MN\r\n")


class Writers:
    """Three clients writing (set, delete, incr, touch, append) to one server
    until stopped; bounded by `limit` operations each."""

    def __init__(self, srv, limit=200000):
        self.srv = srv
        self.stop_flag = threading.Event()
        self.errors = []
        self.ops = [0, 0, 0]
        self.threads = [threading.Thread(target=self.run, args=(i, limit), daemon=True)
                        for i in range(3)]
        for t in self.threads:
            t.start()

    def run(self, w, limit):
        try:
            with self.srv.client() as c:
                i = 0
                while not self.stop_flag.is_set() and i < limit:
                    k = b"w%d_%d" % (w, i % 500)
                    batch = (b"set %s %d 0 6 noreply\r\nv%05d\r\n" % (k, i % 9, i % 100000) +
                             b"set n%d 0 0 1 noreply\r\n1\r\n" % w +
                             b"incr n%d 5 noreply\r\n" % w +
                             b"touch w%d_%d 3600 noreply\r\n" % (w, (i * 7) % 500) +
                             b"append %s 0 0 1 noreply\r\nA\r\n" % k +
                             b"delete w%d_%d noreply\r\n" % (w, (i * 13) % 500) +
                             b"mn\r\n")
                    c.call(batch, b"MN\r\n")
                    i += 1
                    self.ops[w] = i
        except Exception as e:  # noqa: BLE001 - reported by stop()
            self.errors.append(repr(e))

    def stop(self):
        """Stop now (each writer has done at least one batch)."""
        wait_until(lambda: all(self.ops) or self.errors, 20, "every writer to start")
        self.stop_flag.set()
        self.finish()

    def finish(self):
        """Wait until each writer has done its `limit` batches."""
        for t in self.threads:
            t.join(timeout=30)
        assert not self.errors, self.errors
        assert all(n > 0 for n in self.ops), self.ops


# ---------------------------------------------------------------------------
# the copy is exact

def test_full_sync_then_stream_copy_items_exactly(server_factory):
    primary = server_factory()
    with primary.client() as c:
        c.call(b"set a 5 0 3\r\nabc\r\n", b"STORED\r\n")
        c.call(b"set b 7 3600 2\r\nxy\r\n", b"STORED\r\n")
        c.call(b"ms meta 4 F9 T0 E12345\r\nmeta\r\n", b"HD\r\n")
        c.call(b"set gone 0 0 1\r\nz\r\n", b"STORED\r\n")
        c.call(b"delete gone\r\n", b"DELETED\r\n")
    fill(primary, 300)
    replica = start_replica(server_factory, primary.port)
    wait_caught_up(primary, replica)
    items = assert_same(primary, replica)
    assert items[b"meta"][2] == 12345  # a client's cas (E) travels as it is
    cli = subprocess.run([CLI, "compare", primary.addr, replica.addr], capture_output=True,
                         timeout=60)
    assert cli.returncode == 0, cli
    assert b"gone" not in items and len(items) == 303
    st = repl_stats(replica)
    assert st["role"] == "replica" and st["full_syncs"] == "1" and st["partial_syncs"] == "0"
    assert st["replid"] == repl_stats(primary)["replid"]

    # then the stream: every kind of change travels
    with primary.client() as c:
        c.call(b"set c 1 0 1\r\nC\r\n", b"STORED\r\n")
        c.call(b"append a 0 0 2\r\nde\r\n", b"STORED\r\n")
        c.call(b"incr nokey 10\r\n", b"NOT_FOUND\r\n")
        c.call(b"incr k1 10\r\n", b"11\r\n")
        c.call(b"set n 0 0 1\r\n5\r\n", b"STORED\r\n")
        c.call(b"incr n 10\r\n", b"15\r\n")
        c.call(b"touch b 100\r\n", b"TOUCHED\r\n")
        c.call(b"delete k2\r\n", b"DELETED\r\n")
        c.call(b"md meta I T30\r\n", b"HD\r\n")  # invalidation: stale, new cas
        c.call(b"gat 0 k3\r\n", b"VALUE k3 3 10\r\n0000000003\r\nEND\r\n")
    wait_caught_up(primary, replica)
    items = assert_same(primary, replica)
    assert items[b"a"][0] == b"abcde" and items[b"n"][0] == b"15" and b"k2" not in items
    # the stale mark too (a win token each server hands out itself: it asks
    # the one client that gets it to write, and writes go to the primary)
    with replica.client() as c:
        assert b" X" in c.request(b"mg meta v\r\n")
        c.recv_line()
        c.call(b"flush_all\r\n", b"SERVER_ERROR replica: writes go to its primary\r\n")
    with primary.client() as c:
        c.call(b"flush_all\r\n", b"OK\r\n")
    wait_caught_up(primary, replica)
    assert state(replica) == {}


def test_gets_on_replica_cas_on_primary(server_factory):
    primary = server_factory()
    replica = start_replica(server_factory, primary.port)
    with primary.client() as c:
        c.call(b"set x 0 0 2\r\nv1\r\n", b"STORED\r\n")
    wait_caught_up(primary, replica)
    cas = gets_cas(replica, b"x")
    with primary.client() as c:
        c.call(b"cas x 0 0 2 %d\r\nv2\r\n" % cas, b"STORED\r\n")


def test_expired_items_are_hidden_on_the_replica(server_factory):
    primary = server_factory()
    replica = start_replica(server_factory, primary.port)
    with primary.client() as c:
        c.call(b"set short 0 1 1\r\ns\r\n", b"STORED\r\n")
        c.call(b"set long 0 0 1\r\nl\r\n", b"STORED\r\n")
    wait_caught_up(primary, replica)

    def expired_on_both():
        with primary.client() as p, replica.client() as r:
            return (p.request(b"get short\r\n") == b"END\r\n" and
                    r.request(b"get short\r\n") == b"END\r\n")
    wait_until(expired_on_both, 10, "the 1 s item to expire on both")
    with replica.client() as c:
        c.call(b"get long\r\n", b"VALUE long 0 1\r\nl\r\nEND\r\n")


def test_delayed_flush_travels_and_takes_effect(server_factory):
    primary = server_factory()
    replica = start_replica(server_factory, primary.port)
    with primary.client() as c:
        c.call(b"set f 0 0 1\r\nf\r\n", b"STORED\r\n")
        c.call(b"flush_all 2\r\n", b"OK\r\n")
    wait_caught_up(primary, replica)
    with replica.client() as c:
        c.call(b"get f\r\n", b"VALUE f 0 1\r\nf\r\nEND\r\n")

    def flushed():
        with replica.client() as c:
            return c.request(b"get f\r\n") == b"END\r\n"
    wait_until(flushed, 10, "the delayed flush to reach the replica")


def test_evictions_on_the_primary_do_not_delete_on_the_replica(server_factory):
    primary = server_factory("-m", "8")
    replica = start_replica(server_factory, primary.port, "-m", "64")
    fill(primary, 12000, size=1000)  # ~12 MB into 8 MB: the primary evicts
    wait_caught_up(primary, replica)
    assert int(primary.stats()["evictions"]) > 0
    with replica.client() as c:
        c.call(b"get k0\r\n", b"VALUE k0 0 1000\r\n" + b"0000000000".ljust(1000, b"x") +
               b"\r\nEND\r\n")
    assert int(replica.stats()["curr_items"]) > int(primary.stats()["curr_items"])


def stop_process(pid):
    """SIGSTOP pid and wait until every thread of it has stopped (state T
    in /proc). kill() returns once the signal is queued and one thread
    (the main one, as a rule) is woken to take it; only when that thread
    runs does it make the others stop. Until then they go on in user
    space: the link thread, woken by the stream, applies a write made
    after kill() and acknowledges it, and min_replica_acks answers STORED
    where a stopped replica must time it out. (An ack sent before the stop
    covers only what the replica had then: never a later write.)"""
    os.kill(pid, signal.SIGSTOP)

    def all_stopped():
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    st = f.read().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                continue  # a thread that just ended
            if st not in ("T", "t"):
                return False
        return True
    wait_until(all_stopped, 20, "every thread of %d to stop" % pid)


def replicas_seen(primary):
    """The primary's view of its replicas: [{addr, state, sent, acked, ...}]."""
    st = repl_stats(primary)
    out = []
    for i in range(int(st["connected_replicas"])):
        out.append(dict(kv.split("=", 1) for kv in st["replica%d" % i].split(",")))
    return out


def test_the_primary_sees_each_replica_acknowledge(server_factory):
    primary = server_factory()
    start_replica(server_factory, primary.port)
    r2 = start_replica(server_factory, primary.port)
    fill(primary, 500)

    def all_acked():
        end = offset(primary)
        seen = replicas_seen(primary)
        return len(seen) == 2 and all(int(x["acked"]) == end and x["lag_bytes"] == "0" and
                                      x["state"] == "online" for x in seen)
    wait_until(all_acked, 20, "both replicas to acknowledge the whole stream")
    stop_process(r2.proc.pid)
    try:
        fill(primary, 500, prefix=b"later")
        end = offset(primary)

        def one_behind():
            seen = {int(x["addr"].rsplit(":", 1)[1]): x for x in replicas_seen(primary)}
            lags = sorted(int(x["lag_bytes"]) for x in seen.values())
            return lags[0] == 0 and lags[1] > 0 and max(int(x["acked"]) for x in seen.values()) == end
        wait_until(one_behind, 20, "the running replica to catch up while the stopped one lags")
    finally:
        os.kill(r2.proc.pid, signal.SIGCONT)
    wait_until(all_acked, 20, "the stopped replica to catch up once it runs again")


# ---------------------------------------------------------------------------
# writes on a replica

def test_writes_are_refused_in_every_protocol(server_factory):
    primary = server_factory()
    with primary.client() as c:
        c.call(b"set k 3 0 1\r\nv\r\n", b"STORED\r\n")
        c.call(b"set n 0 0 1\r\n1\r\n", b"STORED\r\n")
    replica = start_replica(server_factory, primary.port)
    wait_caught_up(primary, replica)
    before = state(replica)
    refused = b"SERVER_ERROR replica: writes go to its primary\r\n"
    with replica.client() as c:
        for req in (b"set k 0 0 1\r\nX\r\n", b"add z 0 0 1\r\nX\r\n", b"replace k 0 0 1\r\nX\r\n",
                    b"append k 0 0 1\r\nX\r\n", b"prepend k 0 0 1\r\nX\r\n",
                    b"cas k 0 0 1 1\r\nX\r\n", b"incr n 1\r\n", b"decr n 1\r\n",
                    b"delete k\r\n", b"touch k 10\r\n", b"gat 10 k\r\n", b"flush_all\r\n",
                    b"ms k 1\r\nX\r\n", b"md k\r\n", b"ma n\r\n", b"mg k T10 v\r\n",
                    b"mg new N30 v\r\n"):
            c.call(req, refused)
        # a data block after a refused storage command is data, not a command
        c.call(b"set k 0 0 11\r\nflush_all\r\n\r\n", refused)
        c.call(b"get k\r\n", b"VALUE k 3 1\r\nv\r\nEND\r\n")
        c.call(b"mg k v\r\n", b"VA 1\r\nv\r\n")
    # binary: set and delete answer status 0x83 (not supported) with the message
    with replica.client() as c:
        for opcode, extras, value in ((0x01, struct.pack(">II", 0, 0), b"X"), (0x04, b"", b"")):
            key = b"k"
            body = extras + key + value
            c.send(struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0,
                               len(body), 7, 0) + body)
            head = c.recv_exact(24)
            magic, op, _kl, _el, _dt, status, blen, opaque, _cas = struct.unpack(
                ">BBHBBHIIQ", head)
            msg = c.recv_exact(blen)
            assert (magic, op, status, opaque) == (0x81, opcode, 0x83, 7), (head, msg)
    assert state(replica) == before
    # the primary itself is not read-only
    with primary.client() as c:
        c.call(b"set k 0 0 1\r\nP\r\n", b"STORED\r\n")


# ---------------------------------------------------------------------------
# faults

def test_link_cut_every_while_three_writers_run(server_factory):
    """Writers never stop; the replica's link is cut six times.  Each
    reconnection continues from its offset (partial resync); only the first
    sync is a full one, and at the end the replica equals the primary."""
    primary = server_factory()
    fill(primary, 2000)
    proxy = CutProxy(primary.port)
    try:
        replica = start_replica(server_factory, proxy.port)
        wait_caught_up(primary, replica)
        writers = Writers(primary)
        try:
            for cut in range(6):
                seen = proxy.accepted
                applied = int(repl_stats(replica)["records_applied"])
                # cut only once records flowed since the last reconnection
                wait_until(lambda: int(repl_stats(replica)["records_applied"]) > applied + 100,
                           20, "records to flow over the link")
                proxy.cut()
                wait_until(lambda: proxy.accepted > seen and
                           repl_stats(replica)["primary_link_status"] == "up",
                           20, "the replica to reconnect (cut %d)" % cut)
        finally:
            writers.stop()
        wait_caught_up(primary, replica)
        assert_same(primary, replica)
        st = repl_stats(replica)
        assert st["full_syncs"] == "1", st
        assert int(st["partial_syncs"]) == 6, st
        assert int(repl_stats(primary)["partial_syncs_served"]) == 6
    finally:
        proxy.close()


def replica0(primary):
    """replicas_seen() for a primary with one replica: its line, the numbers
    as ints (addr and state as they are)."""
    (r,) = replicas_seen(primary)
    return {k: (v if k in ("addr", "state") else int(v)) for k, v in r.items()}


def test_replica_stopped_past_the_backlog_and_its_buffer_syncs_again_in_full(server_factory):
    primary = server_factory("-o", "repl_backlog_size=1", "-o", "repl_buffer_limit=2")
    replica = start_replica(server_factory, primary.port)
    wait_caught_up(primary, replica)
    stop_process(replica.proc.pid)
    try:
        # 48 MB of writes through a 1 MB backlog while the replica sleeps:
        # more than the backlog, the 2 MB its feed may hold for it and
        # every socket buffer between the two can hold (loopback's grow to
        # a few MB each way)
        for part in range(4):
            fill(primary, 12000, prefix=b"big%d_" % part, size=1000)
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    wait_until(lambda: repl_stats(replica)["full_syncs"] == "2", 20, "a second full sync")
    wait_caught_up(primary, replica)
    assert_same(primary, replica)


def test_a_stopped_replica_is_held_for_and_continues(server_factory):
    """A replica that stops reading while far more than the backlog is
    written: its feed copies the stream out of the backlog and holds it
    (repl_buffer_limit, 256 MB by default), so the replica continues where
    it stopped, with no second full sync.  The writes go in steps of a
    quarter of the backlog, each after the feed has taken all but half a
    backlog of what is written (sent + held, from its stats line), so no
    byte is ever overwritten before the feed could take it."""
    backlog = 1 << 20
    primary = server_factory("-o", "repl_backlog_size=1")
    replica = start_replica(server_factory, primary.port)
    wait_caught_up(primary, replica)

    def behind():
        r = replica0(primary)
        return offset(primary) - r["sent"] - r["held"]

    stop_process(replica.proc.pid)
    try:
        most_held = 0
        for step in range(64):  # 64 x 250 x ~1 KB: 16 MB of stream
            fill(primary, 250, prefix=b"slow%d_" % step, size=1000)
            wait_until(lambda: behind() <= backlog // 2, scaled(20),
                       "the feed to take what the backlog is about to lose")
            most_held = max(most_held, replica0(primary)["held"])
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    # the socket buffers between the two take a few MB at most
    assert most_held >= 4 * backlog, most_held
    wait_caught_up(primary, replica)
    assert repl_stats(replica)["full_syncs"] == "1"
    assert repl_stats(primary)["full_syncs_served"] == "1"
    assert replica0(primary)["held"] == 0
    assert_same(primary, replica)


def test_promotion_under_load_and_the_old_primary_follows(server_factory):
    a = server_factory()
    b = start_replica(server_factory, a.port)
    fill(a, 1000)
    wait_caught_up(a, b)
    Writers(a, limit=300).finish()
    wait_caught_up(a, b)
    # promote b; a becomes its replica
    highest = max(v[2] for v in state(b).values())
    with b.client() as c:
        c.call(b"replica_of none\r\n", b"OK\r\n")
        c.call(b"set after 0 0 1\r\nP\r\n", b"STORED\r\n")
    assert repl_stats(b)["role"] == "primary"
    with a.client() as c:
        c.call(b"replica_of 127.0.0.1:%d\r\n" % b.port, b"OK\r\n")
        c.call(b"set x 0 0 1\r\nX\r\n", b"SERVER_ERROR replica: writes go to its primary\r\n")
    Writers(b, limit=300).finish()
    wait_caught_up(b, a)
    assert_same(b, a)
    # a gets on the old primary, a cas on the new one
    cas = gets_cas(a, b"k5")
    with b.client() as c:
        c.call(b"cas k5 0 0 2 %d\r\nnv\r\n" % cas, b"STORED\r\n")
    # cas values the new primary hands out are above every one it took in
    items = state(b)
    assert items[b"after"][2] > highest and items[b"k5"][2] > highest


def test_promotion_while_writers_run(server_factory):
    """Writers keep writing to the old primary while the replica is promoted
    (as clients move over one by one), then move to the new one; the old
    primary, made its replica, drops what only it took after the promotion
    (its stream went past the point the new primary left it: a full sync),
    and both end equal."""
    a = server_factory()
    b = start_replica(server_factory, a.port)
    fill(a, 1000)
    wait_caught_up(a, b)
    on_a = Writers(a)
    applied = int(repl_stats(b)["records_applied"])
    wait_until(lambda: int(repl_stats(b)["records_applied"]) > applied + 1000, 20,
               "the writers' records to reach the replica")
    with b.client() as c:
        c.call(b"replica_of none\r\n", b"OK\r\n")
    on_b = Writers(b)
    with a.client() as c:  # a takes writes after b stopped following it
        c.call(b"set only_on_a 0 0 1\r\na\r\n", b"STORED\r\n")
    on_a.stop()
    with a.client() as c:
        c.call(b"replica_of 127.0.0.1:%d\r\n" % b.port, b"OK\r\n")
    wait_until(lambda: repl_stats(a).get("primary_link_status") == "up", 20,
               "the old primary to follow the new one")
    on_b.stop()
    wait_caught_up(b, a)
    assert repl_stats(a)["full_syncs"] == "1"
    assert b"only_on_a" not in assert_same(b, a)


def test_siblings_continue_from_the_promoted_replica(server_factory):
    a = server_factory()
    b = start_replica(server_factory, a.port)
    c_ = start_replica(server_factory, a.port)
    fill(a, 500)
    wait_caught_up(a, b, c_)
    a.stop()
    with b.client() as c:
        c.call(b"replica_of none\r\n", b"OK\r\n")
    with c_.client() as c:
        c.call(b"replica_of 127.0.0.1:%d\r\n" % b.port, b"OK\r\n")
    with b.client() as c:
        c.call(b"set new 0 0 1\r\nN\r\n", b"STORED\r\n")
    wait_caught_up(b, c_)
    st = repl_stats(c_)
    assert st["full_syncs"] == "0" and st["partial_syncs"] == "1", st
    assert st["replid"] == repl_stats(b)["replid"]
    assert_same(b, c_)


def test_a_chain_of_replicas(server_factory):
    a = server_factory()
    fill(a, 200)
    b = start_replica(server_factory, a.port)
    wait_caught_up(a, b)
    c_ = start_replica(server_factory, b.port)
    fill(a, 400, prefix=b"more")
    wait_caught_up(a, b)
    wait_caught_up(b, c_)
    assert_same(a, b, c_)
    assert offset(c_) == offset(a)


def test_replica_of_a_dead_address_keeps_trying(server_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        replica = start_replica(server_factory, port)
        st = repl_stats(replica)
        assert st["role"] == "replica" and st["primary_link_status"] == "connecting"
        with replica.client() as c:
            c.call(b"get x\r\n", b"END\r\n")  # reads are served meanwhile
            c.call(b"replica_of none\r\n", b"OK\r\n")
            c.call(b"set x 0 0 1\r\nx\r\n", b"STORED\r\n")


# ---------------------------------------------------------------------------
# synchronous acknowledgements (-o min_replica_acks)

def binary_set(c, key, value, opaque=7):
    """A binary set on c; (status, body) of its reply."""
    extras = struct.pack(">II", 0, 0)
    body = extras + key + value
    c.send(struct.pack(">BBHBBHIIQ", 0x80, 0x01, len(key), len(extras), 0, 0, len(body), opaque, 0)
           + body)
    head = c.recv_exact(24)
    _magic, _op, _kl, _el, _dt, status, blen, got_opaque, _cas = struct.unpack(">BBHBBHIIQ", head)
    assert got_opaque == opaque
    return status, c.recv_exact(blen)


def test_min_replica_acks_a_reply_means_the_replica_has_it(server_factory):
    # a timeout no running replica comes near, sanitizer builds on a busy
    # machine included: nothing here waits it out
    timeout_ms = int(scaled(60) * 1000)
    primary = server_factory("-o", "min_replica_acks=1,min_replica_timeout=%d" % timeout_ms)
    refused = b"SERVER_ERROR replication: 0 of the 1 replicas writes wait for are online\r\n"
    with primary.client() as c:
        c.call(b"set k 0 0 1\r\nv\r\n", refused)  # nobody to wait for: refused, not done
        c.call(b"ms k 1\r\nv\r\n", refused)
        c.call(b"get k\r\n", b"END\r\n")
    with primary.client() as c:
        status, body = binary_set(c, b"k", b"v")
        assert status == 0x84 and b"0 of the 1 replicas" in body
    replica = start_replica(server_factory, primary.port)
    wait_until(lambda: [x["state"] for x in replicas_seen(primary)] == ["online"], 20,
               "the replica to be online")
    with primary.client() as p, replica.client() as r:
        for i in range(50):
            p.call(b"set k%d 0 0 2\r\nv%d\r\n" % (i, i % 10), b"STORED\r\n")
            # the reply came: the replica holds it already, no waiting here
            r.call(b"get k%d\r\n" % i, b"VALUE k%d 0 2\r\nv%d\r\nEND\r\n" % (i, i % 10))
        # a pipeline of 16: every reply, once all 16 are on the replica
        p.call(b"".join(b"set p%d 0 0 1\r\nx\r\n" % i for i in range(16)), b"STORED\r\n" * 16)
        r.call(b"get p15\r\n", b"VALUE p15 0 1\r\nx\r\nEND\r\n")
        # a value large enough to be received straight into the item, in
        # pieces: its reply waits for the replica like any other
        big = b"b" * (300 * 1024)
        p.send(b"set big 0 0 %d\r\n" % len(big))
        for i in range(0, len(big), 32 * 1024):
            p.send(big[i:i + 32 * 1024])
        p.call(b"\r\n", b"STORED\r\n")
        r.call(b"mg big s\r\n", b"HD s%d\r\n" % len(big))
    with primary.client() as c:
        assert binary_set(c, b"bk", b"bv") == (0, b"")


def test_min_replica_acks_timeout_answers_an_error(server_factory):
    """The replica stops acknowledging: a write's reply gives way to an
    error once the timeout passes, and the connection closes; other
    connections are served meanwhile. (A primary of its own, with a short
    timeout: here it is waited out with the replica stopped, so nothing
    depends on how fast a running replica acknowledges.)"""
    timeout_ms = 500
    primary = server_factory("-o", "min_replica_acks=1,min_replica_timeout=%d" % timeout_ms)
    replica = start_replica(server_factory, primary.port)
    wait_until(lambda: [x["state"] for x in replicas_seen(primary)] == ["online"], 20,
               "the replica to be online")
    stop_process(replica.proc.pid)
    try:
        with primary.client() as w, primary.client() as reader:
            w.send(b"set slow 0 0 1\r\nx\r\n")
            reader.call(b"get nokey\r\n", b"END\r\n")
            w.expect(b"SERVER_ERROR replication: fewer than 1 replicas acknowledged within %d ms "
                     b"(written here)\r\n" % timeout_ms)
            assert w.assert_closed() == b""
        with primary.client() as c:
            c.call(b"get slow\r\n", b"VALUE slow 0 1\r\nx\r\nEND\r\n")  # done here
        with primary.client() as c:  # binary: no line to say it in; closed without a reply
            c.send(struct.pack(">BBHBBHIIQ", 0x80, 0x01, 1, 8, 0, 0, 10, 9, 0) +
                   struct.pack(">II", 0, 0) + b"bx")
            assert c.assert_closed() == b""
    finally:
        os.kill(replica.proc.pid, signal.SIGCONT)
    wait_caught_up(primary, replica)
    # the replica is back: writes wait for it again and succeed
    with primary.client() as c:
        c.call(b"set back 0 0 1\r\nb\r\n", b"STORED\r\n")
    assert_same(primary, replica)


# ---------------------------------------------------------------------------
# restarts with persistence

def restart_same_port(srv, kill9=False):
    """Stop (SIGTERM, or kill -9) and start again on the same port and
    directory: a replica following it finds it where it was."""
    if kill9:
        srv.kill9()
    else:
        assert srv.stop() == 0, srv.run_stderr()[-2000:]
    srv._spawn()  # same argv: same port, same persist_dir
    assert srv._wait_ready(), srv.run_stderr()[-2000:]


def test_primary_restarted_cleanly_is_continued_by_its_replica(server_factory, tmp_path):
    primary = start_persist(server_factory, tmp_path / "p")
    fill(primary, 300)
    replica = start_replica(server_factory, primary.port)
    wait_caught_up(primary, replica)
    before = repl_stats(primary)
    restart_same_port(primary)
    st = repl_stats(primary)
    assert (st["replid"], st["repl_offset"]) == (before["replid"], before["repl_offset"])
    assert not (tmp_path / "p" / "replication").exists()  # used once
    wait_until(lambda: repl_stats(replica)["partial_syncs"] == "1", 20,
               "the replica to continue from the restarted primary")
    fill(primary, 100, prefix=b"after")
    wait_caught_up(primary, replica)
    assert repl_stats(replica)["full_syncs"] == "1"
    assert_same(primary, replica)


def test_primary_crash_means_a_new_stream_and_a_full_sync(server_factory, tmp_path):
    primary = start_persist(server_factory, tmp_path / "p")
    fill(primary, 300)
    replica = start_replica(server_factory, primary.port)
    wait_caught_up(primary, replica)
    old = repl_stats(primary)["replid"]
    restart_same_port(primary)  # a clean stop leaves the position...
    restart_same_port(primary, kill9=True)  # ...which the crash must not reuse
    assert repl_stats(primary)["replid"] != old
    wait_until(lambda: repl_stats(replica)["full_syncs"] == "2", 20, "a second full sync")
    wait_caught_up(primary, replica)
    assert_same(primary, replica)


def test_replica_restarted_cleanly_continues(server_factory, tmp_path):
    primary = server_factory()
    fill(primary, 300)
    replica = start_persist(server_factory, tmp_path / "r", "replica_of=127.0.0.1:%d" % primary.port)
    wait_caught_up(primary, replica)
    assert replica.stop() == 0
    fill(primary, 200, prefix=b"while_away")
    replica.start()
    wait_caught_up(primary, replica)
    st = repl_stats(replica)
    assert (st["full_syncs"], st["partial_syncs"]) == ("0", "1"), st
    assert_same(primary, replica)
    # and a crashed one syncs in full
    replica.kill9()
    replica.start()
    wait_caught_up(primary, replica)
    assert repl_stats(replica)["full_syncs"] == "1"
    assert_same(primary, replica)


def test_replica_restarted_as_a_primary_starts_a_stream_of_its_own(server_factory, tmp_path):
    """A replica stopped cleanly and started without replica_of is a primary:
    its writes must not pass for its old primary's stream. It takes a new
    id and answers the old one up to where it stopped, so a sibling that
    followed the same primary continues from it."""
    a = server_factory()
    b = start_persist(server_factory, tmp_path / "b", "replica_of=127.0.0.1:%d" % a.port)
    c_ = start_replica(server_factory, a.port)
    fill(a, 300)
    wait_caught_up(a, b, c_)
    old = repl_stats(a)["replid"]
    assert b.stop() == 0
    b2 = start_persist(server_factory, tmp_path / "b")  # no replica_of now
    st = repl_stats(b2)
    assert st["role"] == "primary" and st["replid"] != old
    assert (st["replid2"], st["replid2_offset"]) == (old, repl_stats(a)["repl_offset"])
    with b2.client() as c:
        c.call(b"set mine 0 0 1\r\nm\r\n", b"STORED\r\n")
    with c_.client() as c:
        c.call(b"replica_of 127.0.0.1:%d\r\n" % b2.port, b"OK\r\n")
    wait_caught_up(b2, c_)
    st = repl_stats(c_)  # (counted per link: replica_of starts a new one)
    assert (st["full_syncs"], st["partial_syncs"]) == ("0", "1"), st
    assert_same(b2, c_)


# ---------------------------------------------------------------------------
# bad input

def test_bad_replica_of_and_repl_sync(server_factory):
    srv = server_factory()
    usage = b"CLIENT_ERROR usage: replica_of HOST:PORT | none\r\n"
    with srv.client() as c:
        for arg in (b"", b"nohost", b"host:", b":11211", b"host:0", b"host:65536",
                    b"host:12x", b"a b:1", b"::1:11211", b"[::1]x:1"):
            c.call(b"replica_of " + arg + b"\r\n" if arg else b"replica_of\r\n", usage)
        c.call(b"replica_of none\r\n", b"OK\r\n")  # a primary stays one
        bad = b"CLIENT_ERROR bad command line format\r\n"
        for arg in (b"", b"abc 1", b"? x", b"? 1 2", b"? -1x"):
            c.call(b"repl_sync " + arg + b"\r\n" if arg else b"repl_sync\r\n", bad)
        c.call(b"get k\r\n", b"END\r\n")
    assert repl_stats(srv)["role"] == "primary"


def test_replicas_beyond_the_limit_are_refused(server_factory):
    """Each replica costs the primary a thread: the 65th is refused, and a
    place frees up when one goes."""
    srv = server_factory()
    conns = []
    try:
        for _ in range(64):
            c = srv.client()
            conns.append(c)
            c.send(b"repl_sync ? 0\r\n")
            assert c.recv_line().startswith(b"FULLSYNC ")
        with srv.client() as c:
            c.call(b"repl_sync ? 0\r\n", b"SERVER_ERROR too many replicas (64)\r\n")
        conns.pop().close()

        def room_again():
            with srv.client() as c:
                line = c.request(b"repl_sync ? 0\r\n")
                return line.startswith(b"FULLSYNC ")
        wait_until(room_again, 10, "a place for a replica once one left")
    finally:
        for c in conns:
            c.close()


def test_bad_replica_of_option_stops_the_start(tmp_path):
    from mnemo_harness import base_command
    for bad in ("replica_of=nohost", "replica_of=h:99999", "repl_backlog_size=0"):
        r = subprocess.run(base_command() + ["-p", "0", "-o", bad], capture_output=True,
                           timeout=20, cwd=tmp_path)
        assert r.returncode != 0 and b"mnemod:" in r.stderr, (bad, r)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_a_primary_that_is_not_mnemod_is_reported(server_factory, tmp_path):
    """A plain memcached-style server answers repl_sync with ERROR: the link
    says so in the log and keeps trying; the replica serves reads."""
    fake = socket.socket()
    fake.bind(("127.0.0.1", 0))
    fake.listen(4)
    port = fake.getsockname()[1]
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                s, _ = fake.accept()
            except OSError:
                return
            with s:
                try:
                    s.recv(100)
                    s.sendall(b"ERROR\r\n")
                except OSError:
                    pass
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        replica = start_replica(server_factory, port)
        wait_until(lambda: 'answered "ERROR"' in replica.stderr_text() or
                   int(repl_stats(replica)["link_errors"]) >= 2, 10, "the link to give up once")
        assert repl_stats(replica)["primary_link_status"] != "up"
        with replica.client() as c:
            c.call(b"get k\r\n", b"END\r\n")
    finally:
        stop.set()
        fake.shutdown(socket.SHUT_RDWR)
        fake.close()
        t.join(timeout=5)
