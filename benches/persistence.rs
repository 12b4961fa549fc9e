//! Persistence benchmark: rustredis against Debian's redis-server 7.0.15 in
//! one run, on this machine (issue 6 item 9).
//!
//! Run with `cargo bench --bench persistence` (a `harness = false` bench:
//! this `main` is the whole program). `RUSTREDIS_BIN` overrides the
//! binary Cargo built, `REDIS_ORACLE_BIN` overrides `/usr/bin/redis-server`;
//! `redis-cli` and `redis-benchmark` come from Debian's redis-tools.
//!
//! # What it measures
//!
//! One dataset of `BENCH_KEYS` keys (default 1,000,000) is built in memory
//! as a RESP stream and loaded into a fresh server of each kind with
//! `redis-cli --pipe`. Per 100 keys: 60 strings (`key:NNNNNNNNNNNN`, values
//! of 16 to 112 bytes, some integers), 15 small hashes (5 fields, listpack),
//! 10 lists of 10 elements, 4 integer sets and 3 string sets of 8 members,
//! 7 sorted sets of 8 members, and 1 large value of 200 elements cycling
//! through hash, sorted set, set and list (the hashtable and skiplist
//! encodings). The string keys are numbered first, so `redis-benchmark -r`
//! only ever GETs strings.
//!
//! Then, for each of `BENCH_ROUNDS` rounds (default 3), for redis-server and
//! then rustredis (alternating, so drift of the shared machine spreads over
//! both):
//! - **SAVE**: the wall time of one `SAVE` round trip, and the size of the
//!   `dump.rdb` it wrote;
//! - **load**: the server is stopped (`SHUTDOWN NOSAVE`) and started again on
//!   that file; the figure is the "DB loaded from disk: X seconds" of its
//!   log, and the time from spawning it until PING answers `+PONG` (not
//!   `-LOADING`) is reported beside it;
//! - **GET p99**: `redis-benchmark -t get -n BENCH_GETS -c 50 -r <strings>`
//!   (default 200,000 requests) once on the idle server and once while
//!   background saves run back to back (a thread starts a new BGSAVE as soon
//!   as the previous one ended, so forks and copy-on-write overlap the whole
//!   run); the p99 column of `--csv`. INFO `latest_fork_usec` after that
//!   run gives the fork pause, the part of a BGSAVE's cost every client
//!   pays at once.
//!
//! The table gives the median over the rounds of each figure, with the ratio
//! rustredis/redis, and for each server the ratio of p99 during BGSAVE to
//! p99 idle (the issue's target: ≤ 2).
//!
//! # Output
//!
//! A markdown report on stdout, also written to
//! `target/bench-persistence.md`; per-run numbers go to stderr as they come.
//!
//! # Limitations
//!
//! The client, both servers and their children share the machine's cores;
//! on a 2-core machine the BGSAVE child competes with the server and the
//! client for CPU, so the "during BGSAVE" p99 measures contention as much as
//! fork and copy-on-write costs. SAVE and load times include the page cache
//! (the file is written and read back at once), not cold disk reads.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{Run, die, env_usize, fmt_opt, median, parse_csv, ratio, run, server_bins, tool};

use common::ServerProc;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";

