/**
 * Every call takes `{ timeoutMs, signal }`: a timeout is a TimeoutError, an abort an AbortError
 * (both OperationalErrors), what the call held on the server is freed, and the connection stays
 * usable. Bad options are ProgrammingErrors naming the option, before any I/O.
 */
import test from 'ava'
import * as taos from '../src/index.js'
import { TestProxy, TestServer } from '../src/testing.js'
import { dbName, open, proxied } from './helpers/server.js'

let server: TestServer
test.before(async () => {
  // Results of a few rows span several blocks: a query brings its first two blocks with it, so
  // reading the rest needs fetches that can time out.
  server = await TestServer.start({ blockRows: 2 })
})
test.after.always(() => server.close())

/** Rows 1..5 (three blocks) into table `t` of `db`. */
const FIVE_ROWS = 'values (1700000000000, 1) (1700000000001, 2) (1700000000002, 3) (1700000000003, 4) (1700000000004, 5)'

type T = Parameters<typeof open>[0]

/** A database with table `t (ts timestamp, v int)`, made and dropped on a direct connection. */
async function database(t: T, prefix: string): Promise<string> {
  const direct = await open(t, server.dsn)
  const db = dbName(prefix)
  await direct.execute(`create database ${db}`)
  await direct.execute(`create table ${db}.t (ts timestamp, v int)`)
  t.teardown(() => direct.execute(`drop database if exists ${db}`).then(() => undefined))
  return db
}

test('a call the server does not answer in time rejects with a TimeoutError naming the request, and the connection lives on', async (t) => {
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 0 })
  proxy.delay(400)
  const started = Date.now()
  const err = await t.throwsAsync(conn.query('select 1', { timeoutMs: 100 }), { instanceOf: taos.TimeoutError })
  t.true(err instanceof taos.OperationalError)
  t.is(err!.name, 'TimeoutError')
  t.regex(err!.message, /binary_query got no answer within 100 ms/)
  t.true(Date.now() - started < 350, `settled after ${Date.now() - started} ms`)
  proxy.heal()
  t.deepEqual(await (await conn.query('select 7')).toArray(), [[7n]])
  t.false(conn.isClosed)
})

test('requestTimeoutMs is the default deadline of every request', async (t) => {
  const { proxy, conn } = await proxied(t, server, { requestTimeoutMs: 150, keepaliveMs: 0 })
  proxy.blackhole()
  await t.throwsAsync(conn.execute('select 1'), { instanceOf: taos.TimeoutError, message: /150 ms/ })
  const cursor = conn.cursor()
  await t.throwsAsync(cursor.execute('select 1'), { instanceOf: taos.TimeoutError })
  await t.throwsAsync(conn.statement2(), { instanceOf: taos.TimeoutError })
})

test('an already-aborted signal rejects before anything is sent', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  proxy.blackhole() // anything sent would hang
  const signal = AbortSignal.abort(new Error('no'))
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['query', () => conn.query('select 1', { signal })],
    ['execute', () => conn.execute('select 1', { signal })],
    ['statement2', () => conn.statement2('select ?', { signal })],
    ['statement', () => conn.statement({ signal })],
    ['schemalessInsert', () => conn.schemalessInsert(['m v=1 1'], taos.SmlProtocol.LINE, taos.SmlPrecision.MILLI_SECONDS, { signal })],
    ['cursor.execute', () => conn.cursor().execute('select 1', null, { signal })],
    ['cursor.executemany', () => conn.cursor().executemany('insert into t values (?, ?)', [[1, 2]], { signal })],
  ]
  for (const [name, call] of calls) {
    const err = await t.throwsAsync(call(), { instanceOf: taos.AbortError }, name)
    t.is(err!.name, 'AbortError', name)
    t.true(err instanceof taos.OperationalError, name)
  }
})

test('aborting a call in flight rejects at once with AbortError; the connection stays usable', async (t) => {
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 0 })
  proxy.delay(300)
  const controller = new AbortController()
  const pending = conn.query('select 1', { signal: controller.signal })
  setTimeout(() => controller.abort(), 20)
  const started = Date.now()
  const err = await t.throwsAsync(pending, { instanceOf: taos.AbortError })
  t.true(Date.now() - started < 200)
  t.is(err!.message, 'the call was aborted')
  proxy.heal()
  t.is(await conn.execute('select 2'), 0)
})

test('a row read that times out frees the result and says why on later reads', async (t) => {
  const db = await database(t, 'rows')
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 0 })
  await conn.execute(`insert into ${db}.t ${FIVE_ROWS}`)
  const result = await conn.query(`select * from ${db}.t`)
  proxy.blackhole()
  await t.throwsAsync(result.toArray({ timeoutMs: 80 }), { instanceOf: taos.TimeoutError, message: /fetch_raw_block/ })
  await t.throwsAsync(result.toArray(), { instanceOf: taos.InterfaceError, message: /earlier read of this result failed/ })
  const cursor = conn.cursor()
  proxy.heal()
  await cursor.execute(`select * from ${db}.t`)
  proxy.blackhole()
  // The first four rows came with the query; the fifth needs a fetch.
  t.is((await cursor.fetchmany(4, { timeoutMs: 80 })).length, 4)
  await t.throwsAsync(cursor.fetchone({ timeoutMs: 80 }), { instanceOf: taos.TimeoutError })
})

