//! The Lua side shared by EVAL and Functions (Redis `script_lua.c`): the
//! sandboxed state, the `redis` table, reply conversions in both directions
//! and the error table scripts raise.
//!
//! # The sandbox
//! Redis 7.0 patches its Lua so that tables can be made read-only. The Lua
//! 5.1 that mlua builds is stock, so the same behaviour is built from
//! metatables instead:
//! - Scripts do not run in the real globals table. Their environment is an
//!   empty *proxy* whose metatable reads through to a storage table holding
//!   the allowed globals (base functions, `string`, `math`, `table`,
//!   `coroutine`, the libraries of [`crate::lua_libs`], `redis`, `KEYS`,
//!   `ARGV`) and whose `__newindex` raises `Attempt to modify a readonly
//!   table`. Reading a name the storage lacks raises `Script attempted to
//!   access nonexistent global variable '<name>'`, as Redis does.
//! - Every library table is replaced by such a proxy too, so `redis.call =
//!   f` or `cjson.encode = f` fail the same way. `getmetatable` of a proxy
//!   returns another read-only proxy (`__metatable`), so the real metatable
//!   cannot be reached.
//! - `rawset` and `setmetatable` refuse proxies (`Attempt to modify a
//!   readonly table`, without position, as Redis's C functions raise it);
//!   `rawget`, `next` and `pairs` see through them; `loadstring`/`load`
//!   refuse binary chunks; `print`, `dofile`, `loadfile`, `require`,
//!   `getfenv`, `setfenv`, `newproxy`, `os`, `io`, `debug` are absent, as in
//!   Redis 7.0.15.
//!   Known difference: `#` and `ipairs` on a library proxy see nothing.
//! - The thread's globals are the proxy too, so chunks made by `loadstring`
//!   run in the sandbox.
//!
//! # Calling back into the server
//! `redis.call`, `redis.pcall`, `redis.setresp`, `redis.set_repl` and
//! `redis.acl_check_cmd` are
//! Rust functions created once per state; they reach the run in progress
//! through `crate::script::dispatch_current`, which finds the server and
//! the fake client the running [`crate::script::run_script`] lent for its
//! duration. Outside a run they raise Redis's "can only be called inside a
//! script invocation" errors.
//!
//! Redis's errors are Lua tables `{err="CODE msg"}`. mlua raises only its
//! own error values from Rust, so a Rust function leaves the table in
//! [`RunSlots::pending`] and raises; the message handler and the sandbox's `pcall`
//! take the table from there, so scripts see what Redis's scripts see.
//! Being C functions, they keep the calling Lua frame even in tail
//! position, so errors point at the script's line as in Redis.
//!
//! # For Functions
//! FCALL uses the same pieces: a state from [`new_lua_state`], code
//! compiled with [`LuaState::load`] (Redis names function chunks
//! `@user_function`), and `crate::script::run_script` with
//! `RunMode::Function`, which calls the function as `f(keys, args)`.
//!
//! # Errors and their position
//! A run calls the script under `xpcall` with [`LuaState::err_handler`], a
//! Rust function playing Redis's `__redis__err__handler`: it turns any error
//! into a table `{err=..., source=..., line=...}`, taking source and line
//! from the nearest Lua frame that is not part of this module's prelude
//! (Redis takes the frame that raised, or its caller when that is C).

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, StdLib, Table, Value, chunk::ChunkMode};

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::networking::Client;

/// The chunk name of this module's own Lua code; its frames never give an
/// error its position.
pub const PRELUDE_CHUNK: &str = "=rustredis";

/// `redis.REDIS_VERSION` / `REDIS_VERSION_NUM` (0x00070015... as Redis
/// computes `(major << 16) | (minor << 8) | patch`).
pub const REDIS_VERSION: &str = "7.0.15";
/// See [`REDIS_VERSION`].
pub const REDIS_VERSION_NUM: i64 = (7 << 16) | 15;

/// Log levels of `redis.log` (Redis `LL_*`).
pub const LL_DEBUG: i64 = 0;
pub const LL_VERBOSE: i64 = 1;
pub const LL_NOTICE: i64 = 2;
pub const LL_WARNING: i64 = 3;

/// Converting a reply nested deeper than this answers `-ERR reached lua
/// stack limit`, as Redis does when `lua_checkstack` fails near Lua's C
/// stack limit (`LUAI_MAXCSTACK`, 8000 slots). mlua keeps one reference
/// per nesting level on a stack of that same size, so the bound is a
/// little lower than Redis's 7995.
const LUA_STACK_LIMIT: usize = 7900;

/// The operations the run-time slot `rt.f(op, ...)` serves.
pub const RT_CALL: i64 = 0;
pub const RT_PCALL: i64 = 1;
pub const RT_SETRESP: i64 = 2;
pub const RT_SET_REPL: i64 = 3;
/// `redis.acl_check_cmd(cmd, ...)`: true when the script's user may run it.
pub const RT_ACL_CHECK_CMD: i64 = 4;

/// The Lua prelude, run once per state with the real globals: it builds the
/// proxies, the storage table, the wrappers and the `redis` functions
/// written in Lua. Arguments: the `redis` table (real), the runtime table.
/// Returns the script environment (proxy) and the storage table.
const PRELUDE: &str = r#"
local redis_real, RT = ...
local G = _G
local rawget, rawset, rawequal, next, type, error, tostring, select =
      rawget, rawset, rawequal, next, type, error, tostring, select
local setmetatable, getmetatable, loadstring, load =
      setmetatable, getmetatable, loadstring, load
local pcall_raw, string_byte = pcall, string.byte
local RO = 'Attempt to modify a readonly table'

-- proxy -> the table it stands for
local real_of = setmetatable({}, {__mode = 'k'})
local function ro_newindex() error(RO, 2) end

