"""`stats digest` and `mnemo-cli compare` (part of issue 20): two servers that
hold the same items answer the same digest, whatever order the items came
in and whenever each server started; any change of a value, flags, cas or
expiry, a delete or an extra item changes it; expired items do not count.
`mnemo-cli compare` says so by its exit status and names the keys that
differ.

The servers of each test start in different wall-clock seconds, so their
server clocks differ: the digest must use absolute expiry times. The items
are written with meta `ms` and a client-chosen cas (E), so both servers
hold the same cas values.
"""

import ctypes
import ctypes.util
import os
import re
import struct
import subprocess
import time

import pytest

from mnemo_harness import (IS_MEMCACHED, REPO, free_port, sanitizer_report, scaled,
                           wait_until)

pytestmark = pytest.mark.skipif(IS_MEMCACHED,
                                reason="stats digest is mnemod's own: memcached has none")

BUILD = os.environ.get("MNEMO_BUILD_DIR", str(REPO / "build"))
CLI = os.path.join(BUILD, "mnemo-cli")

# an absolute expiry (memcached takes a TTL above 30 days as Unix time)
FAR = int(time.time()) + 5 * 365 * 86400

# key, value, flags, cas, exptime (Unix, 0 = never)
ITEMS = [(b"key:%d" % i, b"value %d " % i * (i % 7), i * 31 % 1000, 1000 + i * 3,
          FAR + i if i % 2 else 0) for i in range(60)]
ITEMS += [(b"empty", b"", 0, 5, 0), (b"bin", bytes(range(256)), 4294967295, 2**63 + 7, FAR)]


# ---------------------------------------------------------------------------
# helpers

def ms(c, key, value, flags, cas, exptime):
    """ms with explicit flags, cas (E) and exptime; asserts HD."""
    line = c.request(b"ms %s %d F%d E%d T%d\r\n%s\r\n" % (key, len(value), flags, cas, exptime,
                                                          value))
    assert line == b"HD\r\n", (key, line)


def load(srv, items):
    with srv.client() as c:
        for it in items:
            ms(c, *it)


def digest(srv):
    st = srv.stats("digest")
    assert sorted(st) == ["digest", "digest_items"], st
    assert re.fullmatch(r"[0-9a-f]{32}", st["digest"]), st
    return st["digest"], int(st["digest_items"])


def mg(srv, key):
    """What a client sees of key: (value, flags, cas, ttl) or None."""
    with srv.client() as c:
        line = c.request(b"mg %s v f c t\r\n" % key)
        if line == b"EN\r\n":
            return None
        toks = line.split()
        assert toks[0] == b"VA", line
        value = c.recv_exact(int(toks[1]) + 2)[:-2]
        f = {t[:1]: int(t[1:]) for t in toks[2:]}
        return value, f[b"f"], f[b"c"], f[b"t"]


def changed(before, after):
    """Which fields of two mg() results differ: value, flags and cas
    exactly; the TTL by more than the second or two that may pass between
    the two reads."""
    return [i for i in range(3) if before[i] != after[i]] + \
        ([3] if abs(before[3] - after[3]) > 2 else [])


def start_apart(server_factory, n=2):
    """n servers, each started in a later wall-clock second than the one
    before, so no two share a server-clock origin."""
    servers = []
    for _ in range(n):
        if servers:
            second = int(time.time())
            wait_until(lambda: int(time.time()) > second, 3, "the next second")
        servers.append(server_factory())
    return servers


def xxh3_128():
    """XXH3_128bits from Debian's libxxhash (mnemod's own), or None."""
    name = ctypes.util.find_library("xxhash") or "libxxhash.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None

    class H128(ctypes.Structure):
        _fields_ = [("low64", ctypes.c_uint64), ("high64", ctypes.c_uint64)]

    lib.XXH3_128bits.restype = H128
    lib.XXH3_128bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]

    def h(data):
        r = lib.XXH3_128bits(data, len(data))
        return r.low64 | (r.high64 << 64)
    return h


def reference_digest(items):
    """The digest as src/repl/digest.h documents it, computed here."""
    h = xxh3_128()
    if h is None:
        pytest.skip("libxxhash not loadable through ctypes")
    total = 0
    for key, value, flags, cas, exptime in items:
        v = h(value)
        canon = (struct.pack("<I", len(key)) + key +
                 struct.pack("<IIQqQQ", len(value), flags, cas, exptime, v & (2**64 - 1), v >> 64))
        total = (total + h(canon)) % 2**128
    return "%032x" % total, len(items)


def cli(*args, timeout=60):
    if not os.path.exists(CLI):
        pytest.fail("%s not built (set MNEMO_BUILD_DIR)" % CLI)
    out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=scaled(timeout))
    assert not sanitizer_report(out.stderr), out.stderr
    return out


# ---------------------------------------------------------------------------
# stats digest

def test_empty_servers_agree(server_factory):
    a, b = start_apart(server_factory)
    assert digest(a) == digest(b) == ("0" * 32, 0)


