//! Replays the recorded TDengine SQL corpus (`tests/data/sql-corpus/*.jsonl`, copied from the
//! shared reference: real answers of TDengine 3.3.7.5 over REST, rounds 1 and 2) through
//! `Engine::execute`, renders each answer the way REST does, and compares with the recording using
//! the rules of `run_corpus.py` (masking, float tolerance, multiset comparison without ORDER BY,
//! row counts only for LIMIT without ORDER BY).
//!
//! Statements that still differ are listed, one line each with its category, in
//! `tests/data/corpus-expected-differences.txt`. A scenario's test fails on any difference that is
//! not listed (a regression) and on a listed statement that now matches (shrink the list: delete
//! its line). `CORPUS_UPDATE=1 cargo test -p taos-testserver --test corpus_engine
//! update_expected_differences -- --ignored` rewrites the list from today's answers, keeping the
//! category of lines that stay.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Value as J};
use taos_sqlengine::types::{Answer, Outcome, TdError};
use taos_sqlengine::{Engine, EngineConfig, SessionCtx};
use taos_testserver::render::rest_value;

const EXPECTED_DIFFERENCES: &str = "tests/data/corpus-expected-differences.txt";

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

/// Databases, topics and users the scenario creates (rows of others are not compared).
struct Owned {
    dbs: HashSet<String>,
    topics: HashSet<String>,
    users: HashSet<String>,
}

fn owned_names(records: &[J]) -> Owned {
    let mut owned = Owned { dbs: HashSet::new(), topics: HashSet::new(), users: HashSet::new() };
    for r in records {
        let sql = r["sql"].as_str().unwrap_or("");
        let words: Vec<&str> = sql.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        if lower.len() >= 3 && lower[0] == "create" {
            let mut i = 2;
            if lower.len() > 5 && lower[2] == "if" && lower[3] == "not" && lower[4] == "exists" {
                i = 5;
            }
            let set = match lower[1].as_str() {
                "database" => &mut owned.dbs,
                "topic" => &mut owned.topics,
                "user" => &mut owned.users,
                _ => continue,
            };
            if let Some(w) = words.get(i) {
                set.insert(unquote_ident(w));
            }
        }
    }
    owned
}

/// A word of `sql` starts with `prefix` (`ins_tables`, `information_schema.ins_tags`).
fn has_prefixed_word(sql: &str, prefix: &str) -> bool {
    sql.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w.starts_with(prefix))
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

fn normalize_rows(sql: &str, resp: &J, owned: &Owned) -> Vec<J> {
    let mut data = resp["data"].as_array().cloned().unwrap_or_default();
    let names = column_names(resp);
    let s = sql.trim().to_lowercase();
    let topics = &owned.topics;
    let mut keep: HashSet<String> = owned.dbs.clone();
    keep.insert("information_schema".into());
    keep.insert("performance_schema".into());
    let idx_of = |n: &str| names.iter().position(|x| x == n);
    let filter: Option<(usize, HashSet<String>)> = if s.starts_with("show databases") {
        idx_of("name").map(|i| (i, keep.clone()))
    } else if s.starts_with("show users") {
        idx_of("name").map(|i| {
            let mut users = owned.users.clone();
            users.insert("root".to_string());
            (i, users)
        })
    } else if s.starts_with("show topics") || s.starts_with("show subscriptions") {
        idx_of("topic_name").map(|i| (i, topics.clone()))
    } else if s.contains("information_schema")
        || s.contains("performance_schema")
        || has_prefixed_word(&s, "ins_")
        || has_prefixed_word(&s, "perf_")
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

/// Equality as Python's `==` on parsed JSON (what `run_corpus.py` compares): numbers by value
/// (`0 == -0.0`, `1500 == 1500.0`), objects and arrays member by member.
fn py_equal(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
            (Some(p), Some(q), _, _) => p == q,
            (_, _, Some(p), Some(q)) => p == q,
            _ => x.as_f64() == y.as_f64(),
        },
        (J::Array(x), J::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_equal(p, q)),
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_equal(v, w)))
        }
        _ => a == b,
    }
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
    py_equal(a, b)
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

