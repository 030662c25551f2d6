/**
 * The pool as a specification, against the fake addon: sizes, the first come, first served queue,
 * timeouts, leases, broken connections, end(). (pool.spec.ts runs it against the embedded server.)
 */
import test from 'ava'
import { once } from 'node:events'
import { mock } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import * as taos from '../src/index.js'
import { EventEmitter } from '../src/emitter.js'
import { createPoolWith, type PoolOptions } from '../src/pool.js'
import type { NativeConnectOptions, NativeConnection } from '../src/native.js'
import { FakeNative, field, type FakeConnection } from './helpers/fake-native.js'
import { next, until } from './helpers/until.js'

/** A fake addon whose connects take `delayMs`. */
class SlowNative extends FakeNative {
  delayMs = 0
  override async connect(dsn: string | null | undefined, options: NativeConnectOptions): Promise<NativeConnection> {
    if (this.delayMs > 0) await sleep(this.delayMs)
    return super.connect(dsn, options)
  }
}

function poolOn(native: FakeNative, options: PoolOptions = {}) {
  return createPoolWith(() => native, { dsn: 'ws://fake:6041', ...options })
}

/** The fake connection behind a lease (leases hand out the facade's Connection). */
function fakeOf(native: FakeNative, index: number): FakeConnection {
  return native.connections[index]!
}

test('bad options are ProgrammingErrors naming the option, before any connection opens', (t) => {
  const native = new FakeNative()
  const cases: Array<[PoolOptions | unknown, RegExp]> = [
    [{ max: -1 }, /option max .* got -1/],
    [{ max: 0 }, /option max/],
    [{ max: 'ten' }, /option max .* got string "ten"/],
    [{ max: 2.5 }, /option max .* got 2\.5/],
    [{ max: NaN }, /option max .* got NaN/],
    [{ min: -1 }, /option min/],
    [{ min: 5, max: 2 }, /option min \(5\) must not exceed max \(2\)/],
    [{ idleTimeoutMs: -5 }, /option idleTimeoutMs .* got -5/],
    [{ acquireTimeoutMs: 0 }, /option acquireTimeoutMs .* got 0/],
    [{ acquireTimeoutMs: Infinity }, /option acquireTimeoutMs/],
    [{ maxLifetimeMs: '1000' }, /option maxLifetimeMs .* got string "1000"/],
    [{ dsn: 42 }, /option dsn must be a string/],
    [{ signal: AbortSignal.timeout(10) }, /option signal is not a pool option/],
    [{ connectTimeoutMs: -1 }, /connectTimeoutMs/],
    [{ maxConnections: 4 }, /unknown connection option maxConnections/],
    ['ws://localhost:6041', /pool options must be an object/],
  ]
  for (const [options, message] of cases) {
    const err = t.throws(() => createPoolWith(() => native, options as PoolOptions), { message }, JSON.stringify(options))
    t.true(err instanceof taos.ProgrammingError, `${JSON.stringify(options)}: ${err?.constructor.name}`)
  }
  t.is(native.connectCalls.length, 0)
})

test('connections open on demand, up to max; total, idle and waiting count them', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 2 })
  t.teardown(() => pool.end())
  t.deepEqual([pool.total, pool.idle, pool.waiting], [0, 0, 0])
  const a = await pool.connect()
  const b = await pool.connect()
  t.deepEqual([pool.total, pool.idle, pool.waiting], [2, 0, 0])
  const c = pool.connect()
  // A caller is queued at once.
  t.deepEqual([pool.total, pool.idle, pool.waiting], [2, 0, 1])
  a.release()
  const lease = await c
  t.deepEqual([pool.total, pool.idle, pool.waiting], [2, 0, 0])
  lease.release()
  b.release()
  t.deepEqual([pool.total, pool.idle, pool.waiting], [2, 2, 0])
  t.is(native.connections.length, 2, 'the released connections were reused')
})

