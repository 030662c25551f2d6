// The JS thread's rows path built up piece by piece: from a library-free `for await` loop that
// makes the bench's ten values per row, adding taosjs's real pieces one at a time, up to a real
// `for await` read over the socket. Every step reads the same 1M rows (the bench's 10 columns);
// the in-memory steps replay the packed batches the addon handed over for that query (captured
// once, no socket, no connection thread). Steps alternate round by round in one process, a full
// GC before each; per step the medians of: the whole process's CPU (user + sys), the JS thread's
// (from /proc/self/task/<tid>/schedstat, ns), V8's helper threads' and the connection's thread's.
//   node --import=tsx --expose-gc bench/rows-ablation.mjs [--rounds 7] [--rows 1000000] [--steps a,b,…]
// With --procs K, each step is instead timed as the first read of K fresh processes each (what the
// bench measures: connect, a warm-up query, one read; the batches replayed from a file).
// Runs from the sources (tsx), so a scratch edit of src/ is measured without a build.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(import.meta.dirname, '..')
const src = (m) => import(pathToFileURL(`${root}/src/${m}.ts`).href)
const taos = await src('index')
const { unpackBatch } = await src('native')
const { RowStream, TaosResult, NOT_READY } = await src('result')
const { rowReader } = await src('rows')
const { columnReader } = await src('values')
const { asciiSlice, utf8Slice } = await src('bytes')
const { COLUMNS, plainColumns } = await import(pathToFileURL(`${root}/bench/lib/data.mjs`).href)

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    rows: { type: 'string', default: '1000000' },
    steps: { type: 'string' },
    procs: { type: 'string' },
    child: { type: 'string' },
  },
})
const SQL = 'select * from rowablation.t'
// --procs: the captured batches, for the fresh processes.
const BATCHES = `/tmp/rows-ablation.${process.ppid}.batches`

/** The packed buffers of one query as the addon hands them over: the first (with the description), then each batch. */
async function capture(conn, N) {
  const probe = await conn.query('select server_version()')
  const proto = Object.getPrototypeOf(probe.stream.native)
  await probe.toArray()
  const { take, fetchBatch } = proto
  const packed = []
  proto.take = function () { const p = take.call(this); if (p !== null) packed.push(p); return p }
  proto.fetchBatch = async function (...a) { const p = await fetchBatch.apply(this, a); packed.push(p); return p }
  try {
    const r = await conn.query(SQL)
    let n = 0
    for await (const _ of r) n++
    if (n !== N) throw new Error(`captured ${n} rows`)
  } finally {
    proto.take = take
    proto.fetchBatch = fetchBatch
  }
  return packed
}

let N = Number(args.rows)
let conn
let server
let dsn
let packed
if (args.child === undefined) {
  // The server in its own process, the data, and the batches of one read.
  server = spawn(process.execPath, [`${root}/bench/lib/testserver.mjs`], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve) => server.stdout.on('data', (d) => { const m = /listening on (\S+)/.exec(String(d)); if (m) resolve(m[1]) }))
  process.on('exit', () => server.kill('SIGTERM')) // also when a step throws
  dsn = url.replace('ws://', 'ws://root:taosdata@')
  conn = await taos.connect(dsn)
  await conn.execute('create database rowablation'); await conn.execute(`create table rowablation.t (${COLUMNS})`)
  const stmt = await conn.statement2('insert into rowablation.t values (?,?,?,?,?,?,?,?,?,?)')
  for (let s = 0; s < N; s += 10000) { await stmt.bindParam(null, null, [plainColumns(s, Math.min(10000, N - s))]); await stmt.execute() }
  packed = await capture(conn, N)
} else {
  // A fresh process that times one step's first read (--procs), as the bench's client does.
  const job = JSON.parse(args.child)
  N = job.rows
  conn = await taos.connect(job.dsn)
  await (await conn.query('select server_version()')).toArray() // the bench's warm-up query
  const all = readFileSync(job.batches)
  packed = []
  for (let at = 0; at < all.length; ) {
    const len = all.readUInt32LE(at)
    const p = Buffer.alloc(len) // 8-byte aligned, as the addon's are
    all.copy(p, 0, at + 4, at + 4 + len)
    packed.push(p)
    at += 4 + len
  }
}

/**
 * A PackedResult that hands out the captured batches: resolved at once (no socket, no thread),
 * or `after` a macrotask (as the addon's answer arrives: an event-loop turn per batch), each batch
 * `fresh`ly copied into new memory (as the addon's: new pages, a new external buffer to collect).
 */
function replay({ after = false, fresh = false } = {}) {
  let k = 0
  const next = () => (fresh ? Buffer.from(packed[k++]) : packed[k++])
  return {
    take: () => (k === 0 ? next() : null),
    fetchBatch: () => (after ? new Promise((resolve) => setImmediate(() => resolve(next()))) : Promise.resolve(next())),
    close() {},
  }
}

