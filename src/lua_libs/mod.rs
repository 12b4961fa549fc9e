//! The Lua libraries Redis gives scripts: `cjson`, `cmsgpack`, `bit` and
//! `struct`, with Redis 7.0.15's behaviour, written in Rust over mlua.
//!
//! # How it works
//!
//! Redis links four C libraries into its Lua 5.1 interpreter and opens them
//! in `luaLoadLibraries` (`script_lua.c`); each one sets a global table.
//! Scripts see those tables, their functions, the exact error texts, and
//! several quirks that come from C (integer casts, `%.14g`, the Lua C stack
//! limit). This module re-implements the four libraries in Rust:
//!
//! * [`cjson`]: JSON encode/decode with lua-cjson 2.1.0's configuration
//!   functions and rules (empty table is `{}`, sparse arrays, depth limits,
//!   `%.14g` numbers, glibc `strtod` number parsing).
//! * [`cmsgpack`]: MessagePack pack/unpack (lua-cmsgpack 0.4.0).
//! * [`bit`]: LuaBitOp 1.0.2, 32-bit operations on doubles.
//! * [`lstruct`]: Roberto Ierusalimschy's `struct` library.
//!
//! ## Errors are plain Lua strings, raised from a C frame
//!
//! A Rust callback made with `Lua::create_function` can only raise an mlua
//! error object (a userdata), and scripts do `pcall(cjson.decode, s)` and
//! expect the *string* Redis gives, e.g. `"Expected value but found invalid
//! token at character 1"`. The message must also carry the caller's position
//! (`user_script:1: ...`) exactly as `luaL_error` adds it, and argument
//! errors name the function the way Lua derives it from the calling
//! instruction (`bad argument #1 to 'encode' (expected 1 argument)`, or
//! `'f'` when called through a local `f`).
//!
//! So every library function is a small C closure, `lib_trampoline`, with
//! two upvalues: the Rust implementation (an mlua function) and a private
//! sentinel. The trampoline calls the implementation; on success the
//! results pass through unchanged. On failure the implementation returns
//! `(sentinel, kind, message)` and the trampoline raises the error itself
//! with Lua's own `luaL_argerror` / `luaL_where`, so the text, the position
//! prefix and the function name are what Lua computes for a C function.
//! The sentinel is a light userdata whose address is private to this
//! module: scripts cannot produce it, so no real result is mistaken for a
//! failure.
//!
//! ## Emulating the C stack limit
//!
//! In Redis the libraries are recursive C code that reserves Lua stack
//! slots with `lua_checkstack`, which fails once a C function holds more
//! than `LUAI_MAXCSTACK` (8000) slots. Deep inputs therefore fail with
//! specific messages (for example cmsgpack's "stack overflow (in function
//! mp_decode_to_lua_array)"). The Rust code keeps a count of the slots the
//! C code would hold (`LUAI_MAXCSTACK`) and fails at the same points with
//! the same text; the traversals themselves are iterative (explicit stacks)
//! or bounded, so no input can overflow the Rust stack.
//!
//! ## mlua's reference limit
//!
//! Every live mlua handle (a `Table`, `LuaString`, `Function` value) is a
//! slot on mlua's auxiliary Lua thread, which Lua 5.1 caps at
//! `LUAI_MAXCSTACK` slots for the whole state. Code that held one handle
//! per table entry or per nesting level would fail (or, in some mlua paths,
//! panic) on large inputs. So:
//! * the decoders write each value into its Lua table at once; results
//!   that may be many (`cmsgpack.unpack`, `struct.unpack`) are returned
//!   through a table (`LibOk::Packed`) that the trampoline unpacks onto
//!   the Lua stack, as the C function would have returned them;
//! * nested frames hold their tables only within a budget
//!   (`cjson::REF_BUDGET`), deeper ones wait in a Lua-side work table;
//! * object pairs are read up front only for objects that fit the budget;
//!   larger ones are walked with Lua's own `next`.
//!
//! ## Compared with Redis
//!
//! `testdata/oracle_cases.txt` holds several hundred cases with the exact
//! text redis-server 7.0.15 returned for them (regenerate with
//! `testdata/gen_oracle_cases.py`); the `oracle_cases` tests replay them.
//! One known difference lies outside this module: Redis patched Lua's
//! string hash (every byte is hashed), stock Lua 5.1 samples strings of 32
//! bytes or more, so `pairs` order, and so `cjson.encode`/`cmsgpack.pack`
//! key order, can differ for tables with such long string keys.

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod lstruct;

