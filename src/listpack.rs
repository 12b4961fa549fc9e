//! Listpack (Redis `listpack.c`): a sequence of strings and integers in one
//! contiguous allocation, byte-compatible with Redis's format so RDB files
//! can carry it as is.
//!
//! # Format
//! A 6-byte header (total bytes as u32 LE, element count as u16 LE, 65535
//! meaning "count them"), the entries, and a terminator byte 0xFF. Each
//! entry is an encoding byte (with inline length or value bits), its data,
//! and a *back length*: the size of encoding plus data written so that it
//! can be read from its last byte backwards, which is what makes reverse
//! iteration possible without a per-entry pointer. Strings that are the
//! canonical text of an i64 are stored as integers of 7, 13, 16, 24, 32 or
//! 64 bits; other strings with a 6-bit, 12-bit or 32-bit length.
//!
//! # Why
//! Small hashes, sorted sets and the nodes of a list cost one allocation
//! and a few bytes of overhead per element, and RDB files carry the bytes
//! as they are, so a listpack from Redis loads with a validation pass and
//! no re-encoding.
//!
//! # Memory
//! The buffer is kept at its exact size, as Redis reallocs a listpack on
//! every change: inserts reserve exactly what they add and deletes give
//! the space back, so a listpack costs its bytes rounded up to the
//! allocator's size class and nothing more.
//!
//! # Limitations
//! Inserting or deleting moves the bytes after the point (a `Vec` splice),
//! as Redis's realloc and memmove do: O(size), so the types keep listpacks
//! small (the `*-max-listpack-*` limits).
//!
//! Positions are byte offsets of an entry's first byte inside the buffer.

/// One element read from a listpack: a string or an integer (Redis stores
/// strings that look like integers as integers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpValue<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl<'a> LpValue<'a> {
    /// The element's bytes; integers are formatted into `tmp`.
    pub fn as_bytes<'b>(&'b self, tmp: &'b mut itoa::Buffer) -> &'b [u8] {
        match self {
            LpValue::Str(s) => s,
            LpValue::Int(i) => tmp.format(*i).as_bytes(),
        }
    }

    /// Owned copy of the element's bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut t = itoa::Buffer::new();
        self.as_bytes(&mut t).to_vec()
    }

    /// True if the element equals `s` byte for byte.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        let mut t = itoa::Buffer::new();
        self.as_bytes(&mut t) == s
    }
}

/// A listpack. `Default` is the empty listpack (7 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    /// Exactly the listpack's bytes: a boxed slice is 16 bytes (a `Vec`
    /// would be 24), which lets the types hold a listpack inline in a
    /// 24-byte `Value`.
    buf: Box<[u8]>,
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Header: total bytes (u32 LE) and element count (u16 LE).
const LP_HDR_SIZE: usize = 6;
/// The terminator byte.
const LP_EOF: u8 = 0xFF;
/// Element count meaning "count them" (Redis `LP_HDR_NUMELE_UNKNOWN`).
const LP_HDR_NUMELE_UNKNOWN: u16 = u16::MAX;

/// Bytes the back length of an entry of `l` bytes takes (Redis `lpEncodeBacklen`).
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Appends the back length of an entry of `l` bytes: big-endian groups of
/// 7 bits, every byte but the first with the high bit set, so it can be
/// read from its last byte backwards.
fn push_backlen(out: &mut Vec<u8>, l: usize) {
    let n = backlen_size(l);
    for i in (0..n).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { group } else { group | 128 });
    }
}

/// If `s` is the canonical decimal text of an i64 (no sign but '-', no
/// leading zeros, not "-0"), that integer (Redis `lpStringToInt64`).
fn string_to_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let v = crate::util::string2ll(s)?;
    let mut t = itoa::Buffer::new();
    (t.format(v).as_bytes() == s).then_some(v)
}

