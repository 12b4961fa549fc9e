//! The server configuration: one declarative table of every directive Redis 7.0.15
//! accepts, the config-file parser, command-line overrides, and CONFIG GET / SET.
//!
//! # HOW IT WORKS
//!
//! * **One line per directive.** The `directives!` invocation below lists, for every
//!   directive, the typed field of [`Config`] that holds it, its default, its Redis
//!   name and alias, its flags and its [`Kind`]. The macro expands that list twice:
//!   into the fields of `struct Config` (read directly on hot paths: `cfg.hz`,
//!   `cfg.proto_max_bulk_len`, ...) and into the static [`DIRECTIVES`] table whose
//!   rows carry a `get` (render as CONFIG GET does) and a `set` (parse + validate +
//!   store) function. Config file, `--name value` overrides, CONFIG GET and CONFIG
//!   SET all go through that table, so a directive behaves the same everywhere.
//! * **Kinds mirror Redis's config types** (config.c): yes/no booleans; numbers with
//!   bounds, parsed as plain integers, as memory (`1gb`, `100mb`, `1k`, ...), as
//!   memory-or-percent, or as octal; strings; binary-safe "sds" strings; enums; the
//!   flag enum of `shutdown-on-sig*`; and the special multi-argument directives
//!   (`save`, `bind`, `client-output-buffer-limit`, `oom-score-adj-values`, ...).
//!   Each kind produces Redis's exact reason text on a bad value, because those
//!   strings end up verbatim in `FATAL CONFIG FILE ERROR` reports and CONFIG SET
//!   error replies.
//! * **Loading** ([`Config::load_from_string`]) follows `loadServerConfigFromString`:
//!   split on `\n`, trim, skip `#` comments, split with `sdssplitargs` quoting,
//!   lower-case the directive name, look it up (names and aliases), enforce one
//!   argument unless the directive is multi-argument, then call its setter. The
//!   file-only directives (`include`, `rename-command`, `user`, `loadmodule`,
//!   module configs `name.sub value`, `sentinel`, and the deprecated ones Redis
//!   silently ignores) are handled after the table lookup, in Redis's order.
//!   After the lines: the log file must be openable, `replicaof` is refused in
//!   cluster mode, and `hz` is clamped to 1..=500.
//! * **CONFIG SET** ([`Config::set`]) is all-or-nothing as in Redis 7.0: every name
//!   is looked up first (unknown, immutable, protected and duplicate names fail the
//!   whole call), then values are set one by one on a clone; the first bad value
//!   throws the clone away. The names that really changed are returned so the
//!   server can run its apply hooks (listen on a new port, resize the client
//!   table, ...).
//! * **`dir`** is kept as the absolute directory the server must `chdir` to. The
//!   parser never changes the process's working directory (tests run in parallel);
//!   instead relative paths met later in the same load (`include`, `dir`,
//!   `logfile`'s open check) are resolved against the `dir` value seen so far,
//!   which is what Redis's `chdir`-as-you-parse amounts to.
//!
//! # LIMITATIONS
//!
//! * `rename-command`, `user` and `loadmodule` need the command table, ACLs and
//!   modules; they are recorded in [`Config::rename_commands`], [`Config::users`]
//!   and [`Config::load_modules`] with their line, so the server can validate
//!   them and report errors with [`FileDirective::error`].
//! * Reading the config from both a file and stdin (`rustredis file.conf ... -`)
//!   is refused by [`parse_command_line`].

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Read;

use crate::util::string_match;

/// The Redis version whose configuration behaviour (and error report) we reproduce.
pub const REDIS_VERSION: &str = "7.0.15";

// ---- Directive flags (Redis's *_CONFIG flags) ----

/// Mutable at run time (no flag bits).
pub const MODIFIABLE: u32 = 0;
/// CONFIG SET answers "can't set immutable config".
pub const IMMUTABLE: u32 = 1 << 0;
/// CONFIG SET needs `enable-protected-configs` (else "can't set protected config").
pub const PROTECTED: u32 = 1 << 1;
/// The value is a secret: the server redacts it from SLOWLOG / MONITOR.
pub const SENSITIVE: u32 = 1 << 2;
/// Not listed by CONFIG GET patterns; only an exact name shows it.
pub const HIDDEN: u32 = 1 << 3;
/// Takes several arguments (config file) / a space-separated value (CONFIG SET).
pub const MULTI_ARG: u32 = 1 << 4;
/// CONFIG SET is refused with -LOADING while a dataset is being loaded.
pub const DENY_LOADING: u32 = 1 << 5;

// ---- notify-keyspace-events bits (Redis's NOTIFY_* values, from `notify.rs`) ----

/// `K`: keyspace events, published as `__keyspace@<db>__:<key>`.
pub const NOTIFY_KEYSPACE: i32 = crate::notify::NOTIFY_KEYSPACE as i32;
/// `E`: keyevent events, published as `__keyevent@<db>__:<event>`.
pub const NOTIFY_KEYEVENT: i32 = crate::notify::NOTIFY_KEYEVENT as i32;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const NOTIFY_GENERIC: i32 = crate::notify::NOTIFY_GENERIC as i32;
/// `$`: string commands.
pub const NOTIFY_STRING: i32 = crate::notify::NOTIFY_STRING as i32;
/// `l`: list commands.
pub const NOTIFY_LIST: i32 = crate::notify::NOTIFY_LIST as i32;
/// `s`: set commands.
pub const NOTIFY_SET: i32 = crate::notify::NOTIFY_SET as i32;
/// `h`: hash commands.
pub const NOTIFY_HASH: i32 = crate::notify::NOTIFY_HASH as i32;
/// `z`: sorted set commands.
pub const NOTIFY_ZSET: i32 = crate::notify::NOTIFY_ZSET as i32;
/// `x`: expired events.
pub const NOTIFY_EXPIRED: i32 = crate::notify::NOTIFY_EXPIRED as i32;
/// `e`: evicted events.
pub const NOTIFY_EVICTED: i32 = crate::notify::NOTIFY_EVICTED as i32;
/// `t`: stream commands.
pub const NOTIFY_STREAM: i32 = crate::notify::NOTIFY_STREAM as i32;
/// `m`: key-miss events (not part of `A`).
pub const NOTIFY_KEY_MISS: i32 = crate::notify::NOTIFY_KEY_MISS as i32;
/// `d`: module key type events.
pub const NOTIFY_MODULE: i32 = crate::notify::NOTIFY_MODULE as i32;
/// `n`: new key events (not part of `A`).
pub const NOTIFY_NEW: i32 = crate::notify::NOTIFY_NEW as i32;
/// `A`: alias for `g$lshzxetd`.
pub const NOTIFY_ALL: i32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

// ---- shutdown-on-sigint / shutdown-on-sigterm flag bits ----

/// `save`: save an RDB even without save points.
pub const SHUTDOWN_SAVE: u32 = 1;
/// `nosave`: don't save even with save points.
pub const SHUTDOWN_NOSAVE: u32 = 2;
/// `now`: don't wait for lagging replicas.
pub const SHUTDOWN_NOW: u32 = 4;
/// `force`: ignore errors writing the RDB / AOF.
pub const SHUTDOWN_FORCE: u32 = 8;
const SHUTDOWN_FLAG_NAMES: &[(&str, u32)] = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE),
    ("nosave", SHUTDOWN_NOSAVE),
    ("now", SHUTDOWN_NOW),
    ("force", SHUTDOWN_FORCE),
];

/// `hz` is clamped to this range after loading and on CONFIG SET (Redis CONFIG_MIN_HZ / CONFIG_MAX_HZ).
pub const CONFIG_MIN_HZ: i32 = 1;
/// See [`CONFIG_MIN_HZ`].
pub const CONFIG_MAX_HZ: i32 = 500;
/// Most addresses `bind` accepts (Redis CONFIG_BINDADDR_MAX).
pub const CONFIG_BINDADDR_MAX: usize = 16;

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
/// `ULLONG_MAX` stored in an `i64` bound; compared as unsigned.
const ULLONG_MAX: i64 = -1;

// ---- Kinds ----

/// How a numeric directive's value is written and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFmt {
    /// A plain integer (`string2ll`): "argument couldn't be parsed into an integer".
    Int,
    /// A memory value: digits with an optional `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` unit (case-insensitive).
    Memory,
    /// A memory value or `N%` (stored negated, e.g. `maxmemory-clients`).
    MemoryPercent,
    /// An octal number (`unixsocketperm`), shown in octal.
    Octal,
}

/// Validation hook for string directives: `Err(reason)` rejects the value.
pub type StrCheck = fn(&str) -> Result<(), &'static str>;

/// The type of a directive, with what its parser needs.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` / `no` (any case). `Some(reason)` refuses `yes` (activedefrag without defrag support).
    Bool(Option<&'static str>),
    /// A number within `min..=max`; `unsigned` compares the bounds as `u64` like Redis's unsigned types.
    Num {
        min: i64,
        max: i64,
        unsigned: bool,
        fmt: NumFmt,
    },
    /// A string (NUL-free text), with an optional validity check.
    Str(Option<StrCheck>),
    /// A binary-safe string (`requirepass`, `masterauth`).
    Sds,
    /// One name out of the field type's enum.
    Enum,
    /// A set of flag names (`shutdown-on-sigint`), any number of arguments.
    Flags,
    /// `save <seconds> <changes> [...]` or `save ""`.
    Save,
    /// `bind <addr> [...]`.
    Bind,
    /// `client-output-buffer-limit <class> <hard> <soft> <seconds> [...]`.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values <master> <replica> <bgchild>`.
    OomScoreAdjValues,
    /// `notify-keyspace-events <flags>`.
    NotifyKeyspaceEvents,
    /// `replicaof <host> <port>` / `replicaof no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles <p> [...]`.
    Percentiles,
    /// `dir <path>`: must be an existing directory.
    Dir,
}

const fn int(min: i64, max: i64) -> Kind {
    Kind::Num {
        min,
        max,
        unsigned: false,
        fmt: NumFmt::Int,
    }
}
const fn uint(min: i64, max: i64) -> Kind {
    Kind::Num {
        min,
        max,
        unsigned: true,
        fmt: NumFmt::Int,
    }
}
const fn mem(min: i64, max: i64) -> Kind {
    Kind::Num {
        min,
        max,
        unsigned: false,
        fmt: NumFmt::Memory,
    }
}
const fn umem(min: i64, max: i64) -> Kind {
    Kind::Num {
        min,
        max,
        unsigned: true,
        fmt: NumFmt::Memory,
    }
}
const BOOL: Kind = Kind::Bool(None);
const STR: Kind = Kind::Str(None);
const MB: i64 = 1024 * 1024;

/// A directive's setter: parse `args`, validate, store; `Ok(true)` when the value changed,
/// `Err(reason)` with Redis's reason text.
pub type SetFn = fn(&mut Config, &[Vec<u8>]) -> Result<bool, Cow<'static, str>>;

/// One row of the directive table.
pub struct Directive {
    /// Canonical name, as CONFIG GET shows it.
    pub name: &'static str,
    /// The other accepted name (`slaveof` for `replicaof`, ...); CONFIG GET lists it too.
    pub alias: Option<&'static str>,
    /// [`IMMUTABLE`], [`PROTECTED`], [`SENSITIVE`], [`HIDDEN`], [`MULTI_ARG`], [`DENY_LOADING`].
    pub flags: u32,
    /// Value type and bounds.
    pub kind: Kind,
    /// Whether rustredis acts on this directive (else it is only parsed, validated and shown).
    pub implemented: bool,
    /// Render the current value as CONFIG GET does.
    pub get: fn(&Config) -> String,
    /// Parse, validate and store; `Ok(true)` when the value changed. `Err` is Redis's reason text.
    pub set: SetFn,
}

impl std::fmt::Debug for Directive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directive")
            .field("name", &self.name)
            .field("alias", &self.alias)
            .finish()
    }
}

// ---- Value types of fields ----