local function protect(t)
  if real_of[t] then return t end
  local p = {}
  local meta_view = {}
  real_of[meta_view] = {}
  setmetatable(meta_view, {__index = {}, __newindex = ro_newindex, __metatable = false})
  real_of[p] = t
  for k, v in next, t do
    if type(v) == 'table' and not rawequal(v, t) then rawset(t, k, protect(v)) end
  end
  setmetatable(p, {__index = t, __newindex = ro_newindex, __metatable = meta_view})
  return p
end

-- The storage behind the script environment.
local S = {}
local allowed = {
  'xpcall', 'tostring', 'setmetatable', 'next', 'assert', 'tonumber', 'rawequal',
  'collectgarbage', 'getmetatable', 'rawset', 'coroutine', 'type', 'select', 'unpack',
  'gcinfo', 'pairs', 'rawget', 'ipairs', '_VERSION', 'error', 'loadstring', 'load',
  'string', 'math', 'table', 'cjson', 'bit', 'cmsgpack', 'struct',
}
for i = 1, #allowed do
  local name = allowed[i]
  local v = rawget(G, name)
  if type(v) == 'table' then v = protect(v) end
  S[name] = v
end

local ENV = {}
real_of[ENV] = S
local env_meta_view = {}
real_of[env_meta_view] = {}
setmetatable(env_meta_view, {__index = {}, __newindex = ro_newindex, __metatable = false})
setmetatable(S, {__index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})
setmetatable(ENV, {__index = S, __newindex = ro_newindex, __metatable = env_meta_view})
S._G = ENV

-- Builtins that would see through or write into a proxy.
S.rawset = function(t, k, v)
  if real_of[t] then error(RO, 0) end
  return rawset(t, k, v)
end
S.setmetatable = function(t, m)
  if real_of[t] then error(RO, 0) end
  return setmetatable(t, m)
end
S.rawget = function(t, k)
  local r = real_of[t]
  if r then return rawget(r, k) end
  return rawget(t, k)
end
local function next_seen(t, k)
  local r = real_of[t]
  if r then return next(r, k) end
  return next(t, k)
end
S.next = next_seen
S.pairs = function(t)
  if type(t) ~= 'table' then error("bad argument #1 to 'pairs' (table expected, got " .. type(t) .. ")", 2) end
  return next_seen, t, nil
end
local function no_binary(s)
  return type(s) == 'string' and string_byte(s, 1) == 27
end
S.loadstring = function(s, name)
  if no_binary(s) then return nil, 'binary chunks are not allowed' end
  return loadstring(s, name)
end
S.load = function(f, name)
  if type(f) ~= 'function' then return load(f, name) end
  local first = true
  local guarded = function()
    local piece = f()
    if first then
      first = false
      if no_binary(piece) then piece = nil end
    end
    return piece
  end
  return load(guarded, name)
end

-- Redis's pcall: an error table with an 'err' field is returned as that string.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then
    -- An error raised by a Rust function: the table it left pending.
    local p = RT.take_pending()
    if p then
      e = p
    else
      e = tostring(e)
    end
  end
  if type(e) == 'table' then
    local s = e.err
    if type(s) == 'string' or type(s) == 'number' then e = s end
  end
  return false, e
end
S.pcall = function(f, ...)
  return pcall_result(pcall_raw(f, ...))
end

S.redis = protect(redis_real)

-- Strings index the read-only string library.
local string_meta = getmetatable('')
if string_meta then
  string_meta.__index = S.string
  string_meta.__metatable = env_meta_view
end

-- Lets the Functions engine register its own read-only proxies, so the
-- guarded rawset/setmetatable refuse them and rawget/next see through.
local function mark_readonly(p, t) real_of[p] = t end

return ENV, S, mark_readonly
"#;

/// A sandboxed Lua state with the `redis` API (Redis `scriptingInit` /
/// `luaRegisterRedisAPI`), shared in shape by EVAL and Functions.
#[derive(Clone)]
pub struct LuaState {
    /// The interpreter (a cheap, clonable handle).
    pub lua: Lua,
    /// The environment scripts run in: the read-only proxy described in the
    /// module docs. Load user code with it ([`LuaState::load`]).
    pub env: Table,
    /// The storage behind `env`; [`crate::script::run_script`] sets `KEYS`
    /// and `ARGV` here in eval mode. Never hand it to user code.
    pub globals: Table,
    /// What the `redis.*` functions share with a run (see [`RunSlots`]).
    pub slots: Rc<RunSlots>,
    /// The message handler the script is called under (Redis
    /// `__redis__err__handler`).
    pub err_handler: Function,
    /// `run(handler, f, nargs, a, b)`: calls `f()` or `f(a, b)` under
    /// `xpcall` (the latter through a fixed trampoline, allocating nothing
    /// per call); returns `ok, value`.
    pub runner: Function,
    /// `mark_readonly(proxy, real)`: registers a read-only proxy built
    /// outside the prelude (the Functions engine's globals and library
    /// API) with the sandbox, so `rawset`/`setmetatable` refuse it and
    /// `rawget`/`next`/`pairs` read the real table.
    pub mark_readonly: Function,
    /// Closes the interpreter when the last clone of this state goes
    /// (declared last: the handles above are dropped first).
    _closer: Rc<LuaCloser>,
}

/// Owns a Lua state made by [`new_libc_lua`]: mlua does not close states
/// it did not create, so this does, once.
struct LuaCloser(*mut mlua::ffi::lua_State);

impl Drop for LuaCloser {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the pointer came from lua_newstate and is closed only
        // here, once (the closer is shared by `Rc`). Every `LuaState` clone
        // holding handles into it is gone; handles kept elsewhere (registry
        // keys, functions) refer to it weakly and become inert when the
        // state's mlua data is collected by lua_close.
        unsafe { mlua::ffi::lua_close(self.0) };
    }
}

