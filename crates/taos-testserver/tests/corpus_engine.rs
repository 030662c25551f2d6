//! Replays the recorded TDengine SQL corpus (`tests/data/sql-corpus/*.jsonl`, copied from the
//! shared reference: real answers of TDengine 3.3.7.5 over REST) through `Engine::execute`, renders
//! each answer the way REST does, and compares with the recording using the rules of
//! `run_corpus.py` (masking, float tolerance, multiset comparison without ORDER BY, row counts
//! only for LIMIT without ORDER BY).
//!
//! Each scenario must keep at least the number of matching statements recorded in `MINIMUM`
//! (ratchet these up as the engine grows; never lower them).

use std::collections::HashSet;

use serde_json::{json, Value as J};
use taos_sqlengine::{Engine, EngineConfig, SessionCtx};
use taos_testserver::render::rest_value;
use taos_sqlengine::types::{Outcome, TdError};

/// Matching statements per scenario at the last ratchet (total 829 statements; 829 match).
const MINIMUM: &[(&str, usize)] = &[
    ("s01_database_lifecycle", 50),
    ("s02_types_integer_bool", 44),
    ("s04_types_decimal", 39),
    ("s05_types_geometry_blob_json", 56),
    ("s06_stable_child_tables", 74),
    ("s07_insert_forms", 54),
    ("s09_select_basic", 67),
    ("s10_select_supertable", 42),
    ("s11_aggregates", 53),
    ("s13_interval_window", 45),
    ("s15_timestamp_literals", 32),
    ("s15_timestamp_literals.tz_shanghai", 32),
    ("s16_show_describe", 46),
    ("s17_topics", 39),
    ("s18_errors_query", 70),
    ("s20_scalar_functions", 47),
    ("s21_null_semantics", 39),
];

const VOLATILE_VALUE_COLUMNS: &[&str] = &[
    "create_time",
    "created_time",
    "last_update",
    "update_time",
    "uid",
    "vgroup_id",
    "up_time",
    "subscribe_time",
    "rebalance_time",
    "poll_time",
    "reboot_time",
    "consumer_id",
];
const VOLATILE_FUNCTION_COLUMNS: &[&str] = &[
    "server_version()",
    "client_version()",
    "now()",
    "today()",
    "timezone()",
    "current_user()",
    "user()",
    "now",
    "today",
];
const VOLATILE_SUBSTRINGS: &[&str] = &["now()", "today()", "server_version()", "client_version()"];

/// The REST body our engine's answer would produce.
fn render(result: Result<Outcome, TdError>, tz: chrono_tz::Tz) -> J {
    match result {
        Err(e) => json!({"code": e.code, "desc": e.message}),
        Ok(Outcome::Affected(n)) => {
            json!({"code": 0, "column_meta": [["affected_rows", "INT", 4]], "data": [[n]], "rows": 1})
        }
        Ok(Outcome::Rows(rs)) => {
            let meta: Vec<J> = rs
                .fields
                .iter()
                .map(|f| json!([f.name, f.type_name(), f.len]))
                .collect();
            let mut data = Vec::new();
            for r in 0..rs.num_rows() {
                let mut row = Vec::new();
                for (c, f) in rs.fields.iter().enumerate() {
                    let v = &rs.columns[c][r];
                    if taos_testserver::render::is_non_finite(v) {
                        return json!({"raw": ""});
                    }
                    let mut s = String::new();
                    rest_value(&mut s, f, v, rs.precision, &tz);
                    row.push(serde_json::from_str::<J>(&s).unwrap_or(J::String(s)));
                }
                data.push(J::Array(row));
            }
            json!({"code": 0, "column_meta": meta, "data": data, "rows": rs.num_rows()})
        }
    }
}

fn unquote_ident(name: &str) -> String {
    let n = name.trim();
    let b = n.as_bytes();
    if n.len() >= 2 && b[0] == b[n.len() - 1] && matches!(b[0], b'`' | b'\'' | b'"') {
        n[1..n.len() - 1].to_string()
    } else {
        n.to_lowercase()
    }
}

/// Databases and topics the scenario creates (rows of others are not compared).
fn owned_names(records: &[J]) -> (HashSet<String>, HashSet<String>) {
    let mut dbs = HashSet::new();
    let mut topics = HashSet::new();
    for r in records {
        let sql = r["sql"].as_str().unwrap_or("");
        let words: Vec<&str> = sql.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        if lower.len() >= 3
            && lower[0] == "create"
            && (lower[1] == "database" || lower[1] == "topic")
        {
            let mut i = 2;
            if lower.len() > 5 && lower[2] == "if" && lower[3] == "not" && lower[4] == "exists" {
                i = 5;
            }
            if let Some(w) = words.get(i) {
                if lower[1] == "database" {
                    dbs.insert(unquote_ident(w));
                } else {
                    topics.insert(unquote_ident(w));
                }
            }
        }
    }
    (dbs, topics)
}

