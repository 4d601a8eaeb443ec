"""Classic text protocol conversations for the differential suite.

Each entry: T(name, sends, **options) -- see differential_harness.Conversation.
Keys are short and local: the shared servers are flushed between
conversations.
"""

import time

from differential_harness import SYNC, Bytewise, Conversation, Sleep, WithCas


def T(name, sends, **kw):
    return Conversation("text-" + name, sends, "text", **kw)


def set_(key, value, flags=0, exp=0, cmd=b"set", extra=b""):
    return b"%s %s %d %d %d%s\r\n%s\r\n" % (cmd, key, flags, exp, len(value), extra, value)


C = []
add = C.append

# --- storage commands: hits, misses, noreply -------------------------------------
add(T("set-get", set_(b"k", b"hello") + b"get k\r\n"))
add(T("get-miss", b"get nothere\r\n"))
add(T("gets-miss", b"gets nothere\r\n"))
add(T("set-gets", set_(b"k", b"hello") + b"gets k\r\n"))
add(T("gets-same-cas-twice", set_(b"k", b"v") + b"gets k\r\ngets k\r\n"))
add(T("set-twice-new-cas", set_(b"k", b"a") + b"gets k\r\n" + set_(b"k", b"b") + b"gets k\r\n"))
add(T("multiget-mixed", set_(b"a", b"1") + set_(b"c", b"3") + b"get a b c d\r\n"))
add(T("multigets-mixed", set_(b"a", b"1") + set_(b"c", b"3") + b"gets a b c\r\n"))
add(T("multiget-duplicate-keys", set_(b"a", b"1") + b"get a a a\r\n"))
add(T("get-many-spaces", set_(b"a", b"1") + b"get   a    a  \r\n"))
for flags in (0, 1, 12345, 65535, 65536, 2147483647, 4294967295):
    add(T("flags-%d" % flags, set_(b"k", b"v", flags=flags) + b"get k\r\ngets k\r\n"))
add(T("set-empty-value", set_(b"k", b"") + b"get k\r\n"))
add(T("value-with-crlf-inside", set_(b"k", b"a\r\nb\r\n") + b"get k\r\n"))
add(T("value-binary-bytes", set_(b"k", bytes(range(256))) + b"get k\r\n"))
add(T("value-100k", set_(b"k", b"x" * 100000) + b"get k\r\n"))
add(T("value-1000000", set_(b"k", b"y" * 1000000) + b"get k\r\n"))
add(T("value-too-large", set_(b"big", b"z" * (1024 * 1024 + 1)) + b"get big\r\n"))
add(T("value-too-large-2m", set_(b"big", b"z" * (2 * 1024 * 1024)) + b"get big\r\n"))
add(T("set-replaces-too-large", set_(b"k", b"old") + set_(b"k", b"z" * (1024 * 1024 + 100))
      + b"get k\r\n"))
add(T("key-250", set_(b"k" * 250, b"v") + b"get " + b"k" * 250 + b"\r\n"))
add(T("key-251-set", set_(b"k" * 251, b"v") + b"get k\r\n"))
add(T("key-251-get", b"get " + b"k" * 251 + b"\r\n"))
add(T("key-251-in-multiget", [set_(b"a", b"1"), SYNC, b"get a " + b"k" * 251 + b" a\r\n"]))
add(T("key-251-after-get", set_(b"a", b"1") + b"get a\r\nget a " + b"k" * 251 + b" a\r\n"))
add(T("key-utf8", set_("ключ".encode(), b"v") + "get ключ\r\n".encode()))
add(T("key-punctuation", set_(b"a:b/c{d}|e~!", b"v") + b"get a:b/c{d}|e~!\r\n"))

for cmd in (b"add", b"replace", b"append", b"prepend"):
    c = cmd.decode()
    add(T("%s-miss" % c, set_(b"k", b"new", cmd=cmd) + b"get k\r\n"))
    add(T("%s-hit" % c, set_(b"k", b"old", flags=3) + set_(b"k", b"new", flags=7, cmd=cmd)
          + b"gets k\r\n"))
    add(T("%s-noreply" % c, set_(b"k", b"old") + set_(b"k", b"new", cmd=cmd, extra=b" noreply")
          + set_(b"m", b"new", cmd=cmd, extra=b" noreply") + b"get k m\r\n"))
add(T("set-noreply", set_(b"k", b"v", extra=b" noreply") + b"get k\r\n"))
add(T("set-noreply-bad-chunk", b"set k 0 0 1 noreply\r\nxyz\r\nget k\r\n"))
add(T("append-keeps-flags-exptime", set_(b"k", b"a", flags=9, exp=1000) + set_(b"k", b"b", cmd=b"append")
      + b"get k\r\n"))
add(T("append-cas-changes", set_(b"k", b"a") + b"gets k\r\n" + set_(b"k", b"b", cmd=b"append")
      + b"gets k\r\n"))
