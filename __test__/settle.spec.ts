/**
 * No call waits forever. Every public async method of the package is listed below with a way to
 * call it; each one is started through a TestProxy, and while its answer is on the way the
 * server vanishes, goes silent, stops reading, or sends garbage. Every call must settle within a
 * bound (keepalive 200 ms where only silence can tell: a silent peer is dead within 600 ms; a
 * dropped socket and garbage must be noticed without it), with a taos error if it fails.
 * A spec at the end checks that the list covers every async method the classes have, so a new
 * method cannot be added without being listed here.
 */
import test, { type ExecutionContext } from 'ava'
import * as taos from '../src/index.js'
import { TestProxy, TestServer } from '../src/testing.js'
import { dbName } from './helpers/server.js'

let server: TestServer
let db: string

test.before(async () => {
  server = await TestServer.start()
  const conn = await taos.connect(server.dsn)
  db = dbName('settle')
  await conn.execute(`create database ${db}`)
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  await conn.execute(`create stable ${db}.st (ts timestamp, v int) tags (g int)`)
  await conn.execute(`insert into ${db}.t values (1700000000000, 1) (1700000000001, 2) (1700000000002, 3)`)
  await conn.close()
})
test.after.always(() => server.close())

/** A connection through a proxy, with keepalive short enough for the bound where it is needed. */
interface Rig {
  proxy: TestProxy
  conn: taos.Connection
  dsn: string
  /** The options `conn` was opened with. */
  options: taos.ConnectOptions
}

const OPTIONS: taos.ConnectOptions = { keepaliveMs: 200, connectTimeoutMs: 1_000, requestTimeoutMs: 60_000, retries: 0 }

/** Prepares what a method needs (on a healthy connection) and returns the call to make. */
type Setup = (rig: Rig) => Promise<() => Promise<unknown>>

async function executedCursor(rig: Rig): Promise<taos.Cursor> {
  const cursor = rig.conn.cursor()
  await cursor.execute(`select * from ${db}.t`)
  return cursor
}

async function stmt2(rig: Rig, sql = `insert into ${db}.t values (?, ?)`): Promise<taos.Stmt2> {
  return rig.conn.statement2(sql)
}

async function stmtV1(rig: Rig, upTo: 'prepare' | 'table' | 'tags' | 'bind' | 'batch'): Promise<taos.Stmt> {
  const stmt = await rig.conn.statement()
  if (upTo === 'prepare') return stmt
  await stmt.prepare(`insert into ? using ${db}.st tags (?) values (?, ?)`)
  if (upTo === 'table') return stmt
  await stmt.setTbname('d1')
  if (upTo === 'tags') return stmt
  await stmt.setTags([1])
  if (upTo === 'bind') return stmt
  await stmt.bindParam([[1700000000000], [1]])
  return stmt
}

/**
 * The first Arrow call of the process loads apache-arrow (seconds on a loaded machine): that load
 * is not under test, so it happens during setup, on the healthy connection.
 */
async function loadArrow(conn: taos.Connection): Promise<void> {
  await (await conn.query(`select * from ${db}.t`)).toArrow()
}

