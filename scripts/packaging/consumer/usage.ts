// Type-checked (never run) as a TypeScript application would use taosjs; copied as usage.mts,
// usage.cts (moduleResolution node16) and usage.ts (moduleResolution bundler).
import { connect, Connection, QueryError, type ConnectOptions, type TaosField } from 'taosjs'
import { TestServer } from 'taosjs/testing'

export async function main(): Promise<number> {
  const server: TestServer = await TestServer.start({ port: 0 })
  const options: ConnectOptions = { timestampAs: 'bigint', connectTimeoutMs: 5000 }
  const conn: Connection = await connect(server.dsn, options)
  try {
    const written: number = await conn.execute('create database if not exists app')
    const result = await conn.query('select server_version()', { reqId: 1n })
    const fields: TaosField[] = result.fields
    const names: string[] = fields.map((f) => f.name)
    for await (const row of result) console.log(names, row)
    const cursor = conn.cursor()
    await cursor.execute('select ?', [1])
    const rows = await cursor.fetchall()
    return written + rows.length
  } catch (err) {
    if (err instanceof QueryError) return err.errno ?? -1
    throw err
  } finally {
    await conn.close()
    await server.close()
  }
}
