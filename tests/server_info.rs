//! INFO sections and fields, CONFIG SET hz, CONFIG RESETSTAT, and the DEBUG
//! subcommands behind `enable-debug-command` (SLEEP, SET-ACTIVE-EXPIRE,
//! OBJECT).
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`. Extra fields
//! (e.g. `rustredis_version`) are allowed; missing ones are not.

mod common;
#[allow(unused_imports)]
use common::{info_field, s};

use common::{Conn, ServerProc};
use std::time::{Duration, Instant};

/// The payload of a RESP2 bulk string reply; panics on anything else.
fn bulk(reply: Vec<u8>) -> String {
    let t = s(reply);
    assert!(t.starts_with('$'), "bulk expected: {t:?}");
    let nl = t.find("\r\n").unwrap_or_else(|| panic!("{t:?}"));
    let n: usize = t[1..nl].parse().unwrap_or_else(|_| panic!("{t:?}"));
    let body = &t[nl + 2..];
    assert_eq!(body.len(), n + 2, "bulk length mismatch");
    body[..n].to_string()
}

/// INFO `section` (or default INFO when empty) as text.
fn info(c: &mut Conn, section: &str) -> String {
    if section.is_empty() {
        bulk(c.cmd(&[b"INFO"]))
    } else {
        bulk(c.cmd(&[b"INFO", section.as_bytes()]))
    }
}

fn req(info: &str, field: &str) -> String {
    info_field(info, field).unwrap_or_else(|| panic!("INFO field {field} missing in:\n{info}"))
}

fn req_uint(info: &str, field: &str) -> u64 {
    let v = req(info, field);
    v.parse()
        .unwrap_or_else(|_| panic!("{field}:{v} is not an unsigned integer"))
}

fn req_float(info: &str, field: &str) -> f64 {
    let v = req(info, field);
    v.parse()
        .unwrap_or_else(|_| panic!("{field}:{v} is not a number"))
}

/// Checks that `fields` all appear in `info` (a single section).
fn require_fields(info: &str, fields: &[&str]) {
    for f in fields {
        assert!(
            info_field(info, f).is_some(),
            "INFO field {f} missing in:\n{info}"
        );
    }
}

/// Every line is `# Title`, `name:value` or empty, and ends in CRLF.
fn check_info_syntax(text: &str) {
    assert!(text.ends_with("\r\n"), "INFO text must end with CRLF");
    for line in text.split("\r\n") {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare LF/CR in {line:?}"
        );
        assert!(
            line.is_empty() || line.starts_with("# ") || line.contains(':'),
            "bad INFO line {line:?}"
        );
    }
}

/// Parses `k=v,k=v` into pairs.
fn kv_list(v: &str) -> Vec<(String, String)> {
    v.split(',')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("bad k=v {kv:?} in {v:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn info_default_sections_in_order() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    let text = info(&mut c, "");
    check_info_syntax(&text);
    let titles: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::trim_end)
        .collect();
    let wanted = [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Errorstats",
        "Keyspace",
    ];
    let mut last = 0;
    for w in wanted {
        let pos = titles
            .iter()
            .position(|t| *t == w)
            .unwrap_or_else(|| panic!("section {w} missing; have {titles:?}"));
        assert!(pos >= last, "section {w} out of order in {titles:?}");
        last = pos;
    }
    assert!(
        !titles.contains(&"Commandstats"),
        "commandstats is not a default section"
    );
    let all = info(&mut c, "all");
    check_info_syntax(&all);
    assert!(
        all.contains("# Commandstats\r\n"),
        "INFO all has commandstats"
    );
    assert!(all.contains("\r\ncmdstat_set:calls=1,"), "{all}");
    // Several sections at once, case-insensitive.
    let two = info(&mut c, "SERVER");
    assert!(two.starts_with("# Server\r\n"), "{two}");
    let both = bulk(c.cmd(&[b"INFO", b"server", b"clients"]));
    assert!(
        both.contains("# Server\r\n") && both.contains("# Clients\r\n"),
        "{both}"
    );
    assert!(!both.contains("# Memory"), "{both}");
    // Unknown section: empty bulk.
    assert_eq!(c.cmd(&[b"INFO", b"nosuchsection"]), b"$0\r\n\r\n");
}

