//! Shared support for the integration tests: spawning a server on a free
//! port and talking raw RESP to it.
//!
//! Every test binary under `tests/` does `mod common;` and uses a part of
//! this module, hence the `dead_code` allowance.
//!
//! # The binary under test
//!
//! [`ServerProc::start`] runs the binary named by the environment variable
//! `RUSTREDIS_BIN` when it is set, and Cargo's `rustredis` binary otherwise.
//! Tests are written against Redis 7.0.15 behaviour, so they are validated
//! with `RUSTREDIS_BIN=/usr/bin/redis-server` and must pass there too.
//!
//! [`ServerProc::start_oracle`] runs the reference Redis
//! (`REDIS_ORACLE_BIN`, default `/usr/bin/redis-server`) for differential
//! tests. When it is missing the test is skipped, unless `CI=true`, in which
//! case it fails.
//!
//! # Servers
//!
//! Each server gets a fresh scratch directory (its working directory, where
//! its log and any dump files land), a free 127.0.0.1 port found by binding
//! port 0, and the arguments
//! `--port P --bind 127.0.0.1 --save "" --appendonly no --daemonize no
//! --logfile DIR/server.log` followed by the caller's extras (later
//! directives win, as in redis-server). A caller's config file (an extra
//! argument not starting with `--`, in first position) goes first, as the
//! command line requires. Startup waits until the server answers PING (any
//! complete reply counts, so `-NOAUTH` is fine) and retries with another port
//! when the process dies before that, because the port may have been taken
//! between our probe and the server's bind.
//!
//! [`ServerProc`]'s `Drop` kills the child and waits for it, also while a
//! test is panicking. The scratch directory is removed when the test passed
//! and kept (its path printed) when it panicked, so the log can be read.
//!
//! # Connections
//!
//! [`Conn`] is a raw TCP client. [`Conn::read_reply`] returns the exact bytes
//! of one complete RESP2/RESP3 reply, nested aggregates included; an
//! attribute (`|`) is returned together with the reply it annotates.
//! [`call`] / [`call_ok`] parse a reply into [`Resp`].
//!
//! # Other shared pieces
//!
//! * AOF files: [`aof_incr_path`] finds the incr file a manifest names,
//!   [`parse_aof`] splits an AOF (no RDB preamble) into commands, and
//!   [`near_now_ms`] tells clock-made times apart, to mask them.
//! * [`Rng`]: a seedable xorshift64 generator for randomized comparisons,
//!   so that one seed replays the same commands on every server.
//! * [`repl`]: replication tests' nodes (ours or the oracle), a writer of
//!   every type, waiting for replicas to catch up, keyspace comparison.

#![allow(dead_code)]

pub mod repl;

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long `start` waits for the first PING answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `read_reply` waits for one complete reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long `read_eof` waits for the server to close.
const EOF_TIMEOUT: Duration = Duration::from_secs(2);
/// Port races are retried this many times.
const START_ATTEMPTS: usize = 5;

/// The binary under test: `RUSTREDIS_BIN`, else Cargo's `rustredis`.
pub fn server_bin() -> String {
    match std::env::var("RUSTREDIS_BIN") {
        Ok(b) if !b.is_empty() => b,
        _ => env!("CARGO_BIN_EXE_rustredis").to_string(),
    }
}

/// The reference Redis: `REDIS_ORACLE_BIN`, else `/usr/bin/redis-server`.
pub fn oracle_bin() -> String {
    match std::env::var("REDIS_ORACLE_BIN") {
        Ok(b) if !b.is_empty() => b,
        _ => "/usr/bin/redis-server".to_string(),
    }
}

/// True when the environment says we run in CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// A free TCP port on 127.0.0.1, found by binding port 0 and reading back
/// the port the kernel chose. The listener is closed before returning, so
/// another process may take the port before the caller binds it; callers
/// retry on failure.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// A fresh, empty scratch directory under the system temp dir.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "rustredis-test-{}-{}-{}-{}",
        tag,
        std::process::id(),
        n,
        nanos
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// A running server process owned by a test.
pub struct ServerProc {
    /// The TCP port it listens on (127.0.0.1).
    pub port: u16,
    /// The server process.
    pub child: std::process::Child,
    /// Scratch directory, the server's working directory.
    pub dir: PathBuf,
    /// The server's log file (`DIR/server.log` unless the caller chose one;
    /// `DIR/stdout.log` when the caller logs to stdout with `--logfile ""`).
    pub log_path: PathBuf,
}

