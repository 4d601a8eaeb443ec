"""The differential suite of issue 3: every conversation of conv_text.py,
conv_meta.py and conv_binary.py is run against memcached 1.6.18 and against
mnemod (or memcached again with DIFF_SELF_CHECK=1), and the normalised reply
streams must be equal.  See differential_harness.py for the rules.

    /usr/bin/python3 -m pytest tests/integration/differential
    DIFF_SELF_CHECK=1 /usr/bin/python3 -m pytest tests/integration/differential
"""

import concurrent.futures
import os
import signal

import pytest

import conv_binary
import conv_meta
import conv_text
from differential_harness import (MEMCACHED, SELF_CHECK, SUBJECT_BIN, SUBJECT_NAME,
                                  Server, alternatives, diff_text, lines_of, run_conversation)
from known_choices import DEVIATIONS_FROM_1_6_45

CONVERSATIONS = conv_text.CONVERSATIONS + conv_meta.CONVERSATIONS + conv_binary.CONVERSATIONS

_names = [c.name for c in CONVERSATIONS]
assert len(_names) == len(set(_names)), sorted(n for n in _names if _names.count(n) > 1)

PER_TEST_LIMIT = 30     # seconds, wall clock, SIGALRM


class Pool:
    """Server pairs (reference, subject) keyed by their flags; isolated
    conversations get a pair of their own that is stopped right after."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.pairs = {}

    def _start_pair(self, flags):
        ref = Server(MEMCACHED, flags, self.workdir, "memcached").start()
        try:
            sub = Server(SUBJECT_BIN, flags, self.workdir, "subject").start()
        except BaseException:
            ref.stop()
            raise
        return ref, sub

    def shared(self, flags):
        pair = self.pairs.get(flags)
        if pair and not all(s.alive() for s in pair):
            for s in pair:
                s.stop()
            pair = None
        if pair is None:
            pair = self.pairs[flags] = self._start_pair(flags)
        for s in pair:
            s.admin(b"flush_all\r\n", b"OK")
        return pair

    def stop_all(self):
        for pair in self.pairs.values():
            for s in pair:
                s.stop()
        self.pairs.clear()


@pytest.fixture(scope="session")
def pool(tmp_path_factory):
    p = Pool(tmp_path_factory.mktemp("differential"))
    try:
        yield p
    finally:
        p.stop_all()


@pytest.fixture(scope="session")
def executor():
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        yield ex


def _alarm(signum, frame):
    raise AssertionError("conversation exceeded %d s" % PER_TEST_LIMIT)


def _run_side(conv, port):
    """Display lines of one server; a runner failure on that side (say, no
    CAS to substitute because the server rejected the command that should
    have returned one) becomes a line of its own, so the diff shows it."""
    try:
        return run_conversation(conv, port)[0]
    except (AssertionError, OSError) as e:
        return ["<runner: %s: %s>" % (type(e).__name__, str(e)[:300])]


def _run_pair(conv, pair, executor):
    ref, sub = pair
    fut_ref = executor.submit(_run_side, conv, ref.port)
    fut_sub = executor.submit(_run_side, conv, sub.port)
    return fut_ref.result(), fut_sub.result()


@pytest.mark.parametrize("conv", CONVERSATIONS, ids=_names)
def test_conversation(conv, pool, executor):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(PER_TEST_LIMIT)
    own = None
    try:
        if conv.isolated:
            pair = own = pool._start_pair(conv.flags)
        else:
            pair = pool.shared(conv.flags)
        ref_lines, sub_lines = _run_pair(conv, pair, executor)
        ref, sub = pair
        assert ref.alive(), "memcached died:\n" + ref.stderr_tail()
        assert sub.alive(), "%s died during the conversation:\n%s" % (
            SUBJECT_NAME, sub.stderr_tail())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        if own:
            for s in own:
                s.stop()

    if conv.known_difference:
        # The documented memcached 1.6.18 behaviour must still be there (else
        # the note is stale), and the subject must give its own documented bytes.
        documented = alternatives(conv.memcached)
        if ref_lines not in documented:
            pytest.fail("memcached no longer behaves as documented:\n" + diff_text(
                documented[0], ref_lines, "documented memcached", "memcached"), pytrace=False)
        if SELF_CHECK:
            if sub_lines not in documented:
                pytest.fail("memcached (second copy) differs from the documented bytes:\n"
                            + diff_text(documented[0], sub_lines, "documented memcached",
                                        SUBJECT_NAME), pytrace=False)
            return
        want = lines_of(conv.mnemod)
        if sub_lines != want:
            pytest.fail("known difference (%s); mnemod's expected bytes differ:\n%s" % (
                conv.known_difference, diff_text(want, sub_lines, "expected mnemod", SUBJECT_NAME)),
                pytrace=False)
    elif ref_lines != sub_lines:
        pytest.fail("replies differ (%s):\n%s" % (
            conv.proto, diff_text(ref_lines, sub_lines, "memcached", SUBJECT_NAME)), pytrace=False)


# memcached 1.6.45, the release mnemod follows (issue 18): built by
# ../shared/reference/build-memcached.sh; MEMCACHED_NEW points elsewhere.
MEMCACHED_NEW = os.environ.get("MEMCACHED_NEW", "/tmp/mnemo-ref/memcached-1.6.45/memcached")
_BY_NAME = {c.name: c for c in CONVERSATIONS}
assert set(DEVIATIONS_FROM_1_6_45) <= set(_BY_NAME), set(DEVIATIONS_FROM_1_6_45) - set(_BY_NAME)


@pytest.mark.parametrize("name", sorted(DEVIATIONS_FROM_1_6_45))
def test_deviation_from_1_6_45(name, tmp_path):
    """Each listed deviation: memcached 1.6.45 still gives the listed bytes (else
    the entry is stale) and mnemod gives its own."""
    if not os.access(MEMCACHED_NEW, os.X_OK):
        pytest.skip("memcached 1.6.45 not built at %s (../shared/reference/build-memcached.sh, "
                    "or set MEMCACHED_NEW)" % MEMCACHED_NEW)
    why, new_bytes, own_bytes = DEVIATIONS_FROM_1_6_45[name]
    conv = _BY_NAME[name]
    root = ("-u", "root") if os.geteuid() == 0 else ()
    servers = []
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(PER_TEST_LIMIT)
    try:
        servers.append(Server(MEMCACHED_NEW, conv.flags + root, tmp_path, "memcached-new").start())
        if not SELF_CHECK:  # the self-check's subject is 1.6.18: only 1.6.45's side applies
            servers.append(Server(SUBJECT_BIN, conv.flags, tmp_path, "subject").start())
        lines = [run_conversation(conv, s.port)[0] for s in servers]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        for s in servers:
            s.stop()
    documented = alternatives(new_bytes)
    new_lines = lines[0]
    if new_lines not in documented:
        pytest.fail("memcached 1.6.45 no longer gives the listed bytes (%s):\n%s" % (
            why, diff_text(documented[0], new_lines, "listed 1.6.45", "memcached 1.6.45")),
            pytrace=False)
    if SELF_CHECK:
        return
    want, sub_lines = lines_of(own_bytes), lines[1]
    if sub_lines != want:
        pytest.fail("listed deviation (%s); %s differs from its listed bytes:\n%s" % (
            why, SUBJECT_NAME, diff_text(want, sub_lines, "listed", SUBJECT_NAME)), pytrace=False)
