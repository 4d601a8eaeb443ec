"""TLS (-Z, issue 22), as memcached's: -o ssl_chain_cert/ssl_key/ssl_ca_cert/
ssl_verify_mode/ssl_min_version, notls: and mtls: listeners, refresh_certs
and SIGHUP, the ssl_* stats.

Certificates are made by each run with the openssl CLI in a temporary
directory (a CA, a server certificate for 127.0.0.1 and localhost, a second
one to refresh to, a client certificate, and a second CA with a client
certificate of its own); no key is ever committed.  Conversations that
Debian's memcached 1.6.18 (built with TLS) answers sensibly run against it
too, side by side (KINDS).
"""

import os
import signal
import socket
import ssl
import struct
import subprocess
import time
from pathlib import Path

import pytest

from mnemo_harness import (IO_TIMEOUT, IS_MEMCACHED, MEMCACHED_BIN, REPO, START_TIMEOUT, Server,
                           base_command, free_port, make_ca, make_cert, make_sasldb, scaled,
                           wait_until)

pytestmark = pytest.mark.skipif(IS_MEMCACHED, reason="the suite's -Z tests start their own servers")

KINDS = ["mnemod", "memcached"]
# 1.6.45 (make reference) has the mtls:/btls: listener prefixes 1.6.18 lacks
MEMCACHED_NEW = os.environ.get(
    "MEMCACHED_NEW", str(REPO / "build" / "reference" / "memcached-1.6.45" / "memcached"))


# ---- certificates -------------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    make_ca(d, "ca")
    make_ca(d, "ca2")
    make_cert(d, "server", "ca", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    make_cert(d, "server2", "ca", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    make_cert(d, "client", "ca", "client")
    make_cert(d, "other", "ca2", "other")
    for f in d.iterdir():
        f.chmod(0o644)  # memcached runs as the user -u names
    return d


def client_ctx(certs, cert=None, maximum=None):
    ctx = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    if cert is not None:
        ctx.load_cert_chain(str(certs / (cert + ".crt")), str(certs / (cert + ".key")))
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


# ---- servers ------------------------------------------------------------------

class TlsServer(Server):
    """A server with -Z: ready when 'version' answers over TLS.  Its
    certificate and key are copied into its own directory, so a test may
    replace them and refresh."""

    def __init__(self, workdir, certs, flags=(), kind="mnemod", listen=None, ctx=None):
        super().__init__(flags, workdir, name=kind)
        self.kind = kind
        self.certs = certs
        self.listen = listen
        self.ctx = ctx or client_ctx(certs, "client")
        self.cert = self.workdir / "server.crt"
        self.key = self.workdir / "server.key"
        self.cert.write_bytes((certs / "server.crt").read_bytes())
        self.key.write_bytes((certs / "server.key").read_bytes())
        self.key.chmod(0o644)

    def start(self):
        self.port = free_port()
        if self.kind.startswith("memcached"):
            binary = MEMCACHED_NEW if self.kind == "memcached-1.6.45" else MEMCACHED_BIN
            argv = [binary] + (["-u", "root"] if os.geteuid() == 0 else [])
        else:
            argv = base_command()
        listen = self.listen(self.port) if self.listen else self.host
        self.argv = argv + ["-p", str(self.port), "-l", listen, "-U", "0", "-Z", "-o",
                            "ssl_chain_cert=%s,ssl_key=%s" % (self.cert, self.key)] + self.flags
        self._spawn()
        assert self._wait_ready(), "%r did not start:\n%s" % (self.argv, self.stderr_text())
        return self

    def connect_socket(self, timeout=IO_TIMEOUT, ctx=None):
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            return (ctx or self.ctx).wrap_socket(raw, server_hostname="127.0.0.1")
        except (OSError, ssl.SSLError):
            raw.close()
            raise

    def plain_socket(self, port=None, timeout=IO_TIMEOUT):
        return socket.create_connection((self.host, port or self.port), timeout=timeout)


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(certs, flags=(), kind="mnemod", **kw):
        s = TlsServer(tmp_path / ("%s%d" % (kind, len(started))), certs, list(flags), kind, **kw)
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop()
    for s in started:
        if s.kind == "mnemod":
            assert not s.problems(), s.problems()


def talk(sock, request, terminator=b"\r\n"):
    """Send request and read until terminator (bounded by the socket's timeout)."""
    sock.sendall(request)
    buf = bytearray()
    deadline = time.monotonic() + IO_TIMEOUT
    while not buf.endswith(terminator) and time.monotonic() < deadline:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def refused(sock_factory):
    """True when a TLS conversation cannot happen: the handshake fails, or
    (TLS 1.3 sends the server's verdict on the client's certificate after
    the client thinks it is done) the first read fails or finds the end."""
    try:
        with sock_factory() as s:
            s.sendall(b"version\r\n")
            return s.recv(100) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


def closed_by_server(sock):
    """The server closed sock: an end of stream, or a reset when it left
    bytes unread."""
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


def until_closed(sock):
    """What the server sends until it closes sock (bounded by its timeout)."""
    got = b""
    try:
        while len(got) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        pass
    return got


def stat(srv, name):
    with srv.connect_socket() as s:
        lines = talk(s, b"stats\r\n", b"END\r\n").decode().split("\r\n")
    for line in lines:
        parts = line.split(" ")
        if len(parts) == 3 and parts[1] == name:
            return parts[2]
    return None


def settings(srv):
    with srv.connect_socket() as s:
        lines = talk(s, b"stats settings\r\n", b"END\r\n").decode().split("\r\n")
    return dict(l.split(" ", 2)[1:] for l in lines if l.startswith("STAT "))


# ---- conversations ---------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_pymemcache_over_tls(servers, certs, kind):
    from pymemcache.client.base import Client
    srv = servers(certs, kind=kind)
    c = Client((srv.host, srv.port), tls_context=client_ctx(certs), timeout=IO_TIMEOUT)
    try:
        assert c.set("k", b"v" * 100000)
        assert c.get("k") == b"v" * 100000  # several TLS records each way
        assert c.incr("n", 1) is None
        c.set("n", b"41")
        assert c.incr("n", 1) == 42
    finally:
        c.close()


def binary_packet(op, key=b""):
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), 0, 0, 0, len(key), 0x55, 0) + key


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        assert chunk, "closed after %d of %d bytes" % (len(buf), n)
        buf += chunk
    return buf


