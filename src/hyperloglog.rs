//! HyperLogLog (Redis `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST, over Redis's two representations, byte for byte.
//!
//! # How it works
//! A HyperLogLog is an ordinary string value (TYPE says `string`, GET
//! returns its bytes), so a value made by redis-server can be SET here and
//! counted, and the other way round. The string is a 16-byte header
//! followed by 16384 registers (P = 14) in one of two encodings:
//!
//! ```text
//! +------+-----+-------+-----------------+------------------------------+
//! | HYLL | enc | 3 x 0 | card (8 B, LE)  | registers: dense or sparse   |
//! +------+-----+-------+-----------------+------------------------------+
//!   0..4   4     5..8     8..16             16..
//! ```
//!
//! * `enc` is 0 (dense) or 1 (sparse); anything else is refused.
//! * `card` caches the last cardinality computed by PFCOUNT. The top bit of
//!   its last byte (byte 15) set means "stale": every change sets it, and
//!   PFCOUNT of one key recomputes and stores it. Because the cache lives in
//!   the value, a single-key PFCOUNT that refreshes it is a write: it counts
//!   in `dirty` (so it is propagated) and touches WATCHed keys, as in Redis.
//! * **dense**: 16384 registers of 6 bits, 12288 bytes, register `i` at bit
//!   `6*i`, least significant bits first (it may straddle two bytes).
//! * **sparse**: a run-length code over the registers. `00xxxxxx` (ZERO) is
//!   1..64 zero registers; `01xxxxxx yyyyyyyy` (XZERO) 1..16384 zero
//!   registers; `1vvvvvxx` (VAL) 1..4 registers holding value 1..32. A new
//!   HLL is sparse: one XZERO covering all 16384 registers.
//!
//! An element is hashed with MurmurHash64A (Redis's seed `0xadc83b19`, the
//! little-endian reading of the 8-byte blocks); the low 14 bits choose the
//! register and the position of the lowest set bit of the remaining 50 bits
//! (counting from 1, at most 51) is the value the register is raised to.
//!
//! A sparse register update edits the run in place: a VAL already high
//! enough changes nothing; a VAL or ZERO of length 1 is overwritten; any
//! other run is split into at most three opcodes (up to 5 bytes). Then up to
//! five opcodes from the one before the edit are scanned and adjacent VALs
//! with the same value are joined when their lengths fit. The same steps in
//! the same order as Redis's `hllSparseSet` are what make the bytes equal to
//! Redis's. The value turns dense when a register needs more than 32, or
//! when the sparse string would grow past `hll-sparse-max-bytes` (header
//! included); it never turns back.
//!
//! The estimate is Otmar Ertl's improved raw estimator over the histogram of
//! register values ("New cardinality estimation algorithms for HyperLogLog
//! sketches", arXiv:1702.01284), as Redis 5+ computes it, with the same
//! floating-point operations in the same order, so PFCOUNT gives the same
//! number as redis-server for the same registers.
//!
//! # Errors
//! * a key of another type: the usual WRONGTYPE;
//! * a string that is not an HLL (an `int`-encoded string, shorter than the
//!   header, wrong magic, encoding > 1, a dense value whose length is not
//!   12304): `-WRONGTYPE Key is not a valid HyperLogLog string value.`;
//! * a corrupted sparse value: `-INVALIDOBJ Corrupted HLL object detected`.
//!   Counting one key sums the runs and wants exactly 16384 registers.
//!   Merging (PFCOUNT of several keys, PFMERGE) and turning dense refuse any
//!   run that would cross register 16384, whatever follows: this is the
//!   behaviour of the CVE-2025-32023 fix that Debian ships in its 7.0.15
//!   (the oracle), stricter than the upstream 7.0.15 tag. A PFADD finds the
//!   run covering its register and fails only when there is none. Opcode
//!   reads past the end of a truncated value see zero bytes (Redis reads its
//!   sds terminator there).
//!
//! Nothing here can panic on a corrupted value: every index is checked.
//!
//! # Latency
//! PFADD is O(1) per element on dense values and O(sparse length) (at most
//! `hll-sparse-max-bytes`) per element on sparse ones. PFCOUNT of one key is
//! O(1) with a fresh cache, else one pass over the registers; with several
//! keys, and PFMERGE, one pass per key. PFSELFTEST takes about a second, as
//! in Redis (10 million additions); it is an admin command.

use thin_vec::ThinVec;

use crate::commands::Handler;
use crate::db::{check_type, db_add, lookup_key_read, lookup_key_write, signal_modified_key};
use crate::networking::Client;
use crate::notify::{NOTIFY_STRING, notify_keyspace_event};
use crate::object::{ObjType, RObj, Value};
use crate::server::{Server, with_argv};

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("pfadd", pfadd_command),
    ("pfcount", pfcount_command),
    ("pfmerge", pfmerge_command),
    ("pfdebug", pfdebug_command),
    ("pfselftest", pfselftest_command),
];

// ---- Layout constants (Redis `HLL_*`) ----

