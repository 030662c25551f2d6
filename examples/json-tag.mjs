// JSON tags (the reference page's json_tag example): bind a tag from an object or from JSON
// text, then query inside it with ->.
//   npm run build && node examples/json-tag.mjs          (TDENGINE_DSN to use a real server)
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn)
  await conn.execute('create database if not exists json_tag')
  // a table named per bind (`insert into ? …`) belongs to the current database
  await conn.execute('use json_tag')
  await conn.execute('create stable if not exists json_tag.s1 (ts timestamp, v1 int) tags (info json)')

  const stmt = await conn.statement2('insert into ? using json_tag.s1 tags (?) values (?, ?)')
  await stmt.bindParam(
    ['t1', 't2'],
    [[{ k1: 'v1' }], ['{"k2":"v2","n":3}']],
    [[[1700000000000], [1]], [[1700000000000], [2]]],
  )
  console.log(`json_tag: inserted ${await stmt.execute()} rows`)
  await stmt.close()

  const result = await conn.query("select tbname, info->'k1', info from json_tag.s1 order by tbname", { parseJson: true })
  for await (const [tbname, k1, info] of result) console.log(tbname, JSON.stringify(k1), JSON.stringify(info))
  await conn.execute('drop database json_tag')
  await conn.close()
} finally {
  await server?.close()
}
