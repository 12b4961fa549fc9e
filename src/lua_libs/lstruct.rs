//! `struct`: binary packing as Redis 7.0.15's bundled `lua_struct.c`
//! (Roberto Ierusalimschy's struct library, 2018 version) behaves on
//! x86-64 Linux.
//!
//! `struct.pack(fmt, ...)`, `struct.unpack(fmt, data[, pos])` (returns the
//! values, then the position after the last byte read, 1-based) and
//! `struct.size(fmt)`.
//!
//! Format characters: `>` big endian, `<` little endian (the default is the
//! machine's: little), `![n]` maximum alignment (a power of two; no digits
//! means 8), space ignored, `x` a zero byte, `b/B` signed/unsigned char,
//! `h/H` short (2), `l/L` long (8), `T` size_t (8), `i/I[n]` integer of n
//! bytes (default 4, at most 32), `f` float, `d` double, `c[n]` n chars (on
//! pack, `c0` or `c` with n 0 takes the whole string; on unpack `c0` takes
//! the previous number as the length), `s` a zero-terminated string.
//!
//! Integers travel through the library's 64-bit `long`: pack converts the
//! double as C casts do (so out-of-range values wrap as x86-64 does), sizes
//! above 8 pad with zero bytes, and unpack keeps only the low 64 bits and
//! sign-extends with x86's shift-count masking. Errors keep the C texts:
//! "invalid format option 'z'", "integral size 33 is larger than limit of
//! 32", "alignment 3 is not a power of 2", "data string too short", "string
//! too short", "format 'c0' needs a previous size", "unfinished string in
//! data", "offset must be 1 or greater", "option 's' has no fixed size".

use super::{
    Args, LUAI_MAXCSTACK, LibError, LibOk, LibResult, c_double_to_i64, c_double_to_u64, ret1,
    set_fn, to_number,
};
use mlua::{Lua, MultiValue, Table, Value};

/// The largest integer size, `MAXINTSIZE`.
const MAXINTSIZE: i32 = 32;
/// The default for `!` without a number: the alignment of a double.
const MAXALIGN: i32 = 8;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Self {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// A format string being read (up to its first NUL, as C reads it).
struct Fmt<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Fmt<'_> {
    fn next_opt(&mut self) -> Option<u8> {
        let c = self.s.get(self.pos).copied()?;
        self.pos += 1;
        Some(c)
    }

    /// Reads a decimal number if one follows, else `df`.
    fn getnum(&mut self, df: i32) -> Result<i32, LibError> {
        if !self.s.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(df);
        }
        let mut a: i32 = 0;
        while let Some(&c) = self.s.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let d = (c - b'0') as i32;
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return Err(LibError::msg("integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a)
    }
}

/// The size of option `opt` (reading its number), 0 for options without
/// a size.
fn optsize(opt: u8, fmt: &mut Fmt) -> Result<usize, LibError> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' | b'd' => 8,
        b'f' => 4,
        b'x' => 1,
        b'c' => fmt.getnum(1)? as usize,
        b'i' | b'I' => {
            let sz = fmt.getnum(4)?;
            if sz > MAXINTSIZE {
                return Err(LibError::msg(format!(
                    "integral size {sz} is larger than limit of {MAXINTSIZE}"
                )));
            }
            sz as usize
        }
        _ => 0,
    })
}

/// Padding needed before an item of `size` at offset `len`.
fn gettoalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

/// Endianness, alignment and spaces; anything else is an invalid option.
fn controloptions(opt: u8, fmt: &mut Fmt, h: &mut Header) -> Result<(), LibError> {
    match opt {
        b' ' => Ok(()),
        b'>' => {
            h.endian = Endian::Big;
            Ok(())
        }
        b'<' => {
            h.endian = Endian::Little;
            Ok(())
        }
        b'!' => {
            let a = fmt.getnum(MAXALIGN)?;
            if !(a > 0 && a & (a - 1) == 0) {
                return Err(LibError::msg(format!("alignment {a} is not a power of 2")));
            }
            h.align = a as usize;
            Ok(())
        }
        _ => {
            let mut m = b"invalid format option '".to_vec();
            m.push(opt);
            m.push(b'\'');
            Err(LibError::Arg(1, m))
        }
    }
}