/// Lua's allocator: the C library's `realloc`/`free`, as Redis's embedded
/// Lua uses. The interpreter's memory is thus outside jemalloc, like
/// Redis's: not in `used_memory`, not counted for `maxmemory`, not in the
/// allocator's fragmentation (`used_memory_lua` reports it).
#[allow(unsafe_code)]
unsafe extern "C" fn libc_lua_alloc(
    _ud: *mut std::ffi::c_void,
    ptr: *mut std::ffi::c_void,
    _osize: usize,
    nsize: usize,
) -> *mut std::ffi::c_void {
    // SAFETY: Lua hands back only pointers this function returned (or
    // null), as the lua_Alloc contract requires of realloc/free.
    unsafe {
        if nsize == 0 {
            libc::free(ptr);
            std::ptr::null_mut()
        } else {
            libc::realloc(ptr, nsize)
        }
    }
}

/// A Lua 5.1 state allocating with [`libc_lua_alloc`], with the base,
/// table, string and math libraries, and its closer.
#[allow(unsafe_code)]
fn new_libc_lua() -> mlua::Result<(Lua, Rc<LuaCloser>)> {
    // SAFETY: lua_newstate returns a fresh state or null (checked). The
    // base library is opened through luaL_requiref as mlua opens it for
    // its own states, before mlua attaches to the state; the `Lua` handle
    // is cloned out of the state's mlua data, which lives until the closer
    // calls lua_close.
    unsafe {
        let state = mlua::ffi::lua_newstate(libc_lua_alloc, std::ptr::null_mut());
        if state.is_null() {
            return Err(mlua::Error::MemoryError(
                "cannot create the Lua state".to_string(),
            ));
        }
        let closer = Rc::new(LuaCloser(state));
        mlua::ffi::luaL_requiref(state, c"_G".as_ptr(), mlua::ffi::luaopen_base, 1);
        mlua::ffi::lua_pop(state, 1);
        let lua = Lua::get_or_init_from_ptr(state).clone();
        lua.load_std_libs(StdLib::TABLE | StdLib::STRING | StdLib::MATH)?;
        Ok((lua, closer))
    }
}

/// Creates a sandboxed state (see the module docs): base, table, string
/// and math libraries, [`crate::lua_libs::load_libs`], the `redis` table
/// (`call`, `pcall`, `log` and `LOG_*`, `setresp`, `sha1hex`,
/// `error_reply`, `status_reply`, `set_repl` and `REPL_*`, `acl_check_cmd`,
/// `replicate_commands`, `breakpoint`, `debug`, `REDIS_VERSION`,
/// `REDIS_VERSION_NUM`), and Redis's `math.random`/`math.randomseed`.
/// Errors only on a broken build (the prelude is fixed code).
pub fn new_lua_state() -> mlua::Result<LuaState> {
    let (lua, closer) = new_libc_lua()?;
    crate::lua_libs::load_libs(&lua)?;
    let redis = lua.create_table()?;
    let slots = Rc::new(RunSlots::default());
    let rt = lua.create_table()?;
    let sl = slots.clone();
    rt.raw_set(
        "take_pending",
        lua.create_function(move |_, ()| Ok(sl.pending.borrow_mut().take()))?,
    )?;
    register_redis_api(&lua, &redis, &slots)?;
    register_math_random(&lua)?;
    let (env, globals, mark_readonly): (Table, Table, Function) = lua
        .load(PRELUDE)
        .set_name(PRELUDE_CHUNK)
        .set_mode(ChunkMode::Text)
        .call((redis, rt))?;
    let runner: Function = lua
        .load(
            // The two-argument form hands `f, a, b` to one fixed trampoline
            // through the chunk's locals, so a call allocates no closure
            // (Lua 5.1's xpcall passes no arguments); runs never nest.
            "local xpcall = xpcall\n\
             local cf, ca, cb\n\
             local function tramp()\n\
               local f, a, b = cf, ca, cb\n\
               cf, ca, cb = nil, nil, nil\n\
               return f(a, b)\n\
             end\n\
             return function(h, f, n, a, b)\n\
               if n == 0 then return xpcall(f, h) end\n\
               cf, ca, cb = f, a, b\n\
               return xpcall(tramp, h)\n\
             end",
        )
        .set_name(PRELUDE_CHUNK)
        .set_mode(ChunkMode::Text)
        .eval()?;
    let sl = slots.clone();
    let err_handler = lua.create_function(move |lua, err: Value| error_handler(lua, &sl, err))?;
    install_busy_hook(&lua, &slots)?;
    // Chunks compiled at run time (loadstring) get the sandbox too.
    lua.set_globals(env.clone())?;
    Ok(LuaState {
        lua,
        env,
        globals,
        slots,
        err_handler,
        runner,
        mark_readonly,
        _closer: closer,
    })
}

