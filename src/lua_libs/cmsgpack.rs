//! `cmsgpack`: MessagePack as lua-cmsgpack 0.4.0 in Redis 7.0.15
//! (`deps/lua/src/lua_cmsgpack.c`) reads and writes it.
//!
//! # Packing (`cmsgpack.pack(v1, v2, ...)`)
//!
//! Each argument is encoded in turn and the results are concatenated.
//! * A number equal to a 64-bit integer is written as the smallest integer
//!   type (positive fixint, uint8/16/32/64, negative fixint, int8/16/32/64);
//!   other numbers as float32 when the conversion to float is exact
//!   (infinities included), else float64.
//! * Strings are fixstr, str8, str16 or str32 (never bin). Booleans are
//!   `c2`/`c3`.
//! * A table whose keys are exactly 1..N is an array (the empty table is
//!   an empty array `90`), any other table a map. Tables nested 16 deep are
//!   written as nil, which also stops self-referencing tables.
//! * Anything else (nil, functions, userdata, `cjson.null`) is nil `c0`.
//!
//! # Unpacking
//!
//! `cmsgpack.unpack(s)` returns every value in `s`; `unpack_one(s[, off])`
//! and `unpack_limit(s, limit[, off])` return the next offset first (`-1`
//! when `s` is exhausted), then up to 1 / `limit` values starting at byte
//! offset `off`. Integers and floats become Lua numbers (uint64 wraps to a
//! signed value first, as in Redis); str8/16/32 and fixstr become strings;
//! arrays and maps become tables. bin, ext and the reserved byte are "Bad
//! data format in input."; truncated input is "Missing bytes in input.".
//! There is no depth limit besides the Lua C stack (see `lua_libs`), whose
//! overflow gives Redis's "stack overflow (...)" messages; the decoder is
//! iterative so deep input cannot overflow the Rust stack.

use super::{
    Args, LUAI_MAXCSTACK, LibError, LibOk, LibResult, c_double_to_i32, c_double_to_i64, num_value,
    ret1, set_fn,
};
use mlua::{Lua, MultiValue, Table, Value};

/// Tables nested this deep are packed as nil.
const MAX_NESTING: u32 = 16;

// ---- Packing ----

