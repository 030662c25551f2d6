/**
 * REST (`http://`): the same API as WebSocket, values identical to WebSocket's, `RestClient`,
 * tokens from `/rest/login`, and what REST cannot do refused by name. Runs against the embedded
 * server, or a real TDengine when `TDENGINE_DSN` is set (the REST DSN is derived from it).
 */
import test from 'ava'
import {
  connect,
  ConnectionError,
  InterfaceError,
  ProgrammingError,
  NotSupportedError,
  QueryError,
  RestClient,
  SmlPrecision,
  SmlProtocol,
  type Connection,
} from '../src/index.js'
import { dbName, open, restDsn, useServer } from './helpers/server.js'

const server = useServer(test)
const rest = () => restDsn(server().dsn)

const TABLE = `(ts timestamp, c_bool bool, c_i8 tinyint, c_i16 smallint, c_i32 int, c_i64 bigint,
  c_u8 tinyint unsigned, c_u16 smallint unsigned, c_u32 int unsigned, c_u64 bigint unsigned,
  c_f32 float, c_f64 double, c_vc varchar(32), c_nc nchar(16), c_vb varbinary(32), c_geo geometry(64),
  c_d64 decimal(10,2), c_d128 decimal(30,10), c_blob blob) tags (t_json json)`

// Values where REST's text form could lose something: BIGINT beyond 2^53, u64 max, float32
// digits, tiny doubles, NCHAR beyond the BMP, escapes, hex, exact decimals, real NULLs.
const ROWS = [
  "true, -128, -32768, -2147483648, 9007199254740993, 255, 65535, 4294967295, 18446744073709551615, 0.1, -5e-301, 'a\"b\\\\c<&>', '温度°C😀', '\\x00ff10', 'POINT(1.5 -2)', 99999999.99, -12345678901234567890.0123456789, '\\xdeadbeef'",
  "false, 127, 32767, 2147483647, -9223372036854775807, 0, 0, 0, 0, 16777216, 1e+21, '', '', '\\x', 'LINESTRING(0 0, 1 1)', -0.01, 0, '\\x'",
  Array.from({ length: 18 }, () => 'null').join(', '),
]

async function fill(conn: Connection, db: string, precision: 'ms' | 'us' | 'ns'): Promise<void> {
  await conn.execute(`create database ${db} precision '${precision}'`)
  await conn.execute(`create stable ${db}.st ${TABLE}`)
  const unit = { ms: 1n, us: 1000n, ns: 1000000n }[precision]
  const values = ROWS.map((r, i) => `(${(1700000000000n + BigInt(i)) * unit + (precision === 'ms' ? 0n : 7n)}, ${r})`).join(' ')
  await conn.execute(`insert into ${db}.d1 using ${db}.st tags ('{"k":"v","n":1.5,"u":"中","z":null}') values ${values}`)
  await conn.execute(`insert into ${db}.d2 using ${db}.st tags (null) values (${1800000000000n * unit}, ${ROWS[2]})`)
}

