//! The Prometheus endpoint (`metrics-port`, `src/metrics.rs`), scraped with
//! a raw HTTP/1.1 client over TCP: status lines, headers, values that follow
//! the commands run, keep-alive and pipelining, malformed and oversized
//! requests, a slowloris peer that must not stall the Redis port, and
//! CONFIG SET metrics-port opening and closing the listener.
//!
//! rustredis only: redis-server has no metrics endpoint.

mod common;

use common::{Conn, ServerProc, free_port, info_field, s, settle_clients};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One parsed HTTP response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A raw HTTP connection with its read buffer.
struct Http {
    sock: TcpStream,
    buf: Vec<u8>,
}

impl Http {
    fn connect(port: u16) -> Http {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(sock) => {
                    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    return Http {
                        sock,
                        buf: Vec::new(),
                    };
                }
                Err(e) if Instant::now() >= deadline => panic!("connect {port}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn send(&mut self, b: &[u8]) {
        self.sock.write_all(b).unwrap();
    }

    fn fill(&mut self) -> bool {
        let mut tmp = [0u8; 65536];
        match self.sock.read(&mut tmp) {
            Ok(0) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&tmp[..n]);
                true
            }
            Err(e) => panic!("read: {e} (have {:?})", String::from_utf8_lossy(&self.buf)),
        }
    }

    /// Reads one response; `head` when it answers a HEAD request (no body).
    fn read_resp(&mut self, head: bool) -> Resp {
        let end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            assert!(self.fill(), "EOF before response head");
        };
        let head_text = String::from_utf8(self.buf[..end].to_vec()).unwrap();
        let mut lines = head_text.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
        let status: u16 = parts.next().unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once(": ").unwrap();
                (k.to_string(), v.to_string())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .expect("Content-Length");
        let body_len = if head { 0 } else { len };
        while self.buf.len() < end + body_len {
            assert!(self.fill(), "EOF inside body");
        }
        let body = String::from_utf8(self.buf[end..end + body_len].to_vec()).unwrap();
        self.buf.drain(..end + body_len);
        Resp {
            status,
            headers,
            body,
        }
    }

    /// True if the server closes the connection (EOF) within 5 s.
    fn eof(&mut self) -> bool {
        let mut tmp = [0u8; 1024];
        matches!(self.sock.read(&mut tmp), Ok(0))
    }
}

const GET: &[u8] = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";

fn start() -> (ServerProc, u16) {
    for _ in 0..5 {
        let mp = free_port();
        let sp = ServerProc::start(&["--metrics-port", &mp.to_string()]);
        if TcpStream::connect(("127.0.0.1", mp)).is_ok() {
            return (sp, mp);
        }
    }
    panic!("could not start a server with a metrics port");
}

fn scrape(port: u16) -> Resp {
    let mut h = Http::connect(port);
    h.send(GET);
    h.read_resp(false)
}

/// The value of the sample line starting with `series ` in `body`.
fn value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}

