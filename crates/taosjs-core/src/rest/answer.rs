//! A `/rest/sql` answer → the columns the WebSocket path produces ([`DecodedBlock`]s of at most
//! [`BLOCK_ROWS`] rows), so the layers above read REST results with the same code. What REST
//! renders as text comes back to the wire form: RFC 3339 timestamps to integers in the result's
//! precision (told by the number of fraction digits), hex to VARBINARY/GEOMETRY/BLOB bytes,
//! numbers from their text (exact beyond 2^53), JSON columns as their raw text.

use crate::block::{DecodedBlock, DecodedColumn, FixedData};
use crate::error::{Error, ErrorKind, Result};
use crate::types::{DataType, Field, Precision};

use super::json::{excerpt, Kind, Reader};
use super::time::parse_rfc3339;

/// Rows per decoded block: the size of TDengine's own blocks.
pub const BLOCK_ROWS: usize = 4096;
/// A block is cut earlier once a variable column holds this much (offsets are i32).
const BLOCK_VAR_BYTES: usize = 64 << 20;

/// TDengine's "Authentication failure" (0x0357): a wrong password, answered with HTTP 200.
const AUTH_FAILURE: i32 = 0x0357;

/// What a statement produced over REST.
#[derive(Debug, Clone, PartialEq)]
pub struct RestAnswer {
    /// Whether the statement produced a result set (a SELECT, SHOW, …).
    pub has_rows: bool,
    /// Rows written by a statement without a result set.
    pub affected_rows: i64,
    /// The columns, with the adapter's names, types and lengths (`column_meta`).
    pub fields: Vec<Field>,
    /// Read from the timestamps' fraction digits; milliseconds when no timestamp value says.
    pub precision: Precision,
    pub blocks: Vec<DecodedBlock>,
}

/// Decodes an answer to `POST /rest/sql`: a TDengine error (`code` ≠ 0), an HTTP-level refusal
/// or an unreadable answer becomes an [`Error`] of the matching class.
pub fn decode_answer(status: u16, body: &[u8]) -> Result<RestAnswer> {
    let top = read_top(status, body)?;
    server_error(status, &top)?;
    let Some(meta) = top.column_meta else {
        return Err(Error::result("the answer has no `column_meta`"));
    };
    let fields = meta;
    let Some(data) = top.data else { return Err(Error::result("the answer has no `data`")) };
    let mut decoder = Decoder::new(&fields);
    decoder.rows(&mut Reader::new(data))?;
    let (blocks, precision, total) = decoder.finish();
    if let Some(rows) = top.rows {
        if rows != total as i64 {
            return Err(Error::result(format!("the answer says `rows`: {rows} but carries {total} rows (truncated?)")));
        }
    }
    if is_affected_rows(&fields) && total == 1 {
        let affected = match &blocks[0].columns[0] {
            DecodedColumn::Fixed { data: FixedData::I32(v), nulls, .. } if nulls[0] == 0 => i64::from(v[0]),
            _ => 0,
        };
        return Ok(RestAnswer { has_rows: false, affected_rows: affected, fields: Vec::new(), precision, blocks: Vec::new() });
    }
    Ok(RestAnswer { has_rows: true, affected_rows: 0, fields, precision, blocks })
}

/// Decodes the answer to `GET /rest/login/<user>/<password>`: the token for `Authorization: Taosd`.
pub fn decode_login(status: u16, body: &[u8]) -> Result<String> {
    let top = read_top(status, body)?;
    server_error(status, &top)?;
    top.desc.filter(|d| !d.is_empty()).ok_or_else(|| Error::result("the login answer carries no token (`desc`)"))
}

/// The server's version from the answer to [`super::RestTarget::probe`]. A refusal (wrong
/// password, unknown timezone, …) is a Connection error with TDengine's code: every endpoint
/// would refuse the same way, so a driver tries no other; an error without a code (no answer, an
/// answer that is not taosAdapter's) lets it try the next endpoint.
pub fn decode_probe(status: u16, body: &[u8]) -> Result<String> {
    let answer = decode_answer(status, body).map_err(|e| match e.errno {
        Some(_) => Error { kind: ErrorKind::Connection, ..e },
        None => e,
    })?;
    let version = answer.blocks.first().and_then(|b| b.columns.first()).and_then(|c| match c {
        DecodedColumn::Var { .. } => c.var_value(0),
        DecodedColumn::Fixed { .. } => None,
    });
    version
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .ok_or_else(|| Error::result("`select server_version()` answered no version"))
}

