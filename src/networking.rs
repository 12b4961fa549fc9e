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
//! # Buffers as Redis accounts them
//! CLIENT LIST and client eviction report buffers as Redis 7.0 would have
//! them. The query buffer gets room for a 16 KiB read before reading, and a
//! big argument's header sizes it exactly for that argument (commands
//! already in a full buffer run before it grows, as Redis runs them after
//! each read); the bytes of the running command count in `qbuf` (`qb_pos`).
//! The cron gives back query-buffer space an idle client does not use and
//! trims a buffer far above its recent peak. Replies live in our chunks, but
//! each client also carries the size Redis's fixed reply buffer would have
//! (`rbs`): the cron halves it while the recent peak (`rbp`) stays under
//! half and doubles it (up to 16 KiB) while the peak fills it, and the
//! first `rbs` unsent bytes do not count as output-list memory (`omem`).
//!
//! # MONITOR, CLIENT PAUSE, client eviction
//! MONITOR clients are kept in a list; `call` feeds each command to them
//! (one branch when the list is empty), EVAL and FCALL feed themselves
//! before they run so that a script's commands follow its line. CLIENT
//! PAUSE makes `process_command` park the commands it holds: the client is
//! flagged blocked with its argv kept (`CLIENT_PENDING_COMMAND`); when the
//! pause ends, `before_sleep` runs those commands first. With
//! `maxmemory-clients` set, each evictable client's memory is recounted
//! after a command, a read, a write and in the cron, and kept in one of 19
//! buckets by log2 of its size; the clients of the biggest bucket go first
//! when the sum passes the limit (before each command and in
//! `before_sleep`).
//!
//! # Latency
//! One turn reads at most `READ_BUDGET_BYTES` and runs at most
//! `COMMANDS_PER_TURN` commands per client; leftovers go on
//! `clients_pending_read` and the next poll does not sleep. One write pass
//! sends at most `WRITE_BUDGET_BYTES` per client.

use std::collections::{BTreeSet, VecDeque};
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
/// The client ran MONITOR: every command the server runs is copied to it
/// (Redis `CLIENT_MONITOR`).
pub const CLIENT_MONITOR: u64 = 1 << 28;
/// The client's argv holds a command postponed by CLIENT PAUSE: it runs
/// before anything else in its query buffer once the pause ends (Redis
/// `CLIENT_PENDING_COMMAND` after `BLOCKED_POSTPONE`).
pub const CLIENT_PENDING_COMMAND: u64 = 1 << 29;
/// The reply outgrew the hard output-buffer limit while the command ran:
/// `CLIENT_CLOSE_ASAP` was set at once so that the command stops adding
/// replies; [`close_client_on_output_buffer_limit_reached`] closes it
/// properly (and logs) after the command.
pub const CLIENT_OBUF_LIMIT_HIT: u64 = 1 << 30;

/// A client's socket.
pub enum Conn {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
    /// A connection accepted on `tls-port`, or a replica's TLS link to its
    /// master (see `tls.rs`).
    Tls(Box<crate::tls::TlsStream>),
}

impl Conn {
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
    /// Writes from `bufs` in one system call: `write` for a single buffer
    /// (the common case, one reply chunk; cheaper in the kernel than a
    /// one-element `writev`), `writev` for several.
    pub(crate) fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match (self, bufs) {
            (Conn::Tcp(s), [one]) => s.write(one),
            (Conn::Unix(s), [one]) => s.write(one),
            (Conn::Tcp(s), _) => s.write_vectored(bufs),
            (Conn::Unix(s), _) => s.write_vectored(bufs),
            (Conn::Tls(s), _) => s.write_vectored(bufs),
        }
    }
    /// True when encrypted output waits for the socket (TLS only): the
    /// client keeps WRITABLE interest and is not closed until it has left.
    pub fn wants_write(&self) -> bool {
        match self {
            Conn::Tls(s) => s.wants_write(),
            _ => false,
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
            (Conn::Tls(s), true) => reg.register(s.socket(), token, interest),
            (Conn::Tls(s), false) => reg.reregister(s.socket(), token, interest),
        }
    }
    /// Removes the socket from the poller.
    pub fn deregister(&mut self, reg: &mio::Registry) {
        let _ = match self {
            Conn::Tcp(s) => reg.deregister(s),
            Conn::Unix(s) => reg.deregister(s),
            Conn::Tls(s) => reg.deregister(s.socket()),
        };
    }
    /// The TCP socket under a TCP or TLS connection (for socket options
    /// and addresses); `None` for a Unix socket.
    pub fn tcp(&self) -> Option<&mio::net::TcpStream> {
        match self {
            Conn::Tcp(s) => Some(s),
            Conn::Tls(s) => Some(s.socket_ref()),
            Conn::Unix(_) => None,
        }
    }
    /// The raw file descriptor (for CLIENT LIST `fd=`).
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
            Conn::Tls(s) => s.socket_ref().as_raw_fd(),
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
    /// The ACL user the client runs as: network clients start as the
    /// default user; `None` is a superuser fake client (AOF loading,
    /// Redis's NULL user).
    pub user: Option<crate::acl::UserRef>,
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
    /// The command as MONITOR (and the slow log) show it, when it differs
    /// from argv: secrets replaced by `(redacted)` (Redis `original_argv`,
    /// see [`Client::redact_client_command_argument`]). Cleared for each command.
    pub original_argv: Option<Vec<Bytes>>,
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
    /// Bytes of the query buffer already parsed in the current processing
    /// pass: CLIENT LIST shows them in `qbuf` of the running client, as
    /// Redis keeps a command's bytes in its query buffer until the pass ends
    /// (Redis `qb_pos`).
    pub qb_pos: usize,
    /// Size of the reply buffer Redis would have given this client (CLIENT
    /// LIST `rbs`, Redis `buf_usable_size`): 16 KiB at first, halved by the
    /// cron while the recent peak stays under half of it, doubled (up to
    /// 16 KiB) while the peak fills it ([`clients_cron_resize_output_buffer`]).
    pub buf_usable_size: usize,
    /// Most reply bytes held in that buffer since the last peak reset
    /// (CLIENT LIST `rbp`, Redis `buf_peak`).
    pub buf_peak: usize,
    /// When `buf_peak` was last reset, unix ms (Redis `buf_peak_last_reset_time`).
    pub buf_peak_last_reset_time: i64,
    /// Memory this client was last counted with for client eviction, bytes
    /// (Redis `last_memory_usage`).
    pub last_memory_usage: usize,
    /// The client-eviction bucket it is in, if any (Redis `mem_usage_bucket`).
    pub mem_usage_bucket: Option<usize>,
    /// Hard output-buffer limit of its class for the running command, bytes
    /// (`usize::MAX` for none): replies stop once it is passed, as Redis
    /// checks the limit while a reply grows.
    pub reply_hard_limit: usize,
    /// Replication fields, for a replica attached to us or our master
    /// (`replication/mod.rs`); `None` for other clients.
    pub repl: Option<Box<crate::replication::ClientRepl>>,
    /// Replication offset right after this client's last propagated
    /// command (Redis `woff`): what WAIT waits for.
    pub woff: i64,
    /// Error replies of a master or replica client not yet logged (Redis
    /// `afterErrorReply`'s "== CRITICAL ==" line, written by
    /// [`Server::record_error_codes`]): at most 4096 bytes each.
    pub repl_error_replies: Vec<Vec<u8>>,
}

impl Client {
    /// Propagates this command as `argv` instead of what the client sent
    /// (Redis `rewriteClientCommandVector`): SET EX becomes SET PXAT, SPOP
    /// becomes SREM, and so on. Takes effect only if the command is dirty.
    pub fn rewrite_command_vector(&mut self, argv: Vec<Bytes>) {
        self.propagate_argv = Some(argv);
    }