/// A typed field of [`Config`]: how it is parsed from arguments and rendered for CONFIG GET.
trait Field: Sized + PartialEq {
    fn parse(args: &[Vec<u8>], kind: &Kind, cfg: &Config) -> Result<Self, Cow<'static, str>>;
    fn render(&self, kind: &Kind) -> String;
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One client class limit of `client-output-buffer-limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect at once above this many bytes (0 = no limit).
    pub hard_limit_bytes: u64,
    /// Disconnect when above this many bytes for `soft_limit_seconds` (0 = no limit).
    pub soft_limit_bytes: u64,
    /// Seconds the soft limit may be exceeded.
    pub soft_limit_seconds: i64,
}

/// Index of the `normal` class in [`Config::client_output_buffer_limit`].
pub const CLIENT_TYPE_NORMAL: usize = 0;
/// Index of the `replica` (`slave`) class.
pub const CLIENT_TYPE_REPLICA: usize = 1;
/// Index of the `pubsub` class.
pub const CLIENT_TYPE_PUBSUB: usize = 2;
const OBUF_CLASS_NAMES: [&str; 3] = ["normal", "slave", "pubsub"];

macro_rules! config_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident),* $(,)? } names [ $( ($s:literal, $v:ident) ),* $(,)? ]) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $( #[allow(missing_docs)] $var ),* }
        impl $name {
            /// Accepted names, in Redis's order; several names may map to one value.
            pub const NAMES: &'static [(&'static str, $name)] = &[ $( ($s, $name::$v) ),* ];
            /// The name CONFIG GET shows (the first name of this value).
            pub fn name(self) -> &'static str {
                for (n, v) in Self::NAMES {
                    if *v == self {
                        return n;
                    }
                }
                "unknown"
            }
            /// Case-insensitive lookup.
            pub fn from_name(s: &[u8]) -> Option<Self> {
                Self::NAMES.iter().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(s)).map(|(_, v)| *v)
            }
        }
        impl Field for $name {
            fn parse(args: &[Vec<u8>], _kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
                let a = args.first().map(|a| a.as_slice()).unwrap_or(b"");
                match Self::from_name(a) {
                    Some(v) if args.len() == 1 => Ok(v),
                    _ => Err(enum_error(Self::NAMES.iter().map(|(n, _)| *n))),
                }
            }
            fn render(&self, _kind: &Kind) -> String {
                self.name().to_string()
            }
        }
    };
}

fn enum_error<'a>(names: impl Iterator<Item = &'a str>) -> Cow<'static, str> {
    let list: Vec<&str> = names.collect();
    let mut s = format!(
        "argument(s) must be one of the following: {}",
        list.join(", ")
    );
    s.truncate(255); // Redis formats into a 256-byte buffer.
    Cow::Owned(s)
}

config_enum!(
    /// `loglevel`.
    LogLevel { Debug, Verbose, Notice, Warning }
    names [("debug", Debug), ("verbose", Verbose), ("notice", Notice), ("warning", Warning)]
);
config_enum!(
    /// `maxmemory-policy`.
    MaxmemoryPolicy { VolatileLru, VolatileLfu, VolatileRandom, VolatileTtl, AllkeysLru, AllkeysLfu, AllkeysRandom, Noeviction }
    names [("volatile-lru", VolatileLru), ("volatile-lfu", VolatileLfu), ("volatile-random", VolatileRandom),
           ("volatile-ttl", VolatileTtl), ("allkeys-lru", AllkeysLru), ("allkeys-lfu", AllkeysLfu),
           ("allkeys-random", AllkeysRandom), ("noeviction", Noeviction)]
);
config_enum!(
    /// `syslog-facility`.
    SyslogFacility { User, Local0, Local1, Local2, Local3, Local4, Local5, Local6, Local7 }
    names [("user", User), ("local0", Local0), ("local1", Local1), ("local2", Local2), ("local3", Local3),
           ("local4", Local4), ("local5", Local5), ("local6", Local6), ("local7", Local7)]
);
config_enum!(
    /// `supervised`.
    Supervised { Upstart, Systemd, Auto, No }
    names [("upstart", Upstart), ("systemd", Systemd), ("auto", Auto), ("no", No)]
);
config_enum!(
    /// `appendfsync`.
    AppendFsync { Everysec, Always, No }
    names [("everysec", Everysec), ("always", Always), ("no", No)]
);
config_enum!(
    /// `repl-diskless-load`.
    ReplDisklessLoad { Disabled, OnEmptyDb, Swapdb }
    names [("disabled", Disabled), ("on-empty-db", OnEmptyDb), ("swapdb", Swapdb)]
);
config_enum!(
    /// `tls-auth-clients`.
    TlsAuthClients { No, Yes, Optional }
    names [("no", No), ("yes", Yes), ("optional", Optional)]
);
config_enum!(
    /// `oom-score-adj` (`yes` is an old name of `relative`, and CONFIG GET shows it as `yes`).
    OomScoreAdj { No, Relative, Absolute }
    names [("no", No), ("yes", Relative), ("relative", Relative), ("absolute", Absolute)]
);
config_enum!(
    /// `acl-pubsub-default`.
    AclPubsubDefault { Allchannels, Resetchannels }
    names [("allchannels", Allchannels), ("resetchannels", Resetchannels)]
);
config_enum!(
    /// `sanitize-dump-payload`.
    SanitizeDumpPayload { No, Yes, Clients }
    names [("no", No), ("yes", Yes), ("clients", Clients)]
);
config_enum!(
    /// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`:
    /// `local` allows only connections from loopback or the unix socket.
    ProtectedAction { No, Yes, Local }
    names [("no", No), ("yes", Yes), ("local", Local)]
);
config_enum!(
    /// `cluster-preferred-endpoint-type`.
    ClusterPreferredEndpointType { Ip, Hostname, UnknownEndpoint }
    names [("ip", Ip), ("hostname", Hostname), ("unknown-endpoint", UnknownEndpoint)]
);
config_enum!(
    /// `propagation-error-behavior`.
    PropagationErrorBehavior { Ignore, Panic, PanicOnReplicas }
    names [("ignore", Ignore), ("panic", Panic), ("panic-on-replicas", PanicOnReplicas)]
);

impl ProtectedAction {
    /// Redis `allowProtectedAction`: is the action allowed for a client (local = loopback or unix socket)?
    pub fn allows(self, client_is_local: bool) -> bool {
        match self {
            ProtectedAction::Yes => true,
            ProtectedAction::Local => client_is_local,
            ProtectedAction::No => false,
        }
    }
}

impl Field for bool {
    fn parse(args: &[Vec<u8>], kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        let a = args.first().map(|a| a.as_slice()).unwrap_or(b"");
        let v = if a.eq_ignore_ascii_case(b"yes") {
            true
        } else if a.eq_ignore_ascii_case(b"no") {
            false
        } else {
            return Err("argument must be 'yes' or 'no'".into());
        };
        if let Kind::Bool(Some(deny_yes)) = kind
            && v
        {
            return Err((*deny_yes).into());
        }
        Ok(v)
    }
    fn render(&self, _kind: &Kind) -> String {
        if *self { "yes" } else { "no" }.to_string()
    }
}

pub use crate::util::{split_args, string2ll};

/// Redis `memtoull`: `<digits>[b|k|kb|m|mb|g|gb]` (unit case-insensitive; `k` = 1000,
/// `kb` = 1024). The empty string is 0. A leading `-`, spaces or a sign are errors.
/// Overflow saturates / wraps exactly as Redis 7.0.15 (strtoull then an unchecked multiply).
pub fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let ndigits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let (digits, unit) = s.split_at(ndigits);
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        // strtoull saturates at ULLONG_MAX.
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add((c - b'0') as u64))
            .unwrap_or(u64::MAX);
    }
    Some(v.wrapping_mul(mul))
}

/// C `strtoll(s, &end, base)` followed by `*end == '\0'`: leading whitespace and a sign
/// are allowed, the empty string (or no digits at all, with nothing after) is 0,
/// and overflow saturates.
fn strtoll_full(s: &[u8], base: u32) -> Option<i64> {
    strtoll_checked(s, base).map(|(v, _)| v)
}

/// [`strtoll_full`] that also says whether the value overflowed (C's `errno == ERANGE`).
fn strtoll_checked(s: &[u8], base: u32) -> Option<(i64, bool)> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i128 = 0;
    while i < s.len() {
        let d = match (s[i] as char).to_digit(base) {
            Some(d) => d,
            None => break,
        };
        v = (v * base as i128 + d as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    if i == start {
        // No digits: strtoll leaves `end` at the start of the string.
        return if s.is_empty() { Some((0, false)) } else { None };
    }
    if i != s.len() {
        return None;
    }
    let v = if neg { -v } else { v };
    let clamped = v.clamp(i64::MIN as i128, i64::MAX as i128);
    Some((clamped as i64, clamped != v))
}

fn parse_number(arg: &[u8], kind: &Kind) -> Result<i64, Cow<'static, str>> {
    let Kind::Num {
        min,
        max,
        unsigned,
        fmt,
    } = *kind
    else {
        return Err("argument couldn't be parsed into an integer".into());
    };
    let parsed: Option<i64> = match fmt {
        NumFmt::Int => string2ll(arg),
        NumFmt::Memory => memtoull(arg).map(|v| v as i64),
        NumFmt::MemoryPercent => memtoull(arg).map(|v| v as i64).or_else(|| {
            if arg.len() > 1 && arg[arg.len() - 1] == b'%' {
                string2ll(&arg[..arg.len() - 1])
                    .filter(|v| *v >= 0)
                    .map(|v| -v)
            } else {
                None
            }
        }),
        NumFmt::Octal => {
            strtoll_checked(arg, 8).and_then(|(v, overflow)| if overflow { None } else { Some(v) })
        }
    };
    let Some(ll) = parsed else {
        return Err(match fmt {
            NumFmt::MemoryPercent => "argument must be a memory or percent value",
            NumFmt::Memory => "argument must be a memory value",
            NumFmt::Octal => "argument couldn't be parsed as an octal number",
            NumFmt::Int => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if unsigned {
        let (u, lo, hi) = (ll as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            }
            .into());
        }
    } else if fmt == NumFmt::MemoryPercent && ll < 0 {
        if ll < min {
            return Err(format!("percentage argument must be less or equal to {}", -min).into());
        }
    } else if ll > max || ll < min {
        return Err(format!("argument must be between {min} and {max} inclusive").into());
    }
    Ok(ll)
}

fn render_number(v: i64, kind: &Kind) -> String {
    match kind {
        Kind::Num {
            fmt: NumFmt::MemoryPercent,
            ..
        } if v < 0 => format!("{}%", v.unsigned_abs()),
        Kind::Num {
            fmt: NumFmt::Memory | NumFmt::MemoryPercent,
            ..
        } => (v as u64).to_string(),
        Kind::Num {
            fmt: NumFmt::Octal, ..
        } => format!("{v:o}"),
        _ => v.to_string(),
    }
}

macro_rules! numeric_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn parse(args: &[Vec<u8>], kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
                let a = args.first().map(|a| a.as_slice()).unwrap_or(b"");
                parse_number(a, kind).map(|v| v as $t)
            }
            fn render(&self, kind: &Kind) -> String {
                render_number(*self as i64, kind)
            }
        }
    )*};
}
numeric_field!(i64, u64, usize);

impl Field for u32 {
    fn parse(args: &[Vec<u8>], kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        if let Kind::Flags = kind {
            return parse_shutdown_flags(args);
        }
        let a = args.first().map(|a| a.as_slice()).unwrap_or(b"");
        parse_number(a, kind).map(|v| v as u32)
    }
    fn render(&self, kind: &Kind) -> String {
        if let Kind::Flags = kind {
            if *self == 0 {
                return "default".to_string();
            }
            let names: Vec<&str> = SHUTDOWN_FLAG_NAMES
                .iter()
                .filter(|(_, b)| *b != 0 && self & b != 0)
                .map(|(n, _)| *n)
                .collect();
            return names.join(" ");
        }
        render_number(*self as i64, kind)
    }
}

fn parse_shutdown_flags(args: &[Vec<u8>]) -> Result<u32, Cow<'static, str>> {
    if args.is_empty() {
        return Err(enum_error(SHUTDOWN_FLAG_NAMES.iter().map(|(n, _)| *n)));
    }
    let mut flags = 0;
    for a in args {
        match SHUTDOWN_FLAG_NAMES
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(a))
        {
            Some((_, b)) => flags |= b,
            None => return Err(enum_error(SHUTDOWN_FLAG_NAMES.iter().map(|(n, _)| *n))),
        }
    }
    if flags & SHUTDOWN_SAVE != 0 && flags & SHUTDOWN_NOSAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(flags)
}

impl Field for i32 {
    fn parse(args: &[Vec<u8>], kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        let a = args.first().map(|a| a.as_slice()).unwrap_or(b"");
        if let Kind::NotifyKeyspaceEvents = kind {
            return keyspace_events_string_to_flags(a).ok_or(Cow::Borrowed(
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            ));
        }
        parse_number(a, kind).map(|v| v as i32)
    }
    fn render(&self, kind: &Kind) -> String {
        if let Kind::NotifyKeyspaceEvents = kind {
            return keyspace_events_flags_to_string(*self);
        }
        render_number(*self as i64, kind)
    }
}

/// Redis `keyspaceEventsStringToFlags`: `None` on an unknown class character.
pub fn keyspace_events_string_to_flags(s: &[u8]) -> Option<i32> {
    let mut flags = 0;
    for &c in s {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// Redis `keyspaceEventsFlagsToString`: `A` or the type letters, then `K`, `E`, `m`.
pub fn keyspace_events_flags_to_string(flags: i32) -> String {
    let mut s = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        s.push('K');
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        s.push('E');
    }
    if flags & NOTIFY_KEY_MISS != 0 {
        s.push('m');
    }
    s
}

impl Field for String {
    fn parse(args: &[Vec<u8>], kind: &Kind, cfg: &Config) -> Result<Self, Cow<'static, str>> {
        if let Kind::Dir = kind {
            if args.len() != 1 {
                return Err("wrong number of arguments".into());
            }
            return resolve_dir(&cfg.dir, &lossy(&args[0]));
        }
        let a = args.first().map(|a| a.as_slice()).unwrap_or(b"");
        // Redis keeps these as C strings: a NUL byte ends the value.
        let a = a.split(|&c| c == 0).next().unwrap_or(b"");
        let s = lossy(a);
        if let Kind::Str(Some(check)) = kind {
            check(&s).map_err(Cow::Borrowed)?;
        }
        Ok(s)
    }
    fn render(&self, _kind: &Kind) -> String {
        self.clone()
    }
}

impl Field for Vec<u8> {
    fn parse(args: &[Vec<u8>], _kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        Ok(args.first().cloned().unwrap_or_default())
    }
    fn render(&self, _kind: &Kind) -> String {
        lossy(self)
    }
}

/// `bind`: at most 16 addresses; a single empty argument means "no addresses".
impl Field for Vec<String> {
    fn parse(args: &[Vec<u8>], _kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        if args.len() > CONFIG_BINDADDR_MAX {
            return Err("Too many bind addresses specified.".into());
        }
        if args.len() == 1 && args[0].is_empty() {
            return Ok(Vec::new());
        }
        Ok(args.iter().map(|a| lossy(a)).collect())
    }
    fn render(&self, _kind: &Kind) -> String {
        self.join(" ")
    }
}

