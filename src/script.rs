//! The run context shared by EVAL scripts and Functions (Redis `script.c`):
//! the running script, its flags, the busy state and the checks every
//! command a script calls goes through.
//!
//! # How a run works
//! [`run_script`] is the one entry point (EVAL, EVALSHA, their `_RO`
//! forms, and FCALL build on it):
//! 1. It checks the script's flags against the server state (Redis
//!    `scriptPrepareForRun`) and replies the error itself when they forbid
//!    the run.
//! 2. It records the run in [`ScriptState::run`] (this is what "a script is
//!    running" means for SCRIPT KILL, BUSY and SHUTDOWN), prepares the fake
//!    client (the caller's database, RESP2, `CLIENT_SCRIPT |
//!    CLIENT_DENY_BLOCKING`), and lends the server and the fake client to
//!    the `redis.call` family for the duration of the Lua call (a
//!    thread-local pointer to a `RefCell`, set and cleared around the call:
//!    the one `unsafe` of scripting, chosen over mlua scopes whose per-run
//!    function creation cost a third of a short script's time).
//! 3. Each `redis.call` (a Lua C function, see `script_lua`) runs
//!    [`lua_redis_call`] and so [`script_call`]: lookup, arity, `noscript`,
//!    read-only and disk-error checks with Redis's texts, then
//!    `server::call` on the fake client. The command's reply bytes are
//!    pushed back as Lua values. Writes the command propagates gather in
//!    `srv.also_propagate` and leave, wrapped in MULTI/EXEC when more than
//!    one, when the caller's `call` ends; the EVAL itself is never
//!    propagated.
//! 4. With `busy-reply-threshold` > 0 a Lua count hook runs every 100000
//!    instructions. Past the threshold the run becomes *timed out*: it
//!    logs "Slow script detected", and from then on every hook serves other
//!    clients through `server::process_events_while_blocked`; they get
//!    `-BUSY` unless their command has the `allow-busy` flag (SCRIPT KILL,
//!    FUNCTION KILL, SHUTDOWN NOSAVE, ...). SCRIPT KILL marks the run
//!    killed; the next hook raises "Script killed by user with SCRIPT
//!    KILL..." and switches to a line hook so `pcall` cannot swallow it.
//! 5. The result (or error table) is converted into the caller's reply
//!    (see `script_lua`).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use mlua::{Function, Lua, Value};

use crate::acl::{AclDenied, AclLogContext};
use crate::commands::{self, Handler};
use crate::networking::{CLIENT_DENY_BLOCKING, CLIENT_MULTI, CLIENT_SCRIPT, Client};
use crate::script_lua::{self, LuaState};
use crate::server::{self, PROPAGATE_AOF, PROPAGATE_REPL, Server};

// ---- Script flags (Redis SCRIPT_FLAG_*) ----

/// `no-writes`: the script may not write.
pub const SCRIPT_FLAG_NO_WRITES: u64 = 1 << 0;
/// `allow-oom`: may run above maxmemory.
pub const SCRIPT_FLAG_ALLOW_OOM: u64 = 1 << 1;
/// `allow-stale`: may run on a stale replica.
pub const SCRIPT_FLAG_ALLOW_STALE: u64 = 1 << 2;
/// `no-cluster`: refused in cluster mode.
pub const SCRIPT_FLAG_NO_CLUSTER: u64 = 1 << 3;
/// An EVAL script without shebang: the pre-7.0 rules apply.
pub const SCRIPT_FLAG_EVAL_COMPAT_MODE: u64 = 1 << 4;
/// `allow-cross-slot-keys`.
pub const SCRIPT_FLAG_ALLOW_CROSS_SLOT: u64 = 1 << 5;

/// The flags a script may declare, by name (Redis `scripts_flags_def`), in
/// the order FUNCTION LIST shows them.
pub static SCRIPT_FLAGS_DEF: &[(&str, u64)] = &[
    ("no-writes", SCRIPT_FLAG_NO_WRITES),
    ("allow-oom", SCRIPT_FLAG_ALLOW_OOM),
    ("allow-stale", SCRIPT_FLAG_ALLOW_STALE),
    ("no-cluster", SCRIPT_FLAG_NO_CLUSTER),
    ("allow-cross-slot-keys", SCRIPT_FLAG_ALLOW_CROSS_SLOT),
];

/// The flag named `name` (case-sensitive, as Redis compares), if any.
pub fn script_flag_by_name(name: &[u8]) -> Option<u64> {
    SCRIPT_FLAGS_DEF
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, f)| *f)
}

