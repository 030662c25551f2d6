/**
 * Value conversion: how each TDengine type becomes a JavaScript value, column by column.
 *
 * | TDengine | JavaScript |
 * |---|---|
 * | TIMESTAMP | `Date` (ms precision); `bigint` in the precision's unit for us/ns (see {@link TimestampAs}) |
 * | BOOL | `boolean` |
 * | TINYINT … INT, their UNSIGNED forms, FLOAT, DOUBLE | `number` (FLOAT is the exact float32 value) |
 * | BIGINT, BIGINT UNSIGNED | `bigint` (see {@link BigintAs}) |
 * | VARCHAR/BINARY, NCHAR | `string` |
 * | JSON | `string`, or the parsed value with `parseJson` |
 * | VARBINARY, GEOMETRY (WKB), BLOB | `Buffer` |
 * | DECIMAL | `string` (exact, full scale) |
 * | NULL | `null` |
 *
 * @module
 */
import type * as Generated from '../index.js'
import { DataError } from './errors.js'
import type { NativeColumn, NativeField, NativePrecision, SameWords } from './native.js'

/**
 * TDengine wire type ids (protocol reference §4.1), as in `TaosField.type` and cursor
 * descriptions. The same words as the native addon's (checked at compile time).
 */
export enum TypeId {
  Null = 0,
  Bool = 1,
  TinyInt = 2,
  SmallInt = 3,
  Int = 4,
  BigInt = 5,
  Float = 6,
  Double = 7,
  VarChar = 8,
  Timestamp = 9,
  NChar = 10,
  UTinyInt = 11,
  USmallInt = 12,
  UInt = 13,
  UBigInt = 14,
  Json = 15,
  VarBinary = 16,
  Decimal = 17,
  Blob = 18,
  MediumBlob = 19,
  Geometry = 20,
  Decimal64 = 21,
}

/** Compiles only while {@link TypeId} carries the addon's words. @internal */
export const TYPE_IDS_MATCH_THE_ADDON: SameWords<`${TypeId}`, `${Generated.TypeId}`> = true

/**
 * How TIMESTAMP values are returned.
 * - `'date'`: a `Date` (sub-millisecond digits are dropped for us/ns).
 * - `'bigint'`: the raw value in the result's unit (ms, us or ns since the epoch).
 * - `'number'`: the same as a `number` (exact up to 2^53).
 * - `'string'`: ISO 8601 in UTC with 3, 6 or 9 fraction digits, like TDengine's REST API.
 *
 * Default: `'date'` for millisecond results, `'bigint'` for microsecond and nanosecond results,
 * so nothing is lost.
 */
export type TimestampAs = 'date' | 'bigint' | 'number' | 'string'

/** How BIGINT and BIGINT UNSIGNED values are returned. Default `'bigint'`. `'number'` may round above 2^53. */
export type BigintAs = 'bigint' | 'number' | 'string'

/** Rows as arrays of values (in column order) or as objects keyed by column name. */
export type RowMode = 'array' | 'object'

/** Options that shape the values of a result; given to `connect` (defaults) or per query. */
export interface ResultOptions {
  /** Default `'array'`. */
  rowMode?: RowMode
  timestampAs?: TimestampAs
  bigintAs?: BigintAs
  /** Parse JSON values with `JSON.parse` instead of returning the text. Default `false`. */
  parseJson?: boolean
}

/** A timestamp precision. */
export type Precision = NativePrecision

/** One column of a result. */
export interface TaosField {
  name: string
  /** TDengine's wire type id (e.g. 9 = TIMESTAMP). */
  type: number
  /** TDengine's type name (e.g. `'TIMESTAMP'`, `'DECIMAL(10,2)'`). */
  typeName: string
  /** Length as TDengine reports it: the type size, or n for VARCHAR(n)/NCHAR(n). */
  bytes: number
  /** Decimal precision; 0 for other types. */
  precision: number
  /** Decimal scale; 0 for other types. */
  scale: number
}

/** @internal */
export function toTaosField(f: NativeField): TaosField {
  return { name: f.name, type: f.type, typeName: f.typeName, bytes: f.bytes, precision: f.precision, scale: f.scale }
}

/** Reads value `row` of a column; NULLs are handled by the caller. @internal */
export type CellReader = (column: NativeColumn, row: number) => unknown

