//! The command table and the COMMAND command (Redis `commands.c`, the
//! command parts of `server.c`).
//!
//! # How the table is built
//! The facts about every Redis 7.0 command (arity, flags, key specs, ACL
//! categories, docs) are data in [`meta`]. At startup [`CommandTable::new`]
//! joins each row with a handler from [`HANDLERS`] by name. A row without a
//! handler is not exposed at all: the server answers "unknown command" rather
//! than pretend. Containers (CONFIG, CLIENT, OBJECT, COMMAND) are exposed when
//! at least one of their subcommands is.
//!
//! Lookup is by lowercased name in a hash map, then by subcommand for
//! containers (Redis `lookupCommandLogic`). Per-command statistics (calls,
//! time, rejected and failed calls) live in the table rows.

pub mod meta;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;

use crate::networking::Client;
use crate::server::Server;
use crate::util::string_match;
use meta::{Arg, BeginSearch, CommandMeta, FindKeys};

/// FNV-1a for the command-name maps: a fixed table of short names, looked up
/// once per command, where SipHash's DoS resistance buys nothing.
#[derive(Default)]
pub struct CommandNameHasher(u64);

impl Hasher for CommandNameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type CommandMap = HashMap<Vec<u8>, usize, BuildHasherDefault<CommandNameHasher>>;

/// Lowercases a command name into `buf`; None if longer than the buffer
/// (no command name is).
fn lowercase_name<'a>(name: &[u8], buf: &'a mut [u8; 32]) -> Option<&'a [u8]> {
    let b = buf.get_mut(..name.len())?;
    b.copy_from_slice(name);
    b.make_ascii_lowercase();
    Some(b)
}

/// Key positions in argv, each with its key-spec flags.
type KeysWithFlags = Vec<(usize, &'static [&'static str])>;
/// A command's own key-finding function (Redis `getkeys_proc`).
type GetKeysProc = fn(&[Bytes]) -> KeysWithFlags;

/// A command handler: reads `c.argv`, changes `srv`, replies on `c`.
pub type Handler = fn(&mut Server, &mut Client);

pub const CMD_WRITE: u64 = 1 << 0;
pub const CMD_READONLY: u64 = 1 << 1;
pub const CMD_DENYOOM: u64 = 1 << 2;
pub const CMD_ADMIN: u64 = 1 << 4;
pub const CMD_PUBSUB: u64 = 1 << 5;
pub const CMD_NOSCRIPT: u64 = 1 << 6;
pub const CMD_BLOCKING: u64 = 1 << 8;
pub const CMD_LOADING: u64 = 1 << 9;
pub const CMD_STALE: u64 = 1 << 10;
pub const CMD_SKIP_MONITOR: u64 = 1 << 11;
pub const CMD_SKIP_SLOWLOG: u64 = 1 << 12;
pub const CMD_FAST: u64 = 1 << 14;
pub const CMD_NO_AUTH: u64 = 1 << 15;
pub const CMD_MAY_REPLICATE: u64 = 1 << 16;
/// Refused while a replica loads its master's RDB asynchronously
/// (`repl-diskless-load swapdb`, Redis `CMD_NO_ASYNC_LOADING`).
pub const CMD_NO_ASYNC_LOADING: u64 = 1 << 23;
pub const CMD_NO_MULTI: u64 = 1 << 24;
pub const CMD_ALLOW_BUSY: u64 = 1 << 26;

/// The commands Redis 7.0.15 flags `MAY_REPLICATE`, a flag COMMAND INFO
/// does not list: scripts and functions that may write, PUBLISH/SPUBLISH
/// (replicated to replicas), PFCOUNT (may rewrite its key).
const MAY_REPLICATE_COMMANDS: &[&str] =
    &["eval", "evalsha", "fcall", "pfcount", "publish", "spublish"];

fn flag_bit(name: &str) -> u64 {
    match name {
        "write" => CMD_WRITE,
        "readonly" => CMD_READONLY,
        "denyoom" => CMD_DENYOOM,
        "admin" => CMD_ADMIN,
        "pubsub" => CMD_PUBSUB,
        "noscript" => CMD_NOSCRIPT,
        "blocking" => CMD_BLOCKING,
        "loading" => CMD_LOADING,
        "stale" => CMD_STALE,
        "skip_monitor" => CMD_SKIP_MONITOR,
        "skip_slowlog" => CMD_SKIP_SLOWLOG,
        "fast" => CMD_FAST,
        "no_auth" => CMD_NO_AUTH,
        "may_replicate" => CMD_MAY_REPLICATE,
        "no_multi" => CMD_NO_MULTI,
        "no_async_loading" => CMD_NO_ASYNC_LOADING,
        "allow_busy" => CMD_ALLOW_BUSY,
        _ => 0,
    }
}