def read_binary(sock):
    """One binary response: (status, body)."""
    head = recv_exact(sock, 24)
    body = recv_exact(sock, struct.unpack(">I", head[8:12])[0])
    return struct.unpack(">H", head[6:8])[0], body


def conversation(srv):
    """Text, meta and binary over one TLS connection each; the answers."""
    out = []
    with srv.connect_socket() as s:
        out.append(talk(s, b"set a 5 0 3\r\nxyz\r\n"))
        out.append(talk(s, b"get a\r\n", b"END\r\n"))
        out.append(talk(s, b"gets nope\r\n", b"END\r\n"))
        out.append(talk(s, b"incr a 1\r\n"))
        out.append(talk(s, b"delete a\r\n"))
    with srv.connect_socket() as s:
        out.append(talk(s, b"ms m 2 T0\r\nhi\r\n"))
        out.append(talk(s, b"mg m v f\r\n"))
        out.append(talk(s, b"mn\r\n"))
    with srv.connect_socket() as s:
        s.sendall(binary_packet(0x0a))  # noop
        head = b""
        while len(head) < 24:
            chunk = s.recv(24 - len(head))
            assert chunk, "binary noop unanswered"
            head += chunk
        out.append(head[:2] + head[6:8] + head[12:16])  # magic, opcode, status, opaque
    return out


def test_text_meta_binary_same_as_memcached(servers, certs):
    mnemod = conversation(servers(certs))
    memcached = conversation(servers(certs, kind="memcached"))
    assert mnemod == memcached
    assert mnemod[1] == b"VALUE a 5 3\r\nxyz\r\nEND\r\n"
    assert mnemod[5] == b"HD\r\n" and mnemod[6] == b"VA 2 f0\r\nhi\r\n"


