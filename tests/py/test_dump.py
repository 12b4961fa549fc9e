"""redis-py over DUMP, RESTORE and MIGRATE: copying keys between databases
and servers the way backup and resharding tools do, over RESP2 and RESP3.

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import pytest
import redis

from conftest import ServerProc


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def c(request, server):
    """A bytes client speaking RESP2 or RESP3, keyspace flushed."""
    cl = server.client(protocol=request.param)
    cl.flushall()
    yield cl
    cl.close()


@pytest.fixture(scope="module")
def target():
    """A second server, the destination of MIGRATE."""
    s = ServerProc()
    yield s
    s.stop()


def fill(c):
    c.set("s", "hello")
    c.set("n", 12345)
    c.rpush("l", *[f"item-{i}" for i in range(300)])
    c.hset("h", mapping={"f1": "v1", "f2": "2"})
    c.hset("hbig", mapping={f"f{i}": i for i in range(600)})
    c.sadd("si", 1, 2, 3)
    c.sadd("ss", "a", "b", "c")
    c.zadd("z", {"a": 1, "b": 2.5})
    c.zadd("zbig", {f"m{i}": i for i in range(200)})
    c.pexpire("l", 100_000)


def contents(c, key):
    t = c.type(key)
    if t == b"string":
        return t, c.get(key)
    if t == b"list":
        return t, c.lrange(key, 0, -1)
    if t == b"hash":
        return t, sorted(c.hgetall(key).items())
    if t == b"set":
        return t, sorted(c.smembers(key))
    if t == b"zset":
        return t, [tuple(x) for x in c.zrange(key, 0, -1, withscores=True)]
    return t, None


def test_copy_every_key_to_another_database(c):
    fill(c)
    keys = sorted(c.keys("*"))
    expected = {k: (contents(c, k), c.object("encoding", k)) for k in keys}
    for k in keys:
        payload = c.dump(k)
        ttl = c.pttl(k)
        c.execute_command("SELECT", 5)
        assert c.restore(k, max(ttl, 0), payload, replace=True) == b"OK"
        assert (contents(c, k), c.object("encoding", k)) == expected[k]
        c.execute_command("SELECT", 0)
    c.execute_command("SELECT", 5)
    assert sorted(c.keys("*")) == keys
    assert 90_000 < c.pttl("l") <= 100_000
    c.execute_command("SELECT", 0)


def test_restore_errors_and_options(c):
    c.set("k", "v")
    payload = c.dump("k")
    assert c.dump("missing") is None
    with pytest.raises(redis.ResponseError, match="BUSYKEY"):
        c.restore("k", 0, payload)
    with pytest.raises(redis.ResponseError, match="checksum"):
        c.restore("k2", 0, payload[:-1] + bytes([payload[-1] ^ 1]))
    with pytest.raises(redis.ResponseError, match="Invalid TTL"):
        c.restore("k2", -1, payload)
    assert c.restore("k2", 0, payload, idletime=500) == b"OK"
    assert 500 <= c.object("idletime", "k2") <= 501
    c.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        assert c.restore("k3", 0, payload, frequency=42) == b"OK"
        assert c.object("freq", "k3") == 42
    finally:
        c.config_set("maxmemory-policy", "noeviction")
    # An absolute TTL in the past: nothing is created.
    assert c.restore("k4", 1000, payload, absttl=True) == b"OK"
    assert c.exists("k4") == 0


def test_migrate_moves_and_copies(c, target):
    t = target.client()
    t.flushall()
    fill(c)
    keys = sorted(c.keys("*"))
    expected = {k: contents(c, k) for k in keys}
    assert c.migrate("127.0.0.1", target.port, keys, 0, 5000, copy=True) == b"OK"
    assert sorted(c.keys("*")) == keys
    assert {k: contents(t, k) for k in keys} == expected
    with pytest.raises(redis.ResponseError, match="BUSYKEY"):
        c.migrate("127.0.0.1", target.port, ["s"], 0, 5000)
    assert c.migrate("127.0.0.1", target.port, keys, 0, 5000, replace=True) == b"OK"
    assert c.keys("*") == []
    assert 90_000 < t.pttl("l") <= 100_000
    assert c.migrate("127.0.0.1", target.port, ["gone"], 0, 5000) == b"NOKEY"
    t.close()