fn compare(rec: &J, got: &J, owned: &Owned) -> Option<String> {
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
    let mut erows = normalize_rows(sql, exp, owned);
    let mut grows = normalize_rows(sql, got, owned);
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

/// One statement that differs: its 1-based number in the scenario, the difference, the SQL.
struct Difference {
    number: usize,
    what: String,
    sql: String,
}

fn run_scenario(path: &std::path::Path) -> (usize, Vec<Difference>) {
    let text = std::fs::read_to_string(path).expect("read scenario");
    let records: Vec<J> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let owned = owned_names(&records);
    let engine = Engine::new(EngineConfig::new(taos_testserver::SERVER_VERSION)
            // the recording machine's zone, as its TDengine named it (round 2: /etc/localtime → Etc/UTC)
            .with_timezone("Etc/UTC")
            .expect("known zone"));
    let mut diffs = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let sql = rec["sql"].as_str().unwrap_or("");
        let mut ctx = SessionCtx {
            db: rec["db"].as_str().map(|s| s.to_string()),
            ..Default::default()
        };
        let tz: chrono_tz::Tz = rec["tz"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        // a query the WebSocket front end streams must answer what it answers whole (queries
        // reading the clock may differ by the time between the two runs)
        let lower = sql.trim_start().to_ascii_lowercase();
        let streamed = (lower.starts_with("select") && !lower.contains("now") && !lower.contains("today"))
            .then(|| {
                let answer = engine.execute_streaming(&mut ctx.clone(), sql).map(|a| match a {
                    Answer::Stream(s) => Outcome::Rows(s.collect()),
                    Answer::Outcome(o) => o,
                });
                render(answer, tz)
            });
        let got = render(engine.execute(&mut ctx, sql), tz);
        if streamed.as_ref().is_some_and(|s| *s != got) {
            diffs.push(Difference {
                number: i + 1,
                what: format!("streamed: {}", streamed.unwrap_or_default()).chars().take(300).collect(),
                sql: sql.to_string(),
            });
        }
        if let Some(what) = compare(rec, &got, &owned) {
            diffs.push(Difference {
                number: i + 1,
                what: what.chars().take(300).collect(),
                sql: sql.to_string(),
            });
        }
    }
    (records.len(), diffs)
}

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sql-corpus")
}

fn scenario_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .map(|p| p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string())
        .collect();
    names.sort();
    names
}

/// One line of the expected-differences list:
/// `<scenario> #<n> <category> | <sql, cut to 160 characters>`.
#[derive(Clone)]
struct Listed {
    category: String,
    line: String,
}

/// The listed differences, keyed by (scenario, statement number).
fn expected_differences() -> BTreeMap<(String, usize), Listed> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPECTED_DIFFERENCES);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let head = t.split(" | ").next().unwrap_or("");
        let mut words = head.split_whitespace();
        let (Some(scenario), Some(number), Some(category)) = (words.next(), words.next(), words.next())
        else {
            panic!("{}: malformed line: {}", EXPECTED_DIFFERENCES, line);
        };
        let number: usize = number
            .trim_start_matches('#')
            .parse()
            .unwrap_or_else(|_| panic!("{}: malformed line: {}", EXPECTED_DIFFERENCES, line));
        let previous = out.insert(
            (scenario.to_string(), number),
            Listed { category: category.to_string(), line: t.to_string() },
        );
        assert!(previous.is_none(), "{}: listed twice: {}", EXPECTED_DIFFERENCES, line);
    }
    out
}

fn listed_line(scenario: &str, number: usize, category: &str, sql: &str) -> String {
    let sql: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = sql.chars().take(160).collect();
    let ellipsis = if cut.len() < sql.len() { " …" } else { "" };
    format!("{} #{} {} | {}{}", scenario, number, category, cut, ellipsis)
}

/// A first guess at the module a new difference belongs to; the list keeps whatever category a
/// line already has, so a person can correct it.
fn guess_category(scenario: &str, sql: &str) -> &'static str {
    let s = sql.to_lowercase();
    let has = |w: &str| has_word(&s, &w.split(' ').collect::<Vec<_>>());
    let select = s.trim_start().starts_with("select");
    if select && (scenario.starts_with("s22") || scenario.starts_with("s24")) {
        "functions"
    } else if select && scenario.starts_with("s33") {
        "json"
    } else if has("join") || scenario.starts_with("s27") {
        "joins"
    } else if has("session") || has("state_window") || has("event_window") || has("count_window")
        || has("interval") || has("fill") || scenario.starts_with("s26")
    {
        "windows"
    } else if has("user") || has("grant") || has("revoke") || has("show") || scenario.starts_with("s32") {
        "users-show"
    } else if s.contains("->") || has("contains") || scenario.starts_with("s33") {
        "json"
    } else if has("alter") || has("create") || has("drop") || scenario.starts_with("s30") {
        "ddl"
    } else if has("insert") {
        if has("using") || has("tags") { "insert" } else { "literals" }
    } else if has("union") || has("group by") || has("partition by") || has("having")
        || has("slimit") || has("order by") || scenario.starts_with("s28") || scenario.starts_with("s29")
    {
        "query"
    } else if scenario.starts_with("s35") {
        "literals"
    } else {
        "functions"
    }
}

