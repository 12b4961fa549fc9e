//! Side-by-side benchmark: rustredis against Debian's redis-server 7.0.15,
//! in one run, on this machine.
//!
//! Run with `cargo bench --bench side_by_side` (a `harness = false` bench:
//! this `main` is the whole program). Cargo builds the `rustredis` binary in
//! the bench profile and hands its path in `CARGO_BIN_EXE_rustredis`;
//! `RUSTREDIS_BIN` overrides it and `REDIS_ORACLE_BIN` overrides
//! `/usr/bin/redis-server`. `redis-benchmark` and `redis-cli` come from
//! Debian's redis-tools.
//!
//! # What it measures
//!
//! **Throughput.** Both servers are started once with identical settings
//! (127.0.0.1, a free port each, `--save "" --appendonly no`, through the
//! same `ServerProc` the integration tests use). For each of `BENCH_ROUNDS`
//! rounds (default 3) and each pipeline depth (`-P 1`, `-P 16`) it runs
//! `redis-benchmark -t GROUP -n N -c 50 -r 1000000 --csv` for each group of
//! [`TEST_GROUPS`] (strings; list pushes and pops; SADD and SPOP; HSET;
//! ZADD and ZPOPMIN; LRANGE_100; LRANGE_600) against redis-server and then
//! against rustredis (A B A B ...), with a FLUSHALL before every run, and
//! then a transaction test of its own: `MULTI`, five `SET`s, `EXEC` over 50
//! connections, `-P` transactions per round trip, every reply checked. N is
//! 300,000 unless `BENCH_N` says otherwise (use e.g. `BENCH_N=50000
//! BENCH_ROUNDS=1` for a quick check); `BENCH_TESTS="hset;sadd,spop"` picks
//! other groups. The reported value per row is the median over the rounds
//! of requests/s, and of the p50 and p99 latencies.
//!
//! **Server CPU per request.** At `-P 1` both servers are mostly waiting
//! for the single redis-benchmark client, so requests/s says little about
//! the server. The user + system CPU time of each server process over each
//! run (`/proc/PID/stat`), divided by the requests of that run, is reported
//! per run and pipeline depth.
//!
//! Why alternate: the machine is shared and its speed drifts (thermal state,
//! other jobs). Interleaving the two servers spreads drift over both, and
//! the median drops the odd disturbed run.
//!
//! **Memory.** For each workload (1,000,000 16-byte strings; 200,000
//! strings grown by four APPENDs to 80 bytes; 1,000,000
//! hashes of 10 fields with 10-byte values; 100,000 sorted sets of 100
//! members; 1,000,000 sets of 5 small integers; `BENCH_MEM_SCALE` percent
//! scales the counts) a fresh server of each kind is loaded with
//! `redis-cli --pipe` from a RESP stream built in memory. It reports
//! (RSS after − RSS before) / keys from `/proc/PID/status` `VmRSS`, and the
//! same for INFO memory `used_memory`, with the ratio rustredis/redis.
//!
//! # Output
//!
//! A markdown report on stdout, also written to `target/bench-report.md`
//! (next to the `release/` directory holding the binary). Per-run numbers go
//! to stderr as they come.
//!
//! # Limitations
//!
//! redis-benchmark and both servers share the machine's cores, so absolute
//! numbers depend on the client as much as on the server; the ratio is the
//! figure of merit. RSS includes allocator slack, so bytes/key is what a user
//! pays, not the size of the data structures.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{
    cpu_count, cpu_micros, die, env_usize, flushall, fmt_opt, median, parse_csv, ratio, run,
    server_bins, tool, write_report,
};

use common::ServerProc;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The server names, in the order they are run and printed.
const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";
/// The redis-benchmark runs, each a `-t` list run as one process. Tests
/// that read what an earlier one wrote share a run (SPOP pops what SADD
/// added, ZPOPMIN what ZADD added); the LRANGE tests fill their list first
/// with an "LPUSH (needed to benchmark LRANGE)" row of their own.
const TEST_GROUPS: &[&str] = &[
    "set,get,incr,mset",
    "lpush,rpush,lpop,rpop",
    "sadd,spop",
    "hset",
    "zadd,zpopmin",
    "lrange_100",
    "lrange_600",
];
/// Transactions per connection-batch in the MULTI/EXEC test equal the pipeline depth.
const MULTI_CONNS: usize = 50;

/// Resident set size of `pid` in bytes, from `/proc/PID/status` `VmRSS`.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| die(&format!("read /proc/{pid}/status: {e}")));
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| die(&format!("no VmRSS in /proc/{pid}/status")))
}

