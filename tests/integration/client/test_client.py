"""libmnemo and mnemo-cli against three real servers (issue 6).

Server-agnostic: runs against mnemod or memcached (MNEMO_TEST_SERVER); skipped
when the server does not speak the meta protocol.
"""
import base64
import json
import os
import select
import socket
import subprocess
import time

import pytest


# ---- mnemo-cli: commands and exit codes ----

def test_cli_set_get_and_exit_codes(cluster, cli):
    # values that look like options are taken as they are after COMMAND
    assert cli(cluster, "set", "cli:neg", "-5").returncode == 0
    assert cli(cluster, "get", "cli:neg").stdout == b"-5"
    p = cli(cluster, "set", "cli:a", "hello")
    assert (p.returncode, p.stdout) == (0, b"STORED\n")
    p = cli(cluster, "get", "cli:a")
    assert (p.returncode, p.stdout) == (0, b"hello")
    p = cli(cluster, "get", "cli:missing")
    assert p.returncode == 1 and b"not found" in p.stderr
    assert cli(cluster, "add", "cli:a", "x").returncode == 1
    assert cli(cluster, "add", "cli:b", "x").returncode == 0
    assert cli(cluster, "replace", "cli:nope", "x").returncode == 1
    assert cli(cluster, "replace", "cli:b", "y").returncode == 0
    assert cli(cluster, "append", "cli:b", "z").returncode == 0
    assert cli(cluster, "prepend", "cli:b", "w").returncode == 0
    assert cli(cluster, "get", "cli:b").stdout == b"wyz"
    assert cli(cluster, "delete", "cli:b").returncode == 0
    p = cli(cluster, "delete", "cli:b")
    assert p.returncode == 1 and b"not found" in p.stderr
    assert cli(cluster, "set", "cli:n", "5").returncode == 0
    assert cli(cluster, "incr", "cli:n", "10").stdout == b"15\n"
    assert cli(cluster, "incr", "cli:n").stdout == b"16\n"
    assert cli(cluster, "decr", "cli:n", "100").stdout == b"0\n"
    assert cli(cluster, "incr", "cli:nonum").returncode == 1
    assert cli(cluster, "set", "cli:t", "v").returncode == 0
    assert cli(cluster, "touch", "cli:t", "100").returncode == 0
    assert cli(cluster, "touch", "cli:none", "100").returncode == 1


def test_cli_binary_value_flags_ttl(cluster, cli, raw):
    value = os.urandom(200000) + b"\r\nEND\r\n\x00"
    p = cli(cluster, "--flags", "4294967295", "--ttl", "1000", "set", "cli:bin", "-", stdin=value)
    assert p.returncode == 0, p.stderr
    assert cli(cluster, "get", "cli:bin").stdout == value
    owner = cli(cluster, "where", "cli:bin").stdout.split()[1].decode()
    port = int(owner.rsplit(":", 1)[1])
    head = raw(port, b"mg cli:bin f t s\r\n")
    toks = head.split()
    assert toks[0] == b"HD" and b"f4294967295" in toks and b"s%d" % len(value) in toks
    ttl = int([t for t in toks if t.startswith(b"t")][0][1:])
    assert 990 <= ttl <= 1000


def test_cli_binary_key_uses_base64(cluster, cli, raw):
    key = "bin key \u00e9\t!"
    assert cli(cluster, "set", key, "v1").returncode == 0
    assert cli(cluster, "get", key).stdout == b"v1"
    owner = cli(cluster, "where", key).stdout.decode().rsplit(" ", 1)[1].strip()
    port = int(owner.rsplit(":", 1)[1])
    b64 = base64.b64encode(key.encode())
    assert raw(port, b"mg " + b64 + b" b v\r\n") == b"VA 2\r\nv1\r\n"


def test_cli_multi_get(cluster, cli):
    for i in range(6):
        assert cli(cluster, "set", "mg:%d" % i, "v%d" % i).returncode == 0
    p = cli(cluster, "get", "mg:0", "mg:1", "mg:missing", "mg:5")
    assert p.returncode == 1 and b"mg:missing" in p.stderr
    out = p.stdout
    for i in (0, 1, 5):
        assert b"VALUE mg:%d 0 2\nv%d\n" % (i, i) in out


