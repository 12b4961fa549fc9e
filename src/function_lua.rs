//! The Lua engine of Functions (Redis `function_lua.c`): loading a library
//! and `redis.register_function`.
//!
//! # How it works
//! One Lua state serves every library (as in Redis; it is separate from
//! EVAL's). Its globals are arranged so that one switch decides what code
//! sees:
//!
//! ```text
//! G' (the globals every library chunk and function sees: empty, read-only)
//!   metatable M: __index = API, __newindex = "Attempt to modify a readonly table"
//!   API is one of
//!     LIBRARY_API  { redis = { register_function, log, LOG_*, REDIS_VERSION[_NUM] } }
//!     GLOBALS_API  the full scripting globals (redis.call, string, cjson, ...)
//! ```
//!
//! While a library's code runs (the *load run*, [`LuaEngine::create`]) `M.__index`
//! is LIBRARY_API, so the code can only register functions and log; after
//! it, GLOBALS_API, so the functions it registered see the whole scripting
//! API when FCALL runs them. Both API tables raise "Script attempted to
//! access nonexistent global variable 'x'" for a missing name (Redis's
//! error metatable), and writes to G', to the API tables or to M (which
//! `getmetatable(_G)` hands out only as a read-only view) raise "Attempt to
//! modify a readonly table", with the position of the offending line.
//!
//! Redis's Lua has read-only tables built into the VM; stock Lua 5.1 does
//! not, so read-only tables here are empty proxies whose `__index` reads
//! through and whose `__newindex` raises, registered with the scripting
//! sandbox (`LuaState::mark_readonly`) so that its `rawset` and
//! `setmetatable` refuse them too and `rawget`/`next`/`pairs` see the real
//! table. G' itself is never reachable from Lua code: `_G` names the
//! scripting environment.
//!
//! The load run compiles the code as chunk `@user_function` (so errors read
//! "user_function:2: ..."; the code still starts with the newline ending
//! the `#!` line, so line numbers match the payload's) in text mode only,
//! and runs it under a count hook (every 100,000 instructions) that raises
//! "FUNCTION LOAD timeout" once the run exceeds its time budget (500 ms for
//! FUNCTION LOAD, none when loading from disk), as Redis's
//! `luaEngineLoadHook` does. `redis.register_function` outside a load run
//! fails with "redis.register_function can only be called on FUNCTION LOAD
//! command".

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use mlua::chunk::ChunkMode;
use mlua::{Function, HookTriggers, Lua, MultiValue, Table, Value, VmState};

use crate::script_lua::{LuaState, PRELUDE_CHUNK};

/// The engine's name, as FUNCTION LIST and FUNCTION STATS show it (Redis
/// `LUA_ENGINE_NAME`; `#!lua` matches it case-insensitively).
pub const LUA_ENGINE_NAME: &str = "LUA";

/// One function registered by a load run.
pub struct RegisteredFunction {
    /// Its name (validated: letters, digits, underscores).
    pub name: Vec<u8>,
    /// The `description` named argument, if given.
    pub desc: Option<Vec<u8>>,
    /// Script flags (`crate::script::SCRIPT_FLAG_*` bits).
    pub flags: u64,
    /// The Lua function FCALL runs.
    pub callback: Function,
}

/// What the current load run has registered, and its time budget.
struct LoadCtx {
    functions: Vec<RegisteredFunction>,
    start: Instant,
    /// Milliseconds; 0 for no limit.
    timeout_ms: u64,
}

type SharedLoadCtx = Rc<RefCell<Option<LoadCtx>>>;

/// The Lua engine: the functions' Lua state and its global arrangement
/// (see the module docs).
pub struct LuaEngine {
    /// The sandboxed state (`script_lua::new_lua_state`), whose
    /// environment is GLOBALS_API.
    ls: Rc<LuaState>,
    lua: Lua,
    /// The metatable M of the globals G'.
    globals_mt: Table,
    /// The globals G' every library sees.
    globals: Table,
    /// What G' reads through to during a load run (`redis` with
    /// register_function, log and the version fields).
    library_api: Table,
    /// What G' reads through to otherwise: the scripting environment.
    globals_api: Table,
    /// `function(f) return xpcall(f, identity) end`: the load run's
    /// protected call, keeping the error value as raised.
    pcall: Function,
    /// The load run in progress, shared with `redis.register_function`.
    load_ctx: SharedLoadCtx,
}

