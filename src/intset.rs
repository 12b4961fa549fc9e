//! The small-integer set encoding (Redis `intset.c`): a sorted array of
//! distinct integers in one contiguous allocation, byte for byte the format
//! Redis writes into RDB files (type 11, `set-intset`), so a snapshot or a
//! RESTORE payload can carry it as is.
//!
//! # Format
//! ```text
//! +----------------+----------------+-------------------------------+
//! | encoding u32LE | length u32LE   | length integers, each         |
//! | (2, 4 or 8)    |                | `encoding` bytes, LE, sorted  |
//! +----------------+----------------+-------------------------------+
//! ```
//! Every member is stored with the same width, the smallest of 2, 4 or 8
//! bytes that holds them all. Members are kept in ascending order without
//! duplicates, so lookups are binary searches.
//!
//! # Upgrades
//! Adding a value wider than the current encoding re-encodes the whole array
//! at the new width (never back). Such a value lies outside the range of
//! every existing member, so it goes either first (negative) or last
//! (positive) and needs no search: the old members are widened from the back
//! towards the front, shifted by one slot when the new value is prepended.
//!
//! # Memory
//! The value is a `Box<[u8]>` of exactly `8 + length * encoding` bytes: one
//! allocation, no spare capacity, resized on every add or remove like
//! Redis's `zrealloc`. Sets hold at most `set-max-intset-entries` members in
//! this encoding (Redis caps that at 2^30), so each change costs a
//! `memmove` of a bounded array.
//!
//! # Latency
//! Lookups are `O(log n)`; adds and removes are `O(n)` (the tail moves).

/// Width of a member in bytes: 16-bit members (Redis `INTSET_ENC_INT16`).
pub const INTSET_ENC_INT16: usize = 2;
/// 32-bit members (Redis `INTSET_ENC_INT32`).
pub const INTSET_ENC_INT32: usize = 4;
/// 64-bit members (Redis `INTSET_ENC_INT64`).
pub const INTSET_ENC_INT64: usize = 8;
/// Bytes of the header (encoding and length).
pub const INTSET_HEADER: usize = 8;

/// The narrowest encoding that holds `v` (Redis `_intsetValueEncoding`).
pub fn value_encoding(v: i64) -> usize {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        INTSET_ENC_INT64
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        INTSET_ENC_INT32
    } else {
        INTSET_ENC_INT16
    }
}

/// Reads a member of width `enc` at slot `pos` of the data area `data`.
#[inline]
fn read_at(data: &[u8], pos: usize, enc: usize) -> i64 {
    let off = pos * enc;
    match enc {
        INTSET_ENC_INT16 => i16::from_le_bytes([data[off], data[off + 1]]) as i64,
        INTSET_ENC_INT32 => {
            let mut b = [0u8; 4];
            b.copy_from_slice(&data[off..off + 4]);
            i32::from_le_bytes(b) as i64
        }
        _ => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[off..off + 8]);
            i64::from_le_bytes(b)
        }
    }
}

/// Writes `v` with width `enc` at slot `pos` of the data area `data`.
#[inline]
fn write_at(data: &mut [u8], pos: usize, enc: usize, v: i64) {
    let off = pos * enc;
    match enc {
        INTSET_ENC_INT16 => data[off..off + 2].copy_from_slice(&(v as i16).to_le_bytes()),
        INTSET_ENC_INT32 => data[off..off + 4].copy_from_slice(&(v as i32).to_le_bytes()),
        _ => data[off..off + 8].copy_from_slice(&v.to_le_bytes()),
    }
}

fn read_u32(b: &[u8], off: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(a)
}

/// Iterator over an intset's members, ascending (see [`Intset::iter`]).
#[derive(Clone, Debug)]
pub struct IntsetIter<'a> {
    data: &'a [u8],
    enc: usize,
    pos: usize,
    end: usize,
}

impl Iterator for IntsetIter<'_> {
    type Item = i64;
    #[inline]
    fn next(&mut self) -> Option<i64> {
        if self.pos >= self.end {
            return None;
        }
        let v = read_at(self.data, self.pos, self.enc);
        self.pos += 1;
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.pos;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for IntsetIter<'_> {
    fn next_back(&mut self) -> Option<i64> {
        if self.pos >= self.end {
            return None;
        }
        self.end -= 1;
        Some(read_at(self.data, self.end, self.enc))
    }
}

