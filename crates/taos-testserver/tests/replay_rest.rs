//! Replays every HTTP exchange of the recorded `i_rest.jsonl` and `n_rest_variants.jsonl` (taospy
//! and raw HTTP against a real TDengine 3.3.7.5 + taosAdapter) against the server with its real engine, and compares status
//! and JSON bodies as values (`timing` masked). The server runs with `--server-version
//! 3.3.7.5.alpha` like the recorded one, since `server_version()` values are compared.

mod common;

use serde_json::Value as J;
use taos_testserver::{start, EngineConfig, ServerConfig};

/// Masks what the server chooses freely: `timing`, and vgroup ids (only which names share a
/// vgroup is compared, as replay.py does through its id mapping).
fn without_timing(mut v: J) -> J {
    if let J::Object(m) = &mut v {
        m.remove("timing");
        if let Some(J::Array(ids)) = m.get_mut("vgIDs") {
            let first: Vec<J> = ids.iter().map(|id| J::from(ids.iter().position(|x| x == id).unwrap_or(0))).collect();
            *ids = first;
        }
    }
    v
}

#[tokio::test]
async fn rest_transcript_replays_with_the_recorded_answers() {
    let server = start(ServerConfig {
        port: 0,
        engine: EngineConfig::new("3.3.7.5.alpha")
            // the recording machine's zone, as its TDengine named it (round 2: /etc/localtime → Etc/UTC)
            .with_timezone("Etc/UTC")
            .expect("known zone"),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    for (transcript, least) in [
        (include_str!("data/wire/transcripts/i_rest.jsonl"), 60),
        (include_str!("data/wire/transcripts/n_rest_variants.jsonl"), 30),
    ] {
        replay(&server, transcript, least).await;
    }
    server.shutdown().await;
}

async fn replay(server: &taos_testserver::ServerHandle, transcript: &str, least: usize) {
    let mut problems = Vec::new();
    let mut compared = 0;
    for line in transcript.lines() {
        let rec: J = serde_json::from_str(line).unwrap();
        if rec["type"] != "http" {
            continue;
        }
        let method = rec["method"].as_str().unwrap();
        let query = rec["query"].as_str().unwrap_or("");
        let target = if query.is_empty() {
            rec["path"].as_str().unwrap().to_string()
        } else {
            format!("{}?{}", rec["path"].as_str().unwrap(), query)
        };
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = rec["req_headers"]["authorization"].as_str() {
            headers.push(("Authorization", a));
        }
        let body = rec["req_body"]["text"].as_str().unwrap_or("");
        let r = common::http(server.addr(), method, &target, &headers, body.as_bytes()).await;
        compared += 1;
        let what = format!("seq {} {method} {target} {:?}", rec["seq"], &body.chars().take(60).collect::<String>());
        if r.status as u64 != rec["status"].as_u64().unwrap() {
            problems.push(format!("{what}: status {} (recorded {})", r.status, rec["status"]));
            continue;
        }
        let recorded = rec["resp_body"]["text"].as_str().unwrap_or("");
        match (serde_json::from_str::<J>(recorded), serde_json::from_slice::<J>(&r.body)) {
            (Ok(want), Ok(got)) => {
                if without_timing(want.clone()) != without_timing(got.clone()) {
                    problems.push(format!("{what}:\n   got {got}\n  want {want}"));
                }
            }
            (Err(_), _) => {
                if r.text() != recorded {
                    problems.push(format!("{what}: body {:?} (recorded {recorded:?})", r.text()));
                }
            }
            (Ok(want), Err(_)) => problems.push(format!("{what}: body {:?} is not JSON (recorded {want})", r.text())),
        }
    }
    assert!(compared > least, "the transcript holds the REST exchanges");
    assert!(problems.is_empty(), "{} of {compared} exchanges differ:\n{}", problems.len(), problems.join("\n"));
}