/// Every handler table: the generic one here plus one per module that owns
/// a command family (each module exports its own `HANDLERS`).
pub static HANDLER_TABLES: &[&[(&str, Handler)]] = &[
    HANDLERS,
    crate::t_list::HANDLERS,
    crate::t_hash::HANDLERS,
    crate::t_set::HANDLERS,
    crate::t_zset::HANDLERS,
    crate::multi::HANDLERS,
    crate::blocked::HANDLERS,
    crate::sort::HANDLERS,
    crate::object::HANDLERS,
    crate::rdb::dump::HANDLERS,
    crate::rdb::migrate::HANDLERS,
    crate::pubsub::HANDLERS,
    crate::tracking::HANDLERS,
    crate::eval::HANDLERS,
    crate::function::HANDLERS,
    crate::slowlog::HANDLERS,
    crate::latency::HANDLERS,
    crate::lolwut::HANDLERS,
    crate::evict::HANDLERS,
    crate::config::HANDLERS,
    crate::networking::HANDLERS,
    crate::t_stream::HANDLERS,
    crate::t_stream_cg::HANDLERS,
    crate::hyperloglog::HANDLERS,
    crate::bitops::HANDLERS,
    crate::geo::HANDLERS,
    crate::acl::HANDLERS,
    crate::replication::master::HANDLERS,
    crate::replication::replica::HANDLERS,
    crate::replication::failover::HANDLERS,
    crate::cluster::HANDLERS,
];

/// Every implemented handler, by command (or "parent|sub") name.
pub fn all_handlers() -> impl Iterator<Item = (&'static str, Handler)> {
    HANDLER_TABLES.iter().flat_map(|t| t.iter().copied())
}

/// The generic handlers (keyspace, strings, connection, server), by command
/// (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[
    // generic / keyspace
    ("del", crate::db::del_command),
    ("unlink", crate::db::unlink_command),
    ("exists", crate::db::exists_command),
    ("type", crate::db::type_command),
    ("touch", crate::db::touch_command),
    ("keys", crate::db::keys_command),
    ("scan", crate::db::scan_command),
    ("randomkey", crate::db::randomkey_command),
    ("rename", crate::db::rename_command),
    ("renamenx", crate::db::renamenx_command),
    ("move", crate::db::move_command),
    ("copy", crate::db::copy_command),
    ("dbsize", crate::db::dbsize_command),
    ("flushdb", crate::db::flushdb_command),
    ("flushall", crate::db::flushall_command),
    ("swapdb", crate::db::swapdb_command),
    ("select", crate::db::select_command),
    ("object|encoding", crate::db::object_encoding_command),
    ("object|refcount", crate::db::object_refcount_command),
    ("object|idletime", crate::db::object_idletime_command),
    ("object|freq", crate::db::object_freq_command),
    ("object|help", crate::db::object_help_command),
    ("expire", crate::expire::expire_command),
    ("pexpire", crate::expire::pexpire_command),
    ("expireat", crate::expire::expireat_command),
    ("pexpireat", crate::expire::pexpireat_command),
    ("ttl", crate::expire::ttl_command),
    ("pttl", crate::expire::pttl_command),
    ("expiretime", crate::expire::expiretime_command),
    ("pexpiretime", crate::expire::pexpiretime_command),
    ("persist", crate::expire::persist_command),
    // strings
    ("get", crate::t_string::get_command),
    ("set", crate::t_string::set_command),
    ("setnx", crate::t_string::setnx_command),
    ("setex", crate::t_string::setex_command),
    ("psetex", crate::t_string::psetex_command),
    ("mget", crate::t_string::mget_command),
    ("mset", crate::t_string::mset_command),
    ("msetnx", crate::t_string::msetnx_command),
    ("getset", crate::t_string::getset_command),
    ("getdel", crate::t_string::getdel_command),
    ("getex", crate::t_string::getex_command),
    ("append", crate::t_string::append_command),
    ("strlen", crate::t_string::strlen_command),
    ("incr", crate::t_string::incr_command),
    ("decr", crate::t_string::decr_command),
    ("incrby", crate::t_string::incrby_command),
    ("decrby", crate::t_string::decrby_command),
    ("incrbyfloat", crate::t_string::incrbyfloat_command),
    ("getrange", crate::t_string::getrange_command),
    ("substr", crate::t_string::getrange_command),
    ("setrange", crate::t_string::setrange_command),
    ("lcs", crate::t_string::lcs_command),
    // connection
    ("ping", crate::server_cmds::ping_command),
    ("echo", crate::server_cmds::echo_command),
    ("quit", crate::server_cmds::quit_command),
    ("reset", crate::server_cmds::reset_command),
    ("auth", crate::server_cmds::auth_command),
    ("hello", crate::server_cmds::hello_command),
    ("client|id", crate::server_cmds::client_id_command),
    ("client|setname", crate::server_cmds::client_setname_command),
    ("client|getname", crate::server_cmds::client_getname_command),
    ("client|list", crate::server_cmds::client_list_command),
    ("client|info", crate::server_cmds::client_info_command),
    ("client|kill", crate::server_cmds::client_kill_command),
    ("client|setinfo", crate::server_cmds::client_setinfo_command),
    ("client|reply", crate::server_cmds::client_reply_command),
    (
        "client|no-evict",
        crate::server_cmds::client_no_evict_command,
    ),
    ("client|help", crate::server_cmds::client_help_command),
    // server
    ("time", crate::server_cmds::time_command),
    ("shutdown", crate::server_cmds::shutdown_command),
    ("save", crate::rdb::save_command),
    ("bgsave", crate::rdb::bgsave_command),
    ("bgrewriteaof", crate::aof::bgrewriteaof_command),
    ("lastsave", crate::rdb::lastsave_command),
    ("info", crate::info::info_command),
    ("debug", crate::debug::debug_command),
    ("command", command_command),
    ("command|count", command_count_command),
    ("command|info", command_info_command),
    ("command|docs", command_docs_command),
    ("command|list", command_list_command),
    ("command|getkeys", command_getkeys_command),
    ("command|getkeysandflags", command_getkeysandflags_command),
    ("command|help", command_help_command),
];

