"""Lua scripts the way applications run them through redis-py.

- redis-py's `Lock` (its acquire/extend/reacquire/release are Lua scripts
  run with EVALSHA, falling back to EVAL after NOSCRIPT): exclusive
  ownership, expiry, extend, release by the owner only, and a counter
  incremented under contention by several threads and connections.
- A sliding-window rate limiter (ZREMRANGEBYSCORE / ZCARD / ZADD /
  PEXPIRE in one script), as API gateways use it.
- A BullMQ-style job script that receives only a queue prefix and builds
  the job keys itself: scripts may touch keys not declared in KEYS.
- `register_script` surviving SCRIPT FLUSH (NOSCRIPT, then EVAL).

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import threading
import time

import pytest
import redis
from redis.exceptions import LockError, LockNotOwnedError, NoScriptError


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def c(request, server):
    """A decoded client speaking RESP2 or RESP3, keyspace flushed."""
    cl = server.client(protocol=request.param, decode_responses=True)
    cl.flushall()
    cl.script_flush()
    yield cl
    cl.close()


# ---- redis-py Lock ---------------------------------------------------------


def test_lock_acquire_extend_release(c, server):
    lock = c.lock("res", timeout=5)
    assert lock.acquire(blocking=False)
    token = c.get("res")
    assert token is not None and token == lock.local.token.decode()
    assert 0 < c.pttl("res") <= 5000
    # Another owner cannot take it or release it.
    other = server.client(decode_responses=True)
    lock2 = other.lock("res", timeout=5)
    assert not lock2.acquire(blocking=False)
    with pytest.raises(LockError):
        lock2.release()
    # extend adds time; replace_ttl sets it; reacquire resets to the timeout.
    assert lock.extend(10)
    assert 10000 < c.pttl("res") <= 15000
    assert lock.extend(2, replace_ttl=True)
    assert c.pttl("res") <= 2000
    assert lock.reacquire()
    assert 2000 < c.pttl("res") <= 5000
    assert lock.owned()
    assert not lock2.owned()
    lock.release()
    assert c.exists("res") == 0
    # Releasing again: not owned any more.
    with pytest.raises(LockError):
        lock.release()
    # Now the other can take it; the first cannot extend a lock it lost.
    assert lock2.acquire(blocking=False)
    lock.local.token = lock2.local.token[:-1] + b"x"
    with pytest.raises(LockNotOwnedError):
        lock.extend(1)
    lock2.release()
    other.close()


def test_lock_expires(c):
    lock = c.lock("short", timeout=0.1)
    assert lock.acquire(blocking=False)
    time.sleep(0.25)
    assert c.exists("short") == 0
    assert c.lock("short", timeout=1).acquire(blocking=False)


def test_lock_under_contention(server):
    """Workers on their own connections increment a plain GET/SET counter
    only while holding the lock; no update may be lost."""
    setup = server.client(decode_responses=True)
    setup.flushall()
    setup.set("counter", 0)
    workers, rounds = 6, 25
    inside = []
    errors = []

    def work():
        cl = server.client(decode_responses=True)
        try:
            for _ in range(rounds):
                with cl.lock("mutex", timeout=5, sleep=0.001, blocking_timeout=10):
                    inside.append(1)
                    if len(inside) != 1:
                        errors.append("two holders at once")
                    v = int(cl.get("counter"))
                    cl.set("counter", v + 1)
                    inside.pop()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            cl.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert int(setup.get("counter")) == workers * rounds
    assert setup.exists("mutex") == 0
    setup.close()


# ---- sliding-window rate limiter -------------------------------------------

RATE_LIMIT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local member = ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
if used >= limit then
  return {0, used}
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, window)
return {1, used + 1}
"""


