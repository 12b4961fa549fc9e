"""redis-py against the server under test, used the way an application uses it.

Every expectation here is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`) and must pass
against rustredis.

redis-py strips the `ERR ` prefix from error replies, so the messages checked
below are Redis's texts without it (`-ERR value is not an integer or out of
range` reaches the app as "value is not an integer or out of range").
WRONGTYPE keeps its prefix.

redis-py 8 speaks RESP3 when `protocol` is not given, so the RESP2 clients pass
`protocol=2` explicitly. redis-py 5+ may send `CLIENT SETINFO` on connect;
nothing here depends on it.
"""

import time

import pytest
import redis

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"
OVERFLOW = "increment or decrement would overflow"


def test_redis_py_supports_resp3():
    major = int(redis.__version__.split(".")[0])
    assert major >= 5, f"redis-py {redis.__version__} lacks protocol=3"


# --------------------------------------------------------------------------
# A client per protocol: the core set runs once over RESP2 and once over RESP3.
# --------------------------------------------------------------------------


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def c(request, server):
    """A decoded (str) client speaking RESP2 or RESP3, keyspace flushed."""
    cl = server.client(protocol=request.param, decode_responses=True)
    cl.flushall()
    cl.proto = request.param
    yield cl
    cl.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def cb(request, server):
    """A bytes client speaking RESP2 or RESP3, keyspace flushed."""
    cl = server.client(protocol=request.param)
    cl.flushall()
    yield cl
    cl.close()


# ---- connection -----------------------------------------------------------


def test_ping_echo_time(c):
    assert c.ping() is True
    assert c.echo("hello world") == "hello world"
    secs, usecs = c.time()
    assert isinstance(secs, int) and isinstance(usecs, int)
    assert 0 <= usecs < 1_000_000
    assert abs(secs + usecs / 1e6 - time.time()) < 5


def test_hello_reports_protocol_and_version(server):
    for proto in (2, 3):
        cl = server.client(protocol=proto)
        hello = cl.execute_command("HELLO", str(proto))
        if proto == 2:
            # RESP2 flattens the map into an array of field/value pairs.
            hello = dict(zip(hello[::2], hello[1::2]))
        assert hello[b"server"] == b"redis"
        assert hello[b"version"] == b"7.0.15"
        assert hello[b"proto"] == proto
        assert hello[b"mode"] == b"standalone"
        assert hello[b"role"] == b"master"
        assert hello[b"modules"] == []
        assert hello[b"id"] == cl.client_id()
        cl.close()


def test_client_name_id_list(c):
    cid = c.client_id()
    assert isinstance(cid, int) and cid > 0
    assert c.client_getname() is None
    assert c.client_setname("worker-1") is True
    assert c.client_getname() == "worker-1"
    entries = c.client_list()
    mine = [e for e in entries if int(e["id"]) == cid]
    assert len(mine) == 1
    assert mine[0]["name"] == "worker-1"
    assert mine[0]["addr"].startswith("127.0.0.1:")
    assert mine[0]["db"] == "0"
    assert mine[0]["resp"] == str(c.proto)
    assert mine[0]["cmd"] == "client|list"
    info = c.client_info()
    assert int(info["id"]) == cid
    assert info["name"] == "worker-1"


def test_client_setname_rejects_spaces(c):
    with pytest.raises(redis.ResponseError) as e:
        c.client_setname("has space")
    assert str(e.value) == "Client names cannot contain spaces, newlines or special characters."


def test_select_via_db_clients(server):
    c0 = server.client(protocol=2, db=0, decode_responses=True)
    c1 = server.client(protocol=2, db=1, decode_responses=True)
    c0.flushall()
    c0.set("k", "zero")
    c1.set("k", "one")
    c1.set("only1", "x")
    assert c0.get("k") == "zero"
    assert c1.get("k") == "one"
    assert c0.dbsize() == 1
    assert c1.dbsize() == 2
    assert c1.client_info()["db"] in ("1", 1)
    c1.flushdb()
    assert c1.dbsize() == 0
    assert c0.get("k") == "zero"
    c0.close()
    c1.close()


# ---- strings --------------------------------------------------------------


