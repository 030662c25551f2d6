/**
 * Data subscription end to end, against the embedded server or a real TDengine (`TDENGINE_DSN`).
 * Every test owns its database and topic and drops them afterwards.
 */
import test, { type ExecutionContext } from 'ava'
import * as taos from '../src/index.js'
import { Consumer, NotSupportedError, tmqConnect, TmqError, type Connection, type ConsumerConfig, type Message } from '../src/index.js'
import { TestServer } from '../src/testing.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)

/** How long a consumer may need to see everything (a real server rebalances in seconds). */
const PATIENCE_MS = 60_000

interface Produced {
  conn: Connection
  db: string
  topic: string
  /** Rows written, as `v` values 0..total-1. */
  total: number
}

/** `drop topic`, retried while TDengine still counts a just-closed consumer (1003, 1007). */
async function dropTopic(conn: Connection, topic: string): Promise<void> {
  const until = Date.now() + 20_000
  for (;;) {
    try {
      await conn.execute(`drop topic if exists ${topic}`)
      return
    } catch (err) {
      const code = (err as taos.Error).errno
      if ((code !== 0x3eb && code !== 0x3ef) || Date.now() > until) throw err
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

/** A database with `tables` child tables of `rows` rows each (v unique; none yet when `rows` is 0), and a topic on them. */
async function produce(t: ExecutionContext, prefix: string, tables = 20, rows = 50, topicSql = 'as select ts, v, s from {db}.st'): Promise<Produced> {
  const conn = await open(t, server().dsn)
  const db = dbName(prefix)
  const topic = `${db}_topic`
  await conn.execute(`create database ${db} vgroups 2 wal_retention_period 3600`)
  t.teardown(async () => {
    await dropTopic(conn, topic)
    await conn.execute(`drop database if exists ${db}`)
  })
  await conn.execute(`create stable ${db}.st (ts timestamp, v int, s nchar(8)) tags (g int)`)
  if (rows > 0) await insertRows(conn, db, 0, tables, rows)
  await conn.execute(`create topic ${topic} ${topicSql.replaceAll('{db}', db)}`)
  return { conn, db, topic, total: tables * rows }
}

async function insertRows(conn: Connection, db: string, first: number, tables: number, rows: number): Promise<void> {
  for (let tb = 0; tb < tables; tb++) {
    const values: string[] = []
    for (let r = 0; r < rows; r++) {
      const v = first + tb * rows + r
      values.push(`(${1_700_000_000_000 + v}, ${v}, ${v % 7 === 0 ? 'null' : `'n${v % 100}'`})`)
    }
    await conn.execute(`insert into ${db}.t${tb} using ${db}.st tags (${tb}) values ${values.join(' ')}`)
  }
}

function config(group: string, extra: ConsumerConfig = {}): ConsumerConfig {
  return { 'group.id': group, 'client.id': `${group}_c`, 'auto.offset.reset': 'earliest', 'enable.auto.commit': false, ...extra }
}

async function consumer(t: ExecutionContext, topic: string, group: string, extra: ConsumerConfig = {}): Promise<Consumer> {
  const c = await tmqConnect(config(group, extra), server().dsn)
  t.teardown(() => c.close())
  await c.subscribe([topic])
  return c
}

/** Polls until `want` rows (by `v`) arrived or nothing more comes; commits each message when asked. */
async function drain(c: Consumer, want: number, { commit = true, idlePolls = 3 } = {}): Promise<number[]> {
  const seen: number[] = []
  const until = Date.now() + PATIENCE_MS
  let idle = 0
  while (Date.now() < until) {
    const m = await c.poll(1000)
    if (m === null) {
      if (seen.length >= want && ++idle >= idlePolls) break
      continue
    }
    idle = 0
    for await (const row of m) seen.push(row[1] as number)
    if (commit) await c.commit(m)
  }
  return seen
}

function exactlyOnce(t: ExecutionContext, seen: number[], total: number): void {
  const sorted = [...seen].sort((a, b) => a - b)
  t.is(seen.length, total, `${seen.length} rows seen, ${total} written`)
  t.deepEqual(sorted, Array.from({ length: total }, (_, i) => i))
}

test('N rows across many child tables of a two-vgroup database are consumed exactly once with commits', async (t) => {
  const p = await produce(t, 'tmq_once')
  const c = await consumer(t, p.topic, `${p.db}_g`)
  exactlyOnce(t, await drain(c, p.total), p.total)
  // A new consumer of the group after the commits sees nothing new.
  await c.close()
  const next = await consumer(t, p.topic, `${p.db}_g`)
  t.deepEqual(await drain(next, 0, { idlePolls: 2 }), [])
})

test('without a commit, rows are delivered again to the next consumer of the group', async (t) => {
  const p = await produce(t, 'tmq_again', 4, 25)
  const first = await consumer(t, p.topic, `${p.db}_g`)
  exactlyOnce(t, await drain(first, p.total, { commit: false }), p.total)
  await first.close()
  const second = await consumer(t, p.topic, `${p.db}_g`)
  exactlyOnce(t, await drain(second, p.total), p.total)
})

/** Polls two consumers side by side until `want` rows arrived between them and nothing more comes; commits each message. */
async function drainTogether(a: Consumer, b: Consumer, want: number): Promise<[number[], number[]]> {
  const seen: [number[], number[]] = [[], []]
  const until = Date.now() + PATIENCE_MS
  const total = (): number => seen[0].length + seen[1].length
  await Promise.all(
    [a, b].map(async (c, i) => {
      let idle = 0
      while (Date.now() < until) {
        const m = await c.poll(500)
        if (m === null) {
          if (total() >= want && ++idle >= 3) return
          continue
        }
        idle = 0
        for await (const row of m) seen[i]!.push(row[1] as number)
        await c.commit(m)
      }
    }),
  )
  return seen
}

/** The vgroups each consumer is assigned, once the group's rebalance gave each a share of all `vgroups`. */
async function settled(a: Consumer, b: Consumer, topic: string, vgroups: number): Promise<[number[], number[]]> {
  const until = Date.now() + PATIENCE_MS
  for (;;) {
    // A real TDengine tells a consumer of a rebalance when it polls.
    await Promise.all([a.poll(200), b.poll(200)])
    const shares = (await Promise.all([a.assignment(), b.assignment()])).map((as) => as.filter((x) => x.topic === topic).map((x) => x.vgroupId).sort()) as [number[], number[]]
    const all = new Set([...shares[0], ...shares[1]])
    if (shares[0].length > 0 && shares[1].length > 0 && all.size === vgroups && shares[0].length + shares[1].length === vgroups) return shares
    if (Date.now() > until) throw new Error(`the group never split the ${vgroups} vgroups: ${JSON.stringify(shares)}`)
  }
}

test('two consumers of one group split the vgroups: every row is delivered once across them; one that closes hands its vgroups over', async (t) => {
  // Nothing to read until both consumers hold their share: a real TDengine rebalances in seconds.
  const { conn, db, topic } = await produce(t, 'tmq_group', 20, 0)
  const group = `${db}_g`
  const a = await tmqConnect(config(group, { 'client.id': 'a' }), server().dsn)
  t.teardown(() => a.close())
  const b = await tmqConnect(config(group, { 'client.id': 'b' }), server().dsn)
  t.teardown(() => b.close())
  await a.subscribe([topic])
  await b.subscribe([topic])
  const [shareA, shareB] = await settled(a, b, topic, 2)
  t.is(shareA.length, 1, 'one vgroup each')
  t.notDeepEqual(shareA, shareB)

  // 20 child tables hash into both vgroups.
  await insertRows(conn, db, 0, 20, 10)
  const [seenA, seenB] = await drainTogether(a, b, 200)
  exactlyOnce(t, [...seenA, ...seenB], 200)
  t.true(seenA.length > 0 && seenB.length > 0, `both consumers got rows (${seenA.length} + ${seenB.length})`)
  await Promise.all([a.commit(), b.commit()])
  for (const [c, share] of [[a, shareA], [b, shareB]] as const) {
    for (const vg of share) t.is(await c.committed(topic, vg), (await c.assignment()).find((x) => x.vgroupId === vg)!.end, `vgroup ${vg} committed to its end`)
  }

  // b leaves: a takes over b's vgroup from the group's committed offset — only the new rows.
  await b.close()
  await insertRows(conn, db, 200, 20, 2)
  const rest = await drain(a, 40)
  t.deepEqual([...rest].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => 200 + i))
  t.deepEqual((await a.assignment()).map((x) => x.vgroupId).sort(), [...shareA, ...shareB].sort())
})

test('seekToBeginning replays everything; committed and position equal each vgroup’s end after commit()', async (t) => {
  const p = await produce(t, 'tmq_seek', 6, 20)
  const c = await consumer(t, p.topic, `${p.db}_g`)
  exactlyOnce(t, await drain(c, p.total), p.total)
  // Each message was committed where it ends; committing everything polled also covers what the
  // server skipped after the last message (WAL entries that are not the topic's).
  await c.commit()
  const assignment = await c.assignment()
  t.true(assignment.length >= 1)
  for (const a of assignment) {
    t.is(typeof a.end, 'bigint')
    const [committed, position] = [await c.committed(p.topic, a.vgroupId), await c.position(p.topic, a.vgroupId)]
    t.is(committed, a.end, `vgroup ${a.vgroupId}: committed`)
    t.is(position, a.end, `vgroup ${a.vgroupId}: position`)
  }
  t.deepEqual(await c.committed(assignment.map((a) => ({ topic: p.topic, vgroupId: a.vgroupId }))), assignment.map((a) => ({ topic: p.topic, vgroupId: a.vgroupId, offset: a.end })))
  await c.seekToBeginning()
  exactlyOnce(t, await drain(c, p.total), p.total)
})

test('rows written while subscribed arrive; listTopics and unsubscribe/subscribe', async (t) => {
  const p = await produce(t, 'tmq_live', 2, 5)
  const c = await consumer(t, p.topic, `${p.db}_g`)
  t.deepEqual(await c.listTopics(), [p.topic])
  exactlyOnce(t, await drain(c, p.total), p.total)
  await insertRows(p.conn, p.db, p.total, 2, 5)
  const more = await drain(c, 10)
  t.deepEqual([...more].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => p.total + i))
  await c.unsubscribe()
  await t.throwsAsync(c.poll(10), { instanceOf: TmqError, message: /subscribe/ })
  await c.subscribe(p.topic)
  t.deepEqual(await c.listTopics(), [p.topic])
})

test('messages carry every type lossless with real NULLs, in object mode too', async (t) => {
  const p = await produce(t, 'tmq_types', 1, 8)
  const c = await tmqConnect<Record<string, unknown>>(config(`${p.db}_g`), server().dsn, { rowMode: 'object', timestampAs: 'bigint' })
  t.teardown(() => c.close())
  await c.subscribe([p.topic])
  const rows: Array<Record<string, unknown>> = []
  let message: Message<Record<string, unknown>> | null = null
  const until = Date.now() + PATIENCE_MS
  while (rows.length < 8 && Date.now() < until) {
    const m = await c.poll(1000)
    if (m === null) continue
    message = m
    t.is(m.topic, p.topic)
    t.is(m.database, p.db)
    t.is(m.type, 'data')
    t.is(typeof m.offset, 'bigint')
    rows.push(...(await m.toArray()))
  }
  t.deepEqual(message!.fields.map((f) => [f.name, f.typeName, f.bytes]), [['ts', 'TIMESTAMP', 8], ['v', 'INT', 4], ['s', 'NCHAR', 8]])
  rows.sort((a, b) => (a['v'] as number) - (b['v'] as number))
  t.deepEqual(rows[0], { ts: 1_700_000_000_000n, v: 0, s: null })
  t.deepEqual(rows[1], { ts: 1_700_000_000_001n, v: 1, s: 'n1' })
})

test('subscribing to an unknown topic is a TmqError with TDengine’s code', async (t) => {
  const c = await tmqConnect(config(dbName('tmq_unknown')), server().dsn)
  t.teardown(() => c.close())
  const err = await t.throwsAsync(c.subscribe(['no_such_topic_at_all']), { instanceOf: TmqError })
  t.is(err!.errno, 0x3e1)
})

test('bad configuration values and unknown keys are TmqErrors naming the key, before any I/O', (t) => {
  const cases: Array<[ConsumerConfig, RegExp]> = [
    [{ 'group.id': 'g', 'enable.auto.commit': 'yes' }, /`enable\.auto\.commit`.*true or false.*"yes"/],
    [{ 'group.id': 'g', 'auto.offset.reset': 'smallest' }, /`auto\.offset\.reset`/],
    [{ 'group.id': 'g', 'auto.commit.interval.ms': 'soon' }, /`auto\.commit\.interval\.ms`/],
    [{ 'group.id': 'g', 'session.timeout.ms': 10 }, /`session\.timeout\.ms`/],
    [{ 'group.id': 'g', port: 70000 }, /`port`/],
    [{ 'group.id': 'g', 'group.idd': 'x' }, /unknown configuration key `group\.idd`/],
    [{ 'group.id': 'g', 'msg.with.table.name': {} as never }, /`msg\.with\.table\.name`/],
    [{}, /`group\.id` is required/],
  ]
  for (const [cfg, message] of cases) {
    const err = t.throws(() => new Consumer(cfg, 'ws://root:taosdata@127.0.0.1:1'), { instanceOf: TmqError })
    t.regex(err!.message, message)
  }
  const secret = t.throws(() => new Consumer({ 'group.id': 'g', 'td.connect.pass': 'x'.repeat(300) }), { instanceOf: TmqError })
  t.false(secret!.message.includes('xxxx'), 'a password is never repeated')
  // Text booleans are parsed, never taken as truthy text.
  t.notThrows(() => new Consumer({ 'group.id': 'g', 'enable.auto.commit': 'false', 'msg.with.table.name': 'FALSE' }))
})

test('REST has no TMQ: an http(s) DSN is a NotSupportedError naming the ws:// DSN, before any I/O', (t) => {
  for (const dsn of ['http://root:taosdata@db.example:6041/power', 'https://root:taosdata@db.example:6041/power']) {
    const err = t.throws(() => new Consumer({ 'group.id': 'g' }, dsn), { instanceOf: NotSupportedError })
    t.regex(err!.message, /TMQ.*REST.*wss?:\/\/db\.example:6041\/power/)
    t.false(err!.message.includes('taosdata'), 'never the password')
  }
})

test('a consumer whose socket drops is closed for good; a new consumer of the group resumes at the committed offset', async (t) => {
  const local = await TestServer.start()
  t.teardown(() => local.close())
  const admin = await taos.connect(local.dsn)
  t.teardown(() => admin.close())
  await admin.execute('create database tmq_dropped vgroups 1')
  await admin.execute('create table tmq_dropped.t (ts timestamp, v int)')
  await admin.execute('insert into tmq_dropped.t values (1700000000000, 0) (1700000000001, 1) (1700000000002, 2)')
  await admin.execute('create topic tmq_dropped_topic as select ts, v from tmq_dropped.t')
  const c = await tmqConnect(config('tmq_dropped_g'), local.dsn)
  await c.subscribe(['tmq_dropped_topic'])
  const first = await c.poll(5000)
  t.truthy(first)
  const seen: number[] = []
  for await (const row of first!) seen.push(row[1] as number)
  await c.commit(first!)
  // The server restarts (the adapter's process died): the connection is lost, the data stays.
  const poll = c.poll(30_000)
  await local.restart()
  const err = await t.throwsAsync(poll, { instanceOf: TmqError })
  t.regex(err!.message, /connection|closed/)
  t.true(c.isClosed, 'closed for good: a consumer does not reconnect')
  const again = await t.throwsAsync(c.poll(10), { instanceOf: TmqError })
  t.regex(again!.message, /closed/)
  await c.close()
  await admin.execute('insert into tmq_dropped.t values (1700000000003, 3)')
  const next = await tmqConnect(config('tmq_dropped_g'), local.dsn)
  t.teardown(() => next.close())
  await next.subscribe(['tmq_dropped_topic'])
  const rest: number[] = []
  for (let i = 0; i < 10 && rest.length < 4 - seen.length; i++) {
    const m = await next.poll(1000)
    if (m !== null) for await (const row of m) rest.push(row[1] as number)
  }
  t.deepEqual([...seen, ...rest].sort(), [0, 1, 2, 3], 'nothing committed is read twice, nothing is lost')
})

test('a server killed mid-poll makes the poll reject with a TmqError at once, never hang', async (t) => {
  const local = await TestServer.start()
  try {
    const admin = await taos.connect(local.dsn)
    await admin.execute('create database tmq_killed vgroups 1')
    await admin.execute('create table tmq_killed.t (ts timestamp, v int)')
    await admin.execute('create topic tmq_killed_topic as database tmq_killed')
    await admin.close()
    const c = await tmqConnect(config('tmq_killed_g', { 'request.timeout.ms': 2000 }), local.dsn)
    await c.subscribe(['tmq_killed_topic'])
    const poll = c.poll(30_000)
    await new Promise((r) => setTimeout(r, 200))
    const started = Date.now()
    await local.close()
    const err = await t.throwsAsync(poll, { instanceOf: TmqError })
    t.true(Date.now() - started < 5000, `rejected after ${Date.now() - started} ms`)
    t.regex(err!.message, /connection|closed/)
    await t.throwsAsync(c.poll(10), { instanceOf: TmqError })
    await c.close()
  } finally {
    await local.close()
  }
})

test('for await over messages() stops when its signal aborts', async (t) => {
  const p = await produce(t, 'tmq_iter', 2, 10)
  const c = await consumer(t, p.topic, `${p.db}_g`)
  const ac = new AbortController()
  const seen: number[] = []
  for await (const m of c.messages({ signal: ac.signal, pollTimeoutMs: 500 })) {
    for await (const row of m) seen.push(row[1] as number)
    await c.commit(m)
    if (seen.length >= p.total) ac.abort()
  }
  exactlyOnce(t, seen, p.total)
})

/** Table names each schema change of a meta message creates, as `[tableType, tableName]` (batched metas flattened). */
function createdTables(meta: unknown): Array<[string, string]> {
  const changes = (meta as { metas?: unknown[] }).metas ?? [meta]
  return changes
    .map((m) => m as { type?: string; tableType?: string; tableName?: string })
    .filter((m) => m.type === 'create')
    .map((m) => [m.tableType ?? '', m.tableName ?? ''])
}

test('a WITH META topic delivers the schema changes first, as parsed JSON, then every row once', async (t) => {
  const conn = await open(t, server().dsn)
  const db = dbName('tmq_meta')
  const topic = `${db}_topic`
  // one vgroup: the order of messages is the order of the statements
  await conn.execute(`create database ${db} vgroups 1 wal_retention_period 3600`)
  t.teardown(async () => {
    await dropTopic(conn, topic)
    await conn.execute(`drop database if exists ${db}`)
  })
  await conn.execute(`create topic ${topic} with meta as database ${db}`)
  await conn.execute(`create stable ${db}.st (ts timestamp, v int, s nchar(8)) tags (g int)`)
  await conn.execute(`create table ${db}.t0 using ${db}.st tags (0)`)
  await insertRows(conn, db, 0, 1, 30)
  const c = await consumer(t, topic, `${db}_g`)
  const types: string[] = []
  const created: Array<[string, string]> = []
  const seen: number[] = []
  const until = Date.now() + PATIENCE_MS
  while (seen.length < 30 && Date.now() < until) {
    const m = await c.poll(1000)
    if (m === null) continue
    types.push(m.type)
    if (m.type === 'meta' || m.type === 'data+meta') created.push(...createdTables(m.meta))
    else t.is(m.meta, null)
    for await (const row of m) seen.push(row[1] as number)
    await c.commit(m)
  }
  t.deepEqual(created, [['super', 'st'], ['child', 't0']])
  const firstData = types.findIndex((type) => type !== 'meta')
  t.true(firstData > 0, `messages: ${types.join(', ')}`)
  t.true(types.slice(0, firstData).every((type) => type === 'meta'))
  exactlyOnce(t, seen, 30)
})