def test_openssl_s_client(servers, certs):
    srv = servers(certs)
    proc = subprocess.run(
        ["openssl", "s_client", "-connect", "127.0.0.1:%d" % srv.port, "-quiet", "-CAfile",
         str(certs / "ca.crt"), "-verify_return_error"],
        input=b"set s 0 0 2\r\nok\r\nget s\r\nquit\r\n", capture_output=True,
        timeout=scaled(30))
    assert b"STORED\r\nVALUE s 0 2\r\nok\r\nEND\r\n" in proc.stdout, proc.stderr


@pytest.mark.parametrize("wbuf", ["1", None])
def test_many_pipelined_replies_and_a_large_value(servers, certs, wbuf):
    """Replies larger than ssl_wbuf_size and pipelines of many small ones
    go out whole and in order (writes that would block are retried with the
    same bytes; records sealed in batches go out before anything after
    them), with a 1 KB and with the default 16 KB ssl_wbuf_size."""
    srv = servers(certs, ["-o", "ssl_wbuf_size=1"] if wbuf else [])
    value = bytes(range(256)) * 4000
    small = bytes(range(97, 123)) * 157
    with srv.connect_socket() as s:
        assert talk(s, b"set big 0 0 %d\r\n%s\r\n" % (len(value), value)) == b"STORED\r\n"
        assert talk(s, b"set small 0 0 %d\r\n%s\r\n" % (len(small), small)) == b"STORED\r\n"
        want = b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value), value)
        assert talk(s, b"get big\r\n" * 20, want * 20) == want * 20
        assert talk(s, b"mn\r\n" * 2000, b"MN\r\n" * 2000) == b"MN\r\n" * 2000
        # 4 KB replies between one-line ones: batches start and end mid-pipeline
        ask = b"".join(b"get small\r\nmn\r\n" if i % 3 else b"mn\r\n" for i in range(600))
        one = b"VALUE small 0 %d\r\n%s\r\nEND\r\n" % (len(small), small)
        want = b"".join(one + b"MN\r\n" if i % 3 else b"MN\r\n" for i in range(600))
        assert talk(s, ask, want) == want


# ---- refusals --------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_plain_text_client_on_tls_port_is_closed(servers, certs, kind):
    srv = servers(certs, kind=kind)
    before = int(stat(srv, "ssl_handshake_errors"))
    with srv.plain_socket() as s:
        s.sendall(b"version\r\n")
        assert b"VERSION" not in until_closed(s)  # at most a TLS alert, then the end
    with srv.connect_socket() as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
    if kind == "mnemod":  # memcached 1.6.18 counts only what fails in its accept
        assert wait_until(lambda: int(stat(srv, "ssl_handshake_errors")) == before + 1, 10,
                          "ssl_handshake_errors + 1")


@pytest.mark.parametrize("kind", KINDS)
def test_notls_listener_beside_tls(servers, certs, kind):
    plain_port = free_port()
    srv = servers(certs, kind=kind,
                  listen=lambda p: "127.0.0.1:%d,notls:127.0.0.1:%d" % (p, plain_port))
    with srv.plain_socket(plain_port) as s:
        assert talk(s, b"set p 0 0 1\r\nq\r\n") == b"STORED\r\n"
    with srv.connect_socket() as s:
        assert talk(s, b"get p\r\n", b"END\r\n") == b"VALUE p 0 1\r\nq\r\nEND\r\n"
    # a TLS client on the plain port: its handshake fails, the server goes on
    raw = srv.plain_socket(plain_port)
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        with client_ctx(certs).wrap_socket(raw, server_hostname="127.0.0.1") as t:
            t.sendall(b"version\r\n")
            t.recv(100)
    raw.close()
    with srv.plain_socket(plain_port) as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
    if kind == "mnemod":
        assert stat(srv, "mnemo_tls_on_plain_port") == "1"


