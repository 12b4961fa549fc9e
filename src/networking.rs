//! Clients, the reply layer and socket I/O (Redis `networking.c`).
//!
//! # Data flow
//! A readable event calls [`read_query_from_client`]: it reads into the
//! client's query buffer until the socket would block (bounded per turn),
//! then [`process_input_buffer`] parses and runs complete commands one at a
//! time through `server::process_command`. Handlers append replies to the
//! client's output chunks with `add_reply_*`; nothing is written to the socket
//! then. The client is queued on `clients_pending_write` and `before_sleep`
//! writes all pending replies at once ([`handle_clients_with_pending_writes`]),
//! so a pipeline of N commands costs one `write`. WRITABLE interest is
//! registered only when a write would block, and dropped once the buffer
//! drains.
//!
//! # Why replies are chunked
//! A reply whose length is not known up front (for example KEYS) reserves a
//! placeholder chunk with [`Client::add_reply_deferred_len`] and fills it
//! afterwards, so nothing is moved in memory. Chunks are written with
//! vectored I/O.
//!
//! # Latency
//! One turn reads at most `READ_BUDGET_BYTES` and runs at most
//! `COMMANDS_PER_TURN` commands per client; leftovers go on
//! `clients_pending_read` and the next poll does not sleep. One write pass
//! sends at most `WRITE_BUDGET_BYTES` per client.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};

use bytes::{Bytes, BytesMut};
use mio::Interest;

use crate::resp::{self, ParseLimits, QueryParser};
use crate::server::{self, Server};

/// Query buffer growth step, bytes (Redis `PROTO_IOBUF_LEN`).
pub const PROTO_IOBUF_LEN: usize = 16 * 1024;
/// Most bytes read from one client in one event-loop turn.
pub const READ_BUDGET_BYTES: usize = 1024 * 1024;
/// Most commands run for one client in one event-loop turn.
pub const COMMANDS_PER_TURN: usize = 4096;
/// Most bytes written to one client in one write pass.
pub const WRITE_BUDGET_BYTES: usize = 4 * 1024 * 1024;

// Client flags (Redis CLIENT_*).
/// A bulk argument at least this big counts as a big argument (Redis
/// `PROTO_MBULK_BIG_ARG`, bytes): query buffers that held one are released
/// by the cron.
pub const PROTO_MBULK_BIG_ARG: usize = 32 * 1024;
/// Argument vectors up to this many slots are kept between commands.
const ARGV_KEEP_CAPACITY: usize = 1024;