add(T("append-to-too-large", set_(b"k", b"a" * 1000000) + set_(b"k", b"b" * 100000, cmd=b"append")
      + b"get k\r\n"))

# --- cas ------------------------------------------------------------------------------
add(T("cas-match", [set_(b"k", b"v1") + b"gets k\r\n",
                    WithCas(b"cas k 5 0 2 $CAS\r\nv2\r\ngets k\r\n")]))
add(T("cas-mismatch", [set_(b"k", b"v1") + b"gets k\r\n",
                       WithCas(b"cas k 0 0 2 1$CAS\r\nv2\r\nget k\r\n")]))
add(T("cas-not-found", b"cas nothere 0 0 1 12345\r\nx\r\n"))
add(T("cas-after-modify", [set_(b"k", b"v1") + b"gets k\r\n" + set_(b"k", b"v2"),
                           WithCas(b"cas k 0 0 2 $CAS1\r\nv3\r\nget k\r\n")]))
add(T("cas-after-delete", [set_(b"k", b"v1") + b"gets k\r\ndelete k\r\n",
                           WithCas(b"cas k 0 0 2 $CAS1\r\nv3\r\nget k\r\n")]))
add(T("cas-noreply", [set_(b"k", b"v1") + b"gets k\r\n",
                      WithCas(b"cas k 0 0 2 $CAS noreply\r\nv2\r\ncas k 0 0 2 $CAS noreply\r\nv3\r\n"
                              b"gets k\r\n")]))
add(T("cas-twice-second-fails", [set_(b"k", b"v1") + b"gets k\r\n",
                                 WithCas(b"cas k 0 0 2 $CAS\r\nv2\r\ncas k 0 0 2 $CAS\r\nv3\r\n"
                                         b"get k\r\n")]))
add(T("cas-zero", set_(b"k", b"v1") + b"cas k 0 0 2 0\r\nv2\r\nget k\r\n"))
add(T("cas-bad-chunk", [set_(b"k", b"v1") + b"gets k\r\n",
                        WithCas(b"cas k 0 0 2 $CAS\r\nv2xx\r\nget k\r\n")]))
add(T("cas-touch-keeps-cas", [set_(b"k", b"v1") + b"gets k\r\ntouch k 1000\r\ngets k\r\n"]))
add(T("cas-incr-changes-cas", set_(b"k", b"5") + b"gets k\r\nincr k 1\r\ngets k\r\n"))

# --- delete ---------------------------------------------------------------------------
add(T("delete-hit", set_(b"k", b"v") + b"delete k\r\nget k\r\n"))
add(T("delete-miss", b"delete k\r\n"))
add(T("delete-noreply", set_(b"k", b"v") + b"delete k noreply\r\ndelete k noreply\r\nget k\r\n"))
add(T("delete-zero", set_(b"k", b"v") + b"delete k 0\r\nget k\r\n"))
add(T("delete-zero-noreply", set_(b"k", b"v") + b"delete k 0 noreply\r\nget k\r\n"))

# --- incr/decr ------------------------------------------------------------------------
add(T("incr-hit", set_(b"n", b"10") + b"incr n 5\r\nget n\r\n"))
add(T("decr-hit", set_(b"n", b"10") + b"decr n 3\r\nget n\r\n"))
add(T("incr-miss", b"incr n 1\r\n"))
add(T("decr-miss", b"decr n 1\r\n"))
add(T("incr-grows-length", set_(b"n", b"99") + b"incr n 1\r\nget n\r\n"))
add(T("decr-shrinks-length", set_(b"n", b"100") + b"decr n 1\r\nget n\r\nincr n 1\r\nget n\r\n"))
add(T("decr-below-zero", set_(b"n", b"5") + b"decr n 100\r\nget n\r\n"))
add(T("incr-wraps-64", set_(b"n", b"18446744073709551615") + b"incr n 2\r\nget n\r\n"))
add(T("incr-max-delta", set_(b"n", b"0") + b"incr n 18446744073709551615\r\nget n\r\n"))
add(T("incr-non-numeric", set_(b"n", b"abc") + b"incr n 1\r\n"))
add(T("incr-value-too-long", set_(b"n", b"1" * 25) + b"incr n 1\r\n"))
add(T("incr-leading-spaces", set_(b"n", b" 12") + b"incr n 1\r\n"))
add(T("incr-trailing-space", set_(b"n", b"12 ") + b"incr n 1\r\nget n\r\n"))
add(T("incr-negative-value", set_(b"n", b"-5") + b"incr n 1\r\n"))
add(T("incr-zero", set_(b"n", b"7") + b"incr n 0\r\nget n\r\n"))
add(T("incr-noreply", set_(b"n", b"7") + b"incr n 3 noreply\r\ndecr n 1 noreply\r\nget n\r\n"))
add(T("incr-keeps-flags", set_(b"n", b"7", flags=42) + b"incr n 3\r\nget n\r\n"))
add(T("incr-empty-value", set_(b"n", b"") + b"incr n 1\r\n"))
add(T("decr-to-zero-exact", set_(b"n", b"3") + b"decr n 3\r\nget n\r\n"))

