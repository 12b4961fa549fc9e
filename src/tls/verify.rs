//! Peer certificate checks, as OpenSSL makes them for Redis.
//!
//! # Why not webpki alone
//! rustls checks certificates with webpki, which matches what OpenSSL
//! does for Redis's connections except in two ways this module fixes:
//! - **Host names.** Redis gives OpenSSL no host name for its outgoing
//!   links, so only the chain is checked. [`CaVerifier`] (the replica's
//!   check of its master) verifies the chain to the CA, the validity
//!   period and the server usage, and never the name.
//! - **X.509 v1 certificates.** OpenSSL takes a version 1 certificate (no
//!   extensions, what `openssl x509 -req` makes without an extension
//!   file; Redis's own test suite uses one as a plain client and server
//!   certificate), webpki refuses every one. Both verifiers here
//!   ([`CaVerifier`], and [`ClientVerifier`] around webpki's client
//!   verifier for `tls-auth-clients`) check a v1 end-entity certificate
//!   themselves: its issuer must be one of the CA certificates, whose
//!   public key must verify its signature (with the signature algorithms
//!   of the crypto provider), and it must be valid now. A v1 certificate
//!   has no extensions, hence no key usage limits. The handshake
//!   signatures made with its key are checked with the same algorithms.
//!   Certificates of version 3 go to webpki unchanged.
//!
//! # Limitations
//! A v1 end-entity certificate must be signed by a CA certificate itself:
//! a chain through intermediates is not built for it (webpki does so for
//! v3 certificates).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, RootCertStore,
    SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

// ---- The verifiers ----

/// The replica's check of its master's certificate (Redis's OpenSSL
/// client context with `SSL_VERIFY_PEER`): the chain must lead to one of
/// `roots`, be valid now and allow server use; the host name is not
/// compared. Empty `roots` fail every certificate, as OpenSSL without a
/// CA does.
#[derive(Debug)]
pub struct CaVerifier {
    roots: Arc<RootCertStore>,
    algs: WebPkiSupportedAlgorithms,
}

impl CaVerifier {
    /// A verifier trusting `roots`, checking signatures with `algs` (the
    /// crypto provider's).
    pub fn new(roots: Arc<RootCertStore>, algs: WebPkiSupportedAlgorithms) -> CaVerifier {
        CaVerifier { roots, algs }
    }
}

impl ServerCertVerifier for CaVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Some(v1) = V1Cert::parse(end_entity) {
            v1.verify(&self.roots, &self.algs, now)?;
            return Ok(ServerCertVerified::assertion());
        }
        let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.algs.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        check_signature(cert, message, dss, &self.algs, false, || {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
        })
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        check_signature(cert, message, dss, &self.algs, true, || {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
        })
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// webpki's client certificate verifier (`tls-auth-clients yes` or
/// `optional`) that also takes v1 client certificates signed by the CA
/// (see the module docs).
#[derive(Debug)]
pub struct ClientVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    roots: Arc<RootCertStore>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientVerifier {
    /// Wraps `inner`, built for the same `roots` and `algs`.
    pub fn new(
        inner: Arc<dyn ClientCertVerifier>,
        roots: Arc<RootCertStore>,
        algs: WebPkiSupportedAlgorithms,
    ) -> ClientVerifier {
        ClientVerifier { inner, roots, algs }
    }
}