/// One exposed command or subcommand (Redis `struct redisCommand`).
pub struct RedisCommand {
    pub meta: &'static CommandMeta,
    /// "get", or "config|get" for subcommands.
    pub fullname: String,
    pub arity: i32,
    pub flags: u64,
    pub handler: Option<Handler>,
    /// Subcommand name → index, for containers.
    pub subcommands: Option<CommandMap>,
    pub parent: Option<usize>,
    // ---- INFO commandstats ----
    pub calls: u64,
    pub microseconds: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
    /// Per-command latency histogram in nanoseconds (1 ns ..= 1 s, 2
    /// significant digits), allocated at the first call recorded with
    /// `latency-tracking yes`; `None` until then and after CONFIG
    /// RESETSTAT. Read by INFO latencystats (see `info.rs`).
    pub latency_histogram: Option<Box<hdrhistogram::Histogram<u64>>>,
}

/// All exposed commands.
pub struct CommandTable {
    pub cmds: Vec<RedisCommand>,
    top: CommandMap,
    /// Top-level commands removed by `rename-command <name> ""`, by index:
    /// gone from COMMAND, COMMAND COUNT/LIST/DOCS as from Redis's command
    /// dict (their subcommands with them).
    removed: Vec<usize>,
}

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandTable {
    /// Joins [`meta::COMMANDS`] with [`HANDLERS`]; see the module docs.
    pub fn new() -> CommandTable {
        let handlers: HashMap<&str, Handler> = all_handlers().collect();
        let mut t = CommandTable {
            cmds: Vec::new(),
            top: CommandMap::default(),
            removed: Vec::new(),
        };
        for m in meta::COMMANDS.iter().filter(|m| !m.is_subcommand()) {
            let subs: Vec<&'static CommandMeta> = meta::subcommands(m.name)
                .iter()
                .filter(|s| handlers.contains_key(s.name))
                .collect();
            let handler = handlers.get(m.name).copied();
            if handler.is_none() && subs.is_empty() {
                continue;
            }
            let idx = t.push(m, handler, None);
            if !subs.is_empty() || !meta::subcommands(m.name).is_empty() {
                let mut map = CommandMap::default();
                for s in subs {
                    let sidx = t.push(s, handlers.get(s.name).copied(), Some(idx));
                    let short = s.name.split('|').nth(1).unwrap_or(s.name);
                    map.insert(short.as_bytes().to_vec(), sidx);
                }
                t.cmds[idx].subcommands = Some(map);
            }
            t.top.insert(m.name.as_bytes().to_vec(), idx);
        }
        t
    }

    fn push(
        &mut self,
        m: &'static CommandMeta,
        handler: Option<Handler>,
        parent: Option<usize>,
    ) -> usize {
        let mut flags = m.flags.iter().map(|f| flag_bit(f)).fold(0, |a, b| a | b);
        // Redis 7.0 marks these `may_replicate` without showing it in
        // COMMAND (CLIENT PAUSE WRITE holds them, read-only scripts refuse them).
        if MAY_REPLICATE_COMMANDS.contains(&m.name) {
            flags |= CMD_MAY_REPLICATE;
        }
        self.cmds.push(RedisCommand {
            meta: m,
            fullname: m.name.to_string(),
            arity: m.arity,
            flags,
            handler,
            subcommands: None,
            parent,
            calls: 0,
            microseconds: 0,
            rejected_calls: 0,
            failed_calls: 0,
            latency_histogram: None,
        });
        self.cmds.len() - 1
    }

    /// Finds the command for an argv (Redis `lookupCommand`): the container
    /// itself when only its name is given, its subcommand otherwise.
    pub fn lookup(&self, argv: &[Bytes]) -> Option<usize> {
        let base = self.lookup_top(&argv[0])?;
        match &self.cmds[base].subcommands {
            Some(subs) if argv.len() > 1 => {
                let mut buf = [0u8; 32];
                subs.get(lowercase_name(&argv[1], &mut buf)?).copied()
            }
            _ => Some(base),
        }
    }

    fn lookup_top(&self, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 32];
        self.top.get(lowercase_name(name, &mut buf)?).copied()
    }

    /// Renames the top-level command `from` to `to`, or removes it when `to` is
    /// empty (the `rename-command` config directive, applied at startup as Redis
    /// does while loading its config). The command keeps its full name in INFO
    /// commandstats. Errors (Redis's texts): `No such command in rename-command`,
    /// `Target command name already exists`.
    pub fn rename_command(&mut self, from: &[u8], to: &[u8]) -> Result<(), &'static str> {
        let from = from.to_ascii_lowercase();
        let Some(idx) = self.top.remove(&from) else {
            return Err("No such command in rename-command");
        };
        if to.is_empty() {
            self.removed.push(idx);
            return Ok(());
        }
        let to = to.to_ascii_lowercase();
        if self.top.contains_key(&to) {
            return Err("Target command name already exists");
        }
        self.top.insert(to, idx);
        Ok(())
    }

    /// True if `name` is a container command (CONFIG, CLIENT, ...).
    pub fn is_container(&self, name: &[u8]) -> bool {
        self.lookup_top(name)
            .is_some_and(|i| self.cmds[i].subcommands.is_some())
    }

    /// Finds a command by "name" or "parent|sub" (Redis `lookupCommandBySds`).
    pub fn lookup_by_fullname(&self, name: &[u8]) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        let mut parts = lower.splitn(2, |&b| b == b'|');
        let top = parts.next()?;
        let base = self.lookup_top(top)?;
        match parts.next() {
            None => Some(base),
            Some(sub) => self.cmds[base].subcommands.as_ref()?.get(sub).copied(),
        }
    }

    /// Indexes of the top-level commands, less those removed by
    /// `rename-command <name> ""`.
    pub fn top_level(&self) -> impl Iterator<Item = usize> + '_ {
        self.cmds
            .iter()
            .enumerate()
            .filter(|(i, c)| c.parent.is_none() && !self.removed.contains(i))
            .map(|(i, _)| i)
    }

    /// False for a command removed by `rename-command <name> ""` and for
    /// the subcommands of one (what COMMAND LIST leaves out).
    pub fn is_listed(&self, i: usize) -> bool {
        !self.removed.contains(&self.cmds[i].parent.unwrap_or(i))
    }

    /// Clears every command's statistics (CONFIG RESETSTAT).
    pub fn reset_stats(&mut self) {
        for c in self.cmds.iter_mut() {
            c.calls = 0;
            c.microseconds = 0;
            c.rejected_calls = 0;
            c.failed_calls = 0;
            c.latency_histogram = None;
        }
    }

    fn subcommand_indexes(&self, idx: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self.cmds[idx]
            .subcommands
            .as_ref()
            .map(|m| m.values().copied().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| self.cmds[*a].fullname.cmp(&self.cmds[*b].fullname));
        v
    }
}