/// Appends one command as a RESP multibulk.
fn push_cmd(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// The mixed dataset (see the module docs): the RESP stream, the number of
/// commands in it, and how many string keys come first.
fn build_dataset(keys: usize) -> (Vec<u8>, usize, usize) {
    let strings = keys * 60 / 100;
    let mut out = Vec::with_capacity(keys * 120);
    let mut cmds = 0usize;
    for n in 0..strings {
        let k = format!("key:{n:012}");
        let v = if n % 5 == 0 {
            (n * 7919 % 1_000_000).to_string()
        } else {
            "v".repeat(16 + (n * 31) % 97)
        };
        push_cmd(&mut out, &[b"SET", k.as_bytes(), v.as_bytes()]);
        cmds += 1;
    }
    // The other 40 of each 100 keys.
    let mut large = 0usize;
    for n in 0..keys - strings {
        let slot = n % 40;
        let mut args: Vec<Vec<u8>> = Vec::new();
        if slot < 15 {
            args.push(b"HSET".to_vec());
            args.push(format!("hash:{n}").into_bytes());
            for f in 0..5 {
                args.push(format!("field{f}").into_bytes());
                args.push(format!("value-{f}-{n}").into_bytes());
            }
        } else if slot < 25 {
            args.push(b"RPUSH".to_vec());
            args.push(format!("list:{n}").into_bytes());
            for e in 0..10 {
                args.push(format!("element-{e}-{}", n % 1000).into_bytes());
            }
        } else if slot < 29 {
            args.push(b"SADD".to_vec());
            args.push(format!("iset:{n}").into_bytes());
            for m in 0..8 {
                args.push(((n + m * 101) % 100_000).to_string().into_bytes());
            }
        } else if slot < 32 {
            args.push(b"SADD".to_vec());
            args.push(format!("sset:{n}").into_bytes());
            for m in 0..8 {
                args.push(format!("member-{m}-{}", n % 5000).into_bytes());
            }
        } else if slot < 39 {
            args.push(b"ZADD".to_vec());
            args.push(format!("zset:{n}").into_bytes());
            for m in 0..8 {
                args.push(format!("{}.5", (n + m) % 1000).into_bytes());
                args.push(format!("m{m}").into_bytes());
            }
        } else {
            let (cmd, prefix) = match large % 4 {
                0 => ("HSET", "bighash"),
                1 => ("ZADD", "bigzset"),
                2 => ("SADD", "bigset"),
                _ => ("RPUSH", "biglist"),
            };
            large += 1;
            args.push(cmd.as_bytes().to_vec());
            args.push(format!("{prefix}:{n}").into_bytes());
            for e in 0..200 {
                match cmd {
                    "HSET" => {
                        args.push(format!("field:{e}").into_bytes());
                        args.push(format!("a-somewhat-longer-value-{e}-{n}").into_bytes());
                    }
                    "ZADD" => {
                        args.push(format!("{}", (e * 37 + n) % 10_000).into_bytes());
                        args.push(format!("member:{e}:{}", n % 100).into_bytes());
                    }
                    _ => args.push(format!("element:{e}:{}", n % 100).into_bytes()),
                }
            }
        }
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        push_cmd(&mut out, &refs);
        cmds += 1;
    }
    (out, cmds, strings)
}

/// A reply of the server to one command, as text.
fn cmd(port: u16, args: &[&[u8]]) -> String {
    String::from_utf8_lossy(&common::Conn::connect(port).cmd(args)).into_owned()
}

fn info_field(port: u16, section: &str, field: &str) -> Option<String> {
    let t = cmd(port, &[b"INFO", section.as_bytes()]);
    common::info_field(&t, field)
}

/// The "DB loaded from disk: X seconds" figure of a log.
fn loaded_from_disk(log: &str) -> Option<f64> {
    log.lines().rev().find_map(|l| {
        let i = l.find("DB loaded from disk: ")?;
        l[i + "DB loaded from disk: ".len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// Picks one metric's samples.
type Metric = fn(&Samples) -> &Vec<f64>;

/// Samples per metric per server.
#[derive(Default)]
struct Samples {
    save_s: Vec<f64>,
    size: Vec<f64>,
    load_s: Vec<f64>,
    ready_s: Vec<f64>,
    p99_idle: Vec<f64>,
    p99_bgsave: Vec<f64>,
    bgsaves: Vec<f64>,
    fork_ms: Vec<f64>,
}

/// Starts `bin` on `dir` and waits until PING answers +PONG; returns the
/// server and the seconds from spawn to +PONG.
fn start_loaded(bin: &str, dir: &Path) -> (ServerProc, f64) {
    let dir_s = dir.display().to_string();
    let t0 = Instant::now();
    let sp = ServerProc::start_bin(bin, &["--dir", &dir_s]);
    loop {
        if cmd(sp.port, &[b"PING"]) == "+PONG\r\n" {
            break;
        }
        if t0.elapsed() > Duration::from_secs(600) {
            die(&format!("{bin} did not finish loading within 600 s"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    (sp, t0.elapsed().as_secs_f64())
}

/// GET p99 with redis-benchmark; with `bgsave`, a thread keeps background
/// saves running back to back meanwhile. Returns (p99 ms, saves started).
fn get_p99(bench: &str, port: u16, gets: usize, strings: usize, bgsave: bool) -> (f64, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let saver = bgsave.then(|| {
        let (stop, started) = (stop.clone(), started.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let running = info_field(port, "persistence", "rdb_bgsave_in_progress");
                if running.as_deref() == Some("0") {
                    let r = cmd(port, &[b"BGSAVE"]);
                    if r.starts_with("+Background saving started") {
                        started.fetch_add(1, Ordering::SeqCst);
                    }
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    });
    if bgsave {
        // Let the first fork happen before the clients start.
        let t0 = Instant::now();
        while started.load(Ordering::SeqCst) == 0 && t0.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    let port_s = port.to_string();
    let n_s = gets.to_string();
    let r_s = strings.to_string();
    let Run {
        status,
        stdout: out,
        stderr: err,
    } = run(
        bench,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port_s,
            "-t",
            "get",
            "-n",
            &n_s,
            "-c",
            "50",
            "-r",
            &r_s,
            "--csv",
        ],
        None,
        Duration::from_secs(600),
    );
    stop.store(true, Ordering::SeqCst);
    if let Some(h) = saver {
        let _ = h.join();
    }
    // Wait for the last save, so the next measurement starts clean.
    while info_field(port, "persistence", "rdb_bgsave_in_progress").as_deref() == Some("1") {
        std::thread::sleep(Duration::from_millis(20));
    }
    if !status.success() {
        die(&format!("redis-benchmark failed: {err}"));
    }
    let p99 = parse_csv(&out)
        .into_iter()
        .find(|r| r.test == "GET")
        .and_then(|r| r.p99_ms)
        .unwrap_or_else(|| die(&format!("no GET p99 in: {out}")));
    (p99, started.load(Ordering::SeqCst))
}

fn main() {
    let keys = env_usize("BENCH_KEYS", 1_000_000).max(100);
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let gets = env_usize("BENCH_GETS", 200_000).max(1000);
    let (rust_bin, redis_bin) = server_bins();
    let bench = tool("redis-benchmark");
    let cli = tool("redis-cli");
    let started = Instant::now();

    let (stream, cmds, strings) = build_dataset(keys);
    eprintln!(
        "dataset: {keys} keys ({strings} strings), {} MB of RESP",
        stream.len() >> 20
    );

    // Fill each server once and save; later rounds restart from the file.
    let mut dirs: Vec<(&str, String, PathBuf)> = Vec::new();
    let mut live: Vec<ServerProc> = Vec::new();
    for (name, bin) in [(REDIS, &redis_bin), (RUSTREDIS, &rust_bin)] {
        let sp = ServerProc::start_bin(bin, &[]);
        let port = sp.port.to_string();
        let t0 = Instant::now();
        let Run {
            status,
            stdout: out,
            stderr: err,
        } = run(
            &cli,
            &["-h", "127.0.0.1", "-p", &port, "--pipe"],
            Some(&stream),
            Duration::from_secs(1800),
        );
        let want = format!("errors: 0, replies: {cmds}");
        if !status.success() || !out.contains(&want) {
            die(&format!(
                "redis-cli --pipe into {name} failed:\n{out}\n{err}"
            ));
        }
        let n = cmd(sp.port, &[b"DBSIZE"]);
        if n.trim() != format!(":{keys}") {
            die(&format!("{name} holds {n:?} keys, expected {keys}"));
        }
        eprintln!("{name}: filled in {:.1} s", t0.elapsed().as_secs_f64());
        dirs.push((name, bin.clone(), sp.dir.clone()));
        live.push(sp);
    }

    let mut samples: Vec<Samples> = vec![Samples::default(), Samples::default()];
    for round in 1..=rounds {
        for (i, (name, bin, dir)) in dirs.iter().enumerate() {
            let port = live[i].port;
            // SAVE time and file size.
            let t0 = Instant::now();
            let r = cmd(port, &[b"SAVE"]);
            let save_s = t0.elapsed().as_secs_f64();
            if r != "+OK\r\n" {
                die(&format!("SAVE on {name} answered {r:?}"));
            }
            let size = std::fs::metadata(dir.join("dump.rdb"))
                .map(|m| m.len())
                .unwrap_or_else(|e| die(&format!("{name}: dump.rdb: {e}")));
            // Restart on the file.
            let mut c = common::Conn::connect(port);
            c.send_raw(b"SHUTDOWN NOSAVE\r\n");
            let _ = c.read_eof();
            let mut old = live.remove(i);
            let _ = old.wait_exit(Duration::from_secs(30));
            // The first server's scratch dir holds the data: dropping it
            // must not remove it (later ones run in their own scratch dir
            // with `--dir` pointing at the data).
            if old.dir == *dir {
                old.dir = PathBuf::from("/nonexistent-bench-dir");
            }
            drop(old);
            let (sp, ready_s) = start_loaded(bin, dir);
            let load_s = loaded_from_disk(&sp.log())
                .unwrap_or_else(|| die(&format!("{name}: no 'DB loaded from disk' line")));
            let n = cmd(sp.port, &[b"DBSIZE"]);
            if n.trim() != format!(":{keys}") {
                die(&format!("{name} loaded {n:?} keys, expected {keys}"));
            }
            let port = sp.port;
            live.insert(i, sp);
            let (p99_idle, _) = get_p99(&bench, port, gets, strings, false);
            let (p99_bg, saves) = get_p99(&bench, port, gets, strings, true);
            let fork_ms = info_field(port, "stats", "latest_fork_usec")
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1000.0;
            eprintln!(
                "round {round} {name}: SAVE {save_s:.3} s, {size} bytes, load {load_s:.3} s (PONG after {ready_s:.3} s), GET p99 {p99_idle:.3} ms idle, {p99_bg:.3} ms during {saves} BGSAVEs (fork {fork_ms:.1} ms)"
            );
            let s = &mut samples[i];
            s.save_s.push(save_s);
            s.size.push(size as f64);
            s.load_s.push(load_s);
            s.ready_s.push(ready_s);
            s.p99_idle.push(p99_idle);
            s.p99_bgsave.push(p99_bg);
            s.bgsaves.push(saves as f64);
            s.fork_ms.push(fork_ms);
        }
    }

    let mut rep = String::new();
    let _ = writeln!(
        rep,
        "# Persistence: rustredis vs redis-server 7.0.15\n\n{keys} mixed keys, {rounds} rounds (medians), GET p99 over {gets} requests, 50 clients.\n"
    );
    let _ = writeln!(rep, "| metric | redis | rustredis | rustredis/redis |");
    let _ = writeln!(rep, "|---|---:|---:|---:|");
    let rows: [(&str, Metric, usize); 8] = [
        ("SAVE time (s)", |s| &s.save_s, 3),
        ("RDB file size (bytes)", |s| &s.size, 0),
        ("load time, DB loaded from disk (s)", |s| &s.load_s, 3),
        ("start to PONG (s)", |s| &s.ready_s, 3),
        ("GET p99 idle (ms)", |s| &s.p99_idle, 3),
        ("GET p99 during BGSAVE (ms)", |s| &s.p99_bgsave, 3),
        ("BGSAVEs during the GET run", |s| &s.bgsaves, 0),
        ("fork time, latest_fork_usec (ms)", |s| &s.fork_ms, 1),
    ];
    for (label, get, prec) in rows {
        let a = median(get(&samples[0]).clone());
        let b = median(get(&samples[1]).clone());
        let ratio = ratio(a, b);
        let _ = writeln!(
            rep,
            "| {label} | {} | {} | {} |",
            fmt_opt(a, prec),
            fmt_opt(b, prec),
            fmt_opt(ratio, 2)
        );
    }
    let _ = writeln!(
        rep,
        "\n| server | p99 during BGSAVE / p99 idle |\n|---|---:|"
    );
    for (i, name) in [REDIS, RUSTREDIS].iter().enumerate() {
        let idle = median(samples[i].p99_idle.clone());
        let bg = median(samples[i].p99_bgsave.clone());
        let r = ratio(idle, bg);
        let _ = writeln!(rep, "| {name} | {} |", fmt_opt(r, 2));
    }
    let _ = writeln!(
        rep,
        "\nTotal bench time: {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    print!("{rep}");
    let target = Path::new(&rust_bin)
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("bench-persistence.md"));
    if let Some(t) = target {
        let _ = std::fs::write(t, &rep);
    }
    drop(live);
    for (_, _, dir) in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
