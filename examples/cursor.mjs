// PEP-249 cursor: execute, description, fetchone/fetchmany/fetchall, rowcount.
//   npm run build && node examples/cursor.mjs
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

// Node 20 has no `await using` syntax; TypeScript (or Node ≥ 24) can write `await using` instead.
const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)
  const cursor = conn.cursor()

  await cursor.execute('create database if not exists cursor_demo')
  await cursor.execute('create table if not exists cursor_demo.t (ts timestamp, v int, note nchar(10))')
  await cursor.execute("insert into cursor_demo.t values (1700000000000, 1, 'eins') (1700000000001, 2, 'zwei') (1700000000002, 3, 'drei')")
  console.log('rowcount after insert:', cursor.rowcount)

  await cursor.execute('select * from cursor_demo.t order by ts')
  console.log('description:', cursor.description)
  console.log('fetchone:', await cursor.fetchone())
  console.log('fetchmany(1):', await cursor.fetchmany(1))
  console.log('fetchall:', await cursor.fetchall())
  console.log('rowcount after reading:', cursor.rowcount, 'fetchone at the end:', await cursor.fetchone())

  await cursor.execute('drop database cursor_demo')
  await cursor.close()
  await conn.close()
} finally {
  await server?.close()
}