# --- touch / gat / gats -------------------------------------------------------------
add(T("touch-hit", set_(b"k", b"v") + b"touch k 1000\r\nget k\r\n"))
add(T("touch-miss", b"touch k 1000\r\n"))
add(T("touch-noreply", set_(b"k", b"v") + b"touch k 1000 noreply\r\nget k\r\n"))
add(T("touch-negative-expires", set_(b"k", b"v") + b"touch k -1\r\nget k\r\n"))
add(T("gat-hit", set_(b"k", b"v", flags=5) + b"gat 1000 k\r\n"))
add(T("gat-miss", b"gat 1000 k\r\n"))
add(T("gats-hit", set_(b"k", b"v") + b"gats 1000 k\r\ngets k\r\n"))
add(T("gat-multi", set_(b"a", b"1") + set_(b"b", b"2") + b"gat 100 a x b\r\n"))
add(T("gat-negative-expires", set_(b"k", b"v") + b"gat -1 k\r\nget k\r\n"))
add(T("gat-no-key", b"gat 100\r\n"))

# --- expiry ---------------------------------------------------------------------------
add(T("set-negative-exptime", set_(b"k", b"v", exp=-1) + b"get k\r\n"))
add(T("set-absolute-past", set_(b"k", b"v", exp=2592001) + b"get k\r\n"))
add(T("set-absolute-future", [lambda ctx: set_(b"k", b"v", exp=int(time.time()) + 1000)
                              + b"get k\r\n"]))
add(T("set-30-days-relative", set_(b"k", b"v", exp=2592000) + b"get k\r\n"))
add(T("expiry-after-sleep", [set_(b"k", b"v", exp=2) + set_(b"t", b"w", exp=2)
                             + set_(b"p", b"x") + b"get k\r\ntouch t 100\r\n",
                             Sleep(3.2), b"get k t p\r\n"]))

# --- flush_all ------------------------------------------------------------------------
add(T("flush-all", set_(b"a", b"1") + set_(b"b", b"2") + b"flush_all\r\nget a b\r\n"))
add(T("flush-all-noreply", set_(b"a", b"1") + b"flush_all noreply\r\nget a\r\n"))
add(T("flush-all-zero", set_(b"a", b"1") + b"flush_all 0\r\nget a\r\n"))
add(T("flush-then-set", set_(b"a", b"1") + b"flush_all\r\n" + set_(b"a", b"2") + b"get a\r\n"))
# memcached applies "flush_all N" a second early (oldest_live = now + N - 1):
# N=3 keeps the immediate get clear of the next tick on every server.
add(T("flush-all-delayed", [set_(b"a", b"1") + b"flush_all 3\r\nget a\r\n", Sleep(4.2),
                            b"get a\r\n"], isolated=True))
add(T("flush-all-negative", set_(b"a", b"1") + b"flush_all -1\r\nget a\r\n", isolated=True))

# --- misc commands --------------------------------------------------------------------
add(T("version", b"version\r\n"))
add(T("verbosity", b"verbosity 1\r\nverbosity 0\r\n"))
add(T("verbosity-noreply", b"verbosity 1 noreply\r\nverbosity 0 noreply\r\n"))
add(T("quit", b"quit\r\n", fence=False))
add(T("quit-then-more", b"get a\r\nquit\r\nget b\r\n", fence=False))
add(T("quit-with-args", b"quit now\r\n"))
add(T("shutdown-not-enabled", b"shutdown\r\n"))
add(T("shutdown-graceful-not-enabled", b"shutdown graceful\r\n"))
add(T("shutdown-bad-mode-not-enabled", b"shutdown foo\r\n"))
add(T("stats-names", b"stats\r\n"))
add(T("stats-reset", b"stats reset\r\n"))
add(T("stats-unknown", b"stats nosuchgroup\r\n"))

# --- pipelining and split sends ----------------------------------------------------
add(T("pipeline-many", b"".join(set_(b"k%d" % i, b"v%d" % i) for i in range(50))
      + b"".join(b"get k%d\r\n" % i for i in range(50)) + b"delete k3\r\nincr k4 1\r\n"))
add(T("pipeline-mixed-errors", set_(b"a", b"1") + b"bogus\r\nget a\r\nincr a x\r\nget a\r\n"
      + set_(b"b", b"2") + b"get a b\r\n"))
add(T("pipeline-noreply-then-get", b"".join(set_(b"k%d" % i, b"v", extra=b" noreply") for i in range(20))
      + b"get k0 k19\r\n"))
