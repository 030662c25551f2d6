/** stmt v1 end to end: table name, tags, rows and batches; a query statement; misuse. */
import test from 'ava'
import * as taos from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)


async function database(t: import('ava').ExecutionContext, prefix: string) {
  const conn = await open(t, server().dsn, { timestampAs: 'bigint' })
  const db = dbName(prefix)
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  // `insert into ? …` (a table named per bind) needs a current database on TDengine
  await conn.execute(`use ${db}`)
  return { conn, db }
}

test('setTbname, setTags, bindParam and addBatch per table, then one execute', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1')
  await conn.execute(`create stable ${db}.meters (ts timestamp, current float, voltage int, note nchar(10)) tags (groupid int, location varchar(24))`)
  await using stmt = await conn.statement()
  await stmt.prepare(`insert into ? using ${db}.meters tags (?, ?) values (?, ?, ?, ?)`)
  await stmt.setTbname('d1')
  await stmt.setTags([1, 'California.SanFrancisco'])
  await stmt.bindParam([[1700000000000, 1700000000001], [10.5, null], [219, 220], ['温度', null]])
  await stmt.addBatch()
  await stmt.setTbname('d2')
  await stmt.setTags([2, null])
  await stmt.bindParam([[new Date(1700000000000)], [12.5], [221], ['x']])
  await stmt.addBatch()
  t.is(await stmt.execute(), 3)
  t.is(stmt.affectedRows, 3)
  const rows = await (await conn.query(`select tbname, groupid, location, ts, current, voltage, note from ${db}.meters order by tbname, ts`)).toArray()
  t.deepEqual(rows, [
    ['d1', 1, 'California.SanFrancisco', 1700000000000n, 10.5, 219, '温度'],
    ['d1', 1, 'California.SanFrancisco', 1700000000001n, null, 220, null],
    ['d2', 2, null, 1700000000000n, 12.5, 221, 'x'],
  ])
})

