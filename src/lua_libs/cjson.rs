//! `cjson`: JSON for scripts, behaving as the lua-cjson 2.1.0 Redis 7.0.15
//! bundles (`deps/lua/src/lua_cjson.c`).
//!
//! # Encoding (`cjson.encode(v)`)
//!
//! * Strings are quoted with `"`, `\`, `/` escaped as `\"`, `\\`, `\/`;
//!   control bytes become `\b \t \n \f \r` or `\u00XX`, DEL is `\u007f`;
//!   other bytes (invalid UTF-8 included) pass through.
//! * Numbers print with `%.<precision>g` (precision 14 by default), so
//!   `1e15` is `1e+15` and `-0` is `-0`. NaN and ±Inf are an error unless
//!   `encode_invalid_numbers` allows them (`"on"`: `nan`, `inf`, `-inf`;
//!   `"null"`: `null`).
//! * A table is an array when every key is a positive integer; its length is
//!   the largest key, holes are `null`. An empty table is an object `{}`.
//!   An array whose largest key exceeds both `ratio * items` and `safe`
//!   (defaults 2 and 10) is "excessively sparse": an error, or an object
//!   when `encode_sparse_array(true)` was set. Largest keys beyond `int`
//!   range wrap as C's `(int)` cast does, which makes such tables objects.
//! * Object keys must be strings or numbers (numbers are printed and
//!   quoted). Other values: `nil` and `cjson.null` are `null`; functions,
//!   userdata and threads are errors.
//! * Tables nest at most `encode_max_depth` (1000) deep.
//!
//! # Decoding (`cjson.decode(s)`)
//!
//! A recursive-descent parser over the bytes up to the first NUL (the C
//! library reads a C string). Objects become tables (duplicate keys: last
//! wins), arrays sequences, `null` becomes `cjson.null` (a NULL light
//! userdata). Numbers are read with glibc's `strtod`, so with
//! `decode_invalid_numbers` on (the default) hex, `Infinity`, `NaN`, leading
//! `+` and leading zeros are accepted. `\uXXXX` escapes become UTF-8, with
//! surrogate pairs combined; lone or reversed surrogates are an error.
//! Errors name what was expected, what was found and the 1-based byte
//! position: "Expected value but found invalid token at character 1".
//!
//! Both directions are iterative, with an explicit stack, and count the Lua
//! stack slots the C code would hold so that nesting beyond Lua's C stack
//! limit fails where Redis fails (see the module docs of `lua_libs`).
//!
//! # Configuration
//!
//! Each module table (the global `cjson`, and each `cjson.new()`) has its
//! own settings, changed by `encode_sparse_array`, `encode_max_depth`,
//! `decode_max_depth`, `encode_number_precision`, `encode_keep_buffer`,
//! `encode_invalid_numbers` and `decode_invalid_numbers`; each returns the
//! current setting(s). `encode_keep_buffer` only tunes memory reuse in C
//! and has no visible effect besides its value.

