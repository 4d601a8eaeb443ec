"""Persistence (issue 19, docs: /work/persist-spec.md): what mnemod keeps
across kill -9 and a clean stop, start-up refusals, `stats persistence`,
the `snapshot` command.

Every crash here is a real SIGKILL of a real mnemod; the restart runs on the
same persist_dir.  The state compared before and after is what clients see
(`mg` with value, flags, cas, TTL and the stale/win marks; `gets`), so the
tests hold whatever the log's format.
"""

import base64
import os
import re
import shutil
import struct
import subprocess
import time

import pytest

from mnemo_harness import (IS_MEMCACHED, base_command, free_port, scaled,
                           start_persist, wait_until)

pytestmark = pytest.mark.skipif(IS_MEMCACHED,
                                reason="persistence is mnemod's own: memcached has none")

MODES = ["always", "everysec", "no"]

STATS_FIELDS = (
    "appendfsync persist_dir log_segment log_bytes records_written bytes_written writes tail_waits "
    "log_segments_recycled fsyncs fsync_usec_total fsync_usec_le_100 fsync_usec_le_1000 fsync_usec_le_10000 "
    "fsync_usec_le_100000 fsync_usec_gt_100000 write_errors log_state last_error snapshots "
    "snapshot_in_progress last_snapshot_time last_snapshot_usec last_snapshot_items "
    "snapshot_errors recovered_items recovery_usec torn_bytes tail_salvaged_bytes").split()


# ---------------------------------------------------------------------------
# what a client sees

def mg_state(c, keys, b64=False):
    """key -> (tokens of the mg reply line without t, value, ttl) or None on a
    miss.  Pipelined: one round trip for all keys."""
    suffix = b" b v f c t\r\n" if b64 else b" v f c t\r\n"
    c.send(b"".join(b"mg " + k + suffix for k in keys))
    out = {}
    for k in keys:
        line = c.recv_line()
        if line == b"EN\r\n":
            out[k] = None
            continue
        toks = line.split()
        assert toks[0] == b"VA", (k, line)
        value = c.recv_exact(int(toks[1]) + 2)[:-2]
        ttl = [int(t[1:]) for t in toks[2:] if t.startswith(b"t")]
        assert len(ttl) == 1, line
        rest = tuple(sorted(t for t in toks[2:] if not t.startswith(b"t")))
        out[k] = (rest, value, ttl[0])
    return out


def gets_raw(c, keys):
    c.send(b"gets " + b" ".join(keys) + b"\r\n")
    return c.recv_until(b"END\r\n")


def cas_of(state):
    """Every cas value in an mg_state result."""
    out = []
    for v in state.values():
        if v:
            out += [int(t[1:]) for t in v[0] if t.startswith(b"c")]
    return out


def clock_mark():
    """Now, by both clocks, for assert_same_state."""
    return time.monotonic(), time.time()


def ran_down(mark):
    """(seconds a TTL may have run down since mark, seconds it may have
    grown): by the monotonic clock, or by the wall clock where that was
    stepped (see assert_same_state)."""
    mono, wall = time.monotonic() - mark[0], time.time() - mark[1]
    return max(mono, wall), max(0.0, mono - wall)


def assert_same_state(before, after, elapsed, what):
    """Equal but for TTLs, which may only have run down by the time that
    passed: 2 s of slack below for the second-granularity clocks of both
    processes, 1 s above (a restarted process rounds its clock afresh).
    elapsed is seconds, or a clock_mark() from before the crash: a restart
    reads absolute expiry times by the wall clock, so a step of it between
    the two processes (NTP, an operator) moves every TTL by the step, and
    the bounds then follow the wall clock as well as the monotonic one."""
    elapsed, back = ran_down(elapsed) if isinstance(elapsed, tuple) else (elapsed, 0.0)
    assert before.keys() == after.keys()
    for k in before:
        b, a = before[k], after[k]
        assert (b is None) == (a is None), "%s: %r was %r, after restart %r" % (what, k, b, a)
        if b is None:
            continue
        assert a[:2] == b[:2], "%s: %r was %r, after restart %r" % (what, k, b, a)
        if b[2] == -1:
            assert a[2] == -1, "%s: %r lost its no-expiry: %r" % (what, k, a)
        else:
            assert b[2] - elapsed - 2 <= a[2] <= b[2] + 1 + back, (
                "%s: %r TTL %d before, %d after %.1fs" % (what, k, b[2], a[2], elapsed))


def ms_cas(c, key, value, extra=b""):
    line = c.request(b"ms %s %d %s c\r\n%s\r\n" % (key, len(value), extra, value))
    m = re.match(rb"^HD c(\d+)\r\n$", line)
    assert m, (key, line)
    return int(m.group(1))


