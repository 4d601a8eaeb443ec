"""scripts/cluster (issue 21): a local cluster in one command — mnemods,
their replicas and Debian's nutcracker in front, up, status and down.

Each test runs the script as a user would, on free ports and a state
directory of its own, and checks what it started from the outside: keys
written through the proxy spread over the primaries, each replica holds
what its primary holds, `down` leaves no process behind. Whatever a test
does, every PID recorded in the state file is killed at teardown.
"""

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from mnemo_harness import (IS_MEMCACHED, REPO, SERVER_BIN, RawClient, free_ports,
                           sanitizer_report, scaled, wait_until)

SCRIPT = REPO / "scripts" / "cluster"
NUTCRACKER = "/usr/sbin/nutcracker"
CLI = os.path.join(os.environ.get("MNEMO_BUILD_DIR", str(REPO / "build")), "mnemo-cli")
HOST = "127.0.0.1"

pytestmark = [
    pytest.mark.skipif(IS_MEMCACHED, reason="the cluster script starts mnemod"),
    pytest.mark.skipif(not os.access(NUTCRACKER, os.X_OK),
                       reason="nutcracker not installed (scripts/install-deps.sh test)"),
]


# ---------------------------------------------------------------------------
# helpers

def starttime(pid):
    """As the script does: None once the process is gone (a zombie whose
    threads have all exited counts as gone)."""
    try:
        stat = Path("/proc/%d/stat" % pid).read_text()
        threads = len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") and threads <= 1 else int(fields[19])


