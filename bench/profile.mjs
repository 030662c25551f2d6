#!/usr/bin/env node
// Where taosjs's client CPU goes, for one benchmark workload: starts the server, loads the data
// (as `npm run bench` does), then runs the taosjs client of that workload once
//  - under `node --cpu-prof`: the main JS thread's self time per function (JS, GC, native calls);
//  - with --perf, also under `perf record` (cpu-clock, all threads, --perf-basic-prof so JIT
//    frames have names; V8's isolate logs land in the profile directory): self time per thread
//    kind and per symbol, Rust and V8 included.
//
//   node bench/profile.mjs rows [--quick] [--perf] [--top 25] [--keep DIR]
//   node bench/profile.mjs cells [--quick] [--runs 3]
// `cells` reads bench.wide one column at a time, as rows and as blocks, with taosjs and
// taos-ws-py: (rows − blocks) per row is what turning one cell of that type into a JS value
// costs, plus the per-row overhead that the cheapest column (c_int) shows.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startServer } from './lib/server.mjs'
import { jobFor, WORKLOADS } from './lib/workloads.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    keep: { type: 'string' },
    runs: { type: 'string', default: '3' },
  },
})
const cells = positionals[0] === 'cells'
const workload = WORKLOADS.find((w) => w.id === (cells ? 'rows' : (positionals[0] ?? 'rows')))
if (!workload) throw new Error(`no workload ${positionals[0]} (have ${WORKLOADS.map((w) => w.id).join(', ')})`)
const scale = opts.quick ? 'quick' : 'full'
const top = Number(opts.top)
const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'taosjs-prof-'))

const server = await startServer(root)
try {
  const base = { root, host: server.host, port: server.port, user: 'root', password: 'taosdata' }
  const wide = workload.sql?.includes('wide') ? workload.size[scale] : 0
  const big = workload.sql?.includes('big') ? workload.size[scale] : 0
  execFileSync(process.execPath, [join(here, 'lib', 'setup.mjs'), JSON.stringify({ ...base, wide, big })], { stdio: 'inherit' })
  if (cells) {
    perCell(base)
  } else {
    profileOne(base)
  }
} finally {
  await server.close()
  if (!opts.keep) rmSync(dir, { recursive: true, force: true })
  else console.log(`\nprofiles kept in ${dir} (open the .cpuprofile in Chrome DevTools; perf report -i ${join(dir, 'perf.data')})`)
}

/** One run of a client on one job; its RESULT figures. */
function measure(script, job, runner = process.execPath) {
  const r = spawnSync(runner, [join(here, 'clients', script), JSON.stringify(job)], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(here, 'clients') } })
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '))
  if (r.status !== 0 || !line) throw new Error(`${script}: ${r.stderr}`)
  const res = JSON.parse(line.slice(7))
  return ((res.cpuUserMs + res.cpuSysMs) * 1000) / res.units
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

function perCell(base) {
  const python = join(process.env.VENV ?? join(root, '.venv'), 'bin', 'python')
  const runs = Number(opts.runs)
  const columns = ['ts', 'c_bool', 'c_tiny', 'c_int', 'c_big', 'c_uint', 'c_float', 'c_double', 'c_str', 'c_nchar', '*']
  console.log(`\nper column, µs CPU per row, median of ${runs} (${workload.size[scale]} rows):`)
  console.log('| column | taosjs rows | taosjs blocks | taosjs rows − blocks | taos-ws-py rows |')
  console.log('|---|---:|---:|---:|---:|')
  for (const col of columns) {
    const sql = `select ${col} from bench.wide`
    const job = (id, w) => ({ ...jobFor(WORKLOADS.find((x) => x.id === w), scale, base, id), sql })
    const fig = { rows: [], blocks: [], py: [] }
    for (let i = 0; i < runs; i++) {
      fig.rows.push(measure('taosjs.mjs', job('taosjs', 'rows')))
      fig.blocks.push(measure('taosjs.mjs', job('taosjs', 'blocks')))
      fig.py.push(measure('taosws_client.py', job('taos-ws-py', 'rows'), python))
    }
    const [r, b, p] = [median(fig.rows), median(fig.blocks), median(fig.py)]
    console.log(`| ${col === '*' ? 'all 10' : col} | ${r.toFixed(3)} | ${b.toFixed(3)} | ${(r - b).toFixed(3)} | ${p.toFixed(3)} |`)
  }
}

function profileOne(base) {
  const job = JSON.stringify(jobFor(workload, scale, base, 'profile'))
  const client = join(here, 'clients', 'taosjs.mjs')

  const cpuProf = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200', client, job], { encoding: 'utf8' })
  if (cpuProf.status !== 0) throw new Error(cpuProf.stderr)
  console.log(`${workload.id}: ${cpuProf.stdout.trim()}`)
  summarizeCpuProfile(join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))))

  if (opts.perf) {
    const data = join(dir, 'perf.data')
    const rec = spawnSync('perf', ['record', '-e', 'cpu-clock', '-F', '2000', '-g', '-o', data, '--', process.execPath, '--perf-basic-prof', client, job], { encoding: 'utf8', cwd: dir })
    if (rec.status !== 0) throw new Error(rec.stderr)
    console.log(`\nperf (all threads of the client process): ${rec.stdout.trim()}`)
    perfReport(data, ['--sort', 'comm'], 'by thread')
    perfReport(data, ['--sort', 'dso'], 'by binary')
    perfReport(data, ['--sort', 'comm,dso,sym'], 'by symbol')
  }
}

/** Self time per function of a V8 .cpuprofile (the main thread only), largest first. */
function summarizeCpuProfile(path) {
  const prof = JSON.parse(readFileSync(path, 'utf8'))
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map()
  let total = 0
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0
    const f = byId.get(id).callFrame
    const where = f.url ? `${basename(f.url)}:${f.lineNumber + 1}` : ''
    const key = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  })
  const idle = self.get('(idle)') ?? 0
  console.log(`\nnode --cpu-prof, main thread: ${(total / 1000).toFixed(0)} ms sampled, ${((total - idle) / 1000).toFixed(0)} ms busy; self time per function:`)
  self.delete('(idle)')
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * us) / (total - idle || 1)).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`)
  }
}

function perfReport(data, sort, title) {
  const out = spawnSync('perf', ['report', '-i', data, '--no-children', '--stdio', '--percent-limit', '0.7', '-g', 'none', ...sort], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const lines = out.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('#'))
  console.log(`\nperf ${title}:`)
  for (const l of lines.slice(0, top)) console.log(l.replace(/\s+$/, ''))
}