/// Bits of the hash that select the register.
pub const HLL_P: u32 = 14;
/// Bits of the hash left for the run of zeros.
pub const HLL_Q: usize = 64 - HLL_P as usize;
/// Number of registers (16384).
pub const HLL_REGISTERS: usize = 1 << HLL_P;
const HLL_P_MASK: u64 = HLL_REGISTERS as u64 - 1;
/// Bits per dense register.
pub const HLL_BITS: usize = 6;
/// Largest value a dense register holds.
pub const HLL_REGISTER_MAX: u8 = (1 << HLL_BITS) - 1;
/// Header bytes: magic, encoding, 3 unused, 8 of cached cardinality.
pub const HLL_HDR_SIZE: usize = 16;
/// Bytes of a dense value, header included (12304).
pub const HLL_DENSE_SIZE: usize = HLL_HDR_SIZE + (HLL_REGISTERS * HLL_BITS).div_ceil(8);
/// Encoding byte of a dense value.
pub const HLL_DENSE: u8 = 0;
/// Encoding byte of a sparse value.
pub const HLL_SPARSE: u8 = 1;
const HLL_MAX_ENCODING: u8 = 1;
/// Offset of the encoding byte in the header.
const HLL_ENC_OFFSET: usize = 4;
/// Offset of the cached cardinality in the header.
const HLL_CARD_OFFSET: usize = 8;

const HLL_SPARSE_VAL_MAX_VALUE: u8 = 32;
const HLL_SPARSE_VAL_MAX_LEN: usize = 4;
const HLL_SPARSE_ZERO_MAX_LEN: usize = 64;
const HLL_SPARSE_XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2), the estimator's constant for m -> infinity.
const HLL_ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// MurmurHash64A seed Redis uses for HLL elements.
const HLL_HASH_SEED: u32 = 0xadc8_3b19;

/// Reply for a sparse value whose opcodes are inconsistent.
pub const INVALID_HLL_ERR: &str = "INVALIDOBJ Corrupted HLL object detected";
/// Reply for a string that is not an HLL at all.
pub const NOT_HLL_ERR: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";

// ---- Hashing ----

/// MurmurHash2, 64-bit version A, reading 8-byte blocks little-endian
/// whatever the host (Redis's endian-neutral `MurmurHash64A`).
pub fn murmurhash64a(key: &[u8], seed: u32) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = (seed as u64) ^ (key.len() as u64).wrapping_mul(M);
    let mut blocks = key.chunks_exact(8);
    for b in &mut blocks {
        let mut k = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `0..01` pattern
/// (1..=51) (Redis `hllPatLen`).
#[inline]
pub fn hll_pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmurhash64a(ele, HLL_HASH_SEED);
    let index = (hash & HLL_P_MASK) as usize;
    // The guard bit bounds the count at Q + 1.
    let rest = (hash >> HLL_P) | (1u64 << HLL_Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---- Dense registers ----

/// Register `i` of a dense register array (12288 bytes).
#[inline]
pub fn dense_get(r: &[u8], i: usize) -> u8 {
    let byte = i * HLL_BITS / 8;
    let fb = (i * HLL_BITS) & 7;
    let b0 = r[byte] as u32;
    // Only a register starting past bit 2 spills into the next byte (the
    // last register starts at bit 2, so `byte + 1` exists when read).
    let b1 = if fb > 2 { r[byte + 1] as u32 } else { 0 };
    (((b0 >> fb) | (b1 << (8 - fb))) & HLL_REGISTER_MAX as u32) as u8
}

/// Sets register `i` of a dense register array to `v` (0..=63).
#[inline]
pub fn dense_set(r: &mut [u8], i: usize, v: u8) {
    let byte = i * HLL_BITS / 8;
    let fb = (i * HLL_BITS) & 7;
    let v = v as u32 & HLL_REGISTER_MAX as u32;
    let mask = (HLL_REGISTER_MAX as u32) << fb;
    r[byte] = ((r[byte] as u32 & !mask) | (v << fb)) as u8;
    if fb > 2 {
        let hi = 8 - fb;
        r[byte + 1] = ((r[byte + 1] as u32 & !(HLL_REGISTER_MAX as u32 >> hi)) | (v >> hi)) as u8;
    }
}

/// Raises register `index` to `count` if it is lower; true when it changed
/// (Redis `hllDenseSet`).
#[inline]
fn hll_dense_set(r: &mut [u8], index: usize, count: u8) -> bool {
    if count > dense_get(r, index) {
        dense_set(r, index, count);
        true
    } else {
        false
    }
}

/// Calls `f` with each of the 16384 dense registers, in order, 4 at a time
/// from each 3 bytes.
#[inline]
fn for_each_dense(r: &[u8], mut f: impl FnMut(usize, u8)) {
    for (k, c) in r.chunks_exact(3).enumerate() {
        let x = c[0] as u32 | (c[1] as u32) << 8 | (c[2] as u32) << 16;
        let i = k * 4;
        f(i, (x & 63) as u8);
        f(i + 1, ((x >> 6) & 63) as u8);
        f(i + 2, ((x >> 12) & 63) as u8);
        f(i + 3, ((x >> 18) & 63) as u8);
    }
}

// ---- Sparse opcodes ----

#[inline]
fn byte_at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}
#[inline]
fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}
#[inline]
fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}
#[inline]
fn is_val(op: u8) -> bool {
    op & 0x80 != 0
}
#[inline]
fn zero_len(op: u8) -> usize {
    (op & 0x3f) as usize + 1
}
#[inline]
fn xzero_len(op: u8, next: u8) -> usize {
    (((op & 0x3f) as usize) << 8 | next as usize) + 1
}
#[inline]
fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}
#[inline]
fn val_len(op: u8) -> usize {
    (op & 0x3) as usize + 1
}
#[inline]
fn val_op(value: u8, len: usize) -> u8 {
    ((value - 1) << 2 | (len as u8 - 1)) | 0x80
}
#[inline]
fn zero_op(len: usize) -> u8 {
    (len - 1) as u8
}
#[inline]
fn xzero_ops(len: usize) -> [u8; 2] {
    let l = len - 1;
    [(l >> 8) as u8 | 0x40, (l & 0xff) as u8]
}

