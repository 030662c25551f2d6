/**
 * Cell values: how a cell of a block becomes a JavaScript value. The one place that converts
 * cells; rows (`rows.ts`), `ResultColumn.value()` and `toColumns()` all read through it.
 *
 * A {@link ColumnReader} prepares a column once per block (`prepare`: the typed-array views, a
 * text column decoded once into one string) and then reads cells from that view (`read`). The
 * readers are small functions that the row code inlines: one per typed-array kind, so every
 * load they make sees one kind (a shared reader made every load megamorphic); a text value is a
 * slice of its column's string, not a `Buffer.toString` call of its own; a millisecond timestamp
 * is read as two 32-bit halves, without a `BigInt`.
 *
 * @internal
 */
import { asciiSlice, copyBytes, utf8Slice } from './bytes.js'
import { DataError } from './errors.js'
import type { NativeColumn } from './native.js'
import { formatTimestamp, TypeId, type Precision, type ResultOptions, type TaosField } from './types.js'

/** Reads the cells of one column of a result. `read` is called for non-NULL rows only. */
export interface ColumnReader<View = any> {
  /** Names the conversion (rows compile one row function per list of names). */
  readonly name: string
  prepare(column: NativeColumn): View
  read(view: View, row: number): unknown
}

function reader<View>(name: string, prepare: (c: NativeColumn) => View, read: (v: View, i: number) => unknown): ColumnReader<View> {
  return { name, prepare, read }
}

// The column's typed array, as the reader that knows its kind sees it.
const data = (c: NativeColumn): any => c.data
// One reader per typed-array kind (their loads stay monomorphic wherever they are inlined).
const NUMBER_READERS: Record<number, ColumnReader> = {
  [TypeId.TinyInt]: reader('i8', data, (d: Int8Array, i) => d[i]),
  [TypeId.SmallInt]: reader('i16', data, (d: Int16Array, i) => d[i]),
  [TypeId.Int]: reader('i32', data, (d: Int32Array, i) => d[i]),
  [TypeId.UTinyInt]: reader('u8', data, (d: Uint8Array, i) => d[i]),
  [TypeId.USmallInt]: reader('u16', data, (d: Uint16Array, i) => d[i]),
  [TypeId.UInt]: reader('u32', data, (d: Uint32Array, i) => d[i]),
  [TypeId.Float]: reader('f32', data, (d: Float32Array, i) => d[i]),
  [TypeId.Double]: reader('f64', data, (d: Float64Array, i) => d[i]),
}
const readBool = reader('bool', data, (d: Uint8Array, i) => d[i] !== 0)
const readInt64 = reader('i64', data, (d: BigInt64Array, i) => d[i])
const readUint64 = reader('u64', data, (d: BigUint64Array, i) => d[i])

// A block's prepared views are class instances, not object literals: a literal's second
// evaluation creates its boilerplate, which generalises the field types of the literal's map,
// and V8 then throws away the row function it had optimised against them (its "code
// dependencies" deopt when the second block is loaded, and a second compilation per process).

/** 64-bit values as their low and high 32-bit halves. */
class Halves {
  constructor(
    readonly lo: Uint32Array,
    readonly hi: Int32Array | Uint32Array,
  ) {}
}

function halves(c: NativeColumn): Halves {
  const d = c.data as BigInt64Array | BigUint64Array
  const lo = new Uint32Array(d.buffer, d.byteOffset, d.length * 2)
  return new Halves(lo, d instanceof BigUint64Array ? lo : new Int32Array(d.buffer, d.byteOffset, d.length * 2))
}

// Exactly like `Number(bigint)`: two exact doubles summed, rounded once.
const readInt64AsNumber = reader('i64n', halves, (v: Halves, i) => v.hi[2 * i + 1]! * 4294967296 + v.lo[2 * i]!)
const readInt64AsString = reader('i64s', data, (d: BigInt64Array | BigUint64Array, i) => String(d[i]))

function bigintReader(field: TaosField, as: ResultOptions['bigintAs']): ColumnReader {
  switch (as ?? 'bigint') {
    case 'bigint':
      return field.type === TypeId.UBigInt ? readUint64 : readInt64
    case 'number':
      return readInt64AsNumber
    case 'string':
      return readInt64AsString
    default:
      throw new DataError(`unknown bigintAs option ${JSON.stringify(as)}`)
  }
}

