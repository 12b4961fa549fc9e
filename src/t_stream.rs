//! Stream commands (Redis `t_stream.c`): XADD, XRANGE, XREVRANGE, XLEN,
//! XDEL, XTRIM, XSETID, plus the helpers the consumer-group commands
//! (`t_stream_cg.rs`) share: key lookup, id parsing and id/entry replies.
//!
//! The data structure itself is in `stream.rs`.
//!
//! # Propagation
//! XADD propagates the id it generated (an `*` or `<ms>-*` argument is
//! rewritten to the full id), and approximate trimming (`~`, LIMIT) is
//! propagated as exact trimming to what it achieved: `MAXLEN = <length
//! left>` or `MINID = <first id left>` (Redis `streamRewriteTrimArgument`),
//! so that AOF replay and replicas end with the same stream. A client that
//! must be obeyed (the AOF loader) trims without LIMIT.

use bytes::Bytes;

use crate::commands::Handler;
use crate::db::{
    check_type, db_add, get_long_long_or_reply, lookup_key_read, lookup_key_write,
    signal_modified_key,
};
use crate::networking::Client;
use crate::notify::{NOTIFY_STREAM, notify_keyspace_event};
use crate::object::{ObjType, RObj, Value};
use crate::server::{Server, with_argv};
use crate::shared;
use crate::stream::{AppendError, EntryRef, Stream, StreamId, TrimArgs, TrimStrategy};

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("xadd", xadd_command),
    ("xrange", xrange_command),
    ("xrevrange", xrevrange_command),
    ("xlen", xlen_command),
    ("xdel", xdel_command),
    ("xtrim", xtrim_command),
    ("xsetid", xsetid_command),
];

/// "ERR Invalid stream ID specified as stream command argument".
pub const ERR_INVALID_STREAM_ID: &str =
    "ERR Invalid stream ID specified as stream command argument";

// ---------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------

/// The stream inside a value, None for other types.
pub fn stream_of(o: &mut RObj) -> Option<&mut Stream> {
    match &mut o.v {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

/// Looks `key` up for reading (Redis `lookupKeyRead` + `checkType`):
/// `Ok(None)` when missing, `Err(())` after replying WRONGTYPE.
#[allow(clippy::result_unit_err)]
pub fn lookup_stream_read<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut Stream>, ()> {
    match lookup_key_read(srv, c.db, key) {
        None => Ok(None),
        Some(o) => {
            if check_type(c, o, ObjType::Stream) {
                return Err(());
            }
            Ok(stream_of(o))
        }
    }
}

/// Looks `key` up for writing (Redis `lookupKeyWrite` + `checkType`):
/// `Ok(None)` when missing, `Err(())` after replying WRONGTYPE.
#[allow(clippy::result_unit_err)]
pub fn lookup_stream_write<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut Stream>, ()> {
    let db = c.db;
    match lookup_key_write(srv, db, key) {
        None => Ok(None),
        Some(o) => {
            if check_type(c, o, ObjType::Stream) {
                return Err(());
            }
            Ok(stream_of(o))
        }
    }
}

/// Redis `streamTypeLookupWriteOrCreate`: the stream at `key`, created
/// empty (and added to the keyspace) when missing unless `no_create`, in
/// which case a null is replied. None after replying (WRONGTYPE or null).
pub fn stream_type_lookup_write_or_create<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
    no_create: bool,
) -> Option<&'a mut Stream> {
    let db = c.db;
    match lookup_key_write(srv, db, key).map(|o| o.v.obj_type()) {
        Some(ObjType::Stream) => {}
        Some(_) => {
            c.add_reply_error(shared::err_wrong_type());
            return None;
        }
        None if no_create => {
            c.add_reply_null();
            return None;
        }
        None => db_add(srv, db, key, Value::Stream(Box::default())),
    }
    srv.dbs[db].dict.get_mut(key).and_then(stream_of)
}

// ---------------------------------------------------------------------------
// Ids: parsing and replies
// ---------------------------------------------------------------------------

/// C `strtoull` in base 10 over the whole of `s`, as Redis's `string2ull`
/// falls back to: leading white space, an optional sign (a `-` negates
/// modulo 2^64), at least one digit, nothing after; overflow fails.
fn strtoull_full(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Redis `string2ull`: a canonical i64 must not be negative; other text goes
/// through `strtoull`.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::util::string2ll(s) {
        return u64::try_from(v).ok();
    }
    strtoull_full(s)
}