test('waiting callers are served first come, first served; a newcomer queues behind them', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 1 })
  t.teardown(() => pool.end())
  const order: string[] = []
  const first = await pool.connect()
  const waiting = ['b', 'c', 'd'].map((name) =>
    pool.connect().then((lease) => {
      order.push(name)
      return lease
    }),
  )
  t.is(pool.waiting, 3, 'queued at once')
  first.release()
  const b = await waiting[0]!
  // Released while c and d wait: e, arriving now, must not overtake them.
  b.release()
  const e = pool.connect().then((lease) => {
    order.push('e')
    return lease
  })
  ;(await waiting[1]!).release()
  ;(await waiting[2]!).release()
  ;(await e).release()
  t.deepEqual(order, ['b', 'c', 'd', 'e'])
  t.is(native.connections.length, 1)
})

test('a connection that opens late goes to the oldest waiter, whoever asked for it', async (t) => {
  const native = new SlowNative()
  native.delayMs = 40
  const pool = poolOn(native, { max: 2 })
  t.teardown(() => pool.end())
  const a = await pool.connect() // opens connection 0 (40 ms)
  const order: string[] = []
  const b = pool.connect().then((l) => (order.push('b'), l)) // opens connection 1 (40 ms)
  const c = pool.connect().then((l) => (order.push('c'), l)) // max reached: waits
  a.release() // connection 0 goes to b at once, connection 1 to c when it opens
  const [lb, lc] = await Promise.all([b, c])
  t.deepEqual(order, ['b', 'c'])
  t.not(lb.connection, lc.connection)
  lb.release()
  lc.release()
})

test('acquire times out with a TimeoutError naming the limit; the connection then goes idle, not to the caller that gave up', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 1, acquireTimeoutMs: 30 })
  t.teardown(() => pool.end())
  const held = await pool.connect()
  const started = Date.now()
  const err = await t.throwsAsync(pool.connect(), { instanceOf: taos.TimeoutError, message: /within 30 ms \(max 1: 1 leased, 0 opening\)/ })
  t.true(err instanceof taos.OperationalError)
  t.is(err!.name, 'TimeoutError')
  t.true(Date.now() - started >= 25)
  t.is(pool.waiting, 0)
  // A per-call timeout overrides the pool's.
  await t.throwsAsync(pool.connect({ timeoutMs: 5 }), { instanceOf: taos.TimeoutError, message: /within 5 ms/ })
  held.release()
  t.deepEqual([pool.total, pool.idle, pool.waiting], [1, 1, 0])
})

test('an abort signal stops the wait with an AbortError; an aborted signal rejects at once', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 1 })
  t.teardown(() => pool.end())
  const held = await pool.connect()
  const controller = new AbortController()
  const waiting = pool.connect({ signal: controller.signal })
  t.is(pool.waiting, 1)
  controller.abort(new Error('user gave up'))
  const err = await t.throwsAsync(waiting, { instanceOf: taos.AbortError })
  t.true(err instanceof taos.OperationalError)
  t.is(pool.waiting, 0)
  held.release()
  await t.throwsAsync(pool.connect({ signal: AbortSignal.abort() }), { instanceOf: taos.AbortError })
  await t.throwsAsync(pool.connect({ signal: 'stop' as unknown as AbortSignal }), { instanceOf: taos.ProgrammingError, message: /option signal/ })
  await t.throwsAsync(pool.connect({ timeoutMs: -1 }), { instanceOf: taos.ProgrammingError, message: /option timeoutMs/ })
  t.is(pool.total, 1)
})

test('a lease released twice throws, and changes nothing; after release every method refuses', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 2 })
  t.teardown(() => pool.end())
  const lease = await pool.connect()
  lease.release()
  t.true(lease.isReleased)
  t.throws(() => lease.release(), { instanceOf: taos.InterfaceError, message: /already released/ })
  t.deepEqual([pool.total, pool.idle], [1, 1])
  t.throws(() => lease.connection, { instanceOf: taos.InterfaceError, message: /released/ })
  await t.throwsAsync(lease.query('select 1'), { instanceOf: taos.InterfaceError })
  await t.throwsAsync(lease.execute('select 1'), { instanceOf: taos.InterfaceError })
  await t.throwsAsync(lease.statement2(), { instanceOf: taos.InterfaceError })
  t.throws(() => lease.cursor(), { instanceOf: taos.InterfaceError })
  // `await using` after an explicit release is fine.
  await lease[Symbol.asyncDispose]()
  // The connection went back once: two leases now get two different connections.
  const a = await pool.connect()
  const b = await pool.connect()
  t.not(a.connection, b.connection)
  a.release()
  b.release()
})

