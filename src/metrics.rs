//! The native Prometheus endpoint: with `metrics-port` set, an HTTP/1.1
//! listener inside the reactor answers `GET /metrics` in the Prometheus
//! text exposition format (version 0.0.4).
//!
//! # How it works
//!
//! **Listening.** `metrics-port` (0 = off, the default; a HIDDEN directive,
//! so `CONFIG GET *` stays exactly Redis's list while `CONFIG GET
//! metrics-port` and CONFIG SET work) opens one TCP
//! listener per address of the server's own `bind` list (so the endpoint is
//! reachable exactly where the Redis port is; optional `-` addresses are
//! skipped the same way), through `anet::open_tcp_listeners`. The listeners
//! and the HTTP connections are registered in the server's mio poller under
//! tokens at or above [`METRICS_TOKEN_BASE`], far above every client token,
//! and `server::process_file_event` hands those events to [`handle_event`].
//! CONFIG SET of `metrics-port` or `bind` reopens them ([`rebind`]); a failed
//! reopen keeps the old listeners, as Redis does for `port`. With
//! `protected-mode yes` and a `nopass` default user (no `requirepass`), peers
//! other than 127.0.0.1 and ::1 get `403 Forbidden`, as Redis refuses them on its own port. The
//! endpoint has no authentication of its own.
//!
//! HTTP connections are not Redis clients: they are not in the client
//! table, CLIENT LIST, `connected_clients`, `maxclients` or the network byte
//! counters. At most [`MAX_CONNS`] are open at once; further ones are closed
//! on accept.
//!
//! **Serving.** `httparse` parses each request. `GET` (and `HEAD`) of
//! `/metrics` answers `200` with `Content-Type: text/plain; version=0.0.4;
//! charset=utf-8`; other paths answer 404, other methods 405 (with
//! `Allow`), malformed requests 400, a request head over
//! [`MAX_REQUEST_BYTES`] or [`MAX_HEADERS`] headers 431, and a scrape while a
//! script is busy 503 (INFO is refused with BUSY then too). Connections are
//! kept alive (HTTP/1.1 default, `Connection: keep-alive` on 1.0) and
//! pipelined requests are answered in order. Requests with a body
//! (`Content-Length` > 0 or any `Transfer-Encoding`) are answered and the
//! connection closed, since no body is read.
//!
//! **Bounded work per event.** An event reads at most until the input
//! buffer holds [`MAX_REQUEST_BYTES`]` * 2`, answers at most
//! [`MAX_REQUESTS_PER_EVENT`] requests and stops taking new ones while more
//! than [`OUTPUT_HIGH_WATER`] bytes wait to be written; it writes until
//! `WouldBlock`. mio is edge-triggered, so a connection that stopped for its
//! budget re-registers itself, which makes the poller report it again on the
//! next turn (the trick `anet::accept_handler` uses). A slow or silent peer
//! never blocks the loop: a request head must complete within
//! [`REQUEST_TIMEOUT_MS`] of its first byte (a slowloris peer trickling bytes
//! is cut off) and an idle keep-alive connection is closed after
//! [`IDLE_TIMEOUT_MS`]; [`metrics_cron`] checks both once per second.
//!
//! **The body.** One source of truth with INFO: a scrape runs
//! `info::gen_info_string` for `everything` (as if by a client with empty
//! buffers) and maps its `key:value` lines to metrics with
//! redis_exporter's names: `redis_connected_clients`,
//! `redis_commands_processed_total`, `redis_memory_used_bytes`, per-command
//! `redis_commands_total{cmd="get"}` and
//! `redis_commands_duration_seconds_total`, per-db `redis_db_keys{db="db0"}`
//! (every database, 0 when empty), `redis_errors_total{err="ERR"}`, and so
//! on ([`INFO_METRICS`] is the table). Numeric INFO fields outside the table
//! become gauges named `redis_<field>`, so every numeric INFO field is
//! exported. `latency_percentiles_usec_<cmd>` lines (INFO latencystats)
//! become the summary `redis_latency_percentiles_usec{cmd,quantile}` whose
//! `_count` and `_sum` are the command's calls and usec from commandstats.
//!
//! **Encoding.** Gauges and counters are encoded by the `prometheus-client`
//! crate's Prometheus text encoder (`encoding::prometheus_text`), fed through
//! its `Collector` interface with a fresh snapshot per scrape (its
//! registry's long-lived metric objects don't fit values read from INFO at
//! scrape time). The crate has no summary type, so the one summary family is
//! written by [`encode_summary`] after the crate's output, with label values
//! escaped by [`escape_label_value`] as the format requires.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::IpAddr;

use mio::{Interest, Token};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::ae::FiredEvent;
use crate::server::Server;

/// Tokens at or above this belong to the metrics endpoint: listener `i` is
/// `METRICS_TOKEN_BASE + i`, HTTP connection slot `s` is
/// `METRICS_TOKEN_BASE + MAX_LISTENERS + s`. Client tokens
/// (`CLIENT_TOKEN_BASE + slot`) never get this high.
pub const METRICS_TOKEN_BASE: usize = usize::MAX / 2;
/// Most metrics listeners (one per `bind` address).
const MAX_LISTENERS: usize = 64;
/// Most HTTP connections open at once; more are closed on accept.
pub const MAX_CONNS: usize = 128;
/// Most connections accepted per listener event.
const MAX_ACCEPTS_PER_EVENT: usize = 32;
/// Largest request head (request line plus headers), in bytes; past it the
/// answer is 431 and the connection is closed.
pub const MAX_REQUEST_BYTES: usize = 8192;
/// Most headers in a request; past it the answer is 431.
pub const MAX_HEADERS: usize = 32;
/// Most requests answered per event on one connection.
pub const MAX_REQUESTS_PER_EVENT: usize = 4;
/// No new request is taken while this many response bytes wait to be written.
pub const OUTPUT_HIGH_WATER: usize = 256 * 1024;
/// A request head must be complete this long after its first byte.
pub const REQUEST_TIMEOUT_MS: i64 = 10_000;
/// An idle connection (no bytes in or out) is closed after this long.
pub const IDLE_TIMEOUT_MS: i64 = 60_000;
/// A closing connection waits this long for the peer's EOF ([`linger`]).
pub const LINGER_MS: i64 = 2_000;
/// The `Content-Type` of `/metrics` (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// One HTTP connection.
struct HttpConn {
    sock: mio::net::TcpStream,
    /// Received bytes not yet consumed by a complete request.
    inbuf: Vec<u8>,
    /// Response bytes; `outbuf[outpos..]` is still to be written.
    outbuf: Vec<u8>,
    outpos: usize,
    /// The peer closed its side (read returned 0).
    read_closed: bool,
    /// Close once `outbuf` is written (error answers, `Connection: close`).
    close_after_write: bool,
    /// When the first byte of the pending request head arrived (ms), if any.
    req_start_ms: Option<i64>,
    /// Last time bytes moved either way (ms).
    last_active_ms: i64,
    /// Set once the last answer is written and the write side shut down:
    /// input is discarded until EOF ([`linger`]).
    linger_start_ms: Option<i64>,
}

/// The metrics listeners and their HTTP connections (`Server.metrics`).
#[derive(Default)]
pub struct MetricsState {
    listeners: Vec<mio::net::TcpListener>,
    /// The `(metrics-port, bind)` the listeners were opened with.
    listening: (i32, Vec<String>),
    /// Connection slots (index = token offset); `None` is free.
    conns: Vec<Option<HttpConn>>,
    free_slots: Vec<usize>,
    open_conns: usize,
    /// Successful scrapes served (`redis_metrics_scrapes_total`).
    pub scrapes: u64,
}