def test_set_get_bytes_and_str(server):
    rb = server.client(protocol=2)
    rs = server.client(protocol=2, decode_responses=True)
    rb.flushall()
    assert rb.set("greeting", "héllo") is True
    assert rb.get("greeting") == "héllo".encode()
    assert rs.get("greeting") == "héllo"
    binary = bytes(range(256)) * 4
    assert rb.set(b"bin\x00key\xff", binary) is True
    assert rb.get(b"bin\x00key\xff") == binary
    assert rb.strlen(b"bin\x00key\xff") == 1024
    assert rb.get("missing") is None
    assert rs.get("missing") is None
    # Integers and floats are sent as their decimal text.
    rb.set("int", 42)
    rb.set("float", 1.5)
    assert rb.get("int") == b"42"
    assert rb.get("float") == b"1.5"
    rb.close()
    rs.close()


def test_large_value_roundtrip(cb):
    big = b"x" * (4 * 1024 * 1024) + b"end"
    assert cb.set("big", big) is True
    assert cb.get("big") == big
    assert cb.strlen("big") == len(big)


def test_set_options(c):
    assert c.set("k", "v1", nx=True) is True
    assert c.set("k", "v2", nx=True) is None
    assert c.get("k") == "v1"
    assert c.set("k", "v3", xx=True) is True
    assert c.set("absent", "v", xx=True) is None
    assert c.exists("absent") == 0
    assert c.get("k") == "v3"

    assert c.set("k", "v4", ex=100) is True
    assert 99 <= c.ttl("k") <= 100
    assert c.set("k", "v5", keepttl=True) is True
    assert c.get("k") == "v5"
    assert 98 <= c.ttl("k") <= 100
    assert c.set("k", "v6") is True
    assert c.ttl("k") == -1

    assert c.set("k", "v7", px=50_000) is True
    assert 49_000 <= c.pttl("k") <= 50_000

    assert c.set("k", "v8", get=True) == "v7"
    assert c.set("fresh", "v", get=True) is None
    assert c.get("fresh") == "v"
    assert c.set("k", "v9", nx=True, get=True) == "v8"
    assert c.get("k") == "v8"

    future = int(time.time()) + 1000
    assert c.set("k", "at", exat=future) is True
    assert 998 <= c.ttl("k") <= 1000
    assert c.set("k", "pat", pxat=future * 1000) is True
    assert 998 <= c.ttl("k") <= 1000


def test_set_errors(c):
    with pytest.raises(redis.ResponseError) as e:
        c.set("k", "v", ex=0)
    assert str(e.value) == "invalid expire time in 'set' command"
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("SET", "k", "v", "NX", "XX")
    assert str(e.value) == "syntax error"
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("SET", "k", "v", "EX", "abc")
    assert str(e.value) == NOT_INTEGER
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("GET")
    assert str(e.value) == "wrong number of arguments for 'get' command"
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("NOSUCHCMD", "a", "b")
    assert str(e.value) == "unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' "
    assert c.exists("k") == 0


def test_setnx_setex_psetex_getset(c):
    assert c.execute_command("SETNX", "k", "a") in (1, True)
    assert c.execute_command("SETNX", "k", "b") in (0, False)
    assert c.get("k") == "a"
    assert c.execute_command("SETEX", "k", "100", "b") in ("OK", True)
    assert 99 <= c.ttl("k") <= 100
    assert c.execute_command("PSETEX", "k", "100000", "c") in ("OK", True)
    assert 99_000 <= c.pttl("k") <= 100_000
    assert c.execute_command("GETSET", "k", "d") == "c"
    assert c.ttl("k") == -1
    assert c.execute_command("GETSET", "new", "x") is None


def test_incr_family(c):
    assert c.incr("counter") == 1
    assert c.incrby("counter", 10) == 11
    assert c.decr("counter") == 10
    assert c.decrby("counter", 15) == -5
    assert c.get("counter") == "-5"
    assert c.incr("counter", -5) == -10

    f = c.incrbyfloat("flt", 1.5)
    assert isinstance(f, float) and f == 1.5
    c.set("flt", "10.5")
    assert c.incrbyfloat("flt", 0.1) == pytest.approx(10.6)
    assert c.get("flt") == "10.6"
    assert c.incrbyfloat("flt", "5.0e3") == pytest.approx(5010.6)
    c.set("flt", "3")
    assert c.incrbyfloat("flt", -1.25) == 1.75
    assert c.get("flt") == "1.75"

    c.set("max", 9223372036854775807)
    with pytest.raises(redis.ResponseError) as e:
        c.incr("max")
    assert str(e.value) == OVERFLOW
    assert c.get("max") == "9223372036854775807"


