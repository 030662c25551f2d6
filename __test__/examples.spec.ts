/** The examples run against the built package (dist/) and the embedded server. */
import test from 'ava'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

function run(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env }
    delete env['TDENGINE_DSN']
    execFile(process.execPath, [file], { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${file}: ${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
}

const expectations: Record<string, RegExp[]> = {
  'examples/demo.mjs': [/Inserted 12 rows into 3 child tables/, /\| d1003 +\| 2026-01-01T08:00:03\.000Z \| 12\.90/, /\(3 rows\)/],
  'examples/query.mjs': [/inserted 2 rows/, /fields: ts TIMESTAMP\(8\), current FLOAT\(4\), location VARCHAR\(24\)/],
  'examples/cursor.mjs': [/rowcount after insert: 3/, /rowcount after reading: 3 fetchone at the end: null/],
  'examples/handle-exception.mjs': [/ConnectionError errno=855/, /QueryError errno=0x2600/],
}

for (const [file, patterns] of Object.entries(expectations)) {
  test(`${file} runs`, async (t) => {
    if (!existsSync(`${root}/dist/index.mjs`)) return t.fail('dist/ is missing: run `npm run build:ts` first')
    const output = await run(file)
    for (const pattern of patterns) t.regex(output, pattern)
  })
}

test('the CommonJS build works through require()', async (t) => {
  if (!existsSync(`${root}/dist/index.js`)) return t.fail('dist/ is missing: run `npm run build:ts` first')
  const script = `
    const taos = require('taosjs')
    const { TestServer } = require('taosjs/testing')
    ;(async () => {
      const server = await TestServer.start()
      const conn = await taos.connect(server.dsn)
      const rows = await (await conn.query('select 40 + 2')).toArray()
      const err = await conn.query('selec').catch((e) => e)
      console.log(JSON.stringify({ value: Number(rows[0][0]), isQueryError: err instanceof taos.QueryError, errno: err.errno }))
      await conn.close()
      await server.close()
    })()
  `
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  )
  t.deepEqual(JSON.parse(output), { value: 42, isQueryError: true, errno: 0x2600 })
})
