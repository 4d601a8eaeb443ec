"""Replica-aware pools (issue 21): libmnemo and mnemo-cli given shards
written "primary=replica".  Writes go to the shard's primary; when it stops
answering, reads move to its replicas at once and writes answer a clear
error until a replica is promoted; then the client follows the new primary,
which it learns from `stats replication`.

Real mnemods replicate here; the client is libmnemo through
tests/client_driver (one long-lived client) and mnemo-cli.  Tests wait for
the event they need (a replica caught up, a server answering), never for a
fixed time.
"""

import json
import os
import select
import subprocess
from pathlib import Path

import pytest

from mnemo_harness import IS_MEMCACHED, TIME_SCALE, wait_until

BUILD = os.environ.get("MNEMO_BUILD_DIR", str(Path(__file__).resolve().parents[2] / "build"))
CLI = os.path.join(BUILD, "mnemo-cli")
DRIVER = os.path.join(BUILD, "tests", "client_driver")

pytestmark = pytest.mark.skipif(IS_MEMCACHED,
                                reason="replication is mnemod's own: memcached has none")

NO_PRIMARY = -14  # MNEMO_ENOPRIMARY


def offset(srv):
    return int(srv.stats("replication")["repl_offset"])


def wait_caught_up(primary, *replicas):
    def done():
        want = offset(primary)
        for r in replicas:
            st = r.stats("replication")
            if st.get("primary_link_status") != "up" or int(st["repl_offset"]) != want:
                return False
        return True
    wait_until(done, 20, "replicas to catch up with the primary")


def promote(srv):
    with srv.client() as c:
        c.call(b"replica_of none\r\n", b"OK\r\n")


def follow(srv, primary):
    with srv.client() as c:
        c.call(b"replica_of 127.0.0.1:%d\r\n" % primary.port, b"OK\r\n")


def raw_get(srv, key):
    with srv.client() as c:
        reply = c.request(b"get " + key.encode() + b"\r\n", b"END\r\n")
    if reply == b"END\r\n":
        return None
    return reply.split(b"\r\n")[1].decode()


def cmd_get(srv):
    return int(srv.stats()["cmd_get"])


def cli(spec, *args, stdin=None):
    p = subprocess.run([CLI, "-T", str(int(2000 * TIME_SCALE)), "--servers", spec] + list(args),
                       input=stdin, capture_output=True, text=True, timeout=60 * TIME_SCALE)
    return p.returncode, p.stdout, p.stderr


class Driver:
    """One libmnemo client that lives through the whole test."""

    def __init__(self, spec, read_replicas=False):
        argv = [DRIVER, spec, "repl", "300"] + (["read-replicas"] if read_replicas else [])
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, ASAN_OPTIONS="exitcode=86"))
        assert json.loads(self._readline())["ready"]

    def _readline(self):
        limit = 30 * TIME_SCALE
        ready, _, _ = select.select([self.p.stdout], [], [], limit)
        assert ready, "driver did not answer within %ss" % limit
        return self.p.stdout.readline()

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return json.loads(self._readline())

    def set(self, key, value):
        return self.ask("set %s %s" % (key, value))["rc"]

    def get(self, key):
        r = self.ask("get %s" % key)
        return r["rc"], r["value"]

    def primary(self, shard=0):
        return self.ask("primary %d" % shard)["primary"]

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            assert self.p.wait(timeout=10 * TIME_SCALE) == 0, "driver exited with an error"
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait(timeout=5)


@pytest.fixture
def shard(server_factory):
    """A primary and two replicas, caught up."""
    primary = server_factory()
    r1 = server_factory("-o", "replica_of=127.0.0.1:%d" % primary.port)
    r2 = server_factory("-o", "replica_of=127.0.0.1:%d" % primary.port)
    wait_caught_up(primary, r1, r2)
    return primary, r1, r2


def spec_of(*servers):
    return "=".join(s.addr for s in servers)


def test_writes_go_to_the_primary_reads_fail_over_and_writes_follow_a_promotion(shard):
    primary, r1, r2 = shard
    d = Driver(spec_of(primary, r1, r2))
    try:
        for i in range(20):
            assert d.set("k%d" % i, "v%d" % i) == 0
        assert raw_get(primary, "k7") == "v7"
        wait_caught_up(primary, r1, r2)
        assert d.primary() == primary.addr

        assert primary.stop() == 0
        # reads move to a replica at once: the first read after the loss
        # is answered, none fails
        for i in range(20):
            assert d.get("k%d" % i) == (0, "v%d" % i)
        # writes answer a clear error; nothing is written anywhere
        assert d.set("lost", "x") == NO_PRIMARY
        assert d.primary() is None
        assert raw_get(r1, "lost") is None and raw_get(r2, "lost") is None

        promote(r1)
        follow(r2, r1)
        # the first write after the promotion already finds the new primary
        assert d.set("after", "y") == 0
        assert d.primary() == r1.addr
        assert raw_get(r1, "after") == "y"
        wait_caught_up(r1, r2)
        assert raw_get(r2, "after") == "y"
        assert d.get("after") == (0, "y")
    finally:
        d.close()


