//! The list type (Redis `t_list.c`): LPUSH/RPUSH and their X variants,
//! LPOP/RPOP (with count), LLEN, LINDEX, LINSERT, LSET, LRANGE, LTRIM,
//! LREM, LPOS, LMOVE, RPOPLPUSH, LMPOP and the blocking BLPOP, BRPOP,
//! BLMOVE, BRPOPLPUSH, BLMPOP.
//!
//! # Encoding
//! A list is always a [`Quicklist`] (OBJECT ENCODING `quicklist`), created
//! with the `list-max-listpack-size` and `list-compress-depth` in force at
//! creation time; later CONFIG SETs only affect new lists, as in Redis. A
//! list that becomes empty is deleted (with a `del` keyspace event).
//!
//! # Argument checks before key lookups
//! Which error wins depends on the order of checks, so each command
//! follows Redis: LRANGE, LTRIM, LREM, LINSERT, LPOS, LMOVE and the
//! LMPOP family parse their arguments before looking the key up; LINDEX and
//! LSET look the key up first (a missing key answers before a bad index).
//!
//! # Blocking commands
//! BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH serve from the first
//! non-empty key exactly like their non-blocking forms. Only when nothing
//! can be served do they block ([`crate::blocked::block_for_keys`]); when a
//! key becomes ready the blocked command is simply run again. A client that
//! may not block (inside MULTI, scripts) gets what a timeout gives: a null
//! array (a null bulk for BLMOVE / BRPOPLPUSH).
//!
//! # Latency
//! Pushes and pops are O(1) per element (O(node size) memmove); index based
//! commands are O(N) in the distance from the nearer end; LREM, LPOS and
//! LINSERT scan the list.

use bytes::Bytes;

use crate::blocked::{BlockType, block_for_keys, client_may_block, get_timeout_or_reply};
use crate::commands::Handler;
use crate::db::{
    check_type, db_add, db_delete, get_long_long_or_reply, get_positive_long_or_reply,
    get_range_long_or_reply, lookup_key_read, lookup_key_write, signal_modified_key,
};
use crate::listpack::LpValue;
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, NOTIFY_LIST, notify_keyspace_event};
use crate::object::{ObjType, Value};
use crate::quicklist::{Quicklist, Where};
use crate::server::Server;
use crate::shared;

/// List command handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("lpush", lpush_command),
    ("rpush", rpush_command),
    ("lpushx", lpushx_command),
    ("rpushx", rpushx_command),
    ("lpop", lpop_command),
    ("rpop", rpop_command),
    ("llen", llen_command),
    ("lindex", lindex_command),
    ("linsert", linsert_command),
    ("lset", lset_command),
    ("lrange", lrange_command),
    ("ltrim", ltrim_command),
    ("lrem", lrem_command),
    ("lpos", lpos_command),
    ("lmove", lmove_command),
    ("rpoplpush", rpoplpush_command),
    ("lmpop", lmpop_command),
    ("blpop", blpop_command),
    ("brpop", brpop_command),
    ("blmove", blmove_command),
    ("brpoplpush", brpoplpush_command),
    ("blmpop", blmpop_command),
];

// ---- List API ----

/// A new empty list value with the configured fill and compress depth
/// (Redis `createQuicklistObject` + `quicklistSetOptions`).
pub fn create_list_value(srv: &Server) -> Value {
    Value::List(Box::new(Quicklist::new(
        srv.config.list_max_listpack_size,
        srv.config.list_compress_depth,
    )))
}

/// The list stored at `key`, with no lookup side effects (the caller has
/// already looked it up and checked its type).
fn list_mut<'a>(srv: &'a mut Server, dbid: usize, key: &[u8]) -> Option<&'a mut Quicklist> {
    match srv.dbs[dbid].dict.get_mut(key) {
        Some(o) => match &mut o.v {
            Value::List(ql) => Some(ql),
            _ => None,
        },
        None => None,
    }
}

/// Result of looking a key up as a list.
enum Lookup {
    /// No such key.
    Missing,
    /// WRONGTYPE was replied.
    WrongType,
    /// A list of this length.
    List(usize),
}

