"""ASCII authentication (-Y FILE, issue 22), as memcached's: a connection
authenticates with a `set` whose data block is "user password"; before
that every command is refused and no data block it announces ever runs.

Real mnemods with real files; the conversations that memcached 1.6.45
answers the same way are run against it too, one command per round trip
(1.6.45 drops what follows a refusal in the same read: see
test_refusals_are_answered_one_by_one).
"""

import json
import os
import signal
import socket
import struct
import subprocess
from pathlib import Path

import pytest

from mnemo_harness import (IO_TIMEOUT, IS_MEMCACHED, REPO, TIME_SCALE, Server, base_command,
                           free_port, scaled, wait_until)

pytestmark = pytest.mark.skipif(IS_MEMCACHED, reason="the suite's -Y tests start their own servers")

MEMCACHED_NEW = os.environ.get(
    "MEMCACHED_NEW", str(REPO / "build" / "reference" / "memcached-1.6.45" / "memcached"))

UNAUTH = b"CLIENT_ERROR unauthenticated\r\n"
FAILED = b"CLIENT_ERROR authentication failure\r\n"
BADFMT = b"CLIENT_ERROR bad authentication token format\r\n"


class AuthServer(Server):
    """A server with -Y: "version" is refused until a client authenticates,
    so being ready means answering it with the refusal."""

    ready_reply = UNAUTH

    def __init__(self, workdir, authfile, flags=(), binary=None, name="auth"):
        super().__init__(["-Y", str(authfile)] + list(flags), workdir, name=name)
        self.binary = binary

    def start(self):
        self.port = free_port()
        argv = base_command() if self.binary is None else [self.binary]
        if self.binary is not None and os.geteuid() == 0:
            argv += ["-u", "root"]  # memcached insists on -u when run as root
        self.argv = argv + ["-p", str(self.port), "-l", self.host, "-U", "0"] + self.flags
        self._spawn()
        assert self._wait_ready(), "%r did not start:\n%s" % (self.argv, self.stderr_text())
        return self


def write_authfile(path, entries):
    path.write_text("".join("%s:%s\n" % e for e in entries))
    return path


@pytest.fixture
def authfile(tmp_path):
    return write_authfile(tmp_path / "auth", [("alice", "secret"), ("bob", "pw two")])


@pytest.fixture
def srv(tmp_path, authfile):
    s = AuthServer(tmp_path, authfile).start()
    yield s
    s.stop()
    assert not s.problems(), s.problems()


def auth_set(user_pass, noreply=False):
    return b"set auth 0 0 %d%s\r\n%s\r\n" % (len(user_pass), b" noreply" if noreply else b"",
                                              user_pass)


def login(srv, user_pass=b"alice secret"):
    c = srv.client()
    c.call(auth_set(user_pass), b"STORED\r\n")
    return c


def steps(srv, requests):
    """Send each request on one connection, one at a time, and collect what
    comes back (until a short silence, or the close)."""
    out = []
    with socket.create_connection((srv.host, srv.port), timeout=IO_TIMEOUT) as s:
        for r in requests:
            s.sendall(r)
            out.append(read_quiet(s))
            if out[-1].endswith(b"<closed>"):
                break
    return out


def read_quiet(s, quiet=0.15):
    got = b""
    s.settimeout(scaled(quiet))
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return got + b"<closed>"
            got += d
    except socket.timeout:
        return got
    finally:
        s.settimeout(IO_TIMEOUT)


# ---- the exchange, against memcached 1.6.45 ----

CONVERSATIONS = {
    "everything-refused-before-auth": [
        b"get a\r\n", b"version\r\n", b"mg a v\r\n", b"stats\r\n", b"flush_all\r\n",
        b"verbosity 1\r\n", b"bogus\r\n", b"incr a 1\r\n", b"touch a 1\r\n", b"delete a\r\n",
        b"ms a 7\r\nalice s\r\n", b"get a\r\n"],
    "bad-token-then-good": [auth_set(b"alice"), b"get a\r\n", auth_set(b"alice secret"),
                            b"get auth\r\n", b"set a 0 0 1\r\n1\r\n", b"get a\r\n"],
    "wrong-password": [auth_set(b"alice wrong"), b"get a\r\n", auth_set(b"bob pw2"),
                       auth_set(b"bob pw two"), b"get a\r\n"],
    "noreply-is-answered": [auth_set(b"alice bad", noreply=True), auth_set(b"alice secret", noreply=True),
                            b"set k 0 0 1 noreply\r\nv\r\n", b"get k\r\n"],
    "password-with-spaces-kept": [auth_set(b"alice secret "), auth_set(b"bob pw two")],
    "add-is-no-login": [b"add x 0 0 12\r\nalice secret\r\n", b"get a\r\n"],
    "quit-before-auth": [b"quit\r\n"],
    "auth-after-auth-is-a-set": [auth_set(b"alice secret"), b"set x 0 0 12\r\nalice secret\r\n",
                                 b"get x\r\n"],
}


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_same_exchange_as_memcached_1_6_45(tmp_path, authfile, name):
    if not os.access(MEMCACHED_NEW, os.X_OK):
        pytest.fail("memcached 1.6.45 not found at %s: run `make reference` or set MEMCACHED_NEW"
                    % MEMCACHED_NEW)
    ref = AuthServer(tmp_path / "ref", authfile, binary=MEMCACHED_NEW, name="ref").start()
    ours = AuthServer(tmp_path / "ours", authfile).start()
    try:
        want = steps(ref, CONVERSATIONS[name])
        got = steps(ours, CONVERSATIONS[name])
    finally:
        ref.stop()
        ours.stop()
    assert got == want
    assert not ours.problems(), ours.problems()