impl ExactSizeIterator for IntsetIter<'_> {}

/// An intset. See the module docs for the format.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    buf: Box<[u8]>,
}

impl Default for Intset {
    fn default() -> Self {
        Intset::new()
    }
}

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Intset {
    /// Active defrag: moves the bytes when jemalloc says they sit in a
    /// sparse slab (see `crate::defrag`). True when they moved.
    pub fn defrag(&mut self) -> bool {
        crate::defrag::defrag_bytes(&mut self.buf)
    }

    /// An empty intset with the 16-bit encoding (Redis `intsetNew`).
    pub fn new() -> Intset {
        let mut b = [0u8; INTSET_HEADER];
        b[..4].copy_from_slice(&(INTSET_ENC_INT16 as u32).to_le_bytes());
        Intset { buf: b.into() }
    }

    /// Wraps bytes already checked with [`Intset::validate`] (shallow at
    /// least). Bytes that fail the shallow check are replaced by an empty
    /// intset rather than trusted.
    pub fn from_bytes(buf: Vec<u8>) -> Intset {
        if buf.len() >= INTSET_HEADER && Intset::check_header(&buf).is_some() {
            Intset {
                buf: buf.into_boxed_slice(),
            }
        } else {
            Intset::new()
        }
    }

    /// Header check shared by [`Intset::validate`] and [`Intset::from_bytes`]:
    /// a known encoding and a length that matches the size exactly. Returns
    /// (encoding, length).
    fn check_header(bytes: &[u8]) -> Option<(usize, usize)> {
        if bytes.len() < INTSET_HEADER {
            return None;
        }
        let enc = read_u32(bytes, 0) as usize;
        if !matches!(enc, INTSET_ENC_INT16 | INTSET_ENC_INT32 | INTSET_ENC_INT64) {
            return None;
        }
        let len = read_u32(bytes, 4) as usize;
        if INTSET_HEADER + len.checked_mul(enc)? != bytes.len() {
            return None;
        }
        Some((enc, len))
    }

    /// Checks an intset read from a file or a RESTORE payload (Redis
    /// `intsetValidateIntegrity`): the header fits, the encoding is 2, 4 or
    /// 8, the size matches the length exactly and the set is not empty; when
    /// `deep`, also that the members are strictly ascending (sorted, no
    /// duplicates).
    pub fn validate(bytes: &[u8], deep: bool) -> bool {
        let Some((enc, len)) = Intset::check_header(bytes) else {
            return false;
        };
        if len == 0 {
            return false;
        }
        if !deep {
            return true;
        }
        let data = &bytes[INTSET_HEADER..];
        let mut prev = read_at(data, 0, enc);
        for i in 1..len {
            let cur = read_at(data, i, enc);
            if cur <= prev {
                return false;
            }
            prev = cur;
        }
        true
    }

    /// The serialized bytes (what RDB saves; Redis `intsetBlobLen` of them).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Size in bytes of the serialized form (Redis `intsetBlobLen`).
    pub fn blob_len(&self) -> usize {
        self.buf.len()
    }

    /// Width of every member: 2, 4 or 8 bytes.
    #[inline]
    pub fn encoding(&self) -> usize {
        read_u32(&self.buf, 0) as usize
    }

    /// Number of members (Redis `intsetLen`).
    #[inline]
    pub fn len(&self) -> usize {
        read_u32(&self.buf, 4) as usize
    }

    /// True if there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn data(&self) -> &[u8] {
        &self.buf[INTSET_HEADER..]
    }

    /// The member at `pos` in ascending order (Redis `intsetGet`).
    pub fn get(&self, pos: usize) -> Option<i64> {
        if pos < self.len() {
            Some(read_at(self.data(), pos, self.encoding()))
        } else {
            None
        }
    }

    /// Members in ascending order.
    pub fn iter(&self) -> IntsetIter<'_> {
        IntsetIter {
            data: self.data(),
            enc: self.encoding(),
            pos: 0,
            end: self.len(),
        }
    }

    /// Binary search (Redis `intsetSearch`): `Ok(pos)` if found, else
    /// `Err(pos)` where `v` would be inserted.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let len = self.len();
        if len == 0 {
            return Err(0);
        }
        let enc = self.encoding();
        let data = self.data();
        // Values past either end are common (appending ascending ids).
        if v > read_at(data, len - 1, enc) {
            return Err(len);
        }
        if v < read_at(data, 0, enc) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let cur = read_at(data, mid, enc);
            if cur < v {
                lo = mid + 1;
            } else if cur > v {
                hi = mid;
            } else {
                return Ok(mid);
            }
        }
        Err(lo)
    }

    /// True if `v` is a member (Redis `intsetFind`).
    pub fn find(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    fn set_header(buf: &mut [u8], enc: usize, len: usize) {
        buf[..4].copy_from_slice(&(enc as u32).to_le_bytes());
        buf[4..8].copy_from_slice(&(len as u32).to_le_bytes());
    }

    /// Adds `v`; false if it was already a member (Redis `intsetAdd`).
    /// Widens the encoding first when `v` needs it.
    pub fn add(&mut self, v: i64) -> bool {
        let venc = value_encoding(v);
        let enc = self.encoding();
        let len = self.len();
        if venc > enc {
            self.upgrade_and_add(v, venc);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.reserve_exact(enc);
        let at = INTSET_HEADER + pos * enc;
        let mut item = [0u8; 8];
        write_at(&mut item, 0, enc, v);
        buf.splice(at..at, item[..enc].iter().copied());
        Intset::set_header(&mut buf, enc, len + 1);
        self.buf = buf.into_boxed_slice();
        true
    }

    /// Re-encodes every member at width `newenc` and adds `v`, which is
    /// outside the range of all members (Redis `intsetUpgradeAndAdd`).
    fn upgrade_and_add(&mut self, v: i64, newenc: usize) {
        let enc = self.encoding();
        let len = self.len();
        let prepend = usize::from(v < 0);
        let mut nb = vec![0u8; INTSET_HEADER + (len + 1) * newenc];
        {
            let (_, ndata) = nb.split_at_mut(INTSET_HEADER);
            let odata = self.data();
            for i in 0..len {
                write_at(ndata, i + prepend, newenc, read_at(odata, i, enc));
            }
            let slot = if prepend == 1 { 0 } else { len };
            write_at(ndata, slot, newenc, v);
        }
        Intset::set_header(&mut nb, newenc, len + 1);
        self.buf = nb.into_boxed_slice();
    }

    /// Removes `v`; false if it was not a member (Redis `intsetRemove`).
    pub fn remove(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let enc = self.encoding();
        let len = self.len();
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let at = INTSET_HEADER + pos * enc;
        buf.drain(at..at + enc);
        Intset::set_header(&mut buf, enc, len - 1);
        self.buf = buf.into_boxed_slice();
        true
    }

    /// A uniformly random member (Redis `intsetRandom`); None if empty.
    pub fn random(&self) -> Option<i64> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        self.get(rand::random_range(0..len))
    }

    /// Smallest member.
    pub fn min(&self) -> Option<i64> {
        self.get(0)
    }

    /// Largest member.
    pub fn max(&self) -> Option<i64> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(is: &Intset) -> Vec<i64> {
        is.iter().collect()
    }

    #[test]
    fn empty_layout() {
        let is = Intset::new();
        assert_eq!(is.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(is.len(), 0);
        assert!(!is.find(0));
        assert_eq!(is.random(), None);
        assert!(
            !Intset::validate(is.as_bytes(), false),
            "empty is invalid in RDB"
        );
    }

    #[test]
    fn value_encodings() {
        assert_eq!(value_encoding(32767), 2);
        assert_eq!(value_encoding(-32768), 2);
        assert_eq!(value_encoding(32768), 4);
        assert_eq!(value_encoding(-32769), 4);
        assert_eq!(value_encoding(i32::MAX as i64), 4);
        assert_eq!(value_encoding(i32::MIN as i64), 4);
        assert_eq!(value_encoding(i32::MAX as i64 + 1), 8);
        assert_eq!(value_encoding(i32::MIN as i64 - 1), 8);
        assert_eq!(value_encoding(i64::MIN), 8);
    }

    #[test]
    fn add_sorted_unique_and_bytes() {
        let mut is = Intset::new();
        assert!(is.add(5));
        assert!(is.add(-3));
        assert!(is.add(10));
        assert!(!is.add(5));
        assert_eq!(collect(&is), vec![-3, 5, 10]);
        assert_eq!(
            is.as_bytes(),
            &[2, 0, 0, 0, 3, 0, 0, 0, 0xfd, 0xff, 5, 0, 10, 0]
        );
        assert!(Intset::validate(is.as_bytes(), true));
        assert!(is.find(10) && is.find(-3) && !is.find(4));
        assert!(!is.find(1 << 40));
    }

    #[test]
    fn upgrades_append_and_prepend() {
        let mut is = Intset::new();
        for v in [1, 2, 3] {
            is.add(v);
        }
        assert!(is.add(65535));
        assert_eq!(is.encoding(), 4);
        assert_eq!(collect(&is), vec![1, 2, 3, 65535]);
        assert!(is.add(-(1 << 40)));
        assert_eq!(is.encoding(), 8);
        assert_eq!(collect(&is), vec![-(1 << 40), 1, 2, 3, 65535]);
        assert_eq!(is.blob_len(), 8 + 5 * 8);
        assert!(is.add(i64::MAX) && is.add(i64::MIN));
        assert_eq!(is.min(), Some(i64::MIN));
        assert_eq!(is.max(), Some(i64::MAX));
        // Never narrows back.
        for v in [i64::MIN, i64::MAX, -(1 << 40), 65535] {
            assert!(is.remove(v));
        }
        assert_eq!(is.encoding(), 8);
        assert_eq!(collect(&is), vec![1, 2, 3]);
        assert!(Intset::validate(is.as_bytes(), true));
    }

    #[test]
    fn remove() {
        let mut is = Intset::new();
        for v in 0..10 {
            is.add(v);
        }
        assert!(is.remove(0));
        assert!(is.remove(9));
        assert!(is.remove(5));
        assert!(!is.remove(5));
        assert!(!is.remove(1 << 20));
        assert_eq!(collect(&is), vec![1, 2, 3, 4, 6, 7, 8]);
        assert_eq!(is.blob_len(), 8 + 7 * 2);
    }

    #[test]
    fn random_members_are_members() {
        let mut is = Intset::new();
        for v in [-7, 3, 99999, 1 << 35] {
            is.add(v);
        }
        let mut seen = std::collections::HashSet::new();
        for _ in 0..400 {
            let r = is.random().unwrap();
            assert!(is.find(r));
            seen.insert(r);
        }
        assert_eq!(seen.len(), 4);
    }

    #[test]
    fn model_check() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut is = Intset::new();
        let mut model = std::collections::BTreeSet::new();
        for _ in 0..5000 {
            let v: i64 = match rng.random_range(0..3) {
                0 => rng.random_range(-100..100),
                1 => rng.random_range(-100000..100000),
                _ => rng.random::<i64>(),
            };
            if rng.random_bool(0.7) {
                assert_eq!(is.add(v), model.insert(v));
            } else {
                assert_eq!(is.remove(v), model.remove(&v));
            }
        }
        assert_eq!(collect(&is), model.iter().copied().collect::<Vec<_>>());
        if !is.is_empty() {
            assert!(Intset::validate(is.as_bytes(), true));
        }
    }

    #[test]
    fn validate_rejects() {
        let mut is = Intset::new();
        is.add(1);
        is.add(2);
        let good = is.as_bytes().to_vec();
        assert!(Intset::validate(&good, true));
        assert!(!Intset::validate(&good[..7], false));
        assert!(!Intset::validate(&good[..good.len() - 1], false));
        let mut bad_enc = good.clone();
        bad_enc[0] = 3;
        assert!(!Intset::validate(&bad_enc, false));
        let mut huge_len = good.clone();
        huge_len[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!Intset::validate(&huge_len, false));
        // Unsorted or duplicated: shallow passes, deep fails.
        let mut unsorted = good.clone();
        unsorted[8..10].copy_from_slice(&5i16.to_le_bytes());
        assert!(Intset::validate(&unsorted, false));
        assert!(!Intset::validate(&unsorted, true));
        let mut dup = good.clone();
        dup[10..12].copy_from_slice(&1i16.to_le_bytes());
        assert!(!Intset::validate(&dup, true));
        // from_bytes round trip; garbage becomes an empty set.
        let back = Intset::from_bytes(good.clone());
        assert_eq!(back, is);
        assert!(Intset::from_bytes(vec![1, 2, 3]).is_empty());
    }
}