// ---- Replies describing commands ----

fn add_reply_status_set(c: &mut Client, items: &[&str]) {
    c.add_reply_set_len(items.len());
    for i in items {
        c.add_reply_status(i);
    }
}

fn add_reply_key_specs(c: &mut Client, m: &CommandMeta) {
    c.add_reply_set_len(m.key_specs.len());
    for ks in m.key_specs {
        c.add_reply_map_len(3);
        c.add_reply_bulk(b"flags");
        add_reply_status_set(c, ks.flags);
        c.add_reply_bulk(b"begin_search");
        c.add_reply_map_len(2);
        c.add_reply_bulk(b"type");
        match ks.begin_search {
            BeginSearch::Index(pos) => {
                c.add_reply_bulk(b"index");
                c.add_reply_bulk(b"spec");
                c.add_reply_map_len(1);
                c.add_reply_bulk(b"index");
                c.add_reply_long_long(pos as i64);
            }
            BeginSearch::Keyword { keyword, startfrom } => {
                c.add_reply_bulk(b"keyword");
                c.add_reply_bulk(b"spec");
                c.add_reply_map_len(2);
                c.add_reply_bulk(b"keyword");
                c.add_reply_bulk(keyword.as_bytes());
                c.add_reply_bulk(b"startfrom");
                c.add_reply_long_long(startfrom as i64);
            }
            BeginSearch::Unknown => {
                c.add_reply_bulk(b"unknown");
                c.add_reply_bulk(b"spec");
                c.add_reply_map_len(0);
            }
        }
        c.add_reply_bulk(b"find_keys");
        c.add_reply_map_len(2);
        c.add_reply_bulk(b"type");
        match ks.find_keys {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                c.add_reply_bulk(b"range");
                c.add_reply_bulk(b"spec");
                c.add_reply_map_len(3);
                c.add_reply_bulk(b"lastkey");
                c.add_reply_long_long(lastkey as i64);
                c.add_reply_bulk(b"keystep");
                c.add_reply_long_long(keystep as i64);
                c.add_reply_bulk(b"limit");
                c.add_reply_long_long(limit as i64);
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                c.add_reply_bulk(b"keynum");
                c.add_reply_bulk(b"spec");
                c.add_reply_map_len(3);
                c.add_reply_bulk(b"keynumidx");
                c.add_reply_long_long(keynumidx as i64);
                c.add_reply_bulk(b"firstkey");
                c.add_reply_long_long(firstkey as i64);
                c.add_reply_bulk(b"keystep");
                c.add_reply_long_long(keystep as i64);
            }
            FindKeys::Unknown => {
                c.add_reply_bulk(b"unknown");
                c.add_reply_bulk(b"spec");
                c.add_reply_map_len(0);
            }
        }
    }
}

