"""bench/benchlib.py: what the bench scripts (compare, memory, persist) share.

Servers on free ports stopped by PID on every exit path, bounded waits,
running a tool with a time limit, `stats` over a raw socket, medians and
ratios that survive a missing value, and the machine's description.  Only
the Python standard library; it knows nothing of any one benchmark.
"""

import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
MB = 1024 * 1024
IO_TIMEOUT = 30.0  # no progress on a socket for this long: give up

SERVERS = []  # every Server started, stopped at exit
_tag = ["bench"]


def set_tag(name):
    """The script's name in front of every log line."""
    _tag[0] = name


def log(msg):
    print(f"[{_tag[0]} {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MEMCACHED_PROBE = (b"version\r\n", b"VERSION")
REDIS_PROBE = (b"PING\r\n", b"+PONG")


class Server:
    """One server process on a free port, stopped by PID.

    probe is (request, the reply's first bytes) that says the server answers.
    """

    def __init__(self, label, argv_fn, probe=MEMCACHED_PROBE):
        self.label = label
        self.argv_fn = argv_fn
        self.probe = probe
        self.proc = None
        self.port = None
        self.argv = None

    def spawn(self):
        """Start the process on a fresh free port without waiting for it."""
        self.port = free_port()
        self.argv = self.argv_fn(self.port)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        if self not in SERVERS:
            SERVERS.append(self)

    def answers(self, timeout=0.5):
        """Does the server answer its probe right now?"""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
                s.settimeout(2.0)
                s.sendall(self.probe[0])
                return s.recv(100).startswith(self.probe[1])
        except OSError:
            return False

    def start(self, timeout=10.0):
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.spawn()
            log(f"starting {self.label}: {' '.join(self.argv)}")
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.answers():
                    return
                time.sleep(0.05)
            err = self.stderr_text() if self.proc.poll() is not None else ""
            self.stop()
            log(f"{self.label} did not come up on port {self.port}: {err or 'no answer'}")
        die(f"cannot start {self.label}")

    def stderr_text(self):
        """What an exited process wrote on stderr (empty while it runs)."""
        if self.proc is None or self.proc.poll() is None:
            return ""
        return (self.proc.stderr.read() or b"").decode(errors="replace").strip()

    def stop(self, timeout=5.0):
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=timeout)
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL, and reap it."""
        p = self.proc
        if p is None or p.poll() is not None:
            return
        p.kill()
        p.wait(timeout=10)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        """utime + stime of the whole process (all threads), in seconds."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def status_kb(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return -1

    def rss(self):
        """VmRSS in bytes."""
        return self.status_kb("VmRSS") * 1024

    def rss_mb(self):
        kb = self.status_kb("VmRSS")
        return kb / 1024.0 if kb >= 0 else float("nan")

    def hwm(self):
        """VmHWM (peak resident size) in bytes."""
        return self.status_kb("VmHWM") * 1024

    def settled_rss(self, limit=5.0):
        """VmRSS once it stops moving (background work such as a hash table
        expansion may still be running right after the last reply), at most
        limit seconds."""
        deadline = time.monotonic() + limit
        last, same = self.rss(), 0
        while time.monotonic() < deadline and same < 3:
            time.sleep(0.2)
            cur = self.rss()
            same = same + 1 if abs(cur - last) <= 64 * 1024 else 0
            last = cur
        return last


def stop_all():
    for s in SERVERS:
        s.stop()


def on_signal(signum, _frame):
    stop_all()
    log(f"stopped by signal {signum}")
    os._exit(128 + signum)


def stop_servers_on_exit():
    """Every Server is stopped by PID at exit and on SIGINT/SIGTERM/SIGHUP."""
    import atexit
    atexit.register(stop_all)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)


def run(argv, timeout):
    """Run a tool to completion; its stdout, or die with its stderr."""
    try:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        die(f"timed out after {timeout:.0f} s: {' '.join(argv)}")
    if r.returncode != 0:
        die(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stderr.strip()}")
    return r.stdout


def connect(server):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5.0)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(IO_TIMEOUT)
    return s


def recv_until(sock, end, limit=64 * MB):
    buf = bytearray()
    while not buf.endswith(end):
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
        if len(buf) > limit:
            raise ConnectionError("reply too long")
    return bytes(buf)


def stats(server, group=None):
    """`stats [group]` of a memcached-protocol server as a dict of strings
    (empty when the server refuses the group with an error line)."""
    with connect(server) as s:
        s.sendall(b"stats" + (b" " + group.encode() if group else b"") + b"\r\n")
        out = b""
        while True:
            out += recv_until(s, b"\r\n")
            cut = out.rfind(b"\r\n", 0, len(out) - 2)
            last = out[cut + 2 if cut >= 0 else 0:]
            if last == b"END\r\n" or b"ERROR" in last.split(b" ", 1)[0]:
                break
    res = {}
    for line in out.decode(errors="replace").split("\r\n"):
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "STAT":
            res[parts[1]] = parts[2]
    return res


def median_of(runs, key):
    vals = [r[key] for r in runs if r[key] == r[key]]  # drop NaN
    return statistics.median(vals) if vals else float("nan")


def ratio(b, a):
    return b / a if a and a == a and b == b else float("nan")


def fmt(v, digits=1):
    return "n/a" if v != v else f"{v:,.{digits}f}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def machine_line():
    return f"Machine: {os.cpu_count()} cores, {cpu_model()}, Linux {platform.release()}."


def argv_text(server):
    """The server's command line with PORT for the port and the binary's
    base name, as the results print it."""
    argv = list(server.argv_fn("PORT"))
    argv[0] = os.path.basename(argv[0])
    return shlex.join(argv)


def find(path_opts):
    for p in path_opts:
        if p and os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None