/// One decoded sparse opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A run of zero registers (ZERO or XZERO).
    Zero(usize),
    /// `len` registers holding `value`.
    Val(u8, usize),
}

/// Walks the sparse opcodes of `b[HLL_HDR_SIZE..]`, calling `f` with each
/// one. Bytes past the end read as zero (a truncated XZERO).
#[inline]
fn for_each_sparse(b: &[u8], mut f: impl FnMut(Op) -> bool) {
    let mut p = HLL_HDR_SIZE;
    while p < b.len() {
        let op = b[p];
        let o = if is_zero(op) {
            p += 1;
            Op::Zero(zero_len(op))
        } else if is_xzero(op) {
            let n = xzero_len(op, byte_at(b, p + 1));
            p += 2;
            Op::Zero(n)
        } else {
            p += 1;
            Op::Val(val_value(op), val_len(op))
        };
        if !f(o) {
            break;
        }
    }
}

// ---- Representation changes and updates ----

/// A new, empty HLL: sparse, one XZERO over all registers, cached
/// cardinality 0 (Redis `createHLLObject`).
pub fn create_hll_object() -> ThinVec<u8> {
    let mut s = ThinVec::with_capacity(HLL_HDR_SIZE + 2);
    s.extend_from_slice(b"HYLL");
    s.push(HLL_SPARSE);
    s.extend_from_slice(&[0u8; 11]);
    let mut left = HLL_REGISTERS;
    while left > 0 {
        let n = left.min(HLL_SPARSE_XZERO_MAX_LEN);
        s.extend_from_slice(&xzero_ops(n));
        left -= n;
    }
    s
}

/// Marks the cached cardinality stale.
#[inline]
fn invalidate_cache(b: &mut [u8]) {
    b[HLL_CARD_OFFSET + 7] |= 0x80;
}

/// Turns a sparse value dense in place (Redis `hllSparseToDense`). The header
/// (and so the cached cardinality) is kept. False, leaving the value
/// untouched, when the opcodes do not cover exactly 16384 registers. A
/// dense value is left as it is.
pub fn hll_sparse_to_dense(buf: &mut ThinVec<u8>) -> bool {
    if buf[HLL_ENC_OFFSET] == HLL_DENSE {
        return true;
    }
    let mut dense: ThinVec<u8> = ThinVec::with_capacity(HLL_DENSE_SIZE);
    dense.extend_from_slice(&buf[..HLL_HDR_SIZE]);
    dense.resize(HLL_DENSE_SIZE, 0);
    dense[HLL_ENC_OFFSET] = HLL_DENSE;
    let regs = &mut dense[HLL_HDR_SIZE..];
    let mut idx = 0usize;
    let mut valid = true;
    for_each_sparse(buf, |op| match op {
        Op::Zero(n) => {
            if idx + n > HLL_REGISTERS {
                valid = false;
                return false;
            }
            idx += n;
            true
        }
        Op::Val(v, n) => {
            if idx + n > HLL_REGISTERS {
                valid = false;
                return false;
            }
            for i in idx..idx + n {
                dense_set(regs, i, v);
            }
            idx += n;
            true
        }
    });
    if !valid || idx != HLL_REGISTERS {
        return false;
    }
    *buf = dense;
    true
}

/// What a register update did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetResult {
    /// The register already held at least the value.
    Unchanged,
    /// The register was raised (the cached cardinality is now stale).
    Updated,
    /// The sparse value is corrupted.
    Invalid,
}

