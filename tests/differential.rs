//! Differential tests: the same commands go to the binary under test and to
//! the reference redis-server 7.0.15 (the oracle), and the raw reply bytes
//! must be identical, errors and RESP3 included.
//!
//! # Scripts (`tests/diff/*.txt`)
//!
//! Each line is a command quoted as redis-cli would (see
//! `common::split_args`); blank lines and lines starting with `#` are
//! ignored. Every file runs against a fresh pair of servers, on fresh
//! connections, after `FLUSHALL`. A reply mismatch is reported with
//! `file:line`, the command and both replies, escaped. `HELLO 3` switches
//! the current connection to RESP3 on both sides, and from then on RESP3
//! replies are compared byte for byte as well.
//!
//! Some replies legitimately differ between two servers (ids, clocks, hash
//! order). A directive in front of the command chooses how to compare:
//!
//! | directive | meaning |
//! |---|---|
//! | `@shape CMD` | compare only the RESP structure: types, aggregate lengths, null-ness and the first word of errors |
//! | `@sorted CMD` | sort the elements of the (flat) aggregate reply before comparing (KEYS, SMEMBERS) |
//! | `@sortedpairs CMD` | sort a flat key/value array or a map by pair (CONFIG GET) |
//! | `@maskint CMD` | mask an integer that follows an `id` element in any aggregate, and a top-level integer reply (HELLO, CLIENT ID) |
//! | `@maskms CMD` | mask every integer that reads as a unix time in ms (10^12 to 10^13: XINFO delivery and seen times), at any depth |
//! | `@maskkeys K1,K2 CMD` | like `@sortedpairs`, with the values of keys K1, K2 masked (`CONFIG GET *`: dir, port, logfile) |
//! | `@sortedsub CMD` | COMMAND INFO: sort each entry's subcommand list (its order is the server's hash order) |
//! | `@approx CMD` | non-negative integers may differ by 1 (by 1000 for commands starting with P: PTTL, PEXPIRETIME); negative ones must be equal |
//! | `@scanall ARGS` | run `SCAN cursor ARGS` from 0 until the cursor is 0 again on each server and compare the sorted union; `@scanall SSCAN key ARGS`, `HSCAN`, `ZSCAN` work too |
//! | `@sleep MS` | pause |
//! | `@conn N` | switch to connection N (opened on first use; the default is 1) |
//! | `@inline TEXT` | send `TEXT\r\n` as an inline command and compare the reply |
//! | `@raw QUOTED` | send the bytes of the quoted string(s) and compare one reply |
//! | `@send QUOTED` | send the bytes without reading a reply |
//! | `@read` | read one more reply from both and compare (after a `@raw` or `@send` holding several commands) |
//! | `@noreply CMD` | send a command without reading a reply (CLIENT REPLY OFF/SKIP) |
//! | `@eof` | both servers must agree on whether they closed the connection; the connection is then dropped |
//!
//! Set `DIFF_FILE=name` to run only the files whose name contains `name`,
//! and `DIFF_TRACE=1` to print every command with the oracle's reply.
//!
//! # Random stream
//!
//! A seeded xorshift generator produces commands over the implemented
//! families (keyspace, strings, connection) with ten keys `k0`..`k9`, values
//! that look like integers and floats (and edge cases: empty, huge, NaN,
//! inf, spaces), valid and invalid options, negative and huge numbers. TTLs
//! are either large, absolute, or already expired, and GT/LT only come with
//! absolute times, so no reply depends on how many milliseconds passed.
//! Each seed's stream is also switched to RESP3 and back at random. On a
//! mismatch the seed, the command index, the last commands and both
//! replies are printed; `DIFF_SEED=S DIFF_COUNT=N` replays one seed.

mod common;

use common::{Conn, ServerProc, escape, split_args, try_split_args};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Extra arguments given to both servers.
const SERVER_ARGS: &[&str] = &["--enable-debug-command", "yes"];
/// At most this many mismatches are reported by the script test.
const MAX_REPORTED: usize = 60;

// ---- Reply trees ----

/// A parsed reply, used only to normalize replies before comparing them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    /// `+ - : , # _ (`: type byte and the line content.
    Line(u8, Vec<u8>),
    /// `$ = !`: type byte and payload; `None` for a null bulk.
    Bulk(u8, Option<Vec<u8>>),
    /// `* % ~ >`: type byte and flat children (a map holds 2n children);
    /// `None` for a null array.
    Agg(u8, Option<Vec<Node>>),
    /// `|`: attribute pairs, then the annotated reply.
    Attr(Vec<Node>, Box<Node>),
}

fn read_line(b: &[u8], pos: usize) -> Result<(Vec<u8>, usize), String> {
    let mut i = pos;
    while i + 1 < b.len() {
        if b[i] == b'\r' && b[i + 1] == b'\n' {
            return Ok((b[pos..i].to_vec(), i + 2));
        }
        i += 1;
    }
    Err(format!("unterminated line in {}", escape(b)))
}

fn to_int(v: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad integer {}", escape(v)))
}

/// Parses one reply starting at `pos`; returns the node and its end.
fn parse_node(b: &[u8], pos: usize) -> Result<(Node, usize), String> {
    let t = *b.get(pos).ok_or("empty reply")?;
    let (line, next) = read_line(b, pos + 1)?;
    match t {
        b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => Ok((Node::Line(t, line), next)),
        b'$' | b'=' | b'!' => {
            let n = to_int(&line)?;
            if n < 0 {
                return Ok((Node::Bulk(t, None), next));
            }
            let end = next + n as usize;
            let payload = b.get(next..end).ok_or("short bulk")?.to_vec();
            Ok((Node::Bulk(t, Some(payload)), end + 2))
        }
        b'*' | b'%' | b'~' | b'>' | b'|' => {
            let n = to_int(&line)?;
            if n < 0 {
                return Ok((Node::Agg(t, None), next));
            }
            let count = if t == b'%' || t == b'|' { 2 * n } else { n };
            let mut kids = Vec::with_capacity(count as usize);
            let mut p = next;
            for _ in 0..count {
                let (k, e) = parse_node(b, p)?;
                kids.push(k);
                p = e;
            }
            if t == b'|' {
                let (real, e) = parse_node(b, p)?;
                return Ok((Node::Attr(kids, Box::new(real)), e));
            }
            Ok((Node::Agg(t, Some(kids)), p))
        }
        _ => Err(format!("unknown type byte in {}", escape(b))),
    }
}

fn parse(b: &[u8]) -> Result<Node, String> {
    parse_node(b, 0).map(|(n, _)| n)
}

/// Serializes a node back to RESP bytes.
fn ser(n: &Node, out: &mut Vec<u8>) {
    match n {
        Node::Line(t, l) => {
            out.push(*t);
            out.extend_from_slice(l);
            out.extend_from_slice(b"\r\n");
        }
        Node::Bulk(t, None) => {
            out.push(*t);
            out.extend_from_slice(b"-1\r\n");
        }
        Node::Bulk(t, Some(p)) => {
            out.push(*t);
            out.extend_from_slice(format!("{}\r\n", p.len()).as_bytes());
            out.extend_from_slice(p);
            out.extend_from_slice(b"\r\n");
        }
        Node::Agg(t, None) => {
            out.push(*t);
            out.extend_from_slice(b"-1\r\n");
        }
        Node::Agg(t, Some(kids)) => {
            let n = if *t == b'%' {
                kids.len() / 2
            } else {
                kids.len()
            };
            out.push(*t);
            out.extend_from_slice(format!("{n}\r\n").as_bytes());
            for k in kids {
                ser(k, out);
            }
        }
        Node::Attr(kids, real) => {
            out.extend_from_slice(format!("|{}\r\n", kids.len() / 2).as_bytes());
            for k in kids {
                ser(k, out);
            }
            ser(real, out);
        }
    }
}

fn to_bytes(n: &Node) -> Vec<u8> {
    let mut v = Vec::new();
    ser(n, &mut v);
    v
}

/// The structure of a reply: types, lengths, null-ness, error codes.
fn shape(n: &Node) -> String {
    match n {
        Node::Line(b'-', l) => {
            let code: Vec<u8> = l.iter().take_while(|c| **c != b' ').copied().collect();
            format!("-{}", String::from_utf8_lossy(&code))
        }
        Node::Line(t, _) => (*t as char).to_string(),
        Node::Bulk(t, None) => format!("{}-1", *t as char),
        Node::Bulk(t, Some(_)) => (*t as char).to_string(),
        Node::Agg(t, None) => format!("{}-1", *t as char),
        Node::Agg(t, Some(kids)) => {
            let inner: Vec<String> = kids.iter().map(shape).collect();
            format!("{}{}[{}]", *t as char, kids.len(), inner.join(","))
        }
        Node::Attr(kids, real) => {
            let inner: Vec<String> = kids.iter().map(shape).collect();
            format!("|[{}]{}", inner.join(","), shape(real))
        }
    }
}

/// Removes `notes` and `history` key/value pairs from every map-like
/// aggregate (key specs and COMMAND DOCS): they are Redis's own prose, which
/// rustredis deliberately does not reproduce.
fn strip_prose_pairs(n: &mut Node) {
    if let Node::Agg(_, Some(kids)) = n {
        if kids.len() % 2 == 0 {
            let mut i = 0;
            while i + 1 < kids.len() {
                if matches!(text(&kids[i]), Some(b"notes") | Some(b"history")) {
                    kids.drain(i..i + 2);
                } else {
                    i += 2;
                }
            }
        }
        for k in kids.iter_mut() {
            strip_prose_pairs(k);
        }
    }
}

