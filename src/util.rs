//! Small shared routines with Redis's exact semantics (Redis `util.c`,
//! `sds.c`): integer parsing (`string2ll`), glob matching (`stringmatchlen`),
//! argument splitting (`sdssplitargs`), number formatting and clocks.
//!
//! Redis is strict about what counts as an integer: no sign `+`, no leading
//! zeros, no spaces, at most 20 characters. Replies such as "value is not an
//! integer or out of range" depend on exactly that, so every integer argument
//! in the server is parsed with [`string2ll`].
//!
//! INCRBYFLOAT works in C's 80-bit `long double`, and double replies use
//! printf's `%.17g`; both are delegated to the tiny C helpers in
//! `csrc/ldouble.c` (built by `build.rs`) so the reply bytes match Redis.

use std::time::{SystemTime, UNIX_EPOCH};

/// Parses a Redis integer (Redis `string2ll`): optional `-`, no leading zeros
/// C `atoll` as glibc reads it (`strtoll` base 10): leading whitespace, an
/// optional sign, then the leading digits; 0 when there are none, and
/// `i64::MAX` / `i64::MIN` when the digits overflow. For the places where
/// Redis reads a number with `atoi`/`atoll`/`strtol` and ignores what follows
/// (DEBUG flags, AOF lengths, manifest sequence numbers, MIGRATE's port).
pub fn atoll(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && (s[i] == b' ' || (b'\t'..=b'\r').contains(&s[i])) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    // Accumulate the magnitude, stopping just past i64's range.
    let limit = i64::MAX as u64 + 1;
    let mut v: u64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v
            .saturating_mul(10)
            .saturating_add((s[i] - b'0') as u64)
            .min(limit);
        i += 1;
    }
    if neg {
        if v >= limit { i64::MIN } else { -(v as i64) }
    } else {
        v.min(i64::MAX as u64) as i64
    }
}

/// (except "0" itself), no spaces, at most 20 bytes, must fit in `i64`.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' {
        (true, &s[1..])
    } else {
        (false, s)
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// Parses a SCAN cursor like Redis's `parseScanCursorOrReply` (C `strtoul`):
/// optional sign (a negative value wraps), base 10, the whole string must be
/// consumed; the empty string is cursor 0; no leading space; overflow fails.
pub fn parse_scan_cursor(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let v = digits_to_u64(digits)?;
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Plain decimal digits (at least one) to `u64`; None on anything else or overflow.
fn digits_to_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in s {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(v)
}

/// The usable size jemalloc (5.x, x86_64: 16-byte quantum, 4 KiB pages)
/// gives a request of `n` bytes: its size class, what Redis's `zmalloc_size`
/// reports. Classes are 8, then multiples of 16 up to 128, then four per
/// doubling (160, 192, 224, 256, 320, ...), which also holds for large
/// allocations (16 KiB, 20 KiB, 24 KiB, 28 KiB, 32 KiB, 40 KiB, ...).
/// 0 for 0: an empty Rust buffer allocates nothing.
pub fn zmalloc_size(n: usize) -> usize {
    match n {
        0 => 0,
        1..=8 => 8,
        9..=128 => (n + 15) & !15,
        _ => {
            // Spacing is a quarter of the power of two just below n.
            let lg = usize::BITS - 1 - (n - 1).leading_zeros();
            let spacing = 1usize << (lg - 2);
            n.saturating_add(spacing - 1) & !(spacing - 1)
        }
    }
}

/// Allocation size of an sds string of `len` bytes made by `sdsnewlen`
/// (Redis `sdsZmallocSize`): the header of its length class (1, 3, 5, 9 or
/// 17 bytes), the bytes and the terminator, in jemalloc's size class.
pub fn sds_zmalloc_size(len: usize) -> usize {
    zmalloc_size(sds_hdr_size(len) + len + 1)
}

/// Header bytes of an sds string of `len` bytes made by `sdsnewlen`
/// (Redis `sdsHdrSize(sdsReqType(len))`): 1, 3, 5, 9 or 17.
pub fn sds_hdr_size(len: usize) -> usize {
    if len < 1 << 5 {
        1
    } else if len < 1 << 8 {
        3
    } else if len < 1 << 16 {
        5
    } else if len < 1 << 32 {
        9
    } else {
        17
    }
}

/// C's `printf("%.<prec>g", x)` as glibc prints it: `inf`, `-inf`, `nan`,
/// `-nan` (sign bit set), shortest of fixed/exponent form with trailing
/// zeros removed, exponent of at least two digits.
pub fn fmt_g(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let p = prec.max(1);
    // Fast path: an integer with at most `p` digits prints as itself.
    if x.trunc() == x && x.abs() < 1e15 && x != 0.0 {
        let i = x as i64;
        if i.unsigned_abs() < 10u64.pow(p.min(15) as u32) {
            return i.to_string();
        }
    }
    let exp = if x == 0.0 {
        0
    } else {
        let e = format!("{:.*e}", p - 1, x);
        e.rsplit_once('e')
            .and_then(|(_, x)| x.parse::<i32>().ok())
            .unwrap_or_default()
    };
    if exp < -4 || exp >= p as i32 {
        let e = format!("{:.*e}", p - 1, x);
        let (mant, ex) = e.rsplit_once('e').unwrap_or((e.as_str(), "0"));
        let mant = strip_fraction_zeros(mant);
        let ex: i32 = ex.parse().unwrap_or(0);
        let sign = if ex < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", ex.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{:.*}", decimals, x)).to_string()
    }
}

fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Longest byte string [`InlineBytes`] holds.
pub const INLINE_BYTES_MAX: usize = 22;

/// A byte string of at most [`INLINE_BYTES_MAX`] bytes kept in place: 23
/// bytes with alignment 1, so an enum that holds it beside a boxed slice is
/// still 24 bytes. Short values (`Value::Inline`) and short dict keys
/// (`DictKey::Inline`) use it to avoid an allocation of their own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct InlineBytes {
    len: u8,
    buf: [u8; INLINE_BYTES_MAX],
}

impl InlineBytes {
    /// Copies `s` in place, or None when it is longer than [`INLINE_BYTES_MAX`].
    #[inline]
    pub fn new(s: &[u8]) -> Option<InlineBytes> {
        if s.len() > INLINE_BYTES_MAX {
            return None;
        }
        let mut buf = [0u8; INLINE_BYTES_MAX];
        buf[..s.len()].copy_from_slice(s);
        Some(InlineBytes {
            len: s.len() as u8,
            buf,
        })
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}

impl std::fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

/// Formats an `i64` as decimal bytes (Redis `ll2string`).
pub fn ll2string(v: i64) -> Vec<u8> {
    let mut b = itoa::Buffer::new();
    b.format(v).as_bytes().to_vec()
}

/// Glob-style matching with Redis's `stringmatchlen` semantics: `*`, `?`,
/// `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), and `\` escapes.
/// Patterns nested too deeply stop matching instead of recursing without bound.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    string_match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn lower(c: u8, nocase: bool) -> u8 {
    if nocase { c.to_ascii_lowercase() } else { c }
}

