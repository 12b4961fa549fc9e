//! Pub/Sub (Redis `pubsub.c`): channel, pattern and shard-channel
//! subscriptions, PUBLISH fan-out, and the PUBSUB introspection command.
//!
//! # State
//! The server keeps three maps from a name to the subscribers (client slot
//! and id)
//! ([`PubsubState`]): channels, patterns and shard channels, each list in
//! subscription order. Every client keeps the reverse view
//! ([`ClientPubsub`]): its channels and shard channels as sets, its patterns
//! as a list in subscription order (Redis keeps them in a list too, so
//! PUNSUBSCRIBE without arguments answers in that order). A name whose
//! last subscriber leaves is removed from the server map, so PUBSUB
//! CHANNELS and INFO `pubsub_channels` only count live ones.
//!
//! # Fan-out
//! PUBLISH builds the `message` frame once per protocol (RESP2 `*3`, RESP3
//! `>3`), lazily, and appends those bytes to each subscriber's reply buffer;
//! `pmessage` frames are built once per matching pattern. Appending goes
//! past CLIENT REPLY OFF / SKIP, as Redis's `CLIENT_PUSHING` does, but not
//! to a client already queued for closing. After each append the
//! subscriber's output buffer is checked against `client-output-buffer-limit`
//! ([`crate::networking::close_client_on_output_buffer_limit_reached`]).
//!
//! # The current client
//! The client whose command runs is out of the server's client table. A
//! PUBLISH hands it in explicitly, so a RESP3 client subscribed to its own
//! channel gets its message before the PUBLISH reply, as in Redis. A
//! keyspace notification cannot (the notify hook has no client): its frames
//! for a client not in the table wait in [`PubsubState`] until the command
//! ends ([`flush_pending_pushes`], called by `server::call`) or the client
//! is put back. So a RESP3 client subscribed to events of its own writes
//! receives them right after the command's reply, where Redis 7.0 may put
//! some of them before it.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use crate::commands::Handler;
use crate::networking::{
    CLIENT_CLOSE_AFTER_REPLY, CLIENT_CLOSE_ASAP, CLIENT_DENY_BLOCKING, CLIENT_MULTI, CLIENT_PUBSUB,
    Client,
};
use crate::resp;
use crate::server::Server;

/// A client's subscriptions (Redis `c->pubsub_channels`,
/// `c->pubsub_patterns`, `c->pubsubshard_channels`).
#[derive(Default)]
pub struct ClientPubsub {
    /// Channels subscribed with SUBSCRIBE.
    pub channels: HashSet<Bytes>,
    /// Patterns subscribed with PSUBSCRIBE, in subscription order.
    pub patterns: Vec<Bytes>,
    /// Shard channels subscribed with SSUBSCRIBE.
    pub shard_channels: HashSet<Bytes>,
}

impl ClientPubsub {
    /// Channels plus patterns (Redis `clientSubscriptionsCount`): the count
    /// in SUBSCRIBE / PSUBSCRIBE replies.
    pub fn subscriptions_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// Every subscription, shard channels included (Redis
    /// `clientTotalPubSubSubscriptionCount`): the client leaves Pub/Sub
    /// mode when this reaches 0.
    pub fn total_count(&self) -> usize {
        self.subscriptions_count() + self.shard_channels.len()
    }
}

/// The server's subscription tables (Redis `server.pubsub_channels`,
/// `server.pubsub_patterns`, `server.pubsubshard_channels`): name →
/// subscribers in subscription order, each as its client slot (where it
/// lives in the client table) and client id (which tells it from another
/// client using that slot, such as a script's fake client).
#[derive(Default)]
pub struct PubsubState {
    pub channels: HashMap<Bytes, Vec<Subscriber>>,
    pub patterns: HashMap<Bytes, Vec<Subscriber>>,
    pub shard_channels: HashMap<Bytes, Vec<Subscriber>>,
    /// Frames for subscribers that were out of the client table when a
    /// message was published (the client running a command): client id,
    /// then the frame in RESP2 and in RESP3.
    pending: Vec<(u64, Vec<u8>, Vec<u8>)>,
}

