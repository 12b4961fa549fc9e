//! What reaches the AOF, compared with Debian's redis-server 7.0.15: the
//! same script runs on both servers with `appendonly yes`, and the
//! commands in the incr file must be the same, in the same order. Writes
//! are made deterministic before they are propagated (SET EX → SET PXAT,
//! SPOP → SREM, BLPOP → LPOP, EXPIRE → PEXPIREAT or DEL, ...), and several
//! writes of one execution unit are wrapped in MULTI/EXEC.
//!
//! Absolute times computed from the clock differ by a few ms between the
//! two servers, so integer arguments within a day of now are compared as
//! `<now>`.
//!
//! Script lines: a command; `@bg CMD` sends CMD on a second connection
//! without waiting (a blocking pop); `@bgreply` reads its reply;
//! `@sleep MS`.
//!
//! Fails when the oracle is missing under `CI=true`.

mod common;

use common::ServerProc;

const SCRIPT: &str = r#"
SET plain v
SET ex v EX 100
SET px v PX 100000
SET exat v EXAT 4102444800
SET pxat v PXAT 4102444800000
SET nxex v NX EX 100
SET nxex v NX EX 100
SETEX sx 100 v
PSETEX psx 100000 v
SET g v1
SET g v2 GET
SET g v3 GET EX 100
SET g v4 KEEPTTL GET
GETEX g EX 100
GETEX g PERSIST
GETEX g PERSIST
GETEX g PXAT 1
GETEX missing EX 10
SET gd v
GETDEL gd
GETDEL gd
GETSET gs a
GETSET gs b
SET f 10.5
INCRBYFLOAT f 0.25
INCRBYFLOAT f2 3
HSET h a 1
HINCRBYFLOAT h a 1.5
HINCRBYFLOAT h b 2
SET e v
EXPIRE e 100
PEXPIRE e 100000 XX
EXPIREAT e 4102444800 GT
PEXPIREAT e 4102444800001
EXPIRE e 100 NX
EXPIRE missing 100
SET e2 v
EXPIREAT e2 1
PERSIST e
SETBIT pb 7 1
SETBIT pb 7 1
SETBIT pb 100 0
BITFIELD pb GET u8 0
BITFIELD pb SET u8 0 1 INCRBY u8 0 1
BITFIELD pb SET u8 0 2
BITFIELD pb OVERFLOW FAIL INCRBY u2 0 8
BITFIELD pbnew OVERFLOW FAIL INCRBY u2 0 8
BITFIELD_RO pb GET u8 0
BITOP NOT pbd pb
BITOP AND pbd nokeyx
BITOP AND pbd nokeyx
SADD one a
SPOP one
SADD all a b c
SPOP all 10
SADD allint 1 2 3
SPOP allint 3
RPUSH l a b c d e f g
BLPOP l 0
BRPOP l 0
LMPOP 1 l LEFT COUNT 2
BLMPOP 0 1 l RIGHT COUNT 10
RPUSH l2 x y z
BLMOVE l2 l3 LEFT RIGHT 0
BRPOPLPUSH l2 l3 0
LMOVE l3 l2 RIGHT LEFT
BLPOP empty 0.01
ZADD z 1 a 2 b 3 c 4 d
BZPOPMIN z 0
BZPOPMAX z 0
ZMPOP 1 z MIN COUNT 1
BZMPOP 0 1 z MAX COUNT 5
ZPOPMIN nothing
MULTI
SET m1 1
INCR m1
LPUSH m2 a
EXEC
MULTI
SET single 1
EXEC
MULTI
GET single
EXEC
SELECT 3
SET indb3 v
SET indb3ex v EX 100
SELECT 0
MOVE plain 5
SET cp v
COPY cp cp2
RENAME cp cp3
FLUSHDB
FLUSHDB
SET px1 v PX 1
@sleep 50
GET px1
RPUSH blk seed
@bg BLPOP waited 0
@sleep 50
RPUSH waited a b
@bgreply
@bg BLMOVE waited2 dst RIGHT LEFT 0
@sleep 50
RPUSH waited2 q
@bgreply
@bg BZPOPMIN waitedz 0
@sleep 50
ZADD waitedz 5 m
@bgreply
GEOADD geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD geo CH XX 13.5 38 Palermo 1 1 none
GEOADD geo NX 13.5 38 Palermo
GEOSEARCHSTORE geod geo FROMMEMBER Palermo BYRADIUS 500 km STOREDIST
GEOSEARCHSTORE geod geo FROMLONLAT 0 0 BYRADIUS 1 km
GEOSEARCHSTORE geod nogeo FROMLONLAT 0 0 BYRADIUS 1 km
GEORADIUS geo 15 37 200 km STORE geod2
GEORADIUSBYMEMBER geo Palermo 200 km STOREDIST geod3 COUNT 1
GEORADIUS geo 15 37 200 km
MULTI
GEOADD geom 1 1 a
GEOSEARCHSTORE geomd geom FROMLONLAT 1 1 BYRADIUS 10 km
EXEC
EVAL "redis.call('geoadd','geol',2,2,'b') redis.call('georadius','geol',2,2,10,'km','store','geold')" 0
EVAL "redis.call('set','sa','1')" 0
EVAL "redis.call('set','sb','1') redis.call('incr','sb') return redis.call('get','sb')" 0
EVAL "return redis.call('get','sb')" 0
EVAL "redis.call('set','sc','v','ex',100) redis.call('expire','sb',100)" 0
EVAL "redis.set_repl(redis.REPL_NONE) redis.call('set','sd','1') redis.set_repl(redis.REPL_ALL) redis.call('set','se','1')" 0
EVAL "redis.call('set','sf','1') redis.call('select','5') redis.call('set','sg','1')" 0
SCRIPT LOAD "return redis.call('incr',KEYS[1])"
EVALSHA 6f5ade10a69975e903c6d07b10ea44c6382381a5 1 sh
SCRIPT FLUSH
MULTI
EVAL "redis.call('incr','sm')" 0
SET plainm 1
EXEC
FLUSHALL
"#;

/// Replaces a clock-derived time (ms within a day of now) by a marker.
fn normalize(a: &[u8]) -> String {
    let s = String::from_utf8_lossy(a).into_owned();
    match s.parse::<i64>() {
        Ok(v) if common::near_now_ms(v) => "<now-ms>".to_string(),
        _ => s,
    }
}

fn run_script(sp: &ServerProc) -> Vec<String> {
    common::run_script(sp, SCRIPT, |r| {
        assert!(!r.starts_with(b"-"), "{}", String::from_utf8_lossy(r));
    });
    // appendfsync always: everything acknowledged is in the file.
    common::aof_incr_lines(&sp.dir, normalize)
}

#[test]
fn aof_receives_what_redis_propagates() {
    let args = common::AOF_ALWAYS;
    let Some(oracle) = ServerProc::start_oracle(args) else {
        return;
    };
    let ours = ServerProc::start(args);
    let want = run_script(&oracle);
    let got = run_script(&ours);
    for (i, (w, g)) in want.iter().zip(got.iter()).enumerate() {
        assert_eq!(
            g,
            w,
            "command {i} differs\nredis: {:#?}\nours:  {:#?}",
            &want[i.saturating_sub(3)..(i + 3).min(want.len())],
            &got[i.saturating_sub(3)..(i + 3).min(got.len())]
        );
    }
    assert_eq!(got.len(), want.len(), "redis: {want:#?}\nours: {got:#?}");
}
