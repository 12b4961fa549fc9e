//! Security benchmark: TLS throughput and ACL-checked throughput of
//! rustredis against Debian's redis-server 7.0.15, in one run.
//!
//! Run with `cargo bench --bench security` (`harness = false`: this `main`
//! is the program). `RUSTREDIS_BIN` / `REDIS_ORACLE_BIN` override the
//! binaries; `redis-benchmark` comes from redis-tools (built with TLS in
//! Debian), certificates are made with the openssl CLI
//! (`common::make_test_certs`).
//!
//! # What it measures
//!
//! **TLS.** Both servers run with a `tls-port` (client certificates
//! required, as by default) beside their TCP port. For each of
//! `BENCH_ROUNDS` rounds (default 3) and pipeline depth `-P 1` and
//! `-P 16`, `redis-benchmark --tls --cert --key --cacert -t set,get -n N
//! -c 50 -r 1000000 --csv` runs against redis-server, then rustredis
//! (alternating, so drift of the shared machine spreads over both). N is
//! `BENCH_N` (default 200,000). Reported: median requests/s per server and
//! the ratio rustredis / redis-server.
//!
//! **ACL.** Over plain TCP, the same SET/GET runs as the default user and
//! as a user with key patterns (`ACL SETUSER bench on >pw ~key:* +@all`,
//! redis-benchmark `--user bench -a pw`; its keys are `key:NNN`, so every
//! command passes the key check). Reported per server: both medians and
//! the cost of the check (ACL user / default user), and rustredis's ACL
//! user against redis-server's. A server that refuses the SETUSER (no ACL
//! yet) gets `n/a` with its reply in the report.
//!
//! # Output
//!
//! A markdown report on stdout, also written to `target/bench-security.md`;
//! per-run numbers on stderr as they come.
//!
//! # Limitations
//!
//! redis-benchmark and the servers share the machine's cores; with TLS the
//! client's encryption competes with the server's, so ratios are the
//! figure of merit, not absolute numbers.

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{
    cpu_count, die, env_usize, flushall, fmt_opt, median, parse_csv, ratio, ratio_cells, run,
    server_bins, tool, write_report,
};
use common::ServerProc;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";

/// Samples: (kind, pipeline, test) -> server -> requests/s.
type Samples = BTreeMap<(String, usize, String), BTreeMap<&'static str, Vec<f64>>>;

