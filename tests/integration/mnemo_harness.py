"""Helpers for the mnemo integration suite: server processes, a raw
byte-level client with deadlines, stats parsing.

The suite runs against one of two servers, picked by the environment:

  MNEMO_TEST_SERVER=memcached   /usr/bin/memcached (the reference, 1.6.18)
  (default)                     $MNEMOD, or <repo>/build/mnemod

Both take memcached's command-line flags.  Every server is started on a free
loopback port, waited for (bounded), and always stopped by PID.  After a stop,
Server.problems() lists a sanitizer report on stderr or a non-zero exit.

Tests import from here (not from conftest: other suites below this directory
have their own conftest.py, and "conftest" is not a unique module name).
"""

import os
import random
import shlex
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SERVER_KIND = ("memcached"
               if os.environ.get("MNEMO_TEST_SERVER", "").strip() == "memcached"
               else "mnemod")
IS_MEMCACHED = SERVER_KIND == "memcached"
MEMCACHED_BIN = "/usr/bin/memcached"
SERVER_BIN = (MEMCACHED_BIN if IS_MEMCACHED
              else os.environ.get("MNEMOD", str(REPO / "build" / "mnemod")))

# Sanitizer builds are several times slower: stretch every bound, never
# loosen an assertion.  MNEMO_TEST_TIME_SCALE=3 for ASan runs, for example.
TIME_SCALE = float(os.environ.get("MNEMO_TEST_TIME_SCALE", "1"))
DEFAULT_TEST_TIMEOUT = 60.0      # seconds per test, scaled
IO_TIMEOUT = 10.0 * TIME_SCALE   # default deadline of one read
START_TIMEOUT = 10.0 * TIME_SCALE
STOP_TIMEOUT = 10.0 * TIME_SCALE

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "runtime error:",            # UBSan
    "LeakSanitizer",
    "ERROR: ThreadSanitizer",
    "WARNING: ThreadSanitizer",
)

# Tests where mnemo deliberately differs from memcached 1.6.18 are marked
# with this; keep the list tiny.
mnemod_only = pytest.mark.skipif(
    IS_MEMCACHED, reason="mnemod-only: memcached 1.6.18 behaves differently here")


# curr_connections when only the asking client is connected (both servers,
# as the harness starts them).
ALONE = 1


def wait_for_connections(client, want):
    """Poll curr_connections until it is exactly `want`: a client's close is
    counted when the server's worker handles it, not when close() returns,
    so a count read right after a close may still include it."""
    deadline = time.monotonic() + scaled(5)
    while True:
        now = int(client.stats()["curr_connections"])
        if now == want:
            return
        assert time.monotonic() < deadline, "curr_connections %d, want %d" % (now, want)
        time.sleep(0.01)


def scaled(seconds):
    return seconds * TIME_SCALE


# ---------------------------------------------------------------------------
# server processes

# Ports for servers come from 10000-31999, below the kernel's ephemeral range
# (32768 and up by default), so no client's outgoing connection takes a port
# between its pick and the server's bind.  The suite runs in several pytest-xdist
# workers at once (make test): each worker owns a slice of the range, so two
# workers never hand out the same port.
PORT_RANGE = (10000, 32000)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_WORKERS = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
_WORKER_INDEX = int(_WORKER[2:]) if _WORKER[2:].isdigit() else 0
_SLICE = (PORT_RANGE[1] - PORT_RANGE[0]) // _WORKERS
_SLICE_START = PORT_RANGE[0] + (_WORKER_INDEX % _WORKERS) * _SLICE
_port_rng = random.Random()


def port_is_free(port):
    """Nothing has the port bound for TCP or UDP, nor holds it in TIME_WAIT."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_ports(n):
    """A base port B with B..B+n-1 all free for TCP and UDP, from this worker's
    slice.  A random pick (not the next in turn) keeps two independent suites run
    side by side by hand mostly apart, as the kernel's own random pick did."""
    for _ in range(1000):
        base = _SLICE_START + _port_rng.randrange(_SLICE - n + 1)
        if all(port_is_free(p) for p in range(base, base + n)):
            return base
    raise AssertionError("no %d free ports together in %d-%d"
                         % (n, _SLICE_START, _SLICE_START + _SLICE - 1))


