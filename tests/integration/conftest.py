"""Fixtures for the mnemo integration suite (helpers live in mnemo_harness.py).

No pytest plugins are needed: a per-test wall-clock limit is enforced here with
SIGALRM (see pytest_runtest_call), and every socket read has its own deadline,
so a hung server fails a test instead of blocking the run.
"""

import signal
from pathlib import Path

import pytest

from mnemo_harness import DEFAULT_TEST_TIMEOUT, ServerFactory, scaled


# ---------------------------------------------------------------------------
# per-test timeout without pytest-timeout

class MnemoTestTimeout(Exception):
    pass


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "mnemo_timeout(seconds): per-test wall-clock limit (default %d s, "
        "scaled by MNEMO_TEST_TIME_SCALE)" % DEFAULT_TEST_TIMEOUT)


def _alarm(signum, frame):
    raise MnemoTestTimeout("test exceeded its time limit (hung server or client?)")


HERE = Path(__file__).resolve().parent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    # Only this directory's tests: suites in subdirectories keep their own rules.
    if Path(str(item.fspath)).resolve().parent != HERE:
        yield
        return
    mark = item.get_closest_marker("mnemo_timeout")
    limit = scaled(mark.args[0] if mark else DEFAULT_TEST_TIMEOUT)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def server_factory(tmp_path):
    """Start servers with custom flags; all are stopped and checked at teardown."""
    factory = ServerFactory(tmp_path)
    try:
        yield factory
    finally:
        problems = factory.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One default server per test module."""
    factory = ServerFactory(tmp_path_factory.mktemp("srv"))
    try:
        factory()
        yield factory.servers[0]
    finally:
        problems = factory.finish()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def conn(server):
    """A fresh raw connection to the module's server; the server is flushed."""
    assert server.alive(), "the module's server died earlier:\n" + server.stderr_text()[-3000:]
    with server.client() as c:
        c.call(b"flush_all\r\n", b"OK\r\n")
        yield c


