//! Fuzz target: ACL rules (`acl::User::set_rule`, Redis `ACLSetUser`) and
//! their description (`User::describe`, Redis `ACLDescribeUser`).
//!
//! Input: the first byte's bit 0 sets `acl-pubsub-default` (allchannels
//! when set); the rest is one line per rule, applied in order to a new
//! user as ACL SETUSER would, one argument each (so `(~k +get)` is one
//! selector and `~a b` a pattern with a space, which must be refused).
//! Lines starting with `?` are probes instead: `?CMD [SUB] ARG...` split
//! on spaces.
//!
//! Properties:
//! - no rule panics; a refused rule leaves the user as it was;
//! - unless an accepted rule is one whose description Redis 7.0.15 cannot
//!   read back either (see `breaks_description`), the description, split on spaces with `(...)` merged back as ACL
//!   LOAD and `user` lines do (`acl::merge_selector_args`), loads into a
//!   fresh user rule by rule without error and describes identically;
//! - the two users decide every probe alike: the command with those
//!   arguments (`check_command`, when the arity fits, as after
//!   `processCommand`'s arity check), each argument as a key for read,
//!   write and both (`check_key`), and as a channel and a pattern
//!   (`check_channel`).
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use rustredis::acl::{self, User};
use rustredis::commands::meta::COMMANDS;

/// The static command id for a probe's argv (`get`, or `config|get`).
fn probe_id(argv: &[Bytes]) -> Option<usize> {
    let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
    let find = |n: &str| COMMANDS.iter().position(|m| m.name == n);
    if let Some(sub) = argv.get(1) {
        let full = format!(
            "{name}|{}",
            String::from_utf8_lossy(sub).to_ascii_lowercase()
        );
        if let Some(id) = find(&full) {
            return Some(id);
        }
    }
    find(&name)
}

fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i32;
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

fn probe(u: &User, argv: &[Bytes]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(id) = probe_id(argv) {
        if arity_ok(COMMANDS[id].arity, argv.len()) {
            out.push(format!(
                "{:?}",
                u.check_command(id, argv)
                    .map_err(|(r, i)| (r.log_name(), i))
            ));
        }
    }
    for a in argv {
        for (r, w) in [(true, false), (false, true), (true, true)] {
            out.push(format!("{}", u.check_key(a, r, w)));
        }
        out.push(format!("{}", acl::check_channel(u, a, false)));
        out.push(format!("{}", acl::check_channel(u, a, true)));
    }
    out
}

/// Whether an accepted rule makes a description that Redis 7.0.15 itself
/// cannot read back (ACL LOAD splits the line on spaces, merges `(...)`
/// words, and splits a selector's inside with `sdssplitargs`): a rule
/// with a space (`+select|0 +t` is one first-argument rule, described as
/// two words), or, inside a selector, a rule with whitespace, a quote, a
/// backslash or a parenthesis (`~a)` would end the selector early).
fn breaks_description(rule: &[u8]) -> bool {
    if rule.len() >= 2 && rule[0] == b'(' && rule[rule.len() - 1] == b')' {
        let inner = rustredis::util::split_args(&rule[1..rule.len() - 1]).unwrap_or_default();
        return inner.iter().any(|r| {
            r.iter().any(|&b| {
                b.is_ascii_whitespace()
                    || b == 0x0b
                    || matches!(b, b'"' | b'\'' | b'\\' | b'(' | b')')
            })
        });
    }
    rule.contains(&b' ')
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    acl::set_pubsub_default(flags & 1 != 0);
    let mut u = User::new(b"fuzz");
    let mut round_trips = true;
    let mut probes: Vec<Vec<Bytes>> = Vec::new();
    for line in rest.split(|&b| b == b'\n') {
        if let Some(p) = line.strip_prefix(b"?") {
            let argv: Vec<Bytes> = p
                .split(|&b| b == b' ')
                .filter(|a| !a.is_empty())
                .map(Bytes::copy_from_slice)
                .collect();
            if !argv.is_empty() {
                probes.push(argv);
            }
            continue;
        }
        let before = u.clone();
        let ok = u.set_rule(line).is_ok();
        if ok && breaks_description(line) {
            round_trips = false;
        }
        if !ok {
            assert!(
                before == u,
                "a refused rule {:?} changed the user",
                String::from_utf8_lossy(line)
            );
        }
    }

    let described = u.describe();
    if !round_trips {
        return;
    }
    let words: Vec<Vec<u8>> = described
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .map(<[u8]>::to_vec)
        .collect();
    let rules = match acl::merge_selector_args(&words) {
        Ok(r) => r,
        Err(j) => panic!(
            "unbalanced selector at word {j} of {:?}",
            String::from_utf8_lossy(&described)
        ),
    };
    let mut v = User::new(b"fuzz");
    for r in &rules {
        if let Err(e) = v.set_rule(r) {
            panic!(
                "rule {:?} of {:?} refused: {e}",
                String::from_utf8_lossy(r),
                String::from_utf8_lossy(&described)
            );
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&described),
        String::from_utf8_lossy(&v.describe()),
        "the description does not describe itself"
    );
    for p in &probes {
        assert_eq!(probe(&u, p), probe(&v, p), "users disagree on {p:?}");
    }
});
