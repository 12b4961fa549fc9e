//! Stream reading and consumer groups (Redis `t_stream.c`): XREAD,
//! XREADGROUP, XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO.
//!
//! # Consumer groups
//! A group ([`StreamCG`]) keeps the last id delivered to any of its
//! consumers, a read counter (`entries_read`, used for the lag), the
//! pending entries list (PEL: id → [`StreamNack`] with owner, last delivery
//! time and delivery count) and its consumers, each with the set of ids it
//! owns. Every id in a consumer's set has its NACK in the group's PEL and
//! the NACK names that consumer: the commands below keep both sides in
//! step (Redis shares one NACK between two radix trees; here the group
//! holds it and the consumer holds the id).
//!
//! # Reading
//! XREAD serves, for each key in argument order, the entries after the id
//! given (`$` meaning the stream's last id now). XREADGROUP with `>`
//! serves the entries after the group's last delivered id, moves that id
//! forward, and (unless NOACK) records each entry in the PEL of the group
//! and consumer; with any other id it serves the consumer's own pending
//! history from its PEL, entries since deleted shown as `[id, nil]`.
//!
//! # Blocking
//! With BLOCK and nothing to serve, the client blocks on its keys through
//! `blocked.rs` ([`BlockType::Stream`], [`BlockType::StreamGroup`]). A
//! blocked client is served by running its command again, so what the
//! command means must not change while it waits:
//! - `$` is resolved when the client blocks: the argument is replaced by
//!   the stream's last id at that moment (`0-0` for a missing key), so the
//!   second run serves exactly what arrived after the call. MONITOR and
//!   the slow log still show the `$` that was sent.
//! - `>` needs nothing: it always means "after the group's last delivered
//!   id", which is what Redis 7.0 re-reads when it serves such a client
//!   (other consumers of the group may have moved it meanwhile).
//!
//! The second run follows Redis 7.0's `serveClientsBlockedOnStreamKey`
//! rather than the command's first pass: only the key that became ready
//! is served (the first occurrence of it in the arguments), when its
//! `last_id` is past the id waited for (so an entry added and deleted in
//! one transaction still answers, with an empty list); at most COUNT
//! entries, 1000 without COUNT (`XREAD_BLOCKED_DEFAULT_COUNT`).
//! XREADGROUP clients are also answered when their key is deleted,
//! overwritten, flushed or swapped away (`-UNBLOCKED the stream key no
//! longer exists`, Redis `unblockDeletedStreamReadgroupClients`) and when
//! their group is gone (`-NOGROUP the consumer group this client was
//! blocked on no longer exists`, after XGROUP DESTROY or a RENAME over the
//! key). XREAD clients wait on through deletions and type changes until
//! the key is a stream again.
//!
//! # Propagation
//! XREADGROUP, XCLAIM and XAUTOCLAIM never propagate themselves. Each PEL
//! change goes out as an idempotent `XCLAIM key group consumer 0 id TIME
//! <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <group last id>`; a group last
//! id moved without a PEL change (NOACK, XCLAIM LASTID) as `XGROUP SETID
//! key group id ENTRIESREAD n`; a consumer created by XREADGROUP NOACK as
//! `XGROUP CREATECONSUMER key group consumer` (Redis
//! `streamPropagateXCLAIM`, `streamPropagateGroupID`,
//! `streamPropagateConsumerCreation`). Several such commands from one call
//! are wrapped in MULTI/EXEC by `propagate_pending_commands`.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::blocked::{BlockType, block_for_keys, client_may_block};
use crate::commands::Handler;
use crate::db::{LOOKUP_NONE, LOOKUP_WRITE, lookup_key_read_with_flags};
use crate::networking::{CLIENT_PREVENT_PROP, CLIENT_SCRIPT, Client};
use crate::notify::{NOTIFY_STREAM, notify_keyspace_event};
use crate::object::Value;
use crate::server::{PROPAGATE_AOF, PROPAGATE_REPL, Server};
use crate::shared;
use crate::stream::{
    SCG_INVALID_ENTRIES_READ, Stream, StreamCG, StreamConsumer, StreamId, StreamNack,
};
use crate::t_stream::{
    add_reply_stream_entry, add_reply_stream_id, add_reply_stream_range, stream_generic_parse_id,
    stream_parse_id_or_reply, stream_parse_interval_id_or_reply, stream_parse_strict_id_or_reply,
};
use crate::util::string2ll;

/// Handlers owned by this module, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("xread", xread_command),
    ("xreadgroup", xreadgroup_command),
    ("xgroup|create", xgroup_command),
    ("xgroup|setid", xgroup_command),
    ("xgroup|destroy", xgroup_command),
    ("xgroup|createconsumer", xgroup_command),
    ("xgroup|delconsumer", xgroup_command),
    ("xgroup|help", xgroup_command),
    ("xack", xack_command),
    ("xpending", xpending_command),
    ("xclaim", xclaim_command),
    ("xautoclaim", xautoclaim_command),
    ("xinfo|stream", xinfo_command),
    ("xinfo|groups", xinfo_command),
    ("xinfo|consumers", xinfo_command),
    ("xinfo|help", xinfo_command),
];

/// Entries served to a client blocked without COUNT (Redis
/// `XREAD_BLOCKED_DEFAULT_COUNT`).
const XREAD_BLOCKED_DEFAULT_COUNT: usize = 1000;

// ---- Ids ----

/// `<ms>-<seq>` as an argument of a propagated command.
fn id_bytes(id: &StreamId) -> Bytes {
    Bytes::from(id.to_bytes())
}

/// The successor of `id`, the largest id wrapping to `0-0` (Redis
/// `streamIncrID` with its error ignored).
fn incr_id(mut id: StreamId) -> StreamId {
    id.incr();
    id
}

// ---- Access to streams ----

/// A stream key looked up for a command.
enum Lookup<'a> {
    Missing,
    WrongType,
    Found(&'a mut Stream),
}

/// Looks `key` up with `lookup_key`'s side effects (expiry, stats,
/// keymiss events per `flags`).
fn lookup_stream<'a>(srv: &'a mut Server, dbid: usize, key: &[u8], flags: u32) -> Lookup<'a> {
    match lookup_key_read_with_flags(srv, dbid, key, flags) {
        None => Lookup::Missing,
        Some(o) => match &mut o.v {
            Value::Stream(s) => Lookup::Found(s),
            _ => Lookup::WrongType,
        },
    }
}

/// `-NOGROUP No such consumer group '<group>' for key name '<key>'`
/// (XGROUP, XINFO CONSUMERS).
fn add_reply_no_such_group(c: &mut Client, group: &[u8], key: &[u8]) {
    let mut msg = b"NOGROUP No such consumer group '".to_vec();
    msg.extend_from_slice(crate::networking::c_str(group, usize::MAX));
    msg.extend_from_slice(b"' for key name '");
    msg.extend_from_slice(crate::networking::c_str(key, usize::MAX));
    msg.push(b'\'');
    c.add_reply_error_bytes(&msg);
}

/// The group `grp` of the stream at `key`, or `None` after an error reply:
/// WRONGTYPE, or `NOGROUP No such key '<key>' or consumer group '<group>'`
/// when the key or the group is missing (XPENDING, XCLAIM, XAUTOCLAIM).
fn lookup_cg_or_reply<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    dbid: usize,
    key: &[u8],
    grp: &[u8],
) -> Option<&'a mut StreamCG> {
    let cg = match lookup_stream(srv, dbid, key, LOOKUP_NONE) {
        Lookup::WrongType => {
            c.add_reply_error(shared::err_wrong_type());
            return None;
        }
        Lookup::Missing => None,
        Lookup::Found(s) => s.lookup_cg_mut(grp),
    };
    if cg.is_none() {
        reply_nogroup(c, key, grp, "");
    }
    cg
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'<tail>`, the
/// names as Redis's `%s` prints them (raw bytes up to a NUL).
fn reply_nogroup(c: &mut Client, key: &[u8], grp: &[u8], tail: &str) {
    let mut msg = b"NOGROUP No such key '".to_vec();
    msg.extend_from_slice(crate::networking::c_str(key, usize::MAX));
    msg.extend_from_slice(b"' or consumer group '");
    msg.extend_from_slice(crate::networking::c_str(grp, usize::MAX));
    msg.push(b'\'');
    msg.extend_from_slice(tail.as_bytes());
    c.add_reply_error_bytes(&msg);
}

