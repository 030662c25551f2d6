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
import type { NativeField, NativePrecision, SameWords } from './native.js'

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