#[test]
fn info_server_and_clients() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let t = info(&mut c, "server");
    check_info_syntax(&t);
    assert!(t.starts_with("# Server\r\n"), "{t}");
    require_fields(
        &t,
        &[
            "redis_version",
            "redis_git_sha1",
            "redis_git_dirty",
            "redis_build_id",
            "redis_mode",
            "os",
            "arch_bits",
            "multiplexing_api",
            "process_id",
            "run_id",
            "tcp_port",
            "server_time_usec",
            "uptime_in_seconds",
            "uptime_in_days",
            "hz",
            "configured_hz",
            "lru_clock",
            "executable",
            "config_file",
        ],
    );
    assert_eq!(req(&t, "redis_version"), "7.0.15");
    assert_eq!(req(&t, "redis_mode"), "standalone");
    assert_eq!(req(&t, "arch_bits"), "64");
    assert_eq!(req_uint(&t, "process_id"), u64::from(sp.child.id()));
    assert_eq!(req_uint(&t, "tcp_port"), u64::from(sp.port));
    let run_id = req(&t, "run_id");
    assert_eq!(run_id.len(), 40, "{run_id}");
    assert!(run_id.chars().all(|ch| ch.is_ascii_hexdigit()), "{run_id}");
    assert_eq!(req(&t, "hz"), "10");
    assert_eq!(req(&t, "configured_hz"), "10");
    assert!(req_uint(&t, "uptime_in_seconds") < 60);
    assert_eq!(req(&t, "uptime_in_days"), "0");
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let srv_us = req_uint(&t, "server_time_usec");
    assert!(
        srv_us.abs_diff(now_us) < 5_000_000,
        "server_time_usec {srv_us} vs {now_us}"
    );
    assert_eq!(req(&t, "config_file"), "");

    let mut c2 = sp.conn();
    assert_eq!(c2.cmd(&[b"PING"]), b"+PONG\r\n");
    let t = info(&mut c, "clients");
    check_info_syntax(&t);
    require_fields(
        &t,
        &[
            "connected_clients",
            "maxclients",
            "blocked_clients",
            "tracking_clients",
            "client_recent_max_input_buffer",
            "client_recent_max_output_buffer",
        ],
    );
    assert_eq!(req(&t, "connected_clients"), "2", "{t}");
    assert_eq!(req(&t, "maxclients"), "10000");
    assert_eq!(req(&t, "blocked_clients"), "0");
}

#[test]
fn info_memory_persistence_replication_cpu() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let t = info(&mut c, "memory");
    check_info_syntax(&t);
    require_fields(
        &t,
        &[
            "used_memory",
            "used_memory_human",
            "used_memory_rss",
            "used_memory_rss_human",
            "used_memory_peak",
            "used_memory_peak_human",
            "used_memory_overhead",
            "used_memory_startup",
            "used_memory_dataset",
            "allocator_allocated",
            "allocator_active",
            "allocator_resident",
            "total_system_memory",
            "maxmemory",
            "maxmemory_human",
            "maxmemory_policy",
            "mem_fragmentation_ratio",
            "mem_allocator",
        ],
    );
    let used = req_uint(&t, "used_memory");
    let rss = req_uint(&t, "used_memory_rss");
    assert!(used > 100_000, "used_memory {used}");
    assert!(rss > 1_000_000, "used_memory_rss {rss}");
    assert!(req_uint(&t, "used_memory_peak") >= used);
    assert!(req_float(&t, "mem_fragmentation_ratio") > 0.0);
    assert_eq!(req(&t, "maxmemory"), "0");
    assert_eq!(req(&t, "maxmemory_human"), "0B");
    assert_eq!(req(&t, "maxmemory_policy"), "noeviction");
    assert!(req(&t, "mem_allocator").starts_with("jemalloc"), "{t}");
    // Memory grows with data and the figure is real.
    let big = vec![b'x'; 2_000_000];
    assert_eq!(c.cmd(&[b"SET", b"big", &big]), b"+OK\r\n");
    let t2 = info(&mut c, "memory");
    assert!(
        req_uint(&t2, "used_memory") >= used + 1_900_000,
        "used_memory did not grow:\n{t2}"
    );

    let t = info(&mut c, "persistence");
    check_info_syntax(&t);
    require_fields(
        &t,
        &[
            "loading",
            "rdb_changes_since_last_save",
            "rdb_bgsave_in_progress",
            "rdb_last_save_time",
            "rdb_last_bgsave_status",
            "aof_enabled",
            "aof_rewrite_in_progress",
        ],
    );
    assert_eq!(req(&t, "loading"), "0");
    assert_eq!(req(&t, "rdb_changes_since_last_save"), "1");
    assert_eq!(req(&t, "aof_enabled"), "0");
    assert_eq!(req(&t, "rdb_last_bgsave_status"), "ok");
    assert_eq!(c.cmd(&[b"INCR", b"n"]), b":1\r\n");
    assert_eq!(c.cmd(&[b"INCR", b"n"]), b":2\r\n");
    let t = info(&mut c, "persistence");
    assert_eq!(req(&t, "rdb_changes_since_last_save"), "3");

    let t = info(&mut c, "replication");
    check_info_syntax(&t);
    require_fields(
        &t,
        &[
            "role",
            "connected_slaves",
            "master_replid",
            "master_repl_offset",
        ],
    );
    assert_eq!(req(&t, "role"), "master");
    assert_eq!(req(&t, "connected_slaves"), "0");
    assert_eq!(req(&t, "master_replid").len(), 40);

    let t = info(&mut c, "cpu");
    check_info_syntax(&t);
    for f in [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
    ] {
        let v = req(&t, f);
        let (_, frac) = v
            .split_once('.')
            .unwrap_or_else(|| panic!("{f}:{v} has no decimals"));
        assert_eq!(frac.len(), 6, "{f}:{v} has 6 decimals");
        assert!(req_float(&t, f) >= 0.0);
    }
}