impl ClientCertVerifier for ClientVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        match V1Cert::parse(end_entity) {
            Some(v1) => {
                v1.verify(&self.roots, &self.algs, now)?;
                Ok(ClientCertVerified::assertion())
            }
            None => self
                .inner
                .verify_client_cert(end_entity, intermediates, now),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        check_signature(cert, message, dss, &self.algs, false, || {
            self.inner.verify_tls12_signature(message, cert, dss)
        })
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        check_signature(cert, message, dss, &self.algs, true, || {
            self.inner.verify_tls13_signature(message, cert, dss)
        })
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Checks a handshake signature made with `cert`'s key: with this
/// module's code for a v1 certificate, else with `webpki`.
fn check_signature(
    cert: &CertificateDer<'_>,
    message: &[u8],
    dss: &DigitallySignedStruct,
    algs: &WebPkiSupportedAlgorithms,
    tls13: bool,
    webpki: impl FnOnce() -> Result<HandshakeSignatureValid, Error>,
) -> Result<HandshakeSignatureValid, Error> {
    match V1Cert::parse(cert) {
        Some(v1) => v1.verify_handshake_signature(message, dss, algs, tls13),
        None => webpki(),
    }
}

// ---- X.509 v1 certificates ----

/// The parts of an X.509 v1 certificate (RFC 5280 §4.1 without the
/// version field and extensions) that a check needs. Name and key fields
/// are the contents of their SEQUENCE, as webpki keeps them for trust
/// anchors.
struct V1Cert<'a> {
    /// The whole TBSCertificate element: what the signature covers.
    tbs: &'a [u8],
    /// The outer signatureAlgorithm's contents.
    sig_alg: &'a [u8],
    /// The signature bits.
    signature: &'a [u8],
    issuer: &'a [u8],
    /// Validity, Unix seconds.
    not_before: i64,
    not_after: i64,
    spki: &'a [u8],
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version`: present in v2 and v3 certificates only.
const VERSION_TAG: u8 = 0xa0;

impl<'a> V1Cert<'a> {
    /// The v1 certificate in `der`; `None` when it is another version (or
    /// not a certificate: webpki then says why).
    fn parse(der: &'a [u8]) -> Option<V1Cert<'a>> {
        let (cert, _) = der_expect(der, SEQUENCE)?;
        let tbs = der_next(cert)?;
        if tbs.tag != SEQUENCE {
            return None;
        }
        let (tbs_body, rest) = (tbs.body, tbs.rest);
        let (sig_alg, rest) = der_expect(rest, SEQUENCE)?;
        let (sig_bits, _) = der_expect(rest, BIT_STRING)?;
        let signature = bit_string_bytes(sig_bits)?;
        if der_next(tbs_body)?.tag == VERSION_TAG {
            return None;
        }
        let (_serial, rest) = der_expect(tbs_body, INTEGER)?;
        let (_inner_alg, rest) = der_expect(rest, SEQUENCE)?;
        let (issuer, rest) = der_expect(rest, SEQUENCE)?;
        let (validity, rest) = der_expect(rest, SEQUENCE)?;
        let (_subject, rest) = der_expect(rest, SEQUENCE)?;
        let (spki, _) = der_expect(rest, SEQUENCE)?;
        let nb = der_next(validity)?;
        let na = der_next(nb.rest)?;
        Some(V1Cert {
            tbs: tbs.whole,
            sig_alg,
            signature,
            issuer,
            not_before: asn1_time(nb.tag, nb.body)?,
            not_after: asn1_time(na.tag, na.body)?,
            spki,
        })
    }

    /// Checks the certificate against the CA certificates `roots`: valid
    /// at `now`, issued by one of them and signed with its key.
    fn verify(
        &self,
        roots: &RootCertStore,
        algs: &WebPkiSupportedAlgorithms,
        now: UnixTime,
    ) -> Result<(), Error> {
        let now = now.as_secs() as i64;
        if now < self.not_before {
            return Err(CertificateError::NotValidYet.into());
        }
        if now > self.not_after {
            return Err(CertificateError::Expired.into());
        }
        let mut issuer_found = false;
        for anchor in roots.roots.iter() {
            if anchor.subject.as_ref() != self.issuer {
                continue;
            }
            issuer_found = true;
            let Some((key_alg, key)) = spki_parts(anchor.subject_public_key_info.as_ref()) else {
                continue;
            };
            let signed = algs.all.iter().any(|alg| {
                alg.signature_alg_id().as_ref() == self.sig_alg
                    && alg.public_key_alg_id().as_ref() == key_alg
                    && alg.verify_signature(key, self.tbs, self.signature).is_ok()
            });
            if signed {
                return Ok(());
            }
        }
        Err(if issuer_found {
            CertificateError::BadSignature.into()
        } else {
            CertificateError::UnknownIssuer.into()
        })
    }

    /// Checks a handshake signature made with this certificate's key
    /// (what webpki's `verify_tls12_signature` / `verify_tls13_signature`
    /// do for other certificates): the algorithms `algs` maps the scheme
    /// to, for this key's type; TLSv1.3 allows no PKCS#1 v1.5 or SHA-1
    /// schemes and tries only the first mapped algorithm.
    fn verify_handshake_signature(
        &self,
        message: &[u8],
        dss: &DigitallySignedStruct,
        algs: &WebPkiSupportedAlgorithms,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, Error> {
        let bad = || Error::InvalidCertificate(CertificateError::BadSignature);
        if tls13 && !allowed_in_tls13(dss.scheme) {
            return Err(Error::PeerMisbehaved(
                rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
            ));
        }
        let candidates = algs
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, a)| *a)
            .ok_or(Error::PeerMisbehaved(
                rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
            ))?;
        let candidates = if tls13 {
            &candidates[..candidates.len().min(1)]
        } else {
            candidates
        };
        let (key_alg, key) = spki_parts(self.spki).ok_or_else(bad)?;
        let ok = candidates.iter().any(|alg| {
            alg.public_key_alg_id().as_ref() == key_alg
                && alg.verify_signature(key, message, dss.signature()).is_ok()
        });
        if ok {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(bad())
        }
    }
}

/// The schemes TLSv1.3 permits for handshake signatures (RFC 8446 §4.2.3).
fn allowed_in_tls13(s: SignatureScheme) -> bool {
    matches!(
        s,
        SignatureScheme::ECDSA_NISTP256_SHA256
            | SignatureScheme::ECDSA_NISTP384_SHA384
            | SignatureScheme::ECDSA_NISTP521_SHA512
            | SignatureScheme::RSA_PSS_SHA256
            | SignatureScheme::RSA_PSS_SHA384
            | SignatureScheme::RSA_PSS_SHA512
            | SignatureScheme::ED25519
            | SignatureScheme::ED448
    )
}

// ---- DER ----

/// One DER element, as [`der_next`] splits it off its input.
#[derive(Debug, PartialEq)]
struct DerElem<'a> {
    tag: u8,
    /// The contents.
    body: &'a [u8],
    /// Tag, length and contents.
    whole: &'a [u8],
    /// What follows the element.
    rest: &'a [u8],
}

/// The DER element at the start of `input`; `None` when truncated or
/// with a length over 4 bytes.
fn der_next(input: &[u8]) -> Option<DerElem<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |l, &b| (l << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some(DerElem {
        tag,
        body: &rest[..len],
        whole: &input[..header + len],
        rest: &rest[len..],
    })
}

/// The contents of the element at the start of `input` when its tag is
/// `tag`, and what follows.
fn der_expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let e = der_next(input)?;
    (e.tag == tag).then_some((e.body, e.rest))
}

/// The bytes of a BIT STRING's contents (no unused bits allowed).
fn bit_string_bytes(body: &[u8]) -> Option<&[u8]> {
    match body.split_first() {
        Some((0, bits)) => Some(bits),
        _ => None,
    }
}

/// A SubjectPublicKeyInfo's contents split into the algorithm's contents
/// and the key bytes (what webpki's algorithms take).
fn spki_parts(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    let (alg, rest) = der_expect(spki, SEQUENCE)?;
    let (bits, _) = der_expect(rest, BIT_STRING)?;
    Some((alg, bit_string_bytes(bits)?))
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`) as Unix seconds.
fn asn1_time(tag: u8, s: &[u8]) -> Option<i64> {
    let digits = |b: &[u8]| -> Option<i64> {
        b.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + (c - b'0') as i64)
        })
    };
    let (year, rest) = match (tag, s.len()) {
        (UTC_TIME, 13) => {
            let yy = digits(&s[..2])?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        (GENERALIZED_TIME, 15) => (digits(&s[..4])?, &s[4..]),
        _ => return None,
    };
    if rest[10] != b'Z' {
        return None;
    }
    let month = digits(&rest[0..2])?;
    let day = digits(&rest[2..4])?;
    let (h, m, sec) = (
        digits(&rest[4..6])?,
        digits(&rest[6..8])?,
        digits(&rest[8..10])?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86400 + h * 3600 + m * 60 + sec)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(asn1_time(UTC_TIME, b"700101000000Z"), Some(0));
        assert_eq!(asn1_time(UTC_TIME, b"261127090722Z"), Some(1795770442));
        assert_eq!(
            asn1_time(GENERALIZED_TIME, b"20261127090722Z"),
            Some(1795770442)
        );
        assert_eq!(asn1_time(UTC_TIME, b"491231235959Z"), Some(2524607999));
        assert_eq!(asn1_time(UTC_TIME, b"261327090722Z"), None);
        assert_eq!(asn1_time(UTC_TIME, b"2611270907Z"), None);
        assert_eq!(asn1_time(UTC_TIME, b"261127090722+"), None);
    }

    #[test]
    fn der_lengths() {
        assert_eq!(
            der_next(&[0x30, 0x02, 1, 2, 9]),
            Some(DerElem {
                tag: 0x30,
                body: &[1, 2],
                whole: &[0x30, 2, 1, 2],
                rest: &[9]
            })
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let e = der_next(&long).unwrap();
        assert_eq!((e.body.len(), e.rest.len()), (0x80, 0));
        assert_eq!(der_next(&[0x30, 0x03, 1]), None);
        assert_eq!(der_next(&[0x30, 0x80]), None);
        assert_eq!(bit_string_bytes(&[1, 0xff]), None);
    }

    fn pem(name: &str) -> CertificateDer<'static> {
        use rustls_pki_types::pem::PemObject;
        let path = format!(
            "{}/tests/fixtures/tls-v1/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        CertificateDer::from_pem_file(path).unwrap()
    }

    fn roots(name: &str) -> RootCertStore {
        let mut r = RootCertStore::empty();
        r.add(pem(name)).unwrap();
        r
    }

    #[test]
    fn v1_chain() {
        let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
        let der = pem("v1.crt");
        let cert = V1Cert::parse(&der).expect("a v1 certificate");
        assert!(V1Cert::parse(&pem("ca.crt")).is_none(), "the CA is v3");
        let now =
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(cert.not_before as u64 + 60));
        assert!(cert.verify(&roots("ca.crt"), &algs, now).is_ok());
        let err = |r: Result<(), Error>| match r {
            Err(Error::InvalidCertificate(e)) => e,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            err(cert.verify(&roots("other-ca.crt"), &algs, now)),
            CertificateError::UnknownIssuer
        );
        assert_eq!(
            err(cert.verify(&roots("impostor-ca.crt"), &algs, now)),
            CertificateError::BadSignature
        );
        assert_eq!(
            err(cert.verify(&RootCertStore::empty(), &algs, now)),
            CertificateError::UnknownIssuer
        );
        let at =
            |secs: i64| UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs as u64));
        assert_eq!(
            err(cert.verify(&roots("ca.crt"), &algs, at(cert.not_before - 1))),
            CertificateError::NotValidYet
        );
        assert_eq!(
            err(cert.verify(&roots("ca.crt"), &algs, at(cert.not_after + 1))),
            CertificateError::Expired
        );
        // One flipped bit of the signed part breaks the signature.
        let mut bad = der.to_vec();
        let i = bad.len() / 2;
        bad[i] ^= 1;
        if let Some(c) = V1Cert::parse(&bad) {
            assert!(c.verify(&roots("ca.crt"), &algs, now).is_err());
        }
    }

    #[test]
    fn not_a_v1_certificate() {
        assert!(V1Cert::parse(&CertificateDer::from(vec![0x30, 0x00])).is_none());
        assert!(V1Cert::parse(&CertificateDer::from(vec![])).is_none());
    }
}
