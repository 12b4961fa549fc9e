//! Eviction benchmark: rustredis against Debian's redis-server 7.0.15 with
//! a memory cap, side by side in one run.
//!
//! Run with `cargo bench --bench eviction` (a `harness = false` bench).
//! `RUSTREDIS_BIN` overrides Cargo's `rustredis` binary and
//! `REDIS_ORACLE_BIN` overrides `/usr/bin/redis-server`, as in
//! `benches/side_by_side.rs`.
//!
//! # What it measures
//!
//! Both servers run with `maxmemory` (`BENCH_MAXMEMORY_MB`, default 32) and
//! `maxmemory-policy allkeys-lru`. The keyspace is sized from redis-server's
//! own cost per key: 20,000 keys of the bench's shape are written to an
//! uncapped redis-server and `used_memory` per key is measured; the
//! keyspace is then 3 × maxmemory / that cost, so the data is about three
//! times the cap on both servers (the same key count for both).
//!
//! 1. **SET throughput at the cap.** `redis-benchmark -t set -r KEYSPACE
//!    -d 100 -c 50 -n N --csv` (`N` = `BENCH_N`, default 300,000). A first
//!    unmeasured run fills each server past the cap so every measured SET
//!    runs with eviction; then `BENCH_ROUNDS` (default 3) rounds alternate
//!    redis-server and rustredis (A B A B ...). The table shows the median
//!    requests/s, the ratio rustredis/redis (target ≥ 1.0), the median of
//!    the per-round ratios, each server's CPU time per SET (`/proc`), and
//!    the keys each server evicted during the measured runs (INFO
//!    `evicted_keys`) and held at the end (DBSIZE).
//! 2. **Hit rate under a zipfian GET workload**, as a cache sees it. Fresh
//!    servers (same cap and policy) are filled with every key of the
//!    keyspace in a random order (evicting two thirds). Then requests pick
//!    keys from a zipfian distribution (exponent `BENCH_ZIPF_S` per mille,
//!    default 990, YCSB's 0.99) over the keyspace, ranks scattered over the
//!    key ids by a fixed permutation; each is a GET, and a miss is followed
//!    by a SET of the key (read-through caching). A client pipelines 64
//!    GETs per round trip, then the SETs for that batch's misses. A warm-up
//!    of `BENCH_HIT_N / 5` requests is not counted; then `BENCH_HIT_N`
//!    (default 500,000) requests are. Both servers see the same request
//!    sequence (a fixed seed). The table shows each hit rate and the
//!    difference (target: rustredis ≥ redis-server), and, as a diagnostic,
//!    rustredis once more with its cap scaled to hold as many keys as
//!    redis-server held, which separates bytes per key from LRU quality.
//!
//! # Output
//!
//! Markdown tables on stdout, also written to `target/bench-eviction.md`.
//!
//! # Limitations
//!
//! redis-benchmark and both servers share the machine's cores, so absolute
//! throughput depends on the machine; the ratio is the figure of merit. The
//! hit rate depends on how many keys fit under the cap, so a server that
//! spends less memory per key gets a better hit rate from the same cap
//! (which is the point of measuring both with the same `maxmemory`).

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{cpu_micros, die, env_usize, fmt_opt, median, ratio, server_bins, tool};

use common::ServerProc;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";
/// Value size of every key (bytes), in both parts.
const VALUE_SIZE: usize = 100;
/// GETs per round trip in the hit-rate client.
const PIPELINE: usize = 64;
/// Keys written to measure redis-server's cost per key.
const PROBE_KEYS: usize = 20_000;

// ---- Zipfian generator ----

