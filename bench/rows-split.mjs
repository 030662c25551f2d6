// The rows path taken apart: in one process, the same 500k-row result read four ways (for await,
// rowBatches, toArray, blocks); CPU per row of this process, median of 5. The server runs in its
// own process. Usage: node --expose-gc bench/rows-split.mjs (after npm install).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
const root = join(import.meta.dirname, '..')
const taos = await import(pathToFileURL(`${root}/dist/index.mjs`).href)
const { COLUMNS, plainColumns } = await import(pathToFileURL(`${root}/bench/lib/data.mjs`).href)
// The server in its own process, so that its CPU is not counted here.
const child = spawn(process.execPath, [`${root}/bench/lib/testserver.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve) => child.stdout.on('data', (d) => { const m = /listening on (\S+)/.exec(String(d)); if (m) resolve(m[1]) }))
const conn = await taos.connect(url.replace('ws://', 'ws://root:taosdata@'))
await conn.execute('create database split'); await conn.execute(`create table split.t (${COLUMNS})`)
const stmt = await conn.statement2('insert into split.t values (?,?,?,?,?,?,?,?,?,?)')
const N = 500_000
for (let s = 0; s < N; s += 10000) { await stmt.bindParam(null, null, [plainColumns(s, 10000)]); await stmt.execute() }
const ways = {
  'for await': async (r) => { let n = 0; for await (const _ of r) n++; return n },
  'rowBatches': async (r) => { let n = 0; for await (const b of r.rowBatches()) n += b.length; return n },
  'toArray': async (r) => (await r.toArray()).length,
  'blocks': async (r) => { let n = 0; for await (const b of r.blocks()) n += b.rows; return n },
}
for (const [name, read] of Object.entries(ways)) {
  const cpu = []
  for (let k = 0; k < 5; k++) {
    global.gc?.()
    const t0 = process.cpuUsage()
    const n = await read(await conn.query('select * from split.t'))
    const u = process.cpuUsage(t0)
    if (n !== N) throw new Error(`${name}: ${n}`)
    cpu.push((u.user + u.system) / N)
  }
  cpu.sort((a, b) => a - b)
  console.log(`${name.padEnd(10)} ${cpu[2].toFixed(3)} µs CPU/row (min ${cpu[0].toFixed(3)})`)
}
await conn.close(); child.kill('SIGTERM'); process.exit(0)
