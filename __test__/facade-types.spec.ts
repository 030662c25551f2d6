import test from 'ava'
import { formatTimestamp, toTaosField, type ResultOptions } from '../src/types.js'
import { columnReader } from '../src/values.js'
import { encodeColumn, field } from './helpers/fake-native.js'

function read(type: number, values: unknown[], options: ResultOptions = {}, precision: 'ms' | 'us' | 'ns' = 'ms') {
  const f = toTaosField(field('c', type))
  const reader = columnReader(f, precision, options)
  const col = encodeColumn(type, values)
  const view = reader.prepare(col)
  return values.map((_, i) => (col.nulls[i] ? null : reader.read(view, i)))
}

test('millisecond timestamps are Dates by default', (t) => {
  const [d] = read(9, [1700000000123n]) as Date[]
  t.true(d instanceof Date)
  t.is(d!.toISOString(), '2023-11-14T22:13:20.123Z')
})

test('us and ns timestamps are lossless bigints by default', (t) => {
  t.deepEqual(read(9, [1700000000123456n], {}, 'us'), [1700000000123456n])
  t.deepEqual(read(9, [1700000000123456789n], {}, 'ns'), [1700000000123456789n])
})

test('timestampAs converts to date, number and string in every precision', (t) => {
  t.is((read(9, [1700000000123456789n], { timestampAs: 'date' }, 'ns')[0] as Date).toISOString(), '2023-11-14T22:13:20.123Z')
  t.is(read(9, [1700000000123456n], { timestampAs: 'number' }, 'us')[0], 1700000000123456)
  t.is(read(9, [1700000000123456789n], { timestampAs: 'string' }, 'ns')[0], '2023-11-14T22:13:20.123456789Z')
  t.is(read(9, [1700000000123456n], { timestampAs: 'string' }, 'us')[0], '2023-11-14T22:13:20.123456Z')
  t.is(read(9, [1700000000000n], { timestampAs: 'string' }, 'ms')[0], '2023-11-14T22:13:20.000Z')
  t.is(read(9, [1700000000000n], { timestampAs: 'bigint' }, 'ms')[0], 1700000000000n)
})

test('timestamps before 1970 keep their sign and round down', (t) => {
  t.is(formatTimestamp(-1n, 'ns'), '1969-12-31T23:59:59.999999999Z')
  t.is((read(9, [-1n], { timestampAs: 'date' }, 'us')[0] as Date).getTime(), -1)
})

test('BOOL is boolean, small ints and FLOAT/DOUBLE are numbers, FLOAT not rounded', (t) => {
  t.deepEqual(read(1, [true, false, null]), [true, false, null])
  t.deepEqual(read(2, [-128, 127]), [-128, 127])
  t.deepEqual(read(13, [4294967295]), [4294967295])
  t.deepEqual(read(6, [0.1]), [Math.fround(0.1)])
  t.deepEqual(read(7, [0.1]), [0.1])
})

test('BIGINT and BIGINT UNSIGNED are bigint by default, number or string on request', (t) => {
  t.deepEqual(read(5, [-9223372036854775808n]), [-9223372036854775808n])
  t.deepEqual(read(14, [18446744073709551615n]), [18446744073709551615n])
  t.deepEqual(read(5, [42n], { bigintAs: 'number' }), [42])
  t.deepEqual(read(14, [18446744073709551615n], { bigintAs: 'string' }), ['18446744073709551615'])
})

test('strings, JSON, DECIMAL are text; binary types are Buffers; NULL is null', (t) => {
  t.deepEqual(read(8, ['abc', '', null]), ['abc', '', null])
  t.deepEqual(read(10, ['温度°C😀']), ['温度°C😀'])
  t.deepEqual(read(15, ['{"a":1}']), ['{"a":1}'])
  t.deepEqual(read(15, ['{"a":1}'], { parseJson: true }), [{ a: 1 }])
  t.deepEqual(read(17, ['-0.0100000000']), ['-0.0100000000'])
  const [b] = read(16, [Buffer.from([1, 2, 3])]) as Buffer[]
  t.true(Buffer.isBuffer(b))
  t.deepEqual([...b!], [1, 2, 3])
  t.deepEqual(read(20, [null]), [null])
})

test('field descriptions carry TDengine type names', (t) => {
  t.is(toTaosField(field('d', 21, 8, 10, 2)).typeName, 'DECIMAL(10,2)')
  t.is(toTaosField(field('u', 14)).typeName, 'BIGINT UNSIGNED')
})
