/** The pool against the embedded server (or a real TDengine with TDENGINE_DSN). */
import test from 'ava'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { dbName, open, useServer } from './helpers/server.js'
import { next } from './helpers/until.js'

const server = useServer(test)

test('200 concurrent queries through a pool of 4: every answer right, never more than 4 connections', async (t) => {
  await using pool = taos.createPool({ dsn: server().dsn, max: 4 })
  let opened = 0
  let peak = 0
  pool.on('connect', () => opened++)
  pool.on('acquire', () => (peak = Math.max(peak, pool.total)))
  const answers = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const result = await pool.query(`select ${i} + 1000`)
      return (await result.toArray())[0]![0]
    }),
  )
  t.deepEqual(answers, Array.from({ length: 200 }, (_, i) => i + 1000))
  t.true(opened <= 4 && peak <= 4, `opened ${opened}, peak ${peak}`)
  t.deepEqual([pool.waiting, pool.idle], [0, pool.total])
})

test('a lease runs statements, stmt2 and cursors on one connection; await using releases it', async (t) => {
  const db = dbName('pool')
  const admin = await open(t, server().dsn)
  await admin.execute(`create database ${db}`)
  t.teardown(() => admin.execute(`drop database if exists ${db}`).then(() => undefined))
  await using pool = taos.createPool({ dsn: server().dsn, max: 2 })
  {
    await using lease = await pool.connect()
    await lease.execute(`use ${db}`)
    await lease.execute('create table t (ts timestamp, v int)')
    await using stmt = await lease.statement2('insert into t values (?, ?)')
    await stmt.bindParam(null, null, [[[1_700_000_000_000, 1_700_000_000_001], [1, 2]]])
    t.is(await stmt.execute(), 2)
    const cursor = lease.cursor()
    await cursor.execute('select v from t order by ts')
    t.deepEqual(await cursor.fetchall(), [[1], [2]])
  }
  t.is(pool.idle, pool.total)
  const rows = await (await pool.query(`select count(*) from ${db}.t`)).toArray()
  t.is(Number(rows[0]![0]), 2)
})

test('a connection closed under the pool is replaced; a query error keeps the connection', async (t) => {
  await using pool = taos.createPool({ dsn: server().dsn, max: 1 })
  const first = await pool.connect()
  const broken = first.connection
  await broken.close()
  first.release()
  t.is(pool.total, 0)
  await t.throwsAsync(pool.query('select * from no_such_db.no_such_table'), { instanceOf: taos.ProgrammingError })
  const lease = await pool.connect()
  t.not(lease.connection, broken)
  t.false(lease.connection.isClosed)
  lease.release()
  t.deepEqual([pool.total, pool.idle], [1, 1])
})

test('a pool of a server that is not there rejects the caller with a ConnectionError, quickly', async (t) => {
  const url = new URL(server().dsn.replace(/^ws/, 'http'))
  // A port nobody listens on: the server's port + 1 is not reliably free, so use port 9 (discard).
  await using pool = taos.createPool({ dsn: `ws://root:taosdata@${url.hostname}:9`, connectTimeoutMs: 2000 })
  const started = Date.now()
  await t.throwsAsync(pool.execute('select 1'), { instanceOf: taos.ConnectionError })
  t.true(Date.now() - started < 2500)
  t.is(pool.total, 0)
})

test('a pool outlives a server restart: the connections it dropped are replaced (or come back) and every later query is answered', async (t) => {
  await using own = await TestServer.start()
  await using pool = taos.createPool({ dsn: own.dsn, max: 3 })
  const connections: taos.Connection[] = []
  pool.on('connect', (c) => connections.push(c))
  await Promise.all(Array.from({ length: 3 }, () => pool.execute('select 1')))
  t.is(pool.total, 3)
  // Each connection notices the dropped socket: it reconnects, or closes and leaves the pool.
  const noticed = connections.map((c) => Promise.race([next(c, 'reconnected'), next(c, 'close')]))
  await own.restart()
  await Promise.all(noticed)
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => Number((await (await pool.query(`select ${i}`)).toArray())[0]![0])))
  t.deepEqual(answers, Array.from({ length: 20 }, (_, i) => i))
  t.true(pool.total <= 3)
})

test('setLatency: 100 concurrent queries through a pool of 4 all succeed, never more than 4 connections', async (t) => {
  await using own = await TestServer.start()
  own.setLatency(5)
  await using pool = taos.createPool({ dsn: own.dsn, max: 4 })
  let peak = 0
  pool.on('acquire', () => (peak = Math.max(peak, pool.total)))
  const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) => Number((await (await pool.query(`select ${i}`)).toArray())[0]![0])))
  t.deepEqual(answers, Array.from({ length: 100 }, (_, i) => i))
  t.true(peak <= 4, `peak ${peak}`)
})
