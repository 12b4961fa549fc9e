//! Functions (Redis `functions.c`): libraries, FUNCTION and FCALL.
//!
//! # Model
//! A *library* is a payload `#!<engine> name=<name> [...]\n<code>`; loading
//! it runs the code once (the load run, see `function_lua.rs`), and every
//! `redis.register_function` call in that run adds a *function* (name,
//! optional description, script flags, Lua callback) to the library. The
//! library's functions exist only together: a load that fails registers
//! nothing, and deleting the library removes all of them.
//!
//! The registry ([`FunctionsLibCtx`], Redis `functionsLibCtx`) keeps the
//! libraries by name (case-sensitive) and an index of every function by
//! name, case-insensitive (so FCALL finds `TEST` as `test`, and two
//! libraries cannot hold functions whose names differ only in case).
//! FUNCTION RESTORE loads a payload into a scratch registry first and then
//! joins it into the current one (Redis `libraryJoin`): on a name clash it
//! aborts (APPEND), or replaces the clashing libraries (REPLACE) and puts
//! them back if a function name still clashes, so a failed restore leaves
//! everything as it was. Libraries are listed in name order (Redis's order
//! is its hash table's, which is arbitrary).
//!
//! # FCALL
//! FCALL and FCALL_RO find the function (case-insensitive), check numkeys
//! with Redis's texts, and run the callback as `f(KEYS, ARGV)` through the
//! scripting run context (`script::run_script` in `RunMode::Function`),
//! which checks the function's flags (`no-writes` under FCALL_RO, ...),
//! runs its `redis.call`s through the fake client, propagates their
//! effects wrapped in MULTI/EXEC (never the FCALL), handles the busy
//! state and FUNCTION KILL, and converts the result. The functions' Lua
//! state is the engine's own (`function_lua.rs`), separate from EVAL's.
//! While a function runs timed out, [`FunctionsState::running_command`]
//! holds the FCALL's arguments for FUNCTION STATS (the caller is out of the
//! client table then; before the busy threshold no other client runs).
//!
//! # Persistence and propagation
//! FUNCTION LOAD, DELETE, FLUSH and RESTORE add one to `dirty`, so they
//! are propagated verbatim to the AOF as Redis does. An RDB file holds
//! each library's payload in a FUNCTION2 record (`rdb.rs`; the loaders
//! call [`functions_create_from_rdb`]); an AOF rewrite emits one FUNCTION
//! LOAD per library before the data ([`rewrite_functions`]). FUNCTION DUMP
//! is the FUNCTION2 records followed by the RDB version (2 bytes LE) and
//! the CRC-64 of everything before (8 bytes LE), as a DUMP payload, so
//! dumps move between this server and Redis in both directions.
//!
//! # Memory fields
//! INFO's `used_memory_functions` is Redis's `functionsMemoryOverhead`,
//! computed from the sizes Redis's structures have under jemalloc (dict
//! entries, sds strings, the per-function and per-library structs), so it
//! matches Redis's number for the same libraries, including the quirk
//! that FUNCTION RESTORE zeroes the library part of the count
//! (`functionsLibCtxClear` clears the current context's counter).
//! `used_memory_vm_functions` is the functions' Lua state's memory.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use mlua::Function;

use crate::commands::Handler;
use crate::function_lua::{LUA_ENGINE_NAME, LuaEngine, functions_verify_name};
use crate::networking::Client;
use crate::script::RunMode;
use crate::server::Server;

/// How long FUNCTION LOAD's load run may take, ms (Redis `LOAD_TIMEOUT_MS`).
pub const LOAD_TIMEOUT_MS: u64 = 500;

/// The flags a function may declare, in FUNCTION LIST order.
pub use crate::script::SCRIPT_FLAGS_DEF;

/// The flag bit of a flag name, case-insensitive as
/// `redis.register_function` compares (EVAL shebangs compare exactly).
pub fn script_flag_by_name(name: &[u8]) -> Option<u64> {
    SCRIPT_FLAGS_DEF
        .iter()
        .find(|(s, _)| s.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, f)| f)
}

/// One function of a library (Redis `functionInfo`).
pub struct FunctionInfo {
    /// Its name as registered.
    pub name: Vec<u8>,
    /// The name as text, as error replies and FUNCTION STATS show it
    /// (shared: FCALL hands it to every run).
    pub funcname: std::rc::Rc<str>,
    /// The description given at registration, if any.
    pub desc: Option<Vec<u8>>,
    /// Script flags (`script::SCRIPT_FLAG_*` bits).
    pub flags: u64,
    /// The Lua function FCALL runs (shared: FCALL holds it while the
    /// server is lent to the run).
    pub callback: std::rc::Rc<Function>,
}

