//! Bitmaps (Redis `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD, BITFIELD_RO. Issue 9.
//!
//! # The bit model
//! A bitmap is an ordinary string value. Bit 0 is the most significant bit
//! of byte 0, bit 7 its least significant one, bit 8 the top bit of byte 1,
//! and so on: the string read left to right, each byte from its high bit
//! down. A bitfield of `n` bits at offset `o` is the `n` bits `o..o+n` read
//! in that order as a big-endian integer, whatever its alignment (so a
//! byte-aligned `u8`/`i16`/... field is plain big-endian). Integer-encoded
//! strings are read as their decimal text, as every string command does.
//!
//! # Writes
//! The writers (SETBIT, BITFIELD with SET/INCRBY) first make room: a missing
//! key is created as a zero-filled `raw` string just long enough for the
//! highest bit they touch; an existing one is turned `raw` (Redis
//! `dbUnshareStringValue`, so OBJECT ENCODING says `raw` afterwards even if
//! no bit changed) and zero-padded to that length (`lookup_string_for_bit_command`).
//! The key counts as changed (WATCH, client-side caching, the `setbit`
//! keyspace event, `dirty`, propagation of the command as it was sent) only
//! when it was created, grew, or a bit actually flipped, as in Redis 7.0;
//! a write that changes nothing is not propagated.
//!
//! BITOP computes its result in a new buffer and stores it with `setKey`
//! semantics (the TTL goes, the event is `set`); an all-empty result
//! deletes the destination instead (`del`).
//!
//! # Limits
//! A bit offset must be a non-negative integer whose byte (`offset >> 3`)
//! is below `proto-max-bulk-len` (512MB by default), else "ERR bit offset
//! is not an integer or out of range". That bound is Redis 7.0's 512MB
//! check for the bit commands: `SETBIT k 4294967296 1` is refused before
//! anything is allocated (strings grown by SETRANGE/APPEND get "string
//! exceeds maximum allowed size" instead, in `t_string.rs`). Commands
//! replayed from the AOF skip the bound, as Redis's `mustObeyClient` does.
//!
//! # Range rules
//! BITCOUNT and BITPOS take GETRANGE-like inclusive `start end` indexes,
//! counted in bytes or, with `BIT`, in bits: negative ones count from the
//! end, then both are clamped into the string. BITPOS looking for a 0 with
//! no explicit end treats the string as followed by zeros (the answer may
//! be the first bit past the end); with an explicit end it answers -1 when
//! the range holds no 0.
//!
//! # BITFIELD overflow
//! INCRBY (and SET of a value that does not fit) overflows according to the
//! current `OVERFLOW` mode: WRAP keeps the low bits (two's complement for
//! signed fields), SAT clamps to the type's min/max, FAIL skips the write and
//! replies a null for that operation. [`check_unsigned_bitfield_overflow`]
//! and [`check_signed_bitfield_overflow`] follow Redis's tests exactly,
//! including its treatment of `i64` increments at the 64-bit edges.
//!
//! # Latency
//! SETBIT/GETBIT and each BITFIELD operation are O(1) (plus the zero-fill
//! when a string grows); BITCOUNT and BITPOS are O(N) in the bytes of the
//! range, scanned a machine word at a time; BITOP is O(N * keys) in the
//! longest source, in loops simple enough for the compiler to vectorize.
//!
//! # Limitations
//! As in Redis, an offset accepted under a large `proto-max-bulk-len` (or
//! replayed from the AOF) allocates the whole string up to it; an
//! allocation the machine cannot satisfy ends the process, as Redis's
//! `zmalloc` out-of-memory handler does.

use crate::commands::Handler;
use crate::db::{
    check_type, db_add, db_delete, lookup_key_read, lookup_key_write, set_key, signal_modified_key,
};
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, NOTIFY_STRING, notify_keyspace_event};
use crate::object::{ObjType, Value};
use crate::server::{Server, with_argv};
use crate::shared;
use crate::util::string2ll;

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("setbit", setbit_command),
    ("getbit", getbit_command),
    ("bitcount", bitcount_command),
    ("bitpos", bitpos_command),
    ("bitop", bitop_command),
    ("bitfield", bitfield_command),
    ("bitfield_ro", bitfield_ro_command),
];

const ERR_BIT_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const ERR_BIT_VALUE: &str = "ERR bit is not an integer or out of range";
const ERR_BITFIELD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

// ---- Argument parsing ----

