//! LZF compression, the byte format Redis uses for compressed strings in RDB
//! files (`rdbcompression yes`, the default).
//!
//! # The format
//! An LZF stream is a sequence of items, each starting with a control byte
//! `ctrl`:
//!
//! - **Literal run** (`ctrl < 32`): the next `ctrl + 1` bytes (1..=32) are
//!   copied to the output as they are.
//! - **Back reference** (`ctrl >= 32`): the top three bits give a length code
//!   `l = ctrl >> 5` (1..=7). When `l == 7` one more byte follows and is added
//!   to it, so `l` reaches 262. The low five bits of `ctrl` and the next byte
//!   form a 13-bit offset `o = ((ctrl & 31) << 8) | byte`. The item copies
//!   `l + 2` bytes (3..=264) starting `o + 1` bytes back from the current end
//!   of the output (1..=8192 bytes back). Source and destination may
//!   overlap: the copy goes byte by byte, so a distance of 1 repeats the last
//!   byte `l + 2` times.
//!
//! The stream carries no header, no length and no checksum: the RDB file
//! stores the compressed and the uncompressed lengths next to it, and the
//! decompressor must produce exactly the announced number of bytes.
//!
//! # Decompression
//! [`lzf_decompress`] walks the items and checks every one against what is
//! left of the input (a literal run or a back-reference byte past the end is
//! [`LzfError::Truncated`]), against the output produced so far (a reference
//! before its start is [`LzfError::BadBackReference`]) and against the
//! announced length (more output is [`LzfError::OutputOverflow`], less is
//! [`LzfError::LengthMismatch`]). Corrupt input therefore yields an error,
//! never a panic and never an access out of bounds. The largest possible
//! expansion is 88× (three input bytes, a long back reference, produce 264
//! bytes), which [`MAX_EXPANSION`] lets callers use to reject absurd
//! announced lengths before allocating.
//!
//! # Compression
//! [`lzf_compress`] is a greedy single-pass matcher. A table of 2^14 slots,
//! indexed by a multiplicative hash of the next three bytes, remembers the
//! last position where each hash was seen. At each position the candidate
//! from the table is verified (it must lie within the 8192-byte window and
//! really start with the same three bytes) and extended as far as possible,
//! up to 264 bytes; a match is emitted as a back reference, otherwise the
//! byte joins the pending literal run, which is flushed in runs of at most
//! 32. Positions inside a match are hashed too, which finds more matches in
//! repetitive data at a small cost. The table lives per thread and is
//! never cleared: each slot holds a stamp (a per-call base plus the
//! position), and slots stamped by earlier calls are ignored, so short
//! strings cost no table setup and the output depends only on the input.
//! The output is not byte-identical to Redis's own compressor (nothing
//! requires that), but any stream it makes is valid LZF that Redis
//! decompresses.
//!
//! The caller gives an output limit; compression gives up (returns `None`)
//! as soon as the output would exceed it, so incompressible data costs no
//! more than one pass. Redis stores a string compressed only when that saves
//! at least four bytes, and asks for exactly that limit.

/// The largest ratio of uncompressed to compressed length an LZF stream can
/// have: a 3-byte long back reference expands to 264 bytes.
pub const MAX_EXPANSION: usize = 88;

/// Longest literal run (bytes) one control byte can announce.
const MAX_LIT: usize = 32;
/// Longest back reference, in bytes copied.
const MAX_REF: usize = 264;
/// Farthest back a reference can reach, in bytes.
const MAX_DISTANCE: usize = 8192;
/// log2 of the number of hash table slots used by the compressor.
const HLOG: u32 = 14;

/// Why an LZF stream could not be decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// The input ended inside an item (literal bytes or reference bytes missing).
    Truncated,
    /// A back reference points before the start of the output.
    BadBackReference,
    /// The stream produces more bytes than announced.
    OutputOverflow,
    /// The stream ended having produced fewer bytes than announced.
    LengthMismatch,
}

