//! Shared by the driver's tests: a TLS front for the embedded server.
#![allow(dead_code)]

/// The throwaway CA that signed `tests/data/server.pem` (for `localhost`/127.0.0.1).
pub const TEST_CA: &str = include_str!("../data/ca.pem");

/// A TLS front for the test server (certificates in tests/data), like a TLS-terminating proxy.
pub async fn tls_proxy(backend: std::net::SocketAddr) -> std::net::SocketAddr {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(format!("{data}/server.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(format!("{data}/server.key")).unwrap();
    let tls = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut plain = tokio::net::TcpStream::connect(backend).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}