/// Raises sparse register `index` to `count` in place, promoting the value
/// to dense when `count` > 32 or when the edit would make it longer than
/// `max_bytes` (Redis `hllSparseSet`, see the module docs for the steps).
pub fn hll_sparse_set(buf: &mut ThinVec<u8>, index: usize, count: u8, max_bytes: u64) -> SetResult {
    if count > HLL_SPARSE_VAL_MAX_VALUE {
        return promote(buf, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = buf.len();
    let mut p = HLL_HDR_SIZE;
    let mut first = 0usize;
    let mut prev: Option<usize> = None;
    let mut span = 0usize;
    while p < end {
        let op = buf[p];
        let mut oplen = 1;
        span = if is_zero(op) {
            zero_len(op)
        } else if is_val(op) {
            val_len(op)
        } else {
            oplen = 2;
            xzero_len(op, byte_at(buf, p + 1))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return SetResult::Invalid;
    }
    let op = buf[p];
    let next = if is_xzero(op) { p + 2 } else { p + 1 };
    let next = (next < end).then_some(next);

    // Step 2: the easy cases, in place.
    if is_val(op) {
        if val_value(op) >= count {
            return SetResult::Unchanged;
        }
        if val_len(op) == 1 {
            buf[p] = val_op(count, 1);
            return sparse_updated(buf, prev);
        }
    } else if is_zero(op) && zero_len(op) == 1 {
        buf[p] = val_op(count, 1);
        return sparse_updated(buf, prev);
    }

    // The general case: split the run into up to three opcodes.
    let mut seq = [0u8; 5];
    let mut n = 0;
    let last = first + span - 1;
    if !is_val(op) {
        let push_zero = |len: usize, seq: &mut [u8; 5], n: &mut usize| {
            if len > HLL_SPARSE_ZERO_MAX_LEN {
                seq[*n..*n + 2].copy_from_slice(&xzero_ops(len));
                *n += 2;
            } else {
                seq[*n] = zero_op(len);
                *n += 1;
            }
        };
        if index != first {
            push_zero(index - first, &mut seq, &mut n);
        }
        seq[n] = val_op(count, 1);
        n += 1;
        if index != last {
            push_zero(last - index, &mut seq, &mut n);
        }
    } else {
        let cur = val_value(op);
        if index != first {
            seq[n] = val_op(cur, index - first);
            n += 1;
        }
        seq[n] = val_op(count, 1);
        n += 1;
        if index != last {
            seq[n] = val_op(cur, last - index);
            n += 1;
        }
    }

    // Step 3: put the sequence in place of the old opcode.
    let oldlen: usize = if is_xzero(op) { 2 } else { 1 };
    let delta = n as isize - oldlen as isize;
    if delta > 0 && (end as u64).saturating_add(delta as u64) > max_bytes {
        return promote(buf, index, count);
    }
    let new_len = (end as isize + delta) as usize;
    if delta != 0
        && let Some(nx) = next
    {
        let to = (nx as isize + delta) as usize;
        if delta > 0 {
            buf.resize(end + delta as usize, 0);
        }
        buf.copy_within(nx..end, to);
    }
    // A truncated XZERO at the very end claims two bytes of which one
    // exists: the length arithmetic then drops the last written byte, as
    // Redis's does.
    let need = new_len.max(p + n);
    if buf.len() < need {
        buf.resize(need, 0);
    }
    buf[p..p + n].copy_from_slice(&seq[..n]);
    buf.truncate(new_len);
    sparse_updated(buf, prev)
}

/// Step 4 of a sparse update: joins adjacent VAL opcodes of equal value
/// whose lengths fit, scanning at most 5 opcodes from `prev` (or the first
/// opcode); then marks the cache stale.
fn sparse_updated(buf: &mut ThinVec<u8>, prev: Option<usize>) -> SetResult {
    let mut end = buf.len();
    let mut p = prev.unwrap_or(HLL_HDR_SIZE);
    let mut scan = 5;
    while p < end && scan > 0 {
        scan -= 1;
        let op = buf[p];
        if is_xzero(op) {
            p += 2;
            continue;
        } else if is_zero(op) {
            p += 1;
            continue;
        }
        if p + 1 < end && is_val(buf[p + 1]) {
            let v1 = val_value(op);
            let v2 = val_value(buf[p + 1]);
            if v1 == v2 {
                let len = val_len(op) + val_len(buf[p + 1]);
                if len <= HLL_SPARSE_VAL_MAX_LEN {
                    buf[p + 1] = val_op(v1, len);
                    buf.copy_within(p + 1..end, p);
                    end -= 1;
                    buf.truncate(end);
                    // Retry at the same place: the joined run may join the next one.
                    continue;
                }
            }
        }
        p += 1;
    }
    invalidate_cache(buf);
    SetResult::Updated
}

/// Promotes to dense, then raises the register there.
fn promote(buf: &mut ThinVec<u8>, index: usize, count: u8) -> SetResult {
    if !hll_sparse_to_dense(buf) {
        return SetResult::Invalid;
    }
    // The register is known to be below `count`: the update happens.
    hll_dense_set(&mut buf[HLL_HDR_SIZE..], index, count);
    SetResult::Updated
}

/// Adds one element to a validated HLL value (Redis `hllAdd`).
#[inline]
pub fn hll_add(buf: &mut ThinVec<u8>, ele: &[u8], max_bytes: u64) -> SetResult {
    let (index, count) = hll_pat_len(ele);
    match buf[HLL_ENC_OFFSET] {
        HLL_DENSE => {
            if hll_dense_set(&mut buf[HLL_HDR_SIZE..HLL_DENSE_SIZE], index, count) {
                SetResult::Updated
            } else {
                SetResult::Unchanged
            }
        }
        HLL_SPARSE => hll_sparse_set(buf, index, count, max_bytes),
        _ => SetResult::Invalid,
    }
}

// ---- Counting ----

/// A histogram of register values (index = value). Counts are u64 so that a
/// corrupted sparse value cannot overflow them.
pub type RegHisto = [u64; 64];

/// Histogram of a dense value's registers.
pub fn dense_reg_histo(regs: &[u8]) -> RegHisto {
    let mut h = [0u64; 64];
    for c in regs.chunks_exact(3) {
        let x = c[0] as u32 | (c[1] as u32) << 8 | (c[2] as u32) << 16;
        if x == 0 {
            h[0] += 4;
            continue;
        }
        h[(x & 63) as usize] += 1;
        h[((x >> 6) & 63) as usize] += 1;
        h[((x >> 12) & 63) as usize] += 1;
        h[((x >> 18) & 63) as usize] += 1;
    }
    h
}

/// Histogram of a sparse value's registers, and whether its opcodes cover
/// exactly 16384 registers (Redis `hllSparseRegHisto`).
pub fn sparse_reg_histo(b: &[u8]) -> (RegHisto, bool) {
    let mut h = [0u64; 64];
    let mut idx = 0u64;
    for_each_sparse(b, |op| {
        match op {
            Op::Zero(n) => h[0] += n as u64,
            Op::Val(v, n) => h[v as usize] += n as u64,
        }
        idx += match op {
            Op::Zero(n) | Op::Val(_, n) => n as u64,
        };
        true
    });
    (h, idx == HLL_REGISTERS as u64)
}

/// Histogram of an array of one byte per register (the union PFCOUNT builds).
pub fn raw_reg_histo(regs: &[u8]) -> RegHisto {
    let mut h = [0u64; 64];
    for w in regs.chunks_exact(8) {
        if w.iter().all(|&b| b == 0) {
            h[0] += 8;
        } else {
            for &b in w {
                h[(b & 63) as usize] += 1;
            }
        }
    }
    h
}

/// Ertl's sigma function.
fn hll_sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

/// Ertl's tau function.
fn hll_tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        // A NaN (never from a histogram of 16384 registers) also stops here.
        if prev == z || z.is_nan() {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate of a register histogram (Redis `hllCount`).
pub fn hll_count_histo(h: &RegHisto) -> u64 {
    let m = HLL_REGISTERS as f64;
    let mut z = m * hll_tau((m - h[HLL_Q + 1] as f64) / m);
    for j in (1..=HLL_Q).rev() {
        z += h[j] as f64;
        z *= 0.5;
    }
    z += m * hll_sigma(h[0] as f64 / m);
    (HLL_ALPHA_INF * m * m / z).round() as u64
}

/// The estimate of a validated value; None for a corrupted sparse one.
pub fn hll_count(b: &[u8]) -> Option<u64> {
    if b[HLL_ENC_OFFSET] == HLL_DENSE {
        Some(hll_count_histo(&dense_reg_histo(
            &b[HLL_HDR_SIZE..HLL_DENSE_SIZE],
        )))
    } else {
        let (h, valid) = sparse_reg_histo(b);
        valid.then(|| hll_count_histo(&h))
    }
}

/// `max[i] = max(max[i], register i)` over a validated value; false for a
/// corrupted sparse one (Redis `hllMerge`).
pub fn hll_merge(max: &mut [u8; HLL_REGISTERS], b: &[u8]) -> bool {
    if b[HLL_ENC_OFFSET] == HLL_DENSE {
        for_each_dense(&b[HLL_HDR_SIZE..HLL_DENSE_SIZE], |i, v| {
            if v > max[i] {
                max[i] = v;
            }
        });
        return true;
    }
    let mut i = 0usize;
    let mut valid = true;
    for_each_sparse(b, |op| match op {
        Op::Zero(n) => {
            if i + n > HLL_REGISTERS {
                valid = false;
                return false;
            }
            i += n;
            true
        }
        Op::Val(v, n) => {
            if i + n > HLL_REGISTERS {
                valid = false;
                return false;
            }
            for r in &mut max[i..i + n] {
                if v > *r {
                    *r = v;
                }
            }
            i += n;
            true
        }
    });
    valid && i == HLL_REGISTERS
}

// ---- Validation ----

/// The HLL bytes of a key's value, or None after replying WRONGTYPE (another
/// type) or "not a valid HyperLogLog" (Redis `isHLLObjectOrReply`).
fn hll_bytes_or_reply<'a>(c: &mut Client, o: &'a RObj) -> Option<&'a [u8]> {
    if check_type(c, o, ObjType::String) {
        return None;
    }
    let b: &[u8] = match &o.v {
        Value::Inline(b) => b.as_slice(),
        Value::Emb(b) => b,
        Value::Raw(v) => v,
        _ => &[],
    };
    let ok = matches!(o.v, Value::Inline(_) | Value::Emb(_) | Value::Raw(_))
        && b.len() >= HLL_HDR_SIZE
        && &b[..4] == b"HYLL"
        && b[HLL_ENC_OFFSET] <= HLL_MAX_ENCODING
        && (b[HLL_ENC_OFFSET] != HLL_DENSE || b.len() == HLL_DENSE_SIZE);
    if !ok {
        c.add_reply_error(NOT_HLL_ERR);
        return None;
    }
    Some(b)
}

// ---- Commands ----

/// PFADD key [element ...] → `:1` if the key was created or a register
/// changed, else `:0`. Fires `pfadd` (string class) when it changes
/// anything; `dirty` grows by the number of changes. Errors: WRONGTYPE,
/// the "not a valid HyperLogLog" WRONGTYPE, INVALIDOBJ (elements before the
/// corruption was met stay added, unannounced, as in Redis).
pub fn pfadd_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let key = &argv[1][..];
        let max_bytes = srv.config.hll_sparse_max_bytes;
        let add_all = |buf: &mut ThinVec<u8>| -> Option<i64> {
            let mut updated = 0;
            for ele in &argv[2..] {
                match hll_add(buf, ele, max_bytes) {
                    SetResult::Updated => updated += 1,
                    SetResult::Unchanged => {}
                    SetResult::Invalid => return None,
                }
            }
            Some(updated)
        };
        let updated = match lookup_key_write(srv, db, key) {
            Some(o) => {
                if hll_bytes_or_reply(c, o).is_none() {
                    return;
                }
                let buf = o.v.make_raw();
                let Some(n) = add_all(buf) else {
                    return c.add_reply_error(INVALID_HLL_ERR);
                };
                if n > 0 {
                    invalidate_cache(buf);
                }
                n
            }
            None => {
                // Built before it is added: a new value cannot be corrupted.
                let mut buf = create_hll_object();
                let n = add_all(&mut buf).unwrap_or(0) + 1;
                invalidate_cache(&mut buf);
                db_add(srv, db, key, Value::Raw(buf));
                n
            }
        };
        if updated > 0 {
            signal_modified_key(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_STRING, "pfadd", key, db);
            srv.dirty += updated;
        }
        c.add_reply_long_long(if updated > 0 { 1 } else { 0 });
    });
}

