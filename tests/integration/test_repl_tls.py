"""The replication link over TLS (issue 22): a replica with -o replica_tls
(replica_tls_ca, replica_tls_cert/replica_tls_key, replica_tls_server_name)
follows a primary that serves TLS (-Z), whose feed goes on with the session
the replica's request came on.

Certificates are made by each run with the openssl CLI (mnemo_harness's
helpers), never committed.  Tests wait for the event they need (a link
coming up, an error counted, a line in the log), each wait bounded.
"""

import socket
import subprocess
import time

import pytest

from mnemo_harness import (IS_MEMCACHED, base_command, free_port, make_ca, make_cert, scaled,
                           start_persist, wait_until)
from test_auth import UNAUTH
from test_metrics import scrape, value
from test_replication import assert_same, repl_stats, wait_caught_up
from test_tls import TlsServer

pytestmark = pytest.mark.skipif(IS_MEMCACHED,
                                reason="replication is mnemod's own: memcached has none")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("replcerts")
    make_ca(d, "ca")
    make_ca(d, "ca2")
    make_cert(d, "server", "ca", "localhost",
              "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:primary.test")
    make_cert(d, "replica", "ca", "replica")
    make_cert(d, "client", "ca", "client")  # the tests' own clients (TlsServer)
    make_cert(d, "other", "ca2", "other")
    return d


class AuthTlsServer(TlsServer):
    """-Z and -Y: ready when "version" is refused over TLS (test_auth's way)."""

    ready_reply = UNAUTH


@pytest.fixture
def primaries(tmp_path):
    started = []

    def start(certs, *flags, auth=False):
        s = (AuthTlsServer if auth else TlsServer)(tmp_path / ("primary%d" % len(started)), certs,
                                                   list(flags))
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.stop()
    for s in started:
        assert not s.problems(), s.problems()


def tls_opts(certs, ca="ca", cert=None, name=None):
    opts = ["replica_tls", "replica_tls_ca=%s" % (certs / (ca + ".crt"))]
    if cert is not None:
        opts += ["replica_tls_cert=%s" % (certs / (cert + ".crt")),
                 "replica_tls_key=%s" % (certs / (cert + ".key"))]
    if name is not None:
        opts.append("replica_tls_server_name=%s" % name)
    return opts


def tls_replica(server_factory, certs, primary_port, metrics=False, **kw):
    opts = tls_opts(certs, **kw)
    if primary_port is not None:
        opts.insert(0, "replica_of=127.0.0.1:%d" % primary_port)
    port = free_port() if metrics else None
    if metrics:
        opts.append("metrics_port=%d" % port)
    srv = server_factory("-v", "-o", ",".join(opts))  # -v: the link's warnings
    srv.metrics_port = port
    return srv


def link_errors(srv):
    return int(repl_stats(srv)["link_errors"])


def wait_refused(replica, text, errors=2):
    wait_until(lambda: link_errors(replica) >= errors and text in replica.stderr_text(), 20,
               "the link to be refused (%s) and retried" % text)
    st = repl_stats(replica)
    assert st["primary_link_status"] != "up" and st["full_syncs"] == "0", st


def fill(srv, n, prefix=b"k"):
    with srv.client() as c:
        c.send(b"".join(b"set %s%d %d 0 5 noreply\r\nv%04d\r\n" % (prefix, i, i % 5, i % 10000)
                        for i in range(n)))
        c.call(b"mn\r\n", b"MN\r\n")


def test_full_sync_then_the_stream_over_tls(primaries, server_factory, certs):
    primary = primaries(certs)
    fill(primary, 500)
    replica = tls_replica(server_factory, certs, primary.port, metrics=True)
    wait_caught_up(primary, replica)
    st = repl_stats(replica)
    assert (st["link_tls"], st["full_syncs"], st["partial_syncs"]) == ("yes", "1", "0"), st
    assert_same(primary, replica)
    assert value(scrape(replica), "mnemo_repl_link_tls", primary="127.0.0.1:%d" % primary.port) == 1
    # every kind of change travels: set, delete, touch, flush_all
    with primary.client() as c:
        c.call(b"set new 7 0 3\r\nabc\r\n", b"STORED\r\n")
        c.call(b"delete k1\r\n", b"DELETED\r\n")
        c.call(b"touch k2 1000\r\n", b"TOUCHED\r\n")
    wait_caught_up(primary, replica)
    assert_same(primary, replica)
    with replica.client() as c:
        assert c.request(b"get new k1\r\n", b"END\r\n") == b"VALUE new 7 3\r\nabc\r\nEND\r\n"
    with primary.client() as c:
        c.call(b"flush_all\r\n", b"OK\r\n")
    wait_caught_up(primary, replica)
    assert_same(primary, replica)
    with replica.client() as c:
        assert c.request(b"get new k3\r\n", b"END\r\n") == b"END\r\n"