impl MetricsState {
    /// Number of open HTTP connections.
    pub fn connections(&self) -> usize {
        self.open_conns
    }

    /// Raw descriptors of the listeners (a forked child closes them).
    pub fn listener_fds(&self) -> Vec<i32> {
        use std::os::fd::AsRawFd;
        self.listeners.iter().map(|l| l.as_raw_fd()).collect()
    }
}

// ---- Listeners ----

fn register_listeners(srv: &mut Server) -> Result<(), String> {
    for (i, l) in srv.metrics.listeners.iter_mut().enumerate() {
        srv.el
            .registry()
            .register(l, Token(METRICS_TOKEN_BASE + i), Interest::READABLE)
            .map_err(|e| format!("Can't register metrics listener: {}", e))?;
    }
    Ok(())
}

/// Opens the listeners for `metrics-port` on the `bind` addresses at
/// startup. Err carries the log line; the caller exits, as for `port`.
pub fn listen(srv: &mut Server) -> Result<(), String> {
    rebind(srv)?;
    if srv.config.metrics_port != 0 {
        tracing::info!(
            "Prometheus metrics endpoint listening on port {} (GET /metrics).",
            srv.config.metrics_port
        );
    }
    Ok(())
}

/// Reopens the listeners after CONFIG SET `metrics-port` or `bind` (as
/// Redis's `changeListenPort`): the new ones are opened first, and on
/// failure the old ones stay and Err carries the log line. Nothing happens
/// when the listeners already match the config. Open HTTP connections stay.
pub fn rebind(srv: &mut Server) -> Result<(), String> {
    let want = (srv.config.metrics_port, srv.config.bind.clone());
    if srv.metrics.listening == want && (want.0 == 0 || !srv.metrics.listeners.is_empty()) {
        return Ok(());
    }
    let new = crate::anet::open_tcp_listeners(want.0, &want.1, srv.config.tcp_backlog)?;
    if new.len() > MAX_LISTENERS {
        return Err(format!(
            "Too many bind addresses for the metrics endpoint (at most {})",
            MAX_LISTENERS
        ));
    }
    for mut l in srv.metrics.listeners.drain(..) {
        let _ = srv.el.registry().deregister(&mut l);
    }
    srv.metrics.listeners = new;
    srv.metrics.listening = want;
    register_listeners(srv)
}

fn accept(srv: &mut Server, idx: usize, now_ms: i64) {
    for n in 0..MAX_ACCEPTS_PER_EVENT {
        let Some(l) = srv.metrics.listeners.get(idx) else {
            return;
        };
        let (mut sock, peer) = match l.accept() {
            Ok(x) => x,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!("Accepting metrics connection: {}", e);
                return;
            }
        };
        let _ = sock.set_nodelay(true);
        if srv.metrics.open_conns >= MAX_CONNS {
            // Dropping the socket closes it.
            continue;
        }
        if srv.config.protected_mode
            && srv.acl.default_user.borrow().is_nopass()
            && !is_loopback(peer.ip())
        {
            let r = response(
                403,
                "Forbidden",
                "text/plain; charset=utf-8",
                b"Forbidden: protected mode is on and no password is set\n",
                false,
                true,
                false,
            );
            let _ = sock.write(&r);
            continue;
        }
        let slot = match srv.metrics.free_slots.pop() {
            Some(s) => s,
            None => {
                srv.metrics.conns.push(None);
                srv.metrics.conns.len() - 1
            }
        };
        let token = Token(METRICS_TOKEN_BASE + MAX_LISTENERS + slot);
        if let Err(e) =
            srv.el
                .registry()
                .register(&mut sock, token, Interest::READABLE | Interest::WRITABLE)
        {
            tracing::warn!("Registering metrics connection: {}", e);
            srv.metrics.free_slots.push(slot);
            continue;
        }
        srv.metrics.conns[slot] = Some(HttpConn {
            sock,
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            outpos: 0,
            read_closed: false,
            close_after_write: false,
            req_start_ms: None,
            last_active_ms: now_ms,
            linger_start_ms: None,
        });
        srv.metrics.open_conns += 1;
        if n + 1 == MAX_ACCEPTS_PER_EVENT
            && let Some(l) = srv.metrics.listeners.get_mut(idx)
        {
            // Edge-triggered: re-arm so the rest are seen next turn.
            let _ = srv.el.registry().reregister(
                l,
                Token(METRICS_TOKEN_BASE + idx),
                Interest::READABLE,
            );
        }
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v == std::net::Ipv4Addr::LOCALHOST,
        IpAddr::V6(v) => {
            v == std::net::Ipv6Addr::LOCALHOST
                || v.to_ipv4_mapped() == Some(std::net::Ipv4Addr::LOCALHOST)
        }
    }
}

fn close_conn(srv: &mut Server, slot: usize, mut conn: HttpConn) {
    let _ = srv.el.registry().deregister(&mut conn.sock);
    drop(conn);
    srv.metrics.open_conns = srv.metrics.open_conns.saturating_sub(1);
    srv.metrics.free_slots.push(slot);
}

// ---- Events ----

