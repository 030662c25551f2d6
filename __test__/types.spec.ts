import test from 'ava'
import type { Precision } from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

const COLUMNS = [
  'ts timestamp',
  'c_bool bool',
  'c_i8 tinyint',
  'c_i16 smallint',
  'c_i32 int',
  'c_i64 bigint',
  'c_u8 tinyint unsigned',
  'c_u16 smallint unsigned',
  'c_u32 int unsigned',
  'c_u64 bigint unsigned',
  'c_f32 float',
  'c_f64 double',
  'c_vc varchar(32)',
  'c_nc nchar(16)',
  'c_vb varbinary(32)',
  'c_geo geometry(64)',
  'c_d64 decimal(10,2)',
  'c_d128 decimal(30,10)',
  'c_blob blob',
].join(', ')

const VALUES = [
  'true', '-128', '-32768', '-2147483648', '-9223372036854775807',
  '255', '65535', '4294967295', '18446744073709551614',
  '3.14', '-1.5e300', "'hello'", "'温度°C😀'", "'\\x010203'", "'POINT(1 2)'",
  '-12.34', '123456789.0123456789', "'\\x00ff'",
].join(', ')

const NULLS = Array.from({ length: 18 }, () => 'null').join(', ')

/** 2023-11-14T22:13:20.123456789Z in each precision's unit. */
const BASE: Record<Precision, bigint> = {
  ms: 1700000000123n,
  us: 1700000000123456n,
  ns: 1700000000123456789n,
}

const POINT_1_2 = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex')

for (const precision of ['ms', 'us', 'ns'] as const) {
  test(`every type round-trips with NULLs in ${precision} precision`, async (t) => {
    const conn = await open(t, server().dsn)
    const db = dbName(`types_${precision}`)
    await conn.execute(`create database ${db} precision '${precision}'`)
    t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
    await conn.execute(`create table ${db}.t (${COLUMNS})`)
    const ts = BASE[precision]
    t.is(await conn.execute(`insert into ${db}.t values (${ts}, ${VALUES}) (${ts + 1n}, ${NULLS})`), 2)

    const result = await conn.query(`select * from ${db}.t order by ts`)
    t.is(result.precision, precision)
    t.deepEqual(
      result.fields.map((f) => f.typeName),
      [
        'TIMESTAMP', 'BOOL', 'TINYINT', 'SMALLINT', 'INT', 'BIGINT', 'TINYINT UNSIGNED', 'SMALLINT UNSIGNED',
        'INT UNSIGNED', 'BIGINT UNSIGNED', 'FLOAT', 'DOUBLE', 'VARCHAR', 'NCHAR', 'VARBINARY', 'GEOMETRY',
        'DECIMAL(10,2)', 'DECIMAL(30,10)', 'BLOB',
      ],
    )
    t.deepEqual(result.fields.map((f) => f.bytes).slice(12, 16), [32, 16, 32, 64])
    const [full, empty] = await result.toArray()

    const expectedTs = precision === 'ms' ? new Date(Number(ts)) : ts
    t.deepEqual(full!.slice(0, 12), [
      expectedTs, true, -128, -32768, -2147483648, -9223372036854775807n,
      255, 65535, 4294967295, 18446744073709551614n, Math.fround(3.14), -1.5e300,
    ])
    t.is(full![12], 'hello')
    t.is(full![13], '温度°C😀')
    t.deepEqual(full![14], Buffer.from([1, 2, 3]))
    t.deepEqual(full![15], POINT_1_2)
    t.is(full![16], '-12.34')
    t.is(full![17], '123456789.0123456789')
    t.deepEqual(full![18], Buffer.from([0, 255]))

    t.deepEqual(empty![0], precision === 'ms' ? new Date(Number(ts + 1n)) : ts + 1n)
    t.deepEqual(empty!.slice(1), Array.from({ length: 18 }, () => null), 'NULL is always null')
  })

  test(`timestampAs gives Date, number and string in ${precision} precision`, async (t) => {
    const conn = await open(t, server().dsn)
    const db = dbName(`tsas_${precision}`)
    await conn.execute(`create database ${db} precision '${precision}'`)
    t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
    await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
    await conn.execute(`insert into ${db}.t values (${BASE[precision]}, 1)`)
    const sql = `select ts from ${db}.t`
    const date = (await (await conn.query(sql, { timestampAs: 'date' })).toArray())[0]![0]
    t.is((date as Date).toISOString(), '2023-11-14T22:13:20.123Z')
    const num = (await (await conn.query(sql, { timestampAs: 'number' })).toArray())[0]![0]
    t.is(num, Number(BASE[precision]))
    const text = (await (await conn.query(sql, { timestampAs: 'string' })).toArray())[0]![0]
    t.is(text, { ms: '2023-11-14T22:13:20.123Z', us: '2023-11-14T22:13:20.123456Z', ns: '2023-11-14T22:13:20.123456789Z' }[precision])
    const big = (await (await conn.query(sql, { timestampAs: 'bigint' })).toArray())[0]![0]
    t.is(big, BASE[precision])
  })
}

test('bigintAs number, JSON tags as text or parsed', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('json')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create stable ${db}.st (ts timestamp, v bigint) tags (j json)`)
  await conn.execute(`insert into ${db}.c1 using ${db}.st tags ('{"k":"ü","n":1}') values (1700000000000, 7)`)
  await conn.execute(`insert into ${db}.c2 using ${db}.st tags (null) values (1700000000000, 8)`)
  const rows = await (await conn.query(`select v, j from ${db}.st order by v`, { bigintAs: 'number' })).toArray()
  t.is(rows[0]![0], 7)
  t.deepEqual(JSON.parse(rows[0]![1] as string), { k: 'ü', n: 1 })
  t.is(rows[1]![1], null)
  const parsed = await (await conn.query(`select j from ${db}.st order by v`, { parseJson: true })).toArray()
  t.deepEqual(parsed[0]![0], { k: 'ü', n: 1 })
})

test('unicode NCHAR survives the round trip, including astral characters and empty strings', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('nchar')
  await conn.execute(`create database ${db}`)
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  await conn.execute(`create table ${db}.t (ts timestamp, s nchar(20))`)
  const texts = ['', 'ü\'q"', '中文字符', '😀😃🙂', 'mixed ascii ✓']
  const values = texts.map((s, i) => `(${1700000000000 + i}, '${s.replace(/'/g, "\\'")}')`).join(' ')
  await conn.execute(`insert into ${db}.t values ${values}`)
  const rows = await (await conn.query(`select s from ${db}.t order by ts`)).toArray()
  t.deepEqual(rows.map((r) => r[0]), texts)
})
