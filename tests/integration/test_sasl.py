"""SASL for the binary protocol (-S, issue 22), through Cyrus SASL as in
memcached: users from MEMCACHED_SASL_PWDB (memcached's name for its own
"user:password" file) or from a sasldb that SASL_CONF_PATH names, as
Debian's memcached 1.6.18 reads it.  Driven by raw binary packets (checked
against memcached 1.6.18 -S with the same sasldb) and by libmemcached's
memccp/memccat with --username/--password.
"""

import os
import socket
import struct
import subprocess
import time

import pytest

from mnemo_harness import (IO_TIMEOUT, IS_MEMCACHED, MEMCACHED_BIN, START_TIMEOUT, Server,
                           base_command, free_port, make_sasldb, scaled)

pytestmark = pytest.mark.skipif(IS_MEMCACHED, reason="the suite's -S tests start their own servers")

UNAUTH = b"CLIENT_ERROR unauthenticated\r\n"
AUTH_ERROR = 0x20


class SaslServer(Server):
    """-S: being ready is answering a binary version, which both servers
    answer before authentication (memcached leaves text unanswered); env
    holds MEMCACHED_SASL_PWDB or SASL_CONF_PATH."""

    def __init__(self, workdir, env, flags=(), binary=None, name="sasl"):
        super().__init__(["-S"] + list(flags), workdir, name=name)
        self.env = env
        self.binary = binary

    def start(self):
        self.port = free_port()
        argv = base_command() if self.binary is None else [self.binary, "-u", "root"]
        self.argv = argv + ["-p", str(self.port), "-l", self.host, "-U", "0"] + self.flags
        self._spawn()
        assert self._wait_ready(), "%r did not start:\n%s" % (self.argv, self.stderr_text())
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with self.connect_socket(timeout=1.0) as s:
                    s.sendall(packet(VERSION))
                    if read_reply(s)[0] == VERSION:
                        return True
            except (OSError, TypeError):
                pass
            time.sleep(0.02)
        return False

    def _spawn(self):
        self.killed = False
        self.stopped_rc = None
        with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         cwd=self.workdir, env=dict(os.environ, **self.env))


def packet(op, key=b"", value=b"", extras=b"", opaque=0x1234):
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0,
                       len(key) + len(extras) + len(value), opaque, 0) + extras + key + value


LIST, AUTH, STEP, GET, SET, VERSION, NOOP = 0x20, 0x21, 0x22, 0x00, 0x01, 0x0b, 0x0a


def plain(user, password):
    return packet(AUTH, b"PLAIN", b"\0" + user + b"\0" + password)


def read_reply(s):
    head = b""
    while len(head) < 24:
        d = s.recv(24 - len(head))
        if not d:
            return "closed"
        head += d
    _, op, _, _, _, status, blen, opaque, _ = struct.unpack(">BBHBBHIIQ", head)
    body = b""
    while len(body) < blen:
        body += s.recv(blen - len(body))
    if op == VERSION and status == 0:
        body = b"<version>"
    return (op, status, opaque, body)


def exchange(srv, packets):
    out = []
    with socket.create_connection((srv.host, srv.port), timeout=IO_TIMEOUT) as s:
        for p in packets:
            s.sendall(p)
            out.append(read_reply(s))
            if out[-1] == "closed":
                break
    return out


@pytest.fixture
def pwdb(tmp_path):
    path = tmp_path / "pwdb"
    path.write_text("alice:secret\nbob:two words\n")
    return path


@pytest.fixture
def srv(tmp_path, pwdb):
    s = SaslServer(tmp_path, {"MEMCACHED_SASL_PWDB": str(pwdb)}).start()
    yield s
    s.stop()
    assert not s.problems(), s.problems()


CONVERSATIONS = {
    "list-then-plain": [packet(LIST), plain(b"alice", b"secret"),
                        packet(SET, b"k", b"v", extras=b"\0" * 8), packet(GET, b"k")],
    "wrong-then-right": [plain(b"alice", b"bad"), plain(b"alice", b"secret"), packet(GET, b"k")],
    "version-before-auth": [packet(VERSION), packet(GET, b"k")],
    "unknown-mechanism": [packet(AUTH, b"NOPE", b"x")],
    "step-without-start": [packet(STEP, b"PLAIN", b"\0alice\0secret")],
    "noop-before-auth": [packet(NOOP)],
}


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_same_exchange_as_memcached_1_6_18(tmp_path, name):
    """With one sasldb (made by saslpasswd2 for the service memcached), mnemod
    and Debian's memcached answer the same packets the same way."""
    env = make_sasldb(tmp_path / "sasl")
    ref = SaslServer(tmp_path / "ref", env, binary=MEMCACHED_BIN, name="ref").start()
    ours = SaslServer(tmp_path / "ours", env).start()
    try:
        want = exchange(ref, CONVERSATIONS[name])
        got = exchange(ours, CONVERSATIONS[name])
    finally:
        ref.stop()
        ours.stop()
    assert got == want
    assert not ours.problems(), ours.problems()


