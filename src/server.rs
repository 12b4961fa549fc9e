//! The server state and its main flow (Redis `server.c`): `Server`,
//! `process_command`, `call`, `server_cron`, `before_sleep` and the event
//! loop that drives them.
//!
//! # One command, end to end
//! `read_query_from_client` → `process_input_buffer` → [`process_command`]
//! (lookup, arity, auth) → [`call`] (time it, count it, run the handler,
//! propagate) → replies wait in the client until `before_sleep` writes them.
//!
//! # The cron
//! [`server_cron`] runs every 1000/hz ms: it refreshes the cached clocks and
//! the LRU clock, samples instantaneous metrics, closes idle clients, runs
//! the slow active-expire cycle and incremental rehashing within a time
//! budget, and handles a pending shutdown. `before_sleep` runs the fast
//! expire cycle, writes pending replies and frees clients queued for closing.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mio::{Interest, Token};

use crate::ae::{EventLoop, FiredEvent, TimerKind};
use crate::anet::Listener;
use crate::commands::{self, CommandTable};
use crate::config::Config;
use crate::db::RedisDb;
use crate::networking::{
    self, CLIENT_CLOSE_AFTER_REPLY, CLIENT_CLOSE_ASAP, CLIENT_MULTI, CLIENT_PENDING_READ,
    CLIENT_PENDING_WRITE, Client,
};
use crate::util::{mstime, ustime};

/// Tokens below this are listeners; clients use `CLIENT_TOKEN_BASE + slot`.
pub const CLIENT_TOKEN_BASE: usize = 64;
/// Most clients handled per cron tick by `clients_cron` besides the minimum.
const CLIENTS_CRON_MIN_ITERATIONS: usize = 5;
/// Instantaneous metrics keep this many samples (Redis `STATS_METRIC_SAMPLES`).
const STATS_METRIC_SAMPLES: usize = 16;
/// LRU clock resolution in ms (Redis `LRU_CLOCK_RESOLUTION`).
pub const LRU_CLOCK_RESOLUTION: i64 = 1000;
/// LRU clock maximum (24 bits).
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// Instantaneous metric slots.
#[derive(Clone, Copy)]
pub enum Metric {
    Command = 0,
    NetInput = 1,
    NetOutput = 2,
    /// Bytes read from our master (`ReplicationState::stat_net_repl_input_bytes`).
    NetInputReplication = 3,
    /// Bytes written to replicas (`MasterSide::stat_net_repl_output_bytes`).
    NetOutputReplication = 4,
}

/// One instantaneous metric (Redis `inst_metric`).
#[derive(Default, Clone)]
pub struct InstMetric {
    pub last_sample_time: i64,
    pub last_sample_count: u64,
    pub samples: [u64; STATS_METRIC_SAMPLES],
    pub idx: usize,
}

/// 40 random hex digits: a run ID or replication ID (Redis `getRandomHexChars`).
pub fn random_hex_id() -> String {
    use rand::RngExt;
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// The one state object: every key, client and statistic.
pub struct Server {
    pub config: Config,
    pub el: EventLoop,
    pub dbs: Vec<RedisDb>,
    clients: Vec<Option<Box<Client>>>,
    free_slots: Vec<usize>,
    /// Client id → slot, for every client in the table or taken out of it
    /// (Redis `server.clients_index`).
    client_ids: HashMap<u64, usize>,
    /// Number of connected clients (including the one being served).
    pub connected_clients: usize,
    pub listeners: Vec<Listener>,
    /// The `port` and `bind` the TCP listeners were opened with.
    pub tcp_listening: (i32, Vec<String>),
    /// The `tls-port` and `bind` the TLS listeners were opened with.
    pub tls_listening: (i32, Vec<String>),
    /// The TLS context (`tls.rs`), once TLS is configured.
    pub tls_ctx: Option<crate::tls::TlsContext>,
    pub commands: CommandTable,
    pub clients_pending_write: Vec<usize>,
    pub clients_pending_read: std::collections::VecDeque<usize>,
    pub clients_to_close: Vec<usize>,
    pub next_client_id: u64,
    /// Cached clocks, refreshed by the cron and at the start of every call.
    pub mstime: i64,
    pub ustime: i64,
    pub lruclock: u32,
    /// Changes since the last save.
    pub dirty: i64,
    pub start_time_ms: i64,
    pub run_id: String,
    /// The replication ID (INFO `master_replid`); DEBUG CHANGE-REPL-ID renews it.
    pub replid: String,
    /// Replication, both roles (`replication/`).
    pub repl: crate::replication::ReplicationState,
    pub pid: u32,
    pub executable: String,
    pub config_file: Option<String>,
    pub hz: i32,
    pub cronloops: u64,
    /// When the while-blocked cron last caught up, ms; 0 outside a
    /// blocking operation (Redis `blocked_last_cron`, see
    /// [`while_blocked_cron`]).
    pub blocked_last_cron: i64,
    pub active_expire_enabled: bool,
    /// A SIGTERM or SIGINT asked for a shutdown that has not started or
    /// is still waiting for replicas (Redis `shutdown_asap`).
    pub shutdown_asap: bool,
    /// The signal behind `shutdown_asap` (`libc::SIGTERM` / `SIGINT`), 0
    /// if none (Redis `last_sig_received`): it picks `shutdown-on-sigterm`
    /// or `shutdown-on-sigint`.
    pub last_sig_received: i32,
    /// `config::SHUTDOWN_*` flags of the shutdown in progress (Redis
    /// `shutdown_flags`).
    pub shutdown_flags: u32,
    /// Unix ms at which a shutdown waiting for lagging replicas stops
    /// waiting; 0 when no shutdown waits (Redis `shutdown_mstime`).
    pub shutdown_mstime: i64,
    pub sigterm: Arc<AtomicBool>,
    pub sigint: Arc<AtomicBool>,
    pub exit_code: Option<i32>,
    // ---- stats (INFO stats) ----
    pub stat_numcommands: u64,
    pub stat_numconnections: u64,
    pub stat_rejected_conn: u64,
    pub stat_expiredkeys: u64,
    pub stat_expired_stale_perc: f64,
    pub stat_expired_time_cap_reached_count: u64,
    pub stat_expire_cycle_time_used: u64,
    pub stat_evictedkeys: u64,
    pub stat_keyspace_hits: u64,
    pub stat_keyspace_misses: u64,
    pub stat_net_input_bytes: u64,
    pub stat_net_output_bytes: u64,
    pub stat_total_error_replies: u64,
    pub stat_total_reads_processed: u64,
    pub stat_total_writes_processed: u64,
    pub stat_unexpected_error_replies: u64,
    pub stat_peak_memory: u64,
    pub errors: HashMap<String, u64>,
    pub inst_metric: [InstMetric; 5],
    pub lastsave: i64,
    /// SAVE and BGSAVE runs started (INFO `rdb_saves`).
    pub stat_rdb_saves: u64,
    /// Keys loaded / skipped as expired by the last RDB load.
    pub rdb_last_load_keys_loaded: u64,
    pub rdb_last_load_keys_expired: u64,
    // ---- memory, refreshed by the cron ----
    pub used_memory: u64,
    pub used_memory_rss: u64,
    // ---- active expire state ----
    pub expire_current_db: usize,
    pub expire_timelimit_exit: bool,
    pub expire_last_fast_cycle: i64,
    /// Keys given a TTL by a client of a writable replica → bitmap of the
    /// databases (0..63) holding them (Redis `slaveKeysWithExpire`; see
    /// `expire::expire_slave_keys`).
    pub slave_keys_with_expire: crate::dict::Dict<u64>,
    clients_cron_cursor: usize,
    /// Scratch buffer every socket read goes through (see `read_query_from_client`).
    pub readbuf: Vec<u8>,
    /// The per-client side of WATCH, by client id (`multi.rs`).
    pub watch: crate::multi::WatchState,
    /// Blocked clients, their timeouts and the keys ready to serve them (`blocked.rs`).
    pub blocked: crate::blocked::BlockedState,
    /// True while EXEC runs its queued commands (Redis `server.in_exec`).
    pub in_exec: bool,
    /// DUMP/RESTORE switches and counters (`rdb/dump.rs`).
    pub dump: crate::rdb::dump::DumpState,
    // ---- propagation (AOF and, later, replication) ----
    /// Writes waiting to be propagated at the end of the current execution
    /// unit (Redis `server.also_propagate`).
    pub also_propagate: Vec<RedisOp>,
    /// Depth of `call` nesting: 0 outside a command, 1 in a top-level
    /// handler, 2 in a command EXEC runs (Redis `server.in_nested_call`).
    pub in_nested_call: u32,
    /// True while the dataset is being loaded (Redis `server.loading`):
    /// nothing is propagated and commands without the `loading` flag get
    /// `-LOADING`.
    pub loading: bool,
    /// The AOF state: on/off, buffer, files, fsync bookkeeping (`aof.rs`).
    pub aof: crate::aof::AofState,
    /// The forked child, if any (`childinfo.rs`).
    pub child: crate::childinfo::ChildState,
    /// RDB background-save state and persistence stats (`rdb.rs`).
    pub rdb: crate::rdb::RdbState,
    /// DEBUG PAUSE-CRON: the cron does nothing while set (Redis `pause_cron`).
    pub pause_cron: bool,
    /// Events of the current poll batch not handled yet (see `ae_main`).
    pub fired_queue: std::collections::VecDeque<FiredEvent>,
    /// Pub/Sub subscriptions by channel and pattern (`pubsub.rs`).
    pub pubsub: crate::pubsub::PubsubState,
    /// The client-side caching tables (`tracking.rs`).
    pub tracking: crate::tracking::TrackingState,
    /// The Lua engine and the running script, if any (`script.rs`, `eval.rs`).
    pub script: crate::script::ScriptState,
    /// Function libraries (`function.rs`).
    pub functions: crate::function::FunctionsState,
    /// The slow log (`slowlog.rs`).
    pub slowlog: crate::slowlog::SlowlogState,
    /// ACL users, the default user and the ACL log (`acl.rs`).
    pub acl: crate::acl::Acl,
    /// The latency monitor's events (`latency.rs`).
    pub latency: crate::latency::LatencyState,
    /// The Prometheus `/metrics` listener and its connections (`metrics.rs`).
    pub metrics: crate::metrics::MetricsState,
    /// Eviction: the pool of candidates and lazy-free counters (`evict.rs`).
    pub evict: crate::evict::EvictState,
    /// Active defrag's run and counters (`defrag.rs`).
    pub defrag: crate::defrag::DefragState,
    /// MONITOR clients, CLIENT PAUSE, client eviction (`networking.rs`).
    pub client_admin: networking::ClientAdminState,
}

/// Propagate to the AOF (Redis `PROPAGATE_AOF`).
pub const PROPAGATE_AOF: u8 = 1;
/// Propagate to replicas (Redis `PROPAGATE_REPL`).
pub const PROPAGATE_REPL: u8 = 2;

/// One write waiting to be propagated (Redis `redisOp`).
#[derive(Clone, Debug)]
pub struct RedisOp {
    /// Database the command runs in (a `SELECT` is emitted when it changes).
    pub dbid: usize,
    pub argv: Vec<bytes::Bytes>,
    /// `PROPAGATE_AOF | PROPAGATE_REPL` bits.
    pub target: u8,
}

/// File descriptors Redis keeps for itself besides clients
/// (`CONFIG_MIN_RESERVED_FDS`).
const CONFIG_MIN_RESERVED_FDS: u64 = 32;

/// Makes room for `maxclients` connections (Redis `adjustOpenFilesLimit`),
/// at startup and on CONFIG SET maxclients: raises RLIMIT_NOFILE to
/// maxclients + 32, stepping down 16 at a time when the system refuses,
/// and lowers `maxclients` to what it got, with Redis's three warning
/// lines ("You requested maxclients of N requiring at least M max file
/// descriptors." ...). When even 32 descriptors are out of reach it logs
/// "Your current 'ulimit -n' of N is not enough for the server to start.
/// ..." and exits with status 1, as Redis does.
#[allow(unsafe_code)]
pub fn adjust_open_files_limit(srv: &mut Server) {
    let want = srv.config.maxclients as u64 + CONFIG_MIN_RESERVED_FDS;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one plain struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        tracing::warn!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            crate::log::os_error_text(&std::io::Error::last_os_error())
        );
        srv.config.maxclients = (1024 - CONFIG_MIN_RESERVED_FDS) as u32;
        return;
    }
    let old = lim.rlim_cur;
    if old >= want {
        return;
    }
    // Try the full amount, then step down as Redis does.
    let mut best = want;
    let mut setrlimit_error = None;
    while best > old {
        let new = libc::rlimit {
            rlim_cur: best as libc::rlim_t,
            rlim_max: (best as libc::rlim_t).max(lim.rlim_max),
        };
        // SAFETY: setrlimit reads one plain struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0 {
            break;
        }
        setrlimit_error = Some(std::io::Error::last_os_error());
        best -= 16.min(best - old);
    }
    best = best.max(old);
    if best >= want {
        tracing::info!(
            "Increased maximum number of open files to {} (it was originally set to {}).",
            want,
            old
        );
        return;
    }
    if best <= CONFIG_MIN_RESERVED_FDS {
        tracing::warn!(
            "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your open file limit to at least {}. Exiting.",
            old,
            want
        );
        std::process::exit(1);
    }
    let reduced = best - CONFIG_MIN_RESERVED_FDS;
    tracing::warn!(
        "You requested maxclients of {} requiring at least {} max file descriptors.",
        srv.config.maxclients,
        want
    );
    tracing::warn!(
        "Server can't set maximum open files to {} because of OS error: {}.",
        want,
        setrlimit_error
            .as_ref()
            .map(crate::log::os_error_text)
            .unwrap_or_default()
    );
    tracing::warn!(
        "Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        best,
        reduced
    );
    srv.config.maxclients = reduced as u32;
}

