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
  'examples/bind-row.mjs': [/bind_row: affected rows 3/, /d1001 has 3 rows/],
  'examples/bind-multi.mjs': [/bind_multi: inserted 6 rows into 2 tables/, /d1001: 3 rows/, /d1002: 3 rows/],
  'examples/json-tag.mjs': [/json_tag: inserted 2 rows/, /t1 "v1" \{"k1":"v1"\}/, /t2 null \{"k2":"v2","n":3\}/],
  'examples/native-all-type-stmt.mjs': [
    /all types: inserted 2 rows/,
    /2026-01-01T00:00:00\.000001Z \| 1 \| 1\.1 \| true \| binary_value \| nchar_value \| 0x98f46e \| 0x0101000000000000000000f03f0000000000000040 \| 12\.34 \| 1 \|/,
    /2026-01-01T00:00:00\.000002Z \| null \| null \| null \| null \| null \| null \| null \| null \|/,
  ],
  'examples/test-stmt2.mjs': [
    /placeholders: tbname:tbname location:tag ts:column current:column voltage:column/,
    /stmt2 insert: 3 rows/,
    /rejected before sending: table d3, column voltage \(INT\), row 0: "not a number" is not an integer/,
    /query: d1 11\.5/,
    /cursor: 0 rows for a hostile parameter/,
  ],
  'examples/pool.mjs': [/pool: wrote 100 rows with at most 4 connections/, /lease: stmt2 wrote 2 rows/, /meters has 102 rows; total [1-4], idle [1-4], waiting 0/, /all leased: TimeoutError: no pooled connection became available within 50 ms/],
  'examples/tmq-consumer.mjs': [
    /subscribed: tmq_test_topic \(vgroup \d+: offsets \d+\.\.\d+/,
    /message: topic tmq_test_topic, database tmq_test, data, \d rows/,
    /row: c1=1 c2=1 c3=tmq test \(Date\)\nrow: c1=2 c2=2 c3=tmq test \(Date\)\nrow: c1=3 c2=3 c3=tmq test \(Date\)/,
    /committed offset of vgroup \d+: \d+/,
  ],
  'examples/insert-lines.mjs': [/line protocol: 2 rows/, /telnet: 1 rows/, /json: 1 rows/, /malformed line: SchemalessError errno=12290/, /meters has 2 rows/],
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
