//! RESP parsing and encoding, with no I/O (Redis `networking.c`:
//! `processInlineBuffer`, `processMultibulkBuffer`, the `addReply*` encoders).
//!
//! # How the query parser works
//! A client's query buffer is a `BytesMut` that the reactor appends to. The
//! parser is *resumable*: [`QueryParser`] remembers how many multibulk
//! elements are still missing (`multibulklen`) and the length of the bulk it
//! is waiting for (`bulklen`), so a command that arrives one byte at a time is
//! parsed without rescanning. Complete arguments are split off the buffer as
//! `Bytes` (no copy). An incomplete frame is a state (`Ok(false)`), never an
//! error.
//!
//! The request type is chosen by the first byte, as Redis does: `*` starts a
//! multibulk request, anything else is an inline command split with
//! `sdssplitargs` rules. Protocol errors carry Redis's exact text; the caller
//! replies with it and closes the connection after the reply.
//!
//! Checks mirror Redis 7.0: an inline line or a count line longer than 64 KiB
//! without a newline is rejected (lines are searched as C's `strchr` does
//! in Redis's NUL-terminated buffer, so a NUL byte before the line end
//! makes the parser wait, as Redis does, until that limit); a multibulk count over `i32::MAX`, or over 10
//! before authentication, is rejected; a bulk length over
//! `proto-max-bulk-len`, or over 16 KiB before authentication, is rejected.

use bytes::{Buf, Bytes, BytesMut};

/// Largest inline request, and largest count line, Redis accepts without a
/// newline (`PROTO_INLINE_MAX_SIZE`), in bytes.
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// Which kind of request the parser is in the middle of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReqType {
    #[default]
    None,
    Inline,
    Multibulk,
}

/// Limits that depend on the server config and the client's state.
#[derive(Clone, Copy, Debug)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`, bytes.
    pub proto_max_bulk_len: i64,
    /// True while the client still has to authenticate (stricter limits).
    pub auth_required: bool,
    /// True for the connection from our master (no bulk length limit).
    pub is_master: bool,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            proto_max_bulk_len: 512 * 1024 * 1024,
            auth_required: false,
            is_master: false,
        }
    }
}

/// Resumable parser state of one client.
#[derive(Debug)]
pub struct QueryParser {
    pub reqtype: ReqType,
    /// Elements of the current multibulk still to read (0 = reading the count).
    pub multibulklen: i64,
    /// Length of the bulk being waited for, or -1 when reading its `$` line.
    pub bulklen: i64,
}

impl Default for QueryParser {
    fn default() -> Self {
        QueryParser {
            reqtype: ReqType::None,
            multibulklen: 0,
            bulklen: -1,
        }
    }
}

/// A protocol error (Redis `setProtocolError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// The exact reply text Redis sends, without `-ERR ` (bytes: the
    /// "expected '$'" error quotes the offending byte as it is).
    pub reply: Vec<u8>,
    /// Redis's short description for the log line ("invalid mbulk count",
    /// "unauth bulk length", ...).
    pub log: &'static str,
}

impl ProtocolError {
    fn new(reply: &str, log: &'static str) -> ProtocolError {
        ProtocolError {
            reply: reply.as_bytes().to_vec(),
            log,
        }
    }
}

/// The end of the line starting `buf`, as C's `strchr(buf, '\r')` finds it
/// in Redis's NUL-terminated query buffer: a NUL before the `\r` hides it.
fn find_cr(buf: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\r', 0, buf).filter(|&i| buf[i] == b'\r')
}

impl QueryParser {
    /// Resets the parser for the next command (Redis `resetClient`).
    pub fn reset(&mut self) {
        *self = QueryParser::default();
    }