/// A command's flags once a script declared its own (Redis
/// `scriptFlagsToCmdFlags`): `write`, `denyoom` and `stale` come from the
/// script (`denyoom` unless `allow-oom` or `no-writes`, `write` unless
/// `no-writes`, `stale` with `allow-stale`) and `may-replicate` goes away.
pub fn script_flags_to_cmd_flags(cmd_flags: u64, script_flags: u64) -> u64 {
    let mut f = cmd_flags & !(commands::CMD_STALE | commands::CMD_DENYOOM | commands::CMD_WRITE);
    if script_flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES) == 0 {
        f |= commands::CMD_DENYOOM;
    }
    if script_flags & SCRIPT_FLAG_NO_WRITES == 0 {
        f |= commands::CMD_WRITE;
    }
    if script_flags & SCRIPT_FLAG_ALLOW_STALE != 0 {
        f |= commands::CMD_STALE;
    }
    f & !commands::CMD_MAY_REPLICATE
}

/// Parses a comma-separated flag list (`no-writes,allow-oom`), as in a
/// `#!lua flags=` shebang. Err carries the first unknown flag.
pub fn parse_script_flags(list: &[u8]) -> Result<u64, String> {
    let mut flags = 0;
    for f in list.split(|&b| b == b',') {
        match script_flag_by_name(f) {
            Some(bit) => flags |= bit,
            None => return Err(String::from_utf8_lossy(f).into_owned()),
        }
    }
    Ok(flags)
}

/// `-BUSY` for EVAL scripts (Redis `shared.slowevalerr`).
pub const SLOW_EVAL_ERR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// `-BUSY` for functions (Redis `shared.slowscripterr`).
pub const SLOW_SCRIPT_ERR: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// A GC step every this many runs (Redis `LUA_GC_CYCLE_PERIOD`).
const LUA_GC_CYCLE_PERIOD: u64 = 50;

/// How a run passes KEYS and ARGV.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RunMode {
    /// EVAL: `KEYS` and `ARGV` are globals, the function takes no arguments;
    /// BUSY and kill texts name SCRIPT KILL.
    Eval,
    /// FCALL: the function is called as `f(keys, args)`; texts name
    /// FUNCTION KILL.
    Function,
}

/// The running script (Redis `scriptRunCtx`).
pub struct RunCtx {
    /// The name errors and logs use (the SHA1 for EVAL, the function name).
    pub funcname: String,
    pub mode: RunMode,
    /// Write commands are refused (`*_RO` or `no-writes`).
    pub read_only: bool,
    /// `allow-oom` was declared.
    pub allow_oom: bool,
    /// A write command ran: the script can no longer be killed.
    pub write_dirty: bool,
    /// Past `busy-reply-threshold`: other clients are being served.
    pub timedout: bool,
    /// SCRIPT KILL / FUNCTION KILL asked to stop it.
    pub killed: bool,
    /// `redis.set_repl` targets (`PROPAGATE_AOF | PROPAGATE_REPL`).
    pub repl_flags: u8,
    pub start: Instant,
    /// The cached clock when the run started, as (ms, µs): every command
    /// of the run sees it (Redis `scriptTimeSnapshot`).
    pub time_snapshot: (i64, i64),
}

/// One script of the EVAL cache (Redis `luaScript`).
pub struct EvalScript {
    pub body: Bytes,
    pub flags: u64,
    /// The compiled chunk, in [`ScriptState::lua`]'s registry. Not a
    /// `Function` handle: mlua keeps each live handle on an auxiliary Lua
    /// stack, which holds about 8,000, while the registry has no such
    /// limit (Redis caches any number of scripts).
    pub func: mlua::RegistryKey,
}

/// Scripting state of the server (`Server.script`).
#[derive(Default)]
pub struct ScriptState {
    /// The running script, if any (Redis `curr_run_ctx`).
    pub run: Option<RunCtx>,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: `noscript` commands are allowed.
    pub disable_deny_script: bool,
    /// The fake client scripts run commands through; out of here during a run.
    pub fake: Option<Box<Client>>,
    /// The EVAL interpreter, created with the server (Redis `lctx.lua`).
    /// Shared (an `Rc`): a run holds it while the server is lent out.
    pub lua: Option<std::rc::Rc<LuaState>>,
    /// SHA1 (lowercase) → script (Redis `lctx.lua_scripts`).
    pub scripts: HashMap<String, EvalScript>,
    /// Bytes of the cached SHA1s and bodies (Redis `lctx.lua_scripts_mem`).
    pub scripts_mem: usize,
    /// Runs so far, for the periodic GC step.
    pub gc_count: u64,
    /// The last run's [`RunCtx::funcname`], kept for its buffer.
    pub spare_funcname: String,
}

impl ScriptState {
    /// The state of a starting server: the EVAL interpreter is created at
    /// once, as Redis's `scriptingInit` does (INFO shows its memory).
    pub fn new() -> ScriptState {
        ScriptState {
            lua: crate::script_lua::new_lua_state()
                .map(std::rc::Rc::new)
                .map_err(|e| tracing::warn!("Failed creating the Lua interpreter: {}", e))
                .ok(),
            ..Default::default()
        }
    }

