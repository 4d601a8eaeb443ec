"""TLS from the client side (issue 22): libmnemo, mnemo-cli and mnemo-bench
against Debian's memcached 1.6.18 started with -Z, whatever server the
suite runs against (mnemod's own TLS is tested with mnemod).

The certificates are made by the test with the openssl CLI in a temporary
directory, never kept: two CAs, a server certificate of the first for
127.0.0.1 and localhost (subjectAltName), one of the second for the same
names, a client certificate of the first.
"""

import json
import os
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from mnemo_harness import (IO_TIMEOUT, MEMCACHED_BIN, REPO, START_TIMEOUT, Server, free_port,
                           make_ca, make_cert, scaled, wait_until)

BUILD = Path(os.environ.get("MNEMO_BUILD_DIR", REPO / "build"))
CLI = BUILD / "mnemo-cli"
BENCH = BUILD / "mnemo-bench"
DRIVER = BUILD / "tests" / "client_driver"

pytestmark = [
    pytest.mark.skipif(not os.access(MEMCACHED_BIN, os.X_OK), reason="needs %s" % MEMCACHED_BIN),
]

# A failure must come within the client's timeouts (mnemo-cli's -T, 1 s by
# default), never at the end of a hang: this bounds the whole command.
FAST = 5.0


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    make_ca(d, "ca")
    make_ca(d, "otherca")
    san = "subjectAltName=IP:127.0.0.1,DNS:localhost"
    make_cert(d, "server", "ca", ext=san)
    make_cert(d, "stranger", "otherca", ext=san)
    make_cert(d, "client", "ca", ext="extendedKeyUsage=clientAuth")
    return d


class TlsMemcached(Server):
    """memcached -Z with a certificate; ready once it answers 'version'
    over TLS (no verification: the probe only waits for it)."""

    def __init__(self, workdir, pki, cert, flags=(), tls=True, name="mc"):
        extra = ["-Z", "-o", "ssl_chain_cert=%s,ssl_key=%s" % (pki / (cert + ".crt"),
                                                             pki / (cert + ".key"))]
        super().__init__((extra if tls else []) + list(flags) + ["-m", "64"], workdir, name=name)
        self.tls = tls
        self.pki = pki

    def start(self, port=None):
        self.port = port or free_port()
        self.argv = [MEMCACHED_BIN, "-p", str(self.port), "-l", self.host, "-U", "0"] + self.flags
        if os.geteuid() == 0:
            self.argv += ["-u", "root"]
        self._spawn()
        assert self._wait_ready(), "%r did not start:\n%s" % (self.argv, self.stderr_text())
        return self

    def connect_socket(self, timeout=IO_TIMEOUT):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        if not self.tls:
            return s
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # for servers that want one (ssl_verify_mode=2); the others ignore it
        ctx.load_cert_chain(self.pki / "client.crt", self.pki / "client.key")
        return ctx.wrap_socket(s)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with self.connect_socket(timeout=1.0) as s:
                    s.sendall(b"version\r\n")
                    # -Y answers an unauthenticated version with an error
                    if s.recv(64).startswith((b"VERSION ", b"CLIENT_ERROR ")):
                        return True
            except (OSError, ssl.SSLError):
                pass
            time.sleep(0.02)
        return False

    def count(self, key):
        """1 if this server holds key (asked over TLS), else 0."""
        with self.connect_socket() as s:
            s.sendall(b"mg %s v\r\n" % key.encode())
            return 1 if s.recv(4096).startswith(b"VA ") else 0


@pytest.fixture
def servers(tmp_path, pki):
    made = []

    def make(cert="server", flags=(), tls=True, port=None):
        s = TlsMemcached(tmp_path / ("mc%d" % len(made)), pki, cert, flags=flags, tls=tls,
                         name="mc%d" % len(made))
        made.append(s)
        return s.start(port=port)

    yield make
    for s in made:
        s.stop()


