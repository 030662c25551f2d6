// stmt2 writes and a parameterised query (the reference page's test_stmt2 example):
// bindParam, bindParamWithTables with BindTable, a query statement, and cursor parameters.
//   npm run build && node examples/test-stmt2.mjs          (TDENGINE_DSN to use a real server)
import { BindTable, connect, StatementError } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)
  await conn.execute('create database if not exists stmt2_demo')
  // a table named per bind (`insert into ? …`) belongs to the current database
  await conn.execute('use stmt2_demo')
  await conn.execute('create stable if not exists stmt2_demo.meters (ts timestamp, current float, voltage int) tags (location varchar(24))')

  // Option: { reqId, singleStbInsert, singleTableBindOnce } (Python's TaosStmt2Option).
  const stmt = await conn.statement2('insert into ? using stmt2_demo.meters tags (?) values (?, ?, ?)', { singleStbInsert: true })
  console.log('placeholders:', stmt.fields.map((f) => `${f.name}:${f.bindType}`).join(' '))
  const tables = [
    new BindTable('d1', ['SanFrancisco']).addColData([1700000000000, 1700000000001]).addColData([10.5, 11.5]).addColData([219, 220]),
    new BindTable('d2', ['LosAngeles']).addColData([1700000000000]).addColData([12.5]).addColData([221]),
  ]
  await stmt.bindParamWithTables(tables)
  console.log(`stmt2 insert: ${await stmt.execute()} rows`)

  try {
    await stmt.bindParam(['d3'], [['x']], [[[1700000000000], [1.5], ['not a number']]])
  } catch (err) {
    if (!(err instanceof StatementError)) throw err
    console.log(`rejected before sending: ${err.message}`)
  }
  await stmt.close()

  const query = await conn.statement2('select tbname, current from stmt2_demo.meters where voltage > ? and location = ?')
  await query.bindParams([219, 'SanFrancisco'])
  await query.execute()
  for await (const [tbname, current] of await query.result()) console.log(`query: ${tbname} ${current}`)
  await query.close()

  const cursor = conn.cursor()
  await cursor.execute('select count(*) from stmt2_demo.meters where location = ?', ["LosAngeles'; drop database stmt2_demo; --"])
  console.log(`cursor: ${(await cursor.fetchone())[0]} rows for a hostile parameter`)
  await conn.execute('drop database stmt2_demo')
  await conn.close()
} finally {
  await server?.close()
}