impl Server {
    /// Builds the server from a loaded config: databases, command table,
    /// event loop (Redis `initServer`). Listeners are opened by `anet`.
    pub fn new(config: Config) -> std::io::Result<Server> {
        let now = mstime();
        let dbs = (0..config.databases.max(1) as usize)
            .map(RedisDb::new)
            .collect();
        let run_id = random_hex_id();
        let hz = config.hz.clamp(1, 500);
        let mut srv = Server {
            el: EventLoop::new(config.maxclients as usize + 128)?,
            dbs,
            clients: Vec::new(),
            free_slots: Vec::new(),
            client_ids: HashMap::new(),
            connected_clients: 0,
            listeners: Vec::new(),
            tcp_listening: (0, Vec::new()),
            tls_listening: (0, Vec::new()),
            tls_ctx: None,
            commands: commands::CommandTable::new(),
            clients_pending_write: Vec::new(),
            clients_pending_read: Default::default(),
            clients_to_close: Vec::new(),
            next_client_id: 1,
            mstime: now,
            ustime: now * 1000,
            lruclock: get_lru_clock(now),
            dirty: 0,
            start_time_ms: now,
            run_id,
            replid: random_hex_id(),
            repl: crate::replication::ReplicationState::new(),
            pid: std::process::id(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file: None,
            hz,
            cronloops: 0,
            blocked_last_cron: 0,
            active_expire_enabled: true,
            shutdown_asap: false,
            last_sig_received: 0,
            shutdown_flags: 0,
            shutdown_mstime: 0,
            sigterm: Arc::new(AtomicBool::new(false)),
            sigint: Arc::new(AtomicBool::new(false)),
            exit_code: None,
            stat_numcommands: 0,
            stat_numconnections: 0,
            stat_rejected_conn: 0,
            stat_expiredkeys: 0,
            stat_expired_stale_perc: 0.0,
            stat_expired_time_cap_reached_count: 0,
            stat_expire_cycle_time_used: 0,
            stat_evictedkeys: 0,
            stat_keyspace_hits: 0,
            stat_keyspace_misses: 0,
            stat_net_input_bytes: 0,
            stat_net_output_bytes: 0,
            stat_total_error_replies: 0,
            stat_total_reads_processed: 0,
            stat_total_writes_processed: 0,
            stat_unexpected_error_replies: 0,
            stat_peak_memory: 0,
            errors: HashMap::new(),
            inst_metric: Default::default(),
            lastsave: now / 1000,
            stat_rdb_saves: 0,
            rdb_last_load_keys_loaded: 0,
            rdb_last_load_keys_expired: 0,
            used_memory: 0,
            used_memory_rss: 0,
            expire_current_db: 0,
            expire_timelimit_exit: false,
            expire_last_fast_cycle: 0,
            slave_keys_with_expire: crate::dict::Dict::new(),
            clients_cron_cursor: 0,
            readbuf: Vec::new(),
            watch: Default::default(),
            blocked: Default::default(),
            in_exec: false,
            dump: Default::default(),
            also_propagate: Vec::new(),
            in_nested_call: 0,
            loading: false,
            aof: Default::default(),
            child: Default::default(),
            rdb: Default::default(),
            pause_cron: false,
            fired_queue: Default::default(),
            pubsub: Default::default(),
            tracking: Default::default(),
            script: crate::script::ScriptState::new(),
            functions: Default::default(),
            slowlog: Default::default(),
            acl: crate::acl::Acl::new(),
            latency: Default::default(),
            metrics: Default::default(),
            evict: Default::default(),
            defrag: Default::default(),
            client_admin: networking::ClientAdminState::new(&config),
            config,
        };
        // `requirepass` gives the default user its password (Redis
        // `initServer`); `user` lines and the ACL file load later and win.
        let pass = srv.config.requirepass.clone();
        crate::acl::update_default_user_password(&mut srv, &pass);
        Ok(srv)
    }

    // ---- Client table ----

    /// The mio token of a client slot.
    pub fn client_token(&self, slot: usize) -> Token {
        Token(CLIENT_TOKEN_BASE + slot)
    }

    /// Adds a client, assigning its slot and id; returns the slot.
    pub fn add_client(
        &mut self,
        conn: networking::Conn,
        addr: String,
        laddr: String,
        unix: bool,
    ) -> Option<usize> {
        let slot = match self.free_slots.pop() {
            Some(s) => s,
            None => {
                self.clients.push(None);
                self.clients.len() - 1
            }
        };
        let id = self.next_client_id;
        self.next_client_id += 1;
        let mut c = Box::new(Client::new(id, slot, Some(conn), addr, laddr, self.mstime));
        if unix {
            c.flags |= networking::CLIENT_UNIX_SOCKET;
        }
        // New connections run as the default user (Redis `createClient`).
        crate::server_cmds::client_set_default_auth(self, &mut c);
        let token = self.client_token(slot);
        if let Some(conn) = c.conn.as_mut()
            && conn
                .register(self.el.registry(), token, Interest::READABLE, true)
                .is_err()
        {
            self.free_slots.push(slot);
            return None;
        }
        self.client_ids.insert(id, slot);
        self.clients[slot] = Some(c);
        self.connected_clients += 1;
        self.stat_numconnections += 1;
        Some(slot)
    }

    /// Takes a client out of its slot while it is served.
    pub fn take_client(&mut self, slot: usize) -> Option<Box<Client>> {
        self.clients.get_mut(slot).and_then(|s| s.take())
    }

    /// Puts a client back into its slot, first appending any Pub/Sub
    /// frames published to it while it was out.
    pub fn put_client(&mut self, mut c: Box<Client>) {
        crate::pubsub::flush_pending_pushes(self, &mut c);
        let slot = c.slot;
        if let Some(s) = self.clients.get_mut(slot) {
            *s = Some(c);
        }
    }

    /// A client in the table (not the one currently taken out).
    pub fn client_mut(&mut self, slot: usize) -> Option<&mut Client> {
        self.clients.get_mut(slot).and_then(|s| s.as_deref_mut())
    }

    /// The slot of the connected client with this id, also when it is taken
    /// out of the table (Redis `lookupClientByID`).
    pub fn lookup_client_by_id(&self, id: u64) -> Option<usize> {
        self.client_ids.get(&id).copied()
    }

    /// All clients in the table, in slot order (the current client is not among them).
    pub fn clients_iter(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().filter_map(|c| c.as_deref())
    }

    /// Closes a client that was taken out of the table (Redis `freeClient`):
    /// it stops being blocked and watching first.
    pub fn free_client(&mut self, mut c: Box<Client>) {
        crate::replication::free_client(self, &mut c);
        crate::blocked::free_client_blocked_state(self, &mut c);
        crate::multi::free_client_multi_state(self, &mut c);
        crate::tracking::free_client_tracking_state(self, &mut c);
        self.client_ids.remove(&c.id);
        crate::pubsub::free_client_pubsub_state(self, &mut c);
        networking::free_client_admin_state(self, &mut c);
        if let Some(conn) = c.conn.as_mut() {
            conn.deregister(self.el.registry());
        }
        c.conn = None;
        self.free_slots.push(c.slot);
        if let Some(s) = self.clients.get_mut(c.slot) {
            *s = None;
        }
        self.connected_clients = self.connected_clients.saturating_sub(1);
    }

    /// Queues a client in the table for closing in `before_sleep` (Redis
    /// `freeClientAsync`). A blocked client stops being blocked at once, so
    /// nothing is served to it meanwhile.
    pub fn free_client_async(&mut self, slot: usize) {
        let Some(mut c) = self.take_client(slot) else {
            return;
        };
        self.close_client_asap(&mut c);
        self.put_client(c);
    }

    /// [`Server::free_client_async`] for a client out of the table (the
    /// one being served): flags it `CLIENT_CLOSE_ASAP`, queues its slot for
    /// `before_sleep` and ends its blocked state. Once only.
    pub fn close_client_asap(&mut self, c: &mut Client) {
        if c.flags & CLIENT_CLOSE_ASAP == 0 {
            c.flags |= CLIENT_CLOSE_ASAP;
            self.clients_to_close.push(c.slot);
            crate::blocked::free_client_blocked_state(self, c);
        }
    }

    /// Queues a client for the write pass in `before_sleep`.
    pub fn mark_pending_write(&mut self, c: &mut Client) {
        if c.flags & CLIENT_PENDING_WRITE == 0 {
            c.flags |= CLIENT_PENDING_WRITE;
            self.clients_pending_write.push(c.slot);
        }
    }

    /// Queues a client whose input was not fully consumed this turn.
    pub fn mark_pending_read(&mut self, c: &mut Client) {
        c.flags |= CLIENT_PENDING_READ;
        if !self.clients_pending_read.contains(&c.slot) {
            self.clients_pending_read.push_back(c.slot);
        }
    }

    /// True when the client must AUTH before running commands (Redis
    /// `authRequired`): it has not authenticated and the default user
    /// either has passwords (is not `nopass`) or is `off`.
    pub fn auth_required(&self, c: &Client) -> bool {
        !c.authenticated && crate::acl::default_user_requires_auth(self)
    }

    /// Moves the error codes a client replied with into INFO errorstats
    /// (Redis 7.0 `incrementErrorCount`: every distinct code gets a counter;
    /// the cap of 128 codes came with Redis 7.2).
    ///
    /// An error sent on a replication link (to our master or to a replica)
    /// is also logged as Redis's `afterErrorReply` does: "== CRITICAL ==
    /// This replica is sending an error to its master: '%s' after
    /// processing the command '%s'" (or "This master ... to its replica"),
    /// and counted in INFO `unexpected_error_replies`; an error to our
    /// master is followed by the end of our backlog ("Latest backlog is: ...").
    pub fn record_error_codes(&mut self, c: &mut Client) -> usize {
        let n = c.error_codes.len();
        for code in c.error_codes.drain(..) {
            self.stat_total_error_replies += 1;
            *self.errors.entry(code).or_insert(0) += 1;
        }
        if !c.repl_error_replies.is_empty() {
            let (from, to) = if c.flags & crate::replication::CLIENT_MASTER != 0 {
                ("replica", "master")
            } else {
                ("master", "replica")
            };
            let cmd = c
                .lastcmd
                .and_then(|i| self.commands.cmds.get(i))
                .map_or_else(|| "<unknown>".to_string(), |k| k.fullname.clone());
            for text in std::mem::take(&mut c.repl_error_replies) {
                tracing::warn!(
                    "== CRITICAL == This {} is sending an error to its {}: '{}' after processing the command '{}'",
                    from,
                    to,
                    String::from_utf8_lossy(&text),
                    cmd
                );
                self.stat_unexpected_error_replies += 1;
                if c.flags & crate::replication::CLIENT_MASTER != 0 {
                    crate::replication::master::show_latest_backlog(self);
                }
            }
        }
        n
    }

    /// Refreshes the cached clocks (Redis `updateCachedTime`).
    pub fn update_cached_time(&mut self) {
        self.ustime = ustime();
        self.mstime = self.ustime / 1000;
    }

    /// The current LRU clock (cached when the cron runs often enough).
    pub fn lru_clock(&self) -> u32 {
        if 1000 / self.hz as i64 <= LRU_CLOCK_RESOLUTION {
            self.lruclock
        } else {
            get_lru_clock(mstime())
        }
    }

    /// Applies the side effects of directives changed by CONFIG SET; Err
    /// carries the reason (the caller restores the previous config).
    pub fn apply_config_changes(&mut self, changed: &[&str]) -> Result<(), (&'static str, String)> {
        let mut tls_reloaded = false;
        for name in changed {
            match *name {
                "hz" => self.hz = self.config.hz.clamp(1, 500),
                "watchdog-period" => crate::watchdog::apply_watchdog_period(self),
                "repl-backlog-size" => crate::replication::master::resize_replication_backlog(self),
                "min-replicas-to-write" | "min-replicas-max-lag" => {
                    crate::replication::master::refresh_good_slaves_count(self)
                }
                "maxclients" => {
                    // Redis `updateMaxclients`: the descriptors must fit.
                    let wanted = self.config.maxclients;
                    adjust_open_files_limit(self);
                    if self.config.maxclients != wanted {
                        return Err((
                            "maxclients",
                            format!(
                                "The operating system is not able to handle the specified number of clients, try with {}",
                                self.config.maxclients
                            ),
                        ));
                    }
                }
                "loglevel" => crate::log::set_verbosity(self.config.loglevel_index()),
                "port" => crate::anet::rebind_tcp(self).map_err(|e| {
                    tracing::warn!("{}", e);
                    (
                        "port",
                        "Unable to listen on this port. Check server logs.".to_string(),
                    )
                })?,
                "bind" => {
                    crate::anet::rebind_tcp(self).map_err(|e| {
                        tracing::warn!("{}", e);
                        ("bind", "Failed to bind to specified addresses.".to_string())
                    })?;
                    crate::metrics::rebind(self).map_err(|e| {
                        tracing::warn!("{}", e);
                        ("bind", "Failed to bind to specified addresses.".to_string())
                    })?
                }
                "tls-port" => crate::tls::apply_tls_port(self).map_err(|e| ("tls-port", e))?,
                "tls-cert-file"
                | "tls-key-file"
                | "tls-key-file-pass"
                | "tls-client-cert-file"
                | "tls-client-key-file"
                | "tls-client-key-file-pass"
                | "tls-dh-params-file"
                | "tls-ca-cert-file"
                | "tls-ca-cert-dir"
                | "tls-protocols"
                | "tls-ciphers"
                | "tls-ciphersuites"
                | "tls-prefer-server-ciphers"
                | "tls-session-caching"
                | "tls-session-cache-size"
                | "tls-session-cache-timeout"
                | "tls-cluster"
                | "tls-replication"
                    // One rebuild for all the tls-* directives of one CONFIG SET.
                    if !tls_reloaded =>
                {
                    tls_reloaded = true;
                    crate::tls::apply_tls_cfg(self).map_err(|e| {
                        (
                            crate::config::lookup_directive(name.as_bytes())
                                .map_or("tls-port", |(d, _)| d.name),
                            e,
                        )
                    })?
                }
                "metrics-port" => crate::metrics::rebind(self).map_err(|e| {
                    tracing::warn!("{}", e);
                    (
                        "metrics-port",
                        "Unable to listen on this port. Check server logs.".to_string(),
                    )
                })?,
                "appendonly" => {
                    crate::aof::update_appendonly(self).map_err(|e| ("appendonly", e))?
                }
                "aof-disable-auto-gc" => crate::aof::update_aof_auto_gc(self),
                "oom-score-adj" | "oom-score-adj-values" => {
                    crate::config::set_oom_score_adj(&self.config, None).map_err(|_| {
                        (
                            crate::config::lookup_directive(name.as_bytes())
                                .map_or("oom-score-adj", |(d, _)| d.name),
                            "Failed to set current oom_score_adj. Check server logs.".to_string(),
                        )
                    })?
                }
                "proc-title-template" => crate::setproctitle::redis_set_proc_title(self),
                "crash-log-enabled" => setup_sigsegv_handlers(self.config.crash_log_enabled),
                "maxmemory-clients" => networking::apply_client_max_memory_usage(self),
                "maxmemory" => crate::evict::update_maxmemory(self),
                // `requirepass` is the default user's one password (Redis
                // `updateRequirePass`); "" makes it `nopass`.
                "requirepass" => {
                    let pass = self.config.requirepass.clone();
                    crate::acl::update_default_user_password(self, &pass);
                }
                "dir" => std::env::set_current_dir(&self.config.dir)
                    .map_err(|e| ("dir", crate::log::os_error_text(&e)))?,
                _ => {}
            }
        }
        Ok(())
    }

    fn track_instantaneous_metric(&mut self, m: Metric, current: u64, now_ms: i64) {
        let im = &mut self.inst_metric[m as usize];
        let t = now_ms - im.last_sample_time;
        if im.last_sample_time > 0 && t > 0 {
            let ops = current.saturating_sub(im.last_sample_count);
            im.samples[im.idx] = ops * 1000 / t as u64;
            im.idx = (im.idx + 1) % STATS_METRIC_SAMPLES;
        }
        im.last_sample_time = now_ms;
        im.last_sample_count = current;
    }

    /// Mean of the instantaneous metric samples (per second).
    pub fn get_instantaneous_metric(&self, m: Metric) -> u64 {
        let im = &self.inst_metric[m as usize];
        im.samples.iter().sum::<u64>() / STATS_METRIC_SAMPLES as u64
    }

    /// Clears the INFO stats, commandstats (latency histograms included) and
    /// errorstats (CONFIG RESETSTAT; Redis `resetServerStats`,
    /// `resetCommandTableStats`, `resetErrorTableStats`). Like Redis it keeps
    /// the memory peak, the last save time and the keyspace.
    pub fn reset_stats(&mut self) {
        crate::bio::lazyfree_reset_stats();
        self.defrag.reset_stats();
        self.stat_numcommands = 0;
        self.stat_numconnections = 0;
        self.stat_rejected_conn = 0;
        self.stat_expiredkeys = 0;
        self.stat_expired_stale_perc = 0.0;
        self.stat_expired_time_cap_reached_count = 0;
        self.stat_expire_cycle_time_used = 0;
        self.stat_evictedkeys = 0;
        self.stat_keyspace_hits = 0;
        self.stat_keyspace_misses = 0;
        self.stat_net_input_bytes = 0;
        self.stat_net_output_bytes = 0;
        self.repl.stat_net_repl_input_bytes = 0;
        self.repl.master.reset_stats();
        self.repl.fullsync.stat_net_repl_output_bytes = 0;
        self.stat_total_error_replies = 0;
        self.stat_total_reads_processed = 0;
        self.stat_total_writes_processed = 0;
        self.stat_unexpected_error_replies = 0;
        self.stat_rdb_saves = 0;
        self.child.latest_fork_usec = 0;
        self.child.total_forks = 0;
        self.dump.stat_dump_payload_sanitizations = 0;
        self.evict.stat_total_eviction_exceeded_time = 0;
        self.evict.stat_last_eviction_exceeded_time = None;
        self.errors.clear();
        self.inst_metric = Default::default();
        self.commands.reset_stats();
        crate::aof::reset_stats(self);
        networking::reset_stats(self);
    }

    /// Samples the memory figures (Redis `cronUpdateMemoryStats`):
    /// `used_memory` ([`crate::evict::zmalloc_used_memory`]), the peak,
    /// and the allocator and RSS figures of `evict.cron_malloc_stats`.
    pub fn refresh_memory_stats(&mut self) {
        let ms = crate::evict::MallocStats::sample();
        self.used_memory = ms.zmalloc_used;
        self.used_memory_rss = ms.process_rss;
        self.stat_peak_memory = self.stat_peak_memory.max(self.used_memory);
        self.evict.cron_malloc_stats = ms;
    }
}

/// The LRU clock for a time in ms (Redis `getLRUClock`).
pub fn get_lru_clock(now_ms: i64) -> u32 {
    ((now_ms / LRU_CLOCK_RESOLUTION) as u64 & LRU_CLOCK_MAX as u64) as u32
}

// ---- Commands ----

/// Validates and runs one parsed command (Redis `processCommand`).
///
/// Errors (exact Redis text): unknown command, unknown subcommand, wrong
/// number of arguments, `NOAUTH Authentication required.`, `ERR Command not
/// allowed inside a transaction`, the ACL refusals (`NOPERM this user has no
/// permissions to ...`, see [`crate::acl::denied_message`]).
pub fn process_command(srv: &mut Server, c: &mut Client) {
    if c.argv[0].eq_ignore_ascii_case(b"quit") {
        c.add_reply_ok();
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
        return;
    }
    let found = srv.commands.lookup(&c.argv);
    let Some(idx) = found else {
        if srv.commands.is_container(&c.argv[0]) {
            crate::multi::flag_transaction(c);
            c.add_reply_subcommand_syntax_error();
            srv.record_error_codes(c);
            return;
        }
        // Redis's format: `'%.*s' ` per argument while under 128 bytes,
        // the name as `%.128s` (C strings: a NUL ends them).
        let mut err = b"ERR unknown command '".to_vec();
        err.extend_from_slice(networking::c_str(&c.argv[0], 128));
        err.extend_from_slice(b"', with args beginning with: ");
        let mut args: Vec<u8> = Vec::new();
        for a in c.argv.iter().skip(1) {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            args.push(b'\'');
            args.extend_from_slice(networking::c_str(a, room));
            args.extend_from_slice(b"' ");
        }
        err.extend_from_slice(&args);
        crate::multi::flag_transaction(c);
        c.add_reply_error_bytes(&err);
        srv.record_error_codes(c);
        return;
    };
    c.cmd = Some(idx);
    c.lastcmd = Some(idx);
    let (arity, flags) = {
        let cmd = &srv.commands.cmds[idx];
        (cmd.arity, cmd.flags)
    };
    let argc = c.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        let name = srv.commands.cmds[idx].fullname.clone();
        reject_command(srv, c, idx, &crate::shared::err_wrong_arity(&name));
        return;
    }
    if srv.commands.cmds[idx].fullname == "debug"
        && !crate::server_cmds::allow_protected_action(srv.config.enable_debug_command, c)
    {
        reject_command(
            srv,
            c,
            idx,
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        );
        return;
    }
    if srv.auth_required(c) && flags & commands::CMD_NO_AUTH == 0 {
        reject_command(srv, c, idx, "NOAUTH Authentication required.");
        return;
    }
    if c.flags & CLIENT_MULTI != 0 && flags & commands::CMD_NO_MULTI != 0 {
        reject_command(srv, c, idx, "ERR Command not allowed inside a transaction");
        return;
    }
    if !acl_check_command_or_reject(srv, c, idx) {
        return;
    }
    // EVAL and FCALL run with their script's declared flags.
    let flags = get_command_flags(srv, c, idx, flags);
    // EXEC counts as the commands it would run (Redis's mstate flags).
    let is_exec = srv.commands.cmds[idx].fullname == "exec";
    // maxmemory: evict first, then refuse commands that may grow memory.
    // Not while a timed-out script lets this client in (its DELs would
    // mix with the script's effects).
    if srv.config.maxmemory != 0 && !srv.script.is_timedout() {
        let out_of_memory = crate::evict::perform_evictions(srv) == crate::evict::EvictResult::Fail;
        let is_denyoom = flags & commands::CMD_DENYOOM != 0
            || (is_exec && c.mstate.cmd_flags & commands::CMD_DENYOOM != 0);
        // Queuing in MULTI takes memory too: only EXEC, DISCARD and RESET
        // still pass (EXEC unless it holds denied commands).
        let reject = is_denyoom
            || (c.flags & CLIENT_MULTI != 0
                && !matches!(
                    srv.commands.cmds[idx].fullname.as_str(),
                    "exec" | "discard" | "reset"
                ));
        if out_of_memory && reject {
            reject_command(srv, c, idx, crate::evict::OOM_ERR);
            return;
        }
        // Scripts and EXEC consult the state found before they started.
        srv.evict.pre_command_oom_state = out_of_memory;
    }
    let is_write = flags & commands::CMD_WRITE != 0
        || (is_exec && c.mstate.cmd_flags & commands::CMD_WRITE != 0);
    let deny_loading = flags & commands::CMD_LOADING == 0
        || (is_exec && c.mstate.cmd_inv_flags & commands::CMD_LOADING != 0);
    crate::tracking::before_command(srv, c);
    if (is_write || srv.commands.cmds[idx].fullname == "ping")
        && let Some(err) = write_commands_denied_by_disk_error(srv)
    {
        reject_command(srv, c, idx, &err);
        return;
    }
    // EXEC counts as STALE only if every queued command is.
    let deny_stale = flags & commands::CMD_STALE == 0
        || (is_exec && c.mstate.cmd_inv_flags & commands::CMD_STALE != 0);
    if let Some(err) = crate::replication::reject_command(srv, c, is_write, deny_stale) {
        reject_command(srv, c, idx, err);
        return;
    }
    // In RESP2 a subscribed client may only manage its subscriptions,
    // PING, QUIT and RESET; RESP3 has no such limit.
    if c.flags & networking::CLIENT_PUBSUB != 0
        && c.resp == 2
        && !matches!(
            srv.commands.cmds[idx].fullname.as_str(),
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
    {
        let msg = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            srv.commands.cmds[idx].fullname
        );
        reject_command(srv, c, idx, &msg);
        return;
    }
    if srv.loading && !srv.rdb.async_loading && deny_loading {
        reject_command(
            srv,
            c,
            idx,
            "LOADING Redis is loading the dataset in memory",
        );
        return;
    }
    // During a replica's asynchronous load some commands must wait.
    if srv.rdb.async_loading
        && (flags & commands::CMD_NO_ASYNC_LOADING != 0
            || (is_exec && c.mstate.cmd_flags & commands::CMD_NO_ASYNC_LOADING != 0))
    {
        reject_command(
            srv,
            c,
            idx,
            "LOADING Redis is loading the dataset in memory",
        );
        return;
    }
    // While a script is timed out only allow-busy commands run (Redis
    // processCommand's busy check).
    if flags & commands::CMD_ALLOW_BUSY == 0
        && let Some(err) = crate::script::busy_error(srv)
    {
        reject_command(srv, c, idx, err);
        return;
    }
    // A replica (or a MONITOR client, a replica for Redis) may not touch
    // the keyspace.
    if c.flags & (networking::CLIENT_MONITOR | crate::replication::CLIENT_SLAVE) != 0 {
        let keyspace = commands::CMD_WRITE | commands::CMD_READONLY | commands::CMD_MAY_REPLICATE;
        if flags & keyspace != 0 || (is_exec && c.mstate.cmd_flags & keyspace != 0) {
            reject_command(srv, c, idx, "ERR Replica can't interact with the keyspace");
            return;
        }
    }
    // Disconnect clients over `maxmemory-clients`, maybe this one.
    if networking::client_eviction_active(srv) && networking::evict_clients(srv, Some(c)) {
        return;
    }
    // Replicas are never paused.
    if networking::are_clients_paused(srv) && c.flags & crate::replication::CLIENT_SLAVE == 0 {
        let may_replicate = flags & (commands::CMD_WRITE | commands::CMD_MAY_REPLICATE) != 0
            || (is_exec
                && c.mstate.cmd_flags & (commands::CMD_WRITE | commands::CMD_MAY_REPLICATE) != 0);
        if networking::must_postpone(srv, may_replicate) {
            networking::block_postpone_client(srv, c);
            return;
        }
    }
    if c.flags & CLIENT_MULTI != 0 {
        // Everything but the transaction's own commands is queued.
        let runs_now = matches!(
            srv.commands.cmds[idx].fullname.as_str(),
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        );
        if !runs_now {
            crate::multi::queue_multi_command(srv, c, idx, flags);
            c.add_reply_raw(b"+QUEUED\r\n");
            return;
        }
    }
    call(srv, c, idx);
    // What WAIT waits for (Redis sets it after every command it runs).
    c.woff = srv.repl.master_repl_offset;
    // Big replies count against `client-output-buffer-limit` too (Redis
    // checks as the reply list grows; here once per command).
    networking::close_client_on_output_buffer_limit_reached(srv, c, true);
    // Not while a timed-out script serves other clients: the keys it made
    // ready are served after it ends (Redis `isInsideYieldingLongCommand`).
    if !srv.script.is_running() {
        crate::blocked::handle_clients_blocked_on_keys(srv);
    }
}