/// Parses a stream id argument (Redis `streamGenericParseIDOrReply`
/// without the reply): `<ms>-<seq>`, or `<ms>` alone with `missing_seq` as
/// the sequence; `-` and `+` are the minimal and maximal ids unless
/// `strict`. When `seq_given` is passed, `<ms>-*` is accepted and sets it
/// to false (true otherwise). Longer than 127 bytes is invalid, and the text
/// stops at a NUL byte, as in Redis's C string copy.
pub fn stream_generic_parse_id(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    mut seq_given: Option<&mut bool>,
) -> Option<StreamId> {
    if arg.len() > 127 {
        return None;
    }
    let buf = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if strict && (buf == b"-" || buf == b"+") {
        return None;
    }
    if let Some(g) = seq_given.as_deref_mut() {
        *g = true;
    }
    if buf == b"-" {
        return Some(StreamId::MIN);
    }
    if buf == b"+" {
        return Some(StreamId::MAX);
    }
    let (ms_part, seq_part) = match buf.iter().position(|&b| b == b'-') {
        Some(d) => (&buf[..d], Some(&buf[d + 1..])),
        None => (buf, None),
    };
    let ms = string2ull(ms_part)?;
    let seq = match seq_part {
        Some(b"*") if seq_given.is_some() => {
            if let Some(g) = seq_given {
                *g = false;
            }
            0
        }
        Some(p) => string2ull(p)?,
        None => missing_seq,
    };
    Some(StreamId::new(ms, seq))
}

/// [`stream_generic_parse_id`] (not strict), replying
/// [`ERR_INVALID_STREAM_ID`] on failure (Redis `streamParseIDOrReply`).
pub fn stream_parse_id_or_reply(c: &mut Client, arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    let r = stream_generic_parse_id(arg, missing_seq, false, None);
    if r.is_none() {
        c.add_reply_error(ERR_INVALID_STREAM_ID);
    }
    r
}

/// Strict [`stream_generic_parse_id`] (`-` and `+` refused), replying
/// [`ERR_INVALID_STREAM_ID`] on failure (Redis `streamParseStrictIDOrReply`).
pub fn stream_parse_strict_id_or_reply(
    c: &mut Client,
    arg: &[u8],
    missing_seq: u64,
    seq_given: Option<&mut bool>,
) -> Option<StreamId> {
    let r = stream_generic_parse_id(arg, missing_seq, true, seq_given);
    if r.is_none() {
        c.add_reply_error(ERR_INVALID_STREAM_ID);
    }
    r
}

/// A range bound (Redis `streamParseIntervalIDOrReply`): `(<id>` is an
/// exclusive bound (parsed strictly; returned with `true`), anything else
/// an inclusive one.
pub fn stream_parse_interval_id_or_reply(
    c: &mut Client,
    arg: &[u8],
    missing_seq: u64,
) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        stream_parse_strict_id_or_reply(c, &arg[1..], missing_seq, None).map(|id| (id, true))
    } else {
        stream_parse_id_or_reply(c, arg, missing_seq).map(|id| (id, false))
    }
}

/// Replies an id as a bulk string `<ms>-<seq>` (Redis `addReplyStreamID`).
pub fn add_reply_stream_id(c: &mut Client, id: StreamId) {
    c.add_reply_bulk(&id.to_bytes());
}

/// Replies one entry as `[id, [field, value, ...]]`, the shape of XRANGE,
/// XREAD and XCLAIM replies.
pub fn add_reply_stream_entry(c: &mut Client, e: &EntryRef<'_>) {
    c.add_reply_array_len(2);
    add_reply_stream_id(c, e.id);
    c.add_reply_array_len(e.numfields * 2);
    let mut t = itoa::Buffer::new();
    for (f, v) in e.fields() {
        c.add_reply_bulk(f.as_bytes(&mut t));
        c.add_reply_bulk(v.as_bytes(&mut t));
    }
}

// ---------------------------------------------------------------------------
// XADD / XTRIM argument parsing
// ---------------------------------------------------------------------------

/// Parsed XADD / XTRIM options (Redis `streamAddTrimArgs`).
#[derive(Clone, Copy, Debug)]
struct AddTrimArgs {
    /// The id XADD was given (when `id_given`).
    id: StreamId,
    id_given: bool,
    /// False for `<ms>-*`.
    seq_given: bool,
    no_mkstream: bool,
    trim: TrimArgs,
    /// Index of the MAXLEN count / MINID id argument, for the rewrite.
    trim_arg_idx: usize,
}

