"""Meta protocol conversations (mg ms md ma mn me) for the differential suite.

The runner's fence is "version" (as for text: it also ends the read when the
server does not speak meta); conversations that test quiet mode send their
own "mn" fence, as a client would.
"""

import base64

from differential_harness import SYNC, Bytewise, Conversation, Sleep, WithCas


def M(name, sends, **kw):
    return Conversation("meta-" + name, sends, "meta", **kw)


def ms(key, value, flags=b""):
    return b"ms %s %d%s\r\n%s\r\n" % (key, len(value), (b" " + flags) if flags else b"", value)


def b64(key):
    return base64.b64encode(key)


C = []
add = C.append

# --- mn / me ------------------------------------------------------------------------
add(M("mn", b"mn\r\n"))
add(M("mn-with-args", b"mn foo bar\r\n"))
add(M("me-miss", b"me k\r\n"))
add(M("me-no-ttl", ms(b"k", b"hello") + b"me k\r\n"))
add(M("me-after-fetch", ms(b"k", b"hello") + b"mg k v\r\nme k\r\n"))
add(M("me-no-key", b"me\r\n"))
add(M("me-base64", ms(b"k", b"hello") + b"me " + b64(b"k") + b" b\r\n"))
add(M("me-b-key-not-base64", ms(b"k", b"hello") + b"me k b\r\n"))

# --- mg: every flag, hit and miss ----------------------------------------------------
MG_FLAGS = [b"", b"v", b"f", b"s", b"c", b"k", b"O123", b"t", b"h", b"l", b"u", b"q", b"v f s c k",
            b"v c t", b"k O9 v", b"s v", b"h h", b"v v", b"Oabc k"]
for fl in MG_FLAGS:
    tag = fl.decode().replace(" ", "") or "none"
    add(M("mg-hit-%s" % tag, ms(b"k", b"value", b"F7 T1000") + b"mg k %s\r\n" % fl))
    add(M("mg-miss-%s" % tag, b"mg nokey %s\r\n" % fl))
add(M("mg-hit-no-ttl-t", ms(b"k", b"value") + b"mg k t v\r\n"))
add(M("mg-h-after-fetch", ms(b"k", b"value") + b"mg k h\r\nmg k h\r\nmg k h v\r\n"))
add(M("mg-u-no-bump", ms(b"k", b"value") + b"mg k u h\r\nmg k h\r\n"))
add(M("mg-l-after-sleep", [ms(b"k", b"value") + b"mg k v\r\n", Sleep(2.2), b"mg k l h\r\n"]))
add(M("mg-T-updates-ttl", ms(b"k", b"value", b"T1000") + b"mg k T3000 t\r\nmg k t\r\n"))
add(M("mg-T-miss", b"mg k T3000 t\r\n"))
add(M("mg-T-negative", ms(b"k", b"value") + b"mg k T-1\r\nmg k v\r\n"))
add(M("mg-binary-value", ms(b"k", bytes(range(256))) + b"mg k v s\r\n"))
add(M("mg-empty-value", ms(b"k", b"") + b"mg k v s\r\n"))
add(M("mg-large-value", ms(b"k", b"q" * 500000) + b"mg k v s\r\n"))
add(M("mg-text-set-value", b"set k 12 0 3\r\nabc\r\nmg k v f s\r\n"))
add(M("mg-key-250", ms(b"k" * 250, b"v") + b"mg " + b"k" * 250 + b" v k\r\n"))
add(M("mg-key-251", b"mg " + b"k" * 251 + b" v\r\n"))