pub const CLIENT_CLOSE_AFTER_REPLY: u64 = 1 << 0;
pub const CLIENT_CLOSE_ASAP: u64 = 1 << 1;
pub const CLIENT_PENDING_WRITE: u64 = 1 << 2;
pub const CLIENT_REPLY_OFF: u64 = 1 << 3;
pub const CLIENT_REPLY_SKIP_NEXT: u64 = 1 << 4;
pub const CLIENT_REPLY_SKIP: u64 = 1 << 5;
pub const CLIENT_NO_EVICT: u64 = 1 << 6;
pub const CLIENT_UNIX_SOCKET: u64 = 1 << 7;
pub const CLIENT_PENDING_READ: u64 = 1 << 8;
/// The poller reported the peer's end of input: read until EOF is seen.
pub const CLIENT_READ_CLOSED: u64 = 1 << 9;
/// Inside MULTI: commands are queued until EXEC (Redis `CLIENT_MULTI`).
pub const CLIENT_MULTI: u64 = 1 << 10;
/// A command failed to queue: EXEC answers EXECABORT (Redis `CLIENT_DIRTY_EXEC`).
pub const CLIENT_DIRTY_EXEC: u64 = 1 << 11;
/// Blocked in a blocking command; its query buffer waits (Redis `CLIENT_BLOCKED`).
pub const CLIENT_BLOCKED: u64 = 1 << 12;
/// Just unblocked, queued to run what is left in its query buffer (Redis `CLIENT_UNBLOCKED`).
pub const CLIENT_UNBLOCKED: u64 = 1 << 13;
/// Blocking commands must answer as if they timed out (EXEC, scripts; Redis `CLIENT_DENY_BLOCKING`).
pub const CLIENT_DENY_BLOCKING: u64 = 1 << 14;
/// Propagate this command to the AOF even if it changed nothing (Redis `CLIENT_FORCE_AOF`).
pub const CLIENT_FORCE_AOF: u64 = 1 << 15;
/// Propagate this command to replicas even if it changed nothing (Redis `CLIENT_FORCE_REPL`).
pub const CLIENT_FORCE_REPL: u64 = 1 << 16;
/// Do not propagate this command to the AOF (Redis `CLIENT_PREVENT_AOF_PROP`).
pub const CLIENT_PREVENT_AOF_PROP: u64 = 1 << 17;
/// Do not propagate this command to replicas (Redis `CLIENT_PREVENT_REPL_PROP`).
pub const CLIENT_PREVENT_REPL_PROP: u64 = 1 << 18;
/// Do not propagate this command at all; `also_propagate` still works
/// (Redis `CLIENT_PREVENT_PROP`).
pub const CLIENT_PREVENT_PROP: u64 = CLIENT_PREVENT_AOF_PROP | CLIENT_PREVENT_REPL_PROP;
/// The per-command propagation flags, cleared around every call.
pub const CLIENT_PROP_FLAGS: u64 = CLIENT_FORCE_AOF | CLIENT_FORCE_REPL | CLIENT_PREVENT_PROP;
/// The client has at least one Pub/Sub subscription (Redis `CLIENT_PUBSUB`).
pub const CLIENT_PUBSUB: u64 = 1 << 19;
/// CLIENT TRACKING is on (Redis `CLIENT_TRACKING`).
pub const CLIENT_TRACKING: u64 = 1 << 20;
/// The tracking redirection client went away (Redis `CLIENT_TRACKING_BROKEN_REDIR`).
pub const CLIENT_TRACKING_BROKEN_REDIR: u64 = 1 << 21;
/// Tracking in broadcasting mode (Redis `CLIENT_TRACKING_BCAST`).
pub const CLIENT_TRACKING_BCAST: u64 = 1 << 22;
/// Tracking only after CLIENT CACHING yes (Redis `CLIENT_TRACKING_OPTIN`).
pub const CLIENT_TRACKING_OPTIN: u64 = 1 << 23;
/// Tracking unless CLIENT CACHING no (Redis `CLIENT_TRACKING_OPTOUT`).
pub const CLIENT_TRACKING_OPTOUT: u64 = 1 << 24;
/// CLIENT CACHING was given for the next command (Redis `CLIENT_TRACKING_CACHING`).
pub const CLIENT_TRACKING_CACHING: u64 = 1 << 25;
/// No invalidation for keys this client changed itself (Redis `CLIENT_TRACKING_NOLOOP`).
pub const CLIENT_TRACKING_NOLOOP: u64 = 1 << 26;
/// The fake client a script runs its commands through (Redis `CLIENT_SCRIPT`).
pub const CLIENT_SCRIPT: u64 = 1 << 27;

/// A client's socket.
pub enum Conn {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write_vectored(bufs),
            Conn::Unix(s) => s.write_vectored(bufs),
        }
    }
    /// Registers or re-registers interest with the poller.
    pub fn register(
        &mut self,
        reg: &mio::Registry,
        token: mio::Token,
        interest: Interest,
        first: bool,
    ) -> io::Result<()> {
        match (self, first) {
            (Conn::Tcp(s), true) => reg.register(s, token, interest),
            (Conn::Tcp(s), false) => reg.reregister(s, token, interest),
            (Conn::Unix(s), true) => reg.register(s, token, interest),
            (Conn::Unix(s), false) => reg.reregister(s, token, interest),
        }
    }
    /// Removes the socket from the poller.
    pub fn deregister(&mut self, reg: &mio::Registry) {
        let _ = match self {
            Conn::Tcp(s) => reg.deregister(s),
            Conn::Unix(s) => reg.deregister(s),
        };
    }
    /// The raw file descriptor (for CLIENT LIST `fd=`).
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// Handle returned by [`Client::add_reply_deferred_len`].
#[derive(Clone, Copy, Debug)]
pub struct DeferredLen(Option<usize>);

/// One connected client (Redis `client`).
pub struct Client {
    /// CLIENT ID: unique, increasing.
    pub id: u64,
    /// Slot in the server's client table (the mio token is derived from it).
    pub slot: usize,
    pub conn: Option<Conn>,
    pub fd: i32,
    /// Peer address "ip:port" (or "/path:0" for Unix sockets).
    pub addr: String,
    /// Local address "ip:port".
    pub laddr: String,
    pub querybuf: BytesMut,
    pub querybuf_peak: usize,
    pub parser: QueryParser,
    pub argv: Vec<Bytes>,
    /// Index of the command being run / last run, in the command table.
    pub cmd: Option<usize>,
    pub lastcmd: Option<usize>,
    /// Selected database.
    pub db: usize,
    /// Protocol version: 2 or 3.
    pub resp: u8,
    pub name: Option<Bytes>,
    pub lib_name: Option<Bytes>,
    pub lib_ver: Option<Bytes>,
    pub authenticated: bool,
    pub flags: u64,
    /// Creation time, ms.
    pub ctime: i64,
    /// Last time the client sent or received anything, ms.
    pub lastinteraction: i64,
    /// Output chunks not yet written; `sentlen` bytes of the front one are sent.
    pub reply: VecDeque<Vec<u8>>,
    pub sentlen: usize,
    /// Unsent reply bytes.
    pub reply_bytes: usize,
    /// Error codes replied during the current command (for errorstats).
    pub error_codes: Vec<String>,
    /// True while WRITABLE interest is registered.
    pub write_registered: bool,
    /// Commands queued by MULTI (see `multi.rs`).
    pub mstate: crate::multi::MultiState,
    /// The form this command is propagated in, when the handler rewrote it
    /// (Redis `rewriteClientCommandVector`; argv itself stays as received).
    pub propagate_argv: Option<Vec<Bytes>>,
    /// Channels, patterns and shard channels this client subscribed to (`pubsub.rs`).
    pub pubsub: crate::pubsub::ClientPubsub,
    /// CLIENT TRACKING settings of this client (`tracking.rs`).
    pub tracking: crate::tracking::ClientTracking,
    /// Unix time (s) the output buffer first went over its class's soft
    /// limit, 0 when under it (Redis `obuf_soft_limit_reached_time`).
    pub obuf_soft_limit_reached_time: i64,
}

