"""Fixtures for the libmnemo / mnemo-cli suite: clusters of THREE cache servers.

The server binary comes from the environment:
  MNEMO_TEST_SERVER=memcached  -> /usr/bin/memcached (needs 1.6+ for the meta protocol)
  otherwise                    -> $MNEMOD, default <build>/mnemod
MNEMO_BUILD_DIR (default <repo>/build) holds mnemo-cli and tests/client_driver.

Servers run on free ports, are stopped by PID even when tests fail, and every
wait is bounded.  If the server does not speak the meta protocol ("mn" ->
"MN"), the whole suite is skipped with the reason.
"""
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from mnemo_harness import free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.environ.get("MNEMO_BUILD_DIR", os.path.join(REPO, "build"))
CLI = os.path.join(BUILD, "mnemo-cli")
DRIVER = os.path.join(BUILD, "tests", "client_driver")


def server_command(port):
    kind = os.environ.get("MNEMO_TEST_SERVER", "mnemod")
    if kind == "memcached":
        cmd = ["/usr/bin/memcached", "-U", "0", "-l", "127.0.0.1", "-p", str(port), "-m", "64"]
        if os.geteuid() == 0:  # memcached refuses to run as root without -u
            cmd += ["-u", pwd.getpwuid(0).pw_name]
    else:
        binary = os.environ.get("MNEMOD", os.path.join(BUILD, "mnemod"))
        cmd = [binary, "-l", "127.0.0.1", "-p", str(port)]
        cmd += os.environ.get("MNEMOD_EXTRA_ARGS", "").split()  # e.g. -o io_uring=off
    extra = os.environ.get("MNEMO_TEST_SERVER_ARGS")
    return cmd + (extra.split() if extra else [])


def wait_listening(port, proc, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def meta_request(port, data, timeout=2.0):
    """Send raw bytes, return what the server answers within timeout (until a
    terminal line for meta replies)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if out.endswith(b"\r\n") and not out.startswith(b"VA "):
                break
            if out.startswith(b"VA ") and out.count(b"\r\n") >= 2:
                break
        return out


class Server:
    def __init__(self, port):
        self.port = port
        self.proc = None
        self.log = None

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        cmd = server_command(self.port)
        if not os.path.exists(cmd[0]):
            pytest.skip("server binary %s not found" % cmd[0])
        logdir = os.path.join(tempfile.gettempdir(), "mnemo-client-it")
        os.makedirs(logdir, exist_ok=True)
        self.log = open(os.path.join(logdir, "server-%d.log" % self.port), "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not wait_listening(self.port, self.proc):
            self.stop()
            raise RuntimeError("server %s did not start: %s" % (self.addr, " ".join(cmd)))

    def kill(self):
        """Crash it (SIGKILL) and reap it."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
            # A killed process's io_uring is torn down by the kernel after
            # the process is reaped (a few ms later), and its sockets are
            # closed only then; give that time, as a crash test expects the
            # server's connections gone once it is dead.
            time.sleep(0.1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self.log:
            self.log.close()
            self.log = None

    def get(self, key):
        """The raw meta reply for key on this server alone (plain keys)."""
        return meta_request(self.port, b"mg " + key.encode() + b" v f t\r\n")


class Cluster:
    def __init__(self, n=3):
        self.servers = [Server(free_port()) for _ in range(n)]

    @property
    def spec(self):
        return ",".join(s.addr for s in self.servers)

    def start(self):
        for s in self.servers:
            s.start()
        reply = meta_request(self.servers[0].port, b"mn\r\n")
        if reply != b"MN\r\n":
            kind = os.environ.get("MNEMO_TEST_SERVER", "mnemod")
            self.stop()
            pytest.skip("server %r does not speak the meta protocol (mn -> %r); "
                        "libmnemo needs it (run with MNEMO_TEST_SERVER=memcached)" % (kind, reply))

    def stop(self):
        for s in self.servers:
            try:
                s.stop()
            except Exception:  # keep stopping the others
                pass


@pytest.fixture(scope="session")
def binaries():
    for path in (CLI, DRIVER):
        if not os.path.exists(path):
            pytest.skip("%s not built (set MNEMO_BUILD_DIR)" % path)
    return CLI, DRIVER


@pytest.fixture(scope="session")
def cluster(binaries):
    c = Cluster(3)
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture
def make_cluster(binaries):
    made = []

    def make(n=3):
        c = Cluster(n)
        made.append(c)
        c.start()
        return c

    yield make
    for c in made:
        c.stop()


# Sanitizer builds: a distinct exit code, so a report is never mistaken for
# "not found" (1), and the report text is checked for as well.
SAN_ENV = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "exitcode=86"),
               UBSAN_OPTIONS=os.environ.get("UBSAN_OPTIONS", "print_stacktrace=1"))


def check_sanitizers(stderr):
    text = stderr if isinstance(stderr, bytes) else stderr.encode()
    assert b"Sanitizer" not in text and b"runtime error:" not in text, text.decode(errors="replace")


def run_cli(cluster_or_spec, *args, stdin=None, timeout=30):
    spec = cluster_or_spec if isinstance(cluster_or_spec, str) else cluster_or_spec.spec
    p = subprocess.run([CLI, "--servers", spec] + list(args), input=stdin,
                       capture_output=True, timeout=timeout, env=SAN_ENV)
    check_sanitizers(p.stderr)
    return p


def run_driver(cluster, *args, timeout=120):
    import json
    p = subprocess.run([DRIVER, cluster.spec] + [str(a) for a in args],
                       capture_output=True, timeout=timeout, text=True, env=SAN_ENV)
    check_sanitizers(p.stderr)
    assert p.stdout, "driver printed nothing; stderr: %s" % p.stderr
    return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture
def cli(binaries):
    """cli(cluster_or_spec, *args, stdin=None) -> CompletedProcess (bytes)."""
    return run_cli


@pytest.fixture
def driver(binaries):
    """driver(cluster, *args) -> (exit code, parsed JSON of the last line)."""
    return run_driver


@pytest.fixture
def raw():
    """raw(port, bytes) -> the server's reply bytes."""
    return meta_request