# --- mg: vivify, recache, stale --------------------------------------------------------
add(M("mg-N-vivify", b"mg k N30 v c t\r\nmg k N30 v c t\r\nmg k v\r\n"))
add(M("mg-N-vivify-s", b"mg k N30 s\r\nmg k s v\r\n"))
add(M("mg-N-hit", ms(b"k", b"value") + b"mg k N30 v\r\n"))
add(M("mg-N-then-ms", b"mg k N30 v c\r\n" + ms(b"k", b"filled") + b"mg k v\r\n"))
add(M("mg-N-q", b"mg k N30 q v\r\nmn\r\n"))
add(M("mg-R-low-ttl", ms(b"k", b"value", b"T20") + b"mg k R30 v t\r\nmg k R30 v t\r\n"))
add(M("mg-R-high-ttl", ms(b"k", b"value", b"T1000") + b"mg k R30 v t\r\n"))
add(M("mg-R-no-ttl", ms(b"k", b"value") + b"mg k R30 v\r\n"))
add(M("stale-md-I-then-mg", ms(b"k", b"value") + b"md k I\r\nmg k v c\r\nmg k v c\r\n"))
add(M("stale-md-I-T", ms(b"k", b"value", b"T1000") + b"md k I T30\r\nmg k v t\r\n"))
add(M("stale-then-ms-clears", ms(b"k", b"value") + b"md k I\r\nmg k v\r\n" + ms(b"k", b"new")
      + b"mg k v\r\n"))
add(M("stale-ms-I-lower-cas", [ms(b"k", b"v1", b"c"),
                               WithCas(b"md k I\r\nms k 2 I C$CAS\r\nv2\r\nmg k v c\r\n")]))
add(M("stale-ms-I-no-cas", ms(b"k", b"v1") + b"md k I\r\n" + ms(b"k", b"v2", b"I") + b"mg k v\r\n"))
add(M("stale-md-I-miss", b"md k I\r\n"))
add(M("stale-md-I-q", ms(b"k", b"value") + b"md k I q\r\nmg k v\r\n"))

# --- ms: flags and modes ------------------------------------------------------------
add(M("ms-basic", ms(b"k", b"value") + b"mg k v\r\n"))
add(M("ms-F-flags", ms(b"k", b"value", b"F123") + b"mg k f v\r\nget k\r\n"))
add(M("ms-F-max", ms(b"k", b"value", b"F4294967295") + b"mg k f\r\n"))
add(M("ms-T", ms(b"k", b"value", b"T1000") + b"mg k t\r\n"))
add(M("ms-T-negative", ms(b"k", b"value", b"T-1") + b"mg k v\r\n"))
add(M("ms-c", ms(b"k", b"value", b"c") + b"mg k c\r\n"))
add(M("ms-k-O", ms(b"k", b"value", b"k O77") + ms(b"k", b"value", b"O78")))
add(M("ms-q-success", ms(b"k", b"value", b"q") + b"mg k v\r\n"))
add(M("ms-q-failure", ms(b"k", b"value", b"q ME") + ms(b"k", b"value", b"q ME O5")))
add(M("ms-b-key", ms(b64(b"bin\x00key"), b"value", b"b") + b"mg " + b64(b"bin\x00key") + b" b v k\r\n"))
add(M("ms-b-key-invalid", ms(b"!!!notbase64", b"value", b"b")))
add(M("ms-s-flag", ms(b"k", b"value", b"s")))
add(M("ms-C-match", [ms(b"k", b"v1", b"c"), WithCas(b"ms k 2 C$CAS c\r\nv2\r\nmg k v\r\n")]))
add(M("ms-C-mismatch", [ms(b"k", b"v1", b"c"), WithCas(b"ms k 2 C1$CAS\r\nv2\r\nmg k v\r\n")]))
add(M("ms-C-miss", b"ms k 2 C123\r\nv2\r\n"))
for mode in (b"S", b"E", b"A", b"P", b"R", b"s", b"e", b"a", b"p", b"r"):
    m = mode.decode()
    lm = m if m.isupper() else "lower" + m
    add(M("ms-M%s-hit" % lm, ms(b"k", b"old", b"F3 T1000") + ms(b"k", b"new", b"M" + mode + b" c")
          + b"mg k v f t\r\n"))
    add(M("ms-M%s-miss" % lm, ms(b"k", b"new", b"M" + mode) + b"mg k v\r\n"))