/// The string content of a simple-string or bulk node.
fn text(n: &Node) -> Option<&[u8]> {
    match n {
        Node::Line(b'+', l) => Some(l),
        Node::Bulk(_, Some(p)) => Some(p),
        _ => None,
    }
}

/// Masks integers following an `id` element, and a top-level integer.
fn mask_ids(n: &mut Node, top: bool) {
    match n {
        Node::Line(b':', l) if top => *l = b"*".to_vec(),
        Node::Agg(_, Some(kids)) => {
            for i in 0..kids.len() {
                if i > 0
                    && text(&kids[i - 1]) == Some(b"id".as_slice())
                    && let Node::Line(b':', l) = &mut kids[i]
                {
                    *l = b"*".to_vec();
                    continue;
                }
                mask_ids(&mut kids[i], false);
            }
        }
        Node::Attr(_, real) => mask_ids(real, top),
        _ => {}
    }
}

/// Masks every integer that reads as a unix time in milliseconds (from
/// 10^12, September 2001, to 10^13), at any depth: two servers stamp the
/// same event a millisecond apart.
fn mask_unix_ms(n: &mut Node) {
    match n {
        Node::Line(b':', l) => {
            let v: Option<i64> = std::str::from_utf8(l).ok().and_then(|t| t.parse().ok());
            if v.is_some_and(|v| (1_000_000_000_000..10_000_000_000_000).contains(&v)) {
                *l = b"*".to_vec();
            }
        }
        Node::Agg(_, Some(kids)) => kids.iter_mut().for_each(mask_unix_ms),
        Node::Attr(_, real) => mask_unix_ms(real),
        _ => {}
    }
}

/// Sorts the children of the top-level aggregate.
fn sort_elems(n: &mut Node) {
    match n {
        Node::Agg(_, Some(kids)) => kids.sort_by_key(to_bytes),
        Node::Attr(_, real) => sort_elems(real),
        _ => {}
    }
}

/// Replaces the value of each listed key in a flat pair list or map.
fn mask_pair_values(n: &mut Node, keys: &[Vec<u8>]) {
    match n {
        Node::Agg(_, Some(kids)) => {
            for ch in kids.chunks_mut(2) {
                if let [k, v] = ch
                    && text(k)
                        .map(|t| keys.iter().any(|x| x.as_slice() == t))
                        .unwrap_or(false)
                {
                    *v = Node::Bulk(b'$', Some(b"*".to_vec()));
                }
            }
        }
        Node::Attr(_, real) => mask_pair_values(real, keys),
        _ => {}
    }
}

/// Sorts the children of the top-level aggregate by pairs.
fn sort_pairs(n: &mut Node) {
    match n {
        Node::Agg(_, Some(kids)) if kids.len() % 2 == 0 => {
            let mut pairs: Vec<(Node, Node)> = Vec::new();
            let mut it = std::mem::take(kids).into_iter();
            while let (Some(a), Some(b)) = (it.next(), it.next()) {
                pairs.push((a, b));
            }
            pairs.sort_by_key(|x| (to_bytes(&x.0), to_bytes(&x.1)));
            for (a, b) in pairs {
                kids.push(a);
                kids.push(b);
            }
        }
        Node::Attr(_, real) => sort_pairs(real),
        _ => {}
    }
}

/// Compares integers with a tolerance for non-negative values; everything
/// else must be equal.
fn approx_eq(a: &Node, b: &Node, tol: i64) -> bool {
    match (a, b) {
        (Node::Line(b':', x), Node::Line(b':', y)) => match (to_int(x), to_int(y)) {
            (Ok(x), Ok(y)) if x >= 0 && y >= 0 => (x - y).abs() <= tol,
            _ => x == y,
        },
        (Node::Agg(t1, Some(k1)), Node::Agg(t2, Some(k2))) => {
            t1 == t2 && k1.len() == k2.len() && k1.iter().zip(k2).all(|(x, y)| approx_eq(x, y, tol))
        }
        _ => a == b,
    }
}

// ---- Comparison modes ----

/// How two replies are compared.
#[derive(Clone, Debug)]
enum Mode {
    Exact,
    Shape,
    Sorted,
    SortedPairs,
    MaskInt,
    /// Integers between 10^12 and 10^13 (unix times in ms) masked anywhere.
    MaskMs,
    Approx(i64),
    /// COMMAND INFO: each entry's subcommand list (10th field) sorted.
    SortedSub,
    /// Sorted pairs, with the values of these keys masked.
    MaskKeys(Vec<Vec<u8>>),
    /// COMMAND INFO of a container: like `SortedSub`, but the subcommand
    /// list (10th field) is emptied, because rustredis lists only the
    /// subcommands it implements (a row without a handler is absent).
    NoSubs,
    /// COMMAND DOCS: structure only, with `history` entries removed (they
    /// are Redis's prose, which rustredis does not copy).
    Docs,
    /// `<CMD> HELP`: an array of status lines with the same first line and
    /// the same closing "HELP" lines; the text in between is our own wording
    /// (Redis's help prose is not copied), so its length may differ.
    Help,
}

/// Normalizes a raw reply under `mode` into something comparable.
fn normalize(raw: &[u8], mode: &Mode) -> Result<Vec<u8>, String> {
    if matches!(mode, Mode::Exact) {
        return Ok(raw.to_vec());
    }
    let mut n = parse(raw)?;
    Ok(match mode {
        Mode::Exact | Mode::Approx(_) => raw.to_vec(),
        Mode::Shape => shape(&n).into_bytes(),
        Mode::Help => match &n {
            Node::Agg(b'*', Some(kids))
                if kids.len() >= 3 && kids.iter().all(|k| matches!(k, Node::Line(b'+', _))) =>
            {
                let line = |k: &Node| text(k).map(|t| t.to_vec()).unwrap_or_default();
                let mut v = line(&kids[0]);
                v.extend_from_slice(b"|");
                v.extend(line(&kids[kids.len() - 2]));
                v.extend_from_slice(b"|");
                v.extend(line(&kids[kids.len() - 1]));
                v
            }
            other => shape(other).into_bytes(),
        },
        Mode::Sorted => {
            sort_elems(&mut n);
            to_bytes(&n)
        }
        Mode::SortedPairs => {
            sort_pairs(&mut n);
            to_bytes(&n)
        }
        Mode::MaskInt => {
            mask_ids(&mut n, true);
            to_bytes(&n)
        }
        Mode::MaskMs => {
            mask_unix_ms(&mut n);
            to_bytes(&n)
        }
        Mode::Docs => {
            strip_prose_pairs(&mut n);
            shape(&n).into_bytes()
        }
        Mode::NoSubs => {
            strip_prose_pairs(&mut n);
            if let Node::Agg(_, Some(entries)) = &mut n {
                for e in entries.iter_mut() {
                    if let Node::Agg(_, Some(fields)) = e
                        && let Some(sub) = fields.get_mut(9)
                    {
                        *sub = Node::Agg(b'*', Some(Vec::new()));
                    }
                }
            }
            to_bytes(&n)
        }
        Mode::SortedSub => {
            strip_prose_pairs(&mut n);
            if let Node::Agg(_, Some(entries)) = &mut n {
                for e in entries.iter_mut() {
                    if let Node::Agg(_, Some(fields)) = e
                        && let Some(sub) = fields.get_mut(9)
                    {
                        sort_elems(sub);
                    }
                }
            }
            to_bytes(&n)
        }
        Mode::MaskKeys(keys) => {
            mask_pair_values(&mut n, keys);
            sort_pairs(&mut n);
            to_bytes(&n)
        }
    })
}

