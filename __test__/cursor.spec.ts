import test from 'ava'
import * as taos from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)
let db = ''

test.serial.before(async () => {
  const conn = await taos.connect(server().dsn)
  db = dbName('cursor')
  await conn.execute(`create database ${db}`)
  await conn.execute(`create table ${db}.t (ts timestamp, v int, d decimal(10,2))`)
  await conn.execute(`insert into ${db}.t values ${Array.from({ length: 10 }, (_, i) => `(${1700000000000 + i}, ${i}, ${i}.25)`).join(' ')}`)
  await conn.close()
})

test('PEP-249 walk: execute, description, fetchone, fetchmany, fetchall, rowcount', async (t) => {
  const conn = await open(t, server().dsn)
  const cursor = conn.cursor()
  t.is(await cursor.execute(`select v, d from ${db}.t order by ts`), 0)
  t.deepEqual(cursor.description, [
    ['v', 4, null, 4, null, null, null],
    ['d', 21, null, 8, 10, 2, null],
  ])
  t.deepEqual(await cursor.fetchone(), [0, '0.25'])
  t.is(cursor.rownumber, 1)
  t.deepEqual((await cursor.fetchmany()).map((r) => r[0]), [1])
  t.deepEqual((await cursor.fetchmany(3)).map((r) => r[0]), [2, 3, 4])
  cursor.arraysize = 2
  t.deepEqual((await cursor.fetchmany()).map((r) => r[0]), [5, 6])
  t.deepEqual((await cursor.fetchall()).map((r) => r[0]), [7, 8, 9])
  t.is(await cursor.fetchone(), null)
  t.deepEqual(await cursor.fetchmany(5), [])
  t.is(cursor.rowcount, 10)
  await cursor.close()
})

test('a write through a cursor reports affected rows', async (t) => {
  const conn = await open(t, server().dsn)
  const cursor = conn.cursor()
  // Its own table: the other tests of this file read ${db}.t concurrently.
  await cursor.execute(`create table ${db}.w (ts timestamp, v int)`)
  t.is(await cursor.execute(`insert into ${db}.w values (1800000000000, 100) (1800000000001, 101)`), 2)
  t.is(cursor.rowcount, 2)
  t.is(cursor.description, null)
  await t.throwsAsync(cursor.fetchone(), { instanceOf: taos.ProgrammingError })
})

test('cursor errors carry the class and code', async (t) => {
  const conn = await open(t, server().dsn)
  const cursor = conn.cursor()
  const err = await t.throwsAsync(cursor.execute('selec 1'), { instanceOf: taos.QueryError })
  t.is(err!.errno, 0x2600)
})

test('async iteration over a cursor, and close frees it', async (t) => {
  const conn = await open(t, server().dsn)
  const cursor = conn.cursor<{ v: number }>({ rowMode: 'object' })
  await cursor.execute(`select v from ${db}.t where v < 10 order by ts`)
  const seen: unknown[] = []
  for await (const row of cursor) seen.push(row.v)
  t.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  await cursor.close()
  await t.throwsAsync(cursor.fetchone(), { instanceOf: taos.InterfaceError })
})
