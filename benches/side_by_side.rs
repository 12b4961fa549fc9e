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
//! `redis-benchmark -t set,get,incr,mset -n N -c 50 -r 1000000 --csv`
//! against redis-server and then against rustredis (A B A B ...), with a
//! FLUSHALL before every run so each starts from an empty keyspace. N is
//! 1,000,000 unless `BENCH_N` says otherwise (use e.g. `BENCH_N=50000
//! BENCH_ROUNDS=1` for a quick check). The reported value per row is the
//! median over the rounds of requests/s, and of the p50 and p99 latencies
//! when the CSV has them (redis-benchmark 7's `--csv` prints
//! avg/min/p50/p95/p99/max).
//!
//! Why alternate: the machine is shared and its speed drifts (thermal state,
//! other jobs). Interleaving the two servers spreads drift over both, and
//! the median drops the odd disturbed run.
//!
//! **Memory.** A fresh server of each kind gets 1,000,000 keys
//! `key:NNNNNNNNNNNN` (12 digits, zero-padded: 16 bytes) holding 16-byte
//! values `val:NNNNNNNNNNNN`, loaded with `redis-cli --pipe` from a RESP
//! stream built in memory. It reports (RSS after − RSS before) / 1e6 from
//! `/proc/PID/status` `VmRSS`, and the same for INFO memory `used_memory`,
//! as bytes per key, with the ratio rustredis/redis.
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

#[path = "../tests/common/mod.rs"]
mod common;

use common::ServerProc;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The server names, in the order they are run and printed.
const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";
/// The tests asked of redis-benchmark, in its CSV's names and order.
const TESTS: &str = "set,get,incr,mset";
/// Keys loaded for the memory measurement.
const MEMORY_KEYS: usize = 1_000_000;

/// One CSV row of redis-benchmark: test name, requests/s, and the p50 and
/// p99 latencies (ms) when the CSV has those columns.
#[derive(Debug, Clone)]
struct Row {
    test: String,
    rps: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

/// What a finished child process printed.
struct Run {
    status: std::process::ExitStatus,
    stdout: String,
    stderr: String,
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| die(&format!("{name}={v:?} is not a positive integer"))),
        Err(_) => default,
    }
}

fn die(msg: &str) -> ! {
    eprintln!("side_by_side: {msg}");
    std::process::exit(1);
}

/// A tool from redis-tools, found in /usr/bin, /usr/local/bin or PATH.
fn tool(name: &str) -> String {
    let mut candidates = vec![
        PathBuf::from("/usr/bin").join(name),
        PathBuf::from("/usr/local/bin").join(name),
    ];
    if let Some(paths) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&paths).map(|d| d.join(name)));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| die(&format!("{name} not found: apt-get install redis-tools")))
}

/// Runs `bin args...`, feeding `stdin` from a thread, collecting output;
/// kills the child and exits after `timeout`.
fn run(bin: &str, args: &[&str], stdin: Option<&[u8]>, timeout: Duration) -> Run {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| die(&format!("spawn {bin}: {e}")));
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    std::thread::scope(|scope| {
        if let Some(data) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            scope.spawn(move || {
                // An early exit of the child shows in its status and output.
                let _ = pipe.write_all(data);
            });
        }
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    die(&format!("{bin} {args:?} did not finish within {timeout:?}"));
                }
                Err(e) => die(&format!("wait for {bin}: {e}")),
            }
        };
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        Run {
            status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    })
}