def test_not_an_integer_and_not_a_float(c):
    c.set("s", "abc")
    with pytest.raises(redis.ResponseError) as e:
        c.incr("s")
    assert str(e.value) == NOT_INTEGER
    with pytest.raises(redis.ResponseError) as e:
        c.incrby("counter", "1.5")
    assert str(e.value) == NOT_INTEGER
    with pytest.raises(redis.ResponseError) as e:
        c.incrbyfloat("s", 1)
    assert str(e.value) == NOT_FLOAT
    c.set("sp", " 1")
    with pytest.raises(redis.ResponseError) as e:
        c.incr("sp")
    assert str(e.value) == NOT_INTEGER
    with pytest.raises(redis.ResponseError) as e:
        c.expire("s", "soon")
    assert str(e.value) == NOT_INTEGER
    assert c.get("s") == "abc"


def test_wrong_type(c):
    # A list is the only non-string type needed here; it is created with the
    # raw command so the test does not depend on the list API of the client.
    c.execute_command("RPUSH", "lst", "a")
    for op in (
        lambda: c.get("lst"),
        lambda: c.incr("lst"),
        lambda: c.append("lst", "x"),
        lambda: c.strlen("lst"),
        lambda: c.getrange("lst", 0, 1),
        lambda: c.incrbyfloat("lst", 1.0),
        lambda: c.set("lst", "v", get=True),
    ):
        with pytest.raises(redis.ResponseError) as e:
            op()
        assert str(e.value) == WRONGTYPE
    with pytest.raises(redis.ResponseError) as e:
        c.lcs("lst", "lst")
    assert str(e.value) == "The specified keys must contain string values"
    assert c.type("lst") == "list"
    # MGET answers nil for a non-string key instead of failing.
    c.set("s", "v")
    assert c.mget("s", "lst") == ["v", None]


def test_wrong_type_via_rename(c):
    """WRONGTYPE without relying on any collection command: RENAME keeps type,
    and INCR on a string holding text still is NOT_INTEGER, never WRONGTYPE."""
    c.set("s", "text")
    assert c.rename("s", "t") is True
    with pytest.raises(redis.ResponseError) as e:
        c.incr("t")
    assert str(e.value) == NOT_INTEGER
    assert c.type("t") == "string"


def test_mget_mset_msetnx(c):
    assert c.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert c.mget("a", "b", "c", "nope") == ["1", "2", "3", None]
    assert c.mget(["a", "c"]) == ["1", "3"]
    assert c.msetnx({"c": "x", "d": "4"}) is False
    assert c.exists("d") == 0
    assert c.get("c") == "3"
    assert c.msetnx({"d": "4", "e": "5"}) is True
    assert c.mget("d", "e") == ["4", "5"]


def test_getdel_getex(c):
    c.set("k", "v")
    assert c.getdel("k") == "v"
    assert c.getdel("k") is None
    assert c.exists("k") == 0

    c.set("k", "v")
    assert c.getex("k") == "v"
    assert c.ttl("k") == -1
    assert c.getex("k", ex=100) == "v"
    assert 99 <= c.ttl("k") <= 100
    assert c.getex("k", px=5000) == "v"
    assert 4000 <= c.pttl("k") <= 5000
    future = int(time.time()) + 500
    assert c.getex("k", exat=future) == "v"
    assert 498 <= c.ttl("k") <= 500
    assert c.getex("k", pxat=future * 1000) == "v"
    assert c.getex("k", persist=True) == "v"
    assert c.ttl("k") == -1
    assert c.getex("missing", ex=10) is None


def test_getrange_setrange_append_strlen(c):
    c.set("k", "Hello World")
    assert c.getrange("k", 0, 4) == "Hello"
    assert c.getrange("k", -5, -1) == "World"
    assert c.getrange("k", 6, 1000) == "World"
    assert c.getrange("k", 5, 2) == ""
    assert c.getrange("missing", 0, 10) == ""
    assert c.execute_command("SUBSTR", "k", 0, 0) == "H"
    assert c.setrange("k", 6, "Redis") == 11
    assert c.get("k") == "Hello Redis"
    assert c.setrange("pad", 3, "x") == 4
    assert c.get("pad") == "\x00\x00\x00x"
    assert c.append("k", "!!") == 13
    assert c.append("newkey", "abc") == 3
    assert c.get("k") == "Hello Redis!!"
    assert c.strlen("k") == 13
    assert c.strlen("missing") == 0
    c.set("n", 12345)
    assert c.append("n", "6") == 6
    assert c.get("n") == "123456"
    assert c.incr("n") == 123457


