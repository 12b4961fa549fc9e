//! HyperLogLog against Debian's redis-server 7.0.15 (the oracle):
//!
//! * values interoperate: an HLL built by redis-server (sparse, sparse near
//!   the promotion limit, dense, merged) is GET there and SET here, and
//!   counts the same; further PFADDs on both give the same bytes; and the
//!   other way round;
//! * the estimate on 1,000,000 distinct elements is within the error bound
//!   Redis's own PFSELFTEST uses (6 standard errors, 1.04/sqrt(16384)) at
//!   every power of ten, equal to redis-server's, with identical dense bytes
//!   (PFADD pipelined 1000 elements per command, so it takes a second);
//! * what reaches the AOF (PFADD, a PFCOUNT that refreshes the cached
//!   cardinality, PFMERGE, PFDEBUG conversions) is what redis-server writes.
//!
//! Fails when the oracle is missing under `CI=true`.

mod common;

use common::{Conn, Resp, Rng, ServerProc, call};

/// Sends all `cmds` at once, then reads one reply per command.
fn pipeline(c: &mut Conn, cmds: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for cmd in cmds {
        let refs: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        out.extend_from_slice(&common::encode_command(&refs));
    }
    c.send_raw(&out);
    cmds.iter().map(|_| c.read_reply()).collect()
}

/// PFADD `key` with elements `prefix:i` for `i` in `range`, 1000 per command.
fn pfadd_range(c: &mut Conn, key: &str, prefix: &str, range: std::ops::Range<u64>) {
    let mut cmds = Vec::new();
    let mut i = range.start;
    while i < range.end {
        let hi = (i + 1000).min(range.end);
        let mut cmd = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
        cmd.extend((i..hi).map(|j| format!("{prefix}:{j}").into_bytes()));
        cmds.push(cmd);
        i = hi;
    }
    for r in pipeline(c, &cmds) {
        assert!(r == b":1\r\n" || r == b":0\r\n", "{}", common::escape(&r));
    }
}

fn get(c: &mut Conn, key: &str) -> Vec<u8> {
    match call(c, &[b"GET", key.as_bytes()]) {
        Resp::Bulk(Some(v)) => v,
        other => panic!("GET {key}: {other:?}"),
    }
}

fn set(c: &mut Conn, key: &str, v: &[u8]) {
    assert_eq!(
        call(c, &[b"SET", key.as_bytes(), v]),
        Resp::Simple("OK".into())
    );
}

fn pfcount(c: &mut Conn, keys: &[&str]) -> i64 {
    let mut args: Vec<&[u8]> = vec![b"PFCOUNT"];
    args.extend(keys.iter().map(|k| k.as_bytes()));
    match call(c, &args) {
        Resp::Int(n) => n,
        other => panic!("PFCOUNT {keys:?}: {other:?}"),
    }
}

fn encoding(c: &mut Conn, key: &str) -> String {
    match call(c, &[b"PFDEBUG", b"ENCODING", key.as_bytes()]) {
        Resp::Simple(s) => s,
        other => panic!("PFDEBUG ENCODING {key}: {other:?}"),
    }
}

/// Builds the test values on `src`: (key, element count, expected encoding).
fn build_values(src: &mut Conn) -> Vec<(&'static str, &'static str)> {
    pfadd_range(src, "tiny", "t", 0..3);
    pfadd_range(src, "sparse", "s", 0..400);
    // Close to the 3000-byte limit, still sparse.
    pfadd_range(src, "nearlimit", "n", 0..1200);
    pfadd_range(src, "dense", "d", 0..20_000);
    assert_eq!(
        call(src, &[b"PFMERGE", b"merged", b"tiny", b"sparse", b"dense"]),
        Resp::Simple("OK".into())
    );
    assert_eq!(call(src, &[b"PFADD", b"empty"]), Resp::Int(1));
    vec![
        ("tiny", "sparse"),
        ("sparse", "sparse"),
        ("nearlimit", "sparse"),
        ("dense", "dense"),
        ("merged", "dense"),
        ("empty", "sparse"),
    ]
}

/// Values made on `src` are copied to `dst` with GET/SET; both must count
/// the same (stale and cached), grow to the same bytes, and merge the same.
fn check_interop(src: &mut Conn, dst: &mut Conn, what: &str) {
    let values = build_values(src);
    for (key, enc) in &values {
        assert_eq!(encoding(src, key), *enc, "{what}: {key} on the source");
        let raw = get(src, key);
        set(dst, key, &raw);
        assert_eq!(encoding(dst, key), *enc, "{what}: {key} copied");
        // First count: the cache is stale and gets written back.
        let n_src = pfcount(src, &[key]);
        let n_dst = pfcount(dst, &[key]);
        assert_eq!(n_dst, n_src, "{what}: PFCOUNT {key}");
        assert_eq!(get(dst, key), get(src, key), "{what}: {key} after PFCOUNT");
        // More elements, some new, on both: same bytes after.
        pfadd_range(src, key, "more", 0..150);
        pfadd_range(dst, key, "more", 0..150);
        assert_eq!(get(dst, key), get(src, key), "{what}: {key} after PFADD");
        assert_eq!(pfcount(dst, &[key]), pfcount(src, &[key]), "{what}: {key}");
    }
    let keys: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
    assert_eq!(pfcount(dst, &keys), pfcount(src, &keys), "{what}: union");
    let mut args: Vec<&[u8]> = vec![b"PFMERGE", b"all"];
    args.extend(keys.iter().map(|k| k.as_bytes()));
    assert_eq!(call(src, &args), Resp::Simple("OK".into()));
    assert_eq!(call(dst, &args), Resp::Simple("OK".into()));
    assert_eq!(get(dst, "all"), get(src, "all"), "{what}: PFMERGE result");
}

