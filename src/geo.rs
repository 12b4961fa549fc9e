//! Geo commands (Redis `geo.c`): GEOADD, GEOPOS, GEODIST, GEOHASH,
//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS(_RO), GEORADIUSBYMEMBER(_RO),
//! on sorted sets scored by 52-bit geohashes.
//!
//! # How it works
//! A geo set is an ordinary sorted set: each member's score is the 52-bit
//! interleaved geohash of its position (see `geohash.rs`). GEOADD turns
//! each `longitude latitude member` triple into `score member` and runs
//! ZADD on the result, exactly as Redis does: the events are ZADD's
//! (`zadd`), and the command is propagated as that ZADD vector.
//!
//! A search (GEOSEARCH and the GEORADIUS family) computes the centre's
//! geohash cell at a step sized to the radius, plus the eight neighbouring
//! cells (those wholly outside the shape's bounding box are dropped), and
//! walks the sorted set's score range of each cell
//! ([`ZSetObj::for_each_in_score_range`]). Every member found is decoded
//! and kept when its haversine distance (BYRADIUS) or its latitude and
//! longitude distances (BYBOX) are within the shape. With `COUNT n ANY`
//! the walk stops after `n` matches. The matches are then ordered by
//! distance when asked (COUNT without ANY implies ASC):
//!
//! - when every match is returned, with a stable sort (what glibc's
//!   `qsort`, a merge sort, gives redis-server);
//! - when COUNT cuts the list, with Redis's partial quicksort (`pqsort`,
//!   Bentley & McIlroy with sub-ranges outside `[0, n-1]` left unsorted),
//!   reproduced step for step in [`pqsort`] so that members at equal
//!   distances come out in the same order as redis-server's.
//!
//! # Reply numbers
//! - Distances (GEODIST, WITHDIST) are bulk strings with four decimals, made
//!   as Redis's `fixedpoint_d2string`: the value times 10^4 rounded
//!   half-to-even to an integer, then printed with the dot inserted.
//! - Coordinates (GEOPOS, WITHCOORD) are Redis's "human long double": the
//!   double widened to `long double` and printed with `%.17Lf`, trailing
//!   zeros removed; a bulk string in RESP2, a RESP3 double (`,`) in RESP3.
//! - WITHHASH is the score converted to a 64-bit integer.
//!
//! Conversions from double to integer follow what the x86-64 code of
//! redis-server does for out-of-range values (the "integer indefinite"
//! `0x8000000000000000`), so scores set by ZADD to odd values decode to the
//! same (clamped) positions as in Redis.
//!
//! # Latency
//! A search visits at most nine score ranges; its cost is the number of
//! members in those cells (O(log n + k) each), then O(k log k) to sort.
//! A radius of thousands of kilometres makes the cells cover the whole set.

use bytes::Bytes;

use crate::commands::Handler;
use crate::db;
use crate::geohash::{
    self, GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, GEO_STEP_MAX, GeoHashBits,
    GeoHashRadius, GeoHashRange, GeoShape, ShapeKind,
};
use crate::networking::Client;
use crate::notify::{NOTIFY_GENERIC, NOTIFY_ZSET, notify_keyspace_event};
use crate::object::{ObjType, Value};
use crate::server::{Server, with_argv};
use crate::shared;
use crate::t_zset::{ZRangeSpec, ZSet, ZSetObj, ZsetLimits, zadd_generic_command};

/// Handlers owned by this module, by command name.
pub static HANDLERS: &[(&str, Handler)] = &[
    ("geoadd", geoadd_command),
    ("geopos", geopos_command),
    ("geodist", geodist_command),
    ("geohash", geohash_command),
    ("georadius", georadius_command),
    ("georadius_ro", georadius_ro_command),
    ("georadiusbymember", georadiusbymember_command),
    ("georadiusbymember_ro", georadiusbymember_ro_command),
    ("geosearch", geosearch_command),
    ("geosearchstore", geosearchstore_command),
];

const ERR_DECODE_MEMBER: &str = "ERR could not decode requested zset member";
const ERR_UNIT: &str = "ERR unsupported unit provided. please use M, KM, FT, MI";

// ---- Numeric helpers ----

/// `(uint64_t)d` as gcc compiles it for x86-64: values below 2^63 through
/// the signed conversion (negative ones wrap, NaN and -inf give
/// `0x8000000000000000`), larger ones offset by 2^63 (+inf gives 0).
pub fn f64_to_u64_x86(d: f64) -> u64 {
    const TWO63: f64 = 9223372036854775808.0;
    if d >= TWO63 {
        (f64_to_i64_x86(d - TWO63) as u64) ^ (1u64 << 63)
    } else {
        f64_to_i64_x86(d) as u64
    }
}