/// One COMMAND INFO entry (Redis `addReplyCommandInfo`).
fn add_reply_command_info(srv: &Server, c: &mut Client, idx: usize) {
    let cmd = &srv.commands.cmds[idx];
    let m = cmd.meta;
    c.add_reply_array_len(10);
    c.add_reply_bulk(cmd.fullname.as_bytes());
    c.add_reply_long_long(m.arity as i64);
    add_reply_status_set(c, m.flags);
    c.add_reply_long_long(m.first_key as i64);
    c.add_reply_long_long(m.last_key as i64);
    c.add_reply_long_long(m.key_step as i64);
    add_reply_status_set(c, m.acl_categories);
    if m.tips.is_empty() {
        c.add_reply_set_len(0);
    } else {
        c.add_reply_set_len(m.tips.len());
        for t in m.tips {
            c.add_reply_bulk(t.as_bytes());
        }
    }
    add_reply_key_specs(c, m);
    let subs = srv.commands.subcommand_indexes(idx);
    if cmd.subcommands.is_none() {
        c.add_reply_set_len(0);
    } else {
        c.add_reply_array_len(subs.len());
        for s in subs {
            add_reply_command_info(srv, c, s);
        }
    }
}

fn add_reply_args(c: &mut Client, args: &[Arg]) {
    c.add_reply_array_len(args.len());
    for a in args {
        let nested = a.typ == "oneof" || a.typ == "block";
        let maplen = 2
            + (a.key_spec_index != -1) as usize
            + a.token.is_some() as usize
            + a.since.is_some() as usize
            + a.deprecated_since.is_some() as usize
            + (!a.flags.is_empty()) as usize
            + nested as usize;
        c.add_reply_map_len(maplen);
        c.add_reply_bulk(b"name");
        c.add_reply_bulk(a.name.as_bytes());
        c.add_reply_bulk(b"type");
        c.add_reply_bulk(a.typ.as_bytes());
        if a.key_spec_index != -1 {
            c.add_reply_bulk(b"key_spec_index");
            c.add_reply_long_long(a.key_spec_index as i64);
        }
        if let Some(t) = a.token {
            c.add_reply_bulk(b"token");
            c.add_reply_bulk(t.as_bytes());
        }
        if let Some(s) = a.since {
            c.add_reply_bulk(b"since");
            c.add_reply_bulk(s.as_bytes());
        }
        if let Some(s) = a.deprecated_since {
            c.add_reply_bulk(b"deprecated_since");
            c.add_reply_bulk(s.as_bytes());
        }
        if !a.flags.is_empty() {
            c.add_reply_bulk(b"flags");
            add_reply_status_set(c, a.flags);
        }
        if nested {
            c.add_reply_bulk(b"arguments");
            add_reply_args(c, a.subargs);
        }
    }
}