use super::{
    Args, LUAI_MAXCSTACK, LibError, LibResult, c_double_to_i32, fmt_g, lua_type_name, num_value,
    ret1, set_fn,
};
use mlua::{Function, LightUserData, Lua, MultiValue, Table, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The settings of one cjson module table, with lua-cjson's defaults.
#[derive(Debug, Clone)]
struct JsonConfig {
    encode_sparse_convert: i32,
    encode_sparse_ratio: i32,
    encode_sparse_safe: i32,
    encode_max_depth: i32,
    encode_invalid_numbers: i32,
    encode_number_precision: i32,
    encode_keep_buffer: i32,
    decode_invalid_numbers: i32,
    decode_max_depth: i32,
}

impl Default for JsonConfig {
    fn default() -> Self {
        JsonConfig {
            encode_sparse_convert: 0,
            encode_sparse_ratio: 2,
            encode_sparse_safe: 10,
            encode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: 1,
            decode_invalid_numbers: 1,
            decode_max_depth: 1000,
        }
    }
}

type Cfg = Rc<RefCell<JsonConfig>>;

/// `cjson.null`: a light userdata holding NULL.
fn json_null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// Builds the global `cjson` module table: the functions, `null`, `_NAME`
/// ("cjson") and `_VERSION` ("2.1.0"), with fresh settings.
pub fn new_module(lua: &Lua) -> mlua::Result<Table> {
    let next: Function = lua.globals().raw_get("next")?;
    new_module_with(lua, Rc::new(next))
}

/// A module table over `next` (Lua's own `next`, kept from load time so
/// that objects are walked in Lua's order whatever scripts do to globals).
fn new_module_with(lua: &Lua, next: Rc<Function>) -> mlua::Result<Table> {
    let cfg: Cfg = Rc::new(RefCell::new(JsonConfig::default()));
    let t = lua.create_table()?;
    let (c, n) = (cfg.clone(), next.clone());
    set_fn(lua, &t, "encode", move |lua, a| json_encode(lua, &c, &n, a))?;
    let c = cfg.clone();
    set_fn(lua, &t, "decode", move |lua, a| json_decode(lua, &c, a))?;
    let c = cfg.clone();
    set_fn(lua, &t, "encode_sparse_array", move |lua, a| {
        cfg_encode_sparse_array(lua, &c, a)
    })?;
    let c = cfg.clone();
    set_fn(lua, &t, "encode_max_depth", move |lua, a| {
        let args = arg_init(a, 1)?;
        let mut g = c.borrow_mut();
        ret1(integer_option(
            lua,
            &args,
            1,
            &mut g.encode_max_depth,
            1,
            i32::MAX,
        )?)
    })?;
    let c = cfg.clone();
    set_fn(lua, &t, "decode_max_depth", move |lua, a| {
        let args = arg_init(a, 1)?;
        let mut g = c.borrow_mut();
        ret1(integer_option(
            lua,
            &args,
            1,
            &mut g.decode_max_depth,
            1,
            i32::MAX,
        )?)
    })?;
    let c = cfg.clone();
    set_fn(lua, &t, "encode_number_precision", move |lua, a| {
        let args = arg_init(a, 1)?;
        let mut g = c.borrow_mut();
        ret1(integer_option(
            lua,
            &args,
            1,
            &mut g.encode_number_precision,
            1,
            14,
        )?)
    })?;
    let c = cfg.clone();
    set_fn(lua, &t, "encode_keep_buffer", move |lua, a| {
        let args = arg_init(a, 1)?;
        let mut g = c.borrow_mut();
        ret1(enum_option(
            lua,
            &args,
            1,
            &mut g.encode_keep_buffer,
            &["off", "on"],
        )?)
    })?;
    let c = cfg.clone();
    set_fn(lua, &t, "encode_invalid_numbers", move |lua, a| {
        let args = arg_init(a, 1)?;
        let mut g = c.borrow_mut();
        ret1(enum_option(
            lua,
            &args,
            1,
            &mut g.encode_invalid_numbers,
            &["off", "on", "null"],
        )?)
    })?;
    let c = cfg;
    set_fn(lua, &t, "decode_invalid_numbers", move |lua, a| {
        let args = arg_init(a, 1)?;
        let mut g = c.borrow_mut();
        ret1(enum_option(
            lua,
            &args,
            1,
            &mut g.decode_invalid_numbers,
            &["off", "on"],
        )?)
    })?;
    set_fn(lua, &t, "new", move |lua, _a| {
        ret1(Value::Table(new_module_with(lua, next.clone())?))
    })?;
    t.raw_set("null", json_null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}

// ---- Configuration functions ----

/// Checks there are at most `n` arguments ("bad argument #n+1 to 'f'
/// (found too many arguments)"); absent ones read as nil.
fn arg_init(a: MultiValue, n: usize) -> Result<Args, LibError> {
    let args = Args::new(a);
    if args.top() > n {
        return Err(LibError::arg(n as i32 + 1, "found too many arguments"));
    }
    Ok(args)
}

/// An integer setting: sets it from argument `idx` unless nil (the value is
/// cut to C `int`, then must lie in `min..=max`: "bad argument #1 to 'f'
/// (expected integer between MIN and MAX)"), and returns it.
fn integer_option(
    lua: &Lua,
    args: &Args,
    idx: usize,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> Result<Value, LibError> {
    if !args.is_none_or_nil(idx) {
        let value = args.check_integer(lua, idx)? as i32;
        if !(min <= value && value <= max) {
            return Err(LibError::arg(
                1,
                format!("expected integer between {min} and {max}"),
            ));
        }
        *setting = value;
    }
    Ok(Value::Integer(*setting as i64))
}

/// An enumerated setting whose option 1 is also `true` (and 0 `false`):
/// set from a boolean or an option name ("invalid option 'x'"), returned as
/// a boolean when 0 or 1, else as the option name.
fn enum_option(
    lua: &Lua,
    args: &Args,
    idx: usize,
    setting: &mut i32,
    options: &[&str],
) -> Result<Value, LibError> {
    match args.get(idx) {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(b)) => *setting = *b as i32,
        Some(_) => {
            let name = args.check_lstring(idx)?;
            let name = match name.iter().position(|&b| b == 0) {
                Some(p) => &name[..p],
                None => &name[..],
            };
            match options.iter().position(|o| o.as_bytes() == name) {
                Some(p) => *setting = p as i32,
                None => {
                    let mut m = b"invalid option '".to_vec();
                    m.extend_from_slice(name);
                    m.push(b'\'');
                    return Err(LibError::Arg(idx as i32, m));
                }
            }
        }
    }
    if *setting == 0 || *setting == 1 {
        Ok(Value::Boolean(*setting == 1))
    } else {
        let name = options.get(*setting as usize).copied().unwrap_or("");
        Ok(Value::String(lua.create_string(name)?))
    }
}

/// `cjson.encode_sparse_array([convert[, ratio[, safe]]])`.
fn cfg_encode_sparse_array(lua: &Lua, cfg: &Cfg, a: MultiValue) -> LibResult {
    let args = arg_init(a, 3)?;
    let mut g = cfg.borrow_mut();
    let convert = enum_option(lua, &args, 1, &mut g.encode_sparse_convert, &["off", "on"])?;
    let ratio = integer_option(lua, &args, 2, &mut g.encode_sparse_ratio, 0, i32::MAX)?;
    let safe = integer_option(lua, &args, 3, &mut g.encode_sparse_safe, 0, i32::MAX)?;
    Ok(MultiValue::from_iter([convert, ratio, safe]).into())
}

// ---- Encoding ----

/// `cjson.encode(value)`: exactly one argument ("bad argument #1 to
/// 'encode' (expected 1 argument)"); returns the JSON text.
fn json_encode(lua: &Lua, cfg: &Cfg, next: &Function, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    if args.top() != 1 {
        return Err(LibError::arg(1, "expected 1 argument"));
    }
    let cfg = cfg.borrow().clone();
    let value = args.0.into_iter().next().unwrap_or(Value::Nil);
    let out = encode_value(lua, &cfg, next, value)?;
    ret1(Value::String(lua.create_string(&out)?))
}

/// How many mlua references the encoder and decoder may hold for their
/// frames. mlua on Lua 5.1 keeps every live reference on an auxiliary Lua
/// stack limited to `LUAI_MAXCSTACK` slots, shared with the rest of the
/// server; past this budget, tables wait in a Lua-side work table instead.
pub(crate) const REF_BUDGET: usize = 2048;

/// Where a frame's table is: held, or in the work table at its depth.
type Held = Option<Table>;

/// A table being written.
enum EncFrame {
    /// Next index to write, and the largest index.
    Array { t: Held, next: i64, len: i64 },
    /// An object whose pairs were read up front (within the budget).
    Pairs {
        pairs: Vec<(Value, Value)>,
        next: usize,
    },
    /// A large object, walked with Lua's `next`; the last key waits in
    /// `keys[depth]`.
    Walk { t: Held, started: bool },
}

impl EncFrame {
    /// Lua stack slots the C encoder holds while writing a child of this
    /// table: the element, or the key and the value.
    fn slots(&self) -> usize {
        match self {
            EncFrame::Array { .. } => 1,
            _ => 2,
        }
    }

    /// mlua references this frame holds.
    fn refs(&self) -> usize {
        match self {
            EncFrame::Array { t, .. } | EncFrame::Walk { t, .. } => t.is_some() as usize,
            EncFrame::Pairs { pairs, .. } => 2 * pairs.len(),
        }
    }
}

/// Lua-side storage for frames beyond the reference budget.
struct EncWork {
    tables: Table,
    keys: Table,
}

fn enc_work<'a>(lua: &Lua, w: &'a mut Option<EncWork>) -> mlua::Result<&'a EncWork> {
    if w.is_none() {
        *w = Some(EncWork {
            tables: lua.create_table()?,
            keys: lua.create_table()?,
        });
    }
    match w {
        Some(w) => Ok(w),
        None => Err(mlua::Error::runtime("cjson: work table")),
    }
}

