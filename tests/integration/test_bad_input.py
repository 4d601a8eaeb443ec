"""Malformed input: exact error replies (memcached 1.6.45's, the reference;
where Debian's 1.6.18 differs the case is marked mnemod_only or says so), and
the state the connection is left in afterwards."""

import random
import time

import pytest

from mnemo_harness import IS_MEMCACHED, mnemod_only, scaled

BAD_FORMAT = b"CLIENT_ERROR bad command line format\r\n"
DELETE_USAGE = b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
BAD_EXPTIME = b"CLIENT_ERROR invalid exptime argument\r\n"
BAD_DELTA = b"CLIENT_ERROR invalid numeric delta argument\r\n"
NON_NUMERIC = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
BAD_CHUNK = b"CLIENT_ERROR bad data chunk\r\n"
TOO_LARGE = b"SERVER_ERROR object too large for cache\r\n"
ITEM_SIZE_MAX = 1024 * 1024
# A storage line refused after its data length was read: memcached 1.6.45
# (and mnemod) swallow the data block; 1.6.18 runs it as a command.
SWALLOWED = b"ERROR\r\n" if IS_MEMCACHED else b""
# memcached 1.6.45 (and mnemod) refuse a line under 4 bytes with its newline
# ("\r\n", "x\r\n", the tail of a bad data block) and a command with too
# few tokens ("get", "incr k") with CLIENT_ERROR bad command line format;
# 1.6.18 answered ERROR.
SHORT_LINE = b"ERROR\r\n" if IS_MEMCACHED else BAD_FORMAT
TOO_FEW = SHORT_LINE


def check_in_sync(conn):
    """The connection still parses commands from a clean boundary."""
    conn.call(b"set sync 0 0 2\r\nok\r\nget sync\r\n",
              b"STORED\r\nVALUE sync 0 2\r\nok\r\nEND\r\n")
    conn.assert_nothing_pending()