/// `save`: pairs of (seconds >= 1, changes >= 0). Inside one config-file load the first
/// `save` line replaces the defaults and later ones append, as in Redis.
impl Field for Vec<(i64, i64)> {
    fn parse(args: &[Vec<u8>], _kind: &Kind, cfg: &Config) -> Result<Self, Cow<'static, str>> {
        let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
            &[]
        } else {
            args
        };
        if args.len() % 2 == 1 {
            return Err("Invalid save parameters".into());
        }
        let mut vals = Vec::with_capacity(args.len());
        for (j, a) in args.iter().enumerate() {
            match strtoll_full(a, 10) {
                Some(v) if (j % 2 == 0 && v >= 1) || (j % 2 == 1 && v >= 0) => vals.push(v),
                _ => return Err("Invalid save parameters".into()),
            }
        }
        let mut out = if cfg.loading_file && cfg.save_loaded {
            cfg.save_params.clone()
        } else {
            Vec::new()
        };
        // `changes` is a C int in Redis.
        out.extend(vals.chunks(2).map(|p| (p[0], p[1] as i32 as i64)));
        Ok(out)
    }
    fn render(&self, _kind: &Kind) -> String {
        self.iter()
            .map(|(s, c)| format!("{s} {c}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Field for [ObufLimit; 3] {
    fn parse(args: &[Vec<u8>], _kind: &Kind, cfg: &Config) -> Result<Self, Cow<'static, str>> {
        if !args.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut out = cfg.client_output_buffer_limit;
        for c in args.chunks(4) {
            let class = match c[0].to_ascii_lowercase().as_slice() {
                b"normal" => CLIENT_TYPE_NORMAL,
                b"slave" | b"replica" => CLIENT_TYPE_REPLICA,
                b"pubsub" => CLIENT_TYPE_PUBSUB,
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    );
                }
            };
            let hard = memtoull(&c[1]);
            let soft = memtoull(&c[2]);
            let secs = strtoll_full(&c[3], 10);
            match (hard, soft, secs) {
                (Some(h), Some(s), Some(t)) if t as i32 >= 0 => {
                    out[class] = ObufLimit {
                        hard_limit_bytes: h,
                        soft_limit_bytes: s,
                        soft_limit_seconds: t as i32 as i64,
                    }
                }
                _ => {
                    return Err(
                        "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into()
                    );
                }
            }
        }
        Ok(out)
    }
    fn render(&self, _kind: &Kind) -> String {
        self.iter()
            .zip(OBUF_CLASS_NAMES)
            .map(|(l, n)| {
                format!(
                    "{n} {} {} {}",
                    l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Field for [i32; 3] {
    fn parse(args: &[Vec<u8>], _kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        if args.len() != 3 {
            return Err("wrong number of arguments".into());
        }
        let mut out = [0i32; 3];
        for (i, a) in args.iter().enumerate() {
            match strtoll_full(a, 10) {
                Some(v) if (-2000..=2000).contains(&v) => out[i] = v as i32,
                _ => {
                    return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    );
                }
            }
        }
        Ok(out)
    }
    fn render(&self, _kind: &Kind) -> String {
        format!("{} {} {}", self[0], self[1], self[2])
    }
}

/// `replicaof`: `None` when this is a master (`replicaof no one`).
impl Field for Option<(String, u16)> {
    fn parse(args: &[Vec<u8>], _kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        if args.len() != 2 {
            return Err("wrong number of arguments".into());
        }
        if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
            return Ok(None);
        }
        match strtoll_full(&args[1], 10) {
            Some(p) if (0..=65535).contains(&p) && !args[1].is_empty() => {
                Ok(Some((lossy(&args[0]), p as u16)))
            }
            _ => Err("Invalid master port".into()),
        }
    }
    fn render(&self, _kind: &Kind) -> String {
        match self {
            Some((h, p)) => format!("{h} {p}"),
            None => String::new(),
        }
    }
}

/// `latency-tracking-info-percentiles`: doubles in 0..=100; `""` clears the list.
impl Field for Vec<f64> {
    fn parse(args: &[Vec<u8>], _kind: &Kind, _cfg: &Config) -> Result<Self, Cow<'static, str>> {
        let args: &[Vec<u8>] = if args.len() == 1 && args[0].is_empty() {
            &[]
        } else {
            args
        };
        let mut out = Vec::with_capacity(args.len());
        for a in args {
            let p = string2d(a).ok_or(Cow::Borrowed(
                "Invalid latency-tracking-info-percentiles parameters",
            ))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(
                    "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                        .into(),
                );
            }
            out.push(p);
        }
        Ok(out)
    }
    fn render(&self, _kind: &Kind) -> String {
        self.iter()
            .map(|v| trim_double(&format!("{v:.6}")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Redis `string2d`: a whole-string strtod, no leading space, not NaN.
fn string2d(s: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(s).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// Redis `trimDoubleString`: drop trailing zeros after the point, then a trailing point.
fn trim_double(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0');
        t.trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// `std::io::Error` text without Rust's " (os error N)" suffix, i.e. C's `strerror`.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn resolve_path(base: &str, p: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(p);
    if path.is_absolute() || base.is_empty() {
        path.to_path_buf()
    } else {
        std::path::Path::new(base).join(path)
    }
}

/// `dir <path>`: what `chdir(path)` + `getcwd()` would give, relative to the current `dir`.
fn resolve_dir(base: &str, p: &str) -> Result<String, Cow<'static, str>> {
    let full = resolve_path(base, p);
    match std::fs::metadata(&full) {
        Err(e) => Err(strerror(&e).into()),
        Ok(m) if !m.is_dir() => Err("Not a directory".into()),
        Ok(_) => match std::fs::canonicalize(&full) {
            Ok(c) => Ok(c.to_string_lossy().into_owned()),
            Err(e) => Err(strerror(&e).into()),
        },
    }
}

// ---- String validity checks (Redis's is_valid_fn) ----

fn path_is_base_name(s: &str) -> bool {
    !s.contains('/') && !s.contains('\\')
}
fn check_dbfilename(s: &str) -> Result<(), &'static str> {
    if path_is_base_name(s) {
        Ok(())
    } else {
        Err("dbfilename can't be a path, just a filename")
    }
}
fn check_appendfilename(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        Err("appendfilename can't be empty")
    } else if !path_is_base_name(s) {
        Err("appendfilename can't be a path, just a filename")
    } else {
        Ok(())
    }
}
fn check_appenddirname(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        Err("appenddirname can't be empty")
    } else if !path_is_base_name(s) {
        Err("appenddirname can't be a path, just a dirname")
    } else {
        Ok(())
    }
}
fn check_hostname(s: &str) -> Result<(), &'static str> {
    if s.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if s.bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        Ok(())
    } else {
        Err("Hostnames may only contain alphanumeric characters, hyphens or dots")
    }
}
/// Redis `validateProcTitleTemplate`: `{var}` names must be known, braces balanced
/// (`{{` is a literal brace), and the expansion with an empty title must not be blank.
fn check_proc_title_template(s: &str) -> Result<(), &'static str> {
    const BAD: &str = "template format is invalid or contains unknown variables";
    let mut out = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let Some(open) = rest.find('{') else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if after.is_empty() {
            return Err(BAD);
        }
        if let Some(stripped) = after.strip_prefix('{') {
            out.push('{');
            rest = stripped;
            continue;
        }
        let Some(close) = after.find('}') else {
            return Err(BAD);
        };
        let value = match &after[..close] {
            "title" | "server-mode" | "config-file" | "unixsocket" => "",
            "listen-addr" => "127.0.0.1:6379",
            "port" => "6379",
            "tls-port" => "0",
            _ => return Err(BAD),
        };
        out.push_str(value);
        rest = &after[close + 1..];
    }
    if out.trim_matches(' ').is_empty() {
        Err(BAD)
    } else {
        Ok(())
    }
}

const ACTIVEDEFRAG_UNSUPPORTED: &str = "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution";

// ---- The table ----