add(M("ms-M-invalid", ms(b"k", b"new", b"MX")))
add(M("ms-MA-N-hit", ms(b"k", b"old") + ms(b"k", b"new", b"MA N100") + b"mg k v\r\n"))
add(M("ms-MP-C-match", [ms(b"k", b"old", b"c"), WithCas(b"ms k 3 MP C$CAS\r\nnew\r\nmg k v\r\n")]))
add(M("ms-MA-C-mismatch", [ms(b"k", b"old", b"c"), WithCas(b"ms k 3 MA C1$CAS\r\nnew\r\nmg k v\r\n")]))
add(M("ms-bad-data-chunk", b"ms k 3\r\nabcd\r\nmg k v\r\n"))
add(M("ms-no-length", b"ms k\r\nabc\r\n"))
add(M("ms-bad-length", b"ms k abc\r\nabc\r\n"))
add(M("ms-negative-length", b"ms k -1\r\nabc\r\n"))
add(M("ms-too-large", ms(b"k", b"z" * (1024 * 1024 + 1)) + b"mg k v\r\n"))
add(M("ms-no-key", b"ms\r\n"))
add(M("ms-invalid-flag", ms(b"k", b"value", b"!")))
add(M("ms-bad-F", ms(b"k", b"v", b"Fabc")))
add(M("ms-bad-T", ms(b"k", b"v", b"Tabc")))
add(M("ms-bad-C", ms(b"k", b"v", b"Cabc")))
add(M("ms-I-no-stale", ms(b"k", b"v1") + ms(b"k", b"v2", b"I") + b"mg k v\r\n"))
add(M("ms-key-too-long", ms(b"k" * 251, b"v")))
# issue 18: the meta grammar of memcached 1.6.45
add(M("md-flag-messages", ms(b"k", b"v") + b"md k Z\r\nmd k v v\r\nmd k Tx\r\nmd k b\r\nmd k Cx\r\n"))
add(M("ma-flag-messages", b"ma " + b"k" * 251 + b"\r\nma k" + b" v" * 19 + b"\r\nma k Mxx\r\nma k D+1\r\n"))
add(M("md-too-many-flags", b"md k" + b" T1" * 18 + b"\r\nmd k" + b" q" * 19 + b"\r\n"))
add(M("M-takes-one-byte", ms(b"k", b"v", b"MSS") + b"mg k Mxx v\r\n" + ms(b"k", b"v", b"M")))
add(M("flag-numbers-strict", ms(b"k", b"v") + b"mg k T+5 v\r\n" + ms(b"k", b"w", b"F+1") + b"mg k v\r\n"))
add(M("flag-first-byte", b"mg k @\r\nmg k {\r\nmg k [\r\nme k !\r\n"))
# issue 18: q hides ma's success also when N created the counter
add(M("ma-q-vivify-hidden", b"ma z q N0\r\nma y q N0 J7 v\r\nma z q v\r\nmg y v\r\n"))
# issue 18: mg applies N, T, R and t in the order they came
add(M("mg-t-before-T", ms(b"a", b"x", b"T100") + b"mg a t T30\r\nmg a T40 t\r\n"))
add(M("mg-R-before-T", ms(b"a", b"x") + b"mg a R30 T10 v\r\nmg a R30 v\r\n"))
add(M("mg-R-before-T-longer", ms(b"a", b"x", b"T10") + b"mg a R30 T100 v\r\nmg a R30 v\r\n"))
add(M("mg-t-around-N-T", b"mg a t N30\r\nmg b N30 t\r\nmg c t T50 N30\r\nmg c t\r\n"
      b"mg d N30 t T50\r\nmg d t\r\nmg e T50 t N30\r\nmg e t\r\n"))
# issue 18: a refused ms never runs its data block ("mn" here) as a command
add(M("ms-too-many-flags-swallows", ms(b"k", b"mn", b" ".join(b"T%d" % i for i in range(18)))
      + b"mg k v\r\n"))
add(M("ms-set-then-text-get", ms(b"k", b"value", b"F9") + b"gets k\r\n"))

