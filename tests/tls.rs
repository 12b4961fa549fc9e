//! TLS: `tls-port` with client certificates, checked with redis-cli
//! `--tls` and with a rustls client speaking raw RESP, against rustredis
//! and, where the behaviour is Redis's to define (what is accepted or
//! refused, CONFIG SET errors, INFO), against redis-server 7.0.15 too:
//! every scenario taking a binary runs on both, with the same assertions.
//!
//! Certificates are made at test time with the openssl CLI
//! (`common::make_test_certs`): a CA with a server certificate for
//! 127.0.0.1 and a client certificate, and a second CA with its own client
//! certificate (a stranger). Each server listens on TCP (`--port`, which
//! the harness uses to see it is up, and for CONFIG SET) and on a TLS port.
//!
//! redis-cli and redis-server are needed; when missing the test fails if
//! `CI=true` and is skipped otherwise.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::repl::{Kind, Node, full_then_partial_over};
use common::{ServerProc, TestCerts, call_str, encode_command, make_test_certs, parse_reply};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// redis-cli's path, or None (skip) outside CI when it is missing.
fn redis_cli() -> Option<String> {
    let p = "/usr/bin/redis-cli";
    if Path::new(p).is_file() {
        return Some(p.to_string());
    }
    if common::in_ci() {
        panic!("redis-cli missing (CI=true, so this is a failure): apt-get install redis-tools");
    }
    eprintln!("redis-cli missing, skipped");
    None
}

/// The binaries a scenario runs against: rustredis, plus redis-server when
/// present (a failure in CI when it is not).
fn binaries() -> Vec<String> {
    let mut v = vec![common::server_bin()];
    let oracle = common::oracle_bin();
    if Path::new(&oracle).is_file() {
        v.push(oracle);
    } else if common::in_ci() {
        panic!("oracle missing: {oracle} (CI=true, so this is a failure)");
    }
    v
}

/// Starts `bin` with a TLS port (certificates `certs`) plus `extra`;
/// returns the server and its TLS port.
fn start_tls(bin: &str, certs: &TestCerts, extra: &[&str]) -> (ServerProc, u16) {
    let tls_port = common::free_port();
    let mut args: Vec<String> = certs.server_args(tls_port);
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    (ServerProc::start_bin(bin, &refs), tls_port)
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `redis-cli --tls -p PORT --cacert CA [--cert C --key K] args...`:
/// (exit ok, stdout + stderr).
fn cli_tls(
    cli: &str,
    port: u16,
    ca: &Path,
    cert: Option<(&Path, &Path)>,
    args: &[&str],
) -> (bool, String) {
    let port = port.to_string();
    let ca = path(ca);
    let mut all: Vec<String> = vec!["--tls".into(), "-p".into(), port, "--cacert".into(), ca];
    if let Some((c, k)) = cert {
        all.extend(["--cert".into(), path(c), "--key".into(), path(k)]);
    }
    all.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
    let r = common::run_tool(cli, &refs, None, Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}"));
    (r.status.success(), format!("{}{}", r.stdout, r.stderr))
}

// ---- A rustls client ----

/// Client settings for [`TlsClient::connect`].
struct ClientOpts<'a> {
    /// Trusted CA for the server's certificate.
    ca: &'a Path,
    /// Client certificate and key to present, if any.
    cert: Option<(&'a Path, &'a Path)>,
    /// Protocol versions offered (default: 1.2 and 1.3).
    versions: &'a [&'static rustls::SupportedProtocolVersion],
    /// TLSv1.2 suites offered (default: all).
    tls12_suites: Option<Vec<rustls::SupportedCipherSuite>>,
}