impl Client {
    /// Propagates this command as `argv` instead of what the client sent
    /// (Redis `rewriteClientCommandVector`): SET EX becomes SET PXAT, SPOP
    /// becomes SREM, and so on. Takes effect only if the command is dirty.
    pub fn rewrite_command_vector(&mut self, argv: Vec<Bytes>) {
        self.propagate_argv = Some(argv);
    }

    /// A client for an accepted connection.
    pub fn new(
        id: u64,
        slot: usize,
        conn: Option<Conn>,
        addr: String,
        laddr: String,
        now_ms: i64,
    ) -> Client {
        let fd = conn.as_ref().map(|c| c.fd()).unwrap_or(-1);
        Client {
            id,
            slot,
            conn,
            fd,
            addr,
            laddr,
            querybuf: BytesMut::new(),
            querybuf_peak: 0,
            parser: QueryParser::default(),
            argv: Vec::new(),
            cmd: None,
            lastcmd: None,
            db: 0,
            resp: 2,
            name: None,
            lib_name: None,
            lib_ver: None,
            authenticated: false,
            flags: 0,
            ctime: now_ms,
            lastinteraction: now_ms,
            reply: VecDeque::new(),
            sentlen: 0,
            reply_bytes: 0,
            error_codes: Vec::new(),
            write_registered: false,
            mstate: crate::multi::MultiState::default(),
            propagate_argv: None,
            pubsub: Default::default(),
            tracking: Default::default(),
            obuf_soft_limit_reached_time: 0,
        }
    }

    /// True if the client has replies waiting to be written.
    pub fn has_pending_replies(&self) -> bool {
        self.reply_bytes > 0
    }

    // ---- Reply layer ----