/// A small, fast PRNG (SplitMix64): good enough for workload generation
/// and reproducible from a seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Zipf over ranks `0..n`: P(rank k) ∝ 1 / (k + 1)^s. Sampling is a binary
/// search of a uniform draw in the precomputed CDF (O(log n) per draw, n
/// f64s of memory), so it is exact for any `s`, not an approximation.
/// Ranks are mapped to key ids by `id = rank * STRIDE mod n` with `STRIDE`
/// coprime to `n`, a bijection that scatters the hot keys over the id
/// range (and so over the order they were written in).
struct Zipf {
    cdf: Vec<f64>,
    stride: u64,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        assert!(n > 0);
        let mut cdf = Vec::with_capacity(n);
        let mut acc = 0.0;
        for k in 0..n {
            acc += 1.0 / ((k + 1) as f64).powf(s);
            cdf.push(acc);
        }
        for v in cdf.iter_mut() {
            *v /= acc;
        }
        let mut stride: u64 = 2_654_435_761 % n as u64;
        while gcd(stride, n as u64) != 1 {
            stride += 1;
        }
        Zipf { cdf, stride }
    }

    /// The rank of one draw (0 is the most popular).
    fn rank(&self, rng: &mut SplitMix64) -> usize {
        let u = rng.next_f64();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }

    /// The key id of one draw.
    fn key(&self, rng: &mut SplitMix64) -> usize {
        let r = self.rank(rng) as u64;
        ((r * self.stride) % self.cdf.len() as u64) as usize
    }
}

/// Checks the generator before measuring with it (a `harness = false`
/// bench has no test runner): rank 0 has about 1/H(1000, 0.99) ≈ 0.13 of
/// the draws, rank 1 about half of rank 0, and rank → id is a bijection.
fn zipf_self_check() {
    let z = Zipf::new(1000, 0.99);
    let mut rng = SplitMix64(1);
    let mut counts = vec![0usize; 1000];
    for _ in 0..200_000 {
        counts[z.rank(&mut rng)] += 1;
    }
    let p0 = counts[0] as f64 / 200_000.0;
    let r01 = counts[0] as f64 / counts[1].max(1) as f64;
    let ids: std::collections::HashSet<usize> = (0..1000u64)
        .map(|k| ((k * z.stride) % 1000) as usize)
        .collect();
    if !(0.11..0.16).contains(&p0) || !(1.8..2.2).contains(&r01) || ids.len() != 1000 {
        die(&format!(
            "zipf generator self-check failed: p0 {p0}, p0/p1 {r01}, {} ids",
            ids.len()
        ));
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

// ---- Clients ----

fn connect(port: u16) -> TcpStream {
    let s =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| die(&format!("connect: {e}")));
    let _ = s.set_nodelay(true);
    s
}

/// One RESP2 reply as the hit-rate client needs it.
#[derive(Debug, PartialEq)]
enum Reply {
    Nil,
    Bulk(usize),
    Status,
    Error(String),
    Int,
}

/// Reads one reply (status, error, integer, bulk or null bulk).
fn read_reply(r: &mut BufReader<TcpStream>, line: &mut Vec<u8>) -> Reply {
    line.clear();
    match r.read_until(b'\n', line) {
        Ok(0) => die("server closed the connection"),
        Ok(_) => {}
        Err(e) => die(&format!("read: {e}")),
    }
    let text = String::from_utf8_lossy(line).trim_end().to_string();
    match line.first() {
        Some(b'+') => Reply::Status,
        Some(b'-') => Reply::Error(text),
        Some(b':') => Reply::Int,
        Some(b'$') if text == "$-1" => Reply::Nil,
        Some(b'$') => {
            let n: usize = text[1..]
                .parse()
                .unwrap_or_else(|_| die(&format!("bad bulk header {text:?}")));
            let mut body = vec![0u8; n + 2];
            std::io::Read::read_exact(r, &mut body)
                .unwrap_or_else(|e| die(&format!("read bulk: {e}")));
            Reply::Bulk(n)
        }
        _ => die(&format!("unexpected reply {text:?}")),
    }
}

fn key_name(id: usize) -> Vec<u8> {
    format!("key:{id:012}").into_bytes()
}

fn value_for(id: usize) -> Vec<u8> {
    let mut v = format!("{id:012}").into_bytes();
    v.resize(VALUE_SIZE, b'x');
    v
}

/// Sends `cmds` (already encoded) in one write and checks each reply is
/// not an error.
fn pipeline(
    w: &mut TcpStream,
    r: &mut BufReader<TcpStream>,
    buf: &[u8],
    n: usize,
    line: &mut Vec<u8>,
) {
    w.write_all(buf)
        .unwrap_or_else(|e| die(&format!("write: {e}")));
    for _ in 0..n {
        if let Reply::Error(e) = read_reply(r, line) {
            die(&format!("server error: {e}"));
        }
    }
}

/// Writes every key `0..keys` once, in a shuffled order, pipelined.
fn fill(port: u16, keys: usize, seed: u64) {
    let mut order: Vec<usize> = (0..keys).collect();
    let mut rng = SplitMix64(seed);
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let mut w = connect(port);
    let mut r = BufReader::new(
        w.try_clone()
            .unwrap_or_else(|e| die(&format!("clone: {e}"))),
    );
    let mut line = Vec::new();
    for chunk in order.chunks(256) {
        let mut buf = Vec::new();
        for &id in chunk {
            buf.extend_from_slice(&common::encode_command(&[
                b"SET",
                &key_name(id),
                &value_for(id),
            ]));
        }
        pipeline(&mut w, &mut r, &buf, chunk.len(), &mut line);
    }
}

/// Runs `n` read-through requests; returns (hits, seconds).
fn cache_workload(port: u16, zipf: &Zipf, rng: &mut SplitMix64, n: usize) -> (usize, f64) {
    let mut w = connect(port);
    let mut r = BufReader::new(
        w.try_clone()
            .unwrap_or_else(|e| die(&format!("clone: {e}"))),
    );
    let mut line = Vec::new();
    let mut hits = 0;
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        let batch = PIPELINE.min(n - done);
        let ids: Vec<usize> = (0..batch).map(|_| zipf.key(rng)).collect();
        let mut buf = Vec::new();
        for &id in &ids {
            buf.extend_from_slice(&common::encode_command(&[b"GET", &key_name(id)]));
        }
        w.write_all(&buf)
            .unwrap_or_else(|e| die(&format!("write: {e}")));
        let mut misses = Vec::new();
        for &id in &ids {
            match read_reply(&mut r, &mut line) {
                Reply::Bulk(len) if len == VALUE_SIZE => hits += 1,
                Reply::Nil => misses.push(id),
                other => die(&format!("unexpected GET reply {other:?}")),
            }
        }
        if !misses.is_empty() {
            let mut buf = Vec::new();
            for &id in &misses {
                buf.extend_from_slice(&common::encode_command(&[
                    b"SET",
                    &key_name(id),
                    &value_for(id),
                ]));
            }
            pipeline(&mut w, &mut r, &buf, misses.len(), &mut line);
        }
        done += batch;
    }
    (hits, start.elapsed().as_secs_f64())
}

