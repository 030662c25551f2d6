import test from 'ava'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

test('a syntax error is a QueryError with code 0x2600', async (t) => {
  const conn = await open(t, server().dsn)
  const err = await t.throwsAsync(conn.query('selec 1'), { instanceOf: taos.QueryError })
  t.is(err!.errno, 0x2600)
  t.regex(err!.message, /syntax error/)
  t.true(err instanceof taos.ProgrammingError)
})

test('a missing table is a QueryError with code 0x2603', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('errs_db')
  await conn.execute(`create database if not exists ${db}`)
  const err = await t.throwsAsync(conn.query(`select * from ${db}.no_such_table`), { instanceOf: taos.QueryError })
  t.is(err!.errno, 0x2603)
  t.regex(err!.message, /Table does not exist/)
})

test('a missing database is a QueryError with code 904', async (t) => {
  const conn = await open(t, server().dsn)
  const err = await t.throwsAsync(conn.query('select * from no_such_db_x.t'), { instanceOf: taos.QueryError })
  t.is(err!.errno, 904)
})

test('a wrong password is a ConnectionError with code 855 that does not show the password', async (t) => {
  const url = new URL(server().dsn.replace(/^ws/, 'http'))
  const err = await t.throwsAsync(taos.connect(`ws://root:s3cr3t-pw@${url.host}`), { instanceOf: taos.ConnectionError })
  t.is(err!.errno, 855)
  t.false(err!.message.includes('s3cr3t-pw'))
})

test('nothing listening is a ConnectionError', async (t) => {
  const err = await t.throwsAsync(taos.connect('ws://root:taosdata@127.0.0.1:1'), { instanceOf: taos.ConnectionError })
  t.is(err!.errno, undefined)
})

test('a server that goes away fails pending and later calls with ConnectionError', async (t) => {
  const doomed = await TestServer.start()
  const conn = await taos.connect(doomed.dsn)
  t.teardown(() => conn.close())
  t.truthy(await conn.serverVersion())
  await doomed.close()
  await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError })
})

test('unsupported URL schemes and bad DSNs are reported, not thrown as crashes', async (t) => {
  const err = await t.throwsAsync(taos.connect('mysql://localhost:3306'), { instanceOf: taos.NotSupportedError })
  t.regex(err!.message, /`mysql` is not supported.*ws:\/\/.*http:\/\//)
  const bad = await t.throwsAsync(taos.connect('ws://root:pw@host:notaport'))
  t.true(bad instanceof taos.ProgrammingError)
  t.false(bad!.message.includes('pw@'))
})

test('a Rust panic inside the addon becomes an InternalError and the process lives on', async (t) => {
  const { loadNative } = await import('../src/load-native.js')
  const { callNative } = await import('../src/errors.js')
  const native = loadNative() as unknown as { __panicForTests(): Promise<void> }
  const err = await t.throwsAsync(callNative(() => native.__panicForTests()), { instanceOf: taos.InternalError })
  t.regex(err!.message, /deliberate test panic/)
  const conn = await open(t, server().dsn)
  t.is(await conn.execute('select 1'), 0)
})

test('a server that goes away in the middle of a stream fails the loop with ConnectionError', async (t) => {
  const doomed = await TestServer.start({ blockRows: 10 })
  const conn = await taos.connect(doomed.dsn)
  t.teardown(() => conn.close())
  await conn.execute('create database mid_stream')
  await conn.execute('create table mid_stream.t (ts timestamp, v int)')
  await conn.execute(`insert into mid_stream.t values ${Array.from({ length: 100 }, (_, i) => `(${1700000000000 + i}, ${i})`).join(' ')}`)
  const result = await conn.query('select v from mid_stream.t')
  let seen = 0
  const err = await t.throwsAsync(
    (async () => {
      for await (const _ of result) {
        if (++seen === 5) await doomed.close()
      }
    })(),
    { instanceOf: taos.ConnectionError },
  )
  t.truthy(err)
  // Blocks read ahead (by the native session and the stream) may have arrived before the server
  // went; they are delivered, whole, and then the loop fails.
  t.true(seen % 10 === 0 && seen >= 10 && seen <= 60, `the rows of the blocks already received are delivered (saw ${seen})`)
  t.true(result.closed)
})

test('connectTimeoutMs bounds a server that accepts TCP but never answers', async (t) => {
  const net = await import('node:net')
  const sockets: import('node:net').Socket[] = []
  const silent = net.createServer((s) => void sockets.push(s))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    sockets.forEach((s) => s.destroy())
    silent.close()
  })
  const { port } = silent.address() as import('node:net').AddressInfo
  const started = Date.now()
  const err = await t.throwsAsync(taos.connect(`ws://127.0.0.1:${port}`, { connectTimeoutMs: 300 }), { instanceOf: taos.ConnectionError })
  t.true(Date.now() - started < 5000)
  t.regex(err!.message, /no answer within/)
})

test('a CA that is not PEM is a ProgrammingError naming the option', async (t) => {
  await t.throwsAsync(taos.connect('wss://127.0.0.1:1', { ca: 'not a certificate' }), { instanceOf: taos.ProgrammingError, message: /PEM/ })
})

test('waiting on the network never blocks the event loop', async (t) => {
  // A server that accepts and never answers: the login waits until the server hangs up.
  const net = await import('node:net')
  const sockets: import('node:net').Socket[] = []
  let accepted!: () => void
  const acceptedOne = new Promise<void>((resolve) => (accepted = resolve))
  const silent = net.createServer((s) => {
    sockets.push(s)
    accepted()
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    sockets.forEach((s) => s.destroy())
    silent.close()
  })
  const { port } = silent.address() as import('node:net').AddressInfo
  let settled = false
  const connecting = taos.connect(`ws://127.0.0.1:${port}`, { connectTimeoutMs: 30_000, retries: 0 }).finally(() => (settled = true))
  connecting.catch(() => undefined)
  // The server, on this same event loop, accepts the socket; then 20 timer turns run while the
  // login waits. A wait that blocked the loop would let none of them run before it settled.
  await acceptedOne
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setTimeout(resolve, 10))
  t.false(settled, 'the login settled before the server answered or hung up')
  sockets.forEach((s) => s.destroy())
  await t.throwsAsync(connecting, { instanceOf: taos.ConnectionError })
})