/// The one column of taosAdapter's answer to a statement without a result set: `column_meta:
/// [["affected_rows","INT",4]]`, and one row, the count. (A query whose only column is an INT
/// named `affected_rows` looks the same; REST cannot tell them apart.) `RestClient.sql` answers
/// in this shape too.
pub fn affected_rows_column() -> Field {
    Field { name: "affected_rows".to_owned(), ty: DataType::Int, bytes: 4, precision: 0, scale: 0 }
}

fn is_affected_rows(fields: &[Field]) -> bool {
    let column = affected_rows_column();
    matches!(fields, [f] if f.name == column.name && f.ty == column.ty && f.bytes == column.bytes)
}

/// The top-level members of an answer; `data` is kept as raw text until `column_meta` is known.
struct Top<'a> {
    code: i64,
    desc: Option<String>,
    column_meta: Option<Vec<Field>>,
    data: Option<&'a [u8]>,
    rows: Option<i64>,
}

fn read_top(status: u16, body: &[u8]) -> Result<Top<'_>> {
    let mut r = Reader::new(body);
    if r.at_end() {
        if status == 200 {
            // What taosAdapter does when a FLOAT/DOUBLE value is ±Infinity or NaN: JSON cannot
            // carry it, and the adapter writes nothing.
            return Err(Error::result(
                "the server answered HTTP 200 with an empty body (taosAdapter does that when a FLOAT/DOUBLE value is \
                 ±Infinity or NaN, which JSON cannot carry)",
            ));
        }
        return Err(http_error(status, "an empty body"));
    }
    if r.peek().ok() != Some(Kind::Object) {
        let what = format!("a body that is not taosAdapter's JSON: `{}`", excerpt(body, 80));
        return Err(if status == 200 { Error::result(format!("the server answered {what}")) } else { http_error(status, &what) });
    }
    let top = read_object(&mut r).map_err(|e| if status == 200 { e } else { http_error(status, &e.message) })?;
    if !r.at_end() {
        return Err(r.unexpected("the end of the answer"));
    }
    Ok(top)
}

fn read_object<'a>(r: &mut Reader<'a>) -> Result<Top<'a>> {
    let mut top = Top { code: 0, desc: None, column_meta: None, data: None, rows: None };
    r.expect(b'{')?;
    if r.eat(b'}') {
        return Ok(top);
    }
    loop {
        let key = r.string()?;
        r.expect(b':')?;
        match key.as_str() {
            "code" => top.code = integer(r, "code")?,
            "rows" => top.rows = Some(integer(r, "rows")?),
            "desc" => {
                top.desc = match r.peek()? {
                    Kind::String => Some(r.string()?),
                    _ => Some(String::from_utf8_lossy(r.raw_value()?).into_owned()),
                }
            }
            "column_meta" => top.column_meta = Some(column_meta(r)?),
            "data" => top.data = Some(r.raw_value()?),
            _ => {
                r.raw_value()?;
            }
        }
        if !r.next_element(b'}')? {
            return Ok(top);
        }
    }
}

fn integer(r: &mut Reader<'_>, what: &str) -> Result<i64> {
    let text = r.number()?;
    text.parse().map_err(|_| Error::result(format!("the answer's `{what}` is not an integer: {text}")))
}

/// The error a non-zero `code` or a refused request stands for.
fn server_error(status: u16, top: &Top<'_>) -> Result<()> {
    if top.code == 0 && status == 200 {
        return Ok(());
    }
    let code = i32::try_from(top.code).unwrap_or(0xFFFF);
    let desc = top.desc.clone().unwrap_or_else(|| "no description".to_owned());
    let kind = match status {
        // TDengine refused the statement (HTTP 200 is also how a wrong password is answered).
        200 if code == AUTH_FAILURE => ErrorKind::Connection,
        200 => ErrorKind::Query,
        // Bad parameters, an empty statement.
        400 => ErrorKind::Query,
        // No or bad Authorization; IP not allowed.
        401 | 403 => ErrorKind::Connection,
        // The adapter is overloaded or its connection pool timed out.
        500..=599 => ErrorKind::Operational,
        _ => return Err(http_error(status, &format!("code {code}: {desc}"))),
    };
    if code == 0 {
        return Err(http_error(status, &desc));
    }
    let mut error = Error::with_code(kind, code, desc);
    if status >= 500 {
        error.message = format!("the server answered HTTP {status}: {}", error.message);
    }
    Err(error)
}