/// True when the replies agree under `mode`.
fn replies_match(a: &[u8], b: &[u8], mode: &Mode) -> bool {
    if a == b {
        return true;
    }
    if let Mode::Approx(tol) = mode {
        return match (parse(a), parse(b)) {
            (Ok(x), Ok(y)) => approx_eq(&x, &y, *tol),
            _ => false,
        };
    }
    match (normalize(a, mode), normalize(b, mode)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Tolerance of `@approx` for a command: 1000 for the millisecond
/// commands (their names start with P), 1 otherwise.
fn approx_tol(args: &[Vec<u8>]) -> i64 {
    match args.first() {
        Some(n) if n.first().map(|c| c.to_ascii_uppercase()) == Some(b'P') => 1000,
        _ => 1,
    }
}

// ---- A pair of servers ----

/// The oracle and the server under test, with parallel connections.
struct Pair {
    oracle: ServerProc,
    test: ServerProc,
    /// Connection N on (oracle, test).
    conns: BTreeMap<u32, (Conn, Conn)>,
    cur: u32,
}

/// The outcome of one comparison: `Err` holds a description of the mismatch.
type Check = Result<(), String>;

impl Pair {
    /// Starts both servers, or returns `None` when the oracle is missing
    /// (and CI is not set).
    fn start() -> Option<Pair> {
        let oracle = ServerProc::start_oracle(SERVER_ARGS)?;
        let test = ServerProc::start(SERVER_ARGS);
        Some(Pair {
            oracle,
            test,
            conns: BTreeMap::new(),
            cur: 1,
        })
    }

    fn conn(&mut self) -> &mut (Conn, Conn) {
        let (po, pt) = (self.oracle.port, self.test.port);
        self.conns
            .entry(self.cur)
            .or_insert_with(|| (Conn::connect(po), Conn::connect(pt)))
    }

    /// Sends `bytes` to both servers and reads one reply from each.
    fn both_raw(&mut self, bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (o, t) = self.conn();
        o.send_raw(bytes);
        let ro = o.read_reply();
        t.send_raw(bytes);
        let rt = t.read_reply();
        (ro, rt)
    }

    fn both_cmd(&mut self, args: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
        self.both_raw(&common::encode_command(&refs))
    }

    /// Runs a command on both servers and compares under `mode`.
    fn check(&mut self, args: &[Vec<u8>], mode: &Mode) -> Check {
        let (ro, rt) = self.both_cmd(args);
        if std::env::var_os("DIFF_TRACE").is_some() {
            eprintln!("TRACE {} => {}", show_args(args), escape(&ro));
        }
        if replies_match(&ro, &rt, mode) {
            Ok(())
        } else {
            Err(mismatch(&show_args(args), mode, &ro, &rt))
        }
    }

    /// Runs a full SCAN-family iteration on one side; returns the sorted
    /// union as a RESP array, or the first error reply.
    fn scan_all(conn: &mut Conn, args: &[Vec<u8>]) -> Vec<u8> {
        // args: [SCAN, rest...] or [HSCAN|SSCAN|ZSCAN, key, rest...]
        let keyed = args.len() >= 2 && !args[0].eq_ignore_ascii_case(b"SCAN");
        let pairs =
            args[0].eq_ignore_ascii_case(b"HSCAN") || args[0].eq_ignore_ascii_case(b"ZSCAN");
        let split = if keyed { 2 } else { 1 };
        let mut cursor = b"0".to_vec();
        let mut seen: BTreeSet<Vec<u8>> = BTreeSet::new();
        for _ in 0..100_000 {
            let mut a: Vec<&[u8]> = args[..split].iter().map(|x| x.as_slice()).collect();
            a.push(&cursor);
            a.extend(args[split..].iter().map(|x| x.as_slice()));
            let raw = conn.cmd(&a);
            let node = match parse(&raw) {
                Ok(n) => n,
                Err(_) => return raw,
            };
            let Node::Agg(_, Some(kids)) = &node else {
                return raw;
            };
            if kids.len() != 2 {
                return raw;
            }
            let (Some(next), Node::Agg(_, Some(elems))) = (text(&kids[0]), &kids[1]) else {
                return raw;
            };
            if pairs {
                for ch in elems.chunks(2) {
                    let mut v = Vec::new();
                    for e in ch {
                        ser(e, &mut v);
                    }
                    seen.insert(v);
                }
            } else {
                for e in elems {
                    seen.insert(to_bytes(e));
                }
            }
            cursor = next.to_vec();
            if cursor == b"0" {
                let mut out = format!("*{}\r\n", seen.len()).into_bytes();
                for s in &seen {
                    out.extend_from_slice(s);
                }
                return out;
            }
        }
        b"-HARNESS scan did not terminate\r\n".to_vec()
    }

    fn check_scanall(&mut self, args: &[Vec<u8>]) -> Check {
        let (o, t) = self.conn();
        let ro = Pair::scan_all(o, args);
        let rt = Pair::scan_all(t, args);
        if ro == rt {
            Ok(())
        } else {
            Err(mismatch(
                &format!("@scanall {}", show_args(args)),
                &Mode::Exact,
                &ro,
                &rt,
            ))
        }
    }
}

/// Redis-cli-like rendering of a command.
fn show_args(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| {
            let e = escape(a);
            if a.is_empty() || a.iter().any(|c| !c.is_ascii_graphic()) || e.len() != a.len() {
                format!("\"{e}\"")
            } else {
                e
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn mismatch(what: &str, mode: &Mode, oracle: &[u8], test: &[u8]) -> String {
    format!(
        "command: {what}   (compare: {mode:?})\n   redis-server: {}\n   under test:   {}",
        escape(oracle),
        escape(test)
    )
}

// ---- Script runner ----

/// The script files, sorted, filtered by `DIFF_FILE`.
fn script_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("diff");
    let filter = std::env::var("DIFF_FILE").unwrap_or_default();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "txt").unwrap_or(false))
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().contains(&filter))
                .unwrap_or(false)
        })
        .collect();
    files.sort();
    files
}

/// Splits a command line, turning quoting errors into a script error.
fn split_checked(s: &str) -> Result<Vec<Vec<u8>>, String> {
    match try_split_args(s) {
        Some(a) if !a.is_empty() => Ok(a),
        Some(_) => Err("empty command".to_string()),
        None => Err(format!("unbalanced quotes in script line {s:?}")),
    }
}

/// Runs one script line; `Err` is a mismatch or a script error.
fn run_line(p: &mut Pair, line: &str) -> Check {
    if !line.starts_with('@') {
        return p.check(&split_checked(line)?, &Mode::Exact);
    }
    let (dir, rest) = match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    };
    match dir {
        "@shape" => p.check(&split_checked(rest)?, &Mode::Shape),
        "@help" => p.check(&split_checked(rest)?, &Mode::Help),
        "@nosubs" => p.check(&split_checked(rest)?, &Mode::NoSubs),
        "@docs" => p.check(&split_checked(rest)?, &Mode::Docs),
        "@sorted" => p.check(&split_checked(rest)?, &Mode::Sorted),
        "@sortedpairs" => p.check(&split_checked(rest)?, &Mode::SortedPairs),
        "@maskint" => p.check(&split_checked(rest)?, &Mode::MaskInt),
        "@maskms" => p.check(&split_checked(rest)?, &Mode::MaskMs),
        "@sortedsub" => p.check(&split_checked(rest)?, &Mode::SortedSub),
        "@maskkeys" => {
            let (list, cmd) = match rest.find(char::is_whitespace) {
                Some(i) => (&rest[..i], rest[i..].trim()),
                None => return Err("@maskkeys needs a key list and a command".to_string()),
            };
            let keys = list.split(',').map(|k| k.as_bytes().to_vec()).collect();
            p.check(&split_checked(cmd)?, &Mode::MaskKeys(keys))
        }
        "@approx" => {
            let a = split_checked(rest)?;
            let tol = approx_tol(&a);
            p.check(&a, &Mode::Approx(tol))
        }
        "@scanall" => {
            let mut a = split_args(rest);
            let first = a.first().map(|x| x.to_ascii_uppercase());
            let explicit = matches!(
                first.as_deref(),
                Some(b"SCAN" | b"SSCAN" | b"HSCAN" | b"ZSCAN")
            );
            if !explicit {
                a.insert(0, b"SCAN".to_vec());
            }
            p.check_scanall(&a)
        }
        "@sleep" => {
            let ms: u64 = rest.parse().map_err(|_| format!("bad @sleep {rest:?}"))?;
            std::thread::sleep(Duration::from_millis(ms));
            Ok(())
        }
        "@conn" => {
            p.cur = rest.parse().map_err(|_| format!("bad @conn {rest:?}"))?;
            Ok(())
        }
        "@inline" => {
            let mut bytes = rest.as_bytes().to_vec();
            bytes.extend_from_slice(b"\r\n");
            let (ro, rt) = p.both_raw(&bytes);
            if std::env::var_os("DIFF_TRACE").is_some() {
                eprintln!("TRACE {line} => {}", escape(&ro));
            }
            if ro == rt {
                Ok(())
            } else {
                Err(mismatch(line, &Mode::Exact, &ro, &rt))
            }
        }
        "@raw" | "@send" => {
            let bytes: Vec<u8> = split_checked(rest)?.concat();
            if dir == "@send" {
                let (o, t) = p.conn();
                o.send_raw(&bytes);
                t.send_raw(&bytes);
                return Ok(());
            }
            let (ro, rt) = p.both_raw(&bytes);
            if std::env::var_os("DIFF_TRACE").is_some() {
                eprintln!("TRACE {line} => {}", escape(&ro));
            }
            if ro == rt {
                Ok(())
            } else {
                Err(mismatch(line, &Mode::Exact, &ro, &rt))
            }
        }
        "@read" => {
            let (o, t) = p.conn();
            let (ro, rt) = (o.read_reply(), t.read_reply());
            if std::env::var_os("DIFF_TRACE").is_some() {
                eprintln!("TRACE {line} => {}", escape(&ro));
            }
            if ro == rt {
                Ok(())
            } else {
                Err(mismatch(line, &Mode::Exact, &ro, &rt))
            }
        }
        "@noreply" => {
            let a = split_checked(rest)?;
            let refs: Vec<&[u8]> = a.iter().map(|x| x.as_slice()).collect();
            let bytes = common::encode_command(&refs);
            let (o, t) = p.conn();
            o.send_raw(&bytes);
            t.send_raw(&bytes);
            Ok(())
        }
        "@eof" => {
            let cur = p.cur;
            let (o, t) = p.conn();
            let (eo, et) = (o.read_eof(), t.read_eof());
            p.conns.remove(&cur);
            if eo == et {
                Ok(())
            } else {
                Err(format!(
                    "@eof: redis-server closed: {eo}, under test closed: {et}"
                ))
            }
        }
        other => Err(format!("unknown directive {other}")),
    }
}

/// Runs one script file against a fresh server pair; returns the number of
/// commands run and the mismatches (as `file:line: ...`).
fn run_script(path: &Path) -> Option<(usize, Vec<String>)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let content =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut p = Pair::start()?;
    let mut errors = Vec::new();
    let mut count = 0;
    if let Err(e) = p.check(&split_args("FLUSHALL"), &Mode::Exact) {
        errors.push(format!("{name}:0: {e}"));
    }
    for (i, raw_line) in content.lines().enumerate() {
        let line = raw_line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        count += 1;
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_line(&mut p, line)));
        match res {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(format!("{name}:{}: {e}", i + 1)),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                errors.push(format!(
                    "{name}:{}: `{line}` aborted the script: {msg}",
                    i + 1
                ));
                break;
            }
        }
    }
    Some((count, errors))
}