impl LuaState {
    /// Compiles user code as a function running in the sandbox, under
    /// `chunkname` (Redis uses `@user_script` for EVAL). Binary chunks are
    /// refused. Err carries Lua's message, e.g. `user_script:1: unexpected
    /// symbol near '<eof>'`.
    pub fn load(&self, code: &[u8], chunkname: &str) -> Result<Function, String> {
        if code.first() == Some(&27) {
            return Err(format!(
                "{}: binary chunks are not allowed",
                chunkname.trim_start_matches(['@', '='])
            ));
        }
        self.lua
            .load(code)
            .set_name(chunkname)
            .set_mode(ChunkMode::Text)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Bytes the interpreter uses (Redis `luaMemory`, INFO `used_memory_lua`).
    pub fn memory(&self) -> usize {
        self.lua.used_memory()
    }
}

// ---- The redis table ----

/// What the `redis.*` functions and the busy hook share across runs.
#[derive(Default)]
pub struct RunSlots {
    /// The error table a Rust function raised (see [`raise_table`]).
    pub pending: RefCell<Option<Table>>,
    /// The run was killed: the hook raises on every line.
    pub killed: Cell<bool>,
}

/// Raises `t` as the error of a Rust function: mlua can only raise its own
/// error values, so the table waits in `slots.pending` for the message
/// handler (or the sandbox's `pcall`) to pick it up.
pub fn raise_table(slots: &RunSlots, t: Table) -> mlua::Error {
    *slots.pending.borrow_mut() = Some(t);
    mlua::Error::runtime("script error")
}

/// Raises an error table made from `msg` (see [`error_table`]).
fn raise_msg(lua: &Lua, slots: &RunSlots, msg: &str) -> mlua::Error {
    match error_table(lua, msg) {
        Ok(t) => raise_table(slots, t),
        Err(e) => e,
    }
}

/// A `redis.*` function serving `op` for the run in progress (see
/// `crate::script::dispatch_current`); `raise` makes a not-ok answer an
/// error (`redis.pcall` returns it).
fn rt_forwarder(
    lua: &Lua,
    slots: &Rc<RunSlots>,
    op: i64,
    raise: bool,
    outside: &'static str,
) -> mlua::Result<Function> {
    let slots = slots.clone();
    lua.create_function(move |lua, args: MultiValue| {
        let Some(res) = crate::script::dispatch_current(lua, op, args) else {
            let msg = format!("{} can only be called inside a script invocation", outside);
            return Err(raise_msg(lua, &slots, &msg));
        };
        let (ok, v) = res?;
        if ok || !raise {
            return Ok(v);
        }
        match v {
            Value::Table(t) => Err(raise_table(&slots, t)),
            _ => Err(raise_msg(lua, &slots, "script error")),
        }
    })
}

fn register_redis_api(lua: &Lua, redis: &Table, slots: &Rc<RunSlots>) -> mlua::Result<()> {
    for (name, op, raise, outside) in [
        ("call", RT_CALL, true, "redis.call/pcall"),
        ("pcall", RT_PCALL, false, "redis.call/pcall"),
        ("setresp", RT_SETRESP, true, "redis.setresp"),
        ("set_repl", RT_SET_REPL, true, "redis.set_repl"),
        (
            "acl_check_cmd",
            RT_ACL_CHECK_CMD,
            true,
            "redis.acl_check_cmd",
        ),
    ] {
        redis.raw_set(name, rt_forwarder(lua, slots, op, raise, outside)?)?;
    }
    for (name, v) in [
        ("LOG_DEBUG", LL_DEBUG),
        ("LOG_VERBOSE", LL_VERBOSE),
        ("LOG_NOTICE", LL_NOTICE),
        ("LOG_WARNING", LL_WARNING),
        ("REPL_NONE", 0),
        ("REPL_AOF", crate::server::PROPAGATE_AOF as i64),
        ("REPL_SLAVE", crate::server::PROPAGATE_REPL as i64),
        ("REPL_REPLICA", crate::server::PROPAGATE_REPL as i64),
        (
            "REPL_ALL",
            (crate::server::PROPAGATE_AOF | crate::server::PROPAGATE_REPL) as i64,
        ),
        ("REDIS_VERSION_NUM", REDIS_VERSION_NUM),
    ] {
        redis.raw_set(name, v)?;
    }
    redis.raw_set("REDIS_VERSION", REDIS_VERSION)?;
    // redis.log(level, ...): returns an error table to raise, or nothing.
    let rt_log = slots.clone();
    redis.raw_set(
        "log",
        lua.create_function(move |lua, args: MultiValue| match lua_log(lua, args)? {
            Some(t) => Err(raise_table(&rt_log, t)),
            None => Ok(()),
        })?,
    )?;
    let rt_sha = slots.clone();
    redis.raw_set(
        "sha1hex",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise_msg(lua, &rt_sha, "wrong number of arguments"));
            }
            let s = match args.front() {
                Some(Value::String(s)) => s.as_bytes().to_vec(),
                Some(Value::Integer(i)) => format_number(*i as f64),
                Some(Value::Number(n)) => format_number(*n),
                _ => Vec::new(),
            };
            lua.create_string(sha1hex(&s))
        })?,
    )?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| {
            let s = match (args.len(), args.front()) {
                (1, Some(Value::String(s))) => s.as_bytes().to_vec(),
                _ => return error_table(lua, "wrong number or type of arguments"),
            };
            let mut buf = Vec::with_capacity(s.len() + 1);
            if s.first() != Some(&b'-') {
                buf.push(b'-');
            }
            buf.extend_from_slice(&s);
            error_table(lua, &String::from_utf8_lossy(&buf))
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| match (args.len(), args.front()) {
            (1, Some(Value::String(s))) => {
                let t = lua.create_table()?;
                t.raw_set("ok", s.clone())?;
                Ok(t)
            }
            _ => error_table(lua, "wrong number or type of arguments"),
        })?,
    )?;
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    // The Lua debugger's (`ldb.rs`): outside a session breakpoint() is
    // false and debug() does nothing.
    redis.raw_set(
        "breakpoint",
        lua.create_function(|_, _: MultiValue| Ok(crate::ldb::redis_breakpoint()))?,
    )?;
    redis.raw_set(
        "debug",
        lua.create_function(|_, args: MultiValue| {
            crate::ldb::redis_debug(&args);
            Ok(())
        })?,
    )?;
    Ok(())
}

