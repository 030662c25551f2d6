/**
 * The EventEmitter a Connection is (src/emitter.ts, the same in Node.js and browsers) behaves as
 * Node's: order, once, removal of the latest registration, removal while emitting, an unheard
 * 'error' thrown, and Node's `events.once`/`events.on` helpers work with it.
 */
import { on, once } from 'node:events'
import test from 'ava'
import { EventEmitter } from '../src/emitter.js'

interface Events {
  tick: [n: number]
  error: [error: Error]
}

test('listeners run in order, prepended first; once runs once', (t) => {
  const e = new EventEmitter<Events>()
  const seen: string[] = []
  e.on('tick', (n) => seen.push(`a${n}`))
  e.once('tick', (n) => seen.push(`once${n}`))
  e.prependListener('tick', (n) => seen.push(`first${n}`))
  t.true(e.emit('tick', 1))
  t.true(e.emit('tick', 2))
  t.deepEqual(seen, ['first1', 'a1', 'once1', 'first2', 'a2'])
  t.is(e.listenerCount('tick'), 2)
})

test('off removes the latest registration of a listener; removal while emitting counts from the next emit', (t) => {
  const e = new EventEmitter<Events>()
  const seen: number[] = []
  const f = (n: number) => seen.push(n)
  e.on('tick', f)
  e.on('tick', f)
  e.off('tick', f)
  e.on('tick', () => e.off('tick', f))
  e.emit('tick', 1)
  e.emit('tick', 2)
  t.deepEqual(seen, [1])
  e.removeAllListeners()
  t.false(e.emit('tick', 3))
  t.deepEqual(e.eventNames(), [])
})

test("an 'error' nobody listens to is thrown; one listened to is not", (t) => {
  const e = new EventEmitter<Events>()
  const boom = new Error('boom')
  t.is(t.throws(() => e.emit('error', boom)), boom)
  e.on('error', () => undefined)
  t.true(e.emit('error', boom))
})

test("Node's events.once and events.on work with it", async (t) => {
  const e = new EventEmitter<Events>()
  setTimeout(() => e.emit('tick', 7), 1)
  t.deepEqual(await once(e as never, 'tick'), [7])
  const ac = new AbortController()
  setTimeout(() => {
    e.emit('tick', 8)
    ac.abort()
  }, 1)
  const got: unknown[] = []
  await t.throwsAsync(async () => {
    for await (const args of on(e as never, 'tick', { signal: ac.signal })) got.push(args)
  })
  t.deepEqual(got, [[8]])
  t.is(e.listenerCount('tick'), 0)
})
