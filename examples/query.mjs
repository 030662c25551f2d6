// Connect, execute, query: the reference page's "Executing SQL" and "Dataset" sections.
//   npm run build && node examples/query.mjs          (TDENGINE_DSN to use a real server)
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

// Node 20 has no `await using` syntax; TypeScript (or Node ≥ 24) can write `await using` instead.
const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)

  await conn.execute('create database if not exists power')
  await conn.execute(
    'create stable if not exists power.meters (ts timestamp, current float, voltage int, phase float) tags (group_id int, location varchar(24))',
  )
  const affected = await conn.execute(
    "insert into power.d1001 using power.meters tags (2, 'California.SanFrancisco') values (now, 10.3, 219, 0.31) (now + 1s, 12.6, 218, 0.33)",
    { reqId: 1 },
  )
  console.log(`inserted ${affected} rows`)

  const result = await conn.query('select ts, current, location from power.meters limit 10', { reqId: 2 })
  console.log('fields:', result.fields.map((f) => `${f.name} ${f.typeName}(${f.bytes})`).join(', '))
  console.log('field count:', result.fieldCount, 'precision:', result.precision)
  for await (const [ts, current, location] of result) {
    console.log(ts.toISOString(), current.toFixed(2), location)
  }

  // The same rows as objects (the Python connector's fetch_all_into_dict).
  console.log(await (await conn.query('select ts, voltage from power.meters')).fetchAllIntoDict())
  await conn.execute('drop database power')
  await conn.close()
} finally {
  await server?.close()
}
