"""Classic text protocol conversations for the differential suite.

Each entry: T(name, sends, **options) -- see differential_harness.Conversation.
Keys are short and local: the shared servers are flushed between
conversations.
"""

from known_choices import document_differences
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

# --- documented differences -----------------------------------------------------------
U32_NOTE = ("memcached 1.6.18 parses 32-bit numbers with strtoul into an unsigned long and "
            "truncates: 4294967296 becomes 0; mnemod rejects the line")
MC_U32 = r"""
STORED\r\n
VALUE k 0 1\r\n
  data: x\r\n
END\r\n
VERSION <version>\r\n
"""
MNEMO_U32 = r"""
CLIENT_ERROR bad command line format\r\n
ERROR\r\n
END\r\n
VERSION <version>\r\n
"""
add(T("known-flags-2-pow-32", b"set k 4294967296 0 1\r\nx\r\nget k\r\n",
      known_difference=U32_NOTE, memcached=MC_U32, mnemod=MNEMO_U32))
add(T("known-bytes-2-pow-32-plus-1", b"set k 0 0 4294967297\r\nx\r\nget k\r\n",
      known_difference=U32_NOTE + " (the length 4294967297 reads as 1 byte)",
      memcached=MC_U32, mnemod=MNEMO_U32))
add(T("known-line-too-long", b"set " + b"k" * 3000, fence=False,
      known_difference=("memcached 1.6.18 closes a connection whose line passes 2048 bytes "
                        "without a newline silently; mnemod says why first"),
      memcached="<connection closed>",
      mnemod=r"""
CLIENT_ERROR line too long\r\n
<connection closed>
"""))
add(T("known-cas-disabled-flush-then-set", set_(b"a", b"1") + b"flush_all\r\n" + set_(b"a", b"2")
      + b"get a\r\n", flags=("-C",),
      known_difference=("with -C memcached 1.6.18 flushes by whole seconds, so a set in the same "
                        "second as flush_all is lost too; mnemod keeps it"),
      memcached=r"""
STORED\r\n
OK\r\n
STORED\r\n
END\r\n
VERSION <version>\r\n
""",
      mnemod=r"""
STORED\r\n
OK\r\n
STORED\r\n
VALUE a 0 1\r\n
  data: 2\r\n
END\r\n
VERSION <version>\r\n
"""))

add(T("known-key-251-drops-queued-replies", set_(b"a", b"1") + b"get a " + b"k" * 251 + b" a\r\n",
      known_difference=("when a get with a too-long key arrives in the same read as earlier "
                        "commands, memcached 1.6.18 drops their queued replies (here STORED); "
                        "mnemod answers every command"),
      memcached=[r"""
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
""", r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""], mnemod=r"""
STORED\r\n
CLIENT_ERROR bad command line format\r\n
VERSION <version>\r\n
"""))

# --- server flags ---------------------------------------------------------------------
add(T("cas-disabled-gets", set_(b"k", b"v") + b"gets k\r\n", flags=("-C",)))
add(T("cas-disabled-cas-cmd", set_(b"k", b"v") + b"cas k 0 0 1 0\r\nw\r\ncas k 0 0 1 1\r\nw\r\nget k\r\n",
      flags=("-C",)))
add(T("item-size-2m", set_(b"k", b"x" * (1500 * 1024)) + b"get k\r\n", flags=("-I", "2m")))
add(T("flush-disabled", set_(b"k", b"v") + b"flush_all\r\nget k\r\n", flags=("-F",)))

# memcached 1.6.45 (issue 18) changed these answers and mnemod follows it:
# name -> (why, 1.6.18's display lines, 1.6.45's = mnemod's).
_SHUTDOWN = ("memcached 1.6.45 says 'SERVER_ERROR: shutdown not enabled' (1.6.18: 'ERROR: ...'), "
             "whatever the mode, when -A is not given")
SINCE_1_6_45 = {
    name: (_SHUTDOWN, "ERROR: shutdown not enabled\\r\\n\nVERSION <version>\\r\\n",
           "SERVER_ERROR: shutdown not enabled\\r\\n\nVERSION <version>\\r\\n")
    for name in ("text-shutdown-not-enabled", "text-shutdown-graceful-not-enabled",
                 "text-shutdown-bad-mode-not-enabled")
}
for _c in C:
    if _c.name in SINCE_1_6_45:
        _c.known_difference, _c.memcached, _c.mnemod = SINCE_1_6_45[_c.name]

CONVERSATIONS = document_differences(C)
