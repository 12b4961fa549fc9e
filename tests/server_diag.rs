//! Diagnostics: SLOWLOG and LATENCY driven by DEBUG SLEEP, DEBUG's
//! introspection subcommands, LOLWUT, COMMAND DOCS checked against
//! redis-server 7.0.15 for every command this server implements, and the
//! crash report of DEBUG SEGFAULT and SIGABRT (`crash-log-enabled`).

mod common;

use common::{Conn, Resp, ServerProc, call, call_str, s};

fn array(r: Resp) -> Vec<Resp> {
    match r {
        Resp::Array(Some(v)) => v,
        other => panic!("array expected, got {other:?}"),
    }
}

fn int(r: &Resp) -> i64 {
    match r {
        Resp::Int(i) => *i,
        other => panic!("integer expected, got {other:?}"),
    }
}

fn text(r: &Resp) -> String {
    match r {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        Resp::Simple(t) => t.clone(),
        other => panic!("string expected, got {other:?}"),
    }
}

fn ok(c: &mut Conn, line: &str) {
    assert_eq!(call_str(c, line), Resp::Simple("OK".into()), "{line}");
}

/// The argv of a slow log entry.
fn entry_args(e: &Resp) -> Vec<String> {
    match e {
        Resp::Array(Some(f)) => array(f[3].clone()).iter().map(text).collect(),
        other => panic!("entry expected, got {other:?}"),
    }
}

#[test]
fn slowlog_entries_trimming_and_limits() {
    let srv = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    assert_eq!(call_str(&mut c, "SLOWLOG LEN"), Resp::Int(0));

    // Only commands at least slowlog-log-slower-than µs long are logged.
    ok(&mut c, "CONFIG SET slowlog-log-slower-than 100000");
    call_str(&mut c, "PING");
    assert_eq!(call_str(&mut c, "SLOWLOG LEN"), Resp::Int(0));
    ok(&mut c, "CLIENT SETNAME sleeper");
    ok(&mut c, "DEBUG SLEEP 0.2");
    let log = array(call_str(&mut c, "SLOWLOG GET"));
    assert_eq!(log.len(), 1);
    let e = array(log[0].clone());
    assert_eq!(e.len(), 6);
    assert_eq!(int(&e[0]), 0, "the first entry has id 0");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((int(&e[1]) - now).abs() <= 2, "unix time");
    assert!(int(&e[2]) >= 200_000, "duration in µs: {:?}", e[2]);
    assert_eq!(entry_args(&log[0]), ["DEBUG", "SLEEP", "0.2"]);
    assert!(text(&e[4]).starts_with("127.0.0.1:"));
    assert_eq!(text(&e[5]), "sleeper");

    // Everything is logged at 0; the log keeps slowlog-max-len entries.
    ok(&mut c, "CONFIG SET slowlog-log-slower-than 0");
    ok(&mut c, "CONFIG SET slowlog-max-len 10");
    for _ in 0..50 {
        call_str(&mut c, "PING");
    }
    assert_eq!(call_str(&mut c, "SLOWLOG LEN"), Resp::Int(10));
    assert_eq!(array(call_str(&mut c, "SLOWLOG GET 5")).len(), 5);
    assert_eq!(array(call_str(&mut c, "SLOWLOG GET -1")).len(), 10);
    assert_eq!(array(call_str(&mut c, "SLOWLOG GET 0")).len(), 0);
    for bad in ["-2", "x"] {
        assert_eq!(
            call_str(&mut c, &format!("SLOWLOG GET {bad}")),
            Resp::Error("ERR count should be greater than or equal to -1".into())
        );
    }

    // RESET empties the log but ids keep growing; RESET itself is logged.
    ok(&mut c, "SLOWLOG RESET");
    let log = array(call_str(&mut c, "SLOWLOG GET"));
    assert_eq!(entry_args(&log[0]), ["SLOWLOG", "RESET"]);
    assert!(int(&array(log[0].clone())[0]) > 50);

    // At most 32 arguments, the last one counting the rest.
    let mut sadd: Vec<Vec<u8>> = vec![b"SADD".to_vec(), b"set".to_vec()];
    sadd.extend((3..=33).map(|i| i.to_string().into_bytes()));
    let args: Vec<&[u8]> = sadd.iter().map(|a| a.as_slice()).collect();
    call(&mut c, &args);
    let log = array(call_str(&mut c, "SLOWLOG GET 1"));
    let a = entry_args(&log[0]);
    assert_eq!(a.len(), 32);
    assert_eq!(a[30], "31");
    assert_eq!(a[31], "... (2 more arguments)");
    // At most 128 bytes per argument.
    let long = vec![b'A'; 129];
    call(&mut c, &[b"SADD", b"set", b"foo", &long]);
    let log = array(call_str(&mut c, "SLOWLOG GET 1"));
    let a = entry_args(&log[0]);
    assert_eq!(a[3], format!("{}... (1 more bytes)", "A".repeat(128)));

    // Secrets are redacted.
    call_str(&mut c, "AUTH user pass");
    call_str(&mut c, "CONFIG SET masterauth secret");
    let log = array(call_str(&mut c, "SLOWLOG GET 3"));
    assert_eq!(
        entry_args(&log[0]),
        ["CONFIG", "SET", "masterauth", "(redacted)"]
    );
    assert_eq!(entry_args(&log[1]), ["AUTH", "(redacted)", "(redacted)"]);

    // max-len 1 keeps the newest; -1 turns the log off.
    ok(&mut c, "CONFIG SET slowlog-max-len 1");
    call_str(&mut c, "PING");
    assert_eq!(call_str(&mut c, "SLOWLOG LEN"), Resp::Int(1));
    ok(&mut c, "CONFIG SET slowlog-log-slower-than -1");
    ok(&mut c, "SLOWLOG RESET");
    ok(&mut c, "DEBUG SLEEP 0.01");
    assert_eq!(call_str(&mut c, "SLOWLOG LEN"), Resp::Int(0));
}