/// PFCOUNT key [key ...] → integer estimate. One key: the cached value, or
/// a fresh estimate stored back in the header (a change: `dirty` + 1 and
/// WATCH is touched, no event). Several keys: the estimate of their union,
/// nothing stored. Missing keys count as empty. Errors as PFADD.
pub fn pfcount_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        if argv.len() > 2 {
            let mut max = Box::new([0u8; HLL_REGISTERS]);
            for key in &argv[1..] {
                let Some(o) = lookup_key_read(srv, db, key) else {
                    continue;
                };
                let Some(b) = hll_bytes_or_reply(c, o) else {
                    return;
                };
                if !hll_merge(&mut max, b) {
                    return c.add_reply_error(INVALID_HLL_ERR);
                }
            }
            let h = raw_reg_histo(&max[..]);
            return c.add_reply_long_long(hll_count_histo(&h) as i64);
        }
        let key = &argv[1][..];
        let Some(o) = lookup_key_read(srv, db, key) else {
            return c.add_reply_long_long(0);
        };
        if hll_bytes_or_reply(c, o).is_none() {
            return;
        }
        let buf = o.v.make_raw();
        let card_bytes = &buf[HLL_CARD_OFFSET..HLL_CARD_OFFSET + 8];
        if card_bytes[7] & 0x80 == 0 {
            let mut a = [0u8; 8];
            a.copy_from_slice(card_bytes);
            return c.add_reply_long_long(u64::from_le_bytes(a) as i64);
        }
        let Some(card) = hll_count(buf) else {
            return c.add_reply_error(INVALID_HLL_ERR);
        };
        buf[HLL_CARD_OFFSET..HLL_CARD_OFFSET + 8].copy_from_slice(&card.to_le_bytes());
        signal_modified_key(srv, db, key);
        srv.dirty += 1;
        c.add_reply_long_long(card as i64);
    });
}