#[test]
fn scripts() {
    let files = script_files();
    assert!(!files.is_empty(), "no tests/diff/*.txt scripts found");
    let started = Instant::now();
    let mut total = 0;
    let mut all_errors = Vec::new();
    for f in &files {
        let Some((count, errors)) = run_script(f) else {
            return;
        };
        total += count;
        all_errors.extend(errors);
    }
    eprintln!(
        "differential scripts: {} files, {total} commands, {} mismatches, {:?}",
        files.len(),
        all_errors.len(),
        started.elapsed()
    );
    if !all_errors.is_empty() {
        let shown: Vec<&String> = all_errors.iter().take(MAX_REPORTED).collect();
        panic!(
            "{} mismatch(es) between redis-server and the server under test (first {}):\n\n{}",
            all_errors.len(),
            shown.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}

// ---- Random stream ----

/// xorshift64* PRNG: small, seedable, reproducible.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `num/den`.
    fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// The generator's vocabulary.
struct Gen {
    rng: Rng,
}

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "42",
    "100",
    "-100",
    "007",
    "00",
    "-0",
    "+5",
    " 1",
    "1 ",
    "0x10",
    "3.14",
    "-2.5",
    "1e3",
    "10.5",
    "1.0",
    "0.1",
    ".5",
    "5.",
    "1e308",
    "1e309",
    "-1e308",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "99999999999999999999",
    "abc",
    "hello",
    "hello world",
    "foo\r\nbar",
    "\x00\x01",
    "ohmytext",
    "mynewtext",
    "a",
    "ab",
    "abc123",
    "this is a value longer than forty-four bytes, so it is raw encoded",
];

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "5",
    "10",
    "-10",
    "100",
    "1000",
    "-1000",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
    "-9223372036854775807",
    "9223372036854775808",
    "1.5",
    "abc",
    "",
    " 1",
    "+1",
    "0x1",
    "1e2",
];

const FLOATS: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.1",
    "1.5",
    "-2.25",
    "10.5",
    "3.0e3",
    "5.0e-3",
    "1e308",
    "-1e308",
    "1e309",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "abc",
    "",
    "1.7976931348623157e308",
    "0.0000001",
    "123456789.123456789",
    "1e-20",
    " 1",
    "5.",
    ".5",
    "0x10",
    "1e",
    "-0",
];

const OFFSETS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "100",
    "-1",
    "-2",
    "-5",
    "-100",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
    "536870911",
    "1.5",
    "",
];

const REL_TTL_S_OK: &[&str] = &["10000", "20000", "100000", "1000000"];
const REL_TTL_MS_OK: &[&str] = &["30000000", "70000000", "300000000", "3000000000"];
const ABS_S_OK: &[&str] = &["2000000000", "2100000000", "4102444800", "9999999999"];
const ABS_MS_OK: &[&str] = &[
    "2000000000000",
    "2100000000000",
    "4102444800000",
    "9999999999999",
];

const REL_TTL_S: &[&str] = &[
    "10000",
    "20000",
    "100000",
    "1000000",
    "0",
    "-1",
    "-10",
    "abc",
    "",
    "1.5",
    "9223372036854775807",
    "9223372036854775",
    "-9223372036854775808",
];

const REL_TTL_MS: &[&str] = &[
    "30000000",
    "70000000",
    "300000000",
    "3000000000",
    "0",
    "-1",
    "-10",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
];

const ABS_S: &[&str] = &[
    "1",
    "0",
    "-1",
    "1000",
    "2000000000",
    "2100000000",
    "4102444800",
    "9999999999",
    "abc",
    "9223372036854775807",
    "9223372036854775",
    "-9223372036854775808",
];

const ABS_MS: &[&str] = &[
    "1",
    "0",
    "-1",
    "1000000",
    "2000000000000",
    "2100000000000",
    "4102444800000",
    "9999999999999",
    "abc",
    "9223372036854775807",
];

const DBS: &[&str] = &["0", "1", "2", "3", "15", "16", "-1", "abc", "", "1.0"];

const PATTERNS: &[&str] = &[
    "*", "k*", "k?", "k[0-4]", "k[^0-4]", "*1*", "?", "k\\*", "[a-z]*", "k[", "*[", "x*", "",
    "k[!2]", "k[2-]",
];