#[test]
fn info_stats_commandstats_errorstats_keyspace() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    assert_eq!(c.cmd(&[b"GET", b"nokey"]), b"$-1\r\n");
    assert_eq!(c.cmd(&[b"GET", b"a", b"b"]).first(), Some(&b'-'));
    assert_eq!(c.cmd(&[b"NOSUCH"]).first(), Some(&b'-'));
    assert_eq!(c.cmd(&[b"INCR", b"k"]).first(), Some(&b'-'));
    assert_eq!(
        s(c.cmd(&[b"HELLO", b"4"])),
        "-NOPROTO unsupported protocol version\r\n"
    );

    let t = info(&mut c, "stats");
    check_info_syntax(&t);
    require_fields(
        &t,
        &[
            "total_connections_received",
            "total_commands_processed",
            "instantaneous_ops_per_sec",
            "total_net_input_bytes",
            "total_net_output_bytes",
            "rejected_connections",
            "expired_keys",
            "evicted_keys",
            "keyspace_hits",
            "keyspace_misses",
            "total_error_replies",
        ],
    );
    assert_eq!(req(&t, "keyspace_hits"), "2");
    assert_eq!(req(&t, "keyspace_misses"), "1");
    assert_eq!(req(&t, "expired_keys"), "0");
    assert_eq!(req(&t, "evicted_keys"), "0");
    assert!(req_uint(&t, "total_commands_processed") >= 6, "{t}");
    assert!(req_uint(&t, "total_connections_received") >= 1);
    assert!(req_uint(&t, "total_net_input_bytes") > 50);
    assert!(req_uint(&t, "total_net_output_bytes") > 20);
    assert_eq!(req(&t, "total_error_replies"), "4");

    let t = info(&mut c, "commandstats");
    check_info_syntax(&t);
    assert!(t.starts_with("# Commandstats\r\n"), "{t}");
    let get = kv_list(&req(&t, "cmdstat_get"));
    let names: Vec<&str> = get.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "calls",
            "usec",
            "usec_per_call",
            "rejected_calls",
            "failed_calls"
        ]
    );
    // The arity error is a rejected call, not a call.
    assert_eq!(get[0].1, "3");
    assert_eq!(get[3].1, "1");
    assert_eq!(get[4].1, "0");
    let upc = &get[2].1;
    assert!(
        upc.split_once('.').map(|(_, f)| f.len()) == Some(2),
        "usec_per_call 2 decimals: {upc}"
    );
    let set = kv_list(&req(&t, "cmdstat_set"));
    assert_eq!(set[0].1, "1");
    let incr = kv_list(&req(&t, "cmdstat_incr"));
    assert_eq!(
        (incr[0].1.as_str(), incr[4].1.as_str()),
        ("1", "1"),
        "failed_calls counts errors"
    );

    let t = info(&mut c, "errorstats");
    check_info_syntax(&t);
    assert_eq!(req(&t, "errorstat_ERR"), "count=3", "{t}");
    assert_eq!(req(&t, "errorstat_NOPROTO"), "count=1", "{t}");

    let t = info(&mut c, "keyspace");
    check_info_syntax(&t);
    assert_eq!(t, "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
    assert_eq!(c.cmd(&[b"SELECT", b"2"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"SET", b"x", b"1", b"EX", b"1000"]), b"+OK\r\n");
    let t = info(&mut c, "keyspace");
    let db2 = kv_list(&req(&t, "db2"));
    assert_eq!(db2[0], ("keys".to_string(), "1".to_string()));
    assert_eq!(db2[1], ("expires".to_string(), "1".to_string()));
    assert_eq!(db2[2].0, "avg_ttl");
    assert!(t.find("db0:") < t.find("db2:"), "{t}");
    assert_eq!(c.cmd(&[b"FLUSHALL"]), b"+OK\r\n");
    assert_eq!(info(&mut c, "keyspace"), "# Keyspace\r\n");
}

