//! `SHOW …`: databases, tables, super tables, tags, topics, subscriptions, `SHOW CREATE …`.

use crate::engine::state::Engine;
use crate::engine::catalog::{resolve_db, Catalog, ColumnSchema, Database, TableKind};
use crate::engine::errors::{db_not_exist, err, invalid_column, table_not_exist};
use crate::engine::pattern::like_match;
use crate::session::SessionCtx;
use crate::sql::ast::ShowKind;
use crate::types::{DataType, Field, Precision, ResultSet, TdError, Value};

use super::{str_col, tag_type_text, type_text, value_text, vfield};

/// The database of a SHOW whose grammar reads it as `db_name_cond_opt` (lists of tables,
/// super tables, tags, vgroups, views, indexes, streams): without one, 3.3.7.5's parser
/// answers `9728 database not specified`, where other statements answer 9750.
fn listed_db<'c>(cat: &'c Catalog, ctx: &SessionCtx, db: Option<&str>) -> Result<&'c Database, TdError> {
    resolve_db(cat, ctx, db).map_err(|e| match e.code {
        crate::types::code::PAR_DB_NOT_SPECIFIED => err(crate::types::code::PAR_SYNTAX_ERROR, "database not specified"),
        _ => e,
    })
}

pub(crate) fn show(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    kind: &ShowKind,
) -> Result<ResultSet, TdError> {
    let ms = Precision::Millisecond;
    match kind {
        ShowKind::Databases => {
            let mut names: Vec<&Database> = cat.dbs.values().collect();
            names.sort_by_key(|d| d.create_time_ms);
            let mut rows = vec![
                vec![str_col("information_schema")],
                vec![str_col("performance_schema")],
            ];
            rows.extend(names.iter().map(|d| vec![str_col(&d.name)]));
            Ok(ResultSet::from_rows(vec![vfield("name", 64)], ms, rows))
        }
        ShowKind::Tables { db, like, filter } => {
            let d = listed_db(cat, ctx, db.as_deref())?;
            let rows = d
                .tables_in_order()
                .into_iter()
                .filter(|t| match filter {
                    Some(true) => matches!(t.kind, TableKind::Normal { .. }),
                    Some(false) => matches!(t.kind, TableKind::Child { .. }),
                    None => true,
                })
                .filter(|t| like.as_ref().is_none_or(|p| show_like(&t.name, p)))
                .map(|t| vec![str_col(&t.name)])
                .collect();
            Ok(ResultSet::from_rows(vec![vfield("table_name", 192)], ms, rows))
        }
        ShowKind::Stables { db, like, virtual_only } => {
            let d = listed_db(cat, ctx, db.as_deref())?;
            let rows = d
                .stables_in_order()
                .into_iter()
                // CREATE VTABLE / virtual super tables are refused here, so none is virtual
                .filter(|_| !virtual_only)
                .filter(|t| like.as_ref().is_none_or(|p| show_like(&t.name, p)))
                .map(|t| vec![str_col(&t.name)])
                .collect();
            Ok(ResultSet::from_rows(vec![vfield("stable_name", 192)], ms, rows))
        }
        ShowKind::Vtables { db, .. } => {
            // the database must exist; CREATE VTABLE is refused here, so the list is empty
            listed_db(cat, ctx, db.as_deref())?;
            Ok(ResultSet::from_rows(vec![vfield("table_name", 192)], ms, Vec::new()))
        }
        ShowKind::CreateDatabase(name) => {
            let d = cat.dbs.get(name).ok_or_else(db_not_exist)?;
            let o = &d.options;
            let text = format!(
                "CREATE DATABASE `{}` BUFFER {} CACHESIZE {} CACHEMODEL '{}' COMP {} DURATION {} WAL_FSYNC_PERIOD {} MAXROWS {} MINROWS {} STT_TRIGGER {} KEEP {} PAGES {} PAGESIZE {} PRECISION '{}' REPLICA {} WAL_LEVEL {} VGROUPS {} SINGLE_STABLE {} TABLE_PREFIX {} TABLE_SUFFIX {} TSDB_PAGESIZE {} WAL_RETENTION_PERIOD {} WAL_RETENTION_SIZE {} KEEP_TIME_OFFSET {} ENCRYPT_ALGORITHM 'none' SS_CHUNKPAGES {} SS_KEEPLOCAL {} SS_COMPACT {} COMPACT_INTERVAL {} COMPACT_TIME_RANGE {} COMPACT_TIME_OFFSET {}",
                d.name,
                o.buffer,
                o.cachesize,
                o.cachemodel,
                o.comp,
                o.duration,
                o.wal_fsync_period,
                o.maxrows,
                o.minrows,
                o.extra_or("stt_trigger", "2"),
                o.keep,
                o.pages,
                o.pagesize,
                d.precision.as_str(),
                o.replica,
                o.wal_level,
                o.vgroups,
                o.extra_or("single_stable", "0"),
                o.extra_or("table_prefix", "0"),
                o.extra_or("table_suffix", "0"),
                o.extra_or("tsdb_pagesize", "4"),
                o.extra_or("wal_retention_period", "3600"),
                o.extra_or("wal_retention_size", "0"),
                o.extra_or("keep_time_offset", "0"),
                o.extra_or("ss_chunkpages", "131072"),
                o.extra_or("ss_keeplocal", "525600m"),
                o.extra_or("ss_compact", "1"),
                o.extra_or("compact_interval", "0d"),
                o.extra_or("compact_time_range", "0d,0d"),
                o.extra_or("compact_time_offset", "0h"),
            );
            Ok(ResultSet::from_rows(
                vec![vfield("Database", 63), vfield("Create Database", 65517)],
                ms,
                vec![vec![str_col(&d.name), str_col(text)]],
            ))
        }
        ShowKind::CreateTable(name) | ShowKind::CreateStable(name) => {
            let d = resolve_db(cat, ctx, name.db.as_deref())?;
            let cols_text = |cols: &[ColumnSchema]| {
                cols.iter()
                    .map(|c| {
                        let key = if c.primary_key { " COMPOSITE KEY" } else { "" };
                        format!("`{}` {}{}", c.name, type_text(c), key)
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let text = if let Some(st) = d.stables.get(&name.name) {
                let mut text = format!(
                    "CREATE STABLE `{}` ({}) TAGS ({})",
                    st.name,
                    cols_text(&st.columns),
                    cols_text(&st.tags)
                );
                if let Some(c) = &st.comment {
                    text.push_str(&format!(" COMMENT '{}'", c));
                }
                if let Some(k) = st.keep {
                    text.push_str(&format!(" KEEP {}m", k));
                }
                if !st.no_sma.is_empty() {
                    // columns added by ALTER have no SMA: the others are listed
                    let sma: Vec<String> = st
                        .columns
                        .iter()
                        .filter(|c| !st.no_sma.contains(&c.name))
                        .map(|c| format!("`{}`", c.name))
                        .collect();
                    text.push_str(&format!(" SMA({})", sma.join(",")));
                }
                text
            } else {
                let t = d.tables.get(&name.name).ok_or_else(table_not_exist)?;
                if matches!(kind, ShowKind::CreateStable(_)) {
                    return Err(err(0x022F, "Table is not a super table"));
                }
                let options = {
                    let mut o = String::new();
                    if let Some(c) = &t.comment {
                        o.push_str(&format!(" COMMENT '{}'", c));
                    }
                    if t.ttl != 0 {
                        o.push_str(&format!(" TTL {}", t.ttl));
                    }
                    o
                };
                let text = match &t.kind {
                    TableKind::Normal { columns } => {
                        format!("CREATE TABLE `{}` ({})", t.name, cols_text(columns))
                    }
                    TableKind::Child { stable, tags } => {
                        let st = d.stables.get(stable).ok_or_else(table_not_exist)?;
                        if t.seq <= st.tag_dropped_at {
                            return Err(TdError::new(272, "Unexpected generic error"));
                        }
                        let names = st
                            .tags
                            .iter()
                            .map(|c| format!("`{}`", c.name))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let vals = tags
                            .iter()
                            .map(|v| value_text(v, true).unwrap_or_else(|| "NULL".into()))
                            .collect::<Vec<_>>()
                            .join(", ");
                        format!(
                            "CREATE TABLE `{}` USING `{}` ({}) TAGS ({})",
                            t.name, stable, names, vals
                        )
                    }
                };
                text + &options
            };
            Ok(ResultSet::from_rows(
                vec![vfield("Table", 193), vfield("Create Table", 3_145_726)],
                ms,
                vec![vec![str_col(&name.name), str_col(text)]],
            ))
        }
        ShowKind::Tags(name) => {
            let d = listed_db(cat, ctx, name.db.as_deref())?;
            // 3.3.7.5: a super table lists no rows, a normal table is 9829, an unknown name 9826
            let t = match d.tables.get(&name.name) {
                Some(t) if matches!(t.kind, TableKind::Normal { .. }) => {
                    return Err(err(9829, "Tags can only applied to super table and child table"));
                }
                Some(t) => Some(t),
                None if d.stables.contains_key(&name.name) => None,
                None => return Err(err(9826, "Fail to get table info, error: Table does not exist")),
            };
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                vfield("stable_name", 192),
                vfield("tag_name", 64),
                vfield("tag_type", 32),
                vfield("tag_value", 16384),
            ];
            let mut rows = Vec::new();
            if let Some(t @ crate::engine::catalog::Table { kind: TableKind::Child { stable, tags }, .. }) = t {
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
            Ok(ResultSet::from_rows(fields, ms, rows))
        }
        ShowKind::TableTags { cols, table } => {
            let d = listed_db(cat, ctx, table.db.as_deref())?;
            let st = d.stables.get(&table.name).ok_or_else(table_not_exist)?;
            let idx: Vec<Option<usize>> = match cols {
                None => std::iter::once(None)
                    .chain((0..st.tags.len()).map(Some))
                    .collect(),
                Some(names) => names
                    .iter()
                    .map(|n| {
                        if n == "tbname" {
                            Ok(None)
                        } else {
                            st.tags
                                .iter()
                                .position(|t| t.name == *n)
                                .map(Some)
                                .ok_or_else(|| invalid_column(n))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            };
            let fields = idx
                .iter()
                .map(|i| {
                    i.map(|i| st.tags[i].field())
                        .unwrap_or_else(|| vfield("tbname", 270))
                })
                .collect();
            let rows = d
                .children_of(&st.name)
                .into_iter()
                .map(|t| {
                    let tags = match &t.kind {
                        TableKind::Child { tags, .. } => tags.clone(),
                        _ => vec![],
                    };
                    idx.iter()
                        .map(|i| {
                            i.map(|i| tags.get(i).cloned().unwrap_or(Value::Null))
                                .unwrap_or_else(|| str_col(&t.name))
                        })
                        .collect()
                })
                .collect();
            Ok(ResultSet::from_rows(fields, ms, rows))
        }
        ShowKind::Users => Ok(crate::engine::users::users_table(cat)),
        ShowKind::UserPrivileges => Ok(crate::engine::users::privileges_table(cat)),
        ShowKind::UsersFull => Ok(ResultSet::from_rows(
            vec![
                vfield("name", 24),
                Field::fixed("super", DataType::TinyInt),
                Field::fixed("enable", DataType::TinyInt),
                Field::fixed("sysinfo", DataType::TinyInt),
                Field::fixed("createdb", DataType::TinyInt),
                vfield("encrypted_pass", 32),
                vfield("allowed_host", 49152),
            ],
            ms,
            vec![],
        )),
        ShowKind::Dnodes => Ok(super::cluster::dnodes(cat)),
        ShowKind::Mnodes => Ok(super::cluster::mnodes(cat)),
        ShowKind::Qnodes => Ok(super::cluster::qnodes()),
        ShowKind::Cluster => Ok(super::cluster::cluster(cat)),
        ShowKind::Grants => Ok(super::cluster::grants()),
        ShowKind::GrantsFull => Ok(super::cluster::grants_full()),
        ShowKind::GrantsLogs => Ok(super::cluster::grants_logs()),
        ShowKind::Vgroups { db } => {
            let d = listed_db(cat, ctx, db.as_deref())?;
            Ok(super::cluster::vgroups(cat, Some(d)))
        }
        ShowKind::Streams => listed_db(cat, ctx, None).map(|_| ResultSet::from_rows(
            vec![vfield("stream_name", 192), vfield("status", 20), vfield("message", 256)],
            ms,
            vec![],
        )),
        ShowKind::Functions => Ok(ResultSet::from_rows(vec![vfield("name", 64)], ms, vec![])),
        ShowKind::Views { db } => {
            listed_db(cat, ctx, db.as_deref())?;
            Ok(super::cluster::views())
        }
        ShowKind::Indexes(name) => {
            let d = listed_db(cat, ctx, name.db.as_deref())?;
            if !d.stables.contains_key(&name.name) && !d.tables.contains_key(&name.name) {
                return Err(table_not_exist());
            }
            Ok(super::cluster::indexes(cat, Some(&d.name), Some(&name.name)))
        }
        ShowKind::Distributed(name) => {
            let d = resolve_db(cat, ctx, name.db.as_deref())?;
            if let Some(st) = d.stables.get(&name.name) {
                let children = d.children_of(&st.name);
                let rows = children.iter().map(|t| t.data.len()).sum();
                let vg = d.options.vgroups;
                return Ok(super::cluster::distributed(
                    children.len(),
                    rows,
                    vg,
                    (children.len() as i64).min(vg),
                ));
            }
            let t = d.tables.get(&name.name).ok_or_else(table_not_exist)?;
            Ok(super::cluster::distributed(1, t.data.len(), 1, 1))
        }
        ShowKind::LocalVariables { like } => {
            Ok(variables_result(engine, super::variables::LOCAL, like.as_deref(), false))
        }
        ShowKind::DnodeVariables { like } => {
            Ok(variables_result(engine, super::variables::SERVER, like.as_deref(), true))
        }
        ShowKind::Variables { like } => {
            Ok(variables_result(engine, super::variables::SERVER, like.as_deref(), false))
        }
        ShowKind::Topics => {
            let mut t: Vec<&crate::engine::catalog::Topic> = cat.topics.values().collect();
            t.sort_by_key(|t| t.create_time_ms);
            Ok(ResultSet::from_rows(
                vec![vfield("topic_name", 192)],
                ms,
                t.into_iter().map(|t| vec![str_col(&t.name)]).collect(),
            ))
        }
        ShowKind::Consumers => Ok(super::tmq::consumers(cat)),
        ShowKind::Subscriptions => Ok(super::tmq::subscriptions(cat)),
        // the same rows as the table (checked on 3.3.7.5: same columns, same answer)
        ShowKind::Connections => Ok(super::system_tables::system_table(cat, "perf_connections").unwrap_or_default()),
    }
}

/// SHOW [LOCAL | DNODE n] VARIABLES: `dnode` adds the dnode id and the server's column widths.
fn variables_result(
    engine: &Engine,
    list: &[(&str, &str, &str, &str)],
    like: Option<&str>,
    dnode: bool,
) -> ResultSet {
    let widths: [u32; 5] = if dnode { [32, 4096, 8, 8, 64] } else { [30, 4094, 6, 6, 62] };
    let mut fields = Vec::new();
    if dnode {
        fields.push(Field::fixed("dnode_id", DataType::Int));
    }
    for (name, w) in ["name", "value", "scope", "category", "info"].iter().zip(widths) {
        fields.push(vfield(name, w));
    }
    let rows = variables(engine, list)
        .into_iter()
        .filter(|v| like.is_none_or(|p| show_like(&v.0, p)))
        .map(|(n, v, s, c)| {
            let mut row = if dnode { vec![Value::Int(1)] } else { Vec::new() };
            row.extend([str_col(n), str_col(v), str_col(s), str_col(c), str_col("")]);
            row
        })
        .collect();
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}

/// A variable list with the engine's timezone in place of the recorded one.
fn variables(
    engine: &Engine,
    list: &[(&str, &str, &str, &str)],
) -> Vec<(String, String, String, String)> {
    let config = engine.config();
    let timezone = crate::engine::eval::timezone_label(config.timezone, Some(config.timezone_name()));
    list.iter()
        .map(|(n, v, s, c)| {
            let v = if *n == "timezone" { timezone.clone() } else { v.to_string() };
            (n.to_string(), v, s.to_string(), c.to_string())
        })
        .collect()
}

/// SHOW … LIKE matches names regardless of case (`'C%'` lists `c1`, `'up%'` lists `Upper`).
fn show_like(name: &str, pattern: &str) -> bool {
    like_match(&name.to_lowercase(), &pattern.to_lowercase())
}
