/**
 * Differential check: the same rows read through taosjs (WebSocket, binary blocks) and through
 * the server's REST API (`/rest/sql`, JSON text rendered by the server) must agree value by value.
 */
import test from 'ava'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

const TABLE = `(ts timestamp, c_bool bool, c_i8 tinyint, c_i16 smallint, c_i32 int, c_i64 bigint,
  c_u8 tinyint unsigned, c_u16 smallint unsigned, c_u32 int unsigned, c_u64 bigint unsigned,
  c_f32 float, c_f64 double, c_vc varchar(32), c_nc nchar(16), c_vb varbinary(32), c_geo geometry(64),
  c_d64 decimal(10,2), c_d128 decimal(30,10), c_blob blob)`

const ROWS = [
  "true, 127, 32767, 2147483647, 9223372036854775807, 254, 65534, 4294967294, 18446744073709551614, 0.1, 1e-7, 'a\"b', 'ü😀', '\\x00ff10', 'LINESTRING(0 0, 1 1)', 99999999.99, -0.0000000001, 'blob'",
  "false, -127, -32767, -2147483647, -9223372036854775807, 0, 0, 0, 0, 16777216, -12500000000, '', '', '\\x', 'POINT(-1.5 2.25)', 0, 0, ''",
  Array.from({ length: 18 }, () => 'null').join(', '),
]

interface RestAnswer {
  code: number
  column_meta: Array<[string, string, number]>
  data: unknown[][]
}

async function rest(sql: string, dsn: string): Promise<RestAnswer> {
  const url = new URL(dsn.replace(/^ws/, 'http'))
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')
  const response = await fetch(`http://${url.host}/rest/sql`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}` },
    body: sql,
  })
  // Quote long integers before parsing so BIGINT values keep every digit.
  const text = (await response.text()).replace(/([[,])(-?\d{16,})(?=[,\]])/g, '$1"$2"')
  return JSON.parse(text) as RestAnswer
}

/** Our value in the REST rendering's terms. */
function normalise(value: unknown, restType: string, restValue: unknown): unknown {
  if (value === null) return null
  if (typeof value === 'bigint') return typeof restValue === 'number' ? Number(value) : String(value)
  if (Buffer.isBuffer(value)) return value.toString('hex')
  if (restType === 'FLOAT' && typeof restValue === 'number') {
    return Math.fround(restValue) === value ? restValue : value
  }
  return value
}

for (const precision of ['ms', 'us', 'ns'] as const) {
  test(`WebSocket and REST agree on every type in ${precision} precision`, async (t) => {
    const conn = await open(t, server().dsn, { timestampAs: 'string' })
    const db = dbName(`diff_${precision}`)
    await conn.execute(`create database ${db} precision '${precision}'`)
    t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
    await conn.execute(`create table ${db}.t ${TABLE}`)
    const unit = { ms: 1n, us: 1000n, ns: 1000000n }[precision]
    const values = ROWS.map((r, i) => `(${(1700000000000n + BigInt(i)) * unit + 7n}, ${r})`).join(' ')
    await conn.execute(`insert into ${db}.t values ${values}`)

    const sql = `select * from ${db}.t order by ts`
    const ours = await conn.query(sql)
    const theirs = await rest(sql, server().dsn)
    t.is(theirs.code, 0)
    t.deepEqual(
      ours.fields.map((f) => [f.name, f.typeName, f.bytes]),
      theirs.column_meta.map(([name, type, len]) => [name, type, len]),
      'column names, type names and lengths',
    )
    const rows = await ours.toArray()
    t.is(rows.length, theirs.data.length)
    rows.forEach((row, r) => {
      row.forEach((value, c) => {
        const restValue = theirs.data[r]![c]
        const type = theirs.column_meta[c]![1]
        t.deepEqual(normalise(value, type, restValue), restValue, `row ${r} column ${theirs.column_meta[c]![0]} (${type})`)
      })
    })
  })
}