fn encode_int(buf: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            buf.push(n as u8);
        } else if n <= 0xff {
            buf.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            buf.push(0xcd);
            buf.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            buf.push(0xce);
            buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            buf.push(0xcf);
            buf.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        buf.push(n as i8 as u8);
    } else if n >= -128 {
        buf.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        buf.push(0xd1);
        buf.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        buf.push(0xd2);
        buf.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        buf.push(0xd3);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(buf: &mut Vec<u8>, n: f64) {
    let i = c_double_to_i64(n);
    if !n.is_infinite() && i as f64 == n {
        encode_int(buf, i);
        return;
    }
    let f = n as f32;
    if f as f64 == n {
        buf.push(0xca);
        buf.extend_from_slice(&f.to_be_bytes());
    } else {
        buf.push(0xcb);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_bytes(buf: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        buf.push(0xa0 | len as u8);
    } else if len <= 0xff {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(s);
}

fn encode_header(buf: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        buf.push(fix | n as u8);
    } else if n <= 0xffff {
        buf.push(b16);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(b32);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// Encodes `v` at nesting `level`; `sp` counts the Lua stack slots the C
/// encoder would hold with `v` on top; `budget` is how many more mlua
/// references tables below may keep (see `encode_table`).
fn encode_value(
    buf: &mut Vec<u8>,
    v: Value,
    level: u32,
    sp: usize,
    budget: usize,
) -> Result<(), LibError> {
    if buf.len() > super::MAX_OUTPUT {
        return Err(super::output_too_large());
    }
    match v {
        Value::Table(_) if level == MAX_NESTING => buf.push(0xc0),
        Value::String(s) => encode_bytes(buf, &s.as_bytes()),
        Value::Boolean(b) => buf.push(if b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => encode_number(buf, num_value(&v).unwrap_or(0.0)),
        Value::Table(t) => encode_table(buf, t, level, sp, budget)?,
        _ => buf.push(0xc0),
    }
    Ok(())
}

/// Writes a table as an array when its keys are exactly 1..N, else as a
/// map. The table is walked once, its pairs kept when they fit in
/// `budget` mlua references (shared down the nesting); a larger map is
/// walked again to count and to write, as the C code does.
fn encode_table(
    buf: &mut Vec<u8>,
    t: Table,
    level: u32,
    sp: usize,
    budget: usize,
) -> Result<(), LibError> {
    if sp + 2 > LUAI_MAXCSTACK {
        return Err(LibError::stack_overflow("in function table_is_an_array"));
    }
    let mut count: i64 = 0;
    let mut max: i64 = 0;
    let mut is_array = true;
    let mut pairs: Option<Vec<(Value, Value)>> = Some(Vec::new());
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        if is_array {
            match num_value(&k) {
                Some(n) if n > 0.0 && !n.is_infinite() && c_double_to_i32(n) as f64 == n => {
                    max = max.max(n as i64);
                    count += 1;
                }
                _ => is_array = false,
            }
        }
        if let Some(p) = &mut pairs {
            if 2 * (p.len() + 1) > budget {
                pairs = None;
            } else {
                p.push((k, v));
            }
        }
    }
    if is_array && max == count {
        drop(pairs);
        if sp + 1 > LUAI_MAXCSTACK {
            return Err(LibError::stack_overflow(
                "in function mp_encode_lua_table_as_array",
            ));
        }
        let len = t.raw_len();
        encode_header(buf, len, 0x90, 0xdc, 0xdd);
        for j in 1..=len {
            let v: Value = t.raw_get(j as i64)?;
            encode_value(buf, v, level + 1, sp + 1, budget)?;
        }
        return Ok(());
    }
    if sp + 3 > LUAI_MAXCSTACK {
        return Err(LibError::stack_overflow(
            "in function mp_encode_lua_table_as_map",
        ));
    }
    match pairs {
        Some(pairs) => {
            let rest = budget.saturating_sub(2 * pairs.len());
            encode_header(buf, pairs.len(), 0x80, 0xde, 0xdf);
            for (k, v) in pairs {
                encode_value(buf, k, level + 1, sp + 3, rest)?;
                encode_value(buf, v, level + 1, sp + 2, rest)?;
            }
        }
        None => {
            let mut len = 0usize;
            for pair in t.pairs::<Value, Value>() {
                pair?;
                len += 1;
            }
            encode_header(buf, len, 0x80, 0xde, 0xdf);
            for pair in t.pairs::<Value, Value>() {
                let (k, v) = pair?;
                encode_value(buf, k, level + 1, sp + 3, budget)?;
                encode_value(buf, v, level + 1, sp + 2, budget)?;
            }
        }
    }
    Ok(())
}

/// `cmsgpack.pack(...)`: "bad argument #0 to 'pack' (MessagePack pack
/// needs input.)" without arguments.
fn mp_pack(lua: &Lua, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    let nargs = args.top();
    if nargs == 0 {
        return Err(LibError::arg(0, "MessagePack pack needs input."));
    }
    if nargs * 2 > LUAI_MAXCSTACK {
        return Err(LibError::arg(0, "Too many arguments for MessagePack pack."));
    }
    let mut buf = Vec::new();
    for (i, v) in args.0.into_iter().enumerate() {
        // Arguments, the results so far, then this argument's copy.
        encode_value(&mut buf, v, 0, nargs + i + 1, super::cjson::REF_BUDGET)?;
    }
    ret1(Value::String(lua.create_string(&buf)?))
}

// ---- Unpacking ----

/// Why decoding one value stopped.
enum DecodeError {
    /// Not enough bytes: "Missing bytes in input."
    Eof,
    /// An unsupported type byte: "Bad data format in input."
    BadFormat,
    /// An error raised on the spot (stack overflow, bad table key).
    Raised(LibError),
}

impl From<mlua::Error> for DecodeError {
    fn from(e: mlua::Error) -> Self {
        DecodeError::Raised(e.into())
    }
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Takes `n` bytes, or fails with `Eof` (consuming nothing).
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.left() < n {
            return Err(DecodeError::Eof);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b as u64))
    }
}

/// A container being filled. The tables (and a map's pending key) wait in
/// Lua-side work tables indexed by depth, so deep input does not hold one
/// mlua reference per level.
enum Frame {
    Array {
        remaining: usize,
        next: i64,
    },
    /// `has_key`: the key is read and waits in `keys[depth]`.
    Map {
        remaining: usize,
        has_key: bool,
    },
}

/// What one type byte starts: a finished value or a container.
enum Item {
    Value(Value),
    Array(usize),
    Map(usize),
}

fn read_item(lua: &Lua, c: &mut Cursor) -> Result<Item, DecodeError> {
    let b = c.take(1)?[0];
    let num = |n: f64| Ok(Item::Value(Value::Number(n)));
    match b {
        0xcc => num(c.be(1)? as f64),
        0xd0 => num(c.be(1)? as u8 as i8 as f64),
        0xcd => num(c.be(2)? as f64),
        0xd1 => num(c.be(2)? as u16 as i16 as f64),
        0xce => num(c.be(4)? as f64),
        0xd2 => num(c.be(4)? as u32 as i32 as f64),
        0xcf => num(c.be(8)? as i64 as f64),
        0xd3 => num(c.be(8)? as i64 as f64),
        0xc0 => Ok(Item::Value(Value::Nil)),
        0xc3 => Ok(Item::Value(Value::Boolean(true))),
        0xc2 => Ok(Item::Value(Value::Boolean(false))),
        0xca => num(f32::from_bits(c.be(4)? as u32) as f64),
        0xcb => num(f64::from_bits(c.be(8)?)),
        0xd9..=0xdb => {
            let n = match b {
                0xd9 => 1,
                0xda => 2,
                _ => 4,
            };
            let len = c.be(n)? as usize;
            let s = c.take(len)?;
            Ok(Item::Value(Value::String(lua.create_string(s)?)))
        }
        0xdc => Ok(Item::Array(c.be(2)? as usize)),
        0xdd => Ok(Item::Array(c.be(4)? as usize)),
        0xde => Ok(Item::Map(c.be(2)? as usize)),
        0xdf => Ok(Item::Map(c.be(4)? as usize)),
        _ if b & 0x80 == 0 => num(b as f64),
        _ if b & 0xe0 == 0xe0 => num(b as i8 as f64),
        _ if b & 0xe0 == 0xa0 => {
            let s = c.take((b & 0x1f) as usize)?;
            Ok(Item::Value(Value::String(lua.create_string(s)?)))
        }
        _ if b & 0xf0 == 0x90 => Ok(Item::Array((b & 0x0f) as usize)),
        _ if b & 0xf0 == 0x80 => Ok(Item::Map((b & 0x0f) as usize)),
        _ => Err(DecodeError::BadFormat),
    }
}

/// Lua-side storage for the containers being filled.
struct Work {
    tables: Table,
    keys: Table,
}

/// Decodes one value; `sp` is the number of Lua stack slots in use before
/// it (the C decoder's `lua_gettop`).
fn decode_value(
    lua: &Lua,
    c: &mut Cursor,
    sp: usize,
    work: &mut Option<Work>,
) -> Result<Value, DecodeError> {
    let mut stack: Vec<Frame> = Vec::new();
    // The tables of the first `REF_BUDGET` frames; deeper ones wait in
    // `work.tables`.
    let mut held: Vec<Value> = Vec::new();
    // Stack slots in use when the next item is decoded.
    let mut s = sp;
    loop {
        if c.left() < 1 {
            return Err(DecodeError::Eof);
        }
        if s + 1 > LUAI_MAXCSTACK {
            return Err(DecodeError::Raised(LibError::stack_overflow(
                "too many return values at once; use unpack_one or unpack_limit instead.",
            )));
        }
        let (t, frame) = match read_item(lua, c)? {
            Item::Value(v) => (v, None),
            Item::Array(n) => {
                let t = lua.create_table()?;
                if s + 2 > LUAI_MAXCSTACK {
                    return Err(DecodeError::Raised(LibError::stack_overflow(
                        "in function mp_decode_to_lua_array",
                    )));
                }
                let f = (n > 0).then_some(Frame::Array {
                    remaining: n,
                    next: 1,
                });
                (Value::Table(t), f)
            }
            Item::Map(n) => {
                let t = lua.create_table()?;
                let f = (n > 0).then_some(Frame::Map {
                    remaining: n,
                    has_key: false,
                });
                (Value::Table(t), f)
            }
        };
        if let Some(f) = frame {
            s += match f {
                Frame::Array { .. } => 2,
                Frame::Map { .. } => 1,
            };
            stack.push(f);
            let w = match work {
                Some(w) => w,
                None => work.insert(Work {
                    tables: lua.create_table()?,
                    keys: lua.create_table()?,
                }),
            };
            if stack.len() <= super::cjson::REF_BUDGET {
                held.push(t);
            } else {
                w.tables.raw_set(stack.len(), t)?;
            }
            continue;
        }
        let mut value = t;
        // Store the finished value; close containers that are complete.
        loop {
            let depth = stack.len();
            let (Some(top), Some(w)) = (stack.last_mut(), work.as_ref()) else {
                return Ok(value);
            };
            match top {
                Frame::Array { remaining, next } => {
                    let t: Table = frame_table(&held, w, depth)?;
                    t.raw_set(*next, value)?;
                    *next += 1;
                    *remaining -= 1;
                    if *remaining > 0 {
                        break;
                    }
                }
                Frame::Map { remaining, has_key } => {
                    if !*has_key {
                        w.keys.raw_set(depth, value)?;
                        *has_key = true;
                        s += 1;
                        break;
                    }
                    let k: Value = w.keys.raw_get(depth)?;
                    match &k {
                        Value::Nil => {
                            return Err(DecodeError::Raised(LibError::Raw(
                                b"table index is nil".to_vec(),
                            )));
                        }
                        Value::Number(n) if n.is_nan() => {
                            return Err(DecodeError::Raised(LibError::Raw(
                                b"table index is NaN".to_vec(),
                            )));
                        }
                        _ => {}
                    }
                    let t: Table = frame_table(&held, w, depth)?;
                    t.raw_set(k, value)?;
                    w.keys.raw_set(depth, Value::Nil)?;
                    *has_key = false;
                    *remaining -= 1;
                    if *remaining > 0 {
                        s -= 1;
                        break;
                    }
                }
            }
            // The container on top is complete.
            value = if depth <= held.len() {
                held.pop().unwrap_or(Value::Nil)
            } else {
                let v = w.tables.raw_get(depth)?;
                w.tables.raw_set(depth, Value::Nil)?;
                v
            };
            stack.pop();
            s -= 2;
        }
    }
}

/// The table of the frame at `depth` (1-based).
fn frame_table(held: &[Value], w: &Work, depth: usize) -> mlua::Result<Table> {
    match held.get(depth - 1) {
        Some(Value::Table(t)) => Ok(t.clone()),
        _ => w.tables.raw_get(depth),
    }
}

/// lua-cmsgpack's `mp_unpack_full`: decodes up to `limit` values from byte
/// `offset` (all of them when both are 0), with `base` stack slots in use.
fn unpack_full(lua: &Lua, args: &Args, base: usize, limit: i64, offset: i64) -> LibResult {
    let data = args.check_lstring(1)?;
    let len = data.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(LibError::msg(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )));
    } else if offset as u64 > len as u64 {
        return Err(LibError::msg(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        )));
    }
    let limit = if decode_all { i32::MAX as i64 } else { limit };
    let mut c = Cursor {
        data: &data,
        pos: offset as usize,
    };
    let results = lua.create_table()?;
    // Results start at 2 when the offset goes first.
    let first = if decode_all { 1 } else { 2 };
    let mut work = None;
    let mut cnt: usize = 0;
    while c.left() > 0 && (cnt as i64) < limit {
        match decode_value(lua, &mut c, base + cnt, &mut work) {
            Ok(v) => results.raw_set(first + cnt, v)?,
            Err(DecodeError::Eof) => return Err(LibError::msg("Missing bytes in input.")),
            Err(DecodeError::BadFormat) => return Err(LibError::msg("Bad data format in input.")),
            Err(DecodeError::Raised(e)) => return Err(e),
        }
        cnt += 1;
    }
    if decode_all {
        return Ok(LibOk::Packed(results, cnt));
    }
    if base + cnt + 1 > LUAI_MAXCSTACK {
        return Err(LibError::stack_overflow("in function mp_unpack_full"));
    }
    let next = if c.left() == 0 {
        -1
    } else {
        (len - c.left()) as i64
    };
    results.raw_set(1, next)?;
    Ok(LibOk::Packed(results, cnt + 1))
}

