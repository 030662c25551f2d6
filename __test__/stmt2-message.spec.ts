/**
 * An insert's stmt2 bind written by the facade as the message itself (src/bind-message.ts,
 * checked in place by the core: crates/taosjs-core/src/stmt2_message.rs) puts on the wire exactly
 * the bytes the core's encoder writes from the same values packed the general way
 * (src/bind-pack.ts): every type, NULLs in every shape, all-NULL columns, empty and non-ASCII
 * strings, typed arrays, several tables with tags, every timestamp precision. What the writer
 * leaves to the general way (DECIMAL, values to convert or refuse) still goes, and still fails,
 * as before. Frames captured by a scripted adapter (helpers/fake-adapter.ts), real addon.
 */
import test from 'ava'
import { connect, StatementError } from '../src/index.js'
import type { NativeStmt2 } from '../src/native.js'
import { insertTables, packInsert, type BindTableData } from '../src/statement.js'
import { FakeAdapter } from './helpers/fake-adapter.js'
import { isMessage } from './helpers/fake-native.js'

const field = (name: string, field_type: number, bind_type: number, bytes: number, precision = 0, scale = 0) => ({ name, field_type, precision, scale, bytes, bind_type })

/** `insert into ? using st tags (…) values (…)`: every column type the writer writes. */
function fields(precision: number) {
  return [
    field('tbname', 8, 4, 194),
    field('t_i', 4, 2, 4),
    field('t_n', 10, 2, 4 * 10 + 2),
    field('t_b', 1, 2, 1),
    field('t_ts', 9, 2, 8, precision),
    field('ts', 9, 1, 8, precision),
    field('b', 1, 1, 1),
    field('i8', 2, 1, 1),
    field('i16', 3, 1, 2),
    field('i32', 4, 1, 4),
    field('i64', 5, 1, 8),
    field('u8', 11, 1, 1),
    field('u16', 12, 1, 2),
    field('u32', 13, 1, 4),
    field('u64', 14, 1, 8),
    field('f', 6, 1, 4),
    field('d', 7, 1, 8),
    field('s', 8, 1, 40 + 2),
    field('n', 10, 1, 4 * 20 + 2),
    field('vb', 16, 1, 40 + 2),
    field('g', 20, 1, 100 + 2),
    field('bl', 18, 1, 5),
  ]
}

async function setup(t: import('ava').ExecutionContext, precision: number, f = fields(precision)) {
  const adapter = await FakeAdapter.start()
  const conn = await connect(adapter.dsn)
  t.teardown(async () => {
    await conn.close()
    await adapter.close()
  })
  adapter.replies['stmt2_prepare'] = { is_insert: true, fields: f, fields_count: f.length }
  const stmt = await conn.statement2(`insert into ? using st tags (${f.filter((x) => x.bind_type === 2).map(() => '?')}) values (${f.filter((x) => x.bind_type === 1).map(() => '?')})`)
  return { adapter, conn, stmt }
}

/** The statement's placeholders as the facade has them. */
function placeholders(stmt: { fields: readonly { bindType: string }[] }) {
  const all = stmt.fields as never as Parameters<typeof insertTables>[0]
  return {
    all,
    split: {
      tagFields: all.filter((x) => x.bindType === 'tag'),
      colFields: all.filter((x) => x.bindType === 'column'),
      named: true,
    },
  }
}

/** Sends `bytes` as a bind through the statement's addon object; the frame the adapter got. */
async function sent(adapter: FakeAdapter, stmt: object, bytes: Uint8Array): Promise<Buffer> {
  const before = adapter.binaries(9n).length
  await (stmt as { native: NativeStmt2 }).native.bind(bytes, null, null)
  const frames = adapter.binaries(9n)
  if (frames.length !== before + 1) throw new Error('no bind frame')
  return frames.at(-1)!
}

const WORDS = ['', 'a', 'ü', '数据', 'ab"c\\', '😀x', '\ud800', 'x'.repeat(60), 'é'.repeat(20)]