fn lookup_list(srv: &mut Server, c: &mut Client, key: &[u8], write: bool) -> Lookup {
    let dbid = c.db;
    let o = if write {
        lookup_key_write(srv, dbid, key)
    } else {
        lookup_key_read(srv, dbid, key)
    };
    match o {
        None => Lookup::Missing,
        Some(o) => {
            if check_type(c, o, ObjType::List) {
                return Lookup::WrongType;
            }
            match &o.v {
                Value::List(ql) => Lookup::List(ql.len()),
                _ => Lookup::WrongType,
            }
        }
    }
}

/// Looks `key` up as a list with one hash lookup: `Ok(None)` if missing,
/// `Err(())` after replying WRONGTYPE.
fn lookup_list_mut<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
    write: bool,
) -> Result<Option<&'a mut Quicklist>, ()> {
    let dbid = c.db;
    let o = if write {
        lookup_key_write(srv, dbid, key)
    } else {
        lookup_key_read(srv, dbid, key)
    };
    match o {
        None => Ok(None),
        Some(o) => match &mut o.v {
            Value::List(ql) => Ok(Some(ql)),
            _ => {
                c.add_reply_error(shared::err_wrong_type());
                Err(())
            }
        },
    }
}

fn reply_lp_value(c: &mut Client, v: LpValue<'_>) {
    match v {
        LpValue::Str(s) => c.add_reply_bulk(s),
        LpValue::Int(i) => c.add_reply_bulk_long_long(i),
    }
}

/// Replies with the elements `start..=end` (negative from the tail), in
/// reverse when `reverse` (Redis `addListRangeReply`).
fn add_list_range_reply(c: &mut Client, ql: &Quicklist, start: i64, end: i64, reverse: bool) {
    let llen = ql.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        c.add_reply_array_len(0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let mut rangelen = (end - start + 1) as usize;
    c.add_reply_array_len(rangelen);
    let from = if reverse { end } else { start };
    ql.visit_from(from, !reverse, |v| {
        reply_lp_value(c, v);
        rangelen -= 1;
        rangelen > 0
    });
}

/// Housekeeping after popping `count` elements from `key` (Redis
/// `listElementsRemoved`): event, deletion of an empty list, dirty.
/// Returns true if the key was deleted.
fn list_elements_removed(
    srv: &mut Server,
    dbid: usize,
    key: &[u8],
    wh: Where,
    count: usize,
) -> bool {
    let empty = list_mut(srv, dbid, key).is_none_or(|ql| ql.is_empty());
    list_elements_removed_known(srv, dbid, key, wh, count, empty)
}

/// [`list_elements_removed`] when the caller knows whether the list is
/// now empty.
fn list_elements_removed_known(
    srv: &mut Server,
    dbid: usize,
    key: &[u8],
    wh: Where,
    count: usize,
    empty: bool,
) -> bool {
    let event = if wh == Where::Head { "lpop" } else { "rpop" };
    notify_keyspace_event(srv, NOTIFY_LIST, event, key, dbid);
    if empty {
        db_delete(srv, dbid, key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", key, dbid);
    }
    signal_modified_key(srv, dbid, key);
    srv.dirty += count as i64;
    empty
}

/// Pops up to `count` elements from one end of the list at `key` and
/// replies `[key, [elements]]` (Redis `listPopRangeAndReplyWithKey`).
fn list_pop_range_and_reply_with_key(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    wh: Where,
    count: i64,
) {
    let dbid = c.db;
    let Some(ql) = list_mut(srv, dbid, key) else {
        c.add_reply_null_array();
        return;
    };
    let llen = ql.len() as i64;
    let rangelen = count.min(llen);
    c.add_reply_array_len(2);
    c.add_reply_bulk(key);
    pop_range_reply(c, ql, wh, rangelen);
    list_elements_removed(srv, dbid, key, wh, rangelen as usize);
    // LMPOP/BLMPOP propagate as [LR]POP key count.
    c.rewrite_command_vector(vec![
        pop_name(wh),
        Bytes::copy_from_slice(key),
        Bytes::from(rangelen.to_string()),
    ]);
}

/// `left` or `right`: how a served BLMOVE names its ends when propagated.
fn where_name(wh: Where) -> Bytes {
    Bytes::from_static(match wh {
        Where::Head => b"left",
        Where::Tail => b"right",
    })
}

/// `LPOP` or `RPOP`, the deterministic form of the pops from `wh`.
fn pop_name(wh: Where) -> Bytes {
    Bytes::from_static(match wh {
        Where::Head => b"LPOP",
        Where::Tail => b"RPOP",
    })
}

/// Replies with and removes `rangelen` elements from one end.
fn pop_range_reply(c: &mut Client, ql: &mut Quicklist, wh: Where, rangelen: i64) {
    let (start, end, reverse) = match wh {
        Where::Head => (0, rangelen - 1, false),
        Where::Tail => (-rangelen, -1, true),
    };
    add_list_range_reply(c, ql, start, end, reverse);
    ql.del_range(start, rangelen);
}

fn parse_where(c: &mut Client, arg: &[u8]) -> Option<Where> {
    if arg.eq_ignore_ascii_case(b"left") {
        Some(Where::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Some(Where::Tail)
    } else {
        c.add_reply_error(shared::err_syntax());
        None
    }
}

// ---- Push ----

/// LPUSH/RPUSH/LPUSHX/RPUSHX (Redis `pushGenericCommand`); `xx` pushes
/// only onto an existing list. Reply: the new length (0 for X variants on
/// a missing key).
fn push_generic_command(srv: &mut Server, c: &mut Client, wh: Where, xx: bool) {
    let key = c.argv[1].clone();
    let dbid = c.db;
    let len = match lookup_list_mut(srv, c, &key, true) {
        Err(()) => return,
        Ok(Some(ql)) => {
            for arg in &c.argv[2..] {
                ql.push(arg, wh);
            }
            ql.len()
        }
        Ok(None) => {
            if xx {
                c.add_reply_long_long(0);
                return;
            }
            let mut ql = Quicklist::new(
                srv.config.list_max_listpack_size,
                srv.config.list_compress_depth,
            );
            for arg in &c.argv[2..] {
                ql.push(arg, wh);
            }
            let len = ql.len();
            db_add(srv, dbid, &key, Value::List(Box::new(ql)));
            len
        }
    };
    srv.dirty += (c.argv.len() - 2) as i64;
    c.add_reply_long_long(len as i64);
    let event = if wh == Where::Head { "lpush" } else { "rpush" };
    signal_modified_key(srv, dbid, &key);
    notify_keyspace_event(srv, NOTIFY_LIST, event, &key, dbid);
    crate::blocked::signal_key_as_ready(srv, dbid, &key);
}

/// LPUSH key element [element ...] → integer: the list's new length.
pub fn lpush_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Head, false);
}

/// RPUSH key element [element ...] → integer: the list's new length.
pub fn rpush_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Tail, false);
}