/// The flags a command runs with (Redis `getCommandFlags`): EVAL/EVALSHA
/// and FCALL (and their `_RO` forms) take their script's declared flags
/// (`eval::eval_get_command_flags`, `function::fcall_get_command_flags`).
/// The script is looked up only where the flags matter: under
/// `maxmemory`, inside MULTI, during CLIENT PAUSE, when writes are
/// refused for a disk error, on a replica, or with `min-replicas-to-write`.
fn get_command_flags(srv: &Server, c: &Client, idx: usize, flags: u64) -> u64 {
    if flags & commands::CMD_NOSCRIPT == 0 {
        return flags;
    }
    let name = srv.commands.cmds[idx].fullname.as_str();
    let (eval, evalsha) = match name {
        "eval" | "eval_ro" => (true, false),
        "evalsha" | "evalsha_ro" => (true, true),
        "fcall" | "fcall_ro" => (false, false),
        _ => return flags,
    };
    if srv.config.maxmemory == 0
        && c.flags & CLIENT_MULTI == 0
        && !networking::are_clients_paused(srv)
        && write_commands_denied_by_disk_error(srv).is_none()
        && srv.repl.masterhost.is_none()
        && srv.config.min_replicas_to_write == 0
    {
        return flags;
    }
    if eval {
        crate::eval::eval_get_command_flags(srv, &c.argv, evalsha, flags)
    } else {
        crate::function::fcall_get_command_flags(srv, &c.argv, flags)
    }
}