/// Reads a frame's table.
fn held(t: &Held, work: &Option<EncWork>, depth: usize) -> mlua::Result<Table> {
    match (t, work) {
        (Some(t), _) => Ok(t.clone()),
        (None, Some(w)) => w.tables.raw_get(depth),
        (None, None) => Err(mlua::Error::runtime("cjson: lost table")),
    }
}

fn encode_value(
    lua: &Lua,
    cfg: &JsonConfig,
    next_fn: &Function,
    root: Value,
) -> Result<Vec<u8>, LibError> {
    let mut out = Vec::new();
    let mut work: Option<EncWork> = None;
    let mut stack: Vec<EncFrame> = Vec::new();
    let mut refs = 0usize;
    // Stack slots held by the C code: the argument, plus one or two per
    // enclosing table.
    let mut slots = 1usize;
    let mut pending = Some(root);
    loop {
        match pending.take() {
            Some(Value::Table(t)) => {
                let depth = stack.len() + 1;
                if depth > cfg.encode_max_depth as usize || slots + 3 > LUAI_MAXCSTACK {
                    return Err(LibError::msg(format!(
                        "Cannot serialise, excessive nesting ({depth})"
                    )));
                }
                let len = array_length(cfg, &t)?;
                let frame = if len > 0 {
                    out.push(b'[');
                    let t = hold(lua, t, refs, &mut work, depth)?;
                    EncFrame::Array {
                        t,
                        next: 1,
                        len: len as i64,
                    }
                } else {
                    out.push(b'{');
                    match collect_pairs(&t, REF_BUDGET.saturating_sub(refs))? {
                        Some(pairs) => EncFrame::Pairs { pairs, next: 0 },
                        None => EncFrame::Walk {
                            t: hold(lua, t, refs, &mut work, depth)?,
                            started: false,
                        },
                    }
                };
                refs += frame.refs();
                slots += frame.slots();
                stack.push(frame);
            }
            Some(v) => append_scalar(cfg, &mut out, v)?,
            None => {}
        }
        if out.len() > super::MAX_OUTPUT {
            return Err(super::output_too_large());
        }
        let depth = stack.len();
        let Some(top) = stack.last_mut() else {
            return Ok(out);
        };
        match top {
            EncFrame::Array { t, next, len } => {
                if *next <= *len {
                    if *next > 1 {
                        out.push(b',');
                    }
                    let t = held(t, &work, depth)?;
                    pending = Some(t.raw_get::<Value>(*next)?);
                    *next += 1;
                    continue;
                }
                out.push(b']');
            }
            EncFrame::Pairs { pairs, next } => {
                if let Some(slot) = pairs.get_mut(*next) {
                    let (k, v) = std::mem::replace(slot, (Value::Nil, Value::Nil));
                    if *next > 0 {
                        out.push(b',');
                    }
                    *next += 1;
                    append_key(cfg, &mut out, &k)?;
                    pending = Some(v);
                    continue;
                }
                out.push(b'}');
            }
            EncFrame::Walk { t, started } => {
                let table = held(t, &work, depth)?;
                let w = enc_work(lua, &mut work)?;
                let key = if *started {
                    w.keys.raw_get::<Value>(depth)?
                } else {
                    Value::Nil
                };
                let (k, v): (Value, Value) = next_fn.call((table, key))?;
                if !k.is_nil() {
                    if *started {
                        out.push(b',');
                    }
                    *started = true;
                    append_key(cfg, &mut out, &k)?;
                    w.keys.raw_set(depth, k)?;
                    pending = Some(v);
                    continue;
                }
                out.push(b'}');
                w.keys.raw_set(depth, Value::Nil)?;
            }
        }
        // The table on top is complete.
        if let Some(f) = stack.pop() {
            refs -= f.refs();
            slots -= f.slots();
            if let (EncFrame::Array { t: None, .. } | EncFrame::Walk { t: None, .. }, Some(w)) =
                (&f, &work)
            {
                w.tables.raw_set(depth, Value::Nil)?;
            }
        }
    }
}

