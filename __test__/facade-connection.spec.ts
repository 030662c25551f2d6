import test from 'ava'
import { openConnection } from '../src/connection.js'
import * as taos from '../src/index.js'
import { FakeNative, field, type FakeColumn } from './helpers/fake-native.js'

function numbers(n: number): FakeColumn[] {
  return [
    { field: field('ts', 9), values: Array.from({ length: n }, (_, i) => 1700000000000n + BigInt(i)) },
    { field: field('v', 4, 4), values: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i)) },
  ]
}

test('connect passes DSN and options to the native layer, TDENGINE_DSN when no DSN is given', async (t) => {
  const native = new FakeNative()
  await openConnection(native, 'ws://u:p@h:1/db', { user: 'x', port: 6042, database: 'power' })
  t.deepEqual(native.connectCalls[0], { dsn: 'ws://u:p@h:1/db', options: { user: 'x', port: 6042, database: 'power' } })
  const saved = process.env['TDENGINE_DSN']
  process.env['TDENGINE_DSN'] = 'ws://env:6041'
  try {
    await openConnection(native, undefined)
    t.is(native.connectCalls[1]!.dsn, 'ws://env:6041')
  } finally {
    if (saved === undefined) delete process.env['TDENGINE_DSN']
    else process.env['TDENGINE_DSN'] = saved
  }
})

test('connect rejects a bad port before touching the network', async (t) => {
  const native = new FakeNative()
  await t.throwsAsync(openConnection(native, undefined, { port: 70000 }), { instanceOf: taos.ProgrammingError, message: /port/ })
  t.is(native.connectCalls.length, 0)
})

test('connect failures are ConnectionErrors with TDengine’s code', async (t) => {
  const native = new FakeNative()
  native.connectError = new Error('ConnectionError: [0x0357] Authentication failure')
  const err = await t.throwsAsync(openConnection(native, 'ws://root:hunter22@localhost:6041'), { instanceOf: taos.ConnectionError })
  t.is(err!.errno, 855)
})

test('execute resolves to affected rows and passes reqId as bigint', async (t) => {
  const native = new FakeNative(() => ({ affectedRows: 3 }))
  const conn = await openConnection(native, undefined)
  t.is(await conn.execute('insert into t values (now, 1)(now, 2)(now, 3)', { reqId: 7 }), 3)
  t.deepEqual(native.connections[0]!.calls[0], { method: 'query', args: ['insert into t values (now, 1)(now, 2)(now, 3)', 7n] })
  await t.throwsAsync(conn.execute('x', { reqId: -1 }), { instanceOf: taos.InterfaceError })
})

test('query streams rows across blocks and frees nothing twice', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(10) }), 3)
  const conn = await openConnection(native, undefined)
  const result = await conn.query('select * from t')
  t.is(result.fieldCount, 2)
  t.deepEqual(result.fields.map((f) => [f.name, f.typeName]), [['ts', 'TIMESTAMP'], ['v', 'INT']])
  t.is(result.precision, 'ms')
  const rows = await result.toArray()
  t.is(rows.length, 10)
  t.is(rows[0]![1], null)
  t.is(rows[9]![1], 9)
  t.true(rows[3]![0] instanceof Date)
  t.true(result.closed)
  const fake = native.connections[0]!
  t.deepEqual(fake.freed, [], 'an exhausted result is freed by the server, not again by us')
  t.is(fake.calls.filter((c) => c.method === 'fetchBatch').length, 5) // 4 blocks + the end
})

test('breaking out of for-await frees the result at once', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(100) }), 10)
  const conn = await openConnection(native, undefined)
  const result = await conn.query('select * from t')
  let seen = 0
  for await (const _ of result) {
    if (++seen === 15) break
  }
  const fake = native.connections[0]!
  t.deepEqual(fake.freed, [1])
  t.is(fake.openResults, 0)
  t.is(fake.calls.filter((c) => c.method === 'fetchBatch').length, 3, 'the two blocks needed, and one requested ahead')
  await t.throwsAsync(result.toArray(), { instanceOf: taos.InterfaceError, message: /the result is closed/ })
})

test('await using frees the result', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(100) }), 10)
  const conn = await openConnection(native, undefined)
  {
    await using result = await conn.query('select * from t')
    await result[Symbol.asyncIterator]().next()
  }
  t.deepEqual(native.connections[0]!.freed, [1])
})