// ---- the library-free part: the ten values of a row made by hand from a block's views
/** A block's views as the harness reads them (what `values.ts`'s prepare makes). */
function views(block) {
  const c = block.columns
  const ts = c[0].data
  const text = (col) => {
    const o = col.offsets
    const n = o.length - 1
    const cut = col.text === 1 ? o : col.utf16Offsets
    return { whole: (col.text === 1 ? asciiSlice : utf8Slice)(col.data, o[0], o[n]), cut, base: cut[0] }
  }
  return {
    rows: block.rows,
    n: c.map((x) => x.nulls),
    tsLo: new Uint32Array(ts.buffer, ts.byteOffset, ts.length * 2),
    tsHi: new Int32Array(ts.buffer, ts.byteOffset, ts.length * 2),
    bool: c[1].data, tiny: c[2].data, int: c[3].data, big: c[4].data, uint: c[5].data, float: c[6].data, double: c[7].data,
    str: text(c[8]), nchar: text(c[9]),
  }
}

/** Row `i` of `v`, by hand: the same values, NULL checks and kinds the compiled row function makes. */
function handRow(v, i) {
  const n = v.n
  const s = v.str, t = v.nchar
  return [
    n[0][i] !== 0 ? null : new Date(v.tsHi[2 * i + 1] * 4294967296 + v.tsLo[2 * i]),
    n[1][i] !== 0 ? null : v.bool[i] !== 0,
    n[2][i] !== 0 ? null : v.tiny[i],
    n[3][i] !== 0 ? null : v.int[i],
    n[4][i] !== 0 ? null : v.big[i],
    n[5][i] !== 0 ? null : v.uint[i],
    n[6][i] !== 0 ? null : v.float[i],
    n[7][i] !== 0 ? null : v.double[i],
    n[8][i] !== 0 ? null : s.whole.slice(s.cut[i] - s.base, s.cut[i + 1] - s.base),
    n[9][i] !== 0 ? null : t.whole.slice(t.cut[i] - t.base, t.cut[i + 1] - t.base),
  ]
}

/** An async iterable over rows: `row(state, i)` for each row of each of `blocks()`'s blocks. */
function rowsOf(blocks, load, row) {
  return {
    [Symbol.asyncIterator]() {
      const it = blocks()
      let v = null
      let i = 0
      let rows = 0
      return {
        async next() {
          while (i >= rows) {
            const b = it.next()
            if (b.done) return { done: true, value: undefined }
            v = load(b.value)
            i = 0
            rows = b.value.rows
          }
          return { done: false, value: row(v, i++) }
        },
      }
    },
  }
}

/** The captured batches' blocks, unpacked now (views made anew, as each read does). */
function* unpacked() {
  for (const p of packed) yield* unpackBatch(p).blocks
}
// The blocks and their views made once, before any step is timed (the harness's input).
const heldBlocks = [...unpacked()]
const heldViews = heldBlocks.map(views)
function* held() {
  yield* heldViews.map((v) => ({ rows: v.rows, v }))
}
const fields = unpackBatch(packed[0]).info.fields
const readers = fields.map((f) => columnReader({ ...f }, 'ms', {}))

async function count(iterable) {
  let n = 0
  for await (const _ of iterable) n++
  return n
}

// ---- the steps, each adding one piece
const STEPS = {
  // No library: views made beforehand, the row made by hand, a minimal async iterator.
  harness: () => count(rowsOf(held, (b) => b.v, handRow)),
  // + each batch unpacked (typed-array views) and each block's views and text decoded while reading.
  'unpack+views': () => count(rowsOf(unpacked, views, handRow)),
  // + the compiled row function of rows.ts and the readers of values.ts (its load() per block) instead of handRow.
  'row function': () => {
    const reader = rowReader(readers, 'array', fields.map((f) => f.name))
    return count(rowsOf(unpacked, (b) => { reader.load(b.columns); return reader }, (r, i) => r.row(i)))
  },
  // + RowStream and TaosResult's iterator (queue, requests ahead, bookkeeping), over the replayed batches.
  'RowStream replayed': () => count(new TaosResult(new RowStream(replay(), { rowMode: 'array' }, () => undefined), 'array')),
  // + an event-loop turn before each batch (setImmediate), as an answer from the connection's thread.
  '+ macrotask per batch': () => count(new TaosResult(new RowStream(replay({ after: true }), { rowMode: 'array' }, () => undefined), 'array')),
  // + each batch copied into fresh memory first (the copy, ≈ 70 bytes a row, is on the JS thread here).
  '+ fresh batch memory': () => count(new TaosResult(new RowStream(replay({ after: true, fresh: true }), { rowMode: 'array' }, () => undefined), 'array')),
  // Not a step of the ladder: the copies of '+ fresh batch memory' alone (what that step adds by copying).
  'batch copies alone': async () => { let n = 0; for (const p of packed) { const c = Buffer.from(p); n += c[0] === 1 ? unpackBatch(c).blocks.reduce((r, b) => r + b.rows, 0) : 0 } return n },
  // The real thing: a query over the socket, batches from the connection's thread.
  'real query': async () => count(await conn.query(SQL)),
}
const steps = args.steps ? args.steps.split(',') : Object.keys(STEPS)