// Any real millisecond or microsecond timestamp is below 2^53: exact as a double.
const readMsDate = reader('msdate', halves, (v: Halves, i) => new Date(v.hi[2 * i + 1]! * 4294967296 + v.lo[2 * i]!))
const readUsDate = reader('usdate', halves, (v: Halves, i) => {
  const us = v.hi[2 * i + 1]! * 4294967296 + v.lo[2 * i]!
  const m = us % 1000 // floor division without rounding: remainder and difference are exact
  return new Date((us - (m < 0 ? m + 1000 : m)) / 1000)
})
// Nanoseconds exceed 2^53: divided as BigInts.
const readNsDate = reader('nsdate', data, (d: BigInt64Array, i) => {
  const ns = d[i]!
  const q = ns / 1_000_000n
  return new Date(Number(ns % 1_000_000n < 0n ? q - 1n : q))
})
const TIMESTAMP_TEXT: Record<Precision, ColumnReader> = {
  ms: reader('mstext', data, (d: BigInt64Array, i) => formatTimestamp(d[i]!, 'ms')),
  us: reader('ustext', data, (d: BigInt64Array, i) => formatTimestamp(d[i]!, 'us')),
  ns: reader('nstext', data, (d: BigInt64Array, i) => formatTimestamp(d[i]!, 'ns')),
}

function timestampReader(precision: Precision, as: ResultOptions['timestampAs']): ColumnReader {
  switch (as ?? (precision === 'ms' ? 'date' : 'bigint')) {
    case 'bigint':
      return readInt64
    case 'number':
      return readInt64AsNumber
    case 'string':
      return TIMESTAMP_TEXT[precision]
    case 'date':
      return precision === 'ms' ? readMsDate : precision === 'us' ? readUsDate : readNsDate
    default:
      throw new DataError(`unknown timestampAs option ${JSON.stringify(as)}`)
  }
}

/**
 * A text column as one string (decoded once per block) with the offsets that cut it, or, when
 * the bytes are not known to be valid UTF-8, the bytes to decode value by value. A value keeps
 * its column's string alive (V8 slices long values without copying): about the size of the
 * values themselves.
 */
class Text {
  constructor(
    readonly whole: string | null,
    readonly offsets: Int32Array,
    /** Where `whole` starts in `offsets`' units. */
    readonly base: number,
    readonly bytes: Uint8Array,
  ) {}
}

function text(c: NativeColumn): Text {
  const bytes = c.data as Uint8Array
  const offsets = c.offsets!
  const n = offsets.length - 1
  if (c.text === 1 || c.text === 2) {
    const cut = c.text === 1 ? offsets : c.utf16Offsets!
    return new Text((c.text === 1 ? asciiSlice : utf8Slice)(bytes, offsets[0]!, offsets[n]!), cut, cut[0]!, bytes)
  }
  return new Text(null, offsets, 0, bytes)
}

export const readText = reader('text', text, (v: Text, i) =>
  v.whole !== null ? v.whole.slice(v.offsets[i]! - v.base, v.offsets[i + 1]! - v.base) : utf8Slice(v.bytes, v.offsets[i]!, v.offsets[i + 1]!),
)
const readJson = reader('json', text, (v: Text, i) => parseJson(readText.read(v, i) as string))
// Each a copy: a row must not keep the whole block's buffer alive.
const readBytes = reader('bytes', (c) => c, (c: NativeColumn, i) => copyBytes((c.data as Uint8Array).subarray(c.offsets![i]!, c.offsets![i + 1]!)))
const readNull = reader('null', () => null, () => null)

/** How to read the cells of one column of a result. */
export function columnReader(field: TaosField, precision: Precision, options: ResultOptions): ColumnReader {
  const numbers = NUMBER_READERS[field.type]
  if (numbers !== undefined) return numbers
  switch (field.type) {
    case TypeId.Bool:
      return readBool
    case TypeId.BigInt:
    case TypeId.UBigInt:
      return bigintReader(field, options.bigintAs)
    case TypeId.Timestamp:
      return timestampReader(precision, options.timestampAs)
    case TypeId.VarChar:
    case TypeId.NChar:
    case TypeId.Decimal:
    case TypeId.Decimal64:
      return readText
    case TypeId.Json:
      return options.parseJson === true ? readJson : readText
    case TypeId.VarBinary:
    case TypeId.Geometry:
    case TypeId.Blob:
    case TypeId.MediumBlob:
      return readBytes
    case TypeId.Null:
      return readNull
    default:
      throw new DataError(`column ${JSON.stringify(field.name)} has type id ${field.type}, which taosjs does not know`)
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new DataError(`JSON value is not valid JSON: ${text.slice(0, 80)}`, { cause: err })
  }
}