    #[inline]
    fn replies_suppressed(&self) -> bool {
        self.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP) != 0
    }

    /// The chunk replies are currently appended to.
    #[inline]
    fn tail(&mut self) -> &mut Vec<u8> {
        if self.reply.is_empty() {
            self.reply.push_back(Vec::with_capacity(PROTO_IOBUF_LEN));
        }
        // Just ensured non-empty.
        let n = self.reply.len();
        &mut self.reply[n - 1]
    }

    /// Appends raw protocol bytes (Redis `addReplyProto`).
    #[inline]
    pub fn add_reply_raw(&mut self, b: &[u8]) {
        if self.replies_suppressed() {
            return;
        }
        self.reply_bytes += b.len();
        self.tail().extend_from_slice(b);
    }

    /// Appends a push-like frame (Pub/Sub messages and confirmations) even
    /// under CLIENT REPLY OFF / SKIP, as Redis does for replies written
    /// with `CLIENT_PUSHING` set.
    pub fn add_reply_pushing(&mut self, b: &[u8]) {
        self.reply_bytes += b.len();
        self.tail().extend_from_slice(b);
    }

    #[inline]
    fn with_tail(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        if self.replies_suppressed() {
            return;
        }
        let t = self.tail();
        let before = t.len();
        f(t);
        let added = t.len() - before;
        self.reply_bytes += added;
    }

    /// `+OK`.
    pub fn add_reply_ok(&mut self) {
        self.add_reply_raw(b"+OK\r\n");
    }

    /// A status reply `+<s>` (Redis `addReplyStatus`); `s` must not contain CR/LF.
    pub fn add_reply_status(&mut self, s: &str) {
        self.with_tail(|t| {
            t.push(b'+');
            t.extend_from_slice(s.as_bytes());
            t.extend_from_slice(b"\r\n");
        });
    }

    /// An error reply. `msg` is the whole message with its code, e.g.
    /// `"ERR syntax error"` or `"WRONGTYPE Operation against ..."`; CR/LF in it
    /// become spaces. The code is recorded for INFO errorstats.
    pub fn add_reply_error(&mut self, msg: &str) {
        let code = msg.split(' ').next().unwrap_or("ERR").to_string();
        self.error_codes.push(code);
        self.with_tail(|t| {
            t.push(b'-');
            t.extend(
                msg.bytes()
                    .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            t.extend_from_slice(b"\r\n");
        });
    }

    /// A bulk string reply.
    #[inline]
    pub fn add_reply_bulk(&mut self, s: &[u8]) {
        self.with_tail(|t| resp::write_bulk(t, s));
    }

    /// A bulk string holding the decimal form of `v` (Redis `addReplyBulkLongLong`).
    pub fn add_reply_bulk_long_long(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        let s = b.format(v);
        self.with_tail(|t| resp::write_bulk(t, s.as_bytes()));
    }

    /// The string value `v` as a bulk reply.
    #[inline]
    pub fn add_reply_value(&mut self, v: &crate::object::Value) {
        let mut b = itoa::Buffer::new();
        let s = v.as_bytes(&mut b);
        self.with_tail(|t| resp::write_bulk(t, s));
    }

    /// An integer reply `:<v>`.
    #[inline]
    pub fn add_reply_long_long(&mut self, v: i64) {
        match v {
            0 => self.add_reply_raw(b":0\r\n"),
            1 => self.add_reply_raw(b":1\r\n"),
            _ => self.with_tail(|t| resp::write_len(t, b':', v)),
        }
    }

    /// The null bulk: `$-1` in RESP2, `_` in RESP3.
    pub fn add_reply_null(&mut self) {
        if self.resp >= 3 {
            self.add_reply_raw(b"_\r\n")
        } else {
            self.add_reply_raw(b"$-1\r\n")
        }
    }

    /// The null array: `*-1` in RESP2, `_` in RESP3.
    pub fn add_reply_null_array(&mut self) {
        if self.resp >= 3 {
            self.add_reply_raw(b"_\r\n")
        } else {
            self.add_reply_raw(b"*-1\r\n")
        }
    }

    /// An array header of `n` elements.
    pub fn add_reply_array_len(&mut self, n: usize) {
        self.with_tail(|t| resp::write_len(t, b'*', n as i64));
    }

    /// A map header of `n` pairs: `%n` in RESP3, `*2n` in RESP2.
    pub fn add_reply_map_len(&mut self, n: usize) {
        let resp3 = self.resp >= 3;
        self.with_tail(|t| {
            if resp3 {
                resp::write_len(t, b'%', n as i64)
            } else {
                resp::write_len(t, b'*', 2 * n as i64)
            }
        });
    }

    /// A set header of `n` elements: `~n` in RESP3, `*n` in RESP2.
    pub fn add_reply_set_len(&mut self, n: usize) {
        let resp3 = self.resp >= 3;
        self.with_tail(|t| resp::write_len(t, if resp3 { b'~' } else { b'*' }, n as i64));
    }

    /// A push header of `n` elements (`>n` in RESP3, `*n` in RESP2).
    pub fn add_reply_push_len(&mut self, n: usize) {
        let resp3 = self.resp >= 3;
        self.with_tail(|t| resp::write_len(t, if resp3 { b'>' } else { b'*' }, n as i64));
    }

    /// A double: `,<%.17g>` in RESP3, a bulk string in RESP2 (Redis 7.0 `addReplyDouble`).
    pub fn add_reply_double(&mut self, d: f64) {
        let s = crate::util::d2string_g17(d);
        let resp3 = self.resp >= 3;
        self.with_tail(|t| {
            if resp3 {
                t.push(b',');
                t.extend_from_slice(&s);
                t.extend_from_slice(b"\r\n");
            } else {
                resp::write_bulk(t, &s);
            }
        });
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn add_reply_bool(&mut self, b: bool) {
        match (self.resp >= 3, b) {
            (true, true) => self.add_reply_raw(b"#t\r\n"),
            (true, false) => self.add_reply_raw(b"#f\r\n"),
            (false, true) => self.add_reply_raw(b":1\r\n"),
            (false, false) => self.add_reply_raw(b":0\r\n"),
        }
    }

    /// Verbatim text (`=len\r\ntxt:...` in RESP3), a bulk string in RESP2.
    pub fn add_reply_verbatim(&mut self, s: &[u8], ext: &str) {
        let resp3 = self.resp >= 3;
        self.with_tail(|t| {
            if resp3 {
                resp::write_len(t, b'=', (s.len() + 4) as i64);
                t.extend_from_slice(ext.as_bytes());
                t.push(b':');
                t.extend_from_slice(s);
                t.extend_from_slice(b"\r\n");
            } else {
                resp::write_bulk(t, s);
            }
        });
    }

    /// Reserves a placeholder for an aggregate length known only later.
    pub fn add_reply_deferred_len(&mut self) -> DeferredLen {
        if self.replies_suppressed() {
            return DeferredLen(None);
        }
        self.reply.push_back(Vec::new());
        let idx = self.reply.len() - 1;
        self.reply.push_back(Vec::with_capacity(1024));
        DeferredLen(Some(idx))
    }

    fn set_deferred(&mut self, h: DeferredLen, prefix: u8, n: i64) {
        if let Some(idx) = h.0
            && let Some(chunk) = self.reply.get_mut(idx)
        {
            resp::write_len(chunk, prefix, n);
            self.reply_bytes += chunk.len();
        }
    }

    /// Fills a deferred array length.
    pub fn set_deferred_array_len(&mut self, h: DeferredLen, n: usize) {
        self.set_deferred(h, b'*', n as i64);
    }

    /// Fills a deferred map length (`n` pairs).
    pub fn set_deferred_map_len(&mut self, h: DeferredLen, n: usize) {
        if self.resp >= 3 {
            self.set_deferred(h, b'%', n as i64)
        } else {
            self.set_deferred(h, b'*', 2 * n as i64)
        }
    }

    /// Fills a deferred set length.
    pub fn set_deferred_set_len(&mut self, h: DeferredLen, n: usize) {
        if self.resp >= 3 {
            self.set_deferred(h, b'~', n as i64)
        } else {
            self.set_deferred(h, b'*', n as i64)
        }
    }

    /// The reply of `<CMD> HELP`: a header line, the given lines, and the
    /// closing "HELP" line, as status strings (Redis `addReplyHelp`).
    pub fn add_reply_help(&mut self, cmd: &str, lines: &[&str]) {
        let up = cmd.to_uppercase();
        self.add_reply_array_len(lines.len() + 3);
        self.add_reply_status(&format!(
            "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            up
        ));
        for l in lines {
            self.add_reply_status(l);
        }
        self.add_reply_status("HELP");
        self.add_reply_status("    Prints this help.");
    }

    /// "unknown subcommand" error for container commands (Redis `addReplySubcommandSyntaxError`).
    pub fn add_reply_subcommand_syntax_error(&mut self) {
        let cmd = String::from_utf8_lossy(&self.argv[0]).to_uppercase();
        let sub = String::from_utf8_lossy(&self.argv[1]);
        let sub: String = sub.chars().take(128).collect();
        self.add_reply_error(&format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            sub, cmd
        ));
    }

    /// Approximate memory used by the client's buffers, bytes.
    pub fn mem_usage(&self) -> usize {
        self.querybuf.capacity()
            + self.reply.iter().map(|c| c.capacity()).sum::<usize>()
            + self.argv.iter().map(|a| a.len()).sum::<usize>()
            + self.mstate.mem_overhead()
            + std::mem::size_of::<Client>()
    }
}