impl ServerProc {
    /// Starts the binary under test (see [`server_bin`]) with `extra`
    /// arguments appended to the defaults; waits until it answers PING.
    pub fn start(extra: &[&str]) -> ServerProc {
        ServerProc::start_bin(&server_bin(), extra)
    }

    /// Starts the reference redis-server. Returns `None` after printing
    /// "oracle missing, skipped" when it is not installed, and panics
    /// instead when `CI=true`.
    pub fn start_oracle(extra: &[&str]) -> Option<ServerProc> {
        let bin = oracle_bin();
        if !Path::new(&bin).exists() {
            if in_ci() {
                panic!("oracle missing: {bin} does not exist (CI=true, so this is a failure)");
            }
            eprintln!("oracle missing, skipped ({bin} does not exist)");
            return None;
        }
        Some(ServerProc::start_bin(&bin, extra))
    }

    /// Starts `bin` with the default arguments plus `extra` on a free port
    /// in a fresh scratch directory; waits (10 s max) until PING answers.
    /// Panics with the server's log if it never becomes ready.
    pub fn start_bin(bin: &str, extra: &[&str]) -> ServerProc {
        let mut last_failure = String::new();
        for _attempt in 0..START_ATTEMPTS {
            match try_start(bin, extra) {
                Ok(sp) => return sp,
                Err(why) => last_failure = why,
            }
        }
        panic!("could not start {bin} {extra:?} after {START_ATTEMPTS} attempts:\n{last_failure}");
    }