#[test]
fn slowlog_exec_scripts_and_blocked_commands() {
    let srv = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    ok(&mut c, "CONFIG SET slowlog-log-slower-than 0");
    ok(&mut c, "SLOWLOG RESET");
    // EXEC is not logged, the commands it ran are.
    ok(&mut c, "MULTI");
    call_str(&mut c, "SET a 1");
    call_str(&mut c, "INCR a");
    call_str(&mut c, "EXEC");
    // A script's commands are logged with a `?:0` client, then the script.
    call(&mut c, &[b"EVAL", b"return redis.call('incr','a')", b"0"]);
    let log = array(call_str(&mut c, "SLOWLOG GET -1"));
    let argvs: Vec<Vec<String>> = log.iter().map(entry_args).collect();
    assert_eq!(argvs[0][0], "EVAL");
    assert_eq!(argvs[1], ["incr", "a"]);
    assert_eq!(text(&array(log[1].clone())[4]), "?:0");
    assert_eq!(argvs[2], ["INCR", "a"]);
    assert_eq!(argvs[3], ["SET", "a", "1"]);
    assert_eq!(argvs[4], ["MULTI"]);

    // A blocked command is logged when it is served, as it was sent.
    let mut b = srv.conn();
    b.send_raw(&common::encode_command(&[b"BLPOP", b"l", b"0"]));
    common::settle_clients(&mut c, 2);
    std::thread::sleep(std::time::Duration::from_millis(100));
    ok(&mut c, "SLOWLOG RESET");
    call_str(&mut c, "RPUSH l x");
    let reply = b.read_reply();
    assert_eq!(s(reply), "*2\r\n$1\r\nl\r\n$1\r\nx\r\n");
    let log = array(call_str(&mut c, "SLOWLOG GET -1"));
    let argvs: Vec<Vec<String>> = log.iter().map(entry_args).collect();
    assert!(argvs.contains(&vec!["BLPOP".into(), "l".into(), "0".into()]));
    assert!(argvs.contains(&vec!["RPUSH".into(), "l".into(), "x".into()]));
}

