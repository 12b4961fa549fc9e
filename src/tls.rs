//! TLS for client connections, with rustls, inside the single-threaded
//! reactor (Redis `tls.c`).
//!
//! # How it works
//! A connection accepted on a `tls-port` listener becomes a
//! [`TlsStream`]: the non-blocking mio socket plus a rustls
//! `ServerConnection`, which is a pure state machine (records in, records
//! out) and does no I/O of its own. The stream is driven by the same
//! readiness events as a plain socket:
//! - [`TlsStream::read`] hands out plaintext rustls already decrypted, and
//!   when there is none pulls records from the socket (`read_tls`),
//!   decrypts them (`process_new_packets`) and sends whatever the state
//!   machine wants to say (handshake flights, session tickets, alerts) at
//!   once. It returns short only once the socket would block or is at EOF,
//!   so `networking::read_query_from_client`'s "a short read drained the
//!   socket" rule holds for TLS too. It fills the caller's buffer before
//!   returning, so decrypted data never waits inside rustls without the
//!   reader knowing: a full read keeps the reader going, or puts the client
//!   on `clients_pending_read` when its budget is spent (this is what
//!   Redis's `tlsProcessPendingData` does for OpenSSL's buffers). The
//!   handshake needs no state of its own: until it is done, reads simply
//!   produce no plaintext.
//! - [`TlsStream::write_vectored`] first pushes encrypted records left from
//!   before; if the socket still pushes back it reports `WouldBlock` (so
//!   rustls buffers at most one write's worth). Otherwise rustls encrypts
//!   the slices (coalesced into as few records as fit) and the records go
//!   out at once; a record the socket did not take stays queued and
//!   [`TlsStream::wants_write`] says so, which keeps WRITABLE interest
//!   registered until it has left.
//!
//! # Configuration
//! [`tls_configure`] builds a [`TlsContext`] from the `tls-*` directives
//! (Redis `tlsConfigure`): it is atomic, an error leaves the running
//! context as it was, and it logs Redis's warning lines. `tls-auth-clients`
//! is read per accepted connection, as in Redis (no reload): the context
//! holds a rustls `ServerConfig` for each of no / yes / optional.
//! CONFIG SET of the other directives reloads the context
//! ([`apply_tls_cfg`]), `tls-port` reopens the listener ([`apply_tls_port`]);
//! both fail with Redis's messages and CONFIG SET then restores the old
//! values. Connections already open keep the configuration they started
//! with.
//!
//! # What rustls does not have
//! - Protocols: rustls speaks TLSv1.2 and TLSv1.3 only. `TLSv1` and
//!   `TLSv1.1` are accepted in `tls-protocols` (they are valid there) but
//!   never negotiated; a list that names neither 1.2 nor 1.3 fails.
//! - Ciphers: TLSv1.2 suites are the six ECDHE AEAD suites rustls offers.
//!   `tls-ciphers` is read with OpenSSL's cipher-list grammar (elements
//!   joined by `:`, `,` or spaces; prefixes `!`, `-`, `+`; `A+B`
//!   intersections; aliases such as `DEFAULT`, `ALL`, `HIGH`, `ECDHE`,
//!   `aRSA`, `aECDSA`, `AESGCM`, `AES128`, `CHACHA20`; `@` directives
//!   ignored) over those six suites; names of suites rustls lacks (CBC, RSA
//!   key exchange, DHE) match nothing, as unknown names do in OpenSSL, and a
//!   list that leaves nothing fails as OpenSSL's does.
//! - `tls-dh-params-file` is read and must hold PEM `DH PARAMETERS` (with
//!   Redis's log lines when not), but rustls has no finite-field DHE
//!   suites, so the parameters are not used: key exchange is always ECDHE.
//! - `tls-key-file-pass` decrypts PKCS#8 `ENCRYPTED PRIVATE KEY` files
//!   (PBES2, what OpenSSL 3 writes); the legacy `Proc-Type: 4,ENCRYPTED`
//!   PEM encryption is refused with a log line.
//! - `tls-ca-cert-dir` loads the certificates of every file in the
//!   directory (OpenSSL looks them up by subject hash instead).
//! - Session caching: `tls-session-caching`, `tls-session-cache-size` (0 is
//!   unlimited, as for OpenSSL) and `tls-session-cache-timeout` (seconds)
//!   drive a server-side session store ([`SessionCache`]) used for TLSv1.2
//!   session ids and TLSv1.3 (stateful) tickets.
//! - `tls-cluster` is stored and takes part in the CA check as in Redis,
//!   but cluster bus links are plain TCP.
//!
//! # Outgoing connections
//! With `tls-replication yes` a replica's link to its master is a
//! [`TlsStream`] too, made by [`TlsStream::connect`] once the TCP connect
//! completed, with the context's client configuration
//! ([`TlsContext::client_config`]), which follows what Redis's OpenSSL
//! client context does:
//! - the master's certificate must chain to the CA of `tls-ca-cert-file` /
//!   `tls-ca-cert-dir`, be valid now and (when it has an extended key
//!   usage) allow server use; its host name is not checked and no SNI is
//!   sent, as Redis names no host on the connection (`tls/verify.rs`,
//!   which also takes X.509 v1 certificates as OpenSSL does, here and for
//!   `tls-auth-clients`);
//! - the certificate presented is `tls-client-cert-file` /
//!   `tls-client-key-file` (`tls-client-key-file-pass`) when both are set,
//!   else `tls-cert-file` / `tls-key-file`;
//! - `tls-protocols`, `tls-ciphers` and `tls-ciphersuites` apply as for
//!   accepted connections; sessions are not resumed.
//!
//! The stream is the same state machine from the other side: the client
//! speaks first, so [`TlsStream::connect`] queues the ClientHello and
//! [`TlsStream::handshake`] pushes flights and reads replies until the
//! handshake is done, without blocking.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, IoSlice, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::crypto::ring::cipher_suite as cs;
use rustls::server::{StoresServerSessions, WebPkiClientVerifier};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedCipherSuite};
use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::config::{Config, TlsAuthClients};
use crate::server::Server;