/// Redis `getBitOffsetFromArgument`: parses a bit offset. With `hash` (the
/// BITFIELD form) a leading `#` multiplies the number by `bits` (`#2` of an
/// `i8` is bit 16). Errors ("ERR bit offset is not an integer or out of
/// range") when it is not an integer, negative, or its byte would be at or
/// past `max_bulk` (`proto-max-bulk-len`), unless `obey` (AOF replay).
pub fn get_bit_offset(arg: &[u8], hash: bool, bits: u32, max_bulk: i64, obey: bool) -> Option<u64> {
    let use_hash = hash && bits > 0 && arg.first() == Some(&b'#');
    let num = if use_hash { &arg[1..] } else { arg };
    let mut off = string2ll(num)?;
    if use_hash {
        // Redis multiplies without an overflow check; a wrapped product
        // is then refused (or accepted) by the same bound as any offset.
        off = off.wrapping_mul(bits as i64);
    }
    if off < 0 || (!obey && (off >> 3) >= max_bulk) {
        return None;
    }
    Some(off as u64)
}

/// Redis `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`, as
/// (signed, bits). Like Redis, the width is read up to the first NUL byte.
pub fn get_bitfield_type(arg: &[u8]) -> Option<(bool, u32)> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return None,
    };
    let rest = &arg[1..];
    let rest = match rest.iter().position(|&b| b == 0) {
        Some(n) => &rest[..n],
        None => rest,
    };
    let bits = string2ll(rest)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return None;
    }
    Some((signed, bits as u32))
}

use crate::networking::must_obey_client;

// ---- Bit primitives ----

/// Number of set bits in `s` (Redis `redisPopcount`), a word at a time.
pub fn popcount(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut n: u64 = 0;
    for ch in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(ch);
        n += u64::from_ne_bytes(w).count_ones() as u64;
    }
    n + chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>()
}

/// Position of the first bit equal to `bit` among bits `from..=to` of `s`
/// (both within `s.len() * 8`), or None.
pub fn find_bit(s: &[u8], bit: bool, from: u64, to: u64) -> Option<u64> {
    if from > to {
        return None;
    }
    // Bytes that cannot hold a match are skipped whole.
    let skip = if bit { 0u8 } else { 0xff };
    let (first, last) = ((from >> 3) as usize, (to >> 3) as usize);
    let mut i = first;
    while i <= last {
        // Whole words inside the range, once aligned to the range start.
        if i > first && i + 8 <= last {
            let mut w = [0u8; 8];
            w.copy_from_slice(&s[i..i + 8]);
            if w == [skip; 8] {
                i += 8;
                continue;
            }
        }
        let b = s[i];
        if b != skip || i == first || i == last {
            let lo = if i == first { from & 7 } else { 0 };
            let hi = if i == last { to & 7 } else { 7 };
            for k in lo..=hi {
                if ((b >> (7 - k)) & 1 == 1) == bit {
                    return Some(((i as u64) << 3) + k);
                }
            }
        }
        i += 1;
    }
    None
}

/// Reads the `bits`-wide unsigned field at bit `offset` of `p` (Redis
/// `getUnsignedBitfield`); every bit read must lie inside `p`.
pub fn get_unsigned_bitfield(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v: u64 = 0;
    for j in 0..bits as u64 {
        let o = offset + j;
        let b = (p[(o >> 3) as usize] >> (7 - (o & 7))) & 1;
        v = (v << 1) | b as u64;
    }
    v
}

/// Reads the `bits`-wide two's-complement field at bit `offset` (Redis
/// `getSignedBitfield`).
pub fn get_signed_bitfield(p: &[u8], offset: u64, bits: u32) -> i64 {
    let u = get_unsigned_bitfield(p, offset, bits);
    if bits < 64 && u & (1u64 << (bits - 1)) != 0 {
        (u | (u64::MAX << bits)) as i64
    } else {
        u as i64
    }
}

/// Writes the low `bits` bits of `value` at bit `offset` of `p` (Redis
/// `setUnsignedBitfield`; signed values are written as their two's
/// complement bits, Redis `setSignedBitfield`).
pub fn set_unsigned_bitfield(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let bitval = (value >> (bits as u64 - 1 - j)) & 1;
        let o = offset + j;
        let shift = 7 - (o & 7);
        let byte = &mut p[(o >> 3) as usize];
        *byte = (*byte & !(1u8 << shift)) | ((bitval as u8) << shift);
    }
}

