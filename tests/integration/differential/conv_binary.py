"""Binary protocol conversations for the differential suite.

Requests are built with bin_packet()/Bin() from differential_harness; the
fence is a noop with a reserved opaque.  Replies are rendered one packet per
line with the CAS field symbolised.
"""

import struct

from differential_harness import (LAST_CAS, Bin, Bytewise, CasSym, Conversation, Sleep,
                                  bin_packet as P)


def B(name, sends, **kw):
    return Conversation("bin-" + name, sends, "binary", **kw)


def sx(flags=0, exp=0):
    """extras of set/add/replace"""
    return struct.pack(">II", flags, exp)


def ix(delta=1, initial=0, exp=0):
    """extras of incr/decr"""
    return struct.pack(">QQI", delta, initial, exp)


def ex(exp):
    """extras of touch/gat/flush/verbosity"""
    return struct.pack(">I", exp)


NO_CREATE = 0xFFFFFFFF


def store(key=b"k", value=b"v", flags=0, exp=0, op="set", opaque=0, cas=0):
    return P(op, key, value, sx(flags, exp), cas=cas, opaque=opaque)


def get(key=b"k", op="get", opaque=0):
    return P(op, key, opaque=opaque)


C = []
add = C.append

# --- get family -----------------------------------------------------------------------
for op in ("get", "getq", "getk", "getkq"):
    add(B("%s-hit" % op, store(value=b"hello", flags=0xDEADBEEF) + get(op=op, opaque=7)))
    add(B("%s-miss" % op, get(op=op, opaque=8)))
add(B("get-empty-key", get(key=b"")))
add(B("get-key-250", store(key=b"k" * 250) + get(key=b"k" * 250, op="getk")))
add(B("get-key-251", get(key=b"k" * 251)))
add(B("get-with-extras", P("get", b"k", extras=b"\x00\x00\x00\x00")))
add(B("get-with-value", P("get", b"k", value=b"junk")))
add(B("get-large-value", store(value=b"L" * 500000) + get(op="getk")))
add(B("get-binary-value", store(value=bytes(range(256))) + get()))
add(B("get-text-stored-flags", store(value=b"x", flags=1) + get() + store(value=b"y", flags=0x7FFFFFFF)
      + get()))

# --- set / add / replace and quiet forms ----------------------------------------------
for op in ("set", "add", "replace"):
    for q in ("", "q"):
        o = op + q
        add(B("%s-exists" % o, store(value=b"old", flags=1) + store(value=b"new", flags=2, op=o, opaque=5)
              + get(op="getk")))
        add(B("%s-missing" % o, store(value=b"new", flags=2, op=o, opaque=6) + get(op="getk")))
add(B("set-empty-value", store(value=b"") + get()))
add(B("set-exptime-negative", store(exp=0xFFFFFFFF) + get()))
add(B("set-exptime-absolute-past", store(exp=2592001) + get()))
add(B("set-no-extras", P("set", b"k", b"v") + get()))
# issue 18: a storage request refused for its framing closes the connection,
# so its body (here a flush) is never run as a request
add(B("set-bad-extras-body-is-flush", store(b"keep", b"safe") + P("set", b"k", P("flush"), extras=b"\x00" * 4)
      + get(b"keep"), fence=False))
add(B("set-short-extras", P("set", b"k", b"v", extras=b"\x00\x00\x00\x00") + get()))
add(B("set-key-251", store(key=b"k" * 251)))
add(B("set-no-key", P("set", b"", b"v", sx())))
add(B("set-too-large", store(value=b"z" * (1024 * 1024 + 1)) + get()))
add(B("set-too-large-quiet", store(value=b"z" * (1024 * 1024 + 1), op="setq") + get()))
add(B("set-opaques", store(opaque=1) + store(opaque=0xFFFFFFFF) + get(opaque=0x12345678)))
add(B("set-datatype-raw", P("set", b"k", b"v", sx(), datatype=0) + get()))
add(B("set-datatype-nonzero", P("set", b"k", b"v", sx(), datatype=1) + get()))
add(B("set-vbucket-nonzero", P("set", b"k", b"v", sx(), vbucket=5) + get()))