def test_sliding_window_rate_limiter(c):
    limiter = c.register_script(RATE_LIMIT)
    results = [limiter(keys=["rl:user1"], args=[1000 + i, 1000, 5, f"r{i}"]) for i in range(8)]
    assert results == [[1, 1], [1, 2], [1, 3], [1, 4], [1, 5], [0, 5], [0, 5], [0, 5]]
    assert c.zcard("rl:user1") == 5
    assert 0 < c.pttl("rl:user1") <= 1000
    # At 2001 the requests of 1000 and 1001 left the window (score <= now - window).
    assert limiter(keys=["rl:user1"], args=[2001, 1000, 5, "late"]) == [1, 4]
    # Another user is independent.
    assert limiter(keys=["rl:user2"], args=[2001, 1000, 5, "x"]) == [1, 1]


# ---- BullMQ-style: keys built inside the script ----------------------------

ADD_JOB = """
local prefix = KEYS[1]
local id = redis.call('INCR', prefix .. ':id')
local jobKey = prefix .. ':' .. id
redis.call('HSET', jobKey, 'name', ARGV[1], 'data', ARGV[2], 'attemptsMade', 0)
redis.call('LPUSH', prefix .. ':wait', id)
return id
"""

MOVE_TO_ACTIVE = """
local prefix = KEYS[1]
local id = redis.call('RPOPLPUSH', prefix .. ':wait', prefix .. ':active')
if not id then return nil end
local jobKey = prefix .. ':' .. id
redis.call('HINCRBY', jobKey, 'attemptsMade', 1)
redis.call('HSET', jobKey, 'processedOn', ARGV[1])
local job = redis.call('HGETALL', jobKey)
table.insert(job, 1, id)
return job
"""

COMPLETE = """
local prefix = KEYS[1]
local id = ARGV[1]
if redis.call('LREM', prefix .. ':active', 1, id) == 0 then
  return redis.error_reply('ERR job ' .. id .. ' is not active')
end
redis.call('ZADD', prefix .. ':completed', ARGV[2], id)
redis.call('HSET', prefix .. ':' .. id, 'returnvalue', ARGV[3])
return redis.status_reply('OK')
"""


def test_bullmq_style_scripts_use_undeclared_keys(c):
    add = c.register_script(ADD_JOB)
    take = c.register_script(MOVE_TO_ACTIVE)
    done = c.register_script(COMPLETE)
    ids = [add(keys=["bull:q"], args=["send", f'{{"n":{i}}}']) for i in range(3)]
    assert ids == [1, 2, 3]
    job = take(keys=["bull:q"], args=[12345])
    assert job[0] == "1"
    fields = dict(zip(job[1::2], job[2::2]))
    assert fields == {
        "name": "send",
        "data": '{"n":0}',
        "attemptsMade": "1",
        "processedOn": "12345",
    }
    assert c.lrange("bull:q:active", 0, -1) == ["1"]
    assert done(keys=["bull:q"], args=["1", 99, "ok"]) == "OK"
    assert c.hget("bull:q:1", "returnvalue") == "ok"
    assert c.zscore("bull:q:completed", "1") == 99
    with pytest.raises(redis.ResponseError, match="^job 1 is not active$"):
        done(keys=["bull:q"], args=["1", 100, "again"])
    assert [take(keys=["bull:q"], args=[1])[0] for _ in range(2)] == ["2", "3"]
    assert take(keys=["bull:q"], args=[1]) is None


# ---- the script cache ------------------------------------------------------


def test_registered_script_survives_flush(c):
    s = c.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert s(keys=["k"], args=[2]) == 2
    assert c.script_exists(s.sha) == [True]
    c.script_flush()
    assert c.script_exists(s.sha) == [False]
    with pytest.raises(NoScriptError):
        c.evalsha(s.sha, 1, "k", 1)
    # The Script object falls back to EVAL (which caches it again).
    assert s(keys=["k"], args=[3]) == 5
    assert c.script_exists(s.sha) == [True]
    assert c.evalsha(s.sha, 1, "k", 1) == 6
    assert c.eval_ro("return redis.call('GET', KEYS[1])", 1, "k") == "6"
    with pytest.raises(redis.ResponseError, match="Write commands are not allowed"):
        c.eval_ro("return redis.call('SET', KEYS[1], 1)", 1, "k")