def test_one_worker_serves_tls_and_plain_connections_open_together(servers, certs):
    """-t 1: one worker's loop holds TLS connections (epoll readiness) and a
    plain one (io_uring operations) at once, and then TLS ones alone again:
    it waits on the ring while the plain connection has operations in
    flight and in epoll_wait alone otherwise; each request gets its reply
    either way."""
    plain_port = free_port()
    srv = servers(certs, flags=["-t", "1"],
                  listen=lambda p: "127.0.0.1:%d,notls:127.0.0.1:%d" % (p, plain_port))
    with srv.connect_socket() as t1:
        assert talk(t1, b"set a 0 0 1\r\n1\r\n") == b"STORED\r\n"
        with srv.plain_socket(plain_port) as p:
            for i in range(20):
                assert talk(p, b"get a\r\n", b"END\r\n") == b"VALUE a 0 1\r\n1\r\nEND\r\n"
                v = b"%d" % i
                assert talk(p, b"set b 0 0 %d\r\n%s\r\n" % (len(v), v)) == b"STORED\r\n"
                assert talk(t1, b"get b\r\n", b"END\r\n") == \
                    b"VALUE b 0 %d\r\n%s\r\nEND\r\n" % (len(v), v)
        # the plain connection gone: TLS alone on the worker again
        assert talk(t1, b"get a\r\n", b"END\r\n") == b"VALUE a 0 1\r\n1\r\nEND\r\n"
        with srv.connect_socket() as t2:
            assert talk(t2, b"get b\r\n", b"END\r\n") == b"VALUE b 0 2\r\n19\r\nEND\r\n"


def test_tls_client_on_a_server_without_tls(server_factory, certs):
    """The mix-up a counter is for: a client set up for TLS against a plain
    server.  It gets memcached's ERROR (its TLS library says "wrong version
    number"), the connection closes at once, the count goes up, and the
    server and its other clients go on."""
    srv = server_factory("-v")
    with srv.client() as c:
        c.call(b"set k 0 0 1\r\nv\r\n", b"STORED\r\n")
    for n in (1, 2):
        raw = socket.create_connection((srv.host, srv.port), timeout=IO_TIMEOUT)
        with pytest.raises(ssl.SSLError, match="WRONG_VERSION_NUMBER"):
            client_ctx(certs).wrap_socket(raw, server_hostname="127.0.0.1")
        raw.close()
        with srv.client() as c:
            assert c.stats()["mnemo_tls_on_plain_port"] == str(n)
    # the rest of a ClientHello is never answered line by line: one ERROR, then the end
    with socket.create_connection((srv.host, srv.port), timeout=IO_TIMEOUT) as s:
        s.sendall(b"\x16\x03\x01\x00\x05hello\r\nversion\r\nget k\r\n")
        assert until_closed(s) == b"ERROR\r\n"
    with srv.client() as c:
        c.call(b"get k\r\n", b"VALUE k 0 1\r\nv\r\nEND\r\n")
    assert wait_until(lambda: "a TLS handshake on a plain-text listener" in srv.stderr_text(),
                      10, "the -v line")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["2", "3"])
def test_client_certificates_required(servers, certs, kind, mode):
    srv = servers(certs, ["-o", "ssl_verify_mode=%s,ssl_ca_cert=%s" % (mode, certs / "ca.crt")],
                  kind=kind)
    assert refused(lambda: srv.connect_socket(ctx=client_ctx(certs)))
    assert refused(lambda: srv.connect_socket(ctx=client_ctx(certs, "other")))
    with srv.connect_socket(ctx=client_ctx(certs, "client")) as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
    if kind == "mnemod":
        assert wait_until(lambda: int(stat(srv, "ssl_handshake_errors")) >= 2, 10,
                          "two handshake errors")


@pytest.mark.parametrize("kind", ["mnemod", "memcached-1.6.45"])
def test_mtls_listener_requires_a_certificate(servers, certs, kind):
    """1.6.45's mtls: prefix: this listener requires a client certificate
    while the default one asks for none."""
    if kind != "mnemod" and not os.access(MEMCACHED_NEW, os.X_OK):
        pytest.skip("memcached 1.6.45 not built (make reference, or MEMCACHED_NEW)")
    peer_port = free_port()
    srv = servers(certs, ["-o", "ssl_ca_cert=%s" % (certs / "ca.crt")], kind=kind,
                  listen=lambda p: "127.0.0.1:%d,mtls:127.0.0.1:%d" % (p, peer_port))
    with srv.connect_socket(ctx=client_ctx(certs)) as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")

    def on_peer_port(ctx):
        raw = socket.create_connection((srv.host, peer_port), timeout=IO_TIMEOUT)
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    assert refused(lambda: on_peer_port(client_ctx(certs)))
    with on_peer_port(client_ctx(certs, "client")) as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")


