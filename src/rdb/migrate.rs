//! MIGRATE (Redis `cluster.c`): moves keys to another server by sending it
//! RESTORE commands over a plain client connection.
//!
//! # How it works
//! 1. The keys that exist here are looked up (none: `+NOKEY`).
//! 2. A connection to `host:port` is taken from the cache or opened (a
//!    blocking connect bounded by the timeout).
//! 3. One buffer holds `AUTH` (with `AUTH`/`AUTH2`), `SELECT db` (unless
//!    the cached connection already selected it) and one `RESTORE key ttl
//!    payload [REPLACE]` per key; the TTL is what is left of the key's
//!    expire (at least 1 ms; keys that expired meanwhile are skipped). It is
//!    written in 64 KB chunks.
//! 4. The replies are read line by line: an error reply from the target
//!    becomes "ERR Target instance replied with error: ..." (the first one
//!    only); every key the target acknowledged is deleted here (unless
//!    `COPY`), with a "del" event.
//!
//! Like Redis, this blocks the event loop for the whole exchange: each
//! write and each read waits at most `timeout` ms (1000 when 0 or
//! negative). A connection that fails before anything was acknowledged is
//! reopened and the whole exchange retried once, unless it timed out (a
//! cached connection the target closed since is the common case). An
//! address that does not resolve replies "IOERR error or timeout connecting
//! to the client"; a refused or timed-out connection, like a failed send,
//! "IOERR error or timeout writing to target instance" (Redis's connect
//! does not wait for the outcome, so its first write is what fails); a
//! failed read "IOERR error or timeout reading to target instance".
//!
//! # The connection cache
//! At most 64 connections, keyed by "host:port", each remembering the
//! database it last selected. One unused for more than 10 seconds is
//! closed by the cron ([`migrate_close_timedout_sockets`], once a second);
//! INFO's `migrate_cached_sockets` counts them. When the cache is full a
//! random entry makes room.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;

use super::dump::create_dump_payload;
use crate::commands::Handler;
use crate::db;
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, notify_keyspace_event};
use crate::server::Server;
use crate::shared;

/// MIGRATE, for the command table.
pub static HANDLERS: &[(&str, Handler)] = &[("migrate", migrate_command)];

/// Most connections kept (Redis `MIGRATE_SOCKET_CACHE_ITEMS`).
pub const MIGRATE_SOCKET_CACHE_ITEMS: usize = 64;
/// Seconds an unused cached connection lives (Redis `MIGRATE_SOCKET_CACHE_TTL`).
pub const MIGRATE_SOCKET_CACHE_TTL: i64 = 10;
/// Bytes written per write call.
const MIGRATE_WRITE_CHUNK: usize = 64 * 1024;
/// Longest reply line read (Redis reads into 1024-byte buffers).
const MIGRATE_LINE_MAX: usize = 1023;

/// A cached connection to a MIGRATE target (Redis `migrateCachedSocket`).
#[derive(Debug)]
pub struct MigrateCachedSocket {
    conn: BufReader<TcpStream>,
    /// The database the connection has SELECTed, -1 when unknown.
    last_dbid: i64,
    /// Unix seconds of the last use.
    last_use_time: i64,
}

/// The connection cache: "host:port" → connection.
pub type MigrateSockets = HashMap<Vec<u8>, MigrateCachedSocket>;

fn cache_name(host: &[u8], port: &[u8]) -> Vec<u8> {
    [host, b":", port].concat()
}

/// The addresses of `host` and the port argument, or `None` when they
/// cannot be resolved (Redis formats `atoi(port)` into a 6-byte buffer for
/// `getaddrinfo`: at most 5 characters, a negative port is not a service,
/// and a numeric service keeps its low 16 bits).
fn resolve(host: &[u8], port: &[u8]) -> Option<Vec<SocketAddr>> {
    let host = std::str::from_utf8(host).ok()?;
    let text = crate::util::atoll(port).to_string();
    let text = &text[..text.len().min(5)];
    let port = text.parse::<u32>().ok()? as u16;
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().ok()?.collect();
    (!addrs.is_empty()).then_some(addrs)
}

