//! The stream type (Redis `t_stream.c`, `stream.h`): entries in listpack
//! nodes keyed by their master id, consumer groups with their pending
//! entries lists.
//!
//! Issue 9 fills this module: the node format, appending, iterating,
//! deleting and trimming. The shapes below are what the stream commands
//! (`t_stream.rs`, `t_stream_cg.rs`), RDB and DUMP/RESTORE share.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use crate::listpack::Listpack;

/// A stream entry id, `<ms>-<seq>` (Redis `streamID`). Ordered by `ms`, then
/// `seq`, as the 128-bit big-endian key Redis stores in its radix trees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// Unix time in milliseconds (or any number the user gave).
    pub ms: u64,
    /// Sequence number within `ms`.
    pub seq: u64,
}

/// A stream (Redis `stream`).
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// Listpack nodes keyed by their master entry id (Redis `s->rax`).
    pub rax: BTreeMap<StreamId, Listpack>,
    /// Number of entries (deleted ones not counted).
    pub length: u64,
    /// Id of the last entry ever added (Redis `last_id`).
    pub last_id: StreamId,
    /// Id of the first entry not deleted, `0-0` when empty.
    pub first_id: StreamId,
    /// Greatest id ever deleted (XDEL, trimming), `0-0` if none.
    pub max_deleted_entry_id: StreamId,
    /// Count of entries ever added (Redis `entries_added`).
    pub entries_added: u64,
    /// Consumer groups by name, `None` until the first is created (Redis
    /// `s->cgroups`, created lazily).
    pub cgroups: Option<BTreeMap<Bytes, StreamCG>>,
}

/// A consumer group (Redis `streamCG`).
#[derive(Clone, Debug, Default)]
pub struct StreamCG {
    /// Last id delivered to the group's consumers.
    pub last_id: StreamId,
    /// Entries read by the group (Redis `entries_read`; -1 when unknown).
    pub entries_read: i64,
    /// Pending entries of all consumers, by id.
    pub pel: BTreeMap<StreamId, StreamNack>,
    /// Consumers by name.
    pub consumers: BTreeMap<Bytes, StreamConsumer>,
}

/// A consumer of a group (Redis `streamConsumer`).
#[derive(Clone, Debug, Default)]
pub struct StreamConsumer {
    /// Last time the consumer was active, unix ms.
    pub seen_time: i64,
    /// Consumer name.
    pub name: Bytes,
    /// Ids of its pending entries; each has its [`StreamNack`] in the
    /// group's `pel`.
    pub pel: BTreeSet<StreamId>,
}

/// A pending (delivered, not acknowledged) entry (Redis `streamNACK`).
#[derive(Clone, Debug, Default)]
pub struct StreamNack {
    /// Last delivery time, unix ms.
    pub delivery_time: i64,
    /// Times delivered.
    pub delivery_count: u64,
    /// Name of the consumer that owns it (a key of the group's `consumers`).
    pub consumer: Bytes,
}