    /// Parses one command from `buf` into `argv`.
    ///
    /// Returns `Ok(true)` when `argv` holds a complete command (possibly
    /// empty: an empty inline line or `*0`, which the caller skips),
    /// `Ok(false)` when more bytes are needed, and `Err` on a protocol error.
    pub fn parse(
        &mut self,
        buf: &mut BytesMut,
        argv: &mut Vec<Bytes>,
        limits: &ParseLimits,
    ) -> Result<bool, ProtocolError> {
        if buf.is_empty() {
            return Ok(false);
        }
        if self.reqtype == ReqType::None {
            self.reqtype = if buf[0] == b'*' {
                ReqType::Multibulk
            } else {
                ReqType::Inline
            };
        }
        match self.reqtype {
            ReqType::Inline => self.parse_inline(buf, argv),
            _ => self.parse_multibulk(buf, argv, limits),
        }
    }

    fn parse_inline(
        &mut self,
        buf: &mut BytesMut,
        argv: &mut Vec<Bytes>,
    ) -> Result<bool, ProtocolError> {
        // Like C's strchr on a NUL-terminated buffer: a NUL before the
        // newline hides it.
        let nl = buf
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .filter(|&i| buf[i] == b'\n');
        let Some(nl) = nl else {
            if buf.len() > PROTO_INLINE_MAX_SIZE {
                return Err(ProtocolError::new(
                    "Protocol error: too big inline request",
                    "too big inline request",
                ));
            }
            return Ok(false);
        };
        let (linelen, skip) = if nl > 0 && buf[nl - 1] == b'\r' {
            (nl - 1, 2)
        } else {
            (nl, 1)
        };
        let Some(args) = crate::util::split_args(&buf[..linelen]) else {
            return Err(ProtocolError::new(
                "Protocol error: unbalanced quotes in request",
                "unbalanced quotes in inline request",
            ));
        };
        buf.advance(linelen + skip);
        argv.clear();
        argv.extend(args.into_iter().map(Bytes::from));
        Ok(true)
    }

    fn parse_multibulk(
        &mut self,
        buf: &mut BytesMut,
        argv: &mut Vec<Bytes>,
        limits: &ParseLimits,
    ) -> Result<bool, ProtocolError> {
        if self.multibulklen == 0 {
            let Some(cr) = find_cr(buf) else {
                if buf.len() > PROTO_INLINE_MAX_SIZE {
                    return Err(ProtocolError::new(
                        "Protocol error: too big mbulk count string",
                        "too big mbulk count string",
                    ));
                }
                return Ok(false);
            };
            // Need the '\n' after the '\r' too.
            if cr + 2 > buf.len() {
                return Ok(false);
            }
            let ll = crate::util::string2ll(&buf[1..cr]);
            match ll {
                Some(ll) if ll <= i32::MAX as i64 => {
                    if ll > 10 && limits.auth_required {
                        return Err(ProtocolError::new(
                            "Protocol error: unauthenticated multibulk length",
                            "unauth mbulk count",
                        ));
                    }
                    buf.advance(cr + 2);
                    argv.clear();
                    if ll <= 0 {
                        return Ok(true);
                    }
                    self.multibulklen = ll;
                    argv.reserve(ll.min(1024) as usize);
                }
                _ => {
                    return Err(ProtocolError::new(
                        "Protocol error: invalid multibulk length",
                        "invalid mbulk count",
                    ));
                }
            }
        }
        while self.multibulklen > 0 {
            if self.bulklen == -1 {
                let Some(cr) = find_cr(buf) else {
                    if buf.len() > PROTO_INLINE_MAX_SIZE {
                        return Err(ProtocolError::new(
                            "Protocol error: too big bulk count string",
                            "too big bulk count string",
                        ));
                    }
                    return Ok(false);
                };
                if cr + 2 > buf.len() {
                    return Ok(false);
                }
                if buf[0] != b'$' {
                    let mut reply = b"Protocol error: expected '$', got '".to_vec();
                    reply.push(buf[0]);
                    reply.push(b'\'');
                    return Err(ProtocolError {
                        reply,
                        log: "expected $ but got something else",
                    });
                }
                match crate::util::string2ll(&buf[1..cr]) {
                    Some(ll)
                        if ll >= 0 && (limits.is_master || ll <= limits.proto_max_bulk_len) =>
                    {
                        if ll > 16384 && limits.auth_required {
                            return Err(ProtocolError::new(
                                "Protocol error: unauthenticated bulk length",
                                "unauth bulk length",
                            ));
                        }
                        buf.advance(cr + 2);
                        self.bulklen = ll;
                    }
                    _ => {
                        return Err(ProtocolError::new(
                            "Protocol error: invalid bulk length",
                            "invalid bulk length",
                        ));
                    }
                }
            }
            let need = self.bulklen as usize;
            if buf.len() < need + 2 {
                // Make room for the whole bulk at once, as Redis does for
                // big args: exactly that much (reserve could double it).
                if need >= 32 * 1024 && buf.capacity() < need + 2 {
                    reserve_exact(buf, need + 2);
                }
                return Ok(false);
            }
            let arg = buf.split_to(need).freeze();
            // Redis skips the two bytes after the bulk without checking them.
            buf.advance(2);
            argv.push(arg);
            // After a big argument another one is likely: room for one
            // more of that size, as Redis gives a new query buffer.
            if need >= 32 * 1024 && buf.is_empty() {
                reserve_exact(buf, need + 2);
            }
            self.bulklen = -1;
            self.multibulklen -= 1;
        }
        Ok(true)
    }
}