test('await using releases the lease', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native)
  t.teardown(() => pool.end())
  {
    await using lease = await pool.connect()
    t.is(await lease.execute('insert 1'), 0)
    t.is(pool.idle, 0)
  }
  t.is(pool.idle, 1)
})

test('a broken connection is discarded at release and replaced for the next caller', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 1 })
  t.teardown(() => pool.end())
  const removed: taos.Connection[] = []
  pool.on('remove', (c) => removed.push(c))
  const lease = await pool.connect()
  const broken = lease.connection
  fakeOf(native, 0).gone = true // the server went away for good
  lease.release()
  t.deepEqual(removed, [broken])
  t.deepEqual([pool.total, pool.idle], [0, 0])
  t.true(fakeOf(native, 0).closed, 'the pool closed it')
  const next = await pool.connect()
  t.not(next.connection, broken)
  t.false(next.connection.isClosed)
  next.release()
})

test('an idle connection that broke is skipped: the caller gets a working one', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 2 })
  t.teardown(() => pool.end())
  const a = await pool.connect()
  const b = await pool.connect()
  a.release()
  b.release()
  fakeOf(native, 1).gone = true // the most recently released one, first in line
  const lease = await pool.connect()
  t.false(lease.connection.isClosed)
  t.deepEqual([pool.total, pool.idle], [1, 0])
  lease.release()
})

test('release(error) discards the connection; a waiter gets a new one', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 1 })
  t.teardown(() => pool.end())
  const lease = await pool.connect()
  const first = lease.connection
  const waiting = pool.connect()
  lease.release(new Error('the session is in a state I cannot trust'))
  const next = await waiting
  t.not(next.connection, first)
  t.is(native.connections.length, 2)
  t.true(fakeOf(native, 0).closed)
  next.release()
})

test('a connection that cannot open rejects the caller waiting for it with the ConnectionError', async (t) => {
  const native = new FakeNative()
  native.connectError = new Error('ConnectionError: [0x0357] Authentication failure')
  const pool = poolOn(native, { max: 2 })
  t.teardown(() => pool.end())
  const err = await t.throwsAsync(pool.connect(), { instanceOf: taos.ConnectionError })
  t.is(err!.errno, 0x357)
  t.deepEqual([pool.total, pool.waiting], [0, 0])
  native.connectError = undefined
  ;(await pool.connect()).release()
  t.is(pool.total, 1)
})

test('min connections open at creation, are reopened when discarded, and outlive the idle timeout', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { min: 2, max: 4, idleTimeoutMs: 20 })
  t.teardown(() => pool.end())
  await until(() => pool.idle === 2, 'min connections are open')
  t.deepEqual([pool.total, pool.idle], [2, 2])
  const leases = await Promise.all([1, 2, 3].map(() => pool.connect()))
  t.is(pool.total, 3)
  const removed = next(pool, 'remove')
  for (const l of leases) l.release()
  await removed
  t.deepEqual([pool.total, pool.idle], [2, 2], 'the idle timeout closed down to min, no further')
  const lease = await pool.connect()
  lease.release(true)
  await until(() => pool.idle === 2, 'the discarded connection is replaced')
  t.deepEqual([pool.total, pool.idle], [2, 2], 'a discarded connection is replaced to keep min')
})

test('a failure keeping min connections open goes to error listeners', async (t) => {
  const native = new FakeNative()
  native.connectError = new Error('ConnectionError: connection refused')
  const errors: Error[] = []
  const pool = poolOn(native, { min: 1 })
  pool.on('error', (e) => errors.push(e))
  t.teardown(() => pool.end())
  await until(() => errors.length > 0, 'an error is reported')
  t.is(errors.length, 1)
  t.true(errors[0] instanceof taos.ConnectionError)
  t.is(pool.total, 0)
})

