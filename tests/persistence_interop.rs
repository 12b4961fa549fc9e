//! Persistence interoperability with Debian's redis-server 7.0.15, both
//! ways, value by value:
//!
//! - redis-server writes a dump holding every type in every encoding it can
//!   produce (int/embstr/raw/LZF strings; lists with one node, many nodes,
//!   LZF-compressed inner nodes and plain nodes; hashes, sets and sorted
//!   sets in both encodings; TTLs; several databases); rustredis loads it
//!   and every key has the same TYPE, OBJECT ENCODING, DEBUG DIGEST-VALUE
//!   and PEXPIRETIME, and the whole dataset the same DEBUG DIGEST;
//! - the reverse: rustredis SAVEs the same dataset, `redis-check-rdb`
//!   accepts the file, and redis-server (deep-sanitizing) loads it with the
//!   same keyspace;
//! - DUMP payloads: for the same value both servers produce the same bytes
//!   (LZF output included) except where Redis itself is not deterministic
//!   (the member order of `hashtable` sets and hashes), DEBUG OBJECT's
//!   `serializedlength` agrees for every key, and a payload DUMPed by either
//!   server RESTOREs in the other to the same digest and encoding;
//! - a dump of the same data is byte-identical to Redis's apart from the
//!   aux fields that carry the time and memory use (and so the checksum).
//!
//! Each test is skipped when the oracle is not installed and fails when it
//! is missing under `CI=true`.

mod common;

use common::{Conn, Resp, ServerProc, call_ok as ok, call_ok_str as cmd};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// ---- Replies (`common::Resp`) ----

fn bulk(r: Resp) -> Vec<u8> {
    match r {
        Resp::Bulk(Some(b)) => b,
        Resp::Simple(s) => s.into_bytes(),
        other => panic!("bulk expected, got {other:?}"),
    }
}

/// DEBUG DIGEST-VALUE of one key (an array of one status reply).
fn digest_value(c: &mut Conn, key: &[u8]) -> String {
    match ok(c, &[b"DEBUG", b"DIGEST-VALUE", key]) {
        Resp::Array(Some(mut v)) if v.len() == 1 => text(v.remove(0)),
        other => panic!("digest expected, got {other:?}"),
    }
}

fn text(r: Resp) -> String {
    String::from_utf8_lossy(&bulk(r)).into_owned()
}

fn int(r: Resp) -> i64 {
    match r {
        Resp::Int(i) => i,
        other => panic!("integer expected, got {other:?}"),
    }
}

fn bulks(r: Resp) -> Vec<Vec<u8>> {
    match r {
        Resp::Array(Some(v)) => v.into_iter().map(bulk).collect(),
        other => panic!("array expected, got {other:?}"),
    }
}

// ---- The dataset ----

/// `n` bytes cycling over `pattern` (LZF compresses it well).
fn cycle(pattern: &str, n: usize) -> Vec<u8> {
    pattern.bytes().cycle().take(n).collect()
}

/// `n` bytes of a fixed pseudo-random sequence (LZF cannot shrink them).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Text made of words from a small vocabulary: compressible, but not
/// trivially (exercises LZF's matcher rather than its run handling).
fn words(seed: u64, n: usize) -> Vec<u8> {
    const VOCAB: [&str; 12] = [
        "redis", "rust", "list", "hash", "set", "zset", "key", "value", "node", "dump", "save",
        "load",
    ];
    let r = noise(seed, n);
    let mut out = Vec::with_capacity(n + 8);
    let mut i = 0;
    while out.len() < n {
        out.extend_from_slice(VOCAB[r[i % r.len()] as usize % VOCAB.len()].as_bytes());
        out.push(if r[(i + 1) % r.len()].is_multiple_of(5) {
            b','
        } else {
            b' '
        });
        i += 1;
    }
    out.truncate(n);
    out
}

