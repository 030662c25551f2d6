// Throughput of reading a large result through taosjs (built dist) from the embedded server, or
// from TDENGINE_DSN when set. Prints rows/s for row arrays, row objects and a cursor.
//
//   npm run build && node bench/stream.mjs [rows]
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const ROWS = Number(process.argv[2] ?? 200_000)
const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)
try {
  await conn.execute('drop database if exists taosjs_bench')
  await conn.execute('create database taosjs_bench')
  await conn.execute('create table taosjs_bench.t (ts timestamp, i int, b bigint, d double, s varchar(16), n nchar(8))')
  const t0 = performance.now()
  for (let start = 0; start < ROWS; start += 5000) {
    const values = []
    for (let i = start; i < Math.min(ROWS, start + 5000); i++) values.push(`(${1700000000000 + i}, ${i}, ${i * 3}, ${i / 7}, 's${i}', 'ü${i % 1000}')`)
    await conn.execute(`insert into taosjs_bench.t values ${values.join(' ')}`)
  }
  report('insert (SQL text, 5000 rows per statement)', ROWS, t0)

  for (const rowMode of ['array', 'object']) {
    const t1 = performance.now()
    let n = 0
    for await (const _row of await conn.query('select * from taosjs_bench.t', { rowMode })) n++
    report(`query, for await, rowMode ${rowMode}`, n, t1)
  }
  const t2 = performance.now()
  const cursor = conn.cursor()
  await cursor.execute('select * from taosjs_bench.t')
  let n = 0
  for (let batch; (batch = await cursor.fetchmany(10_000)).length > 0; ) n += batch.length
  report('cursor.fetchmany(10000)', n, t2)
  await conn.execute('drop database taosjs_bench')
} finally {
  await conn.close()
  await server?.close()
}

function report(what, rows, since) {
  const ms = performance.now() - since
  console.log(`${what.padEnd(44)} ${String(rows).padStart(8)} rows ${ms.toFixed(0).padStart(6)} ms ${Math.round((rows / ms) * 1000).toLocaleString('en-US').padStart(12)} rows/s`)
}