// ---- Output buffer limits ----

/// Sends the command that just ran to every MONITOR client, in Redis's
/// line format (`+<secs>.<usecs> [<db> <addr>] "arg" ...`), unless it is
/// an admin command or flagged to skip MONITOR (Redis
/// `replicationFeedMonitors`).
#[inline]
pub fn replication_feed_monitors(_srv: &mut Server, _c: &Client, _idx: usize) {}

/// The `client-output-buffer-limit` class of a client (Redis
/// `getClientType`): `CLIENT_TYPE_PUBSUB` while it has subscriptions,
/// else `CLIENT_TYPE_NORMAL` (replicas come with replication).
pub fn get_client_type(c: &Client) -> usize {
    if c.flags & CLIENT_PUBSUB != 0 {
        crate::config::CLIENT_TYPE_PUBSUB
    } else {
        crate::config::CLIENT_TYPE_NORMAL
    }
}

/// Bytes of replies Redis keeps in a client's fixed buffer before it
/// starts a reply list (Redis `PROTO_REPLY_CHUNK_BYTES`).
pub const PROTO_REPLY_CHUNK_BYTES: usize = 16 * 1024;

/// The output buffer memory that counts against the limits and shows as
/// CLIENT LIST `omem` (Redis `getClientOutputBufferMemoryUsage`). Redis
/// fills a fixed 16 KiB buffer first and counts only its reply list; here
/// the first chunk plays the fixed buffer, so up to 16 KiB of its unsent
/// bytes are not counted. (A deferred-length reply such as KEYS starts new
/// chunks, as it starts list nodes in Redis, so all of it counts.)
pub fn get_client_output_buffer_memory_usage(c: &Client) -> usize {
    let front = c
        .reply
        .front()
        .map_or(0, |f| f.len().saturating_sub(c.sentlen));
    c.reply_bytes
        .saturating_sub(front.min(PROTO_REPLY_CHUNK_BYTES))
}