/// Why writes are refused, if they are (Redis
/// `writeCommandsDeniedByDiskError` + `writeCommandsGetDiskErrorMessage`):
/// the MISCONF error of a failed background save ([`crate::rdb::BGSAVE_ERR`])
/// under `stop-writes-on-bgsave-error`, else the AOF's write error
/// ([`crate::aof::write_error_message`]). Write commands and PING get it.
pub fn write_commands_denied_by_disk_error(srv: &Server) -> Option<String> {
    if crate::rdb::writes_denied_by_rdb_error(srv) {
        return Some(crate::rdb::BGSAVE_ERR.to_string());
    }
    if srv.aof.is_on() {
        return crate::aof::write_error_message(srv);
    }
    None
}

/// The ACL gate of [`process_command`] (Redis `processCommand` calling
/// `ACLCheckAllPerm`): a client whose user may not run the command with
/// these arguments gets an ACL LOG entry (context `multi` inside MULTI,
/// else `toplevel`) and the `-NOPERM` reply of [`crate::acl::denied_message`],
/// rejected as any other refusal (inside MULTI the transaction is flagged, so
/// EXEC aborts). Clients without a user (`None`: the AOF loader) run anything.
/// True when the command may go on.
fn acl_check_command_or_reject(srv: &mut Server, c: &mut Client, idx: usize) -> bool {
    let Some(user) = c.user.clone() else {
        return true;
    };
    let denied = crate::acl::check_all_perm(srv, &user.borrow(), idx, &c.argv);
    let Err((reason, argpos)) = denied else {
        return true;
    };
    let ctx = if c.flags & CLIENT_MULTI != 0 {
        crate::acl::AclLogContext::Multi
    } else {
        crate::acl::AclLogContext::Toplevel
    };
    crate::acl::add_log_entry(srv, c, reason, ctx, argpos, None, None);
    let msg = crate::acl::denied_message(srv, idx, reason);
    reject_command(srv, c, idx, &msg);
    false
}

/// Rejects a command before it runs (Redis `rejectCommand`): counts it,
/// flags an open transaction, and aborts the transaction when the command
/// is EXEC itself.
fn reject_command(srv: &mut Server, c: &mut Client, idx: usize, msg: &str) {
    crate::multi::flag_transaction(c);
    srv.commands.cmds[idx].rejected_calls += 1;
    if srv.commands.cmds[idx].fullname == "exec" {
        crate::multi::exec_command_abort(srv, c, msg);
    } else {
        c.add_reply_error(msg);
    }
    srv.record_error_codes(c);
}

/// Runs `f` with the client's argv moved out, so a handler can read its
/// arguments while it writes replies into the client, without copying them.
/// This is how every handler that needs its arguments borrowed across
/// replies reads them; `call` itself leaves argv in the client.
#[inline]
pub fn with_argv(
    srv: &mut Server,
    c: &mut Client,
    f: impl FnOnce(&mut Server, &mut Client, &[bytes::Bytes]),
) {
    let argv = std::mem::take(&mut c.argv);
    f(srv, c, &argv);
    c.argv = argv;
}

/// Runs a command's handler, timing and counting it, then propagates its
/// write (Redis `call`).
///
/// A handler that changed `srv.dirty` is propagated as its argv, or as the
/// vector it set with [`Client::rewrite_command_vector`]; flags on the
/// client force or prevent propagation (`CLIENT_FORCE_AOF`,
/// `CLIENT_PREVENT_PROP`, ...). EXEC is never propagated itself: the
/// commands it ran are. At the end of the outermost call everything
/// gathered is emitted ([`propagate_pending_commands`]).
///
/// Client-side caching hooks in around the handler: the keys of a
/// read-only command of a tracking client are recorded, and after the
/// outermost call the invalidations that waited for this client are
/// written (`tracking::begin_call` / `after_call`).
pub fn call(srv: &mut Server, c: &mut Client, idx: usize) {
    // One clock read serves as the cached time and the call's start.
    let start = crate::util::ustime();
    // A script's commands all see the time the script started (Redis
    // `scriptTimeSnapshot`): keys do not expire in the middle of it.
    if !srv.script.is_running() {
        srv.ustime = start;
        srv.mstime = start / 1000;
    }
    let handler = srv.commands.cmds[idx].handler;
    let Some(handler) = handler else {
        c.add_reply_subcommand_syntax_error();
        srv.record_error_codes(c);
        return;
    };
    let dirty_before = srv.dirty;
    let old_prop_flags = c.flags & networking::CLIENT_PROP_FLAGS;
    c.flags &= !networking::CLIENT_PROP_FLAGS;
    let mark = crate::tracking::begin_call(srv, c, idx);
    srv.in_nested_call += 1;
    handler(srv, c);
    srv.in_nested_call -= 1;
    crate::tracking::end_call(srv, c, mark);
    crate::pubsub::flush_pending_pushes(srv, c);
    let dur = (crate::util::ustime() - start).max(0) as u64;
    let failed = srv.record_error_codes(c) > 0;
    let cmd = &mut srv.commands.cmds[idx];
    cmd.calls += 1;
    cmd.microseconds += dur;
    if failed {
        cmd.failed_calls += 1;
    }
    srv.stat_numcommands += 1;
    // Introspection of the call, in Redis `call`'s order: the latency
    // monitor and the slow log, MONITOR clients, the latency histogram.
    crate::slowlog::record_call(srv, c, idx, dur);
    crate::networking::replication_feed_monitors(srv, c, idx);
    if c.flags & networking::CLIENT_BLOCKED != 0 {
        // A blocked command's latency is recorded when it is unblocked
        // (Redis `updateStatsOnUnblock`).
        crate::blocked::set_blocked_call_duration(srv, c.id, dur);
    } else {
        crate::info::update_command_latency_histogram(srv, idx, dur);
    }
    propagate_command(srv, c, idx, srv.dirty - dirty_before > 0);
    c.flags = (c.flags & !networking::CLIENT_PROP_FLAGS) | old_prop_flags;
    if srv.in_nested_call == 0 && !srv.also_propagate.is_empty() {
        // Commands that may expire arbitrary keys (Redis's hidden
        // TOUCHES_ARBITRARY_KEYS flag: SCAN, RANDOMKEY) propagate those
        // DELs unwrapped.
        let arbitrary = matches!(
            srv.commands.cmds[idx].fullname.as_str(),
            "scan" | "randomkey"
        );
        propagate_pending(srv, !arbitrary);
    }
    crate::tracking::after_call(srv, c, idx);
}

