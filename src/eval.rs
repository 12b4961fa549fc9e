//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis `eval.c`).
//!
//! # The script cache
//! A script body is compiled once, as a Lua chunk named `@user_script`,
//! into the EVAL interpreter (`ScriptState::lua`, created on first use) and
//! kept by the lowercase hex SHA1 of the body, with the flags of its
//! `#!lua flags=...` shebang (or `SCRIPT_FLAG_EVAL_COMPAT_MODE` without
//! one). EVAL hashes the body and reuses the cached chunk; EVALSHA looks
//! the SHA1 up (case-insensitively) and answers NOSCRIPT when it is not
//! there. SCRIPT FLUSH drops the cache with the interpreter and starts a
//! new one, as Redis resets its Lua state. Running a script is `script::run_script`.
//!
//! Neither SCRIPT LOAD nor SCRIPT FLUSH is propagated: since Redis 7.0
//! scripts replicate by their effects, so replicas and the AOF never need
//! the bodies.

use bytes::Bytes;
use std::rc::Rc;

use crate::commands::Handler;
use crate::ldb;
use crate::networking::Client;
use crate::script::{self, EvalScript, RunMode, SCRIPT_FLAG_EVAL_COMPAT_MODE};
use crate::script_lua::{self, LuaState};
use crate::server::Server;

/// `-NOSCRIPT` (Redis `shared.noscripterr`).
pub const NOSCRIPT_ERR: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// Parses a `#!` shebang line (Redis `evalExtractShebangFlags`): returns
/// the script flags and the shebang's length (up to, not including, its
/// newline). No shebang: `(SCRIPT_FLAG_EVAL_COMPAT_MODE, 0)`. Errors (the
/// reply adds `ERR `): `Invalid script shebang` (no newline), `Invalid
/// engine in script shebang`, `Unexpected engine in script shebang: <x>`,
/// `Unexpected flag in script shebang: <f>`, `Unknown lua shebang option:
/// <opt>`.
pub fn eval_extract_shebang_flags(body: &[u8]) -> Result<(u64, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((SCRIPT_FLAG_EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let parts: Vec<&[u8]> = body[..end]
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let Some(engine) = parts.first() else {
        return Err("Invalid engine in script shebang".to_string());
    };
    if *engine != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        ));
    }
    let mut flags = 0;
    for p in &parts[1..] {
        if let Some(list) = p.strip_prefix(b"flags=") {
            if !list.is_empty() {
                flags |= script::parse_script_flags(list)
                    .map_err(|f| format!("Unexpected flag in script shebang: {}", f))?;
            }
        } else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(p)
            ));
        }
    }
    Ok((flags, end))
}

/// The EVAL interpreter (created with the server, and again after SCRIPT
/// FLUSH; on first use should that have failed).
fn eval_lua(srv: &mut Server) -> Option<Rc<LuaState>> {
    if srv.script.lua.is_none() {
        match script_lua::new_lua_state() {
            Ok(ls) => srv.script.lua = Some(Rc::new(ls)),
            Err(e) => {
                tracing::warn!("Failed creating the Lua interpreter: {}", e);
                return None;
            }
        }
    }
    srv.script.lua.clone()
}

/// Compiles and caches a script body (Redis `luaCreateFunction`); returns
/// its SHA1. An already cached body is not compiled again. Errors, replied
/// on `c`: the shebang errors, `Error compiling script (new function):
/// <lua message>`.
pub fn lua_create_function(srv: &mut Server, c: &mut Client, body: &Bytes) -> Option<String> {
    let sha = script_lua::sha1hex(body);
    if srv.script.scripts.contains_key(&sha) {
        return Some(sha);
    }
    let (flags, shebang_len) = match eval_extract_shebang_flags(body) {
        Ok(x) => x,
        Err(e) => {
            c.add_reply_error(&format!("ERR {}", e));
            return None;
        }
    };
    let ls = eval_lua(srv)?;
    // The shebang is skipped but its newline kept, so line numbers hold.
    let func = match ls
        .load(&body[shebang_len..], "@user_script")
        .and_then(|f| ls.lua.create_registry_value(f).map_err(|e| e.to_string()))
    {
        Ok(f) => f,
        Err(e) => {
            c.add_reply_error(&format!("ERR Error compiling script (new function): {}", e));
            return None;
        }
    };
    srv.script.scripts_mem += crate::util::sds_zmalloc_size(40) + string_object_mem(body.len());
    srv.script.scripts.insert(
        sha.clone(),
        EvalScript {
            // A copy: the argument is a slice of the client's query buffer,
            // which a cached body would otherwise keep allocated.
            body: Bytes::copy_from_slice(body),
            flags,
            func,
        },
    );
    Some(sha)
}