/// Runs `RPUSH`/`HSET`/`SADD`/`ZADD`-style commands with many arguments.
fn multi(c: &mut Conn, head: &[&[u8]], rest: &[Vec<u8>]) {
    let mut args: Vec<&[u8]> = head.to_vec();
    args.extend(rest.iter().map(|a| a.as_slice()));
    ok(c, &args);
}

/// A far-future absolute expire time (unix ms), the same on both servers.
const FAR_MS: &str = "4102444800123";

/// Fills a server with every type in every encoding Redis 7.0 produces.
/// Needs `enable-debug-command yes` (plain list nodes).
fn fill(c: &mut Conn) {
    // Strings: int, embstr, raw, LZF-compressed (short and long), binary.
    cmd(c, "SET str:int 12345");
    cmd(c, "SET str:negint -2147483648");
    cmd(c, "SET str:bigint 12345678901234567");
    cmd(c, "SET str:embstr hello-world");
    ok(c, &[b"SET", b"str:raw", &noise(1, 60)]);
    ok(c, &[b"SET", b"str:lzf21", &cycle("ab", 21)]);
    ok(c, &[b"SET", b"str:lzf-words", &words(2, 3000)]);
    ok(c, &[b"SET", b"str:lzf-big", &words(3, 200_000)]);
    ok(
        c,
        &[
            b"SET",
            b"str:binary",
            &(0..=255u8).cycle().take(700).collect::<Vec<u8>>(),
        ],
    );
    ok(c, &[b"SET", b"str:noise", &noise(4, 5000)]);
    cmd(c, "SET str:empty x");
    ok(c, &[b"SET", b"str:empty", b""]);
    ok(c, &[b"PEXPIREAT", b"str:lzf-words", FAR_MS.as_bytes()]);
    // Lists: one node; many nodes; LZF-compressed inner nodes; plain nodes.
    cmd(c, "RPUSH list:small a 1 -7 3000000000 x");
    let elems: Vec<Vec<u8>> = (0..3000)
        .map(|i| format!("element-{i}").into_bytes())
        .collect();
    multi(c, &[b"RPUSH", b"list:nodes"], &elems);
    cmd(c, "CONFIG SET list-compress-depth 1");
    let elems: Vec<Vec<u8>> = (0..2000)
        .map(|i| words(i, 20 + (i as usize % 40)))
        .collect();
    multi(c, &[b"RPUSH", b"list:compressed"], &elems);
    let elems: Vec<Vec<u8>> = (0..500).map(|i| noise(i + 7, 30)).collect();
    multi(c, &[b"RPUSH", b"list:compressed-noise"], &elems);
    cmd(c, "CONFIG SET list-compress-depth 2");
    let elems: Vec<Vec<u8>> = (0..3000)
        .map(|i| format!("{}", i * 7919 % 100_000).into_bytes())
        .collect();
    multi(c, &[b"LPUSH", b"list:compressed-ints"], &elems);
    cmd(c, "CONFIG SET list-compress-depth 0");
    cmd(c, "DEBUG QUICKLIST-PACKED-THRESHOLD 1000");
    multi(
        c,
        &[b"RPUSH", b"list:plain"],
        &[
            b"a".to_vec(),
            cycle("plain-", 5000),
            b"b".to_vec(),
            noise(9, 2000),
            words(5, 1500),
        ],
    );
    cmd(c, "DEBUG QUICKLIST-PACKED-THRESHOLD 0");
    ok(c, &[b"PEXPIREAT", b"list:small", FAR_MS.as_bytes()]);
    // Hashes: listpack; hashtable by count; hashtable by value size.
    ok(
        c,
        &[
            b"HSET", b"hash:lp", b"f1", b"v1", b"n", b"12", b"neg", b"-99", b"", b"empty",
        ],
    );
    let pairs: Vec<Vec<u8>> = (0..1000)
        .flat_map(|i| {
            [
                format!("field:{i}").into_bytes(),
                format!("{}", i * 7).into_bytes(),
            ]
        })
        .collect();
    multi(c, &[b"HSET", b"hash:many"], &pairs);
    ok(
        c,
        &[
            b"HSET",
            b"hash:bigval",
            b"a",
            b"1",
            b"big",
            &words(6, 5000),
            b"long",
            &cycle("x", 100),
        ],
    );
    ok(c, &[b"PEXPIREAT", b"hash:bigval", FAR_MS.as_bytes()]);
    // Sets: intset (16, 32, 64-bit); hashtable by strings; by count.
    cmd(c, "SADD set:int 1 -2 40000 -5000000000 7");
    ok(c, &[b"SADD", b"set:str", b"a", b"b", b"10", &words(7, 300)]);
    let members: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("{}", i * 3 - 500).into_bytes())
        .collect();
    multi(c, &[b"SADD", b"set:manyints"], &members);
    // Sorted sets: listpack; skiplist by count; by member length.
    cmd(
        c,
        "ZADD zset:lp 1 a 2.5 b -inf c +inf d 0 e -3.125 f 1e300 g 0.1 h",
    );
    let pairs: Vec<Vec<u8>> = (0..500)
        .flat_map(|i| {
            [
                format!("{}", (i as f64) * 1.5 - 100.0).into_bytes(),
                format!("member:{i}").into_bytes(),
            ]
        })
        .collect();
    multi(c, &[b"ZADD", b"zset:many"], &pairs);
    ok(
        c,
        &[
            b"ZADD",
            b"zset:long",
            b"1",
            b"a",
            b"2",
            &cycle("long", 100),
            b"3",
            &words(8, 2000),
        ],
    );
    ok(c, &[b"PEXPIREAT", b"zset:long", FAR_MS.as_bytes()]);
    // Other databases.
    cmd(c, "SELECT 3");
    cmd(c, "RPUSH db3:list one two");
    cmd(c, "HSET db3:hash f v");
    cmd(c, "SET db3:str 42");
    ok(c, &[b"PEXPIREAT", b"db3:str", FAR_MS.as_bytes()]);
    cmd(c, "SELECT 15");
    cmd(c, "SADD db15:set m n");
    cmd(c, "ZADD db15:zset 5 m");
    cmd(c, "SELECT 0");
}