impl Gen {
    /// A TTL in seconds: usually valid and large, sometimes invalid.
    fn rel_s(&mut self) -> &'static str {
        if self.rng.chance(2, 3) {
            self.rng.pick(REL_TTL_S_OK)
        } else {
            self.rng.pick(REL_TTL_S)
        }
    }
    fn rel_ms(&mut self) -> &'static str {
        if self.rng.chance(2, 3) {
            self.rng.pick(REL_TTL_MS_OK)
        } else {
            self.rng.pick(REL_TTL_MS)
        }
    }
    /// An absolute unix time in seconds: usually far in the future,
    /// sometimes past or invalid.
    fn abs_s(&mut self) -> &'static str {
        if self.rng.chance(1, 2) {
            self.rng.pick(ABS_S_OK)
        } else {
            self.rng.pick(ABS_S)
        }
    }
    fn abs_ms(&mut self) -> &'static str {
        if self.rng.chance(1, 2) {
            self.rng.pick(ABS_MS_OK)
        } else {
            self.rng.pick(ABS_MS)
        }
    }

    fn key(&mut self) -> String {
        if self.rng.chance(1, 60) {
            return String::new();
        }
        format!("k{}", self.rng.below(10))
    }

    fn val(&mut self) -> String {
        match self.rng.below(10) {
            0..=5 => self.rng.pick(VALUES).to_string(),
            6 => self.rng.below(30000).to_string(),
            7 => format!("-{}", self.rng.below(30000)),
            8 => {
                let n = self.rng.below(12);
                (0..n)
                    .map(|_| (b'a' + self.rng.below(4) as u8) as char)
                    .collect()
            }
            _ => format!("{}.{}", self.rng.below(1000), self.rng.below(1000)),
        }
    }

    /// Random options from `opts`, each with probability 1/3, in random
    /// order, with occasional duplicates and junk.
    fn opts(&mut self, opts: &[&[&str]]) -> Vec<String> {
        let mut chosen: Vec<Vec<String>> = Vec::new();
        for o in opts {
            if self.rng.chance(1, 3) {
                chosen.push(o.iter().map(|s| s.to_string()).collect());
            }
        }
        if self.rng.chance(1, 25) {
            chosen.push(vec![
                self.rng
                    .pick(&["FOO", "EX", "PX", "NX", "GET", "1"])
                    .to_string(),
            ]);
        }
        // shuffle
        for i in (1..chosen.len()).rev() {
            let j = self.rng.below(i + 1);
            chosen.swap(i, j);
        }
        chosen.into_iter().flatten().collect()
    }

    /// An expiry option for SET/GETEX: relative (large) or absolute.
    fn expiry_opt(&mut self) -> Vec<String> {
        match self.rng.below(4) {
            0 => vec!["EX".into(), self.rel_s().into()],
            1 => vec!["PX".into(), self.rel_ms().into()],
            2 => vec!["EXAT".into(), self.abs_s().into()],
            _ => vec!["PXAT".into(), self.abs_ms().into()],
        }
    }

    /// One random command and how to compare its replies.
    fn command(&mut self) -> (Vec<String>, Mode) {
        let s = |x: &str| x.to_string();
        let r = self.rng.below(100);
        let mut mode = Mode::Exact;
        let cmd: Vec<String> = match r {
            0..=7 => vec![s("GET"), self.key()],
            8..=17 => {
                let mut c = vec![s("SET"), self.key(), self.val()];
                if self.rng.chance(1, 2) {
                    let mut o: Vec<Vec<String>> = Vec::new();
                    if self.rng.chance(1, 2) {
                        o.push(self.expiry_opt());
                    }
                    if self.rng.chance(1, 6) {
                        o.push(self.expiry_opt());
                    }
                    for flag in ["NX", "XX", "KEEPTTL", "GET"] {
                        if self.rng.chance(1, 4) {
                            o.push(vec![s(flag)]);
                        }
                    }
                    if self.rng.chance(1, 30) {
                        o.push(vec![s(self.rng.pick(&["nx", "Ex", "BOGUS", "100"]))]);
                    }
                    for i in (1..o.len()).rev() {
                        let j = self.rng.below(i + 1);
                        o.swap(i, j);
                    }
                    c.extend(o.into_iter().flatten());
                }
                c
            }
            18 => vec![s("SETNX"), self.key(), self.val()],
            19 => vec![s("SETEX"), self.key(), s(self.rel_s()), self.val()],
            20 => vec![s("PSETEX"), self.key(), s(self.rel_ms()), self.val()],
            21..=23 => {
                let mut c = vec![s("MGET")];
                for _ in 0..self.rng.below(5) + 1 {
                    c.push(self.key());
                }
                if self.rng.chance(1, 30) {
                    c.truncate(1);
                }
                c
            }
            24..=25 => {
                let mut c = vec![s(if self.rng.chance(1, 2) {
                    "MSET"
                } else {
                    "MSETNX"
                })];
                for _ in 0..self.rng.below(4) + 1 {
                    c.push(self.key());
                    c.push(self.val());
                }
                if self.rng.chance(1, 15) {
                    c.pop();
                }
                c
            }
            26 => vec![s("GETSET"), self.key(), self.val()],
            27 => vec![s("GETDEL"), self.key()],
            28..=29 => {
                let mut c = vec![s("GETEX"), self.key()];
                match self.rng.below(6) {
                    0 => {}
                    1 => c.push(s("PERSIST")),
                    2 => c.extend(self.expiry_opt()),
                    3 => {
                        c.extend(self.expiry_opt());
                        c.extend(self.expiry_opt());
                    }
                    4 => {
                        c.extend(self.expiry_opt());
                        c.push(s("PERSIST"));
                    }
                    _ => c.push(s(self.rng.pick(&["EX", "PX", "BOGUS", "KEEPTTL", "NX"]))),
                }
                c
            }
            30..=32 => vec![s("APPEND"), self.key(), self.val()],
            33 => vec![s("STRLEN"), self.key()],
            34..=36 => vec![s(self.rng.pick(&["INCR", "DECR"])), self.key()],
            37..=39 => vec![
                s(self.rng.pick(&["INCRBY", "DECRBY"])),
                self.key(),
                s(self.rng.pick(INTS)),
            ],
            40..=42 => vec![s("INCRBYFLOAT"), self.key(), s(self.rng.pick(FLOATS))],
            43..=44 => vec![
                s(self.rng.pick(&["GETRANGE", "SUBSTR"])),
                self.key(),
                s(self.rng.pick(OFFSETS)),
                s(self.rng.pick(OFFSETS)),
            ],
            45..=46 => {
                let off = if self.rng.chance(1, 10) {
                    s(self.rng.pick(&["536870912", "-1", "abc", "4294967296"]))
                } else {
                    self.rng.below(20).to_string()
                };
                let v = if self.rng.chance(1, 8) {
                    String::new()
                } else {
                    self.val()
                };
                vec![s("SETRANGE"), self.key(), off, v]
            }
            47..=48 => {
                let mut c = vec![s("LCS"), self.key(), self.key()];
                c.extend(self.opts(&[
                    &["LEN"],
                    &["IDX"],
                    &["WITHMATCHLEN"],
                    &["MINMATCHLEN", "2"],
                ]));
                if self.rng.chance(1, 20) {
                    c.push(s("MINMATCHLEN"));
                    c.push(s(self.rng.pick(&["-1", "abc", "0", "100"])));
                }
                c
            }
            49..=51 => {
                let mut c = vec![s(self.rng.pick(&["DEL", "UNLINK", "EXISTS", "TOUCH"]))];
                for _ in 0..self.rng.below(3) + 1 {
                    c.push(self.key());
                }
                c
            }
            52 => vec![s("TYPE"), self.key()],
            53 => {
                mode = Mode::Sorted;
                vec![s("KEYS"), s(self.rng.pick(PATTERNS))]
            }
            54 => {
                let mut c = vec![s("SCAN")];
                if self.rng.chance(1, 2) {
                    c.push(s("MATCH"));
                    c.push(s(self.rng.pick(PATTERNS)));
                }
                if self.rng.chance(1, 2) {
                    c.push(s("COUNT"));
                    c.push(s(self.rng.pick(&["1", "2", "5", "100", "0", "-1", "abc"])));
                }
                if self.rng.chance(1, 3) {
                    c.push(s("TYPE"));
                    c.push(s(self
                        .rng
                        .pick(&["string", "list", "hash", "none", "STRING", "bogus"])));
                }
                if self.rng.chance(1, 30) {
                    c.push(s("BOGUS"));
                }
                return (c, Mode::Exact); // the caller turns SCAN into a full iteration
            }
            55 => {
                mode = Mode::Shape;
                vec![s("RANDOMKEY")]
            }
            56..=58 => vec![
                s(self.rng.pick(&["RENAME", "RENAMENX"])),
                self.key(),
                self.key(),
            ],
            59 => vec![s("MOVE"), self.key(), s(self.rng.pick(DBS))],
            60..=61 => {
                let mut c = vec![s("COPY"), self.key(), self.key()];
                let db = self.rng.pick(DBS);
                c.extend(self.opts(&[&["DB", db], &["REPLACE"]]));
                c
            }
            62..=65 => {
                // Relative times: no GT/LT (they would depend on elapsed ms).
                let (name, t) = if self.rng.chance(1, 2) {
                    ("EXPIRE", self.rel_s())
                } else {
                    ("PEXPIRE", self.rel_ms())
                };
                let mut c = vec![s(name), self.key(), s(t)];
                c.extend(self.opts(&[&["NX"], &["XX"]]));
                if self.rng.chance(1, 15) {
                    // Combinations rejected before any time comparison.
                    let bad: &[&[&str]] = &[
                        &["NX", "GT"],
                        &["GT", "LT"],
                        &["NX", "LT"],
                        &["BOGUS"],
                        &["NX", "XX"],
                    ];
                    let pick = bad[self.rng.below(bad.len())];
                    c.extend(pick.iter().map(|x| x.to_string()));
                }
                c
            }
            66..=69 => {
                let (name, t) = if self.rng.chance(1, 2) {
                    ("EXPIREAT", self.abs_s())
                } else {
                    ("PEXPIREAT", self.abs_ms())
                };
                let mut c = vec![s(name), self.key(), s(t)];
                c.extend(self.opts(&[&["NX"], &["XX"], &["GT"], &["LT"]]));
                c
            }
            70..=72 => {
                let name = self.rng.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]);
                mode = Mode::Approx(if name.starts_with('P') { 1000 } else { 1 });
                vec![s(name), self.key()]
            }
            73 => vec![s("PERSIST"), self.key()],
            74 => vec![s("DBSIZE")],
            75 => {
                if self.rng.chance(1, 4) {
                    vec![
                        s(self.rng.pick(&["FLUSHDB", "FLUSHALL"])),
                        s(self.rng.pick(&["SYNC", "ASYNC", "BOGUS"])),
                    ]
                } else {
                    vec![s("ECHO"), self.val()]
                }
            }
            76 => vec![s("SWAPDB"), s(self.rng.pick(DBS)), s(self.rng.pick(DBS))],
            77..=79 => vec![
                s("SELECT"),
                s(self.rng.pick(&["0", "0", "1", "2", "16", "-1", "x"])),
            ],
            80..=82 => {
                let sub = self.rng.pick(&[
                    "ENCODING", "ENCODING", "REFCOUNT", "FREQ", "IDLETIME", "BOGUS",
                ]);
                if sub == "IDLETIME" {
                    mode = Mode::Shape;
                }
                vec![s("OBJECT"), s(sub), self.key()]
            }
            83 => {
                if self.rng.chance(1, 2) {
                    vec![s("PING")]
                } else {
                    vec![s("PING"), self.val()]
                }
            }
            84 => vec![s("ECHO"), self.val()],
            85 => {
                mode = Mode::MaskInt;
                match self.rng.below(8) {
                    0 => vec![s("HELLO")],
                    1 => vec![s("HELLO"), s("1")],
                    2 => vec![s("HELLO"), s("4")],
                    3 => vec![s("HELLO"), s("x")],
                    _ => vec![s("HELLO"), s(self.rng.pick(&["2", "3"]))],
                }
            }
            86 => match self.rng.below(4) {
                0 => vec![
                    s("CLIENT"),
                    s("SETNAME"),
                    s(self.rng.pick(&["c1", "", "with space", "x"])),
                ],
                1 => vec![s("CLIENT"), s("GETNAME")],
                2 => {
                    mode = Mode::MaskInt;
                    vec![s("CLIENT"), s("ID")]
                }
                _ => vec![
                    s("CLIENT"),
                    s("NO-EVICT"),
                    s(self.rng.pick(&["on", "off", "maybe"])),
                ],
            },
            87 => {
                // wrong arity for a random command
                let name = self.rng.pick(&[
                    "GET", "SET", "DEL", "EXPIRE", "TTL", "INCRBY", "GETRANGE", "SETRANGE", "LCS",
                    "RENAME", "COPY", "MSET", "APPEND", "OBJECT", "SELECT", "SWAPDB", "EXPIREAT",
                    "ECHO", "GETEX", "SETEX", "STRLEN",
                ]);
                let n = self.rng.below(2);
                let mut c = vec![s(name)];
                for _ in 0..n {
                    c.push(self.key());
                }
                c
            }
            88 => vec![
                s(self.rng.pick(&["NOSUCHCMD", "GETT", "foo", ""])),
                self.key(),
            ],
            89 => vec![s("SET"), self.key(), self.val()],
            90..=91 => {
                let name = self.rng.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]);
                mode = Mode::Approx(if name.starts_with('P') { 1000 } else { 1 });
                vec![s(name), self.key()]
            }
            92..=95 => vec![s("GET"), self.key()],
            _ => {
                if r.is_multiple_of(2) {
                    vec![s("APPEND"), self.key(), self.val()]
                } else {
                    vec![s("INCR"), self.key()]
                }
            }
        };
        (cmd, mode)
    }
}

// ---- Random stream over the collection types ----

/// Members and elements: small integers (intset and listpack integers),
/// short strings, and values long enough to pass the listpack value limits.
const MEMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "8",
    "13",
    "-1",
    "100",
    "70000",
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "foo",
    "bar",
    "1.5",
    "",
    "a-long-member-that-is-longer-than-sixty-four-bytes-so-it-crosses-the-value-limit",
];
/// Scores: integers, fractions, infinities and junk.
const SCORES: &[&str] = &[
    "0", "1", "2", "-1", "1.5", "-2.25", "10", "3e2", "inf", "-inf", "+inf", "0.1", "nan", "abc",
    "(1", "1e400",
];
/// Range bounds for ZRANGEBYSCORE and friends.
const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "0", "1", "(1", "2", "(2", "-1", "1.5", "(1.5", "x", "10",
];
/// Range bounds for the BYLEX commands.
const LEX_BOUNDS: &[&str] = &["-", "+", "[a", "(a", "[c", "(foo", "[", "a", "[1", "(bar"];
/// Indexes for the list and rank commands.
const INDEXES: &[&str] = &["0", "1", "2", "-1", "-2", "-3", "5", "-100", "100", "x"];

impl Gen {
    fn member(&mut self) -> String {
        self.rng.pick(MEMBERS).to_string()
    }

    /// Keys only the BYLEX commands and the score-0 ZADD touch.
    fn lex_key(&mut self) -> String {
        format!("lex{}", self.rng.below(3))
    }

