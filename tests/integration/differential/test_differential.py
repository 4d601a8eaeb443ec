"""The differential suite of issues 3 and 18: every conversation of
conv_text.py, conv_meta.py and conv_binary.py is run against memcached 1.6.18,
memcached 1.6.45 and mnemod (or 1.6.45 again with DIFF_SELF_CHECK=1), and the
normalised reply streams are compared:

    1.6.18 vs 1.6.45   equal, unless differences.DIFFERS_IN_1_6_18 lists the
                       conversation: then 1.6.18 must give the listed bytes
    mnemod vs 1.6.45   equal, unless differences.DEVIATIONS lists it: then each
                       gives its own listed bytes

See differential_harness.py for the rules.

    /usr/bin/python3 -m pytest tests/integration/differential
    DIFF_SELF_CHECK=1 /usr/bin/python3 -m pytest tests/integration/differential
"""

import concurrent.futures
import signal

import pytest

import conv_binary
import conv_meta
import conv_text
from differences import DEVIATIONS, DIFFERS_IN_1_6_18
from differential_harness import (MEMCACHED_NEW, MEMCACHED_OLD, NEW_VERSION, SELF_CHECK,
                                  SUBJECT_BIN, SUBJECT_NAME, Server, alternatives, diff_text,
                                  reference_problem, run_conversation)

CONVERSATIONS = conv_text.CONVERSATIONS + conv_meta.CONVERSATIONS + conv_binary.CONVERSATIONS

_names = [c.name for c in CONVERSATIONS]
assert len(_names) == len(set(_names)), sorted(n for n in _names if _names.count(n) > 1)
for _list, _label in ((DEVIATIONS, "DEVIATIONS"), (DIFFERS_IN_1_6_18, "DIFFERS_IN_1_6_18")):
    _stale = sorted(set(_list) - set(_names))
    assert not _stale, "%s names conversations that do not exist: %s" % (_label, _stale)

PER_TEST_LIMIT = 30     # seconds, wall clock, SIGALRM
OLD_NAME = "memcached-1.6.18"
NEW_NAME = "memcached-%s" % NEW_VERSION


