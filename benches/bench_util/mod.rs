//! Helpers every side-by-side bench shares: reading knobs from the
//! environment, finding redis-tools, CPU time of a server process, medians.
//! Each bench includes this file with `#[path]`; not every bench uses all.
#![allow(dead_code)]

use std::path::PathBuf;

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

/// User plus system CPU time of `pid` so far, in µs (`/proc/PID/stat`,
/// 100 ticks per second).
pub fn cpu_micros(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| die(&format!("read /proc/{pid}/stat: {e}")));
    // The command name (field 2) may hold spaces: count from the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After ')': state is index 0, so utime (field 14) is index 11.
    (ticks(11) + ticks(12)) * 10_000.0
}

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
