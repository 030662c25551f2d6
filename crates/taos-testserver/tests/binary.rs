//! The `taos-testserver` binary: the ready line, serving, clean exit on SIGTERM/SIGINT, usage errors.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn spawn(args: &[&str]) -> (std::process::Child, std::net::SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_taos-testserver"))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("taos-testserver listening on http://").unwrap_or_else(|| panic!("{line:?}"));
    (child, url.parse().unwrap())
}

fn wait_exit(child: &mut std::process::Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

#[cfg(unix)]
#[tokio::test]
async fn prints_its_address_serves_and_exits_cleanly_on_signals() {
    for signal in ["-TERM", "-INT"] {
        let (mut child, addr) = spawn(&["--port", "0", "--user", "u1:p1", "--block-rows", "2", "--timezone", "Asia/Shanghai"]);
        let r = common::http(addr, "GET", "/-/ping", &[], b"").await;
        assert_eq!(r.status, 200);
        // Options took effect: the extra user can log in; timestamps render in the server zone.
        let r = common::http(addr, "POST", "/rest/sql", &[("Authorization", "Basic dTE6cDE=")], b"select server_version()").await;
        assert!(r.text().starts_with(r#"{"code":0,"#), "{}", r.text());
        let mut ws = common::WsClient::connect_root(addr).await;
        ws.send_binary(&common::binary_query(1, "select server_version()")).await;
        assert!(ws.recv_text().await.contains(r#""code":0"#));
        // `kill` as a shell builtin: no dependency on a procps binary.
        let status = Command::new("sh").args(["-c", &format!("kill {signal} {}", child.id())]).status().unwrap();
        assert!(status.success());
        assert_eq!(wait_exit(&mut child), Some(0), "exit status after {signal}");
    }
}

#[test]
fn bad_options_exit_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_taos-testserver")).args(["--port", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: taos-testserver"));
    let out = Command::new(env!("CARGO_BIN_EXE_taos-testserver")).args(["--timezone", "Bad/Zone"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