/// LPUSHX key element [element ...] → integer: the new length, 0 if the key does not exist.
pub fn lpushx_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Head, true);
}

/// RPUSHX key element [element ...] → integer: the new length, 0 if the key does not exist.
pub fn rpushx_command(srv: &mut Server, c: &mut Client) {
    push_generic_command(srv, c, Where::Tail, true);
}

// ---- Pop ----

/// LPOP/RPOP key [count] (Redis `popGenericCommand`). Without count: a bulk
/// (null if no key); with count: an array (null array if no key, empty
/// array for count 0). Errors: arity for more than one count,
/// `ERR value is out of range, must be positive`.
fn pop_generic_command(srv: &mut Server, c: &mut Client, wh: Where) {
    let hascount = c.argv.len() == 3;
    if c.argv.len() > 3 {
        let name = if wh == Where::Head { "lpop" } else { "rpop" };
        c.add_reply_error(&shared::err_wrong_arity(name));
        return;
    }
    let mut count = 0i64;
    if hascount {
        let arg = c.argv[2].clone();
        let Some(n) = get_positive_long_or_reply(c, &arg, None) else {
            return;
        };
        count = n;
    }
    let key = c.argv[1].clone();
    let dbid = c.db;
    let ql = match lookup_list_mut(srv, c, &key, true) {
        Err(()) => return,
        Ok(None) => {
            if hascount {
                c.add_reply_null_array();
            } else {
                c.add_reply_null();
            }
            return;
        }
        Ok(Some(ql)) => ql,
    };
    if hascount && count == 0 {
        c.add_reply_array_len(0);
        return;
    }
    let removed = if !hascount {
        match ql.pop(wh) {
            Some(v) => c.add_reply_bulk(&v),
            None => c.add_reply_null(),
        }
        1
    } else {
        let rangelen = count.min(ql.len() as i64);
        pop_range_reply(c, ql, wh, rangelen);
        rangelen as usize
    };
    let empty = ql.is_empty();
    list_elements_removed_known(srv, dbid, &key, wh, removed, empty);
}

