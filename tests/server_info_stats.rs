//! INFO's section arguments, commandstats, errorstats and latencystats, and
//! what CONFIG RESETSTAT clears.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;

use common::{Conn, ServerProc, info_field, s};
use std::time::{Duration, Instant};

/// INFO with `args` as text (the payload of the bulk reply).
fn info(c: &mut Conn, args: &[&str]) -> String {
    let mut a: Vec<&[u8]> = vec![b"INFO"];
    a.extend(args.iter().map(|x| x.as_bytes()));
    let t = s(c.cmd(&a));
    assert!(t.starts_with('$'), "bulk expected: {t:?}");
    let nl = t.find("\r\n").expect("length line");
    let n: usize = t[1..nl].parse().expect("length");
    let body = &t[nl + 2..];
    assert_eq!(body.len(), n + 2, "bulk length mismatch");
    body[..n].to_string()
}

/// The `# Title` lines of an INFO text, in order.
fn headers(text: &str) -> Vec<String> {
    text.split("\r\n")
        .filter(|l| l.starts_with("# "))
        .map(|l| l[2..].to_string())
        .collect()
}

fn ok(c: &mut Conn, line: &str) {
    assert_eq!(s(c.cmd_str(line)), "+OK\r\n", "{line}");
}

#[test]
fn info_section_arguments() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    let default = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ];
    let all = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Commandstats",
        "Errorstats",
        "Latencystats",
        "Cluster",
        "Keyspace",
    ];
    assert_eq!(headers(&info(&mut c, &[])), default);
    assert_eq!(headers(&info(&mut c, &["default"])), default);
    assert_eq!(headers(&info(&mut c, &["all"])), all);
    assert_eq!(headers(&info(&mut c, &["everything"])), all);
    assert_eq!(headers(&info(&mut c, &["ALL", "bogus"])), all);
    // Several sections at once, always in Redis's order, each once.
    assert_eq!(
        headers(&info(&mut c, &["keyspace", "SERVER", "keyspace"])),
        ["Server", "Keyspace"]
    );
    assert_eq!(
        headers(&info(&mut c, &["latencystats", "commandstats", "cpu"])),
        ["CPU", "Commandstats", "Latencystats"]
    );
    assert_eq!(
        headers(&info(&mut c, &["default", "commandstats"])),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Commandstats",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert_eq!(headers(&info(&mut c, &["modules"])), ["Modules"]);
    assert_eq!(headers(&info(&mut c, &["module_list"])), ["Modules"]);
    // Unknown sections: an empty text.
    assert_eq!(s(c.cmd_str("INFO bogus")), "$0\r\n\r\n");
    assert_eq!(s(c.cmd_str("INFO bogus nosuch")), "$0\r\n\r\n");
    // Sections are separated by one empty line, and the text ends with a
    // field line.
    let t = info(&mut c, &["server", "keyspace"]);
    assert!(t.contains("\r\n\r\n# Keyspace\r\n"), "{t:?}");
    assert!(t.ends_with("# Keyspace\r\n"), "{t:?}");
}

