//! The one-node cluster this engine presents, as TDengine 3.3.7.5 lists it: `ins_dnodes`,
//! `ins_mnodes`, `ins_qnodes`, `ins_cluster`, `ins_grants`, `ins_vgroups`, `ins_indexes` (the
//! default tag index of each super table), and `SHOW TABLE DISTRIBUTED`.

use crate::engine::catalog::{Catalog, Database};
use crate::types::{DataType, Field, Precision, ResultSet, Value};

use super::{str_col, vfield};

const ENDPOINT: &str = "localhost:6030";

fn ts(name: &str) -> Field {
    Field::fixed(name, DataType::Timestamp)
}

/// When this engine's catalog came to be: the cluster's, the dnode's and the mnode's time.
fn start_ms(cat: &Catalog) -> i64 {
    cat.users
        .users
        .get("root")
        .map(|u| u.create_time_ms)
        .unwrap_or(0)
}

fn vgroups_total(cat: &Catalog) -> i64 {
    cat.dbs.values().map(|d| d.options.vgroups).sum()
}

pub(crate) fn dnodes(cat: &Catalog) -> ResultSet {
    let fields = vec![
        Field::fixed("id", DataType::Int),
        vfield("endpoint", 134),
        Field::fixed("vnodes", DataType::SmallInt),
        Field::fixed("support_vnodes", DataType::SmallInt),
        vfield("status", 10),
        ts("create_time"),
        ts("reboot_time"),
        vfield("note", 256),
    ];
    let row = vec![
        Value::Int(1),
        str_col(ENDPOINT),
        Value::Int(vgroups_total(cat)),
        Value::Int(256),
        str_col("ready"),
        Value::Timestamp(start_ms(cat)),
        Value::Timestamp(start_ms(cat)),
        str_col(""),
    ];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![row])
}

pub(crate) fn mnodes(cat: &Catalog) -> ResultSet {
    let fields = vec![
        Field::fixed("id", DataType::Int),
        vfield("endpoint", 134),
        vfield("role", 12),
        vfield("status", 9),
        ts("create_time"),
        ts("role_time"),
    ];
    let row = vec![
        Value::Int(1),
        str_col(ENDPOINT),
        str_col("leader"),
        str_col("ready"),
        Value::Timestamp(start_ms(cat)),
        Value::Timestamp(start_ms(cat)),
    ];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![row])
}

pub(crate) fn qnodes() -> ResultSet {
    let fields = vec![
        Field::fixed("id", DataType::Int),
        vfield("endpoint", 134),
        ts("create_time"),
    ];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![])
}

pub(crate) fn cluster(cat: &Catalog) -> ResultSet {
    let fields = vec![
        Field::fixed("id", DataType::BigInt),
        vfield("name", 40),
        Field::fixed("uptime", DataType::Int),
        ts("create_time"),
        vfield("version", 10),
        ts("expire_time"),
    ];
    let start = start_ms(cat);
    let uptime = (chrono::Utc::now().timestamp_millis() - start) / 1000;
    let row = vec![
        Value::Int(start),
        str_col(format!("taos-testserver-{:x}", start)),
        Value::Int(uptime),
        Value::Timestamp(start),
        str_col("community"),
        Value::Null,
    ];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![row])
}

/// SHOW GRANTS FULL: no grant in the community edition.
pub(crate) fn grants_full() -> ResultSet {
    let fields = vec![vfield("grant_name", 32), vfield("display_name", 256), vfield("expire", 32), vfield("limits", 512)];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![])
}

/// SHOW GRANTS LOGS: no activation log in the community edition.
pub(crate) fn grants_logs() -> ResultSet {
    let fields = vec![
        vfield("state", 1536),
        vfield("active", 512),
        vfield("machine", 15600),
        vfield("active_info", 512),
        vfield("revoke_info", 30),
    ];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![])
}

pub(crate) fn grants() -> ResultSet {
    let fields = vec![
        vfield("version", 64),
        vfield("expire_time", 19),
        vfield("service_time", 19),
        vfield("expired", 5),
        vfield("state", 9),
        vfield("timeseries", 43),
        vfield("dnodes", 21),
        vfield("cpu_cores", 21),
        vfield("vnodes", 21),
        vfield("storage_size", 43),
    ];
    let row = [
        "TDengine TSDB-OSS",
        "unlimited",
        "limited",
        "false",
        "ungranted",
        "unlimited",
        "unlimited",
        "unlimited",
        "unlimited",
        "unlimited",
    ]
    .iter()
    .map(|s| str_col(*s))
    .collect();
    ResultSet::from_rows(fields, Precision::Millisecond, vec![row])
}