/// `cmsgpack.unpack(s)`.
fn mp_unpack(lua: &Lua, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    let base = args.top();
    unpack_full(lua, &args, base, 0, 0)
}

/// `cmsgpack.unpack_one(s[, offset])`.
fn mp_unpack_one(lua: &Lua, a: MultiValue) -> LibResult {
    let mut args = Args::new(a);
    let offset = args.opt_integer(lua, 2, 0)?;
    args.0.truncate(1);
    let base = args.top();
    unpack_full(lua, &args, base, 1, offset)
}

/// `cmsgpack.unpack_limit(s, limit[, offset])`.
fn mp_unpack_limit(lua: &Lua, a: MultiValue) -> LibResult {
    let mut args = Args::new(a);
    let limit = args.check_integer(lua, 2)?;
    let offset = args.opt_integer(lua, 3, 0)?;
    args.0.truncate(1);
    let base = args.top();
    unpack_full(lua, &args, base, limit, offset)
}

/// Builds the `cmsgpack` table: `pack`, `unpack`, `unpack_one`,
/// `unpack_limit` and the `_NAME`, `_VERSION`, `_COPYRIGHT`,
/// `_DESCRIPTION` strings.
pub fn new_module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    set_fn(lua, &t, "pack", mp_pack)?;
    set_fn(lua, &t, "unpack", mp_unpack)?;
    set_fn(lua, &t, "unpack_one", mp_unpack_one)?;
    set_fn(lua, &t, "unpack_limit", mp_unpack_limit)?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    #[test]
    fn basics() {
        let lua = lua();
        assert_eq!(hex(&lua, "return cmsgpack.pack({})"), "90");
    }
}