/// PFMERGE destkey [sourcekey ...] → `+OK`: the destination (itself one of
/// the inputs) becomes the register-wise maximum of all the inputs; it is
/// made dense first when any input is dense. Fires `pfadd` on the
/// destination. Errors as PFADD, checked before anything is written.
pub fn pfmerge_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let max_bytes = srv.config.hll_sparse_max_bytes;
        let mut max = Box::new([0u8; HLL_REGISTERS]);
        let mut use_dense = false;
        for key in &argv[1..] {
            let Some(o) = lookup_key_read(srv, db, key) else {
                continue;
            };
            let Some(b) = hll_bytes_or_reply(c, o) else {
                return;
            };
            if b[HLL_ENC_OFFSET] == HLL_DENSE {
                use_dense = true;
            }
            if !hll_merge(&mut max, b) {
                return c.add_reply_error(INVALID_HLL_ERR);
            }
        }
        let key = &argv[1][..];
        match lookup_key_write(srv, db, key) {
            Some(o) => {
                // Validated above: the destination is one of the inputs.
                if !merge_into(o.v.make_raw(), &max, use_dense, max_bytes) {
                    return c.add_reply_error(INVALID_HLL_ERR);
                }
            }
            None => {
                let mut buf = create_hll_object();
                merge_into(&mut buf, &max, use_dense, max_bytes);
                db_add(srv, db, key, Value::Raw(buf));
            }
        }
        signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_STRING, "pfadd", key, db);
        srv.dirty += 1;
        c.add_reply_ok();
    });
}

/// Writes the register maxima `max` into the HLL `buf` (dense first when
/// `use_dense`) and marks its cache stale, as the end of Redis's
/// `pfmergeCommand` does. False when `buf` is a corrupted sparse value that
/// cannot be made dense.
fn merge_into(
    buf: &mut ThinVec<u8>,
    max: &[u8; HLL_REGISTERS],
    use_dense: bool,
    max_bytes: u64,
) -> bool {
    if use_dense && !hll_sparse_to_dense(buf) {
        return false;
    }
    for (j, &v) in max.iter().enumerate() {
        if v == 0 {
            continue;
        }
        if buf[HLL_ENC_OFFSET] == HLL_DENSE {
            hll_dense_set(&mut buf[HLL_HDR_SIZE..HLL_DENSE_SIZE], j, v);
        } else {
            // As in Redis, a corruption found here is not reported.
            let _ = hll_sparse_set(buf, j, v, max_bytes);
        }
    }
    invalidate_cache(buf);
    true
}

