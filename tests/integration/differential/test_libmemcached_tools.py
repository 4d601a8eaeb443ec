"""libmemcached's command-line tools against the subject server (issue 3):
memccp/memccat over the binary protocol with a 700 KB file, and memccapable
with every test (ascii and binary).

The subject is mnemod ($MNEMOD, default <repo>/build/mnemod), or memcached
1.6.18 with DIFF_SELF_CHECK=1 / MNEMO_TEST_SERVER=memcached: these tools are
libmemcached's, and memcached 1.6.45 fails memccapable's "ascii delete" tests
(it ignores the time argument of "delete <key> <time>" that memccapable
expects to be rejected; differences.py keeps 1.6.18's answer as a deviation).
Each test starts its own server (memccapable flushes it) and stops it by PID.
"""

import os
import re
import shutil
import subprocess

import pytest

from differential_harness import MEMCACHED_OLD, SELF_CHECK, SUBJECT_BIN, TIME_SCALE, Server

TOOLS_SUBJECT = MEMCACHED_OLD if SELF_CHECK else SUBJECT_BIN
TOOLS_SUBJECT_NAME = "memcached-1.6.18(self-check)" if SELF_CHECK else "mnemod"

TOOL_TIMEOUT = 60 * TIME_SCALE


def tool(name):
    path = shutil.which(name) or "/usr/bin/" + name
    if not os.access(path, os.X_OK):
        pytest.skip("%s (libmemcached-tools) is not installed" % name)
    return path


@pytest.fixture
def subject(tmp_path):
    srv = Server(TOOLS_SUBJECT, [], tmp_path, "subject").start()
    try:
        yield srv
    finally:
        rc = srv.stop()
    assert rc in (0, -15, None), "%s exited with %r:\n%s" % (TOOLS_SUBJECT_NAME, rc, srv.stderr_tail())


def run(argv, **kw):
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=TOOL_TIMEOUT, **kw)
    except subprocess.TimeoutExpired as e:
        pytest.fail("%s hung; output so far:\n%r" % (argv, e.stdout))


def test_memccp_memccat_binary_700k(subject, tmp_path):
    memccp, memccat = tool("memccp"), tool("memccat")
    data = os.urandom(700 * 1024)
    path = tmp_path / "blob700k.bin"
    path.write_bytes(data)
    servers = "--servers=127.0.0.1:%d" % subject.port

    cp = run([memccp, "--binary", servers, str(path)])
    assert cp.returncode == 0, "memccp --binary failed (rc %d):\n%s%s" % (
        cp.returncode, cp.stdout.decode(errors="replace"), cp.stderr.decode(errors="replace"))

    # memccat appends a newline on stdout; --file writes the value as is.
    out = tmp_path / "out-binary"
    cat = run([memccat, "--binary", servers, "--file=%s" % out, "blob700k.bin"])
    assert cat.returncode == 0, "memccat --binary failed (rc %d): %s" % (
        cat.returncode, (cat.stdout + cat.stderr).decode(errors="replace"))
    got = out.read_bytes() if out.exists() else b""
    assert len(got) == len(data), "memccat returned %d bytes, expected %d" % (len(got), len(data))
    assert got == data, "memccat --binary returned different bytes"

    # The same item read back over the text protocol.
    out_text = tmp_path / "out-text"
    text = run([memccat, servers, "--file=%s" % out_text, "blob700k.bin"])
    assert text.returncode == 0, (text.stdout + text.stderr).decode(errors="replace")
    assert out_text.read_bytes() == data, "memccat (text) returned different bytes"
    assert subject.alive()


def test_memccapable_all(subject):
    memccapable = tool("memccapable")
    proc = run([memccapable, "-t", "10", "-h", "127.0.0.1", "-p", str(subject.port)])
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    # Each name is padded to 40 columns and followed by "[pass]" on stdout; a
    # failing test prints "[FAIL]" and its newline on stderr instead.
    results = [(name, "pass" if ok else "fail") for name, ok in re.findall(
        r"((?:ascii|binary) \S+(?: \S+)*?) {2,}(\[pass\])?", proc.stdout.decode(errors="replace"))]
    failed = [name for name, verdict in results if verdict != "pass"]
    assert not failed, "memccapable failures: %s\n%s" % (failed, out)
    assert any(n.startswith("binary ") for n, _ in results), "no binary tests ran:\n" + out
    assert any(n.startswith("ascii ") for n, _ in results), "no ascii tests ran:\n" + out
    assert proc.returncode == 0, out
    assert "All tests passed" in out, out
    assert subject.alive()