/// A library (Redis `functionLibInfo`): its name, its payload (with the
/// `#!` line) and its functions by name.
pub struct FunctionLibInfo {
    /// The library name from `name=`.
    pub name: Vec<u8>,
    /// The whole payload as loaded.
    pub code: Vec<u8>,
    /// Its functions, by exact name.
    pub functions: BTreeMap<Vec<u8>, FunctionInfo>,
}

/// A set of libraries (Redis `functionsLibCtx`): the current one lives in
/// [`FunctionsState`]; FUNCTION RESTORE and loads build scratch ones.
#[derive(Default)]
pub struct FunctionsLibCtx {
    /// Libraries by name.
    pub libraries: BTreeMap<Vec<u8>, FunctionLibInfo>,
    /// Every function's lowercased name → (library name, function name).
    functions: HashMap<Vec<u8>, (Vec<u8>, Vec<u8>)>,
    /// Redis's per-engine `n_lib` / `n_functions` counters.
    n_lib: usize,
    n_functions: usize,
    /// Redis's `cache_memory` (wrapping as Redis's `size_t` does).
    cache_memory: usize,
    /// Buckets of Redis's function dict (`dictSlots`), for the overhead.
    function_slots: usize,
}

/// Redis `functionMallocSize`: the struct (5 words), its name and
/// description, and the Lua engine's function handle (an int).
fn function_malloc_size(fi: &FunctionInfo) -> usize {
    crate::util::zmalloc_size(40)
        + crate::util::sds_zmalloc_size(fi.name.len())
        + fi.desc
            .as_ref()
            .map_or(0, |d| crate::util::sds_zmalloc_size(d.len()))
        + crate::util::zmalloc_size(4)
}

/// Redis `libraryMallocSize`: the struct (4 words), its name and code.
fn library_malloc_size(li: &FunctionLibInfo) -> usize {
    crate::util::zmalloc_size(32)
        + crate::util::sds_zmalloc_size(li.name.len())
        + crate::util::sds_zmalloc_size(li.code.len())
}

/// What registering the engine costs (Redis `engine_cache_memory`: the
/// engine info, its name, the engine struct and the Lua engine context).
const ENGINE_CACHE_MEMORY: usize = 32 + 8 + 64 + 8;

impl FunctionsLibCtx {
    /// Number of functions (Redis `functionsNum` on this context).
    pub fn functions_len(&self) -> usize {
        self.functions.len()
    }

    /// The library and function FCALL runs for `name` (case-insensitive).
    pub fn find_function(&self, name: &[u8]) -> Option<&FunctionInfo> {
        // Lowercased on the stack: FCALL looks a function up on every call.
        let mut buf = [0u8; 64];
        let found = match buf.get_mut(..name.len()) {
            Some(b) => {
                b.copy_from_slice(name);
                b.make_ascii_lowercase();
                self.functions.get(&b[..])
            }
            None => self.functions.get(&name.to_ascii_lowercase()),
        };
        let (lib, f) = found?;
        self.libraries.get(lib)?.functions.get(f)
    }

    /// Adds `li` and indexes its functions (Redis `libraryLink`).
    fn link(&mut self, li: FunctionLibInfo) {
        for fi in li.functions.values() {
            let key = fi.name.to_ascii_lowercase();
            if !self.functions.contains_key(&key) {
                if self.functions.len() >= self.function_slots {
                    self.function_slots = (self.functions.len() + 1).next_power_of_two().max(4);
                }
                self.functions
                    .insert(key, (li.name.clone(), fi.name.clone()));
            }
            self.cache_memory = self.cache_memory.wrapping_add(function_malloc_size(fi));
        }
        self.cache_memory = self.cache_memory.wrapping_add(library_malloc_size(&li));
        self.n_lib += 1;
        self.n_functions += li.functions.len();
        self.libraries.insert(li.name.clone(), li);
    }

    /// Removes library `name` and its functions (Redis `libraryUnlink`).
    fn unlink(&mut self, name: &[u8]) -> Option<FunctionLibInfo> {
        let li = self.libraries.remove(name)?;
        for fi in li.functions.values() {
            self.functions.remove(&fi.name.to_ascii_lowercase());
            self.cache_memory = self.cache_memory.wrapping_sub(function_malloc_size(fi));
        }
        self.cache_memory = self.cache_memory.wrapping_sub(library_malloc_size(&li));
        self.n_lib = self.n_lib.saturating_sub(1);
        self.n_functions = self.n_functions.saturating_sub(li.functions.len());
        Some(li)
    }

    /// Empties the context (Redis `functionsLibCtxClear`).
    fn clear(&mut self) {
        *self = FunctionsLibCtx::default();
    }
}

