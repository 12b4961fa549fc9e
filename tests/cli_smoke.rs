//! Smoke tests with Redis's own command-line tools: `redis-cli` (commands as
//! arguments, interactive-style input on stdin, `--pipe` mass insertion,
//! `--scan`) and `redis-benchmark`, run against the server under test.
//!
//! The expected outputs are what redis-cli 7.0 prints against redis-server
//! 7.0.15. When stdout is not a terminal redis-cli prints in `--raw` style:
//! bare values, one per line, an empty line for nil, and an error as its text
//! followed by an empty line. `--no-raw` forces the human style:
//! `(integer) 3`, `"3"`, `(nil)`, `1) "v"`.
//!
//! When `redis-cli` or `redis-benchmark` is not installed the test fails if
//! `CI=true`, and otherwise prints a skip message and returns.

mod common;

use common::{Ran, ServerProc};
use std::path::Path;
use std::time::Duration;

/// The full path of a tool from Redis's tools package, or `None` (after
/// printing a skip message) when it is not installed. Panics in CI.
fn tool(name: &str) -> Option<String> {
    let mut candidates = vec![format!("/usr/bin/{name}"), format!("/usr/local/bin/{name}")];
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            candidates.push(dir.join(name).to_string_lossy().into_owned());
        }
    }
    if let Some(found) = candidates.into_iter().find(|p| Path::new(p).is_file()) {
        return Some(found);
    }
    if common::in_ci() {
        panic!("{name} missing (CI=true, so this is a failure): apt-get install redis-tools");
    }
    eprintln!("{name} missing, skipped (apt-get install redis-tools to run this test)");
    None
}

/// Runs `bin args...` ([`common::run_tool`]); panics when it cannot run or
/// is still running after `timeout`.
fn run(bin: &str, args: &[&str], stdin: Option<Vec<u8>>, timeout: Duration) -> Ran {
    common::run_tool(bin, args, stdin.as_deref(), timeout).unwrap_or_else(|e| panic!("{e}"))
}

/// `redis-cli -p PORT args...` with no stdin; returns stdout, asserting exit 0.
fn cli(bin: &str, port: u16, args: &[&str]) -> String {
    let p = port.to_string();
    let mut all = vec!["-p", p.as_str()];
    all.extend_from_slice(args);
    let r = run(bin, &all, None, Duration::from_secs(30));
    assert!(
        r.status.success(),
        "redis-cli {all:?} failed: {:?}\nstderr: {}",
        r.status,
        r.stderr
    );
    r.stdout
}

/// `redis-cli -p PORT extra...` reading `input` on stdin; returns stdout.
fn cli_stdin(bin: &str, port: u16, extra: &[&str], input: &[u8]) -> String {
    let p = port.to_string();
    let mut all = vec!["-p", p.as_str()];
    all.extend_from_slice(extra);
    let r = run(bin, &all, Some(input.to_vec()), Duration::from_secs(60));
    assert!(
        r.status.success(),
        "redis-cli {all:?} failed: {:?}\nstderr: {}",
        r.status,
        r.stderr
    );
    r.stdout
}