/// The stream at `key` again, without any lookup side effect: for a
/// command that already looked it up and had to let go of the borrow.
fn stream_again<'a>(srv: &'a mut Server, dbid: usize, key: &[u8]) -> Option<&'a mut Stream> {
    match srv.dbs[dbid].dict.get_mut(key).map(|o| &mut o.v) {
        Some(Value::Stream(s)) => Some(s),
        _ => None,
    }
}

/// One stream entry, copied out: its id and `[field, value, ...]`.
type Entry = (StreamId, Vec<Vec<u8>>);

/// Up to `count` (0 = all) entries with ids in `start..=end`, in order,
/// reversed with `rev`, copied out of the stream (for commands that change
/// the stream's groups while replying).
fn range_entries(
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> Vec<Entry> {
    if start > end {
        return Vec::new();
    }
    let limit = if count == 0 { usize::MAX } else { count };
    s.range(start, end, rev)
        .take(limit)
        .map(|e| (e.id, e.to_vec()))
        .collect()
}

/// The entry `id`, if it exists (not deleted).
fn get_entry(s: &Stream, id: StreamId) -> Option<Entry> {
    s.get(id).map(|e| (e.id, e.to_vec()))
}

/// `[id, [field, value, ...]]`.
fn add_reply_entry(c: &mut Client, e: &Entry) {
    c.add_reply_array_len(2);
    add_reply_stream_id(c, e.0);
    c.add_reply_array_len(e.1.len());
    for b in &e.1 {
        c.add_reply_bulk(b);
    }
}

/// Number of nodes of the radix tree Redis would hold for the node keys of
/// `s` (XINFO STREAM `radix-tree-nodes`, Redis `rax->numnodes`). Redis's
/// rax keeps itself fully compressed for keys of one length: a node for
/// the root, one per branching point, one per child of a branching point,
/// one per chain of single-child positions (a compressed node) and one
/// per key (a leaf), all keys being 16-byte big-endian ids.
///
/// # Latency
/// O(keys × 16).
fn rax_node_count(s: &Stream) -> u64 {
    let keys: Vec<[u8; 16]> = s
        .rax
        .keys()
        .map(|id| {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        })
        .collect();
    if keys.is_empty() {
        return 1;
    }
    rax_subtree_nodes(&keys, 0)
}

/// Nodes of the subtree for the sorted, distinct `keys` that share their
/// first `depth` bytes, starting with the node at that position.
fn rax_subtree_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    if depth == 16 {
        return 1;
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let mut common = depth;
    while common < 16 && first[common] == last[common] {
        common += 1;
    }
    if common == 16 {
        // A compressed node down to the leaf.
        return 2;
    }
    if common > depth {
        // A compressed node down to a branching point.
        return 1 + rax_branch_nodes(keys, common);
    }
    rax_branch_nodes(keys, depth)
}

/// Nodes of a branching point at `depth` and its subtrees.
fn rax_branch_nodes(keys: &[[u8; 16]], depth: usize) -> u64 {
    let mut n = 1;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i][depth];
        let mut j = i + 1;
        while j < keys.len() && keys[j][depth] == b {
            j += 1;
        }
        n += rax_subtree_nodes(&keys[i..j], depth + 1);
        i = j;
    }
    n
}

// ---- Read counters and lag ----

/// The group's lag, None when it cannot be known (Redis
/// `streamReplyWithCGLag`).
fn cg_lag(s: &Stream, cg: &StreamCG) -> Option<i64> {
    if s.entries_added == 0 {
        return Some(0);
    }
    if cg.entries_read != SCG_INVALID_ENTRIES_READ
        && !s.range_has_tombstones(Some(cg.last_id), None)
    {
        return Some(s.entries_added as i64 - cg.entries_read);
    }
    match s.estimate_distance_from_first_ever_entry(cg.last_id) {
        SCG_INVALID_ENTRIES_READ => None,
        read => Some(s.entries_added as i64 - read),
    }
}

fn add_reply_lag(c: &mut Client, lag: Option<i64>) {
    match lag {
        Some(v) => c.add_reply_long_long(v),
        None => c.add_reply_null(),
    }
}

// ---- Group and consumer helpers ----

/// Looks a consumer up, refreshing its seen time (Redis
/// `streamLookupConsumer` with `SLC_DEFAULT`); creates it when missing
/// (`streamCreateConsumer`). Returns true when it was created: the caller
/// then counts a change and fires `xgroup-createconsumer`.
fn lookup_or_create_consumer(cg: &mut StreamCG, name: &Bytes, now: i64) -> bool {
    if let Some(cons) = cg.consumers.get_mut(name) {
        cons.seen_time = now;
        return false;
    }
    cg.consumers.insert(
        name.clone(),
        StreamConsumer {
            seen_time: now,
            name: name.clone(),
            pel: Default::default(),
        },
    );
    true
}

/// Accounting for a consumer just created: a change and the
/// `xgroup-createconsumer` event (Redis `streamCreateConsumer`).
fn consumer_created(srv: &mut Server, key: &[u8], dbid: usize) {
    srv.dirty += 1;
    notify_keyspace_event(srv, NOTIFY_STREAM, "xgroup-createconsumer", key, dbid);
}

/// The idempotent XCLAIM that recreates a PEL entry on replicas and in the
/// AOF (Redis `streamPropagateXCLAIM`).
fn xclaim_argv(
    key: &Bytes,
    group: &Bytes,
    id_arg: Bytes,
    nack: &StreamNack,
    last_id: StreamId,
) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XCLAIM"),
        key.clone(),
        group.clone(),
        nack.consumer.clone(),
        Bytes::from_static(b"0"),
        id_arg,
        Bytes::from_static(b"TIME"),
        Bytes::from(nack.delivery_time.to_string()),
        Bytes::from_static(b"RETRYCOUNT"),
        Bytes::from(nack.delivery_count.to_string()),
        Bytes::from_static(b"FORCE"),
        Bytes::from_static(b"JUSTID"),
        Bytes::from_static(b"LASTID"),
        id_bytes(&last_id),
    ]
}

/// `XGROUP SETID key group id ENTRIESREAD n` (Redis
/// `streamPropagateGroupID`).
fn setid_argv(key: &Bytes, group: &Bytes, cg: &StreamCG) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"SETID"),
        key.clone(),
        group.clone(),
        id_bytes(&cg.last_id),
        Bytes::from_static(b"ENTRIESREAD"),
        Bytes::from(cg.entries_read.to_string()),
    ]
}

/// `XGROUP CREATECONSUMER key group consumer` (Redis
/// `streamPropagateConsumerCreation`).
fn createconsumer_argv(key: &Bytes, group: &Bytes, consumer: &Bytes) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"XGROUP"),
        Bytes::from_static(b"CREATECONSUMER"),
        key.clone(),
        group.clone(),
        consumer.clone(),
    ]
}

fn propagate_all(srv: &mut Server, dbid: usize, ops: Vec<Vec<Bytes>>) {
    for argv in ops {
        crate::server::also_propagate(srv, dbid, argv, PROPAGATE_AOF | PROPAGATE_REPL);
    }
}

/// Removes `id` from the PEL of the group and of its owner; true if it
/// was pending.
fn pel_remove(cg: &mut StreamCG, id: StreamId) -> bool {
    let Some(nack) = cg.pel.remove(&id) else {
        return false;
    };
    if let Some(owner) = cg.consumers.get_mut(&nack.consumer) {
        owner.pel.remove(&id);
    }
    true
}

// ---- Serving reads ----

/// What a group read works on.
struct GroupRead<'a> {
    key: &'a Bytes,
    group: &'a Bytes,
    consumer: &'a Bytes,
    noack: bool,
}