impl<'a> ClientOpts<'a> {
    fn new(ca: &'a Path) -> ClientOpts<'a> {
        ClientOpts {
            ca,
            cert: None,
            versions: rustls::ALL_VERSIONS,
            tls12_suites: None,
        }
    }
    fn cert(mut self, crt: &'a Path, key: &'a Path) -> Self {
        self.cert = Some((crt, key));
        self
    }
}

/// The rustls client config for `o`.
fn client_config(o: &ClientOpts) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut provider = rustls::crypto::ring::default_provider();
    if let Some(s) = &o.tls12_suites {
        provider
            .cipher_suites
            .retain(|c| c.version() == &rustls::version::TLS13 || s.contains(c));
    }
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(o.ca).map_err(|e| e.to_string())? {
        roots
            .add(c.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(o.versions)
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let cfg = match o.cert {
        Some((crt, key)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(crt)
                .map_err(|e| e.to_string())?
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string())?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| e.to_string())?;
            b.with_client_auth_cert(chain, key)
                .map_err(|e| e.to_string())?
        }
        None => b.with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// Only TLSv1.2 offered.
static ONLY_TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];

/// A blocking TLS connection speaking RESP.
struct TlsClient {
    s: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    buf: Vec<u8>,
}

impl TlsClient {
    /// Connects and completes the handshake; Err describes the failure.
    fn connect(port: u16, o: &ClientOpts) -> Result<TlsClient, String> {
        TlsClient::connect_with(port, client_config(o)?)
    }

