// Data subscription: the reference page's "Data Subscription" section and its tmq_consumer example
// (a topic on a super table, a consumer with the page's keys, a poll loop reading each block).
//   npm run build && node examples/tmq-consumer.mjs     (TDENGINE_DSN to use a real server)
import { connect, Consumer } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
const dsn = process.env.TDENGINE_DSN ?? server.dsn
const conn = await connect(dsn)
let consumer
try {
  // The topic and the rows it will deliver.
  await conn.execute('drop topic if exists tmq_test_topic')
  await conn.execute('drop database if exists tmq_test')
  await conn.execute('create database tmq_test wal_retention_period 3600')
  await conn.execute('create stable tmq_test.stb1 (ts timestamp, c1 int, c2 float, c3 binary(10)) tags (t1 int)')
  for (const t of [1, 2, 3]) await conn.execute(`create table tmq_test.tb${t} using tmq_test.stb1 tags (${t})`)
  await conn.execute('create topic tmq_test_topic as select ts, c1, c2, c3 from tmq_test.stb1')
  await conn.execute("insert into tmq_test.tb1 values (now - 2s, 1, 1.0, 'tmq test')")
  await conn.execute("insert into tmq_test.tb2 values (now - 1s, 2, 2.0, 'tmq test')")
  await conn.execute("insert into tmq_test.tb3 values (now, 3, 3.0, 'tmq test')")

  // The reference page's keys; the DSN gives the endpoint. Bad keys or values throw a TmqError
  // naming the key here, before anything is sent.
  consumer = new Consumer(
    {
      'group.id': '3',
      'td.connect.user': 'root',
      'td.connect.pass': 'taosdata',
      'msg.with.table.name': 'true',
      'enable.auto.commit': 'true',
      'auto.offset.reset': 'earliest',
    },
    dsn,
  )
  await consumer.subscribe(['tmq_test_topic'])
  const vgroups = (await consumer.assignment()).map((a) => `vgroup ${a.vgroupId}: offsets ${a.begin}..${a.end}`)
  console.log(`subscribed: ${(await consumer.listTopics()).join(', ')} (${vgroups.join(', ')})`)

  const rows = []
  let last
  const until = Date.now() + 30_000
  while (rows.length < 3 && Date.now() < until) {
    const message = await consumer.poll(1000) // ms; null when nothing arrived in time
    if (message === null) continue
    console.log(`message: topic ${message.topic}, database ${message.database}, ${message.type}, ${message.rowCount} rows`)
    for await (const block of message.blocks()) {
      // One block per table: its columns, then its rows.
      for (let r = 0; r < block.rows; r++) rows.push(block.columns.map((c) => c.value(r)))
    }
    await consumer.commit(message) // at least once: commit after the rows are processed
    last = message
  }
  rows.sort((a, b) => a[1] - b[1])
  for (const [ts, c1, c2, c3] of rows) console.log(`row: c1=${c1} c2=${c2} c3=${c3} (${ts instanceof Date ? 'Date' : typeof ts})`)
  const committed = await consumer.committed(last.topic, last.vgroupId)
  console.log(`committed offset of vgroup ${last.vgroupId}: ${committed}`)
} finally {
  await consumer?.close()
  // A real server may keep the closed consumer a moment: retry the drop for a few seconds.
  for (let i = 0; ; i++) {
    try {
      await conn.execute('drop topic if exists tmq_test_topic')
      break
    } catch (err) {
      if (i >= 20) throw err
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  await conn.execute('drop database if exists tmq_test')
  await conn.close()
  await server?.close()
}
