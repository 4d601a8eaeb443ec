"""UDP (-U PORT): memcached's 8-byte frame header, text and meta commands in
one datagram, replies split into framed datagrams of at most 1400 bytes.

Known difference: memcached 1.6.18 frames each internal reply piece as its
own one-datagram sequence (a multi-get's END arrives as a second "complete"
reply with sequence 0 of 1). mnemod sends the whole reply to a datagram as
ONE sequence, numbered 0..n-1 of n, as protocol.txt describes; the strict
sequence checks below apply to mnemod only."""
import socket
import struct

import pytest

from mnemo_harness import IS_MEMCACHED, scaled

FRAME = struct.Struct("!HHHH")  # request id, sequence number, datagram count, reserved


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def udp(server_factory):
    port = free_udp_port()
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


@pytest.mark.skipif(IS_MEMCACHED, reason="mnemod-only: the reply to a request spanning datagrams")
def test_multi_datagram_request_is_refused(udp):
    check(udp, 9, b"get a\r\n", b"END\r\n")
    udp.send(FRAME.pack(10, 0, 2, 0) + b"get a\r\n")
    data = udp.recv(65536)
    assert data[8:] == b"SERVER_ERROR multi-packet request not supported\r\n"