# ---------------------------------------------------------------------------
# binary protocol

BIN_REQ = struct.Struct("!BBHBBHIIQ")


def bin_call(c, op, key=b"", value=b"", extras=b"", cas=0):
    c.send(BIN_REQ.pack(0x80, op, len(key), len(extras), 0, 0,
                        len(extras) + len(key) + len(value), 0xabcd, cas)
           + extras + key + value)
    head = c.recv_exact(24)
    magic, rop, klen, elen, _dt, status, blen, opaque, rcas = BIN_REQ.unpack(head)
    assert (magic, rop, opaque) == (0x81, op, 0xabcd), head
    body = c.recv_exact(blen)
    return status, body[elen + klen:], rcas


def bin_set(c, key, value, flags, exptime):
    status, _, cas = bin_call(c, 0x01, key, value, struct.pack("!II", flags, exptime))
    assert status == 0, (key, status)
    return cas


# ---------------------------------------------------------------------------
# fixtures

@pytest.fixture
def pdir(tmp_path):
    return tmp_path / "persist"


def persist(server_factory, pdir, mode="everysec", *options, flags=("-t", "2")):
    return start_persist(server_factory, pdir, "appendfsync=" + mode, *options, flags=flags)


def log_segments(pdir):
    return sorted(n for n in os.listdir(pdir) if re.fullmatch(r"log\.[0-9a-f]{16}", n))


def snapshots(pdir):
    return sorted(n for n in os.listdir(pdir) if re.fullmatch(r"snapshot\.[0-9a-f]{16}", n))


def crash_and_restart(srv):
    """kill -9 and start again; returns a clock_mark() of the crash."""
    t0 = clock_mark()
    srv.kill9()
    srv.start()
    return t0


# ---------------------------------------------------------------------------
# every mutating verb survives kill -9

TEXT_KEYS = [b"s1", b"s2", b"a1", b"r1", b"ap", b"pp", b"cs", b"n1", b"n2", b"t1", b"g1",
             b"d1", b"f0", b"f1", b"abs", b"nr"]
META_KEYS = [b"m1", b"m2", b"m3", b"m4", b"m7", b"m8", b"m9", b"m11", b"m12",
             b"m13", b"m14", b"m15"]
STALE_KEYS = [b"m5", b"m6"]
B64_KEYS = [base64.b64encode(b"\x01bin\x02key"), base64.b64encode(b"b64key")]
BIN_KEYS = [b"b1", b"b2", b"b3", b"b4", b"b5"]


