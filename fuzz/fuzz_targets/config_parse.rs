//! Fuzz target: the config-file parser and CONFIG SET.
//!
//! Input: config-file text, then (after the first 0x00 byte) CONFIG SET
//! arguments separated by 0x00: name, value, name, value, ...
//!
//! 1. The text is loaded into a default `Config` with
//!    `Config::load_from_string` (Redis `loadServerConfigFromString`). Lines
//!    whose directive is `include` or `logfile` are blanked first (same line
//!    numbers): the first reads any file, the second creates one, and a
//!    fuzzer must touch no files. A refused text must give an error whose
//!    report renders; nothing may panic.
//! 2. The pairs go to `Config::set_for_client` as one CONFIG SET from a
//!    local client. When accepted, every directive it changed must take its
//!    own CONFIG GET rendering back unchanged (GET/SET round trip).
//! 3. CONFIG REWRITE's text with every directive (`rewrite_content(.., true)`,
//!    DEBUG CONFIG-REWRITE-FORCE-ALL) must load into a fresh `Config`, and
//!    every directive must read back as it was: what CONFIG REWRITE writes,
//!    a restart must read (except where Redis 7.0.15 itself fails that:
//!    a `save` point whose change count overflowed a C int, and `bind`
//!    addresses that are empty or hold spaces or quotes, written unquoted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rustredis::config::{Config, DIRECTIVES};

/// Blanks the lines whose directive touches files (see the module docs),
/// splitting and trimming lines as `load_from_string` does.
fn sandbox(text: &str) -> String {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|raw| {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            let argv = rustredis::util::split_args(line.as_bytes()).unwrap_or_default();
            match argv.first() {
                Some(a0)
                    if a0.eq_ignore_ascii_case(b"include")
                        || a0.eq_ignore_ascii_case(b"logfile") =>
                {
                    ""
                }
                _ => raw,
            }
        })
        .collect();
    lines.join("\n")
}

fn snapshot(cfg: &Config) -> Vec<(&'static str, String)> {
    DIRECTIVES.iter().map(|d| (d.name, (d.get)(cfg))).collect()
}

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(z) => (&data[..z], &data[z + 1..]),
        None => (data, &[][..]),
    };
    let text = sandbox(&String::from_utf8_lossy(text));
    let mut cfg = Config::default();
    if let Err(e) = cfg.load_from_string(&text) {
        let _ = e.report();
        return;
    }

    // CONFIG SET name value [name value ...]
    let args: Vec<&[u8]> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split(|&b| b == 0).collect()
    };
    if args.len() >= 2 {
        let pairs: Vec<(&[u8], &[u8])> = args.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        if let Ok(changed) = cfg.set_for_client(&pairs, true, false) {
            for name in changed {
                let Some(v) = cfg.get_value(name) else {
                    panic!("changed directive {name} has no value");
                };
                let r = cfg.set_for_client(&[(name.as_bytes(), v.as_bytes())], true, false);
                assert!(
                    r.is_ok(),
                    "CONFIG SET {name} {v:?} (its own GET) refused: {r:?}"
                );
                assert_eq!(
                    cfg.get_value(name).as_deref(),
                    Some(v.as_str()),
                    "CONFIG SET {name} of its own GET changed it"
                );
            }
        }
    }

    // CONFIG REWRITE (every directive) then a restart reading it. Redis
    // 7.0.15 keeps a save point's `changes` as a C int, so `save 900
    // 99999999999` reads back as "900 -1", which it then refuses to load
    // from its own rewrite; rustredis does the same, so skip that case.
    if cfg.save_params.iter().any(|&(_, changes)| changes < 0) {
        return;
    }
    // Redis writes `bind` as its addresses joined by spaces, unquoted: an
    // empty address, or one with a space or a quote, reads back differently
    // (and is no address to listen on anyway), in Redis as here.
    let unquotable = |a: &String| {
        a.is_empty()
            || a.bytes()
                .any(|b| b.is_ascii_whitespace() || b == b'"' || b == b'\'' || b == 0x0b)
    };
    if cfg.bind.iter().any(unquotable) {
        return;
    }
    let rewritten = cfg.rewrite_content("", true, None);
    let mut fresh = Config::default();
    if let Err(e) = fresh.load_from_string(&rewritten) {
        panic!(
            "the rewritten config does not load: {}\n{rewritten}",
            e.report()
        );
    }
    let (before, after) = (snapshot(&cfg), snapshot(&fresh));
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(
            a, b,
            "{name} changed across CONFIG REWRITE and reload:\n{rewritten}"
        );
    }
});