@pytest.fixture(scope="module", autouse=True)
def binaries():
    for p in (CLI, DRIVER):
        if not p.exists():
            pytest.skip("%s not built (set MNEMO_BUILD_DIR)" % p)


def cli(spec, *args, stdin=None):
    """mnemo-cli -s spec args..., bounded: a hang fails the test."""
    start = time.monotonic()
    p = subprocess.run([str(CLI), "-s", spec] + [str(a) for a in args], input=stdin,
                       capture_output=True, timeout=scaled(30))
    p.seconds = time.monotonic() - start
    assert b"Sanitizer" not in p.stderr and b"runtime error:" not in p.stderr, p.stderr
    return p


def one_line(p):
    """The single stderr line of a failed command, as text."""
    text = p.stderr.decode()
    assert p.returncode == 2 and text.count("\n") == 1, (p.returncode, text)
    return text


def ca(pki, name="ca"):
    return ["--tls-ca", pki / (name + ".crt")]


def test_commands_over_tls(servers, pki):
    s = servers()
    t = ca(pki)
    assert cli(s.addr, *t, "set", "k", "hello").stdout == b"STORED\n"
    assert cli(s.addr, *t, "get", "k").stdout == b"hello"
    assert cli(s.addr, *t, "add", "k", "x").returncode == 1
    assert cli(s.addr, *t, "set", "n", "41").returncode == 0
    assert cli(s.addr, *t, "incr", "n").stdout == b"42\n"
    assert cli(s.addr, *t, "decr", "n", "2").stdout == b"40\n"
    assert cli(s.addr, *t, "set", "big", "-", stdin=b"v" * 300000).returncode == 0
    assert cli(s.addr, *t, "get", "big").stdout == b"v" * 300000
    got = cli(s.addr, *t, "get", "k", "n", "missing")
    assert got.returncode == 1 and got.stdout == b"VALUE k 0 5\nhello\nVALUE n 0 2\n40\n"
    assert cli(s.addr, *t, "delete", "k").stdout == b"DELETED\n"
    assert cli(s.addr, *t, "get", "k").returncode == 1
    assert cli(s.addr, *t, "version").stdout.startswith(("%s 1." % s.addr).encode())
    stats = cli(s.addr, *t, "stats").stdout.decode()
    assert "%s ssl_handshake_errors 0" % s.addr in stats


def driver(spec, *args, env=None, stdin=None):
    e = dict(os.environ, **(env or {}))
    p = subprocess.run([str(DRIVER), spec] + [str(a) for a in args], capture_output=True,
                       text=True, timeout=scaled(60), env=e, input=stdin)
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    return p


def tls_env(pki, **more):
    env = {"DRIVER_TLS": "1", "DRIVER_TLS_CA": str(pki / "ca.crt")}
    env.update(more)
    return env


def test_blocking_calls_gets_cas_and_pipelines_over_tls(servers, pki):
    """Every blocking call (gets, cas, gat, touch, ...), then pipelined
    async requests and a multi-get on two servers."""
    a, b = servers(), servers()
    p = driver(a.addr, "ops", env=tls_env(pki))
    assert p.returncode == 0, p.stdout + p.stderr
    spec = "%s,%s" % (a.addr, b.addr)
    p = driver(spec, "async", 3000, env=tls_env(pki))
    assert p.returncode == 0, p.stdout + p.stderr
    p = driver(spec, "setmany", "tk", 500, env=tls_env(pki))
    assert p.returncode == 0, p.stdout + p.stderr
    p = driver(spec, "mget", "tk", 500, env=tls_env(pki))
    assert p.returncode == 0, p.stdout + p.stderr
    assert a.count("tk1") + b.count("tk1") == 1


