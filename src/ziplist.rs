//! Read-only decoders for Redis's two retired compact encodings, the
//! **ziplist** (Redis 2.6 to 6.2: small lists, hashes and sorted sets, and
//! the nodes of the first quicklist) and the **zipmap** (Redis 2.4 and
//! earlier: small hashes). Redis 7.0 no longer keeps either in memory; it
//! converts them to listpacks or full structures while loading an RDB file,
//! and so does rustredis (`rdb.rs`). Nothing here writes these formats,
//! except the test-only builders at the bottom.
//!
//! Both decoders treat their input as untrusted bytes from a file: every
//! header, length and offset is checked against the blob before it is used,
//! the walk visits each entry once, and any inconsistency makes the whole
//! blob invalid (the caller reports the file as corrupt). Nothing panics and
//! nothing reads out of bounds, whatever the input.
//!
//! # Ziplist layout
//! All integers are little-endian unless said otherwise.
//!
//! ```text
//! <u32 zlbytes> <u32 zltail> <u16 zllen> <entry> ... <entry> <u8 0xFF>
//! ```
//!
//! - `zlbytes` is the size of the whole blob (it must equal the blob length);
//! - `zltail` is the offset of the last entry (of the terminator when empty);
//! - `zllen` is the entry count, or 65535 meaning "count them";
//! - the blob ends with the terminator byte 0xFF, which never starts an entry.
//!
//! An entry is `<prevlen> <encoding> <data>`:
//!
//! - `prevlen`: the byte size of the previous entry (0 for the first), one
//!   byte when below 254, else 0xFE followed by a u32;
//! - `encoding`, decided by its first byte:
//!   - `00pppppp`: a string of up to 63 bytes;
//!   - `01pppppp qqqqqqqq`: a string of up to 16383 bytes (14-bit length,
//!     big-endian);
//!   - `10xxxxxx` + 4 bytes: a string with a 32-bit big-endian length;
//!   - `11000000` int16, `11010000` int32, `11100000` int64, `11110000`
//!     int24 (sign-extended), `11111110` int8;
//!   - `1111xxxx` with xxxx in 0001..=1101: the integer xxxx - 1 (0..=12),
//!     with no data bytes;
//!   - any other byte is invalid.
//!
//! Validation (as Redis's `ziplistValidateIntegrity` with `deep`) checks the
//! header against the blob size, that the terminator is last, that every
//! entry lies inside the blob, that each `prevlen` equals the size of the
//! entry before it, that the walk ends exactly at the terminator, that
//! `zltail` points at the last entry and that `zllen` (unless 65535) is the
//! number of entries.
//!
//! # Zipmap layout
//! ```text
//! <u8 zmlen> (<len> field <len> <u8 free> value <free bytes>)* <u8 0xFF>
//! ```
//!
//! `zmlen` is the pair count, or 254 meaning "count them". A `len` is one
//! byte when below 254, else 0xFE followed by a u32 (host order; Redis only
//! ran little-endian here). `free` unused bytes follow each value. A field
//! position holding 0xFF ends the map. Validation checks that every length
//! and value (with its free bytes) lies inside the blob, that the map holds
//! at least one pair, that it ends exactly at the last byte and that a
//! `zmlen` below 254 matches the pair count.

use crate::listpack::LpValue;

/// Bytes of the ziplist header (`zlbytes`, `zltail`, `zllen`).
const ZIPLIST_HEADER_SIZE: usize = 10;
/// The terminator of ziplists and zipmaps.
const ZIP_END: u8 = 0xFF;
/// A `prevlen` first byte announcing a 4-byte length.
const ZIP_BIG_PREVLEN: u8 = 0xFE;
/// `zllen` when the count does not fit 16 bits.
const ZIPLIST_LEN_UNKNOWN: u16 = u16::MAX;
/// A zipmap length first byte announcing a 4-byte length; also the
/// `zmlen` meaning "count them".
const ZIPMAP_BIGLEN: u8 = 254;

/// Little-endian u32 at `at`, if the bytes are there.
fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// One decoded ziplist entry header: where its data starts, how long the
/// data is, and what it holds.
struct ZlEntry<'a> {
    /// The `prevlen` field's value.
    prevlen: usize,
    /// Total bytes of the entry (header and data).
    size: usize,
    value: LpValue<'a>,
}