#[test]
fn commandstats_and_errorstats() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    ok(&mut c, "CONFIG RESETSTAT");
    ok(&mut c, "SET k v");
    ok(&mut c, "SET k v2");
    c.cmd_str("GET k");
    c.cmd_str("CONFIG GET hz");
    c.cmd_str("INCR k"); // fails: not an integer
    c.cmd_str("GET"); // rejected: arity
    c.cmd_str("NOSUCHCMD"); // rejected, no command to count
    let t = info(&mut c, &["commandstats"]);
    let stat = |name: &str| {
        info_field(&t, &format!("cmdstat_{name}"))
            .unwrap_or_else(|| panic!("cmdstat_{name} missing in {t}"))
    };
    assert!(stat("set").starts_with("calls=2,usec="), "{}", stat("set"));
    assert!(
        stat("set").ends_with(",rejected_calls=0,failed_calls=0"),
        "{}",
        stat("set")
    );
    assert!(stat("get").starts_with("calls=1,"), "{}", stat("get"));
    assert!(
        stat("get").ends_with(",rejected_calls=1,failed_calls=0"),
        "{}",
        stat("get")
    );
    assert!(
        stat("incr").ends_with(",rejected_calls=0,failed_calls=1"),
        "{}",
        stat("incr")
    );
    // Subcommands are named parent|sub.
    assert!(stat("config|get").starts_with("calls=1,"), "{t}");
    assert!(info_field(&t, "cmdstat_config").is_none(), "{t}");
    // The fields of one line: calls, usec, usec_per_call with 2 decimals.
    let v = stat("set");
    let parts: Vec<(&str, &str)> = v
        .split(',')
        .map(|kv| kv.split_once('=').expect("k=v"))
        .collect();
    let keys: Vec<&str> = parts.iter().map(|p| p.0).collect();
    assert_eq!(
        keys,
        [
            "calls",
            "usec",
            "usec_per_call",
            "rejected_calls",
            "failed_calls"
        ]
    );
    let per = parts[2].1;
    assert_eq!(per.split('.').nth(1).map(str::len), Some(2), "{per}");
    let e = info(&mut c, &["errorstats"]);
    assert_eq!(
        info_field(&e, "errorstat_ERR").as_deref(),
        Some("count=3"),
        "{e}"
    );
    // RESETSTAT clears both.
    ok(&mut c, "CONFIG RESETSTAT");
    let t = info(&mut c, &["commandstats", "errorstats"]);
    assert_eq!(
        t,
        "# Commandstats\r\ncmdstat_config|resetstat:calls=1,".to_string()
            + t.split("cmdstat_config|resetstat:calls=1,")
                .nth(1)
                .unwrap_or_else(|| panic!("{t}"))
    );
    assert!(!t.contains("cmdstat_set"), "{t}");
    assert!(t.ends_with("# Errorstats\r\n"), "{t:?}");
}

/// `latency_percentiles_usec_<name>` of INFO latencystats, if present.
fn latency_line(c: &mut Conn, name: &str) -> Option<String> {
    let t = info(c, &["latencystats"]);
    info_field(&t, &format!("latency_percentiles_usec_{name}"))
}

