"""-v/-vv/-vvv never slow requests: lines go through a bounded queue written
by a thread of its own; when stderr falls behind (here: a pipe nobody
reads), lines are dropped and counted in `stats` log_worker_dropped, and the
cache keeps serving and still stops cleanly.
"""

import socket
import subprocess

import pytest

from mnemo_harness import IS_MEMCACHED, base_command, free_port, scaled, wait_answering

pytestmark = pytest.mark.skipif(IS_MEMCACHED, reason="mnemod's log writer")


def read_until(sock, terminator, count):
    """Read until `terminator` has been seen `count` times."""
    buf = b""
    sock.settimeout(scaled(30))
    while buf.count(terminator) < count:
        chunk = sock.recv(1 << 16)
        assert chunk, "connection closed after %d replies" % buf.count(terminator)
        buf += chunk
    return buf


def test_stalled_stderr_never_stalls_requests(tmp_path):
    port = free_port()
    # stderr: a pipe this test never reads (64 KB of buffer, then it is full)
    proc = subprocess.Popen(base_command() + ["-p", str(port), "-l", "127.0.0.1", "-U", "0",
                                              "-vv"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_answering(proc, port)

        with socket.create_connection(("127.0.0.1", port), timeout=scaled(30)) as s:
            # -vv logs a line per command: 20,000 lines, far more than the pipe holds
            n = 20000
            batch = b"".join(b"set k%d 0 0 1 noreply\r\nv\r\n" % i for i in range(n // 2))
            batch += b"".join(b"get k%d\r\n" % i for i in range(n // 2))
            s.sendall(batch)
            replies = read_until(s, b"END\r\n", n // 2)
            assert replies.count(b"VALUE ") == n // 2
            s.sendall(b"stats\r\n")
            stats = read_until(s, b"END\r\n", 1).decode()
        dropped = int(next(line.split()[2] for line in stats.splitlines()
                           if line.startswith("STAT log_worker_dropped ")))
        assert dropped > 0, "the queue should have filled: stderr is never read"
    finally:
        proc.terminate()
        try:
            rc = proc.wait(timeout=scaled(20))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("mnemod did not stop on SIGTERM with a full stderr")
    assert rc == 0