    /// A new raw connection to this server.
    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    /// The content of the log file so far (empty if it does not exist yet).
    pub fn log(&self) -> String {
        fs::read(&self.log_path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The captured stdout/stderr of the process so far.
    pub fn stdout(&self) -> String {
        fs::read(self.dir.join("stdout.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// Sends `sig` (`-STOP`, `-CONT`, `-TERM`, ...) to the process with kill(1).
    pub fn signal(&self, sig: &str) {
        let st = std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill {sig} {} failed", self.child.id());
    }

    /// Waits up to `timeout` for the process to exit; returns its status.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(st)) => return Some(st),
                Ok(None) => {}
                Err(_) => return None,
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "server on port {} kept its scratch dir {} (log: {})",
                self.port,
                self.dir.display(),
                self.log_path.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// One attempt at starting a server; `Err` carries a description with the
/// log when the process died or never answered.
fn try_start(bin: &str, extra: &[&str]) -> Result<ServerProc, String> {
    let dir = scratch_dir("srv");
    let stdout_path = dir.join("stdout.log");

    // A config file, if any, must be the first argument.
    let (config_file, rest): (Option<&str>, &[&str]) = match extra.first() {
        Some(first) if !first.starts_with("--") => (Some(first), &extra[1..]),
        _ => (None, extra),
    };

    // Caller-chosen port and logfile.
    let mut port = None;
    let mut logfile: Option<&str> = None;
    let mut i = 0;
    while i < rest.len() {
        if i + 1 < rest.len() {
            if rest[i] == "--port" {
                port = rest[i + 1].parse::<u16>().ok();
            } else if rest[i] == "--logfile" {
                logfile = Some(rest[i + 1]);
            }
        }
        i += 1;
    }
    let port = match port {
        Some(p) => p,
        None => free_port(),
    };
    let log_path = match logfile {
        None => dir.join("server.log"),
        Some("") => stdout_path.clone(),
        Some(p) => {
            let p = Path::new(p);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                dir.join(p)
            }
        }
    };

    let port_s = port.to_string();
    let default_log = dir.join("server.log");
    let default_log_s = default_log.to_string_lossy().into_owned();
    let mut args: Vec<&str> = Vec::new();
    if let Some(cf) = config_file {
        args.push(cf);
    }
    args.extend_from_slice(&[
        "--port",
        &port_s,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
    ]);
    if logfile.is_none() {
        args.push("--logfile");
        args.push(&default_log_s);
    }
    args.extend_from_slice(rest);

    let out = fs::File::create(&stdout_path).map_err(|e| format!("create stdout.log: {e}"))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("clone stdout.log: {e}"))?;
    let child = Command::new(bin)
        .args(&args)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| format!("spawn {bin}: {e}"))?;

    let mut sp = ServerProc {
        port,
        child,
        dir,
        log_path,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(status)) = sp.child.try_wait() {
            let why = format!(
                "{bin} {args:?} exited with {status} before answering PING\n--- log ---\n{}\n--- stdout/stderr ---\n{}",
                sp.log(),
                sp.stdout()
            );
            return Err(why); // Drop removes the scratch dir
        }
        if ping_ok(port) {
            return Ok(sp);
        }
        if Instant::now() >= deadline {
            let why = format!(
                "{bin} {args:?} did not answer PING within {START_TIMEOUT:?}\n--- log ---\n{}\n--- stdout/stderr ---\n{}",
                sp.log(),
                sp.stdout()
            );
            return Err(why); // Drop kills it
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True when something on `port` answers an inline PING with a complete
/// RESP reply within a second.
fn ping_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    while Instant::now() < deadline {
        match s.read(&mut chunk) {
            Ok(0) => return false,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                if let Ok(Some(_)) = parse_reply(&buf, 0) {
                    return true;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
            Err(_) => return false,
        }
    }
    false
}

// ---- RESP reply framing ----

/// Finds the end of the CRLF-terminated line starting at `pos`; returns the
/// index just past the `\n`, or `None` when incomplete.
fn line_end(buf: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos;
    while i + 1 < buf.len() {
        if buf[i] == b'\r' && buf[i + 1] == b'\n' {
            return Some(i + 2);
        }
        i += 1;
    }
    None
}

/// Parses the integer of a header line `buf[start..end-2]`.
fn header_int(buf: &[u8], start: usize, end: usize) -> Result<i64, String> {
    let s = &buf[start..end - 2];
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| {
            format!(
                "bad length in RESP header {:?}",
                escape(&buf[start - 1..end])
            )
        })
}

/// Frames one reply starting at `pos`. `Ok(None)` means more bytes are
/// needed, `Ok(Some(end))` gives the index just past the reply, and `Err`
/// a malformed stream. An attribute (`|`) includes the reply that follows.
pub fn parse_reply(buf: &[u8], pos: usize) -> Result<Option<usize>, String> {
    if pos >= buf.len() {
        return Ok(None);
    }
    let Some(end) = line_end(buf, pos) else {
        return Ok(None);
    };
    let t = buf[pos];
    match t {
        b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => Ok(Some(end)),
        b'$' | b'=' | b'!' => {
            let n = header_int(buf, pos + 1, end)?;
            if n < 0 {
                return Ok(Some(end));
            }
            let n = n as usize;
            if buf.len() < end + n + 2 {
                return Ok(None);
            }
            if &buf[end + n..end + n + 2] != b"\r\n" {
                return Err(format!("bulk payload not followed by CRLF at {}", end + n));
            }
            Ok(Some(end + n + 2))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = header_int(buf, pos + 1, end)?;
            if n < 0 {
                return Ok(Some(end));
            }
            let elems = if t == b'%' || t == b'|' { 2 * n } else { n };
            let mut p = end;
            for _ in 0..elems {
                match parse_reply(buf, p)? {
                    Some(e) => p = e,
                    None => return Ok(None),
                }
            }
            if t == b'|' {
                // The attribute annotates the reply that follows it.
                return parse_reply(buf, p);
            }
            Ok(Some(p))
        }
        other => Err(format!(
            "unknown RESP type byte {:?} at {pos}: {}",
            other as char,
            escape(&buf[pos..buf.len().min(pos + 64)])
        )),
    }
}

/// A raw RESP client connection.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// Bytes read but not yet returned by `read_reply`.
    pub buf: Vec<u8>,
}

impl Conn {
    /// Connects to 127.0.0.1:`port` (retrying for up to 2 s).
    pub fn connect(port: u16) -> Conn {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Conn {
                        stream,
                        buf: Vec::new(),
                    };
                }
                Err(e) => {
                    if Instant::now() >= deadline {
                        panic!("connect to 127.0.0.1:{port}: {e}");
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    /// Writes `bytes` as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("send_raw ({} bytes): {e}", bytes.len()));
    }

    /// Reads exactly one complete reply and returns its raw bytes; bytes
    /// after it stay buffered for the next call. Panics after 10 s, on a
    /// malformed reply, or when the server closes first.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            match parse_reply(&self.buf, 0) {
                Ok(Some(end)) => {
                    let rest = self.buf.split_off(end);
                    return std::mem::replace(&mut self.buf, rest);
                }
                Ok(None) => {}
                Err(e) => panic!("malformed reply: {e}; buffer: {}", escape(&self.buf)),
            }
            let now = Instant::now();
            if now >= deadline {
                panic!(
                    "no complete reply within {REPLY_TIMEOUT:?}; partial: {}",
                    escape(&self.buf)
                );
            }
            let _ = self.stream.set_read_timeout(Some(deadline - now));
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => panic!(
                    "connection closed before a complete reply; partial: {}",
                    escape(&self.buf)
                ),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock
                        || e.kind() == ErrorKind::TimedOut
                        || e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("read error: {e}; partial: {}", escape(&self.buf)),
            }
        }
    }