/// Serves a poller event whose token is at or above [`METRICS_TOKEN_BASE`]:
/// accepts on a listener, or reads, answers and writes on a connection.
///
/// # Latency
/// Bounded per call: [`MAX_ACCEPTS_PER_EVENT`] accepts, or one read pass
/// capped at `2 * MAX_REQUEST_BYTES`, [`MAX_REQUESTS_PER_EVENT`] answers
/// (each one INFO-sized scrape) and a write pass that stops at `WouldBlock`.
pub fn handle_event(srv: &mut Server, ev: FiredEvent) {
    let t = ev.token.0 - METRICS_TOKEN_BASE;
    let now_ms = crate::util::mstime();
    if t < MAX_LISTENERS {
        accept(srv, t, now_ms);
        return;
    }
    let slot = t - MAX_LISTENERS;
    let Some(mut conn) = srv.metrics.conns.get_mut(slot).and_then(Option::take) else {
        return;
    };
    match serve(srv, &mut conn, now_ms) {
        Step::Close => close_conn(srv, slot, conn),
        Step::Keep { rearm } => {
            if rearm {
                let token = Token(METRICS_TOKEN_BASE + MAX_LISTENERS + slot);
                if srv
                    .el
                    .registry()
                    .reregister(
                        &mut conn.sock,
                        token,
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .is_err()
                {
                    close_conn(srv, slot, conn);
                    return;
                }
            }
            srv.metrics.conns[slot] = Some(conn);
        }
    }
}

enum Step {
    Close,
    /// Keep the connection; `rearm` when it stopped for its budget.
    Keep {
        rearm: bool,
    },
}

/// Reads and discards what a peer still sends after the last answer and a
/// write shutdown, until its EOF (then closes), so that unread input does
/// not turn the close into a reset that destroys the answer in flight.
/// Bounded to 64 KiB per event; the cron ends it after [`LINGER_MS`].
fn linger(conn: &mut HttpConn) -> Step {
    let mut buf = [0u8; 4096];
    for _ in 0..16 {
        match conn.sock.read(&mut buf) {
            Ok(0) => return Step::Close,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Step::Keep { rearm: false },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Step::Close,
        }
    }
    Step::Keep { rearm: true }
}

fn serve(srv: &mut Server, conn: &mut HttpConn, now_ms: i64) -> Step {
    if conn.linger_start_ms.is_some() {
        return linger(conn);
    }
    let mut budget_hit = false;
    let mut write_blocked = false;
    // Read.
    let in_cap = MAX_REQUEST_BYTES * 2;
    let mut buf = [0u8; 4096];
    while !conn.read_closed && !conn.close_after_write {
        if conn.inbuf.len() >= in_cap || conn.outbuf.len() - conn.outpos > OUTPUT_HIGH_WATER {
            budget_hit = true;
            break;
        }
        let room = (in_cap - conn.inbuf.len()).min(buf.len());
        match conn.sock.read(&mut buf[..room]) {
            Ok(0) => conn.read_closed = true,
            Ok(n) => {
                if conn.inbuf.is_empty() {
                    conn.req_start_ms = Some(now_ms);
                }
                conn.inbuf.extend_from_slice(&buf[..n]);
                conn.last_active_ms = now_ms;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Step::Close,
        }
    }
    // Answer complete requests.
    let mut served = 0;
    while !conn.close_after_write && !conn.inbuf.is_empty() {
        if served == MAX_REQUESTS_PER_EVENT || conn.outbuf.len() - conn.outpos > OUTPUT_HIGH_WATER {
            budget_hit = true;
            break;
        }
        match parse_request(&conn.inbuf) {
            Parsed::Partial => {
                if conn.inbuf.len() >= MAX_REQUEST_BYTES {
                    let r = error_response(431, "Request Header Fields Too Large", true);
                    conn.outbuf.extend_from_slice(&r);
                    conn.close_after_write = true;
                }
                break;
            }
            Parsed::Bad(code, reason) => {
                let r = error_response(code, reason, true);
                conn.outbuf.extend_from_slice(&r);
                conn.close_after_write = true;
            }
            Parsed::Request(req) => {
                conn.inbuf.drain(..req.head_len);
                conn.req_start_ms = if conn.inbuf.is_empty() {
                    None
                } else {
                    Some(now_ms)
                };
                let close = !req.keep_alive || req.has_body;
                let r = answer(srv, &req, close);
                conn.outbuf.extend_from_slice(&r);
                if close {
                    conn.close_after_write = true;
                }
                served += 1;
            }
        }
    }
    // Write.
    while conn.outpos < conn.outbuf.len() {
        match conn.sock.write(&conn.outbuf[conn.outpos..]) {
            Ok(0) => return Step::Close,
            Ok(n) => {
                conn.outpos += n;
                conn.last_active_ms = now_ms;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                write_blocked = true;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Step::Close,
        }
    }
    let drained = conn.outpos == conn.outbuf.len();
    if drained {
        conn.outbuf.clear();
        conn.outpos = 0;
        if conn.close_after_write {
            if conn.read_closed {
                return Step::Close;
            }
            let _ = conn.sock.shutdown(std::net::Shutdown::Write);
            conn.linger_start_ms = Some(now_ms);
            return linger(conn);
        }
        if conn.read_closed && (conn.inbuf.is_empty() || !budget_hit) {
            // The peer is gone and everything it asked for is answered.
            return Step::Close;
        }
    } else if conn.outpos > OUTPUT_HIGH_WATER {
        conn.outbuf.drain(..conn.outpos);
        conn.outpos = 0;
    }
    // Waiting on the peer to read: the writable edge brings us back, and
    // re-arming now would only spin on a socket that is not writable.
    Step::Keep {
        rearm: budget_hit && !write_blocked,
    }
}

/// Closes HTTP connections whose request head is overdue
/// ([`REQUEST_TIMEOUT_MS`]) or that were idle for [`IDLE_TIMEOUT_MS`];
/// called from `server_cron`.
///
/// # Latency
/// One pass over at most [`MAX_CONNS`] slots, at most once a second.
pub fn metrics_cron(srv: &mut Server, now_ms: i64) {
    if srv.metrics.open_conns == 0 {
        return;
    }
    for slot in 0..srv.metrics.conns.len() {
        let expired = match &srv.metrics.conns[slot] {
            Some(c) => {
                c.req_start_ms
                    .is_some_and(|t| now_ms - t > REQUEST_TIMEOUT_MS)
                    || c.linger_start_ms.is_some_and(|t| now_ms - t > LINGER_MS)
                    || now_ms - c.last_active_ms > IDLE_TIMEOUT_MS
            }
            None => false,
        };
        if expired && let Some(c) = srv.metrics.conns[slot].take() {
            close_conn(srv, slot, c);
        }
    }
}

// ---- HTTP ----

/// A complete, well-formed request head.
#[derive(Debug, PartialEq)]
struct Request {
    head_len: usize,
    method: String,
    path: String,
    keep_alive: bool,
    has_body: bool,
}

#[derive(Debug, PartialEq)]
enum Parsed {
    Partial,
    Bad(u16, &'static str),
    Request(Request),
}

fn header_has_token(v: &[u8], token: &str) -> bool {
    v.split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses one request head from the front of `buf` with `httparse`.
fn parse_request(buf: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => {
            return Parsed::Bad(431, "Request Header Fields Too Large");
        }
        Err(_) => return Parsed::Bad(400, "Bad Request"),
    };
    if head_len > MAX_REQUEST_BYTES {
        return Parsed::Bad(431, "Request Header Fields Too Large");
    }
    let (Some(method), Some(path), Some(version)) = (req.method, req.path, req.version) else {
        return Parsed::Bad(400, "Bad Request");
    };
    let mut keep_alive = version == 1;
    let mut has_body = false;
    let mut host = false;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            if header_has_token(h.value, "close") {
                keep_alive = false;
            } else if header_has_token(h.value, "keep-alive") {
                keep_alive = true;
            }
        } else if h.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(h.value)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
            {
                Some(0) => {}
                Some(_) => has_body = true,
                None => return Parsed::Bad(400, "Bad Request"),
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            has_body = true;
        } else if h.name.eq_ignore_ascii_case("host") {
            host = true;
        }
    }
    // RFC 9112 3.2: a 1.1 request without Host is answered 400.
    if version == 1 && !host {
        return Parsed::Bad(400, "Bad Request");
    }
    Parsed::Request(Request {
        head_len,
        method: method.to_string(),
        path: path.to_string(),
        keep_alive,
        has_body,
    })
}

/// Builds a full response. `close` adds `Connection: close`; `head` omits
/// the body (HEAD) but keeps its `Content-Length`.
fn response(
    code: u16,
    reason: &str,
    ctype: &str,
    body: &[u8],
    head: bool,
    close: bool,
    allow: bool,
) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        code,
        reason,
        ctype,
        body.len()
    );
    if allow {
        r.push_str("Allow: GET, HEAD\r\n");
    }
    if code == 503 {
        r.push_str("Retry-After: 1\r\n");
    }
    r.push_str(if close {
        "Connection: close\r\n\r\n"
    } else {
        "Connection: keep-alive\r\n\r\n"
    });
    let mut out = r.into_bytes();
    if !head {
        out.extend_from_slice(body);
    }
    out
}

fn error_response(code: u16, reason: &str, close: bool) -> Vec<u8> {
    let body = format!("{} {}\n", code, reason);
    response(
        code,
        reason,
        "text/plain; charset=utf-8",
        body.as_bytes(),
        false,
        close,
        code == 405,
    )
}

