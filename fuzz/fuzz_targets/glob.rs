//! Fuzz target: glob matching (`util::string_match`, Redis `stringmatchlen`)
//! against an independent reference matcher.
//!
//! Input: the first byte picks case folding (bit 0); the rest is split at
//! the first 0x00 byte into pattern and string (no 0x00: the pattern is
//! matched against itself, which is often a near miss).
//!
//! The reference compiles the pattern into tokens first (star, any,
//! class, literal), following the byte-by-byte rules of Redis 7.0.15's
//! matcher, quirks included:
//! - an empty string matches only the empty pattern (`*` does not match "");
//! - once the string is used up, trailing `*`s are skipped and the pattern
//!   must be finished;
//! - inside `[...]`: `^` negates, `\x` is an exact byte (never case-folded),
//!   `a-z` is a range whose ends are swapped when reversed (then folded),
//!   `]` right after `[` closes an empty class, and an unterminated class
//!   runs to the end of the pattern;
//! - outside a class, `\x` is the literal `x` (folded like any literal) and
//!   a trailing `\` is a literal backslash.
//!
//! It then decides the match by dynamic programming over (token, position)
//! in O(tokens × len) time and O(tokens) memory, so it cannot be fooled by
//! backtracking and stays fast on any input.
//!
//! The two must agree, and the real matcher must stay fast: it is timed and
//! a call over 2 s (far above the microseconds it needs) fails the run.
//! Patterns with more than 1000 `*` are only timed: rustredis stops
//! recursing 1000 stars deep (answering "no match"), a guard Redis 7.2 has
//! and 7.0.15 does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

#[derive(Debug)]
enum Item {
    Byte(u8),
    Escaped(u8),
    Range(u8, u8),
}

#[derive(Debug)]
enum Tok {
    Star,
    Any,
    Class { negate: bool, items: Vec<Item> },
    Lit(u8),
}

fn tokenize(p: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'*' => {
                while i + 1 < p.len() && p[i + 1] == b'*' {
                    i += 1;
                }
                out.push(Tok::Star);
                i += 1;
            }
            b'?' => {
                out.push(Tok::Any);
                i += 1;
            }
            b'[' => {
                i += 1;
                let negate = p.get(i) == Some(&b'^');
                if negate {
                    i += 1;
                }
                let mut items = Vec::new();
                loop {
                    let rest = p.len() - i.min(p.len());
                    if rest == 0 {
                        break; // unterminated: the class ends the pattern
                    }
                    if p[i] == b'\\' && rest >= 2 {
                        items.push(Item::Escaped(p[i + 1]));
                        i += 2;
                    } else if p[i] == b']' {
                        i += 1;
                        break;
                    } else if rest >= 3 && p[i + 1] == b'-' {
                        items.push(Item::Range(p[i], p[i + 2]));
                        i += 3;
                    } else {
                        items.push(Item::Byte(p[i]));
                        i += 1;
                    }
                }
                out.push(Tok::Class { negate, items });
            }
            b'\\' if p.len() - i >= 2 => {
                out.push(Tok::Lit(p[i + 1]));
                i += 2;
            }
            c => {
                out.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    out
}

fn fold(c: u8, nocase: bool) -> u8 {
    if nocase { c.to_ascii_lowercase() } else { c }
}

fn accepts(t: &Tok, c: u8, nocase: bool) -> bool {
    match t {
        Tok::Star => unreachable!("stars consume nothing here"),
        Tok::Any => true,
        Tok::Lit(l) => fold(*l, nocase) == fold(c, nocase),
        Tok::Class { negate, items } => {
            let hit = items.iter().any(|it| match *it {
                Item::Escaped(b) => b == c,
                Item::Byte(b) => fold(b, nocase) == fold(c, nocase),
                Item::Range(a, b) => {
                    let (lo, hi) = if a > b { (b, a) } else { (a, b) };
                    let (lo, hi, c) = (fold(lo, nocase), fold(hi, nocase), fold(c, nocase));
                    lo <= c && c <= hi
                }
            });
            hit != *negate
        }
    }
}

/// The reference decision. `m[t]` for the current position `i` says
/// whether tokens `t..` match `s[i..]` (with `s[i..]` non-empty, which is
/// the only way the matcher is ever entered past the start);
/// `any[t]` is the OR of `m[t]` over every position from `i` on.
fn reference(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    if s.is_empty() {
        return pattern.is_empty();
    }
    let toks = tokenize(pattern);
    let n = toks.len();
    // Tokens from t on are "done" once the string is used up: nothing, or
    // one (collapsed) star.
    let done_after = |t: usize| t == n || (t + 1 == n && matches!(toks[t], Tok::Star));
    let mut m_next = vec![false; n + 1]; // m for position i + 1
    let mut any = vec![false; n + 1];
    let mut m = vec![false; n + 1];
    for i in (0..s.len()).rev() {
        for t in (0..n).rev() {
            m[t] = match toks[t] {
                Tok::Star => t + 1 == n || any[t + 1] || m[t + 1],
                ref tok => {
                    accepts(tok, s[i], nocase)
                        && if i + 1 == s.len() {
                            done_after(t + 1)
                        } else {
                            m_next[t + 1]
                        }
                }
            };
        }
        m[n] = false;
        for t in 0..=n {
            any[t] |= m[t];
        }
        std::mem::swap(&mut m, &mut m_next);
    }
    m_next[0]
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let nocase = flags & 1 != 0;
    let (pattern, string) = match rest.iter().position(|&b| b == 0) {
        Some(z) => (&rest[..z], &rest[z + 1..]),
        None => (rest, rest),
    };
    let start = Instant::now();
    let got = rustredis::util::string_match(pattern, string, nocase);
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "string_match took {took:?} (pattern {} bytes, string {} bytes)",
        pattern.len(),
        string.len()
    );
    if pattern.iter().filter(|&&b| b == b'*').count() <= 1000 {
        let want = reference(pattern, string, nocase);
        assert_eq!(
            got,
            want,
            "pattern {:?} string {:?} nocase {nocase}",
            String::from_utf8_lossy(pattern),
            String::from_utf8_lossy(string)
        );
    }
});