# --- cas --------------------------------------------------------------------------------
add(B("cas-set-match", [store(value=b"v1"), Bin("set", b"k", b"v2", sx(), cas=LAST_CAS), get()]))
add(B("cas-set-mismatch", [store(value=b"v1"), Bin("set", b"k", b"v2", sx(), cas=999999999), get()]))
add(B("cas-set-missing", [P("set", b"k", b"v2", sx(), cas=12345), get()]))
add(B("cas-setq-mismatch", [store(value=b"v1"), Bin("setq", b"k", b"v2", sx(), cas=999999999), get()]))
add(B("cas-setq-match", [store(value=b"v1"), Bin("setq", b"k", b"v2", sx(), cas=LAST_CAS), get()]))
add(B("cas-add", [store(value=b"v1"), Bin("add", b"k", b"v2", sx(), cas=LAST_CAS), get()]))
add(B("cas-replace-match", [store(value=b"v1"), Bin("replace", b"k", b"v2", sx(), cas=LAST_CAS), get()]))
add(B("cas-replace-mismatch", [store(value=b"v1"), Bin("replace", b"k", b"v2", sx(), cas=999999999),
                               get()]))
add(B("cas-delete-match", [store(value=b"v1"), Bin("delete", b"k", cas=LAST_CAS), get()]))
add(B("cas-delete-mismatch", [store(value=b"v1"), Bin("delete", b"k", cas=999999999), get()]))
add(B("cas-append-match", [store(value=b"v1"), Bin("append", b"k", b"+", cas=LAST_CAS), get()]))
add(B("cas-append-mismatch", [store(value=b"v1"), Bin("append", b"k", b"+", cas=999999999), get()]))
add(B("cas-incr", [store(value=b"1"), Bin("incr", b"k", extras=ix(1), cas=LAST_CAS),
                   Bin("incr", b"k", extras=ix(1), cas=999999999), get()]))
add(B("cas-touch-keeps", [store(value=b"v1"), P("touch", b"k", extras=ex(1000)), get()]))
add(B("cas-stale-after-set", [store(value=b"v1"), store(value=b"v2"),
                              Bin("set", b"k", b"v3", sx(), cas=CasSym(1)), get()]))

# --- delete ------------------------------------------------------------------------------
add(B("delete-hit", store() + P("delete", b"k") + get()))
add(B("delete-miss", P("delete", b"k")))
add(B("deleteq-hit", store() + P("deleteq", b"k") + get()))
add(B("deleteq-miss", P("deleteq", b"k", opaque=3)))
add(B("delete-with-extras", store() + P("delete", b"k", extras=b"\x00\x00\x00\x00") + get()))
add(B("delete-with-value", store() + P("delete", b"k", value=b"x") + get()))

# --- incr / decr -------------------------------------------------------------------------
for op in ("incr", "decr", "incrq", "decrq"):
    add(B("%s-hit" % op, store(key=b"n", value=b"10") + P(op, b"n", extras=ix(3), opaque=9) + get(b"n")))
    add(B("%s-miss-no-create" % op, P(op, b"n", extras=ix(3, 5, NO_CREATE), opaque=9) + get(b"n")))
    add(B("%s-miss-create" % op, P(op, b"n", extras=ix(3, 42, 0), opaque=9) + get(b"n")))
add(B("incr-create-with-expiry", P("incr", b"n", extras=ix(1, 7, 1000)) + get(b"n")
      + P("incr", b"n", extras=ix(1, 7, 1000)) + get(b"n")))