/// Appends the encoding and data of an integer element.
fn encode_int(out: &mut Vec<u8>, v: i64) {
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..=4095).contains(&v) {
        let u = if v < 0 { (1i64 << 13) + v } else { v } as u16;
        out.push(0xC0 | (u >> 8) as u8);
        out.push(u as u8);
    } else if (-32768..=32767).contains(&v) {
        out.push(0xF1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-8_388_608..=8_388_607).contains(&v) {
        out.push(0xF2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        out.push(0xF3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xF4);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A whole entry (encoding, data, back length) for `s`.
fn encode_entry(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 7);
    match string_to_int(s) {
        Some(v) => encode_int(&mut out, v),
        None => encode_str(&mut out, s),
    }
    let l = out.len();
    push_backlen(&mut out, l);
    out
}

/// A whole entry for an integer.
fn encode_int_entry(v: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    encode_int(&mut out, v);
    let l = out.len();
    push_backlen(&mut out, l);
    out
}

fn encode_str(out: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    if n < 64 {
        out.push(0x80 | n as u8);
    } else if n < 4096 {
        out.push(0xE0 | (n >> 8) as u8);
        out.push(n as u8);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
}

/// Size of the encoding plus data of the entry starting with `b` (which
/// holds at least the rest of the buffer), or None if it is malformed or
/// does not fit.
fn encoded_len(b: &[u8]) -> Option<usize> {
    let e = *b.first()?;
    let (hdr, data) = if e & 0x80 == 0 {
        (1, 0)
    } else if e & 0xC0 == 0x80 {
        (1, (e & 0x3F) as usize)
    } else if e & 0xE0 == 0xC0 {
        (2, 0)
    } else if e & 0xF0 == 0xE0 {
        (2, (((e & 0x0F) as usize) << 8) | *b.get(1)? as usize)
    } else {
        match e {
            0xF0 => {
                let l = b.get(1..5)?;
                (5, u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize)
            }
            0xF1 => (1, 2),
            0xF2 => (1, 3),
            0xF3 => (1, 4),
            0xF4 => (1, 8),
            _ => return None,
        }
    };
    let total = hdr + data;
    (total <= b.len()).then_some(total)
}

impl Listpack {
    /// Active defrag: moves the bytes when jemalloc says they sit in a
    /// sparse slab (see `crate::defrag`). True when they moved.
    pub fn defrag(&mut self) -> bool {
        crate::defrag::defrag_bytes(&mut self.buf)
    }

    /// An empty listpack.
    pub fn new() -> Listpack {
        let mut buf = Vec::with_capacity(LP_HDR_SIZE + 1);
        buf.extend_from_slice(&((LP_HDR_SIZE + 1) as u32).to_le_bytes());
        buf.extend_from_slice(&0u16.to_le_bytes());
        buf.push(LP_EOF);
        Listpack {
            buf: buf.into_boxed_slice(),
        }
    }

    /// Wraps bytes already checked with [`Listpack::validate`].
    pub fn from_bytes(buf: Vec<u8>) -> Listpack {
        Listpack {
            buf: buf.into_boxed_slice(),
        }
    }

    /// Runs `f` on the bytes as a `Vec` and stores the result back at its
    /// exact size (Redis reallocs a listpack on every change). Turning a
    /// boxed slice into a `Vec` and back costs nothing when the length
    /// equals the capacity, which `reserve_exact` and `shrink_to_fit` keep.
    fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = std::mem::take(&mut self.buf).into_vec();
        let r = f(&mut v);
        self.buf = v.into_boxed_slice();
        r
    }

    /// Checks a listpack read from a file or RESTORE payload: header, every
    /// entry (when `deep`) and the terminator (Redis `lpValidateIntegrity`).
    /// A listpack that passes can be used without any panic.
    pub fn validate(bytes: &[u8], deep: bool) -> bool {
        if bytes.len() < LP_HDR_SIZE + 1 {
            return false;
        }
        let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if total != bytes.len() || bytes[total - 1] != LP_EOF {
            return false;
        }
        if !deep {
            return true;
        }
        let numele = u16::from_le_bytes([bytes[4], bytes[5]]);
        let mut pos = LP_HDR_SIZE;
        let mut count = 0usize;
        let end = total - 1;
        while pos < end {
            let Some(l) = encoded_len(&bytes[pos..end]) else {
                return false;
            };
            let bl = backlen_size(l);
            if pos + l + bl > end {
                return false;
            }
            // The back length must decode to the entry's size.
            if decode_backlen(bytes, pos + l + bl - 1) != Some((l, bl)) {
                return false;
            }
            pos += l + bl;
            count += 1;
        }
        if pos != end {
            return false;
        }
        numele == LP_HDR_NUMELE_UNKNOWN || numele as usize == count
    }

    /// The serialized bytes (what RDB saves).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Total size in bytes (Redis `lpBytes`).
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes requested from the allocator for the buffer (exactly
    /// [`Listpack::bytes`]), for MEMORY USAGE.
    pub fn allocated(&self) -> usize {
        self.buf.len()
    }

    /// Number of elements (Redis `lpLength`).
    pub fn len(&self) -> usize {
        let n = u16::from_le_bytes([self.buf[4], self.buf[5]]);
        if n != LP_HDR_NUMELE_UNKNOWN {
            return n as usize;
        }
        let mut count = 0;
        let mut p = self.first();
        while let Some(pos) = p {
            count += 1;
            p = self.next(pos);
        }
        count
    }

    /// True if there are no elements.
    pub fn is_empty(&self) -> bool {
        self.buf[LP_HDR_SIZE] == LP_EOF
    }

    /// Position of the first element.
    pub fn first(&self) -> Option<usize> {
        (self.buf[LP_HDR_SIZE] != LP_EOF).then_some(LP_HDR_SIZE)
    }

    /// Position of the last element.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.buf.len() - 1)
    }

    /// Size of the entry at `pos`, back length included.
    fn entry_len(&self, pos: usize) -> usize {
        let l = encoded_len(&self.buf[pos..]).unwrap_or(1);
        l + backlen_size(l)
    }

    /// Position of the element after `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let n = pos + self.entry_len(pos);
        (n < self.buf.len() && self.buf[n] != LP_EOF).then_some(n)
    }

    /// Position of the element before `pos` (`pos` may be the terminator's).
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos <= LP_HDR_SIZE {
            return None;
        }
        let (l, bl) = decode_backlen(&self.buf, pos - 1)?;
        pos.checked_sub(l + bl)
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> LpValue<'_> {
        let b = &self.buf[pos..];
        let e = b[0];
        if e & 0x80 == 0 {
            return LpValue::Int(e as i64);
        }
        if e & 0xC0 == 0x80 {
            let n = (e & 0x3F) as usize;
            return LpValue::Str(&b[1..1 + n]);
        }
        if e & 0xE0 == 0xC0 {
            let u = (((e & 0x1F) as i64) << 8) | b[1] as i64;
            return LpValue::Int(if u >= 1 << 12 { u - (1 << 13) } else { u });
        }
        if e & 0xF0 == 0xE0 {
            let n = (((e & 0x0F) as usize) << 8) | b[1] as usize;
            return LpValue::Str(&b[2..2 + n]);
        }
        match e {
            0xF0 => {
                let n = u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize;
                LpValue::Str(&b[5..5 + n])
            }
            0xF1 => LpValue::Int(i16::from_le_bytes([b[1], b[2]]) as i64),
            0xF2 => {
                let u = i32::from_le_bytes([b[1], b[2], b[3], 0]);
                LpValue::Int(((u << 8) >> 8) as i64)
            }
            0xF3 => LpValue::Int(i32::from_le_bytes([b[1], b[2], b[3], b[4]]) as i64),
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[1..9]);
                LpValue::Int(i64::from_le_bytes(a))
            }
        }
    }

    /// Position of element `index`; negative counts from the tail (-1 is
    /// the last) (Redis `lpSeek`).
    pub fn seek(&self, index: i64) -> Option<usize> {
        let len = self.len() as i64;
        let idx = if index < 0 { len + index } else { index };
        if idx < 0 || idx >= len {
            return None;
        }
        if idx < len / 2 {
            let mut p = self.first()?;
            for _ in 0..idx {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(len - 1 - idx) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// Elements from head to tail.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            lp: self,
            front: self.first(),
            back: self.last(),
        }
    }

    fn set_count(&mut self, n: usize) {
        let v = if n < LP_HDR_NUMELE_UNKNOWN as usize {
            n as u16
        } else {
            LP_HDR_NUMELE_UNKNOWN
        };
        self.buf[4..6].copy_from_slice(&v.to_le_bytes());
    }

    fn set_total(&mut self) {
        let t = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&t.to_le_bytes());
    }

    /// Splices `entry` in at byte offset `at`, fixing the header.
    fn insert_raw(&mut self, at: usize, entry: &[u8], count_delta: isize) {
        let old = u16::from_le_bytes([self.buf[4], self.buf[5]]);
        // Grow to the exact size, as Redis's lpInsert reallocs: a doubling
        // Vec would leave up to half of every listpack unused.
        self.edit(|v| {
            v.reserve_exact(entry.len());
            v.splice(at..at, entry.iter().copied());
        });
        self.set_total();
        if old != LP_HDR_NUMELE_UNKNOWN {
            self.set_count((old as isize + count_delta) as usize);
        } else if count_delta < 0 {
            let n = self.len();
            self.set_count(n);
        }
    }

    /// Appends an element (stored as an integer when it looks like one).
    pub fn append(&mut self, s: &[u8]) {
        let e = encode_entry(s);
        let at = self.buf.len() - 1;
        self.insert_raw(at, &e, 1);
    }

    /// Appends an integer element.
    pub fn append_int(&mut self, v: i64) {
        let e = encode_int_entry(v);
        let at = self.buf.len() - 1;
        self.insert_raw(at, &e, 1);
    }

    /// Prepends an element.
    /// Appends several elements with one reallocation: strings that are the
    /// canonical text of an i64 are stored as integers, as [`Self::append`]
    /// does (the stream type appends a whole entry at once this way).
    pub fn append_many(&mut self, items: &[LpValue<'_>]) {
        let mut out = Vec::new();
        for it in items {
            let e = match it {
                LpValue::Str(s) => encode_entry(s),
                LpValue::Int(v) => encode_int_entry(*v),
            };
            out.extend_from_slice(&e);
        }
        let at = self.buf.len() - 1;
        self.insert_raw(at, &out, items.len() as isize);
    }

    /// Replaces the element at `pos` with the integer `v` (Redis
    /// `lpReplaceInteger`); returns `pos`.
    pub fn replace_int(&mut self, pos: usize, v: i64) -> usize {
        let e = encode_int_entry(v);
        let old = self.entry_len(pos);
        self.edit(|b| {
            if e.len() > old {
                b.reserve_exact(e.len() - old);
            }
            b.splice(pos..pos + old, e);
        });
        self.set_total();
        pos
    }

    pub fn prepend(&mut self, s: &[u8]) {
        let e = encode_entry(s);
        self.insert_raw(LP_HDR_SIZE, &e, 1);
    }

    /// Inserts before the element at `pos`; returns the new element's position.
    pub fn insert_before(&mut self, pos: usize, s: &[u8]) -> usize {
        let e = encode_entry(s);
        self.insert_raw(pos, &e, 1);
        pos
    }

    /// Inserts after the element at `pos`; returns the new element's position.
    pub fn insert_after(&mut self, pos: usize, s: &[u8]) -> usize {
        let at = pos + self.entry_len(pos);
        let e = encode_entry(s);
        self.insert_raw(at, &e, 1);
        at
    }

    /// Replaces the element at `pos`; returns its (unchanged) position.
    pub fn replace(&mut self, pos: usize, s: &[u8]) -> usize {
        let e = encode_entry(s);
        let old = self.entry_len(pos);
        self.edit(|v| {
            if e.len() > old {
                v.reserve_exact(e.len() - old);
            }
            v.splice(pos..pos + old, e);
        });
        self.set_total();
        pos
    }

    /// Deletes the element at `pos`; returns the position of the element
    /// that followed it, if any.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let l = self.entry_len(pos);
        self.edit(|v| {
            v.drain(pos..pos + l);
        });
        self.set_total();
        let old = u16::from_le_bytes([self.buf[4], self.buf[5]]);
        if old != LP_HDR_NUMELE_UNKNOWN {
            self.set_count(old as usize - 1);
        } else {
            let n = self.len();
            self.set_count(n);
        }
        (self.buf[pos] != LP_EOF).then_some(pos)
    }

    /// Deletes `count` elements starting at element `index` (0-based from
    /// the head) (Redis `lpDeleteRange`). Elements past the end are ignored.
    pub fn delete_range(&mut self, index: usize, count: usize) {
        let Some(start) = self.seek(index as i64) else {
            return;
        };
        let mut end = start;
        let mut n = 0;
        while n < count && self.buf[end] != LP_EOF {
            end += self.entry_len(end);
            n += 1;
        }
        let len = self.len();
        self.edit(|v| {
            v.drain(start..end);
        });
        self.set_total();
        self.set_count(len - n);
    }

    /// From `pos`, the first element equal to `s`, comparing one element and
    /// then skipping `skip` (Redis `lpFind`; `skip` 1 walks the keys of a
    /// field/value listpack).
    pub fn find(&self, pos: usize, s: &[u8], skip: usize) -> Option<usize> {
        let as_int = string_to_int(s);
        let mut p = Some(pos);
        let mut to_skip = 0;
        while let Some(q) = p {
            if to_skip == 0 {
                // A string entry is compared as bytes even when `s` looks
                // like an integer: listpacks from RESTORE may hold integers
                // as strings (Redis's `lpFind` compares them so too).
                let hit = match (self.get(q), as_int) {
                    (LpValue::Int(v), Some(w)) => v == w,
                    (LpValue::Str(x), _) => x == s,
                    _ => false,
                };
                if hit {
                    return Some(q);
                }
                to_skip = skip;
            } else {
                to_skip -= 1;
            }
            p = self.next(q);
        }
        None
    }

    /// Bytes an element would take if stored (encoding, data and back
    /// length), for size limits such as `list-max-listpack-size`.
    pub fn entry_size(s: &[u8]) -> usize {
        let l = match string_to_int(s) {
            Some(v) => {
                let mut t = Vec::with_capacity(9);
                encode_int(&mut t, v);
                t.len()
            }
            None => {
                s.len()
                    + if s.len() < 64 {
                        1
                    } else if s.len() < 4096 {
                        2
                    } else {
                        5
                    }
            }
        };
        l + backlen_size(l)
    }
}