fn answer(srv: &mut Server, req: &Request, close: bool) -> Vec<u8> {
    let path = req.path.split('?').next().unwrap_or("");
    if path != "/metrics" {
        return error_response(404, "Not Found", close);
    }
    let head = req.method == "HEAD";
    if req.method != "GET" && !head {
        return error_response(405, "Method Not Allowed", close);
    }
    if req.has_body {
        return error_response(400, "Bad Request", close);
    }
    if srv.script.is_running() {
        return error_response(503, "Service Unavailable", close);
    }
    srv.metrics.scrapes += 1;
    let body = render_metrics(srv);
    response(200, "OK", CONTENT_TYPE, body.as_bytes(), head, close, false)
}

// ---- Exposition ----

/// How an INFO value is turned into a number.
#[derive(Clone, Copy, Debug)]
enum Conv {
    /// As printed.
    Plain,
    /// Divided by this (usec → seconds is 1e6, ms → seconds is 1e3).
    Div(f64),
    /// `ok` / `up` → 1, anything else → 0.
    Status,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Gauge,
    Counter,
}

/// One INFO field exported under a redis_exporter-style name.
struct InfoMetric {
    field: &'static str,
    /// Full metric name (counters end in `_total`).
    name: &'static str,
    kind: Kind,
    conv: Conv,
    help: &'static str,
}

macro_rules! m {
    ($f:literal, $n:literal, G, $h:literal) => {
        InfoMetric { field: $f, name: $n, kind: Kind::Gauge, conv: Conv::Plain, help: $h }
    };
    ($f:literal, $n:literal, C, $h:literal) => {
        InfoMetric { field: $f, name: $n, kind: Kind::Counter, conv: Conv::Plain, help: $h }
    };
    ($f:literal, $n:literal, $k:ident, $c:expr, $h:literal) => {
        InfoMetric { field: $f, name: $n, kind: m!(@k $k), conv: $c, help: $h }
    };
    (@k G) => { Kind::Gauge };
    (@k C) => { Kind::Counter };
}

