//! The string commands (Redis `t_string.c`): GET, SET and its variants,
//! MGET/MSET, the GETSET/GETDEL/GETEX readers-writers, APPEND, STRLEN, the
//! INCR family, GETRANGE/SETRANGE and LCS.
//!
//! # How values are stored
//! A string value is a [`Value`]: `Int` (Redis's `int` encoding), an
//! `embstr`-like short string, or a `raw` byte vector. The command decides
//! the encoding the same way Redis 7.0 does, because OBJECT ENCODING makes
//! it visible:
//! * values taken from the client (SET, SETNX, SETEX, PSETEX, MSET, MSETNX,
//!   GETSET, APPEND on a missing key) go through [`Value::from_arg_encoded`]
//!   (Redis `tryObjectEncoding`): a canonical decimal `i64` becomes `int`,
//!   anything else `embstr` up to 44 bytes and `raw` beyond;
//! * APPEND and SETRANGE on an existing key edit the bytes in place, which
//!   first turns the value `raw` ([`Value::make_raw`], Redis
//!   `dbUnshareStringValue`); SETRANGE on a missing key creates `raw` directly;
//! * the INCR family stores `Int`; INCRBYFLOAT stores the formatted sum as a
//!   plain string (`embstr`), never as `int`.
//!
//! Commands that change an existing value in place (INCR, APPEND, SETRANGE,
//! INCRBYFLOAT) keep the key's TTL, like Redis's `dbOverwrite`; commands that
//! set a new value (SET without KEEPTTL, GETSET, MSET) drop it.
//!
//! # Option parsing shared by SET and GETEX
//! [`parse_extended_string_args`] follows Redis's
//! `parseExtendedStringArgumentsOrReply`: options are matched
//! case-insensitively, left to right. An expire option (EX, PX, EXAT, PXAT)
//! excludes the *other* expire options, KEEPTTL and PERSIST, but may repeat
//! itself (the last one wins); NX and XX exclude each other; NX, XX, GET and
//! KEEPTTL belong to SET only, PERSIST to GETEX only; an expire option with no
//! following argument is also a syntax error. The expire value itself is only
//! validated later ([`expire_to_abs_ms`]), after the key lookups that Redis
//! also does first, so the error that wins for a given command line is the
//! same one Redis reports.
//!
//! # Expire times
//! A relative time (EX/PX, SETEX/PSETEX) must be > 0; seconds are converted
//! to ms with an overflow check, then `now` is added; absolute times
//! (EXAT/PXAT) are taken as they are. Anything that ends <= 0 (including a
//! wrapped addition) is "ERR invalid expire time in '<cmd>' command". SET
//! with an absolute time in the past stores the key anyway (it expires on the
//! next access); GETEX with an EXAT/PXAT in the past deletes the key after
//! replying with its value.
//!
//! # LCS
//! [`lcs_table`] fills the classic dynamic-programming table
//! `T[i][j] = LCS length of a[..i], b[..j]` (u32 cells, `(|a|+1)*(|b|+1)` of
//! them, the same transient memory Redis refuses to allocate beyond
//! `proto-max-bulk-len`), and [`lcs_backtrack`] walks it from the bottom-right
//! corner to rebuild the common subsequence and the matched ranges, emitted
//! from the end of the strings towards their start, exactly as Redis orders
//! them.
//!
//! # Latency
//! Every command is O(1) or O(size of the value/argument), except LCS which
//! is O(|a|*|b|) time and memory, bounded by `proto-max-bulk-len` bytes of
//! table as in Redis.

use crate::notify::{NOTIFY_GENERIC, NOTIFY_STRING, notify_keyspace_event};
use bytes::Bytes;

use crate::db::{
    check_type, db_add, db_delete, lookup_key_read, lookup_key_write, remove_expire, set_expire,
    set_key,
};
use crate::networking::Client;
use crate::object::{ObjType, Value};
use crate::server::{Server, propagating, with_argv};
use crate::shared;
use crate::util::{IncrFloatError, incr_by_float, string2ll};

// ---- Option flags (Redis OBJ_SET_* / OBJ_*) ----

/// SET NX: only set if the key does not exist.
pub const OBJ_SET_NX: u32 = 1 << 0;
/// SET XX: only set if the key exists.
pub const OBJ_SET_XX: u32 = 1 << 1;
/// EX seconds (relative).
pub const OBJ_EX: u32 = 1 << 2;
/// PX milliseconds (relative).
pub const OBJ_PX: u32 = 1 << 3;
/// SET KEEPTTL: keep the current TTL.
pub const OBJ_KEEPTTL: u32 = 1 << 4;
/// SET GET: reply with the old value.
pub const OBJ_SET_GET: u32 = 1 << 5;
/// EXAT unix-seconds (absolute).
pub const OBJ_EXAT: u32 = 1 << 6;
/// PXAT unix-milliseconds (absolute).
pub const OBJ_PXAT: u32 = 1 << 7;
/// GETEX PERSIST: remove the TTL.
pub const OBJ_PERSIST: u32 = 1 << 8;

const EXPIRE_FLAGS: u32 = OBJ_EX | OBJ_PX | OBJ_EXAT | OBJ_PXAT;

/// Which command's options [`parse_extended_string_args`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringCommandType {
    /// GETEX: PERSIST and the expire options.
    Get,
    /// SET: NX, XX, GET, KEEPTTL and the expire options.
    Set,
}

/// Unit of an expire argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireUnit {
    Seconds,
    Milliseconds,
}

/// Parsed SET / GETEX options: `flags` is a set of `OBJ_*` bits; `expire` is
/// the index in argv of the (still unvalidated) expire value, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtendedStringArgs {
    pub flags: u32,
    pub unit: ExpireUnit,
    pub expire: Option<usize>,
}

/// A SET / GETEX option list that Redis rejects with "ERR syntax error".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError;