/// The SHA1s of the cached EVAL scripts, for a defrag pass to visit a
/// batch at a time.
pub fn script_shas(srv: &Server) -> Vec<String> {
    srv.script.scripts.keys().cloned().collect()
}

/// Active defrag of the script cache (Redis `defragOtherGlobals` for
/// `lua_scripts`): the bodies of the scripts named by `shas` (those
/// flushed since are skipped) move when jemalloc says they sit in sparse
/// slabs (see `crate::defrag`).
pub fn defrag_scripts(srv: &mut Server, shas: &[String]) {
    for sha in shas {
        if let Some(s) = srv.script.scripts.get_mut(sha) {
            crate::defrag::defrag_shared_bytes(&mut s.body);
        }
    }
}

/// Memory Redis counts for a string argument object's sds (Redis
/// `getStringObjectSdsUsedMemory`): embstr up to 44 bytes, else raw.
fn string_object_mem(len: usize) -> usize {
    if len <= 44 {
        len
    } else {
        crate::util::sds_zmalloc_size(len)
    }
}

/// Memory of the script cache (Redis `evalScriptsMemory`): bodies and
/// SHA1s plus the dictionary's entries and buckets.
pub fn eval_scripts_memory(srv: &Server) -> usize {
    let n = srv.script.scripts.len();
    let slots = if n == 0 {
        0
    } else {
        n.next_power_of_two().max(4)
    };
    srv.script.scripts_mem + n * (24 + 16) + slots * 8
}

/// Memory of the EVAL interpreter (Redis `evalMemory`, INFO
/// `used_memory_lua` / `used_memory_vm_eval`): Lua counts in KB.
pub fn eval_memory(srv: &Server) -> usize {
    srv.script
        .lua
        .as_ref()
        .map_or(0, |ls| ls.memory() / 1024 * 1024)
}

/// EVAL / EVALSHA and their `_RO` forms (Redis `evalGenericCommand`).
/// Errors: `ERR value is not an integer or out of range` (numkeys),
/// `ERR Number of keys can't be greater than number of args`, `ERR Number
/// of keys can't be negative`, NOSCRIPT, the compile errors of
/// [`lua_create_function`], and those of `script::run_script`.
fn eval_generic_command(srv: &mut Server, c: &mut Client, evalsha: bool, ro: bool) {
    // Fed before it runs, so the script's commands follow its line
    // (EVAL is flagged skip_monitor for `call`).
    crate::networking::feed_monitors(srv, c);
    if evalsha && c.argv[1].len() != 40 {
        c.add_reply_error(NOSCRIPT_ERR);
        return;
    }
    let Some(numkeys) = crate::util::string2ll(&c.argv[2]) else {
        c.add_reply_error(crate::shared::err_not_integer());
        return;
    };
    if !script::check_numkeys(c, numkeys, c.argv.len() - 3) {
        return;
    }
    let mut buf = [0u8; 40];
    let sha_owned;
    let sha: &str = if evalsha {
        match sha_lowercase(&c.argv[1], &mut buf) {
            Some(s) => s,
            None => {
                c.add_reply_error(NOSCRIPT_ERR);
                return;
            }
        }
    } else {
        sha_owned = script_lua::sha1hex(&c.argv[1]);
        &sha_owned
    };
    if !srv.script.scripts.contains_key(sha) {
        if evalsha {
            c.add_reply_error(NOSCRIPT_ERR);
            return;
        }
        let body = c.argv[1].clone();
        if lua_create_function(srv, c, &body).is_none() {
            return;
        }
    }
    let Some(ls) = eval_lua(srv) else {
        c.add_reply_error("ERR Error running script: no Lua interpreter");
        return;
    };
    let Some((func, flags)) = srv.script.scripts.get(sha).and_then(|s| {
        Some((
            ls.lua.registry_value::<mlua::Function>(&s.func).ok()?,
            s.flags,
        ))
    }) else {
        c.add_reply_error("ERR Error running script: the compiled script is gone");
        return;
    };
    // A debugging session stops the script line by line (`ldb.rs`).
    let debugging = ldb::is_active();
    if debugging {
        ldb::set_env(ls.env.clone());
        if let Err(e) = ldb::install_hook(&ls.lua) {
            c.add_reply_error(&format!("ERR Error running script: {}", e));
            return;
        }
    }
    script::run_script_for_argv(
        srv,
        c,
        &ls,
        &func,
        numkeys as usize,
        flags,
        ro,
        RunMode::Eval,
        sha,
    );
    if debugging {
        let _ = script_lua::install_busy_hook(&ls.lua, &ls.slots);
    }
}