/// LPOP key [count] → bulk, or array with count.
pub fn lpop_command(srv: &mut Server, c: &mut Client) {
    pop_generic_command(srv, c, Where::Head);
}

/// RPOP key [count] → bulk, or array with count.
pub fn rpop_command(srv: &mut Server, c: &mut Client) {
    pop_generic_command(srv, c, Where::Tail);
}

/// Pops from the first non-empty list among `keys` (Redis
/// `mpopGenericCommand`); replies `[key, [elements]]` or a null array.
fn mpop_generic_command(srv: &mut Server, c: &mut Client, keys: &[Bytes], wh: Where, count: i64) {
    for key in keys {
        match lookup_list(srv, c, key, true) {
            Lookup::WrongType => return,
            Lookup::Missing | Lookup::List(0) => continue,
            Lookup::List(_) => {
                list_pop_range_and_reply_with_key(srv, c, key, wh, count);
                return;
            }
        }
    }
    c.add_reply_null_array();
}

/// Parses LMPOP / BLMPOP: `numkeys key... LEFT|RIGHT [COUNT n]` from
/// `numkeys_idx` (Redis `lmpopGenericCommand`). Errors:
/// `ERR numkeys should be greater than 0`, `ERR syntax error`,
/// `ERR count should be greater than 0`.
fn parse_lmpop(c: &mut Client, numkeys_idx: usize) -> Option<(Vec<Bytes>, Where, i64)> {
    let arg = c.argv[numkeys_idx].clone();
    let numkeys = get_range_long_or_reply(
        c,
        &arg,
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )?;
    let argc = c.argv.len();
    let where_idx = (numkeys as u64).checked_add(numkeys_idx as u64 + 1);
    let where_idx = match where_idx {
        Some(w) if w < argc as u64 => w as usize,
        _ => {
            c.add_reply_error(shared::err_syntax());
            return None;
        }
    };
    let warg = c.argv[where_idx].clone();
    let wh = parse_where(c, &warg)?;
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argc {
        let moreargs = argc - 1 - j;
        if count == -1 && c.argv[j].eq_ignore_ascii_case(b"count") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            count = get_range_long_or_reply(
                c,
                &a,
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            )?;
        } else {
            c.add_reply_error(shared::err_syntax());
            return None;
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = c.argv[numkeys_idx + 1..where_idx].to_vec();
    Some((keys, wh, count))
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] → `[key, [elements]]`
/// from the first non-empty list, or a null array.
pub fn lmpop_command(srv: &mut Server, c: &mut Client) {
    let Some((keys, wh, count)) = parse_lmpop(c, 1) else {
        return;
    };
    mpop_generic_command(srv, c, &keys, wh, count);
}

// ---- Reads ----

/// LLEN key → integer: the length, 0 for a missing key.
pub fn llen_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    match lookup_list(srv, c, &key, false) {
        Lookup::WrongType => {}
        Lookup::Missing => c.add_reply_long_long(0),
        Lookup::List(n) => c.add_reply_long_long(n as i64),
    }
}

/// LINDEX key index → bulk: the element, null if out of range or no key.
pub fn lindex_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let dbid = c.db;
    match lookup_list(srv, c, &key, false) {
        Lookup::WrongType => return,
        Lookup::Missing => {
            c.add_reply_null();
            return;
        }
        Lookup::List(_) => {}
    }
    let arg = c.argv[2].clone();
    let Some(index) = get_long_long_or_reply(c, &arg, None) else {
        return;
    };
    let Some(ql) = list_mut(srv, dbid, &key) else {
        return;
    };
    let mut found = false;
    ql.visit_from(index, true, |v| {
        reply_lp_value(c, v);
        found = true;
        false
    });
    if !found {
        c.add_reply_null();
    }
}