# (request, exact reply).  A storage line refused before its data length could
# be read (memcached 1.6.45 reads it first, as strict digits) leaves nothing
# to skip: the data line is parsed as a command, hence the trailing "ERROR".
# Refused after it, the block is swallowed (memcached 1.6.18 ran it instead:
# those cases are mnemod_only).
MALFORMED = [
    pytest.param(b"foo\r\n", b"ERROR\r\n", id="unknown-command"),
    pytest.param(b"\r\n", SHORT_LINE, id="empty-line"),
    pytest.param(b"x\r\nab\n", SHORT_LINE * 2, id="short-lines"),
    pytest.param(b"   \r\n", b"ERROR\r\n", id="blank-line"),
    pytest.param(b"GET k\r\n", b"ERROR\r\n", id="uppercase"),
    pytest.param(b"get\r\n", TOO_FEW, id="get-no-key"),
    pytest.param(b"gets\r\n", TOO_FEW, id="gets-no-key"),
    pytest.param(b" get k\r\n", b"ERROR\r\n", id="leading-space", marks=mnemod_only),
    pytest.param(b"bget k\r\n", b"ERROR\r\n", id="bget", marks=mnemod_only),
    pytest.param(b"set k abc 0 1\r\nx\r\n", BAD_FORMAT, id="set-bad-flags", marks=mnemod_only),
    pytest.param(b"set k -1 0 1\r\nx\r\n", BAD_FORMAT, id="set-negative-flags", marks=mnemod_only),
    pytest.param(b"set k 0 abc 1\r\nx\r\n", BAD_FORMAT, id="set-bad-exptime", marks=mnemod_only),
    pytest.param(b"set k 0 0 -1\r\nx\r\n", BAD_FORMAT + SHORT_LINE, id="set-negative-bytes"),
    pytest.param(b"set k 0 0 abc\r\nx\r\n", BAD_FORMAT + SHORT_LINE, id="set-non-numeric-bytes"),
    pytest.param(b"set k 0 0 1x\r\nx\r\n", BAD_FORMAT + SHORT_LINE, id="set-bytes-trailing-junk"),
    pytest.param(b"set k 0 0 +1\r\nxy\r\n", BAD_FORMAT + b"ERROR\r\n", id="set-bytes-plus-sign",
                 marks=mnemod_only),
    pytest.param(b"set k 0 0 2147483647\r\n", BAD_FORMAT, id="set-bytes-int-max"),
    pytest.param(b"set k 0 0 4294967295\r\n", BAD_FORMAT, id="set-bytes-u32-max"),
    pytest.param(b"set k 0 0\r\n", BAD_FORMAT, id="set-too-few-tokens", marks=mnemod_only),
    pytest.param(b"set k\r\n", BAD_FORMAT, id="set-key-only", marks=mnemod_only),
    pytest.param(b"set\r\n", BAD_FORMAT, id="set-alone", marks=mnemod_only),
    pytest.param(b"set k 0 0 1 noreply extra\r\nx\r\n", b"STORED\r\n",
                 id="set-noreply-not-last", marks=mnemod_only),
    pytest.param(b"set k 0 0 1 2 3 4\r\nx\r\n", b"STORED\r\n", id="set-extra-tokens",
                 marks=mnemod_only),
    pytest.param(b"add k abc 0 1\r\nx\r\n", BAD_FORMAT, id="add-bad-flags", marks=mnemod_only),
    pytest.param(b"append k 0 0 abc\r\nx\r\n", BAD_FORMAT + SHORT_LINE, id="append-bad-bytes"),
    pytest.param(b"cas k 0 0 1\r\nx\r\n", BAD_FORMAT, id="cas-missing-unique", marks=mnemod_only),
    pytest.param(b"cas k 0 0 1 abc\r\nx\r\n", BAD_FORMAT, id="cas-bad-unique", marks=mnemod_only),
    pytest.param(b"cas k 0 0 1 -1\r\nx\r\n", BAD_FORMAT, id="cas-negative-unique", marks=mnemod_only),
    pytest.param(b"set " + b"k" * 251 + b" 0 0 1\r\nx\r\n", BAD_FORMAT, id="set-key-251",
                 marks=mnemod_only),
    pytest.param(b"ms " + b"k" * 251 + b" 1\r\nx\r\n", BAD_FORMAT, id="ms-key-251", marks=mnemod_only),
    pytest.param(b"incr\r\n", TOO_FEW, id="incr-alone"),
    pytest.param(b"incr k\r\n", TOO_FEW, id="incr-no-delta"),
    pytest.param(b"incr k abc\r\n", BAD_DELTA, id="incr-non-numeric-delta"),
    pytest.param(b"decr k abc\r\n", BAD_DELTA, id="decr-non-numeric-delta"),
    pytest.param(b"incr k -1\r\n", BAD_DELTA, id="incr-negative-delta"),
    pytest.param(b"incr k 18446744073709551616\r\n", BAD_DELTA, id="incr-delta-2-pow-64"),
    pytest.param(b"incr k +1\r\n", BAD_DELTA, id="incr-delta-plus", marks=mnemod_only),
    pytest.param(b"incr k 1 2 3\r\n", b"NOT_FOUND\r\n", id="incr-extra-tokens", marks=mnemod_only),
    pytest.param(b"touch k\r\n", TOO_FEW, id="touch-no-exptime"),
    pytest.param(b"touch k +1\r\n", BAD_EXPTIME, id="touch-exptime-plus", marks=mnemod_only),
    pytest.param(b"touch k abc\r\n", BAD_EXPTIME, id="touch-bad-exptime"),
    # delete keeps 1.6.18's answers, which libmemcached's memccapable checks
    # (a listed deviation: 1.6.45 says CLIENT_ERROR to a bare delete and
    # ignores whatever follows the key)
    pytest.param(b"delete\r\n", b"ERROR\r\n", id="delete-alone"),
    pytest.param(b"delete k 5\r\n", DELETE_USAGE, id="delete-nonzero-time"),
    pytest.param(b"delete k foo\r\n", DELETE_USAGE, id="delete-junk"),
    pytest.param(b"delete k 0 foo\r\n", DELETE_USAGE, id="delete-0-junk"),
    pytest.param(b"delete a b c d e\r\n", b"ERROR\r\n", id="delete-too-many"),
    pytest.param(b"gat\r\n", TOO_FEW, id="gat-alone"),
    pytest.param(b"gat 100\r\n", BAD_FORMAT, id="gat-no-key", marks=mnemod_only),
    pytest.param(b"gat abc k\r\n", BAD_EXPTIME, id="gat-bad-exptime"),
    pytest.param(b"gats abc k\r\n", BAD_EXPTIME, id="gats-bad-exptime"),
    pytest.param(b"flush_all abc\r\n", BAD_EXPTIME, id="flush-bad-delay"),
    pytest.param(b"flush_all noreply extra\r\n", BAD_EXPTIME, id="flush-noreply-not-last"),
    pytest.param(b"verbosity\r\n", TOO_FEW, id="verbosity-alone"),
    pytest.param(b"verbosity abc\r\n", BAD_FORMAT, id="verbosity-non-numeric"),
    pytest.param(b"verbosity 0 2 3\r\n", b"OK\r\n", id="verbosity-extra-tokens", marks=mnemod_only),
    pytest.param(b"verbosity +1\r\n", BAD_FORMAT, id="verbosity-plus", marks=mnemod_only),
    pytest.param(b"stats nosuchgroup\r\n", b"ERROR\r\n", id="stats-unknown-group"),
]


