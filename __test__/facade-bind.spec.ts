/**
 * The write paths of the facade against the fake addon: how JS values become columns, which
 * mistakes are caught before anything is sent, and what statements, cursors and schemaless
 * writes ask the addon for.
 */
import test from 'ava'
import { openConnection } from '../src/connection.js'
import * as taos from '../src/index.js'
import { TypeId } from '../src/types.js'
import { bindValues, FakeNative, field, stmtField, type FakeConnection } from './helpers/fake-native.js'

const T = TypeId

/** `insert into ? using st tags (?, …) values (?, …)` with these tags and columns. */
function insertFields(tags: ReturnType<typeof stmtField>[], columns: ReturnType<typeof stmtField>[]) {
  return [stmtField('tbname', T.VarChar, 4, 0, 194), ...tags, ...columns]
}

async function setup(fields: ReturnType<typeof stmtField>[], isInsert = true) {
  const native = new FakeNative((sql) =>
    sql.startsWith('stmt') ? { columns: [{ field: field('v', T.Int, 4), values: [7] }] } : { affectedRows: 0 },
  )
  const conn = await openConnection(native, undefined)
  const fake = native.connections[0] as FakeConnection
  fake.prepareAnswer = () => ({ isInsert, fields, fieldsCount: isInsert ? fields.length : 2 })
  return { conn, fake }
}

const ALL_COLUMNS = [
  stmtField('ts', T.Timestamp),
  stmtField('b', T.Bool),
  stmtField('i8', T.TinyInt),
  stmtField('i16', T.SmallInt),
  stmtField('i32', T.Int),
  stmtField('i64', T.BigInt),
  stmtField('u8', T.UTinyInt),
  stmtField('u16', T.USmallInt),
  stmtField('u32', T.UInt),
  stmtField('u64', T.UBigInt),
  stmtField('f', T.Float),
  stmtField('d', T.Double),
  stmtField('s', T.VarChar, 1, 0, 22),
  stmtField('n', T.NChar, 1, 0, 82),
  stmtField('vb', T.VarBinary, 1, 0, 22),
  stmtField('g', T.Geometry, 1, 0, 102),
  stmtField('bl', T.Blob, 1, 0, 5),
  stmtField('dec', T.Decimal, 1, 20, 16, 4),
  stmtField('dec64', T.Decimal64, 1, 10, 8, 2),
]

test('every type binds from plain arrays, NULL from null and undefined', async (t) => {
  const { conn, fake } = await setup(insertFields([stmtField('t_json', T.Json, 2, 0, 4096)], ALL_COLUMNS))
  const stmt = await conn.statement2('insert into ? using st tags (?) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)')
  const wkb = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex')
  await stmt.bindParam(
    ['d1'],
    [[{ site: 'x', n: 1 }]],
    [
      [
        [new Date(1700000000123), 1700000000124n],
        [true, null],
        [-128, undefined],
        [32767, null],
        [-2147483648, null],
        [2n ** 63n - 1n, -5],
        [255, null],
        [65535, null],
        [4294967295, null],
        [2n ** 64n - 1n, 0],
        [1.5, null],
        [Math.PI, null],
        ['hello', null],
        ['数据', null],
        [Buffer.from([0, 1, 2]), 'text'],
        [wkb, null],
        [new Uint8Array([9, 9]), null],
        ['-12.3456', 7n],
        [12.5, null],
      ],
    ],
  )
  const [table] = fake.stmt2s[0]!.binds[0]!
  t.is(table!.name, 'd1')
  t.deepEqual(bindValues(table!.tags[0]!), ['{"site":"x","n":1}'])
  const got = table!.columns.map(bindValues)
  t.deepEqual(got, [
    [1700000000123n, 1700000000124n],
    [true, null],
    [-128, null],
    [32767, null],
    [-2147483648, null],
    [2n ** 63n - 1n, -5n],
    [255, null],
    [65535, null],
    [4294967295, null],
    [2n ** 64n - 1n, 0n],
    [1.5, null],
    [Math.PI, null],
    ['hello', null],
    ['数据', null],
    [Buffer.from([0, 1, 2]), Buffer.from('text')],
    [wkb, null],
    [Buffer.from([9, 9]), null],
    ['-12.3456', '7'],
    ['12.5', null],
  ])
  t.deepEqual(stmt.fields.map((f) => f.bindType), ['tbname', 'tag', ...ALL_COLUMNS.map(() => 'column')])
  t.is(stmt.fields[15]!.typeName, 'NCHAR(20)')
  t.is(await stmt.execute(), 2)
})