/// LRANGE key start stop → array of the elements in the inclusive range
/// (negative indexes from the tail).
pub fn lrange_command(srv: &mut Server, c: &mut Client) {
    let (a, b) = (c.argv[2].clone(), c.argv[3].clone());
    let Some(start) = get_long_long_or_reply(c, &a, None) else {
        return;
    };
    let Some(end) = get_long_long_or_reply(c, &b, None) else {
        return;
    };
    let key = c.argv[1].clone();
    match lookup_list_mut(srv, c, &key, false) {
        Err(()) => {}
        Ok(None) => c.add_reply_array_len(0),
        Ok(Some(ql)) => add_list_range_reply(c, ql, start, end, false),
    }
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] →
/// integer index of the match (null if none), or with COUNT an array of
/// indexes. Errors: `ERR RANK can't be zero: use 1 to start from the first
/// match, 2 from the second ... or use negative to start from the end of
/// the list`, `ERR COUNT can't be negative`, `ERR MAXLEN can't be
/// negative`, `ERR syntax error`.
pub fn lpos_command(srv: &mut Server, c: &mut Client) {
    let mut rank = 1i64;
    let mut count = -1i64;
    let mut maxlen = 0i64;
    let argc = c.argv.len();
    let mut j = 3;
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = c.argv[j].clone();
        if opt.eq_ignore_ascii_case(b"rank") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            rank = match get_long_long_or_reply(c, &a, None) {
                Some(r) => r,
                None => return,
            };
            if rank == 0 {
                c.add_reply_error(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                );
                return;
            }
        } else if opt.eq_ignore_ascii_case(b"count") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            count = match get_positive_long_or_reply(c, &a, Some("COUNT can't be negative")) {
                Some(n) => n,
                None => return,
            };
        } else if opt.eq_ignore_ascii_case(b"maxlen") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            maxlen = match get_positive_long_or_reply(c, &a, Some("MAXLEN can't be negative")) {
                Some(n) => n,
                None => return,
            };
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        j += 1;
    }
    // A negative rank searches from the tail (i64::MIN stays negative, as in C).
    let mut forward = true;
    if rank < 0 {
        rank = rank.wrapping_neg();
        forward = false;
    }
    let key = c.argv[1].clone();
    let ele = c.argv[2].clone();
    let dbid = c.db;
    match lookup_list(srv, c, &key, false) {
        Lookup::WrongType => return,
        Lookup::Missing => {
            if count != -1 {
                c.add_reply_array_len(0);
            } else {
                c.add_reply_null();
            }
            return;
        }
        Lookup::List(_) => {}
    }
    let Some(ql) = list_mut(srv, dbid, &key) else {
        return;
    };
    let with_count = count != -1;
    let deferred = if with_count {
        Some(c.add_reply_deferred_len())
    } else {
        None
    };
    let llen = ql.len() as i64;
    let (mut index, mut matches, mut matchindex, mut arraylen) = (0i64, 0i64, -1i64, 0usize);
    ql.visit_from(if forward { 0 } else { -1 }, forward, |v| {
        if maxlen != 0 && index >= maxlen {
            return false;
        }
        if v.eq_bytes(&ele) {
            matches += 1;
            matchindex = if forward { index } else { llen - index - 1 };
            if matches >= rank {
                if with_count {
                    arraylen += 1;
                    c.add_reply_long_long(matchindex);
                    if count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count {
                        return false;
                    }
                } else {
                    return false;
                }
            }
        }
        index += 1;
        matchindex = -1;
        true
    });
    match deferred {
        Some(h) => c.set_deferred_array_len(h, arraylen),
        None => {
            if matchindex != -1 {
                c.add_reply_long_long(matchindex);
            } else {
                c.add_reply_null();
            }
        }
    }
}

// ---- Changes in the middle ----

/// LINSERT key BEFORE|AFTER pivot element → integer: the new length, -1
/// if the pivot is not found, 0 if no key. Error: `ERR syntax error`.
pub fn linsert_command(srv: &mut Server, c: &mut Client) {
    let after = if c.argv[2].eq_ignore_ascii_case(b"after") {
        true
    } else if c.argv[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        c.add_reply_error(shared::err_syntax());
        return;
    };
    let key = c.argv[1].clone();
    let dbid = c.db;
    match lookup_list(srv, c, &key, true) {
        Lookup::WrongType => return,
        Lookup::Missing => {
            c.add_reply_long_long(0);
            return;
        }
        Lookup::List(_) => {}
    }
    let Some(ql) = list_mut(srv, dbid, &key) else {
        return;
    };
    if !ql.insert_at_pivot(&c.argv[3], &c.argv[4], after) {
        c.add_reply_long_long(-1);
        return;
    }
    let len = ql.len();
    signal_modified_key(srv, dbid, &key);
    notify_keyspace_event(srv, NOTIFY_LIST, "linsert", &key, dbid);
    srv.dirty += 1;
    c.add_reply_long_long(len as i64);
}