test('without a current database setTbname needs a qualified name (0x0200 db is not specified), as on TDengine', async (t) => {
  const conn = await open(t, server().dsn, { timestampAs: 'bigint' })
  const db = dbName('stmt_v1_nodb')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create stable ${db}.st (ts timestamp, v int) tags (t int)`)
  await using bare = await conn.statement()
  await bare.prepare(`insert into ? using ${db}.st tags (?) values (?, ?)`)
  const err = await t.throwsAsync(bare.setTbname('d1'), { instanceOf: taos.StatementError })
  t.is(err!.errno, 0x0200)
  t.regex(err!.message, /db is not specified/)
  await using qualified = await conn.statement()
  await qualified.prepare(`insert into ? using ${db}.st tags (?) values (?, ?)`)
  await qualified.setTbname(`${db}.d2`)
  await qualified.setTags([2])
  await qualified.bindParam([[1700000000000], [5]])
  await qualified.addBatch()
  t.is(await qualified.execute(), 1)
  t.deepEqual(await (await conn.query(`select tbname, t, v from ${db}.st`)).toArray(), [['d2', 2, 5]])
})

test('bad values and shapes are StatementErrors naming table, column and row', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1_bad')
  await conn.execute(`create table ${db}.t (ts timestamp, c_i8 tinyint)`)
  await using stmt = await conn.statement()
  await t.throwsAsync(stmt.bindParam([[1]]), { instanceOf: taos.ProgrammingError, message: /not prepared/ })
  await stmt.prepare(`insert into ${db}.t values (?, ?)`)
  await t.throwsAsync(stmt.bindParam([[1, 2], [1, 300]]), { instanceOf: taos.StatementError, message: /column c_i8 \(TINYINT\), row 1: 300 is out of range/ })
  await t.throwsAsync(stmt.bindParam([[1, 2], [1]]), { instanceOf: taos.StatementError, message: /column c_i8 \(TINYINT\): has 1 values, expected 2/ })
  await t.throwsAsync(stmt.bindParam([[1]]), { instanceOf: taos.StatementError, message: /2 column placeholders, 1 columns were given/ })
  await stmt.bindParam([[1700000000000], [5]])
  t.is(await stmt.execute(), 1)
  await stmt.close()
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError, message: /closed/ })
})

test('a query statement binds its parameters and returns rows', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1_query')
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  await conn.execute(`insert into ${db}.t values (1700000000000, 1) (1700000000001, 2)`)
  await using stmt = await conn.statement()
  await stmt.prepare(`select v from ${db}.t where v > ?`)
  await stmt.bindParam([1])
  await stmt.execute()
  t.deepEqual(await (await stmt.result()).toArray(), [[2]])
})

const TYPES = [
  ['c_bool', 'bool', [true, null]],
  ['c_i8', 'tinyint', [-128, null]],
  ['c_i16', 'smallint', [32767, null]],
  ['c_i32', 'int', [-2147483648, null]],
  ['c_i64', 'bigint', [9223372036854775807n, null]],
  ['c_u8', 'tinyint unsigned', [255, null]],
  ['c_u16', 'smallint unsigned', [65535, null]],
  ['c_u32', 'int unsigned', [4294967295, null]],
  ['c_u64', 'bigint unsigned', [18446744073709551614n, null]],
  ['c_f32', 'float', [1.5, null]],
  ['c_f64', 'double', [Math.E, null]],
  ['c_vc', 'varchar(16)', ['hello', null]],
  ['c_nc', 'nchar(8)', ['温度😀', null]],
  ['c_vb', 'varbinary(8)', [Buffer.from([1, 2]), null]],
  ['c_geo', 'geometry(64)', [Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'), null]],
] as const

test('a DECIMAL column cannot be bound through stmt v1, as taosAdapter 3.3.7.5 refuses it (use stmt2)', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1_decimal')
  await conn.execute(`create stable ${db}.st (ts timestamp, v int, c_d64 decimal(10,2)) tags (g int)`)
  await using stmt = await conn.statement()
  await stmt.prepare(`insert into ? using ${db}.st tags (?) values (?, ?, ?)`)
  await stmt.setTbname('d1')
  await stmt.setTags([1])
  const err = await t.throwsAsync(stmt.bindParam([[1700000000000n], [1], ['-12.34']]), { instanceOf: taos.StatementError })
  t.is(err!.errno, 0xffff)
  t.regex(err!.message, /unsupported type: 21, name c_d64/)
})

test('every type binds in columns and tags, with NULLs', async (t) => {
  const { conn, db } = await database(t, 'stmt_v1_types')
  const tagged = ([, ty]: (typeof TYPES)[number]) => !ty.startsWith('decimal')
  const tagDefs = TYPES.filter(tagged).map(([n, ty]) => `t${n.slice(1)} ${ty}`)
  await conn.execute(`create stable ${db}.st (ts timestamp, ${TYPES.map(([n, ty]) => `${n} ${ty}`).join(', ')}) tags (${tagDefs.join(', ')})`)
  await using stmt = await conn.statement()
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')
  await stmt.prepare(`insert into ? using ${db}.st tags (${marks(tagDefs.length)}) values (?, ${marks(TYPES.length)})`)
  const tagValues = TYPES.filter(tagged).map(([, , v]) => v[0])
  await stmt.setTbname('d_full')
  await stmt.setTags(tagValues)
  await stmt.bindParam([[1700000000000n, 1700000000001n], ...TYPES.map(([, , v]) => [...v])])
  await stmt.addBatch()
  await stmt.setTbname('d_null')
  await stmt.setTags(tagValues.map(() => null))
  await stmt.bindParam([[1700000000000n], ...TYPES.map(() => [null])])
  t.is(await stmt.execute(), 3)
  const rows = await (await conn.query(`select * from ${db}.d_full order by ts`)).toArray()
  t.deepEqual(rows.map((r) => r.slice(1)), [TYPES.map(([, , v]) => v[0]), TYPES.map(() => null)])
  const cols = tagDefs.map((d) => d.split(' ')[0]).join(', ')
  t.deepEqual((await (await conn.query(`select ${cols} from ${db}.st where tbname = 'd_full' limit 1`)).toArray())[0], tagValues)
  t.deepEqual((await (await conn.query(`select ${cols} from ${db}.st where tbname = 'd_null' limit 1`)).toArray())[0], tagValues.map(() => null))
})