/// One subscription holder: client slot and client id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Subscriber {
    pub slot: usize,
    pub id: u64,
}

impl Subscriber {
    fn of(c: &Client) -> Subscriber {
        Subscriber {
            slot: c.slot,
            id: c.id,
        }
    }
}

/// The two kinds of channel (Redis `pubsubtype`): global or shard.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Global,
    Shard,
}

impl Kind {
    fn subscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Global => b"subscribe",
            Kind::Shard => b"ssubscribe",
        }
    }
    fn unsubscribe_msg(self) -> &'static [u8] {
        match self {
            Kind::Global => b"unsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
    fn message_msg(self) -> &'static [u8] {
        match self {
            Kind::Global => b"message",
            Kind::Shard => b"smessage",
        }
    }
    fn client_set(self, c: &mut Client) -> &mut HashSet<Bytes> {
        match self {
            Kind::Global => &mut c.pubsub.channels,
            Kind::Shard => &mut c.pubsub.shard_channels,
        }
    }
    fn server_map(self, srv: &mut Server) -> &mut HashMap<Bytes, Vec<Subscriber>> {
        match self {
            Kind::Global => &mut srv.pubsub.channels,
            Kind::Shard => &mut srv.pubsub.shard_channels,
        }
    }
    /// The count a (un)subscribe confirmation carries.
    fn count(self, c: &Client) -> usize {
        match self {
            Kind::Global => c.pubsub.subscriptions_count(),
            Kind::Shard => c.pubsub.shard_channels.len(),
        }
    }
}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("subscribe", subscribe_command),
    ("unsubscribe", unsubscribe_command),
    ("psubscribe", psubscribe_command),
    ("punsubscribe", punsubscribe_command),
    ("publish", publish_command),
    ("ssubscribe", ssubscribe_command),
    ("sunsubscribe", sunsubscribe_command),
    ("spublish", spublish_command),
    ("pubsub|channels", pubsub_command),
    ("pubsub|numsub", pubsub_command),
    ("pubsub|numpat", pubsub_command),
    ("pubsub|shardchannels", pubsub_command),
    ("pubsub|shardnumsub", pubsub_command),
    ("pubsub|help", pubsub_command),
];

// ---- Frames ----

/// Starts a 3- or 4-element Pub/Sub frame: `*n` in RESP2, push `>n` in RESP3.
fn frame_header(out: &mut Vec<u8>, resp3: bool, n: i64) {
    resp::write_len(out, if resp3 { b'>' } else { b'*' }, n);
}

/// `[kind, name, count]`, the (un)subscribe confirmation; `name` None is
/// a null (the "subscribed to nothing" UNSUBSCRIBE reply).
fn confirmation_frame(resp3: bool, kind: &[u8], name: Option<&[u8]>, count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + name.map_or(0, |n| n.len()));
    frame_header(&mut out, resp3, 3);
    resp::write_bulk(&mut out, kind);
    match name {
        Some(n) => resp::write_bulk(&mut out, n),
        None if resp3 => out.extend_from_slice(b"_\r\n"),
        None => out.extend_from_slice(b"$-1\r\n"),
    }
    out.push(b':');
    out.extend_from_slice(itoa::Buffer::new().format(count).as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// `[message|smessage, channel, msg]`.
fn message_frame(resp3: bool, kind: &[u8], channel: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + channel.len() + msg.len());
    frame_header(&mut out, resp3, 3);
    resp::write_bulk(&mut out, kind);
    resp::write_bulk(&mut out, channel);
    resp::write_bulk(&mut out, msg);
    out
}

