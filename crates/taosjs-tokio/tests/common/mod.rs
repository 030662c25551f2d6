//! Shared by the driver's tests: a TLS front for the embedded server.
#![allow(dead_code)]

/// The throwaway CA that signed `tests/data/server.pem` (for `localhost`/127.0.0.1).
pub const TEST_CA: &str = include_str!("../data/ca.pem");

/// A file of `tests/data` (throwaway certificates and keys).
pub fn tls_data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A TLS front for the test server (certificates in tests/data), like a TLS-terminating proxy.
pub async fn tls_proxy(backend: std::net::SocketAddr) -> std::net::SocketAddr {
    tls_proxy_with(backend, "server", None).await
}

/// A TLS front presenting `tests/data/<cert>.pem`; with `client_ca`, it asks for a client
/// certificate signed by that CA.
pub async fn tls_proxy_with(backend: std::net::SocketAddr, cert: &str, client_ca: Option<&str>) -> std::net::SocketAddr {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls_data(&format!("{cert}.pem")).as_bytes()).map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_slice(tls_data(&format!("{cert}.key")).as_bytes()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(tls_data(ca).as_bytes()) {
                roots.add(c.unwrap()).unwrap();
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(std::sync::Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let tls = builder.with_single_cert(certs, key).unwrap();
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
