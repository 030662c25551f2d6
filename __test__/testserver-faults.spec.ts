/**
 * `taosjs/testing` fault injection: what an application's own tests can do to the embedded
 * server — restart it, stop and start it, slow it down, drop its connections — and that the data
 * survives all of it.
 */
import test from 'ava'
import { connect as tcpConnect, type Socket } from 'node:net'
import { once } from 'node:events'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { open } from './helpers/server.js'

/**
 * A bare WebSocket upgrade on `/ws`: resolves with the socket once the server answered 101, and
 * records every byte that arrives afterwards (a close frame would be one).
 */
async function rawWebSocket(server: TestServer): Promise<{ socket: Socket; after: Buffer[]; ended: Promise<void> }> {
  const socket = tcpConnect(server.port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  const after: Buffer[] = []
  let head = ''
  await new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      if (head.includes('\r\n\r\n')) {
        after.push(chunk)
        return
      }
      head += chunk.toString('latin1')
      if (head.includes('\r\n\r\n')) {
        if (head.startsWith('HTTP/1.1 101')) resolve()
        else reject(new Error(head))
      }
    })
  })
  const ended = new Promise<void>((resolve) => {
    socket.on('close', () => resolve())
    socket.on('error', () => resolve())
  })
  return { socket, after, ended }
}

async function withRows(dsn: string, db: string): Promise<void> {
  const conn = await taos.connect(dsn)
  try {
    await conn.execute(`create database ${db}`)
    await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
    await conn.execute(`insert into ${db}.t values (1700000000000, 1) (1700000000001, 2)`)
  } finally {
    await conn.close()
  }
}

async function countRows(dsn: string, db: string): Promise<number> {
  const conn = await taos.connect(dsn)
  try {
    return Number((await (await conn.query(`select count(*) from ${db}.t`)).toArray())[0]![0])
  } finally {
    await conn.close()
  }
}

test('restart() drops every connection without a close frame, listens on the same port and keeps the data', async (t) => {
  await using server = await TestServer.start()
  const { port, dsn } = server
  await withRows(dsn, 'kept')
  const raw = await rawWebSocket(server)

  await server.restart()

  await raw.ended
  t.deepEqual(raw.after, [], 'nothing, not even a close frame, arrived before the socket closed')
  t.is(server.port, port)
  t.true(server.listening)
  t.is(await countRows(dsn, 'kept'), 2)
})

test('stop() refuses connections until start(); the data stays', async (t) => {
  await using server = await TestServer.start()
  await withRows(server.dsn, 'stopped')
  const raw = await rawWebSocket(server)

  await server.stop()
  await raw.ended
  t.false(server.listening)
  await t.throwsAsync(taos.connect(server.dsn), { instanceOf: taos.ConnectionError })
  await server.stop() // twice: nothing more happens

  await server.start()
  await server.start() // while listening: nothing happens
  t.true(server.listening)
  t.is(await countRows(server.dsn, 'stopped'), 2)
})

test('dropConnections() ends open connections and keeps serving new ones', async (t) => {
  await using server = await TestServer.start()
  const raw = await rawWebSocket(server)
  const conn = await open(t, server.dsn)
  t.is(await conn.execute('select 1'), 0)

  await server.dropConnections()

  await raw.ended
  t.deepEqual(raw.after, [])
  t.true(server.listening)
  const fresh = await open(t, server.dsn)
  t.is(await fresh.execute('select 1'), 0)
})

test('setLatency(ms) delays every reply; concurrent queries wait side by side', async (t) => {
  await using server = await TestServer.start()
  const conn = await open(t, server.dsn)
  t.is(server.latency, 0)
  server.setLatency(100)
  t.is(server.latency, 100)

  let started = performance.now()
  await (await conn.query('select 1')).toArray()
  const one = performance.now() - started
  t.true(one >= 100, `one query took ${one.toFixed(0)} ms`)

  // A query is several round trips; ten at once on one connection take about as long as one.
  started = performance.now()
  await Promise.all(Array.from({ length: 10 }, async (_, i) => (await conn.query(`select ${i}`)).toArray()))
  const ten = performance.now() - started
  t.true(ten < one * 2, `ten concurrent queries took ${ten.toFixed(0)} ms, one took ${one.toFixed(0)} ms`)

  server.setLatency(0)
  started = performance.now()
  await (await conn.query('select 1')).toArray()
  t.true(performance.now() - started < 100)
})

test('setLatency refuses what is not a number of milliseconds', async (t) => {
  await using server = await TestServer.start()
  for (const bad of [-1, Number.NaN, Infinity]) {
    t.throws(() => server.setLatency(bad), { instanceOf: taos.ProgrammingError, message: /latency.*got/ })
  }
  t.throws(() => server.setLatency('5' as unknown as number), { instanceOf: taos.ProgrammingError, message: /string/ })
  t.is(server.latency, 0)
})

test('after close(), fault injection says the server is closed', async (t) => {
  const server = await TestServer.start()
  await server.close()
  t.false(server.listening)
  await t.throwsAsync(server.restart(), { instanceOf: taos.InterfaceError, message: /closed/ })
  await t.throwsAsync(server.start(), { instanceOf: taos.InterfaceError, message: /closed/ })
})