/// Keeps `t` in the frame when the budget allows, else in the work table.
fn hold(
    lua: &Lua,
    t: Table,
    refs: usize,
    work: &mut Option<EncWork>,
    depth: usize,
) -> mlua::Result<Held> {
    if refs < REF_BUDGET {
        return Ok(Some(t));
    }
    enc_work(lua, work)?.tables.raw_set(depth, t)?;
    Ok(None)
}

/// The pairs of `t` in `next` order, when they fit in `budget` references.
fn collect_pairs(t: &Table, budget: usize) -> mlua::Result<Option<Vec<(Value, Value)>>> {
    let mut pairs = Vec::new();
    for pair in t.pairs::<Value, Value>() {
        if 2 * (pairs.len() + 1) > budget {
            return Ok(None);
        }
        pairs.push(pair?);
    }
    Ok(Some(pairs))
}

/// Writes an object key and its colon.
fn append_key(cfg: &JsonConfig, out: &mut Vec<u8>, k: &Value) -> Result<(), LibError> {
    match k {
        Value::String(s) => {
            append_string(out, &s.as_bytes());
            out.push(b':');
        }
        Value::Integer(_) | Value::Number(_) => {
            out.push(b'"');
            append_number(cfg, out, num_value(k).unwrap_or(0.0))?;
            out.extend_from_slice(b"\":");
        }
        other => {
            return Err(LibError::msg(format!(
                "Cannot serialise {}: table key must be a number or string",
                lua_type_name(other)
            )));
        }
    }
    Ok(())
}