const UNITS_PER_MS: Record<Precision, bigint> = { ms: 1n, us: 1000n, ns: 1_000_000n }
const FRACTION_DIGITS: Record<Precision, number> = { ms: 3, us: 6, ns: 9 }

/** ISO 8601 UTC text with the precision's number of fraction digits. @internal */
export function formatTimestamp(value: bigint, precision: Precision): string {
  const perMs = UNITS_PER_MS[precision]
  const perSecond = perMs * 1000n
  let seconds = value / perSecond
  let fraction = value % perSecond
  if (fraction < 0n) {
    fraction += perSecond
    seconds -= 1n
  }
  const iso = new Date(Number(seconds) * 1000).toISOString() // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${fraction.toString().padStart(FRACTION_DIGITS[precision], '0')}Z`
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function timestampReader(precision: Precision, as: TimestampAs | undefined): CellReader {
  const mode = as ?? (precision === 'ms' ? 'date' : 'bigint')
  const perMs = UNITS_PER_MS[precision]
  switch (mode) {
    case 'bigint':
      return (c, i) => (c.data as BigInt64Array)[i]
    case 'number':
      return (c, i) => Number((c.data as BigInt64Array)[i])
    case 'string':
      return (c, i) => formatTimestamp((c.data as BigInt64Array)[i]!, precision)
    case 'date':
      return perMs === 1n
        ? (c, i) => new Date(Number((c.data as BigInt64Array)[i]))
        : (c, i) => new Date(Number(floorDiv((c.data as BigInt64Array)[i]!, perMs)))
    default:
      throw new DataError(`unknown timestampAs option ${JSON.stringify(mode)}`)
  }
}

function bigintReader(as: BigintAs | undefined): CellReader {
  switch (as ?? 'bigint') {
    case 'bigint':
      return (c, i) => (c.data as BigInt64Array | BigUint64Array)[i]
    case 'number':
      return (c, i) => Number((c.data as BigInt64Array | BigUint64Array)[i])
    case 'string':
      return (c, i) => String((c.data as BigInt64Array | BigUint64Array)[i])
    default:
      throw new DataError(`unknown bigintAs option ${JSON.stringify(as)}`)
  }
}

function varSlice(c: NativeColumn, i: number): Buffer {
  const offsets = c.offsets
  if (offsets === undefined) throw new DataError('variable-length column arrived without offsets')
  return (c.data as Buffer).subarray(offsets[i]!, offsets[i + 1]!)
}

const readNumber: CellReader = (c, i) => (c.data as Exclude<NativeColumn['data'], BigInt64Array | BigUint64Array | Buffer>)[i]
// toString(enc, start, end) decodes in place, without a subarray per cell.
const readText: CellReader = (c, i) => {
  const offsets = c.offsets
  if (offsets === undefined) throw new DataError('variable-length column arrived without offsets')
  return (c.data as Buffer).toString('utf8', offsets[i]!, offsets[i + 1]!)
}
// A copy, so a row does not keep the whole block's buffer alive.
const readBytes: CellReader = (c, i) => Buffer.from(varSlice(c, i))

/** The reader for one column of a result. @internal */
export function cellReader(field: TaosField, precision: Precision, options: ResultOptions): CellReader {
  switch (field.type) {
    case TypeId.Bool:
      return (c, i) => (c.data as Int8Array)[i] !== 0
    case TypeId.TinyInt:
    case TypeId.SmallInt:
    case TypeId.Int:
    case TypeId.UTinyInt:
    case TypeId.USmallInt:
    case TypeId.UInt:
    case TypeId.Float:
    case TypeId.Double:
      return readNumber
    case TypeId.BigInt:
    case TypeId.UBigInt:
      return bigintReader(options.bigintAs)
    case TypeId.Timestamp:
      return timestampReader(precision, options.timestampAs)
    case TypeId.VarChar:
    case TypeId.NChar:
    case TypeId.Decimal:
    case TypeId.Decimal64:
      return readText
    case TypeId.Json:
      return options.parseJson === true ? (c, i) => parseJson(readText(c, i) as string) : readText
    case TypeId.VarBinary:
    case TypeId.Geometry:
    case TypeId.Blob:
    case TypeId.MediumBlob:
      return readBytes
    case TypeId.Null:
      return () => null
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