def mutate_everything(c, bc):
    """One of each mutation the three protocols can make (text and meta on
    c, binary on bc: a connection's first byte picks its dialect); returns
    the cas values handed out."""
    cas = []
    steps = [
        (b"set f0 0 0 1\r\nz\r\n", b"STORED\r\n"),
        (b"flush_all\r\n", b"OK\r\n"),                        # f0 is flushed
        (b"set f1 0 0 2\r\nff\r\n", b"STORED\r\n"),          # set after the flush
        (b"set s1 0 0 5\r\nhello\r\n", b"STORED\r\n"),
        (b"set s2 7 1000 3\r\nabc\r\n", b"STORED\r\n"),
        (b"add a1 3 0 2\r\naa\r\n", b"STORED\r\n"),
        (b"add a1 4 0 2\r\nbb\r\n", b"NOT_STORED\r\n"),
        (b"set r1 1 0 1\r\nr\r\n", b"STORED\r\n"),
        (b"replace r1 9 600 6\r\nworld!\r\n", b"STORED\r\n"),
        (b"replace nr 9 0 1\r\nx\r\n", b"NOT_STORED\r\n"),
        (b"set ap 5 0 3\r\nabc\r\n", b"STORED\r\n"),
        (b"append ap 0 0 2\r\nde\r\n", b"STORED\r\n"),
        (b"set pp 6 0 3\r\nabc\r\n", b"STORED\r\n"),
        (b"prepend pp 0 0 2\r\nxy\r\n", b"STORED\r\n"),
        (b"set n1 2 0 2\r\n10\r\n", b"STORED\r\n"),
        (b"incr n1 95\r\n", b"105\r\n"),
        (b"set n2 0 0 3\r\n100\r\n", b"STORED\r\n"),
        (b"decr n2 7\r\n", b"93\r\n"),
        (b"set t1 0 0 1\r\nt\r\n", b"STORED\r\n"),
        (b"touch t1 500\r\n", b"TOUCHED\r\n"),
        (b"set g1 4 0 1\r\ng\r\n", b"STORED\r\n"),
        (b"gat 800 g1\r\n", b"VALUE g1 4 1\r\ng\r\nEND\r\n"),
        (b"set d1 0 0 1\r\nd\r\n", b"STORED\r\n"),
        (b"delete d1\r\n", b"DELETED\r\n"),
        # absolute expiry (more than 30 days is a unix time)
        (b"set abs 0 %d 1\r\na\r\n" % (int(time.time()) + 700), b"STORED\r\n"),
    ]
    for req, rep in steps:
        c.call(req, rep)
    line = c.request(b"gets s1\r\n", b"END\r\n")
    old = int(line.split(b"\r\n")[0].split()[4])
    c.call(b"set cs 0 0 1\r\nc\r\n", b"STORED\r\n")
    line = c.request(b"gets cs\r\n", b"END\r\n")
    cs = int(line.split(b"\r\n")[0].split()[4])
    c.call(b"cas cs 8 0 3 %d\r\nnew\r\n" % cs, b"STORED\r\n")
    c.call(b"cas s1 8 0 3 %d\r\nold\r\n" % (old + 1000000), b"EXISTS\r\n")
    cas.append(old)

    # meta
    cas.append(ms_cas(c, b"m1", b"abc", b"F11 T900"))
    cas.append(ms_cas(c, b"m2", b"zz"))
    c.call(b"ms m3 1 E5\r\ne\r\n", b"HD\r\n")                 # explicit cas
    cas.append(ms_cas(c, b"m4", b"gone"))
    c.call(b"md m4\r\n", b"HD\r\n")
    cas.append(ms_cas(c, b"m5", b"stale", b"T100"))
    c.call(b"md m5 I T30\r\n", b"HD\r\n")                      # invalidated, not read
    m6 = ms_cas(c, b"m6", b"v1")
    c.call(b"ms m6 2 I C%d T40\r\nv2\r\n" % (m6 - 1), b"HD\r\n")  # older cas: stored stale
    cas.append(ms_cas(c, b"m7", b"valu", b"F3"))
    c.call(b"md m7 x\r\n", b"HD\r\n")                          # value dropped, item kept
    c.call(b"ma m8 N0 J13 D2 v\r\n", b"VA 2\r\n13\r\n")        # vivified at 13
    c.call(b"ma m8 D5 MD v\r\n", b"VA 1\r\n8\r\n")
    cas.append(ms_cas(c, b"m9", b"40"))
    c.call(b"ma m9 E77 v\r\n", b"VA 2\r\n41\r\n")              # explicit cas on arith
    cas.append(ms_cas(c, b"m11", b"tt", b"T0"))
    c.send(b"mg m11 T700 v\r\n")                                # touch through mg
    assert c.recv_line() == b"VA 2\r\n" and c.recv_line() == b"tt\r\n"
    cas.append(ms_cas(c, b"m12", b"12", b"F1"))
    c.call(b"ms m12 2 MA\r\n34\r\n", b"HD\r\n")
    c.call(b"ms m12 2 MP\r\n00\r\n", b"HD\r\n")
    c.call(b"ms m13 2 ME F2\r\nad\r\n", b"HD\r\n")
    c.call(b"ms m13 2 ME F3\r\nno\r\n", b"NS\r\n")
    c.call(b"ms m14 2 MR\r\nno\r\n", b"NS\r\n")
    cas.append(ms_cas(c, b"m15", b"q", b"MS T60 F9"))
    for k in B64_KEYS:
        cas.append(ms_cas(c, k, b"bv", b"b F4"))

    # binary
    c = bc
    cas.append(bin_set(c, b"b1", b"binval", 0x11, 0))
    cas.append(bin_set(c, b"b2", b"gone", 0, 0))
    assert bin_call(c, 0x04, b"b2")[0] == 0
    cas.append(bin_set(c, b"b3", b"41", 0, 0))
    status, body, rcas = bin_call(c, 0x05, b"b3", extras=struct.pack("!QQI", 1, 0, 0))
    assert status == 0 and struct.unpack("!Q", body)[0] == 42
    cas.append(rcas)
    status, body, rcas = bin_call(c, 0x05, b"b4", extras=struct.pack("!QQI", 1, 500, 0))
    assert status == 0 and struct.unpack("!Q", body)[0] == 500   # created
    cas.append(rcas)
    cas.append(bin_set(c, b"b5", b"t", 0, 0))
    assert bin_call(c, 0x1c, b"b5", extras=struct.pack("!I", 300))[0] == 0
    return cas