add(B("incr-create-expired", P("incr", b"n", extras=ix(1, 7, 0xFFFFFFFE)) + get(b"n")))
add(B("incr-non-numeric", store(key=b"n", value=b"abc") + P("incr", b"n", extras=ix(1))))
add(B("incrq-non-numeric", store(key=b"n", value=b"abc") + P("incrq", b"n", extras=ix(1))))
add(B("incr-wrap", store(key=b"n", value=b"18446744073709551615") + P("incr", b"n", extras=ix(2))
      + get(b"n")))
add(B("decr-below-zero", store(key=b"n", value=b"5") + P("decr", b"n", extras=ix(50)) + get(b"n")))
add(B("decr-shrinks", store(key=b"n", value=b"100") + P("decr", b"n", extras=ix(1)) + get(b"n")))
add(B("incr-grows", store(key=b"n", value=b"99") + P("incr", b"n", extras=ix(1)) + get(b"n")))
add(B("incr-text-readback", P("incr", b"n", extras=ix(5, 1000, 0)) + P("incr", b"n", extras=ix(5))
      + get(b"n", op="getk")))
add(B("incr-no-extras", store(key=b"n", value=b"1") + P("incr", b"n")))
add(B("incr-short-extras", store(key=b"n", value=b"1") + P("incr", b"n", extras=ex(1))))
add(B("incr-with-value", store(key=b"n", value=b"1") + P("incr", b"n", b"x", ix(1))))
add(B("incr-max-delta", store(key=b"n", value=b"1") + P("incr", b"n", extras=ix(0xFFFFFFFFFFFFFFFF))
      + get(b"n")))
add(B("incr-value-too-long", store(key=b"n", value=b"1" * 25) + P("incr", b"n", extras=ix(1))))

# --- append / prepend ----------------------------------------------------------------------
for op in ("append", "prepend", "appendq", "prependq"):
    add(B("%s-hit" % op, store(value=b"mid", flags=4) + P(op, b"k", b"++", opaque=2) + get()))
    add(B("%s-miss" % op, P(op, b"k", b"++", opaque=2) + get()))
add(B("append-with-extras", store(value=b"mid") + P("append", b"k", b"++", sx()) + get()))
add(B("append-too-large", store(value=b"a" * 1000000) + P("append", b"k", b"b" * 100000) + get()))

# --- touch / gat ------------------------------------------------------------------------------
add(B("touch-hit", store() + P("touch", b"k", extras=ex(1000)) + get()))
add(B("touch-miss", P("touch", b"k", extras=ex(1000))))
add(B("touch-expire", store() + P("touch", b"k", extras=ex(0xFFFFFFFF)) + get()))
add(B("touch-no-extras", store() + P("touch", b"k")))
for op in ("gat", "gatq", "gatk", "gatkq"):
    add(B("%s-hit" % op, store(value=b"hello", flags=77) + P(op, b"k", extras=ex(1000), opaque=4) + get()))
    add(B("%s-miss" % op, P(op, b"k", extras=ex(1000), opaque=4)))
add(B("gat-expire", store() + P("gat", b"k", extras=ex(0xFFFFFFFF)) + get()))
add(B("gat-no-extras", store() + P("gat", b"k")))

# --- quit, flush, noop, version, verbosity, stat ---------------------------------------------
add(B("quit", P("quit", opaque=1) + get(), fence=False))
add(B("quitq", P("quitq", opaque=1) + get(), fence=False))
add(B("quit-after-get", store() + get() + P("quit"), fence=False))
add(B("flush", store() + P("flush") + get()))
add(B("flushq", store() + P("flushq", opaque=3) + get()))
add(B("flush-expiry-zero", store() + P("flush", extras=ex(0)) + get()))
add(B("flush-delayed", [store() + P("flush", extras=ex(3)) + get(), Sleep(4.2), get()], isolated=True))
add(B("flushq-delayed", [store() + P("flushq", extras=ex(3)) + get(), Sleep(4.2), get()], isolated=True))
add(B("flush-bad-extras", store() + P("flush", extras=b"\x00\x00") + get()))
add(B("noop", P("noop", opaque=0xABCD)))
add(B("noop-with-body", P("noop", b"k", b"v")))
add(B("version", P("version", opaque=1)))
add(B("version-with-key", P("version", b"k")))
add(B("verbosity-no-extras", P("verbosity")))
add(B("stat-all", P("stat", opaque=5)))
add(B("stat-reset", P("stat", b"reset")))
add(B("stat-unknown", P("stat", b"nosuchgroup")))