/// Connects to the first of `addrs` that accepts within `timeout`.
fn blocking_connect(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, IoFailure> {
    let mut last = IoFailure::Other;
    for a in addrs {
        match TcpStream::connect_timeout(a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = classify(&e),
        }
    }
    Err(last)
}

/// How getting a connection went.
enum GetSocket {
    /// The cache holds a connection.
    Ready,
    /// The name did not resolve: the IOERR was replied.
    Replied,
    /// The connection attempt failed. Redis's connect does not wait for
    /// the outcome, so this shows up as a failed write there: the caller
    /// treats it as one.
    Failed(IoFailure),
}

/// The cached connection to `host:port`, or a new one (Redis
/// `migrateGetSocket`). Replies "IOERR error or timeout connecting to the
/// client" when the address does not resolve.
fn migrate_get_socket(
    srv: &mut Server,
    c: &mut Client,
    host: &[u8],
    port: &[u8],
    timeout: Duration,
) -> GetSocket {
    let name = cache_name(host, port);
    let now = crate::util::mstime() / 1000;
    if let Some(cs) = srv.dump.migrate_cached_sockets.get_mut(&name) {
        cs.last_use_time = now;
        return GetSocket::Ready;
    }
    if srv.dump.migrate_cached_sockets.len() >= MIGRATE_SOCKET_CACHE_ITEMS {
        let victim = srv
            .dump
            .migrate_cached_sockets
            .keys()
            .nth(crate::t_zset::random_below(
                srv.dump.migrate_cached_sockets.len(),
            ))
            .cloned();
        if let Some(v) = victim {
            srv.dump.migrate_cached_sockets.remove(&v);
        }
    }
    let Some(addrs) = resolve(host, port) else {
        c.add_reply_error("IOERR error or timeout connecting to the client");
        return GetSocket::Replied;
    };
    let stream = match blocking_connect(&addrs, timeout) {
        Ok(s) => s,
        Err(failure) => return GetSocket::Failed(failure),
    };
    let _ = stream.set_nodelay(true);
    srv.dump.migrate_cached_sockets.insert(
        name,
        MigrateCachedSocket {
            conn: BufReader::new(stream),
            last_dbid: -1,
            last_use_time: now,
        },
    );
    GetSocket::Ready
}

/// Closes the cached connection to `host:port`, if any (Redis `migrateCloseSocket`).
fn migrate_close_socket(srv: &mut Server, host: &[u8], port: &[u8]) {
    srv.dump
        .migrate_cached_sockets
        .remove(&cache_name(host, port));
}

/// Closes cached connections unused for more than 10 seconds (Redis
/// `migrateCloseTimedoutSockets`); the cron calls it once a second.
pub fn migrate_close_timedout_sockets(srv: &mut Server) {
    let now = crate::util::mstime() / 1000;
    srv.dump
        .migrate_cached_sockets
        .retain(|_, cs| now - cs.last_use_time <= MIGRATE_SOCKET_CACHE_TTL);
}

/// Appends a RESP bulk string.
fn write_bulk(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(s.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

/// Appends a RESP array header.
fn write_count(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// How an exchange with the target failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IoFailure {
    /// The failure was a timeout (no retry then).
    TimedOut,
    /// Any other error, or the target closed the connection.
    Other,
}

fn classify(e: &io::Error) -> IoFailure {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => IoFailure::TimedOut,
        _ => IoFailure::Other,
    }
}

/// Writes all of `buf` in chunks, each within `timeout` (Redis `connSyncWrite`).
fn sync_write(s: &mut TcpStream, buf: &[u8], timeout: Duration) -> Result<(), IoFailure> {
    s.set_write_timeout(Some(timeout))
        .map_err(|e| classify(&e))?;
    for chunk in buf.chunks(MIGRATE_WRITE_CHUNK) {
        s.write_all(chunk).map_err(|e| classify(&e))?;
    }
    Ok(())
}

/// Reads one reply line (without CR LF, at most 1023 bytes) within
/// `timeout` (Redis `connSyncReadLine`).
fn sync_read_line(r: &mut BufReader<TcpStream>, timeout: Duration) -> Result<Vec<u8>, IoFailure> {
    r.get_ref()
        .set_read_timeout(Some(timeout))
        .map_err(|e| classify(&e))?;
    let mut line = Vec::new();
    let n = r
        .by_ref()
        .take(MIGRATE_LINE_MAX as u64)
        .read_until(b'\n', &mut line)
        .map_err(|e| classify(&e))?;
    if n == 0 {
        return Err(IoFailure::Other);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(line)
}

/// What MIGRATE's options asked for.
struct MigrateOptions {
    copy: bool,
    replace: bool,
    username: Option<Bytes>,
    password: Option<Bytes>,
    first_key: usize,
    num_keys: usize,
}

/// Parses the options after the timeout; replies and returns `None` on error.
fn parse_migrate_options(c: &mut Client) -> Option<MigrateOptions> {
    let argc = c.argv.len();
    let mut o = MigrateOptions {
        copy: false,
        replace: false,
        username: None,
        password: None,
        first_key: 3,
        num_keys: 1,
    };
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        let a = &c.argv[j];
        if a.eq_ignore_ascii_case(b"copy") {
            o.copy = true;
        } else if a.eq_ignore_ascii_case(b"replace") {
            o.replace = true;
        } else if a.eq_ignore_ascii_case(b"auth") {
            if more == 0 {
                c.add_reply_error(shared::err_syntax());
                return None;
            }
            j += 1;
            o.password = Some(c.argv[j].clone());
            c.redact_client_command_argument(j);
        } else if a.eq_ignore_ascii_case(b"auth2") {
            if more < 2 {
                c.add_reply_error(shared::err_syntax());
                return None;
            }
            o.username = Some(c.argv[j + 1].clone());
            o.password = Some(c.argv[j + 2].clone());
            c.redact_client_command_argument(j + 1);
            c.redact_client_command_argument(j + 2);
            j += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            if !c.argv[3].is_empty() {
                c.add_reply_error(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                );
                return None;
            }
            o.first_key = j + 1;
            o.num_keys = argc - j - 1;
            break;
        } else {
            c.add_reply_error(shared::err_syntax());
            return None;
        }
        j += 1;
    }
    Some(o)
}

/// Parses a C `long` argument (Redis `getLongFromObjectOrReply`).
fn get_long_or_reply(c: &mut Client, idx: usize) -> Option<i64> {
    let arg = c.argv[idx].clone();
    db::get_long_long_or_reply(c, &arg, None)
}

/// `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key [key ...]]`
/// → `+OK`, or `+NOKEY` when none of the keys exists here.
///
/// Errors: "ERR syntax error", "ERR When using MIGRATE KEYS option, the key
/// argument must be set to the empty string", "ERR value is not an integer
/// or out of range" (timeout, then db), "IOERR error or timeout connecting
/// to the client", "IOERR error or timeout writing|reading to target
/// instance", "ERR Target instance replied with error: `<its error>`" (keys
/// the target accepted are still moved). See the module docs.
///
/// # Latency
/// Blocks the server while the keys are serialized, sent and acknowledged:
/// up to `timeout` ms per network wait, plus O(size of the values).
pub fn migrate_command(srv: &mut Server, c: &mut Client) {
    let Some(opts) = parse_migrate_options(c) else {
        return;
    };
    let Some(timeout) = get_long_or_reply(c, 5) else {
        return;
    };
    let Some(dbid) = get_long_or_reply(c, 4) else {
        return;
    };
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });

    // The keys that exist here.
    let mut keys: Vec<Bytes> = Vec::with_capacity(opts.num_keys);
    for j in 0..opts.num_keys {
        let k = c.argv[opts.first_key + j].clone();
        if db::lookup_key_read(srv, c.db, &k).is_some() {
            keys.push(k);
        }
    }
    if keys.is_empty() {
        c.add_reply_status("NOKEY");
        return;
    }

    let host = c.argv[1].clone();
    let port = c.argv[2].clone();
    let name = cache_name(&host, &port);
    let mut may_retry = true;
    loop {
        let failed = match migrate_get_socket(srv, c, &host, &port, timeout) {
            GetSocket::Ready => None,
            GetSocket::Replied => return,
            GetSocket::Failed(f) => Some(f),
        };
        let last_dbid = srv
            .dump
            .migrate_cached_sockets
            .get(&name)
            .map_or(-1, |cs| cs.last_dbid);

        // The whole exchange in one buffer.
        let mut cmd = Vec::new();
        if let Some(pw) = &opts.password {
            write_count(&mut cmd, if opts.username.is_some() { 3 } else { 2 });
            write_bulk(&mut cmd, b"AUTH");
            if let Some(u) = &opts.username {
                write_bulk(&mut cmd, u);
            }
            write_bulk(&mut cmd, pw);
        }
        let select = last_dbid != dbid;
        if select {
            write_count(&mut cmd, 2);
            write_bulk(&mut cmd, b"SELECT");
            write_bulk(&mut cmd, itoa::Buffer::new().format(dbid).as_bytes());
        }
        let compress = srv.config.rdbcompression;
        let mut sent: Vec<Bytes> = Vec::with_capacity(keys.len());
        for k in &keys {
            let mut ttl = 0i64;
            let expireat = db::get_expire(srv, c.db, k);
            if expireat != -1 {
                ttl = expireat - crate::util::mstime();
                if ttl < 0 {
                    continue;
                }
                ttl = ttl.max(1);
            }
            let Some(o) = srv.dbs[c.db].dict.get(&k[..]) else {
                continue;
            };
            let payload = create_dump_payload(&o.v, compress);
            write_count(&mut cmd, if opts.replace { 5 } else { 4 });
            write_bulk(&mut cmd, b"RESTORE");
            write_bulk(&mut cmd, k);
            write_bulk(&mut cmd, itoa::Buffer::new().format(ttl).as_bytes());
            write_bulk(&mut cmd, &payload);
            if opts.replace {
                write_bulk(&mut cmd, b"REPLACE");
            }
            sent.push(k.clone());
        }

        let outcome = match failed {
            Some(failure) => Exchange::SocketError {
                failure,
                writing: true,
                retry_allowed: true,
            },
            None => migrate_exchange(
                srv,
                c,
                &name,
                &cmd,
                opts.password.is_some(),
                select,
                &sent,
                opts.copy,
                timeout,
            ),
        };
        match outcome {
            Exchange::Done { error_from_target } => {
                if !error_from_target {
                    if let Some(cs) = srv.dump.migrate_cached_sockets.get_mut(&name) {
                        cs.last_dbid = dbid;
                    }
                    c.add_reply_ok();
                }
                return;
            }
            Exchange::SocketError {
                failure,
                writing,
                retry_allowed,
            } => {
                migrate_close_socket(srv, &host, &port);
                if failure != IoFailure::TimedOut && may_retry && retry_allowed {
                    may_retry = false;
                    continue;
                }
                c.add_reply_error(&format!(
                    "IOERR error or timeout {} to target instance",
                    if writing { "writing" } else { "reading" }
                ));
                return;
            }
        }
    }
}

