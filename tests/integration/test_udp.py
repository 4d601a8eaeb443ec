"""UDP (-U PORT): memcached's 8-byte frame header, text, meta and binary
commands in one datagram (the first payload byte picks the dialect), replies
split into framed datagrams of at most 1400 bytes.

Known difference: memcached 1.6.18 frames each internal reply piece as its
own one-datagram sequence (a multi-get's END arrives as a second "complete"
reply with sequence 0 of 1). mnemod sends the whole reply to a datagram as
ONE sequence, numbered 0..n-1 of n, as protocol.txt describes; the strict
sequence checks below apply to mnemod only."""
import socket
import struct

import pytest

from mnemo_harness import IS_MEMCACHED, free_port, scaled

FRAME = struct.Struct("!HHHH")  # request id, sequence number, datagram count, reserved


@pytest.fixture
def udp(server_factory):
    port = free_port()
    server_factory("-U", str(port))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(scaled(2))
    s.connect(("127.0.0.1", port))
    yield s
    s.close()


def call(sock, req_id, payload, expect_len, seq=0, count=1):
    """Send one framed datagram; gather reply datagrams until expect_len
    payload bytes arrived. Returns (payload, number of datagrams)."""
    sock.send(FRAME.pack(req_id, seq, count, 0) + payload)
    got, headers = b"", []
    while len(got) < expect_len:
        data = sock.recv(65536)
        rid, seq_no, n, reserved = FRAME.unpack(data[:8])
        assert rid == req_id and reserved == 0 and seq_no < n
        assert len(data) <= 1400
        headers.append((seq_no, n))
        got += data[8:]
    if not IS_MEMCACHED:
        n = len(headers)
        assert headers == [(i, n) for i in range(n)], headers
    return got, len(headers)


def check(sock, req_id, payload, expected):
    got, frames = call(sock, req_id, payload, len(expected))
    assert got == expected
    return frames


def test_set_get_over_udp(udp):
    check(udp, 7, b"set u 5 0 3\r\nabc\r\n", b"STORED\r\n")
    check(udp, 8, b"get u nope\r\n", b"VALUE u 5 3\r\nabc\r\nEND\r\n")


def test_meta_get_over_udp(udp):
    check(udp, 1, b"set m 0 0 2\r\nhi\r\n", b"STORED\r\n")
    check(udp, 2, b"mg m v f\r\n", b"VA 2 f0\r\nhi\r\n")


def test_large_reply_is_split_into_frames(udp):
    value = bytes(range(256)) * 20  # 5120 bytes
    check(udp, 3, b"set big 0 0 %d\r\n" % len(value) + value + b"\r\n", b"STORED\r\n")
    frames = check(udp, 4, b"get big\r\n", b"VALUE big 0 %d\r\n" % len(value) + value + b"\r\nEND\r\n")
    if not IS_MEMCACHED:
        assert frames == 4  # 5139 bytes in 1392-byte payloads


def test_several_commands_in_one_datagram(udp):
    check(udp, 5, b"set a 0 0 1\r\n1\r\nincr a 41\r\nget a\r\n",
          b"STORED\r\n42\r\nVALUE a 0 2\r\n42\r\nEND\r\n")


def test_noreply_over_udp_sends_nothing_for_it(udp):
    check(udp, 6, b"set q 0 0 1 noreply\r\nx\r\nget q\r\n", b"VALUE q 0 1\r\nx\r\nEND\r\n")


def assert_no_reply(sock, wait=0.3):
    sock.settimeout(scaled(wait))
    try:
        data = sock.recv(65536)
    except socket.timeout:
        return
    finally:
        sock.settimeout(scaled(2))
    raise AssertionError("unexpected reply %r" % data[:200])


# Issue 18: memcached drops a request that says it spans several datagrams
# (count != 1) without a word; mnemod used to answer it.
@pytest.mark.parametrize("seq, count", [(0, 2), (1, 2), (0, 0)])
def test_issue_18_multi_datagram_request_is_dropped(udp, seq, count):
    check(udp, 9, b"set a 0 0 1\r\n1\r\n", b"STORED\r\n")
    udp.send(FRAME.pack(10, seq, count, 0) + b"incr a 1\r\n")
    assert_no_reply(udp)
    # the sequence number of a single-datagram request is not looked at
    check(udp, 11, b"get a\r\n", b"VALUE a 0 1\r\n1\r\nEND\r\n")
    udp.send(FRAME.pack(12, 3, 1, 0) + b"get a\r\n")
    data = udp.recv(65536)
    assert data[8:] == b"VALUE a 0 1\r\n1\r\nEND\r\n"