/// `redis.log(level, msg...)`: the arguments joined by spaces, logged at
/// `level` when the server's verbosity allows it. Returns the error table
/// the Lua wrapper raises: `redis.log() requires two arguments or more.`,
/// `First argument must be a number (log level).`, `Invalid debug level.`
pub(crate) fn lua_log(lua: &Lua, args: MultiValue) -> mlua::Result<Option<Table>> {
    if args.len() < 2 {
        return Ok(Some(error_table(
            lua,
            "redis.log() requires two arguments or more.",
        )?));
    }
    let level = match args.front() {
        Some(Value::Integer(i)) => *i as f64,
        Some(Value::Number(n)) => *n,
        Some(Value::String(s)) => match std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
        {
            Some(n) => n,
            None => {
                return Ok(Some(error_table(
                    lua,
                    "First argument must be a number (log level).",
                )?));
            }
        },
        _ => {
            return Ok(Some(error_table(
                lua,
                "First argument must be a number (log level).",
            )?));
        }
    };
    let level = level as i64;
    if !(LL_DEBUG..=LL_WARNING).contains(&level) {
        return Ok(Some(error_table(lua, "Invalid debug level.")?));
    }
    let mut msg = Vec::new();
    for (j, a) in args.iter().skip(1).enumerate() {
        let piece = match a {
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Integer(i) => lua_number_to_string(*i as f64),
            Value::Number(n) => lua_number_to_string(*n),
            _ => continue,
        };
        if j != 0 {
            msg.push(b' ');
        }
        msg.extend_from_slice(&piece);
    }
    let text = String::from_utf8_lossy(&msg);
    match level {
        LL_DEBUG => tracing::trace!("{}", text),
        LL_VERBOSE => tracing::debug!("{}", text),
        LL_NOTICE => tracing::info!("{}", text),
        _ => tracing::warn!("{}", text),
    }
    Ok(None)
}

/// Lua's own number-to-string (`%.14g`), used where Redis lets Lua convert.
fn lua_number_to_string(n: f64) -> Vec<u8> {
    crate::util::fmt_g(n, 14).into_bytes()
}

/// A Lua number as a command argument: `%.17g`, as Redis formats it (Lua's
/// own conversion would lose precision).
pub fn format_number(n: f64) -> Vec<u8> {
    if n.fract() == 0.0 && n.abs() < 1e17 {
        let mut b = itoa::Buffer::new();
        let s = b.format(n as i64);
        if n == 0.0 && n.is_sign_negative() {
            return b"-0".to_vec();
        }
        return s.as_bytes().to_vec();
    }
    crate::util::d2string_g17(n)
}

/// 40 lowercase hex digits of the SHA1 of `s` (Redis `sha1hex`).
pub fn sha1hex(s: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let d = Sha1::digest(s);
    let mut out = String::with_capacity(40);
    for b in d.iter() {
        out.push(char::from(b"0123456789abcdef"[(b >> 4) as usize]));
        out.push(char::from(b"0123456789abcdef"[(b & 15) as usize]));
    }
    out
}

// ---- The busy hook ----

/// Instructions between two busy checks (Redis's count hook period).
pub const HOOK_PERIOD: u32 = 100_000;

/// The message a killed script raises (as `{err="ERR ..."}`).
pub const SCRIPT_KILLED_MSG: &str = "Script killed by user with SCRIPT KILL...";

/// Installs the count hook once for the state (Redis sets it per run;
/// one idle check every 100000 instructions costs nothing): during a run
/// it calls `crate::script::busy_current`, which serves other clients once the run is timed
/// out and says whether SCRIPT KILL asked to stop. A killed run raises
/// `Script killed by user with SCRIPT KILL...` and the hook switches to
/// every line, so `pcall` cannot swallow the kill (Redis
/// `luaMaskCountHook`); [`restore_busy_hook`] switches back after the run.
/// The Functions engine reinstalls it after a library's load run, which
/// uses its own hook.
pub(crate) fn install_busy_hook(lua: &Lua, slots: &Rc<RunSlots>) -> mlua::Result<()> {
    let sl = slots.clone();
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(HOOK_PERIOD),
        move |lua, _| busy_hook(lua, &sl),
    )
}

fn busy_hook(lua: &Lua, slots: &Rc<RunSlots>) -> mlua::Result<mlua::VmState> {
    if !slots.killed.get() {
        if !crate::script::busy_current() {
            return Ok(mlua::VmState::Continue);
        }
        tracing::warn!("Lua script killed by user with SCRIPT KILL.");
        slots.killed.set(true);
        let sl = slots.clone();
        lua.set_hook(mlua::HookTriggers::EVERY_LINE, move |lua, _| {
            busy_hook(lua, &sl)
        })?;
    }
    Err(mlua::Error::runtime(SCRIPT_KILLED_MSG))
}

/// Puts the count hook back after a killed run.
pub fn restore_busy_hook(ls: &LuaState) -> mlua::Result<()> {
    if ls.slots.killed.replace(false) {
        install_busy_hook(&ls.lua, &ls.slots)?;
    }
    Ok(())
}

// ---- math.random ----