# --- md -----------------------------------------------------------------------------
add(M("md-hit", ms(b"k", b"v") + b"md k\r\nmg k v\r\n"))
add(M("md-miss", b"md k\r\n"))
add(M("md-q", ms(b"k", b"v") + b"md k q\r\nmd k q\r\nmn\r\n"))
add(M("md-k-O", ms(b"k", b"v") + b"md k k O42\r\nmd k k O43\r\n"))
add(M("md-b", ms(b64(b"bk"), b"v", b"b") + b"md " + b64(b"bk") + b" b k\r\nmg " + b64(b"bk") + b" b v\r\n"))
add(M("md-C-match", [ms(b"k", b"v", b"c"), WithCas(b"md k C$CAS\r\nmg k v\r\n")]))
add(M("md-C-mismatch", [ms(b"k", b"v", b"c"), WithCas(b"md k C1$CAS\r\nmg k v\r\n")]))
add(M("md-extra-token", ms(b"k", b"v") + b"md k 0\r\n"))
add(M("md-no-key", b"md\r\n"))

# --- ma -----------------------------------------------------------------------------
add(M("ma-miss", b"ma n\r\n"))
add(M("ma-hit", ms(b"n", b"5") + b"ma n\r\nmg n v\r\n"))
add(M("ma-v", ms(b"n", b"5") + b"ma n v\r\n"))
add(M("ma-D", ms(b"n", b"5") + b"ma n D10 v\r\n"))
add(M("ma-MI", ms(b"n", b"5") + b"ma n MI D2 v\r\n"))
add(M("ma-Mplus", ms(b"n", b"5") + b"ma n M+ D2 v\r\n"))
add(M("ma-MD", ms(b"n", b"5") + b"ma n MD D2 v\r\n"))
add(M("ma-Mminus", ms(b"n", b"5") + b"ma n M- D2 v\r\n"))
add(M("ma-Mdecr-below-zero", ms(b"n", b"5") + b"ma n MD D20 v\r\n"))
add(M("ma-Mbad", ms(b"n", b"5") + b"ma n MX v\r\n"))
add(M("ma-wrap", ms(b"n", b"18446744073709551615") + b"ma n v\r\n"))
add(M("ma-N-vivify", b"ma n N100 J13 v t\r\nma n v\r\n"))
add(M("ma-N-vivify-default", b"ma n N0 v\r\n"))
add(M("ma-N-decr-vivify", b"ma n N100 J13 MD v\r\n"))
add(M("ma-J-without-N", b"ma n J13 v\r\n"))
add(M("ma-t-c-k-O", ms(b"n", b"1", b"T1000") + b"ma n t c k O5 v\r\n"))
add(M("ma-T", ms(b"n", b"1") + b"ma n T1000 t v\r\n"))
add(M("ma-q", ms(b"n", b"1") + b"ma n q\r\nma nope q\r\nmn\r\n"))
add(M("ma-C-match", [ms(b"n", b"1", b"c"), WithCas(b"ma n C$CAS v c\r\n")]))
add(M("ma-C-mismatch", [ms(b"n", b"1", b"c"), WithCas(b"ma n C1$CAS v\r\n")]))
add(M("ma-non-numeric", ms(b"n", b"abc") + b"ma n v\r\n"))
add(M("ma-bad-delta", ms(b"n", b"1") + b"ma n Dabc v\r\n"))
add(M("ma-grows-length", ms(b"n", b"99") + b"ma n v\r\nmg n v s\r\n"))
add(M("ma-shrinks-length", ms(b"n", b"100") + b"ma n MD v\r\nmg n v s\r\n"))
add(M("ma-b-key", ms(b64(b"num"), b"7", b"b") + b"ma " + b64(b"num") + b" b v k\r\n"))
add(M("ma-no-key", b"ma\r\n"))

# --- base64, opaque, quiet mode, pipelining --------------------------------------------
add(M("b64-roundtrip-text", ms(b64(b"plain"), b"v", b"b") + b"get plain\r\nmg plain v\r\n"))
add(M("b64-k-returns-encoded", ms(b"plain", b"v") + b"mg " + b64(b"plain") + b" b k v\r\n"))
# issue 18: a key stored with b comes back base64 with b, however it is asked for
add(M("b64-stored-k-read-plain", ms(b64(b"plain"), b"v", b"b") + b"mg plain k v\r\nme plain\r\n"
      + b"ma plain k\r\nmg plain k s\r\n"))