    /// Sends `args` as one multibulk command and returns the reply.
    pub fn cmd(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.send_raw(&encode_command(args));
        self.read_reply()
    }

    /// Splits `line` like redis-cli does (see [`split_args`]) and runs it.
    pub fn cmd_str(&mut self, line: &str) -> Vec<u8> {
        let args = split_args(line);
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.cmd(&refs)
    }

    /// Waits up to 2 s for the server to close the connection; returns true
    /// when it did. Bytes that arrive meanwhile are kept in the buffer.
    pub fn read_eof(&mut self) -> bool {
        let deadline = Instant::now() + EOF_TIMEOUT;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            let _ = self.stream.set_read_timeout(Some(deadline - now));
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock
                        || e.kind() == ErrorKind::TimedOut
                        || e.kind() == ErrorKind::Interrupted => {}
                Err(e)
                    if e.kind() == ErrorKind::ConnectionReset
                        || e.kind() == ErrorKind::ConnectionAborted
                        || e.kind() == ErrorKind::BrokenPipe =>
                {
                    return true;
                }
                Err(_) => return true,
            }
        }
    }

    /// Closes our write side (half-close).
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

/// Encodes `args` as a RESP multibulk command.
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

// ---- redis-cli argument splitting ----

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments with redis-cli's (`sdssplitargs`) rules;
/// `None` on unbalanced quotes or a closing quote not followed by a space.
///
/// - Arguments are separated by whitespace.
/// - `"..."` supports `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a` and `\<c>` for any
///   other `c`.
/// - `'...'` supports only `\'`.
/// - A quote may open in the middle of a word (`a"b c"` is `ab c`).
pub fn try_split_args(line: &str) -> Option<Vec<Vec<u8>>> {
    let p = line.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < p.len() && is_space(p[i]) {
            i += 1;
        }
        if i >= p.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut inq = false;
        let mut insq = false;
        loop {
            if inq {
                if i >= p.len() {
                    return None;
                }
                if p[i] == b'\\'
                    && i + 3 < p.len()
                    && p[i + 1] == b'x'
                    && hex_val(p[i + 2]).is_some()
                    && hex_val(p[i + 3]).is_some()
                {
                    let h = hex_val(p[i + 2]).unwrap_or(0) * 16 + hex_val(p[i + 3]).unwrap_or(0);
                    cur.push(h);
                    i += 3;
                } else if p[i] == b'\\' && i + 1 < p.len() {
                    i += 1;
                    cur.push(match p[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        c => c,
                    });
                } else if p[i] == b'"' {
                    if i + 1 < p.len() && !is_space(p[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(p[i]);
                }
            } else if insq {
                if i >= p.len() {
                    return None;
                }
                if p[i] == b'\\' && i + 1 < p.len() && p[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if p[i] == b'\'' {
                    if i + 1 < p.len() && !is_space(p[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(p[i]);
                }
            } else {
                if i >= p.len() {
                    break;
                }
                match p[i] {
                    c if is_space(c) => break,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

/// Like [`try_split_args`] but panics on unbalanced quotes.
pub fn split_args(line: &str) -> Vec<Vec<u8>> {
    try_split_args(line).unwrap_or_else(|| panic!("unbalanced quotes in {line:?}"))
}

/// Printable form of raw bytes: `\r`, `\n`, `\t`, `\\`, `"` escaped and
/// other non-printables as `\xHH`.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 8);
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// A reply as text (lossy UTF-8), for assertions.
pub fn s(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

/// Sends each command line (split as `Conn::cmd_str` does) to both
/// connections in turn and asserts the two raw replies are the same bytes:
/// the differential check of rustredis (`a`) against redis-server (`b`).
pub fn assert_same_replies(a: &mut Conn, b: &mut Conn, script: &[&str]) {
    for line in script {
        assert_eq!(
            s(a.cmd_str(line)),
            s(b.cmd_str(line)),
            "reply to {line:?} differs"
        );
    }
}

/// The value of `field` in an INFO text, if present.
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.strip_prefix(&format!("{field}:"))
            .map(|v| v.trim_end().to_string())
    })
}

/// Waits (2 s max) until INFO reports `n` connected clients, so that the
/// startup probe's connection is surely gone; returns the last count seen.
pub fn settle_clients(c: &mut Conn, n: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let t = s(c.cmd(&[b"INFO", b"clients"]));
        let got = info_field(&t, "connected_clients")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if got == n || std::time::Instant::now() >= deadline {
            return got;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// What a finished process printed (lossy UTF-8), and how it exited: a
/// server run that is expected to exit by itself ([`run_to_exit`]), or a
/// tool such as redis-cli or redis-benchmark ([`run_tool`]).
pub struct Ran {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `bin args...` to its end, feeding `stdin` (if any) from a thread
/// while stdout and stderr are collected by two more, so that no pipe can
/// fill up and stall it. Errs, with a message naming the command, when it
/// cannot be spawned or waited for, or when it is still running after
/// `timeout` (it is then killed). Callers decide what an error means: a
/// test panics, a bench stops (`bench_util::run`).
pub fn run_tool(
    bin: &str,
    args: &[&str],
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> Result<Ran, String> {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {bin}: {e}"))?;
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let status = std::thread::scope(|scope| {
        if let Some(data) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            scope.spawn(move || {
                // A tool that exits early closes the pipe: that shows in its
                // output and exit status, so a write error is not reported.
                let _ = pipe.write_all(data);
            });
        }
        let deadline = Instant::now() + timeout;
        loop {
            match child.try_wait() {
                Ok(Some(st)) => return Ok(st),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{bin} {args:?} did not finish within {timeout:?}"));
                }
                Err(e) => return Err(format!("wait for {bin}: {e}")),
            }
        }
    })?;
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Ran {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Runs the binary under test with `args` in `dir`; kills it and panics
/// if it is still running after 10 s (a config error must stop startup).
pub fn run_to_exit(dir: &std::path::Path, args: &[&str]) -> Ran {
    let out_p = dir.join("run.stdout");
    let err_p = dir.join("run.stderr");
    let out = std::fs::File::create(&out_p).expect("create run.stdout");
    let err = std::fs::File::create(&err_p).expect("create run.stderr");
    let mut child = std::process::Command::new(server_bin())
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(out))
        .stderr(std::process::Stdio::from(err))
        .spawn()
        .expect("spawn server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{args:?} should have exited by itself; stdout: {}",
                std::fs::read_to_string(&out_p).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Ran {
        status,
        stdout: std::fs::read_to_string(&out_p).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_p).unwrap_or_default(),
    }
}

// ---- A small RESP2 reader ----

/// A parsed RESP2 reply, for tests that look inside replies.
#[derive(Clone, Debug, PartialEq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

/// Parses one complete RESP2 reply of `b` starting at `*pos`, and moves
/// `*pos` past it. Panics on an incomplete or malformed reply.
pub fn parse_resp(b: &[u8], pos: &mut usize) -> Resp {
    let line_end = b[*pos..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| *pos + i)
        .expect("complete reply");
    let kind = b[*pos];
    let line = String::from_utf8_lossy(&b[*pos + 1..line_end]).into_owned();
    *pos = line_end + 2;
    match kind {
        b'+' => Resp::Simple(line),
        b'-' => Resp::Error(line),
        b':' => Resp::Int(line.parse().expect("integer")),
        b'$' => {
            let n: i64 = line.parse().expect("bulk length");
            if n < 0 {
                return Resp::Bulk(None);
            }
            let v = b[*pos..*pos + n as usize].to_vec();
            *pos += n as usize + 2;
            Resp::Bulk(Some(v))
        }
        b'*' => {
            let n: i64 = line.parse().expect("array length");
            if n < 0 {
                return Resp::Array(None);
            }
            Resp::Array(Some((0..n).map(|_| parse_resp(b, pos)).collect()))
        }
        other => panic!("unexpected reply type {:?}", other as char),
    }
}

/// Runs `args` and parses the reply.
pub fn call(c: &mut Conn, args: &[&[u8]]) -> Resp {
    let raw = c.cmd(args);
    parse_resp(&raw, &mut 0)
}

/// Runs a command given as space-separated words and parses the reply.
pub fn call_str(c: &mut Conn, line: &str) -> Resp {
    let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
    call(c, &args)
}

/// Runs `args`, which must not fail: panics with the command and the error
/// text on an error reply; otherwise returns the parsed reply.
pub fn call_ok(c: &mut Conn, args: &[&[u8]]) -> Resp {
    let r = call(c, args);
    if let Resp::Error(e) = &r {
        panic!(
            "{:?} -> {e}",
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
        );
    }
    r
}

/// [`call_ok`] for a command given as space-separated words (no quoting).
pub fn call_ok_str(c: &mut Conn, line: &str) -> Resp {
    let args: Vec<&[u8]> = line.split(' ').map(|a| a.as_bytes()).collect();
    call_ok(c, &args)
}

/// Runs `script` on `sp`, one command a line (space-separated words with
/// `split_args` quoting; blank lines skipped, each line trimmed). Every
/// command runs on one connection and must not reply with an error. Three
/// directives drive a second client, for blocking commands:
///
/// * `@bg CMD`: opens a new connection and sends CMD without reading;
/// * `@bgreply`: reads that connection's reply and hands it to `check_bg`;
/// * `@sleep MS`: sleeps MS milliseconds (to let the server block it).
pub fn run_script(sp: &ServerProc, script: &str, check_bg: impl Fn(&[u8])) {
    let mut c = sp.conn();
    let mut bg: Option<Conn> = None;
    for raw in script.lines() {
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        if let Some(ms) = l.strip_prefix("@sleep ") {
            std::thread::sleep(Duration::from_millis(ms.parse().expect("@sleep ms")));
        } else if let Some(cmd) = l.strip_prefix("@bg ") {
            let mut b = sp.conn();
            let args = split_args(cmd);
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            b.send_raw(&encode_command(&refs));
            bg = Some(b);
        } else if l == "@bgreply" {
            let r = bg.as_mut().expect("a background command").read_reply();
            check_bg(&r);
        } else {
            let r = c.cmd_str(l);
            assert!(!r.starts_with(b"-"), "{l}: {}", String::from_utf8_lossy(&r));
        }
    }
}

// ---- AOF files ----

/// The incr file of the multi-part AOF under `dir/appendonlydir`: the first
/// file of type `i` that `appendonly.aof.manifest` names (a server started
/// with `--appendonly yes` has exactly one until a rewrite). Panics when
/// the manifest or the entry is missing.
pub fn aof_incr_path(dir: &Path) -> PathBuf {
    let aofdir = dir.join("appendonlydir");
    let manifest =
        fs::read_to_string(aofdir.join("appendonly.aof.manifest")).expect("manifest exists");
    let name = manifest
        .lines()
        .find(|l| l.ends_with(" type i"))
        .and_then(|l| l.split(' ').nth(1))
        .expect("an incr file in the manifest")
        .to_string();
    aofdir.join(name)
}

/// The bytes of [`aof_incr_path`]`(dir)`.
pub fn read_aof_incr(dir: &Path) -> Vec<u8> {
    fs::read(aof_incr_path(dir)).expect("incr file")
}

/// Splits an AOF without an RDB preamble (an incr file, or a rewrite made
/// with `aof-use-rdb-preamble no`) into its commands, each a list of
/// arguments. Annotation lines (`#...`, `aof-timestamp-enabled`) are
/// skipped. Panics on anything but RESP multibulks of bulk strings, or a
/// truncated command.
pub fn parse_aof(b: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        if b[pos] == b'#' {
            let end = b[pos..]
                .windows(2)
                .position(|w| w == b"\r\n")
                .expect("annotation line end");
            pos += end + 2;
            continue;
        }
        let at = pos;
        let Resp::Array(Some(items)) = parse_resp(b, &mut pos) else {
            panic!("not a multibulk at offset {at} of the AOF");
        };
        out.push(
            items
                .into_iter()
                .map(|i| match i {
                    Resp::Bulk(Some(v)) => v,
                    other => panic!("AOF argument {other:?} at offset {at}"),
                })
                .collect(),
        );
    }
    out
}

/// Server arguments for AOF tests: append only with `appendfsync always`,
/// so every acknowledged write is in the incr file when its reply arrives,
/// and no RDB save points.
pub const AOF_ALWAYS: &[&str] = &[
    "--appendonly",
    "yes",
    "--appendfsync",
    "always",
    "--save",
    "",
];

/// The commands of the AOF incr file under `dir` ([`aof_incr_path`]), one
/// line each: every argument mapped by `word` (to mask clock-made values,
/// escape bytes, ...), joined with single spaces.
pub fn aof_incr_lines(dir: &Path, word: impl Fn(&[u8]) -> String) -> Vec<String> {
    parse_aof(&read_aof_incr(dir))
        .iter()
        .map(|c| c.iter().map(|a| word(a)).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The current unix time in milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Whether `v` is a unix time in ms within a day of now: a time the server
/// took from its clock (PXAT, XCLAIM TIME, `*` ids), which tests mask
/// before comparing two servers' output.
pub fn near_now_ms(v: i64) -> bool {
    (v - now_ms()).abs() < 86_400_000
}

// ---- Random inputs ----

/// A seedable xorshift64 generator (shifts 13, 7, 17): small, fast and
/// reproducible, so that one seed replays the same random commands on the
/// server under test and on the oracle. Not for anything statistical.
///
/// The field is the state and must not be 0 (the generator would stay at 0);
/// [`Rng::new`] makes a usable state from any seed.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// A generator whose state is `seed` spread by the golden-ratio
    /// constant, with the low bit set so it is never 0.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits (the new state).
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// In `0..n` (`n` > 0; slightly biased towards small values, which
    /// tests do not mind).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in `[lo, hi)`, from the top 53 bits.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }

    /// True with probability `p` (0.0 to 1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform(0.0, 1.0) < p
    }

    /// One element of `v` (not empty).
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

// ---- TLS test certificates ----

/// PEM files made by [`make_test_certs`], all in one directory.
pub struct TestCerts {
    /// The CA certificate that signed `server`, `client` and `generic`.
    pub ca: PathBuf,
    /// Server certificate (SAN IP:127.0.0.1 and DNS:localhost) and key.
    pub server_crt: PathBuf,
    pub server_key: PathBuf,
    /// Client certificate (extendedKeyUsage clientAuth) and key.
    pub client_crt: PathBuf,
    pub client_key: PathBuf,
    /// An X.509 version 1 certificate (no extensions: what `openssl x509
    /// -req` makes without an extension file, like the `redis.crt` of
    /// Redis's test suite), good for any use, and its key.
    pub generic_crt: PathBuf,
    pub generic_key: PathBuf,
    /// A second CA and a client certificate it signed: a stranger's.
    pub other_ca: PathBuf,
    pub other_client_crt: PathBuf,
    pub other_client_key: PathBuf,
}

/// Makes a throwaway PKI in `dir` with the openssl CLI (RSA 2048, 30 days):
/// two CAs, a server certificate for 127.0.0.1, a client certificate and a
/// v1 certificate from the first, a client certificate from the second. Panics when
/// openssl is missing or fails (the CI installs it).
pub fn make_test_certs(dir: &Path) -> TestCerts {
    let ossl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("openssl {args:?}: {e} (apt-get install openssl)"));
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    fs::write(
        dir.join("ext.cnf"),
        "[srv]\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n\
         [cli]\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
    )
    .expect("write ext.cnf");
    for ca in ["ca", "other-ca"] {
        ossl(&["genrsa", "-out", &format!("{ca}.key"), "2048"]);
        ossl(&[
            "req",
            "-x509",
            "-new",
            "-nodes",
            "-sha256",
            "-key",
            &format!("{ca}.key"),
            "-days",
            "30",
            "-subj",
            &format!("/O=rustredis test/CN={ca}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            &format!("{ca}.crt"),
        ]);
    }
    let leaf = |name: &str, ca: &str, ext: Option<&str>, serial: &str| {
        ossl(&["genrsa", "-out", &format!("{name}.key"), "2048"]);
        ossl(&[
            "req",
            "-new",
            "-sha256",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/O=rustredis test/CN={name}"),
            "-out",
            &format!("{name}.csr"),
        ]);
        let (csr, cacrt, cakey, out) = (
            format!("{name}.csr"),
            format!("{ca}.crt"),
            format!("{ca}.key"),
            format!("{name}.crt"),
        );
        let mut args = vec![
            "x509",
            "-req",
            "-sha256",
            "-in",
            &csr,
            "-CA",
            &cacrt,
            "-CAkey",
            &cakey,
            "-set_serial",
            serial,
            "-days",
            "30",
            "-out",
            &out,
        ];
        if let Some(ext) = ext {
            args.extend(["-extfile", "ext.cnf", "-extensions", ext]);
        }
        ossl(&args);
    };
    leaf("server", "ca", Some("srv"), "11");
    leaf("client", "ca", Some("cli"), "12");
    leaf("generic", "ca", None, "14");
    leaf("other-client", "other-ca", Some("cli"), "13");
    TestCerts {
        ca: dir.join("ca.crt"),
        server_crt: dir.join("server.crt"),
        server_key: dir.join("server.key"),
        client_crt: dir.join("client.crt"),
        client_key: dir.join("client.key"),
        generic_crt: dir.join("generic.crt"),
        generic_key: dir.join("generic.key"),
        other_ca: dir.join("other-ca.crt"),
        other_client_crt: dir.join("other-client.crt"),
        other_client_key: dir.join("other-client.key"),
    }
}

impl TestCerts {
    /// The server arguments for a TLS listener on `tls_port` with these
    /// certificates (client certificates from the first CA).
    pub fn server_args(&self, tls_port: u16) -> Vec<String> {
        let p = |p: &PathBuf| p.to_string_lossy().into_owned();
        vec![
            "--tls-port".into(),
            tls_port.to_string(),
            "--tls-cert-file".into(),
            p(&self.server_crt),
            "--tls-key-file".into(),
            p(&self.server_key),
            "--tls-ca-cert-file".into(),
            p(&self.ca),
        ]
    }
}

/// User plus system CPU time of process `pid` so far, in µs, from
/// `/proc/PID/stat` (clock ticks of 10 ms). Panics if the process is gone.
pub fn cpu_micros(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("read /proc/{pid}/stat: {e}"));
    // The command name (field 2) may hold spaces: count from the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After ')': state is index 0, so utime (field 14) is index 11.
    (ticks(11) + ticks(12)) * 10_000.0
}