/// `(long long)d` on x86-64 (`cvttsd2si`): truncation, and
/// `i64::MIN` for NaN and values out of range.
pub fn f64_to_i64_x86(d: f64) -> i64 {
    if !(-9223372036854775808.0..9223372036854775808.0).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C `llrint` on x86-64: round half to even, `i64::MIN` when out of range.
fn llrint(d: f64) -> i64 {
    f64_to_i64_x86(d.round_ties_even())
}

/// A distance with four decimals (Redis `fixedpoint_d2string(.., 4)`,
/// used by `addReplyDoubleDistance`): "0.0000" for zero, else the value
/// times 10^4 rounded half-to-even to an integer, printed with the dot
/// four digits from the right.
pub fn fixedpoint_4(d: f64) -> String {
    if d == 0.0 {
        return "0.0000".to_string();
    }
    let sv = llrint(d * 10000.0);
    let neg = sv < 0;
    let v = sv.unsigned_abs();
    format!(
        "{}{}.{:04}",
        if neg { "-" } else { "" },
        v / 10000,
        v % 10000
    )
}

/// Replies a distance as a bulk string with four decimals, in RESP2 and
/// RESP3 alike (Redis `addReplyDoubleDistance`).
fn add_reply_double_distance(c: &mut Client, d: f64) {
    c.add_reply_bulk(fixedpoint_4(d).as_bytes());
}

/// Replies a coordinate (Redis `addReplyHumanLongDouble`): a bulk string
/// in RESP2, a double in RESP3, formatted `%.17Lf` without trailing zeros.
fn add_reply_human_long_double(c: &mut Client, d: f64) {
    let s = crate::util::d2string_human(d);
    if c.resp >= 3 {
        let mut out = Vec::with_capacity(s.len() + 3);
        out.push(b',');
        out.extend_from_slice(&s);
        out.extend_from_slice(b"\r\n");
        c.add_reply_raw(&out);
    } else {
        c.add_reply_bulk(&s);
    }
}

/// The position (longitude, latitude) encoded in a score (Redis
/// `decodeGeohash`): the score is converted to 64 bits as C does and read
/// as a step-26 hash.
pub fn decode_geohash(score: f64) -> Option<[f64; 2]> {
    geohash::decode_to_long_lat_wgs84(GeoHashBits {
        bits: f64_to_u64_x86(score),
        step: GEO_STEP_MAX,
    })
}

/// The 52-bit score of a valid position (GEOADD's encoding).
pub fn geo_score(lon: f64, lat: f64) -> u64 {
    geohash::encode_wgs84(lon, lat, GEO_STEP_MAX).map_or(0, geohash::align_52bits)
}

// ---- Argument helpers ----

/// Parses a double with Redis's `getDoubleFromObjectOrReply` rules;
/// replies `ERR <msg>` (default "ERR value is not a valid float").
fn get_double_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<f64> {
    let v = crate::util::string2d(arg);
    if v.is_none() {
        match msg {
            Some(m) => c.add_reply_error(&format!("ERR {m}")),
            None => c.add_reply_error(shared::err_not_float()),
        }
    }
    v
}

/// Reads `longitude latitude` from `args[0..2]` (Redis
/// `extractLongLatOrReply`). Errors: "ERR value is not a valid float",
/// "ERR invalid longitude,latitude pair %f,%f" outside the WGS-84 limits.
fn extract_long_lat_or_reply(c: &mut Client, args: &[Bytes]) -> Option<[f64; 2]> {
    let lon = get_double_or_reply(c, &args[0], None)?;
    let lat = get_double_or_reply(c, &args[1], None)?;
    if !(GEO_LONG_MIN..=GEO_LONG_MAX).contains(&lon) || !(GEO_LAT_MIN..=GEO_LAT_MAX).contains(&lat)
    {
        c.add_reply_error(&format!(
            "ERR invalid longitude,latitude pair {:.6},{:.6}",
            lon, lat
        ));
        return None;
    }
    Some([lon, lat])
}

/// The factor from a unit (m, km, ft, mi; any case) to meters (Redis
/// `extractUnitOrReply`). Error: "ERR unsupported unit provided. please
/// use M, KM, FT, MI".
fn extract_unit_or_reply(c: &mut Client, unit: &[u8]) -> Option<f64> {
    let f = if unit.eq_ignore_ascii_case(b"m") {
        1.0
    } else if unit.eq_ignore_ascii_case(b"km") {
        1000.0
    } else if unit.eq_ignore_ascii_case(b"ft") {
        0.3048
    } else if unit.eq_ignore_ascii_case(b"mi") {
        1609.34
    } else {
        c.add_reply_error(ERR_UNIT);
        return None;
    };
    Some(f)
}

/// Reads `radius unit` (Redis `extractDistanceOrReply`): (conversion,
/// radius). Errors: "ERR need numeric radius", "ERR radius cannot be
/// negative", the unit error.
fn extract_distance_or_reply(c: &mut Client, args: &[Bytes]) -> Option<(f64, f64)> {
    let d = get_double_or_reply(c, &args[0], Some("need numeric radius"))?;
    if d < 0.0 {
        c.add_reply_error("ERR radius cannot be negative");
        return None;
    }
    let conv = extract_unit_or_reply(c, &args[1])?;
    Some((conv, d))
}

/// Reads `width height unit` (Redis `extractBoxOrReply`): (conversion,
/// width, height). Errors: "ERR need numeric width", "ERR need numeric
/// height", "ERR height or width cannot be negative", the unit error.
fn extract_box_or_reply(c: &mut Client, args: &[Bytes]) -> Option<(f64, f64, f64)> {
    let w = get_double_or_reply(c, &args[0], Some("need numeric width"))?;
    let h = get_double_or_reply(c, &args[1], Some("need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        c.add_reply_error("ERR height or width cannot be negative");
        return None;
    }
    let conv = extract_unit_or_reply(c, &args[2])?;
    Some((conv, w, h))
}

/// Looks `key` up for reading: Ok(None) when missing, Err(()) after
/// replying WRONGTYPE.
fn lookup_zset_read<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Result<Option<&'a ZSetObj>, ()> {
    let dbid = c.db;
    match db::lookup_key_read(srv, dbid, key) {
        None => Ok(None),
        Some(o) => {
            if db::check_type(c, o, ObjType::ZSet) {
                return Err(());
            }
            match &o.v {
                Value::ZSet(z) => Ok(Some(z)),
                _ => Err(()),
            }
        }
    }
}

// ---- Searching ----

/// One search match (Redis `geoPoint`).
#[derive(Clone, Debug, PartialEq)]
pub struct GeoPoint {
    pub longitude: f64,
    pub latitude: f64,
    /// Meters from the centre (divided by the unit's factor before replying).
    pub dist: f64,
    pub score: f64,
    pub member: Vec<u8>,
}

/// If the position in `score` lies in `shape`, its position and distance
/// from the centre in meters (Redis `geoWithinShape`).
fn geo_within_shape(shape: &GeoShape, score: f64) -> Option<([f64; 2], f64)> {
    let xy = decode_geohash(score)?;
    let d = match shape.kind {
        ShapeKind::Circular { radius } => geohash::get_distance_if_in_radius(
            shape.xy[0],
            shape.xy[1],
            xy[0],
            xy[1],
            radius * shape.conversion,
        )?,
        ShapeKind::Rectangle { width, height } => geohash::get_distance_if_in_rectangle(
            width * shape.conversion,
            height * shape.conversion,
            shape.xy[0],
            shape.xy[1],
            xy[0],
            xy[1],
        )?,
    };
    Some((xy, d))
}

/// Appends the members with `min <= score < max` that lie in `shape`,
/// stopping once `ga` holds `limit` points (0: no limit). Returns how many
/// were added (Redis `geoGetPointsInRange`).
fn geo_get_points_in_range(
    z: &ZSetObj,
    min: f64,
    max: f64,
    shape: &GeoShape,
    ga: &mut Vec<GeoPoint>,
    limit: usize,
) -> usize {
    let range = ZRangeSpec {
        min,
        max,
        minex: false,
        maxex: true,
    };
    let before = ga.len();
    z.for_each_in_score_range(&range, |member, score| {
        if let Some((xy, dist)) = geo_within_shape(shape, score) {
            ga.push(GeoPoint {
                longitude: xy[0],
                latitude: xy[1],
                dist,
                score,
                member: member.to_vec(),
            });
        }
        !(limit != 0 && ga.len() >= limit)
    });
    ga.len() - before
}

/// Appends the matching members of one cell (Redis `membersOfGeoHashBox`):
/// the cell's scores are `[align(hash), align(hash + 1))`.
fn members_of_geohash_box(
    z: &ZSetObj,
    hash: GeoHashBits,
    ga: &mut Vec<GeoPoint>,
    shape: &GeoShape,
    limit: usize,
) -> usize {
    let min = geohash::align_52bits(hash);
    let max = geohash::align_52bits(GeoHashBits {
        bits: hash.bits.wrapping_add(1),
        step: hash.step,
    });
    geo_get_points_in_range(z, min as f64, max as f64, shape, ga, limit)
}

/// Searches the centre cell and its neighbours, in Redis's order (centre,
/// N, S, E, W, NE, NW, SE, SW), skipping zeroed cells and a cell equal to
/// the last one searched after the first (Redis `membersOfAllNeighbors`).
fn members_of_all_neighbors(
    z: &ZSetObj,
    n: &GeoHashRadius,
    shape: &GeoShape,
    ga: &mut Vec<GeoPoint>,
    limit: usize,
) -> usize {
    let nb = &n.neighbors;
    let cells = [
        n.hash,
        nb.north,
        nb.south,
        nb.east,
        nb.west,
        nb.north_east,
        nb.north_west,
        nb.south_east,
        nb.south_west,
    ];
    let mut count = 0;
    let mut last_processed = 0usize;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Redis compares with the last processed cell only once that is
        // not the centre (its index 0 doubles as "none yet").
        if last_processed != 0 && *cell == cells[last_processed] {
            continue;
        }
        if !ga.is_empty() && limit != 0 && ga.len() >= limit {
            break;
        }
        count += members_of_geohash_box(z, *cell, ga, shape, limit);
        last_processed = i;
    }
    count
}

