/**
 * The generated addon (index.js/index.d.ts) matches the interface the facade is written against
 * (src/native.ts): checked by the compiler here (`npm run typecheck`) and at run time below.
 */
import test from 'ava'
import { createRequire } from 'node:module'
import type * as Generated from '../index.js'
import type { NativeConnection, NativeConsumer, NativeConsumerConfig, NativeMessage, NativeModule, NativeResult, NativeStmt, NativeStmt2 } from '../src/native.js'
import { SmlPrecision, SmlProtocol } from '../src/schemaless.js'
import { TypeId } from '../src/types.js'

type GeneratedModule = typeof Generated
// Compile-time: the generated module can stand in for the facade's NativeModule…
const _module = (m: GeneratedModule): NativeModule => m
// …and its connection class for NativeConnection, its statements for NativeStmt2/NativeStmt.
const _connection = (c: Generated.NativeConnection): NativeConnection => c
const _stmt2 = (s: Generated.NativeStmt2): NativeStmt2 => s
const _stmt = (s: Generated.NativeStmt): NativeStmt => s
const _result = (r: Generated.NativeResult): NativeResult => r
const _consumerConfig = (c: Generated.NativeConsumerConfig): NativeConsumerConfig => c
const _consumer = (c: Generated.NativeConsumer): NativeConsumer => c
const _message = (m: Generated.NativeMessage): NativeMessage => m
void _consumerConfig
void _consumer
void _message
void _module
void _connection
void _stmt2
void _stmt
void _result

test('the loaded addon has the functions and methods the facade calls', (t) => {
  const native = createRequire(import.meta.url)('#native') as GeneratedModule
  t.is(typeof native.connect, 'function')
  t.is(typeof native.startTestServer, 'function')
  for (const method of ['query', 'placeholders', 'newAbort', 'serverVersion', 'timezone', 'close', 'stmt2Init', 'stmtInit', 'schemalessInsert'] as const) {
    t.is(typeof native.NativeConnection.prototype[method], 'function', method)
  }
  for (const method of ['take', 'fetchBatch', 'close'] as const) {
    t.is(typeof native.NativeResult.prototype[method], 'function', `NativeResult.${method}`)
  }
  for (const method of ['prepare', 'bind', 'exec', 'result', 'close'] as const) {
    t.is(typeof native.NativeStmt2.prototype[method], 'function', `NativeStmt2.${method}`)
  }
  for (const method of ['prepare', 'setTableName', 'setTags', 'bind', 'addBatch', 'exec', 'tagFields', 'colFields', 'useResult', 'close'] as const) {
    t.is(typeof native.NativeStmt.prototype[method], 'function', `NativeStmt.${method}`)
  }
  t.is(typeof native.consumerConfig, 'function')
  t.is(typeof native.NativeConsumerConfig.prototype.connect, 'function')
  for (const method of [
    'subscribe', 'unsubscribe', 'poll', 'newAbort', 'commit', 'commitMessage', 'commitOffsets', 'seek', 'seekToEdge',
    'assignment', 'committed', 'position', 'listTopics', 'serverVersion', 'close',
  ] as const) {
    t.is(typeof native.NativeConsumer.prototype[method], 'function', `NativeConsumer.${method}`)
  }
  t.is(typeof native.NativeMessage.prototype.packedBlock, 'function')
})

test('the public enums carry the words the addon defines', (t) => {
  const native = createRequire(import.meta.url)('#native') as Record<string, Record<string, unknown>>
  const numeric = (e: object) => Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number'))
  t.deepEqual(numeric(TypeId), native['TypeId'])
  t.deepEqual(Object.values(numeric(SmlProtocol)).sort(), Object.values(native['SmlProtocol']!).sort())
  t.deepEqual(Object.values(SmlPrecision).sort(), Object.values(native['SmlPrecision']!).sort())
  t.deepEqual(Object.values(native['BindType']!).sort(), ['column', 'parameter', 'tag', 'tbname'])
  t.deepEqual(Object.values(native['Precision']!).sort(), ['ms', 'ns', 'us'])
})