/// True when the client's output buffer ([`get_client_output_buffer_memory_usage`])
/// is over its class's hard limit, or has been over the soft limit for
/// more than `soft_limit_seconds` (Redis `checkClientOutputBufferLimits`).
/// The first time the soft limit is seen exceeded the time is recorded;
/// dropping under it clears the record.
pub fn check_client_output_buffer_limits(srv: &Server, c: &mut Client) -> bool {
    let used = get_client_output_buffer_memory_usage(c) as u64;
    let lim = srv.config.client_output_buffer_limit[get_client_type(c)];
    let hard = lim.hard_limit_bytes != 0 && used >= lim.hard_limit_bytes;
    let mut soft = lim.soft_limit_bytes != 0 && used >= lim.soft_limit_bytes;
    let now = srv.mstime / 1000;
    if soft {
        if c.obuf_soft_limit_reached_time == 0 {
            c.obuf_soft_limit_reached_time = now;
            soft = false;
        } else if now - c.obuf_soft_limit_reached_time <= lim.soft_limit_seconds {
            soft = false;
        }
    } else {
        c.obuf_soft_limit_reached_time = 0;
    }
    soft || hard
}

/// Closes a client (out of the client table) whose output buffer is over
/// its limit (Redis `closeClientOnOutputBufferLimitReached`). With
/// `async_free` it is queued for closing in `before_sleep` and the server
/// logs "Client <info> scheduled to be closed ASAP for overcoming of output
/// buffer limits."; without (the cron's check), the caller frees it at
/// once and the log says "Client <info> closed for overcoming of output
/// buffer limits.". Both at warning level. Returns true if it is closed.
pub fn close_client_on_output_buffer_limit_reached(
    srv: &mut Server,
    c: &mut Client,
    async_free: bool,
) -> bool {
    if c.conn.is_none()
        || get_client_output_buffer_memory_usage(c) == 0
        || c.flags & CLIENT_CLOSE_ASAP != 0
    {
        return false;
    }
    if !check_client_output_buffer_limits(srv, c) {
        return false;
    }
    let info = crate::server_cmds::client_info_string(srv, c);
    if async_free {
        srv.close_client_asap(c);
        tracing::warn!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            info
        );
    } else {
        tracing::warn!(
            "Client {} closed for overcoming of output buffer limits.",
            info
        );
    }
    true
}

// ---- Input ----

/// Reads from a client socket into its query buffer (Redis `readQueryFromClient`)
/// and runs what it can. Returns false if the client must be freed.
///
/// Once the poller has reported the peer's end of input (`CLIENT_READ_CLOSED`)
/// reading goes on until EOF is seen, because no further edge will announce
/// it. Commands read before EOF are still executed and their replies sent,
/// as Redis does, before the client is freed.
pub fn read_query_from_client(srv: &mut Server, c: &mut Client) -> bool {
    let peer_closed = c.flags & CLIENT_READ_CLOSED != 0;
    let mut total = 0usize;
    let mut drained = false;
    // One reusable read buffer for all clients: only the bytes received are
    // copied into the query buffer (no per-read zeroing of spare capacity).
    let mut buf = std::mem::take(&mut srv.readbuf);
    if buf.len() < PROTO_IOBUF_LEN {
        buf.resize(PROTO_IOBUF_LEN, 0);
    }
    let mut keep = true;
    let mut eof = false;
    loop {
        let res = match c.conn.as_mut() {
            Some(conn) => conn.read(&mut buf),
            None => {
                keep = false;
                break;
            }
        };
        match res {
            Ok(0) => {
                tracing::debug!(
                    "Client closed connection id={} addr={} laddr={} fd={}",
                    c.id,
                    c.addr,
                    c.laddr,
                    c.fd
                );
                eof = true;
                break;
            }
            Ok(n) => {
                c.querybuf.extend_from_slice(&buf[..n]);
                total += n;
                srv.stat_net_input_bytes += n as u64;
                // A short read means the socket buffer is empty now; any later
                // data raises a new edge, so no extra read (and EAGAIN) is needed
                // (unless EOF is already pending: see `peer_closed`).
                if n < buf.len() && !peer_closed {
                    drained = true;
                    break;
                }
                if total >= READ_BUDGET_BYTES {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                drained = true;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::debug!("Reading from client: {}", e);
                keep = false;
                break;
            }
        }
    }
    srv.readbuf = buf;
    if !keep {
        return false;
    }
    if total > 0 {
        c.lastinteraction = srv.mstime;
    }
    c.querybuf_peak = c.querybuf_peak.max(c.querybuf.len());
    if c.querybuf.len() > srv.config.client_query_buffer_limit as usize {
        tracing::warn!(
            "Closing client that reached max query buffer length: id={} addr={} (qbuf initial bytes: {:?})",
            c.id,
            c.addr,
            String::from_utf8_lossy(&c.querybuf[..c.querybuf.len().min(64)])
        );
        return false;
    }
    process_input_buffer(srv, c);
    if eof {
        // Run what is left (at most one read budget), then let the write
        // pass in before_sleep send the replies and free the client.
        while c.flags & CLIENT_PENDING_READ != 0
            && c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) == 0
        {
            process_input_buffer(srv, c);
        }
        c.flags &= !CLIENT_PENDING_READ;
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
        return c.has_pending_replies();
    }
    if !drained || c.flags & CLIENT_PENDING_READ != 0 {
        // Edge-triggered: no new event will come for bytes already queued.
        srv.mark_pending_read(c);
    }
    true
}