def test_a_pool_of_two_tls_servers_places_keys_by_ketama(servers, pki):
    a, b = servers(), servers()
    spec = "%s,%s" % (a.addr, b.addr)
    keys = ["key%d" % i for i in range(40)]
    where = cli(spec, "where", *keys).stdout.decode().split("\n")
    owner = dict(line.split() for line in where if line)
    for k in keys:
        assert cli(spec, *ca(pki), "set", k, "v" + k).returncode == 0
    for k in keys:
        assert cli(spec, *ca(pki), "get", k).stdout == ("v" + k).encode()
        held = {a.addr: a.count(k), b.addr: b.count(k)}
        assert held[owner[k]] == 1 and sum(held.values()) == 1, (k, held)
    assert {owner[k] for k in keys} == {a.addr, b.addr}


def test_a_certificate_of_another_ca_is_refused(servers, pki):
    s = servers(cert="stranger")
    p = cli(s.addr, *ca(pki), "get", "k")
    assert "server certificate refused" in one_line(p)
    assert "unable to get local issuer certificate" in p.stderr.decode()
    assert p.seconds < FAST
    # the right CA takes it; --tls-no-verify takes anything
    assert cli(s.addr, *ca(pki, "otherca"), "set", "k", "v").returncode == 0
    assert cli(s.addr, "--tls-no-verify", "get", "k").stdout == b"v"
    # no CA given: the system's, which do not know this one
    p = cli(s.addr, "--tls", "get", "k")
    assert "server certificate refused" in one_line(p)


def test_the_server_name_is_checked(servers, pki):
    s = servers()
    p = cli(s.addr, *ca(pki), "--tls-server-name", "other.example", "get", "k")
    assert "hostname mismatch" in one_line(p)
    assert cli(s.addr, *ca(pki), "--tls-server-name", "localhost", "set", "k", "v").returncode == 0
    # by default the host as written: a name, sent as SNI and checked
    assert cli("localhost:%d" % s.port, *ca(pki), "get", "k").stdout == b"v"


def test_mutual_tls(servers, pki):
    s = servers(flags=["-o", "ssl_verify_mode=2,ssl_ca_cert=%s" % (pki / "ca.crt")])
    p = cli(s.addr, *ca(pki), "get", "k")
    assert "TLS" in one_line(p) and p.seconds < FAST
    assert "certificate" in p.stderr.decode()
    mtls = ca(pki) + ["--tls-cert", pki / "client.crt", "--tls-key", pki / "client.key"]
    assert cli(s.addr, *mtls, "set", "k", "v").returncode == 0
    assert cli(s.addr, *mtls, "get", "k").stdout == b"v"
    # a client certificate the server's CA did not sign
    other = ca(pki) + ["--tls-cert", pki / "stranger.crt", "--tls-key", pki / "stranger.key"]
    assert "TLS" in one_line(cli(s.addr, *other, "get", "k"))


def test_a_plain_client_to_a_tls_server_fails_fast(servers, pki):
    s = servers()
    p = cli(s.addr, "get", "k")
    assert "does it want TLS?" in one_line(p)
    assert p.seconds < FAST


def test_a_tls_client_to_a_plain_server_fails_fast(servers, pki):
    s = servers(tls=False)
    p = cli(s.addr, *ca(pki), "get", "k")
    assert "does not speak TLS" in one_line(p)
    assert p.seconds < FAST


def test_a_silent_server_bounds_the_handshake(pki):
    """A listener that never answers the hello: the connect timeout ends
    the handshake."""
    with socket.socket() as lst:
        lst.bind(("127.0.0.1", 0))
        lst.listen(4)
        p = cli("127.0.0.1:%d" % lst.getsockname()[1], *ca(pki), "-T", "300", "get", "k")
    assert "no TLS handshake within 300 ms" in one_line(p)
    assert p.seconds < FAST