# ---------------------------------------------------------------------------
# binary protocol over UDP (issue 18), as memcached serves it

BIN_REQ = struct.Struct("!BBHBBHIIQ")


def bin_req(op, key=b"", value=b"", extras=b"", opaque=0, cas=0):
    return BIN_REQ.pack(0x80, op, len(key), len(extras), 0, 0,
                        len(extras) + len(key) + len(value), opaque, cas) + extras + key + value


def bin_packets(data):
    """Split reply bytes into complete (opcode, status, opaque, key, value)
    tuples; a packet not all in yet is left out."""
    out = []
    while len(data) >= 24:
        magic, op, keylen, extlen, _, status, bodylen, opaque, cas = BIN_REQ.unpack(data[:24])
        assert magic == 0x81
        if len(data) < 24 + bodylen:
            break
        body = data[24:24 + bodylen]
        out.append((op, status, opaque, body[extlen:extlen + keylen], body[extlen + keylen:]))
        data = data[24 + bodylen:]
    return out


def bin_call(sock, req_id, payload, npackets):
    """Send one datagram; gather npackets reply packets (memcached frames
    each reply packet as its own datagram, mnemod the whole reply as one
    sequence: both arrive here as a run of packets), then nothing more."""
    sock.send(FRAME.pack(req_id, 0, 1, 0) + payload)
    got = b""
    while len(bin_packets(got)) < npackets:
        data = sock.recv(65536)
        rid, seq_no, n, reserved = FRAME.unpack(data[:8])
        if IS_MEMCACHED and n == 0 and len(data) == 8:
            continue  # memcached frames a quiet opcode's empty reply as "0 of 0"
        assert rid == req_id and reserved == 0 and seq_no < n
        got += data[8:]
    packets = bin_packets(got)
    assert len(packets) == npackets, packets
    assert_no_reply(sock, 0.1)
    return packets


def test_issue_18_binary_over_udp(udp):
    flags_exp = struct.pack("!II", 7, 0)
    assert bin_call(udp, 1, bin_req(0x01, b"bk", b"hello", flags_exp, opaque=5), 1) == [
        (0x01, 0, 5, b"", b"")]
    # getk + noop in one datagram: two reply packets
    got = bin_call(udp, 2, bin_req(0x0c, b"bk", opaque=6) + bin_req(0x0a, opaque=7), 2)
    assert got == [(0x0c, 0, 6, b"bk", b"hello"), (0x0a, 0, 7, b"", b"")]
    # a miss, then a quiet set and a get of it
    got = bin_call(udp, 3, bin_req(0x00, b"nope", opaque=8), 1)
    assert got == [(0x00, 1, 8, b"", b"Not found")]
    got = bin_call(udp, 4, bin_req(0x11, b"q", b"v", struct.pack("!II", 0, 0))
                   + bin_req(0x00, b"q", opaque=9), 1)
    assert got == [(0x00, 0, 9, b"", b"v")]
    # the text dialect sees what binary stored, datagram by datagram
    check(udp, 5, b"get bk\r\n", b"VALUE bk 7 5\r\nhello\r\nEND\r\n")
    # a malformed packet is answered and ends the datagram
    got = bin_call(udp, 6, bin_req(0x01, b"k", b"v", b"\0" * 4) + bin_req(0x0a), 1)
    assert got == [(0x01, 4, 0, b"", b"Invalid arguments")]


def test_shutdown_over_udp_stops_the_server(server_factory):
    """With -A, "shutdown" in a datagram stops the server (exit 0) without a
    reply, as memcached 1.6.45 does: the command is the same whichever
    front end it arrives through."""
    port = free_port()
    srv = server_factory("-A", "-U", str(port))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(FRAME.pack(7, 0, 1, 0) + b"shutdown\r\n", ("127.0.0.1", port))
    assert srv.proc.wait(scaled(10)) == 0
