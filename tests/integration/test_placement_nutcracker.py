"""Placement that agrees (part of issue 21): libmnemo's twemproxy distribution
puts every key on the server Debian's nutcracker (twemproxy 0.5) puts it on.

Three mnemods, nutcracker in front of them (`distribution: ketama`, each of
its key hashes in turn, equal weights and then unequal ones). Keys are set
through nutcracker; each backend is asked directly which keys it holds, and
`mnemo-cli --distribution twemproxy --hash H where -` must name that server
for every key. The other way round, keys `mnemo-cli set` writes straight to
the backends are all found through nutcracker.

The keys mix lengths 1..250 (every tail of every block size) with bytes
above 0x7f (UTF-8), which several of nutcracker's hashes sign-extend.
"""

import hashlib
import os
import random
import shutil
import socket
import struct
import subprocess

import pytest

from mnemo_harness import (REPO, RawClient, ServerFactory, base_command, free_port,
                           sanitizer_report, scaled, wait_answering, wait_until)

BUILD = os.environ.get("MNEMO_BUILD_DIR", str(REPO / "build"))
CLI = os.path.join(BUILD, "mnemo-cli")
NUTCRACKER = shutil.which("nutcracker") or "/usr/sbin/nutcracker"

# nutcracker's hash names, all implemented by libmnemo
HASHES = ["fnv1a_64", "md5", "one_at_a_time", "fnv1a_32", "fnv1_32", "fnv1_64", "crc16",
          "crc32", "crc32a", "murmur", "jenkins", "hsieh"]
WEIGHTS = {"equal": (1, 1, 1), "unequal": (1, 3, 7)}
REVERSE_KEYS = 60    # keys set by mnemo-cli, one process each


def make_keys(n=2000):
    rng = random.Random(21)
    ascii_chars = [chr(c) for c in range(0x21, 0x7f)]
    wide = "éß€漢字😀ñøΩж"
    keys = set()
    while len(keys) < n:
        kind = len(keys) % 4
        if kind == 0:
            key = ("key:%d" % len(keys)).encode()
        elif kind == 1:
            key = "".join(rng.choice(ascii_chars) for _ in range(rng.randint(1, 250))).encode()
        else:
            s = "".join(rng.choice(ascii_chars + list(wide)) for _ in range(rng.randint(1, 70)))
            key = s.encode()[:250]
            key = key.decode("utf-8", "ignore").encode()   # never a cut character
        if key:
            keys.add(key)
    return sorted(keys)


KEYS = make_keys()


def require_tools():
    if not os.access(NUTCRACKER, os.X_OK):
        pytest.fail("nutcracker not found (Debian package nutcracker, /usr/sbin/nutcracker; "
                    "scripts/install-deps.sh test installs it): these tests compare "
                    "libmnemo's placement with it", pytrace=False)
    if not os.access(CLI, os.X_OK):
        pytest.fail("%s not built (set MNEMO_BUILD_DIR)" % CLI, pytrace=False)


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    require_tools()
    factory = ServerFactory(tmp_path_factory.mktemp("backends"))
    try:
        for _ in range(3):
            factory()
        yield factory.servers
    finally:
        problems = factory.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


class Nutcracker:
    """nutcracker in front of the backends, config written into workdir;
    stop() by PID, always."""

    def __init__(self, workdir, servers, weights, hash_name):
        self.workdir = workdir
        self.log = workdir / "nutcracker.log"
        self.proc = None
        lines = "".join("   - %s:%d\n" % (s.addr, w) for s, w in zip(servers, weights))
        for _attempt in range(3):
            self.port = free_port()
            conf = workdir / "nutcracker.yml"
            conf.write_text("pool:\n"
                            "  listen: 127.0.0.1:%d\n"
                            "  distribution: ketama\n"
                            "  hash: %s\n"
                            "  timeout: 2000\n"
                            "  auto_eject_hosts: false\n"
                            "  servers:\n%s" % (self.port, hash_name, lines))
            self.proc = subprocess.Popen(
                [NUTCRACKER, "-c", str(conf), "-s", str(free_port()), "-a", "127.0.0.1",
                 "-o", str(self.log), "-p", str(workdir / "nutcracker.pid"), "-v", "4"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            try:
                # `version` is proxied to a backend: an answer means both ends are up
                wait_answering(self.proc, self.port, "nutcracker", limit=5)
                return
            except AssertionError:
                if self.proc.poll() is None or "in use" not in self.log_text():
                    self.stop()
                    raise AssertionError("nutcracker did not start:\n" + self.log_text())
        raise AssertionError("nutcracker found no free port:\n" + self.log_text())

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(scaled(5))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(scaled(5))


@pytest.fixture
def proxy(backends, tmp_path):
    """nutcracker(hash, weights) -> a started Nutcracker; backends flushed."""
    started = []

    def start(hash_name, weights):
        for s in backends:
            with s.client() as c:
                c.call(b"flush_all\r\n", b"OK\r\n")
        started.append(Nutcracker(tmp_path, backends, weights, hash_name))
        return started[-1]

    try:
        yield start
    finally:
        for n in started:
            n.stop()


def set_through(addr, keys, batch=200):
    with RawClient(addr) as c:
        for i in range(0, len(keys), batch):
            part = keys[i:i + batch]
            c.send(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(k), k) for k in part))
            c.expect(b"STORED\r\n" * len(part))


