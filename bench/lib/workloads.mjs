// What `npm run bench` measures: the workloads of issue 23, the clients that can run each, and
// the targets the report checks. One place to add a workload or a client.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The clients. Each runs a workload in its own process (`command(job)`), so its CPU time and
 * peak RSS are its own; `needs` names what the harness installs first.
 */
export function clients({ root, python, peerNodeDir, baselineDir }) {
  const node = (script) => (job) => [process.execPath, [join(root, 'bench', 'clients', script), JSON.stringify(job)]]
  const py = (script) => (job) => [python, [join(root, 'bench', 'clients', script), JSON.stringify(job)]]
  return {
    taosjs: { label: 'taosjs', command: node('taosjs.mjs'), needs: [] },
    // An A/B of two builds in one run (BASELINE_DIR: another built checkout, e.g. main's): the
    // same client script, loading that checkout's dist/. Only there when the directory is given.
    ...(baselineDir ? { 'taosjs-baseline': { label: 'taosjs (baseline)', command: (job) => node('taosjs.mjs')({ ...job, root: baselineDir }), needs: [] } } : {}),
    // The same client on the WebAssembly build (NAPI_RS_FORCE_WASI=1; `npm run build:wasm` first).
    'taosjs-wasm': {
      label: 'taosjs (WASM)',
      command: node('taosjs-wasm.mjs'),
      needs: [],
      skip: existsSync(join(root, 'taosjs.wasm32-wasi.wasm')) ? undefined : 'the WebAssembly build is missing: run `npm run build:wasm` first',
    },
    'taos-ws-py': { label: 'taos-ws-py', command: py('taosws_client.py'), needs: ['python'] },
    'taospy-rest': { label: 'taospy REST', command: py('taosrest_client.py'), needs: ['python'] },
    'tdengine-rest': { label: '@tdengine/rest', command: node('tdengine-rest.mjs'), needs: ['bench-npm'] },
    'tdengine-ws': {
      label: '@tdengine/websocket',
      command: node('tdengine-websocket.mjs'),
      needs: [],
      skip: peerNodeDir ? undefined : 'not on the npm registry here: set PEER_NODE_DIR to a built copy',
    },
    floor: { label: 'floor (Node ws)', command: node('floor.mjs'), needs: ['bench-npm'] },
  }
}

/** The job a client process gets (argv[2], JSON) for one workload at one scale. */
export function jobFor(w, scale, base, clientId) {
  return {
    ...base,
    workload: w.id,
    rows: w.size[scale],
    sql: w.sql,
    tables: w.tables,
    batchRows: w.batchRows,
    warmup: w.warmup ?? 0,
    db: `bw_${clientId.replace(/\W/g, '_')}`,
  }
}

const FETCHERS = ['taosjs', 'taosjs-wasm', 'taos-ws-py', 'taospy-rest', 'tdengine-rest', 'tdengine-ws']
/** The small queries, measured for CPU (small-query) and for latency. */
const SMALL = { unit: 'query', warmup: 50, sql: 'select * from bench.one', clients: [...FETCHERS, 'floor'] }
const WS_WRITERS = ['taosjs', 'taosjs-wasm', 'taos-ws-py', 'tdengine-ws']

/**
 * The workloads, in report order. `size` is the count of units (rows, queries or lines) at full
 * and quick scale; `metric` is what the chart and the targets read; `reference` is the workload
 * whose peer figures a taosjs-only workload is compared with.
 */
export const WORKLOADS = [
  {
    id: 'rows',
    title: 'fetch rows × 10 columns into row arrays',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    sql: 'select * from bench.wide',
    clients: FETCHERS,
  },
  {
    id: 'objects',
    title: 'fetch rows × 10 columns into row objects',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    sql: 'select * from bench.wide',
    clients: FETCHERS,
  },
  {
    id: 'blocks',
    title: 'fetch as blocks of columns (`result.blocks()`); floor: the block bytes off the socket, copied once',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    sql: 'select * from bench.wide',
    clients: ['taosjs', 'floor'],
    reference: 'rows',
  },
  {
    id: 'columns',
    title: 'fetch as whole columns (`result.toColumns()`, when it exists)',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    sql: 'select * from bench.wide',
    clients: ['taosjs'],
    reference: 'rows',
  },
  {
    id: 'arrow',
    title: 'fetch as an Arrow table (`result.toArrow()`, when it exists)',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    sql: 'select * from bench.wide',
    clients: ['taosjs'],
    reference: 'rows',
  },
  {
    id: 'stmt2-arrays',
    title: 'stmt2 insert from plain arrays, 10k-row batches over 100 child tables; floor: the bind message built in plain JS',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    tables: 100,
    batchRows: 10_000,
    clients: [...WS_WRITERS, 'floor'],
  },
  {
    id: 'stmt2-typed',
    title: 'stmt2 insert from typed arrays (same batches)',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    tables: 100,
    batchRows: 10_000,
    clients: ['taosjs', 'floor'],
    reference: 'stmt2-arrays',
  },
  {
    id: 'small-query',
    title: 'sequential small queries (1 row × 10 columns each)',
    size: { full: 2_000, quick: 200 },
    ...SMALL,
  },
  {
    id: 'latency',
    title: 'latency of sequential small queries',
    size: { full: 10_000, quick: 500 },
    ...SMALL,
    metric: 'p50Us',
  },
  {
    id: 'schemaless',
    title: 'schemaless line protocol, 10k-line batches, 100 tables',
    unit: 'line',
    size: { full: 1_000_000, quick: 50_000 },
    tables: 100,
    batchRows: 10_000,
    clients: WS_WRITERS,
  },
  {
    id: 'stream',
    title: 'streaming rows × 10 columns (peak RSS)',
    unit: 'row',
    size: { full: 10_000_000, quick: 200_000 },
    sql: 'select * from bench.big',
    clients: WS_WRITERS,
    metric: 'peakRssMb',
  },
  {
    id: 'tmq',
    title: 'TMQ consumption: a new consumer group reads a topic over rows × 10 columns from the start, row by row',
    unit: 'row',
    size: { full: 1_000_000, quick: 50_000 },
    sql: 'select * from bench.wide',
    clients: ['taosjs', 'taosjs-wasm', 'taos-ws-py'],
  },
]