macro_rules! directives {
    ( $( $field:ident : $ty:ty = $def:expr , $name:literal , $alias:expr , $flags:expr , $kind:expr , $imp:expr ; )* ) => {
        /// Every directive's current value, one typed field each (see the table in the source
        /// for the Redis name of each field), plus the file-only directives.
        #[derive(Clone, Debug)]
        pub struct Config {
            $( #[doc = concat!("`", $name, "`")] pub $field: $ty, )*
            /// `rename-command <from> <to>` lines, in order: the server validates and applies them.
            pub rename_commands: Vec<FileDirective>,
            /// `user <name> [rules...]` lines (ACL), in order.
            pub users: Vec<FileDirective>,
            /// `loadmodule <path> [args...]` lines, in order.
            pub load_modules: Vec<FileDirective>,
            /// Module configs (`<module>.<name> <value>`), in order.
            pub module_configs: Vec<FileDirective>,
            /// A lone `sentinel` line was seen (sentinel mode requested).
            pub sentinel_mode: bool,
            /// Canonical names set by the config source (file or command line).
            set_in_source: Vec<&'static str>,
            /// True while a config text is being loaded (changes how `save` accumulates).
            loading_file: bool,
            /// A `save` line was already seen during loading.
            save_loaded: bool,
        }

        impl Default for Config {
            /// Redis 7.0.15's compiled-in defaults (what CONFIG GET shows with no config file).
            fn default() -> Self {
                Config {
                    $( $field: $def, )*
                    rename_commands: Vec::new(),
                    users: Vec::new(),
                    load_modules: Vec::new(),
                    module_configs: Vec::new(),
                    sentinel_mode: false,
                    set_in_source: Vec::new(),
                    loading_file: false,
                    save_loaded: false,
                }
            }
        }

        /// The directive table, in Redis's `static_configs` order.
        pub static DIRECTIVES: &[Directive] = &[
            $( Directive {
                name: $name,
                alias: $alias,
                flags: $flags,
                kind: $kind,
                implemented: $imp,
                get: |c: &Config| { const K: Kind = $kind; Field::render(&c.$field, &K) },
                set: |c: &mut Config, a: &[Vec<u8>]| {
                    const K: Kind = $kind;
                    let v = <$ty as Field>::parse(a, &K, c)?;
                    let changed = v != c.$field;
                    c.$field = v;
                    Ok(changed)
                },
            }, )*
        ];
    };
}

fn cwd_string() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

const TLS: bool = false; // TLS directives are parsed and shown, not acted on.

directives! {
    // field: type = default, "name", alias, flags, kind, implemented;
    // ---- yes/no ----
    rdbchecksum: bool = true, "rdbchecksum", None, IMMUTABLE, BOOL, false;
    daemonize: bool = false, "daemonize", None, IMMUTABLE, BOOL, true;
    io_threads_do_reads: bool = false, "io-threads-do-reads", None, IMMUTABLE, BOOL, false;
    always_show_logo: bool = false, "always-show-logo", None, IMMUTABLE, BOOL, true;
    protected_mode: bool = true, "protected-mode", None, MODIFIABLE, BOOL, true;
    rdbcompression: bool = true, "rdbcompression", None, MODIFIABLE, BOOL, false;
    rdb_del_sync_files: bool = false, "rdb-del-sync-files", None, MODIFIABLE, BOOL, false;
    activerehashing: bool = true, "activerehashing", None, MODIFIABLE, BOOL, false;
    stop_writes_on_bgsave_error: bool = true, "stop-writes-on-bgsave-error", None, MODIFIABLE, BOOL, true;
    set_proc_title: bool = true, "set-proc-title", None, IMMUTABLE, BOOL, true;
    dynamic_hz: bool = true, "dynamic-hz", None, MODIFIABLE, BOOL, true;
    lazyfree_lazy_eviction: bool = false, "lazyfree-lazy-eviction", None, MODIFIABLE, BOOL, false;
    lazyfree_lazy_expire: bool = false, "lazyfree-lazy-expire", None, MODIFIABLE, BOOL, true;
    lazyfree_lazy_server_del: bool = false, "lazyfree-lazy-server-del", None, MODIFIABLE, BOOL, true;
    lazyfree_lazy_user_del: bool = false, "lazyfree-lazy-user-del", None, MODIFIABLE, BOOL, true;
    lazyfree_lazy_user_flush: bool = false, "lazyfree-lazy-user-flush", None, MODIFIABLE, BOOL, true;
    repl_disable_tcp_nodelay: bool = false, "repl-disable-tcp-nodelay", None, MODIFIABLE, BOOL, false;
    repl_diskless_sync: bool = true, "repl-diskless-sync", None, MODIFIABLE, BOOL, false;
    aof_rewrite_incremental_fsync: bool = true, "aof-rewrite-incremental-fsync", None, MODIFIABLE, BOOL, true;
    no_appendfsync_on_rewrite: bool = false, "no-appendfsync-on-rewrite", None, MODIFIABLE, BOOL, true;
    cluster_require_full_coverage: bool = true, "cluster-require-full-coverage", None, MODIFIABLE, BOOL, false;
    rdb_save_incremental_fsync: bool = true, "rdb-save-incremental-fsync", None, MODIFIABLE, BOOL, true;
    aof_load_truncated: bool = true, "aof-load-truncated", None, MODIFIABLE, BOOL, true;
    aof_use_rdb_preamble: bool = true, "aof-use-rdb-preamble", None, MODIFIABLE, BOOL, true;
    aof_timestamp_enabled: bool = false, "aof-timestamp-enabled", None, MODIFIABLE, BOOL, true;
    cluster_replica_no_failover: bool = false, "cluster-replica-no-failover", Some("cluster-slave-no-failover"), MODIFIABLE, BOOL, false;
    replica_lazy_flush: bool = false, "replica-lazy-flush", Some("slave-lazy-flush"), MODIFIABLE, BOOL, false;
    replica_serve_stale_data: bool = true, "replica-serve-stale-data", Some("slave-serve-stale-data"), MODIFIABLE, BOOL, false;
    replica_read_only: bool = true, "replica-read-only", Some("slave-read-only"), MODIFIABLE, BOOL, false;
    replica_ignore_maxmemory: bool = true, "replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), MODIFIABLE, BOOL, false;
    jemalloc_bg_thread: bool = true, "jemalloc-bg-thread", None, MODIFIABLE, BOOL, false;
    activedefrag: bool = false, "activedefrag", None, MODIFIABLE, Kind::Bool(Some(ACTIVEDEFRAG_UNSUPPORTED)), false;
    syslog_enabled: bool = false, "syslog-enabled", None, IMMUTABLE, BOOL, false;
    cluster_enabled: bool = false, "cluster-enabled", None, IMMUTABLE, BOOL, false;
    appendonly: bool = false, "appendonly", None, DENY_LOADING, BOOL, true;
    cluster_allow_reads_when_down: bool = false, "cluster-allow-reads-when-down", None, MODIFIABLE, BOOL, false;
    cluster_allow_pubsubshard_when_down: bool = true, "cluster-allow-pubsubshard-when-down", None, MODIFIABLE, BOOL, false;
    crash_log_enabled: bool = true, "crash-log-enabled", None, MODIFIABLE, BOOL, true;
    crash_memcheck_enabled: bool = true, "crash-memcheck-enabled", None, MODIFIABLE, BOOL, false;
    use_exit_on_panic: bool = false, "use-exit-on-panic", None, HIDDEN, BOOL, false;
    disable_thp: bool = true, "disable-thp", None, IMMUTABLE, BOOL, false;
    cluster_allow_replica_migration: bool = true, "cluster-allow-replica-migration", None, MODIFIABLE, BOOL, false;
    replica_announced: bool = true, "replica-announced", None, MODIFIABLE, BOOL, false;
    latency_tracking: bool = true, "latency-tracking", None, MODIFIABLE, BOOL, false;
    aof_disable_auto_gc: bool = false, "aof-disable-auto-gc", None, MODIFIABLE, BOOL, true;
    replica_ignore_disk_write_errors: bool = false, "replica-ignore-disk-write-errors", None, MODIFIABLE, BOOL, false;

    // ---- strings ----
    aclfile: String = String::new(), "aclfile", None, IMMUTABLE, STR, false;
    unixsocket: String = String::new(), "unixsocket", None, IMMUTABLE, STR, true;
    pidfile: String = String::new(), "pidfile", None, IMMUTABLE, STR, true;
    replica_announce_ip: String = String::new(), "replica-announce-ip", Some("slave-announce-ip"), MODIFIABLE, STR, false;
    masteruser: String = String::new(), "masteruser", None, SENSITIVE, STR, false;
    cluster_announce_ip: String = String::new(), "cluster-announce-ip", None, MODIFIABLE, STR, false;
    cluster_config_file: String = "nodes.conf".into(), "cluster-config-file", None, IMMUTABLE, STR, false;
    cluster_announce_hostname: String = String::new(), "cluster-announce-hostname", None, MODIFIABLE, Kind::Str(Some(check_hostname)), false;
    syslog_ident: String = "redis".into(), "syslog-ident", None, IMMUTABLE, STR, false;
    dbfilename: String = "dump.rdb".into(), "dbfilename", None, PROTECTED, Kind::Str(Some(check_dbfilename)), false;
    appendfilename: String = "appendonly.aof".into(), "appendfilename", None, IMMUTABLE, Kind::Str(Some(check_appendfilename)), true;
    appenddirname: String = "appendonlydir".into(), "appenddirname", None, IMMUTABLE, Kind::Str(Some(check_appenddirname)), true;
    server_cpulist: String = String::new(), "server_cpulist", None, IMMUTABLE, STR, false;
    bio_cpulist: String = String::new(), "bio_cpulist", None, IMMUTABLE, STR, false;
    aof_rewrite_cpulist: String = String::new(), "aof_rewrite_cpulist", None, IMMUTABLE, STR, false;
    bgsave_cpulist: String = String::new(), "bgsave_cpulist", None, IMMUTABLE, STR, false;
    ignore_warnings: String = String::new(), "ignore-warnings", None, MODIFIABLE, STR, false;
    proc_title_template: String = "{title} {listen-addr} {server-mode}".into(), "proc-title-template", None, MODIFIABLE, Kind::Str(Some(check_proc_title_template)), false;
    bind_source_addr: String = String::new(), "bind-source-addr", None, MODIFIABLE, STR, false;
    logfile: String = String::new(), "logfile", None, IMMUTABLE, STR, true;

    // ---- binary-safe strings ----
    masterauth: Vec<u8> = Vec::new(), "masterauth", None, SENSITIVE, Kind::Sds, false;
    requirepass: Vec<u8> = Vec::new(), "requirepass", None, SENSITIVE, Kind::Sds, true;

    // ---- enums ----
    supervised: Supervised = Supervised::No, "supervised", None, IMMUTABLE, Kind::Enum, true;
    syslog_facility: SyslogFacility = SyslogFacility::Local0, "syslog-facility", None, IMMUTABLE, Kind::Enum, false;
    repl_diskless_load: ReplDisklessLoad = ReplDisklessLoad::Disabled, "repl-diskless-load", None, DENY_LOADING, Kind::Enum, false;
    loglevel: LogLevel = LogLevel::Notice, "loglevel", None, MODIFIABLE, Kind::Enum, true;
    maxmemory_policy: MaxmemoryPolicy = MaxmemoryPolicy::Noeviction, "maxmemory-policy", None, MODIFIABLE, Kind::Enum, false;
    appendfsync: AppendFsync = AppendFsync::Everysec, "appendfsync", None, MODIFIABLE, Kind::Enum, true;
    oom_score_adj: OomScoreAdj = OomScoreAdj::No, "oom-score-adj", None, MODIFIABLE, Kind::Enum, false;
    acl_pubsub_default: AclPubsubDefault = AclPubsubDefault::Resetchannels, "acl-pubsub-default", None, MODIFIABLE, Kind::Enum, false;
    sanitize_dump_payload: SanitizeDumpPayload = SanitizeDumpPayload::No, "sanitize-dump-payload", None, MODIFIABLE, Kind::Enum, false;
    enable_protected_configs: ProtectedAction = ProtectedAction::No, "enable-protected-configs", None, IMMUTABLE, Kind::Enum, true;
    enable_debug_command: ProtectedAction = ProtectedAction::No, "enable-debug-command", None, IMMUTABLE, Kind::Enum, true;
    enable_module_command: ProtectedAction = ProtectedAction::No, "enable-module-command", None, IMMUTABLE, Kind::Enum, false;
    cluster_preferred_endpoint_type: ClusterPreferredEndpointType = ClusterPreferredEndpointType::Ip, "cluster-preferred-endpoint-type", None, MODIFIABLE, Kind::Enum, false;
    propagation_error_behavior: PropagationErrorBehavior = PropagationErrorBehavior::Ignore, "propagation-error-behavior", None, MODIFIABLE, Kind::Enum, false;
    shutdown_on_sigint: u32 = 0, "shutdown-on-sigint", None, MULTI_ARG, Kind::Flags, false;
    shutdown_on_sigterm: u32 = 0, "shutdown-on-sigterm", None, MULTI_ARG, Kind::Flags, false;

    // ---- int ----
    databases: i32 = 16, "databases", None, IMMUTABLE, int(1, INT_MAX), true;
    port: i32 = 6379, "port", None, MODIFIABLE, int(0, 65535), true;
    // rustredis extension: the Prometheus endpoint (metrics.rs); 0 = off. HIDDEN keeps it
    // out of CONFIG GET patterns, so `CONFIG GET *` lists exactly Redis 7.0.15's directives.
    metrics_port: i32 = 0, "metrics-port", None, HIDDEN, int(0, 65535), true;
    io_threads: i32 = 1, "io-threads", None, IMMUTABLE, int(1, 128), false;
    auto_aof_rewrite_percentage: i32 = 100, "auto-aof-rewrite-percentage", None, MODIFIABLE, int(0, INT_MAX), true;
    cluster_replica_validity_factor: i32 = 10, "cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), MODIFIABLE, int(0, INT_MAX), false;
    list_max_listpack_size: i32 = -2, "list-max-listpack-size", Some("list-max-ziplist-size"), MODIFIABLE, int(INT_MIN, INT_MAX), false;
    tcp_keepalive: i32 = 300, "tcp-keepalive", None, MODIFIABLE, int(0, INT_MAX), true;
    cluster_migration_barrier: i32 = 1, "cluster-migration-barrier", None, MODIFIABLE, int(0, INT_MAX), false;
    active_defrag_cycle_min: i32 = 1, "active-defrag-cycle-min", None, MODIFIABLE, int(1, 99), false;
    active_defrag_cycle_max: i32 = 25, "active-defrag-cycle-max", None, MODIFIABLE, int(1, 99), false;
    active_defrag_threshold_lower: i32 = 10, "active-defrag-threshold-lower", None, MODIFIABLE, int(0, 1000), false;
    active_defrag_threshold_upper: i32 = 100, "active-defrag-threshold-upper", None, MODIFIABLE, int(0, 1000), false;
    lfu_log_factor: i32 = 10, "lfu-log-factor", None, MODIFIABLE, int(0, INT_MAX), false;
    lfu_decay_time: i32 = 1, "lfu-decay-time", None, MODIFIABLE, int(0, INT_MAX), false;
    replica_priority: i32 = 100, "replica-priority", Some("slave-priority"), MODIFIABLE, int(0, INT_MAX), false;
    repl_diskless_sync_delay: i32 = 5, "repl-diskless-sync-delay", None, MODIFIABLE, int(0, INT_MAX), false;
    maxmemory_samples: i32 = 5, "maxmemory-samples", None, MODIFIABLE, int(1, INT_MAX), false;
    maxmemory_eviction_tenacity: i32 = 10, "maxmemory-eviction-tenacity", None, MODIFIABLE, int(0, 100), false;
    timeout: i32 = 0, "timeout", None, MODIFIABLE, int(0, INT_MAX), true;
    replica_announce_port: i32 = 0, "replica-announce-port", Some("slave-announce-port"), MODIFIABLE, int(0, 65535), false;
    tcp_backlog: i32 = 511, "tcp-backlog", None, IMMUTABLE, int(0, INT_MAX), true;
    cluster_port: i32 = 0, "cluster-port", None, IMMUTABLE, int(0, 65535), false;
    cluster_announce_bus_port: i32 = 0, "cluster-announce-bus-port", None, MODIFIABLE, int(0, 65535), false;
    cluster_announce_port: i32 = 0, "cluster-announce-port", None, MODIFIABLE, int(0, 65535), false;
    cluster_announce_tls_port: i32 = 0, "cluster-announce-tls-port", None, MODIFIABLE, int(0, 65535), false;
    repl_timeout: i32 = 60, "repl-timeout", None, MODIFIABLE, int(1, INT_MAX), false;
    repl_ping_replica_period: i32 = 10, "repl-ping-replica-period", Some("repl-ping-slave-period"), MODIFIABLE, int(1, INT_MAX), false;
    list_compress_depth: i32 = 0, "list-compress-depth", None, MODIFIABLE, int(0, INT_MAX), false;
    rdb_key_save_delay: i32 = 0, "rdb-key-save-delay", None, HIDDEN, int(INT_MIN, INT_MAX), true;
    key_load_delay: i32 = 0, "key-load-delay", None, HIDDEN, int(INT_MIN, INT_MAX), true;
    active_expire_effort: i32 = 1, "active-expire-effort", None, MODIFIABLE, int(1, 10), true;
    hz: i32 = 10, "hz", None, MODIFIABLE, int(0, INT_MAX), true;
    min_replicas_to_write: i32 = 0, "min-replicas-to-write", Some("min-slaves-to-write"), MODIFIABLE, int(0, INT_MAX), false;
    min_replicas_max_lag: i32 = 10, "min-replicas-max-lag", Some("min-slaves-max-lag"), MODIFIABLE, int(0, INT_MAX), false;
    watchdog_period: i32 = 0, "watchdog-period", None, HIDDEN, int(0, INT_MAX), false;
    shutdown_timeout: i32 = 10, "shutdown-timeout", None, MODIFIABLE, int(0, INT_MAX), false;
    repl_diskless_sync_max_replicas: i32 = 0, "repl-diskless-sync-max-replicas", None, MODIFIABLE, int(0, INT_MAX), false;

    // ---- unsigned int ----
    maxclients: u32 = 10000, "maxclients", None, MODIFIABLE, uint(1, UINT_MAX), true;
    unixsocketperm: u32 = 0, "unixsocketperm", None, IMMUTABLE, Kind::Num { min: 0, max: 0o777, unsigned: true, fmt: NumFmt::Octal }, true;
    socket_mark_id: u32 = 0, "socket-mark-id", None, IMMUTABLE, uint(0, UINT_MAX), false;

    // ---- unsigned long (bounds checked as signed, like Redis) ----
    active_defrag_max_scan_fields: u64 = 1000, "active-defrag-max-scan-fields", None, MODIFIABLE, int(1, LONG_MAX), false;
    slowlog_max_len: u64 = 128, "slowlog-max-len", None, MODIFIABLE, int(0, LONG_MAX), false;
    acllog_max_len: u64 = 128, "acllog-max-len", None, MODIFIABLE, int(0, LONG_MAX), false;

    // ---- long long ----
    busy_reply_threshold: i64 = 5000, "busy-reply-threshold", Some("lua-time-limit"), MODIFIABLE, int(0, LONG_MAX), false;
    cluster_node_timeout: i64 = 15000, "cluster-node-timeout", None, MODIFIABLE, int(0, LONG_MAX), false;
    slowlog_log_slower_than: i64 = 10000, "slowlog-log-slower-than", None, MODIFIABLE, int(-1, LONG_MAX), false;
    latency_monitor_threshold: i64 = 0, "latency-monitor-threshold", None, MODIFIABLE, int(0, LONG_MAX), false;
    proto_max_bulk_len: i64 = 512 * MB, "proto-max-bulk-len", None, MODIFIABLE, mem(MB, LONG_MAX), true;
    stream_node_max_entries: i64 = 100, "stream-node-max-entries", None, MODIFIABLE, int(0, LONG_MAX), false;
    repl_backlog_size: i64 = MB, "repl-backlog-size", None, MODIFIABLE, mem(1, LONG_MAX), false;

    // ---- unsigned long long ----
    maxmemory: u64 = 0, "maxmemory", None, MODIFIABLE, umem(0, ULLONG_MAX), false;
    cluster_link_sendbuf_limit: u64 = 0, "cluster-link-sendbuf-limit", None, MODIFIABLE, umem(0, ULLONG_MAX), false;

    // ---- size_t ----
    hash_max_listpack_entries: u64 = 512, "hash-max-listpack-entries", Some("hash-max-ziplist-entries"), MODIFIABLE, uint(0, LONG_MAX), false;
    set_max_intset_entries: u64 = 512, "set-max-intset-entries", None, MODIFIABLE, uint(0, LONG_MAX), false;
    zset_max_listpack_entries: u64 = 128, "zset-max-listpack-entries", Some("zset-max-ziplist-entries"), MODIFIABLE, uint(0, LONG_MAX), false;
    active_defrag_ignore_bytes: u64 = 100 * MB as u64, "active-defrag-ignore-bytes", None, MODIFIABLE, umem(1, LONG_MAX), false;
    hash_max_listpack_value: u64 = 64, "hash-max-listpack-value", Some("hash-max-ziplist-value"), MODIFIABLE, umem(0, LONG_MAX), false;
    stream_node_max_bytes: u64 = 4096, "stream-node-max-bytes", None, MODIFIABLE, umem(0, LONG_MAX), false;
    zset_max_listpack_value: u64 = 64, "zset-max-listpack-value", Some("zset-max-ziplist-value"), MODIFIABLE, umem(0, LONG_MAX), false;
    hll_sparse_max_bytes: u64 = 3000, "hll-sparse-max-bytes", None, MODIFIABLE, umem(0, LONG_MAX), false;
    tracking_table_max_keys: u64 = 1_000_000, "tracking-table-max-keys", None, MODIFIABLE, uint(0, LONG_MAX), true;
    client_query_buffer_limit: u64 = 1024 * MB as u64, "client-query-buffer-limit", None, MODIFIABLE, umem(MB, LONG_MAX), true;
    // ssize_t, memory or percent: a negative value is a percentage of maxmemory.
    maxmemory_clients: i64 = 0, "maxmemory-clients", None, MODIFIABLE, Kind::Num { min: -100, max: LONG_MAX, unsigned: false, fmt: NumFmt::MemoryPercent }, false;

    // ---- time_t / off_t ----
    repl_backlog_ttl: i64 = 3600, "repl-backlog-ttl", None, MODIFIABLE, int(0, LONG_MAX), false;
    auto_aof_rewrite_min_size: i64 = 64 * MB, "auto-aof-rewrite-min-size", None, MODIFIABLE, mem(0, LONG_MAX), true;
    loading_process_events_interval_bytes: i64 = 2 * MB, "loading-process-events-interval-bytes", None, HIDDEN, int(1024, INT_MAX), true;

    // ---- TLS ----
    tls_port: i32 = 0, "tls-port", None, MODIFIABLE, int(0, 65535), TLS;
    tls_session_cache_size: i32 = 20 * 1024, "tls-session-cache-size", None, MODIFIABLE, int(0, INT_MAX), TLS;
    tls_session_cache_timeout: i32 = 300, "tls-session-cache-timeout", None, MODIFIABLE, int(0, INT_MAX), TLS;
    tls_cluster: bool = false, "tls-cluster", None, MODIFIABLE, BOOL, TLS;
    tls_replication: bool = false, "tls-replication", None, MODIFIABLE, BOOL, TLS;
    tls_auth_clients: TlsAuthClients = TlsAuthClients::Yes, "tls-auth-clients", None, MODIFIABLE, Kind::Enum, TLS;
    tls_prefer_server_ciphers: bool = false, "tls-prefer-server-ciphers", None, MODIFIABLE, BOOL, TLS;
    tls_session_caching: bool = true, "tls-session-caching", None, MODIFIABLE, BOOL, TLS;
    tls_cert_file: String = String::new(), "tls-cert-file", None, MODIFIABLE, STR, TLS;
    tls_key_file: String = String::new(), "tls-key-file", None, MODIFIABLE, STR, TLS;
    tls_key_file_pass: String = String::new(), "tls-key-file-pass", None, MODIFIABLE, STR, TLS;
    tls_client_cert_file: String = String::new(), "tls-client-cert-file", None, MODIFIABLE, STR, TLS;
    tls_client_key_file: String = String::new(), "tls-client-key-file", None, MODIFIABLE, STR, TLS;
    tls_client_key_file_pass: String = String::new(), "tls-client-key-file-pass", None, MODIFIABLE, STR, TLS;
    tls_dh_params_file: String = String::new(), "tls-dh-params-file", None, MODIFIABLE, STR, TLS;
    tls_ca_cert_file: String = String::new(), "tls-ca-cert-file", None, MODIFIABLE, STR, TLS;
    tls_ca_cert_dir: String = String::new(), "tls-ca-cert-dir", None, MODIFIABLE, STR, TLS;
    tls_protocols: String = String::new(), "tls-protocols", None, MODIFIABLE, STR, TLS;
    tls_ciphers: String = String::new(), "tls-ciphers", None, MODIFIABLE, STR, TLS;
    tls_ciphersuites: String = String::new(), "tls-ciphersuites", None, MODIFIABLE, STR, TLS;

    // ---- special ----
    // The absolute directory the server works in (RDB/AOF files, relative paths).
    dir: String = cwd_string(), "dir", None, PROTECTED | DENY_LOADING, Kind::Dir, true;
    // `save`: (seconds, changes) points.
    save_params: Vec<(i64, i64)> = vec![(3600, 1), (300, 100), (60, 10000)], "save", None, MULTI_ARG, Kind::Save, true;
    client_output_buffer_limit: [ObufLimit; 3] = [
        ObufLimit { hard_limit_bytes: 0, soft_limit_bytes: 0, soft_limit_seconds: 0 },
        ObufLimit { hard_limit_bytes: 256 * MB as u64, soft_limit_bytes: 64 * MB as u64, soft_limit_seconds: 60 },
        ObufLimit { hard_limit_bytes: 32 * MB as u64, soft_limit_bytes: 8 * MB as u64, soft_limit_seconds: 60 },
    ], "client-output-buffer-limit", None, MULTI_ARG, Kind::ClientOutputBufferLimit, false;
    // [master, replica, bgchild].
    oom_score_adj_values: [i32; 3] = [0, 200, 800], "oom-score-adj-values", None, MULTI_ARG, Kind::OomScoreAdjValues, false;
    // NOTIFY_* bits.
    notify_keyspace_events: i32 = 0, "notify-keyspace-events", None, MODIFIABLE, Kind::NotifyKeyspaceEvents, false;
    bind: Vec<String> = vec!["*".to_string(), "-::*".to_string()], "bind", None, MULTI_ARG, Kind::Bind, true;
    // (master host, master port), `None` for a master.
    replicaof: Option<(String, u16)> = None, "replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, Kind::ReplicaOf, false;
    latency_tracking_info_percentiles: Vec<f64> = vec![50.0, 99.0, 99.9], "latency-tracking-info-percentiles", None, MULTI_ARG, Kind::Percentiles, false;
}

/// Config-file-only directives Redis accepts and ignores (deprecated), with their exact argc.
const DEPRECATED: &[(&str, usize)] = &[
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];

/// A config-file line kept for the server to act on (`rename-command`, `user`, `loadmodule`, module configs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDirective {
    /// The arguments after the directive name (for module configs: the name, then the value).
    pub args: Vec<Vec<u8>>,
    /// 1-based line number in the text it came from.
    pub line_no: usize,
    /// The trimmed line.
    pub line: String,
}

