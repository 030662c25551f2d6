/** The Consumer facade against a fake addon: what JavaScript checks, what crosses, how messages read. */
import test from 'ava'
import { AbortError, Consumer, Message, ProgrammingError, TmqError } from '../src/index.js'
import { FakeNative, fakeMessage, field } from './helpers/fake-native.js'

function consumer(config: Record<string, unknown> = { 'group.id': 'g1' }, dsn?: string, options = {}) {
  const native = new FakeNative()
  const c = Consumer.withNative(native, config as never, dsn, options)
  return { native, c }
}

test('configuration values cross as text: booleans and numbers converted, undefined and null left out', (t) => {
  const { native } = consumer({ 'group.id': 'g1', 'enable.auto.commit': false, 'auto.commit.interval.ms': 1000, 'client.id': undefined, 'td.connect.pass': null }, 'ws://h:6041')
  t.deepEqual(native.consumerConfigs[0], {
    entries: [
      { key: 'group.id', value: 'g1' },
      { key: 'enable.auto.commit', value: 'false' },
      { key: 'auto.commit.interval.ms', value: '1000' },
    ],
    dsn: 'ws://h:6041',
  })
  const map = new FakeNative()
  Consumer.withNative(map, new Map([['group.id', 'g2']]))
  t.deepEqual(map.consumerConfigs[0]!.entries, [{ key: 'group.id', value: 'g2' }])
})

test('a value of the wrong JavaScript kind is a TmqError naming the key, before the addon is asked', (t) => {
  for (const [value, kind] of [[{}, 'object'], [['a'], 'an array'], [() => 1, 'function'], [Symbol('x'), 'symbol']] as const) {
    const native = new FakeNative()
    const err = t.throws(() => Consumer.withNative(native, { 'group.id': 'g', 'msg.with.table.name': value } as never), { instanceOf: TmqError })
    t.regex(err!.message, /`msg\.with\.table\.name`/)
    t.true(err!.message.includes(kind), err!.message)
    t.is(native.consumerConfigs.length, 0)
  }
  t.throws(() => Consumer.withNative(new FakeNative(), { 'group.id': 'g', port: Number.NaN }), { instanceOf: TmqError, message: /`port`.*finite/ })
  t.throws(() => Consumer.withNative(new FakeNative(), 'group.id=g' as never), { instanceOf: TmqError })
  t.throws(() => Consumer.withNative(new FakeNative(), { 'group.id': 'g' }, undefined, { rowMode: 'table' } as never), { instanceOf: TmqError, message: /rowMode/ })
})

test('the addon’s refusal of a key is a TmqError; nothing connects before the first call', async (t) => {
  t.throws(() => Consumer.withNative(new FakeNative(), {}), { instanceOf: TmqError, message: /`group\.id`/ })
  const { native, c } = consumer()
  t.is(native.consumers.length, 0)
  await c.subscribe('t1')
  t.is(native.consumers.length, 1)
  t.deepEqual(native.consumers[0]!.calls[0], { method: 'subscribe', args: [['t1']] })
  await t.throwsAsync(c.subscribe([]), { instanceOf: TmqError })
})

test('poll hands out messages whose rows read like query rows, block by block with table names', async (t) => {
  const { native, c } = consumer({ 'group.id': 'g1' }, undefined, { rowMode: 'object' })
  await c.subscribe(['t1'])
  native.consumers[0]!.messages.push(
    fakeMessage({
      topic: 't1',
      vgroupId: 7,
      offset: 9_007_199_254_740_993n,
      blocks: [
        { tableName: 'd1', columns: [{ field: field('ts', 9), values: [1700000000000n] }, { field: field('v', 4, 4), values: [null] }] },
        { tableName: 'd2', columns: [{ field: field('ts', 9), values: [1700000000001n, 1700000000002n] }, { field: field('v', 4, 4), values: [2, 3] }] },
      ],
    }),
  )
  const m = await c.poll(100)
  t.true(m instanceof Message)
  t.is(m!.offset, 9_007_199_254_740_993n, 'offsets are bigints')
  t.deepEqual([m!.topic, m!.vgroupId, m!.type, m!.rowCount, m!.meta], ['t1', 7, 'data', 3, null])
  t.deepEqual(m!.tableNames, ['d1', 'd2'])
  t.deepEqual(m!.fields.map((f) => f.name), ['ts', 'v'])
  const rows = await m!.toArray()
  t.deepEqual(rows, [
    { ts: new Date(1700000000000), v: null },
    { ts: new Date(1700000000001), v: 2 },
    { ts: new Date(1700000000002), v: 3 },
  ])
  t.deepEqual(await m!.toArray(), rows, 'a message can be read again')
  const blocks = []
  for await (const b of m!.blocks()) blocks.push([b.tableName, b.rows, b.fields.length])
  t.deepEqual(blocks, [['d1', 1, 2], ['d2', 2, 2]])
  t.is(await c.poll(0), null)
})