/// The functions of the server (`Server.functions`): the current
/// libraries and the Lua engine that runs them.
pub struct FunctionsState {
    /// The current libraries.
    pub lib_ctx: FunctionsLibCtx,
    /// The Lua engine (None only if Lua could not start, which leaves
    /// every load failing with "Engine '...' not found").
    pub engine: Option<LuaEngine>,
    /// The command line of the FCALL running now, set once the run is
    /// timed out (FUNCTION STATS shows it; the caller is out of the client
    /// table during the run, and no other client runs before that).
    pub running_command: Option<Vec<Bytes>>,
}

impl Default for FunctionsState {
    fn default() -> Self {
        let engine = match LuaEngine::new() {
            Ok(e) => Some(e),
            Err(e) => {
                tracing::warn!("Failed initializing the Lua functions engine: {}", e);
                None
            }
        };
        FunctionsState {
            lib_ctx: FunctionsLibCtx::default(),
            engine,
            running_command: None,
        }
    }
}

/// The parsed `#!` line of a payload (Redis `functionsLibMataData`).
pub struct LibMetaData {
    /// The engine name after `#!` (may be empty).
    pub engine: Vec<u8>,
    /// The value of `name=`.
    pub name: Vec<u8>,
    /// The payload from the newline that ends the `#!` line.
    pub code: Vec<u8>,
}

/// Parses a payload's `#!<engine> name=<name>` line (Redis
/// `functionExtractLibMetaData`): the line is split as `sdssplitargs`
/// does (quotes allowed); errors are Redis's texts ("Missing library
/// metadata", "Invalid library metadata", "Invalid metadata value given:
/// X", "Invalid metadata value, name argument was given multiple times",
/// "Library name was not given").
pub fn function_extract_lib_meta_data(payload: &[u8]) -> Result<LibMetaData, String> {
    if !payload.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(nl) = memchr::memchr(b'\n', payload) else {
        return Err("Invalid library metadata".into());
    };
    // Redis works on C strings: a NUL ends the shebang early.
    let shebang = &payload[..nl];
    let shebang = &shebang[..memchr::memchr(0, shebang).unwrap_or(shebang.len())];
    let parts = match crate::util::split_args(shebang) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    Ok(LibMetaData {
        engine,
        name,
        code: payload[nl..].to_vec(),
    })
}

