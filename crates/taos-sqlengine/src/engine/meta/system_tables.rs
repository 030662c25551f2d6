//! The `information_schema` and `performance_schema` tables a query can read.

use crate::engine::catalog::{Catalog, ColumnSchema, Database, SYSTEM_DBS, TableKind};
use crate::types::{DataType, Field, Precision, ResultSet, Value};

use super::{str_col, tag_type_text, type_text, value_text, vfield};

/// `information_schema.<name>` as a result set (all columns), or `None` if unknown.
pub(crate) fn system_table(cat: &Catalog, name: &str) -> Option<ResultSet> {
    let ms = Precision::Millisecond;
    let ts = |name: &str| Field::fixed(name, DataType::Timestamp);
    let int = |name: &str| Field::fixed(name, DataType::Int);
    let mut dbs: Vec<&Database> = cat.dbs.values().collect();
    dbs.sort_by(|a, b| a.name.cmp(&b.name));
    Some(match name {
        "ins_databases" => {
            let fields = vec![
                vfield("name", 64),
                ts("create_time"),
                int("vgroups"),
                Field::fixed("ntables", DataType::BigInt),
                Field::fixed("replica", DataType::TinyInt),
                vfield("strict", 4),
                vfield("duration", 10),
                vfield("keep", 32),
                int("buffer"),
                int("pagesize"),
                int("pages"),
                int("minrows"),
                int("maxrows"),
                Field::fixed("comp", DataType::TinyInt),
                vfield("precision", 2),
                vfield("status", 10),
                vfield("retentions", 60),
                Field::fixed("single_stable", DataType::Bool),
                vfield("cachemodel", 11),
                int("cachesize"),
                Field::fixed("wal_level", DataType::TinyInt),
                int("wal_fsync_period"),
                int("wal_retention_period"),
                Field::fixed("wal_retention_size", DataType::BigInt),
                Field::fixed("stt_trigger", DataType::SmallInt),
                Field::fixed("table_prefix", DataType::SmallInt),
                Field::fixed("table_suffix", DataType::SmallInt),
                int("tsdb_pagesize"),
                int("keep_time_offset"),
                int("ss_chunkpages"),
                vfield("ss_keeplocal", 10),
                Field::fixed("ss_compact", DataType::TinyInt),
                Field::fixed("with_arbitrator", DataType::TinyInt),
                vfield("encrypt_algorithm", 16),
                vfield("compact_interval", 12),
                vfield("compact_time_range", 24),
                vfield("compact_time_offset", 4),
            ];
            // the system databases list their table counts and nothing else
            let system_tables = |sys: &str| -> i64 {
                if sys == "information_schema" { 42 } else { 5 }
            };
            let mut rows = Vec::new();
            let first_ms = cat.users.users.get("root").map(|u| u.create_time_ms).unwrap_or(0);
            for sys in SYSTEM_DBS {
                let mut row = vec![Value::Null; fields.len()];
                row[0] = str_col(sys);
                row[1] = Value::Timestamp(first_ms);
                row[3] = Value::Int(system_tables(sys));
                row[14] = str_col("ms");
                row[15] = str_col("ready");
                rows.push(row);
            }
            for d in dbs {
                let o = &d.options;
                let extra_int = |name: &str, default: i64| {
                    Value::Int(o.extra.get(name).and_then(|v| v.parse().ok()).unwrap_or(default))
                };
                rows.push(vec![
                    str_col(&d.name),
                    Value::Timestamp(d.create_time_ms),
                    Value::Int(o.vgroups),
                    Value::Int(d.tables.len() as i64),
                    Value::Int(o.replica),
                    str_col("on"),
                    str_col(&o.duration),
                    str_col(&o.keep),
                    Value::Int(o.buffer),
                    Value::Int(o.pagesize),
                    Value::Int(o.pages),
                    Value::Int(o.minrows),
                    Value::Int(o.maxrows),
                    Value::Int(o.comp),
                    str_col(d.precision.as_str()),
                    str_col("ready"),
                    Value::Null,
                    Value::Bool(o.extra_or("single_stable", "0") == "1"),
                    str_col(&o.cachemodel),
                    Value::Int(o.cachesize),
                    Value::Int(o.wal_level),
                    Value::Int(o.wal_fsync_period),
                    extra_int("wal_retention_period", 3600),
                    extra_int("wal_retention_size", 0),
                    extra_int("stt_trigger", 2),
                    extra_int("table_prefix", 0),
                    extra_int("table_suffix", 0),
                    extra_int("tsdb_pagesize", 4),
                    extra_int("keep_time_offset", 0),
                    extra_int("ss_chunkpages", 131072),
                    str_col(o.extra_or("ss_keeplocal", "525600m")),
                    extra_int("ss_compact", 1),
                    Value::Int(0),
                    str_col("none"),
                    str_col(o.extra_or("compact_interval", "0d")),
                    str_col(o.extra_or("compact_time_range", "0d,0d")),
                    str_col(o.extra_or("compact_time_offset", "0h")),
                ]);
            }
            ResultSet::from_rows(fields, ms, rows)
        }
        "ins_stables" => {
            let fields = vec![
                vfield("stable_name", 192),
                vfield("db_name", 64),
                ts("create_time"),
                int("columns"),
                int("tags"),
                ts("last_update"),
                vfield("table_comment", 1024),
                vfield("watermark", 64),
                vfield("max_delay", 64),
                vfield("rollup", 128),
                Field::fixed("uid", DataType::BigInt),
                Field::fixed("isvirtual", DataType::Bool),
                Field::fixed("keep", DataType::BigInt),
            ];
            let mut rows = Vec::new();
            for d in dbs {
                for st in d.stables_in_order() {
                    rows.push(vec![
                        str_col(&st.name),
                        str_col(&d.name),
                        Value::Timestamp(st.create_time_ms),
                        Value::Int(st.columns.len() as i64),
                        Value::Int(st.tags.len() as i64),
                        Value::Timestamp(st.create_time_ms),
                        st.comment.clone().map(Value::Str).unwrap_or(Value::Null),
                        str_col("5000a,5000a"),
                        str_col("-1a,-1a"),
                        str_col(""),
                        Value::Int(st.seq as i64),
                        Value::Bool(false),
                        Value::Int(st.keep.unwrap_or(-1)),
                    ]);
                }
            }
            ResultSet::from_rows(fields, ms, rows)
        }
        "ins_tables" => {
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                ts("create_time"),
                int("columns"),
                vfield("stable_name", 192),
                Field::fixed("uid", DataType::BigInt),
                Field::fixed("vgroup_id", DataType::Int),
                int("ttl"),
                vfield("table_comment", 1024),
                vfield("type", 21),
            ];
            let mut rows = Vec::new();
            for d in dbs {
                for t in d.tables_in_order() {
                    let (stable, ty) = match &t.kind {
                        TableKind::Child { stable, .. } => (str_col(stable), "CHILD_TABLE"),
                        TableKind::Normal { .. } => (Value::Null, "NORMAL_TABLE"),
                    };
                    rows.push(vec![
                        str_col(&t.name),
                        str_col(&d.name),
                        Value::Timestamp(t.create_time_ms),
                        Value::Int(d.columns_of(t).len() as i64),
                        stable,
                        Value::Int(t.seq as i64),
                        Value::Int(i64::from(d.wal.vgroups().id_of(&t.name))),
                        Value::Int(t.ttl),
                        t.comment.clone().map(Value::Str).unwrap_or(Value::Null),
                        str_col(ty),
                    ]);
                }
            }
            ResultSet::from_rows(fields, ms, rows)
        }
        "ins_columns" => {
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                vfield("table_type", 21),
                vfield("col_name", 64),
                vfield("col_type", 32),
                int("col_length"),
                int("col_precision"),
                int("col_scale"),
                int("col_nullable"),
                vfield("col_source", 258),
                Field::fixed("col_id", DataType::SmallInt),
            ];
            let mut rows = Vec::new();
            let mut push = |table: &str, db: &str, ty: &str, cols: &[ColumnSchema]| {
                for (i, c) in cols.iter().enumerate() {
                    let (t, len) = match c.ty {
                        DataType::VarChar | DataType::NChar => {
                            (format!("{}({})", c.ty.name(), c.len), c.len)
                        }
                        DataType::VarBinary | DataType::Geometry => {
                            (c.ty.name().to_string(), c.len + 2)
                        }
                        DataType::Decimal | DataType::Decimal64 => (type_text(c), c.len),
                        _ => (c.ty.name().to_string(), c.len),
                    };
                    rows.push(vec![
                        str_col(table),
                        str_col(db),
                        str_col(ty),
                        str_col(&c.name),
                        str_col(t),
                        Value::Int(len as i64),
                        // precision and scale are a DECIMAL's; NULL for other types
                        if c.ty.is_decimal() { Value::Int(c.precision as i64) } else { Value::Null },
                        if c.ty.is_decimal() { Value::Int(c.scale as i64) } else { Value::Null },
                        Value::Null,
                        Value::Null,
                        Value::Int(i as i64 + 1),
                    ]);
                }
            };
            for d in &dbs {
                for st in d.stables_in_order() {
                    push(&st.name, &d.name, "SUPER_TABLE", &st.columns);
                }
                for t in d.tables_in_order() {
                    let ty = if matches!(t.kind, TableKind::Child { .. }) {
                        "CHILD_TABLE"
                    } else {
                        "NORMAL_TABLE"
                    };
                    push(&t.name, &d.name, ty, d.columns_of(t));
                }
            }
            ResultSet::from_rows(fields, ms, rows)
        }
        "ins_tags" => {
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                vfield("stable_name", 192),
                vfield("tag_name", 64),
                vfield("tag_type", 32),
                vfield("tag_value", 16384),
            ];
            let mut rows = Vec::new();
            for d in dbs {
                for t in d.tables_in_order() {
                    if let TableKind::Child { stable, tags } = &t.kind {
                        if let Some(st) = d.stables.get(stable) {
                            for (c, v) in st.tags.iter().zip(tags) {
                                rows.push(vec![
                                    str_col(&t.name),
                                    str_col(&d.name),
                                    str_col(stable),
                                    str_col(&c.name),
                                    str_col(tag_type_text(c)),
                                    value_text(v, false).map(Value::Str).unwrap_or(Value::Null),
                                ]);
                            }
                        }
                    }
                }
            }
            ResultSet::from_rows(fields, ms, rows)
        }
        "ins_subscriptions" => super::tmq::subscriptions(cat),
        "ins_users" => crate::engine::users::users_table(cat),
        "ins_user_privileges" => crate::engine::users::privileges_table(cat),
        "ins_dnodes" => super::cluster::dnodes(cat),
        "ins_mnodes" => super::cluster::mnodes(cat),
        "ins_qnodes" => super::cluster::qnodes(),
        "ins_cluster" => super::cluster::cluster(cat),
        "ins_grants" => super::cluster::grants(),
        "ins_vgroups" => super::cluster::vgroups(cat, None),
        "ins_indexes" => super::cluster::indexes(cat, None, None),
        "perf_consumers" => super::tmq::consumers(cat),
        "perf_connections" => {
            // Through taosAdapter `app` is always the adapter; the client's own app and address
            // are `user_app` / `user_ip` (m_session_options).
            let fields = vec![
                Field::fixed("conn_id", DataType::UInt),
                vfield("user", 24),
                vfield("app", 24),
                Field::fixed("pid", DataType::UInt),
                vfield("end_point", 134),
                ts("login_time"),
                ts("last_access"),
                vfield("user_app", 24),
                vfield("user_ip", 22),
            ];
            let now = chrono::Utc::now().timestamp_millis();
            let rows = cat
                .connections
                .values()
                .map(|c| {
                    vec![
                        Value::UInt(u64::from(c.conn_id)),
                        str_col(&c.user),
                        str_col("taosadapter"),
                        Value::UInt(u64::from(std::process::id())),
                        str_col(""),
                        Value::Timestamp(c.login_time_ms),
                        Value::Timestamp(now),
                        str_col(&c.user_app),
                        str_col(&c.user_ip),
                    ]
                })
                .collect();
            ResultSet::from_rows(fields, ms, rows)
        }
        "ins_topics" => {
            let fields = vec![
                vfield("topic_name", 192),
                vfield("db_name", 64),
                ts("create_time"),
                vfield("sql", 2048),
                vfield("schema", 8192),
                vfield("meta", 4),
                vfield("type", 8),
            ];
            let mut t: Vec<&crate::engine::catalog::Topic> = cat.topics.values().collect();
            t.sort_by_key(|t| t.create_time_ms);
            let rows = t
                .into_iter()
                .map(|t| {
                    vec![
                        str_col(&t.name),
                        str_col(&t.db),
                        Value::Timestamp(t.create_time_ms),
                        str_col(&t.sql),
                        Value::Null,
                        str_col(if t.with_meta { "yes" } else { "no" }),
                        str_col(t.kind),
                    ]
                })
                .collect();
            ResultSet::from_rows(fields, ms, rows)
        }
        _ => return None,
    })
}