    /// Connects with a prepared config (sharing its session store).
    fn connect_with(port: u16, cfg: Arc<rustls::ClientConfig>) -> Result<TlsClient, String> {
        let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
        let conn = rustls::ClientConnection::new(cfg, name).map_err(|e| e.to_string())?;
        let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let mut s = rustls::StreamOwned::new(conn, sock);
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock).map_err(|e| e.to_string())?;
        }
        Ok(TlsClient { s, buf: Vec::new() })
    }

    /// True when the handshake resumed an earlier session.
    fn resumed(&self) -> bool {
        self.s.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
    }

    /// The negotiated TLSv1.2/1.3 suite, as rustls names it.
    fn suite(&self) -> String {
        format!(
            "{:?}",
            self.s.conn.negotiated_cipher_suite().map(|s| s.suite())
        )
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.s.write_all(bytes).map_err(|e| e.to_string())?;
        self.s.flush().map_err(|e| e.to_string())
    }

    /// The exact bytes of the next complete reply; Err on EOF or error.
    fn reply(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Ok(Some(end)) = parse_reply(&self.buf, 0) {
                return Ok(self.buf.drain(..end).collect());
            }
            let mut chunk = vec![0u8; 64 * 1024];
            match self.s.read(&mut chunk) {
                Ok(0) => return Err("EOF".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn cmd(&mut self, args: &[&[u8]]) -> Result<Vec<u8>, String> {
        self.send(&encode_command(args))?;
        self.reply()
    }
}

/// Asserts that PING over a fresh TLS connection to `port` answers PONG.
fn assert_pong(port: u16, o: &ClientOpts, bin: &str) {
    assert_eq!(tls_ping(port, o).expect("ping"), b"+PONG\r\n", "{bin}");
}

/// PING over a fresh TLS connection: Ok(reply) or the error.
fn tls_ping(port: u16, o: &ClientOpts) -> Result<Vec<u8>, String> {
    TlsClient::connect(port, o)?.cmd(&[b"PING"])
}

// ---- Scenarios ----

/// redis-cli `--tls` with and without client certificates, under each
/// `tls-auth-clients` mode, and certificates from a CA nobody trusts.
#[test]
fn redis_cli_with_client_certificates() {
    let Some(cli) = redis_cli() else { return };
    let dir = common::scratch_dir("tls-certs");
    let certs = make_test_certs(&dir);
    let mine = Some((certs.client_crt.as_path(), certs.client_key.as_path()));
    let stranger = Some((
        certs.other_client_crt.as_path(),
        certs.other_client_key.as_path(),
    ));
    for bin in binaries() {
        let (srv, tls_port) = start_tls(&bin, &certs, &[]);
        let (ok, out) = cli_tls(&cli, tls_port, &certs.ca, mine, &["PING"]);
        assert!(ok && out == "PONG\n", "{bin}: {out}");
        let (ok, out) = cli_tls(&cli, tls_port, &certs.ca, mine, &["SET", "k", "v over tls"]);
        assert!(ok && out == "OK\n", "{bin}: {out}");
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, mine, &["GET", "k"]);
        assert_eq!(out, "v over tls\n", "{bin}");
        // The default is `tls-auth-clients yes`: no certificate, no entry;
        // nor with one from another CA.
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, None, &["PING"]);
        assert!(!out.contains("PONG"), "{bin}: no client cert got in: {out}");
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, stranger, &["PING"]);
        assert!(
            !out.contains("PONG"),
            "{bin}: foreign client cert got in: {out}"
        );
        // The client refuses a server its CA did not sign.
        let (_, out) = cli_tls(&cli, tls_port, &certs.other_ca, mine, &["PING"]);
        assert!(
            !out.contains("PONG"),
            "{bin}: untrusted server accepted: {out}"
        );
        // `optional`: no certificate is fine, a bad one is not.
        let mut c = srv.conn();
        call_str(&mut c, "CONFIG SET tls-auth-clients optional");
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, None, &["PING"]);
        assert_eq!(out, "PONG\n", "{bin}");
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, stranger, &["PING"]);
        assert!(
            !out.contains("PONG"),
            "{bin}: optional took a foreign cert: {out}"
        );
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, mine, &["PING"]);
        assert_eq!(out, "PONG\n", "{bin}");
        // `no`: nothing is asked.
        call_str(&mut c, "CONFIG SET tls-auth-clients no");
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, None, &["PING"]);
        assert_eq!(out, "PONG\n", "{bin}");
        // Plain RESP on the TLS port: closed without a reply byte.
        let mut raw = TcpStream::connect(("127.0.0.1", tls_port)).expect("connect");
        raw.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        raw.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
        let mut got = Vec::new();
        let _ = raw.read_to_end(&mut got);
        assert_eq!(got, b"", "{bin}: plaintext on the TLS port");
        // The server is still fine.
        let (_, out) = cli_tls(&cli, tls_port, &certs.ca, mine, &["DBSIZE"]);
        assert_eq!(out, "1\n", "{bin}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Pipelining, large values and several clients over TLS, byte for byte
/// (rustredis only: the reply bytes are checked by the other suites).
#[test]
fn pipelining_and_large_values() {
    let dir = common::scratch_dir("tls-certs");
    let certs = make_test_certs(&dir);
    let (srv, tls_port) = start_tls(&common::server_bin(), &certs, &[]);
    let opts = ClientOpts::new(&certs.ca).cert(&certs.client_crt, &certs.client_key);
    let mut c = TlsClient::connect(tls_port, &opts).expect("connect");
    // 3000 commands in one write; the replies come back in order.
    let mut batch = Vec::new();
    for i in 0..1000 {
        let k = format!("key:{i}");
        let v = format!("value-{i}");
        batch.extend(encode_command(&[b"SET", k.as_bytes(), v.as_bytes()]));
        batch.extend(encode_command(&[b"GET", k.as_bytes()]));
        batch.extend(encode_command(&[b"INCR", b"counter"]));
    }
    c.send(&batch).expect("send");
    for i in 0..1000 {
        assert_eq!(c.reply().expect("SET"), b"+OK\r\n");
        let v = format!("value-{i}");
        assert_eq!(
            c.reply().expect("GET"),
            format!("${}\r\n{v}\r\n", v.len()).as_bytes()
        );
        assert_eq!(
            c.reply().expect("INCR"),
            format!(":{}\r\n", i + 1).as_bytes()
        );
    }
    // An 8 MiB value each way (many records, socket pushback on both sides).
    let big: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    assert_eq!(c.cmd(&[b"SET", b"big", &big]).expect("SET big"), b"+OK\r\n");
    let got = c.cmd(&[b"GET", b"big"]).expect("GET big");
    let header = format!("${}\r\n", big.len());
    assert!(got.starts_with(header.as_bytes()));
    assert_eq!(&got[header.len()..got.len() - 2], &big[..]);
    // Several replies of 8 MiB pipelined: nothing lost while the client
    // does not read.
    let mut three = Vec::new();
    for _ in 0..3 {
        three.extend(encode_command(&[b"GET", b"big"]));
    }
    three.extend(encode_command(&[b"STRLEN", b"big"]));
    c.send(&three).expect("send");
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        assert_eq!(c.reply().expect("GET big").len(), got.len());
    }
    assert_eq!(c.reply().expect("STRLEN"), b":8388608\r\n");
    // Other clients meanwhile, TLS and plain TCP.
    let mut others: Vec<TlsClient> = (0..5)
        .map(|_| TlsClient::connect(tls_port, &opts).expect("connect"))
        .collect();
    for (i, o) in others.iter_mut().enumerate() {
        let r = o
            .cmd(&[b"CLIENT", b"SETNAME", format!("tls{i}").as_bytes()])
            .expect("setname");
        assert_eq!(r, b"+OK\r\n");
    }
    let mut plain = srv.conn();
    let list = common::s(plain.cmd(&[b"CLIENT", b"LIST"]));
    for i in 0..5 {
        assert!(list.contains(&format!("name=tls{i} ")), "{list}");
    }
    assert_eq!(plain.cmd(&[b"GET", b"key:999"]), b"$9\r\nvalue-999\r\n");
    // Pub/Sub push over TLS.
    let mut sub = TlsClient::connect(tls_port, &opts).expect("connect");
    sub.cmd(&[b"SUBSCRIBE", b"ch"]).expect("subscribe");
    assert_eq!(plain.cmd(&[b"PUBLISH", b"ch", b"hello"]), b":1\r\n");
    assert_eq!(
        sub.reply().expect("message"),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n"
    );
    // QUIT is answered before the close.
    assert_eq!(c.cmd(&[b"QUIT"]).expect("QUIT"), b"+OK\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sessions resume (TLSv1.3 tickets and TLSv1.2 session ids, from the
/// server's session cache) while `tls-session-caching` is on, not after.
#[test]
fn session_resumption() {
    let dir = common::scratch_dir("tls-certs");
    let certs = make_test_certs(&dir);
    let (srv, tls_port) = start_tls(&common::server_bin(), &certs, &[]);
    let mut c = srv.conn();
    for versions in [rustls::ALL_VERSIONS, ONLY_TLS12] {
        let mut o = ClientOpts::new(&certs.ca).cert(&certs.client_crt, &certs.client_key);
        o.versions = versions;
        let cfg = client_config(&o).expect("config");
        let mut first = TlsClient::connect_with(tls_port, cfg.clone()).expect("connect");
        // A round trip, so the client has read the tickets sent after the handshake.
        assert_eq!(first.cmd(&[b"PING"]).expect("ping"), b"+PONG\r\n");
        assert!(!first.resumed());
        drop(first);
        let mut again = TlsClient::connect_with(tls_port, cfg.clone()).expect("connect");
        assert!(again.resumed(), "{versions:?}: not resumed");
        assert_eq!(again.cmd(&[b"PING"]).expect("ping"), b"+PONG\r\n");
        drop(again);
        // Without the cache (a new context) nothing resumes.
        assert_eq!(
            c.cmd(&[b"CONFIG", b"SET", b"tls-session-caching", b"no"]),
            b"+OK\r\n"
        );
        let mut off = TlsClient::connect_with(tls_port, cfg.clone()).expect("connect");
        assert_eq!(off.cmd(&[b"PING"]).expect("ping"), b"+PONG\r\n");
        assert!(!off.resumed());
        drop(off);
        let off = TlsClient::connect_with(tls_port, cfg).expect("connect");
        assert!(!off.resumed(), "{versions:?}: resumed without a cache");
        assert_eq!(
            c.cmd(&[b"CONFIG", b"SET", b"tls-session-caching", b"yes"]),
            b"+OK\r\n"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// CONFIG SET of the tls-* directives: reloads, their errors, protocols,
/// ciphers, the TLS port moving, encrypted keys; on both servers.
#[test]
fn config_set_reloads_the_context() {
    let dir = common::scratch_dir("tls-certs");
    let certs = make_test_certs(&dir);
    // The server key encrypted (PKCS#8, what openssl 3 writes), password 1234.
    let enc_key = dir.join("server.key.enc");
    let out = std::process::Command::new("openssl")
        .args(["rsa", "-in"])
        .arg(&certs.server_key)
        .args(["-out"])
        .arg(&enc_key)
        .args(["-aes256", "-passout", "pass:1234"])
        .output()
        .expect("openssl rsa");
    assert!(out.status.success());
    let opts = ClientOpts::new(&certs.ca).cert(&certs.client_crt, &certs.client_key);
    let failed = |name: &str| {
        format!(
            "-ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS configuration. Check server logs.\r\n"
        )
    };
    for bin in binaries() {
        let (srv, tls_port) = start_tls(&bin, &certs, &[]);
        let mut c = srv.conn();
        assert_pong(tls_port, &opts, &bin);
        // A missing certificate: refused, the running context stays.
        let r = c.cmd(&[b"CONFIG", b"SET", b"tls-cert-file", b"/nonexistent/x.crt"]);
        assert_eq!(common::s(r), failed("tls-cert-file"), "{bin}");
        assert_eq!(
            c.cmd(&[b"CONFIG", b"GET", b"tls-cert-file"]),
            encode_reply_pair("tls-cert-file", &path(&certs.server_crt)),
            "{bin}"
        );
        assert!(
            srv.log()
                .contains("Failed to load certificate: /nonexistent/x.crt"),
            "{bin}"
        );
        assert_pong(tls_port, &opts, &bin);
        // tls-protocols.
        let r = c.cmd(&[b"CONFIG", b"SET", b"tls-protocols", b"TLSv1.2 SSLv3"]);
        assert_eq!(common::s(r), failed("tls-protocols"), "{bin}");
        assert!(srv.log().contains("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."), "{bin}");
        assert_eq!(
            c.cmd(&[b"CONFIG", b"SET", b"tls-protocols", b"TLSv1.3"]),
            b"+OK\r\n"
        );
        let mut tls12 = ClientOpts::new(&certs.ca).cert(&certs.client_crt, &certs.client_key);
        tls12.versions = ONLY_TLS12;
        assert!(tls_ping(tls_port, &tls12).is_err(), "{bin}: TLSv1.2 got in");
        assert!(tls_ping(tls_port, &opts).is_ok(), "{bin}");
        assert_eq!(
            c.cmd(&[b"CONFIG", b"SET", b"tls-protocols", b"TLSv1.2"]),
            b"+OK\r\n"
        );
        // tls-ciphers picks the TLSv1.2 suite.
        assert_eq!(
            c.cmd(&[
                b"CONFIG",
                b"SET",
                b"tls-ciphers",
                b"ECDHE-RSA-AES128-GCM-SHA256"
            ]),
            b"+OK\r\n"
        );
        let t = TlsClient::connect(tls_port, &tls12).expect("tls1.2");
        assert_eq!(
            t.suite(),
            "Some(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
            "{bin}"
        );
        // The server's order wins with tls-prefer-server-ciphers.
        c.cmd(&[
            b"CONFIG",
            b"SET",
            b"tls-ciphers",
            b"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
        ]);
        let mut pref = ClientOpts::new(&certs.ca).cert(&certs.client_crt, &certs.client_key);
        pref.versions = ONLY_TLS12;
        pref.tls12_suites = Some(vec![
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ]);
        let t = TlsClient::connect(tls_port, &pref).expect("client order");
        assert_eq!(
            t.suite(),
            "Some(TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)",
            "{bin}"
        );
        c.cmd(&[b"CONFIG", b"SET", b"tls-prefer-server-ciphers", b"yes"]);
        let t = TlsClient::connect(tls_port, &pref).expect("server order");
        assert_eq!(
            t.suite(),
            "Some(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
            "{bin}"
        );
        let r = c.cmd(&[b"CONFIG", b"SET", b"tls-ciphers", b"NOTHING-KNOWN"]);
        assert_eq!(common::s(r), failed("tls-ciphers"), "{bin}");
        assert!(
            srv.log()
                .contains("Failed to configure ciphers: NOTHING-KNOWN"),
            "{bin}"
        );
        for (k, v) in [
            ("tls-protocols", ""),
            ("tls-ciphers", "DEFAULT"),
            ("tls-prefer-server-ciphers", "no"),
        ] {
            assert_eq!(
                c.cmd(&[b"CONFIG", b"SET", k.as_bytes(), v.as_bytes()]),
                b"+OK\r\n"
            );
        }
        // An encrypted key: refused without its password, taken with it.
        let r = c.cmd(&[
            b"CONFIG",
            b"SET",
            b"tls-key-file",
            path(&enc_key).as_bytes(),
        ]);
        assert_eq!(common::s(r), failed("tls-key-file"), "{bin}");
        assert_eq!(
            c.cmd(&[b"CONFIG", b"SET", b"tls-key-file-pass", b"1234"]),
            b"+OK\r\n"
        );
        assert_eq!(
            c.cmd(&[
                b"CONFIG",
                b"SET",
                b"tls-key-file",
                path(&enc_key).as_bytes()
            ]),
            b"+OK\r\n",
            "{bin}"
        );
        assert_pong(tls_port, &opts, &bin);
        // A CA for client certificates is needed when they are asked for.
        let r = c.cmd(&[b"CONFIG", b"SET", b"tls-ca-cert-file", b""]);
        assert_eq!(common::s(r), failed("tls-ca-cert-file"), "{bin}");
        assert!(srv.log().contains("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"), "{bin}");
        // The TLS port moves; the old one closes.
        let new_port = common::free_port();
        let r = c.cmd(&[
            b"CONFIG",
            b"SET",
            b"tls-port",
            new_port.to_string().as_bytes(),
        ]);
        assert_eq!(r, b"+OK\r\n", "{bin}");
        assert!(
            TcpStream::connect(("127.0.0.1", tls_port)).is_err(),
            "{bin}"
        );
        assert_pong(new_port, &opts, &bin);
        // Without a TCP port, INFO shows the TLS port as tcp_port.
        let mut t = TlsClient::connect(new_port, &opts).expect("connect");
        assert_eq!(
            t.cmd(&[b"CONFIG", b"SET", b"port", b"0"]).expect("port 0"),
            b"+OK\r\n"
        );
        let info = common::s(t.cmd(&[b"INFO", b"server"]).expect("info"));
        assert!(
            info.contains(&format!("\r\ntcp_port:{new_port}\r\n")),
            "{bin}: {info}"
        );
        assert!(
            TcpStream::connect(("127.0.0.1", srv.port)).is_err(),
            "{bin}"
        );
        // tls-port 0 closes it; this connection lives on.
        assert_eq!(
            t.cmd(&[b"CONFIG", b"SET", b"port", srv.port.to_string().as_bytes()])
                .expect("port"),
            b"+OK\r\n"
        );
        assert_eq!(
            t.cmd(&[b"CONFIG", b"SET", b"tls-port", b"0"])
                .expect("tls-port 0"),
            b"+OK\r\n"
        );
        assert!(
            TcpStream::connect(("127.0.0.1", new_port)).is_err(),
            "{bin}"
        );
        assert_eq!(t.cmd(&[b"PING"]).expect("ping"), b"+PONG\r\n", "{bin}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server that cannot set up TLS does not start, with Redis's lines.
#[test]
fn startup_failure_lines() {
    let dir = common::scratch_dir("tls-certs");
    let certs = make_test_certs(&dir);
    for bin in binaries() {
        let port = common::free_port().to_string();
        let tls_port = common::free_port().to_string();
        let log = dir.join("fail.log");
        let _ = std::fs::remove_file(&log);
        let ran = common::run_tool(
            &bin,
            &[
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--tls-port",
                &tls_port,
                "--tls-cert-file",
                &path(&certs.server_crt),
                "--tls-key-file",
                &path(&dir.join("missing.key")),
                "--tls-ca-cert-file",
                &path(&certs.ca),
                "--logfile",
                &path(&log),
            ],
            None,
            Duration::from_secs(10),
        )
        .expect("run");
        assert!(!ran.status.success(), "{bin} started");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let missing = path(&dir.join("missing.key"));
        assert!(
            text.contains(&format!("Failed to load private key: {missing}")),
            "{bin}: {text}"
        );
        assert!(
            text.contains("Failed to configure TLS. Check logs for more info."),
            "{bin}: {text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- Replication over TLS ----

/// [`full_then_partial_over`] TLS with fresh certificates in scratch
/// directory `tag`.
fn replicate_over_tls(tag: &str, master: Kind, replica: Kind, diskless: bool) {
    let dir = common::scratch_dir(tag);
    let certs = make_test_certs(&dir);
    full_then_partial_over(master, replica, diskless, Some(&certs));
    let _ = std::fs::remove_dir_all(&dir);
}

/// rustredis master, rustredis replica, over TLS: a diskless full sync
/// (the RDB pipe's chunks go through the master's TLS session, the
/// replica parses them from its TLS link in blocking mode) with writes of
/// every type during it, then a partial resync; data compared each time.
#[test]
fn replication_over_tls_rust_to_rust() {
    replicate_over_tls("tls-repl-rr", Kind::Rust, Kind::Rust, true);
}

/// redis-server master (`--tls-port`, `--tls-replication yes`), rustredis
/// replica: a full sync to disk then a partial resync, over TLS.
#[test]
fn replication_over_tls_redis_to_rust() {
    replicate_over_tls("tls-repl-or", Kind::Redis, Kind::Rust, false);
}

/// rustredis master, redis-server replica (`--tls-replication yes`): a
/// full sync from disk (the file's chunks through the master's TLS
/// session) then a partial resync.
#[test]
fn replication_over_tls_rust_to_redis() {
    replicate_over_tls("tls-repl-ro", Kind::Rust, Kind::Redis, false);
}

/// Which certificates a TLS replication link takes, as OpenSSL decides
/// for Redis, with both kinds of replica and the same assertions:
/// - a replica without `tls-client-*` files presents its `tls-cert-file`,
///   here a v1 certificate (no extensions), which the master takes;
/// - a master serving a v1 certificate is accepted, though it names no
///   host (the replica checks the chain, not the name);
/// - a replica does not sync with a master whose certificate its CA did
///   not sign, nor does a master take a replica whose client certificate
///   its CA did not sign: the link stays down.
#[test]
fn replication_over_tls_certificates() {
    let dir = common::scratch_dir("tls-repl-certs");
    let certs = make_test_certs(&dir);
    let p = |p: &Path| path(p);
    let (generic_crt, generic_key) = (p(&certs.generic_crt), p(&certs.generic_key));
    let (other_ca, other_crt, other_key) = (
        p(&certs.other_ca),
        p(&certs.other_client_crt),
        p(&certs.other_client_key),
    );
    let v1_only: Vec<&str> = vec![
        "--tls-cert-file",
        &generic_crt,
        "--tls-key-file",
        &generic_key,
        "--tls-client-cert-file",
        "",
        "--tls-client-key-file",
        "",
    ];
    let untrusted_master: Vec<&str> = vec!["--tls-ca-cert-file", &other_ca];
    let untrusted_replica: Vec<&str> = vec![
        "--tls-client-cert-file",
        &other_crt,
        "--tls-client-key-file",
        &other_key,
    ];
    let v1_master: Vec<&str> = vec![
        "--tls-cert-file",
        &generic_crt,
        "--tls-key-file",
        &generic_key,
    ];
    // (master's extra args, [(case, replica's extra args, syncs)]).
    type Case<'a> = (&'a str, &'a [&'a str], bool);
    let setups: [(&[&str], Vec<Case>); 2] = [
        (
            &[],
            vec![
                ("the replica's v1 tls-cert-file", &v1_only, true),
                ("an untrusted master", &untrusted_master, false),
                ("an untrusted replica", &untrusted_replica, false),
            ],
        ),
        (&v1_master, vec![("a v1 master", &[], true)]),
    ];
    for (master_extra, cases) in setups {
        let Some(mut m) = Node::start_tls(Kind::Rust, &certs, master_extra) else {
            return;
        };
        call_str(&mut m.c, "SET k v");
        let mut replicas = Vec::new();
        for kind in [Kind::Rust, Kind::Redis] {
            for (what, extra, syncs) in &cases {
                let Some(mut r) = Node::start_tls(kind, &certs, extra) else {
                    continue;
                };
                r.replicaof(&m);
                replicas.push((r, *what, *syncs));
            }
        }
        let mut up = 0;
        for (r, what, _) in replicas.iter_mut().filter(|r| r.2) {
            common::repl::wait_synced(&mut m, &mut [&mut *r]);
            assert_eq!(
                call_str(&mut r.c, "GET k"),
                call_str(&mut m.c, "GET k"),
                "{}: {what}",
                r.label()
            );
            up += 1;
        }
        // Failed handshakes are retried once a second: give them time.
        std::thread::sleep(Duration::from_millis(2500));
        for (r, what, _) in replicas.iter_mut().filter(|r| !r.2) {
            let label = r.label();
            assert_eq!(
                r.info_field("replication", "master_link_status"),
                "down",
                "{label}: {what}"
            );
            assert_eq!(
                r.info_field("replication", "master_sync_in_progress"),
                "0",
                "{label}: {what}"
            );
            assert!(
                matches!(call_str(&mut r.c, "DBSIZE"), common::Resp::Int(0)),
                "{label}: {what}"
            );
        }
        assert_eq!(
            m.info_field("replication", "connected_slaves"),
            up.to_string(),
            "{}",
            m.label()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The RESP2 bytes of CONFIG GET's one-pair answer.
fn encode_reply_pair(k: &str, v: &str) -> Vec<u8> {
    format!("*2\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n", k.len(), v.len()).into_bytes()
}