/// Redis `streamParseAddOrTrimArgsOrReply`: parses options from argv[2];
/// for XADD stops at the id and returns its index. None after replying.
fn parse_add_or_trim_args(
    c: &mut Client,
    argv: &[Bytes],
    xadd: bool,
    node_max_entries: i64,
) -> Option<(AddTrimArgs, usize)> {
    let mut a = AddTrimArgs {
        id: StreamId::MIN,
        id_given: false,
        seq_given: true,
        no_mkstream: false,
        trim: TrimArgs {
            strategy: TrimStrategy::None,
            approx: false,
            limit: 0,
        },
        trim_arg_idx: 0,
    };
    let argc = argv.len();
    let mut limit_given = false;
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = &argv[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (opt.eq_ignore_ascii_case(b"maxlen") || opt.eq_ignore_ascii_case(b"minid"))
            && moreargs > 0
        {
            let maxlen = opt.eq_ignore_ascii_case(b"maxlen");
            if a.trim.strategy != TrimStrategy::None {
                c.add_reply_error(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            a.trim.approx = false;
            let next = &argv[i + 1][..];
            if moreargs >= 2 && next == b"~" {
                a.trim.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            if maxlen {
                let n = get_long_long_or_reply(c, &argv[i + 1], None)?;
                if n < 0 {
                    c.add_reply_error("ERR The MAXLEN argument must be >= 0.");
                    return None;
                }
                a.trim.strategy = TrimStrategy::MaxLen(n as u64);
            } else {
                let id = stream_parse_strict_id_or_reply(c, &argv[i + 1], 0, None)?;
                a.trim.strategy = TrimStrategy::MinId(id);
            }
            i += 1;
            a.trim_arg_idx = i;
        } else if opt.eq_ignore_ascii_case(b"limit") && moreargs > 0 {
            let n = get_long_long_or_reply(c, &argv[i + 1], None)?;
            if n < 0 {
                c.add_reply_error("ERR The LIMIT argument must be >= 0.");
                return None;
            }
            a.trim.limit = n;
            limit_given = true;
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            let mut seq_given = true;
            a.id = stream_parse_strict_id_or_reply(c, opt, 0, Some(&mut seq_given))?;
            a.seq_given = seq_given;
            a.id_given = true;
            break;
        } else {
            c.add_reply_error(shared::err_syntax());
            return None;
        }
        i += 1;
    }

    if a.trim.limit != 0 && a.trim.strategy == TrimStrategy::None {
        c.add_reply_error(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        );
        return None;
    }
    if !xadd && a.trim.strategy == TrimStrategy::None {
        c.add_reply_error("ERR syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if c.id == crate::aof::load::CLIENT_ID_AOF {
        a.trim.limit = 0;
    } else if limit_given {
        if !a.trim.approx {
            c.add_reply_error(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            );
            return None;
        }
    } else if a.trim.approx {
        a.trim.limit = default_trim_limit(node_max_entries);
    } else {
        a.trim.limit = 0;
    }
    Some((a, i))
}

/// The default LIMIT of an approximate trim (Redis: 100 times
/// `stream-node-max-entries`, kept within 10000 when that is 0 or negative
/// and at most 1000000).
fn default_trim_limit(node_max_entries: i64) -> i64 {
    let l = node_max_entries.saturating_mul(100);
    if l <= 0 { 10000 } else { l.min(1_000_000) }
}

/// The argv to propagate after an approximate trim (Redis
/// `streamRewriteApproxSpecifier` + `streamRewriteTrimArgument`): `~`
/// becomes `=` and the count / id what the stream now holds.
fn rewrite_trim_argument(argv: &mut [Bytes], s: &Stream, a: &AddTrimArgs) {
    let idx = a.trim_arg_idx;
    if idx == 0 || idx >= argv.len() {
        return;
    }
    argv[idx - 1] = Bytes::from_static(b"=");
    argv[idx] = match a.trim.strategy {
        TrimStrategy::MaxLen(_) => {
            Bytes::from(itoa::Buffer::new().format(s.length).as_bytes().to_vec())
        }
        _ => Bytes::from(s.edge_id(true, false).to_bytes()),
    };
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id
/// field value [field value ...] → the id added (bulk), or null with
/// NOMKSTREAM and no key. Errors: "ERR The ID specified in XADD must be
/// greater than 0-0", "ERR The ID specified in XADD is equal or smaller
/// than the target stream top item", "ERR The stream has exhausted the last
/// possible ID, unable to add more items", "ERR Elements are too large to be
/// stored", wrong arity for an odd field/value count, plus the option
/// errors. Events "xadd", then "xtrim" if trimming removed entries.
pub fn xadd_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let max_entries = srv.config.stream_node_max_entries;
        let Some((a, idpos)) = parse_add_or_trim_args(c, argv, true, max_entries) else {
            return;
        };
        let field_pos = idpos + 1;
        let nargs = argv.len().saturating_sub(field_pos);
        if nargs < 2 || nargs % 2 == 1 {
            c.add_reply_error(&shared::err_wrong_arity("xadd"));
            return;
        }
        if a.id_given && a.seq_given && a.id.is_zero() {
            c.add_reply_error("ERR The ID specified in XADD must be greater than 0-0");
            return;
        }
        let db = c.db;
        let max_bytes = srv.config.stream_node_max_bytes;
        let now = crate::util::mstime().max(0) as u64;
        let Some(s) = stream_type_lookup_write_or_create(srv, c, &argv[1], a.no_mkstream) else {
            return;
        };
        if s.last_id == StreamId::MAX {
            c.add_reply_error(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            );
            return;
        }
        let use_id = a.id_given.then_some((a.id, a.seq_given));
        let id = match s.append(&argv[field_pos..], use_id, now, max_bytes, max_entries) {
            Ok(id) => id,
            Err(AppendError::IdTooSmall) => {
                c.add_reply_error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
                return;
            }
            Err(AppendError::TooLarge) => {
                c.add_reply_error("ERR Elements are too large to be stored");
                return;
            }
        };
        let idtext = id.to_bytes();
        c.add_reply_bulk(&idtext);
        let mut trimmed = false;
        let mut newargv: Option<Vec<Bytes>> = None;
        if a.trim.strategy != TrimStrategy::None {
            trimmed = s.trim(&a.trim) != 0;
            if a.trim.approx {
                let mut v = argv.to_vec();
                rewrite_trim_argument(&mut v, s, &a);
                newargv = Some(v);
            }
        }
        if !a.id_given || !a.seq_given {
            let v = newargv.get_or_insert_with(|| argv.to_vec());
            v[idpos] = Bytes::from(idtext);
        }
        signal_modified_key(srv, db, &argv[1]);
        notify_keyspace_event(srv, NOTIFY_STREAM, "xadd", &argv[1], db);
        srv.dirty += 1;
        if trimmed {
            notify_keyspace_event(srv, NOTIFY_STREAM, "xtrim", &argv[1], db);
        }
        if let Some(v) = newargv {
            c.rewrite_command_vector(v);
        }
        crate::blocked::signal_key_as_ready(srv, db, &argv[1]);
    });
}

/// XRANGE / XREVRANGE (Redis `xrangeGenericCommand`): start and end ids
/// (`-`, `+`, incomplete ids, `(` for exclusive bounds), optional COUNT.
/// Replies the entries as `[[id, [f, v, ...]], ...]`; a missing key gives
/// an empty array, COUNT 0 a null array. Errors: "ERR invalid start ID for
/// the interval", "ERR invalid end ID for the interval", the invalid id
/// error, syntax and integer errors.
fn xrange_generic_command(srv: &mut Server, c: &mut Client, rev: bool) {
    with_argv(srv, c, |srv, c, argv| {
        let (startarg, endarg) = if rev {
            (&argv[3], &argv[2])
        } else {
            (&argv[2], &argv[3])
        };
        let Some((mut start, startex)) = stream_parse_interval_id_or_reply(c, startarg, 0) else {
            return;
        };
        if startex && !start.incr() {
            c.add_reply_error("ERR invalid start ID for the interval");
            return;
        }
        let Some((mut end, endex)) = stream_parse_interval_id_or_reply(c, endarg, u64::MAX) else {
            return;
        };
        if endex && !end.decr() {
            c.add_reply_error("ERR invalid end ID for the interval");
            return;
        }
        let mut count: i64 = -1;
        let mut j = 4;
        while j < argv.len() {
            let additional = argv.len() - j - 1;
            if argv[j].eq_ignore_ascii_case(b"count") && additional >= 1 {
                let Some(n) = get_long_long_or_reply(c, &argv[j + 1], None) else {
                    return;
                };
                count = n.max(0);
                j += 1;
            } else {
                c.add_reply_error(shared::err_syntax());
                return;
            }
            j += 1;
        }
        let s = match lookup_stream_read(srv, c, &argv[1]) {
            Err(()) => return,
            Ok(None) => return c.add_reply_array_len(0),
            Ok(Some(s)) => s,
        };
        if count == 0 {
            return c.add_reply_null_array();
        }
        // A negative COUNT means all of them, as no COUNT.
        add_reply_stream_range(c, s, start, end, count.max(0) as usize, rev);
    });
}

/// Replies with the array of up to `count` (0 = all) entries in
/// `start..=end` straight from the stream's nodes (Redis
/// `streamReplyWithRange` without a group); returns how many. XRANGE,
/// XREVRANGE, XREAD and XINFO STREAM use it.
pub fn add_reply_stream_range(
    c: &mut Client,
    s: &Stream,
    start: StreamId,
    end: StreamId,
    count: usize,
    rev: bool,
) -> usize {
    if start > end {
        c.add_reply_array_len(0);
        return 0;
    }
    let limit = if count == 0 { usize::MAX } else { count };
    let h = c.add_reply_deferred_len();
    let mut n = 0;
    for e in s.range(start, end, rev).take(limit) {
        add_reply_stream_entry(c, &e);
        n += 1;
    }
    c.set_deferred_array_len(h, n);
    n
}

/// XRANGE key start end [COUNT count]; see [`xrange_generic_command`].
pub fn xrange_command(srv: &mut Server, c: &mut Client) {
    xrange_generic_command(srv, c, false);
}

/// XREVRANGE key end start [COUNT count]: XRANGE in reverse order.
pub fn xrevrange_command(srv: &mut Server, c: &mut Client) {
    xrange_generic_command(srv, c, true);
}

/// XLEN key → integer: live entries, 0 for a missing key.
pub fn xlen_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        match lookup_stream_read(srv, c, &argv[1]) {
            Err(()) => {}
            Ok(None) => c.add_reply_long_long(0),
            Ok(Some(s)) => {
                let n = s.length as i64;
                c.add_reply_long_long(n)
            }
        }
    });
}