def held_by(server, keys):
    """The keys among `keys` that server holds (mg, pipelined)."""
    with server.client() as c:
        c.send(b"".join(b"mg %s\r\n" % k for k in keys) + b"mn\r\n")
        replies = c.recv_until(b"MN\r\n").split(b"\r\n")[:-2]
    assert len(replies) == len(keys) and set(replies) <= {b"HD", b"EN"}, replies[:10]
    return {k for k, r in zip(keys, replies) if r == b"HD"}


def cli(*args, stdin=None):
    out = subprocess.run([CLI, *args], input=stdin, capture_output=True, timeout=scaled(20))
    assert not sanitizer_report(out.stderr.decode(errors="replace")), out.stderr
    return out


def server_list(servers, weights):
    return ",".join("%s:%d" % (s.addr, w) for s, w in zip(servers, weights))


def owners_through(nc, servers, keys):
    set_through(("127.0.0.1", nc.port), keys)
    owner = {}
    for srv in servers:
        for k in held_by(srv, keys):
            assert k not in owner, (k, owner[k], srv.addr)
            owner[k] = srv.addr
    assert len(owner) == len(keys), "keys set through nutcracker are missing"
    return owner


def where(servers, weights, hash_name, keys):
    out = cli("--servers", server_list(servers, weights), "--distribution", "twemproxy",
              "--hash", hash_name, "where", "-", stdin=b"".join(k + b"\n" for k in keys))
    assert out.returncode == 0, out.stderr
    return {k: a.decode() for k, a in (line.rsplit(b" ", 1) for line in out.stdout.splitlines())}


@pytest.mark.mnemo_timeout(30)
@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("hash_name", HASHES)
def test_where_names_nutcrackers_server(backends, proxy, hash_name, weights):
    nc = proxy(hash_name, WEIGHTS[weights])
    owner = owners_through(nc, backends, KEYS)
    if hash_name != "crc32":   # 15 bits: every key lands near the ring's start
        assert len(set(owner.values())) == 3, "nutcracker used fewer than three servers"
    placed = where(backends, WEIGHTS[weights], hash_name, KEYS)
    wrong = [(k, owner[k], placed.get(k)) for k in KEYS if placed.get(k) != owner[k]]
    assert not wrong, "%d of %d keys placed otherwise than nutcracker, e.g. %r" % (
        len(wrong), len(KEYS), wrong[:3])


@pytest.mark.mnemo_timeout(30)
@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("hash_name", HASHES)
def test_keys_libmnemo_sets_are_found_through_nutcracker(backends, proxy, hash_name, weights):
    nc = proxy(hash_name, WEIGHTS[weights])
    keys = random.Random(hash_name + weights).sample(KEYS, REVERSE_KEYS)
    servers = server_list(backends, WEIGHTS[weights])
    for k in keys:
        out = cli("--servers", servers, "--distribution", "twemproxy", "--hash", hash_name,
                  "set", k, b"direct:" + k)
        assert out.returncode == 0, (k, out.stderr)
    with RawClient(("127.0.0.1", nc.port)) as c:
        c.send(b"".join(b"get %s\r\n" % k for k in keys))
        for k in keys:
            c.expect(b"VALUE %s 0 %d\r\ndirect:%s\r\nEND\r\n" % (k, len(k) + 7, k))


def test_cli_distribution_and_hash_errors(backends):
    servers = server_list(backends, (1, 1, 1))
    for args, message in [
            (["--distribution", "maglev"], b"bad --distribution"),
            (["--distribution", "twemproxy", "--hash", "fnv1a_128"], b"bad --hash"),
            (["--distribution", "twemproxy", "--hash", "murmur3"], b"bad --hash"),
            (["--hash", "md5"], b"--hash is for --distribution twemproxy only"),
            (["-m", "--hash", "md5"], b"--hash is for --distribution twemproxy only")]:
        out = cli("--servers", servers, *args, "where", "k")
        assert out.returncode == 2 and out.stderr.startswith(b"mnemo-cli: " ), (args, out)
        assert message in out.stderr and out.stdout == b"", (args, out)
    # -m still means modula, and --distribution modula agrees with it
    keys = b"".join(b"k%d\n" % i for i in range(200))
    modula = cli("--servers", servers, "-m", "where", "-", stdin=keys).stdout
    assert modula == cli("--servers", servers, "--distribution", "modula", "where", "-",
                         stdin=keys).stdout
    ketama = cli("--servers", servers, "where", "-", stdin=keys).stdout
    assert ketama == cli("--servers", servers, "--distribution", "ketama", "where", "-",
                         stdin=keys).stdout
    assert modula != ketama
    # the default hash is nutcracker's: fnv1a_64
    assert (cli("--servers", servers, "--distribution", "twemproxy", "where", "-",
                stdin=keys).stdout ==
            cli("--servers", servers, "--distribution", "twemproxy", "--hash", "fnv1a_64",
                "where", "-", stdin=keys).stdout)