/// Parses the options of SET (from argv[3]) or GETEX (from argv[2]) with
/// Redis 7.0's `parseExtendedStringArgumentsOrReply` rules (see the module
/// docs). `Err(SyntaxError)` means "ERR syntax error".
pub fn parse_extended_string_args<B: AsRef<[u8]>>(
    argv: &[B],
    ctype: StringCommandType,
) -> Result<ExtendedStringArgs, SyntaxError> {
    let mut flags = 0u32;
    let mut unit = ExpireUnit::Seconds;
    let mut expire = None;
    let is_set = ctype == StringCommandType::Set;
    let mut j = if is_set { 3 } else { 2 };
    while j < argv.len() {
        let opt = argv[j].as_ref();
        let has_next = j + 1 < argv.len();
        let eq = |s: &[u8]| opt.eq_ignore_ascii_case(s);
        // Expire options exclude each other (but not themselves), KEEPTTL and PERSIST.
        let expire_ok =
            |own: u32| flags & (OBJ_KEEPTTL | OBJ_PERSIST | (EXPIRE_FLAGS & !own)) == 0 && has_next;
        if eq(b"nx") && flags & OBJ_SET_XX == 0 && is_set {
            flags |= OBJ_SET_NX;
        } else if eq(b"xx") && flags & OBJ_SET_NX == 0 && is_set {
            flags |= OBJ_SET_XX;
        } else if eq(b"get") && is_set {
            flags |= OBJ_SET_GET;
        } else if eq(b"keepttl") && flags & (OBJ_PERSIST | EXPIRE_FLAGS) == 0 && is_set {
            flags |= OBJ_KEEPTTL;
        } else if eq(b"persist") && !is_set && flags & (EXPIRE_FLAGS | OBJ_KEEPTTL) == 0 {
            flags |= OBJ_PERSIST;
        } else if eq(b"ex") && expire_ok(OBJ_EX) {
            flags |= OBJ_EX;
            expire = Some(j + 1);
            j += 1;
        } else if eq(b"px") && expire_ok(OBJ_PX) {
            flags |= OBJ_PX;
            unit = ExpireUnit::Milliseconds;
            expire = Some(j + 1);
            j += 1;
        } else if eq(b"exat") && expire_ok(OBJ_EXAT) {
            flags |= OBJ_EXAT;
            expire = Some(j + 1);
            j += 1;
        } else if eq(b"pxat") && expire_ok(OBJ_PXAT) {
            flags |= OBJ_PXAT;
            unit = ExpireUnit::Milliseconds;
            expire = Some(j + 1);
            j += 1;
        } else {
            return Err(SyntaxError);
        }
        j += 1;
    }
    Ok(ExtendedStringArgs {
        flags,
        unit,
        expire,
    })
}

/// Why an expire argument was refused by [`expire_to_abs_ms`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireError {
    /// Not an i64: "ERR value is not an integer or out of range".
    NotInteger,
    /// <= 0, or overflow: "ERR invalid expire time in '<cmd>' command".
    Invalid,
}

/// Converts an expire argument into an absolute unix time in ms (Redis
/// `getExpireMillisecondsOrReply`). `flags` says whether the time is relative
/// (`OBJ_EX`/`OBJ_PX`, `now_ms` is added) or absolute (`OBJ_EXAT`/`OBJ_PXAT`).
pub fn expire_to_abs_ms(
    arg: &[u8],
    flags: u32,
    unit: ExpireUnit,
    now_ms: i64,
) -> Result<i64, ExpireError> {
    let mut ms = string2ll(arg).ok_or(ExpireError::NotInteger)?;
    if ms <= 0 || (unit == ExpireUnit::Seconds && ms > i64::MAX / 1000) {
        return Err(ExpireError::Invalid);
    }
    if unit == ExpireUnit::Seconds {
        ms *= 1000;
    }
    if flags & (OBJ_EX | OBJ_PX) != 0 {
        // Redis adds in C and then tests for a non-positive result; a
        // wrapping add gives the same verdict for every input.
        ms = ms.wrapping_add(now_ms);
    }
    if ms <= 0 {
        return Err(ExpireError::Invalid);
    }
    Ok(ms)
}

/// Replies the error for an [`ExpireError`] of command `cmd` (lowercase full name).
fn reply_expire_error(c: &mut Client, e: ExpireError, cmd: &str) {
    match e {
        ExpireError::NotInteger => c.add_reply_error(shared::err_not_integer()),
        ExpireError::Invalid => c.add_reply_error(&shared::err_expire_time(cmd)),
    }
}

/// Redis `checkStringLength`: true if a string of `size + append` bytes is
/// allowed under `max` (`proto-max-bulk-len`), also refusing i64 overflow.
pub fn check_string_length(size: i64, append: i64, max: i64) -> bool {
    let total = (size as u64).wrapping_add(append as u64) as i64;
    !(total > max || total < size || total < append)
}

const ERR_STRING_TOO_LONG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// ---- GET / SET family ----

/// What SET-like commands reply on success or when NX/XX aborts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetReply {
    Ok,
    Null,
    One,
    Zero,
}

fn add_set_reply(c: &mut Client, r: SetReply) {
    match r {
        SetReply::Ok => c.add_reply_ok(),
        SetReply::Null => c.add_reply_null(),
        SetReply::One => c.add_reply_long_long(1),
        SetReply::Zero => c.add_reply_long_long(0),
    }
}

/// Redis `getGenericCommand`: replies the string at `key` or null. Returns
/// false (after replying WRONGTYPE) when the key holds another type.
fn get_generic_command(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    let db = c.db;
    match lookup_key_read(srv, db, key) {
        None => {
            c.add_reply_null();
            true
        }
        Some(o) => {
            if check_type(c, o, ObjType::String) {
                return false;
            }
            c.add_reply_value(&o.v);
            true
        }
    }
}