# --- expiry over time -------------------------------------------------------------------
add(B("expiry-after-sleep", [store(key=b"a", exp=2) + store(key=b"b", exp=2) + P("touch", b"b", extras=ex(100))
                             + P("gat", b"a", extras=ex(2)), Sleep(3.2),
                             get(b"a") + get(b"b")]))

# --- unknown opcodes, SASL ---------------------------------------------------------------------
for op in (0x1f, 0x25, 0x30, 0x3d, 0x40, 0x83, 0xfe, 0xff):
    add(B("unknown-op-0x%02x" % op, P(op, opaque=0x55) + get()))
    add(B("unknown-op-0x%02x-value" % op, P(op, value=b"abc", opaque=0x56) + get()))
add(B("sasl-list-mechs", P("sasl_list")))
add(B("sasl-auth", P("sasl_auth", b"PLAIN", b"\x00user\x00pass")))
add(B("sasl-step", P("sasl_step", b"PLAIN", b"\x00user\x00pass")))

# --- malformed -----------------------------------------------------------------------------------
add(B("bad-magic-zero", P("get", b"k", magic=0x00)[:24], fence=False))
add(B("bad-magic-response", P("get", b"k", magic=0x81)))
add(B("bad-magic-after-good", get() + P("get", b"k", magic=0x42)))
add(B("keylen-over-bodylen", P("get", b"k", bodylen=0)))
add(B("extlen-over-bodylen", P("set", b"k", b"", sx(), bodylen=4)))
add(B("huge-bodylen", P("set", b"k", b"", sx(), bodylen=0x7FFFFFFF)[:40], fence=False))
add(B("truncated-header", P("get", b"k")[:10], fence=False))
add(B("text-after-binary", get() + b"get k\r\n"))
add(B("binary-then-garbage", get() + b"\xff" * 24))

# --- pipelining ---------------------------------------------------------------------------------
add(B("pipeline-getkq-noop", b"".join(store(key=b"k%d" % i, value=b"v%d" % i, op="setq") for i in range(0, 20, 2))
      + b"".join(get(key=b"k%d" % i, op="getkq", opaque=i) for i in range(20)) + P("noop", opaque=99)))
add(B("pipeline-mixed", store(op="setq") + get(op="getk") + P("incr", b"n", extras=ix(1, 5, 0))
      + P("append", b"k", b"!") + P("delete", b"k") + get() + P("version") + P("noop")))
add(B("bytewise-set-get", [Bytewise(store(value=b"hello") + get(op="getk"))]))
add(B("split-header", [store()[:10], Sleep(0.05), store()[10:], get()]))
add(B("split-body", [store(value=b"abcdefghij")[:30], Sleep(0.05), store(value=b"abcdefghij")[30:], get()]))
add(B("many-in-one-send", b"".join(store(key=b"k%d" % i, value=b"x" * i) for i in range(30))
      + b"".join(get(key=b"k%d" % i, op="getk") for i in range(30))))
add(B("quiet-errors-reported", store(op="addq") + store(op="addq", opaque=1) + P("deleteq", b"nope", opaque=2)
      + P("incrq", b"nope", extras=ix(1, 0, NO_CREATE), opaque=3) + P("replaceq", b"nope", b"v", sx(), opaque=4)
      + P("appendq", b"nope", b"v", opaque=5) + get(b"nope", op="getq")))

# --- server flags -------------------------------------------------------------------------------
add(B("cas-disabled", store() + get() + P("set", b"k", b"v", sx(), cas=5) + get(), flags=("-C",)))
add(B("flush-disabled", store() + P("flush") + get(), flags=("-F",)))
add(B("item-size-2m", store(value=b"x" * (1500 * 1024)) + get(), flags=("-I", "2m")))

