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
//! [`WORKLOADS`] is one command line given to `redis-benchmark -n N -c 50
//! -r 1000000 -P P --csv CMD...` (`__rand_int__` in it becomes a random
//! 12-digit number per request):
//!
//! | row | command | data set up first |
//! |---|---|---|
//! | XADD | `XADD key MAXLEN ~ 1000 * field __rand_int__` | none |
//! | XRANGE 100 | `XRANGE key - + COUNT 100` | a stream of 1,000 entries |
//! | PFADD | `PFADD key __rand_int__` | none |
//! | PFCOUNT | `PFCOUNT key` | an HLL fed 20,000 elements (dense) |
//! | SETBIT | `SETBIT key __rand_int__ 1` | none (offsets below 10^6) |
//! | BITCOUNT | `BITCOUNT key` | a 12,500-byte bitmap |
//! | GEOADD | `GEOADD key 13.361389 38.115556 m:__rand_int__` | none |
//! | GEOSEARCH | `GEOSEARCH key FROMLONLAT 15 37 BYRADIUS 50 km ASC COUNT 10` | 10,000 points on a grid around Sicily |
//!
//! For each of `BENCH_ROUNDS` rounds (default 3) and each pipeline depth of
//! `BENCH_PIPELINES` (default `1,16`) every row runs against redis-server
//! and then rustredis (A B A B ...), each run after a FLUSHALL and the row's
//! setup. The table gives the median over the rounds of requests/s and of
//! the p50 latency, and the ratio rustredis/redis of the medians (≥ 1 means
//! rustredis is faster). `BENCH_N` (default 100,000) sets the requests per
//! run; `BENCH_ROWS="SETBIT,BITCOUNT"` picks rows by name.
//!
//! # Commands a server does not have
//!
//! redis-benchmark counts error replies as completed requests, so a row
//! would otherwise show a meaningless rate. Before each run the setup and
//! one sample of the command are sent and their replies checked: an error
//! there (e.g. "ERR unknown command", while a command family is still
//! missing from the server) skips the run, and the table shows the error
//! in place of that server's numbers. During the run, INFO stats
//! `total_error_replies` is compared before and after; if it grew, the row
//! is marked with the number of errors.
//!
//! # Output
//!
//! A markdown table on stdout, also written to `target/bench-datatypes.md`;
//! per-run numbers go to stderr as they come.
//!
//! # Limitations
//!
//! The client shares the machine's cores with both servers (at `-P 1` it is
//! often the bottleneck, so ratios there tend to 1); the ratio is the figure
//! of merit, not the absolute rate.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{die, env_usize, fmt_opt, median, parse_csv, run, server_bins, tool};
use common::{Conn, ServerProc, encode_command, info_field};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";

/// One benchmarked command: its row name, the command line given to
/// redis-benchmark, and what to load first.
struct Workload {
    name: &'static str,
    cmd: &'static [&'static str],
    setup: fn() -> Vec<Vec<Vec<u8>>>,
}

fn no_setup() -> Vec<Vec<Vec<u8>>> {
    Vec::new()
}

/// A stream of 1,000 entries with ids 1-1 .. 1000-1.
fn stream_setup() -> Vec<Vec<Vec<u8>>> {
    (1..=1000)
        .map(|i| {
            vec![
                b"XADD".to_vec(),
                b"bench:xr".to_vec(),
                format!("{i}-1").into_bytes(),
                b"field".to_vec(),
                format!("value-{i:08}").into_bytes(),
            ]
        })
        .collect()
}

/// 20,000 distinct elements added in batches of 500 (dense encoding).
fn hll_setup() -> Vec<Vec<Vec<u8>>> {
    (0..40)
        .map(|b| {
            let mut c = vec![b"PFADD".to_vec(), b"bench:hll".to_vec()];
            c.extend((0..500).map(|i| format!("elem:{}", b * 500 + i).into_bytes()));
            c
        })
        .collect()
}