/// Ascending distance order as Redis's `sort_gp_asc`: 1, 0 or -1.
fn sort_gp_asc(a: &GeoPoint, b: &GeoPoint) -> i32 {
    if a.dist > b.dist {
        1
    } else if a.dist == b.dist {
        0
    } else {
        -1
    }
}

/// Median of three by `cmp` (Bentley & McIlroy's `med3`).
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> i32) -> usize {
    if cmp(&v[a], &v[b]) < 0 {
        if cmp(&v[b], &v[c]) < 0 {
            b
        } else if cmp(&v[a], &v[c]) < 0 {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) > 0 {
        b
    } else if cmp(&v[a], &v[c]) < 0 {
        a
    } else {
        c
    }
}

/// Swaps `n` consecutive elements at `a` with those at `b`, front to back.
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// Partial quicksort (Redis `pqsort`): after it, positions `lo..=hi` of
/// `v` hold the elements a full sort would put there, in order; the rest
/// is partitioned but not necessarily sorted. It is Bentley & McIlroy's
/// "Engineering a Sort Function" quicksort (insertion sort below 7
/// elements, median of three or ninther pivots, three-way partitioning)
/// that skips partitions not overlapping `lo..=hi`. The same sequence of
/// comparisons and swaps as Redis's, so ties end up in the same places.
pub fn pqsort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> i32, lo: usize, hi: usize) {
    pqsort_part(v, 0, v.len(), cmp, lo, hi);
}

