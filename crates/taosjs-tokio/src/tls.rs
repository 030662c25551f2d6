//! TLS for `wss://` and `https://`: rustls with the ring provider (no C build), the public web
//! roots plus the configured private CA (`ConnectConfig::tls_ca_pem`).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use taosjs_core::{ConnectConfig, Error};

/// The client configuration both transports use.
pub(crate) fn client_config(config: &ConnectConfig) -> Result<rustls::ClientConfig, Error> {
    if config.tls_cert_pem.is_some() || !config.tls_verify {
        return Err(Error::not_supported("TLS options cert, key and rejectUnauthorized are not supported yet"));
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = &config.tls_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::interface(format!("TLS CA is not valid PEM: {e}")))?;
            roots.add(cert).map_err(|e| Error::interface(format!("TLS CA certificate rejected: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::interface("TLS CA holds no PEM certificate"));
        }
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