use mlua::{Function, LightUserData, Lua, MultiValue, Table, Value};
use std::os::raw::c_int;

/// Lua 5.1's `LUAI_MAXCSTACK`: the most stack slots a C function may use;
/// `lua_checkstack` fails beyond it.
pub(crate) const LUAI_MAXCSTACK: usize = 8000;

/// The largest text `cjson.encode` or `cmsgpack.pack` builds (Redis's
/// `proto-max-bulk-len` default). The C libraries grow their buffer until
/// allocation fails and then crash (lua-cjson aborts, lua-cmsgpack writes
/// through NULL), which a self-referencing table reaches with
/// `cmsgpack.pack`; here the call fails with Lua's "not enough memory".
pub(crate) const MAX_OUTPUT: usize = 512 * 1024 * 1024;

/// The error for output beyond [`MAX_OUTPUT`].
pub(crate) fn output_too_large() -> LibError {
    LibError::Raw(b"not enough memory".to_vec())
}

/// Loads cjson, cmsgpack, bit and struct into `lua` as the globals Redis
/// gives scripts (the library part of Redis `luaLoadLibraries`): `cjson`,
/// `struct`, `cmsgpack` and `bit`, in Redis's order.
///
/// Each global is a table of functions; see the submodules for their exact
/// behaviour. Errors only on Lua allocation failure.
pub fn load_libs(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.raw_set("cjson", cjson::new_module(lua)?)?;
    globals.raw_set("struct", lstruct::new_module(lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::new_module(lua)?)?;
    globals.raw_set("bit", bit::new_module(lua)?)?;
    Ok(())
}

// ---- Errors ----

/// An error a library function raises, in the three shapes the C libraries
/// use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LibError {
    /// `luaL_error(L, msg)`: the message is prefixed with the caller's
    /// position (`user_script:1: `) when the caller is a Lua function.
    Msg(Vec<u8>),
    /// `luaL_argerror(L, narg, msg)`: "bad argument #narg to 'name' (msg)".
    Arg(i32, Vec<u8>),
    /// An error raised by the Lua core from inside the C function (such as
    /// `lua_settable`'s "table index is nil"): the message as is.
    Raw(Vec<u8>),
}

impl LibError {
    pub(crate) fn msg(s: impl Into<Vec<u8>>) -> Self {
        LibError::Msg(s.into())
    }

    pub(crate) fn arg(narg: i32, s: impl Into<Vec<u8>>) -> Self {
        LibError::Arg(narg, s.into())
    }

    /// `luaL_checkstack(L, n, what)`'s failure: "stack overflow (what)".
    pub(crate) fn stack_overflow(what: &str) -> Self {
        LibError::Msg(format!("stack overflow ({what})").into_bytes())
    }
}

impl From<mlua::Error> for LibError {
    fn from(e: mlua::Error) -> Self {
        match e {
            mlua::Error::MemoryError(_) => LibError::Raw(b"not enough memory".to_vec()),
            mlua::Error::RuntimeError(s) => LibError::Raw(s.into_bytes()),
            other => LibError::Raw(other.to_string().into_bytes()),
        }
    }
}

/// What a library function returns to Lua.
pub(crate) enum LibOk {
    /// A few values, returned as they are.
    Values(MultiValue),
    /// `t[1..=n]`, for results that may be many: an mlua callback cannot
    /// return thousands of values (nor hold thousands of references), while
    /// a C function may return up to `LUAI_MAXCSTACK` values; the trampoline
    /// pushes them from the table.
    Packed(Table, usize),
}

impl From<MultiValue> for LibOk {
    fn from(v: MultiValue) -> Self {
        LibOk::Values(v)
    }
}

/// The result of a library function.
pub(crate) type LibResult = Result<LibOk, LibError>;

/// Returns one value.
pub(crate) fn ret1(v: Value) -> LibResult {
    Ok(LibOk::Values(MultiValue::from_iter([v])))
}

