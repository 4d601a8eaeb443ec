"""pymemcache (pymemcache.client.base.Client) against the server."""

import random

import pytest
from pymemcache.client.base import Client
from pymemcache.exceptions import MemcacheClientError, MemcacheServerError

from mnemo_harness import IO_TIMEOUT

MAX_U64 = 2 ** 64 - 1
ITEM_SIZE_MAX = 1024 * 1024


@pytest.fixture
def pc(server):
    client = Client((server.host, server.port), connect_timeout=IO_TIMEOUT,
                    timeout=IO_TIMEOUT)
    client.flush_all(noreply=False)
    yield client
    client.close()


def gat(client, exptime, keys, cas=False):
    """pymemcache 3.5 has no gat/gats: drive them through its fetch loop."""
    name = b"gats" if cas else b"gat"
    return client._fetch_cmd(b"%s %d" % (name, exptime), keys, cas)


def test_set_get_delete(pc):
    assert pc.set("k", b"v", noreply=False) is True
    assert pc.get("k") == b"v"
    assert pc.delete("k", noreply=False) is True
    assert pc.delete("k", noreply=False) is False
    assert pc.get("k") is None
    assert pc.get("k", default=b"dflt") == b"dflt"


def test_set_many_get_many_pipelined(pc):
    rnd = random.Random(1)
    data = {"key-%04d" % i: bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200)))
            for i in range(500)}
    assert pc.set_many(data, noreply=False) == []
    keys = list(data) + ["missing-%d" % i for i in range(20)]
    got = pc.get_many(keys)
    assert got == data
    got = pc.gets_many(list(data))
    assert set(got) == set(data)
    assert all(v == data[k] for k, (v, _cas) in got.items())
    assert len({cas for _v, cas in got.values()}) == len(data)   # cas unique per item


def test_gets_cas(pc):
    pc.set("c", b"one", noreply=False)
    value, cas = pc.gets("c")
    assert value == b"one"
    assert pc.cas("c", b"two", cas, noreply=False) is True
    assert pc.get("c") == b"two"
    # the cas we used is now stale
    assert pc.cas("c", b"three", cas, noreply=False) is False
    assert pc.get("c") == b"two"
    # missing key
    assert pc.cas("nope", b"x", cas, noreply=False) is None
    assert pc.get("nope") is None
    value2, cas2 = pc.gets("c")
    assert value2 == b"two" and cas2 != cas


def test_gets_missing(pc):
    assert pc.gets("nope") == (None, None)


def test_incr_decr(pc):
    pc.set("n", b"10", noreply=False)
    assert pc.incr("n", 5) == 15
    assert pc.decr("n", 3) == 12
    assert pc.incr("n", 0) == 12
    assert pc.incr("missing", 1) is None
    assert pc.decr("missing", 1) is None


def test_incr_wraps_at_64_bits(pc):
    pc.set("n", str(MAX_U64).encode(), noreply=False)
    assert pc.incr("n", 1) == 0
    pc.set("n", b"5", noreply=False)
    assert pc.incr("n", MAX_U64) == 4


def test_decr_floors_at_zero(pc):
    pc.set("n", b"5", noreply=False)
    assert pc.decr("n", 6) == 0
    assert pc.get("n") == b"0"
    assert pc.decr("n", 1) == 0


def test_incr_non_numeric(pc):
    pc.set("s", b"abc", noreply=False)
    with pytest.raises(MemcacheClientError) as exc:
        pc.incr("s", 1)
    assert "cannot increment or decrement non-numeric value" in str(exc.value)
    with pytest.raises(MemcacheClientError):
        pc.decr("s", 1)
    # connection re-opens and the value is untouched
    assert pc.get("s") == b"abc"


def test_incr_noreply(pc):
    pc.set("n", b"1", noreply=False)
    assert pc.incr("n", 4, noreply=True) is None
    assert pc.get("n") == b"5"


def test_gat_gats(pc):
    pc.set("g", b"val", expire=0, noreply=False)
    assert gat(pc, 100, ["g", "missing"]) == {"g": b"val"}
    got = gat(pc, 100, ["g"], cas=True)
    value, cas = got["g"]
    assert value == b"val" and cas.isdigit()
    assert pc.gets("g") == (b"val", cas)      # gat does not change cas
    # gat with a negative exptime returns the value, then it is gone
    assert gat(pc, -1, ["g"]) == {"g": b"val"}
    assert pc.get("g") is None


