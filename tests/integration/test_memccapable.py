"""libmemcached's memccapable conformance run (ASCII protocol only)."""

import re
import shutil
import subprocess

import pytest

from mnemo_harness import scaled

MEMCCAPABLE = shutil.which("memccapable") or "/usr/bin/memccapable"


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
    results = re.findall(r"^(ascii \S+(?: \S+)*?)\s+\[(\w+)\]\s*$", out, re.M)
    failed = [name for name, verdict in results if verdict != "pass"]
    assert not failed, "memccapable failures: %s\n%s" % (failed, out)
    assert proc.returncode == 0, out
    assert len(results) >= 27, "expected the full ASCII test list:\n" + out
    assert "All tests passed" in out, out
    assert srv.alive()
