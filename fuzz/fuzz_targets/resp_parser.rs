//! Fuzz target: the RESP query parser, multibulk and inline.
//!
//! `rustredis::resp::fuzz_query_buffer` feeds the bytes to the resumable
//! query parser in chunks, the way a socket delivers them, before and after
//! authentication; it must never panic, loop forever or allocate without
//! bound, whatever the input: complete commands, incomplete frames and
//! protocol errors are all ordinary outcomes.
//!
//! Then two properties of `resp::QueryParser` itself:
//! - *resumable*: the input parsed as one buffer and parsed as it arrives
//!   one to seven bytes at a time (the first byte picks the size) gives the
//!   same commands and the same protocol error, if any (inputs stay far
//!   below the 64 KiB inline and count-line limits, the only checks that
//!   depend on how much is buffered);
//! - *round trip*: each command, encoded again as a multibulk request
//!   (`*N`, then `$len` and the bytes of every argument), parses back into
//!   the same arguments in one call.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use rustredis::resp::{ParseLimits, ProtocolError, QueryParser};

/// Parses `data` delivered in pieces of `chunk` bytes; returns the
/// commands (empty ones skipped, as the server skips them) and the error
/// that stopped parsing, if any.
fn parse_in_chunks(
    data: &[u8],
    chunk: usize,
    limits: &ParseLimits,
) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut p = QueryParser::default();
    let mut buf = BytesMut::new();
    let mut argv = Vec::new();
    let mut cmds = Vec::new();
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match p.parse(&mut buf, &mut argv, limits) {
                Ok(true) => {
                    if !argv.is_empty() {
                        cmds.push(std::mem::take(&mut argv));
                    }
                    argv.clear();
                    p.reset();
                }
                Ok(false) => break,
                Err(e) => return (cmds, Some(e)),
            }
        }
    }
    (cmds, None)
}

fn encode(argv: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::new();
    rustredis::resp::write_len(&mut out, b'*', argv.len() as i64);
    for a in argv {
        rustredis::resp::write_bulk(&mut out, a);
    }
    out
}

fuzz_target!(|data: &[u8]| {
    rustredis::resp::fuzz_query_buffer(data);

    let limits = ParseLimits {
        proto_max_bulk_len: 1 << 20,
        auth_required: data.first().is_some_and(|b| b & 0x80 != 0),
        is_master: false,
    };
    let chunk = 1 + (data.first().copied().unwrap_or(0) as usize % 7);
    let whole = parse_in_chunks(data, data.len().max(1), &limits);
    let pieces = parse_in_chunks(data, chunk, &limits);
    assert_eq!(
        whole, pieces,
        "parsing depends on how the bytes arrive (chunk {chunk})"
    );

    let open = ParseLimits::default();
    for argv in &whole.0 {
        let wire = encode(argv);
        let (again, err) = parse_in_chunks(&wire, wire.len(), &open);
        assert_eq!(err, None, "re-encoded {argv:?} refused");
        assert_eq!(
            again.as_slice(),
            std::slice::from_ref(argv),
            "re-encoded command changed"
        );
    }
});