/// INFO fields with their metric names (redis_exporter's where it has one).
#[rustfmt::skip]
static INFO_METRICS: &[InfoMetric] = &[
    // server
    m!("uptime_in_seconds", "redis_uptime_in_seconds", G, "Seconds since the server started (INFO uptime_in_seconds)"),
    m!("process_id", "redis_process_id", G, "Process id of the server"),
    // clients
    m!("connected_clients", "redis_connected_clients", G, "Client connections, replicas excluded (INFO connected_clients)"),
    m!("blocked_clients", "redis_blocked_clients", G, "Clients blocked on BLPOP-like commands"),
    m!("tracking_clients", "redis_tracking_clients", G, "Clients with CLIENT TRACKING on"),
    m!("clients_in_timeout_table", "redis_clients_in_timeout_table", G, "Blocked clients with a timeout"),
    m!("maxclients", "redis_max_clients", G, "The maxclients setting"),
    m!("client_recent_max_input_buffer", "redis_client_recent_max_input_buffer_bytes", G, "Largest client input buffer recently"),
    m!("client_recent_max_output_buffer", "redis_client_recent_max_output_buffer_bytes", G, "Largest client output buffer recently"),
    // memory
    m!("used_memory", "redis_memory_used_bytes", G, "Bytes allocated by the server (INFO used_memory)"),
    m!("used_memory_rss", "redis_memory_used_rss_bytes", G, "Resident set size of the process"),
    m!("used_memory_peak", "redis_memory_used_peak_bytes", G, "Peak of used_memory"),
    m!("used_memory_overhead", "redis_memory_used_overhead_bytes", G, "Memory used for internal structures"),
    m!("used_memory_startup", "redis_memory_used_startup_bytes", G, "Memory used at startup"),
    m!("used_memory_dataset", "redis_memory_used_dataset_bytes", G, "Memory used by the dataset"),
    m!("used_memory_lua", "redis_memory_used_lua_bytes", G, "Memory of the Lua VM"),
    m!("used_memory_vm_eval", "redis_memory_used_vm_eval_bytes", G, "Memory of the EVAL Lua VM"),
    m!("used_memory_scripts_eval", "redis_memory_used_scripts_eval_bytes", G, "Memory of cached EVAL scripts"),
    m!("maxmemory", "redis_memory_max_bytes", G, "The maxmemory setting (0 = no limit)"),
    m!("total_system_memory", "redis_total_system_memory_bytes", G, "Memory of the host"),
    m!("mem_fragmentation_ratio", "redis_mem_fragmentation_ratio", G, "used_memory_rss / used_memory"),
    m!("mem_fragmentation_bytes", "redis_mem_fragmentation_bytes", G, "used_memory_rss - used_memory"),
    m!("mem_not_counted_for_evict", "redis_mem_not_counted_for_eviction_bytes", G, "Memory not counted for maxmemory"),
    m!("mem_clients_slaves", "redis_mem_clients_slaves", G, "Memory of replica clients"),
    m!("mem_clients_normal", "redis_mem_clients_normal", G, "Memory of normal clients"),
    m!("mem_aof_buffer", "redis_mem_aof_buffer_bytes", G, "Memory of the AOF buffer"),
    m!("allocator_allocated", "redis_allocator_allocated_bytes", G, "Bytes allocated by the allocator"),
    m!("allocator_active", "redis_allocator_active_bytes", G, "Bytes in the allocator's active pages"),
    m!("allocator_resident", "redis_allocator_resident_bytes", G, "Bytes resident in the allocator"),
    m!("allocator_frag_ratio", "redis_allocator_frag_ratio", G, "allocator_active / allocator_allocated"),
    m!("allocator_frag_bytes", "redis_allocator_frag_bytes", G, "allocator_active - allocator_allocated"),
    m!("allocator_rss_ratio", "redis_allocator_rss_ratio", G, "allocator_resident / allocator_active"),
    m!("allocator_rss_bytes", "redis_allocator_rss_bytes", G, "allocator_resident - allocator_active"),
    m!("rss_overhead_ratio", "redis_rss_overhead_ratio", G, "used_memory_rss / allocator_resident"),
    m!("rss_overhead_bytes", "redis_rss_overhead_bytes", G, "used_memory_rss - allocator_resident"),
    m!("lazyfree_pending_objects", "redis_lazyfree_pending_objects", G, "Objects waiting to be freed in the background"),
    m!("lazyfreed_objects", "redis_lazyfreed_objects_total", C, "Objects freed in the background"),
    // persistence
    m!("loading", "redis_loading_dump_file", G, "1 while a dump file is being loaded"),
    m!("async_loading", "redis_async_loading", G, "1 while loading asynchronously"),
    m!("rdb_changes_since_last_save", "redis_rdb_changes_since_last_save", G, "Changes since the last save"),
    m!("rdb_bgsave_in_progress", "redis_rdb_bgsave_in_progress", G, "1 while a BGSAVE runs"),
    m!("rdb_last_save_time", "redis_rdb_last_save_timestamp_seconds", G, "Unix time of the last successful save"),
    m!("rdb_last_bgsave_status", "redis_rdb_last_bgsave_status", G, Conv::Status, "1 if the last BGSAVE succeeded"),
    m!("rdb_last_bgsave_time_sec", "redis_rdb_last_bgsave_duration_sec", G, "Duration of the last BGSAVE (-1 if none)"),
    m!("rdb_current_bgsave_time_sec", "redis_rdb_current_bgsave_duration_sec", G, "Duration of the running BGSAVE (-1 if none)"),
    m!("rdb_saves", "redis_rdb_saves_total", C, "RDB saves since startup"),
    m!("rdb_last_cow_size", "redis_rdb_last_cow_size_bytes", G, "Copy-on-write bytes of the last RDB save"),
    m!("aof_enabled", "redis_aof_enabled", G, "1 if the AOF is on"),
    m!("aof_rewrite_in_progress", "redis_aof_rewrite_in_progress", G, "1 while an AOF rewrite runs"),
    m!("aof_rewrite_scheduled", "redis_aof_rewrite_scheduled", G, "1 if an AOF rewrite is scheduled"),
    m!("aof_last_rewrite_time_sec", "redis_aof_last_rewrite_duration_sec", G, "Duration of the last AOF rewrite (-1 if none)"),
    m!("aof_current_rewrite_time_sec", "redis_aof_current_rewrite_duration_sec", G, "Duration of the running AOF rewrite (-1 if none)"),
    m!("aof_last_bgrewrite_status", "redis_aof_last_bgrewrite_status", G, Conv::Status, "1 if the last AOF rewrite succeeded"),
    m!("aof_last_write_status", "redis_aof_last_write_status", G, Conv::Status, "1 if the last AOF write succeeded"),
    m!("aof_last_cow_size", "redis_aof_last_cow_size_bytes", G, "Copy-on-write bytes of the last AOF rewrite"),
    m!("aof_current_size", "redis_aof_current_size_bytes", G, "Current AOF size"),
    m!("aof_base_size", "redis_aof_base_size_bytes", G, "AOF size at the last rewrite"),
    // stats
    m!("total_connections_received", "redis_connections_received_total", C, "Connections accepted"),
    m!("total_commands_processed", "redis_commands_processed_total", C, "Commands processed (INFO total_commands_processed)"),
    m!("instantaneous_ops_per_sec", "redis_instantaneous_ops_per_sec", G, "Commands per second, recent average"),
    m!("total_net_input_bytes", "redis_net_input_bytes_total", C, "Bytes read from clients"),
    m!("total_net_output_bytes", "redis_net_output_bytes_total", C, "Bytes written to clients"),
    m!("total_net_repl_input_bytes", "redis_net_repl_input_bytes_total", C, "Bytes read for replication"),
    m!("total_net_repl_output_bytes", "redis_net_repl_output_bytes_total", C, "Bytes written for replication"),
    m!("instantaneous_input_kbps", "redis_instantaneous_input_kbps", G, "Input KB per second, recent average"),
    m!("instantaneous_output_kbps", "redis_instantaneous_output_kbps", G, "Output KB per second, recent average"),
    m!("rejected_connections", "redis_rejected_connections_total", C, "Connections rejected (maxclients, protected mode)"),
    m!("sync_full", "redis_replica_resyncs_full", G, "Full resyncs with replicas"),
    m!("sync_partial_ok", "redis_replica_partial_resync_accepted", G, "Accepted partial resyncs"),
    m!("sync_partial_err", "redis_replica_partial_resync_denied", G, "Denied partial resyncs"),
    m!("expired_keys", "redis_expired_keys_total", C, "Keys expired"),
    m!("expired_stale_perc", "redis_expired_stale_percentage", G, "Estimated percentage of expired keys not yet reclaimed"),
    m!("expired_time_cap_reached_count", "redis_expired_time_cap_reached_total", C, "Active expire cycles stopped by their time budget"),
    m!("expire_cycle_cpu_milliseconds", "redis_expire_cycle_cpu_time_ms_total", C, "CPU ms spent in active expiry"),
    m!("evicted_keys", "redis_evicted_keys_total", C, "Keys evicted because of maxmemory"),
    m!("evicted_clients", "redis_evicted_clients_total", C, "Clients evicted because of maxmemory-clients"),
    m!("total_eviction_exceeded_time", "redis_eviction_exceeded_time_ms_total", C, "ms spent above maxmemory"),
    m!("current_eviction_exceeded_time", "redis_current_eviction_exceeded_time_ms", G, "ms above maxmemory right now"),
    m!("keyspace_hits", "redis_keyspace_hits_total", C, "Successful key lookups"),
    m!("keyspace_misses", "redis_keyspace_misses_total", C, "Failed key lookups"),
    m!("pubsub_channels", "redis_pubsub_channels", G, "Channels with subscribers"),
    m!("pubsub_patterns", "redis_pubsub_patterns", G, "Patterns with subscribers"),
    m!("pubsubshard_channels", "redis_pubsubshard_channels", G, "Shard channels with subscribers"),
    m!("latest_fork_usec", "redis_latest_fork_seconds", G, Conv::Div(1e6), "Duration of the latest fork"),
    m!("total_forks", "redis_forks_total", C, "Forks since startup"),
    m!("unexpected_error_replies", "redis_unexpected_error_replies_total", C, "Errors from AOF loading or replication"),
    m!("total_error_replies", "redis_error_replies_total", C, "Error replies sent"),
    m!("total_reads_processed", "redis_reads_processed_total", C, "Read events processed"),
    m!("total_writes_processed", "redis_writes_processed_total", C, "Write events processed"),
    // replication
    m!("connected_slaves", "redis_connected_slaves", G, "Connected replicas"),
    m!("master_repl_offset", "redis_master_repl_offset", G, "Replication offset"),
    m!("second_repl_offset", "redis_second_repl_offset", G, "Offset up to which the second replication id is valid"),
    m!("repl_backlog_active", "redis_repl_backlog_is_active", G, "1 if the replication backlog exists"),
    m!("repl_backlog_size", "redis_repl_backlog_size_bytes", G, "Replication backlog size"),
    m!("repl_backlog_first_byte_offset", "redis_repl_backlog_first_byte_offset", G, "First offset in the backlog"),
    m!("repl_backlog_histlen", "redis_repl_backlog_history_bytes", G, "Bytes of data in the backlog"),
    m!("master_link_status", "redis_master_link_up", G, Conv::Status, "1 if the link to the master is up"),
    // cpu
    m!("used_cpu_sys", "redis_cpu_sys_seconds_total", C, "System CPU seconds of the process"),
    m!("used_cpu_user", "redis_cpu_user_seconds_total", C, "User CPU seconds of the process"),
    m!("used_cpu_sys_children", "redis_cpu_sys_children_seconds_total", C, "System CPU seconds of children"),
    m!("used_cpu_user_children", "redis_cpu_user_children_seconds_total", C, "User CPU seconds of children"),
    m!("used_cpu_sys_main_thread", "redis_cpu_sys_main_thread_seconds_total", C, "System CPU seconds of the main thread"),
    m!("used_cpu_user_main_thread", "redis_cpu_user_main_thread_seconds_total", C, "User CPU seconds of the main thread"),
    // cluster
    m!("cluster_enabled", "redis_cluster_enabled", G, "1 in cluster mode"),
];

/// INFO fields that become labels of `redis_instance_info`.
const INSTANCE_LABELS: &[&str] = &[
    "redis_version",
    "redis_mode",
    "os",
    "role",
    "run_id",
    "tcp_port",
    "process_id",
    "maxmemory_policy",
    "rustredis_version",
];

