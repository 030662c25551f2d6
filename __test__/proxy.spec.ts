/**
 * TestProxy (taosjs/testing) does what its documentation says, and the client reacts to each
 * fault as documented: a silent peer is noticed by keepalive, garbage is a protocol violation
 * that names what arrived, a reset mid-frame is a dropped connection.
 */
import test from 'ava'
import * as taos from '../src/index.js'
import { TestProxy, TestServer } from '../src/testing.js'
import { proxied } from './helpers/server.js'
import { until } from './helpers/until.js'

let server: TestServer
test.before(async () => {
  server = await TestServer.start()
})
test.after.always(() => server.close())


test('the proxy forwards, names its address, and lends the target server’s credentials', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  t.regex(proxy.url, /^ws:\/\/127\.0\.0\.1:\d+$/)
  t.is(proxy.dsn, server.dsn.replace(/@.*$/, `@127.0.0.1:${proxy.port}`))
  t.is(proxy.connections, 1)
  t.deepEqual(await (await conn.query('select 1')).toArray(), [[1n]])
  const other = await TestProxy.start({ target: `127.0.0.1:${server.port}` })
  t.is(other.dsn, other.url)
  await other.close()
  await t.throwsAsync(TestProxy.start({ target: 'nonsense' }), { instanceOf: taos.ProgrammingError })
})

test('framesFromClients counts each request as it arrives, also one a blackhole drops', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  t.true(proxy.framesFromClients >= 2, 'the login (version, conn)')
  const db = `proxy_frames_${process.pid}`
  await conn.execute(`create database ${db}`)
  t.teardown(() => taos.connect(server.dsn).then(async (c) => (await c.execute(`drop database if exists ${db}`), await c.close())))
  await conn.execute(`create table ${db}.t (ts timestamp, s varchar(60000))`)
  const before = proxy.framesFromClients
  // A request of 120 kB arrives in several pieces and counts once.
  const x = 'x'.repeat(60000)
  t.is(await conn.execute(`insert into ${db}.t values (1700000000000, '${x}') (1700000000001, '${x}')`), 2)
  t.is(proxy.framesFromClients, before + 1)
  t.is(await conn.execute(`insert into ${db}.t values (1700000000002, 'y')`), 1)
  t.is(proxy.framesFromClients, before + 2)
  proxy.blackhole()
  void conn.execute(`insert into ${db}.t values (1700000000003, 'z')`).catch(() => undefined)
  await until(() => proxy.framesFromClients === before + 3, 'the dropped request is counted')
  t.pass()
})

test('cut() drops every connection; new ones are still accepted', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  proxy.cut()
  await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError })
  t.true(conn.isClosed)
  const again = await taos.connect(proxy.dsn)
  t.is(await again.execute('select 1'), 0)
  await again.close()
})

test('blackhole(): keepalive notices a silent server within three intervals', async (t) => {
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 100 })
  proxy.blackhole()
  const started = Date.now()
  const err = await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError, message: /keepalive/ })
  const ms = Date.now() - started
  // Three intervals at most, plus slack for a loaded machine (timers fire late under load).
  t.true(ms >= 100 && ms <= 300 + 2_700, `noticed after ${ms} ms`)
  t.log(err!.message)
})

test('delay(ms) slows every answer; heal() ends it', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  proxy.delay(150)
  let started = Date.now()
  await conn.execute('select 1')
  t.true(Date.now() - started >= 140)
  proxy.heal()
  started = Date.now()
  await conn.execute('select 1')
  // Below one delayed answer, with room for the three round trips of a query that brings its
  // rows (the reply, its block, its end) on a loaded machine.
  t.true(Date.now() - started < 140)
})

test('corrupt() garbles the next answer: a protocol violation that names what arrived', async (t) => {
  for (const [kind, words] of [
    ['text', /protocol violation: the server sent a reply that is not taosAdapter's JSON .*"\}\{ this is not JSON"/],
    ['binary', /protocol violation: the server sent a binary frame of 7 bytes that is no reply \(deadbeef010203\)/],
  ] as const) {
    const { proxy, conn } = await proxied(t, server)
    const a = conn.query('select 1')
    await a
    proxy.corrupt(kind)
    const pending = [conn.query('select 2'), conn.query('select 3')]
    const errors = await Promise.all(pending.map((p) => p.then(() => null, (e: unknown) => e)))
    // The garbled answer fails every call in flight at once.
    t.true(errors.some((e) => e instanceof taos.ConnectionError && words.test((e as Error).message)), `${kind}: ${errors.map(String).join(' | ')}`)
    t.true(conn.isClosed)
  }
})

test('resetMidFrame() sends half a frame and resets: the call fails as a dropped connection', async (t) => {
  const { proxy, conn } = await proxied(t, server)
  proxy.resetMidFrame()
  await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError })
})

test('stopReading() stalls what the client sends; keepalive notices', async (t) => {
  const { proxy, conn } = await proxied(t, server, { keepaliveMs: 100 })
  proxy.stopReading()
  const lines = Array.from({ length: 100_000 }, (_, i) => `sr,g=1 v=${i}i,note="${'y'.repeat(60)}" ${1700000000000 + i}`)
  await t.throwsAsync(conn.schemalessInsert(lines, taos.SmlProtocol.LINE, taos.SmlPrecision.MILLI_SECONDS), { instanceOf: taos.ConnectionError })
})

test('bad arguments are ProgrammingErrors', async (t) => {
  const proxy = await TestProxy.start({ target: server })
  t.teardown(() => proxy.close())
  t.throws(() => proxy.delay(-1), { instanceOf: taos.ProgrammingError })
  t.throws(() => proxy.corrupt('json' as 'text'), { instanceOf: taos.ProgrammingError })
})