/// Replies with up to `count` (0 = all) entries from `start` on and
/// delivers them to the consumer (Redis `streamReplyWithRange` with a
/// group): the group's last id and read counter move forward, and without
/// NOACK each entry gets a NACK owned by the consumer (taken from another
/// consumer if it was pending there, after an XGROUP SETID). The
/// propagation of each change is pushed on `ops`. The consumer exists.
fn reply_group_new_entries(
    c: &mut Client,
    s: &mut Stream,
    start: StreamId,
    count: usize,
    gr: &GroupRead,
    ops: &mut Vec<Vec<Bytes>>,
) {
    let entries = range_entries(s, start, StreamId::MAX, count, false);
    // What the read counter needs of the stream, per entry, before the
    // group is borrowed for writing.
    let counters: Vec<(bool, i64)> = entries
        .iter()
        .map(|e| {
            (
                s.range_has_tombstones(Some(e.0), None),
                s.estimate_distance_from_first_ever_entry(e.0),
            )
        })
        .collect();
    let entries_added = s.entries_added;
    let Some(cg) = s.lookup_cg_mut(gr.group) else {
        c.add_reply_array_len(0);
        return;
    };
    let now = crate::util::mstime();
    let mut propagate_last_id = false;
    c.add_reply_array_len(entries.len());
    for (e, &(tombstones_ahead, distance)) in entries.iter().zip(&counters) {
        let id = e.0;
        if id > cg.last_id {
            if cg.entries_read != SCG_INVALID_ENTRIES_READ && !tombstones_ahead {
                cg.entries_read += 1;
            } else if entries_added != 0 {
                cg.entries_read = distance;
            }
            cg.last_id = id;
            if gr.noack {
                propagate_last_id = true;
            }
        }
        add_reply_entry(c, e);
        if !gr.noack {
            let nack = match cg.pel.get_mut(&id) {
                Some(nack) => {
                    let old = std::mem::replace(&mut nack.consumer, gr.consumer.clone());
                    nack.delivery_time = now;
                    nack.delivery_count = 1;
                    let nack = nack.clone();
                    if let Some(owner) = cg.consumers.get_mut(&old) {
                        owner.pel.remove(&id);
                    }
                    nack
                }
                None => {
                    let nack = StreamNack {
                        delivery_time: now,
                        delivery_count: 1,
                        consumer: gr.consumer.clone(),
                    };
                    cg.pel.insert(id, nack.clone());
                    nack
                }
            };
            if let Some(cons) = cg.consumers.get_mut(gr.consumer) {
                cons.pel.insert(id);
            }
            ops.push(xclaim_argv(
                gr.key,
                gr.group,
                id_bytes(&id),
                &nack,
                cg.last_id,
            ));
        }
    }
    if propagate_last_id {
        ops.push(setid_argv(gr.key, gr.group, cg));
    }
}

/// Replies with the consumer's pending entries from `start` on, up to
/// `count` (0 = all) (Redis `streamReplyWithRangeFromConsumerPEL`): an
/// entry deleted since is `[id, nil]`; the others count as delivered once
/// more, now.
fn reply_consumer_history(
    c: &mut Client,
    s: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    start: StreamId,
    count: usize,
) {
    let ids: Vec<StreamId> = match s
        .lookup_cg_mut(group)
        .and_then(|cg| cg.consumers.get(consumer))
    {
        Some(cons) => {
            let it = cons.pel.range(start..).copied();
            if count == 0 {
                it.collect()
            } else {
                it.take(count).collect()
            }
        }
        None => Vec::new(),
    };
    let now = crate::util::mstime();
    c.add_reply_array_len(ids.len());
    for id in ids {
        match get_entry(s, id) {
            Some(e) => {
                add_reply_entry(c, &e);
                if let Some(nack) = s.lookup_cg_mut(group).and_then(|cg| cg.pel.get_mut(&id)) {
                    nack.delivery_time = now;
                    nack.delivery_count += 1;
                }
            }
            None => {
                c.add_reply_array_len(2);
                add_reply_stream_id(c, id);
                c.add_reply_null_array();
            }
        }
    }
}

// ---- XREAD / XREADGROUP ----

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
/// → for each stream with entries after its id, `[key, [[id, [f, v, ...]],
/// ...]]` (a map key → entries in RESP3), a null array when none has any.
/// `$` stands for the stream's last id. With BLOCK, waits up to that many
/// ms (0 = forever) for entries; see the module docs. Errors: `ERR syntax
/// error`, `ERR Unbalanced XREAD list of streams: for each stream key an ID
/// or '$' must be specified.`, `ERR The GROUP option is only supported by
/// XREADGROUP. You called XREAD instead.`, the same for NOACK, `ERR The >
/// ID can be specified only when calling XREADGROUP using the GROUP <group>
/// <consumer> option.`, `ERR timeout is not an integer or out of range`,
/// `ERR timeout is negative`, `ERR <cmd> command is not allowed with BLOCK
/// option from scripts`, invalid ids, WRONGTYPE.
pub fn xread_command(srv: &mut Server, c: &mut Client) {
    xread_generic_command(srv, c, false);
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
/// [NOACK] STREAMS key [key ...] id [id ...] → as XREAD. With `>` the
/// entries never delivered to the group are delivered to `consumer` (and
/// added to its pending list unless NOACK); with another id, the
/// consumer's pending entries after it (`[id, nil]` for entries deleted
/// since), an empty list rather than a null when it has none. The
/// consumer is created on first use. Errors as XREAD, plus `ERR Missing
/// GROUP option for XREADGROUP`, `NOGROUP No such key '<key>' or consumer
/// group '<group>' in XREADGROUP with GROUP option`, `ERR The $ ID is
/// meaningless in the context of XREADGROUP: ...`; when blocked, `NOGROUP
/// the consumer group this client was blocked on no longer exists` and
/// `UNBLOCKED the stream key no longer exists`.
pub fn xreadgroup_command(srv: &mut Server, c: &mut Client) {
    xread_generic_command(srv, c, true);
}

/// An id argument of XREAD/XREADGROUP once parsed.
#[derive(Clone, Copy)]
enum ReadId {
    /// An explicit id, or `$` resolved.
    Id(StreamId),
    /// `$`, resolved to the stream's last id when the command ran.
    Dollar(StreamId),
    /// `>`.
    New,
}

/// XREAD and XREADGROUP (Redis `xreadCommand`).
fn xread_generic_command(srv: &mut Server, c: &mut Client, xreadgroup: bool) {
    let argv = c.argv.clone();
    let argc = argv.len();
    let mut timeout: Option<i64> = None;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut groupname: Option<Bytes> = None;
    let mut consumername: Option<Bytes> = None;
    let mut i = 1;
    while i < argc {
        let moreargs = argc - i - 1;
        let o = &argv[i];
        if o.eq_ignore_ascii_case(b"BLOCK") && moreargs > 0 {
            if c.flags & CLIENT_SCRIPT != 0 {
                c.add_reply_error(&format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(&argv[0])
                ));
                return;
            }
            i += 1;
            let Some(ms) = crate::db::get_long_long_or_reply(
                c,
                &argv[i],
                Some("timeout is not an integer or out of range"),
            ) else {
                return;
            };
            if ms < 0 {
                c.add_reply_error("ERR timeout is negative");
                return;
            }
            timeout = Some(if ms > 0 {
                ms.checked_add(crate::util::mstime()).unwrap_or(i64::MAX)
            } else {
                0
            });
        } else if o.eq_ignore_ascii_case(b"COUNT") && moreargs > 0 {
            i += 1;
            let Some(n) = crate::db::get_long_long_or_reply(c, &argv[i], None) else {
                return;
            };
            count = n.max(0);
        } else if o.eq_ignore_ascii_case(b"STREAMS") && moreargs > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                c.add_reply_error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                );
                return;
            }
            streams_count /= 2;
            break;
        } else if o.eq_ignore_ascii_case(b"GROUP") && moreargs >= 2 {
            if !xreadgroup {
                c.add_reply_error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            groupname = Some(argv[i + 1].clone());
            consumername = Some(argv[i + 2].clone());
            i += 2;
        } else if o.eq_ignore_ascii_case(b"NOACK") {
            if !xreadgroup {
                c.add_reply_error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            noack = true;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        i += 1;
    }
    if streams_arg == 0 {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    let group = match (&groupname, &consumername) {
        (Some(g), Some(cn)) => Some((g.clone(), cn.clone())),
        _ if xreadgroup => {
            c.add_reply_error("ERR Missing GROUP option for XREADGROUP");
            return;
        }
        _ => None,
    };
    // XREADGROUP never propagates itself: its effects go out as XCLAIM,
    // XGROUP SETID and XGROUP CREATECONSUMER.
    c.flags |= CLIENT_PREVENT_PROP;
    let keys: Vec<Bytes> = argv[streams_arg..streams_arg + streams_count].to_vec();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if crate::blocked::is_serving_blocked(srv, c) {
        serve_blocked_read(srv, c, &keys, streams_arg, count, group.as_ref(), noack);
        return;
    }
    let dbid = c.db;

    // Resolve the ids, checking each key and group in turn.
    let mut ids: Vec<ReadId> = Vec::with_capacity(streams_count);
    for (n, key) in keys.iter().enumerate() {
        let arg = &argv[streams_arg + streams_count + n];
        let last_id = match lookup_stream(srv, dbid, key, LOOKUP_NONE) {
            Lookup::WrongType => {
                c.add_reply_error(shared::err_wrong_type());
                return;
            }
            Lookup::Missing => {
                if let Some((g, _)) = &group {
                    reply_nogroup_xreadgroup(c, key, g);
                    return;
                }
                None
            }
            Lookup::Found(s) => {
                if let Some((g, _)) = &group
                    && s.lookup_cg_mut(g).is_none()
                {
                    reply_nogroup_xreadgroup(c, key, g);
                    return;
                }
                Some(s.last_id)
            }
        };
        if arg.as_ref() == b"$" {
            if xreadgroup {
                c.add_reply_error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                );
                return;
            }
            ids.push(ReadId::Dollar(last_id.unwrap_or_default()));
            continue;
        }
        if arg.as_ref() == b">" {
            if !xreadgroup {
                c.add_reply_error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                );
                return;
            }
            ids.push(ReadId::New);
            continue;
        }
        let Some(id) = stream_parse_strict_id_or_reply(c, arg, 0, None) else {
            return;
        };
        ids.push(ReadId::Id(id));
    }

    // Serve what can be served now.
    let mut served = 0;
    let mut top = None;
    let mut ops: Vec<Vec<Bytes>> = Vec::new();
    for (n, key) in keys.iter().enumerate() {
        let Lookup::Found(s) = lookup_stream(srv, dbid, key, LOOKUP_NONE) else {
            continue;
        };
        let (gt, history) = match (ids[n], &group) {
            (ReadId::Id(id), Some(_)) => (id, true),
            (ReadId::New, Some((g, _))) => {
                if s.length == 0 {
                    continue;
                }
                let Some(last) = s.lookup_cg_mut(g).map(|cg| cg.last_id) else {
                    continue;
                };
                if s.last_valid_id() <= last {
                    continue;
                }
                (last, false)
            }
            (ReadId::Id(id) | ReadId::Dollar(id), None) => {
                if s.length == 0 || s.last_valid_id() <= id {
                    continue;
                }
                (id, false)
            }
            _ => continue,
        };
        served += 1;
        if served == 1 {
            top = Some(c.add_reply_deferred_len());
        }
        let start = incr_id(gt);
        if c.resp == 2 {
            c.add_reply_array_len(2);
        }
        c.add_reply_bulk(key);
        match &group {
            None => {
                add_reply_stream_range(c, s, start, StreamId::MAX, count, false);
            }
            Some((g, cons)) => {
                let now = crate::util::mstime();
                let created = s
                    .lookup_cg_mut(g)
                    .is_some_and(|cg| lookup_or_create_consumer(cg, cons, now));
                if created && noack {
                    ops.push(createconsumer_argv(key, g, cons));
                }
                if history {
                    reply_consumer_history(c, s, g, cons, start, count);
                } else {
                    let gr = GroupRead {
                        key,
                        group: g,
                        consumer: cons,
                        noack,
                    };
                    reply_group_new_entries(c, s, start, count, &gr, &mut ops);
                }
                if created {
                    consumer_created(srv, key, dbid);
                }
                srv.dirty += 1;
            }
        }
    }
    if let Some(h) = top {
        if c.resp == 2 {
            c.set_deferred_array_len(h, served);
        } else {
            c.set_deferred_map_len(h, served);
        }
        propagate_all(srv, dbid, ops);
        return;
    }

    // Nothing to serve: block, or answer as a timeout would.
    let Some(timeout) = timeout else {
        c.add_reply_null_array();
        return;
    };
    if !client_may_block(c) {
        c.add_reply_null_array();
        return;
    }
    // `$` becomes the id it stood for, so that running the command again
    // serves what arrived after this call.
    let mut rewritten = false;
    for (n, rid) in ids.iter().enumerate() {
        if let ReadId::Dollar(id) = rid {
            if !rewritten {
                c.original_argv.get_or_insert_with(|| argv.clone());
                rewritten = true;
            }
            c.argv[streams_arg + streams_count + n] = id_bytes(id);
        }
    }
    let btype = if group.is_some() {
        BlockType::StreamGroup
    } else {
        BlockType::Stream
    };
    block_for_keys(srv, c, btype, &keys, timeout);
}