/// Runs one scenario and checks its differences against the list.
fn check_scenario(name: &str) {
    let (total, diffs) = run_scenario(&corpus_dir().join(format!("{}.jsonl", name)));
    println!("== {}: {}/{} statements match", name, total - diffs.len(), total);
    let listed = expected_differences();
    let mut problems = Vec::new();
    let differing: HashSet<usize> = diffs.iter().map(|d| d.number).collect();
    for d in &diffs {
        if std::env::var("CORPUS_VERBOSE").is_ok() {
            println!("   DIFF #{} {} | sql: {}", d.number, d.what, d.sql);
        }
        if !listed.contains_key(&(name.to_string(), d.number)) {
            problems.push(format!(
                "NEW difference (fix it, or list it with its category if it is an accepted gap):\n    {}\n    {}",
                listed_line(name, d.number, guess_category(name, &d.sql), &d.sql),
                d.what
            ));
        }
    }
    for ((scenario, number), l) in &listed {
        if scenario == name && !differing.contains(number) {
            problems.push(format!("now MATCHES (delete its line from {}):\n    {}", EXPECTED_DIFFERENCES, l.line));
        }
    }
    assert!(problems.is_empty(), "{}:\n  {}", name, problems.join("\n  "));
}

/// Rewrites the expected-differences list from today's answers (run on purpose, with
/// `CORPUS_UPDATE=1`): lines that stay keep their category, new ones get a guessed one.
#[test]
#[ignore]
fn update_expected_differences() {
    if std::env::var("CORPUS_UPDATE").is_err() {
        return;
    }
    let listed = expected_differences();
    let mut lines = Vec::new();
    let mut per_category: BTreeMap<String, usize> = BTreeMap::new();
    for name in scenario_names() {
        let (_, diffs) = run_scenario(&corpus_dir().join(format!("{}.jsonl", name)));
        for d in diffs {
            let category = listed
                .get(&(name.clone(), d.number))
                .map(|l| l.category.clone())
                .unwrap_or_else(|| guess_category(&name, &d.sql).to_string());
            *per_category.entry(category.clone()).or_default() += 1;
            lines.push(listed_line(&name, d.number, &category, &d.sql));
        }
    }
    let summary: Vec<String> = per_category.iter().map(|(c, n)| format!("{} {}", c, n)).collect();
    let text = format!(
        "# Corpus statements our engine still answers differently from TDengine 3.3.7.5 (tests/corpus_engine.rs).\n\
         # One line per statement: <scenario> #<n> <category> | <sql>. The list only shrinks: fix a statement,\n\
         # then delete its line (the test fails while a listed statement matches).\n\
         # {} statements: {}\n{}\n",
        lines.len(),
        summary.join(", "),
        lines.join("\n")
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPECTED_DIFFERENCES);
    std::fs::write(path, text).expect("write the list");
}

macro_rules! scenario_tests {
    ($($test:ident => $file:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_scenario($file);
            }
        )*
        /// Every copied scenario file has a test above.
        #[test]
        fn every_scenario_file_is_checked() {
            let tested = [$($file),*];
            for name in scenario_names() {
                assert!(tested.contains(&name.as_str()), "no test for scenario {}", name);
            }
            for ((scenario, _), l) in expected_differences() {
                assert!(tested.contains(&scenario.as_str()), "listed for an unknown scenario: {}", l.line);
            }
        }
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
    s22_string_functions_escapes => "s22_string_functions_escapes",
    s24_conversion_time_functions => "s24_conversion_time_functions",
    s26_windows_advanced => "s26_windows_advanced",
    s27_joins => "s27_joins",
    s28_subqueries_union_order => "s28_subqueries_union_order",
    s29_group_partition_expressions => "s29_group_partition_expressions",
    s30_ddl_alter_limits => "s30_ddl_alter_limits",
    s32_users_privileges_show => "s32_users_privileges_show",
    s33_json_tags_deep => "s33_json_tags_deep",
    s35_insert_edges_ranges => "s35_insert_edges_ranges",
}
