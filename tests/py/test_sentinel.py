"""Sentinel compatibility: Debian's redis-sentinel monitoring a master with
two replicas of the server under test.

Three sentinels (quorum 2) watch the master. They must find the replicas
(INFO replication's slaveN lines) and each other (the `__sentinel__:hello`
Pub/Sub channel on the monitored nodes); a redis-py `Sentinel` client
writes through them; then the master is killed, and the sentinels must
agree it is down, promote one replica (REPLICAOF NO ONE), point the other
at it (REPLICAOF host port, CONFIG REWRITE, CLIENT KILL TYPE ...), and the
client must follow to the new master with the data written before. The
old master, restarted, must be turned into a replica of the new one.

Needs /usr/bin/redis-sentinel: skipped without it, except in CI (CI=true),
where a missing sentinel is a failure.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import redis
from redis.sentinel import Sentinel

from conftest import ServerProc, free_port, server_binary

SENTINEL_BIN = os.environ.get("REDIS_SENTINEL_BIN", "/usr/bin/redis-sentinel")
MASTER_NAME = "mymaster"


def require_sentinel():
    if os.path.exists(SENTINEL_BIN):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{SENTINEL_BIN} is missing (apt-get install redis-sentinel)")
    pytest.skip(f"{SENTINEL_BIN} is missing")


def wait_until(cond, timeout, what):
    """Polls `cond()` every 100 ms until it is truthy; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = cond()
            if last:
                return last
        except (redis.exceptions.RedisError, OSError) as e:
            last = e
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class SentinelProc:
    """One redis-sentinel on a free port with its config in a scratch dir."""

    def __init__(self, master_port):
        self.dir = tempfile.mkdtemp(prefix="rustredis-sentinel-")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write(
                f"port {self.port}\n"
                "bind 127.0.0.1\n"
                "daemonize no\n"
                f"dir {self.dir}\n"
                f"logfile {os.path.join(self.dir, 'sentinel.log')}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                f"sentinel failover-timeout {MASTER_NAME} 10000\n"
                f"sentinel parallel-syncs {MASTER_NAME} 2\n"
            )
        self.proc = subprocess.Popen(
            [SENTINEL_BIN, self.conf],
            cwd=self.dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, 10, f"sentinel on port {self.port}")

    def client(self, **kw):
        kw.setdefault("socket_timeout", 5)
        kw.setdefault("decode_responses", True)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def ping(self):
        return on_node(self, lambda c: c.ping())

    def stop(self):
        # Same process handling as the servers' (SIGTERM, SIGKILL after 5 s).
        ServerProc.stop(self)
        shutil.rmtree(self.dir, ignore_errors=True)


def on_node(node, fn):
    """Runs `fn(client)` on a short-lived decoded client of `node`."""
    c = node.client(decode_responses=True, socket_timeout=2)
    try:
        return fn(c)
    finally:
        c.close()


def tail(path, lines=40):
    """The last `lines` lines of the file at `path` (or why it can't be read)."""
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


def role(node):
    return on_node(node, lambda c: c.execute_command("ROLE"))


def info_repl(node):
    return on_node(node, lambda c: c.info("replication"))