test('timestamps from Date, bigint, number and ISO text follow the statement precision', async (t) => {
  for (const [precision, expected] of [
    [0, [1700000000123n, 1700000000123n, 5n, 1700000000123n]],
    [1, [1700000000123000n, 1700000000123456n, 5n, 1700000000123456n]],
    [2, [1700000000123000000n, 1700000000123456789n, 5n, 1700000000123456789n]],
  ] as const) {
    const { conn, fake } = await setup([stmtField('ts', T.Timestamp, 1, precision)])
    const stmt = await conn.statement2('insert into t values (?)')
    const asBigint = [1700000000123n, 1700000000123456n, 1700000000123456789n][precision]
    await stmt.bindParam(null, null, [[[new Date(1700000000123), asBigint, 5, '2023-11-14T22:13:20.123456789Z']]])
    t.deepEqual(bindValues(fake.stmt2s[0]!.binds[0]![0]!.columns[0]!), [...expected], `precision ${precision}`)
  }
})

test('timestamps before 1970 and beyond 2^32 units keep every bit; invalid Dates are refused', async (t) => {
  const { conn, fake } = await setup([stmtField('ts', T.Timestamp, 1, 1)])
  const stmt = await conn.statement2('insert into t values (?)')
  const values = [-1, -4294967297, 2 ** 53 - 1, -(2 ** 53) + 1, new Date(-1), new Date(8.64e15), 0, null]
  await stmt.bindParam(null, null, [[values]])
  t.deepEqual(bindValues(fake.stmt2s[0]!.binds[0]![0]!.columns[0]!), [-1n, -4294967297n, 2n ** 53n - 1n, -(2n ** 53n) + 1n, -1000n, 8640000000000000000n, 0n, null])
  await t.throwsAsync(stmt.bindParam(null, null, [[[new Date(NaN)]]]), { instanceOf: taos.StatementError, message: /invalid Date/ })
})

test('string columns are encoded once per column, each value keeping its own UTF-8 bytes', async (t) => {
  const { conn, fake } = await setup([stmtField('s', T.NChar, 1, 0, 20)])
  const stmt = await conn.statement2('insert into t values (?)')
  const columns = [
    ['ascii', '', null, 'x'],
    ['ü', 'aé😀b', null, '温度', ''],
    // A lone high surrogate before a value that starts with a lone low one: each is its own
    // (replacement) character, not one pair across the two values.
    ['a\uD83D', '\uDE00b', '\uD83D\uDE00'],
  ]
  for (const column of columns) {
    fake.stmt2s[0]!.binds.length = 0
    await stmt.bindParam(null, null, [[column]])
    const bound = fake.stmt2s[0]!.binds[0]![0]!.columns[0]!
    t.deepEqual(bindValues(bound), column.map((v) => (v === null ? null : Buffer.from(v).toString('utf8'))))
    t.is(bound.offsets!.at(-1), column.reduce((n, v) => n + (v === null ? 0 : Buffer.byteLength(v)), 0))
  }
})

test('typed arrays go in whole, as their own bytes (no per-cell conversion)', async (t) => {
  const { conn, fake } = await setup([stmtField('ts', T.Timestamp), stmtField('v', T.Double), stmtField('i', T.Int)])
  const stmt = await conn.statement2('insert into t values (?,?,?)')
  const ts = BigInt64Array.from([1n, 2n, 3n])
  const v = Float64Array.from([0.5, 1.5, 2.5])
  const i = Int32Array.from([1, 2, 3])
  await stmt.bindParamWithTables([new taos.BindTable().addColData(ts).addColData(v).addColData(i)])
  const cols = fake.stmt2s[0]!.binds[0]![0]!.columns
  t.deepEqual(cols.map((c) => c.kind), ['ts', 'f64', 'i32'])
  t.deepEqual(cols[0]!.data, new Uint8Array(ts.buffer))
  t.deepEqual(cols[1]!.data, new Uint8Array(v.buffer))
  t.deepEqual(cols[2]!.data, new Uint8Array(i.buffer))
  t.deepEqual(bindValues(cols[1]!), [0.5, 1.5, 2.5])
})

async function bindError(t: import('ava').ExecutionContext, columns: unknown[][], fields = [stmtField('ts', T.Timestamp), stmtField('c_i8', T.TinyInt), stmtField('c_int', T.Int)]) {
  const { conn, fake } = await setup(insertFields([stmtField('loc', T.VarChar, 2, 0, 12)], fields))
  const stmt = await conn.statement2('insert into ? using st tags (?) values (?,?,?)')
  const err = await t.throwsAsync(stmt.bindParam(['d7'], [['x']], [columns]), { instanceOf: taos.StatementError })
  t.deepEqual(fake.stmt2s[0]!.binds, [], 'nothing was sent')
  return err!.message
}

