//! stmt2 over `/ws` against the real engine: init, prepare (fields), binary bind (action 9),
//! exec, result + fetch, close — shapes as in `e_stmt2.jsonl` and reference §5.2.

mod common;

use common::*;
use taos_testserver::{start, ServerConfig};

/// Reference §5.2.3 example payload (table `d1`, tag INT 1, ts × 2, VARCHAR ["a", NULL]).
fn example_bind(req_id: u64, stmt_id: u64) -> Vec<u8> {
    let body: Vec<u8> = [
        "01 00 ff ff ff ff 7e 00",
        "00 00 01 00 00 00 01 00 00 00 02 00 00 00 1c 00",
        "00 00 21 00 00 00 3b 00 00 00 03 00 64 31 00 16",
        "00 00 00 16 00 00 00 04 00 00 00 01 00 00 00 00",
        "00 04 00 00 00 01 00 00 00 3f 00 00 00 23 00 00",
        "00 09 00 00 00 02 00 00 00 00 00 00 10 00 00 00",
        "00 68 e5 cf 8b 01 00 00 e8 6b e5 cf 8b 01 00 00",
        "1c 00 00 00 08 00 00 00 02 00 00 00 00 01 01 01",
        "00 00 00 00 00 00 00 01 00 00 00 61",
    ]
    .join(" ")
    .split_whitespace()
    .map(|h| u8::from_str_radix(h, 16).unwrap())
    .collect();
    bin_request(req_id, stmt_id, 9, &body)
}