/// `[pmessage, pattern, channel, msg]`.
fn pmessage_frame(resp3: bool, pattern: &[u8], channel: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + pattern.len() + channel.len() + msg.len());
    frame_header(&mut out, resp3, 4);
    resp::write_bulk(&mut out, b"pmessage");
    resp::write_bulk(&mut out, pattern);
    resp::write_bulk(&mut out, channel);
    resp::write_bulk(&mut out, msg);
    out
}

/// Writes one Pub/Sub `message` to `c` (Redis `addReplyPubsubMessage`):
/// a 3-element array `message`, `channel`, `msg` in RESP2, a push frame of
/// the same three in RESP3. Like every Pub/Sub frame it goes past CLIENT
/// REPLY OFF.
pub fn add_reply_pubsub_message(c: &mut Client, channel: &[u8], msg: &[u8]) {
    let f = message_frame(c.resp >= 3, b"message", channel, msg);
    c.add_reply_pushing(&f);
}

fn add_reply_confirmation(c: &mut Client, kind: &[u8], name: Option<&[u8]>, count: usize) {
    let f = confirmation_frame(c.resp >= 3, kind, name, count);
    c.add_reply_pushing(&f);
}

// ---- Subscribe / unsubscribe ----

/// Subscribes `c` to a channel (Redis `pubsubSubscribeChannel`) and
/// confirms it; returns true if it was new.
fn subscribe_channel(srv: &mut Server, c: &mut Client, channel: &Bytes, kind: Kind) -> bool {
    let added = kind.client_set(c).insert(channel.clone());
    if added {
        kind.server_map(srv)
            .entry(channel.clone())
            .or_default()
            .push(Subscriber::of(c));
    }
    let n = kind.count(c);
    add_reply_confirmation(c, kind.subscribe_msg(), Some(channel), n);
    added
}

/// Removes `sub` from a subscriber list in `map`, dropping the entry when
/// it empties.
fn remove_subscriber(map: &mut HashMap<Bytes, Vec<Subscriber>>, name: &[u8], sub: Subscriber) {
    if let Some(list) = map.get_mut(name) {
        if let Some(pos) = list.iter().position(|&s| s == sub) {
            list.remove(pos);
        }
        if list.is_empty() {
            map.remove(name);
        }
    }
}

/// Unsubscribes `c` from a channel (Redis `pubsubUnsubscribeChannel`),
/// confirming it when `notify`; returns true if it was subscribed.
fn unsubscribe_channel(
    srv: &mut Server,
    c: &mut Client,
    channel: &[u8],
    notify: bool,
    kind: Kind,
) -> bool {
    let removed = kind.client_set(c).remove(channel);
    if removed {
        remove_subscriber(kind.server_map(srv), channel, Subscriber::of(c));
    }
    if notify {
        let n = kind.count(c);
        add_reply_confirmation(c, kind.unsubscribe_msg(), Some(channel), n);
    }
    removed
}

/// Unsubscribes `c` from every channel of a kind (Redis
/// `pubsubUnsubscribeAllChannelsInternal`); with `notify` and nothing to
/// leave, one confirmation with a null channel is still sent.
fn unsubscribe_all_channels(srv: &mut Server, c: &mut Client, notify: bool, kind: Kind) -> usize {
    let names: Vec<Bytes> = kind.client_set(c).iter().cloned().collect();
    let mut count = 0;
    for ch in &names {
        if unsubscribe_channel(srv, c, ch, notify, kind) {
            count += 1;
        }
    }
    if notify && count == 0 {
        let n = kind.count(c);
        add_reply_confirmation(c, kind.unsubscribe_msg(), None, n);
    }
    count
}

/// Subscribes `c` to a pattern (Redis `pubsubSubscribePattern`).
fn subscribe_pattern(srv: &mut Server, c: &mut Client, pattern: &Bytes) -> bool {
    let added = !c.pubsub.patterns.contains(pattern);
    if added {
        c.pubsub.patterns.push(pattern.clone());
        srv.pubsub
            .patterns
            .entry(pattern.clone())
            .or_default()
            .push(Subscriber::of(c));
    }
    let n = c.pubsub.subscriptions_count();
    add_reply_confirmation(c, b"psubscribe", Some(pattern), n);
    added
}