#[test]
fn config_resetstat_zeroes_stats() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"SET", b"a", b"1"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"a"]), b"$1\r\n1\r\n");
    assert_eq!(c.cmd(&[b"GET", b"b"]), b"$-1\r\n");
    assert_eq!(c.cmd(&[b"FOO"]).first(), Some(&b'-'));
    assert_eq!(c.cmd(&[b"CONFIG", b"RESETSTAT"]), b"+OK\r\n");
    // RESETSTAT itself is the only command counted so far.
    let t = info(&mut c, "commandstats");
    let lines: Vec<&str> = t.lines().filter(|l| l.starts_with("cmdstat_")).collect();
    assert_eq!(lines.len(), 1, "{t}");
    assert!(
        lines[0].starts_with("cmdstat_config|resetstat:calls=1,"),
        "{t}"
    );
    assert_eq!(info(&mut c, "errorstats"), "# Errorstats\r\n");
    let t = info(&mut c, "stats");
    assert_eq!(
        req(&t, "total_commands_processed"),
        "3",
        "RESETSTAT + 2 INFOs"
    );
    assert_eq!(req(&t, "keyspace_hits"), "0");
    assert_eq!(req(&t, "keyspace_misses"), "0");
    assert_eq!(req(&t, "total_error_replies"), "0");
    assert_eq!(req(&t, "total_connections_received"), "0");
    assert_eq!(req(&t, "expired_keys"), "0");
    assert_eq!(req(&t, "rejected_connections"), "0");
    // The data is untouched.
    assert_eq!(c.cmd(&[b"GET", b"a"]), b"$1\r\n1\r\n");
}

#[test]
fn config_set_hz_range() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let hz = |c: &mut Conn| s(c.cmd(&[b"CONFIG", b"GET", b"hz"]));
    assert_eq!(hz(&mut c), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
    assert_eq!(c.cmd(&[b"CONFIG", b"SET", b"hz", b"500"]), b"+OK\r\n");
    assert_eq!(hz(&mut c), "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n");
    let t = info(&mut c, "server");
    assert_eq!(req(&t, "configured_hz"), "500");
    assert_eq!(req(&t, "hz"), "500");
    // Out-of-range values are clamped to 1..=500.
    assert_eq!(c.cmd(&[b"CONFIG", b"SET", b"hz", b"0"]), b"+OK\r\n");
    assert_eq!(hz(&mut c), "*2\r\n$2\r\nhz\r\n$1\r\n1\r\n");
    assert_eq!(c.cmd(&[b"CONFIG", b"SET", b"hz", b"1000"]), b"+OK\r\n");
    assert_eq!(hz(&mut c), "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n");
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"hz", b"-1"])),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 0 and 2147483647 inclusive\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"hz", b"abc"])),
        "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer\r\n"
    );
    assert_eq!(hz(&mut c), "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n");
}