#[test]
fn scrape_follows_commands() {
    let (sp, mp) = start();
    let mut c = sp.conn();
    settle_clients(&mut c, 1);
    let r = scrape(mp);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    assert_eq!(
        r.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        r.body.len()
    );
    assert!(r.body.contains("# TYPE redis_connected_clients gauge\n"));
    assert!(
        r.body
            .contains("# TYPE redis_commands_processed_total counter\n")
    );
    // The HTTP connection is not a Redis client.
    assert_eq!(value(&r.body, "redis_connected_clients"), Some(1.0));
    assert_eq!(value(&r.body, "redis_db_keys{db=\"db0\"}"), Some(0.0));
    assert_eq!(value(&r.body, "redis_db_keys{db=\"db15\"}"), Some(0.0));
    let processed0 = value(&r.body, "redis_commands_processed_total").unwrap();

    assert_eq!(s(c.cmd(&[b"SET", b"k", b"v"])), "+OK\r\n");
    assert_eq!(s(c.cmd(&[b"SET", b"t", b"v", b"EX", b"100"])), "+OK\r\n");
    assert_eq!(s(c.cmd(&[b"GET", b"k"])), "$1\r\nv\r\n");
    assert_eq!(s(c.cmd(&[b"GET", b"nope"])), "$-1\r\n");
    assert!(s(c.cmd(&[b"LPUSH", b"k", b"x"])).starts_with("-WRONGTYPE"));
    let r = scrape(mp);
    let b = &r.body;
    assert_eq!(value(b, "redis_commands_total{cmd=\"set\"}"), Some(2.0));
    assert_eq!(value(b, "redis_commands_total{cmd=\"get\"}"), Some(2.0));
    assert_eq!(
        value(b, "redis_commands_failed_calls_total{cmd=\"lpush\"}"),
        Some(1.0)
    );
    assert!(value(b, "redis_commands_duration_seconds_total{cmd=\"set\"}").unwrap() > 0.0);
    assert_eq!(value(b, "redis_keyspace_hits_total"), Some(1.0));
    assert_eq!(value(b, "redis_keyspace_misses_total"), Some(1.0));
    assert_eq!(value(b, "redis_errors_total{err=\"WRONGTYPE\"}"), Some(1.0));
    assert_eq!(value(b, "redis_db_keys{db=\"db0\"}"), Some(2.0));
    assert_eq!(value(b, "redis_db_keys_expiring{db=\"db0\"}"), Some(1.0));
    assert_eq!(value(b, "redis_rdb_changes_since_last_save"), Some(2.0));
    assert!(value(b, "redis_commands_processed_total").unwrap() >= processed0 + 5.0);
    // Same numbers as INFO: one source of truth.
    let info = s(c.cmd(&[b"INFO", b"memory"]));
    let maxmem: f64 = info_field(&info, "maxmemory").unwrap().parse().unwrap();
    assert_eq!(value(b, "redis_memory_max_bytes"), Some(maxmem));
    assert!(value(b, "redis_memory_used_bytes").unwrap() > 0.0);
    assert!(value(b, "redis_uptime_in_seconds").is_some());
    assert!(value(b, "redis_master_repl_offset").is_some());
    assert!(value(b, "redis_connected_slaves").is_some());
    assert!(value(b, "redis_rdb_last_save_timestamp_seconds").unwrap() > 1e9);
    assert!(value(b, "redis_metrics_scrapes_total").unwrap() >= 2.0);
    // CLIENT LIST does not show the HTTP connection either.
    let _h = Http::connect(mp);
    let list = s(c.cmd(&[b"CLIENT", b"LIST"]));
    assert_eq!(list.matches("id=").count(), 1, "{list}");
}