/// Redis `setGenericCommand`, serving SET, SETNX, SETEX and PSETEX: validates
/// the expire, answers the GET option, applies NX/XX, stores the value and
/// its expire, then replies `ok_reply` (unless GET already replied).
#[allow(clippy::too_many_arguments)]
fn set_generic_command(
    srv: &mut Server,
    c: &mut Client,
    flags: u32,
    key: &Bytes,
    val: &Bytes,
    expire: Option<(&[u8], ExpireUnit)>,
    ok_reply: SetReply,
    abort_reply: SetReply,
    cmd: &str,
    argv: &[Bytes],
) {
    let db = c.db;
    let mut when = 0;
    if let Some((arg, unit)) = expire {
        match expire_to_abs_ms(arg, flags, unit, srv.mstime) {
            Ok(ms) => when = ms,
            Err(e) => return reply_expire_error(c, e, cmd),
        }
    }
    if flags & OBJ_SET_GET != 0 && !get_generic_command(srv, c, key) {
        return;
    }
    let found = lookup_key_write(srv, db, key).is_some();
    if (flags & OBJ_SET_NX != 0 && found) || (flags & OBJ_SET_XX != 0 && !found) {
        if flags & OBJ_SET_GET == 0 {
            add_set_reply(c, abort_reply);
        }
        return;
    }
    set_key(
        srv,
        db,
        key,
        Value::from_arg_encoded(val),
        flags & OBJ_KEEPTTL != 0,
    );
    srv.dirty += 1;
    notify_keyspace_event(srv, NOTIFY_STRING, "set", key, db);
    if expire.is_some() {
        set_expire(srv, db, key, when);
        // Propagated as SET key value PXAT <unix ms> (Redis `setGenericCommand`).
        if propagating(srv) {
            c.rewrite_command_vector(vec![
                Bytes::from_static(b"SET"),
                key.clone(),
                val.clone(),
                Bytes::from_static(b"PXAT"),
                Bytes::from(when.to_string()),
            ]);
        }
        notify_keyspace_event(srv, NOTIFY_GENERIC, "expire", key, db);
    } else if flags & OBJ_SET_GET != 0 && propagating(srv) {
        // Propagated without its GET arguments.
        let v: Vec<Bytes> = argv
            .iter()
            .enumerate()
            .filter(|(j, a)| *j < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| a.clone())
            .collect();
        c.rewrite_command_vector(v);
    }
    if flags & OBJ_SET_GET == 0 {
        add_set_reply(c, ok_reply);
    }
}

/// GET key → bulk string, or null if missing; WRONGTYPE for other types.
pub fn get_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        get_generic_command(srv, c, &argv[1]);
    });
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT unix-s|PXAT unix-ms|KEEPTTL]
/// → `+OK`, or null when NX/XX aborts; with GET, the old value (or null)
/// instead. Errors: "ERR syntax error", "ERR value is not an integer or out of
/// range", "ERR invalid expire time in 'set' command", WRONGTYPE (GET on a
/// non-string).
pub fn set_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let args = match parse_extended_string_args(argv, StringCommandType::Set) {
            Ok(a) => a,
            Err(SyntaxError) => return c.add_reply_error(shared::err_syntax()),
        };
        let expire = args.expire.map(|i| (&argv[i][..], args.unit));
        set_generic_command(
            srv,
            c,
            args.flags,
            &argv[1],
            &argv[2],
            expire,
            SetReply::Ok,
            SetReply::Null,
            "set",
            argv,
        );
    });
}

/// SETNX key value → `:1` if set, `:0` if the key existed.
pub fn setnx_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        set_generic_command(
            srv,
            c,
            OBJ_SET_NX,
            &argv[1],
            &argv[2],
            None,
            SetReply::One,
            SetReply::Zero,
            "setnx",
            argv,
        );
    });
}

/// SETEX key seconds value → `+OK`. "ERR invalid expire time in 'setex'
/// command" for seconds <= 0 or overflow.
pub fn setex_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let expire = Some((&argv[2][..], ExpireUnit::Seconds));
        set_generic_command(
            srv,
            c,
            OBJ_EX,
            &argv[1],
            &argv[3],
            expire,
            SetReply::Ok,
            SetReply::Null,
            "setex",
            argv,
        );
    });
}

/// PSETEX key milliseconds value → `+OK`. "ERR invalid expire time in
/// 'psetex' command" for ms <= 0 or overflow.
pub fn psetex_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let expire = Some((&argv[2][..], ExpireUnit::Milliseconds));
        set_generic_command(
            srv,
            c,
            OBJ_PX,
            &argv[1],
            &argv[3],
            expire,
            SetReply::Ok,
            SetReply::Null,
            "psetex",
            argv,
        );
    });
}

/// GETSET key value → the old value (or null), then sets the new one and
/// drops the TTL. WRONGTYPE (and nothing set) for other types.
pub fn getset_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        if !get_generic_command(srv, c, &argv[1]) {
            return;
        }
        let db = c.db;
        set_key(srv, db, &argv[1], Value::from_arg_encoded(&argv[2]), false);
        notify_keyspace_event(srv, NOTIFY_STRING, "set", &argv[1], db);
        srv.dirty += 1;
        // Propagated as SET key value.
        if propagating(srv) {
            let v = vec![Bytes::from_static(b"SET"), argv[1].clone(), argv[2].clone()];
            c.rewrite_command_vector(v);
        }
    });
}

/// GETDEL key → the value (or null), and deletes the key.
pub fn getdel_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        if !get_generic_command(srv, c, &argv[1]) {
            return;
        }
        let db = c.db;
        if db_delete(srv, db, &argv[1]) {
            crate::db::signal_modified_key(srv, db, &argv[1]);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &argv[1], db);
            srv.dirty += 1;
            // Propagated as DEL (UNLINK with lazyfree-lazy-user-del).
            let lazy = srv.config.lazyfree_lazy_user_del;
            c.rewrite_command_vector(vec![del_name(lazy), argv[1].clone()]);
        }
    });
}

/// `DEL`, or `UNLINK` when the deletion is lazy: how a deletion is propagated.
pub fn del_name(lazy: bool) -> Bytes {
    Bytes::from_static(if lazy { b"UNLINK" } else { b"DEL" })
}

