// taosjs demo: connects to TDengine (TDENGINE_DSN) or to the embedded test server, creates a
// database with a super table, writes some meter readings, and prints query results as a table.
//
//   npm run build && npm run demo
//   TDENGINE_DSN=ws://root:taosdata@localhost:6041 npm run demo
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const external = process.env.TDENGINE_DSN
const server = external ? undefined : await TestServer.start()
const dsn = external ?? server.dsn
console.log(external ? `Using TDENGINE_DSN (${dsn.replace(/:[^:@/]*@/, ':***@')})` : `Started the embedded test server on ${server.url}`)

const conn = await connect(dsn)
try {
  console.log(`Server version ${await conn.serverVersion()}\n`)
  await conn.execute('drop database if exists taosjs_demo')
  await conn.execute("create database taosjs_demo precision 'ms'")
  await conn.execute(
    'create stable taosjs_demo.meters (ts timestamp, current float, voltage int, phase float) tags (location nchar(64), group_id int)',
  )

  const start = Date.UTC(2026, 0, 1, 8, 0, 0)
  const meters = [
    ['d1001', 'California.SanFrancisco', 2],
    ['d1002', 'California.LosAngeles', 3],
    ['d1003', 'Zürich.Hauptbahnhof', 2],
  ]
  let written = 0
  for (const [i, [name, location, group]] of meters.entries()) {
    const rows = Array.from({ length: 4 }, (_, k) => {
      const current = (10 + i + k * 0.3).toFixed(1)
      const voltage = 218 + ((i * 7 + k * 3) % 8)
      const phase = (0.3 + k * 0.01).toFixed(2)
      return `(${start + k * 1000}, ${current}, ${voltage}, ${phase})`
    })
    written += await conn.execute(
      `insert into taosjs_demo.${name} using taosjs_demo.meters tags ('${location}', ${group}) values ${rows.join(' ')}`,
    )
  }
  console.log(`Inserted ${written} rows into ${meters.length} child tables\n`)

  await printQuery(conn, 'select tbname, ts, current, voltage, phase, location from taosjs_demo.meters order by tbname, ts')
  await printQuery(conn, 'select location, count(*), avg(current), max(voltage) from taosjs_demo.meters group by location order by location')

  const cursor = conn.cursor()
  await cursor.execute('select ts, current from taosjs_demo.d1001 order by ts')
  console.log('PEP-249 cursor, fetchmany(2):', (await cursor.fetchmany(2)).map(([ts, c]) => `${ts.toISOString()} ${c.toFixed(2)}`))
  await cursor.close()

  await conn.execute('drop database taosjs_demo')
} finally {
  await conn.close()
  await server?.close()
}

/** Runs a query and prints it as an aligned text table. */
async function printQuery(conn, sql) {
  const result = await conn.query(sql)
  const header = result.fields.map((f) => f.name)
  const rows = (await result.toArray()).map((row) => row.map((v, c) => formatValue(v, result.fields[c])))
  const widths = header.map((h, c) => Math.max(width(h), ...rows.map((r) => width(r[c]))))
  const line = (cells) => '| ' + cells.map((v, c) => v + ' '.repeat(widths[c] - width(v))).join(' | ') + ' |'
  console.log(`> ${sql}`)
  console.log(line(header))
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
  for (const r of rows) console.log(line(r))
  console.log(`(${rows.length} rows)\n`)
}

function formatValue(v, field) {
  if (v === null) return 'NULL'
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'number') return field.typeName === 'FLOAT' || field.typeName === 'DOUBLE' ? v.toFixed(2) : String(v)
  if (Buffer.isBuffer(v)) return v.toString('hex')
  return String(v)
}

/** Display width: astral characters (emoji) count as 2 columns, like most terminals. */
function width(s) {
  let w = 0
  for (const ch of s) w += ch.codePointAt(0) > 0xffff ? 2 : 1
  return w
}
