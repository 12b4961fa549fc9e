//! Data-type benchmark (issue 9): streams, HyperLogLog, bitmaps and geo,
//! rustredis against Debian's redis-server 7.0.15 in one run.
//!
//! Run with `cargo bench --bench datatypes` (a `harness = false` bench).
//! Binaries and tools are found as for `side_by_side` (`RUSTREDIS_BIN`,
//! `REDIS_ORACLE_BIN`, redis-tools' `redis-benchmark`).
//!
//! # What it measures
//!
//! Both servers are started once with the same settings. Each row of
//! [`WORKLOADS`] is one command, sent by this program's own load client
//! (`redis-benchmark` cannot make the numbers these commands need: its
//! `__rand_int__` is a zero-padded 12-digit string, which SETBIT refuses as
//! an offset and GEOADD as a coordinate). [`CONNS`] connections, driven
//! from one thread with non-blocking sockets as redis-benchmark drives
//! them, send `P` commands per round trip until `N` requests are done
//! between them; every reply is framed and error replies are counted.
//!
//! | row | command | data set up first |
//! |---|---|---|
//! | XADD MAXLEN ~ 1000 | `XADD key MAXLEN ~ 1000 * field <random>` | none |
//! | XRANGE 100 | `XRANGE key - + COUNT 100` | a stream of 1,000 entries |
//! | PFADD | `PFADD key <random element>` | none |
//! | PFCOUNT | `PFCOUNT key` | an HLL fed 20,000 elements (dense) |
//! | SETBIT | `SETBIT key <random offset below 10^6> <random bit>` | none |
//! | BITCOUNT | `BITCOUNT key` | a 12,500-byte bitmap |
//! | GEOADD | `GEOADD key <random lon> <random lat> <random member>` | none |
//! | GEOSEARCH | `GEOSEARCH key FROMLONLAT 15 37 BYRADIUS 20 km ASC COUNT 10` | 10,000 points on a grid around Sicily |
//!
//! For each of `BENCH_ROUNDS` rounds (default 5: the machine is usually shared,
//! and single runs can be off by a factor of several) and each pipeline depth of
//! `BENCH_PIPELINES` (default `1,16`) every row runs against redis-server
//! and then rustredis (A B A B ...), each run after a FLUSHALL and the row's
//! setup. The table gives the median over the rounds of requests/s and of
//! the median round-trip latency of one pipelined batch (ms), and the ratio
//! rustredis/redis of the medians (≥ 1 means rustredis is faster). It also
//! gives each server's CPU time (user + system, from `/proc/PID/stat`) per
//! request, median over the rounds, and the ratio redis/rustredis (≥ 1 means
//! rustredis spends less CPU per command): at `-P 1` both servers mostly wait
//! on this client, so requests/s says more about the client than about them.
//! `BENCH_N` (default 100,000) sets the requests per run (a tenth of that
//! for the two heavy readers, XRANGE and GEOSEARCH); `BENCH_ROWS="SETBIT,BITCOUNT"`
//! picks rows by name prefix.
//!
//! # Commands a server does not have
//!
//! Before each run the setup and one sample of the command are sent and
//! their replies checked: an error there (e.g. "ERR unknown command", while
//! a command family is still missing from the server) skips the run, and
//! the table says "error" with the message in place of that server's
//! numbers. Error replies during a run are counted and shown too.
//!
//! # Output
//!
//! A markdown table on stdout, also written to `target/bench-datatypes.md`;
//! per-run numbers go to stderr as they come.
//!
//! # Limitations
//!
//! The client thread shares the machine's cores with both servers (at
//! `-P 1` the client is often the bottleneck, so ratios there tend to 1);
//! the ratio is the figure of merit, not the absolute rate.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{
    cpu_count, cpu_micros, die, env_usize, fmt_opt, median, ratio, run, server_bins, write_report,
};
use common::{Conn, ServerProc, encode_command, parse_reply};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";
/// Client connections per run, one thread each.
const CONNS: usize = 50;