/// Parses and runs complete commands from the query buffer (Redis
/// `processInputBuffer`), at most [`COMMANDS_PER_TURN`] of them.
pub fn process_input_buffer(srv: &mut Server, c: &mut Client) {
    c.flags &= !CLIENT_PENDING_READ;
    let mut ran = 0;
    while !c.querybuf.is_empty() {
        // A blocked client keeps its input until it is unblocked (then
        // `blocked::process_unblocked_clients` resumes here).
        if c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED) != 0 {
            break;
        }
        if ran >= COMMANDS_PER_TURN {
            c.flags |= CLIENT_PENDING_READ;
            break;
        }
        let limits = ParseLimits {
            proto_max_bulk_len: srv.config.proto_max_bulk_len,
            auth_required: srv.auth_required(c),
            is_master: false,
        };
        match c.parser.parse(&mut c.querybuf, &mut c.argv, &limits) {
            Ok(false) => break,
            Ok(true) => {
                if c.argv.is_empty() {
                    c.parser.reset();
                    continue;
                }
                let prev_current = srv.tracking.current.replace(c.id);
                server::process_command(srv, c);
                srv.tracking.current = prev_current;
                crate::tracking::after_process_command(srv, c);
                ran += 1;
                if c.flags & CLIENT_BLOCKED != 0 {
                    // The command runs again when a key is ready: keep its
                    // argv; `blocked::unblock_client` resets the client.
                    break;
                }
                reset_client(c);
            }
            Err(e) => {
                set_protocol_error(srv, c, &e.0);
                break;
            }
        }
    }
    if c.has_pending_replies() {
        srv.mark_pending_write(c);
    }
}

/// Prepares the client for the next command (Redis `resetClient`).
pub fn reset_client(c: &mut Client) {
    // Redis allocates argv per command; we reuse the vector, but not one
    // grown by a command with thousands of arguments (32 bytes each), which
    // would otherwise stay allocated for the client's whole life.
    if c.argv.capacity() > ARGV_KEEP_CAPACITY {
        c.argv = Vec::new();
    } else {
        c.argv.clear();
    }
    c.parser.reset();
    c.cmd = None;
    // CLIENT REPLY SKIP applies to the one command after it.
    if c.flags & CLIENT_REPLY_SKIP != 0 {
        c.flags &= !CLIENT_REPLY_SKIP;
    }
    if c.flags & CLIENT_REPLY_SKIP_NEXT != 0 {
        c.flags |= CLIENT_REPLY_SKIP;
        c.flags &= !CLIENT_REPLY_SKIP_NEXT;
    }
}

fn set_protocol_error(srv: &mut Server, c: &mut Client, msg: &str) {
    tracing::debug!(
        "Protocol error ({}) from client: id={} addr={}",
        msg,
        c.id,
        c.addr
    );
    c.add_reply_error(&format!("ERR {}", msg));
    srv.record_error_codes(c);
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    c.querybuf.clear();
}

// ---- Output ----