add(M("b64-bad-padding", b"mg abc b v\r\n"))
add(M("b64-miss", b"mg " + b64(b"nothere") + b" b v k\r\n"))
add(M("opaque-long", ms(b"k", b"v") + b"mg k O" + b"x" * 31 + b" v\r\n"))
add(M("opaque-too-long", ms(b"k", b"v") + b"mg k O" + b"x" * 40 + b" v\r\n"))
add(M("opaque-on-miss", b"mg k O1 k v\r\nmg k O2 q v\r\nmn\r\n"))
add(M("quiet-pipeline", ms(b"a", b"1", b"q") + ms(b"b", b"2", b"q") + b"mg a q v k\r\nmg x q v k\r\n"
      b"mg b q v k\r\nmd a q\r\nmd a q\r\nmn\r\nmg a v q\r\n"))
add(M("quiet-only-fence", b"mg x q\r\nmg y q\r\nmn\r\n"))
add(M("pipeline-many-meta", b"".join(ms(b"k%d" % i, b"v%d" % i, b"T1000") for i in range(40))
      + b"".join(b"mg k%d v k O%d\r\n" % (i, i) for i in range(40))))
add(M("pipeline-mixed-text-meta", b"set t 0 0 1\r\nx\r\n" + ms(b"m", b"y") + b"get m\r\nmg t v\r\n"
      b"gets t m\r\nmn\r\nversion\r\n"))
add(M("bytewise-meta", [Bytewise(ms(b"k", b"hello", b"T100 c") + b"mg k v c\r\n")]))
add(M("split-ms-data", [b"ms k 10\r\nabc", Sleep(0.05), b"defghij\r\nmg k v\r\n"]))

# --- malformed ----------------------------------------------------------------------
MALFORMED = [
    ("mg-alone", b"mg\r\n"), ("mg-bad-flag", b"mg k !\r\n"), ("mg-flag-digit", b"mg k 5\r\n"),
    ("mg-bad-T", b"mg k Tabc\r\n"), ("mg-bad-N", b"mg k Nabc\r\n"), ("mg-bad-R", b"mg k Rabc\r\n"),
    ("mg-many-flags", b"mg k " + b" ".join([b"v"] * 40) + b"\r\n"),
    ("mg-double-space", b"mg  k v\r\n"), ("mg-trailing-space", b"mg k v \r\n"),
    ("mx-unknown-meta", b"mx k\r\n"), ("mg-uppercase", b"MG k v\r\n"),
    ("ms-missing-data", b"ms k 5\r\n", False), ("ma-bad-mode-long", b"ma n Mfoo\r\n"),
    ("ma-bad-N", b"ma n Nabc\r\n"), ("ma-bad-J", b"ma n N10 Jabc\r\n"),
    ("md-bad-C", b"md k Cabc\r\n"), ("ms-bad-mode-long", b"ms k 1 MSS\r\nx\r\n"),
    ("mg-key-with-ctrl", b"mg k\x01y v\r\n"), ("mg-lf-only", b"mg k v\n"),
    ("ms-lf-only", b"ms k 1\nx\r\nmg k v\n"),
    ("mn-lf", b"mn\n"),
]
for entry in MALFORMED:
    name, data = entry[0], entry[1]
    add(M("bad-" + name, data, fence=entry[2] if len(entry) > 2 else True))