def restart_on_port(old, port, extra=()):
    """Starts the binary again on `port` in `old`'s directory (its old
    config file is gone: sentinel must reconfigure it)."""
    args = [
        server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--logfile", old.log_path + ".2",
        *extra,
    ]
    proc = subprocess.Popen(
        args,
        cwd=old.dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    old.proc = proc
    old.log_path = old.log_path + ".2"
    wait_until(lambda: old.client(socket_timeout=1).ping(), 10, "restarted server")
    return old


@pytest.fixture
def topology():
    require_sentinel()
    nodes = []
    sentinels = []
    try:
        master = ServerProc()
        nodes.append(master)
        for _ in range(2):
            nodes.append(ServerProc(extra=("--replicaof", "127.0.0.1", str(master.port))))
        for r in nodes[1:]:
            wait_until(
                lambda r=r: info_repl(r).get("master_link_status") == "up",
                20,
                f"replica {r.port} linked",
            )
        for _ in range(3):
            sentinels.append(SentinelProc(master.port))
        yield nodes, sentinels
    finally:
        for s in sentinels:
            s.stop()
        for n in nodes:
            n.stop()
            shutil.rmtree(n.dir, ignore_errors=True)


def test_sentinel_discovery_failover_and_client(topology):
    nodes, sentinels = topology
    master, r1, r2 = nodes
    replica_ports = {r1.port, r2.port}

    # Discovery: every sentinel sees both replicas and the two other sentinels.
    for s in sentinels:
        wait_until(
            lambda s=s: {int(r["port"]) for r in s.client().sentinel_slaves(MASTER_NAME)}
            == replica_ports,
            20,
            f"sentinel {s.port} to list both replicas",
        )
        wait_until(
            lambda s=s: len(s.client().sentinel_sentinels(MASTER_NAME)) == 2,
            20,
            f"sentinel {s.port} to find the other sentinels",
        )
    m = sentinels[0].client().sentinel_master(MASTER_NAME)
    assert m["ip"] == "127.0.0.1" and int(m["port"]) == master.port
    assert m["flags"] == "master", m
    assert int(m["num-slaves"]) == 2

    # A redis-py Sentinel client writes through the sentinels.
    sentinel = Sentinel(
        [("127.0.0.1", s.port) for s in sentinels], socket_timeout=2
    )
    assert sentinel.discover_master(MASTER_NAME) == ("127.0.0.1", master.port)
    assert set(sentinel.discover_slaves(MASTER_NAME)) == {
        ("127.0.0.1", p) for p in replica_ports
    }
    w = sentinel.master_for(MASTER_NAME, socket_timeout=2, decode_responses=True)
    for i in range(100):
        w.set(f"key:{i}", f"value:{i}")
    w.rpush("list", *range(10))
    mc = master.client()
    assert mc.wait(2, 5000) == 2

    # Kill the master: the sentinels promote a replica and repoint the other.
    old_port = master.port
    os.kill(master.pid, signal.SIGKILL)
    master.proc.wait(timeout=5)
    new_addr = wait_until(
        lambda: (a := sentinel.discover_master(MASTER_NAME)) != ("127.0.0.1", old_port)
        and a,
        40,
        "a new master",
    )
    assert new_addr[1] in replica_ports
    new_master = r1 if new_addr[1] == r1.port else r2
    other = r2 if new_master is r1 else r1
    wait_until(lambda: role(new_master)[0] == "master", 10, "the promoted replica's ROLE")
    wait_until(
        lambda: role(other)[:4] == ["slave", "127.0.0.1", new_master.port, "connected"],
        30,
        "the other replica to follow the new master",
    )
    wait_until(
        lambda: [int(x[1]) for x in role(new_master)[2]] == [other.port],
        20,
        "the new master to list its replica",
    )
    # The reconfigured replica's config file names its new master (CONFIG
    # REWRITE, sent by the sentinel with REPLICAOF): the servers here run
    # without a config file, so CONFIG GET tells what a rewrite writes.
    assert other.client(decode_responses=True).config_get("replicaof") == {
        "replicaof": f"127.0.0.1 {new_master.port}"
    }

    # The client follows the failover and finds the data.
    w = sentinel.master_for(MASTER_NAME, socket_timeout=2, decode_responses=True)
    wait_until(lambda: w.set("after", "failover"), 20, "a write through the new master")
    assert w.get("key:42") == "value:42"
    assert w.lrange("list", 0, -1) == [str(i) for i in range(10)]
    nc = new_master.client()
    assert nc.wait(1, 5000) == 1
    oc = other.client(decode_responses=True)
    assert oc.get("after") == "failover"
    assert oc.dbsize() == nc.dbsize() == 102

    # The old master comes back as a master; the sentinels turn it into a
    # replica of the new one.
    restart_on_port(master, old_port)
    want = ["slave", "127.0.0.1", new_master.port, "connected"]
    try:
        wait_until(lambda: role(master)[:4] == want, 40, "the old master to be reconfigured as a replica")
    except BaseException:
        # Say what it is instead, and what the sentinels and it logged.
        logs = "\n".join(
            f"--- sentinel {s.port}:\n" + tail(os.path.join(s.dir, "sentinel.log")) for s in sentinels
        )
        pytest.fail(
            f"the old master is {role(master)!r}, not {want!r}\n"
            f"--- its log:\n{tail(master.log_path)}\n"
            f"--- the new master's log:\n{tail(new_master.log_path)}\n{logs}"
        )
    wait_until(lambda: master.client(decode_responses=True).get("after") == "failover", 10,
               "the old master to sync")
    for s in sentinels:
        wait_until(
            lambda s=s: {int(r["port"]) for r in s.client().sentinel_slaves(MASTER_NAME)}
            >= {old_port, other.port},
            20,
            f"sentinel {s.port} to list the old master as a replica",
        )
