"""redis-py apps built on the collection types: a leaderboard, session
hashes, tag sets and a capped activity log, over RESP2 and RESP3.

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import pytest
import redis


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def c(request, server):
    """A decoded (str) client speaking RESP2 or RESP3, keyspace flushed."""
    cl = server.client(protocol=request.param, decode_responses=True)
    cl.flushall()
    yield cl
    cl.close()


def test_leaderboard(c):
    players = {f"player:{i}": i * 10 for i in range(1, 21)}
    assert c.zadd("board", players) == 20
    assert c.zincrby("board", 15, "player:3") == 45.0
    assert c.zincrby("board", 2.5, "player:20") == 202.5
    top = [tuple(x) for x in c.zrange("board", 0, 2, desc=True, withscores=True)]
    assert top == [("player:20", 202.5), ("player:19", 190.0), ("player:18", 180.0)]
    assert c.zrevrank("board", "player:3") == 16
    assert c.zrank("board", "player:1") == 0
    assert c.zscore("board", "player:3") == 45.0
    assert c.zcount("board", 40, "(60") == 3  # player:3 (45), player:4 (40), player:5 (50)
    assert c.zrangebyscore("board", 100, 120) == ["player:10", "player:11", "player:12"]
    assert c.zrem("board", "player:1", "nobody") == 1
    assert c.zcard("board") == 19
    assert c.object("encoding", "board") == "listpack"
    # Past zset-max-listpack-entries (128) the encoding becomes a skiplist
    # and the answers stay the same.
    c.zadd("board", {f"bot:{i}": -i for i in range(200)})
    assert c.object("encoding", "board") == "skiplist"
    assert [tuple(x) for x in c.zrange("board", -3, -1, withscores=True)] == [
        ("player:18", 180.0),
        ("player:19", 190.0),
        ("player:20", 202.5),
    ]
    assert [tuple(x) for x in c.zpopmin("board", 2)] == [("bot:199", -199.0), ("bot:198", -198.0)]
    assert c.zadd("board", {"player:2": 5}, gt=True, ch=True) == 0
    assert c.zadd("board", {"player:2": 500}, gt=True, ch=True) == 1
    assert c.zrevrange("board", 0, 0) == ["player:2"]


def test_session_hashes(c):
    c.hset("session:abc", mapping={"user": "ann", "visits": 1, "cart": ""})
    c.expire("session:abc", 1800)
    assert c.hgetall("session:abc") == {"user": "ann", "visits": "1", "cart": ""}
    assert c.hincrby("session:abc", "visits", 4) == 5
    assert c.hincrbyfloat("session:abc", "score", 1.25) == 1.25
    assert c.hmget("session:abc", ["user", "missing"]) == ["ann", None]
    assert c.hexists("session:abc", "cart")
    assert c.hdel("session:abc", "cart", "nope") == 1
    assert sorted(c.hkeys("session:abc")) == ["score", "user", "visits"]
    assert c.hlen("session:abc") == 3
    assert not c.hsetnx("session:abc", "user", "bob")
    assert 1700 < c.ttl("session:abc") <= 1800
    assert c.object("encoding", "session:abc") == "listpack"
    c.hset("session:abc", "bio", "x" * 100)
    assert c.object("encoding", "session:abc") == "hashtable"
    assert c.hstrlen("session:abc", "bio") == 100
    with pytest.raises(redis.ResponseError) as e:
        c.hincrby("session:abc", "user", 1)
    assert str(e.value) == "hash value is not an integer"


def test_tag_sets(c):
    c.sadd("tag:rust", "post:1", "post:2", "post:3")
    c.sadd("tag:redis", "post:2", "post:3", "post:4")
    assert c.sinter("tag:rust", "tag:redis") == {"post:2", "post:3"}
    assert c.sunion("tag:rust", "tag:redis") == {"post:1", "post:2", "post:3", "post:4"}
    assert c.sdiff("tag:rust", "tag:redis") == {"post:1"}
    assert c.sunionstore("tag:all", "tag:rust", "tag:redis") == 4
    assert c.scard("tag:all") == 4
    assert c.sismember("tag:all", "post:4")
    assert [bool(x) for x in c.smismember("tag:all", ["post:1", "post:9"])] == [True, False]
    assert c.smove("tag:rust", "tag:redis", "post:1")
    assert c.smembers("tag:rust") == {"post:2", "post:3"}
    assert c.sintercard(2, ["tag:rust", "tag:redis"]) == 2
    c.sadd("ids", *range(10))
    assert c.object("encoding", "ids") == "intset"
    c.sadd("ids", "eleven")
    assert c.object("encoding", "ids") == "hashtable"
    assert len(c.srandmember("ids", 100)) == 11
    assert len(c.srandmember("ids", -20)) == 20
    popped = c.spop("ids", 11)
    assert len(popped) == 11 and c.exists("ids") == 0


def test_capped_activity_log(c):
    for i in range(150):
        c.lpush("log", f"event {i}")
        c.ltrim("log", 0, 99)
    assert c.llen("log") == 100
    assert c.lrange("log", 0, 2) == ["event 149", "event 148", "event 147"]
    assert c.lindex("log", -1) == "event 50"
    assert c.object("encoding", "log") == "quicklist"
    assert c.lpos("log", "event 140") == 9
    assert c.linsert("log", "before", "event 149", "pinned") == 101
    assert c.lpop("log") == "pinned"
    assert c.rpop("log", 2) == ["event 50", "event 51"]
    assert c.lmove("log", "archive", "RIGHT", "LEFT") == "event 52"
    assert c.lrange("archive", 0, -1) == ["event 52"]
    assert c.lrem("log", 0, "event 53") == 1
    c.lset("log", 0, "first")
    assert c.lrange("log", 0, 0) == ["first"]


def test_wrong_type_between_collections(c):
    c.rpush("l", "a")
    c.sadd("s", "a")
    for op in (
        lambda: c.sadd("l", "x"),
        lambda: c.hset("s", "f", "v"),
        lambda: c.zadd("l", {"m": 1}),
        lambda: c.lpush("s", "x"),
        lambda: c.zrange("s", 0, -1),
    ):
        with pytest.raises(redis.ResponseError) as e:
            op()
        assert str(e.value).startswith("WRONGTYPE")