for (const precision of ['ms', 'us', 'ns'] as const) {
  test(`the same query over WebSocket and REST gives the same values (${precision})`, async (t) => {
    const ws = await open(t, server().dsn)
    const http = await open(t, rest())
    const db = dbName(`rest_${precision}`)
    t.teardown(() => ws.execute(`drop database if exists ${db}`).then(() => undefined))
    await fill(ws, db, precision)

    const sql = `select * from ${db}.st order by ts`
    const [a, b] = await Promise.all([ws.query(sql), http.query(sql)])
    t.is(b.precision, a.precision)
    t.deepEqual(b.fields, a.fields, 'names, type ids and names, lengths, decimal precision/scale')
    const [wsRows, restRows] = await Promise.all([a.toArray(), b.toArray()])
    t.is(restRows.length, 4)
    t.deepEqual(restRows, wsRows)
    // What was at stake, spelled out.
    t.is(restRows[0]![5], 9007199254740993n)
    t.is(restRows[0]![9], 18446744073709551615n)
    t.deepEqual(restRows[0]![14], Buffer.from('00ff10', 'hex'))
    t.is(restRows[0]![17], '-12345678901234567890.0123456789')
    t.is(restRows[0]![13], '温度°C😀')
    t.is(restRows[0]![12], 'a"b\\c<&>')
    t.is(restRows[2]![1], null)
    if (precision !== 'ms') t.is(typeof restRows[0]![0], 'bigint')
    t.is(restRows[0]![19], '{"k":"v","n":1.5,"u":"中","z":null}')

    // The same through every reading path: cursor, object rows, columns.
    const cursor = http.cursor({ rowMode: 'object' })
    await cursor.execute(sql)
    const objects = await cursor.fetchall()
    t.deepEqual(objects.map((o) => Object.values(o as object)), wsRows)
    const blocks = []
    for await (const block of (await http.query(sql)).blocks()) blocks.push(block)
    t.is(blocks.reduce((n, block) => n + block.rows, 0), 4)
  })
}

test('execute, query and cursor over REST: writes, DDL, empty results, errors that leave the connection usable', async (t) => {
  const conn = await open(t, rest())
  const db = dbName('rest_api')
  t.teardown(() => conn.execute(`drop database if exists ${db}`).then(() => undefined))
  t.is(await conn.execute(`create database ${db}`), 0)
  await conn.execute(`create table ${db}.t (ts timestamp, v int)`)
  t.is(await conn.execute(`insert into ${db}.t values (1700000000000, 1) (1700000000001, 2)`), 2)
  const empty = await conn.query(`select * from ${db}.t where v > 100`)
  t.deepEqual(empty.fields.map((f) => f.name), ['ts', 'v'])
  t.deepEqual(await empty.toArray(), [])
  const cursor = conn.cursor()
  t.is(await cursor.execute(`insert into ${db}.t values (1700000000002, 3)`), 1)
  await cursor.execute(`select v from ${db}.t order by ts`, null, { reqId: 12345 })
  t.deepEqual(await cursor.fetchall(), [[1], [2], [3]])
  t.deepEqual(cursor.description?.map((d) => d[0]), ['v'])
  const e = await t.throwsAsync(conn.query('selec 1'), { instanceOf: QueryError })
  t.is(e?.errno, 0x2600)
  t.deepEqual(await (await conn.query('select 1')).toArray(), [[1n]])
  t.regex(await conn.serverVersion(), /^3\./)
})

test('the database of the DSN is used, and many statements run concurrently on one connection', async (t) => {
  const setup = await open(t, server().dsn)
  const db = dbName('rest_db')
  t.teardown(() => setup.execute(`drop database if exists ${db}`).then(() => undefined))
  await setup.execute(`create database ${db}`)
  await setup.execute(`create table ${db}.t (ts timestamp, v int)`)
  const conn = await open(t, `${rest()}/${db}`, { maxSockets: 3 })
  await Promise.all(Array.from({ length: 30 }, (_, i) => conn.execute(`insert into t values (${1700000000000 + i}, ${i})`)))
  const [[count]] = (await (await conn.query('select count(*) from t')).toArray()) as [[bigint]]
  t.is(count, 30n)
})

test('the timezone option is the connection timezone, as over WebSocket', async (t) => {
  const setup = await open(t, server().dsn)
  const db = dbName('rest_tz')
  t.teardown(() => setup.execute(`drop database if exists ${db}`).then(() => undefined))
  await setup.execute(`create database ${db}`)
  await setup.execute(`create table ${db}.t (ts timestamp, v int)`)
  const ws = await open(t, server().dsn, { timezone: 'Asia/Shanghai' })
  const http = await open(t, rest(), { timezone: 'Asia/Shanghai' })
  await ws.execute(`insert into ${db}.t values ('2023-11-15 00:00:00', 1)`)
  await http.execute(`insert into ${db}.t values ('2023-11-16 00:00:00', 2)`)
  const rows = (await (await setup.query(`select ts, v from ${db}.t order by ts`)).toArray()) as Array<[Date, number]>
  t.is(rows.length, 2)
  // A day apart in whatever zone the server read them: REST's timezone is WebSocket's.
  t.is(rows[1]![0].getTime() - rows[0]![0].getTime(), 86_400_000)
  if (server().server === undefined) {
    // A real TDengine reads them in Asia/Shanghai (the embedded server has no per-connection zone yet).
    t.is(rows[0]![0].toISOString(), '2023-11-14T16:00:00.000Z')
  }
})

