//! RDB records of streams (Redis `rdbSaveObject` / `rdbLoadObject` for
//! `OBJ_STREAM`).
//!
//! # What is written: type 19 (`RDB_TYPE_STREAM_LISTPACKS_2`, Redis 7.0)
//! ```text
//! node count
//!   per node: master id (16-byte big-endian string), listpack (string)
//! length, last_id.ms, last_id.seq, first_id.ms, first_id.seq,
//! max_deleted_entry_id.ms, max_deleted_entry_id.seq, entries_added
//! group count
//!   per group: name, last_id.ms, last_id.seq, entries_read,
//!     PEL size, per entry: raw 16-byte id, delivery time (8 bytes LE ms),
//!       delivery count
//!     consumer count, per consumer: name, seen time (8 bytes LE ms),
//!       PEL size, per entry: raw 16-byte id
//! ```
//! Every number above is an RDB length; `entries_read` of -1 is written as
//! the 64-bit length 2^64-1, as Redis's cast does.
//!
//! # What is loaded
//! - 15 (`STREAM_LISTPACKS`, Redis 5 and 6): no first id, deleted-id or
//!   entries-added fields, and groups without `entries_read`: as Redis,
//!   `entries_added` becomes the length, the first id is found by walking,
//!   and each group's `entries_read` is estimated.
//! - 19: as written.
//! - 21 (`STREAM_LISTPACKS_3`, Redis 7.2): 19 plus each consumer's active
//!   time after its seen time (read and dropped: 7.0 has no such field).
//!
//! # Trust
//! Every node is validated in depth ([`validate_listpack_integrity`]),
//! whatever `sanitize-dump-payload` says: a node must be a valid listpack
//! holding a well-formed master entry and entries. Node keys must be 16
//! bytes and unique, a non-empty stream must have nodes, group and consumer
//! names unique, every consumer PEL id must be in its group's PEL, and every
//! group PEL entry must end up owned by a consumer. Errors carry Redis's
//! messages.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};

use bytes::Bytes;

use super::*;
use crate::listpack::Listpack;
use crate::stream::{
    Stream, StreamCG, StreamConsumer, StreamId, StreamNack, validate_listpack_integrity,
};

/// Streams saved by Redis 5 and 6.
pub const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;
/// Streams as Redis 7.0 saves them (with first id, deleted id, entries
/// added and group read counters).
pub const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Streams as Redis 7.2 saves them (consumers also have an active time).
pub const RDB_TYPE_STREAM_LISTPACKS_3: u8 = 21;

impl<W: Write> RdbWriter<'_, W> {
    /// A stream as type 19 (see the module docs).
    pub(super) fn save_stream(&mut self, s: &Stream, compress: bool) -> io::Result<()> {
        self.save_len(s.rax.len() as u64)?;
        for (master, lp) in &s.rax {
            self.save_raw_string(&master.encode(), compress)?;
            self.save_raw_string(lp.as_bytes(), compress)?;
        }
        self.save_len(s.length)?;
        self.save_len(s.last_id.ms)?;
        self.save_len(s.last_id.seq)?;
        self.save_len(s.first_id.ms)?;
        self.save_len(s.first_id.seq)?;
        self.save_len(s.max_deleted_entry_id.ms)?;
        self.save_len(s.max_deleted_entry_id.seq)?;
        self.save_len(s.entries_added)?;
        let Some(groups) = s.cgroups.as_ref() else {
            return self.save_len(0);
        };
        self.save_len(groups.len() as u64)?;
        for (name, cg) in groups {
            self.save_raw_string(name, compress)?;
            self.save_len(cg.last_id.ms)?;
            self.save_len(cg.last_id.seq)?;
            self.save_len(cg.entries_read as u64)?;
            self.save_len(cg.pel.len() as u64)?;
            for (id, nack) in &cg.pel {
                self.write(&id.encode())?;
                self.save_millisecond_time(nack.delivery_time)?;
                self.save_len(nack.delivery_count)?;
            }
            self.save_len(cg.consumers.len() as u64)?;
            for (cname, consumer) in &cg.consumers {
                self.save_raw_string(cname, compress)?;
                self.save_millisecond_time(consumer.seen_time)?;
                self.save_len(consumer.pel.len() as u64)?;
                for id in &consumer.pel {
                    self.write(&id.encode())?;
                }
            }
        }
        Ok(())
    }
}