/// Writes a value that is not a table.
fn append_scalar(cfg: &JsonConfig, out: &mut Vec<u8>, v: Value) -> Result<(), LibError> {
    match v {
        Value::String(s) => append_string(out, &s.as_bytes()),
        Value::Integer(_) | Value::Number(_) => {
            append_number(cfg, out, num_value(&v).unwrap_or(0.0))?
        }
        Value::Boolean(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        other => {
            return Err(LibError::msg(format!(
                "Cannot serialise {}: type not supported",
                lua_type_name(&other)
            )));
        }
    }
    Ok(())
}

/// lua-cjson's array test: the largest positive integer key (as a C `int`)
/// when every key is one, else -1 or less (an object). Sparse arrays are an
/// error, or -1 when converting them to objects is on.
fn array_length(cfg: &JsonConfig, t: &Table) -> Result<i32, LibError> {
    let mut max: i32 = 0;
    let mut items: i32 = 0;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        match num_value(&k) {
            Some(n) if n != 0.0 && n.floor() == n && n >= 1.0 => {
                if n > max as f64 {
                    max = c_double_to_i32(n);
                }
                items = items.wrapping_add(1);
            }
            _ => return Ok(-1),
        }
    }
    if cfg.encode_sparse_ratio > 0
        && max > items.wrapping_mul(cfg.encode_sparse_ratio)
        && max > cfg.encode_sparse_safe
    {
        if cfg.encode_sparse_convert == 0 {
            return Err(LibError::msg(
                "Cannot serialise table: excessively sparse array",
            ));
        }
        return Ok(-1);
    }
    Ok(max)
}