/// Queues the command a handler just ran for propagation, as `call` does
/// after the handler (Redis `call`'s propagation block): when it was
/// `dirty` or forced, unless prevented, never EXEC itself; the argv
/// is the handler's rewritten vector if it set one. Consumes that vector.
pub fn propagate_command(srv: &mut Server, c: &mut Client, idx: usize, dirty: bool) {
    let rewritten = c.propagate_argv.take();
    let forced = c.flags & (networking::CLIENT_FORCE_AOF | networking::CLIENT_FORCE_REPL) != 0;
    if !(dirty || forced)
        || c.flags & networking::CLIENT_PREVENT_PROP == networking::CLIENT_PREVENT_PROP
        || srv.commands.cmds[idx].fullname == "exec"
    {
        return;
    }
    let mut target = 0;
    if dirty {
        target |= PROPAGATE_AOF | PROPAGATE_REPL;
    }
    if c.flags & networking::CLIENT_FORCE_REPL != 0 {
        target |= PROPAGATE_REPL;
    }
    if c.flags & networking::CLIENT_FORCE_AOF != 0 {
        target |= PROPAGATE_AOF;
    }
    if c.flags & networking::CLIENT_PREVENT_REPL_PROP != 0 {
        target &= !PROPAGATE_REPL;
    }
    if c.flags & networking::CLIENT_PREVENT_AOF_PROP != 0 {
        target &= !PROPAGATE_AOF;
    }
    if target != 0 && should_propagate(srv, target) {
        let argv = rewritten.unwrap_or_else(|| c.argv.clone());
        also_propagate(srv, c.db, argv, target);
    }
}

// ---- Propagation ----

/// True when a write for `target` has somewhere to go (Redis
/// `shouldPropagate`): the AOF is on, or a replication backlog exists. Nothing is propagated while loading.
pub fn should_propagate(srv: &Server, target: u8) -> bool {
    if srv.loading || target == 0 {
        return false;
    }
    (target & PROPAGATE_AOF != 0 && srv.aof.is_on())
        || (target & PROPAGATE_REPL != 0 && crate::replication::should_feed(srv))
}

/// True when writes are being propagated anywhere: handlers check it
/// before building a rewritten vector they would otherwise throw away.
pub fn propagating(srv: &Server) -> bool {
    should_propagate(srv, PROPAGATE_AOF | PROPAGATE_REPL)
}

/// Queues a command to propagate at the end of the current execution unit
/// (Redis `alsoPropagate`), after the commands queued before it.
pub fn also_propagate(srv: &mut Server, dbid: usize, argv: Vec<bytes::Bytes>, target: u8) {
    if !should_propagate(srv, target) {
        return;
    }
    srv.also_propagate.push(RedisOp { dbid, argv, target });
}

/// Emits the queued writes (Redis `propagatePendingCommands`): more than
/// one is wrapped in `MULTI` ... `EXEC`, the MULTI in the first command's
/// database and the EXEC in the last one's, so no stray SELECT appears.
pub fn propagate_pending_commands(srv: &mut Server) {
    propagate_pending(srv, true);
}

/// [`propagate_pending_commands`], with the MULTI/EXEC wrapping optional:
/// active expiry, eviction and commands that touch arbitrary keys emit
/// their DELs unwrapped (Redis `server.propagate_no_multi`).
pub fn propagate_pending(srv: &mut Server, allow_multi: bool) {
    if srv.also_propagate.is_empty() {
        return;
    }
    let ops = std::mem::take(&mut srv.also_propagate);
    let transaction = allow_multi && ops.len() > 1;
    let both = PROPAGATE_AOF | PROPAGATE_REPL;
    if transaction {
        propagate_now(
            srv,
            ops[0].dbid,
            &[bytes::Bytes::from_static(b"MULTI")],
            both,
        );
    }
    for op in &ops {
        propagate_now(srv, op.dbid, &op.argv, op.target);
    }
    if transaction {
        let last = ops[ops.len() - 1].dbid;
        propagate_now(srv, last, &[bytes::Bytes::from_static(b"EXEC")], both);
    }
}

/// Sends one command to the AOF and the replication stream (Redis `propagateNow`).
fn propagate_now(srv: &mut Server, dbid: usize, argv: &[bytes::Bytes], target: u8) {
    if !should_propagate(srv, target) {
        return;
    }
    if target & PROPAGATE_AOF != 0 && srv.aof.is_on() {
        crate::aof::feed_append_only_file(srv, dbid, argv);
    }
    if target & PROPAGATE_REPL != 0 && crate::replication::should_feed(srv) {
        crate::replication::master::feed_replication_stream(srv, dbid, argv);
    }
}

// ---- Cron ----

/// The periodic task (Redis `serverCron`); returns the ms until the next run.
///
/// # Latency
/// Each part has a budget: `clients_cron` visits a bounded number of clients,
/// the slow expire cycle is bounded by `25 + 2*effort` percent of the tick,
/// and rehashing by 1 ms per database.
pub fn server_cron(srv: &mut Server) -> i64 {
    crate::watchdog::watchdog_cron(srv);
    srv.update_cached_time();
    let now = srv.mstime;
    // Dynamic hz: more clients, more frequent cron (Redis MAX_CLIENTS_PER_CLOCK_TICK 200).
    srv.hz = srv.config.hz.clamp(1, 500);
    if srv.config.dynamic_hz {
        while srv.connected_clients as i32 / srv.hz > 200 {
            srv.hz *= 2;
            if srv.hz > 500 {
                srv.hz = 500;
                break;
            }
        }
    }
    if srv.pause_cron {
        return 1000 / srv.hz as i64;
    }
    srv.lruclock = get_lru_clock(now);
    // No spinning while a fork child (BGSAVE, AOF rewrite, diskless sync)
    // may need the CPU.
    let max_spin_ns = if crate::childinfo::has_active_child_process(srv) {
        0
    } else {
        srv.config.busy_poll_usec as u64 * 1000
    };
    srv.el.busy_poll_assess(max_spin_ns);
    for (flag, sig, name) in [
        (srv.sigterm.clone(), libc::SIGTERM, "SIGTERM"),
        (srv.sigint.clone(), libc::SIGINT, "SIGINT"),
    ] {
        if flag.swap(false, Ordering::SeqCst) {
            // Redis logs this from the signal handler, in its own short format.
            crate::log::write_raw(&format!(
                "{}:signal-handler ({}) Received {} scheduling shutdown...\n",
                std::process::id(),
                now / 1000,
                name
            ));
            srv.shutdown_asap = true;
            srv.last_sig_received = sig;
        }
    }
    // A signal's shutdown starts here, outside the handler; one waiting
    // for replicas finishes once they caught up or its time is up.
    if srv.shutdown_asap && !is_shutdown_initiated(srv) {
        let flags = match srv.last_sig_received {
            libc::SIGINT if srv.config.shutdown_on_sigint != 0 => srv.config.shutdown_on_sigint,
            libc::SIGTERM if srv.config.shutdown_on_sigterm != 0 => srv.config.shutdown_on_sigterm,
            _ => 0,
        };
        if prepare_for_shutdown(srv, flags) {
            srv.exit_code = Some(0);
            return 1000 / srv.hz as i64;
        }
    } else if is_shutdown_initiated(srv)
        && (srv.mstime >= srv.shutdown_mstime || is_ready_to_shutdown(srv))
        && finish_shutdown(srv)
    {
        srv.exit_code = Some(0);
        return 1000 / srv.hz as i64;
    }
    // The peak is followed every tick; the allocator figures every 100 ms.
    srv.stat_peak_memory = srv
        .stat_peak_memory
        .max(crate::evict::zmalloc_used_memory());
    if run_with_period(srv, 100) {
        let cmds = srv.stat_numcommands;
        let input = srv.stat_net_input_bytes;
        let output = srv.stat_net_output_bytes;
        srv.track_instantaneous_metric(Metric::Command, cmds, now);
        srv.track_instantaneous_metric(Metric::NetInput, input, now);
        srv.track_instantaneous_metric(Metric::NetOutput, output, now);
        let repl_in = srv.repl.stat_net_repl_input_bytes;
        let repl_out = crate::replication::master::stat_net_repl_output_bytes(srv);
        srv.track_instantaneous_metric(Metric::NetInputReplication, repl_in, now);
        srv.track_instantaneous_metric(Metric::NetOutputReplication, repl_out, now);
        srv.refresh_memory_stats();
    }
    if run_with_period(srv, 1000) {
        crate::rdb::migrate::migrate_close_timedout_sockets(srv);
        crate::metrics::metrics_cron(srv, now);
    }
    // Every 100 ms while failing over, so the handshake progresses quickly.
    networking::check_client_pause_timeout_and_return_if_paused(srv);
    let repl_period = if crate::replication::failover::failover_ongoing(srv) {
        100
    } else {
        1000
    };
    if run_with_period(srv, repl_period) {
        crate::replication::replication_cron(srv);
    }
    crate::tracking::tracking_cron(srv);
    persistence_cron(srv);
    clients_cron(srv);
    databases_cron(srv);
    srv.cronloops += 1;
    1000 / srv.hz as i64
}

/// The persistence part of the cron: reap a finished child and hand its
/// exit to its owner; then save points and AOF rewrite triggers.
fn persistence_cron(srv: &mut Server) {
    crate::aof::aof_cron_scheduled(srv);
    crate::ldb::reap_children();
    if crate::childinfo::has_active_child_process(srv) {
        crate::childinfo::receive_child_info(srv);
        check_children_done(srv, None);
    } else {
        crate::rdb::check_save_points(srv);
    }
    crate::aof::aof_cron(srv);
    crate::rdb::run_scheduled_bgsave(srv);
}

/// Reaps the child if it has exited and hands its exit to its owner, then
/// starts the save replicas wait for, if any (Redis `checkChildrenDone`).
/// `cur` is the client out of the table running a command (REPLCONF ACK
/// calls this for a diskless replica), so that it is served too.
pub fn check_children_done(srv: &mut Server, mut cur: Option<&mut Client>) {
    let Some(exit) = crate::childinfo::check_child_done(srv) else {
        return;
    };
    match exit.kind {
        crate::childinfo::ChildType::Rdb => {
            crate::rdb::background_save_done_handler(srv, exit, cur.as_deref_mut())
        }
        crate::childinfo::ChildType::Aof => crate::aof::background_rewrite_done_handler(srv, exit),
        crate::childinfo::ChildType::None => {}
    }
    // Replicas waiting for a save start one at once (Redis
    // `replicationStartPendingFork`).
    crate::replication::fullsync::replication_start_pending_fork(srv, cur);
}

/// True on the cron ticks that fall every `ms` milliseconds (Redis
/// `run_with_period`).
pub(crate) fn run_with_period(srv: &Server, ms: i64) -> bool {
    ms <= 1000 / srv.hz as i64
        || srv
            .cronloops
            .is_multiple_of((ms / (1000 / srv.hz as i64)).max(1) as u64)
}

