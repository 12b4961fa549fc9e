//! Scripting benchmark: EVALSHA of a 3-command script on rustredis and on
//! Debian's redis-server 7.0.15, side by side in one run.
//!
//! Run with `cargo bench --bench scripting` (a `harness = false` bench).
//! `RUSTREDIS_BIN` overrides the binary Cargo built, `REDIS_ORACLE_BIN`
//! overrides `/usr/bin/redis-server`; `redis-benchmark` comes from
//! redis-tools.
//!
//! # What it measures
//! Both servers start once with the same settings (`ServerProc`, as the
//! integration tests). Each case of [`cases`] first runs its setup
//! commands (e.g. SCRIPT LOAD) on both, then for `BENCH_ROUNDS` rounds
//! (default 5) and pipeline depths 1 and 16 runs `redis-benchmark -n N -c
//! 50 -r 100000 --csv <command>` against redis-server and then rustredis
//! (A B A B: drift of the shared machine spreads over both; the median
//! drops disturbed runs). N is 200,000 unless `BENCH_N` says otherwise.
//! The case `evalsha-3cmd` is `EVALSHA <sha> 1 key:__rand_int__` of
//! `INCR KEYS[1]; EXPIRE KEYS[1] 100; return GET KEYS[1]`; `fcall-3cmd`
//! is `FCALL f3 1 key:__rand_int__` of a function with the same body.
//!
//! Reported per case and depth: median requests/s of each server, the
//! ratio rustredis/redis (≥ 1.0 is the target), and the server CPU time
//! per request (user + system from `/proc/PID/stat`), which at `-P 1`
//! says more about the server than requests/s, as both mostly wait for
//! the single benchmark client then.
//!
//! # Output
//! A markdown table on stdout, also written to
//! `target/bench-scripting.md`.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{cpu_micros, die, env_usize, median, server_bins, tool};

use common::ServerProc;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";

/// The script of the `evalsha-3cmd` case: three commands, one reply.
const SCRIPT_3CMD: &str = "redis.call('incr', KEYS[1]) \
     redis.call('expire', KEYS[1], 100) \
     return redis.call('get', KEYS[1])";

/// One benchmarked command: setup commands run once per server (their
/// bulk replies are collected: `{0}` in `cmd` is the first one's), then
/// `cmd` as redis-benchmark's argument list.
struct Case {
    name: &'static str,
    setup: Vec<Vec<String>>,
    cmd: Vec<String>,
}

/// The library of the `fcall-3cmd` case: one function with the body of
/// [`SCRIPT_3CMD`], reading its key from the `keys` argument.
const LIBRARY_3CMD: &str = "#!lua name=bench\n\
     redis.register_function('f3', function(KEYS, ARGV) \
     redis.call('incr', KEYS[1]) \
     redis.call('expire', KEYS[1], 100) \
     return redis.call('get', KEYS[1]) end)";

/// The cases: EVALSHA of the 3-command script, and FCALL of a function
/// with the same body.
fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "evalsha-3cmd",
            setup: vec![vec!["SCRIPT".into(), "LOAD".into(), SCRIPT_3CMD.into()]],
            cmd: vec![
                "EVALSHA".into(),
                "{0}".into(),
                "1".into(),
                "key:__rand_int__".into(),
            ],
        },
        Case {
            name: "fcall-3cmd",
            setup: vec![vec![
                "FUNCTION".into(),
                "LOAD".into(),
                "REPLACE".into(),
                LIBRARY_3CMD.into(),
            ]],
            cmd: vec![
                "FCALL".into(),
                "f3".into(),
                "1".into(),
                "key:__rand_int__".into(),
            ],
        },
    ]
}

/// Requests/s of the last CSV row of `redis-benchmark --csv` output.
fn parse_rps(out: &str) -> Option<f64> {
    let line = out.lines().rev().find(|l| l.starts_with('"'))?;
    let fields: Vec<&str> = line.split(',').map(|f| f.trim_matches('"')).collect();
    fields.get(1)?.parse().ok()
}

