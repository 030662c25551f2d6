// The spread of one `for await` read across processes: the bench's `rows` workload (1M rows × the
// bench's 10 columns, rowMode 'array') read once in each of many short processes, with the CPU
// per row of each (user + sys of the whole process, as bench/clients/window.mjs counts it).
// One server process for all; the data is written once. Each process also prints its threads'
// shares (the JS thread, V8's helper threads, the connection's tokio thread, from /proc).
//   node bench/rows-spread.mjs [--procs 12] [--rows 1000000] [--mode rows|objects|blocks] [-- node flags…]
// Environment: SPREAD_READS=n reads per process (the first is what the bench measures; later ones
// show a warm process: no fresh pages for the batches);
// SPREAD_CONTROL=1 also times a fixed library-free `for await` loop just before and after the
// reads (a gauge of how fast the machine is running that process at that moment);
// SPREAD_WRAP='cmd args' runs each process under cmd (taskset, perf record, strace);
// SPREAD_KEEP=prefix keeps each process's output (e.g. with --trace-gc) in prefix.<k>.<cpu>.log.
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(import.meta.dirname, '..')
const taos = await import(pathToFileURL(`${root}/dist/index.mjs`).href)

/** µs CPU per iteration of `for await` over 1M arrays built like rows, with no library. */
async function controlLoop() {
  const N = 1_000_000
  const ts = new Float64Array(4096).map((_, i) => 1.7e12 + i)
  const f = new Float64Array(4096).map((_, i) => i / 7)
  let i = 0
  const iterable = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        if (i >= N) return { done: true, value: undefined }
        const k = i++ & 4095
        return { done: false, value: [new Date(ts[k]), k !== 0, k, BigInt(k), f[k], f[k] * 2, `s${k}`] }
      },
    }),
  }
  const cpu0 = process.cpuUsage()
  let n = 0
  for await (const _ of iterable) n++
  const cpu = process.cpuUsage(cpu0)
  return (cpu.user + cpu.system) / n
}

/** Each thread's user + sys CPU (clock ticks) by thread id, from /proc (Linux). */
function threadTimes() {
  const out = new Map()
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      const name = stat.slice(stat.indexOf('(') + 1, close)
      const f = stat.slice(close + 2).split(' ')
      out.set(tid, { name, ticks: Number(f[11]) + Number(f[12]) })
    }
  } catch {}
  return out
}

/** µs CPU per row of each kind of thread during the read (ticks are 10 ms). */
function threadsDelta(a, b, n) {
  const by = {}
  for (const [tid, t] of b) {
    const d = t.ticks - (a.get(tid)?.ticks ?? 0)
    const kind = tid === String(process.pid) ? 'js' : t.name
    by[kind] = (by[kind] ?? 0) + (d * 10000) / n
  }
  return by
}

if (process.argv[2] === '--child') {
  const [, , , url, mode] = process.argv
  const conn = await taos.connect(url)
  await (await conn.query('select server_version()')).toArray()
  const options = mode === 'objects' ? { rowMode: 'object' } : { rowMode: 'array' }
  // SPREAD_READS: reads per process (the first is the bench's figure; later ones show whether a
  // process keeps its level).
  // SPREAD_CONTROL: a fixed JS-only loop timed just before and just after the reads (no library,
  // no I/O): slower when the machine is, not when taosjs is.
  const before = process.env.SPREAD_CONTROL ? await controlLoop() : undefined
  const reads = []
  for (let k = 0; k < Number(process.env.SPREAD_READS ?? 1); k++) {
    const threads0 = threadTimes()
    const faults0 = process.resourceUsage().minorPageFault
    const cpu0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    const result = await conn.query('select * from rowspread.t', options)
    let n = 0
    if (mode === 'blocks') for await (const b of result.blocks()) n += b.rows
    else for await (const _row of result) n++
    const cpu = process.cpuUsage(cpu0)
    const threads1 = threadTimes()
    const faults = ((process.resourceUsage().minorPageFault - faults0) / n) * 1000
    const wall = Number(process.hrtime.bigint() - t0) / 1e3
    reads.push({ n, cpu: (cpu.user + cpu.system) / n, sys: cpu.system / n, faults, wall: wall / n, threads: threadsDelta(threads0, threads1, n) })
  }
  const control = process.env.SPREAD_CONTROL ? [before, await controlLoop()] : undefined
  console.log(`SPREAD ${JSON.stringify({ ...reads[0], control, later: reads.slice(1).map((r) => [r.cpu, r.sys, r.faults]) })}`)
  await conn.close()
  process.exit(0)
}