/** Every public async method, by `Class.method`, with how to call it. */
const METHODS: Record<string, Setup> = {
  connect: async (rig) => () => taos.connect(rig.dsn, rig.options).then((c) => c.close()),
  'Connection.execute': async ({ conn }) => () => conn.execute(`insert into ${db}.t values (1700000000010, 10)`),
  'Connection.query': async ({ conn }) => () => conn.query(`select * from ${db}.t`),
  'Connection.statement2': async ({ conn }) => () => conn.statement2(`insert into ${db}.t values (?, ?)`),
  'Connection.statement': async ({ conn }) => () => conn.statement(),
  'Connection.schemalessInsert': async ({ conn }) => () =>
    conn.schemalessInsert([`sml,g=1 v=1i 1700000000000`], taos.SmlProtocol.LINE, taos.SmlPrecision.MILLI_SECONDS),
  'Connection.close': async ({ conn }) => () => conn.close(),
  'Connection[Symbol.asyncDispose]': async ({ conn }) => () => conn[Symbol.asyncDispose](),
  'Cursor.execute': async ({ conn }) => () => conn.cursor().execute(`select * from ${db}.t`),
  'Cursor.executemany': async ({ conn }) => () => conn.cursor().executemany(`insert into ${db}.t values (?, ?)`, [[1700000000020, 20]]),
  'Cursor.fetchone': async (rig) => {
    const c = await executedCursor(rig)
    return () => c.fetchone()
  },
  'Cursor.fetchmany': async (rig) => {
    const c = await executedCursor(rig)
    return () => c.fetchmany(2)
  },
  'Cursor.fetchall': async (rig) => {
    const c = await executedCursor(rig)
    return () => c.fetchall()
  },
  'Cursor[Symbol.asyncIterator]': async (rig) => {
    const c = await executedCursor(rig)
    return () => c[Symbol.asyncIterator]().next()
  },
  'TaosResult.toArray': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.toArray()
  },
  'TaosResult.fetchAllIntoDict': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.fetchAllIntoDict()
  },
  'TaosResult[Symbol.asyncIterator]': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r[Symbol.asyncIterator]().next()
  },
  'TaosResult.rows': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.rows()[Symbol.asyncIterator]().next()
  },
  'TaosResult.blocks': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.blocks()[Symbol.asyncIterator]().next()
  },
  'TaosResult.rowBatches': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.rowBatches()[Symbol.asyncIterator]().next()
  },
  'TaosResult.toColumns': async ({ conn }) => {
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.toColumns()
  },
  'TaosResult.toArrow': async ({ conn }) => {
    await loadArrow(conn)
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.toArrow()
  },
  'TaosResult.arrowBatches': async ({ conn }) => {
    await loadArrow(conn)
    const r = await conn.query(`select * from ${db}.t`)
    return () => r.arrowBatches()[Symbol.asyncIterator]().next()
  },
  'Stmt2.prepare': async (rig) => {
    const s = await rig.conn.statement2()
    return () => s.prepare(`insert into ${db}.t values (?, ?)`)
  },
  'Stmt2.bindParam': async (rig) => {
    const s = await stmt2(rig)
    return () => s.bindParam(null, null, [[[1700000000030], [30]]])
  },
  'Stmt2.bindParamWithTables': async (rig) => {
    const s = await stmt2(rig)
    return () => s.bindParamWithTables([{ columns: [[1700000000031], [31]] }])
  },
  'Stmt2.bindParams': async (rig) => {
    const s = await stmt2(rig, `select * from ${db}.t where v > ?`)
    return () => s.bindParams([0])
  },
  'Stmt2.execute': async (rig) => {
    const s = await stmt2(rig)
    await s.bindParam(null, null, [[[1700000000032], [32]]])
    return () => s.execute()
  },
  'Stmt2.result': async (rig) => {
    const s = await stmt2(rig, `select * from ${db}.t where v > ?`)
    await s.bindParams([0])
    await s.execute()
    return () => s.result()
  },
  'Stmt2.close': async (rig) => {
    const s = await stmt2(rig)
    return () => s.close()
  },
  'Stmt2[Symbol.asyncDispose]': async (rig) => {
    const s = await stmt2(rig)
    return () => s[Symbol.asyncDispose]()
  },
  'Stmt.prepare': async (rig) => {
    const s = await stmtV1(rig, 'prepare')
    return () => s.prepare(`insert into ? using ${db}.st tags (?) values (?, ?)`)
  },
  'Stmt.setTbname': async (rig) => {
    const s = await stmtV1(rig, 'table')
    return () => s.setTbname('d1')
  },
  'Stmt.setTags': async (rig) => {
    const s = await stmtV1(rig, 'tags')
    return () => s.setTags([1])
  },
  'Stmt.bindParam': async (rig) => {
    const s = await stmtV1(rig, 'bind')
    return () => s.bindParam([[1700000000040], [40]])
  },
  'Stmt.addBatch': async (rig) => {
    const s = await stmtV1(rig, 'batch')
    return () => s.addBatch()
  },
  'Stmt.execute': async (rig) => {
    const s = await stmtV1(rig, 'batch')
    return () => s.execute()
  },
  'Stmt.result': async (rig) => {
    const s = await rig.conn.statement()
    await s.prepare(`select * from ${db}.t where v > ?`)
    await s.bindParam([0])
    await s.execute()
    return () => s.result()
  },
  'Stmt.close': async (rig) => {
    const s = await stmtV1(rig, 'prepare')
    return () => s.close()
  },
  'Stmt[Symbol.asyncDispose]': async (rig) => {
    const s = await stmtV1(rig, 'prepare')
    return () => s[Symbol.asyncDispose]()
  },
}