/// A command's arguments.
type Cmd = Vec<Vec<u8>>;

/// One benchmarked command: its row name, how to make one request from a
/// random state, what to load first, and by how much to divide `BENCH_N`.
struct Workload {
    name: &'static str,
    make: fn(&mut u64) -> Cmd,
    setup: fn() -> Vec<Cmd>,
    divisor: usize,
}

/// xorshift64: the next pseudo-random number of `state` (never 0).
fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

fn args(parts: &[&[u8]]) -> Cmd {
    parts.iter().map(|p| p.to_vec()).collect()
}

fn no_setup() -> Vec<Cmd> {
    Vec::new()
}

fn gen_xadd(r: &mut u64) -> Cmd {
    let v = format!("{}", next(r) % 1_000_000);
    args(&[
        b"XADD",
        b"bench:xadd",
        b"MAXLEN",
        b"~",
        b"1000",
        b"*",
        b"field",
        v.as_bytes(),
    ])
}

/// A stream of 1,000 entries with ids 1-1 .. 1000-1.
fn stream_setup() -> Vec<Cmd> {
    (1..=1000)
        .map(|i| {
            let id = format!("{i}-1");
            let v = format!("value-{i:08}");
            args(&[b"XADD", b"bench:xr", id.as_bytes(), b"field", v.as_bytes()])
        })
        .collect()
}

fn gen_xrange(_: &mut u64) -> Cmd {
    args(&[b"XRANGE", b"bench:xr", b"-", b"+", b"COUNT", b"100"])
}

fn gen_pfadd(r: &mut u64) -> Cmd {
    let e = format!("elem:{}", next(r) % 10_000_000);
    args(&[b"PFADD", b"bench:pfadd", e.as_bytes()])
}

/// 20,000 distinct elements added in batches of 500 (dense encoding).
fn hll_setup() -> Vec<Cmd> {
    (0..40)
        .map(|b| {
            let mut c = args(&[b"PFADD", b"bench:hll"]);
            c.extend((0..500).map(|i| format!("elem:{}", b * 500 + i).into_bytes()));
            c
        })
        .collect()
}

fn gen_pfcount(_: &mut u64) -> Cmd {
    args(&[b"PFCOUNT", b"bench:hll"])
}

fn gen_setbit(r: &mut u64) -> Cmd {
    let x = next(r);
    let off = format!("{}", x % 1_000_000);
    let bit: &[u8] = if x >> 63 == 1 { b"1" } else { b"0" };
    args(&[b"SETBIT", b"bench:setbit", off.as_bytes(), bit])
}

/// A 12,500-byte (100,000-bit) bitmap with a varied pattern.
fn bitmap_setup() -> Vec<Cmd> {
    let mut r = 0x9e37_79b9_7f4a_7c15u64;
    let v: Vec<u8> = (0..12_500).map(|_| next(&mut r) as u8).collect();
    vec![vec![b"SET".to_vec(), b"bench:bits".to_vec(), v]]
}

fn gen_bitcount(_: &mut u64) -> Cmd {
    args(&[b"BITCOUNT", b"bench:bits"])
}

fn gen_geoadd(r: &mut u64) -> Cmd {
    let x = next(r);
    let lon = format!("{:.6}", (x % 3_600_000) as f64 / 10_000.0 - 180.0);
    let lat = format!("{:.6}", ((x >> 24) % 1_700_000) as f64 / 10_000.0 - 85.0);
    let m = format!("m:{}", (x >> 40) % 1_000_000);
    args(&[
        b"GEOADD",
        b"bench:geoadd",
        lon.as_bytes(),
        lat.as_bytes(),
        m.as_bytes(),
    ])
}