/// A number as INFO printed it: integers stay exact.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn parse(s: &str) -> Option<Num> {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Num::Int(i));
        }
        let f = s.parse::<f64>().ok()?;
        // "inf"/"nan" spelled out are not numbers INFO prints.
        if f.is_finite() {
            Some(Num::Float(f))
        } else {
            None
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

type Labels = Vec<(&'static str, String)>;

/// One metric family of a scrape.
#[derive(Debug)]
struct Family {
    /// Full name (counters end in `_total`).
    name: String,
    help: String,
    kind: Kind,
    samples: Vec<(Labels, Num)>,
}

/// The per-scrape snapshot the crate's encoder reads through [`Collector`].
#[derive(Debug, Default)]
struct Snapshot {
    families: Vec<Family>,
}

fn encode_value(
    kind: Kind,
    v: Num,
    enc: prometheus_client::encoding::MetricEncoder,
) -> std::fmt::Result {
    match (kind, v) {
        (Kind::Gauge, Num::Int(i)) => ConstGauge::new(i).encode(enc),
        (Kind::Gauge, Num::Float(f)) => ConstGauge::new(f).encode(enc),
        (Kind::Counter, Num::Int(i)) if i >= 0 => ConstCounter::new(i as u64).encode(enc),
        (Kind::Counter, v) => ConstCounter::new(v.as_f64().max(0.0)).encode(enc),
    }
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for f in &self.families {
            let (name, ty) = match f.kind {
                // The crate appends `_total` to counters itself.
                Kind::Counter => (
                    f.name.strip_suffix("_total").unwrap_or(&f.name),
                    MetricType::Counter,
                ),
                Kind::Gauge => (f.name.as_str(), MetricType::Gauge),
            };
            let mut me = encoder.encode_descriptor(name, &f.help, None, ty)?;
            for (labels, v) in &f.samples {
                if labels.is_empty() {
                    encode_value(f.kind, *v, me)?;
                    break;
                }
                encode_value(f.kind, *v, me.encode_family(labels)?)?;
            }
        }
        Ok(())
    }
}

/// Escapes a label value for the text format: `\` → `\\`, `"` → `\"`,
/// newline → `\n`.
pub fn escape_label_value(v: &str) -> String {
    let mut o = String::with_capacity(v.len());
    for ch in v.chars() {
        match ch {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o
}

/// One command's latency summary: quantiles (0..1) with values in usec,
/// plus the command's calls (`_count`) and total usec (`_sum`).
#[derive(Debug, Default, PartialEq)]
struct LatencySummary {
    cmd: String,
    quantiles: Vec<(f64, f64)>,
    count: u64,
    sum: f64,
}

/// Writes `redis_latency_percentiles_usec` as a Prometheus summary family.
fn encode_summary(rows: &[LatencySummary], o: &mut String) {
    if rows.is_empty() {
        return;
    }
    o.push_str("# HELP redis_latency_percentiles_usec Latency percentiles per command in microseconds (INFO latencystats)\n");
    o.push_str("# TYPE redis_latency_percentiles_usec summary\n");
    for r in rows {
        let cmd = escape_label_value(&r.cmd);
        for (q, v) in &r.quantiles {
            let _ = writeln!(
                o,
                "redis_latency_percentiles_usec{{cmd=\"{}\",quantile=\"{}\"}} {}",
                cmd, q, v
            );
        }
        let _ = writeln!(
            o,
            "redis_latency_percentiles_usec_sum{{cmd=\"{}\"}} {}",
            cmd, r.sum
        );
        let _ = writeln!(
            o,
            "redis_latency_percentiles_usec_count{{cmd=\"{}\"}} {}",
            cmd, r.count
        );
    }
}

/// Parses `a=1,b=2` (the value side of cmdstat, db and latency lines).
fn parse_kv_list(v: &str) -> HashMap<&str, &str> {
    v.split(',').filter_map(|kv| kv.split_once('=')).collect()
}

/// Turns the text of `INFO everything` into the exposition body. Pure, so
/// it is tested on fixed INFO text; `databases` sizes the per-db families.
pub fn info_to_exposition(info: &str, databases: usize) -> String {
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for line in info.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.push((k, v));
        }
    }
    let by_key: HashMap<&str, &str> = fields.iter().copied().collect();
    let mut snap = Snapshot::default();
    let mut used: HashSet<&str> = HashSet::new();
    let mut names: HashSet<String> = HashSet::new();

    // Instance info.
    let labels: Labels = INSTANCE_LABELS
        .iter()
        .filter_map(|k| by_key.get(k).map(|v| (*k, v.to_string())))
        .collect();
    snap.families.push(Family {
        name: "redis_instance_info".into(),
        help: "Information about the Redis instance".into(),
        kind: Kind::Gauge,
        samples: vec![(labels, Num::Int(1))],
    });
    names.insert("redis_instance_info".into());
    if let Some(Some(Num::Int(up))) = by_key.get("uptime_in_seconds").map(|v| Num::parse(v)) {
        let now = crate::util::mstime() / 1000;
        snap.families.push(Family {
            name: "redis_start_time_seconds".into(),
            help: "Unix time the server started".into(),
            kind: Kind::Gauge,
            samples: vec![(Vec::new(), Num::Int(now - up))],
        });
        names.insert("redis_start_time_seconds".into());
    }

    // The table.
    for m in INFO_METRICS {
        let Some(raw) = by_key.get(m.field) else {
            continue;
        };
        used.insert(m.field);
        let v = match m.conv {
            Conv::Plain => Num::parse(raw),
            Conv::Div(d) => Num::parse(raw).map(|n| Num::Float(n.as_f64() / d)),
            Conv::Status => Some(Num::Int((*raw == "ok" || *raw == "up") as i64)),
        };
        let Some(v) = v else { continue };
        names.insert(m.name.to_string());
        snap.families.push(Family {
            name: m.name.into(),
            help: m.help.into(),
            kind: m.kind,
            samples: vec![(Vec::new(), v)],
        });
    }

    // Commands, errors, keyspace, latency.
    let mut calls: Vec<(Labels, Num)> = Vec::new();
    let mut usec: Vec<(Labels, Num)> = Vec::new();
    let mut rejected: Vec<(Labels, Num)> = Vec::new();
    let mut failed: Vec<(Labels, Num)> = Vec::new();
    let mut cmd_totals: HashMap<&str, (u64, f64)> = HashMap::new();
    let mut errors: Vec<(Labels, Num)> = Vec::new();
    let mut db_keys: Vec<Option<(Num, Num, Num)>> = vec![None; databases];
    let mut extra_dbs: Vec<(String, (Num, Num, Num))> = Vec::new();
    let mut summaries: Vec<LatencySummary> = Vec::new();
    for &(k, v) in &fields {
        if let Some(cmd) = k.strip_prefix("cmdstat_") {
            used.insert(k);
            let kv = parse_kv_list(v);
            let get = |n: &str| kv.get(n).and_then(|s| Num::parse(s));
            let l = || vec![("cmd", cmd.to_string())];
            if let Some(c) = get("calls") {
                calls.push((l(), c));
            }
            if let Some(u) = get("usec") {
                usec.push((l(), Num::Float(u.as_f64() / 1e6)));
            }
            if let Some(r) = get("rejected_calls") {
                rejected.push((l(), r));
            }
            if let Some(f) = get("failed_calls") {
                failed.push((l(), f));
            }
            let c = get("calls")
                .map(|n| n.as_f64().max(0.0) as u64)
                .unwrap_or(0);
            let u = get("usec").map(|n| n.as_f64()).unwrap_or(0.0);
            cmd_totals.insert(cmd, (c, u));
        } else if let Some(err) = k.strip_prefix("errorstat_") {
            used.insert(k);
            if let Some(n) = parse_kv_list(v).get("count").and_then(|s| Num::parse(s)) {
                errors.push((vec![("err", err.to_string())], n));
            }
        } else if let Some(n) = k.strip_prefix("db").and_then(|n| n.parse::<usize>().ok()) {
            used.insert(k);
            let kv = parse_kv_list(v);
            let get = |n: &str| kv.get(n).and_then(|s| Num::parse(s)).unwrap_or(Num::Int(0));
            let ttl = Num::Float(get("avg_ttl").as_f64() / 1e3);
            let row = (get("keys"), get("expires"), ttl);
            match db_keys.get_mut(n) {
                Some(slot) => *slot = Some(row),
                None => extra_dbs.push((k.to_string(), row)),
            }
        } else if let Some(cmd) = k.strip_prefix("latency_percentiles_usec_") {
            used.insert(k);
            let mut quantiles = Vec::new();
            for (p, val) in parse_kv_list(v) {
                let (Some(p), Ok(val)) = (
                    p.strip_prefix('p').and_then(|p| p.parse::<f64>().ok()),
                    val.parse::<f64>(),
                ) else {
                    continue;
                };
                if !(0.0..=100.0).contains(&p) || !val.is_finite() {
                    continue;
                }
                // 99.9 -> 0.999 without binary noise (0.9990000000000001).
                quantiles.push(((p * 1e4).round() / 1e6, val));
            }
            quantiles.sort_by(|a, b| a.0.total_cmp(&b.0));
            summaries.push(LatencySummary {
                cmd: cmd.to_string(),
                quantiles,
                count: 0,
                sum: 0.0,
            });
        }
    }
    for s in summaries.iter_mut() {
        if let Some((c, u)) = cmd_totals.get(s.cmd.as_str()) {
            s.count = *c;
            s.sum = *u;
        }
    }
    let mut push = |name: &str, help: &str, kind: Kind, samples: Vec<(Labels, Num)>| {
        names.insert(name.to_string());
        snap.families.push(Family {
            name: name.into(),
            help: help.into(),
            kind,
            samples,
        });
    };
    if !calls.is_empty() {
        push(
            "redis_commands_total",
            "Calls per command (INFO commandstats)",
            Kind::Counter,
            calls,
        );
        push(
            "redis_commands_duration_seconds_total",
            "Seconds spent per command (INFO commandstats usec)",
            Kind::Counter,
            usec,
        );
        push(
            "redis_commands_rejected_calls_total",
            "Rejected calls per command (before running)",
            Kind::Counter,
            rejected,
        );
        push(
            "redis_commands_failed_calls_total",
            "Failed calls per command (error while running)",
            Kind::Counter,
            failed,
        );
    }
    if !errors.is_empty() {
        push(
            "redis_errors_total",
            "Error replies per error code (INFO errorstats)",
            Kind::Counter,
            errors,
        );
    }
    let mut keys = Vec::new();
    let mut expiring = Vec::new();
    let mut ttl = Vec::new();
    let zero = (Num::Int(0), Num::Int(0), Num::Float(0.0));
    let rows = db_keys
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("db{}", i), r.unwrap_or(zero)))
        .chain(extra_dbs);
    for (db, (k, e, t)) in rows {
        keys.push((vec![("db", db.clone())], k));
        expiring.push((vec![("db", db.clone())], e));
        ttl.push((vec![("db", db)], t));
    }
    if !keys.is_empty() {
        push(
            "redis_db_keys",
            "Keys per database (INFO keyspace)",
            Kind::Gauge,
            keys,
        );
        push(
            "redis_db_keys_expiring",
            "Keys with an expiry per database",
            Kind::Gauge,
            expiring,
        );
        push(
            "redis_db_avg_ttl_seconds",
            "Average TTL of keys with an expiry per database",
            Kind::Gauge,
            ttl,
        );
    }

    // Every other numeric field, as a gauge named after it.
    for &(k, v) in &fields {
        if used.contains(k) || k.ends_with("_human") || !valid_metric_suffix(k) {
            continue;
        }
        let Some(n) = Num::parse(v) else { continue };
        let name = format!("redis_{}", k);
        if names.contains(&name) {
            continue;
        }
        names.insert(name.clone());
        snap.families.push(Family {
            help: format!("INFO field {}", k),
            name,
            kind: Kind::Gauge,
            samples: vec![(Vec::new(), n)],
        });
    }

    let mut out = String::with_capacity(16 * 1024);
    let mut reg = Registry::default();
    reg.register_collector(Box::new(snap));
    if prometheus_client::encoding::prometheus_text::encode(&mut out, &reg).is_err() {
        out.clear();
    }
    encode_summary(&summaries, &mut out);
    out
}