/// One INFO field as a number.
fn info_u64(port: u16, field: &str) -> u64 {
    let mut c = common::Conn::connect(port);
    let info = common::s(c.cmd(&[b"INFO", b"everything"]));
    common::info_field(&info, field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| die(&format!("INFO has no numeric {field}")))
}

/// The outcome of one hit-rate run.
struct HitRun {
    hit: f64,
    ops: f64,
    evicted: u64,
    held: u64,
}

/// Starts `bin` with cap `maxmemory`, fills every key, runs the warm-up and
/// the counted read-through requests (seed 42, so every run sees the same
/// sequence).
fn hit_run(
    name: &str,
    bin: &str,
    maxmemory: &str,
    keyspace: usize,
    zipf: &Zipf,
    n: usize,
) -> HitRun {
    let sp = start(bin, maxmemory);
    eprintln!("hit rate: filling {name} with {keyspace} keys");
    fill(sp.port, keyspace, 7);
    let mut rng = SplitMix64(42);
    cache_workload(sp.port, zipf, &mut rng, n / 5);
    let e0 = info_u64(sp.port, "evicted_keys");
    let (hits, secs) = cache_workload(sp.port, zipf, &mut rng, n);
    let r = HitRun {
        hit: hits as f64 / n as f64,
        ops: n as f64 / secs,
        evicted: info_u64(sp.port, "evicted_keys") - e0,
        held: dbsize(sp.port),
    };
    eprintln!("{name}: hit rate {:.4}, {:.0} requests/s", r.hit, r.ops);
    r
}

/// DBSIZE of the server on `port`.
fn dbsize(port: u16) -> u64 {
    let mut c = common::Conn::connect(port);
    let r = common::s(c.cmd(&[b"DBSIZE"]));
    r.trim_start_matches(':')
        .trim()
        .parse()
        .unwrap_or_else(|_| die(&format!("DBSIZE replied {r:?}")))
}

fn start(bin: &str, maxmemory: &str) -> ServerProc {
    ServerProc::start_bin(
        bin,
        &[
            "--maxmemory",
            maxmemory,
            "--maxmemory-policy",
            "allkeys-lru",
        ],
    )
}

