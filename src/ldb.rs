//! LDB, the Lua debugger of SCRIPT DEBUG (the "LDB" part of Redis's
//! `eval.c`), as `redis-cli --ldb` drives it.
//!
//! # How a session works
//! `SCRIPT DEBUG YES|SYNC` marks the client ([`CLIENT_LUA_DEBUG`], plus
//! [`CLIENT_LUA_DEBUG_SYNC`]); its next EVAL starts a session
//! ([`start_session`]):
//!
//! - **YES** forks. The parent closes its side of the connection and goes
//!   on serving everyone else; the child keeps the socket, runs the script
//!   under the debugger and exits, so whatever the script writes is lost
//!   with the child. The parent reaps it ([`reap_children`]) and kills any
//!   still running at shutdown ([`kill_forked_sessions`]).
//! - **SYNC** debugs in the server itself: the whole server waits while
//!   the user steps, and the script's writes stay.
//!
//! During the session the client lends its connection to the debugger,
//! switched to blocking mode (with a 5 s send timeout), which reads and
//! writes it directly: the debugger runs inside a Lua hook, deep within
//! the EVAL handler, so it cannot go back to the event loop. A line hook ([`install_hook`]) stops before a line
//! when stepping, at a breakpoint, after `redis.breakpoint()`, or when the
//! script ran past the busy threshold (5 s when that is 0) without
//! stopping; each stop sends the pending log lines and then reads debugger
//! commands ([`repl`]) until one (step, continue) lets the script go on.
//!
//! Everything the debugger says is a log line, sent as an array of status
//! replies (`*<n>` then `+<line>` each, CR and LF inside a line turned to
//! spaces). When EVAL returns, `<endsession>` is sent, the client gets
//! EVAL's own reply and is disconnected (the child just exits after
//! writing it).
//!
//! # Why a thread-local
//! The hook, `redis.breakpoint()`, `redis.debug()` and the logging in
//! `redis.call` all need the session while the server and the caller are
//! lent to the running script; like Redis's global `ldb`, the state lives
//! beside them ([`LDB`]), borrowed briefly and never across a call into Lua.

use std::cell::RefCell;
use std::time::Instant;

use mlua::{Lua, Value};

use crate::networking::{CLIENT_CLOSE_AFTER_REPLY, Client, Conn};
use crate::server::Server;

/// The client debugs its scripts (Redis `CLIENT_LUA_DEBUG`).
pub const CLIENT_LUA_DEBUG: u64 = 1 << 40;
/// … synchronously, in the server itself (Redis `CLIENT_LUA_DEBUG_SYNC`).
pub const CLIENT_LUA_DEBUG_SYNC: u64 = 1 << 41;

/// Most breakpoints at once (Redis `LDB_BREAKPOINTS_MAX`).
const BREAKPOINTS_MAX: usize = 64;
/// Default trimming of logged replies and values, bytes (Redis
/// `LDB_MAX_LEN_DEFAULT`).
const MAX_LEN_DEFAULT: usize = 256;
/// Nesting shown when printing tables (Redis `LDB_MAX_VALUES_DEPTH`,
/// LUA_MINSTACK / 2).
const MAX_VALUES_DEPTH: usize = 10;
/// A debugger command buffer past this many bytes ends the script.
const MAX_CBUF: usize = 1 << 20;

/// Blocking I/O on the debugging client's connection, which the session
/// holds while it runs (Redis's `connBlock` / `connRead` / `connWrite`).
trait SessionIo {
    /// Blocking with a 5 s send timeout for the session, or back to the
    /// event loop's non-blocking mode.
    fn set_session_mode(&mut self, on: bool);
    /// Reads what is there, waiting for at least one byte; 0 at EOF or on
    /// an error.
    fn read_some(&mut self, buf: &mut [u8]) -> usize;
    /// Writes all of `buf` (errors are left to the next read).
    fn write_all(&mut self, buf: &[u8]);
}