/// True when the elements `start..start+n` overlap `lo..=hi`.
fn overlaps(start: usize, n: usize, lo: usize, hi: usize) -> bool {
    let end = start + n - 1;
    !((lo < start && hi < start) || (lo > end && hi > end))
}

fn pqsort_part<T>(
    v: &mut [T],
    mut base: usize,
    mut n: usize,
    cmp: &impl Fn(&T, &T) -> i32,
    lo: usize,
    hi: usize,
) {
    loop {
        if n < 7 {
            for m in base + 1..base + n {
                let mut l = m;
                while l > base && cmp(&v[l - 1], &v[l]) > 0 {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        let mut pm = base + n / 2;
        if n > 7 {
            let mut pl = base;
            let mut pn = base + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(base, pm);
        let mut pa = base + 1;
        let mut pb = pa;
        let mut pc = base + n - 1;
        let mut pd = pc;
        loop {
            while pb <= pc {
                let r = cmp(&v[pb], &v[base]);
                if r > 0 {
                    break;
                }
                if r == 0 {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let r = cmp(&v[pc], &v[base]);
                if r < 0 {
                    break;
                }
                if r == 0 {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = base + n;
        let r = (pa - base).min(pb - pa);
        vecswap(v, base, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        vecswap(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && overlaps(base, r, lo, hi) {
            pqsort_part(v, base, r, cmp, lo, hi);
        }
        let r = pd - pc;
        if r > 1 {
            base = pn - r;
            n = r;
            if overlaps(base, n, lo, hi) {
                continue;
            }
        }
        return;
    }
}

// ---- Commands ----

/// GEOADD key [NX|XX] \[CH\] longitude latitude member [...] → integer:
/// members added (added or updated with CH). Runs ZADD with each position
/// turned into its 52-bit score, and propagates that ZADD. Errors: "ERR
/// syntax error" (triples incomplete, or NX and XX), "ERR value is not a
/// valid float", "ERR invalid longitude,latitude pair %f,%f", WRONGTYPE.
/// Event: `zadd`.
pub fn geoadd_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let (mut nx, mut xx) = (false, false);
        let mut longidx = 2;
        while longidx < argv.len() {
            let opt = &argv[longidx][..];
            if opt.eq_ignore_ascii_case(b"nx") {
                nx = true;
            } else if opt.eq_ignore_ascii_case(b"xx") {
                xx = true;
            } else if !opt.eq_ignore_ascii_case(b"ch") {
                break;
            }
            longidx += 1;
        }
        if !(argv.len() - longidx).is_multiple_of(3) || (xx && nx) {
            return c.add_reply_error(shared::err_syntax());
        }
        let elements = (argv.len() - longidx) / 3;
        let mut zargv: Vec<Bytes> = Vec::with_capacity(longidx + elements * 2);
        zargv.push(Bytes::from_static(b"zadd"));
        zargv.extend(argv[1..longidx].iter().cloned());
        for i in 0..elements {
            let at = longidx + i * 3;
            let Some(xy) = extract_long_lat_or_reply(c, &argv[at..at + 2]) else {
                return;
            };
            let mut b = itoa::Buffer::new();
            zargv.push(Bytes::copy_from_slice(
                b.format(geo_score(xy[0], xy[1])).as_bytes(),
            ));
            zargv.push(argv[at + 2].clone());
        }
        if crate::server::propagating(srv) {
            c.rewrite_command_vector(zargv.clone());
        }
        zadd_generic_command(srv, c, &zargv, 0);
    });
}

/// Which command runs [`georadius_generic`] (Redis's `RADIUS_*` /
/// `GEOSEARCH*` flags).
const RADIUS_COORDS: u32 = 1 << 0;
const RADIUS_MEMBER: u32 = 1 << 1;
const RADIUS_NOSTORE: u32 = 1 << 2;
const GEOSEARCH: u32 = 1 << 3;
const GEOSEARCHSTORE: u32 = 1 << 4;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// The common body of every search command (Redis `georadiusGeneric`);
/// `src` is the index of the source key.
fn georadius_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], src: usize, flags: u32) {
    let dbid = c.db;
    let Ok(zobj) = lookup_zset_read(srv, c, &argv[src]) else {
        return;
    };
    let mut storekey: Option<&[u8]> = None;
    let mut storedist = false;
    let mut xy = [0.0f64; 2];
    let mut kind = ShapeKind::Circular { radius: 0.0 };
    let mut conversion = 0.0;
    let base_args;
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        let Some(p) = extract_long_lat_or_reply(c, &argv[2..4]) else {
            return;
        };
        xy = p;
        let Some((conv, r)) = extract_distance_or_reply(c, &argv[base_args - 2..]) else {
            return;
        };
        conversion = conv;
        kind = ShapeKind::Circular { radius: r };
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        // Without a source key the arguments are still parsed, to choose
        // the reply (0 for STORE, else an empty array).
        if let Some(z) = zobj {
            let Some(p) = z.score(&argv[2]).and_then(decode_geohash) else {
                return c.add_reply_error(ERR_DECODE_MEMBER);
            };
            xy = p;
            let Some((conv, r)) = extract_distance_or_reply(c, &argv[base_args - 2..]) else {
                return;
            };
            conversion = conv;
            kind = ShapeKind::Circular { radius: r };
        }
    } else {
        base_args = if flags & GEOSEARCHSTORE != 0 {
            storekey = Some(&argv[1][..]);
            3
        } else {
            2
        };
    }

    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let remaining = argv.len().saturating_sub(base_args);
    let mut i = 0;
    while i < remaining {
        let arg = &argv[base_args + i][..];
        let more = |k: usize| i + k < remaining;
        let is = |s: &[u8]| arg.eq_ignore_ascii_case(s);
        if is(b"withdist") {
            withdist = true;
        } else if is(b"withhash") {
            withhash = true;
        } else if is(b"withcoord") {
            withcoords = true;
        } else if is(b"any") {
            any = true;
        } else if is(b"asc") {
            sort = Sort::Asc;
        } else if is(b"desc") {
            sort = Sort::Desc;
        } else if is(b"count") && more(1) {
            let Some(n) = db::get_long_long_or_reply(c, &argv[base_args + i + 1], None) else {
                return;
            };
            if n <= 0 {
                return c.add_reply_error("ERR COUNT must be > 0");
            }
            count = n;
            i += 1;
        } else if (is(b"store") || is(b"storedist"))
            && more(1)
            && flags & (RADIUS_NOSTORE | GEOSEARCH) == 0
        {
            storekey = Some(&argv[base_args + i + 1][..]);
            storedist = is(b"storedist");
            i += 1;
        } else if is(b"storedist") && flags & GEOSEARCH != 0 && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if is(b"frommember") && more(1) && flags & GEOSEARCH != 0 && !fromloc {
            if let Some(z) = zobj {
                let Some(p) = z.score(&argv[base_args + i + 1]).and_then(decode_geohash) else {
                    return c.add_reply_error(ERR_DECODE_MEMBER);
                };
                xy = p;
            }
            frommember = true;
            i += 1;
        } else if is(b"fromlonlat") && more(2) && flags & GEOSEARCH != 0 && !frommember {
            let at = base_args + i + 1;
            let Some(p) = extract_long_lat_or_reply(c, &argv[at..at + 2]) else {
                return;
            };
            xy = p;
            fromloc = true;
            i += 2;
        } else if is(b"byradius") && more(2) && flags & GEOSEARCH != 0 && !bybox {
            let at = base_args + i + 1;
            let Some((conv, r)) = extract_distance_or_reply(c, &argv[at..at + 2]) else {
                return;
            };
            conversion = conv;
            kind = ShapeKind::Circular { radius: r };
            byradius = true;
            i += 2;
        } else if is(b"bybox") && more(3) && flags & GEOSEARCH != 0 && !byradius {
            let at = base_args + i + 1;
            let Some((conv, w, h)) = extract_box_or_reply(c, &argv[at..at + 3]) else {
                return;
            };
            conversion = conv;
            kind = ShapeKind::Rectangle {
                width: w,
                height: h,
            };
            bybox = true;
            i += 3;
        } else {
            return c.add_reply_error(shared::err_syntax());
        }
        i += 1;
    }

    if storekey.is_some() && (withdist || withhash || withcoords) {
        return c.add_reply_error(&format!(
            "ERR {} is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
            if flags & GEOSEARCHSTORE != 0 {
                "GEOSEARCHSTORE"
            } else {
                "STORE option in GEORADIUS"
            }
        ));
    }
    let name = String::from_utf8_lossy(&argv[0]);
    if flags & GEOSEARCH != 0 && !(frommember || fromloc) {
        return c.add_reply_error(&format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        ));
    }
    if flags & GEOSEARCH != 0 && !(byradius || bybox) {
        return c.add_reply_error(&format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        ));
    }
    if any && count == 0 {
        return c.add_reply_error("ERR the ANY argument requires COUNT argument");
    }

    let Some(z) = zobj else {
        match storekey {
            Some(dst) => {
                if db::db_delete(srv, dbid, dst) {
                    db::signal_modified_key(srv, dbid, dst);
                    notify_keyspace_event(srv, NOTIFY_GENERIC, "del", dst, dbid);
                    srv.dirty += 1;
                }
                c.add_reply_long_long(0);
            }
            None => c.add_reply_array_len(0),
        }
        return;
    };

    // COUNT without ANY needs the nearest ones: ascending by default.
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }

    let mut shape = GeoShape {
        xy,
        kind,
        conversion,
        bounds: [0.0; 4],
    };
    let areas = geohash::calculate_areas_by_shape(&mut shape);
    let mut ga: Vec<GeoPoint> = Vec::new();
    let limit = if any { count as usize } else { 0 };
    members_of_all_neighbors(z, &areas, &shape, &mut ga, limit);

    if ga.is_empty() && storekey.is_none() {
        return c.add_reply_array_len(0);
    }
    let result_length = ga.len();
    let returned = if count == 0 || (result_length as i64) < count {
        result_length
    } else {
        count as usize
    };

    if sort != Sort::None {
        let desc = sort == Sort::Desc;
        let cmp = |a: &GeoPoint, b: &GeoPoint| {
            let r = sort_gp_asc(a, b);
            if desc { -r } else { r }
        };
        if returned == result_length {
            // glibc's qsort is a (stable) merge sort.
            ga.sort_by(|a, b| cmp(a, b).cmp(&0));
        } else {
            pqsort(&mut ga, &cmp, 0, returned - 1);
        }
    }
    ga.truncate(returned);

    let Some(dst) = storekey else {
        let option_length = withdist as usize + withcoords as usize + withhash as usize;
        c.add_reply_array_len(returned);
        for gp in &ga {
            let dist = gp.dist / shape.conversion;
            if option_length > 0 {
                c.add_reply_array_len(option_length + 1);
            }
            c.add_reply_bulk(&gp.member);
            if withdist {
                add_reply_double_distance(c, dist);
            }
            if withhash {
                c.add_reply_long_long(f64_to_i64_x86(gp.score));
            }
            if withcoords {
                c.add_reply_array_len(2);
                add_reply_human_long_double(c, gp.longitude);
                add_reply_human_long_double(c, gp.latitude);
            }
        }
        return;
    };

    if returned > 0 {
        let mut zs = ZSet::with_capacity(returned);
        let (mut maxelelen, mut totelelen) = (0usize, 0usize);
        for gp in &ga {
            let dist = gp.dist / shape.conversion;
            let score = if storedist { dist } else { gp.score };
            maxelelen = maxelelen.max(gp.member.len());
            totelelen += gp.member.len();
            zs.insert(score, &gp.member);
        }
        let mut zobj = ZSetObj::Skiplist(Box::new(zs));
        zobj.convert_to_listpack_if_needed(
            maxelelen,
            totelelen,
            &ZsetLimits::from_config(&srv.config),
        );
        db::set_key(srv, dbid, dst, Value::ZSet(zobj), false);
        let event = if flags & GEOSEARCH != 0 {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        notify_keyspace_event(srv, NOTIFY_ZSET, event, dst, dbid);
        srv.dirty += returned as i64;
    } else if db::db_delete(srv, dbid, dst) {
        db::signal_modified_key(srv, dbid, dst);
        notify_keyspace_event(srv, NOTIFY_GENERIC, "del", dst, dbid);
        srv.dirty += 1;
    }
    c.add_reply_long_long(returned as i64);
}

/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD]
/// [WITHDIST] [WITHHASH] [COUNT n [ANY]] [ASC|DESC] [STORE key]
/// [STOREDIST key] → array of members (or `[member, dist?, hash?,
/// [lon, lat]?]`), or with STORE/STOREDIST the number stored. Errors as
/// [`geosearch_command`], plus "ERR STORE option in GEORADIUS is not
/// compatible with WITHDIST, WITHHASH and WITHCOORD options". Event with
/// STORE: `georadiusstore` (or `del` when nothing matched).
pub fn georadius_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        georadius_generic(srv, c, argv, 1, RADIUS_COORDS)
    });
}