test('what REST cannot do is a NotSupportedError naming the ws:// DSN to use', async (t) => {
  const conn = await open(t, `${rest()}/power`)
  const url = new URL(rest())
  const wsDsn = `ws://${url.host}/power`
  const checks: Array<[string, () => Promise<unknown>]> = [
    ['stmt2', () => conn.statement2('insert into ? values (?, ?)')],
    ['stmt', () => conn.statement()],
    ['schemaless', () => conn.schemalessInsert('m,t=1 v=1i 1700000000000', SmlProtocol.LINE, SmlPrecision.MILLI_SECONDS)],
    ['stmt2', () => conn.cursor().execute('select * from t where v > ?', [1])],
    ['stmt2', () => conn.cursor().executemany('insert into t values (?, ?)', [[1, 2]])],
  ]
  for (const [feature, call] of checks) {
    const e = await t.throwsAsync(call, { instanceOf: NotSupportedError })
    t.true(e!.message.includes(feature) && e!.message.includes(wsDsn), e!.message)
    t.false(/taosdata|root/.test(e!.message), e!.message)
  }
  // The connection is still fine.
  t.deepEqual(await (await conn.query('select 1')).toArray(), [[1n]])
})

test('bad credentials, an unknown scheme and a URL without host are refused clearly, never echoing the password', async (t) => {
  const url = new URL(rest())
  const secret = 'S3cret-Never-Shown'
  const e1 = await t.throwsAsync(connect(`http://root:${secret}@${url.host}`), { instanceOf: ConnectionError })
  t.is(e1?.errno, 0x0357)
  t.false(e1!.message.includes(secret))
  const client = new RestClient(`http://${url.host}`, { user: 'root', password: secret })
  t.teardown(() => client.close())
  const e2 = await t.throwsAsync(client.sql('select 1'), { instanceOf: ConnectionError })
  t.is(e2?.errno, 0x0357)
  t.false(e2!.message.includes(secret))
  const e3 = await t.throwsAsync(connect(`mysql://root:${secret}@${url.host}`), { instanceOf: NotSupportedError })
  t.true(e3!.message.includes('mysql') && e3!.message.includes('http://'), e3!.message)
  t.false(e3!.message.includes(secret))
  for (const bad of ['http://', `http://root:${secret}@/db`, 'https://:6041', `ws://${url.host}`, 'localhost:6041']) {
    const e = t.throws(() => new RestClient(bad), { instanceOf: ProgrammingError })
    t.false(e!.message.includes(secret), e!.message)
  }
  t.throws(() => new RestClient(rest(), { requestTimeoutMs: -1 }), { instanceOf: ProgrammingError, message: /requestTimeoutMs/ })
  t.throws(() => new RestClient(rest(), { convertTimestamp: 'yes' as unknown as boolean }), { instanceOf: ProgrammingError })
  // One name per setting: the per-call `timeoutMs` is not a client option.
  t.throws(() => new RestClient(rest(), { timeoutMs: 5 } as never), { instanceOf: ProgrammingError, message: /unknown option timeoutMs/ })
})

