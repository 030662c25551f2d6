/**
 * `taos://` against a real TDengine through its client library, beside a WebSocket connection to
 * the same server (taosAdapter and taosd share their data): rows written through one transport
 * are read through both and compared value by value, and the same API works on both.
 *
 * Runs when TAOS_LIBRARY_PATH points to a TDengine client library; taosd at TAOSJS_NATIVE_DSN
 * (default taos://root:taosdata@localhost:6030), taosAdapter at TDENGINE_DSN (default
 * ws://root:taosdata@localhost:6041). Otherwise every test is skipped, with a message saying so.
 */
import test from 'ava'
import type * as Arrow from 'apache-arrow'
import { connect, Consumer, NotSupportedError, OperationalError, QueryError, SmlPrecision, SmlProtocol, StatementError, TimeoutError, type Connection } from '../src/index.js'
import { dbName } from './helpers/server.js'
import { EVERY_TYPE_COLUMNS, EVERY_TYPE_ROWS } from './helpers/every-type.js'

const enabled = (process.env['TAOS_LIBRARY_PATH'] ?? '') !== ''
const nativeDsn = process.env['TAOSJS_NATIVE_DSN'] ?? 'taos://root:taosdata@localhost:6030'
const wsDsn = process.env['TDENGINE_DSN'] || 'ws://root:taosdata@localhost:6041'
const it = enabled ? test.serial : test.serial.skip
if (!enabled) {
  console.log('native-transport.spec: SKIPPED — TAOS_LIBRARY_PATH is not set (point it to libtaos.so of a TDengine 3.x client to run the taos:// tests against a real server)')
}

async function both(t: import('ava').ExecutionContext): Promise<[Connection, Connection]> {
  const native = await connect(nativeDsn)
  const ws = await connect(wsDsn)
  t.teardown(async () => {
    await native.close()
    await ws.close()
  })
  return [native, ws]
}

const TABLE = EVERY_TYPE_COLUMNS
const ROWS = EVERY_TYPE_ROWS

for (const precision of ['ms', 'us', 'ns'] as const) {
  it(`every type in ${precision} precision reads the same through taos:// and ws://`, async (t) => {
    const [native, ws] = await both(t)
    const db = dbName(`native_${precision}`)
    await ws.execute(`create database ${db} precision '${precision}'`)
    t.teardown(() => ws.execute(`drop database if exists ${db}`).then(() => undefined))
    await native.execute(`create stable ${db}.st ${TABLE} tags (t_json json)`)
    const unit = { ms: 1n, us: 1000n, ns: 1000000n }[precision]
    const values = (base: bigint) => ROWS.map((r, i) => `(${(base + BigInt(i)) * unit + 7n}, ${r})`).join(' ')
    // One child table written through each transport.
    await ws.execute(`insert into ${db}.d_ws using ${db}.st tags ('{"k":"ws","n":1}') values ${values(1700000000000n)}`)
    t.is(await native.execute(`insert into ${db}.d_native using ${db}.st tags ('{"k":"日本"}') values ${values(1700000100000n)}`), 3)
    for (const sql of [
      `select * from ${db}.st order by ts`,
      `select tbname, t_json, t_json->'k', c_d128 from ${db}.st order by ts`,
      `select count(*), sum(c_d64), max(c_u64), last(c_nc) from ${db}.st`,
    ]) {
      const [n, w] = [await native.query(sql), await ws.query(sql)]
      t.deepEqual(n.fields, w.fields, `${sql}: fields`)
      const [nr, wr] = [await n.toArray(), await w.toArray()]
      t.true(nr.length > 0, sql)
      t.deepEqual(nr, wr, `${sql}: rows`)
    }
    const [row] = await (await native.query(`select c_i64, c_u64, c_nc, c_vb, c_d64, c_blob from ${db}.d_native order by ts limit 1`)).toArray()
    t.deepEqual(row, [9223372036854775807n, 18446744073709551614n, 'ü😀', Buffer.from('00ff10', 'hex'), '99999999.99', Buffer.from('blob')])
    // Columns and Arrow: the same buffers, masks and values through both transports.
    const all = `select * from ${db}.st order by ts`
    const [nc, wc] = [await (await native.query(all)).toColumns(), await (await ws.query(all)).toColumns()]
    t.is(nc.rows, wc.rows)
    for (let c = 0; c < wc.columns.length; c++) {
      const [n, w] = [nc.columns[c]!, wc.columns[c]!]
      t.is(n.data.constructor.name, w.data.constructor.name, `${w.field.name}: kind`)
      t.deepEqual([...n.validity], [...w.validity], `${w.field.name}: validity`)
      t.deepEqual(
        Array.from({ length: nc.rows }, (_, r) => n.value(r)),
        Array.from({ length: wc.rows }, (_, r) => w.value(r)),
        `${w.field.name}: values`,
      )
    }
    const [na, wa] = [await (await native.query(all)).toArrow<Arrow.Table>(), await (await ws.query(all)).toArrow<Arrow.Table>()]
    t.deepEqual(na.schema.fields.map(String), wa.schema.fields.map(String))
    t.deepEqual(na.toArray().map((r) => r.toJSON()), wa.toArray().map((r) => r.toJSON()))
  })
}