/// GETEX key [EX s|PX ms|EXAT unix-s|PXAT unix-ms|PERSIST] → the value (or
/// null), then applies the TTL change. Syntax errors are reported even for a
/// missing key; the expire value is validated only when the key exists
/// ("ERR invalid expire time in 'getex' command"). An EXAT/PXAT in the past
/// deletes the key after the reply.
pub fn getex_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let args = match parse_extended_string_args(argv, StringCommandType::Get) {
            Ok(a) => a,
            Err(SyntaxError) => return c.add_reply_error(shared::err_syntax()),
        };
        let db = c.db;
        let key = &argv[1][..];
        let now = srv.mstime;
        let Some(o) = lookup_key_read(srv, db, key) else {
            return c.add_reply_null();
        };
        if check_type(c, o, ObjType::String) {
            return;
        }
        let mut when = 0;
        if let Some(i) = args.expire {
            match expire_to_abs_ms(&argv[i], args.flags, args.unit, now) {
                Ok(ms) => when = ms,
                Err(e) => return reply_expire_error(c, e, "getex"),
            }
        }
        c.add_reply_value(&o.v);
        // Never propagated as GETEX: as DEL/UNLINK, PEXPIREAT or PERSIST.
        if args.flags & (OBJ_EXAT | OBJ_PXAT) != 0 && when <= now {
            if db_delete(srv, db, key) {
                crate::db::signal_modified_key(srv, db, key);
                notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, db);
                srv.dirty += 1;
                let lazy = srv.config.lazyfree_lazy_expire;
                c.rewrite_command_vector(vec![del_name(lazy), argv[1].clone()]);
            }
        } else if args.expire.is_some() {
            set_expire(srv, db, key, when);
            crate::db::signal_modified_key(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "expire", key, db);
            srv.dirty += 1;
            c.rewrite_command_vector(vec![
                Bytes::from_static(b"PEXPIREAT"),
                argv[1].clone(),
                Bytes::from(when.to_string()),
            ]);
        } else if args.flags & OBJ_PERSIST != 0 && remove_expire(srv, db, key) {
            crate::db::signal_modified_key(srv, db, key);
            notify_keyspace_event(srv, NOTIFY_GENERIC, "persist", key, db);
            srv.dirty += 1;
            c.rewrite_command_vector(vec![Bytes::from_static(b"PERSIST"), argv[1].clone()]);
        }
    });
}

/// MGET key [key ...] → array with each value, null for missing keys and
/// for keys of other types.
pub fn mget_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        c.add_reply_array_len(argv.len() - 1);
        for key in &argv[1..] {
            match lookup_key_read(srv, db, key) {
                Some(o) if o.v.obj_type() == ObjType::String => c.add_reply_value(&o.v),
                _ => c.add_reply_null(),
            }
        }
    });
}

fn mset_generic_command(srv: &mut Server, c: &mut Client, nx: bool, cmd: &str) {
    with_argv(srv, c, |srv, c, argv| {
        if argv.len() % 2 == 0 {
            return c.add_reply_error(&shared::err_wrong_arity(cmd));
        }
        let db = c.db;
        if nx {
            for pair in argv[1..].chunks_exact(2) {
                if lookup_key_write(srv, db, &pair[0]).is_some() {
                    return c.add_reply_long_long(0);
                }
            }
        }
        for pair in argv[1..].chunks_exact(2) {
            set_key(srv, db, &pair[0], Value::from_arg_encoded(&pair[1]), false);
            notify_keyspace_event(srv, NOTIFY_STRING, "set", &pair[0], db);
        }
        srv.dirty += ((argv.len() - 1) / 2) as i64;
        if nx {
            c.add_reply_long_long(1)
        } else {
            c.add_reply_ok()
        }
    });
}

/// MSET key value [key value ...] → `+OK`; TTLs of the keys are dropped.
/// An even argc → "ERR wrong number of arguments for 'mset' command".
pub fn mset_command(srv: &mut Server, c: &mut Client) {
    mset_generic_command(srv, c, false, "mset");
}

/// MSETNX key value [key value ...] → `:1` if all were set, `:0` (nothing
/// set) if any key exists. An even argc → "ERR wrong number of arguments for
/// 'msetnx' command".
pub fn msetnx_command(srv: &mut Server, c: &mut Client) {
    mset_generic_command(srv, c, true, "msetnx");
}

// ---- APPEND / STRLEN ----

/// APPEND key value → integer: the new length. Creates the key (encoded as
/// SET would) when missing; otherwise the value becomes `raw`. "ERR string
/// exceeds maximum allowed size (proto-max-bulk-len)" past the limit.
pub fn append_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let key = &argv[1][..];
        let app = &argv[2][..];
        let max = srv.config.proto_max_bulk_len;
        let totlen = match lookup_key_write(srv, db, key) {
            None => {
                db_add(srv, db, key, Value::from_arg_encoded(app));
                app.len()
            }
            Some(o) => {
                if check_type(c, o, ObjType::String) {
                    return;
                }
                if !check_string_length(o.v.str_len() as i64, app.len() as i64, max) {
                    return c.add_reply_error(ERR_STRING_TOO_LONG);
                }
                let buf = o.v.make_raw_room(o.v.str_len() + app.len());
                buf.extend_from_slice(app);
                buf.len()
            }
        };
        crate::db::signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_STRING, "append", key, db);
        srv.dirty += 1;
        c.add_reply_long_long(totlen as i64);
    });
}

/// STRLEN key → integer: the length in bytes (0 if missing); WRONGTYPE for
/// other types.
pub fn strlen_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        match lookup_key_read(srv, db, &argv[1]) {
            None => c.add_reply_long_long(0),
            Some(o) => {
                if !check_type(c, o, ObjType::String) {
                    c.add_reply_long_long(o.v.str_len() as i64);
                }
            }
        }
    });
}

// ---- INCR family ----

/// `old + incr` unless it overflows i64 (Redis's explicit overflow test).
pub fn incr_checked(old: i64, incr: i64) -> Option<i64> {
    old.checked_add(incr)
}

