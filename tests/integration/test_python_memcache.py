"""python-memcache (the 'memcache' module) against the server.

The first test is the canonical example from python-memcache's documentation.
"""

import memcache
import pytest

from mnemo_harness import IS_MEMCACHED


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


@pytest.fixture
def mc(server):
    client = memcache.Client([server.addr], socket_timeout=5)
    client.flush_all()
    yield client
    client.disconnect_all()


def test_readme_example(mc):
    assert mc.set("my_key", "Hello, world!")
    assert mc.get("my_key") == "Hello, world!"
    assert mc.delete("my_key")
    assert mc.get("my_key") is None


def test_pickled_objects_round_trip(mc):
    values = {
        "a_dict": {"name": "mnemo", "n": 3, "nested": {"list": [1, 2, 3]}},
        "a_list": [1, "two", 3.0, None, (4, 5)],
        "an_object": Point(3, -7),
        "a_tuple": ("x", b"y", 2 ** 70),
    }
    for key, value in values.items():
        assert mc.set(key, value)
    for key, value in values.items():
        assert mc.get(key) == value


def test_scalars_keep_their_type(mc):
    mc.set("i", 42)
    mc.set("l", 2 ** 40)
    mc.set("b", b"bytes\x00\xff")
    mc.set("u", "h\u00e9llo \u2603")
    assert mc.get("i") == 42 and isinstance(mc.get("i"), int)
    assert mc.get("l") == 2 ** 40
    assert mc.get("b") == b"bytes\x00\xff"
    assert mc.get("u") == "h\u00e9llo \u2603"


def test_incr_decr(mc):
    assert mc.set("counter", "10")
    assert mc.incr("counter") == 11
    assert mc.incr("counter", 5) == 16
    assert mc.decr("counter", 6) == 10
    assert mc.decr("counter", 100) == 0       # decr never goes below zero
    assert mc.incr("missing") is None
    assert mc.decr("missing") is None


def test_add_replace(mc):
    assert mc.add("k", "first")
    assert not mc.add("k", "second")
    assert mc.get("k") == "first"
    assert mc.replace("k", "third")
    assert mc.get("k") == "third"
    assert not mc.replace("nope", "x")
    assert mc.get("nope") is None


def test_append_prepend(mc):
    mc.set("s", "middle")
    assert mc.append("s", "-end")
    assert mc.prepend("s", "start-")
    assert mc.get("s") == "start-middle-end"


def test_multi(mc):
    data = {"m%d" % i: "value-%d" % i for i in range(100)}
    assert mc.set_multi(data) == []          # list of keys that failed
    got = mc.get_multi(list(data) + ["missing-1", "missing-2"])
    assert got == data
    assert mc.delete_multi(["m%d" % i for i in range(50)])
    got = mc.get_multi(list(data))
    assert got == {k: v for k, v in data.items() if int(k[1:]) >= 50}


def test_gets_cas(server, mc):
    client = memcache.Client([server.addr], cache_cas=True, socket_timeout=5)
    try:
        client.set("c", "v1")
        assert client.gets("c") == "v1"
        assert client.cas("c", "v2")
        assert client.get("c") == "v2"
        # client still holds the unique from its gets: now stale
        mc.set("c", "changed-behind-its-back")
        assert not client.cas("c", "v3")
        assert mc.get("c") == "changed-behind-its-back"
    finally:
        client.disconnect_all()


def test_expiry_zero_lives(mc):
    mc.set("forever", "yes", time=0)
    assert mc.get("forever") == "yes"


# Issue 18: a get line over 1 MiB (60k keys) used to close the connection,
# and python-memcache then reported 0 hits without an error. memcached serves
# any size; mnemod now serves lines up to 64 MiB, on both I/O backends.
@pytest.mark.mnemo_timeout(180)
@pytest.mark.parametrize("io_uring", ["on", "off"])
def test_issue_18_get_multi_60k_keys(server_factory, io_uring):
    server = server_factory(*([] if IS_MEMCACHED else ["-o", "io_uring=" + io_uring]))
    client = memcache.Client([server.addr], socket_timeout=30)
    keys = ["issue18_multiget_key_%06d" % i for i in range(60000)]
    for i in range(0, len(keys), 2000):
        assert client.set_multi({k: "v" + k for k in keys[i:i + 2000]}) == []
    assert sum(len(k) + 1 for k in keys) > 1 << 20
    got = client.get_multi(keys)
    assert len(got) == len(keys)
    assert all(got[k] == "v" + k for k in keys)
    # the connection is still in sync afterwards
    assert client.get(keys[0]) == "v" + keys[0]
    client.disconnect_all()