# ---- what the reference is not asked ----

def test_refused_data_blocks_never_run_as_commands(srv):
    with login(srv) as admin:
        admin.call(b"set canary 0 0 1\r\nc\r\n", b"STORED\r\n")
        with srv.client() as c:
            c.call(b"add k 0 0 11\r\nflush_all\r\n\r\n", UNAUTH)
            c.call(b"ms k 11\r\nflush_all\r\n\r\n", UNAUTH)
            c.call(b"set k 0 0 2000\r\n" + b"flush_all\r\n" * 181 + b"x" * 9 + b"\r\n", BADFMT)
            c.call(b"get canary\r\n", UNAUTH)
        admin.call(b"get canary\r\n", b"VALUE canary 0 1\r\nc\r\nEND\r\n")


def test_refusals_are_answered_one_by_one(srv):
    """Pipelined refusals each get their line (1.6.45 answers the first and
    drops the rest of the read)."""
    with srv.client() as c:
        c.send(b"get a\r\nget b\r\n" + auth_set(b"alice nope") + b"version\r\n")
        c.expect(UNAUTH + UNAUTH + FAILED + UNAUTH)


def test_each_connection_authenticates_on_its_own(srv):
    with login(srv) as a:
        a.call(b"set k 0 0 1\r\n1\r\n", b"STORED\r\n")
        with srv.client() as b:
            b.call(b"get k\r\n", UNAUTH)
            b.call(b"set k 0 0 1\r\n2\r\n", BADFMT)  # a one-byte token: no space
            b.call(auth_set(b"bob pw two"), b"STORED\r\n")
            b.call(b"get k\r\n", b"VALUE k 0 1\r\n1\r\nEND\r\n")


def test_auth_counters(srv):
    with login(srv) as a:
        before = a.stats()
        with srv.client() as c:
            c.call(auth_set(b"alice x"), FAILED)
            c.call(auth_set(b"nobody"), BADFMT)
            c.call(auth_set(b"bob pw two"), b"STORED\r\n")
        after = a.stats()
    assert int(after["auth_cmds"]) - int(before["auth_cmds"]) == 3
    assert int(after["auth_errors"]) - int(before["auth_errors"]) == 2
    with login(srv) as a:
        settings = a.stats("settings")
    assert settings["auth_enabled_ascii"] == str(srv.flags[1])
    assert settings["auth_enabled_sasl"] == "no"


def test_binary_requests_get_auth_failure(srv):
    get = struct.pack(">BBHBBHIIQ", 0x80, 0x00, 1, 0, 0, 0, 1, 7, 0) + b"a"
    setk = struct.pack(">BBHBBHIIQ", 0x80, 0x01, 1, 8, 0, 0, 8 + 1 + 9, 8, 0) + \
        b"\0" * 8 + b"k" + b"flush_all"
    with srv.client() as c:
        for packet, opaque in ((get, 7), (setk, 8), (get, 7)):
            c.send(packet)
            head = c.recv_exact(24)
            magic, op, _, _, _, status, blen, op_aque, _ = struct.unpack(">BBHBBHIIQ", head)
            assert (magic, status, op_aque) == (0x81, 0x20, opaque)
            assert c.recv_exact(blen) == b"Auth failure."


def test_http_gets_no_byte(srv):
    with srv.client() as c:
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        c.assert_closed()


def test_more_than_eight_entries(tmp_path):
    users = [("user%d" % i, "pass%d" % i) for i in range(200)]
    s = AuthServer(tmp_path, write_authfile(tmp_path / "many", users)).start()
    try:
        with login(s, b"user177 pass177"):
            pass
        with s.client() as c:
            c.call(auth_set(b"user177 pass176"), FAILED)
    finally:
        s.stop()
    assert not s.problems()