/// One COMMAND DOCS entry (Redis `addReplyCommandDocs`).
fn add_reply_command_docs(srv: &Server, c: &mut Client, idx: usize) {
    let cmd = &srv.commands.cmds[idx];
    let m = cmd.meta;
    let maplen = 1
        + (!m.summary.is_empty()) as usize
        + (!m.since.is_empty()) as usize
        + (!m.complexity.is_empty()) as usize
        + (!m.doc_flags.is_empty()) as usize
        + m.deprecated_since.is_some() as usize
        + m.replaced_by.is_some() as usize
        + (!m.args.is_empty()) as usize
        + cmd.subcommands.is_some() as usize;
    c.add_reply_map_len(maplen);
    if !m.summary.is_empty() {
        c.add_reply_bulk(b"summary");
        c.add_reply_bulk(m.summary.as_bytes());
    }
    if !m.since.is_empty() {
        c.add_reply_bulk(b"since");
        c.add_reply_bulk(m.since.as_bytes());
    }
    c.add_reply_bulk(b"group");
    c.add_reply_bulk(m.group.as_bytes());
    if !m.complexity.is_empty() {
        c.add_reply_bulk(b"complexity");
        c.add_reply_bulk(m.complexity.as_bytes());
    }
    if !m.doc_flags.is_empty() {
        c.add_reply_bulk(b"doc_flags");
        add_reply_status_set(c, m.doc_flags);
    }
    if let Some(d) = m.deprecated_since {
        c.add_reply_bulk(b"deprecated_since");
        c.add_reply_bulk(d.as_bytes());
    }
    if let Some(r) = m.replaced_by {
        c.add_reply_bulk(b"replaced_by");
        c.add_reply_bulk(r.as_bytes());
    }
    if !m.args.is_empty() {
        c.add_reply_bulk(b"arguments");
        add_reply_args(c, m.args);
    }
    if cmd.subcommands.is_some() {
        let subs = srv.commands.subcommand_indexes(idx);
        c.add_reply_bulk(b"subcommands");
        c.add_reply_map_len(subs.len());
        for s in subs {
            c.add_reply_bulk(srv.commands.cmds[s].fullname.as_bytes());
            add_reply_command_docs(srv, c, s);
        }
    }
}

/// COMMAND → array of COMMAND INFO entries for every top-level command.
pub fn command_command(srv: &mut Server, c: &mut Client) {
    let tops: Vec<usize> = srv.commands.top_level().collect();
    c.add_reply_array_len(tops.len());
    for i in tops {
        add_reply_command_info(srv, c, i);
    }
}

/// COMMAND COUNT → integer: top-level commands.
pub fn command_count_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_long_long(srv.commands.top_level().count() as i64);
}

/// COMMAND INFO [name ...] → array of entries (null for unknown names); all commands without names.
pub fn command_info_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() == 2 {
        command_command(srv, c);
        return;
    }
    c.add_reply_array_len(c.argv.len() - 2);
    for j in 2..c.argv.len() {
        match srv.commands.lookup_by_fullname(&c.argv[j].clone()) {
            Some(i) => add_reply_command_info(srv, c, i),
            None => c.add_reply_null(),
        }
    }
}

/// COMMAND DOCS [name ...] → map name → docs (unknown names are skipped).
pub fn command_docs_command(srv: &mut Server, c: &mut Client) {
    let idxs: Vec<usize> = if c.argv.len() == 2 {
        srv.commands.top_level().collect()
    } else {
        (2..c.argv.len())
            .filter_map(|j| srv.commands.lookup_by_fullname(&c.argv[j]))
            .collect()
    };
    c.add_reply_map_len(idxs.len());
    for i in idxs {
        c.add_reply_bulk(srv.commands.cmds[i].fullname.as_bytes());
        add_reply_command_docs(srv, c, i);
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern] → names, subcommands included.
pub fn command_list_command(srv: &mut Server, c: &mut Client) {
    enum Filter {
        All,
        Module,
        AclCat(Vec<u8>),
        Pattern(Vec<u8>),
    }
    let filter = if c.argv.len() == 2 {
        Filter::All
    } else if c.argv.len() == 5 && c.argv[2].eq_ignore_ascii_case(b"filterby") {
        let what = &c.argv[3];
        let arg = c.argv[4].to_vec();
        if what.eq_ignore_ascii_case(b"module") {
            Filter::Module
        } else if what.eq_ignore_ascii_case(b"aclcat") {
            Filter::AclCat(arg)
        } else if what.eq_ignore_ascii_case(b"pattern") {
            Filter::Pattern(arg)
        } else {
            c.add_reply_error(crate::shared::err_syntax());
            return;
        }
    } else {
        c.add_reply_error(crate::shared::err_syntax());
        return;
    };
    let table = &srv.commands;
    let names: Vec<&str> = table
        .cmds
        .iter()
        .enumerate()
        .filter(|&(i, _)| table.is_listed(i))
        .map(|(_, cmd)| cmd)
        .filter(|cmd| match &filter {
            Filter::All => true,
            Filter::Module => false,
            Filter::AclCat(cat) => cmd
                .meta
                .acl_categories
                .iter()
                .any(|a| a.as_bytes()[1..].eq_ignore_ascii_case(cat)),
            Filter::Pattern(p) => string_match(p, cmd.fullname.as_bytes(), true),
        })
        .map(|cmd| cmd.fullname.as_str())
        .collect();
    c.add_reply_array_len(names.len());
    for n in names {
        c.add_reply_bulk(n.as_bytes());
    }
}

/// Positions of the key arguments of `argv` according to the key specs
/// (Redis `getKeysUsingKeySpecs`), with each key's spec flags; empty when
/// a spec does not fit the arguments (see [`try_get_keys_from_specs`]).
pub fn get_keys_from_specs(
    m: &CommandMeta,
    argv: &[Bytes],
) -> Vec<(usize, &'static [&'static str])> {
    try_get_keys_from_specs(m, argv).unwrap_or_default()
}

