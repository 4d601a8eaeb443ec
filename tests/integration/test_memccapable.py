"""libmemcached's memccapable conformance run (ASCII protocol only)."""

import re
import shutil
import subprocess

import pytest

from mnemo_harness import scaled

MEMCCAPABLE = shutil.which("memccapable") or "/usr/bin/memccapable"
# memccapable's delete tests send "delete\r\n" and "delete a b c d e\r\n" and
# expect ERROR, as memcached 1.6.18 answered; memcached 1.6.45 fails them
# (CLIENT_ERROR, and extra tokens ignored). mnemod keeps 1.6.18's answers for
# delete (a listed deviation, README), so every test passes.

@pytest.mark.mnemo_timeout(120)
def test_memccapable_ascii(server_factory):
    if not shutil.which(MEMCCAPABLE):
        pytest.skip("memccapable (libmemcached-tools) is not installed")
    srv = server_factory()          # own server: memccapable flushes it
    try:
        proc = subprocess.run([MEMCCAPABLE, "-a", "-t", "10", "-h", srv.host, "-p", str(srv.port)],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=scaled(90))
    except subprocess.TimeoutExpired as e:
        pytest.fail("memccapable hung; output so far:\n%s" % (e.stdout or b"").decode())
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    # Each name is padded to 40 columns and followed by "[pass]" on stdout; a
    # failing test prints "[FAIL]" and its newline on stderr instead.
    results = [(name, "pass" if ok else "fail") for name, ok in re.findall(
        r"(ascii \S+(?: \S+)*?) {2,}(\[pass\])?", proc.stdout.decode(errors="replace"))]
    failed = [name for name, verdict in results if verdict != "pass"]
    assert failed == [], "memccapable failures: %s\n%s" % (failed, out)
    assert len(results) >= 27, "expected the full ASCII test list:\n" + out
    assert proc.returncode == 0, out
    assert "All tests passed" in out, out
    assert srv.alive()