/// Closes idle clients past `timeout` seconds, shrinks idle query buffers
/// and closes clients over their output buffer limits (Redis `clientsCron`).
///
/// # Latency
/// Visits `max(clients/hz, 5)` clients per call, round robin.
fn clients_cron(srv: &mut Server) {
    let n = srv.clients.len();
    if n == 0 {
        return;
    }
    let iterations = (srv.connected_clients / srv.hz as usize)
        .max(CLIENTS_CRON_MIN_ITERATIONS)
        .min(n);
    let timeout_ms = srv.config.timeout as i64 * 1000;
    let now = srv.mstime;
    let peak_slot = networking::clients_cron_rotate_peaks(srv, now / 1000);
    for _ in 0..iterations {
        let slot = srv.clients_cron_cursor % n;
        srv.clients_cron_cursor = srv.clients_cron_cursor.wrapping_add(1);
        let Some(c) = srv.clients.get_mut(slot).and_then(|c| c.as_deref_mut()) else {
            continue;
        };
        if timeout_ms > 0
            && now - c.lastinteraction > timeout_ms
            && c.flags
                & (CLIENT_CLOSE_ASAP | networking::CLIENT_BLOCKED | networking::CLIENT_MONITOR)
                == 0
        {
            tracing::debug!("Closing idle client");
            srv.free_client_async(slot);
            continue;
        }
        let Some(mut c) = srv.take_client(slot) else {
            continue;
        };
        // Query and reply buffers follow recent use; peaks for INFO; the
        // client's memory for client eviction; output buffer limits (so a
        // client stuck over its soft limit is closed even when nothing
        // more is sent to it).
        networking::clients_cron_resize_query_buffer(&mut c, now);
        networking::clients_cron_resize_output_buffer(srv, &mut c, now);
        networking::clients_cron_track_expansive_clients(srv, &c, peak_slot);
        networking::update_client_mem_usage_if_tracked(srv, &mut c);
        if networking::close_client_on_output_buffer_limit_reached(srv, &mut c, false) {
            srv.free_client(c);
        } else {
            srv.put_client(c);
        }
    }
}

/// Active expiry and incremental rehashing (Redis `databasesCron`).
fn databases_cron(srv: &mut Server) {
    crate::defrag::active_defrag_cycle(srv);
    // A replica leaves expiry to its master's DELs, except for the keys its
    // own clients gave a TTL while it was writable.
    if srv.active_expire_enabled {
        if srv.repl.masterhost.is_none() {
            crate::expire::active_expire_cycle(srv, crate::expire::ExpireCycle::Slow);
        } else {
            crate::expire::expire_slave_keys(srv);
        }
    }
    // Resize and rehash: at most 16 databases per call, 1 ms each; none
    // while a child saves, so that pages are not copied for it (Redis
    // `databasesCron`).
    if crate::childinfo::has_active_child_process(srv) {
        return;
    }
    let dbs = srv.dbs.len().min(16);
    for db in srv.dbs.iter_mut().take(dbs) {
        db.dict.shrink_to_fit_if_needed();
        db.expires.shrink_to_fit_if_needed();
        if srv.config.activerehashing {
            if db.dict.is_rehashing() {
                db.dict.rehash_milliseconds(1);
            } else if db.expires.is_rehashing() {
                db.expires.rehash_milliseconds(1);
            }
        }
    }
}

/// Work done before the loop sleeps (Redis `beforeSleep`): blocked-client
/// timeouts, commands of clients just unblocked, keys ready for blocked
/// clients, fast expire cycle, reply writes, async client frees.
pub fn before_sleep(srv: &mut Server) {
    srv.update_cached_time();
    crate::blocked::handle_blocked_clients_timeout(srv);
    crate::blocked::process_unblocked_clients(srv);
    networking::process_unpaused_clients(srv);
    crate::blocked::handle_clients_blocked_on_keys(srv);
    if srv.active_expire_enabled {
        crate::expire::active_expire_cycle(srv, crate::expire::ExpireCycle::Fast);
    }
    crate::tracking::tracking_broadcast_invalidation_messages(srv);
    crate::replication::before_sleep(srv);
    // The AOF is written (and with `appendfsync always` fsynced) before any
    // reply of this turn leaves, so an acknowledged write is on disk.
    if srv.aof.is_on() {
        crate::aof::flush_append_only_file(srv, false);
    }
    networking::handle_clients_with_pending_writes(srv);
    free_clients_in_async_free_queue(srv);
    networking::evict_clients(srv, None);
}

fn free_clients_in_async_free_queue(srv: &mut Server) {
    for slot in std::mem::take(&mut srv.clients_to_close) {
        if let Some(c) = srv.take_client(slot) {
            // The slot may hold a newer client if this one was freed early.
            if c.flags & CLIENT_CLOSE_ASAP != 0 {
                srv.free_client(c);
            } else {
                srv.put_client(c);
            }
        }
    }
}

/// The cron work that goes on while a long operation (loading, a script
/// past `busy-reply-threshold`) holds the main loop (Redis
/// `whileBlockedCron`): one active-defrag cycle per `1000/hz` ms elapsed
/// since the last call, so defrag keeps its CPU share; the time it took is
/// the latency event `while-blocked-cron`. The first call of a blocking
/// operation only starts the clock ([`crate::rdb::start_loading`] starts
/// it too, and [`crate::rdb::stop_loading`] stops it).
pub fn while_blocked_cron(srv: &mut Server) {
    srv.update_cached_time();
    let hz_ms = (1000 / srv.hz.max(1)) as i64;
    // A clock left over from an operation that ended unmarked (a script)
    // catches up at most one second.
    if srv.blocked_last_cron == 0 || srv.mstime - srv.blocked_last_cron > 1000 {
        srv.blocked_last_cron = srv.mstime;
        return;
    }
    if srv.blocked_last_cron >= srv.mstime {
        return;
    }
    let start = std::time::Instant::now();
    while srv.blocked_last_cron < srv.mstime {
        crate::defrag::active_defrag_cycle(srv);
        srv.blocked_last_cron += hz_ms;
        srv.cronloops += 1;
    }
    let ms = start.elapsed().as_millis() as u64;
    crate::latency::latency_add_sample_if_needed(srv, "while-blocked-cron", ms);
}

/// Serves clients while a long operation (loading) holds the main loop
/// (Redis `processEventsWhileBlocked`): up to 4 rounds of writing pending
/// replies, polling without waiting, accepting and reading clients (whose
/// commands run through [`process_command`], so they get `-LOADING` unless
/// flagged `loading`), stopping early when a round has no events. No timers
/// run. A shutdown signal received while loading exits here without saving
/// (Redis `whileBlockedCron`).
///
/// Calls nest (a load's progress serves an EVAL that runs past
/// `busy-reply-threshold`, whose hook calls this again): every call works
/// on the server's own queues (`fired_queue`, `clients_pending_read`), so
/// the innermost one goes on with whatever an outer one polled and had not
/// handled yet, and a client polled together with the busy script's is
/// still answered (`-BUSY`).
pub fn process_events_while_blocked(srv: &mut Server) {
    let mut fired: Vec<FiredEvent> = Vec::with_capacity(64);
    let mut busy: Vec<usize> = Vec::new();
    for _ in 0..4 {
        srv.update_cached_time();
        networking::handle_clients_with_pending_writes(srv);
        free_clients_in_async_free_queue(srv);
        fired.clear();
        if srv
            .el
            .poll_events(Some(Duration::ZERO), &mut fired)
            .is_err()
        {
            break;
        }
        // New events queue behind those the main loop (or an outer call)
        // polled and has not handled yet; see `handle_fired_events`.
        srv.fired_queue.extend(fired.drain(..));
        let reads_pending = srv
            .clients_pending_read
            .iter()
            .any(|&slot| matches!(srv.clients.get(slot), Some(Some(_))));
        if srv.fired_queue.is_empty() && !reads_pending {
            break;
        }
        handle_fired_events(srv);
        // A client out of the slab is the one whose command is blocking
        // (DEBUG RELOAD, a timed-out script): the main loop reads it afterwards.
        handle_pending_reads(srv, Some(&mut busy));
    }
    for slot in busy {
        if !srv.clients_pending_read.contains(&slot) {
            srv.clients_pending_read.push_back(slot);
        }
    }
    networking::handle_clients_with_pending_writes(srv);
    free_clients_in_async_free_queue(srv);
    while_blocked_cron(srv);
    if let Some(code) = srv.exit_code {
        // SHUTDOWN ran meanwhile (it is allowed while loading).
        std::process::exit(code);
    }
    srv.refresh_memory_stats();
    // While loading, a signal's shutdown happens here (Redis
    // `whileBlockedCron`); otherwise the cron takes it when it runs again.
    if srv.loading {
        for (flag, sig) in [
            (srv.sigterm.clone(), libc::SIGTERM),
            (srv.sigint.clone(), libc::SIGINT),
        ] {
            if flag.swap(false, Ordering::SeqCst) {
                crate::log::write_raw(&format!(
                    "{}:signal-handler ({}) Received shutdown signal during loading, scheduling shutdown.\n",
                    std::process::id(),
                    srv.mstime / 1000
                ));
                srv.shutdown_asap = true;
                srv.last_sig_received = sig;
            }
        }
    }
    if srv.shutdown_asap && srv.loading {
        if prepare_for_shutdown(srv, crate::config::SHUTDOWN_NOSAVE) {
            std::process::exit(0);
        }
        tracing::warn!(
            "SIGTERM received but errors trying to shut down the server, check the logs for more information"
        );
        srv.shutdown_asap = false;
        srv.last_sig_received = 0;
        SHUTDOWN_SIGNALED.store(false, Ordering::SeqCst);
    }
}

/// Runs the event loop until shutdown (Redis `aeMain`). Returns the exit code.
pub fn ae_main(srv: &mut Server) -> i32 {
    let now = mstime();
    srv.el.create_time_event(now, 1, TimerKind::ServerCron);
    srv.el.busy_poll_restart();
    let mut fired: Vec<FiredEvent> = Vec::with_capacity(1024);
    loop {
        if let Some(code) = srv.exit_code {
            return code;
        }
        before_sleep(srv);
        let now = mstime();
        let timeout = if !srv.clients_pending_read.is_empty()
            || !srv.clients_pending_write.is_empty()
            || crate::blocked::has_unblocked_clients(srv)
            || networking::has_unpaused_clients(srv)
        {
            Some(Duration::ZERO)
        } else {
            // Wake for the next timer or the nearest blocked-client timeout.
            let timer = srv.el.ms_until_next_timer(now);
            let blocked = crate::blocked::ms_until_next_timeout(srv, now);
            match (timer, blocked) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
            .map(|ms| Duration::from_millis(ms.max(0) as u64))
        };
        fired.clear();
        if let Err(e) = srv.el.poll_events_spinning(timeout, &mut fired) {
            tracing::warn!("Event loop poll failed: {}", e);
        }
        srv.update_cached_time();
        // The batch waits in the server, not here: a command that serves
        // events while it runs (a timed-out script, DEBUG RELOAD) handles
        // the rest of the batch itself, since the edge-triggered poller
        // will not report those events again.
        srv.fired_queue.extend(fired.drain(..));
        handle_fired_events(srv);
        handle_pending_reads(srv, None);
        let now = mstime();
        for te in srv.el.take_due_timers(now) {
            match te.kind {
                TimerKind::ServerCron => {
                    let next = server_cron(srv);
                    srv.el.reschedule(te, mstime(), next);
                }
                TimerKind::EvictionTimeProc => {
                    if let Some(next) = crate::evict::eviction_time_proc(srv) {
                        srv.el.reschedule(te, mstime(), next);
                    }
                }
            }
        }
    }
}

/// Handles the events in `srv.fired_queue`, one at a time, until it is
/// empty.
///
/// The queue lives in the server, never in a caller's local: a command
/// that serves events while it runs (a script past `busy-reply-threshold`,
/// DEBUG RELOAD, a load's progress callback) goes on with the rest of the
/// same batch through [`process_events_while_blocked`]. The poller is
/// edge-triggered, so an event left in a local list would not be reported
/// again, and its client (the one due to SCRIPT KILL the busy script, say)
/// would wait for more input that never comes.
fn handle_fired_events(srv: &mut Server) {
    while let Some(ev) = srv.fired_queue.pop_front() {
        process_file_event(srv, ev);
    }
}