/// GEORADIUS_RO: GEORADIUS without STORE / STOREDIST.
pub fn georadius_ro_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        georadius_generic(srv, c, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE)
    });
}

/// GEORADIUSBYMEMBER key member radius unit [options as GEORADIUS]: the
/// centre is the member's position. Error: "ERR could not decode
/// requested zset member" when it is missing.
pub fn georadiusbymember_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        georadius_generic(srv, c, argv, 1, RADIUS_MEMBER)
    });
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE / STOREDIST.
pub fn georadiusbymember_ro_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        georadius_generic(srv, c, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE)
    });
}

/// GEOSEARCH key FROMMEMBER member|FROMLONLAT lon lat BYRADIUS r unit|BYBOX
/// w h unit [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH] →
/// array as GEORADIUS. Errors: "ERR syntax error", "ERR exactly one of
/// FROMMEMBER or FROMLONLAT can be specified for <cmd>", "ERR exactly one
/// of BYRADIUS and BYBOX can be specified for <cmd>", "ERR the ANY argument
/// requires COUNT argument", "ERR COUNT must be > 0", "ERR need numeric
/// radius|width|height", "ERR radius cannot be negative", "ERR height or
/// width cannot be negative", the unit error, "ERR could not decode
/// requested zset member", WRONGTYPE.
pub fn geosearch_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        georadius_generic(srv, c, argv, 1, GEOSEARCH)
    });
}

