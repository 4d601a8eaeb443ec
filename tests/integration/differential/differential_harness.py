"""Differential testing: the same scripted conversation is sent to memcached
1.6.18 (Debian's), to memcached 1.6.45 (the newest release, the reference) and
to mnemod; the reply streams, after a small explicit normalisation, must be
equal byte for byte, except where differences.py lists a difference.

    conv_text.py / conv_meta.py / conv_binary.py      conversations as data
                 |
                 v
    run_conversation(conv, server)  -- fresh connection; send every item,
                 |                     drain replies, end with a fence
                 v
    normalise(stream)               -- CAS values -> #1, #2, ... (per
                 |                     conversation, first appearance);
                 v                     the time/implementation fields below
    list of display lines           -- compared; a unified diff on failure

Servers
    MEMCACHED_OLD = /usr/bin/memcached (1.6.18).  MEMCACHED_NEW = memcached
    1.6.45: $MEMCACHED_NEW, else <build>/reference/memcached-1.6.45/memcached
    (what `make test` builds with ../shared/reference/build-memcached.sh),
    else the script's own default ${TMPDIR:-/tmp}/mnemo-ref/...; a missing
    or wrong binary fails the suite (reference_problem).  SUBJECT = $MNEMOD
    (default <repo>/build/mnemod), or memcached 1.6.45 again when
    DIFF_SELF_CHECK=1 (or MNEMO_TEST_SERVER=memcached): the self-check proves
    that the normalisation hides nothing but noise.  Every server gets
    "-U 0 -l 127.0.0.1 -p <free port>" plus the conversation's flags, is
    waited for (bounded) and is always stopped by PID.

Normalisation (the complete list; keep it short)
    * CAS: "VALUE k f n <cas>", meta "c<cas>", me "cas=<n>", the binary
      header's cas field -> "#1", "#2", ... (0 stays 0).
    * "VERSION <anything>" and the binary version body -> "<version>".
    * "STAT <name> <value>" and binary stat bodies -> value "<v>"
      (the names and their order are still compared).
    * durations that depend on when the clock ticks: meta t<n>, l<n> and
      me exp=/la= -> "~" buckets (see approx_seconds).
    * me cls= and size=: the slab class and item header size are each
      store's own metadata (issue 3: "me with this store's own metadata").

Reading
    Replies are drained after every send (non-blocking), and at the end a
    fence is sent -- "version" (text and meta: it ends the read quickly even
    on a server without meta), a binary noop with a reserved opaque -- and
    the stream is read until the fence reply ends it, the connection closes,
    or nothing arrives for QUIET seconds.  A server that closes the
    connection ends the conversation: later sends are skipped and the
    display ends with "<connection closed>", which is compared like any
    reply.  A conversation whose last command is incomplete uses
    fence=False.  Sync items (and every item that needs a CAS from an
    earlier reply) send a fence first, so the earlier replies are complete;
    the fence replies are part of the compared stream.
"""

import base64
import difflib
import hashlib
import os
import re
import select
import shlex
import socket
import struct
import subprocess
import time
from pathlib import Path

from mnemo_harness import free_port

REPO = Path(__file__).resolve().parents[3]
BUILD_DIR = Path(os.environ.get("MNEMO_BUILD_DIR", str(REPO / "build")))
NEW_VERSION = "1.6.45"
MEMCACHED_OLD = "/usr/bin/memcached"
MEMCACHED = MEMCACHED_OLD           # the name older callers use


def _find_new_memcached():
    """$MEMCACHED_NEW if set (even if wrong: reference_problem says so),
    else the first candidate that exists, else the first candidate."""
    if os.environ.get("MEMCACHED_NEW"):
        return os.environ["MEMCACHED_NEW"]
    tail = Path("memcached-%s" % NEW_VERSION) / "memcached"
    candidates = [BUILD_DIR / "reference" / tail,
                  Path(os.environ.get("TMPDIR", "/tmp")) / "mnemo-ref" / tail]
    for c in candidates:
        if os.access(c, os.X_OK):
            return str(c)
    return str(candidates[0])