#[tokio::test]
async fn stmt2_insert_then_query_with_parameters() {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let mut c = WsClient::connect_root(server.addr()).await;
    for sql in ["create database st2 precision 'ms'", "create stable st2.stb (ts timestamp, v varchar(8)) tags (t int)", "use st2"] {
        c.send_binary(&binary_query(1, sql)).await;
        assert!(c.recv_text().await.contains(r#""code":0"#));
    }
    assert_eq!(
        c.call(r#"{"action":"stmt2_init","args":{"req_id":2,"single_stb_insert":true,"single_table_bind_once":true}}"#).await,
        r#"{"code":0,"message":"","action":"stmt2_init","req_id":2,"timing":0,"stmt_id":1}"#
    );
    assert_eq!(
        c.call(r#"{"action":"stmt2_prepare","args":{"req_id":3,"stmt_id":1,"sql":"insert into ? using st2.stb tags(?) values(?,?)","get_fields":true}}"#).await,
        concat!(
            r#"{"code":0,"message":"","action":"stmt2_prepare","req_id":3,"timing":0,"stmt_id":1,"is_insert":true,"fields":["#,
            r#"{"name":"tbname","field_type":8,"precision":0,"scale":0,"bytes":271,"bind_type":4},"#,
            r#"{"name":"t","field_type":4,"precision":0,"scale":0,"bytes":4,"bind_type":2},"#,
            r#"{"name":"ts","field_type":9,"precision":0,"scale":0,"bytes":8,"bind_type":1},"#,
            r#"{"name":"v","field_type":8,"precision":0,"scale":0,"bytes":10,"bind_type":1}],"fields_count":4}"#
        )
    );
    c.send_binary(&example_bind(0xabc, 1)).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":0,"message":"","action":"stmt2_bind","req_id":2748,"timing":0,"stmt_id":1}"#
    );
    assert_eq!(
        c.call(r#"{"action":"stmt2_exec","args":{"req_id":4,"stmt_id":1}}"#).await,
        r#"{"code":0,"message":"","action":"stmt2_exec","req_id":4,"timing":0,"stmt_id":1,"affected":2}"#
    );
    // an executed insert's result has no fields (3.3.7.5; the reference's 65535 "stmt is insert,
    // no result set" is a later adapter's)
    assert_eq!(
        c.call(r#"{"action":"stmt2_result","args":{"req_id":5,"stmt_id":1}}"#).await,
        concat!(
            r#"{"code":0,"message":"","action":"stmt2_result","req_id":5,"timing":0,"stmt_id":1,"id":1,"fields_count":0,"#,
            r#""fields_names":[],"fields_types":[],"fields_lengths":[],"precision":0,"fields_precisions":[],"fields_scales":[]}"#
        )
    );
    c.send_text(r#"{"action":"free_result","args":{"req_id":5,"id":1}}"#).await;
    let r = rest_sql(server.addr(), "/rest/sql", "select tbname, t, ts, v from st2.stb order by ts").await;
    assert_eq!(
        r.text(),
        r#"{"code":0,"column_meta":[["tbname","VARCHAR",270],["t","INT",4],["ts","TIMESTAMP",8],["v","VARCHAR",8]],"data":[["d1",1,"2023-11-14T22:13:20.000Z","a"],["d1",1,"2023-11-14T22:13:21.000Z",null]],"rows":2}"#
    );

    // A query with one parameter: a BIGINT bound as one "table" with one column of one value.
    c.call(r#"{"action":"stmt2_init","args":{"req_id":6}}"#).await;
    assert_eq!(
        c.call(r#"{"action":"stmt2_prepare","args":{"req_id":7,"stmt_id":2,"sql":"select ts, v from st2.stb where ts > ? order by ts","get_fields":true}}"#).await,
        r#"{"code":0,"message":"","action":"stmt2_prepare","req_id":7,"timing":0,"stmt_id":2,"is_insert":false,"fields":null,"fields_count":1}"#
    );
    let mut field = Vec::new();
    field.extend_from_slice(&26u32.to_le_bytes()); // total: 17 + 1 null flag + 8 value bytes
    field.extend_from_slice(&5i32.to_le_bytes()); // BIGINT
    field.extend_from_slice(&1i32.to_le_bytes());
    field.push(0); // not null
    field.push(0); // no lengths
    field.extend_from_slice(&8u32.to_le_bytes());
    field.extend_from_slice(&1700000000000i64.to_le_bytes());
    let mut payload = Vec::new();
    let total = 28 + 4 + field.len();
    for v in [total as u32, 1, 0, 1, 0, 0, 28] {
        payload.extend_from_slice(&v.to_le_bytes());
    }
    payload.extend_from_slice(&(field.len() as u32).to_le_bytes());
    payload.extend_from_slice(&field);
    let mut body = vec![1, 0, 0xff, 0xff, 0xff, 0xff];
    body.extend_from_slice(&payload);
    c.send_binary(&bin_request(8, 2, 9, &body)).await;
    assert!(c.recv_text().await.contains(r#""code":0"#));
    assert_eq!(
        c.call(r#"{"action":"stmt2_exec","args":{"req_id":9,"stmt_id":2}}"#).await,
        r#"{"code":0,"message":"","action":"stmt2_exec","req_id":9,"timing":0,"stmt_id":2,"affected":0}"#
    );
    assert_eq!(
        c.call(r#"{"action":"stmt2_result","args":{"req_id":10,"stmt_id":2}}"#).await,
        r#"{"code":0,"message":"","action":"stmt2_result","req_id":10,"timing":0,"stmt_id":2,"id":2,"fields_count":2,"fields_names":["ts","v"],"fields_types":[9,8],"fields_lengths":[8,10],"precision":0,"fields_precisions":[0,0],"fields_scales":[0,0]}"#
    );
    c.send_binary(&fetch_raw_block(11, 2)).await;
    let raw = parse_raw_reply(&c.recv_binary().await);
    assert_eq!(block_rows(&raw.block.expect("one block")), 1, "only the row after the bound ts");
    assert_eq!(
        c.call(r#"{"action":"stmt2_close","args":{"req_id":12,"stmt_id":2}}"#).await,
        r#"{"code":0,"message":"","action":"stmt2_close","req_id":12,"timing":0,"stmt_id":2}"#
    );
    assert_eq!(
        c.call(r#"{"action":"stmt2_exec","args":{"req_id":13,"stmt_id":2}}"#).await,
        r#"{"code":65535,"message":"stmt2 is nil","action":"stmt2_exec","req_id":13,"timing":0,"stmt_id":2}"#
    );
    // A malformed bind is an error answer, and the connection goes on.
    c.call(r#"{"action":"stmt2_init","args":{"req_id":14}}"#).await;
    c.send_binary(&bin_request(15, 3, 9, &[1, 0, 0xff, 0xff, 0xff, 0xff, 9, 9, 9])).await;
    let r = mask_timing(&c.recv_text().await);
    assert!(r.starts_with(r#"{"code":65535,"#) && r.contains(r#""action":"stmt2_bind""#) && r.ends_with(r#""stmt_id":3}"#), "{r}");
    server.shutdown().await;
}

/// What TDengine 3.3.7.5 + taosAdapter answer (checked on the real server), and the sequences
/// that kill the real adapter (`*_CRASHED_*` transcripts), which a compatible server refuses.
#[tokio::test]
async fn stmt2_prepare_answers_like_the_adapter_and_exec_refuses_what_kills_it() {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let mut c = WsClient::connect_root(server.addr()).await;
    for sql in ["create database sr", "create table sr.t (ts timestamp, v int)", "create stable sr.st (ts timestamp, v int) tags (g int)"] {
        c.send_binary(&binary_query(1, sql)).await;
        assert!(c.recv_text().await.contains(r#""code":0"#));
    }
    let mut stmt = 0;
    let mut prepare = async |c: &mut WsClient, sql: &str, get_fields: bool| {
        stmt += 1;
        c.call(&format!(r#"{{"action":"stmt2_init","args":{{"req_id":1}}}}"#)).await;
        let answer = c.call(&format!(r#"{{"action":"stmt2_prepare","args":{{"req_id":2,"stmt_id":{stmt},"sql":"{sql}","get_fields":{get_fields}}}}}"#)).await;
        (stmt, answer)
    };
    let exec = |stmt: u64| format!(r#"{{"action":"stmt2_exec","args":{{"req_id":3,"stmt_id":{stmt}}}}}"#);

    // a table named per bind needs a current database, even with a qualified super table
    let (id, answer) = prepare(&mut c, "insert into ? using sr.st tags (?) values (?, ?)", true).await;
    assert!(answer.starts_with(r#"{"code":512,"message":"Invalid operation","#), "{answer}");
    // exec after the failed prepare (the real adapter dies): the prepare's error again
    let answer = c.call(&exec(id)).await;
    assert!(answer.starts_with(r#"{"code":512,"message":"Invalid operation","action":"stmt2_exec""#), "{answer}");

    // an unknown target table: 555
    let (_, answer) = prepare(&mut c, "insert into sr.nope values (?, ?)", true).await;
    assert!(answer.starts_with(r#"{"code":555,"message":"Table does not exist","#), "{answer}");

    // no placeholders: no fields; its exec is refused (the real adapter dies)
    let (id, answer) = prepare(&mut c, "insert into sr.t values (1700000000000, 1)", true).await;
    assert!(answer.ends_with(r#""is_insert":true,"fields":null,"fields_count":0}"#), "{answer}");
    let answer = c.call(&exec(id)).await;
    assert!(answer.starts_with(r#"{"code":554,"#), "{answer}");

    // exec without a bind (the real adapter dies): refused
    let (id, answer) = prepare(&mut c, "insert into sr.t values (?, ?)", true).await;
    assert!(answer.ends_with(r#""fields_count":2}"#), "{answer}");
    let answer = c.call(&exec(id)).await;
    assert!(answer.starts_with(r#"{"code":554,"#) && answer.contains("without stmt2_bind"), "{answer}");

    // without get_fields: neither fields nor their count
    let (_, answer) = prepare(&mut c, "insert into sr.t values (?, ?)", false).await;
    assert!(answer.ends_with(r#""is_insert":true,"fields":null,"fields_count":0}"#), "{answer}");
    let (_, answer) = prepare(&mut c, "select * from sr.t where v > ?", false).await;
    assert!(answer.ends_with(r#""is_insert":false,"fields":null,"fields_count":0}"#), "{answer}");
    // a query without placeholders cannot describe them: 9728
    let (_, answer) = prepare(&mut c, "select * from sr.t", true).await;
    assert!(answer.starts_with(r#"{"code":9728,"#), "{answer}");
    let (_, answer) = prepare(&mut c, "select * from sr.t where v > ?", true).await;
    assert!(answer.ends_with(r#""is_insert":false,"fields":null,"fields_count":1}"#), "{answer}");
    server.shutdown().await;
}

/// One stmt2 field record (reference §5.2.2): fixed-width values as little-endian bytes of
/// `size`, or variable ones (`have_length` 1); `None` is NULL.
fn field(ty: i32, size: usize, values: &[Option<&[u8]>]) -> Vec<u8> {
    let var = size == 0;
    let mut body = Vec::new();
    body.extend_from_slice(&ty.to_le_bytes());
    body.extend_from_slice(&(values.len() as i32).to_le_bytes());
    body.extend(values.iter().map(|v| u8::from(v.is_none())));
    body.push(u8::from(var));
    let mut buf = Vec::new();
    for v in values {
        if var {
            body.extend_from_slice(&(v.map_or(0, <[u8]>::len) as i32).to_le_bytes());
            buf.extend_from_slice(v.unwrap_or_default());
        } else {
            buf.extend_from_slice(&v.map_or(vec![0; size], <[u8]>::to_vec));
        }
    }
    body.extend_from_slice(&(buf.len() as u32).to_le_bytes());
    body.extend_from_slice(&buf);
    [(body.len() as u32 + 4).to_le_bytes().to_vec(), body].concat()
}

/// A binary action 9 frame binding one table: its name (if any), tags and columns.
fn bind_one(req_id: u64, stmt_id: u64, name: Option<&str>, tags: &[Vec<u8>], cols: &[Vec<u8>]) -> Vec<u8> {
    let mut sections = Vec::new();
    let mut offsets = [0u32; 3];
    if let Some(n) = name {
        offsets[0] = 28 + sections.len() as u32;
        let raw = [n.as_bytes(), &[0]].concat();
        sections.extend_from_slice(&(raw.len() as u16).to_le_bytes());
        sections.extend_from_slice(&raw);
    }
    for (i, part) in [tags, cols].into_iter().enumerate() {
        if !part.is_empty() {
            offsets[i + 1] = 28 + sections.len() as u32;
            let all = part.concat();
            sections.extend_from_slice(&(all.len() as u32).to_le_bytes());
            sections.extend_from_slice(&all);
        }
    }
    let mut payload = Vec::new();
    for v in [28 + sections.len() as u32, 1, tags.len() as u32, cols.len() as u32, offsets[0], offsets[1], offsets[2]] {
        payload.extend_from_slice(&v.to_le_bytes());
    }
    payload.extend_from_slice(&sections);
    bin_request(req_id, stmt_id, 9, &[&1u16.to_le_bytes()[..], &(-1i32).to_le_bytes(), &payload].concat())
}

/// What taosc refuses at `stmt2_bind` of an INSERT, before anything is written (checked on
/// TDengine 3.3.7.5 with hand-made frames; each refused statement is closed, never executed).
#[tokio::test]
async fn stmt2_bind_refuses_what_taosc_refuses_and_an_executed_insert_has_an_empty_result() {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let mut c = WsClient::connect_root(server.addr()).await;
    for sql in ["create database sb", "use sb", "create stable st (ts timestamp, v int, s varchar(4)) tags (t int)"] {
        c.send_binary(&binary_query(1, sql)).await;
        assert!(c.recv_text().await.contains(r#""code":0"#));
    }
    let ts = |ms: i64| ms.to_le_bytes().to_vec();
    let int = |v: i32| v.to_le_bytes().to_vec();
    let tag = vec![field(4, 4, &[Some(&int(2))])];
    let good = || vec![field(9, 8, &[Some(&ts(1700000000000))]), field(4, 4, &[Some(&int(1))]), field(8, 0, &[Some(b"ab")])];
    let mut stmt = 0;
    let mut bind = async |c: &mut WsClient, name: Option<&str>, cols: Vec<Vec<u8>>| {
        stmt += 1;
        c.call(r#"{"action":"stmt2_init","args":{"req_id":1}}"#).await;
        let p = c.call(&format!(r#"{{"action":"stmt2_prepare","args":{{"req_id":2,"stmt_id":{stmt},"sql":"insert into ? using st tags(?) values(?,?,?)","get_fields":true}}}}"#)).await;
        assert!(p.starts_with(r#"{"code":0,"#), "{p}");
        c.send_binary(&bind_one(3, stmt, name, &tag, &cols)).await;
        (stmt, mask_timing(&c.recv_text().await))
    };
    let refused = |code: u32, message: &str, stmt: u64| {
        format!(r#"{{"code":{code},"message":"{message}","action":"stmt2_bind","req_id":3,"timing":0,"stmt_id":{stmt}}}"#)
    };
    // an INT column bound as BIGINT, as VARCHAR; the timestamp bound as INT
    let (id, a) = bind(&mut c, Some("c1"), vec![good()[0].clone(), field(5, 8, &[Some(&1i64.to_le_bytes())]), good()[2].clone()]).await;
    assert_eq!(a, refused(512, "column type mis-match with buffer type", id));
    let (id, a) = bind(&mut c, Some("c1"), vec![good()[0].clone(), field(8, 0, &[Some(b"1")]), good()[2].clone()]).await;
    assert_eq!(a, refused(512, "column type mis-match with buffer type", id));
    let (id, a) = bind(&mut c, Some("c1"), vec![field(4, 4, &[Some(&int(17))]), good()[1].clone(), good()[2].clone()]).await;
    assert_eq!(a, refused(512, "column type mis-match with buffer type", id));
    // columns of different lengths; fewer columns than placeholders
    let two_ts = field(9, 8, &[Some(&ts(1700000000000)), Some(&ts(1700000001000))]);
    let (id, a) = bind(&mut c, Some("c1"), vec![two_ts, good()[1].clone(), good()[2].clone()]).await;
    assert_eq!(a, refused(512, "row number in each bind param should be the same", id));
    let (id, a) = bind(&mut c, Some("c1"), good()[..2].to_vec()).await;
    assert_eq!(a, refused(512, "row number in each bind param should be the same", id));
    // a VARCHAR(4) value of 8 bytes; a NULL timestamp (the primary key); no table name
    let (id, a) = bind(&mut c, Some("c1"), vec![good()[0].clone(), good()[1].clone(), field(8, 0, &[Some(b"abcdefgh")])]).await;
    assert_eq!(a, refused(9811, "Value too long for column/tag", id));
    let (id, a) = bind(&mut c, Some("c1"), vec![field(9, 8, &[None]), good()[1].clone(), good()[2].clone()]).await;
    assert_eq!(a, refused(9851, "Primary key column should not be null", id));
    let (id, a) = bind(&mut c, Some(""), good()).await;
    assert_eq!(a, refused(555, "Stmt table name not set correctly", id));
    // a lone NULL may come with any buffer type
    let (id, a) = bind(&mut c, Some("c1"), vec![good()[0].clone(), field(8, 0, &[None]), good()[2].clone()]).await;
    assert_eq!(a, format!(r#"{{"code":0,"message":"","action":"stmt2_bind","req_id":3,"timing":0,"stmt_id":{id}}}"#));
    let exec = c.call(&format!(r#"{{"action":"stmt2_exec","args":{{"req_id":4,"stmt_id":{id}}}}}"#)).await;
    assert!(exec.ends_with(r#""affected":1}"#), "{exec}");
    // the executed insert's result: no fields (3.3.7.5 answers it, it does not refuse)
    let result = c.call(&format!(r#"{{"action":"stmt2_result","args":{{"req_id":5,"stmt_id":{id}}}}}"#)).await;
    assert!(
        result.ends_with(r#""fields_count":0,"fields_names":[],"fields_types":[],"fields_lengths":[],"precision":0,"fields_precisions":[],"fields_scales":[]}"#),
        "{result}"
    );

    // a timestamp older than the database's keep passes the bind and fails the exec (1547)
    let (old, a) = bind(&mut c, Some("c1"), vec![field(9, 8, &[Some(&ts(1000))]), good()[1].clone(), good()[2].clone()]).await;
    assert!(a.starts_with(r#"{"code":0,"#), "{a}");
    let exec = c.call(&format!(r#"{{"action":"stmt2_exec","args":{{"req_id":4,"stmt_id":{old}}}}}"#)).await;
    assert!(exec.starts_with(r#"{"code":1547,"message":"Timestamp data out of range""#), "{exec}");
    let id = old;

    // a bind before any prepare
    c.call(r#"{"action":"stmt2_init","args":{"req_id":1}}"#).await;
    let id = id + 1;
    c.send_binary(&bind_one(3, id, Some("c1"), &tag, &good())).await;
    assert_eq!(mask_timing(&c.recv_text().await), refused(554, "Stmt API usage error", id));
    server.shutdown().await;
}