test('a value of the wrong JavaScript type names the table, the column and the row', async (t) => {
  t.regex(await bindError(t, [[1, 2], [1, 2], [1, 'x']]), /^table d7, column c_int \(INT\), row 1: "x" is not an integer$/)
  t.regex(await bindError(t, [[1, NaN], [1, 2], [1, 2]]), /table d7, column ts \(TIMESTAMP\), row 1: NaN is not an integer timestamp/)
  t.regex(await bindError(t, [[new Date('nope')], [1], [1]]), /column ts \(TIMESTAMP\), row 0: .*invalid Date/)
  t.regex(await bindError(t, [[1], [{}], [1]]), /column c_i8 \(TINYINT\), row 0: \{\} is not an integer/)
})

test('values of the right JavaScript type go to the core unchecked: ranges and shapes are its checks', async (t) => {
  const { conn, fake } = await setup(insertFields([stmtField('loc', T.VarChar, 2, 0, 12)], [stmtField('ts', T.Timestamp), stmtField('c_i8', T.TinyInt)]))
  const stmt = await conn.statement2('insert into ? using st tags (?) values (?,?)')
  await stmt.bindParam(['d7'], [['x', 'surplus tag']], [[[1, 2], [300, 1.5, 7]]])
  const [table] = fake.stmt2s[0]!.binds[0]!
  t.is(table!.tags.length, 2, 'the core counts the tags')
  t.deepEqual(bindValues(table!.columns[1]!), [300, 1.5, 7], 'the core checks range, fraction and row count')
})

test('misuse is a ProgrammingError: bind before prepare, execute after close, execute without bind', async (t) => {
  const { conn, fake } = await setup([stmtField('ts', T.Timestamp)])
  const stmt = await conn.statement2()
  await t.throwsAsync(stmt.bindParam(null, null, [[[1]]]), { instanceOf: taos.ProgrammingError, message: /not prepared/ })
  await stmt.prepare('insert into t values (?)')
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError, message: /nothing was bound/ })
  await stmt.close()
  await stmt.close()
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError, message: /closed/ })
  // The core refused the exec: nothing reached the server (see the session's statement specs).
  t.deepEqual(fake.stmt2s[0]!.calls, ['prepare insert into t values (?)', 'exec', 'close'])
})

test('statement2 options reach stmt2_init; a failed prepare closes the statement', async (t) => {
  const { conn, fake } = await setup([])
  await conn.statement2(null, { reqId: 42, singleStbInsert: false })
  t.deepEqual(fake.calls.at(-1), { method: 'stmt2Init', args: [42n, false, false] })
  fake.prepareAnswer = () => new Error('StatementError: [0x2600] syntax error near "x"')
  await t.throwsAsync(conn.statement2('x'), { instanceOf: taos.StatementError, message: /syntax error/ })
  t.true(fake.stmt2s[1]!.closed)
})

test('a query statement binds parameters in their own types and returns its rows', async (t) => {
  const { conn, fake } = await setup([], false)
  const stmt = await conn.statement2('select * from t where v > ? and s = ?')
  t.false(stmt.isInsert)
  await stmt.bindParam(null, null, [[[5], ['x']]])
  t.is(await stmt.execute(), 0)
  const rows = await (await stmt.result()).toArray()
  t.deepEqual(rows, [[7]])
  const cols = fake.stmt2s[0]!.binds[0]![0]!.columns
  t.deepEqual(cols.map((c) => [c.kind, c.type]), [['f64', T.BigInt], ['str', T.VarChar]])
  await stmt.close()
})

test('a statement with nothing bound is not executed (the core refuses); closing after the connection is quiet', async (t) => {
  const { conn, fake } = await setup([], false)
  fake.prepareAnswer = () => ({ isInsert: false, fields: [], fieldsCount: 0 })
  const stmt = await conn.statement2('select v from t')
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError, message: /nothing was bound/ })
  await conn.close()
  await stmt.close()
  t.deepEqual(fake.stmt2s[0]!.calls, ['prepare select v from t', 'exec'])
})

test('cursor.execute with params binds through stmt2; hostile text is data', async (t) => {
  const { conn, fake } = await setup([stmtField('ts', T.Timestamp), stmtField('s', T.VarChar, 1, 0, 102)])
  const cursor = conn.cursor()
  const hostile = `it's "quoted" \\ back; DROP DATABASE x; --`
  t.is(await cursor.execute('insert into t values (?, ?)', [1, hostile]), 1)
  t.is(cursor.rowcount, 1)
  t.deepEqual(fake.calls.filter((c) => c.method === 'query'), [], 'no SQL text was sent')
  const s = fake.stmt2s[0]!
  t.deepEqual(bindValues(s.binds[0]![0]!.columns[1]!), [hostile])
  t.true(s.closed)
})