/// BITFIELD OVERFLOW modes (Redis `BFOVERFLOW_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// Redis `checkUnsignedBitfieldOverflow`: does `value + incr` fit in an
/// unsigned field of `bits` bits? `None` if it does; else `Some(result)`,
/// the value to store under `mode` (the wrapped low bits, or the saturated
/// max/0; meaningless for FAIL, which stores nothing).
pub fn check_unsigned_bitfield_overflow(
    value: u64,
    incr: i64,
    bits: u32,
    mode: Overflow,
) -> Option<u64> {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = (value as i64).wrapping_neg();
    let wrap = || {
        let res = value.wrapping_add(incr as u64);
        if bits == 64 {
            res
        } else {
            res & !(u64::MAX << bits)
        }
    };
    if value > max || (incr > 0 && incr > maxincr) {
        Some(match mode {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if incr < 0 && incr < minincr {
        Some(match mode {
            Overflow::Wrap => wrap(),
            _ => 0,
        })
    } else {
        None
    }
}

/// Redis `checkSignedBitfieldOverflow`: does `value + incr` fit in a signed
/// field of `bits` bits? `None` if it does; else `Some(result)` as for
/// [`check_unsigned_bitfield_overflow`] (wrapped two's complement, or the
/// type's max/min).
pub fn check_signed_bitfield_overflow(
    value: i64,
    incr: i64,
    bits: u32,
    mode: Overflow,
) -> Option<i64> {
    let max: i64 = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrap = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        Some(match mode {
            Overflow::Wrap => wrap(),
            _ => max,
        })
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        Some(match mode {
            Overflow::Wrap => wrap(),
            _ => min,
        })
    } else {
        None
    }
}

// ---- Shared lookups ----

/// Redis `lookupStringForBitCommand`: the string at `key` made writable and
/// at least `maxbit / 8 + 1` bytes long (a missing key is created zero
/// filled, `raw`; an existing one is turned `raw` and zero-padded). Replies
/// WRONGTYPE and returns None for another type; otherwise returns whether
/// the key was created or grew.
fn lookup_string_for_bit_command(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    maxbit: u64,
) -> Option<bool> {
    let db = c.db;
    let need = (maxbit >> 3) as usize + 1;
    match lookup_key_write(srv, db, key) {
        None => {
            db_add(srv, db, key, Value::Raw(crate::object::raw_zeroed(need)));
            Some(true)
        }
        Some(o) => {
            if check_type(c, o, ObjType::String) {
                return None;
            }
            let buf = o.v.make_raw_room(need);
            if buf.len() < need {
                buf.resize(need, 0);
                Some(true)
            } else {
                Some(false)
            }
        }
    }
}

// ---- SETBIT / GETBIT ----

/// The bit offset argument of SETBIT/GETBIT (no `#`), or `None` after
/// replying "ERR bit offset is not an integer or out of range".
fn plain_bit_offset_or_reply(srv: &Server, c: &mut Client, arg: &[u8]) -> Option<u64> {
    let off = get_bit_offset(
        arg,
        false,
        0,
        srv.config.proto_max_bulk_len,
        must_obey_client(c),
    );
    if off.is_none() {
        c.add_reply_error(ERR_BIT_OFFSET);
    }
    off
}

/// SETBIT key offset value → integer: the bit's previous value (0 or 1).
/// Grows (or creates) the string as needed, zero-padded; the value becomes
/// `raw`. Errors: "ERR bit offset is not an integer or out of range"
/// (negative, not an integer, or at/after 2^32 bits with the default
/// `proto-max-bulk-len`), "ERR bit is not an integer or out of range"
/// (value other than 0/1), WRONGTYPE. Fires `setbit` when the key changed.
pub fn setbit_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(off) = plain_bit_offset_or_reply(srv, c, &argv[2]) else {
            return;
        };
        let on = match string2ll(&argv[3]) {
            Some(v @ (0 | 1)) => v as u8,
            _ => return c.add_reply_error(ERR_BIT_VALUE),
        };
        let key = &argv[1][..];
        let Some(grew) = lookup_string_for_bit_command(srv, c, key, off) else {
            return;
        };
        let db = c.db;
        let Some(o) = srv.dbs[db].dict.get_mut(key) else {
            return;
        };
        let buf = o.v.make_raw();
        let byte = (off >> 3) as usize;
        let shift = 7 - (off & 7) as u8;
        let old = (buf[byte] >> shift) & 1;
        if grew || old != on {
            buf[byte] = (buf[byte] & !(1 << shift)) | (on << shift);
            signal_modified_key(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_STRING, "setbit", key, db);
            srv.dirty += 1;
        }
        c.add_reply_long_long(old as i64);
    });
}

/// GETBIT key offset → integer: the bit (0 past the end or for a missing
/// key). Errors: "ERR bit offset is not an integer or out of range"
/// (checked before the key), WRONGTYPE.
pub fn getbit_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(off) = plain_bit_offset_or_reply(srv, c, &argv[2]) else {
            return;
        };
        let db = c.db;
        let Some(o) = lookup_key_read(srv, db, &argv[1]) else {
            return c.add_reply_long_long(0);
        };
        if check_type(c, o, ObjType::String) {
            return;
        }
        let mut t = itoa::Buffer::new();
        let s = o.v.as_bytes(&mut t);
        let byte = (off >> 3) as usize;
        let bit = s.get(byte).map(|b| (b >> (7 - (off & 7))) & 1).unwrap_or(0);
        c.add_reply_long_long(bit as i64);
    });
}