/// Address whose only use is to be unique: the failure sentinel is a light
/// userdata pointing here.
static FAILURE_SENTINEL: u8 = 0;

fn failure_sentinel() -> Value {
    Value::LightUserData(LightUserData(
        &FAILURE_SENTINEL as *const u8 as *mut std::ffi::c_void,
    ))
}

/// Calls the implementation in upvalue 1 with all arguments and returns
/// its results, except when they are `(upvalue 2, x, y)`:
/// * `x` a number: raises `luaL_argerror(x, y)`;
/// * `x` true: raises `y` prefixed with the caller's position (`luaL_error`);
/// * `x` false: raises `y` as is;
/// * `x` a table: returns `x[1..=y]` (see [`LibOk::Packed`]).
#[allow(unsafe_code)]
unsafe extern "C-unwind" fn lib_trampoline(l: *mut mlua::ffi::lua_State) -> c_int {
    use mlua::ffi;
    // SAFETY: `l` is the running Lua state calling this C closure, which was
    // made by `make_lib_function` with exactly two upvalues. A C function is
    // guaranteed LUA_MINSTACK (20) free slots, and at most 2 extra slots are
    // pushed here beyond what `lua_call` leaves, except for packed results,
    // whose room is reserved with `luaL_checkstack` first. This frame owns no Rust
    // values with destructors, so the `longjmp` of `lua_error` /
    // `luaL_argerror` out of it skips nothing; the error message string stays
    // on the stack (so the pointer from `lua_tolstring` is valid) until the
    // error is raised.
    unsafe {
        let nargs = ffi::lua_gettop(l);
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
        ffi::lua_insert(l, 1);
        ffi::lua_call(l, nargs, ffi::LUA_MULTRET);
        let nres = ffi::lua_gettop(l);
        if nres == 3 && ffi::lua_rawequal(l, 1, ffi::lua_upvalueindex(2)) != 0 {
            match ffi::lua_type(l, 2) {
                ffi::LUA_TNUMBER => {
                    let narg = ffi::lua_tointeger(l, 2) as c_int;
                    let msg = ffi::lua_tolstring(l, 3, std::ptr::null_mut());
                    return ffi::luaL_argerror(l, narg, msg);
                }
                ffi::LUA_TTABLE => {
                    let n = ffi::lua_tointeger(l, 3).max(0) as c_int;
                    ffi::lua_pushvalue(l, 2);
                    ffi::lua_replace(l, 1);
                    ffi::lua_settop(l, 1);
                    // Lua 5.1's own luaL_checkstack (mlua-sys's `luaL_checkstack`
                    // asks for 20 extra slots, as Lua 5.2+ does).
                    ffi::luaL_checkstack_(l, n, c"too many results".as_ptr());
                    for i in 1..=n {
                        ffi::lua_rawgeti(l, 1, i as _);
                    }
                    return n;
                }
                ffi::LUA_TBOOLEAN if ffi::lua_toboolean(l, 2) != 0 => {
                    ffi::luaL_where(l, 1);
                    ffi::lua_pushvalue(l, 3);
                    ffi::lua_concat(l, 2);
                    ffi::lua_error(l)
                }
                _ => {
                    ffi::lua_settop(l, 3);
                    ffi::lua_error(l)
                }
            }
        }
        nres
    }
}

/// Makes the Lua function a library exposes: a C closure
/// ([`lib_trampoline`]) over the Rust implementation `f`, which receives
/// every argument (trailing nils included, as `lua_gettop` counts them).
pub(crate) fn make_lib_function<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> LibResult + 'static,
{
    let imp = lua.create_function(move |lua, args: MultiValue| {
        Ok(match f(lua, args) {
            Ok(LibOk::Values(v)) => v,
            Ok(LibOk::Packed(t, n)) => MultiValue::from_iter([
                failure_sentinel(),
                Value::Table(t),
                Value::Integer(n as i64),
            ]),
            Err(e) => {
                let (kind, msg) = match e {
                    LibError::Arg(n, m) => (Value::Integer(n as i64), m),
                    LibError::Msg(m) => (Value::Boolean(true), m),
                    LibError::Raw(m) => (Value::Boolean(false), m),
                };
                let msg = Value::String(lua.create_string(&msg)?);
                MultiValue::from_iter([failure_sentinel(), kind, msg])
            }
        })
    })?;
    // SAFETY: `lua_pushcclosure` with 2 upvalues consumes the two values
    // `exec_raw` pushed (the implementation and the sentinel) and leaves the
    // closure as the only result; `lib_trampoline` is a valid C function.
    #[allow(unsafe_code)]
    unsafe {
        lua.exec_raw((imp, failure_sentinel()), |state| {
            mlua::ffi::lua_pushcclosure(state, lib_trampoline, 2);
        })
    }
}