/// Gives `buf` a fresh allocation of exactly `cap` bytes (at least its
/// length) holding the same bytes.
fn reserve_exact(buf: &mut BytesMut, cap: usize) {
    let mut nb = BytesMut::with_capacity(cap.max(buf.len()));
    nb.extend_from_slice(buf);
    *buf = nb;
}

/// Feeds arbitrary bytes to the query parser in varying chunk sizes, as the
/// reactor would, until it needs more input or reports a protocol error.
/// Must never panic: this is the `fuzz/` target's entry point.
pub fn fuzz_query_buffer(data: &[u8]) {
    for auth_required in [false, true] {
        let limits = ParseLimits {
            proto_max_bulk_len: 1 << 20,
            auth_required,
            is_master: false,
        };
        let mut p = QueryParser::default();
        let mut buf = BytesMut::new();
        let mut argv = Vec::new();
        let chunk = 1 + (data.first().copied().unwrap_or(0) as usize % 7);
        'feed: for piece in data.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                match p.parse(&mut buf, &mut argv, &limits) {
                    Ok(true) => {
                        argv.clear();
                        p.reset();
                    }
                    Ok(false) => break,
                    Err(_) => break 'feed,
                }
            }
        }
    }
}

// ---- Encoders (pure; the Client chooses by protocol version) ----