/// LSET key index element → OK. Errors: `ERR no such key`,
/// `ERR index out of range`.
pub fn lset_command(srv: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let dbid = c.db;
    match lookup_list(srv, c, &key, true) {
        Lookup::WrongType => return,
        Lookup::Missing => {
            c.add_reply_error(shared::err_no_such_key());
            return;
        }
        Lookup::List(_) => {}
    }
    let arg = c.argv[2].clone();
    let Some(index) = get_long_long_or_reply(c, &arg, None) else {
        return;
    };
    let Some(ql) = list_mut(srv, dbid, &key) else {
        return;
    };
    if !ql.replace_at_index(index, &c.argv[3]) {
        c.add_reply_error("ERR index out of range");
        return;
    }
    c.add_reply_ok();
    signal_modified_key(srv, dbid, &key);
    notify_keyspace_event(srv, NOTIFY_LIST, "lset", &key, dbid);
    srv.dirty += 1;
}

/// LTRIM key start stop → OK (also for a missing key).
pub fn ltrim_command(srv: &mut Server, c: &mut Client) {
    let (a, b) = (c.argv[2].clone(), c.argv[3].clone());
    let Some(mut start) = get_long_long_or_reply(c, &a, None) else {
        return;
    };
    let Some(mut end) = get_long_long_or_reply(c, &b, None) else {
        return;
    };
    let key = c.argv[1].clone();
    let dbid = c.db;
    let llen = match lookup_list(srv, c, &key, true) {
        Lookup::WrongType => return,
        Lookup::Missing => {
            c.add_reply_ok();
            return;
        }
        Lookup::List(n) => n as i64,
    };
    if start < 0 {
        start = llen.saturating_add(start);
    }
    if end < 0 {
        end = llen.saturating_add(end);
    }
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > end || start >= llen {
        (llen, 0)
    } else {
        if end >= llen {
            end = llen - 1;
        }
        (start, llen - end - 1)
    };
    let mut empty = false;
    if let Some(ql) = list_mut(srv, dbid, &key) {
        ql.del_range(0, ltrim);
        ql.del_range(-rtrim, rtrim);
        empty = ql.is_empty();
    }
    notify_keyspace_event(srv, NOTIFY_LIST, "ltrim", &key, dbid);
    if empty {
        db_delete(srv, dbid, &key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &key, dbid);
    }
    signal_modified_key(srv, dbid, &key);
    srv.dirty += ltrim + rtrim;
    c.add_reply_ok();
}

/// LREM key count element → integer: elements removed. count > 0 removes
/// from the head, < 0 from the tail, 0 all.
pub fn lrem_command(srv: &mut Server, c: &mut Client) {
    let arg = c.argv[2].clone();
    let Some(toremove) = get_long_long_or_reply(c, &arg, None) else {
        return;
    };
    let key = c.argv[1].clone();
    let dbid = c.db;
    match lookup_list(srv, c, &key, true) {
        Lookup::WrongType => return,
        Lookup::Missing => {
            c.add_reply_long_long(0);
            return;
        }
        Lookup::List(_) => {}
    }
    let from_tail = toremove < 0;
    // i64::MIN cannot be negated: as in C, it then never reaches the limit.
    let limit = if toremove == i64::MIN {
        0
    } else {
        toremove.unsigned_abs() as usize
    };
    let Some(ql) = list_mut(srv, dbid, &key) else {
        return;
    };
    let removed = ql.remove_matching(&c.argv[3], limit, from_tail);
    let empty = ql.is_empty();
    srv.dirty += removed as i64;
    if removed > 0 {
        signal_modified_key(srv, dbid, &key);
        notify_keyspace_event(srv, NOTIFY_LIST, "lrem", &key, dbid);
    }
    if empty {
        db_delete(srv, dbid, &key);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &key, dbid);
    }
    c.add_reply_long_long(removed as i64);
}