mod verify;

/// The CONFIG SET error when the TLS context cannot be rebuilt (Redis
/// `applyTlsCfg`); the reason is in the log.
pub const ERR_TLS_UPDATE: &str = "Unable to update TLS configuration. Check server logs.";

/// Directives naming files: CONFIG SET applies them even when the value
/// is unchanged, so certificates can be rotated in place (Redis's
/// `VOLATILE_CONFIG`).
pub const VOLATILE_DIRECTIVES: &[&str] = &[
    "tls-cert-file",
    "tls-key-file",
    "tls-client-cert-file",
    "tls-client-key-file",
    "tls-dh-params-file",
    "tls-ca-cert-file",
    "tls-ca-cert-dir",
];

// ---- Context ----

/// The server side TLS configuration built from the `tls-*` directives
/// (Redis's `redis_tls_ctx`), one rustls config per `tls-auth-clients` mode.
pub struct TlsContext {
    /// No client certificate asked for.
    no_auth: Arc<ServerConfig>,
    /// A client certificate signed by the CA is required; `None` without a CA.
    required: Option<Arc<ServerConfig>>,
    /// A client certificate is asked for and checked if sent; `None` without a CA.
    optional: Option<Arc<ServerConfig>>,
    /// Outgoing links (replication): verifies the peer against the CA,
    /// presents the `tls-client-*` certificate or else the server's.
    client: Arc<ClientConfig>,
}

impl TlsContext {
    /// The configuration a new connection gets under `tls-auth-clients
    /// mode`. `None` when client certificates are wanted but no CA is
    /// configured (only possible after CONFIG SET tls-auth-clients, which
    /// does not reload): such connections are refused, as OpenSSL fails
    /// every verification without a CA.
    pub fn server_config(&self, mode: TlsAuthClients) -> Option<Arc<ServerConfig>> {
        match mode {
            TlsAuthClients::No => Some(self.no_auth.clone()),
            TlsAuthClients::Yes => self.required.clone(),
            TlsAuthClients::Optional => self.optional.clone(),
        }
    }

    /// The configuration of an outgoing connection (Redis's
    /// `redis_tls_client_ctx` when `tls-client-cert-file` and
    /// `tls-client-key-file` are both set, else its server context used
    /// as a client).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.client.clone()
    }
}

/// True when TLS must be configured for this config: a `tls-port`, or TLS
/// for replication or the cluster bus (Redis's condition in `initServer`
/// and `applyTlsCfg`).
pub fn tls_wanted(cfg: &Config) -> bool {
    cfg.tls_port != 0 || cfg.tls_replication || cfg.tls_cluster
}

