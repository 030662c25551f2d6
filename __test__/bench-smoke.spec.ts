/**
 * A smoke run of the benchmark harness (`npm run bench`): quick scale, taosjs only, two
 * workloads, so a change to the client API that breaks the harness is caught here. It checks
 * that the figures exist and are sane, never how fast anything is (figures belong in
 * BENCHMARKS.md, not in tests).
 */
import test from 'ava'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

interface Cell {
  ok: number
  units: number
  cpuPerUnitUs: number
  wallPerUnitUs: number
  peakRssMb: number
}

test('bench --quick measures taosjs fetching rows and running small queries, and writes the table and chart', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'taosjs-bench-smoke-'))
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['bench/run.mjs', '--quick', '--only', 'rows,small-query', '--clients', 'taosjs', '--out', out],
        { cwd: root, timeout: 90_000 },
        (err, so, se) => (err ? reject(new Error(`bench/run.mjs: ${err.message}\n${se}`)) : resolve(so)),
      ),
    )
    const { summary } = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { summary: Record<string, Record<string, Cell>> }
    const rows = summary['rows']!['taosjs']!
    const queries = summary['small-query']!['taosjs']!
    t.is(rows.ok, 1)
    t.is(rows.units, 50_000, 'every row of bench.wide was read')
    t.is(queries.ok, 1)
    t.is(queries.units, 200)
    for (const cell of [rows, queries]) {
      t.true(cell.cpuPerUnitUs > 0 && Number.isFinite(cell.cpuPerUnitUs))
      t.true(cell.wallPerUnitUs > 0)
      t.true(cell.peakRssMb > 10, 'peak RSS comes from the client process')
    }
    t.regex(stdout, /^\| rows: fetch rows × 10 columns into row arrays \(50,000\) \| µs CPU\/row \| [\d.]+ \|$/m)
    t.regex(readFileSync(join(out, 'chart.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*taosjs[\s\S]*<\/svg>\n$/)
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})
