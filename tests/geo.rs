//! Geo commands compared with redis-server 7.0.15, byte for byte:
//!
//! - randomized point sets (clustered at random places and scales, with
//!   repeated positions so that distances tie) searched by many random
//!   GEOSEARCH / GEOSEARCHSTORE / GEORADIUS queries (radius and box, every
//!   unit, ASC/DESC, COUNT with and without ANY, WITH* options), plus
//!   GEODIST, GEOPOS and GEOHASH of every member: every reply must be
//!   identical, which checks the geohash steps and neighbours, the
//!   haversine digits, the number formatting and the order of ties (Redis's
//!   stable sort and its partial quicksort for COUNT);
//! - the keyspace events of every geo command.
//!
//! Fails when the oracle is missing under `CI=true`.

mod common;

use common::{Conn, Rng, ServerProc, escape, split_args};

/// Both servers, one connection to each; every command's replies must match.
struct Pair {
    _oracle: ServerProc,
    _test: ServerProc,
    o: Conn,
    t: Conn,
    commands: usize,
}

impl Pair {
    fn start() -> Option<Pair> {
        let oracle = ServerProc::start_oracle(&[])?;
        let test = ServerProc::start(&[]);
        let o = oracle.conn();
        let t = test.conn();
        Some(Pair {
            _oracle: oracle,
            _test: test,
            o,
            t,
            commands: 0,
        })
    }

    fn both(&mut self, args: &[String]) -> Vec<u8> {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let ro = self.o.cmd(&refs);
        let rt = self.t.cmd(&refs);
        self.commands += 1;
        assert_eq!(
            escape(&rt),
            escape(&ro),
            "reply differs from redis-server for: {}",
            args.join(" ")
        );
        rt
    }

    fn line(&mut self, line: &str) -> Vec<u8> {
        let args: Vec<String> = split_args(line)
            .into_iter()
            .map(|a| String::from_utf8(a).unwrap_or_default())
            .collect();
        self.both(&args)
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

const UNITS: [(&str, f64); 4] = [("m", 1.0), ("km", 1000.0), ("mi", 1609.34), ("ft", 0.3048)];

/// One random round: a fresh point set and `queries` searches over it.
fn random_round(p: &mut Pair, rng: &mut Rng, queries: usize) {
    p.both(&s(&["FLUSHALL"]));
    let clat = rng.uniform(-84.0, 84.0);
    let clon = rng.uniform(-180.0, 180.0);
    let spread = *rng.pick(&[0.001, 0.01, 0.1, 1.0, 5.0, 30.0, 180.0]);
    let npts = *rng.pick(&[3usize, 20, 100, 300]);
    let mut pts: Vec<(f64, f64)> = Vec::new();
    let mut args = s(&["GEOADD", "g"]);
    for i in 0..npts {
        let (lon, lat) = if !pts.is_empty() && rng.chance(0.15) {
            *rng.pick(&pts)
        } else {
            (
                (clon + rng.uniform(-spread, spread)).clamp(-180.0, 180.0),
                (clat + rng.uniform(-spread, spread)).clamp(-85.05112878, 85.05112878),
            )
        };
        pts.push((lon, lat));
        args.push(format!("{lon:.7}"));
        args.push(format!("{lat:.7}"));
        args.push(format!("m{i}"));
    }
    p.both(&args);
    for _ in 0..queries {
        let (unit, conv) = *rng.pick(&UNITS);
        let r = spread * 111_000.0 * rng.pick(&[0.0, 0.01, 0.3, 1.0, 3.0]) / conv;
        let mut from = Vec::new();
        let centre_member = format!("m{}", rng.below(npts as u64));
        let (qlon, qlat) = (
            (clon + rng.uniform(-spread, spread)).clamp(-180.0, 180.0),
            (clat + rng.uniform(-spread, spread)).clamp(-85.0, 85.0),
        );
        let by_member = rng.chance(0.5);
        if by_member {
            from.extend(["FROMMEMBER".to_string(), centre_member.clone()]);
        } else {
            from.extend([
                "FROMLONLAT".to_string(),
                format!("{qlon:.6}"),
                format!("{qlat:.6}"),
            ]);
        }
        let radius = rng.chance(0.5);
        let mut by = Vec::new();
        if radius {
            by.extend(["BYRADIUS".to_string(), format!("{r:.4}"), unit.to_string()]);
        } else {
            by.extend([
                "BYBOX".to_string(),
                format!("{:.4}", r * rng.uniform(0.2, 2.5)),
                format!("{:.4}", r * rng.uniform(0.2, 2.5)),
                unit.to_string(),
            ]);
        }
        let mut opts = Vec::new();
        match rng.below(3) {
            0 => opts.push("ASC".to_string()),
            1 => opts.push("DESC".to_string()),
            _ => {}
        }
        if rng.chance(0.6) {
            opts.extend([
                "COUNT".to_string(),
                rng.pick(&[1, 2, 3, 7, 10, 50, 1000]).to_string(),
            ]);
            if rng.chance(0.3) {
                opts.push("ANY".to_string());
            }
        }
        let mut with = Vec::new();
        for w in ["WITHCOORD", "WITHDIST", "WITHHASH"] {
            if rng.chance(0.5) {
                with.push(w.to_string());
            }
        }
        let mut q = s(&["GEOSEARCH", "g"]);
        q.extend(from.iter().cloned());
        q.extend(by.iter().cloned());
        q.extend(opts.iter().cloned());
        q.extend(with.iter().cloned());
        p.both(&q);
        if radius && rng.chance(0.3) {
            // The legacy form of the same search.
            let mut q = if by_member {
                s(&["GEORADIUSBYMEMBER", "g", &centre_member])
            } else {
                s(&["GEORADIUS_RO", "g", &from[1], &from[2]])
            };
            q.extend(by[1..].iter().cloned());
            q.extend(opts.iter().cloned());
            q.extend(with.iter().cloned());
            p.both(&q);
        }
        if rng.chance(0.25) {
            let mut q = s(&["GEOSEARCHSTORE", "d", "g"]);
            q.extend(from.iter().cloned());
            q.extend(by.iter().cloned());
            q.extend(opts.iter().cloned());
            if rng.chance(0.5) {
                q.push("STOREDIST".to_string());
            }
            p.both(&q);
            p.both(&s(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]));
            p.both(&s(&["OBJECT", "ENCODING", "d"]));
        }
        let a = format!("m{}", rng.below(npts as u64));
        let b = format!("m{}", rng.below(npts as u64));
        p.both(&s(&["GEODIST", "g", &a, &b, unit]));
    }
    let members: Vec<String> = (0..npts).map(|i| format!("m{i}")).collect();
    let mut q = s(&["GEOPOS", "g"]);
    q.extend(members.iter().cloned());
    p.both(&q);
    let mut q = s(&["GEOHASH", "g"]);
    q.extend(members.iter().cloned());
    p.both(&q);
    p.both(&s(&["ZRANGE", "g", "0", "-1", "WITHSCORES"]));
}

#[test]
fn random_searches_match_redis() {
    let Some(mut p) = Pair::start() else { return };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..120 {
        random_round(&mut p, &mut rng, 15);
    }
    // Both encodings: the same rounds with skiplist sets.
    p.line("CONFIG SET zset-max-listpack-entries 8");
    for _ in 0..60 {
        random_round(&mut p, &mut rng, 15);
    }
    assert!(p.commands > 3000, "only {} commands compared", p.commands);
}

/// Many members at a few identical positions: every distance ties, so the
/// reply order is decided by the sort algorithm alone.
#[test]
fn ties_order_as_redis() {
    let Some(mut p) = Pair::start() else { return };
    let mut args = s(&["GEOADD", "t"]);
    for (i, lon) in ["1.5", "1.6", "1.4", "1.55"].iter().enumerate() {
        for j in 0..60 {
            args.extend([lon.to_string(), "2.5".to_string(), format!("p{i}_{j}")]);
        }
    }
    p.both(&args);
    for centre in ["1.5", "1.55", "1.45"] {
        for count in [1, 5, 6, 7, 8, 40, 41, 100, 179, 239, 240, 500] {
            for order in ["ASC", "DESC"] {
                p.line(&format!(
                    "GEOSEARCH t FROMLONLAT {centre} 2.5 BYRADIUS 100 km COUNT {count} {order} WITHDIST"
                ));
                p.line(&format!(
                    "GEORADIUS t {centre} 2.5 100 km COUNT {count} {order} STORE d{count}"
                ));
            }
        }
        p.line(&format!(
            "GEOSEARCH t FROMLONLAT {centre} 2.5 BYRADIUS 100 km ASC"
        ));
        p.line(&format!(
            "GEOSEARCH t FROMLONLAT {centre} 2.5 BYRADIUS 100 km DESC"
        ));
        p.line(&format!(
            "GEOSEARCH t FROMLONLAT {centre} 2.5 BYBOX 100 100 km"
        ));
    }
}

/// Reads published messages on `c` until the keyevent for `end` arrives.
fn drain_events(c: &mut Conn) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let r = c.read_reply();
        let text = escape(&r);
        let done = text.contains("__keyevent@0__:set") && text.contains("end-marker");
        out.push(text);
        if done {
            return out;
        }
    }
}

