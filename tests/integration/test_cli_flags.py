"""Command-line handling: bad flags fail fast, -h, -d/-P, signals."""

import os
import signal
import subprocess
import time

import pytest

from mnemo_harness import RawClient, base_command, free_port, mnemod_only, scaled


def run_expecting_exit(args, timeout=10):
    """Run the server with args; it must exit by itself within timeout."""
    argv = base_command() + ["-U", "0", "-l", "127.0.0.1", "-p", str(free_port())] + args
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        pytest.fail("server with %r did not exit within %ds" % (args, timeout))


BAD_FLAGS = [
    pytest.param(["--no-such-flag"], id="unknown-long-flag"),
    pytest.param(["-c", "0"], id="maxconns-0"),
    pytest.param(["-c", "-1"], id="maxconns-negative"),
    pytest.param(["-c", "abc"], id="maxconns-non-numeric"),
    pytest.param(["-t", "0"], id="threads-0"),
    pytest.param(["-t", "-1"], id="threads-negative"),
    pytest.param(["-t", "abc"], id="threads-non-numeric"),
    pytest.param(["-I", "512"], id="item-size-below-1k"),
    pytest.param(["-I", "2g", "-m", "64"], id="item-size-above-memory"),
    pytest.param(["-I", "40m", "-m", "64"], id="item-size-above-half-memory"),
    pytest.param(["-l", "no-such-host.invalid"], id="unresolvable-listen-host"),
    pytest.param(["-p", "70000"], id="port-out-of-range"),
    # memcached 1.6.18 takes "-p abc" as port 0 and runs; mnemo refuses it.
    pytest.param(["-p", "abc"], id="port-non-numeric", marks=mnemod_only),
    # 1 TB is the most item memory mnemo addresses (64 arenas of 16 GB)
    pytest.param(["-m", "1048577"], id="memory-above-1tb", marks=mnemod_only),
    # -L would make 1 TB resident: refused up front rather than left to the OOM killer
    pytest.param(["-m", "1048576", "-L"], id="prealloc-beyond-ram", marks=mnemod_only),
]


@pytest.mark.parametrize("args", BAD_FLAGS)
def test_bad_flags_exit_nonzero_with_message(args):
    proc = run_expecting_exit(args)
    assert proc.returncode != 0, "accepted %r" % args
    assert proc.returncode > 0, "died of a signal (%d) on %r" % (proc.returncode, args)
    assert proc.stderr.strip(), "no message on stderr for %r" % args
    text = proc.stderr.decode(errors="replace")
    for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer"):
        assert marker not in text, text


def test_help_exits_zero():
    proc = run_expecting_exit(["-h"])
    assert proc.returncode == 0
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    for flag in ("-p", "-m", "-c", "-t", "-I", "-U", "-l"):
        assert flag in out, "usage does not mention %s" % flag


def test_version_flag():
    proc = run_expecting_exit(["-V"])
    assert proc.returncode == 0
    assert proc.stdout.strip(), "-V printed nothing on stdout"


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_daemonize_writes_pidfile(tmp_path):
    pidfile = tmp_path / "mnemo.pid"
    port = free_port()
    argv = base_command() + ["-U", "0", "-l", "127.0.0.1", "-p", str(port), "-d",
                             "-P", str(pidfile)]
    pid = None
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=scaled(10))
        assert proc.returncode == 0, proc.stderr
        deadline = time.monotonic() + scaled(10)
        while not (pidfile.exists() and pidfile.read_text().strip()):
            assert time.monotonic() < deadline, "pidfile never written"
            time.sleep(0.05)
        pid = int(pidfile.read_text().strip())
        assert pid_alive(pid)
        while True:
            try:
                with RawClient(("127.0.0.1", port), timeout=scaled(5)) as c:
                    c.version()
                    c.call(b"set d 0 0 1\r\nx\r\nget d\r\n",
                           b"STORED\r\nVALUE d 0 1\r\nx\r\nEND\r\n")
                break
            except OSError:
                assert time.monotonic() < deadline, "daemon never answered"
                time.sleep(0.05)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + scaled(10)
        while pid_alive(pid):
            assert time.monotonic() < deadline, "daemon ignored SIGTERM"
            time.sleep(0.05)
        pid = None
    finally:
        if pid is not None and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_with_status_zero(server_factory, sig):
    srv = server_factory()
    with srv.client() as c:
        c.call(b"set s 0 0 1\r\nx\r\n", b"STORED\r\n")
        srv.proc.send_signal(sig)
        try:
            rc = srv.proc.wait(scaled(5))
        except subprocess.TimeoutExpired:
            pytest.fail("server still running 5 s after %s" % sig.name)
        assert rc == 0
        # the open client connection is closed, not left hanging
        c.assert_closed()


@mnemod_only
@pytest.mark.parametrize("backend", ["on", "off"])
def test_io_uring_switch_serves_both_ways(server_factory, backend):
    """-o io_uring=on|off picks the workers' I/O backend (io_uring or epoll);
    either serves pipelined requests, a value larger than the socket buffers,
    and a client that disconnects with a reply pending."""
    srv = server_factory("-t", "2", "-I", "4m", "-o", "io_uring=" + backend)
    big = b"v" * 3000000
    with srv.client() as c:
        c.call(b"set big 0 0 %d\r\n" % len(big) + big + b"\r\n", b"STORED\r\n")
        c.call(b"set a 0 0 1\r\nx\r\nget a\r\nget a\r\n",
               b"STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\nVALUE a 0 1\r\nx\r\nEND\r\n")
        c.call(b"get big\r\n", b"VALUE big 0 %d\r\n" % len(big) + big + b"\r\nEND\r\n")
    with srv.client() as c:
        c.send(b"get big\r\n" * 4)  # leave while the replies are still queued
    with srv.client() as c:
        c.call(b"get a\r\n", b"VALUE a 0 1\r\nx\r\nEND\r\n")


def _rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


@mnemod_only
def test_one_terabyte_starts_small(server_factory):
    """-m 1048576 (1 TB, on a machine with far less) starts, serves, and
    touches only what it uses: item memory and its tables are reserved, not
    written, at start."""
    srv = server_factory("-m", "1048576")
    with srv.client() as c:
        for i in range(1000):
            c.send(b"set k%d %d 0 5\r\nhello\r\n" % (i, i))
        for i in range(1000):
            assert c.recv_line() == b"STORED\r\n"
        c.call(b"get k0 k999\r\n",
               b"VALUE k0 0 5\r\nhello\r\nVALUE k999 999 5\r\nhello\r\nEND\r\n")
        assert c.stats()["limit_maxbytes"] == str(1048576 * 1024 * 1024)
    assert _rss_kb(srv.proc.pid) < 200 * 1024
