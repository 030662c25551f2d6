//! TLS for `wss://` and `https://` (one client configuration for both), with the options and
//! defaults of Node's `tls`: the server's certificate is
//! verified against the Mozilla roots (as Node) and the operating system's store, or — when the
//! `ca` option is given — against those certificates only; a certificate given in `ca` is
//! trusted even when it is self-signed (presented as the server's own), but like any other it
//! must be valid now, for the server's name and for TLS servers; `cert`/`key` answer a
//! server that asks for a client certificate; `rejectUnauthorized: false` accepts any
//! certificate (the handshake is still checked, the peer is not authenticated). A refused
//! handshake is told in words: what is wrong with which certificate, and what to pass.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use taosjs_core::{ConnectConfig, Error};

/// The client configuration for `config` (its `ca`, `cert`, `key` and `rejectUnauthorized`),
/// used by the WebSocket and the REST transports; a PEM that cannot be read is an
/// ProgrammingError naming the option.
pub(crate) fn client_config(config: &ConnectConfig) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup failed: {e}")))?;
    let verifier = verifier(config, provider)?;
    let builder = builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier));
    let tls = match (&config.tls_cert_pem, &config.tls_key_pem) {
        (Some(cert), Some(key)) => {
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                .map_err(|e| Error::programming(format!("TLS option key is not a PEM private key: {e}")))?;
            builder
                .with_client_auth_cert(certificates(cert, "cert")?, key)
                .map_err(|e| Error::programming(format!("TLS options cert and key do not go together: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(Error::programming("TLS options cert and key go together: give both or neither")),
    };
    Ok(tls)
}

/// How `config` (its `ca` and `rejectUnauthorized`) checks the server's certificate.
fn verifier(config: &ConnectConfig, provider: Arc<CryptoProvider>) -> Result<Verify, Error> {
    Ok(if config.tls_verify {
        let pinned = match &config.tls_ca_pem {
            Some(pem) => certificates(pem, "ca")?,
            None => Vec::new(),
        };
        let mut roots = rustls::RootCertStore::empty();
        if pinned.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            // The system's store adds what an administrator installed; unreadable entries are skipped.
            for cert in rustls_native_certs::load_native_certs().unwrap_or_default() {
                let _ = roots.add(cert);
            }
        } else {
            for cert in &pinned {
                // A certificate that is no CA can still be trusted as the server's own (`Verify`).
                let _ = roots.add(cert.clone());
            }
        }
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
            .build()
            .map_err(|e| Error::programming(format!("TLS option ca: no usable certificate ({e})")))?;
        Verify { webpki: Some(webpki), pinned, provider }
    } else {
        Verify { webpki: None, pinned: Vec::new(), provider }
    })
}

/// The certificates of a PEM option (at least one).
fn certificates(pem: &str, option: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::programming(format!("TLS option {option} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::programming(format!("TLS option {option} holds no PEM certificate")));
    }
    Ok(certs)
}

/// How the server's certificate is checked: the usual verification (`webpki`), where a
/// certificate given in `ca` is also accepted as the server's own — only the refusals that
/// pinning answers are waived for it ("a CA used as an end entity", which a self-signed
/// certificate is, and "unknown issuer"), as Node does; its validity period, name and purpose
/// are checked all the same — or, without `webpki` (`rejectUnauthorized: false`), any
/// certificate. The handshake's signatures are checked either way.
#[derive(Debug)]
struct Verify {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    pinned: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else { return Ok(ServerCertVerified::assertion()) };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Ok(verified) => Ok(verified),
            Err(e) if pinning_answers(&e) && self.pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                // webpki checks an end entity's validity period (and, before an unknown issuer,
                // its extended key usage) ahead of both waived errors, so an expired
                // certificate is refused as expired; its name and purpose are checked here.
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| e)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                check_server_purpose(end_entity.as_ref())?;
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Whether `e` is a refusal that giving the certificate itself in `ca` answers.
fn pinning_answers(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => true,
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => ca_used_as_end_entity(other),
        _ => false,
    }
}

fn ca_used_as_end_entity(e: &rustls::OtherError) -> bool {
    format!("{e:?}").contains("CaUsedAsEndEntity")
}

/// Refuses a certificate that is not meant for TLS servers, as OpenSSL (Node) checks even a
/// trusted one: an extended key usage, when present, must list serverAuth (or any purpose); a
/// key usage, when present, must allow signing or a key exchange.
fn check_server_purpose(der: &[u8]) -> Result<(), CertificateError> {
    const EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
    const ANY_PURPOSE: &[u8] = &[0x55, 0x1d, 0x25, 0x00];
    // digitalSignature, keyEncipherment, keyAgreement (the first byte of the bit string).
    const SERVER_KEY_USES: u8 = 0x80 | 0x20 | 0x08;
    for (oid, value) in der::extensions(der).ok_or(CertificateError::BadEncoding)? {
        let fit = if oid == EXTENDED_KEY_USAGE {
            let purposes = der::elements(der::contents(value, der::SEQUENCE).ok_or(CertificateError::BadEncoding)?);
            purposes.map(|(_, p)| p).any(|p| p == SERVER_AUTH || p == ANY_PURPOSE)
        } else if oid == KEY_USAGE {
            // A BIT STRING: the count of unused bits, then the bits.
            let bits = der::contents(value, der::BIT_STRING).ok_or(CertificateError::BadEncoding)?;
            bits.get(1).is_some_and(|first| first & SERVER_KEY_USES != 0)
        } else {
            true
        };
        if !fit {
            return Err(CertificateError::InvalidPurpose);
        }
    }
    Ok(())
}

/// Just enough DER to read a certificate's extensions.
mod der {
    pub const SEQUENCE: u8 = 0x30;
    pub const BIT_STRING: u8 = 0x03;
    const OID: u8 = 0x06;
    const BOOLEAN: u8 = 0x01;
    const OCTET_STRING: u8 = 0x04;
    /// `[3] EXPLICIT Extensions` in a TBSCertificate.
    const EXTENSIONS: u8 = 0xa3;

    /// The first element of `input`: its tag, its contents and what follows it.
    fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |len, &b| len << 8 | usize::from(b)), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// The elements of a constructed value's contents (stops at malformed input).
    pub fn elements(mut input: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
        std::iter::from_fn(move || {
            let (tag, value, rest) = element(input)?;
            input = rest;
            Some((tag, value))
        })
    }

    /// The contents of `input`, one element tagged `tag`.
    pub fn contents(input: &[u8], tag: u8) -> Option<&[u8]> {
        element(input).filter(|(t, _, rest)| *t == tag && rest.is_empty()).map(|(_, value, _)| value)
    }

    /// A certificate's extensions as (OID, value) pairs; `None` when it is not DER.
    pub fn extensions(certificate: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
        let tbs = element(contents(certificate, SEQUENCE)?)?.1;
        let mut out = Vec::new();
        if let Some((_, list)) = elements(tbs).find(|(tag, _)| *tag == EXTENSIONS) {
            for (_, extension) in elements(contents(list, SEQUENCE)?) {
                let mut parts = elements(extension);
                let (OID, oid) = parts.next()? else { return None };
                let (mut tag, mut value) = parts.next()?;
                if tag == BOOLEAN {
                    (tag, value) = parts.next()?;
                }
                if tag != OCTET_STRING {
                    return None;
                }
                out.push((oid, value));
            }
        }
        Some(out)
    }
}

/// What went wrong in a refused WebSocket TLS handshake, in words, when `e` is one.
pub(crate) fn explain(e: &tokio_tungstenite::tungstenite::Error) -> Option<String> {
    use tokio_tungstenite::tungstenite::error::TlsError;
    use tokio_tungstenite::tungstenite::Error as WsError;
    match e {
        WsError::Tls(TlsError::Rustls(e)) => Some(words(e)),
        WsError::Io(io) => explain_io(io),
        _ => None,
    }
}

/// What went wrong in a refused TLS handshake that surfaced as an I/O error (tokio-rustls, the
/// REST transport's sockets), in words, when it is one.
pub(crate) fn explain_io(io: &std::io::Error) -> Option<String> {
    io.get_ref()?.downcast_ref::<rustls::Error>().map(words)
}

fn words(tls: &rustls::Error) -> String {
    const TRUST: &str = "pass the CA that signed it (or the certificate itself, if self-signed) as the option ca; \
                         rejectUnauthorized: false skips the check, for tests only";
    let words = match tls {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => format!("the server's certificate is not signed by a CA this connection trusts: {TRUST}"),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the server's certificate has expired".to_owned()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet (is a clock wrong?)".to_owned()
            }
            CertificateError::NotValidForNameContext { expected, presented } => format!(
                "the server's certificate is for {}, not for {expected:?} (the host of the DSN)",
                presented.join(", ")
            ),
            CertificateError::NotValidForName => "the server's certificate is not for the host of the DSN".to_owned(),
            CertificateError::Revoked => "the server's certificate has been revoked".to_owned(),
            CertificateError::BadSignature => "the server's certificate chain carries a bad signature".to_owned(),
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "the server's certificate is not meant for TLS servers".to_owned()
            }
            CertificateError::Other(other) if ca_used_as_end_entity(other) => format!(
                "the server presents a CA certificate as its own (a self-signed certificate?): {TRUST}"
            ),
            other => format!("the server's certificate is refused: {other:?}"),
        },
        rustls::Error::AlertReceived(alert) => {
            use rustls::AlertDescription as A;
            match alert {
                A::CertificateRequired | A::HandshakeFailure => {
                    format!("the server refused the handshake ({alert:?}): if it asks for a client certificate, pass the options cert and key")
                }
                A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::UnsupportedCertificate => {
                    format!("the server refused our client certificate ({alert:?})")
                }
                other => format!("the server ended the handshake ({other:?})"),
            }
        }
        other => format!("{other}"),
    };
    format!("TLS: {words}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

    /// A self-signed certificate for localhost as `openssl req -x509` makes it (a CA), changed
    /// by `edit`; as PEM and DER.
    fn self_signed(edit: impl FnOnce(&mut CertificateParams)) -> (String, CertificateDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        edit(&mut params);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), cert.der().clone())
    }

    /// The verdict on `cert` presented by `localhost` to a connection with `ca`.
    fn verdict(ca: Option<String>, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let config = ConnectConfig { tls_ca_pem: ca, ..ConnectConfig::default() };
        let verify = verifier(&config, Arc::new(rustls::crypto::ring::default_provider())).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        verify.verify_server_cert(cert, &[], &name, &[], UnixTime::now()).map(|_| ())
    }

    fn refusal(outcome: Result<(), rustls::Error>) -> CertificateError {
        match outcome {
            Err(rustls::Error::InvalidCertificate(e)) => e,
            other => panic!("expected a refused certificate, got {other:?}"),
        }
    }

    #[test]
    fn a_self_signed_certificate_is_trusted_when_given_as_ca_and_only_then() {
        let (pem, der) = self_signed(|_| {});
        assert_eq!(verdict(Some(pem), &der), Ok(()));
        let (other, _) = self_signed(|_| {});
        assert!(matches!(refusal(verdict(Some(other), &der)), CertificateError::Other(_) | CertificateError::UnknownIssuer));
    }

    #[test]
    fn a_certificate_given_as_ca_is_refused_once_expired_as_node_refuses_it() {
        let (pem, der) = self_signed(|p| {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        });
        let e = refusal(verdict(Some(pem), &der));
        assert!(matches!(e, CertificateError::Expired | CertificateError::ExpiredContext { .. }), "{e:?}");
        assert_eq!(words(&rustls::Error::InvalidCertificate(e)), "TLS: the server's certificate has expired");
    }

    #[test]
    fn a_certificate_given_as_ca_is_refused_before_it_is_valid() {
        let (pem, der) = self_signed(|p| {
            p.not_before = rcgen::date_time_ymd(2999, 1, 1);
            p.not_after = rcgen::date_time_ymd(3000, 1, 1);
        });
        let e = refusal(verdict(Some(pem), &der));
        assert!(matches!(e, CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }), "{e:?}");
    }

    #[test]
    fn a_certificate_given_as_ca_must_be_for_the_servers_name() {
        let (pem, der) = self_signed(|p| p.subject_alt_names = vec![rcgen::SanType::DnsName("example.com".try_into().unwrap())]);
        let e = refusal(verdict(Some(pem), &der));
        assert!(matches!(e, CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }), "{e:?}");
    }

    #[test]
    fn a_certificate_given_as_ca_must_be_meant_for_tls_servers() {
        // An extended key usage without serverAuth.
        let (pem, der) = self_signed(|p| p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth]);
        assert_eq!(refusal(verdict(Some(pem), &der)), CertificateError::InvalidPurpose);
        // A key usage that allows neither signing nor a key exchange.
        let (pem, der) = self_signed(|p| p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]);
        assert_eq!(refusal(verdict(Some(pem), &der)), CertificateError::InvalidPurpose);
        // Both, fit for a server.
        let (pem, der) = self_signed(|p| {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign];
        });
        assert_eq!(verdict(Some(pem), &der), Ok(()));
    }

    #[test]
    fn without_verification_any_certificate_passes() {
        let (_, der) = self_signed(|p| p.not_after = rcgen::date_time_ymd(2021, 1, 1));
        let config = ConnectConfig { tls_verify: false, ..ConnectConfig::default() };
        let verify = verifier(&config, Arc::new(rustls::crypto::ring::default_provider())).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        assert!(verify.verify_server_cert(&der, &[], &name, &[], UnixTime::now()).is_ok());
    }
}