// ---- BITCOUNT / BITPOS ----

/// `BIT` or `BYTE` (case-insensitive): Some(true) for BIT.
fn parse_bit_unit(arg: &[u8]) -> Option<bool> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Some(false)
    } else {
        None
    }
}

/// Clamps inclusive `start`/`end` (negative counts from the end) into
/// `0..total`, as BITCOUNT and BITPOS do; `end` may come out as -1 for an
/// empty string, which callers see as `start > end`.
fn clamp_range(total: i64, start: i64, end: i64) -> (i64, i64) {
    let mut start = if start < 0 { total + start } else { start };
    let mut end = if end < 0 { total + end } else { end };
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= total {
        end = total - 1;
    }
    (start, end)
}

/// BITCOUNT key [start end [BYTE|BIT]] → integer: the set bits in the
/// string or in the inclusive range (bytes by default). A missing key is 0
/// whatever the arguments (the key is looked up first). Errors: WRONGTYPE,
/// "ERR value is not an integer or out of range", "ERR syntax error" (a
/// lone start, a unit other than BYTE/BIT, more arguments). Two negative
/// indexes with start > end answer 0 before the unit is read.
pub fn bitcount_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let Some(o) = lookup_key_read(srv, db, &argv[1]) else {
            return c.add_reply_long_long(0);
        };
        if check_type(c, o, ObjType::String) {
            return;
        }
        let mut t = itoa::Buffer::new();
        let s = o.v.as_bytes(&mut t);
        let len = s.len() as i64;
        let (start, end, isbit) = match argv.len() {
            2 => (0, len - 1, false),
            4 | 5 => {
                let Some(start) = string2ll(&argv[2]) else {
                    return c.add_reply_error(shared::err_not_integer());
                };
                let Some(end) = string2ll(&argv[3]) else {
                    return c.add_reply_error(shared::err_not_integer());
                };
                if start < 0 && end < 0 && start > end {
                    return c.add_reply_long_long(0);
                }
                let isbit = if argv.len() == 5 {
                    match parse_bit_unit(&argv[4]) {
                        Some(b) => b,
                        None => return c.add_reply_error(shared::err_syntax()),
                    }
                } else {
                    false
                };
                let total = if isbit { len << 3 } else { len };
                let (s0, e0) = clamp_range(total, start, end);
                (s0, e0, isbit)
            }
            _ => return c.add_reply_error(shared::err_syntax()),
        };
        if start > end {
            return c.add_reply_long_long(0);
        }
        let count = if isbit {
            let (sb, eb) = (start as u64, end as u64);
            let (first, last) = ((sb >> 3) as usize, (eb >> 3) as usize);
            let mut n = popcount(&s[first..=last]);
            // Take out the bits of the edge bytes that lie outside the range.
            let head = s[first] & !(0xffu8 >> (sb & 7));
            let tail = s[last] & (0x7fu8 >> (eb & 7));
            n -= (head.count_ones() + tail.count_ones()) as u64;
            n
        } else {
            popcount(&s[start as usize..=end as usize])
        };
        c.add_reply_long_long(count as i64);
    });
}