class Pool:
    """Server trios (1.6.18, 1.6.45, subject) keyed by their flags; isolated
    conversations get a trio of their own that is stopped right after."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.trios = {}

    def start_trio(self, flags):
        started = []
        try:
            for binary, label in ((MEMCACHED_OLD, "memcached-old"), (MEMCACHED_NEW, "memcached-new"),
                                  (SUBJECT_BIN, "subject")):
                started.append(Server(binary, flags, self.workdir, label).start())
        except BaseException:
            for s in started:
                s.stop()
            raise
        return tuple(started)

    def shared(self, flags):
        trio = self.trios.get(flags)
        if trio and not all(s.alive() for s in trio):
            for s in trio:
                s.stop()
            trio = None
        if trio is None:
            trio = self.trios[flags] = self.start_trio(flags)
        for s in trio:
            s.admin(b"flush_all\r\n", b"OK")
        return trio

    def stop_all(self):
        for trio in self.trios.values():
            for s in trio:
                s.stop()
        self.trios.clear()


@pytest.fixture(scope="session")
def pool(tmp_path_factory):
    # The newest release is the reference: without it the suite cannot say
    # anything, so every test fails with the reason (never a silent skip).
    problem = reference_problem()
    if problem:
        pytest.fail(problem, pytrace=False)
    p = Pool(tmp_path_factory.mktemp("differential"))
    try:
        yield p
    finally:
        p.stop_all()


@pytest.fixture(scope="session")
def executor():
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
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


def _run_trio(conv, trio, executor):
    futures = [executor.submit(_run_side, conv, s.port) for s in trio]
    return [f.result() for f in futures]


def listing(name, shape, why, lines):
    """A ready-to-paste entry of differences.py holding these display lines."""
    return "    %r: %s," % (name, shape % (why, 'r"""\n' + "\n".join(lines) + '\n"""'))


def _check_old(conv, old_lines, new_lines):
    """1.6.18 against 1.6.45: a list of failure messages (empty when fine)."""
    listed = DIFFERS_IN_1_6_18.get(conv.name)
    if listed is None:
        # Where DEVIATIONS lists several outcomes for 1.6.45 (they depend on
        # how the bytes arrive), 1.6.18 may take any of them.
        dev = DEVIATIONS.get(conv.name)
        outcomes = alternatives(dev.memcached) if dev else []
        if old_lines != new_lines and not (new_lines in outcomes and old_lines in outcomes):
            return ["1.6.18 differs from %s and the conversation is not in DIFFERS_IN_1_6_18:\n%s\n"
                    "If that is how the releases differ, list it there (with the reason):\n%s"
                    % (NEW_VERSION, diff_text(new_lines, old_lines, NEW_NAME, OLD_NAME),
                       listing(conv.name, "Old(%r, %s)", "<why>", old_lines))]
        return []
    documented = alternatives(listed.memcached_1_6_18)
    if old_lines not in documented:
        return ["memcached 1.6.18 no longer gives the bytes DIFFERS_IN_1_6_18 lists (%s):\n%s"
                % (listed.why, diff_text(documented[0], old_lines, "listed 1.6.18", OLD_NAME))]
    if new_lines in documented:
        return ["DIFFERS_IN_1_6_18 lists %s, but %s gives the same bytes: remove the entry"
                % (conv.name, NEW_VERSION)]
    return []


def _expected_subject(conv, new_lines):
    """(failure messages about 1.6.45's own listed bytes, the outcomes the subject may give,
    first the one a diff is shown against)."""
    dev = DEVIATIONS.get(conv.name)
    if dev is None:
        return [], [new_lines]
    documented = alternatives(dev.memcached)
    if new_lines not in documented:
        return ["%s no longer gives the bytes DEVIATIONS lists (%s):\n%s" % (
            NEW_VERSION, dev.why, diff_text(documented[0], new_lines, "listed " + NEW_NAME,
                                            NEW_NAME))], [new_lines]
    if SELF_CHECK:
        # The second 1.6.45 may take another of the listed outcomes (they depend
        # on how the bytes arrive), never an unlisted one.
        return [], [new_lines] + [d for d in documented if d != new_lines]
    return [], [alternatives(dev.mnemod)[0]]


@pytest.mark.parametrize("conv", CONVERSATIONS, ids=_names)
def test_conversation(conv, pool, executor):
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(PER_TEST_LIMIT)
    own = None
    try:
        if conv.isolated:
            trio = own = pool.start_trio(conv.flags)
        else:
            trio = pool.shared(conv.flags)
        old_lines, new_lines, sub_lines = _run_trio(conv, trio, executor)
        for server, name in zip(trio, (OLD_NAME, NEW_NAME, SUBJECT_NAME)):
            assert server.alive(), "%s died during the conversation:\n%s" % (
                name, server.stderr_tail())
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        if own:
            for s in own:
                s.stop()

    failures = _check_old(conv, old_lines, new_lines)
    listed_failures, wants = _expected_subject(conv, new_lines)
    failures += listed_failures
    subject_ok = sub_lines in wants
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)
    if not subject_ok:
        what = "the listed deviation" if conv.name in DEVIATIONS and not SELF_CHECK else NEW_NAME
        message = "%s differs from %s (%s):\n%s" % (
            SUBJECT_NAME, what, conv.proto, diff_text(wants[0], sub_lines, what, SUBJECT_NAME))
        if conv.name not in DEVIATIONS and not SELF_CHECK:
            message += ("\nA fix belongs in mnemod; a deliberate deviation is listed in DEVIATIONS "
                        "with its reason:\n%s" % listing(conv.name, "Deviation(%r, memcached=%s, mnemod=...)",
                                                          "<why>", new_lines))
        pytest.fail(message, pytrace=False)