fn has_word(sql: &str, phrase: &[&str]) -> bool {
    let words: Vec<String> = sql
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    words
        .windows(phrase.len())
        .any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
}

fn column_names(resp: &J) -> Vec<String> {
    resp["column_meta"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|c| c[0].as_str().unwrap_or("").to_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn normalize_rows(sql: &str, resp: &J, dbs: &HashSet<String>, topics: &HashSet<String>) -> Vec<J> {
    let mut data = resp["data"].as_array().cloned().unwrap_or_default();
    let names = column_names(resp);
    let s = sql.trim().to_lowercase();
    let mut keep: HashSet<String> = dbs.clone();
    keep.insert("information_schema".into());
    keep.insert("performance_schema".into());
    let idx_of = |n: &str| names.iter().position(|x| x == n);
    let filter: Option<(usize, HashSet<String>)> = if s.starts_with("show databases") {
        idx_of("name").map(|i| (i, keep.clone()))
    } else if s.starts_with("show users") {
        idx_of("name").map(|i| (i, ["root".to_string()].into_iter().collect()))
    } else if s.starts_with("show topics") || s.starts_with("show subscriptions") {
        idx_of("topic_name").map(|i| (i, topics.clone()))
    } else if s.contains("information_schema")
        || s.contains("performance_schema")
        || s.contains("ins_")
        || s.contains("perf_")
    {
        if let Some(i) = idx_of("topic_name") {
            Some((i, topics.clone()))
        } else if let Some(i) = idx_of("db_name") {
            Some((i, keep.clone()))
        } else if s.contains("ins_databases") {
            idx_of("name").map(|i| (i, keep.clone()))
        } else {
            None
        }
    } else {
        None
    };
    if let Some((i, allowed)) = filter {
        data.retain(|row| {
            row.get(i)
                .and_then(|v| v.as_str())
                .is_some_and(|v| allowed.contains(v))
        });
    }
    let vol: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            VOLATILE_VALUE_COLUMNS.contains(&n.as_str())
                || VOLATILE_FUNCTION_COLUMNS.contains(&n.as_str())
                || VOLATILE_SUBSTRINGS.iter().any(|v| n.contains(v))
        })
        .map(|(i, _)| i)
        .collect();
    for row in &mut data {
        if let Some(a) = row.as_array_mut() {
            for &i in &vol {
                if i < a.len() {
                    a[i] = J::String("<masked>".into());
                }
            }
        }
    }
    data
}

fn values_equal(a: &J, b: &J, ty: &str) -> bool {
    let base = ty.split('(').next().unwrap_or("").trim().to_uppercase();
    if a.is_null() || b.is_null() {
        return a.is_null() && b.is_null();
    }
    if (base == "FLOAT" || base == "DOUBLE") && a.is_number() && b.is_number() {
        let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
        let (rel, abs) = if base == "FLOAT" {
            (1e-6, 1e-6)
        } else {
            (1e-9, 1e-12)
        };
        return (x - y).abs() <= f64::max(abs, rel * x.abs().max(y.abs()));
    }
    a == b
}

