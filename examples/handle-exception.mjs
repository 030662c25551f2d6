// Errors: every error is a taos.Error; TDengine's code is in errno (the reference page's
// handle_exception example).
//   npm run build && node examples/handle-exception.mjs
import * as taos from 'taosjs'
import { TestServer } from 'taosjs/testing'

// Node 20 has no `await using` syntax; TypeScript (or Node ≥ 24) can write `await using` instead.
const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const dsn = process.env.TDENGINE_DSN ?? server.dsn

  try {
    await taos.connect(dsn, { password: 'wrong password' })
  } catch (err) {
    if (!(err instanceof taos.ConnectionError)) throw err
    console.log(`${err.name} errno=${err.errno}: ${err.message}`)
  }

  const conn = await taos.connect(dsn)
  for (const sql of ['selec 1', 'select * from no_such_db.t']) {
    try {
      await conn.query(sql)
    } catch (err) {
      if (!(err instanceof taos.Error)) throw err
      console.log(`${err.name} errno=0x${err.errno?.toString(16)} (${err instanceof taos.ProgrammingError ? 'programming' : 'other'}): ${err.message}`)
    }
  }
  await conn.close()
} finally {
  await server?.close()
}