/** Each thread's CPU ns (schedstat) and name, by thread id. */
function threads() {
  const out = new Map()
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
      out.set(tid, { ns, name })
    } catch {}
  }
  return out
}
function kind(tid, name) {
  if (tid === String(process.pid)) return 'js'
  if (/tokio/i.test(name)) return 'conn'
  // Node names V8's platform workers (GC, compiler) after the process.
  if (name === 'node' || /V8/i.test(name)) return 'v8'
  return 'other'
}

/** Times one read of `step`: CPU per row of the process and of each kind of thread. */
async function measure(step) {
  const t0 = threads()
  const c0 = process.cpuUsage()
  const f0 = process.resourceUsage().minorPageFault
  const n = await STEPS[step]()
  const c = process.cpuUsage(c0)
  const faults = process.resourceUsage().minorPageFault - f0
  const t1 = threads()
  if (n !== N) throw new Error(`${step}: ${n} rows`)
  const by = { js: 0, v8: 0, conn: 0, other: 0 }
  for (const [tid, t] of t1) by[kind(tid, t.name)] += (t.ns - (t0.get(tid)?.ns ?? 0)) / 1000 / N
  return { cpu: (c.user + c.system) / N, sys: c.system / N, faults: (faults / N) * 1000, ...by }
}

if (args.child !== undefined) {
  console.log(`ABLATION ${JSON.stringify(await measure(JSON.parse(args.child).step))}`)
  await conn.close()
  process.exit(0)
}

const results = Object.fromEntries(steps.map((s) => [s, []]))
const fresh = args.procs !== undefined
const rounds = Number(fresh ? args.procs : args.rounds)
if (fresh) {
  const { writeFileSync } = await import('node:fs')
  const { spawnSync } = await import('node:child_process')
  const parts = []
  for (const p of packed) { const len = Buffer.alloc(4); len.writeUInt32LE(p.length); parts.push(len, p) }
  writeFileSync(BATCHES, Buffer.concat(parts))
  let kept = 0
  var runChild = (step) => {
    // ABLATION_WRAP='cmd args': each fresh process runs under cmd (perf record, taskset).
    const wrap = process.env.ABLATION_WRAP?.split(' ').filter(Boolean) ?? []
    const argv = [...process.execArgv, import.meta.filename, '--child', JSON.stringify({ step, dsn, rows: N, batches: BATCHES })]
    const r = wrap.length > 0 ? spawnSync(wrap[0], [...wrap.slice(1), process.execPath, ...argv], { encoding: 'utf8' }) : spawnSync(process.execPath, argv, { encoding: 'utf8' })
    // ABLATION_KEEP=prefix: each fresh process's output (e.g. with --trace-deopt) in prefix.<step>.<k>.log.
    if (process.env.ABLATION_KEEP) writeFileSync(`${process.env.ABLATION_KEEP}.${step.replace(/\W+/g, '_')}.${kept++}.log`, r.stdout + r.stderr)
    const line = /ABLATION (.*)/.exec(r.stdout)
    if (!line) throw new Error(`${step}: ${r.stdout.slice(-1000)} ${r.stderr.slice(-2000)}`)
    return JSON.parse(line[1])
  }
}
for (let round = 0; round < rounds; round++) {
  // Rotate the order each round so no step always follows the same one.
  const order = steps.map((_, k) => steps[(k + round) % steps.length])
  for (const step of order) {
    if (fresh) {
      results[step].push(runChild(step))
    } else {
      global.gc?.()
      results[step].push(await measure(step))
    }
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] }
console.log(`${N} rows, ${fresh ? `${rounds} fresh processes per step (the first read of each)` : `${rounds} rounds in one process`}, load ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}; µs CPU/row, medians`)
console.log('step'.padEnd(22), 'process', '   JS', '   V8', ' conn', 'other', '  sys', 'faults/1k', '  JS Δ')
let prev
for (const step of steps) {
  const r = results[step]
  const m = (k) => median(r.map((x) => x[k]))
  const js = m('js')
  console.log(step.padEnd(22), m('cpu').toFixed(3).padStart(7), js.toFixed(3).padStart(5), m('v8').toFixed(3).padStart(5), m('conn').toFixed(3).padStart(5), m('other').toFixed(3).padStart(5), m('sys').toFixed(3).padStart(5), m('faults').toFixed(1).padStart(9), prev === undefined ? '' : (js - prev >= 0 ? '+' : '') + (js - prev).toFixed(3))
  prev = js
}
if (process.env.ABLATION_RAW) console.log(JSON.stringify(results))
if (fresh) (await import('node:fs')).rmSync(BATCHES)
await conn.close(); server.kill('SIGTERM'); process.exit(0)