/// Reads the clients on `srv.clients_pending_read` (input left over from
/// their last turn), each taken off the list just before it is read, so a
/// nested [`process_events_while_blocked`] run by one of their commands
/// still finds the others there. Only the clients listed at the start are
/// read; those re-queued meanwhile wait for the next pass. A listed client
/// that is out of the slab is the one running a blocking command: with
/// `busy` its slot is kept there, to be queued again once the nested pass
/// ends; without (the main loop) it was freed and is dropped.
fn handle_pending_reads(srv: &mut Server, mut busy: Option<&mut Vec<usize>>) {
    let count = srv.clients_pending_read.len();
    for _ in 0..count {
        let Some(slot) = srv.clients_pending_read.pop_front() else {
            break;
        };
        let Some(mut c) = srv.take_client(slot) else {
            if let Some(busy) = busy.as_deref_mut()
                && !busy.contains(&slot)
            {
                busy.push(slot);
            }
            continue;
        };
        c.flags &= !CLIENT_PENDING_READ;
        if networking::read_query_from_client(srv, &mut c) {
            srv.put_client(c);
        } else {
            srv.free_client(c);
        }
    }
}

fn process_file_event(srv: &mut Server, ev: FiredEvent) {
    let t = ev.token.0;
    if t >= crate::metrics::METRICS_TOKEN_BASE {
        crate::metrics::handle_event(srv, ev);
        return;
    }
    if (crate::replication::REPL_TOKEN_BASE..crate::replication::REPL_TOKEN_END).contains(&t) {
        crate::replication::handle_event(srv, ev);
        return;
    }
    if t < CLIENT_TOKEN_BASE {
        crate::anet::accept_handler(srv, t);
        return;
    }
    let slot = t - CLIENT_TOKEN_BASE;
    let Some(mut c) = srv.take_client(slot) else {
        // The client is running the command that serves events while
        // blocked (DEBUG RELOAD): keep its read for later, as the edge
        // will not fire again.
        if (ev.readable || ev.closed) && (srv.loading || srv.script.is_running()) {
            srv.clients_pending_read.push_back(slot);
        }
        return;
    };
    let mut keep = true;
    // A replica being sent its RDB: the socket's writability belongs to
    // the transfer (Redis swaps in `sendBulkToSlave` / `rdbPipeWriteHandler`).
    let rdb_transfer = ev.writable && crate::replication::fullsync::wants_write_event(&c);
    if rdb_transfer {
        keep = crate::replication::fullsync::handle_write_event(srv, &mut c);
    }
    // With `appendfsync always` the write goes first (Redis's AE_BARRIER):
    // replies to commands read now must wait for before_sleep's fsync.
    let barrier = srv.aof.state == crate::aof::AofStatus::On
        && srv.config.appendfsync == crate::config::AppendFsync::Always;
    if keep && barrier && !rdb_transfer && ev.writable && c.output_pending() {
        srv.stat_total_writes_processed += 1;
        keep = networking::write_to_client(srv, &mut c);
    }
    if keep && (ev.readable || ev.closed) {
        srv.stat_total_reads_processed += 1;
        if ev.closed {
            c.flags |= networking::CLIENT_READ_CLOSED;
        }
        keep = networking::read_query_from_client(srv, &mut c);
    }
    if keep && !barrier && !rdb_transfer && ev.writable && c.output_pending() {
        srv.stat_total_writes_processed += 1;
        keep = networking::write_to_client(srv, &mut c);
    }
    if keep {
        srv.put_client(c);
    } else {
        srv.free_client(c);
    }
}

// ---- Shutdown ----
//
// A shutdown (SHUTDOWN, or SIGTERM/SIGINT through the cron) starts in
// `prepare_for_shutdown`. Without NOW and with `shutdown-timeout` > 0, a
// master whose replicas have not all acknowledged `master_repl_offset`
// does not exit at once: it asks them for an ACK (`REPLCONF GETACK *`),
// pauses writes (`PausePurpose::DuringShutdown`, so the offset stops
// moving), sets `shutdown_mstime` to now + the timeout and returns false;
// the SHUTDOWN client stays blocked (`BlockType::Shutdown`) while every
// other client is served. Each cron tick then checks whether the replicas
// caught up or the time is up, and calls `finish_shutdown`: it logs the
// replicas still lagging, kills children, flushes the AOF, saves the final
// RDB per the flags and exits. When that fails (a failed save, an initial
// AOF still being written) or SHUTDOWN ABORT arrives, `cancel_shutdown`
// undoes it all: the blocked SHUTDOWN clients get an error and writes
// resume.

/// Starts a shutdown with `config::SHUTDOWN_*` `flags` (Redis
/// `prepareForShutdown`). Returns true when the server may exit now.
///
/// False when a shutdown is already in progress, when it waits for lagging
/// replicas ("Waiting for replicas before shutting down.";
/// [`is_shutdown_initiated`] is then true), or when it failed
/// ([`finish_shutdown`]). While loading, nothing is saved (the dataset is
/// incomplete): SAVE becomes NOSAVE.
pub fn prepare_for_shutdown(srv: &mut Server, mut flags: u32) -> bool {
    use crate::config::{SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE};
    if is_shutdown_initiated(srv) {
        return false;
    }
    if srv.loading {
        flags = (flags & !SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
    }
    srv.shutdown_flags = flags;
    tracing::warn!("User requested shutdown...");
    if flags & SHUTDOWN_NOW == 0 && srv.config.shutdown_timeout != 0 && !is_ready_to_shutdown(srv) {
        srv.shutdown_mstime = srv.mstime + srv.config.shutdown_timeout as i64 * 1000;
        if !networking::are_clients_paused(srv) {
            crate::replication::master::send_getack_to_replicas(srv);
        }
        networking::pause_clients(
            srv,
            networking::PausePurpose::DuringShutdown,
            i64::MAX,
            networking::PauseType::Write,
        );
        tracing::info!("Waiting for replicas before shutting down.");
        return false;
    }
    finish_shutdown(srv)
}

/// True while a shutdown waits for lagging replicas (Redis
/// `isShutdownInitiated`).
#[inline]
pub fn is_shutdown_initiated(srv: &Server) -> bool {
    srv.shutdown_mstime != 0
}

/// True when every replica acknowledged the whole replication stream, or
/// there is none (Redis `isReadyToShutdown`).
pub fn is_ready_to_shutdown(srv: &Server) -> bool {
    let offset = srv.repl.master_repl_offset;
    srv.clients_iter()
        .filter(|c| c.flags & crate::replication::CLIENT_SLAVE != 0)
        .all(|c| c.repl.as_deref().is_none_or(|r| r.repl_ack_off == offset))
}

/// Ends a shutdown in progress without exiting (Redis `cancelShutdown`):
/// the SHUTDOWN clients blocked on it get `-ERR Errors trying to SHUTDOWN.
/// Check logs.` and writes resume.
fn cancel_shutdown(srv: &mut Server) {
    srv.shutdown_asap = false;
    srv.shutdown_flags = 0;
    srv.shutdown_mstime = 0;
    srv.last_sig_received = 0;
    SHUTDOWN_SIGNALED.store(false, Ordering::SeqCst);
    crate::blocked::reply_to_clients_blocked_on_shutdown(srv);
    networking::unpause_clients(srv, networking::PausePurpose::DuringShutdown);
}

/// SHUTDOWN ABORT (Redis `abortShutdown`): cancels a shutdown waiting for
/// replicas, or one a signal requested that the cron has not started yet,
/// and logs "Shutdown manually aborted.". False when there was none.
pub fn abort_shutdown(srv: &mut Server) -> bool {
    let term = srv.sigterm.swap(false, Ordering::SeqCst);
    let int = srv.sigint.swap(false, Ordering::SeqCst);
    if is_shutdown_initiated(srv) {
        cancel_shutdown(srv);
    } else if srv.shutdown_asap || term || int {
        srv.shutdown_asap = false;
        SHUTDOWN_SIGNALED.store(false, Ordering::SeqCst);
    } else {
        return false;
    }
    tracing::info!("Shutdown manually aborted.");
    true
}

/// The last step of a shutdown (Redis `finishShutdown`). Returns true when
/// the process may exit.
///
/// Logs each replica still behind ("Lagging replica <ip:port> reported
/// offset <n> behind master, lag=<s>, state=<state>.") and "<k> of <n>
/// replicas are in sync when shutting down.", kills a Lua debugger session,
/// an RDB child (its temp file removed) and an AOF rewrite child, writes and
/// fsyncs the AOF, saves the final RDB when save points exist (unless
/// NOSAVE) or SAVE was given, removes the pid file, flushes what the
/// replicas are owed and closes the listeners ("Redis is now ready to exit,
/// bye bye..."). Without FORCE, a failed save ("Error trying to save the
/// DB, can't exit.") or an initial AOF rewrite in progress ("Writing
/// initial AOF, can't exit.") cancels the shutdown: "Errors trying to shut
/// down the server. Check the logs for more information." and false.
pub fn finish_shutdown(srv: &mut Server) -> bool {
    use crate::config::{SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};
    let flags = srv.shutdown_flags;
    let force = flags & SHUTDOWN_FORCE != 0;
    let replicas = srv.repl.replicas.len();
    let lagging = crate::replication::master::lagging_replicas(srv);
    let now_s = mstime() / 1000;
    for lag in &lagging {
        tracing::warn!(
            "Lagging replica {} reported offset {} behind master, lag={}, state={}.",
            lag.name,
            lag.offset_behind,
            if lag.online { now_s - lag.ack_time } else { 0 },
            lag.state
        );
    }
    if replicas > 0 {
        tracing::info!(
            "{} of {} replicas are in sync when shutting down.",
            replicas - lagging.len(),
            replicas
        );
    }
    crate::ldb::kill_forked_sessions();
    if srv.child.kind == crate::childinfo::ChildType::Rdb {
        tracing::warn!("There is a child saving an .rdb. Killing it!");
        let pid = srv.child.pid;
        crate::childinfo::kill_child(srv);
        crate::rdb::rdb_remove_temp_file(pid);
        srv.rdb.save_time_start = -1;
    }
    if !crate::aof::prepare_for_shutdown(srv, force) {
        return shutdown_failed(srv);
    }
    let save = flags & SHUTDOWN_SAVE != 0;
    let nosave = flags & SHUTDOWN_NOSAVE != 0;
    if (!srv.config.save_params.is_empty() && !nosave) || save {
        tracing::info!("Saving the final RDB snapshot before exiting.");
        let filename = srv.config.dbfilename.clone();
        if crate::rdb::rdb_save(srv, &filename).is_err() {
            if force {
                tracing::warn!("Error trying to save the DB. Exit anyway.");
            } else {
                tracing::warn!("Error trying to save the DB, can't exit.");
                return shutdown_failed(srv);
            }
        }
    }
    if srv.config.daemonize || !srv.config.pidfile.is_empty() {
        tracing::info!("Removing the pid file.");
        let _ = std::fs::remove_file(&srv.config.pidfile);
    }
    // Flush what the clients are owed (e.g. the QUIT of others) before exiting.
    networking::handle_clients_with_pending_writes(srv);
    crate::replication::master::flush_slaves_output_buffers(srv);
    crate::anet::close_listening_sockets(srv);
    tracing::warn!("Redis is now ready to exit, bye bye...");
    let _ = std::io::stdout().flush();
    true
}

/// The error path of [`finish_shutdown`]: logs, cancels, returns false.
fn shutdown_failed(srv: &mut Server) -> bool {
    tracing::warn!("Errors trying to shut down the server. Check the logs for more information.");
    cancel_shutdown(srv);
    false
}

// ---- Signals ----

/// Set by the SIGTERM/SIGINT handler when a shutdown was requested and not
/// yet given up (Redis `server.shutdown_asap` as the handler sees it): a
/// second SIGINT then exits at once.
pub static SHUTDOWN_SIGNALED: AtomicBool = AtomicBool::new(false);

/// What the handler needs, prepared before it is installed: no allocation
/// happens inside a signal handler.
struct SignalCtx {
    /// The log file, or None for standard output.
    logfile: Option<std::ffi::CString>,
    /// The pid file a crash removes (only when daemonized, as Redis).
    crash_pidfile: Option<std::ffi::CString>,
}

static SIGNAL_CTX: std::sync::OnceLock<SignalCtx> = std::sync::OnceLock::new();

/// Installs the SIGTERM and SIGINT handlers (Redis `setupSignalHandlers` /
/// `sigShutdownHandler`): each records the request for the cron. A SIGINT
/// while a shutdown is already pending (for instance during the final save)
/// logs "You insist... exiting now.", removes the temp RDB file of the
/// process it arrives in (`temp-<getpid()>.rdb`) and exits with status 1
/// immediately.
#[allow(unsafe_code)]
pub fn setup_signal_handlers(srv: &Server) {
    let ctx = SignalCtx {
        logfile: if srv.config.logfile.is_empty() {
            None
        } else {
            std::ffi::CString::new(srv.config.logfile.clone()).ok()
        },
        crash_pidfile: if srv.config.daemonize && !srv.config.pidfile.is_empty() {
            std::ffi::CString::new(srv.config.pidfile.clone()).ok()
        } else {
            None
        },
    };
    setup_sigsegv_handlers(srv.config.crash_log_enabled);
    let _ = SIGNAL_CTX.set(ctx);
    for (sig, flag) in [
        (signal_hook::consts::SIGTERM, srv.sigterm.clone()),
        (signal_hook::consts::SIGINT, srv.sigint.clone()),
    ] {
        let is_int = sig == signal_hook::consts::SIGINT;
        // SAFETY: the closure only touches atomics and calls the
        // async-signal-safe functions getpid, time, open, write, unlink and
        // _exit on stack buffers and data prepared before installation.
        let res = unsafe {
            signal_hook::low_level::register(sig, move || {
                if is_int && SHUTDOWN_SIGNALED.load(Ordering::SeqCst) {
                    insist_exit();
                }
                SHUTDOWN_SIGNALED.store(true, Ordering::SeqCst);
                flag.store(true, Ordering::SeqCst);
            })
        };
        if let Err(e) = res {
            tracing::warn!("Can't install signal handler: {}", e);
        }
    }
}

/// Writes the decimal digits of `v` into `buf`; returns them (no allocation).
fn fmt_u64(v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut d = buf.len();
    let mut v = v;
    loop {
        d -= 1;
        buf[d] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || d == 0 {
            break;
        }
    }
    &buf[d..]
}

/// A fixed buffer filled piecewise (no allocation; for the signal handler).
struct StackBuf<const N: usize> {
    b: [u8; N],
    n: usize,
}

impl<const N: usize> StackBuf<N> {
    fn put(&mut self, s: &[u8]) {
        let k = s.len().min(N - self.n);
        self.b[self.n..self.n + k].copy_from_slice(&s[..k]);
        self.n += k;
    }
}

/// The second-SIGINT path of the signal handler (async-signal-safe).
#[allow(unsafe_code)]
fn insist_exit() -> ! {
    // SAFETY: getpid is async-signal-safe.
    let pid = unsafe { libc::getpid() };
    let mut digits = [0u8; 20];
    let mut line = handler_log_line();
    line.put(b"You insist... exiting now.\n");
    let mut tmp = StackBuf::<48> { b: [0; 48], n: 0 };
    tmp.put(b"temp-");
    tmp.put(fmt_u64(pid.max(0) as u64, &mut digits));
    tmp.put(b".rdb\0");
    let fd = open_handler_log();
    // SAFETY: write/unlink are async-signal-safe; every pointer refers to
    // this stack frame, and `tmp` is NUL-terminated.
    unsafe {
        if fd >= 0 {
            libc::write(fd, line.b.as_ptr().cast(), line.n);
        }
        libc::unlink(tmp.b.as_ptr().cast());
    }
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(1) }
}