/// Runs `total` transactions `MULTI; SET x5; EXEC` over [`MULTI_CONNS`]
/// connections, `pipeline` transactions per round trip, and returns
/// transactions per second. Every reply is checked by its exact bytes.
fn multi_exec_bench(port: u16, total: usize, pipeline: usize) -> f64 {
    const TX_REPLY: &[u8] =
        b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*5\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n";
    let per_conn = total.div_ceil(MULTI_CONNS);
    let started = Instant::now();
    let handles: Vec<_> = (0..MULTI_CONNS)
        .map(|c| {
            std::thread::spawn(move || {
                let mut sock = std::net::TcpStream::connect(("127.0.0.1", port))
                    .unwrap_or_else(|e| die(&format!("connect: {e}")));
                let _ = sock.set_nodelay(true);
                let mut batch = Vec::new();
                for t in 0..pipeline {
                    push_cmd(&mut batch, &[b"MULTI"]);
                    for k in 0..5 {
                        let key = format!("tx:{c}:{t}:{k}");
                        push_cmd(&mut batch, &[b"SET", key.as_bytes(), b"value"]);
                    }
                    push_cmd(&mut batch, &[b"EXEC"]);
                }
                let want = TX_REPLY.repeat(pipeline);
                let mut got = vec![0u8; want.len()];
                let mut done = 0;
                while done < per_conn {
                    sock.write_all(&batch)
                        .unwrap_or_else(|e| die(&format!("write: {e}")));
                    sock.read_exact(&mut got)
                        .unwrap_or_else(|e| die(&format!("read: {e}")));
                    if got != want {
                        die(&format!(
                            "unexpected transaction replies: {:?}",
                            String::from_utf8_lossy(&got)
                        ));
                    }
                    done += pipeline;
                }
                done
            })
        })
        .collect();
    let done: usize = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
    done as f64 / started.elapsed().as_secs_f64()
}

/// A bulk reply of the server, or an error reply's text.
fn bulk(s: &ServerProc, args: &[&[u8]]) -> String {
    let reply = s.conn().cmd(args);
    let text = String::from_utf8_lossy(&reply).into_owned();
    match text.split_once("\r\n") {
        Some((head, rest)) if head.starts_with('$') => rest.trim_end_matches("\r\n").to_string(),
        _ => text,
    }
}

