//! Client-side caching (Redis `tracking.c`): CLIENT TRACKING and the
//! invalidation messages sent when a key a client may have cached changes.
//!
//! # Two modes
//! - **Default mode.** After a read-only command of a tracking client runs,
//!   `server::call` hands its key arguments to [`after_call`], which records
//!   them in the *tracking table*: key → the ids of the clients that read it
//!   (one table for all databases, as in Redis). When a key is modified,
//!   `db::signal_modified_key` calls [`tracking_invalidate_key`]: every
//!   client recorded for the key gets an invalidation message, and the key
//!   leaves the table (the next read records it again). OPTIN/OPTOUT with
//!   CLIENT CACHING decide whether one command's keys are recorded.
//! - **Broadcast mode (BCAST).** Nothing is recorded per read. A client
//!   subscribes to key prefixes (the empty prefix by default) in the *prefix
//!   table*: prefix → the modified keys of this event-loop turn and the
//!   subscribed clients. A modified key is added to the state of each
//!   matching prefix, together with the client that modified it (for
//!   NOLOOP), and `before_sleep` sends each prefix's keys in one message
//!   ([`tracking_broadcast_invalidation_messages`]).
//!
//! Ids of clients that went away or turned tracking off are left in the
//! tracking table and skipped when a key is invalidated, as in Redis: a
//! client with many keys is freed in O(1).
//!
//! # Delivery
//! A RESP3 client gets a push frame `>2 invalidate [key ...]`. With
//! REDIRECT the message goes to another client instead: a RESP3 one gets
//! the same push, a RESP2 one in Pub/Sub mode (`CLIENT_PUBSUB`) a `message`
//! on `__redis__:invalidate`; anything else gets nothing. When the redirect
//! target has gone, a RESP3 tracking client gets `>2 tracking-redir-broken
//! <id>` and the `R` flag (`CLIENT_TRACKING_BROKEN_REDIR`). FLUSHDB,
//! FLUSHALL, DEBUG RELOAD and DEBUG LOADAOF send a null in place of the key
//! array (every key is invalid) and empty the tracking table; SWAPDB, as in
//! Redis 7.0.15, sends nothing. Invalidation messages are written even
//! under CLIENT REPLY OFF/SKIP (Redis's `CLIENT_PUSHING`).
//!
//! # The client running a command
//! The client whose command runs is out of the server's client table (see
//! `Server::take_client`), so it cannot be written to from here. Messages
//! addressed to a client that is out of the table wait in a per-client
//! queue ([`TrackingState`]'s pending messages) and are written by
//! [`handle_pending_key_invalidations`] at the points where Redis writes
//! its own pending invalidations (`trackingHandlePendingKeyInvalidations`):
//! after the outermost `call` (after the command's reply, so a
//! transaction's or MGET's reply is never interleaved), after the command
//! that served a blocked client, and right after the table-size eviction
//! that `process_command` runs before a command (so that message precedes
//! the reply, as in Redis). A message *redirected* to the client that is
//! running a command, which Redis writes into it at once, is placed where
//! that client's replies stood when the command began ([`end_call`]).
//!
//! # Who modified a key
//! `TrackingState::current` is the client whose command is being processed
//! (Redis `server.current_client`: set around `process_command`, and to the
//! served client while a blocked client is served); NOLOOP in default mode
//! compares targets with it. `TrackingState::executing` is the client of
//! the innermost `call` (a script's own client inside a script), recorded
//! as a BCAST key's modifier by `db::signal_modified_key`; expiry uses
//! `db::signal_modified_key_no_client` (no modifier), and so must
//! `maxmemory` eviction, which, as in Redis, must run in `process_command`
//! before [`before_command`] so that its messages precede the reply.
//!
//! # Scripts
//! A read-only command a script runs (through `server::call` on a client
//! flagged `CLIENT_SCRIPT`) records the keys the *script's caller*
//! declared (EVAL's KEYS), for the caller, as Redis does: [`begin_call`]
//! remembers the last command of a tracking client that may run scripts.
//!
//! # The table size
//! `tracking-table-max-keys` (0 = no limit) bounds the tracking table.
//! [`tracking_limit_used_slots`] runs before each command and in the cron
//! while any client tracks: when over the limit it invalidates random keys,
//! as if they were modified (without broadcasting them), with an effort of
//! 100 keys per run that grows by 100 for every run that could not get
//! under the limit (Redis `trackingLimitUsedSlots`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bytes::Bytes;

use crate::commands::{self, Handler};
use crate::dict::Dict;
use crate::networking::{
    CLIENT_PUBSUB, CLIENT_REPLY_OFF, CLIENT_REPLY_SKIP, CLIENT_SCRIPT, CLIENT_TRACKING,
    CLIENT_TRACKING_BCAST, CLIENT_TRACKING_BROKEN_REDIR, CLIENT_TRACKING_CACHING,
    CLIENT_TRACKING_NOLOOP, CLIENT_TRACKING_OPTIN, CLIENT_TRACKING_OPTOUT, Client,
};
use crate::server::Server;
use crate::shared;

/// The Pub/Sub channel RESP2 redirect targets get invalidations on.
pub const TRACKING_CHANNEL: &[u8] = b"__redis__:invalidate";

/// The tracking flags `CLIENT TRACKING on` sets from its options.
const OPTION_FLAGS: u64 =
    CLIENT_TRACKING_BCAST | CLIENT_TRACKING_OPTIN | CLIENT_TRACKING_OPTOUT | CLIENT_TRACKING_NOLOOP;

/// Keys invalidated per eviction run and attempt (Redis's effort step).
const EVICTION_EFFORT_STEP: u32 = 100;