/// Unsubscribes `c` from a pattern (Redis `pubsubUnsubscribePattern`).
fn unsubscribe_pattern(srv: &mut Server, c: &mut Client, pattern: &[u8], notify: bool) -> bool {
    let pos = c.pubsub.patterns.iter().position(|p| p == pattern);
    if let Some(pos) = pos {
        c.pubsub.patterns.remove(pos);
        remove_subscriber(&mut srv.pubsub.patterns, pattern, Subscriber::of(c));
    }
    if notify {
        let n = c.pubsub.subscriptions_count();
        add_reply_confirmation(c, b"punsubscribe", Some(pattern), n);
    }
    pos.is_some()
}

/// Unsubscribes `c` from every pattern (Redis `pubsubUnsubscribeAllPatterns`).
fn unsubscribe_all_patterns(srv: &mut Server, c: &mut Client, notify: bool) -> usize {
    let pats = c.pubsub.patterns.clone();
    let mut count = 0;
    for p in &pats {
        if unsubscribe_pattern(srv, c, p, notify) {
            count += 1;
        }
    }
    if notify && count == 0 {
        let n = c.pubsub.subscriptions_count();
        add_reply_confirmation(c, b"punsubscribe", None, n);
    }
    count
}

/// Drops every subscription of `c` without replying (Redis
/// `freeClient` / `clearClientConnectionState`): called when a client is
/// freed and by RESET. Clears `CLIENT_PUBSUB`.
pub fn free_client_pubsub_state(srv: &mut Server, c: &mut Client) {
    if c.pubsub.total_count() > 0 {
        unsubscribe_all_channels(srv, c, false, Kind::Global);
        unsubscribe_all_channels(srv, c, false, Kind::Shard);
        unsubscribe_all_patterns(srv, c, false);
    }
    srv.pubsub.pending.retain(|(id, _, _)| *id != c.id);
    c.flags &= !CLIENT_PUBSUB;
}

fn leave_pubsub_mode_if_done(c: &mut Client) {
    if c.pubsub.total_count() == 0 {
        c.flags &= !CLIENT_PUBSUB;
    }
}

/// SUBSCRIBE channel [channel ...] → one `[subscribe, channel, count]`
/// frame per channel (a push in RESP3). Error for a client that may not
/// block outside MULTI (scripts): "ERR SUBSCRIBE isn't allowed for a DENY
/// BLOCKING client".
pub fn subscribe_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_DENY_BLOCKING != 0 && c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    let argv = std::mem::take(&mut c.argv);
    for ch in &argv[1..] {
        subscribe_channel(srv, c, ch, Kind::Global);
    }
    c.argv = argv;
    c.flags |= CLIENT_PUBSUB;
}

/// UNSUBSCRIBE [channel ...] → one `[unsubscribe, channel, count]` frame
/// per channel; without arguments one per subscribed channel, or a single
/// one with a null channel when there were none.
pub fn unsubscribe_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        unsubscribe_all_channels(srv, c, true, Kind::Global);
    } else {
        let argv = std::mem::take(&mut c.argv);
        for ch in &argv[1..] {
            unsubscribe_channel(srv, c, ch, true, Kind::Global);
        }
        c.argv = argv;
    }
    leave_pubsub_mode_if_done(c);
}

/// PSUBSCRIBE pattern [pattern ...] → one `[psubscribe, pattern, count]`
/// frame per pattern. Error as SUBSCRIBE ("ERR PSUBSCRIBE isn't allowed
/// for a DENY BLOCKING client").
pub fn psubscribe_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_DENY_BLOCKING != 0 && c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    let argv = std::mem::take(&mut c.argv);
    for p in &argv[1..] {
        subscribe_pattern(srv, c, p);
    }
    c.argv = argv;
    c.flags |= CLIENT_PUBSUB;
}