test('idle connections close after idleTimeoutMs; 0 keeps them', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { idleTimeoutMs: 20 })
  t.teardown(() => pool.end())
  const keeping = poolOn(native, { idleTimeoutMs: 0 })
  t.teardown(() => keeping.end())
  const lease = await pool.connect()
  const kept = await keeping.connect()
  kept.release()
  const removed = next(pool, 'remove')
  lease.release()
  t.is(pool.idle, 1)
  await removed
  t.deepEqual([pool.total, pool.idle], [0, 0])
  t.true(fakeOf(native, 0).closed)
  t.is(keeping.idle, 1, 'idle for longer than the other pool\'s 20 ms, and kept')
})

test.serial('a connection older than maxLifetimeMs is closed when idle and is not handed out again', async (t) => {
  // The pool's timers run on a mock clock: time passes when the spec says so (serial: no other
  // spec of this file runs meanwhile).
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  const native = new FakeNative()
  const pool = poolOn(native, { maxLifetimeMs: 30 })
  t.teardown(() => pool.end())
  const lease = await pool.connect()
  mock.timers.tick(50)
  t.is(pool.total, 1, 'a leased connection is not closed under its user')
  lease.release()
  t.deepEqual([pool.total, pool.idle], [0, 0], 'closed at release')
  ;(await pool.connect()).release()
  t.is(pool.idle, 1)
  mock.timers.tick(29)
  t.is(pool.idle, 1, 'not before its lifetime')
  mock.timers.tick(1)
  t.deepEqual([pool.total, pool.idle], [0, 0], 'closed while idle')
  t.is(native.connections.filter((c) => c.closed).length, 2)
})

test('end(): idle connections close at once, leased ones when released; end() resolves after that', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 2 })
  const idle = await pool.connect()
  const leased = await pool.connect()
  idle.release()
  const ending = pool.end()
  t.true(fakeOf(native, 0).closed, 'the idle connection closed at once')
  t.false(fakeOf(native, 1).closed, 'the leased one is still in use')
  t.true(pool.ended)
  await t.throwsAsync(pool.connect(), { instanceOf: taos.InterfaceError, message: /ended/ })
  await t.throwsAsync(pool.query('select 1'), { instanceOf: taos.InterfaceError })
  let ended = false
  void ending.then(() => (ended = true))
  t.is(await leased.execute('insert 1'), 0, 'a lease keeps working until released')
  // Everything runnable has run (an immediate comes after pending promise callbacks).
  await new Promise((resolve) => setImmediate(resolve))
  t.false(ended)
  leased.release()
  await ending
  t.true(fakeOf(native, 1).closed)
  t.is(pool.total, 0)
  t.is(pool.end(), ending, 'end() again returns the same promise')
})

test('end(): callers waiting for a connection are refused', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { max: 1 })
  const lease = await pool.connect()
  const waiter = pool.connect()
  t.is(pool.waiting, 1)
  const ending = pool.end()
  await t.throwsAsync(waiter, { instanceOf: taos.InterfaceError, message: /the pool is ending/ })
  t.is(pool.waiting, 0)
  lease.release()
  await ending
})

test('end({ timeoutMs }) closes connections still leased after the timeout', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native)
  const lease = await pool.connect()
  const started = Date.now()
  await pool.end({ timeoutMs: 30 })
  t.true(Date.now() - started >= 25)
  t.true(fakeOf(native, 0).closed)
  await t.throwsAsync(lease.execute('insert 1'), { instanceOf: taos.InterfaceError, message: /closed/ })
  t.notThrows(() => lease.release(), 'releasing after the forced close is harmless')
})

test('end() waits for a connection still being opened and closes it', async (t) => {
  const native = new SlowNative()
  native.delayMs = 30
  const pool = poolOn(native)
  const pending = pool.connect()
  await pool.end()
  await t.throwsAsync(pending, { instanceOf: taos.InterfaceError })
  t.true(fakeOf(native, 0).closed)
})

