// The embedded server's memory and the streaming client's: the server's RSS after loading N rows
// × 10 columns (the benchmark's table, through taosjs stmt2 in 50k-row batches), then, for each
// way of reading, a fresh client process streams the whole table (`select * from bench.big`)
// while the server's RSS is sampled: the server's peak growth, and the client's peak RSS
// (ru_maxrss of its own process, which did nothing else).
//   node bench/server-memory.mjs [--rows N] [--server PATH] [--root DIR] [--read blocks,rows]
// PATH defaults to target/release/taos-testserver, DIR (where taosjs's dist/ is) to this
// checkout; `--read` lists the readers: `blocks` (`result.blocks()`), `rows` (`for await` over
// row arrays). The server is killed if its RSS passes --limit-mb (default 5000): the machine is
// shared. Prints one JSON line of figures (server CPU per row from /proc: insert and streaming).
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { COLUMNS, MARKS, plainColumns } from './lib/data.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const self = fileURLToPath(import.meta.url)
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const rows = Number(arg('rows', 1_000_000))
const clientRoot = resolve(arg('root', root))
const taosjs = await import(pathToFileURL(join(clientRoot, 'dist', 'index.mjs')).href)

// ---- a streaming client: `--attach PORT --read blocks|rows`, prints its own figures
if (arg('attach')) {
  const conn = await taosjs.connect(`ws://root:taosdata@127.0.0.1:${arg('attach')}`)
  const t0 = process.hrtime.bigint()
  const result = await conn.query('select * from bench.big')
  let n = 0
  if (arg('read') === 'blocks') {
    for await (const block of result.blocks()) n += block.rows
  } else {
    for await (const _row of result) n++
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  await conn.close()
  const usage = process.resourceUsage()
  console.log(JSON.stringify({ rows: n, seconds, peakRssMb: usage.maxRSS / 1024, cpuUsPerRow: (usage.userCPUTime + usage.systemCPUTime) / n }))
  process.exit(0)
}

const serverPath = resolve(arg('server', join(root, 'target', 'release', 'taos-testserver')))
const readers = arg('read', 'blocks,rows').split(',')
const limitMb = Number(arg('limit-mb', 5000))
const port = 16000 + Math.floor(Math.random() * 2000)

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1])
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 }
}

/** CPU (user + sys) a process has used, in ms (USER_HZ = 100). */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) * 10
}

const server = spawn(serverPath, ['--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] })
let peak = 0
const sampler = setInterval(() => {
  try {
    const m = memory(server.pid)
    peak = Math.max(peak, m.rss)
    if (m.rss > limitMb) {
      console.error(`server RSS ${m.rss.toFixed(0)} MB over the ${limitMb} MB limit: killing it`)
      server.kill('SIGKILL')
      process.exit(2)
    }
  } catch {}
}, 50)
await new Promise((r) => setTimeout(r, 300))

const round = (x, d = 1) => +x.toFixed(d)
const out = { rows }
try {
  const conn = await taosjs.connect(`ws://root:taosdata@127.0.0.1:${port}`)
  const base = memory(server.pid).rss
  out.serverStartMb = round(base)
  await conn.execute('create database bench')
  await conn.execute(`create table bench.big (${COLUMNS})`)
  const stmt = await conn.statement2(`insert into bench.big values (${MARKS})`)
  const BATCH = 50_000
  const t0 = process.hrtime.bigint()
  const cpu0 = cpuMs(server.pid)
  for (let start = 0; start < rows; start += BATCH) {
    await stmt.bindParamWithTables([{ columns: plainColumns(start, Math.min(BATCH, rows - start)) }])
    await stmt.execute()
  }
  await stmt.close()
  await conn.close()
  out.loadSeconds = round(Number(process.hrtime.bigint() - t0) / 1e9, 2)
  out.serverInsertCpuUsPerRow = round(((cpuMs(server.pid) - cpu0) * 1000) / rows, 2)
  await new Promise((r) => setTimeout(r, 200))
  const loaded = memory(server.pid)
  out.serverAfterLoadMb = round(loaded.rss)
  out.serverBytesPerRow = round(((loaded.rss - base) * 1024 * 1024) / rows)
  console.error(`loaded: ${JSON.stringify(out)}`)

  for (const read of readers) {
    const before = memory(server.pid).rss
    peak = before
    const cpu1 = cpuMs(server.pid)
    const child = spawnSync(process.execPath, [self, '--attach', String(port), '--read', read, '--root', clientRoot], { encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`the ${read} client failed: ${child.stderr}`)
    const c = JSON.parse(child.stdout.trim().split('\n').pop())
    if (c.rows !== rows) throw new Error(`the ${read} client streamed ${c.rows} rows, expected ${rows}`)
    out[`stream_${read}`] = {
      seconds: round(c.seconds, 2),
      clientPeakRssMb: round(c.peakRssMb),
      clientCpuUsPerRow: round(c.cpuUsPerRow, 3),
      serverPeakGrowthMb: round(peak - before),
      serverCpuUsPerRow: round(((cpuMs(server.pid) - cpu1) * 1000) / rows, 3),
    }
  }
} finally {
  clearInterval(sampler)
  server.kill('SIGKILL')
}
console.log(JSON.stringify(out))