impl std::fmt::Display for LzfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LzfError::Truncated => "LZF input truncated",
            LzfError::BadBackReference => "LZF back reference out of range",
            LzfError::OutputOverflow => "LZF output longer than announced",
            LzfError::LengthMismatch => "LZF output shorter than announced",
        })
    }
}

impl std::error::Error for LzfError {}

/// Decompresses an LZF stream that must produce exactly `out_len` bytes.
///
/// Returns the bytes, or an [`LzfError`] for any malformed stream. Allocates
/// `out_len` bytes up front: callers reading `out_len` from untrusted data
/// should first check `out_len <= input.len() * MAX_EXPANSION`.
pub fn lzf_decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut ip = 0usize;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let Some(lit) = input.get(ip..ip + run) else {
                return Err(LzfError::Truncated);
            };
            if out.len() + run > out_len {
                return Err(LzfError::OutputOverflow);
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                let Some(&extra) = input.get(ip) else {
                    return Err(LzfError::Truncated);
                };
                len += extra as usize;
                ip += 1;
            }
            let Some(&low) = input.get(ip) else {
                return Err(LzfError::Truncated);
            };
            ip += 1;
            let distance = (((ctrl & 0x1f) << 8) | low as usize) + 1;
            let len = len + 2;
            if distance > out.len() {
                return Err(LzfError::BadBackReference);
            }
            if out.len() + len > out_len {
                return Err(LzfError::OutputOverflow);
            }
            let start = out.len() - distance;
            if distance >= len {
                out.extend_from_within(start..start + len);
            } else {
                // Overlapping copy: each byte may be one this copy just wrote.
                for k in 0..len {
                    let b = out[start + k];
                    out.push(b);
                }
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::LengthMismatch);
    }
    Ok(out)
}

/// Compresses `input` into an LZF stream of at most `max_out` bytes.
///
/// Returns `None` when the stream would be longer than `max_out` (or the
/// input is empty), so the caller stores the data uncompressed. The output
/// depends only on the input.
///
/// # Latency
/// One pass over the input; gives up early once the output passes
/// `max_out`. The 128 KiB hash table is kept per thread and never cleared
/// (entries carry a stamp telling which call wrote them), so compressing
/// millions of short strings costs no per-call table setup.
pub fn lzf_compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    if input.is_empty() {
        return None;
    }
    HASH_STATE.with(|st| match st.try_borrow_mut() {
        Ok(mut st) => {
            let base = st.base;
            // Next call's stamps start past every position of this one.
            st.base = base.saturating_add(input.len() as u64 + 1);
            compress_with(input, max_out, &mut st.table, base)
        }
        // Not reachable (no re-entrancy), but a fresh table is always correct.
        Err(_) => compress_with(input, max_out, &mut vec![0u64; 1 << HLOG], 1),
    })
}

/// The compressor's hash table: slot = stamp `base + position + 1` of the
/// last position with that hash; slots not above the current call's `base`
/// are stale.
struct HashState {
    table: Vec<u64>,
    base: u64,
}

thread_local! {
    static HASH_STATE: std::cell::RefCell<HashState> = std::cell::RefCell::new(HashState {
        table: vec![0u64; 1 << HLOG],
        base: 1,
    });
}

