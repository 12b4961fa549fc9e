//! DUMP / RESTORE interoperability with Debian's redis-server 7.0.15: the
//! payloads one server makes restore in the other with the same TYPE,
//! OBJECT ENCODING, contents and TTL, for every type and encoding (big
//! values, compressed and plain list nodes, integer widths, hashtables);
//! redis-server checks ours with `sanitize-dump-payload yes`. Payloads are
//! byte-identical wherever no LZF is involved and the encoding has a fixed
//! order. Mutated payloads made by redis-server never bring the server down.
//!
//! Every test is skipped when the oracle is not installed (and fails under
//! `CI=true`), like the other differential tests.

mod common;

use common::{Conn, Resp, ServerProc, call};

// ---- Replies: `common::Resp` ----

fn ok(c: &mut Conn, args: &[&[u8]]) {
    let r = call(c, args);
    assert!(
        !matches!(r, Resp::Error(_)),
        "{:?} -> {r:?}",
        args.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect::<Vec<_>>()
    );
}

fn config_set(c: &mut Conn, name: &str, value: &str) {
    ok(c, &[b"CONFIG", b"SET", name.as_bytes(), value.as_bytes()]);
}

fn bulks(r: Resp) -> Vec<Vec<u8>> {
    match r {
        Resp::Array(Some(v)) => v
            .into_iter()
            .map(|e| match e {
                Resp::Bulk(Some(b)) => b,
                other => panic!("bulk expected, got {other:?}"),
            })
            .collect(),
        other => panic!("array expected, got {other:?}"),
    }
}

fn text(r: Resp) -> String {
    match r {
        Resp::Simple(s) => s,
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("string expected, got {other:?}"),
    }
}

fn int(r: Resp) -> i64 {
    match r {
        Resp::Int(i) => i,
        other => panic!("integer expected, got {other:?}"),
    }
}

fn dump(c: &mut Conn, key: &[u8]) -> Vec<u8> {
    match call(c, &[b"DUMP", key]) {
        Resp::Bulk(Some(p)) => p,
        other => panic!("DUMP {}: {other:?}", String::from_utf8_lossy(key)),
    }
}

// ---- The dataset ----

/// A value of `n` bytes that LZF compresses well.
fn compressible(tag: &str, n: usize) -> Vec<u8> {
    tag.as_bytes().iter().cycle().take(n).copied().collect()
}

/// Sends one command built from owned arguments.
fn ok_owned(c: &mut Conn, args: &[Vec<u8>]) {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    ok(c, &refs);
}