#[test]
fn latency_monitor_with_debug_sleep() {
    let srv = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    // Off by default: nothing is recorded, and DOCTOR says so.
    ok(&mut c, "DEBUG SLEEP 0.05");
    assert_eq!(array(call_str(&mut c, "LATENCY LATEST")).len(), 0);
    let doctor = text(&call_str(&mut c, "LATENCY DOCTOR"));
    assert!(
        doctor.starts_with("I'm sorry, Dave, I can't do that."),
        "{doctor}"
    );

    ok(&mut c, "CONFIG SET latency-monitor-threshold 200");
    ok(&mut c, "DEBUG SLEEP 0.1");
    assert_eq!(array(call_str(&mut c, "LATENCY LATEST")).len(), 0);
    ok(&mut c, "DEBUG SLEEP 0.3");
    ok(&mut c, "DEBUG SLEEP 0.25");
    let latest = array(call_str(&mut c, "LATENCY LATEST"));
    assert_eq!(latest.len(), 1);
    let ev = array(latest[0].clone());
    assert_eq!(text(&ev[0]), "command");
    assert!(int(&ev[2]) >= 250, "{ev:?}");
    assert!(int(&ev[3]) >= 300, "all-time max: {ev:?}");

    // HISTORY: one sample per second at most (the max of that second).
    let hist = array(call_str(&mut c, "LATENCY HISTORY command"));
    assert!(!hist.is_empty() && hist.len() <= 2, "{hist:?}");
    for h in &hist {
        let p = array(h.clone());
        assert!(int(&p[1]) >= 250);
    }
    assert_eq!(array(call_str(&mut c, "LATENCY HISTORY nosuch")).len(), 0);

    // GRAPH: header, 80 dashes, 4 rows of plot, a blank row, labels.
    let graph = text(&call_str(&mut c, "LATENCY GRAPH command"));
    let lines: Vec<&str> = graph.lines().collect();
    assert!(
        lines[0].starts_with("command - high ") && lines[0].contains(" ms (all time high "),
        "{graph}"
    );
    assert_eq!(lines[1], "-".repeat(80));
    assert!(lines.len() >= 8, "{graph}");
    // Four plot rows drawn with `_o#|`, one column per sample.
    assert!(
        lines[2..6]
            .iter()
            .all(|l| l.chars().all(|ch| " _o#|".contains(ch)))
    );
    assert!(lines[2..6].iter().any(|l| !l.trim().is_empty()), "{graph}");
    assert!(lines[6].trim().is_empty());
    assert!(lines[7].chars().all(|ch| ch.is_ascii_digit()), "{graph}");
    assert_eq!(
        call_str(&mut c, "LATENCY GRAPH nosuch"),
        Resp::Error("ERR No samples available for event 'nosuch'".into())
    );

    let doctor = text(&call_str(&mut c, "LATENCY DOCTOR"));
    assert!(
        doctor.starts_with("Dave, I have observed latency spikes"),
        "{doctor}"
    );
    assert!(doctor.contains("1. command: "), "{doctor}");
    assert!(doctor.contains("Check your Slow Log"), "{doctor}");

    // RESET counts the events it removed.
    assert_eq!(call_str(&mut c, "LATENCY RESET nosuch"), Resp::Int(0));
    assert_eq!(call_str(&mut c, "LATENCY RESET COMMAND"), Resp::Int(1));
    assert_eq!(array(call_str(&mut c, "LATENCY LATEST")).len(), 0);
    assert_eq!(call_str(&mut c, "LATENCY RESET"), Resp::Int(0));
}

#[test]
fn latency_histogram_per_command() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    ok(&mut c, "CONFIG RESETSTAT");
    for _ in 0..10 {
        call_str(&mut c, "SET k v");
    }
    let h = array(call_str(&mut c, "LATENCY HISTOGRAM set nosuch"));
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!(text(&h[0]), "set");
    let m = array(h[1].clone());
    assert_eq!(text(&m[0]), "calls");
    assert_eq!(m[1], Resp::Int(10));
    assert_eq!(text(&m[2]), "histogram_usec");
    let buckets = array(m[3].clone());
    assert!(!buckets.is_empty() && buckets.len().is_multiple_of(2));
    // Cumulative counts grow and end at the number of calls.
    let counts: Vec<i64> = buckets.iter().skip(1).step_by(2).map(int).collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert_eq!(counts.last(), Some(&10));
    // A container name covers its subcommands.
    let h = array(call_str(&mut c, "LATENCY HISTOGRAM config"));
    assert_eq!(text(&h[0]), "config|resetstat");
}