@pytest.mark.parametrize("request_bytes, reply", MALFORMED)
def test_malformed_command(conn, request_bytes, reply):
    conn.call(request_bytes, reply)
    check_in_sync(conn)


def test_errors_do_not_touch_stored_value(conn):
    conn.call(b"set k 3 0 2\r\n42\r\n", b"STORED\r\n")
    for request, reply in [
            (b"incr k abc\r\n", BAD_DELTA),
            (b"touch k abc\r\n", BAD_EXPTIME),
            (b"incr k\r\n", TOO_FEW),
            (b"set k abc 0 1\r\nx\r\n", BAD_FORMAT + SWALLOWED),
            (b"cas k 0 0 1 abc\r\nx\r\n", BAD_FORMAT + SWALLOWED)]:
        conn.call(request, reply)
    conn.call(b"get k\r\n", b"VALUE k 3 2\r\n42\r\nEND\r\n")


def test_errors_suppressed_by_noreply(conn):
    conn.call(b"set k 0 0 1\r\nx\r\n", b"STORED\r\n")
    conn.send(b"incr k abc noreply\r\n"
              b"incr k 1 noreply\r\n"             # non-numeric value
              b"touch k abc noreply\r\n"
              b"flush_all abc noreply\r\n"
              b"verbosity abc noreply\r\n"
              b"version\r\n")
    assert conn.recv_line().startswith(b"VERSION ")
    # memcached 1.6.45 reads a storage line's length before its noreply:
    # without a length the error is sent (1.6.18 kept it quiet)
    conn.call(b"set k 0 0 -1 noreply\r\nmn\r\n",
              (b"" if IS_MEMCACHED else BAD_FORMAT) + b"MN\r\n")
    # a rejected storage line with noreply: the error is suppressed and the
    # data block swallowed (1.6.18 parsed it as a command)
    conn.call(b"set k abc 0 1 noreply\r\nx\r\nmn\r\n", SWALLOWED + b"MN\r\n")
    conn.call(b"get k\r\n", b"VALUE k 0 1\r\nx\r\nEND\r\n")