/// Every type in each of its encodings. `plain` adds a list with plain
/// nodes (needs DEBUG QUICKLIST-PACKED-THRESHOLD, which only the oracle
/// has here).
fn fill(c: &mut Conn, plain: bool) {
    let big = compressible("big-value-", 20_000);
    let long = compressible("x", 100);
    ok(c, &[b"SET", b"str:int", b"-12345"]);
    ok(c, &[b"SET", b"str:int64", b"9223372036854775807"]);
    ok(c, &[b"SET", b"str:embstr", b"hello world"]);
    ok(c, &[b"SET", b"str:raw", &long]);
    ok(c, &[b"SET", b"str:big", &big]);
    ok(c, &[b"SET", b"str:bin", b"\x00\x01\xff\r\n"]);
    ok(c, &[b"SET", b"str:ttl", b"v", b"PX", b"500000000"]);
    ok(
        c,
        &[
            b"RPUSH",
            b"list:small",
            b"a",
            b"0",
            b"12",
            b"-100",
            b"70000",
            b"-8388609",
            b"3000000000",
            b"",
            &long,
        ],
    );
    let mut args = vec![b"RPUSH".to_vec(), b"list:nodes".to_vec()];
    args.extend((0..3000).map(|i| format!("element-{i}").into_bytes()));
    ok_owned(c, &args);
    config_set(c, "list-compress-depth", "1");
    let mut args = vec![b"RPUSH".to_vec(), b"list:compressed".to_vec()];
    args.extend((0..2000).map(|i| format!("compress-me-{}", i % 10).into_bytes()));
    ok_owned(c, &args);
    config_set(c, "list-compress-depth", "0");
    ok(c, &[b"RPUSH", b"list:big", &big, b"small", &big]);
    if plain {
        ok(c, &[b"DEBUG", b"QUICKLIST-PACKED-THRESHOLD", b"1000"]);
        ok(c, &[b"RPUSH", b"list:plain", b"a", &big, b"b", &long, &big]);
        ok(c, &[b"DEBUG", b"QUICKLIST-PACKED-THRESHOLD", b"0"]);
    }
    ok(
        c,
        &[
            b"HSET", b"hash:lp", b"f1", b"v1", b"n", b"12", b"neg", b"-99", b"", b"empty",
        ],
    );
    let mut args = vec![b"HSET".to_vec(), b"hash:many".to_vec()];
    for i in 0..1000 {
        args.push(format!("field:{i}").into_bytes());
        args.push(format!("{}", i * 7).into_bytes());
    }
    ok_owned(c, &args);
    ok(c, &[b"HSET", b"hash:bigval", b"a", b"1", b"big", &big]);
    ok(c, &[b"EXPIRE", b"hash:bigval", b"900000"]);
    ok(c, &[b"SADD", b"set:int16", b"1", b"-2", b"300"]);
    ok(c, &[b"SADD", b"set:int32", b"1", b"-2", b"40000"]);
    ok(c, &[b"SADD", b"set:int64", b"1", b"-5000000000"]);
    ok(c, &[b"SADD", b"set:str", b"apple", b"banana", b"1"]);
    let mut args = vec![b"SADD".to_vec(), b"set:many".to_vec()];
    args.extend((0..1000).map(|i| format!("{i}").into_bytes()));
    ok_owned(c, &args);
    ok(
        c,
        &[
            b"ZADD", b"zset:lp", b"1", b"a", b"2.5", b"b", b"-inf", b"c", b"1e300", b"d", b"0",
            b"e",
        ],
    );
    let mut args = vec![b"ZADD".to_vec(), b"zset:many".to_vec()];
    for i in 0..500 {
        args.push(format!("{}", (i * 37) % 101).into_bytes());
        args.push(format!("member:{i}").into_bytes());
    }
    ok_owned(c, &args);
    ok(c, &[b"ZADD", b"zset:long", b"1", b"a", b"2", &long]);
    ok(c, &[b"PEXPIREAT", b"zset:long", b"4102444800000"]);
}

/// TYPE, OBJECT ENCODING and the contents in a canonical order.
fn snapshot(c: &mut Conn, key: &[u8]) -> (String, String, Vec<Vec<u8>>) {
    let t = text(call(c, &[b"TYPE", key]));
    let enc = text(call(c, &[b"OBJECT", b"ENCODING", key]));
    let mut items = match t.as_str() {
        "string" => match call(c, &[b"GET", key]) {
            Resp::Bulk(Some(v)) => vec![v],
            other => panic!("{other:?}"),
        },
        "list" => bulks(call(c, &[b"LRANGE", key, b"0", b"-1"])),
        "hash" => {
            let flat = bulks(call(c, &[b"HGETALL", key]));
            let mut pairs: Vec<Vec<u8>> = flat
                .chunks(2)
                .map(|p| [p[0].as_slice(), b"=", p[1].as_slice()].concat())
                .collect();
            pairs.sort();
            pairs
        }
        "set" => {
            let mut m = bulks(call(c, &[b"SMEMBERS", key]));
            m.sort();
            m
        }
        "zset" => bulks(call(c, &[b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])),
        other => panic!("type {other}"),
    };
    if t == "list" {
        // Also the other direction, through every node.
        let n = int(call(c, &[b"LLEN", key]));
        let last = call(c, &[b"LINDEX", key, b"-1"]);
        assert_eq!(items.len() as i64, n);
        assert_eq!(Some(Resp::Bulk(items.last().cloned())), Some(last));
    }
    items.shrink_to_fit();
    (t, enc, items)
}

fn keys(c: &mut Conn) -> Vec<Vec<u8>> {
    let mut k = bulks(call(c, &[b"KEYS", b"*"]));
    k.sort();
    k
}

/// Copies every key of `from` into `to` with DUMP / RESTORE (TTLs as
/// absolute times) and checks that both hold the same thing.
fn copy_all_and_compare(from: &mut Conn, to: &mut Conn) {
    let ks = keys(from);
    assert!(ks.len() > 15, "{}", ks.len());
    for k in &ks {
        let p = dump(from, k);
        let at = int(call(from, &[b"PEXPIRETIME", k]));
        let ttl = at.max(0).to_string();
        let mut args: Vec<&[u8]> = vec![b"RESTORE", k, ttl.as_bytes(), &p, b"REPLACE"];
        if at > 0 {
            args.push(b"ABSTTL");
        }
        assert_eq!(
            call(to, &args),
            Resp::Simple("OK".into()),
            "{}",
            String::from_utf8_lossy(k)
        );
        assert_eq!(
            snapshot(from, k),
            snapshot(to, k),
            "{}",
            String::from_utf8_lossy(k)
        );
        assert_eq!(int(call(to, &[b"PEXPIRETIME", k])), at);
    }
    assert_eq!(keys(to), ks);
}