/** Async functions on the classes that need no server, or are parts of the methods above. */
const NOT_CALLS: Record<string, string> = {
  'Connection.serverVersion': 'answered from what the login reported',
  'Connection.commit': 'TDengine has no transactions: no I/O',
  'Connection.rollback': 'always refused, no I/O',
  'Connection.runStatement': 'internal: the body of execute/query/cursor.execute',
  'Connection.runPrepared': 'internal: the body of cursor.execute(sql, params)/executemany',
  'Connection.prepared': 'internal: part of runPrepared',
  'Cursor.callproc': 'always refused, no I/O',
  'Cursor.nextset': 'always refused, no I/O',
  'Cursor.close': 'frees locally (the free is sent, nothing is awaited)',
  'Cursor[Symbol.asyncDispose]': 'the same as close',
  'TaosResult.close': 'frees locally (the free is sent, nothing is awaited)',
  'TaosResult[Symbol.asyncDispose]': 'the same as close',
  'Stmt2.bindQueryColumns': 'internal: part of bindParam/bindParamWithTables',
  'Stmt2.send': 'internal: part of every bind',
}

const FAULTS = {
  /** The server vanishes: every connection drops. */
  vanishes: (p: TestProxy) => p.cut(),
  /** The server goes silent: nothing arrives any more, not even pongs. */
  'goes silent': (p: TestProxy) => p.blackhole(),
  /** The server stops reading what the client sends. */
  'stops reading': (p: TestProxy) => p.stopReading(),
  /** The answer on its way is garbage. */
  'sends garbage': (p: TestProxy) => p.corrupt(),
} as const

/**
 * Faults the client can only notice by the silence that follows: keepalive must end their calls.
 * The others (a dropped socket, garbage) must be noticed from what arrives, so their rigs run
 * without keepalive: a call that settled only through keepalive would fail them, and a loaded
 * machine (the proxy shares the test's event loop) cannot fail a healthy rig's setup by a late
 * pong.
 */
const SILENT_FAULTS: ReadonlySet<keyof typeof FAULTS> = new Set(['goes silent', 'stops reading'])

/**
 * Silence is noticed within 3 keepalive intervals, a silent login at connectTimeoutMs, the
 * goodbye of a close within 2 s: 3 s, doubled for a loaded machine (timers fire late there).
 */
const BOUND_MS = 6_000

/** Rigs built for one method; past this, a rig killed by its own keepalive fails the spec. */
const RIG_ATTEMPTS = 3

/**
 * A healthy rig (proxy, connection, the method's setup). Its setup is not under test, but a
 * silent-fault rig runs keepaliveMs 200 through a proxy on the test's own event loop: on a
 * starved machine a pong can come later than that, and keepalive then declares the healthy link
 * dead before any fault. Only that (a ConnectionError naming keepalive, before the fault) builds
 * a fresh rig; any other setup failure fails the spec.
 */
async function healthyRig(t: ExecutionContext, fault: keyof typeof FAULTS, method: string, setup: Setup): Promise<{ rig: Rig; call: () => Promise<unknown> }> {
  const options = SILENT_FAULTS.has(fault) ? OPTIONS : { ...OPTIONS, keepaliveMs: 0 }
  for (let attempt = 1; ; attempt++) {
    const proxy = await TestProxy.start({ target: server })
    const dsn = `${proxy.dsn}/${db}`
    let conn: taos.Connection | undefined
    try {
      // The rig's own login is not under test: a loaded machine may take more than the bound.
      conn = await taos.connect(dsn, { ...options, connectTimeoutMs: 20_000 })
      const rig = { proxy, conn, dsn, options }
      return { rig, call: await setup(rig) }
    } catch (err) {
      await conn?.close()
      await proxy.close()
      const keepalive = err instanceof taos.ConnectionError && /keepalive/.test(err.message)
      if (!keepalive || attempt === RIG_ATTEMPTS) throw err
      t.log(`${method}: the healthy rig's setup was ended by its own keepalive (attempt ${attempt}: ${err.message}); a fresh rig`)
    }
  }
}

