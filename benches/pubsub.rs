//! PUBLISH fan-out benchmark: rustredis against Debian's redis-server
//! 7.0.15, side by side in one run.
//!
//! Run with `cargo bench --bench pubsub` (a `harness = false` bench).
//! `RUSTREDIS_BIN` overrides Cargo's `rustredis` binary and
//! `REDIS_ORACLE_BIN` overrides `/usr/bin/redis-server`, as in
//! `benches/side_by_side.rs`.
//!
//! # What it measures
//!
//! Messages delivered per second for PUBLISH to 1 subscriber and to 100
//! subscribers of one channel. Each subscriber is a thread on its own
//! connection that reads until it has every message (a byte count: all
//! frames have the same size; the first frame is checked byte for byte).
//! Publishers send `PUBLISH bench <32-byte payload>` pipelined
//! (`PIPELINE` per round trip) and check each integer reply equals the
//! subscriber count. The clock runs from the first PUBLISH until the last
//! subscriber has its last byte; delivered = publishes × subscribers.
//!
//! Defaults: 400,000 messages to the single subscriber (4 publisher
//! connections), 20,000 messages × 100 subscribers (1 publisher);
//! `BENCH_PUB_N` scales both in percent, `BENCH_ROUNDS` (default 3) sets the
//! rounds. Each round runs redis-server then rustredis for each case (A B A
//! B ...), on servers started once; the report shows medians over rounds,
//! the ratio rustredis/redis (> 1 is better), and the server's CPU time per
//! delivered message.
//!
//! # Output
//!
//! A markdown table on stdout, also written to `target/bench-pubsub.md`.
//!
//! # Limitations
//!
//! The client threads share the machine's cores with the server, so
//! absolute numbers depend on the machine; the ratio is the figure of merit.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{cpu_micros, die, env_usize, fmt_opt, median, ratio, server_bins, write_report};

use common::ServerProc;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::Instant;

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";
/// PUBLISH commands per round trip of a publisher.
const PIPELINE: usize = 32;
/// The message body.
const PAYLOAD: &[u8] = b"0123456789abcdef0123456789abcdef";
const CHANNEL: &[u8] = b"bench";

/// One measured case: subscribers, messages each receives, publisher connections.
struct Case {
    subscribers: usize,
    messages: usize,
    publishers: usize,
}

fn connect(port: u16) -> TcpStream {
    let s =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| die(&format!("connect: {e}")));
    let _ = s.set_nodelay(true);
    s
}

/// The RESP2 `message` frame a subscriber receives (the same bytes as a
/// three-argument command).
fn message_frame() -> Vec<u8> {
    common::encode_command(&[b"message", CHANNEL, PAYLOAD])
}

