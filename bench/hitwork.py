"""bench/hitwork.py: the workloads of `bench/memory --hit` (issue 26).

Each workload drives one running memcached-protocol server and returns the
gets it counted (client side) and how many missed, over its measured part
only (a warm-up that fills the cache is not counted).  The memcaslap rows
count with the server's own get_misses / cmd_get instead, as the issue did.

Sizes scale with the -m of the run through `cap`, an estimate of how many
100-byte items memcached holds in that many MB (about 5,000 per MB: a
192-byte slab chunk per item), so every -m sees the same shape: key spaces
are multiples of cap, requests too.

The client is one blocking socket, pipelined in batches of BATCH requests:
a batch of gets is sent, its replies read, and the sets for its misses
(cache-aside: set on miss) go out with the next batch, ahead of its gets,
so every set lands before any later get, as a real cache-aside client
does (only a key missed twice within one batch is set twice).
Only the Python standard library.
"""

import itertools
import os
import random
import subprocess
import tempfile
import time

from benchlib import connect, stats

BATCH = 100
VALUE_BYTES = 100
PER_MB = 5000  # cap = -m x PER_MB: memcached's 100-byte items per MB, roughly


def value(size):
    return b"x" * size


class Driver:
    """One connection, a request budget in seconds, and the counts."""

    def __init__(self, server, time_limit):
        self.sock = connect(server)
        self.deadline = time.monotonic() + time_limit
        self.label = server.label
        self.pending = []   # set commands to send ahead of the next gets
        self.gets = 0
        self.misses = 0
        self.errors = 0
        self.counting = False

    def close(self):
        if self.pending:
            self.roundtrip([])
        self.sock.close()

    def check_time(self):
        if time.monotonic() > self.deadline:
            raise TimeoutError(f"{self.label}: workload over its time limit")

    def roundtrip(self, get_keys):
        """Send the pending sets, then `get` of each key (bytes); returns one
        hit flag per key."""
        self.check_time()
        parts = self.pending
        self.pending = []
        parts.extend(b"get %s\r\n" % k for k in get_keys)
        # a final mn (meta no-op, replies MN) so that a batch of sets alone
        # still waits for the server, and stray error replies are drained
        parts.append(b"mn\r\n")
        self.sock.sendall(b"".join(parts))
        buf = bytearray()
        while not buf.endswith(b"MN\r\n"):
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError(f"{self.label} closed the connection")
            buf += chunk
        body = bytes(buf[:-4])
        # values are b"x" * n, so END\r\n only ends get replies; an error
        # line for a noreply set (e.g. SERVER_ERROR out of memory) prefixes
        # the reply of the first get after it
        segs = body.split(b"END\r\n")
        self.errors += body.count(b"ERROR")
        hits = [b"VALUE " in s for s in segs[:len(get_keys)]]
        if len(hits) != len(get_keys):
            raise ConnectionError(f"{self.label}: {len(hits)} get replies for "
                                  f"{len(get_keys)} gets")
        if self.counting:
            self.gets += len(hits)
            self.misses += hits.count(False)
        return hits

    def set_later(self, key, size):
        self.pending.append(b"set %s 0 0 %d noreply\r\n%s\r\n" % (key, size, value(size)))

    def cache_aside(self, keys, size):
        """get each key; set the ones that missed (sent with the next batch)."""
        hits = self.roundtrip(keys)
        for k, h in zip(keys, hits):
            if not h:
                self.set_later(k, size)


_cum = {}


def zipf_keys(rng, n, s, count):
    """count key indexes in 0..n-1, rank r drawn with weight 1/(r+1)^s."""
    cw = _cum.get((n, s))
    if cw is None:
        cw = list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(n)))
        _cum.clear()
        _cum[(n, s)] = cw
    return rng.choices(range(n), cum_weights=cw, k=count)


def run_keys(d, rng, prefix, draw, total, size=VALUE_BYTES):
    """total cache-aside requests, keys from draw(rng, count)."""
    done = 0
    while done < total:
        b = min(BATCH, total - done)
        d.cache_aside([b"%s%d" % (prefix, i) for i in draw(rng, b)], size)
        done += b


def fill(d, prefix, n, size=VALUE_BYTES):
    """Set keys 0..n-1 once, coldest (highest index) first, so that a zipf
    load starts on a full cache: without it a zipf 0.99 warm-up of a few
    times the cache's size touches fewer keys than a store denser than
    memcached holds, and the row measures first-touch misses only."""
    for i in range(n - 1, -1, -BATCH):
        for j in range(i, max(-1, i - BATCH), -1):
            d.set_later(b"%s%d" % (prefix, j), size)
        d.roundtrip([])


def w_zipf(s):
    def run(d, cap, rng):
        n = 5 * cap
        draw = lambda r, c: zipf_keys(r, n, s, c)  # noqa: E731
        fill(d, b"z:", n)
        run_keys(d, rng, b"z:", draw, 3 * cap)          # warm-up
        d.counting = True
        run_keys(d, rng, b"z:", draw, 3 * cap)
    return run


def w_uniform(d, cap, rng):
    n = 2 * cap
    draw = lambda r, c: [r.randrange(n) for _ in range(c)]  # noqa: E731
    run_keys(d, rng, b"u:", draw, 2 * cap)
    d.counting = True
    run_keys(d, rng, b"u:", draw, 3 * cap)