# --- issue 18: bad numbers in meta tokens, and data blocks that are commands ----------
# An ms whose flags are rejected but whose length parsed: memcached 1.6.45
# skips the data block ("flush_all" here; the mg of the canary shows it).
CANARY = ms(b"canary", b"alive")
PROBE = b"mg canary v\r\n"
for name, flags in [
        ("F-abc", b"Fabc"), ("F-negative", b"F-1"), ("F-2-pow-32", b"F4294967296"),
        ("T-abc", b"Tabc"), ("T-huge", b"T99999999999999999999"), ("T-fraction", b"T1.5"),
        ("C-abc", b"Cabc"), ("C-negative", b"C-1"), ("C-2-pow-64", b"C18446744073709551616"),
        ("E-abc", b"Eabc"), ("M-invalid", b"MZ"), ("invalid-flag", b"!"), ("O-too-long", b"O" + b"x" * 40),
        ("q-F-abc", b"q Fabc"), ("duplicate-T", b"T10 T20")]:
    add(M("swallow-ms-" + name, CANARY + b"ms k 9 " + flags + b"\r\nflush_all\r\n" + PROBE + b"mn\r\n"))
add(M("swallow-ms-key-251", CANARY + b"ms " + b"k" * 251 + b" 9\r\nflush_all\r\n" + PROBE))
add(M("swallow-ms-bad-base64", CANARY + b"ms !!!notbase64 9 b\r\nflush_all\r\n" + PROBE))
add(M("swallow-ms-length-abc", CANARY + b"ms k abc\r\nflush_all\r\n" + PROBE))
add(M("swallow-ms-length-negative", CANARY + b"ms k -9\r\nflush_all\r\n" + PROBE))
add(M("swallow-ms-length-2-pow-32-plus-9", CANARY + b"ms k 4294967305\r\nflush_all\r\n" + PROBE))

for name, line in [
        ("mg-T-negative-huge", b"mg k T-99999999999999999999 v"), ("mg-T-fraction", b"mg k T1.5 v"),
        ("mg-N-huge", b"mg nokey N99999999999999999999 v"), ("mg-R-negative", b"mg k R-1 v"),
        ("mg-E-abc", b"mg k Eabc v"), ("mg-E-negative", b"mg k E-1 v"),
        ("ma-D-negative", b"ma n D-1 v"), ("ma-D-2-pow-64", b"ma n D18446744073709551616 v"),
        ("ma-D-fraction", b"ma n D1.5 v"), ("ma-J-abc", b"ma nope N10 Jabc v"),
        ("ma-J-2-pow-64", b"ma nope N10 J18446744073709551616 v"), ("ma-N-negative", b"ma nope N-5 v"),
        ("ma-T-abc", b"ma n Tabc v"), ("ma-C-2-pow-64", b"ma n C18446744073709551616 v"),
        ("md-T-abc", b"md k I Tabc"), ("md-C-negative", b"md k C-1"), ("md-E-abc", b"md k Eabc"),
        ("me-extra-token", b"me k x")]:
    add(M("badnum-" + name, ms(b"n", b"5") + ms(b"k", b"v", b"T100") + line + b"\r\nmg n v\r\nmg k v\r\n"))

# --- issue 18: lengths at and past the limits --------------------------------------------
for cmd in (b"md", b"ma", b"me"):
    c = cmd.decode()
    add(M("key-250-%s" % c, ms(b"k" * 250, b"7") + cmd + b" " + b"k" * 250 + b"\r\n"))
    add(M("key-251-%s" % c, cmd + b" " + b"k" * 251 + b"\r\nmn\r\n"))
add(M("key-b64-250-bytes", ms(b64(b"k" * 250), b"v", b"b") + b"mg " + b64(b"k" * 250) + b" b v\r\n"))
add(M("key-b64-251-bytes", ms(b64(b"k" * 251), b"v", b"b") + b"mg " + b64(b"k" * 251) + b" b v\r\n"))
add(M("line-2048-mg", b"mg k " + b" ".join([b"v"] * 1021) + b"\r\n"))
add(M("no-newline-mg-3000", b"mg " + b"k" * 2997, fence=False))
add(M("no-newline-ms-3000", b"ms k 1 " + b"T1 " * 998, fence=False))
add(M("http-get", b"GET / HTTP/1.1\r\n"))
add(M("http-after-meta", [ms(b"k", b"v") + b"mg k v\r\n", SYNC, b"GET / HTTP/1.1\r\nmg k v\r\n"]))