/// 10,000 points on a 100 x 100 grid, lon 12..18, lat 35..40.
fn geo_setup() -> Vec<Cmd> {
    (0..100)
        .map(|i| {
            let mut c = args(&[b"GEOADD", b"bench:geo"]);
            for j in 0..100 {
                let lon = 12.0 + 6.0 * i as f64 / 100.0;
                let lat = 35.0 + 5.0 * j as f64 / 100.0;
                c.push(format!("{lon:.6}").into_bytes());
                c.push(format!("{lat:.6}").into_bytes());
                c.push(format!("p:{i}:{j}").into_bytes());
            }
            c
        })
        .collect()
}

fn gen_geosearch(_: &mut u64) -> Cmd {
    args(&[
        b"GEOSEARCH",
        b"bench:geo",
        b"FROMLONLAT",
        b"15",
        b"37",
        b"BYRADIUS",
        b"20",
        b"km",
        b"ASC",
        b"COUNT",
        b"10",
    ])
}

/// The rows, in report order.
const WORKLOADS: &[Workload] = &[
    Workload {
        name: "XADD MAXLEN ~ 1000",
        make: gen_xadd,
        setup: no_setup,
        divisor: 1,
    },
    Workload {
        name: "XRANGE 100",
        make: gen_xrange,
        setup: stream_setup,
        divisor: 10,
    },
    Workload {
        name: "PFADD",
        make: gen_pfadd,
        setup: no_setup,
        divisor: 1,
    },
    Workload {
        name: "PFCOUNT",
        make: gen_pfcount,
        setup: hll_setup,
        divisor: 1,
    },
    Workload {
        name: "SETBIT",
        make: gen_setbit,
        setup: no_setup,
        divisor: 1,
    },
    Workload {
        name: "BITCOUNT",
        make: gen_bitcount,
        setup: bitmap_setup,
        divisor: 1,
    },
    Workload {
        name: "GEOADD",
        make: gen_geoadd,
        setup: no_setup,
        divisor: 1,
    },
    Workload {
        name: "GEOSEARCH",
        make: gen_geosearch,
        setup: geo_setup,
        divisor: 10,
    },
];

/// The text of an error reply (without `-` and CRLF), or None for any
/// other reply; cut after 72 characters (unknown-command errors quote
/// the arguments).
fn error_text(reply: &[u8]) -> Option<String> {
    reply.strip_prefix(b"-").map(|e| {
        let t = String::from_utf8_lossy(e);
        let t = t.trim_end_matches("\r\n");
        match t.char_indices().nth(72) {
            Some((i, _)) => format!("{}...", &t[..i]),
            None => t.to_string(),
        }
    })
}

