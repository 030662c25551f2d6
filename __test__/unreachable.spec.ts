/**
 * The safety net for results and statements nobody can reach (issue 21, item 4): one that is
 * garbage-collected without being closed or read to the end is freed on the server, so results
 * dropped on the floor do not hold the server's memory until the connection closes. A result
 * still reachable — even only through an iterator over its rows — is never closed. Closing
 * results stays the rule; this is what happens when a program forgets. (ava runs with
 * --expose-gc.)
 */
import test, { type ExecutionContext } from 'ava'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { dbName, open } from './helpers/server.js'

let server: TestServer
let db: string
test.before(async () => {
  // Blocks of 2 rows: a 10-row result is 5 blocks, more than a query brings with it, so the
  // server holds it until it is read or freed.
  server = await TestServer.start({ blockRows: 2 })
  const conn = await taos.connect(server.dsn)
  db = dbName('unreachable')
  await conn.execute(`create database ${db}`)
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  await conn.execute(`insert into ${db}.t values ${Array.from({ length: 10 }, (_, i) => `(${1_700_000_000_000 + i}, ${i})`).join(' ')}`)
  await conn.close()
})
test.after.always(() => server.close())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Collects garbage until `done()` or about two seconds have passed. */
async function collectUntil(t: ExecutionContext, done: () => boolean): Promise<void> {
  const gc = globalThis.gc
  if (gc === undefined) return void t.fail('run with --expose-gc (ava nodeArguments)')
  for (let i = 0; i < 100 && !done(); i++) {
    gc()
    await sleep(20)
  }
}

/** Queries that are never read, in a frame of their own so nothing of them stays reachable. */
async function dropUnread(conn: taos.Connection, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await conn.query(`select * from ${db}.t`)
}

test.serial('1,000 results dropped unread are freed on the server once garbage-collected', async (t) => {
  const conn = await open(t, server.dsn, { maxOpenResults: 2000 })
  const before = server.openResults
  await dropUnread(conn, 1000)
  t.true(server.openResults >= before + 900, `the server holds the unread results (${server.openResults - before} of 1000)`)
  await collectUntil(t, () => server.openResults === before)
  t.is(server.openResults, before, 'every collected result was freed on the server')
  t.deepEqual(await (await conn.query(`select count(*) from ${db}.t`)).toArray(), [[10n]], 'the connection is usable')
})

test.serial('collected results count no more against maxOpenResults', async (t) => {
  const conn = await open(t, server.dsn, { maxOpenResults: 50 })
  await dropUnread(conn, 50)
  await t.throwsAsync(conn.query(`select * from ${db}.t`), { instanceOf: taos.ProgrammingError, message: /maxOpenResults/ })
  await collectUntil(t, () => server.openResults === 0)
  const result = await conn.query(`select * from ${db}.t`)
  t.is((await result.toArray()).length, 10)
})

test.serial('a result reachable only through its row iterator is not closed under it', async (t) => {
  const conn = await open(t, server.dsn)
  // The TaosResult itself becomes garbage at once; the iterator keeps reading.
  const rows = (await conn.query(`select v from ${db}.t`))[Symbol.asyncIterator]()
  const first = await rows.next()
  await dropUnread(conn, 20)
  await collectUntil(t, () => server.openResults <= 1)
  const values = [first.value]
  for (let r = await rows.next(); !r.done; r = await rows.next()) values.push(r.value)
  t.deepEqual(values, Array.from({ length: 10 }, (_, i) => [i]))
})

test.serial('a result kept in a variable is never freed by the safety net', async (t) => {
  const conn = await open(t, server.dsn)
  const kept = await conn.query(`select v from ${db}.t`)
  await dropUnread(conn, 20)
  await collectUntil(t, () => server.openResults <= 1)
  t.is(server.openResults, 1, 'the kept result is still on the server')
  t.false(kept.closed)
  t.is((await kept.toArray()).length, 10)
  t.is(server.openResults, 0)
})

test.serial('a statement dropped unclosed is closed on the server, and its query result with it', async (t) => {
  const conn = await open(t, server.dsn)
  await (async () => {
    for (let i = 0; i < 20; i++) {
      const stmt = await conn.statement2(`select v from ${db}.t where v > ?`)
      await stmt.bindParams([3])
      await stmt.execute()
      await stmt.result() // never read, statement never closed
    }
  })()
  t.true(server.openResults >= 18, `the results are held (${server.openResults})`)
  await collectUntil(t, () => server.openResults === 0)
  t.is(server.openResults, 0)
  t.deepEqual(await (await conn.query(`select count(*) from ${db}.t`)).toArray(), [[10n]])
})

// A real TDengine lists the results taosAdapter holds for its clients in
// performance_schema.perf_queries (refreshed by the client heartbeat, every few seconds).
const external = process.env['TDENGINE_DSN']
;(external ? test.serial : test.serial.skip)('on a real TDengine, results dropped unread leave perf_queries once collected', async (t) => {
  t.timeout(60_000)
  const conn = await open(t, external!)
  const watcher = await open(t, external!)
  const realDb = dbName('unreachable')
  await conn.execute(`create database ${realDb}`)
  t.teardown(() => watcher.execute(`drop database if exists ${realDb}`).then(() => undefined))
  await conn.execute(`create table ${realDb}.t (ts timestamp, v int)`)
  // more rows than the two blocks a query brings with it (TDengine's blocks hold up to 4,096 rows):
  // a result that arrived whole is finished and already freed on the server
  for (let part = 0; part < 2; part++) {
    const values = Array.from({ length: 6_000 }, (_, i) => `(${1_700_000_000_000 + part * 6_000 + i}, ${i})`)
    await conn.execute(`insert into ${realDb}.t values ${values.join(' ')}`)
  }
  const held = async (): Promise<number> => {
    const rows = await (await watcher.query('select `sql` from performance_schema.perf_queries')).toArray()
    return rows.filter(([sql]) => String(sql).includes(`from ${realDb}.t`)).length
  }
  const eventually = async (want: (n: number) => boolean, collect: boolean): Promise<number> => {
    let n = await held()
    for (let i = 0; i < 40 && !want(n); i++) {
      if (collect) globalThis.gc?.()
      await sleep(250)
      n = await held()
    }
    return n
  }
  // Kept reachable until the server has shown them, then dropped.
  let results: unknown[] | undefined = []
  for (let i = 0; i < 20; i++) results.push(await conn.query(`select * from ${realDb}.t`))
  t.is(await eventually((n) => n >= 20, false), 20, 'the server holds the unread results')
  t.is(results.length, 20)
  results = undefined
  t.is(await eventually((n) => n === 0, true), 0, 'collected, they were freed on the server')
})