/// BITPOS key bit [start [end [BYTE|BIT]]] → integer: the position (in
/// bits from the start of the string) of the first bit equal to `bit` in
/// the range, or -1. A missing key answers 0 for a 0 and -1 for a 1 (the
/// key is looked up right after `bit` is checked). Looking for 0 without an
/// explicit end may answer the first bit past the string; with an end it
/// answers -1 when the range has no 0. Errors: "ERR value is not an integer
/// or out of range", "ERR The bit argument must be 1 or 0.", WRONGTYPE,
/// "ERR syntax error" (the unit is checked before `end` is parsed).
pub fn bitpos_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(bit) = string2ll(&argv[2]) else {
            return c.add_reply_error(shared::err_not_integer());
        };
        if bit != 0 && bit != 1 {
            return c.add_reply_error("ERR The bit argument must be 1 or 0.");
        }
        let want = bit == 1;
        let db = c.db;
        let Some(o) = lookup_key_read(srv, db, &argv[1]) else {
            return c.add_reply_long_long(if want { -1 } else { 0 });
        };
        if check_type(c, o, ObjType::String) {
            return;
        }
        let mut t = itoa::Buffer::new();
        let s = o.v.as_bytes(&mut t);
        let len = s.len() as i64;
        let mut end_given = false;
        let mut isbit = false;
        let (start, end) = match argv.len() {
            3 => (0, len - 1),
            4..=6 => {
                let Some(start) = string2ll(&argv[3]) else {
                    return c.add_reply_error(shared::err_not_integer());
                };
                if argv.len() == 6 {
                    match parse_bit_unit(&argv[5]) {
                        Some(b) => isbit = b,
                        None => return c.add_reply_error(shared::err_syntax()),
                    }
                }
                let end = if argv.len() >= 5 {
                    let Some(e) = string2ll(&argv[4]) else {
                        return c.add_reply_error(shared::err_not_integer());
                    };
                    end_given = true;
                    e
                } else if isbit {
                    (len << 3) + 7
                } else {
                    len - 1
                };
                let total = if isbit { len << 3 } else { len };
                clamp_range(total, start, end)
            }
            _ => return c.add_reply_error(shared::err_syntax()),
        };
        if start > end {
            return c.add_reply_long_long(-1);
        }
        let (sb, eb) = if isbit {
            (start as u64, end as u64)
        } else {
            ((start as u64) << 3, ((end as u64) << 3) + 7)
        };
        let pos = match find_bit(s, want, sb, eb) {
            Some(p) => p as i64,
            None if want || end_given => -1,
            // Zeros continue past the end of the string.
            None => ((eb >> 3) as i64 + 1) << 3,
        };
        c.add_reply_long_long(pos);
    });
}

// ---- BITOP ----

/// BITOP operations (Redis `BITOP_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// The result of BITOP `op` over `srcs` (shorter sources read as
/// zero-padded to the longest): as long as the longest source, in the
/// buffer a `raw` string value keeps.
pub fn bitop(op: BitOp, srcs: &[&[u8]]) -> thin_vec::ThinVec<u8> {
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = thin_vec::ThinVec::with_capacity(maxlen);
    res.resize(maxlen, 0u8);
    let Some((first, rest)) = srcs.split_first() else {
        return res;
    };
    res[..first.len()].copy_from_slice(first);
    match op {
        BitOp::Not => res.iter_mut().for_each(|b| *b = !*b),
        BitOp::And => {
            for s in rest {
                for (r, b) in res.iter_mut().zip(s.iter()) {
                    *r &= b;
                }
                // Past a source's end it reads as zeros.
                res[s.len()..].fill(0);
            }
        }
        BitOp::Or => {
            for s in rest {
                res.iter_mut().zip(s.iter()).for_each(|(r, b)| *r |= b);
            }
        }
        BitOp::Xor => {
            for s in rest {
                res.iter_mut().zip(s.iter()).for_each(|(r, b)| *r ^= b);
            }
        }
    }
    res
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...] → integer: the length of the
/// result, which is stored at `destkey` as a `raw` string (TTL removed,
/// event `set`), or deletes `destkey` (event `del`) when every source is
/// empty or missing. Missing sources are empty strings. Errors: "ERR syntax
/// error" (unknown operation), "ERR BITOP NOT must be called with a single
/// source key.", WRONGTYPE (a source that is not a string).
pub fn bitop_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let name = &argv[1][..];
        let op = if name.eq_ignore_ascii_case(b"and") {
            BitOp::And
        } else if name.eq_ignore_ascii_case(b"or") {
            BitOp::Or
        } else if name.eq_ignore_ascii_case(b"xor") {
            BitOp::Xor
        } else if name.eq_ignore_ascii_case(b"not") {
            BitOp::Not
        } else {
            return c.add_reply_error(shared::err_syntax());
        };
        if op == BitOp::Not && argv.len() != 4 {
            return c.add_reply_error("ERR BITOP NOT must be called with a single source key.");
        }
        let db = c.db;
        // Lookups first (expiry, hit/miss stats, type checks), then the
        // values are read in place: only integer-encoded ones are copied,
        // as their decimal text.
        for k in &argv[3..] {
            if let Some(o) = lookup_key_read(srv, db, k)
                && check_type(c, o, ObjType::String)
            {
                return;
            }
        }
        let res = {
            let srv = &*srv;
            let dict = &srv.dbs[db].dict;
            let srcs: Vec<std::borrow::Cow<'_, [u8]>> = argv[3..]
                .iter()
                .map(|k| match dict.get(k).map(|o| &o.v) {
                    // Logically expired but kept (a paused or replica
                    // server does not delete): missing, as the lookup said.
                    _ if crate::expire::key_is_expired(srv, db, k) => {
                        std::borrow::Cow::Borrowed(&[][..])
                    }
                    None => std::borrow::Cow::Borrowed(&[][..]),
                    Some(Value::Raw(b)) => std::borrow::Cow::Borrowed(&b[..]),
                    Some(Value::Emb(b)) => std::borrow::Cow::Borrowed(&b[..]),
                    Some(v) => std::borrow::Cow::Owned(v.to_vec()),
                })
                .collect();
            let refs: Vec<&[u8]> = srcs.iter().map(|s| &s[..]).collect();
            bitop(op, &refs)
        };
        let dest = &argv[2][..];
        let n = res.len();
        if n > 0 {
            set_key(srv, db, dest, Value::Raw(res), false);
            notify_keyspace_event(srv, NOTIFY_STRING, "set", dest, db);
            srv.dirty += 1;
        } else if db_delete(srv, db, dest) {
            signal_modified_key(srv, db, dest);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", dest, db);
            srv.dirty += 1;
        }
        c.add_reply_long_long(n as i64);
    });
}