/// Sets `name` in `t` to a library function over `f`.
pub(crate) fn set_fn<F>(lua: &Lua, t: &Table, name: &str, f: F) -> mlua::Result<()>
where
    F: Fn(&Lua, MultiValue) -> LibResult + 'static,
{
    t.raw_set(name, make_lib_function(lua, f)?)
}

// ---- Arguments (lauxlib's luaL_check* family) ----

/// A C function's arguments, indexed from 1 like the Lua stack.
pub(crate) struct Args(pub(crate) MultiValue);

impl Args {
    pub(crate) fn new(args: MultiValue) -> Self {
        Args(args)
    }

    /// `lua_gettop`.
    pub(crate) fn top(&self) -> usize {
        self.0.len()
    }

    /// The value at `i` (1-based), `None` when absent ("no value").
    pub(crate) fn get(&self, i: usize) -> Option<&Value> {
        if i == 0 { None } else { self.0.get(i - 1) }
    }

    /// `lua_isnoneornil`.
    pub(crate) fn is_none_or_nil(&self, i: usize) -> bool {
        matches!(self.get(i), None | Some(Value::Nil))
    }

    /// `luaL_typename`: the type name Lua reports for argument `i`.
    pub(crate) fn type_name(&self, i: usize) -> &'static str {
        match self.get(i) {
            None => "no value",
            Some(v) => lua_type_name(v),
        }
    }

    /// `luaL_typerror`: "bad argument #i to 'f' (tname expected, got X)".
    pub(crate) fn type_error(&self, i: usize, tname: &str) -> LibError {
        LibError::arg(
            i as i32,
            format!("{tname} expected, got {}", self.type_name(i)),
        )
    }

    /// `lua_tonumber` (numbers, and strings Lua converts); `None` when the
    /// value is not convertible.
    pub(crate) fn to_number(&self, lua: &Lua, i: usize) -> Option<f64> {
        self.get(i).and_then(|v| to_number(lua, v))
    }

    /// `luaL_checknumber`.
    pub(crate) fn check_number(&self, lua: &Lua, i: usize) -> Result<f64, LibError> {
        self.to_number(lua, i)
            .ok_or_else(|| self.type_error(i, "number"))
    }

    /// `luaL_checkinteger`: the number truncated as C's `(long)` cast does.
    pub(crate) fn check_integer(&self, lua: &Lua, i: usize) -> Result<i64, LibError> {
        self.check_number(lua, i).map(c_double_to_i64)
    }

    /// `luaL_optinteger`.
    pub(crate) fn opt_integer(&self, lua: &Lua, i: usize, def: i64) -> Result<i64, LibError> {
        if self.is_none_or_nil(i) {
            Ok(def)
        } else {
            self.check_integer(lua, i)
        }
    }

    /// `luaL_checklstring`: a string, or a number converted with `%.14g`.
    pub(crate) fn check_lstring(&self, i: usize) -> Result<Vec<u8>, LibError> {
        match self.get(i) {
            Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
            Some(v) => match num_value(v) {
                Some(n) => Ok(lua_number_to_str(n).into_bytes()),
                None => Err(self.type_error(i, "string")),
            },
            None => Err(self.type_error(i, "string")),
        }
    }
}