fn string_match_impl(
    p: &[u8],
    s: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: usize,
) -> bool {
    // Same protection as Redis: deep nesting of '*' makes matching exponential.
    if nesting > 1000 {
        return false;
    }
    let (mut pi, mut si) = (0usize, 0usize);
    let (plen, slen) = (p.len(), s.len());
    while pi < plen && si < slen {
        match p[pi] {
            b'*' => {
                while pi + 1 < plen && p[pi + 1] == b'*' {
                    pi += 1;
                }
                if pi + 1 == plen {
                    return true;
                }
                while si < slen {
                    if string_match_impl(&p[pi + 1..], &s[si..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                pi += 1;
                let not = pi < plen && p[pi] == b'^';
                if not {
                    pi += 1;
                }
                let mut matched = false;
                loop {
                    if pi < plen && p[pi] == b'\\' && plen - pi >= 2 {
                        pi += 1;
                        if p[pi] == s[si] {
                            matched = true;
                        }
                    } else if pi < plen && p[pi] == b']' {
                        break;
                    } else if pi >= plen {
                        // Unterminated class: step back so the advance below ends the pattern.
                        pi -= 1;
                        break;
                    } else if plen - pi >= 3 && p[pi + 1] == b'-' {
                        let (mut start, mut end) = (p[pi], p[pi + 2]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, c) = (
                            lower(start, nocase),
                            lower(end, nocase),
                            lower(s[si], nocase),
                        );
                        pi += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if lower(p[pi], nocase) == lower(s[si], nocase) {
                        matched = true;
                    }
                    pi += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            b'\\' if plen - pi >= 2 => {
                pi += 1;
                if lower(p[pi], nocase) != lower(s[si], nocase) {
                    return false;
                }
                si += 1;
            }
            c => {
                if lower(c, nocase) != lower(s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == slen {
            while pi < plen && p[pi] == b'*' {
                pi += 1;
            }
            break;
        }
    }
    pi >= plen && si == slen
}

fn is_hex_digit(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex_digit_to_int(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Splits a line into arguments with Redis's `sdssplitargs` rules: spaces
/// separate, `"..."` understands `\xHH \n \r \t \b \a` and `\<c>`, `'...'`
/// understands `\'`; a closing quote must be followed by a space or the end.
/// A NUL byte ends the line (as in C). Returns `None` for unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n || line[i] == 0 {
            return Some(out);
        }
        let mut inq = false;
        let mut insq = false;
        let mut done = false;
        let mut cur = Vec::new();
        while !done {
            let c = if i < n { line[i] } else { 0 };
            if inq {
                if c == 0 {
                    return None;
                } else if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && is_hex_digit(line[i + 2])
                    && is_hex_digit(line[i + 3])
                {
                    cur.push(hex_digit_to_int(line[i + 2]) * 16 + hex_digit_to_int(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n && line[i + 1] != 0 {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        o => o,
                    });
                } else if c == b'"' {
                    if i + 1 < n && line[i + 1] != 0 && !is_space(line[i + 1]) {
                        return None;
                    }
                    done = true;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == 0 {
                    return None;
                } else if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && line[i + 1] != 0 && !is_space(line[i + 1]) {
                        return None;
                    }
                    done = true;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => cur.push(c),
                }
            }
            if i < n {
                i += 1;
            }
        }
        out.push(cur);
    }
}

/// Wall clock in milliseconds since the Unix epoch.
pub fn mstime() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Wall clock in microseconds since the Unix epoch.
pub fn ustime() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

// ---- long double / double helpers (csrc/ldouble.c) ----

#[allow(unsafe_code)]
mod ffi {
    unsafe extern "C" {
        pub fn rr_incrbyfloat(
            a: *const u8,
            alen: usize,
            b: *const u8,
            blen: usize,
            out: *mut u8,
            outlen: usize,
        ) -> i32;
        pub fn rr_fmt_g17(d: f64, out: *mut u8, outlen: usize) -> i32;
        pub fn rr_fmt_human_d(d: f64, out: *mut u8, outlen: usize) -> i32;
        pub fn rr_string2d(s: *const u8, len: usize, out: *mut f64) -> i32;
        pub fn rr_timeout_ms(s: *const u8, len: usize, out: *mut i64) -> i32;
        pub fn rr_strtod(s: *const u8, consumed: *mut usize) -> f64;
    }
}

/// Outcome of [`incr_by_float`].
#[derive(Debug, PartialEq, Eq)]
pub enum IncrFloatError {
    /// One operand is not a float: "ERR value is not a valid float".
    NotAFloat,
    /// The sum is NaN or infinite: "ERR increment would produce NaN or Infinity".
    NanOrInf,
}

/// Adds two decimal strings in 80-bit `long double` and formats the sum as
/// Redis's INCRBYFLOAT does (`%.17Lf`, trailing zeros removed). Operands
/// longer than 5 KiB are rejected as Redis does (`MAX_LONG_DOUBLE_CHARS`).
#[allow(unsafe_code)]
pub fn incr_by_float(cur: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let mut out = vec![0u8; 5200];
    // SAFETY: pointers and lengths come from live slices; the C side writes at
    // most `outlen` bytes into `out` and reads at most `alen`/`blen` bytes.
    let r = unsafe {
        ffi::rr_incrbyfloat(
            cur.as_ptr(),
            cur.len(),
            incr.as_ptr(),
            incr.len(),
            out.as_mut_ptr(),
            out.len(),
        )
    };
    match r {
        -1 | -3 => Err(IncrFloatError::NotAFloat),
        n if n > 0 => {
            out.truncate(n as usize);
            Ok(out)
        }
        _ => Err(IncrFloatError::NanOrInf),
    }
}

/// Formats a double like Redis 7.0's double replies: `%.17g`, with `inf` /
/// `-inf` for infinities.
#[allow(unsafe_code)]
pub fn d2string_g17(d: f64) -> Vec<u8> {
    if d.is_infinite() {
        return if d > 0.0 {
            b"inf".to_vec()
        } else {
            b"-inf".to_vec()
        };
    }
    let mut out = [0u8; 64];
    // SAFETY: `out` is a live 64-byte buffer; snprintf writes at most 64 bytes.
    let n = unsafe { ffi::rr_fmt_g17(d, out.as_mut_ptr(), out.len()) };
    let n = n.clamp(0, 63) as usize;
    out[..n].to_vec()
}

/// Formats a double as Redis's `addReplyHumanLongDouble` does: widened to
/// `long double`, `%.17Lf`, trailing zeros and a trailing dot removed,
/// `-0` as `0`; `inf` / `-inf` for infinities (Redis `ld2string` in
/// `LD_STR_HUMAN` mode). Used for GEOPOS and WITHCOORD coordinates.
#[allow(unsafe_code)]
pub fn d2string_human(d: f64) -> Vec<u8> {
    if d.is_infinite() {
        return if d > 0.0 {
            b"inf".to_vec()
        } else {
            b"-inf".to_vec()
        };
    }
    // A finite double has at most 309 integer digits, plus 18 for ".%17".
    let mut out = [0u8; 400];
    // SAFETY: `out` is a live 400-byte buffer; snprintf writes at most that.
    let n = unsafe { ffi::rr_fmt_human_d(d, out.as_mut_ptr(), out.len()) };
    let n = n.clamp(0, 399) as usize;
    out[..n].to_vec()
}

/// Parses a double with Redis's `string2d` rules (strtod, whole string, no
/// leading space, not NaN). Accepts "inf" and "-inf".
#[allow(unsafe_code)]
pub fn string2d(s: &[u8]) -> Option<f64> {
    let mut v = 0f64;
    // SAFETY: reads at most `len` bytes from the slice; writes one f64.
    let ok = unsafe { ffi::rr_string2d(s.as_ptr(), s.len(), &mut v) };
    if ok == 1 { Some(v) } else { None }
}

/// A blocking timeout in seconds as Redis 7.0 reads it: parsed as a C
/// `long double` (string2ld rules: hex and exponents accepted, no spaces,
/// no NaN), times 1000 rounded up, as i64 milliseconds. Values whose
/// milliseconds do not fit 64 bits (inf included) give `i64::MIN`, as the
/// x86-64 conversion Redis relies on does. None when not a float.
#[allow(unsafe_code)]
pub fn timeout_secs_to_ms(s: &[u8]) -> Option<i64> {
    let mut v = 0i64;
    // SAFETY: reads at most `len` bytes from the slice; writes one i64.
    let ok = unsafe { ffi::rr_timeout_ms(s.as_ptr(), s.len(), &mut v) };
    if ok == 1 { Some(v) } else { None }
}

/// C `strtod` over `s` read as a C string (it ends at the first NUL byte):
/// returns the value and how many bytes were parsed (0 if none). Leading
/// white space, hex floats, `inf`/`nan` are accepted as C does. Redis parses
/// ZRANGEBYSCORE-style bounds and listpack scores this way, so `(` + "" or
/// " 1" are valid bounds there.
#[allow(unsafe_code)]
pub fn strtod(s: &[u8]) -> (f64, usize) {
    let s = match memchr::memchr(0, s) {
        Some(n) => &s[..n],
        None => s,
    };
    let mut buf = [0u8; 128];
    let mut heap: Vec<u8>;
    let cstr: &[u8] = if s.len() < buf.len() {
        buf[..s.len()].copy_from_slice(s);
        &buf[..=s.len()]
    } else {
        heap = Vec::with_capacity(s.len() + 1);
        heap.extend_from_slice(s);
        heap.push(0);
        &heap
    };
    let mut consumed = 0usize;
    // SAFETY: `cstr` is a live NUL-terminated buffer; strtod reads up to its
    // NUL and writes one usize.
    let v = unsafe { ffi::rr_strtod(cstr.as_ptr(), &mut consumed) };
    (v, consumed.min(s.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zmalloc_size_follows_jemalloc_classes() {
        let classes = [
            8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768,
            896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192,
            10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768, 40960, 49152,
        ];
        assert_eq!(zmalloc_size(0), 0);
        let mut prev = 0;
        for &c in &classes {
            assert_eq!(zmalloc_size(c), c, "class {c}");
            assert_eq!(zmalloc_size(prev + 1), c, "request {}", prev + 1);
            prev = c;
        }
        assert_eq!(zmalloc_size(33004), 40960);
        assert_eq!(zmalloc_size(1 << 20), 1 << 20);
        assert_eq!(zmalloc_size((1 << 20) + 1), (1 << 20) + (1 << 18));
    }

    #[test]
    fn atoll_like_c() {
        assert_eq!(atoll(b"1"), 1);
        assert_eq!(atoll(b" -12x"), -12);
        assert_eq!(atoll(b"\t+7"), 7);
        assert_eq!(atoll(b"x"), 0);
        assert_eq!(atoll(b""), 0);
        assert_eq!(atoll(b"99999999999999999999"), i64::MAX);
        assert_eq!(atoll(b"-9223372036854775808"), i64::MIN);
        assert_eq!(atoll(b"-99999999999999999999"), i64::MIN);
    }

    #[test]
    fn string2ll_rules() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(string2ll(b"9223372036854775808"), None);
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"+7"), Some(7));
        assert_eq!(parse_scan_cursor(b" 7"), None);
        assert_eq!(parse_scan_cursor(b"99999999999999999999"), None);
        assert_eq!(parse_scan_cursor(b"-"), None);
        for bad in [
            &b""[..],
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"-",
            b"123456789012345678901",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn glob() {
        assert!(string_match(b"*", b"anything", false));
        assert!(string_match(b"h?llo", b"hello", false));
        assert!(!string_match(b"h?llo", b"hllo", false));
        assert!(string_match(b"h[ae]llo", b"hallo", false));
        assert!(!string_match(b"h[^e]llo", b"hello", false));
        assert!(string_match(b"h[a-b]llo", b"hbllo", false));
        assert!(string_match(b"h[b-a]llo", b"hallo", false));
        assert!(string_match(b"h\\*llo", b"h*llo", false));
        assert!(!string_match(b"h\\*llo", b"hallo", false));
        assert!(string_match(b"key:*", b"key:1", false));
        assert!(!string_match(b"key:*", b"ke", false));
        assert!(string_match(b"HELLO", b"hello", true));
        assert!(string_match(b"a*b*c", b"axxbyyc", false));
        assert!(!string_match(b"a*b*c", b"axxbyy", false));
        assert!(string_match(b"*a", b"a", false));
        assert!(string_match(b"a*", b"a", false));
        assert!(!string_match(b"", b"a", false));
        assert!(string_match(b"", b"", false));
        // pathological pattern terminates quickly
        let p = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        assert!(!string_match(p, &[b'a'; 60], false));
    }

    #[test]
    fn split_args_rules() {
        assert_eq!(
            split_args(b"set a \"b c\"").unwrap(),
            vec![b"set".to_vec(), b"a".to_vec(), b"b c".to_vec()]
        );
        assert_eq!(split_args(b"\"\\x41\\n\"").unwrap(), vec![b"A\n".to_vec()]);
        assert_eq!(split_args(b"'it\\'s'").unwrap(), vec![b"it's".to_vec()]);
        assert!(split_args(b"\"abc").is_none());
        assert!(split_args(b"\"abc\"def").is_none());
        assert!(split_args(b"'abc").is_none());
        assert_eq!(split_args(b"   ").unwrap().len(), 0);
        assert_eq!(split_args(b"a\"b c\"").unwrap(), vec![b"ab c".to_vec()]);
    }

    #[test]
    fn float_helpers() {
        assert_eq!(incr_by_float(b"10.5", b"0.1").unwrap(), b"10.6");
        assert_eq!(incr_by_float(b"5.0e3", b"2.0e2").unwrap(), b"5200");
        assert_eq!(incr_by_float(b"abc", b"1"), Err(IncrFloatError::NotAFloat));
        assert_eq!(incr_by_float(b"1", b" 1"), Err(IncrFloatError::NotAFloat));
        assert_eq!(incr_by_float(b"1", b"inf"), Err(IncrFloatError::NanOrInf));
        assert_eq!(incr_by_float(b"-1", b"1").unwrap(), b"0");
        assert_eq!(d2string_g17(1.5), b"1.5");
        assert_eq!(d2string_g17(0.1), b"0.10000000000000001");
        assert_eq!(d2string_g17(f64::INFINITY), b"inf");
        assert_eq!(string2d(b"1.5"), Some(1.5));
        assert_eq!(string2d(b"nan"), None);
        assert_eq!(string2d(b""), None);
        assert_eq!(strtod(b" 1.5x"), (1.5, 4));
        assert_eq!(strtod(b""), (0.0, 0));
        assert_eq!(strtod(b"0x10"), (16.0, 4));
        assert_eq!(strtod(b"2\x003"), (2.0, 1));
        assert_eq!(strtod(b"-inf").0, f64::NEG_INFINITY);
    }
}