/// Redis's `math.random` / `math.randomseed`: the 48-bit linear
/// congruential generator of `lrand48`, seeded by `randomseed`, so a seeded
/// script gives the same sequence as on Redis.
fn register_math_random(lua: &Lua) -> mlua::Result<()> {
    use std::cell::Cell;
    use std::rc::Rc;
    const A: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    const LRAND48_MAX: i64 = 1 << 31;
    let state = Rc::new(Cell::new(0x1234_ABCD_330E_u64));
    let st = state.clone();
    let random = lua.create_function(move |lua, args: MultiValue| {
        let x = (st.get().wrapping_mul(A).wrapping_add(0xB)) & MASK;
        st.set(x);
        let v = (x >> 17) as i64;
        let r = (v % (LRAND48_MAX - 1)) as f64 / (LRAND48_MAX - 1) as f64;
        let int_arg = |v: Option<&Value>, n: usize| -> mlua::Result<i64> {
            match v {
                Some(Value::Integer(i)) => Ok(*i),
                Some(Value::Number(f)) => Ok(*f as i64),
                _ => Err(mlua::Error::runtime(format!(
                    "{}bad argument #{} to 'random' (number expected)",
                    lua_where(lua),
                    n
                ))),
            }
        };
        match args.len() {
            0 => Ok(r),
            1 => {
                let u = int_arg(args.front(), 1)?;
                if u < 1 {
                    return Err(mlua::Error::runtime(format!(
                        "{}bad argument #1 to 'random' (interval is empty)",
                        lua_where(lua)
                    )));
                }
                Ok((r * u as f64).floor() + 1.0)
            }
            2 => {
                let l = int_arg(args.front(), 1)?;
                let u = int_arg(args.get(1), 2)?;
                if l > u {
                    return Err(mlua::Error::runtime(format!(
                        "{}bad argument #2 to 'random' (interval is empty)",
                        lua_where(lua)
                    )));
                }
                Ok((r * (u - l + 1) as f64).floor() + l as f64)
            }
            _ => Err(mlua::Error::runtime("wrong number of arguments")),
        }
    })?;
    let randomseed = lua.create_function(move |_, seed: Value| {
        let s = match seed {
            Value::Integer(i) => i,
            Value::Number(f) => f as i64,
            Value::String(s) => std::str::from_utf8(&s.as_bytes())
                .ok()
                .and_then(|s| s.trim().parse::<f64>().ok())
                .map(|f| f as i64)
                .ok_or_else(|| {
                    mlua::Error::runtime("bad argument #1 to 'randomseed' (number expected)")
                })?,
            _ => {
                return Err(mlua::Error::runtime(
                    "bad argument #1 to 'randomseed' (number expected)",
                ));
            }
        };
        // srand48: the seed's low 32 bits in the high bits, 0x330E below.
        state.set((((s as u32) as u64) << 16) | 0x330E);
        Ok(())
    })?;
    let math: Table = lua.globals().raw_get("math")?;
    math.raw_set("random", random)?;
    math.raw_set("randomseed", randomseed)?;
    Ok(())
}

// ---- Errors ----

/// `short_src:line: ` of the Lua function calling the current Rust
/// function, as `luaL_where(L, 1)` gives it ("" when not known).
pub fn lua_where(lua: &Lua) -> String {
    lua.inspect_stack(1, |d| {
        let line = d.current_line()?;
        let src = d.source().short_src.map(|s| s.into_owned())?;
        Some(format!("{}:{}: ", src, line))
    })
    .flatten()
    .unwrap_or_default()
}

/// An error table `{err="CODE msg"}` (Redis `luaPushErrorBuff`): a message
/// starting with `-` carries its own code (the first word), otherwise the
/// code is `ERR`; trailing CR/LF are trimmed.
pub fn error_table(lua: &Lua, msg: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", error_text(msg))?;
    Ok(t)
}

/// The `err` text of [`error_table`].
pub fn error_text(msg: &str) -> String {
    let (code, body) = match msg.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, body)) => (code, body),
            None => ("ERR", rest),
        },
        None => ("ERR", msg),
    };
    let body = body.trim_matches(['\r', '\n']);
    format!("{} {}", code, body)
}

/// The message handler scripts run under (Redis `__redis__err__handler`):
/// any error becomes a table with `err` (a non-table error `e` becomes
/// `"ERR " .. tostring(e)`), plus `source` and `line` of the Lua frame the
/// error comes from.
fn error_handler(lua: &Lua, slots: &RunSlots, err: Value) -> mlua::Result<Table> {
    let t = match err {
        Value::Table(t) => t,
        Value::Error(e) => match slots.pending.borrow_mut().take() {
            Some(t) => t,
            None => error_table(lua, &callback_error_message(&e))?,
        },
        other => {
            let s = match &other {
                Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                Value::Nil => "nil".to_string(),
                Value::Boolean(b) => b.to_string(),
                Value::Integer(i) => i.to_string(),
                Value::Number(n) => String::from_utf8_lossy(&lua_number_to_string(*n)).into_owned(),
                v => format!("{}: {:p}", v.type_name(), v.to_pointer()),
            };
            let t = lua.create_table()?;
            t.raw_set("err", format!("ERR {}", s))?;
            t
        }
    };
    for level in 1..64 {
        let Some((what_c, source, line)) = lua.inspect_stack(level, |d| {
            let s = d.source();
            (
                s.what == "C",
                s.source.map(|x| x.into_owned()),
                d.current_line(),
            )
        }) else {
            break;
        };
        if what_c || source.as_deref() == Some(PRELUDE_CHUNK) {
            continue;
        }
        if let Some(src) = source {
            t.raw_set("source", src)?;
        }
        if let Some(line) = line {
            t.raw_set("line", line as i64)?;
        }
        break;
    }
    Ok(t)
}

/// The message of an error raised by a Rust callback or hook.
pub fn callback_error_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(s) => s.clone(),
        mlua::Error::CallbackError { cause, .. } => callback_error_message(cause),
        mlua::Error::WithContext { cause, .. } => callback_error_message(cause),
        other => other.to_string(),
    }
}

// ---- Lua → Redis protocol ----

/// What a run's error table says (Redis `errorInfo`).
pub struct ErrorInfo {
    pub msg: String,
    pub source: Option<String>,
    pub line: Option<String>,
    /// The error was already counted in errorstats where it happened.
    pub ignore_stats: bool,
}