/// Lua helpers made once per engine: the read-only proxy constructors of
/// the module docs and the load run's protected call. They run as the
/// scripting prelude's chunk, so error positions skip their frames.
const HELPERS: &str = r#"
local mark = ...
local error, setmetatable, tostring, type, xpcall = error, setmetatable, tostring, type, xpcall
local function ro_error()
  error('Attempt to modify a readonly table', 2)
end
local function missing(k)
  local t = type(k)
  if t ~= 'string' and t ~= 'number' then
    error('Second argument to luaProtectedTableError must be a string or number', 3)
  end
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
-- A read-only view of t whose missing keys raise the global-variable error.
local function protected(t)
  local p = {}
  setmetatable(p, {
    __index = function(_, k)
      local v = t[k]
      if v == nil then missing(k) end
      return v
    end,
    __newindex = ro_error,
  })
  mark(p, t)
  return p
end
-- A read-only view of t (missing keys read as nil).
local function readonly(t)
  local p = {}
  setmetatable(p, { __index = t, __newindex = ro_error })
  mark(p, t)
  return p
end
-- The globals G' and their metatable M, reading through to api.
local function make_globals(api)
  local g, m = {}, { __index = api, __newindex = ro_error }
  m.__metatable = readonly(m)
  setmetatable(g, m)
  mark(g, {})
  return g, m
end
local function identity(e) return e end
local function run(f)
  return xpcall(f, identity)
end
return protected, make_globals, run
"#;

/// Wraps a Rust callback that returns an error table (or anything else for
/// success) into a Lua function that raises the table, so the error
/// reaches Lua code as Redis's table rather than as a Rust error.
fn raising(lua: &Lua, base: &Table, f: Function) -> mlua::Result<Function> {
    lua.load(
        r#"local f, error = ...
return function(...)
  local e, tag = f(...)
  if tag == 'raise' then error(e) end
end"#,
    )
    .set_name(PRELUDE_CHUNK)
    .call::<Function>((f, base.raw_get::<Function>("error")?))
}

/// Function and library names: one or more of `[A-Za-z0-9_]` (Redis
/// `functionsVerifyName`).
pub fn functions_verify_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The text of a Lua value as `lua_tolstring` gives it for strings and
/// numbers (`lua_isstring`); None for other types.
fn lua_string_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(i) => Some(crate::script_lua::format_number(*i as f64)),
        Value::Number(n) => Some(crate::script_lua::format_number(*n)),
        _ => None,
    }
}

/// Reads the `flags` table of the named form (Redis
/// `luaRegisterFunctionReadFlags`): entries 1, 2, ... until nil, each a
/// known flag name (case-insensitive). None on anything else.
fn read_flags(t: &Table) -> Option<u64> {
    let mut flags = 0u64;
    let mut j = 1i64;
    loop {
        let v: Value = t.get(j).ok()?;
        j += 1;
        if v.is_nil() {
            return Some(flags);
        }
        let s = lua_string_bytes(&v)?;
        flags |= crate::function::script_flag_by_name(&s)?;
    }
}