const { values: args, positionals: flags } = parseArgs({
  options: { procs: { type: 'string', default: '12' }, rows: { type: 'string', default: '1000000' }, mode: { type: 'string', default: 'rows' } },
  allowPositionals: true,
})
const { COLUMNS, plainColumns } = await import(pathToFileURL(`${root}/bench/lib/data.mjs`).href)
const child = spawn(process.execPath, [`${root}/bench/lib/testserver.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((resolve) => child.stdout.on('data', (d) => { const m = /listening on (\S+)/.exec(String(d)); if (m) resolve(m[1]) }))
const dsn = url.replace('ws://', 'ws://root:taosdata@')
const conn = await taos.connect(dsn)
await conn.execute('create database rowspread'); await conn.execute(`create table rowspread.t (${COLUMNS})`)
const stmt = await conn.statement2('insert into rowspread.t values (?,?,?,?,?,?,?,?,?,?)')
const N = Number(args.rows)
for (let s = 0; s < N; s += 10000) { await stmt.bindParam(null, null, [plainColumns(s, 10000)]); await stmt.execute() }
await conn.close()
const runs = []
for (let k = 0; k < Number(args.procs); k++) {
  // SPREAD_WRAP: a command to run each process under (e.g. `taskset -c 1`).
  const wrap = process.env.SPREAD_WRAP?.split(' ').filter(Boolean) ?? []
  const argv = [...flags, import.meta.filename, '--child', dsn, args.mode]
  const r = wrap.length > 0 ? spawnSync(wrap[0], [...wrap.slice(1), process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 1 << 28 }) : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 28 })
  const line = /SPREAD (.*)/.exec(r.stdout)
  if (!line) { console.error(r.stdout.slice(-2000), r.stderr.slice(-2000)); process.exit(1) }
  const m = JSON.parse(line[1])
  runs.push(m.cpu)
  const threads = Object.entries(m.threads).filter(([, v]) => v > 0).map(([name, v]) => `${name} ${v.toFixed(2)}`).join(', ')
  const control = m.control !== undefined ? `; control before/after ${m.control.map((x) => x.toFixed(3)).join('/')}` : ''
  const later = m.later.map(([cpu, sys, faults]) => `; then ${cpu.toFixed(3)} (sys ${sys.toFixed(3)}, ${faults.toFixed(1)} faults/1k rows)`).join('')
  console.log(`process ${String(k).padStart(2)}: ${m.cpu.toFixed(3)} µs CPU/row (sys ${m.sys.toFixed(3)}, ${m.faults.toFixed(1)} minor faults/1k rows, wall ${m.wall.toFixed(3)}; threads ${threads})${control}${later}`)
  if (process.env.SPREAD_KEEP) (await import('node:fs')).writeFileSync(`${process.env.SPREAD_KEEP}.${k}.${m.cpu.toFixed(3)}.log`, r.stdout + r.stderr)
}
runs.sort((a, b) => a - b)
console.log(`${args.mode} ${flags.join(' ')}: median ${runs[runs.length >> 1].toFixed(3)}, min ${runs[0].toFixed(3)}, max ${runs.at(-1).toFixed(3)}; sorted ${runs.map((x) => x.toFixed(2)).join(' ')}`)
child.kill('SIGTERM')
process.exit(0)