@pytest.mark.parametrize("mode", MODES)
def test_every_mutation_survives_kill9(server_factory, pdir, mode):
    srv = persist(server_factory, pdir, mode)
    with srv.client() as c, srv.client() as bc:
        handed_out = mutate_everything(c, bc)
        plain = TEXT_KEYS + META_KEYS + BIN_KEYS
        before = mg_state(c, plain)
        before_b64 = mg_state(c, B64_KEYS, b64=True)
        before_gets = gets_raw(c, TEXT_KEYS + BIN_KEYS)
    # the script did what it says (so the comparison is not of two empties)
    assert before[b"f0"] is None and before[b"d1"] is None and before[b"m4"] is None
    assert before[b"ap"][1] == b"abcde" and before[b"pp"][1] == b"xyabc"
    assert before[b"m12"][1] == b"001234" and before[b"b3"][1] == b"42"
    assert before[b"m7"][1] == b"" and b"f0" in before[b"m7"][0]
    handed_out += cas_of(before) + cas_of(before_b64)

    t0 = crash_and_restart(srv)
    with srv.client() as c:
        # stale items: not read before the crash, so the first read wins
        stale = mg_state(c, STALE_KEYS)
        after = mg_state(c, plain)
        after_b64 = mg_state(c, B64_KEYS, b64=True)
        after_gets = gets_raw(c, TEXT_KEYS + BIN_KEYS)
        assert_same_state(before, after, t0, mode)
        assert_same_state(before_b64, after_b64, t0, mode + " base64 keys")
        assert after_gets == before_gets
        assert stale[b"m5"][1] == b"stale" and {b"X", b"W"} <= set(stale[b"m5"][0]), stale
        elapsed, back = ran_down(t0)
        assert 30 - elapsed - 2 <= stale[b"m5"][2] <= 30 + back, stale
        assert stale[b"m6"][1] == b"v2" and {b"X", b"W"} <= set(stale[b"m6"][0]), stale
        # the binary key is reachable through base64 only; the other in text too
        c.call(b"get b64key\r\n", b"VALUE b64key 4 2\r\nbv\r\nEND\r\n")
        # new cas values are above every one handed out before the crash
        fresh = ms_cas(c, b"fresh", b"x")
        assert fresh > max(handed_out), (fresh, max(handed_out))
    with srv.client() as bc:
        status, _, rcas = bin_call(bc, 0x01, b"fresh2", b"y", struct.pack("!II", 0, 0))
        assert status == 0 and rcas > fresh


WIN_TOKEN_CASES = {
    # mg N on a miss creates an empty item and hands its win token to that
    # client; others see Z until it is filled
    "vivified": [b"mg tok N30 v c\r\n"],
    # md I marks it stale; the first mg after wins (W), the next see Z
    "stale": [b"ms tok 2 T100\r\nhi\r\n", b"md tok I T30\r\n", b"mg tok v c\r\n"],
}


@pytest.mark.parametrize("case", sorted(WIN_TOKEN_CASES))
def test_win_token_handed_out_before_crash(server_factory, pdir, case):
    """Once a client holds an item's win token, the others see Z.  After a
    crash the item is back (it was logged) and must not hand out a second
    W, nor lose its Z (an empty placeholder then reads as a plain hit)."""
    srv = persist(server_factory, pdir, "always")
    with srv.client() as c:
        for req in WIN_TOKEN_CASES[case]:
            c.send(req)
            line = c.recv_line()
            if line.startswith(b"VA "):
                assert b" W" in line, line      # this client won
                c.recv_exact(int(line.split()[1]) + 2)
        before = mg_state(c, [b"tok"])
    assert b"Z" in before[b"tok"][0], before
    t0 = crash_and_restart(srv)
    with srv.client() as c:
        after = mg_state(c, [b"tok"])
    assert_same_state(before, after, t0, case)