#[test]
fn keyspace_events_as_redis() {
    let Some(oracle) = ServerProc::start_oracle(&[]) else {
        return;
    };
    let test = ServerProc::start(&[]);
    let script = [
        "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
        "GEOADD g 13.361389 38.115556 Palermo",
        "GEOADD g CH XX 13 38 Palermo 1 1 nope",
        "GEOADD g 200 1 bad",
        "GEOPOS g Palermo",
        "GEODIST g Palermo Catania",
        "GEOHASH g Palermo",
        "GEOSEARCH g FROMMEMBER Palermo BYRADIUS 500 km",
        "GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 500 km",
        "GEOSEARCHSTORE d g FROMMEMBER Palermo BYRADIUS 500 km STOREDIST",
        "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEORADIUS g 15 37 200 km STORE d2",
        "GEORADIUS g 15 37 200 km STOREDIST d2",
        "GEORADIUSBYMEMBER g Palermo 200 km STORE d3",
        "GEORADIUS g 0 0 1 km STORE d3",
        "GEOSEARCHSTORE d2 missing FROMLONLAT 0 0 BYRADIUS 1 km",
        "GEORADIUS missing 0 0 1 km STORE d4",
        "SET end-marker 1",
    ];
    let mut events = Vec::new();
    for sp in [&oracle, &test] {
        let mut sub = sp.conn();
        let mut c = sp.conn();
        c.cmd_str("CONFIG SET notify-keyspace-events KEA");
        sub.cmd_str("PSUBSCRIBE __key*__:*");
        let mut replies = Vec::new();
        for line in script {
            replies.push(escape(&c.cmd_str(line)));
        }
        events.push((replies, drain_events(&mut sub)));
    }
    assert_eq!(events[1].0, events[0].0, "replies differ");
    assert_eq!(events[1].1, events[0].1, "keyspace events differ");
    // The script does fire the events it is meant to check.
    let all = events[0].1.join("\n");
    for ev in ["zadd", "geosearchstore", "georadiusstore", "del"] {
        assert!(
            all.contains(&format!("__keyevent@0__:{ev}")),
            "no {ev} event"
        );
    }
}