/// A log line as Redis writes it from a signal handler
/// (`serverLogFromHandler`): `<pid>:signal-handler (<unix time>) `, the
/// message to be appended (async-signal-safe).
#[allow(unsafe_code)]
fn handler_log_line() -> StackBuf<256> {
    // SAFETY: getpid and time(NULL) are async-signal-safe.
    let (pid, now) = unsafe { (libc::getpid(), libc::time(std::ptr::null_mut())) };
    let mut digits = [0u8; 20];
    let mut line = StackBuf::<256> { b: [0; 256], n: 0 };
    line.put(fmt_u64(pid.max(0) as u64, &mut digits));
    line.put(b":signal-handler (");
    line.put(fmt_u64(now.max(0) as u64, &mut digits));
    line.put(b") ");
    line
}

/// Logs `msg` from a signal handler (Redis `serverLogFromHandler`), as
/// `<pid>:signal-handler (<unix time>) <msg>` and a newline; longer
/// messages are cut at 200 bytes. Async-signal-safe: no allocation, only
/// getpid, time, open, write and close.
pub(crate) fn server_log_from_handler(msg: &[u8]) {
    let mut line = handler_log_line();
    line.put(&msg[..msg.len().min(200)]);
    line.put(b"\n");
    let fd = open_handler_log();
    write_from_handler(fd, &line.b[..line.n]);
    close_handler_log(fd);
}

/// Writes `bytes` to `fd` as they are (no allocation, async-signal-safe);
/// nothing when `fd` is -1.
#[allow(unsafe_code)]
pub(crate) fn write_from_handler(fd: libc::c_int, bytes: &[u8]) {
    if fd < 0 {
        return;
    }
    // SAFETY: write is async-signal-safe; the pointer and length describe
    // the live slice `bytes`.
    unsafe {
        libc::write(fd, bytes.as_ptr().cast(), bytes.len());
    }
}

/// Closes a descriptor from [`open_handler_log`] (standard output stays
/// open). Async-signal-safe.
#[allow(unsafe_code)]
pub(crate) fn close_handler_log(fd: libc::c_int) {
    if fd > libc::STDERR_FILENO {
        // SAFETY: close is async-signal-safe; `fd` was opened by us.
        unsafe {
            libc::close(fd);
        }
    }
}

/// Opens the log for a signal handler: the log file for appending (the
/// caller closes it, [`close_handler_log`]), or standard output. -1 when
/// it cannot be opened.
#[allow(unsafe_code)]
pub(crate) fn open_handler_log() -> libc::c_int {
    match SIGNAL_CTX.get().and_then(|c| c.logfile.as_ref()) {
        // SAFETY: open is async-signal-safe; the path was NUL-terminated
        // before the handler was installed.
        Some(p) => unsafe {
            libc::open(
                p.as_ptr(),
                libc::O_APPEND | libc::O_CREAT | libc::O_WRONLY,
                0o644,
            )
        },
        None => libc::STDOUT_FILENO,
    }
}

// ---- Crash report ----

/// The signals that produce a crash report.
const CRASH_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];

/// With `enabled` (`crash-log-enabled yes`), a SIGSEGV, SIGBUS, SIGFPE,
/// SIGILL or SIGABRT writes a crash report to the log before the process
/// dies of that signal; otherwise their default action is restored (Redis
/// `setupSigSegvHandlers`). The report, in Redis's frame:
///
/// ```text
/// === REDIS BUG REPORT START: Cut & paste starting from here ===
/// <pid>:signal-handler (<time>) Redis 7.0.15 crashed by signal: <sig>, si_code: <code>
/// <pid>:signal-handler (<time>) Accessing address: <addr>       (SIGSEGV, SIGBUS)
/// <pid>:signal-handler (<time>) Killed by PID: <pid>, UID: <uid> (sent by kill)
/// ------ STACK TRACE ------
/// EIP:
/// <the faulting instruction>
/// Backtrace:
/// <one line per frame: binary(+offset) [address]>
/// === REDIS BUG REPORT END. Make sure to include from START to END. ===
/// ```
///
/// Its lines carry the signal-handler prefix, not the full date, and the
/// frames are addresses (the binary exports no symbols); Redis's INFO,
/// client and register dumps are not part of it. A daemonized server's pid
/// file is removed.
#[allow(unsafe_code)]
pub fn setup_sigsegv_handlers(enabled: bool) {
    // The first backtrace() loads libgcc, which allocates: not in the handler.
    crate::watchdog::warm_up_backtrace();
    for sig in CRASH_SIGNALS {
        // SAFETY: a zeroed sigaction is a valid starting value; the mask is
        // initialized by sigemptyset; the handler has the SA_SIGINFO
        // signature and only calls async-signal-safe functions.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            if enabled {
                act.sa_flags = libc::SA_NODEFER | libc::SA_RESETHAND | libc::SA_SIGINFO;
                act.sa_sigaction = crash_handler as *const () as libc::sighandler_t;
            } else {
                act.sa_flags = libc::SA_NODEFER | libc::SA_RESETHAND;
                act.sa_sigaction = libc::SIG_DFL;
            }
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
}

/// Appends `v` in hexadecimal with a `0x` prefix (async-signal-safe).
fn put_hex<const N: usize>(line: &mut StackBuf<N>, v: usize) {
    let mut buf = [0u8; 18];
    let mut d = buf.len();
    let mut v = v;
    loop {
        d -= 1;
        buf[d] = b"0123456789abcdef"[v & 15];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    d -= 2;
    buf[d] = b'0';
    buf[d + 1] = b'x';
    line.put(&buf[d..]);
}

/// The crash report handler (Redis `sigsegvHandler` and `bugReportEnd`):
/// see [`setup_sigsegv_handlers`]. Ends by dying of the same signal.
#[allow(unsafe_code)]
extern "C" fn crash_handler(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    let fd = open_handler_log();
    let mut digits = [0u8; 20];
    let emit = |b: &[u8]| write_from_handler(fd, b);
    emit(b"\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
    let mut line = handler_log_line();
    line.put(b"Redis ");
    line.put(crate::config::REDIS_VERSION.as_bytes());
    line.put(b" crashed by signal: ");
    line.put(fmt_u64(sig.max(0) as u64, &mut digits));
    line.put(b", si_code: ");
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let code = unsafe { info.as_ref() }.map_or(0, |i| i.si_code);
    if code < 0 {
        line.put(b"-");
    }
    line.put(fmt_u64(code.unsigned_abs() as u64, &mut digits));
    line.put(b"\n");
    emit(&line.b[..line.n]);
    if let Some(i) = unsafe { info.as_ref() } {
        if sig == libc::SIGSEGV || sig == libc::SIGBUS {
            let mut line = handler_log_line();
            line.put(b"Accessing address: ");
            // SAFETY: si_addr is the field the kernel fills for these signals.
            put_hex(&mut line, unsafe { i.si_addr() } as usize);
            line.put(b"\n");
            emit(&line.b[..line.n]);
        }
        // SAFETY: for SI_USER the kernel fills si_pid and si_uid.
        let (pid, uid) = unsafe { (i.si_pid(), i.si_uid()) };
        if code == libc::SI_USER && pid != -1 {
            let mut line = handler_log_line();
            line.put(b"Killed by PID: ");
            line.put(fmt_u64(pid.max(0) as u64, &mut digits));
            line.put(b", UID: ");
            line.put(fmt_u64(uid as u64, &mut digits));
            line.put(b"\n");
            emit(&line.b[..line.n]);
        }
    }
    crate::watchdog::log_stack_trace(crate::watchdog::interrupted_pc(uc));
    emit(
        b"\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       Please report the crash by opening an issue on github:\n\n           http://github.com/redis/redis/issues\n\n",
    );
    close_handler_log(fd);
    // SAFETY: unlink, sigaction, getpid and kill are async-signal-safe;
    // the pid file path was prepared beforehand.
    unsafe {
        if let Some(p) = SIGNAL_CTX.get().and_then(|c| c.crash_pidfile.as_ref()) {
            libc::unlink(p.as_ptr());
        }
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = libc::SA_NODEFER | libc::SA_ONSTACK | libc::SA_RESETHAND;
        act.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(sig, &act, std::ptr::null_mut());
        libc::kill(libc::getpid(), sig);
    }
}