/// Error text of an invalid library or function name.
const ERR_BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Creates the library of `code` in `ctx` (Redis
/// `functionsCreateWithLibraryCtx`): parses the `#!` line, checks the
/// name and engine, runs the load run, and links the library, replacing a
/// library of the same name when `replace`. Returns the library name;
/// Err is Redis's text ("Library 'x' already exists", "No functions
/// registered", "Function f already exists", the engine's errors, ...).
/// On error `ctx` is unchanged.
pub fn functions_create_with_library_ctx(
    engine: Option<&mut LuaEngine>,
    code: &[u8],
    replace: bool,
    ctx: &mut FunctionsLibCtx,
    timeout_ms: u64,
) -> Result<Vec<u8>, String> {
    let md = function_extract_lib_meta_data(code)?;
    if !functions_verify_name(&md.name) {
        return Err(ERR_BAD_NAME.into());
    }
    let engine = match engine {
        Some(e) if md.engine.eq_ignore_ascii_case(LUA_ENGINE_NAME.as_bytes()) => e,
        _ => {
            return Err(format!(
                "Engine '{}' not found",
                String::from_utf8_lossy(&md.engine)
            ));
        }
    };
    if ctx.libraries.contains_key(&md.name) && !replace {
        return Err(format!(
            "Library '{}' already exists",
            String::from_utf8_lossy(&md.name)
        ));
    }
    let old = ctx.unlink(&md.name);
    let relink = |ctx: &mut FunctionsLibCtx, old: Option<FunctionLibInfo>| {
        if let Some(o) = old {
            ctx.link(o);
        }
    };
    let registered = match engine.create(&md.code, timeout_ms) {
        Ok(r) => r,
        Err(e) => {
            relink(ctx, old);
            return Err(e);
        }
    };
    if registered.is_empty() {
        relink(ctx, old);
        return Err("No functions registered".into());
    }
    if let Some(f) = registered
        .iter()
        .find(|f| ctx.functions.contains_key(&f.name.to_ascii_lowercase()))
    {
        let msg = format!(
            "Function {} already exists",
            String::from_utf8_lossy(&f.name)
        );
        relink(ctx, old);
        return Err(msg);
    }
    let li = FunctionLibInfo {
        name: md.name.clone(),
        code: code.to_vec(),
        functions: registered
            .into_iter()
            .map(|f| {
                (
                    f.name.clone(),
                    FunctionInfo {
                        funcname: String::from_utf8_lossy(&f.name).into(),
                        name: f.name,
                        desc: f.desc,
                        flags: f.flags,
                        callback: std::rc::Rc::new(f.callback),
                    },
                )
            })
            .collect(),
    };
    ctx.link(li);
    Ok(md.name)
}

/// Moves every library of `src` into `dst` (Redis `libraryJoin`): a
/// library name present in both fails with "Library x already exists"
/// unless `replace`, which swaps the old one out; a function name present
/// in both then fails with "Function x already exists" and puts the
/// replaced libraries back. On error `dst` is as before.
fn library_join(
    dst: &mut FunctionsLibCtx,
    src: FunctionsLibCtx,
    replace: bool,
) -> Result<(), String> {
    let mut old = Vec::new();
    let mut err = None;
    for name in src.libraries.keys() {
        if dst.libraries.contains_key(name) {
            if !replace {
                err = Some(format!(
                    "Library {} already exists",
                    String::from_utf8_lossy(name)
                ));
                break;
            }
            if let Some(li) = dst.unlink(name) {
                old.push(li);
            }
        }
    }
    if err.is_none()
        && let Some((_, (_, f))) = src
            .functions
            .iter()
            .find(|(k, _)| dst.functions.contains_key(*k))
    {
        err = Some(format!(
            "Function {} already exists",
            String::from_utf8_lossy(f)
        ));
    }
    if let Some(e) = err {
        for li in old {
            dst.link(li);
        }
        return Err(e);
    }
    for (_, li) in src.libraries {
        dst.link(li);
    }
    Ok(())
}

/// The code of every current library, in listing order (what
/// `rdbSaveFunctions` and the AOF rewrite write).
pub fn functions_lib_codes(srv: &Server) -> Vec<Vec<u8>> {
    srv.functions
        .lib_ctx
        .libraries
        .values()
        .map(|li| li.code.clone())
        .collect()
}

/// Creates the libraries an RDB load found (Redis's FUNCTION2 branch of
/// `rdbLoadRio`, run after the keys here): no time limit; with
/// `allow_dup` (DEBUG RELOAD MERGE, Redis `RDBFLAGS_ALLOW_DUP`) a library
/// of the same name is replaced. Err is Redis's text, which the caller
/// logs as "Failed loading library, %s".
pub fn functions_create_from_rdb(
    srv: &mut Server,
    payloads: &[Vec<u8>],
    allow_dup: bool,
) -> Result<(), String> {
    let fs = &mut srv.functions;
    for p in payloads {
        functions_create_with_library_ctx(fs.engine.as_mut(), p, allow_dup, &mut fs.lib_ctx, 0)?;
    }
    Ok(())
}

/// Removes every library (Redis `functionsLibCtxClearCurrent`; the Lua
/// functions are released with their handles either way, so ASYNC and
/// SYNC differ only in name here).
pub fn functions_lib_ctx_clear_current(srv: &mut Server) {
    srv.functions.lib_ctx.clear();
}

/// Writes one FUNCTION LOAD per library, as the first commands of an AOF
/// rewrite without RDB preamble (Redis `rewriteFunctions`).
pub fn rewrite_functions<W: std::io::Write>(w: &mut W, codes: &[Vec<u8>]) -> std::io::Result<()> {
    for code in codes {
        w.write_all(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n")?;
        w.write_all(format!("${}\r\n", code.len()).as_bytes())?;
        w.write_all(code)?;
        w.write_all(b"\r\n")?;
    }
    Ok(())
}

/// Redis `functionsMemoryOverhead`: the engines dict (one entry, four
/// buckets), the functions dict, the context struct, the per-library and
/// per-function structures, and the engine's own structures.
pub fn functions_memory_overhead(srv: &Server) -> i64 {
    let ctx = &srv.functions.lib_ctx;
    let engines = 24 + 4 * 8;
    let dict = ctx.functions.len() * 24 + ctx.function_slots * 8 + 32;
    (engines + dict)
        .wrapping_add(ctx.cache_memory)
        .wrapping_add(ENGINE_CACHE_MEMORY) as i64
}

/// Bytes the functions' Lua state uses (Redis `functionsMemory`).
pub fn functions_memory(srv: &Server) -> u64 {
    srv.functions
        .engine
        .as_ref()
        .map_or(0, |e| e.used_memory() as u64)
}

/// INFO memory's function fields, from `number_of_functions` to
/// `used_memory_scripts_human`, given EVAL's Lua memory (`eval_vm`) and
/// script cache overhead (`eval_caches`) for the totals.
pub fn info_memory_fields(srv: &Server, eval_vm: u64, eval_caches: i64) -> String {
    let vm = functions_memory(srv);
    let caches = functions_memory_overhead(srv);
    let scripts = eval_caches.wrapping_add(caches);
    format!(
        "number_of_functions:{}\r\nnumber_of_libraries:{}\r\nused_memory_vm_functions:{}\r\nused_memory_vm_total:{}\r\nused_memory_vm_total_human:{}\r\nused_memory_functions:{}\r\nused_memory_scripts:{}\r\nused_memory_scripts_human:{}\r\n",
        srv.functions.lib_ctx.functions.len(),
        srv.functions.lib_ctx.libraries.len(),
        vm,
        vm + eval_vm,
        crate::info::bytes_to_human(vm + eval_vm),
        caches,
        scripts,
        crate::info::bytes_to_human(scripts.max(0) as u64),
    )
}

// ---- Commands ----

/// FUNCTION LOAD [REPLACE] code → the library name (Redis
/// `functionLoadCommand`). Errors: "Unknown option given: X", "Function
/// code is missing", and those of [`functions_create_with_library_ctx`].
/// The load run has [`LOAD_TIMEOUT_MS`], none for the AOF client.
fn function_load_command(srv: &mut Server, c: &mut Client) {
    let mut replace = false;
    let mut pos = 2;
    while pos < c.argv.len() - 1 {
        let a = &c.argv[pos];
        pos += 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        c.add_reply_error_arg("ERR Unknown option given: ", &a.clone(), "");
        return;
    }
    if pos >= c.argv.len() {
        c.add_reply_error("ERR Function code is missing");
        return;
    }
    let code = c.argv[pos].clone();
    let timeout = if c.id == crate::aof::load::CLIENT_ID_AOF {
        0
    } else {
        LOAD_TIMEOUT_MS
    };
    let fs = &mut srv.functions;
    match functions_create_with_library_ctx(
        fs.engine.as_mut(),
        &code,
        replace,
        &mut fs.lib_ctx,
        timeout,
    ) {
        Ok(name) => {
            srv.dirty += 1;
            c.add_reply_bulk(&name);
        }
        Err(e) => c.add_reply_error(&format!("ERR {}", e)),
    }
}

/// FUNCTION DELETE library-name → OK, or "ERR Library not found".
fn function_delete_command(srv: &mut Server, c: &mut Client) {
    if srv.functions.lib_ctx.unlink(&c.argv[2]).is_none() {
        c.add_reply_error("ERR Library not found");
        return;
    }
    srv.dirty += 1;
    c.add_reply_ok();
}

/// FUNCTION FLUSH [ASYNC|SYNC] → OK. Errors: "FUNCTION FLUSH only supports
/// SYNC|ASYNC option"; more arguments get the subcommand syntax error.
fn function_flush_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    if c.argv.len() == 3
        && !c.argv[2].eq_ignore_ascii_case(b"sync")
        && !c.argv[2].eq_ignore_ascii_case(b"async")
    {
        c.add_reply_error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    functions_lib_ctx_clear_current(srv);
    srv.dirty += 1;
    c.add_reply_ok();
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE] → one map per library:
/// library_name, engine, functions (maps of name, description, flags as a
/// set of status strings) and, with WITHCODE, library_code. Errors:
/// "Unknown argument X", "library name argument was not given".
fn function_list_command(srv: &mut Server, c: &mut Client) {
    let mut with_code = false;
    let mut pattern: Option<Bytes> = None;
    let mut i = 2;
    while i < c.argv.len() {
        let a = &c.argv[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
            i += 1;
            continue;
        }
        if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= c.argv.len() - 1 {
                c.add_reply_error("ERR library name argument was not given");
                return;
            }
            pattern = Some(c.argv[i + 1].clone());
            i += 2;
            continue;
        }
        c.add_reply_error_arg("ERR Unknown argument ", &a.clone(), "");
        return;
    }
    let libs: Vec<&FunctionLibInfo> = srv
        .functions
        .lib_ctx
        .libraries
        .values()
        .filter(|li| {
            pattern
                .as_ref()
                .is_none_or(|p| crate::util::string_match(p, &li.name, true))
        })
        .collect();
    c.add_reply_array_len(libs.len());
    for li in libs {
        c.add_reply_map_len(if with_code { 4 } else { 3 });
        c.add_reply_bulk(b"library_name");
        c.add_reply_bulk(&li.name);
        c.add_reply_bulk(b"engine");
        c.add_reply_bulk(LUA_ENGINE_NAME.as_bytes());
        c.add_reply_bulk(b"functions");
        c.add_reply_array_len(li.functions.len());
        for fi in li.functions.values() {
            c.add_reply_map_len(3);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(&fi.name);
            c.add_reply_bulk(b"description");
            match &fi.desc {
                Some(d) => c.add_reply_bulk(d),
                None => c.add_reply_null(),
            }
            c.add_reply_bulk(b"flags");
            let flags: Vec<&str> = SCRIPT_FLAGS_DEF
                .iter()
                .filter(|(_, f)| fi.flags & f != 0)
                .map(|(s, _)| *s)
                .collect();
            c.add_reply_set_len(flags.len());
            for f in flags {
                c.add_reply_status(f);
            }
        }
        if with_code {
            c.add_reply_bulk(b"library_code");
            c.add_reply_bulk(&li.code);
        }
    }
}

/// FUNCTION DUMP → bulk: the libraries as a payload for FUNCTION RESTORE
/// (see the module docs).
fn function_dump_command(srv: &mut Server, c: &mut Client) {
    let codes = functions_lib_codes(srv);
    let mut p = crate::rdb::rdb_save_functions_to_vec(&codes, srv.config.rdbcompression);
    p.extend_from_slice(&(crate::rdb::RDB_VERSION as u16).to_le_bytes());
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    c.add_reply_bulk(&p);
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] → OK (Redis
/// `functionRestoreCommand`; APPEND by default). Errors: "Wrong restore
/// policy given, value should be either FLUSH, APPEND or REPLACE.", "DUMP
/// payload version or checksum are wrong", the payload's and the
/// libraries' errors, and the join's ("Library x already exists",
/// "Function x already exists"); on any of them the current libraries
/// stay as they were.
fn function_restore_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() > 4 {
        c.add_reply_subcommand_arity_error();
        return;
    }
    #[derive(PartialEq)]
    enum Policy {
        Flush,
        Append,
        Replace,
    }
    let mut policy = Policy::Append;
    if c.argv.len() == 4 {
        let p = &c.argv[3];
        policy = if p.eq_ignore_ascii_case(b"append") {
            Policy::Append
        } else if p.eq_ignore_ascii_case(b"replace") {
            Policy::Replace
        } else if p.eq_ignore_ascii_case(b"flush") {
            Policy::Flush
        } else {
            c.add_reply_error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            );
            return;
        };
    }
    let data = c.argv[2].clone();
    if crate::rdb::dump::verify_dump_payload(&data, srv.dump.skip_checksum_validation).is_none() {
        c.add_reply_error("ERR DUMP payload version or checksum are wrong");
        return;
    }
    let mut scratch = FunctionsLibCtx::default();
    let mut result = crate::rdb::rdb_load_functions_from_payload(&data).and_then(|payloads| {
        let engine = srv.functions.engine.as_mut();
        let mut engine = engine;
        for p in &payloads {
            functions_create_with_library_ctx(engine.as_deref_mut(), p, false, &mut scratch, 0)?;
        }
        Ok(())
    });
    if result.is_ok() {
        if policy == Policy::Flush {
            srv.functions.lib_ctx = std::mem::take(&mut scratch);
        } else {
            let current = &mut srv.functions.lib_ctx;
            result = library_join(
                current,
                std::mem::take(&mut scratch),
                policy == Policy::Replace,
            );
            // Redis frees the scratch context with `functionsLibCtxClear`,
            // which zeroes the current context's memory counter.
            current.cache_memory = 0;
        }
    } else {
        srv.functions.lib_ctx.cache_memory = 0;
    }
    match result {
        Ok(()) => {
            srv.dirty += 1;
            c.add_reply_ok();
        }
        Err(e) => c.add_reply_error(&format!("ERR {}", e)),
    }
}