# Issue 18: the data block of a refused storage line was run as commands, so
# any value a client sent could become one ("flush_all" here, which would
# empty the cache). memcached 1.6.45 swallows the block whenever the length
# was read: a bad flags, exptime or cas field, a key over 250 bytes, ms with
# a bad flag or too many of them.
DATA_AS_COMMAND = [
    pytest.param(b"set k abc 0 11\r\n", BAD_FORMAT, id="set-bad-flags"),
    pytest.param(b"set k 0 abc 11\r\n", BAD_FORMAT, id="set-bad-exptime"),
    pytest.param(b"set k 99999999999 0 11\r\n", BAD_FORMAT, id="set-flags-over-32-bits"),
    pytest.param(b"add k 0 0x 11\r\n", BAD_FORMAT, id="add-bad-exptime"),
    pytest.param(b"replace k x 0 11 noreply\r\n", b"", id="replace-noreply"),
    pytest.param(b"append " + b"k" * 251 + b" 0 0 11\r\n", BAD_FORMAT, id="append-key-251"),
    pytest.param(b"cas k 0 0 11\r\n", BAD_FORMAT, id="cas-missing-unique"),
    pytest.param(b"cas k 0 0 11 x\r\n", BAD_FORMAT, id="cas-bad-unique"),
    pytest.param(b"ms k 11 Fabc\r\n", BAD_FORMAT, id="ms-bad-flags"),
    pytest.param(b"ms k 11 Z\r\n", b"CLIENT_ERROR invalid flag\r\n", id="ms-invalid-flag"),
    pytest.param(b"ms " + b"k" * 251 + b" 11\r\n", BAD_FORMAT, id="ms-key-251"),
    pytest.param(b"ms k 11" + b" T1" * 18 + b"\r\n",
                 b"CLIENT_ERROR options flags are too long\r\n", id="ms-too-many-flags"),
]


@mnemod_only
@pytest.mark.parametrize("line, reply", DATA_AS_COMMAND)
def test_issue_18_refused_storage_data_is_never_run(conn, line, reply):
    conn.call(b"set keep 0 0 4\r\nsafe\r\n", b"STORED\r\n")
    conn.call(line + b"flush_all\r\n\r\n" + b"mn\r\n", reply + b"MN\r\n")
    conn.call(b"get keep\r\n", b"VALUE keep 0 4\r\nsafe\r\nEND\r\n")
    check_in_sync(conn)


# ---------------------------------------------------------------------------
# data blocks

def test_bad_data_chunk_too_long(conn):
    # vlen+2 bytes are consumed ("xyz"), they do not end in \r\n: error; the
    # rest of the input ("\r\n") is then parsed as an (empty) command.
    conn.call(b"set k 0 0 1\r\nxyz\r\nget k\r\n", BAD_CHUNK + SHORT_LINE + b"END\r\n")
    check_in_sync(conn)


def test_bad_data_chunk_keeps_old_value(conn):
    conn.call(b"set k 0 0 1\r\nA\r\n", b"STORED\r\n")
    conn.call(b"set k 0 0 3\r\nabcde\r\nget k\r\n",
              BAD_CHUNK + SHORT_LINE + b"VALUE k 0 1\r\nA\r\nEND\r\n")
    conn.call(b"append k 0 0 3\r\nabcde\r\nget k\r\n",
              BAD_CHUNK + SHORT_LINE + b"VALUE k 0 1\r\nA\r\nEND\r\n")
    check_in_sync(conn)


def test_bad_data_chunk_short_eats_next_bytes(conn):
    # 'ab\r\n' is one byte short of vlen+2=5: the 'g' of the next command is
    # taken as the 5th byte, and "et k\r\n" is then an unknown command.
    conn.call(b"set k 0 0 3\r\nab\r\nget k\r\n", BAD_CHUNK + b"ERROR\r\n")
    check_in_sync(conn)


@pytest.mark.parametrize("terminator", [b"\n\n", b"\rX", b"\nX", b"XX"])
def test_bad_data_chunk_terminators(conn, terminator):
    conn.call(b"set k 0 0 1\r\nA\r\n", b"STORED\r\n")
    conn.call(b"set k 0 0 3\r\nabc" + terminator + b"get k\r\n",
              BAD_CHUNK + b"VALUE k 0 1\r\nA\r\nEND\r\n")
    check_in_sync(conn)


def test_bad_data_chunk_noreply(conn):
    conn.call(b"set k 0 0 1 noreply\r\nxyz\r\nversion\r\n", SHORT_LINE)
    assert conn.recv_line().startswith(b"VERSION ")
    conn.call(b"get k\r\n", b"END\r\n")


def test_too_large_swallows_data(conn):
    big = b"x" * (2 * ITEM_SIZE_MAX)
    conn.call(b"set big 0 0 %d\r\n%s\r\nget big\r\n" % (len(big), big),
              TOO_LARGE + b"END\r\n")
    check_in_sync(conn)
    # noreply: the error is suppressed, the data still swallowed
    conn.call(b"set big 0 0 %d noreply\r\n%s\r\nget big\r\n" % (len(big), big), b"END\r\n")
    # exactly item_size_max is too large: the item header counts
    exact = b"y" * ITEM_SIZE_MAX
    conn.call(b"set big 0 0 %d\r\n%s\r\nget big\r\n" % (len(exact), exact),
              TOO_LARGE + b"END\r\n")
    check_in_sync(conn)


