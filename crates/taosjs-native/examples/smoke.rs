use taosjs_core::{ConnectConfig, Endpoint};
#[tokio::main]
async fn main() {
    let mut config = ConnectConfig::default();
    config.endpoints = vec![Endpoint { host: "localhost".into(), port: 6030 }];
    let c = taosjs_native::NativeClient::connect(&config).await.unwrap();
    println!("server {} lib {:?}", c.server_version(), c.library());
    for sql in std::env::args().skip(1) {
        match c.query(&sql, Some(42)).await {
            Err(e) => println!("{sql}: ERR {:?} {e}", e.kind),
            Ok(o) => {
                println!("{sql}: {:?}", o.info);
                if let Some(rows) = o.rows {
                    while let Some(raw) = rows.fetch_block().await.unwrap() {
                        println!("raw {} bytes: {:?}", raw.raw.len(), raw.decode());
                    }
                }
            }
        }
    }
    c.close().await;
}