def test_cli_ping_version_stats_flush(cluster, cli):
    p = cli(cluster, "ping")
    assert p.returncode == 0
    lines = p.stdout.decode().splitlines()
    assert [l.split()[0] for l in lines] == [s.addr for s in cluster.servers]
    assert all(l.split()[1] == "OK" for l in lines)
    p = cli(cluster, "version")
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 3
    p = cli(cluster, "stats")
    assert p.returncode == 0
    seen = {l.split()[0] for l in p.stdout.decode().splitlines()}
    assert seen == {s.addr for s in cluster.servers} | {"total"}
    assert b" pid " in p.stdout and b" curr_items " in p.stdout
    p = cli(cluster, "stats", "no-such-group")
    assert p.returncode == 2 and p.stderr
    assert cli(cluster, "set", "fl:x", "1").returncode == 0
    p = cli(cluster, "flush")
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 3
    assert cli(cluster, "get", "fl:x").returncode == 1


def test_cli_help(binaries):
    p = subprocess.run([binaries[0], "--help"], capture_output=True, timeout=10)
    assert p.returncode == 0 and b"where KEY" in p.stdout and b"--servers" in p.stdout


# ---- error reporting ----

def test_cli_unreachable_server(cli):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = cli("127.0.0.1:%d" % port, "get", "k")
    assert p.returncode == 2
    assert b"cannot connect" in p.stderr and b"127.0.0.1:%d" % port in p.stderr
    p = cli("127.0.0.1:%d" % port, "ping")
    assert p.returncode == 2 and b"cannot connect" in p.stderr


def test_cli_timeout_on_silent_server(cli):
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        t0 = time.monotonic()
        p = cli("127.0.0.1:%d" % s.getsockname()[1], "--timeout", "300", "get", "k")
        assert time.monotonic() - t0 < 5
    assert p.returncode == 2 and b"timed out" in p.stderr


@pytest.mark.parametrize("args, needle", [
    (["--flags", "-1", "set", "k", "v"], b"bad --flags"),
    (["--flags", "x", "set", "k", "v"], b"bad --flags"),
    (["--flags", "4294967296", "set", "k", "v"], b"bad --flags"),
    (["--ttl", "abc", "set", "k", "v"], b"bad --ttl"),
    (["--timeout", "0", "get", "k"], b"bad --timeout"),
    (["--bogus", "get", "k"], b"bad option"),
    (["frobnicate"], b"unknown command"),
    (["set", "k"], b"usage"),
    (["incr", "k", "-3"], b"usage"),
    (["incr", "k", "abc"], b"usage"),
    (["touch", "k", "soon"], b"usage"),
    ([], b"usage"),
])
def test_cli_bad_arguments(cli, args, needle):
    p = cli("127.0.0.1:1", *args)
    assert p.returncode == 2 and needle in p.stderr, p.stderr


@pytest.mark.parametrize("spec", ["", ",", "host:", "host:0", "host:99999", "host:abc",
                                  "host:1:0", "host:1:x", "a:1,,b:2", "[::1", "bad host:1"])
def test_cli_bad_servers(cli, spec):
    p = cli(spec, "get", "k")
    assert p.returncode == 2 and b"bad --servers" in p.stderr, (spec, p.stderr)


def test_cli_default_servers(binaries):
    p = subprocess.run([binaries[0], "where", "k"], capture_output=True, timeout=10)
    assert b"Sanitizer" not in p.stderr
    assert p.returncode == 0 and p.stdout == b"k 127.0.0.1:11211\n"


# ---- placement ----

def test_placement_matches_servers(cluster, cli, driver, raw):
    n = 300
    rc, out = driver(cluster, "setmany", "place:", n)
    assert rc == 0 and out["errors"] == 0
    keys = ["place:%d" % i for i in range(n)]
    p = cli(cluster, "where", "-", stdin=("\n".join(keys) + "\n").encode())
    assert p.returncode == 0
    where = dict(l.split(" ", 1) for l in p.stdout.decode().splitlines())
    assert set(where) == set(keys)
    assert set(where.values()) == {s.addr for s in cluster.servers}
    # `where KEY...` agrees with `where -`
    p = cli(cluster, "where", *keys[:20])
    assert dict(l.split(" ", 1) for l in p.stdout.decode().splitlines()) == \
        {k: where[k] for k in keys[:20]}
    for k in keys:
        for s in cluster.servers:
            reply = s.get(k)
            if s.addr == where[k]:
                assert reply.startswith(b"VA "), (k, s.addr, reply)
                assert reply.split(b"\r\n")[1] == b"val:" + k.encode()
            else:
                assert reply == b"EN\r\n", (k, s.addr, reply)


