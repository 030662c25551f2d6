// Issue 21 figure: 1,000 concurrent queries through a pool of 8 against a server that answers
// every request 5 ms late (TestServer.setLatency(5)): none may fail; p50/p99/max per query.
// The same load without latency runs beside it, in the same process, as the reference.
//   node bench/resilience-pool.mjs [--quick]      (or npm run bench -- --only resilience-pool)
import { load, percentile, quick, report } from './lib/resilience.mjs'
import { startServerProcess } from './lib/server-process.mjs'

const taosjs = await load()
const QUERIES = quick ? 200 : 1000
const MAX = 8
const LATENCY_MS = 5

const server = await startServerProcess()

/** `QUERIES` queries at once through a fresh pool of `MAX`; each reads its one row back. */
async function burst(latencyMs) {
  await server.setLatency(latencyMs)
  const pool = taosjs.createPool({ dsn: server.dsn, max: MAX })
  try {
    await Promise.all(Array.from({ length: MAX }, async () => (await pool.query('select 1')).toArray())) // open the 8
    const latencies = []
    const failures = []
    let peak = 0
    pool.on('acquire', () => (peak = Math.max(peak, pool.total)))
    const started = performance.now()
    await Promise.all(
      Array.from({ length: QUERIES }, async (_, i) => {
        const since = performance.now()
        try {
          const rows = await (await pool.query(`select ${i}`)).toArray()
          if (Number(rows[0][0]) !== i) throw new Error(`query ${i} answered ${rows[0][0]}`)
          latencies.push(performance.now() - since)
        } catch (err) {
          failures.push(`${err.name}: ${err.message}`)
        }
      }),
    )
    const wallMs = performance.now() - started
    return {
      latencyMs,
      queries: QUERIES,
      failed: failures.length,
      firstFailure: failures[0],
      peakConnections: peak,
      wallMs: Math.round(wallMs),
      queriesPerSec: Math.round(QUERIES / (wallMs / 1000)),
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(percentile(latencies, 100)),
    }
  } finally {
    await pool.end()
  }
}

const round = (ms) => Math.round(ms * 10) / 10
const slow = await burst(LATENCY_MS)
const fast = await burst(0)
await server.close()

const line = (r) =>
  `setLatency(${r.latencyMs}): ${r.queries - r.failed}/${r.queries} answered, ${r.failed} failed; per query p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms; ${r.wallMs} ms wall (${r.queriesPerSec} queries/s), ${r.peakConnections} connections at most`
report('resilience-pool', [line(slow), line(fast), ...(slow.firstFailure ? [`first failure: ${slow.firstFailure}`] : [])], { slow, fast })
if (slow.failed > 0 || fast.failed > 0) process.exitCode = 1