#[test]
fn debug_introspection_and_lolwut() {
    let srv = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = srv.conn();
    let sizes = text(&call_str(&mut c, "DEBUG STRUCTSIZE"));
    assert!(sizes.starts_with("bits:64 robj:"), "{sizes}");
    assert!(sizes.ends_with("sdshdr5:1 sdshdr8:3 sdshdr16:5 sdshdr32:9 sdshdr64:17 "));
    call_str(&mut c, "SET foo bar");
    assert_eq!(
        call_str(&mut c, "DEBUG SDSLEN foo"),
        Resp::Simple(
            "key_sds_len:3, key_sds_avail:0, key_zmalloc: 8, val_sds_len:3, val_sds_avail:0, val_zmalloc: 16"
                .into()
        )
    );
    // A raw string as SET makes it: the spare room is what jemalloc's
    // size class leaves (112 - 3 - 100 - 1), as redis-server prints it.
    c.cmd(&[b"SET", b"raw", &[b'x'; 100][..]]);
    assert_eq!(
        call_str(&mut c, "DEBUG SDSLEN raw"),
        Resp::Simple(
            "key_sds_len:3, key_sds_avail:0, key_zmalloc: 8, val_sds_len:100, val_sds_avail:8, val_zmalloc: 112"
                .into()
        )
    );
    call_str(&mut c, "SET n 10");
    assert_eq!(
        call_str(&mut c, "DEBUG SDSLEN n"),
        Resp::Error("ERR Not an sds encoded string.".into())
    );
    assert_eq!(
        call_str(&mut c, "DEBUG MALLCTL arenas.page"),
        Resp::Int(4096)
    );
    assert_eq!(
        call_str(&mut c, "DEBUG MALLCTL no.such"),
        Resp::Error("ERR No such file or directory".into())
    );
    let v = text(&call_str(&mut c, "DEBUG MALLCTL-STR version"));
    assert!(v.starts_with("5."), "{v}");
    ok(&mut c, "DEBUG MALLCTL-STR thread.tcache.flush VOID");

    assert_eq!(text(&call_str(&mut c, "LOLWUT")), "Redis ver. 7.0.15\n");
    let art = text(&call_str(&mut c, "LOLWUT VERSION 5 20 2 2"));
    let lines: Vec<&str> = art.lines().collect();
    assert_eq!(lines.len(), 12, "{art}");
    assert!(lines[..10].iter().all(|l| l.chars().count() == 20));
    assert!(
        lines[0]
            .chars()
            .all(|ch| ('\u{2800}'..='\u{28ff}').contains(&ch))
    );
    assert_eq!(
        lines[11],
        "Georg Nees - schotter, plotter on paper, 1968. Redis ver. 7.0.15"
    );
    let city = text(&call_str(&mut c, "LOLWUT VERSION 6 10 5"));
    assert_eq!(city.matches(" \x1b[0m").count(), 50);
    assert!(
        city.ends_with("Original 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n")
    );
}

// ---- COMMAND DOCS against redis-server ----