def test_sighup_reads_the_file_again(tmp_path, authfile):
    s = AuthServer(tmp_path, authfile).start()
    try:
        write_authfile(authfile, [("carol", "new")])
        os.kill(s.proc.pid, signal.SIGHUP)

        def carol_in():
            with s.client() as c:
                return c.request(auth_set(b"carol new")) == b"STORED\r\n"
        wait_until(carol_in, 10, "carol, added to the file, to be let in after SIGHUP")
        with s.client() as c:
            c.call(auth_set(b"alice secret"), FAILED)
        # an open connection that authenticated stays in
        live = login(s, b"carol new")
        # a file that no longer reads keeps the old table, and says so
        authfile.write_text("no colon here\n")
        os.kill(s.proc.pid, signal.SIGHUP)
        wait_until(lambda: "line 1" in s.stderr_text(), 10, "the reload's error on stderr")
        assert "SIGHUP" in s.stderr_text()
        with login(s, b"carol new"):
            pass
        live.call(b"set k 0 0 1\r\n1\r\n", b"STORED\r\n")
        live.close()
    finally:
        s.stop()
    assert not s.problems(), s.problems()


@pytest.mark.parametrize("content,flags,message", [
    (None, (), "could not open the auth file"),
    ("alice:secret\nno colon\n", (), "line 2"),
    (":nouser\n", (), "line 1"),
    ("alice:secret\n", ("-U", "11211"), "cannot use UDP"),
])
def test_bad_setups_stop_at_start(tmp_path, content, flags, message):
    path = tmp_path / "auth"
    if content is not None:
        path.write_text(content)
    argv = base_command() + ["-p", str(free_port()), "-l", "127.0.0.1", "-Y", str(path)]
    argv += list(flags) if flags else ["-U", "0"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(20))
    assert p.returncode != 0
    assert message in p.stderr and p.stderr.count("\n") == 1, p.stderr


def test_an_empty_file_lets_nobody_in(tmp_path):
    s = AuthServer(tmp_path, write_authfile(tmp_path / "empty", [])).start()
    try:
        with s.client() as c:
            c.call(auth_set(b"alice secret"), FAILED)
            c.call(b"get a\r\n", UNAUTH)
    finally:
        s.stop()
    assert not s.problems()


# ---- the replication link (-o replica_auth) ----

def test_replication_link_authenticates(tmp_path, authfile, server_factory):
    primary = AuthServer(tmp_path / "p", authfile).start()
    try:
        with login(primary) as c:
            c.call(b"set k 0 0 5\r\nvalue\r\n", b"STORED\r\n")
        creds = tmp_path / "creds"
        creds.write_text("bob:pw two\n")
        replica = server_factory("-o", "replica_of=127.0.0.1:%d" % primary.port,
                                 "-o", "replica_auth=%s" % creds)
        wait_until(lambda: replica.stats("replication").get("primary_link_status") == "up", 20,
                   "the link to the primary with -Y to come up")
        with replica.client() as c:
            wait_until(lambda: c.request(b"get k\r\n", b"END\r\n") != b"END\r\n", 20,
                       "the item to reach the replica")
            assert c.request(b"get k\r\n", b"END\r\n") == b"VALUE k 0 5\r\nvalue\r\nEND\r\n"

        # without credentials, or with wrong ones, the link never comes up
        wrong = tmp_path / "wrong"
        wrong.write_text("bob:nope\n")
        for extra in ((), ("-o", "replica_auth=%s" % wrong)):
            r = server_factory("-o", "replica_of=127.0.0.1:%d" % primary.port, *extra)
            wait_until(lambda: int(r.stats("replication").get("link_errors", 0)) >= 2, 20,
                       "the refused link to be retried")
            st = r.stats("replication")
            assert st["primary_link_status"] == "connecting" and st["full_syncs"] == "0", st
            assert r.stats()["curr_items"] == "0"
    finally:
        primary.stop()
    assert not primary.problems(), primary.problems()


@pytest.mark.parametrize("content,message", [
    (None, "could not open the auth file"),
    ("", "holds no"),
    ("nocolon\n", "line 1"),
])
def test_replica_auth_that_cannot_be_read_stops_at_start(tmp_path, content, message):
    path = tmp_path / "creds"
    if content is not None:
        path.write_text(content)
    argv = base_command() + ["-p", str(free_port()), "-l", "127.0.0.1", "-U", "0",
                             "-o", "replica_of=127.0.0.1:1", "-o", "replica_auth=%s" % path]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(20))
    assert p.returncode != 0 and message in p.stderr, p.stderr