#[test]
fn hz_500_runs_cron_often() {
    // The server runs fine at the maximum hz: it keeps serving, and cron
    // work (here the idle-client timeout) still happens on time.
    let sp = ServerProc::start(&["--hz", "500", "--timeout", "1"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    let t0 = Instant::now();
    let mut closed = false;
    while t0.elapsed() < Duration::from_secs(4) {
        if c.read_eof() {
            closed = true;
            break;
        }
    }
    assert!(closed, "idle client not closed");
    assert!(
        t0.elapsed() < Duration::from_millis(2500),
        "closed after {:?}",
        t0.elapsed()
    );
    let mut c2 = sp.conn();
    let t = info(&mut c2, "server");
    assert_eq!(req(&t, "configured_hz"), "500");
}

#[test]
fn debug_disabled_by_default() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    let msg = "-ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";
    assert_eq!(s(c.cmd(&[b"DEBUG", b"SLEEP", b"0"])), msg);
    assert_eq!(s(c.cmd(&[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"])), msg);
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"enable-debug-command"])),
        "*2\r\n$20\r\nenable-debug-command\r\n$2\r\nno\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"enable-debug-command", b"yes"])),
        "-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config\r\n"
    );
}

#[test]
fn debug_enabled_local() {
    let sp = ServerProc::start(&["--enable-debug-command", "local"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"DEBUG", b"SLEEP", b"0"]), b"+OK\r\n");
}

#[test]
fn debug_sleep_set_active_expire_object() {
    let sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"DEBUG", b"SLEEP", b"0"]), b"+OK\r\n");
    let t0 = Instant::now();
    assert_eq!(c.cmd(&[b"DEBUG", b"SLEEP", b"0.3"]), b"+OK\r\n");
    assert!(
        t0.elapsed() >= Duration::from_millis(290),
        "DEBUG SLEEP 0.3 took {:?}",
        t0.elapsed()
    );
    assert_eq!(c.cmd(&[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"0"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"]), b"+OK\r\n");
    assert_eq!(
        s(c.cmd(&[b"DEBUG", b"FOO"])),
        "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"DEBUG"])),
        "-ERR wrong number of arguments for 'debug' command\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"DEBUG", b"OBJECT", b"nokey"])),
        "-ERR no such key\r\n"
    );

    assert_eq!(c.cmd(&[b"SET", b"i", b"123"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"SET", b"e", b"hello"]), b"+OK\r\n");
    let long = vec![b'r'; 100];
    assert_eq!(c.cmd(&[b"SET", b"r", &long]), b"+OK\r\n");
    for (key, enc, serlen) in [
        ("i", "int", Some("2")),
        ("e", "embstr", Some("6")),
        ("r", "raw", None),
    ] {
        let t = s(c.cmd(&[b"DEBUG", b"OBJECT", key.as_bytes()]));
        // +Value at:0x... refcount:N encoding:E serializedlength:N lru:N lru_seconds_idle:N
        let body = t
            .strip_prefix("+Value at:0x")
            .and_then(|b| b.strip_suffix("\r\n"))
            .unwrap_or_else(|| panic!("DEBUG OBJECT {key}: {t:?}"));
        let mut parts = body.split(' ');
        let addr = parts.next().unwrap_or("");
        assert!(
            !addr.is_empty() && addr.chars().all(|ch| ch.is_ascii_hexdigit()),
            "{t:?}"
        );
        let kv: Vec<(&str, &str)> = parts
            .map(|p| {
                p.split_once(':')
                    .unwrap_or_else(|| panic!("{p:?} in {t:?}"))
            })
            .collect();
        let names: Vec<&str> = kv.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "refcount",
                "encoding",
                "serializedlength",
                "lru",
                "lru_seconds_idle"
            ],
            "{t:?}"
        );
        assert_eq!(kv[1].1, enc, "{t:?}");
        for (k, v) in &kv {
            if *k != "encoding" {
                assert!(v.parse::<u64>().is_ok(), "{k}:{v} in {t:?}");
            }
        }
        if let Some(n) = serlen {
            assert_eq!(kv[2].1, n, "serializedlength of {key}: {t:?}");
        }
    }
}