@pytest.mark.parametrize("kind", KINDS)
def test_min_version_refuses_older(servers, certs, kind):
    srv = servers(certs, ["-o", "ssl_min_version=3"], kind=kind)
    before = int(stat(srv, "ssl_handshake_errors"))
    assert refused(lambda: srv.connect_socket(
        ctx=client_ctx(certs, maximum=ssl.TLSVersion.TLSv1_2)))
    if kind == "mnemod":
        assert wait_until(lambda: int(stat(srv, "ssl_handshake_errors")) == before + 1, 10,
                          "the refused version counted")
    with srv.connect_socket() as s:
        assert s.version() == "TLSv1.3"
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
    assert settings(srv)["ssl_min_version"] == "tlsv1.3"


@pytest.mark.parametrize("kind", KINDS)
def test_garbage_after_the_handshake_is_a_protocol_error(servers, certs, kind):
    """A record that does not decrypt (a forged one, written under the TLS
    layer): the connection is closed; mnemod counts ssl_proto_errors
    (1.6.45's name; 1.6.18 has no such line)."""
    srv = servers(certs, kind=kind)
    with srv.connect_socket() as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
        raw = socket.socket(fileno=os.dup(s.fileno()))
        raw.settimeout(IO_TIMEOUT)
        raw.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 0x20)  # application data, bad MAC
        assert b"VERSION" not in until_closed(raw)
        raw.close()
    with srv.connect_socket() as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
    if kind == "mnemod":
        assert stat(srv, "ssl_proto_errors") == "1"
        assert stat(srv, "ssl_handshake_errors") == "0"


def test_stalled_handshake_is_bounded_and_blocks_nobody(servers, certs):
    """One worker: a client that opens a TLS connection and never says
    hello does not stop it serving others, and is closed at the deadline."""
    srv = servers(certs, ["-t", "1", "-o", "ssl_handshake_timeout=1"])
    before = int(stat(srv, "ssl_handshake_errors"))
    stalled = srv.plain_socket(timeout=scaled(15))
    half = srv.plain_socket(timeout=scaled(15))
    half.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, no more
    with srv.connect_socket() as s:
        assert talk(s, b"version\r\n").startswith(b"VERSION ")
    for sock in (stalled, half):
        assert closed_by_server(sock)  # within the deadline
        sock.close()
    assert int(stat(srv, "ssl_handshake_errors")) == before + 2


def test_stop_with_handshakes_and_sessions_open(servers, certs):
    """SIGTERM while one client is mid-handshake and another has a session:
    a clean exit (under the sanitizers: nothing leaked or freed twice)."""
    srv = servers(certs)
    stalled = srv.plain_socket()
    stalled.sendall(b"\x16\x03\x01")
    with srv.connect_socket() as s:
        assert talk(s, b"set k 0 0 1\r\nv\r\n") == b"STORED\r\n"
        assert srv.stop() == 0
    stalled.close()
    assert not srv.problems(), srv.problems()


# ---- refresh_certs and SIGHUP ----------------------------------------------------

def peer_cert(srv):
    with srv.connect_socket() as s:
        return s.getpeercert(binary_form=True)


@pytest.mark.parametrize("kind", KINDS)
def test_refresh_certs(servers, certs, kind):
    srv = servers(certs, kind=kind)
    first = peer_cert(srv)
    with srv.connect_socket() as kept:
        assert talk(kept, b"set r 0 0 1\r\n1\r\n") == b"STORED\r\n"
        srv.cert.write_bytes((certs / "server2.crt").read_bytes())
        srv.key.write_bytes((certs / "server2.key").read_bytes())
        assert talk(kept, b"refresh_certs\r\n") == b"OK\r\n"
        second = peer_cert(srv)
        assert second != first and second == ssl.PEM_cert_to_DER_cert(
            (certs / "server2.crt").read_text())
        # the open connection keeps working on the session it has
        assert talk(kept, b"get r\r\n", b"END\r\n") == b"VALUE r 0 1\r\n1\r\nEND\r\n"
    if kind == "mnemod":
        assert int(stat(srv, "time_since_server_cert_refresh")) <= 2


