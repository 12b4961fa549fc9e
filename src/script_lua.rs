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
//! `redis.call` and `redis.pcall`, the hot path of every script, are plain
//! Lua C functions: they read their arguments off the Lua stack, run the
//! command through `crate::script::lua_redis_call` and push the reply
//! converted straight from its RESP bytes (see the banner "redis.call and
//! redis.pcall: C functions" for how they raise errors soundly). They raise
//! Redis's error tables themselves. `redis.setresp`, `redis.set_repl` and
//! `redis.acl_check_cmd` are mlua functions created once per state; they
//! reach the run in progress through `crate::script::dispatch_current`. All
//! of them find the server and the fake client the running
//! [`crate::script::run_script`] lent for its duration, and outside a run
//! raise Redis's "can only be called inside a script invocation" errors.
//!
//! Redis's errors are Lua tables `{err="CODE msg"}`. mlua raises only its
//! own error values from Rust, so an mlua function leaves the table in
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
use mlua::{Function, Lua, MultiValue, StdLib, Table, Value, chunk::ChunkMode, ffi};
use std::os::raw::c_int;

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
    /// `run(handler, f, nargs)`: builds KEYS and ARGV from the run in
    /// progress, then calls `f()` with them as the globals `KEYS` and
    /// `ARGV` (`nargs` 0) or `f(keys, args)` (`nargs` 2) under `xpcall` (the
    /// latter through a fixed trampoline, allocating nothing per call);
    /// returns `ok, value`.
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
struct LuaCloser(*mut ffi::lua_State);