/// Runs one case against the server on `port`; returns delivered messages
/// per second.
fn run_case(port: u16, case: &Case) -> f64 {
    let frame = message_frame();
    let confirm = b"*3\r\n$9\r\nsubscribe\r\n$5\r\nbench\r\n:1\r\n";
    // Subscribers connect and subscribe before anything is published.
    let ready = Arc::new(Barrier::new(case.subscribers + 1));
    let subs: Vec<_> = (0..case.subscribers)
        .map(|_| {
            let ready = ready.clone();
            let frame = frame.clone();
            let want = frame.len() * case.messages;
            std::thread::spawn(move || {
                let mut s = connect(port);
                s.write_all(&common::encode_command(&[b"SUBSCRIBE", CHANNEL]))
                    .unwrap_or_else(|e| die(&format!("subscribe: {e}")));
                let mut got = vec![0u8; confirm.len()];
                s.read_exact(&mut got)
                    .unwrap_or_else(|e| die(&format!("subscribe reply: {e}")));
                if got != confirm {
                    die(&format!(
                        "unexpected SUBSCRIBE reply {:?}",
                        String::from_utf8_lossy(&got)
                    ));
                }
                ready.wait();
                let mut first = Vec::with_capacity(frame.len());
                let mut buf = vec![0u8; 256 * 1024];
                let mut total = 0usize;
                while total < want {
                    let n = s
                        .read(&mut buf)
                        .unwrap_or_else(|e| die(&format!("read: {e}")));
                    if n == 0 {
                        die("subscriber connection closed");
                    }
                    if first.len() < frame.len() {
                        let k = (frame.len() - first.len()).min(n);
                        first.extend_from_slice(&buf[..k]);
                    }
                    total += n;
                }
                if first != frame || total != want {
                    die(&format!(
                        "subscriber got {total} bytes (want {want}), first frame {:?}",
                        String::from_utf8_lossy(&first)
                    ));
                }
                Instant::now()
            })
        })
        .collect();
    ready.wait();
    let start = Instant::now();
    let per_pub = case.messages / case.publishers;
    let reply = format!(":{}\r\n", case.subscribers).into_bytes();
    let pubs: Vec<_> = (0..case.publishers)
        .map(|_| {
            let reply = reply.clone();
            std::thread::spawn(move || {
                let mut s = connect(port);
                let mut batch = Vec::new();
                for _ in 0..PIPELINE {
                    batch.extend_from_slice(&common::encode_command(&[
                        b"PUBLISH", CHANNEL, PAYLOAD,
                    ]));
                }
                let want = reply.repeat(PIPELINE);
                let mut got = vec![0u8; want.len()];
                let mut sent = 0;
                while sent < per_pub {
                    s.write_all(&batch)
                        .unwrap_or_else(|e| die(&format!("publish: {e}")));
                    s.read_exact(&mut got)
                        .unwrap_or_else(|e| die(&format!("publish reply: {e}")));
                    if got != want {
                        die(&format!(
                            "unexpected PUBLISH replies {:?}",
                            String::from_utf8_lossy(&got[..got.len().min(64)])
                        ));
                    }
                    sent += PIPELINE;
                }
            })
        })
        .collect();
    for p in pubs {
        let _ = p.join();
    }
    let end = subs
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|_| die("subscriber thread failed")))
        .max()
        .unwrap_or_else(Instant::now);
    let secs = (end - start).as_secs_f64();
    (case.messages * case.subscribers) as f64 / secs
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let scale = env_usize("BENCH_PUB_N", 100).max(1);
    let (rust_bin, redis_bin) = server_bins();
    // Messages a multiple of publishers × PIPELINE, so every batch is whole.
    let round_to = |n: usize, publishers: usize| {
        let unit = publishers * PIPELINE;
        (n * scale / 100).div_ceil(unit).max(1) * unit
    };
    let cases = [
        Case {
            subscribers: 1,
            messages: round_to(400_000, 4),
            publishers: 4,
        },
        Case {
            subscribers: 100,
            messages: round_to(20_000, 1),
            publishers: 1,
        },
    ];
    let servers = [
        (REDIS, ServerProc::start_bin(&redis_bin, &[])),
        (RUSTREDIS, ServerProc::start_bin(&rust_bin, &[])),
    ];
    // (subscribers) -> server -> samples
    let mut rate: BTreeMap<usize, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut cpu: BTreeMap<usize, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    for round in 1..=rounds {
        for case in &cases {
            for (name, s) in &servers {
                let before = cpu_micros(s.child.id());
                let r = run_case(s.port, case);
                let used = cpu_micros(s.child.id()) - before;
                let delivered = (case.messages * case.subscribers) as f64;
                eprintln!(
                    "round {round}: {name} PUBLISH to {} subscriber(s): {:.0} msg/s delivered, {:.3} µs CPU/msg",
                    case.subscribers,
                    r,
                    used / delivered
                );
                rate.entry(case.subscribers)
                    .or_default()
                    .entry(name)
                    .or_default()
                    .push(r);
                cpu.entry(case.subscribers)
                    .or_default()
                    .entry(name)
                    .or_default()
                    .push(used / delivered);
            }
        }
    }
    let version = common::s(servers[0].1.conn().cmd(&[b"INFO", b"server"]));
    let version = common::info_field(&version, "redis_version").unwrap_or_default();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## PUBLISH fan-out: rustredis vs redis-server {version}\n\n\
         Medians over {rounds} round(s); messages of {} bytes on one channel, publishers \
         pipelining {PIPELINE} PUBLISH per round trip. Delivered = messages × subscribers.\n",
        PAYLOAD.len()
    );
    let _ = writeln!(
        md,
        "| subscribers | messages | publishers | redis msg/s | rustredis msg/s | ratio | redis CPU µs/msg | rustredis CPU µs/msg |"
    );
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    for case in &cases {
        let get = |m: &BTreeMap<usize, BTreeMap<&str, Vec<f64>>>, who: &str| {
            m.get(&case.subscribers)
                .and_then(|x| x.get(who))
                .and_then(|v| median(v.clone()))
        };
        let (a, b) = (get(&rate, REDIS), get(&rate, RUSTREDIS));
        let ratio = ratio(a, b);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            case.subscribers,
            case.messages,
            case.publishers,
            fmt_opt(a, 0),
            fmt_opt(b, 0),
            fmt_opt(ratio, 2),
            fmt_opt(get(&cpu, REDIS), 3),
            fmt_opt(get(&cpu, RUSTREDIS), 3),
        );
    }
    write_report("bench-pubsub.md", &md);
}
