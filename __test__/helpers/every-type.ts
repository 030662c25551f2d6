/**
 * A table with a column of every type: three rows (extremes, empty values, NULLs) for the specs
 * that compare two readings of the same rows value by value, and {@link everyTypeTable} (a row of
 * values at `BASE[precision]`, then a row of NULLs one unit later) for the specs that read it
 * back as rows, columns and Arrow.
 */
import type { ExecutionContext } from 'ava'
import type { Connection, Precision } from '../../src/index.js'
import { dbName } from './server.js'

export const EVERY_TYPE_COLUMNS = `(ts timestamp, c_bool bool, c_i8 tinyint, c_i16 smallint, c_i32 int, c_i64 bigint,
  c_u8 tinyint unsigned, c_u16 smallint unsigned, c_u32 int unsigned, c_u64 bigint unsigned,
  c_f32 float, c_f64 double, c_vc varchar(32), c_nc nchar(16), c_vb varbinary(32), c_geo geometry(64),
  c_d64 decimal(10,2), c_d128 decimal(30,10), c_blob blob)`

/** The values of each row after its timestamp. */
export const EVERY_TYPE_ROWS = [
  "true, 127, 32767, 2147483647, 9223372036854775807, 254, 65534, 4294967294, 18446744073709551614, 0.1, 1e-7, 'a\"b', 'ü😀', '\\x00ff10', 'LINESTRING(0 0, 1 1)', 99999999.99, -0.0000000001, 'blob'",
  "false, -127, -32767, -2147483647, -9223372036854775807, 0, 0, 0, 0, 16777216, -12500000000, '', '', '\\x', 'POINT(-1.5 2.25)', 0, 0, ''",
  Array.from({ length: 18 }, () => 'null').join(', '),
]

/** The values of the first row, after its timestamp. */
export const EVERY_TYPE_VALUES = [
  'true', '-128', '-32768', '-2147483648', '-9223372036854775807',
  '255', '65535', '4294967295', '18446744073709551614',
  '3.14', '-1.5e300', "'hello'", "'温度°C😀'", "'\\x010203'", "'POINT(1 2)'",
  '-12.34', '123456789.0123456789', "'\\x00ff'",
].join(', ')

export const EVERY_TYPE_NULLS = Array.from({ length: 18 }, () => 'null').join(', ')

/** The type names the server reports for the columns. */
export const EVERY_TYPE_NAMES = [
  'TIMESTAMP', 'BOOL', 'TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'TINYINT UNSIGNED', 'SMALLINT UNSIGNED',
  'INT UNSIGNED', 'BIGINT UNSIGNED', 'FLOAT', 'DOUBLE', 'VARCHAR', 'NCHAR', 'VARBINARY', 'GEOMETRY',
  'DECIMAL(10,2)', 'DECIMAL(30,10)', 'BLOB',
]

/** 2023-11-14T22:13:20.123456789Z in each precision's unit. */
export const BASE: Record<Precision, bigint> = {
  ms: 1700000000123n,
  us: 1700000000123456n,
  ns: 1700000000123456789n,
}

/** POINT(1 2) as WKB. */
export const POINT_1_2 = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex')

/** Creates `<prefix>_<precision>` (dropped after the test) with the table; returns `db.t`. */
export async function everyTypeTable(t: ExecutionContext, conn: Connection, prefix: string, precision: Precision): Promise<string> {
  const db = dbName(`${prefix}_${precision}`)
  await conn.execute(`create database ${db} precision '${precision}'`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create table ${db}.t ${EVERY_TYPE_COLUMNS}`)
  const ts = BASE[precision]
  t.is(await conn.execute(`insert into ${db}.t values (${ts}, ${EVERY_TYPE_VALUES}) (${ts + 1n}, ${EVERY_TYPE_NULLS})`), 2)
  return `${db}.t`
}