// ---- BITFIELD ----

/// What one BITFIELD operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldOpKind {
    Get,
    Set,
    IncrBy,
}

/// One parsed BITFIELD operation (Redis `struct bitfieldOp`).
#[derive(Clone, Copy, Debug)]
struct FieldOp {
    kind: FieldOpKind,
    offset: u64,
    /// The SET value or the INCRBY increment.
    value: i64,
    overflow: Overflow,
    bits: u32,
    signed: bool,
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type
/// offset increment] [OVERFLOW WRAP|SAT|FAIL] ... → array, one reply per
/// GET/SET/INCRBY: GET the field, SET the old value, INCRBY the new one;
/// null for a SET/INCRBY skipped by OVERFLOW FAIL. Types are `i1`..`i64`
/// and `u1`..`u63`; an offset `#N` means N times the type's width. All
/// arguments are parsed before anything runs. Errors: "ERR syntax error"
/// (unknown subcommand or missing arguments), "ERR Invalid OVERFLOW type
/// specified", "ERR Invalid bitfield type. Use something like i16 u8. Note
/// that u64 is not supported but i64 is.", "ERR bit offset is not an
/// integer or out of range", "ERR value is not an integer or out of range",
/// WRONGTYPE. Writes create/grow the key as SETBIT does (even when every
/// write then fails with OVERFLOW FAIL); `setbit` fires once, and `dirty`
/// grows by the number of writes that changed something.
pub fn bitfield_command(srv: &mut Server, c: &mut Client) {
    bitfield_generic(srv, c, false);
}

/// BITFIELD_RO key [GET type offset ...] → array: BITFIELD restricted to
/// GET; any SET/INCRBY gives "ERR BITFIELD_RO only supports the GET
/// subcommand" (after the whole line parsed without error).
pub fn bitfield_ro_command(srv: &mut Server, c: &mut Client) {
    bitfield_generic(srv, c, true);
}

/// Redis `bitfieldGeneric`: parses every operation, then runs them in order.
fn bitfield_generic(srv: &mut Server, c: &mut Client, ro: bool) {
    with_argv(srv, c, |srv, c, argv| {
        let max_bulk = srv.config.proto_max_bulk_len;
        let obey = must_obey_client(c);
        let mut ops: Vec<FieldOp> = Vec::new();
        let mut overflow = Overflow::Wrap;
        let mut readonly = true;
        let mut highest_write: u64 = 0;
        let mut j = 2;
        while j < argv.len() {
            let remargs = argv.len() - j - 1;
            let sub = &argv[j][..];
            let kind = if sub.eq_ignore_ascii_case(b"get") && remargs >= 2 {
                FieldOpKind::Get
            } else if sub.eq_ignore_ascii_case(b"set") && remargs >= 3 {
                FieldOpKind::Set
            } else if sub.eq_ignore_ascii_case(b"incrby") && remargs >= 3 {
                FieldOpKind::IncrBy
            } else if sub.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
                let m = &argv[j + 1][..];
                overflow = if m.eq_ignore_ascii_case(b"wrap") {
                    Overflow::Wrap
                } else if m.eq_ignore_ascii_case(b"sat") {
                    Overflow::Sat
                } else if m.eq_ignore_ascii_case(b"fail") {
                    Overflow::Fail
                } else {
                    return c.add_reply_error("ERR Invalid OVERFLOW type specified");
                };
                j += 2;
                continue;
            } else {
                return c.add_reply_error(shared::err_syntax());
            };
            let Some((signed, bits)) = get_bitfield_type(&argv[j + 1]) else {
                return c.add_reply_error(ERR_BITFIELD_TYPE);
            };
            let Some(offset) = get_bit_offset(&argv[j + 2], true, bits, max_bulk, obey) else {
                return c.add_reply_error(ERR_BIT_OFFSET);
            };
            let mut value = 0;
            if kind != FieldOpKind::Get {
                readonly = false;
                highest_write = highest_write.max(offset + bits as u64 - 1);
                let Some(v) = string2ll(&argv[j + 3]) else {
                    return c.add_reply_error(shared::err_not_integer());
                };
                value = v;
            }
            ops.push(FieldOp {
                kind,
                offset,
                value,
                overflow,
                bits,
                signed,
            });
            j += if kind == FieldOpKind::Get { 3 } else { 4 };
        }

        let db = c.db;
        let key = &argv[1][..];
        if readonly {
            let o = lookup_key_read(srv, db, key);
            if let Some(o) = &o
                && check_type(c, o, ObjType::String)
            {
                return;
            }
            let mut t = itoa::Buffer::new();
            let s: &[u8] = match &o {
                Some(o) => o.v.as_bytes(&mut t),
                None => &[],
            };
            c.add_reply_array_len(ops.len());
            for op in &ops {
                c.add_reply_long_long(bitfield_get_padded(s, op));
            }
            return;
        }
        if ro {
            return c.add_reply_error("ERR BITFIELD_RO only supports the GET subcommand");
        }
        let Some(grew) = lookup_string_for_bit_command(srv, c, key, highest_write) else {
            return;
        };
        let Some(o) = srv.dbs[db].dict.get_mut(key) else {
            return;
        };
        let p = o.v.make_raw();
        let mut changes: i64 = 0;
        c.add_reply_array_len(ops.len());
        for op in &ops {
            match op.kind {
                FieldOpKind::Get => c.add_reply_long_long(bitfield_get_padded(p, op)),
                FieldOpKind::Set | FieldOpKind::IncrBy => {
                    let incr = op.kind == FieldOpKind::IncrBy;
                    // (old, new, reply, overflowed) with the fields as u64 bits.
                    let (old, new, reply, over) = if op.signed {
                        let old = get_signed_bitfield(p, op.offset, op.bits);
                        let (new, over) = if incr {
                            match check_signed_bitfield_overflow(
                                old,
                                op.value,
                                op.bits,
                                op.overflow,
                            ) {
                                Some(w) => (w, true),
                                None => (old.wrapping_add(op.value), false),
                            }
                        } else {
                            match check_signed_bitfield_overflow(op.value, 0, op.bits, op.overflow)
                            {
                                Some(w) => (w, true),
                                None => (op.value, false),
                            }
                        };
                        let reply = if incr { new } else { old };
                        (old as u64, new as u64, reply, over)
                    } else {
                        let old = get_unsigned_bitfield(p, op.offset, op.bits);
                        let start = if incr { old } else { op.value as u64 };
                        let add = if incr { op.value } else { 0 };
                        let (new, over) = match check_unsigned_bitfield_overflow(
                            start,
                            add,
                            op.bits,
                            op.overflow,
                        ) {
                            Some(w) => (w, true),
                            None => (start.wrapping_add(add as u64), false),
                        };
                        let reply = if incr { new as i64 } else { old as i64 };
                        (old, new, reply, over)
                    };
                    if over && op.overflow == Overflow::Fail {
                        c.add_reply_null();
                    } else {
                        c.add_reply_long_long(reply);
                        set_unsigned_bitfield(p, op.offset, op.bits, new);
                        if grew || old != new {
                            changes += 1;
                        }
                    }
                }
            }
        }
        if changes > 0 {
            signal_modified_key(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_STRING, "setbit", key, db);
            srv.dirty += changes;
        }
    });
}