/// The flags EVAL / EVALSHA (and their `_RO` forms) run with (Redis
/// `evalGetCommandFlags`): those the script declares in its shebang
/// (cached script, else the body's shebang), applied with
/// [`script::script_flags_to_cmd_flags`]; the command's own flags for a
/// script without shebang, an unknown SHA or a shebang that does not parse.
pub fn eval_get_command_flags(srv: &Server, argv: &[Bytes], evalsha: bool, cmd_flags: u64) -> u64 {
    let Some(body) = argv.get(1) else {
        return cmd_flags;
    };
    if evalsha && body.len() != 40 {
        return cmd_flags;
    }
    let mut buf = [0u8; 40];
    let sha_owned;
    let sha: &str = if evalsha {
        match sha_lowercase(body, &mut buf) {
            Some(s) => s,
            None => return cmd_flags,
        }
    } else {
        sha_owned = script_lua::sha1hex(body);
        &sha_owned
    };
    let script_flags = match srv.script.scripts.get(sha) {
        Some(s) => s.flags,
        None if evalsha => return cmd_flags,
        None => match eval_extract_shebang_flags(body) {
            Ok((f, _)) => f,
            Err(_) => return cmd_flags,
        },
    };
    if script_flags & script::SCRIPT_FLAG_EVAL_COMPAT_MODE != 0 {
        return cmd_flags;
    }
    script::script_flags_to_cmd_flags(cmd_flags, script_flags)
}

/// A 40-byte EVALSHA argument lowercased into `buf`, as the script cache
/// keys SHA1s; None when it is not 40 bytes of UTF-8 (it names no cached
/// script then).
fn sha_lowercase<'a>(arg: &[u8], buf: &'a mut [u8; 40]) -> Option<&'a str> {
    if arg.len() != 40 {
        return None;
    }
    buf.copy_from_slice(arg);
    buf.make_ascii_lowercase();
    std::str::from_utf8(buf).ok()
}

/// EVAL script numkeys [key ...] [arg ...].
pub fn eval_command(srv: &mut Server, c: &mut Client) {
    eval_or_debug(srv, c, false);
}

/// EVAL_RO: as EVAL, but write commands are refused.
pub fn eval_ro_command(srv: &mut Server, c: &mut Client) {
    eval_or_debug(srv, c, true);
}

/// EVAL and EVAL_RO, under the debugger after SCRIPT DEBUG YES|SYNC
/// (Redis `evalGenericCommandWithDebugging`): the session ends, whatever
/// happened, when the script returns.
fn eval_or_debug(srv: &mut Server, c: &mut Client, ro: bool) {
    if c.flags & ldb::CLIENT_LUA_DEBUG == 0 {
        eval_generic_command(srv, c, false, ro);
    } else if ldb::start_session(srv, c) {
        eval_generic_command(srv, c, false, ro);
        ldb::end_session(c);
    } else {
        ldb::disable(c);
    }
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]. A client in SCRIPT DEBUG mode
/// gets `ERR Please use EVAL instead of EVALSHA for debugging`.
pub fn evalsha_command(srv: &mut Server, c: &mut Client) {
    evalsha_or_refuse(srv, c, false);
}

/// EVALSHA_RO: as EVALSHA, but write commands are refused.
pub fn evalsha_ro_command(srv: &mut Server, c: &mut Client) {
    evalsha_or_refuse(srv, c, true);
}

fn evalsha_or_refuse(srv: &mut Server, c: &mut Client, ro: bool) {
    if c.flags & ldb::CLIENT_LUA_DEBUG != 0 && c.argv[1].len() == 40 {
        crate::networking::feed_monitors(srv, c);
        c.add_reply_error("ERR Please use EVAL instead of EVALSHA for debugging");
        return;
    }
    eval_generic_command(srv, c, true, ro);
}

/// SCRIPT HELP.
pub fn script_help_command(_srv: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "SCRIPT",
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
}