/// COMMAND DOCS's reply for one command made comparable: `history` and
/// `notes` dropped, our own prose (`summary`, `complexity`, `replaced_by`)
/// masked, and the subcommand map reduced to `subs` and sorted.
fn docs_facts(r: &Resp, subs: &[String]) -> String {
    fn walk(r: &Resp, subs: &[String], out: &mut String) {
        match r {
            Resp::Array(Some(v))
                if v.len().is_multiple_of(2)
                    && v.iter()
                        .step_by(2)
                        .all(|k| matches!(k, Resp::Bulk(Some(_)))) =>
            {
                let mut pairs: Vec<(String, &Resp)> =
                    v.chunks(2).map(|p| (text(&p[0]), &p[1])).collect();
                let is_docs = pairs
                    .iter()
                    .any(|(k, _)| k == "group" || k == "since" || k == "summary");
                if is_docs || pairs.iter().any(|(k, _)| k == "name") {
                    out.push('{');
                    for (k, v) in pairs {
                        match k.as_str() {
                            "history" | "notes" => continue,
                            "summary" | "complexity" | "replaced_by" => {
                                out.push_str(&format!("{k}=*;"));
                            }
                            "subcommands" => {
                                let Resp::Array(Some(list)) = v else {
                                    panic!("subcommands map")
                                };
                                let mut m: Vec<(String, String)> = list
                                    .chunks(2)
                                    .map(|p| (text(&p[0]), p))
                                    .filter(|(n, _)| subs.contains(n))
                                    .map(|(n, p)| {
                                        let mut o = String::new();
                                        walk(&p[1], subs, &mut o);
                                        (n, o)
                                    })
                                    .collect();
                                m.sort();
                                out.push_str(&format!("subcommands={m:?};"));
                            }
                            _ => {
                                out.push_str(&format!("{k}="));
                                walk(v, subs, out);
                                out.push(';');
                            }
                        }
                    }
                    out.push('}');
                } else {
                    // A map of name → docs (the top level).
                    pairs.sort_by(|a, b| a.0.cmp(&b.0));
                    for (k, v) in pairs {
                        out.push_str(&format!("{k}=>"));
                        walk(v, subs, out);
                    }
                }
            }
            Resp::Array(Some(v)) => {
                out.push('[');
                for e in v {
                    walk(e, subs, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&format!("{other:?}")),
        }
    }
    let mut out = String::new();
    walk(r, subs, &mut out);
    out
}

#[test]
fn command_docs_match_redis_for_every_command() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let srv = ServerProc::start(&[]);
    let mut ours = srv.conn();
    let mut theirs = oracle.conn();
    let names: Vec<String> = array(call_str(&mut ours, "COMMAND LIST"))
        .iter()
        .map(text)
        .collect();
    // Subcommands both servers know (CLIENT SETINFO is from Redis 7.2).
    let oracle_names: Vec<String> = array(call_str(&mut theirs, "COMMAND LIST"))
        .iter()
        .map(text)
        .collect();
    let subs: Vec<String> = names
        .iter()
        .filter(|n| n.contains('|') && oracle_names.contains(n))
        .cloned()
        .collect();
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for n in &names {
        if !oracle_names.contains(n) {
            continue;
        }
        let a = call(&mut ours, &[b"COMMAND", b"DOCS", n.as_bytes()]);
        let b = call(&mut theirs, &[b"COMMAND", b"DOCS", n.as_bytes()]);
        let (fa, fb) = (docs_facts(&a, &subs), docs_facts(&b, &subs));
        if fa != fb {
            mismatches.push(format!("{n}:\n  ours:   {fa}\n  redis:  {fb}"));
        }
        checked += 1;
    }
    assert!(checked > 200, "only {checked} commands checked");
    assert!(
        mismatches.is_empty(),
        "{} COMMAND DOCS mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn process_title_follows_the_template() {
    let srv = ServerProc::start(&[]);
    let mut c = srv.conn();
    let cmdline = || {
        let raw = std::fs::read(format!("/proc/{}/cmdline", srv.child.id())).unwrap_or_default();
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        String::from_utf8_lossy(&raw[..end]).into_owned()
    };
    // The default template: "{title} {listen-addr} {server-mode}", trimmed.
    let t = cmdline();
    assert!(t.ends_with(&format!(" 127.0.0.1:{}", srv.port)), "{t:?}");
    // A longer title than the command line still shows in full.
    ok(
        &mut c,
        "CONFIG SET proc-title-template TEST-{title}-{listen-addr}-{port}-{tls-port}-{unixsocket}-{config-file}-0123456789012345678901234567890123456789",
    );
    let t = cmdline();
    assert!(t.starts_with("TEST-"), "{t:?}");
    assert!(
        t.ends_with(&format!(
            "-127.0.0.1:{0}-{0}-0----0123456789012345678901234567890123456789",
            srv.port
        )),
        "{t:?}"
    );
    assert_eq!(call_str(&mut c, "PING"), Resp::Simple("PONG".into()));
}

/// The software watchdog: CONFIG SET watchdog-period arms it (raised to
/// two cron ticks), a DEBUG SLEEP past the period logs the expiry and the
/// stack from the signal handler, the server carries on; period 0 turns
/// it off again.
#[test]
fn watchdog_logs_a_stuck_main_thread() {
    let srv = ServerProc::start(&["--enable-debug-command", "yes", "--hz", "10"]);
    let mut c = srv.conn();
    // Shorter than two ticks of hz 10: raised to 200 ms, as Redis does.
    ok(&mut c, "CONFIG SET watchdog-period 1");
    let got = array(call_str(&mut c, "CONFIG GET watchdog-period"));
    assert_eq!(text(&got[1]), "200");
    // The cron keeps pushing the deadline back: an idle server logs nothing.
    std::thread::sleep(std::time::Duration::from_millis(600));
    assert!(!srv.log().contains("WATCHDOG"), "{}", srv.log());
    ok(&mut c, "DEBUG SLEEP 0.6");
    let log = srv.log();
    let pid = srv.child.id().to_string();
    let start = log
        .find(&format!("{pid}:signal-handler ("))
        .unwrap_or_else(|| panic!("no handler line: {log}"));
    let report = &log[start..];
    // The report's parts, in order: where each one starts.
    let at: Vec<usize> = [
        ") \n--- WATCHDOG TIMER EXPIRED ---\n",
        "\n------ STACK TRACE ------\nEIP:\n",
        "\nBacktrace:\n",
        ") --------\n\n",
    ]
    .iter()
    .map(|part| {
        report
            .find(part)
            .unwrap_or_else(|| panic!("{part:?}: {report}"))
    })
    .collect();
    let (expired, trace, backtrace, end) = (at[0], at[1], at[2], at[3]);
    assert!(
        expired < trace && trace < backtrace && backtrace < end,
        "{report}"
    );
    // One frame a line, as backtrace_symbols_fd writes them: `binary(...)[0x...]`.
    let frames: Vec<&str> = report[backtrace..end]
        .lines()
        .filter(|l| l.contains("(") && l.ends_with(']') && l.contains("[0x"))
        .collect();
    assert!(frames.len() >= 3, "{report}");
    assert_eq!(
        report.matches("WATCHDOG TIMER EXPIRED").count(),
        1,
        "{report}"
    );
    // Still serving; off again, a long sleep logs nothing more.
    assert_eq!(c.cmd_str("PING"), b"+PONG\r\n");
    ok(&mut c, "CONFIG SET watchdog-period 0");
    let got = array(call_str(&mut c, "CONFIG GET watchdog-period"));
    assert_eq!(text(&got[1]), "0");
    ok(&mut c, "DEBUG SLEEP 0.5");
    assert_eq!(srv.log().matches("WATCHDOG TIMER EXPIRED").count(), 1);
}

/// Waits for `sp` to die; returns the signal that killed it.
fn killed_by(sp: &mut ServerProc) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    let st = sp
        .wait_exit(std::time::Duration::from_secs(10))
        .expect("the server dies");
    st.signal()
        .unwrap_or_else(|| panic!("not killed by a signal: {st:?}"))
}

#[test]
fn crash_reports_on_segfault_and_abort() {
    // DEBUG SEGFAULT: a real fault, reported, then death by SIGSEGV.
    let mut sp = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut c = sp.conn();
    c.send_raw(b"*2\r\n$5\r\nDEBUG\r\n$8\r\nsegfault\r\n");
    assert_eq!(killed_by(&mut sp), 11);
    let log = sp.log();
    for needle in [
        "=== REDIS BUG REPORT START: Cut & paste starting from here ===",
        "Redis 7.0.15 crashed by signal: 11, si_code: 2",
        "Accessing address: 0x",
        "------ STACK TRACE ------",
        "=== REDIS BUG REPORT END. Make sure to include from START to END. ===",
    ] {
        assert!(log.contains(needle), "no {needle:?} in the log:\n{log}");
    }
    // SIGABRT from kill(1): the sender is named.
    let mut sp = ServerProc::start(&[]);
    sp.signal("-ABRT");
    assert_eq!(killed_by(&mut sp), 6);
    let log = sp.log();
    for needle in [
        "crashed by signal: 6, si_code: 0",
        "Killed by PID: ",
        "------ STACK TRACE ------",
    ] {
        assert!(log.contains(needle), "no {needle:?} in the log:\n{log}");
    }
    // crash-log-enabled no (at runtime): no report, the same death.
    let mut sp = ServerProc::start(&[]);
    ok(&mut sp.conn(), "CONFIG SET crash-log-enabled no");
    sp.signal("-ABRT");
    assert_eq!(killed_by(&mut sp), 6);
    assert!(!sp.log().contains("BUG REPORT"), "{}", sp.log());
}