def w_scan(d, cap, rng):
    """zipf 0.99 cache-aside, then a one-time pass over 1.5 x cap keys never
    seen before (each read once, set on its miss), then the zipf load again;
    counted: the zipf gets after the scan."""
    n = 5 * cap
    draw = lambda r, c: zipf_keys(r, n, 0.99, c)  # noqa: E731
    fill(d, b"z:", n)
    run_keys(d, rng, b"z:", draw, 3 * cap)
    scan = iter(range(int(1.5 * cap)))
    run_keys(d, rng, b"scan:", lambda r, c: list(itertools.islice(scan, c)), int(1.5 * cap))
    d.counting = True
    run_keys(d, rng, b"z:", draw, cap)


def w_later(d, cap, rng):
    """Writes of new keys, each key read once DELAY writes after its set
    (cap / 4: longer than the S3-FIFO small queue's lap of ~10% of the
    cache, far shorter than the whole cache's); a miss is not set again."""
    delay = cap // 4
    total = 3 * cap
    i = 0
    while i < total + delay:
        if i >= delay + cap:    # the first cap reads warm the cache up
            d.counting = True
        for j in range(i, min(i + BATCH, total)):
            d.set_later(b"w:%d" % j, VALUE_BYTES)
        d.roundtrip([b"w:%d" % j for j in range(max(0, i - delay), max(0, i + BATCH - delay))])
        i += BATCH


def w_shift(d, cap, rng):
    """zipf 0.99 cache-aside of 100-byte items (warm-up), then of 1,000-byte
    items over new keys, then of 300-byte items over new keys: memcached
    must move slab pages between classes, mnemod only writes segments.
    Counted: the two later phases."""
    n = 5 * cap
    run_keys(d, rng, b"s1:", lambda r, c: zipf_keys(r, n, 0.99, c), 3 * cap, 100)
    d.counting = True
    n2 = cap  # about ten times the 1000-byte items that fit
    run_keys(d, rng, b"s2:", lambda r, c: zipf_keys(r, n2, 0.99, c), 2 * cap, 1000)
    run_keys(d, rng, b"s3:", lambda r, c: zipf_keys(r, n, 0.99, c), 3 * cap, 300)


# name -> (description, runner or memcaslap extra argv)
WORKLOADS = {
    "memcaslap": ("memcaslap at its defaults: `-T 1 -c 16 -t 8s` (or `-x N`; its default "
                  "config: 64-byte keys, 1,024-byte values, 1 set to 9 gets)", []),
    "memcaslap-div": ("memcaslap `--division=10` (multi-gets of 10 keys), else defaults",
                      ["--division=10"]),
    "memcaslap-5050": ("memcaslap with a 50/50 get/set mix (-F: 64-byte keys, "
                       "1,024-byte values, cmd 0 0.5 / 1 0.5)", "5050"),
    "zipf99": ("zipf s=0.99 cache-aside over 5 x cap keys, each set once first (coldest "
               "first); 3 x cap requests warm up, 3 x cap counted", w_zipf(0.99)),
    "zipf70": ("zipf s=0.7 cache-aside over 5 x cap keys, each set once first; 3 x cap "
               "warm up, 3 x cap counted", w_zipf(0.7)),
    "uniform": ("uniform cache-aside over 2 x cap keys; 2 x cap warm up, 3 x cap counted",
                w_uniform),
    "scan": ("zipf 0.99 cache-aside (keys set once first, then 3 x cap), a one-time scan of 1.5 x cap new keys "
             "(cache-aside), then zipf again: its cap gets counted", w_scan),
    "later": ("write-then-read-later: sets of new keys, each read once cap/4 sets later; "
              "3 x cap sets, the reads after the first cap counted", w_later),
    "shift": ("sizes that shift: zipf 0.99 cache-aside of 100 B (3 x cap, warm-up), then "
              "1,000 B over cap new keys (2 x cap), then 300 B over 5 x cap new keys "
              "(3 x cap); the last two counted", w_shift),
}

ZIPF_ROWS = ("zipf99", "zipf70", "scan")

MEMCASLAP_5050 = """key
64 64 1
value
1024 1024 1
cmd
0 0.5
1 0.5
"""


def run_memcaslap(server, extra, memcaslap, timeout, ops=0):
    """memcaslap against the server (for 8 s, or ops operations when ops is
    not 0); returns (gets, misses, 0) from the server's stats."""
    argv = [memcaslap, "-s", f"127.0.0.1:{server.port}", "-T", "1", "-c", "16"]
    argv += ["-x", str(ops)] if ops else ["-t", "8s"]
    cfg = None
    try:
        if extra == "5050":
            fd, cfg = tempfile.mkstemp(prefix="memcaslap-", suffix=".cfg")
            with os.fdopen(fd, "w") as f:
                f.write(MEMCASLAP_5050)
            argv += ["-F", cfg]
        else:
            argv += extra
        subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout, check=False)
    finally:
        if cfg:
            os.unlink(cfg)
    st = stats(server)
    return int(st.get("cmd_get", 0)), int(st.get("get_misses", 0)), 0


def run_workload(name, server, mem, seed, memcaslap, timeout, memcaslap_ops=0):
    """(gets, misses, error replies) of workload name against server at -m mem."""
    _, what = WORKLOADS[name]
    if not callable(what):
        return run_memcaslap(server, what, memcaslap, timeout, memcaslap_ops)
    d = Driver(server, timeout)
    try:
        what(d, mem * PER_MB, random.Random(seed))
    finally:
        d.close()
    return d.gets, d.misses, d.errors