# ---- multi-get, async ----

def test_multiget_across_servers(cluster, driver):
    rc, out = driver(cluster, "setmany", "mget:", 2000)
    assert rc == 0
    rc, out = driver(cluster, "mget", "mget:", 2000)
    assert rc == 0, out
    assert out["found"] == 2000 and out["wrong"] == 0 and out["servers_used"] == 3


def test_async_10000_pipelined(cluster, driver):
    rc, out = driver(cluster, "async", 10000)
    assert rc == 0, out
    assert out["submitted"] == out["completed"] == 10000
    assert out["bad"] == 0 and out["double"] == 0 and out["not_done"] == 0


def test_every_operation(make_cluster, driver):
    # its own cluster: the test ends with flush_all
    rc, out = driver(make_cluster(3), "ops")
    assert rc == 0 and out["failures"] == 0 and out["checks"] >= 40, out


# ---- failover ----

class Repl:
    def __init__(self, driver_path, spec, retry_ms):
        self.p = subprocess.Popen([driver_path, spec, "repl", str(retry_ms)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True,
                                  env=dict(os.environ, ASAN_OPTIONS="exitcode=86"))
        assert json.loads(self.readline(10))["ready"]

    def readline(self, timeout):
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        assert ready, "driver did not answer within %ss" % timeout
        return self.p.stdout.readline()

    def round(self, prefix, n):
        self.p.stdin.write("round %s %d\n" % (prefix, n))
        self.p.stdin.flush()
        return json.loads(self.readline(30))

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            assert self.p.wait(timeout=10) == 0, "driver exited with an error (sanitizer?)"
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(timeout=5)


def test_failover_eject_rehash_rejoin(make_cluster, binaries):
    c = make_cluster(3)
    victim = c.servers[1]
    n, retry_ms = 600, 1500
    repl = Repl(binaries[1], c.spec, retry_ms)
    rounds = []
    try:
        first = repl.round("fo:", n)
        assert first["miss"] == n and first["set_ok"] == n
        steady = repl.round("fo:", n)
        assert steady["ok"] == n and steady["err"] == 0
        owned = steady["by_server"][victim.addr]
        assert owned > 0

        victim.kill()
        # Requests for the dead server's keys fail (reported, never wrong)
        # until it has failed failure_limit (2) times in a row ...
        for _ in range(2):
            r = repl.round("fo:", n)
            rounds.append(r)
            assert r["err"] == owned and r["ok"] == n - owned, r
            assert "cannot connect to server" in r["errors"]
        assert rounds[-1]["ejected"] == [victim.addr]
        # ... then it is ejected: its keys go to the next servers on the ring
        # (misses there, refilled), nothing else moves, no errors.
        r = repl.round("fo:", n)
        rounds.append(r)
        assert r["err"] == 0 and r["miss"] == owned and r["ok"] == n - owned, r
        assert r["by_server"][victim.addr] == 0
        r = repl.round("fo:", n)
        rounds.append(r)
        assert r["ok"] == n and r["err"] == 0, r

        # Restart it on the same port: after the retry interval it gets its
        # keys back (empty server: misses, refilled) and is no longer ejected.
        victim.start()
        time.sleep(retry_ms / 1000 + 0.3)
        r = repl.round("fo:", n)
        rounds.append(r)
        assert r["by_server"][victim.addr] == owned, r
        assert r["miss"] == owned and r["err"] == 0 and r["ejected"] == [], r
        r = repl.round("fo:", n)
        rounds.append(r)
        assert r["ok"] == n, r
        assert all(x["wrong"] == 0 for x in rounds)
    finally:
        repl.close()