test('pool.execute leases for the call only; pool.query keeps the lease until the rows are read', async (t) => {
  const native = new FakeNative((sql) =>
    sql.startsWith('select') ? { columns: [{ field: field('v', 4, 4), values: [1, 2, 3, 4, 5, 6, 7] }] } : { affectedRows: 2 },
  )
  const pool = poolOn(native, { max: 1 })
  t.teardown(() => pool.end())
  t.is(await pool.execute('insert …'), 2)
  t.is(pool.idle, 1)
  const write = await pool.query('insert …')
  t.is(write.affectedRows, 2)
  t.is(pool.idle, 1, 'a result without rows holds nothing')

  const result = await pool.query('select v')
  t.is(pool.idle, 0, 'leased while the result streams')
  t.deepEqual((await result.toArray()).map((r) => r[0]), [1, 2, 3, 4, 5, 6, 7])
  t.is(pool.idle, 1, 'returned once the rows are read')

  const closedEarly = await pool.query('select v')
  for await (const _ of closedEarly) break
  t.is(pool.idle, 1, 'returned when the loop breaks')

  const err = new Error('QueryError: [0x2600] syntax error')
  native.answer = () => err
  await t.throwsAsync(pool.query('selec'), { instanceOf: taos.QueryError })
  await t.throwsAsync(pool.execute('selec'), { instanceOf: taos.QueryError })
  t.deepEqual([pool.total, pool.idle], [1, 1], 'an SQL error leaves the connection in the pool')
})

test('a pool.query result dropped unread returns its connection when it is garbage-collected', async (t) => {
  if (typeof globalThis.gc !== 'function') return t.pass('needs --expose-gc')
  const native = new FakeNative(() => ({ columns: [{ field: field('v', 4, 4), values: [1, 2, 3, 4, 5, 6, 7] }] }))
  const pool = poolOn(native, { max: 1 })
  t.teardown(() => pool.end())
  await (async () => {
    await pool.query('select v') // never read
  })()
  t.is(pool.idle, 0)
  // Finalizers run after a collection, on a later turn of the event loop.
  await until(() => (globalThis.gc!(), pool.idle === 1), 'the result is collected and its lease returned')
  t.is(pool.idle, 1)
})

test('events: connect, acquire, release, remove', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native)
  const seen: string[] = []
  for (const name of ['connect', 'acquire', 'release', 'remove'] as const) pool.on(name, () => seen.push(name))
  const lease = await pool.connect()
  lease.release()
  await pool.end()
  t.deepEqual(seen, ['connect', 'acquire', 'release', 'remove'])
})

test('the pool is the emitter every runtime has (no node:events), and node:events once() still works with it', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native)
  t.true(pool instanceof EventEmitter, 'the emitter of src/emitter.ts, which the browser build has')
  const connected = once(pool, 'connect')
  const lease = await pool.connect()
  t.is((await connected)[0], lease.connection)
  lease.release()
  await pool.end()
  // 'error' with nobody listening is thrown, as by Node.js's EventEmitter.
  t.throws(() => pool.emit('error', new Error('nobody listens')), { message: 'nobody listens' })
})

test('a pool opens its connections through a module loaded asynchronously (the WebAssembly build of the browser entry)', async (t) => {
  const native = new FakeNative()
  let loads = 0
  const pool = createPoolWith(
    async () => {
      loads++
      await sleep(5)
      return native
    },
    { dsn: 'ws://fake:6041', max: 2 },
  )
  t.teardown(() => pool.end())
  t.is(loads, 0, 'nothing is loaded before the first connection')
  const [a, b] = await Promise.all([pool.connect(), pool.connect()])
  t.not(a.connection, b.connection)
  t.is(native.connections.length, 2)
  a.release()
  b.release()
})

test('connection options reach every connection the pool opens', async (t) => {
  const native = new FakeNative()
  const pool = poolOn(native, { database: 'power', timezone: 'UTC', connectTimeoutMs: 1500 })
  t.teardown(() => pool.end())
  ;(await pool.connect()).release()
  t.deepEqual(native.connectCalls[0], { dsn: 'ws://fake:6041', options: { database: 'power', timezone: 'UTC', connectTimeoutMs: 1500 } })
})