add(T("split-bytewise-set-get", [Bytewise(set_(b"k", b"hello") + b"get k\r\n")]))
add(T("split-bytewise-cas", [set_(b"k", b"v") + b"gets k\r\n",
                             lambda ctx: b"cas k 0 0 1 %d\r\nw\r\n" % ctx.cas(), SYNC,
                             Bytewise(b"gets k\r\n")]))
add(T("split-in-data-block", [b"set k 0 0 10\r\nabcde", Sleep(0.05), b"fghij\r\nget k\r\n"]))
add(T("split-before-crlf", [b"set k 0 0 3\r\nabc", Sleep(0.05), b"\r", Sleep(0.05), b"\nget k\r\n"]))
add(T("split-in-command", [b"ge", Sleep(0.05), b"t k\r", Sleep(0.05), b"\n"]))
add(T("lf-only-line-endings", set_(b"k", b"v") + b"get k\n"))
add(T("set-lf-only", b"set k 0 0 1\nx\r\nget k\n"))
add(T("data-lf-only", b"set k 0 0 1\r\nx\nget k\r\n"))
add(T("incomplete-at-end", b"set k 0 0 10\r\nabc", fence=False))
add(T("incomplete-command-at-end", b"get k", fence=False))
add(T("multiget-long-line", set_(b"key1", b"v") + b"get " + b" ".join(b"key%d" % i for i in range(400))
      + b"\r\n"))
add(T("multiget-100-hits", b"".join(set_(b"k%d" % i, b"%d" % i) for i in range(100))
      + b"get " + b" ".join(b"k%d" % i for i in range(100)) + b"\r\n"))

# --- malformed input ------------------------------------------------------------------
MALFORMED = [
    ("unknown-command", b"foo\r\n"), ("empty-line", b"\r\n"), ("blank-line", b"   \r\n"),
    ("uppercase", b"GET k\r\n"), ("get-no-key", b"get\r\n"), ("gets-no-key", b"gets\r\n"),
    ("set-bad-flags", b"set k abc 0 1\r\nx\r\n"), ("set-negative-flags", b"set k -1 0 1\r\nx\r\n"),
    ("set-bad-exptime", b"set k 0 abc 1\r\nx\r\n"), ("set-negative-bytes", b"set k 0 0 -1\r\nx\r\n"),
    ("set-non-numeric-bytes", b"set k 0 0 abc\r\nx\r\n"),
    ("set-bytes-trailing-junk", b"set k 0 0 1x\r\nx\r\n"),
    ("set-bytes-int-max", b"set k 0 0 2147483647\r\n"),
    ("set-bytes-u32-max", b"set k 0 0 4294967295\r\n"),
    ("set-too-few-tokens", b"set k 0 0\r\n"), ("set-key-only", b"set k\r\n"), ("set-alone", b"set\r\n"),
    ("set-too-many-tokens", b"set k 0 0 1 noreply extra\r\nx\r\n"),
    ("set-way-too-many", b"set k 0 0 1 2 3 4\r\nx\r\n"),
    ("set-bad-data-chunk", b"set k 0 0 1\r\nxy\r\nget k\r\n"),
    ("set-data-missing-crlf", b"set k 0 0 1\r\nxyz\r\n"),
    ("set-short-data", b"set k 0 0 5\r\nab\r\n\r\nget k\r\n"),
    ("add-bad-flags", b"add k abc 0 1\r\nx\r\n"), ("append-bad-bytes", b"append k 0 0 abc\r\nx\r\n"),
    ("cas-missing-unique", b"cas k 0 0 1\r\nx\r\n"), ("cas-bad-unique", b"cas k 0 0 1 abc\r\nx\r\n"),
    ("cas-negative-unique", b"cas k 0 0 1 -1\r\nx\r\n"),
    ("incr-alone", b"incr\r\n"), ("incr-no-delta", b"incr k\r\n"),
    ("incr-non-numeric-delta", b"incr k abc\r\n"), ("decr-non-numeric-delta", b"decr k abc\r\n"),
    ("incr-negative-delta", b"incr k -1\r\n"), ("incr-delta-2-pow-64", b"incr k 18446744073709551616\r\n"),
    ("touch-no-exptime", b"touch k\r\n"), ("touch-bad-exptime", b"touch k abc\r\n"),
    ("delete-alone", b"delete\r\n"), ("delete-nonzero-time", b"delete k 5\r\n"),
    ("delete-junk", b"delete k foo\r\n"), ("delete-0-junk", b"delete k 0 foo\r\n"),
    ("gat-alone", b"gat\r\n"), ("gat-bad-exptime", b"gat abc k\r\n"), ("gats-bad-exptime", b"gats abc k\r\n"),
    ("flush-bad-delay", b"flush_all abc\r\n"), ("flush-noreply-not-last", b"flush_all noreply extra\r\n"),
    ("verbosity-alone", b"verbosity\r\n"), ("verbosity-non-numeric", b"verbosity abc\r\n"),
    ("verbosity-too-many", b"verbosity 1 2 3\r\n"),
    ("nul-in-command", b"get k\x00x\r\n"), ("nul-command", b"\x00\r\n"),
    ("tab-separated", b"get\tk\r\n"), ("cr-only", b"get k\rget k\r\n"),
    ("high-bytes-command", b"\xff\xfe\xfd\r\n"),
    ("line-2000", b"get " + b"k" * 1996 + b"\r\n"),
    ("key-too-long-in-set-noreply", b"set " + b"k" * 300 + b" 0 0 1 noreply\r\nx\r\n"),
    ("incr-key-too-long", b"incr " + b"k" * 251 + b" 1\r\n"),
    ("delete-key-too-long", b"delete " + b"k" * 251 + b"\r\n"),
    ("touch-key-too-long", b"touch " + b"k" * 251 + b" 10\r\n"),
    ("flags-leading-plus", b"set k +5 0 1\r\nx\r\nget k\r\n"),
    ("exptime-leading-plus", b"set k 0 +5 1\r\nx\r\nget k\r\n"),
    ("bytes-leading-zeros", b"set k 0 0 0001\r\nx\r\nget k\r\n"),
    ("incr-delta-leading-plus", b"set n 0 0 1\r\n1\r\nincr n +2\r\n"),
    ("flags-hex", b"set k 0x10 0 1\r\nx\r\n"),
]
for name, data in MALFORMED:
    add(T("bad-" + name, data))