/// How one attempt ended.
enum Exchange {
    /// Every reply was read (errors from the target already replied).
    Done { error_from_target: bool },
    /// The connection failed; `retry_allowed` is false once the target
    /// acknowledged something (Redis retries only before that).
    SocketError {
        failure: IoFailure,
        writing: bool,
        retry_allowed: bool,
    },
}

/// Sends `cmd` on the cached connection `name` and reads the replies: the
/// AUTH and SELECT ones when sent, then one per key of `sent`, deleting
/// each acknowledged key unless `copy`.
#[allow(clippy::too_many_arguments)]
fn migrate_exchange(
    srv: &mut Server,
    c: &mut Client,
    name: &[u8],
    cmd: &[u8],
    auth: bool,
    select: bool,
    sent: &[Bytes],
    copy: bool,
    timeout: Duration,
) -> Exchange {
    let Some(cs) = srv.dump.migrate_cached_sockets.get_mut(name) else {
        return Exchange::SocketError {
            failure: IoFailure::Other,
            writing: true,
            retry_allowed: true,
        };
    };
    if let Err(failure) = sync_write(cs.conn.get_mut(), cmd, timeout) {
        return Exchange::SocketError {
            failure,
            writing: true,
            retry_allowed: true,
        };
    }
    let mut auth_reply = Vec::new();
    let mut select_reply = Vec::new();
    if auth {
        match sync_read_line(&mut cs.conn, timeout) {
            Ok(l) => auth_reply = l,
            Err(failure) => {
                return Exchange::SocketError {
                    failure,
                    writing: false,
                    retry_allowed: true,
                };
            }
        }
    }
    if select {
        match sync_read_line(&mut cs.conn, timeout) {
            Ok(l) => select_reply = l,
            Err(failure) => {
                return Exchange::SocketError {
                    failure,
                    writing: false,
                    retry_allowed: true,
                };
            }
        }
    }

    let dbid = c.db;
    let mut error_from_target = false;
    let mut socket_error = None;
    let mut moved: Vec<Bytes> = Vec::new();
    for (j, k) in sent.iter().enumerate() {
        let Some(cs) = srv.dump.migrate_cached_sockets.get_mut(name) else {
            break;
        };
        let line = match sync_read_line(&mut cs.conn, timeout) {
            Ok(l) => l,
            Err(failure) => {
                socket_error = Some((failure, j));
                break;
            }
        };
        let is_err = |l: &[u8]| l.first() == Some(&b'-');
        if (auth && is_err(&auth_reply)) || (select && is_err(&select_reply)) || is_err(&line) {
            if !error_from_target {
                cs.last_dbid = -1;
                let errline = if auth && is_err(&auth_reply) {
                    &auth_reply
                } else if select && is_err(&select_reply) {
                    &select_reply
                } else {
                    &line
                };
                error_from_target = true;
                c.add_reply_error(&format!(
                    "ERR Target instance replied with error: {}",
                    String::from_utf8_lossy(&errline[1..])
                ));
            }
        } else {
            if !copy {
                db::db_delete(srv, dbid, k);
                db::signal_modified_key(srv, dbid, k);
                notify_keyspace_event(srv, NOTIFY_GENERIC, "del", k, dbid);
                srv.dirty += 1;
                moved.push(k.clone());
            }
        }
    }
    // Propagated as DEL of the keys the target acknowledged.
    if !moved.is_empty() {
        moved.insert(0, Bytes::from_static(b"DEL"));
        c.rewrite_command_vector(moved);
    }
    if let Some((failure, j)) = socket_error
        && !error_from_target
    {
        return Exchange::SocketError {
            failure,
            writing: false,
            retry_allowed: j == 0,
        };
    }
    if socket_error.is_some() {
        // The error from the target was already replied; the connection
        // is not reused.
        srv.dump.migrate_cached_sockets.remove(name);
    }
    Exchange::Done { error_from_target }
}