/// Redis `incrDecrCommand`: adds `incr` to the integer at argv[1] (0 if
/// missing) and replies the result.
fn incr_decr_command(srv: &mut Server, c: &mut Client, key: &[u8], incr: i64) {
    let db = c.db;
    let value = match lookup_key_write(srv, db, key) {
        Some(o) => {
            if check_type(c, o, ObjType::String) {
                return;
            }
            let Some(old) = o.v.as_i64() else {
                return c.add_reply_error(shared::err_not_integer());
            };
            let Some(v) = incr_checked(old, incr) else {
                return c.add_reply_error(shared::err_overflow());
            };
            // In place, like Redis's dbOverwrite: the TTL stays.
            o.v = Value::Int(v);
            v
        }
        None => {
            db_add(srv, db, key, Value::Int(incr));
            incr
        }
    };
    crate::db::signal_modified_key(srv, db, key);
    notify_keyspace_event(srv, NOTIFY_STRING, "incrby", key, db);
    srv.dirty += 1;
    c.add_reply_long_long(value);
}

/// INCR key → integer: the new value. "ERR value is not an integer or out of
/// range" if the value is not a canonical i64; "ERR increment or decrement
/// would overflow".
pub fn incr_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        incr_decr_command(srv, c, &argv[1], 1)
    });
}

/// DECR key → integer: the new value (errors as INCR).
pub fn decr_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        incr_decr_command(srv, c, &argv[1], -1)
    });
}

/// INCRBY key increment → integer: the new value (errors as INCR, plus a
/// non-integer increment).
pub fn incrby_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(incr) = string2ll(&argv[2]) else {
            return c.add_reply_error(shared::err_not_integer());
        };
        incr_decr_command(srv, c, &argv[1], incr);
    });
}

/// DECRBY key decrement → integer: the new value. A decrement of i64::MIN is
/// "ERR decrement would overflow" (it cannot be negated), checked before the key.
pub fn decrby_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(decr) = string2ll(&argv[2]) else {
            return c.add_reply_error(shared::err_not_integer());
        };
        if decr == i64::MIN {
            return c.add_reply_error("ERR decrement would overflow");
        }
        incr_decr_command(srv, c, &argv[1], -decr);
    });
}

/// INCRBYFLOAT key increment → bulk string: the new value, added in 80-bit
/// long double and formatted as Redis does (`%.17Lf`, trailing zeros cut).
/// Stored as a plain string (`embstr`), the TTL kept. "ERR value is not a
/// valid float"; "ERR increment would produce NaN or Infinity".
pub fn incrbyfloat_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let key = &argv[1][..];
        let incr = &argv[2][..];
        let sum = match lookup_key_write(srv, db, key) {
            Some(o) => {
                if check_type(c, o, ObjType::String) {
                    return;
                }
                let r = {
                    let mut t = itoa::Buffer::new();
                    incr_by_float(o.v.as_bytes(&mut t), incr)
                };
                match r {
                    Ok(s) => {
                        o.v = Value::from_bytes(&s);
                        s
                    }
                    Err(e) => return reply_incr_float_error(c, e),
                }
            }
            None => match incr_by_float(b"0", incr) {
                Ok(s) => {
                    db_add(srv, db, key, Value::from_bytes(&s));
                    s
                }
                Err(e) => return reply_incr_float_error(c, e),
            },
        };
        crate::db::signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_STRING, "incrbyfloat", key, db);
        srv.dirty += 1;
        c.add_reply_bulk(&sum);
        // Propagated as SET key <new value> KEEPTTL, so float formatting
        // differences between hosts cannot make replicas diverge.
        if propagating(srv) {
            c.rewrite_command_vector(vec![
                Bytes::from_static(b"SET"),
                argv[1].clone(),
                Bytes::copy_from_slice(&sum),
                Bytes::from_static(b"KEEPTTL"),
            ]);
        }
    });
}

fn reply_incr_float_error(c: &mut Client, e: IncrFloatError) {
    match e {
        IncrFloatError::NotAFloat => c.add_reply_error(shared::err_not_float()),
        IncrFloatError::NanOrInf => {
            c.add_reply_error("ERR increment would produce NaN or Infinity")
        }
    }
}

// ---- GETRANGE / SETRANGE ----

/// The byte range `[from, to)` GETRANGE returns for a string of `len` bytes
/// and inclusive indexes `start`/`end` (negative ones count from the end), or
/// None for an empty reply. Redis rules: both negative with start > end is
/// empty; after adding `len` to negative indexes they are clamped to 0, `end`
/// is clamped to `len - 1`, and start > end (or an empty string) is empty.
pub fn getrange_bounds(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let mut start = if start < 0 { start + len } else { start };
    let mut end = if end < 0 { end + len } else { end };
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize + 1))
}

/// GETRANGE key start end → bulk string: the substring (empty if missing or
/// out of range). Non-integer indexes → "ERR value is not an integer or out
/// of range" (checked before the key).
pub fn getrange_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let (Some(start), Some(end)) = (string2ll(&argv[2]), string2ll(&argv[3])) else {
            return c.add_reply_error(shared::err_not_integer());
        };
        let db = c.db;
        let Some(o) = lookup_key_read(srv, db, &argv[1]) else {
            return c.add_reply_bulk(b"");
        };
        if check_type(c, o, ObjType::String) {
            return;
        }
        let mut t = itoa::Buffer::new();
        let s = o.v.as_bytes(&mut t);
        match getrange_bounds(s.len(), start, end) {
            Some((from, to)) => c.add_reply_bulk(&s[from..to]),
            None => c.add_reply_bulk(b""),
        }
    });
}