test('cursor.executemany binds all rows at once, grouped by table', async (t) => {
  const { conn, fake } = await setup(insertFields([stmtField('loc', T.VarChar, 2, 0, 12)], [stmtField('ts', T.Timestamp), stmtField('v', T.Int)]))
  const cursor = conn.cursor()
  const n = await cursor.executemany('insert into ? using st tags (?) values (?, ?)', [
    ['d1', 'a', 1, 10],
    ['d2', 'b', 2, 20],
    ['d1', 'a', 3, 30],
  ])
  t.is(n, 3)
  const s = fake.stmt2s[0]!
  t.is(s.binds.length, 1)
  t.deepEqual(
    s.binds[0]!.map((tb) => [tb.name, bindValues(tb.tags[0]!), tb.columns.map(bindValues)]),
    [
      ['d1', ['a'], [[1n, 3n], [10, 30]]],
      ['d2', ['b'], [[2n], [20]]],
    ],
  )
  await t.throwsAsync(cursor.executemany('insert into ? using st tags (?) values (?, ?)', [['d1', 'a', 1]]), {
    instanceOf: taos.StatementError,
    message: /row 0: the statement has 4 placeholders, 3 parameters were given/,
  })
})

test('cursor.execute with params on a query reads the rows and closes the statement after', async (t) => {
  const { conn, fake } = await setup([], false)
  const cursor = conn.cursor()
  await cursor.execute('select v from t where a = ? and b = ?', ['x', null])
  t.deepEqual(await cursor.fetchall(), [[7]])
  await cursor.close()
  t.true(fake.stmt2s[0]!.closed)
  await t.throwsAsync(conn.cursor().execute('select 1', 'nope' as never), { instanceOf: taos.ProgrammingError })
})

test('cursor.execute without placeholders runs plain SQL with no or empty params, refuses params before any I/O', async (t) => {
  const { conn, fake } = await setup([], false)
  const cursor = conn.cursor()
  t.is(await cursor.execute('insert into t values (1700000000000, 1)', []), 0)
  t.deepEqual(fake.calls.at(-1), { method: 'query', args: ['insert into t values (1700000000000, 1)', null] })
  t.is(fake.stmt2s.length, 0, 'never through stmt2')
  const before = fake.calls.length
  await t.throwsAsync(cursor.execute('insert into t values (1700000000000, 1)', [1]), {
    instanceOf: taos.ProgrammingError,
    message: /no \? placeholders, but 1 parameters were given/,
  })
  await t.throwsAsync(cursor.executemany('insert into t values (1700000000000, 1)', [[1]]), { instanceOf: taos.ProgrammingError, message: /no \? placeholders/ })
  t.is(fake.calls.length, before, 'nothing was sent')
})

test('stmt v1: table name, tags, rows, batches', async (t) => {
  const { conn, fake } = await setup([])
  fake.prepareAnswer = () => ({ isInsert: true, fields: [], fieldsCount: 0 })
  fake.v1Fields = [stmtField('loc', T.NChar, 2, 0, 42), stmtField('ts', T.Timestamp, 1), stmtField('v', T.Float, 1)]
  const stmt = await conn.statement()
  await t.throwsAsync(stmt.setTbname('d1'), { instanceOf: taos.ProgrammingError })
  await stmt.prepare('insert into ? using st tags (?) values (?, ?)')
  await stmt.setTbname('d1')
  await stmt.setTags(['北京'])
  await stmt.bindParam([[1, 2], [1.5, null]])
  await stmt.addBatch()
  await stmt.setTbname('d2')
  await stmt.setTags(['x'])
  await t.throwsAsync(stmt.bindParam([[1, 2], ['1.5']]), { instanceOf: taos.StatementError, message: /table d2, column v \(FLOAT\), row 0: "1.5" is not a number/ })
  await stmt.bindParam([[3], [4]])
  t.is(await stmt.execute(), 3)
  t.is(stmt.affectedRows, 3)
  const calls = fake.stmts[0]!.calls.map((c) => c.method)
  // The core keeps the placeholders and batches what was bound when executing.
  t.deepEqual(calls, ['prepare', 'setTableName', 'tagFields', 'setTags', 'colFields', 'bind', 'addBatch', 'setTableName', 'tagFields', 'setTags', 'colFields', 'colFields', 'bind', 'exec'])
  await stmt.close()
  await t.throwsAsync(stmt.execute(), { instanceOf: taos.ProgrammingError })
})