    /// True while a script runs (Redis `scriptIsRunning`).
    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }
    /// True while a running script is past the busy threshold (Redis `scriptIsTimedout`).
    pub fn is_timedout(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.timedout)
    }
}

/// The `-BUSY` error for commands without `allow-busy` while a script is
/// timed out (Redis `processCommand`'s busy check), or None.
pub fn busy_error(srv: &Server) -> Option<&'static str> {
    let run = srv.script.run.as_ref()?;
    if !run.timedout {
        return None;
    }
    Some(match run.mode {
        RunMode::Eval => SLOW_EVAL_ERR,
        RunMode::Function => SLOW_SCRIPT_ERR,
    })
}

/// SCRIPT KILL / FUNCTION KILL (Redis `scriptKill`). Replies `+OK` and
/// marks the run killed, or: `-NOTBUSY No scripts in execution right now.`,
/// `-UNKILLABLE Sorry the script already executed write commands against
/// the dataset. You can either wait the script termination or kill the
/// server in a hard way using the SHUTDOWN NOSAVE command.`, or the BUSY
/// error of the other kind when SCRIPT KILL targets a function or FUNCTION
/// KILL an EVAL script.
pub fn script_kill(srv: &mut Server, c: &mut Client, is_eval: bool) {
    let Some(run) = srv.script.run.as_mut() else {
        c.add_reply_error("NOTBUSY No scripts in execution right now.");
        return;
    };
    if run.write_dirty {
        c.add_reply_error(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
        );
        return;
    }
    if is_eval && run.mode != RunMode::Eval {
        c.add_reply_error(SLOW_SCRIPT_ERR);
        return;
    }
    if !is_eval && run.mode == RunMode::Eval {
        c.add_reply_error(SLOW_EVAL_ERR);
        return;
    }
    run.killed = true;
    c.add_reply_ok();
}

/// The fake client scripts use (Redis `lctx.lua_client`), made on first use.
fn take_fake_client(srv: &mut Server) -> Box<Client> {
    srv.script.fake.take().unwrap_or_else(|| {
        let mut c = Box::new(Client::new(
            0,
            usize::MAX,
            None,
            String::new(),
            String::new(),
            srv.mstime,
        ));
        c.flags |= CLIENT_SCRIPT | CLIENT_DENY_BLOCKING;
        c.authenticated = true;
        c
    })
}

/// Checks a script's declared flags before running it (Redis
/// `scriptPrepareForRun`'s checks); replies the error and returns false
/// when the run is refused. Texts: `Can not run script on cluster,
/// 'no-cluster' flag is set.`, `MISCONF ... Writable scripts are blocked.
/// Use 'no-writes' flag for read only scripts.`, `Can not execute a script
/// with write flag using *_ro command.`, `OOM allow-oom flag is not set on
/// the script, can not run it when used memory > 'maxmemory'`, and the
/// replication ones: for a script without shebang on a stale replica
/// `MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set
/// to 'no'.`, otherwise `MASTERDOWN Link with MASTER is down,
/// replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not
/// set on the script.`, `READONLY Can not run script with write flag on
/// readonly replica` (not for our master), `NOREPLICAS Not enough good
/// replicas to write.`.
fn script_allowed(srv: &Server, caller: &mut Client, flags: u64, ro: bool) -> bool {
    let running_stale = running_stale(srv);
    if flags & SCRIPT_FLAG_EVAL_COMPAT_MODE != 0 {
        // A script without a shebang never runs on a stale replica.
        if running_stale {
            caller.add_reply_error(
                "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            );
            return false;
        }
        return true;
    }
    if flags & SCRIPT_FLAG_NO_CLUSTER != 0 && srv.config.cluster_enabled {
        caller.add_reply_error("ERR Can not run script on cluster, 'no-cluster' flag is set.");
        return false;
    }
    if running_stale && flags & SCRIPT_FLAG_ALLOW_STALE == 0 {
        caller.add_reply_error(
            "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.",
        );
        return false;
    }
    let obey = crate::networking::must_obey_client(caller);
    if flags & SCRIPT_FLAG_NO_WRITES == 0 {
        if srv.repl.masterhost.is_some() && srv.config.replica_read_only && !obey {
            caller
                .add_reply_error("READONLY Can not run script with write flag on readonly replica");
            return false;
        }
        if crate::rdb::writes_denied_by_rdb_error(srv) {
            caller.add_reply_error(
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts.",
            );
            return false;
        }
        if srv.aof.is_on()
            && let Some(e) = crate::aof::write_error_message(srv)
        {
            let detail = e.rsplit(": ").next().unwrap_or("").to_string();
            caller.add_reply_error(&format!(
                "MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: {}",
                detail
            ));
            return false;
        }
        if ro {
            caller.add_reply_error(
                "ERR Can not execute a script with write flag using *_ro command.",
            );
            return false;
        }
        if !crate::replication::check_good_replicas_status(srv) {
            caller.add_reply_error("NOREPLICAS Not enough good replicas to write.");
            return false;
        }
    }
    // Over maxmemory when the command started (the no-writes flag implies
    // allow-oom).
    if srv.evict.pre_command_oom_state
        && srv.config.maxmemory != 0
        && flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES) == 0
    {
        caller.add_reply_error(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        );
        return false;
    }
    true
}