/// Vgroups of the given databases (all when `None`), each on dnode 1 as leader, with the tables
/// the hash of their names puts in each (`engine::vgroup`).
pub(crate) fn vgroups(cat: &Catalog, only: Option<&Database>) -> ResultSet {
    let mut fields = vec![
        Field::fixed("vgroup_id", DataType::Int),
        vfield("db_name", 64),
        Field::fixed("tables", DataType::Int),
    ];
    for i in 1..=4 {
        fields.push(Field::fixed(&format!("v{}_dnode", i), DataType::SmallInt));
        fields.push(vfield(&format!("v{}_status", i), 9));
        fields.push(vfield(&format!("v{}_applied/committed", i), 41));
    }
    fields.push(Field::fixed("cacheload", DataType::Int));
    fields.push(Field::fixed("cacheelements", DataType::Int));
    fields.push(Field::fixed("tsma", DataType::TinyInt));
    fields.push(Field::fixed("mount_vgroup_id", DataType::Int));
    let mut dbs: Vec<&Database> = cat.dbs.values().collect();
    dbs.sort_by_key(|d| (d.create_time_ms, d.name.clone()));
    let mut rows = Vec::new();
    for d in dbs {
        if only.is_some_and(|o| o.name != d.name) {
            continue;
        }
        let vgroups = d.wal.vgroups();
        let mut tables = vec![0i64; vgroups.ids().len()];
        for t in d.tables.keys() {
            tables[vgroups.index_of(t)] += 1;
        }
        for (&id, &tables) in vgroups.ids().iter().zip(&tables) {
            let mut row = vec![Value::Int(i64::from(id)), str_col(&d.name), Value::Int(tables)];
            row.extend([Value::Int(1), str_col("leader**"), str_col("0/0")]);
            for _ in 2..=4 {
                row.extend([Value::Null, Value::Null, Value::Null]);
            }
            row.extend([Value::Int(0), Value::Int(0), Value::Int(0), Value::Int(0)]);
            rows.push(row);
        }
    }
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}

/// The tag indexes of the super tables (each has one on its first tag unless dropped).
pub(crate) fn indexes(cat: &Catalog, db: Option<&str>, table: Option<&str>) -> ResultSet {
    let fields = vec![
        vfield("index_name", 192),
        vfield("db_name", 64),
        vfield("table_name", 192),
        Field::fixed("vgroup_id", DataType::Int),
        ts("create_time"),
        vfield("column_name", 192),
        vfield("index_type", 192),
    ];
    let mut dbs: Vec<&Database> = cat.dbs.values().collect();
    dbs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rows = Vec::new();
    for d in dbs {
        if db.is_some_and(|n| n != d.name) {
            continue;
        }
        for st in d.stables_in_order() {
            if table.is_some_and(|t| t != st.name) {
                continue;
            }
            let mut idx: Vec<&(String, String, i64)> = st.indexes.iter().collect();
            idx.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, tag, created) in idx {
                rows.push(vec![
                    str_col(name),
                    str_col(&d.name),
                    str_col(&st.name),
                    Value::Null,
                    Value::Timestamp(*created),
                    str_col(tag),
                    str_col("tag_index"),
                ]);
            }
        }
    }
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}

pub(crate) fn views() -> ResultSet {
    let fields = vec![
        vfield("view_name", 192),
        vfield("db_name", 64),
        vfield("effective_user", 24),
        ts("create_time"),
        vfield("type", 128),
        vfield("query_sql", 2048),
        vfield("parameters", 2048),
        vfield("default_values", 2048),
        vfield("target_table", 192),
    ];
    ResultSet::from_rows(fields, Precision::Millisecond, vec![])
}

/// `SHOW TABLE DISTRIBUTED`: this engine keeps rows in memory, so every row is "in memory"
/// and there are no file blocks; the histogram frame is TDengine's.
pub(crate) fn distributed(tables: usize, rows: usize, filesets: i64, vgroups: i64) -> ResultSet {
    let mut lines = vec![
        "Total_Blocks=[0] Total_Size=[0.00 KiB] Average_size=[0.00 KiB] Compression_Ratio=[0.00 %]"
            .to_string(),
        "Block_Rows=[0] MinRows=[0] MaxRows=[0] AvgRows=[0]".to_string(),
        format!("Inmem_Rows=[{}] Stt_Rows=[0] ", rows),
        format!(
            "Total_Tables=[{}] Total_Filesets=[{}] Total_Vgroups=[{}]",
            tables, filesets, vgroups
        ),
        "-".repeat(80),
    ];
    lines.extend((0..20).map(|i| format!("{:04} |", 300 + i * 200)));
    ResultSet::from_rows(
        vec![vfield("_block_dist", 142)],
        Precision::Millisecond,
        lines.into_iter().map(|l| vec![str_col(l)]).collect(),
    )
}