def test_delayed_flush_all_survives_kill9(server_factory, pdir):
    srv = persist(server_factory, pdir)
    with srv.client() as c:
        for k in (b"x1", b"x2"):
            c.call(b"set %s 0 0 1\r\nx\r\n" % k, b"STORED\r\n")
        due = int(c.stats()["time"]) + 5   # the flush's time (by the wall clock)
        c.call(b"flush_all 5\r\n", b"OK\r\n")
        c.call(b"get x1\r\n", b"VALUE x1 0 1\r\nx\r\nEND\r\n")   # not yet
    crash_and_restart(srv)
    with srv.client() as c:
        # recovery keeps the flush pending: before its time the items are
        # there (checked when the restart left a whole second of margin)
        c.send(b"get x1\r\n")
        reply = c.recv_until(b"END\r\n")
        if int(c.stats()["time"]) < due - 1:
            assert reply == b"VALUE x1 0 1\r\nx\r\nEND\r\n", reply
        # the pending flush still takes effect: both go, without a new command
        wait_until(lambda: c.request(b"get x1 x2\r\n", b"END\r\n") == b"END\r\n", 5 + 4,
                   "the delayed flush_all to take effect after the restart")
    # Once clients saw it take effect, it has: crashes right after (each
    # restart's clock starts at its own fraction of a second, so several)
    # neither bring back what it flushed nor flush what was set after it.
    later = b""
    for i in range(5):
        with srv.client() as c:
            c.call(b"set y%d 0 0 1\r\ny\r\n" % i, b"STORED\r\n")
            later += b"VALUE y%d 0 1\r\ny\r\n" % i
        crash_and_restart(srv)
        with srv.client() as c:
            c.call(b"get x1 x2 " + b" ".join(b"y%d" % j for j in range(i + 1)) + b"\r\n",
                   later + b"END\r\n")
    # and still so once the flush's time has surely come by every clock
    with srv.client() as c:
        now = int(c.stats()["time"])
        wait_until(lambda: int(c.stats()["time"]) >= now + 2, 5, "two seconds of server time")
        c.call(b"get x1 x2 " + b" ".join(b"y%d" % j for j in range(5)) + b"\r\n",
               later + b"END\r\n")


def test_expired_items_not_loaded(server_factory, pdir):
    srv = persist(server_factory, pdir)
    with srv.client() as c:
        c.call(b"set short 0 1 1\r\ns\r\n", b"STORED\r\n")
        c.call(b"set short2 0 2 1\r\ns\r\n", b"STORED\r\n")
        for i in range(5):
            c.call(b"set live%d 0 0 1\r\nl\r\n" % i, b"STORED\r\n")
        wait_until(lambda: c.request(b"mg short v\r\n") == b"EN\r\n", 5,
                   "the 1 s item to expire")
    # Clients saw it expire: no restart brings it back (several quick ones:
    # each process starts its clock at its own fraction of a second).
    for _ in range(5):
        crash_and_restart(srv)
        with srv.client() as c:
            items = int(c.stats()["curr_items"])
            # short2 expired meanwhile or is still there (it had 2 s); short never
            assert items in (5, 6), items
            c.call(b"mg short v\r\n", b"EN\r\n")
    with srv.client() as c:
        wait_until(lambda: c.request(b"mg short2 v\r\n") == b"EN\r\n", 5,
                   "the 2 s item to expire after the restart")
    # restart again after short2 expired: neither is loaded now
    crash_and_restart(srv)
    with srv.client() as c:
        assert int(c.stats()["curr_items"]) == 5
        assert int(c.stats("persistence")["recovered_items"]) == 5


SCHED_OTHER, SCHED_IDLE = 0, 5