/// PUNSUBSCRIBE [pattern ...] → one `[punsubscribe, pattern, count]` frame
/// per pattern; without arguments as UNSUBSCRIBE.
pub fn punsubscribe_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        unsubscribe_all_patterns(srv, c, true);
    } else {
        let argv = std::mem::take(&mut c.argv);
        for p in &argv[1..] {
            unsubscribe_pattern(srv, c, p, true);
        }
        c.argv = argv;
    }
    leave_pubsub_mode_if_done(c);
}

/// SSUBSCRIBE shardchannel [shardchannel ...] → one `[ssubscribe, channel,
/// count]` frame per channel, the count being shard channels only. Refused
/// for any client that may not block, inside MULTI too: "ERR SSUBSCRIBE
/// isn't allowed for a DENY BLOCKING client".
pub fn ssubscribe_command(srv: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_DENY_BLOCKING != 0 {
        c.add_reply_error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    let argv = std::mem::take(&mut c.argv);
    for ch in &argv[1..] {
        subscribe_channel(srv, c, ch, Kind::Shard);
    }
    c.argv = argv;
    c.flags |= CLIENT_PUBSUB;
}

/// SUNSUBSCRIBE [shardchannel ...] → `[sunsubscribe, channel, count]`
/// frames, as UNSUBSCRIBE.
pub fn sunsubscribe_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        unsubscribe_all_channels(srv, c, true, Kind::Shard);
    } else {
        let argv = std::mem::take(&mut c.argv);
        for ch in &argv[1..] {
            unsubscribe_channel(srv, c, ch, true, Kind::Shard);
        }
        c.argv = argv;
    }
    leave_pubsub_mode_if_done(c);
}

// ---- Publish ----

/// A client closing after its last reply (QUIT) or queued for closing gets
/// no more messages; it still counts as a receiver, as in Redis.
const NO_MORE_OUTPUT: u64 = CLIENT_CLOSE_ASAP | CLIENT_CLOSE_AFTER_REPLY;

/// The per-protocol copies of one frame, each built on first use.
struct SharedFrame<F: Fn(bool) -> Vec<u8>> {
    build: F,
    resp2: Option<Vec<u8>>,
    resp3: Option<Vec<u8>>,
}

impl<F: Fn(bool) -> Vec<u8>> SharedFrame<F> {
    fn new(build: F) -> Self {
        SharedFrame {
            build,
            resp2: None,
            resp3: None,
        }
    }
    fn get(&mut self, resp3: bool) -> &[u8] {
        let slot = if resp3 {
            &mut self.resp3
        } else {
            &mut self.resp2
        };
        slot.get_or_insert_with(|| (self.build)(resp3))
    }
}

/// Appends a frame to subscriber `sub`: the current client when it is that
/// client, else the client in the table, else (a client out of the
/// table running a command, whose protocol is not known here) both
/// protocols' frames wait on the pending list. Then checks the client's
/// output buffer limit.
fn deliver<F: Fn(bool) -> Vec<u8>>(
    srv: &mut Server,
    cur: &mut Option<&mut Client>,
    sub: Subscriber,
    frame: &mut SharedFrame<F>,
) {
    if let Some(c) = cur.as_deref_mut()
        && c.id == sub.id
    {
        if c.flags & NO_MORE_OUTPUT == 0 {
            c.add_reply_pushing(frame.get(c.resp >= 3));
            crate::networking::close_client_on_output_buffer_limit_reached(srv, c, true);
        }
        return;
    }
    let mut c = match srv.take_client(sub.slot) {
        Some(c) if c.id == sub.id => c,
        other => {
            // Out of the table: its command is running. (A different
            // client in the slot, such as a script's fake client, goes
            // back untouched.)
            if let Some(o) = other {
                srv.put_client(o);
            }
            let r2 = frame.get(false).to_vec();
            let r3 = frame.get(true).to_vec();
            srv.pubsub.pending.push((sub.id, r2, r3));
            return;
        }
    };
    if c.flags & NO_MORE_OUTPUT == 0 {
        c.add_reply_pushing(frame.get(c.resp >= 3));
        srv.mark_pending_write(&mut c);
        crate::networking::close_client_on_output_buffer_limit_reached(srv, &mut c, true);
    }
    srv.put_client(c);
}