test('schemalessInsert passes protocol, precision, ttl and reqId; errors are SchemalessErrors', async (t) => {
  const { conn, fake } = await setup([])
  t.is(await conn.schemalessInsert(['m,t=a v=1 1'], taos.SmlProtocol.LINE, taos.SmlPrecision.MICRO_SECONDS, { ttl: 3, reqId: 9 }), 1)
  t.deepEqual(fake.schemaless[0], { lines: ['m,t=a v=1 1'], options: { protocol: 1, precision: 'u', ttl: 3, reqId: 9n } })
  const err = await t.throwsAsync(conn.schemalessInsert(['ok 1', 'broken'], taos.SmlProtocol.TELNET, taos.SmlPrecision.NOT_CONFIGURED), {
    instanceOf: taos.SchemalessError,
  })
  t.regex(err!.message, /line 2: broken/)
  // Line and telnet lines cross as one string, joined as on the wire; JSON texts one by one.
  t.deepEqual(fake.schemaless[1]!.lines, ['ok 1\nbroken'])
  await conn.schemalessInsert(['[{"a": 1}]', '[{"b": 2}]'], taos.SmlProtocol.JSON, taos.SmlPrecision.MILLI_SECONDS)
  t.deepEqual(fake.schemaless[2]!.lines, ['[{"a": 1}]', '[{"b": 2}]'])
  await t.throwsAsync(conn.schemalessInsert(['x'], 7 as taos.SmlProtocol), { instanceOf: taos.InterfaceError })
  await t.throwsAsync(conn.schemalessInsert(['x'], taos.SmlProtocol.LINE, 'us' as taos.SmlPrecision), { instanceOf: taos.InterfaceError })
})

test('executemany on a query, text that is no date-time and unbindable parameters are refused', async (t) => {
  const { conn, fake } = await setup([], false)
  await t.throwsAsync(conn.cursor().executemany('select * from t where v = ?', [[1], [2]]), { instanceOf: taos.ProgrammingError, message: /executemany runs writes/ })
  t.true(fake.stmt2s[0]!.closed, 'the statement is closed after the refusal')
  await t.throwsAsync(conn.cursor().execute('select * from t where v = ? and w = ?', [{ a: 1 }, 1]), { instanceOf: taos.StatementError, message: /parameter #1: \{"a":1\} cannot be sent/ })
  fake.prepareAnswer = () => ({ isInsert: true, fields: [stmtField('ts', T.Timestamp)], fieldsCount: 1 })
  const stmt = await conn.statement2('insert into t values (?)')
  await t.throwsAsync(stmt.bindParam(null, null, [[['yesterday']]]), { instanceOf: taos.StatementError, message: /column ts \(TIMESTAMP\), row 0: "yesterday" is not a date-time text/ })
  await t.throwsAsync(stmt.bindParam(null, null, [[[true]]]), { instanceOf: taos.StatementError, message: /row 0: true is not a timestamp/ })
})

test('a bind larger than the packing buffer keeps every table, tag, value and NULL in place', async (t) => {
  const { conn, fake } = await setup(insertFields([stmtField('gid', T.Int, 2)], [stmtField('ts', T.Timestamp), stmtField('i', T.Int), stmtField('s', T.NChar, 1, 0, 82), stmtField('d', T.Double)]))
  const stmt = await conn.statement2('insert into ? using st tags (?) values (?,?,?,?)')
  const rows = 20_000
  const columns = (k: number) => ({
    ts: Array.from({ length: rows }, (_, i) => 1_700_000_000_000 + i),
    i: Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : k * rows + i)),
    s: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : `ü${k}-${i}`)),
    d: Float64Array.from({ length: rows }, (_, i) => i / 3),
  })
  const data = [0, 1, 2].map(columns)
  const tables = data.map((c, k) => ({ name: `d${k}`, tags: [k], columns: [c.ts, c.i, c.s, c.d] }))
  await stmt.bindParamWithTables(tables)
  const bound = fake.stmt2s[0]!.binds[0]!
  t.deepEqual(bound.map((b) => b.name), ['d0', 'd1', 'd2'])
  bound.forEach((b, k) => {
    t.deepEqual(bindValues(b.tags[0]!), [k])
    t.deepEqual(bindValues(b.columns[0]!), data[k]!.ts.map((v) => BigInt(v)))
    t.deepEqual(bindValues(b.columns[1]!), data[k]!.i)
    t.deepEqual(bindValues(b.columns[2]!), data[k]!.s)
    t.deepEqual(bindValues(b.columns[3]!), Array.from(data[k]!.d))
  })
})