test('rowMode object and fetchAllIntoDict give objects keyed by column name', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(4) }), 3)
  const conn = await openConnection(native, undefined, { timestampAs: 'bigint' })
  const objects = await (await conn.query('select', { rowMode: 'object' })).toArray()
  t.deepEqual(objects[1], { ts: 1700000000001n, v: 1 })
  const dicts = await (await conn.query('select')).fetchAllIntoDict()
  t.deepEqual(dicts[0], { ts: 1700000000000n, v: null })
})

test('concurrent readers of one result never see blocks out of order', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(50) }), 4)
  const conn = await openConnection(native, undefined, { timestampAs: 'number' })
  const cursor = conn.cursor()
  await cursor.execute('select')
  const batches = await Promise.all([cursor.fetchmany(10), cursor.fetchmany(10), cursor.fetchmany(10)])
  const ts = batches.flat().map((r) => (r as number[])[0]! - 1700000000000)
  t.deepEqual(ts, Array.from({ length: 30 }, (_, i) => i))
})

test('closing the connection closes its results; reading them then fails', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(10) }), 3)
  const conn = await openConnection(native, undefined)
  const result = await conn.query('select')
  await result[Symbol.asyncIterator]().next()
  await conn.close()
  await conn.close()
  t.true(native.connections[0]!.closed)
  await t.throwsAsync(result.toArray(), { instanceOf: taos.InterfaceError, message: /connection is closed/ })
  await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.InterfaceError })
})

test('native query errors become the matching class', async (t) => {
  const native = new FakeNative(() => new Error('QueryError: [0x2662] Table does not exist'))
  const conn = await openConnection(native, undefined)
  const err = await t.throwsAsync(conn.query('select * from nope'), { instanceOf: taos.QueryError })
  t.is(err!.errno, 0x2662)
})

test('rollback is not supported, commit is a no-op', async (t) => {
  const conn = await openConnection(new FakeNative(), undefined)
  await t.notThrowsAsync(conn.commit())
  await t.throwsAsync(conn.rollback(), { instanceOf: taos.NotSupportedError })
})

test('unknown result options are rejected with InterfaceError', async (t) => {
  const native = new FakeNative(() => ({ columns: [{ field: field('v', 4, 4), values: [1] }] }))
  const conn = await openConnection(native, undefined)
  // @ts-expect-error deliberately wrong
  await t.throwsAsync(conn.query('select', { timestampAs: 'iso' }), { instanceOf: taos.InterfaceError, message: /timestampAs/ })
  // @ts-expect-error deliberately wrong
  t.throws(() => conn.cursor({ rowMode: 'dict' }), { instanceOf: taos.InterfaceError })
  // @ts-expect-error deliberately wrong
  await t.throwsAsync(openConnection(native, undefined, { bigintAs: 'int' }), { instanceOf: taos.InterfaceError })
  t.is(native.connectCalls.length, 1, 'bad options are caught before connecting')
})

test('a result with a column type taosjs does not know is a DataError and is freed at once', async (t) => {
  const native = new FakeNative(() => ({ columns: [{ field: field('m', 99, 8), values: [1] }] }))
  const conn = await openConnection(native, undefined)
  await t.throwsAsync(conn.query('select'), { instanceOf: taos.DataError, message: /type id 99/ })
  t.deepEqual(native.connections[0]!.freed, [1])
})

test('the next blocks are requested while the current one is read, one request at a time', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(50) }), 10)
  const conn = await openConnection(native, undefined)
  const result = await conn.query('select')
  const it = result[Symbol.asyncIterator]()
  await it.next()
  const fake = native.connections[0]!
  const server = fake.results.get(1)!
  const fetches = () => fake.calls.filter((c) => c.method === 'fetchBatch').length
  // Until no request is in flight and the stream has taken in the answers (not a fixed sleep:
  // a loaded machine may take longer).
  const settled = async () => {
    for (let turn = 0; turn < 5 || server.inFlight > 0; turn++) await new Promise((r) => setImmediate(r))
  }
  t.is(fetches(), 2, 'block 2 requested as soon as block 1 arrived')
  await settled()
  t.is(fetches(), 3, 'while block 1 is read, blocks 2 and 3 come: two blocks wait at most')
  for (let i = 0; i < 9; i++) await it.next()
  await settled()
  t.is(fetches(), 3, 'nothing more while two blocks wait')
  await it.next()
  t.is(fetches(), 4, 'reading block 2 asks for block 4')
  t.is((await result.toArray()).length, 39)
  t.is(fake.results.size, 0)
  t.is(fetches(), 6, '5 blocks and the end')
  t.is(server.maxInFlight, 1, 'one request at a time')
})