async function settles(t: ExecutionContext, fault: keyof typeof FAULTS, method: string, setup: Setup): Promise<void> {
  const { rig, call } = await healthyRig(t, fault, method, setup)
  const { proxy, conn } = rig
  try {
    // The answer takes 40 ms through the proxy; the fault strikes while it is on its way.
    proxy.delay(40)
    const started = Date.now()
    const pending = call().then(
      () => 'resolved',
      (err: unknown) => err,
    )
    await new Promise((r) => setTimeout(r, 10))
    FAULTS[fault](proxy)
    const outcome = await Promise.race([pending, new Promise((r) => setTimeout(() => r('pending'), BOUND_MS))])
    const ms = Date.now() - started
    t.not(outcome, 'pending', `${method} still pending ${BOUND_MS} ms after the server ${fault}`)
    if (outcome !== 'resolved') {
      t.true(outcome instanceof taos.Error, `${method}: ${String(outcome)}`)
      t.false(outcome instanceof taos.InternalError, `${method}: ${String(outcome)}`)
    }
    t.log(`${method}: ${outcome === 'resolved' ? 'resolved' : (outcome as Error).name} after ${ms} ms`)
  } finally {
    proxy.heal()
    await conn.close()
    await proxy.close()
  }
}

for (const fault of Object.keys(FAULTS) as Array<keyof typeof FAULTS>) {
  test(`every public async method settles when the server ${fault} mid-call`, async (t) => {
    for (const [method, setup] of Object.entries(METHODS)) await settles(t, fault, method, setup)
  })
}

/** `Class.method` of every async function (or async generator) a class's prototype holds. */
function asyncMethods(name: string, proto: object): string[] {
  const out: string[] = []
  for (const key of [...Object.getOwnPropertyNames(proto), ...Object.getOwnPropertySymbols(proto)]) {
    const value = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown
    if (typeof value !== 'function') continue
    const kind = value.constructor.name
    if (kind !== 'AsyncFunction' && kind !== 'AsyncGeneratorFunction') continue
    const symbol = key === Symbol.asyncDispose ? 'Symbol.asyncDispose' : key === Symbol.asyncIterator ? 'Symbol.asyncIterator' : String(key.toString())
    out.push(typeof key === 'symbol' ? `${name}[${symbol}]` : `${name}.${key}`)
  }
  return out
}

test('the list covers every async method of every public class', (t) => {
  const classes: Array<[string, object]> = [
    ['Connection', taos.Connection.prototype],
    ['Cursor', taos.Cursor.prototype],
    ['TaosResult', taos.TaosResult.prototype],
    ['Stmt2', taos.Stmt2.prototype],
    ['Stmt', taos.Stmt.prototype],
  ]
  const found = classes.flatMap(([name, proto]) => asyncMethods(name, proto))
  const missing = found.filter((m) => !(m in METHODS) && !(m in NOT_CALLS))
  t.deepEqual(missing, [], 'async methods nobody proved to settle')
  // Methods that return iterables of async reads are listed too.
  for (const m of ['TaosResult.rows', 'TaosResult.blocks', 'TaosResult[Symbol.asyncIterator]', 'connect']) t.true(m in METHODS, m)
  const stale = Object.keys(NOT_CALLS).filter((m) => !found.includes(m))
  t.deepEqual(stale, [], 'listed as needing no server but not an async method any more')
})

test('close settles when the server stops reading in the middle of a bulk write, and so does the write', async (t) => {
  const proxy = await TestProxy.start({ target: server })
  const conn = await taos.connect(`${proxy.dsn}/${db}`, OPTIONS)
  t.teardown(() => proxy.close())
  proxy.stopReading()
  // ~16 MB of lines: far more than the socket buffers hold.
  const lines = Array.from({ length: 200_000 }, (_, i) => `bulk,g=1 v=${i}i,note="${'x'.repeat(40)}" ${1700000000000 + i}`)
  const write = conn.schemalessInsert(lines, taos.SmlProtocol.LINE, taos.SmlPrecision.MILLI_SECONDS).then(
    () => 'resolved',
    (err: unknown) => err,
  )
  await new Promise((r) => setTimeout(r, 50))
  const started = Date.now()
  await conn.close()
  const closeMs = Date.now() - started
  t.true(closeMs < BOUND_MS, `close took ${closeMs} ms`)
  const outcome = await Promise.race([write, new Promise((r) => setTimeout(() => r('pending'), BOUND_MS))])
  t.true(outcome instanceof taos.ConnectionError, String(outcome))
  t.true(conn.isClosed)
  t.log(`close settled after ${closeMs} ms`)
})