/// Appends `num` as lua-cjson does (see the module docs).
fn append_number(cfg: &JsonConfig, out: &mut Vec<u8>, num: f64) -> Result<(), LibError> {
    match cfg.encode_invalid_numbers {
        0 => {
            if !num.is_finite() {
                return Err(LibError::msg(
                    "Cannot serialise number: must not be NaN or Inf",
                ));
            }
        }
        1 => {
            if num.is_nan() {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
        }
        _ => {
            if !num.is_finite() {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(fmt_g(num, cfg.encode_number_precision.max(1) as usize).as_bytes());
    Ok(())
}

/// Appends `s` quoted, with lua-cjson's escapes.
fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(c >> 4) as usize]);
                out.push(HEX[(c & 15) as usize]);
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

// ---- Decoding ----

/// `cjson.decode(text)`: exactly one argument, a string (or a number,
/// converted as Lua does); returns the decoded value.
fn json_decode(lua: &Lua, cfg: &Cfg, a: MultiValue) -> LibResult {
    let args = Args::new(a);
    if args.top() != 1 {
        return Err(LibError::arg(1, "expected 1 argument"));
    }
    let data = args.check_lstring(1)?;
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(LibError::msg(
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    let cfg = cfg.borrow().clone();
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let v = decode(lua, &cfg, &data[..end])?;
    ret1(v)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String,
    Number,
    Boolean,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

impl Tok {
    /// lua-cjson's token names, used in parse errors.
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::String => "T_STRING",
            Tok::Number => "T_NUMBER",
            Tok::Boolean => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error => "T_ERROR",
        }
    }
}

struct Token {
    ty: Tok,
    /// 0-based byte offset shown (plus one) in errors.
    index: usize,
    num: f64,
    boolean: bool,
    /// What went wrong, for an `Error` token.
    err: &'static str,
}

impl Token {
    fn new(ty: Tok, index: usize) -> Self {
        Token {
            ty,
            index,
            num: 0.0,
            boolean: false,
            err: "",
        }
    }
}

struct Parser<'a> {
    /// The decoded text of the last string token (reused, like lua-cjson's
    /// temporary buffer).
    tmp: Vec<u8>,
    /// The text up to (not including) its first NUL.
    data: &'a [u8],
    pos: usize,
    invalid_numbers: bool,
}

impl Parser<'_> {
    /// The byte at `i`, NUL past the end (a C string's terminator).
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn error_token(&self, what: &'static str) -> Token {
        let mut t = Token::new(Tok::Error, self.pos);
        t.err = what;
        t
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let ch = self.at(self.pos);
        let single = match ch {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            0 => return Token::new(Tok::End, self.pos),
            _ => None,
        };
        if let Some(ty) = single {
            let t = Token::new(ty, self.pos);
            self.pos += 1;
            return t;
        }
        if !matches!(
            ch,
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'"' | b'+' | b'-' | b'0'..=b'9'
        ) {
            return self.error_token("invalid token");
        }
        if ch == b'"' {
            return self.string_token();
        }
        if ch == b'-' || ch.is_ascii_digit() {
            if !self.invalid_numbers && self.is_invalid_number() {
                return self.error_token("invalid number");
            }
            return self.number_token();
        }
        let rest = &self.data[self.pos.min(self.data.len())..];
        if rest.starts_with(b"true") {
            let mut t = Token::new(Tok::Boolean, self.pos);
            t.boolean = true;
            self.pos += 4;
            return t;
        }
        if rest.starts_with(b"false") {
            let t = Token::new(Tok::Boolean, self.pos);
            self.pos += 5;
            return t;
        }
        if rest.starts_with(b"null") {
            let t = Token::new(Tok::Null, self.pos);
            self.pos += 4;
            return t;
        }
        if self.invalid_numbers && self.is_invalid_number() {
            return self.number_token();
        }
        self.error_token("invalid token")
    }

    /// lua-cjson's test for numbers strict JSON forbids: leading `+`, hex,
    /// leading zeros, `inf`, `nan`.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        } else if c <= b'9' {
            return false;
        }
        let word = [self.at(p), self.at(p + 1), self.at(p + 2)];
        word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let (v, used) = crate::util::strtod(&self.data[self.pos.min(self.data.len())..]);
        if used == 0 {
            return self.error_token("invalid number");
        }
        let mut t = Token::new(Tok::Number, self.pos);
        t.num = v;
        self.pos += used;
        t
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0u32;
        for i in 0..4 {
            v = (v << 4) | (self.at(at + i) as char).to_digit(16)?;
        }
        Some(v)
    }

    /// Decodes the `\uXXXX` (or surrogate pair) escape at `pos` into `out`;
    /// returns its length in bytes, or `None` when invalid.
    fn unicode_escape(&self, out: &mut Vec<u8>) -> Option<usize> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return None;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        if cp <= 0x7F {
            out.push(cp as u8);
        } else if cp <= 0x7FF {
            out.push(((cp >> 6) | 0xC0) as u8);
            out.push(((cp & 0x3F) | 0x80) as u8);
        } else if cp <= 0xFFFF {
            out.push(((cp >> 12) | 0xE0) as u8);
            out.push((((cp >> 6) & 0x3F) | 0x80) as u8);
            out.push(((cp & 0x3F) | 0x80) as u8);
        } else {
            out.push(((cp >> 18) | 0xF0) as u8);
            out.push((((cp >> 12) & 0x3F) | 0x80) as u8);
            out.push((((cp >> 6) & 0x3F) | 0x80) as u8);
            out.push(((cp & 0x3F) | 0x80) as u8);
        }
        Some(len)
    }

    fn string_token(&mut self) -> Token {
        let start = self.pos;
        self.pos += 1;
        let mut text = std::mem::take(&mut self.tmp);
        text.clear();
        loop {
            let ch = self.at(self.pos);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return self.error_token("unexpected end of string");
            }
            if ch == b'\\' {
                let mapped = match self.at(self.pos + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'u' => {
                        match self.unicode_escape(&mut text) {
                            Some(len) => self.pos += len,
                            None => {
                                self.tmp = text;
                                return self.error_token("invalid unicode escape code");
                            }
                        }
                        continue;
                    }
                    _ => return self.error_token("invalid escape code"),
                };
                text.push(mapped);
                self.pos += 2;
                continue;
            }
            // Copy a run of plain bytes at once.
            let run_end = self.data[self.pos..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map_or(self.data.len(), |p| self.pos + p);
            text.extend_from_slice(&self.data[self.pos..run_end]);
            self.pos = run_end;
        }
        self.pos += 1;
        let t = Token::new(Tok::String, start);
        self.tmp = text;
        t
    }
}

