import test from 'ava'
import { openConnection } from '../src/connection.js'
import * as taos from '../src/index.js'
import { FakeNative, field } from './helpers/fake-native.js'

function fixture(rows = 7) {
  return new FakeNative((sql) =>
    sql.startsWith('insert')
      ? { affectedRows: 2 }
      : {
          columns: [
            { field: field('id', 4, 4), values: Array.from({ length: rows }, (_, i) => i) },
            { field: field('d', 21, 8, 10, 2), values: Array.from({ length: rows }, (_, i) => `${i}.50`) },
          ],
        },
    3,
  )
}

test('before execute: description null, rowcount -1, fetch is a ProgrammingError', async (t) => {
  const cursor = (await openConnection(fixture(), undefined)).cursor()
  t.is(cursor.description, null)
  t.is(cursor.rowcount, -1)
  t.is(cursor.rownumber, null)
  t.is(cursor.arraysize, 1)
  await t.throwsAsync(cursor.fetchone(), { instanceOf: taos.ProgrammingError })
})

test('a write sets rowcount to the affected rows and has no description', async (t) => {
  const cursor = (await openConnection(fixture(), undefined)).cursor()
  t.is(await cursor.execute('insert into t values (now, 1)(now, 2)'), 2)
  t.is(cursor.rowcount, 2)
  t.is(cursor.description, null)
  await t.throwsAsync(cursor.fetchall(), { instanceOf: taos.ProgrammingError })
})

test('description has 7 items per column', async (t) => {
  const cursor = (await openConnection(fixture(), undefined)).cursor()
  await cursor.execute('select')
  t.deepEqual(cursor.description, [
    ['id', 4, null, 4, null, null, null],
    ['d', 21, null, 8, 10, 2, null],
  ])
})

test('fetchone, fetchmany and fetchall walk the rows; rowcount and rownumber count them', async (t) => {
  const cursor = (await openConnection(fixture(7), undefined)).cursor()
  await cursor.execute('select')
  t.deepEqual(await cursor.fetchone(), [0, '0.50'])
  t.is(cursor.rownumber, 1)
  t.deepEqual((await cursor.fetchmany()).map((r) => r[0]), [1], 'default size is arraysize')
  cursor.arraysize = 4
  t.deepEqual((await cursor.fetchmany()).map((r) => r[0]), [2, 3, 4, 5])
  t.deepEqual((await cursor.fetchmany(10)).map((r) => r[0]), [6], 'fewer rows at the end')
  t.deepEqual(await cursor.fetchmany(3), [])
  t.is(await cursor.fetchone(), null)
  t.deepEqual(await cursor.fetchall(), [])
  t.is(cursor.rowcount, 7)
})

test('fetchall returns everything left and async iteration works', async (t) => {
  const cursor = (await openConnection(fixture(5), undefined)).cursor()
  await cursor.execute('select')
  await cursor.fetchone()
  t.is((await cursor.fetchall()).length, 4)
  await cursor.execute('select')
  const ids: unknown[] = []
  for await (const row of cursor) ids.push(row[0])
  t.deepEqual(ids, [0, 1, 2, 3, 4])
})

test('a new execute frees the previous result set', async (t) => {
  const native = fixture(20)
  const cursor = (await openConnection(native, undefined)).cursor()
  await cursor.execute('select')
  await cursor.fetchone()
  await cursor.execute('select')
  t.deepEqual(native.connections[0]!.freed, [1])
})

test('unsupported PEP-249 parts throw NotSupportedError naming why', async (t) => {
  const cursor = (await openConnection(fixture(), undefined)).cursor()
  await t.throwsAsync(cursor.callproc('p'), { instanceOf: taos.NotSupportedError })
  await t.throwsAsync(cursor.nextset(), { instanceOf: taos.NotSupportedError })
})

test('close frees the result and later use is an InterfaceError', async (t) => {
  const native = fixture(20)
  const cursor = (await openConnection(native, undefined)).cursor()
  await cursor.execute('select')
  await cursor.close()
  t.deepEqual(native.connections[0]!.freed, [1])
  await t.throwsAsync(cursor.fetchone(), { instanceOf: taos.InterfaceError })
  await t.throwsAsync(cursor.execute('select'), { instanceOf: taos.InterfaceError })
})

test('rowMode object on a cursor', async (t) => {
  const cursor = (await openConnection(fixture(2), undefined)).cursor({ rowMode: 'object' })
  await cursor.execute('select')
  t.deepEqual(await cursor.fetchone(), { id: 0, d: '0.50' })
})

test('a failed block read is reported once with its class, then as an InterfaceError naming it', async (t) => {
  const native = fixture(20)
  const cursor = (await openConnection(native, undefined)).cursor()
  await cursor.execute('select')
  await cursor.fetchmany(3)
  native.connections[0]!.dropResults()
  const first = await t.throwsAsync(cursor.fetchall(), { instanceOf: taos.ResultError })
  t.is(first!.errno, 0xffff)
  await t.throwsAsync(cursor.fetchone(), { instanceOf: taos.InterfaceError, message: /earlier read of this result failed: \[0xFFFF\] result is nil/ })
})

test('overlapping execute() calls leave one result open, not two', async (t) => {
  const native = fixture(20)
  const cursor = (await openConnection(native, undefined)).cursor()
  await Promise.all([cursor.execute('select'), cursor.execute('select')])
  t.is(native.connections[0]!.openResults, 1)
  t.is((await cursor.fetchall()).length, 20)
})
