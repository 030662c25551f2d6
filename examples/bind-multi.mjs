// Parameter binding, many rows at once (the reference page's bind_multi example): one column
// array per placeholder, typed arrays where the data already is numeric.
//   npm run build && node examples/bind-multi.mjs          (TDENGINE_DSN to use a real server)
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)
  await conn.execute('create database if not exists bind_multi')
  // a table named per bind (`insert into ? …`) belongs to the current database
  await conn.execute('use bind_multi')
  await conn.execute('create stable if not exists bind_multi.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))')

  const stmt = await conn.statement2('insert into ? using bind_multi.meters tags (?, ?) values (?, ?, ?, ?)')
  const start = 1700000000000n
  const tbnames = ['d1001', 'd1002']
  const tags = [[2, 'California.SanFrancisco'], [3, 'California.LosAngeles']]
  const datas = tbnames.map((_, t) => [
    BigInt64Array.from([0n, 1n, 2n], (i) => start + i * 1000n), // timestamps (ms database)
    Float32Array.from([10.2, 10.3, 10.4], (x) => x + t), // current
    Int32Array.from([219, 220, 221]), // voltage
    [0.31, 0.32, null], // phase: plain arrays work too, null is NULL
  ])
  await stmt.bindParam(tbnames, tags, datas)
  console.log(`bind_multi: inserted ${await stmt.execute()} rows into ${tbnames.length} tables`)
  await stmt.close()

  const result = await conn.query('select tbname, count(*) from bind_multi.meters group by tbname order by tbname')
  for await (const [tbname, count] of result) console.log(`${tbname}: ${count} rows`)
  await conn.execute('drop database bind_multi')
  await conn.close()
} finally {
  await server?.close()
}