# --- issue 18: rejected storage packets whose body is a command --------------------------
# The body of a rejected request must be skipped as a whole: here it is a
# complete flush packet, and the get of the canary shows whether it ran.
CANARY = store(key=b"canary", value=b"alive")
PROBE = get(b"canary", opaque=0xC0)
FLUSH = P("flush", opaque=0xF1)
for op in ("set", "add", "replace", "setq", "addq", "replaceq"):
    add(B("swallow-%s-short-extras" % op, CANARY + P(op, b"k", FLUSH, extras=ex(0), opaque=1) + PROBE))
    add(B("swallow-%s-key-251" % op, CANARY + P(op, b"k" * 251, FLUSH, sx(), opaque=1) + PROBE))
for op in ("append", "prepend", "appendq", "prependq"):
    add(B("swallow-%s-with-extras" % op, CANARY + P(op, b"k", FLUSH, extras=sx(), opaque=1) + PROBE))
    add(B("swallow-%s-key-251" % op, CANARY + P(op, b"k" * 251, FLUSH, opaque=1) + PROBE))
add(B("swallow-set-no-key", CANARY + P("set", b"", FLUSH, sx(), opaque=1) + PROBE))
add(B("swallow-incr-with-value", CANARY + P("incr", b"n", FLUSH, ix(1), opaque=1) + PROBE))
add(B("swallow-touch-key-251", CANARY + P("touch", b"k" * 251, FLUSH, ex(10), opaque=1) + PROBE))

# --- issue 18: memcached 1.6.45 ---------------------------------------------------------
GIB = 1024 * 1024 * 1024
# a body over 1 GiB is refused from the header ("Invalid arguments", then close)
add(B("45-body-over-1gib", P("set", b"k", b"", sx(), bodylen=GIB + 1)[:33], fence=False))
add(B("45-body-over-1gib-unknown-op", P(0x25, bodylen=GIB + 1)[:24], fence=False))
add(B("45-body-over-1gib-key-251", P("get", b"k" * 251, bodylen=0xFFFFFFFF)[:24 + 251],
      fence=False))
add(B("45-body-1gib-key-too-long", P("get", b"k" * 251, bodylen=GIB)[:24 + 251], fence=False))
# verbosity is an unknown opcode: a bare one is answered and the stream goes on
add(B("45-verbosity-bare-then-get", store() + P("verbosity", opaque=0x12) + get(opaque=0x13)))
add(B("45-verbosity-value-then-get", P("verbosity", value=b"1234", opaque=0x12) + get(opaque=0x13)))
# SASL without authentication: "Unknown command", the data skipped
add(B("45-sasl-auth-then-get", store() + P("sasl_auth", b"PLAIN", b"\x00u\x00p", opaque=0x21)
      + get(opaque=0x22)))
add(B("45-sasl-list-then-get", store() + P("sasl_list", opaque=0x20) + get(opaque=0x22)))


# --- issue 18: keys at and past the limit --------------------------------------------------
for op, extras in (("delete", b""), ("incr", ix(1, 0, 0)), ("touch", ex(10)), ("gat", ex(10)),
                   ("getk", b""), ("append", b"")):
    value = b"+" if op == "append" else b""
    add(B("key-250-%s" % op, store(key=b"k" * 250, value=b"1") + P(op, b"k" * 250, value, extras)
          + get(b"k" * 250)))
    add(B("key-251-%s" % op, P(op, b"k" * 251, value, extras) + get(b"a")))
add(B("http-get", b"GET / HTTP/1.1\r\n"))

# --- conversations where some server is known to differ (differences.py) ------------
add(B("known-verbosity", P("verbosity", extras=ex(1), opaque=0x11), fence=False))
add(B("known-unknown-op-with-key", P(0x25, b"k", opaque=0x55) + get(opaque=0x56), fence=False))

CONVERSATIONS = C
