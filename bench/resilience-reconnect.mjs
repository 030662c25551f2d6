// Issue 21 figure: how long a connection takes to come back after the server restarts
// (TestServer.restart(): every connection dropped, listening again on the same port), with the
// default backoff. Per restart: ms from the drop to the connection's 'reconnected' event, and to
// the first query answered on that same connection. Target: under 1 s.
//   node bench/resilience-reconnect.mjs [--quick]  (or npm run bench -- --only resilience-reconnect)
import { driverReconnects, load, msSince, percentile, quick, reconnected, report } from './lib/resilience.mjs'
import { startServerProcess } from './lib/server-process.mjs'

const taosjs = await load()
const RESTARTS = quick ? 10 : 50

const server = await startServerProcess()
const conn = await taosjs.connect(server.dsn)
const toEvent = []
const toQuery = []
const restartMs = []
let mode
if (driverReconnects(conn)) {
  mode = "driver reconnect: ms from the drop to 'reconnected', and to the first query answered on the same connection"
  for (let i = 0; i < RESTARTS; i++) {
    const back = reconnected(conn)
    const since = performance.now()
    await server.restart()
    restartMs.push(msSince(since))
    toEvent.push(await back)
    await (await conn.query('select 1')).toArray()
    toQuery.push(msSince(since))
  }
  await conn.close()
} else {
  // This build's Connection does not reconnect: measure what an application has to do instead.
  mode = 'no driver reconnect in this build: ms from the drop to a new connect() answering a query'
  await conn.close()
  for (let i = 0; i < RESTARTS; i++) {
    const since = performance.now()
    await server.restart()
    restartMs.push(msSince(since))
    const fresh = await taosjs.connect(server.dsn)
    await (await fresh.query('select 1')).toArray()
    toQuery.push(msSince(since))
    await fresh.close()
  }
}
await server.close()

const stats = (values) => (values.length ? { p50: percentile(values, 50), max: percentile(values, 100) } : undefined)
const result = { restarts: RESTARTS, mode, restart: stats(restartMs), reconnected: stats(toEvent), firstQuery: stats(toQuery) }
const lines = [
  mode,
  `${RESTARTS} restarts; the server itself is back after p50 ${result.restart.p50} ms, max ${result.restart.max} ms`,
  ...(result.reconnected ? [`'reconnected' after p50 ${result.reconnected.p50} ms, max ${result.reconnected.max} ms`] : []),
  `first query answered after p50 ${result.firstQuery.p50} ms, max ${result.firstQuery.max} ms (target < 1000 ms)`,
]
report('resilience-reconnect', lines, result)