# ---- clients: libmnemo (through mnemo-cli and the test driver) ----

BUILD = Path(os.environ.get("MNEMO_BUILD_DIR", str(REPO / "build")))


def cli(*args):
    return subprocess.run([str(BUILD / "mnemo-cli"), "-T", str(int(3000 * TIME_SCALE))] + list(args),
                          capture_output=True, text=True, timeout=scaled(60))


def test_mnemo_cli_authenticates(srv, tmp_path):
    creds = tmp_path / "creds"
    creds.write_text("bob:pw two\n")
    s = srv.addr
    assert cli("-s", s, "--auth-file", str(creds), "set", "k", "v").returncode == 0
    got = cli("-s", s, "--auth-file", str(creds), "get", "k")
    assert got.returncode == 0 and got.stdout == "v"
    st = cli("-s", s, "--auth-file", str(creds), "stats")
    assert st.returncode == 0 and " auth_cmds " in st.stdout
    # refused credentials, and none: a clear error, exit 2
    creds.write_text("bob:wrong\n")
    bad = cli("-s", s, "--auth-file", str(creds), "get", "k")
    assert bad.returncode == 2 and "authentication failed" in bad.stderr, bad.stderr
    none = cli("-s", s, "get", "k")
    assert none.returncode == 2 and "CLIENT_ERROR" in none.stderr, none.stderr
    for content in (None, "no colon\n", " spaced user:pw\n"):
        path = tmp_path / "c2"
        if content is not None:
            path.write_text(content)
        elif path.exists():
            path.unlink()
        r = cli("-s", s, "--auth-file", str(path), "get", "k")
        assert r.returncode == 2 and "auth file" in r.stderr, r.stderr


def test_credentials_given_to_a_server_without_auth_are_not_readable(server_factory, tmp_path):
    """The auth set carries exptime -1: a server without -Y stores an item
    already expired, so the password never becomes a readable value."""
    plain = server_factory()
    creds = tmp_path / "creds"
    creds.write_text("alice:secret\n")
    assert cli("-s", plain.addr, "--auth-file", str(creds), "set", "k", "v").returncode == 0
    with plain.client() as c:
        c.call(b"get mnemo_auth\r\n", b"END\r\n")
        c.call(b"get k\r\n", b"VALUE k 0 1\r\nv\r\nEND\r\n")


def test_a_client_authenticates_again_after_a_reconnect(srv):
    env = dict(os.environ, DRIVER_AUTH_USER="alice", DRIVER_AUTH_PASSWORD="secret")
    d = subprocess.Popen([str(BUILD / "tests" / "client_driver"), srv.addr, "repl", "300"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        def ask(line):
            d.stdin.write(line + "\n")
            d.stdin.flush()
            return json.loads(d.stdout.readline())
        assert json.loads(d.stdout.readline())["ready"]
        assert ask("set a 1")["rc"] == 0
        # the server goes and comes back on the same port: a new connection,
        # which must authenticate before its requests
        assert srv.stop() == 0
        srv._spawn()
        assert srv._wait_ready()
        wait_until(lambda: ask("set b 2")["rc"] == 0, 20, "the client to reconnect and log in")
        assert ask("get b") == {"rc": 0, "status": "success", "value": "2"}
        d.stdin.write("quit\n")
        d.stdin.flush()
        assert d.wait(timeout=scaled(10)) == 0
    finally:
        if d.poll() is None:
            d.kill()
            d.wait()


def test_a_shard_with_auth_everywhere(tmp_path, authfile):
    """Primary and replica with -Y, the replica's link with replica_auth,
    the client with --auth-file: writes, reads from the replica, digest."""
    creds = tmp_path / "creds"
    creds.write_text("alice:secret\n")
    p = AuthServer(tmp_path / "p", authfile).start()
    r = AuthServer(tmp_path / "r", authfile,
                   flags=["-o", "replica_of=127.0.0.1:%d" % p.port,
                          "-o", "replica_auth=%s" % creds]).start()
    try:
        spec = "%s=%s" % (p.addr, r.addr)
        for i in range(20):
            assert cli("-s", spec, "--auth-file", str(creds), "set", "k%d" % i, str(i)).returncode == 0

        def caught_up():
            d = cli("-s", spec, "--auth-file", str(creds), "digest")
            return d.returncode == 0 and "same digest on all 2 servers" in d.stdout
        wait_until(caught_up, 20, "the replica to hold what the primary holds")
        got = cli("-s", spec, "--auth-file", str(creds), "--read-replicas", "get", "k7")
        assert got.returncode == 0 and got.stdout == "7"
    finally:
        r.stop()
        p.stop()
    assert not p.problems() and not r.problems(), (p.problems(), r.problems())
