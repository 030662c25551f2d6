// The one server every client of a benchmark run talks to, in its own process: the
// taos-testserver binary of the normal build when there is one, else the embedded TestServer of
// the built package run by bench/lib/testserver.mjs (same engine, same protocol code).
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

function binary(root) {
  if (process.env.TESTSERVER_BIN) return process.env.TESTSERVER_BIN
  const host = execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (\S+)$/m)?.[1]
  const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target')
  return [join(target, host ?? '', 'release', 'taos-testserver'), join(target, 'release', 'taos-testserver')].find((p) => existsSync(p))
}

/** Starts the server; resolves to { host, port, kind, pid, cpuMs(), close() }. */
export async function startServer(root) {
  let bin
  try {
    bin = binary(root)
  } catch {
    bin = undefined // no rustc: use the package's embedded server
  }
  const [cmd, args, kind] = bin
    ? [bin, ['--host', '127.0.0.1', '--port', '0'], `taos-testserver binary (${bin.startsWith(root + '/') ? bin.slice(root.length + 1) : bin})`]
    : [process.execPath, [join(root, 'bench', 'lib', 'testserver.mjs')], 'TestServer of dist/testing.mjs']
  // The server streams a plain scan a block at a time (bench/server-memory.mjs measures it), but
  // answers other queries whole, and glibc keeps freed memory per thread arena: two arenas keep
  // it near one result's size (before scans streamed, a few 10M-row queries left 23 GB).
  const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' }
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s: ${out}`)), 30_000)
    child.stdout.on('data', (chunk) => {
      out += chunk
      const m = /listening on (?:ws|http):\/\/([^\s/]+):(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ host: m[1], port: Number(m[2]) })
      }
    })
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening: ${out}`)))
  })
  child.stdout.resume()
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  return {
    ...url,
    kind,
    pid: child.pid,
    /** CPU (user+sys) the server process has used so far, from /proc. */
    cpuMs() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks
      } catch {
        return NaN
      }
    },
    async close() {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}