/// A 12,500-byte (100,000-bit) bitmap with a varied pattern.
fn bitmap_setup() -> Vec<Vec<Vec<u8>>> {
    let mut x: u32 = 0x9e37_79b9;
    let v: Vec<u8> = (0..12_500)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    vec![vec![b"SET".to_vec(), b"bench:bits".to_vec(), v]]
}

/// 10,000 points on a 100 x 100 grid, lon 12..18, lat 35..40.
fn geo_setup() -> Vec<Vec<Vec<u8>>> {
    (0..100)
        .map(|i| {
            let mut c = vec![b"GEOADD".to_vec(), b"bench:geo".to_vec()];
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

/// The rows, in report order.
const WORKLOADS: &[Workload] = &[
    Workload {
        name: "XADD MAXLEN ~ 1000",
        cmd: &[
            "XADD",
            "bench:xadd",
            "MAXLEN",
            "~",
            "1000",
            "*",
            "field",
            "__rand_int__",
        ],
        setup: no_setup,
    },
    Workload {
        name: "XRANGE 100",
        cmd: &["XRANGE", "bench:xr", "-", "+", "COUNT", "100"],
        setup: stream_setup,
    },
    Workload {
        name: "PFADD",
        cmd: &["PFADD", "bench:pfadd", "__rand_int__"],
        setup: no_setup,
    },
    Workload {
        name: "PFCOUNT",
        cmd: &["PFCOUNT", "bench:hll"],
        setup: hll_setup,
    },
    Workload {
        name: "SETBIT",
        cmd: &["SETBIT", "bench:setbit", "__rand_int__", "1"],
        setup: no_setup,
    },
    Workload {
        name: "BITCOUNT",
        cmd: &["BITCOUNT", "bench:bits"],
        setup: bitmap_setup,
    },
    Workload {
        name: "GEOADD",
        cmd: &[
            "GEOADD",
            "bench:geoadd",
            "13.361389",
            "38.115556",
            "m:__rand_int__",
        ],
        setup: no_setup,
    },
    Workload {
        name: "GEOSEARCH",
        cmd: &[
            "GEOSEARCH",
            "bench:geo",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "50",
            "km",
            "ASC",
            "COUNT",
            "10",
        ],
        setup: geo_setup,
    },
];

/// The first line of an error reply, or None for any other reply.
fn error_text(reply: &[u8]) -> Option<String> {
    reply.strip_prefix(b"-").map(|e| {
        String::from_utf8_lossy(e)
            .trim_end_matches("\r\n")
            .to_string()
    })
}

/// FLUSHALL, the workload's setup (pipelined), then one sample of its
/// command (`__rand_int__` as a fixed number). Err(first error reply).
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
    let sample: Vec<Vec<u8>> = w
        .cmd
        .iter()
        .map(|a| a.replace("__rand_int__", "000000000042").into_bytes())
        .collect();
    let refs: Vec<&[u8]> = sample.iter().map(|a| a.as_slice()).collect();
    match error_text(&c.cmd(&refs)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// INFO stats `total_error_replies` (0 if the field is absent).
fn error_replies(port: u16) -> u64 {
    let mut c = Conn::connect(port);
    let r = c.cmd(&[b"INFO", b"stats"]);
    let text = String::from_utf8_lossy(&r).into_owned();
    info_field(&text, "total_error_replies")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// What one server did on one row over the rounds.
#[derive(Default)]
struct Samples {
    rps: Vec<f64>,
    p50: Vec<f64>,
    /// An error that kept a run from happening (the last one seen).
    error: Option<String>,
    /// Error replies counted during runs.
    run_errors: u64,
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
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
    let bench = tool("redis-benchmark");
    let version = run(&redis_bin, &["--version"], None, Duration::from_secs(10)).stdout;
    let servers = [
        (REDIS, ServerProc::start_bin(&redis_bin, &[])),
        (RUSTREDIS, ServerProc::start_bin(&rust_bin, &[])),
    ];
    let n_s = n.to_string();
    // (pipeline, row) -> server -> samples
    let mut res: BTreeMap<(usize, usize), BTreeMap<&str, Samples>> = BTreeMap::new();
    let started = Instant::now();
    for round in 1..=rounds {
        for &pipeline in &pipelines {
            let p_s = pipeline.to_string();
            for (ri, w) in rows.iter().enumerate() {
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
                    let port = s.port.to_string();
                    let mut args: Vec<&str> = vec![
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &port,
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
                    args.extend_from_slice(w.cmd);
                    let errors_before = error_replies(s.port);
                    let r = run(&bench, &args, None, Duration::from_secs(1800));
                    if !r.status.success() {
                        die(&format!(
                            "redis-benchmark against {name} failed: {:?}\n{}",
                            r.status, r.stderr
                        ));
                    }
                    let errors = error_replies(s.port).saturating_sub(errors_before);
                    slot.run_errors += errors;
                    let Some(row) = parse_csv(&r.stdout).into_iter().next() else {
                        die(&format!(
                            "redis-benchmark {} against {name} printed no row:\n{}",
                            w.name, r.stdout
                        ));
                    };
                    eprintln!(
                        "round {round}/{rounds} -P {pipeline:>2} {name:<9} {:<20} {:>12.2} rps  p50 {} ms{}",
                        w.name,
                        row.rps,
                        fmt_opt(row.p50_ms, 3),
                        if errors > 0 {
                            format!("  ({errors} error replies)")
                        } else {
                            String::new()
                        }
                    );
                    slot.rps.push(row.rps);
                    if let Some(p) = row.p50_ms {
                        slot.p50.push(p);
                    }
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    drop(servers);

    // ---- report ----
    let mut md = String::new();
    let _ = writeln!(md, "# rustredis vs redis-server: streams, HyperLogLog, bitmaps, geo\n");
    let _ = writeln!(
        md,
        "redis-benchmark -n {n} -c 50 -r 1000000 -P P --csv CMD, at -P {pipelines:?}; \
         {rounds} round(s) alternating redis / rustredis, FLUSHALL and the row's setup before \
         every run; median of the rounds. Reference: {}. Machine: {} CPU(s). Took {secs:.0} s.\n",
        version.trim(),
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1),
    );
    let _ = writeln!(
        md,
        "| command | pipeline | redis rps | rustredis rps | ratio (rustredis/redis) | redis p50 ms | rustredis p50 ms | note |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---|");
    for &pipeline in &pipelines {
        for (ri, w) in rows.iter().enumerate() {
            let by = res.get(&(pipeline, ri));
            let get = |who: &str| by.and_then(|m| m.get(who));
            let rps = |who: &str| get(who).and_then(|s| median(s.rps.clone()));
            let p50 = |who: &str| get(who).and_then(|s| median(s.p50.clone()));
            let (a, b) = (rps(REDIS), rps(RUSTREDIS));
            let ratio = match (a, b) {
                (Some(a), Some(b)) if a > 0.0 => Some(b / a),
                _ => None,
            };
            let mut notes = Vec::new();
            for who in [REDIS, RUSTREDIS] {
                if let Some(s) = get(who) {
                    if let Some(e) = &s.error {
                        notes.push(format!("{who}: not run, `{e}`"));
                    }
                    if s.run_errors > 0 {
                        notes.push(format!("{who}: {} error replies", s.run_errors));
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
                "| {} | {pipeline} | {} | {} | {} | {} | {} | {} |",
                w.name,
                cell(a, REDIS, 0),
                cell(b, RUSTREDIS, 0),
                fmt_opt(ratio, 2),
                cell(p50(REDIS), REDIS, 3),
                cell(p50(RUSTREDIS), RUSTREDIS, 3),
                notes.join("; ").replace('|', "\\|"),
            );
        }
    }
    print!("{md}");
    let target_dir = Path::new(env!("CARGO_BIN_EXE_rustredis"))
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"));
    let report = target_dir.join("bench-datatypes.md");
    match std::fs::write(&report, &md) {
        Ok(()) => eprintln!("report written to {}", report.display()),
        Err(e) => die(&format!("write {}: {e}", report.display())),
    }
}
