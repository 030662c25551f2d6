import test from 'ava'
import * as taos from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

const ROWS = 100_000
const PER_INSERT = 5_000
let db = ''

test.serial.before(async () => {
  const conn = await taos.connect(server().dsn)
  try {
    db = dbName('big')
    await conn.execute(`create database ${db}`)
    await conn.execute(`create table ${db}.t (ts timestamp, v int, s varchar(16))`)
    for (let start = 0; start < ROWS; start += PER_INSERT) {
      const values: string[] = []
      for (let i = start; i < start + PER_INSERT; i++) values.push(`(${1700000000000 + i}, ${i}, 'r${i}')`)
      await conn.execute(`insert into ${db}.t values ${values.join(' ')}`)
    }
  } finally {
    await conn.close()
  }
})

test(`a ${ROWS}-row result streams block by block in order`, async (t) => {
  const conn = await open(t, server().dsn)
  const result = await conn.query(`select ts, v, s from ${db}.t order by ts`)
  let expected = 0
  let wrong = 0
  for await (const [ts, v, s] of result) {
    if (v !== expected || s !== `r${expected}` || (ts as Date).getTime() !== 1700000000000 + expected) wrong++
    expected++
  }
  t.is(expected, ROWS)
  t.is(wrong, 0)
  t.true(result.closed)
})

// Serial: concurrent tests in this file would allocate in the same heap.
test.serial('streaming does not hold all rows: peak heap stays far below the materialised result', async (t) => {
  const gc = globalThis.gc
  if (gc === undefined) return t.pass('needs --expose-gc (set in the ava config)')
  const conn = await open(t, server().dsn)
  const sql = `select ts, v, s from ${db}.t`
  gc()
  const base = process.memoryUsage().heapUsed
  let peak = 0
  let n = 0
  for await (const _row of await conn.query(sql)) {
    if (++n % 5_000 === 0) {
      gc() // what is still reachable, not garbage waiting for collection
      peak = Math.max(peak, process.memoryUsage().heapUsed - base)
    }
  }
  t.is(n, ROWS)
  gc()
  const base2 = process.memoryUsage().heapUsed
  const all = await (await conn.query(sql)).toArray()
  const materialised = process.memoryUsage().heapUsed - base2
  t.is(all.length, ROWS)
  t.log({ streamingPeak: peak, materialised })
  t.true(peak < materialised / 2, `streaming peak ${peak} B vs materialised ${materialised} B`)
})

test('breaking out of a loop frees the result and the connection stays usable', async (t) => {
  const conn = await open(t, server().dsn)
  const result = await conn.query(`select v from ${db}.t`)
  let seen = 0
  for await (const _ of result) {
    if (++seen === 10) break
  }
  t.true(result.closed)
  // The rows after the break are gone: reading them again says so instead of returning nothing.
  await t.throwsAsync(result.toArray(), { instanceOf: taos.InterfaceError, message: /the result is closed/ })
  t.is((await (await conn.query(`select count(*) from ${db}.t`)).toArray())[0]![0], BigInt(ROWS))
})

test('await using frees a result read halfway', async (t) => {
  const conn = await open(t, server().dsn)
  let kept: taos.TaosResult | undefined
  {
    await using result = await conn.query(`select v from ${db}.t`)
    kept = result
    await result[Symbol.asyncIterator]().next()
  }
  t.true(kept.closed)
})

test('fetchAllIntoDict returns objects; rowMode object streams objects', async (t) => {
  const conn = await open(t, server().dsn)
  const dicts = await (await conn.query(`select v, s from ${db}.t order by ts limit 2`)).fetchAllIntoDict()
  t.deepEqual(dicts, [
    { v: 0, s: 'r0' },
    { v: 1, s: 'r1' },
  ])
  const objects = await (await conn.query(`select v from ${db}.t order by ts limit 1`, { rowMode: 'object' })).toArray()
  t.deepEqual(objects, [{ v: 0 }])
})

test('one result read row by row, a block at a time and as objects in turn hands out every row once, in order', async (t) => {
  const conn = await open(t, server().dsn)
  const result = await conn.query(`select v from ${db}.t order by ts`)
  const seen: number[] = []
  const rows = result[Symbol.asyncIterator]()
  for (let i = 0; i < 3; i++) seen.push((await rows.next()).value![0] as number)
  // the rest of the first block, then rows again from where it stopped
  const batches = result.rowBatches()[Symbol.asyncIterator]()
  for (const row of (await batches.next()).value!) seen.push(row[0] as number)
  for (let i = 0; i < 2; i++) seen.push((await rows.next()).value![0] as number)
  // the same block as objects, then as arrays again
  const objects = await result.fetchAllIntoDict()
  t.deepEqual(objects[0], { v: seen.length })
  for (const o of objects) seen.push(o.v as number)
  t.true((await rows.next()).done)
  t.is(seen.length, ROWS)
  t.true(seen.every((v, i) => v === i))
})

test('closing the connection frees its open results', async (t) => {
  const conn = await taos.connect(server().dsn)
  const result = await conn.query(`select v from ${db}.t`)
  await result[Symbol.asyncIterator]().next()
  await conn.close()
  t.true(result.closed)
  await t.throwsAsync(result.toArray(), { instanceOf: taos.InterfaceError })
})

test('many concurrent streaming queries on one connection', async (t) => {
  const conn = await open(t, server().dsn)
  const counts = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      let n = 0
      for await (const _ of await conn.query(`select v from ${db}.t where v < ${(i + 1) * 5000}`)) n++
      return n
    }),
  )
  t.deepEqual(counts, Array.from({ length: 8 }, (_, i) => (i + 1) * 5000))
})

test('blocks() sums a column of the 100k-row result without building rows', async (t) => {
  const conn = await open(t, server().dsn)
  const result = await conn.query(`select v, s from ${db}.t`)
  let sum = 0
  let rows = 0
  for await (const block of result.blocks()) {
    const v = block.columns[0]!.data as Int32Array
    for (let i = 0; i < block.rows; i++) sum += v[i]!
    rows += block.rows
    t.is(typeof block.columns[1]!.value(0), 'string')
  }
  t.is(rows, ROWS)
  t.is(sum, (ROWS * (ROWS - 1)) / 2)
})