impl Drop for LuaCloser {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the pointer came from lua_newstate and is closed only
        // here, once (the closer is shared by `Rc`). Every `LuaState` clone
        // holding handles into it is gone; handles kept elsewhere (registry
        // keys, functions) refer to it weakly and become inert when the
        // state's mlua data is collected by lua_close.
        unsafe { ffi::lua_close(self.0) };
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
        let state = ffi::lua_newstate(libc_lua_alloc, std::ptr::null_mut());
        if state.is_null() {
            return Err(mlua::Error::MemoryError(
                "cannot create the Lua state".to_string(),
            ));
        }
        let closer = Rc::new(LuaCloser(state));
        ffi::luaL_requiref(state, c"_G".as_ptr(), ffi::luaopen_base, 1);
        ffi::lua_pop(state, 1);
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
    // SAFETY: `lua_run_args` follows the Lua C API protocol (see its docs).
    #[allow(unsafe_code)]
    let mkargs = unsafe { lua.create_c_function(lua_run_args)? };
    let runner: Function = lua
        .load(
            // `mkargs()` builds KEYS and ARGV for the run in progress. The
            // two-argument form hands `f, a, b` to one fixed trampoline
            // through the chunk's locals, so a call allocates no closure
            // (Lua 5.1's xpcall passes no arguments); runs never nest.
            "local S, mkargs = ...\n\
             local xpcall, rawset = xpcall, rawset\n\
             local cf, ca, cb\n\
             local function tramp()\n\
               local f, a, b = cf, ca, cb\n\
               cf, ca, cb = nil, nil, nil\n\
               return f(a, b)\n\
             end\n\
             return function(h, f, n)\n\
               local k, a = mkargs()\n\
               if n == 0 then\n\
                 rawset(S, 'KEYS', k)\n\
                 rawset(S, 'ARGV', a)\n\
                 return xpcall(f, h)\n\
               end\n\
               cf, ca, cb = f, k, a\n\
               return xpcall(tramp, h)\n\
             end",
        )
        .set_name(PRELUDE_CHUNK)
        .set_mode(ChunkMode::Text)
        .call((globals.clone(), mkargs))?;
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
/// `crate::script::dispatch_current`); a not-ok answer is raised.
fn rt_forwarder(
    lua: &Lua,
    slots: &Rc<RunSlots>,
    op: i64,
    outside: &'static str,
) -> mlua::Result<Function> {
    let slots = slots.clone();
    lua.create_function(move |lua, args: MultiValue| {
        let Some(res) = crate::script::dispatch_current(lua, op, args) else {
            let msg = format!("{} can only be called inside a script invocation", outside);
            return Err(raise_msg(lua, &slots, &msg));
        };
        let (ok, v) = res?;
        if ok {
            return Ok(v);
        }
        match v {
            Value::Table(t) => Err(raise_table(&slots, t)),
            _ => Err(raise_msg(lua, &slots, "script error")),
        }
    })
}

fn register_redis_api(lua: &Lua, redis: &Table, slots: &Rc<RunSlots>) -> mlua::Result<()> {
    // SAFETY: both follow the Lua C API protocol (see `redis_call_generic`).
    #[allow(unsafe_code)]
    let (call, pcall) = unsafe {
        (
            lua.create_c_function(lua_redis_call)?,
            lua.create_c_function(lua_redis_pcall)?,
        )
    };
    redis.raw_set("call", call)?;
    redis.raw_set("pcall", pcall)?;
    for (name, op, outside) in [
        ("setresp", RT_SETRESP, "redis.setresp"),
        ("set_repl", RT_SET_REPL, "redis.set_repl"),
        ("acl_check_cmd", RT_ACL_CHECK_CMD, "redis.acl_check_cmd"),
    ] {
        redis.raw_set(name, rt_forwarder(lua, slots, op, outside)?)?;
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

// ---- redis.call and redis.pcall: C functions ----
//
// The hot path of every script is `redis.call`, so it is a plain Lua C
// function (`lua_CFunction`) rather than an mlua callback: it reads its
// arguments straight off the Lua stack into the command vector and pushes
// the reply converted straight from the RESP bytes, with no mlua value
// handles in between.
//
// A C function raises errors with `lua_error`, a `longjmp` over the Rust
// frames between it and the `pcall` that catches it. That is sound only when
// none of those frames holds a value with a destructor. So each function
// runs in two phases:
// 1. The Rust part (`crate::script::lua_redis_call`, under `catch_unwind`)
//    does all the work that owns values: it runs the command and leaves the
//    reply bytes, or an error text, in the thread's scratch buffer
//    ([`CALL_SCRATCH`]), then returns a [`CallOutcome`] made of plain
//    pointers and flags. Nothing it calls raises a Lua error: it only reads
//    its own arguments (`lua_type`, `lua_tonumber`, and `lua_tolstring` on
//    strings, which returns them in place).
// 2. The Lua part pushes the result from the scratch bytes and, when the
//    call failed, raises it. Only `Copy` values are live then, so the jump
//    skips no destructor. The scratch buffer is not touched until the next
//    `redis.call`, which cannot start while this one pushes (pushing runs no
//    Lua code: the only finalizers Lua 5.1 runs are mlua's own userdata
//    ones).
// A panic in the Rust part waits in [`CALL_PANIC`] while a Lua error
// unwinds the script; `crate::script` resumes it once the Lua call returns,
// as mlua does for its own callbacks.

thread_local! {
    /// The bytes `redis.call`'s Rust part hands to its Lua part: the
    /// command's reply, or an error text. Its buffer is reused by every call.
    static CALL_SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    /// A panic caught in `redis.call`'s Rust part, to resume after the run.
    static CALL_PANIC: Cell<Option<Box<dyn std::any::Any + Send>>> = const { Cell::new(None) };
}

/// Fills the scratch buffer with `f` (it starts empty) and returns where
/// its bytes are. They stay valid until the next fill: moving the `Vec`
/// out of and back into the thread-local does not move its heap buffer.
pub fn fill_scratch(f: impl FnOnce(&mut Vec<u8>)) -> (*const u8, usize) {
    let mut v = CALL_SCRATCH.take();
    v.clear();
    f(&mut v);
    let at = (v.as_ptr(), v.len());
    CALL_SCRATCH.set(v);
    at
}

/// Gives back the scratch buffer's memory after a big reply.
pub fn trim_scratch() {
    let v = CALL_SCRATCH.take();
    if v.capacity() <= crate::networking::PROTO_IOBUF_LEN {
        CALL_SCRATCH.set(v);
    }
}

/// Resumes a panic that `redis.call`'s Rust part caught during the Lua call
/// that just returned, if any.
pub fn resume_call_panic() {
    if let Some(p) = CALL_PANIC.take() {
        std::panic::resume_unwind(p);
    }
}

/// What `redis.call`'s Rust part leaves for its Lua part: plain pointers
/// into the scratch buffer (see [`fill_scratch`]) and flags, nothing that
/// needs dropping.
pub enum CallOutcome {
    /// The command ran; `len` bytes of its RESP reply are at `ptr`.
    Reply { ptr: *const u8, len: usize },
    /// An error table `{err=<text>}` to push (and raise for `redis.call`),
    /// the `len` bytes of text at `ptr`; `counted` adds
    /// `ignore_error_stats_update=true` (already counted in errorstats).
    Error {
        ptr: *const u8,
        len: usize,
        counted: bool,
    },
    /// Called outside a run: raised even by `redis.pcall`.
    Outside,
    /// The Rust part panicked (see [`CALL_PANIC`]).
    Panicked,
}

/// An [`CallOutcome::Error`] for `msg`, made into an error text as
/// [`error_table`] does.
pub fn error_outcome(msg: &str, counted: bool) -> CallOutcome {
    let (ptr, len) = fill_scratch(|v| v.extend_from_slice(error_text(msg).as_bytes()));
    CallOutcome::Error { ptr, len, counted }
}

/// Reads the arguments of the running C function into `argv` (Redis
/// `luaArgsToRedisArgv`): strings as they are, numbers as `%.17g`. Err:
/// `Please specify at least one argument for this redis lib call` or `Lua
/// redis lib command arguments must be strings or integers`.
#[allow(unsafe_code)]
fn read_call_args(l: *mut ffi::lua_State, argv: &mut Vec<Bytes>) -> Result<(), &'static str> {
    // SAFETY (every block below): `l` is the thread running the C function
    // whose arguments are read, at stack positions 1..=top; lua_gettop,
    // lua_type and lua_tonumber neither allocate nor raise, and
    // lua_tolstring is only called on strings, which it returns in place
    // (pointer and length stay valid while the argument is on the stack).
    let n = unsafe { ffi::lua_gettop(l) };
    if n == 0 {
        return Err("Please specify at least one argument for this redis lib call");
    }
    argv.reserve(n as usize);
    for i in 1..=n {
        match unsafe { ffi::lua_type(l, i) } {
            ffi::LUA_TSTRING => {
                let mut len = 0usize;
                let p = unsafe { ffi::lua_tolstring(l, i, &mut len) };
                let s = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
                argv.push(Bytes::copy_from_slice(s));
            }
            ffi::LUA_TNUMBER => {
                let v = unsafe { ffi::lua_tonumber(l, i) };
                argv.push(Bytes::from(format_number(v)));
            }
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(())
}

/// Phase 1 of `redis.call` (see the banner): the Rust part, with panics
/// caught. Returns only plain values.
fn redis_call_rust_part(l: *mut ffi::lua_State) -> CallOutcome {
    let run = std::panic::AssertUnwindSafe(|| {
        crate::script::lua_redis_call(|argv| read_call_args(l, argv))
    });
    match std::panic::catch_unwind(run) {
        Ok(o) => o,
        Err(p) => {
            CALL_PANIC.set(Some(p));
            CallOutcome::Panicked
        }
    }
}

/// `redis.call(cmd, ...)` (Redis `luaRedisCallCommand`): the command's
/// reply as a Lua value; an error reply is raised as its error table.
#[allow(unsafe_code)]
unsafe extern "C-unwind" fn lua_redis_call(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function on thread `l`.
    unsafe { redis_call_generic(l, true) }
}

/// `redis.pcall(cmd, ...)` (Redis `luaRedisPCallCommand`): as `redis.call`,
/// but an error is returned as its table.
#[allow(unsafe_code)]
unsafe extern "C-unwind" fn lua_redis_pcall(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua calls this as a C function on thread `l`.
    unsafe { redis_call_generic(l, false) }
}

/// Both phases of `redis.call` (`raise`) and `redis.pcall`.
///
/// # Safety
/// Only as the body of a `lua_CFunction` Lua is calling on thread `l`.
#[allow(unsafe_code)]
unsafe fn redis_call_generic(l: *mut ffi::lua_State, raise: bool) -> c_int {
    let outcome = redis_call_rust_part(l);
    // Phase 2: only `Copy` values are live from here on (see the banner), so
    // lua_error's longjmp skips no destructor.
    // SAFETY: the pointers come from `fill_scratch` and stay valid until the
    // next fill, which cannot happen while we push; the pushes stay within
    // the C function's guaranteed LUA_MINSTACK slots or check the stack.
    unsafe {
        match outcome {
            CallOutcome::Reply { ptr, len } => {
                let reply = std::slice::from_raw_parts(ptr, len);
                push_reply(l, reply);
                if raise && reply.first() == Some(&b'-') {
                    ffi::lua_error(l);
                }
            }
            CallOutcome::Error { ptr, len, counted } => {
                push_error_table(l, std::slice::from_raw_parts(ptr, len), counted);
                if raise {
                    ffi::lua_error(l);
                }
            }
            CallOutcome::Outside => {
                push_error_table(
                    l,
                    b"ERR redis.call/pcall can only be called inside a script invocation",
                    false,
                );
                ffi::lua_error(l);
            }
            CallOutcome::Panicked => {
                push_bytes(l, b"panic in redis.call");
                ffi::lua_error(l);
            }
        }
    }
    1
}

/// Pushes a Lua string.
///
/// # Safety
/// `l` is a running thread with a free stack slot.
#[allow(unsafe_code)]
unsafe fn push_bytes(l: *mut ffi::lua_State, s: &[u8]) {
    // SAFETY: `s` is a valid slice (its pointer is never null); Lua copies it.
    unsafe { ffi::lua_pushlstring_(l, s.as_ptr() as *const std::os::raw::c_char, s.len()) }
}

/// Sets `t[key] = <top value>` on the table just below the top, popping
/// the value (a raw set: the tables here are fresh, with no metatable).
///
/// # Safety
/// A table at -2 and a free stack slot.
#[allow(unsafe_code)]
unsafe fn set_field(l: *mut ffi::lua_State, key: &[u8]) {
    // SAFETY: per the contract: [t v] -> [t v k] -> [t k v] -> rawset.
    unsafe {
        push_bytes(l, key);
        ffi::lua_insert(l, -2);
        ffi::lua_rawset(l, -3);
    }
}

/// Pushes an error table `{err=text}`, plus
/// `ignore_error_stats_update=true` when `counted`.
///
/// # Safety
/// `l` is a running thread with 3 free stack slots.
#[allow(unsafe_code)]
unsafe fn push_error_table(l: *mut ffi::lua_State, text: &[u8], counted: bool) {
    // SAFETY: per the contract.
    unsafe {
        ffi::lua_createtable(l, 0, 2);
        push_bytes(l, text);
        set_field(l, b"err");
        if counted {
            ffi::lua_pushboolean(l, 1);
            set_field(l, b"ignore_error_stats_update");
        }
    }
}

/// Pushes a RESP array of strings as a Lua array (Redis `luaCreateArray`).
///
/// # Safety
/// `l` is a running thread with 2 free stack slots.
#[allow(unsafe_code)]
unsafe fn push_array(l: *mut ffi::lua_State, items: &[Bytes]) {
    // SAFETY: per the contract; indexes stay below i32::MAX (argv lengths
    // are far smaller).
    unsafe {
        ffi::lua_createtable(l, items.len().min(c_int::MAX as usize) as c_int, 0);
        for (j, it) in items.iter().enumerate() {
            push_bytes(l, it);
            ffi::lua_rawseti_(l, -2, (j + 1) as c_int);
        }
    }
}

/// `mkargs()` of the runner: KEYS and ARGV of the run in progress, as two
/// fresh arrays (empty outside a run).
#[allow(unsafe_code)]
unsafe extern "C-unwind" fn lua_run_args(l: *mut ffi::lua_State) -> c_int {
    let (keys, args) = crate::script::current_keys_args();
    // SAFETY: Lua calls this as a C function on thread `l` (LUA_MINSTACK
    // free slots); `keys` and `args` are plain pointers into the caller's
    // argv, which the run in progress keeps alive; nothing here owns a
    // value, so an error raised by Lua would skip no destructor.
    unsafe {
        push_array(l, std::slice::from_raw_parts(keys.0, keys.1));
        push_array(l, std::slice::from_raw_parts(args.0, args.1));
    }
    2
}

// ---- Redis protocol → Lua ----

/// Pushes one reply of the fake client (RESP2 or RESP3 bytes) as a Lua
/// value (Redis `redisProtocolToLuaType`):
/// integer → number; bulk → string; null bulk / null array → false;
/// status → `{ok=...}`; error → `{err="CODE msg",
/// ignore_error_stats_update=true}`; array → table; RESP3: null → nil,
/// boolean → boolean, double → `{double=d}`, map → `{map={...}}`, set →
/// `{set={k=true}}`, big number → `{big_number=s}`, verbatim →
/// `{verbatim_string={format=..., string=...}}`; attributes are skipped.
/// An empty reply pushes nil. A reply nested too deep for Lua's stack
/// raises `ERR reached lua stack limit`.
///
/// # Safety
/// `l` is the thread of a running C function with a free stack slot, and
/// no value with a destructor is live in the caller's frames up to the
/// catching `pcall` (this may raise).
#[allow(unsafe_code)]
unsafe fn push_reply(l: *mut ffi::lua_State, reply: &[u8]) {
    // SAFETY: per the contract.
    unsafe {
        let mut p = ReplyParser {
            buf: reply,
            pos: 0,
            base: ffi::lua_gettop(l),
        };
        p.push(l)
    }
}

struct ReplyParser<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The stack top before the reply's first value.
    base: c_int,
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

    /// Ensures `n` more stack slots or raises the stack-limit error.
    ///
    /// # Safety
    /// As [`push_reply`].
    #[allow(unsafe_code)]
    unsafe fn room(&self, l: *mut ffi::lua_State, n: c_int) {
        // SAFETY: as push_reply; lua_checkstack fails (returns 0) rather
        // than raising when Lua's C stack limit is reached; the error table
        // then replaces everything pushed so far, within the slots the
        // caller had.
        unsafe {
            if ffi::lua_checkstack(l, n) == 0 {
                ffi::lua_settop(l, self.base);
                push_error_table(l, b"ERR reached lua stack limit", false);
                ffi::lua_error(l);
            }
        }
    }

    /// Pushes `{field=<value>}` where the value is the top of the stack.
    ///
    /// # Safety
    /// A value on top and two free slots.
    #[allow(unsafe_code)]
    unsafe fn wrap(l: *mut ffi::lua_State, field: &[u8]) {
        // SAFETY: [v] -> [v t] -> [t v] -> set_field.
        unsafe {
            ffi::lua_createtable(l, 0, 1);
            ffi::lua_insert(l, -2);
            set_field(l, field);
        }
    }

    /// Pushes the next value (one slot on top of the stack).
    ///
    /// # Safety
    /// As [`push_reply`].
    #[allow(unsafe_code)]
    unsafe fn push(&mut self, l: *mut ffi::lua_State) {
        // SAFETY: as push_reply; every aggregate reserves its slots with
        // `room` first: the table itself, a key and a value, and the wrapper
        // table built around it.
        unsafe {
            let Some(&t) = self.buf.get(self.pos) else {
                ffi::lua_pushnil(l);
                return;
            };
            self.pos += 1;
            match t {
                b':' => ffi::lua_pushnumber(l, self.num() as f64),
                b'$' => {
                    let len = self.num();
                    if len < 0 {
                        ffi::lua_pushboolean(l, 0);
                    } else {
                        push_bytes(l, self.bulk(len));
                    }
                }
                b'+' => {
                    self.room(l, 3);
                    push_bytes(l, self.line());
                    Self::wrap(l, b"ok");
                }
                b'-' => {
                    self.room(l, 5);
                    let line = self.line();
                    let (code, body) = match line.iter().position(|&b| b == b' ') {
                        Some(i) => (&line[..i], &line[i + 1..]),
                        None => (&b"ERR"[..], line),
                    };
                    let body = trim_crlf(body);
                    ffi::lua_createtable(l, 0, 2);
                    push_bytes(l, code);
                    push_bytes(l, b" ");
                    push_bytes(l, body);
                    ffi::lua_concat(l, 3);
                    set_field(l, b"err");
                    ffi::lua_pushboolean(l, 1);
                    set_field(l, b"ignore_error_stats_update");
                }
                b'*' => {
                    let n = self.num();
                    if n < 0 {
                        ffi::lua_pushboolean(l, 0);
                    } else {
                        self.room(l, 3);
                        ffi::lua_createtable(l, n.min(c_int::MAX as i64) as c_int, 0);
                        for j in 0..n {
                            self.push(l);
                            ffi::lua_rawseti_(l, -2, (j + 1).min(c_int::MAX as i64) as c_int);
                        }
                    }
                }
                b'%' | b'~' => {
                    let n = self.num();
                    self.room(l, 5);
                    ffi::lua_createtable(l, 0, 0);
                    for _ in 0..n.max(0) {
                        self.push(l);
                        if t == b'%' {
                            self.push(l);
                        } else {
                            ffi::lua_pushboolean(l, 1);
                        }
                        if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                            ffi::lua_settop(l, -3);
                        } else {
                            ffi::lua_rawset(l, -3);
                        }
                    }
                    Self::wrap(l, if t == b'%' { b"map" } else { b"set" });
                }
                b'_' => {
                    self.line();
                    ffi::lua_pushnil(l);
                }
                b'#' => ffi::lua_pushboolean(l, (self.line() == b"t") as c_int),
                b',' => {
                    let d = std::str::from_utf8(self.line())
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .unwrap_or(0.0);
                    self.room(l, 3);
                    ffi::lua_pushnumber(l, d);
                    Self::wrap(l, b"double");
                }
                b'(' => {
                    self.room(l, 3);
                    push_bytes(l, self.line());
                    Self::wrap(l, b"big_number");
                }
                b'=' => {
                    let len = self.num();
                    self.room(l, 4);
                    let body = self.bulk(len);
                    let (fmt, s) = if body.len() >= 4 {
                        (&body[..3], &body[4..])
                    } else {
                        (body, &b""[..])
                    };
                    ffi::lua_createtable(l, 0, 2);
                    push_bytes(l, s);
                    set_field(l, b"string");
                    push_bytes(l, fmt);
                    set_field(l, b"format");
                    Self::wrap(l, b"verbatim_string");
                }
                b'|' => {
                    let n = self.num();
                    self.room(l, 2);
                    for _ in 0..n.max(0) {
                        self.push(l);
                        self.push(l);
                        ffi::lua_settop(l, -3);
                    }
                    self.push(l);
                }
                _ => {
                    self.line();
                    ffi::lua_pushnil(l);
                }
            }
        }
    }
}

/// `s` without leading and trailing CR/LF.
fn trim_crlf(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| b != b'\r' && b != b'\n')
        .map_or(start, |e| e + 1);
    &s[start..end]
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

    /// `reply` converted by [`push_reply`], as mlua reads the pushed value.
    #[allow(unsafe_code)]
    fn converted(lua: &Lua, reply: &'static [u8]) -> mlua::Result<Value> {
        // SAFETY: exec_raw runs the closure as a protected C function on a
        // thread with free slots; it captures only a `Copy` slice, so an
        // error raised by push_reply skips no destructor.
        unsafe { lua.exec_raw::<Value>((), |l| push_reply(l, reply)) }
    }

    #[test]
    fn replies_become_lua_values() -> mlua::Result<()> {
        let lua = Lua::new();
        let t = match converted(&lua, b"*4\r\n:7\r\n$2\r\nab\r\n$-1\r\n*0\r\n")? {
            Value::Table(t) => t,
            other => panic!("not a table: {:?}", other),
        };
        assert_eq!(t.raw_len(), 4);
        assert_eq!(t.raw_get::<f64>(1)?, 7.0);
        assert_eq!(t.raw_get::<String>(2)?, "ab");
        assert_eq!(t.raw_get::<Value>(3)?, Value::Boolean(false));
        assert_eq!(t.raw_get::<Table>(4)?.raw_len(), 0);
        // Status and errors become tables; an error without a code gets ERR.
        let ok: Table = lua.unpack(converted(&lua, b"+PONG\r\n")?)?;
        assert_eq!(ok.raw_get::<String>("ok")?, "PONG");
        let e: Table = lua.unpack(converted(&lua, b"-WRONGTYPE bad kind\r\n")?)?;
        assert_eq!(e.raw_get::<String>("err")?, "WRONGTYPE bad kind");
        assert!(e.raw_get::<bool>("ignore_error_stats_update")?);
        let e: Table = lua.unpack(converted(&lua, b"-NOCODE\r\n")?)?;
        assert_eq!(e.raw_get::<String>("err")?, "ERR NOCODE");
        // RESP3: a map drops a nil key; a set maps members to true.
        let m: Table = lua.unpack(converted(&lua, b"%2\r\n_\r\n:1\r\n+a\r\n:2\r\n")?)?;
        let inner: Table = m.raw_get("map")?;
        assert_eq!(inner.pairs::<Value, Value>().count(), 1);
        let k: Table = inner.pairs::<Table, f64>().next().unwrap()?.0;
        assert_eq!(k.raw_get::<String>("ok")?, "a");
        let st: Table = lua.unpack(converted(&lua, b"~1\r\n$1\r\nx\r\n")?)?;
        assert!(st.raw_get::<Table>("set")?.raw_get::<bool>("x")?);
        let d: Table = lua.unpack(converted(&lua, b",1.5\r\n")?)?;
        assert_eq!(d.raw_get::<f64>("double")?, 1.5);
        let v: Table = lua.unpack(converted(&lua, b"=7\r\ntxt:abc\r\n")?)?;
        let vs: Table = v.raw_get("verbatim_string")?;
        assert_eq!(vs.raw_get::<String>("format")?, "txt");
        assert_eq!(vs.raw_get::<String>("string")?, "abc");
        assert_eq!(converted(&lua, b"#t\r\n")?, Value::Boolean(true));
        assert_eq!(converted(&lua, b"")?, Value::Nil);
        Ok(())
    }

    #[test]
    fn too_deep_reply_raises() {
        let lua = Lua::new();
        let deep: &'static [u8] = Box::leak(
            [b"*1\r\n".repeat(20_000), b":1\r\n".to_vec()]
                .concat()
                .into_boxed_slice(),
        );
        let err = converted(&lua, deep).unwrap_err();
        assert!(matches!(err, mlua::Error::RuntimeError(_)), "{:?}", err);
        // The state is still usable.
        assert_eq!(converted(&lua, b":3\r\n").unwrap(), Value::Number(3.0));
    }

    #[test]
    fn crlf_trim() {
        assert_eq!(trim_crlf(b"\r\nab c\n\r"), b"ab c");
        assert_eq!(trim_crlf(b"\r\n"), b"");
        assert_eq!(trim_crlf(b"x"), b"x");
    }

    #[test]
    fn sha() {
        assert_eq!(sha1hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }
}