def test_too_large_bad_terminator(conn):
    # The swallowed block is exactly vlen+2 bytes: what follows is parsed.
    big = b"x" * (2 * ITEM_SIZE_MAX)
    conn.call(b"set big 0 0 %d\r\n%sXX\r\nget big\r\n" % (len(big), big),
              TOO_LARGE + SHORT_LINE + b"END\r\n")
    check_in_sync(conn)


def test_too_large_set_removes_old_value(conn):
    # A failed set must not leave the stale value readable; the other
    # storage commands leave it alone.
    big = b"x" * (2 * ITEM_SIZE_MAX)
    for verb, survives in [(b"set", False), (b"add", True), (b"replace", True),
                           (b"append", True), (b"prepend", True), (b"cas", True)]:
        conn.call(b"set k 0 0 1\r\nA\r\n", b"STORED\r\n")
        extra = b" 1" if verb == b"cas" else b""
        conn.call(b"%s k 0 0 %d%s\r\n%s\r\n" % (verb, len(big), extra, big), TOO_LARGE)
        conn.call(b"get k\r\n", b"VALUE k 0 1\r\nA\r\nEND\r\n" if survives else b"END\r\n")


# ---------------------------------------------------------------------------
# over-long lines, garbage

# memcached 1.6.45 (and 1.6.18) closes such a connection without a word, and
# so does mnemod (issue 18; it used to send "CLIENT_ERROR line too long").
OVERLONG_REPLY = b""


def test_overlong_line_without_newline_closes(server):
    # More than 2048 bytes without a newline, not a get/gets: the connection
    # is closed, with OVERLONG_REPLY as the last thing sent.
    with server.client() as c:
        c.version()
        c.send(b"a" * 4096)
        assert c.assert_closed() == OVERLONG_REPLY
    with server.client() as c:
        c.version()
        try:
            c.send(b"set k 0 0 1 " + b"9" * 300000)
        except OSError:
            pass                                  # reset while still sending
        got = c.assert_closed()
        # a reset while we were still sending may eat the reply
        assert got in (OVERLONG_REPLY, b"")
    assert server.alive()
    with server.client() as c:
        c.version()


# Issue 18: an HTTP request on the cache port (a browser can be made to send
# one at it) gets no answer at all: memcached closes without a byte when a
# line with a command it does not know ends in a token starting "HTTP/",
# whatever came before on the connection.
HTTP_LINES = [
    pytest.param(b"GET / HTTP/1.0\r\n", id="get"),
    pytest.param(b"PUT /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", id="put"),
    pytest.param(b"DELETE HTTP/1.1\r\n", id="delete-no-path"),
    pytest.param(b"POST /form HTTP/1.1\r\nHost: cache\r\n\r\n", id="post"),
    pytest.param(b"HEAD / HTTP/1.0\r\n", id="head"),
    pytest.param(b"OPTIONS * HTTP/2\r\n", id="options"),
]


@pytest.mark.parametrize("line", HTTP_LINES)
def test_issue_18_http_request_closes_silently(server, line):
    with server.client() as c:
        c.send(line)
        assert c.assert_closed() == b""
    with server.client() as c:
        c.version()
        c.send(line)
        assert c.assert_closed() == b""
    assert server.alive()


def test_http_lookalikes_are_commands(conn):
    # a known command keeps its meaning; HTTP/ must be the last token
    conn.call(b"get / HTTP/1.1\r\n", b"END\r\n")
    conn.call(b"GET / HTTP/1.1 x\r\n", b"ERROR\r\n")
    conn.call(b"GET / http/1.1\r\n", b"ERROR\r\n")
    check_in_sync(conn)


@mnemod_only
def test_unknown_command_noreply_is_silent(conn):
    # memcached 1.6.45 honours a trailing noreply on an unknown command too
    conn.call(b"foo noreply\r\nmn\r\n", b"MN\r\n")
    check_in_sync(conn)