/// SETRANGE key offset value → integer: the new length. Zero-pads when the
/// offset is past the end; the value becomes `raw`. Errors: "ERR value is not
/// an integer or out of range", "ERR offset is out of range" (negative),
/// "ERR string exceeds maximum allowed size (proto-max-bulk-len)". An empty
/// value changes nothing: it replies the current length (0 for a missing
/// key, which is not created) without any length check.
pub fn setrange_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(offset) = string2ll(&argv[2]) else {
            return c.add_reply_error(shared::err_not_integer());
        };
        if offset < 0 {
            return c.add_reply_error("ERR offset is out of range");
        }
        let db = c.db;
        let key = &argv[1][..];
        let value = &argv[3][..];
        let max = srv.config.proto_max_bulk_len;
        let newlen = match lookup_key_write(srv, db, key) {
            None => {
                if value.is_empty() {
                    return c.add_reply_long_long(0);
                }
                if !check_string_length(offset, value.len() as i64, max) {
                    return c.add_reply_error(ERR_STRING_TOO_LONG);
                }
                // The check bounds offset + len by proto-max-bulk-len (an i64), so this fits.
                let off = offset as usize;
                let mut buf = crate::object::raw_zeroed(off + value.len());
                buf[off..].copy_from_slice(value);
                let n = buf.len();
                db_add(srv, db, key, Value::Raw(buf));
                n
            }
            Some(o) => {
                if check_type(c, o, ObjType::String) {
                    return;
                }
                if value.is_empty() {
                    return c.add_reply_long_long(o.v.str_len() as i64);
                }
                if !check_string_length(offset, value.len() as i64, max) {
                    return c.add_reply_error(ERR_STRING_TOO_LONG);
                }
                let off = offset as usize;
                let need = off + value.len();
                let buf = o.v.make_raw_room(need);
                if buf.len() < need {
                    buf.resize(need, 0);
                }
                buf[off..need].copy_from_slice(value);
                buf.len()
            }
        };
        crate::db::signal_modified_key(srv, db, key);
        notify_keyspace_event(srv, NOTIFY_STRING, "setrange", key, db);
        srv.dirty += 1;
        c.add_reply_long_long(newlen as i64);
    });
}

// ---- LCS ----

/// One matched range of LCS IDX: inclusive byte ranges in each string and
/// the range length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcsMatch {
    pub a: (u32, u32),
    pub b: (u32, u32),
    pub len: u32,
}

/// The LCS dynamic-programming table, `(|a|+1) * (|b|+1)` cells in row-major
/// order (`T[i*(|b|+1)+j]` = LCS length of `a[..i]` and `b[..j]`). None if the
/// memory cannot be allocated. Both lengths must be below `u32::MAX - 1`.
pub fn lcs_table(a: &[u8], b: &[u8]) -> Option<Vec<u32>> {
    let w = b.len() + 1;
    let n = (a.len() + 1).checked_mul(w)?;
    let mut t: Vec<u32> = Vec::new();
    t.try_reserve_exact(n).ok()?;
    t.resize(n, 0);
    for i in 1..=a.len() {
        let (prev, cur) = t.split_at_mut(i * w);
        let prev = &prev[(i - 1) * w..];
        let cur = &mut cur[..w];
        let ai = a[i - 1];
        for j in 1..w {
            cur[j] = if ai == b[j - 1] {
                prev[j - 1] + 1
            } else {
                prev[j].max(cur[j - 1])
            };
        }
    }
    Some(t)
}