/// A replica whose link to its master is down while
/// `replica-serve-stale-data` is off: only STALE commands run.
fn running_stale(srv: &Server) -> bool {
    srv.repl.masterhost.is_some()
        && srv.repl.state != crate::replication::ReplState::Connected
        && !srv.config.replica_serve_stale_data
}

/// What the `redis.*` functions borrow during a run.
struct RunRefs<'a> {
    srv: &'a mut Server,
    fake: &'a mut Client,
    /// The client that called the script: its CLIENT LIST line goes into
    /// the ACL LOG entries of refused `redis.call`s (Redis `script_caller`).
    caller: &'a Client,
    /// The calling command's arguments.
    command: &'a [Bytes],
    /// KEYS and ARGV of the run.
    keys: &'a [Bytes],
    args: &'a [Bytes],
}

/// Checks the `numkeys` argument of EVAL/FCALL against the `args_after`
/// arguments that follow it, replying Redis's error when it is out of
/// range: "ERR Number of keys can't be greater than number of args" or
/// "ERR Number of keys can't be negative". True when it is in range.
pub fn check_numkeys(c: &mut Client, numkeys: i64, args_after: usize) -> bool {
    if numkeys > args_after as i64 {
        c.add_reply_error("ERR Number of keys can't be greater than number of args");
        return false;
    }
    if numkeys < 0 {
        c.add_reply_error("ERR Number of keys can't be negative");
        return false;
    }
    true
}

/// [`run_script`] for a command shaped `EVAL|FCALL name numkeys key... arg...`
/// (already validated): KEYS are `argv[3..3 + numkeys]`, ARGV the rest.
#[allow(clippy::too_many_arguments)]
pub fn run_script_for_argv(
    srv: &mut Server,
    caller: &mut Client,
    ls: &LuaState,
    func: &Function,
    numkeys: usize,
    script_flags: u64,
    ro: bool,
    mode: RunMode,
    funcname: &str,
) {
    let argv = std::mem::take(&mut caller.argv);
    run_script(
        srv,
        caller,
        ls,
        func,
        &argv,
        &argv[3..3 + numkeys],
        &argv[3 + numkeys..],
        script_flags,
        ro,
        mode,
        funcname,
    );
    caller.argv = argv;
}