it('the same surface: execute with reqId, cursor parameters, stmt2, stmt v1, schemaless, errors', async (t) => {
  const [native, ws] = await both(t)
  const db = dbName('native_api')
  await native.execute(`create database ${db}`)
  t.teardown(() => ws.execute(`drop database if exists ${db}`).then(() => undefined))
  await native.execute(`use ${db}`)
  await native.execute(`create stable st (ts timestamp, v int, s nchar(8), d decimal(10,2)) tags (loc varchar(16))`)
  t.is(await native.execute(`insert into d0 using st tags ('x') values (1700000000000, 1, 'a', 1.5)`, { reqId: 4242n }), 1)

  // Cursor parameters run through stmt2.
  const cursor = native.cursor()
  await cursor.execute(`insert into ? using st tags (?) values (?, ?, ?, ?)`, ['d1', 'y', 1700000000001n, 2, '日本', '12.34'])
  t.is(cursor.rowcount, 1)
  await cursor.execute(`select v, s, d from st where v >= ? order by ts`, [2])
  t.deepEqual(await cursor.fetchall(), [[2, '日本', '12.34']])

  // stmt2 insert into two tables, then a query with parameters.
  const stmt = await native.statement2(`insert into ? using st tags (?) values (?, ?, ?, ?)`)
  await stmt.bindParam(['d2', 'd3'], [['p'], ['q']], [
    [[1700000000002n, 1700000000003n], [3, null], ['x', 'y'], ['1.25', null]],
    [[1700000000004n], [4], [null], ['-99999999.99']],
  ])
  t.is(await stmt.execute(), 3)
  await t.throwsAsync(stmt.bindParam(['d4'], [['r']], [[[1700000000005n], [5], ['z'], ['123456789012.34']]]), {
    instanceOf: StatementError,
    message: /DECIMAL\(10,2\)/,
  })
  await stmt.close()
  const q = await native.statement2(`select tbname, v, d from st where v > ? order by ts`)
  await q.bindParams([2])
  await q.execute()
  t.deepEqual(await (await q.result()).toArray(), [['d2', 3, '1.25'], ['d3', 4, '-99999999.99']])
  await q.close()

  // stmt v1: inserts; a parameterised query is refused (libtaos crashes binding it).
  const v1 = await native.statement()
  await v1.prepare(`insert into ? using st tags (?) values (?, ?, ?, ?)`)
  await v1.setTbname('d5')
  await v1.setTags(['v1'])
  await v1.bindParam([[1700000000006n, 1700000000007n], [6, 7], ['s6', null], ['0.06', '0.07']])
  await v1.addBatch()
  t.is(await v1.execute(), 2)
  await t.throwsAsync(v1.prepare(`select * from st where v > ?`), { instanceOf: NotSupportedError, message: /stmt2/ })
  await v1.close()

  // Schemaless.
  t.is(await native.schemalessInsert(['sml,host=a v=1i32 1700000000000'], SmlProtocol.LINE, SmlPrecision.MILLI_SECONDS), 1)

  // Everything written natively reads the same over WebSocket.
  const sql = `select tbname, ts, v, s, d from ${db}.st order by ts`
  t.deepEqual(await (await native.query(sql)).toArray(), await (await ws.query(sql)).toArray())

  // Errors carry TDengine's code and leave the connection usable.
  const e = await t.throwsAsync(native.execute('selec 1'), { instanceOf: QueryError })
  t.is(e!.errno, 0x2600)
  t.is(await native.serverVersion(), await ws.serverVersion())
  await native.close()
  t.true(native.isClosed)
})