/// Appends `<prefix><n>\r\n`.
#[inline]
pub fn write_len(out: &mut Vec<u8>, prefix: u8, n: i64) {
    out.push(prefix);
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a bulk string `$<len>\r\n<bytes>\r\n`.
#[inline]
pub fn write_bulk(out: &mut Vec<u8>, s: &[u8]) {
    write_len(out, b'$', s.len() as i64);
    out.extend_from_slice(s);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8], limits: &ParseLimits) -> (Vec<Vec<Vec<u8>>>, Option<String>) {
        let mut p = QueryParser::default();
        let mut buf = BytesMut::from(input);
        let mut argv = Vec::new();
        let mut cmds = Vec::new();
        loop {
            match p.parse(&mut buf, &mut argv, limits) {
                Ok(true) => {
                    cmds.push(argv.iter().map(|a| a.to_vec()).collect());
                    argv.clear();
                    p.reset();
                }
                Ok(false) => return (cmds, None),
                Err(e) => return (cmds, Some(String::from_utf8_lossy(&e.reply).into_owned())),
            }
        }
    }

    #[test]
    fn multibulk_and_pipeline() {
        let (cmds, err) = parse_all(
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n",
            &ParseLimits::default(),
        );
        assert_eq!(err, None);
        assert_eq!(
            cmds,
            vec![vec![b"GET".to_vec(), b"k".to_vec()], vec![b"PING".to_vec()]]
        );
    }

    #[test]
    fn byte_by_byte() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut p = QueryParser::default();
        let mut buf = BytesMut::new();
        let mut argv = Vec::new();
        let mut done = 0;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if p.parse(&mut buf, &mut argv, &ParseLimits::default())
                .unwrap()
            {
                done += 1;
                assert_eq!(argv.len(), 3);
                assert_eq!(&argv[2][..], b"hello");
            }
        }
        assert_eq!(done, 1);
        assert!(buf.is_empty());
    }

    #[test]
    fn inline() {
        let (cmds, err) = parse_all(b"SET a \"b c\"\r\nPING\n\r\n", &ParseLimits::default());
        assert_eq!(err, None);
        assert_eq!(
            cmds[0],
            vec![b"SET".to_vec(), b"a".to_vec(), b"b c".to_vec()]
        );
        assert_eq!(cmds[1], vec![b"PING".to_vec()]);
        assert!(cmds[2].is_empty());
        let (_, err) = parse_all(b"SET a \"b\r\n", &ParseLimits::default());
        assert_eq!(err.unwrap(), "Protocol error: unbalanced quotes in request");
        let big = vec![b'a'; PROTO_INLINE_MAX_SIZE + 1];
        let (_, err) = parse_all(&big, &ParseLimits::default());
        assert_eq!(err.unwrap(), "Protocol error: too big inline request");
    }

    #[test]
    fn errors() {
        let l = ParseLimits::default();
        assert_eq!(
            parse_all(b"*abc\r\n", &l).1.unwrap(),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n+foo\r\n", &l).1.unwrap(),
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(
            parse_all(b"*1\r\n$-1\r\n", &l).1.unwrap(),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$x\r\n", &l).1.unwrap(),
            "Protocol error: invalid bulk length"
        );
        let small = ParseLimits {
            proto_max_bulk_len: 10,
            ..l
        };
        assert_eq!(
            parse_all(b"*1\r\n$11\r\n", &small).1.unwrap(),
            "Protocol error: invalid bulk length"
        );
        let unauth = ParseLimits {
            auth_required: true,
            ..l
        };
        assert_eq!(
            parse_all(b"*11\r\n", &unauth).1.unwrap(),
            "Protocol error: unauthenticated multibulk length"
        );
        assert_eq!(
            parse_all(b"*1\r\n$16385\r\n", &unauth).1.unwrap(),
            "Protocol error: unauthenticated bulk length"
        );
        assert_eq!(
            parse_all(b"*3000000000\r\n", &l).1.unwrap(),
            "Protocol error: invalid multibulk length"
        );
        // A NUL before the CR hides the line end, as C's strchr does.
        assert_eq!(parse_all(b"*\x001\r\n", &l), (vec![], None));
        assert_eq!(parse_all(b"*1\r\n$\x004\r\nPING\r\n", &l), (vec![], None));
        assert_eq!(parse_all(b"*1\r\n\x00\r\n", &l), (vec![], None));
        // The byte in "expected '$'" is quoted raw.
        let mut p = QueryParser::default();
        let mut buf = BytesMut::from(&b"*1\r\n\xff4\r\n"[..]);
        let e = p.parse(&mut buf, &mut Vec::new(), &l).unwrap_err();
        assert_eq!(e.reply, b"Protocol error: expected '$', got '\xff'");
        assert_eq!(e.log, "expected $ but got something else");
        // empty multibulk is a no-op command
        let (cmds, err) = parse_all(b"*0\r\n*-1\r\n", &l);
        assert_eq!(err, None);
        assert_eq!(cmds.len(), 2);
        assert!(cmds.iter().all(|c| c.is_empty()));
    }

    #[test]
    fn fuzz_entry_never_panics_on_random_input() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let alphabet = b"*$\r\n0123456789-+abc \"'\\x";
        for _ in 0..3000 {
            let n = rng.random_range(0..64);
            let data: Vec<u8> = (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            fuzz_query_buffer(&data);
        }
    }
}