# ---------------------------------------------------------------------------
# servers on given addresses: names without the port, equal points

class FixedServer:
    """A backend on a given host:port (the harness picks free ports only);
    stopped by PID."""

    def __init__(self, host, port, workdir):
        self.host, self.port = host, port
        self.addr = "%s:%d" % (host, port)
        self.proc = subprocess.Popen(
            base_command() + ["-l", host, "-p", str(port), "-U", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(workdir / ("mnemod-%s-%d.stderr" % (host, port)), "wb"))

    def answers(self):
        assert self.proc.poll() is None, "mnemod on %s exited" % self.addr
        try:
            with RawClient((self.host, self.port), timeout=1) as c:
                return c.request(b"version\r\n").startswith(b"VERSION ")
        except (OSError, AssertionError):
            return False

    def client(self):
        return RawClient((self.host, self.port))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(scaled(10))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(scaled(10))


def bindable(host, port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


@pytest.fixture
def fixed_servers(tmp_path):
    """fixed_servers([(host, port), ...]) -> started FixedServers, or None
    when an address is taken."""
    started = []

    def start(addrs):
        if not all(bindable(h, p) for h, p in addrs):
            return None
        for h, p in addrs:
            started.append(FixedServer(h, p, tmp_path))
        for srv in started[-len(addrs):]:
            wait_until(srv.answers, 10, "mnemod on %s" % srv.addr)
        return started[-len(addrs):]

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


@pytest.mark.mnemo_timeout(30)
@pytest.mark.parametrize("hash_name", ["fnv1a_64", "md5", "hsieh"])
def test_port_11211_is_left_out_of_the_names(fixed_servers, tmp_path, hash_name):
    """nutcracker (as libmemcached) names a server on port 11211 by its host
    alone; other loopback addresses let three servers use that port."""
    require_tools()
    addrs = [("127.0.0.2", 11211), ("127.0.0.3", 11211), ("127.0.0.4", 11211)]
    servers = fixed_servers(addrs)
    if servers is None:
        pytest.skip("port 11211 on 127.0.0.2-4 is taken")
    weights = (1, 2, 5)
    nc = Nutcracker(tmp_path, servers, weights, hash_name)
    try:
        keys = KEYS[:500]
        owner = owners_through(nc, servers, keys)
    finally:
        nc.stop()
    placed = where(servers, weights, hash_name, keys)
    wrong = [k for k in keys if placed[k] != owner[k]]
    assert not wrong, "%d of %d keys placed otherwise than nutcracker" % (len(wrong), len(keys))


def md5_points(name):
    out = []
    for j in range(40):   # two servers of equal weight: 40 digests each
        out += struct.unpack("<4I", hashlib.md5(b"%s-%d" % (name, j)).digest())
    return out


# Server pairs on 127.0.0.1 whose continuum points share a value (found by
# search): (listed first, listed second, the shared value).  The second one's
# name comes first in nutcracker's order: shorter, or bytewise smaller.
TIES = {
    "shorter name": [(10012, 9574, 3956731687), (10015, 2377, 3512758101),
                     (10020, 6640, 1628998887), (10042, 5137, 824487045)],
    "smaller name": [(20289, 20074, 3454571510), (20757, 20009, 3624278172),
                     (20824, 20303, 2556456497), (21074, 20323, 3703513302)],
}


@pytest.mark.mnemo_timeout(30)
@pytest.mark.parametrize("kind", sorted(TIES))
def test_equal_points_go_to_nutcrackers_first_name(fixed_servers, tmp_path, kind):
    """Two servers' points with one value: the arc before it belongs to the
    server whose name nutcracker sorts first (length, then bytes), not to the
    first one listed."""
    require_tools()
    for first, second, value in TIES[kind]:
        names = [b"127.0.0.1:%d" % first, b"127.0.0.1:%d" % second]
        assert all(value in md5_points(n) for n in names)
        servers = fixed_servers([("127.0.0.1", first), ("127.0.0.1", second)])
        if servers is not None:
            break
    else:
        pytest.skip("every candidate pair of ports is taken")
    ring = sorted(set(md5_points(names[0]) + md5_points(names[1])))
    prev = ring[ring.index(value) - 1]
    keys = [k for k in (b"tie:%d" % i for i in range(20000))
            if prev < struct.unpack("<I", hashlib.md5(k).digest()[:4])[0] <= value][:5]
    assert keys
    nc = Nutcracker(tmp_path, servers, (1, 1), "md5")
    try:
        owner = owners_through(nc, servers, keys)
    finally:
        nc.stop()
    assert set(owner.values()) == {servers[1].addr}, owner
    assert where(servers, (1, 1), "md5", keys) == owner