def thread_policies(pid):
    """[(scheduling policy, nice)] of each thread of pid (/proc's stat)."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # a thread that just ended
        out.append((int(fields[38]), int(fields[16])))  # stat fields 41 and 19
    return out


def test_snapshots_run_on_idle_cpu_only(server_factory, pdir):
    """The snapshot thread runs at SCHED_IDLE, so a worker never waits for
    its slice (nice 10 did not stop that), with nice 10 kept for a snapshot
    that finds no idle CPU for long; every other thread keeps the normal
    policy. A snapshot still completes, and the thread stays idle-policy."""
    srv = persist(server_factory, pdir)
    pid = srv.proc.pid
    wait_until(lambda: (SCHED_IDLE, 10) in thread_policies(pid), 10,
               "the snapshot thread to lower its priority")
    policies = thread_policies(pid)
    assert policies.count((SCHED_IDLE, 10)) == 1, policies
    assert all(p == SCHED_OTHER for p, _ in policies if p != SCHED_IDLE), policies
    with srv.client() as c:
        c.call(b"set k 0 0 1\r\nx\r\n", b"STORED\r\n")
        before = int(c.stats("persistence")["snapshots"])
        c.call(b"snapshot\r\n", b"OK\r\n")
    srv.wait_persist_stat("snapshots", lambda v: v > before)
    srv.wait_persist_stat("snapshot_in_progress", lambda v: v == 0)
    assert thread_policies(pid).count((SCHED_IDLE, 10)) == 1, thread_policies(pid)


def test_snapshot_then_writes_then_kill9(server_factory, pdir):
    srv = persist(server_factory, pdir)
    keys = [b"k%d" % i for i in range(200)]
    with srv.client() as c:
        for i, k in enumerate(keys):
            ms_cas(c, k, b"v%d" % i, b"F%d T%d" % (i, 0 if i % 2 else 1000))
        before_snaps = int(c.stats("persistence")["snapshots"])
        c.call(b"snapshot\r\n", b"OK\r\n")
        srv.wait_persist_stat("snapshots", lambda v: v > before_snaps)
        srv.wait_persist_stat("snapshot_in_progress", lambda v: v == 0)
        snaps = snapshots(pdir)
        assert snaps, os.listdir(pdir)
        # the log before the snapshot is dropped
        older = [n for n in log_segments(pdir) if n[4:] < snaps[-1][9:]]
        assert not older, os.listdir(pdir)
        st = c.stats("persistence")
        assert int(st["last_snapshot_items"]) == 200 and int(st["last_snapshot_time"]) > 0, st
        # after it: overwrite, delete, append, incr, touch
        for k in keys[:20]:
            ms_cas(c, k, b"new" + k)
        for k in keys[20:40]:
            c.call(b"md %s\r\n" % k, b"HD\r\n")
        for k in keys[40:50]:
            c.call(b"append %s 0 0 1\r\n+\r\n" % k, b"STORED\r\n")
        c.call(b"set num 0 0 1\r\n1\r\n", b"STORED\r\n")
        c.call(b"incr num 41\r\n", b"42\r\n")
        c.call(b"touch k60 90\r\n", b"TOUCHED\r\n")
        before = mg_state(c, keys + [b"num"])
    t0 = crash_and_restart(srv)
    with srv.client() as c:
        after = mg_state(c, keys + [b"num"])
    assert_same_state(before, after, t0, "snapshot + log")
    assert after[b"k25"] is None and after[b"k45"][1] == b"v45+" and after[b"num"][1] == b"42"


def test_clean_stop_snapshots_and_drops_old_log(server_factory, pdir):
    srv = persist(server_factory, pdir)
    keys = [b"c%d" % i for i in range(100)]
    with srv.client() as c:
        for i, k in enumerate(keys):
            ms_cas(c, k, b"val%d" % i, b"F%d" % i)
        for k in keys[:10]:
            c.call(b"md %s\r\n" % k, b"HD\r\n")
        before = mg_state(c, keys)
    assert srv.stop() == 0, srv.run_stderr()
    names = os.listdir(pdir)
    snaps = snapshots(pdir)
    assert snaps, names
    assert not [n for n in names if n.endswith(".tmp")], names
    newest = snaps[-1].split(".")[1]
    old = [s for s in log_segments(pdir) if s.split(".")[1] < newest]
    assert not old, "log segments before the snapshot are left: %r" % names
    t0 = clock_mark()
    srv.start()
    with srv.client() as c:
        after = mg_state(c, keys)
        assert int(c.stats("persistence")["recovered_items"]) == 90
    assert_same_state(before, after, t0, "clean stop")


def test_timed_snapshots(server_factory, pdir):
    srv = persist(server_factory, pdir, "everysec", "snapshot_every=1")
    with srv.client() as c:
        c.call(b"set timed 0 0 1\r\nt\r\n", b"STORED\r\n")
    srv.wait_persist_stat("snapshots", lambda v: v >= 2, limit=5)
    assert snapshots(pdir), os.listdir(pdir)


@pytest.mark.skipif(not os.path.exists("/usr/bin/fincore"), reason="needs util-linux's fincore")
def test_fsynced_log_leaves_the_page_cache(server_factory, pdir):
    """Once fsynced, the log's pages are dropped from the page cache (the
    log is read back only by recovery): after 8 MB of writes and the fsyncs
    that cover them, the segment holds under 2 MB of resident pages."""
    srv = persist(server_factory, pdir, "everysec")
    value = b"p" * 10000
    with srv.client() as c:
        for i in range(0, 800, 100):
            c.send(b"".join(b"set page%d 0 0 %d noreply\r\n%s\r\n" % (j, len(value), value)
                            for j in range(i, i + 100)))
        c.call(b"set last 0 0 1\r\nl\r\n", b"STORED\r\n")
        # Each fsync round drops what the one before it covered (it reads
        # its target when it starts): three rounds, each after a write,
        # put every byte above behind a finished drop.
        for k in range(3):
            before = int(srv.persistence()["fsyncs"])
            c.call(b"set tick 0 0 1\r\n%d\r\n" % k, b"STORED\r\n")
            srv.wait_persist_stat("fsyncs", lambda v, b=before: v > b)
    segment = pdir / log_segments(pdir)[-1]
    assert segment.stat().st_size > 8_000_000
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", str(segment)],
                         capture_output=True, text=True, check=True).stdout
    assert int(out.split()[0]) < 2 << 20, out


def allocated_past_end(path):
    """Bytes of disk a file holds beyond its size (rounded up to 4 KB)."""
    st = path.stat()
    return st.st_blocks * 512 - (st.st_size + 4095) // 4096 * 4096


@pytest.mark.parametrize("stop", ["clean", "kill9"])
def test_log_allocated_ahead_and_given_back(server_factory, pdir, stop):
    """Past the first stream step (4 MB) of a segment, the sync thread
    allocates its blocks ahead of the writers (fallocate, keeping the
    size): the file's size stays that of its records, which a restart
    reads back whole; the blocks past the end go back at a clean stop, and
    after a kill -9 when recovery has read the segment."""
    if shutil.disk_usage(pdir.parent).free < 2 << 30:
        pytest.skip("nothing is allocated ahead on a file system with under 1 GB free")
    srv = persist(server_factory, pdir, "everysec")
    value = b"q" * 10000
    keys = [b"ahead%d" % i for i in range(600)]
    with srv.client() as c:
        for i in range(0, len(keys), 100):
            c.send(b"".join(b"set %s 0 0 %d noreply\r\n%s\r\n" % (k, len(value), value)
                            for k in keys[i:i + 100]))
        c.call(b"set last 0 0 1\r\nl\r\n", b"STORED\r\n")
        segment = pdir / log_segments(pdir)[-1]
        wait_until(lambda: allocated_past_end(segment) >= 16 << 20, 10,
                   "blocks allocated past the end of %s" % segment.name)
        # its records are on disk or in the ring still; a direct write of
        # the last, partial block pads it with zeros until the next one
        logical = int(c.stats("persistence")["log_bytes"])
        assert segment.stat().st_size <= (logical + 4095) // 4096 * 4096, logical
    if stop == "clean":
        assert srv.stop() == 0, srv.run_stderr()
        srv.start()
    else:
        crash_and_restart(srv)
    assert stop == "clean" or segment.exists()  # read by recovery, not yet dropped
    for name in os.listdir(pdir):
        if name.startswith(("log.", "snapshot.")):
            assert allocated_past_end(pdir / name) < 1 << 20, name
    with srv.client() as c:
        assert int(c.stats("persistence")["recovered_items"]) == len(keys) + 1
        c.send(b"mg %s v\r\n" % keys[-1])
        assert c.recv_line() == b"VA %d\r\n" % len(value)
        assert c.recv_exact(len(value) + 2) == value + b"\r\n"


def test_leftover_tmp_snapshot_is_removed(server_factory, pdir):
    srv = persist(server_factory, pdir)
    with srv.client() as c:
        c.call(b"set kept 0 0 1\r\nk\r\n", b"STORED\r\n")
    srv.kill9()
    # a crash in the middle of writing a snapshot leaves its temporary file
    tmp = pdir / ("snapshot.%016x.tmp" % 99)
    tmp.write_bytes(b"MNEMOSNP" + b"\x01" * 100)
    srv.start()
    with srv.client() as c:
        c.call(b"get kept\r\n", b"VALUE kept 0 1\r\nk\r\nEND\r\n")
    assert not tmp.exists(), os.listdir(pdir)


def test_smaller_memory_on_restart(server_factory, pdir):
    srv = persist(server_factory, pdir, "no", flags=("-t", "2", "-m", "64"))
    value = b"v" * 10000
    n = 3000      # 30 MB: far more than -m 8
    with srv.client() as c:
        for i in range(0, n, 100):
            c.send(b"".join(b"set big%d 0 0 %d noreply\r\n%s\r\n" % (j, len(value), value)
                            for j in range(i, i + 100)))
        c.call(b"mn\r\n", b"MN\r\n")
        assert int(c.stats()["curr_items"]) == n
    srv.kill9()
    small = start_persist(server_factory, pdir, "appendfsync=no", flags=("-t", "2", "-m", "8"))
    with small.client() as c:
        items = int(c.stats()["curr_items"])
        assert 0 < items < n, items
        reply = c.request(b"get " + b" ".join(b"big%d" % i for i in range(n - 50, n))
                          + b"\r\n", b"END\r\n")
        # what is there is exact, and the newest were kept (replayed in order,
        # the oldest are evicted first, as sets would evict them)
        entries = re.findall(rb"VALUE big\d+ 0 10000\r\n" + value + rb"\r\n", reply)
        assert reply.count(b"VALUE ") == len(entries), reply[:300]
        assert entries, "none of the 50 newest items survived the smaller -m"


def run_to_exit(args, timeout=10):
    argv = base_command() + ["-U", "0", "-l", "127.0.0.1", "-p", str(free_port())] + args
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=scaled(timeout))
    except subprocess.TimeoutExpired:
        pytest.fail("mnemod with %r did not exit within %ds" % (args, timeout))


def test_second_server_on_same_dir_refuses(server_factory, pdir):
    srv = persist(server_factory, pdir)
    proc = run_to_exit(["-o", "persist_dir=%s" % pdir])
    assert proc.returncode == 1, proc
    assert "in use" in proc.stderr.decode(errors="replace"), proc.stderr
    with srv.client() as c:                       # the first one is untouched
        c.call(b"set a 0 0 1\r\na\r\n", b"STORED\r\n")


@pytest.mark.parametrize("where", ["under-a-file", "is-a-file"])
def test_unusable_dir_refuses_with_one_line(tmp_path, where):
    plain = tmp_path / "plain"
    plain.write_text("not a directory")
    target = plain / "sub" if where == "under-a-file" else plain
    proc = run_to_exit(["-o", "persist_dir=%s" % target])
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1, (proc.returncode, err)
    lines = [ln for ln in err.splitlines() if ln.startswith("mnemod: persist: ")]
    assert lines and str(target) in lines[0], err


def test_bad_appendfsync_is_usage_error(tmp_path):
    proc = run_to_exit(["-o", "persist_dir=%s,appendfsync=sometimes" % (tmp_path / "p")])
    assert proc.returncode == 64, proc
    assert "appendfsync" in proc.stderr.decode(errors="replace")


@pytest.mark.parametrize("option", ["appendfsync=always", "snapshot_every=5",
                                    "persist_keep_prefix"])
def test_persistence_option_without_persist_dir_is_refused(option):
    """An option that would do nothing (persistence is off) stops mnemod at
    start with one line naming it, rather than being ignored."""
    proc = run_to_exit(["-o", option])
    assert proc.returncode == 64, proc
    err = proc.stderr.decode(errors="replace")
    assert "-o %s needs -o persist_dir=DIR" % option.split("=")[0] in err, err


@pytest.mark.parametrize("mode", MODES)
def test_stats_persistence(server_factory, pdir, mode):
    srv = persist(server_factory, pdir, mode)
    with srv.client() as c:
        st = c.stats("persistence")
        missing = [f for f in STATS_FIELDS if f not in st]
        assert not missing, missing
        assert st["appendfsync"] == mode and st["persist_dir"] == str(pdir)
        assert st["log_state"] == "ok" and st["last_error"] == "none"
        assert st["write_errors"] == "0" and st["snapshot_in_progress"] == "0"
        for k in range(20):
            c.call(b"set st%d 0 0 3\r\nabc\r\n" % k, b"STORED\r\n")
        after = c.stats("persistence")
        assert int(after["records_written"]) >= int(st["records_written"]) + 20
        assert int(after["bytes_written"]) >= int(st["bytes_written"]) + 20 * 5
        assert int(after["log_bytes"]) >= int(st["log_bytes"]) + 20 * 5
        if mode == "always":
            # every acknowledged set waited for an fsync that covered it
            assert int(after["fsyncs"]) > int(st["fsyncs"])

            def histogram_adds_up():
                now = c.stats("persistence")
                buckets = [int(now[f]) for f in STATS_FIELDS if f.startswith("fsync_usec_")
                           and f != "fsync_usec_total"]
                fs = int(now["fsyncs"])
                # exclusive buckets sum to fsyncs; cumulative ones end at it
                return fs > 0 and (sum(buckets) == fs or buckets[-2] + buckets[-1] == fs)
            wait_until(histogram_adds_up, 5, "the fsync histogram to add up to fsyncs")
        if mode == "everysec":
            srv.wait_persist_stat("fsyncs", lambda v: v > int(st["fsyncs"]), limit=5)


def test_stats_persistence_and_snapshot_when_off(server_factory):
    srv = server_factory()
    with srv.client() as c:
        c.stats("persistence")      # END-terminated, not an error
        c.call(b"snapshot\r\n", b"SERVER_ERROR persistence is off\r\n")


def test_help_lists_persistence_options():
    proc = run_to_exit(["-h"])
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    assert proc.returncode == 0
    for name in ("persist_dir", "appendfsync", "snapshot_every"):
        assert name in out, "--help does not mention %s" % name


def test_cas_never_reused_after_restarts(server_factory, pdir):
    srv = persist(server_factory, pdir, "no")
    top = 0
    for _round in range(3):
        with srv.client() as c:
            got = [ms_cas(c, b"r%d" % i, b"x") for i in range(5)]
            assert min(got) > top, (got, top)
            top = max(got)
        crash_and_restart(srv)
    with srv.client() as c:
        assert ms_cas(c, b"last", b"x") > top
