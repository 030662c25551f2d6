import test from 'ava'
import { BASE, EVERY_TYPE_NAMES, everyTypeTable, POINT_1_2 } from './helpers/every-type.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

for (const precision of ['ms', 'us', 'ns'] as const) {
  test(`every type round-trips with NULLs in ${precision} precision`, async (t) => {
    const conn = await open(t, server().dsn)
    const table = await everyTypeTable(t, conn, 'types', precision)
    const ts = BASE[precision]

    const result = await conn.query(`select * from ${table} order by ts`)
    t.is(result.precision, precision)
    t.deepEqual(result.fields.map((f) => f.typeName), EVERY_TYPE_NAMES)
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
