//! SORT and SORT_RO (Redis `sort.c`).
//!
//! # How SORT works
//! 1. The options are parsed left to right: ASC, DESC, ALPHA, LIMIT offset
//!    count, BY pattern, GET pattern (repeatable) and, for SORT only,
//!    STORE destination (the last one wins). A BY pattern without `*` (for
//!    example `nosort`) means "don't sort": the elements come out in the
//!    value's own order.
//! 2. The key must hold a list, a set or a sorted set (a missing key is an
//!    empty list). A sorted set is converted to the `skiplist` encoding
//!    first, as Redis does (SORT_RO too: OBJECT ENCODING shows it).
//! 3. The elements are loaded into a vector. When nothing is sorted, lists
//!    and sorted sets load only the LIMIT window, walking from the tail when
//!    DESC is given; a set is forced into an ALPHA sort when its result is
//!    stored, so that the stored list does not depend on hash order.
//! 4. Each element gets its weight: the element itself, or the value found
//!    through the BY pattern ([`lookup_key_by_pattern`]). Numeric weights are
//!    parsed like C's `strtod` on the whole string (an empty string is 0;
//!    trailing garbage, NaN or an out-of-range value makes the command fail
//!    with "ERR One or more scores can't be converted into double"). A
//!    missing BY key weighs 0 (numeric) or sorts first (ALPHA).
//! 5. The vector is sorted with a stable sort: numerically (equal weights
//!    are ordered by the elements' bytes) or, with ALPHA, by the weights'
//!    bytes in C-locale `strcoll` order (which stops at a NUL byte) — or
//!    plain byte order when storing. DESC reverses the comparison.
//! 6. The LIMIT window is replied, each element replaced by its GET
//!    lookups when GET is given (null for a missing one), or stored as a
//!    list (missing GET values become empty strings). STORE replies the
//!    number of elements stored; an empty result deletes the destination.
//!
//! # Patterns
//! `#` stands for the element itself. Otherwise the first `*` is replaced by
//! the element to form a key name, which must hold a string; with `->field`
//! after the `*` (and a non-empty field), the key must hold a hash and the
//! field's value is used. A pattern without `*` finds nothing.
//!
//! # Latency
//! O(N + N log N) for N elements, plus one key lookup per element and
//! pattern.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::commands::Handler;
use crate::db::lookup_key_read;
use crate::networking::Client;
use crate::object::{ObjType, Value};
use crate::server::Server;
use crate::shared;

/// SORT handlers, by name.
pub static HANDLERS: &[(&str, Handler)] = &[("sort", sort_command), ("sort_ro", sort_ro_command)];

/// One element of the vector to sort (Redis `redisSortObject`).
struct SortItem {
    /// The element itself.
    obj: Vec<u8>,
    /// Numeric weight (non-ALPHA sorts).
    score: f64,
    /// ALPHA weight through a BY pattern; None when the BY key is missing.
    cmp: Option<Vec<u8>>,
}

/// Parses a numeric weight as SORT does: C `strtod` over the whole value,
/// leading whitespace allowed, an empty value is 0, and the string ends at
/// its first NUL byte. None for trailing garbage, NaN or a range error
/// (overflow or underflow).
pub fn sort_strtod(s: &[u8]) -> Option<f64> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(n) => &s[..n],
        None => s,
    };
    if s.is_empty() {
        return Some(0.0);
    }
    let start = s
        .iter()
        .position(|&b| !(b == b' ' || (b'\t'..=b'\r').contains(&b)))?;
    let v = crate::util::string2d(&s[start..])?;
    // strtod reports ERANGE for results that underflow into subnormals.
    if v != 0.0 && v.abs() < f64::MIN_POSITIVE {
        return None;
    }
    Some(v)
}

/// C-locale `strcoll`: byte order of the strings up to their first NUL.
fn strcoll_c(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| -> usize { s.iter().position(|&x| x == 0).unwrap_or(s.len()) };
    a[..cut(a)].cmp(&b[..cut(b)])
}

