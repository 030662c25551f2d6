/** PEP-249 qmark parameters: cursor.execute(sql, params) and executemany, bound through stmt2. */
import test from 'ava'
import * as taos from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)


async function database(t: import('ava').ExecutionContext, prefix: string) {
  const conn = await open(t, server().dsn, { timestampAs: 'bigint' })
  const db = dbName(prefix)
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  // `insert into ? …` (a table named per bind) needs a current database on TDengine
  await conn.execute(`use ${db}`)
  return { conn, db }
}

const HOSTILE = [
  "it's",
  'say "hi"',
  'back\\slash \\\' \\"',
  "'); DROP DATABASE x; --",
  '; DROP DATABASE information_schema',
  '?',
  '',
]

test('hostile strings in parameters are stored verbatim', async (t) => {
  const { conn, db } = await database(t, 'cp_hostile')
  await conn.execute(`create table ${db}.t (ts timestamp, s varchar(64), n nchar(64))`)
  const cursor = conn.cursor()
  // one bind for all rows: a bind whose NCHAR column holds only '' is refused (next spec)
  t.is(await cursor.executemany(`insert into ${db}.t values (?, ?, ?)`, HOSTILE.map((s, i) => [1700000000000 + i, s, s])), HOSTILE.length)
  for (const [i, s] of HOSTILE.slice(0, -1).entries()) {
    t.is(await cursor.execute(`insert into ${db}.t values (?, ?, ?)`, [1700000000000 + i, s, s]), 1)
  }
  await cursor.execute(`select s, n from ${db}.t order by ts`)
  t.deepEqual(await cursor.fetchall(), HOSTILE.map((s) => [s, s]))
  await cursor.execute(`select count(*) from ${db}.t where s = ?`, [HOSTILE[3]])
  t.deepEqual(await cursor.fetchone(), [1n])
  t.deepEqual(await (await conn.query(`show databases`)).toArray().then((r) => r.some((row) => row[0] === db)), true)
})

test('a bind whose NCHAR column holds only empty strings is refused with 0x0216, as TDengine refuses it; VARCHAR is fine', async (t) => {
  const { conn, db } = await database(t, 'cp_empty')
  await conn.execute(`create table ${db}.t (ts timestamp, s varchar(8), n nchar(8))`)
  const cursor = conn.cursor()
  t.is(await cursor.execute(`insert into ${db}.t (ts, s) values (?, ?)`, [1700000000000, '']), 1)
  const err = await t.throwsAsync(cursor.execute(`insert into ${db}.t (ts, n) values (?, ?)`, [1700000000001, '']), { instanceOf: taos.StatementError })
  t.is(err!.errno, 0x0216)
  t.regex(err!.message, /Unknown error -2147483368/)
  await t.throwsAsync(cursor.executemany(`insert into ${db}.t (ts, n) values (?, ?)`, [[1700000000002, ''], [1700000000003, null]]), { instanceOf: taos.StatementError })
  t.is(await cursor.executemany(`insert into ${db}.t (ts, n) values (?, ?)`, [[1700000000004, ''], [1700000000005, 'a']]), 2)
  await cursor.execute(`select s, n from ${db}.t order by ts`)
  t.deepEqual(await cursor.fetchall(), [['', null], [null, ''], [null, 'a']])
})

test('executemany binds every row in one bind, grouped by child table', async (t) => {
  const { conn, db } = await database(t, 'cp_many')
  await conn.execute(`create stable ${db}.st (ts timestamp, v int) tags (loc varchar(16))`)
  const cursor = conn.cursor()
  const n = await cursor.executemany(`insert into ? using ${db}.st tags (?) values (?, ?)`, [
    ['d1', 'a', 1700000000000, 1],
    ['d2', 'b', 1700000000000, 2],
    ['d1', 'a', 1700000000001, 3],
  ])
  t.is(n, 3)
  t.is(cursor.rowcount, 3)
  await cursor.execute(`select tbname, loc, v from ${db}.st order by v`)
  t.deepEqual(await cursor.fetchall(), [['d1', 'a', 1], ['d2', 'b', 2], ['d1', 'a', 3]])
})

test('query parameters of each JS type', async (t) => {
  const { conn, db } = await database(t, 'cp_query')
  await conn.execute(`create table ${db}.t (ts timestamp, i int, b bigint, d double, s varchar(8), f bool)`)
  await conn.execute(`insert into ${db}.t values (1700000000000, 1, 10, 0.5, 'a', true) (1700000000001, 2, 20, 1.5, 'b', false)`)
  const cursor = conn.cursor()
  await cursor.execute(`select i from ${db}.t where ts > ? and i >= ? and b < ? and d > ? and s = ? and f = ?`, [new Date(1699999999999), 2, 30n, 1.0, 'b', false])
  t.deepEqual(await cursor.fetchall(), [[2]])
  t.deepEqual(cursor.description?.map((d) => d[0]), ['i'])
})

test('parameters that are not an array are a ProgrammingError, sent nowhere', async (t) => {
  const conn = await open(t, server().dsn)
  await t.throwsAsync(conn.cursor().execute('select ?', 1 as never), { instanceOf: taos.ProgrammingError })
})