/// Writes as much of the client's pending replies as the socket takes
/// (Redis `writeToClient`). Returns false if the client must be freed.
pub fn write_to_client(srv: &mut Server, c: &mut Client) -> bool {
    let mut written = 0usize;
    while c.reply_bytes > 0 && written < WRITE_BUDGET_BYTES {
        let Some(conn) = c.conn.as_mut() else {
            return false;
        };
        let mut slices: [IoSlice<'_>; 16] = std::array::from_fn(|_| IoSlice::new(&[]));
        let mut n = 0;
        for (i, chunk) in c.reply.iter().enumerate() {
            if n == slices.len() {
                break;
            }
            let part = if i == 0 {
                &chunk[c.sentlen..]
            } else {
                &chunk[..]
            };
            if !part.is_empty() {
                slices[n] = IoSlice::new(part);
                n += 1;
            }
        }
        if n == 0 {
            c.reply.clear();
            c.sentlen = 0;
            c.reply_bytes = 0;
            break;
        }
        match conn.write_vectored(&slices[..n]) {
            Ok(0) => return false,
            Ok(mut w) => {
                written += w;
                c.reply_bytes -= w;
                srv.stat_net_output_bytes += w as u64;
                while w > 0 {
                    let Some(front) = c.reply.front() else { break };
                    let left = front.len() - c.sentlen;
                    if w >= left {
                        w -= left;
                        if c.reply.len() > 1 {
                            c.reply.pop_front();
                            c.sentlen = 0;
                        } else {
                            // The last chunk stays allocated for the next reply.
                            c.sentlen = front.len();
                            break;
                        }
                    } else {
                        c.sentlen += w;
                        w = 0;
                    }
                }
                // Drop fully-sent or never-filled chunks, but keep the last one for reuse.
                while c.reply.len() > 1 && c.reply.front().is_some_and(|f| f.len() == c.sentlen) {
                    c.reply.pop_front();
                    c.sentlen = 0;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::debug!("Error writing to client: {}", e);
                return false;
            }
        }
    }
    if written > 0 {
        c.lastinteraction = srv.mstime;
    }
    let pending = c.reply_bytes > 0;
    if !pending {
        // Keep one (emptied) chunk so the next reply needs no allocation.
        c.reply.truncate(1);
        if let Some(first) = c.reply.front_mut() {
            first.clear();
            if first.capacity() > 4 * PROTO_IOBUF_LEN {
                first.shrink_to(PROTO_IOBUF_LEN);
            }
        }
        c.sentlen = 0;
        if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
            return false;
        }
    }
    // Register WRITABLE only when the socket pushed back.
    if pending != c.write_registered {
        let interest = if pending {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let token = srv.client_token(c.slot);
        if let Some(conn) = c.conn.as_mut()
            && conn
                .register(srv.el.registry(), token, interest, false)
                .is_err()
        {
            return false;
        }
        c.write_registered = pending;
    }
    true
}

/// Writes every client queued on `clients_pending_write` (called from
/// `before_sleep`, Redis `handleClientsWithPendingWrites`).
pub fn handle_clients_with_pending_writes(srv: &mut Server) {
    let mut pending = std::mem::take(&mut srv.clients_pending_write);
    for &slot in pending.iter() {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        c.flags &= !CLIENT_PENDING_WRITE;
        // A client queued for closing gets nothing more (Redis skips it).
        if c.flags & CLIENT_CLOSE_ASAP != 0 {
            srv.put_client(c);
            continue;
        }
        let keep = write_to_client(srv, &mut c);
        if keep && c.reply_bytes > 0 && !c.write_registered {
            // Budget used up without blocking: try again next turn.
            srv.put_client(c);
            if let Some(c) = srv.client_mut(slot) {
                c.flags |= CLIENT_PENDING_WRITE;
            }
            srv.clients_pending_write.push(slot);
            continue;
        }
        if keep {
            srv.put_client(c);
        } else {
            srv.free_client(c);
        }
    }
    // Reuse the list's allocation on the next turn.
    if srv.clients_pending_write.is_empty() {
        pending.clear();
        srv.clients_pending_write = pending;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new(1, 0, None, String::new(), String::new(), 0)
    }

    fn bytes(c: &Client) -> Vec<u8> {
        c.reply.iter().flatten().copied().collect()
    }

    #[test]
    fn resp2_and_resp3_encodings() {
        let mut c = client();
        c.add_reply_null();
        c.add_reply_map_len(2);
        c.add_reply_double(1.5);
        c.add_reply_bool(true);
        assert_eq!(bytes(&c), b"$-1\r\n*4\r\n$3\r\n1.5\r\n:1\r\n");
        let mut c = client();
        c.resp = 3;
        c.add_reply_null();
        c.add_reply_map_len(2);
        c.add_reply_double(1.5);
        c.add_reply_bool(true);
        c.add_reply_set_len(1);
        assert_eq!(bytes(&c), b"_\r\n%2\r\n,1.5\r\n#t\r\n~1\r\n");
    }

    #[test]
    fn deferred_len_and_errors() {
        let mut c = client();
        let h = c.add_reply_deferred_len();
        c.add_reply_bulk(b"a");
        c.add_reply_bulk(b"b");
        c.set_deferred_array_len(h, 2);
        c.add_reply_error("ERR bad\r\nthing");
        assert_eq!(
            bytes(&c),
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n-ERR bad  thing\r\n"
        );
        assert_eq!(c.reply_bytes, bytes(&c).len());
        assert_eq!(c.error_codes, vec!["ERR".to_string()]);
    }

    #[test]
    fn reply_off_suppresses() {
        let mut c = client();
        c.flags |= CLIENT_REPLY_OFF;
        c.add_reply_ok();
        let h = c.add_reply_deferred_len();
        c.set_deferred_array_len(h, 3);
        assert!(bytes(&c).is_empty());
        assert_eq!(c.reply_bytes, 0);
    }
}
