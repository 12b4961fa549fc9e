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
//! [`lzf_compress`] produces exactly the bytes of liblzf 3.6's `lzf_compress`
//! as Redis 7.0 builds it (Redis's bundled copy and Debian's system liblzf
//! use the same settings), so a dump of the same data is byte-identical to
//! Redis's and `DEBUG OBJECT`'s `serializedlength` agrees. The rules it
//! follows, all of which shape the output:
//!
//! - a hash table of 2^16 slots (HLOG 16) remembers, per hash of the next
//!   three bytes, the last position with that hash. The hash keeps a rolling
//!   value `h` (`h = h << 8 | next byte`) and takes the slot
//!   `((h >> 8) - 5 * h) mod 2^16` (the VERY_FAST variant);
//! - a candidate is used only when it lies 1..=8192 bytes back, is not the
//!   very first input byte (liblzf requires the reference to lie strictly
//!   after the start of the buffer), and really starts with the same three
//!   bytes;
//! - a match is extended greedily up to 264 bytes, normally stopping two
//!   bytes before the end of the input; liblzf's 16-byte unrolled extension
//!   loop can run one or two bytes further when fewer than 19 bytes remain,
//!   and that is reproduced;
//! - after a match, only the last two positions it covered are entered in
//!   the table (VERY_FAST), the rolling hash restarting there;
//! - literals are flushed in runs of at most 32; the last two input bytes
//!   are literals unless that overshooting match covered them;
//! - the output limit is enforced with liblzf's own tests: before a back
//!   reference the run header plus four bytes must fit, before a literal
//!   byte one byte must fit, and three bytes must fit before the tail. When
//!   a test fails the result is "not compressible" (`None`), exactly when
//!   liblzf returns 0, so callers passing Redis's limits (`len - 4` for RDB
//!   strings, the node size for quicklist nodes) decide as Redis does.
//!
//! liblzf does not clear its table between calls (INIT_HTAB 0); a stale
//! slot only matters when it points inside the current input at bytes
//! equal to the current ones that this call skipped over, which needs a
//! buffer reallocated at the address of an earlier call's input: so rare
//! that a clean table is what Redis sees in practice (tests compare many
//! thousands of strings and list nodes against redis-server).
//! Here the table lives per thread and is never cleared: each slot holds a
//! stamp (a per-call base plus the position + 1) and slots stamped by
//! earlier calls read as empty, so short strings cost no table setup and the
//! output depends only on the input and the limit.

/// The largest ratio of uncompressed to compressed length an LZF stream can
/// have: a 3-byte long back reference expands to 264 bytes.
pub const MAX_EXPANSION: usize = 88;

/// Longest literal run (bytes) one control byte can announce.
const MAX_LIT: usize = 32;
/// Longest back reference, in bytes copied.
const MAX_REF: usize = 264;
/// Farthest back a reference can reach, in bytes (liblzf `MAX_OFF`).
const MAX_OFF: usize = 8192;
/// log2 of the number of hash table slots (liblzf `HLOG`).
const HLOG: u32 = 16;

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

/// Compresses `input` with liblzf's algorithm into at most `out_len` bytes.
///
/// Returns the stream, or `None` exactly when liblzf's `lzf_compress` with
/// the same `out_len` returns 0: empty input, `out_len == 0`, or output that
/// its limit tests reject (see the module docs). The bytes are liblzf's.
///
/// # Latency
/// One pass over the input, stopping early once the limit is hit. The
/// 512 KiB hash table is kept per thread and never cleared (entries carry a
/// stamp telling which call wrote them), so compressing millions of short
/// strings costs no per-call table setup.
pub fn lzf_compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    if input.is_empty() || out_len == 0 {
        return None;
    }
    HASH_STATE.with(|st| match st.try_borrow_mut() {
        Ok(mut st) => {
            let base = st.base;
            // Next call's stamps start past every position of this one.
            st.base = base.saturating_add(input.len() as u64 + 1);
            compress_with(input, out_len, &mut st.table, base)
        }
        // Not reachable (no re-entrancy), but a fresh table is always correct.
        Err(_) => compress_with(input, out_len, &mut vec![0u64; 1 << HLOG], 1),
    })
}

/// The compressor's hash table: slot = stamp `base + position + 1` of the
/// last position with that hash; slots not above the current call's `base`
/// are empty.
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

/// liblzf's slot for the rolling hash value `h` (VERY_FAST `IDX`); only the
/// low 24 bits of `h`, the three bytes at the position, matter.
#[inline]
fn idx(h: u32) -> usize {
    ((h >> (24 - HLOG)).wrapping_sub(h.wrapping_mul(5)) & ((1 << HLOG) - 1)) as usize
}