/// Sends `msg` to the subscribers of `channel` and, for global channels, of
/// every matching pattern (Redis `pubsubPublishMessage`); returns how many
/// received it. `cur` is the client running the command, which is out of
/// the client table.
///
/// # Latency
/// O(N + M): N subscribers of the channel, M patterns (each matched with
/// the glob). Each protocol's frame is encoded once and copied to each
/// subscriber.
pub fn pubsub_publish_message(
    srv: &mut Server,
    mut cur: Option<&mut Client>,
    channel: &[u8],
    msg: &[u8],
    sharded: bool,
) -> usize {
    let kind = if sharded { Kind::Shard } else { Kind::Global };
    let mut receivers = 0;
    let map = std::mem::take(kind.server_map(srv));
    if let Some(subs) = map.get(channel) {
        let mut frame =
            SharedFrame::new(|resp3| message_frame(resp3, kind.message_msg(), channel, msg));
        for &sub in subs {
            deliver(srv, &mut cur, sub, &mut frame);
            receivers += 1;
        }
    }
    *kind.server_map(srv) = map;
    if sharded || srv.pubsub.patterns.is_empty() {
        return receivers;
    }
    let pats = std::mem::take(&mut srv.pubsub.patterns);
    for (pattern, subs) in &pats {
        if !crate::util::string_match(pattern, channel, false) {
            continue;
        }
        let mut frame = SharedFrame::new(|resp3| pmessage_frame(resp3, pattern, channel, msg));
        for &sub in subs {
            deliver(srv, &mut cur, sub, &mut frame);
            receivers += 1;
        }
    }
    srv.pubsub.patterns = pats;
    receivers
}

/// Queues a frame (`resp2` / `resp3` forms) for client `id`, which is out
/// of the client table: it is appended to its replies when the client is
/// put back (MONITOR lines for a script's caller use this too).
pub fn queue_pending_push(srv: &mut Server, id: u64, resp2: Vec<u8>, resp3: Vec<u8>) {
    srv.pubsub.pending.push((id, resp2, resp3));
}

/// Appends the frames published meanwhile for `c` (out of the client table
/// while its command ran) to its replies. Called at the end of every call
/// and when a client is put back in the table.
pub fn flush_pending_pushes(srv: &mut Server, c: &mut Client) {
    if srv.pubsub.pending.is_empty() {
        return;
    }
    let mut i = 0;
    let mut any = false;
    while i < srv.pubsub.pending.len() {
        if srv.pubsub.pending[i].0 == c.id {
            let (_, r2, r3) = srv.pubsub.pending.remove(i);
            if c.flags & NO_MORE_OUTPUT == 0 {
                c.add_reply_pushing(if c.resp >= 3 { &r3 } else { &r2 });
                any = true;
            }
        } else {
            i += 1;
        }
    }
    if any {
        srv.mark_pending_write(c);
        crate::networking::close_client_on_output_buffer_limit_reached(srv, c, true);
    }
}

/// PUBLISH channel message → integer: the number of clients that received
/// it (channel subscribers plus one per matching pattern subscription).
/// Propagated to replicas.
pub fn publish_command(srv: &mut Server, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    let n = pubsub_publish_message(srv, Some(c), &argv[1], &argv[2], false);
    c.argv = argv;
    c.flags |= crate::networking::CLIENT_FORCE_REPL;
    c.add_reply_long_long(n as i64);
}

/// SPUBLISH shardchannel message → integer: the number of shard channel
/// subscribers that received it (patterns never match shard channels).
pub fn spublish_command(srv: &mut Server, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    let n = pubsub_publish_message(srv, Some(c), &argv[1], &argv[2], true);
    c.argv = argv;
    c.flags |= crate::networking::CLIENT_FORCE_REPL;
    c.add_reply_long_long(n as i64);
}