/// An answer that is not the adapter's: a proxy's error page, a wrong port, a crashed adapter.
fn http_error(status: u16, what: &str) -> Error {
    let kind = if status >= 500 { ErrorKind::Operational } else { ErrorKind::Connection };
    let hint = match status {
        404 => " (is this taosAdapter's REST endpoint?)",
        500..=599 => " (the server or a proxy in between failed; the statement may or may not have run)",
        _ => "",
    };
    Error::new(kind, format!("the server answered HTTP {status} with {what}{hint}"))
}

fn column_meta(r: &mut Reader<'_>) -> Result<Vec<Field>> {
    let mut fields = Vec::new();
    r.expect(b'[')?;
    if r.eat(b']') {
        return Ok(fields);
    }
    loop {
        r.expect(b'[')?;
        let name = r.string()?;
        r.expect(b',')?;
        let type_name = r.string()?;
        r.expect(b',')?;
        let length = r.number()?;
        r.expect(b']')?;
        let (ty, precision, scale) = parse_type(&type_name)
            .ok_or_else(|| Error::result(format!("column `{name}` has type `{type_name}`, which taosjs does not know")))?;
        let bytes = length
            .parse::<u32>()
            .map_err(|_| Error::result(format!("column `{name}` has length {length}, not a non-negative integer")))?;
        fields.push(Field { name, ty, bytes, precision, scale });
        if !r.next_element(b']')? {
            return Ok(fields);
        }
    }
}

/// A REST type name (reference §4.1) → the wire type, with DECIMAL's precision and scale.
fn parse_type(name: &str) -> Option<(DataType, u8, u8)> {
    use DataType::*;
    let ty = match name {
        "BOOL" => Bool,
        "TINYINT" => TinyInt,
        "SMALLINT" => SmallInt,
        "INT" => Int,
        "BIGINT" => BigInt,
        "FLOAT" => Float,
        "DOUBLE" => Double,
        "VARCHAR" | "BINARY" => VarChar,
        "TIMESTAMP" => Timestamp,
        "NCHAR" => NChar,
        "TINYINT UNSIGNED" => UTinyInt,
        "SMALLINT UNSIGNED" => USmallInt,
        "INT UNSIGNED" => UInt,
        "BIGINT UNSIGNED" => UBigInt,
        "JSON" => Json,
        "VARBINARY" => VarBinary,
        "BLOB" => Blob,
        "GEOMETRY" => Geometry,
        other => {
            let inner = other.strip_prefix("DECIMAL(")?.strip_suffix(')')?;
            let (p, s) = inner.split_once(',')?;
            let (precision, scale) = (p.trim().parse::<u8>().ok()?, s.trim().parse::<u8>().ok()?);
            if precision == 0 || precision > 38 || scale > precision {
                return None;
            }
            // DECIMAL64 holds up to 18 digits, DECIMAL (128-bit) 19 to 38.
            let ty = if precision <= 18 { Decimal64 } else { Decimal };
            return Some((ty, precision, scale));
        }
    };
    Some((ty, 0, 0))
}

/// One column being filled.
struct Column {
    ty: DataType,
    nulls: Vec<u8>,
    values: Values,
}

enum Values {
    Fixed(FixedData),
    Var { data: Vec<u8>, offsets: Vec<i32> },
}

impl Column {
    fn new(ty: DataType) -> Column {
        let values = match ty {
            DataType::Bool => Values::Fixed(FixedData::Bool(Vec::new())),
            DataType::TinyInt => Values::Fixed(FixedData::I8(Vec::new())),
            DataType::SmallInt => Values::Fixed(FixedData::I16(Vec::new())),
            DataType::Int => Values::Fixed(FixedData::I32(Vec::new())),
            DataType::BigInt | DataType::Timestamp => Values::Fixed(FixedData::I64(Vec::new())),
            DataType::UTinyInt => Values::Fixed(FixedData::U8(Vec::new())),
            DataType::USmallInt => Values::Fixed(FixedData::U16(Vec::new())),
            DataType::UInt => Values::Fixed(FixedData::U32(Vec::new())),
            DataType::UBigInt => Values::Fixed(FixedData::U64(Vec::new())),
            DataType::Float => Values::Fixed(FixedData::F32(Vec::new())),
            DataType::Double => Values::Fixed(FixedData::F64(Vec::new())),
            // DECIMAL crosses as its exact text, as the block decoder renders it.
            _ => Values::Var { data: Vec::new(), offsets: vec![0] },
        };
        Column { ty, nulls: Vec::new(), values }
    }