/// Builds the TLS context from the config (Redis `tlsConfigure`). Err is
/// the warning line Redis logs for the first problem found (the caller
/// logs it):
/// "No tls-cert-file configured!", "No tls-key-file configured!", "Either
/// tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster,
/// tls-replication or tls-auth-clients are enabled!", "Invalid tls-protocols
/// specified. ...", "Failed to load certificate: FILE: REASON", "Failed to
/// load private key: FILE: REASON", "Failed to configure CA certificate(s)
/// file/directory: REASON", "Failed to configure ciphers: LIST", "Failed to
/// configure ciphersuites: LIST", "Failed to load FILE: ERRNO TEXT",
/// "FILE: failed to read DH params.".
pub fn tls_configure(cfg: &Config) -> Result<TlsContext, String> {
    if cfg.tls_cert_file.is_empty() {
        return Err("No tls-cert-file configured!".into());
    }
    if cfg.tls_key_file.is_empty() {
        return Err("No tls-key-file configured!".into());
    }
    let has_ca = !cfg.tls_ca_cert_file.is_empty() || !cfg.tls_ca_cert_dir.is_empty();
    if (cfg.tls_auth_clients != TlsAuthClients::No || cfg.tls_cluster || cfg.tls_replication)
        && !has_ca
    {
        return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!".into());
    }
    let protocols = parse_protocols(&cfg.tls_protocols)?;
    let certs = load_certs(&cfg.tls_cert_file)
        .map_err(|e| format!("Failed to load certificate: {}: {}", cfg.tls_cert_file, e))?;
    let key = load_private_key(&cfg.tls_key_file, &cfg.tls_key_file_pass)
        .map_err(|e| format!("Failed to load private key: {}: {}", cfg.tls_key_file, e))?;
    let roots = if has_ca {
        Some(
            load_ca(&cfg.tls_ca_cert_file, &cfg.tls_ca_cert_dir).map_err(|e| {
                format!(
                    "Failed to configure CA certificate(s) file/directory: {}",
                    e
                )
            })?,
        )
    } else {
        None
    };
    let tls12 = if cfg.tls_ciphers.is_empty() {
        TLS12_SUITES.iter().map(|s| s.suite).collect()
    } else {
        parse_cipher_list(&cfg.tls_ciphers)
            .ok_or_else(|| format!("Failed to configure ciphers: {}", cfg.tls_ciphers))?
    };
    let tls13 = if cfg.tls_ciphersuites.is_empty() {
        TLS13_SUITES.iter().map(|(_, s)| *s).collect()
    } else {
        parse_ciphersuites(&cfg.tls_ciphersuites)
            .ok_or_else(|| format!("Failed to configure ciphersuites: {}", cfg.tls_ciphersuites))?
    };
    if !cfg.tls_dh_params_file.is_empty() {
        check_dh_params(&cfg.tls_dh_params_file)?;
    }
    let mut suites: Vec<SupportedCipherSuite> = Vec::new();
    if protocols.tls13 {
        suites.extend(tls13);
    }
    if protocols.tls12 {
        suites.extend(tls12);
    }
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = suites;
    let provider = Arc::new(provider);
    let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if protocols.tls13 {
        versions.push(&rustls::version::TLS13);
    }
    if protocols.tls12 {
        versions.push(&rustls::version::TLS12);
    }
    let sessions: Arc<dyn StoresServerSessions> = if cfg.tls_session_caching {
        Arc::new(SessionCache::new(
            cfg.tls_session_cache_size.max(0) as usize,
            Duration::from_secs(cfg.tls_session_cache_timeout.max(0) as u64),
        ))
    } else {
        Arc::new(rustls::server::NoServerSessionStorage {})
    };
    let certified = certified_key(&provider, certs, key, &cfg.tls_key_file)?;
    let cert_resolver: Arc<dyn rustls::server::ResolvesServerCert> =
        Arc::new(rustls::sign::SingleCertAndKey::from(certified.clone()));
    // Outgoing connections present the client certificate when both its
    // files are set (Redis's separate client context), else the server's.
    let client_certified =
        if !cfg.tls_client_cert_file.is_empty() && !cfg.tls_client_key_file.is_empty() {
            let certs = load_certs(&cfg.tls_client_cert_file).map_err(|e| {
                format!(
                    "Failed to load certificate: {}: {}",
                    cfg.tls_client_cert_file, e
                )
            })?;
            let key = load_private_key(&cfg.tls_client_key_file, &cfg.tls_client_key_file_pass)
                .map_err(|e| {
                    format!(
                        "Failed to load private key: {}: {}",
                        cfg.tls_client_key_file, e
                    )
                })?;
            certified_key(&provider, certs, key, &cfg.tls_client_key_file)?
        } else {
            certified
        };
    let build = |verifier: Option<
        Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String>,
    >|
     -> Result<Arc<ServerConfig>, String> {
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| format!("Failed to configure TLS protocols: {}", e))?;
        let builder = match verifier {
            None => builder.with_no_client_auth(),
            Some(Ok(v)) => builder.with_client_cert_verifier(v),
            Some(Err(e)) => {
                return Err(format!(
                    "Failed to configure CA certificate(s) file/directory: {}",
                    e
                ));
            }
        };
        let mut sc = builder.with_cert_resolver(cert_resolver.clone());
        sc.ignore_client_order = cfg.tls_prefer_server_ciphers;
        sc.session_storage = sessions.clone();
        if !cfg.tls_session_caching {
            sc.send_tls13_tickets = 0;
        }
        Ok(Arc::new(sc))
    };
    let no_auth = build(None)?;
    let (required, optional) = match &roots {
        Some(roots) => {
            let algs = provider.signature_verification_algorithms;
            let v1_tolerant = |v: Arc<dyn rustls::server::danger::ClientCertVerifier>| {
                Arc::new(verify::ClientVerifier::new(v, roots.clone(), algs))
                    as Arc<dyn rustls::server::danger::ClientCertVerifier>
            };
            let required =
                WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .build()
                    .map(v1_tolerant)
                    .map_err(|e| e.to_string());
            let optional =
                WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .allow_unauthenticated()
                    .build()
                    .map(v1_tolerant)
                    .map_err(|e| e.to_string());
            (Some(build(Some(required))?), Some(build(Some(optional))?))
        }
        None => (None, None),
    };
    let verifier = Arc::new(verify::CaVerifier::new(
        roots.unwrap_or_else(|| Arc::new(RootCertStore::empty())),
        provider.signature_verification_algorithms,
    ));
    let mut client = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("Failed to configure TLS protocols: {}", e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(
            client_certified,
        )));
    // Redis names no server (no SNI) and keeps no client-side session.
    client.enable_sni = false;
    client.resumption = rustls::client::Resumption::disabled();
    Ok(TlsContext {
        no_auth,
        required,
        optional,
        client: Arc::new(client),
    })
}