/// Decodes the entry starting at `p`, which must end before the terminator
/// at `end` (the index of the last byte of the blob). `None` when the entry
/// is malformed or crosses `end`.
fn decode_entry(zl: &[u8], p: usize, end: usize) -> Option<ZlEntry<'_>> {
    // Everything the entry occupies must lie in [p, end).
    let body = zl.get(..end)?;
    let first = *body.get(p)?;
    let (prevlen, mut q) = if first == ZIP_BIG_PREVLEN {
        (u32_le(body, p + 1)? as usize, p + 5)
    } else {
        (first as usize, p + 1)
    };
    let enc = *body.get(q)?;
    q += 1;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = body.get(q..q.checked_add(n)?)?;
        q += n;
        Some(s)
    };
    let value = match enc {
        0x00..=0x3F => LpValue::Str(take((enc & 0x3F) as usize)?),
        0x40..=0x7F => {
            let lo = take(1)?[0];
            let len = (((enc & 0x3F) as usize) << 8) | lo as usize;
            LpValue::Str(take(len)?)
        }
        0x80..=0xBF => {
            let l = take(4)?;
            let len = u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize;
            LpValue::Str(take(len)?)
        }
        0xC0 => {
            let d = take(2)?;
            LpValue::Int(i16::from_le_bytes([d[0], d[1]]) as i64)
        }
        0xD0 => {
            let d = take(4)?;
            LpValue::Int(i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64)
        }
        0xE0 => {
            let d = take(8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(d);
            LpValue::Int(i64::from_le_bytes(a))
        }
        0xF0 => {
            let d = take(3)?;
            // Sign-extend 24 bits: place them in the top of an i32.
            LpValue::Int((i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64)
        }
        0xFE => LpValue::Int(take(1)?[0] as i8 as i64),
        0xF1..=0xFD => LpValue::Int((enc & 0x0F) as i64 - 1),
        _ => return None,
    };
    Some(ZlEntry {
        prevlen,
        size: q - p,
        value,
    })
}

/// Validates a ziplist blob completely and calls `f` on each entry, head to
/// tail, while doing so. `f` returns `false` to reject the blob (e.g. a
/// duplicate hash field). Returns `true` only if the whole blob is a valid
/// ziplist and `f` accepted every entry. `f` may have been called for some
/// entries of a blob that turns out invalid, so callers build into scratch
/// space and drop it on failure.
///
/// # Latency
/// O(blob size), one pass.
pub fn ziplist_validate_and_walk(zl: &[u8], mut f: impl FnMut(LpValue<'_>) -> bool) -> bool {
    let size = zl.len();
    if size < ZIPLIST_HEADER_SIZE + 1 {
        return false;
    }
    let (Some(zlbytes), Some(zltail)) = (u32_le(zl, 0), u32_le(zl, 4)) else {
        return false;
    };
    if zlbytes as usize != size || zl[size - 1] != ZIP_END {
        return false;
    }
    let end = size - 1;
    if zltail as usize > end {
        return false;
    }
    let zllen = u16::from_le_bytes([zl[8], zl[9]]);
    let mut p = ZIPLIST_HEADER_SIZE;
    let mut prev_size = 0usize;
    let mut last = None;
    let mut count: usize = 0;
    while p < end {
        let Some(e) = decode_entry(zl, p, end) else {
            return false;
        };
        if e.prevlen != prev_size || !f(e.value) {
            return false;
        }
        prev_size = e.size;
        last = Some(p);
        p += e.size;
        count += 1;
    }
    // The walk ends exactly on the terminator (decode_entry never crosses it).
    if p != end {
        return false;
    }
    // `zltail` must point at the last entry (of an empty ziplist, Redis
    // accepts any offset inside the blob).
    if last.is_some_and(|l| l != zltail as usize) {
        return false;
    }
    zllen == ZIPLIST_LEN_UNKNOWN || count == zllen as usize
}

/// Validates a zipmap blob completely and calls `f` on each (field, value)
/// pair. Same contract as [`ziplist_validate_and_walk`]; an empty zipmap is
/// invalid, as in Redis.
///
/// # Latency
/// O(blob size), one pass.
pub fn zipmap_validate_and_walk(zm: &[u8], mut f: impl FnMut(&[u8], &[u8]) -> bool) -> bool {
    let size = zm.len();
    if size < 2 || zm[size - 1] != ZIP_END {
        return false;
    }
    let end = size - 1;
    // A length at `p`, which must leave its bytes inside [1, end).
    let read_len = |p: usize| -> Option<(usize, usize)> {
        let b = *zm[..end].get(p)?;
        if b < ZIPMAP_BIGLEN {
            Some((b as usize, p + 1))
        } else {
            let l = zm[..end].get(p + 1..p + 5)?;
            Some((u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize, p + 5))
        }
    };
    let mut p = 1;
    let mut count: usize = 0;
    while p < end && zm[p] != ZIP_END {
        let Some((flen, q)) = read_len(p) else {
            return false;
        };
        let Some(field) = q.checked_add(flen).and_then(|e| zm[..end].get(q..e)) else {
            return false;
        };
        let Some((vlen, q)) = read_len(q + flen) else {
            return false;
        };
        let Some(&free) = zm[..end].get(q) else {
            return false;
        };
        let q = q + 1;
        let Some(value) = q.checked_add(vlen).and_then(|e| zm[..end].get(q..e)) else {
            return false;
        };
        let Some(next) = (q + vlen).checked_add(free as usize).filter(|&n| n <= end) else {
            return false;
        };
        if !f(field, value) {
            return false;
        }
        count += 1;
        p = next;
    }
    // The map must end exactly at the blob's last byte.
    if p != end || count == 0 {
        return false;
    }
    zm[0] == ZIPMAP_BIGLEN || zm[0] as usize == count
}

// ---- Test builders ----

/// Test-only: encodes `entries` as a ziplist the way Redis wrote them
/// (integers in the smallest integer encoding, strings that look like
/// integers stored as integers).
#[cfg(test)]
pub(crate) fn build_ziplist(entries: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev = 0usize;
    let mut tail = ZIPLIST_HEADER_SIZE;
    for s in entries {
        let mut e = Vec::new();
        if prev < ZIP_BIG_PREVLEN as usize {
            e.push(prev as u8);
        } else {
            e.push(ZIP_BIG_PREVLEN);
            e.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match crate::util::string2ll(s).filter(|_| s.len() <= 32) {
            Some(v) if (0..=12).contains(&v) => e.push(0xF1 + v as u8),
            Some(v) if i8::try_from(v).is_ok() => {
                e.push(0xFE);
                e.push(v as i8 as u8);
            }
            Some(v) if i16::try_from(v).is_ok() => {
                e.push(0xC0);
                e.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                e.push(0xF0);
                e.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                e.push(0xD0);
                e.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                e.push(0xE0);
                e.extend_from_slice(&v.to_le_bytes());
            }
            None if s.len() <= 63 => {
                e.push(s.len() as u8);
                e.extend_from_slice(s);
            }
            None if s.len() <= 16383 => {
                e.push(0x40 | (s.len() >> 8) as u8);
                e.push(s.len() as u8);
                e.extend_from_slice(s);
            }
            None => {
                e.push(0x80);
                e.extend_from_slice(&(s.len() as u32).to_be_bytes());
                e.extend_from_slice(s);
            }
        }
        tail = ZIPLIST_HEADER_SIZE + body.len();
        prev = e.len();
        body.extend_from_slice(&e);
    }
    let total = ZIPLIST_HEADER_SIZE + body.len() + 1;
    let mut zl = Vec::with_capacity(total);
    zl.extend_from_slice(&(total as u32).to_le_bytes());
    zl.extend_from_slice(&(tail as u32).to_le_bytes());
    zl.extend_from_slice(&(entries.len().min(0xFFFF) as u16).to_le_bytes());
    zl.extend_from_slice(&body);
    zl.push(ZIP_END);
    zl
}

/// Test-only: encodes pairs as a zipmap, giving each value `free` spare bytes.
#[cfg(test)]
pub(crate) fn build_zipmap(pairs: &[(&[u8], &[u8])], free: u8) -> Vec<u8> {
    fn len(out: &mut Vec<u8>, l: usize) {
        if l < ZIPMAP_BIGLEN as usize {
            out.push(l as u8);
        } else {
            out.push(ZIPMAP_BIGLEN);
            out.extend_from_slice(&(l as u32).to_le_bytes());
        }
    }
    let mut zm = vec![pairs.len().min(ZIPMAP_BIGLEN as usize) as u8];
    for (f, v) in pairs {
        len(&mut zm, f.len());
        zm.extend_from_slice(f);
        len(&mut zm, v.len());
        zm.push(free);
        zm.extend_from_slice(v);
        zm.extend(std::iter::repeat_n(0u8, free as usize));
    }
    zm.push(ZIP_END);
    zm
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(zl: &[u8]) -> Option<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        ziplist_validate_and_walk(zl, |v| {
            out.push(v.to_vec());
            true
        })
        .then_some(out)
    }

    fn walk_map(zm: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        zipmap_validate_and_walk(zm, |f, v| {
            out.push((f.to_vec(), v.to_vec()));
            true
        })
        .then_some(out)
    }

    #[test]
    fn redis_documented_example() {
        // The two-entry ziplist ["2", "5"] from ziplist.c's layout notes.
        let zl = b"\x0f\x00\x00\x00\x0c\x00\x00\x00\x02\x00\x00\xf3\x02\xf6\xff";
        assert_eq!(walk(zl).unwrap(), vec![b"2".to_vec(), b"5".to_vec()]);
        assert_eq!(build_ziplist(&[b"2", b"5"]), zl.to_vec());
        // And the zipmap {"foo" => "bar", "hello" => "world"} from zipmap.c.
        let zm = b"\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff";
        assert_eq!(
            walk_map(zm).unwrap(),
            vec![
                (b"foo".to_vec(), b"bar".to_vec()),
                (b"hello".to_vec(), b"world".to_vec())
            ]
        );
        assert_eq!(
            build_zipmap(&[(b"foo", b"bar"), (b"hello", b"world")], 0),
            zm.to_vec()
        );
    }

    #[test]
    fn every_encoding_round_trips() {
        let big = vec![b'x'; 300];
        let huge = vec![b'y'; 20000];
        let items: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"0".to_vec(),
            b"12".to_vec(),
            b"13".to_vec(),
            b"-1".to_vec(),
            b"127".to_vec(),
            b"-128".to_vec(),
            b"128".to_vec(),
            b"-32768".to_vec(),
            b"32768".to_vec(),
            b"8388607".to_vec(),
            b"-8388608".to_vec(),
            b"8388608".to_vec(),
            b"2147483647".to_vec(),
            b"-2147483649".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"007".to_vec(),
            b"hello".to_vec(),
            vec![b'z'; 63],
            vec![b'z'; 64],
            big.clone(),
            b"after big".to_vec(),
            huge,
            b"tail".to_vec(),
        ];
        let refs: Vec<&[u8]> = items.iter().map(|v| v.as_slice()).collect();
        let zl = build_ziplist(&refs);
        assert_eq!(walk(&zl).unwrap(), items);
        // Empty ziplist.
        let empty = build_ziplist(&[]);
        assert_eq!(empty.len(), 11);
        assert_eq!(walk(&empty).unwrap(), Vec::<Vec<u8>>::new());
        // A zipmap with long lengths and free space.
        let pairs: Vec<(&[u8], &[u8])> = vec![(b"f", &big), (&big, b""), (b"", b"v")];
        let zm = build_zipmap(&pairs, 3);
        let got = walk_map(&zm).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].1, big);
        assert_eq!(got[1].0, big);
        assert_eq!(got[2], (b"".to_vec(), b"v".to_vec()));
    }

    #[test]
    fn unknown_count_is_counted() {
        let mut zl = build_ziplist(&[b"a", b"b"]);
        zl[8] = 0xff;
        zl[9] = 0xff;
        assert_eq!(walk(&zl).unwrap().len(), 2);
        zl[8] = 3;
        zl[9] = 0;
        assert!(walk(&zl).is_none());
        let mut zm = build_zipmap(&[(b"a", b"1")], 0);
        zm[0] = 254;
        assert_eq!(walk_map(&zm).unwrap().len(), 1);
        zm[0] = 2;
        assert!(walk_map(&zm).is_none());
    }

    #[test]
    fn malformed_blobs_are_rejected() {
        let zl = build_ziplist(&[b"hello", b"1234567", b"x"]);
        // Wrong zlbytes, tail, terminator, prevlen, invalid encoding.
        let mut m = zl.clone();
        m[0] += 1;
        assert!(walk(&m).is_none());
        let mut m = zl.clone();
        m[4] += 1;
        assert!(walk(&m).is_none());
        let mut m = zl.clone();
        let n = m.len();
        m[n - 1] = 0;
        assert!(walk(&m).is_none());
        let mut m = zl.clone();
        m[10 + 7] = 9; // prevlen of the 2nd entry
        assert!(walk(&m).is_none());
        let mut m = zl.clone();
        m[11] = 0xC1;
        assert!(walk(&m).is_none());
        // The callback can refuse.
        assert!(!ziplist_validate_and_walk(&zl, |v| !v.eq_bytes(b"x")));
        // Empty zipmap, zipmap running past its end.
        assert!(walk_map(b"\x00\xff").is_none());
        assert!(walk_map(b"\x01\x05ab\xff").is_none());
        assert!(walk_map(b"\x01\x01a\x01\x09b\xff").is_none());
        assert!(!zipmap_validate_and_walk(
            &build_zipmap(&[(b"a", b"1")], 0),
            |_, _| false
        ));
    }

    #[test]
    fn truncations_and_mutations_never_panic() {
        let big = vec![b'q'; 400];
        let zl = build_ziplist(&[b"a", &big, b"-5", b"70000", b"5000000000", b"b"]);
        let zm = build_zipmap(&[(b"k", &big), (b"k2", b"v2")], 2);
        for blob in [&zl, &zm] {
            for cut in 0..blob.len() {
                let _ = walk(&blob[..cut]);
                let _ = walk_map(&blob[..cut]);
            }
            for i in 0..blob.len() {
                for v in [0u8, 1, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xf0, 0xfe, 0xff] {
                    let mut m = blob.clone();
                    m[i] = v;
                    let _ = walk(&m);
                    let _ = walk_map(&m);
                }
            }
        }
        // Truncated blobs are never valid.
        for cut in 0..zl.len() {
            assert!(walk(&zl[..cut]).is_none(), "{cut}");
        }
        for cut in 0..zm.len() {
            assert!(walk_map(&zm[..cut]).is_none(), "{cut}");
        }
    }
}