#[test]
fn redis_payloads_restore_here() {
    let Some(oracle) = ServerProc::start_oracle(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let ours = ServerProc::start(&["--enable-debug-command", "yes"]);
    let (mut o, mut r) = (oracle.conn(), ours.conn());
    fill(&mut o, true);
    for sanitize in ["no", "yes"] {
        config_set(&mut r, "sanitize-dump-payload", sanitize);
        ok(&mut r, &[b"FLUSHALL"]);
        copy_all_and_compare(&mut o, &mut r);
    }
    // Without LZF as well.
    config_set(&mut o, "rdbcompression", "no");
    ok(&mut r, &[b"FLUSHALL"]);
    copy_all_and_compare(&mut o, &mut r);
}

#[test]
fn our_payloads_restore_in_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[
        "--enable-debug-command",
        "yes",
        "--sanitize-dump-payload",
        "yes",
    ]) else {
        return;
    };
    let ours = ServerProc::start(&["--enable-debug-command", "yes"]);
    let (mut o, mut r) = (oracle.conn(), ours.conn());
    fill(&mut r, false);
    copy_all_and_compare(&mut r, &mut o);
    config_set(&mut r, "rdbcompression", "no");
    ok(&mut o, &[b"FLUSHALL"]);
    copy_all_and_compare(&mut r, &mut o);
    // Redis deep-checked every listpack and intset of ours.
    let info = text(call(&mut o, &[b"INFO", b"stats"]));
    let n = common::info_field(&info, "dump_payload_sanitizations").expect("field");
    assert!(n.parse::<u64>().unwrap_or(0) > 10, "{n}");
}

#[test]
fn payloads_are_byte_identical_without_lzf() {
    let Some(oracle) = ServerProc::start_oracle(&["--rdbcompression", "no"]) else {
        return;
    };
    let ours = ServerProc::start(&["--rdbcompression", "no"]);
    let (mut o, mut r) = (oracle.conn(), ours.conn());
    fill(&mut o, false);
    fill(&mut r, false);
    let ks = keys(&mut o);
    assert_eq!(keys(&mut r), ks);
    let mut compared = 0;
    for k in &ks {
        let enc = text(call(&mut o, &[b"OBJECT", b"ENCODING", k]));
        // Hashtables dump in hash order (each server's own seed); inner
        // nodes of list:compressed are LZF blobs whatever rdbcompression says.
        if enc == "hashtable" || k.as_slice() == b"list:compressed" {
            continue;
        }
        assert_eq!(
            dump(&mut o, k),
            dump(&mut r, k),
            "{}",
            String::from_utf8_lossy(k)
        );
        compared += 1;
    }
    assert!(compared >= 15, "{compared}");
}