/// FLUSHALL, the workload's setup (pipelined), then one sample of its
/// command. Err(first error reply).
fn prepare(port: u16, w: &Workload) -> Result<(), String> {
    let mut c = Conn::connect(port);
    let r = c.cmd(&[b"FLUSHALL"]);
    if let Some(e) = error_text(&r) {
        die(&format!("FLUSHALL answered -{e}"));
    }
    let setup = (w.setup)();
    let mut first_err = None;
    for batch in setup.chunks(100) {
        let mut out = Vec::new();
        for cmd in batch {
            let refs: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
            out.extend(encode_command(&refs));
        }
        c.send_raw(&out);
        for _ in batch {
            let r = c.read_reply();
            if first_err.is_none() {
                first_err = error_text(&r);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(format!("setup: {e}"));
    }
    let sample = (w.make)(&mut 42);
    let refs: Vec<&[u8]> = sample.iter().map(|a| a.as_slice()).collect();
    match error_text(&c.cmd(&refs)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What one load run measured.
struct LoadResult {
    rps: f64,
    /// Median round trip of one pipelined batch, ms.
    p50_ms: f64,
    errors: u64,
    first_error: Option<String>,
}

/// One connection of the load client: its socket, random state, what is
/// left of its quota, the batch in flight and the bytes read so far.
struct LoadConn {
    sock: mio::net::TcpStream,
    rng: u64,
    quota: usize,
    /// Replies still expected for the batch in flight.
    waiting: usize,
    /// A batch is in flight.
    in_flight: bool,
    /// The batch's request bytes, and how many of them were written.
    out: Vec<u8>,
    out_pos: usize,
    inbuf: Vec<u8>,
    t0: Instant,
}

impl LoadConn {
    /// Builds the next batch of up to `pipeline` requests and starts
    /// writing it; false when the quota is done.
    fn start_batch(&mut self, pipeline: usize, make: fn(&mut u64) -> Cmd) -> bool {
        let n = pipeline.min(self.quota);
        if n == 0 {
            return false;
        }
        self.out.clear();
        self.out_pos = 0;
        for _ in 0..n {
            let cmd = make(&mut self.rng);
            let refs: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
            self.out.extend(encode_command(&refs));
        }
        self.quota -= n;
        self.waiting = n;
        self.in_flight = true;
        self.t0 = Instant::now();
        self.flush();
        true
    }

    /// Writes what the socket takes of the batch.
    fn flush(&mut self) {
        while self.out_pos < self.out.len() {
            match self.sock.write(&self.out[self.out_pos..]) {
                Ok(0) => die("write: the server closed the connection"),
                Ok(w) => self.out_pos += w,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => die(&format!("write: {e}")),
            }
        }
    }
}

/// Runs `total` requests of `make` over [`CONNS`] connections, `pipeline`
/// per round trip, from one thread with non-blocking sockets, as
/// redis-benchmark does (a thread per connection would make the client's
/// own scheduling, on a machine of two cores, the thing measured): each
/// connection sends its next batch as soon as the last reply of the
/// previous one is framed.
fn load(port: u16, total: usize, pipeline: usize, make: fn(&mut u64) -> Cmd) -> LoadResult {
    use mio::{Events, Interest, Poll, Token};
    let per_conn = total.div_ceil(CONNS);
    let mut poll = Poll::new().unwrap_or_else(|e| die(&format!("poll: {e}")));
    let mut conns: Vec<LoadConn> = (0..CONNS)
        .map(|i| {
            let std_sock = std::net::TcpStream::connect(("127.0.0.1", port))
                .unwrap_or_else(|e| die(&format!("connect: {e}")));
            let _ = std_sock.set_nodelay(true);
            std_sock
                .set_nonblocking(true)
                .unwrap_or_else(|e| die(&format!("nonblocking: {e}")));
            let mut sock = mio::net::TcpStream::from_std(std_sock);
            poll.registry()
                .register(&mut sock, Token(i), Interest::READABLE | Interest::WRITABLE)
                .unwrap_or_else(|e| die(&format!("register: {e}")));
            LoadConn {
                sock,
                rng: (0x2545_f491_4f6c_dd1d ^ ((i as u64 + 1) * 0x9e37_79b9)).max(1),
                quota: per_conn,
                waiting: 0,
                in_flight: false,
                out: Vec::new(),
                out_pos: 0,
                inbuf: Vec::with_capacity(1 << 16),
                t0: Instant::now(),
            }
        })
        .collect();
    let started = Instant::now();
    let mut active = 0usize;
    for c in conns.iter_mut() {
        if c.start_batch(pipeline, make) {
            active += 1;
        }
    }
    let mut done = 0usize;
    let mut lat: Vec<f64> = Vec::with_capacity(total / pipeline + CONNS);
    let (mut errors, mut first_error) = (0u64, None);
    let mut events = Events::with_capacity(CONNS * 2);
    let mut chunk = vec![0u8; 1 << 16];
    while active > 0 {
        poll.poll(&mut events, Some(Duration::from_secs(60)))
            .unwrap_or_else(|e| die(&format!("poll: {e}")));
        if events.is_empty() {
            die("no reply for 60 s");
        }
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            if ev.is_writable() {
                c.flush();
            }
            if !ev.is_readable() {
                continue;
            }
            // Edge-triggered: read until the socket is drained.
            loop {
                match c.sock.read(&mut chunk) {
                    Ok(0) => die("the server closed the connection"),
                    Ok(r) => c.inbuf.extend_from_slice(&chunk[..r]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => die(&format!("read: {e}")),
                }
            }
            let mut pos = 0;
            while c.waiting > 0 {
                match parse_reply(&c.inbuf, pos) {
                    Ok(Some(end)) => {
                        if c.inbuf[pos] == b'-' {
                            errors += 1;
                            if first_error.is_none() {
                                first_error = error_text(&c.inbuf[pos..end]);
                            }
                        }
                        pos = end;
                        c.waiting -= 1;
                        done += 1;
                    }
                    Ok(None) => break,
                    Err(e) => die(&format!("malformed reply: {e}")),
                }
            }
            c.inbuf.drain(..pos);
            if c.in_flight && c.waiting == 0 {
                c.in_flight = false;
                lat.push(c.t0.elapsed().as_micros() as f64 / 1000.0);
                if !c.start_batch(pipeline, make) {
                    active -= 1;
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    LoadResult {
        rps: done as f64 / secs,
        p50_ms: median(lat).unwrap_or(0.0),
        errors,
        first_error,
    }
}

/// What one server did on one row over the rounds.
#[derive(Default)]
struct Samples {
    rps: Vec<f64>,
    p50: Vec<f64>,
    /// Server CPU time (user + system) per request of each run, µs.
    cpu_us: Vec<f64>,
    /// An error that kept a run from happening (the last one seen).
    error: Option<String>,
    /// Error replies counted during runs, and the first one's text.
    run_errors: u64,
    run_error: Option<String>,
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 5).max(1);
    let n = env_usize("BENCH_N", 100_000).max(1);
    let pipelines: Vec<usize> = std::env::var("BENCH_PIPELINES")
        .unwrap_or_else(|_| "1,16".to_string())
        .split(',')
        .map(|p| {
            p.trim()
                .parse()
                .ok()
                .filter(|&p: &usize| p > 0)
                .unwrap_or_else(|| die(&format!("BENCH_PIPELINES: {p:?} is not a depth")))
        })
        .collect();
    let rows: Vec<&Workload> = match std::env::var("BENCH_ROWS") {
        Ok(r) if !r.is_empty() => {
            let want: Vec<String> = r.split(',').map(|x| x.trim().to_uppercase()).collect();
            WORKLOADS
                .iter()
                .filter(|w| want.iter().any(|x| w.name.to_uppercase().starts_with(x)))
                .collect()
        }
        _ => WORKLOADS.iter().collect(),
    };
    if rows.is_empty() {
        die("BENCH_ROWS selects no row");
    }
    let (rust_bin, redis_bin) = server_bins();
    let version = run(&redis_bin, &["--version"], None, Duration::from_secs(10)).stdout;
    let servers = [
        (REDIS, ServerProc::start_bin(&redis_bin, &[])),
        (RUSTREDIS, ServerProc::start_bin(&rust_bin, &[])),
    ];
    // (pipeline, row) -> server -> samples
    let mut res: BTreeMap<(usize, usize), BTreeMap<&str, Samples>> = BTreeMap::new();
    let started = Instant::now();
    for round in 1..=rounds {
        for &pipeline in &pipelines {
            for (ri, w) in rows.iter().enumerate() {
                let total = (n / w.divisor).max(CONNS);
                for (name, s) in &servers {
                    let slot = res
                        .entry((pipeline, ri))
                        .or_default()
                        .entry(name)
                        .or_default();
                    if let Err(e) = prepare(s.port, w) {
                        eprintln!(
                            "round {round}/{rounds} -P {pipeline:>2} {name:<9} {:<20} not run: {e}",
                            w.name
                        );
                        slot.error = Some(e);
                        continue;
                    }
                    let cpu_before = cpu_micros(s.child.id());
                    let r = load(s.port, total, pipeline, w.make);
                    slot.cpu_us
                        .push((cpu_micros(s.child.id()) - cpu_before) / total as f64);
                    eprintln!(
                        "round {round}/{rounds} -P {pipeline:>2} {name:<9} {:<20} {:>12.2} rps  p50 {:.3} ms{}",
                        w.name,
                        r.rps,
                        r.p50_ms,
                        if r.errors > 0 {
                            format!("  ({} error replies)", r.errors)
                        } else {
                            String::new()
                        }
                    );
                    slot.rps.push(r.rps);
                    slot.p50.push(r.p50_ms);
                    slot.run_errors += r.errors;
                    if slot.run_error.is_none() {
                        slot.run_error = r.first_error;
                    }
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    drop(servers);

    // ---- report ----
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# rustredis vs redis-server: streams, HyperLogLog, bitmaps, geo\n"
    );
    let _ = writeln!(
        md,
        "{CONNS} connections, N = {n} requests per run (N/10 for XRANGE and GEOSEARCH), pipeline depths {pipelines:?}; \
         {rounds} round(s) alternating redis / rustredis, FLUSHALL and the row's setup before \
         every run; median of the rounds (latency: median round trip of one pipelined batch). \
         Reference: {}. Machine: {} CPU(s). Took {secs:.0} s.\n",
        version.trim(),
        cpu_count(),
    );
    let _ = writeln!(
        md,
        "| command | pipeline | redis rps | rustredis rps | ratio (rustredis/redis) | redis p50 ms | rustredis p50 ms | redis CPU µs/req | rustredis CPU µs/req | CPU ratio (redis/rustredis) | note |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for &pipeline in &pipelines {
        for (ri, w) in rows.iter().enumerate() {
            let by = res.get(&(pipeline, ri));
            let get = |who: &str| by.and_then(|m| m.get(who));
            let rps = |who: &str| get(who).and_then(|s| median(s.rps.clone()));
            let p50 = |who: &str| get(who).and_then(|s| median(s.p50.clone()));
            let cpu = |who: &str| get(who).and_then(|s| median(s.cpu_us.clone()));
            let cpu_ratio = ratio(cpu(RUSTREDIS), cpu(REDIS));
            let (a, b) = (rps(REDIS), rps(RUSTREDIS));
            let ratio = ratio(a, b);
            let mut notes = Vec::new();
            for who in [REDIS, RUSTREDIS] {
                if let Some(s) = get(who) {
                    if let Some(e) = &s.error {
                        notes.push(format!("{who}: not run, `{e}`"));
                    }
                    if s.run_errors > 0 {
                        notes.push(format!(
                            "{who}: {} error replies, first `{}`",
                            s.run_errors,
                            s.run_error.as_deref().unwrap_or("")
                        ));
                    }
                }
            }
            let cell = |v: Option<f64>, who: &str, prec: usize| match v {
                Some(_) => fmt_opt(v, prec),
                None if get(who).is_some_and(|s| s.error.is_some()) => "error".to_string(),
                None => "n/a".to_string(),
            };
            let _ = writeln!(
                md,
                "| {} | {pipeline} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                w.name,
                cell(a, REDIS, 0),
                cell(b, RUSTREDIS, 0),
                fmt_opt(ratio, 2),
                cell(p50(REDIS), REDIS, 3),
                cell(p50(RUSTREDIS), RUSTREDIS, 3),
                cell(cpu(REDIS), REDIS, 2),
                cell(cpu(RUSTREDIS), RUSTREDIS, 2),
                fmt_opt(cpu_ratio, 2),
                notes.join("; ").replace('|', "\\|"),
            );
        }
    }
    write_report("bench-datatypes.md", &md);
}