/// GEOSEARCHSTORE dst src [GEOSEARCH options] \[STOREDIST\] → integer:
/// members stored at `dst` (scores: geohashes, or distances with
/// STOREDIST); `dst` is deleted when nothing matches. Event:
/// `geosearchstore` (or `del`).
pub fn geosearchstore_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        georadius_generic(srv, c, argv, 2, GEOSEARCH | GEOSEARCHSTORE)
    });
}

/// GEOHASH key member [member ...] → array of 11-character standard
/// geohashes (null for missing members): the position is decoded and
/// re-encoded with the standard latitude range -90..90.
pub fn geohash_command(srv: &mut Server, c: &mut Client) {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    with_argv(srv, c, |srv, c, argv| {
        let Ok(zobj) = lookup_zset_read(srv, c, &argv[1]) else {
            return;
        };
        c.add_reply_array_len(argv.len() - 2);
        for m in &argv[2..] {
            let Some(xy) = zobj.and_then(|z| z.score(m)).and_then(decode_geohash) else {
                c.add_reply_null();
                continue;
            };
            let lon = GeoHashRange {
                min: -180.0,
                max: 180.0,
            };
            let lat = GeoHashRange {
                min: -90.0,
                max: 90.0,
            };
            let bits = geohash::encode(&lon, &lat, xy[0], xy[1], 26).map_or(0, |h| h.bits);
            let mut buf = [0u8; 11];
            for (i, ch) in buf.iter_mut().enumerate() {
                let idx = if i == 10 {
                    0
                } else {
                    ((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize
                };
                *ch = ALPHABET[idx];
            }
            c.add_reply_bulk(&buf);
        }
    });
}

/// GEOPOS key member [member ...] → array of `[longitude, latitude]`
/// (null array for missing members).
pub fn geopos_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let Ok(zobj) = lookup_zset_read(srv, c, &argv[1]) else {
            return;
        };
        c.add_reply_array_len(argv.len() - 2);
        for m in &argv[2..] {
            match zobj.and_then(|z| z.score(m)).and_then(decode_geohash) {
                Some(xy) => {
                    c.add_reply_array_len(2);
                    add_reply_human_long_double(c, xy[0]);
                    add_reply_human_long_double(c, xy[1]);
                }
                None => c.add_reply_null_array(),
            }
        }
    });
}