def test_lcs(c):
    c.set("a", "ohmytext")
    c.set("b", "mynewtext")
    assert c.lcs("a", "b") == "mytext"
    assert c.lcs("a", "b", len=True) == 6
    assert c.lcs("a", "missing") == ""
    idx = c.lcs("a", "b", idx=True)
    if c.proto == 2:
        assert idx == ["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    else:
        assert idx == {"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len": 6}
    idx = c.lcs("a", "b", idx=True, minmatchlen=4, withmatchlen=True)
    if c.proto == 2:
        assert idx == ["matches", [[[4, 7], [5, 8], 4]], "len", 6]
    else:
        assert idx == {"matches": [[[4, 7], [5, 8], 4]], "len": 6}


def test_object_encoding(c):
    c.set("i", 12345)
    c.set("e", "short string")
    c.set("r", "x" * 100)
    assert c.object("encoding", "i") == "int"
    assert c.object("encoding", "e") == "embstr"
    assert c.object("encoding", "r") == "raw"
    c.append("e", "!")
    assert c.object("encoding", "e") == "raw"


# ---- pipelines ------------------------------------------------------------


def test_pipeline_1000_commands(c):
    p = c.pipeline(transaction=False)
    for i in range(1000):
        p.set(f"pk:{i}", i)
    assert p.execute() == [True] * 1000
    p = c.pipeline(transaction=False)
    for i in range(1000):
        p.get(f"pk:{i}")
    assert p.execute() == [str(i) for i in range(1000)]
    p = c.pipeline(transaction=False)
    for i in range(1000):
        p.incr("pcounter")
    assert p.execute() == list(range(1, 1001))
    assert c.dbsize() == 1001


def test_pipeline_error_in_the_middle(c):
    p = c.pipeline(transaction=False)
    p.set("s", "text")
    p.incr("s")
    p.get("s")
    p.incrby("n", 5)
    res = p.execute(raise_on_error=False)
    assert res[0] is True
    assert isinstance(res[1], redis.ResponseError)
    assert str(res[1]) == NOT_INTEGER
    assert res[2:] == ["text", 5]
    p = c.pipeline(transaction=False)
    p.set("x", "1")
    p.incr("s")
    with pytest.raises(redis.ResponseError):
        p.execute()
    assert c.get("x") == "1"


# ---- keyspace -------------------------------------------------------------


def test_expire_ttl_pttl_persist(c):
    c.set("k", "v")
    assert c.ttl("k") == -1
    assert c.pttl("k") == -1
    assert c.ttl("missing") == -2
    assert c.pttl("missing") == -2
    assert c.expire("k", 100) is True
    assert 99 <= c.ttl("k") <= 100
    assert 99_000 <= c.pttl("k") <= 100_000
    assert c.pexpire("k", 50_000) is True
    assert 49_000 <= c.pttl("k") <= 50_000
    assert c.persist("k") is True
    assert c.persist("k") is False
    assert c.ttl("k") == -1
    assert c.expire("missing", 10) is False
    assert c.expireat("k", int(time.time()) + 200) is True
    assert 198 <= c.ttl("k") <= 200
    assert abs(c.expiretime("k") - (int(time.time()) + 200)) <= 2
    assert c.pexpireat("k", int(time.time() * 1000) + 300_000) is True
    assert 298 <= c.ttl("k") <= 300
    assert c.expiretime("nokey") == -2
    c.set("plain", "v")
    assert c.expiretime("plain") == -1


def test_expire_options(c):
    c.set("k", "v")
    assert c.expire("k", 100, xx=True) is False
    assert c.expire("k", 100, nx=True) is True
    assert c.expire("k", 200, nx=True) is False
    assert c.expire("k", 50, gt=True) is False
    assert c.expire("k", 200, gt=True) is True
    assert c.expire("k", 300, lt=True) is False
    assert c.expire("k", 10, lt=True) is True
    assert 9 <= c.ttl("k") <= 10
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command("EXPIRE", "k", "10", "NX", "XX")
    assert str(e.value) == "NX and XX, GT or LT options at the same time are not compatible"


def test_keys_expire(c):
    c.set("short", "v", px=100)
    c.set("long", "v", ex=100)
    assert c.exists("short") == 1
    time.sleep(0.3)
    assert c.get("short") is None
    assert c.exists("short") == 0
    assert c.ttl("short") == -2
    assert c.get("long") == "v"
    # A negative or zero expire deletes the key at once.
    assert c.expire("long", -1) is True
    assert c.exists("long") == 0


def test_active_expire_removes_untouched_keys(c):
    p = c.pipeline(transaction=False)
    for i in range(200):
        p.set(f"vol:{i}", "x", px=50)
    p.set("stay", "y")
    p.execute()
    assert c.dbsize() == 201
    # Nothing reads the volatile keys: only the active expire cycle can
    # remove them. DBSIZE counts keys without touching them.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and c.dbsize() > 1:
        time.sleep(0.05)
    assert c.dbsize() == 1
    assert c.get("stay") == "y"


def test_scan_iter_match_count(c):
    want = set()
    p = c.pipeline(transaction=False)
    for i in range(1000):
        p.set(f"user:{i}", i)
        want.add(f"user:{i}")
    for i in range(100):
        p.set(f"other:{i}", i)
    p.execute()
    got = list(c.scan_iter(match="user:*", count=100))
    assert set(got) == want
    assert len(set(got)) == 1000
    got = set(c.scan_iter(match="user:1?", count=1000))
    assert got == {f"user:1{d}" for d in range(10)}
    assert set(c.scan_iter(count=10)) == want | {f"other:{i}" for i in range(100)}
    assert set(c.scan_iter(match="nomatch*")) == set()
    assert len(set(c.scan_iter(match="other:*", _type="string"))) == 100
    assert set(c.scan_iter(_type="list")) == set()


def test_scan_cursor_protocol(c):
    for i in range(50):
        c.set(f"k{i}", i)
    cursor, seen = 0, set()
    rounds = 0
    while True:
        cursor, keys = c.scan(cursor=cursor, count=7)
        seen.update(keys)
        rounds += 1
        if cursor == 0:
            break
        assert rounds < 1000
    assert seen == {f"k{i}" for i in range(50)}
    assert rounds >= 2


def test_keys_pattern(c):
    c.mset({"hello": 1, "hallo": 2, "hxllo": 3, "hllo": 4, "heeeello": 5})
    assert sorted(c.keys("h?llo")) == ["hallo", "hello", "hxllo"]
    assert sorted(c.keys("h*llo")) == ["hallo", "heeeello", "hello", "hllo", "hxllo"]
    assert sorted(c.keys("h[ae]llo")) == ["hallo", "hello"]
    assert sorted(c.keys("h[^e]llo")) == ["hallo", "hxllo"]
    assert sorted(c.keys("h[a-b]llo")) == ["hallo"]


def test_delete_exists_type(c):
    c.mset({"a": 1, "b": 2, "c": 3})
    assert c.exists("a") == 1
    assert c.exists("a", "b", "a", "zz") == 3
    assert c.type("a") == "string"
    assert c.type("zz") == "none"
    assert c.delete("a", "b", "zz") == 2
    assert c.exists("a", "b") == 0
    assert c.unlink("c", "zz") == 1
    assert c.dbsize() == 0
    c.set("t", 1)
    assert c.touch("t", "zz") == 1


def test_rename_copy_move(c, server):
    c.set("src", "v", ex=100)
    assert c.rename("src", "dst") is True
    assert c.get("dst") == "v"
    assert c.exists("src") == 0
    assert 98 <= c.ttl("dst") <= 100
    with pytest.raises(redis.ResponseError) as e:
        c.rename("nosuchkey", "x")
    assert str(e.value) == "no such key"
    c.set("other", "o")
    assert c.renamenx("dst", "other") is False
    assert c.renamenx("dst", "fresh") is True

    assert c.copy("fresh", "copy1") is True
    assert c.get("copy1") == "v"
    assert 98 <= c.ttl("copy1") <= 100
    assert c.copy("fresh", "other") is False
    assert c.copy("fresh", "other", replace=True) is True
    assert c.get("other") == "v"
    assert c.copy("fresh", "fresh_in_1", destination_db=1) is True

    c1 = server.client(protocol=c.proto, db=1, decode_responses=True)
    assert c1.get("fresh_in_1") == "v"
    assert c.exists("fresh_in_1") == 0

    c.set("mover", "m")
    assert c.move("mover", 1) is True
    assert c.exists("mover") == 0
    assert c1.get("mover") == "m"
    c.set("mover", "again")
    assert c.move("mover", 1) is False  # exists in db 1 already
    assert c.get("mover") == "again"
    assert c.move("nosuchkey", 1) is False
    with pytest.raises(redis.ResponseError) as e:
        c.move("mover", 0)
    assert str(e.value) == "source and destination objects are the same"
    c1.close()


def test_flushdb_dbsize_swapdb(c, server):
    c1 = server.client(protocol=c.proto, db=1, decode_responses=True)
    c.mset({"a": 1, "b": 2})
    c1.set("x", 1)
    assert c.dbsize() == 2
    assert c1.dbsize() == 1
    assert c.swapdb(0, 1) is True
    assert c.dbsize() == 1
    assert c.get("x") == "1"
    assert c1.dbsize() == 2
    assert c.swapdb(0, 1) is True
    assert c.flushdb() is True
    assert c.dbsize() == 0
    assert c1.dbsize() == 1
    assert c.flushall() is True
    assert c1.dbsize() == 0
    c1.close()


def test_randomkey(c):
    assert c.randomkey() is None
    c.mset({"a": 1, "b": 2, "c": 3})
    seen = {c.randomkey() for _ in range(100)}
    assert seen <= {"a", "b", "c"}
    assert len(seen) >= 2


# ---- server ---------------------------------------------------------------


def test_info_parsed(c):
    info = c.info()
    assert info["redis_version"] == "7.0.15"
    assert info["redis_mode"] == "standalone"
    assert info["role"] == "master"
    assert info["tcp_port"] == c.connection_pool.connection_kwargs["port"]
    assert isinstance(info["process_id"], int) and info["process_id"] > 0
    assert info["connected_clients"] >= 1
    assert isinstance(info["used_memory"], int) and info["used_memory"] > 0
    assert info["used_memory_rss"] > 0
    assert info["total_commands_processed"] > 0
    assert info["aof_enabled"] == 0
    c.mset({"a": 1, "b": 2})
    c.expire("a", 100)
    ks = c.info("keyspace")
    assert ks["db0"]["keys"] == 2
    assert ks["db0"]["expires"] == 1
    srv = c.info("server")
    assert srv["redis_version"] == "7.0.15"
    assert "used_memory" not in srv
    mem = c.info("memory")
    assert mem["used_memory"] > 0
    assert "redis_version" not in mem


def test_info_commandstats(c):
    c.config_resetstat()
    for _ in range(3):
        c.set("k", "v")
    stats = c.info("commandstats")
    assert stats["cmdstat_set"]["calls"] == 3
    assert "usec" in stats["cmdstat_set"]


def test_config_get_set(c):
    assert c.config_get("maxmemory") == {"maxmemory": "0"}
    assert set(c.config_get("maxmemory*")) == {
        "maxmemory",
        "maxmemory-clients",
        "maxmemory-eviction-tenacity",
        "maxmemory-policy",
        "maxmemory-samples",
    }
    assert c.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert c.config_get("port")["port"] == str(c.connection_pool.connection_kwargs["port"])
    assert c.config_get("save") == {"save": ""}
    assert c.config_get("appendonly") == {"appendonly": "no"}
    assert c.config_get("databases") == {"databases": "16"}
    try:
        assert c.config_set("maxmemory", "100mb") is True
        assert c.config_get("maxmemory") == {"maxmemory": "104857600"}
        assert c.config_set("hz", 20) is True
        assert c.config_get("hz") == {"hz": "20"}
    finally:
        c.config_set("maxmemory", 0)
        c.config_set("hz", 10)
    assert c.config_get("maxmemory") == {"maxmemory": "0"}
    assert c.config_get("nosuchdirective") == {}
    with pytest.raises(redis.ResponseError) as e:
        c.config_set("nosuchdirective", "1")
    assert str(e.value) == (
        "Unknown option or number of arguments for CONFIG SET - 'nosuchdirective'"
    )


def test_dbsize_counts_all_keys(c):
    assert c.dbsize() == 0
    c.mset({f"k{i}": i for i in range(123)})
    assert c.dbsize() == 123


def test_command_count_and_info(c):
    n = c.command_count()
    assert isinstance(n, int) and n > 0
    info = c.execute_command("COMMAND", "INFO", "get", "set")
    assert len(info) == 2


# ---- RESP3-only shapes ---------------------------------------------------


def test_resp3_native_types(server):
    c3 = server.client(protocol=3)
    c3.flushall()
    # HELLO answers a map, CONFIG GET a map, INCRBYFLOAT a bulk string.
    assert c3.execute_command("HELLO", "3")[b"proto"] == 3
    assert c3.execute_command("CONFIG", "GET", "databases") == {b"databases": b"16"}
    c3.set("k", "v")
    assert c3.execute_command("GET", "nope") is None
    assert c3.execute_command("EXISTS", "k") == 1
    c3.close()
