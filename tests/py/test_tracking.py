"""Client-side caching with redis-py, the way an application near-cache uses it.

A RESP3 connection turns CLIENT TRACKING on and installs redis-py's
invalidation push handler; a small dict cache drops the keys the server
says changed (all of them on a null, after a flush). Writers on other
connections must never leave the cache stale. Covered: default mode,
OPTIN with CLIENT CACHING, BCAST with prefixes, NOLOOP, flushes, and the
tracking introspection commands as redis-py parses them.

(redis-py's own `cache_config` near-cache refuses servers older than
Redis 7.4, so the cache here is the application's.)

Every expectation is Redis 7.0.15 behaviour: the file passes against
Debian's redis-server (`RUSTREDIS_BIN=/usr/bin/redis-server`).
"""

import time

import pytest


class NearCache:
    """A read-through cache kept coherent by the server's invalidations."""

    def __init__(self, server, **tracking):
        self.r = server.client(protocol=3, single_connection_client=True, decode_responses=True)
        self.data = {}
        self.invalidations = []
        self.r.connection._parser.set_invalidation_push_handler(self._on_push)
        assert self.r.client_tracking_on(**tracking) == "OK"

    def _on_push(self, msg):
        keys = msg[1]
        self.invalidations.append(keys)
        if keys is None:
            self.data.clear()
        else:
            for k in keys:
                self.data.pop(k, None)

    def poll(self):
        """Lets pending pushes in (they are read before the next reply)."""
        assert self.r.ping() is True

    def get(self, key):
        self.poll()
        if key not in self.data:
            self.data[key] = self.r.get(key)
        return self.data[key]

    def close(self):
        self.r.close()


@pytest.fixture
def writer(server):
    w = server.client(decode_responses=True)
    w.flushall()
    yield w
    w.close()


def test_near_cache_stays_coherent(server, writer):
    cache = NearCache(server)
    writer.mset({"user:1": "ann", "user:2": "bob"})
    assert cache.get("user:1") == "ann"
    assert cache.get("user:2") == "bob"
    assert set(cache.data) == {"user:1", "user:2"}
    writer.set("user:1", "anne")
    assert cache.get("user:1") == "anne"
    assert cache.invalidations == [["user:1"]]
    writer.delete("user:2")
    assert cache.get("user:2") is None
    # A key the cache never read is not reported.
    writer.set("user:3", "cid")
    cache.poll()
    assert cache.invalidations == [["user:1"], ["user:2"]]
    # The cache's own write is reported back too (no NOLOOP).
    cache.r.set("user:1", "x")
    cache.poll()
    assert cache.invalidations[-1] == ["user:1"]
    assert "user:1" not in cache.data
    cache.close()


def test_flush_clears_everything(server, writer):
    cache = NearCache(server)
    writer.mset({"a": 1, "b": 2})
    cache.get("a")
    cache.get("b")
    writer.flushdb()
    cache.poll()
    assert cache.invalidations == [None]
    assert cache.data == {}
    assert writer.info("stats")["tracking_total_keys"] == 0
    cache.close()


def test_optin_caches_only_what_it_asks_for(server, writer):
    cache = NearCache(server, optin=True)
    writer.mset({"hot": 1, "cold": 2})
    cache.r.get("cold")
    assert cache.r.execute_command("CLIENT CACHING", "YES") == "OK"
    cache.r.get("hot")
    writer.mset({"hot": 3, "cold": 4})
    cache.poll()
    assert cache.invalidations == [["hot"]]
    cache.close()


def test_bcast_prefixes_and_noloop(server, writer):
    cache = NearCache(server, bcast=True, prefix=["user:", "cfg:"], noloop=True)
    info = cache.r.client_trackinginfo()
    assert info["flags"] == ["on", "bcast", "noloop"]
    assert sorted(info["prefixes"]) == ["cfg:", "user:"]
    assert cache.r.client_getredir() == 0
    # No read needed in BCAST mode; one message per prefix, keys sorted.
    writer.mset({"user:2": 1, "user:1": 1, "other": 1, "cfg:x": 1})
    cache.poll()
    assert sorted(cache.invalidations) == [["cfg:x"], ["user:1", "user:2"]]
    # NOLOOP: the cache's own writes are not reported.
    cache.r.set("user:9", "mine")
    writer.set("user:8", "theirs")
    cache.poll()
    assert cache.invalidations[-1] == ["user:8"]
    assert writer.info("stats")["tracking_total_prefixes"] == 2
    # The caches of the earlier tests were closed: their tracking went with them.
    deadline = time.monotonic() + 2
    while writer.info("clients")["tracking_clients"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cache.close()


def test_resp2_redirect_to_pubsub_connection(server, writer):
    """RESP2 apps get invalidations as Pub/Sub messages on another connection."""
    r = server.client(protocol=2, decode_responses=True)
    p = r.pubsub()
    p.subscribe("__redis__:invalidate")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    subscriber = [c for c in writer.client_list() if c["flags"] == "P"]
    assert len(subscriber) == 1
    sub_id = int(subscriber[0]["id"])
    tracker = server.client(protocol=2, decode_responses=True, single_connection_client=True)
    assert tracker.client_tracking_on(clientid=sub_id) == "OK"
    assert tracker.client_getredir() == sub_id
    writer.set("price:1", "10")
    assert tracker.get("price:1") == "10"
    writer.set("price:1", "11")
    msg = p.get_message(timeout=5)
    assert msg["type"] == "message"
    assert msg["channel"] == "__redis__:invalidate"
    assert msg["data"] == ["price:1"]
    writer.flushall()
    assert p.get_message(timeout=5)["data"] is None
    # The subscriber goes away: the tracker is flagged.
    p.close()
    tracker.get("price:2")
    writer.set("price:2", "1")
    info = tracker.client_trackinginfo()
    assert info[info.index("flags") + 1] == ["on", "broken_redirect"]
    tracker.close()
    r.close()
