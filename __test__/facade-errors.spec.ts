import test from 'ava'
import * as taos from '../src/index.js'
import { fromNative } from '../src/errors.js'

test('every class of the reference page and PEP-249 is exported and derives from taos.Error', (t) => {
  const names = [
    'Warning', 'InterfaceError', 'DatabaseError', 'DataError', 'OperationalError', 'IntegrityError',
    'InternalError', 'ProgrammingError', 'NotSupportedError', 'ConnectionError', 'QueryError',
    'StatementError', 'ResultError', 'SchemalessError', 'TmqError',
  ] as const
  for (const name of names) {
    const Class = taos[name]
    const err = new Class('boom', { errno: 1 })
    t.true(err instanceof taos.Error, name)
    t.true(err instanceof globalThis.Error, name)
    t.is(err.name, name)
    t.is(err.code, name)
  }
  t.true(new taos.QueryError('x') instanceof taos.ProgrammingError)
  t.true(new taos.ProgrammingError('x') instanceof taos.DatabaseError)
  t.true(new taos.ConnectionError('x') instanceof taos.OperationalError)
  t.false(new taos.InterfaceError('x') instanceof taos.DatabaseError)
})

test('a native error with class and code becomes that class with errno', (t) => {
  const err = fromNative(new Error('QueryError: [0x2600] syntax error near "selec 1"'))
  t.true(err instanceof taos.QueryError)
  t.is(err.errno, 9728)
  t.is(err.message, '[0x2600] syntax error near "selec 1"')
})

test('a native error without a code has no errno', (t) => {
  const err = fromNative(new Error('ConnectionError: connection refused to 127.0.0.1:1'))
  t.true(err instanceof taos.ConnectionError)
  t.is(err.errno, undefined)
  t.is(err.message, 'connection refused to 127.0.0.1:1')
})

test('a Rust panic becomes an InternalError', (t) => {
  const err = fromNative(new Error('panicked at src/block.rs:10: index out of bounds'))
  t.true(err instanceof taos.InternalError)
})

test('an unknown class name or shape becomes an InternalError, napi argument errors an InterfaceError', (t) => {
  t.true(fromNative(new Error('FrobError: x')) instanceof taos.InternalError)
  t.true(fromNative(new TypeError('Failed to convert JavaScript value `Number 1` into rust type `String`')) instanceof taos.InterfaceError)
  t.true(fromNative('a string') instanceof taos.InternalError)
  const napiArg = Object.assign(new Error('Failed to convert JavaScript value `Number 123 ` into rust type `String`'), { code: 'StringExpected' })
  t.true(fromNative(napiArg) instanceof taos.InterfaceError)
})

test('errors already converted pass through unchanged', (t) => {
  const original = new taos.DataError('bad')
  t.is(fromNative(original), original)
})