test('RestClient.sql answers the adapter object: column_meta, data, rows; writes as affected_rows', async (t) => {
  const client = new RestClient(rest())
  t.teardown(() => client.close())
  const db = dbName('rest_client')
  t.teardown(() => client.sql(`drop database if exists ${db}`).then(() => undefined))
  t.deepEqual(await client.sql(`create database ${db} precision 'us'`), {
    code: 0,
    column_meta: [['affected_rows', 'INT', 4]],
    data: [[0]],
    rows: 1,
  })
  await client.sql(`create table ${db}.t (ts timestamp, v bigint, s nchar(4), b varbinary(8))`)
  const written = await client.sql(`insert into ${db}.t values (1700000000000001, 9007199254740993, 'ü', '\\x0a0b') (1700000000000002, null, null, null)`, { reqId: 7 })
  t.deepEqual(written.data, [[2]])
  const answer = await client.sql(`select * from ${db}.t order by ts`)
  t.deepEqual(answer.column_meta, [
    ['ts', 'TIMESTAMP', 8],
    ['v', 'BIGINT', 8],
    ['s', 'NCHAR', 4],
    ['b', 'VARBINARY', 8],
  ])
  t.is(answer.rows, 2)
  t.deepEqual(answer.data, [
    [1700000000000001n, 9007199254740993n, 'ü', Buffer.from([10, 11])],
    [1700000000000002n, null, null, null],
  ])
  const text = new RestClient(rest(), { convertTimestamp: false })
  t.teardown(() => text.close())
  t.deepEqual((await text.sql(`select ts from ${db}.t order by ts`)).data, [['2023-11-14T22:13:20.000001Z'], ['2023-11-14T22:13:20.000002Z']])
  const e = await t.throwsAsync(client.sql(`select * from ${db}.nope`), { instanceOf: QueryError })
  t.is(e?.errno, 0x2603)
})

test('a token from /rest/login authorises requests as Authorization: Taosd', async (t) => {
  const url = new URL(rest())
  const client = new RestClient(rest())
  t.teardown(() => client.close())
  const token = await client.login()
  t.regex(token, /^\S{20,}$/)
  const byToken = new RestClient(`http://${url.host}`, { token })
  t.teardown(() => byToken.close())
  t.deepEqual((await byToken.sql('select 1')).data, [[1n]])
  const conn = await open(t, `http://${url.host}`, { token })
  t.deepEqual(await (await conn.query('select 1')).toArray(), [[1n]])
  // A corrupted token is refused: connect() checks the connection, so a ConnectionError; a
  // RestClient learns at its first statement (taosAdapter 3.3.7.5 answers 849 "Invalid user", as
  // for any statement naming an unknown user).
  const forged = `AAAA${token.slice(4)}`
  await t.throwsAsync(connect(`http://${url.host}`, { token: forged }), { instanceOf: ConnectionError })
  const byForged = new RestClient(`http://${url.host}`, { token: forged })
  t.teardown(() => byForged.close())
  const e = await t.throwsAsync(byForged.sql('select 1'))
  t.is((e as { errno?: number }).errno, 849, String(e))
})

test('statements over 1 MiB are refused by the server with 537, and the connection goes on', async (t) => {
  // taosAdapter refuses them itself (n_rest_variants note 5), and so does the embedded server; the
  // client sends statements as they are and leaves the limit to the server.
  const conn = await open(t, rest())
  const sql = `select 1 from (select 1) where 1 in (${Array.from({ length: 600_000 }, () => '1').join(',')})`
  t.true(Buffer.byteLength(sql) > 1_048_576)
  const e = await t.throwsAsync(conn.query(sql), { instanceOf: QueryError })
  t.is(e?.errno, 0x0219)
  t.deepEqual(await (await conn.query('select 1')).toArray(), [[1n]])
})

test('closing a REST connection fails later calls and frees nothing twice', async (t) => {
  const conn = await connect(rest())
  const result = await conn.query('select 1')
  await conn.close()
  await conn.close()
  t.true(conn.isClosed)
  await t.throwsAsync(conn.query('select 1'), { instanceOf: InterfaceError })
  await t.throwsAsync(result.toArray(), { instanceOf: InterfaceError })
})