#[test]
fn cli_commands_as_arguments() {
    let Some(rc) = tool("redis-cli") else { return };
    let s = ServerProc::start(&[]);
    let p = s.port;
    assert_eq!(cli(&rc, p, &["ping"]), "PONG\n");
    assert_eq!(cli(&rc, p, &["set", "a", "1"]), "OK\n");
    assert_eq!(cli(&rc, p, &["get", "a"]), "1\n");
    assert_eq!(cli(&rc, p, &["incr", "a"]), "2\n");
    assert_eq!(cli(&rc, p, &["--raw", "incr", "a"]), "3\n");
    assert_eq!(cli(&rc, p, &["--no-raw", "incr", "a"]), "(integer) 4\n");
    assert_eq!(cli(&rc, p, &["--no-raw", "get", "a"]), "\"4\"\n");
    assert_eq!(cli(&rc, p, &["--no-raw", "set", "b", "x"]), "OK\n");
    // nil: an empty line in raw style, (nil) in human style.
    assert_eq!(cli(&rc, p, &["get", "nokey"]), "\n");
    assert_eq!(cli(&rc, p, &["--no-raw", "get", "nokey"]), "(nil)\n");
    assert_eq!(
        cli(&rc, p, &["--raw", "mget", "a", "nokey", "b"]),
        "4\n\nx\n"
    );
    assert_eq!(
        cli(&rc, p, &["--no-raw", "mget", "a", "nokey", "b"]),
        "1) \"4\"\n2) (nil)\n3) \"x\"\n"
    );
    // Binary-safe values and spaces inside one argument.
    assert_eq!(cli(&rc, p, &["set", "sp ace", "hello world"]), "OK\n");
    assert_eq!(cli(&rc, p, &["get", "sp ace"]), "hello world\n");
    assert_eq!(cli(&rc, p, &["strlen", "sp ace"]), "11\n");
    // Errors: the text then an empty line in raw style, "(error) " in human.
    assert_eq!(
        cli(&rc, p, &["incr", "b"]),
        "ERR value is not an integer or out of range\n\n"
    );
    assert_eq!(
        cli(&rc, p, &["--no-raw", "set"]),
        "(error) ERR wrong number of arguments for 'set' command\n"
    );
    assert_eq!(
        cli(&rc, p, &["nosuchcommand", "x"]),
        "ERR unknown command 'nosuchcommand', with args beginning with: 'x' \n\n"
    );
    // -n selects a database.
    assert_eq!(cli(&rc, p, &["-n", "2", "dbsize"]), "0\n");
    assert_eq!(cli(&rc, p, &["-n", "2", "set", "x", "y"]), "OK\n");
    assert_eq!(cli(&rc, p, &["-n", "2", "dbsize"]), "1\n");
    assert_eq!(
        cli(&rc, p, &["--no-raw", "-n", "2", "dbsize"]),
        "(integer) 1\n"
    );
    assert_eq!(cli(&rc, p, &["dbsize"]), "3\n");
    assert_eq!(cli(&rc, p, &["-n", "2", "get", "x"]), "y\n");
    assert_eq!(cli(&rc, p, &["get", "x"]), "\n");
    // TTLs through the CLI.
    assert_eq!(cli(&rc, p, &["set", "t", "v", "ex", "100"]), "OK\n");
    let ttl: i64 = cli(&rc, p, &["ttl", "t"])
        .trim()
        .parse()
        .expect("ttl is an integer");
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    let info = cli(&rc, p, &["info", "server"]);
    assert!(
        info.contains("redis_version:7.0.15\r\n"),
        "INFO server: {info}"
    );
}

#[test]
fn cli_interactive_style_stdin() {
    let Some(rc) = tool("redis-cli") else { return };
    let s = ServerProc::start(&[]);
    let out = cli_stdin(
        &rc,
        s.port,
        &[],
        b"set k v\nget k\nset \"my key\" \"hello world\"\nget \"my key\"\n\
          incr k\nappend k 123\nget k\nmget k \"my key\" nokey\nexists k \"my key\" nokey\n\
          del k\nget k\n",
    );
    assert_eq!(
        out,
        "OK\nv\nOK\nhello world\nERR value is not an integer or out of range\n\n\
         4\nv123\nv123\nhello world\n\n2\n1\n\n"
    );
    let out = cli_stdin(
        &rc,
        s.port,
        &["--no-raw"],
        b"mget \"my key\" nokey\nincrby n 5\nping\n",
    );
    assert_eq!(out, "1) \"hello world\"\n2) (nil)\n(integer) 5\nPONG\n");
    // Several databases in one session: SELECT sticks to the connection.
    let out = cli_stdin(
        &rc,
        s.port,
        &[],
        b"select 3\nset only3 yes\ndbsize\nselect 0\nget only3\n",
    );
    assert_eq!(out, "OK\nOK\n1\nOK\n\n");
    assert_eq!(cli(&rc, s.port, &["-n", "3", "get", "only3"]), "yes\n");
}