/// Keys whose DUMP bytes depend on hash-table order (sets and hashes in
/// the `hashtable` encoding), which differs between any two processes.
fn order_dependent(encoding: &str) -> bool {
    encoding == "hashtable"
}

// ---- Keyspace snapshots ----

/// What is compared about one key.
#[derive(Debug, PartialEq)]
struct KeyState {
    kind: String,
    encoding: String,
    digest: String,
    expire_at: i64,
}

/// Every key of databases 0..16: type, encoding, DEBUG DIGEST-VALUE and
/// PEXPIRETIME (-1 without TTL).
fn snapshot(c: &mut Conn) -> BTreeMap<(u8, Vec<u8>), KeyState> {
    let mut out = BTreeMap::new();
    for db in 0..16u8 {
        ok(c, &[b"SELECT", db.to_string().as_bytes()]);
        for key in bulks(ok(c, &[b"KEYS", b"*"])) {
            let state = KeyState {
                kind: text(ok(c, &[b"TYPE", &key])),
                encoding: text(ok(c, &[b"OBJECT", b"ENCODING", &key])),
                digest: digest_value(c, &key),
                expire_at: int(ok(c, &[b"PEXPIRETIME", &key])),
            };
            out.insert((db, key), state);
        }
    }
    ok(c, &[b"SELECT", b"0"]);
    out
}

/// Asserts two snapshots are equal, naming the first key that differs.
fn assert_same(got: &BTreeMap<(u8, Vec<u8>), KeyState>, want: &BTreeMap<(u8, Vec<u8>), KeyState>) {
    let gk: Vec<_> = got.keys().collect();
    let wk: Vec<_> = want.keys().collect();
    assert_eq!(gk, wk, "key sets differ");
    for (k, w) in want {
        assert_eq!(
            &got[k],
            w,
            "db {} key {:?}",
            k.0,
            String::from_utf8_lossy(&k.1)
        );
    }
}