/// Runs `func` as a script for `caller` and replies its result on `caller`
/// (Redis `scriptPrepareForRun` + `luaCallFunction` + `scriptResetRun`).
///
/// - `ls`: the state `func` belongs to (EVAL's or the Functions engine's).
/// - `command`: the calling command's arguments (FUNCTION STATS shows them
///   while a function is timed out).
/// - `keys`, `args`: KEYS and ARGV (globals in [`RunMode::Eval`], the two
///   arguments of the call in [`RunMode::Function`]).
/// - `script_flags`: `SCRIPT_FLAG_*` bits declared by the script
///   ([`SCRIPT_FLAG_EVAL_COMPAT_MODE`] for an EVAL without shebang).
/// - `ro`: called through EVAL_RO / EVALSHA_RO / FCALL_RO.
/// - `funcname`: the name in error replies and logs (`script: <name>, on
///   @user_script:1.`); the SHA1 for EVAL.
///
/// Replies exactly one value on `caller`: the converted result, an error
/// from the flag checks, or the script's error as `-<err> script: <name>,
/// on <source>:<line>.`. Marks `caller`'s command as not propagated (its
/// effects are); counts a failed call on `caller.cmd` when the error was
/// already counted in errorstats where it happened. Must not be called
/// while a script runs (no nesting).
#[allow(clippy::too_many_arguments)]
pub fn run_script(
    srv: &mut Server,
    caller: &mut Client,
    ls: &LuaState,
    func: &Function,
    command: &[Bytes],
    keys: &[Bytes],
    args: &[Bytes],
    script_flags: u64,
    ro: bool,
    mode: RunMode,
    funcname: &str,
) {
    if !script_allowed(srv, caller, script_flags, ro) {
        return;
    }
    let compat = script_flags & SCRIPT_FLAG_EVAL_COMPAT_MODE != 0;
    let mut name = std::mem::take(&mut srv.script.spare_funcname);
    name.clear();
    name.push_str(funcname);
    srv.script.run = Some(RunCtx {
        funcname: name,
        mode,
        read_only: ro || (!compat && script_flags & SCRIPT_FLAG_NO_WRITES != 0),
        allow_oom: !compat && script_flags & SCRIPT_FLAG_ALLOW_OOM != 0,
        write_dirty: false,
        timedout: false,
        killed: false,
        repl_flags: PROPAGATE_AOF | PROPAGATE_REPL,
        start: Instant::now(),
        time_snapshot: (srv.mstime, srv.ustime),
    });
    let mut fake = take_fake_client(srv);
    fake.db = caller.db;
    fake.resp = 2;
    // The script's commands run as the caller's user (Redis `scriptCall`).
    fake.user = caller.user.clone();
    if caller.flags & CLIENT_MULTI != 0 {
        fake.flags |= CLIENT_MULTI;
    }
    let result = {
        let refs = RefCell::new(RunRefs {
            srv: &mut *srv,
            fake: &mut fake,
            caller: &*caller,
            command,
            keys,
            args,
        });
        call_with_run(ls, func, mode, &refs)
    };
    release_big_reply_buffers(&mut fake);
    fake.flags &= !CLIENT_MULTI;
    fake.user = None;
    let script_resp = fake.resp;
    srv.script.fake = Some(fake);
    srv.script.gc_count += 1;
    if srv.script.gc_count.is_multiple_of(LUA_GC_CYCLE_PERIOD) {
        let _ = ls.lua.gc_step();
    }
    let uncounted = match result {
        Ok((true, v)) => script_lua::lua_to_reply(caller, &v, script_resp),
        Ok((false, Value::Table(t))) => {
            let info = script_lua::extract_error_info(&t);
            let mut msg = info.msg;
            if let (Some(line), Some(source)) = (&info.line, &info.source) {
                msg.push_str(&format!(" script: {}, on {}:{}.", funcname, source, line));
            }
            if info.ignore_stats {
                script_lua::add_reply_error_no_stats(caller, &msg);
                true
            } else {
                caller.add_reply_error(&msg);
                false
            }
        }
        Ok((false, _)) => {
            caller.add_reply_error(&format!(
                "ERR Error running script {}, execution failure",
                funcname
            ));
            false
        }
        Err(e) => {
            let m = script_lua::callback_error_message(&e);
            let m: String = m.chars().take(100).collect();
            caller.add_reply_error(&format!("ERR Error running script {}, {}", funcname, m));
            false
        }
    };
    if uncounted && let Some(idx) = caller.cmd {
        srv.commands.cmds[idx].failed_calls += 1;
    }
    if let Some(run) = srv.script.run.take() {
        srv.script.spare_funcname = run.funcname;
    }
    // The script's effects are propagated, never the script itself.
    caller.flags |= crate::networking::CLIENT_PREVENT_PROP;
}

thread_local! {
    /// The run in progress: a type-erased `*const RefCell<RunRefs>` set by
    /// [`call_with_run`] for exactly the duration of the Lua call, null
    /// otherwise.
    static CURRENT_RUN: Cell<*const ()> = const { Cell::new(std::ptr::null()) };
}

/// Clears [`CURRENT_RUN`] when the Lua call ends, panics included.
struct CurrentRunGuard(*const ());

impl Drop for CurrentRunGuard {
    fn drop(&mut self) {
        CURRENT_RUN.with(|c| c.set(self.0));
    }
}

