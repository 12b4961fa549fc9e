//! Logging in Redis's line format (Redis `serverLog`), through `tracing`.
//!
//! Every line is `pid:R dd Mon yyyy HH:MM:SS.mmm L message`, where `R` is the
//! role (`M` master, `S` replica, `C` child process or before the server is
//! initialised, `X` sentinel) and `L` the level mark: `.` debug, `-` verbose,
//! `*` notice, `#` warning.
//!
//! Levels map onto tracing's: `trace!` = debug, `debug!` = verbose,
//! `info!` = notice, `warn!`/`error!` = warning. The threshold (`loglevel`)
//! lives in an atomic so CONFIG SET can change it at run time. The sink is
//! stdout when `logfile` is empty, else the file opened in append mode
//! (reopened on every line, as Redis does, so log rotation works).

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Redis levels: 0 debug, 1 verbose, 2 notice, 3 warning.
static VERBOSITY: AtomicU8 = AtomicU8::new(2);
static ROLE: AtomicU8 = AtomicU8::new(b'C');
static SINK: Mutex<Option<String>> = Mutex::new(None);

/// Sets the threshold: 0 debug, 1 verbose, 2 notice, 3 warning.
pub fn set_verbosity(v: u8) {
    VERBOSITY.store(v.min(3), Ordering::Relaxed);
}

/// Sets the role character shown after the pid.
pub fn set_role(r: u8) {
    ROLE.store(r, Ordering::Relaxed);
}

/// Sets the log file ("" for stdout, None to discard, as when daemonized with no logfile).
pub fn set_logfile(path: Option<String>) {
    if let Ok(mut s) = SINK.lock() {
        *s = path;
    }
}

fn level_of(l: &Level) -> u8 {
    match *l {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        _ => 3,
    }
}

/// Writes bytes to the log sink without a prefix (Redis `serverLogRaw` with `LL_RAW`).
pub fn write_raw(text: &str) {
    let target = SINK.lock().ok().and_then(|s| s.clone());
    match target {
        Some(p) if p.is_empty() => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
        Some(p) => {
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)
            {
                let _ = f.write_all(text.as_bytes());
            }
        }
        None => {}
    }
}

/// Formats one log line (without the trailing newline).
pub fn format_line(level: u8, msg: &str) -> String {
    let now = chrono::Local::now();
    let mark = [b'.', b'-', b'*', b'#'][level.min(3) as usize] as char;
    format!(
        "{}:{} {} {} {}",
        std::process::id(),
        ROLE.load(Ordering::Relaxed) as char,
        now.format("%d %b %Y %H:%M:%S%.3f"),
        mark,
        msg
    )
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{:?}", value);
        } else {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={}", field.name(), value);
        }
    }
}

struct RedisLogLayer;

impl<S: Subscriber> Layer<S> for RedisLogLayer {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        level_of(meta.level()) >= VERBOSITY.load(Ordering::Relaxed)
    }
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = level_of(event.metadata().level());
        if level < VERBOSITY.load(Ordering::Relaxed) {
            return;
        }
        let mut v = MessageVisitor(String::new());
        event.record(&mut v);
        let mut line = format_line(level, &v.0);
        line.push('\n');
        write_raw(&line);
    }
}

/// Installs the global subscriber; logs go to stdout until [`set_logfile`].
pub fn init() {
    set_logfile(Some(String::new()));
    let _ = tracing_subscriber::registry()
        .with(RedisLogLayer)
        .try_init();
}

/// The C library's text for an OS error (what Redis prints via `strerror`).
pub fn os_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    // std formats as "Text (os error N)"; Redis prints only the text.
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let l = format_line(2, "Ready to accept connections");
        let parts: Vec<&str> = l.splitn(2, ' ').collect();
        assert!(parts[0].ends_with(":C"));
        assert!(l.ends_with(" * Ready to accept connections"));
        // dd Mon yyyy HH:MM:SS.mmm
        let rest = parts[1];
        let fields: Vec<&str> = rest.split(' ').collect();
        assert_eq!(fields[0].len(), 2);
        assert_eq!(fields[1].len(), 3);
        assert_eq!(fields[2].len(), 4);
        assert_eq!(fields[3].len(), 12);
        assert_eq!(format_line(3, "x").split(' ').nth(5), Some("#"));
    }

    #[test]
    fn os_error_strip() {
        let e = std::io::Error::from_raw_os_error(libc::EADDRINUSE);
        assert_eq!(os_error_text(&e), "Address already in use");
    }
}