/// A fresh directory holding a copy of `src` as dump.rdb.
fn dir_with_dump(src: &Path) -> PathBuf {
    let dir = common::scratch_dir("interop");
    std::fs::copy(src, dir.join("dump.rdb"))
        .unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
    dir
}

const DEBUG_ON: [&str; 2] = ["--enable-debug-command", "yes"];

/// Starts `bin` (ours, or the oracle when `oracle`) on a copy of `dump`.
fn start_on(dump: &Path, oracle: bool, extra: &[&str]) -> Option<(ServerProc, PathBuf)> {
    let dir = dir_with_dump(dump);
    let ds = dir.display().to_string();
    let mut args: Vec<&str> = vec!["--dir", &ds];
    args.extend_from_slice(&DEBUG_ON);
    args.extend_from_slice(extra);
    let sp = if oracle {
        ServerProc::start_oracle(&args)?
    } else {
        ServerProc::start(&args)
    };
    Some((sp, dir))
}

// ---- Tests ----

/// redis-server saves every encoding; rustredis loads the same keyspace,
/// digest by digest.
#[test]
fn redis_dump_loads_value_by_value() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let mut o = oracle.conn();
    fill(&mut o);
    cmd(&mut o, "SAVE");
    let want = snapshot(&mut o);
    let want_digest = text(cmd(&mut o, "DEBUG DIGEST"));
    assert!(want.len() >= 30, "{}", want.len());
    let encodings: std::collections::BTreeSet<&str> =
        want.values().map(|s| s.encoding.as_str()).collect();
    for e in [
        "int",
        "embstr",
        "raw",
        "quicklist",
        "listpack",
        "hashtable",
        "intset",
        "skiplist",
    ] {
        assert!(encodings.contains(e), "dataset lacks {e}: {encodings:?}");
    }
    let (ours, dir) = start_on(&oracle.dir.join("dump.rdb"), false, &[]).unwrap();
    let mut c = ours.conn();
    assert_same(&snapshot(&mut c), &want);
    assert_eq!(text(cmd(&mut c, "DEBUG DIGEST")), want_digest);
    let log = ours.log();
    assert!(
        log.contains("Loading RDB produced by version 7.0.15"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "Done loading RDB, keys loaded: {}, keys expired: 0.",
            want.len()
        )),
        "{log}"
    );
    drop(ours);
    let _ = std::fs::remove_dir_all(dir);
}

/// rustredis saves the same dataset; redis-check-rdb accepts the file and
/// redis-server, deep-sanitizing every blob, loads the same keyspace.
#[test]
fn our_dump_loads_in_redis_value_by_value() {
    let ours = ServerProc::start(&DEBUG_ON);
    let mut c = ours.conn();
    fill(&mut c);
    cmd(&mut c, "SAVE");
    let want = snapshot(&mut c);
    let want_digest = text(cmd(&mut c, "DEBUG DIGEST"));
    let dump = ours.dir.join("dump.rdb");

    let check = "/usr/bin/redis-check-rdb";
    if Path::new(check).exists() {
        let out = std::process::Command::new(check)
            .arg(&dump)
            .output()
            .expect("run redis-check-rdb");
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "redis-check-rdb failed:\n{report}");
        assert!(report.contains("\\o/ RDB looks OK! \\o/"), "{report}");
        assert!(report.contains("Checksum OK"), "{report}");
        assert!(
            report.contains(&format!("[info] {} keys read", want.len())),
            "{report}"
        );
    } else {
        assert!(!common::in_ci(), "{check} missing under CI=true");
    }

    let Some((oracle, dir)) = start_on(&dump, true, &["--sanitize-dump-payload", "yes"]) else {
        return;
    };
    let mut o = oracle.conn();
    assert_same(&snapshot(&mut o), &want);
    assert_eq!(text(cmd(&mut o, "DEBUG DIGEST")), want_digest);
    drop(oracle);
    let _ = std::fs::remove_dir_all(dir);
}