impl FileDirective {
    /// The fatal error to report when the server rejects this line,
    /// e.g. `"No such command in rename-command"` or `"Target command name already exists"`.
    pub fn error(&self, reason: impl Into<String>) -> ConfigFileError {
        ConfigFileError {
            line_no: self.line_no,
            line: self.line.clone(),
            reason: reason.into(),
        }
    }
}

/// A fatal configuration error, reported on stderr before `exit(1)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigFileError {
    /// 1-based line number; 0 when the error is not about one line (e.g. the log file can't be opened).
    pub line_no: usize,
    /// The offending line, trimmed.
    pub line: String,
    /// Redis's reason text, e.g. "Bad directive or wrong number of arguments".
    pub reason: String,
}

const OPEN_ERROR_PREFIX: &str = "Fatal error, can't open config file '";

impl ConfigFileError {
    /// Redis's multi-line report, for stderr:
    ///
    /// ```text
    ///
    /// *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
    /// Reading the configuration file, at line 2
    /// >>> 'port "abc"'
    /// argument couldn't be parsed into an integer
    /// ```
    ///
    /// Without a line (`line_no == 0`) the two middle lines are left out. A config file that
    /// can't be opened is not a FATAL report in Redis but a warning log line; for that error
    /// (see [`ConfigFileError::is_open_error`]) this returns just the message, e.g.
    /// `Fatal error, can't open config file '/etc/x.conf': No such file or directory`,
    /// for the caller to log at warning level.
    pub fn report(&self) -> String {
        if self.is_open_error() {
            return self.reason.clone();
        }
        let mut s = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
        if self.line_no > 0 {
            s.push_str(&format!(
                "Reading the configuration file, at line {}\n",
                self.line_no
            ));
            s.push_str(&format!(">>> '{}'\n", self.line));
        }
        s.push_str(&self.reason);
        s.push('\n');
        s
    }

    /// True when a config file (or an included one) could not be opened.
    pub fn is_open_error(&self) -> bool {
        self.line_no == 0 && self.reason.starts_with(OPEN_ERROR_PREFIX)
    }
}

impl std::fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.report())
    }
}

impl std::error::Error for ConfigFileError {}

/// Find a directive by canonical name or alias (case-insensitive).
/// Returns the row and the registered name that matched (the alias when the alias matched).
pub fn lookup_directive(name: &[u8]) -> Option<(&'static Directive, &'static str)> {
    for d in DIRECTIVES {
        if d.name.as_bytes().eq_ignore_ascii_case(name) {
            return Some((d, d.name));
        }
        if let Some(a) = d.alias
            && a.as_bytes().eq_ignore_ascii_case(name)
        {
            return Some((d, a));
        }
    }
    None
}

// ---- Quoting: sdssplitargs / sdscatrepr ----