/// PFDEBUG <subcommand> key (Redis `pfdebugCommand`), on an existing HLL:
/// * `GETREG` → array of the 16384 register values (a sparse value is made
///   dense first, which counts as a change);
/// * `DECODE` → bulk `z:N`, `Z:N`, `v:VALUE,N` per sparse opcode, space
///   separated; "ERR HLL encoding is not sparse" for a dense value;
/// * `ENCODING` → `+dense` / `+sparse`;
/// * `TODENSE` → `:1` if it converted (a change), `:0` if already dense.
///
/// Errors: "ERR The specified key does not exist", the validation errors,
/// "ERR Unknown PFDEBUG subcommand '<name>'" (after the key checks).
pub fn pfdebug_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let cmd = &argv[1][..];
        let Some(o) = lookup_key_write(srv, db, &argv[2]) else {
            return c.add_reply_error("ERR The specified key does not exist");
        };
        if hll_bytes_or_reply(c, o).is_none() {
            return;
        }
        let buf = o.v.make_raw();
        let mut changed = false;
        if cmd.eq_ignore_ascii_case(b"getreg") {
            if buf[HLL_ENC_OFFSET] == HLL_SPARSE {
                if !hll_sparse_to_dense(buf) {
                    return c.add_reply_error(INVALID_HLL_ERR);
                }
                changed = true;
            }
            c.add_reply_array_len(HLL_REGISTERS);
            for_each_dense(&buf[HLL_HDR_SIZE..HLL_DENSE_SIZE], |_, v| {
                c.add_reply_long_long(v as i64)
            });
        } else if cmd.eq_ignore_ascii_case(b"decode") {
            if buf[HLL_ENC_OFFSET] != HLL_SPARSE {
                return c.add_reply_error("ERR HLL encoding is not sparse");
            }
            let mut out = Vec::new();
            let mut p = HLL_HDR_SIZE;
            while p < buf.len() {
                use std::io::Write;
                let op = buf[p];
                let _ = if is_zero(op) {
                    p += 1;
                    write!(out, "z:{} ", zero_len(op))
                } else if is_xzero(op) {
                    let n = xzero_len(op, byte_at(buf, p + 1));
                    p += 2;
                    write!(out, "Z:{n} ")
                } else {
                    p += 1;
                    write!(out, "v:{},{} ", val_value(op), val_len(op))
                };
            }
            if out.last() == Some(&b' ') {
                out.pop();
            }
            c.add_reply_bulk(&out);
        } else if cmd.eq_ignore_ascii_case(b"encoding") {
            c.add_reply_status(if buf[HLL_ENC_OFFSET] == HLL_DENSE {
                "dense"
            } else {
                "sparse"
            });
        } else if cmd.eq_ignore_ascii_case(b"todense") {
            if buf[HLL_ENC_OFFSET] == HLL_SPARSE {
                if !hll_sparse_to_dense(buf) {
                    return c.add_reply_error(INVALID_HLL_ERR);
                }
                changed = true;
            }
            c.add_reply_long_long(changed as i64);
        } else {
            // Redis prints the name with %s: it stops at a NUL byte.
            let name = cmd.split(|&b| b == 0).next().unwrap_or_default();
            let msg = format!(
                "ERR Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(name)
            );
            return c.add_reply_error(&msg);
        }
        if changed {
            srv.dirty += 1;
        }
    });
}

/// Register-access rounds of PFSELFTEST (Redis `HLL_TEST_CYCLES`).
const HLL_TEST_CYCLES: usize = 1000;

/// PFSELFTEST → `+OK`, or `-ERR TESTFAILED ...` (Redis `pfselftestCommand`):
/// 1000 rounds of random dense register writes read back; then 10 million
/// distinct elements added to a dense and to a sparse HLL at once, checking
/// at 1, 10, 100, ... that the sparse one is still sparse while small
/// (below `hll-sparse-max-bytes` / 2 elements), that both estimate the same,
/// and that the error is within 6 standard errors (1 at 10 elements).
///
/// # Latency
/// About a second of CPU; admin only, as in Redis.
pub fn pfselftest_command(srv: &mut Server, c: &mut Client) {
    match hll_selftest(srv.config.hll_sparse_max_bytes) {
        Ok(()) => c.add_reply_ok(),
        Err(msg) => c.add_reply_error(&format!("ERR TESTFAILED {msg}")),
    }
}