/// DUMP payloads are Redis's bytes, serializedlength agrees, and payloads
/// RESTORE across the two servers to the same values.
#[test]
fn dump_payloads_match_and_restore_both_ways() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let ours = ServerProc::start(&DEBUG_ON);
    let (mut o, mut c) = (oracle.conn(), ours.conn());
    fill(&mut o);
    fill(&mut c);
    let keys = snapshot(&mut o);
    let mut identical = 0;
    for ((db, key), st) in &keys {
        let sel = db.to_string();
        ok(&mut o, &[b"SELECT", sel.as_bytes()]);
        ok(&mut c, &[b"SELECT", sel.as_bytes()]);
        let name = String::from_utf8_lossy(key).into_owned();
        let theirs = bulk(ok(&mut o, &[b"DUMP", key]));
        let mine = bulk(ok(&mut c, &[b"DUMP", key]));
        if order_dependent(&st.encoding) {
            assert_eq!(mine.len(), theirs.len(), "{name}: payload length");
        } else {
            assert!(mine == theirs, "{name}: DUMP payloads differ");
            identical += 1;
        }
        let len_of = |conn: &mut Conn| {
            text(ok(conn, &[b"DEBUG", b"OBJECT", key]))
                .split(' ')
                .find_map(|f| f.strip_prefix("serializedlength:").map(str::to_string))
                .expect("serializedlength")
        };
        assert_eq!(len_of(&mut c), len_of(&mut o), "{name}: serializedlength");
        // Across: Redis's payload into us, ours into Redis (with the same
        // absolute expire time: the digest covers whether there is one).
        let copy = [b"copy:".as_slice(), key].concat();
        let ttl = st.expire_at.max(0).to_string();
        ok(
            &mut c,
            &[b"RESTORE", &copy, ttl.as_bytes(), &theirs, b"ABSTTL"],
        );
        ok(
            &mut o,
            &[b"RESTORE", &copy, ttl.as_bytes(), &mine, b"ABSTTL"],
        );
        for conn in [&mut c, &mut o] {
            assert_eq!(
                digest_value(conn, &copy),
                st.digest,
                "{name}: digest after RESTORE"
            );
            assert_eq!(
                text(ok(conn, &[b"OBJECT", b"ENCODING", &copy])),
                st.encoding,
                "{name}: encoding after RESTORE"
            );
        }
    }
    assert!(identical >= 25, "{identical}");
    // RESTORE options and errors as Redis replies them.
    ok(&mut o, &[b"SELECT", b"0"]);
    ok(&mut c, &[b"SELECT", b"0"]);
    let payload = bulk(ok(&mut o, &[b"DUMP", b"hash:lp"]));
    let mut bad_crc = payload.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 0xff;
    let mut bad_body = payload.clone();
    bad_body[3] = 0xff;
    let n = bad_body.len();
    let crc = crc64_jones(&bad_body[..n - 8]);
    bad_body[n - 8..].copy_from_slice(&crc.to_le_bytes());
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"RESTORE", b"hash:lp", b"0", &payload],
        vec![b"RESTORE", b"fresh", b"0", &bad_crc],
        vec![b"RESTORE", b"fresh", b"0", &bad_body],
        vec![b"RESTORE", b"fresh", b"0", b"short"],
        vec![b"RESTORE", b"fresh", b"-1", &payload],
        vec![
            b"RESTORE",
            b"fresh",
            b"0",
            &payload,
            b"IDLETIME",
            b"5",
            b"FREQ",
            b"3",
        ],
        vec![b"RESTORE", b"fresh", b"0", &payload, b"FREQ", b"256"],
        vec![
            b"RESTORE", b"hash:lp", b"0", &payload, b"REPLACE", b"ABSTTL",
        ],
        vec![
            b"RESTORE",
            b"fresh",
            FAR_MS.as_bytes(),
            &payload,
            b"ABSTTL",
            b"IDLETIME",
            b"100",
        ],
        vec![b"RESTORE", b"past", b"1", &payload, b"ABSTTL"],
        vec![b"PEXPIRETIME", b"fresh"],
        vec![b"OBJECT", b"IDLETIME", b"fresh"],
        vec![b"EXISTS", b"past"],
    ];
    for args in cases {
        let a = o.cmd(&args);
        let b = c.cmd(&args);
        assert_eq!(
            String::from_utf8_lossy(&b),
            String::from_utf8_lossy(&a),
            "{:?}",
            String::from_utf8_lossy(args[0])
        );
    }
}

