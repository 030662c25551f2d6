import test from 'ava'
import type * as Arrow from 'apache-arrow'
import { loadArrow } from '../src/arrow.js'
import type { ColumnBlock } from '../src/index.js'
import type { NativeResult } from '../src/native.js'
import { RowStream, TaosResult } from '../src/result.js'
import { encodeColumn, field } from './helpers/fake-native.js'
import { BASE, EVERY_TYPE_NAMES, everyTypeTable, POINT_1_2 } from './helpers/every-type.js'
import { dbName, open, restDsn, useServer } from './helpers/server.js'

const server = useServer(test)
// The module instance the facade loads (under tsx, src/ is CommonJS and this spec ESM): Arrow
// compares types with instanceof, so batches of one instance do not join a table of another.
let arrow: typeof Arrow
test.before(async () => {
  arrow = await loadArrow('test')
})

const bytesOf = (c: ColumnBlock['columns'][number], row: number) => Buffer.from((c.data as Buffer).subarray(c.offsets![row]!, c.offsets![row + 1]!))

for (const precision of ['ms', 'us', 'ns'] as const) {
  test(`toColumns: every type as typed arrays with NULL masks and validity, ${precision} precision`, async (t) => {
    const conn = await open(t, server().dsn)
    const sql = `select * from ${await everyTypeTable(t, conn, 'cols', precision)} order by ts`
    const result = await conn.query(sql)
    const block = await result.toColumns()
    t.true(result.closed, 'toColumns frees the result')
    t.is(block.rows, 2)
    const c = Object.fromEntries(block.columns.map((col) => [col.field.name, col]))
    const kinds = block.columns.map((col) => col.data.constructor.name)
    t.deepEqual(kinds, [
      'BigInt64Array', 'Uint8Array', 'Int8Array', 'Int16Array', 'Int32Array', 'BigInt64Array', 'Uint8Array', 'Uint16Array',
      'Uint32Array', 'BigUint64Array', 'Float32Array', 'Float64Array', 'Buffer', 'Buffer', 'Buffer', 'Buffer', 'Buffer', 'Buffer', 'Buffer',
    ])
    t.deepEqual([...(c.ts!.data as BigInt64Array)], [BASE[precision], BASE[precision] + 1n], 'timestamps in the result unit')
    t.deepEqual([...(c.c_bool!.data as Uint8Array)].slice(0, 1), [1])
    t.is((c.c_i8!.data as Int8Array)[0], -128)
    t.is((c.c_i16!.data as Int16Array)[0], -32768)
    t.is((c.c_i32!.data as Int32Array)[0], -2147483648)
    t.is((c.c_i64!.data as BigInt64Array)[0], -9223372036854775807n)
    t.is((c.c_u8!.data as Uint8Array)[0], 255)
    t.is((c.c_u16!.data as Uint16Array)[0], 65535)
    t.is((c.c_u32!.data as Uint32Array)[0], 4294967295)
    t.is((c.c_u64!.data as BigUint64Array)[0], 18446744073709551614n)
    t.is((c.c_f32!.data as Float32Array)[0], Math.fround(3.14))
    t.is((c.c_f64!.data as Float64Array)[0], -1.5e300)
    t.is(bytesOf(c.c_vc!, 0).toString(), 'hello')
    t.is(bytesOf(c.c_nc!, 0).toString(), '温度°C😀')
    t.deepEqual(bytesOf(c.c_vb!, 0), Buffer.from([1, 2, 3]))
    t.deepEqual(bytesOf(c.c_geo!, 0), POINT_1_2)
    t.is(bytesOf(c.c_d64!, 0).toString(), '-12.34')
    t.is(bytesOf(c.c_d128!, 0).toString(), '123456789.0123456789')
    t.deepEqual(bytesOf(c.c_blob!, 0), Buffer.from([0, 255]))
    for (const col of block.columns.slice(1)) {
      t.deepEqual([...col.nulls], [0, 1], `${col.field.name}: row 1 is NULL`)
      t.is(col.nullCount, 1, col.field.name)
      t.deepEqual([...col.validity], [0b01], `${col.field.name}: Arrow validity`)
      t.is(col.value(1), null)
      if (col.offsets !== undefined) t.is(col.offsets[2]! - col.offsets[1]!, 0, `${col.field.name}: NULL is an empty range`)
    }
    t.is(c.ts!.nullCount, 0)
    t.deepEqual([...c.ts!.validity], [0b11])
    // value() converts exactly like rows.
    const rows = await (await conn.query(sql)).toArray()
    t.deepEqual(block.columns.map((col) => col.value(0)), rows[0])
    t.deepEqual(block.columns.map((col) => col.values()), block.columns.map((_, k) => rows.map((r) => r[k])))
    t.is(block.column('c_nc'), c.c_nc)
    t.is(block.column('nope'), undefined)
  })

  test(`toArrow: every type as Arrow types with nulls, ${precision} precision`, async (t) => {
    const conn = await open(t, server().dsn)
    const sql = `select * from ${await everyTypeTable(t, conn, 'cols', precision)} order by ts`
    const result = await conn.query(sql)
    const table = await result.toArrow<Arrow.Table>()
    t.true(result.closed, 'toArrow frees the result')
    t.true(table instanceof arrow.Table)
    t.is(table.numRows, 2)
    const unit = { ms: arrow.TimeUnit.MILLISECOND, us: arrow.TimeUnit.MICROSECOND, ns: arrow.TimeUnit.NANOSECOND }[precision]
    const types = table.schema.fields.map((f) => f.type)
    t.true(arrow.DataType.isTimestamp(types[0]))
    t.is((types[0] as Arrow.Timestamp).unit, unit)
    t.is((types[0] as Arrow.Timestamp).timezone, 'UTC')
    t.deepEqual(
      table.schema.fields.slice(1).map((f) => String(f.type)),
      [
        'Bool', 'Int8', 'Int16', 'Int32', 'Int64', 'Uint8', 'Uint16', 'Uint32', 'Uint64', 'Float32', 'Float64',
        'Utf8', 'Utf8', 'Binary', 'Binary', 'Decimal[10e+2]', 'Decimal[30e+10]', 'Binary',
      ],
    )
    const decimals = [types[16], types[17]] as Arrow.Decimal[]
    t.deepEqual(decimals.map((d) => [d.precision, d.scale, d.bitWidth]), [[10, 2, 128], [30, 10, 128]])
    t.deepEqual(table.schema.fields.map((f) => f.metadata.get('taos.type')), EVERY_TYPE_NAMES)
    const col = (name: string) => table.getChild(name)!
    // Arrow keeps the 64-bit timestamps as they came, in the result's unit.
    t.deepEqual([...(col('ts').data[0]!.values as BigInt64Array)], [BASE[precision], BASE[precision] + 1n])
    t.is(col('c_bool').get(0), true)
    t.is(col('c_i8').get(0), -128)
    t.is(col('c_i16').get(0), -32768)
    t.is(col('c_i32').get(0), -2147483648)
    t.is(col('c_i64').get(0), -9223372036854775807n)
    t.is(col('c_u8').get(0), 255)
    t.is(col('c_u16').get(0), 65535)
    t.is(col('c_u32').get(0), 4294967295)
    t.is(col('c_u64').get(0), 18446744073709551614n)
    t.is(col('c_f32').get(0), Math.fround(3.14))
    t.is(col('c_f64').get(0), -1.5e300)
    t.is(col('c_vc').get(0), 'hello')
    t.is(col('c_nc').get(0), '温度°C😀')
    t.deepEqual(Buffer.from(col('c_vb').get(0) as Uint8Array), Buffer.from([1, 2, 3]))
    t.deepEqual(Buffer.from(col('c_geo').get(0) as Uint8Array), POINT_1_2)
    t.deepEqual(Buffer.from(col('c_blob').get(0) as Uint8Array), Buffer.from([0, 255]))
    // Decimals: 128-bit two's complement of the unscaled value, little-endian.
    const unscaled = (name: string) => {
      const v = new BigUint64Array((col(name).data[0]!.values as Uint32Array).buffer, (col(name).data[0]!.values as Uint32Array).byteOffset, 2)
      return BigInt.asIntN(128, v[0]! | (v[1]! << 64n))
    }
    t.is(unscaled('c_d64'), -1234n)
    t.is(unscaled('c_d128'), 1234567890123456789n)
    for (const f of table.schema.fields.slice(1)) {
      t.is(col(f.name).nullCount, 1, `${f.name}: one null`)
      t.is(col(f.name).get(1), null, `${f.name}: row 1 is null`)
      t.true(col(f.name).isValid(0), `${f.name}: row 0 is valid`)
    }
    t.is(col('ts').nullCount, 0)
  })
}

