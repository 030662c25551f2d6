//! TLS for `wss://` and `https://` (one client configuration for both), with the options and
//! defaults of Node's `tls`: the server's certificate is
//! verified against the Mozilla roots (as Node) and the operating system's store, or — when the
//! `ca` option is given — against those certificates only; a certificate given in `ca` is
//! trusted even when it is self-signed (presented as the server's own); `cert`/`key` answer a
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
/// InterfaceError naming the option.
pub(crate) fn client_config(config: &ConnectConfig) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup failed: {e}")))?;
    let verifier = if config.tls_verify {
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
            .map_err(|e| Error::interface(format!("TLS option ca: no usable certificate ({e})")))?;
        Verify { webpki: Some(webpki), pinned, provider }
    } else {
        Verify { webpki: None, pinned: Vec::new(), provider }
    };
    let builder = builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier));
    let tls = match (&config.tls_cert_pem, &config.tls_key_pem) {
        (Some(cert), Some(key)) => {
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes())
                .map_err(|e| Error::interface(format!("TLS option key is not a PEM private key: {e}")))?;
            builder
                .with_client_auth_cert(certificates(cert, "cert")?, key)
                .map_err(|e| Error::interface(format!("TLS options cert and key do not go together: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err(Error::interface("TLS options cert and key go together: give both or neither")),
    };
    Ok(tls)
}

/// The certificates of a PEM option (at least one).
fn certificates(pem: &str, option: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::interface(format!("TLS option {option} is not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::interface(format!("TLS option {option} holds no PEM certificate")));
    }
    Ok(certs)
}

/// How the server's certificate is checked: the usual verification (`webpki`), where a
/// certificate given in `ca` is also accepted as the server's own (a self-signed one, which the
/// usual rules refuse as "a CA used as an end entity") when it is valid for the server's name;
/// or, without `webpki` (`rejectUnauthorized: false`), any certificate. The handshake's
/// signatures are checked either way.
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
            Err(e) if self.pinned.iter().any(|p| p.as_ref() == end_entity.as_ref()) => {
                let parsed = rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| e)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
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
            CertificateError::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => format!(
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