// ---- Move ----

/// Pushes `value` onto `dstkey` (created if missing), replying with the
/// value (Redis `lmoveHandlePush`).
fn lmove_handle_push(srv: &mut Server, c: &mut Client, dstkey: &[u8], value: &[u8], wh: Where) {
    let dbid = c.db;
    if list_mut(srv, dbid, dstkey).is_none() {
        let v = create_list_value(srv);
        db_add(srv, dbid, dstkey, v);
    }
    signal_modified_key(srv, dbid, dstkey);
    if let Some(ql) = list_mut(srv, dbid, dstkey) {
        ql.push(value, wh);
    }
    let event = if wh == Where::Head { "lpush" } else { "rpush" };
    notify_keyspace_event(srv, NOTIFY_LIST, event, dstkey, dbid);
    crate::blocked::signal_key_as_ready(srv, dbid, dstkey);
    c.add_reply_bulk(value);
}

/// LMOVE / RPOPLPUSH and the served form of BLMOVE / BRPOPLPUSH (Redis
/// `lmoveGenericCommand`): null if the source is missing, else the moved
/// element. WRONGTYPE if either key is not a list.
fn lmove_generic_command(srv: &mut Server, c: &mut Client, wherefrom: Where, whereto: Where) {
    let src = c.argv[1].clone();
    let dst = c.argv[2].clone();
    let dbid = c.db;
    match lookup_list(srv, c, &src, true) {
        Lookup::WrongType => return,
        Lookup::Missing | Lookup::List(0) => {
            c.add_reply_null();
            return;
        }
        Lookup::List(_) => {}
    }
    if let Lookup::WrongType = lookup_list(srv, c, &dst, true) {
        return;
    }
    let Some(value) = list_mut(srv, dbid, &src).and_then(|ql| ql.pop(wherefrom)) else {
        c.add_reply_null();
        return;
    };
    lmove_handle_push(srv, c, &dst, &value, whereto);
    let event = if wherefrom == Where::Head {
        "lpop"
    } else {
        "rpop"
    };
    notify_keyspace_event(srv, NOTIFY_LIST, event, &src, dbid);
    if list_mut(srv, dbid, &src).is_some_and(|ql| ql.is_empty()) {
        db_delete(srv, dbid, &src);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", &src, dbid);
    }
    signal_modified_key(srv, dbid, &src);
    srv.dirty += 1;
    // BLMOVE propagates as LMOVE, BRPOPLPUSH as RPOPLPUSH.
    if c.argv[0].eq_ignore_ascii_case(b"blmove") && c.argv.len() >= 5 {
        // Served after blocking, Redis names the ends itself, in lowercase.
        let ends = if crate::blocked::is_serving_blocked(srv, c) {
            [where_name(wherefrom), where_name(whereto)]
        } else {
            [c.argv[3].clone(), c.argv[4].clone()]
        };
        let [from, to] = ends;
        let v = vec![Bytes::from_static(b"LMOVE"), src, dst, from, to];
        c.rewrite_command_vector(v);
    } else if c.argv[0].eq_ignore_ascii_case(b"brpoplpush") {
        c.rewrite_command_vector(vec![Bytes::from_static(b"RPOPLPUSH"), src, dst]);
    }
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT → bulk: the moved
/// element, null if the source is empty. Error: `ERR syntax error`.
pub fn lmove_command(srv: &mut Server, c: &mut Client) {
    let (a, b) = (c.argv[3].clone(), c.argv[4].clone());
    let Some(from) = parse_where(c, &a) else {
        return;
    };
    let Some(to) = parse_where(c, &b) else {
        return;
    };
    lmove_generic_command(srv, c, from, to);
}

/// RPOPLPUSH source destination → bulk: the moved element, or null.
pub fn rpoplpush_command(srv: &mut Server, c: &mut Client) {
    lmove_generic_command(srv, c, Where::Tail, Where::Head);
}

// ---- Blocking ----

/// BLPOP/BRPOP/BLMPOP (Redis `blockingPopGenericCommand`): serves from
/// the first non-empty key, else blocks (or answers a null array when the
/// client may not block). `count` is None for BLPOP/BRPOP (reply `[key,
/// element]`), Some for BLMPOP (reply `[key, [elements]]`).
fn blocking_pop_generic_command(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    wh: Where,
    timeout_idx: usize,
    count: Option<i64>,
) {
    let targ = c.argv[timeout_idx].clone();
    let Some(timeout) = get_timeout_or_reply(srv, c, &targ) else {
        return;
    };
    let dbid = c.db;
    for key in keys {
        match lookup_list(srv, c, key, true) {
            Lookup::WrongType => return,
            Lookup::Missing | Lookup::List(0) => continue,
            Lookup::List(_) => {}
        }
        if let Some(count) = count {
            list_pop_range_and_reply_with_key(srv, c, key, wh, count);
            return;
        }
        let Some(value) = list_mut(srv, dbid, key).and_then(|ql| ql.pop(wh)) else {
            continue;
        };
        c.add_reply_array_len(2);
        c.add_reply_bulk(key);
        c.add_reply_bulk(&value);
        list_elements_removed(srv, dbid, key, wh, 1);
        // BLPOP/BRPOP propagate as LPOP/RPOP key.
        c.rewrite_command_vector(vec![pop_name(wh), key.clone()]);
        return;
    }
    if !client_may_block(c) {
        c.add_reply_null_array();
        return;
    }
    block_for_keys(srv, c, BlockType::List, keys, timeout);
}

/// BLPOP key [key ...] timeout → `[key, element]` from the first non-empty
/// list; blocks otherwise; null array on timeout. Timeout errors:
/// `ERR timeout is not a float or out of range`, `ERR timeout is negative`.
pub fn blpop_command(srv: &mut Server, c: &mut Client) {
    let keys = c.argv[1..c.argv.len() - 1].to_vec();
    let t = c.argv.len() - 1;
    blocking_pop_generic_command(srv, c, &keys, Where::Head, t, None);
}

/// BRPOP key [key ...] timeout → `[key, element]`, as BLPOP from the tail.
pub fn brpop_command(srv: &mut Server, c: &mut Client) {
    let keys = c.argv[1..c.argv.len() - 1].to_vec();
    let t = c.argv.len() - 1;
    blocking_pop_generic_command(srv, c, &keys, Where::Tail, t, None);
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] →
/// `[key, [elements]]`; blocks when every list is empty; null array on
/// timeout. Errors as LMPOP, then the timeout errors.
pub fn blmpop_command(srv: &mut Server, c: &mut Client) {
    let Some((keys, wh, count)) = parse_lmpop(c, 2) else {
        return;
    };
    blocking_pop_generic_command(srv, c, &keys, wh, 1, Some(count));
}

/// BLMOVE/BRPOPLPUSH once parsed (Redis `blmoveGenericCommand`).
fn blmove_generic_command(
    srv: &mut Server,
    c: &mut Client,
    wherefrom: Where,
    whereto: Where,
    timeout: i64,
) {
    let src = c.argv[1].clone();
    match lookup_list(srv, c, &src, true) {
        Lookup::WrongType => {}
        Lookup::Missing | Lookup::List(0) => {
            if !client_may_block(c) {
                c.add_reply_null();
            } else {
                block_for_keys(srv, c, BlockType::List, &[src], timeout);
            }
        }
        Lookup::List(_) => lmove_generic_command(srv, c, wherefrom, whereto),
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout → bulk: the
/// moved element; blocks while the source is empty; null array on timeout.
pub fn blmove_command(srv: &mut Server, c: &mut Client) {
    let (a, b) = (c.argv[3].clone(), c.argv[4].clone());
    let Some(from) = parse_where(c, &a) else {
        return;
    };
    let Some(to) = parse_where(c, &b) else {
        return;
    };
    let targ = c.argv[5].clone();
    let Some(timeout) = get_timeout_or_reply(srv, c, &targ) else {
        return;
    };
    blmove_generic_command(srv, c, from, to, timeout);
}

/// BRPOPLPUSH source destination timeout → bulk, as BLMOVE RIGHT LEFT.
pub fn brpoplpush_command(srv: &mut Server, c: &mut Client) {
    let targ = c.argv[3].clone();
    let Some(timeout) = get_timeout_or_reply(srv, c, &targ) else {
        return;
    };
    blmove_generic_command(srv, c, Where::Tail, Where::Head, timeout);
}