it('a taos:// consumer reads what was written over ws://, commits each message and leaves nothing behind', async (t) => {
  const ws = await connect(wsDsn)
  t.teardown(() => ws.close())
  const db = dbName('native_tmq')
  const topic = `${db}_topic`
  await ws.execute(`create database ${db} vgroups 1 wal_retention_period 3600`)
  t.teardown(async () => {
    // TDengine still counts a consumer for a moment after it closed (1003, 1007).
    for (let until = Date.now() + 20_000; ; ) {
      try {
        await ws.execute(`drop topic if exists ${topic}`)
        break
      } catch (err) {
        if (Date.now() > until) throw err
        await new Promise((r) => setTimeout(r, 500))
      }
    }
    await ws.execute(`drop database if exists ${db}`)
  })
  await ws.execute(`create stable ${db}.st (ts timestamp, v int, s nchar(8)) tags (g int)`)
  await ws.execute(`insert into ${db}.d0 using ${db}.st tags (0) values (1700000000000, 0, 'a') (1700000000001, 1, null)`)
  await ws.execute(`insert into ${db}.d1 using ${db}.st tags (1) values (1700000000002, 2, '日本')`)
  await ws.execute(`create topic ${topic} as stable ${db}.st`)
  const c = new Consumer({ 'group.id': `${db}_g`, 'client.id': 'native', 'auto.offset.reset': 'earliest', 'enable.auto.commit': false }, nativeDsn)
  t.teardown(() => c.close())
  await c.subscribe([topic])
  t.deepEqual(await c.listTopics(), [topic])
  const rows: unknown[][] = []
  const tables = new Set<string | null>()
  for (let i = 0; i < 40 && rows.length < 3; i++) {
    const m = await c.poll(500)
    if (m === null) continue
    t.is(m.topic, topic)
    t.is(m.database, db)
    for await (const block of m.blocks()) tables.add(block.tableName)
    for await (const row of m) rows.push(row as unknown[])
    await c.commit(m)
  }
  t.deepEqual(rows.map((r) => [r[1], r[2]]).sort((a, b) => (a[0] as number) - (b[0] as number)), [[0, 'a'], [1, null], [2, '日本']])
  t.deepEqual([...tables].sort(), ['d0', 'd1'])
  const assigned = await c.assignment()
  t.is(assigned.length, 1)
  const [a] = assigned
  const committed = await c.committed(topic, a!.vgroupId)
  t.true(committed !== null && committed > 0n, `committed ${committed}`)
  t.is(committed, await c.position(topic, a!.vgroupId))
  await c.close()
  t.true(c.isClosed)
})

// A query of information_schema.ins_columns takes tens of ms in taosd: longer than these bounds.
const SLOW = 'select count(*) from information_schema.ins_columns'

it('taos:// calls are bounded by timeoutMs and requestTimeoutMs as ws:// calls are, and the connection stays usable', async (t) => {
  const native = await connect(nativeDsn)
  t.teardown(() => native.close())
  const e = await t.throwsAsync(native.query(SLOW, { timeoutMs: 2 }), { instanceOf: TimeoutError, message: /within 2 ms/ })
  t.true(e instanceof OperationalError)
  t.is(e!.name, 'TimeoutError')
  t.deepEqual(await (await native.query('select 1')).toArray(), [[1n]], 'usable after a timeout')
  t.is((await (await native.query(SLOW, { timeoutMs: 60_000 })).toArray()).length, 1, 'a generous bound lets it finish')

  const bounded = await connect(nativeDsn, { requestTimeoutMs: 2 })
  t.teardown(() => bounded.close())
  await t.throwsAsync(bounded.query(SLOW), { instanceOf: TimeoutError, message: /within 2 ms/ })
  t.deepEqual(await (await bounded.query('select 1', { timeoutMs: 30_000 })).toArray(), [[1n]], 'a call’s own timeoutMs overrides the default')
  const stmt = await native.statement2(`${SLOW} where table_name <> ?`)
  await stmt.bindParams(['none'])
  await t.throwsAsync(stmt.execute({ timeoutMs: 2 }), { instanceOf: TimeoutError, message: /within 2 ms/ }, 'statements too')
  await stmt.close()
})
