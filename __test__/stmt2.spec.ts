/**
 * stmt2 end to end against the embedded server (or TDENGINE_DSN): inserts of every type in tags
 * and columns with NULLs, many tables in one bind, typed-array columns, query statements, and
 * bad input rejected before anything is sent (the statement stays usable).
 */
import test from 'ava'
import * as taos from '../src/index.js'
import { FakeAdapter } from './helpers/fake-adapter.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)


async function database(t: import('ava').ExecutionContext, prefix: string, precision = 'ms') {
  const conn = await open(t, server().dsn, { timestampAs: 'bigint' })
  const db = dbName(prefix)
  await conn.execute(`create database ${db} precision '${precision}'`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  // `insert into ? …` (a table named per bind) needs a current database on TDengine
  await conn.execute(`use ${db}`)
  return { conn, db }
}

test('bindParam writes several child tables in one bind, creating them from the tags', async (t) => {
  const { conn, db } = await database(t, 'stmt2_multi')
  await conn.execute(`create stable ${db}.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))`)
  await using stmt = await conn.statement2(`insert into ? using ${db}.meters tags (?, ?) values (?, ?, ?, ?)`)
  t.deepEqual(stmt.fields.map((f) => [f.name, f.bindType]), [
    ['tbname', 'tbname'], ['groupid', 'tag'], ['location', 'tag'], ['ts', 'column'], ['current', 'column'], ['voltage', 'column'], ['phase', 'column'],
  ])
  await stmt.bindParam(
    ['d0', 'd1'],
    [[0, 'California.SanFrancisco'], [1, 'California.LosAngeles']],
    [
      [[1700000000000, 1700000000001], [10.5, 11.5], [219, 220], [0.31, 0.32]],
      [[1700000000000], [12.5], [221], [0.33]],
    ],
  )
  t.is(await stmt.execute(), 3)
  const rows = await (await conn.query(`select tbname, groupid, location, ts, current, voltage from ${db}.meters order by tbname, ts`)).toArray()
  t.deepEqual(rows, [
    ['d0', 0, 'California.SanFrancisco', 1700000000000n, 10.5, 219],
    ['d0', 0, 'California.SanFrancisco', 1700000000001n, 11.5, 220],
    ['d1', 1, 'California.LosAngeles', 1700000000000n, 12.5, 221],
  ])
})

test('bindParamWithTables with BindTable and typed-array columns', async (t) => {
  const { conn, db } = await database(t, 'stmt2_tables')
  await conn.execute(`create stable ${db}.st (ts timestamp, v double, n int) tags (t int)`)
  await using stmt = await conn.statement2(`insert into ? using ${db}.st tags (?) values (?, ?, ?)`)
  const n = 1000
  const ts = BigInt64Array.from({ length: n }, (_, i) => 1700000000000n + BigInt(i))
  const v = Float64Array.from({ length: n }, (_, i) => i / 4)
  const ints = Int32Array.from({ length: n }, (_, i) => i)
  await stmt.bindParamWithTables([
    new taos.BindTable('a', [1]).addColData(ts).addColData(v).addColData(ints),
    { name: 'b', tags: [2], columns: [[1700000000000n], [null], [undefined]] },
  ])
  t.is(await stmt.execute(), n + 1)
  const [[count, sum]] = (await (await conn.query(`select count(*), sum(n) from ${db}.a`)).toArray()) as [[bigint, bigint]]
  t.is(count, BigInt(n))
  t.is(Number(sum), (n * (n - 1)) / 2)
  t.deepEqual(await (await conn.query(`select v, n from ${db}.b`)).toArray(), [[null, null]])
})

const TYPES = [
  ['c_bool', 'bool', [true, false]],
  ['c_i8', 'tinyint', [-128, 127]],
  ['c_i16', 'smallint', [-32768, 32767]],
  ['c_i32', 'int', [-2147483648, 2147483647]],
  ['c_i64', 'bigint', [-9223372036854775807n, 9223372036854775807n]],
  ['c_u8', 'tinyint unsigned', [0, 255]],
  ['c_u16', 'smallint unsigned', [0, 65535]],
  ['c_u32', 'int unsigned', [0, 4294967295]],
  ['c_u64', 'bigint unsigned', [0n, 18446744073709551614n]],
  ['c_f32', 'float', [1.5, -2.25]],
  ['c_f64', 'double', [Math.PI, -1.5e300]],
  ['c_vc', 'varchar(32)', ['hello', '']],
  ['c_nc', 'nchar(16)', ['温度°C😀', 'ü']],
  ['c_vb', 'varbinary(32)', [Buffer.from([1, 2, 3]), Buffer.alloc(0)]],
  ['c_geo', 'geometry(64)', [Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'), Buffer.from('010100000000000000000000000000000000000000', 'hex')]],
  ['c_d64', 'decimal(10,2)', ['-12.34', '99.50']],
  ['c_d128', 'decimal(30,10)', ['123456789.0123456789', '-1.0000000000']],
  ['c_blob', 'blob', [Buffer.from([0, 255]), Buffer.from('x')]],
] as const

test('every type binds in columns and tags, with NULL rows and NULL tags', async (t) => {
  const { conn, db } = await database(t, 'stmt2_types')
  // TDengine has no DECIMAL or BLOB tags.
  const tagged = ([, ty]: (typeof TYPES)[number]) => ty !== 'blob' && !ty.startsWith('decimal')
  const tagTypes = TYPES.filter(tagged).map(([name, ty]) => `t${name.slice(1)} ${ty}`)
  await conn.execute(`create stable ${db}.st (ts timestamp, ${TYPES.map(([n, ty]) => `${n} ${ty}`).join(', ')}) tags (${tagTypes.join(', ')})`)
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')
  const tagCount = tagTypes.length
  await using stmt = await conn.statement2(`insert into ? using ${db}.st tags (${marks(tagCount)}) values (?, ${marks(TYPES.length)})`)
  const tagValues = TYPES.filter(tagged).map(([, , v]) => v[0])
  const ts = [1700000000000n, 1700000000001n, 1700000000002n]
  await stmt.bindParam(
    ['d_full', 'd_empty'],
    [tagValues, tagValues.map(() => null)],
    [
      [ts, ...TYPES.map(([, , v]) => [v[0], v[1], null])],
      [[1700000000000n], ...TYPES.map(() => [undefined])],
    ],
  )
  t.is(await stmt.execute(), 4)
  const rows = await (await conn.query(`select * from ${db}.d_full order by ts`)).toArray()
  t.deepEqual(rows.map((r) => r.slice(1)), [TYPES.map(([, , v]) => v[0]), TYPES.map(([, , v]) => v[1]), TYPES.map(() => null)])
  const tags = await (await conn.query(`select ${tagTypes.map((d) => d.split(' ')[0]).join(', ')} from ${db}.st where tbname = 'd_full' limit 1`)).toArray()
  t.deepEqual(tags[0], tagValues)
  const nullTags = await (await conn.query(`select ${tagTypes.map((d) => d.split(' ')[0]).join(', ')} from ${db}.st where tbname = 'd_empty' limit 1`)).toArray()
  t.deepEqual(nullTags[0], tagValues.map(() => null))
})

test('one statement binds batch after batch of different shapes, NULLs in different rows each time, and every value reads back (nothing of an earlier bind leaks into a later one)', async (t) => {
  // Each bind is packed into the buffer the previous one used: a NULL mask, text offset or
  // value left over from an earlier batch would show here as a wrong NULL, value or string.
  const { conn, db } = await database(t, 'stmt2_reuse')
  await conn.execute(`create stable ${db}.st (ts timestamp, b bool, i int, big bigint, d double, s varchar(12), n nchar(6), vb varbinary(8)) tags (g int)`)
  await using stmt = await conn.statement2(`insert into ? using ${db}.st tags (?) values (?, ?, ?, ?, ?, ?, ?, ?)`)
  // One NULL every `every[k]` cells in batch k (1: all NULL, 0: none), at positions that move.
  const every = [2, 3, 0, 1, 5, 2, 0, 3, 4, 1]
  const expected = new Map<string, unknown[][]>()
  let inserted = 0
  for (let k = 0; k < every.length; k++) {
    const names: string[] = []
    const tags: unknown[][] = []
    const datas: unknown[][][] = []
    for (let tb = 0; tb < 3; tb++) {
      const name = `t${tb}`
      const rows = 1 + ((k * 7 + tb * 5) % 13)
      const isNull = (row: number, col: number) => every[k] !== 0 && (row + col + k + tb) % every[k]! === 0
      const cols: unknown[][] = Array.from({ length: 8 }, () => [])
      for (let row = 0; row < rows; row++) {
        const v = k * 1000 + tb * 100 + row
        const cells = [
          1700000000000 + k * 100 + row,
          v % 3 === 0,
          v - 500,
          v * 1_000_001,
          v / 8,
          `s${'x'.repeat((v * 7) % 10)}`,
          `ü${v % 100}`.slice(0, 6),
          Buffer.from([v & 0xff, (v >> 8) & 0xff].slice(0, 1 + (v % 2))),
        ]
        cells.forEach((c, col) => cols[col]!.push(col > 0 && isNull(row, col) ? null : c))
        // Read back: TIMESTAMP and BIGINT as bigints (timestampAs 'bigint').
        const want: unknown[] = cells.map((c, col) => (col > 0 && isNull(row, col) ? null : c))
        want[0] = BigInt(want[0] as number)
        want[3] = want[3] === null ? null : BigInt(want[3] as number)
        expected.set(name, [...(expected.get(name) ?? []), want])
      }
      names.push(name)
      tags.push([tb === 1 && every[k] === 1 ? null : tb])
      datas.push(cols)
      inserted += rows
    }
    await stmt.bindParam(names, tags, datas)
    t.is(await stmt.execute(), datas.reduce((sum, cols) => sum + cols[0]!.length, 0), `batch ${k}`)
  }
  t.is(inserted, [...expected.values()].reduce((sum, rows) => sum + rows.length, 0))
  for (const [name, rows] of expected) {
    const got = await (await conn.query(`select ts, b, i, big, d, s, n, vb from ${db}.${name} order by ts`)).toArray()
    const norm = (r: unknown[]) => r.map((c) => (c instanceof Uint8Array ? [...c] : c))
    t.deepEqual(got.map(norm), rows.map(norm), `table ${name}`)
  }
})

test('timestamps from Date, number, bigint and ISO text keep sub-millisecond digits', async (t) => {
  for (const precision of ['ms', 'us', 'ns'] as const) {
    const { conn, db } = await database(t, `stmt2_ts_${precision}`, precision)
    await conn.execute(`create table ${db}.t (ts timestamp, k int)`)
    await using stmt = await conn.statement2(`insert into ${db}.t values (?, ?)`)
    const scale = { ms: 1n, us: 1000n, ns: 1000000n }[precision]
    await stmt.bindParam(null, null, [[
      // A number must be a safe integer: nanosecond counts of today need a bigint.
      [new Date(1700000000123), precision === 'ns' ? 1700000000124n * scale : Number(1700000000124n * scale), 1700000000125n * scale, '2023-11-14T22:13:20.126456789Z'],
      [1, 2, 3, 4],
    ]])
    t.is(await stmt.execute(), 4)
    const got = (await (await conn.query(`select ts from ${db}.t order by ts`)).toArray()).map((r) => r[0])
    const iso = { ms: 1700000000126n, us: 1700000000126456n, ns: 1700000000126456789n }[precision]
    t.deepEqual(got, [1700000000123n * scale, 1700000000124n * scale, 1700000000125n * scale, iso], precision)
    if (precision === 'ns') {
      await t.throwsAsync(stmt.bindParam(null, null, [[[Number(1700000000124n * scale)], [5]]]), { instanceOf: taos.StatementError, message: /row 0: 1700000000124000000 is beyond 2\^53: use a bigint/ })
    }
  }
})

test('a JSON tag binds from an object or from text; DECIMAL from string, number and bigint', async (t) => {
  const { conn, db } = await database(t, 'stmt2_json')
  await conn.execute(`create stable ${db}.st (ts timestamp, d decimal(12,3)) tags (j json)`)
  await using stmt = await conn.statement2(`insert into ? using ${db}.st tags (?) values (?, ?)`)
  await stmt.bindParam(['a', 'b'], [[{ k: 'ü', n: 1 }], ['{"k":"x"}']], [[[1700000000000, 1700000000001, 1700000000002], ['1.5', 2.25, 3n]], [[1700000000000], [null]]])
  t.is(await stmt.execute(), 4)
  const rows = await (await conn.query(`select tbname, j, d from ${db}.st order by tbname, ts`, { parseJson: true })).toArray()
  t.deepEqual(rows, [
    ['a', { k: 'ü', n: 1 }, '1.500'],
    ['a', { k: 'ü', n: 1 }, '2.250'],
    ['a', { k: 'ü', n: 1 }, '3.000'],
    ['b', { k: 'x' }, null],
  ])
})

test('a query statement binds parameters and returns its rows', async (t) => {
  const { conn, db } = await database(t, 'stmt2_query')
  await conn.execute(`create table ${db}.t (ts timestamp, v int, s varchar(10))`)
  await conn.execute(`insert into ${db}.t values (1700000000000, 1, 'a') (1700000000001, 2, 'b') (1700000000002, 3, 'c')`)
  await using stmt = await conn.statement2(`select v, s from ${db}.t where v >= ? and s != ? order by v`)
  t.false(stmt.isInsert)
  await stmt.bindParams([2, 'c'])
  t.is(await stmt.execute(), 0)
  t.deepEqual(await (await stmt.result()).toArray(), [[2, 'b']])
  await stmt.bindParam(null, null, [[[1], ['z']]])
  await stmt.execute()
  t.deepEqual(await (await stmt.result({ rowMode: 'object' })).toArray(), [{ v: 1, s: 'a' }, { v: 2, s: 'b' }, { v: 3, s: 'c' }])
})

test('bad input is a StatementError naming table, column and row; nothing is written and the statement stays usable', async (t) => {
  const { conn, db } = await database(t, 'stmt2_bad')
  await conn.execute(`create stable ${db}.st (ts timestamp, c_i8 tinyint, c_int int) tags (loc varchar(8))`)
  await using stmt = await conn.statement2(`insert into ? using ${db}.st tags (?) values (?, ?, ?)`)
  const bind = (columns: taos.ColumnInput[], tags: unknown[] = ['x']) => stmt.bindParam(['d7'], [tags], [columns])
  const cases: Array<[taos.ColumnInput[], RegExp, unknown[]?]> = [
    [[[1, 2], [1, 300], [1, 2]], /table d7, column c_i8 \(TINYINT\), row 1: 300 is out of range/],
    [[[1], [1], ['seven']], /table d7, column c_int \(INT\), row 0: "seven" is not an integer/],
    [[[NaN], [1], [1]], /table d7, column ts \(TIMESTAMP\), row 0: NaN/],
    [[[1, 2], [1], [1, 2]], /table d7, column c_i8 \(TINYINT\): has 1 values, expected 2/],
    [[[1], [1]], /table d7: the statement has 3 column placeholders, 2 columns were given/],
    [[[1], [1], [1]], /table d7: the statement has 1 tag placeholders, 2 tags were given/, ['x', 'y']],
    [[[1], [1], [1]], /table d7, tag loc \(VARCHAR.*\), row 0: "much too long" is too long/, ['much too long']],
    [[Int32Array.from([1]), Int32Array.from([1000]), Int32Array.from([1])], /table d7, column c_i8 \(TINYINT\), row 0: 1000 is out of range/],
  ]
  for (const [columns, message, tags] of cases) {
    await t.throwsAsync(bind(columns, tags), { instanceOf: taos.StatementError, message }, String(message))
  }
  await bind([[1700000000000], [1], [1]])
  t.is(await stmt.execute(), 1)
  t.deepEqual(await (await conn.query(`select count(*) from ${db}.st`)).toArray(), [[1n]])
})

test('without a current database a table named per bind is refused at prepare (0x0200), as on TDengine; a qualified fixed name works', async (t) => {
  const conn = await open(t, server().dsn, { timestampAs: 'bigint' })
  const db = dbName('stmt2_nodb')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create stable ${db}.st (ts timestamp, v int) tags (t int)`)
  const err = await t.throwsAsync(conn.statement2(`insert into ? using ${db}.st tags (?) values (?, ?)`), { instanceOf: taos.StatementError })
  t.is(err!.errno, 0x0200)
  t.regex(err!.message, /Invalid operation/)
  await using stmt = await conn.statement2(`insert into ${db}.c1 using ${db}.st tags (?) values (?, ?)`)
  t.deepEqual(stmt.fields.map((f) => f.name), ['t', 'ts', 'v'])
  await stmt.bindParam(null, [[7]], [[[1700000000000], [5]]])
  t.is(await stmt.execute(), 1)
  t.deepEqual(await (await conn.query(`select tbname, t, v from ${db}.st`)).toArray(), [['c1', 7, 5]])
})

test('misuse: execute before bind and anything after close are ProgrammingErrors', async (t) => {
  const { conn, db } = await database(t, 'stmt2_misuse')
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  const stmt = await conn.statement2()
  await t.throwsAsync(stmt.bindParam(null, null, [[[1], [1]]]), { instanceOf: taos.ProgrammingError })
  await stmt.prepare(`insert into ${db}.t values (?, ?)`)
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError })
  await stmt.close()
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError })
  await t.throwsAsync(conn.statement2('insert into nowhere_db.t values (?, ?)'), { instanceOf: taos.DatabaseError })
})

test('statement2 sends its reqId with stmt2_init, for tracing the statement in the server', async (t) => {
  const adapter = await FakeAdapter.start()
  t.teardown(() => adapter.close())
  const conn = await open(t, adapter.dsn)
  await conn.statement2(null, { reqId: 4242 })
  await conn.statement2(null, { reqId: 4243n })
  await conn.statement2()
  const ids = adapter.actions('stmt2_init').map((a) => (a['args'] as Record<string, unknown>)['req_id'])
  t.deepEqual(ids.slice(0, 2), [4242, 4243])
  t.true(typeof ids[2] === 'number' && ids[2] !== 4242 && ids[2] !== 4243, 'without one, the session picks its own')
})