    fn members(&mut self, max: usize) -> Vec<String> {
        (0..self.rng.below(max) + 1)
            .map(|_| self.member())
            .collect()
    }

    /// One random collection command and how to compare its replies.
    fn coll_command(&mut self) -> (Vec<String>, Mode) {
        let s = |x: &str| x.to_string();
        let mut mode = Mode::Exact;
        let k = self.key();
        let r = self.rng.below(100);
        let cmd: Vec<String> = match r {
            // lists
            0..=5 => {
                let name = self.rng.pick(&["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
                let mut c = vec![s(name), k];
                c.extend(self.members(6));
                c
            }
            6..=8 => {
                let mut c = vec![s(self.rng.pick(&["LPOP", "RPOP"])), k];
                if self.rng.chance(1, 2) {
                    c.push(s(self.rng.pick(&["0", "1", "2", "5", "-1", "x"])));
                }
                c
            }
            9..=10 => vec![
                s("LRANGE"),
                k,
                s(self.rng.pick(INDEXES)),
                s(self.rng.pick(INDEXES)),
            ],
            11 => vec![s("LINDEX"), k, s(self.rng.pick(INDEXES))],
            12 => vec![s("LSET"), k, s(self.rng.pick(INDEXES)), self.member()],
            13 => vec![
                s("LINSERT"),
                k,
                s(self.rng.pick(&["BEFORE", "AFTER", "before", "MIDDLE"])),
                self.member(),
                self.member(),
            ],
            14 => vec![
                s("LREM"),
                k,
                s(self.rng.pick(&["0", "1", "-1", "2", "-2", "x"])),
                self.member(),
            ],
            15 => vec![
                s("LTRIM"),
                k,
                s(self.rng.pick(INDEXES)),
                s(self.rng.pick(INDEXES)),
            ],
            16 => {
                let mut c = vec![s("LPOS"), k, self.member()];
                c.extend(self.opts(&[
                    &["RANK", "1"],
                    &["RANK", "-1"],
                    &["RANK", "2"],
                    &["COUNT", "0"],
                    &["COUNT", "2"],
                    &["MAXLEN", "3"],
                ]));
                c
            }
            17 => vec![
                s("LMOVE"),
                k,
                self.key(),
                s(self.rng.pick(&["LEFT", "RIGHT"])),
                s(self.rng.pick(&["LEFT", "RIGHT", "UP"])),
            ],
            18 => vec![s("RPOPLPUSH"), k, self.key()],
            19 => {
                let mut c = vec![s("LMPOP"), s("2"), k, self.key()];
                c.push(s(self.rng.pick(&["LEFT", "RIGHT", "MIDDLE"])));
                if self.rng.chance(1, 2) {
                    c.extend([s("COUNT"), s(self.rng.pick(&["1", "3", "0", "-1"]))]);
                }
                c
            }
            20 => vec![s("LLEN"), k],
            // hashes
            21..=26 => {
                let mut c = vec![s(self.rng.pick(&["HSET", "HSET", "HMSET", "HSETNX"])), k];
                let pairs = if c[0] == "HSETNX" {
                    1
                } else {
                    self.rng.below(4) + 1
                };
                for _ in 0..pairs {
                    c.push(self.member());
                    c.push(self.val());
                }
                c
            }
            27..=28 => vec![
                s(self.rng.pick(&["HGET", "HEXISTS", "HSTRLEN"])),
                k,
                self.member(),
            ],
            29 => {
                let mut c = vec![s(self.rng.pick(&["HDEL", "HMGET"])), k];
                c.extend(self.members(3));
                c
            }
            30 => vec![
                s("HINCRBY"),
                k,
                self.member(),
                s(self.rng.pick(&["1", "-5", "x", "9223372036854775807"])),
            ],
            31 => vec![
                s("HINCRBYFLOAT"),
                k,
                self.member(),
                s(self.rng.pick(&["1.5", "-5", "x", "inf", "0.1"])),
            ],
            32 => {
                mode = Mode::SortedPairs;
                vec![s("HGETALL"), k]
            }
            33 => {
                mode = Mode::Sorted;
                vec![s(self.rng.pick(&["HKEYS", "HVALS"])), k]
            }
            34 => vec![s("HLEN"), k],
            35 => {
                mode = Mode::Sorted;
                vec![s("HRANDFIELD"), k, s("1000")]
            }
            // sets
            36..=41 => {
                let mut c = vec![s(self.rng.pick(&["SADD", "SADD", "SREM"])), k];
                c.extend(self.members(5));
                c
            }
            42 => vec![s("SISMEMBER"), k, self.member()],
            43 => {
                let mut c = vec![s("SMISMEMBER"), k];
                c.extend(self.members(3));
                c
            }
            44 => {
                mode = Mode::Sorted;
                vec![s("SMEMBERS"), k]
            }
            45 => vec![s("SCARD"), k],
            46 => {
                mode = Mode::Sorted;
                let name = self.rng.pick(&["SINTER", "SUNION", "SDIFF"]);
                vec![s(name), k, self.key(), self.key()]
            }
            47 => {
                let name = self.rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
                vec![s(name), self.key(), k, self.key()]
            }
            48 => vec![s("SMOVE"), k, self.key(), self.member()],
            49 => {
                let mut c = vec![s("SINTERCARD"), s("2"), k, self.key()];
                if self.rng.chance(1, 2) {
                    c.extend([s("LIMIT"), s(self.rng.pick(&["0", "1", "2", "-1"]))]);
                }
                c
            }
            50 => {
                mode = Mode::Sorted;
                vec![s(self.rng.pick(&["SRANDMEMBER", "SPOP"])), k, s("1000")]
            }
            // sorted sets
            51..=52 => {
                // Lex ranges are defined only when every score is equal
                // (with mixed scores the answer depends on the skiplist's
                // random levels, even between two runs of redis-server), so
                // the BYLEX commands get keys of their own, all scores 0.
                let mut c = vec![s("ZADD"), self.lex_key()];
                for m in self.members(4) {
                    c.push(s("0"));
                    c.push(m);
                }
                c
            }
            53..=58 => {
                let mut c = vec![s("ZADD"), k];
                c.extend(self.opts(&[&["NX"], &["XX"], &["GT"], &["LT"], &["CH"]]));
                let incr = self.rng.chance(1, 8);
                if incr {
                    c.push(s("INCR"));
                }
                let pairs = if incr { 1 } else { self.rng.below(4) + 1 };
                for _ in 0..pairs {
                    c.push(s(self.rng.pick(SCORES)));
                    c.push(self.member());
                }
                c
            }
            59 => vec![s("ZINCRBY"), k, s(self.rng.pick(SCORES)), self.member()],
            60 => {
                let mut c = vec![s("ZREM"), k];
                c.extend(self.members(3));
                c
            }
            61..=62 => {
                let mut c = vec![s("ZRANGE"), k];
                match self.rng.below(3) {
                    0 => {
                        c.push(s(self.rng.pick(INDEXES)));
                        c.push(s(self.rng.pick(INDEXES)));
                    }
                    1 => {
                        c.push(s(self.rng.pick(SCORE_BOUNDS)));
                        c.push(s(self.rng.pick(SCORE_BOUNDS)));
                        c.push(s("BYSCORE"));
                    }
                    _ => {
                        c[1] = self.lex_key();
                        c.push(s(self.rng.pick(LEX_BOUNDS)));
                        c.push(s(self.rng.pick(LEX_BOUNDS)));
                        c.push(s("BYLEX"));
                    }
                }
                c.extend(self.opts(&[&["REV"], &["WITHSCORES"], &["LIMIT", "1", "2"]]));
                c
            }
            63 => vec![
                s(self
                    .rng
                    .pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE", "ZCOUNT"])),
                k,
                s(self.rng.pick(SCORE_BOUNDS)),
                s(self.rng.pick(SCORE_BOUNDS)),
            ],
            64 => vec![
                s(self.rng.pick(&[
                    "ZRANGEBYLEX",
                    "ZREVRANGEBYLEX",
                    "ZLEXCOUNT",
                    "ZREMRANGEBYLEX",
                ])),
                self.lex_key(),
                s(self.rng.pick(LEX_BOUNDS)),
                s(self.rng.pick(LEX_BOUNDS)),
            ],
            65 => vec![
                s(self.rng.pick(&["ZSCORE", "ZRANK", "ZREVRANK"])),
                k,
                self.member(),
            ],
            66 => {
                let mut c = vec![s("ZMSCORE"), k];
                c.extend(self.members(3));
                c
            }
            67 => {
                let mut c = vec![s(self.rng.pick(&["ZPOPMIN", "ZPOPMAX"])), k];
                if self.rng.chance(1, 2) {
                    c.push(s(self.rng.pick(&["0", "1", "2", "10", "-1"])));
                }
                c
            }
            68 => vec![
                s(self.rng.pick(&["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE"])),
                k,
                s(self.rng.pick(INDEXES)),
                s(self.rng.pick(INDEXES)),
            ],
            69 => {
                let name = self.rng.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
                let mut c = vec![s(name), self.key(), s("2"), k, self.key()];
                if name != "ZDIFFSTORE" {
                    c.extend(self.opts(&[
                        &["WEIGHTS", "2", "0.5"],
                        &["AGGREGATE", "MAX"],
                        &["AGGREGATE", "MIN"],
                    ]));
                }
                c
            }
            70 => {
                let name = self.rng.pick(&["ZUNION", "ZINTER", "ZDIFF"]);
                let mut c = vec![s(name), s("2"), k, self.key()];
                c.extend(self.opts(&[&["WITHSCORES"]]));
                c
            }
            71 => vec![
                s("ZRANGESTORE"),
                self.key(),
                k,
                s("0"),
                s(self.rng.pick(INDEXES)),
            ],
            72 => vec![s("ZCARD"), k],
            73 => {
                let mut c = vec![s("ZMPOP"), s("2"), k, self.key()];
                c.push(s(self.rng.pick(&["MIN", "MAX"])));
                if self.rng.chance(1, 2) {
                    c.extend([s("COUNT"), s(self.rng.pick(&["1", "3", "0"]))]);
                }
                c
            }
            74 => {
                mode = Mode::Sorted;
                vec![s("ZRANDMEMBER"), k, s("1000")]
            }
            // generic and strings over the same keys
            75..=78 => vec![s(self.rng.pick(&["TYPE", "EXISTS", "GET", "STRLEN"])), k],
            79 => vec![s("SET"), k, self.val()],
            80 => vec![s("DEL"), k],
            81 => vec![s(self.rng.pick(&["RENAME", "COPY"])), k, self.key()],
            82 => vec![s("APPEND"), k, self.val()],
            83 => vec![s("INCR"), k],
            84 => vec![s("EXPIRE"), k, s("100000")],
            85 => vec![
                s(self.rng.pick(&["BLPOP", "BRPOP", "BZPOPMIN"])),
                k,
                s("0.01"),
            ],
            86 => vec![s("BLMOVE"), k, self.key(), s("LEFT"), s("RIGHT"), s("0.01")],
            _ => {
                let name = self.rng.pick(&["RPUSH", "SADD", "ZADD", "HSET"]);
                let mut c = vec![s(name), k];
                for i in 0..self.rng.below(12) + 1 {
                    if name == "ZADD" || name == "HSET" {
                        c.push(i.to_string());
                    }
                    c.push(format!("m{i}"));
                }
                c
            }
        };
        (cmd, mode)
    }
}

/// Runs `count` random collection commands from `seed`; after each one the
/// OBJECT ENCODING of its first key must agree, and at the end every key's
/// type, encoding and contents. Odd seeds lower the encoding thresholds so
/// that conversions happen all the time.
fn random_collection_stream(seed: u64, count: usize) {
    let Some(mut p) = Pair::start() else { return };
    let mut g = Gen {
        rng: Rng::new(seed),
    };
    let mut setup = vec!["FLUSHALL", "DEBUG SET-ACTIVE-EXPIRE 0"];
    if seed % 2 == 1 {
        setup.push(
            "CONFIG SET hash-max-listpack-entries 6 hash-max-listpack-value 16 set-max-intset-entries 6 zset-max-listpack-entries 6 zset-max-listpack-value 16 list-max-listpack-size 3",
        );
    }
    for c in setup {
        if let Err(e) = p.check(&split_args(c), &Mode::Exact) {
            panic!("seed {seed}: {c} differs: {e}");
        }
    }
    let started = Instant::now();
    let mut history: Vec<String> = Vec::new();
    for i in 0..count {
        let (cmd, mode) = g.coll_command();
        let args: Vec<Vec<u8>> = cmd.iter().map(|a| a.as_bytes().to_vec()).collect();
        history.push(format!("{i}: {}", show_args(&args)));
        let mut res = p.check(&args, &mode);
        if let (Ok(()), Some(key)) = (&res, args.get(1)) {
            let enc = vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.clone()];
            res = p.check(&enc, &Mode::Exact);
        }
        if let Err(e) = res {
            let from = history.len().saturating_sub(25);
            panic!(
                "collection stream mismatch: seed {seed}, command #{i} (replay: DIFF_SEED={seed} DIFF_COUNT={} cargo test --test differential random_collections_1)\n{e}\n\nlast commands:\n{}",
                i + 1,
                history[from..].join("\n")
            );
        }
    }
    let keys = (0..10)
        .map(|k| format!("k{k}"))
        .chain((0..3).map(|k| format!("lex{k}")));
    for key in keys {
        for (c, mode) in [
            (format!("TYPE {key}"), Mode::Exact),
            (format!("OBJECT ENCODING {key}"), Mode::Exact),
            (format!("LRANGE {key} 0 -1"), Mode::Exact),
            (format!("HGETALL {key}"), Mode::SortedPairs),
            (format!("SMEMBERS {key}"), Mode::Sorted),
            (format!("ZRANGE {key} 0 -1 WITHSCORES"), Mode::Exact),
            (format!("GET {key}"), Mode::Exact),
        ] {
            if let Err(e) = p.check(&split_args(&c), &mode) {
                panic!("seed {seed}: final state differs: {e}");
            }
        }
    }
    eprintln!(
        "collection stream seed {seed}: {count} commands in {:?}",
        started.elapsed()
    );
}

fn random_collections(default_seed: u64) {
    match seeds() {
        Some((seed, count)) => {
            if default_seed == 1 {
                random_collection_stream(seed, count);
            }
        }
        None => random_collection_stream(default_seed, RANDOM_COUNT),
    }
}

#[test]
fn random_collections_1() {
    random_collections(1);
}

#[test]
fn random_collections_2() {
    random_collections(2);
}

#[test]
fn random_collections_3() {
    random_collections(77);
}

#[test]
fn random_collections_4() {
    random_collections(1_000_000);
}

/// Runs `count` random commands from `seed` against a fresh server pair.
fn random_stream(seed: u64, count: usize) {
    let Some(mut p) = Pair::start() else { return };
    let mut g = Gen {
        rng: Rng::new(seed),
    };
    let started = Instant::now();
    let mut history: Vec<String> = Vec::new();
    let flush = split_args("FLUSHALL");
    if let Err(e) = p.check(&flush, &Mode::Exact) {
        panic!("seed {seed}: FLUSHALL differs: {e}");
    }
    // Keys set with an expire time in the past stay until touched; with the
    // active cycle on, each server reclaims them at its own moment, so
    // DBSIZE/KEYS would race. Lazy expiry alone is deterministic.
    if let Err(e) = p.check(&split_args("DEBUG SET-ACTIVE-EXPIRE 0"), &Mode::Exact) {
        panic!("seed {seed}: DEBUG SET-ACTIVE-EXPIRE differs: {e}");
    }
    let mut scans = 0;
    for i in 0..count {
        let (cmd, mode) = g.command();
        let args: Vec<Vec<u8>> = cmd.iter().map(|a| a.as_bytes().to_vec()).collect();
        let is_scan = cmd.first().map(|c| c == "SCAN").unwrap_or(false);
        if is_scan {
            scans += 1;
        }
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if is_scan {
                p.check_scanall(&args)
            } else {
                p.check(&args, &mode)
            }
        }))
        .unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("command: {}\n   aborted: {msg}", show_args(&args)))
        });
        history.push(format!(
            "{i}: {}{}",
            if is_scan { "@scanall " } else { "" },
            show_args(&args)
        ));
        // RANDOMKEY deletes an expired key only if it happens to pick it;
        // touching every generator key reaps the rest on both servers alike.
        let res = match res {
            Ok(())
                if cmd
                    .first()
                    .is_some_and(|c| c.eq_ignore_ascii_case("RANDOMKEY")) =>
            {
                let reap = split_args("EXISTS \"\" k0 k1 k2 k3 k4 k5 k6 k7 k8 k9");
                p.check(&reap, &Mode::Shape)
            }
            other => other,
        };
        if let Err(e) = res {
            let from = history.len().saturating_sub(25);
            panic!(
                "random stream mismatch: seed {seed}, command #{i} (replay: DIFF_SEED={seed} DIFF_COUNT={} cargo test --test differential random_seed_1)\n{e}\n\nlast commands:\n{}",
                i + 1,
                history[from..].join("\n")
            );
        }
    }
    // The end state must agree too.
    for db in 0..4 {
        let sel = vec![b"SELECT".to_vec(), db.to_string().into_bytes()];
        if let Err(e) = p.check(&sel, &Mode::Exact) {
            panic!("seed {seed}: final {e}");
        }
        if let Err(e) = p.check_scanall(&[b"SCAN".to_vec()]) {
            panic!("seed {seed}: final keyspace of db {db} differs: {e}");
        }
        for k in 0..10 {
            let get = vec![b"GET".to_vec(), format!("k{k}").into_bytes()];
            let typ = vec![b"TYPE".to_vec(), format!("k{k}").into_bytes()];
            for c in [&typ, &get] {
                if let Err(e) = p.check(c, &Mode::Exact) {
                    panic!("seed {seed}: final state of db {db} differs: {e}");
                }
            }
        }
    }
    eprintln!(
        "random stream seed {seed}: {count} commands ({scans} full scans) in {:?}",
        started.elapsed()
    );
}

