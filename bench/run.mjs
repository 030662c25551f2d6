#!/usr/bin/env node
// `npm run bench`: taosjs and its peers side by side against one embedded test server.
//
//   npm run bench                          full scale, 5 alternating runs, every workload
//   npm run bench -- --quick               small sizes, 1 run (a smoke run; also BENCH_QUICK=1)
//   npm run bench -- --only rows,latency   some workloads;  --clients taosjs,taos-ws-py  some clients
//   npm run bench -- --only resilience     the resilience figures of issue 21 (run apart; see below)
//   npm run bench -- --runs 7              more runs;       --out DIR  where results go
//   npm run bench -- --write-benchmarks    also replace the generated section of BENCHMARKS.md
//   npm run bench -- --resume              keep the workloads the output directory's results.json
//                                          measured completely; run only the others
//   PEER_NODE_DIR=/path/to/built/@tdengine/websocket npm run bench   adds that client
//   BASELINE_DIR=/path/to/another/built/taosjs npm run bench   adds that build as client
//                                          taosjs-baseline (an A/B of two builds in one run)
//
// The server starts once, in its own process; the data is loaded once; then every (workload,
// client, run) is a fresh process that measures its own window (getrusage: user+sys of all its
// threads, ru_maxrss for peak RSS) and prints one RESULT line. Runs alternate the clients' order,
// and the report gives medians and ratios measured in the same run. Writes results.json,
// results.md and chart.svg to the output directory.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startServer } from './lib/server.mjs'
import { aggregate, markdown, svgChart, updateBenchmarks } from './lib/report.mjs'
import { clients as allClients, jobFor, WORKLOADS } from './lib/workloads.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: ['1', 'true'].includes(process.env.BENCH_QUICK ?? '') },
    runs: { type: 'string' },
    only: { type: 'string' },
    clients: { type: 'string' },
    out: { type: 'string' },
    'write-benchmarks': { type: 'boolean', default: false },
    'worker-timeout': { type: 'string', default: '900' },
    resume: { type: 'boolean', default: false },
  },
})
const scale = opts.quick ? 'quick' : 'full'
const runs = Number(opts.runs ?? process.env.BENCH_RUNS ?? (opts.quick ? 1 : 5))
const outDir = opts.out ?? join(here, 'results', opts.quick ? 'quick' : '')
const only = opts.only?.split(',')
const wantClients = opts.clients?.split(',')
const venv = process.env.VENV ?? join(root, '.venv')
const python = join(venv, 'bin', 'python')
const peerNodeDir = process.env.PEER_NODE_DIR
const baselineDir = process.env.BASELINE_DIR

// The resilience figures of issue 21 (bench/resilience-*.mjs): taosjs alone against a server of
// their own that they restart, drop and slow down, so they run apart from the side-by-side
// workloads, only when named: `--only resilience` (all four) or `--only resilience-pool,…`.
const RESILIENCE = ['resilience-soak', 'resilience-reconnect', 'resilience-pool', 'resilience-leak']
if (only?.some((id) => id === 'resilience' || RESILIENCE.includes(id))) {
  const strangers = only.filter((id) => id !== 'resilience' && !RESILIENCE.includes(id))
  if (strangers.length > 0) fail(`--only: run ${strangers.join(', ')} apart from the resilience figures`)
  let failed = 0
  for (const id of only.includes('resilience') ? RESILIENCE : only) {
    const flags = [...(id === 'resilience-leak' ? ['--expose-gc'] : []), join(here, `${id}.mjs`), ...(opts.quick ? ['--quick'] : [])]
    log(`bench: node ${flags.map((f) => (f.startsWith('/') ? relative(root, f) : f)).join(' ')}`)
    const { status } = spawnSync(process.execPath, flags, { stdio: 'inherit' })
    if (status !== 0) failed++
  }
  process.exit(failed > 0 ? 1 : 0)
}

const CLIENTS = allClients({ root, python, peerNodeDir, baselineDir })
for (const id of [...(only ?? [])]) if (!WORKLOADS.some((w) => w.id === id)) fail(`--only: no workload ${id} (have ${WORKLOADS.map((w) => w.id).join(', ')})`)
for (const id of wantClients ?? []) if (!(id in CLIENTS)) fail(`--clients: no client ${id} (have ${Object.keys(CLIENTS).join(', ')})`)
const workloads = WORKLOADS.filter((w) => only === undefined || only.includes(w.id))
const clientsOf = (w) => w.clients.filter((c) => c in CLIENTS && (wantClients === undefined || wantClients.includes(c)))

