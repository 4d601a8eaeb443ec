"""mnemo-cli check FILE: a log segment or snapshot verified offline (no server).

The files are the persist fuzz seeds (tests/fuzz/seeds/{logfile,snapfile}/,
written by tests/unit/persist/test_{logfile,snapfile} --write-seeds) and
copies of them cut short, flipped or extended here.
Exit status: 0 clean, 1 torn tail (log), 2 damaged or incomplete, 64 usage
or unreadable.
"""
import os
import re
import subprocess

import pytest

from conftest import CLI, REPO

SEEDS = os.path.join(REPO, "tests", "fuzz", "seeds")


def check(*args):
    if not os.path.exists(CLI):
        pytest.skip("%s not built (set MNEMO_BUILD_DIR)" % CLI)
    p = subprocess.run([CLI, "check", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def seed(kind, name):
    with open(os.path.join(SEEDS, kind, name), "rb") as f:
        return f.read()


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_clean_log(tmp_path):
    rc, out, _ = check(write(tmp_path, "log.0102030405060708", seed("logfile", "mixed")))
    assert rc == 0
    assert "log segment, seq 72623859790382856 (log.0102030405060708)" in out
    assert "records 20 (set 11, delete 3, touch 3, flush 3)" in out
    assert out.rstrip().endswith("clean")


def test_torn_log_names_the_cut(tmp_path):
    data = seed("logfile", "mixed")
    # the last record (a FLUSH) loses its last 3 bytes
    rc, out, _ = check(write(tmp_path, "log.x", data[:-3]))
    assert rc == 1
    m = re.search(r"records (\d+) .*valid up to offset (\d+) of (\d+) bytes", out)
    assert m and int(m.group(1)) == 19 and int(m.group(3)) == len(data) - 3
    cut = int(m.group(2))
    assert "recovery cuts the file at offset %d (%d bytes)" % (cut, len(data) - 3 - cut) in out


def test_damaged_log_names_the_record(tmp_path):
    data = bytearray(seed("logfile", "mixed"))
    rc, out, _ = check(write(tmp_path, "log.ok", bytes(data)))
    assert rc == 0
    data[200] ^= 0x40
    rc, out, _ = check(write(tmp_path, "log.bad", bytes(data)))
    assert rc == 2
    off = int(re.search(r"damaged: the record at offset (\d+)", out).group(1))
    assert 32 <= off <= 200
    assert "valid up to offset %d" % off in out


def test_damaged_log_header(tmp_path):
    data = bytearray(seed("logfile", "header_only"))
    data[20] ^= 1
    rc, out, _ = check(write(tmp_path, "log.h", bytes(data)))
    assert rc == 2
    assert "the header at offset 0 fails its checks" in out


def test_snapshot_ok_with_meta(tmp_path):
    rc, out, _ = check(write(tmp_path, "snapshot.1", seed("snapfile", "four_blocks")))
    assert rc == 0
    assert "snapshot, log_seq 1234605616436508552 (log.1122334455667788)" in out
    assert "created 1700000000 (2023-11-14T22:13:20Z)" in out
    assert "cas_high 18446744073709551610" in out
    assert "items 15\n" in out
    assert out.rstrip().endswith("ok")


def test_snapshot_incomplete_and_damaged(tmp_path):
    data = seed("snapfile", "four_blocks")
    rc, out, _ = check(write(tmp_path, "snapshot.cut", data[:-1]))
    assert rc == 2
    assert "incomplete: the file ends inside the block or trailer at offset %d" % (
        len(data) - 24) in out
    rc, out, _ = check(write(tmp_path, "snapshot.more", data + b"\0"))
    assert rc == 2
    assert "damaged: the first bad byte is at offset %d" % len(data) in out
    flipped = bytearray(data)
    flipped[300] ^= 0x08
    rc, out, _ = check(write(tmp_path, "snapshot.flip", bytes(flipped)))
    assert rc == 2
    off = int(re.search(r"damaged: the first bad byte is at offset (\d+)", out).group(1))
    assert 56 <= off <= 300


def test_unknown_and_unreadable(tmp_path):
    rc, out, _ = check(write(tmp_path, "other", b"hello world, not ours"))
    assert rc == 2 and "neither a log segment nor a snapshot" in out
    rc, out, _ = check(write(tmp_path, "short", b"MNEMO"))
    assert rc == 2
    rc, _, err = check(str(tmp_path / "missing"))
    assert rc == 64 and "No such file or directory" in err
    rc, _, err = check(str(tmp_path))
    assert rc == 64 and "Is a directory" in err


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--repair"]])
def test_usage(args):
    rc, _, err = check(*args)
    assert rc == 64 and "usage: check [--repair] FILE" in err


@pytest.mark.parametrize("how", ["flipped", "torn"])
def test_repair_cuts_a_log_to_its_valid_records(tmp_path, how):
    data = bytearray(seed("logfile", "mixed"))
    if how == "flipped":
        data[200] ^= 0x40
    else:
        data = data[:-3]
    path = write(tmp_path, "log.r", bytes(data))
    rc, out, _ = check(path)
    valid = int(re.search(r"valid up to offset (\d+)", out).group(1))
    kept = int(re.search(r"records (\d+)", out).group(1))
    rc, out, _ = check("--repair", path)
    assert rc == 0, out
    assert "repaired: cut at offset %d, the %d records before it kept" % (valid, kept) in out
    with open(path + ".damaged", "rb") as f:
        assert f.read() == bytes(data)  # the original, whole
    with open(path, "rb") as f:
        assert f.read() == bytes(data[:valid])
    rc, out, _ = check(path)
    assert rc == 0 and out.rstrip().endswith("clean")
    assert "records %d " % kept in out
    # a clean log: nothing to do, nothing set aside again
    rc, out, _ = check("--repair", path)
    assert rc == 0 and out.rstrip().endswith("clean")


def test_repair_keeps_an_earlier_copy(tmp_path):
    data = seed("logfile", "mixed")[:-3]
    path = write(tmp_path, "log.r", data)
    write(tmp_path, "log.r.damaged", b"an earlier copy")
    rc, _, err = check("--repair", path)
    assert rc == 64 and "cannot keep the original" in err
    with open(path, "rb") as f:
        assert f.read() == data  # untouched
    with open(path + ".damaged", "rb") as f:
        assert f.read() == b"an earlier copy"


def test_repair_leaves_a_snapshot_alone(tmp_path):
    data = seed("snapfile", "four_blocks")[:-1]
    path = write(tmp_path, "snapshot.r", data)
    rc, out, _ = check("--repair", path)
    assert rc == 2 and "not repaired" in out and "persist_keep_prefix" in out
    with open(path, "rb") as f:
        assert f.read() == data
    assert not os.path.exists(path + ".damaged")