test('a query’s signal also stops reading its rows', async (t) => {
  const db = await database(t, 'signal')
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 0 })
  await conn.execute(`insert into ${db}.t ${FIVE_ROWS}`)
  const controller = new AbortController()
  const result = await conn.query(`select * from ${db}.t`, { signal: controller.signal })
  proxy.blackhole()
  const reading = result.toArray()
  setTimeout(() => controller.abort(), 30)
  await t.throwsAsync(reading, { instanceOf: taos.AbortError })
  t.true(result.closed)
})

test('statement calls take timeoutMs and signal', async (t) => {
  const db = await database(t, 'stmt')
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 0 })
  const stmt = await conn.statement2(`insert into ${db}.t values (?, ?)`)
  proxy.blackhole()
  await t.throwsAsync(stmt.bindParam(null, null, [[[1700000000000], [1]]], { timeoutMs: 60 }), { instanceOf: taos.TimeoutError, message: /stmt2_bind/ })
  await t.throwsAsync(stmt.bindParam(null, null, [[[1700000000000], [1]]], { signal: AbortSignal.timeout(60) }), { instanceOf: taos.AbortError })
  proxy.heal()
  await stmt.bindParam(null, null, [[[1700000000000], [1]]])
  t.is(await stmt.execute({ timeoutMs: 5000 }), 1)
  await stmt.close()
})

test('bad call options are ProgrammingErrors naming the option, before any I/O', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  proxy.blackhole()
  for (const [options, words] of [
    [{ timeoutMs: -1 }, /timeoutMs .* got -1/],
    [{ timeoutMs: 0 }, /timeoutMs/],
    [{ timeoutMs: 1.5 }, /timeoutMs/],
    [{ timeoutMs: '100' }, /timeoutMs .* got string "100"/],
    [{ timeoutMs: Number.NaN }, /timeoutMs/],
    [{ signal: { aborted: false } }, /signal must be an AbortSignal/],
    [{ signal: 'x' }, /signal must be an AbortSignal .*, got string/],
  ] as const) {
    const bad = options as unknown as taos.CallOptions
    await t.throwsAsync(conn.query('select 1', bad), { instanceOf: taos.ProgrammingError, message: words })
    await t.throwsAsync(conn.cursor().execute('select 1', null, bad), { instanceOf: taos.ProgrammingError, message: words })
  }
})

test('bad connection options and DSN parameters are ProgrammingErrors naming them, before any I/O', async (t) => {
  const cases: Array<[string, taos.ConnectOptions, RegExp]> = [
    [server.dsn, { connectTimeoutMs: -5 } as taos.ConnectOptions, /connectTimeoutMs/],
    [server.dsn, { requestTimeoutMs: 'soon' } as unknown as taos.ConnectOptions, /requestTimeoutMs .* got string/],
    [server.dsn, { keepaliveMs: -1 }, /keepaliveMs/],
    [server.dsn, { retries: -1 }, /retries/],
    [server.dsn, { retryBackoffMs: 500, retryBackoffMaxMs: 100 }, /retryBackoffMaxMs \(100 ms\) must not be less than retryBackoffMs \(500 ms\)/],
    [server.dsn, { timeout: 5 } as unknown as taos.ConnectOptions, /unknown connection option timeout/],
    [server.dsn, { signal: 'x' } as unknown as taos.ConnectOptions, /signal must be an AbortSignal/],
    [server.dsn, { host: 'bad host' }, /option host: host `bad host` contains ' '/],
    [server.dsn, { rejectUnauthorized: 'no' } as unknown as taos.ConnectOptions, /rejectUnauthorized must be a boolean/],
    [server.dsn, { cert: 'x' }, /cert and key go together/],
    [`${server.dsn}?timeout=5`, {}, /unknown DSN parameter `timeout`/],
    [`${server.dsn}?requestTimeoutMs=-1`, {}, /requestTimeoutMs must be a non-negative integer, got `-1`/],
    ['ws://root:hunter2@h1:6041,bad host:6041', {}, /endpoint `bad host:6041`/],
    ['ws://root:hunter2@h1:6041,,h2', {}, /empty entry/],
  ]
  for (const [dsn, options, words] of cases) {
    const started = Date.now()
    const err = await t.throwsAsync(taos.connect(dsn, options), { instanceOf: taos.ProgrammingError, message: words }, `${dsn} ${JSON.stringify(options)}`)
    t.false(err!.message.includes('hunter2'))
    t.false(err!.message.includes('taosdata'))
    t.true(Date.now() - started < 100, 'no I/O')
  }
})

test('a connect can be aborted', async (t) => {
  const proxy = await TestProxy.start({ target: server })
  t.teardown(() => proxy.close())
  proxy.blackhole()
  const controller = new AbortController()
  const pending = taos.connect(proxy.dsn, { signal: controller.signal })
  setTimeout(() => controller.abort(), 30)
  await t.throwsAsync(pending, { instanceOf: taos.AbortError })
  await t.throwsAsync(taos.connect(proxy.dsn, { signal: AbortSignal.abort() }), { instanceOf: taos.AbortError })
})