function fail(message) {
  console.error(`bench: ${message}`)
  process.exit(2)
}

function log(message) {
  process.stderr.write(`${message}\n`)
}

// ---- what the selected clients need
if (!existsSync(join(root, 'dist', 'index.mjs'))) fail('dist/ is missing: run `npm install` (or `npm run build`) first')
const needs = new Set(workloads.flatMap((w) => clientsOf(w).flatMap((c) => (CLIENTS[c].skip ? [] : CLIENTS[c].needs))))
if (needs.has('bench-npm') && !existsSync(join(here, 'node_modules', 'ws')) ) {
  log('bench: installing the Node peers into bench/node_modules (npm ci)')
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, stdio: 'inherit' })
}
if (needs.has('python')) {
  const ok = () => {
    try {
      execFileSync(python, ['-c', 'import taosws, taosrest'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }
  if (!ok()) {
    log(`bench: installing the Python peers into ${relative(root, venv) || venv}`)
    execFileSync('bash', [join(root, 'scripts', 'conformance', 'setup-venv.sh')], { stdio: 'inherit', env: { ...process.env, VENV: venv } })
  }
}

const versions = peerVersions()
const server = await startServer(root)
log(`bench: ${server.kind} at ${server.host}:${server.port}; ${scale} scale, ${runs} run(s)`)
const base = { root, host: server.host, port: server.port, user: 'root', password: 'taosdata', peerNodeDir }

const started = new Date()
const load = [loadavg()[0]]
const results = [] // one entry per (workload, client, run)
// --resume: a workload measured before with every run succeeding (or n/a) is kept, not rerun.
const kept = new Set()
let resumedFrom
if (opts.resume && existsSync(join(outDir, 'results.json'))) {
  const before = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'))
  for (const w of workloads) {
    const mine = before.results.filter((r) => r.workload === w.id)
    const complete = clientsOf(w).every((c) => CLIENTS[c].skip || mine.filter((r) => r.client === c && !r.error).length === runs || mine.some((r) => r.client === c && r.unsupported))
    if (before.meta.scale === scale && before.meta.runs === runs && mine.length > 0 && complete) {
      kept.add(w.id)
      results.push(...mine)
    }
  }
  resumedFrom = before.meta.resumedFrom ?? before.meta.date
  log(`bench: --resume keeps ${[...kept].join(', ') || 'nothing'} from ${resumedFrom}`)
}
const live = new Set() // worker processes now running
// Interrupted (Ctrl-C, kill): stop the workers and the server instead of leaving them behind.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    for (const child of live) child.kill('SIGKILL')
    await server.close()
    process.exit(130)
  })
}
try {
  // ---- data, once
  const size = (id) => (workloads.some((w) => w.id === id && !kept.has(id)) ? WORKLOADS.find((w) => w.id === id).size[scale] : 0)
  const wide = Math.max(size('rows'), size('objects'), size('blocks'), size('columns'), size('arrow'), size('tmq'))
  const big = size('stream')
  const t0 = Date.now()
  log(`bench: loading bench.wide (${wide} rows) and bench.big (${big} rows)`)
  const loaded = await runChild([process.execPath, [join(here, 'lib', 'setup.mjs'), JSON.stringify({ ...base, wide, big })]], false)
  if (loaded.error) throw new Error(`loading the data failed: ${loaded.error}`)
  log(`bench: data loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

  // ---- the runs: workload by workload, clients alternating order from run to run
  for (const w of workloads) {
    if (kept.has(w.id)) continue
    const ids = clientsOf(w)
    for (let run = 0; run < runs; run++) {
      const order = ids.map((_, i) => ids[(i + run) % ids.length])
      for (const id of order) {
        const client = CLIENTS[id]
        if (client.skip) {
          if (run === 0) results.push({ workload: w.id, client: id, run, skipped: client.skip })
          continue
        }
        const job = jobFor(w, scale, base, id)
        const serverCpu0 = server.cpuMs()
        const r = await runChild(client.command(job), true)
        const entry = { workload: w.id, client: id, run, serverCpuMs: server.cpuMs() - serverCpu0, ...r }
        if (r.units !== undefined && r.units !== job.rows) entry.error = `counted ${r.units} ${w.unit}s, expected ${job.rows}`
        results.push(entry)
        log(`  ${w.id.padEnd(13)} run ${run + 1}/${runs} ${id.padEnd(14)} ${describe(entry, w)}`)
      }
    }
    writeReport() // after each workload, so a long run that dies keeps what it measured
  }
} finally {
  load.push(loadavg()[0])
  await server.close()
}

// ---- report
const md = writeReport()
console.log(md)
if (opts['write-benchmarks']) {
  updateBenchmarks(join(root, 'BENCHMARKS.md'), md)
  log('bench: BENCHMARKS.md updated')
}
log(`bench: wrote ${relative(root, outDir) || '.'}/results.{json,md} and chart.svg`)
const failed = results.filter((r) => r.error)
if (failed.length > 0) {
  log(`bench: ${failed.length} run(s) failed:`)
  for (const r of failed) log(`  ${r.workload} ${r.client} run ${r.run + 1}: ${r.error}`)
  process.exit(1)
}

/** Writes results.json, chart.svg and results.md for what was measured so far; returns the markdown. */
function writeReport() {
  const machine = {
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    freeGiBAtEnd: Math.round(freemem() / 2 ** 30),
    loadAverage: [load[0], load[1] ?? loadavg()[0]].map((l) => l.toFixed(1)),
    node: process.version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', 'src', 'crates', 'bench', ':!bench/results']) !== '',
  }
  const command = `${peerNodeDir ? 'PEER_NODE_DIR=… ' : ''}${baselineDir ? 'BASELINE_DIR=… ' : ''}npm run bench${opts.quick ? ' -- --quick' : ''}${only ? ` --only ${only.join(',')}` : ''}${wantClients ? ` --clients ${wantClients.join(',')}` : ''}${opts.runs ? ` --runs ${runs}` : ''}`
  const meta = { date: (resumedFrom ?? started.toISOString()), resumedAt: resumedFrom ? started.toISOString() : undefined, resumedFrom, scale, runs, command, server: server.kind, machine, versions }
  const summary = aggregate(results, workloads)
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ meta, summary, results }, null, 1)}\n`)
  writeFileSync(join(outDir, 'chart.svg'), svgChart(summary, workloads, CLIENTS, meta))
  const md = markdown(summary, workloads, CLIENTS, meta, relative(root, join(outDir, 'chart.svg')))
  writeFileSync(join(outDir, 'results.md'), md)
  return md
}

