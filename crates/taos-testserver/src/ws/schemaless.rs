//! Schemaless writes: the `insert` action (InfluxDB line, OpenTSDB telnet and JSON) into the
//! connection's database.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::backend_call::{guarded, run_blocking};

use super::reply::{error, ok, parse_args, unmarshal_error, Out, GENERIC};
use super::session::Session;

#[derive(Deserialize, Default)]
struct InsertArgs {
    protocol: Option<i64>,
    precision: Option<String>,
    data: Option<String>,
    ttl: Option<i64>,
    table_name_key: Option<String>,
}

#[derive(Serialize)]
struct InsertResp {
    affected_rows: u64,
    total_rows: u64,
}

impl Session {
    pub(super) fn schemaless(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<InsertArgs>(args) else {
            return unmarshal_error("insert", req_id, start);
        };
        let protocol = a.protocol.unwrap_or(0);
        if protocol == 0 {
            return error(GENERIC, "schemaless write protocol is null", "insert", req_id, start);
        }
        let backend = self.shared.backend.clone();
        let ctx = &self.ctx;
        let (precision, data) = (a.precision.unwrap_or_default(), a.data.unwrap_or_default());
        let key = a.table_name_key.filter(|k| !k.is_empty());
        let result = run_blocking(|| {
            guarded(|| backend.schemaless_insert(ctx, protocol, &precision, &data, a.ttl.unwrap_or(0), key.as_deref()))
        });
        match result {
            Ok((affected_rows, total_rows)) => {
                ok("insert", req_id, start, InsertResp { affected_rows, total_rows })
            }
            Err(e) => error(e.code, &e.message, "insert", req_id, start),
        }
    }
}