/// `NOGROUP No such key '<key>' or consumer group '<group>' in XREADGROUP
/// with GROUP option`.
fn reply_nogroup_xreadgroup(c: &mut Client, key: &[u8], group: &[u8]) {
    reply_nogroup(c, key, group, " in XREADGROUP with GROUP option");
}

/// The second run of a blocked XREAD/XREADGROUP, for the key that became
/// ready (Redis `serveClientsBlockedOnStreamKey` and
/// `unblockDeletedStreamReadgroupClients`); see the module docs. Blocks
/// again when there is still nothing after the id waited for.
fn serve_blocked_read(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    streams_arg: usize,
    count: usize,
    group: Option<&(Bytes, Bytes)>,
    noack: bool,
) {
    let dbid = c.db;
    let Some(key) = crate::blocked::serving_key(srv) else {
        return;
    };
    let Some(n) = keys.iter().position(|k| *k == key) else {
        return;
    };
    let count = if count == 0 {
        XREAD_BLOCKED_DEFAULT_COUNT
    } else {
        count
    };
    let flags = crate::db::LOOKUP_NONOTIFY | crate::db::LOOKUP_NOSTATS;
    let s = match lookup_stream(srv, dbid, &key, flags) {
        Lookup::Found(s) => s,
        _ => {
            if group.is_some() {
                c.add_reply_error("UNBLOCKED the stream key no longer exists");
            } else {
                block_for_keys(srv, c, BlockType::Stream, keys, 0);
            }
            return;
        }
    };
    let gt = match group {
        Some((g, _)) => match s.lookup_cg_mut(g) {
            Some(cg) => cg.last_id,
            None => {
                c.add_reply_error(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                );
                return;
            }
        },
        None => {
            let arg = c.argv[streams_arg + keys.len() + n].clone();
            stream_generic_parse_id(&arg, 0, true, None).unwrap_or(StreamId::MAX)
        }
    };
    if s.last_id <= gt {
        let btype = if group.is_some() {
            BlockType::StreamGroup
        } else {
            BlockType::Stream
        };
        block_for_keys(srv, c, btype, keys, 0);
        return;
    }
    let start = incr_id(gt);
    let mut ops = Vec::new();
    let mut created = false;
    if c.resp == 2 {
        c.add_reply_array_len(1);
        c.add_reply_array_len(2);
    } else {
        c.add_reply_map_len(1);
    }
    c.add_reply_bulk(&key);
    match group {
        None => {
            add_reply_stream_range(c, s, start, StreamId::MAX, count, false);
        }
        Some((g, cons)) => {
            let now = crate::util::mstime();
            created = s
                .lookup_cg_mut(g)
                .is_some_and(|cg| lookup_or_create_consumer(cg, cons, now));
            if created && noack {
                ops.push(createconsumer_argv(&key, g, cons));
            }
            let gr = GroupRead {
                key: &key,
                group: g,
                consumer: cons,
                noack,
            };
            reply_group_new_entries(c, s, start, count, &gr, &mut ops);
        }
    }
    if created {
        consumer_created(srv, &key, dbid);
    }
    propagate_all(srv, dbid, ops);
}

// ---- XGROUP ----