# --- issue 18: bad numbers in every field, and data blocks that are commands --------
# A storage line that is rejected but whose length parsed: memcached 1.6.45
# skips the data block, so its bytes never run as a command.  The block here
# is "flush_all"; the get of the canary afterwards shows whether it ran.
CANARY = set_(b"canary", b"alive")
PROBE = b"get canary\r\n"
BAD_NUMBERS = [
    ("flags-abc", b"set k abc 0 9"), ("flags-negative", b"set k -1 0 9"),
    ("flags-2-pow-32", b"set k 4294967296 0 9"), ("flags-2-pow-64", b"set k 18446744073709551616 0 9"),
    ("flags-hex", b"set k 0x10 0 9"), ("flags-fraction", b"set k 1.5 0 9"),
    ("flags-empty-token", b"set k  0 9"),
    ("exptime-abc", b"set k 0 abc 9"), ("exptime-fraction", b"set k 0 1.5 9"),
    ("exptime-2-pow-31", b"set k 0 2147483648 9"), ("exptime-huge", b"set k 0 99999999999999999999 9"),
    ("exptime-huge-negative", b"set k 0 -99999999999999999999 9"),
    ("length-abc", b"set k 0 0 abc"), ("length-negative", b"set k 0 0 -9"),
    ("length-trailing-junk", b"set k 0 0 9x"), ("length-2-pow-31", b"set k 0 0 2147483648"),
    ("length-2-pow-32-plus-9", b"set k 0 0 4294967305"), ("length-fraction", b"set k 0 0 9.0"),
    ("cas-abc", b"cas k 0 0 9 abc"), ("cas-negative", b"cas k 0 0 9 -1"),
    ("cas-2-pow-64", b"cas k 0 0 9 18446744073709551616"), ("cas-fraction", b"cas k 0 0 9 1.5"),
    ("cas-missing", b"cas k 0 0 9"),
    ("noreply-flags-abc", b"set k abc 0 9 noreply"), ("noreply-exptime-abc", b"set k 0 abc 9 noreply"),
    ("noreply-cas-abc", b"cas k 0 0 9 abc noreply"),
    ("add-flags-abc", b"add k abc 0 9"), ("replace-exptime-abc", b"replace k 0 abc 9"),
    ("append-flags-abc", b"append k abc 0 9"), ("prepend-exptime-abc", b"prepend k 0 abc 9"),
    ("key-251", b"set " + b"k" * 251 + b" 0 0 9"), ("key-251-noreply", b"add " + b"k" * 251 + b" 0 0 9 noreply"),
    ("key-250", b"set " + b"k" * 250 + b" 0 0 9"),
    ("extra-token", b"set k 0 0 9 noreply extra"), ("extra-tokens", b"set k 0 0 9 1 2 3"),
]
for name, line in BAD_NUMBERS:
    add(T("swallow-" + name, CANARY + line + b"\r\nflush_all\r\n" + PROBE))
add(T("swallow-data-is-set", CANARY + b"set k abc 0 19\r\nset canary 0 0 1\r\nX\r\n" + PROBE))
add(T("swallow-data-is-delete", CANARY + b"set k 0 abc 13\r\ndelete canary\r\n" + PROBE))
add(T("swallow-then-good-set", b"set k abc 0 9\r\nflush_all\r\n" + set_(b"k", b"v") + b"get k\r\n"))

