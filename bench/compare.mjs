// Side by side: the same query read by taosjs and by the official Python WebSocket client
// (taos-ws-py, from the conformance suite's .venv), both against the embedded server.
//
//   npm run build && bash scripts/conformance/setup-venv.sh && node bench/compare.mjs [rows]
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const ROWS = Number(process.argv[2] ?? 200_000)
const python = '.venv/bin/python'
const server = await TestServer.start()
const conn = await connect(server.dsn)
try {
  await conn.execute('create database taosjs_compare')
  await conn.execute('create table taosjs_compare.t (ts timestamp, i int, b bigint, d double, s varchar(16), n nchar(8))')
  for (let start = 0; start < ROWS; start += 5000) {
    const values = []
    for (let i = start; i < Math.min(ROWS, start + 5000); i++) values.push(`(${1700000000000 + i}, ${i}, ${i * 3}, ${i / 7}, 's${i}', 'ü${i % 1000}')`)
    await conn.execute(`insert into taosjs_compare.t values ${values.join(' ')}`)
  }
  const sql = 'select * from taosjs_compare.t'

  const t0 = performance.now()
  let n = 0
  for await (const _row of await conn.query(sql)) n++
  line('taosjs (Node, for await rows)', n, (performance.now() - t0) / 1000)

  if (existsSync(python)) {
    const [rows, seconds] = execFileSync(python, ['bench/read_taosws.py', server.url.replace('ws://', 'ws://root:taosdata@'), sql], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number)
    line('taos-ws-py (Python, iterate rows)', rows, seconds)
  } else {
    console.log(`(${python} missing: run scripts/conformance/setup-venv.sh for the Python side)`)
  }
} finally {
  await conn.close()
  await server.close()
}

function line(what, rows, seconds) {
  console.log(`${what.padEnd(36)} ${String(rows).padStart(8)} rows ${(seconds * 1000).toFixed(0).padStart(6)} ms ${Math.round(rows / seconds).toLocaleString('en-US').padStart(12)} rows/s`)
}