MEMCACHED_NEW = _find_new_memcached()
SELF_CHECK = (os.environ.get("DIFF_SELF_CHECK", "") not in ("", "0")
              or os.environ.get("MNEMO_TEST_SERVER", "").strip() == "memcached")
SUBJECT_BIN = MEMCACHED_NEW if SELF_CHECK else os.environ.get("MNEMOD", str(REPO / "build" / "mnemod"))
SUBJECT_NAME = "memcached-%s(self-check)" % NEW_VERSION if SELF_CHECK else "mnemod"


def reference_problem(binary=MEMCACHED_NEW, version=NEW_VERSION):
    """None if binary is memcached <version>, else a message saying how to get it."""
    how = ("build it with `make reference` (runs ../shared/reference/build-memcached.sh "
           "build/reference) or point MEMCACHED_NEW at a memcached %s binary" % version)
    if not os.access(binary, os.X_OK):
        return "memcached %s not found at %s: %s" % (version, binary, how)
    try:
        out = subprocess.run([binary, "-V"], capture_output=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return "%s -V failed (%s): %s" % (binary, e, how)
    first = out.decode(errors="replace").strip()
    if first != "memcached %s" % version:
        return "%s is %r, not memcached %s: %s" % (binary, first, version, how)
    return None


TIME_SCALE = float(os.environ.get("MNEMO_TEST_TIME_SCALE", "1"))
QUIET = float(os.environ.get("DIFF_QUIET", "0.2")) * TIME_SCALE   # silence that ends a read
FENCE_SETTLE = 0.003 * TIME_SCALE       # after a fence reply: anything more?
READ_LIMIT = 5.0 * TIME_SCALE           # hard bound of one drain
START_TIMEOUT = 10.0 * TIME_SCALE
STOP_TIMEOUT = 10.0 * TIME_SCALE

FENCE_OPAQUE = 0xF3F3F3F3


# ---------------------------------------------------------------------------
# conversations

class Conversation:
    """One scripted conversation.

    sends: bytes, or a list of items: bytes; Sleep(s); SYNC; Bytewise(data);
      WithCas(template) (text/meta: "$CAS" = the last CAS seen so far, "$CAS2"
      = the value behind symbol #2); Bin(...) requests from binary.py style
      helpers (cas=LAST_CAS or cas=CasSym(n)); or any callable ctx -> bytes.
    proto: "text", "meta" or "binary": picks the fence and the normaliser.
    flags: extra server flags; conversations with the same flags share a
      server trio (flushed between conversations) unless isolated=True.
    Where the servers are expected to differ is not said here but in
    differences.py (by name), so the lists stay in one place.
    """

    def __init__(self, name, sends, proto, flags=(), isolated=False, fence=True):
        self.name = name
        self.sends = [sends] if isinstance(sends, (bytes, bytearray)) else list(sends)
        self.proto = proto
        self.flags = tuple(flags)
        self.isolated = isolated or "-C" in flags or "-F" in flags
        self.fence = fence

    def __repr__(self):
        return "Conversation(%s)" % self.name


class Sleep:
    def __init__(self, seconds):
        self.seconds = seconds


class _Sync:
    pass


SYNC = _Sync()


class Bytewise:
    """Send data one byte per send(), with a short pause between bytes."""

    def __init__(self, data, delay=0.0005):
        self.data = data
        self.delay = delay


class WithCas:
    """Text/meta bytes with $CAS (last CAS seen) or $CAS<n> (symbol #n)."""

    def __init__(self, template):
        self.template = template

    def __call__(self, ctx):
        def sub(m):
            return b"%d" % (ctx.cas(int(m.group(1))) if m.group(1) else ctx.cas())
        return re.sub(rb"\$CAS(\d*)", sub, self.template)


# ---------------------------------------------------------------------------
# binary packets

BIN_OPS = {
    0x00: "get", 0x01: "set", 0x02: "add", 0x03: "replace", 0x04: "delete",
    0x05: "incr", 0x06: "decr", 0x07: "quit", 0x08: "flush", 0x09: "getq",
    0x0a: "noop", 0x0b: "version", 0x0c: "getk", 0x0d: "getkq", 0x0e: "append",
    0x0f: "prepend", 0x10: "stat", 0x11: "setq", 0x12: "addq", 0x13: "replaceq",
    0x14: "deleteq", 0x15: "incrq", 0x16: "decrq", 0x17: "quitq", 0x18: "flushq",
    0x19: "appendq", 0x1a: "prependq", 0x1b: "verbosity", 0x1c: "touch",
    0x1d: "gat", 0x1e: "gatq", 0x20: "sasl_list", 0x21: "sasl_auth",
    0x22: "sasl_step", 0x23: "gatk", 0x24: "gatkq",
}
OP = {v: k for k, v in BIN_OPS.items()}


class CasSym:
    """In a binary request: the real CAS behind symbol #n of this conversation."""

    def __init__(self, n):
        self.n = n


LAST_CAS = CasSym(0)


def bin_packet(op, key=b"", value=b"", extras=b"", cas=0, opaque=0, magic=0x80,
               datatype=0, vbucket=0, bodylen=None):
    """A binary request; op is a name from BIN_OPS or a number.  bodylen
    overrides the header field (for malformed packets)."""
    opcode = OP[op] if isinstance(op, str) else op
    body = extras + key + value
    if bodylen is None:
        bodylen = len(body)
    return struct.pack(">BBHBBHIIQ", magic, opcode, len(key), len(extras), datatype,
                       vbucket, bodylen, opaque, cas) + body


class Bin:
    """A binary request whose cas is resolved when it is sent."""

    def __init__(self, op, key=b"", value=b"", extras=b"", cas=0, opaque=0, **kw):
        self.args = (op, key, value, extras, cas, opaque, kw)

    def needs_sync(self):
        return isinstance(self.args[4], CasSym)

    def __call__(self, ctx):
        op, key, value, extras, cas, opaque, kw = self.args
        if isinstance(cas, CasSym):
            cas = ctx.cas(cas.n) if cas.n else ctx.cas()
        return bin_packet(op, key, value, extras, cas, opaque, **kw)


def bin_fence():
    return bin_packet("noop", opaque=FENCE_OPAQUE)


# ---------------------------------------------------------------------------
# normalisation

def escape(data):
    out = []
    for b in data:
        if b == 0x5c:
            out.append("\\\\")
        elif b == 0x0d:
            out.append("\\r")
        elif b == 0x0a:
            out.append("\\n")
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def approx_seconds(n):
    """Durations read off a clock that ticks once a second: t100 written and
    read back may give 100 or 99, la= 0 or 1.  -1 ("never") stays exact;
    otherwise the sign is kept, 0..9 -> ~0-9 and larger values -> the nearest
    multiple of ten (so conversations avoid TTLs ending in 5)."""
    if n == -1:
        return "-1"
    sign = "-" if n < 0 else ""
    m = abs(n)
    if m < 10:
        return sign + "~0-9"
    return sign + "~%d" % int(round(m, -1))


class CasMap:
    def __init__(self):
        self.sym = {}
        self.seen = []          # every CAS in the order it appeared

    def __call__(self, value):
        value = int(value)
        if value == 0:
            return "0"
        self.seen.append(value)
        if value not in self.sym:
            self.sym[value] = len(self.sym) + 1
        return "#%d" % self.sym[value]

    def value_of(self, n):
        for v, s in self.sym.items():
            if s == n:
                return v
        raise AssertionError("no CAS symbol #%d seen yet (seen: %r)" % (n, self.sym))


_NUM = re.compile(rb"-?\d+\Z")
META_CODES = {b"VA", b"HD", b"NS", b"EX", b"NF", b"EN", b"MN"}


def _meta_flags(tokens, cas):
    out = []
    for t in tokens:
        if len(t) > 1 and t[:1] == b"c" and t[1:].isdigit():
            out.append("c" + cas(t[1:]))
        elif len(t) > 1 and t[:1] in (b"t", b"l") and _NUM.match(t[1:]):
            out.append(t[:1].decode() + approx_seconds(int(t[1:])))
        else:
            out.append(escape(t))
    return out


def _me_fields(tokens, cas):
    out = []
    for t in tokens:
        k, eq, v = t.partition(b"=")
        if eq and k == b"cas" and v.isdigit():
            out.append("cas=" + cas(v))
        elif eq and k in (b"exp", b"la") and _NUM.match(v):
            out.append(k.decode() + "=" + approx_seconds(int(v)))
        elif eq and k in (b"cls", b"size"):
            out.append(k.decode() + "=<n>")
        else:
            out.append(escape(t))
    return out


def normalise_ascii(stream, cas):
    """Text and meta replies -> display lines (each ends with its \\r\\n)."""
    lines = []
    pos = 0
    n = len(stream)
    while pos < n:
        nl = stream.find(b"\r\n", pos)
        if nl < 0:
            lines.append("<partial> " + escape(stream[pos:]))
            break
        line = stream[pos:nl]
        pos = nl + 2
        w = line.split(b" ")
        data_len = None
        if w[0] == b"VALUE" and len(w) in (4, 5) and w[3].isdigit():
            if len(w) == 5 and w[4].isdigit():
                w[4] = cas(w[4]).encode()
            text = escape(b" ".join(w))
            data_len = int(w[3])
        elif w[0] in META_CODES and line == line.strip() and b"  " not in line:
            rest = w[1:]
            head = [w[0].decode()]
            if w[0] == b"VA" and rest and rest[0].isdigit():
                data_len = int(rest[0])
                head.append(rest[0].decode())
                rest = rest[1:]
            text = " ".join(head + _meta_flags(rest, cas))
        elif w[0] == b"ME" and len(w) >= 2:
            text = " ".join(["ME", escape(w[1])] + _me_fields(w[2:], cas))
        elif w[0] == b"VERSION" and len(w) >= 2:
            text = "VERSION <version>"
        elif w[0] == b"STAT" and len(w) >= 3:
            text = "STAT %s <v>" % escape(w[1])
        else:
            text = escape(line)
        lines.append(text + "\\r\\n")
        if data_len is not None:
            block = stream[pos:pos + data_len + 2]
            pos += len(block)
            lines.append("  data: " + escape(block))
    return lines


def normalise_binary(stream, cas):
    """Binary responses -> one display line per packet."""
    lines = []
    pos = 0
    while pos < len(stream):
        if len(stream) - pos < 24 or stream[pos] != 0x81:
            lines.append("<raw> " + escape(stream[pos:]))
            break
        (magic, op, keylen, extlen, dtype, status, bodylen, opaque,
         casv) = struct.unpack(">BBHBBHIIQ", stream[pos:pos + 24])
        body = stream[pos + 24:pos + 24 + bodylen]
        pos += 24 + len(body)
        extras = body[:extlen]
        key = body[extlen:extlen + keylen]
        value = body[extlen + keylen:]
        name = BIN_OPS.get(op, "0x%02x" % op)
        if name == "version" and status == 0:
            value = b"<version>"
        elif name == "stat" and key:
            value = b"<v>"
        parts = ["RES %s status=0x%04x opaque=0x%x cas=%s" % (name, status, opaque, cas(casv))]
        if dtype:
            parts.append("datatype=%d" % dtype)
        if extras:
            parts.append("extras=%s" % extras.hex())
        if key:
            parts.append("key=%s" % escape(key))
        if value:
            parts.append("value=%s" % escape(value))
        if len(body) < bodylen:
            parts.append("<truncated body: %d of %d>" % (len(body), bodylen))
        lines.append(" ".join(parts))
    return lines


LONG_LINE = 240


def shorten(line):
    """Long values stay comparable but readable: a prefix, the length and a
    digest of the whole line."""
    if len(line) <= LONG_LINE:
        return line
    digest = hashlib.sha1(line.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return "%s... [%d chars, sha1 %s]" % (line[:100], len(line), digest)


def normalise(proto, stream, closed, cas=None):
    cas = cas or CasMap()
    if proto == "binary":
        lines = normalise_binary(stream, cas)
    else:
        lines = normalise_ascii(stream, cas)
    lines = [shorten(l) for l in lines]
    if closed:
        lines.append("<connection closed>")
    return lines, cas


# ---------------------------------------------------------------------------
# servers

class Server:
    def __init__(self, binary, flags, workdir, label):
        self.binary = binary
        self.flags = list(flags)
        self.workdir = Path(workdir)
        self.label = label
        self.proc = None
        self.port = None
        self.argv = None
        self.stderr_path = self.workdir / ("%s-%d.stderr" % (label, id(self)))

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise AssertionError("server binary %s is missing or not executable "
                                 "(build it, or set MNEMOD / MEMCACHED_NEW)" % self.binary)
        err = ""
        for _ in range(5):
            self.port = free_port()
            self.argv = [self.binary, "-U", "0", "-l", "127.0.0.1", "-p", str(self.port)]
            if self.binary in (MEMCACHED_OLD, MEMCACHED_NEW):
                if os.geteuid() == 0:
                    self.argv += ["-u", "root"]
            else:
                # as mnemo_harness: MNEMOD_EXTRA_ARGS="-o io_uring=off" runs on epoll
                self.argv += shlex.split(os.environ.get("MNEMOD_EXTRA_ARGS", ""))
            self.argv += self.flags
            with open(self.stderr_path, "ab") as e:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                             stdout=e, stderr=e, cwd=self.workdir)
            if self._wait_ready():
                return self
            if self.proc.poll() is None:
                self.stop()
                raise AssertionError("%r did not answer within %.0fs" % (self.argv, START_TIMEOUT))
            err = self.stderr_path.read_text(errors="replace")
            if "in use" not in err:
                break
        raise AssertionError("%r failed to start: %s" % (self.argv, err[-2000:]))

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as s:
                    s.sendall(b"version\r\n")
                    if s.recv(100).startswith(b"VERSION "):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        return self.proc.returncode

    def stderr_tail(self):
        try:
            return self.stderr_path.read_text(errors="replace")[-2000:]
        except FileNotFoundError:
            return ""

    def admin(self, request, expect):
        """One request on its own connection; the reply must start with expect."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=READ_LIMIT) as s:
            s.sendall(request)
            buf = b""
            while not buf.endswith(b"\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        assert buf.startswith(expect), "%s: %r -> %r" % (self.label, request, buf)


# ---------------------------------------------------------------------------
# running one conversation

class _Ctx:
    def __init__(self, proto):
        self.proto = proto
        self.stream = b""
        self.closed = False

    def _casmap(self):
        _lines, cas = normalise(self.proto, self.stream, False)
        return cas

    def cas(self, n=None):
        cas = self._casmap()
        if n:
            return cas.value_of(n)
        assert cas.seen, "no CAS in the replies so far: %r" % self.stream[-300:]
        return cas.seen[-1]


_FENCES = {
    "text": (b"version\r\n", re.compile(rb"VERSION [^\r\n]*\r\n\Z")),
    "meta": (b"version\r\n", re.compile(rb"VERSION [^\r\n]*\r\n\Z")),
}


def _fence_done(proto, buf):
    if proto == "binary":
        return (len(buf) >= 24 and buf[-24] == 0x81 and buf[-23] == 0x0a
                and struct.unpack(">I", buf[-12:-8])[0] == FENCE_OPAQUE)
    return bool(_FENCES[proto][1].search(buf))


def _fence_can_come(proto, stream):
    """Can the fence's reply still arrive? Not on a binary connection the
    server took for text (its first reply is text): the fence's bytes are no
    line to it, and it waits for the rest."""
    return proto != "binary" or not stream or stream[0] == 0x81


def _fence_bytes(proto):
    return bin_fence() if proto == "binary" else _FENCES[proto][0]


class _Conn:
    def __init__(self, port, proto):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=READ_LIMIT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.ctx = _Ctx(proto)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _recv_some(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except (BlockingIOError, InterruptedError):
            return True
        except (ConnectionResetError, BrokenPipeError, OSError):
            chunk = b""
        if not chunk:
            self.ctx.closed = True
            return False
        self.ctx.stream += chunk
        return True

    def drain_now(self):
        while not self.ctx.closed:
            r, _, _ = select.select([self.sock], [], [], 0)
            if not r or not self._recv_some():
                break

    def send(self, data):
        if self.ctx.closed:
            return
        view = memoryview(data)
        deadline = time.monotonic() + READ_LIMIT
        while view and not self.ctx.closed:
            if time.monotonic() > deadline:
                raise AssertionError("send blocked for %.0fs" % READ_LIMIT)
            r, w, _ = select.select([self.sock], [self.sock], [], 0.05)
            if r:
                self._recv_some()
            if w and not self.ctx.closed:
                try:
                    sent = self.sock.send(view)
                except (BlockingIOError, InterruptedError):
                    continue
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.drain_now()
                    self.ctx.closed = True
                    return
                view = view[sent:]
        self.drain_now()

    def wait(self, seconds):
        end = time.monotonic() + seconds
        while not self.ctx.closed:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                self._recv_some()

    def read_until_fence(self, fence, since):
        """Read until the fence reply ends the stream after offset `since`
        (then settle briefly), the connection closes, or READ_LIMIT passes.
        `since` is where the stream stood when the fence was sent: a stream
        that still ends with an earlier fence's reply is not done, or a reply
        slower than FENCE_SETTLE would be cut off. Only without a fence, or
        where none can come back, does a silence of QUIET end the read: a
        server busy mid-reply (a 500 KB value under ASan) may fall silent
        for longer and then go on."""
        deadline = time.monotonic() + READ_LIMIT
        proto = self.ctx.proto
        while not self.ctx.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            done = fence and _fence_done(proto, self.ctx.stream[since:])
            if done:
                wait = FENCE_SETTLE
            elif fence and _fence_can_come(proto, self.ctx.stream):
                wait = left
            else:
                wait = QUIET
            r, _, _ = select.select([self.sock], [], [], min(wait, left))
            if not r:
                break
            self._recv_some()

    def sync(self, fence=True):
        since = len(self.ctx.stream)
        if fence:
            self.send(_fence_bytes(self.ctx.proto))
        self.read_until_fence(fence, since)


def _needs_sync(item):
    return isinstance(item, WithCas) or (isinstance(item, Bin) and item.needs_sync()) or (
        callable(item) and not isinstance(item, (Bin, WithCas)))


def run_conversation(conv, port):
    """Run conv on a fresh connection; returns (display lines, raw stream)."""
    conn = _Conn(port, conv.proto)
    try:
        for item in conv.sends:
            if isinstance(item, (bytes, bytearray)):
                conn.send(bytes(item))
            elif isinstance(item, Sleep):
                conn.wait(item.seconds * TIME_SCALE)
            elif item is SYNC:
                conn.sync()
            elif isinstance(item, Bytewise):
                for i in range(len(item.data)):
                    conn.send(item.data[i:i + 1])
                    time.sleep(item.delay)
            elif callable(item):
                if _needs_sync(item):
                    conn.sync()
                conn.send(item(conn.ctx))
            else:
                raise TypeError("bad item %r in %s" % (item, conv.name))
        conn.sync(conv.fence)
    finally:
        conn.close()
    lines, _cas = normalise(conv.proto, conn.ctx.stream, conn.ctx.closed)
    return lines, conn.ctx.stream


def diff_text(a_lines, b_lines, a_name, b_name):
    return "\n".join(difflib.unified_diff(a_lines, b_lines, a_name, b_name, lineterm="", n=50))


def lines_of(expected):
    """Expected display lines written as one string, one line per row."""
    expected = expected.strip("\n")
    return expected.split("\n") if expected else []


def alternatives(expected):
    """Documented bytes may list several outcomes (timing-dependent bugs)."""
    if isinstance(expected, (list, tuple)):
        return [lines_of(e) for e in expected]
    return [lines_of(expected)]


def b64(key):
    return base64.b64encode(key)