/// Reads the back length whose last byte is at `end`: the entry size
/// (without the back length) and the back length's own size.
fn decode_backlen(b: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        let byte = *b.get(i)?;
        val |= ((byte & 127) as usize) << shift;
        if byte & 128 == 0 {
            break;
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        i = i.checked_sub(1)?;
    }
    Some((val, end - i + 1))
}

/// Iterator over a listpack's elements, both directions.
pub struct Iter<'a> {
    lp: &'a Listpack,
    front: Option<usize>,
    back: Option<usize>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;
    fn next(&mut self) -> Option<LpValue<'a>> {
        let p = self.front?;
        if Some(p) == self.back {
            self.front = None;
            self.back = None;
        } else {
            self.front = self.lp.next(p);
        }
        Some(self.lp.get(p))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<LpValue<'a>> {
        let p = self.back?;
        if Some(p) == self.front {
            self.front = None;
            self.back = None;
        } else {
            self.back = self.lp.prev(p);
        }
        Some(self.lp.get(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|v| v.to_vec()).collect()
    }

    #[test]
    fn a_listpack_is_two_words() {
        assert_eq!(std::mem::size_of::<Listpack>(), 16);
    }

    #[test]
    fn empty_is_seven_bytes() {
        let lp = Listpack::new();
        assert_eq!(lp.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        assert!(lp.is_empty());
        assert_eq!(lp.first(), None);
        assert_eq!(lp.last(), None);
        assert!(Listpack::validate(lp.as_bytes(), true));
    }

    #[test]
    fn encodings_match_redis_bytes() {
        // The listpacks inside redis-server 7.0.15's DUMP of
        // `RPUSH l a 1 -1 300` and `HSET h f1 v1 f2 -5000 f3 70000 f4 2147483648`.
        let mut lp = Listpack::new();
        for s in ["a", "1", "-1", "300"] {
            lp.append(s.as_bytes());
        }
        assert_eq!(
            lp.as_bytes(),
            b"\x12\x00\x00\x00\x04\x00\x81a\x02\x01\x01\xdf\xff\x02\xc1,\x02\xff"
        );
        let mut h = Listpack::new();
        for s in ["f1", "v1", "f2", "-5000", "f3", "70000", "f4", "2147483648"] {
            h.append(s.as_bytes());
        }
        assert_eq!(
            h.as_bytes(),
            &b".\x00\x00\x00\x08\x00\x82f1\x03\x82v1\x03\x82f2\x03\xf1x\xec\x03\x82f3\x03\xf2p\x11\x01\x04\x82f4\x03\xf4\x00\x00\x00\x80\x00\x00\x00\x00\x09\xff"[..]
        );
    }

    #[test]
    fn integers_round_trip_at_every_width() {
        let vals = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8_388_607,
            -8_388_608,
            8_388_608,
            i32::MAX as i64,
            i32::MIN as i64,
            i32::MAX as i64 + 1,
            i64::MAX,
            i64::MIN,
        ];
        let mut lp = Listpack::new();
        for v in vals {
            lp.append(v.to_string().as_bytes());
        }
        let got: Vec<LpValue> = lp.iter().collect();
        assert_eq!(
            got,
            vals.iter().map(|&v| LpValue::Int(v)).collect::<Vec<_>>()
        );
        assert!(Listpack::validate(lp.as_bytes(), true));
        // Non-canonical numbers stay strings.
        let mut lp = Listpack::new();
        for s in [
            &b"01"[..],
            b"-0",
            b"+1",
            b" 1",
            b"1.0",
            b"99999999999999999999",
        ] {
            lp.append(s);
        }
        assert!(lp.iter().all(|v| matches!(v, LpValue::Str(_))));
    }

    #[test]
    fn strings_of_every_header_size() {
        let mut lp = Listpack::new();
        let sizes = [0usize, 1, 63, 64, 127, 128, 4095, 4096, 70000];
        for &n in &sizes {
            lp.append(&vec![b'x'; n]);
        }
        assert_eq!(lp.len(), sizes.len());
        for (i, &n) in sizes.iter().enumerate() {
            let p = lp.seek(i as i64).unwrap();
            assert_eq!(lp.get(p).to_vec().len(), n);
            assert_eq!(Listpack::entry_size(&vec![b'x'; n]), lp.entry_len(p));
        }
        let rev: Vec<usize> = lp.iter().rev().map(|v| v.to_vec().len()).collect();
        assert_eq!(rev, sizes.iter().rev().copied().collect::<Vec<_>>());
        assert!(Listpack::validate(lp.as_bytes(), true));
    }

    #[test]
    fn insert_replace_delete_find() {
        let mut lp = Listpack::new();
        for s in ["b", "d"] {
            lp.append(s.as_bytes());
        }
        lp.prepend(b"a");
        let d = lp.seek(-1).unwrap();
        lp.insert_before(d, b"c");
        let d = lp.seek(-1).unwrap();
        lp.insert_after(d, b"e");
        assert_eq!(
            items(&lp),
            vec![
                b"a".to_vec(),
                b"b".to_vec(),
                b"c".to_vec(),
                b"d".to_vec(),
                b"e".to_vec()
            ]
        );
        let p = lp.seek(1).unwrap();
        lp.replace(p, &[b'B'; 200]);
        assert_eq!(lp.get(lp.seek(1).unwrap()).to_vec(), vec![b'B'; 200]);
        assert_eq!(lp.get(lp.seek(2).unwrap()).to_vec(), b"c");
        let p = lp.seek(1).unwrap();
        let next = lp.delete(p).unwrap();
        assert_eq!(lp.get(next).to_vec(), b"c");
        assert_eq!(lp.len(), 4);
        lp.delete_range(1, 2);
        assert_eq!(items(&lp), vec![b"a".to_vec(), b"e".to_vec()]);
        assert!(Listpack::validate(lp.as_bytes(), true));
        // find with skip over field/value pairs
        let mut h = Listpack::new();
        for s in ["f1", "v1", "v1", "f2", "12", "v3"] {
            h.append(s.as_bytes());
        }
        let first = h.first().unwrap();
        assert_eq!(
            h.find(first, b"v1", 1).map(|p| h.get(p).to_vec()),
            Some(b"v1".to_vec())
        );
        assert_eq!(h.find(first, b"v3", 1), None);
        let p = h.find(first, b"12", 1).unwrap();
        assert_eq!(h.get(h.next(p).unwrap()).to_vec(), b"v3");
        assert_eq!(h.find(first, b"012", 0), None);
    }

    #[test]
    fn capacity_stays_exact() {
        let mut lp = Listpack::new();
        for i in 0..500 {
            lp.append(format!("member:{i}").as_bytes());
            assert_eq!(lp.allocated(), lp.bytes());
        }
        for _ in 0..100 {
            lp.delete(lp.first().unwrap());
            assert_eq!(lp.allocated(), lp.bytes());
        }
        let p = lp.first().unwrap();
        lp.replace(p, b"x");
        assert_eq!(lp.allocated(), lp.bytes());
        lp.delete_range(0, 10);
        assert_eq!(lp.allocated(), lp.bytes());
    }

    #[test]
    fn validate_rejects_corruption() {
        let mut lp = Listpack::new();
        for i in 0..50 {
            lp.append(format!("elem{i}").as_bytes());
            lp.append_int(i * 1000);
        }
        let good = lp.as_bytes().to_vec();
        assert!(Listpack::validate(&good, true));
        for cut in 0..good.len() {
            assert!(!Listpack::validate(&good[..cut], true));
        }
        let mut rng = 12345u64;
        for _ in 0..2000 {
            let mut b = good.clone();
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let i = (rng as usize) % b.len();
            b[i] ^= (rng >> 32) as u8 | 1;
            if Listpack::validate(&b, true) {
                // Whatever passes must be fully walkable.
                let lp = Listpack::from_bytes(b);
                let n = lp.iter().count();
                assert_eq!(n, lp.len());
                assert_eq!(lp.iter().rev().count(), n);
            }
        }
    }

    #[test]
    fn random_ops_match_a_model() {
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        let mut rng = 99u64;
        let mut rnd = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..3000 {
            let r = rnd();
            let val = if r % 3 == 0 {
                ((r >> 8) as i64 % 100_000 - 50_000)
                    .to_string()
                    .into_bytes()
            } else {
                vec![b'a' + (r % 26) as u8; (r >> 20) as usize % 300]
            };
            match r % 5 {
                0 => {
                    lp.append(&val);
                    model.push(val);
                }
                1 => {
                    lp.prepend(&val);
                    model.insert(0, val);
                }
                2 if !model.is_empty() => {
                    let i = (r >> 40) as usize % model.len();
                    lp.delete(lp.seek(i as i64).unwrap());
                    model.remove(i);
                }
                3 if !model.is_empty() => {
                    let i = (r >> 40) as usize % model.len();
                    lp.replace(lp.seek(i as i64).unwrap(), &val);
                    model[i] = val;
                }
                _ if !model.is_empty() => {
                    let i = (r >> 40) as usize % model.len();
                    lp.insert_before(lp.seek(i as i64).unwrap(), &val);
                    model.insert(i, val);
                }
                _ => {}
            }
            assert_eq!(lp.len(), model.len());
        }
        assert_eq!(items(&lp), model);
        assert!(Listpack::validate(lp.as_bytes(), true));
    }
}