def test_long_line_with_newline_is_just_unknown(conn):
    conn.call(b"a" * 2000 + b"\r\n", b"ERROR\r\n")
    check_in_sync(conn)


def test_long_multiget_line_is_accepted(conn):
    # A get line may be far longer than 2048 bytes, and may arrive in pieces.
    conn.call(b"set k5 0 0 1\r\nx\r\n", b"STORED\r\n")
    keys = b" ".join(b"k%d" % i for i in range(3000))
    line = b"get " + keys + b"\r\n"
    assert len(line) > 16384
    for i in range(0, len(line), 3000):
        conn.send(line[i:i + 3000])
        time.sleep(0.01)
    conn.expect(b"VALUE k5 0 1\r\nx\r\nEND\r\n")
    check_in_sync(conn)


def test_binary_garbage(conn):
    # conn already spoke text (flush_all), so a 0x80 byte is no longer a
    # binary-protocol magic: it is just a bad command.
    conn.call(bytes(range(256)) + b"\r\n", b"ERROR\r\nERROR\r\n")
    conn.call(b"\x80\x01\x00\x00\r\n", b"ERROR\r\n")
    conn.call(b"\xff\xfe\xfd\r\n", b"ERROR\r\n")
    check_in_sync(conn)


def test_data_block_never_completed(server):
    with server.client() as c:
        c.send(b"set k 0 0 100\r\nonly a few bytes")
    with server.client() as c:
        c.call(b"get k\r\n", b"END\r\n")


COMMAND_WORDS = [b"get", b"gets", b"gat", b"gats", b"set", b"add", b"replace", b"append",
                 b"prepend", b"cas", b"incr", b"decr", b"touch", b"delete", b"flush_all",
                 b"version", b"verbosity", b"stats", b"quit", b"mn", b"mg", b"md", b"ma",
                 b"noreply", b"", b"x"]
WAITS_FOR_DATA = (b"set", b"add", b"replace", b"append", b"prepend", b"cas", b"ms")


def fuzz_line(rnd):
    tokens = [rnd.choice(COMMAND_WORDS)]
    for _ in range(rnd.randrange(0, 7)):
        kind = rnd.randrange(6)
        if kind == 0:
            tokens.append(b"%d" % rnd.choice([0, 1, -1, 2 ** 31, 2 ** 32, 2 ** 64, 250, 251]))
        elif kind == 1:
            tokens.append(b"%d" % rnd.randrange(-1000, 1000))
        elif kind == 2:
            tokens.append(b"noreply")
        elif kind == 3:
            tokens.append(bytes(rnd.randrange(33, 127) for _ in range(rnd.randrange(1, 300))))
        else:
            # anything but \n, so the line stays one line
            tokens.append(bytes(rnd.choice([b for b in range(256) if b != 10])
                                for _ in range(rnd.randrange(1, 20))))
    sep = b" " * rnd.randrange(1, 3)
    return sep.join(tokens) + rnd.choice([b"\r\n", b"\n"])


@pytest.mark.mnemo_timeout(120)
def test_fuzz_lines(server_factory):
    # own server: a fuzzed "flush_all <delay>" must not hit other tests
    server = server_factory()
    rnd = random.Random(20240601)
    for case in range(300):
        line = fuzz_line(rnd)
        with server.client(timeout=scaled(5)) as c:
            c.version()                    # settle on the text protocol
            c.send(line + b"version\r\n")
            word = line.split(b" ", 1)[0].strip()
            deadline = time.monotonic() + scaled(0.5 if word in WAITS_FOR_DATA else 5)
            answered = closed = False
            while time.monotonic() < deadline:
                try:
                    if not c._fill(deadline):
                        closed = True
                        break
                except OSError:
                    break
                if b"VERSION " in c.buf:
                    answered = True
                    break
            if word not in WAITS_FOR_DATA:
                assert answered or closed, (
                    "case %d: no answer and not closed after %r; got %r" % (case, line, c.buf[:300]))
        assert server.alive(), "server died on fuzz case %d: %r" % (case, line)
    with server.client() as c:
        c.version()