impl<R: Read> RdbReader<R> {
    /// A 16-byte raw id of a PEL.
    fn load_raw_stream_id(&mut self) -> Result<StreamId, RdbLoadError> {
        let mut b = [0u8; 16];
        self.read(&mut b)?;
        Ok(StreamId::decode(&b).unwrap_or_default())
    }

    /// An 8-byte little-endian unix-ms time (Redis `rdbLoadMillisecondTime`).
    fn load_millisecond_time(&mut self) -> Result<i64, RdbLoadError> {
        let mut b = [0u8; 8];
        self.read(&mut b)?;
        Ok(i64::from_le_bytes(b))
    }

    /// A stream of type 15, 19 or 21 (see the module docs). Never `None`:
    /// an empty stream is a valid value.
    pub(super) fn load_stream(&mut self, t: u8) -> Result<Option<Value>, RdbLoadError> {
        let mut s = Stream::new();
        let nodes = self.load_plain_len()?;
        let mut live_total: u64 = 0;
        for _ in 0..nodes {
            let key = self.load_string_bytes()?;
            let Some(master) = StreamId::decode(&key) else {
                return Err(self.corrupt("Stream node key entry is not the size of a stream ID"));
            };
            let blob = self.load_string_bytes()?;
            self.sanitized += 1;
            let lp = Listpack::from_bytes(blob);
            let Some((live, _, _)) = validate_listpack_integrity(&lp, master) else {
                return Err(self.corrupt("Stream listpack integrity check failed."));
            };
            if lp.first().is_none() {
                return Err(self.corrupt("Empty listpack inside stream"));
            }
            if s.rax.contains_key(&master) {
                return Err(self.corrupt("Listpack re-added with existing key"));
            }
            live_total += live as u64;
            s.rax.insert(master, lp);
        }
        s.length = self.load_plain_len()?;
        s.last_id.ms = self.load_plain_len()?;
        s.last_id.seq = self.load_plain_len()?;
        if t == RDB_TYPE_STREAM_LISTPACKS {
            s.max_deleted_entry_id = StreamId::MIN;
            s.entries_added = s.length;
            s.first_id = s.edge_id(true, true);
        } else {
            s.first_id.ms = self.load_plain_len()?;
            s.first_id.seq = self.load_plain_len()?;
            s.max_deleted_entry_id.ms = self.load_plain_len()?;
            s.max_deleted_entry_id.seq = self.load_plain_len()?;
            s.entries_added = self.load_plain_len()?;
        }
        if s.length != 0 && s.rax.is_empty() {
            return Err(self.corrupt("Stream length inconsistent with rax entries"));
        }
        if s.length != live_total {
            return Err(self.corrupt("Stream length inconsistent with rax entries"));
        }
        // Stricter than Redis, which trusts these: ids ascend across nodes
        // (tombstones included) and none is past the last id, so appends
        // and seeks stay sound on whatever loads.
        let mut prev: Option<StreamId> = None;
        for e in s.range_raw(StreamId::MIN, StreamId::MAX, false) {
            if prev.is_some_and(|p| e.id <= p) || e.id > s.last_id {
                return Err(self.corrupt("Stream entry ids out of order or past the last id"));
            }
            prev = Some(e.id);
        }

        let ngroups = self.load_plain_len()?;
        for _ in 0..ngroups {
            let name = Bytes::from(self.load_string_bytes()?);
            let last_id = StreamId::new(self.load_plain_len()?, self.load_plain_len()?);
            let entries_read = if t == RDB_TYPE_STREAM_LISTPACKS {
                s.estimate_distance_from_first_ever_entry(last_id)
            } else {
                self.load_plain_len()? as i64
            };
            let groups = s.cgroups.get_or_insert_with(BTreeMap::new);
            if groups.contains_key(&name) {
                return Err(self.corrupt(format!(
                    "Duplicated consumer group name {}",
                    String::from_utf8_lossy(&name)
                )));
            }
            let mut cg = StreamCG {
                last_id,
                entries_read,
                pel: BTreeMap::new(),
                consumers: BTreeMap::new(),
            };
            let pel_size = self.load_plain_len()?;
            for _ in 0..pel_size {
                let id = self.load_raw_stream_id()?;
                let delivery_time = self.load_millisecond_time()?;
                let delivery_count = self.load_plain_len()?;
                let nack = StreamNack {
                    delivery_time,
                    delivery_count,
                    consumer: Bytes::new(),
                };
                if cg.pel.insert(id, nack).is_some() {
                    return Err(
                        self.corrupt("Duplicated global PEL entry loading stream consumer group")
                    );
                }
            }
            let nconsumers = self.load_plain_len()?;
            let mut owned: BTreeSet<StreamId> = BTreeSet::new();
            for _ in 0..nconsumers {
                let cname = Bytes::from(self.load_string_bytes()?);
                if cg.consumers.contains_key(&cname) {
                    return Err(self.corrupt("Duplicate stream consumer detected."));
                }
                let seen_time = self.load_millisecond_time()?;
                if t >= RDB_TYPE_STREAM_LISTPACKS_3 {
                    self.load_millisecond_time()?; // active time (Redis 7.2)
                }
                let mut consumer = StreamConsumer {
                    seen_time,
                    name: cname.clone(),
                    pel: BTreeSet::new(),
                };
                let n = self.load_plain_len()?;
                for _ in 0..n {
                    let id = self.load_raw_stream_id()?;
                    let Some(nack) = cg.pel.get_mut(&id) else {
                        return Err(self.corrupt("Consumer entry not found in group global PEL"));
                    };
                    if !consumer.pel.insert(id) || !owned.insert(id) {
                        return Err(self.corrupt(
                            "Duplicated consumer PEL entry  loading a stream consumer group",
                        ));
                    }
                    nack.consumer = cname.clone();
                }
                cg.consumers.insert(cname, consumer);
            }
            if owned.len() != cg.pel.len() {
                return Err(self.corrupt("Stream CG PEL entry without consumer"));
            }
            groups.insert(name, cg);
        }
        Ok(Some(Value::Stream(Box::new(s))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Stream {
        let mut s = Stream::new();
        for i in 1..=7u64 {
            let v = i.to_string();
            s.append(
                &[b"f".as_slice(), v.as_bytes()],
                Some((StreamId::new(i, 0), true)),
                0,
                4096,
                3,
            )
            .expect("append");
        }
        s.delete(StreamId::new(2, 0));
        s.max_deleted_entry_id = StreamId::new(2, 0);
        let mut cg = StreamCG {
            last_id: StreamId::new(4, 0),
            entries_read: -1,
            ..Default::default()
        };
        for (id, who) in [(1u64, "alice"), (3, "bob"), (4, "alice")] {
            cg.pel.insert(
                StreamId::new(id, 0),
                StreamNack {
                    delivery_time: 1_700_000_000_000 + id as i64,
                    delivery_count: id,
                    consumer: Bytes::from(who),
                },
            );
        }
        for who in ["alice", "bob", "idle"] {
            let pel = cg
                .pel
                .iter()
                .filter(|(_, n)| n.consumer == who.as_bytes())
                .map(|(id, _)| *id)
                .collect();
            cg.consumers.insert(
                Bytes::from(who),
                StreamConsumer {
                    seen_time: 1_600_000_000_000,
                    name: Bytes::from(who),
                    pel,
                },
            );
        }
        s.cgroups = Some(BTreeMap::from([(Bytes::from_static(b"g"), cg)]));
        s
    }

    /// A last id below the greatest entry id (which Redis trusts) is
    /// refused: XADD would otherwise append out of order.
    #[test]
    fn last_id_below_an_entry_is_refused() {
        for last in [StreamId::new(6, 0), StreamId::new(7, 0)] {
            let mut s = sample();
            s.last_id = last;
            let (t, body) = rdb_save_object_to_vec(&Value::Stream(Box::new(s)), false);
            let loaded = rdb_load_object_from_slice(t, &body, &EncodingLimits::default());
            assert_eq!(
                loaded.is_ok(),
                last == StreamId::new(7, 0),
                "last id {last:?}"
            );
        }
    }

    #[test]
    fn round_trip_with_groups() {
        let s = sample();
        let (t, body) = rdb_save_object_to_vec(&Value::Stream(Box::new(s.clone())), false);
        assert_eq!(t, RDB_TYPE_STREAM_LISTPACKS_2);
        let Ok(Some(Value::Stream(back))) =
            rdb_load_object_from_slice(t, &body, &EncodingLimits::default())
        else {
            panic!("stream did not load");
        };
        assert_eq!(back.rax, s.rax);
        assert_eq!(
            (
                back.length,
                back.last_id,
                back.first_id,
                back.max_deleted_entry_id,
                back.entries_added
            ),
            (
                s.length,
                s.last_id,
                s.first_id,
                s.max_deleted_entry_id,
                s.entries_added
            )
        );
        let (a, b) = (
            back.lookup_cg(b"g").expect("group"),
            s.lookup_cg(b"g").expect("group"),
        );
        assert_eq!((a.last_id, a.entries_read), (b.last_id, b.entries_read));
        for (id, n) in &b.pel {
            let m = &a.pel[id];
            assert_eq!(
                (m.delivery_time, m.delivery_count, &m.consumer),
                (n.delivery_time, n.delivery_count, &n.consumer)
            );
        }
        for (name, c) in &b.consumers {
            assert_eq!(a.consumers[name].pel, c.pel);
            assert_eq!(a.consumers[name].seen_time, c.seen_time);
        }
        // Every cut is an error, never a panic.
        for cut in 0..body.len() {
            assert!(
                rdb_load_object_from_slice(t, &body[..cut], &EncodingLimits::default()).is_err()
            );
        }
    }

    #[test]
    fn corrupt_groups_are_refused() {
        let s = sample();
        let (t, body) = rdb_save_object_to_vec(&Value::Stream(Box::new(s)), false);
        // Flip every byte in turn: loading never panics.
        for i in 0..body.len() {
            let mut b = body.clone();
            b[i] ^= 0x5a;
            // What loads must also be safe to walk and edit.
            if let Ok(Some(Value::Stream(mut st))) =
                rdb_load_object_from_slice(t, &b, &EncodingLimits::default())
            {
                let n = st.range(StreamId::MIN, StreamId::MAX, false).count();
                assert_eq!(n, st.range(StreamId::MIN, StreamId::MAX, true).count());
                st.delete(StreamId::new(3, 0));
                st.trim(&crate::stream::TrimArgs {
                    strategy: crate::stream::TrimStrategy::MaxLen(2),
                    approx: false,
                    limit: 0,
                });
                let _ = st.append(&[b"a".as_slice(), b"b"], None, 99, 4096, 3);
            }
        }
        // A PEL entry without a consumer.
        let mut s = sample();
        if let Some(cg) = s.lookup_cg_mut(b"g") {
            cg.consumers.remove(&b"bob"[..]);
        }
        let (t, body) = rdb_save_object_to_vec(&Value::Stream(Box::new(s)), false);
        let e = rdb_load_object_from_slice(t, &body, &EncodingLimits::default());
        assert!(
            matches!(e, Err(RdbLoadError::Corrupt { ref reason, .. }) if reason == "Stream CG PEL entry without consumer")
        );
    }
}