/// Runs `f` with the run in progress, or returns None outside a run.
#[allow(unsafe_code)]
fn with_current_run<R>(f: impl FnOnce(&RefCell<RunRefs<'_>>) -> R) -> Option<R> {
    let p = CURRENT_RUN.with(|c| c.get());
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-null CURRENT_RUN was set by `call_with_run` from a
    // reference to a `RefCell<RunRefs>` that lives in that function's frame,
    // and is reset by its guard before the frame ends; the Lua code calling
    // us runs inside that frame, on this thread (the state is not Send).
    // Every access goes through the RefCell, so no two `&mut` to the server
    // or the fake client can coexist.
    let cell = unsafe { &*(p as *const RefCell<RunRefs<'_>>) };
    Some(f(cell))
}

/// Serves `op` of the `redis.*` functions for the run in progress (see
/// `script_lua`): `(ok, value)`, or None outside a run.
pub fn dispatch_current(
    lua: &Lua,
    op: i64,
    args: mlua::MultiValue,
) -> Option<mlua::Result<(bool, Value)>> {
    with_current_run(|cell| {
        let Ok(mut r) = cell.try_borrow_mut() else {
            return Ok((
                false,
                Value::Table(script_lua::error_table(
                    lua,
                    "redis.call/pcall can not be called recursively",
                )?),
            ));
        };
        let r = &mut *r;
        rt_dispatch(lua, r.srv, r.fake, op, args)
    })
}

/// The busy check for the count hook: true when the running script was
/// killed (see [`script_interrupt`]); false outside a run.
pub fn busy_current() -> bool {
    with_current_run(|cell| match cell.try_borrow_mut() {
        Ok(mut r) => {
            let r = &mut *r;
            script_interrupt(r.srv, r.command)
        }
        Err(_) => false,
    })
    .unwrap_or(false)
}

/// The Lua part of a run: lends `refs` to the `redis.*` functions (through
/// [`CURRENT_RUN`]) while the xpcall runner calls `func`; returns `(ok,
/// value)` as the runner gives them.
fn call_with_run(
    ls: &LuaState,
    func: &Function,
    mode: RunMode,
    refs: &RefCell<RunRefs<'_>>,
) -> mlua::Result<(bool, Value)> {
    *ls.slots.pending.borrow_mut() = None;
    let prev = CURRENT_RUN.with(|c| c.replace(refs as *const RefCell<RunRefs<'_>> as *const ()));
    let res = {
        let _guard = CurrentRunGuard(prev);
        let nargs = if mode == RunMode::Eval { 0 } else { 2 };
        ls.runner
            .call::<(bool, Value)>((&ls.err_handler, func, nargs))
    };
    script_lua::resume_call_panic();
    script_lua::restore_busy_hook(ls)?;
    res
}

/// KEYS and ARGV of the run in progress as (pointer, length) pairs, for
/// the runner's `mkargs` (empty outside a run). The slices live as long as
/// the run.
pub fn current_keys_args() -> ((*const Bytes, usize), (*const Bytes, usize)) {
    let empty: &[Bytes] = &[];
    with_current_run(|cell| match cell.try_borrow() {
        Ok(r) => (
            (r.keys.as_ptr(), r.keys.len()),
            (r.args.as_ptr(), r.args.len()),
        ),
        Err(_) => ((empty.as_ptr(), 0), (empty.as_ptr(), 0)),
    })
    .unwrap_or(((empty.as_ptr(), 0), (empty.as_ptr(), 0)))
}

/// The Rust part of `redis.call` / `redis.pcall` (see `script_lua`'s
/// banner on them): `read_args` fills the command vector from the Lua
/// stack, the command runs through [`script_call`], and the reply bytes
/// (or the error text) are left in the scratch buffer.
pub fn lua_redis_call(
    read_args: impl FnOnce(&mut Vec<Bytes>) -> Result<(), &'static str>,
) -> script_lua::CallOutcome {
    with_current_run(|cell| {
        let Ok(mut r) = cell.try_borrow_mut() else {
            return script_lua::error_outcome(
                "redis.call/pcall can not be called recursively",
                false,
            );
        };
        let r = &mut *r;
        // The fake client's vector, cleared by the last call, is reused.
        let mut argv = std::mem::take(&mut r.fake.argv);
        argv.clear();
        if let Err(e) = read_args(&mut argv) {
            r.fake.argv = argv;
            if crate::ldb::is_logging() {
                crate::ldb::log_error(e);
            }
            return script_lua::error_outcome(e, false);
        }
        // Under the debugger's step mode the command and its reply are logged.
        let logging = crate::ldb::is_logging();
        if logging {
            crate::ldb::log_redis_command(&argv);
        }
        if let Err(e) = script_call(r.srv, r.fake, r.caller, argv) {
            if logging {
                crate::ldb::log_error(&e);
            }
            return script_lua::error_outcome(&e, true);
        }
        let (ptr, len) = script_lua::fill_scratch(|out| {
            take_reply_into(r.fake, out);
            if logging {
                crate::ldb::log_reply(out);
            }
        });
        script_lua::CallOutcome::Reply { ptr, len }
    })
    .unwrap_or(script_lua::CallOutcome::Outside)
}

/// The busy check run by the hook (Redis `scriptInterrupt`): past the
/// threshold the run is timed out and other clients are served (a
/// function's `command` is then published for FUNCTION STATS). Returns
/// true when the script was killed.
fn script_interrupt(srv: &mut Server, command: &[Bytes]) -> bool {
    let threshold = srv.config.busy_reply_threshold;
    let Some(run) = srv.script.run.as_mut() else {
        return false;
    };
    if !run.timedout {
        let elapsed = run.start.elapsed().as_millis() as i64;
        if threshold <= 0 || elapsed < threshold {
            return false;
        }
        tracing::warn!(
            "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
            elapsed,
            if run.mode == RunMode::Eval {
                "SCRIPT KILL"
            } else {
                "FUNCTION KILL"
            },
            run.funcname
        );
        run.timedout = true;
        if run.mode == RunMode::Function {
            srv.functions.running_command = Some(command.to_vec());
        }
    }
    server::process_events_while_blocked(srv);
    let Some(run) = srv.script.run.as_ref() else {
        return false;
    };
    (srv.mstime, srv.ustime) = run.time_snapshot;
    run.killed
}

/// Serves `rt.f(op, ...)`: the per-run settings and ACL checks of the
/// `redis` table (`redis.call` itself is [`lua_redis_call`]). Returns `(ok,
/// value)`; the Lua wrappers raise `value` when not ok.
fn rt_dispatch(
    lua: &Lua,
    srv: &mut Server,
    fake: &mut Client,
    op: i64,
    mut rest: mlua::MultiValue,
) -> mlua::Result<(bool, Value)> {
    let err = |msg: &str| -> mlua::Result<(bool, Value)> {
        if crate::ldb::is_logging() {
            crate::ldb::log_error(msg);
        }
        Ok((false, Value::Table(script_lua::error_table(lua, msg)?)))
    };
    match op {
        script_lua::RT_SETRESP => {
            if rest.len() != 1 {
                return err("redis.setresp() requires one argument.");
            }
            let n = lua_tonumber(&rest[0]) as i64;
            if n != 2 && n != 3 {
                return err("RESP version must be 2 or 3.");
            }
            fake.resp = n as u8;
            Ok((true, Value::Nil))
        }
        script_lua::RT_SET_REPL => {
            if rest.len() != 1 {
                return err("redis.set_repl() requires two arguments.");
            }
            let flags = lua_tonumber(&rest[0]) as i64;
            if flags & !((PROPAGATE_AOF | PROPAGATE_REPL) as i64) != 0 {
                return err(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            if let Some(run) = srv.script.run.as_mut() {
                run.repl_flags = flags as u8;
            }
            Ok((true, Value::Nil))
        }
        script_lua::RT_ACL_CHECK_CMD => {
            let argv = match script_lua::args_to_argv(rest.make_contiguous()) {
                Ok(a) => a,
                Err(e) => return err(e),
            };
            let Some(idx) = srv.commands.lookup(&argv) else {
                return err("Invalid command passed to redis.acl_check_cmd()");
            };
            let allowed = match &fake.user {
                Some(u) => crate::acl::check_all_perm(srv, &u.borrow(), idx, &argv).is_ok(),
                None => true,
            };
            Ok((true, Value::Boolean(allowed)))
        }
        _ => err("Unknown script operation"),
    }
}

/// Lua's `lua_tonumber`: numbers, numeric strings, else 0.
fn lua_tonumber(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        Value::String(s) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Moves the fake client's reply bytes into `out` (empty), leaving the
/// client with no reply. A single chunk is swapped with `out`, so both
/// buffers keep their capacity from call to call.
fn take_reply_into(fake: &mut Client, out: &mut Vec<u8>) {
    if fake.reply.len() == 1 {
        if let Some(chunk) = fake.reply.front_mut() {
            std::mem::swap(chunk, out);
            chunk.clear();
        }
    } else {
        for chunk in fake.reply.drain(..) {
            out.extend_from_slice(&chunk);
        }
    }
    fake.reply_bytes = 0;
    fake.sentlen = 0;
}

/// After a run: frees the fake client's reply chunk and the scratch buffer
/// when a big reply grew them, so one big reply does not keep its memory.
fn release_big_reply_buffers(fake: &mut Client) {
    if fake
        .reply
        .front()
        .is_some_and(|c| c.capacity() > crate::networking::PROTO_IOBUF_LEN)
    {
        fake.reply.clear();
    }
    script_lua::trim_scratch();
}

/// Runs one command for the running script through the fake client (Redis
/// `scriptCall`). Err is the error the script gets, already counted in
/// errorstats (and as a rejected call of the command): `Unknown Redis
/// command called from script`, `Wrong number of args calling Redis command
/// from script`, `This Redis command is not allowed from script`, the ACL
/// refusal `The user executing the script can't run this command or
/// subcommand` (or `... can't access at least one of the keys mentioned in
/// the command arguments`, `... can't publish to the channel mentioned in
/// the command`; also an ACL LOG entry with context `lua` and `caller`'s
/// client line), `Write commands are not allowed from read-only scripts.`,
/// or the disk error of a first write.
pub fn script_call(
    srv: &mut Server,
    fake: &mut Client,
    caller: &Client,
    argv: Vec<Bytes>,
) -> Result<(), String> {
    fake.argv = argv;
    let res = script_verify(srv, fake, caller);
    let idx = match res {
        Ok(idx) => idx,
        Err((idx, e)) => {
            let code = match e.strip_prefix('-') {
                Some(rest) => rest.split(' ').next().unwrap_or("ERR").to_string(),
                None => "ERR".to_string(),
            };
            fake.error_codes.push(code);
            srv.record_error_codes(fake);
            if let Some(i) = idx {
                srv.commands.cmds[i].rejected_calls += 1;
            }
            fake.argv.clear();
            return Err(e);
        }
    };
    fake.cmd = Some(idx);
    fake.lastcmd = Some(idx);
    let before = srv.also_propagate.len();
    server::call(srv, fake, idx);
    let repl = srv.script.run.as_ref().map_or(3, |r| r.repl_flags);
    if repl != (PROPAGATE_AOF | PROPAGATE_REPL) && srv.also_propagate.len() > before {
        let mut kept = srv.also_propagate.split_off(before);
        kept.retain_mut(|op| {
            op.target &= repl;
            op.target != 0
        });
        srv.also_propagate.extend(kept);
    }
    fake.argv.clear();
    Ok(())
}

/// The checks of [`script_call`]; Ok is the command's index.
fn script_verify(
    srv: &mut Server,
    fake: &Client,
    caller: &Client,
) -> Result<usize, (Option<usize>, String)> {
    let Some(idx) = srv.commands.lookup(&fake.argv) else {
        return Err((None, "Unknown Redis command called from script".to_string()));
    };
    let (arity, flags) = {
        let cmd = &srv.commands.cmds[idx];
        (cmd.arity, cmd.flags)
    };
    let argc = fake.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity || srv.commands.cmds[idx].handler.is_none() {
        return Err((
            Some(idx),
            "Wrong number of args calling Redis command from script".to_string(),
        ));
    }
    if !srv.script.disable_deny_script && flags & commands::CMD_NOSCRIPT != 0 {
        return Err((
            Some(idx),
            "This Redis command is not allowed from script".to_string(),
        ));
    }
    // Redis `scriptVerifyAllowStale` (an allow-stale script on a stale
    // replica may only run STALE commands).
    if running_stale(srv) && flags & commands::CMD_STALE == 0 {
        return Err((
            Some(idx),
            "Can not execute the command on a stale replica".to_string(),
        ));
    }
    if let Some(e) = script_verify_acl(srv, fake, caller, idx) {
        return Err((Some(idx), e));
    }
    let (read_only, write_dirty) = srv
        .script
        .run
        .as_ref()
        .map_or((false, false), |r| (r.read_only, r.write_dirty));
    if read_only && flags & (commands::CMD_WRITE | commands::CMD_MAY_REPLICATE) != 0 {
        return Err((
            Some(idx),
            "Write commands are not allowed from read-only scripts.".to_string(),
        ));
    }
    if flags & commands::CMD_WRITE != 0 && !write_dirty {
        if srv.repl.masterhost.is_some()
            && srv.config.replica_read_only
            && !crate::networking::must_obey_client(caller)
        {
            return Err((
                Some(idx),
                "-READONLY You can't write against a read only replica.".to_string(),
            ));
        }
        if let Some(e) = server::write_commands_denied_by_disk_error(srv) {
            return Err((Some(idx), format!("-{}", e)));
        }
        if !crate::replication::check_good_replicas_status(srv) {
            return Err((
                Some(idx),
                "-NOREPLICAS Not enough good replicas to write.".to_string(),
            ));
        }
    }
    // Redis `scriptVerifyOOM`: a script that started over maxmemory may
    // not run a denyoom command before its first write (after that it
    // cannot stop halfway), unless it declared allow-oom.
    let allow_oom = srv.script.run.as_ref().is_some_and(|r| r.allow_oom);
    if !allow_oom
        && srv.config.maxmemory != 0
        && !write_dirty
        && srv.evict.pre_command_oom_state
        && flags & commands::CMD_DENYOOM != 0
    {
        return Err((Some(idx), format!("-{}", crate::evict::OOM_ERR)));
    }
    if flags & commands::CMD_WRITE != 0
        && let Some(run) = srv.script.run.as_mut()
    {
        run.write_dirty = true;
    }
    Ok(idx)
}

/// The ACL check of a script's command (Redis `scriptVerifyACL`): None when
/// the script's user (the caller's, on the fake client; none for the AOF
/// loader) may run it, else the error for the script after logging the
/// refusal in the ACL LOG (context `lua`, the caller's client line).
fn script_verify_acl(
    srv: &mut Server,
    fake: &Client,
    caller: &Client,
    idx: usize,
) -> Option<String> {
    let user = fake.user.clone()?;
    let denied = crate::acl::check_all_perm(srv, &user.borrow(), idx, &fake.argv);
    let (reason, argpos) = denied.err()?;
    let object: Vec<u8> = match reason {
        AclDenied::Cmd => srv.commands.cmds[idx].fullname.as_bytes().to_vec(),
        _ => fake
            .argv
            .get(argpos)
            .map(|a| a.to_vec())
            .unwrap_or_default(),
    };
    let username = user.borrow().name.clone();
    crate::acl::add_log_entry(
        srv,
        caller,
        reason,
        AclLogContext::Lua,
        argpos,
        Some(&username),
        Some(&object),
    );
    Some(format!(
        "The user executing the script {}",
        reason.script_message()
    ))
}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse() {
        assert_eq!(
            parse_script_flags(b"no-writes,allow-oom"),
            Ok(SCRIPT_FLAG_NO_WRITES | SCRIPT_FLAG_ALLOW_OOM)
        );
        assert_eq!(parse_script_flags(b"bad"), Err("bad".to_string()));
    }
}
