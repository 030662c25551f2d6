import test from 'ava'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

test('connect with a DSN and read the server version', async (t) => {
  const conn = await open(t, server().dsn)
  t.regex(await conn.serverVersion(), /^\d+\.\d+\.\d+\.\d+/)
})

test('connect with options overriding the DSN', async (t) => {
  const url = new URL(server().dsn.replace(/^ws/, 'http'))
  const conn = await open(t, `ws://nobody:wrong@${url.host}`, { user: 'root', password: 'taosdata' })
  t.is(await conn.execute('select 1'), 0)
})

test('TDENGINE_DSN is used when no DSN is given', async (t) => {
  const saved = process.env['TDENGINE_DSN']
  process.env['TDENGINE_DSN'] = server().dsn
  try {
    const conn = await taos.connect()
    t.teardown(() => conn.close())
    t.truthy(await conn.serverVersion())
  } finally {
    if (saved === undefined) delete process.env['TDENGINE_DSN']
    else process.env['TDENGINE_DSN'] = saved
  }
})

test('execute returns affected rows; query returns fields and rows', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('conn')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  t.is(await conn.execute(`insert into ${db}.t values (1700000000000, 1) (1700000000001, 2) (1700000000002, 3)`), 3)
  const result = await conn.query(`select ts, v from ${db}.t order by ts`)
  t.is(result.fieldCount, 2)
  t.deepEqual(
    result.fields.map((f) => [f.name, f.type, f.bytes]),
    [['ts', 9, 8], ['v', 4, 4]],
  )
  t.is(result.precision, 'ms')
  const rows = await result.toArray()
  t.deepEqual(rows.map((r) => r[1]), [1, 2, 3])
  t.deepEqual(rows[0]![0], new Date(1700000000000))
})

test('reqId is accepted as number and bigint', async (t) => {
  const conn = await open(t, server().dsn)
  t.is(await conn.execute('select 1', { reqId: 42 }), 0)
  t.is(await conn.execute('select 1', { reqId: 18059793636690493441n }), 0)
})

test('50 concurrent queries on one connection each get their own answer', async (t) => {
  const conn = await open(t, server().dsn)
  const answers = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => (await (await conn.query(`select ${i} + 1000`)).toArray())[0]![0]),
  )
  t.deepEqual(
    answers.map((v) => Number(v)),
    Array.from({ length: 50 }, (_, i) => i + 1000),
  )
})

test('await using closes the connection', async (t) => {
  let kept: taos.Connection | undefined
  {
    await using conn = await taos.connect(server().dsn)
    kept = conn
  }
  t.true(kept.isClosed)
  await t.throwsAsync(kept.query('select 1'), { instanceOf: taos.InterfaceError })
})

test('a second server can be started and closed with await using', async (t) => {
  let port = 0
  {
    await using other = await TestServer.start()
    port = other.port
    t.regex(other.url, /^ws:\/\/127\.0\.0\.1:\d+$/)
    const conn = await open(t, other.dsn)
    t.truthy(await conn.serverVersion())
  }
  await t.throwsAsync(taos.connect(`ws://root:taosdata@127.0.0.1:${port}`), { instanceOf: taos.ConnectionError })
})

test('taosws:// is accepted and several endpoints are tried in order', async (t) => {
  const { host } = new URL(server().dsn.replace(/^ws/, 'http'))
  const viaTaosws = await open(t, `taosws://root:taosdata@${host}`)
  t.truthy(await viaTaosws.serverVersion())
  const failover = await open(t, `ws://root:taosdata@127.0.0.1:1,${host}`)
  t.is(await failover.execute('select 1'), 0)
})

test('the database in the DSN becomes the current database', async (t) => {
  const { host } = new URL(server().dsn.replace(/^ws/, 'http'))
  const db = dbName('dsn_db')
  const setup = await open(t, server().dsn)
  await setup.execute(`create database if not exists ${db}`)
  await setup.execute(`create table if not exists ${db}.t (ts timestamp, v int)`)
  await setup.execute(`insert into ${db}.t values (1700000000000, 5)`)
  const conn = await open(t, `ws://root:taosdata@${host}/${db}`)
  t.deepEqual(await (await conn.query('select v from t')).toArray(), [[5]])
  const viaOption = await open(t, server().dsn, { database: db })
  t.deepEqual(await (await viaOption.query('select v from t')).toArray(), [[5]])
})

test('connect(options) without a DSN', async (t) => {
  const { hostname, port } = new URL(server().dsn.replace(/^ws/, 'http'))
  const conn = await taos.connect({ host: hostname, port: Number(port), user: 'root', password: 'taosdata' })
  t.teardown(() => conn.close())
  t.truthy(await conn.serverVersion())
})

test('TestServer options: accounts and small blocks', async (t) => {
  await using custom = await TestServer.start({ users: [{ user: 'alice', password: 'p@ss:word/1' }], blockRows: 7 })
  t.regex(custom.dsn, /^ws:\/\/alice:p%40ss%3Aword%2F1@127\.0\.0\.1:\d+$/)
  const conn = await open(t, custom.dsn)
  await conn.execute('create database small_blocks')
  await conn.execute('create table small_blocks.t (ts timestamp, v int)')
  await conn.execute(`insert into small_blocks.t values ${Array.from({ length: 100 }, (_, i) => `(${1700000000000 + i}, ${i})`).join(' ')}`)
  const rows = await (await conn.query('select v from small_blocks.t order by ts')).toArray()
  t.deepEqual(rows.map((r) => r[0]), Array.from({ length: 100 }, (_, i) => i))
  await t.throwsAsync(taos.connect(custom.url.replace('ws://', 'ws://root:taosdata@')), { instanceOf: taos.ConnectionError })
})

test('10 connections × 20 concurrent queries, all answered correctly', async (t) => {
  const conns = await Promise.all(Array.from({ length: 10 }, () => open(t, server().dsn)))
  const answers = await Promise.all(
    conns.flatMap((conn, c) =>
      Array.from({ length: 20 }, async (_, q) => Number((await (await conn.query(`select ${c * 100 + q}`)).toArray())[0]![0])),
    ),
  )
  t.deepEqual(answers, conns.flatMap((_, c) => Array.from({ length: 20 }, (_, q) => c * 100 + q)))
})
