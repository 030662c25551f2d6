/**
 * Runs 10k queries (half read fully, half abandoned with break) and prints RSS every 500 queries
 * from the 2,000th on (helpers/rss.mts; leak.spec.ts judges it). Run with
 * `node --expose-gc --import=tsx __test__/leak-check.mts`.
 */
import { connect } from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { rssSamples } from './helpers/rss.mjs'

// Small blocks: an abandoned result leaves most of its rows on the server unless it is freed.
const server = await TestServer.start({ blockRows: 100 })
const conn = await connect(server.dsn)
await conn.execute('create database if not exists leak_db')
await conn.execute('create table if not exists leak_db.t (ts timestamp, v int, s nchar(8))')
await conn.execute(`insert into leak_db.t values ${Array.from({ length: 500 }, (_, i) => `(${1700000000000 + i}, ${i}, 'ü${i % 100}')`).join(' ')}`)

async function round(i: number): Promise<void> {
  const result = await conn.query('select * from leak_db.t')
  if (i % 2 === 0) {
    await result.toArray()
  } else {
    for await (const _ of result) break
  }
}

const TOTAL = 10_000
const WARM = 2_000
const EVERY = 500
const samples = await rssSamples(TOTAL, EVERY, round)
await conn.close()
await server.close()
console.log(JSON.stringify({ rounds: TOTAL, every: EVERY, samples: samples.slice(WARM / EVERY - 1) }))
