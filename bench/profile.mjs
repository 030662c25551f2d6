#!/usr/bin/env node
// Where taosjs's client CPU goes, for one benchmark workload: starts the server, loads the data
// (as `npm run bench` does), then runs the taosjs client of that workload once
//  - under `node --cpu-prof`: the main JS thread's self time per function (JS, GC, native calls);
//  - with --perf, also under `perf record` (cpu-clock, all threads, --perf-basic-prof so JIT
//    frames have names): self time per thread kind and per symbol, Rust and V8 included.
//
//   node bench/profile.mjs rows [--quick] [--perf] [--top 25] [--keep DIR]
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
  options: { quick: { type: 'boolean', default: false }, perf: { type: 'boolean', default: false }, top: { type: 'string', default: '25' }, keep: { type: 'string' } },
})
const workload = WORKLOADS.find((w) => w.id === (positionals[0] ?? 'rows'))
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
  const job = JSON.stringify(jobFor(workload, scale, base, 'profile'))
  const client = join(here, 'clients', 'taosjs.mjs')

  const cpuProf = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200', client, job], { encoding: 'utf8' })
  if (cpuProf.status !== 0) throw new Error(cpuProf.stderr)
  console.log(`${workload.id}: ${cpuProf.stdout.trim()}`)
  summarizeCpuProfile(join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))))

  if (opts.perf) {
    const data = join(dir, 'perf.data')
    const rec = spawnSync('perf', ['record', '-e', 'cpu-clock', '-F', '2000', '-g', '-o', data, '--', process.execPath, '--perf-basic-prof', client, job], { encoding: 'utf8' })
    if (rec.status !== 0) throw new Error(rec.stderr)
    console.log(`\nperf (all threads of the client process): ${rec.stdout.trim()}`)
    perfReport(data, ['--sort', 'comm'], 'by thread')
    perfReport(data, ['--sort', 'dso'], 'by binary')
    perfReport(data, ['--sort', 'comm,dso,sym'], 'by symbol')
  }
} finally {
  await server.close()
  if (!opts.keep) rmSync(dir, { recursive: true, force: true })
  else console.log(`\nprofiles kept in ${dir} (open the .cpuprofile in Chrome DevTools; perf report -i ${join(dir, 'perf.data')})`)
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