/// Redis `getKeysUsingKeySpecs` without partial results: `not_key` specs
/// are skipped, a keyword not found gives no keys for its spec (the search
/// stops before its end index, as Redis's does), and None means an invalid
/// spec: unknown, incomplete, a bad key count, or keys beyond the
/// arguments (a syntax error the command will report).
pub fn try_get_keys_from_specs(
    m: &CommandMeta,
    argv: &[Bytes],
) -> Option<Vec<(usize, &'static [&'static str])>> {
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    for ks in m.key_specs {
        if ks.flags.contains(&"not_key") {
            continue;
        }
        let mut first: i64 = 0;
        match ks.begin_search {
            BeginSearch::Index(pos) => first = pos as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let startfrom = startfrom as i64;
                let start = if startfrom > 0 {
                    startfrom
                } else {
                    argc + startfrom
                };
                let end = if startfrom > 0 { argc - 1 } else { 1 };
                let mut i = start;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        first = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if first == 0 {
                    continue;
                }
            }
            BeginSearch::Unknown => return None,
        }
        let (last, step) = match ks.find_keys {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    first + (argc - first) / limit as i64 + lastkey as i64
                };
                (last, keystep as i64)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let idx = first + keynumidx as i64;
                if keynumidx as i64 >= argc || idx >= argc {
                    return None;
                }
                let n = crate::util::string2ll(&argv[idx as usize]).filter(|&n| n >= 0)?;
                first += firstkey as i64;
                (first + n - 1, keystep as i64)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut j = first;
        while j <= last {
            out.push((j as usize, ks.flags));
            j += step.max(1);
        }
        if ks.flags.contains(&"incomplete") {
            return None;
        }
    }
    Some(out)
}

/// SET's own key function (Redis `setGetKeys`): one key, whose flags depend
/// on the GET option (RW access update with it, OW update without).
fn set_get_keys(argv: &[Bytes]) -> Vec<(usize, &'static [&'static str])> {
    let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
    let flags: &'static [&'static str] = if get {
        &["RW", "access", "update"]
    } else {
        &["OW", "update"]
    };
    vec![(1, flags)]
}

/// BITFIELD's own key function (Redis `bitfieldGetKeys`): read-only access
/// when every operation is a complete GET or OVERFLOW, else read-write.
fn bitfield_get_keys(argv: &[Bytes]) -> Vec<(usize, &'static [&'static str])> {
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let remargs = argv.len() - i - 1;
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"get") && remargs >= 2 {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
            i += 1;
        } else {
            // SET, INCRBY, or a syntax error: assume a write.
            readonly = false;
            break;
        }
        i += 1;
    }
    let flags: &'static [&'static str] = if readonly {
        &["RO", "access"]
    } else {
        &["RW", "access", "update"]
    };
    vec![(1, flags)]
}

/// MIGRATE's own key function (Redis `migrateGetKeys`): argv[3], or the
/// keys after KEYS (none when argv[3] is not empty then), skipping the
/// arguments of AUTH and AUTH2.
fn migrate_get_keys(argv: &[Bytes]) -> Vec<(usize, &'static [&'static str])> {
    const FLAGS: &[&str] = &["RW", "access", "delete"];
    let (mut first, mut num) = (3, 1);
    let mut i = 6;
    while argv.len() > 6 && i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"keys") {
            if !argv[3].is_empty() {
                return Vec::new();
            }
            first = i + 1;
            num = argv.len() - first;
            break;
        }
        if a.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + num)
        .filter(|&p| p < argv.len())
        .map(|p| (p, FLAGS))
        .collect()
}

/// The key function of a command whose key specs cannot give exact flags
/// (Redis `getkeys_proc`), by command name.
fn getkeys_proc(name: &str) -> Option<GetKeysProc> {
    match name {
        "set" => Some(set_get_keys),
        "bitfield" => Some(bitfield_get_keys),
        "migrate" => Some(migrate_get_keys),
        "sort" => Some(crate::sort::sort_get_keys),
        "sort_ro" => Some(crate::sort::sort_ro_get_keys),
        _ => None,
    }
}

/// The key arguments of `argv` with their flags (Redis
/// `getKeysFromCommandWithSpecs`): the key specs when some spec is a real
/// key and none has variable flags, unless they do not fit the arguments;
/// otherwise the command's own key function, if it has one.
pub fn get_keys(m: &CommandMeta, argv: &[Bytes]) -> Vec<(usize, &'static [&'static str])> {
    let has_keyspec = m.key_specs.iter().any(|ks| !ks.flags.contains(&"not_key"));
    let has_varflags = m
        .key_specs
        .iter()
        .any(|ks| ks.flags.contains(&"variable_flags"));
    if has_keyspec
        && !has_varflags
        && let Some(keys) = try_get_keys_from_specs(m, argv)
    {
        return keys;
    }
    match getkeys_proc(m.name) {
        Some(proc_) => proc_(argv),
        None => Vec::new(),
    }
}