/// Reads an error table (Redis `luaExtractErrorInformation`).
pub fn extract_error_info(t: &Table) -> ErrorInfo {
    let as_string = |v: Value| -> Option<String> {
        match v {
            Value::String(s) => Some(String::from_utf8_lossy(&s.as_bytes()).into_owned()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => {
                Some(String::from_utf8_lossy(&lua_number_to_string(n)).into_owned())
            }
            _ => None,
        }
    };
    ErrorInfo {
        msg: t
            .get::<Value>("err")
            .ok()
            .and_then(as_string)
            .unwrap_or_default(),
        source: t.get::<Value>("source").ok().and_then(as_string),
        line: t.get::<Value>("line").ok().and_then(as_string),
        ignore_stats: matches!(
            t.get::<Value>("ignore_error_stats_update"),
            Ok(Value::Boolean(true))
        ),
    }
}

/// Adds an error reply that was already counted in errorstats where it
/// happened (Redis `ERR_REPLY_FLAG_NO_STATS_UPDATE`): the reply is sent but
/// not counted again; the caller counts its command as failed.
pub fn add_reply_error_no_stats(c: &mut Client, msg: &str) {
    c.add_reply_error(msg);
    c.error_codes.pop();
}

/// Converts a script's return value into a reply to `c` (Redis
/// `luaReplyToRedisReply`). `script_resp` is the protocol the script chose
/// with `redis.setresp` (it decides how booleans come out in RESP2).
/// Returns true when an error reply was sent without counting it (see
/// [`add_reply_error_no_stats`]), so the caller counts a failed call.
///
/// - string → bulk; number → integer (truncated); true → `:1` (`#t` for a
///   RESP3 script); false → null (`#f`); nil and other types → null.
/// - table with `err` string → error; `ok` string → status; `double`
///   number → double; `big_number` string → big number; `verbatim_string`
///   table → verbatim; `map` table → map; `set` table → set; otherwise the
///   array of `t[1]`, `t[2]`, ... up to the first nil (raw reads: no
///   metamethods run).
pub fn lua_to_reply(c: &mut Client, v: &Value, script_resp: u8) -> bool {
    let mut uncounted = false;
    reply_value(c, v, script_resp, 0, &mut uncounted);
    uncounted
}

fn lua_num_to_i64(n: f64) -> i64 {
    // C's (long long) cast as x86 does it: out of range and NaN give i64::MIN.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn reply_value(c: &mut Client, v: &Value, script_resp: u8, depth: usize, uncounted: &mut bool) {
    if depth >= LUA_STACK_LIMIT {
        c.add_reply_error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => c.add_reply_bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    c.add_reply_raw(b":1\r\n");
                } else {
                    c.add_reply_null();
                }
            } else {
                c.add_reply_bool(*b);
            }
        }
        Value::Integer(i) => c.add_reply_long_long(*i),
        Value::Number(n) => c.add_reply_long_long(lua_num_to_i64(*n)),
        Value::Table(t) => reply_table(c, t, script_resp, depth, uncounted),
        _ => c.add_reply_null(),
    }
}

fn reply_table(c: &mut Client, t: &Table, script_resp: u8, depth: usize, uncounted: &mut bool) {
    if let Ok(Value::String(_)) = t.raw_get::<Value>("err") {
        let info = extract_error_info(t);
        if info.ignore_stats {
            add_reply_error_no_stats(c, &info.msg);
            *uncounted = true;
        } else {
            c.add_reply_error(&info.msg);
        }
        return;
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        let st: Vec<u8> = s
            .as_bytes()
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        let mut out = Vec::with_capacity(st.len() + 3);
        out.push(b'+');
        out.extend_from_slice(&st);
        out.extend_from_slice(b"\r\n");
        c.add_reply_raw(&out);
        return;
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(d)) => {
            c.add_reply_double(d);
            return;
        }
        Ok(Value::Integer(i)) => {
            c.add_reply_double(i as f64);
            return;
        }
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        let n: Vec<u8> = s
            .as_bytes()
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        let mut out = Vec::with_capacity(n.len() + 16);
        if c.resp >= 3 {
            out.push(b'(');
            out.extend_from_slice(&n);
            out.extend_from_slice(b"\r\n");
        } else {
            crate::resp::write_bulk(&mut out, &n);
        }
        c.add_reply_raw(&out);
        return;
    }
    if let Ok(Value::Table(vt)) = t.raw_get::<Value>("verbatim_string")
        && let Ok(Value::String(fmt)) = vt.raw_get::<Value>("format")
        && let Ok(Value::String(s)) = vt.raw_get::<Value>("string")
    {
        let f = fmt.as_bytes();
        let ext = String::from_utf8_lossy(&f[..f.len().min(3)]).into_owned();
        c.add_reply_verbatim(&s.as_bytes(), &ext);
        return;
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let h = c.add_reply_deferred_len();
        let mut n = 0;
        for (k, v) in m.pairs::<Value, Value>().flatten() {
            reply_value(c, &k, script_resp, depth + 4, uncounted);
            reply_value(c, &v, script_resp, depth + 3, uncounted);
            n += 1;
        }
        c.set_deferred_map_len(h, n);
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let h = c.add_reply_deferred_len();
        let mut n = 0;
        for (k, _) in s.pairs::<Value, Value>().flatten() {
            reply_value(c, &k, script_resp, depth + 3, uncounted);
            n += 1;
        }
        c.set_deferred_set_len(h, n);
        return;
    }
    let h = c.add_reply_deferred_len();
    let mut n = 0;
    let mut j = 1i64;
    loop {
        let v: Value = match t.raw_get(j) {
            Ok(v) => v,
            Err(_) => {
                // mlua's reference stack is as deep as Lua's C stack.
                c.add_reply_error("ERR reached lua stack limit");
                n += 1;
                break;
            }
        };
        if v.is_nil() {
            break;
        }
        reply_value(c, &v, script_resp, depth + 1, uncounted);
        n += 1;
        j += 1;
    }
    c.set_deferred_array_len(h, n);
}

// ---- Redis protocol → Lua ----

/// Converts one reply of the fake client (RESP2 or RESP3 bytes) into a Lua
/// value (Redis `redisProtocolToLuaType`):
/// integer → number; bulk → string; null bulk / null array → false;
/// status → `{ok=...}`; error → `{err="CODE msg",
/// ignore_error_stats_update=true}`; array → table; RESP3: null → nil,
/// boolean → boolean, double → `{double=d}`, map → `{map={...}}`, set →
/// `{set={k=true}}`, big number → `{big_number=s}`, verbatim →
/// `{verbatim_string={format=..., string=...}}`; attributes are skipped.
/// Returns the value and whether it is an error.
pub fn reply_to_lua(lua: &Lua, reply: &[u8]) -> mlua::Result<(Value, bool)> {
    let mut p = ReplyParser { buf: reply, pos: 0 };
    let is_err = reply.first() == Some(&b'-');
    let v = p.parse(lua)?;
    Ok((v, is_err))
}