test('toColumns over several blocks: columns joined once, offsets rebased, text cut right', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('cols_many')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create table ${db}.t (ts timestamp, v int, s varchar(16), n nchar(8))`)
  const total = 10_000
  const texts = (i: number) => (i % 3 === 0 ? null : i % 3 === 1 ? `a${i}` : `ü${i}😀`)
  for (let start = 0; start < total; start += 2000) {
    const values = Array.from({ length: 2000 }, (_, k) => {
      const i = start + k
      const s = texts(i)
      return `(${1700000000000 + i}, ${i % 7 === 0 ? 'null' : i}, ${s === null ? 'null' : `'${s}'`}, ${s === null ? 'null' : `'${s.slice(0, 8)}'`})`
    })
    await conn.execute(`insert into ${db}.t values ${values.join(' ')}`)
  }
  const sql = `select * from ${db}.t order by ts`
  let blocks = 0
  for await (const block of (await conn.query(sql)).blocks()) {
    blocks++
    for (const col of block.columns) t.is(col.validity.length, (block.rows + 7) >> 3)
  }
  t.true(blocks > 1, `the result spans several blocks (${blocks})`)
  const all = await (await conn.query(sql)).toColumns()
  t.is(all.rows, total)
  const [ts, v, s, n] = all.columns
  t.true(ts!.data instanceof BigInt64Array && ts!.data.length === total)
  t.is((ts!.data as BigInt64Array)[total - 1], BigInt(1700000000000 + total - 1))
  t.is(v!.nullCount, Math.ceil(total / 7))
  t.is(s!.nullCount, Math.ceil(total / 3))
  t.is(s!.offsets!.length, total + 1)
  for (const i of [0, 1, 2, 4095, 4096, 4097, 8191, 8192, total - 1]) {
    t.is(v!.value(i), i % 7 === 0 ? null : i, `v[${i}]`)
    t.is(s!.value(i), texts(i), `s[${i}]`)
    t.is(n!.value(i), texts(i)?.slice(0, 8) ?? null, `n[${i}]`)
    t.is(((v!.validity[i >> 3]! >> (i & 7)) & 1) === 1, i % 7 !== 0, `validity of v[${i}]`)
  }
  const rows = await (await conn.query(sql)).toArray()
  const batched: unknown[][] = []
  for await (const batch of (await conn.query(sql)).rowBatches()) batched.push(...batch)
  t.deepEqual(batched, rows, 'rowBatches hands out the same rows, a block at a time')
  t.deepEqual(s!.values(), rows.map((r) => r[2]))
  t.deepEqual(n!.values(), rows.map((r) => r[3]))

  // Arrow: one record batch per block, the same values.
  const batches: Arrow.RecordBatch[] = []
  for await (const batch of (await conn.query(sql)).arrowBatches<Arrow.RecordBatch>()) batches.push(batch)
  t.is(batches.length, blocks)
  const table = new arrow.Table(batches)
  t.is(table.numRows, total)
  t.deepEqual(table.getChild('s')!.toArray(), rows.map((r) => r[2]))
  t.deepEqual([...table.getChild('v')!].slice(0, 15), rows.slice(0, 15).map((r) => r[1]))
})

test('an empty result: toColumns has zero rows, toArrow an empty table with the schema', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('cols_empty')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create table ${db}.t (ts timestamp, v int, s varchar(8))`)
  const cols = await (await conn.query(`select * from ${db}.t`)).toColumns()
  t.is(cols.rows, 0)
  t.deepEqual(cols.columns.map((c) => c.field.name), ['ts', 'v', 's'])
  const table = await (await conn.query(`select * from ${db}.t`)).toArrow<Arrow.Table>()
  t.is(table.numRows, 0)
  t.deepEqual(table.schema.fields.map((f) => f.name), ['ts', 'v', 's'])
})