#[test]
fn values_interoperate_both_ways() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let (mut o, mut t) = (oracle.conn(), ours.conn());
    check_interop(&mut o, &mut t, "redis -> rustredis");
    for c in [&mut o, &mut t] {
        assert_eq!(call(c, &[b"FLUSHALL"]), Resp::Simple("OK".into()));
    }
    check_interop(&mut t, &mut o, "rustredis -> redis");
}

#[test]
fn one_million_elements_within_redis_error_bounds() {
    let oracle = ServerProc::start_oracle(&[]);
    let ours = ServerProc::start(&[]);
    let mut t = ours.conn();
    let mut o = oracle.as_ref().map(|s| s.conn());
    let relerr = 1.04 / (16384f64).sqrt();
    let mut done = 0u64;
    let mut checkpoint = 10u64;
    while checkpoint <= 1_000_000 {
        pfadd_range(&mut t, "hll", "e", done..checkpoint);
        if let Some(o) = o.as_mut() {
            pfadd_range(o, "hll", "e", done..checkpoint);
        }
        done = checkpoint;
        let est = pfcount(&mut t, &["hll"]);
        let err = (est - checkpoint as i64).unsigned_abs() as f64;
        let bound = (relerr * 6.0 * checkpoint as f64).ceil().max(1.0);
        assert!(
            err <= bound,
            "{checkpoint} elements: estimate {est}, error {err} > {bound}"
        );
        if let Some(o) = o.as_mut() {
            assert_eq!(est, pfcount(o, &["hll"]), "{checkpoint} elements");
        }
        checkpoint *= 10;
    }
    assert_eq!(encoding(&mut t, "hll"), "dense");
    if let Some(o) = o.as_mut() {
        assert_eq!(get(&mut t, "hll"), get(o, "hll"), "dense bytes");
    }
    // The same count when the elements are re-added: nothing changes.
    pfadd_range(&mut t, "hll", "e", 0..10_000);
    assert_eq!(call(&mut t, &[b"PFADD", b"hll", b"e:1"]), Resp::Int(0));
}

// ---- Propagation ----

const AOF_SCRIPT: &[&str] = &[
    "PFADD p a b c",
    "PFADD p a b c",
    "PFADD p",
    "PFCOUNT p",
    "PFCOUNT p",
    "PFADD q c d e",
    "PFCOUNT p q",
    "PFMERGE r p q",
    "PFDEBUG ENCODING r",
    "PFDEBUG GETREG p",
    "PFDEBUG GETREG p",
    "PFDEBUG TODENSE q",
    "PFDEBUG TODENSE q",
    "PFCOUNT q",
    "PFCOUNT missing",
    "PFMERGE r",
];

/// The commands of the AOF incr file, as space-joined strings.
fn aof_commands(sp: &ServerProc) -> Vec<String> {
    common::aof_incr_lines(&sp.dir, |a| String::from_utf8_lossy(a).into_owned())
}

fn run_aof_script(sp: &ServerProc) -> Vec<String> {
    let mut c = sp.conn();
    for l in AOF_SCRIPT {
        let r = c.cmd_str(l);
        assert!(!r.starts_with(b"-"), "{l}: {}", common::escape(&r));
    }
    aof_commands(sp)
}

#[test]
fn aof_receives_what_redis_propagates() {
    let args = common::AOF_ALWAYS;
    let Some(oracle) = ServerProc::start_oracle(args) else {
        return;
    };
    let ours = ServerProc::start(args);
    let want = run_aof_script(&oracle);
    let got = run_aof_script(&ours);
    assert_eq!(got, want);
    // PFCOUNT that refreshed the cache, and the PFDEBUG conversions, are there.
    assert!(got.iter().any(|c| c == "PFCOUNT p"), "{got:#?}");
    assert!(got.iter().any(|c| c == "PFDEBUG TODENSE q"), "{got:#?}");
}

// ---- Randomized comparisons ----

/// Runs `cmds` on both servers (pipelined) and compares every raw reply.
fn both(o: &mut Conn, t: &mut Conn, cmds: &[Vec<Vec<u8>>], ctx: &str) {
    let ro = pipeline(o, cmds);
    let rt = pipeline(t, cmds);
    for (i, (a, b)) in ro.iter().zip(rt.iter()).enumerate() {
        assert_eq!(
            common::escape(b),
            common::escape(a),
            "{ctx}: command {i} {:?}",
            cmds[i]
                .iter()
                .map(|x| common::escape(x))
                .collect::<Vec<_>>()
        );
    }
}

