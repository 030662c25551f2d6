// Parameter binding, one row at a time (the reference page's bind_row example), with the
// stmt v1 API: set the table and its tags, bind a row, add it to the batch, execute.
//   npm run build && node examples/bind-row.mjs          (TDENGINE_DSN to use a real server)
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)
  await conn.execute('create database if not exists bind_row')
  // a table named per bind (`insert into ? …`) belongs to the current database
  await conn.execute('use bind_row')
  await conn.execute('create stable if not exists bind_row.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))')

  const stmt = await conn.statement()
  await stmt.prepare('insert into ? using bind_row.meters tags (?, ?) values (?, ?, ?, ?)')
  await stmt.setTbname('d1001')
  await stmt.setTags([2, 'California.SanFrancisco'])
  const rows = [
    [new Date('2026-01-01T00:00:00Z'), 10.3, 219, 0.31],
    [new Date('2026-01-01T00:00:01Z'), 12.6, 218, 0.33],
    [new Date('2026-01-01T00:00:02Z'), 12.3, 221, null],
  ]
  for (const row of rows) {
    await stmt.bindParam(row.map((value) => [value])) // one value per column
    await stmt.addBatch()
  }
  await stmt.execute()
  console.log(`bind_row: affected rows ${stmt.affectedRows}`)
  await stmt.close()

  const [[count]] = await (await conn.query('select count(*) from bind_row.d1001')).toArray()
  console.log(`bind_row: d1001 has ${count} rows`)
  await conn.execute('drop database bind_row')
  await conn.close()
} finally {
  await server?.close()
}
