// Schemaless writes (the reference page's insert_lines example): InfluxDB line protocol,
// OpenTSDB telnet and OpenTSDB JSON; the tables are created from the data.
//   npm run build && node examples/insert-lines.mjs          (TDENGINE_DSN to use a real server)
import { connect, SchemalessError, SmlPrecision, SmlProtocol } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const admin = await connect(process.env.TDENGINE_DSN ?? server.dsn)
  await admin.execute('create database if not exists sml precision \'us\'')
  await admin.close()
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn, { database: 'sml' })

  const lines = [
    'meters,location=California.LosAngeles,groupid=2 current=11.8,voltage=221,phase=0.28 1648432611249000',
    'meters,location=California.LosAngeles,groupid=2 current=13.4,voltage=223,phase=0.29 1648432611250000',
  ]
  let n = await conn.schemalessInsert(lines, SmlProtocol.LINE, SmlPrecision.MICRO_SECONDS, { ttl: 0, reqId: 1 })
  console.log(`line protocol: ${n} rows`)
  n = await conn.schemalessInsert(['meters.current 1648432611249 10.3 location=California.SanFrancisco groupid=2'], SmlProtocol.TELNET, SmlPrecision.MILLI_SECONDS)
  console.log(`telnet: ${n} rows`)
  const json = JSON.stringify([{ metric: 'meters.voltage', timestamp: 1648432611249, value: 219, tags: { location: 'California.LosAngeles', groupid: 1 } }])
  n = await conn.schemalessInsert(json, SmlProtocol.JSON, SmlPrecision.MILLI_SECONDS)
  console.log(`json: ${n} rows`)

  try {
    await conn.schemalessInsert(['meters,location=x'], SmlProtocol.LINE, SmlPrecision.MILLI_SECONDS)
  } catch (err) {
    if (!(err instanceof SchemalessError)) throw err
    console.log(`malformed line: SchemalessError errno=${err.errno}`)
  }
  const [[count]] = await (await conn.query('select count(*) from meters')).toArray()
  console.log(`meters has ${count} rows`)
  await conn.execute('drop database sml')
  await conn.close()
} finally {
  await server?.close()
}