/// The CLIENT TRACKING settings of one client (flags live in `Client.flags`).
#[derive(Default)]
pub struct ClientTracking {
    /// The client id invalidations are redirected to; 0 for none (Redis
    /// `client_tracking_redirection`).
    pub redirection: u64,
    /// BCAST prefixes, in byte order (Redis `client_tracking_prefixes`).
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// One prefix of the prefix table (Redis `bcastState`).
#[derive(Default)]
struct BcastState {
    /// Keys modified this turn under the prefix, each with the id of the
    /// client that modified it last (`None` outside a client: expiry).
    keys: BcastKeys,
    /// The BCAST clients subscribed to the prefix.
    clients: BTreeSet<u64>,
}

/// Modified keys of one prefix, with their last modifier (see [`BcastState`]).
type BcastKeys = BTreeMap<Vec<u8>, Option<u64>>;

/// The value part of an invalidation message.
#[derive(Clone)]
enum Payload {
    /// One key: sent as a one-element array.
    Key(Bytes),
    /// Ready RESP bytes (a broadcast key array, or a resolved null).
    Proto(Bytes),
    /// "Every key": a null in the protocol of the tracking client.
    Null,
}

/// A message waiting for a client that is out of the client table.
enum Pending {
    /// A key this tracking client may cache changed; `by_current` when the
    /// client was running the current command (NOLOOP skips it then). Its
    /// mode is checked when the message is written, as Redis checks it
    /// when the key changes.
    Invalidate(Payload, bool),
    /// An invalidation for this tracking client, to route to it or its
    /// redirect target (Redis `sendTrackingMessage` called later).
    Route(Payload),
    /// An invalidation that arrives through another client's REDIRECT, to
    /// write into this client.
    Deliver(Payload),
}

/// The client whose keys a script's read commands record (Redis
/// `server.script_caller`): the last command run by a tracking client that
/// may run scripts.
struct ScriptCaller {
    id: u64,
    flags: u64,
    cmd: usize,
    argv: Vec<Bytes>,
}

/// The server-wide client-side caching state.
#[derive(Default)]
pub struct TrackingState {
    /// Clients with tracking on (INFO `tracking_clients`).
    pub tracking_clients: u64,
    /// Key → ids of the clients that may cache it, ascending (Redis
    /// `TrackingTable`).
    table: Dict<Vec<u64>>,
    /// Ids stored across the whole table (INFO `tracking_total_items`).
    total_items: u64,
    /// Prefix → its broadcast state (Redis `PrefixTable`).
    prefixes: BTreeMap<Vec<u8>, BcastState>,
    /// Messages for clients that were out of the client table, by client id.
    pending: HashMap<u64, Vec<Pending>>,
    /// The client whose command is being processed (Redis
    /// `server.current_client`): NOLOOP compares targets with it.
    pub current: Option<u64>,
    /// The client running the innermost command (a script's own client
    /// inside a script): recorded as a broadcast key's modifier.
    pub executing: Option<u64>,
    /// See [`ScriptCaller`].
    caller: Option<ScriptCaller>,
    /// Eviction runs in a row that ended over the limit.
    timeout_counter: u32,
}

impl TrackingState {
    /// Keys in the tracking table (INFO `tracking_total_keys`).
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// Ids stored in the tracking table (INFO `tracking_total_items`).
    pub fn total_items(&self) -> u64 {
        self.total_items
    }

    /// Prefixes in the prefix table (INFO `tracking_total_prefixes`).
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }
}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("client|tracking", client_tracking_command),
    ("client|caching", client_caching_command),
    ("client|getredir", client_getredir_command),
    ("client|trackinginfo", client_trackinginfo_command),
];

// ---- Commands ----

/// True if a client with this id exists (the running one included).
fn client_exists(srv: &Server, c: &Client, id: u64) -> bool {
    id == c.id || srv.lookup_client_by_id(id).is_some()
}

/// A prefix as Redis's `%s` prints it: up to its first NUL byte.
fn prefix_text(p: &[u8]) -> String {
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    String::from_utf8_lossy(&p[..end]).into_owned()
}

