/**
 * Runs 10k queries (half read fully, half abandoned with break) and prints RSS after a warm-up
 * and at the end. Run with `node --expose-gc --import=tsx __test__/leak-check.mts`.
 */
import { connect } from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { rssAcross } from './helpers/rss.mjs'

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
const WARM = 1_000
const { warmRss, endRss } = await rssAcross(TOTAL, WARM, round)
await conn.close()
await server.close()
console.log(JSON.stringify({ queries: TOTAL, warmRss, endRss }))
