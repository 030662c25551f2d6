// The rows path taken apart: in one process, the same 500k-row result read several ways (for await,
// for await with timestamps as numbers instead of Dates, rowBatches, toArray, blocks, toColumns),
// and what `for await` costs by itself (an async iterator over values already made, no I/O);
// CPU per row of this process (user + sys, all threads), median of 5, with the sys part and the
// minor page faults per 1,000 rows. The server runs in its own process.
// Usage: node --expose-gc bench/rows-split.mjs (after npm install).
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
await conn.execute('create database rowsplit'); await conn.execute(`create table rowsplit.t (${COLUMNS})`)
const stmt = await conn.statement2('insert into rowsplit.t values (?,?,?,?,?,?,?,?,?,?)')
const N = 500_000
for (let s = 0; s < N; s += 10000) { await stmt.bindParam(null, null, [plainColumns(s, 10000)]); await stmt.execute() }
const SQL = 'select * from rowsplit.t'
const read = {
  rows: async (r) => { let n = 0; for await (const _ of r) n++; return n },
}
const ways = {
  'for await': [{}, read.rows],
  'for await, timestampAs number': [{ timestampAs: 'number' }, read.rows],
  'for await, row objects': [{ rowMode: 'object' }, read.rows],
  'rowBatches': [{}, async (r) => { let n = 0; for await (const b of r.rowBatches()) n += b.length; return n }],
  'toArray': [{}, async (r) => (await r.toArray()).length],
  'blocks': [{}, async (r) => { let n = 0; for await (const b of r.blocks()) n += b.rows; return n }],
  'toColumns': [{}, async (r) => (await r.toColumns()).rows],
  // No query: `for await` over an async iterator of N values made beforehand (its protocol alone).
  'for await protocol alone': [null, async () => {
    const values = [1, 2]
    let i = 0
    const iterable = { [Symbol.asyncIterator]: () => ({ async next() { return i++ < N ? { done: false, value: values } : { done: true, value: undefined } } }) }
    let n = 0
    for await (const _ of iterable) n++
    return n
  }],
}
for (const [name, [options, readWay]] of Object.entries(ways)) {
  const runs = []
  for (let k = 0; k < 5; k++) {
    global.gc?.()
    const r0 = process.resourceUsage()
    const n = await readWay(options === null ? null : await conn.query(SQL, options))
    const r1 = process.resourceUsage()
    if (n !== N) throw new Error(`${name}: ${n}`)
    const sys = r1.systemCPUTime - r0.systemCPUTime
    runs.push({ cpu: (r1.userCPUTime - r0.userCPUTime + sys) / N, sys: sys / N, faults: ((r1.minorPageFault - r0.minorPageFault) / N) * 1000 })
  }
  runs.sort((a, b) => a.cpu - b.cpu)
  const m = runs[2]
  console.log(`${name.padEnd(30)} ${m.cpu.toFixed(3)} µs CPU/row (min ${runs[0].cpu.toFixed(3)}; sys ${m.sys.toFixed(3)}; ${m.faults.toFixed(1)} minor faults per 1,000 rows)`)
}
await conn.close(); child.kill('SIGTERM'); process.exit(0)
