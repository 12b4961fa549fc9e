//! Client limits and how the server reports them, each scenario run on our
//! server and on redis-server 7.0.15 with the same checks:
//!
//! * CONFIG SET maxclients past what the file-descriptor limit allows is
//!   refused with Redis's text (`try with N`, N from the same ulimit), the
//!   old value stays, and the log tells why ("Failed applying new
//!   configuration. Possibly related to new maxclients setting. ...").
//! * At `loglevel verbose` a protocol error is logged as Redis logs it:
//!   "Protocol error (<what>) from client: <client info>. Query buffer
//!   during protocol error: '<sample>'".
//! * A client over `client-query-buffer-limit` is closed with the warning
//!   "Closing client that reached max query buffer length: <client info>
//!   (qbuf initial bytes: <quoted repr>)".

mod common;

use common::*;
use std::io::Write;
use std::time::{Duration, Instant};

/// Waits up to 5 s for a log line containing `needle`; returns that line.
fn wait_log_line(sp: &ServerProc, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(l) = sp.log().lines().find(|l| l.contains(needle)) {
            return l.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no log line with {needle:?}:\n{}",
            sp.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The servers to run a scenario on: ours, and redis-server when present.
fn servers(args: &[&str]) -> Vec<ServerProc> {
    let mut v = vec![ServerProc::start(args)];
    v.extend(ServerProc::start_oracle(args));
    v
}

#[test]
fn maxclients_past_the_descriptor_limit_is_refused() {
    let mut replies = Vec::new();
    for sp in servers(&[]) {
        let mut c = sp.conn();
        let r = c.cmd_str("CONFIG SET maxclients 2000000");
        assert!(
            s(r.clone()).starts_with(
                "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with "
            ),
            "{}",
            escape(&r)
        );
        assert_eq!(
            c.cmd_str("CONFIG GET maxclients"),
            b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
        );
        wait_log_line(
            &sp,
            "# You requested maxclients of 2000000 requiring at least 2000032 max file descriptors.",
        );
        wait_log_line(
            &sp,
            "# Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.",
        );
        // A value that fits is taken.
        assert_eq!(c.cmd_str("CONFIG SET maxclients 100"), b"+OK\r\n");
        replies.push(r);
    }
    if replies.len() == 2 {
        assert_eq!(escape(&replies[0]), escape(&replies[1]));
    }
}

#[test]
fn protocol_errors_are_logged_at_verbose_as_redis_does() {
    // A long bad line: its first and last 64 bytes are shown, each cut at
    // a NUL, non-printables as dots.
    let mut long = b"*2\r\n$4\r\nECHO\r\n+".to_vec();
    long.extend(std::iter::repeat_n(b'y', 140));
    long.extend_from_slice(b"\r\n\x00zz");
    let long_sample = format!(
        "'+{}' (... more 18 bytes ...) '{}..'",
        "y".repeat(63),
        "y".repeat(59)
    );
    let cases: [(&[u8], &str, &str); 4] = [
        (
            b"*1\r\n$x\r\nPING\r\n",
            "invalid bulk length",
            "'$x..PING..'",
        ),
        (
            b"SET a \"\x01\xff\r\n",
            "unbalanced quotes in inline request",
            "'SET a \"....'",
        ),
        (
            b"*1\r\n$4\r\nPING\r\n*abc\r\n",
            "invalid mbulk count",
            "'*abc..'",
        ),
        (&long, "expected $ but got something else", &long_sample),
    ];
    for sp in servers(&["--loglevel", "verbose"]) {
        for (input, what, sample) in cases {
            let mut c = sp.conn();
            c.send_raw(input);
            assert!(c.read_eof(), "not closed after {}", escape(input));
            let line = wait_log_line(&sp, &format!("- Protocol error ({what}) from client: id="));
            assert!(
                line.ends_with(&format!(
                    " resp=2. Query buffer during protocol error: {sample}"
                )),
                "{line}"
            );
            assert!(line.contains(" cmd="), "{line}");
        }
    }
    // Not logged above verbose.
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    c.send_raw(b"*1\r\n$x\r\n");
    assert!(c.read_eof());
    assert_eq!(sp.conn().cmd_str("PING"), b"+PONG\r\n");
    assert!(!sp.log().contains("Protocol error"), "{}", sp.log());
}

#[test]
fn query_buffer_limit_closes_with_redis_log_line() {
    for sp in servers(&[]) {
        let mut c = sp.conn();
        assert_eq!(
            c.cmd_str("CONFIG SET client-query-buffer-limit 1mb"),
            b"+OK\r\n"
        );
        let mut big = Conn::connect(sp.port);
        let mut data = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n".to_vec();
        for _ in 0..400_000 {
            data.extend_from_slice(b"\x00ab\"\\");
        }
        // The server closes the connection part way: a write error is fine.
        let _ = big.stream.write_all(&data);
        assert!(big.read_eof());
        let line = wait_log_line(
            &sp,
            "# Closing client that reached max query buffer length: id=",
        );
        // sdscatrepr of the first 64 bytes.
        let unit = "\\x00ab\\\"\\\\";
        let want = format!(" (qbuf initial bytes: \"{}\\x00ab\\\"\")", unit.repeat(12));
        assert!(line.ends_with(&want), "{line}\n{want}");
        assert!(line.contains(" flags=N db=0 "), "{line}");
        assert_eq!(c.cmd_str("EXISTS k"), b":0\r\n");
    }
}