# --- conversations where some server is known to differ (differences.py) ------------
# memcached 1.6.18 lacks the meta flags E (explicit new CAS, mg/ms/md/ma), md x
# (drop the value, keep the item) and ms N in append mode (vivify).
add(M("known-me-exp-sign", ms(b"k", b"hello", b"T1000 F5") + b"me k\r\n"))
add(M("known-mg-E-hit", ms(b"k", b"value") + b"mg k E999 c v\r\n"))
add(M("known-ms-E", ms(b"k", b"value", b"E12345 c") + b"mg k c\r\ngets k\r\n"))
add(M("known-ms-C-E", [ms(b"k", b"v1", b"c"), WithCas(b"ms k 2 C$CAS E777 c\r\nv2\r\nmg k c\r\n")]))
add(M("known-md-I-E", ms(b"k", b"value") + b"md k I E999\r\nmg k c v\r\n"))
add(M("known-ma-E", ms(b"n", b"1") + b"ma n E4242 c v\r\n"))
add(M("known-md-x", ms(b"k", b"value") + b"md k x\r\nmg k v s\r\n"))
add(M("known-md-x-miss", b"md k x\r\n"))
add(M("known-ms-MA-N-vivify", ms(b"k", b"new", b"MA N100") + b"mg k v t\r\n"))

# --- issue 18: memcached 1.6.45's meta rules ---------------------------------------------
K251 = b"k" * 251

add(M('45-flag-byte-bang', b'mg k !\r\n'))
add(M('45-flag-byte-brace', b'mg k v {\r\n'))
add(M('45-flag-byte-at', b'mg k @\r\n'))
add(M('45-flag-byte-high', b'mg k v \x80\r\n'))
add(M('45-flag-byte-bracket', b'mg k [\r\n'))
add(M('45-flag-byte-digit', b'md k 0\r\n'))
add(M('45-flag-byte-md', b'md k !\r\n'))
add(M('45-flag-byte-ma', b'ma k !\r\n'))
add(M('45-flag-byte-me', ms(b'k', b'v') + b'me k !\r\n'))
add(M('45-flag-byte-ms-no-swallow', b'ms k 2 !\r\nmn\r\n'))
add(M('45-flag-byte-ms-before-length', b'ms k x !\r\nmn\r\n'))
add(M('45-flag-byte-key-too-long', b'mg ' + K251 + b' !\r\n'))
add(M('45-flag-byte-past-23-tokens', b'mg k a b c d e f g h i j k l m n o p q r s t u !\r\n'))
add(M('45-flag-byte-at-23-tokens', b'mg k a b c d e f g h i j k l m n o p q r s t !\r\n'))
add(M('45-T-plus', ms(b'k', b'v', b'T100') + b'mg k T+5 t\r\nmg k t\r\n'))
add(M('45-T-12-bytes', b'mg k T000000000001\r\n'))
add(M('45-T-minus-only', ms(b'k', b'v', b'T100') + b'mg k T- t v\r\n'))
add(M('45-F-plus', ms(b'k', b'v', b'F+1') + b'mg k v\r\n'))
add(M('45-F-12-bytes', ms(b'k', b'v', b'F000000000001') + b'mg k v\r\n'))
add(M('45-F-11-bytes', ms(b'k', b'v', b'F00000000001') + b'mg k f v\r\n'))
add(M('45-C-plus', ms(b'k', b'v', b'C+1') + b'mg k v\r\n'))
add(M('45-C-23-bytes', b'md k C00000000000000000000001\r\n'))
add(M('45-C-22-bytes', b'md k C0000000000000000000001\r\n'))
add(M('45-D-plus', ms(b'n', b'5') + b'ma n D+1 v\r\nmg n v\r\n'))
add(M('45-J-plus', b'ma n N0 J+5 v\r\n'))
add(M('45-N-plus', b'mg k N+30 v\r\nmg k v\r\n'))
add(M('45-md-bad-C', ms(b'k', b'v') + b'md k Cabc\r\nmg k v\r\n'))
add(M('45-md-bad-F', b'md k Fx\r\n'))
add(M('45-md-bad-F-then-T', b'md k Fx Tx\r\n'))
add(M('45-md-bad-base64', b'md k b\r\n'))
add(M('45-md-duplicate', b'md k q q\r\n'))
add(M('45-md-unknown', b'md k z\r\n'))
add(M('45-md-key-too-long', b'md ' + K251 + b'\r\n'))
add(M('45-ma-key-too-long', b'ma ' + K251 + b'\r\n'))
add(M('45-ma-bad-mode-bare', b'ma n M\r\n'))
add(M('45-ma-mode-first-byte', ms(b'n', b'5') + b'ma n MDx v\r\nma n M+- v\r\n'))
add(M('45-ma-bad-mode-after-bad-D', b'ma n Mx Dx\r\n'))
add(M('45-ms-mode-first-byte', ms(b'k', b'v', b'MEx') + ms(b'k', b'w', b'MEx') + b'mg k v\r\n'))
add(M('45-ms-mode-bare', ms(b'k', b'v', b'M') + b'mg k v\r\n'))
add(M('45-mg-mode-ignored', ms(b'k', b'v') + b'mg k M v\r\nmg k Mxyz v\r\n'))
add(M('45-mg-20-tokens', b'mg k s t c f l h k v u P L x I O E1 C1 J1 D1\r\n'))
add(M('45-mg-21-tokens', b'mg k s t c f l h k v u P L x I O E1 C1 J1 D1 F1\r\n'))
add(M('45-md-20-tokens', b'md k s t c f l h k v u P L x I O E1 C1 J1 D1\r\n'))
add(M('45-md-21-tokens', b'md k s t c f l h k v u P L x I O E1 C1 J1 D1 F1\r\n'))
add(M('45-ma-20-tokens', b'ma k s t c f l h k v u P L I O E1 C1 J1 D1 F1\r\n'))
add(M('45-ma-21-tokens', b'ma k s t c f l h k v u P L I O E1 C1 J1 D1 F1 T1\r\n'))
add(M('45-ms-20-tokens', b'ms k 1 s t c f l h k v u P L I O E1 C1 J1 D1\r\nx\r\n'))
add(M('45-ms-21-tokens', b'ms k 1 s t c f l h k v u P L I O E1 C1 J1 D1 F1\r\nx\r\nmn\r\n'))
add(M('45-ms-s-append', ms(b'k', b'abc') + ms(b'k', b'de', b'MA s')
      + ms(b'k', b'f', b'MP s c k O5')))
