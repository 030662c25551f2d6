/**
 * The real addon's write paths against a scripted adapter (helpers/fake-adapter.ts): what goes
 * on the wire for stmt2, stmt v1 and schemaless, and that a bad value is refused before any bind
 * frame is sent. Complements the end-to-end specs, which wait for the embedded server.
 */
import test from 'ava'
import { connect, SchemalessError, SmlPrecision, SmlProtocol, StatementError } from '../src/index.js'
import { FakeAdapter } from './helpers/fake-adapter.js'

const field = (name: string, field_type: number, bind_type: number, bytes: number, precision = 0) => ({ name, field_type, precision, scale: 0, bytes, bind_type })

async function setup(t: import('ava').ExecutionContext) {
  const adapter = await FakeAdapter.start()
  const conn = await connect(adapter.dsn)
  t.teardown(async () => {
    await conn.close()
    await adapter.close()
  })
  adapter.replies['stmt2_prepare'] = {
    is_insert: true,
    fields: [field('tbname', 8, 4, 271), field('loc', 8, 2, 18), field('ts', 9, 1, 8, 1), field('v', 2, 1, 1), field('s', 10, 1, 34)],
    fields_count: 5,
  }
  adapter.replies['stmt2_exec'] = { affected: 3 }
  return { adapter, conn }
}

test('stmt2: init, prepare and one bind frame (action 9) for two tables, then exec', async (t) => {
  const { adapter, conn } = await setup(t)
  const stmt = await conn.statement2('insert into ? using st tags (?) values (?, ?, ?)')
  t.deepEqual(adapter.actions('stmt2_init').map((a) => (a['args'] as Record<string, unknown>)['single_table_bind_once']), [false])
  t.deepEqual(stmt.fields.map((f) => `${f.name}:${f.typeName}:${f.bindType}`), ['tbname:VARCHAR(269):tbname', 'loc:VARCHAR(16):tag', 'ts:TIMESTAMP:column', 'v:TINYINT:column', 's:NCHAR(8):column'])
  await stmt.bindParam(['d1', 'd2'], [['a'], [null]], [
    [BigInt64Array.of(1n, 2n), Int8Array.of(1, -1), ['ü', null]],
    [['2023-11-14T22:13:20.123456Z'], [127], ['x']],
  ])
  const [frame] = adapter.binaries(9n)
  t.truthy(frame)
  t.is(frame!.readBigUInt64LE(8), 1n, 'stmt_id')
  const body = frame!.toString('latin1')
  t.true(body.includes('d1\0') && body.includes('d2\0'), 'table names in the frame')
  t.true(frame!.includes(Buffer.from('ü')), 'NCHAR as UTF-8')
  t.true(frame!.includes(Buffer.from(new BigInt64Array([1700000000123456n]).buffer)), 'ISO text in microseconds')
  t.is(await stmt.execute(), 3)
  await stmt.close()
  t.is(adapter.actions('stmt2_close').length, 1)
})

test('stmt2: a value the core refuses (Int8Array into TINYINT is fine, Int32Array 300 is not) sends nothing', async (t) => {
  const { adapter, conn } = await setup(t)
  const stmt = await conn.statement2('insert into ? using st tags (?) values (?, ?, ?)')
  await t.throwsAsync(stmt.bindParam(['d1'], [['a']], [[BigInt64Array.of(1n), Int32Array.of(300), ['x']]]), {
    instanceOf: StatementError,
    message: /table d1, column v \(TINYINT\), row 0: 300 is out of range/,
  })
  await t.throwsAsync(stmt.bindParam(['d1'], [['much too long tag']], [[[1], [1], ['x']]]), { instanceOf: StatementError, message: /tag loc .* too long/ })
  t.is(adapter.binaries(9n).length, 0)
})

test('stmt v1: set_table_name, set_tags (action 1), bind (action 2), add_batch, exec', async (t) => {
  const { adapter, conn } = await setup(t)
  adapter.replies['prepare'] = { is_insert: true }
  adapter.replies['get_tag_fields'] = { fields: [{ name: 'loc', field_type: 8, precision: 0, scale: 0, bytes: 18 }] }
  adapter.replies['get_col_fields'] = { fields: [{ name: 'ts', field_type: 9, precision: 0, scale: 0, bytes: 8 }, { name: 'v', field_type: 4, precision: 0, scale: 0, bytes: 4 }] }
  adapter.replies['exec'] = { affected: 2 }
  const stmt = await conn.statement()
  await stmt.prepare('insert into ? using st tags (?) values (?, ?)')
  await stmt.setTbname('d1')
  await stmt.setTags(['a'])
  await stmt.bindParam([[new Date(1700000000000), 1700000000001], [1, null]])
  t.is(await stmt.execute(), 2)
  t.is(adapter.binaries(1n).length, 1)
  t.is(adapter.binaries(2n).length, 1)
  t.deepEqual(adapter.actions('set_table_name').map((a) => (a['args'] as Record<string, unknown>)['name']), ['d1'])
  t.is(adapter.actions('add_batch').length, 1)
})

test('schemaless: insert carries protocol, precision "u", ttl and the lines', async (t) => {
  const { adapter, conn } = await setup(t)
  t.is(await conn.schemalessInsert(['m,t=a v=1 1', 'm,t=b v=2 2'], SmlProtocol.LINE, SmlPrecision.MICRO_SECONDS, { ttl: 7 }), 2)
  const [args] = adapter.actions('insert').map((a) => a['args'] as Record<string, unknown>)
  t.like(args, { protocol: 1, precision: 'u', ttl: 7, data: 'm,t=a v=1 1\nm,t=b v=2 2' })
  adapter.replies['insert'] = { code: 12290, message: 'SML line cols is empty' }
  await t.throwsAsync(conn.schemalessInsert(['bad'], SmlProtocol.LINE, SmlPrecision.MILLI_SECONDS), { instanceOf: SchemalessError })
})

test('cursor parameters travel in a bind frame, never in SQL text', async (t) => {
  const { adapter, conn } = await setup(t)
  adapter.replies['stmt2_prepare'] = { is_insert: true, fields: [field('ts', 9, 1, 8), field('s', 8, 1, 66)], fields_count: 2 }
  adapter.replies['stmt2_exec'] = { affected: 1 }
  const hostile = `x'); DROP DATABASE power; --\\`
  const cursor = conn.cursor()
  t.is(await cursor.execute('insert into t values (?, ?)', [1700000000000, hostile]), 1)
  const [frame] = adapter.binaries(9n)
  t.true(frame!.includes(Buffer.from(hostile)))
  t.false(adapter.binaries(6n).some((f) => f.includes(Buffer.from('DROP'))), 'no query carries the value')
  t.deepEqual(adapter.actions('stmt2_prepare').map((a) => (a['args'] as Record<string, unknown>)['sql']), ['insert into t values (?, ?)'])
  t.is(adapter.actions('stmt2_close').length, 1, 'the statement is closed after the write')
})

test('a query statement sends its parameters in their own types', async (t) => {
  const { adapter, conn } = await setup(t)
  adapter.replies['stmt2_prepare'] = { is_insert: false, fields: null, fields_count: 3 }
  const stmt = await conn.statement2('select * from t where a > ? and b = ? and c = ?')
  await stmt.bindParams([5, 'text', true])
  const [frame] = adapter.binaries(9n)
  t.truthy(frame)
  t.true(frame!.includes(Buffer.from('text')))
  await t.throwsAsync(stmt.bindParams([5]), { instanceOf: StatementError, message: /3 parameters, 1 were given/ })
  t.is(adapter.binaries(9n).length, 1)
})