/// Signs `certs` with `key` for rustls; Err is Redis's "Failed to load
/// private key: FILE: ..." line.
fn certified_key(
    provider: &rustls::crypto::CryptoProvider,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    key_file: &str,
) -> Result<Arc<rustls::sign::CertifiedKey>, String> {
    // The certificate goes out as it is: webpki cannot parse X.509 v1
    // certificates (which OpenSSL serves happily), so only a key that
    // provably does not match it is refused.
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("Failed to load private key: {}: {}", key_file, e))?;
    let certified = rustls::sign::CertifiedKey::new(certs, signing_key);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(format!(
            "Failed to load private key: {}: key values mismatch",
            key_file
        ));
    }
    Ok(Arc::new(certified))
}

/// The protocol versions `tls-protocols` allows.
#[derive(Debug, PartialEq, Eq)]
struct Protocols {
    tls12: bool,
    tls13: bool,
}

/// Parses `tls-protocols` (Redis `parseProtocolsConfig`): names separated
/// by single spaces, case-insensitive; empty means TLSv1.2 and TLSv1.3.
/// Err is the log line.
fn parse_protocols(s: &str) -> Result<Protocols, String> {
    if s.is_empty() {
        return Ok(Protocols {
            tls12: true,
            tls13: true,
        });
    }
    let mut p = Protocols {
        tls12: false,
        tls13: false,
    };
    for tok in s.split(' ') {
        match tok.to_ascii_lowercase().as_str() {
            "tlsv1" | "tlsv1.1" => {}
            "tlsv1.2" => p.tls12 = true,
            "tlsv1.3" => p.tls13 = true,
            _ => {
                return Err("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.".into());
            }
        }
    }
    if !p.tls12 && !p.tls13 {
        return Err(format!(
            "None of the protocols in tls-protocols '{}' is supported (this build speaks TLSv1.2 and TLSv1.3).",
            s
        ));
    }
    Ok(p)
}

fn read_file(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| crate::log::os_error_text(&e))
}

/// The certificate chain of a PEM file (leaf first).
fn load_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_file(path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate found".into());
    }
    Ok(certs)
}

/// The first private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC),
/// or a PKCS#8 `ENCRYPTED PRIVATE KEY` decrypted with `pass`.
fn load_private_key(path: &str, pass: &str) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_file(path)?;
    let text = String::from_utf8_lossy(&pem);
    if let Some(start) = text.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let end_marker = "-----END ENCRYPTED PRIVATE KEY-----";
        let Some(end) = text[start..].find(end_marker) else {
            return Err("truncated ENCRYPTED PRIVATE KEY".into());
        };
        let block = &text[start..start + end + end_marker.len()];
        if pass.is_empty() {
            return Err("the key is encrypted and no tls-key-file-pass is set".into());
        }
        let (_, der) = pkcs8::der::pem::decode_vec(block.as_bytes()).map_err(|e| e.to_string())?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
            .map_err(|e| e.to_string())?;
        let plain = info
            .decrypt(pass.as_bytes())
            .map_err(|_| "bad decrypt (wrong tls-key-file-pass?)".to_string())?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            plain.as_bytes().to_vec(),
        )));
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(
            "legacy PEM encryption (Proc-Type) is not supported; convert the key to PKCS#8".into(),
        );
    }
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(&pem) {
        let (kind, der) = item.map_err(|e| e.to_string())?;
        let key = match kind {
            SectionKind::PrivateKey => PrivateKeyDer::Pkcs8(der.into()),
            SectionKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(der.into()),
            SectionKind::EcPrivateKey => PrivateKeyDer::Sec1(der.into()),
            _ => continue,
        };
        return Ok(key);
    }
    Err("no private key found".into())
}

/// The trust anchors of `tls-ca-cert-file` and every file of `tls-ca-cert-dir`.
fn load_ca(file: &str, dir: &str) -> Result<Arc<RootCertStore>, String> {
    let mut roots = RootCertStore::empty();
    let mut add = |path: &str, pem: &[u8], strict: bool| -> Result<(), String> {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = match cert {
                Ok(c) => c,
                Err(e) if strict => return Err(format!("{}: {}", path, e)),
                Err(_) => break,
            };
            roots.add(cert).map_err(|e| format!("{}: {}", path, e))?;
        }
        Ok(())
    };
    if !file.is_empty() {
        let pem = read_file(file).map_err(|e| format!("{}: {}", file, e))?;
        add(file, &pem, true)?;
    }
    if !dir.is_empty() {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {}", dir, crate::log::os_error_text(&e)))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file()
                && let Ok(pem) = std::fs::read(&path)
            {
                add(&path.display().to_string(), &pem, false)?;
            }
        }
    }
    if roots.is_empty() {
        return Err("no CA certificate found".into());
    }
    Ok(Arc::new(roots))
}

