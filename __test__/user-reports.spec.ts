/**
 * What users found when they tried taosjs against a real TDengine 3.3.7.5 (issue 18, bugs 1–7),
 * as specifications: each of these failed before the fix.
 */
import test from 'ava'
import { inspect } from 'node:util'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)
const db = dbName('reports')
const PASSWORD = 'Sup3r-S3cret!pw'
const TOKEN = 'tok-0123456789-secret'

test.serial.before(async () => {
  const conn = await taos.connect(server().dsn)
  await conn.execute(`create database ${db}`)
  // One table per test: the tests of a file run at the same time.
  for (const table of ['t', 'stmts', 'signal', 'closed']) await conn.execute(`create table ${db}.${table} (ts timestamp, v int)`)
  await conn.execute(`insert into ${db}.closed values (1700000000000, 1)`)
  await conn.execute(`create table ${db}.d (ts timestamp, d decimal(10,2))`)
  await conn.close()
})

async function count(conn: taos.Connection, table: string): Promise<bigint> {
  return (await (await conn.query(`select count(*) from ${db}.${table}`)).toArray())[0]![0] as bigint
}

test('bug 1: execute(sql, []) without placeholders runs the SQL; parameters without placeholders are refused before any I/O', async (t) => {
  const conn = await open(t, server().dsn)
  const cursor = conn.cursor()
  t.is(await cursor.execute(`insert into ${db}.t values (1700000000000, 1)`, []), 1)
  t.is(await cursor.execute(`create table if not exists ${db}.t2 (ts timestamp, v int)`, []), 0)
  await cursor.execute(`show ${db}.tables`, [])
  t.true((await cursor.fetchall()).length >= 2)
  await t.throwsAsync(cursor.execute(`insert into ${db}.t values (1700000000001, 2)`, [5]), {
    instanceOf: taos.ProgrammingError,
    message: /no \? placeholders, but 1 parameters were given/,
  })
  t.is(await count(conn, 't'), 1n)
})

test('bug 1: the sequences that kill taosAdapter cannot be expressed through Stmt2', async (t) => {
  const conn = await open(t, server().dsn)
  // A statement without placeholders: nothing can be bound or executed.
  const none = await conn.statement2(`insert into ${db}.stmts values (1700000000100, 100)`)
  await t.throwsAsync(none.bindParam(null, null, [[]]), { instanceOf: taos.ProgrammingError, message: /no placeholders/ })
  await t.throwsAsync(none.execute(), { instanceOf: taos.ProgrammingError, message: /nothing was bound/ })
  await none.close()
  // A prepare without a bind.
  const unbound = await conn.statement2(`insert into ${db}.stmts values (?, ?)`)
  await t.throwsAsync(unbound.execute(), { instanceOf: taos.ProgrammingError, message: /nothing was bound/ })
  await unbound.close()
  // A failed prepare.
  const failed = await conn.statement2()
  await t.throwsAsync(failed.prepare(`insert into ${db}.no_such_table values (?, ?)`), { instanceOf: taos.StatementError })
  await t.throwsAsync(failed.execute(), { instanceOf: taos.ProgrammingError, message: /not prepared/ })
  await failed.close()
  t.is(await count(conn, 'stmts'), 0n, 'nothing was written')
  t.is(await conn.execute('select 1'), 0, 'the connection is fine')
})

test('bug 2: a DECIMAL bound through stmt2 is checked against the declared precision, as SQL checks it', async (t) => {
  const conn = await open(t, server().dsn)
  const sqlError = await t.throwsAsync(conn.execute(`insert into ${db}.d values (1700000000000, 123456789012.34)`))
  t.log(`SQL says: ${sqlError!.message}`)
  const stmt = await conn.statement2(`insert into ${db}.d values (?, ?)`)
  t.is(stmt.fields[1]!.typeName, 'DECIMAL(10,2)')
  const err = await t.throwsAsync(stmt.bindParam(null, null, [[[1700000000000], ['123456789012.34']]]), { instanceOf: taos.StatementError })
  t.is(err!.errno, 0x013d)
  t.regex(err!.message, /column d \(DECIMAL\), row 0: "123456789012\.34" does not fit DECIMAL\(10,2\) \(Decimal value overflow\)/)
  await stmt.bindParam(null, null, [[[1700000000000], ['99999999.99']]])
  t.is(await stmt.execute(), 1)
  await stmt.close()
  t.is(await count(conn, 'd'), 1n)
})

