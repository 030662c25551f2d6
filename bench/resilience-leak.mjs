// Issue 21 figure: 10k queries and 1k reconnects leave RSS and open handles flat (10k execute()s,
// then 10k query() + toArray(), then 1k reconnects). Samples after a
// full GC (run with --expose-gc; `npm run bench -- --only resilience-leak` does) every tenth of
// the way; reports the first and last samples after a warm-up tenth, and the growth between them.
//   node --expose-gc bench/resilience-leak.mjs [--quick] [--queries N]
import { driverReconnects, load, quick, report, sample } from './lib/resilience.mjs'
import { startServerProcess } from './lib/server-process.mjs'

if (typeof globalThis.gc !== 'function') {
  console.error('resilience-leak: run with node --expose-gc')
  process.exit(2)
}
const taosjs = await load()
const at = process.argv.indexOf('--queries')
const QUERIES = at > 0 ? Number(process.argv[at + 1]) : quick ? 2_000 : 10_000
const RECONNECTS = quick ? 200 : 1_000

const server = await startServerProcess()

/** Runs `step(i)` `n` times, sampling memory and handles every n/10 steps. */
async function phase(n, step) {
  const samples = []
  for (let i = 0; i < n; i++) {
    if (i % (n / 10) === 0) samples.push(await sample())
    await step(i)
  }
  samples.push(await sample())
  // The first tenth warms caches and pools up; growth counts from the end of it.
  const [from, to] = [samples[1], samples[samples.length - 1]]
  return { samples, from, to, rssGrowthMb: Math.round((to.rssMb - from.rssMb) * 10) / 10, handleGrowth: to.handles - from.handles, fdGrowth: to.fds - from.fds }
}

const conn = await taosjs.connect(server.dsn)
// Statements without a result first, then queries whose rows are read: a difference between the
// two is the cost of a result.
const executes = await phase(QUERIES, async (i) => {
  await conn.execute(`select ${i}`)
})
const queries = await phase(QUERIES, async (i) => {
  const rows = await (await conn.query(`select ${i}`)).toArray()
  if (Number(rows[0][0]) !== i) throw new Error(`query ${i} answered ${rows[0][0]}`)
})

let reconnects
let mode
if (driverReconnects(conn)) {
  mode = 'driver reconnects: server.dropConnections(), then a query on the same connection'
  reconnects = await phase(RECONNECTS, async () => {
    const back = new Promise((resolve) => conn.once('reconnected', resolve))
    await server.dropConnections()
    await back
    await (await conn.query('select 1')).toArray()
  })
  await conn.close()
} else {
  mode = 'no driver reconnect in this build: server.dropConnections(), then a new connect() and a query'
  await conn.close()
  reconnects = await phase(RECONNECTS, async () => {
    const fresh = await taosjs.connect(server.dsn)
    await (await fresh.query('select 1')).toArray()
    await server.dropConnections()
    await fresh.close()
  })
}
await server.close()

const line = (what, p) =>
  `${what}: RSS ${p.from.rssMb} → ${p.to.rssMb} MB (${p.rssGrowthMb >= 0 ? '+' : ''}${p.rssGrowthMb} MB), heap ${p.from.heapMb} → ${p.to.heapMb} MB, handles ${p.from.handles} → ${p.to.handles}, fds ${p.from.fds} → ${p.to.fds}`
const strip = (p) => ({ ...p, samples: p.samples.map((s) => s.rssMb) })
report(
  'resilience-leak',
  [line(`${QUERIES} execute()s`, executes), line(`${QUERIES} query() + toArray()`, queries), mode, line(`${RECONNECTS} reconnects`, reconnects)],
  { executes: strip(executes), queries: strip(queries), reconnects: { mode, ...strip(reconnects) } },
)