/// "Expected EXP but found WHAT at character N".
fn parse_error(expected: &str, tok: &Token) -> LibError {
    let found = if tok.ty == Tok::Error {
        tok.err
    } else {
        tok.ty.name()
    };
    LibError::msg(format!(
        "Expected {expected} but found {found} at character {}",
        tok.index + 1
    ))
}

/// A table being filled: held in the frame within [`REF_BUDGET`], else in
/// a Lua-side work table at its depth.
struct DecFrame {
    t: Held,
    kind: DecKind,
}

enum DecKind {
    /// The next index.
    Array { next: i64 },
    /// The key whose value is being read.
    Object { key: Vec<u8> },
}

impl DecFrame {
    /// Lua stack slots the C decoder holds while reading a child: the
    /// table, plus the key for objects.
    fn slots(&self) -> usize {
        match self.kind {
            DecKind::Array { .. } => 1,
            DecKind::Object { .. } => 2,
        }
    }
}

fn decode(lua: &Lua, cfg: &JsonConfig, data: &[u8]) -> Result<Value, LibError> {
    let mut p = Parser {
        data,
        pos: 0,
        invalid_numbers: cfg.decode_invalid_numbers != 0,
        tmp: Vec::new(),
    };
    let mut work: Option<Table> = None;
    let mut stack: Vec<DecFrame> = Vec::new();
    let mut slots = 1usize; // the argument
    let mut tok = p.next_token();
    loop {
        // `tok` is in value position.
        let mut value = match tok.ty {
            Tok::String => Value::String(lua.create_string(&p.tmp)?),
            Tok::Number => Value::Number(tok.num),
            Tok::Boolean => Value::Boolean(tok.boolean),
            Tok::Null => json_null(),
            Tok::ObjBegin | Tok::ArrBegin => {
                let is_obj = tok.ty == Tok::ObjBegin;
                let depth = stack.len() + 1;
                let need = if is_obj { 3 } else { 2 };
                if depth > cfg.decode_max_depth as usize || slots + need > LUAI_MAXCSTACK {
                    return Err(LibError::msg(format!(
                        "Found too many nested data structures ({depth}) at character {}",
                        p.pos
                    )));
                }
                let t = lua.create_table()?;
                tok = p.next_token();
                let close = if is_obj { Tok::ObjEnd } else { Tok::ArrEnd };
                if tok.ty == close {
                    Value::Table(t)
                } else {
                    let t = if depth <= REF_BUDGET {
                        Some(t)
                    } else {
                        let w = match &work {
                            Some(w) => w,
                            None => work.insert(lua.create_table()?),
                        };
                        w.raw_set(depth, t)?;
                        None
                    };
                    let kind = if is_obj {
                        let mut key = Vec::new();
                        object_key(&mut p, &tok, &mut key)?;
                        tok = p.next_token();
                        DecKind::Object { key }
                    } else {
                        DecKind::Array { next: 1 }
                    };
                    let frame = DecFrame { t, kind };
                    slots += frame.slots();
                    stack.push(frame);
                    continue;
                }
            }
            _ => return Err(parse_error("value", &tok)),
        };
        // Store `value` in its parent; close parents that end here.
        loop {
            let depth = stack.len();
            let Some(top) = stack.last_mut() else {
                tok = p.next_token();
                if tok.ty != Tok::End {
                    return Err(parse_error("the end", &tok));
                }
                return Ok(value);
            };
            let fetched: Table;
            let t: &Table = match (&top.t, &work) {
                (Some(t), _) => t,
                (None, Some(w)) => {
                    fetched = w.raw_get(depth)?;
                    &fetched
                }
                (None, None) => return Err(LibError::msg("cjson: lost table")),
            };
            match &mut top.kind {
                DecKind::Array { next } => {
                    t.raw_set(*next, value)?;
                    *next += 1;
                    tok = p.next_token();
                    match tok.ty {
                        Tok::ArrEnd => {}
                        Tok::Comma => {
                            tok = p.next_token();
                            break;
                        }
                        _ => return Err(parse_error("comma or array end", &tok)),
                    }
                }
                DecKind::Object { key } => {
                    t.raw_set(lua.create_string(&*key)?, value)?;
                    tok = p.next_token();
                    match tok.ty {
                        Tok::ObjEnd => {}
                        Tok::Comma => {
                            tok = p.next_token();
                            object_key(&mut p, &tok, key)?;
                            tok = p.next_token();
                            break;
                        }
                        _ => return Err(parse_error("comma or object end", &tok)),
                    }
                }
            }
            // The container on top is closed: it becomes the value.
            let Some(f) = stack.pop() else {
                return Err(LibError::msg("cjson: lost table"));
            };
            slots -= f.slots();
            value = match (f.t, &work) {
                (Some(t), _) => Value::Table(t),
                (None, Some(w)) => {
                    let v = w.raw_get(depth)?;
                    w.raw_set(depth, Value::Nil)?;
                    v
                }
                (None, None) => return Err(LibError::msg("cjson: lost table")),
            };
        }
    }
}