def test_old_primary_back_as_a_replica_is_not_written_to(shard):
    primary, r1, r2 = shard
    d = Driver(spec_of(primary, r1, r2))
    try:
        assert d.set("a", "1") == 0
        assert primary.stop() == 0
        promote(r1)
        follow(r2, r1)
        assert d.set("b", "2") == 0
        assert d.primary() == r1.addr
        # the old primary comes back on its port, as the new one's replica
        primary.argv = primary.argv + ["-o", "replica_of=127.0.0.1:%d" % r1.port]
        primary._spawn()
        assert primary._wait_ready()
        wait_caught_up(r1, primary, r2)
        for i in range(10):
            assert d.set("c%d" % i, str(i)) == 0
        assert primary.stats("replication")["role"] == "replica"
        assert d.primary() == r1.addr
        wait_caught_up(r1, primary, r2)
        assert raw_get(primary, "c9") == "9"
    finally:
        d.close()
    # a fresh client, configured with the old primary first, finds out
    # from the refusal and writes to the real one
    rc, out, err = cli(spec_of(primary, r1, r2), "set", "fresh", "z")
    assert rc == 0, err
    assert raw_get(r1, "fresh") == "z"
    wait_caught_up(r1, primary, r2)
    rc, out, err = cli(spec_of(primary, r1, r2), "digest")
    assert rc == 0, out + err
    assert "shard 0: primary %s" % r1.addr in out
    assert "same digest on all 3 servers" in out


@pytest.mark.parametrize("read_replicas,want", [
    (False, [10, 0, 0]),   # a primary that answers takes every read
    (True, [0, 5, 5]),     # the replicas in turn, never the primary
])
def test_where_reads_go(shard, read_replicas, want):
    primary, r1, r2 = shard
    d = Driver(spec_of(primary, r1, r2), read_replicas=read_replicas)
    try:
        assert d.set("k", "v") == 0
        wait_caught_up(primary, r1, r2)
        before = [cmd_get(s) for s in shard]
        for _ in range(10):
            assert d.get("k") == (0, "v")
        after = [cmd_get(s) for s in shard]
        assert [a - b for a, b in zip(after, before)] == want
    finally:
        d.close()


def test_a_failed_replica_is_skipped_then_read_from_again(shard):
    primary, r1, r2 = shard
    d = Driver(spec_of(primary, r1, r2), read_replicas=True)
    try:
        assert d.set("k", "v") == 0
        wait_caught_up(primary, r1, r2)
        assert r1.stop() == 0
        for _ in range(6):  # every read is answered, by r2
            assert d.get("k") == (0, "v")
        r1._spawn()  # same argv: same port, a replica of the same primary
        assert r1._wait_ready()
        wait_caught_up(primary, r1, r2)
        before = cmd_get(r1)
        # past the retry interval (300 ms here) it takes its turn again
        wait_until(lambda: d.get("k") == (0, "v") and cmd_get(r1) > before, 20,
                   "reads to reach the restarted replica")
    finally:
        d.close()


def test_cli_pool_operations(server_factory):
    """stats with totals, flush on primaries, digest per shard, version,
    across two shards of a primary and a replica each."""
    p1 = server_factory()
    r1 = server_factory("-o", "replica_of=127.0.0.1:%d" % p1.port)
    p2 = server_factory()
    r2 = server_factory("-o", "replica_of=127.0.0.1:%d" % p2.port)
    spec = "%s,%s" % (spec_of(p1, r1), spec_of(p2, r2))
    keys = "\n".join("key%d" % i for i in range(200)) + "\n"
    rc, out, _ = cli(spec, "where", "-", stdin=keys)
    assert rc == 0
    owners = {line.split()[1] for line in out.splitlines()}
    assert owners == {p1.addr, p2.addr}, "keys are placed on primaries only"
    for i in range(40):
        assert cli(spec, "set", "key%d" % i, "v")[0] == 0
    wait_caught_up(p1, r1)
    wait_caught_up(p2, r2)

    rc, out, err = cli(spec, "stats")
    assert rc == 0, err
    per = {}
    total = None
    for line in out.splitlines():
        who, name, value = line.split(" ", 2)
        if name == "curr_items":
            if who == "total":
                total = int(value)
            else:
                per[who] = int(value)
    assert set(per) == {p1.addr, r1.addr, p2.addr, r2.addr}
    assert per[p1.addr] + per[p2.addr] == 40
    assert total == sum(per.values()) == 80
    assert "total servers 4" in out
    assert "total pid " not in out and "total uptime " not in out

    rc, out, err = cli(spec, "digest")
    assert rc == 0, out + err
    assert out.count("same digest on all 2 servers") == 2

    rc, out, err = cli(spec, "version")
    assert rc == 0 and len(out.splitlines()) == 4, out + err

    rc, out, err = cli(spec, "flush")
    assert rc == 0, err
    assert sorted(line.split()[0] for line in out.splitlines()) == sorted([p1.addr, p2.addr])
    wait_until(lambda: int(r1.stats()["curr_items"]) == 0 == int(r2.stats()["curr_items"]),
               20, "the flush to reach the replicas")

    # a "replica" that is not one holds other data: digest says they differ
    stranger = server_factory()
    with stranger.client() as c:
        c.call(b"set only-here 0 0 1\r\nx\r\n", b"STORED\r\n")
    rc, out, err = cli(spec_of(p1, stranger), "digest")
    assert rc == 1, out + err
    assert "only-here" in out

    # a shard with no server that says it is primary: a clear error
    rc, out, err = cli(spec_of(r1), "set", "k", "v")
    assert rc == 2 and "SERVER_ERROR" in err, err
    assert p1.stop() == 0
    rc, out, err = cli(spec_of(p1, r1), "flush")
    assert rc == 2 and "says it is primary" in err, err
    rc, out, err = cli(spec_of(p1, r1), "digest")
    assert rc == 2, out + err


@pytest.mark.parametrize("spec", [
    "127.0.0.1:1=", "=127.0.0.1:1", "127.0.0.1:1==127.0.0.1:2", "127.0.0.1:1=127.0.0.1:2:5",
    "127.0.0.1:1,=127.0.0.1:2",
])
def test_bad_shard_lists_are_refused(spec):
    rc, out, err = cli(spec, "get", "k")
    assert rc == 2 and "bad --servers" in err, (rc, err)