/** Rows `n` of every column, NULLs where `nullAt(row, column)` says. */
function batch(n: number, tables: number, nullAt: (row: number, col: number) => boolean, start: number): BindTableData[] {
  const wkb = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex')
  const col = (k: number, value: (r: number) => unknown) => Array.from({ length: n }, (_, r) => (nullAt(r + start, k) ? (r % 2 ? null : undefined) : value(r + start)))
  return Array.from({ length: tables }, (_, t) => ({
    name: `d${t}_${'é'.repeat(t % 3)}`,
    tags: [nullAt(t, 0) ? null : t - 1, nullAt(t, 1) ? null : WORDS[t % WORDS.length], t % 2 === 0, nullAt(t, 3) ? null : new Date(1700000000000 + t)],
    columns: [
      Array.from({ length: n }, (_, r) => (r % 3 === 0 ? 1700000000000 + r : r % 3 === 1 ? new Date(1700000000000 + r) : BigInt(1700000000000 + r))),
      col(1, (r) => (r % 3 === 0 ? r % 2 === 0 : r % 2)),
      col(2, (r) => (r % 256) - 128),
      col(3, (r) => (r % 2 ? -32768 : 32767) + (r % 2 ? r : -r)),
      col(4, (r) => (r % 2 ? -2147483648 : 2147483647) + (r % 2 ? r : -r) || -0),
      col(5, (r) => (r % 3 === 0 ? BigInt(r) * -(2n ** 40n) : r % 3 === 1 ? 2n ** 63n - 1n - BigInt(r) : -(2 ** 53) + 1 + r)),
      col(6, (r) => r % 256),
      col(7, (r) => 65535 - r),
      col(8, (r) => 4294967295 - r),
      col(9, (r) => (r % 2 ? 2n ** 64n - 1n - BigInt(r) : 2 ** 53 - 1 - r)),
      col(10, (r) => [1.5, -0, Infinity, -Infinity, 3.4028234663852886e38, 1e-45, r / 3][r % 7]),
      col(11, (r) => [Math.PI, -0, Infinity, -1e308, 5e-324, r / 7][r % 6]),
      col(12, (r) => WORDS[r % WORDS.length]!.slice(0, 20)),
      col(13, (r) => WORDS[(r + 3) % WORDS.length]!.slice(0, 10)),
      col(14, (r) => Buffer.from(WORDS[r % WORDS.length]!.slice(0, 10))),
      col(15, () => wkb),
      col(16, (r) => new Uint8Array(r % 5).fill(r)),
    ],
  }))
}

const PATTERNS: Array<[string, (row: number, col: number) => boolean]> = [
  ['no NULL', () => false],
  ['every other row', (r, c) => (r + c) % 2 === 0],
  ['every third', (r, c) => (r * 7 + c) % 3 === 0],
  ['all NULL', () => true],
  ['a column all NULL', (_r, c) => c === 5 || c === 12],
]

for (const precision of [0, 1, 2]) {
  test(`the message the facade writes is the encoder's, byte for byte (precision ${precision})`, async (t) => {
    const { adapter, stmt } = await setup(t, precision)
    const { all, split } = placeholders(stmt)
    let compared = 0
    for (const [name, nullAt] of PATTERNS) {
      for (const [rows, tables] of [[1, 1], [3, 2], [17, 5], [100, 3]] as const) {
        const tablesData = batch(rows, tables, nullAt, rows * tables)
        const message = insertTables(all, tablesData)
        t.true(isMessage(message), `${name}, ${rows}×${tables}: written as the message`)
        const viaMessage = await sent(adapter, stmt, message.slice())
        const viaPacked = await sent(adapter, stmt, packInsert(split, tablesData).slice())
        t.deepEqual(viaMessage.subarray(8), viaPacked.subarray(8), `${name}, ${rows} rows × ${tables} tables`)
        compared++
      }
    }
    t.is(compared, PATTERNS.length * 4)
  })
}