/// GEODIST key member1 member2 [M|KM|FT|MI] → bulk string distance with
/// four decimals, or null when the key or a member is missing. Errors:
/// "ERR syntax error" (extra arguments), the unit error, WRONGTYPE.
pub fn geodist_command(srv: &mut Server, c: &mut Client) {
    with_argv(srv, c, |srv, c, argv| {
        let mut to_meter = 1.0;
        if argv.len() == 5 {
            let Some(f) = extract_unit_or_reply(c, &argv[4]) else {
                return;
            };
            to_meter = f;
        } else if argv.len() > 5 {
            return c.add_reply_error(shared::err_syntax());
        }
        let z = match lookup_zset_read(srv, c, &argv[1]) {
            Err(()) => return,
            Ok(None) => return c.add_reply_null(),
            Ok(Some(z)) => z,
        };
        let (Some(s1), Some(s2)) = (z.score(&argv[2]), z.score(&argv[3])) else {
            return c.add_reply_null();
        };
        match (decode_geohash(s1), decode_geohash(s2)) {
            (Some(a), Some(b)) => add_reply_double_distance(
                c,
                geohash::get_distance(a[0], a[1], b[0], b[1]) / to_meter,
            ),
            _ => c.add_reply_null(),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixedpoint() {
        assert_eq!(fixedpoint_4(0.0), "0.0000");
        assert_eq!(fixedpoint_4(-0.0), "0.0000");
        assert_eq!(fixedpoint_4(166274.1516), "166274.1516");
        assert_eq!(fixedpoint_4(0.00004), "0.0000");
        assert_eq!(fixedpoint_4(1.5), "1.5000");
        assert_eq!(fixedpoint_4(-0.0003), "-0.0003");
        assert_eq!(fixedpoint_4(f64::NAN), "-922337203685477.5808");
    }

    #[test]
    fn x86_conversions() {
        assert_eq!(f64_to_u64_x86(-1.0), u64::MAX);
        assert_eq!(f64_to_u64_x86(f64::NAN), 1 << 63);
        assert_eq!(f64_to_u64_x86(f64::INFINITY), 0);
        assert_eq!(f64_to_u64_x86(1e19), 10_000_000_000_000_000_000);
        assert_eq!(f64_to_i64_x86(1e300), i64::MIN);
        assert_eq!(f64_to_i64_x86(-2.9), -2);
    }

    #[test]
    fn pqsort_sorts_requested_range() {
        let mut seed = 12345u64;
        for n in [1usize, 5, 7, 8, 40, 41, 100, 500] {
            let mut v: Vec<(u32, usize)> = (0..n)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ((seed % 10) as u32, i)
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort();
            let hi = n / 3;
            pqsort(
                &mut v,
                &|a: &(u32, usize), b: &(u32, usize)| a.0.cmp(&b.0) as i32,
                0,
                hi,
            );
            for k in 0..=hi {
                assert_eq!(v[k].0, sorted[k].0, "n={n} k={k}");
            }
        }
    }
}