/// SCRIPT FLUSH [ASYNC|SYNC] → OK: drops every cached script and the
/// interpreter (Redis `scriptingReset`). Error: `ERR SCRIPT FLUSH only
/// support SYNC|ASYNC option`.
pub fn script_flush_command(srv: &mut Server, c: &mut Client) {
    let ok = c.argv.len() == 2
        || (c.argv.len() == 3
            && (c.argv[2].eq_ignore_ascii_case(b"sync")
                || c.argv[2].eq_ignore_ascii_case(b"async")));
    if !ok {
        c.add_reply_error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        return;
    }
    srv.script.scripts.clear();
    srv.script.scripts_mem = 0;
    // A new interpreter at once, as Redis's `scriptingReset`.
    srv.script.lua = None;
    let _ = eval_lua(srv);
    c.add_reply_ok();
}

/// SCRIPT EXISTS sha1 [sha1 ...] → array of 1/0 (exact, lowercase match
/// as Redis's case-insensitive dictionary does).
pub fn script_exists_command(srv: &mut Server, c: &mut Client) {
    c.add_reply_array_len(c.argv.len() - 2);
    for j in 2..c.argv.len() {
        let sha = String::from_utf8_lossy(&c.argv[j]).to_ascii_lowercase();
        let found = srv.script.scripts.contains_key(&sha);
        c.add_reply_long_long(found as i64);
    }
}

/// SCRIPT LOAD script → the SHA1 (bulk); compile errors as EVAL's.
pub fn script_load_command(srv: &mut Server, c: &mut Client) {
    let body = c.argv[2].clone();
    if let Some(sha) = lua_create_function(srv, c, &body) {
        c.add_reply_bulk(sha.as_bytes());
    }
}

/// SCRIPT KILL: see `script::script_kill`.
pub fn script_kill_command(srv: &mut Server, c: &mut Client) {
    script::script_kill(srv, c, true);
}

/// SCRIPT DEBUG YES|SYNC|NO → OK: the client's next EVALs run under the
/// Lua debugger, forked (YES) or blocking the server (SYNC), or not (NO);
/// see `ldb.rs`. Errors: `ERR SCRIPT DEBUG must be called outside a
/// pipeline` when replies are still pending, `ERR Use SCRIPT DEBUG
/// YES/SYNC/NO`.
pub fn script_debug_command(_srv: &mut Server, c: &mut Client) {
    if c.has_pending_replies() {
        c.add_reply_error("ERR SCRIPT DEBUG must be called outside a pipeline");
        return;
    }
    let mode = &c.argv[2];
    if mode.eq_ignore_ascii_case(b"no") {
        ldb::disable(c);
    } else if mode.eq_ignore_ascii_case(b"yes") {
        ldb::enable(c, false);
    } else if mode.eq_ignore_ascii_case(b"sync") {
        ldb::enable(c, true);
    } else {
        c.add_reply_error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
        return;
    }
    c.add_reply_ok();
}

/// This module's command handlers, by command (or "parent|sub") name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("eval", eval_command),
    ("eval_ro", eval_ro_command),
    ("evalsha", evalsha_command),
    ("evalsha_ro", evalsha_ro_command),
    ("script|help", script_help_command),
    ("script|flush", script_flush_command),
    ("script|exists", script_exists_command),
    ("script|load", script_load_command),
    ("script|kill", script_kill_command),
    ("script|debug", script_debug_command),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha_argument() {
        let mut buf = [0u8; 40];
        assert_eq!(
            sha_lowercase(b"DF35263AF8B8CCB2F7F793239AB16151E414AD04", &mut buf),
            Some("df35263af8b8ccb2f7f793239ab16151e414ad04")
        );
        assert_eq!(sha_lowercase(b"abc", &mut buf), None);
        assert_eq!(sha_lowercase(&[0xff; 40], &mut buf), None);
    }

    #[test]
    fn shebang() {
        assert_eq!(
            eval_extract_shebang_flags(b"return 1"),
            Ok((SCRIPT_FLAG_EVAL_COMPAT_MODE, 0))
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!lua flags=no-writes\nreturn 1"),
            Ok((script::SCRIPT_FLAG_NO_WRITES, 21))
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!lua"),
            Err("Invalid script shebang".to_string())
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!luax\n"),
            Err("Unexpected engine in script shebang: #!luax".to_string())
        );
    }
}
