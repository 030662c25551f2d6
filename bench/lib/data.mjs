// The benchmark's data, one definition for every Node client and the setup (bench/clients/data.py
// is the Python twin: the same schema, values and batch shapes).
//
// Ten mixed columns: timestamp, bool, tinyint, int (NULL every 10th row), bigint, int unsigned,
// float, double, varchar(16), nchar(8) (NULL every 13th row).

export const T0 = 1_700_000_000_000

export const COLUMNS =
  'ts timestamp, c_bool bool, c_tiny tinyint, c_int int, c_big bigint, c_uint int unsigned, c_float float, c_double double, c_str varchar(16), c_nchar nchar(8)'

export const COLUMN_NAMES = ['ts', 'c_bool', 'c_tiny', 'c_int', 'c_big', 'c_uint', 'c_float', 'c_double', 'c_str', 'c_nchar']

/** Placeholders for the ten columns. */
export const MARKS = COLUMN_NAMES.map(() => '?').join(', ')

/** The columns of rows `start … start + n - 1` as plain JS arrays (numbers, booleans, strings, null). */
export function plainColumns(start, n, tsBase = T0 + start) {
  const cols = COLUMN_NAMES.map(() => new Array(n))
  for (let k = 0; k < n; k++) {
    const i = start + k
    cols[0][k] = tsBase + k
    cols[1][k] = i % 2 === 0
    cols[2][k] = (i % 100) - 50
    cols[3][k] = i % 10 === 0 ? null : i
    cols[4][k] = i * 1000
    cols[5][k] = i
    cols[6][k] = i / 4
    cols[7][k] = i / 7
    cols[8][k] = `s${i}`
    cols[9][k] = i % 13 === 0 ? null : `ü${i % 1000}`
  }
  return cols
}

/**
 * The same columns as typed arrays where a typed array can hold them (a typed array has no NULL,
 * so c_int has a value in every row); the two text columns stay plain arrays.
 */
export function typedColumns(start, n, tsBase = T0 + start) {
  const ts = new BigInt64Array(n)
  const bool = new Uint8Array(n)
  const tiny = new Int8Array(n)
  const int = new Int32Array(n)
  const big = new BigInt64Array(n)
  const uint = new Uint32Array(n)
  const float = new Float32Array(n)
  const double = new Float64Array(n)
  const str = new Array(n)
  const nchar = new Array(n)
  for (let k = 0; k < n; k++) {
    const i = start + k
    ts[k] = BigInt(tsBase + k)
    bool[k] = i % 2 === 0 ? 1 : 0
    tiny[k] = (i % 100) - 50
    int[k] = i
    big[k] = BigInt(i * 1000)
    uint[k] = i
    float[k] = i / 4
    double[k] = i / 7
    str[k] = `s${i}`
    nchar[k] = i % 13 === 0 ? null : `ü${i % 1000}`
  }
  return [ts, bool, tiny, int, big, uint, float, double, str, nchar]
}

/**
 * stmt2 insert batches: each batch binds `rowsPerTable` rows into each of `tables` child tables
 * (d0 … d{tables-1} of supertable `meters`, tag gid = table number). Returns, per batch, the
 * tables' names, tags and columns, built before the measuring window.
 */
export function stmt2Batches({ rows, tables, batchRows }, columns = plainColumns) {
  const perTable = batchRows / tables
  const batches = []
  for (let b = 0; b < rows / batchRows; b++) {
    const names = []
    const tags = []
    const datas = []
    for (let t = 0; t < tables; t++) {
      names.push(`d${t}`)
      tags.push([t])
      datas.push(columns(b * batchRows + t * perTable, perTable, T0 + b * perTable))
    }
    batches.push({ names, tags, datas })
  }
  return batches
}

/** Schemaless line protocol lines, in batches of `batchRows` lines (millisecond timestamps). */
export function lineBatches({ rows, batchRows, tables }) {
  const batches = []
  for (let start = 0; start < rows; start += batchRows) {
    const lines = []
    for (let i = start; i < Math.min(rows, start + batchRows); i++) {
      lines.push(`sml,host=h${i % tables} c_int=${i}i,c_double=${i / 7},c_str="s${i}",c_bool=${i % 2 === 0} ${T0 + Math.floor(i / tables)}`)
    }
    batches.push(lines)
  }
  return batches
}

export const STABLE_SQL = (db) => `create stable ${db}.meters (${COLUMNS}) tags (gid int)`
export const STMT2_SQL = (db) => `insert into ? using ${db}.meters tags (?) values (${MARKS})`