/// `lua_typename(lua_type(v))`.
pub(crate) fn lua_type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// The number a Lua number value holds (no string conversion).
pub(crate) fn num_value(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// `lua_tonumber`: numbers, and strings Lua's own conversion accepts.
pub(crate) fn to_number(lua: &Lua, v: &Value) -> Option<f64> {
    match v {
        Value::Integer(_) | Value::Number(_) => num_value(v),
        Value::String(_) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    }
}

// ---- C conversions ----

/// C's `(long)d` on x86-64 (`cvttsd2si`): truncation toward zero, and
/// `i64::MIN` for NaN and values out of range.
pub(crate) fn c_double_to_i64(d: f64) -> i64 {
    if d.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(int)d` on x86-64: truncation, and `i32::MIN` for NaN and values
/// out of range.
pub(crate) fn c_double_to_i32(d: f64) -> i32 {
    if d.is_nan() || d >= 2_147_483_648.0 || d <= -2_147_483_649.0 {
        i32::MIN
    } else {
        d as i32
    }
}

/// C's `(unsigned long)d` as gcc compiles it on x86-64: values below 2^63
/// (and NaN) go through the signed conversion, larger ones are reduced by
/// 2^63 first and get the top bit flipped back.
pub(crate) fn c_double_to_u64(d: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    if d >= TWO63 {
        (c_double_to_i64(d - TWO63) as u64) ^ (1u64 << 63)
    } else {
        c_double_to_i64(d) as u64
    }
}

// ---- Number formatting (C's %.Ng) ----

pub(crate) use crate::util::fmt_g;

/// Lua 5.1's `lua_number2str` (`LUA_NUMBER_FMT` is `%.14g`): how Lua turns
/// a number into a string.
pub(crate) fn lua_number_to_str(n: f64) -> String {
    fmt_g(n, 14)
}

#[cfg(test)]
pub(crate) mod test_util {
    use mlua::Lua;

    /// A Lua 5.1 state with the libraries loaded, the way the tests use it.
    pub(crate) fn lua() -> Lua {
        let lua = Lua::new();
        super::load_libs(&lua).expect("load_libs");
        lua
    }

    /// Runs `code` (a chunk named like Redis's, so errors read
    /// `user_script:1: ...`) and returns its first result rendered as bytes:
    /// strings as is, other values through `tostring`.
    pub(crate) fn eval(lua: &Lua, code: &str) -> Vec<u8> {
        let f = lua
            .load(code)
            .set_name("@user_script")
            .into_function()
            .expect("compile");
        let tostring: mlua::Function = lua.globals().get("tostring").expect("tostring");
        match f.call::<mlua::Value>(()) {
            Ok(mlua::Value::String(s)) => s.as_bytes().to_vec(),
            Ok(v) => tostring
                .call::<mlua::LuaString>(v)
                .map(|s| s.as_bytes().to_vec())
                .expect("tostring"),
            Err(e) => format!("ERROR: {e}").into_bytes(),
        }
    }

    /// Runs `code` inside `pcall` and returns the error message it raised
    /// (which must be a Lua string), or "OK" when it succeeded.
    pub(crate) fn err(lua: &Lua, code: &str) -> String {
        let wrapped = format!(
            "local ok, e = pcall(function() {code} end) \
             if ok then return 'OK' end \
             if type(e) ~= 'string' then return 'NOT A STRING: ' .. type(e) end \
             return e"
        );
        String::from_utf8_lossy(&eval(lua, &wrapped)).into_owned()
    }

    /// Hex of the string `code` returns.
    pub(crate) fn hex(lua: &Lua, code: &str) -> String {
        eval(lua, code).iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn fmt_g_matches_printf() {
        assert_eq!(fmt_g(0.1, 14), "0.1");
        assert_eq!(fmt_g(-0.0, 14), "-0");
        assert_eq!(fmt_g(0.0, 14), "0");
        assert_eq!(fmt_g(1e15, 14), "1e+15");
        assert_eq!(fmt_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(fmt_g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(fmt_g(1e-5, 14), "1e-05");
        assert_eq!(fmt_g(2f64.powi(53), 14), "9.007199254741e+15");
        assert_eq!(fmt_g(-1.5e300, 14), "-1.5e+300");
        assert_eq!(fmt_g(0.0001, 14), "0.0001");
        assert_eq!(fmt_g(100000000000000.0, 14), "1e+14");
        assert_eq!(fmt_g(10000000000000.0, 14), "10000000000000");
        assert_eq!(fmt_g(9.9999, 3), "10");
        assert_eq!(fmt_g(f64::NAN, 14), "nan");
        assert_eq!(fmt_g(-f64::NAN, 14), "-nan");
        assert_eq!(fmt_g(f64::NEG_INFINITY, 14), "-inf");
        assert_eq!(fmt_g(2.5, 1), "2");
        assert_eq!(fmt_g(0.5, 0), "0.5");
        assert_eq!(fmt_g(5e-324, 14), "4.9406564584125e-324");
    }

    #[test]
    fn c_casts() {
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(1e300), i64::MIN);
        assert_eq!(c_double_to_i64(-2.9), -2);
        assert_eq!(c_double_to_i32(3e9), i32::MIN);
        assert_eq!(c_double_to_u64(2f64.powi(64)), 0);
        assert_eq!(c_double_to_u64(2f64.powi(63)), 1 << 63);
        assert_eq!(c_double_to_u64(f64::NAN), 1 << 63);
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
    }

    #[test]
    fn globals_are_installed() {
        let lua = lua();
        assert_eq!(
            eval(
                &lua,
                "return type(cjson)..type(cmsgpack)..type(bit)..type(struct)"
            ),
            b"tabletabletabletable"
        );
    }

    #[test]
    fn errors_are_strings_with_position_and_name() {
        let lua = lua();
        assert_eq!(
            err(&lua, "cjson.encode(1,2)"),
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"
        );
        assert_eq!(
            err(&lua, "local f = cjson.encode; local x = f(1,2)"),
            "user_script:1: bad argument #1 to 'f' (expected 1 argument)"
        );
        assert_eq!(
            eval(&lua, "local ok, e = pcall(cjson.decode, 'x') return e"),
            b"Expected value but found invalid token at character 1"
        );
        assert_eq!(
            err(&lua, "cjson.decode('x')"),
            "user_script:1: Expected value but found invalid token at character 1"
        );
    }
}

/// Every case of `testdata/oracle_cases.txt` (a Lua expression or, after
/// `!`, a function body, and what redis-server 7.0.15 returned for it
/// through the file's prelude) must give the same text here.
#[cfg(test)]
mod oracle_cases {
    use super::test_util::{eval, lua};

    const CASES: &str = include_str!("testdata/oracle_cases.txt");

    /// Replays a case file; returns the number of cases and the failures.
    fn replay(text: &str) -> (usize, Vec<String>) {
        let mut lines = text.lines();
        let prelude = lines
            .next()
            .and_then(|l| l.strip_prefix("PRELUDE\t"))
            .expect("prelude line");
        let mut failures = Vec::new();
        let mut n = 0;
        for line in lines {
            let Some((case, want)) = line.split_once('\t') else {
                continue;
            };
            n += 1;
            // A fresh state per case, as configuration calls persist.
            let lua = lua();
            let body = match case.strip_prefix('!') {
                Some(b) => b.to_string(),
                None => format!("return {case}"),
            };
            let script = format!("{prelude} return run(function() {body} end)");
            let got = eval(&lua, &script);
            if got != want.as_bytes() {
                failures.push(format!(
                    "case: {case}\n want: {want}\n  got: {}",
                    String::from_utf8_lossy(&got)
                ));
            }
        }
        (n, failures)
    }

    #[test]
    fn match_redis() {
        let (n, failures) = replay(CASES);
        assert!(n > 500, "only {n} cases");
        assert!(
            failures.is_empty(),
            "{} of {n} cases differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    /// Replays the case file named by `LUA_LIBS_CASES` (made with
    /// `testdata/gen_oracle_cases.py`, e.g. from random inputs).
    #[test]
    #[ignore]
    fn match_redis_file() {
        let path = std::env::var("LUA_LIBS_CASES").expect("LUA_LIBS_CASES");
        let text = std::fs::read(&path).expect("case file");
        let (n, failures) = replay(&String::from_utf8_lossy(&text));
        let shown: Vec<_> = failures.iter().take(40).cloned().collect();
        assert!(
            failures.is_empty(),
            "{} of {n} cases differ:\n{}",
            failures.len(),
            shown.join("\n")
        );
    }
}