/// The value a SORT pattern names for `subst` (Redis `lookupKeyByPattern`);
/// see the module docs. The lookups count as keyspace reads (hits, misses,
/// lazy expiry).
pub fn lookup_key_by_pattern(
    srv: &mut Server,
    dbid: usize,
    pattern: &[u8],
    subst: &[u8],
) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(subst.to_vec());
    }
    // C string functions: the pattern ends at its first NUL for the searches.
    let cstr_len = pattern
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(pattern.len());
    let star = pattern[..cstr_len].iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..cstr_len];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len());
    let (postfix, field) = match arrow {
        Some(i) => (
            &pattern[star + 1..star + 1 + i],
            Some(&pattern[star + 3 + i..]),
        ),
        None => (&pattern[star + 1..], None),
    };
    let mut key = Vec::with_capacity(star + subst.len() + postfix.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(postfix);
    let o = lookup_key_read(srv, dbid, &key)?;
    match field {
        Some(f) => {
            if o.v.obj_type() != ObjType::Hash {
                return None;
            }
            hash_get(&o.v, f)
        }
        None => {
            if !o.v.is_string() {
                return None;
            }
            Some(o.v.to_vec())
        }
    }
}

/// The key positions of a SORT command line (Redis `sortGetKeys`): the
/// sorted key, and the destination of the last STORE if any. Options with
/// arguments (LIMIT 2, GET 1, BY 1) are skipped over.
pub fn sort_get_keys(argv: &[Bytes]) -> Vec<(usize, &'static [&'static str])> {
    let mut keys: Vec<(usize, &'static [&'static str])> = vec![(1, &["RO", "access"])];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if let Some(p) = store {
        keys.push((p, &["OW", "update"]));
    }
    keys
}