/// A GET of `op` on `s`, reading bits past the end as zeros.
fn bitfield_get_padded(s: &[u8], op: &FieldOp) -> i64 {
    let byte = (op.offset >> 3) as usize;
    // A field spans at most 9 bytes from its first byte.
    let mut buf = [0u8; 9];
    if byte < s.len() {
        let n = (s.len() - byte).min(9);
        buf[..n].copy_from_slice(&s[byte..byte + n]);
    }
    let off = op.offset & 7;
    if op.signed {
        get_signed_bitfield(&buf, off, op.bits)
    } else {
        get_unsigned_bitfield(&buf, off, op.bits) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_offsets() {
        let m = 512 * 1024 * 1024;
        assert_eq!(get_bit_offset(b"0", false, 0, m, false), Some(0));
        assert_eq!(
            get_bit_offset(b"4294967295", false, 0, m, false),
            Some(4294967295)
        );
        assert_eq!(get_bit_offset(b"4294967296", false, 0, m, false), None);
        assert_eq!(
            get_bit_offset(b"4294967296", false, 0, m, true),
            Some(4294967296)
        );
        assert_eq!(get_bit_offset(b"-1", false, 0, m, false), None);
        assert_eq!(get_bit_offset(b"#3", false, 8, m, false), None);
        assert_eq!(get_bit_offset(b"#3", true, 8, m, false), Some(24));
        assert_eq!(get_bit_offset(b"", true, 8, m, false), None);
        assert_eq!(get_bit_offset(b"#", true, 8, m, false), None);
    }

    #[test]
    fn bitfield_types() {
        assert_eq!(get_bitfield_type(b"i64"), Some((true, 64)));
        assert_eq!(get_bitfield_type(b"u63"), Some((false, 63)));
        assert_eq!(get_bitfield_type(b"u64"), None);
        assert_eq!(get_bitfield_type(b"i0"), None);
        assert_eq!(get_bitfield_type(b"I8"), None);
        assert_eq!(get_bitfield_type(b"i8\0zz"), Some((true, 8)));
        assert_eq!(get_bitfield_type(b""), None);
    }

    #[test]
    fn fields_round_trip() {
        let mut p = [0u8; 2];
        set_unsigned_bitfield(&mut p, 7, 5, 23);
        assert_eq!(p, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned_bitfield(&p, 7, 5), 23);
        set_unsigned_bitfield(&mut p, 0, 8, (-3i64) as u64);
        assert_eq!(get_signed_bitfield(&p, 0, 8), -3);
        let mut q = [0u8; 9];
        set_unsigned_bitfield(&mut q, 3, 64, i64::MIN as u64);
        assert_eq!(get_signed_bitfield(&q, 3, 64), i64::MIN);
    }

    #[test]
    fn overflow_rules() {
        use Overflow::*;
        assert_eq!(check_unsigned_bitfield_overflow(250, 10, 8, Wrap), Some(4));
        assert_eq!(check_unsigned_bitfield_overflow(250, 10, 8, Sat), Some(255));
        assert_eq!(check_unsigned_bitfield_overflow(5, -10, 8, Sat), Some(0));
        assert_eq!(check_unsigned_bitfield_overflow(5, -10, 8, Wrap), Some(251));
        assert_eq!(check_unsigned_bitfield_overflow(5, 5, 8, Wrap), None);
        assert_eq!(check_signed_bitfield_overflow(127, 1, 8, Wrap), Some(-128));
        assert_eq!(check_signed_bitfield_overflow(127, 1, 8, Sat), Some(127));
        assert_eq!(check_signed_bitfield_overflow(-128, -1, 8, Sat), Some(-128));
        assert_eq!(check_signed_bitfield_overflow(-128, -1, 8, Wrap), Some(127));
        assert_eq!(check_signed_bitfield_overflow(200, 0, 8, Wrap), Some(-56));
        assert_eq!(
            check_signed_bitfield_overflow(i64::MAX, 1, 64, Wrap),
            Some(i64::MIN)
        );
        assert_eq!(
            check_signed_bitfield_overflow(i64::MIN, -1, 64, Sat),
            Some(i64::MIN)
        );
        assert_eq!(
            check_signed_bitfield_overflow(-1, i64::MIN, 64, Sat),
            Some(i64::MIN)
        );
        assert_eq!(
            check_signed_bitfield_overflow(-1, i64::MIN + 1, 64, Sat),
            None
        );
        assert_eq!(
            check_signed_bitfield_overflow(1, i64::MAX, 64, Fail),
            Some(i64::MAX)
        );
        assert_eq!(check_signed_bitfield_overflow(0, i64::MAX, 64, Fail), None);
    }

    #[test]
    fn positions_and_counts() {
        let s = [0xffu8, 0xf0, 0x00];
        assert_eq!(find_bit(&s, false, 0, 23), Some(12));
        assert_eq!(find_bit(&s, true, 12, 23), None);
        assert_eq!(find_bit(&s, true, 3, 5), Some(3));
        let big = [0u8; 40];
        assert_eq!(find_bit(&big, true, 0, 319), None);
        let mut big2 = [0u8; 40];
        big2[33] = 1;
        assert_eq!(find_bit(&big2, true, 1, 319), Some(33 * 8 + 7));
        assert_eq!(popcount(&[0xff; 17]), 136);
    }

    #[test]
    fn bitop_results() {
        assert_eq!(bitop(BitOp::And, &[b"\xff\xff", b"\x0f"])[..], [0x0f, 0]);
        assert_eq!(bitop(BitOp::Or, &[b"\x01", b"\x10\x20"])[..], [0x11, 0x20]);
        assert_eq!(bitop(BitOp::Xor, &[b"\xff", b"\x0f", b""])[..], [0xf0]);
        assert_eq!(bitop(BitOp::Not, &[b"\x0f"])[..], [0xf0]);
        assert!(bitop(BitOp::Or, &[b"", b""]).is_empty());
    }
}