/// The body of PFSELFTEST: the failure text after "TESTFAILED ".
fn hll_selftest(max_bytes: u64) -> Result<(), String> {
    use rand::RngExt;
    let mut rng = rand::rng();
    let mut regs = vec![0u8; HLL_DENSE_SIZE - HLL_HDR_SIZE];
    let mut bytes = vec![0u8; HLL_REGISTERS];
    for _ in 0..HLL_TEST_CYCLES {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = rng.random::<u8>() & HLL_REGISTER_MAX;
            *b = r;
            dense_set(&mut regs, i, r);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = dense_get(&regs, i);
            if v != b {
                return Err(format!("Register {i} should be {b} but is {v}"));
            }
        }
    }

    regs.fill(0);
    let mut sparse = create_hll_object();
    let relerr = 1.04 / (HLL_REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed: u64 = rng.random();
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let (index, count) = hll_pat_len(&ele);
        hll_dense_set(&mut regs, index, count);
        let _ = hll_add(&mut sparse, &ele, max_bytes);
        if j != checkpoint {
            continue;
        }
        if j < max_bytes / 2 && sparse[HLL_ENC_OFFSET] != HLL_SPARSE {
            return Err("sparse encoding not used".to_string());
        }
        let dense_card = hll_count_histo(&dense_reg_histo(&regs));
        if hll_count(&sparse) != Some(dense_card) {
            return Err("dense/sparse disagree".to_string());
        }
        let abserr = (checkpoint as i64 - dense_card as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!("Too big error. card:{checkpoint} abserr:{abserr}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_hll() -> ThinVec<u8> {
        create_hll_object()
    }

    fn decode(b: &[u8]) -> Vec<Op> {
        let mut v = Vec::new();
        for_each_sparse(b, |op| {
            v.push(op);
            true
        });
        v
    }

    #[test]
    fn pattern_lengths_match_redis() {
        // Register and count redis-server 7.0.15 reports (PFDEBUG DECODE
        // after a single PFADD) for inputs with and without a tail and
        // with one or two 8-byte blocks.
        let cases: &[(&[u8], usize, u8)] = &[
            (b"", 5938, 2),
            (b"a", 12711, 2),
            (b"foo", 7348, 5),
            (b"1234567", 10327, 3),
            (b"hello world!", 8716, 3),
            (b"0123456789abcdef", 5949, 1),
        ];
        for &(e, idx, count) in cases {
            assert_eq!(
                hll_pat_len(e),
                (idx, count),
                "{:?}",
                String::from_utf8_lossy(e)
            );
        }
    }

    #[test]
    fn empty_hll_layout() {
        let h = new_hll();
        assert_eq!(&h[..], b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        assert_eq!(hll_count(&h), Some(0));
    }

    #[test]
    fn dense_registers_roundtrip() {
        let mut r = vec![0u8; HLL_DENSE_SIZE - HLL_HDR_SIZE];
        for i in 0..HLL_REGISTERS {
            dense_set(&mut r, i, (i % 64) as u8);
        }
        for i in 0..HLL_REGISTERS {
            assert_eq!(dense_get(&r, i), (i % 64) as u8);
        }
        let mut seen = 0;
        for_each_dense(&r, |i, v| {
            assert_eq!(v, (i % 64) as u8);
            seen += 1;
        });
        assert_eq!(seen, HLL_REGISTERS);
        let h = dense_reg_histo(&r);
        assert_eq!(h.iter().sum::<u64>(), HLL_REGISTERS as u64);
        assert_eq!(h[5], 256);
    }

    #[test]
    fn sparse_split_and_join() {
        let mut h = new_hll();
        assert_eq!(hll_sparse_set(&mut h, 100, 3, 3000), SetResult::Updated);
        assert_eq!(
            decode(&h),
            vec![Op::Zero(100), Op::Val(3, 1), Op::Zero(16283)]
        );
        // Zero(100) is XZERO (> 64), the rest XZERO too.
        assert_eq!(h.len(), HLL_HDR_SIZE + 5);
        assert_eq!(h[15] & 0x80, 0x80);
        assert_eq!(hll_sparse_set(&mut h, 100, 2, 3000), SetResult::Unchanged);
        assert_eq!(hll_sparse_set(&mut h, 101, 3, 3000), SetResult::Updated);
        assert_eq!(
            decode(&h),
            vec![Op::Zero(100), Op::Val(3, 2), Op::Zero(16282)]
        );
        assert_eq!(hll_sparse_set(&mut h, 99, 3, 3000), SetResult::Updated);
        assert_eq!(
            decode(&h),
            vec![Op::Zero(99), Op::Val(3, 3), Op::Zero(16282)]
        );
        // Splitting a VAL run.
        assert_eq!(hll_sparse_set(&mut h, 100, 7, 3000), SetResult::Updated);
        assert_eq!(
            decode(&h),
            vec![
                Op::Zero(99),
                Op::Val(3, 1),
                Op::Val(7, 1),
                Op::Val(3, 1),
                Op::Zero(16282)
            ]
        );
        // Too big for sparse: promoted.
        assert_eq!(hll_sparse_set(&mut h, 5, 40, 3000), SetResult::Updated);
        assert_eq!(h[HLL_ENC_OFFSET], HLL_DENSE);
        assert_eq!(h.len(), HLL_DENSE_SIZE);
        let r = &h[HLL_HDR_SIZE..];
        assert_eq!(dense_get(r, 5), 40);
        assert_eq!(dense_get(r, 99), 3);
        assert_eq!(dense_get(r, 100), 7);
        assert_eq!(dense_get(r, 101), 3);
        assert_eq!(dense_get(r, 102), 0);
    }

    #[test]
    fn sparse_and_dense_agree_and_promote_on_size() {
        let mut s = new_hll();
        let mut d = new_hll();
        assert!(hll_sparse_to_dense(&mut d));
        for i in 0..5000u32 {
            let e = i.to_le_bytes();
            hll_add(&mut s, &e, 3000);
            hll_add(&mut d, &e, 3000);
            if i % 97 == 0 {
                assert_eq!(hll_count(&s), hll_count(&d));
            }
            assert!(s.len() <= 3000 || s[HLL_ENC_OFFSET] == HLL_DENSE);
        }
        assert_eq!(s[HLL_ENC_OFFSET], HLL_DENSE);
        assert_eq!(&s[HLL_HDR_SIZE..], &d[HLL_HDR_SIZE..]);
        let est = hll_count(&d).unwrap_or(0) as f64;
        assert!((est - 5000.0).abs() < 5000.0 * 0.05);
    }

    #[test]
    fn corrupted_sparse_is_detected_without_panic() {
        let mut h = new_hll();
        hll_add(&mut h, b"a", 3000);
        h.extend_from_slice(b"hello");
        assert_eq!(hll_count(&h), None);
        let mut m = [0u8; HLL_REGISTERS];
        assert!(!hll_merge(&mut m, &h));
        let mut t = h.clone();
        assert!(!hll_sparse_to_dense(&mut t));
        // Arbitrary bytes never panic.
        let mut seed = 12345u64;
        for _ in 0..2000 {
            let mut v = new_hll();
            for k in 0..40u32 {
                hll_add(&mut v, &k.to_le_bytes(), 3000);
            }
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let pos = HLL_HDR_SIZE + (seed as usize % (v.len() - HLL_HDR_SIZE));
                v[pos] = (seed >> 32) as u8;
            }
            let _ = hll_count(&v);
            let _ = hll_merge(&mut m, &v);
            for k in 0..20u32 {
                let _ = hll_add(&mut v, &(k * 7919).to_le_bytes(), 3000);
            }
        }
        // A truncated XZERO at the end.
        let mut v = ThinVec::new();
        v.extend_from_slice(&h[..HLL_HDR_SIZE]);
        v.push(0x7f);
        let _ = hll_sparse_set(&mut v, 10, 3, 3000);
    }

    #[test]
    fn selftest_passes() {
        assert_eq!(hll_selftest(3000), Ok(()));
    }
}