// ---- PUBSUB ----

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// The names in `map` matching `pat` (all without one), as an array
/// (Redis `channelList`).
fn channel_list(c: &mut Client, pat: Option<&[u8]>, map: &HashMap<Bytes, Vec<Subscriber>>) {
    let names: Vec<&Bytes> = map
        .keys()
        .filter(|ch| pat.is_none_or(|p| crate::util::string_match(p, ch, false)))
        .collect();
    c.add_reply_array_len(names.len());
    for n in names {
        c.add_reply_bulk(n);
    }
}

/// PUBSUB CHANNELS [pattern] → array of active channels; PUBSUB NUMSUB
/// [channel ...] → flat array of channel, count; PUBSUB NUMPAT → integer
/// (distinct patterns); PUBSUB SHARDCHANNELS / SHARDNUMSUB the same for
/// shard channels; PUBSUB HELP. A known subcommand with the wrong number
/// of arguments → "ERR unknown subcommand or wrong number of arguments for
/// '<sub>'. Try PUBSUB HELP."
pub fn pubsub_command(srv: &mut Server, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    let sub = argv[1].to_ascii_lowercase();
    let argc = argv.len();
    match sub.as_slice() {
        b"help" if argc == 2 => c.add_reply_help("pubsub", PUBSUB_HELP),
        b"channels" if argc == 2 || argc == 3 => {
            channel_list(c, argv.get(2).map(|p| &p[..]), &srv.pubsub.channels)
        }
        b"shardchannels" if argc == 2 || argc == 3 => {
            channel_list(c, argv.get(2).map(|p| &p[..]), &srv.pubsub.shard_channels)
        }
        b"numsub" | b"shardnumsub" => {
            let map = if sub == b"numsub" {
                &srv.pubsub.channels
            } else {
                &srv.pubsub.shard_channels
            };
            c.add_reply_array_len((argc - 2) * 2);
            for ch in &argv[2..] {
                c.add_reply_bulk(ch);
                c.add_reply_long_long(map.get(ch).map_or(0, |l| l.len()) as i64);
            }
        }
        b"numpat" if argc == 2 => c.add_reply_long_long(srv.pubsub.patterns.len() as i64),
        _ => {
            c.argv = argv;
            c.add_reply_subcommand_arity_error();
            return;
        }
    }
    c.argv = argv;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_in_both_protocols() {
        assert_eq!(
            confirmation_frame(false, b"subscribe", Some(b"ch"), 2),
            b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:2\r\n".to_vec()
        );
        assert_eq!(
            confirmation_frame(false, b"unsubscribe", None, 0),
            b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n".to_vec()
        );
        assert_eq!(
            confirmation_frame(true, b"punsubscribe", None, 0),
            b">3\r\n$12\r\npunsubscribe\r\n_\r\n:0\r\n".to_vec()
        );
        assert_eq!(
            message_frame(true, b"smessage", b"c", b""),
            b">3\r\n$8\r\nsmessage\r\n$1\r\nc\r\n$0\r\n\r\n".to_vec()
        );
        assert_eq!(
            pmessage_frame(false, b"c*", b"c1", b"m"),
            b"*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc1\r\n$1\r\nm\r\n".to_vec()
        );
    }

    #[test]
    fn pushes_pass_client_reply_off() {
        let mut c = Client::new(1, 0, None, String::new(), String::new(), 0);
        c.flags |= crate::networking::CLIENT_REPLY_OFF;
        c.add_reply_ok();
        add_reply_pubsub_message(&mut c, b"ch", b"m");
        let out: Vec<u8> = c.reply.iter().flatten().copied().collect();
        assert_eq!(
            out,
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n".to_vec()
        );
        assert_eq!(c.reply_bytes, out.len());
    }
}