const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] → OK;
/// XGROUP SETID key group id|$ [ENTRIESREAD n] → OK;
/// XGROUP DESTROY key group → 1 if destroyed, else 0;
/// XGROUP CREATECONSUMER key group consumer → 1 if created, else 0;
/// XGROUP DELCONSUMER key group consumer → the consumer's pending count;
/// XGROUP HELP (Redis `xgroupCommand`). Errors: `ERR value for ENTRIESREAD
/// must be positive or -1`, `ERR The XGROUP subcommand requires the key to
/// exist. Note that for CREATE you may want to use the MKSTREAM option to
/// create an empty stream automatically.`, `NOGROUP No such consumer group
/// '<group>' for key name '<key>'`, `BUSYGROUP Consumer Group name already
/// exists`, invalid ids, WRONGTYPE, and the "unknown subcommand or wrong
/// number of arguments" error for stray options.
pub fn xgroup_command(srv: &mut Server, c: &mut Client) {
    let argv = c.argv.clone();
    let argc = argv.len();
    let dbid = c.db;
    let opt = argv[1].clone();
    let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
    let mut mkstream = false;
    let mut entries_read: i64 = -1;
    let mut exists = false;
    let mut has_group = false;
    if argc >= 4 {
        let create = is(b"CREATE");
        let setid = is(b"SETID");
        let mut i = 5;
        while i < argc {
            if create && argv[i].eq_ignore_ascii_case(b"MKSTREAM") {
                mkstream = true;
                i += 1;
            } else if (create || setid)
                && argv[i].eq_ignore_ascii_case(b"ENTRIESREAD")
                && i + 1 < argc
            {
                let Some(n) = crate::db::get_long_long_or_reply(c, &argv[i + 1], None) else {
                    return;
                };
                if n < 0 && n != -1 {
                    c.add_reply_error("ERR value for ENTRIESREAD must be positive or -1");
                    return;
                }
                entries_read = n;
                i += 2;
            } else {
                c.add_reply_subcommand_arity_error();
                return;
            }
        }
        match lookup_stream(srv, dbid, &argv[2], LOOKUP_WRITE) {
            Lookup::WrongType => {
                c.add_reply_error(shared::err_wrong_type());
                return;
            }
            Lookup::Missing => {}
            Lookup::Found(s) => {
                exists = true;
                has_group = s.lookup_cg_mut(&argv[3]).is_some();
            }
        }
        if !mkstream {
            if !exists {
                c.add_reply_error(
                    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
                );
                return;
            }
            if !has_group && (is(b"SETID") || is(b"CREATECONSUMER") || is(b"DELCONSUMER")) {
                return add_reply_no_such_group(c, &argv[3], &argv[2]);
            }
        }
    }

    if argc == 2 && is(b"HELP") {
        c.add_reply_help("XGROUP", XGROUP_HELP);
    } else if is(b"CREATE") && (5..=8).contains(&argc) {
        let (key, grp) = (&argv[2], &argv[3]);
        let id = if argv[4].as_ref() == b"$" {
            stream_again(srv, dbid, key)
                .map(|s| s.last_id)
                .unwrap_or_default()
        } else {
            let Some(id) = stream_parse_strict_id_or_reply(c, &argv[4], 0, None) else {
                return;
            };
            id
        };
        if !exists {
            crate::db::db_add(srv, dbid, key, Value::Stream(Box::new(Stream::new())));
            crate::db::signal_modified_key(srv, dbid, key);
        }
        let Some(s) = stream_again(srv, dbid, key) else {
            return;
        };
        let groups = s.cgroups.get_or_insert_with(BTreeMap::new);
        if groups.contains_key(grp) {
            c.add_reply_error("BUSYGROUP Consumer Group name already exists");
            return;
        }
        groups.insert(
            grp.clone(),
            StreamCG {
                last_id: id,
                entries_read,
                pel: BTreeMap::new(),
                consumers: BTreeMap::new(),
            },
        );
        c.add_reply_ok();
        srv.dirty += 1;
        notify_keyspace_event(srv, NOTIFY_STREAM, "xgroup-create", key, dbid);
    } else if is(b"SETID") && (argc == 5 || argc == 7) {
        let (key, grp) = (&argv[2], &argv[3]);
        let id = if argv[4].as_ref() == b"$" {
            stream_again(srv, dbid, key)
                .map(|s| s.last_id)
                .unwrap_or_default()
        } else {
            let Some(id) = stream_parse_id_or_reply(c, &argv[4], 0) else {
                return;
            };
            id
        };
        let Some(cg) = stream_again(srv, dbid, key).and_then(|s| s.lookup_cg_mut(grp)) else {
            return;
        };
        cg.last_id = id;
        cg.entries_read = entries_read;
        c.add_reply_ok();
        srv.dirty += 1;
        notify_keyspace_event(srv, NOTIFY_STREAM, "xgroup-setid", key, dbid);
    } else if is(b"DESTROY") && argc == 4 {
        let (key, grp) = (&argv[2], &argv[3]);
        let removed = stream_again(srv, dbid, key)
            .and_then(|s| s.cgroups.as_mut())
            .and_then(|g| g.remove(grp))
            .is_some();
        if removed {
            c.add_reply_long_long(1);
            srv.dirty += 1;
            notify_keyspace_event(srv, NOTIFY_STREAM, "xgroup-destroy", key, dbid);
            // Clients blocked on the group get -NOGROUP.
            crate::blocked::signal_key_as_ready(srv, dbid, key);
        } else {
            c.add_reply_long_long(0);
        }
    } else if is(b"CREATECONSUMER") && argc == 5 {
        let (key, grp, name) = (&argv[2], &argv[3], &argv[4]);
        let now = crate::util::mstime();
        let created = stream_again(srv, dbid, key)
            .and_then(|s| s.lookup_cg_mut(grp))
            .is_some_and(|cg| {
                if cg.consumers.contains_key(name) {
                    return false;
                }
                lookup_or_create_consumer(cg, name, now)
            });
        if created {
            consumer_created(srv, key, dbid);
        }
        c.add_reply_long_long(i64::from(created));
    } else if is(b"DELCONSUMER") && argc == 5 {
        let (key, grp, name) = (&argv[2], &argv[3], &argv[4]);
        let mut pending = None;
        if let Some(cg) = stream_again(srv, dbid, key).and_then(|s| s.lookup_cg_mut(grp))
            && let Some(cons) = cg.consumers.remove(name)
        {
            for id in &cons.pel {
                cg.pel.remove(id);
            }
            pending = Some(cons.pel.len() as i64);
        }
        if pending.is_some() {
            srv.dirty += 1;
            notify_keyspace_event(srv, NOTIFY_STREAM, "xgroup-delconsumer", key, dbid);
        }
        c.add_reply_long_long(pending.unwrap_or(0));
    } else {
        c.add_reply_subcommand_arity_error();
    }
}

// ---- XACK ----

/// XACK key group id [id ...] → integer: how many of the ids were pending
/// in the group and are now acknowledged (removed from the PELs of the
/// group and their consumer); 0 for a missing key or group. All ids are
/// parsed before any is acknowledged: `ERR Invalid stream ID specified as
/// stream command argument`. WRONGTYPE.
pub fn xack_command(srv: &mut Server, c: &mut Client) {
    let argv = c.argv.clone();
    let dbid = c.db;
    let has_group = match lookup_stream(srv, dbid, &argv[1], LOOKUP_NONE) {
        Lookup::WrongType => {
            c.add_reply_error(shared::err_wrong_type());
            return;
        }
        Lookup::Missing => false,
        Lookup::Found(s) => s.lookup_cg_mut(&argv[2]).is_some(),
    };
    if !has_group {
        c.add_reply_long_long(0);
        return;
    }
    let mut ids = Vec::with_capacity(argv.len() - 3);
    for arg in &argv[3..] {
        let Some(id) = stream_parse_strict_id_or_reply(c, arg, 0, None) else {
            return;
        };
        ids.push(id);
    }
    let mut acked = 0;
    if let Some(cg) = stream_again(srv, dbid, &argv[1]).and_then(|s| s.lookup_cg_mut(&argv[2])) {
        for id in ids {
            if pel_remove(cg, id) {
                acked += 1;
            }
        }
    }
    srv.dirty += acked;
    c.add_reply_long_long(acked);
}

