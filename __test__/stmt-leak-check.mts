/**
 * Runs 7k stmt2 cycles (inserts closed after execute; queries half read, half abandoned and
 * closed with their result open) and prints RSS every 500 statements from the 2,000th on
 * (helpers/rss.mts; leak.spec.ts judges it). Run with
 * `node --expose-gc --import=tsx __test__/stmt-leak-check.mts`.
 */
import { connect } from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { rssSamples } from './helpers/rss.mjs'

const server = await TestServer.start({ blockRows: 50 })
const conn = await connect(server.dsn)
// No write-ahead log kept: TDengine's default keeps every insert's rows for an hour (for topics),
// which would grow the embedded server's memory with every insert here.
await conn.execute('create database if not exists stmt_leak wal_retention_period 0')
await conn.execute('create table if not exists stmt_leak.t (ts timestamp, v int, s nchar(8))')
await conn.execute(`insert into stmt_leak.t values ${Array.from({ length: 300 }, (_, i) => `(${1700000000000 + i}, ${i}, 'ü${i % 100}')`).join(' ')}`)

const ts = BigInt64Array.from({ length: 100 }, (_, i) => 1700000001000n + BigInt(i))
async function round(i: number): Promise<void> {
  if (i % 2 === 0) {
    const stmt = await conn.statement2('insert into stmt_leak.t values (?, ?, ?)')
    await stmt.bindParam(null, null, [[ts, Int32Array.from({ length: 100 }, (_, k) => k + i), Array.from({ length: 100 }, () => 'ab')]])
    await stmt.execute()
    await stmt.close()
  } else {
    const stmt = await conn.statement2('select * from stmt_leak.t where v > ?')
    await stmt.bindParams([i % 50])
    await stmt.execute()
    const result = await stmt.result()
    if (i % 4 === 1) await result.toArray()
    else for await (const _ of result) break
    await stmt.close()
  }
}

const TOTAL = 7_000
const WARM = 2_000
const EVERY = 500
const samples = await rssSamples(TOTAL, EVERY, round)
await conn.close()
await server.close()
console.log(JSON.stringify({ rounds: TOTAL, every: EVERY, samples: samples.slice(WARM / EVERY - 1) }))