def test_failed_refresh_keeps_the_old_certificate(servers, certs):
    srv = servers(certs)
    first = peer_cert(srv)
    srv.key.write_text("not a key\n")
    with srv.connect_socket() as s:
        reply = talk(s, b"refresh_certs\r\n")
    assert reply.startswith(b"SERVER_ERROR ") and b"key" in reply, reply
    assert peer_cert(srv) == first
    srv.key.write_bytes((certs / "server2.key").read_bytes())  # a key of another certificate
    with srv.connect_socket() as s:
        assert b"does not match" in talk(s, b"refresh_certs\r\n")
    assert peer_cert(srv) == first


def test_sighup_reloads_the_certificate(servers, certs):
    srv = servers(certs)
    first = peer_cert(srv)
    kept = srv.connect_socket()
    srv.cert.write_bytes((certs / "server2.crt").read_bytes())
    srv.key.write_bytes((certs / "server2.key").read_bytes())
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: peer_cert(srv) != first, 10, "the new certificate")
    assert talk(kept, b"version\r\n").startswith(b"VERSION ")
    kept.close()
    # a reload that fails is logged; the certificate stays
    srv.key.write_text("broken\n")
    srv.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "the old certificate stays" in srv.stderr_text(), 10,
                      "the failed reload's log line")
    assert peer_cert(srv) != first


# ---- authentication over TLS, settings, bad starts ---------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_ascii_auth_over_tls(servers, certs, kind, tmp_path):
    auth = tmp_path / "auth"
    auth.write_text("alice:secret\n")
    srv = TlsServer(tmp_path / kind, certs, ["-Y", str(auth)], kind)
    srv.ready_reply = b"CLIENT_ERROR unauthenticated"
    try:
        srv.start()
        with srv.connect_socket() as s:
            assert talk(s, b"get x\r\n") == b"CLIENT_ERROR unauthenticated\r\n"
            assert talk(s, b"set a 0 0 12\r\nalice secret\r\n") == b"STORED\r\n"
            assert talk(s, b"version\r\n").startswith(b"VERSION ")
    finally:
        srv.stop()
    assert kind != "mnemod" or not srv.problems(), srv.problems()


@pytest.mark.parametrize("kind", KINDS)
def test_sasl_over_tls(servers, certs, tmp_path, kind):
    srv = TlsServer(tmp_path / "sasl", certs, ["-S"], kind)
    srv.env = dict(os.environ, **make_sasldb(tmp_path / "saslconf"))  # one sasldb for both

    def spawn():
        with open(srv.stderr_path, "ab") as err:
            srv.proc = subprocess.Popen(srv.argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=err, env=srv.env)

    def ready():
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and srv.proc.poll() is None:
            try:
                with srv.connect_socket(timeout=1.0) as s:
                    s.sendall(binary_packet(0x0b))  # version
                    if len(s.recv(24)) > 0:
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    srv._spawn, srv._wait_ready = spawn, ready
    try:
        srv.start()
        body = b"\0alice\0secret"
        mech = b"PLAIN"
        with srv.connect_socket() as s:
            s.sendall(binary_packet(0x00, b"k"))  # get before authenticating
            assert read_binary(s)[0] == 0x20  # auth error (memcached then closes)
        with srv.connect_socket() as s:
            s.sendall(struct.pack(">BBHBBHIIQ", 0x80, 0x21, len(mech), 0, 0, 0,
                                  len(mech) + len(body), 1, 0) + mech + body)
            assert read_binary(s) == (0, b"Authenticated")
            s.sendall(binary_packet(0x00, b"k"))
            assert read_binary(s)[0] == 0x01  # not found: served
    finally:
        srv.stop()
    assert kind != "mnemod" or not srv.problems(), srv.problems()