/// FUNCTION STATS → map: `running_script` (null, or a map of the running
/// function's name, its command line and its duration in ms) and
/// `engines` (per engine: libraries_count, functions_count). While an EVAL
/// script is timed out: the EVAL BUSY error.
fn function_stats_command(srv: &mut Server, c: &mut Client) {
    if let Some(run) = &srv.script.run
        && run.mode == RunMode::Eval
    {
        c.add_reply_error(crate::script::SLOW_EVAL_ERR);
        return;
    }
    c.add_reply_map_len(2);
    c.add_reply_bulk(b"running_script");
    match (&srv.script.run, &srv.functions.running_command) {
        (Some(run), Some(argv)) => {
            c.add_reply_map_len(3);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(run.funcname.as_bytes());
            c.add_reply_bulk(b"command");
            c.add_reply_array_len(argv.len());
            for a in argv {
                c.add_reply_bulk(a);
            }
            c.add_reply_bulk(b"duration_ms");
            c.add_reply_long_long(run.start.elapsed().as_millis() as i64);
        }
        _ => c.add_reply_null(),
    }
    c.add_reply_bulk(b"engines");
    c.add_reply_map_len(1);
    c.add_reply_bulk(LUA_ENGINE_NAME.as_bytes());
    c.add_reply_map_len(2);
    let ctx = &srv.functions.lib_ctx;
    c.add_reply_bulk(b"libraries_count");
    c.add_reply_long_long(ctx.n_lib as i64);
    c.add_reply_bulk(b"functions_count");
    c.add_reply_long_long(ctx.n_functions as i64);
}