/// True when one of `a`, `b` is a prefix of the other (Redis
/// `stringCheckPrefix`).
fn prefixes_overlap(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// What [`check_prefix_collisions_or_reply`] decided.
#[derive(PartialEq)]
enum Collision {
    None,
    /// An error was replied and the command stops.
    Stop,
    /// An error was replied but the command goes on (see below).
    Continue,
}

/// Checks that the new prefixes overlap neither the client's prefixes nor
/// each other (Redis `checkPrefixCollisionsOrReply`). Errors:
/// "ERR Prefix '<new>' overlaps with an existing prefix '<old>'. Prefixes
/// for a single client must not overlap." and "ERR Prefix '<a>' overlaps
/// with another provided prefix '<b>'. Prefixes for a single client must
/// not overlap.".
///
/// Redis 7.0.15 stops the command only when two *provided* prefixes
/// overlap at the first of them; an overlap found from the second one on
/// is replied and the command goes on (and replies `+OK` as well). This is
/// kept, since the spec is Redis's reply bytes.
fn check_prefix_collisions_or_reply(c: &mut Client, new: &[Bytes]) -> Collision {
    for (i, p) in new.iter().enumerate() {
        if let Some(old) = c.tracking.prefixes.iter().find(|o| prefixes_overlap(o, p)) {
            let msg = format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                prefix_text(p),
                prefix_text(old)
            );
            c.add_reply_error(&msg);
            return Collision::Stop;
        }
        if let Some(q) = new[i + 1..].iter().find(|q| prefixes_overlap(p, q)) {
            let msg = format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                prefix_text(p),
                prefix_text(q)
            );
            c.add_reply_error(&msg);
            return if i == 0 {
                Collision::Stop
            } else {
                Collision::Continue
            };
        }
    }
    Collision::None
}

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP] → `+OK` (Redis `clientCommand` "tracking").
///
/// Errors, in the order Redis checks them: "ERR syntax error" (unknown
/// option, REDIRECT/PREFIX without a value, neither ON nor OFF); "ERR A
/// client can only redirect to a single other client"; "ERR value is not
/// an integer or out of range"; "ERR The client ID you want redirect to
/// does not exist" (checked while parsing, also for OFF); then for ON:
/// "ERR PREFIX option requires BCAST mode to be enabled", "ERR You can't
/// switch BCAST mode on/off before disabling tracking for this client, and
/// then re-enabling it with a different mode.", "ERR OPTIN and OPTOUT are
/// not compatible with BCAST", "ERR You can't specify both OPTIN mode and
/// OPTOUT mode", "ERR You can't switch OPTIN/OPTOUT mode before disabling
/// tracking for this client, and then re-enabling it with a different
/// mode.", and the prefix overlap errors of
/// [`check_prefix_collisions_or_reply`].
pub fn client_tracking_command(srv: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut redir: i64 = 0;
    let mut options = 0u64;
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < argc {
        let more = argc - 1 - j;
        let opt = c.argv[j].clone();
        if opt.eq_ignore_ascii_case(b"redirect") && more > 0 {
            j += 1;
            if redir != 0 {
                c.add_reply_error("ERR A client can only redirect to a single other client");
                return;
            }
            let arg = c.argv[j].clone();
            let Some(v) = crate::db::get_long_long_or_reply(c, &arg, None) else {
                return;
            };
            redir = v;
            // Redis reads the id as unsigned: a negative one names no client.
            if v <= 0 || !client_exists(srv, c, v as u64) {
                c.add_reply_error("ERR The client ID you want redirect to does not exist");
                return;
            }
        } else if opt.eq_ignore_ascii_case(b"bcast") {
            options |= CLIENT_TRACKING_BCAST;
        } else if opt.eq_ignore_ascii_case(b"optin") {
            options |= CLIENT_TRACKING_OPTIN;
        } else if opt.eq_ignore_ascii_case(b"optout") {
            options |= CLIENT_TRACKING_OPTOUT;
        } else if opt.eq_ignore_ascii_case(b"noloop") {
            options |= CLIENT_TRACKING_NOLOOP;
        } else if opt.eq_ignore_ascii_case(b"prefix") && more > 0 {
            j += 1;
            prefixes.push(c.argv[j].clone());
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        j += 1;
    }
    let mode = c.argv[2].clone();
    if mode.eq_ignore_ascii_case(b"on") {
        if options & CLIENT_TRACKING_BCAST == 0 && !prefixes.is_empty() {
            c.add_reply_error("ERR PREFIX option requires BCAST mode to be enabled");
            return;
        }
        if c.flags & CLIENT_TRACKING != 0 {
            let old_bcast = c.flags & CLIENT_TRACKING_BCAST != 0;
            let new_bcast = options & CLIENT_TRACKING_BCAST != 0;
            if old_bcast != new_bcast {
                c.add_reply_error(
                    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
                );
                return;
            }
        }
        if options & CLIENT_TRACKING_BCAST != 0
            && options & (CLIENT_TRACKING_OPTIN | CLIENT_TRACKING_OPTOUT) != 0
        {
            c.add_reply_error("ERR OPTIN and OPTOUT are not compatible with BCAST");
            return;
        }
        if options & CLIENT_TRACKING_OPTIN != 0 && options & CLIENT_TRACKING_OPTOUT != 0 {
            c.add_reply_error("ERR You can't specify both OPTIN mode and OPTOUT mode");
            return;
        }
        if (options & CLIENT_TRACKING_OPTIN != 0 && c.flags & CLIENT_TRACKING_OPTOUT != 0)
            || (options & CLIENT_TRACKING_OPTOUT != 0 && c.flags & CLIENT_TRACKING_OPTIN != 0)
        {
            c.add_reply_error(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
            );
            return;
        }
        if options & CLIENT_TRACKING_BCAST != 0
            && check_prefix_collisions_or_reply(c, &prefixes) == Collision::Stop
        {
            return;
        }
        enable_tracking(srv, c, redir as u64, options, &prefixes);
    } else if mode.eq_ignore_ascii_case(b"off") {
        disable_tracking(srv, c);
    } else {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    c.add_reply_ok();
}

/// CLIENT CACHING YES|NO → `+OK`: records (OPTIN) or skips (OPTOUT) the
/// keys of the next command, or of the next transaction. Errors: "ERR
/// CLIENT CACHING can be called only when the client is in tracking mode
/// with OPTIN or OPTOUT mode enabled", "ERR CLIENT CACHING YES is only
/// valid when tracking is enabled in OPTIN mode.", "ERR CLIENT CACHING NO
/// is only valid when tracking is enabled in OPTOUT mode.", "ERR syntax
/// error".
pub fn client_caching_command(_srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_TRACKING == 0 {
        c.add_reply_error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        );
        return;
    }
    let opt = c.argv[2].clone();
    if opt.eq_ignore_ascii_case(b"yes") {
        if c.flags & CLIENT_TRACKING_OPTIN == 0 {
            c.add_reply_error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
            return;
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if c.flags & CLIENT_TRACKING_OPTOUT == 0 {
            c.add_reply_error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
            return;
        }
    } else {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    c.flags |= CLIENT_TRACKING_CACHING;
    c.add_reply_ok();
}

/// The redirect id CLIENT GETREDIR, CLIENT TRACKINGINFO and CLIENT LIST
/// show: the REDIRECT id (0 for none) while tracking, else -1.
pub fn redirect_id(c: &Client) -> i64 {
    if c.flags & CLIENT_TRACKING != 0 {
        c.tracking.redirection as i64
    } else {
        -1
    }
}

/// CLIENT GETREDIR → integer: the REDIRECT id, 0 without one, -1 when
/// tracking is off.
pub fn client_getredir_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_long_long(redirect_id(c));
}

/// CLIENT TRACKINGINFO → map of `flags` (a set: `off`, or `on` then
/// `bcast`, `optin`, `caching-yes`, `optout`, `caching-no`, `noloop`,
/// `broken_redirect` as they apply), `redirect` (integer, as CLIENT
/// GETREDIR) and `prefixes` (array, in byte order).
pub fn client_trackinginfo_command(_srv: &mut Server, c: &mut Client) {
    let f = c.flags;
    let mut flags: Vec<&[u8]> = Vec::with_capacity(6);
    flags.push(if f & CLIENT_TRACKING != 0 {
        b"on"
    } else {
        b"off"
    });
    if f & CLIENT_TRACKING_BCAST != 0 {
        flags.push(b"bcast");
    }
    if f & CLIENT_TRACKING_OPTIN != 0 {
        flags.push(b"optin");
        if f & CLIENT_TRACKING_CACHING != 0 {
            flags.push(b"caching-yes");
        }
    }
    if f & CLIENT_TRACKING_OPTOUT != 0 {
        flags.push(b"optout");
        if f & CLIENT_TRACKING_CACHING != 0 {
            flags.push(b"caching-no");
        }
    }
    if f & CLIENT_TRACKING_NOLOOP != 0 {
        flags.push(b"noloop");
    }
    if f & CLIENT_TRACKING_BROKEN_REDIR != 0 {
        flags.push(b"broken_redirect");
    }
    c.add_reply_map_len(3);
    c.add_reply_bulk(b"flags");
    c.add_reply_set_len(flags.len());
    for fl in flags {
        c.add_reply_bulk(fl);
    }
    c.add_reply_bulk(b"redirect");
    c.add_reply_long_long(redirect_id(c));
    c.add_reply_bulk(b"prefixes");
    let prefixes = std::mem::take(&mut c.tracking.prefixes);
    c.add_reply_array_len(prefixes.len());
    for p in &prefixes {
        c.add_reply_bulk(p);
    }
    c.tracking.prefixes = prefixes;
}

// ---- Turning tracking on and off ----

/// Subscribes `c` to a BCAST prefix (Redis `enableBcastTrackingForPrefix`);
/// nothing happens if it already is.
fn enable_bcast_tracking_for_prefix(srv: &mut Server, c: &mut Client, prefix: &[u8]) {
    let bs = srv.tracking.prefixes.entry(prefix.to_vec()).or_default();
    if bs.clients.insert(c.id) {
        c.tracking.prefixes.insert(prefix.to_vec());
    }
}

/// Turns tracking on for `c` (Redis `enableTracking`): the options replace
/// the previous BCAST/OPTIN/OPTOUT/NOLOOP flags and the redirection (0 for
/// none), and BCAST prefixes are added to those the client has (the empty
/// prefix when none is given).
pub fn enable_tracking(
    srv: &mut Server,
    c: &mut Client,
    redirect_to: u64,
    options: u64,
    prefixes: &[Bytes],
) {
    if c.flags & CLIENT_TRACKING == 0 {
        srv.tracking.tracking_clients += 1;
    }
    c.flags |= CLIENT_TRACKING;
    c.flags &= !(CLIENT_TRACKING_BROKEN_REDIR | OPTION_FLAGS);
    c.tracking.redirection = redirect_to;
    if options & CLIENT_TRACKING_BCAST != 0 {
        c.flags |= CLIENT_TRACKING_BCAST;
        if prefixes.is_empty() {
            enable_bcast_tracking_for_prefix(srv, c, b"");
        }
        for p in prefixes {
            enable_bcast_tracking_for_prefix(srv, c, p);
        }
    }
    c.flags |= options & (CLIENT_TRACKING_OPTIN | CLIENT_TRACKING_OPTOUT | CLIENT_TRACKING_NOLOOP);
}

/// Turns tracking off for `c` (Redis `disableTracking`): it leaves its
/// BCAST prefixes (a prefix without clients is dropped with its pending
/// keys) and loses every tracking flag. Its ids in the tracking table are
/// left to be skipped later. Called by CLIENT TRACKING OFF, RESET and when
/// the client is freed.
pub fn disable_tracking(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_TRACKING_BCAST != 0 {
        for p in std::mem::take(&mut c.tracking.prefixes) {
            if let Some(bs) = srv.tracking.prefixes.get_mut(&p) {
                bs.clients.remove(&c.id);
                if bs.clients.is_empty() {
                    srv.tracking.prefixes.remove(&p);
                }
            }
        }
    }
    if c.flags & CLIENT_TRACKING != 0 {
        srv.tracking.tracking_clients = srv.tracking.tracking_clients.saturating_sub(1);
        c.flags &= !(CLIENT_TRACKING
            | CLIENT_TRACKING_BROKEN_REDIR
            | CLIENT_TRACKING_CACHING
            | OPTION_FLAGS);
    }
}

/// Forgets a client that is being freed: tracking off, pending messages
/// dropped.
pub fn free_client_tracking_state(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_TRACKING != 0 {
        disable_tracking(srv, c);
    }
    if !srv.tracking.pending.is_empty() {
        srv.tracking.pending.remove(&c.id);
    }
}

// ---- Recording keys ----

/// Records the keys of the command `c` just ran when it was a read-only
/// one, and, after the outermost command, writes the invalidations that
/// waited for `c` (the end of Redis's `call` and `afterCommand`). Called by
/// `server::call` after propagation.
///
/// The keys are recorded for the client that ran the command, or for the
/// script's caller when a script ran it; EVAL_RO, EVALSHA_RO and FCALL_RO
/// themselves record nothing (their scripts' reads do).
pub fn after_call(srv: &mut Server, c: &mut Client, idx: usize) {
    let cmd_flags = srv.commands.cmds[idx].flags;
    if cmd_flags & commands::CMD_READONLY != 0 {
        if c.flags & CLIENT_SCRIPT != 0 {
            if let Some(caller) = srv.tracking.caller.take() {
                if caller.flags & CLIENT_TRACKING != 0 && caller.flags & CLIENT_TRACKING_BCAST == 0
                {
                    remember_keys(srv, caller.id, caller.flags, caller.cmd, &caller.argv);
                }
                srv.tracking.caller = Some(caller);
            }
        } else if c.flags & CLIENT_TRACKING != 0
            && c.flags & CLIENT_TRACKING_BCAST == 0
            && !matches!(
                srv.commands.cmds[idx].fullname.as_str(),
                "eval_ro" | "evalsha_ro" | "fcall_ro"
            )
        {
            remember_keys(srv, c.id, c.flags, idx, &c.argv);
        }
    }
    if srv.in_nested_call == 0 {
        srv.tracking.caller = None;
        handle_pending_key_invalidations(srv, c);
    }
}

/// What [`begin_call`] notes for [`end_call`].
pub struct CallMark {
    /// The innermost client before this call.
    prev_executing: Option<u64>,
    /// Where the client's replies ended when the call began: chunk count
    /// and length of the last chunk.
    chunks: usize,
    tail: usize,
}

/// Called by `server::call` before a handler runs: notes the client
/// running the innermost command and where its replies end, and remembers
/// a tracking client's command that may run scripts, whose keys the
/// script's reads record.
pub fn begin_call(srv: &mut Server, c: &Client, idx: usize) -> CallMark {
    if c.flags & CLIENT_TRACKING != 0
        && c.flags & CLIENT_SCRIPT == 0
        && srv.commands.cmds[idx].flags & commands::CMD_NOSCRIPT != 0
    {
        srv.tracking.caller = Some(ScriptCaller {
            id: c.id,
            flags: c.flags,
            cmd: idx,
            argv: c.argv.clone(),
        });
    }
    begin_serving(srv, c)
}

/// [`begin_call`] for a blocked client's command run again to serve it
/// (`blocked.rs`, outside `call`): `c` becomes the innermost client and
/// its replies' end is noted; [`end_call`] closes it.
pub fn begin_serving(srv: &mut Server, c: &Client) -> CallMark {
    CallMark {
        prev_executing: srv.tracking.executing.replace(c.id),
        chunks: c.reply.len(),
        tail: c.reply.back().map_or(0, |t| t.len()),
    }
}

/// Called by `server::call` after the handler: restores the innermost
/// client, and writes the invalidations that reached `c` during the
/// command through another client's REDIRECT where its replies stood when
/// the command began. Redis writes them into the running client at once,
/// which is before the command's reply for any command that signals its
/// changes before replying (and, in a transaction, before the reply of the
/// queued command that made them).
pub fn end_call(srv: &mut Server, c: &mut Client, mark: CallMark) {
    srv.tracking.executing = mark.prev_executing;
    if srv.tracking.pending.is_empty() || c.flags & CLIENT_SCRIPT != 0 {
        return;
    }
    let Some(list) = srv.tracking.pending.get_mut(&c.id) else {
        return;
    };
    if !list.iter().any(|p| matches!(p, Pending::Deliver(_))) {
        return;
    }
    let mut delivered = Vec::new();
    list.retain_mut(|p| match p {
        Pending::Deliver(payload) => {
            delivered.push(std::mem::replace(payload, Payload::Null));
            false
        }
        _ => true,
    });
    if list.is_empty() {
        srv.tracking.pending.remove(&c.id);
    }
    let end_chunks = c.reply.len();
    let end_tail = c.reply.back().map_or(0, |t| t.len());
    for payload in &delivered {
        deliver(srv, c, payload, true);
    }
    // Replies only grow the last chunk while nothing is written (the
    // client is out of the table): move what was just appended back to
    // the mark.
    if end_chunks == 0 {
        // There were no replies at all: the messages are in place.
        return;
    }
    let moved: Vec<u8> = match c.reply.get_mut(end_chunks - 1) {
        Some(t) if t.len() > end_tail => t.drain(end_tail..).collect(),
        _ => return,
    };
    let (ci, off) = if mark.chunks == 0 {
        (0, 0)
    } else {
        (mark.chunks - 1, mark.tail)
    };
    match c.reply.get_mut(ci) {
        Some(t) if off <= t.len() => {
            t.splice(off..off, moved);
        }
        // Not expected; keep the bytes rather than lose them.
        _ => {
            if let Some(t) = c.reply.get_mut(end_chunks - 1) {
                t.extend_from_slice(&moved);
            }
        }
    }
}

/// Records the keys of a read command in the tracking table for client
/// `id` (Redis `trackingRememberKeys`), unless OPTIN without CLIENT
/// CACHING YES or OPTOUT with CLIENT CACHING NO says otherwise. The keys
/// are found by the command table's key specs; Pub/Sub commands (whose
/// "keys" are shard channels) record nothing.
fn remember_keys(srv: &mut Server, id: u64, flags: u64, idx: usize, argv: &[Bytes]) {
    let optin = flags & CLIENT_TRACKING_OPTIN != 0;
    let optout = flags & CLIENT_TRACKING_OPTOUT != 0;
    let caching = flags & CLIENT_TRACKING_CACHING != 0;
    if (optin && !caching) || (optout && caching) {
        return;
    }
    let cmd = &srv.commands.cmds[idx];
    if cmd.flags & commands::CMD_PUBSUB != 0 {
        return;
    }
    let keys = commands::get_keys(cmd.meta, argv);
    let st = &mut srv.tracking;
    for (pos, _) in keys {
        let key = &argv[pos][..];
        let ids = match st.table.get_mut(key) {
            Some(ids) => ids,
            None => {
                // Most keys are read by one client: one id, one small allocation.
                st.table.insert(key, Vec::with_capacity(1));
                match st.table.get_mut(key) {
                    Some(ids) => ids,
                    None => continue,
                }
            }
        };
        if let Err(at) = ids.binary_search(&id) {
            ids.insert(at, id);
            st.total_items += 1;
        }
    }
}

// ---- Invalidation ----

/// Called when `key` was modified (Redis `trackingInvalidateKey`, through
/// `signalModifiedKey`): with `bcast`, the key is added to the matching
/// BCAST prefixes, `modifier` being the client that changed it (`None` for
/// expiry and eviction); then every client recorded for the key gets an
/// invalidation and the key leaves the table. A client in BCAST mode (its
/// entries predate the switch), with tracking off, or in NOLOOP mode and
/// running the current command, is skipped.
pub fn tracking_invalidate_key(srv: &mut Server, key: &[u8], modifier: Option<u64>, bcast: bool) {
    if bcast && !srv.tracking.prefixes.is_empty() {
        remember_key_to_broadcast(srv, key, modifier);
    }
    if srv.tracking.table.is_empty() {
        return;
    }
    let Some((_, ids)) = srv.tracking.table.remove(key) else {
        return;
    };
    srv.tracking.total_items = srv.tracking.total_items.saturating_sub(ids.len() as u64);
    let current = srv.tracking.current;
    for id in ids {
        let Some(slot) = srv.lookup_client_by_id(id) else {
            continue;
        };
        let payload = Payload::Key(Bytes::copy_from_slice(key));
        match srv.take_client(slot) {
            Some(mut t) => {
                if t.flags & CLIENT_TRACKING != 0
                    && t.flags & CLIENT_TRACKING_BCAST == 0
                    && !(t.flags & CLIENT_TRACKING_NOLOOP != 0 && Some(t.id) == current)
                {
                    send_tracking_message(srv, &mut t, &payload);
                }
                srv.put_client(t);
            }
            // Out of the table: it is running a command.
            None => srv
                .tracking
                .pending
                .entry(id)
                .or_default()
                .push(Pending::Invalidate(payload, Some(id) == current)),
        }
    }
}

/// Adds a modified key to every BCAST prefix it starts with (Redis
/// `trackingRememberKeyToBroadcast`).
///
/// # Latency
/// One comparison per prefix in the table.
fn remember_key_to_broadcast(srv: &mut Server, key: &[u8], modifier: Option<u64>) {
    for (prefix, bs) in srv.tracking.prefixes.iter_mut() {
        if key.starts_with(prefix) {
            bs.keys.insert(key.to_vec(), modifier);
        }
    }
}

/// Tells every tracking client that all keys are invalid (Redis
/// `trackingInvalidateKeysOnFlush`), after FLUSHDB, FLUSHALL, DEBUG
/// RELOAD or DEBUG LOADAOF, and empties the tracking table. A client running the
/// current command gets its message after the reply.
pub fn tracking_invalidate_keys_on_flush(srv: &mut Server) {
    if srv.tracking.tracking_clients > 0 {
        let targets: Vec<(usize, u64)> = srv
            .clients_iter()
            .filter(|t| t.flags & CLIENT_TRACKING != 0)
            .map(|t| (t.slot, t.id))
            .collect();
        for (slot, _) in targets {
            if let Some(mut t) = srv.take_client(slot) {
                send_tracking_message(srv, &mut t, &Payload::Null);
                srv.put_client(t);
            }
        }
        if let Some(id) = srv.tracking.current {
            // The client running the command is not in the table; its
            // flags are checked when the pending message is routed.
            srv.tracking
                .pending
                .entry(id)
                .or_default()
                .push(Pending::Route(Payload::Null));
        }
    }
    srv.tracking.table = Dict::default();
    srv.tracking.total_items = 0;
}

/// Writes the invalidation messages that waited for `c` while it was out
/// of the client table (Redis `trackingHandlePendingKeyInvalidations`).
pub fn handle_pending_key_invalidations(srv: &mut Server, c: &mut Client) {
    if srv.tracking.pending.is_empty() {
        return;
    }
    let Some(list) = srv.tracking.pending.remove(&c.id) else {
        return;
    };
    for p in list {
        match p {
            Pending::Invalidate(payload, by_current) => {
                if c.flags & CLIENT_TRACKING != 0
                    && c.flags & CLIENT_TRACKING_BCAST == 0
                    && !(by_current && c.flags & CLIENT_TRACKING_NOLOOP != 0)
                {
                    send_tracking_message(srv, c, &payload);
                }
            }
            Pending::Route(payload) => {
                if c.flags & CLIENT_TRACKING != 0 {
                    send_tracking_message(srv, c, &payload);
                }
            }
            Pending::Deliver(payload) => deliver(srv, c, &payload, true),
        }
    }
    if c.has_pending_replies() {
        srv.mark_pending_write(c);
    }
}

/// Sends one invalidation for tracking client `c` (Redis
/// `sendTrackingMessage`): to `c` itself, or to its REDIRECT target; when
/// that target is gone, `c` gets the `R` flag and, in RESP3, `>2
/// tracking-redir-broken <id>`.
fn send_tracking_message(srv: &mut Server, c: &mut Client, payload: &Payload) {
    // The null is the one of the tracking client's protocol, also when it
    // goes to a redirect target.
    let resolved;
    let payload = match payload {
        Payload::Null => {
            resolved = Payload::Proto(Bytes::from_static(if c.resp >= 3 {
                b"_\r\n"
            } else {
                b"$-1\r\n"
            }));
            &resolved
        }
        p => p,
    };
    let redir = c.tracking.redirection;
    if redir == 0 {
        deliver(srv, c, payload, false);
        return;
    }
    let slot = if redir == c.id {
        Some(c.slot)
    } else {
        srv.lookup_client_by_id(redir)
    };
    let Some(slot) = slot else {
        c.flags |= CLIENT_TRACKING_BROKEN_REDIR;
        if c.resp > 2 {
            pushing(c, |c| {
                c.add_reply_push_len(2);
                c.add_reply_bulk(b"tracking-redir-broken");
                c.add_reply_long_long(redir as i64);
            });
            srv.mark_pending_write(c);
        }
        return;
    };
    if slot == c.slot {
        deliver(srv, c, payload, true);
        return;
    }
    match srv.take_client(slot) {
        Some(mut r) => {
            deliver(srv, &mut r, payload, true);
            srv.put_client(r);
        }
        None => srv
            .tracking
            .pending
            .entry(redir)
            .or_default()
            .push(Pending::Deliver(payload.clone())),
    }
}

/// Writes an invalidation into client `t`: a push in RESP3; in RESP2 a
/// Pub/Sub `message` on `__redis__:invalidate` when it came by REDIRECT
/// and `t` is in Pub/Sub mode; otherwise nothing. A client over its
/// output buffer limit (`client-output-buffer-limit`, the pubsub class for
/// a subscriber) is then scheduled for closing, as after any reply.
fn deliver(srv: &mut Server, t: &mut Client, payload: &Payload, redirected: bool) {
    if t.flags & crate::networking::CLIENT_CLOSE_ASAP != 0 {
        // Closing: nothing more is written to it (Redis `prepareClientToWrite`).
        return;
    }
    if t.resp > 2 {
        pushing(t, |t| {
            t.add_reply_push_len(2);
            t.add_reply_bulk(b"invalidate");
            write_payload(t, payload);
        });
    } else if redirected && t.flags & CLIENT_PUBSUB != 0 {
        // Redis `addReplyPubsubMessage` with the value written separately.
        pushing(t, |t| {
            t.add_reply_array_len(3);
            t.add_reply_bulk(b"message");
            t.add_reply_bulk(TRACKING_CHANNEL);
            write_payload(t, payload);
        });
    } else {
        return;
    }
    srv.mark_pending_write(t);
    crate::networking::close_client_on_output_buffer_limit_reached(srv, t, true);
}

fn write_payload(t: &mut Client, payload: &Payload) {
    match payload {
        Payload::Key(k) => {
            t.add_reply_array_len(1);
            t.add_reply_bulk(k);
        }
        Payload::Proto(p) => t.add_reply_raw(p),
        Payload::Null => t.add_reply_null(),
    }
}

/// Runs `f` with CLIENT REPLY OFF/SKIP lifted (Redis `CLIENT_PUSHING`):
/// invalidations reach a client that turned its replies off.
fn pushing(c: &mut Client, f: impl FnOnce(&mut Client)) {
    let saved = c.flags & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);
    c.flags &= !saved;
    f(c);
    c.flags |= saved;
}

// ---- Broadcast ----

/// The RESP array of the keys of one prefix state, leaving out the keys
/// last modified by `exclude` (NOLOOP); `None` when that leaves nothing
/// (Redis `trackingBuildBroadcastReply`).
fn build_broadcast_reply(keys: &BcastKeys, exclude: Option<u64>) -> Option<Bytes> {
    let count = match exclude {
        None => keys.len(),
        Some(id) => keys.values().filter(|m| **m != Some(id)).count(),
    };
    if exclude.is_some() && count == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(16 + count * 15);
    crate::resp::write_len(&mut out, b'*', count as i64);
    for (k, m) in keys {
        if exclude.is_some() && *m == exclude {
            continue;
        }
        crate::resp::write_bulk(&mut out, k);
    }
    Some(Bytes::from(out))
}

/// Sends every prefix's modified keys of this turn to its BCAST clients,
/// one message per prefix (NOLOOP clients get a copy without the keys they
/// changed themselves, or nothing), and clears them (Redis
/// `trackingBroadcastInvalidationMessages`). Called from `before_sleep`.
///
/// # Latency
/// Proportional to the keys modified under BCAST prefixes this turn times
/// the clients subscribed to each prefix.
pub fn tracking_broadcast_invalidation_messages(srv: &mut Server) {
    if srv.tracking.tracking_clients == 0 || srv.tracking.prefixes.is_empty() {
        return;
    }
    let mut work: Vec<(BcastKeys, Vec<u64>)> = Vec::new();
    for bs in srv.tracking.prefixes.values_mut() {
        if !bs.keys.is_empty() {
            work.push((
                std::mem::take(&mut bs.keys),
                bs.clients.iter().copied().collect(),
            ));
        }
    }
    for (keys, clients) in work {
        let Some(proto) = build_broadcast_reply(&keys, None) else {
            continue;
        };
        for id in clients {
            let Some(slot) = srv.lookup_client_by_id(id) else {
                continue;
            };
            let Some(mut t) = srv.take_client(slot) else {
                continue;
            };
            if t.flags & CLIENT_TRACKING_NOLOOP != 0 {
                if let Some(adhoc) = build_broadcast_reply(&keys, Some(id)) {
                    send_tracking_message(srv, &mut t, &Payload::Proto(adhoc));
                }
            } else {
                send_tracking_message(srv, &mut t, &Payload::Proto(proto.clone()));
            }
            srv.put_client(t);
        }
    }
}

// ---- Table size ----

/// Keeps the tracking table within `tracking-table-max-keys` (Redis
/// `trackingLimitUsedSlots`): random keys are invalidated as if modified
/// (not broadcast) until the table fits; see the module docs for the
/// effort. Called before each command and by the cron while any client
/// tracks.
///
/// # Latency
/// At most `100 * (runs in a row over the limit + 1)` keys per call.
pub fn tracking_limit_used_slots(srv: &mut Server) {
    let max_keys = srv.config.tracking_table_max_keys as usize;
    if max_keys == 0 {
        return;
    }
    if srv.tracking.table.len() <= max_keys {
        srv.tracking.timeout_counter = 0;
        return;
    }
    let mut effort = EVICTION_EFFORT_STEP * (srv.tracking.timeout_counter + 1);
    while effort > 0 {
        effort -= 1;
        let Some(key) = srv
            .tracking
            .table
            .random_entry()
            .map(|(k, _)| Bytes::copy_from_slice(k))
        else {
            break;
        };
        tracking_invalidate_key(srv, &key, None, false);
        if srv.tracking.table.len() <= max_keys {
            srv.tracking.timeout_counter = 0;
            return;
        }
    }
    srv.tracking.timeout_counter += 1;
}

/// The cron's part (Redis `serverCron`): the table-size eviction while any
/// client tracks, so a lowered `tracking-table-max-keys` applies on an idle
/// server too; and the tracking table's allocation shrinks after many
/// invalidations.
pub fn tracking_cron(srv: &mut Server) {
    if srv.tracking.tracking_clients > 0 {
        tracking_limit_used_slots(srv);
    }
    srv.tracking.table.shrink_to_fit_if_needed();
}

/// The tracking work `process_command` does before a command runs: the
/// table-size eviction, then the messages for the client itself that
/// arose before its command (this eviction's, and those of keys evicted
/// for `maxmemory` when that runs before this call) go out at once, before
/// the command's reply, as in Redis.
pub fn before_command(srv: &mut Server, c: &mut Client) {
    if srv.tracking.tracking_clients > 0 {
        tracking_limit_used_slots(srv);
    }
    handle_pending_key_invalidations(srv, c);
}

/// The tracking work after a command was processed (Redis `resetClient`):
/// CLIENT CACHING applies to one command (or one transaction), so the flag
/// is cleared after any command but CLIENT's own outside MULTI; and
/// messages for `c` produced after its call (while serving blocked
/// clients) are written.
pub fn after_process_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_TRACKING_CACHING != 0 && c.flags & crate::networking::CLIENT_MULTI == 0 {
        let by_client = c.cmd.is_some_and(|i| {
            let cmd = &srv.commands.cmds[i];
            let top = cmd.parent.unwrap_or(i);
            srv.commands.cmds[top].fullname == "client"
        });
        if !by_client {
            c.flags &= !CLIENT_TRACKING_CACHING;
        }
    }
    handle_pending_key_invalidations(srv, c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Server {
        Server::new(crate::config::Config::default()).expect("server")
    }

    /// Records `keys` as read by client `id` through a GET/MGET.
    fn read_keys(srv: &mut Server, id: u64, keys: &[&str]) {
        let mut argv = vec![Bytes::from_static(b"MGET")];
        argv.extend(keys.iter().map(|k| Bytes::copy_from_slice(k.as_bytes())));
        let idx = srv.commands.lookup(&argv).expect("mget");
        remember_keys(srv, id, CLIENT_TRACKING, idx, &argv);
    }

    #[test]
    fn table_counts_keys_and_items() {
        let mut srv = server();
        read_keys(&mut srv, 7, &["a", "b", "a"]);
        read_keys(&mut srv, 8, &["a"]);
        assert_eq!(srv.tracking.total_keys(), 2);
        assert_eq!(srv.tracking.total_items(), 3);
        // No client 7 or 8 exists: the key just leaves the table.
        tracking_invalidate_key(&mut srv, b"a", None, true);
        assert_eq!(srv.tracking.total_keys(), 1);
        assert_eq!(srv.tracking.total_items(), 1);
        tracking_invalidate_keys_on_flush(&mut srv);
        assert_eq!(srv.tracking.total_keys(), 0);
        assert_eq!(srv.tracking.total_items(), 0);
    }

    #[test]
    fn optin_and_optout_decide_with_caching() {
        let mut srv = server();
        let argv = vec![Bytes::from_static(b"GET"), Bytes::from_static(b"k")];
        let idx = srv.commands.lookup(&argv).expect("get");
        let base = CLIENT_TRACKING;
        remember_keys(&mut srv, 1, base | CLIENT_TRACKING_OPTIN, idx, &argv);
        remember_keys(
            &mut srv,
            2,
            base | CLIENT_TRACKING_OPTOUT | CLIENT_TRACKING_CACHING,
            idx,
            &argv,
        );
        assert_eq!(srv.tracking.total_items(), 0);
        remember_keys(
            &mut srv,
            3,
            base | CLIENT_TRACKING_OPTIN | CLIENT_TRACKING_CACHING,
            idx,
            &argv,
        );
        remember_keys(&mut srv, 4, base | CLIENT_TRACKING_OPTOUT, idx, &argv);
        assert_eq!(srv.tracking.total_items(), 2);
    }

    #[test]
    fn eviction_effort_grows_per_run_over_the_limit() {
        let mut srv = server();
        let keys: Vec<String> = (0..250).map(|i| format!("key{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
        read_keys(&mut srv, 5, &refs);
        srv.config.tracking_table_max_keys = 1;
        tracking_limit_used_slots(&mut srv);
        assert_eq!(srv.tracking.total_keys(), 150);
        assert_eq!(srv.tracking.timeout_counter, 1);
        tracking_limit_used_slots(&mut srv);
        assert_eq!(srv.tracking.total_keys(), 1);
        assert_eq!(srv.tracking.timeout_counter, 0);
        srv.config.tracking_table_max_keys = 0;
        read_keys(&mut srv, 5, &refs);
        tracking_limit_used_slots(&mut srv);
        assert_eq!(srv.tracking.total_keys(), 250);
    }

    #[test]
    fn modified_keys_go_to_matching_prefixes() {
        let mut srv = server();
        for p in [&b""[..], b"user:", b"obj"] {
            srv.tracking
                .prefixes
                .entry(p.to_vec())
                .or_default()
                .clients
                .insert(9);
        }
        tracking_invalidate_key(&mut srv, b"user:1", Some(3), true);
        tracking_invalidate_key(&mut srv, b"objx", None, true);
        // Evictions from the table are not broadcast.
        tracking_invalidate_key(&mut srv, b"user:2", None, false);
        let keys = |p: &[u8]| -> Vec<(Vec<u8>, Option<u64>)> {
            srv.tracking.prefixes[p]
                .keys
                .iter()
                .map(|(k, m)| (k.clone(), *m))
                .collect()
        };
        assert_eq!(
            keys(b""),
            vec![(b"objx".to_vec(), None), (b"user:1".to_vec(), Some(3))]
        );
        assert_eq!(keys(b"user:"), vec![(b"user:1".to_vec(), Some(3))]);
        assert_eq!(keys(b"obj"), vec![(b"objx".to_vec(), None)]);
    }

    #[test]
    fn overlap_is_a_common_prefix() {
        assert!(prefixes_overlap(b"foo", b"foobar"));
        assert!(prefixes_overlap(b"foobar", b"foo"));
        assert!(prefixes_overlap(b"", b"x"));
        assert!(!prefixes_overlap(b"fo", b"ba"));
        assert_eq!(prefix_text(b"a\0b"), "a");
    }

    #[test]
    fn broadcast_reply_honours_noloop() {
        let mut keys = BTreeMap::new();
        keys.insert(b"b".to_vec(), Some(7));
        keys.insert(b"a".to_vec(), None);
        keys.insert(b"c".to_vec(), Some(8));
        let all = build_broadcast_reply(&keys, None).unwrap_or_default();
        assert_eq!(&all[..], b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
        let no7 = build_broadcast_reply(&keys, Some(7)).unwrap_or_default();
        assert_eq!(&no7[..], b"*2\r\n$1\r\na\r\n$1\r\nc\r\n");
        let mut only = BTreeMap::new();
        only.insert(b"k".to_vec(), Some(9));
        assert!(build_broadcast_reply(&only, Some(9)).is_none());
    }
}