/// Checks that `tls-dh-params-file` holds PEM DH parameters (Redis's log
/// lines on failure); see the module docs for why they are not used.
fn check_dh_params(path: &str) -> Result<(), String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("Failed to load {}: {}", path, crate::log::os_error_text(&e)))?;
    let text = String::from_utf8_lossy(&pem);
    let ok = text
        .find("-----BEGIN DH PARAMETERS-----")
        .and_then(|start| {
            let end_marker = "-----END DH PARAMETERS-----";
            let end = text[start..].find(end_marker)?;
            let block = &text[start..start + end + end_marker.len()];
            pkcs8::der::pem::decode_vec(block.as_bytes()).ok()
        })
        .is_some_and(|(_, der)| !der.is_empty());
    if ok {
        Ok(())
    } else {
        Err(format!("{}: failed to read DH params.", path))
    }
}

// ---- Cipher lists ----

/// A TLSv1.2 suite rustls offers, with its OpenSSL name and the OpenSSL
/// aliases that select it.
struct Tls12Suite {
    name: &'static str,
    suite: SupportedCipherSuite,
    aliases: &'static [&'static str],
}

/// Aliases every suite here matches (all are ECDHE, AEAD, 256-bit-class
/// "HIGH" TLSv1.2 suites in OpenSSL's DEFAULT list).
const COMMON_ALIASES: &[&str] = &[
    "ALL", "DEFAULT", "HIGH", "ECDHE", "EECDH", "KECDHE", "KEECDH", "AEAD", "TLSV1.2",
];

/// OpenSSL's preference order for these suites.
static TLS12_SUITES: &[Tls12Suite] = &[
    Tls12Suite {
        name: "ECDHE-ECDSA-AES256-GCM-SHA384",
        suite: cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        aliases: &["AECDSA", "ECDSA", "AESGCM", "AES", "AES256"],
    },
    Tls12Suite {
        name: "ECDHE-RSA-AES256-GCM-SHA384",
        suite: cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        aliases: &["ARSA", "AESGCM", "AES", "AES256"],
    },
    Tls12Suite {
        name: "ECDHE-ECDSA-CHACHA20-POLY1305",
        suite: cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        aliases: &["AECDSA", "ECDSA", "CHACHA20"],
    },
    Tls12Suite {
        name: "ECDHE-RSA-CHACHA20-POLY1305",
        suite: cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        aliases: &["ARSA", "CHACHA20"],
    },
    Tls12Suite {
        name: "ECDHE-ECDSA-AES128-GCM-SHA256",
        suite: cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        aliases: &["AECDSA", "ECDSA", "AESGCM", "AES", "AES128"],
    },
    Tls12Suite {
        name: "ECDHE-RSA-AES128-GCM-SHA256",
        suite: cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        aliases: &["ARSA", "AESGCM", "AES", "AES128"],
    },
];

/// The TLSv1.3 suites rustls offers, by their standard names.
static TLS13_SUITES: &[(&str, SupportedCipherSuite)] = &[
    ("TLS_AES_256_GCM_SHA384", cs::TLS13_AES_256_GCM_SHA384),
    (
        "TLS_CHACHA20_POLY1305_SHA256",
        cs::TLS13_CHACHA20_POLY1305_SHA256,
    ),
    ("TLS_AES_128_GCM_SHA256", cs::TLS13_AES_128_GCM_SHA256),
];

/// Whether suite `i` of [`TLS12_SUITES`] matches one `A+B+...` term.
fn term_matches(i: usize, term: &str) -> bool {
    let s = &TLS12_SUITES[i];
    term.split('+').all(|part| {
        let up = part.to_ascii_uppercase();
        s.name == up || COMMON_ALIASES.contains(&up.as_str()) || s.aliases.contains(&up.as_str())
    })
}

/// Reads a `tls-ciphers` list with OpenSSL's grammar over the TLSv1.2
/// suites rustls has (see the module docs). `None` when nothing is left,
/// as `SSL_CTX_set_cipher_list` fails then.
fn parse_cipher_list(list: &str) -> Option<Vec<SupportedCipherSuite>> {
    let mut order: Vec<usize> = Vec::new();
    let mut killed = [false; 6];
    for elem in list.split([':', ',', ' ', ';']).filter(|e| !e.is_empty()) {
        if elem.starts_with('@') {
            continue;
        }
        let (op, term) = match elem.as_bytes()[0] {
            b'!' | b'-' | b'+' => (elem.as_bytes()[0], &elem[1..]),
            _ => (b' ', elem),
        };
        let matching: Vec<usize> = (0..TLS12_SUITES.len())
            .filter(|&i| term_matches(i, term))
            .collect();
        for i in matching {
            match op {
                b'!' => {
                    killed[i] = true;
                    order.retain(|&j| j != i);
                }
                b'-' => order.retain(|&j| j != i),
                b'+' => {
                    if let Some(pos) = order.iter().position(|&j| j == i) {
                        order.remove(pos);
                        order.push(i);
                    }
                }
                _ => {
                    if !killed[i] && !order.contains(&i) {
                        order.push(i);
                    }
                }
            }
        }
    }
    if order.is_empty() {
        return None;
    }
    Some(order.into_iter().map(|i| TLS12_SUITES[i].suite).collect())
}