    /// Hides argument `i` (a password) from MONITOR and the slow log: they
    /// show `(redacted)` instead (Redis `redactClientCommandArgument`).
    pub fn redact_client_command_argument(&mut self, i: usize) {
        if i >= self.argv.len() {
            return;
        }
        let orig = self.original_argv.get_or_insert_with(|| self.argv.clone());
        if let Some(a) = orig.get_mut(i) {
            *a = Bytes::from_static(b"(redacted)");
        }
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
            user: None,
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
            original_argv: None,
            pubsub: Default::default(),
            tracking: Default::default(),
            obuf_soft_limit_reached_time: 0,
            qb_pos: 0,
            buf_usable_size: PROTO_REPLY_CHUNK_BYTES,
            buf_peak: 0,
            buf_peak_last_reset_time: now_ms,
            last_memory_usage: 0,
            mem_usage_bucket: None,
            reply_hard_limit: usize::MAX,
            repl: None,
            woff: 0,
            repl_error_replies: Vec::new(),
        }
    }

    /// True if the client has replies waiting to be written.
    pub fn has_pending_replies(&self) -> bool {
        self.reply_bytes > 0
    }

    /// True if anything waits for the socket: replies, or encrypted TLS
    /// records rustls still holds.
    /// A replica's stream waits in the shared replication buffer, not in its
    /// replies: for replicas the write path itself checks.
    pub fn output_pending(&self) -> bool {
        self.reply_bytes > 0
            || self.conn.as_ref().is_some_and(|x| x.wants_write())
            || self.flags & crate::replication::CLIENT_SLAVE != 0
    }

    // ---- Reply layer ----

    #[inline]
    fn replies_suppressed(&self) -> bool {
        self.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP | CLIENT_CLOSE_ASAP) != 0
            // Our master gets no replies but the ACKs (Redis `prepareClientToWrite`).
            || self.flags
                & (crate::replication::CLIENT_MASTER | crate::replication::CLIENT_MASTER_FORCE_REPLY)
                == crate::replication::CLIENT_MASTER
    }

    /// Stops the replies of a client whose output passed its hard limit
    /// (see [`CLIENT_OBUF_LIMIT_HIT`]).
    #[inline]
    fn check_reply_limit(&mut self) {
        if self.reply_bytes > self.reply_hard_limit {
            self.flags |= CLIENT_CLOSE_ASAP | CLIENT_OBUF_LIMIT_HIT;
        }
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

    /// The chunk to append `add` more bytes to (Redis
    /// `_addReplyToBufferOrList`): the tail while they fit in its capacity
    /// or it is still under [`PROTO_IOBUF_LEN`]; otherwise a new chunk of
    /// `max(add, PROTO_IOBUF_LEN)` bytes. So a big payload (a 100 KB
    /// PUBLISH to many subscribers) costs its size in every client, not a
    /// doubled `Vec`, and client memory is what maxmemory sees.
    #[inline]
    fn tail_for(&mut self, add: usize) -> &mut Vec<u8> {
        let new_chunk = match self.reply.back() {
            None => true,
            Some(t) => {
                t.len() + add > t.capacity()
                    && (t.len() >= PROTO_IOBUF_LEN || add > PROTO_IOBUF_LEN)
            }
        };
        if new_chunk {
            match self.reply.back_mut() {
                // An empty tail (kept after a write) is simply resized.
                Some(t) if t.is_empty() => t.reserve_exact(add),
                _ => self
                    .reply
                    .push_back(Vec::with_capacity(add.max(PROTO_IOBUF_LEN))),
            }
        }
        self.tail()
    }

    /// Appends raw protocol bytes (Redis `addReplyProto`).
    #[inline]
    pub fn add_reply_raw(&mut self, b: &[u8]) {
        if self.replies_suppressed() {
            return;
        }
        self.reply_bytes += b.len();
        self.tail_for(b.len()).extend_from_slice(b);
        self.check_reply_limit();
    }

    /// Appends a push-like frame (Pub/Sub messages and confirmations) even
    /// under CLIENT REPLY OFF / SKIP, as Redis does for replies written
    /// with `CLIENT_PUSHING` set.
    pub fn add_reply_pushing(&mut self, b: &[u8]) {
        self.reply_bytes += b.len();
        self.tail_for(b.len()).extend_from_slice(b);
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
        self.check_reply_limit();
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
        self.add_reply_error_bytes(msg.as_bytes());
    }

    /// [`Client::add_reply_error`] for a message holding client bytes that
    /// need not be UTF-8 (a command or subcommand name echoed back): the
    /// bytes are sent as they are, as Redis's `addReplyErrorFormat` does.
    pub fn add_reply_error_bytes(&mut self, msg: &[u8]) {
        let code = msg.split(|&b| b == b' ').next().unwrap_or(b"ERR");
        self.error_codes
            .push(String::from_utf8_lossy(code).into_owned());
        // An error on a replication link is rare and worth a loud log line.
        if self.flags & (crate::replication::CLIENT_SLAVE | crate::replication::CLIENT_MASTER) != 0
        {
            self.repl_error_replies
                .push(msg[..msg.len().min(4096)].to_vec());
        }
        self.with_tail(|t| {
            t.push(b'-');
            t.extend(
                msg.iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            t.extend_from_slice(b"\r\n");
        });
    }

    /// A bulk string reply.
    #[inline]
    pub fn add_reply_bulk(&mut self, s: &[u8]) {
        if s.len() > PROTO_IOBUF_LEN && !self.replies_suppressed() {
            // Room for the whole bulk up front (`$<len>\r\n...\r\n`).
            self.tail_for(s.len() + 24);
        }
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

    /// An error echoing one client argument the way Redis's `"%s"` does
    /// (raw bytes up to the first NUL): `<head><arg><tail>`, e.g.
    /// `("ERR Unsupported option ", arg, "")`.
    pub fn add_reply_error_arg(&mut self, head: &str, arg: &[u8], tail: &str) {
        let mut msg = head.as_bytes().to_vec();
        msg.extend_from_slice(c_str(arg, usize::MAX));
        msg.extend_from_slice(tail.as_bytes());
        self.add_reply_error_bytes(&msg);
    }

    /// "unknown subcommand" error for container commands (Redis
    /// `commandCheckExistence`): `ERR unknown subcommand '<sub>'. Try <CMD>
    /// HELP.`, the subcommand as C's `%.128s` prints it ([`c_str`]).
    pub fn add_reply_subcommand_syntax_error(&mut self) {
        self.add_reply_subcommand_error(b"ERR unknown subcommand '");
    }

    /// "unknown subcommand or wrong number of arguments" for a subcommand
    /// whose arguments do not fit (Redis `addReplySubcommandSyntaxError`):
    /// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try
    /// <CMD> HELP.`, the subcommand as C's `%.128s` prints it ([`c_str`]).
    pub fn add_reply_subcommand_arity_error(&mut self) {
        self.add_reply_subcommand_error(
            b"ERR unknown subcommand or wrong number of arguments for '",
        );
    }

    fn add_reply_subcommand_error(&mut self, head: &[u8]) {
        let mut msg = head.to_vec();
        msg.extend_from_slice(c_str(self.argv.get(1).map_or(&[][..], |a| &a[..]), 128));
        msg.extend_from_slice(b"'. Try ");
        let cmd = self.argv.first().map_or(&[][..], |a| &a[..]);
        msg.extend(c_str(cmd, usize::MAX).iter().map(u8::to_ascii_uppercase));
        msg.extend_from_slice(b" HELP.");
        self.add_reply_error_bytes(&msg);
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

/// What C's `"%.<max>s"` prints of a Redis string: the bytes before the
/// first NUL, at most `max` of them. Error replies that echo client bytes
/// use it so that they match Redis's byte for byte.
pub fn c_str(b: &[u8], max: usize) -> &[u8] {
    let end = memchr::memchr(0, b).unwrap_or(b.len()).min(max);
    &b[..end]
}

/// True when the client's commands are obeyed without the limits that
/// apply to users (Redis `mustObeyClient`): the AOF loading client and
/// our master.
pub fn must_obey_client(c: &Client) -> bool {
    c.id == crate::aof::load::CLIENT_ID_AOF || c.flags & crate::replication::CLIENT_MASTER != 0
}

// ---- Output buffer limits ----

/// The `client-output-buffer-limit` class of a client (Redis
/// `getClientType`): `CLIENT_TYPE_REPLICA` for a replica attached to us
/// (not a MONITOR), `CLIENT_TYPE_PUBSUB` while it has subscriptions, else
/// `CLIENT_TYPE_NORMAL` (our master counts as normal for the limits).
pub fn get_client_type(c: &Client) -> usize {
    if c.flags & crate::replication::CLIENT_SLAVE != 0 && c.flags & CLIENT_MONITOR == 0 {
        crate::config::CLIENT_TYPE_REPLICA
    } else if c.flags & CLIENT_PUBSUB != 0 {
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
/// fills a fixed reply buffer (`rbs`, 16 KiB at most) first and counts only
/// its reply list; here the first chunk plays the fixed buffer, so up to
/// `buf_usable_size` of its unsent bytes are not counted. (A deferred-length reply such as KEYS starts new
/// chunks, as it starts list nodes in Redis, so all of it counts.) A
/// replica's output is its span of the shared replication buffer
/// (`replication::master::replica_output_buffer_memory`).
pub fn get_client_output_buffer_memory_usage(srv: &Server, c: &Client) -> usize {
    if get_client_type(c) == crate::config::CLIENT_TYPE_REPLICA {
        return crate::replication::master::replica_output_buffer_memory(srv, c);
    }
    let front = c
        .reply
        .front()
        .map_or(0, |f| f.len().saturating_sub(c.sentlen));
    c.reply_bytes.saturating_sub(front.min(c.buf_usable_size))
}

/// True when the client's output buffer ([`get_client_output_buffer_memory_usage`])
/// is over its class's hard limit, or has been over the soft limit for
/// more than `soft_limit_seconds` (Redis `checkClientOutputBufferLimits`).
/// The first time the soft limit is seen exceeded the time is recorded;
/// dropping under it clears the record. A replica's hard limit is never
/// below `repl-backlog-size` (its buffer is the backlog's anyway).
pub fn check_client_output_buffer_limits(srv: &Server, c: &mut Client) -> bool {
    let used = get_client_output_buffer_memory_usage(srv, c) as u64;
    let class = get_client_type(c);
    let lim = srv.config.client_output_buffer_limit[class];
    let mut hard_limit = lim.hard_limit_bytes;
    if class == crate::config::CLIENT_TYPE_REPLICA
        && hard_limit != 0
        && (hard_limit as i64) < srv.config.repl_backlog_size
    {
        hard_limit = srv.config.repl_backlog_size as u64;
    }
    let hard = hard_limit != 0 && used >= hard_limit;
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
    if c.flags & CLIENT_OBUF_LIMIT_HIT != 0 {
        // Stopped mid-command by the hard limit: close it the normal way.
        c.flags &= !(CLIENT_OBUF_LIMIT_HIT | CLIENT_CLOSE_ASAP);
    }
    if c.conn.is_none()
        || get_client_output_buffer_memory_usage(srv, c) == 0
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

// ---- Client administration: MONITOR, CLIENT PAUSE, client eviction ----

/// Handlers owned by this module (MONITOR, CLIENT PAUSE / UNPAUSE), by name.
pub static HANDLERS: &[(&str, crate::commands::Handler)] = &[
    ("monitor", monitor_command),
    ("client|pause", client_pause_command),
    ("client|unpause", client_unpause_command),
];

/// What CLIENT PAUSE holds back (Redis `pause_type`), least restrictive first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseType {
    /// Nothing is paused.
    #[default]
    Off,
    /// Commands that may write or replicate wait (`CLIENT PAUSE t WRITE`).
    Write,
    /// Every command waits (`CLIENT PAUSE t [ALL]`).
    All,
}

/// Who paused clients (Redis `pause_purpose`). Each purpose holds its own
/// pause; the one in force is the most restrictive of them, so CLIENT
/// UNPAUSE does not end the pause of a FAILOVER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PausePurpose {
    /// CLIENT PAUSE.
    ByClientCommand = 0,
    /// SHUTDOWN waiting for replicas to catch up.
    DuringShutdown = 1,
    /// FAILOVER waiting for its target to catch up.
    DuringFailover = 2,
}

/// Number of [`PausePurpose`] values (Redis `NUM_PAUSE_PURPOSES`).
pub const NUM_PAUSE_PURPOSES: usize = 3;

/// Smallest client-eviction bucket: clients under 32 KiB (Redis
/// `CLIENT_MEM_USAGE_BUCKET_MIN_LOG`).
const CLIENT_MEM_USAGE_BUCKET_MIN_LOG: u32 = 15;
/// Largest bucket: clients over 4 GiB (Redis `CLIENT_MEM_USAGE_BUCKET_MAX_LOG`).
const CLIENT_MEM_USAGE_BUCKET_MAX_LOG: u32 = 33;
/// Number of client-eviction buckets (Redis `CLIENT_MEM_USAGE_BUCKETS`).
pub const CLIENT_MEM_USAGE_BUCKETS: usize =
    (1 + CLIENT_MEM_USAGE_BUCKET_MAX_LOG - CLIENT_MEM_USAGE_BUCKET_MIN_LOG) as usize;
/// Smallest reply buffer the cron shrinks to, bytes (Redis `PROTO_REPLY_MIN_BYTES`).
pub const PROTO_REPLY_MIN_BYTES: usize = 1024;
/// Query buffers bigger than this are trimmed to their recent peak (Redis
/// `PROTO_RESIZE_THRESHOLD`).
pub const PROTO_RESIZE_THRESHOLD: usize = 32 * 1024;
/// Seconds of history for INFO `client_recent_max_*_buffer` (Redis
/// `CLIENTS_PEAK_MEM_USAGE_SLOTS`).
const CLIENTS_PEAK_MEM_USAGE_SLOTS: usize = 8;

/// Clients of about the same memory use: sizes in `[2^(k-1), 2^k)` for
/// bucket `k - 15` (Redis `clientMemUsageBucket`).
#[derive(Default)]
pub struct MemUsageBucket {
    /// Sum of `last_memory_usage` of its clients, bytes.
    pub mem_usage_sum: usize,
    /// Ids of its clients; the oldest is evicted first.
    pub clients: BTreeSet<u64>,
}

/// Server-side state of client administration (`Server.client_admin`).
pub struct ClientAdminState {
    /// Slots of the MONITOR clients, in the order they started (Redis
    /// `server.monitors`). Empty means the feed costs one branch.
    pub monitors: Vec<(usize, u64)>,
    /// The pause in force: the most restrictive of the purposes' pauses
    /// (Redis `client_pause_type`).
    pub pause_type: PauseType,
    /// When the pause in force ends, unix ms: the latest end among the
    /// purposes of that type (Redis `client_pause_end_time`).
    pub pause_end_time: i64,
    /// Each purpose's own pause, `(type, end unix ms)`, indexed by
    /// [`PausePurpose`] (Redis `client_pause_per_purpose`).
    pub pause_per_purpose: [Option<(PauseType, i64)>; NUM_PAUSE_PURPOSES],
    /// `(slot, id)` of clients whose command waits for the pause to end
    /// (Redis `postponed_clients`), in arrival order.
    pub postponed: Vec<(usize, u64)>,
    /// `(slot, id)` of postponed clients released and waiting to run their
    /// command, in order (from `before_sleep`).
    pub unpaused: VecDeque<(usize, u64)>,
    /// The client-eviction buckets; empty while `maxmemory-clients` is 0
    /// (Redis `client_mem_usage_buckets`).
    pub buckets: Vec<MemUsageBucket>,
    /// Clients evicted for `maxmemory-clients` (INFO `evicted_clients`).
    pub stat_evictedclients: u64,
    /// Reply buffer shrinks and expands by the cron (INFO
    /// `reply_buffer_shrinks` / `reply_buffer_expands`).
    pub stat_reply_buffer_shrinks: u64,
    pub stat_reply_buffer_expands: u64,
    /// DEBUG REPLYBUFFER RESIZING: whether the cron resizes reply buffers.
    pub reply_buffer_resizing_enabled: bool,
    /// DEBUG REPLYBUFFER PEAK-RESET-TIME: ms between reply-buffer peak
    /// resets; negative for never (Redis `reply_buffer_peak_reset_time`).
    pub reply_buffer_peak_reset_time: i64,
    /// Biggest input / output buffer seen per second, for the last
    /// seconds (Redis `ClientsPeakMemInput` / `ClientsPeakMemOutput`).
    pub peak_mem_input: [usize; CLIENTS_PEAK_MEM_USAGE_SLOTS],
    pub peak_mem_output: [usize; CLIENTS_PEAK_MEM_USAGE_SLOTS],
}

impl Default for ClientAdminState {
    fn default() -> Self {
        ClientAdminState {
            monitors: Vec::new(),
            pause_type: PauseType::Off,
            pause_end_time: 0,
            pause_per_purpose: [None; NUM_PAUSE_PURPOSES],
            postponed: Vec::new(),
            unpaused: VecDeque::new(),
            buckets: Vec::new(),
            stat_evictedclients: 0,
            stat_reply_buffer_shrinks: 0,
            stat_reply_buffer_expands: 0,
            reply_buffer_resizing_enabled: true,
            reply_buffer_peak_reset_time: REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME,
            peak_mem_input: [0; CLIENTS_PEAK_MEM_USAGE_SLOTS],
            peak_mem_output: [0; CLIENTS_PEAK_MEM_USAGE_SLOTS],
        }
    }
}

impl ClientAdminState {
    /// The state of a starting server: the client-eviction buckets exist
    /// when the config file sets `maxmemory-clients`.
    pub fn new(config: &crate::config::Config) -> ClientAdminState {
        let mut st = ClientAdminState::default();
        if config.maxmemory_clients != 0 {
            st.buckets = (0..CLIENT_MEM_USAGE_BUCKETS)
                .map(|_| MemUsageBucket::default())
                .collect();
        }
        st
    }
}

/// Default ms between reply-buffer peak resets (Redis
/// `REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME`).
pub const REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME: i64 = 5000;

// ---- MONITOR ----

/// MONITOR → `+OK`, then every command the server runs, one status line
/// each (see [`replication_feed_monitors`]). A second MONITOR is ignored
/// (no reply). Error: `ERR MONITOR isn't allowed for DENY BLOCKING client`
/// (inside EXEC or a script).
pub fn monitor_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_DENY_BLOCKING != 0 {
        c.add_reply_error("ERR MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    if c.flags & CLIENT_MONITOR != 0 {
        return;
    }
    c.flags |= CLIENT_MONITOR;
    srv.client_admin.monitors.push((c.slot, c.id));
    c.add_reply_ok();
}

/// Sends the command that just ran to every MONITOR client, unless it is
/// an admin command or flagged `skip_monitor` (Redis `call`'s feed):
/// EVAL, EVALSHA and FCALL feed themselves before they run, so the
/// commands of a script follow its line. O(1) without monitors.
#[inline]
pub fn replication_feed_monitors(srv: &mut Server, c: &mut Client, idx: usize) {
    if srv.client_admin.monitors.is_empty() {
        return;
    }
    if srv.commands.cmds[idx].flags
        & (crate::commands::CMD_SKIP_MONITOR | crate::commands::CMD_ADMIN)
        != 0
    {
        return;
    }
    feed_monitors(srv, c);
}

/// Sends `c`'s current argv to every MONITOR client (Redis
/// `replicationFeedMonitors`), in Redis's line format:
/// `+<unix secs>.<usecs, 6 digits> [<db> <peer>] "arg" "arg"...\r\n`, where
/// the peer is `lua` for a script's commands, `unix:<unixsocket>` for a
/// Unix-socket client and `ip:port` otherwise; arguments are quoted as
/// Redis's `sdscatrepr` does. Nothing while loading or without monitors.
/// A monitor out of the client table (the one running the command, or a
/// script's caller) gets the line once it is put back.
pub fn feed_monitors(srv: &mut Server, c: &mut Client) {
    if srv.client_admin.monitors.is_empty() || srv.loading {
        return;
    }
    let now = crate::util::ustime();
    let mut line = Vec::with_capacity(64);
    line.push(b'+');
    line.extend_from_slice(format!("{}.{:06} ", now / 1_000_000, now % 1_000_000).as_bytes());
    if c.flags & CLIENT_SCRIPT != 0 {
        line.extend_from_slice(format!("[{} lua] ", c.db).as_bytes());
    } else if c.flags & CLIENT_UNIX_SOCKET != 0 {
        line.extend_from_slice(format!("[{} unix:{}] ", c.db, srv.config.unixsocket).as_bytes());
    } else {
        line.extend_from_slice(format!("[{} {}] ", c.db, c.addr).as_bytes());
    }
    let argv = c.original_argv.as_ref().unwrap_or(&c.argv);
    for (j, a) in argv.iter().enumerate() {
        if j > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(crate::config::repr(a).as_bytes());
    }
    line.extend_from_slice(b"\r\n");
    let monitors = std::mem::take(&mut srv.client_admin.monitors);
    for &(slot, id) in &monitors {
        if id == c.id {
            c.add_reply_raw(&line);
            srv.mark_pending_write(c);
            continue;
        }
        match srv.client_mut(slot) {
            Some(m) => {
                if m.flags & CLIENT_CLOSE_ASAP != 0 {
                    continue;
                }
                m.add_reply_raw(&line);
                // `mark_pending_write` needs the client out of the table.
                if m.flags & CLIENT_PENDING_WRITE == 0 {
                    m.flags |= CLIENT_PENDING_WRITE;
                    srv.clients_pending_write.push(slot);
                }
            }
            None => {
                // Out of the table (a script's caller): queued like a
                // Pub/Sub frame, appended when it is put back.
                crate::pubsub::queue_pending_push(srv, id, line.clone(), line.clone());
            }
        }
    }
    srv.client_admin.monitors = monitors;
}

// ---- CLIENT PAUSE / UNPAUSE ----

/// CLIENT PAUSE timeout [WRITE|ALL] → OK. For `timeout` ms, commands
/// (ALL, the default) or commands that may write or replicate (WRITE:
/// write commands, EVAL/FCALL of scripts that may write, PUBLISH, PFCOUNT,
/// EXEC of such) wait, neither run nor rejected, until the pause ends or
/// CLIENT UNPAUSE; keys do not expire and nothing is evicted meanwhile. A
/// new pause keeps the later end and the more restrictive type (Redis
/// `pauseClients`). Errors: `ERR CLIENT PAUSE mode must be WRITE or ALL`,
/// `ERR timeout is not an integer or out of range`, `ERR timeout is negative`.
pub fn client_pause_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() != 3 && c.argv.len() != 4 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let mut ptype = PauseType::All;
    if c.argv.len() == 4 {
        if c.argv[3].eq_ignore_ascii_case(b"write") {
            ptype = PauseType::Write;
        } else if c.argv[3].eq_ignore_ascii_case(b"all") {
            ptype = PauseType::All;
        } else {
            c.add_reply_error("ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    }
    let Some(ms) = crate::util::string2ll(&c.argv[2]) else {
        c.add_reply_error("ERR timeout is not an integer or out of range");
        return;
    };
    if ms < 0 {
        c.add_reply_error("ERR timeout is negative");
        return;
    }
    let end = if ms > 0 {
        ms.saturating_add(srv.mstime)
    } else {
        0
    };
    pause_clients(srv, PausePurpose::ByClientCommand, end, ptype);
    c.add_reply_ok();
}

/// CLIENT UNPAUSE → OK: ends the pause; waiting commands run.
pub fn client_unpause_command(srv: &mut Server, c: &mut Client) {
    unpause_clients(srv, PausePurpose::ByClientCommand);
    c.add_reply_ok();
}

/// Pauses clients for `purpose` until `end` (unix ms) for `ptype`
/// commands, keeping the later end and the more restrictive type of that
/// purpose's pause in force (Redis `pauseClients`).
pub fn pause_clients(srv: &mut Server, purpose: PausePurpose, end: i64, ptype: PauseType) {
    let p = &mut srv.client_admin.pause_per_purpose[purpose as usize];
    *p = Some(match *p {
        None => (ptype, end),
        Some((t, e)) => (t.max(ptype), e.max(end)),
    });
    update_client_pause_type_and_end_time(srv);
}

/// Ends `purpose`'s pause; postponed clients run again if the pause in
/// force became less restrictive (Redis `unpauseClients`).
pub fn unpause_clients(srv: &mut Server, purpose: PausePurpose) {
    if srv.client_admin.pause_per_purpose[purpose as usize]
        .take()
        .is_some()
    {
        update_client_pause_type_and_end_time(srv);
    }
}

/// Recomputes the pause in force from the purposes' pauses, dropping those
/// whose time has passed: the most restrictive type, and the latest end
/// among the pauses of that type. Postponed clients are released when the
/// type became less restrictive (Redis `updateClientPauseTypeAndEndTime`).
fn update_client_pause_type_and_end_time(srv: &mut Server) {
    let now = srv.mstime;
    let st = &mut srv.client_admin;
    let old_type = st.pause_type;
    let mut ptype = PauseType::Off;
    for p in st.pause_per_purpose.iter_mut() {
        match *p {
            Some((_, end)) if end < now => *p = None,
            Some((t, _)) => ptype = ptype.max(t),
            None => {}
        }
    }
    let end = st
        .pause_per_purpose
        .iter()
        .flatten()
        .filter(|(t, _)| *t == ptype)
        .map(|&(_, e)| e)
        .max()
        .unwrap_or(0);
    st.pause_type = ptype;
    st.pause_end_time = end;
    if ptype < old_type {
        unblock_postponed_clients(srv);
    }
}

/// True while clients are paused, ending a pause whose time has passed
/// first (Redis `checkClientPauseTimeoutAndReturnIfPaused`). Expiry and
/// eviction ask this: while paused the dataset does not change by itself.
#[inline]
pub fn check_client_pause_timeout_and_return_if_paused(srv: &mut Server) -> bool {
    if srv.client_admin.pause_type == PauseType::Off {
        return false;
    }
    if srv.client_admin.pause_end_time < srv.mstime {
        update_client_pause_type_and_end_time(srv);
    }
    srv.client_admin.pause_type != PauseType::Off
}

/// True while any CLIENT PAUSE is in force (Redis `areClientsPaused`).
#[inline]
pub fn are_clients_paused(srv: &Server) -> bool {
    srv.client_admin.pause_type != PauseType::Off
}

/// Whether the pause holds back this command (Redis `processCommand`'s
/// pause check): with ALL every command, with WRITE those whose flags
/// (already adjusted for scripts, and for EXEC the queued commands')
/// include `write` or `may_replicate`.
pub fn must_postpone(srv: &mut Server, may_replicate: bool) -> bool {
    if !check_client_pause_timeout_and_return_if_paused(srv) {
        return false;
    }
    match srv.client_admin.pause_type {
        PauseType::All => true,
        PauseType::Write => may_replicate,
        PauseType::Off => false,
    }
}

/// Holds the client's command until the pause ends (Redis
/// `blockPostponeClient`): the client counts as blocked (`b` in CLIENT
/// LIST, INFO `blocked_clients`), keeps its argv and reads no further
/// command.
pub fn block_postpone_client(srv: &mut Server, c: &mut Client) {
    c.flags |= CLIENT_BLOCKED | CLIENT_PENDING_COMMAND;
    srv.client_admin.postponed.push((c.slot, c.id));
}

/// Number of clients whose command waits for a pause to end.
pub fn postponed_clients(srv: &Server) -> usize {
    srv.client_admin.postponed.len()
}

/// Releases every postponed client: each runs its command again (and may
/// be postponed again) in `before_sleep` (Redis `unblockPostponedClients`).
fn unblock_postponed_clients(srv: &mut Server) {
    let list = std::mem::take(&mut srv.client_admin.postponed);
    for (slot, id) in list {
        srv.client_admin.unpaused.push_back((slot, id));
    }
}

/// Runs the commands of clients released from a pause, then what waits in
/// their query buffers (from `before_sleep`; Redis
/// `processUnblockedClients` for `BLOCKED_POSTPONE`). Also ends a pause
/// whose time has passed.
pub fn process_unpaused_clients(srv: &mut Server) {
    check_client_pause_timeout_and_return_if_paused(srv);
    while let Some((slot, id)) = srv.client_admin.unpaused.pop_front() {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if c.id == id && c.flags & CLIENT_PENDING_COMMAND != 0 {
            c.flags &= !CLIENT_BLOCKED;
            process_input_buffer(srv, &mut c);
            if c.flags & CLIENT_PENDING_READ != 0 {
                srv.mark_pending_read(&mut c);
            }
        }
        srv.put_client(c);
    }
}

/// True when postponed clients were released and wait to run: the event
/// loop must not sleep.
pub fn has_unpaused_clients(srv: &Server) -> bool {
    !srv.client_admin.unpaused.is_empty()
}

/// Forgets a client being freed: it stops being a monitor, postponed or
/// counted for client eviction.
pub fn free_client_admin_state(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MONITOR != 0 {
        srv.client_admin.monitors.retain(|&(_, id)| id != c.id);
        c.flags &= !CLIENT_MONITOR;
    }
    if c.flags & CLIENT_PENDING_COMMAND != 0 {
        srv.client_admin.postponed.retain(|&(_, id)| id != c.id);
        c.flags &= !(CLIENT_PENDING_COMMAND | CLIENT_BLOCKED);
    }
    remove_client_from_mem_usage_bucket(srv, c, false);
}

// ---- Client memory and eviction ----

/// The memory a client uses, bytes (Redis `getClientMemoryUsage`, CLIENT
/// LIST `tot-mem`): output buffer beyond the reply buffer, the query
/// buffer's allocation (and a master client's unapplied stream), the
/// client struct and its reply buffer, the
/// arguments (bytes plus a pointer each), the MULTI queue and watched keys,
/// and the overhead of subscriptions and tracking prefixes.
pub fn get_client_memory_usage(srv: &Server, c: &Client) -> usize {
    let mut mem = get_client_output_buffer_memory_usage(srv, c);
    mem += c.querybuf.capacity() + c.qb_pos;
    // Our master's stream bytes read but not yet applied and proxied.
    mem += c.repl.as_ref().map_or(0, |r| r.repl_unapplied.capacity());
    mem += std::mem::size_of::<Client>() + c.buf_usable_size;
    mem += c.argv.iter().map(|a| a.len()).sum::<usize>() + 8 * c.argv.len();
    mem += c.mstate.mem_overhead() + crate::multi::watched_keys_mem(srv, c.id);
    mem += c.pubsub.patterns.len() * 24;
    mem += c.pubsub.channels.len() * 24 + c.pubsub.channels.capacity() * 8;
    mem += c.pubsub.shard_channels.len() * 24 + c.pubsub.shard_channels.capacity() * 8;
    mem += c.tracking.prefixes.len() * 32;
    mem
}

/// The bucket for a client of `mem` bytes: log2, clamped (Redis
/// `getMemUsageBucket`).
fn get_mem_usage_bucket(mem: usize) -> usize {
    let bits = usize::BITS - mem.leading_zeros();
    (bits.clamp(
        CLIENT_MEM_USAGE_BUCKET_MIN_LOG,
        CLIENT_MEM_USAGE_BUCKET_MAX_LOG,
    ) - CLIENT_MEM_USAGE_BUCKET_MIN_LOG) as usize
}

/// True when client eviction may pick this client (Redis
/// `clientEvictionAllowed`): `maxmemory-clients` is set, the client is not
/// NO-EVICT, is a real connection and is a normal or Pub/Sub client.
fn client_eviction_allowed(srv: &Server, c: &Client) -> bool {
    srv.config.maxmemory_clients != 0
        && c.flags & CLIENT_NO_EVICT == 0
        && c.conn.is_some()
        && matches!(
            get_client_type(c),
            crate::config::CLIENT_TYPE_NORMAL | crate::config::CLIENT_TYPE_PUBSUB
        )
}

/// Takes the client's last counted memory out of its bucket's sum, and
/// out of the bucket itself unless `allow_eviction` (Redis
/// `removeClientFromMemUsageBucket`).
fn remove_client_from_mem_usage_bucket(srv: &mut Server, c: &mut Client, allow_eviction: bool) {
    let Some(b) = c.mem_usage_bucket else {
        return;
    };
    if let Some(bucket) = srv.client_admin.buckets.get_mut(b) {
        bucket.mem_usage_sum = bucket.mem_usage_sum.saturating_sub(c.last_memory_usage);
        if !allow_eviction {
            bucket.clients.remove(&c.id);
        }
    }
    if !allow_eviction {
        c.mem_usage_bucket = None;
    }
}

/// True when the client's memory must be recounted after it changed:
/// client eviction is on, or the client is still in a bucket. One branch
/// when `maxmemory-clients` is 0.
#[inline]
pub fn client_mem_tracking_active(srv: &Server, c: &Client) -> bool {
    !srv.client_admin.buckets.is_empty() || c.mem_usage_bucket.is_some()
}

/// Recounts the client's memory and moves it to the matching bucket
/// (Redis `updateClientMemUsageAndBucket`). Returns false when the client
/// cannot be evicted (then it is in no bucket).
pub fn update_client_mem_usage_and_bucket(srv: &mut Server, c: &mut Client) -> bool {
    let allow = client_eviction_allowed(srv, c) && !srv.client_admin.buckets.is_empty();
    remove_client_from_mem_usage_bucket(srv, c, allow);
    if !allow {
        return false;
    }
    let mem = get_client_memory_usage(srv, c);
    c.last_memory_usage = mem;
    let b = get_mem_usage_bucket(mem);
    let buckets = &mut srv.client_admin.buckets;
    buckets[b].mem_usage_sum += mem;
    if c.mem_usage_bucket != Some(b) {
        if let Some(old) = c.mem_usage_bucket {
            buckets[old].clients.remove(&c.id);
        }
        buckets[b].clients.insert(c.id);
        c.mem_usage_bucket = Some(b);
    }
    true
}

/// Recounts the client's memory for client eviction if it is on (after a
/// command, a read or a write).
#[inline]
pub fn update_client_mem_usage_if_tracked(srv: &mut Server, c: &mut Client) {
    if client_mem_tracking_active(srv, c) {
        update_client_mem_usage_and_bucket(srv, c);
    }
}

/// Applies a new `maxmemory-clients` (Redis `applyClientMaxMemoryUsage`):
/// turning it on counts every client into the buckets, turning it off
/// drops them. The client running CONFIG SET is counted after its command.
pub fn apply_client_max_memory_usage(srv: &mut Server) {
    if srv.config.maxmemory_clients != 0 && !srv.client_admin.buckets.is_empty() {
        return;
    }
    if srv.config.maxmemory_clients != 0 {
        srv.client_admin.buckets = (0..CLIENT_MEM_USAGE_BUCKETS)
            .map(|_| MemUsageBucket::default())
            .collect();
    }
    let slots: Vec<usize> = srv.clients_iter().map(|c| c.slot).collect();
    for slot in slots {
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        if srv.config.maxmemory_clients == 0 {
            remove_client_from_mem_usage_bucket(srv, &mut c, false);
        } else {
            update_client_mem_usage_and_bucket(srv, &mut c);
        }
        srv.put_client(c);
    }
    if srv.config.maxmemory_clients == 0 {
        srv.client_admin.buckets.clear();
    }
}

/// The client-eviction limit in bytes, 0 for none (Redis
/// `getClientEvictionLimit`): `maxmemory-clients` as bytes, or as a
/// percentage of `maxmemory` (none while maxmemory is 0), never under
/// 128 KiB so that a bad setting cannot lock everybody out.
pub fn get_client_eviction_limit(srv: &Server) -> usize {
    let mc = srv.config.maxmemory_clients;
    let maxmemory = srv.config.maxmemory;
    let limit = if mc < 0 && maxmemory > 0 {
        (maxmemory as f64 * -(mc as f64) / 100.0) as usize
    } else if mc > 0 {
        mc as usize
    } else {
        return 0;
    };
    limit.max(128 * 1024)
}

/// True when client eviction has buckets to look at (cheap check for the
/// command path).
#[inline]
pub fn client_eviction_active(srv: &Server) -> bool {
    !srv.client_admin.buckets.is_empty()
}

/// Frees clients, biggest first, until the clients' memory is under the
/// limit (Redis `evictClients`). Each gets the notice "Evicting client:
/// <client info>" and counts in INFO `evicted_clients`; when nothing
/// evictable is left: warning "Over client maxmemory after evicting all
/// evictable clients". `current` is the client whose command is about to
/// run (out of the client table): if it is chosen it is closed and the
/// function returns true, and its command must not run.
pub fn evict_clients(srv: &mut Server, mut current: Option<&mut Client>) -> bool {
    if srv.client_admin.buckets.is_empty() {
        return false;
    }
    let limit = get_client_eviction_limit(srv);
    if limit == 0 {
        return false;
    }
    let mut evicted_self = false;
    let mut b = CLIENT_MEM_USAGE_BUCKETS - 1;
    loop {
        let total: usize = srv
            .client_admin
            .buckets
            .iter()
            .map(|b| b.mem_usage_sum)
            .sum();
        if total < limit {
            break;
        }
        let Some(&id) = srv.client_admin.buckets[b].clients.iter().next() else {
            if b == 0 {
                tracing::warn!("Over client maxmemory after evicting all evictable clients");
                break;
            }
            b -= 1;
            continue;
        };
        if let Some(cur) = current.as_deref_mut()
            && cur.id == id
        {
            let info = crate::server_cmds::client_info_string(srv, cur);
            tracing::info!("Evicting client: {}", info);
            remove_client_from_mem_usage_bucket(srv, cur, false);
            srv.close_client_asap(cur);
            srv.client_admin.stat_evictedclients += 1;
            evicted_self = true;
            continue;
        }
        let victim = srv.lookup_client_by_id(id).and_then(|s| srv.take_client(s));
        match victim {
            Some(mut v) if v.id == id => {
                let info = crate::server_cmds::client_info_string(srv, &v);
                tracing::info!("Evicting client: {}", info);
                remove_client_from_mem_usage_bucket(srv, &mut v, false);
                srv.client_admin.stat_evictedclients += 1;
                if v.flags & CLIENT_CLOSE_ASAP != 0 {
                    // Already queued for closing: freed in before_sleep.
                    srv.put_client(v);
                } else {
                    srv.free_client(v);
                }
            }
            other => {
                if let Some(v) = other {
                    srv.put_client(v);
                }
                // Not reachable (out of the table): stop counting it.
                if let Some(bucket) = srv.client_admin.buckets.get_mut(b) {
                    bucket.clients.remove(&id);
                }
            }
        }
    }
    evicted_self
}

// ---- Buffer resizing (clients cron) ----

/// Gives back query-buffer space the client does not use (Redis
/// `clientsCronResizeQueryBuffer`): when more than 4 KiB are free, an idle
/// (over 2 s) client's buffer shrinks to its content, and a buffer over 32
/// KiB and more than twice its recent peak shrinks to that peak (or to the
/// bulk being read). The peak restarts from the current length.
pub fn clients_cron_resize_query_buffer(c: &mut Client, now_ms: i64) {
    let alloc = c.querybuf.capacity();
    let len = c.querybuf.len();
    if alloc - len > 4 * 1024 {
        let idle = (now_ms - c.lastinteraction) / 1000;
        if idle > 2 {
            shrink_querybuf_to(c, len);
        } else if alloc > PROTO_RESIZE_THRESHOLD && alloc / 2 > c.querybuf_peak {
            let mut resize = len.max(c.querybuf_peak);
            if c.parser.bulklen >= 0 {
                resize = resize.max(c.parser.bulklen as usize + 2);
            }
            shrink_querybuf_to(c, resize);
        }
    }
    c.querybuf_peak = c.querybuf.len();
    if c.parser.bulklen >= 0 && c.parser.bulklen as usize > c.querybuf_peak {
        c.querybuf_peak = c.parser.bulklen as usize;
    }
}

/// Replaces the query buffer with one of `cap` bytes holding the same content.
fn shrink_querybuf_to(c: &mut Client, cap: usize) {
    if cap == 0 {
        c.querybuf = BytesMut::new();
        return;
    }
    let mut nb = BytesMut::with_capacity(cap.max(c.querybuf.len()));
    nb.extend_from_slice(&c.querybuf);
    c.querybuf = nb;
}

/// Resizes the client's reply buffer to its recent use (Redis
/// `clientsCronResizeOutputBuffer`): halved (to at least 1 KiB, and to
/// just over the peak) while the peak stays under half of it, doubled up
/// to 16 KiB while the peak fills it; counted in INFO
/// `reply_buffer_shrinks` / `reply_buffer_expands`. The peak restarts
/// every `reply_buffer_peak_reset_time` ms.
pub fn clients_cron_resize_output_buffer(srv: &mut Server, c: &mut Client, now_ms: i64) {
    let st = &mut srv.client_admin;
    if !st.reply_buffer_resizing_enabled {
        return;
    }
    let shrink_target = c.buf_usable_size / 2;
    let expand_target = c.buf_usable_size * 2;
    let mut new_size = 0;
    if shrink_target >= PROTO_REPLY_MIN_BYTES && c.buf_peak < shrink_target {
        new_size = PROTO_REPLY_MIN_BYTES.max(c.buf_peak + 1);
        st.stat_reply_buffer_shrinks += 1;
    } else if expand_target < PROTO_REPLY_CHUNK_BYTES * 2 && c.buf_peak == c.buf_usable_size {
        new_size = PROTO_REPLY_CHUNK_BYTES.min(expand_target);
        st.stat_reply_buffer_expands += 1;
    }
    if st.reply_buffer_peak_reset_time >= 0
        && now_ms - c.buf_peak_last_reset_time >= st.reply_buffer_peak_reset_time
    {
        c.buf_peak = reply_buffer_pos(c);
        c.buf_peak_last_reset_time = now_ms;
    }
    if new_size != 0 {
        c.buf_usable_size = new_size;
    }
}

/// Bytes of unsent replies that sit in the reply buffer (Redis `bufpos`,
/// CLIENT LIST `obl`).
#[inline]
pub fn reply_buffer_pos(c: &Client) -> usize {
    c.reply_bytes.min(c.buf_usable_size)
}

/// Records the biggest input and output buffers of this second for INFO
/// `client_recent_max_input_buffer` / `client_recent_max_output_buffer`
/// (Redis `clientsCronTrackExpansiveClients`).
pub fn clients_cron_track_expansive_clients(srv: &mut Server, c: &Client, slot_idx: usize) {
    let input = c.querybuf.capacity() + c.argv.iter().map(|a| a.len()).sum::<usize>();
    let output = get_client_output_buffer_memory_usage(srv, c);
    let st = &mut srv.client_admin;
    let i = slot_idx % CLIENTS_PEAK_MEM_USAGE_SLOTS;
    st.peak_mem_input[i] = st.peak_mem_input[i].max(input);
    st.peak_mem_output[i] = st.peak_mem_output[i].max(output);
}

/// Clears the slot of the second after `now_s`, so each slot holds one
/// second's peaks (called once per clients cron).
pub fn clients_cron_rotate_peaks(srv: &mut Server, now_s: i64) -> usize {
    let cur = now_s.rem_euclid(CLIENTS_PEAK_MEM_USAGE_SLOTS as i64) as usize;
    let next = (cur + 1) % CLIENTS_PEAK_MEM_USAGE_SLOTS;
    srv.client_admin.peak_mem_input[next] = 0;
    srv.client_admin.peak_mem_output[next] = 0;
    cur
}

/// The biggest input and output buffers of the last seconds (Redis
/// `getExpansiveClientsInfo`).
pub fn get_expansive_clients_info(srv: &Server) -> (usize, usize) {
    let st = &srv.client_admin;
    (
        st.peak_mem_input.iter().copied().max().unwrap_or(0),
        st.peak_mem_output.iter().copied().max().unwrap_or(0),
    )
}

// ---- DEBUG CLIENT-EVICTION / REPLYBUFFER, stats ----

/// DEBUG CLIENT-EVICTION → verbatim text, one line per bucket:
/// `bucket <lo> - <hi>: tot-mem: <sum>, clients: <n>` (Redis's widths).
/// Error: `ERR maxmemory-clients is disabled.`.
pub fn debug_client_eviction(srv: &mut Server, c: &mut Client) {
    if srv.client_admin.buckets.is_empty() {
        c.add_reply_error("ERR maxmemory-clients is disabled.");
        return;
    }
    let mut out = String::new();
    let min = CLIENT_MEM_USAGE_BUCKET_MIN_LOG as usize;
    for (j, b) in srv.client_admin.buckets.iter().enumerate() {
        if j == 0 {
            out.push_str("bucket          0");
        } else {
            out.push_str(&format!("bucket {:>10}", 1usize << (j - 1 + min)));
        }
        if j == CLIENT_MEM_USAGE_BUCKETS - 1 {
            out.push_str("+            : ");
        } else {
            out.push_str(&format!(" - {:>10}: ", (1usize << (j + min)) - 1));
        }
        out.push_str(&format!(
            "tot-mem: {:>10}, clients: {}\n",
            b.mem_usage_sum,
            b.clients.len()
        ));
    }
    c.add_reply_verbatim(out.as_bytes(), "txt");
}

/// DEBUG REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> | RESIZING <0|1> →
/// OK: the reply-buffer peak reset period (never, the default 5000 ms, or
/// `ms`) or whether the cron resizes reply buffers at all. Errors: `ERR
/// value is not an integer or out of range`, unknown subcommand.
pub fn debug_replybuffer(srv: &mut Server, c: &mut Client) {
    let what = c.argv[2].clone();
    let arg = c.argv[3].clone();
    if what.eq_ignore_ascii_case(b"peak-reset-time") {
        if arg.eq_ignore_ascii_case(b"never") {
            srv.client_admin.reply_buffer_peak_reset_time = -1;
        } else if arg.eq_ignore_ascii_case(b"reset") {
            srv.client_admin.reply_buffer_peak_reset_time = REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME;
        } else {
            match crate::util::string2ll(&arg) {
                Some(v) => srv.client_admin.reply_buffer_peak_reset_time = v,
                None => {
                    c.add_reply_error(crate::shared::err_not_integer());
                    return;
                }
            }
        }
    } else if what.eq_ignore_ascii_case(b"resizing") {
        srv.client_admin.reply_buffer_resizing_enabled = crate::util::atoll(&arg) as i32 != 0;
    } else {
        c.add_reply_subcommand_arity_error();
        return;
    }
    c.add_reply_ok();
}

/// Clears the client-administration counters of INFO stats (CONFIG
/// RESETSTAT): `evicted_clients`, `reply_buffer_shrinks`, `reply_buffer_expands`.
pub fn reset_stats(srv: &mut Server) {
    srv.client_admin.stat_evictedclients = 0;
    srv.client_admin.stat_reply_buffer_shrinks = 0;
    srv.client_admin.stat_reply_buffer_expands = 0;
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
    // Room for a whole read, as Redis makes before reading: CLIENT LIST
    // shows it in `qbuf-free`, and the cron gives it back when idle.
    let qblen = c.querybuf.len();
    if c.querybuf.capacity() - qblen < PROTO_IOBUF_LEN
        && c.parser.bulklen < PROTO_MBULK_BIG_ARG as i64
    {
        c.querybuf.reserve(PROTO_IOBUF_LEN);
    }
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
                // The buffer is full: run what it holds before growing it,
                // as Redis does after each read. A big argument's header
                // then sizes the buffer exactly for it instead of doubling.
                if c.querybuf.capacity() - c.querybuf.len() < n
                    && !c.querybuf.is_empty()
                    && c.parser.bulklen < PROTO_MBULK_BIG_ARG as i64
                {
                    process_input_buffer(srv, c);
                }
                c.querybuf.extend_from_slice(&buf[..n]);
                total += n;
                if c.flags & crate::replication::CLIENT_MASTER != 0 {
                    crate::replication::replica::master_read_bytes(c, &buf[..n]);
                    srv.repl.stat_net_repl_input_bytes += n as u64;
                } else {
                    srv.stat_net_input_bytes += n as u64;
                }
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
    // A TLS handshake flight the socket did not take: the write pass
    // sends the rest and keeps WRITABLE interest until it has left.
    if c.conn.as_ref().is_some_and(|x| x.wants_write()) {
        srv.mark_pending_write(c);
    }
    if total > 0 {
        c.lastinteraction = srv.mstime;
    }
    // Redis counts the room it made for the read in the peak.
    c.querybuf_peak = c
        .querybuf_peak
        .max(c.querybuf.len())
        .max(qblen + PROTO_IOBUF_LEN);
    if c.querybuf.len() > srv.config.client_query_buffer_limit as usize
        && c.flags & crate::replication::CLIENT_MASTER == 0
    {
        tracing::warn!(
            "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
            crate::server_cmds::client_info_string(srv, c),
            crate::config::repr(&c.querybuf[..c.querybuf.len().min(64)])
        );
        return false;
    }
    process_input_buffer(srv, c);
    // A buffer emptied by the commands gets its room back (the arguments
    // that pointed into it are gone).
    if c.querybuf.is_empty() && c.querybuf.capacity() < PROTO_IOBUF_LEN && c.querybuf.capacity() > 0
    {
        c.querybuf.reserve(PROTO_IOBUF_LEN);
    }
    update_client_mem_usage_if_tracked(srv, c);
    // Closed meanwhile (output buffer limit, eviction): freed at once, as
    // Redis's `beforeNextClient` does, so its memory is gone before the
    // next client's command.
    if c.flags & CLIENT_CLOSE_ASAP != 0 {
        return false;
    }
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
/// `processInputBuffer`), at most [`COMMANDS_PER_TURN`] of them. A command
/// postponed by CLIENT PAUSE (`CLIENT_PENDING_COMMAND`) runs first.
pub fn process_input_buffer(srv: &mut Server, c: &mut Client) {
    c.flags &= !CLIENT_PENDING_READ;
    if c.flags & CLIENT_PENDING_COMMAND != 0 {
        if c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_BLOCKED) != 0 {
            return;
        }
        c.flags &= !CLIENT_PENDING_COMMAND;
        if !process_command_and_reset_client(srv, c) {
            if c.has_pending_replies() {
                srv.mark_pending_write(c);
            }
            return;
        }
    }
    let mut ran = 0;
    // `qb_pos` counts the bytes parsed in this pass (CLIENT LIST `qbuf`).
    let start_len = c.querybuf.len();
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
            is_master: c.flags & crate::replication::CLIENT_MASTER != 0,
        };
        match c.parser.parse(&mut c.querybuf, &mut c.argv, &limits) {
            Ok(false) => break,
            Ok(true) => {
                if c.argv.is_empty() {
                    // An empty line from a replica is its keep-alive while
                    // it loads our RDB: it counts as an ACK's time (Redis
                    // `processInlineBuffer`).
                    if c.flags & crate::replication::CLIENT_SLAVE != 0
                        && c.flags & CLIENT_MONITOR == 0
                    {
                        crate::replication::master::client_repl(c).repl_ack_time =
                            srv.mstime / 1000;
                    }
                    c.parser.reset();
                    continue;
                }
                c.qb_pos = start_len.saturating_sub(c.querybuf.len());
                ran += 1;
                if !process_command_and_reset_client(srv, c) {
                    break;
                }
            }
            Err(e) => {
                // The log's client info counts the parsed bytes too.
                c.qb_pos = start_len.saturating_sub(c.querybuf.len());
                set_protocol_error(srv, c, &e);
                break;
            }
        }
    }
    c.qb_pos = 0;
    if c.has_pending_replies() {
        srv.mark_pending_write(c);
    }
}

/// Runs the command in the client's argv and resets the client for the
/// next one (Redis `processCommandAndResetClient`). Returns false when the
/// client must stop here: blocked (its argv is kept for when it is served
/// or the pause ends).
fn process_command_and_reset_client(srv: &mut Server, c: &mut Client) -> bool {
    let hard = srv.config.client_output_buffer_limit[get_client_type(c)].hard_limit_bytes;
    // Past this, the limit check after the command (which does not count
    // the reply buffer) certainly closes the client.
    c.reply_hard_limit = if hard == 0 {
        usize::MAX
    } else {
        (hard as usize).saturating_add(c.buf_usable_size)
    };
    let prev_current = srv.tracking.current.replace(c.id);
    server::process_command(srv, c);
    srv.tracking.current = prev_current;
    crate::tracking::after_process_command(srv, c);
    if c.flags & CLIENT_BLOCKED != 0 {
        // The command runs again when a key is ready or the pause ends:
        // keep its argv; unblocking resets the client.
        return false;
    }
    reset_client(c);
    if c.flags & crate::replication::CLIENT_MASTER != 0 {
        crate::replication::replica::master_command_processed(srv, c);
    }
    // The output buffer may have grown (Redis updates after each command).
    update_client_mem_usage_if_tracked(srv, c);
    true
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
    c.original_argv = None;
    // CLIENT REPLY SKIP applies to the one command after it.
    if c.flags & CLIENT_REPLY_SKIP != 0 {
        c.flags &= !CLIENT_REPLY_SKIP;
    }
    if c.flags & CLIENT_REPLY_SKIP_NEXT != 0 {
        c.flags |= CLIENT_REPLY_SKIP;
        c.flags &= !CLIENT_REPLY_SKIP_NEXT;
    }
}

/// Answers a protocol error and marks the client to be closed once the
/// reply is written (Redis `setProtocolError`). At `loglevel verbose` or
/// lower the server logs "Protocol error (<what>) from client: <client
/// info>. Query buffer during protocol error: '<sample>'", the sample taken
/// from where the bad line starts ([`protocol_error_sample`]).
fn set_protocol_error(srv: &mut Server, c: &mut Client, e: &crate::resp::ProtocolError) {
    let mut msg = b"ERR ".to_vec();
    msg.extend_from_slice(&e.reply);
    c.add_reply_error_bytes(&msg);
    srv.record_error_codes(c);
    if srv.config.loglevel_index() <= 1 {
        let info = crate::server_cmds::client_info_string(srv, c);
        tracing::debug!(
            "Protocol error ({}) from client: {}. {}",
            e.log,
            info,
            protocol_error_sample(&c.querybuf)
        );
    }
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    c.querybuf.clear();
}

/// Redis's `PROTO_DUMP_LEN`: how much of the query buffer a protocol
/// error's log line shows, bytes.
const PROTO_DUMP_LEN: usize = 128;

/// The query buffer sample of a protocol error's log line, as Redis prints
/// it: the whole rest when under [`PROTO_DUMP_LEN`] bytes, else its first
/// and last 64 bytes around "(... more N bytes ...)"; each part ends at a
/// NUL (C strings), the line is cut at 255 bytes and every byte that is
/// not printable ASCII shows as `.`.
pub fn protocol_error_sample(q: &[u8]) -> String {
    let mut out = b"Query buffer during protocol error: '".to_vec();
    if q.len() < PROTO_DUMP_LEN {
        out.extend_from_slice(c_str(q, usize::MAX));
        out.push(b'\'');
    } else {
        let half = PROTO_DUMP_LEN / 2;
        out.extend_from_slice(c_str(q, half));
        out.extend_from_slice(
            format!("' (... more {} bytes ...) '", q.len() - PROTO_DUMP_LEN).as_bytes(),
        );
        out.extend_from_slice(c_str(&q[q.len() - half..], half));
        out.push(b'\'');
    }
    out.truncate(255);
    out.iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

// ---- Output ----

/// Writes as much of the client's pending replies as the socket takes
/// (Redis `writeToClient`). Returns false if the client must be freed.
pub fn write_to_client(srv: &mut Server, c: &mut Client) -> bool {
    if c.flags & crate::replication::CLIENT_SLAVE != 0 {
        return crate::replication::master::write_to_replica(srv, c);
    }
    let mut written = 0usize;
    // What sits in the reply buffer now is its peak candidate (Redis
    // tracks `buf_peak` as replies are added).
    let pos = reply_buffer_pos(c);
    if pos > c.buf_peak {
        c.buf_peak = pos;
    }
    // Set when the socket pushed back (as opposed to the budget running out).
    let mut blocked = false;
    // TLS records left from an earlier pass (a handshake flight, or the
    // end of the last reply) go out even when no reply is waiting.
    if c.reply_bytes == 0
        && let Some(Conn::Tls(s)) = c.conn.as_mut()
        && s.wants_write()
    {
        match s.flush_tls() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => blocked = true,
            Err(e) => {
                tracing::debug!("Error writing to client: {}", e);
                return false;
            }
        }
    }
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
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                blocked = true;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::debug!("Error writing to client: {}", e);
                return false;
            }
        }
    }
    // Writing to our master (ACKs) is no sign of life from it: only what
    // we read from it counts, or a silent master would never time out
    // (Redis `writeToClient`).
    if written > 0 && c.flags & crate::replication::CLIENT_MASTER == 0 {
        c.lastinteraction = srv.mstime;
    }
    let pending = c.reply_bytes > 0;
    if !pending {
        // Keep one (emptied) chunk so the next reply needs no allocation,
        // but no bigger than Redis's reply buffer (`buf_usable_size`): what
        // a big reply grew beyond it is freed, as Redis frees its reply
        // list. Kept capacity counts as used memory, and under maxmemory
        // tracking clients' invalidations would otherwise feed eviction.
        c.reply.truncate(1);
        let keep = c.buf_usable_size.max(1024);
        if let Some(first) = c.reply.front_mut() {
            first.clear();
            if first.capacity() > keep {
                first.shrink_to(keep);
            }
        }
        c.sentlen = 0;
        if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 && !c.output_pending() {
            return false;
        }
    }
    let pending = c.output_pending();
    update_write_interest(srv, c, pending, blocked)
}

/// Registers WRITABLE interest for a client with `pending` output, or
/// drops it, after a write pass that the socket stopped (`blocked`) or not.
/// Returns false if the registration failed (the client must be freed).
pub fn update_write_interest(
    srv: &mut Server,
    c: &mut Client,
    pending: bool,
    blocked: bool,
) -> bool {
    // Register WRITABLE only when the socket pushed back. When the write
    // budget, not the socket, stopped this pass, the registration is
    // renewed even if WRITABLE is on already: the poller is edge-triggered
    // and re-arming a writable socket reports it again at once.
    if pending != c.write_registered || (pending && !blocked) {
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
        // Output that passed the hard limit outside a command of its own
        // (MONITOR lines, a served blocked command): closed the normal way.
        if c.flags & CLIENT_OBUF_LIMIT_HIT != 0 {
            close_client_on_output_buffer_limit_reached(srv, &mut c, true);
        }
        // A client queued for closing gets nothing more (Redis skips it).
        if c.flags & CLIENT_CLOSE_ASAP != 0 {
            srv.put_client(c);
            continue;
        }
        let keep = write_to_client(srv, &mut c);
        if keep {
            update_client_mem_usage_if_tracked(srv, &mut c);
        }
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
    fn c_str_stops_at_nul_and_max() {
        assert_eq!(c_str(b"GET\x00x", 128), b"GET");
        assert_eq!(c_str(b"abcdef", 3), b"abc");
        assert_eq!(c_str(b"", 3), b"");
    }

    #[test]
    fn error_bytes_are_sent_raw_with_crlf_masked() {
        let mut c = client();
        c.add_reply_error_bytes(b"ERR unknown command '\xff\r\n'");
        assert_eq!(bytes(&c), b"-ERR unknown command '\xff  '\r\n");
        assert_eq!(c.error_codes, vec!["ERR".to_string()]);
        c.argv = vec![
            Bytes::from_static(b"config"),
            Bytes::from_static(b"\xfe\x00z"),
        ];
        c.add_reply_subcommand_syntax_error();
        assert!(bytes(&c).ends_with(b"-ERR unknown subcommand '\xfe'. Try CONFIG HELP.\r\n"));
    }

    #[test]
    fn protocol_error_sample_as_redis_logs_it() {
        assert_eq!(
            protocol_error_sample(b"*1\r\n$x\r\n"),
            "Query buffer during protocol error: '*1..$x..'"
        );
        assert_eq!(
            protocol_error_sample(b"ab\x00cd"),
            "Query buffer during protocol error: 'ab'"
        );
        let mut big = vec![b'a'; 64];
        big.extend(vec![b'b'; 100]);
        big.extend(vec![b'c'; 64]);
        let want = format!(
            "Query buffer during protocol error: '{}' (... more 100 bytes ...) '{}'",
            "a".repeat(64),
            "c".repeat(64)
        );
        assert_eq!(protocol_error_sample(&big), want);
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
