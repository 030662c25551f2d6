// Loads the data the read workloads query, once per benchmark run, through taosjs (stmt2):
//   bench.wide  N rows × 10 columns   (rows, objects, blocks, columns, arrow, tmq)
//   bench.big   M rows × 10 columns   (stream)
//   bench.one   1 row × 10 columns    (small-query, latency)
//   node bench/lib/setup.mjs '{"root":…,"host":…,"port":…,"user":…,"password":…,"wide":N,"big":M}'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { COLUMNS, MARKS, plainColumns } from './data.mjs'

const job = JSON.parse(process.argv[2])
const taosjs = await import(pathToFileURL(join(job.root, 'dist', 'index.mjs')).href)
const conn = await taosjs.connect(`ws://${job.user}:${job.password}@${job.host}:${job.port}`)
const BATCH = 50_000
try {
  await conn.execute('drop database if exists bench')
  await conn.execute('create database bench')
  for (const [table, rows] of [['wide', job.wide], ['big', job.big], ['one', 1]]) {
    if (!rows) continue
    await conn.execute(`create table bench.${table} (${COLUMNS})`)
    const stmt = await conn.statement2(`insert into bench.${table} values (${MARKS})`)
    for (let start = 0; start < rows; start += BATCH) {
      await stmt.bindParamWithTables([{ columns: plainColumns(start, Math.min(BATCH, rows - start)) }])
      await stmt.execute()
    }
    await stmt.close()
    const [[count]] = await (await conn.query(`select count(*) from bench.${table}`)).toArray()
    if (Number(count) !== rows) throw new Error(`bench.${table} has ${count} rows, expected ${rows}`)
  }
} finally {
  await conn.close()
}