def test_pwdb_users_and_counters(srv):
    got = exchange(srv, [packet(LIST), plain(b"bob", b"two words"), packet(GET, b"nope")])
    assert got[0][1:] == (0, 0x1234, b"PLAIN")
    assert got[1][1] == 0 and got[1][3] == b"Authenticated"
    assert got[2][1] == 1  # a miss: the request ran
    assert exchange(srv, [plain(b"bob", b"two"), plain(b"carol", b"x")]) == [
        (AUTH, AUTH_ERROR, 0x1234, b"Auth failure.")] * 2
    # the counters, from binary stat packets (key: name, value: figure)
    with socket.create_connection((srv.host, srv.port), timeout=IO_TIMEOUT) as s:
        s.sendall(plain(b"alice", b"secret"))
        assert read_reply(s)[1] == 0
        s.sendall(packet(0x10))
        st = {}
        while True:
            head = s.recv(24, socket.MSG_WAITALL)
            _, _, klen, _, _, _, blen, _, _ = struct.unpack(">BBHBBHIIQ", head)
            body = s.recv(blen, socket.MSG_WAITALL) if blen else b""
            if klen == 0:
                break
            st[body[:klen].decode()] = body[klen:].decode()
    assert int(st["auth_cmds"]) == 4 and int(st["auth_errors"]) == 2, st


def test_text_is_refused_with_sasl_alone(srv):
    with srv.client() as c:
        c.call(b"get k\r\n", UNAUTH)
        c.call(b"set k 0 0 12\r\nalice secret\r\n", UNAUTH)  # no -Y: no way in by text
        c.call(b"get k\r\n", UNAUTH)


def test_sasl_and_ascii_auth_together(tmp_path, pwdb):
    s = SaslServer(tmp_path, {"MEMCACHED_SASL_PWDB": str(pwdb)}, flags=["-Y", str(pwdb)]).start()
    try:
        with s.client() as c:
            c.call(b"set k 0 0 12\r\nalice secret\r\n", b"STORED\r\n")
            c.call(b"set k 0 0 1\r\nv\r\n", b"STORED\r\n")
        got = exchange(s, [plain(b"alice", b"secret"), packet(GET, b"k")])
        assert got[1][1] == 0 and got[1][3].endswith(b"v")
        with s.client() as c:
            c.call(b"set x 0 0 9\r\nalice bad\r\n", b"CLIENT_ERROR authentication failure\r\n")
            c.call(b"set x 0 0 12\r\nalice secret\r\n", b"STORED\r\n")
            st = c.stats("settings")
        assert st["auth_enabled_sasl"] == "yes" and st["auth_enabled_ascii"] == str(pwdb)
    finally:
        s.stop()
    assert not s.problems()


def test_oversized_sasl_data_is_refused_and_skipped(srv):
    """The data is read into a small buffer: more than any mechanism needs
    is refused, and skipped exactly (the next packet is answered)."""
    got = exchange(srv, [packet(AUTH, b"PLAIN", b"\0alice\0" + b"x" * 5000), packet(VERSION),
                         plain(b"alice", b"secret")])
    assert got[0][1] == AUTH_ERROR
    assert got[1] == (VERSION, 0, 0x1234, b"<version>")
    assert got[2][1] == 0


def test_memccp_and_memccat_with_credentials(srv, tmp_path):
    data = tmp_path / "payload.bin"
    data.write_bytes(os.urandom(70000))
    servers = "--servers=%s" % srv.addr
    creds = ["--username=alice", "--password=secret"]
    cp = subprocess.run(["memccp", "--binary", servers] + creds + [str(data)], cwd=tmp_path,
                        capture_output=True, timeout=scaled(30))
    assert cp.returncode == 0, cp.stderr
    cat = subprocess.run(["memccat", "--binary", servers] + creds + ["payload.bin"], cwd=tmp_path,
                         capture_output=True, timeout=scaled(30))
    assert cat.returncode == 0 and cat.stdout == data.read_bytes() + b"\n"  # memccat adds one
    for bad in (["--username=alice", "--password=wrong"], []):
        r = subprocess.run(["memccat", "--binary", servers] + bad + ["payload.bin"], cwd=tmp_path,
                           capture_output=True, timeout=scaled(30))
        assert r.returncode != 0 and r.stdout == b""


@pytest.mark.parametrize("flags,env,message", [
    (["-U", "11211"], {}, "cannot enable UDP"),
    (["-B", "ascii", "-U", "0"], {}, "ascii protocol"),
    (["-U", "0"], {"MEMCACHED_SASL_PWDB": "/nonexistent/pwdb"}, "could not open"),
])
def test_bad_setups_stop_at_start(tmp_path, pwdb, flags, env, message):
    env = dict({"MEMCACHED_SASL_PWDB": str(pwdb)}, **env)
    argv = base_command() + ["-p", str(free_port()), "-l", "127.0.0.1", "-S"] + flags
    p = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(20),
                       env=dict(os.environ, **env))
    assert p.returncode != 0 and message in p.stderr, p.stderr