#[test]
fn keep_alive_pipelining_and_errors() {
    let (_sp, mp) = start();
    // Three pipelined requests in one write, answered in order, then more.
    let mut h = Http::connect(mp);
    let mut batch = GET.to_vec();
    batch.extend_from_slice(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    batch.extend_from_slice(b"HEAD /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    batch.extend_from_slice(b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    h.send(&batch);
    let r1 = h.read_resp(false);
    assert_eq!(r1.status, 200);
    assert_eq!(r1.header("Connection"), Some("keep-alive"));
    let r2 = h.read_resp(false);
    assert_eq!((r2.status, r2.body.as_str()), (404, "404 Not Found\n"));
    let r3 = h.read_resp(true);
    assert_eq!(r3.status, 200);
    assert!(
        r3.header("Content-Length")
            .unwrap()
            .parse::<usize>()
            .unwrap()
            > 1000
    );
    let r4 = h.read_resp(false);
    assert_eq!(r4.status, 405);
    assert_eq!(r4.header("Allow"), Some("GET, HEAD"));
    // Many requests pipelined: more than one event's budget.
    let many: Vec<u8> = GET.repeat(20);
    h.send(&many);
    for _ in 0..20 {
        assert_eq!(h.read_resp(false).status, 200);
    }
    // Split across writes.
    h.send(b"GET /met");
    std::thread::sleep(Duration::from_millis(50));
    h.send(b"rics HTTP/1.1\r\nHo");
    std::thread::sleep(Duration::from_millis(50));
    h.send(b"st: x\r\n\r\n");
    assert_eq!(h.read_resp(false).status, 200);
    // Connection: close is honoured.
    h.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let r = h.read_resp(false);
    assert_eq!((r.status, r.header("Connection")), (200, Some("close")));
    assert!(h.eof());

    // HTTP/1.0 closes by default.
    let mut h = Http::connect(mp);
    h.send(b"GET /metrics HTTP/1.0\r\n\r\n");
    assert_eq!(h.read_resp(false).status, 200);
    assert!(h.eof());

    // Malformed requests: 400 and close.
    for bad in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"[..],
        b"GET /metrics HTTP/1.1\r\n\r\n",
        b"GET /metrics HTTP/3.0\r\nHost: x\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"*1\r\n$4\r\nPING\r\n\r\n",
    ] {
        let mut h = Http::connect(mp);
        h.send(bad);
        let r = h.read_resp(false);
        assert_eq!(r.status, 400, "{:?}", String::from_utf8_lossy(bad));
        assert_eq!(r.header("Connection"), Some("close"));
        assert!(h.eof());
    }
    // A body is refused and the connection closed.
    let mut h = Http::connect(mp);
    h.send(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(h.read_resp(false).status, 405);
    assert!(h.eof());
    // An oversized head: 431 and close.
    let mut h = Http::connect(mp);
    let mut big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 20000));
    let _ = h.sock.write_all(&big);
    assert_eq!(h.read_resp(false).status, 431);
    assert!(h.eof());
    // Too many headers.
    let mut h = Http::connect(mp);
    let mut req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..50 {
        req.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    h.send(&req);
    assert_eq!(h.read_resp(false).status, 431);
    // The endpoint still serves.
    assert_eq!(scrape(mp).status, 200);
}

#[test]
fn slow_peers_do_not_stall_the_redis_port() {
    let (sp, mp) = start();
    // Partial requests that never complete, and a peer that pipelines
    // requests without reading the answers.
    let mut slow: Vec<Http> = (0..20).map(|_| Http::connect(mp)).collect();
    for h in slow.iter_mut() {
        h.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    }
    let mut hog = Http::connect(mp);
    let _ = hog.sock.set_write_timeout(Some(Duration::from_millis(500)));
    let many = GET.repeat(200);
    let _ = hog.sock.write_all(&many);
    let mut c: Conn = sp.conn();
    for i in 0..50 {
        let t = Instant::now();
        assert_eq!(s(c.cmd(&[b"PING"])), "+PONG\r\n");
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "ping {i} took {:?}",
            t.elapsed()
        );
        if i % 10 == 0 {
            for h in slow.iter_mut() {
                h.send(b"a");
            }
        }
    }
    // Others are still served.
    assert_eq!(scrape(mp).status, 200);
    // The hog's answers were produced as it reads them.
    for _ in 0..200 {
        assert_eq!(hog.read_resp(false).status, 200);
    }
}

#[test]
fn config_set_metrics_port() {
    let (sp, mp) = start();
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"metrics-port"])),
        format!(
            "*2\r\n$12\r\nmetrics-port\r\n${}\r\n{}\r\n",
            mp.to_string().len(),
            mp
        )
    );
    // An open keep-alive connection survives a port change.
    let mut kept = Http::connect(mp);
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"metrics-port", b"0"])),
        "+OK\r\n"
    );
    assert!(TcpStream::connect(("127.0.0.1", mp)).is_err());
    kept.send(GET);
    assert_eq!(kept.read_resp(false).status, 200);
    // The Redis port itself is taken: refused, nothing changes.
    let redis_port = sp.port.to_string();
    let r = s(c.cmd(&[b"CONFIG", b"SET", b"metrics-port", redis_port.as_bytes()]));
    assert_eq!(
        r,
        "-ERR CONFIG SET failed (possibly related to argument 'metrics-port') - Unable to listen on this port. Check server logs.\r\n"
    );
    let again = s(c.cmd(&[b"CONFIG", b"GET", b"metrics-port"]));
    assert!(again.ends_with("$1\r\n0\r\n"), "{again}");
    // A free port may be taken by another test process before the server
    // binds it: try a few.
    let np = (0..10)
        .map(|_| free_port())
        .find(|p| {
            s(c.cmd(&[b"CONFIG", b"SET", b"metrics-port", p.to_string().as_bytes()])) == "+OK\r\n"
        })
        .expect("CONFIG SET metrics-port succeeded on none of 10 free ports");
    assert_eq!(scrape(np).status, 200);
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"SET", b"metrics-port", b"70000"])),
        "-ERR CONFIG SET failed (possibly related to argument 'metrics-port') - argument must be between 0 and 65535 inclusive\r\n"
    );
}

#[test]
fn off_by_default() {
    let sp = ServerProc::start(&[]);
    let mut c = sp.conn();
    assert_eq!(
        s(c.cmd(&[b"CONFIG", b"GET", b"metrics-port"])),
        "*2\r\n$12\r\nmetrics-port\r\n$1\r\n0\r\n"
    );
    assert!(!sp.log().contains("metrics endpoint"));
}