/// Walks the table from [`lcs_table`] back from its last cell and returns
/// the common subsequence and (when `want_matches`) the matched ranges of at
/// least `minmatchlen` bytes (0 = all), from the end of the strings towards
/// the start, as Redis emits them.
pub fn lcs_backtrack(
    a: &[u8],
    b: &[u8],
    t: &[u32],
    minmatchlen: i64,
    want_matches: bool,
) -> (Vec<u8>, Vec<LcsMatch>) {
    let w = b.len() + 1;
    let cell = |i: u32, j: u32| t[i as usize * w + j as usize];
    let alen = a.len() as u32;
    let blen = b.len() as u32;
    let mut idx = cell(alen, blen);
    let mut result = vec![0u8; idx as usize];
    let mut matches = Vec::new();
    // `arange_start == alen` means "no range open".
    let (mut arange_start, mut arange_end, mut brange_start, mut brange_end) =
        (alen, 0u32, 0u32, 0u32);
    let (mut i, mut j) = (alen, blen);
    while i > 0 && j > 0 {
        let mut emit_range = false;
        if a[i as usize - 1] == b[j as usize - 1] {
            result[idx as usize - 1] = a[i as usize - 1];
            if arange_start == alen {
                arange_start = i - 1;
                arange_end = i - 1;
                brange_start = j - 1;
                brange_end = j - 1;
            } else if arange_start == i && brange_start == j {
                // Contiguous with the open range: extend it backwards.
                arange_start -= 1;
                brange_start -= 1;
            } else {
                emit_range = true;
            }
            // A range touching the start of either string cannot grow further.
            if arange_start == 0 || brange_start == 0 {
                emit_range = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if cell(i - 1, j) > cell(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            if arange_start != alen {
                emit_range = true;
            }
        }
        if emit_range {
            let match_len = arange_end.wrapping_sub(arange_start).wrapping_add(1);
            if want_matches && (minmatchlen == 0 || match_len as i64 >= minmatchlen) {
                matches.push(LcsMatch {
                    a: (arange_start, arange_end),
                    b: (brange_start, brange_end),
                    len: match_len,
                });
            }
            arange_start = alen;
        }
    }
    (result, matches)
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]
/// → bulk string: the longest common subsequence (missing keys are empty
/// strings); with LEN, its length as an integer; with IDX, a map
/// `{"matches": [[[a_start, a_end], [b_start, b_end] (, len)], ...], "len": n}`
/// (a flat array of 4 in RESP2). Errors: "ERR The specified keys must contain
/// string values", "ERR syntax error", "ERR value is not an integer or out of
/// range" (MINMATCHLEN), "ERR If you want both the length and indexes, please
/// just use IDX.", "ERR String too long for LCS", "ERR Insufficient memory,
/// transient memory for LCS exceeds proto-max-bulk-len", "ERR Insufficient
/// memory, failed allocating transient memory for LCS".
///
/// # Latency
/// O(|a|*|b|) time, with a table of at most `proto-max-bulk-len` bytes.
pub fn lcs_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        // Both lookups first (they count keyspace hits/misses), then the type check.
        let ra = lookup_key_read(srv, db, &argv[1]).map(|o| (o.v.obj_type(), o.v.to_vec()));
        let rb = lookup_key_read(srv, db, &argv[2]).map(|o| (o.v.obj_type(), o.v.to_vec()));
        let is_str =
            |r: &Option<(ObjType, Vec<u8>)>| r.as_ref().is_none_or(|(t, _)| *t == ObjType::String);
        if !is_str(&ra) || !is_str(&rb) {
            return c.add_reply_error("ERR The specified keys must contain string values");
        }
        let a = ra.map(|(_, v)| v).unwrap_or_default();
        let b = rb.map(|(_, v)| v).unwrap_or_default();

        let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
        let mut minmatchlen = 0i64;
        let mut j = 3;
        while j < argv.len() {
            let opt = &argv[j][..];
            let moreargs = j + 1 < argv.len();
            if opt.eq_ignore_ascii_case(b"idx") {
                getidx = true;
            } else if opt.eq_ignore_ascii_case(b"len") {
                getlen = true;
            } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
                withmatchlen = true;
            } else if opt.eq_ignore_ascii_case(b"minmatchlen") && moreargs {
                let Some(v) = string2ll(&argv[j + 1]) else {
                    return c.add_reply_error(shared::err_not_integer());
                };
                minmatchlen = v.max(0);
                j += 1;
            } else {
                return c.add_reply_error(shared::err_syntax());
            }
            j += 1;
        }
        if getidx && getlen {
            return c.add_reply_error(
                "ERR If you want both the length and indexes, please just use IDX.",
            );
        }
        if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
            return c.add_reply_error("ERR String too long for LCS");
        }
        let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
        let Some(bytes) = cells.checked_mul(4) else {
            return c.add_reply_error(
                "ERR Insufficient memory, failed allocating transient memory for LCS",
            );
        };
        if bytes > srv.config.proto_max_bulk_len.max(0) as u64 {
            return c.add_reply_error(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
            );
        }
        let Some(t) = lcs_table(&a, &b) else {
            return c.add_reply_error(
                "ERR Insufficient memory, failed allocating transient memory for LCS",
            );
        };
        let total = t[t.len() - 1] as i64;
        if getlen {
            return c.add_reply_long_long(total);
        }
        let (lcs, matches) = lcs_backtrack(&a, &b, &t, minmatchlen, getidx);
        if !getidx {
            return c.add_reply_bulk(&lcs);
        }
        c.add_reply_map_len(2);
        c.add_reply_bulk(b"matches");
        c.add_reply_array_len(matches.len());
        for m in &matches {
            c.add_reply_array_len(if withmatchlen { 3 } else { 2 });
            c.add_reply_array_len(2);
            c.add_reply_long_long(m.a.0 as i64);
            c.add_reply_long_long(m.a.1 as i64);
            c.add_reply_array_len(2);
            c.add_reply_long_long(m.b.0 as i64);
            c.add_reply_long_long(m.b.1 as i64);
            if withmatchlen {
                c.add_reply_long_long(m.len as i64);
            }
        }
        c.add_reply_bulk(b"len");
        c.add_reply_long_long(total);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect()
    }

    fn set_opts(s: &str) -> Result<ExtendedStringArgs, SyntaxError> {
        parse_extended_string_args(&args(s), StringCommandType::Set)
    }

    fn getex_opts(s: &str) -> Result<ExtendedStringArgs, SyntaxError> {
        parse_extended_string_args(&args(s), StringCommandType::Get)
    }

    #[test]
    fn set_options_accepted() {
        let a = set_opts("set k v").unwrap();
        assert_eq!((a.flags, a.expire), (0, None));
        let a = set_opts("set k v nx get").unwrap();
        assert_eq!(a.flags, OBJ_SET_NX | OBJ_SET_GET);
        let a = set_opts("set k v Ex 10").unwrap();
        assert_eq!(
            (a.flags, a.unit, a.expire),
            (OBJ_EX, ExpireUnit::Seconds, Some(4))
        );
        let a = set_opts("set k v px 10 xx").unwrap();
        assert_eq!(
            (a.flags, a.unit, a.expire),
            (OBJ_PX | OBJ_SET_XX, ExpireUnit::Milliseconds, Some(4))
        );
        // The same expire option may repeat: the last one wins.
        let a = set_opts("set k v ex 10 ex 20").unwrap();
        assert_eq!(a.expire, Some(6));
        let a = set_opts("set k v EXAT 10 get GET").unwrap();
        assert_eq!(
            (a.flags, a.unit),
            (OBJ_EXAT | OBJ_SET_GET, ExpireUnit::Seconds)
        );
        let a = set_opts("set k v pxat 10").unwrap();
        assert_eq!((a.flags, a.unit), (OBJ_PXAT, ExpireUnit::Milliseconds));
        let a = set_opts("set k v keepttl keepttl nx").unwrap();
        assert_eq!(a.flags, OBJ_KEEPTTL | OBJ_SET_NX);
        // The value after EX is taken even if it looks like an option.
        let a = set_opts("set k v ex nx").unwrap();
        assert_eq!((a.flags, a.expire), (OBJ_EX, Some(4)));
    }

    #[test]
    fn set_options_rejected() {
        for bad in [
            "set k v nx xx",
            "set k v xx nx",
            "set k v ex 10 px 10",
            "set k v px 10 ex 10",
            "set k v exat 1 pxat 1",
            "set k v ex 10 keepttl",
            "set k v keepttl px 10",
            "set k v ex",
            "set k v pxat",
            "set k v persist",
            "set k v foo",
            "set k v nxx",
            "set k v e",
        ] {
            assert_eq!(set_opts(bad), Err(SyntaxError), "{bad}");
        }
    }

    #[test]
    fn getex_options() {
        assert_eq!(getex_opts("getex k").unwrap().flags, 0);
        assert_eq!(getex_opts("getex k PERSIST").unwrap().flags, OBJ_PERSIST);
        let a = getex_opts("getex k px 5").unwrap();
        assert_eq!((a.flags, a.expire), (OBJ_PX, Some(3)));
        for bad in [
            "getex k nx",
            "getex k xx",
            "getex k get",
            "getex k keepttl",
            "getex k persist ex 1",
            "getex k ex 1 persist",
            "getex k ex",
        ] {
            assert_eq!(getex_opts(bad), Err(SyntaxError), "{bad}");
        }
    }

    #[test]
    fn expire_conversion() {
        let now = 1_700_000_000_000;
        assert_eq!(
            expire_to_abs_ms(b"10", OBJ_EX, ExpireUnit::Seconds, now),
            Ok(now + 10_000)
        );
        assert_eq!(
            expire_to_abs_ms(b"10", OBJ_PX, ExpireUnit::Milliseconds, now),
            Ok(now + 10)
        );
        assert_eq!(
            expire_to_abs_ms(b"10", OBJ_EXAT, ExpireUnit::Seconds, now),
            Ok(10_000)
        );
        assert_eq!(
            expire_to_abs_ms(b"1", OBJ_PXAT, ExpireUnit::Milliseconds, now),
            Ok(1)
        );
        assert_eq!(
            expire_to_abs_ms(b"abc", OBJ_EX, ExpireUnit::Seconds, now),
            Err(ExpireError::NotInteger)
        );
        assert_eq!(
            expire_to_abs_ms(b"0", OBJ_EX, ExpireUnit::Seconds, now),
            Err(ExpireError::Invalid)
        );
        assert_eq!(
            expire_to_abs_ms(b"-1", OBJ_PXAT, ExpireUnit::Milliseconds, now),
            Err(ExpireError::Invalid)
        );
        // Seconds → ms would overflow.
        assert_eq!(
            expire_to_abs_ms(b"9223372036854776", OBJ_EXAT, ExpireUnit::Seconds, now),
            Err(ExpireError::Invalid)
        );
        // Fits in ms, but adding now wraps.
        assert_eq!(
            expire_to_abs_ms(b"9223372036854775", OBJ_EX, ExpireUnit::Seconds, now),
            Err(ExpireError::Invalid)
        );
        assert_eq!(
            expire_to_abs_ms(b"9223372036854775", OBJ_EXAT, ExpireUnit::Seconds, now),
            Ok(9_223_372_036_854_775_000)
        );
        assert_eq!(
            expire_to_abs_ms(
                b"9223372036854775807",
                OBJ_PXAT,
                ExpireUnit::Milliseconds,
                now
            ),
            Ok(i64::MAX)
        );
        assert_eq!(
            expire_to_abs_ms(
                b"9223372036854775807",
                OBJ_PX,
                ExpireUnit::Milliseconds,
                now
            ),
            Err(ExpireError::Invalid)
        );
    }

    #[test]
    fn string_length_limit() {
        let max = 512 * 1024 * 1024;
        assert!(check_string_length(536_870_911, 1, max));
        assert!(!check_string_length(536_870_912, 1, max));
        assert!(!check_string_length(1, 536_870_912, max));
        assert!(!check_string_length(i64::MAX, 1, i64::MAX));
        assert!(check_string_length(0, 0, max));
    }

    #[test]
    fn incr_overflow() {
        assert_eq!(incr_checked(i64::MAX, 1), None);
        assert_eq!(incr_checked(i64::MIN, -1), None);
        assert_eq!(incr_checked(i64::MIN, i64::MAX), Some(-1));
        assert_eq!(incr_checked(-5, 3), Some(-2));
    }

    #[test]
    fn getrange_rules() {
        // "hello"
        assert_eq!(getrange_bounds(5, 0, -1), Some((0, 5)));
        assert_eq!(getrange_bounds(5, 1, 3), Some((1, 4)));
        assert_eq!(getrange_bounds(5, -3, -1), Some((2, 5)));
        assert_eq!(getrange_bounds(5, 10, 20), None);
        assert_eq!(getrange_bounds(5, 2, 1), None);
        assert_eq!(getrange_bounds(5, 3, 100), Some((3, 5)));
        assert_eq!(getrange_bounds(5, -100, 1), Some((0, 2)));
        // Both negative and start > end: empty, even though clamping would give "h".
        assert_eq!(getrange_bounds(5, -100, -200), None);
        assert_eq!(getrange_bounds(5, -1, -5), None);
        assert_eq!(getrange_bounds(5, i64::MIN, i64::MAX), Some((0, 5)));
        assert_eq!(getrange_bounds(5, -5, -5), Some((0, 1)));
        assert_eq!(getrange_bounds(0, 0, -1), None);
        assert_eq!(getrange_bounds(0, -1, 0), None);
        assert_eq!(getrange_bounds(0, 0, 0), None);
    }

    fn lcs(a: &str, b: &str, min: i64) -> (String, Vec<LcsMatch>, u32) {
        let t = lcs_table(a.as_bytes(), b.as_bytes()).unwrap();
        let (s, m) = lcs_backtrack(a.as_bytes(), b.as_bytes(), &t, min, true);
        (String::from_utf8(s).unwrap(), m, t[t.len() - 1])
    }

    #[test]
    fn lcs_string_and_ranges() {
        // The example of Redis's LCS documentation (verified against redis-server 7.0.15).
        let (s, m, len) = lcs("ohmytext", "mynewtext", 0);
        assert_eq!((s.as_str(), len), ("mytext", 6));
        assert_eq!(
            m,
            vec![
                LcsMatch {
                    a: (4, 7),
                    b: (5, 8),
                    len: 4
                },
                LcsMatch {
                    a: (2, 3),
                    b: (0, 1),
                    len: 2
                }
            ]
        );
        let (_, m, _) = lcs("ohmytext", "mynewtext", 4);
        assert_eq!(
            m,
            vec![LcsMatch {
                a: (4, 7),
                b: (5, 8),
                len: 4
            }]
        );
        let (s, m, len) = lcs("", "abc", 0);
        assert_eq!((s.as_str(), m.len(), len), ("", 0, 0));
        let (s, m, len) = lcs("abc", "xyz", 0);
        assert_eq!((s.as_str(), m.len(), len), ("", 0, 0));
        let (s, m, _) = lcs("abc", "abc", 0);
        assert_eq!(s, "abc");
        assert_eq!(
            m,
            vec![LcsMatch {
                a: (0, 2),
                b: (0, 2),
                len: 3
            }]
        );
    }

    #[test]
    fn lcs_table_values() {
        let t = lcs_table(b"ab", b"ba").unwrap();
        // rows: "", "a", "ab" × cols: "", "b", "ba"
        assert_eq!(t, vec![0, 0, 0, 0, 0, 1, 0, 1, 1]);
    }
}