def test_stats_settings_as_memcached(servers, certs):
    flags = ["-o", "ssl_verify_mode=1,ssl_ca_cert=%s,ssl_session_cache" % (certs / "ca.crt")]
    mine = settings(servers(certs, flags))
    theirs = settings(servers(certs, flags, kind="memcached"))
    for name in ("ssl_chain_cert", "ssl_key"):  # each server has copies of its own
        assert Path(mine[name]).name == Path(theirs[name]).name, name
    for name in ("ssl_enabled", "ssl_ca_cert", "ssl_verify_mode", "ssl_keyformat", "ssl_ciphers",
                 "ssl_wbuf_size", "ssl_session_cache", "ssl_kernel_tls", "ssl_min_version"):
        assert mine[name] == theirs[name], name
    assert mine["ssl_verify_mode"] == "1" and mine["ssl_session_cache"] == "yes"


def test_session_cache_counts_new_sessions(servers, certs):
    srv = servers(certs, ["-o", "ssl_session_cache"])
    before = int(stat(srv, "ssl_new_sessions"))
    with srv.connect_socket() as s:
        talk(s, b"version\r\n")
    assert wait_until(lambda: int(stat(srv, "ssl_new_sessions")) > before, 10, "a new session")


def test_metrics_endpoint_counts_handshake_errors(servers, certs):
    import urllib.request
    mport = free_port()
    srv = servers(certs, ["-o", "metrics_port=%d" % mport])

    def scrape():
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mport,
                                    timeout=IO_TIMEOUT) as r:
            lines = r.read().decode().splitlines()
        return dict(l.rsplit(" ", 1) for l in lines if l and not l.startswith("#"))

    assert scrape()["memcached_ssl_handshake_errors_total"] == "0"
    with srv.plain_socket() as s:
        s.sendall(b"version\r\n")
        assert closed_by_server(s)
    assert wait_until(lambda: scrape()["memcached_ssl_handshake_errors_total"] == "1", 10,
                      "the handshake error on the metrics endpoint")
    assert "memcached_time_since_server_cert_refresh_seconds" in scrape()


def start_fails(certs, tmp_path, *args):
    argv = base_command() + ["-p", str(free_port()), "-l", "127.0.0.1"] + list(args)
    proc = subprocess.run(argv, capture_output=True, timeout=START_TIMEOUT, cwd=tmp_path)
    assert proc.returncode != 0, argv
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_bad_combinations_stop_at_start(certs, tmp_path):
    cert, key = certs / "server.crt", certs / "server.key"
    assert "ssl_chain_cert" in start_fails(certs, tmp_path, "-U", "0", "-Z")
    assert "UDP" in start_fails(certs, tmp_path, "-Z", "-U", "1234", "-o",
                                "ssl_chain_cert=%s,ssl_key=%s" % (cert, key))
    assert "does not match" in start_fails(
        certs, tmp_path, "-U", "0", "-Z", "-o",
        "ssl_chain_cert=%s,ssl_key=%s" % (cert, certs / "client.key"))
    assert "No such file" in start_fails(certs, tmp_path, "-U", "0", "-Z", "-o",
                                         "ssl_chain_cert=%s,ssl_key=/nonexistent" % cert)
    assert "ENGINE" in start_fails(certs, tmp_path, "-U", "0", "-Z", "-o",
                                   "ssl_chain_cert=%s,ssl_keyformat=ENGINE" % cert)
    assert "ssl_ca_cert" in start_fails(certs, tmp_path, "-U", "0", "-Z", "-o",
                                        "ssl_chain_cert=%s,ssl_key=%s,ssl_verify_mode=2"
                                        % (cert, key))
    assert "ssl_ciphers" in start_fails(certs, tmp_path, "-U", "0", "-Z", "-o",
                                        "ssl_chain_cert=%s,ssl_key=%s,ssl_ciphers=NOPE"
                                        % (cert, key))
    assert "-Z" in start_fails(certs, tmp_path, "-U", "0", "-o", "ssl_key=%s" % key)
    assert "notls" in start_fails(certs, tmp_path, "-U", "0", "-l", "notls:127.0.0.1")