// ---- XPENDING ----

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
/// (Redis `xpendingCommand`). The summary form → `[count, smallest id,
/// greatest id, [[consumer, count], ...]]` (nils and a null array when
/// nothing is pending); the extended form → up to `count` entries
/// `[id, consumer, idle ms, deliveries]` with ids in the range (`(` for
/// exclusive bounds), only the consumer's with `consumer` (an unknown
/// consumer gives an empty array), only those idle at least
/// `min-idle-time` ms with IDLE. Errors: `ERR syntax error`, not an
/// integer, invalid ids, `ERR invalid start ID for the interval`, `ERR
/// invalid end ID for the interval`, `NOGROUP No such key '<key>' or
/// consumer group '<group>'`, WRONGTYPE.
pub fn xpending_command(srv: &mut Server, c: &mut Client) {
    let argv = c.argv.clone();
    let argc = argv.len();
    let dbid = c.db;
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        c.add_reply_error(shared::err_syntax());
        return;
    }
    let mut minidle: i64 = 0;
    let mut count: i64 = 0;
    let mut startid = StreamId::default();
    let mut endid = StreamId::default();
    let mut consumername: Option<Bytes> = None;
    if argc >= 6 {
        let mut startidx = 3;
        if argv[3].eq_ignore_ascii_case(b"IDLE") {
            let Some(v) = crate::db::get_long_long_or_reply(c, &argv[4], None) else {
                return;
            };
            minidle = v;
            if argc < 8 {
                c.add_reply_error(shared::err_syntax());
                return;
            }
            startidx += 2;
        }
        let Some(n) = crate::db::get_long_long_or_reply(c, &argv[startidx + 2], None) else {
            return;
        };
        count = n.max(0);
        let Some((s, startex)) = stream_parse_interval_id_or_reply(c, &argv[startidx], 0) else {
            return;
        };
        startid = s;
        if startex && !startid.incr() {
            c.add_reply_error("ERR invalid start ID for the interval");
            return;
        }
        let Some((e, endex)) = stream_parse_interval_id_or_reply(c, &argv[startidx + 1], u64::MAX)
        else {
            return;
        };
        endid = e;
        if endex && !endid.decr() {
            c.add_reply_error("ERR invalid end ID for the interval");
            return;
        }
        if startidx + 3 < argc {
            consumername = Some(argv[startidx + 3].clone());
        }
    }
    let Some(cg) = lookup_cg_or_reply(srv, c, dbid, &argv[1], &argv[2]) else {
        return;
    };
    if justinfo {
        c.add_reply_array_len(4);
        c.add_reply_long_long(cg.pel.len() as i64);
        let (Some((first, _)), Some((last, _))) =
            (cg.pel.first_key_value(), cg.pel.last_key_value())
        else {
            c.add_reply_null();
            c.add_reply_null();
            c.add_reply_null_array();
            return;
        };
        add_reply_stream_id(c, *first);
        add_reply_stream_id(c, *last);
        let h = c.add_reply_deferred_len();
        let mut n = 0;
        for (name, cons) in &cg.consumers {
            if cons.pel.is_empty() {
                continue;
            }
            c.add_reply_array_len(2);
            c.add_reply_bulk(name);
            c.add_reply_bulk_long_long(cons.pel.len() as i64);
            n += 1;
        }
        c.set_deferred_array_len(h, n);
        return;
    }
    let ids: Box<dyn Iterator<Item = StreamId>> = match &consumername {
        Some(name) => match cg.consumers.get(name) {
            Some(cons) => Box::new(cons.pel.range(startid..).copied()),
            None => {
                c.add_reply_array_len(0);
                return;
            }
        },
        None => Box::new(cg.pel.range(startid..).map(|(id, _)| *id)),
    };
    let now = crate::util::mstime();
    let h = c.add_reply_deferred_len();
    let mut n = 0;
    for id in ids {
        if count == 0 || id > endid {
            break;
        }
        let Some(nack) = cg.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now.wrapping_sub(nack.delivery_time) < minidle {
            continue;
        }
        n += 1;
        count -= 1;
        c.add_reply_array_len(4);
        add_reply_stream_id(c, id);
        c.add_reply_bulk(&nack.consumer);
        c.add_reply_long_long(now.wrapping_sub(nack.delivery_time).max(0));
        c.add_reply_long_long(nack.delivery_count as i64);
    }
    c.set_deferred_array_len(h, n);
}

// ---- XCLAIM / XAUTOCLAIM ----