/// A dump of the same data is byte-identical to Redis's but for the aux
/// fields carrying ctime and used-mem (and the checksum over them). One
/// key per database, so that hash-table order plays no part.
#[test]
fn same_data_gives_the_same_file() {
    let Some(oracle) = ServerProc::start_oracle(&DEBUG_ON) else {
        return;
    };
    let ours = ServerProc::start(&DEBUG_ON);
    let script = |c: &mut Conn| {
        let values: Vec<(&str, Vec<Vec<u8>>)> = vec![
            ("SET", vec![words(11, 5000)]),
            ("SET", vec![b"123".to_vec()]),
            (
                "RPUSH",
                (0..5000).map(|i| words(i, 10 + i as usize % 50)).collect(),
            ),
            (
                "HSET",
                vec![b"f".to_vec(), words(12, 60), b"g".to_vec(), b"1".to_vec()],
            ),
            ("SADD", vec![b"1".to_vec(), b"99999999999".to_vec()]),
            (
                "ZADD",
                (0..300)
                    .flat_map(|i| [format!("{}", i % 17).into_bytes(), words(i + 99, 12)])
                    .collect(),
            ),
            (
                "ZADD",
                vec![
                    b"1.5".to_vec(),
                    b"a".to_vec(),
                    b"-inf".to_vec(),
                    b"b".to_vec(),
                ],
            ),
            ("SET", vec![noise(13, 100)]),
            ("SET", vec![cycle("abc", 21)]),
            ("SET", vec![cycle("abc", 20)]),
        ];
        cmd(c, "CONFIG SET list-compress-depth 1");
        for (db, (verb, args)) in values.iter().enumerate() {
            ok(c, &[b"SELECT", db.to_string().as_bytes()]);
            let mut argv: Vec<&[u8]> = vec![verb.as_bytes(), b"k"];
            argv.extend(args.iter().map(|a| a.as_slice()));
            ok(c, &argv);
            if db % 3 == 0 {
                ok(c, &[b"PEXPIREAT", b"k", FAR_MS.as_bytes()]);
            }
        }
        cmd(c, "SAVE");
    };
    script(&mut oracle.conn());
    script(&mut ours.conn());
    let theirs = std::fs::read(oracle.dir.join("dump.rdb")).expect("redis dump");
    let mine = std::fs::read(ours.dir.join("dump.rdb")).expect("our dump");
    let (ta, tb) = split_aux(&theirs);
    let (ma, mb) = split_aux(&mine);
    let names = |aux: &[AuxField]| aux.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ma), names(&ta), "aux field names and order");
    for ((k, mv), (_, tv)) in ma.iter().zip(&ta) {
        if k != b"ctime" && k != b"used-mem" {
            assert_eq!(mv, tv, "aux {}", String::from_utf8_lossy(k));
        }
    }
    assert_eq!(&mine[..9], &theirs[..9], "header");
    assert_eq!(mb.len(), tb.len(), "body length");
    if mb != tb {
        let at = mb.iter().zip(tb).position(|(a, b)| a != b).unwrap_or(0);
        let _ = std::fs::write(std::env::temp_dir().join("interop-ours.rdb"), &mine);
        let _ = std::fs::write(std::env::temp_dir().join("interop-redis.rdb"), &theirs);
        panic!("bodies differ from body offset {at}");
    }
}

/// An aux field's name and value.
type AuxField = (Vec<u8>, Vec<u8>);