// The baseline build runs wherever taosjs does (when BASELINE_DIR is given).
for (const w of WORKLOADS) if (w.clients.includes('taosjs')) w.clients = [...w.clients, 'taosjs-baseline']

/**
 * Issue 23's targets as checks on the medians: each compares taosjs's figure with the `ratio`
 * figure (workload, client, metric) against `max`, or with an `absolute` bound. A `reading` only
 * reports the ratio (N× of a floor): informational, never met or missed.
 */
export const TARGETS = [
  { workload: 'rows', text: 'taosjs ≤ 1/3 of taos-ws-py CPU/row', ratio: ['rows', 'taos-ws-py', 'cpuPerUnitUs'], max: 1 / 3 },
  { workload: 'objects', text: 'taosjs objects within 1.3× of taosjs arrays', ratio: ['rows', 'taosjs', 'cpuPerUnitUs'], max: 1.3 },
  { workload: 'blocks', text: 'taosjs blocks ≤ 1/10 of taos-ws-py CPU/row', ratio: ['rows', 'taos-ws-py', 'cpuPerUnitUs'], max: 0.1 },
  { workload: 'blocks', text: 'taosjs blocks within 3× of the floor', ratio: ['blocks', 'floor', 'cpuPerUnitUs'], max: 3 },
  { workload: 'columns', text: 'taosjs columns ≤ 1/10 of taos-ws-py CPU/row', ratio: ['rows', 'taos-ws-py', 'cpuPerUnitUs'], max: 0.1 },
  { workload: 'columns', text: 'taosjs columns within 3× of the floor (blocks off the socket, copied once)', ratio: ['blocks', 'floor', 'cpuPerUnitUs'], max: 3 },
  { workload: 'stmt2-arrays', text: 'taosjs ≤ 1/3 of taos-ws-py CPU/row', ratio: ['stmt2-arrays', 'taos-ws-py', 'cpuPerUnitUs'], max: 1 / 3 },
  { workload: 'stmt2-typed', text: 'taosjs ≤ 1/3 of taos-ws-py CPU/row', ratio: ['stmt2-arrays', 'taos-ws-py', 'cpuPerUnitUs'], max: 1 / 3 },
  // Readings, not targets: how far taosjs is from the stmt2 floor (the bind message built in plain JS, no checks).
  { workload: 'stmt2-arrays', text: 'reading: taosjs within N× of the floor (the bind built in plain JS)', ratio: ['stmt2-arrays', 'floor', 'cpuPerUnitUs'], reading: true },
  { workload: 'stmt2-typed', text: 'reading: taosjs within N× of the floor (the bind built in plain JS)', ratio: ['stmt2-typed', 'floor', 'cpuPerUnitUs'], reading: true },
  { workload: 'small-query', text: 'taosjs ≤ 1/2 of taos-ws-py CPU/query', ratio: ['small-query', 'taos-ws-py', 'cpuPerUnitUs'], max: 0.5 },
  { workload: 'latency', text: 'taosjs p50 within 1.5× of the bare round trips (floor)', metric: 'p50Us', ratio: ['latency', 'floor', 'p50Us'], max: 1.5 },
  { workload: 'latency', text: 'taosjs p99 no worse than taos-ws-py', metric: 'p99Us', ratio: ['latency', 'taos-ws-py', 'p99Us'], max: 1 },
  { workload: 'stream', text: 'taosjs peak RSS under 200 MB', metric: 'peakRssMb', absolute: 200 },
]