test('typed arrays of the column type go in as their bytes, the same bytes as packed', async (t) => {
  const f = [field('tbname', 8, 4, 194), field('g', 4, 2, 4), field('ts', 9, 1, 8), field('b', 1, 1, 1), field('i8', 2, 1, 1), field('i16', 3, 1, 2), field('i32', 4, 1, 4), field('i64', 5, 1, 8), field('u8', 11, 1, 1), field('u16', 12, 1, 2), field('u32', 13, 1, 4), field('u64', 14, 1, 8), field('f', 6, 1, 4), field('d', 7, 1, 8)]
  const { adapter, stmt } = await setup(t, 0, f)
  const { all, split } = placeholders(stmt)
  const n = 9
  const tablesData: BindTableData[] = [0, 1].map((k) => ({
    name: `t${k}`,
    tags: [k],
    columns: [
      BigInt64Array.from({ length: n }, (_, i) => 1700000000000n + BigInt(i)),
      Uint8Array.from({ length: n }, (_, i) => i % 3),
      Int8Array.from({ length: n }, (_, i) => -i),
      Int16Array.from({ length: n }, (_, i) => -300 * i),
      Int32Array.from({ length: n }, (_, i) => -70000 * i),
      BigInt64Array.from({ length: n }, (_, i) => -(2n ** 62n) + BigInt(i)),
      Uint8Array.from({ length: n }, (_, i) => 250 + (i % 5)),
      Uint16Array.from({ length: n }, (_, i) => 65000 + i),
      Uint32Array.from({ length: n }, (_, i) => 4e9 + i),
      BigUint64Array.from({ length: n }, (_, i) => 2n ** 64n - 1n - BigInt(i)),
      Float32Array.from({ length: n }, (_, i) => [NaN, -0, Infinity, 1.1][i % 4]!),
      // A subarray: its own bytes, not its buffer's.
      new Float64Array(2 * n).fill(2.5).subarray(n),
    ],
  }))
  const message = insertTables(all, tablesData)
  t.true(isMessage(message))
  t.deepEqual((await sent(adapter, stmt, message.slice())).subarray(8), (await sent(adapter, stmt, packInsert(split, tablesData).slice())).subarray(8))
})

test('what the writer leaves to the core (DECIMAL, a value to convert or refuse) goes packed, with the same errors', async (t) => {
  const f = [field('tbname', 8, 4, 194), field('ts', 9, 1, 8), field('v', 2, 1, 1), field('dec', 17, 1, 16, 20, 4)]
  const { adapter, stmt } = await setup(t, 0, f)
  const { all } = placeholders(stmt)
  // DECIMAL columns: the core converts decimal text.
  t.false(isMessage(insertTables(all, [{ name: 'd1', columns: [[1], [2], ['1.5']] }])))
  const noDecimal = all.filter((x) => x.name !== 'dec')
  const row = (v: unknown) => [{ name: 'd1', columns: [[1, 2], [1, v]] }]
  t.true(isMessage(insertTables(noDecimal, row(7))))
  for (const v of [300, 1.5, 7n, NaN, Infinity]) t.false(isMessage(insertTables(noDecimal, row(v))), `${String(v)} is the core's to convert or refuse`)
  // Shapes the core names: a missing name, a surplus column, columns of different lengths.
  t.false(isMessage(insertTables(noDecimal, [{ columns: [[1], [2]] }])))
  t.false(isMessage(insertTables(noDecimal, [{ name: 'd1', columns: [[1], [2], [3]] }])))
  t.false(isMessage(insertTables(noDecimal, [{ name: 'd1', columns: [[1, 2], [2]] }])))
  // Through the statement: refused by the core, named as before, nothing sent, still usable.
  const before = adapter.binaries(9n).length
  await t.throwsAsync(stmt.bindParam(['d1'], null, [[[1, 2], [5, 300], ['1.5', '2']]]), { instanceOf: StatementError, message: /table d1, column v \(TINYINT\), row 1: 300 is out of range \[-128, 127\]/ })
  t.is(adapter.binaries(9n).length, before)
  await stmt.bindParam(['d1'], null, [[[1, 2], [5, 6], ['1.5', '2']]])
  t.is(adapter.binaries(9n).length, before + 1)
})

test('a value too long for its column is refused by the core from the message, as from a packed bind', async (t) => {
  const f = [field('tbname', 8, 4, 194), field('ts', 9, 1, 8), field('s', 8, 1, 5 + 2), field('n', 10, 1, 4 * 3 + 2)]
  const { adapter, stmt } = await setup(t, 0, f)
  const { all, split } = placeholders(stmt)
  for (const [k, long] of [[1, 'abcdef'], [2, 'üüüü']] as const) {
    const columns: unknown[][] = [[1, 2], ['ok', 'ok'], ['ü', 'ü']]
    columns[k] = ['ok', long]
    const data = [{ name: 'd1', columns }]
    const message = insertTables(all, data)
    t.true(isMessage(message))
    const stmt2 = stmt as never as { native: NativeStmt2 }
    const a = await t.throwsAsync(stmt2.native.bind(message, null, null))
    const b = await t.throwsAsync(stmt2.native.bind(packInsert(split, data), null, null))
    t.is(a!.message, b!.message)
    t.regex(a!.message, /too long/)
  }
  t.is(adapter.binaries(9n).length, 0)
})