/// xorshift64*, for reproducible mutations.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn mutated_redis_payloads_never_break_the_server() {
    let Some(oracle) = ServerProc::start_oracle(&[
        "--list-max-listpack-size",
        "5",
        "--hash-max-listpack-entries",
        "5",
        "--zset-max-listpack-entries",
        "5",
    ]) else {
        return;
    };
    let ours = ServerProc::start(&["--enable-debug-command", "yes"]);
    let (mut o, mut r) = (oracle.conn(), ours.conn());
    for (k, n) in [("small", 3), ("big", 10)] {
        for j in 0..n {
            let v = if j % 2 == 0 {
                j.to_string()
            } else {
                format!("_{j}")
            };
            let (j, v) = (j.to_string(), v.into_bytes());
            ok(
                &mut o,
                &[b"HSET", format!("hash{k}").as_bytes(), j.as_bytes(), &v],
            );
            ok(&mut o, &[b"LPUSH", format!("list{k}").as_bytes(), &v]);
            ok(
                &mut o,
                &[b"ZADD", format!("zset{k}").as_bytes(), j.as_bytes(), &v],
            );
            ok(&mut o, &[b"SADD", format!("set{k}").as_bytes(), &v]);
            ok(
                &mut o,
                &[b"SADD", format!("iset{k}").as_bytes(), j.as_bytes()],
            );
        }
    }
    ok(&mut o, &[b"SET", b"str", b"a string value"]);
    let payloads: Vec<Vec<u8>> = keys(&mut o).iter().map(|k| dump(&mut o, k)).collect();
    for sanitize in ["no", "yes"] {
        config_set(&mut r, "sanitize-dump-payload", sanitize);
        ok(&mut r, &[b"DEBUG", b"SET-SKIP-CHECKSUM-VALIDATION", b"1"]);
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut restored = 0;
        for round in 0..1500 {
            let mut p = payloads[round % payloads.len()].clone();
            let body = p.len() - 10;
            for _ in 0..1 + next(&mut rng) % 2 {
                let i = (next(&mut rng) % body as u64) as usize;
                p[i] = next(&mut rng) as u8;
            }
            match call(&mut r, &[b"RESTORE", b"_k", b"0", &p, b"REPLACE"]) {
                Resp::Simple(s) if s == "OK" => {
                    restored += 1;
                    // The value works: read it all, change it, dump it.
                    let (t, _, items) = snapshot(&mut r, b"_k");
                    let first = items.first().cloned().unwrap_or_default();
                    match t.as_str() {
                        "list" => ok(&mut r, &[b"LREM", b"_k", b"1", &first]),
                        "hash" => ok(&mut r, &[b"HSET", b"_k", b"new", b"1"]),
                        "set" => ok(&mut r, &[b"SADD", b"_k", b"new"]),
                        "zset" => ok(&mut r, &[b"ZINCRBY", b"_k", b"1", b"new"]),
                        _ => ok(&mut r, &[b"APPEND", b"_k", b"x"]),
                    }
                    dump(&mut r, b"_k");
                }
                Resp::Error(e) => assert!(e.starts_with("ERR "), "{e}"),
                other => panic!("{other:?}"),
            }
            assert_eq!(
                call(&mut r, &[b"PING"]),
                Resp::Simple("PONG".into()),
                "payload {p:?}"
            );
        }
        assert!(restored > 0);
    }
}

// ---- MIGRATE ----

