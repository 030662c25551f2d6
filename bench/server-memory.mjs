// The embedded server's memory: its RSS after loading N rows × 10 columns (the benchmark's
// table, through taosjs stmt2 in 50k-row batches), then its peak RSS while a client streams the
// whole table (`select * from bench.big`) block by block, and that client's own peak RSS.
//   node bench/server-memory.mjs [--rows N] [--server PATH] [--root DIR] [--read blocks|rows]
// PATH defaults to target/release/taos-testserver, DIR (where taosjs's dist/ is) to this
// checkout. The server is killed if its RSS passes --limit-mb (default 5000): the machine is
// shared. Prints one JSON line of figures.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { COLUMNS, MARKS, plainColumns } from './lib/data.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const rows = Number(arg('rows', 1_000_000))
const serverPath = resolve(arg('server', join(root, 'target', 'release', 'taos-testserver')))
const clientRoot = resolve(arg('root', root))
const read = arg('read', 'blocks')
const limitMb = Number(arg('limit-mb', 5000))
const port = 16000 + Math.floor(Math.random() * 2000)

/** VmRSS and VmHWM of a process, in MB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1])
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 }
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

const taosjs = await import(pathToFileURL(join(clientRoot, 'dist', 'index.mjs')).href)
const conn = await taosjs.connect(`ws://root:taosdata@127.0.0.1:${port}`)
const out = { rows, read }
try {
  const base = memory(server.pid).rss
  out.serverStartMb = +base.toFixed(1)
  await conn.execute('create database bench')
  await conn.execute(`create table bench.big (${COLUMNS})`)
  const stmt = await conn.statement2(`insert into bench.big values (${MARKS})`)
  const BATCH = 50_000
  let t0 = process.hrtime.bigint()
  for (let start = 0; start < rows; start += BATCH) {
    await stmt.bindParamWithTables([{ columns: plainColumns(start, Math.min(BATCH, rows - start)) }])
    await stmt.execute()
  }
  await stmt.close()
  out.loadSeconds = +(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)
  await new Promise((r) => setTimeout(r, 200))
  const loaded = memory(server.pid)
  out.serverAfterLoadMb = +loaded.rss.toFixed(1)
  out.serverPeakDuringLoadMb = +loaded.hwm.toFixed(1)
  out.bytesPerRow = +(((loaded.rss - base) * 1024 * 1024) / rows).toFixed(1)

  console.error(`loaded: ${JSON.stringify(out)}`)
  peak = loaded.rss
  t0 = process.hrtime.bigint()
  const result = await conn.query('select * from bench.big')
  let n = 0
  if (read === 'blocks') {
    for await (const block of result.blocks()) n += block.rows
  } else {
    for await (const _row of result) n++
  }
  out.streamSeconds = +(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2)
  if (n !== rows) throw new Error(`streamed ${n} rows, expected ${rows}`)
  out.serverPeakWhileStreamingMb = +peak.toFixed(1)
  out.serverStreamGrowthMb = +(peak - loaded.rss).toFixed(1)
  out.clientPeakRssMb = +(process.resourceUsage().maxRSS / 1024).toFixed(1)
} finally {
  clearInterval(sampler)
  await conn.close().catch(() => {})
  server.kill('SIGKILL')
}
console.log(JSON.stringify(out))