def free_port():
    return free_ports(1)


def base_command(binary=None):
    """argv prefix common to every start: binary plus the memcached-only
    -u root that memcached insists on when run as root."""
    binary = binary or SERVER_BIN
    if not os.access(binary, os.X_OK):
        raise AssertionError(
            "server binary %s not found or not executable: build it, set MNEMOD=<path>, "
            "or run against the reference with MNEMO_TEST_SERVER=memcached" % binary)
    argv = [binary]
    if IS_MEMCACHED and os.geteuid() == 0:
        argv += ["-u", "root"]
    if not IS_MEMCACHED:
        # e.g. MNEMOD_EXTRA_ARGS="-o io_uring=off" runs the suite on epoll
        argv += shlex.split(os.environ.get("MNEMOD_EXTRA_ARGS", ""))
    return argv


def sanitizer_report(text):
    return [m for m in SANITIZER_MARKERS if m in text]


class Server:
    """One server process.  host/port (or unix_path) say where it listens."""

    ready_poll = 0.05   # seconds between 'version' probes while starting
    ready_reply = b"VERSION "  # how the answer to 'version' starts once it serves

    def __init__(self, flags, workdir, unix=False, name="server"):
        self.flags = list(flags)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.host = "127.0.0.1"
        self.port = None
        self.unix_path = str(self.workdir / ("%s.sock" % name)) if unix else None
        self.proc = None
        self.stderr_path = self.workdir / ("%s.stderr" % name)
        self.stdout_path = self.workdir / ("%s.stdout" % name)
        self.argv = None
        self.killed = False
        self.stopped_rc = None

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        last_err = ""
        for _attempt in range(5):
            if self.unix_path:
                listen = ["-s", self.unix_path]
                try:
                    os.unlink(self.unix_path)
                except FileNotFoundError:
                    pass
            else:
                self.port = free_port()
                listen = ["-p", str(self.port), "-l", self.host]
            self.argv = base_command() + listen + ["-U", "0"] + self.flags
            self._spawn()
            if self._wait_ready():
                return self
            rc = self.proc.poll()
            last_err = self.stderr_text()
            if rc is None:
                self._kill()
                raise AssertionError("server did not answer 'version' within %.0fs: %r\n%s"
                                     % (START_TIMEOUT, self.argv, last_err))
            if "in use" not in last_err:
                break
        raise AssertionError("server failed to start (rc=%r): %r\n%s"
                             % (self.proc.returncode, self.argv, last_err))

    def _spawn(self):
        self.killed = False
        self.stopped_rc = None
        with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd=self.workdir)

    def connect_socket(self, timeout=IO_TIMEOUT):
        if self.unix_path:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(self.unix_path)
            except OSError:
                s.close()
                raise
            return s
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with self.connect_socket(timeout=1.0) as s:
                    s.sendall(b"version\r\n")
                    buf = b""
                    while not buf.endswith(b"\r\n"):
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        buf += chunk
                    if buf.startswith(self.ready_reply):
                        return True
            except OSError:
                pass
            time.sleep(self.ready_poll)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _kill(self):
        if self.proc.poll() is None:
            self.killed = True
            self.proc.kill()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def stop(self):
        """SIGTERM, bounded wait, SIGKILL.  Returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
        if self.stopped_rc is None:
            self.stopped_rc = self.proc.returncode
        return self.proc.returncode

    def stderr_text(self):
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def problems(self):
        """What is wrong with how this server ended (after stop())."""
        out = []
        text = self.stderr_text()
        found = sanitizer_report(text)
        if found:
            out.append("sanitizer report %s in stderr" % found)
        if self.killed:
            out.append("server did not exit within %.0fs of SIGTERM and was killed"
                       % STOP_TIMEOUT)
        elif self.proc is not None and self.proc.returncode not in (0, None):
            out.append("server exited with status %r" % self.proc.returncode)
        if out:
            out.append("argv: %r" % (self.argv,))
            out.append("stderr (last 4000 chars):\n" + text[-4000:])
        return out

    # -- convenience -------------------------------------------------------
    def client(self, timeout=IO_TIMEOUT):
        return RawClient(self, timeout=timeout)

    def stats(self, arg=""):
        with self.client() as c:
            return c.stats(arg)

    @property
    def addr(self):
        return self.unix_path or ("%s:%d" % (self.host, self.port))


class ServerFactory:
    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.servers = []

    def __call__(self, *flags, unix=False):
        """Start a server with extra flags (strings), wait until it answers."""
        srv = Server([str(f) for f in flags], self.workdir, unix=unix,
                     name="server%d" % len(self.servers))
        self.servers.append(srv)
        return srv.start()

    def finish(self):
        problems = []
        for srv in self.servers:
            srv.stop()
            for p in srv.problems():
                problems.append("%s: %s" % (srv.name, p))
            if isinstance(srv, PersistServer):
                srv.remove_tail()
        return problems


# ---------------------------------------------------------------------------
# raw client

class RawClient:
    """Byte-level client: every read has a deadline."""

    def __init__(self, server_or_addr, timeout=IO_TIMEOUT):
        if isinstance(server_or_addr, Server):
            self.sock = server_or_addr.connect_socket(timeout)
        else:
            self.sock = socket.create_connection(server_or_addr, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) \
            if self.sock.family != socket.AF_UNIX else None
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Read once more into buf.  False on EOF/reset, raises on timeout."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(1 << 20)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def recv_until(self, terminator, timeout=None):
        """Bytes up to and including terminator (AssertionError on timeout/close)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while terminator not in self.buf:
            try:
                if not self._fill(deadline):
                    raise AssertionError("connection closed while waiting for %r; got %r"
                                         % (terminator, self.buf[:500]))
            except socket.timeout:
                raise AssertionError("timed out waiting for %r; got %r"
                                     % (terminator, self.buf[:500])) from None
        i = self.buf.index(terminator) + len(terminator)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def recv_exact(self, n, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            try:
                if not self._fill(deadline):
                    raise AssertionError("connection closed after %d of %d bytes: %r"
                                         % (len(self.buf), n, self.buf[:500]))
            except socket.timeout:
                raise AssertionError("timed out after %d of %d bytes: %r"
                                     % (len(self.buf), n, self.buf[:500])) from None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_line(self, timeout=None):
        return self.recv_until(b"\r\n", timeout)

    def expect(self, expected, timeout=None):
        """Read exactly len(expected) bytes and assert they are expected."""
        got = self._recv_prefix(expected, timeout)
        assert got == expected, "reply mismatch\n  expected %r\n  got      %r" % (
            expected[:2000], got[:2000])
        return got

    def _recv_prefix(self, expected, timeout):
        # Stop early on a mismatch so the assertion shows the divergence
        # instead of a timeout.
        deadline = time.monotonic() + (timeout or self.timeout)
        n = len(expected)
        while len(self.buf) < n and expected.startswith(self.buf):
            try:
                if not self._fill(deadline):
                    break
            except socket.timeout:
                break
        if len(self.buf) >= n:
            out, self.buf = self.buf[:n], self.buf[n:]
        else:
            # Short or divergent: take everything, plus a bit more if it comes
            # quickly, so the failure message is informative.
            out, self.buf = self.buf, b""
        return out

    def call(self, request, expected, timeout=None):
        """Send request, assert the reply bytes equal expected exactly."""
        self.send(request)
        return self.expect(expected, timeout)

    def request(self, request, terminator=b"\r\n", timeout=None):
        self.send(request)
        return self.recv_until(terminator, timeout)

    def assert_closed(self, timeout=None):
        """Wait until the server closes; return whatever it sent first."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while self._fill(deadline):
                pass
        except socket.timeout:
            raise AssertionError("connection still open; got %r" % self.buf[:500]) from None
        out, self.buf = self.buf, b""
        return out

    def assert_nothing_pending(self, wait=0.1):
        """Nothing more arrives within a short wait (can only miss a bug,
        never fail a correct server)."""
        deadline = time.monotonic() + wait
        try:
            while self._fill(deadline):
                pass
        except socket.timeout:
            pass
        assert self.buf == b"", "unexpected extra bytes: %r" % self.buf[:500]

    def stats(self, arg=""):
        cmd = b"stats" + ((b" " + arg.encode()) if arg else b"") + b"\r\n"
        self.send(cmd)
        return parse_stats(self.recv_until(b"END\r\n"))

    def version(self):
        line = self.request(b"version\r\n")
        assert line.startswith(b"VERSION "), line
        return line


def parse_stats(blob):
    """'STAT name value' lines up to END into a dict of str -> str."""
    out = {}
    lines = blob.split(b"\r\n")
    assert lines[-2:] == [b"END", b""], blob[-200:]
    for line in lines[:-2]:
        assert line.startswith(b"STAT "), line
        parts = line.decode("latin1").split(" ", 2)
        out[parts[1]] = parts[2] if len(parts) > 2 else ""
    return out


def stat_delta(before, after, names):
    return {n: int(after[n]) - int(before[n]) for n in names}


def make_sasldb(conf, user="alice", password=b"secret"):
    """A SASL_CONF_PATH directory conf for the service memcached: PLAIN, and
    a sasldb made by saslpasswd2 holding user, readable by any -u user.
    Returns the environment entry that points a server at it."""
    import shutil
    if shutil.which("saslpasswd2") is None:
        pytest.fail("saslpasswd2 is missing: apt-get install sasl2-bin (scripts/install-deps.sh test)")
    conf.mkdir()
    db = conf / "sasldb2"
    (conf / "memcached.conf").write_text("mech_list: plain\nsasldb_path: %s\n" % db)
    subprocess.run(["saslpasswd2", "-p", "-a", "memcached", "-f", str(db), "-c", user],
                   input=password, check=True, timeout=scaled(20))
    db.chmod(0o644)
    return {"SASL_CONF_PATH": str(conf)}


# ---------------------------------------------------------------------------
# persistence (issue 19): a server on a persist_dir, killed and restarted

def wait_until(predicate, limit, what):
    """Poll predicate() (truthy ends the wait) for at most `limit` scaled
    seconds; return its value or fail naming `what`."""
    deadline = time.monotonic() + scaled(limit)
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out after %.1fs waiting for %s" % (
            scaled(limit), what)
        time.sleep(0.01)


def wait_answering(proc, port, what="mnemod", limit=20):
    """Wait until a process started outside the Server class (proc, a Popen)
    answers `version` on 127.0.0.1:port; fail at once if it exits."""
    def answers():
        assert proc.poll() is None, "%s exited (status %s)" % (what, proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"version\r\n")
                return s.recv(64).startswith(b"VERSION ")
        except OSError:
            return False
    wait_until(answers, limit, "%s to answer" % what)


def tail_ring(persist_dir):
    """Where mnemod keeps the append log's tail for persist_dir in shared
    memory (src/persist/tailring.c): named by the directory's device and
    inode; in the directory itself where /dev/shm takes none."""
    st = os.stat(persist_dir)
    return [Path("/dev/shm/mnemo-tail-%x-%x" % (st.st_dev, st.st_ino)),
            Path(persist_dir) / "tail.ring"]


class PersistServer(Server):
    """mnemod with -o persist_dir=DIR (plus more -o options): kill9() it and
    start() it again on the same directory.  Each run appends to the same
    stderr file; run_stderr() is the current run's part."""

    ready_poll = 0.005   # the fault tests start mnemod hundreds of times

    def __init__(self, persist_dir, options, flags, workdir, name, preexec_fn=None):
        self.persist_dir = Path(persist_dir)
        opts = ",".join(["persist_dir=%s" % self.persist_dir] + list(options))
        super().__init__(["-o", opts] + list(flags), workdir, name=name)
        self.preexec_fn = preexec_fn
        self.run_offset = 0
        self.kill9ed = False

    def _spawn(self):
        self.kill9ed = False
        self.killed = False
        self.stopped_rc = None
        self.run_offset = self.stderr_path.stat().st_size if self.stderr_path.exists() else 0
        with open(self.stderr_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, cwd=self.workdir,
                                         preexec_fn=self.preexec_fn)

    def run_stderr(self):
        with open(self.stderr_path, "rb") as f:
            f.seek(self.run_offset)
            return f.read().decode(errors="replace")

    def start(self):
        """Start (again) and wait until it answers.  Retries only when the
        port was taken meanwhile, never on a busy persist_dir."""
        for _attempt in range(5):
            if self.try_start():
                return self
            if "Address already in use" not in self.run_stderr():
                break
        raise AssertionError("server failed to start (rc=%r): %r\n%s"
                             % (self.proc.returncode, self.argv, self.run_stderr()[-4000:]))

    def try_start(self):
        """Spawn on a fresh port; True once it answers, False if it exited
        (self.proc.returncode says how).  Fails if it neither answers nor
        exits in time."""
        self.port = free_port()
        self.argv = base_command() + ["-p", str(self.port), "-l", self.host, "-U", "0"] \
            + self.flags
        self._spawn()
        if self._wait_ready():
            return True
        if self.proc.poll() is None:
            self._kill()
            raise AssertionError("server neither answered nor exited within %.0fs: %r\n%s"
                                 % (START_TIMEOUT, self.argv, self.run_stderr()[-4000:]))
        return False

    def kill9(self):
        """SIGKILL and reap: no snapshot, no flush, as a crash."""
        assert self.alive(), "server died before kill -9:\n" + self.run_stderr()[-3000:]
        self.proc.kill()
        self.proc.wait(STOP_TIMEOUT)
        self.kill9ed = True

    def restart(self):
        if self.alive():
            self.kill9()
        return self.start()

    def remove_tail(self):
        """A mnemod killed on a directory about to be removed leaves the log's
        tail in shared memory (until a mnemod starts on the directory
        again): a test's teardown takes it away."""
        if self.alive() or not self.persist_dir.is_dir():
            return
        for path in tail_ring(self.persist_dir):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    def problems(self):
        if self.kill9ed:
            # the last run was killed on purpose: only sanitizer reports count
            found = sanitizer_report(self.stderr_text())
            return ["sanitizer report %s in stderr" % found] if found else []
        return super().problems()

    def persistence(self):
        return self.stats("persistence")

    def wait_persist_stat(self, name, predicate, limit=10):
        """Poll `stats persistence` until predicate(int(value)) holds."""
        def check():
            v = int(self.persistence()[name])
            return predicate(v)
        return wait_until(check, limit, "stats persistence %s" % name)


def start_persist(factory, persist_dir, *options, flags=(), preexec_fn=None):
    """Start a PersistServer under a ServerFactory (stopped and checked at
    teardown like the factory's other servers)."""
    srv = PersistServer(persist_dir, options, [str(f) for f in flags], factory.workdir,
                        name="server%d" % len(factory.servers), preexec_fn=preexec_fn)
    factory.servers.append(srv)
    return srv.start()


# ---------------------------------------------------------------------------
# certificates for the TLS suites, made by each run with the openssl CLI
# (scripts/install-deps.sh test installs it), never committed

def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True,
                   timeout=scaled(60))


def make_ca(d, name):
    """d/NAME.crt and d/NAME.key: a self-signed CA."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
            "-keyout", name + ".key", "-out", name + ".crt", cwd=d)


def make_cert(d, name, ca, cn=None, ext=None):
    """d/NAME.crt and d/NAME.key signed by the CA d/CA; ext: an extension
    line ("subjectAltName=IP:127.0.0.1,DNS:localhost")."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + (cn or name),
            "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
    extra = []
    if ext:
        (d / (name + ".ext")).write_text(ext + "\n")
        extra = ["-extfile", name + ".ext"]
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
            "-CAcreateserial", "-days", "2", "-out", name + ".crt", *extra, cwd=d)
