/**
 * Reconnect and failover, end to end: the embedded server keeps its data while a TestProxy
 * in front of it drops connections, as when taosAdapter restarts or the network blips.
 * A connection reconnects with backoff, restores its database, sends again what is safe to
 * repeat, says clearly what it could not, and tells its listeners.
 */
import test, { type ExecutionContext } from 'ava'
import * as taos from '../src/index.js'
import { TestProxy, TestServer } from '../src/testing.js'
import { next, until } from './helpers/until.js'

let server: TestServer
test.before(async () => {
  server = await TestServer.start({ blockRows: 2 })
})
test.after.always(() => server.close())

let databases = 0
/** A connection through a fresh proxy, using a fresh database with table `t` (ts, v). */
async function rig(t: ExecutionContext, options: taos.ConnectOptions = {}) {
  const proxy = await TestProxy.start({ target: server })
  const conn = await taos.connect(proxy.dsn, { retryBackoffMs: 20, ...options })
  const db = `resil_${process.pid}_${databases++}`
  await conn.execute(`create database ${db}`)
  await conn.execute(`use ${db}`)
  await conn.execute('create table t (ts timestamp, v int)')
  const events: Array<[string, unknown]> = []
  for (const name of ['reconnecting', 'reconnected', 'error', 'close'] as const) {
    conn.on(name, (e: unknown) => events.push([name, e]))
  }
  t.teardown(async () => {
    proxy.heal()
    await conn.close()
    await proxy.close()
  })
  return { proxy, conn, events, db }
}

test('a dropped connection reconnects, keeps its database and tells its listeners', async (t) => {
  const { proxy, conn, events } = await rig(t)
  await conn.execute('insert into t values (1700000000000, 1)')
  proxy.cut()
  // No database prefix: the new session uses the database of the last `use`.
  t.deepEqual(await (await conn.query('select v from t')).toArray(), [[1]])
  t.false(conn.isClosed)
  const names = events.map(([n]) => n)
  t.deepEqual(names, ['reconnecting', 'reconnected'])
  const [, reconnecting] = events[0] as [string, taos.ReconnectingEvent]
  t.is(reconnecting.attempt, 1)
  t.is(reconnecting.delayMs, 0)
  t.regex(reconnecting.reason, /connection lost/)
  const [, reconnected] = events[1] as [string, taos.ReconnectedEvent]
  t.is(reconnected.endpoint, `127.0.0.1:${proxy.port}`)
})

test('queries and writes with explicit timestamps in flight are sent again; a write with now() fails saying it may have been applied', async (t) => {
  const { proxy, conn } = await rig(t)
  // The calls reach the proxy, which drops them: sent, never answered.
  proxy.blackhole()
  const sent = proxy.framesFromClients
  const read = conn.query('select count(*) from t')
  const explicit = conn.execute('insert into t values (1700000000001, 2)')
  const withNow = conn.execute('insert into t values (now, 3)')
  await until(() => proxy.framesFromClients >= sent + 3, 'the three calls were sent')
  proxy.heal()
  proxy.cut()
  t.is(await explicit, 1)
  const err = await t.throwsAsync(withNow, { instanceOf: taos.ConnectionError })
  t.regex(err!.message, /may or may not have been applied/)
  t.regex(err!.message, /now/)
  t.is((await (await read).toArray()).length, 1)
  // The explicit row once, whatever the first attempt did.
  const rows = await (await conn.query('select v from t where ts = 1700000000001')).toArray()
  t.deepEqual(rows, [[2]])
})

test('a result nothing was read from runs again unseen; one being read fails saying how far it got', async (t) => {
  const { proxy, conn } = await rig(t)
  const values = Array.from({ length: 12 }, (_, i) => `(${1700000000000 + i}, ${i + 1})`)
  await conn.execute(`insert into t values ${values.join(' ')}`)
  // Six blocks: the query brings two (read ahead, not read), a read confirms them and fetches two.
  const unread = await conn.query('select v from t')
  const reading = await conn.query('select v from t')
  const first = await reading.rows()[Symbol.asyncIterator]().next()
  t.deepEqual(first.value, [1])
  const reconnected = next(conn, 'reconnected')
  proxy.cut()
  await reconnected
  t.deepEqual(await unread.toArray(), values.map((_, i) => [i + 1]))
  const err = await t.throwsAsync(reading.toArray(), { instanceOf: taos.ConnectionError })
  t.regex(err!.message, /lost with the connection after \d+ block/)
})

test('statements are lost with the connection and say so; closing them is fine', async (t) => {
  const { proxy, conn } = await rig(t)
  const stmt = await conn.statement2('insert into t values (?, ?)')
  const reconnected = next(conn, 'reconnected')
  proxy.cut()
  await reconnected
  const err = await t.throwsAsync(stmt.bindParam(null, null, [[[1700000000000n], [1]]]), { instanceOf: taos.ConnectionError })
  t.regex(err!.message, /lost with the connection/)
  await t.notThrowsAsync(stmt.close())
  // A new statement on the restored connection works.
  const again = await conn.statement2('insert into t values (?, ?)')
  await again.close()
})

test('a connection that cannot be restored gives up after its retries: error, close, isClosed', async (t) => {
  const { proxy, conn, events } = await rig(t, { retries: 3, retryBackoffMs: 10, retryBackoffMaxMs: 20 })
  const closed = next(conn, 'close')
  await proxy.close() // refuses new connections and drops the open one
  const err = await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError })
  t.regex(err!.message, /3 reconnect attempt\(s\) failed/)
  await closed
  t.true(conn.isClosed)
  const names = events.map(([n]) => n)
  t.deepEqual(names, ['reconnecting', 'reconnecting', 'reconnecting', 'error', 'close'])
  t.true(events.at(-1)![1] instanceof taos.ConnectionError)
  t.throws(() => conn.cursor(), { instanceOf: taos.ConnectionError })
})

test('retries: 0 never reconnects: the next call fails and the connection closes for good', async (t) => {
  const { proxy, conn, events } = await rig(t, { retries: 0 })
  const closed = next(conn, 'close')
  proxy.cut()
  await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError })
  await closed
  t.true(conn.isClosed)
  t.deepEqual(events.map(([n]) => n), ['error', 'close'])
})

test('close() emits close once, without an error', async (t) => {
  const { conn, events } = await rig(t)
  await conn.close()
  await conn.close()
  // close() emits 'close' itself; the native layer's own close event, whenever it comes, is not
  // emitted a second time (emitClose runs once).
  t.deepEqual(events, [['close', undefined]])
})

test('reconnect settings are DSN parameters too, checked by name', async (t) => {
  const conn = await taos.connect(`${server.dsn}?retries=2&retryBackoffMs=10&retryBackoffMaxMs=100`)
  await conn.close()
  await t.throwsAsync(taos.connect(`${server.dsn}?retries=lots`), { instanceOf: taos.ProgrammingError, message: /retries/ })
  await t.throwsAsync(taos.connect(`${server.dsn}?retryBackoffMs=500&retryBackoffMaxMs=100`), { instanceOf: taos.ProgrammingError, message: /retryBackoffMaxMs/ })
})