/// FUNCTION KILL → OK when the running function was asked to stop (it
/// stops at its next hook); errors as `script::script_kill`.
fn function_kill_command(srv: &mut Server, c: &mut Client) {
    crate::script::script_kill(srv, c, false);
}

/// The flags FCALL / FCALL_RO run with (Redis `fcallGetCommandFlags`):
/// the function's declared flags applied with
/// [`crate::script::script_flags_to_cmd_flags`], or the command's own
/// when there is no such function.
pub fn fcall_get_command_flags(srv: &Server, argv: &[Bytes], cmd_flags: u64) -> u64 {
    match argv
        .get(1)
        .and_then(|n| srv.functions.lib_ctx.find_function(n))
    {
        Some(fi) => crate::script::script_flags_to_cmd_flags(cmd_flags, fi.flags),
        None => cmd_flags,
    }
}

/// FCALL / FCALL_RO (Redis `fcallCommandGeneric`): finds the function
/// (case-insensitive), checks numkeys and runs the function as
/// `f(KEYS, ARGV)` through `script::run_script` with its flags. Errors:
/// "Function not found", "Bad number of keys provided", "Number of keys
/// can't be greater than number of args", "Number of keys can't be
/// negative", and those of the run.
fn fcall_command_generic(srv: &mut Server, c: &mut Client, ro: bool) {
    // Fed before it runs, so the function's commands follow its line.
    crate::networking::feed_monitors(srv, c);
    let Some(fi) = srv.functions.lib_ctx.find_function(&c.argv[1]) else {
        c.add_reply_error("ERR Function not found");
        return;
    };
    let (func, flags, name) = (fi.callback.clone(), fi.flags, fi.funcname.clone());
    let Some(numkeys) = crate::util::string2ll(&c.argv[2]) else {
        c.add_reply_error("ERR Bad number of keys provided");
        return;
    };
    if !crate::script::check_numkeys(c, numkeys, c.argv.len() - 3) {
        return;
    }
    let Some(ls) = srv.functions.engine.as_ref().map(|e| e.lua_state().clone()) else {
        c.add_reply_error("ERR Function not found");
        return;
    };
    crate::script::run_script_for_argv(
        srv,
        c,
        &ls,
        &func,
        numkeys as usize,
        flags,
        ro,
        RunMode::Function,
        &name,
    );
    srv.functions.running_command = None;
}