@pytest.mark.parametrize("args, message", [
    (["--tls-ca", "/nonexistent/ca.crt"], "cannot load the CA file /nonexistent/ca.crt"),
    (["--tls-ca", "{pki}/server.key"], "cannot load the CA file"),
    (["--tls-cert", "{pki}/client.crt", "--tls-key", "{pki}/server.key"], "does not match"),
    (["--tls-key", "{pki}/client.key"], "without its certificate"),
    (["--tls-cert", "/nonexistent/c.crt"], "cannot load the certificate"),
])
def test_bad_files_exit_2_with_one_line(pki, args, message):
    args = [a.format(pki=pki) for a in args]
    p = cli("127.0.0.1:1", *args, "get", "k")
    assert message in one_line(p)
    p = cli("127.0.0.1:1", *args, "compare", "127.0.0.1:1", "127.0.0.1:2")
    assert message in one_line(p)


def test_reconnect_handshakes_again_and_logs_in(servers, pki, tmp_path):
    """-Y with -Z: the auth set goes after the handshake; the server goes
    and comes back on its port, and the client handshakes and logs in again."""
    users = tmp_path / "users"
    users.write_text("alice:secret\n")
    s = servers(flags=["-Y", str(users)])
    env = tls_env(pki, DRIVER_AUTH_USER="alice", DRIVER_AUTH_PASSWORD="secret")
    d = subprocess.Popen([str(DRIVER), s.addr, "repl", "300"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, env=dict(os.environ, **env))
    try:
        def ask(line):
            d.stdin.write(line + "\n")
            d.stdin.flush()
            return json.loads(d.stdout.readline())
        assert json.loads(d.stdout.readline())["ready"]
        assert ask("set a 1")["rc"] == 0
        s.stop()
        s.start(port=s.port)
        wait_until(lambda: ask("set b 2")["rc"] == 0, 20, "the client to reconnect and log in")
        assert ask("get b") == {"rc": 0, "status": "success", "value": "2"}
        d.stdin.write("quit\n")
        d.stdin.flush()
        assert d.wait(timeout=scaled(10)) == 0
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()
    creds = tmp_path / "creds"
    creds.write_text("alice:secret\n")
    assert cli(s.addr, *ca(pki), "--auth-file", creds, "get", "b").stdout == b"2"
    creds.write_text("alice:wrong\n")
    p = cli(s.addr, *ca(pki), "--auth-file", creds, "get", "b")
    assert "authentication failed" in one_line(p)


def test_top_hot_keys_watch_over_tls(servers, pki):
    """top --hot-keys dials its own watch connections: TLS there too."""
    s = servers()
    assert cli(s.addr, *ca(pki), "set", "hot", "v").returncode == 0
    top = subprocess.Popen([str(CLI), "-s", s.addr] + [str(a) for a in ca(pki)] +
                           ["top", "--once", "--hot-keys", "--interval", "2000", "--sample", "2000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # fetch until the window closes: the watch sees them if it is up
        deadline = time.monotonic() + scaled(20)
        while top.poll() is None:
            assert time.monotonic() < deadline, "top did not end"
            cli(s.addr, *ca(pki), "get", "hot")
        out, err = top.communicate(timeout=scaled(10))
    finally:
        if top.poll() is None:
            top.kill()
            top.wait()
    assert top.returncode == 0, err
    assert b"\nhot " in out or b" hot " in out, out


def bench(*args):
    start = time.monotonic()
    p = subprocess.run([str(BENCH)] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=scaled(60))
    p.seconds = time.monotonic() - start
    assert "Sanitizer" not in p.stderr and "runtime error:" not in p.stderr, p.stderr
    return p


@pytest.mark.parametrize("protocol, load", [
    ("text", ["--ratio", "9:1", "-P", "8", "--preload"]),
    # deep pipelines of sets: each TLS record ends with a request, or
    # memcached -Z leaves the tail of one unread and the run stalls
    ("text", ["--ratio", "0:1", "-P", "64"]),
    ("meta", ["--ratio", "1:1", "-P", "16"]),
])
def test_bench_runs_a_bounded_load_over_tls(servers, pki, protocol, load):
    if not BENCH.exists():
        pytest.skip("%s not built" % BENCH)
    a, b = servers(), servers()
    p = bench("-s", "%s,%s" % (a.addr, b.addr), *ca(pki), "--protocol", protocol, "-t", "2",
              "-c", "2", "-n", "20000", "--keys", "1000", "--value-size", "10-3000", "--json",
              "-q", *load)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    out = json.loads(p.stdout)
    assert out["ops"] == 20000 and out["errors"] == 0, out


def test_bench_refuses_what_tls_refuses(servers, pki):
    if not BENCH.exists():
        pytest.skip("%s not built" % BENCH)
    s = servers(cert="stranger")
    p = bench("-s", s.addr, *ca(pki), "-n", "10", "-q")
    assert p.returncode != 0 and "server certificate refused" in p.stderr, p.stderr
    p = bench("-s", s.addr, "--tls-ca", "/nonexistent/ca.crt", "-n", "10", "-q")
    assert p.returncode != 0 and "cannot load the CA file" in p.stderr, p.stderr
    plain = servers(tls=False)
    p = bench("-s", plain.addr, *ca(pki), "-n", "10", "-q")
    assert p.returncode != 0 and "does not speak TLS" in p.stderr and p.seconds < FAST
    m = servers(flags=["-o", "ssl_verify_mode=2,ssl_ca_cert=%s" % (pki / "ca.crt")])
    p = bench("-s", m.addr, *ca(pki), "--tls-cert", pki / "client.crt", "--tls-key",
              pki / "client.key", "-n", "200", "--json", "-q")
    assert p.returncode == 0 and json.loads(p.stdout)["errors"] == 0, p.stderr


class Repl:
    """client_driver's repl mode over TLS: rounds of pipelined gets (misses
    set again), each answered with a JSON line."""

    def __init__(self, spec, pki, retry_ms):
        self.p = subprocess.Popen([str(DRIVER), spec, "repl", str(retry_ms)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, **tls_env(pki)))
        assert json.loads(self.p.stdout.readline())["ready"]

    def round(self, prefix, n):
        self.p.stdin.write("round %s %d\n" % (prefix, n))
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            try:
                self.p.wait(timeout=scaled(10))
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        assert "Sanitizer" not in self.p.stderr.read()


def test_failover_over_tls_ejects_a_server_whose_certificate_is_refused(servers, pki):
    """A server of the pool comes back with a certificate of another CA: its
    keys fail with MNEMO_ETLS until it is ejected and they move on; back with
    the right one, it gets its keys again after the retry interval."""
    a, victim, c = servers(), servers(), servers()
    n = 300
    # the rounds up to the ejection's third must fit in the retry interval
    repl = Repl("%s,%s,%s" % (a.addr, victim.addr, c.addr), pki, int(scaled(1000)))
    try:
        assert repl.round("fo:", n)["set_ok"] == n
        owned = repl.round("fo:", n)["by_server"][victim.addr]
        assert owned > 0
        victim.stop()
        stranger = servers(cert="stranger", port=victim.port)
        rounds = [repl.round("fo:", n) for _ in range(2)]
        for r in rounds:
            assert r["err"] == owned and r["ok"] == n - owned and r["wrong"] == 0, r
            assert len(r["errors"]) == 1 and next(iter(r["errors"])).startswith("TLS failure"), r
        assert rounds[-1]["ejected"] == [victim.addr]
        r = repl.round("fo:", n)
        assert r["err"] == 0 and r["miss"] == owned and r["by_server"][victim.addr] == 0, r
        stranger.stop()
        back = servers(port=victim.port)
        deadline = time.monotonic() + scaled(20)
        while True:  # each round is a try: the retry interval ends on its own
            r = repl.round("fo:", n)
            assert r["wrong"] == 0 and r["err"] in (0, owned), r
            if r["by_server"][back.addr] == owned and r["err"] == 0:
                break
            assert time.monotonic() < deadline, r
        assert r["ejected"] == [] and repl.round("fo:", n)["ok"] == n
    finally:
        repl.close()