/// The greedy matcher over a table whose valid entries are those above `base`.
fn compress_with(input: &[u8], max_out: usize, table: &mut [u64], base: u64) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out: Vec<u8> = Vec::with_capacity(max_out.min(n + n / MAX_LIT + 1));
    let mut lit_start = 0usize;
    let mut ip = 0usize;
    while ip + 2 < n {
        let h = hash3(input, ip);
        let stamp = table[h];
        table[h] = base + ip as u64 + 1;
        if stamp > base {
            // Written earlier in this call, so r < ip.
            let r = (stamp - base - 1) as usize;
            let distance = ip - r;
            if distance <= MAX_DISTANCE && input[r..r + 3] == input[ip..ip + 3] {
                let max_len = MAX_REF.min(n - ip);
                let mut len = 3;
                while len < max_len && input[r + len] == input[ip + len] {
                    len += 1;
                }
                flush_literals(&mut out, &input[lit_start..ip]);
                emit_back_reference(&mut out, len, distance);
                if out.len() > max_out {
                    return None;
                }
                // Remember the positions the match covered.
                let end = ip + len;
                let mut p = ip + 1;
                while p < end && p + 2 < n {
                    table[hash3(input, p)] = base + p as u64 + 1;
                    p += 1;
                }
                ip = end;
                lit_start = ip;
                continue;
            }
        }
        ip += 1;
        if ip - lit_start >= MAX_LIT {
            flush_literals(&mut out, &input[lit_start..ip]);
            lit_start = ip;
            if out.len() > max_out {
                return None;
            }
        }
    }
    flush_literals(&mut out, &input[lit_start..]);
    if out.len() > max_out {
        return None;
    }
    Some(out)
}