/// Gives pending entry `id` to `consumer` (created if needed, its seen
/// time refreshed once per command through `cons_seen`): the NACK's
/// delivery time becomes `delivery_time`, its count `retrycount` or one
/// more unless `justid`. `nack_new` marks a NACK just made by FORCE, which
/// has no owner yet. Returns the NACK and whether the consumer was
/// created.
#[allow(clippy::too_many_arguments)]
fn claim_nack(
    cg: &mut StreamCG,
    id: StreamId,
    consumer: &Bytes,
    cons_seen: &mut bool,
    now: i64,
    delivery_time: i64,
    retrycount: Option<u64>,
    justid: bool,
    owned: bool,
) -> (StreamNack, bool) {
    let mut created = false;
    if !*cons_seen {
        created = lookup_or_create_consumer(cg, consumer, now);
        *cons_seen = true;
    }
    let Some(nack) = cg.pel.get_mut(&id) else {
        return (StreamNack::default(), created);
    };
    let old = nack.consumer.clone();
    let moved = !owned || old != *consumer;
    nack.delivery_time = delivery_time;
    match retrycount {
        Some(n) => nack.delivery_count = n,
        None if !justid => nack.delivery_count += 1,
        None => {}
    }
    nack.consumer = consumer.clone();
    let nack = nack.clone();
    if moved {
        if owned && let Some(o) = cg.consumers.get_mut(&old) {
            o.pel.remove(&id);
        }
        if let Some(cons) = cg.consumers.get_mut(consumer) {
            cons.pel.insert(id);
        }
    }
    (nack, created)
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME
/// unix-ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id] → the entries (or
/// with JUSTID their ids) now owned by `consumer`: those pending and idle
/// at least `min-idle-time` ms, and with FORCE those not pending but in
/// the stream. Pending ids whose entry was deleted are dropped from the
/// PEL and not returned. IDLE/TIME set the new delivery time (now by
/// default, also for values in the future or negative), RETRYCOUNT the
/// delivery count (else one more, unless JUSTID); LASTID moves the group's
/// last id forward. Errors: `NOGROUP No such key '<key>' or consumer
/// group '<group>'`, `ERR Invalid min-idle-time argument for XCLAIM`,
/// `ERR Invalid IDLE option argument for XCLAIM` (TIME, RETRYCOUNT
/// alike), `ERR Unrecognized XCLAIM option '<opt>'`, invalid LASTID,
/// WRONGTYPE.
pub fn xclaim_command(srv: &mut Server, c: &mut Client) {
    let argv = c.argv.clone();
    let argc = argv.len();
    let dbid = c.db;
    let (key, grp, consumer) = (&argv[1], &argv[2], &argv[3]);
    if lookup_cg_or_reply(srv, c, dbid, key, grp).is_none() {
        return;
    }
    let Some(minidle) = crate::db::get_long_long_or_reply(
        c,
        &argv[4],
        Some("Invalid min-idle-time argument for XCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argc {
        match stream_generic_parse_id(&argv[j], 0, true, None) {
            Some(id) => ids.push((id, argv[j].clone())),
            None => break,
        }
        j += 1;
    }
    let now = crate::util::mstime();
    let mut deliverytime: i64 = -1;
    let mut retrycount: i64 = -1;
    let mut force = false;
    let mut justid = false;
    let mut last_id = StreamId::default();
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = &argv[j];
        if opt.eq_ignore_ascii_case(b"FORCE") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else if opt.eq_ignore_ascii_case(b"IDLE") && moreargs > 0 {
            j += 1;
            let Some(v) = crate::db::get_long_long_or_reply(
                c,
                &argv[j],
                Some("Invalid IDLE option argument for XCLAIM"),
            ) else {
                return;
            };
            deliverytime = now.wrapping_sub(v);
        } else if opt.eq_ignore_ascii_case(b"TIME") && moreargs > 0 {
            j += 1;
            let Some(v) = crate::db::get_long_long_or_reply(
                c,
                &argv[j],
                Some("Invalid TIME option argument for XCLAIM"),
            ) else {
                return;
            };
            deliverytime = v;
        } else if opt.eq_ignore_ascii_case(b"RETRYCOUNT") && moreargs > 0 {
            j += 1;
            let Some(v) = crate::db::get_long_long_or_reply(
                c,
                &argv[j],
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            ) else {
                return;
            };
            retrycount = v;
        } else if opt.eq_ignore_ascii_case(b"LASTID") && moreargs > 0 {
            j += 1;
            let Some(id) = stream_parse_strict_id_or_reply(c, &argv[j], 0, None) else {
                return;
            };
            last_id = id;
        } else {
            c.add_reply_error_arg("ERR Unrecognized XCLAIM option '", &opt.clone(), "'");
            return;
        }
        j += 1;
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }
    let retrycount = u64::try_from(retrycount).ok();
    // XCLAIM never propagates itself: each claim goes out as the
    // idempotent form below.
    c.flags |= CLIENT_PREVENT_PROP;

    let Some(s) = stream_again(srv, dbid, key) else {
        return;
    };
    let mut propagate_last_id = false;
    if let Some(cg) = s.lookup_cg_mut(grp)
        && last_id > cg.last_id
    {
        cg.last_id = last_id;
        propagate_last_id = true;
    }
    let mut ops = Vec::new();
    let mut dirty = 0;
    let mut created = false;
    let mut cons_seen = false;
    let h = c.add_reply_deferred_len();
    let mut n = 0;
    for (id, id_arg) in ids {
        let entry = get_entry(s, id);
        let Some(cg) = s.lookup_cg_mut(grp) else {
            break;
        };
        if entry.is_none() {
            if let Some(nack) = cg.pel.get(&id) {
                ops.push(xclaim_argv(key, grp, id_arg.clone(), nack, cg.last_id));
                propagate_last_id = false;
                dirty += 1;
                pel_remove(cg, id);
            }
            continue;
        }
        let mut owned = true;
        if force && !cg.pel.contains_key(&id) {
            cg.pel.insert(
                id,
                StreamNack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: Bytes::new(),
                },
            );
            owned = false;
        }
        let Some(nack) = cg.pel.get(&id) else {
            continue;
        };
        if owned && minidle != 0 && now.wrapping_sub(nack.delivery_time) < minidle {
            continue;
        }
        let (nack, made) = claim_nack(
            cg,
            id,
            consumer,
            &mut cons_seen,
            now,
            deliverytime,
            retrycount,
            justid,
            owned,
        );
        created |= made;
        let last = cg.last_id;
        match &entry {
            Some(e) if !justid => add_reply_entry(c, e),
            _ => add_reply_stream_id(c, id),
        }
        n += 1;
        ops.push(xclaim_argv(key, grp, id_arg, &nack, last));
        propagate_last_id = false;
        dirty += 1;
    }
    if propagate_last_id && let Some(cg) = s.lookup_cg_mut(grp) {
        ops.push(setid_argv(key, grp, cg));
        dirty += 1;
    }
    c.set_deferred_array_len(h, n);
    if created {
        consumer_created(srv, key, dbid);
    }
    srv.dirty += dirty;
    propagate_all(srv, dbid, ops);
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count]
/// [JUSTID] → `[next start id (0-0 when the PEL was scanned to its end),
/// [claimed entries or ids], [ids dropped from the PEL because their
/// entry was deleted]]`. Scans the group's PEL from `start` (`(` for
/// exclusive), claiming for `consumer` up to COUNT (default 100) entries
/// idle at least `min-idle-time` ms, visiting at most ten times COUNT
/// entries. Errors: `ERR Invalid min-idle-time argument for XAUTOCLAIM`,
/// invalid ids, `ERR invalid start ID for the interval`,
/// `ERR COUNT must be > 0`, `ERR syntax error`, `NOGROUP No such key '<key>' or consumer
/// group '<group>'`, `ERR Insufficient memory, failed allocating transient
/// memory, COUNT too high.`, WRONGTYPE.
pub fn xautoclaim_command(srv: &mut Server, c: &mut Client) {
    let argv = c.argv.clone();
    let argc = argv.len();
    let dbid = c.db;
    let (key, grp, consumer) = (&argv[1], &argv[2], &argv[3]);
    let Some(minidle) = crate::db::get_long_long_or_reply(
        c,
        &argv[4],
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);
    let Some((mut startid, startex)) = stream_parse_interval_id_or_reply(c, &argv[5], 0) else {
        return;
    };
    if startex && !startid.incr() {
        c.add_reply_error("ERR invalid start ID for the interval");
        return;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argc {
        let moreargs = argc - 1 - j;
        if argv[j].eq_ignore_ascii_case(b"COUNT") && moreargs > 0 {
            let max_count = i64::MAX / 16;
            match string2ll(&argv[j + 1]) {
                Some(v) if (1..=max_count).contains(&v) => count = v,
                _ => {
                    c.add_reply_error("ERR COUNT must be > 0");
                    return;
                }
            }
            j += 1;
        } else if argv[j].eq_ignore_ascii_case(b"JUSTID") {
            justid = true;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        j += 1;
    }
    if lookup_cg_or_reply(srv, c, dbid, key, grp).is_none() {
        return;
    }
    // Redis allocates room for COUNT deleted ids up front and fails the
    // command when that is impossible.
    let mut deleted: Vec<StreamId> = Vec::new();
    if deleted.try_reserve_exact(count as usize).is_err() {
        c.add_reply_error(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        );
        return;
    }
    // XAUTOCLAIM never propagates itself, as XCLAIM.
    c.flags |= CLIENT_PREVENT_PROP;
    let Some(s) = stream_again(srv, dbid, key) else {
        return;
    };
    let now = crate::util::mstime();
    let mut attempts = count.saturating_mul(10);
    let mut ops = Vec::new();
    let mut dirty = 0;
    let mut created = false;
    let mut cons_seen = false;
    let mut claimed: Vec<(StreamId, Option<Entry>)> = Vec::new();
    let mut cursor = Some(startid);
    let mut eof = false;
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(from) = cursor else {
            eof = true;
            break;
        };
        let Some(id) = s
            .lookup_cg_mut(grp)
            .and_then(|cg| cg.pel.range(from..).next().map(|(id, _)| *id))
        else {
            eof = true;
            break;
        };
        let mut next = id;
        cursor = next.incr().then_some(next);
        let entry = get_entry(s, id);
        let Some(cg) = s.lookup_cg_mut(grp) else {
            break;
        };
        let Some(entry) = entry else {
            if let Some(nack) = cg.pel.get(&id) {
                ops.push(xclaim_argv(key, grp, id_bytes(&id), nack, cg.last_id));
            }
            dirty += 1;
            pel_remove(cg, id);
            deleted.push(id);
            count -= 1;
            continue;
        };
        if minidle != 0
            && cg
                .pel
                .get(&id)
                .is_some_and(|nack| now.wrapping_sub(nack.delivery_time) < minidle)
        {
            continue;
        }
        let (nack, made) = claim_nack(
            cg,
            id,
            consumer,
            &mut cons_seen,
            now,
            now,
            None,
            justid,
            true,
        );
        created |= made;
        ops.push(xclaim_argv(key, grp, id_bytes(&id), &nack, cg.last_id));
        dirty += 1;
        claimed.push((id, if justid { None } else { Some(entry) }));
        count -= 1;
    }
    let next = if eof {
        None
    } else {
        cursor.and_then(|from| {
            s.lookup_cg_mut(grp)
                .and_then(|cg| cg.pel.range(from..).next().map(|(id, _)| *id))
        })
    };
    c.add_reply_array_len(3);
    c.add_reply_bulk(&id_bytes(&next.unwrap_or_default()));
    c.add_reply_array_len(claimed.len());
    for (id, e) in &claimed {
        match e {
            Some(e) => add_reply_entry(c, e),
            None => add_reply_stream_id(c, *id),
        }
    }
    c.add_reply_array_len(deleted.len());
    for id in &deleted {
        add_reply_stream_id(c, *id);
    }
    if created {
        consumer_created(srv, key, dbid);
    }
    srv.dirty += dirty;
    propagate_all(srv, dbid, ops);
}

// ---- XINFO ----

const XINFO_HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

/// XINFO STREAM key [FULL [COUNT n]] | GROUPS key | CONSUMERS key group |
/// HELP (Redis `xinfoCommand`). STREAM → a map: length, radix-tree-keys,
/// radix-tree-nodes, last-generated-id, max-deleted-entry-id,
/// entries-added, recorded-first-entry-id, then groups (a count),
/// first-entry and last-entry; with FULL, entries (at most COUNT, default
/// 10, 0 = all) and groups in detail (each with its PEL and consumers,
/// PELs cut at COUNT too). GROUPS → per group name, consumers, pending,
/// last-delivered-id, entries-read, lag. CONSUMERS → per consumer name,
/// pending, idle. Errors: `ERR no such key`, `NOGROUP No such consumer
/// group '<group>' for key name '<key>'`, not an integer, the "unknown
/// subcommand or wrong number of arguments" error, WRONGTYPE.
pub fn xinfo_command(srv: &mut Server, c: &mut Client) {
    let argv = c.argv.clone();
    let argc = argv.len();
    let dbid = c.db;
    if argv[1].eq_ignore_ascii_case(b"HELP") {
        if argc != 2 {
            c.add_reply_subcommand_arity_error();
            return;
        }
        c.add_reply_help("XINFO", XINFO_HELP);
        return;
    } else if argc < 3 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    let opt = &argv[1];
    let key = &argv[2];
    let s = match lookup_stream(srv, dbid, key, LOOKUP_NONE) {
        Lookup::Missing => {
            c.add_reply_error(shared::err_no_such_key());
            return;
        }
        Lookup::WrongType => {
            c.add_reply_error(shared::err_wrong_type());
            return;
        }
        Lookup::Found(s) => s,
    };
    if opt.eq_ignore_ascii_case(b"CONSUMERS") && argc == 4 {
        let Some(cg) = s.lookup_cg_mut(&argv[3]) else {
            return add_reply_no_such_group(c, &argv[3], key);
        };
        let now = crate::util::mstime();
        c.add_reply_array_len(cg.consumers.len());
        for (name, cons) in &cg.consumers {
            c.add_reply_map_len(3);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(name);
            c.add_reply_bulk(b"pending");
            c.add_reply_long_long(cons.pel.len() as i64);
            c.add_reply_bulk(b"idle");
            c.add_reply_long_long(now.wrapping_sub(cons.seen_time).max(0));
        }
    } else if opt.eq_ignore_ascii_case(b"GROUPS") && argc == 3 {
        let Some(groups) = &s.cgroups else {
            c.add_reply_array_len(0);
            return;
        };
        c.add_reply_array_len(groups.len());
        for (name, cg) in groups {
            c.add_reply_map_len(6);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(name);
            c.add_reply_bulk(b"consumers");
            c.add_reply_long_long(cg.consumers.len() as i64);
            c.add_reply_bulk(b"pending");
            c.add_reply_long_long(cg.pel.len() as i64);
            c.add_reply_bulk(b"last-delivered-id");
            add_reply_stream_id(c, cg.last_id);
            c.add_reply_bulk(b"entries-read");
            add_reply_entries_read(c, cg.entries_read);
            c.add_reply_bulk(b"lag");
            add_reply_lag(c, cg_lag(s, cg));
        }
    } else if opt.eq_ignore_ascii_case(b"STREAM") {
        xinfo_reply_with_stream_info(c, s, &argv[3..]);
    } else {
        c.add_reply_subcommand_arity_error();
    }
}

fn add_reply_entries_read(c: &mut Client, entries_read: i64) {
    if entries_read != -1 {
        c.add_reply_long_long(entries_read);
    } else {
        c.add_reply_null();
    }
}

/// XINFO STREAM key [FULL [COUNT n]] (Redis `xinfoReplyWithStreamInfo`).
fn xinfo_reply_with_stream_info(c: &mut Client, s: &Stream, opts: &[Bytes]) {
    let mut full = true;
    let mut count: i64 = 10;
    if opts.is_empty() {
        full = false;
    } else {
        if opts.len() != 1 && opts.len() != 3 {
            c.add_reply_subcommand_arity_error();
            return;
        }
        if !opts[0].eq_ignore_ascii_case(b"full") {
            c.add_reply_subcommand_arity_error();
            return;
        }
        if opts.len() == 3 {
            if !opts[1].eq_ignore_ascii_case(b"count") {
                c.add_reply_subcommand_arity_error();
                return;
            }
            let Some(n) = crate::db::get_long_long_or_reply(c, &opts[2], None) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    c.add_reply_map_len(if full { 9 } else { 10 });
    c.add_reply_bulk(b"length");
    c.add_reply_long_long(s.length as i64);
    c.add_reply_bulk(b"radix-tree-keys");
    c.add_reply_long_long(s.rax.len() as i64);
    c.add_reply_bulk(b"radix-tree-nodes");
    c.add_reply_long_long(rax_node_count(s) as i64);
    c.add_reply_bulk(b"last-generated-id");
    add_reply_stream_id(c, s.last_id);
    c.add_reply_bulk(b"max-deleted-entry-id");
    add_reply_stream_id(c, s.max_deleted_entry_id);
    c.add_reply_bulk(b"entries-added");
    c.add_reply_long_long(s.entries_added as i64);
    c.add_reply_bulk(b"recorded-first-entry-id");
    add_reply_stream_id(c, s.first_id);
    if !full {
        c.add_reply_bulk(b"groups");
        c.add_reply_long_long(s.cgroups.as_ref().map_or(0, |g| g.len()) as i64);
        c.add_reply_bulk(b"first-entry");
        match s.range(StreamId::MIN, StreamId::MAX, false).next() {
            Some(e) => add_reply_stream_entry(c, &e),
            None => c.add_reply_null(),
        }
        c.add_reply_bulk(b"last-entry");
        match s.range(StreamId::MIN, StreamId::MAX, true).next() {
            Some(e) => add_reply_stream_entry(c, &e),
            None => c.add_reply_null(),
        }
        return;
    }
    c.add_reply_bulk(b"entries");
    add_reply_stream_range(c, s, StreamId::default(), StreamId::MAX, count, false);
    c.add_reply_bulk(b"groups");
    let Some(groups) = &s.cgroups else {
        c.add_reply_array_len(0);
        return;
    };
    let cut = |n: usize| if count == 0 { n } else { n.min(count) };
    c.add_reply_array_len(groups.len());
    for (name, cg) in groups {
        c.add_reply_map_len(7);
        c.add_reply_bulk(b"name");
        c.add_reply_bulk(name);
        c.add_reply_bulk(b"last-delivered-id");
        add_reply_stream_id(c, cg.last_id);
        c.add_reply_bulk(b"entries-read");
        add_reply_entries_read(c, cg.entries_read);
        c.add_reply_bulk(b"lag");
        add_reply_lag(c, cg_lag(s, cg));
        c.add_reply_bulk(b"pel-count");
        c.add_reply_long_long(cg.pel.len() as i64);
        c.add_reply_bulk(b"pending");
        c.add_reply_array_len(cut(cg.pel.len()));
        for (id, nack) in cg.pel.iter().take(cut(cg.pel.len())) {
            c.add_reply_array_len(4);
            add_reply_stream_id(c, *id);
            c.add_reply_bulk(&nack.consumer);
            c.add_reply_long_long(nack.delivery_time);
            c.add_reply_long_long(nack.delivery_count as i64);
        }
        c.add_reply_bulk(b"consumers");
        c.add_reply_array_len(cg.consumers.len());
        for (cname, cons) in &cg.consumers {
            c.add_reply_map_len(4);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(cname);
            c.add_reply_bulk(b"seen-time");
            c.add_reply_long_long(cons.seen_time);
            c.add_reply_bulk(b"pel-count");
            c.add_reply_long_long(cons.pel.len() as i64);
            c.add_reply_bulk(b"pending");
            c.add_reply_array_len(cut(cons.pel.len()));
            for id in cons.pel.iter().take(cut(cons.pel.len())) {
                let (time, deliveries) = cg
                    .pel
                    .get(id)
                    .map_or((0, 0), |n| (n.delivery_time, n.delivery_count));
                c.add_reply_array_len(3);
                add_reply_stream_id(c, *id);
                c.add_reply_long_long(time);
                c.add_reply_long_long(deliveries as i64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    #[test]
    fn rax_node_counts() {
        let mut s = Stream::new();
        // An empty rax is its root.
        assert_eq!(rax_node_count(&s), 1);
        s.rax.insert(id(1, 0), crate::listpack::Listpack::new());
        // The root, compressed down to the one leaf.
        assert_eq!(rax_node_count(&s), 2);
        s.rax.insert(id(1, 5), crate::listpack::Listpack::new());
        // Root down to byte 15, a branching node, two leaves.
        assert_eq!(rax_node_count(&s), 4);
        s.rax
            .insert(id(1 << 56, 0), crate::listpack::Listpack::new());
        // Root branching at byte 0: its child for 0x00 is compressed down
        // to the branch at byte 15 (2 leaves); its child for 0x01 is
        // compressed down to a leaf.
        assert_eq!(rax_node_count(&s), 1 + (1 + 1 + 2) + 2);
    }

    #[test]
    fn lag_follows_the_read_counter() {
        let mut s = Stream::new();
        s.length = 3;
        s.last_id = id(3, 0);
        s.first_id = id(1, 0);
        s.entries_added = 3;
        let cg = StreamCG {
            last_id: id(1, 0),
            entries_read: 1,
            ..Default::default()
        };
        assert_eq!(cg_lag(&s, &cg), Some(2));
        // A tombstone ahead of the group: the counter is estimated, here
        // impossible.
        s.max_deleted_entry_id = id(2, 0);
        assert_eq!(cg_lag(&s, &cg), None);
        // A group at the end knows its lag whatever lies before.
        let done = StreamCG {
            last_id: id(3, 0),
            entries_read: SCG_INVALID_ENTRIES_READ,
            ..Default::default()
        };
        assert_eq!(cg_lag(&s, &done), Some(0));
        s.entries_added = 0;
        assert_eq!(cg_lag(&s, &cg), Some(0));
    }
}