/// XDEL key id [id ...] → integer: entries deleted (0 for a missing key,
/// checked before the ids are parsed). Every id is parsed (strictly) before
/// any is deleted. Updates the stream's first id and greatest deleted id.
/// Event "xdel" when something was deleted.
pub fn xdel_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let db = c.db;
        let s = match lookup_stream_write(srv, c, &argv[1]) {
            Err(()) => return,
            Ok(None) => return c.add_reply_long_long(0),
            Ok(Some(s)) => s,
        };
        let mut ids = Vec::with_capacity(argv.len() - 2);
        for a in &argv[2..] {
            let Some(id) = stream_parse_strict_id_or_reply(c, a, 0, None) else {
                return;
            };
            ids.push(id);
        }
        let mut deleted = 0i64;
        let mut first_entry = false;
        for id in ids {
            if s.delete(id) {
                if id == s.first_id {
                    first_entry = true;
                }
                if id > s.max_deleted_entry_id {
                    s.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted != 0 {
            if s.length == 0 {
                s.first_id = StreamId::MIN;
            } else if first_entry {
                s.first_id = s.edge_id(true, true);
            }
            signal_modified_key(srv, db, &argv[1]);
            notify_keyspace_event(srv, NOTIFY_STREAM, "xdel", &argv[1], db);
            srv.dirty += deleted;
        }
        c.add_reply_long_long(deleted);
    });
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] → integer: entries
/// removed (0 for a missing key). Errors: "ERR syntax error, XTRIM must be
/// called with a trimming strategy" and the option errors of XADD. Event
/// "xtrim" when something was removed.
pub fn xtrim_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let max_entries = srv.config.stream_node_max_entries;
        let Some((a, _)) = parse_add_or_trim_args(c, argv, false, max_entries) else {
            return;
        };
        let db = c.db;
        let s = match lookup_stream_write(srv, c, &argv[1]) {
            Err(()) => return,
            Ok(None) => return c.add_reply_long_long(0),
            Ok(Some(s)) => s,
        };
        let deleted = s.trim(&a.trim);
        if deleted != 0 {
            if a.trim.approx {
                let mut v = argv.to_vec();
                rewrite_trim_argument(&mut v, s, &a);
                c.rewrite_command_vector(v);
            }
            notify_keyspace_event(srv, NOTIFY_STREAM, "xtrim", &argv[1], db);
            signal_modified_key(srv, db, &argv[1]);
            srv.dirty += deleted;
        }
        c.add_reply_long_long(deleted);
    });
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID
/// max-deleted-id] → `+OK`. Errors: "ERR no such key", "ERR The ID specified
/// in XSETID is smaller than the target stream top item", "ERR The
/// entries_added specified in XSETID is smaller than the target stream
/// length", "ERR The ID specified in XSETID is smaller than the provided
/// max_deleted_entry_id", "ERR entries_added must be positive", syntax and
/// id errors. Event "xsetid".
pub fn xsetid_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Some(id) = stream_parse_strict_id_or_reply(c, &argv[2], 0, None) else {
            return;
        };
        let mut entries_added: i64 = -1;
        let mut max_xdel_id = StreamId::MIN;
        let mut i = 3;
        while i < argv.len() {
            let moreargs = argv.len() - 1 - i;
            let opt = &argv[i];
            if opt.eq_ignore_ascii_case(b"entriesadded") && moreargs > 0 {
                let Some(n) = get_long_long_or_reply(c, &argv[i + 1], None) else {
                    return;
                };
                if n < 0 {
                    c.add_reply_error("ERR entries_added must be positive");
                    return;
                }
                entries_added = n;
                i += 2;
            } else if opt.eq_ignore_ascii_case(b"maxdeletedid") && moreargs > 0 {
                let Some(m) = stream_parse_strict_id_or_reply(c, &argv[i + 1], 0, None) else {
                    return;
                };
                if id < m {
                    c.add_reply_error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                    return;
                }
                max_xdel_id = m;
                i += 2;
            } else {
                c.add_reply_error(shared::err_syntax());
                return;
            }
        }
        let db = c.db;
        let s = match lookup_stream_write(srv, c, &argv[1]) {
            Err(()) => return,
            Ok(None) => return c.add_reply_error(shared::err_no_such_key()),
            Ok(Some(s)) => s,
        };
        if s.length > 0 {
            let maxid = s.last_valid_id();
            if id < maxid {
                c.add_reply_error(
                    "ERR The ID specified in XSETID is smaller than the target stream top item",
                );
                return;
            }
            if entries_added != -1 && s.length > entries_added as u64 {
                c.add_reply_error("ERR The entries_added specified in XSETID is smaller than the target stream length");
                return;
            }
        }
        s.last_id = id;
        if entries_added != -1 {
            s.entries_added = entries_added as u64;
        }
        if !max_xdel_id.is_zero() {
            s.max_deleted_entry_id = max_xdel_id;
        }
        c.add_reply_ok();
        srv.dirty += 1;
        notify_keyspace_event(srv, NOTIFY_STREAM, "xsetid", &argv[1], db);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_parsing_follows_redis() {
        let p = |s: &str| stream_generic_parse_id(s.as_bytes(), 7, false, None);
        assert_eq!(p("5"), Some(StreamId::new(5, 7)));
        assert_eq!(p("5-3"), Some(StreamId::new(5, 3)));
        assert_eq!(p("-"), Some(StreamId::MIN));
        assert_eq!(p("+"), Some(StreamId::MAX));
        assert_eq!(p("+5"), Some(StreamId::new(5, 7))); // strtoull takes a sign
        assert_eq!(p(" 5"), Some(StreamId::new(5, 7)));
        assert_eq!(p("-5"), None); // empty ms part
        assert_eq!(p("5-"), None);
        assert_eq!(p("5-x"), None);
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(
            p("18446744073709551615-18446744073709551615"),
            Some(StreamId::MAX)
        );
        assert_eq!(stream_generic_parse_id(b"+", 0, true, None), None);
        let mut g = true;
        assert_eq!(
            stream_generic_parse_id(b"5-*", 0, true, Some(&mut g)),
            Some(StreamId::new(5, 0))
        );
        assert!(!g);
        assert_eq!(stream_generic_parse_id(b"5-*", 0, true, None), None);
    }
}