/// Runs redis-benchmark with `conn_args` (how to reach the server) for
/// SET and GET at depth `pipeline`; returns (test, rps) rows.
fn bench_run(
    bench: &str,
    conn_args: &[String],
    n: usize,
    pipeline: usize,
    name: &str,
) -> Vec<(String, f64)> {
    let n_s = n.to_string();
    let p_s = pipeline.to_string();
    let mut args: Vec<&str> = conn_args.iter().map(|s| s.as_str()).collect();
    args.extend([
        "-t", "set,get", "-n", &n_s, "-c", "50", "-r", "1000000", "-P", &p_s, "--csv",
    ]);
    let r = run(bench, &args, None, Duration::from_secs(1800));
    let rows = parse_csv(&r.stdout);
    if !r.status.success() || rows.is_empty() {
        die(&format!(
            "redis-benchmark {args:?} against {name} failed: {:?}\n{}\n{}",
            r.status, r.stdout, r.stderr
        ));
    }
    rows.into_iter().map(|row| (row.test, row.rps)).collect()
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let n = env_usize("BENCH_N", 200_000).max(1);
    let (rust_bin, redis_bin) = server_bins();
    let bench = tool("redis-benchmark");
    let dir = common::scratch_dir("bench-certs");
    let certs = common::make_test_certs(&dir);
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();

    let mut servers: Vec<(&'static str, ServerProc, u16)> = Vec::new();
    for (name, bin) in [(REDIS, &redis_bin), (RUSTREDIS, &rust_bin)] {
        let tls_port = common::free_port();
        let args = certs.server_args(tls_port);
        let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        servers.push((name, ServerProc::start_bin(bin, &refs), tls_port));
    }
    // The ACL user, where the server has ACL.
    let mut acl_ok: BTreeMap<&str, Result<(), String>> = BTreeMap::new();
    for (name, s, _) in &servers {
        let r = s.conn().cmd(&[
            b"ACL", b"SETUSER", b"bench", b"on", b">pw", b"~key:*", b"+@all",
        ]);
        acl_ok.insert(
            name,
            if r == b"+OK\r\n" {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&r).trim().to_string())
            },
        );
    }

    let mut samples: Samples = BTreeMap::new();
    for round in 1..=rounds {
        for pipeline in [1usize, 16] {
            for (name, s, tls_port) in &servers {
                let mut runs: Vec<(&str, Vec<String>)> = vec![(
                    "tls",
                    vec![
                        "-h".into(),
                        "127.0.0.1".into(),
                        "-p".into(),
                        tls_port.to_string(),
                        "--tls".into(),
                        "--cert".into(),
                        path(&certs.client_crt),
                        "--key".into(),
                        path(&certs.client_key),
                        "--cacert".into(),
                        path(&certs.ca),
                    ],
                )];
                let tcp = vec![
                    "-h".to_string(),
                    "127.0.0.1".into(),
                    "-p".into(),
                    s.port.to_string(),
                ];
                runs.push(("tcp default user", tcp.clone()));
                if acl_ok.get(name).is_some_and(|r| r.is_ok()) {
                    let mut acl = tcp.clone();
                    acl.extend(["--user".into(), "bench".into(), "-a".into(), "pw".into()]);
                    runs.push(("tcp ACL user", acl));
                }
                for (kind, conn_args) in runs {
                    flushall(s);
                    for (test, rps) in bench_run(&bench, &conn_args, n, pipeline, name) {
                        eprintln!(
                            "round {round}/{rounds} -P {pipeline:>2} {name:<9} {kind:<16} {test:<4} {rps:>12.2} rps"
                        );
                        samples
                            .entry((kind.to_string(), pipeline, test))
                            .or_default()
                            .entry(name)
                            .or_default()
                            .push(rps);
                    }
                }
            }
        }
    }

    let med = |kind: &str, p: usize, test: &str, server: &str| -> Option<f64> {
        samples
            .get(&(kind.to_string(), p, test.to_string()))
            .and_then(|m| m.get(server))
            .and_then(|v| median(v.clone()))
    };
    let version = run(&redis_bin, &["--version"], None, Duration::from_secs(10)).stdout;
    let mut md = String::new();
    let _ = writeln!(md, "# Security benchmark: TLS and ACL\n");
    let _ = writeln!(
        md,
        "redis-server: {}  \nrounds: {rounds} (median), requests per run: {n}, 50 clients, {} CPUs\n",
        version.trim(),
        cpu_count()
    );
    let _ = writeln!(
        md,
        "## TLS (`redis-benchmark --tls`, client certificates)\n"
    );
    let _ = writeln!(
        md,
        "| test | -P | redis-server rps | rustredis rps | rustredis / redis |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    for p in [1, 16] {
        for test in ["SET", "GET"] {
            let (a, b) = (med("tls", p, test, REDIS), med("tls", p, test, RUSTREDIS));
            let _ = writeln!(md, "| {test} | {p} | {} |", ratio_cells(a, b, 0, 3));
        }
    }
    let _ = writeln!(
        md,
        "\n## ACL-checked user (`~key:* +@all`) against the default user, plain TCP\n"
    );
    for (name, r) in &acl_ok {
        if let Err(e) = r {
            let _ = writeln!(md, "{name}: no ACL row, `ACL SETUSER` answered `{e}`.  ");
        }
    }
    let _ = writeln!(
        md,
        "\n| test | -P | redis default | redis ACL user | ACL/default | rustredis default | rustredis ACL user | ACL/default | rustredis ACL / redis ACL |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for p in [1, 16] {
        for test in ["SET", "GET"] {
            let rd = med("tcp default user", p, test, REDIS);
            let ra = med("tcp ACL user", p, test, REDIS);
            let xd = med("tcp default user", p, test, RUSTREDIS);
            let xa = med("tcp ACL user", p, test, RUSTREDIS);
            let _ = writeln!(
                md,
                "| {test} | {p} | {} | {} | {} |",
                ratio_cells(rd, ra, 0, 3),
                ratio_cells(xd, xa, 0, 3),
                fmt_opt(ratio(ra, xa), 3)
            );
        }
    }
    write_report("bench-security.md", &md);
    drop(servers);
    let _ = std::fs::remove_dir_all(&dir);
}