/// Redis `sdscatrepr`: a double-quoted, escaped rendering of `s`.
pub fn repr(s: &[u8]) -> String {
    let mut out = String::from("\"");
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

fn has_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

/// Expand a glob path component by component (like glob(3) without flags): sorted matches,
/// hidden entries only when the component starts with '.', nothing when nothing matches.
fn glob_paths(base: &str, pattern: &str) -> Vec<std::path::PathBuf> {
    let full = resolve_path(base, pattern);
    let mut acc: Vec<std::path::PathBuf> = vec![std::path::PathBuf::new()];
    for comp in full.components() {
        let c = comp.as_os_str().to_string_lossy().into_owned();
        let mut next = Vec::new();
        for prefix in &acc {
            if has_glob(&c) && !matches!(comp, std::path::Component::RootDir) {
                let dir = if prefix.as_os_str().is_empty() {
                    std::path::PathBuf::from(".")
                } else {
                    prefix.clone()
                };
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                for n in names {
                    if n.starts_with('.') && !c.starts_with('.') {
                        continue;
                    }
                    if string_match(c.as_bytes(), n.as_bytes(), false) {
                        next.push(prefix.join(&n));
                    }
                }
            } else {
                let p = prefix.join(comp.as_os_str());
                if p.exists() || !has_glob(pattern) {
                    next.push(p);
                }
            }
        }
        acc = next;
    }
    acc.into_iter().filter(|p| p.is_file()).collect()
}

fn open_error(path: &str, e: &std::io::Error) -> ConfigFileError {
    ConfigFileError {
        line_no: 0,
        line: String::new(),
        reason: format!("{OPEN_ERROR_PREFIX}{path}': {}", strerror(e)),
    }
}

/// Read a config file (or every file a glob matches) relative to `base`, as Redis's
/// `loadServerConfig` does: a missing file without wildcards is an error, a glob that
/// matches nothing is empty.
fn read_config_source(base: &str, path: &str) -> Result<String, ConfigFileError> {
    if has_glob(path) {
        let mut text = String::new();
        for p in glob_paths(base, path) {
            let bytes = std::fs::read(&p).map_err(|e| open_error(&p.to_string_lossy(), &e))?;
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
        return Ok(text);
    }
    match std::fs::read(resolve_path(base, path)) {
        Ok(b) => Ok(String::from_utf8_lossy(&b).into_owned()),
        // fopen() of a directory succeeds and reads nothing.
        Err(e) if e.raw_os_error() == Some(21) => Ok(String::new()),
        Err(e) => Err(open_error(path, &e)),
    }
}

impl Config {
    /// Parse a whole config text (file content + command-line overrides already appended)
    /// with Redis semantics: lines split with `sdssplitargs` quoting (`"..."` with
    /// `\n \r \t \b \a \xHH` escapes, `'...'`), `#` comments, case-insensitive directive
    /// names, `include <path-or-glob>` read from disk (relative to `dir`) and parsed in place.
    /// The first error stops loading; its report names the line (line numbers count
    /// from 1 within the text, or within the included file for errors there).
    pub fn load_from_string(&mut self, text: &str) -> Result<(), ConfigFileError> {
        let outer = !self.loading_file;
        self.loading_file = true;
        let r = self.load_lines(text);
        if outer {
            self.loading_file = false;
        }
        r?;

        if !self.logfile.is_empty() {
            let path = resolve_path(&self.dir, &self.logfile);
            if let Err(e) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
            {
                return Err(ConfigFileError {
                    line_no: 0,
                    line: String::new(),
                    reason: format!("Can't open the log file: {}", strerror(&e)),
                });
            }
        }
        if self.cluster_enabled && self.replicaof.is_some() {
            return Err(ConfigFileError {
                line_no: 0,
                line: String::new(),
                reason: "replicaof directive not allowed in cluster mode".into(),
            });
        }
        self.hz = self.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
        Ok(())
    }

    fn load_lines(&mut self, text: &str) -> Result<(), ConfigFileError> {
        for (idx, raw) in text.split('\n').enumerate() {
            let line_no = idx + 1;
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: Cow<'static, str>| ConfigFileError {
                line_no,
                line: line.to_string(),
                reason: reason.into_owned(),
            };
            let Some(mut argv) = split_args(line.as_bytes()) else {
                return Err(err("Unbalanced quotes in configuration line".into()));
            };
            if argv.is_empty() {
                continue;
            }
            argv[0].make_ascii_lowercase();
            let argc = argv.len();

            if let Some((d, _)) = lookup_directive(&argv[0]) {
                if d.flags & MULTI_ARG == 0 && argc != 2 {
                    return Err(err("wrong number of arguments".into()));
                }
                (d.set)(self, &argv[1..]).map_err(err)?;
                if d.name == "save" {
                    self.save_loaded = true;
                }
                if !self.set_in_source.contains(&d.name) {
                    self.set_in_source.push(d.name);
                }
                continue;
            }
            if DEPRECATED
                .iter()
                .any(|(n, c)| n.as_bytes() == argv[0].as_slice() && *c == argc)
            {
                continue;
            }
            let keep = |argv: &[Vec<u8>]| FileDirective {
                args: argv.to_vec(),
                line_no,
                line: line.to_string(),
            };
            match argv[0].as_slice() {
                b"include" if argc == 2 => {
                    let path = lossy(&argv[1]);
                    let text = read_config_source(&self.dir, &path)?;
                    self.load_from_string(&text)?;
                }
                b"rename-command" if argc == 3 => self.rename_commands.push(keep(&argv[1..])),
                b"user" if argc >= 2 => self.users.push(keep(&argv[1..])),
                b"loadmodule" if argc >= 2 => self.load_modules.push(keep(&argv[1..])),
                name if name.contains(&b'.') => {
                    if argc < 2 {
                        return Err(err("Module config specified without value".into()));
                    }
                    self.module_configs.push(keep(&argv));
                }
                b"sentinel" => {
                    if argc != 1 {
                        return Err(err("sentinel directive while not in sentinel mode".into()));
                    }
                    self.sentinel_mode = true;
                }
                _ => return Err(err("Bad directive or wrong number of arguments".into())),
            }
        }
        Ok(())
    }

    /// Read the file (or stdin when `path` is "-"), append `"\n" + extra` (the command-line
    /// overrides from [`parse_command_line`]) and call [`Config::load_from_string`].
    /// A path with `*`, `?` or `[` is a glob: every matching file is read, in order.
    pub fn load_from_file(&mut self, path: &str, extra: &str) -> Result<(), ConfigFileError> {
        let mut text = if path == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| open_error(path, &e))?;
            String::from_utf8_lossy(&buf).into_owned()
        } else {
            read_config_source(&self.dir, path)?
        };
        text.push('\n');
        text.push_str(extra);
        self.load_from_string(&text)
    }

    /// CONFIG GET: (name, value) pairs for every directive (and alias, as Redis 7.0 does)
    /// matching any of the glob `patterns` (case-insensitive). A pattern without `*?[` is
    /// an exact lookup and answers with the name as the client spelled it; hidden
    /// directives only answer exact lookups. Values are rendered as Redis renders them:
    /// `yes`/`no`, memory as plain bytes, `save` as "3600 1 300 100 60 10000", enums by name.
    /// Each name appears once; order is table order within a pattern.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
                let key = lossy(pat).to_ascii_lowercase();
                if seen.contains(&key) {
                    continue;
                }
                if let Some((d, _)) = lookup_directive(pat) {
                    seen.insert(key);
                    out.push((lossy(pat), (d.get)(self)));
                }
                continue;
            }
            for d in DIRECTIVES {
                if d.flags & HIDDEN != 0 {
                    continue;
                }
                for name in std::iter::once(d.name).chain(d.alias) {
                    if seen.contains(name) {
                        continue;
                    }
                    if string_match(pat, name.as_bytes(), true) {
                        seen.insert(name.to_string());
                        out.push((name.to_string(), (d.get)(self)));
                    }
                }
            }
        }
        out
    }

    /// The CONFIG GET rendering of one directive (canonical name or alias), if it exists.
    pub fn get_value(&self, name: &str) -> Option<String> {
        lookup_directive(name.as_bytes()).map(|(d, _)| (d.get)(self))
    }

    /// CONFIG SET with one or more name/value pairs, atomically (all or nothing, as Redis 7.0).
    /// The caller is treated as a non-local client for `enable-protected-configs local`
    /// (use [`Config::set_for_client`] to pass locality).
    ///
    /// Returns the canonical names whose value changed, in argument order, so the server
    /// can run apply hooks (maxclients, hz, port, bind, ...). `hz` is clamped to 1..=500 here.
    /// `Err` carries Redis's exact error reply without the leading '-':
    /// * `ERR Unknown option or number of arguments for CONFIG SET - 'foo'`
    /// * `ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config`
    /// * `ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config`
    /// * `ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter`
    /// * `ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value`
    pub fn set(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        self.set_for_client(pairs, false)
    }

    /// [`Config::set`] for a client whose locality is known (loopback or unix socket),
    /// which matters for protected configs when `enable-protected-configs` is `local`.
    pub fn set_for_client(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        client_is_local: bool,
    ) -> Result<Vec<&'static str>, String> {
        let mut found: Vec<(&'static Directive, &'static str)> = Vec::with_capacity(pairs.len());
        let mut failure: Option<String> = None;
        for (name, _) in pairs {
            let Some((d, reg)) = lookup_directive(name) else {
                if failure.is_none() {
                    failure = Some(format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                        lossy(name)
                    ));
                }
                continue;
            };
            if failure.is_some() {
                continue;
            }
            let errstr = if d.flags & IMMUTABLE != 0 {
                Some("can't set immutable config")
            } else if d.flags & PROTECTED != 0
                && !self.enable_protected_configs.allows(client_is_local)
            {
                Some("can't set protected config")
            } else if found.iter().any(|(f, _)| std::ptr::eq(*f, d)) {
                Some("duplicate parameter")
            } else {
                None
            };
            if let Some(e) = errstr {
                failure = Some(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {}",
                    lossy(name),
                    e
                ));
                continue;
            }
            found.push((d, reg));
        }
        if let Some(f) = failure {
            return Err(f);
        }

        let mut next = self.clone();
        let mut changed: Vec<&'static str> = Vec::new();
        for ((d, reg), (_, value)) in found.iter().zip(pairs) {
            let args: Vec<Vec<u8>> = if d.flags & MULTI_ARG != 0 {
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(|&c| c == b' ').map(|a| a.to_vec()).collect()
                }
            } else {
                vec![value.to_vec()]
            };
            match (d.set)(&mut next, &args) {
                Ok(true) => {
                    if !changed.contains(&d.name) {
                        changed.push(d.name);
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    return Err(format!(
                        "ERR CONFIG SET failed (possibly related to argument '{reg}') - {e}"
                    ));
                }
            }
        }
        next.hz = next.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
        *self = next;
        Ok(changed)
    }

    /// Names of directives set in the config source (file or command line) to a
    /// non-default value whose feature rustredis does not implement yet, plus the
    /// file-only directives it does not act on (`rename-command`, `user`, `loadmodule`,
    /// module configs, `sentinel`) when present. For the single startup warning line.
    pub fn unimplemented_in_use(&self) -> Vec<&'static str> {
        let defaults = Config::default();
        let mut out: Vec<&'static str> = Vec::new();
        for d in DIRECTIVES {
            if d.implemented || !self.set_in_source.contains(&d.name) {
                continue;
            }
            if (d.get)(self) != (d.get)(&defaults) {
                out.push(d.name);
            }
        }
        if !self.rename_commands.is_empty() {
            out.push("rename-command");
        }
        if !self.users.is_empty() {
            out.push("user");
        }
        if !self.load_modules.is_empty() {
            out.push("loadmodule");
        }
        if !self.module_configs.is_empty() {
            out.push("module configs");
        }
        if self.sentinel_mode {
            out.push("sentinel");
        }
        out
    }
}

/// Redis `getAbsolutePath`: `cwd + "/" + path`, with leading `./` dropped and each
/// leading `../` removing one trailing component of the cwd.
fn absolute_path(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let mut cwd = cwd_string();
    let mut rel = path;
    loop {
        if let Some(r) = rel.strip_prefix("./") {
            rel = r;
        } else if let Some(r) = rel.strip_prefix("../") {
            rel = r;
            if let Some(i) = cwd.trim_end_matches('/').rfind('/') {
                cwd.truncate(i.max(1));
            }
        } else {
            break;
        }
    }
    if cwd.ends_with('/') {
        format!("{cwd}{rel}")
    } else {
        format!("{cwd}/{rel}")
    }
}

/// Build the config text from argv like redis-server 7.0 does. `args` excludes the
/// program name (argv[0]).
///
/// * An optional first argument not starting with '-' is the config file path (returned
///   made absolute); `-` as the first (or last) argument means "read the config from stdin"
///   and is returned as the path `"-"`.
/// * Then each `--name` starts a new directive line `name`, and the following arguments
///   are appended quoted (`sdscatrepr`), so `--port 6380 --save ""` becomes
///   `port "6380" \nsave "" `. A `--name value` single argument is taken whole.
///   An argument starting with `--` right after a `--name` with no value yet is a
///   value (`--port --foo` is `port "--foo"`), except after `--save`, which then gets `""`.
/// * A non-option argument is appended to the current line like any value, so a stray
///   argument makes the config load fail with Redis's report, as in redis-server.
///
/// Returns `(config_file_path, extra_text)`. Errors when the config is to come from both a
/// file and stdin, which rustredis does not support.
pub fn parse_command_line(args: &[String]) -> Result<(Option<String>, String), String> {
    let n = args.len();
    let mut j = 0;
    let mut file: Option<String> = None;
    if n > 0 && !args[0].starts_with('-') {
        file = Some(absolute_path(&args[0]));
        j = 1;
    }
    let mut stdin = false;
    let mut options = String::new();
    let mut handled_last_config_arg = true;
    while j < n {
        let a = &args[j];
        if a == "-" && (j == 0 || j == n - 1) {
            stdin = true;
        } else if handled_last_config_arg && a.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&a[2..]);
            options.push(' ');
            let argc_tmp = split_args(a.as_bytes()).map(|v| v.len()).unwrap_or(0);
            if argc_tmp == 1 {
                handled_last_config_arg = false;
                let is_save = a.eq_ignore_ascii_case("--save");
                let is_sentinel = a.eq_ignore_ascii_case("--sentinel");
                let next_is_opt = j != n - 1 && args[j + 1].starts_with("--");
                if is_save && next_is_opt {
                    options.push_str("\"\"");
                    handled_last_config_arg = true;
                } else if is_save && j == n - 1 {
                    options.push_str("\"\"");
                } else if is_sentinel && next_is_opt {
                    handled_last_config_arg = true;
                }
            } else {
                handled_last_config_arg = true;
            }
        } else {
            options.push_str(&repr(a.as_bytes()));
            options.push(' ');
            handled_last_config_arg = true;
        }
        j += 1;
    }
    match (file, stdin) {
        (Some(_), true) => Err(
            "reading the configuration from both a file and standard input is not supported"
                .to_string(),
        ),
        (None, true) => Ok((Some("-".to_string()), options)),
        (f, false) => Ok((f, options)),
    }
}

// ---- Derived settings the server reads on hot paths ----

impl Config {
    /// `loglevel` as the log module's index: 0 debug, 1 verbose, 2 notice, 3 warning.
    pub fn loglevel_index(&self) -> u8 {
        match self.loglevel {
            LogLevel::Debug => 0,
            LogLevel::Verbose => 1,
            LogLevel::Notice => 2,
            LogLevel::Warning => 3,
        }
    }