struct ReplyParser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl ReplyParser<'_> {
    fn line(&mut self) -> &[u8] {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(rest.len());
        self.pos += end + 2;
        &rest[..end]
    }

    fn num(&mut self) -> i64 {
        let l = self.line();
        std::str::from_utf8(l)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn bulk(&mut self, len: i64) -> &[u8] {
        let start = self.pos.min(self.buf.len());
        let end = (start + len.max(0) as usize).min(self.buf.len());
        self.pos = end + 2;
        &self.buf[start..end]
    }

    fn parse(&mut self, lua: &Lua) -> mlua::Result<Value> {
        let Some(&t) = self.buf.get(self.pos) else {
            return Ok(Value::Nil);
        };
        self.pos += 1;
        Ok(match t {
            b':' => {
                let n = self.num();
                Value::Number(n as f64)
            }
            b'$' => {
                let len = self.num();
                if len < 0 {
                    Value::Boolean(false)
                } else {
                    Value::String(lua.create_string(self.bulk(len))?)
                }
            }
            b'+' => {
                let s = lua.create_string(self.line())?;
                let tb = lua.create_table()?;
                tb.raw_set("ok", s)?;
                Value::Table(tb)
            }
            b'-' => {
                let line = self.line().to_vec();
                let mut msg = b"-".to_vec();
                msg.extend_from_slice(&line);
                let tb = error_table(lua, &String::from_utf8_lossy(&msg))?;
                tb.raw_set("ignore_error_stats_update", true)?;
                Value::Table(tb)
            }
            b'*' => {
                let n = self.num();
                if n < 0 {
                    Value::Boolean(false)
                } else {
                    let tb = lua.create_table_with_capacity(n as usize, 0)?;
                    for j in 0..n {
                        let v = self.parse(lua)?;
                        tb.raw_set(j + 1, v)?;
                    }
                    Value::Table(tb)
                }
            }
            b'%' => {
                let n = self.num();
                let inner = lua.create_table()?;
                for _ in 0..n.max(0) {
                    let k = self.parse(lua)?;
                    let v = self.parse(lua)?;
                    if !k.is_nil() {
                        inner.raw_set(k, v)?;
                    }
                }
                let tb = lua.create_table()?;
                tb.raw_set("map", inner)?;
                Value::Table(tb)
            }
            b'~' => {
                let n = self.num();
                let inner = lua.create_table()?;
                for _ in 0..n.max(0) {
                    let k = self.parse(lua)?;
                    if !k.is_nil() {
                        inner.raw_set(k, true)?;
                    }
                }
                let tb = lua.create_table()?;
                tb.raw_set("set", inner)?;
                Value::Table(tb)
            }
            b'_' => {
                self.line();
                Value::Nil
            }
            b'#' => Value::Boolean(self.line() == b"t"),
            b',' => {
                let l = self.line();
                let d = std::str::from_utf8(l)
                    .ok()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(0.0);
                let tb = lua.create_table()?;
                tb.raw_set("double", d)?;
                Value::Table(tb)
            }
            b'(' => {
                let s = lua.create_string(self.line())?;
                let tb = lua.create_table()?;
                tb.raw_set("big_number", s)?;
                Value::Table(tb)
            }
            b'=' => {
                let len = self.num();
                let body = self.bulk(len).to_vec();
                let (fmt, s) = if body.len() >= 4 {
                    (&body[..3], &body[4..])
                } else {
                    (&body[..], &b""[..])
                };
                let inner = lua.create_table()?;
                inner.raw_set("string", lua.create_string(s)?)?;
                inner.raw_set("format", lua.create_string(fmt)?)?;
                let tb = lua.create_table()?;
                tb.raw_set("verbatim_string", inner)?;
                Value::Table(tb)
            }
            b'|' => {
                let n = self.num();
                for _ in 0..n.max(0) {
                    self.parse(lua)?;
                    self.parse(lua)?;
                }
                return self.parse(lua);
            }
            _ => {
                self.line();
                Value::Nil
            }
        })
    }
}

/// Turns the arguments of `redis.call` into a command vector (Redis
/// `luaArgsToRedisArgv`): strings as they are, numbers as `%.17g`.
/// Err: `Please specify at least one argument for this redis lib call` or
/// `Lua redis lib command arguments must be strings or integers`.
pub fn args_to_argv(args: &[Value]) -> Result<Vec<Bytes>, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(i) => argv.push(Bytes::from(format_number(*i as f64))),
            Value::Number(n) => argv.push(Bytes::from(format_number(*n))),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// Builds a Lua array of strings (Redis `luaCreateArray`: KEYS, ARGV).
pub fn create_array(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (j, it) in items.iter().enumerate() {
        t.raw_set(j + 1, lua.create_string(it)?)?;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_formats() {
        assert_eq!(format_number(3.0), b"3");
        assert_eq!(format_number(0.1), b"0.10000000000000001");
        assert_eq!(format_number(1e20), b"1e+20");
        assert_eq!(crate::util::fmt_g(1.5, 14), "1.5");
        assert_eq!(
            crate::util::fmt_g(1e-5, 14),
            "1.0000000000000001e-05".replace("1.0000000000000001", "1")
        );
    }

    #[test]
    fn error_texts() {
        assert_eq!(error_text("-WRONGTYPE Operation"), "WRONGTYPE Operation");
        assert_eq!(error_text("oops\r\n"), "ERR oops");
        assert_eq!(error_text("-ERR"), "ERR ERR");
    }

    #[test]
    fn sha() {
        assert_eq!(sha1hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }
}