/// Seeds of the random test, or `DIFF_SEED` alone when set.
fn seeds() -> Option<(u64, usize)> {
    let seed = std::env::var("DIFF_SEED").ok()?.parse().ok()?;
    let count = std::env::var("DIFF_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(RANDOM_COUNT);
    Some((seed, count))
}

const RANDOM_COUNT: usize = 5000;

fn random_seed(default_seed: u64) {
    match seeds() {
        Some((seed, count)) => {
            if default_seed == 1 {
                random_stream(seed, count);
            }
        }
        None => random_stream(default_seed, RANDOM_COUNT),
    }
}

#[test]
fn random_seed_1() {
    random_seed(1);
}

#[test]
fn random_seed_2() {
    random_seed(20_240_615);
}

#[test]
fn random_seed_3() {
    random_seed(0xC0FF_EE00_1234);
}

// ---- Protocol edges that do not fit in a script line ----

/// Sends `bytes` on a fresh connection of both servers, compares the first
/// reply and, when `closes`, that both servers close the connection.
fn edge_case(p: &mut Pair, id: u32, what: &str, bytes: &[u8], closes: bool) -> Check {
    p.cur = id;
    let (ro, rt) = p.both_raw(bytes);
    if ro != rt {
        return Err(mismatch(what, &Mode::Exact, &ro, &rt));
    }
    if closes {
        let (o, t) = p.conn();
        let (eo, et) = (o.read_eof(), t.read_eof());
        if !(eo && et) {
            return Err(format!(
                "{what}: expected both to close; redis-server: {eo}, under test: {et}"
            ));
        }
    } else {
        p.check(&split_args("PING"), &Mode::Exact)?;
    }
    p.conns.remove(&id);
    Ok(())
}

#[test]
fn protocol_edges() {
    let Some(mut p) = Pair::start() else { return };
    let mut errors = Vec::new();

    // An inline request over 64 KB without a newline.
    let big_inline = vec![b'A'; 70_000];
    errors.extend(edge_case(&mut p, 10, "70000-byte inline request", &big_inline, true).err());

    // A bulk length over proto-max-bulk-len (512 MB).
    let big_bulk = b"*1\r\n$536870913\r\n".to_vec();
    errors.extend(edge_case(&mut p, 11, "bulk length 536870913", &big_bulk, true).err());

    // A multibulk count over INT_MAX.
    errors.extend(
        edge_case(
            &mut p,
            12,
            "multibulk length 2^31",
            b"*2147483648\r\n",
            true,
        )
        .err(),
    );

    // A 1 MB value round trip.
    let big = vec![b'v'; 1 << 20];
    p.cur = 13;
    for args in [
        vec![b"SET".to_vec(), b"big".to_vec(), big.clone()],
        vec![b"STRLEN".to_vec(), b"big".to_vec()],
    ] {
        errors.extend(p.check(&args, &Mode::Exact).err());
    }
    let (ro, rt) = p.both_cmd(&[b"GET".to_vec(), b"big".to_vec()]);
    if ro != rt {
        errors.push(format!(
            "GET of a 1 MB value differs: lengths {} and {}",
            ro.len(),
            rt.len()
        ));
    }

    // A command split across writes with pauses in between.
    p.cur = 14;
    {
        let parts: [&[u8]; 4] = [
            b"*3\r\n$3\r\nSET\r\n$2",
            b"\r\nsp\r\n$5\r\nhel",
            b"lo\r",
            b"\n",
        ];
        let (o, t) = p.conn();
        for part in parts {
            o.send_raw(part);
            t.send_raw(part);
            std::thread::sleep(Duration::from_millis(30));
        }
        let (ro, rt) = (o.read_reply(), t.read_reply());
        if ro != rt {
            errors.push(mismatch("split SET", &Mode::Exact, &ro, &rt));
        }
        errors.extend(p.check(&split_args("GET sp"), &Mode::Exact).err());
    }

    // 2000 pipelined commands in one write, inline and multibulk mixed.
    p.cur = 15;
    {
        let mut batch = Vec::new();
        for i in 0..2000 {
            match i % 5 {
                0 => batch.extend_from_slice(b"INCR ctr\r\n"),
                1 => batch.extend_from_slice(&common::encode_command(&[
                    b"APPEND",
                    b"log",
                    format!("{i},").as_bytes(),
                ])),
                2 => batch.extend_from_slice(b"GET ctr\r\n"),
                3 => batch.extend_from_slice(&common::encode_command(&[
                    b"SET",
                    format!("p{}", i % 17).as_bytes(),
                    b"x",
                ])),
                _ => batch.extend_from_slice(b"EXISTS p1 p2 p3 nosuch\n"),
            }
        }
        let (o, t) = p.conn();
        o.send_raw(&batch);
        t.send_raw(&batch);
        let mut all_o = Vec::new();
        let mut all_t = Vec::new();
        for _ in 0..2000 {
            all_o.extend(o.read_reply());
            all_t.extend(t.read_reply());
        }
        if all_o != all_t {
            errors.push(format!(
                "2000 pipelined replies differ ({} vs {} bytes)",
                all_o.len(),
                all_t.len()
            ));
        }
        errors.extend(p.check(&split_args("GET log"), &Mode::Exact).err());
    }

    assert!(
        errors.is_empty(),
        "protocol edge mismatches:\n\n{}",
        errors.join("\n\n")
    );
}

// ---- Self-checks of the comparison helpers ----

#[test]
fn compare_modes() {
    let hello_a = b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$2\r\nid\r\n:5\r\n";
    let hello_b = b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$2\r\nid\r\n:17\r\n";
    assert!(replies_match(hello_a, hello_b, &Mode::MaskInt));
    assert!(!replies_match(hello_a, hello_b, &Mode::Exact));
    let other = b"%2\r\n$6\r\nserver\r\n$5\r\nrediz\r\n$2\r\nid\r\n:17\r\n";
    assert!(!replies_match(hello_a, other, &Mode::MaskInt));
    assert!(replies_match(b":3\r\n", b":99\r\n", &Mode::MaskInt));
    let t1 = b"*2\r\n:1795740016851\r\n:1\r\n";
    let t2 = b"*2\r\n:1795740016852\r\n:1\r\n";
    assert!(replies_match(t1, t2, &Mode::MaskMs));
    assert!(!replies_match(
        t1,
        b"*2\r\n:1795740016852\r\n:2\r\n",
        &Mode::MaskMs
    ));
    assert!(replies_match(
        b"*2\r\n$1\r\nb\r\n$1\r\na\r\n",
        b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
        &Mode::Sorted
    ));
    assert!(!replies_match(
        b"*2\r\n$1\r\nb\r\n$1\r\na\r\n",
        b"*2\r\n$1\r\na\r\n$1\r\nc\r\n",
        &Mode::Sorted
    ));
    let cfg_a = b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n";
    let cfg_b = b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n";
    let cfg_c = b"*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n1\r\n";
    assert!(replies_match(cfg_a, cfg_b, &Mode::SortedPairs));
    assert!(!replies_match(cfg_a, cfg_c, &Mode::SortedPairs));
    assert!(replies_match(b":1000\r\n", b":1001\r\n", &Mode::Approx(1)));
    assert!(!replies_match(b":1000\r\n", b":1002\r\n", &Mode::Approx(1)));
    assert!(!replies_match(b":-1\r\n", b":-2\r\n", &Mode::Approx(1000)));
    assert!(replies_match(
        b"$3\r\nabc\r\n",
        b"$2\r\nxy\r\n",
        &Mode::Shape
    ));
    assert!(!replies_match(b"$3\r\nabc\r\n", b"$-1\r\n", &Mode::Shape));
    assert!(!replies_match(
        b"-ERR x\r\n",
        b"-WRONGTYPE x\r\n",
        &Mode::Shape
    ));
    assert!(!replies_match(
        b"*1\r\n:1\r\n",
        b"*2\r\n:1\r\n:2\r\n",
        &Mode::Shape
    ));
    let attr = b"|1\r\n+a\r\n+b\r\n*1\r\n:1\r\n";
    assert_eq!(
        to_bytes(&parse(attr).unwrap_or(Node::Line(b'+', vec![]))),
        attr.to_vec()
    );
}

#[test]
fn split_args_rules() {
    let v = |xs: &[&[u8]]| xs.iter().map(|x| x.to_vec()).collect::<Vec<_>>();
    assert_eq!(split_args("set a b"), v(&[b"set", b"a", b"b"]));
    assert_eq!(split_args("  set\ta   b  "), v(&[b"set", b"a", b"b"]));
    assert_eq!(
        split_args(r#"set "a b" 'c d'"#),
        v(&[b"set", b"a b", b"c d"])
    );
    assert_eq!(split_args(r#""\x41\n\"\\" '\'x'"#), v(&[b"A\n\"\\", b"'x"]));
    assert_eq!(split_args(r#""\x4" "\q""#), v(&[b"x4", b"q"]));
    assert_eq!(split_args(r#"a"b c" d"#), v(&[b"ab c", b"d"]));
    assert_eq!(split_args(r#"set k """#), v(&[b"set", b"k", b""]));
    assert_eq!(split_args(r#""\xff\x00""#), v(&[b"\xff\x00"]));
    assert!(try_split_args(r#"set "a"b"#).is_none());
    assert!(try_split_args(r#"set "ab"#).is_none());
    assert!(try_split_args("set 'ab").is_none());
    assert!(try_split_args("set 'a'b").is_none());
    assert_eq!(try_split_args("   "), Some(vec![]));
}

#[test]
fn reply_framing() {
    let complete: &[&[u8]] = &[
        b"+a\r\n",
        b"-e\r\n",
        b":1\r\n",
        b"$-1\r\n",
        b"$0\r\n\r\n",
        b"$4\r\na\r\nb\r\n",
        b"*-1\r\n",
        b"*0\r\n",
        b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n",
        b"%1\r\n+a\r\n,1.5\r\n",
        b"~1\r\n#t\r\n",
        b">2\r\n+a\r\n_\r\n",
        b"(123\r\n",
        b"=7\r\ntxt:abc\r\n",
        b"|1\r\n+k\r\n+v\r\n:5\r\n",
    ];
    for c in complete {
        assert_eq!(
            common::parse_reply(c, 0),
            Ok(Some(c.len())),
            "{}",
            escape(c)
        );
        assert_eq!(
            common::parse_reply(&c[..c.len() - 1], 0),
            Ok(None),
            "{}",
            escape(c)
        );
        let node = parse(c).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(to_bytes(&node), c.to_vec());
    }
    // Two replies back to back: only the first is framed.
    assert_eq!(common::parse_reply(b"+a\r\n:1\r\n", 0), Ok(Some(4)));
    assert!(common::parse_reply(b"?x\r\n", 0).is_err());
}