    fn var_bytes(&self) -> usize {
        match &self.values {
            Values::Var { data, .. } => data.len(),
            Values::Fixed(_) => 0,
        }
    }

    fn push_null(&mut self) {
        self.nulls.push(1);
        match &mut self.values {
            Values::Fixed(f) => push_zero(f),
            Values::Var { data, offsets } => offsets.push(data.len() as i32),
        }
    }

    fn take(&mut self) -> DecodedColumn {
        let fresh = Column::new(self.ty);
        let Column { ty, nulls, values } = std::mem::replace(self, fresh);
        match values {
            Values::Fixed(data) => DecodedColumn::Fixed { ty, nulls, data },
            Values::Var { data, offsets } => DecodedColumn::Var { ty, nulls, data, offsets },
        }
    }
}

fn push_zero(f: &mut FixedData) {
    match f {
        FixedData::Bool(v) | FixedData::U8(v) => v.push(0),
        FixedData::I8(v) => v.push(0),
        FixedData::I16(v) => v.push(0),
        FixedData::I32(v) => v.push(0),
        FixedData::I64(v) => v.push(0),
        FixedData::U16(v) => v.push(0),
        FixedData::U32(v) => v.push(0),
        FixedData::U64(v) => v.push(0),
        FixedData::F32(v) => v.push(0.0),
        FixedData::F64(v) => v.push(0.0),
    }
}

struct Decoder<'f> {
    fields: &'f [Field],
    columns: Vec<Column>,
    rows_in_block: usize,
    total: usize,
    blocks: Vec<DecodedBlock>,
    /// Set by the first timestamp value.
    precision: Option<Precision>,
}

impl<'f> Decoder<'f> {
    fn new(fields: &'f [Field]) -> Self {
        let columns = fields.iter().map(|f| Column::new(f.ty)).collect();
        Decoder { fields, columns, rows_in_block: 0, total: 0, blocks: Vec::new(), precision: None }
    }

    fn rows(&mut self, r: &mut Reader<'_>) -> Result<()> {
        r.expect(b'[')?;
        if r.eat(b']') {
            return Ok(());
        }
        loop {
            self.row(r)?;
            if !r.next_element(b']')? {
                return Ok(());
            }
        }
    }

    fn row(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let row = self.total;
        if r.peek()? == Kind::Object {
            return Err(Error::result(format!(
                "row {row} is an object (row_with_meta); taosjs reads rows as arrays"
            )));
        }
        r.expect(b'[')?;
        for c in 0..self.columns.len() {
            if c > 0 {
                r.expect(b',').map_err(|_| self.short_row(row, c))?;
            } else if r.eat(b']') {
                return Err(self.short_row(row, 0));
            }
            self.cell(r, row, c)?;
        }
        if !r.eat(b']') {
            return Err(Error::result(format!(
                "row {row} has more values than the {} columns of `column_meta`",
                self.columns.len()
            )));
        }
        self.total += 1;
        self.rows_in_block += 1;
        if self.rows_in_block == BLOCK_ROWS || self.columns.iter().any(|c| c.var_bytes() >= BLOCK_VAR_BYTES) {
            self.flush();
        }
        Ok(())
    }

    fn short_row(&self, row: usize, got: usize) -> Error {
        Error::result(format!("row {row} has {got} values but `column_meta` has {} columns", self.columns.len()))
    }