def running_in(d):
    """PIDs of live processes whose working directory is d: the script
    starts every process there, so none must be left after a failure."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if os.readlink(p / "cwd") == str(d) and starttime(int(p.name)) is not None:
                    out.append(int(p.name))
            except OSError:
                pass
    return out


class Cluster:
    """One state directory, its ports, and the script run on them."""

    def __init__(self, tmp_path, servers, replicas):
        self.dir = tmp_path / "cluster"
        self.servers, self.replicas = servers, replicas
        self.pick_ports()
        self.recorded = {}   # pid -> start time, of every process ever seen in the state

    def pick_ports(self):
        # primaries, replicas, nutcracker's stats port, then the proxy's
        n = self.servers * (self.replicas + 1)
        self.base = free_ports(n + 2)
        self.proxy = self.base + n + 1

    def run(self, *args, timeout=60):
        proc = subprocess.run([str(SCRIPT)] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=scaled(timeout))
        self.remember()
        return proc

    def up(self, *extra):
        return self.run("up", "--servers", self.servers, "--replicas", self.replicas,
                        "--base-port", self.base, "--proxy-port", self.proxy,
                        "--dir", self.dir, "--mnemod", SERVER_BIN,
                        "--timeout", scaled(20), *extra)

    def up_ok(self):
        """up, on other ports if another test took one of these meanwhile
        (as the harness retries a server's start)."""
        for _attempt in range(3):
            proc = self.up()
            if proc.returncode == 0 or "in use" not in proc.stderr:
                break
            self.pick_ports()
        assert proc.returncode == 0, proc
        return proc

    def status(self):
        return self.run("status", "--dir", self.dir)

    def down(self):
        return self.run("down", "--dir", self.dir, "--timeout", scaled(10))

    def state(self):
        return json.loads((self.dir / "cluster.json").read_text())

    def remember(self):
        try:
            for e in self.state()["processes"]:
                if "pid" in e:
                    self.recorded[e["pid"]] = e["starttime"]
        except (OSError, ValueError):
            pass

    def live(self):
        return [pid for pid, t in self.recorded.items() if starttime(pid) == t]

    def kill_all(self):
        """Teardown by PID, not by the script under test: SIGTERM, a bounded
        wait, SIGKILL."""
        self.remember()
        for sig, wait in ((signal.SIGTERM, scaled(10)), (signal.SIGKILL, scaled(5))):
            for pid in self.live():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while self.live() and time.monotonic() < deadline:
                time.sleep(0.02)

    def sanitizer_reports(self):
        return ["%s: %s" % (log.name, sanitizer_report(log.read_text(errors="replace")))
                for log in sorted(self.dir.glob("*.log"))
                if sanitizer_report(log.read_text(errors="replace"))]


@contextlib.contextmanager
def cluster_of(tmp_path, servers, replicas):
    """A Cluster (not yet up), torn down by PID however the test ends."""
    c = Cluster(tmp_path, servers, replicas)
    try:
        yield c
    finally:
        c.kill_all()
    assert not c.live(), "processes left after SIGKILL: %r" % c.live()
    assert not c.sanitizer_reports(), c.sanitizer_reports()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Three primaries with a replica each behind nutcracker, up once for
    the module's read-mostly tests."""
    with cluster_of(tmp_path_factory.mktemp("cl"), 3, 1) as c:
        c.up_output = c.up_ok().stdout
        yield c


@pytest.fixture
def fresh(tmp_path):
    """A Cluster of two primaries with a replica each, not yet up (its test
    says how)."""
    with cluster_of(tmp_path, 2, 1) as c:
        yield c


def roles(c):
    procs = c.state()["processes"]
    return ([e for e in procs if e["role"] == "primary"],
            [e for e in procs if e["role"] == "replica"],
            [e for e in procs if e["role"] == "proxy"])


def repl(port):
    with RawClient((HOST, port)) as c:
        return c.stats("replication")


def keys_on(port, keys):
    """Which of keys the server on port holds, read with one get each."""
    held = set()
    with RawClient((HOST, port)) as c:
        for k in keys:
            reply = c.request(b"get " + k + b"\r\n", b"END\r\n")
            if reply.startswith(b"VALUE "):
                held.add(k)
    return held


def assert_one_line_failure(proc, rc, words):
    assert proc.returncode == rc, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr


# ---------------------------------------------------------------------------
# a cluster up

def line_of(text, addr):
    """The table line of the process at addr (its second column)."""
    lines = [ln for ln in text.splitlines() if ln.split()[1:2] == [addr]]
    assert len(lines) == 1, (addr, text)
    return lines[0]


def test_up_prints_every_address_and_role(cluster):
    primaries, replicas, proxy = roles(cluster)
    assert [e["port"] for e in primaries] == [cluster.base + i for i in range(3)]
    assert [e["port"] for e in replicas] == [cluster.base + 3 + i for i in range(3)]
    assert [e["port"] for e in proxy] == [cluster.proxy]
    out = cluster.up_output
    for e in primaries + replicas + proxy:
        line = line_of(out, "%s:%d" % (HOST, e["port"]))
        assert line.split()[:3] == [e["role"], "%s:%d" % (HOST, e["port"]), "pid"], line
        assert line.split()[3] == str(e["pid"]), line
        if e["role"] == "replica":
            assert line.endswith("replica of " + e["primary"]), line
    # how to connect: the proxy with nc, the servers with mnemo-cli
    assert "nc -q1 %s %d" % (HOST, cluster.proxy) in out
    assert "--servers %s stats" % shards_of(cluster) in out


def shards_of(c):
    """The cluster as libmnemo's shards: primary=replica,..."""
    primaries, replicas, _ = roles(c)
    return ",".join("=".join(["%s:%d" % (HOST, p["port"])] +
                             ["%s:%d" % (HOST, r["port"]) for r in replicas
                              if r["primary"] == "%s:%d" % (HOST, p["port"])])
                    for p in primaries)


def test_mnemo_cli_finds_what_the_proxy_stored(cluster):
    """The command the script prints: mnemo-cli with nutcracker's placement
    over the shards reads what went in through the proxy, and digest finds
    every replica equal to its primary."""
    keys = varied_keys(b"mc:", 40)
    with RawClient((HOST, cluster.proxy)) as c:
        for k in keys:
            c.call(b"set %s 0 0 2\r\nv%s\r\n" % (k, k[-1:]), b"STORED\r\n")
    out = cluster.up_output
    assert "--distribution twemproxy --servers %s get" % shards_of(cluster) in out
    for k in keys:
        got = subprocess.run([CLI, "--distribution", "twemproxy", "--servers", shards_of(cluster),
                              "get", k.decode()], capture_output=True, timeout=scaled(30))
        assert got.returncode == 0 and got.stdout == b"v" + k[-1:], (k, got)
    primaries, replicas, _ = roles(cluster)
    for r in replicas:
        p = r["primary"]
        wait_until(lambda: repl(r["port"])["repl_offset"] ==
                   repl(int(p.rsplit(":", 1)[1]))["repl_offset"], 20, "replicas to catch up")
    dig = subprocess.run([CLI, "--servers", shards_of(cluster), "digest"], capture_output=True,
                         text=True, timeout=scaled(60))
    assert dig.returncode == 0, dig
    assert dig.stdout.count("same digest on all 2 servers") == len(primaries), dig.stdout


def test_status_shows_every_process_alive_and_links_up(cluster):
    st = cluster.status()
    assert st.returncode == 0, st
    primaries, replicas, proxy = roles(cluster)
    for e in primaries + proxy:
        assert line_of(st.stdout, "%s:%d" % (HOST, e["port"])).endswith(" alive")
    for e in replicas:
        line = line_of(st.stdout, "%s:%d" % (HOST, e["port"]))
        assert line.endswith(" alive, link up to " + e["primary"]), line


def test_up_again_is_refused_and_stops_nothing(cluster):
    again = cluster.run("up", "--dir", cluster.dir)
    assert_one_line_failure(again, 1, "already up")
    assert cluster.status().returncode == 0


def varied_keys(prefix, n):
    """n keys that differ all along, not only in a counter at the end:
    nutcracker's fnv1a_64 puts keys like "k:100".."k:199" on one server
    (seen here: 0, 100 and 200 of "cl:0".."cl:299" on the three), which
    would make "every primary gets some" a matter of luck."""
    return [prefix + hashlib.sha1(b"%d" % i).hexdigest()[:16].encode() for i in range(n)]


def test_keys_through_the_proxy_spread_over_the_primaries(cluster):
    keys = varied_keys(b"cl:", 300)
    with RawClient((HOST, cluster.proxy)) as c:
        for k in keys:
            c.call(b"set %s 3 0 %d\r\n%s\r\n" % (k, len(k) + 1, k + b"!"), b"STORED\r\n")
        for k in keys:
            c.call(b"get %s\r\n" % k, b"VALUE %s 3 %d\r\n%s!\r\nEND\r\n" % (k, len(k) + 1, k))
        # a multi-get nutcracker splits over the servers and joins again
        reply = c.request(b"get " + b" ".join(keys[:50]) + b"\r\n", b"END\r\n")
        assert reply.count(b"VALUE ") == 50, reply[:500]
    primaries, _, _ = roles(cluster)
    held = [keys_on(e["port"], keys) for e in primaries]
    assert all(held), [len(h) for h in held]  # every primary has some
    assert sum(len(h) for h in held) == len(keys)       # each key on exactly one
    assert set().union(*held) == set(keys)


def test_each_replica_holds_what_its_primary_holds(cluster):
    keys = varied_keys(b"rp:", 300)
    with RawClient((HOST, cluster.proxy)) as c:
        for k in keys:
            c.call(b"set %s 0 0 2\r\nok\r\n" % k, b"STORED\r\n")
    primaries, replicas, _ = roles(cluster)
    port_of = {"%s:%d" % (HOST, e["port"]): e["port"] for e in primaries}
    on_replicas = set()
    for r in replicas:
        p = port_of[r["primary"]]

        def caught_up():
            st = repl(r["port"])
            return (st.get("primary_link_status") == "up"
                    and st["repl_offset"] == repl(p)["repl_offset"])
        wait_until(caught_up, 20, "replica %d to catch up with %d" % (r["port"], p))
        cmp = subprocess.run([CLI, "compare", r["primary"], "%s:%d" % (HOST, r["port"])],
                             capture_output=True, text=True, timeout=scaled(60))
        assert cmp.returncode == 0, cmp
        held = keys_on(r["port"], keys)
        assert held == keys_on(p, keys)
        on_replicas |= held
    assert on_replicas == set(keys)


# ---------------------------------------------------------------------------
# down

def test_down_stops_every_pid_and_is_safe_twice(fresh):
    fresh.up_ok()
    pids = [e["pid"] for e in fresh.state()["processes"]]
    assert len(pids) == 5 and len(fresh.live()) == 5
    down = fresh.down()
    assert down.returncode == 0, down
    assert [p for p in pids if starttime(p) is not None] == []
    assert not (fresh.dir / "cluster.json").exists()
    assert running_in(fresh.dir) == []
    st = fresh.status()
    assert st.returncode == 1 and "no cluster" in st.stdout, st
    again = fresh.down()
    assert again.returncode == 0 and "nothing to stop" in again.stdout, again
    # and it comes up again in the same directory
    fresh.up_ok()
    assert fresh.down().returncode == 0


def test_status_exits_1_when_a_process_died(fresh):
    fresh.up_ok()
    _, replicas, _ = roles(fresh)
    os.kill(replicas[0]["pid"], signal.SIGKILL)
    wait_until(lambda: starttime(replicas[0]["pid"]) is None, 10, "the replica to die")
    st = fresh.status()
    assert st.returncode == 1 and "NOT RUNNING" in st.stdout, st
    # up refuses while the rest runs; down stops the rest
    assert_one_line_failure(fresh.up(), 1, "already up")
    assert fresh.down().returncode == 0
    assert fresh.live() == []


def test_up_over_a_cluster_that_died_without_down(fresh):
    # e.g. after a reboot: the state file names processes long gone
    fresh.up_ok()
    procs = fresh.state()["processes"]
    for e in procs:
        os.kill(e["pid"], signal.SIGKILL)
    wait_until(lambda: fresh.live() == [], 10, "every process to die")
    st = fresh.status()
    assert st.returncode == 1 and st.stdout.count("NOT RUNNING") == len(procs), st
    up = fresh.up()
    assert up.returncode == 0 and "note: " in up.stdout, up
    assert fresh.status().returncode == 0
    assert fresh.down().returncode == 0 and fresh.live() == []


# ---------------------------------------------------------------------------
# failures: one line, non-zero, nothing left running

@pytest.mark.parametrize("args, words", [
    (["--servers", "0"], "--servers 0"),
    (["--replicas", "-1"], "--replicas -1"),
    (["--servers", "three"], "invalid int value"),
    (["--memory", "0"], "--memory 0"),
    (["--timeout", "0"], "--timeout"),
    (["--frobnicate"], "unrecognized arguments"),
    (["--base-port", "65534"], "1..65535"),
    (["--proxy-port", "BASE+1"], "falls among the servers' ports"),
])
def test_bad_arguments(fresh, args, words):
    args = [str(fresh.base + 1) if a == "BASE+1" else a for a in args]
    proc = fresh.up(*args)
    assert_one_line_failure(proc, 2, words)
    assert not (fresh.dir / "cluster.json").exists()
    assert running_in(fresh.dir) == []


def test_bad_command(fresh):
    assert_one_line_failure(fresh.run("sideways"), 2, "invalid choice")


@pytest.mark.parametrize("flag", ["--mnemod", "--nutcracker"])
def test_missing_program(fresh, flag):
    proc = fresh.up(flag, str(fresh.dir / "no-such-program"))
    assert_one_line_failure(proc, 1, "not found")
    assert not (fresh.dir / "cluster.json").exists()
    assert running_in(fresh.dir) == []


def test_port_in_use(fresh):
    with socket.socket() as s:
        s.bind((HOST, fresh.base + 2))   # the first replica's port
        s.listen()
        proc = fresh.up()
    assert_one_line_failure(proc, 1, "%d on %s already in use" % (fresh.base + 2, HOST))
    assert running_in(fresh.dir) == []


def test_a_mnemod_that_cannot_start_leaves_nothing(fresh):
    proc = fresh.up("--mnemod-arg=-o", "--mnemod-arg=no_such_option=1")
    assert_one_line_failure(proc, 1, "no_such_option")
    assert not (fresh.dir / "cluster.json").exists()
    assert running_in(fresh.dir) == [] and fresh.live() == []


def test_nutcracker_that_fails_to_start_takes_the_mnemods_down(fresh):
    # nutcracker's stats port taken after the check would be a race; a
    # nutcracker that exits at once is the same case, seen from the script
    fake = fresh.dir.parent / "fake-nutcracker"
    fake.write_text("#!/bin/sh\necho 'nutcracker: cannot start' >&2\nexit 1\n")
    fake.chmod(0o755)
    proc = fresh.up("--nutcracker", fake)
    assert_one_line_failure(proc, 1, "cannot start")
    assert running_in(fresh.dir) == [] and fresh.live() == []
    assert not (fresh.dir / "cluster.json").exists()