def test_large_values_over_tls(primaries, server_factory, certs):
    """Values of many TLS records each, in the stream (the feed's writes
    wait for room) and in a second replica's full sync."""
    primary = primaries(certs)
    replica = tls_replica(server_factory, certs, primary.port)
    wait_until(lambda: repl_stats(replica)["primary_link_status"] == "up", 20, "the link up")
    big = bytes(range(256)) * 400  # 100 KB
    with primary.client() as p:
        p.send(b"".join(b"set big%d 0 0 %d noreply\r\n%s\r\n" % (i, len(big), big)
                        for i in range(60)))
        p.call(b"mn\r\n", b"MN\r\n")
    second = tls_replica(server_factory, certs, primary.port)
    wait_caught_up(primary, replica, second)
    assert_same(primary, replica, second)


def test_acks_over_tls(primaries, server_factory, certs):
    """With min_replica_acks a reply waits for the replica's ack, which the
    feed reads through TLS; a value whose last bytes the TLS connection
    reads straight into the item waits too."""
    primary = primaries(certs, "-o", "min_replica_acks=1,min_replica_timeout=%d" %
                        int(scaled(5) * 1000))
    replica = tls_replica(server_factory, certs, primary.port)
    wait_until(lambda: repl_stats(primary)["connected_replicas"] == "1" and
               repl_stats(replica)["primary_link_status"] == "up", 20, "the replica online")
    big = bytes(range(256)) * 80  # 20 KB: more than a TLS record, read into the item
    with primary.client() as p, replica.client() as r:
        for i in range(50):
            p.call(b"set k%d 0 0 2\r\nv%d\r\n" % (i, i % 10), b"STORED\r\n")
            # the reply came: the replica holds it already
            r.call(b"get k%d\r\n" % i, b"VALUE k%d 0 2\r\nv%d\r\nEND\r\n" % (i, i % 10))
        for i in range(20):
            p.call(b"set big%d 0 0 %d\r\n%s\r\n" % (i, len(big), big), b"STORED\r\n")
            r.call(b"get big%d\r\n" % i, b"VALUE big%d 0 %d\r\n%s\r\nEND\r\n" % (i, len(big), big))


def test_replica_restarted_continues_over_tls(primaries, server_factory, certs, tmp_path):
    primary = primaries(certs)
    fill(primary, 300)
    replica = start_persist(server_factory, tmp_path / "r",
                            "replica_of=127.0.0.1:%d" % primary.port, *tls_opts(certs),
                            flags=("-v",))
    wait_caught_up(primary, replica)
    assert replica.stop() == 0
    fill(primary, 200, prefix=b"while_away")
    replica.start()
    wait_caught_up(primary, replica)
    st = repl_stats(replica)
    assert (st["link_tls"], st["full_syncs"], st["partial_syncs"]) == ("yes", "0", "1"), st
    assert_same(primary, replica)


def test_server_name_is_checked(primaries, server_factory, certs):
    primary = primaries(certs)
    fill(primary, 10)
    good = tls_replica(server_factory, certs, primary.port, name="primary.test")
    wait_caught_up(primary, good)
    bad = tls_replica(server_factory, certs, primary.port, name="elsewhere.test")
    wait_refused(bad, "certificate was refused: hostname mismatch")


def test_mutual_tls(primaries, server_factory, certs):
    primary = primaries(certs, "-o", "ssl_verify_mode=2,ssl_ca_cert=%s" % (certs / "ca.crt"))
    fill(primary, 100)
    with_cert = tls_replica(server_factory, certs, primary.port, cert="replica")
    wait_caught_up(primary, with_cert)
    assert_same(primary, with_cert)
    # without a client certificate the primary refuses the link
    without = tls_replica(server_factory, certs, primary.port)
    wait_refused(without, "TLS")
    assert without.stats()["curr_items"] == "0"
    # a certificate of another CA: refused too
    foreign = tls_replica(server_factory, certs, primary.port, cert="other")
    wait_refused(foreign, "TLS")
    # a server started with the right options follows once told to
    later = tls_replica(server_factory, certs, None, cert="replica")
    assert repl_stats(later)["role"] == "primary"
    with later.client() as c:
        c.call(b"replica_of 127.0.0.1:%d\r\n" % primary.port, b"OK\r\n")
    wait_caught_up(primary, later)
    assert_same(primary, later)
    assert repl_stats(later)["link_tls"] == "yes"


def test_wrong_ca_is_refused_and_replica_of_none_stops_it(primaries, server_factory, certs):
    primary = primaries(certs)
    fill(primary, 10)
    replica = tls_replica(server_factory, certs, primary.port, ca="ca2")
    wait_refused(replica, "the server's certificate was refused")
    with replica.client() as c:
        t0 = time.monotonic()
        c.call(b"replica_of none\r\n", b"OK\r\n")
        assert time.monotonic() - t0 < scaled(1.5)
        c.call(b"set mine 0 0 1\r\nm\r\n", b"STORED\r\n")  # a primary now
    assert repl_stats(replica)["role"] == "primary"