/// Runs one MIGRATE session from `src` to `target` (a fresh server) and
/// returns every raw reply, for comparing redis-server with this server.
fn migrate_session(src: &mut Conn, target: &mut Conn, target_port: u16) -> Vec<Vec<u8>> {
    let tp = target_port.to_string();
    let tp = tp.as_bytes();
    let host: &[u8] = b"127.0.0.1";
    let mut out = Vec::new();
    let run = |c: &mut Conn, args: &[&[u8]], out: &mut Vec<Vec<u8>>| out.push(c.cmd(args));
    ok(src, &[b"SET", b"a", b"1"]);
    ok(src, &[b"SET", b"b", b"2", b"PX", b"100000000"]);
    ok(src, &[b"RPUSH", b"l", b"x", b"y", b"z"]);
    ok(src, &[b"HSET", b"h", b"f", b"v"]);
    run(src, &[b"MIGRATE", host, tp, b"a", b"0", b"5000"], &mut out);
    run(src, &[b"EXISTS", b"a"], &mut out);
    run(target, &[b"GET", b"a"], &mut out);
    run(src, &[b"MIGRATE", host, tp, b"a", b"0", b"5000"], &mut out);
    // The target refuses an existing key unless REPLACE.
    ok(src, &[b"SET", b"a", b"again"]);
    run(src, &[b"MIGRATE", host, tp, b"a", b"0", b"5000"], &mut out);
    run(src, &[b"EXISTS", b"a"], &mut out);
    run(
        src,
        &[b"MIGRATE", host, tp, b"a", b"0", b"5000", b"REPLACE"],
        &mut out,
    );
    run(target, &[b"GET", b"a"], &mut out);
    // Several keys into another database, copying; TTLs travel.
    run(
        src,
        &[
            b"MIGRATE", host, tp, b"", b"3", b"5000", b"COPY", b"KEYS", b"b", b"l", b"nokey", b"h",
        ],
        &mut out,
    );
    run(src, &[b"EXISTS", b"b", b"l", b"h"], &mut out);
    run(target, &[b"SELECT", b"3"], &mut out);
    run(target, &[b"LRANGE", b"l", b"0", b"-1"], &mut out);
    let ttl = int(call(target, &[b"TTL", b"b"]));
    assert!((99_990..=100_000).contains(&ttl), "{ttl}");
    // Some keys busy: the others move, the first error is reported.
    ok(target, &[b"DEL", b"b"]);
    run(
        src,
        &[
            b"MIGRATE", host, tp, b"", b"3", b"5000", b"KEYS", b"l", b"b", b"h",
        ],
        &mut out,
    );
    run(src, &[b"EXISTS", b"l", b"b", b"h"], &mut out);
    run(target, &[b"EXISTS", b"l", b"b", b"h"], &mut out);
    run(
        src,
        &[
            b"MIGRATE", host, tp, b"", b"3", b"5000", b"REPLACE", b"KEYS", b"l", b"h",
        ],
        &mut out,
    );
    run(
        src,
        &[
            b"MIGRATE", host, tp, b"", b"3", b"5000", b"KEYS", b"nokey1", b"nokey2",
        ],
        &mut out,
    );
    // Errors from the target: a database it does not have, passwords.
    ok(src, &[b"SET", b"c", b"3"]);
    run(src, &[b"MIGRATE", host, tp, b"c", b"99", b"5000"], &mut out);
    run(
        target,
        &[b"CONFIG", b"SET", b"requirepass", b"pw"],
        &mut out,
    );
    run(target, &[b"AUTH", b"pw"], &mut out);
    run(src, &[b"MIGRATE", host, tp, b"c", b"0", b"5000"], &mut out);
    run(
        src,
        &[b"MIGRATE", host, tp, b"c", b"0", b"5000", b"AUTH", b"wrong"],
        &mut out,
    );
    run(
        src,
        &[
            b"MIGRATE", host, tp, b"c", b"0", b"5000", b"AUTH2", b"default", b"pw",
        ],
        &mut out,
    );
    run(target, &[b"SELECT", b"0"], &mut out);
    run(target, &[b"GET", b"c"], &mut out);
    ok(src, &[b"SET", b"c", b"4"]);
    run(
        src,
        &[
            b"MIGRATE", host, tp, b"c", b"0", b"5000", b"REPLACE", b"AUTH", b"pw",
        ],
        &mut out,
    );
    run(target, &[b"GET", b"c"], &mut out);
    // Argument errors.
    ok(src, &[b"SET", b"d", b"5"]);
    for args in [
        &[&b"MIGRATE"[..], host, tp, b"d", b"0", b"5000", b"BAD"][..],
        &[b"MIGRATE", host, tp, b"d", b"0", b"5000", b"AUTH"],
        &[b"MIGRATE", host, tp, b"d", b"0", b"5000", b"AUTH2", b"u"],
        &[b"MIGRATE", host, tp, b"d", b"0", b"5000", b"KEYS", b"d"],
        &[b"MIGRATE", host, tp, b"d", b"0", b"x"],
        &[b"MIGRATE", host, tp, b"d", b"x", b"5000"],
        &[b"MIGRATE", host, tp, b"d", b"x", b"y", b"BAD"],
        &[b"MIGRATE", host, tp, b"d", b"0"],
        &[b"MIGRATE", host, b"1", b"d", b"0", b"100"],
        &[b"MIGRATE", host, b"notaport", b"d", b"0", b"100"],
    ] {
        run(src, args, &mut out);
    }
    run(src, &[b"EXISTS", b"d"], &mut out);
    let info = text(call(src, &[b"INFO", b"stats"]));
    out.push(
        common::info_field(&info, "migrate_cached_sockets")
            .unwrap_or_default()
            .into_bytes(),
    );
    out
}

#[test]
fn migrate_replies_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let mut sessions = Vec::new();
    for src in [&oracle, &ours] {
        let target = ServerProc::start_oracle(&[]).expect("oracle");
        let mut s = src.conn();
        let mut t = target.conn();
        sessions.push(migrate_session(&mut s, &mut t, target.port));
    }
    assert_eq!(sessions[0].len(), sessions[1].len());
    for (i, (a, b)) in sessions[0].iter().zip(&sessions[1]).enumerate() {
        assert_eq!(
            common::escape(a),
            common::escape(b),
            "reply {i} (redis-server, then ours)"
        );
    }
}

