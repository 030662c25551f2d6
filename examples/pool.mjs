// A pool of connections: pool.execute / pool.query for one statement, a lease for several.
//   npm run build && node examples/pool.mjs          (TDENGINE_DSN to use a real server)
import { createPool, TimeoutError } from 'taosjs'
import { TestServer } from 'taosjs/testing'

// Node 20 has no `await using` syntax; TypeScript (or Node ≥ 24) can write `await using` instead.
const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
const pool = createPool({ dsn: process.env.TDENGINE_DSN ?? server.dsn, max: 4, acquireTimeoutMs: 5000 })
try {
  await pool.execute('create database if not exists pool_demo')
  await pool.execute('create stable if not exists pool_demo.meters (ts timestamp, current float) tags (location varchar(24))')

  // 100 writes at once share 4 connections; the others wait their turn, first come, first served.
  const start = 1_767_225_600_000
  const writes = Array.from({ length: 100 }, (_, i) =>
    pool.execute(`insert into pool_demo.d${i % 10} using pool_demo.meters tags ('room ${i % 10}') values (${start + i}, ${i / 10})`),
  )
  const written = (await Promise.all(writes)).reduce((a, b) => a + b, 0)
  console.log(`pool: wrote ${written} rows with at most ${pool.total} connections`)

  // A lease keeps one connection for several calls (a statement, a cursor, `use`).
  const lease = await pool.connect()
  try {
    await lease.execute('use pool_demo') // `insert into ? …` needs a current database
    const stmt = await lease.statement2('insert into ? using pool_demo.meters tags (?) values (?, ?)')
    await stmt.bindParam(['d10'], [['room 10']], [[[start, start + 1], [1.5, 2.5]]])
    console.log(`lease: stmt2 wrote ${await stmt.execute()} rows`)
    await stmt.close()
  } finally {
    lease.release()
  }

  // pool.query keeps its connection until the rows are read.
  const [[count]] = await (await pool.query('select count(*) from pool_demo.meters')).toArray()
  console.log(`meters has ${count} rows; total ${pool.total}, idle ${pool.idle}, waiting ${pool.waiting}`)

  // With every connection leased, a caller waits at most its timeout.
  const leases = await Promise.all(Array.from({ length: 4 }, () => pool.connect()))
  const late = await pool.connect({ timeoutMs: 50 }).catch((err) => err)
  console.log(`all leased: ${late instanceof TimeoutError ? 'TimeoutError' : late}: ${late.message}`)
  for (const l of leases) l.release()

  await pool.execute('drop database pool_demo')
} finally {
  await pool.end()
  await server?.close()
}
