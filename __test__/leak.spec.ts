import test from 'ava'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

// The leak check runs in its own process with --expose-gc (see leak-check.mts).
test('RSS stays flat over 10k queries (--expose-gc child process)', async (t) => {
  const script = fileURLToPath(new URL('./leak-check.mts', import.meta.url))
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import=tsx', script],
      { timeout: 170_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout })),
    )
  })
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { queries: number; warmRss: number; endRss: number }
  t.log(report)
  t.is(report.queries, 10_000)
  const growth = report.endRss - report.warmRss
  t.true(growth < 24 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MB after warm-up`)
})

// Statements hold server-side state and results; closing them (with results open or read) must
// release both sides (stmt-leak-check.mts; 40k cycles measured +20 MB, i.e. no per-statement growth).
test('RSS stays flat over 4k stmt2 statements (--expose-gc child process)', async (t) => {
  const script = fileURLToPath(new URL('./stmt-leak-check.mts', import.meta.url))
  const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import=tsx', script],
      { timeout: 170_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout })),
    )
  })
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as { statements: number; warmRss: number; endRss: number }
  t.log(report)
  t.is(report.statements, 4_000)
  const growth = report.endRss - report.warmRss
  t.true(growth < 24 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MB after warm-up`)
})
