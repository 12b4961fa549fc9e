//! The process title (Redis `setproctitle.c` and `redisSetProcTitle`):
//! what `ps` and `/proc/<pid>/cmdline` show, from `proc-title-template`.
//!
//! # How it works
//! Linux shows a process's command line from the memory that held its
//! `argv` strings, directly followed by its environment strings. To show a
//! title longer than the original command line, [`spt_init`] (run first
//! thing in `main`, while only the main thread exists) copies every
//! environment string to the heap and points `environ` at the copies; the
//! whole block from the first `argv` byte to the last environment byte is
//! then free. [`set_proc_title`] writes the title there and fills the rest
//! with NUL bytes; once the last byte of the old `argv` area is not a NUL,
//! the kernel reads the title on into the old environment area. The block's
//! bounds come from `/proc/self/stat` (`arg_start` .. `env_end`).
//!
//! The program name Redis calls `{title}` (its `argv[0]`) is saved before
//! anything is overwritten. The other template variables are filled by
//! [`expand_proc_title_template`]. Without the `/proc` fields the title is
//! simply left alone.

use std::sync::OnceLock;

use crate::server::Server;

/// The writable block `[start, end)` and the saved `argv[0]`.
struct TitleArea {
    start: usize,
    end: usize,
    argv0: String,
}

static AREA: OnceLock<TitleArea> = OnceLock::new();

// The C library's environment array (POSIX `environ`).
#[allow(unsafe_code)]
unsafe extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// Fields 48..=51 of `/proc/self/stat`: arg_start, arg_end, env_start,
/// env_end.
fn proc_stat_bounds() -> Option<(usize, usize, usize, usize)> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: fields restart after ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3.
    let get = |n: usize| f.get(n - 3)?.parse::<usize>().ok();
    Some((get(48)?, get(49)?, get(50)?, get(51)?))
}

/// Prepares the process title area (Redis `spt_init`); see the module
/// docs. Must run before any other thread starts.
#[allow(unsafe_code)]
pub fn spt_init() {
    let argv0 = std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some((arg_start, arg_end, env_start, env_end)) = proc_stat_bounds() else {
        return;
    };
    if arg_start == 0 || arg_end <= arg_start || env_end < arg_end {
        return;
    }
    // SAFETY: only the main thread exists (no concurrent getenv/setenv).
    // `environ` is the NULL-terminated array libc maintains; each entry is
    // a NUL-terminated string. The copies are leaked on purpose: they stay
    // the process's environment for its whole life.
    unsafe {
        let old = environ;
        let mut copies: Vec<*mut libc::c_char> = Vec::new();
        if !old.is_null() {
            let mut p = old;
            while !(*p).is_null() {
                let s = std::ffi::CStr::from_ptr(*p).to_owned();
                copies.push(s.into_raw());
                p = p.add(1);
            }
        }
        copies.push(std::ptr::null_mut());
        let leaked: &'static mut [*mut libc::c_char] = Box::leak(copies.into_boxed_slice());
        environ = leaked.as_mut_ptr();
    }
    // The environment strings may only be reused when they are where the
    // kernel says; otherwise keep to the argv strings.
    let end = if env_start >= arg_end && env_end > env_start {
        env_end
    } else {
        arg_end
    };
    let _ = AREA.set(TitleArea {
        start: arg_start,
        end,
        argv0,
    });
}

/// `argv[0]` as the server was started (Redis `server.exec_argv[0]`).
pub fn exec_argv0() -> String {
    AREA.get()
        .map(|a| a.argv0.clone())
        .unwrap_or_else(|| std::env::args().next().unwrap_or_default())
}

/// Shows `title` as the process's command line, cut to the room there is.
#[allow(unsafe_code)]
pub fn set_proc_title(title: &str) {
    let Some(a) = AREA.get() else {
        return;
    };
    let len = a.end - a.start;
    if len == 0 {
        return;
    }
    let bytes = title.as_bytes();
    let n = bytes.len().min(len - 1);
    // SAFETY: `[start, end)` is the block that held argv and the
    // environment strings (from /proc/self/stat); nothing references the
    // environment strings any more (spt_init moved them) and the argv
    // strings are only read as NUL-terminated strings, which the final NUL
    // kept here guarantees. Writes happen on the main thread only.
    unsafe {
        let p = a.start as *mut u8;
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, n);
        std::ptr::write_bytes(p.add(n), 0, len - n);
    }
}

/// `proc-title-template` with its variables filled in (Redis
/// `expandProcTitleTemplate`): `{title}`, `{listen-addr}` (first bind
/// address or `*`, and the port), `{server-mode}` (empty here),
/// `{config-file}` (`-` without one), `{port}`, `{tls-port}`,
/// `{unixsocket}`; `{{`/`}}` stand for braces; the result is trimmed of
/// spaces. `None` for an unknown variable or unbalanced braces.
pub fn expand_proc_title_template(srv: &Server, template: &str, title: &str) -> Option<String> {
    let cfg = &srv.config;
    let var = |name: &str| -> Option<String> {
        Some(match name {
            "title" => title.to_string(),
            "listen-addr" => {
                if cfg.port != 0 || cfg.tls_port != 0 {
                    let addr = cfg.bind.first().cloned().unwrap_or_else(|| "*".to_string());
                    let port = if cfg.port != 0 {
                        cfg.port
                    } else {
                        cfg.tls_port
                    };
                    format!("{}:{}", addr, port)
                } else {
                    format!("unixsocket:{}", cfg.unixsocket)
                }
            }
            "server-mode" => String::new(),
            "config-file" => srv.config_file.clone().unwrap_or_else(|| "-".to_string()),
            "port" => cfg.port.to_string(),
            "tls-port" => cfg.tls_port.to_string(),
            "unixsocket" => cfg.unixsocket.clone(),
            _ => return None,
        })
    };
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        c => name.push(c),
                    }
                }
                out.push_str(&var(&name)?);
            }
            '}' => return None,
            c => out.push(c),
        }
    }
    Some(out.trim_matches(' ').to_string())
}

/// Sets the title from `proc-title-template` when `set-proc-title` is on
/// (Redis `redisSetProcTitle(NULL)`): at startup and when the template
/// changes.
pub fn redis_set_proc_title(srv: &Server) {
    if !srv.config.set_proc_title {
        return;
    }
    let template = srv.config.proc_title_template.clone();
    if let Some(t) = expand_proc_title_template(srv, &template, &exec_argv0()) {
        set_proc_title(&t);
    }
}