/// RESP for `SET key:N val:N`, N in 0..count.
fn set_commands_resp(count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count * 48);
    for n in 0..count {
        let k = format!("key:{n}");
        let v = format!("val:{n}");
        out.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{}\r\n${}\r\n{}\r\n",
                k.len(),
                k,
                v.len(),
                v
            )
            .as_bytes(),
        );
    }
    out
}

#[test]
fn cli_pipe_100k_then_scan() {
    let Some(rc) = tool("redis-cli") else { return };
    let s = ServerProc::start(&[]);
    let p = s.port.to_string();
    let r = run(
        &rc,
        &["-p", &p, "--pipe"],
        Some(set_commands_resp(100_000)),
        Duration::from_secs(120),
    );
    assert!(
        r.status.success(),
        "--pipe failed: {:?}\n{}\n{}",
        r.status,
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout
            .contains("All data transferred. Waiting for the last reply..."),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Last reply received from server."),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("errors: 0, replies: 100000"),
        "--pipe summary: {}",
        r.stdout
    );
    assert_eq!(cli(&rc, s.port, &["dbsize"]), "100000\n");
    assert_eq!(cli(&rc, s.port, &["get", "key:0"]), "val:0\n");
    assert_eq!(cli(&rc, s.port, &["get", "key:99999"]), "val:99999\n");
    assert_eq!(cli(&rc, s.port, &["get", "key:100000"]), "\n");

    // key:1, key:10..19, key:100..199, key:1000..1999, key:10000..19999.
    let scan = cli(&rc, s.port, &["--scan", "--pattern", "key:1*"]);
    let mut keys: Vec<&str> = scan.lines().collect();
    assert_eq!(keys.len(), 11_111, "--scan printed {} lines", keys.len());
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 11_111, "--scan printed duplicate keys");
    assert!(keys.iter().all(|k| k.starts_with("key:1")));
    let scan_all = cli(&rc, s.port, &["--scan"]);
    assert_eq!(scan_all.lines().count(), 100_000);

    // A pipe with errors in it reports them in its summary.
    let mut bad = set_commands_resp(10);
    bad.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$5\r\nkey:1\r\n");
    bad.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n");
    let r = run(
        &rc,
        &["-p", &p, "--pipe"],
        Some(bad),
        Duration::from_secs(60),
    );
    assert!(
        r.stdout.contains("errors: 1, replies: 12"),
        "--pipe summary: {}",
        r.stdout
    );
    assert_eq!(
        r.status.code(),
        Some(1),
        "--pipe exits 1 when a reply was an error"
    );
    assert_eq!(
        r.stderr, "ERR value is not an integer or out of range\n",
        "--pipe prints the error on stderr"
    );
    assert_eq!(cli(&rc, s.port, &["get", "counter"]), "1\n");
}

#[test]
fn benchmark_set_get() {
    let Some(rb) = tool("redis-benchmark") else {
        return;
    };
    let s = ServerProc::start(&[]);
    let p = s.port.to_string();
    let r = run(
        &rb,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &p,
            "-t",
            "set,get",
            "-n",
            "20000",
            "-q",
        ],
        None,
        Duration::from_secs(180),
    );
    assert!(
        r.status.success(),
        "redis-benchmark failed: {:?}\n{}\n{}",
        r.status,
        r.stdout,
        r.stderr
    );
    // -q redraws a progress line with '\r'; the final result of each test is
    // the last '\r'-separated piece of its '\n'-terminated line.
    let finals: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.rsplit('\r').next())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for name in ["SET", "GET"] {
        let line = finals
            .iter()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} line in {:?}", r.stdout));
        assert!(line.contains(" requests per second"), "{line}");
        let rps: f64 = line[name.len() + 2..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no rate in {line}"));
        assert!(rps > 100.0, "{name} rate too low: {line}");
    }
    // The benchmark's keys landed in the keyspace.
    let mut c = s.conn();
    assert_eq!(c.cmd(&[b"EXISTS", b"key:__rand_int__"]), b":1\r\n");
}