/// Checks `tok` is an object key followed by a colon; copies the key.
fn object_key(p: &mut Parser, tok: &Token, key: &mut Vec<u8>) -> Result<(), LibError> {
    if tok.ty != Tok::String {
        return Err(parse_error("object key string", tok));
    }
    key.clear();
    key.extend_from_slice(&p.tmp);
    let colon = p.next_token();
    if colon.ty != Tok::Colon {
        return Err(parse_error("colon", &colon));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;

    // Expected values below were observed from redis-server 7.0.15 with
    // `redis-cli eval "return ..." 0`.

    #[test]
    fn encode_basics() {
        let lua = lua();
        let cases: &[(&str, &str)] = &[
            ("cjson.encode({})", "{}"),
            ("cjson.encode({1,2,3,{a=1}})", "[1,2,3,{\"a\":1}]"),
            ("cjson.encode({[1]=1,[5]=5})", "[1,null,null,null,5]"),
            ("cjson.encode({[2^40]=1})", "{\"1099511627776\":1}"),
            (
                "cjson.encode({1, [2^40]=1})",
                "{\"1\":1,\"1099511627776\":1}",
            ),
            (
                "cjson.encode({0.1, -0, 1e15, 123456789012345, 3.14159265358979, 1e-5, 2^53, -1.5e300})",
                "[0.1,-0,1e+15,1.2345678901234e+14,3.1415926535898,1e-05,9.007199254741e+15,-1.5e+300]",
            ),
            ("cjson.encode(cjson.null)", "null"),
            ("cjson._NAME .. cjson._VERSION", "cjson2.1.0"),
        ];
        for (code, want) in cases {
            let got = eval(&lua, &format!("return {code}"));
            assert_eq!(String::from_utf8_lossy(&got), *want, "{code}");
        }
        assert_eq!(
            eval(&lua, "return cjson.encode('a\"b\\\\c/d\\n\\1\\127\\128')"),
            b"\"a\\\"b\\\\c\\/d\\n\\u0001\\u007f\x80\""
        );
    }

    #[test]
    fn encode_errors() {
        let lua = lua();
        assert_eq!(
            err(&lua, "cjson.encode({[20]=1})"),
            "user_script:1: Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            err(&lua, "cjson.encode(0/0)"),
            "user_script:1: Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            err(&lua, "cjson.encode({[true]=1})"),
            "user_script:1: Cannot serialise boolean: table key must be a number or string"
        );
    }

    #[test]
    fn decode_basics() {
        let lua = lua();
        assert_eq!(
            eval(
                &lua,
                "return tostring(cjson.decode('-nan'))..tostring(cjson.decode('nan'))..\
                 tostring(cjson.decode('0x1p3'))..tostring(cjson.decode('Infinity'))..\
                 tostring(cjson.decode('+1'))"
            ),
            b"-nannan8inf1"
        );
    }
}