    fn cell(&mut self, r: &mut Reader<'_>, row: usize, c: usize) -> Result<()> {
        let start = r.pos();
        let kind = r.peek()?;
        let column = &mut self.columns[c];
        if kind == Kind::Null {
            r.literal()?;
            column.push_null();
            return Ok(());
        }
        let field = &self.fields[c];
        let bad = |what: &str| {
            Error::new(
                ErrorKind::Result,
                format!("row {row}, column `{}` ({}): {what} at byte {start}", field.name, field.ty.full_name(0, field.precision, field.scale)),
            )
        };
        match (&mut column.values, kind) {
            (Values::Fixed(FixedData::Bool(v)), Kind::True | Kind::False) => {
                v.push(u8::from(r.literal()? == Kind::True));
            }
            (Values::Fixed(FixedData::Bool(v)), Kind::Number) => {
                v.push(u8::from(r.number()? != "0"));
            }
            (Values::Fixed(fixed), Kind::Number) if field.ty != DataType::Timestamp => {
                let text = r.number()?;
                push_number(fixed, text).ok_or_else(|| bad(&format!("{text} does not fit the column")))?;
            }
            (Values::Fixed(FixedData::I64(v)), Kind::String) if field.ty == DataType::Timestamp => {
                let text = r.string()?;
                let ts = parse_rfc3339(&text).ok_or_else(|| bad(&format!("`{text}` is not an RFC 3339 timestamp")))?;
                let precision = *self.precision.get_or_insert(ts.precision());
                let value = ts.in_units(precision).ok_or_else(|| {
                    bad(&format!("`{text}` does not fit the result's {} precision", precision.as_str()))
                })?;
                v.push(value);
            }
            // A timestamp as a number is a count in the result's unit already.
            (Values::Fixed(FixedData::I64(v)), Kind::Number) => {
                let text = r.number()?;
                v.push(text.parse().map_err(|_| bad(&format!("{text} is not a timestamp")))?);
            }
            (Values::Var { data, offsets }, _) => {
                match (field.ty, kind) {
                    // JSON columns are embedded as JSON: keep the text exactly as the server wrote it.
                    (DataType::Json, _) => data.extend_from_slice(r.raw_value()?),
                    (DataType::VarBinary | DataType::Geometry | DataType::Blob, Kind::String) => {
                        let before = data.len();
                        r.string_into(data)?;
                        let hex = data.split_off(before);
                        decode_hex(&hex, data).ok_or_else(|| bad("the value is not hex text"))?;
                    }
                    (DataType::VarChar | DataType::NChar | DataType::Decimal | DataType::Decimal64, Kind::String) => {
                        r.string_into(data)?;
                    }
                    (DataType::Decimal | DataType::Decimal64, Kind::Number) => data.extend_from_slice(r.number()?.as_bytes()),
                    _ => return Err(bad(&format!("unexpected {kind:?}"))),
                }
                let end = i32::try_from(data.len()).map_err(|_| bad("the block outgrew 2 GiB"))?;
                offsets.push(end);
            }
            _ => return Err(bad(&format!("unexpected {kind:?}"))),
        }
        column.nulls.push(0);
        Ok(())
    }

    fn flush(&mut self) {
        if self.rows_in_block == 0 {
            return;
        }
        let columns = self.columns.iter_mut().map(Column::take).collect();
        self.blocks.push(DecodedBlock { rows: self.rows_in_block, columns });
        self.rows_in_block = 0;
    }

    fn finish(mut self) -> (Vec<DecodedBlock>, Precision, usize) {
        self.flush();
        (self.blocks, self.precision.unwrap_or_default(), self.total)
    }
}

/// Appends `text` to a fixed column; None when it is not an integer of that width (or a float
/// for FLOAT/DOUBLE).
fn push_number(f: &mut FixedData, text: &str) -> Option<()> {
    match f {
        FixedData::I8(v) => v.push(text.parse().ok()?),
        FixedData::I16(v) => v.push(text.parse().ok()?),
        FixedData::I32(v) => v.push(text.parse().ok()?),
        FixedData::I64(v) => v.push(text.parse().ok()?),
        FixedData::U8(v) => v.push(text.parse().ok()?),
        FixedData::U16(v) => v.push(text.parse().ok()?),
        FixedData::U32(v) => v.push(text.parse().ok()?),
        FixedData::U64(v) => v.push(text.parse().ok()?),
        // The adapter writes a FLOAT with float32's shortest digits: parsed as f32 it is the
        // stored value exactly.
        FixedData::F32(v) => v.push(text.parse().ok()?),
        FixedData::F64(v) => v.push(text.parse().ok()?),
        FixedData::Bool(_) => return None,
    }
    Some(())
}

fn decode_hex(hex: &[u8], out: &mut Vec<u8>) -> Option<()> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    out.reserve(hex.len() / 2);
    for pair in hex.chunks_exact(2) {
        out.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    Some(())
}