/// The key positions of a SORT_RO command line: the sorted key only.
pub fn sort_ro_get_keys(_argv: &[Bytes]) -> Vec<(usize, &'static [&'static str])> {
    vec![(1, &["RO", "access"])]
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
/// [ALPHA] [STORE destination] → array of elements (or of GET values), or
/// with STORE an integer: the length of the stored list. Errors: "ERR syntax
/// error", "ERR value is not an integer or out of range" (LIMIT), WRONGTYPE,
/// "ERR One or more scores can't be converted into double".
pub fn sort_command(srv: &mut Server, c: &mut Client) {
    sort_generic_command(srv, c, false);
}

/// SORT_RO: SORT without STORE (STORE is a syntax error).
pub fn sort_ro_command(srv: &mut Server, c: &mut Client) {
    sort_generic_command(srv, c, true);
}

/// May the client's user read every key with this command (Redis
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess` with `CMD_KEY_ACCESS`)? SORT's
/// BY (with a `*` pattern) and GET options read keys named by the data, which
/// no key pattern short of `~*`/`%R~*`/allkeys can vouch for, so they need it.
fn user_has_full_key_access(srv: &Server, c: &Client) -> bool {
    let Some(user) = &c.user else {
        return true;
    };
    let Some(id) = c
        .cmd
        .and_then(|i| srv.commands.cmds.get(i))
        .and_then(|cmd| crate::acl::command_id(cmd.meta))
    else {
        return false;
    };
    user.borrow()
        .check_cmd_with_unrestricted_key_access(id, &c.argv, true, false)
}

fn sort_generic_command(srv: &mut Server, c: &mut Client, readonly: bool) {
    let argv = c.argv.clone();
    let dbid = c.db;
    let (mut desc, mut alpha) = (false, false);
    let (mut limit_start, mut limit_count) = (0i64, -1i64);
    let mut dontsort = false;
    let mut sortby: Option<Bytes> = None;
    let mut storekey: Option<Bytes> = None;
    let mut gets: Vec<Bytes> = Vec::new();
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if a.eq_ignore_ascii_case(b"asc") {
            desc = false;
        } else if a.eq_ignore_ascii_case(b"desc") {
            desc = true;
        } else if a.eq_ignore_ascii_case(b"alpha") {
            alpha = true;
        } else if a.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let Some(s) = crate::db::get_long_long_or_reply(c, &argv[j + 1], None) else {
                return;
            };
            let Some(n) = crate::db::get_long_long_or_reply(c, &argv[j + 2], None) else {
                return;
            };
            limit_start = s;
            limit_count = n;
            j += 2;
        } else if !readonly && a.eq_ignore_ascii_case(b"store") && left >= 1 {
            storekey = Some(argv[j + 1].clone());
            j += 1;
        } else if a.eq_ignore_ascii_case(b"by") && left >= 1 {
            let p = argv[j + 1].clone();
            // strchr: the search stops at a NUL byte. As in Redis, a later
            // BY with a `*` does not undo an earlier constant one.
            let cstr = p.split(|&b| b == 0).next().unwrap_or(&[]);
            if !cstr.contains(&b'*') {
                dontsort = true;
            } else if !user_has_full_key_access(srv, c) {
                c.add_reply_error(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.",
                );
                return;
            }
            sortby = Some(p);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"get") && left >= 1 {
            if !user_has_full_key_access(srv, c) {
                c.add_reply_error(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.",
                );
                return;
            }
            gets.push(argv[j + 1].clone());
            j += 1;
        } else {
            c.add_reply_error(shared::err_syntax());
            return;
        }
        j += 1;
    }

    // The key to sort: a list, set or sorted set; missing is an empty list.
    let mut vectorlen: i64 = match lookup_key_read(srv, dbid, &argv[1]) {
        None => 0,
        Some(o) => {
            if !matches!(o.v.obj_type(), ObjType::List | ObjType::Set | ObjType::ZSet) {
                c.add_reply_error(shared::err_wrong_type());
                return;
            }
            if let Value::ZSet(z) = &mut o.v {
                zset_convert_to_skiplist(z);
            }
            value_len(&o.v) as i64
        }
    };
    let sort_type = srv.dbs[dbid]
        .dict
        .get(&argv[1])
        .map(|o| o.v.obj_type())
        .unwrap_or(ObjType::List);

    // A set's own order is its hash order: force a stable ALPHA order when
    // the result is stored or goes to a script.
    if dontsort
        && sort_type == ObjType::Set
        && (storekey.is_some() || c.flags & crate::networking::CLIENT_SCRIPT != 0)
    {
        dontsort = false;
        alpha = true;
        sortby = None;
    }

    // LIMIT, clamped to the value's size (Redis's exact arithmetic).
    let mut start = limit_start.max(0).min(vectorlen);
    let limit_count = limit_count.max(-1).min(vectorlen);
    let mut end = if limit_count < 0 {
        vectorlen - 1
    } else {
        start + limit_count - 1
    };
    if start >= vectorlen {
        start = vectorlen - 1;
        end = vectorlen - 2;
    }
    if end >= vectorlen {
        end = vectorlen - 1;
    }

    // Load the elements.
    let ordered = matches!(sort_type, ObjType::List | ObjType::ZSet);
    let elements: Vec<Vec<u8>> = if ordered && dontsort {
        if start != 0 || end != vectorlen - 1 {
            vectorlen = end - start + 1;
        }
        let els = if end >= start {
            match srv.dbs[dbid].dict.get(&argv[1]) {
                Some(o) => load_range(&o.v, start as usize, vectorlen as usize, desc),
                None => Vec::new(),
            }
        } else {
            Vec::new()
        };
        end -= start;
        start = 0;
        els
    } else {
        match srv.dbs[dbid].dict.get(&argv[1]) {
            Some(o) => load_all(&o.v),
            None => Vec::new(),
        }
    };
    let mut vector: Vec<SortItem> = elements
        .into_iter()
        .map(|obj| SortItem {
            obj,
            score: 0.0,
            cmp: None,
        })
        .collect();

    // Weights, then the sort.
    let mut int_conversion_error = false;
    if !dontsort {
        for item in vector.iter_mut() {
            let byval = match &sortby {
                Some(p) => match lookup_key_by_pattern(srv, dbid, p, &item.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => {
                    if !alpha {
                        match sort_strtod(&item.obj) {
                            Some(s) => item.score = s,
                            None => int_conversion_error = true,
                        }
                    }
                    continue;
                }
            };
            if alpha {
                item.cmp = Some(byval);
            } else {
                match sort_strtod(&byval) {
                    Some(s) => item.score = s,
                    None => int_conversion_error = true,
                }
            }
        }
        if !int_conversion_error {
            let bypattern = sortby.is_some();
            let store = storekey.is_some();
            vector.sort_by(|a, b| {
                let cmp = if !alpha {
                    a.score
                        .partial_cmp(&b.score)
                        .unwrap_or(Ordering::Equal)
                        .then_with(|| a.obj.cmp(&b.obj))
                } else if bypattern {
                    match (&a.cmp, &b.cmp) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => Ordering::Less,
                        (Some(_), None) => Ordering::Greater,
                        (Some(x), Some(y)) => {
                            if store {
                                x.cmp(y)
                            } else {
                                strcoll_c(x, y)
                            }
                        }
                    }
                } else if store {
                    a.obj.cmp(&b.obj)
                } else {
                    strcoll_c(&a.obj, &b.obj)
                };
                if desc { cmp.reverse() } else { cmp }
            });
        }
    }

    // Output.
    let window = (end - start + 1).max(0) as usize;
    let outputlen = if gets.is_empty() {
        window
    } else {
        gets.len() * window
    };
    if int_conversion_error {
        c.add_reply_error("ERR One or more scores can't be converted into double");
        return;
    }
    let range: &[SortItem] = if window == 0 {
        &[]
    } else {
        vector.get(start as usize..=end as usize).unwrap_or(&[])
    };
    match storekey {
        None => {
            c.add_reply_array_len(outputlen);
            for item in range {
                if gets.is_empty() {
                    c.add_reply_bulk(&item.obj);
                }
                for g in &gets {
                    match lookup_key_by_pattern(srv, dbid, g, &item.obj) {
                        Some(v) => c.add_reply_bulk(&v),
                        None => c.add_reply_null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut out: Vec<Vec<u8>> = Vec::with_capacity(outputlen);
            for item in range {
                if gets.is_empty() {
                    out.push(item.obj.clone());
                }
                for g in &gets {
                    out.push(lookup_key_by_pattern(srv, dbid, g, &item.obj).unwrap_or_default());
                }
            }
            if outputlen > 0 {
                let list = new_list_from(out);
                crate::db::set_key(srv, dbid, &dst, list, false);
                crate::notify::notify_keyspace_event(
                    srv,
                    crate::notify::NOTIFY_LIST,
                    "sortstore",
                    &dst,
                    dbid,
                );
                srv.dirty += outputlen as i64;
            } else if crate::db::db_delete(srv, dbid, &dst) {
                crate::db::signal_modified_key(srv, dbid, &dst);
                crate::notify::notify_keyspace_event(
                    srv,
                    crate::notify::NOTIFY_GENERIC,
                    "del",
                    &dst,
                    dbid,
                );
                srv.dirty += 1;
            }
            c.add_reply_long_long(outputlen as i64);
        }
    }
}

// ---- Type glue ----

/// Number of elements of a list, set or sorted set.
fn value_len(v: &Value) -> usize {
    match v {
        Value::List(ql) => ql.len(),
        Value::Set(s) => s.len(),
        Value::ZSet(z) => z.len(),
        _ => 0,
    }
}

/// Every element of a list (head to tail), set (its iteration order) or
/// sorted set (rank order).
fn load_all(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::List(ql) => ql.iter().collect(),
        Value::Set(s) => s.iter().map(|e| e.to_vec()).collect(),
        Value::ZSet(z) => {
            let mut out = Vec::with_capacity(z.len());
            z.for_each(|m, _| out.push(m.to_vec()));
            out
        }
        _ => Vec::new(),
    }
}

/// `n` elements of a list or sorted set in its own order from position
/// `start`, counted from the tail and walking towards the head when `desc`.
fn load_range(v: &Value, start: usize, n: usize, desc: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(n);
    match v {
        Value::List(ql) => {
            let from = if desc {
                -(start as i64) - 1
            } else {
                start as i64
            };
            ql.visit_from(from, !desc, |e| {
                out.push(e.to_vec());
                out.len() < n
            });
        }
        Value::ZSet(z) => match z {
            crate::t_zset::ZSetObj::Skiplist(zs) => {
                // 1-based ranks, as Redis's zslGetElementByRank.
                let rank = if desc { zs.len() - start } else { start + 1 };
                let mut x = zs.by_rank(rank);
                while let Some(node) = x {
                    if out.len() >= n {
                        break;
                    }
                    out.push(zs.ele(node).to_vec());
                    x = if desc { zs.prev(node) } else { zs.next(node) };
                }
            }
            other => {
                let mut all = Vec::with_capacity(other.len());
                other.for_each(|m, _| all.push(m.to_vec()));
                if desc {
                    all.reverse();
                }
                out.extend(all.into_iter().skip(start).take(n));
            }
        },
        _ => {}
    }
    out
}

/// The value of `field` in a hash.
fn hash_get(v: &Value, field: &[u8]) -> Option<Vec<u8>> {
    match v {
        Value::Hash(h) => h.hash_type_get(field).map(|e| e.to_vec()),
        _ => None,
    }
}

/// Converts a sorted set to the `skiplist` encoding (Redis `zsetConvert`).
fn zset_convert_to_skiplist(z: &mut crate::t_zset::ZSetObj) {
    z.convert_to_skiplist();
}

/// A new list value holding `elements`. Redis builds SORT's result with
/// `createQuicklistObject` alone, so it keeps the quicklist defaults (fill
/// -2, no compression) whatever `list-max-listpack-size` says; DEBUG OBJECT
/// shows `ql_listpack_max:-2`.
fn new_list_from(elements: Vec<Vec<u8>>) -> Value {
    let mut ql = crate::quicklist::Quicklist::new(-2, 0);
    for e in &elements {
        ql.push_tail(e);
    }
    Value::List(Box::new(ql))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_rules() {
        assert_eq!(sort_strtod(b""), Some(0.0));
        assert_eq!(sort_strtod(b" 1.5"), Some(1.5));
        assert_eq!(sort_strtod(b"1\0abc"), Some(1.0));
        assert_eq!(sort_strtod(b"\0abc"), Some(0.0));
        assert_eq!(sort_strtod(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(sort_strtod(b"1x"), None);
        assert_eq!(sort_strtod(b"nan"), None);
        assert_eq!(sort_strtod(b"1e400"), None);
        assert_eq!(sort_strtod(b"1e-320"), None);
        assert_eq!(sort_strtod(b" "), None);
    }

    #[test]
    fn get_keys() {
        let v = |s: &str| -> Vec<Bytes> {
            s.split(' ')
                .map(|x| Bytes::copy_from_slice(x.as_bytes()))
                .collect()
        };
        let pos = |k: Vec<(usize, &[&str])>| k.iter().map(|x| x.0).collect::<Vec<_>>();
        assert_eq!(pos(sort_get_keys(&v("sort abc store def"))), vec![1, 3]);
        assert_eq!(
            pos(sort_get_keys(&v(
                "sort abc store invalid store stillbad store def"
            ))),
            vec![1, 7]
        );
        assert_eq!(pos(sort_get_keys(&v("sort abc get store"))), vec![1]);
        assert_eq!(
            pos(sort_get_keys(&v("sort abc limit store x store"))),
            vec![1]
        );
    }
}