/// FCALL function numkeys [key ...] [arg ...].
fn fcall_command(srv: &mut Server, c: &mut Client) {
    fcall_command_generic(srv, c, false);
}

/// FCALL_RO: as FCALL, but the function must declare `no-writes`.
fn fcall_ro_command(srv: &mut Server, c: &mut Client) {
    fcall_command_generic(srv, c, true);
}

/// FUNCTION HELP.
fn function_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "FUNCTION",
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("function|load", function_load_command),
    ("function|delete", function_delete_command),
    ("function|flush", function_flush_command),
    ("function|list", function_list_command),
    ("function|dump", function_dump_command),
    ("function|restore", function_restore_command),
    ("function|help", function_help_command),
    ("function|stats", function_stats_command),
    ("function|kill", function_kill_command),
    ("fcall", fcall_command),
    ("fcall_ro", fcall_ro_command),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> LuaEngine {
        LuaEngine::new().expect("engine")
    }

    fn lib(name: &str, funcs: &[&str]) -> Vec<u8> {
        let mut code = format!("#!lua name={name}\n");
        for f in funcs {
            code.push_str(&format!(
                "redis.register_function('{f}', function() return 1 end)\n"
            ));
        }
        code.into_bytes()
    }

    #[test]
    fn meta_data_parsing() {
        let md = function_extract_lib_meta_data(b"#!lua name=x\nreturn 1").unwrap();
        assert_eq!(
            (md.engine.as_slice(), md.name.as_slice()),
            (&b"lua"[..], &b"x"[..])
        );
        // The code keeps the newline, so line numbers match the payload's.
        assert_eq!(md.code, b"\nreturn 1");
        let md = function_extract_lib_meta_data(b"#!LUA  NAME=\"q x\"\r\n").unwrap();
        assert_eq!(
            (md.engine.as_slice(), md.name.as_slice()),
            (&b"LUA"[..], &b"q x"[..])
        );
        for (payload, err) in [
            (&b"return 1"[..], "Missing library metadata"),
            (b"#!lua name=x", "Invalid library metadata"),
            (b"#!lua name=\"x\n", "Invalid library metadata"),
            (b"#!lua\n", "Library name was not given"),
            (
                b"#!lua name=a NAME=b\n",
                "Invalid metadata value, name argument was given multiple times",
            ),
            (b"#!lua foo=bar\n", "Invalid metadata value given: foo=bar"),
        ] {
            assert_eq!(
                function_extract_lib_meta_data(payload).err().as_deref(),
                Some(err)
            );
        }
    }

    #[test]
    fn memory_sizes_follow_jemalloc_and_sds() {
        assert_eq!(crate::util::sds_zmalloc_size(2), 8); // type 5: 1 + 2 + 1
        assert_eq!(crate::util::sds_zmalloc_size(71), 80); // type 8: 3 + 71 + 1 = 75
        assert_eq!(crate::util::sds_zmalloc_size(189), 224);
        let mut ctx = FunctionsLibCtx::default();
        let mut e = engine();
        functions_create_with_library_ctx(Some(&mut e), &lib("mylib", &["f1"]), false, &mut ctx, 0)
            .unwrap();
        // Redis's number for one library of one function (checked against
        // redis-server 7.0.15 by tests/server_functions.rs as well).
        let code_len = lib("mylib", &["f1"]).len();
        assert_eq!(
            ctx.cache_memory,
            64 + 32 + 8 + crate::util::sds_zmalloc_size(code_len)
        );
        assert_eq!(ctx.function_slots, 4);
    }

    #[test]
    fn create_and_join_keep_the_registry_consistent() {
        let mut e = engine();
        let mut ctx = FunctionsLibCtx::default();
        let mut create = |ctx: &mut FunctionsLibCtx, code: &[u8], replace: bool| {
            functions_create_with_library_ctx(Some(&mut e), code, replace, ctx, 0)
        };
        assert_eq!(
            create(&mut ctx, &lib("a", &["f1", "f2"]), false),
            Ok(b"a".to_vec())
        );
        assert_eq!(
            create(&mut ctx, &lib("a", &["g"]), false),
            Err("Library 'a' already exists".into())
        );
        // A clash with another library's function (case-insensitive).
        assert_eq!(
            create(&mut ctx, &lib("b", &["F1"]), false),
            Err("Function F1 already exists".into())
        );
        assert_eq!(
            create(&mut ctx, &lib("b", &[]), false),
            Err("No functions registered".into())
        );
        assert_eq!(
            create(&mut ctx, &lib("bad-name", &["x"]), false)
                .err()
                .as_deref(),
            Some(ERR_BAD_NAME)
        );
        assert_eq!(
            create(&mut ctx, b"#!js name=j\n", false),
            Err("Engine 'js' not found".into())
        );
        // A failed REPLACE keeps the old library.
        assert!(create(&mut ctx, b"#!lua name=a\nsyntax error here", true).is_err());
        assert!(ctx.find_function(b"F2").is_some());
        assert_eq!((ctx.n_lib, ctx.n_functions, ctx.functions_len()), (1, 2, 2));

        // Join: APPEND refuses a library clash, REPLACE swaps it, a
        // function clash restores what was replaced.
        let mut src = FunctionsLibCtx::default();
        create(&mut src, &lib("a", &["h"]), false).unwrap();
        create(&mut src, &lib("c", &["k"]), false).unwrap();
        let mut src2 = FunctionsLibCtx::default();
        create(&mut src2, &lib("a", &["h"]), false).unwrap();
        create(&mut src2, &lib("c", &["k"]), false).unwrap();
        assert_eq!(
            library_join(&mut ctx, src, false),
            Err("Library a already exists".into())
        );
        assert!(ctx.find_function(b"f1").is_some());
        assert_eq!(library_join(&mut ctx, src2, true), Ok(()));
        assert!(ctx.find_function(b"f1").is_none() && ctx.find_function(b"H").is_some());
        assert_eq!((ctx.n_lib, ctx.n_functions), (2, 2));
        let mut clash = FunctionsLibCtx::default();
        create(&mut clash, &lib("c", &["k2"]), false).unwrap();
        create(&mut clash, &lib("d", &["h"]), false).unwrap();
        assert_eq!(
            library_join(&mut ctx, clash, true),
            Err("Function h already exists".into())
        );
        assert!(ctx.find_function(b"k").is_some() && ctx.find_function(b"k2").is_none());
        assert_eq!((ctx.n_lib, ctx.n_functions, ctx.functions_len()), (2, 2, 2));
    }

    #[test]
    fn dump_codes_and_rewrite_commands() {
        let mut out = Vec::new();
        rewrite_functions(&mut out, &[b"#!lua name=a\nx".to_vec()]).unwrap();
        assert_eq!(
            out,
            b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$14\r\n#!lua name=a\nx\r\n"
        );
    }
}