/// Splits one CSV line of redis-benchmark (`"a","b",...`) into fields.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.trim_end_matches(['\r', '\n']).chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Parses redis-benchmark `--csv` output: a header naming the columns
/// (`test`, `rps`, ..., `p50_latency_ms`, ...) then one row per test.
fn parse_csv(out: &str) -> Vec<Row> {
    let mut lines = out.lines().filter(|l| l.starts_with('"'));
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let header = csv_fields(header);
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(test_i), Some(rps_i)) = (col("test"), col("rps")) else {
        die(&format!(
            "unexpected redis-benchmark CSV header: {header:?}"
        ));
    };
    let p50_i = col("p50_latency_ms");
    let p99_i = col("p99_latency_ms");
    lines
        .filter_map(|l| {
            let f = csv_fields(l);
            let rps = f.get(rps_i)?.parse().ok()?;
            Some(Row {
                test: f.get(test_i)?.clone(),
                rps,
                p50_ms: p50_i.and_then(|i| f.get(i)).and_then(|v| v.parse().ok()),
                p99_ms: p99_i.and_then(|i| f.get(i)).and_then(|v| v.parse().ok()),
            })
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

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

fn flushall(s: &ServerProc) {
    let reply = s.conn().cmd(&[b"FLUSHALL"]);
    if reply != b"+OK\r\n" {
        die(&format!(
            "FLUSHALL answered {:?}",
            String::from_utf8_lossy(&reply)
        ));
    }
}

/// The RESP stream `SET key:NNNNNNNNNNNN val:NNNNNNNNNNNN` for 0..count.
fn memory_load_stream(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 64);
    for n in 0..count {
        write!(
            ByteWriter(&mut out),
            "*3\r\n$3\r\nSET\r\n$16\r\nkey:{n:012}\r\n$16\r\nval:{n:012}\r\n"
        )
        .expect("writing to a Vec cannot fail");
    }
    out
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
    rss_after: u64,
}

fn measure_memory(bin: &str, cli: &str, stream: &[u8]) -> MemResult {
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
    let want = format!("errors: 0, replies: {MEMORY_KEYS}");
    if !r.status.success() || !r.stdout.contains(&want) {
        die(&format!(
            "redis-cli --pipe into {bin} failed: {:?}\n{}\n{}",
            r.status, r.stdout, r.stderr
        ));
    }
    let n = dbsize(&s);
    if n != MEMORY_KEYS as i64 {
        die(&format!("{bin} holds {n} keys after loading {MEMORY_KEYS}"));
    }
    // Let the server finish any deferred work (e.g. incremental rehash in
    // cron) before sampling.
    std::thread::sleep(Duration::from_secs(1));
    let rss_after = rss_bytes(s.child.id());
    let used_after = used_memory(&s);
    MemResult {
        rss_per_key: (rss_after as f64 - rss_before as f64) / MEMORY_KEYS as f64,
        used_per_key: (used_after as f64 - used_before as f64) / MEMORY_KEYS as f64,
        rss_after,
    }
}

fn fmt_opt(v: Option<f64>, prec: usize) -> String {
    v.map(|x| format!("{x:.prec$}"))
        .unwrap_or_else(|| "n/a".to_string())
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let n = env_usize("BENCH_N", 1_000_000).max(1);
    let rust_bin = match std::env::var("RUSTREDIS_BIN") {
        Ok(b) if !b.is_empty() => b,
        _ => env!("CARGO_BIN_EXE_rustredis").to_string(),
    };
    let redis_bin = common::oracle_bin();
    for b in [&rust_bin, &redis_bin] {
        if !Path::new(b).is_file() {
            die(&format!("server binary {b} not found"));
        }
    }
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
    let started = Instant::now();
    for round in 1..=rounds {
        for pipeline in [1usize, 16] {
            let p_s = pipeline.to_string();
            for (name, s) in &servers {
                flushall(s);
                let port = s.port.to_string();
                let args = [
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-t",
                    TESTS,
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
                let r = run(&bench, &args, None, Duration::from_secs(1800));
                if !r.status.success() {
                    die(&format!(
                        "redis-benchmark against {name} failed: {:?}\n{}",
                        r.status, r.stderr
                    ));
                }
                let rows = parse_csv(&r.stdout);
                if rows.len() != 4 {
                    die(&format!(
                        "redis-benchmark against {name} printed {} rows:\n{}",
                        rows.len(),
                        r.stdout
                    ));
                }
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
    }
    let throughput_secs = started.elapsed().as_secs_f64();
    drop(servers);

    // ---- memory ----
    let stream = memory_load_stream(MEMORY_KEYS);
    let mem_redis = measure_memory(&redis_bin, &cli, &stream);
    let mem_rust = measure_memory(&rust_bin, &cli, &stream);

    // ---- report ----
    let mut md = String::new();
    let _ = writeln!(md, "# rustredis vs redis-server: side by side\n");
    let _ = writeln!(
        md,
        "redis-benchmark -t {TESTS} -n {n} -c 50 -r 1000000 --csv, at -P 1 and -P 16; \
         {rounds} round(s) alternating redis / rustredis, median of the rounds. \
         Both servers: 127.0.0.1, --save \"\" --appendonly no. Reference: {}. \
         Machine: {} CPU(s). Throughput phase took {throughput_secs:.0} s.\n",
        version.trim(),
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1),
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
            let ratio = match (a, b) {
                (Some(a), Some(b)) if a > 0.0 => Some(b / a),
                _ => None,
            };
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
        "\nMemory: {MEMORY_KEYS} keys `key:NNNNNNNNNNNN` (16 bytes) with 16-byte values, loaded with redis-cli --pipe \
         into a fresh server; (after - before) / {MEMORY_KEYS}.\n"
    );
    let _ = writeln!(
        md,
        "| measure | redis | rustredis | ratio (rustredis/redis) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|");
    let ratio = |a: f64, b: f64| {
        if a > 0.0 {
            format!("{:.2}", b / a)
        } else {
            "n/a".to_string()
        }
    };
    let _ = writeln!(
        md,
        "| RSS bytes/key | {:.1} | {:.1} | {} |",
        mem_redis.rss_per_key,
        mem_rust.rss_per_key,
        ratio(mem_redis.rss_per_key, mem_rust.rss_per_key)
    );
    let _ = writeln!(
        md,
        "| used_memory bytes/key | {:.1} | {:.1} | {} |",
        mem_redis.used_per_key,
        mem_rust.used_per_key,
        ratio(mem_redis.used_per_key, mem_rust.used_per_key)
    );
    let _ = writeln!(
        md,
        "| RSS after load (MB) | {:.1} | {:.1} | {} |",
        mem_redis.rss_after as f64 / 1e6,
        mem_rust.rss_after as f64 / 1e6,
        ratio(mem_redis.rss_after as f64, mem_rust.rss_after as f64)
    );

    print!("{md}");
    // target/release/rustredis -> target/bench-report.md
    let target_dir = Path::new(env!("CARGO_BIN_EXE_rustredis"))
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"));
    let report = target_dir.join("bench-report.md");
    match std::fs::write(&report, &md) {
        Ok(()) => eprintln!("report written to {}", report.display()),
        Err(e) => die(&format!("write {}: {e}", report.display())),
    }
}