def test_stop_while_a_handshake_waits(server_factory, certs):
    """A primary that accepts and never answers: the handshake waits (at
    most the link's connect timeout), and replica_of none ends it at once."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # never accepted: the kernel completes the connects
    try:
        replica = tls_replica(server_factory, certs, silent.getsockname()[1])
        assert repl_stats(replica)["primary_link_status"] == "connecting"
        # the handshake gives up on its own, within the connect timeout
        wait_until(lambda: "no answer within" in replica.stderr_text(), 10,
                   "the handshake with a silent primary to time out")
        assert link_errors(replica) >= 1
        # and one in progress is stopped at once
        with replica.client() as c:
            t0 = time.monotonic()
            c.call(b"replica_of none\r\n", b"OK\r\n")
            assert time.monotonic() - t0 < scaled(1.5)
    finally:
        silent.close()


def test_tls_replica_of_a_plain_primary(server_factory, certs):
    primary = server_factory()
    replica = tls_replica(server_factory, certs, primary.port)
    wait_refused(replica, "TLS handshake failed")
    with replica.client() as c:
        c.call(b"get k\r\n", b"END\r\n")


def test_plain_replica_of_a_tls_primary(primaries, server_factory, certs):
    primary = primaries(certs)
    replica = server_factory("-v", "-o", "replica_of=127.0.0.1:%d" % primary.port)
    wait_refused(replica, "needs -o replica_tls")
    assert repl_stats(replica)["link_tls"] == "no"


def test_replica_auth_over_tls(primaries, server_factory, certs, tmp_path):
    auth = tmp_path / "auth"
    auth.write_text("alice:secret\n")
    primary = primaries(certs, "-Y", str(auth), auth=True)
    with primary.client() as c:
        c.call(b"set auth 0 0 12\r\nalice secret\r\n", b"STORED\r\n")
        c.call(b"set k 0 0 5\r\nvalue\r\n", b"STORED\r\n")
    creds = tmp_path / "creds"
    creds.write_text("alice:secret\n")
    replica = server_factory("-v", "-o", ",".join(["replica_of=127.0.0.1:%d" % primary.port,
                                             "replica_auth=%s" % creds] + tls_opts(certs)))
    wait_until(lambda: repl_stats(replica)["primary_link_status"] == "up", 20,
               "the link to the primary with -Y to come up over TLS")
    with replica.client() as c:
        wait_until(lambda: c.request(b"get k\r\n", b"END\r\n") != b"END\r\n", 20,
                   "the item to reach the replica")
        assert c.request(b"get k\r\n", b"END\r\n") == b"VALUE k 0 5\r\nvalue\r\nEND\r\n"
    # wrong credentials: refused, over TLS as in plain text
    wrong = tmp_path / "wrong"
    wrong.write_text("alice:nope\n")
    refused = server_factory("-v", "-o", ",".join(["replica_of=127.0.0.1:%d" % primary.port,
                                             "replica_auth=%s" % wrong] + tls_opts(certs)))
    wait_refused(refused, "refused the credentials of replica_auth")


@pytest.mark.parametrize("opts,message", [
    (["replica_tls", "replica_tls_ca=/nonexistent/ca.crt"], "cannot load the CA file"),
    (["replica_tls", "replica_tls_cert=/nonexistent/r.crt"], "cannot load the certificate"),
    (["replica_tls_ca=CA"], "needs -o replica_tls"),
    (["replica_tls", "replica_tls_key=KEY"], "needs -o replica_tls_cert"),
])
def test_bad_tls_options_stop_the_start(tmp_path, certs, opts, message):
    opts = [o.replace("=CA", "=%s" % (certs / "ca.crt")).replace("=KEY", "=%s" % (
        certs / "replica.key")) for o in opts]
    r = subprocess.run(base_command() + ["-p", "0", "-U", "0", "-o", ",".join(opts)],
                       capture_output=True, timeout=scaled(20), cwd=tmp_path)
    assert r.returncode != 0 and message.encode() in r.stderr, r
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_key_that_does_not_match_stops_the_start(tmp_path, certs):
    opts = ["replica_tls", "replica_tls_cert=%s" % (certs / "replica.crt"),
            "replica_tls_key=%s" % (certs / "other.key")]
    r = subprocess.run(base_command() + ["-p", "0", "-U", "0", "-o", ",".join(opts)],
                       capture_output=True, timeout=scaled(20), cwd=tmp_path)
    assert r.returncode != 0 and b"does not match" in r.stderr, r
