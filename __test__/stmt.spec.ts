/** stmt v1 end to end: table name, tags, rows and batches; a query statement; misuse. */
import test from 'ava'
import * as taos from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

// The embedded server does not serve the stmt v1 actions (init, prepare, set_table_name, …) yet:
// until it does these specs run as test.failing; against a real TDengine they are plain tests.
const served = process.env['TDENGINE_DSN'] ? test : test.failing

async function database(t: import('ava').ExecutionContext, prefix: string) {
  const conn = await open(t, server().dsn, { timestampAs: 'bigint' })
  const db = dbName(prefix)
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  return { conn, db }
}

served('setTbname, setTags, bindParam and addBatch per table, then one execute', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1')
  await conn.execute(`create stable ${db}.meters (ts timestamp, current float, voltage int, note nchar(10)) tags (groupid int, location varchar(24))`)
  await using stmt = await conn.statement()
  await stmt.prepare(`insert into ? using ${db}.meters tags (?, ?) values (?, ?, ?, ?)`)
  await stmt.setTbname('d1')
  await stmt.setTags([1, 'California.SanFrancisco'])
  await stmt.bindParam([[1700000000000, 1700000000001], [10.5, null], [219, 220], ['温度', null]])
  await stmt.addBatch()
  await stmt.setTbname('d2')
  await stmt.setTags([2, null])
  await stmt.bindParam([[new Date(1700000000000)], [12.5], [221], ['x']])
  await stmt.addBatch()
  t.is(await stmt.execute(), 3)
  t.is(stmt.affectedRows, 3)
  const rows = await (await conn.query(`select tbname, groupid, location, ts, current, voltage, note from ${db}.meters order by tbname, ts`)).toArray()
  t.deepEqual(rows, [
    ['d1', 1, 'California.SanFrancisco', 1700000000000n, 10.5, 219, '温度'],
    ['d1', 1, 'California.SanFrancisco', 1700000000001n, null, 220, null],
    ['d2', 2, null, 1700000000000n, 12.5, 221, 'x'],
  ])
})

served('bad values and shapes are StatementErrors naming table, column and row', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1_bad')
  await conn.execute(`create table ${db}.t (ts timestamp, c_i8 tinyint)`)
  await using stmt = await conn.statement()
  await t.throwsAsync(stmt.bindParam([[1]]), { instanceOf: taos.ProgrammingError, message: /not prepared/ })
  await stmt.prepare(`insert into ${db}.t values (?, ?)`)
  await t.throwsAsync(stmt.bindParam([[1, 2], [1, 300]]), { instanceOf: taos.StatementError, message: /column c_i8 \(TINYINT\), row 1: 300 is out of range/ })
  await t.throwsAsync(stmt.bindParam([[1, 2], [1]]), { instanceOf: taos.StatementError, message: /column c_i8 \(TINYINT\): has 1 values, expected 2/ })
  await t.throwsAsync(stmt.bindParam([[1]]), { instanceOf: taos.StatementError, message: /2 column placeholders, 1 columns were given/ })
  await stmt.bindParam([[1700000000000], [5]])
  t.is(await stmt.execute(), 1)
  await stmt.close()
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError, message: /closed/ })
})

served('a query statement binds its parameters and returns rows', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1_query')
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  await conn.execute(`insert into ${db}.t values (1700000000000, 1) (1700000000001, 2)`)
  await using stmt = await conn.statement()
  await stmt.prepare(`select v from ${db}.t where v > ?`)
  await stmt.bindParam([1])
  await stmt.execute()
  t.deepEqual(await (await stmt.result()).toArray(), [[2]])
})
