// Where the CPU of a small query goes, by thread: N sequential one-row queries (10 columns)
// against the taos-testserver binary of the build, then each thread's CPU (utime + stime from
// /proc/self/task/*/stat, Linux) per query: the JS thread, libuv's, and the tokio worker that
// moves the connection's frames.
//   node bench/query-threads.mjs [queries=3000]     (after `npm install`; add --cpu-prof to profile)
import { readFileSync, readdirSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const n = Number(process.argv[2] ?? 3000)
const taos = await import(`${root}/dist/index.mjs`)
const bin = `${root}/target/x86_64-unknown-linux-gnu/release/taos-testserver`
const child = spawn(bin, ['--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
const port = await new Promise((res) => child.stdout.on('data', (d) => { const m = /:(\d+)/.exec(String(d)); if (m) res(m[1]) }))
const conn = await taos.connect(`ws://root:taosdata@127.0.0.1:${port}`)
await conn.execute('create database if not exists p')
await conn.execute('create table if not exists p.one (ts timestamp, a int, b bigint, c float, d double, e varchar(20), f nchar(10), g bool, h smallint, i tinyint)')
await conn.execute(`insert into p.one values (1700000000000, 1, 2, 3.5, 4.5, 'hello', 'wörld', true, 7, 8)`)
for (let i = 0; i < 300; i++) await (await conn.query('select * from p.one')).toArray()
const ticks = () => Object.fromEntries(readdirSync('/proc/self/task').map((t) => {
  const s = readFileSync(`/proc/self/task/${t}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
  return [`${t}:${s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'))}`, Number(f[11]) + Number(f[12])]
}))
const before = ticks(); const t0 = process.cpuUsage(); const w0 = performance.now()
for (let i = 0; i < n; i++) await (await conn.query('select * from p.one')).toArray()
const cpu = process.cpuUsage(t0); const wall = performance.now() - w0; const after = ticks()
console.log(`per query: cpu ${((cpu.user + cpu.system) / n).toFixed(1)} µs (user ${(cpu.user / n).toFixed(1)}, sys ${(cpu.system / n).toFixed(1)}), wall ${(wall * 1000 / n).toFixed(1)} µs`)
for (const [k, v] of Object.entries(after)) { const d = v - (before[k] ?? 0); if (d > 0) console.log(`  ${k}: ${(d * 10000 / n).toFixed(1)} µs/query`) }
await conn.close(); child.kill()