/// Splits an RDB file into its aux fields and the rest up to (not
/// including) the checksum.
fn split_aux(f: &[u8]) -> (Vec<AuxField>, &[u8]) {
    let mut pos = 9;
    let mut aux = Vec::new();
    while f[pos] == 0xfa {
        pos += 1;
        let k = rdb_string(f, &mut pos);
        let v = rdb_string(f, &mut pos);
        aux.push((k, v));
    }
    (aux, &f[pos..f.len() - 8])
}

/// One RDB string (plain or integer-encoded; aux fields use no LZF).
fn rdb_string(f: &[u8], pos: &mut usize) -> Vec<u8> {
    let b = f[*pos];
    *pos += 1;
    match b >> 6 {
        0 => {
            let n = (b & 0x3f) as usize;
            *pos += n;
            f[*pos - n..*pos].to_vec()
        }
        1 => {
            let n = (((b & 0x3f) as usize) << 8) | f[*pos] as usize;
            *pos += 1 + n;
            f[*pos - n..*pos].to_vec()
        }
        3 => {
            let w = [1usize, 2, 4][(b & 0x3f) as usize];
            let mut v = [0u8; 8];
            v[..w].copy_from_slice(&f[*pos..*pos + w]);
            *pos += w;
            let x = match w {
                1 => v[0] as i8 as i64,
                2 => i16::from_le_bytes([v[0], v[1]]) as i64,
                _ => i32::from_le_bytes([v[0], v[1], v[2], v[3]]) as i64,
            };
            x.to_string().into_bytes()
        }
        _ => panic!("unexpected aux string encoding {b:#x}"),
    }
}