/// Runs the setup commands of `case` on `s`; returns their bulk replies.
fn setup(s: &ServerProc, case: &Case) -> Vec<String> {
    let mut conn = s.conn();
    case.setup
        .iter()
        .map(|args| {
            let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
            match common::call(&mut conn, &a) {
                common::Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
                other => die(&format!("setup {args:?} replied {other:?}")),
            }
        })
        .collect()
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 5).max(1);
    let n = env_usize("BENCH_N", 200_000).max(1);
    let (rust_bin, redis_bin) = server_bins();
    let bench = tool("redis-benchmark");
    let servers = [
        (REDIS, ServerProc::start_bin(&redis_bin, &[])),
        (RUSTREDIS, ServerProc::start_bin(&rust_bin, &[])),
    ];
    let cases = cases();
    // (case, pipeline) -> server -> samples
    let mut rps: BTreeMap<(usize, usize), BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut cpu: BTreeMap<(usize, usize), BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let mut cmds: Vec<BTreeMap<&str, Vec<String>>> = Vec::new();
    for case in &cases {
        let mut per = BTreeMap::new();
        for (name, s) in &servers {
            let vals = setup(s, case);
            let cmd: Vec<String> = case
                .cmd
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    for (j, v) in vals.iter().enumerate() {
                        a = a.replace(&format!("{{{j}}}"), v);
                    }
                    a
                })
                .collect();
            per.insert(*name, cmd);
        }
        cmds.push(per);
    }
    let started = Instant::now();
    let n_s = n.to_string();
    for round in 1..=rounds {
        for (ci, case) in cases.iter().enumerate() {
            for pipeline in [1usize, 16] {
                let p_s = pipeline.to_string();
                for (name, s) in &servers {
                    let port = s.port.to_string();
                    let mut args: Vec<String> = [
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &port,
                        "-n",
                        &n_s,
                        "-c",
                        "50",
                        "-r",
                        "100000",
                        "-P",
                        &p_s,
                        "--csv",
                    ]
                    .iter()
                    .map(|x| x.to_string())
                    .collect();
                    args.extend(cmds[ci][name].iter().cloned());
                    let before = cpu_micros(s.child.id());
                    let out = Command::new(&bench)
                        .args(&args)
                        .output()
                        .unwrap_or_else(|e| die(&format!("redis-benchmark: {e}")));
                    let used = cpu_micros(s.child.id()) - before;
                    let stdout = String::from_utf8_lossy(&out.stdout);
                    let Some(v) = parse_rps(&stdout) else {
                        die(&format!(
                            "no result from redis-benchmark against {name}: {stdout}\n{}",
                            String::from_utf8_lossy(&out.stderr)
                        ));
                    };
                    eprintln!(
                        "round {round} {} -P {pipeline} {name}: {v:.0} req/s, {:.2} µs CPU/req",
                        case.name,
                        used / n as f64
                    );
                    rps.entry((ci, pipeline))
                        .or_default()
                        .entry(*name)
                        .or_default()
                        .push(v);
                    cpu.entry((ci, pipeline))
                        .or_default()
                        .entry(*name)
                        .or_default()
                        .push(used / n as f64);
                }
            }
        }
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "## Scripting: rustredis vs redis-server 7.0.15\n\n\
         redis-benchmark -n {n} -c 50 -r 100000, {rounds} rounds alternating servers, medians \
         ({:.0} s).\n\n\
         | case | -P | redis req/s | rustredis req/s | ratio | redis CPU µs/req | rustredis CPU µs/req | CPU ratio (redis/rustredis) |\n\
         |---|---|---|---|---|---|---|---|",
        started.elapsed().as_secs_f64()
    );
    for ((ci, pipeline), per) in &rps {
        let r = median(per.get(REDIS).cloned().unwrap_or_default()).unwrap_or(0.0);
        let o = median(per.get(RUSTREDIS).cloned().unwrap_or_default()).unwrap_or(0.0);
        let c = &cpu[&(*ci, *pipeline)];
        let rc = median(c.get(REDIS).cloned().unwrap_or_default()).unwrap_or(0.0);
        let oc = median(c.get(RUSTREDIS).cloned().unwrap_or_default()).unwrap_or(0.0);
        let _ = writeln!(
            report,
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            cases[*ci].name,
            pipeline,
            r,
            o,
            if r > 0.0 { o / r } else { 0.0 },
            rc,
            oc,
            if oc > 0.0 { rc / oc } else { 0.0 }
        );
    }
    print!("{report}");
    let target = Path::new(&rust_bin)
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("bench-scripting.md"));
    if let Some(t) = target {
        let _ = std::fs::write(t, &report);
    }
}
