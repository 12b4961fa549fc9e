"""The native Prometheus endpoint, scraped as Prometheus does.

The server runs with `--metrics-port`; `/metrics` is fetched over HTTP with
urllib and parsed with the official Python client's text-format parser
(`prometheus_client.parser.text_string_to_metric_families`), so the
exposition must be valid Prometheus text format 0.0.4: families, types,
label escaping, summaries with `_sum`/`_count`. Values are checked against
the commands redis-py ran and against INFO.

rustredis only (redis-server has no metrics endpoint): against another
binary (`RUSTREDIS_BIN=/usr/bin/redis-server`) the module is skipped with
that reason.
"""

import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import ServerProc, free_port, server_binary


def _is_rustredis() -> bool:
    try:
        out = subprocess.run(
            [server_binary(), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except OSError:
        return True  # let ServerProc report the missing binary
    return out.startswith("rustredis")


pytestmark = pytest.mark.skipif(
    not _is_rustredis(), reason="the metrics endpoint is a rustredis extension"
)


@pytest.fixture(scope="module")
def msrv():
    mport = free_port()
    s = ServerProc(extra=("--metrics-port", str(mport)))
    s.mport = mport
    yield s
    s.stop()
    shutil.rmtree(s.dir, ignore_errors=True)


@pytest.fixture
def r(msrv):
    c = msrv.client(decode_responses=True)
    c.flushall()
    c.config_resetstat()
    yield c
    c.close()


def fetch(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        return resp.status, resp.headers, resp.read().decode()


def scrape(port):
    status, headers, body = fetch(port)
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    fams = {f.name: f for f in text_string_to_metric_families(body)}
    return fams, body


def sample(fams, family, name=None, **labels):
    f = fams[family]
    name = name or family
    for s in f.samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise KeyError(f"{name}{labels} not in {[(s.name, s.labels) for s in f.samples]}")


def test_parses_and_follows_commands(msrv, r):
    fams, _ = scrape(msrv.mport)
    assert fams["redis_connected_clients"].type == "gauge"
    assert fams["redis_commands_processed"].type == "counter"
    assert fams["redis_instance_info"].samples[0].labels["redis_version"] == "7.0.15"
    before = sample(fams, "redis_commands_processed", "redis_commands_processed_total")

    r.set("a", "1")
    r.set("b", "2", ex=100)
    r.incr("a")
    assert r.get("a") == "2"
    assert r.get("missing") is None
    with pytest.raises(Exception):
        r.lpush("a", "x")
    r.hset("h", mapping={"f": "v"})

    fams, body = scrape(msrv.mport)
    assert sample(fams, "redis_commands", "redis_commands_total", cmd="set") == 2
    assert sample(fams, "redis_commands", "redis_commands_total", cmd="incrby") == 1
    assert sample(fams, "redis_commands", "redis_commands_total", cmd="hset") == 1
    assert (
        sample(
            fams,
            "redis_commands_duration_seconds",
            "redis_commands_duration_seconds_total",
            cmd="set",
        )
        > 0
    )
    assert (
        sample(
            fams,
            "redis_commands_failed_calls",
            "redis_commands_failed_calls_total",
            cmd="lpush",
        )
        == 1
    )
    assert sample(fams, "redis_errors", "redis_errors_total", err="WRONGTYPE") == 1
    assert sample(fams, "redis_keyspace_hits", "redis_keyspace_hits_total") == 1
    assert sample(fams, "redis_keyspace_misses", "redis_keyspace_misses_total") == 1
    assert sample(fams, "redis_db_keys", db="db0") == 3
    assert sample(fams, "redis_db_keys_expiring", db="db0") == 1
    assert sample(fams, "redis_db_keys", db="db15") == 0
    after = sample(fams, "redis_commands_processed", "redis_commands_processed_total")
    assert after >= before + 7
    # One source of truth with INFO.
    info = r.info("everything")
    assert sample(fams, "redis_memory_max_bytes") == info["maxmemory"]
    assert sample(fams, "redis_connected_clients") == info["connected_clients"]
    assert sample(fams, "redis_rdb_last_save_timestamp_seconds") == info["rdb_last_save_time"]
    assert sample(fams, "redis_connected_slaves") == info["connected_slaves"]
    assert sample(fams, "redis_master_repl_offset") == info["master_repl_offset"]
    assert sample(fams, "redis_memory_used_bytes") > 0
    assert sample(fams, "redis_mem_fragmentation_ratio") > 0
    # Every family is declared once and named as Prometheus requires.
    assert body.count("# TYPE redis_db_keys gauge\n") == 1


def test_latency_percentiles_are_summaries(msrv, r):
    r.set("k", "v")
    for _ in range(10):
        r.get("k")
    fams, _ = scrape(msrv.mport)
    info = r.execute_command("INFO", "latencystats")
    if "latency_percentiles_usec_get" not in info:
        # INFO latencystats lands with the config work of this issue; until
        # then there is nothing to export, and nothing must be invented.
        assert "redis_latency_percentiles_usec" not in fams
        return
    f = fams["redis_latency_percentiles_usec"]
    assert f.type == "summary"
    quantiles = {
        s.labels["quantile"]
        for s in f.samples
        if s.name == "redis_latency_percentiles_usec" and s.labels["cmd"] == "get"
    }
    assert {"0.5", "0.99", "0.999"} <= quantiles
    assert sample(fams, "redis_latency_percentiles_usec", "redis_latency_percentiles_usec_count", cmd="get") == 10


def test_http_errors(msrv):
    with pytest.raises(urllib.error.HTTPError) as e:
        fetch(msrv.mport, "/nope")
    assert e.value.code == 404
    req = urllib.request.Request(
        f"http://127.0.0.1:{msrv.mport}/metrics", data=b"x", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405
    assert e.value.headers["Allow"] == "GET, HEAD"
