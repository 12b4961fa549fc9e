//! Helpers every side-by-side bench shares: reading knobs from the
//! environment, finding redis-tools, running them (with a timeout) and
//! parsing redis-benchmark's CSV, CPU time of a server process, medians
//! and ratios, and writing the Markdown report next to the binaries.
//! Each bench includes this file with `#[path]`; not every bench uses all.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

/// Prints `<bench name>: msg` and exits with status 1.
pub fn die(msg: &str) -> ! {
    let name = std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "bench".to_string());
    // Cargo names bench binaries `<name>-<hash>`.
    let name = name.split('-').next().unwrap_or("bench").to_string();
    eprintln!("{name} bench: {msg}");
    std::process::exit(1);
}

/// The positive integer in environment variable `name`, or `default` when
/// unset; anything else stops the bench.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| die(&format!("{name}={v:?} is not a positive integer"))),
        Err(_) => default,
    }
}

/// A tool from redis-tools, found in /usr/bin, /usr/local/bin or PATH.
pub fn tool(name: &str) -> String {
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

/// User plus system CPU time of process `pid`, µs (`common::cpu_micros`).
#[allow(unused_imports)]
pub use crate::common::cpu_micros;

/// The median of `v`; None when empty.
pub fn median(mut v: Vec<f64>) -> Option<f64> {
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

/// `v` with `prec` decimals, or "n/a".
pub fn fmt_opt(v: Option<f64>, prec: usize) -> String {
    v.map(|x| format!("{x:.prec$}"))
        .unwrap_or_else(|| "n/a".to_string())
}

/// `x / base` when both are known and `base` is above 0 (a rustredis
/// figure over redis-server's, or the other way round), else None.
pub fn ratio(base: Option<f64>, x: Option<f64>) -> Option<f64> {
    match (base, x) {
        (Some(base), Some(x)) if base > 0.0 => Some(x / base),
        _ => None,
    }
}

/// Three markdown table cells `a | b | b/a`: redis-server's figure, ours
/// (both with `prec` decimals) and their ratio (`ratio_prec` decimals).
pub fn ratio_cells(a: Option<f64>, b: Option<f64>, prec: usize, ratio_prec: usize) -> String {
    format!(
        "{} | {} | {}",
        fmt_opt(a, prec),
        fmt_opt(b, prec),
        fmt_opt(ratio(a, b), ratio_prec)
    )
}

/// How many CPUs this process may use (1 when unknown), for the report.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
}

/// Prints the Markdown report `md` and writes it to `target/<file_name>`
/// (the directory above the profile directory holding the rustredis
/// binary, `target` when that cannot be found); stops the bench when the
/// file cannot be written.
pub fn write_report(file_name: &str, md: &str) {
    print!("{md}");
    // target/release/rustredis -> target/<file_name>
    let target_dir = std::path::Path::new(env!("CARGO_BIN_EXE_rustredis"))
        .parent()
        .and_then(std::path::Path::parent)
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"));
    let report = target_dir.join(file_name);
    match std::fs::write(&report, md) {
        Ok(()) => eprintln!("report written to {}", report.display()),
        Err(e) => die(&format!("write {}: {e}", report.display())),
    }
}

/// The two servers a bench compares: rustredis (`RUSTREDIS_BIN`, else the
/// binary cargo built for the bench) and redis-server (the oracle); stops
/// the bench when either is missing.
pub fn server_bins() -> (String, String) {
    let rust_bin = match std::env::var("RUSTREDIS_BIN") {
        Ok(b) if !b.is_empty() => b,
        _ => env!("CARGO_BIN_EXE_rustredis").to_string(),
    };
    let redis_bin = crate::common::oracle_bin();
    for b in [&rust_bin, &redis_bin] {
        if !std::path::Path::new(b).is_file() {
            die(&format!("server binary {b} not found"));
        }
    }
    (rust_bin, redis_bin)
}

/// One CSV row of redis-benchmark: test name, requests/s, and the p50 and
/// p99 latencies (ms) when the CSV has those columns.
#[derive(Debug, Clone)]
pub struct Row {
    pub test: String,
    pub rps: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// What a finished child process printed (`common::Ran`).
pub use crate::common::Ran as Run;

/// Runs `bin args...` with `stdin` fed from a thread, collecting output
/// ([`crate::common::run_tool`]); stops the bench when it cannot be run or
/// is still running after `timeout` (it is killed first).
pub fn run(bin: &str, args: &[&str], stdin: Option<&[u8]>, timeout: Duration) -> Run {
    crate::common::run_tool(bin, args, stdin, timeout).unwrap_or_else(|e| die(&e))
}

/// Splits one CSV line of redis-benchmark (`"a","b",...`) into fields.
pub fn csv_fields(line: &str) -> Vec<String> {
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
pub fn parse_csv(out: &str) -> Vec<Row> {
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

/// FLUSHALL on `s`; stops the bench unless it answers +OK.
pub fn flushall(s: &crate::common::ServerProc) {
    let reply = s.conn().cmd(&[b"FLUSHALL"]);
    if reply != b"+OK\r\n" {
        die(&format!(
            "FLUSHALL answered {:?}",
            String::from_utf8_lossy(&reply)
        ));
    }
}
