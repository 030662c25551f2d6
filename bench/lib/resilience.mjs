// What the resilience figures of issue 21 share (bench/resilience-*.mjs): the built package, the
// scale, percentiles, memory and handle samples, and the RESULT line. Each figure runs taosjs
// alone against its own embedded server (taosjs/testing, in a process of its own:
// server-process.mjs), which it restarts, drops and slows down on purpose;
// `npm run bench -- --only resilience` runs all four.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** taosjs as built in dist/. */
export async function load() {
  return import(pathToFileURL(join(root, 'dist', 'index.mjs')).href)
}

/** `--quick` (or BENCH_QUICK=1): small sizes, for a smoke run. */
export const quick = process.argv.includes('--quick') || ['1', 'true'].includes(process.env.BENCH_QUICK ?? '')

/** The `p`-th percentile (0..100) of numbers, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Milliseconds since `since` (a performance.now() value), with 2 decimals. */
export function msSince(since) {
  return Math.round((performance.now() - since) * 100) / 100
}

/**
 * Whether the driver reconnects a `Connection` by itself (issue 21 item 2): it is an
 * EventEmitter that announces 'reconnected'.
 */
export function driverReconnects(conn) {
  return typeof conn.on === 'function' && typeof conn.once === 'function'
}

/** Resolves with the ms until `conn` emits 'reconnected', or rejects after `timeoutMs`. */
export function reconnected(conn, timeoutMs = 10_000) {
  const since = performance.now()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('reconnected', done)
      reject(new Error(`no 'reconnected' within ${timeoutMs} ms`))
    }, timeoutMs)
    function done() {
      clearTimeout(timer)
      resolve(msSince(since))
    }
    conn.once('reconnected', done)
  })
}

/** RSS (MB) and open handles after a full GC (needs --expose-gc). */
export async function sample() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await new Promise((r) => setImmediate(r))
  }
  return {
    rssMb: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
    heapMb: Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10,
    handles: process.getActiveResourcesInfo().length,
    fds: readdirSync('/proc/self/fd').length,
  }
}

/** Prints the human-readable lines and the machine-readable `RESULT {json}` line. */
export function report(name, lines, result) {
  console.log(`${name}:`)
  for (const line of lines) console.log(`  ${line}`)
  console.log(`RESULT ${JSON.stringify({ workload: name, ...result })}`)
}