#[test]
fn latencystats_tracking_percentiles_and_reset() {
    let srv = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    ok(&mut c, "CONFIG RESETSTAT");
    ok(&mut c, "CONFIG SET latency-tracking no");
    ok(&mut c, "SET a b");
    assert_eq!(latency_line(&mut c, "set"), None);
    ok(&mut c, "CONFIG SET latency-tracking yes");
    ok(&mut c, "SET a b");
    let l = latency_line(&mut c, "set").expect("set has a histogram");
    let keys: Vec<&str> = l
        .split(',')
        .map(|kv| kv.split('=').next().unwrap_or(""))
        .collect();
    assert_eq!(keys, ["p50", "p99", "p99.9"], "{l}");
    for kv in l.split(',') {
        let v = kv.split('=').nth(1).unwrap_or("");
        assert_eq!(v.split('.').nth(1).map(str::len), Some(3), "{l}");
    }
    // Subcommands have their own histogram.
    assert!(latency_line(&mut c, "config|set").is_some());
    // The percentile list is configurable.
    ok(
        &mut c,
        "CONFIG SET latency-tracking-info-percentiles \"0 50 100\"",
    );
    let l = latency_line(&mut c, "set").expect("set");
    assert!(
        l.starts_with("p0=") && l.contains(",p50=") && l.contains(",p100="),
        "{l}"
    );
    ok(&mut c, "CONFIG SET latency-tracking-info-percentiles \"\"");
    assert_eq!(latency_line(&mut c, "set").as_deref(), Some(""));
    ok(
        &mut c,
        "CONFIG SET latency-tracking-info-percentiles \"50 99 99.9\"",
    );
    // A slow command shows its time: DEBUG SLEEP 0.05 is at least 50 ms.
    ok(&mut c, "DEBUG SLEEP 0.05");
    let l = latency_line(&mut c, "debug").expect("debug");
    let p50: f64 = l
        .split(',')
        .next()
        .and_then(|kv| kv.strip_prefix("p50="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{l}"));
    assert!((50_000.0..1_000_000.0).contains(&p50), "{l}");
    // RESETSTAT drops every histogram.
    ok(&mut c, "CONFIG RESETSTAT");
    assert_eq!(latency_line(&mut c, "set"), None);
    assert_eq!(latency_line(&mut c, "debug"), None);
}

#[test]
fn blocked_command_stats_on_unblock() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    let mut b = srv.conn();
    ok(&mut c, "CONFIG RESETSTAT");
    b.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$2\r\nl1\r\n$1\r\n0\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let t = info(&mut c, &["clients"]);
        if info_field(&t, "blocked_clients").as_deref() == Some("1") {
            break;
        }
        assert!(Instant::now() < deadline, "BLPOP never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Blocked: counted as a call, but no latency sample yet.
    let t = info(&mut c, &["commandstats"]);
    assert!(
        info_field(&t, "cmdstat_blpop").is_some_and(|v| v.starts_with("calls=1,")),
        "{t}"
    );
    assert_eq!(latency_line(&mut c, "blpop"), None);
    assert_eq!(s(c.cmd_str("LPUSH l1 x")), ":1\r\n");
    assert_eq!(s(b.read_reply()), "*2\r\n$2\r\nl1\r\n$1\r\nx\r\n");
    // Served: the histogram has it.
    assert!(latency_line(&mut c, "blpop").is_some());
    // CLIENT UNBLOCK ... ERROR counts a failed call.
    let id = s(b.cmd_str("CLIENT ID"));
    let id = id.trim_start_matches(':').trim_end();
    b.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$2\r\nl1\r\n$1\r\n0\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let t = info(&mut c, &["clients"]);
        if info_field(&t, "blocked_clients").as_deref() == Some("1") {
            break;
        }
        assert!(Instant::now() < deadline, "BLPOP never blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        s(c.cmd_str(&format!("CLIENT UNBLOCK {id} ERROR"))),
        ":1\r\n"
    );
    assert_eq!(
        s(b.read_reply()),
        "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
    let t = info(&mut c, &["commandstats"]);
    let v = info_field(&t, "cmdstat_blpop").unwrap_or_default();
    assert!(
        v.starts_with("calls=2,") && v.ends_with(",rejected_calls=0,failed_calls=1"),
        "{v}"
    );
    let e = info(&mut c, &["errorstats"]);
    assert_eq!(
        info_field(&e, "errorstat_UNBLOCKED").as_deref(),
        Some("count=1")
    );
}

#[test]
fn resetstat_clears_server_stats() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    ok(&mut c, "SET k v");
    c.cmd_str("GET k");
    c.cmd_str("GET nokey");
    c.cmd_str("NOSUCH");
    let t = info(&mut c, &["stats"]);
    assert_eq!(info_field(&t, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_field(&t, "keyspace_misses").as_deref(), Some("1"));
    ok(&mut c, "CONFIG RESETSTAT");
    let t = info(&mut c, &["stats"]);
    for f in [
        "keyspace_hits",
        "keyspace_misses",
        "total_error_replies",
        "expired_keys",
        "evicted_keys",
        "rejected_connections",
        "total_connections_received",
        "total_forks",
        "latest_fork_usec",
    ] {
        assert_eq!(info_field(&t, f).as_deref(), Some("0"), "{f} in {t}");
    }
    // The INFO call itself is the one command processed since the reset.
    assert_eq!(
        info_field(&t, "total_commands_processed").as_deref(),
        Some("1"),
        "{t}"
    );
    assert_eq!(s(c.cmd_str("GET k")), "$1\r\nv\r\n", "the data stays");
}

#[test]
fn errorstats_counts_every_distinct_code() {
    // Redis 7.0 keeps a counter per error code without a cap.
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    ok(&mut c, "CONFIG RESETSTAT");
    for i in 0..140 {
        let script = format!("return redis.error_reply('E{i} x')");
        let r = s(c.cmd(&[b"EVAL", script.as_bytes(), b"0"]));
        assert_eq!(r, format!("-E{i} x\r\n"));
    }
    let e = info(&mut c, &["errorstats"]);
    assert_eq!(
        e.split("\r\n")
            .filter(|l| l.starts_with("errorstat_"))
            .count(),
        140
    );
    assert_eq!(info_field(&e, "errorstat_E139").as_deref(), Some("count=1"));
}