fn getkeys_common(srv: &mut Server, c: &mut Client) -> Option<(Vec<Bytes>, KeysWithFlags)> {
    let argv: Vec<Bytes> = c.argv[2..].to_vec();
    let Some(idx) = srv.commands.lookup(&argv) else {
        c.add_reply_error("ERR Invalid command specified");
        return None;
    };
    let cmd = &srv.commands.cmds[idx];
    // Redis `doesCommandHaveKeys`: a key-finding function or a key spec that
    // is not `not_key`.
    let may_have_keys = getkeys_proc(cmd.meta.name).is_some()
        || cmd
            .meta
            .key_specs
            .iter()
            .any(|ks| !ks.flags.contains(&"not_key"));
    if !may_have_keys {
        c.add_reply_error("ERR The command has no key arguments");
        return None;
    }
    let argc = argv.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        c.add_reply_error("ERR Invalid number of arguments specified for command");
        return None;
    }
    let keys = get_keys(cmd.meta, &argv);
    if keys.is_empty() && !cmd.meta.flags.contains(&"no_mandatory_keys") {
        c.add_reply_error("ERR Invalid arguments specified for command");
        return None;
    }
    Some((argv, keys))
}

/// COMMAND GETKEYS command [arg ...] → the key arguments.
pub fn command_getkeys_command(srv: &mut Server, c: &mut Client) {
    let Some((argv, keys)) = getkeys_common(srv, c) else {
        return;
    };
    c.add_reply_array_len(keys.len());
    for (i, _) in keys {
        c.add_reply_bulk(&argv[i]);
    }
}

/// COMMAND GETKEYSANDFLAGS command [arg ...] → [[key, [flags...]], ...].
pub fn command_getkeysandflags_command(srv: &mut Server, c: &mut Client) {
    let Some((argv, keys)) = getkeys_common(srv, c) else {
        return;
    };
    c.add_reply_array_len(keys.len());
    for (i, flags) in keys {
        c.add_reply_array_len(2);
        c.add_reply_bulk(&argv[i]);
        add_reply_status_set(c, flags);
    }
}

/// COMMAND HELP → help lines.
pub fn command_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "command",
        &[
            "(no subcommand)",
            "    Return details about all commands.",
            "COUNT",
            "    Return the number of commands.",
            "DOCS [<command-name> ...]",
            "    Return the documentation of the given commands, or of all of them.",
            "GETKEYS <full-command>",
            "    Return the key arguments of a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the key arguments of a full command line with their flags.",
            "INFO [<command-name> ...]",
            "    Return details about the given commands, or about all of them.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Return the names of the commands, optionally filtered.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_joins_handlers() {
        let t = CommandTable::new();
        let get = t.lookup(&[Bytes::from_static(b"GeT")]).unwrap();
        assert_eq!(t.cmds[get].fullname, "get");
        assert_eq!(t.cmds[get].arity, 2);
        assert!(t.cmds[get].flags & CMD_READONLY != 0);
        let cg = t
            .lookup(&[Bytes::from_static(b"config"), Bytes::from_static(b"GET")])
            .unwrap();
        assert_eq!(t.cmds[cg].fullname, "config|get");
        assert!(
            t.lookup(&[Bytes::from_static(b"config"), Bytes::from_static(b"nope")])
                .is_none()
        );
        assert!(t.is_container(b"CONFIG"));
        // every handler name exists in the metadata
        for (name, _) in all_handlers() {
            assert!(meta::find(name).is_some(), "{name}");
        }
    }

    #[test]
    fn set_keys_flags_follow_the_get_option() {
        let m = meta::find("set").unwrap();
        let argv =
            |v: &[&str]| -> Vec<Bytes> { v.iter().map(|s| Bytes::from(s.to_string())).collect() };
        assert_eq!(
            get_keys(m, &argv(&["set", "a", "b"])),
            vec![(1, &["OW", "update"][..])]
        );
        assert_eq!(
            get_keys(m, &argv(&["set", "a", "b", "Get"])),
            vec![(1, &["RW", "access", "update"][..])]
        );
        // The value itself is never taken for the option.
        assert_eq!(
            get_keys(m, &argv(&["set", "a", "get"])),
            vec![(1, &["OW", "update"][..])]
        );
    }

    #[test]
    fn keys_from_specs() {
        let m = meta::find("mset").unwrap();
        let argv: Vec<Bytes> = ["mset", "a", "1", "b", "2"]
            .iter()
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        let keys: Vec<usize> = get_keys_from_specs(m, &argv)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(keys, vec![1, 3]);
        let m = meta::find("rename").unwrap();
        let argv: Vec<Bytes> = ["rename", "a", "b"]
            .iter()
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        let keys: Vec<usize> = get_keys_from_specs(m, &argv)
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        assert_eq!(keys, vec![1, 2]);
    }
}
