"""nutcracker (twemproxy, Debian's 0.5.0) in front of three mnemods (issue 21).

A pool of three mnemods on free loopback ports behind nutcracker (ketama,
auto_eject_hosts), driven through the proxy by python-memcache and
pymemcache.  Where a key went is asked of each backend directly.  One test
kills a backend with SIGKILL mid-run: requests for its keys fail, nutcracker
ejects it, traffic goes on over the other two, and once the backend is back
on its port it is used again.  Others check the README's list of what
nutcracker does not carry against what it actually does.

Every process is stopped by PID at teardown, even when a test fails; every
wait polls for its event with a bounded, TIME_SCALE-stretched deadline.
"""

import json
import os
import random
import socket
import subprocess
import time

import memcache
import pytest
from pymemcache.client.base import Client as PymemcacheClient
from pymemcache.exceptions import MemcacheError, MemcacheServerError

from mnemo_harness import (IO_TIMEOUT, START_TIMEOUT, STOP_TIMEOUT, TIME_SCALE, RawClient,
                           Server, ServerFactory, free_port, scaled, wait_until)

NUTCRACKER = os.environ.get("NUTCRACKER", "/usr/sbin/nutcracker")

# An ejected backend is tried again after RETRY_MS; FAILURE_LIMIT failures
# eject it.  2 rather than 1: the proxy counts the EOF of a killed backend's
# connection as a failure of its own, so with 1 it could eject the backend
# before any request saw it fail, and the test could not assert that they do.
RETRY_MS = int(1000 * TIME_SCALE)
FAILURE_LIMIT = 2

MAX_VALUE = 1024 * 1024 - 1024   # close to mnemod's default -I 1m, with room for the item


class Backend(Server):
    """A mnemod of the pool: kill9() it and restart() it on the same port."""

    kill9ed = False

    def kill9(self):
        assert self.alive(), "%s died before kill -9:\n%s" % (self.name, self.stderr_text())
        self.proc.kill()
        self.proc.wait(STOP_TIMEOUT)
        self.kill9ed = True

    def restart(self):
        """The same argv, so the same port (mnemod sets SO_REUSEADDR)."""
        self.kill9ed = False
        self._spawn()
        assert self._wait_ready(), "%s did not come back on port %d:\n%s" % (
            self.name, self.port, self.stderr_text()[-3000:])

    def problems(self):
        if self.kill9ed:   # the test killed it and failed before the restart
            return []
        return super().problems()