test('meta is parsed JSON', async (t) => {
  const { native, c } = consumer()
  await c.subscribe(['t1'])
  native.consumers[0]!.messages.push(fakeMessage({ type: 'meta', meta: '{"type":"drop","tableNameList":["ct9"]}' }))
  const m = await c.poll()
  t.deepEqual([m!.type, m!.meta, m!.fields, await m!.toArray()], ['meta', { type: 'drop', tableNameList: ['ct9'] }, [], []])
})

test('commit takes a message or nothing; offsets and partitions are checked and cross as bigints', async (t) => {
  const { native, c } = consumer()
  await c.subscribe(['t1'])
  const raw = fakeMessage({})
  native.consumers[0]!.messages.push(raw)
  const m = await c.poll()
  await c.commit(m!)
  await c.commit()
  await c.commitOffsets([{ topic: 't1', vgroupId: 2, offset: 5 }])
  await c.seek('t1', 2, 0)
  await c.seek({ topic: 't1', vgroupId: 2, offset: 9_007_199_254_740_993n })
  await c.seekToBeginning()
  await c.seekToEnd('t1', 2)
  await c.seekToEnd([{ topic: 't1', vgroupId: 2 }])
  const calls = native.consumers[0]!.calls.filter((x) => x.method !== 'subscribe' && x.method !== 'poll')
  t.deepEqual(calls, [
    { method: 'commitMessage', args: [raw] },
    { method: 'commit', args: [] },
    { method: 'commitOffsets', args: [[{ topic: 't1', vgroupId: 2, offset: 5n }]] },
    { method: 'seek', args: ['t1', 2, 0n] },
    { method: 'seek', args: ['t1', 2, 9_007_199_254_740_993n] },
    { method: 'seekToEdge', args: [null, false] },
    { method: 'seekToEdge', args: [[{ topic: 't1', vgroupId: 2 }], true] },
    { method: 'seekToEdge', args: [[{ topic: 't1', vgroupId: 2 }], true] },
  ])
  await t.throwsAsync(c.seek('t1', 2, 1.5), { instanceOf: TmqError, message: /offset/ })
  await t.throwsAsync(c.seek('t1', 2, 2 ** 60), { instanceOf: TmqError })
  await t.throwsAsync(c.commitOffsets([{ topic: '', vgroupId: 2, offset: 1 }]), { instanceOf: TmqError, message: /topic/ })
  await t.throwsAsync(c.commit({} as never), { instanceOf: TmqError })
})

test('committed and position take one partition or many', async (t) => {
  const { c } = consumer()
  await c.subscribe(['t1'])
  t.is(await c.committed('t1', 2), null)
  t.deepEqual(await c.committed([{ topic: 't1', vgroupId: 2 }, { topic: 't1', vgroupId: 3 }]), [
    { topic: 't1', vgroupId: 2, offset: null },
    { topic: 't1', vgroupId: 3, offset: 4n },
  ])
  t.is(await c.position('t1', 2), 4n)
  const [a] = await c.assignment()
  t.is(a!.end, 9_007_199_254_740_993n)
  await t.throwsAsync(c.position('t1', 1.5), { instanceOf: TmqError, message: /vgroupId/ })
})