/// liblzf's matcher over a table whose valid entries are those above `base`.
///
/// `op` is the write position, one past the reserved control byte of the
/// literal run in progress, which holds `lit` bytes; this mirrors liblzf's
/// pointer arithmetic so the limit tests give the same answers.
fn compress_with(input: &[u8], out_len: usize, table: &mut [u64], base: u64) -> Option<Vec<u8>> {
    let n = input.len();
    // Writes never reach out_len (the limit tests guarantee it); the slack
    // only keeps the reserved-but-unwritten run byte inside the buffer.
    let mut out = vec![0u8; out_len + 2];
    let mut op = 1usize;
    let mut lit = 0usize;
    let mut ip = 0usize;
    let mut hval: u32 = if n > 2 {
        (input[0] as u32) << 8 | input[1] as u32
    } else {
        0
    };
    while ip + 2 < n {
        hval = (hval << 8) | input[ip + 2] as u32;
        let slot = idx(hval);
        let stamp = table[slot];
        table[slot] = base + ip as u64 + 1;
        // Earlier stamps of this call are positions below ip.
        let cand = (stamp > base).then(|| (stamp - base - 1) as usize);
        let matched = cand.filter(|&r| {
            r < ip && ip - r - 1 < MAX_OFF && r > 0 && input[r..r + 3] == input[ip..ip + 3]
        });
        if let Some(r) = matched {
            let off = ip - r - 1;
            let maxlen = (n - ip - 2).min(MAX_REF);
            if op + 4 >= out_len && op - usize::from(lit == 0) + 4 >= out_len {
                return None;
            }
            // Close the literal run (or drop its reserved byte if empty).
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            if lit == 0 {
                op -= 1;
            }
            let mut len = 2usize;
            let mut mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        mismatch = true;
                        break;
                    }
                }
            }
            if !mismatch {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            // len is now the match length; liblzf encodes length - 2.
            let code = len - 2;
            ip += 1;
            if code < 7 {
                out[op] = ((off >> 8) + (code << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (code - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1;
            ip += code + 1;
            if ip + 2 >= n {
                break;
            }
            // Enter the last two positions of the match.
            ip -= 2;
            hval = (input[ip] as u32) << 8 | input[ip + 1] as u32;
            for _ in 0..2 {
                hval = (hval << 8) | input[ip + 2] as u32;
                table[idx(hval)] = base + ip as u64 + 1;
                ip += 1;
            }
        } else {
            if op >= out_len {
                return None;
            }
            out[op] = input[ip];
            lit += 1;
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < n {
        out[op] = input[ip];
        lit += 1;
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    if lit == 0 {
        op -= 1;
    }
    out.truncate(op);
    Some(out)
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

    /// Parses a hex string of a fixture.
    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("fixture hex"))
            .collect()
    }

    #[test]
    fn compresses_exactly_like_redis() {
        // Each input's LZF stream as redis-server 7.0.15 (Debian, liblzf 3.6)
        // wrote it in a DUMP payload; Redis compresses with limit len - 4.
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"a".repeat(100), "01616 1e05700016161"),
            (
                b"The quick brown fox jumps over the lazy dog. ".repeat(5),
                "1f54686520717569636b2062726f776e20666f78206a756d7073206f7665722074201e0a\
                 6c617a7920646f672e2054200de0a52c012e20",
            ),
            (
                (0u8..40).collect::<Vec<u8>>().repeat(3),
                "1f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0820\
                 2122232425262700e04427012627",
            ),
            (
                [&b"0123456789".repeat(3)[..], b"x"].concat(),
                "0a3031323334353637383930e00a090078",
            ),
            (b"ab".repeat(11), "02616261e00a01"),
            (
                b"abcdefghij".repeat(10),
                "0a6162636465666768696a61e04e0901696a",
            ),
        ];
        for (input, hex) in cases {
            let hex: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
            let want = unhex(&hex);
            let got = lzf_compress(&input, input.len() - 4).expect("compressible");
            assert_eq!(got, want, "input of {} bytes", input.len());
            assert_eq!(lzf_decompress(&got, input.len()).unwrap(), input);
        }
    }

    #[test]
    fn limit_tests_follow_liblzf() {
        // "ab" * 11 compresses to 7 bytes, but liblzf wants room for a run
        // byte and three more bytes at the tail test (op 8 + 3 <= limit).
        let input = b"ab".repeat(11);
        assert_eq!(lzf_compress(&input, 100).map(|c| c.len()), Some(7));
        assert_eq!(lzf_compress(&input, 11).map(|c| c.len()), Some(7));
        assert_eq!(lzf_compress(&input, 10), None);
        assert_eq!(lzf_compress(&input, 7), None);
        assert_eq!(lzf_compress(&input, 0), None);
        // The first input byte is never a reference target, so "aaaa" stays
        // literal: the match at position 1 would point at position 0.
        assert_eq!(lzf_compress(b"aaaa", 100).unwrap(), b"\x03aaaa");
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
