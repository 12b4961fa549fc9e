//! Replication benchmark: rustredis against Debian's redis-server 7.0.15 in
//! one run, on this machine (issue 11 item 7).
//!
//! Run with `cargo bench --bench replication` (a `harness = false` bench:
//! this `main` is the whole program). `RUSTREDIS_BIN` overrides the binary
//! Cargo built, `REDIS_ORACLE_BIN` overrides `/usr/bin/redis-server`;
//! `redis-benchmark` comes from Debian's redis-tools.
//!
//! # What it measures
//!
//! **Full sync time.** One master of each kind holds `BENCH_KEYS` keys
//! (default 1,000,000; `DEBUG POPULATE N key 32`: strings of 32 bytes). For
//! each of `BENCH_ROUNDS` rounds (default 3), for each mode (`disk`:
//! `repl-diskless-sync no`; `diskless`: `yes` with no delay), for each
//! replica kind (redis-server, and rustredis unless `BENCH_SYNC_REPLICAS=redis`),
//! a fresh empty replica of that kind is started and sent `REPLICAOF`; the
//! figure is the wall time from sending it until the replica reports
//! `master_link_status:up` and holds all the keys. The two masters take
//! turns (redis first in odd rounds, rustredis first in even ones), so
//! drift of the shared machine spreads over both. The same replica kind
//! loads from both masters: the ratio compares the masters' side (fork,
//! save, transfer), the replica's load time being the same.
//!
//! **Write throughput with 2 replicas.** One master of each kind with two
//! replicas of the same kind (`BENCH_WRITE_REPLICAS=redis` gives both
//! masters redis-server replicas instead), in sync. Per round, for `-P 1`
//! and `-P 16`, the masters take turns running `redis-benchmark -t set -n
//! BENCH_REQUESTS -c 50 -r 100000 -d 32 --csv` (default 200,000 requests);
//! the figure is its requests/s. After each run, the time until both
//! replicas report the master's `master_repl_offset` again (catch-up) is
//! reported beside it.
//!
//! The report gives the median of each figure over the rounds and the
//! ratio rustredis / redis (for times, below 1 is faster; for throughput,
//! above 1 is faster).
//!
//! # Output
//!
//! A markdown report on stdout, also written to
//! `target/bench-replication.md`; per-run numbers go to stderr as they come.
//!
//! # Limitations
//!
//! Masters, replicas, their fork children and redis-benchmark share the
//! machine's cores (two on the reference machine), so the write figures
//! measure a master competing with its replicas for CPU as much as the
//! master alone; they are comparable between the two kinds, not absolute.
//! Sync times include the page cache (disk mode writes and reads the file
//! at once).

#[path = "bench_util/mod.rs"]
mod bench_util;
#[path = "../tests/common/mod.rs"]
mod common;

use bench_util::{die, env_usize, fmt_opt, median, parse_csv, ratio_cells, run, server_bins, tool};
use common::{ServerProc, info_field, s};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::time::{Duration, Instant};

const REDIS: &str = "redis";
const RUSTREDIS: &str = "rustredis";

/// How long a sync or a catch-up may take before the bench stops.
const LIMIT: Duration = Duration::from_secs(600);

/// Starts `bin` with DEBUG allowed and diskless syncs starting at once.
fn start(bin: &str, extra: &[&str]) -> ServerProc {
    let mut args = vec![
        "--enable-debug-command",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ];
    args.extend_from_slice(extra);
    ServerProc::start_bin(bin, &args)
}

/// Runs `line` (space-separated words) on `sp`; stops the bench unless the
/// reply is `want`.
fn expect(sp: &ServerProc, line: &str, want: &str) {
    let args = common::split_args(line);
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let got = s(query(sp, &refs));
    if got != want {
        die(&format!("{line:?} on port {} answered {got:?}", sp.port));
    }
}

/// Runs `args` on `sp` and returns the reply, waiting up to [`LIMIT`]
/// for it (`Conn::cmd` gives up after 10 s, and a server busy with a
/// sync may take longer to answer).
fn query(sp: &ServerProc, args: &[&[u8]]) -> Vec<u8> {
    let mut c = sp.conn();
    c.send_raw(&common::encode_command(args));
    let _ = c.stream.set_read_timeout(Some(LIMIT));
    let mut chunk = [0u8; 16384];
    loop {
        match common::parse_reply(&c.buf, 0) {
            Ok(Some(end)) => return c.buf[..end].to_vec(),
            Ok(None) => {}
            Err(e) => die(&format!("bad reply from port {}: {e}", sp.port)),
        }
        match c.stream.read(&mut chunk) {
            Ok(n) if n > 0 => c.buf.extend_from_slice(&chunk[..n]),
            Ok(_) => die(&format!("port {} closed the connection", sp.port)),
            Err(e) => die(&format!(
                "no reply from port {} within {LIMIT:?}: {e}",
                sp.port
            )),
        }
    }
}