def test_touch(pc):
    pc.set("t", b"v", expire=0, noreply=False)
    assert pc.touch("t", 100, noreply=False) is True
    assert pc.touch("missing", 100, noreply=False) is False
    assert pc.touch("t", -1, noreply=False) is True
    assert pc.get("t") is None


def test_default_noreply(server):
    # pymemcache's default is noreply for storage commands: the set returns
    # True without waiting, and the following get (on the same connection)
    # must see exactly its own reply.
    client = Client((server.host, server.port), timeout=IO_TIMEOUT)
    try:
        for i in range(50):
            assert client.set("nr%d" % i, b"v%d" % i) is True
        assert client.add("nr0", b"ignored") is True          # NOT_STORED, not sent back
        assert client.replace("missing", b"x") is True
        assert client.get_many(["nr%d" % i for i in range(50)]) == {
            "nr%d" % i: b"v%d" % i for i in range(50)}
        assert client.get("missing") is None
        assert client.delete("nr1") is True
        assert client.get("nr1") is None
    finally:
        client.close()


def test_append_prepend(pc):
    pc.set("a", b"mid", noreply=False)
    assert pc.append("a", b"-end", noreply=False) is True
    assert pc.prepend("a", b"start-", noreply=False) is True
    assert pc.get("a") == b"start-mid-end"
    assert pc.append("missing", b"x", noreply=False) is False
    assert pc.prepend("missing", b"x", noreply=False) is False
    assert pc.get("missing") is None


def test_add_replace(pc):
    assert pc.add("k", b"1", noreply=False) is True
    assert pc.add("k", b"2", noreply=False) is False
    assert pc.replace("k", b"3", noreply=False) is True
    assert pc.replace("nope", b"3", noreply=False) is False
    assert pc.get("k") == b"3"


def test_512k_random_values_byte_exact(pc):
    rnd = random.Random(512)
    values = {"big%d" % i: rnd.randbytes(512 * 1024) for i in range(4)}
    for k, v in values.items():
        assert pc.set(k, v, noreply=False) is True
    for k, v in values.items():
        assert pc.get(k) == v
    assert pc.get_many(list(values)) == values


def test_value_just_under_item_limit(pc):
    # 1 MiB minus 1 KiB leaves room for any sane per-item header.
    value = random.Random(7).randbytes(ITEM_SIZE_MAX - 1024)
    assert pc.set("edge", value, noreply=False) is True
    assert pc.get("edge") == value


def test_value_over_limit_then_in_sync(pc):
    pc.set("before", b"ok", noreply=False)
    with pytest.raises(MemcacheServerError) as exc:
        pc.set("huge", b"x" * (ITEM_SIZE_MAX + 1), noreply=False)
    assert "object too large for cache" in str(exc.value)
    # exactly item_size_max is too large too: the item header counts
    with pytest.raises(MemcacheServerError):
        pc.set("huge", b"x" * ITEM_SIZE_MAX, noreply=False)
    assert pc.get("huge") is None
    assert pc.get("before") == b"ok"
    assert pc.set("after", b"fine", noreply=False) is True
    assert pc.get_many(["before", "after"]) == {"before": b"ok", "after": b"fine"}


def test_flags_round_trip(server):
    seen = []

    def serializer(key, value):
        return value, int(key.split(b"-")[1])

    def deserializer(key, value, flags):
        seen.append((key.decode() if isinstance(key, bytes) else key, flags))
        return value

    client = Client((server.host, server.port), serializer=serializer,
                    deserializer=deserializer, timeout=IO_TIMEOUT)
    try:
        for flags in (0, 1, 0xFFFF, 0x10000, 2 ** 31, 2 ** 32 - 1):
            assert client.set("f-%d" % flags, b"x", noreply=False) is True
            assert client.get("f-%d" % flags) == b"x"
            assert seen[-1] == ("f-%d" % flags, flags)
    finally:
        client.close()


def test_binary_safe_values(pc):
    values = [b"line1\r\nline2\r\n", b"\r\n", b"END\r\n", b"\x00\x01\x02\xff",
              b"VALUE x 0 1\r\nx\r\nEND\r\n", b"", b" leading and trailing "]
    for i, v in enumerate(values):
        assert pc.set("bin%d" % i, v, noreply=False) is True
    for i, v in enumerate(values):
        assert pc.get("bin%d" % i) == v
    got = pc.get_many(["bin%d" % i for i in range(len(values))])
    assert got == {"bin%d" % i: v for i, v in enumerate(values)}


def test_stats_and_version(pc):
    stats = pc.stats()
    assert b"pid" in stats and b"curr_items" in stats
    assert pc.version().strip()