test('bad poll timeouts and an already-aborted signal reject before anything is sent', async (t) => {
  const { native, c } = consumer()
  await c.subscribe(['t1'])
  for (const bad of [-1, Number.NaN, Infinity, '5']) await t.throwsAsync(c.poll(bad as never), { instanceOf: TmqError })
  await t.throwsAsync(c.poll(10, { signal: AbortSignal.abort() }), { instanceOf: AbortError, message: /aborted/ })
  await t.throwsAsync(c.poll(10, { timeoutMs: 0 }), { instanceOf: ProgrammingError, message: /timeoutMs/ })
  t.is(native.consumers[0]!.calls.filter((x) => x.method === 'poll').length, 0)
})

test('every call takes { timeoutMs, signal } like every connection call; they cross to the addon', async (t) => {
  const { native, c } = consumer()
  const o = { timeoutMs: 250, signal: new AbortController().signal }
  await c.subscribe('t1', o)
  native.consumers[0]!.messages.push(fakeMessage({}))
  const m = await c.poll(100, o)
  await c.commit(m, o)
  await c.commit(null, o)
  await c.commitOffsets([{ topic: 't1', vgroupId: 2, offset: 5 }], o)
  await c.seek('t1', 2, 0, o)
  await c.seek({ topic: 't1', vgroupId: 2, offset: 1 }, o)
  await c.seekToBeginning(null, o)
  await c.seekToEnd('t1', 2, o)
  await c.assignment(null, o)
  await c.committed('t1', 2, o)
  await c.position([{ topic: 't1', vgroupId: 2 }], o)
  await c.listTopics(o)
  await c.unsubscribe(o)
  const limits = native.consumers[0]!.limits
  t.is(limits.length, 14)
  for (const l of limits) t.deepEqual([l.timeoutMs, l.abort], [250, true], l.method)
  t.deepEqual(native.consumers[0]!.calls.find((x) => x.method === 'poll')!.args, [100], 'the poll waits its own time')
  await t.throwsAsync(c.listTopics({ signal: 'x' } as never), { instanceOf: ProgrammingError, message: /AbortSignal/ })
})

test('an abort rejects the waiting call at once with an AbortError', async (t) => {
  const { native, c } = consumer()
  await c.subscribe('t1')
  native.consumers[0]!.pollDelayMs = 5_000
  const ac = new AbortController()
  const started = Date.now()
  const pending = c.poll(10_000, { signal: ac.signal })
  setTimeout(() => ac.abort(), 20)
  await t.throwsAsync(pending, { instanceOf: AbortError })
  t.true(Date.now() - started < 1_000, 'not after the poll answers')
  t.deepEqual(native.consumers[0]!.limits.at(-1), { method: 'poll', timeoutMs: null, abort: true })
})

test('for await polls until the signal aborts, skipping empty polls; close ends plain iteration', async (t) => {
  const { native, c } = consumer()
  await c.subscribe(['t1'])
  native.consumers[0]!.messages.push(fakeMessage({ offset: 1n }), fakeMessage({ offset: 2n }))
  const ac = new AbortController()
  const seen: bigint[] = []
  for await (const m of c.messages({ signal: ac.signal, pollTimeoutMs: 5 })) {
    seen.push(m.offset)
    if (seen.length === 2) setTimeout(() => ac.abort(), 20)
  }
  t.deepEqual(seen, [1n, 2n])
  setTimeout(() => void c.close(), 20)
  let more = 0
  for await (const _ of c) more++
  t.is(more, 0)
  await t.throwsAsync(c.poll(1), { instanceOf: TmqError, message: /closed/ })
})

test('errors from the addon become TmqErrors with TDengine’s code', async (t) => {
  const { native, c } = consumer()
  await c.subscribe(['t1'])
  native.consumers[0]!.messages.push(new Error('TmqError: [0x03E1] Topic not exist'))
  const err = await t.throwsAsync(c.poll(), { instanceOf: TmqError })
  t.is(err!.errno, 0x3e1)
})