/// Hash of the three bytes at `p` (caller guarantees `p + 2 < input.len()`).
#[inline]
fn hash3(input: &[u8], p: usize) -> usize {
    let v = (input[p] as u32) << 16 | (input[p + 1] as u32) << 8 | input[p + 2] as u32;
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

/// Writes `lit` as literal runs of at most 32 bytes.
fn flush_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for chunk in lit.chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Writes a back reference copying `len` (3..=264) bytes from `distance`
/// (1..=8192) bytes back.
fn emit_back_reference(out: &mut Vec<u8>, len: usize, distance: usize) {
    let l = len - 2;
    let o = distance - 1;
    if l < 7 {
        out.push(((l << 5) | (o >> 8)) as u8);
    } else {
        out.push(((7 << 5) | (o >> 8)) as u8);
        out.push((l - 7) as u8);
    }
    out.push((o & 0xff) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> Option<usize> {
        let c = lzf_compress(data, data.len() + data.len() / 16 + 64)?;
        let d = lzf_decompress(&c, data.len()).expect("own output decompresses");
        assert_eq!(d, data);
        Some(c.len())
    }

    /// A small deterministic pseudo-random generator (xorshift).
    fn noise(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn round_trips() {
        assert_eq!(round_trip(b"a"), Some(2));
        assert_eq!(round_trip(b"abc"), Some(4));
        // Repetitive text compresses well.
        let text = b"abcdefghij".repeat(10);
        let clen = round_trip(&text).unwrap();
        assert!(clen < 30, "{clen}");
        // A long run of one byte uses overlapping references.
        let zeros = vec![0u8; 100_000];
        let clen = round_trip(&zeros).unwrap();
        assert!(clen < 100_000 / 80, "{clen}");
        // Random data still round-trips (it just does not shrink).
        let rnd = noise(7, 10_000);
        let clen = round_trip(&rnd).unwrap();
        assert!(clen > 10_000);
        // Mixed data, every length up to 600.
        let mut mixed = noise(3, 300);
        mixed.extend_from_slice(&b"hello world ".repeat(25));
        for n in 1..mixed.len() {
            round_trip(&mixed[..n]);
        }
        // Matches farther than the window are not used, but data still round-trips.
        let mut far = noise(11, 9000);
        let head: Vec<u8> = far[..100].to_vec();
        far.extend_from_slice(&head);
        round_trip(&far);
    }

    #[test]
    fn output_depends_only_on_input() {
        let a = b"abcabcabcabcabcabcabcabcabcabc xyz xyz xyz xyz".to_vec();
        let first = lzf_compress(&a, 1000).unwrap();
        // Fill the shared table with other data, then compress again.
        let _ = lzf_compress(&noise(9, 5000), 10_000);
        let _ = lzf_compress(&b"xyz abc ".repeat(500), 10_000);
        assert_eq!(lzf_compress(&a, 1000).unwrap(), first);
        // A fresh table gives the same bytes.
        assert_eq!(
            compress_with(&a, 1000, &mut vec![0u64; 1 << HLOG], 1).unwrap(),
            first
        );
    }

    #[test]
    fn respects_output_limit() {
        let rnd = noise(5, 1000);
        assert_eq!(lzf_compress(&rnd, 996), None);
        assert_eq!(lzf_compress(b"", 100), None);
        let text = b"xyzxyzxyzxyzxyzxyzxyzxyzxyzxyz";
        let c = lzf_compress(text, text.len() - 4).unwrap();
        assert!(c.len() <= text.len() - 4);
        assert_eq!(lzf_decompress(&c, text.len()).unwrap(), text);
        assert_eq!(lzf_compress(text, 3), None);
    }

    #[test]
    fn decodes_redis_output() {
        // 'abcdefghij' * 10 as compressed by redis-server 7.0.15 (from a dump).
        let redis = [
            0x0a, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x61, 0xe0, 0x4e,
            0x09, 0x01, 0x69, 0x6a,
        ];
        assert_eq!(
            lzf_decompress(&redis, 100).unwrap(),
            b"abcdefghij".repeat(10)
        );
    }

    #[test]
    fn decodes_hand_made_items() {
        // literal "ab", then copy 5 bytes from distance 2 → "ababababa"? 2+5=7 bytes.
        let s = [0x01, b'a', b'b', (3 << 5), 0x01];
        assert_eq!(lzf_decompress(&s, 7).unwrap(), b"abababa");
        // long reference: length code 7 + extra 0 → 9 bytes of 'z' after one literal.
        let s = [0x00, b'z', 0xe0, 0x00, 0x00];
        assert_eq!(lzf_decompress(&s, 10).unwrap(), vec![b'z'; 10]);
        assert_eq!(lzf_decompress(&[], 0).unwrap(), b"");
    }

    #[test]
    fn corrupt_input_is_an_error() {
        // Literal run longer than the input.
        assert_eq!(lzf_decompress(&[0x05, b'a'], 6), Err(LzfError::Truncated));
        // Reference before the start of the output.
        assert_eq!(
            lzf_decompress(&[0x20, 0x00], 3),
            Err(LzfError::BadBackReference)
        );
        assert_eq!(
            lzf_decompress(&[0x00, b'a', 0x20, 0x01], 4),
            Err(LzfError::BadBackReference)
        );
        // Reference missing its offset byte, or its length byte.
        assert_eq!(
            lzf_decompress(&[0x00, b'a', 0x20], 4),
            Err(LzfError::Truncated)
        );
        assert_eq!(
            lzf_decompress(&[0x00, b'a', 0xe0], 12),
            Err(LzfError::Truncated)
        );
        // More or less output than announced.
        assert_eq!(
            lzf_decompress(&[0x02, b'a', b'b', b'c'], 2),
            Err(LzfError::OutputOverflow)
        );
        assert_eq!(
            lzf_decompress(&[0x00, b'a', 0x20, 0x00], 3),
            Err(LzfError::OutputOverflow)
        );
        assert_eq!(
            lzf_decompress(&[0x02, b'a', b'b', b'c'], 4),
            Err(LzfError::LengthMismatch)
        );
    }

    #[test]
    fn every_truncation_and_mutation_is_handled() {
        let data = b"The quick brown fox jumps over the lazy dog. ".repeat(20);
        let c = lzf_compress(&data, data.len()).unwrap();
        for cut in 0..c.len() {
            assert!(lzf_decompress(&c[..cut], data.len()).is_err());
        }
        // Flip every byte to every value: never a panic.
        for i in 0..c.len().min(64) {
            for v in 0..=255u8 {
                let mut m = c.clone();
                m[i] = v;
                let _ = lzf_decompress(&m, data.len());
            }
        }
        // Random garbage of random announced lengths.
        for seed in 1..300u64 {
            let g = noise(seed, (seed % 97) as usize);
            let _ = lzf_decompress(&g, (seed * 13 % 500) as usize);
        }
    }
}