def test_same_items_same_digest_in_any_order(server_factory):
    a, b = start_apart(server_factory)
    load(a, ITEMS)
    # b: other values first, then the same final items in reverse order
    load(b, [(k, b"old " + v, f + 1, c + 1, 0) for k, v, f, c, _ in ITEMS[::3]])
    load(b, ITEMS[::-1])
    da = digest(a)
    assert da == digest(b)
    assert da[1] == len(ITEMS)
    assert da != ("0" * 32, len(ITEMS))
    # and it is the documented hash of exactly these items
    assert da == reference_digest(ITEMS)


def same_but(field, value):
    """ITEMS[1] (which has an expiry) with one field replaced."""
    it = list(ITEMS[1])
    it[field] = value
    return tuple(it)


KEY, (VALUE, FLAGS, CAS, EXPTIME) = ITEMS[1][0], range(1, 5)

CHANGES = {
    # name: (what to do on b, the mg field that then differs: 0 value,
    # 1 flags, 2 cas, 3 ttl; None: the item is gone)
    "value": (lambda c: ms(c, *same_but(VALUE, b"other")), 0),
    "value-same-length": (lambda c: ms(c, *same_but(VALUE, b"V" + ITEMS[1][1][1:])), 0),
    "flags": (lambda c: ms(c, *same_but(FLAGS, ITEMS[1][2] + 1)), 1),
    "cas": (lambda c: ms(c, *same_but(CAS, ITEMS[1][3] + 1)), 2),
    "exptime-mg-T": (lambda c: c.call(b"mg %s T%d\r\n" % (KEY, FAR + 1000), b"HD\r\n"), 3),
    "exptime-touch": (lambda c: c.call(b"touch %s %d\r\n" % (KEY, FAR + 1000), b"TOUCHED\r\n"), 3),
    "delete": (lambda c: c.call(b"delete %s\r\n" % KEY, b"DELETED\r\n"), None),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_one_change_makes_them_differ(server_factory, change):
    a, b = start_apart(server_factory)
    load(a, ITEMS)
    load(b, ITEMS)
    assert digest(a) == digest(b)
    before = mg(b, KEY)
    do, field = CHANGES[change]
    with b.client() as c:
        do(c)
    after = mg(b, KEY)
    # the change touched only the field it names
    if field is None:
        assert after is None
    else:
        assert changed(before, after) == [field], (before, after)
    da, db = digest(a), digest(b)
    assert da != db
    assert db[1] == len(ITEMS) - (1 if field is None else 0)
    # put the item back as it was: equal again (the digest is of the state only)
    load(b, [ITEMS[1]])
    assert changed(before, mg(b, KEY)) == []
    assert digest(b) == da


def test_an_extra_item_makes_them_differ(server_factory):
    a, b = start_apart(server_factory)
    load(a, ITEMS)
    load(b, ITEMS + [(b"extra", b"x", 0, 1, 0)])
    assert digest(a)[1] == len(ITEMS) and digest(b)[1] == len(ITEMS) + 1
    assert digest(a)[0] != digest(b)[0]


def test_expired_items_are_not_counted(server_factory):
    a, b = start_apart(server_factory)
    load(a, ITEMS)
    load(b, ITEMS)
    with a.client() as c:
        # already expired: never stored
        c.call(b"ms gone 1 T-1\r\nx\r\n", b"HD\r\n")
        # expires in three seconds: counted until then
        c.call(b"ms soon 1 T3 E9\r\nx\r\n", b"HD\r\n")
    assert digest(a)[1] == len(ITEMS) + 1
    assert digest(a) != digest(b)
    # nothing reads "soon" meanwhile: only the clock takes it away
    wait_until(lambda: digest(a) == digest(b), 15, "the expired item to leave the digest")
    assert digest(a) == reference_digest(ITEMS)


def test_binary_protocol_stats_digest(server_factory):
    (a,) = start_apart(server_factory, 1)
    load(a, ITEMS)
    want = digest(a)
    req = struct.Struct("!BBHBBHIIQ")
    with a.client() as c:
        c.send(req.pack(0x80, 0x10, 6, 0, 0, 0, 6, 0xbeef, 0) + b"digest")
        got = {}
        while True:
            magic, op, klen, _el, _dt, status, blen, opaque, _cas = req.unpack(c.recv_exact(24))
            assert (magic, op, status, opaque) == (0x81, 0x10, 0, 0xbeef)
            body = c.recv_exact(blen)
            if klen == 0:
                break
            got[body[:klen].decode()] = body[klen:].decode()
    assert got == {"digest": want[0], "digest_items": str(want[1])}


def test_digest_ignores_how_an_item_is_laid_out(server_factory):
    """An item whose cas the store derived and one whose cas was given
    (as a restore or a replica holds it) take different memory, which
    metadump's size= shows; the digest and compare see the same item."""
    a, b = start_apart(server_factory)
    with a.client() as c:
        line = c.request(b"ms k 5 F7 T%d c\r\nhello\r\n" % FAR)
        cas = int(re.match(rb"HD c(\d+)\r\n", line).group(1))
    load(b, [(b"k", b"hello", 7, cas, FAR)])
    assert digest(a) == digest(b) == reference_digest([(b"k", b"hello", 7, cas, FAR)])
    sizes = []
    for srv in (a, b):
        with srv.client() as c:
            dump = c.request(b"lru_crawler metadump all\r\n", b"END\r\n")
        sizes.append(re.search(rb"size=(\d+)", dump).group(1))
    assert sizes[0] != sizes[1]
    out = cli("compare", a.addr, b.addr)
    assert out.returncode == 0, out


# ---------------------------------------------------------------------------
# mnemo-cli compare

def test_compare_equal_servers(server_factory):
    a, b, c = start_apart(server_factory, 3)
    for srv in (a, b, c):
        load(srv, ITEMS)
    out = cli("compare", a.addr, b.addr, c.addr)
    assert out.returncode == 0, out
    hexd, items = digest(a)
    lines = out.stdout.splitlines()
    assert lines == ["%s digest %s items %d" % (s.addr, hexd, items) for s in (a, b, c)] + \
        ["same digest on all 3 servers"]
    assert out.stderr == ""


def test_compare_names_what_differs(server_factory):
    a, b, c = start_apart(server_factory, 3)
    for srv in (a, b, c):
        load(srv, ITEMS)
    k1, k2, k4 = ITEMS[1], ITEMS[2], ITEMS[4]
    with b.client() as conn:
        ms(conn, k1[0], k1[1], k1[2] + 1, k1[3], k1[4])        # flags
        conn.call(b"delete %s\r\n" % k2[0], b"DELETED\r\n")   # missing
        ms(conn, b"only-on-b", b"x", 0, 1, 0)                  # extra
        ms(conn, k4[0], k4[1], k4[2], k4[3] + 5, k4[4])        # cas
    out = cli("compare", a.addr, b.addr, c.addr)
    assert out.returncode == 1, out
    lines = out.stdout.splitlines()
    # c agrees with a: only b is listed
    assert "%s against %s" % (c.addr, a.addr) not in out.stdout
    head = "%s against %s " % (b.addr, a.addr)
    start = next(i for i, l in enumerate(lines) if l.startswith(head))
    assert lines[start + 1:] == [
        "  differs %s flags %d vs %d" % (k1[0].decode(), k1[2], k1[2] + 1),
        "  missing %s" % k2[0].decode(),
        "  differs %s cas %d vs %d" % (k4[0].decode(), k4[3], k4[3] + 5),
        "  extra   only-on-b",
        "  1 missing, 1 extra, 2 differ in cas, exp or flags",
    ]
    assert "digests differ" in lines
    # --max-diffs bounds the list, not the counts
    out = cli("compare", "--max-diffs", "1", a.addr, b.addr)
    assert out.returncode == 1, out
    tail = out.stdout.splitlines()[-3:]
    assert tail == ["  differs %s flags %d vs %d" % (k1[0].decode(), k1[2], k1[2] + 1),
                    "  ... 3 more",
                    "  1 missing, 1 extra, 2 differ in cas, exp or flags"]


def test_compare_exptime_and_same_cas_value(server_factory):
    a, b = start_apart(server_factory)
    load(a, ITEMS)
    load(b, ITEMS)
    k = ITEMS[3]
    with b.client() as conn:
        conn.call(b"touch %s %d\r\n" % (k[0], FAR + 50), b"TOUCHED\r\n")
    out = cli("compare", a.addr, b.addr)
    assert out.returncode == 1, out
    assert "  differs %s exp %d vs %d\n" % (k[0].decode(), k[4], FAR + 50) in out.stdout
    # a value changed under the same cas and flags: only the digest sees it
    load(b, [k, (ITEMS[5][0], b"X" + ITEMS[5][1][1:]) + ITEMS[5][2:]])
    out = cli("compare", a.addr, b.addr)
    assert out.returncode == 1, out
    assert "0 missing, 0 extra, 0 differ in cas, exp or flags" in out.stdout
    assert "a value changed under the same cas" in out.stdout


def test_compare_errors(server_factory):
    (a,) = start_apart(server_factory, 1)
    dead = "127.0.0.1:%d" % free_port()
    out = cli("compare", a.addr, dead)
    assert out.returncode == 2, out
    assert "compare %s: cannot connect" % dead in out.stderr
    out = cli("compare", a.addr, "no:such:address:here")
    assert out.returncode == 2, out
    assert "bad address no:such:address:here" in out.stderr
    for args in ([a.addr], [], ["--max-diffs", "-1", a.addr, a.addr],
                 ["--max-diffs", a.addr, a.addr]):
        out = cli("compare", *args)
        assert out.returncode == 2, (args, out)
        assert out.stderr.startswith("mnemo-cli: "), (args, out)
        assert "compare" in out.stderr, (args, out)
