// Issue 21 figure: 100k rows written with stmt2 while the server restarts 5 times
// (TestServer.restart(): every connection dropped, listening again on the same port, data kept).
// Afterwards every acknowledged row must be present with its value, and none twice.
//
// Rows carry explicit timestamps, so a write may be repeated safely. The driver replays what it
// can by itself; a batch it rejects (its outcome unknown) is repeated by this script, as an
// application would, and counted. Restarts fire while a batch is in flight.
//   node bench/resilience-soak.mjs [--quick]      (or npm run bench -- --only resilience-soak)
import { driverReconnects, load, msSince, quick, report } from './lib/resilience.mjs'
import { startServerProcess } from './lib/server-process.mjs'

const taosjs = await load()
const ROWS = quick ? 20_000 : 100_000
const BATCH = 1_000
const RESTARTS = 5
const T0 = 1_700_000_000_000

const server = await startServerProcess()
const setup = await taosjs.connect(server.dsn)
await setup.execute('create database soak')
await setup.execute('create table soak.t (ts timestamp, v bigint)')
await setup.close()

let conn = await taosjs.connect(server.dsn)
const reconnects = { driver: 0, appConnects: 0 }
if (driverReconnects(conn)) conn.on('reconnected', () => reconnects.driver++)
let stmt = null
const batches = ROWS / BATCH
// The batches during which a restart fires, spread over the run.
const restartAt = new Set(Array.from({ length: RESTARTS }, (_, i) => Math.floor(((i + 0.5) * batches) / RESTARTS)))
const acknowledged = new Set() // batch numbers whose execute() resolved
const rejected = [] // { batch, error } for every execute() that rejected
const since = performance.now()

/** A usable statement: the driver's own, else a new one (and a new connection if need be). */
async function statement() {
  if (stmt !== null) return stmt
  if (conn.isClosed) {
    conn = await taosjs.connect(server.dsn)
    reconnects.appConnects++
  }
  stmt = await conn.statement2('insert into soak.t values (?, ?)')
  return stmt
}

for (let b = 0; b < batches; b++) {
  const ts = Array.from({ length: BATCH }, (_, i) => T0 + b * BATCH + i)
  const v = ts.map((t) => BigInt(t - T0) * 7n)
  for (let attempt = 1; ; attempt++) {
    const restart = attempt === 1 && restartAt.has(b) ? server.restart() : null
    try {
      const s = await statement()
      await s.bindParam(null, null, [[ts, v]])
      const affected = await s.execute()
      if (affected !== BATCH) throw new Error(`batch ${b}: ${affected} rows affected`)
      acknowledged.add(b)
      await restart
      break
    } catch (err) {
      await restart
      rejected.push({ batch: b, error: `${err.name}: ${err.message}` })
      if (attempt >= 20) throw new Error(`batch ${b} failed 20 times; last: ${err.message}`)
      // The statement may be gone with its connection: start again from a fresh one.
      await stmt?.close().catch(() => {})
      stmt = null
      await new Promise((r) => setTimeout(r, Math.min(1000, 10 * attempt)))
    }
  }
}
const writeMs = msSince(since)
await stmt?.close().catch(() => {})
await conn.close()

// ---- verification on a fresh connection
const check = await taosjs.connect(server.dsn)
const rows = await (await check.query('select ts, v from soak.t order by ts')).toArray()
await check.close()
await server.close()
const seen = new Map()
let twice = 0
let wrong = 0
for (const [ts, v] of rows) {
  const t = Number(ts instanceof Date ? ts.getTime() : ts)
  if (seen.has(t)) twice++
  seen.set(t, v)
  if (BigInt(v) !== BigInt(t - T0) * 7n) wrong++
}
let missing = 0
for (const b of acknowledged) for (let i = 0; i < BATCH; i++) if (!seen.has(T0 + b * BATCH + i)) missing++

const result = {
  rows: ROWS,
  restarts: RESTARTS,
  writeMs: Math.round(writeMs),
  acknowledgedRows: acknowledged.size * BATCH,
  rowsPresent: rows.length,
  missingAcknowledged: missing,
  presentTwice: twice,
  wrongValue: wrong,
  driverReconnects: driverReconnects(conn) ? reconnects.driver : 'n/a (this build does not reconnect)',
  appReconnects: reconnects.appConnects,
  batchesRejected: rejected.length,
  firstRejection: rejected[0]?.error,
}
report(
  'resilience-soak',
  [
    `${ROWS} rows in ${batches} stmt2 batches of ${BATCH}, ${RESTARTS} restarts, ${result.writeMs} ms`,
    `acknowledged ${result.acknowledgedRows} rows; present ${result.rowsPresent}; acknowledged but missing ${missing}; present twice ${twice}; wrong value ${wrong}`,
    `driver reconnects ${result.driverReconnects}; connections the script reopened ${result.appReconnects}; batches rejected and repeated by the script ${rejected.length}`,
    ...(rejected.length ? [`first rejection: ${rejected[0].error}`] : []),
  ],
  result,
)
if (missing > 0 || twice > 0 || wrong > 0 || result.acknowledgedRows !== ROWS) process.exitCode = 1