/// Reads `tls-ciphersuites` (TLSv1.3 names joined by `:`). The CCM suites,
/// valid for OpenSSL but missing from rustls, are skipped; any other
/// unknown name or an empty result fails.
fn parse_ciphersuites(list: &str) -> Option<Vec<SupportedCipherSuite>> {
    let mut out = Vec::new();
    for name in list.split(':') {
        if let Some((_, s)) = TLS13_SUITES.iter().find(|(n, _)| *n == name) {
            out.push(*s);
        } else if name != "TLS_AES_128_CCM_SHA256" && name != "TLS_AES_128_CCM_8_SHA256" {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

// ---- Session cache ----

/// The server's TLS session store: at most `max` sessions (0: no limit),
/// each usable for `timeout` after it was stored; the oldest goes first
/// when full (OpenSSL's server session cache, as `tls-session-cache-size`
/// and `tls-session-cache-timeout` set it). rustls needs it `Sync`, hence
/// the mutex; only the reactor thread ever takes it.
#[derive(Debug)]
pub struct SessionCache {
    max: usize,
    timeout: Duration,
    inner: Mutex<SessionCacheInner>,
}

#[derive(Debug, Default)]
struct SessionCacheInner {
    /// key → (value, stored at, sequence number).
    map: HashMap<Vec<u8>, (Vec<u8>, Instant, u64)>,
    /// sequence number → key, oldest first.
    age: BTreeMap<u64, Vec<u8>>,
    seq: u64,
}

impl SessionCache {
    /// A cache of at most `max` sessions (0: unlimited) living `timeout`.
    pub fn new(max: usize, timeout: Duration) -> SessionCache {
        SessionCache {
            max,
            timeout,
            inner: Mutex::new(SessionCacheInner::default()),
        }
    }

    fn lookup(&self, key: &[u8], remove: bool) -> Option<Vec<u8>> {
        let mut g = self.inner.lock().ok()?;
        let (stored, seq) = g.map.get(key).map(|(_, t, s)| (*t, *s))?;
        let expired = stored.elapsed() > self.timeout;
        if remove || expired {
            g.age.remove(&seq);
            let (v, _, _) = g.map.remove(key)?;
            return (!expired).then_some(v);
        }
        g.map.get(key).map(|(v, _, _)| v.clone())
    }
}

impl StoresServerSessions for SessionCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let Ok(mut g) = self.inner.lock() else {
            return false;
        };
        if let Some((_, _, old)) = g.map.remove(&key) {
            g.age.remove(&old);
        }
        while self.max > 0 && g.map.len() >= self.max {
            let Some((_, oldest)) = g.age.pop_first() else {
                break;
            };
            g.map.remove(&oldest);
        }
        g.seq += 1;
        let seq = g.seq;
        g.age.insert(seq, key.clone());
        g.map.insert(key, (value, Instant::now(), seq));
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.lookup(key, false)
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.lookup(key, true)
    }

    fn can_cache(&self) -> bool {
        true
    }
}

// ---- Connections ----

/// The socket as rustls reads it, noting whether a read returned less
/// than the room it was given (the socket is then drained).
struct ShortReadTracker<'a> {
    sock: &'a mut mio::net::TcpStream,
    short: bool,
}

impl Read for ShortReadTracker<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

/// A TLS connection, accepted or outgoing: the socket and rustls's state
/// machine (Redis's `tls_connection`). See the module docs for how reads
/// and writes are driven.
pub struct TlsStream {
    sock: mio::net::TcpStream,
    tls: rustls::Connection,
    /// The socket returned EOF.
    eof: bool,
    /// The handshake error was logged already.
    failed: bool,
    /// The socket is in blocking mode (a Lua debugger session holds it):
    /// reads return as soon as they have something.
    blocking: bool,
}

impl TlsStream {
    /// Wraps an accepted socket; the handshake starts with the client's
    /// first bytes.
    pub fn new(sock: mio::net::TcpStream, cfg: Arc<ServerConfig>) -> io::Result<TlsStream> {
        let tls = rustls::ServerConnection::new(cfg).map_err(io::Error::other)?;
        Ok(TlsStream {
            sock,
            tls: tls.into(),
            eof: false,
            failed: false,
            blocking: false,
        })
    }

    /// Starts the client side of a handshake on a connected (or still
    /// connecting) socket to `host` (Redis `connTLSConnect`): the
    /// ClientHello is queued and goes out with the first
    /// [`TlsStream::handshake`]. `host` is only a label (see the module
    /// docs: no SNI, no host name check); a name rustls cannot hold is
    /// replaced by a placeholder.
    pub fn connect(
        sock: mio::net::TcpStream,
        cfg: Arc<ClientConfig>,
        host: &str,
    ) -> io::Result<TlsStream> {
        let name = rustls_pki_types::ServerName::try_from(host.to_string()).unwrap_or_else(|_| {
            rustls_pki_types::ServerName::IpAddress(std::net::Ipv4Addr::UNSPECIFIED.into())
        });
        let tls = rustls::ClientConnection::new(cfg, name).map_err(io::Error::other)?;
        Ok(TlsStream {
            sock,
            tls: tls.into(),
            eof: false,
            failed: false,
            blocking: false,
        })
    }