# --- issue 18: data blocks, HTTP, line limits ------------------------------------------
# A refused storage line never runs its data block ("flush_all" here) as a command.
add(T("refused-set-data-is-not-run", set_(b"keep", b"safe") + b"set k 0 abc 9\r\nflush_all\r\n"
      + b"get keep\r\n"))
add(T("refused-cas-data-is-not-run", set_(b"keep", b"safe") + b"cas k 0 0 9 x\r\nflush_all\r\n"
      + b"get keep\r\n"))
add(T("refused-set-noreply-data-is-not-run", set_(b"keep", b"safe")
      + b"set k abc 0 9 noreply\r\nflush_all\r\nget keep\r\n"))
add(T("set-bytes-plus-sign", b"set k 0 0 +3\r\nxyz\r\nget k\r\n"))
# An HTTP request line closes the connection without a byte.
for name, line in (("get", b"GET / HTTP/1.0\r\n"), ("put", b"PUT /x HTTP/1.1\r\n"),
                   ("delete", b"DELETE HTTP/1.1\r\n"), ("post", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"),
                   ("head", b"HEAD / HTTP/1.0\r\n"), ("meta-shaped", b"mx / HTTP/1.1\r\n")):
    add(T("http-" + name, line, fence=False))
add(T("http-lowercase-get-is-a-get", b"get / HTTP/1.1\r\n"))
add(T("http-not-last-token", b"GET / HTTP/1.1 x\r\n"))
add(T("unknown-noreply", b"foo noreply\r\n"))
# A get line may pass 2048 bytes before its newline arrives; other lines may not.
K600 = b" ".join(b"key%04d" % i for i in range(600))
add(T("long-get-in-pieces", [set_(b"key0007", b"v"), SYNC, b"get " + K600, Sleep(0.05), b" key0007\r\n"]))
add(T("long-gets-in-pieces", [set_(b"key0007", b"v"), SYNC, b"gets " + K600, Sleep(0.05), b"\r\n"]))
add(T("long-gat-in-pieces", [set_(b"key0007", b"v"), SYNC, b"gat 0 " + K600, Sleep(0.05), b"\r\n"]))
add(T("long-set-in-pieces", [b"set " + b"k" * 2100, Sleep(0.05), b" 0 0 1\r\nx\r\n"], fence=False))

# --- issue 18: memcached 1.6.45's command-line grammar ---------------------------------
# (proto/text.c's table; where 1.6.18 answers otherwise, newer_grammar.py has its bytes)
GRAMMAR_1645 = [
    # a line under 4 bytes with its newline is refused before it is read
    ("short-lines", b"x\r\nab\n\n"),
    ("short-stray-data-line", b"set k 0 0 1\r\nx\r\ny\r\nget k\r\n"),
    # the command word is the bytes before the first ' '
    ("leading-space-get", set_(b"k", b"v") + b" get k\r\n"),
    ("leading-space-meta", set_(b"k", b"v") + b" mg k v\r\n"),
    ("leading-space-stats", b" stats\r\n"),
    ("leading-space-admin", set_(b"k", b"v") + b"  flush_all\r\n  verbosity 0\r\nget k\r\n"),
    ("bget-is-unknown", set_(b"k", b"v") + b"bget k\r\n"),
    ("tab-after-admin-word", b"verbosity\t1\r\n"),
    # too few tokens
    ("gats-no-key", b"gats 100\r\n"), ("gat-bad-exptime-no-key", b"gat abc\r\n"),
    ("storage-too-few", b"set k 0 0\r\nadd k\r\nreplace\r\nappend k 0\r\nprepend k 0 0\r\ncas k 0 0\r\n"),
    ("decr-touch-too-few", b"decr k\r\ntouch\r\ndecr\r\n"),
    ("get-only-spaces", b"get   \r\n"),
    # extra tokens are ignored; the last of 23 decides noreply
    ("set-extra-tokens-stores", b"set k 0 0 1 a b\r\nx\r\nget k\r\n"),
    ("set-noreply-then-extra", b"set k 0 0 1 noreply x\r\ny\r\nget k\r\n"),
    ("set-noreply-23rd-token", b"set k 0 0 1" + b" 1" * 17 + b" noreply x\r\ny\r\nget k\r\n"),
    ("set-noreply-24th-token", b"set k 0 0 1" + b" 1" * 18 + b" noreply\r\ny\r\nget k\r\n"),
    ("cas-extra-tokens", [set_(b"k", b"v1") + b"gets k\r\n",
                          WithCas(b"cas k 0 0 2 $CAS x y\r\nv2\r\nget k\r\n")]),
    ("incr-extra-tokens", set_(b"n", b"5") + b"incr n 1 2 3\r\ndecr n 1 foo\r\nincr n 1 noreply x\r\n"),
    ("touch-extra-tokens", set_(b"k", b"v") + b"touch k 100 2 3\r\n"),
    ("delete-extra-tokens", set_(b"a", b"1") + set_(b"b", b"2") + set_(b"c", b"3")
     + b"delete a 0 0 0\r\ndelete b noreply x\r\ndelete c 1 noreply\r\nget a b c\r\n"),
    ("delete-key-named-noreply", set_(b"noreply", b"v") + b"delete noreply\r\nget noreply\r\n"),
    ("flush-all-extra-tokens", set_(b"k", b"v") + b"flush_all 0 1 2\r\nget k\r\n"),
    ("verbosity-extra-tokens", b"verbosity 1 2 3\r\nverbosity 0 noreply x\r\n"),
    ("noreply-alone", b"noreply\r\n"),
    ("unknown-leading-space-noreply", b" foo noreply\r\n"),
    # strict numbers (mcmc_tokto*): digits and an optional '-', 11 (22) bytes at most
    ("incr-delta-tab", set_(b"n", b"5") + b"incr n \t1\r\n"),
    ("incr-delta-22-digits", set_(b"n", b"5") + b"incr n 0000000000000000000001\r\n"),
    ("incr-delta-23-digits", set_(b"n", b"5") + b"incr n 00000000000000000000001\r\n"),
    ("touch-exptime-plus", set_(b"k", b"v") + b"touch k +100\r\n"),
    ("touch-exptime-dash", set_(b"k", b"v") + b"touch k -\r\nget k\r\n"),
    ("touch-exptime-over-int32", set_(b"k", b"v") + b"touch k 2147483648\r\n"),
    ("gat-exptime-plus", set_(b"k", b"v") + b"gat +100 k\r\n"),
    ("gat-exptime-dash", set_(b"k", b"v") + b"gat - k\r\n"),
    ("flush-all-delay-plus", set_(b"k", b"v") + b"flush_all +0\r\nget k\r\n"),
    ("flush-all-delay-dash", set_(b"k", b"v") + b"flush_all -\r\nget k\r\n"),
    ("verbosity-strict", b"verbosity +1\r\nverbosity 1\t\r\nverbosity 000000000001\r\n"
     b"verbosity 4294967296\r\nverbosity 00000000000\r\n"),
    ("set-bytes-dash", b"set k 0 0 -\r\n\r\nget k\r\n"),
    ("set-bytes-tab", b"set k 0 0 1\tx\r\nx\r\nget k\r\n"),
    ("set-bytes-12-digits", b"set k 0 0 000000000001\r\nx\r\nget k\r\n"),
    ("cas-unique-plus", set_(b"k", b"v") + b"cas k 0 0 1 +5\r\nx\r\nget k\r\n"),
    # a storage line's flags and exptime are read by strtoul/strtol from the token on
    ("set-flags-whitespace-token", b"set k \t 5 1\r\nx\r\nget k\r\n"),
    ("set-flags-exptime-tabs", b"set k \t7 \t0 1\r\nx\r\nget k\r\n"),
    # NUL is an ordinary byte: in keys, and where strtoul stops
    ("nul-in-key", set_(b"a", b"1") + set_(b"a\x00b", b"2") + b"get a\x00b\r\nget a\r\n"),
    ("nul-after-flags", b"set k 5\x00 0 1\r\nx\r\nget k\r\n"),
    ("nul-after-bytes", b"set k 0 0 1\x00\r\nx\r\nget k\r\n"),
    ("nul-after-delta", set_(b"n", b"5") + b"incr n 1\x00\r\n"),
    ("nul-after-command", b"flush_all\x00\r\nversion\x00\r\n"),
]
for name, data in GRAMMAR_1645:
    add(T(name, data))

add(T("known-exptime-2-pow-32-plus-1000", b"set k 0 4294968296 1\r\nx\r\nget k\r\n"))

# Bad numbers in the other commands' fields.
for name, line in [
        ("incr-delta-fraction", b"incr n 1.5"), ("incr-delta-empty-token", b"incr n  1"),
        ("decr-delta-2-pow-64", b"decr n 18446744073709551616"), ("decr-delta-negative", b"decr n -1"),
        ("incr-delta-hex", b"incr n 0x10"),
        ("touch-exptime-fraction", b"touch k 1.5"), ("touch-exptime-huge", b"touch k 99999999999999999999"),
        ("touch-exptime-negative-huge", b"touch k -99999999999999999999"),
        ("gat-exptime-huge", b"gat 99999999999999999999 k"), ("gat-exptime-fraction", b"gat 1.5 k"),
        ("gats-exptime-negative", b"gats -1 k"),
        ("flush-delay-huge", b"flush_all 99999999999999999999"), ("flush-delay-fraction", b"flush_all 1.5"),
        ("verbosity-huge", b"verbosity 99999999999999999999"), ("verbosity-negative", b"verbosity -1"),
        ("delete-time-noreply", b"delete k 0 noreply")]:
    add(T("badnum-" + name, set_(b"n", b"5") + set_(b"k", b"v") + line + b"\r\nget n k\r\n"))

# --- issue 18: HTTP on the cache port --------------------------------------------------
for name, line in [
        ("get", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), ("get-1-0", b"GET / HTTP/1.0\r\n"),
        ("put", b"PUT /x HTTP/1.1\r\n"), ("delete", b"DELETE HTTP/1.1\r\n"),
        ("post", b"POST /submit HTTP/1.1\r\n"), ("head", b"HEAD / HTTP/1.1\r\n"),
        ("options", b"OPTIONS * HTTP/1.1\r\n"), ("get-no-version", b"GET /\r\n"),
        ("lowercase-get-is-a-get", b"get / HTTP/1.1\r\n")]:
    add(T("http-line-" + name, line))
# After a SYNC: whether replies queued in the same read as an HTTP line are sent
# depends on how the bytes arrive.
add(T("http-after-sync", [set_(b"k", b"v"), SYNC, b"POST / HTTP/1.1\r\nget k\r\n"]))

# --- issue 18: keys and lines at and past every length limit ----------------------------
for cmd in (b"gets", b"gat 10", b"gats 10", b"touch", b"incr", b"decr", b"delete"):
    tail = {b"touch": b" 10", b"incr": b" 1", b"decr": b" 1"}.get(cmd, b"")
    c = cmd.split()[0].decode()
    add(T("key-250-%s" % c, set_(b"k" * 250, b"7") + cmd + b" " + b"k" * 250 + tail + b"\r\n"))
    add(T("key-251-%s" % c, cmd + b" " + b"k" * 251 + tail + b"\r\nget a\r\n"))
add(T("key-251-cas", b"cas " + b"k" * 251 + b" 0 0 1 1\r\nx\r\n"))
add(T("key-251-append", b"append " + b"k" * 251 + b" 0 0 1\r\nx\r\n"))
# Lines that end: the whole line (with its \r\n) is 2047, 2048, 2049 or 4000 bytes.
for n in (2047, 2048, 2049, 4000):
    add(T("line-%d-unknown" % n, b"x" * (n - 2) + b"\r\nversion\r\n"))
    add(T("line-%d-set" % n, b"set " + b"k" * (n - 14) + b" 0 0 1\r\nx\r\n"))
add(T("line-4000-get-keys", set_(b"k1", b"v") + b"get " + b" ".join([b"k1"] + [b"k" * 99] * 39) + b"\r\n"))
# Lines without a newline (the connection is left open, or closed by the server).
for n in (2047, 2048, 2049, 3000, 20000):
    add(T("no-newline-%d" % n, b"x" * n, fence=False))
add(T("no-newline-get-3000", b"get " + b"k" * 2996, fence=False))
add(T("no-newline-get-keys-20000", b"get " + b" ".join([b"k" * 99] * 200), fence=False))
add(T("no-newline-get-then-newline", [b"get " + b"k" * 2996, Sleep(0.05), b"\r\n"]))
add(T("no-newline-set-3000", b"set " + b"k" * 2996, fence=False))
add(T("no-newline-after-command", set_(b"k", b"v") + b"x" * 3000, fence=False))
# A multi-get line over 1 MiB (clients such as pylibmc send them): served.
add(T("multiget-over-1mib", set_(b"h" * 240, b"hit")
      + b"get " + b" ".join(b"%s%05d" % (b"m" * 235, i) for i in range(4400)) + b" " + b"h" * 240
      + b"\r\n"))

# --- conversations where some server is known to differ (differences.py) ------------
add(T("known-flags-2-pow-32", b"set k 4294967296 0 1\r\nx\r\nget k\r\n"))
add(T("known-bytes-2-pow-32-plus-1", b"set k 0 0 4294967297\r\nx\r\nget k\r\n"))
add(T("known-line-too-long", b"set " + b"k" * 3000, fence=False))
add(T("known-cas-disabled-flush-then-set", set_(b"a", b"1") + b"flush_all\r\n" + set_(b"a", b"2")
      + b"get a\r\n", flags=("-C",)))
add(T("known-key-251-drops-queued-replies", set_(b"a", b"1") + b"get a " + b"k" * 251 + b" a\r\n"))

# --- server flags ---------------------------------------------------------------------
add(T("cas-disabled-gets", set_(b"k", b"v") + b"gets k\r\n", flags=("-C",)))
add(T("cas-disabled-cas-cmd", set_(b"k", b"v") + b"cas k 0 0 1 0\r\nw\r\ncas k 0 0 1 1\r\nw\r\nget k\r\n",
      flags=("-C",)))
add(T("item-size-2m", set_(b"k", b"x" * (1500 * 1024)) + b"get k\r\n", flags=("-I", "2m")))
add(T("flush-disabled", set_(b"k", b"v") + b"flush_all\r\nget k\r\n", flags=("-F",)))

CONVERSATIONS = C