fn cmd(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// Random sequences of PFADD (0 to 500 elements), PFCOUNT of one or several
/// keys, PFMERGE, PFDEBUG TODENSE, DEL and changes of hll-sparse-max-bytes,
/// each followed by a GET of the key: replies and bytes must be identical.
#[test]
fn random_operations_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let (mut o, mut t) = (oracle.conn(), ours.conn());
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for step in 0..1500 {
        let key = format!("h{}", r.below(4));
        let k = key.as_bytes();
        let mut cmds = Vec::new();
        match r.below(100) {
            0..=49 => {
                let n = [0, 1, 2, 5, 20, 100, 500][r.below(7) as usize];
                let mut c = cmd(&[b"PFADD", k]);
                c.extend((0..n).map(|_| format!("{}", r.below(1_000_000)).into_bytes()));
                cmds.push(c);
            }
            50..=59 => cmds.push(cmd(&[b"PFCOUNT", k])),
            60..=69 => {
                let mut c = cmd(&[b"PFCOUNT"]);
                for i in 0..1 + r.below(4) {
                    c.push(format!("h{i}").into_bytes());
                }
                cmds.push(c);
            }
            70..=79 => {
                let mut c = cmd(&[b"PFMERGE", k]);
                for _ in 0..r.below(4) {
                    c.push(format!("h{}", r.below(4)).into_bytes());
                }
                cmds.push(c);
            }
            80..=83 => {
                let v = ["0", "50", "300", "3000", "10000"][r.below(5) as usize];
                cmds.push(cmd(&[
                    b"CONFIG",
                    b"SET",
                    b"hll-sparse-max-bytes",
                    v.as_bytes(),
                ]));
            }
            84..=87 => cmds.push(cmd(&[b"PFDEBUG", b"TODENSE", k])),
            88..=89 => cmds.push(cmd(&[b"DEL", k])),
            _ => cmds.push(cmd(&[b"PFDEBUG", b"DECODE", k])),
        }
        cmds.push(cmd(&[b"GET", k]));
        both(&mut o, &mut t, &cmds, &format!("step {step}"));
    }
}

/// Random sparse bodies (runs that fall short of, reach or cross register
/// 16384, truncated opcodes) behind a valid header with a stale cache:
/// every command gives the same reply and leaves the same bytes as on
/// redis-server, errors included.
#[test]
fn corrupted_values_match_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let ours = ServerProc::start(&[]);
    let (mut o, mut t) = (oracle.conn(), ours.conn());
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let many: Vec<Vec<u8>> = (0..200).map(|i| format!("{i}").into_bytes()).collect();
    let probes: Vec<Vec<Vec<u8>>> = vec![
        cmd(&[b"PFCOUNT", b"k"]),
        cmd(&[b"PFCOUNT", b"k", b"missing"]),
        cmd(&[b"PFMERGE", b"d", b"k"]),
        cmd(&[b"PFMERGE", b"k"]),
        cmd(&[b"PFDEBUG", b"TODENSE", b"k"]),
        cmd(&[b"PFDEBUG", b"GETREG", b"k"]),
        cmd(&[b"PFDEBUG", b"DECODE", b"k"]),
        cmd(&[b"PFADD", b"k", b"x", b"y", b"z"]),
        [cmd(&[b"PFADD", b"k"]), many].concat(),
    ];
    for case in 0..250 {
        let mut body = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80".to_vec();
        if case % 2 == 0 {
            // Exactly 16384 registers, then maybe trailing opcodes.
            let mut left = 16384u64;
            while left > 0 {
                let c = r.below(10);
                if c < 6 || left > 4 && c < 8 {
                    let l = (1 + r.below(16384)).min(left);
                    body.extend_from_slice(&[((l - 1) >> 8) as u8 | 0x40, (l - 1) as u8]);
                    left -= l;
                } else {
                    let l = (1 + r.below(4)).min(left);
                    body.push(0x80 | (r.below(32) as u8) << 2 | (l - 1) as u8);
                    left -= l;
                }
            }
        }
        for _ in 0..(1 + r.below(12)) / (1 + case % 2 * 4) {
            let c = r.below(10);
            if c < 3 {
                let l = r.below(16384) as u16;
                body.extend_from_slice(&[(l >> 8) as u8 | 0x40, l as u8]);
            } else if c < 6 {
                body.push(r.below(64) as u8);
            } else {
                body.push(0x80 | r.below(128) as u8);
            }
        }
        if r.next().is_multiple_of(3) {
            body.pop();
        }
        for p in &probes {
            let cmds = vec![
                cmd(&[b"SET", b"k", &body]),
                cmd(&[b"DEL", b"d"]),
                p.clone(),
                cmd(&[b"GET", b"k"]),
                cmd(&[b"GET", b"d"]),
            ];
            both(
                &mut o,
                &mut t,
                &cmds,
                &format!("case {case} body {}", common::escape(&body)),
            );
        }
    }
}