test('bug 3: execute(sql, params, { signal }) honours the signal', async (t) => {
  const conn = await open(t, server().dsn)
  const cursor = conn.cursor()
  await t.throwsAsync(cursor.execute(`insert into ${db}.signal values (?, ?)`, [1700000000200, 7], { signal: AbortSignal.abort() }), {
    instanceOf: taos.OperationalError,
    message: /aborted/,
  })
  const controller = new AbortController()
  const pending = cursor.execute(`select * from ${db}.signal where v > ?`, [0], { signal: controller.signal })
  controller.abort(new Error('user gave up'))
  const err = await t.throwsAsync(pending, { instanceOf: taos.OperationalError, message: /aborted/ })
  t.is((err!.cause as Error).message, 'user gave up')
  t.is(await count(conn, 'signal'), 0n, 'the aborted insert wrote nothing')
})

test('bug 4: reading a closed result is an error, not an empty result', async (t) => {
  const conn = await open(t, server().dsn)
  const result = await conn.query(`select * from ${db}.closed`)
  await result.close()
  await t.throwsAsync(result.toArray(), { instanceOf: taos.InterfaceError, message: /the result is closed/ })
  // A result read to its end stays readable as empty.
  const done = await conn.query(`select * from ${db}.closed`)
  t.is((await done.toArray()).length, 1)
  t.deepEqual(await done.toArray(), [])
})

test('bug 5: isClosed turns true when the server goes away', async (t) => {
  const own = await TestServer.start()
  const conn = await taos.connect(own.dsn)
  t.teardown(() => conn.close())
  t.false(conn.isClosed)
  await own.close()
  const deadline = Date.now() + 5000
  while (!conn.isClosed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  t.true(conn.isClosed)
  await t.throwsAsync(conn.query('select 1'), { instanceOf: taos.ConnectionError })
})

test('bug 6: nothing that holds a secret shows it to util.inspect or JSON.stringify', async (t) => {
  await using own = await TestServer.start({ users: [{ user: 'alice', password: PASSWORD }] })
  const conn = await taos.connect(`ws://alice:${encodeURIComponent(PASSWORD)}@${own.host}:${own.port}?token=${TOKEN}`)
  t.teardown(() => conn.close())
  const cursor = conn.cursor()
  await cursor.execute('select 1')
  const stmt = await conn.statement2()
  const result = await conn.query('select 1')
  for (const [name, value] of Object.entries({ conn, cursor, stmt, result })) {
    for (const shown of [inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? '']) {
      t.false(shown.includes(PASSWORD) || shown.includes(encodeURIComponent(PASSWORD)), `${name} shows the password`)
      t.false(shown.includes(TOKEN), `${name} shows the token`)
    }
  }
  await stmt.close()
})

test('bug 7: a raw ?, # or / in a DSN password is never echoed, and still logs in', async (t) => {
  for (const password of ['Secret?x', 'Se#cret', 'Se/cret']) {
    // Nothing listens on port 1: the error is about the endpoint, never the credentials.
    const err = await t.throwsAsync(taos.connect(`ws://alice:${password}@127.0.0.1:1`), { instanceOf: taos.Error })
    t.false(err!.message.includes(password), err!.message)
    t.false(err!.message.includes('ecret'), err!.message)
  }
  await using own = await TestServer.start({ users: [{ user: 'alice', password: 'Se?cr#t/1' }] })
  const conn = await taos.connect(`ws://alice:Se?cr#t/1@${own.host}:${own.port}`)
  t.teardown(() => conn.close())
  t.is(await conn.execute('select 1'), 0)
})
