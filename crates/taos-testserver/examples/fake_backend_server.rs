//! The server over the tests' fake backend (canned answers such as `select all_ms`), for poking
//! at the protocol side with other clients while the SQL engine is elsewhere in progress:
//! `cargo run --release -p taos-testserver --example fake_backend_server`.

#[path = "../tests/common/mod.rs"]
mod common;

#[tokio::main]
async fn main() {
    let server = common::default_fake_server().await;
    println!("taos-testserver listening on {}", server.url());
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
}