    /// Advances the handshake without blocking (Redis's `SSL_connect` /
    /// `SSL_accept` steps): sends what rustls has to say and processes
    /// what the peer sent. `Ok(true)` once it is complete, `Ok(false)`
    /// while it waits for the socket (readable or writable); Err when the
    /// peer closed the connection (`UnexpectedEof`) or the handshake
    /// failed (`InvalidData` wrapping the TLS error, e.g. a certificate
    /// that does not verify; the alert was sent).
    pub fn handshake(&mut self) -> io::Result<bool> {
        loop {
            match self.flush_tls() {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
            if !self.tls.is_handshaking() {
                return Ok(true);
            }
            match self.tls.read_tls(&mut self.sock) {
                Ok(0) => {
                    self.eof = true;
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "Connection closed by peer during the TLS handshake",
                    ));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = self.tls.process_new_packets() {
                let _ = self.flush_tls();
                self.failed = true;
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }

    /// The socket (for options, registration and the fd).
    pub fn socket(&mut self) -> &mut mio::net::TcpStream {
        &mut self.sock
    }

    /// The socket, shared.
    pub fn socket_ref(&self) -> &mio::net::TcpStream {
        &self.sock
    }

    /// Tells the stream its socket was put in blocking mode (or back):
    /// [`TlsStream::read`] then returns what it has instead of waiting to
    /// fill the buffer.
    pub fn set_blocking(&mut self, on: bool) {
        self.blocking = on;
    }

    /// True while the handshake is not finished.
    pub fn is_handshaking(&self) -> bool {
        self.tls.is_handshaking()
    }

    /// True while encrypted records wait for the socket to take them.
    pub fn wants_write(&self) -> bool {
        self.tls.wants_write()
    }

    /// Sends queued records until none is left (`Ok`) or the socket would
    /// block (`Err(WouldBlock)`).
    pub fn flush_tls(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut self.sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads plaintext (see the module docs): returns fewer bytes than
    /// `buf` holds only when the socket would block or is at EOF; `Ok(0)`
    /// at EOF (with or without the peer's close_notify); `WouldBlock` when
    /// nothing is available yet (as during the handshake). A TLS error
    /// sends the alert, logs "Error accepting a client connection: ..."
    /// when it happens during the handshake (Redis `connTLSAccept`'s
    /// failure path) and returns `InvalidData`.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        // The socket gave less than asked: it is drained, so another read
        // would only say EAGAIN (one system call per request saved, as
        // the plain TCP path stops at a short read too).
        let mut drained = false;
        loop {
            match self.tls.reader().read(&mut buf[n..]) {
                Ok(0) if n < buf.len() => return Ok(n),
                Ok(k) => {
                    n += k;
                    if n == buf.len() {
                        return Ok(n);
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.eof || (self.blocking && n > 0) {
                        return Ok(n);
                    }
                    if drained && !self.blocking {
                        return if n > 0 { Ok(n) } else { Err(e) };
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(n),
                Err(e) => return Err(e),
            }
            let mut src = ShortReadTracker {
                sock: &mut self.sock,
                short: false,
            };
            match self.tls.read_tls(&mut src) {
                Ok(0) => self.eof = true,
                Ok(_) => drained = src.short,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return if n > 0 { Ok(n) } else { Err(e) };
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            if let Err(e) = self.tls.process_new_packets() {
                // The alert describing the error goes out best effort,
                // except to a peer that does not speak TLS at all (its
                // first bytes are no TLS record): it just sees the
                // connection close, as with OpenSSL.
                let not_tls = matches!(
                    e,
                    rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)
                );
                if !not_tls {
                    let _ = self.flush_tls();
                }
                let accepted = matches!(self.tls, rustls::Connection::Server(_));
                if accepted && self.tls.is_handshaking() && !self.failed {
                    use std::os::fd::AsRawFd;
                    tracing::warn!(
                        "Error accepting a client connection: {} (conn: fd={})",
                        e,
                        self.sock.as_raw_fd()
                    );
                }
                self.failed = true;
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            match self.flush_tls() {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Encrypts and sends (see the module docs). Returns the plaintext
    /// bytes taken; `WouldBlock` while earlier records still wait.
    pub fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.flush_tls()?;
        let n = self.tls.writer().write_vectored(bufs)?;
        match self.flush_tls() {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    /// Writes a short message best effort, as Redis does to a client it
    /// refuses (max clients, protected mode): only possible once the
    /// handshake is done, else nothing is sent.
    pub fn write_best_effort(&mut self, msg: &[u8]) {
        if !self.tls.is_handshaking() {
            let _ = self.write_vectored(&[IoSlice::new(msg)]);
        }
    }
}

// ---- CONFIG SET hooks ----

/// Rebuilds the context after CONFIG SET of a `tls-*` directive (Redis
/// `applyTlsCfg`): only when TLS is in use (`tls-port`, `tls-replication`
/// or `tls-cluster`); Err is [`ERR_TLS_UPDATE`] and the old context stays.
pub fn apply_tls_cfg(srv: &mut Server) -> Result<(), String> {
    if !tls_wanted(&srv.config) {
        return Ok(());
    }
    let ctx = tls_configure(&srv.config).map_err(|line| {
        tracing::warn!("{}", line);
        ERR_TLS_UPDATE.to_string()
    })?;
    srv.tls_ctx = Some(ctx);
    Ok(())
}

/// CONFIG SET tls-port (Redis `applyTLSPort`): configures TLS if it was not
/// yet ([`ERR_TLS_UPDATE`] on failure), then moves the TLS listener ("Unable
/// to listen on this port. Check server logs." when binding fails; port 0
/// closes it).
pub fn apply_tls_port(srv: &mut Server) -> Result<(), String> {
    if srv.tls_ctx.is_none() && srv.config.tls_port != 0 {
        let ctx = tls_configure(&srv.config).map_err(|line| {
            tracing::warn!("{}", line);
            ERR_TLS_UPDATE.to_string()
        })?;
        srv.tls_ctx = Some(ctx);
    }
    crate::anet::rebind_tls(srv).map_err(|e| {
        tracing::warn!("{}", e);
        "Unable to listen on this port. Check server logs.".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[SupportedCipherSuite]) -> Vec<String> {
        v.iter().map(|s| format!("{:?}", s.suite())).collect()
    }

    #[test]
    fn protocols() {
        assert_eq!(
            parse_protocols("").unwrap(),
            Protocols {
                tls12: true,
                tls13: true
            }
        );
        assert_eq!(
            parse_protocols("TLSv1.2").unwrap(),
            Protocols {
                tls12: true,
                tls13: false
            }
        );
        assert_eq!(
            parse_protocols("tlsv1 TLSV1.3").unwrap(),
            Protocols {
                tls12: false,
                tls13: true
            }
        );
        assert!(parse_protocols("TLSv1.2  TLSv1.3").is_err());
        assert!(
            parse_protocols("SSLv3")
                .unwrap_err()
                .starts_with("Invalid tls-protocols")
        );
        assert!(parse_protocols("TLSv1 TLSv1.1").is_err());
    }

    #[test]
    fn cipher_lists() {
        let all = parse_cipher_list("DEFAULT").unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(
            parse_cipher_list("DEFAULT:-AES128-SHA256").unwrap().len(),
            6
        );
        assert!(parse_cipher_list("AES128-SHA256:AES256-SHA256").is_none());
        assert!(parse_cipher_list("-ALL:AES128-SHA256").is_none());
        let one = parse_cipher_list("ECDHE-RSA-AES128-GCM-SHA256").unwrap();
        assert_eq!(
            names(&one),
            vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_string()]
        );
        // `!` is final, `-` can be undone, `+` moves to the end.
        assert_eq!(
            parse_cipher_list("ALL:!CHACHA20:CHACHA20").unwrap().len(),
            4
        );
        assert_eq!(
            parse_cipher_list("ALL:-CHACHA20:CHACHA20").unwrap().len(),
            6
        );
        let moved = parse_cipher_list("aRSA:+AES256").unwrap();
        assert_eq!(
            names(&moved),
            vec![
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
            ]
        );
        assert_eq!(parse_cipher_list("ECDHE+AESGCM+aECDSA").unwrap().len(), 2);
        assert_eq!(parse_cipher_list("HIGH:@STRENGTH").unwrap().len(), 6);
    }

    #[test]
    fn ciphersuites() {
        assert_eq!(
            names(&parse_ciphersuites("TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256").unwrap()),
            vec!["TLS13_AES_128_GCM_SHA256".to_string()]
        );
        assert!(parse_ciphersuites("TLS_AES_128_CCM_SHA256").is_none());
        assert!(parse_ciphersuites("BOGUS").is_none());
    }

    #[test]
    fn session_cache_size_and_timeout() {
        let c = SessionCache::new(2, Duration::from_secs(60));
        assert!(c.put(b"a".to_vec(), b"1".to_vec()));
        assert!(c.put(b"b".to_vec(), b"2".to_vec()));
        assert!(c.put(b"c".to_vec(), b"3".to_vec()));
        assert_eq!(c.get(b"a"), None, "the oldest is evicted");
        assert_eq!(c.get(b"b"), Some(b"2".to_vec()));
        assert_eq!(c.take(b"b"), Some(b"2".to_vec()));
        assert_eq!(c.get(b"b"), None);
        let c = SessionCache::new(0, Duration::ZERO);
        assert!(c.put(b"a".to_vec(), b"1".to_vec()));
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(c.get(b"a"), None, "expired");
        assert!(c.inner.lock().unwrap().age.is_empty());
    }
}