fn sort_key(row: &J, types: &[String]) -> String {
    let Some(a) = row.as_array() else {
        return row.to_string();
    };
    a.iter()
        .enumerate()
        .map(|(i, v)| {
            let base = types
                .get(i)
                .map(|t| t.split('(').next().unwrap_or("").to_uppercase())
                .unwrap_or_default();
            if (base == "FLOAT" || base == "DOUBLE") && v.is_number() {
                format!("{:.4e}", v.as_f64().unwrap_or(0.0))
            } else {
                v.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\u{1}")
}

fn compare(rec: &J, got: &J, dbs: &HashSet<String>, topics: &HashSet<String>) -> Option<String> {
    let sql = rec["sql"].as_str().unwrap_or("");
    let exp = &rec["response"];
    if exp.get("raw").is_some() || got.get("raw").is_some() {
        return if exp.get("raw") == got.get("raw") {
            None
        } else {
            Some(format!("body: expected {} got {}", exp, got))
        };
    }
    if exp["code"] != got["code"] {
        return Some(format!(
            "code: expected {} ({}) got {} ({})",
            exp["code"], exp["desc"], got["code"], got["desc"]
        ));
    }
    if exp["code"].as_i64() != Some(0) {
        return if exp["desc"] == got["desc"] {
            None
        } else {
            Some(format!(
                "desc: expected {} got {}",
                exp["desc"], got["desc"]
            ))
        };
    }
    let em = exp["column_meta"].as_array().cloned().unwrap_or_default();
    let gm = got["column_meta"].as_array().cloned().unwrap_or_default();
    if em.len() != gm.len() {
        return Some(format!("column count: expected {:?} got {:?}", em, gm));
    }
    for (e, g) in em.iter().zip(&gm) {
        let mut e = e.clone();
        let mut g = g.clone();
        if VOLATILE_FUNCTION_COLUMNS.contains(&e[0].as_str().unwrap_or("").to_lowercase().as_str())
        {
            e[2] = J::Null;
            g[2] = J::Null;
        }
        if e != g {
            return Some(format!("column meta: expected {} got {}", e, g));
        }
    }
    let types: Vec<String> = em
        .iter()
        .map(|c| c[1].as_str().unwrap_or("").to_string())
        .collect();
    let mut erows = normalize_rows(sql, exp, dbs, topics);
    let mut grows = normalize_rows(sql, got, dbs, topics);
    let ordered_by = has_word(sql, &["order", "by"]);
    if (has_word(sql, &["limit"]) || has_word(sql, &["slimit"])) && !ordered_by {
        return if erows.len() == grows.len() {
            None
        } else {
            Some(format!(
                "row count (LIMIT): expected {} got {}",
                erows.len(),
                grows.len()
            ))
        };
    }
    if erows.len() != grows.len() {
        return Some(format!(
            "row count: expected {} got {}: {:?} vs {:?}",
            erows.len(),
            grows.len(),
            erows,
            grows
        ));
    }
    let lower = sql.trim_start().to_lowercase();
    let ordered = ordered_by
        || lower.starts_with("describe")
        || lower.starts_with("desc ")
        || lower.starts_with("show create")
        || lower.starts_with("show tags");
    if !ordered {
        erows.sort_by_key(|r| sort_key(r, &types));
        grows.sort_by_key(|r| sort_key(r, &types));
    }
    for (ri, (er, gr)) in erows.iter().zip(&grows).enumerate() {
        let (Some(ea), Some(ga)) = (er.as_array(), gr.as_array()) else {
            return Some(format!("row {}", ri));
        };
        if ea.len() != ga.len()
            || ea.iter().zip(ga).enumerate().any(|(ci, (a, b))| {
                !values_equal(a, b, types.get(ci).map(|s| s.as_str()).unwrap_or(""))
            })
        {
            return Some(format!("row {}: expected {} got {}", ri, er, gr));
        }
    }
    None
}

fn run_scenario(path: &std::path::Path) -> (usize, usize, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("read scenario");
    let records: Vec<J> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let (dbs, topics) = owned_names(&records);
    let engine = Engine::new(EngineConfig::new(taos_testserver::SERVER_VERSION));
    let mut passed = 0;
    let mut diffs = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let sql = rec["sql"].as_str().unwrap_or("");
        let mut ctx = SessionCtx {
            db: rec["db"].as_str().map(|s| s.to_string()),
        };
        let tz: chrono_tz::Tz = rec["tz"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let got = render(engine.execute(&mut ctx, sql), tz);
        match compare(rec, &got, &dbs, &topics) {
            None => passed += 1,
            Some(d) => diffs.push(format!(
                "#{} {} | sql: {}",
                i + 1,
                d.chars().take(300).collect::<String>(),
                sql
            )),
        }
    }
    (passed, records.len(), diffs)
}

/// Runs one scenario file and checks it against its minimum.
fn check_scenario(name: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/sql-corpus")
        .join(format!("{}.jsonl", name));
    let (passed, total, diffs) = run_scenario(&path);
    println!("== {}: {}/{} statements match", name, passed, total);
    if std::env::var("CORPUS_VERBOSE").is_ok() {
        for d in &diffs {
            println!("   DIFF {}", d);
        }
    }
    let min = MINIMUM
        .iter()
        .find(|(s, _)| *s == name)
        .map(|(_, m)| *m)
        .expect("scenario listed in MINIMUM");
    assert!(
        passed >= min,
        "{}: {}/{} < minimum {}\n  {}",
        name,
        passed,
        total,
        min,
        diffs.join("\n  ")
    );
}

macro_rules! scenario_tests {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_scenario($file);
            }
        )*
    };
}

scenario_tests! {
    s01_database_lifecycle => "s01_database_lifecycle",
    s02_types_integer_bool => "s02_types_integer_bool",
    s04_types_decimal => "s04_types_decimal",
    s05_types_geometry_blob_json => "s05_types_geometry_blob_json",
    s06_stable_child_tables => "s06_stable_child_tables",
    s07_insert_forms => "s07_insert_forms",
    s09_select_basic => "s09_select_basic",
    s10_select_supertable => "s10_select_supertable",
    s11_aggregates => "s11_aggregates",
    s13_interval_window => "s13_interval_window",
    s15_timestamp_literals => "s15_timestamp_literals",
    s15_timestamp_literals_tz_shanghai => "s15_timestamp_literals.tz_shanghai",
    s16_show_describe => "s16_show_describe",
    s17_topics => "s17_topics",
    s18_errors_query => "s18_errors_query",
    s20_scalar_functions => "s20_scalar_functions",
    s21_null_semantics => "s21_null_semantics",
}

/// Every copied scenario file has a test above.
#[test]
fn every_scenario_file_is_checked() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sql-corpus");
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        assert!(
            MINIMUM.iter().any(|(s, _)| *s == stem),
            "no minimum for {}",
            stem
        );
    }
}