test("Arrow timestamps carry the connection's timezone; JSON is utf8", async (t) => {
  const conn = await open(t, `${server().dsn}?timezone=Asia%2FShanghai`)
  const db = dbName('cols_tz')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create stable ${db}.st (ts timestamp, v int) tags (j json)`)
  await conn.execute(`insert into ${db}.c1 using ${db}.st tags ('{"k":"ü"}') values (1700000000000, 1)`)
  const table = await (await conn.query(`select ts, j from ${db}.st`)).toArrow<Arrow.Table>()
  t.is((table.schema.fields[0]!.type as Arrow.Timestamp).timezone, 'Asia/Shanghai')
  t.is(String(table.schema.fields[1]!.type), 'Utf8')
  t.deepEqual(JSON.parse(table.getChild('j')!.get(0) as string), { k: 'ü' })
})

/** A column's values as plain data, whatever buffers hold them. */
function plain(block: ColumnBlock): unknown[] {
  return block.columns.map((c) => ({
    name: c.field.name,
    typeName: c.field.typeName,
    nulls: [...c.nulls],
    nullCount: c.nullCount,
    validity: [...c.validity],
    values: Array.from({ length: block.rows }, (_, r) => c.value(r)),
  }))
}


for (const precision of ['ms', 'us', 'ns'] as const) {
  test(`REST results give the same rows, columns and Arrow as WebSocket, ${precision} precision`, async (t) => {
    const ws = await open(t, server().dsn)
    const rest = await open(t, restDsn(server().dsn))
    const sql = `select * from ${await everyTypeTable(t, ws, 'cols_rest', precision)} order by ts`
    const [wsCols, restCols] = [await (await ws.query(sql)).toColumns(), await (await rest.query(sql)).toColumns()]
    t.is(restCols.rows, 2)
    t.deepEqual(plain(restCols), plain(wsCols))
    t.deepEqual(
      restCols.columns.map((c) => c.data.constructor.name),
      wsCols.columns.map((c) => c.data.constructor.name),
      'the same typed-array kinds',
    )
    t.deepEqual(await (await rest.query(sql)).toArray(), await (await ws.query(sql)).toArray())
    const [wsTable, restTable] = [await (await ws.query(sql)).toArrow<Arrow.Table>(), await (await rest.query(sql)).toArrow<Arrow.Table>()]
    t.deepEqual(restTable.schema.fields.map(String), wsTable.schema.fields.map(String))
    t.deepEqual(restTable.toArray().map((r) => r.toJSON()), wsTable.toArray().map((r) => r.toJSON()))
    const blocks = []
    for await (const block of (await rest.query(sql)).blocks()) blocks.push(block.rows)
    t.deepEqual(blocks, [2], 'REST hands its one answer over as one block')
  })
}

test('a result read block by block (a TypeScript driver, no packed batches) gives the same rows, columns and Arrow NULLs', async (t) => {
  const fields = [field('ts', 9), field('v', 4), field('s', 8, 18)]
  const values = [[1700000000000n, 1700000000001n, 1700000000002n], [1, null, 3], ['a', 'ü', null]]
  const blockResult = () => {
    let sent = false
    const native: NativeResult = {
      hasRows: true,
      affectedRows: 0,
      precision: 'ms',
      fields,
      fetchBlock: async () => {
        if (sent) return null
        sent = true
        return { rows: 3, columns: fields.map((f, c) => encodeColumn(f.type, values[c]!)) }
      },
      close: () => undefined,
    }
    return new TaosResult(new RowStream(native, {}, () => undefined), 'array')
  }
  t.deepEqual(await blockResult().toArray(), [
    [new Date(1700000000000), 1, 'a'],
    [new Date(1700000000001), null, 'ü'],
    [new Date(1700000000002), 3, null],
  ])
  const cols = await blockResult().toColumns()
  t.deepEqual([...cols.columns[1]!.validity], [0b101])
  t.is(cols.columns[2]!.nullCount, 1)
  const table = await blockResult().toArrow<Arrow.Table>()
  t.deepEqual(table.getChild('v')!.toArray().length, 3)
  t.deepEqual([0, 1, 2].map((r) => table.getChild('v')!.get(r)), [1, null, 3])
  t.deepEqual([0, 1, 2].map((r) => table.getChild('s')!.get(r)), ['a', 'ü', null])
})