/// True if `redis_<k>` is a valid metric name (`[a-zA-Z0-9_:]` after the prefix).
fn valid_metric_suffix(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// Builds the `/metrics` body from `INFO everything`, plus the endpoint's
/// own `redis_metrics_scrapes_total` and `redis_metrics_connections`.
pub fn render_metrics(srv: &mut Server) -> String {
    let fake = crate::networking::Client::new(0, 0, None, String::new(), String::new(), srv.mstime);
    let info = crate::info::gen_info_string(srv, &fake, &["everything".to_string()]);
    let mut out = info_to_exposition(&info, srv.config.databases.max(0) as usize);
    let _ = write!(
        out,
        "# HELP redis_metrics_scrapes_total Scrapes served by this endpoint\n# TYPE redis_metrics_scrapes_total counter\nredis_metrics_scrapes_total {}\n# HELP redis_metrics_connections Open connections to this endpoint\n# TYPE redis_metrics_connections gauge\nredis_metrics_connections {}\n",
        srv.metrics.scrapes, srv.metrics.open_conns
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> Parsed {
        parse_request(s.as_bytes())
    }

    #[test]
    fn parses_requests() {
        let Parsed::Request(r) = req("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET") else {
            panic!()
        };
        assert_eq!(r.head_len, 34);
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/metrics"));
        assert!(r.keep_alive && !r.has_body);
        let Parsed::Request(r) = req("GET /metrics HTTP/1.0\r\n\r\n") else {
            panic!()
        };
        assert!(!r.keep_alive);
        let Parsed::Request(r) = req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n") else {
            panic!()
        };
        assert!(r.keep_alive);
        let Parsed::Request(r) = req("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n")
        else {
            panic!()
        };
        assert!(!r.keep_alive);
        let Parsed::Request(r) = req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
        else {
            panic!()
        };
        assert!(r.has_body);
        assert_eq!(req("GET /metrics HTTP/1.1\r\nHost: x\r\n"), Parsed::Partial);
        assert_eq!(req("GET /metr"), Parsed::Partial);
        assert_eq!(
            req("GET /metrics HTTP/1.1\r\n\r\n"),
            Parsed::Bad(400, "Bad Request")
        );
        assert_eq!(
            req("\x00\x01 garbage\r\n\r\n"),
            Parsed::Bad(400, "Bad Request")
        );
        assert_eq!(
            req("GET / HTTP/2.0\r\n\r\n"),
            Parsed::Bad(400, "Bad Request")
        );
        assert_eq!(
            req("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n"),
            Parsed::Bad(400, "Bad Request")
        );
        let many: String = (0..40).map(|i| format!("X-{}: y\r\n", i)).collect();
        assert_eq!(
            req(&format!("GET / HTTP/1.1\r\nHost: x\r\n{}\r\n", many)),
            Parsed::Bad(431, "Request Header Fields Too Large")
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every prefix of valid requests, and pseudo-random bytes biased to
        // HTTP's separators, through the parser and the INFO mapper.
        let valid = b"GET /metrics?a=b HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
        for i in 0..=valid.len() {
            let _ = parse_request(&valid[..i]);
        }
        let alphabet = b"GETPOST /:\r\n\t\x00\xff=,HTTP/1.0#\\\"";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut b = Vec::new();
            for _ in 0..(x % 200) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let _ = parse_request(&b);
            let _ = info_to_exposition(&String::from_utf8_lossy(&b), 2);
        }
        let _ = info_to_exposition(
            "cmdstat_x:calls=a,usec=\ndb99999999999999999999:keys=1\ndb1:\nlatency_percentiles_usec_y:p=1,pX=2,p50=nan,p101=3\nerrorstat_E:count=-1\n",
            4,
        );
    }

    /// Serves the poller's events for up to `ms` milliseconds.
    fn pump(srv: &mut Server, ms: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(ms);
        while std::time::Instant::now() < deadline {
            let mut fired = Vec::new();
            let _ = srv
                .el
                .poll_events(Some(std::time::Duration::from_millis(5)), &mut fired);
            for ev in fired {
                if ev.token.0 >= METRICS_TOKEN_BASE {
                    handle_event(srv, ev);
                }
            }
        }
    }

    #[test]
    fn cron_closes_slow_and_idle_connections() {
        let mut cfg = crate::config::Config::default();
        cfg.bind = vec!["127.0.0.1".into()];
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
        cfg.metrics_port = i32::from(l.local_addr().expect("addr").port());
        drop(l);
        let mut srv = Server::new(cfg).expect("server");
        listen(&mut srv).expect("listen");
        let port = srv.config.metrics_port as u16;
        let mut slow = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        slow.write_all(b"GET /metrics HTTP/1.1\r\nHo")
            .expect("write");
        idle.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("write");
        pump(&mut srv, 200);
        assert_eq!(srv.metrics.connections(), 2);
        let mut buf = vec![0u8; 1 << 20];
        idle.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        let n = idle.read(&mut buf).expect("answer");
        assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));
        let now = crate::util::mstime();
        // Neither is overdue yet.
        metrics_cron(&mut srv, now + 1000);
        assert_eq!(srv.metrics.connections(), 2);
        // The partial request head is overdue; the answered one is idle, not yet too long.
        metrics_cron(&mut srv, now + REQUEST_TIMEOUT_MS + 1000);
        assert_eq!(srv.metrics.connections(), 1);
        slow.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .expect("timeout");
        assert_eq!(slow.read(&mut buf).expect("eof"), 0);
        metrics_cron(&mut srv, now + IDLE_TIMEOUT_MS + 1000);
        assert_eq!(srv.metrics.connections(), 0);
        loop {
            match idle.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) => panic!("{e}"),
            }
        }
        // CONFIG SET metrics-port 0 closes the listener.
        srv.config.metrics_port = 0;
        rebind(&mut srv).expect("rebind");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn loopback_peers() {
        assert!(is_loopback("127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!is_loopback("127.0.0.2".parse().unwrap()));
        assert!(!is_loopback("10.0.0.1".parse().unwrap()));
        assert!(!is_loopback("::2".parse().unwrap()));
    }

    #[test]
    fn escapes_label_values() {
        assert_eq!(escape_label_value("a\\b\"c\nd|e"), "a\\\\b\\\"c\\nd|e");
        assert_eq!(escape_label_value("plain"), "plain");
    }

    #[test]
    fn summary_format() {
        let mut o = String::new();
        encode_summary(
            &[LatencySummary {
                cmd: "client|li\"st".into(),
                quantiles: vec![(0.5, 1.003), (0.999, 12.0)],
                count: 7,
                sum: 42.0,
            }],
            &mut o,
        );
        assert!(o.contains("# TYPE redis_latency_percentiles_usec summary\n"));
        assert!(o.contains(
            "redis_latency_percentiles_usec{cmd=\"client|li\\\"st\",quantile=\"0.5\"} 1.003\n"
        ));
        assert!(o.contains(
            "redis_latency_percentiles_usec{cmd=\"client|li\\\"st\",quantile=\"0.999\"} 12\n"
        ));
        assert!(o.contains("redis_latency_percentiles_usec_sum{cmd=\"client|li\\\"st\"} 42\n"));
        assert!(o.contains("redis_latency_percentiles_usec_count{cmd=\"client|li\\\"st\"} 7\n"));
    }

    const INFO: &str = "# Server\r\nredis_version:7.0.15\r\nrole:master\r\nuptime_in_seconds:12\r\nhz:10\r\n\r\n# Clients\r\nconnected_clients:3\r\n\r\n# Memory\r\nused_memory:1000\r\nused_memory_human:1000B\r\nmem_fragmentation_ratio:1.25\r\nused_memory_peak_perc:12.00%\r\n\r\n# Persistence\r\nrdb_last_bgsave_status:ok\r\naof_last_write_status:err\r\n\r\n# Stats\r\ntotal_commands_processed:42\r\nkeyspace_hits:5\r\nlatest_fork_usec:1500\r\n\r\n# CPU\r\nused_cpu_sys:0.5\r\n\r\n# Commandstats\r\ncmdstat_get:calls=10,usec=2000000,usec_per_call=200000.00,rejected_calls=1,failed_calls=2\r\ncmdstat_client|list:calls=1,usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n\r\n# Errorstats\r\nerrorstat_WRONGTYPE:count=4\r\n\r\n# Latencystats\r\nlatency_percentiles_usec_get:p50=1.003,p99=2.007,p99.9=3.100\r\n\r\n# Keyspace\r\ndb1:keys=7,expires=2,avg_ttl=1500\r\n";

    #[test]
    fn maps_info_fields() {
        let o = info_to_exposition(INFO, 3);
        for line in [
            "# TYPE redis_connected_clients gauge\n",
            "redis_connected_clients 3\n",
            "# TYPE redis_commands_processed_total counter\n",
            "redis_commands_processed_total 42\n",
            "redis_keyspace_hits_total 5\n",
            "redis_memory_used_bytes 1000\n",
            "redis_mem_fragmentation_ratio 1.25\n",
            "redis_rdb_last_bgsave_status 1\n",
            "redis_aof_last_write_status 0\n",
            "redis_latest_fork_seconds 0.0015\n",
            "redis_cpu_sys_seconds_total 0.5\n",
            "redis_commands_total{cmd=\"get\"} 10\n",
            "redis_commands_total{cmd=\"client|list\"} 1\n",
            "redis_commands_duration_seconds_total{cmd=\"get\"} 2.0\n",
            "redis_commands_rejected_calls_total{cmd=\"get\"} 1\n",
            "redis_commands_failed_calls_total{cmd=\"get\"} 2\n",
            "redis_errors_total{err=\"WRONGTYPE\"} 4\n",
            "redis_db_keys{db=\"db0\"} 0\n",
            "redis_db_keys{db=\"db1\"} 7\n",
            "redis_db_keys{db=\"db2\"} 0\n",
            "redis_db_keys_expiring{db=\"db1\"} 2\n",
            "redis_db_avg_ttl_seconds{db=\"db1\"} 1.5\n",
            "redis_hz 10\n",
            "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"0.999\"} 3.1\n",
            "redis_latency_percentiles_usec_count{cmd=\"get\"} 10\n",
            "redis_latency_percentiles_usec_sum{cmd=\"get\"} 2000000\n",
        ] {
            assert!(o.contains(line), "missing {:?} in\n{}", line, o);
        }
        assert!(
            o.contains("redis_instance_info{redis_version=\"7.0.15\",role=\"master\"} 1\n"),
            "{}",
            o
        );
        assert!(!o.contains("human"));
        assert!(!o.contains("peak_perc"));
        // One TYPE line per family.
        let mut seen = HashSet::new();
        for l in o.lines().filter(|l| l.starts_with("# TYPE ")) {
            assert!(seen.insert(l.to_string()), "duplicate {}", l);
        }
    }
}