/// The arguments of one `redis.register_function` call, read and checked
/// as Redis's `luaRegisterFunctionReadArgs` does; Err is the error text.
fn read_register_args(args: &MultiValue) -> Result<RegisteredFunction, &'static str> {
    let argc = args.len();
    if !(1..=2).contains(&argc) {
        return Err("wrong number of arguments to redis.register_function");
    }
    if argc == 2 {
        let name = lua_string_bytes(&args[0])
            .ok_or("first argument to redis.register_function must be a string")?;
        let Value::Function(callback) = &args[1] else {
            return Err("second argument to redis.register_function must be a function");
        };
        return Ok(RegisteredFunction {
            name,
            desc: None,
            flags: 0,
            callback: callback.clone(),
        });
    }
    let Value::Table(t) = &args[0] else {
        return Err(
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        );
    };
    let (mut name, mut desc, mut callback, mut flags) = (None, None, None, 0u64);
    for pair in t.pairs::<Value, Value>() {
        let Ok((k, v)) = pair else {
            return Err("named argument key given to redis.register_function is not a string");
        };
        let key = lua_string_bytes(&k)
            .ok_or("named argument key given to redis.register_function is not a string")?;
        if key.eq_ignore_ascii_case(b"function_name") {
            name = Some(lua_string_bytes(&v).ok_or(
                "function_name argument given to redis.register_function must be a string",
            )?);
        } else if key.eq_ignore_ascii_case(b"description") {
            desc =
                Some(lua_string_bytes(&v).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?);
        } else if key.eq_ignore_ascii_case(b"callback") {
            let Value::Function(f) = v else {
                return Err(
                    "callback argument given to redis.register_function must be a function",
                );
            };
            callback = Some(f);
        } else if key.eq_ignore_ascii_case(b"flags") {
            let Value::Table(ft) = v else {
                return Err(
                    "flags argument to redis.register_function must be a table representing function flags",
                );
            };
            flags = read_flags(&ft).ok_or("unknown flag given")?;
        } else {
            return Err("unknown argument given to redis.register_function");
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok(RegisteredFunction {
        name,
        desc,
        flags,
        callback,
    })
}

/// `redis.log(level, ...)` for the load run: the scripting API's
/// `script_lua::lua_log`, its error table raised by the [`raising`] wrapper.
fn redis_log(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    Ok(match crate::script_lua::lua_log(lua, args)? {
        Some(t) => MultiValue::from_vec(vec![
            Value::Table(t),
            Value::String(lua.create_string("raise")?),
        ]),
        None => MultiValue::new(),
    })
}

impl LuaEngine {
    /// A new engine (Redis `luaEngineInitEngine`): a Lua state with the
    /// scripting globals, the library API, and the globals G' in place.
    pub fn new() -> mlua::Result<LuaEngine> {
        let ls = Rc::new(crate::script_lua::new_lua_state()?);
        let lua = ls.lua.clone();
        let base = ls.globals.clone();
        let (protected, make_globals, pcall): (Function, Function, Function) = lua
            .load(HELPERS)
            .set_name(PRELUDE_CHUNK)
            .set_environment(ls.env.clone())
            .call(ls.mark_readonly.clone())?;

        // LIBRARY_API: only `redis`, with register_function, log and the
        // version fields.
        let load_ctx: SharedLoadCtx = Rc::new(RefCell::new(None));
        let lib_redis = lua.create_table()?;
        let ctx = load_ctx.clone();
        let register = lua.create_function(move |lua, args: MultiValue| {
            let raise = |msg: &str| -> mlua::Result<MultiValue> {
                Ok(MultiValue::from_vec(vec![
                    Value::Table(crate::script_lua::error_table(lua, msg)?),
                    Value::String(lua.create_string("raise")?),
                ]))
            };
            let mut guard = ctx.borrow_mut();
            let Some(load) = guard.as_mut() else {
                return raise("redis.register_function can only be called on FUNCTION LOAD command");
            };
            let f = match read_register_args(&args) {
                Ok(f) => f,
                Err(e) => return raise(e),
            };
            // Redis `functionLibCreateFunction`: its name check reuses the
            // library-name message.
            if !functions_verify_name(&f.name) {
                return raise(
                    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
                );
            }
            if load.functions.iter().any(|g| g.name == f.name) {
                return raise("Function already exists in the library");
            }
            load.functions.push(f);
            Ok(MultiValue::new())
        })?;
        lib_redis.raw_set("register_function", raising(&lua, &base, register)?)?;
        lib_redis.raw_set(
            "log",
            raising(&lua, &base, lua.create_function(redis_log)?)?,
        )?;
        for (name, v) in [
            ("LOG_DEBUG", crate::script_lua::LL_DEBUG),
            ("LOG_VERBOSE", crate::script_lua::LL_VERBOSE),
            ("LOG_NOTICE", crate::script_lua::LL_NOTICE),
            ("LOG_WARNING", crate::script_lua::LL_WARNING),
        ] {
            lib_redis.raw_set(name, v)?;
        }
        lib_redis.raw_set("REDIS_VERSION", crate::script_lua::REDIS_VERSION)?;
        lib_redis.raw_set("REDIS_VERSION_NUM", crate::script_lua::REDIS_VERSION_NUM)?;
        let lib_api = lua.create_table()?;
        lib_api.raw_set("redis", protected.call::<Table>(lib_redis)?)?;
        let library_api: Table = protected.call(lib_api)?;

        // GLOBALS_API: the scripting environment (read-only, missing names
        // raise).
        let globals_api = ls.env.clone();
        let (globals, globals_mt): (Table, Table) = make_globals.call(globals_api.clone())?;
        lua.set_globals(globals.clone())?;
        Ok(LuaEngine {
            ls,
            lua,
            globals_mt,
            globals,
            library_api,
            globals_api,
            pcall,
            load_ctx,
        })
    }

    /// Compiles and runs a library's code (the part of the payload from
    /// the newline after its `#!` line) and returns the functions it
    /// registered (Redis `luaEngineCreate`). `timeout_ms` 0 means no time
    /// limit. Err is the error text without "ERR ": "Error compiling
    /// function: ...", "Error registering functions: ...".
    ///
    /// # Latency
    /// Runs user code, bounded by `timeout_ms` when it is not 0.
    pub fn create(
        &mut self,
        code: &[u8],
        timeout_ms: u64,
    ) -> Result<Vec<RegisteredFunction>, String> {
        let chunk = self
            .lua
            .load(code)
            .set_name("@user_function")
            .set_mode(ChunkMode::Text)
            .set_environment(self.globals.clone())
            .into_function();
        let chunk = match chunk {
            Ok(f) => f,
            Err(e) => return Err(format!("Error compiling function: {}", error_text(&e))),
        };
        *self.load_ctx.borrow_mut() = Some(LoadCtx {
            functions: Vec::new(),
            start: Instant::now(),
            timeout_ms,
        });
        let _ = self.globals_mt.raw_set("__index", self.library_api.clone());
        let ctx = self.load_ctx.clone();
        let hook = self.lua.set_hook(
            HookTriggers::new().every_nth_instruction(100_000),
            move |_, _| {
                let guard = ctx.borrow();
                if let Some(l) = guard.as_ref()
                    && l.timeout_ms > 0
                    && l.start.elapsed().as_millis() as u64 > l.timeout_ms
                {
                    return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                }
                Ok(VmState::Continue)
            },
        );
        let res = if hook.is_err() {
            Err("Error registering functions: ERR failed to set the load hook".to_string())
        } else {
            match self.pcall.call::<(bool, Value)>(chunk) {
                Ok((true, _)) => Ok(()),
                Ok((false, err)) => Err(format!(
                    "Error registering functions: {}",
                    error_value_text(&err)
                )),
                Err(e) => Err(format!(
                    "Error registering functions: ERR {}",
                    error_text(&e)
                )),
            }
        };
        // Back to the scripting state's own busy hook.
        if let Err(e) = crate::script_lua::install_busy_hook(&self.lua, &self.ls.slots) {
            tracing::warn!("Failed to reinstall the Lua busy hook: {}", e);
        }
        let _ = self.globals_mt.raw_set("__index", self.globals_api.clone());
        let load = self.load_ctx.borrow_mut().take();
        res?;
        Ok(load.map(|l| l.functions).unwrap_or_default())
    }

    /// The sandboxed state FCALL runs the registered functions in.
    pub fn lua_state(&self) -> &Rc<LuaState> {
        &self.ls
    }

    /// Bytes the Lua state uses, as Redis's `luaMemory` reports it (whole
    /// kilobytes: `lua_gc(LUA_GCCOUNT) * 1024`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory() / 1024 * 1024
    }
}

/// The message of an error raised in Lua and caught by `pcall` (Redis
/// `luaExtractErrorInformation`): a table's `err` field, or "ERR " and
/// the text of a string error.
fn error_value_text(v: &Value) -> String {
    match v {
        Value::Table(t) => match t.raw_get::<Value>("err") {
            Ok(e) => lua_string_bytes(&e)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            Err(_) => String::new(),
        },
        Value::Error(e) => format!("ERR {}", error_text(e)),
        other => match lua_string_bytes(other) {
            Some(b) => format!("ERR {}", String::from_utf8_lossy(&b)),
            None => "ERR execution failure".into(),
        },
    }
}

/// The message inside an mlua error: the Lua text of runtime and syntax
/// errors, the cause of a callback error.
pub fn error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::RuntimeError(s) => s.clone(),
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::MemoryError(s) => s.clone(),
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        other => other.to_string(),
    }
}