/// CRC-64 Jones with Redis's parameters (reflected, initial value 0).
fn crc64_jones(data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut crc = 0u64;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

// ---- Failed loads ----

/// An RDB 10 file: a redis-ver aux field, SELECTDB 0, `body`, EOF and the
/// checksum.
fn handmade_rdb(version: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut f = b"REDIS".to_vec();
    f.extend_from_slice(version);
    f.extend_from_slice(b"\xfa\x09redis-ver\x067.0.15\xfe\x00");
    f.extend_from_slice(body);
    f.push(0xff);
    let crc = crc64_jones(&f);
    f.extend_from_slice(&crc.to_le_bytes());
    f
}

/// The lines of a failed startup that carry the failure (the loader's
/// warnings and the file check report), with what legitimately differs
/// masked: log prefixes, Redis's `rdb.c:LINE` against our `rdb.rs`, the
/// coarse loading offset Redis prints inside "Internal error" lines, and
/// the file name.
fn failure_lines(stdout: &str) -> Vec<String> {
    const KEEP: [&str; 9] = [
        "Internal error",
        "Short read",
        "Wrong RDB",
        "Terminating",
        "Failed loading",
        "module",
        "Fatal",
        "Can't handle",
        "Wrong signature",
    ];
    let mut out = Vec::new();
    for line in stdout.lines() {
        // "pid:R dd Mon yyyy hh:mm:ss.mmm L message"
        let parts: Vec<&str> = line.splitn(6, ' ').collect();
        let msg = if parts.len() == 6 && parts[0].contains(':') && parts[4].contains(':') {
            parts[5].get(2..).unwrap_or("")
        } else {
            line
        };
        let report = msg.starts_with('[') || msg.starts_with("---");
        if !report && !KEEP.iter().any(|k| msg.contains(k)) {
            continue;
        }
        let mut m = msg.to_string();
        if let Some(i) = m.find("rdb.c:") {
            let digits = m[i + 6..].bytes().take_while(u8::is_ascii_digit).count();
            m.replace_range(i..i + 6 + digits, "rdb.rs");
        }
        if let Some(i) = m.find("reading offset ") {
            let start = i + "reading offset ".len();
            let digits = m[start..].bytes().take_while(u8::is_ascii_digit).count();
            m.replace_range(start..start + digits, "N");
        }
        if let Some(i) = m.find("Checking RDB file ") {
            m.truncate(i + "Checking RDB file".len());
        }
        out.push(m);
    }
    out
}

/// Starts `bin` on `dump` and returns its exit status and stdout (it must
/// exit by itself: the load fails).
fn run_failing(bin: &str, dump: &[u8]) -> (Option<i32>, String) {
    let dir = common::scratch_dir("interop-fail");
    std::fs::write(dir.join("dump.rdb"), dump).expect("write dump");
    let port = common::free_port().to_string();
    let out = std::process::Command::new(bin)
        .args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--logfile",
            "",
        ])
        .current_dir(&dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run server");
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Corrupt, truncated and unloadable files stop startup with Redis's log
/// lines and its file check report, line for line (offsets included).
#[test]
fn failed_loads_report_like_redis() {
    let oracle = common::oracle_bin();
    if !Path::new(&oracle).exists() {
        assert!(!common::in_ci(), "oracle missing under CI=true");
        return;
    }
    let fixture = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/redis-7.0.15-types.rdb"),
    )
    .expect("fixture");
    let mut bad_crc = fixture.clone();
    let n = bad_crc.len();
    bad_crc[n - 1] ^= 1;
    let mut bad_lp = fixture.clone();
    let at = fixture
        .windows(7)
        .position(|w| w == b"hash:lp")
        .expect("hash:lp in fixture")
        + 7;
    bad_lp[at + 2] ^= 1; // the listpack's total-bytes header
    let module_id = (12345u64 << 10).to_be_bytes();
    let module = |body: &[u8]| [&[0x07, 0x01, b'k', 0x81][..], &module_id, body].concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", fixture[..fixture.len() / 2].to_vec()),
        ("checksum", bad_crc),
        ("listpack header", bad_lp),
        (
            "unknown type",
            handmade_rdb(b"0010", b"\x00\x01a\x01b\x08\x01k\x01v"),
        ),
        (
            "bad lzf",
            handmade_rdb(b"0010", b"\x00\x01a\xc3\x03\x0a\x20\x00\x00"),
        ),
        ("bad length", handmade_rdb(b"0010", b"\x00\x01a\x82")),
        (
            "nan score",
            handmade_rdb(
                b"0010",
                &[&b"\x05\x01z\x01\x01m"[..], &f64::NAN.to_le_bytes()].concat(),
            ),
        ),
        (
            "duplicate member",
            handmade_rdb(b"0010", b"\x02\x01s\x02\x01m\x01m"),
        ),
        (
            "module value",
            handmade_rdb(
                b"0010",
                &module(b"\x02\x05\x05\x03abc\x04\0\0\0\0\0\0\0\0\0"),
            ),
        ),
        (
            "bad module value",
            handmade_rdb(b"0010", &module(b"\x05\xc3\x05\x10\x20\0\0\0\0\0")),
        ),
        (
            "module aux",
            handmade_rdb(
                b"0010",
                &[&[0xf7, 0x81][..], &module_id, b"\x02\x02\x02\x07\x00"].concat(),
            ),
        ),
        (
            "module aux when",
            handmade_rdb(
                b"0010",
                &[&[0xf7, 0x81][..], &module_id, b"\x01\x02\x00"].concat(),
            ),
        ),
        ("bad aux", b"REDIS0010\xfa\x09redis-ver\x82".to_vec()),
        ("version 12", handmade_rdb(b"0012", b"")),
        ("signature", b"RADIS0010\xff".to_vec()),
    ];
    for (name, dump) in cases {
        let (theirs_code, theirs) = run_failing(&oracle, &dump);
        let (ours_code, ours) = run_failing(&common::server_bin(), &dump);
        let want = failure_lines(&theirs);
        assert!(
            !want.is_empty(),
            "{name}: nothing from redis-server:\n{theirs}"
        );
        assert_eq!(failure_lines(&ours), want, "{name}:\n{ours}");
        // Redis exits 0 when its own check passes a file it could not
        // load (the module value); a failed startup is 1 here.
        assert_eq!(ours_code, Some(1), "{name}");
        if name != "module value" {
            assert_eq!(theirs_code, Some(1), "{name}");
        }
        assert!(!ours.contains("Ready to accept connections"), "{name}");
    }
}