impl SessionIo for Conn {
    fn set_session_mode(&mut self, on: bool) {
        let timeout = on.then(|| std::time::Duration::from_millis(5000));
        let sock = match self {
            Conn::Tcp(s) => socket2::SockRef::from(&*s),
            Conn::Unix(s) => socket2::SockRef::from(&*s),
            Conn::Tls(t) => {
                t.set_blocking(on);
                socket2::SockRef::from(t.socket_ref())
            }
        };
        let _ = sock.set_nonblocking(!on);
        let _ = sock.set_write_timeout(timeout);
    }
    fn read_some(&mut self, buf: &mut [u8]) -> usize {
        loop {
            match self.read(buf) {
                Ok(n) => return n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return 0,
            }
        }
    }
    fn write_all(&mut self, mut buf: &[u8]) {
        while !buf.is_empty() {
            match self.write_vectored(&[std::io::IoSlice::new(buf)]) {
                Ok(0) => return,
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

/// The debugger's state (Redis's `struct ldbState`).
pub struct Ldb {
    /// The debugging client's connection, lent by the client while a
    /// session is active.
    conn: Option<Conn>,
    /// A session is running (Redis `ldb.active`).
    pub active: bool,
    /// The session runs in a forked child.
    forked: bool,
    /// Log lines not sent yet.
    logs: Vec<Vec<u8>>,
    /// Pids of forked sessions not reaped yet.
    children: Vec<i32>,
    /// Breakpoint lines, in the order they were set.
    bp: Vec<i64>,
    /// Stop before the next line whatever the breakpoints.
    step: bool,
    /// `redis.breakpoint()` asked to stop before the next line.
    luabp: bool,
    /// The script's source, one entry per line.
    src: Vec<Vec<u8>>,
    /// The line about to run.
    currentline: i64,
    /// Debugger command bytes read and not parsed yet.
    cbuf: Vec<u8>,
    /// Trim logged replies and values to this many bytes (0: never).
    maxlen: usize,
    /// The "reply was trimmed" hint was given already.
    maxlen_hint_sent: bool,
    /// When the script last resumed (for the infinite-loop stop).
    resumed: Instant,
    /// `busy-reply-threshold` at session start, ms (5000 when 0).
    time_limit_ms: u128,
    /// The environment debugger `eval` code runs in (the script's).
    env: Option<mlua::Table>,
}

thread_local! {
    /// The one debugger of the process (Redis's global `ldb`).
    static LDB: RefCell<Ldb> = RefCell::new(Ldb {
        conn: None,
        active: false,
        forked: false,
        logs: Vec::new(),
        children: Vec::new(),
        bp: Vec::new(),
        step: false,
        luabp: false,
        src: Vec::new(),
        currentline: 0,
        cbuf: Vec::new(),
        maxlen: MAX_LEN_DEFAULT,
        maxlen_hint_sent: false,
        resumed: Instant::now(),
        time_limit_ms: 5000,
        env: None,
    });
}

fn with<R>(f: impl FnOnce(&mut Ldb) -> R) -> R {
    LDB.with(|l| f(&mut l.borrow_mut()))
}

/// A session is running (Redis `ldb.active`).
pub fn is_active() -> bool {
    with(|l| l.active)
}

/// A session is running and stepping: `redis.call` logs the commands it
/// runs and their replies (Redis `ldbIsEnabled`).
pub fn is_logging() -> bool {
    with(|l| l.active && l.step)
}

/// Appends one log line (Redis `ldbLog`).
pub fn log(line: impl Into<Vec<u8>>) {
    let line = line.into();
    with(|l| l.logs.push(line));
}

/// Appends a log line trimmed to `maxlen` bytes with " ..." (Redis
/// `ldbLogWithMaxLen`); the first trimming adds a hint about `maxlen 0`.
fn log_with_max_len(mut line: Vec<u8>) {
    with(|l| {
        let mut trimmed = false;
        if l.maxlen != 0 && line.len() > l.maxlen {
            line.truncate(l.maxlen);
            line.extend_from_slice(b" ...");
            trimmed = true;
        }
        l.logs.push(line);
        if trimmed && !l.maxlen_hint_sent {
            l.maxlen_hint_sent = true;
            l.logs.push(
                b"<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.".to_vec(),
            );
        }
    })
}

/// Sends the pending log lines as an array of status replies and empties
/// the log (Redis `ldbSendLogs`). Write errors are left to the next read.
fn send_logs() {
    with(|l| {
        let mut proto = format!("*{}\r\n", l.logs.len()).into_bytes();
        for line in l.logs.drain(..) {
            proto.push(b'+');
            proto.extend(
                line.iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            proto.extend_from_slice(b"\r\n");
        }
        if let Some(conn) = l.conn.as_mut() {
            conn.write_all(&proto);
        }
    })
}

// ---- Sessions ----

/// SCRIPT DEBUG YES / SYNC: the client's next EVALs run under the
/// debugger (Redis `ldbEnable`): empties the log and the breakpoints,
/// steps from the first line, trims at 256 bytes.
pub fn enable(c: &mut Client, sync: bool) {
    c.flags |= CLIENT_LUA_DEBUG;
    if sync {
        c.flags |= CLIENT_LUA_DEBUG_SYNC;
    }
    with(|l| {
        l.logs.clear();
        l.step = true;
        l.bp.clear();
        l.luabp = false;
        l.cbuf.clear();
        l.maxlen = MAX_LEN_DEFAULT;
        l.maxlen_hint_sent = false;
    });
}

/// SCRIPT DEBUG NO, or a session that could not start (Redis `ldbDisable`).
pub fn disable(c: &mut Client) {
    c.flags &= !(CLIENT_LUA_DEBUG | CLIENT_LUA_DEBUG_SYNC);
}

/// Starts a session for `c`'s EVAL (Redis `ldbStartSession`). True when
/// the caller should run the script now (sync mode, or the forked child);
/// false when it must not: in the parent of a forked session (the client
/// is closed here, the child serves it), or when the fork failed (the
/// error `Fork() failed: can't run EVAL in debugging mode: <reason>` was
/// replied).
pub fn start_session(srv: &mut Server, c: &mut Client) -> bool {
    let forked = c.flags & CLIENT_LUA_DEBUG_SYNC == 0;
    if forked {
        match crate::childinfo::fork_ldb_child() {
            Err(e) => {
                c.add_reply_error(&format!(
                    "ERR Fork() failed: can't run EVAL in debugging mode: {}",
                    crate::config::strerror(&e)
                ));
                return false;
            }
            Ok(0) => {
                tracing::warn!("Redis forked for debugging eval");
            }
            Ok(pid) => {
                with(|l| l.children.push(pid));
                // The child owns the session now: the parent lets go of
                // the connection without a word (no TLS close alert).
                if let Some(conn) = c.conn.take() {
                    let mut conn = conn;
                    conn.deregister(srv.el.registry());
                }
                srv.close_client_asap(c);
                return false;
            }
        }
    } else {
        tracing::warn!("Redis synchronous debugging eval session started");
    }
    let Some(mut conn) = c.conn.take() else {
        return false;
    };
    conn.set_session_mode(true);
    // The source, without trailing newlines, split into lines.
    let mut body: &[u8] = &c.argv[1];
    while let Some((&last, rest)) = body.split_last() {
        if last != b'\n' && last != b'\r' {
            break;
        }
        body = rest;
    }
    let src = body.split(|&b| b == b'\n').map(|l| l.to_vec()).collect();
    let limit = srv.config.busy_reply_threshold;
    with(|l| {
        l.conn = Some(conn);
        l.forked = forked;
        l.active = true;
        l.src = src;
        l.resumed = Instant::now();
        l.time_limit_ms = if limit > 0 { limit as u128 } else { 5000 };
    });
    true
}

/// Ends the session after EVAL returned (Redis `ldbEndSession`): sends
/// the remaining log and `<endsession>`. A forked child then writes the
/// client's reply and exits; in sync mode the socket goes back to the
/// event loop and the client is closed once its reply is written.
pub fn end_session(c: &mut Client) {
    log("<endsession>");
    send_logs();
    let (forked, conn) = with(|l| {
        l.active = false;
        l.src.clear();
        l.env = None;
        (l.forked, l.conn.take())
    });
    let Some(mut conn) = conn else { return };
    conn.set_session_mode(false);
    if forked {
        let mut pending = Vec::new();
        for (i, chunk) in c.reply.iter().enumerate() {
            let from = if i == 0 {
                c.sentlen.min(chunk.len())
            } else {
                0
            };
            pending.extend_from_slice(&chunk[from..]);
        }
        conn.set_session_mode(true);
        conn.write_all(&pending);
        tracing::warn!("Lua debugging session child exiting");
        crate::childinfo::exit_from_child(0);
    }
    tracing::warn!("Redis synchronous debugging eval session ended");
    c.conn = Some(conn);
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/// Reaps forked sessions that ended (the `ldbRemoveChild` side of Redis's
/// `checkChildrenDone`). Called from the cron.
pub fn reap_children() {
    with(|l| {
        l.children.retain(|&pid| !crate::childinfo::try_reap(pid));
    })
}

/// Forked sessions still running (Redis `ldbPendingChildren`).
pub fn pending_children() -> usize {
    with(|l| l.children.len())
}

/// Kills every forked session (Redis `ldbKillForkedSessions`, at shutdown).
pub fn kill_forked_sessions() {
    let pids = with(|l| std::mem::take(&mut l.children));
    for pid in pids {
        tracing::warn!("Killing debugging session {}", pid);
        crate::childinfo::kill_ldb_child(pid);
    }
}

// ---- The Lua side ----

/// Makes `env` the environment of debugger `eval` code (the script's).
pub fn set_env(env: mlua::Table) {
    with(|l| l.env = Some(env));
}

/// Installs the debugger's hook on `lua` for a session run: every line,
/// and every 100000 instructions for the infinite-loop stop (Redis
/// `luaLdbLineHook`). The caller puts the busy hook back afterwards.
pub fn install_hook(lua: &Lua) -> mlua::Result<()> {
    let triggers = mlua::HookTriggers {
        every_line: true,
        every_nth_instruction: Some(crate::script_lua::HOOK_PERIOD),
        ..Default::default()
    };
    lua.set_hook(triggers, line_hook)
}

fn line_hook(lua: &Lua, ar: &mlua::debug::Debug) -> mlua::Result<mlua::VmState> {
    let line = ar.current_line().map_or(-1, |l| l as i64);
    let in_script = ar
        .source()
        .short_src
        .is_some_and(|s| s.contains("user_script"));
    let is_count = matches!(ar.event(), mlua::debug::DebugEvent::Count);
    let stop = with(|l| {
        l.currentline = line;
        if !in_script {
            return None;
        }
        let bp = l.bp.contains(&line) || l.luabp;
        let mut timeout = false;
        if is_count && !l.step && !bp {
            if l.resumed.elapsed().as_millis() >= l.time_limit_ms {
                timeout = true;
                l.step = true;
            } else {
                return None;
            }
        }
        if !(l.step || bp) {
            return None;
        }
        let reason = if bp {
            if l.luabp {
                "redis.breakpoint() called"
            } else {
                "break point"
            }
        } else if timeout {
            "timeout reached, infinite loop?"
        } else {
            "step over"
        };
        l.step = false;
        l.luabp = false;
        l.logs
            .push(format!("* Stopped at {}, stop reason = {}", line, reason).into_bytes());
        Some(timeout)
    });
    let Some(timeout) = stop else {
        return Ok(mlua::VmState::Continue);
    };
    log_source_line(line);
    send_logs();
    let res = repl(lua);
    with(|l| l.resumed = Instant::now());
    match res {
        Err(e) => Err(e),
        Ok(false) if timeout => Err(raise(
            "timeout during Lua debugging with client closing connection",
        )),
        Ok(_) => Ok(mlua::VmState::Continue),
    }
}

/// An error the script raises; the run's message handler makes it
/// `{err="ERR <msg>"}` (Redis `luaPushError` + `luaError`).
fn raise(msg: &str) -> mlua::Error {
    mlua::Error::runtime(msg)
}

/// One parsed debugger command, or what to do instead.
enum Parsed {
    Cmd(Vec<Vec<u8>>),
    NeedMore,
    ProtocolError,
}

/// Parses one multibulk command from the start of `buf` (Redis
/// `ldbReplParseCommand`, forgiving as it is): `*<1..1024>` then bulks of
/// 1 to 1024 bytes.
fn parse_command(buf: &[u8]) -> Parsed {
    fn find_crlf(b: &[u8], from: usize) -> Option<usize> {
        b.get(from..)?
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| p + from)
    }
    fn atoi(b: &[u8]) -> i64 {
        let s = std::str::from_utf8(b).unwrap_or("");
        let s = s.trim_start();
        let end = s
            .char_indices()
            .take_while(|&(i, ch)| ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+')))
            .count();
        s[..end].parse::<i64>().unwrap_or(0)
    }
    if buf.is_empty() {
        return Parsed::NeedMore;
    }
    let Some(star) = buf.iter().position(|&b| b == b'*') else {
        return Parsed::ProtocolError;
    };
    let Some(eol) = find_crlf(buf, star) else {
        return Parsed::NeedMore;
    };
    let argc = atoi(&buf[star + 1..eol]);
    if argc <= 0 || argc > 1024 {
        return Parsed::ProtocolError;
    }
    let mut p = eol + 2;
    let mut argv = Vec::with_capacity(argc as usize);
    while (argv.len() as i64) < argc {
        if p >= buf.len() {
            return Parsed::NeedMore;
        }
        if buf[p] != b'$' {
            return Parsed::ProtocolError;
        }
        let Some(eol) = find_crlf(buf, p) else {
            return Parsed::NeedMore;
        };
        let len = atoi(&buf[p + 1..eol]);
        if len <= 0 || len > 1024 {
            return Parsed::ProtocolError;
        }
        let start = eol + 2;
        let end = start + len as usize;
        if end + 2 > buf.len() {
            return Parsed::NeedMore;
        }
        argv.push(buf[start..end].to_vec());
        if &buf[end..end + 2] != b"\r\n" {
            return Parsed::ProtocolError;
        }
        p = end + 2;
    }
    Parsed::Cmd(argv)
}

/// Reads and runs debugger commands until one lets the script go on
/// (Redis `ldbRepl`). Ok(true): go on; Ok(false): the client went away
/// (the script then runs to its end without stopping); Err: the script
/// must stop with that error (abort, protocol error, oversized input).
fn repl(lua: &Lua) -> mlua::Result<bool> {
    loop {
        let argv = loop {
            let parsed = with(|l| parse_command(&l.cbuf));
            match parsed {
                Parsed::Cmd(argv) => break argv,
                Parsed::ProtocolError => return Err(raise("protocol error")),
                Parsed::NeedMore => {}
            }
            let mut buf = [0u8; 1024];
            let n = with(|l| match l.conn.as_mut() {
                Some(c) => c.read_some(&mut buf),
                None => 0,
            });
            if n == 0 {
                with(|l| {
                    l.step = false;
                    l.bp.clear();
                });
                return Ok(false);
            }
            let overflow = with(|l| {
                l.cbuf.extend_from_slice(&buf[..n]);
                if l.cbuf.len() > MAX_CBUF {
                    l.cbuf.clear();
                    true
                } else {
                    false
                }
            });
            if overflow {
                return Err(raise("max client buffer reached"));
            }
        };
        with(|l| l.cbuf.clear());
        let name = argv[0].to_ascii_lowercase();
        match name.as_slice() {
            b"h" | b"help" => {
                for line in HELP {
                    log(*line);
                }
            }
            b"s" | b"step" | b"n" | b"next" => {
                with(|l| l.step = true);
                return Ok(true);
            }
            b"c" | b"continue" => return Ok(true),
            b"t" | b"trace" => trace(lua),
            b"m" | b"maxlen" => maxlen(&argv),
            b"b" | b"break" => breakpoints(&argv),
            b"e" | b"eval" => eval(lua, &argv),
            b"a" | b"abort" => return Err(raise("script aborted for user request")),
            b"r" | b"redis" if argv.len() > 1 => redis(lua, &argv),
            b"p" | b"print" => {
                if argv.len() == 2 {
                    print_var(lua, &argv[1]);
                } else {
                    print_all(lua);
                }
            }
            b"l" | b"list" => {
                let mut around = with(|l| l.currentline);
                let mut ctx = 5;
                if let Some(a) = argv.get(1) {
                    let n = crate::util::atoll(a);
                    if n > 0 {
                        around = n;
                    }
                }
                if let Some(a) = argv.get(2) {
                    ctx = crate::util::atoll(a);
                }
                list(around, ctx);
            }
            b"w" | b"whole" => list(1, 1_000_000),
            _ => log("<error> Unknown Redis Lua debugger command or wrong number of arguments."),
        }
        send_logs();
    }
}

/// The debugger's `help` text (Redis's, line for line).
const HELP: &[&str] = &[
    "Redis Lua debugger help:",
    "[h]elp               Show this help.",
    "[s]tep               Run current line and stop again.",
    "[n]ext               Alias for step.",
    "[c]ontinue           Run till next breakpoint.",
    "[l]ist               List source code around current line.",
    "[l]ist [line]        List source code around [line].",
    "                     line = 0 means: current position.",
    "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
    "                     to show before/after [line].",
    "[w]hole              List all source code. Alias for 'list 1 1000000'.",
    "[p]rint              Show all the local variables.",
    "[p]rint <var>        Show the value of the specified variable.",
    "                     Can also show global vars KEYS and ARGV.",
    "[b]reak              Show all breakpoints.",
    "[b]reak <line>       Add a breakpoint to the specified line.",
    "[b]reak -<line>      Remove breakpoint from the specified line.",
    "[b]reak 0            Remove all breakpoints.",
    "[t]race              Show a backtrace.",
    "[e]val <code>        Execute some Lua code (in a different callframe).",
    "[r]edis <cmd>        Execute a Redis command.",
    "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
    "                     Specifying zero as <len> means unlimited.",
    "[a]bort              Stop the execution of the script. In sync",
    "                     mode dataset changes will be retained.",
    "",
    "Debugger functions you can call from Lua scripts:",
    "redis.debug()        Produce logs in the debugger console.",
    "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
    "                     next line of code.",
];

// ---- Debugger commands ----

/// Logs source line `lnum` with its markers: `->` the current line, `#` a
/// breakpoint (Redis `ldbLogSourceLine`).
fn log_source_line(lnum: i64) {
    with(|l| {
        let text: &[u8] = if lnum >= 1 && (lnum as usize) <= l.src.len() {
            &l.src[lnum as usize - 1]
        } else {
            b"<out of range source code line>"
        };
        let bp = l.bp.contains(&lnum);
        let current = l.currentline == lnum;
        let prefix = match (current, bp) {
            (true, true) => "->#",
            (true, false) => "-> ",
            (false, true) => "  #",
            (false, false) => "   ",
        };
        let mut line = format!("{}{:<3} ", prefix, lnum).into_bytes();
        line.extend_from_slice(text);
        l.logs.push(line);
    })
}

/// `list`: every line within `context` of `around`, or all when `around`
/// is 0 (Redis `ldbList`).
fn list(around: i64, context: i64) {
    let lines = with(|l| l.src.len() as i64);
    for j in 1..=lines {
        if around != 0 && (around - j).abs() > context {
            continue;
        }
        log_source_line(j);
    }
}

/// `break`: list, add (`<line>`), remove (`-<line>`) or clear (`0`)
/// breakpoints (Redis `ldbBreak`).
fn breakpoints(argv: &[Vec<u8>]) {
    if argv.len() == 1 {
        let bps = with(|l| l.bp.clone());
        if bps.is_empty() {
            log("No breakpoints set. Use 'b <line>' to add one.");
        } else {
            log(format!("{} breakpoints set:", bps.len()));
            for b in bps {
                log_source_line(b);
            }
        }
        return;
    }
    for arg in &argv[1..] {
        let Some(line) = crate::util::string2ll(arg) else {
            let mut m = b"Invalid argument:'".to_vec();
            m.extend_from_slice(arg);
            m.push(b'\'');
            log(m);
            continue;
        };
        if line == 0 {
            with(|l| l.bp.clear());
            log("All breakpoints removed.");
        } else if line > 0 {
            let added = with(|l| {
                if l.bp.len() == BREAKPOINTS_MAX {
                    return None;
                }
                if line > l.src.len() as i64 || l.bp.contains(&line) {
                    return Some(false);
                }
                l.bp.push(line);
                Some(true)
            });
            match added {
                None => log("Too many breakpoints set."),
                Some(true) => list(line, 1),
                Some(false) => log("Wrong line number."),
            }
        } else {
            let removed = with(|l| match l.bp.iter().position(|&b| b == -line) {
                Some(i) => {
                    l.bp.remove(i);
                    true
                }
                None => false,
            });
            log(if removed {
                "Breakpoint removed."
            } else {
                "No breakpoint in the specified line."
            });
        }
    }
}

/// `maxlen [len]`: shows or sets the trimming length; lengths 1 to 60
/// become 60 (Redis `ldbMaxlen`).
fn maxlen(argv: &[Vec<u8>]) {
    let v = with(|l| {
        if argv.len() == 2 {
            let mut n = crate::util::atoll(&argv[1]);
            l.maxlen_hint_sent = true;
            if n != 0 && n <= 60 {
                n = 60;
            }
            l.maxlen = n.max(0) as usize;
        }
        l.maxlen
    });
    if v != 0 {
        log(format!("<value> replies are truncated at {} bytes.", v));
    } else {
        log("<value> replies are unlimited.");
    }
}

/// The text of a Lua error value.
fn error_text(e: &mlua::Error) -> String {
    let s = match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => return error_text(cause),
        other => other.to_string(),
    };
    match s.find("\nstack traceback:") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `eval <code>`: runs the words joined by spaces as `return <code>`, else
/// as a statement, in the script's environment, and logs `<retval> ...` or
/// `<error> ...` (Redis `ldbEval`).
fn eval(lua: &Lua, argv: &[Vec<u8>]) {
    let code = argv[1..].join(&b' ');
    let mut expr = b"return ".to_vec();
    expr.extend_from_slice(&code);
    let env = with(|l| l.env.clone());
    let load = |src: &[u8]| {
        let chunk = lua.load(src.to_vec()).set_name("@ldb_eval");
        let chunk = match &env {
            Some(e) => chunk.set_environment(e.clone()),
            None => chunk,
        };
        chunk.into_function()
    };
    let f = match load(&expr).or_else(|_| load(&code)) {
        Ok(f) => f,
        Err(e) => {
            log(format!("<error> {}", error_text(&e)));
            return;
        }
    };
    match f.call::<Value>(()) {
        Ok(v) => log_value(b"<retval> ", &v),
        Err(e) => log(format!("<error> {}", error_text(&e))),
    }
}

/// `redis <cmd> ...`: runs the command through `redis.call` with logging
/// on, so the command and its reply are logged (Redis `ldbRedis`).
fn redis(lua: &Lua, argv: &[Vec<u8>]) {
    let env = with(|l| l.env.clone());
    let call = env
        .and_then(|e| e.get::<mlua::Table>("redis").ok())
        .and_then(|r| r.get::<mlua::Function>("call").ok());
    let Some(call) = call else {
        log_with_max_len(b"<reply> max lua stack reached".to_vec());
        return;
    };
    let mut args = Vec::with_capacity(argv.len() - 1);
    for a in &argv[1..] {
        match lua.create_string(a) {
            Ok(s) => args.push(Value::String(s)),
            Err(_) => return,
        }
    }
    with(|l| l.step = true);
    let _ = call.call::<Value>(mlua::MultiValue::from_iter(args));
    with(|l| l.step = false);
}

/// `trace`: the frames of the script from the current one outwards
/// (Redis `ldbTrace`).
fn trace(lua: &Lua) {
    let mut level = 0;
    while let Some((src, name, line)) = lua.inspect_stack(level, |ar| {
        (
            ar.source().short_src.map(|s| s.to_string()),
            ar.names().name.map(|s| s.to_string()),
            ar.current_line().map_or(-1, |l| l as i64),
        )
    }) {
        if src.is_some_and(|s| s.contains("user_script")) {
            log(format!(
                "{} {}:",
                if level == 0 { "In" } else { "From" },
                name.as_deref().unwrap_or("top level")
            ));
            log_source_line(line);
        }
        level += 1;
    }
    if level == 0 {
        log("<error> Can't retrieve Lua stack.");
    }
}

/// `print <var>`: the first local named `var` from the current frame
/// outwards, else the globals KEYS and ARGV (Redis `ldbPrint`).
fn print_var(lua: &Lua, var: &[u8]) {
    let mut level = 0;
    while let Some(locals) = frame_locals(lua, level) {
        if let Some((_, v)) = locals.iter().find(|(n, _)| n.as_slice() == var) {
            log_value(b"<value> ", v);
            return;
        }
        level += 1;
    }
    if var == b"ARGV" || var == b"KEYS" {
        let v = with(|l| l.env.clone())
            .and_then(|e| e.get::<Value>(String::from_utf8_lossy(var).as_ref()).ok())
            .unwrap_or(Value::Nil);
        log_value(b"<value> ", &v);
    } else {
        log("No such variable.");
    }
}

/// `print`: every local of the current frame (Redis `ldbPrintAll`).
fn print_all(lua: &Lua) {
    let mut vars = 0;
    for (name, v) in frame_locals(lua, 0).unwrap_or_default() {
        if name.windows(12).any(|w| w == b"(*temporary)") {
            continue;
        }
        let mut prefix = b"<value> ".to_vec();
        prefix.extend_from_slice(&name);
        prefix.extend_from_slice(b" = ");
        log_value(&prefix, &v);
        vars += 1;
    }
    if vars == 0 {
        log("No local variables in the current context.");
    }
}

/// The local variables (name, value) of Lua frame `level` (0: the
/// function the hook stopped), or None past the outermost frame.
#[allow(unsafe_code)]
fn frame_locals(lua: &Lua, level: i32) -> Option<Vec<(Vec<u8>, Value)>> {
    use mlua::ffi;
    // SAFETY: `exec_raw` runs the closure in a protected call on this
    // state with a guarded stack; it only reads the call stack with
    // lua_getstack/lua_getlocal (level + 1: the protected call's own C
    // frame is level 0), checks stack room before each push, and leaves on
    // the stack exactly the values it returns (a found-flag, then name and
    // value pairs), which mlua converts.
    let vals: mlua::MultiValue = unsafe {
        lua.exec_raw((), |state| {
            let mut ar: ffi::lua_Debug = std::mem::zeroed();
            if ffi::lua_getstack(state, level + 1, &mut ar) == 0 {
                ffi::lua_pushboolean(state, 0);
                return;
            }
            ffi::lua_pushboolean(state, 1);
            let mut i = 1;
            while ffi::lua_checkstack(state, 3) != 0 {
                let name = ffi::lua_getlocal(state, &ar, i);
                if name.is_null() {
                    break;
                }
                ffi::lua_pushstring(state, name);
                ffi::lua_insert(state, -2);
                i += 1;
            }
        })
    }
    .ok()?;
    let mut it = vals.into_iter();
    if !matches!(it.next(), Some(Value::Boolean(true))) {
        return None;
    }
    let mut out = Vec::new();
    while let (Some(Value::String(n)), Some(v)) = (it.next(), it.next()) {
        out.push((n.as_bytes().to_vec(), v));
    }
    Some(out)
}

/// Logs `prefix` and a rendering of `v`, trimmed (Redis
/// `ldbLogStackValue`).
fn log_value(prefix: &[u8], v: &Value) {
    let mut s = prefix.to_vec();
    cat_value(&mut s, v, 0);
    log_with_max_len(s);
}

/// Appends a readable rendering of a Lua value (Redis
/// `ldbCatStackValueRec`): strings quoted and escaped, numbers as `%g`,
/// arrays as `{a; b}`, other tables as `{[k]=v; ...}`, functions and the
/// like as `"function@0x..."`.
fn cat_value(s: &mut Vec<u8>, v: &Value, level: usize) {
    if level == MAX_VALUES_DEPTH {
        s.extend_from_slice(b"<max recursion level reached! Nested table?>");
        return;
    }
    let level = level + 1;
    match v {
        Value::String(st) => s.extend_from_slice(crate::config::repr(&st.as_bytes()).as_bytes()),
        Value::Boolean(b) => s.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(i) => s.extend_from_slice(crate::util::fmt_g(*i as f64, 6).as_bytes()),
        Value::Number(n) => s.extend_from_slice(crate::util::fmt_g(*n, 6).as_bytes()),
        Value::Nil => s.extend_from_slice(b"nil"),
        Value::Table(t) => {
            let mut expected = 1.0;
            let mut is_array = true;
            let mut repr1 = Vec::new();
            let mut repr2 = Vec::new();
            for (k, val) in t.pairs::<Value, Value>().flatten() {
                let kn = match &k {
                    Value::Integer(i) => Some(*i as f64),
                    Value::Number(n) => Some(*n),
                    _ => None,
                };
                if is_array && kn != Some(expected) {
                    is_array = false;
                }
                cat_value(&mut repr1, &val, level);
                repr1.extend_from_slice(b"; ");
                repr2.push(b'[');
                cat_value(&mut repr2, &k, level);
                repr2.extend_from_slice(b"]=");
                cat_value(&mut repr2, &val, level);
                repr2.extend_from_slice(b"; ");
                expected += 1.0;
            }
            repr1.truncate(repr1.len().saturating_sub(2));
            repr2.truncate(repr2.len().saturating_sub(2));
            s.push(b'{');
            s.extend_from_slice(if is_array { &repr1 } else { &repr2 });
            s.push(b'}');
        }
        other => {
            let kind = match other {
                Value::Function(_) => "function",
                Value::UserData(_) => "userdata",
                Value::Thread(_) => "thread",
                Value::LightUserData(_) => "light-userdata",
                _ => {
                    s.extend_from_slice(b"\"<unknown-lua-type>\"");
                    return;
                }
            };
            s.extend_from_slice(format!("\"{}@{:p}\"", kind, other.to_pointer()).as_bytes());
        }
    }
}

/// `redis.debug(...)`: logs `<debug> line <n>: ` and the arguments
/// rendered and joined by ", ", during a session (Redis
/// `luaRedisDebugCommand`); nothing otherwise.
pub fn redis_debug(args: &mlua::MultiValue) {
    if !is_active() {
        return;
    }
    let mut s = format!("<debug> line {}: ", with(|l| l.currentline)).into_bytes();
    for (i, v) in args.iter().enumerate() {
        if i != 0 {
            s.extend_from_slice(b", ");
        }
        cat_value(&mut s, v, 0);
    }
    log(s);
}

/// `redis.breakpoint()`: during a session, stop before the next line and
/// return true; false otherwise (Redis `luaRedisBreakpointCommand`).
pub fn redis_breakpoint() -> bool {
    with(|l| {
        if l.active {
            l.luabp = true;
        }
        l.active
    })
}

/// Logs a command run by `redis.call` while stepping: `<redis> cmd args`,
/// at most ten words then `... (<n> more)` (Redis `luaRedisGenericCommand`).
pub fn log_redis_command(argv: &[bytes::Bytes]) {
    let mut s = b"<redis>".to_vec();
    for (j, a) in argv.iter().enumerate() {
        if j == 10 {
            s.extend_from_slice(format!(" ... ({} more)", argv.len() - j - 1).as_bytes());
            break;
        }
        s.push(b' ');
        s.extend_from_slice(a);
    }
    log(s);
}

/// Logs an error raised for a `redis.call` while stepping: `<error> msg`
/// (Redis `luaPushErrorBuff`).
pub fn log_error(msg: &str) {
    log(format!("<error> {}", msg));
}

/// Logs a reply while stepping: `<reply> ` and the RESP bytes in readable
/// form, trimmed (Redis `ldbLogRedisReply`); an error reply is logged
/// first as `<error> -ERR ...`, as Redis's error conversion does.
pub fn log_reply(reply: &[u8]) {
    // An error reply is also logged as the error the script sees.
    if reply.first() == Some(&b'-') {
        let end = reply
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(reply.len());
        let mut e = b"<error> ".to_vec();
        e.extend_from_slice(&reply[..end]);
        log(e);
    }
    let mut s = b"<reply> ".to_vec();
    protocol_to_human(&mut s, reply);
    log_with_max_len(s);
}

/// Appends the first RESP value of `reply` in readable form and returns
/// the bytes it took (Redis `ldbRedisProtocolToHuman`): integers as they
/// are, bulks quoted (`NULL` for nil), status and errors quoted with their
/// `+`/`-`, arrays `[a,b]`, sets `~(a,b)`, maps `{k => v,...}`, RESP3 null
/// `(null)`, booleans `#true`/`#false`, doubles `(double) <x>`.
fn protocol_to_human(o: &mut Vec<u8>, reply: &[u8]) -> usize {
    let Some(&t) = reply.first() else { return 0 };
    let Some(eol) = reply.windows(2).position(|w| w == b"\r\n") else {
        return reply.len();
    };
    let head = &reply[1..eol];
    let after = eol + 2;
    let n = crate::util::string2ll(head).unwrap_or(0);
    match t {
        b':' => {
            o.extend_from_slice(head);
            after
        }
        b'$' => {
            if n < 0 {
                o.extend_from_slice(b"NULL");
                return after;
            }
            let end = (after + n as usize).min(reply.len());
            o.extend_from_slice(crate::config::repr(&reply[after..end]).as_bytes());
            (end + 2).min(reply.len())
        }
        b'+' | b'-' => {
            o.extend_from_slice(crate::config::repr(&reply[..eol]).as_bytes());
            after
        }
        b'*' | b'~' | b'%' => {
            if t == b'*' && n < 0 {
                o.extend_from_slice(b"NULL");
                return after;
            }
            let (open, close): (&[u8], &[u8]) = match t {
                b'*' => (b"[", b"]"),
                b'~' => (b"~(", b")"),
                _ => (b"{", b"}"),
            };
            o.extend_from_slice(open);
            let mut p = after;
            for j in 0..n.max(0) {
                p += protocol_to_human(o, &reply[p.min(reply.len())..]);
                if t == b'%' {
                    o.extend_from_slice(b" => ");
                    p += protocol_to_human(o, &reply[p.min(reply.len())..]);
                }
                if j != n - 1 {
                    o.push(b',');
                }
            }
            o.extend_from_slice(close);
            p
        }
        b'_' => {
            o.extend_from_slice(b"(null)");
            after
        }
        b'#' => {
            o.extend_from_slice(if head.first() == Some(&b't') {
                b"#true"
            } else {
                b"#false"
            });
            after
        }
        b',' => {
            o.extend_from_slice(b"(double) ");
            o.extend_from_slice(head);
            after
        }
        _ => after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_as_redis_forgives() {
        assert!(matches!(parse_command(b""), Parsed::NeedMore));
        assert!(matches!(parse_command(b"*1\r\n$4\r\nst"), Parsed::NeedMore));
        assert!(matches!(parse_command(b"hello"), Parsed::ProtocolError));
        assert!(matches!(parse_command(b"*0\r\n"), Parsed::ProtocolError));
        assert!(matches!(
            parse_command(b"*1\r\n$0\r\n\r\n"),
            Parsed::ProtocolError
        ));
        assert!(matches!(
            parse_command(b"*1\r\n:1\r\n"),
            Parsed::ProtocolError
        ));
        match parse_command(b"junk*2\r\n$1\r\nb\r\n$2\r\n10\r\n") {
            Parsed::Cmd(a) => assert_eq!(a, vec![b"b".to_vec(), b"10".to_vec()]),
            _ => panic!("not parsed"),
        }
    }

    #[test]
    fn replies_in_readable_form() {
        let human = |r: &[u8]| {
            let mut o = Vec::new();
            let n = protocol_to_human(&mut o, r);
            (String::from_utf8(o).unwrap(), n)
        };
        assert_eq!(human(b":12\r\n"), ("12".into(), 5));
        assert_eq!(human(b"$-1\r\n"), ("NULL".into(), 5));
        assert_eq!(human(b"$3\r\na\nb\r\n"), ("\"a\\nb\"".into(), 9));
        assert_eq!(human(b"+OK\r\n"), ("\"+OK\"".into(), 5));
        assert_eq!(
            human(b"*3\r\n:1\r\n$1\r\nx\r\n*0\r\n"),
            ("[1,\"x\",[]]".into(), 19)
        );
        assert_eq!(
            human(b"%1\r\n+a\r\n,1.5\r\n"),
            ("{\"+a\" => (double) 1.5}".into(), 14)
        );
        assert_eq!(human(b"~1\r\n#t\r\n"), ("~(#true)".into(), 8));
        assert_eq!(human(b"_\r\n"), ("(null)".into(), 3));
        // Truncated input never reads past the end.
        assert_eq!(human(b"*2\r\n:1\r\n").1, 8);
    }
}