fn is_int_opt(opt: u8) -> bool {
    matches!(
        opt,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

/// The format string: argument 1, up to its first NUL.
fn format_arg(args: &Args) -> Result<Vec<u8>, LibError> {
    let mut f = args.check_lstring(1)?;
    if let Some(p) = f.iter().position(|&b| b == 0) {
        f.truncate(p);
    }
    Ok(f)
}

/// `struct.pack(fmt, v1, v2, ...)`.
fn b_pack(lua: &Lua, a: MultiValue) -> LibResult {
    let mut args = Args::new(a);
    let fs = format_arg(&args)?;
    // The C code pushes a nil above the arguments before packing, so a
    // missing argument right after the last one reads as nil.
    args.0.push_back(Value::Nil);
    let mut fmt = Fmt { s: &fs, pos: 0 };
    let mut h = Header::new();
    let mut arg = 2usize;
    let mut total: usize = 0;
    let mut out: Vec<u8> = Vec::new();
    while let Some(opt) = fmt.next_opt() {
        let mut size = optsize(opt, &mut fmt)?;
        let toalign = gettoalign(total, &h, opt, size);
        total = total.wrapping_add(toalign);
        out.resize(out.len() + toalign, 0);
        match opt {
            _ if is_int_opt(opt) => {
                let n = args.check_number(lua, arg)?;
                arg += 1;
                let mut value: u64 = if n < 0.0 {
                    c_double_to_i64(n) as u64
                } else {
                    c_double_to_u64(n)
                };
                let mut buf = [0u8; MAXINTSIZE as usize];
                let bytes = &mut buf[..size];
                if h.endian == Endian::Little {
                    for b in bytes.iter_mut() {
                        *b = value as u8;
                        value >>= 8;
                    }
                } else {
                    for b in bytes.iter_mut().rev() {
                        *b = value as u8;
                        value >>= 8;
                    }
                }
                out.extend_from_slice(bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args.check_number(lua, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&match h.endian {
                    Endian::Little => f.to_le_bytes(),
                    Endian::Big => f.to_be_bytes(),
                });
            }
            b'd' => {
                let d = args.check_number(lua, arg)?;
                arg += 1;
                out.extend_from_slice(&match h.endian {
                    Endian::Little => d.to_le_bytes(),
                    Endian::Big => d.to_be_bytes(),
                });
            }
            b'c' | b's' => {
                let s = args.check_lstring(arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(LibError::arg(arg as i32, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => controloptions(opt, &mut fmt, &mut h)?,
        }
        total = total.wrapping_add(size);
    }
    ret1(Value::String(lua.create_string(&out)?))
}

/// Reads an integer of `bytes.len()` bytes through a 64-bit accumulator.
fn getinteger(bytes: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut add = |b: u8| l = (l << 8) | b as u64;
    match endian {
        Endian::Big => bytes.iter().for_each(|&b| add(b)),
        Endian::Little => bytes.iter().rev().for_each(|&b| add(b)),
    }
    if !signed {
        return l as f64;
    }
    // x86 masks the shift count to 6 bits.
    let shift = ((bytes.len() as i64 * 8 - 1) & 63) as u32;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.unpack(fmt, data[, pos])`.
fn b_unpack(lua: &Lua, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    let fs = format_arg(&args)?;
    let data = args.check_lstring(2)?;
    let ld = data.len();
    let mut pos = args.opt_integer(lua, 3, 1)? as u64 as usize;
    if pos == 0 {
        return Err(LibError::arg(3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let mut fmt = Fmt { s: &fs, pos: 0 };
    let mut h = Header::new();
    // Results go straight to a Lua table (see `LibOk::Packed`); `prev` is
    // the last one, which `c0` reads and takes back.
    let results = lua.create_table()?;
    let mut n: usize = 0;
    let mut prev: Option<Value> = None;
    let too_short = || LibError::arg(2, "data string too short");
    while let Some(opt) = fmt.next_opt() {
        let mut size = optsize(opt, &mut fmt)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if !(size <= ld && pos <= ld - size) {
            return Err(too_short());
        }
        if args.top() + n + 2 > LUAI_MAXCSTACK {
            return Err(LibError::stack_overflow("too many results"));
        }
        match opt {
            _ if is_int_opt(opt) => {
                let signed = opt.is_ascii_lowercase();
                let v = getinteger(&data[pos..pos + size], h.endian, signed);
                push(&results, &mut n, &mut prev, Value::Number(v))?;
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let f = match h.endian {
                    Endian::Little => f32::from_le_bytes(b),
                    Endian::Big => f32::from_be_bytes(b),
                };
                push(&results, &mut n, &mut prev, Value::Number(f as f64))?;
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let d = match h.endian {
                    Endian::Little => f64::from_le_bytes(b),
                    Endian::Big => f64::from_be_bytes(b),
                };
                push(&results, &mut n, &mut prev, Value::Number(d))?;
            }
            b'c' => {
                if size == 0 {
                    let prev_num = match (&prev, n) {
                        (Some(v), 1..) => to_number(lua, v),
                        _ => None,
                    };
                    let Some(len) = prev_num else {
                        return Err(LibError::msg("format 'c0' needs a previous size"));
                    };
                    size = c_double_to_u64(len) as usize;
                    results.raw_set(n, Value::Nil)?;
                    n -= 1;
                    prev = None;
                    if !(size <= ld && pos <= ld - size) {
                        return Err(too_short());
                    }
                }
                let v = Value::String(lua.create_string(&data[pos..pos + size])?);
                push(&results, &mut n, &mut prev, v)?;
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(LibError::msg("unfinished string in data"));
                };
                let v = Value::String(lua.create_string(&data[pos..pos + e])?);
                push(&results, &mut n, &mut prev, v)?;
                size = e + 1;
            }
            _ => controloptions(opt, &mut fmt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    results.raw_set(n + 1, Value::Integer(pos.wrapping_add(1) as u64 as i64))?;
    Ok(LibOk::Packed(results, n + 1))
}

/// Appends an unpacked value to the results.
fn push(
    results: &Table,
    n: &mut usize,
    prev: &mut Option<Value>,
    v: Value,
) -> Result<(), LibError> {
    *n += 1;
    results.raw_set(*n, v.clone())?;
    *prev = Some(v);
    Ok(())
}

/// `struct.size(fmt)`.
fn b_size(_lua: &Lua, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    let fs = format_arg(&args)?;
    let mut fmt = Fmt { s: &fs, pos: 0 };
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_opt() {
        let size = optsize(opt, &mut fmt)?;
        pos = pos.wrapping_add(gettoalign(pos, &h, opt, size));
        if opt == b's' {
            return Err(LibError::arg(1, "option 's' has no fixed size"));
        } else if opt == b'c' && size == 0 {
            return Err(LibError::arg(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            controloptions(opt, &mut fmt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    ret1(Value::Integer(pos as u64 as i64))
}

/// Builds the `struct` table.
pub fn new_module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    set_fn(lua, &t, "pack", b_pack)?;
    set_fn(lua, &t, "unpack", b_unpack)?;
    set_fn(lua, &t, "size", b_size)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn basics() {
        let lua = lua();
        assert_eq!(hex(&lua, "return struct.pack('>i', 1)"), "00000001");
    }
}