/// redis-server's `used_memory` per key of the bench's shape, in bytes.
fn bytes_per_key(redis_bin: &str) -> f64 {
    let sp = ServerProc::start_bin(redis_bin, &[]);
    let before = info_u64(sp.port, "used_memory");
    fill(sp.port, PROBE_KEYS, 1);
    let after = info_u64(sp.port, "used_memory");
    if after <= before {
        die("used_memory did not grow while probing the cost per key");
    }
    (after - before) as f64 / PROBE_KEYS as f64
}

/// requests/s of one `redis-benchmark -t set` run.
fn bench_set(bench: &str, port: u16, n: usize, keyspace: usize) -> f64 {
    let out = Command::new(bench)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "set",
            "-n",
            &n.to_string(),
            "-c",
            "50",
            "-r",
            &keyspace.to_string(),
            "-d",
            &VALUE_SIZE.to_string(),
            "--csv",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| die(&format!("spawn {bench}: {e}")));
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        die(&format!(
            "redis-benchmark failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // `"SET","123456.79",...`: the test name, then requests/s.
    stdout
        .lines()
        .find_map(|l| {
            let mut f = l.split(',').map(|x| x.trim_matches('"'));
            (f.next()? == "SET").then_some(())?;
            f.next()?.parse::<f64>().ok()
        })
        .unwrap_or_else(|| die(&format!("no SET row in redis-benchmark output:\n{stdout}")))
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let n = env_usize("BENCH_N", 300_000).max(1000);
    let hit_n = env_usize("BENCH_HIT_N", 500_000).max(1000);
    let maxmemory_mb = env_usize("BENCH_MAXMEMORY_MB", 32).max(4);
    let zipf_s = env_usize("BENCH_ZIPF_S", 990) as f64 / 1000.0;
    let maxmemory = format!("{maxmemory_mb}mb");
    zipf_self_check();
    let (rust_bin, redis_bin) = server_bins();
    let bench = tool("redis-benchmark");

    let per_key = bytes_per_key(&redis_bin);
    let keyspace = ((3 * maxmemory_mb * 1024 * 1024) as f64 / per_key) as usize;
    eprintln!(
        "redis-server uses {per_key:.1} B per key; keyspace {keyspace} keys (3 x {maxmemory})"
    );

    // ---- Part 1: SET throughput at the cap ----
    let servers = [
        (REDIS, start(&redis_bin, &maxmemory)),
        (RUSTREDIS, start(&rust_bin, &maxmemory)),
    ];
    for (name, sp) in &servers {
        eprintln!("filling {name} past the cap");
        bench_set(&bench, sp.port, n, keyspace);
        if info_u64(sp.port, "evicted_keys") == 0 {
            die(&format!("{name} evicted nothing while filling 3x its cap"));
        }
    }
    let mut rps: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut cpu: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut evicted = [0u64; 2];
    for round in 0..rounds {
        for (i, (name, sp)) in servers.iter().enumerate() {
            let e0 = info_u64(sp.port, "evicted_keys");
            let c0 = cpu_micros(sp.child.id());
            let r = bench_set(&bench, sp.port, n, keyspace);
            cpu[i].push((cpu_micros(sp.child.id()) - c0) / n as f64);
            evicted[i] += info_u64(sp.port, "evicted_keys") - e0;
            let used = info_u64(sp.port, "used_memory");
            eprintln!(
                "round {}: {name} {r:.0} SET/s, used_memory {:.1} MB",
                round + 1,
                used as f64 / 1048576.0
            );
            rps[i].push(r);
        }
    }
    let keys_at_cap: Vec<u64> = servers.iter().map(|(_, sp)| dbsize(sp.port)).collect();
    drop(servers);

    // ---- Part 2: zipfian hit rate ----
    let zipf = Zipf::new(keyspace, zipf_s);
    let mut hit = [0.0f64; 2];
    let mut ops = [0.0f64; 2];
    let mut evicted_hit = [0u64; 2];
    let mut held = [0u64; 2];
    for (i, (name, bin)) in [(REDIS, &redis_bin), (RUSTREDIS, &rust_bin)]
        .into_iter()
        .enumerate()
    {
        let h = hit_run(name, bin, &maxmemory, keyspace, &zipf, hit_n);
        (hit[i], ops[i], evicted_hit[i], held[i]) = (h.hit, h.ops, h.evicted, h.held);
    }
    // Diagnostic: rustredis with its cap scaled so that it holds as many
    // keys as redis-server did, which separates the cost per key from the
    // quality of the LRU approximation.
    let scaled_cap =
        (maxmemory_mb as f64 * 1048576.0 * held[0] as f64 / held[1].max(1) as f64) as u64;
    let scaled = hit_run(
        "rustredis (scaled cap)",
        &rust_bin,
        &scaled_cap.to_string(),
        keyspace,
        &zipf,
        hit_n,
    );

    // ---- Report ----
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Eviction: maxmemory {maxmemory}, allkeys-lru, keyspace {keyspace} keys of {VALUE_SIZE} B (about 3x the cap; redis-server uses {per_key:.0} B/key)\n"
    );
    let _ = writeln!(
        md,
        "SET throughput at the cap: `redis-benchmark -t set -n {n} -c 50 -r {keyspace} -d {VALUE_SIZE}`, {rounds} rounds alternating redis / rustredis, medians. \
         \"round ratio\" is the median of each round's rustredis/redis ratio (the pair ran back to back, so load from elsewhere cancels better); \
         CPU is the server's user+system time per SET (/proc), lower is better.\n"
    );
    let _ = writeln!(
        md,
        "| test | redis req/s | rustredis req/s | ratio | round ratio | redis CPU us/SET | rustredis CPU us/SET | redis evicted | rustredis evicted | redis keys at cap | rustredis keys at cap |"
    );
    let _ = writeln!(
        md,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let (mr, mu) = (median(rps[0].clone()), median(rps[1].clone()));
    let ratio = ratio(mr, mu);
    let round_ratio = median(
        rps[0]
            .iter()
            .zip(&rps[1])
            .filter(|(a, _)| **a > 0.0)
            .map(|(a, b)| b / a)
            .collect(),
    );
    let _ = writeln!(
        md,
        "| SET (allkeys-lru, 3x cap) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        fmt_opt(mr, 0),
        fmt_opt(mu, 0),
        fmt_opt(ratio, 3),
        fmt_opt(round_ratio, 3),
        fmt_opt(median(cpu[0].clone()), 2),
        fmt_opt(median(cpu[1].clone()), 2),
        evicted[0],
        evicted[1],
        keys_at_cap[0],
        keys_at_cap[1]
    );
    let _ = writeln!(
        md,
        "Zipfian read-through cache (s = {zipf_s}): fill all keys, {} warm-up then {hit_n} counted requests; GET, SET on miss; {PIPELINE} GETs per round trip; same sequence for both.\n",
        hit_n / 5
    );
    let _ = writeln!(
        md,
        "| test | redis hit rate | rustredis hit rate | difference | redis req/s | rustredis req/s | ratio | redis evicted | rustredis evicted | redis keys held | rustredis keys held |"
    );
    let _ = writeln!(
        md,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        md,
        "| zipf GET/SET-on-miss | {:.4} | {:.4} | {:+.4} | {:.0} | {:.0} | {:.3} | {} | {} | {} | {} |",
        hit[0],
        hit[1],
        hit[1] - hit[0],
        ops[0],
        ops[1],
        if ops[0] > 0.0 { ops[1] / ops[0] } else { 0.0 },
        evicted_hit[0],
        evicted_hit[1],
        held[0],
        held[1]
    );
    let _ = writeln!(
        md,
        "| diagnostic: rustredis with maxmemory {scaled_cap} (scaled to hold redis's key count) | | {:.4} | {:+.4} | | {:.0} | | | {} | | {} |",
        scaled.hit,
        scaled.hit - hit[0],
        scaled.ops,
        scaled.evicted,
        scaled.held
    );
    let _ = writeln!(
        md,
        "\nTargets: SET throughput ratio >= 1.0 ({}), hit rate >= redis-server's ({}).",
        if ratio.is_some_and(|r| r >= 1.0) {
            "met"
        } else {
            "NOT met"
        },
        if hit[1] >= hit[0] { "met" } else { "NOT met" }
    );
    print!("{md}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-eviction.md");
    let _ = std::fs::create_dir_all(out.parent().unwrap_or(Path::new(".")));
    if let Err(e) = std::fs::write(&out, &md) {
        eprintln!("could not write {}: {e}", out.display());
    }
}
