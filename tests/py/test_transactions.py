"""redis-py transactions and blocking queues, used the way applications use them.

- The default `r.pipeline()` is a MULTI/EXEC transaction: its replies, a
  run-time error inside it, and a queue-time error that aborts it.
- WATCH-based optimistic locking: a read-modify-write retried when another
  connection wrote the key between WATCH and EXEC, by hand and through
  `Redis.transaction`.
- Queue workers: BRPOP (Celery/RQ style) and the reliable BLMOVE pattern
  (Sidekiq style), with a producer on another connection and thread.

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import threading
import time

import pytest
import redis


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def c(request, server):
    """A decoded client speaking RESP2 or RESP3, keyspace flushed."""
    cl = server.client(protocol=request.param, decode_responses=True)
    cl.flushall()
    yield cl
    cl.close()


@pytest.fixture
def other(server):
    """A second connection, for writes that race the first one."""
    cl = server.client(protocol=2, decode_responses=True)
    yield cl
    cl.close()


# ---- the default pipeline is a transaction ---------------------------------


def test_pipeline_is_a_transaction(c, other):
    pipe = c.pipeline()
    pipe.set("counter", 10).incr("counter").incrby("counter", 5).get("counter")
    # Nothing runs before execute(): the commands are only buffered.
    assert other.get("counter") is None
    assert pipe.execute() == [True, 11, 16, "16"]
    # A context-managed pipeline, reused after execute().
    with c.pipeline() as p:
        p.mset({"a": "1", "b": "2"})
        p.mget("a", "b", "missing")
        p.delete("a")
        p.exists("a", "b")
        assert p.execute() == [True, ["1", "2", None], 1, 1]


def test_pipeline_run_time_error_does_not_stop_the_others(c):
    c.set("text", "not a number")
    pipe = c.pipeline()
    pipe.set("n", 1).incr("text").incr("n")
    res = pipe.execute(raise_on_error=False)
    assert res[0] is True
    assert isinstance(res[1], redis.ResponseError)
    assert str(res[1]) == "value is not an integer or out of range"
    assert res[2] == 2
    # With raise_on_error (the default) the error is raised after EXEC ran.
    pipe.incr("text").incr("n")
    with pytest.raises(redis.ResponseError):
        pipe.execute()
    assert c.get("n") == "3"


def test_pipeline_queue_time_error_aborts_everything(c):
    pipe = c.pipeline()
    pipe.set("x", "1")
    pipe.execute_command("NOSUCHCOMMAND", "arg")
    pipe.set("y", "2")
    with pytest.raises(redis.ResponseError) as e:
        pipe.execute()
    assert "unknown command" in str(e.value)
    assert c.exists("x", "y") == 0
    # The connection left MULTI: plain commands work again.
    assert c.ping() is True


def test_pipeline_without_transaction(c):
    pipe = c.pipeline(transaction=False)
    pipe.set("k", "v")
    pipe.get("k")
    assert pipe.execute() == [True, "v"]


def test_multi_exec_by_hand(c):
    # One raw connection, so that redis-py's reply callbacks stay out of the way.
    conn = c.connection_pool.get_connection()
    try:

        def run(*args):
            conn.send_command(*args)
            return conn.read_response()

        assert run("MULTI") == "OK"
        assert run("SET", "h", "1") == "QUEUED"
        assert run("INCR", "h") == "QUEUED"
        assert run("EXEC") == ["OK", 2]
        with pytest.raises(redis.ResponseError) as e:
            run("EXEC")
        assert str(e.value) == "EXEC without MULTI"
        assert run("MULTI") == "OK"
        with pytest.raises(redis.ResponseError) as e:
            run("MULTI")
        assert str(e.value) == "MULTI calls can not be nested"
        assert run("DISCARD") == "OK"
    finally:
        c.connection_pool.release(conn)


# ---- WATCH: optimistic locking ---------------------------------------------


def test_watch_retry_loop(c, other):
    c.set("balance", 100)
    attempts = 0
    with c.pipeline() as pipe:
        while True:
            attempts += 1
            try:
                pipe.watch("balance")
                balance = int(pipe.get("balance"))
                if attempts == 1:
                    # Someone else deposits between our read and our write.
                    other.incrby("balance", 50)
                pipe.multi()
                pipe.set("balance", balance - 30)
                pipe.execute()
                break
            except redis.WatchError:
                continue
    assert attempts == 2
    assert c.get("balance") == "120"


def test_watch_unmodified_key_commits(c, other):
    c.set("stock", 5)
    other.set("unrelated", 1)
    with c.pipeline() as pipe:
        pipe.watch("stock")
        n = int(pipe.get("stock"))
        pipe.multi()
        pipe.set("stock", n - 1)
        assert pipe.execute() == [True]
    assert c.get("stock") == "4"


def test_watch_fails_on_expiry_and_flush(c, other):
    # A watched key deleted by another client.
    c.set("lock", "me")
    with c.pipeline() as pipe:
        pipe.watch("lock")
        other.delete("lock")
        pipe.multi()
        pipe.set("lock", "me-again")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    # A watched key that expires before EXEC.
    c.set("lease", "x", px=50)
    with c.pipeline() as pipe:
        pipe.watch("lease")
        time.sleep(0.1)
        pipe.multi()
        pipe.set("lease", "renewed")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    # FLUSHALL from another connection.
    c.set("k", "v")
    with c.pipeline() as pipe:
        pipe.watch("k")
        other.flushall()
        pipe.multi()
        pipe.get("k")
        with pytest.raises(redis.WatchError):
            pipe.execute()


def test_transaction_helper_retries(c, other):
    c.set("views", 0)
    calls = []

    def bump(pipe):
        calls.append(1)
        v = int(pipe.get("views"))
        if len(calls) == 1:
            other.incr("views")
        pipe.multi()
        pipe.set("views", v + 10)

    c.transaction(bump, "views")
    assert len(calls) == 2
    assert c.get("views") == "11"


def test_concurrent_increments_with_watch(server):
    """Several threads increment one counter with WATCH/MULTI/EXEC: no update is lost."""
    setup = server.client(protocol=2)
    setup.flushall()
    setup.set("shared", 0)
    per_thread, threads = 30, 4
    conflicts = []

    def worker():
        cl = server.client(protocol=2)
        for _ in range(per_thread):
            with cl.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch("shared")
                        v = int(pipe.get("shared"))
                        pipe.multi()
                        pipe.set("shared", v + 1)
                        pipe.execute()
                        break
                    except redis.WatchError:
                        conflicts.append(1)
        cl.close()

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert int(setup.get("shared")) == per_thread * threads
    setup.close()


# ---- queue workers ---------------------------------------------------------


def test_brpop_worker(server):
    producer = server.client(protocol=2, decode_responses=True)
    producer.flushall()
    worker = server.client(protocol=3, decode_responses=True)
    # An empty queue: BRPOP times out with None.
    t0 = time.monotonic()
    assert worker.brpop(["jobs"], timeout=0.1) is None
    assert time.monotonic() - t0 >= 0.09
    jobs = [f"job-{i}" for i in range(20)]

    def produce():
        for j in jobs:
            producer.lpush("jobs", j)
            time.sleep(0.005)

    t = threading.Thread(target=produce)
    t.start()
    done = []
    while len(done) < len(jobs):
        item = worker.brpop(["jobs", "other-queue"], timeout=5)
        assert item is not None, f"worker starved after {done}"
        queue, job = item
        assert queue == "jobs"
        done.append(job)
    t.join()
    assert done == jobs
    producer.close()
    worker.close()


def test_blmove_reliable_queue(server):
    producer = server.client(protocol=2, decode_responses=True)
    producer.flushall()
    worker = server.client(protocol=2, decode_responses=True)
    results = []

    def work():
        while True:
            job = worker.blmove("queue", "processing", 5, "RIGHT", "LEFT")
            if job is None or job == "stop":
                if job == "stop":
                    worker.lrem("processing", 1, job)
                return
            results.append(job.upper())
            # Acknowledge: the job leaves the processing list.
            with worker.pipeline() as p:
                p.lrem("processing", 1, job)
                p.rpush("done", job)
                p.execute()

    t = threading.Thread(target=work)
    t.start()
    time.sleep(0.05)
    for j in ["a", "b", "c"]:
        producer.lpush("queue", j)
    producer.lpush("queue", "stop")
    t.join(10)
    assert not t.is_alive()
    assert results == ["A", "B", "C"]
    assert producer.lrange("done", 0, -1) == ["a", "b", "c"]
    assert producer.llen("processing") == 0
    # An empty queue times out with None.
    assert worker.blmove("queue", "processing", 0.05, "RIGHT", "LEFT") is None
    producer.close()
    worker.close()


def test_blocking_pop_inside_pipeline_does_not_block(c):
    pipe = c.pipeline()
    pipe.blpop(["nothing"], timeout=0)
    pipe.rpush("q", "x")
    pipe.blpop(["q"], timeout=0)
    res = pipe.execute()
    assert res[0] is None
    assert res[1] == 1
    assert list(res[2]) == ["q", "x"]


def test_several_workers_share_a_queue_fairly(server):
    producer = server.client(protocol=2, decode_responses=True)
    producer.flushall()
    workers = [server.client(protocol=2, decode_responses=True) for _ in range(3)]
    got = {}

    def work(i, cl):
        item = cl.blpop(["fair"], timeout=5)
        got[i] = item[1] if item else None

    ts = []
    for i, cl in enumerate(workers):
        t = threading.Thread(target=work, args=(i, cl))
        t.start()
        ts.append(t)
        # Let each worker block before the next one, so the order is known.
        deadline = time.monotonic() + 5
        while int(producer.info("clients")["blocked_clients"]) < i + 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
    producer.rpush("fair", "first", "second", "third")
    for t in ts:
        t.join(10)
    assert got == {0: "first", 1: "second", 2: "third"}
    for cl in workers:
        cl.close()
    producer.close()
