"""`mnemo-cli top` (issue 23): a live view of a pool, and `--once` for
scripts.

The --once tests drive a background load on one server while the other
stays idle and check the frame against itself and against the load: the
total row is the sum of the server rows, hit% is hits/(hits+misses) of the
row's own columns, every command the load sends shows a rate above 0 on the
loaded server and none on the idle one.  A server that does not answer is
exit 2 with its reason on stderr.  --hot-keys under a load whose hottest
keys are known ranks them first, in order.  The live view runs in a detached tmux
session (its own socket): the screen must show the header, the server and
a figure, `q` must end it with status 0, and a SIGTERM must leave the
terminal as it found it.
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import uuid

import pytest

from mnemo_harness import (IS_MEMCACHED, REPO, TIME_SCALE, Server, free_port, scaled,
                           wait_until)

BUILD = os.environ.get("MNEMO_BUILD_DIR", str(REPO / "build"))
CLI = os.path.join(BUILD, "mnemo-cli")
TMUX = shutil.which("tmux") or "/usr/bin/tmux"

RATES = ["get/s", "set/s", "del/s", "incr/s", "decr/s", "touch/s", "cas/s", "hit/s",
         "miss/s", "evict/s", "expd/s", "unfet/s"]


def cli(*args, timeout=30):
    """mnemo-cli with a -T that sanitizer builds can meet."""
    assert os.access(CLI, os.X_OK), "%s not built (set MNEMO_BUILD_DIR)" % CLI
    return subprocess.run([CLI, "-T", str(int(2000 * TIME_SCALE))] + list(args),
                          capture_output=True, text=True, timeout=scaled(timeout))


BYTE_UNITS = {"B": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}


def number(text):
    """A figure of the frame as a float: 12.5, 1234567 (rates); 512B, 1.5K,
    64.0M (bytes, binary units)."""
    if text == "-":
        return None
    m = re.fullmatch(r"([0-9.]+)([BKMGT]?)", text)
    assert m, "not a figure: %r" % text
    return float(m.group(1)) * BYTE_UNITS.get(m.group(2), 1)


def rounding(text):
    """How far a printed amount of bytes may be from the true one."""
    m = re.fullmatch(r"[0-9]+(\.[0-9])?([BKMGT])", text)
    assert m, "not an amount of bytes: %r" % text
    return 0.05 * BYTE_UNITS[m.group(2)] if m.group(1) else 0


def parse_frame(text):
    """{'header': line, 'rows': {name: {column: text}}, 'down': {name: reason},
    'footer': [lines]} from one frame."""
    lines = text.splitlines()
    assert lines[0].startswith("mnemo-cli top: "), text
    titles = lines[1].split()
    assert titles[:2] == ["server", "role"], lines[1]
    rows, down, footer = {}, {}, []
    for line in lines[2:]:
        if line.startswith("p50 p99 p99.9:"):  # the end of the table (hot keys follow)
            footer.append(line)
            break
        f = line.split()
        if len(f) > 1 and f[1] == "down:":
            down[f[0]] = line.split("down: ", 1)[1]
            continue
        if f[0] == "total":
            f.insert(1, "")          # the total has no role
        assert len(f) == len(titles), "row %r against titles %r" % (line, titles)
        rows[f[0]] = dict(zip(titles, f))
    return {"header": lines[0], "rows": rows, "down": down, "footer": footer}


TIME_UNITS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def nanoseconds(text):
    """A percentile of the frame in ns: 850ns, 4.10us, 12.3ms, 1.07s."""
    if text == "-":
        return None
    m = re.fullmatch(r"([0-9.]+)(ns|us|ms|s)", text)
    assert m, "not a time: %r" % text
    return float(m.group(1)) * TIME_UNITS[m.group(2)]


def close_to(a, b, digits):
    """Equal to the precision the frame prints (each figure rounded)."""
    return abs(a - b) <= digits


class Load(threading.Thread):
    """Every command top counts, pipelined on one connection, until stopped:
    a set, a get that hits and one that misses, incr, decr, touch, a
    delete that misses and a cas that fails on a stale cas."""

    BATCH = (b"set n 0 0 1\r\n5\r\nget n\r\nget absent\r\nincr n 1\r\ndecr n 1\r\n"
             b"touch n 0\r\ndelete absent\r\ncas n 0 0 1 1\r\n5\r\n")
    REPLIES = (b"STORED\r\nVALUE n 0 1\r\n5\r\nEND\r\nEND\r\n6\r\n5\r\nTOUCHED\r\n"
               b"NOT_FOUND\r\nEXISTS\r\n")

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.batches = 0
        self.error = None

    def run(self):
        try:
            with self.server.client() as c:
                while not self.stop.is_set():
                    c.call(self.BATCH, self.REPLIES)
                    self.batches += 1
        except Exception as e:  # reported by the test, not lost in the thread
            self.error = e

    def __enter__(self):
        self.start()
        wait_until(lambda: self.batches > 10 or self.error, 10, "the load to run")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(scaled(10))
        assert not self.is_alive(), "the load thread did not stop"
        assert self.error is None, self.error


def test_once_two_servers_under_load(server_factory):
    busy, idle = server_factory(), server_factory()
    with Load(busy):
        r = cli("--servers", "%s,%s" % (busy.addr, idle.addr), "top", "--once")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    frame = parse_frame(r.stdout)
    assert "2 servers, 2 answering, every 1.0 s" in frame["header"]
    assert frame["down"] == {}
    b, i, t = (frame["rows"][n] for n in (busy.addr, idle.addr, "total"))

    # every command the load sends moves; nothing evicts or expires
    for col in ["get/s", "set/s", "del/s", "incr/s", "decr/s", "touch/s", "cas/s", "hit/s",
                "miss/s"]:
        assert number(b[col]) > 0, (col, b)
    for col in ["evict/s", "expd/s", "unfet/s"]:
        assert number(b[col]) == 0, (col, b)
    # one hit and one miss per batch: the ratio is near 50%, and it is the
    # frame's own hits/(hits+misses)
    hits, misses = number(b["hit/s"]), number(b["miss/s"])
    assert abs(number(b["hit%"]) - 100 * hits / (hits + misses)) <= 0.1, b
    assert 45 <= number(b["hit%"]) <= 55, b
    # a get per hit or miss: cmd_get is their sum, to the rounding and to a
    # get or two per sample (stats reads a worker's counters one after the
    # other while it serves: cmd_get may be read before a get that is then
    # in get_hits)
    assert close_to(number(b["get/s"]), hits + misses, 0.2 + 4), b

    # the idle server: no request at all (top's own stats count as none)
    for col in RATES:
        assert number(i[col]) == 0, (col, i)
    assert i["hit%"] == "-"
    assert i["role"] == "-" and b["role"] == "-"
    assert int(i["conns"]) >= 1 and int(b["conns"]) >= 2   # top; top and the load

    # the total is the sum of the rows
    for col in RATES:
        assert close_to(number(t[col]), number(b[col]) + number(i[col]), 0.2), (col, t)
    for col in ["conns", "items"]:
        assert int(t[col]) == int(b[col]) + int(i[col]), (col, t)
    assert number(t["limit"]) == number(b["limit"]) + number(i["limit"]) == 128 * 1024 ** 2
    assert abs(number(t["hit%"]) - 100 * number(t["hit/s"]) /
               (number(t["hit/s"]) + number(t["miss/s"]))) <= 0.1, t
    # percentiles of the busy server's service times, in order; the idle
    # one ran no data command (top's own stats are not counted)
    if IS_MEMCACHED:
        assert [b[q] for q in QUANTILES] == ["-"] * 3, b
    else:
        p50, p99, p999 = (nanoseconds(b[q]) for q in QUANTILES)
        assert 0 < p50 <= p99 <= p999 < 1e9, b
    assert [i[q] for q in QUANTILES] == ["-"] * 3, i
    assert [t[q] for q in QUANTILES] == [b[q] for q in QUANTILES], t  # the busy one's alone
    assert frame["footer"][0].startswith("p50 p99 p99.9: time a request took inside the server")


QUANTILES = ["p50", "p99", "p99.9"]


def test_once_memory_and_evictions(server_factory):
    """A 2 MB server filled with 10 KB values: it evicts while the load runs,
    and used, items and bytes per item agree with its stats."""
    srv = server_factory("-m", "2")
    value = b"v" * 10000
    stop = threading.Event()
    errors = []

    def fill():
        try:
            with srv.client() as c:
                n = 0
                while not stop.is_set():
                    c.call(b"set f%d 0 0 %d\r\n%s\r\n" % (n, len(value), value),
                           b"STORED\r\n")
                    n += 1
        except Exception as e:  # reported by the test, not lost in the thread
            errors.append(e)

    th = threading.Thread(target=fill, daemon=True)
    th.start()
    try:
        wait_until(lambda: int(srv.stats()["evictions"]) > 0, 10, "the first eviction")
        r = cli("--servers", srv.addr, "top", "--once", "--interval", "500")
    finally:
        stop.set()
        th.join(scaled(10))
    assert errors == [] and not th.is_alive(), errors
    assert r.returncode == 0, r.stderr
    frame = parse_frame(r.stdout)
    assert "1 server, 1 answering, every 0.5 s" in frame["header"]
    assert "total" not in frame["rows"]     # one server: no total line
    row = frame["rows"][srv.addr]
    assert number(row["evict/s"]) > 0 and number(row["set/s"]) > 0, row
    assert row["limit"] == "2.0M"
    used, items = number(row["used"]), int(row["items"])
    assert items > 0
    # used is printed to 0.1 of its unit, B/item to the byte: they agree
    assert abs(int(row["B/item"]) * items - used) <= rounding(row["used"]) + items / 2, row
    assert int(row["B/item"]) >= len(value), row
    assert abs(number(row["mem%"]) - 100 * used / (2 * 1024 ** 2)) <= 2.6, row


def test_once_server_not_answering(server_factory):
    alive = server_factory()
    dead = "127.0.0.1:%d" % free_port()     # nothing listens there
    r = cli("--servers", "%s,%s" % (alive.addr, dead), "top", "--once", "--interval", "200")
    assert r.returncode == 2
    assert "mnemo-cli: top %s: cannot connect to server" % dead in r.stderr, r.stderr
    frame = parse_frame(r.stdout)           # the others are still shown
    assert "2 servers, 1 answering" in frame["header"]
    assert frame["down"] == {dead: "cannot connect to server"}
    assert number(frame["rows"][alive.addr]["get/s"]) == 0
    # the total is the answering servers'
    assert frame["rows"]["total"]["conns"] == frame["rows"][alive.addr]["conns"]


@pytest.mark.skipif(IS_MEMCACHED, reason="roles come from mnemod's stats replication")
def test_once_roles(server_factory):
    """A shard primary=replica shows both roles; a server alone shows none."""
    primary = server_factory()
    replica = server_factory("-o", "replica_of=127.0.0.1:%d" % primary.port)
    alone = server_factory()
    wait_until(lambda: replica.stats("replication").get("primary_link_status") == "up", 10,
               "the replica's link")
    r = cli("--servers", "%s=%s,%s" % (primary.addr, replica.addr, alone.addr), "top",
            "--once", "--interval", "200")
    assert r.returncode == 0, r.stderr
    rows = parse_frame(r.stdout)["rows"]
    assert rows[primary.addr]["role"] == "primary"
    assert rows[replica.addr]["role"] == "replica"
    assert rows[alone.addr]["role"] == "-"


class ZipfLoad(Load):
    """Pipelined gets of 100 keys: hot0 half of them, hot1 a quarter, hot2
    an eighth, the rest spread over hot3..hot99."""

    def __init__(self, server, auth=None):
        super().__init__(server)
        self.auth = auth

    def run(self):
        import random
        rnd = random.Random(23)
        try:
            with self.server.client() as c:
                if self.auth:
                    token = ("%s %s" % self.auth).encode()
                    c.call(b"set auth 0 0 %d\r\n%s\r\n" % (len(token), token), b"STORED\r\n")
                c.send(b"".join(b"set hot%d 0 0 1\r\nx\r\n" % i for i in range(100)))
                c.expect(b"STORED\r\n" * 100)
                while not self.stop.is_set():
                    keys = []
                    for _ in range(50):
                        r = rnd.random()
                        keys.append(0 if r < .5 else 1 if r < .75 else 2 if r < .875
                                    else rnd.randrange(3, 100))
                    c.send(b"".join(b"get hot%d\r\n" % k for k in keys))
                    c.expect(b"".join(b"VALUE hot%d 0 1\r\nx\r\nEND\r\n" % k for k in keys))
                    self.batches += 1
        except Exception as e:
            self.error = e


def hot_keys(text):
    """The hot-key lines of a frame: [(fetches/s, server, key)]."""
    lines = text.splitlines()
    at = [i for i, ln in enumerate(lines) if ln.startswith("hot keys:")]
    assert len(at) == 1, text
    out = []
    for ln in lines[at[0] + 1:]:
        rate, server, key = ln.split()
        out.append((float(rate), server, key))
    return lines[at[0]], out


@pytest.mark.skipif(IS_MEMCACHED, reason="mnemod's watch fetchers")
def test_once_hot_keys(server_factory):
    """The known hottest keys come first, in order, at rates in proportion;
    the idle server has none; the watchers are gone once top is."""
    busy, idle = server_factory(), server_factory()
    with ZipfLoad(busy):
        r = cli("--servers", "%s,%s" % (busy.addr, idle.addr), "top", "--once", "--hot-keys",
                "--sample", "300")
        # a window as long as the interval closes with it
        whole = cli("--servers", busy.addr, "top", "--once", "--hot-keys", "--interval", "300",
                    "--sample", "300")
    assert r.returncode == 0, r.stderr
    title, keys = hot_keys(r.stdout)
    assert title == "hot keys: fetches/s seen by watch fetchers in 300 ms of every 1.0 s"
    assert 4 <= len(keys) <= 10, keys
    assert [k for _, _, k in keys[:3]] == ["hot0", "hot1", "hot2"], keys
    assert all(server == busy.addr for _, server, _ in keys), keys
    rates = [rate for rate, _, _ in keys]
    assert rates == sorted(rates, reverse=True), keys
    assert 1.4 <= rates[0] / rates[1] <= 2.8 and 1.4 <= rates[1] / rates[2] <= 2.8, keys
    assert rates[2] > 3 * rates[3], keys
    assert whole.returncode == 0, whole.stderr
    title, keys = hot_keys(whole.stdout)
    assert title == "hot keys: fetches/s seen by watch fetchers in 300 ms of every 0.3 s"
    assert [k for _, _, k in keys[:3]] == ["hot0", "hot1", "hot2"], keys
    # top hung up at the window's end; a server drops a watcher that has
    # gone at its next line for it (src/server/watch.c), so each poll sends
    # a get first (the idle server has no other)
    def watchers_gone(srv):
        with srv.client() as c:
            c.call(b"get nothing\r\n", b"END\r\n")
            return c.stats()["log_watchers"] == "0"
    for srv in (busy, idle):
        wait_until(lambda: watchers_gone(srv), 10, "the watchers of %s to go" % srv.addr)
    # without --hot-keys nothing is watched and nothing is said about keys
    r = cli("--servers", busy.addr, "top", "--once", "--interval", "100")
    assert r.returncode == 0 and "hot keys" not in r.stdout, r.stdout


class AuthServer(Server):
    """mnemod with -Y: ready once it refuses an unauthenticated version."""
    ready_reply = b"CLIENT_ERROR unauthenticated\r\n"


@pytest.mark.skipif(IS_MEMCACHED, reason="the harness starts mnemod with -Y")
def test_once_auth_file(server_factory, tmp_path):
    users = tmp_path / "users"
    users.write_text("ops:s3cret\n")
    srv = AuthServer(["-Y", str(users)], server_factory.workdir, name="auth")
    server_factory.servers.append(srv)      # stopped and checked at teardown
    srv.start()
    creds = tmp_path / "creds"
    creds.write_text("ops:s3cret\n")
    with ZipfLoad(srv, auth=("ops", "s3cret")):
        r = cli("--servers", srv.addr, "--auth-file", str(creds), "top", "--once", "--interval",
                "200", "--hot-keys", "--sample", "100")
    assert r.returncode == 0, r.stderr
    assert number(parse_frame(r.stdout)["rows"][srv.addr]["get/s"]) > 0
    assert hot_keys(r.stdout)[1][0][2] == "hot0"     # the watch connection logged in too
    creds.write_text("ops:wrong\n")
    r = cli("--servers", srv.addr, "--auth-file", str(creds), "top", "--once", "--interval", "200")
    assert r.returncode == 2
    assert "mnemo-cli: top %s: authentication failed" % srv.addr in r.stderr, r.stderr
    down = parse_frame(r.stdout)["down"]
    assert list(down) == [srv.addr] and down[srv.addr].startswith("authentication failed"), down


def test_bad_options():
    for args in (["--interval", "5"], ["--interval"], ["--bogus"], ["--sample", "100"],
                 ["--hot-keys", "--sample", "1001"], ["--hot-keys", "--sample", "x"]):
        r = cli("--servers", "127.0.0.1:1", "top", *args)
        assert r.returncode == 2, args
        assert "usage: top [--once] [--interval MS] [--hot-keys [--sample MS]]" in r.stderr, \
            r.stderr


# ---------------------------------------------------------------------------
# the live view, in tmux

class Tmux:
    """A detached tmux server on a socket of its own, always killed."""

    def __init__(self, tmp_path):
        self.sock = "mnemo-top-%s" % uuid.uuid4().hex[:12]
        self.tmp = tmp_path

    def run(self, *args, check=True):
        return subprocess.run([TMUX, "-L", self.sock, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, timeout=scaled(10), check=check)

    def start(self, command):
        self.run("new-session", "-d", "-s", "top", "-x", "200", "-y", "50", command)

    def screen(self):
        r = self.run("capture-pane", "-p", "-t", "top", check=False)
        return r.stdout if r.returncode == 0 else ""

    def alive(self):
        return self.run("has-session", "-t", "top", check=False).returncode == 0

    def pane_pid(self):
        return int(self.run("list-panes", "-t", "top", "-F", "#{pane_pid}").stdout.split()[0])

    def kill(self):
        self.run("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path):
    if not os.access(TMUX, os.X_OK):
        pytest.fail("tmux is needed (scripts/install-deps.sh test)")
    t = Tmux(tmp_path)
    try:
        yield t
    finally:
        t.kill()


def live_command(tmp_path, servers, timeout_ms=2000):
    """top in the pane, then its status and the terminal's modes into files
    (the pane closes when this shell ends)."""
    rc, modes = tmp_path / "rc", tmp_path / "modes"
    cmd = ("%s -T %d --servers %s top; echo $? > %s.tmp; mv %s.tmp %s; stty -a > %s"
           % (CLI, int(timeout_ms * TIME_SCALE), servers, rc, rc, rc, modes))
    return "sh -c '%s'" % cmd, rc, modes


def screen_shows(tmux, addr):
    """The header, the server's row with a figure, and a rate: the frame
    after the second sample."""
    text = tmux.screen()
    row = [ln for ln in text.splitlines() if ln.startswith(addr)]
    return ("mnemo-cli top: 1 server, 1 answering" in text and "q quits" in text and row
            and re.search(r"\s\d+\.\d\s", row[0]) and text)


@pytest.mark.skipif(IS_MEMCACHED, reason="the live view is tried once, against mnemod")
def test_live_view_quits_on_q(server_factory, tmux, tmp_path):
    srv = server_factory()
    command, rc, _modes = live_command(tmp_path, srv.addr)
    tmux.start(command)
    screen = wait_until(lambda: screen_shows(tmux, srv.addr), 15, "the live view's figures")
    assert "get/s" in screen and "hit%" in screen and "p99.9" in screen
    tmux.run("send-keys", "-t", "top", "q")
    wait_until(lambda: not tmux.alive(), 10, "top to quit on q and the pane to close")
    assert rc.read_text().strip() == "0"


@pytest.mark.skipif(IS_MEMCACHED, reason="the live view is tried once, against mnemod")
def test_live_view_sigterm_restores_terminal(server_factory, tmux, tmp_path):
    srv = server_factory()
    command, rc, modes = live_command(tmp_path, srv.addr)
    tmux.start(command)
    wait_until(lambda: screen_shows(tmux, srv.addr), 15, "the live view's figures")
    shell = tmux.pane_pid()
    children = subprocess.run(["pgrep", "-P", str(shell)], capture_output=True,
                              text=True).stdout.split()
    assert len(children) == 1, children
    os.kill(int(children[0]), 15)
    wait_until(lambda: not tmux.alive(), 10, "top to end on SIGTERM and the pane to close")
    assert rc.read_text().strip() == "143"   # ended by SIGTERM, after restoring
    flags = modes.read_text().split()
    assert "icanon" in flags and "echo" in flags, flags


@pytest.mark.skipif(IS_MEMCACHED, reason="the live view is tried once, against mnemod")
def test_live_view_quits_while_a_server_hangs(server_factory, tmux, tmp_path):
    """q ends top at once while a sample waits for a server that accepted
    the connection and never answers (its requests still in flight)."""
    srv = server_factory()
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)                      # the kernel accepts; nobody reads
        hung = "127.0.0.1:%d" % mute.getsockname()[1]
        command, rc, _modes = live_command(tmp_path, "%s,%s" % (srv.addr, hung),
                                           timeout_ms=600000)
        tmux.start(command)
        wait_until(lambda: tmux.run("display-message", "-p", "-t", "top",
                                    "#{alternate_on}").stdout.strip() == "1", 15,
                   "top to take the terminal")
        tmux.run("send-keys", "-t", "top", "q")
        wait_until(lambda: not tmux.alive(), 10, "top to quit on q mid-sample")
    assert rc.read_text().strip() == "0"