/** Runs a worker; resolves with its RESULT (or { error }). */
function runChild([cmd, args], measured) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONPATH: join(here, 'clients') } })
    live.add(child)
    let out = ''
    let err = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (err += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), Number(opts['worker-timeout']) * 1000)
    child.on('close', (code, signal) => {
      live.delete(child)
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('RESULT '))
      if (code !== 0 || (measured && line === undefined)) {
        const why = signal ? `killed by ${signal}` : code === 0 ? 'exited 0 without a RESULT line (the client library ended the process: see its log)' : `exit ${code}`
        resolve({ error: `${why}: ${firstError(err || out)}` })
        return
      }
      resolve(line === undefined ? {} : JSON.parse(line.slice(7)))
    })
  })
}

/** The line that says what went wrong (a JS or Python exception), else the last lines. */
function firstError(text) {
  const lines = text.trim().split('\n')
  const line = lines.find((l) => /^\s*(\w+\.)*\w*(Error|Exception)\b/.test(l)) ?? lines.slice(-3).join(' | ')
  return line.trim().slice(0, 300)
}

function describe(r, w) {
  if (r.error) return `ERROR ${r.error}`
  if (r.unsupported) return `n/a (${r.unsupported})`
  const cpu = ((r.cpuUserMs + r.cpuSysMs) * 1000) / r.units
  const lat = r.p50Us === undefined ? '' : ` p50 ${r.p50Us.toFixed(0)} µs p99 ${r.p99Us.toFixed(0)} µs`
  return `${cpu.toFixed(3)} µs CPU/${w.unit}, ${r.wallMs.toFixed(0)} ms wall, ${(r.peakRssKb / 1024).toFixed(0)} MB peak RSS${lat}`
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}

function peerVersions() {
  const v = { taosjs: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version }
  try {
    const out = execFileSync(
      python,
      ['-c', "import importlib.metadata as m, sys; print(m.version('taos-ws-py'), m.version('taospy'), sys.version.split()[0])"],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
    ;[v['taos-ws-py'], v['taospy-rest'], v.python] = out.trim().split(' ')
  } catch {
    // the venv is made only when a Python client is selected
  }
  for (const [id, dir] of [['tdengine-rest', join(here, 'node_modules', '@tdengine', 'rest')], ['tdengine-ws', peerNodeDir], ['floor', join(here, 'node_modules', 'ws')]]) {
    try {
      if (dir) v[id] = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version
    } catch {
      // not installed
    }
  }
  return v
}
