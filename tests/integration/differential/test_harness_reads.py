"""The differential harness's reads: a reply that pauses mid-way is read
whole up to the fence, however long the pause (within READ_LIMIT). Under
ASan a reference server fell silent for more than QUIET in the middle of a
500 KB value, and the harness took the half it had for the whole reply."""

import socket
import threading

from differential_harness import QUIET, READ_LIMIT, _Conn


def test_a_reply_paused_longer_than_quiet_is_read_to_the_fence():
    value = b"q" * 300000
    reply = b"VA %d\r\n%s\r\n" % (len(value), value)
    fence_reply = b"VERSION 1.6.45\r\n"
    pause = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        c, _ = listener.accept()
        with c:
            got = b""
            while not got.endswith(b"version\r\n"):
                chunk = c.recv(4096)
                if not chunk:
                    return
                got += chunk
            c.sendall(reply[:100000])
            pause.wait(QUIET * 3)  # silent for three times QUIET, mid-value
            c.sendall(reply[100000:] + fence_reply)
            pause.wait(READ_LIMIT)  # then stay open until the client is done

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    conn = _Conn(listener.getsockname()[1], "meta")
    try:
        conn.send(b"mg k v\r\n")
        conn.sync(True)
        assert conn.ctx.stream == reply + fence_reply, len(conn.ctx.stream)
    finally:
        conn.close()
        pause.set()
        listener.close()
        server.join(READ_LIMIT)