test('blocks() streams columns without per-cell conversion; value() converts like rows', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(25) }), 10)
  const conn = await openConnection(native, undefined)
  const result = await conn.query('select')
  const sizes: number[] = []
  let nonNull = 0
  for await (const block of result.blocks()) {
    sizes.push(block.rows)
    const [ts, v] = block.columns
    t.true(ts!.data instanceof BigInt64Array)
    t.true(v!.data instanceof Int32Array)
    t.is(ts!.field.name, 'ts')
    for (let i = 0; i < block.rows; i++) if (v!.nulls[i] === 0) nonNull++
    t.true(ts!.value(0) instanceof Date)
  }
  t.deepEqual(sizes, [10, 10, 5])
  t.is(nonNull, 20) // every 5th value is NULL
  t.is(result.rowCount, 25)
  t.true(result.closed)
})

test('toColumns joins blocks of any size: validity and NULL bytes line up row by row', async (t) => {
  for (const blockRows of [10, 8, 25]) {
    const native = new FakeNative(() => ({ columns: numbers(53) }), blockRows)
    const conn = await openConnection(native, undefined)
    const cols = await (await conn.query('select')).toColumns()
    const v = cols.columns[1]!
    t.is(cols.rows, 53)
    t.is(v.nullCount, 11)
    for (let i = 0; i < 53; i++) {
      t.is(v.nulls[i], i % 5 === 0 ? 1 : 0)
      t.is((v.validity[i >> 3]! >> (i & 7)) & 1, i % 5 === 0 ? 0 : 1, `row ${i} of blocks of ${blockRows}`)
      t.is(v.value(i), i % 5 === 0 ? null : i)
    }
  }
})

test('blocks() after reading rows one by one is refused; breaking out frees', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(25) }), 10)
  const conn = await openConnection(native, undefined)
  const result = await conn.query('select')
  await result[Symbol.asyncIterator]().next()
  await t.throwsAsync(async () => {
    for await (const _ of result.blocks()) break
  }, { instanceOf: taos.InterfaceError })
  const again = await conn.query('select')
  for await (const _ of again.blocks()) break
  t.true(again.closed)
  t.deepEqual(native.connections[0]!.freed, [1, 2])
})

test('an aborted query rejects at once and its late result is freed', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(5) }))
  const conn = await openConnection(native, undefined)
  const fake = native.connections[0]!
  fake.queryDelayMs = 1000
  const controller = new AbortController()
  const started = Date.now()
  const pending = conn.query('select', { signal: controller.signal })
  setTimeout(() => controller.abort(new Error('user gave up')), 20)
  const err = await t.throwsAsync(pending, { instanceOf: taos.OperationalError, message: /aborted/ })
  t.true(Date.now() - started < 700, 'long before the answer')
  t.is((err!.cause as Error).message, 'user gave up')
  t.true(fake.aborts[0]!.aborted, 'the call was cancelled natively')
  await new Promise((r) => setTimeout(r, 1100))
  t.deepEqual(fake.freed, [1], 'the result that arrived after the abort was freed (by the session)')
  await t.throwsAsync(conn.execute('insert', { signal: AbortSignal.abort() }), { instanceOf: taos.OperationalError })
  t.is(fake.calls.filter((c) => c.method === 'query').length, 1, 'an already aborted signal sends nothing')
})

test('a signal that is never aborted changes nothing', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(5) }))
  const conn = await openConnection(native, undefined)
  const cursor = conn.cursor()
  await cursor.execute('select', undefined, { signal: new AbortController().signal })
  t.is((await cursor.fetchall()).length, 5)
})

test('query and cursor pass reqId down as well', async (t) => {
  const native = new FakeNative(() => ({ columns: numbers(1) }))
  const conn = await openConnection(native, undefined)
  await conn.query('select', { reqId: 11n, rowMode: 'object' })
  await conn.cursor().execute('select', undefined, { reqId: 12 })
  const ids = native.connections[0]!.calls.filter((c) => c.method === 'query').map((c) => c.args[1])
  t.deepEqual(ids, [11n, 12n])
})