add(M('45-ms-s-not-stored', ms(b'k', b'de', b'MA s') + ms(b'k', b'de', b'MR s k')
      + b'set k 0 0 1\r\nx\r\n' + ms(b'k', b'yz', b'ME s')))
add(M('45-ms-s-vivify', ms(b'k', b'de', b'MA N0 s') + b'mg k v s\r\n'))
add(M('45-ms-s-cas', ms(b'k', b'abc', b'C5 s') + ms(b'k', b'abc') + ms(b'k', b'xy', b'C5 s')))
add(M('45-ms-s-q', ms(b'k', b'abc', b's q') + ms(b'k', b'de', b'ME s q') + b'mn\r\n'))
# A too-long opaque is refused before the command does anything. memcached
# (1.6.18 and 1.6.45) checks it while writing the reply, after ma has counted,
# mg has vivified or touched: an error reply for a command that took effect (a
# plain bug; listed in differences.DEVIATIONS).
O33 = b"O" + b"x" * 32
add(M('known-opaque-long-ma-no-effect', ms(b'n', b'5') + b'ma n ' + O33 + b'\r\nmg n v\r\n'))
add(M('known-opaque-long-mg-no-vivify', b'mg k N30 ' + O33 + b'\r\nmg k v\r\n'))
add(M('known-opaque-long-mg-no-touch',
      ms(b'k', b'v', b'T100') + b'mg k T5 ' + O33 + b'\r\nmg k t\r\n'))
add(M('45-errors-ignore-q', b'mg k q !\r\nmg k q T+1\r\nma k q Mx\r\nmn\r\n'))

CONVERSATIONS = C