/// INFO memory `used_memory`, in bytes.
fn used_memory(s: &ServerProc) -> u64 {
    let info = bulk(s, &[b"INFO", b"memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| die(&format!("no used_memory in INFO memory: {info}")))
}

fn dbsize(s: &ServerProc) -> i64 {
    let reply = s.conn().cmd(&[b"DBSIZE"]);
    let text = String::from_utf8_lossy(&reply);
    text.trim_start_matches(':')
        .trim()
        .parse()
        .unwrap_or_else(|_| die(&format!("DBSIZE answered {text:?}")))
}

/// One memory workload: `keys` keys loaded by `commands` commands.
struct MemWorkload {
    name: &'static str,
    what: &'static str,
    keys: usize,
    /// Commands in `stream` (one reply each).
    commands: usize,
    stream: Vec<u8>,
}

/// Appends one command as a RESP multibulk.
fn push_cmd(out: &mut Vec<u8>, args: &[&[u8]]) {
    write!(ByteWriter(out), "*{}\r\n", args.len()).expect("writing to a Vec cannot fail");
    for a in args {
        write!(ByteWriter(out), "${}\r\n", a.len()).expect("writing to a Vec cannot fail");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// `keys` strings `PREFIX:NNNNNNNNNNNN` set to the 16-byte
/// `val:NNNNNNNNNNNN`, which `appends` APPENDs of the same 16 bytes grow.
fn string_workload(
    name: &'static str,
    what: &'static str,
    prefix: &str,
    keys: usize,
    appends: usize,
) -> MemWorkload {
    let mut out = Vec::with_capacity(keys * (64 + appends * 56));
    for n in 0..keys {
        let k = format!("{prefix}:{n:012}");
        let v = format!("val:{n:012}");
        push_cmd(&mut out, &[b"SET", k.as_bytes(), v.as_bytes()]);
        for _ in 0..appends {
            push_cmd(&mut out, &[b"APPEND", k.as_bytes(), v.as_bytes()]);
        }
    }
    MemWorkload {
        name,
        what,
        keys,
        commands: keys * (1 + appends),
        stream: out,
    }
}

/// The memory workloads: strings, small hashes, sorted sets and intsets,
/// each with its key count scaled by `BENCH_MEM_SCALE` percent (default 100).
fn memory_workloads(scale: usize) -> Vec<MemWorkload> {
    let sc = |n: usize| (n * scale / 100).max(1);
    let mut w = Vec::new();
    w.push(string_workload(
        "strings",
        "`SET key:NNNNNNNNNNNN val:NNNNNNNNNNNN` (16-byte key and value)",
        "key",
        sc(1_000_000),
        0,
    ));
    w.push(string_workload(
        "appended strings",
        "`SET app:N` of 16 bytes, then four `APPEND`s of 16 bytes (raw, 80 bytes)",
        "app",
        sc(200_000),
        4,
    ));
    let keys = sc(1_000_000);
    let mut out = Vec::with_capacity(keys * 260);
    for n in 0..keys {
        let k = format!("hash:{n:011}");
        let fields: Vec<(String, String)> = (0..10)
            .map(|f| (format!("field{f}"), format!("v{f}{n:08}")))
            .collect();
        let mut args: Vec<&[u8]> = vec![b"HSET", k.as_bytes()];
        for (f, v) in &fields {
            args.push(f.as_bytes());
            args.push(v.as_bytes());
        }
        push_cmd(&mut out, &args);
    }
    w.push(MemWorkload {
        name: "hashes",
        what: "`HSET hash:N` with 10 fields `fieldF` of 10-byte values",
        keys,
        commands: keys,
        stream: out,
    });
    let keys = sc(100_000);
    let mut out = Vec::with_capacity(keys * 2600);
    for n in 0..keys {
        let k = format!("zset:{n:011}");
        let members: Vec<(String, String)> = (0..100)
            .map(|m| {
                (
                    format!("{}", (m * 7919 + n) % 100_000),
                    format!("member:{m:04}"),
                )
            })
            .collect();
        let mut args: Vec<&[u8]> = vec![b"ZADD", k.as_bytes()];
        for (sc, m) in &members {
            args.push(sc.as_bytes());
            args.push(m.as_bytes());
        }
        push_cmd(&mut out, &args);
    }
    w.push(MemWorkload {
        name: "sorted sets",
        what: "`ZADD zset:N` with 100 members `member:MMMM` and integer scores",
        keys,
        commands: keys,
        stream: out,
    });
    let keys = sc(1_000_000);
    let mut out = Vec::with_capacity(keys * 70);
    for n in 0..keys {
        let k = format!("set:{n:012}");
        let m: Vec<String> = (0..5).map(|i| ((n + i * 37) % 1000).to_string()).collect();
        let mut args: Vec<&[u8]> = vec![b"SADD", k.as_bytes()];
        for x in &m {
            args.push(x.as_bytes());
        }
        push_cmd(&mut out, &args);
    }
    w.push(MemWorkload {
        name: "sets",
        what: "`SADD set:N` with 5 small integers (intset)",
        keys,
        commands: keys,
        stream: out,
    });
    w
}

/// `fmt::Write` into a byte vector.
struct ByteWriter<'a>(&'a mut Vec<u8>);
impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Bytes per key measured on one fresh server.
struct MemResult {
    rss_per_key: f64,
    used_per_key: f64,
}

fn measure_memory(bin: &str, cli: &str, load: &MemWorkload) -> MemResult {
    let (stream, keys) = (&load.stream[..], load.keys);
    let s = ServerProc::start_bin(bin, &[]);
    std::thread::sleep(Duration::from_millis(300));
    let rss_before = rss_bytes(s.child.id());
    let used_before = used_memory(&s);
    let port = s.port.to_string();
    let r = run(
        cli,
        &["-h", "127.0.0.1", "-p", &port, "--pipe"],
        Some(stream),
        Duration::from_secs(600),
    );
    let want = format!("errors: 0, replies: {}", load.commands);
    if !r.status.success() || !r.stdout.contains(&want) {
        die(&format!(
            "redis-cli --pipe into {bin} failed: {:?}\n{}\n{}",
            r.status, r.stdout, r.stderr
        ));
    }
    let n = dbsize(&s);
    if n != keys as i64 {
        die(&format!("{bin} holds {n} keys after loading {keys}"));
    }
    // Let the server finish any deferred work (e.g. incremental rehash in
    // cron) before sampling.
    std::thread::sleep(Duration::from_secs(1));
    let rss_after = rss_bytes(s.child.id());
    let used_after = used_memory(&s);
    MemResult {
        rss_per_key: (rss_after as f64 - rss_before as f64) / keys as f64,
        used_per_key: (used_after as f64 - used_before as f64) / keys as f64,
    }
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let n = env_usize("BENCH_N", 300_000).max(1);
    let (rust_bin, redis_bin) = server_bins();
    let bench = tool("redis-benchmark");
    let cli = tool("redis-cli");
    let version = run(&redis_bin, &["--version"], None, Duration::from_secs(10)).stdout;

    // ---- throughput ----
    let servers = [
        (REDIS, ServerProc::start_bin(&redis_bin, &[])),
        (RUSTREDIS, ServerProc::start_bin(&rust_bin, &[])),
    ];
    // (pipeline, test) -> server -> samples
    let mut rps: BTreeMap<(usize, String), BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut p50: BTreeMap<(usize, String), BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut p99: BTreeMap<(usize, String), BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut test_order: Vec<String> = Vec::new();
    let n_s = n.to_string();
    let multi_n = (n / 5).max(MULTI_CONNS);
    let groups: Vec<String> = match std::env::var("BENCH_TESTS") {
        Ok(t) if !t.is_empty() => t.split(';').map(str::to_string).collect(),
        _ => TEST_GROUPS.iter().map(|g| g.to_string()).collect(),
    };
    let started = Instant::now();
    // (pipeline, group) -> server -> server CPU µs per request
    let mut cpu: BTreeMap<(usize, String), BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    for round in 1..=rounds {
        for pipeline in [1usize, 16] {
            let p_s = pipeline.to_string();
            for group in &groups {
                for (name, s) in &servers {
                    flushall(s);
                    let port = s.port.to_string();
                    let args = [
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &port,
                        "-t",
                        group,
                        "-n",
                        &n_s,
                        "-c",
                        "50",
                        "-r",
                        "1000000",
                        "-P",
                        &p_s,
                        "--csv",
                    ];
                    let cpu_before = cpu_micros(s.child.id());
                    let r = run(&bench, &args, None, Duration::from_secs(1800));
                    let cpu_used = cpu_micros(s.child.id()) - cpu_before;
                    if !r.status.success() {
                        die(&format!(
                            "redis-benchmark against {name} failed: {:?}\n{}",
                            r.status, r.stderr
                        ));
                    }
                    let rows = parse_csv(&r.stdout);
                    if rows.is_empty() {
                        die(&format!(
                            "redis-benchmark -t {group} against {name} printed no rows:\n{}",
                            r.stdout
                        ));
                    }
                    let requests = (n * rows.len()) as f64;
                    cpu.entry((pipeline, group.to_string()))
                        .or_default()
                        .entry(name)
                        .or_default()
                        .push(cpu_used / requests);
                    for row in rows {
                        eprintln!(
                            "round {round}/{rounds} -P {pipeline:>2} {name:<9} {:<16} {:>12.2} rps  p50 {} ms  p99 {} ms",
                            row.test,
                            row.rps,
                            fmt_opt(row.p50_ms, 3),
                            fmt_opt(row.p99_ms, 3)
                        );
                        if !test_order.contains(&row.test) {
                            test_order.push(row.test.clone());
                        }
                        let key = (pipeline, row.test.clone());
                        rps.entry(key.clone())
                            .or_default()
                            .entry(name)
                            .or_default()
                            .push(row.rps);
                        if let Some(p) = row.p50_ms {
                            p50.entry(key.clone())
                                .or_default()
                                .entry(name)
                                .or_default()
                                .push(p);
                        }
                        if let Some(p) = row.p99_ms {
                            p99.entry(key).or_default().entry(name).or_default().push(p);
                        }
                    }
                }
            }
            // MULTI / SET x5 / EXEC, one transaction counted as one request.
            let test = "MULTI+5xSET+EXEC".to_string();
            for (name, s) in &servers {
                flushall(s);
                let cpu_before = cpu_micros(s.child.id());
                let tps = multi_exec_bench(s.port, multi_n, pipeline);
                let cpu_used = cpu_micros(s.child.id()) - cpu_before;
                eprintln!(
                    "round {round}/{rounds} -P {pipeline:>2} {name:<9} {test:<16} {tps:>12.2} tx/s"
                );
                if !test_order.contains(&test) {
                    test_order.push(test.clone());
                }
                rps.entry((pipeline, test.clone()))
                    .or_default()
                    .entry(name)
                    .or_default()
                    .push(tps);
                cpu.entry((pipeline, test.clone()))
                    .or_default()
                    .entry(name)
                    .or_default()
                    .push(cpu_used / multi_n as f64);
            }
        }
    }
    let throughput_secs = started.elapsed().as_secs_f64();
    drop(servers);

    // ---- memory ----
    let workloads = memory_workloads(env_usize("BENCH_MEM_SCALE", 100).max(1));
    let mem: Vec<(MemResult, MemResult)> = workloads
        .iter()
        .map(|w| {
            let a = measure_memory(&redis_bin, &cli, w);
            let b = measure_memory(&rust_bin, &cli, w);
            eprintln!(
                "memory {}: redis {:.1} B/key, rustredis {:.1} B/key (RSS)",
                w.name, a.rss_per_key, b.rss_per_key
            );
            (a, b)
        })
        .collect();

    // ---- report ----
    let mut md = String::new();
    let _ = writeln!(md, "# rustredis vs redis-server: side by side\n");
    let _ = writeln!(
        md,
        "redis-benchmark -t GROUP -n {n} -c 50 -r 1000000 --csv for each group of {groups:?}, at -P 1 and -P 16, \
         plus MULTI, 5 SETs, EXEC over {MULTI_CONNS} connections ({multi_n} transactions); \
         {rounds} round(s) alternating redis / rustredis, median of the rounds. \
         Both servers: 127.0.0.1, --save \"\" --appendonly no. Reference: {}. \
         Machine: {} CPU(s). Throughput phase took {throughput_secs:.0} s.\n",
        version.trim(),
        cpu_count(),
    );
    let _ = writeln!(
        md,
        "| test | pipeline | redis rps | rustredis rps | ratio (rustredis/redis) | redis p50 ms | rustredis p50 ms | redis p99 ms | rustredis p99 ms |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for pipeline in [1usize, 16] {
        for test in &test_order {
            let key = (pipeline, test.clone());
            let get = |m: &BTreeMap<(usize, String), BTreeMap<&str, Vec<f64>>>, who: &str| {
                m.get(&key)
                    .and_then(|x| x.get(who))
                    .and_then(|v| median(v.clone()))
            };
            let (a, b) = (get(&rps, REDIS), get(&rps, RUSTREDIS));
            let ratio = ratio(a, b);
            let _ = writeln!(
                md,
                "| {test} | {pipeline} | {} | {} | {} | {} | {} | {} | {} |",
                fmt_opt(a, 0),
                fmt_opt(b, 0),
                fmt_opt(ratio, 2),
                fmt_opt(get(&p50, REDIS), 3),
                fmt_opt(get(&p50, RUSTREDIS), 3),
                fmt_opt(get(&p99, REDIS), 3),
                fmt_opt(get(&p99, RUSTREDIS), 3),
            );
        }
    }
    let _ = writeln!(
        md,
        "\nServer CPU per request (user + system time of the server process over each \
         redis-benchmark run, divided by the requests of that run; a transaction counts once):\n"
    );
    let _ = writeln!(
        md,
        "| run | pipeline | redis µs/op | rustredis µs/op | ratio (redis/rustredis, > 1 is better) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for ((pipeline, group), by) in &cpu {
        let a = by.get(REDIS).and_then(|v| median(v.clone()));
        let b = by.get(RUSTREDIS).and_then(|v| median(v.clone()));
        let ratio = ratio(b, a);
        let _ = writeln!(
            md,
            "| {group} | {pipeline} | {} | {} | {} |",
            fmt_opt(a, 2),
            fmt_opt(b, 2),
            fmt_opt(ratio, 2)
        );
    }
    let _ = writeln!(
        md,
        "\nMemory: each workload is loaded with redis-cli --pipe into a fresh server of each kind; \
         bytes per key are (after - before) / keys.\n"
    );
    let _ = writeln!(
        md,
        "| workload | keys | redis RSS B/key | rustredis RSS B/key | ratio | redis used_memory B/key | rustredis used_memory B/key | ratio |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let ratio_cell = |a: f64, b: f64| fmt_opt(ratio(Some(a), Some(b)), 2);
    for (w, (r, o)) in workloads.iter().zip(&mem) {
        let _ = writeln!(
            md,
            "| {}: {} | {} | {:.1} | {:.1} | {} | {:.1} | {:.1} | {} |",
            w.name,
            w.what,
            w.keys,
            r.rss_per_key,
            o.rss_per_key,
            ratio_cell(r.rss_per_key, o.rss_per_key),
            r.used_per_key,
            o.used_per_key,
            ratio_cell(r.used_per_key, o.used_per_key)
        );
    }

    write_report("bench-report.md", &md);
}
