/**
 * Differential check: the same rows read through taosjs (WebSocket, binary blocks) and through
 * the server's REST API (`/rest/sql`, JSON text rendered by the server) must agree value by value.
 */
import test from 'ava'
import { dbName, open, useServer } from './helpers/server.js'
import { EVERY_TYPE_COLUMNS, EVERY_TYPE_ROWS } from './helpers/every-type.js'

const server = useServer(test)

const TABLE = EVERY_TYPE_COLUMNS
const ROWS = EVERY_TYPE_ROWS

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