    /// True under `volatile-lfu` / `allkeys-lfu` (Redis `MAXMEMORY_FLAG_LFU`).
    pub fn maxmemory_policy_is_lfu(&self) -> bool {
        matches!(
            self.maxmemory_policy,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }

    /// True when values may not share integer objects: maxmemory is set with
    /// an LRU or LFU policy (Redis `MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
    pub fn maxmemory_policy_no_shared_integers(&self) -> bool {
        self.maxmemory != 0
            && matches!(
                self.maxmemory_policy,
                MaxmemoryPolicy::VolatileLru
                    | MaxmemoryPolicy::VolatileLfu
                    | MaxmemoryPolicy::AllkeysLru
                    | MaxmemoryPolicy::AllkeysLfu
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set1(c: &mut Config, n: &str, v: &str) -> Result<Vec<&'static str>, String> {
        c.set(&[(n.as_bytes(), v.as_bytes())])
    }
    fn get1(c: &Config, n: &str) -> String {
        c.get_value(n).unwrap_or_else(|| panic!("no directive {n}"))
    }
    fn load(text: &str) -> Result<Config, ConfigFileError> {
        let mut c = Config::default();
        c.load_from_string(text).map(|_| c)
    }
    fn load_err(text: &str) -> ConfigFileError {
        match load(text) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn defaults_match_oracle_config_get_star() {
        let fixture = include_str!("../tests/fixtures/config_get_defaults.txt");
        let c = Config::default();
        let all = c.get_matching(&[b"*"]);
        let mut got: Vec<(String, String)> = all.clone();
        got.sort();
        let mut expected = Vec::new();
        for line in fixture.lines() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let (n, v) = line
                .split_once('\t')
                .expect("fixture line is name<TAB>value");
            let v = if n == "dir" {
                cwd_string()
            } else {
                v.to_string()
            };
            expected.push((n.to_string(), v));
        }
        expected.sort();
        assert_eq!(expected.len(), 192);
        for (e, g) in expected.iter().zip(got.iter()) {
            assert_eq!(e, g);
        }
        assert_eq!(expected, got);
    }

    #[test]
    fn table_names_unique_and_lowercase() {
        let mut seen = HashSet::new();
        for d in DIRECTIVES {
            for n in std::iter::once(d.name).chain(d.alias) {
                assert!(seen.insert(n), "duplicate {n}");
                assert_eq!(n, n.to_ascii_lowercase());
            }
        }
    }

    #[test]
    fn implemented_flags() {
        let implemented: Vec<&str> = DIRECTIVES
            .iter()
            .filter(|d| d.implemented)
            .map(|d| d.name)
            .collect();
        let mut want = vec![
            "port",
            "bind",
            "tcp-backlog",
            "tcp-keepalive",
            "unixsocket",
            "unixsocketperm",
            "maxclients",
            "timeout",
            "protected-mode",
            "hz",
            "dynamic-hz",
            "databases",
            "proto-max-bulk-len",
            "client-query-buffer-limit",
            "requirepass",
            "daemonize",
            "pidfile",
            "loglevel",
            "logfile",
            "always-show-logo",
            "enable-debug-command",
            "enable-protected-configs",
            "dir",
            "active-expire-effort",
            "lazyfree-lazy-user-del",
            "lazyfree-lazy-user-flush",
            "lazyfree-lazy-expire",
            "lazyfree-lazy-server-del",
            "set-proc-title",
            "crash-log-enabled",
            "supervised",
            // The AOF (aof.rs).
            "appendonly",
            "appendfilename",
            "appenddirname",
            "appendfsync",
            "aof-rewrite-incremental-fsync",
            "no-appendfsync-on-rewrite",
            "aof-load-truncated",
            "aof-use-rdb-preamble",
            "aof-timestamp-enabled",
            "aof-disable-auto-gc",
            "auto-aof-rewrite-percentage",
            "auto-aof-rewrite-min-size",
            // Background saving and loading (rdb.rs).
            "save",
            "stop-writes-on-bgsave-error",
            "rdb-save-incremental-fsync",
            "rdb-key-save-delay",
            "key-load-delay",
            "loading-process-events-interval-bytes",
            // Client-side caching (tracking.rs).
            "tracking-table-max-keys",
        ];
        let mut got = implemented.clone();
        want.sort();
        got.sort();
        assert_eq!(want, got);
    }

    #[test]
    fn split_args_quoting() {
        let s = |l: &str| split_args(l.as_bytes());
        let v = |xs: &[&[u8]]| Some(xs.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
        assert_eq!(s("port 6379"), v(&[b"port", b"6379"]));
        assert_eq!(s("  a   b\tc  "), v(&[b"a", b"b", b"c"]));
        assert_eq!(s(r#"x "a b" 'c d'"#), v(&[b"x", b"a b", b"c d"]));
        assert_eq!(
            s(r#""\n\r\t\b\a\\\"\x41\x7a""#),
            v(&[b"\n\r\t\x08\x07\\\"Az"])
        );
        assert_eq!(s(r#""\xZZ""#), v(&[b"xZZ"]));
        assert_eq!(s(r#"'it\'s'"#), v(&[b"it's"]));
        assert_eq!(s(r#"'a\nb'"#), v(&[b"a\\nb"]));
        assert_eq!(s(r#"x """#), v(&[b"x", b""]));
        assert_eq!(s("63'79'"), v(&[b"6379"]));
        assert_eq!(s(r#"a"b c"d"#), None);
        assert_eq!(s(r#""abc"#), None);
        assert_eq!(s("'abc"), None);
        assert_eq!(s(r#""63\x37"9"#), None);
        assert_eq!(s(""), v(&[]));
    }

    #[test]
    fn repr_escapes() {
        assert_eq!(repr(b"a b"), r#""a b""#);
        assert_eq!(repr(b"c\"d"), r#""c\"d""#);
        assert_eq!(repr(b"e\nf\x01\\"), r#""e\nf\x01\\""#);
    }

    #[test]
    fn aliases_share_one_value() {
        let c = load("slaveof 10.0.0.1 6380\nslave-read-only no\nhash-max-ziplist-entries 99\nlua-time-limit 7").unwrap();
        assert_eq!(c.replicaof, Some(("10.0.0.1".to_string(), 6380)));
        assert!(!c.replica_read_only);
        assert_eq!(c.hash_max_listpack_entries, 99);
        assert_eq!(c.busy_reply_threshold, 7);
        assert_eq!(get1(&c, "replicaof"), "10.0.0.1 6380");
        assert_eq!(get1(&c, "slaveof"), "10.0.0.1 6380");
        let got = c.get_matching(&[b"hash-max-*-entries"]);
        assert_eq!(
            got,
            vec![
                ("hash-max-listpack-entries".to_string(), "99".to_string()),
                ("hash-max-ziplist-entries".to_string(), "99".to_string())
            ]
        );
        let mut c = Config::default();
        assert_eq!(
            set1(&mut c, "slave-priority", "5"),
            Ok(vec!["replica-priority"])
        );
        assert_eq!(c.replica_priority, 5);
        assert_eq!(
            set1(&mut c, "SLAVE-read-only", "xx"),
            Err("ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'".into())
        );
    }

    #[test]
    fn memory_units() {
        let mut c = Config::default();
        for (v, want) in [
            ("1gb", 1073741824u64),
            ("1G", 1000000000),
            ("1GB", 1073741824),
            ("100", 100),
            ("1k", 1000),
            ("1kb", 1024),
            ("1kB", 1024),
            ("1b", 1),
            ("1m", 1000000),
            ("1mb", 1048576),
            ("01k", 1000),
            ("", 0),
            ("18446744073709551615", u64::MAX),
            ("18446744073709551616", u64::MAX),
            ("18446744073709551615kb", 18446744073709550592),
        ] {
            assert_eq!(set1(&mut c, "maxmemory", v).map(|_| ()), Ok(()), "{v}");
            assert_eq!(c.maxmemory, want, "{v}");
            assert_eq!(get1(&c, "maxmemory"), want.to_string());
        }
        for v in ["1.5gb", " 1", "+1", "-0", "0x10", "1 gb", "2TB", "1t"] {
            assert_eq!(
                set1(&mut c, "maxmemory", v),
                Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
                    .into()),
                "{v}"
            );
        }
        assert_eq!(
            set1(&mut c, "proto-max-bulk-len", "1048575"),
            Err("ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive".into())
        );
        assert!(set1(&mut c, "proto-max-bulk-len", "1mb").is_ok());
        assert_eq!(c.proto_max_bulk_len, 1048576);
        // memory-or-percent
        for (v, shown) in [
            ("10%", "10%"),
            ("0%", "0"),
            ("100%", "100%"),
            ("1mb", "1048576"),
            ("50", "50"),
        ] {
            assert!(set1(&mut c, "maxmemory-clients", v).is_ok(), "{v}");
            assert_eq!(get1(&c, "maxmemory-clients"), shown);
        }
        assert_eq!(
            set1(&mut c, "maxmemory-clients", "101%"),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100".into())
        );
        assert_eq!(
            set1(&mut c, "maxmemory-clients", "-5%"),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - argument must be a memory or percent value".into())
        );
    }

    #[test]
    fn integers_and_bounds() {
        let mut c = Config::default();
        let e = |n: &str, m: &str| {
            Err(format!(
                "ERR CONFIG SET failed (possibly related to argument '{n}') - {m}"
            ))
        };
        assert_eq!(
            set1(&mut c, "hz", "zz!"),
            e("hz", "argument couldn't be parsed into an integer")
        );
        assert_eq!(
            set1(&mut c, "hz", "-1"),
            e("hz", "argument must be between 0 and 2147483647 inclusive")
        );
        assert_eq!(
            set1(&mut c, "hz", "01"),
            e("hz", "argument couldn't be parsed into an integer")
        );
        assert_eq!(
            set1(&mut c, "maxclients", "0"),
            e(
                "maxclients",
                "argument must be between 1 and 4294967295 inclusive"
            )
        );
        assert_eq!(
            set1(&mut c, "hash-max-listpack-entries", "-9223372036854775808"),
            e(
                "hash-max-listpack-entries",
                "argument must be between 0 and 9223372036854775807 inclusive"
            )
        );
        assert_eq!(
            set1(&mut c, "slowlog-log-slower-than", "-2"),
            e(
                "slowlog-log-slower-than",
                "argument must be between -1 and 9223372036854775807 inclusive"
            )
        );
        assert_eq!(
            set1(&mut c, "list-max-listpack-size", "9223372036854775807"),
            e(
                "list-max-listpack-size",
                "argument must be between -2147483648 and 2147483647 inclusive"
            )
        );
        assert_eq!(
            set1(&mut c, "port", "65536"),
            e("port", "argument must be between 0 and 65535 inclusive")
        );
        assert_eq!(set1(&mut c, "port", "7000"), Ok(vec!["port"]));
        assert_eq!(c.port, 7000);
        assert_eq!(set1(&mut c, "port", "7000"), Ok(vec![]));
        // hz is a hint: clamped to 1..=500 on CONFIG SET and after loading.
        assert_eq!(set1(&mut c, "hz", "1000"), Ok(vec!["hz"]));
        assert_eq!(get1(&c, "hz"), "500");
        assert!(set1(&mut c, "hz", "0").is_ok());
        assert_eq!(c.hz, 1);
        assert_eq!(load("hz 1000").unwrap().hz, 500);
        assert_eq!(load("hz 0").unwrap().hz, 1);
        // octal
        let c = load("unixsocketperm 700").unwrap();
        assert_eq!(c.unixsocketperm, 0o700);
        assert_eq!(get1(&c, "unixsocketperm"), "700");
        assert_eq!(
            load_err("unixsocketperm 999").reason,
            "argument couldn't be parsed as an octal number"
        );
        assert_eq!(
            load_err("unixsocketperm 1000").reason,
            "argument must be between 0 and 777 inclusive"
        );
        assert_eq!(
            load_err("databases 0").reason,
            "argument must be between 1 and 2147483647 inclusive"
        );
        assert_eq!(
            load_err("socket-mark-id -1").reason,
            "argument must be between 0 and 4294967295 inclusive"
        );
    }

    #[test]
    fn enums_and_bools() {
        let mut c = Config::default();
        assert!(set1(&mut c, "loglevel", "WARNING").is_ok());
        assert_eq!(c.loglevel, LogLevel::Warning);
        assert_eq!(get1(&c, "loglevel"), "warning");
        assert_eq!(
            set1(&mut c, "maxmemory-policy", "nope"),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction".into())
        );
        assert!(set1(&mut c, "loglevel", "notice warning").is_err());
        assert!(set1(&mut c, "oom-score-adj", "relative").is_ok());
        assert_eq!(get1(&c, "oom-score-adj"), "yes");
        assert!(set1(&mut c, "activerehashing", "NO").is_ok());
        assert!(!c.activerehashing);
        assert_eq!(get1(&c, "activerehashing"), "no");
        assert_eq!(
            set1(&mut c, "protected-mode", "maybe"),
            Err("ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'".into())
        );
        // shutdown flags
        for (v, shown) in [
            ("nosave now", "nosave now"),
            ("default", "default"),
            ("NOW", "now"),
            ("default now", "now"),
            ("now force", "now force"),
        ] {
            assert!(set1(&mut c, "shutdown-on-sigint", v).is_ok(), "{v}");
            assert_eq!(get1(&c, "shutdown-on-sigint"), shown);
        }
        assert_eq!(
            set1(&mut c, "shutdown-on-sigint", "save nosave"),
            Err("ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and NOSAVE can't be used simultaneously".into())
        );
        assert_eq!(
            load("shutdown-on-sigterm nosave now")
                .unwrap()
                .shutdown_on_sigterm,
            SHUTDOWN_NOSAVE | SHUTDOWN_NOW
        );
        assert_eq!(
            load_err("supervised YES").reason,
            "argument(s) must be one of the following: upstart, systemd, auto, no"
        );
        assert_eq!(
            load_err("activedefrag yes").reason,
            ACTIVEDEFRAG_UNSUPPORTED
        );
        assert!(load("activedefrag no").is_ok());
    }

    #[test]
    fn special_directives() {
        let mut c = Config::default();
        assert_eq!(set1(&mut c, "save", "1 2"), Ok(vec!["save"]));
        assert_eq!(c.save_params, vec![(1, 2)]);
        assert!(set1(&mut c, "save", "").is_ok());
        assert_eq!(get1(&c, "save"), "");
        assert!(set1(&mut c, "save", "+5 1").is_ok());
        assert_eq!(get1(&c, "save"), "5 1");
        for bad in ["a", "0 1", "1 -1", "10  20", "1.5 1", "3600 1 300", " 5 1"] {
            assert_eq!(
                set1(&mut c, "save", bad),
                Err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters".into()),
                "{bad}"
            );
        }
        // In a file the first `save` replaces the defaults and later ones append.
        let f = load("save 900 1\nsave 300 10").unwrap();
        assert_eq!(get1(&f, "save"), "900 1 300 10");
        assert_eq!(load("save \"\"").unwrap().save_params, vec![]);
        assert_eq!(
            load("port 1").unwrap().save_params,
            vec![(3600, 1), (300, 100), (60, 10000)]
        );

        let f = load("client-output-buffer-limit replica 256mb 64mb 60 pubsub 1k 2kb 3").unwrap();
        assert_eq!(
            f.client_output_buffer_limit[CLIENT_TYPE_PUBSUB],
            ObufLimit {
                hard_limit_bytes: 1000,
                soft_limit_bytes: 2048,
                soft_limit_seconds: 3
            }
        );
        assert_eq!(
            get1(&f, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1000 2048 3"
        );
        assert_eq!(
            load_err("client-output-buffer-limit master 0 0 0").reason,
            "Invalid client class specified in buffer limit configuration."
        );
        assert_eq!(
            load_err("client-output-buffer-limit normal 1 2").reason,
            "Wrong number of arguments in buffer limit configuration."
        );
        assert_eq!(
            load_err("client-output-buffer-limit normal 1x 2 3").reason,
            "Error in hard, soft or soft_seconds setting in buffer limit configuration."
        );

        for (v, shown) in [
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("gzl$shxetmd", "Am"),
            ("Kn", "nK"),
            ("", ""),
        ] {
            assert!(set1(&mut c, "notify-keyspace-events", v).is_ok());
            assert_eq!(get1(&c, "notify-keyspace-events"), shown);
        }
        assert_eq!(
            set1(&mut c, "notify-keyspace-events", "Q"),
            Err("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
        );

        assert!(set1(&mut c, "bind", "127.0.0.1 -::1").is_ok());
        assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "-::1".to_string()]);
        assert_eq!(load("bind \"\"").unwrap().bind, Vec::<String>::new());
        assert_eq!(
            load_err("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17").reason,
            "Too many bind addresses specified."
        );

        assert!(set1(&mut c, "oom-score-adj-values", "1 2 3").is_ok());
        assert_eq!(c.oom_score_adj_values, [1, 2, 3]);
        assert_eq!(
            set1(&mut c, "oom-score-adj-values", "0 200 9999"),
            Err("ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into())
        );
        assert!(
            set1(
                &mut c,
                "latency-tracking-info-percentiles",
                "50.5 1e1 99.99999 0"
            )
            .is_ok()
        );
        assert_eq!(
            get1(&c, "latency-tracking-info-percentiles"),
            "50.5 10 99.99999 0"
        );
        assert_eq!(
            set1(&mut c, "latency-tracking-info-percentiles", "101"),
            Err("ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into())
        );
        assert_eq!(load("replicaof no one").unwrap().replicaof, None);
        assert_eq!(
            load_err("replicaof 1.2.3.4 99999").reason,
            "Invalid master port"
        );
        assert_eq!(
            load_err("replicaof 1.2.3.4").reason,
            "wrong number of arguments"
        );
        assert_eq!(
            load_err("cluster-enabled yes\nreplicaof 127.0.0.1 1").reason,
            "replicaof directive not allowed in cluster mode"
        );
        assert_eq!(
            load_err("dbfilename a/b").reason,
            "dbfilename can't be a path, just a filename"
        );
        assert_eq!(
            load_err("appendfilename \"\"").reason,
            "appendfilename can't be empty"
        );
        assert_eq!(
            load_err("proc-title-template \"{foo}\"").reason,
            "template format is invalid or contains unknown variables"
        );
        assert!(load("proc-title-template \"{title} {port}\"").is_ok());
        assert!(
            load_err("proc-title-template \"{title}\"")
                .reason
                .starts_with("template")
        );
        assert_eq!(
            load_err("cluster-announce-hostname a_b").reason,
            "Hostnames may only contain alphanumeric characters, hyphens or dots"
        );
        let c = load("requirepass \"se\\x00cret\"").unwrap();
        assert_eq!(c.requirepass, b"se\x00cret".to_vec());
    }

    #[test]
    fn dir_and_logfile_and_include() {
        let tmp = std::env::temp_dir().join(format!("rustredis-cfgtest-{}", std::process::id()));
        std::fs::create_dir_all(tmp.join("sub")).unwrap();
        let tmps = tmp.to_string_lossy().into_owned();
        let c = load(&format!("dir {tmps}\nlogfile x.log")).unwrap();
        let canon = std::fs::canonicalize(&tmp)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(c.dir, canon);
        assert!(tmp.join("x.log").exists());
        let c2 = load(&format!("dir {tmps}\ndir sub")).unwrap();
        assert_eq!(c2.dir, format!("{canon}/sub"));
        assert_eq!(
            load_err("dir /nonexistent-rustredis").reason,
            "No such file or directory"
        );
        assert_eq!(
            load_err("logfile /nonexistent-rustredis/x.log"),
            ConfigFileError {
                line_no: 0,
                line: String::new(),
                reason: "Can't open the log file: No such file or directory".into()
            }
        );
        std::fs::write(tmp.join("sub/a.conf"), "maxclients 77\n").unwrap();
        std::fs::write(tmp.join("sub/b.conf"), "timeout 9\n").unwrap();
        std::fs::write(tmp.join("bad.conf"), "\n\nfoo bar\n").unwrap();
        let c = load(&format!("include {tmps}/sub/*.conf")).unwrap();
        assert_eq!((c.maxclients, c.timeout), (77, 9));
        let c = load(&format!("dir {tmps}\ninclude sub/a.conf")).unwrap();
        assert_eq!(c.maxclients, 77);
        assert!(load(&format!("include {tmps}/nothing/*.conf")).is_ok());
        let e = load_err(&format!("include {tmps}/bad.conf"));
        assert_eq!(
            (e.line_no, e.line.as_str(), e.reason.as_str()),
            (3, "foo bar", "Bad directive or wrong number of arguments")
        );
        let e = load_err("include /nonexistent-rustredis/x.conf");
        assert!(e.is_open_error());
        assert_eq!(
            e.report(),
            "Fatal error, can't open config file '/nonexistent-rustredis/x.conf': No such file or directory"
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn file_only_directives() {
        let c = load("rename-command flushall \"\"\nuser alice on >pw ~* +@all\nloadmodule /x.so a b\nmy.opt 5\nlist-max-ziplist-entries 512\nlua-replicate-commands yes").unwrap();
        assert_eq!(
            c.rename_commands[0].args,
            vec![b"flushall".to_vec(), b"".to_vec()]
        );
        assert_eq!(c.rename_commands[0].line_no, 1);
        assert_eq!(c.users[0].args.len(), 5);
        assert_eq!(
            c.load_modules[0].args,
            vec![b"/x.so".to_vec(), b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            c.module_configs[0].args,
            vec![b"my.opt".to_vec(), b"5".to_vec()]
        );
        assert_eq!(
            c.unimplemented_in_use(),
            vec!["rename-command", "user", "loadmodule", "module configs"]
        );
        let e = c.rename_commands[0].error("No such command in rename-command");
        assert_eq!(e.line, "rename-command flushall \"\"");
        assert_eq!(
            load_err("list-max-ziplist-entries 1 2").reason,
            "Bad directive or wrong number of arguments"
        );
        assert_eq!(
            load_err("rename-command get").reason,
            "Bad directive or wrong number of arguments"
        );
        assert_eq!(
            load_err("a.b").reason,
            "Module config specified without value"
        );
        assert_eq!(
            load_err("sentinel foo").reason,
            "sentinel directive while not in sentinel mode"
        );
        assert_eq!(
            load_err("include").reason,
            "Bad directive or wrong number of arguments"
        );
    }

    #[test]
    fn error_report_text() {
        let e = load_err("# comment\n\n   port abc  \n");
        assert_eq!(e.line_no, 3);
        assert_eq!(
            e.report(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port abc'\nargument couldn't be parsed into an integer\n"
        );
        assert_eq!(
            load_err("foo bar").reason,
            "Bad directive or wrong number of arguments"
        );
        assert_eq!(load_err("port 1 2").reason, "wrong number of arguments");
        assert_eq!(
            load_err("loglevel notice warning").reason,
            "wrong number of arguments"
        );
        assert_eq!(load_err("hz").reason, "wrong number of arguments");
        assert_eq!(load_err("  \"unbalanced").line, "\"unbalanced");
        assert_eq!(
            load_err("  \"unbalanced").reason,
            "Unbalanced quotes in configuration line"
        );
        assert_eq!(
            load_err("daemonize maybe").reason,
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(load("PORT 7001\nPort 7002").unwrap().port, 7002);
        let e = ConfigFileError {
            line_no: 0,
            line: String::new(),
            reason: "Can't open the log file: Permission denied".into(),
        };
        assert_eq!(
            e.report(),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: Permission denied\n"
        );
    }

    #[test]
    fn config_set_atomic_and_errors() {
        let mut c = Config::default();
        let p = |v: &[(&'static str, &'static str)]| {
            v.iter()
                .map(|(a, b)| (a.as_bytes(), b.as_bytes()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            c.set(&p(&[("maxmemory", "1mb"), ("slave-priority", "abc")])),
            Err("ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer".into())
        );
        assert_eq!(c.maxmemory, 0, "nothing applied on failure");
        assert_eq!(
            c.set(&p(&[("maxmemory", "1"), ("MaxMemory", "2")])),
            Err("ERR CONFIG SET failed (possibly related to argument 'MaxMemory') - duplicate parameter".into())
        );
        assert_eq!(
            c.set(&p(&[("maxmemory", "1"), ("foo", "2"), ("daemonize", "no")])),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".into())
        );
        assert_eq!(
            c.set(&p(&[("daemonize", "no"), ("foo", "2")])),
            Err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config".into())
        );
        assert_eq!(
            c.set(&p(&[("DAEMONIZE", "no")])),
            Err("ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config".into())
        );
        assert_eq!(
            c.set(&p(&[("dir", "/tmp")])),
            Err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config".into())
        );
        assert_eq!(
            c.set(&p(&[("maxmemory", "1mb"), ("hz", "20"), ("timeout", "0")])),
            Ok(vec!["maxmemory", "hz"])
        );
        assert_eq!((c.maxmemory, c.hz), (1048576, 20));
        // enable-protected-configs
        let mut c = load("enable-protected-configs local").unwrap();
        assert!(
            c.set_for_client(&p(&[("dbfilename", "x.rdb")]), false)
                .is_err()
        );
        assert_eq!(
            c.set_for_client(&p(&[("dbfilename", "x.rdb")]), true),
            Ok(vec!["dbfilename"])
        );
    }

    #[test]
    fn config_get_patterns() {
        let c = Config::default();
        let got = c.get_matching(&[b"MAXMEMORY"]);
        assert_eq!(got, vec![("MAXMEMORY".to_string(), "0".to_string())]);
        let mut names: Vec<String> = c
            .get_matching(&[b"MAXMEM*"])
            .into_iter()
            .map(|p| p.0)
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "maxmemory",
                "maxmemory-clients",
                "maxmemory-eviction-tenacity",
                "maxmemory-policy",
                "maxmemory-samples"
            ]
        );
        assert_eq!(c.get_matching(&[b"maxmemory", b"maxmemory"]).len(), 1);
        assert_eq!(c.get_matching(&[b"port", b"p?rt"]).len(), 1);
        assert!(c.get_matching(&[b"nosuch"]).is_empty());
        // hidden configs answer only exact names
        assert!(
            c.get_matching(&[b"*"])
                .iter()
                .all(|(n, _)| n != "key-load-delay")
        );
        assert_eq!(
            c.get_matching(&[b"key-load-delay"]),
            vec![("key-load-delay".to_string(), "0".to_string())]
        );
        assert_eq!(c.get_matching(&[b"*"]).len(), 192);
    }

    #[test]
    fn unimplemented_tracking() {
        let c = load("port 7000\nmaxmemory 1gb\nappendonly no\nsyslog-enabled yes").unwrap();
        assert_eq!(
            c.unimplemented_in_use(),
            vec!["syslog-enabled", "maxmemory"]
        );
        assert!(Config::default().unimplemented_in_use().is_empty());
    }

    #[test]
    fn command_line() {
        let a = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_command_line(&a(&[])), Ok((None, String::new())));
        assert_eq!(
            parse_command_line(&a(&["--port", "6379", "--foo", "bar", "baz"])),
            Ok((None, "port \"6379\" \nfoo \"bar\" \"baz\" ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["--port", "--foo"])),
            Ok((None, "port \"--foo\" ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["--foo bar"])),
            Ok((None, "foo bar ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["--save", "--port", "1"])),
            Ok((None, "save \"\"\nport \"1\" ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["--save"])),
            Ok((None, "save \"\"".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["--foo", "a b", "c\"d", "e\nf"])),
            Ok((None, "foo \"a b\" \"c\\\"d\" \"e\\nf\" ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["-x", "y"])),
            Ok((None, "\"-x\" \"y\" ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["/etc/r.conf", "--port", "1"])),
            Ok((Some("/etc/r.conf".to_string()), "port \"1\" ".to_string()))
        );
        assert_eq!(
            parse_command_line(&a(&["-", "--port", "1"])),
            Ok((Some("-".to_string()), "port \"1\" ".to_string()))
        );
        assert!(parse_command_line(&a(&["/etc/r.conf", "-"])).is_err());
        let (f, _) = parse_command_line(&a(&["r.conf"])).unwrap();
        assert_eq!(f, Some(format!("{}/r.conf", cwd_string())));

        // The oracle's reports for the same arguments: line numbers count the "\n" joining file and options.
        let err_for = |args: &[&str]| {
            let (_, extra) = parse_command_line(&a(args)).unwrap();
            load_err(&format!("\n{extra}"))
        };
        let e = err_for(&["--port", "6379", "--foo", "bar", "baz"]);
        assert_eq!((e.line_no, e.line.as_str()), (3, "foo \"bar\" \"baz\""));
        let e = err_for(&["--port", "6379", "bar"]);
        assert_eq!(
            (e.line_no, e.line.as_str(), e.reason.as_str()),
            (2, "port \"6379\" \"bar\"", "wrong number of arguments")
        );
        let e = err_for(&["--port", "--foo"]);
        assert_eq!(
            (e.line_no, e.reason.as_str()),
            (2, "argument couldn't be parsed into an integer")
        );
        let e = err_for(&["--FOO", "x"]);
        assert_eq!(e.line, "FOO \"x\"");
        let ok = parse_command_line(&a(&[
            "--port",
            "7001",
            "--save",
            "",
            "--bind",
            "127.0.0.1",
            "::1",
        ]))
        .unwrap()
        .1;
        let c = load(&ok).unwrap();
        assert_eq!((c.port, c.save_params.len(), c.bind.len()), (7001, 0, 2));
    }

    #[test]
    fn debian_config_parses() {
        let text = include_str!("../tests/fixtures/debian-redis.conf");
        let mut c = Config::default();
        let r = c.load_from_string(text);
        if !std::path::Path::new("/var/lib/redis").is_dir()
            || !std::path::Path::new("/var/log/redis").is_dir()
        {
            // Without Debian's redis-server package the dir and logfile lines can't be honoured.
            let e = r.expect_err("dir/logfile should fail without the package's directories");
            assert!(
                e.reason.contains("No such file or directory"),
                "{}",
                e.report()
            );
            return;
        }
        r.unwrap_or_else(|e| panic!("{}", e.report()));
        assert!(c.daemonize);
        assert_eq!(c.bind, vec!["127.0.0.1", "-::1"]);
        assert_eq!(c.pidfile, "/run/redis/redis-server.pid");
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get1(&c, "auto-aof-rewrite-min-size"), "67108864");
    }

    #[test]
    fn our_redis_conf_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/redis.conf");
        let mut c = Config::default();
        c.load_from_file(path, "")
            .unwrap_or_else(|e| panic!("{}", e.report()));
        assert_eq!(c.bind, vec!["127.0.0.1", "-::1"]);
        assert_eq!(c.port, 6379);
        assert!(c.protected_mode);
        assert!(!c.daemonize);
        assert!(
            c.unimplemented_in_use().is_empty(),
            "{:?}",
            c.unimplemented_in_use()
        );
        let mut d = Config::default();
        let e = d
            .load_from_file("/nonexistent-rustredis.conf", "")
            .unwrap_err();
        assert!(e.is_open_error());
        // command-line overrides come after the file
        let mut d = Config::default();
        d.load_from_file(path, "port \"7002\" ").unwrap();
        assert_eq!(d.port, 7002);
    }
}