/// A field of `INFO <section>` on `sp` ("" when absent).
fn info(sp: &ServerProc, section: &str, field: &str) -> String {
    let text = s(query(sp, &[b"INFO", section.as_bytes()]));
    info_field(&text, field).unwrap_or_default()
}

/// Waits until `cond` holds, polling every 5 ms; stops the bench after
/// [`LIMIT`] with `what`. Returns the time it took.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !cond() {
        if t0.elapsed() > LIMIT {
            die(&format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    t0.elapsed()
}

/// True when `replica` has its link up and `keys` keys.
fn synced_with(replica: &ServerProc, keys: usize) -> bool {
    if info(replica, "replication", "master_link_status") != "up" {
        return false;
    }
    s(query(replica, &[b"DBSIZE"])) == format!(":{keys}\r\n")
}

/// Starts an empty replica of `replica_bin`, points it at `master`, and
/// returns the seconds until it is up with all `keys` keys.
fn timed_full_sync(master: &ServerProc, replica_bin: &str, keys: usize) -> f64 {
    let r = start(replica_bin, &[]);
    let port = master.port.to_string();
    let t0 = Instant::now();
    expect(&r, &format!("REPLICAOF 127.0.0.1 {port}"), "+OK\r\n");
    wait_for("a full sync", || synced_with(&r, keys));
    t0.elapsed().as_secs_f64()
}

/// A master of `bin` with two replicas of `replica_bin`, in sync.
struct Cluster {
    master: ServerProc,
    replicas: Vec<ServerProc>,
}

impl Cluster {
    fn start(bin: &str, replica_bin: &str) -> Cluster {
        let master = start(bin, &[]);
        let port = master.port.to_string();
        let replicas: Vec<ServerProc> = (0..2)
            .map(|_| {
                let r = start(replica_bin, &[]);
                expect(&r, &format!("REPLICAOF 127.0.0.1 {port}"), "+OK\r\n");
                r
            })
            .collect();
        let c = Cluster { master, replicas };
        c.wait_caught_up();
        c
    }

    /// Waits until both replicas are up at the master's offset; returns
    /// how long that took.
    fn wait_caught_up(&self) -> Duration {
        wait_for("the replicas to catch up", || {
            let off = info(&self.master, "replication", "master_repl_offset");
            self.replicas.iter().all(|r| {
                info(r, "replication", "master_link_status") == "up"
                    && info(r, "replication", "master_repl_offset") == off
            })
        })
    }
}

/// requests/s of one `redis-benchmark -t set` run against `port`.
fn set_rps(bench: &str, port: u16, requests: usize, pipeline: usize) -> f64 {
    let (port, n, p) = (port.to_string(), requests.to_string(), pipeline.to_string());
    let args = [
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-t",
        "set",
        "-n",
        &n,
        "-c",
        "50",
        "-r",
        "100000",
        "-d",
        "32",
        "-P",
        &p,
        "--csv",
    ];
    let r = run(bench, &args, None, Duration::from_secs(1800));
    if !r.status.success() {
        die(&format!(
            "redis-benchmark failed: {:?}\n{}",
            r.status, r.stderr
        ));
    }
    parse_csv(&r.stdout)
        .first()
        .map(|row| row.rps)
        .unwrap_or_else(|| die(&format!("redis-benchmark printed no rows:\n{}", r.stdout)))
}

/// The two names in the order they run in `round`.
fn turn(round: usize) -> [&'static str; 2] {
    if round % 2 == 1 {
        [REDIS, RUSTREDIS]
    } else {
        [RUSTREDIS, REDIS]
    }
}

type Samples = BTreeMap<(String, String, &'static str), Vec<f64>>;

fn main() {
    let keys = env_usize("BENCH_KEYS", 1_000_000).max(1);
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let requests = env_usize("BENCH_REQUESTS", 200_000).max(1);
    let (rust_bin, redis_bin) = server_bins();
    let bench = tool("redis-benchmark");
    let bin_of = |name: &str| {
        if name == REDIS {
            redis_bin.clone()
        } else {
            rust_bin.clone()
        }
    };
    let sync_replicas: Vec<&str> = match std::env::var("BENCH_SYNC_REPLICAS").as_deref() {
        Ok("redis") => vec![REDIS],
        Ok("both") | Err(_) => vec![REDIS, RUSTREDIS],
        Ok(other) => die(&format!("BENCH_SYNC_REPLICAS={other:?}: redis or both")),
    };
    let same_replicas = match std::env::var("BENCH_WRITE_REPLICAS").as_deref() {
        Ok("redis") => false,
        Ok("same") | Err(_) => true,
        Ok(other) => die(&format!("BENCH_WRITE_REPLICAS={other:?}: redis or same")),
    };

    // ---- Full sync time ----
    let masters: BTreeMap<&str, ServerProc> = [REDIS, RUSTREDIS]
        .into_iter()
        .map(|name| {
            let m = start(&bin_of(name), &[]);
            expect(&m, &format!("DEBUG POPULATE {keys} key 32"), "+OK\r\n");
            expect(&m, "DBSIZE", &format!(":{keys}\r\n"));
            (name, m)
        })
        .collect();
    let mut sync: Samples = BTreeMap::new();
    for round in 1..=rounds {
        for mode in ["disk", "diskless"] {
            let flag = if mode == "disk" { "no" } else { "yes" };
            for m in masters.values() {
                expect(
                    m,
                    &format!("CONFIG SET repl-diskless-sync {flag}"),
                    "+OK\r\n",
                );
            }
            for &replica in &sync_replicas {
                for name in turn(round) {
                    let t = timed_full_sync(&masters[name], &bin_of(replica), keys);
                    eprintln!(
                        "round {round}: {mode} full sync of {keys} keys, {name} master -> {replica} replica: {t:.3} s"
                    );
                    sync.entry((mode.to_string(), replica.to_string(), name))
                        .or_default()
                        .push(t);
                }
            }
        }
    }
    drop(masters);

    // ---- Write throughput with two replicas ----
    let clusters: BTreeMap<&str, Cluster> = [REDIS, RUSTREDIS]
        .into_iter()
        .map(|name| {
            let replica_bin = if same_replicas {
                bin_of(name)
            } else {
                redis_bin.clone()
            };
            (name, Cluster::start(&bin_of(name), &replica_bin))
        })
        .collect();
    let mut rps: Samples = BTreeMap::new();
    let mut catch_up: Samples = BTreeMap::new();
    for round in 1..=rounds {
        for pipeline in [1usize, 16] {
            for name in turn(round) {
                let c = &clusters[name];
                let r = set_rps(&bench, c.master.port, requests, pipeline);
                let lag = c.wait_caught_up().as_secs_f64();
                eprintln!(
                    "round {round}: SET -P {pipeline} on a {name} master with 2 replicas: {r:.0} req/s, replicas caught up {lag:.3} s later"
                );
                let key = (format!("-P {pipeline}"), String::new(), name);
                rps.entry(key.clone()).or_default().push(r);
                catch_up.entry(key).or_default().push(lag);
            }
        }
    }

    // ---- Report ----
    let version = info(&clusters[REDIS].master, "server", "redis_version");
    let get = |m: &Samples, a: &str, b: &str, who: &'static str| {
        m.get(&(a.to_string(), b.to_string(), who))
            .and_then(|v| median(v.clone()))
    };
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Replication: rustredis vs redis-server {version}\n\n\
         Medians over {rounds} round(s), {} CPU(s).\n\n\
         ### Full sync of {keys} keys (DEBUG POPULATE, 32-byte strings)\n\n\
         Wall time from REPLICAOF until the replica is up with every key.\n",
        bench_util::cpu_count()
    );
    let _ = writeln!(
        md,
        "| mode | replica | redis master s | rustredis master s | ratio |"
    );
    let _ = writeln!(md, "|---|---|---:|---:|---:|");
    for mode in ["disk", "diskless"] {
        for &replica in &sync_replicas {
            let (a, b) = (
                get(&sync, mode, replica, REDIS),
                get(&sync, mode, replica, RUSTREDIS),
            );
            let _ = writeln!(md, "| {mode} | {replica} | {} |", ratio_cells(a, b, 3, 2));
        }
    }
    let _ = writeln!(
        md,
        "\n### SET throughput with 2 replicas attached (replicas: {})\n\n\
         redis-benchmark -t set -n {requests} -c 50 -r 100000 -d 32; catch-up is the time \
         after the run until both replicas reach the master's offset.\n",
        if same_replicas {
            "same kind as the master"
        } else {
            "redis-server"
        }
    );
    let _ = writeln!(
        md,
        "| pipeline | redis req/s | rustredis req/s | ratio | redis catch-up s | rustredis catch-up s |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for p in ["-P 1", "-P 16"] {
        let (a, b) = (get(&rps, p, "", REDIS), get(&rps, p, "", RUSTREDIS));
        let _ = writeln!(
            md,
            "| {p} | {} | {} | {} |",
            ratio_cells(a, b, 0, 2),
            fmt_opt(get(&catch_up, p, "", REDIS), 3),
            fmt_opt(get(&catch_up, p, "", RUSTREDIS), 3)
        );
    }
    bench_util::write_report("bench-replication.md", &md);
}
