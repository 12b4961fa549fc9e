//! Starting and stopping the server: config file plus `--directive`
//! overrides, Redis's fatal config error report, Debian's redis.conf,
//! `daemonize yes` with `pidfile`, SIGTERM/SIGINT, SHUTDOWN, and the log
//! line format.
//!
//! Expectations are Redis 7.0.15's; the tests pass against Debian's
//! redis-server with `RUSTREDIS_BIN=/usr/bin/redis-server`.

mod common;
#[allow(unused_imports)]
use common::{info_field, run_to_exit, s};

use common::ServerProc;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Sends `sig` (e.g. "TERM") to `pid` with kill(1).
fn send_signal(pid: u32, sig: &str) {
    let st = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(st.success(), "kill -{sig} {pid} failed");
}

/// True when `pid` is gone or a zombie.
fn pid_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            // pid (comm) STATE ...; comm may contain spaces, so look after ')'.
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            state == Some("Z") || state == Some("X")
        }
    }
}

/// True when `line` has Redis's log-line shape:
/// `^\d+:[MCSX] \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} [.\-*#] `.
fn is_log_line(line: &str) -> bool {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == 0 || b.get(i) != Some(&b':') {
        return false;
    }
    i += 1;
    if !matches!(b.get(i), Some(b'M' | b'C' | b'S' | b'X')) {
        return false;
    }
    i += 1;
    // " dd Mon yyyy hh:mm:ss.mmm L "
    let rest = &b[i..];
    let pat: &[u8] = b" dd aaa dddd dd:dd:dd.ddd l ";
    if rest.len() < pat.len() {
        return false;
    }
    for (p, c) in pat.iter().zip(rest.iter()) {
        let ok = match p {
            b'd' => c.is_ascii_digit(),
            b'a' => c.is_ascii_alphabetic(),
            b'l' => matches!(c, b'.' | b'-' | b'*' | b'#'),
            other => c == other,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// The message part of a log line (after the level character).
fn log_msg(line: &str) -> Option<&str> {
    if !is_log_line(line) {
        return None;
    }
    let colon = line.find(':')?;
    // ":" + role + " dd Mon yyyy hh:mm:ss.mmm L " (28 bytes)
    line.get(colon + 2 + 28..)
}

/// True when the log has a well-formed line whose message is exactly `msg`.
fn log_has_msg(log: &str, msg: &str) -> bool {
    log.lines().any(|l| log_msg(l) == Some(msg))
}

/// Waits up to `secs` for `cond` to hold.
fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

#[test]
fn log_line_matcher_self_check() {
    assert!(is_log_line(
        "12:M 21 Nov 2026 05:14:24.933 * Ready to accept connections"
    ));
    assert!(is_log_line("1:C 01 Jan 2024 00:00:00.000 # x"));
    assert!(!is_log_line(
        "12:signal-handler (1795238064) Received SIGTERM scheduling shutdown..."
    ));
    assert!(!is_log_line("12:M 21 Nov 2026 05:14:24 * no millis"));
    assert_eq!(
        log_msg("12:M 21 Nov 2026 05:14:24.933 * Ready to accept connections"),
        Some("Ready to accept connections")
    );
}

#[test]
fn log_format_and_startup_lines() {
    let sp = ServerProc::start(&[]);
    let pid = sp.child.id();
    let log = sp.log();
    assert!(
        !log.is_empty(),
        "log file {} is empty",
        sp.log_path.display()
    );
    for line in log.lines() {
        assert!(
            is_log_line(line),
            "not a Redis log line: {line:?}\n--- log ---\n{log}"
        );
    }
    for line in log.lines() {
        assert!(line.starts_with(&format!("{pid}:")), "pid prefix: {line:?}");
    }
    assert!(log_has_msg(&log, "Server initialized"), "{log}");
    assert!(log_has_msg(&log, "Ready to accept connections"), "{log}");
    assert!(log_has_msg(&log, "Configuration loaded"), "{log}");
    assert!(
        log_has_msg(&log, &format!("Running mode=standalone, port={}.", sp.port)),
        "{log}"
    );
    assert!(
        log.lines().any(
            |l| l.contains("version=7.0.15") && l.contains(&format!("pid={pid}, just started"))
        ),
        "banner with version and pid missing:\n{log}"
    );
    // Ready comes after Server initialized.
    let pos = |m: &str| log.lines().position(|l| log_msg(l) == Some(m));
    assert!(
        pos("Server initialized") < pos("Ready to accept connections"),
        "{log}"
    );
    // The server's lines are role M; early startup lines are role C.
    let ready = log
        .lines()
        .find(|l| log_msg(l) == Some("Ready to accept connections"))
        .unwrap_or("");
    assert!(ready.starts_with(&format!("{pid}:M ")), "{ready}");
    assert!(ready.contains(" * Ready"), "Ready is a notice (*): {ready}");
}

#[test]
fn config_file_then_command_line_override() {
    let dir = common::scratch_dir("conf");
    let file_port = common::free_port();
    let conf = dir.join("my.conf");
    std::fs::write(
        &conf,
        format!(
            "# comment line\n\nport {file_port}\nbind 127.0.0.1\nmaxclients 77\nhz 20\n  databases   4  \ntimeout 0\n"
        ),
    )
    .expect("write conf");
    let conf_s = conf.to_string_lossy().into_owned();
    let cli_port = common::free_port();
    let cli_port_s = cli_port.to_string();
    let sp = ServerProc::start(&[&conf_s, "--port", &cli_port_s, "--hz", "30"]);
    assert_eq!(sp.port, cli_port);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"port"])),
        format!(
            "*2\r\n$4\r\nport\r\n${}\r\n{}\r\n",
            cli_port_s.len(),
            cli_port_s
        )
    );
    // From the file, not overridden.
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"maxclients"])),
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"databases"])),
        "*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"SELECT", b"4"])),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(c.cmd(&[b"SELECT", b"3"]), b"+OK\r\n");
    // The command line wins over the file.
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"hz"])),
        "*2\r\n$2\r\nhz\r\n$2\r\n30\r\n"
    );
    let info = s(c.cmd(&[b"INFO", b"server"]));
    assert_eq!(
        info_field(&info, "config_file"),
        Some(conf_s.clone()),
        "{info}"
    );
    assert_eq!(
        info_field(&info, "tcp_port"),
        Some(cli_port_s.clone()),
        "{info}"
    );
    // Nobody listens on the file's port.
    assert!(std::net::TcpStream::connect(("127.0.0.1", file_port)).is_err());
    drop(sp);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nonexistent_config_file_fails() {
    let dir = common::scratch_dir("noconf");
    let port = common::free_port().to_string();
    let r = run_to_exit(
        &dir,
        &["/nonexistent.conf", "--port", &port, "--bind", "127.0.0.1"],
    );
    assert_eq!(
        r.status.code(),
        Some(1),
        "stdout {:?} stderr {:?}",
        r.stdout,
        r.stderr
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    let line = all
        .lines()
        .find(|l| l.contains("Fatal error, can't open config file"))
        .unwrap_or_else(|| panic!("no fatal error line in {all:?}"));
    assert!(is_log_line(line), "{line:?}");
    assert_eq!(
        log_msg(line),
        Some("Fatal error, can't open config file '/nonexistent.conf': No such file or directory")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `body` to DIR/bad.conf, runs the server on it and checks the
/// exact fatal report on stderr and exit code 1.
fn check_bad_conf(body: &str, line_no: usize, line: &str, reason: &str) {
    let dir = common::scratch_dir("badconf");
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, body).expect("write conf");
    let conf_s = conf.to_string_lossy().into_owned();
    let r = run_to_exit(&dir, &[&conf_s]);
    assert_eq!(r.status.code(), Some(1), "stderr {:?}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line_no}\n>>> '{line}'\n{reason}\n"
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_directive_in_config_file() {
    let port = common::free_port();
    check_bad_conf(
        &format!("port {port}\nbind 127.0.0.1\nfoo bar\n"),
        3,
        "foo bar",
        "Bad directive or wrong number of arguments",
    );
}

#[test]
fn bad_values_in_config_file() {
    let port = common::free_port();
    let cases: &[(&str, &str)] = &[
        (
            "maxclients abc",
            "argument couldn't be parsed into an integer",
        ),
        (
            "maxclients 0",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        (
            "port 70000",
            "argument must be between 0 and 65535 inclusive",
        ),
        ("protected-mode maybe", "argument must be 'yes' or 'no'"),
        (
            "loglevel loud",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        ("maxmemory 10x", "argument must be a memory value"),
        ("hz", "wrong number of arguments"),
        (
            "unixsocketperm 999",
            "argument couldn't be parsed as an octal number",
        ),
        ("save abc", "Invalid save parameters"),
    ];
    for (line, reason) in cases {
        check_bad_conf(
            &format!("bind 127.0.0.1\nport {port}\n{line}\n"),
            3,
            line,
            reason,
        );
    }
}

#[test]
fn unknown_command_line_option() {
    let dir = common::scratch_dir("badopt");
    let r = run_to_exit(&dir, &["--foo", "bar"]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(
        r.stderr,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo \"bar\"'\nBad directive or wrong number of arguments\n"
    );
    // Options are numbered after a leading empty line, one per directive.
    let port = common::free_port().to_string();
    let r = run_to_exit(&dir, &["--port", &port, "--maxclients", "abc"]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(
        r.stderr,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'maxclients \"abc\"'\nargument couldn't be parsed into an integer\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debian_redis_conf_starts() {
    let src = Path::new("/etc/redis/redis.conf");
    if !src.exists() {
        if common::in_ci() {
            panic!("/etc/redis/redis.conf missing (CI=true, install redis-server)");
        }
        eprintln!("/etc/redis/redis.conf missing, skipped");
        return;
    }
    let dir = common::scratch_dir("debconf");
    let conf = dir.join("redis.conf");
    std::fs::copy(src, &conf).expect("copy redis.conf");
    let conf_s = conf.to_string_lossy().into_owned();
    let pidfile = dir.join("redis.pid");
    let pidfile_s = pidfile.to_string_lossy().into_owned();
    let dir_s = dir.to_string_lossy().into_owned();
    // start() adds --port, --daemonize no, --logfile after the file.
    let sp = ServerProc::start(&[&conf_s, "--pidfile", &pidfile_s, "--dir", &dir_s]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    assert_eq!(c.cmd(&[b"GET", b"k"]), b"$1\r\nv\r\n");
    // Values from the Debian file are in effect.
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"tcp-keepalive"])),
        "*2\r\n$13\r\ntcp-keepalive\r\n$3\r\n300\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"list-max-listpack-size"])),
        "*2\r\n$22\r\nlist-max-listpack-size\r\n$2\r\n-2\r\n"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"daemonize"])),
        "*2\r\n$9\r\ndaemonize\r\n$2\r\nno\r\n"
    );
    // The pidfile is written even when not daemonized.
    assert!(wait_for(2, || pidfile.exists()), "pidfile not written");
    let pid_text = std::fs::read_to_string(&pidfile).unwrap_or_default();
    assert_eq!(pid_text.trim(), sp.child.id().to_string());
    let info = s(c.cmd(&[b"INFO", b"server"]));
    assert_eq!(info_field(&info, "config_file"), Some(conf_s.clone()));
    drop(c);
    drop(sp);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Kills a daemonized server by pid if a test fails midway.
struct PidGuard(Option<u32>);

impl Drop for PidGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0
            && !pid_dead(pid)
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

#[test]
fn daemonize_with_pidfile() {
    let dir = common::scratch_dir("daemon");
    let port = common::free_port();
    let port_s = port.to_string();
    let pidfile = dir.join("d.pid");
    let pidfile_s = pidfile.to_string_lossy().into_owned();
    let log = dir.join("d.log");
    let log_s = log.to_string_lossy().into_owned();
    let dir_s = dir.to_string_lossy().into_owned();
    let r = run_to_exit(
        &dir,
        &[
            "--port",
            &port_s,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            &pidfile_s,
            "--logfile",
            &log_s,
            "--dir",
            &dir_s,
        ],
    );
    assert_eq!(
        r.status.code(),
        Some(0),
        "foreground process exit; stdout {:?}",
        r.stdout
    );
    assert!(
        wait_for(5, || {
            std::fs::read_to_string(&pidfile)
                .map(|t| t.trim().parse::<u32>().is_ok())
                .unwrap_or(false)
        }),
        "pidfile never written; log:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| panic!("bad pidfile"));
    let mut guard = PidGuard(Some(pid));
    assert!(!pid_dead(pid), "daemon {pid} is not running");
    let mut c = common::Conn::connect(port);
    assert_eq!(c.cmd(&[b"PING"]), b"+PONG\r\n");
    let info = s(c.cmd(&[b"INFO", b"server"]));
    assert_eq!(
        info_field(&info, "process_id"),
        Some(pid.to_string()),
        "{info}"
    );
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"daemonize"])),
        "*2\r\n$9\r\ndaemonize\r\n$3\r\nyes\r\n"
    );
    // The daemon logs to the logfile.
    let logtext = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        log_has_msg(&logtext, "Ready to accept connections"),
        "{logtext}"
    );
    // Stop it by the pidfile's pid; it removes the pidfile on the way out.
    send_signal(pid, "TERM");
    assert!(
        wait_for(5, || pid_dead(pid)),
        "daemon did not exit on SIGTERM"
    );
    guard.0 = None;
    assert!(
        wait_for(2, || !pidfile.exists()),
        "pidfile must be removed at shutdown"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_signal_shutdown(sig: &str) {
    let mut sp = ServerProc::start(&[]);
    let pid = sp.child.id();
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    send_signal(pid, sig);
    let st = sp
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no exit after SIG{sig}"));
    assert_eq!(st.code(), Some(0), "exit status after SIG{sig}");
    assert!(c.read_eof(), "client connection closed at shutdown");
    let log = sp.log();
    let want = format!("{pid}:signal-handler (");
    let sig_line = log
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no signal-handler line in:\n{log}"));
    let after = &sig_line[want.len()..];
    let close = after.find(") ").unwrap_or_else(|| panic!("{sig_line:?}"));
    assert!(
        after[..close].chars().all(|ch| ch.is_ascii_digit()) && close > 0,
        "{sig_line:?}"
    );
    assert_eq!(
        &after[close + 2..],
        format!("Received SIG{sig} scheduling shutdown...")
    );
    assert!(log_has_msg(&log, "User requested shutdown..."), "{log}");
    assert!(
        log_has_msg(&log, "Redis is now ready to exit, bye bye..."),
        "{log}"
    );
    let last = log.lines().last().unwrap_or("");
    assert_eq!(
        log_msg(last),
        Some("Redis is now ready to exit, bye bye..."),
        "{log}"
    );
    assert!(
        last.contains(" # Redis is now"),
        "a warning-level line: {last}"
    );
}

#[test]
fn sigterm_shuts_down_cleanly() {
    check_signal_shutdown("TERM");
}

#[test]
fn sigint_shuts_down_cleanly() {
    check_signal_shutdown("INT");
}

#[test]
fn shutdown_nosave() {
    let mut sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    c.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    assert!(c.read_eof(), "SHUTDOWN closes the connection");
    assert!(
        c.buf.is_empty(),
        "SHUTDOWN sends no reply on success: {:?}",
        c.buf
    );
    let st = sp
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no exit after SHUTDOWN"));
    assert_eq!(st.code(), Some(0));
    assert!(
        !sp.dir.join("dump.rdb").exists(),
        "NOSAVE must not write an RDB"
    );
    let log = sp.log();
    assert!(log_has_msg(&log, "User requested shutdown..."), "{log}");
    assert!(
        log_has_msg(&log, "Redis is now ready to exit, bye bye..."),
        "{log}"
    );
}

#[test]
fn shutdown_save_without_save_points() {
    // `save ""` (no save points): SHUTDOWN SAVE still writes dump.rdb.
    let mut sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"save"])),
        "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
    );
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    c.send_raw(b"SHUTDOWN SAVE\r\n");
    assert!(c.read_eof(), "SHUTDOWN closes the connection");
    assert!(c.buf.is_empty(), "{:?}", c.buf);
    let st = sp
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no exit after SHUTDOWN SAVE"));
    assert_eq!(st.code(), Some(0));
    let rdb: PathBuf = sp.dir.join("dump.rdb");
    let bytes = std::fs::read(&rdb).unwrap_or_else(|e| panic!("{}: {e}", rdb.display()));
    assert!(
        bytes.starts_with(b"REDIS"),
        "RDB magic: {:?}",
        &bytes[..bytes.len().min(9)]
    );
    let log = sp.log();
    assert!(
        log_has_msg(&log, "Saving the final RDB snapshot before exiting."),
        "{log}"
    );
    assert!(log_has_msg(&log, "DB saved on disk"), "{log}");
    assert!(
        log_has_msg(&log, "Redis is now ready to exit, bye bye..."),
        "{log}"
    );
}

#[test]
fn shutdown_plain_without_save_points_and_bad_args() {
    let mut sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(s(c.cmd(&[b"SHUTDOWN", b"BOGUS"])), "-ERR syntax error\r\n");
    assert_eq!(
        s(c.cmd(&[b"SHUTDOWN", b"SAVE", b"NOSAVE"])),
        "-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&[b"SET", b"k", b"v"]), b"+OK\r\n");
    c.send_raw(b"SHUTDOWN\r\n");
    assert!(c.read_eof());
    let st = sp
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no exit after SHUTDOWN"));
    assert_eq!(st.code(), Some(0));
    assert!(!sp.dir.join("dump.rdb").exists(), "no save points: no RDB");
}