#[test]
fn migrate_into_and_out_of_redis() {
    let Some(oracle) = ServerProc::start_oracle(&["--enable-debug-command", "yes"]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let ours2 = ServerProc::start(&[]);
    let (mut o, mut r, mut r2) = (oracle.conn(), ours.conn(), ours2.conn());
    // redis-server sends its RESTOREs to us, every type.
    fill(&mut o, true);
    let ks = keys(&mut o);
    let before: Vec<_> = ks.iter().map(|k| snapshot(&mut o, k)).collect();
    let port = ours.port.to_string();
    let mut args: Vec<&[u8]> = vec![
        b"MIGRATE",
        b"127.0.0.1",
        port.as_bytes(),
        b"",
        b"0",
        b"10000",
        b"KEYS",
    ];
    args.extend(ks.iter().map(|k| k.as_slice()));
    assert_eq!(call(&mut o, &args), Resp::Simple("OK".into()));
    assert_eq!(keys(&mut o), Vec::<Vec<u8>>::new());
    let after: Vec<_> = ks.iter().map(|k| snapshot(&mut r, k)).collect();
    assert_eq!(before, after);
    // And on to another of ours, one key at a time, then back to redis-server.
    let port2 = ours2.port.to_string();
    for k in &ks {
        let reply = call(
            &mut r,
            &[
                b"MIGRATE",
                b"127.0.0.1",
                port2.as_bytes(),
                k,
                b"0",
                b"10000",
            ],
        );
        assert_eq!(reply, Resp::Simple("OK".into()));
    }
    let info = text(call(&mut r, &[b"INFO", b"stats"]));
    assert_eq!(
        common::info_field(&info, "migrate_cached_sockets").as_deref(),
        Some("1")
    );
    let port_o = oracle.port.to_string();
    let mut args: Vec<&[u8]> = vec![
        b"MIGRATE",
        b"127.0.0.1",
        port_o.as_bytes(),
        b"",
        b"0",
        b"10000",
        b"KEYS",
    ];
    args.extend(ks.iter().map(|k| k.as_slice()));
    assert_eq!(call(&mut r2, &args), Resp::Simple("OK".into()));
    let back: Vec<_> = ks.iter().map(|k| snapshot(&mut o, k)).collect();
    assert_eq!(before, back);
    assert_eq!(keys(&mut r2), Vec::<Vec<u8>>::new());
}

#[test]
fn migrate_times_out_and_reconnects() {
    let ours = ServerProc::start(&["--enable-debug-command", "yes"]);
    let target = ServerProc::start(&["--enable-debug-command", "yes"]);
    let mut r = ours.conn();
    let port = target.port.to_string();
    ok(&mut r, &[b"SET", b"k", b"v"]);
    // A target that does not answer in time: IOERR, the key stays.
    let mut t = target.conn();
    t.send_raw(&common::encode_command(&[b"DEBUG", b"SLEEP", b"1"]));
    std::thread::sleep(std::time::Duration::from_millis(100));
    let start = std::time::Instant::now();
    let reply = call(
        &mut r,
        &[
            b"MIGRATE",
            b"127.0.0.1",
            port.as_bytes(),
            b"k",
            b"0",
            b"300",
        ],
    );
    assert!(
        matches!(&reply, Resp::Error(e) if e.starts_with("IOERR error or timeout")),
        "{reply:?}"
    );
    assert!(start.elapsed() < std::time::Duration::from_millis(950));
    assert_eq!(int(call(&mut r, &[b"EXISTS", b"k"])), 1);
    t.read_reply();
    // The target gets the RESTORE late, after MIGRATE gave up.
    let mut late = Resp::Bulk(None);
    for _ in 0..100 {
        late = call(&mut t, &[b"GET", b"k"]);
        if late != Resp::Bulk(None) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(late, Resp::Bulk(Some(b"v".to_vec())));
    assert_eq!(
        call(
            &mut r,
            &[
                b"MIGRATE",
                b"127.0.0.1",
                port.as_bytes(),
                b"k",
                b"0",
                b"1000",
                b"COPY",
                b"REPLACE"
            ]
        ),
        Resp::Simple("OK".into())
    );
    // The target drops the cached connection: MIGRATE reconnects once and
    // succeeds.
    ok(
        &mut t,
        &[b"CLIENT", b"KILL", b"TYPE", b"normal", b"SKIPME", b"yes"],
    );
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        call(
            &mut r,
            &[
                b"MIGRATE",
                b"127.0.0.1",
                port.as_bytes(),
                b"k",
                b"0",
                b"1000",
                b"REPLACE"
            ]
        ),
        Resp::Simple("OK".into())
    );
    assert_eq!(int(call(&mut r, &[b"EXISTS", b"k"])), 0);
    assert_eq!(
        call(&mut t, &[b"GET", b"k"]),
        Resp::Bulk(Some(b"v".to_vec()))
    );
}