class Nutcracker:
    """nutcracker on a free port with a config written here; stopped by PID."""

    def __init__(self, backends, workdir):
        self.backends = backends
        self.workdir = workdir
        self.conf = workdir / "nutcracker.yml"
        self.log = workdir / "nutcracker.log"
        self.proc = None
        self.port = self.stats_port = None
        self.exited_early = None

    def write_conf(self):
        # md5, not twemproxy's default fnv1a_64: its 64-bit FNV is cut to the
        # low 32 bits, which barely move for keys that differ in their last
        # byte, so "k1".."k9" all land on one server.
        lines = ["pool:",
                 "  listen: 127.0.0.1:%d" % self.port,
                 "  hash: md5",
                 "  distribution: ketama",
                 "  auto_eject_hosts: true",
                 "  server_retry_timeout: %d" % RETRY_MS,
                 "  server_failure_limit: %d" % FAILURE_LIMIT,
                 "  timeout: %d" % int(scaled(10) * 1000),
                 "  servers:"]
        lines += ["   - 127.0.0.1:%d:1" % b.port for b in self.backends]
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self):
        if not os.access(NUTCRACKER, os.X_OK):
            pytest.fail("%s not found: `scripts/install-deps.sh test` installs it (Debian "
                        "package nutcracker), or set NUTCRACKER=<path>" % NUTCRACKER,
                        pytrace=False)
        for _attempt in range(5):   # a free port can be taken before nutcracker binds it
            self.port, self.stats_port = free_port(), free_port()
            self.write_conf()
            # -i: stats aggregated every 100 ms (30 s by default) so ejections show soon
            argv = [NUTCRACKER, "-c", str(self.conf), "-o", str(self.log),
                    "-s", str(self.stats_port), "-a", "127.0.0.1", "-i", "100"]
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                         cwd=self.workdir)
            if self.wait_answering():
                return self
            if "in use" not in self.log_text():
                break
        self.stop()
        raise AssertionError("nutcracker did not answer within %.0fs:\n%s"
                             % (START_TIMEOUT, self.log_text()[-3000:]))

    def wait_answering(self):
        """True once a get through the proxy answers; False if it exited."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with RawClient(("127.0.0.1", self.port), timeout=1.0) as c:
                    if c.request(b"get nutcracker:probe\r\n", b"END\r\n").endswith(b"END\r\n"):
                        return True
            except (OSError, AssertionError):
                pass
            time.sleep(0.02)
        return False

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            self.exited_early = self.exited_early or self.proc.returncode
            return
        self.proc.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def stats(self):
        """The stats port's JSON: the pool's counters and one object per server."""
        with socket.create_connection(("127.0.0.1", self.stats_port), timeout=IO_TIMEOUT) as s:
            blob = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                blob += chunk
        return json.loads(blob)["pool"]

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port


def start_pool(factory, workdir):
    """Three mnemods (under the factory, so checked at teardown) and nutcracker."""
    backends = []
    for i in range(3):
        b = Backend(["-t", "1", "-m", "64"], factory.workdir, name="backend%d" % i)
        factory.servers.append(b)
        backends.append(b.start())
    return backends, Nutcracker(backends, workdir).start()


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("nutcracker")
    factory = ServerFactory(workdir)
    proxy = None
    try:
        backends, proxy = start_pool(factory, workdir)
        yield backends, proxy
    finally:
        if proxy:
            proxy.stop()
        problems = factory.finish()
    if proxy and proxy.exited_early is not None:
        problems.append("nutcracker exited during the tests (status %r):\n%s"
                        % (proxy.exited_early, proxy.log_text()[-3000:]))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def fresh_pool(tmp_path):
    """A pool of its own, for the test that kills a backend."""
    factory = ServerFactory(tmp_path)
    proxy = None
    try:
        backends, proxy = start_pool(factory, tmp_path)
        yield backends, proxy
    finally:
        if proxy:
            proxy.stop()
        problems = factory.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def python_memcache(proxy):
    # dead_retry=0: a socket error must not hide the proxy from later calls
    return memcache.Client([proxy.addr], socket_timeout=IO_TIMEOUT, dead_retry=0,
                           cache_cas=True)


def pymemcache(proxy):
    return PymemcacheClient(("127.0.0.1", proxy.port), connect_timeout=IO_TIMEOUT,
                            timeout=IO_TIMEOUT, default_noreply=False)


@pytest.fixture
def mc(pool):
    client = python_memcache(pool[1])
    yield client
    client.disconnect_all()


@pytest.fixture
def pc(pool):
    client = pymemcache(pool[1])
    yield client
    client.close()


def held_by(backend, keys):
    """The keys among `keys` that this backend holds, asked of it directly."""
    held = set()
    keys = list(keys)
    with backend.client() as c:
        for i in range(0, len(keys), 100):
            c.send(b"get " + b" ".join(k.encode() for k in keys[i:i + 100]) + b"\r\n")
            while True:
                line = c.recv_line()
                if line == b"END\r\n":
                    break
                assert line.startswith(b"VALUE "), line
                held.add(line.split()[1].decode())
                c.recv_exact(int(line.split()[3]) + 2)
    return held


def flags_on_backend(backends, key):
    """(backend index, flags) of the one backend that holds key."""
    found = []
    for i, b in enumerate(backends):
        with b.client() as c:
            line = c.request(b"get %s\r\n" % key.encode())
            if line.startswith(b"VALUE "):
                found.append((i, int(line.split()[2])))
                c.recv_until(b"END\r\n")
    assert len(found) == 1, "%s held by %d backends" % (key, len(found))
    return found[0]


# ---------------------------------------------------------------------------
# the text protocol through the proxy, with both clients

def test_set_get_and_flags(pool, mc, pc):
    backends, _ = pool
    assert mc.set("pm:str", "hello") and mc.get("pm:str") == "hello"
    assert mc.set("pm:int", 42) and mc.get("pm:int") == 42    # python-memcache's flag 2
    assert flags_on_backend(backends, "pm:int")[1] == 2
    assert pc.set("pc:bytes", b"\x00\xffbin") is True and pc.get("pc:bytes") == b"\x00\xffbin"
    assert pc.set("pc:flags", b"v", flags=0xDEADBEEF) is True
    assert flags_on_backend(backends, "pc:flags")[1] == 0xDEADBEEF
    with RawClient(("127.0.0.1", pool[1].port)) as c:
        c.call(b"get pc:flags\r\n", b"VALUE pc:flags 3735928559 1\r\nv\r\nEND\r\n")
    assert mc.get("pm:missing") is None and pc.get("pc:missing") is None


def test_multi_get_spread_over_all_three(pool, mc, pc):
    backends, _ = pool
    rnd = random.Random(21)
    mine = {"mset:%d" % i: "v%d" % rnd.randrange(10 ** 9) for i in range(300)}
    assert mc.set_multi(mine) == []                   # no key failed
    assert mc.get_multi(list(mine)) == mine
    theirs = {"many:%d" % i: b"w%d" % i for i in range(300)}
    assert pc.set_many(theirs) == []
    assert pc.get_many(list(theirs) + ["many:absent"]) == theirs
    for keys in (mine, theirs):
        held = [held_by(b, keys) for b in backends]
        assert all(held), "a backend holds none of 300 keys: %s" % [len(h) for h in held]
        assert set().union(*held) == set(keys)
        assert sum(len(h) for h in held) == len(keys), "a key is on two backends"


def test_gets_cas(pool, mc, pc):
    assert pc.set("pc:cas", b"one") is True
    value, stale = pc.gets("pc:cas")
    assert value == b"one"
    assert pc.set("pc:cas", b"two") is True           # moves the cas value on
    assert pc.cas("pc:cas", b"three", stale) is False   # EXISTS
    value, fresh = pc.gets("pc:cas")
    assert value == b"two" and fresh != stale
    assert pc.cas("pc:cas", b"three", fresh) is True
    assert pc.get("pc:cas") == b"three"
    assert pc.cas("pc:cas:absent", b"x", fresh) is None  # NOT_FOUND

    other = python_memcache(pool[1])
    assert mc.set("pm:cas", "one") and mc.gets("pm:cas") == "one"
    assert other.set("pm:cas", "two")                 # mc's cas token is stale now
    assert not mc.cas("pm:cas", "three")
    assert mc.gets("pm:cas") == "two"
    assert mc.cas("pm:cas", "three")
    assert other.get("pm:cas") == "three"
    other.disconnect_all()


def test_incr_decr(pool, mc, pc):
    assert mc.set("pm:n", "10")
    assert mc.incr("pm:n", 5) == 15 and mc.decr("pm:n", 20) == 0   # decr stops at 0
    assert mc.incr("pm:n:absent") is None
    assert pc.set("pc:n", b"18446744073709551615") is True
    assert pc.incr("pc:n", 1) == 0                    # wraps at 64 bits
    assert pc.decr("pc:n", 1) == 0 and pc.incr("pc:n", 7) == 7
    assert pc.incr("pc:n:absent", 1) is None


def test_delete(pool, mc, pc):
    assert mc.set("pm:del", "x") and mc.delete("pm:del")
    assert mc.get("pm:del") is None
    assert pc.set("pc:del", b"x") is True and pc.delete("pc:del") is True
    assert pc.delete("pc:del") is False and pc.get("pc:del") is None


def test_touch(pool, mc, pc):
    assert mc.set("pm:touch", "x") and pc.set("pc:touch", b"x") is True
    assert mc.touch("pm:touch", 1) and pc.touch("pc:touch", 1) is True
    assert not mc.touch("pm:touch:absent", 1) and pc.touch("pc:touch:absent", 1) is False
    # stored without an expiry: only the touch can make them go
    wait_until(lambda: mc.get("pm:touch") is None and pc.get("pc:touch") is None, 10,
               "touched items to expire")


def test_large_values(pool, mc, pc):
    backends, _ = pool
    rnd = random.Random(5)
    values = {"pc:large:%d" % n: rnd.randbytes(n) for n in (512 * 1024, MAX_VALUE)}
    for k, v in values.items():
        assert pc.set(k, v) is True
    assert pc.get_many(list(values)) == values       # one get, several large replies
    text = "".join(rnd.choice("abcdef") for _ in range(MAX_VALUE))
    assert mc.set("pm:large", text) and mc.get("pm:large") == text
    # over the item limit: mnemod's SERVER_ERROR comes back through the proxy
    with pytest.raises(MemcacheServerError):
        pc.set("pc:toolarge", b"x" * (1024 * 1024 + 1))
    assert pc.get("pc:large:%d" % MAX_VALUE) == values["pc:large:%d" % MAX_VALUE]
    assert sum(len(held_by(b, values)) for b in backends) == 2


def test_noreply_and_version_are_carried(pool):
    with RawClient(("127.0.0.1", pool[1].port)) as c:
        c.send(b"set nr 0 0 1 noreply\r\n5\r\nincr nr 2 noreply\r\n"
               b"touch nr 100 noreply\r\nadd nr 0 0 1 noreply\r\nx\r\n")
        c.call(b"get nr\r\n", b"VALUE nr 0 1\r\n7\r\nEND\r\n")
        c.send(b"delete nr noreply\r\n")
        c.call(b"get nr\r\n", b"END\r\n")
        assert c.request(b"version\r\n").startswith(b"VERSION ")


# What nutcracker 0.5.0 does not carry (README "Many servers"): it closes the
# client's connection without a reply, where a backend asked directly answers.
NOT_CARRIED = [
    pytest.param(b"mg k v\r\n", b"EN\r\n", id="meta-mg"),
    pytest.param(b"mn\r\n", b"MN\r\n", id="meta-mn"),
    pytest.param(b"gat 0 k\r\n", b"END\r\n", id="gat"),
    pytest.param(b"stats\r\n", b"STAT pid ", id="stats"),
    pytest.param(b"flush_all\r\n", b"OK\r\n", id="flush_all"),
    pytest.param(b"verbosity 0\r\n", b"OK\r\n", id="verbosity"),
    pytest.param(b"delete k 0\r\n", b"NOT_FOUND\r\n", id="delete-with-time"),
    pytest.param(b"set k 0 -1 1\r\nx\r\n", b"STORED\r\n", id="negative-exptime"),
    pytest.param(b"get " + b"k" * 251 + b"\r\n", b"CLIENT_ERROR", id="key-251-bytes"),
    pytest.param(b"\x80\x0a" + bytes(22), b"\x81\x0a", id="binary-noop"),
]


@pytest.mark.parametrize("request_bytes,direct", NOT_CARRIED)
def test_not_carried_closes_the_connection(pool, request_bytes, direct):
    backends, proxy = pool
    with backends[0].client() as c:
        c.send(request_bytes)
        assert c.recv_exact(len(direct)) == direct
    with RawClient(("127.0.0.1", proxy.port)) as c:
        c.send(request_bytes)
        assert c.assert_closed() == b""


def test_a_bad_request_loses_the_replies_before_it(pool):
    with RawClient(("127.0.0.1", pool[1].port)) as c:
        c.send(b"set lost 0 0 1\r\nx\r\nget lost\r\nmn\r\n")
        assert c.assert_closed() == b""


# ---------------------------------------------------------------------------
# a backend killed, ejected, restarted, used again

def retry(op, attempts):
    """Call op() until it returns something truthy; (value, failed calls)."""
    failed = 0
    for _ in range(attempts):
        try:
            value = op()
        except MemcacheError:
            value = None
        if value:
            return value, failed
        failed += 1
    return None, failed


@pytest.mark.mnemo_timeout(90)
def test_backend_killed_ejected_and_back(fresh_pool):
    backends, proxy = fresh_pool
    pc, mc = pymemcache(proxy), python_memcache(proxy)
    before = {"before:%d" % i: b"b%d" % i for i in range(300)}
    assert pc.set_many(before) == []
    victim, survivors = backends[1], [backends[0], backends[2]]
    on_victim = sorted(held_by(victim, before))
    assert on_victim, "no key of 300 went to the victim"

    victim.kill9()
    # The proxy still routes the victim's keys to it: the first request fails.
    with pytest.raises(MemcacheServerError):
        pc.get(on_victim[0])
    # Within FAILURE_LIMIT failures it is ejected and its keys go elsewhere.
    value, failed = retry(lambda: pc.set(on_victim[0], b"moved"), FAILURE_LIMIT + 1)
    assert value is True and failed < FAILURE_LIMIT, "failed %d times" % failed
    wait_until(lambda: proxy.stats()["server_ejects"] >= 1, 10, "nutcracker to count an eject")

    # Traffic goes on: every key stored and read back through the two others.
    # While the victim stays down the proxy tries it again every RETRY_MS,
    # which costs FAILURE_LIMIT failed requests each time (as twemproxy's
    # README says, clients retry); the load lasts over two such tries.
    t0, failures, after = time.monotonic(), 0, []
    while len(after) < 200 or time.monotonic() - t0 < 2.5 * RETRY_MS / 1000:
        k = "after:%d" % len(after)
        after.append(k)
        time.sleep(0.005)   # pacing, so the keys are a few hundred, not many thousands
        if len(after) % 2:  # both clients, in turn
            ok, f1 = retry(lambda: pc.set(k, k.encode()), FAILURE_LIMIT + 1)
            got, f2 = retry(lambda: pc.get(k), FAILURE_LIMIT + 1)
            assert ok and got == k.encode(), "%s: stored %r, read %r" % (k, ok, got)
        else:
            ok, f1 = retry(lambda: mc.set(k, k), FAILURE_LIMIT + 1)
            got, f2 = retry(lambda: mc.get(k), FAILURE_LIMIT + 1)
            assert ok and got == k, "%s: stored %r, read %r" % (k, ok, got)
        failures += f1 + f2
    windows = (time.monotonic() - t0) * 1000 / RETRY_MS + 1
    assert failures <= FAILURE_LIMIT * windows, "%d failures in %.1f windows" % (failures, windows)
    held = [held_by(s, after) for s in survivors]
    assert set().union(*held) == set(after) and all(held)
    assert held_by(survivors[0], [on_victim[0]]) | held_by(survivors[1], [on_victim[0]])

    # Back on its port, empty: after RETRY_MS at most the proxy uses it again
    # and ketama puts every key it had before back on it.
    victim.restart()

    def victim_used():
        try:
            pc.set(on_victim[0], b"back")
        except MemcacheError:
            return False    # tried while the proxy still counted it failing
        return held_by(victim, [on_victim[0]])
    wait_until(victim_used, 2 * RETRY_MS / 1000 / TIME_SCALE + 10, "the victim to be used again")
    assert pc.set_many({k: b"again" for k in on_victim}) == []
    assert held_by(victim, on_victim) == set(on_victim)
    new = {"new:%d" % i: "n%d" % i for i in range(100)}
    assert mc.set_multi(new) == [] and mc.get_multi(list(new)) == new
    assert held_by(victim, new), "no new key of 100 went to the restarted backend"
    pc.close()
    mc.disconnect_all()
